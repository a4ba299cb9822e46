"""What user code sees while `trace` records a function (`_tracing/values.py`): wrappers that
compute like the values they hold and stay traced, refuse with `TraceError` every conversion
that would freeze a value into the record, and pass for the arrays they hold to isinstance,
jaxtyping and beartype."""

import copy
import math
import pickle
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from beartype import beartype
from jaxtyping import Float, jaxtyped

import typedprop as tp
from typedprop import BVar, Vec, ops
from typedprop._tracing.values import Traced

_FROZEN = (
    "of a traced value (a parameter's .value, the data, or something computed from them) would "
    "be frozen into the recorded graph, which replays the ops, not the Python code between "
    "them. Compute with typedprop.ops, or use the implicit style (typedprop.backprop) for this "
    "function"
)


def _trace_with(use: Callable[[Any], object]) -> tp.Graph[Vec, float]:
    """A trace of a function that does `use(v.value)` before its ops."""

    def f(v: BVar[Vec]) -> BVar[float]:
        use(v.value)
        return ops.sum(v * v)

    return tp.trace(f, np.array([0.5, -1.0, 2.0]))


@pytest.mark.parametrize(
    ("what", "use"),
    [
        ("float()", lambda x: float(x[0])),
        ("int()", lambda x: int(x[0])),
        ("complex()", lambda x: complex(x[0])),
        ("float()", lambda x: math.exp(x[0])),  # math's functions convert with float()
        ("round()", lambda x: round(x[0])),
        ("math.floor()", lambda x: math.floor(x[0])),
        ("math.ceil()", lambda x: math.ceil(x[0])),
        ("math.trunc()", lambda x: math.trunc(x[0])),
        (".item()", lambda x: x[0].item()),
        (".item()", lambda x: x.sum().item()),
        (".tolist()", lambda x: x.tolist()),
        (".tobytes()", lambda x: x.tobytes()),
        ("the conversion to a plain array (np.asarray, np.array)", np.asarray),
        ("the conversion to a plain array (np.asarray, np.array)", lambda x: np.array([x[0], 1])),
        ("the conversion to a plain array (np.asarray, np.array)", lambda x: np.float32(x[0])),
        ("the use as an index or a size (operator.index)", lambda x: [1, 2, 3][x.argmax()]),
        ("pickling", pickle.dumps),
        ("writing into a part (x[...] = ...)", lambda x: x.__setitem__(0, 1.0)),
        (".fill()", lambda x: x.fill(0.0)),
        (".sort()", lambda x: x.sort()),
        ("writing add's result into an array (out=, .at)", lambda x: np.add(x, 1, out=x)),
        ("writing add's result into an array (out=, .at)", lambda x: np.add.at(x, [0], 1.0)),
        ("writing into an array (np.copyto, out=)", lambda x: np.copyto(np.zeros(3), x)),
        ("writing into an array (np.sum, out=)", lambda x: np.sum(x, out=np.zeros(()))),
    ],
)
def test_every_conversion_that_would_freeze_a_value_is_refused(
    what: str, use: Callable[[Any], object]
) -> None:
    w = np.array([0.5, -1.0, 2.0])
    before = w.copy()
    with pytest.raises(tp.TraceError) as e:
        tp.trace(lambda v: (use(v.value), ops.sum(v * v))[1], w)
    assert str(e.value) == f"trace: {what} {_FROZEN}"
    # Nothing was written into the caller's array on the way.
    np.testing.assert_array_equal(w, before)


@pytest.mark.parametrize(
    "use",
    [
        lambda x: x[0] > 0,
        lambda x: np.all(x > 0),
        lambda x: x.any(),
        lambda x: np.array_equal(x, x),
        lambda x: 0.5 in x,
        lambda x: x.sum() == 1.0,
    ],
)
def test_a_truth_of_a_traced_value_is_refused(use: Callable[[Any], object]) -> None:
    with pytest.raises(tp.TraceError, match=re.escape("trace: a Python branch on a traced value")):
        _trace_with(lambda x: bool(use(x)))


def test_what_is_computed_from_a_traced_value_stays_traced() -> None:
    seen: dict[str, object] = {}

    def look(x: Any) -> None:
        seen.update(
            ufunc=np.exp(x),
            operator=2.0 * x - x,
            reflected=np.ones(3) + x,
            reduction=np.sum(x),
            method=x.astype(np.float32),
            element=x[0],
            mask=x[x > 0],
            rows=list(x)[0],
            function=np.concatenate([x, x]),
            attribute=x.T,
            copied=copy.deepcopy(x),
        )

    _trace_with(look)
    for name, value in seen.items():
        assert type(value) is Traced, name


def test_shapes_dtypes_and_text_come_back_plain() -> None:
    seen: list[object] = []
    _trace_with(
        lambda x: seen.extend(
            [x.shape, np.shape(x), np.ndim(x), len(x), x.dtype, np.iscomplexobj(x), f"{x[0]:.1f}"]
        )
    )
    assert seen == [(3,), (3,), 1, 3, np.dtype(np.float64), False, "0.5"]


def test_a_traced_value_passes_for_what_it_holds() -> None:
    """isinstance, jaxtyping's hints and beartype see the array (or float) a wrapper holds,
    so checked user functions work inside a trace as outside."""

    @jaxtyped(typechecker=beartype)
    def double(a: Float[np.ndarray, " n"]) -> Float[np.ndarray, " n"]:
        return a * 2.0

    def f(v: BVar[Vec], s: BVar[float]) -> BVar[float]:
        assert isinstance(v.value, np.ndarray) and isinstance(s.value, float)
        assert type(v.value) is Traced  # a wrapper, not a subclass of numpy's array
        double(v.value)
        return ops.sum(v) * s

    graph = tp.trace(lambda p: f(*p.unpack()), (np.ones(3), 2.0))
    g_v, g_s = graph.grad((np.ones(3), 3.0))
    assert g_v.tolist() == [3.0, 3.0, 3.0] and g_s == 3.0
    assert not issubclass(Traced, np.ndarray) and not issubclass(Traced, float)


def test_a_wrapper_holds_any_array_library_s_value() -> None:
    """Nothing in a wrapper is numpy's but what numpy dispatches to it: it holds and computes
    with whatever it is given (the seam for other array libraries)."""

    class Box:
        def __init__(self, v: float) -> None:
            self.v = v

        def __add__(self, other: "Box") -> "Box":
            return Box(self.v + other.v)

        def halve(self) -> float:
            return self.v / 2

    t = Traced(Box(3.0))
    assert isinstance(t, Box)
    assert type(t.halve()) is Traced and repr(t.halve()) == "traced(1.5)"


@pytest.mark.parametrize("name", ["multiply", "add", "subtract", "divide"])
@pytest.mark.parametrize("datum", [2.0, np.float64(2.0), np.float32(2.0)])
def test_an_op_on_a_python_float_datum_alone_is_recorded(name: str, datum: Any) -> None:
    op = getattr(ops, name)

    def f(w: BVar[Vec], s: Any) -> BVar[float]:
        return ops.sum(w * op(s, 4.0)) + ops.sum(op(1.0, s) * w)

    w = np.array([0.5, -1.0, 2.0])
    graph = tp.trace(f, w, datum)
    for s in (datum, type(datum)(3.0)):
        value, g = graph.backprop(w, s)
        expected_value, expected = tp.backprop(lambda w, s=s: f(w, s), w)
        assert value == expected_value
        np.testing.assert_array_equal(g, expected)
    assert len(graph._records) == 1
