"""Rejected: the op library applied to the wrong number of arguments or to the wrong kinds of
values, and gradients assigned to the wrong type. Checked by mypy only (see
tests/test_static.py for the markers)."""

import numpy as np

import typedprop as tp
from typedprop import BVar, Mat, Vec, ops


def vec() -> Vec:
    return np.zeros(2)


def mat() -> Mat:
    return np.zeros((2, 2))


def wrong_number_of_arguments(x: BVar[Vec], w: BVar[Mat]) -> None:
    ops.exp(x, x)  # type: ignore[call-overload]  # E: No overload variant of "__call__" of "Elementwise"
    ops.tanh()  # type: ignore[call-overload]
    ops.maximum(x)  # type: ignore[call-overload]  # E: of "Binary"
    ops.matvec(w)  # type: ignore[call-overload]
    ops.solve(w)  # type: ignore[call-overload]
    ops.softmax_cross_entropy_with_integer_labels(w)  # type: ignore[call-overload]


def wrong_kinds_of_values(x: BVar[Vec], w: BVar[Mat], t: BVar[tuple[Vec, Vec]]) -> None:
    ops.exp(t)  # type: ignore[type-var]  # E: Value of type variable "N" of "__call__" of "Elementwise" cannot be
    ops.exp("1.0")  # type: ignore[call-overload]
    ops.sum(x, axis="rows")  # type: ignore[call-overload]
    ops.softmax(x, axis=(0, 1))  # type: ignore[call-overload]
    ops.var(w, ddof="one")  # type: ignore[call-overload]
    ops.matvec(x, w)  # type: ignore[arg-type]  # E: expected "BVar[Mat]"
    ops.softmax_cross_entropy_with_integer_labels(w, 1.5)  # type: ignore[call-overload]


def results_of_the_wrong_type(x: BVar[Vec], w: BVar[Mat]) -> None:
    # mypy infers from the declared type, so it names the argument, not the assignment.
    a: BVar[Mat] = ops.exp(x)  # type: ignore[arg-type]  # E: has incompatible type "BVar[Vec]"; expected "BVar[Mat]"
    b: BVar[Vec] = ops.sum(x)  # type: ignore[assignment]  # E: expression has type "BVar[float]"
    c: BVar[Mat] = ops.matvec(w, x)  # type: ignore[assignment]
    d: float = ops.mean(x)  # type: ignore[assignment]
    e: BVar[float] = ops.argmax(x)  # type: ignore[assignment]
    del a, b, c, d, e


def gradient_into_the_wrong_type(w: Mat, v: Vec) -> None:
    def loss(p: BVar[tuple[Mat, Vec]]) -> BVar[float]:
        a, b = p.unpack()
        return ops.sum(ops.matvec(a, b))

    g: tuple[Vec, Vec] = tp.grad(loss, (w, v))  # type: ignore[assignment]
    gw: Vec = tp.grad(loss, (w, v))[0]  # type: ignore[assignment]
    del g, gw
