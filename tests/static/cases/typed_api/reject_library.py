"""Rejected: the op library applied to the wrong number of arguments or to the wrong kinds of
values, and gradients assigned to the wrong type. Checked by mypy only (see
tests/static/test_static.py for the markers)."""

import numpy as np

import typedprop as tp
from typedprop import BVar, Mat, Vec, ops


def vec() -> Vec:
    return np.zeros(2)


def mat() -> Mat:
    return np.zeros((2, 2))


def wrong_number_of_arguments(x: BVar[Vec], w: BVar[Mat]) -> None:
    ops.exp(x, x)  # E: No overload variant of "__call__" of "Elementwise"...  [call-overload]
    ops.tanh()  # E: ...  [call-overload]
    ops.arctan(x, x)  # E: No overload variant of "__call__" of "Elementwise"...  [call-overload]
    ops.leaky_relu(x, slope=0.2)  # E: ...  [call-overload]
    ops.maximum(x)  # E: ...of "Binary"...  [call-overload]
    ops.matvec(w)  # E: ...  [call-overload]
    ops.solve(w)  # E: ...  [call-overload]
    ops.softmax_cross_entropy_with_integer_labels(w)  # E: ...  [call-overload]


def wrong_kinds_of_values(x: BVar[Vec], w: BVar[Mat], t: BVar[tuple[Vec, Vec]]) -> None:
    ops.exp(t)  # E: Value of type variable "N" of "__call__" of "Elementwise" cannot be...  [type-var]
    ops.exp("1.0")  # E: ...  [call-overload]
    ops.sum(x, axis="rows")  # E: ...  [call-overload]
    ops.softmax(x, axis=(0, 1))  # E: ...  [call-overload]
    ops.var(w, ddof="one")  # E: ...  [call-overload]
    ops.matvec(x, w)  # E: ...expected "BVar[Mat]"  [arg-type]  # E: ...  [arg-type]
    ops.softmax_cross_entropy_with_integer_labels(w, 1.5)  # E: ...  [call-overload]


def results_of_the_wrong_type(x: BVar[Vec], w: BVar[Mat]) -> None:
    # mypy infers from the declared type, so it names the argument, not the assignment.
    a: BVar[Mat] = ops.exp(x)  # E: ...has incompatible type "BVar[Vec]"; expected "BVar[Mat]"  [arg-type]
    b: BVar[Vec] = ops.sum(x)  # E: ...expression has type "BVar[float]"...  [assignment]
    c: BVar[Mat] = ops.matvec(w, x)  # E: ...  [assignment]
    d: float = ops.mean(x)  # E: ...  [assignment]
    e: BVar[float] = ops.argmax(x)  # E: ...  [assignment]
    del a, b, c, d, e


def gradient_into_the_wrong_type(w: Mat, v: Vec) -> None:
    def loss(p: BVar[tuple[Mat, Vec]]) -> BVar[float]:
        a, b = p.unpack()
        return ops.sum(ops.matvec(a, b))

    g: tuple[Vec, Vec] = tp.grad(loss, (w, v))  # E: ...  [assignment]
    gw: Vec = tp.grad(loss, (w, v))[0]  # E: ...  [assignment]
    del g, gw
