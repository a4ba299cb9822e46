"""typedprop.testing.check_grads: it passes a true gradient, and it reports a wrong one, a gradient
of the wrong type and complex parameters, each with its message."""

import re
from typing import Any

import numpy as np
import pytest

import typedprop as tp
from typedprop.testing import check_grads

# ---------------------------------------------------------------------------------------------
# typedprop.testing.check_grads: its failure paths
# ---------------------------------------------------------------------------------------------


@tp.op1
def double_square(x: Any) -> Any:
    """x * x, with a gradient twice the true one."""
    return x * x, lambda g: 4.0 * g * x


@pytest.mark.parametrize(
    ("f", "x"),
    [
        (double_square, 1.5),
        (lambda v: double_square(v) @ np.ones(3), np.array([1.0, -2.0, 0.5])),
        (lambda p: double_square(p.view(lambda t: t[1])) + 0.0, (np.ones(2), 0.75)),
    ],
    ids=["float", "array", "tuple"],
)
def test_check_grads_reports_a_wrong_gradient(f: Any, x: Any) -> None:
    with pytest.raises(
        AssertionError,
        match=re.escape("gradient check failed: backprop gives a directional derivative of "),
    ) as info:
        check_grads(f, x)
    message = str(info.value)
    assert "finite differences give" in message
    assert "(eps=1e-06, rtol=1e-05, atol=1e-07)" in message
    # Along every direction the wrong gradient gives exactly twice the true derivative.
    found = re.search(r"derivative of (\S+), finite differences give (\S+) \(", message)
    assert found is not None
    analytic, numeric = float(found[1]), float(found[2])
    assert analytic == pytest.approx(2.0 * numeric, rel=1e-4)


def test_check_grads_passes_the_true_gradient() -> None:
    @tp.op1
    def square(x: Any) -> Any:
        return x * x, lambda g: 2.0 * g * x

    check_grads(lambda v: square(v) @ np.ones(3), np.array([1.0, -2.0, 0.5]))


class BadZero:
    """A Backprop type whose zero breaks the law: it returns a float, not a BadZero."""

    def __init__(self, amount: float) -> None:
        self.amount = amount

    def zero(self) -> Any:
        return 0.0

    def add(self, other: "BadZero") -> "BadZero":
        return BadZero(self.amount + other.amount)

    def one(self) -> "BadZero":
        return BadZero(1.0)


def test_check_grads_reports_a_gradient_of_the_wrong_type() -> None:
    # The engine hands out the user's zero unchecked for an unused part; check_grads is the
    # tool that catches a zero of the wrong type.
    def f(p: tp.BVar[tuple[BadZero, float]]) -> tp.BVar[float]:
        return p.view(lambda t: t[1]) * 2.0

    with pytest.raises(
        AssertionError, match=re.escape("gradient at x[0] is a float, expected a BadZero")
    ):
        check_grads(f, (BadZero(1.0), 3.0))
    with pytest.raises(
        AssertionError, match=re.escape("gradient at x is a float, expected a BadZero")
    ):
        check_grads(lambda b: tp.constant(1.0), BadZero(1.0))


@pytest.mark.parametrize(
    ("x", "found"),
    [
        (1.0 + 2.0j, "a value of type complex"),
        (np.complex64(1.0), "a value of type complex64"),
        ((1.0, np.ones(2, dtype=complex)), "an array of shape (2,) and dtype complex128"),
        ({"z": [np.ones((2, 2), dtype=np.complex64)]}, "an array of shape (2, 2) and dtype"),
    ],
    ids=["complex", "complex64", "in-tuple", "nested"],
)
def test_check_grads_refuses_complex_parameters(x: Any, found: str) -> None:
    ran: list[str] = []

    def f(p: tp.BVar[Any]) -> tp.BVar[float]:
        ran.append("f ran")
        return tp.constant(1.0)

    message = f"check_grads: complex values are not supported (found {found}"
    with pytest.raises(TypeError, match=re.escape(message)):
        check_grads(f, x)
    assert ran == []
