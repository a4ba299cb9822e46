"""The reductions family (`typedprop.ops._reductions`) beyond the op table: axis errors, ties of
max and min, prod with zeros, the stable exponentials (logsumexp, softmax, log_softmax) at 1e3
and 1e4 and with -inf entries, the documented edge values (std of a constant, norm at zero,
too few degrees of freedom), and float32 kept through the edge paths.

Gradients and values on random points, in float64, float32 and against HIPS autograd, are in
tests/ops/test_table.py (cases in tests/opcases/reductions.py). pytest runs with warnings as errors,
so every test here also shows the absence of warnings where it expects none.
"""

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import typedprop as tp
from typedprop import ops

REDUCTIONS: dict[str, Callable[..., Any]] = {
    "sum": ops.sum,
    "mean": ops.mean,
    "var": ops.var,
    "std": ops.std,
    "max": ops.max,
    "min": ops.min,
    "prod": ops.prod,
    "logsumexp": ops.logsumexp,
    "norm": ops.norm,
}
NAMES = list(REDUCTIONS)
X23 = np.arange(6.0).reshape(2, 3)


def _exact(value: Any, expected: Any, ulps: int = 1) -> None:
    """`value` equals `expected` (computed in long double) to `ulps` units in the last place."""
    expected = np.asarray(expected, dtype=np.float64)
    np.testing.assert_array_max_ulp(value, expected, maxulp=ulps)


# ---------------------------------------------------------------------------------------------
# Axis errors, with checks on and off
# ---------------------------------------------------------------------------------------------


def test_axis_out_of_range_exact_message() -> None:
    with pytest.raises(tp.CheckError) as e:
        ops.sum(X23, axis=2)
    assert str(e.value) == "sum: axis 2 is out of range for argument 'x' of shape (2, 3) (2 axes)"


@pytest.mark.parametrize("checks", [True, False], ids=["checks-on", "checks-off"])
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    ("axis", "message"),
    [
        (2, "axis 2 is out of range for argument 'x' of shape (2, 3) (2 axes)"),
        (-3, "axis -3 is out of range for argument 'x' of shape (2, 3) (2 axes)"),
        ((0, 5), "axis 5 is out of range for argument 'x' of shape (2, 3) (2 axes)"),
        ((0, -2), "axis (0, -2) names an axis of argument 'x' of shape (2, 3) twice"),
        ((1, 1), "axis (1, 1) names an axis of argument 'x' of shape (2, 3) twice"),
        (1.0, "axis must be an int, a tuple of ints or None, got float"),
        ((0, "1"), "axis must be an int, a tuple of ints or None, got str"),
        (True, "axis must be an int, a tuple of ints or None, got bool"),
    ],
)
def test_axis_errors(name: str, axis: Any, message: str, checks: bool) -> None:
    with tp.checks(checks), pytest.raises(tp.CheckError, match=re.escape(f"{name}: {message}")):
        tp.grad(lambda x: ops.sum(REDUCTIONS[name](x, axis=axis)), X23)


@pytest.mark.parametrize("name", NAMES)
def test_axis_of_a_scalar_is_out_of_range(name: str) -> None:
    message = f"{name}: axis 0 is out of range for argument 'x' of shape () (0 axes)"
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        REDUCTIONS[name](2.0, axis=0)


@pytest.mark.parametrize("op", [ops.softmax, ops.log_softmax], ids=["softmax", "log_softmax"])
def test_along_axis_errors(op: Any) -> None:
    name = op.__name__
    with pytest.raises(tp.CheckError, match=re.escape(f"{name}: axis must be an int, got tuple")):
        op(X23, axis=(0, 1))
    with pytest.raises(
        tp.CheckError, match=re.escape(f"{name}: axis must be an int, got NoneType")
    ):
        op(X23, axis=None)
    message = f"{name}: axis 2 is out of range for argument 'x' of shape (2, 3) (2 axes)"
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        op(X23, axis=2)
    message = f"{name}: axis -1 is out of range for argument 'x' of shape () (0 axes)"
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad(lambda x: ops.sum(op(x)), 1.0)


@pytest.mark.parametrize("name", ["max", "min", "logsumexp"])
def test_empty_slice_has_no_extreme(name: str) -> None:
    message = f"{name}: argument 'x' of shape (0, 3) has no elements to reduce along axes (0,)"
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        REDUCTIONS[name](np.zeros((0, 3)), axis=0)


