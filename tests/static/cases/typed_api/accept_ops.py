"""Accepted: ops typed `Op[*Ins, Out]`, by subclassing or from functions (`op1`, `op2`,
`op3`). Applied to BVars an op gives a BVar of its output type; applied to plain values only,
the plain output type; applied to a mix, a BVar.

Checked by mypy only (tests/static/test_static.py); nothing here runs.
"""

from collections.abc import Callable
from typing import assert_type

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import BVar, Mat, Op, Vec


def mat() -> Mat:
    return np.zeros((2, 2))


def vec() -> Vec:
    return np.zeros(2)


class MatVec(Op[Float[Mat, "m n"], Float[Vec, " n"], Float[Vec, " m"]]):
    name = "matvec"

    def forward(self, w: Mat, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Mat, Vec]]]:
        return w @ x, lambda g: (np.outer(g, x), w.T @ g)


matvec = MatVec()


class Scale(Op[Float[Vec, " n"], float, Float[Vec, " n"]]):
    def forward(self, x: Vec, s: float) -> tuple[Vec, Callable[[Vec], tuple[Vec, float]]]:
        return x * s, lambda g: (g * s, float(g @ x))


scale = Scale()


class AffineScaled(
    Op[Float[Mat, "m n"], Float[Vec, " n"], Float[Vec, " m"], float, Float[Vec, " m"]]
):
    def forward(
        self, w: Mat, x: Vec, b: Vec, s: float
    ) -> tuple[Vec, Callable[[Vec], tuple[Mat, Vec, Vec, float]]]:
        y = w @ x + b
        return y * s, lambda g: (np.outer(g * s, x), w.T @ (g * s), g * s, float(g @ y))


affine_scaled = AffineScaled()


@tp.op1
def sin(x: float) -> tuple[float, Callable[[float], float]]:
    return float(np.sin(x)), lambda g: g * float(np.cos(x))


@tp.op2
def mv(w: Mat, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Mat, Vec]]]:
    return w @ x, lambda g: (np.outer(g, x), w.T @ g)


@tp.op3
def axpy(a: float, x: Vec, y: Vec) -> tuple[Vec, Callable[[Vec], tuple[float, Vec, Vec]]]:
    return a * x + y, lambda g: (float(g @ x), g * a, g)


def subclass_keeps_its_type_parameters() -> None:
    # An Op subclass is an Op of its declared inputs and output (jaxtyping hints are their arrays).
    assert_type(matvec, MatVec)
    op: Op[Mat, Vec, Vec] = matvec
    assert_type(op, Op[Mat, Vec, Vec])


def subclass_on_bvars(w: BVar[Mat], x: BVar[Vec]) -> None:
    # Applied to BVars: a BVar of the output type.
    assert_type(matvec(w, x), BVar[Vec])


def subclass_on_plain_values() -> None:
    # Applied to plain arrays only: the plain output type, no BVar.
    assert_type(matvec(mat(), vec()), Vec)


def subclass_on_a_mix(w: BVar[Mat], x: BVar[Vec]) -> None:
    # Any BVar among the arguments makes the result a BVar, whichever position it is in.
    assert_type(matvec(w, vec()), BVar[Vec])
    assert_type(matvec(mat(), x), BVar[Vec])
    assert_type(scale(x, 2.0), BVar[Vec])


def four_input_op(w: BVar[Mat], x: BVar[Vec], s: BVar[float]) -> None:
    # Four inputs, a BVar in any position (here only the last), or none.
    assert_type(affine_scaled(w, x, vec(), 2.0), BVar[Vec])
    assert_type(affine_scaled(mat(), vec(), vec(), s), BVar[Vec])
    assert_type(affine_scaled(mat(), vec(), vec(), 2.0), Vec)


def ops_from_functions() -> None:
    # op1/op2/op3 read the op's type from the typed def: Op[A, R], Op[A, B, R], Op[A, B, C, R].
    assert_type(sin, Op[float, float])
    assert_type(mv, Op[Mat, Vec, Vec])
    assert_type(axpy, Op[float, Vec, Vec, Vec])


def ops_from_functions_applied(s: BVar[float], w: BVar[Mat], x: BVar[Vec]) -> None:
    # Function-built ops apply like subclasses: BVar in, BVar out; plain in, plain out.
    assert_type(sin(s), BVar[float])
    assert_type(sin(1.0), float)
    assert_type(mv(w, x), BVar[Vec])
    assert_type(mv(mat(), vec()), Vec)
    assert_type(axpy(s, x, vec()), BVar[Vec])
    assert_type(axpy(1.0, vec(), x), BVar[Vec])
    assert_type(axpy(1.0, vec(), vec()), Vec)


def ops_compose_inside_grad() -> None:
    # An op inside a differentiated function keeps the gradient typed.
    def loss(p: BVar[tuple[Mat, Vec]]) -> BVar[float]:
        w, x = p.unpack()
        y = matvec(w, x)
        return y @ y

    assert_type(tp.grad(loss, (mat(), vec())), tuple[Mat, Vec])
