"""The replay of a record (`typedprop._tracing.replay`): its sweeps, unrolled and looped, are
the engine's step (`typedprop._core.sweep`) as the engine's checked sweep runs it. They make the
same continuation calls, with the same gradients and `needs`, add the same gradients in the
same order, and give the same bits; they let go of a node's value before its continuation
runs; and nothing but the step calls a continuation or adds a gradient."""

import ast
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import typedprop as tp
from typedprop import ops
from typedprop._core import sweep as sweep_module
from typedprop._core import tape as tape_module
from typedprop._core.structures import Partial
from typedprop._tracing import replay

# ---------------------------------------------------------------------------------------------
# The three sweeps of one record run the same steps
# ---------------------------------------------------------------------------------------------


def _bits(x: Any) -> Any:
    """`x` as a value that compares equal exactly when the gradients are the same bits. A
    number's type is left out: the checked sweep fits each gradient to its input's type (a
    Python float for a float), the unchecked ones leave that to the graph's `finalize`."""
    if type(x) is Partial:
        return ("Partial", sorted((i, _bits(g)) for i, g in x.parts.items()))
    if isinstance(x, np.ndarray | np.generic | float):
        a = np.asarray(x)
        return (a.dtype.str, a.shape, a.tobytes())
    if isinstance(x, tuple | list):
        return (type(x).__name__, [_bits(v) for v in x])
    if hasattr(x, "__dataclass_fields__"):
        return (type(x).__name__, [_bits(getattr(x, n)) for n in x.__dataclass_fields__])
    return (type(x).__name__, repr(x))


