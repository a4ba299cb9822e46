"""The runtime side of static shapes: `shapecheck` (jaxtyping + beartype, dimensions bound
across a call) and the constructors whose sizes mypy knows (`zeros`, `ones`, `normal`).

What mypy says about the same hints is in the static cases (`test_static.py`, `cases/plugin/`).
"""

import copy
import pickle
import re
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pytest
from jaxtyping import Float

import typedprop as tp
from typedprop import Mat, Vec, optim


@tp.shapecheck
def _dense(w: Float[Mat, "o i"], x: Float[Vec, " i"]) -> Float[Vec, " o"]:
    return w @ x


@tp.shapecheck
def _wrong(x: Float[Vec, " n"]) -> Float[Vec, " n"]:
    return np.ones(3)


@tp.shapecheck
def _bvar_dense(
    w: tp.BVar[Float[Mat, "o i"]], x: tp.BVar[Float[Vec, " i"]]
) -> tp.BVar[Float[Vec, " o"]]:
    return tp.ops.matvec(w, x)


class _Model:
    @tp.shapecheck
    def __call__(self, x: Float[Vec, " 4"]) -> Float[Vec, " 2"]:
        return np.ones(2) * x.sum()


def test_shapecheck_binds_dimensions_across_arguments() -> None:
    assert _dense(np.ones((2, 3)), np.ones(3)).shape == (2,)
    with pytest.raises(tp.CheckError) as e:
        _dense(np.ones((2, 3)), np.ones(4))
    assert str(e.value) == (
        "_dense: argument 'x' has shape (4,) and dtype float64, which does not fit "
        "Float[ndarray, 'i'] (dimension i: 4 (argument 'x', axis 0) vs 3 (argument 'w', axis 1))"
    )


def test_shapecheck_checks_the_return_value() -> None:
    assert _wrong(np.ones(3)).shape == (3,)
    with pytest.raises(tp.CheckError, match=r"_wrong: the return value has shape \(3,\)"):
        _wrong(np.ones(4))
    # A check that passed is remembered per shape; a new shape is checked again.
    with pytest.raises(tp.CheckError, match="the return value"):
        _wrong(np.ones(5))


def test_shapecheck_follows_the_switch() -> None:
    with tp.checks(False):
        assert _dense(np.ones((2, 3)), np.ones(3)).shape == (2,)
        with pytest.raises(ValueError):  # numpy's own error: no CheckError
            _dense(np.ones((2, 3)), np.ones(4))


def test_shapecheck_checks_bvar_values() -> None:
    g = tp.grad(lambda w: tp.ops.sum(_bvar_dense(w, tp.constant(np.ones(3)))), np.ones((2, 3)))
    assert g.shape == (2, 3)
    with pytest.raises(tp.CheckError, match="dimension i: 4"):
        tp.grad(lambda w: tp.ops.sum(_bvar_dense(w, tp.constant(np.ones(4)))), np.ones((2, 3)))


def test_shapecheck_on_dunder_call() -> None:
    assert _Model()(np.ones(4)).shape == (2,)
    with pytest.raises(tp.CheckError, match="__call__: argument 'x' has shape"):
        _Model()(np.ones(5))


@tp.shapecheck
class _Layer(NamedTuple):
    w: Float[Mat, "out in"]
    b: Float[Vec, " out"]


@tp.shapecheck
@dataclass
class _Recurrent:
    w: Float[Mat, "h h"]
    u: Float[Vec, " h"]


def test_shapecheck_on_a_namedtuple_checks_its_constructor() -> None:
    layer = _Layer(np.ones((2, 3)), np.zeros(2))
    assert type(layer) is _Layer and layer.b.shape == (2,)
    with pytest.raises(tp.CheckError) as e:
        _Layer(np.ones((2, 3)), b=np.zeros(3))
    assert str(e.value) == (
        "_Layer: argument 'b' has shape (3,) and dtype float64, which does not fit "
        "Float[ndarray, 'out'] (dimension out: 3 (argument 'b', axis 0) vs 2 (argument 'w', "
        "axis 0))"
    )
    with tp.checks(False):
        assert _Layer(np.ones((2, 3)), np.zeros(3)).b.shape == (3,)


def test_shapecheck_on_a_dataclass_checks_its_constructor() -> None:
    assert _Recurrent(np.eye(2), np.zeros(2)).w.shape == (2, 2)
    with pytest.raises(tp.CheckError) as e:
        _Recurrent(np.ones((2, 3)), np.zeros(2))
    assert str(e.value).endswith(
        "(dimension h: 3 (argument 'w', axis 1) vs 2 (argument 'w', axis 0))"
    )
    with pytest.raises(tp.CheckError, match=r"_Recurrent: argument 'u' has shape \(3,\)"):
        _Recurrent(w=np.eye(2), u=np.zeros(3))