def test_a_failed_op_leaves_the_tape_usable() -> None:
    def f(x: tp.BVar[tp.Mat]) -> tp.BVar[float]:
        with pytest.raises(tp.CheckError):
            ops.max(x, axis=3)
        return ops.max(x)

    np.testing.assert_array_equal(tp.grad(f, X23), [[0, 0, 0], [0, 0, 1]])


# ---------------------------------------------------------------------------------------------
# Values against numpy, including scalars
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "max", "min", "prod"])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2), (2, 1, 0)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_values_are_numpys(name: str, axis: Any, keepdims: bool) -> None:
    x = np.random.default_rng(0).normal(size=(4, 2, 3))
    expected = getattr(np, name)(x, axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(REDUCTIONS[name](x, axis=axis, keepdims=keepdims), expected)


@pytest.mark.parametrize("ddof", [0, 1, 2])
@pytest.mark.parametrize("name", ["var", "std"])
def test_ddof_values_are_numpys(name: str, ddof: int) -> None:
    x = np.random.default_rng(1).normal(size=(4, 3))
    for axis in [None, 0, 1]:
        expected = getattr(np, name)(x, axis=axis, ddof=ddof)
        np.testing.assert_array_equal(REDUCTIONS[name](x, axis=axis, ddof=ddof), expected)


def test_norm_is_numpys_2_norm_and_frobenius() -> None:
    x = np.random.default_rng(2).normal(size=(4, 3))
    np.testing.assert_allclose(ops.norm(x), np.linalg.norm(x, "fro"))
    np.testing.assert_allclose(ops.norm(x, axis=1), np.linalg.norm(x, axis=1))
    np.testing.assert_allclose(ops.norm(x, axis=(1, 0)), np.linalg.norm(x))
    assert ops.norm(-3.0) == 3.0


def test_full_reductions_give_scalars() -> None:
    for name, op in REDUCTIONS.items():
        value = op(X23)
        assert isinstance(value, np.float64), f"{name} gave {type(value).__name__}"
        with_bvar = tp.evaluate(lambda x, op=op: op(x), X23)
        assert isinstance(with_bvar, np.float64)
        assert np.shape(op(X23, keepdims=True)) == (1, 1)


# ---------------------------------------------------------------------------------------------
# max and min: ties share the gradient evenly
# ---------------------------------------------------------------------------------------------


def test_max_splits_the_gradient_between_ties() -> None:
    np.testing.assert_array_equal(tp.grad(ops.max, np.array([1.0, 3.0, 3.0])), [0, 0.5, 0.5])


def test_min_splits_the_gradient_between_three_ties() -> None:
    g = tp.grad(ops.min, np.array([2.0, 1.0, 1.0, 1.0]))
    np.testing.assert_allclose(g, [0, 1 / 3, 1 / 3, 1 / 3], rtol=1e-15)


def test_ties_per_slice_with_axis_and_keepdims() -> None:
    x = np.array([[1.0, 4.0, 4.0], [5.0, 2.0, 5.0], [7.0, 7.0, 7.0]])
    seed = np.array([[1.0], [2.0], [3.0]])
    _, g = tp.backprop_with(lambda v: ops.max(v, axis=1, keepdims=True), x, seed)
    np.testing.assert_allclose(g, [[0, 0.5, 0.5], [1, 0, 1], [1, 1, 1]], rtol=1e-15)
    g = tp.grad(lambda v: ops.sum(ops.min(v, axis=0)), x)
    np.testing.assert_allclose(g, [[1, 0, 1], [0, 1, 0], [0, 0, 0]])


def test_max_over_tuple_axes_ties() -> None:
    x = np.zeros((2, 2, 2))
    x[0, 0, 1] = x[1, 0, 0] = 5.0
    g = tp.grad(lambda v: ops.sum(ops.max(v, axis=(0, 2))), x)
    expected = np.full((2, 2, 2), 0.25)  # the second row: four ties of 0
    expected[:, 0, :] = 0.0
    expected[0, 0, 1] = expected[1, 0, 0] = 0.5
    np.testing.assert_array_equal(g, expected)


def test_max_with_nan_gives_nan_and_sends_the_gradient_to_it() -> None:
    x = np.array([1.0, np.nan, 3.0])
    value, g = tp.backprop(ops.max, x)
    assert np.isnan(value)
    np.testing.assert_array_equal(g, [0, 1, 0])


# ---------------------------------------------------------------------------------------------
# prod: the gradient is the product of the others, exact with zeros
# ---------------------------------------------------------------------------------------------


def test_prod_without_zeros_is_prod_over_x() -> None:
    x = np.array([2.0, -3.0, 0.5, 4.0])
    np.testing.assert_allclose(tp.grad(ops.prod, x), np.prod(x) / x, rtol=1e-15)


def test_prod_with_one_zero() -> None:
    # d/dx_i of x_0 x_1 x_2 is the product of the other two: only the zero's is non-zero.
    np.testing.assert_array_equal(tp.grad(ops.prod, np.array([2.0, 0.0, 4.0])), [0, 8, 0])


def test_prod_with_two_zeros() -> None:
    # Every product of the others still holds a zero.
    np.testing.assert_array_equal(tp.grad(ops.prod, np.array([0.0, 3.0, 0.0])), [0, 0, 0])


def test_prod_with_zeros_per_slice() -> None:
    x = np.array([[2.0, 0.0, 4.0], [1.0, 2.0, 3.0], [0.0, 5.0, 0.0]])
    seed = np.array([1.0, 10.0, 100.0])
    value, g = tp.backprop_with(lambda v: ops.prod(v, axis=1), x, seed)
    np.testing.assert_array_equal(value, [0, 6, 0])
    np.testing.assert_array_equal(g, [[0, 8, 0], [60, 30, 20], [0, 0, 0]])
    # The same along axis 0: the columns' products of the others.
    g = tp.grad(lambda v: ops.sum(ops.prod(v, axis=0)), x)
    np.testing.assert_array_equal(g, [[0, 10, 0], [0, 0, 0], [2, 0, 12]])


def test_prod_with_a_zero_over_tuple_axes() -> None:
    x = np.arange(1.0, 9.0).reshape(2, 2, 2)
    x[1, 0, 1] = 0.0  # in the slice x[:, 0, :] = [1, 2, 5, 0]
    g = tp.grad(lambda v: ops.sum(ops.prod(v, axis=(0, 2))), x)
    expected = np.zeros((2, 2, 2))
    expected[1, 0, 1] = 1 * 2 * 5
    expected[:, 1, :] = np.array([[4 * 7 * 8, 3 * 7 * 8], [3 * 4 * 8, 3 * 4 * 7]])
    np.testing.assert_array_equal(g, expected)


def test_prod_of_a_scalar_and_of_an_empty_axis() -> None:
    assert tp.backprop(ops.prod, 3.0) == (3.0, 1.0)
    value, g = tp.backprop(lambda v: ops.sum(ops.prod(v, axis=0)), np.zeros((0, 2)))
    assert value == 2.0
    assert g.shape == (0, 2)


# ---------------------------------------------------------------------------------------------
# Stability: logsumexp, softmax, log_softmax at 1e3 and 1e4 and with -inf
# ---------------------------------------------------------------------------------------------

LARGE = [1e3, 1e4, -1e3, -1e4]


def _long_logsumexp(x: Any) -> Any:
    x = np.asarray(x, dtype=np.longdouble)
    m = x.max()
    return m + np.log(np.sum(np.exp(x - m)))


@pytest.mark.parametrize("scale", LARGE)
def test_logsumexp_is_exact_at_large_magnitude(scale: float) -> None:
    x = np.array([scale, scale - 1.0, scale - 2.5, scale + 0.5])
    value, g = tp.backprop(ops.logsumexp, x)
    lse = _long_logsumexp(x)
    _exact(value, lse)
    # exp and the division each round once.
    _exact(g, np.exp(np.asarray(x, dtype=np.longdouble) - lse), ulps=4)


def test_logsumexp_of_equal_entries_is_exact() -> None:
    for x in [1e3, 1e4]:
        assert ops.logsumexp(np.array([x, x])) == x + np.log(2.0)


@pytest.mark.parametrize("scale", [1e3, 1e4])
def test_logsumexp_per_axis_at_large_magnitude(scale: float) -> None:
    x = np.array([[scale, 0.0, -scale], [scale, scale, scale]])
    value, g = tp.backprop_with(lambda v: ops.logsumexp(v, axis=1), x, np.ones(2))
    np.testing.assert_array_equal(value, [scale, scale + np.log(3.0)])
    np.testing.assert_allclose(g, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-15)


def test_logsumexp_ignores_minus_infinity() -> None:
    x = np.array([-np.inf, 0.0, 0.0])
    value, g = tp.backprop(ops.logsumexp, x)
    assert value == np.log(2.0)
    np.testing.assert_array_equal(g, [0, 0.5, 0.5])


def test_logsumexp_of_only_minus_infinity_is_minus_infinity_without_warning() -> None:
    value = ops.logsumexp(np.array([-np.inf, -np.inf]))
    assert value == -np.inf
    rows = ops.logsumexp(np.array([[-np.inf, -np.inf], [0.0, -np.inf]]), axis=1)
    np.testing.assert_array_equal(rows, [-np.inf, 0.0])


def test_logsumexp_of_only_minus_infinity_has_no_gradient() -> None:
    # The softmax of all -inf is 0 / 0: nan, with numpy's warning (documented).
    with pytest.warns(RuntimeWarning, match="invalid value"):
        g = tp.grad(ops.logsumexp, np.array([-np.inf, -np.inf]))
    assert np.isnan(g).all()


def _long_softmax(x: Any, axis: int = -1) -> Any:
    x = np.asarray(x, dtype=np.longdouble)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("scale", LARGE)
def test_softmax_is_exact_and_finite_at_large_magnitude(scale: float) -> None:
    x = np.array([[scale, scale - 1.0, -scale], [scale, scale, scale + 3.0]])
    w = np.array([[1.0, -2.0, 0.5], [3.0, 1.0, -1.0]])
    value, g = tp.backprop_with(ops.softmax, x, w)
    p = _long_softmax(x)
    _exact(value, p, ulps=4)  # exp and the division each round once
    # The gradient of sum(w * softmax(x)): p * (w - sum(w * p)), in long double.
    expected = p * (w - np.sum(w * p, axis=-1, keepdims=True))
    assert np.isfinite(g).all()
    np.testing.assert_allclose(g, np.asarray(expected, dtype=np.float64), rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize("scale", LARGE)
def test_log_softmax_is_exact_and_finite_at_large_magnitude(scale: float) -> None:
    x = np.array([[scale, 0.0, -scale], [scale, scale - 2.0, scale + 0.5]])
    w = np.array([[1.0, -2.0, 0.5], [3.0, 1.0, -1.0]])
    value, g = tp.backprop_with(ops.log_softmax, x, w)
    xl = np.asarray(x, dtype=np.longdouble)
    expected = xl - np.log(np.sum(np.exp(xl - xl.max(-1, keepdims=True)), -1, keepdims=True))
    expected -= xl.max(-1, keepdims=True)
    # x - shift is exact; log(sum) rounds once, the subtraction once.
    _exact(value, expected, ulps=4)
    # The gradient of sum(w * log_softmax(x)): w - softmax(x) * sum(w).
    expected_g = w - _long_softmax(x) * np.sum(w, axis=-1, keepdims=True)
    np.testing.assert_allclose(g, np.asarray(expected_g, dtype=np.float64), rtol=1e-15)


def test_log_softmax_stays_finite_where_softmax_underflows() -> None:
    x = np.array([1e4, 0.0, -1e4])
    np.testing.assert_array_equal(ops.log_softmax(x), [0.0, -1e4, -2e4])
    np.testing.assert_array_equal(ops.softmax(x), [1.0, 0.0, 0.0])


def test_softmax_along_axis_0() -> None:
    x = np.array([[1e4, 0.0], [1e4, 1e4]])
    np.testing.assert_array_equal(ops.softmax(x, axis=0), [[0.5, 0.0], [0.5, 1.0]])
    np.testing.assert_array_equal(ops.log_softmax(x, axis=0)[:, 1], [-1e4, 0.0])


def test_softmax_with_minus_infinity_entries() -> None:
    x = np.array([-np.inf, 1.0, 1.0])
    value, g = tp.backprop_with(ops.softmax, x, np.array([1.0, 2.0, 0.0]))
    np.testing.assert_array_equal(value, [0.0, 0.5, 0.5])
    np.testing.assert_array_equal(g, [0.0, 0.5, -0.5])
    value, g = tp.backprop_with(ops.log_softmax, x, np.array([1.0, 2.0, 0.0]))
    np.testing.assert_array_equal(value, [-np.inf, -np.log(2.0), -np.log(2.0)])
    np.testing.assert_array_equal(g, [1.0, 0.5, -1.5])


# ---------------------------------------------------------------------------------------------
# Documented edge values: std of a constant, degrees of freedom, norm at zero
# ---------------------------------------------------------------------------------------------


def test_std_of_a_constant_is_zero_with_a_nan_gradient() -> None:
    x = np.full(3, 2.0)
    assert ops.std(x) == np.std(x) == 0.0
    with pytest.warns(RuntimeWarning, match="invalid value encountered in divide"):
        g = tp.grad(ops.std, x)
    assert np.isnan(g).all()


def test_std_gradient_is_finite_for_a_non_constant_slice() -> None:
    x = np.array([[1.0, 1.0, 1.5], [1.0, 2.0, 3.0]])
    g = tp.grad(lambda v: ops.std(v, axis=1) @ np.array([0.0, 1.0]), x)
    np.testing.assert_array_equal(g[0], [0, 0, 0])
    np.testing.assert_allclose(g[1], [-1, 0, 1] / (3 * np.std(x[1])), rtol=1e-15)


def test_var_with_too_few_degrees_of_freedom_warns_like_numpy() -> None:
    x = np.array([1.0, 2.0])
    with pytest.warns(RuntimeWarning) as numpys:
        expected = np.var(x, ddof=2)
    with pytest.warns(RuntimeWarning) as ours:
        value = ops.var(x, ddof=2)
    assert value == expected == np.inf
    assert str(ours[0].message) == str(numpys[0].message) == "Degrees of freedom <= 0 for slice"
    assert "divide by zero" in str(ours[1].message)


def test_var_gradient_with_ddof() -> None:
    x = np.array([1.0, 2.0, 6.0])
    # d/dx_i of sum((x - mean)^2) / (n - 1): 2 (x_i - mean) / (n - 1).
    np.testing.assert_allclose(tp.grad(lambda v: ops.var(v, ddof=1), x), x - 3.0)


def test_norm_gradient_at_zero_is_zero_without_warning() -> None:
    assert tp.backprop(ops.norm, np.zeros(3)) == (0.0, pytest.approx(np.zeros(3)))
    x = np.array([[0.0, 3.0], [0.0, 4.0]])
    g = tp.grad(lambda v: ops.sum(ops.norm(v, axis=0)), x)
    np.testing.assert_array_equal(g, [[0.0, 0.6], [0.0, 0.8]])
    assert tp.grad(ops.norm, 0.0) == 0.0


def test_norm_gradient_is_the_unit_vector() -> None:
    x = np.array([[3.0, 0.0], [0.0, 4.0]])
    np.testing.assert_allclose(tp.grad(ops.norm, x), x / 5.0, rtol=1e-15)


# ---------------------------------------------------------------------------------------------
# float32 through the edge paths
# ---------------------------------------------------------------------------------------------

F32_CASES: list[tuple[str, Callable[[Any], Any], Any]] = [
    ("prod-zero", lambda v: ops.prod(v, axis=0), [[2.0, 0.0], [3.0, 0.0]]),
    ("max-ties", lambda v: ops.max(v, axis=1, keepdims=True), [[1.0, 3.0], [3.0, 3.0]]),
    ("min-ties", lambda v: ops.min(v), [[1.0, 1.0], [3.0, 3.0]]),
    ("norm-zero", lambda v: ops.norm(v, axis=1), [[0.0, 0.0], [3.0, 4.0]]),
    ("mean", lambda v: ops.mean(v, axis=(0, 1)), [[1.0, 2.0], [3.0, 4.0]]),
    ("var-ddof", lambda v: ops.var(v, axis=0, ddof=1), [[1.0, 2.0], [3.0, 5.0]]),
    ("std", lambda v: ops.std(v, axis=-1), [[1.0, 2.0], [3.0, 5.0]]),
    ("logsumexp-1e4", lambda v: ops.logsumexp(v, axis=1), [[1e4, 1e4], [-1e4, 0.0]]),
    ("softmax-1e4", lambda v: ops.softmax(v, axis=0), [[1e4, 0.0], [-1e4, 0.0]]),
    ("log_softmax-1e4", lambda v: ops.log_softmax(v), [[1e4, 0.0], [-1e4, 0.0]]),
]


@pytest.mark.parametrize(("f", "x"), [c[1:] for c in F32_CASES], ids=[c[0] for c in F32_CASES])
def test_float32_values_and_gradients_stay_float32(f: Callable[[Any], Any], x: Any) -> None:
    x32 = np.array(x, dtype=np.float32)
    out = f(x32)
    seed = np.ones_like(out)
    value, g = tp.backprop_with(f, x32, seed)
    assert value.dtype == np.float32
    assert g.dtype == np.float32
    assert np.isfinite(g).all()
    np.testing.assert_allclose(value, f(np.array(x)), rtol=1e-6)
    _, g64 = tp.backprop_with(f, np.array(x), np.ones(np.shape(out)))
    np.testing.assert_allclose(g, g64, rtol=1e-6, atol=1e-7)


def test_float32_scalar_reductions_give_float32() -> None:
    x = np.array([1.0, 2.0], dtype=np.float32)
    for name, op in REDUCTIONS.items():
        value, g = tp.backprop(op, x)
        assert type(value) is np.float32, f"{name} gave {type(value).__name__}"
        assert g.dtype == np.float32, f"{name}'s gradient is {g.dtype}"
