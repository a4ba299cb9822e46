"""The arithmetic family beyond the op table (tests/opcases/arithmetic.py) and the operators'
tests (tests/test_arithmetic.py): refused inputs and broadcast errors with their messages,
numpy's inf/nan with its warnings (for Python numbers too), `power` with constant operands,
`maximum`/`minimum` at ties, and the types of scalar inputs and results.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import typedprop as tp
from typedprop import ops

BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": ops.add,
    "subtract": ops.subtract,
    "multiply": ops.multiply,
    "divide": ops.divide,
    "power": ops.power,
    "maximum": ops.maximum,
    "minimum": ops.minimum,
}


@dataclass
class Point:
    x: float


NOT_NUMBERS: list[tuple[object, str]] = [
    ((1.0, 2.0), "tuple"),
    ([1.0, 2.0], "list"),
    ({"a": 1.0}, "dict"),
    ("1.0", "str"),
    (Point(1.0), "Point"),
]


# ---------------------------------------------------------------------------------------------
# Refused inputs
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize(("x", "what"), NOT_NUMBERS, ids=[w for _, w in NOT_NUMBERS])
def test_binary_refuses_non_numeric_arguments(name: str, x: object, what: str) -> None:
    op = BINARY[name]
    with pytest.raises(
        tp.CheckError,
        match=re.escape(f"{name}: arguments must be numbers or arrays, got {what} and float"),
    ):
        op(x, 2.0)
    with pytest.raises(
        tp.CheckError,
        match=re.escape(f"{name}: arguments must be numbers or arrays, got float and {what}"),
    ):
        op(2.0, x)


@pytest.mark.parametrize("name", BINARY)
def test_binary_refuses_a_tuple_with_an_array(name: str) -> None:
    # numpy would take the tuple for an array; its gradient could not be a tuple.
    message = (
        f"{name}: arguments must be numbers or arrays, got an array of dtype float64 and tuple"
    )
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        BINARY[name](np.ones(2), (1.0, 2.0))


@pytest.mark.parametrize("name", BINARY)
def test_binary_refuses_a_tuple_bvar_with_checks_off(name: str) -> None:
    message = f"{name}: arguments must be numbers or arrays, got tuple and float"
    with tp.checks(False), pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.backprop_with(lambda p: BINARY[name](p, 2.0), (1.0, 2.0), (1.0, 1.0))


@pytest.mark.parametrize(("x", "what"), NOT_NUMBERS, ids=[w for _, w in NOT_NUMBERS])
def test_negative_refuses_non_numeric_argument(x: object, what: str) -> None:
    message = f"negative: argument 'x' must be a number or an array, got {what}"
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        ops.negative(x)


class Money:
    """Not a number or an array, but with its own operators."""

    def __init__(self, cents: float) -> None:
        self.cents = cents

    def __add__(self, other: "Money") -> "Money":
        return Money(self.cents + other.cents)

    def __neg__(self) -> "Money":
        return Money(-self.cents)


def test_objects_with_their_own_operators_are_left_to_them() -> None:
    # A type registered with register_backprop may define its arithmetic.
    assert ops.add(Money(1.0), Money(2.0)).cents == 3.0
    assert ops.negative(Money(1.0)).cents == -1.0
    with pytest.raises(
        tp.CheckError,
        match=re.escape("multiply: arguments must be numbers or arrays, got Money and Money"),
    ):
        ops.multiply(Money(1.0), Money(2.0))


# ---------------------------------------------------------------------------------------------
# Broadcast errors
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("checks", [True, False], ids=["checks-on", "checks-off"])
@pytest.mark.parametrize("name", BINARY)
def test_binary_broadcast_error_names_op_arguments_and_shapes(name: str, checks: bool) -> None:
    op = BINARY[name]
    a, b = np.ones((2, 3)), np.ones(2)
    message = (
        f"{name}: argument 'a' of shape (2, 3) and argument 'b' of shape (2,) "
        "do not broadcast together"
    )
    with tp.checks(checks):
        with pytest.raises(tp.CheckError, match=re.escape(message)):
            op(a, b)
        # Each argument differentiated, and both.
        with pytest.raises(tp.CheckError, match=re.escape(message)):
            tp.grad(lambda v: ops.sum(op(v, b)), a)
        with pytest.raises(tp.CheckError, match=re.escape(message)):
            tp.grad(lambda v: ops.sum(op(a, v)), b)
        with pytest.raises(tp.CheckError, match=re.escape(message)):
            tp.grad_n(lambda u, v: ops.sum(op(u, v)), a, b)


def test_operator_broadcast_error_is_the_same() -> None:
    message = (
        "subtract: argument 'a' of shape (4, 1, 3) and argument 'b' of shape (2,) "
        "do not broadcast together"
    )
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad(lambda v: ops.sum(v - np.ones(2)), np.ones((4, 1, 3)))


# ---------------------------------------------------------------------------------------------
# numpy's inf and nan, with numpy's warnings
# ---------------------------------------------------------------------------------------------


def test_divide_by_zero_is_inf_with_a_warning() -> None:
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        value = ops.divide(np.array([1.0, -2.0]), np.array([0.0, 0.0]))
    np.testing.assert_array_equal(value, [np.inf, -np.inf])


def test_python_numbers_divided_by_zero_follow_numpy() -> None:
    # Python raises ZeroDivisionError; the op follows numpy.
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        assert ops.divide(1.0, 0.0) == np.inf
    with pytest.warns(RuntimeWarning, match="invalid value"):
        assert np.isnan(ops.divide(0.0, 0.0))
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        value, (ga, gb) = tp.backprop_n(ops.divide, 1.0, 0.0)
    assert value == np.inf and ga == np.inf and gb == -np.inf


def test_power_of_python_numbers_follows_numpy() -> None:
    # Python gives ZeroDivisionError and a complex number here.
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        assert ops.power(0.0, -1.0) == np.inf
    with pytest.warns(RuntimeWarning, match="invalid value"):
        value = ops.power(-8.0, 0.5)
    assert isinstance(value, float) and np.isnan(value)


def test_power_with_a_constant_exponent_takes_no_logarithm() -> None:
    # A negative base: the exponent's gradient (with log(a)) is never computed.
    assert tp.grad(lambda x: ops.power(x, 2.0), -3.0) == -6.0
    assert tp.grad(lambda x: ops.power(x, tp.constant(3.0)), -1.0) == 3.0
    np.testing.assert_array_equal(
        tp.grad(lambda x: ops.sum(ops.power(x, np.array([2.0, 3.0]))), np.array([-1.0, -2.0])),
        [-2.0, 12.0],
    )


def test_power_with_a_constant_base() -> None:
    value, g = tp.backprop(lambda y: ops.power(2.0, y), 3.0)
    assert value == 8.0
    np.testing.assert_allclose(g, 8.0 * np.log(2.0), rtol=1e-15)


def test_power_of_a_negative_base_differentiated_in_both_is_nan_with_a_warning() -> None:
    with pytest.warns(RuntimeWarning, match="invalid value"):
        (ga, gb) = tp.grad_n(ops.power, -2.0, 2.0)
    assert ga == -4.0 and np.isnan(gb)


def test_power_broadcast_error_with_a_constant_operand() -> None:
    message = (
        "power: argument 'a' of shape (2, 3) and argument 'b' of shape (2,) "
        "do not broadcast together"
    )
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad(lambda x: ops.sum(ops.power(x, np.ones(2))), np.ones((2, 3)))
    message = (
        "power: argument 'a' of shape (2,) and argument 'b' of shape (2, 3) "
        "do not broadcast together"
    )
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad(lambda y: ops.sum(ops.power(np.ones(2), y)), np.ones((2, 3)))


def test_power_of_constants_only_is_plain_or_constant() -> None:
    assert ops.power(2.0, 3.0) == 8.0 and type(ops.power(2.0, 3.0)) is float
    c = ops.power(tp.constant(2.0), 3.0)
    assert isinstance(c, tp.BVar) and c.value == 8.0
    c = ops.power(2.0, tp.constant(3.0))
    assert isinstance(c, tp.BVar) and c.value == 8.0


# ---------------------------------------------------------------------------------------------
# maximum and minimum
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_tie_splits_the_gradient_evenly(name: str, dtype: type) -> None:
    a = np.array([1.0, 5.0, 3.0], dtype=dtype)
    b = np.array([4.0, 2.0, 3.0], dtype=dtype)
    ga, gb = tp.grad_n(lambda x, y: ops.sum(BINARY[name](x, y)), a, b)
    a_share, b_share = ([0.0, 1.0, 0.5], [1.0, 0.0, 0.5])[:: 1 if name == "maximum" else -1]
    np.testing.assert_array_equal(ga, np.array(a_share, dtype=dtype))
    np.testing.assert_array_equal(gb, np.array(b_share, dtype=dtype))
    assert ga.dtype == dtype and gb.dtype == dtype


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_ties_with_a_broadcast_scalar(name: str) -> None:
    # relu-like: x against a scalar threshold that three elements equal; the threshold's
    # gradient sums the halves of the ties and the elements the threshold wins.
    x = np.array([[-1.0, 0.0, 2.0], [0.0, 0.0, -3.0]])
    gx, gt = tp.grad_n(lambda v, t: ops.sum(BINARY[name](v, t)), x, 0.0)
    if name == "maximum":
        np.testing.assert_array_equal(gx, [[0.0, 0.5, 1.0], [0.5, 0.5, 0.0]])
        assert gt == 2.0 + 1.5
    else:
        np.testing.assert_array_equal(gx, [[1.0, 0.5, 0.0], [0.5, 0.5, 1.0]])
        assert gt == 1.0 + 1.5
    assert type(gt) is float


def test_maximum_with_nan_gives_nan_and_no_gradient() -> None:
    a, b = np.array([np.nan, 1.0]), np.array([0.0, 2.0])
    value, (ga, gb) = tp.backprop_n(lambda x, y: ops.sum(ops.maximum(x, y)), a, b)
    assert np.isnan(value)
    np.testing.assert_array_equal(ga, [0.0, 0.0])
    np.testing.assert_array_equal(gb, [0.0, 1.0])


# ---------------------------------------------------------------------------------------------
# Types of scalar inputs
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BINARY)
def test_float32_scalars_keep_float32(name: str) -> None:
    a, b = np.float32(1.5), np.float32(0.75)
    assert type(BINARY[name](a, b)) is np.float32
    assert type(BINARY[name](a, 2.0)) is np.float32  # a Python number does not promote
    value, (ga, gb) = tp.backprop_n(BINARY[name], a, b)
    assert type(value) is np.float32
    assert type(ga) is np.float32 and type(gb) is np.float32


@pytest.mark.parametrize("name", BINARY)
def test_python_floats_stay_floats(name: str) -> None:
    value = BINARY[name](1.5, 0.75)
    assert isinstance(value, float)
    if name not in ("maximum", "minimum"):  # numpy's functions give np.float64, a float
        assert type(value) is float
    value, (ga, gb) = tp.backprop_n(BINARY[name], 1.5, 0.75)
    assert isinstance(value, float)
    assert type(ga) is float and type(gb) is float


def test_negative_keeps_types() -> None:
    assert type(ops.negative(1.5)) is float
    assert type(ops.negative(np.float32(1.5))) is np.float32
    value, g = tp.backprop(ops.negative, np.float32(1.5))
    assert type(value) is np.float32 and type(g) is np.float32 and g == -1.0