def test_checked_structures_are_rebuilt_without_a_check() -> None:
    """Gradients and optimizer steps rebuild a structure without calling its constructor: one
    check at construction, none per step (and pickling goes through the constructor)."""
    layer = _Layer(np.ones((2, 3)), np.zeros(2))
    rnn = _Recurrent(np.eye(2), np.zeros(2))
    g = tp.grad(lambda p: tp.ops.sum(p.unpack()[1]), layer)
    assert type(g) is _Layer and g.w.shape == (2, 3)
    assert type(tp.grad(lambda p: tp.ops.sum(p.view(lambda r: r.u)), rnn)) is _Recurrent
    assert type(optim.SGD(layer, lr=0.1).step(layer, g)) is _Layer
    assert pickle.loads(pickle.dumps(layer)).w.shape == (2, 3)
    assert copy.deepcopy(rnn).u.shape == (2,)
    assert _Layer._make([np.ones(2), np.ones(5)]).b.shape == (5,)  # _make: no check


def test_shapecheck_refuses_other_classes() -> None:
    class Plain:
        w: Float[Mat, "m n"]

    with pytest.raises(
        TypeError, match="Plain is a class but neither a NamedTuple nor a dataclass"
    ):
        tp.shapecheck(Plain)


def test_constructors() -> None:
    assert tp.zeros(2, 3).shape == (2, 3) and tp.zeros(2, 3).dtype == np.float64
    assert np.array_equal(tp.ones(3), np.ones(3))
    w = tp.normal(200, 100, loc=1.0, scale=0.5, rng=0)
    assert w.shape == (200, 100) and abs(w.mean() - 1.0) < 0.01 and abs(w.std() - 0.5) < 0.01
    assert np.array_equal(tp.normal(3, rng=1), tp.normal(3, rng=np.random.default_rng(1)))
    with pytest.raises(TypeError, match=r"pass the sizes as separate arguments"):
        tp.zeros((2, 3))  # type: ignore[call-overload]


@pytest.mark.parametrize(
    "dtype", [np.float32, np.float16, np.float64, np.dtype(np.float32), "float32", "f4", float]
)
def test_constructors_take_a_float_dtype(dtype: object) -> None:
    expected = np.dtype(dtype)  # type: ignore[call-overload]
    for made in (
        tp.zeros(2, 3, dtype=dtype),  # type: ignore[call-overload]
        tp.ones(4, dtype=dtype),  # type: ignore[call-overload]
        tp.normal(3, 2, 2, rng=0, dtype=dtype),  # type: ignore[call-overload]
        tp.zeros(dtype=dtype),  # type: ignore[call-overload]
    ):
        assert type(made) is np.ndarray and made.dtype == expected
    assert tp.zeros(2, 3, dtype=dtype).shape == (2, 3)  # type: ignore[call-overload]
    assert np.array_equal(tp.ones(2, dtype=dtype), np.ones(2, dtype=expected))  # type: ignore[call-overload]


def test_normal_in_float32_is_float64_rounded() -> None:
    # The same seed gives the same weights in every dtype, to its precision.
    w64 = tp.normal(50, 20, loc=1.0, scale=0.5, rng=3)
    w32 = tp.normal(50, 20, loc=1.0, scale=0.5, rng=3, dtype=np.float32)
    assert w32.dtype == np.float32
    assert np.array_equal(w32, w64.astype(np.float32))


def test_a_float32_model_without_a_cast() -> None:
    # The runtime checks of ops and shapecheck take float32 arrays as float64 ones.
    w, x = tp.normal(3, 4, rng=0, dtype=np.float32), tp.ones(4, dtype=np.float32)
    y = _dense(w, x)
    assert y.dtype == np.float32 and y.shape == (3,)
    g = tp.grad(lambda p: tp.ops.sum(tp.ops.matvec(p, x)), w)
    assert g.dtype == np.float32 and g.shape == (3, 4)


@pytest.mark.parametrize(
    ("dtype", "shown"),
    [
        (int, "dtype=int is not a float dtype (int64)"),
        (np.int32, "dtype=np.int32 is not a float dtype (int32)"),
        (complex, "dtype=complex is not a float dtype (complex128)"),
        (np.complex64, "dtype=np.complex64 is not a float dtype (complex64)"),
        (object, "dtype=object is not a float dtype (object)"),
        (np.bool_, "dtype=np.bool is not a float dtype (bool)"),
        ("int8", "dtype='int8' is not a float dtype (int8)"),
        ("not a dtype", "dtype='not a dtype' is not a numpy dtype"),
    ],
)
def test_constructors_refuse_other_dtypes(dtype: object, shown: str) -> None:
    for name, make in [
        ("zeros", lambda: tp.zeros(2, dtype=dtype)),  # type: ignore[call-overload]
        ("ones", lambda: tp.ones(2, 2, dtype=dtype)),  # type: ignore[call-overload]
        ("normal", lambda: tp.normal(2, rng=0, dtype=dtype)),  # type: ignore[call-overload]
    ]:
        with pytest.raises(tp.CheckError, match=re.escape(f"{name}: {shown}")):
            make()


def test_reveal_shape_prints_the_runtime_shape_and_returns_its_argument(
    capsys: pytest.CaptureFixture[str],
) -> None:
    x = tp.zeros(2, 3)
    assert tp.reveal_shape(x) is x
    v = tp.constant(x)
    assert tp.reveal_shape(v) is v
    assert tp.reveal_shape(1.5) == 1.5
    assert capsys.readouterr().err.splitlines() == [
        "Runtime shape is (2, 3)",
        "Runtime shape is (2, 3)",
        "Runtime shape is ()",
    ]
