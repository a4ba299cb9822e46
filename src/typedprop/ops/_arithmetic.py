"""Arithmetic with numpy broadcasting: add, subtract, multiply, divide, negative, power and
matmul. These are the ops behind `BVar`'s operators.

Each op is forward plus staged gradient; every gradient of a broadcasting op passes through
`unbroadcast`. Values follow numpy's promotion: a Python number mixed with a float32 array keeps
float32 (NEP 50), while a numpy float64 scalar or array promotes it to float64. Gradients always
take their input's dtype.
"""

from collections.abc import Callable
from typing import Any

import numpy as np

from .._errors import CheckError
from .._op import Op
from ._broadcast import broadcast_error, unbroadcast

__all__: list[str] = []

_Grad2 = Callable[[Any], tuple[Any, Any]]


class _Binary(Op[Any, Any, Any]):
    """A binary numpy op; subclasses give `compute`, and `shape_error` to explain a
    ValueError from numpy as a CheckError that names the op and both shapes."""

    def forward(self, a: Any, b: Any) -> tuple[Any, _Grad2]:
        try:
            out, grad = self.compute(a, b)
        except (ValueError, TypeError):
            error = self.shape_error(a, b)
            if error is None:
                raise
            raise error from None
        if isinstance(out, tuple | list | str):
            # Python's + and * on sequences concatenate and repeat: not arithmetic.
            raise CheckError(
                f"{self.name}: arguments must be numbers or arrays, got "
                f"{type(a).__name__} and {type(b).__name__}"
            )
        return out, grad

    def compute(self, a: Any, b: Any) -> tuple[Any, _Grad2]:
        raise NotImplementedError

    def shape_error(self, a: Any, b: Any) -> CheckError | None:
        """The error for inputs whose shapes do not broadcast; None if they do."""
        try:
            np.broadcast_shapes(np.shape(a), np.shape(b))
        except ValueError:
            return broadcast_error(self.name, ("a", "b"), (a, b))
        return None


class Add(_Binary):
    name = "add"

    def compute(self, a: Any, b: Any) -> tuple[Any, _Grad2]:
        return a + b, lambda g: (unbroadcast(g, a), unbroadcast(g, b))


class Subtract(_Binary):
    name = "subtract"

    def compute(self, a: Any, b: Any) -> tuple[Any, _Grad2]:
        return a - b, lambda g: (unbroadcast(g, a), unbroadcast(-g, b))


class Multiply(_Binary):
    name = "multiply"

    def compute(self, a: Any, b: Any) -> tuple[Any, _Grad2]:
        return a * b, lambda g: (unbroadcast(g * b, a), unbroadcast(g * a, b))


class Divide(_Binary):
    name = "divide"

    def compute(self, a: Any, b: Any) -> tuple[Any, _Grad2]:
        out = a / b

        def grad(g: Any) -> tuple[Any, Any]:
            ga = g / b
            return unbroadcast(ga, a), unbroadcast(-ga * out, b)

        return out, grad


class Power(_Binary):
    """`a ** b` with both differentiable; the gradient for `b` needs log(a), so it is only
    finite for positive `a` (numpy's warnings and nan otherwise)."""

    name = "power"

    def compute(self, a: Any, b: Any) -> tuple[Any, _Grad2]:
        out = a**b

        def grad(g: Any) -> tuple[Any, Any]:
            return (
                unbroadcast(g * b * a ** (b - 1), a),
                unbroadcast(g * out * np.log(a), b),
            )

        return out, grad


class PowerConst(Op[Any, Any]):
    """`x ** p` for a constant exponent `p`: the gradient never takes a logarithm."""

    name = "power"

    def __init__(self, p: Any) -> None:
        self.p = p

    def forward(self, x: Any) -> tuple[Any, Callable[[Any], tuple[Any]]]:
        p = self.p
        out = x**p
        if np.all(np.equal(p, 0)):
            # x ** 0 is constant; p * x ** (p - 1) would divide by zero at x = 0.
            return out, lambda g: (unbroadcast(g * 0.0, x),)
        return out, lambda g: (unbroadcast(g * p * x ** (p - 1), x),)


class ExpBase(Op[Any, Any]):
    """`c ** x` for a constant base `c`."""

    name = "power"

    def __init__(self, c: Any) -> None:
        self.c = c

    def forward(self, x: Any) -> tuple[Any, Callable[[Any], tuple[Any]]]:
        out = self.c**x
        log_c = np.log(self.c)
        return out, lambda g: (unbroadcast(g * out * log_c, x),)


class Negative(Op[Any, Any]):
    name = "negative"

    def forward(self, x: Any) -> tuple[Any, Callable[[Any], tuple[Any]]]:
        return -x, lambda g: (-g,)


class Matmul(_Binary):
    """`a @ b` with numpy's rules: 1-D operands are promoted to a row or column and the added
    axis removed again, leading axes broadcast as a batch."""

    name = "matmul"

    def shape_error(self, a: Any, b: Any) -> CheckError | None:
        shapes = f"argument 'a' of shape {np.shape(a)} and argument 'b' of shape {np.shape(b)}"
        if np.ndim(a) == 0 or np.ndim(b) == 0:
            return CheckError(f"matmul: {shapes}: matmul needs arrays of at least one axis")
        which = "only" if np.ndim(b) == 1 else "second-to-last"
        return CheckError(
            f"matmul: {shapes} do not fit a @ b (the last axis of 'a' must match the {which} "
            "axis of 'b', and leading axes must broadcast)"
        )

    def compute(self, a: Any, b: Any) -> tuple[Any, _Grad2]:
        out = a @ b
        if a.ndim == 1 and b.ndim == 1:
            return out, lambda g: (unbroadcast(g * b, a), unbroadcast(g * a, b))
        if a.ndim == 2 and b.ndim == 1:
            return out, lambda g: (unbroadcast(np.outer(g, b), a), unbroadcast(g @ a, b))
        if a.ndim == 1 and b.ndim == 2:
            return out, lambda g: (unbroadcast(b @ g, a), unbroadcast(np.outer(a, g), b))

        def grad(g: Any) -> tuple[Any, Any]:
            a2 = a[None, :] if a.ndim == 1 else a
            b2 = b[:, None] if b.ndim == 1 else b
            g2 = g
            if b.ndim == 1:
                g2 = g2[..., None]
            if a.ndim == 1:
                g2 = g2[..., None, :]
            ga = g2 @ np.swapaxes(b2, -1, -2)
            gb = np.swapaxes(a2, -1, -2) @ g2
            if a.ndim == 1:
                ga = ga[..., 0, :]
            if b.ndim == 1:
                gb = gb[..., 0]
            return unbroadcast(ga, a), unbroadcast(gb, b)

        return out, grad


add = Add()
subtract = Subtract()
multiply = Multiply()
divide = Divide()
power = Power()
negative = Negative()
matmul = Matmul()