def _run(
    how: str, record: Any, values: list[Any], backs: list[Any], seed: Any, log: list[Any]
) -> Any:
    """The gradient of node 0 by one of the three sweeps, with each continuation call, each
    Partial made whole and each addition of two gradients written to `log`."""

    def spy(i: int, back: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            log.append(("call", i, [_bits(a) for a in args]))
            return back(*args)

        return call

    backs = [b if b is None else spy(i, b) for i, b in enumerate(backs)]
    if how == "checked":
        record.validated, record._sweep = False, None
        run, names = record.gradient, tape_module.sweep.__globals__
    elif how == "unrolled":
        # Without parts: the parameter's views are stepped through as the engine does.
        source, names = replay._sweep_source(record.steps, record.out, {})
        run = replay._compile("sweep", source, names)
    else:
        run = replay._looped_sweep(record.steps, record.out)
        names = run.__globals__
    originals = {name: names[name] for name in ("accumulate", "finalize")}

    def accumulate(a: Any, b: Any) -> Any:
        if a is not None and b is not None:
            log.append(("add", _bits(a), _bits(b)))
        return originals["accumulate"](a, b)

    def finalize(x: Any, g: Any) -> Any:
        log.append(("finalize", _bits(x), _bits(g)))
        return originals["finalize"](x, g)

    with pytest.MonkeyPatch.context() as m:
        m.setitem(names, "accumulate", accumulate)
        m.setitem(names, "finalize", finalize)
        return run(values, backs, seed)


@dataclass
class Layer:
    w: np.ndarray
    b: np.ndarray


_pair = tp.op1(lambda x: ((x, 2.0 * x), lambda g: g[0] + 2.0 * g[1]), name="pair")
_scale = tp.op2(lambda w, x: (w * x, lambda g: (g * x, None)), name="scale")


def _views_partials_and_collects(p: tp.BVar[Any]) -> tp.BVar[float]:
    layer, s, _ = p.unpack()
    w, b = layer.view(lambda n: n.w), layer.view(lambda n: n.b)
    first, _ = _pair(s).unpack()  # pair's output gets a Partial, made whole before its step
    items = tp.sequence(tp.collect([w * s, tp.constant(np.ones(2)), b]))
    total = ops.sum(items[0] * items[1]) + ops.sum(items[2] * first)
    return total + ops.sum(ops.matvec(np.ones((3, 2)), w)) * s + first * first


def _parameters_used_twice(p: tp.BVar[Any]) -> tp.BVar[float]:
    a, v = p.unpack()
    y = ops.exp(a)
    _ = ops.sum(v * y)  # after the output needs it: never swept
    return y * a + ops.sum(v * v) * y + a


def _data(p: tp.BVar[Any], x: Any) -> tp.BVar[float]:
    w, v = p.unpack()  # matvec needs no gradient for x; scale gives None for it
    return ops.sum(ops.matvec(w, x) * v) + ops.sum(_scale(v, x))


_CASES = {
    "views_partials_collects": (
        _views_partials_and_collects,
        (Layer(np.array([0.5, -1.0]), np.array([2.0, 0.25])), 1.5, 3),
        (),
    ),
    "parameters_used_twice": (_parameters_used_twice, (0.5, np.array([1.0, -2.0])), ()),
    "data": (
        _data,
        (np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([1.0, 2.0])),
        (np.array([0.5, 3.0]),),
    ),
    "float32": (lambda v: ops.sum(ops.tanh(v) * v), np.array([0.5, -1.0], np.float32), ()),
}


@pytest.mark.parametrize("case", sorted(_CASES))
def test_the_checked_unrolled_and_looped_sweeps_run_the_same_steps(case: str) -> None:
    f, x, data = _CASES[case]
    graph = tp.trace(f, x, *data)
    record, leaves = graph._record_for(x, data)
    runs = {}
    for how in ("checked", "unrolled", "looped"):
        values, backs, value = record.replay(x, leaves)
        log: list[Any] = []
        g = _run(how, record, values, backs, np.ones_like(value)[()], log)
        runs[how] = (_bits(g), log)
    seen = {entry[0] for entry in runs["checked"][1]}  # what the spies saw
    assert {"call", "add"} <= seen
    assert ("finalize" in seen) == (case == "views_partials_collects")
    assert runs["unrolled"] == runs["checked"]
    assert runs["looped"] == runs["checked"]


@pytest.mark.parametrize("case", ["data", "parameters_used_twice", "views_partials_collects"])
def test_the_parameters_parts_take_no_step_and_give_the_checked_gradient(case: str) -> None:
    # The unrolled sweep a graph runs once validated takes no step at the parameter's parts
    # (views of it, and of them) and `assemble` puts the gradient together: the same bits as
    # the engine's checked sweep, which steps through the views and finalizes Partials.
    f, x, data = _CASES[case]
    graph = tp.trace(f, x, *data)
    record, _ = graph._record_for(x, data)
    checked = graph.grad(x, *data)
    assert record.validated and record.parts
    assert _bits(graph.grad(x, *data)) == _bits(checked)
    source, _ = replay._sweep_source(record.steps, record.out, record.parts)
    parts = [n for items in record.parts.values() for n, _ in items]
    assert parts and all(f"b{n}(" not in source for n in parts)
    assert _bits(tp.grad(lambda p: f(p, *data), x)) == _bits(checked)


# ---------------------------------------------------------------------------------------------
# Memory: a node's value is let go before its own continuation runs
# ---------------------------------------------------------------------------------------------


class Big:
    """A large value that an op gives and its continuation does not hold (weakref-able), its
    own gradient's type."""

    def __init__(self, x: float) -> None:
        self.data = np.full(1000, x)

    def zero(self) -> "Big":
        return Big(0.0)

    def add(self, other: "Big") -> "Big":
        return Big(float(self.data[0] + other.data[0]))

    def one(self) -> "Big":
        return Big(1.0)


@pytest.mark.parametrize("how", ["unrolled", "looped"])
@pytest.mark.parametrize("viewed", [False, True], ids=["whole", "viewed"])
def test_a_node_value_is_freed_before_its_continuation_runs(
    how: str, viewed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Also for a node that may get a Partial (it is viewed), whose step reads its value."""
    if how == "looped":
        monkeypatch.setattr(replay, "_UNROLL_LIMIT", 0)
    ref: list[weakref.ref[Any]] = []
    alive: list[bool] = []

    def expand(x: float) -> tuple[Any, Callable[[Any], float]]:
        big = (Big(x), x) if viewed else Big(x)
        ref[:] = [weakref.ref(big[0] if viewed else big)]

        def back(g: Any) -> float:
            alive.append(ref[0]() is not None)
            part = g[0] if viewed else g
            return float(part.data.sum()) if part is not None else 0.0

        return big, back

    expand_op = tp.op1(expand, name="expand")
    total = tp.op1(lambda b: (float(b.data.sum()), lambda g: Big(g)), name="total")

    def f(x: tp.BVar[float]) -> tp.BVar[float]:
        y = expand_op(x)
        return total(y.view(lambda t: t[0]) if viewed else y) * 2.0

    graph = tp.trace(f, 1.5)
    for _ in range(3):
        assert graph.grad(1.5) == 2000.0
    # The first gradient goes through the checked sweep, whose caller holds the values.
    assert alive[1:] == [False, False]


# ---------------------------------------------------------------------------------------------
# Nothing but the step calls a continuation or adds a gradient
# ---------------------------------------------------------------------------------------------

# What a sweep's own code (around the step, and in what it fills the step's holes with) may
# call: its loop and its bookkeeping, nothing of a node.
_BOOKKEEPING = {"checks_enabled", "clear", "enumerate", "len", "range", "set", "tuple", "zip"}


def _calls(source: str) -> set[str]:
    """The names of the functions and methods `source` calls."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.id if isinstance(func, ast.Name) else ast.unparse(func).split(".")[-1])
    return names


def test_the_sweeps_call_continuations_and_add_gradients_only_through_the_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each sweep made with the step left out (`pass` in its place) calls nothing of a node,
    nor does anything it fills the step's holes with: every continuation call, every gradient
    added or made whole, every check is the step's."""
    given: list[str] = []

    def stub(facts: Any, places: Any, inputs: sweep_module.Inputs) -> list[str]:
        given.extend(f for f in facts.values() if isinstance(f, str))
        given.extend(v for v in places.values() if v)
        for input_facts, input_places in inputs.each:
            given.extend(f for f in input_facts.values() if isinstance(f, str))
            given.extend(input_places.values())
        if inputs.loop is not None:
            given.append(inputs.loop + "\n    pass")
        return ["pass"]

    monkeypatch.setattr(sweep_module, "step", stub)
    monkeypatch.setattr(replay, "sweep_step", stub)
    graph = tp.trace(_views_partials_and_collects, _CASES["views_partials_collects"][1])
    (record,) = graph._records.values()
    sources = [
        tape_module._sweep_source(),
        replay._looped_sweep_source(),
        replay._sweep_source(record.steps, record.out, {})[0],
        replay._sweep_source(record.steps, record.out, record.parts)[0],
    ]
    assert len(given) > 20
    for piece in given:
        # Fields the sweeps fill in later (`{into}`, an unrolled step's `{i}`) as plain names.
        assert _calls(re.sub(r"\{\w+\}", "x", piece)) <= _BOOKKEEPING, piece
    for source in sources:
        assert _calls(source) <= _BOOKKEEPING, source
