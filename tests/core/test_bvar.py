"""The variable, `BVar[T]` (`typedprop._core.bvar`): what a BVar refuses (truth values, numpy
arrays, ufuncs, unsupported constants), its repr, and the accessors that take structured values
apart and put them together (`view`, `unpack`, `sequence`, `collect`)."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import typedprop as tp
from typedprop import BVar, Vec
from typedprop.testing import check_grads

from support import assert_same_structure, total

_UNSUPPORTED_SET = "typedprop cannot differentiate a value of type set: give the class zero"


def test_constant_of_an_unsupported_value() -> None:
    with pytest.raises(TypeError, match="^" + re.escape("constant: " + _UNSUPPORTED_SET)):
        tp.constant({1})
    with pytest.raises(TypeError, match="^" + re.escape("constant at x[0]: " + _UNSUPPORTED_SET)):
        tp.constant([{1}])


# ---------------------------------------------------------------------------------------------
# Constants, truth values, repr
# ---------------------------------------------------------------------------------------------


def test_constant_gets_no_gradient() -> None:
    def f(a: tp.BVar[float], b: tp.BVar[float]) -> tp.BVar[float]:
        frozen = tp.constant(b.value)  # b's value, cut off from b
        return a * frozen * frozen + tp.constant(5.0)

    value, (ga, gb) = tp.backprop_n(f, 2.0, 3.0)
    assert value == 2.0 * 9.0 + 5.0
    assert ga == 9.0
    assert type(gb) is float and gb == 0.0


def test_constant_output_gives_zero_gradient() -> None:
    x = {"w": np.ones((2, 2), np.float32), "s": 1.0, "n": 3}
    value, g = tp.backprop(lambda p: tp.constant(4.0), x)
    assert value == 4.0
    assert list(g) == ["w", "s", "n"]
    assert g["w"].dtype == np.float32 and g["w"].shape == (2, 2) and not g["w"].any()
    assert type(g["s"]) is float and g["s"] == 0.0
    assert type(g["n"]) is int and g["n"] == 0


def test_bvar_has_no_truth_value() -> None:
    message = re.escape(
        "a BVar has no truth value: branch on its plain value (`if x.value > 0:`), which the "
        "gradient does not flow through"
    )
    with pytest.raises(TypeError, match=message):
        bool(tp.constant(1.0))

    def f(x: tp.BVar[float]) -> tp.BVar[float]:
        if x:  # type: ignore[truthy-bool]
            return x
        return x * 2.0

    with pytest.raises(TypeError, match=message):
        tp.grad(f, 1.0)


def test_bvar_repr() -> None:
    assert repr(tp.constant(1.5)) == "BVar(1.5, constant)"
    seen: list[str] = []

    def f(x: tp.BVar[float]) -> tp.BVar[float]:
        seen.append(repr(x))
        return x

    tp.grad(f, 2.0)
    assert seen == ["BVar(2.0, node 0)"]


# ---------------------------------------------------------------------------------------------
# view, unpack, sequence, collect
# ---------------------------------------------------------------------------------------------


@dataclass
class Net:
    layers: list[dict[str, np.ndarray]]
    gain: float
    pair: tuple[float, float]


def _net() -> Net:
    return Net(
        layers=[{"w": np.array([1.0, 2.0]), "b": np.array([0.5])}, {"w": np.array([-1.0, 3.0])}],
        gain=2.0,
        pair=(4.0, 5.0),
    )


def test_view_nested_paths_and_negative_indices() -> None:
    x = _net()

    def f(p: tp.BVar[Net]) -> tp.BVar[Any]:
        first_w = p.view(lambda m: m.layers[0]["w"])
        last_w = p.view(lambda m: m.layers[-1]["w"])
        b = p.view(lambda m: m.layers[0]["b"])
        second = p.view(lambda m: m.pair[-1])
        return (first_w @ last_w) * p.view(lambda m: m.gain) + total(b) * second

    value, g = tp.backprop(f, x)
    assert_same_structure(g, x)
    w0, w1 = x.layers[0]["w"], x.layers[1]["w"]
    assert value == pytest.approx((w0 @ w1) * 2.0 + 0.5 * 5.0)
    np.testing.assert_allclose(g.layers[0]["w"], 2.0 * w1)
    np.testing.assert_allclose(g.layers[1]["w"], 2.0 * w0)
    np.testing.assert_allclose(g.layers[0]["b"], [5.0])
    assert g.gain == pytest.approx(w0 @ w1)
    assert g.pair == (0.0, 0.5)
    check_grads(f, x)


def test_view_of_a_view() -> None:
    x = _net()

    def f(p: tp.BVar[Net]) -> tp.BVar[Any]:
        layer = p.view(lambda m: m.layers[1])
        w = layer.view(lambda d: d["w"])
        pair = p.view(lambda m: m.pair)
        a, b = pair.unpack()
        return (w @ w) * a + b

    g = tp.grad(f, x)
    assert_same_structure(g, x)
    np.testing.assert_allclose(g.layers[1]["w"], 2 * 4.0 * x.layers[1]["w"])
    assert g.pair == (10.0, 1.0)
    assert not g.layers[0]["w"].any()
    check_grads(f, x)


def test_identity_view_is_the_whole() -> None:
    x = (2.0, 3.0)
    g = tp.grad(lambda p: p.view(lambda t: t).view(lambda t: t[0]) * 5.0, x)
    assert g == (5.0, 0.0)


def test_same_part_viewed_twice_sums() -> None:
    x = {"a": 3.0, "b": 1.0}
    g = tp.grad(lambda p: p.view(lambda d: d["a"]) * p.view(lambda d: d["a"]), x)
    assert g == {"a": 6.0, "b": 0.0}


@tp.op1
def sum_of_squares(d: dict[str, np.ndarray]) -> tuple[float, Callable[[float], dict[str, Any]]]:
    value = float(sum(v @ v for v in d.values()))
    return value, lambda g: {k: 2.0 * g * v for k, v in d.items()}


def test_parameter_used_through_views_and_whole() -> None:
    x = {"a": np.array([1.0, 2.0]), "b": np.array([-1.0, 0.5, 3.0])}

    def f(p: tp.BVar[dict[str, np.ndarray]]) -> tp.BVar[Any]:
        a = p.view(lambda d: d["a"])
        b = p.view(lambda d: d["b"])
        return sum_of_squares(p) * 0.5 + total(a * 3.0) + total(b * b * b)

    value, g = tp.backprop(f, x)
    assert_same_structure(g, x)
    a, b = x["a"], x["b"]
    assert value == pytest.approx(0.5 * (a @ a + b @ b) + 3 * a.sum() + (b**3).sum())
    np.testing.assert_allclose(g["a"], a + 3.0)
    np.testing.assert_allclose(g["b"], b + 3 * b * b)
    check_grads(f, x)


def test_view_on_a_constant_is_a_constant() -> None:
    c = tp.constant((2.0, np.array([1.0, 4.0])))

    def f(x: tp.BVar[float]) -> tp.BVar[Any]:
        part = c.view(lambda t: t[1])
        assert repr(part).endswith("constant)")
        return total(part) * x

    assert tp.backprop(f, 3.0) == (15.0, 5.0)


def test_unpack_tuple() -> None:
    x = (1.0, np.array([2.0, 3.0]), np.float32(4.0))

    def f(p: tp.BVar[Any]) -> tp.BVar[Any]:
        a, v, s = p.unpack()
        return total(v) * a + s * 1.0 * a

    g = tp.grad(f, x)
    assert_same_structure(g, x)
    assert g[0] == pytest.approx(5.0 + 4.0)
    np.testing.assert_allclose(g[1], [1.0, 1.0])
    assert g[2] == np.float32(1.0)


def test_sequence_and_collect_round_trip() -> None:
    x = [1.0, 2.0, 3.0]

    def f(p: tp.BVar[list[float]]) -> tp.BVar[float]:
        items = tp.sequence(p)
        squared = tp.collect([v * v for v in items])
        a, b, c = tp.sequence(squared)
        return a + b * 2.0 + c * 3.0

    g = tp.grad(f, x)
    assert_same_structure(g, x)
    assert g == [2.0, 8.0, 18.0]
    check_grads(f, x)


def test_collect_with_constants_and_repeats() -> None:
    def f(x: tp.BVar[float]) -> tp.BVar[float]:
        ys = tp.collect([x, tp.constant(10.0), x * x, x])
        a, c, b, d = tp.sequence(ys)
        return a * c + b + d * 4.0

    value, g = tp.backprop(f, 3.0)
    assert value == 3.0 * 10.0 + 9.0 + 12.0
    assert g == 10.0 + 6.0 + 4.0


def test_collect_of_constants_is_a_constant() -> None:
    ys = tp.collect([tp.constant(1.0), tp.constant(2.0)])
    assert ys.value == [1.0, 2.0]
    assert repr(ys).endswith("constant)")
    assert tp.collect([]).value == []


# ---------------------------------------------------------------------------------------------
# The accessors' errors
# ---------------------------------------------------------------------------------------------


def test_unpack_on_a_non_tuple() -> None:
    with pytest.raises(tp.CheckError, match=re.escape("unpack: expected a tuple, got list")):
        tp.grad(lambda p: p.unpack()[0], [1.0, 2.0])
    with pytest.raises(tp.CheckError, match=re.escape("unpack: expected a tuple, got dict")):
        tp.grad(lambda p: p.unpack()[0], {"a": 1.0})


def test_sequence_on_a_non_list() -> None:
    with pytest.raises(tp.CheckError, match=re.escape("sequence: expected a list, got tuple")):
        tp.grad(lambda p: tp.sequence(p)[0], (1.0, 2.0))
    with pytest.raises(tp.CheckError, match=re.escape("sequence: expected a list, got float")):
        tp.grad(lambda p: tp.sequence(p)[0], 1.0)  # type: ignore[arg-type]


def test_collect_of_a_non_bvar() -> None:
    with pytest.raises(tp.CheckError, match=re.escape("collect: item 1 is a float, not a BVar")):
        tp.grad(lambda x: tp.sequence(tp.collect([x, 2.0]))[0], 1.0)  # type: ignore[list-item]


# ---------------------------------------------------------------------------------------------
# What a BVar refuses: numpy arrays and ufuncs
# ---------------------------------------------------------------------------------------------


def test_numpy_functions_refuse_a_bvar_or_record_it() -> None:
    def f(v: BVar[Vec]) -> BVar[float]:
        np.asarray(v)  # what a user might try
        return v @ v

    with pytest.raises(TypeError, match="a BVar cannot become a numpy array"):
        tp.grad(f, np.ones(3))
    # numpy's reductions call the array's method, BVar's sum among them: they record.
    assert tp.grad(lambda v: np.sum(v * v), np.ones(3)).tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(tp.CheckError, match="sum: argument 'out' is not supported on a BVar"):
        np.sum(tp.constant(np.ones(3)), out=np.zeros(()))
    with pytest.raises(TypeError, match="does not support ufuncs"):
        np.exp(tp.constant(np.ones(3)))
