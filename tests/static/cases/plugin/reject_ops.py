"""Ops applied to arrays and BVars whose sizes mypy knows: each case is one wrong call."""

# Marker comments hold whole mypy messages: long lines, kept as written.
# ruff: noqa: E501
# fmt: off

from collections.abc import Callable
from typing import Final

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import BVar, Mat, Vec, ops

IN: Final = 784
HIDDEN: Final = 128
OUT: Final = 10


class Affine(tp.Op[Float[Mat, "o i"], Float[Vec, " i"], Float[Vec, " o"], Float[Vec, " o"]]):
    """A user op: w @ x + b."""

    name = "affine"

    def forward(
        self, w: Mat, x: Vec, b: Vec
    ) -> tuple[Vec, Callable[[Vec], tuple[Mat, Vec, Vec]]]:
        return w @ x + b, lambda g: (np.outer(g, x), w.T @ g, g)


affine = Affine()


@tp.op1
def softsign(x: Float[Vec, " n"]) -> tuple[Float[Vec, " n"], Callable[[Vec], Vec]]:
    return x / (1.0 + np.abs(x)), lambda g: g / (1.0 + np.abs(x)) ** 2


@tp.op2
def scaled_matvec(w: Float[Mat, "o i"], x: Float[Vec, " i"]) -> tuple[Float[Vec, " o"], Callable[[Vec], tuple[Mat, Vec]]]:
    return 2.0 * (w @ x), lambda g: (2.0 * np.outer(g, x), 2.0 * (w.T @ g))


@tp.op3
def gated(w: Float[Mat, "o i"], x: Float[Vec, " i"], gate: Float[Vec, " o"]) -> tuple[Float[Vec, " o"], Callable[[Vec], tuple[Mat, Vec, Vec]]]:
    y = w @ x
    return y * gate, lambda g: (np.outer(g * gate, x), w.T @ (g * gate), g * y)


def case_matvec_inner_dimension() -> None:
    # The example of the issue: x has 784 entries, w has 128 columns.
    w = tp.zeros(HIDDEN, HIDDEN)
    x = tp.zeros(IN)
    ops.matvec(w, x)  # E: Dimension mismatch in call to "matvec": dimension n: 784 (argument "x", axis 0) vs 128 (argument "w", axis 1)  [dim-mismatch]


def case_two_layers_one_wrong_weight() -> None:
    # The second layer's weight has 784 columns, but the first layer gives 128 values.
    w1 = tp.normal(HIDDEN, IN, rng=0)
    w2 = tp.normal(OUT, IN, rng=0)
    h = ops.matvec(w1, tp.zeros(IN))
    ops.matvec(w2, h)  # E: Dimension mismatch in call to "matvec": dimension n: 128 (argument "x", axis 0) vs 784 (argument "w", axis 1)  [dim-mismatch]


def case_wrong_bias_length() -> None:
    w = tp.normal(300, IN, rng=0)
    ops.linear(w, tp.zeros(IN), tp.zeros(30))  # E: Dimension mismatch in call to "linear": dimension out: 30 (argument "b", axis 0) vs 300 (argument "w", axis 0)  [dim-mismatch]


def case_linear_batch_features() -> None:
    # A batch of 32 samples of 783 features against a weight for 784.
    ops.linear(tp.zeros(300, IN), tp.zeros(32, 783), tp.zeros(300))  # E: Dimension mismatch in call to "linear": dimension in: 783 (argument "x", axis 1) vs 784 (argument "w", axis 1)  [dim-mismatch]


def case_transposed_matrix() -> None:
    # w is stored as (in, out); w.T is (out, in) = (128, 784), so x must have 784 entries.
    w = tp.zeros(IN, HIDDEN)
    ops.matvec(w.T, tp.zeros(HIDDEN))  # E: Dimension mismatch in call to "matvec": dimension n: 128 (argument "x", axis 0) vs 784 (argument "w", axis 1)  [dim-mismatch]


def case_untransposed_matrix() -> None:
    w = tp.zeros(IN, HIDDEN)
    ops.matvec(w, tp.zeros(IN))  # E: Dimension mismatch in call to "matvec": dimension n: 784 (argument "x", axis 0) vs 128 (argument "w", axis 1)  [dim-mismatch]


def case_transpose_op() -> None:
    w = tp.zeros(IN, HIDDEN)
    ops.matvec(ops.transpose(w), tp.zeros(HIDDEN))  # E: Dimension mismatch in call to "matvec": dimension n: 128 (argument "x", axis 0) vs 784 (argument "w", axis 1)  [dim-mismatch]


def case_op_on_bvars(w: BVar[Float[Mat, "128 784"]], x: BVar[Float[Vec, " 100"]]) -> None:
    # The sizes come from the parameters' annotations.
    ops.matvec(w, x)  # E: Dimension mismatch in call to "matvec": dimension n: 100 (argument "x", axis 0) vs 784 (argument "w", axis 1)  [dim-mismatch]


def case_op_on_bvar_and_array(w: BVar[Float[Mat, "128 784"]]) -> None:
    ops.matvec(w, tp.ones(785))  # E: Dimension mismatch in call to "matvec": dimension n: 785 (argument "x", axis 0) vs 784 (argument "w", axis 1)  [dim-mismatch]


def case_bvar_transposed(w: BVar[Float[Mat, "784 128"]], x: BVar[Float[Vec, " 128"]]) -> None:
    ops.matvec(w.T, x)  # E: Dimension mismatch in call to "matvec": dimension n: 128 (argument "x", axis 0) vs 784 (argument "w", axis 1)  [dim-mismatch]


def case_constant_bvar() -> None:
    # (Assigned first: inside the call, mypy would infer constant's type from the expected
    # argument type, without sizes.)
    w, x = tp.constant(tp.zeros(3, 4)), tp.constant(tp.zeros(5))
    ops.matvec(w, x)  # E: Dimension mismatch in call to "matvec": dimension n: 5 (argument "x", axis 0) vs 4 (argument "w", axis 1)  [dim-mismatch]


def case_user_op_subclass() -> None:
    affine(tp.zeros(OUT, HIDDEN), tp.zeros(HIDDEN), tp.zeros(HIDDEN))  # E: Dimension mismatch in call to "affine": dimension o: 128 (argument "b", axis 0) vs 10 (argument "w", axis 0)  [dim-mismatch]


def case_user_op_result_flows() -> None:
    h = affine(tp.zeros(OUT, HIDDEN), tp.zeros(HIDDEN), tp.zeros(OUT))
    ops.matvec(tp.zeros(5, HIDDEN), h)  # E: Dimension mismatch in call to "matvec": dimension n: 10 (argument "x", axis 0) vs 128 (argument "w", axis 1)  [dim-mismatch]


def case_op1_keeps_size() -> None:
    # An op made by op1 keeps its hints: softsign of 784 values gives 784 values.
    y = softsign(tp.zeros(IN))
    ops.matvec(tp.zeros(OUT, HIDDEN), y)  # E: Dimension mismatch in call to "matvec": dimension n: 784 (argument "x", axis 0) vs 128 (argument "w", axis 1)  [dim-mismatch]


def case_op_typed_parameter(
    op: tp.Op[Float[Mat, "m n"], Float[Vec, " n"], Float[Vec, " m"]],
) -> None:
    # An op known only by its annotated type; its arguments have no names.
    op(tp.zeros(3, 4), tp.zeros(5))  # E: Dimension mismatch in call to "op": dimension n: 5 (argument 2, axis 0) vs 4 (argument 1, axis 1)  [dim-mismatch]


def case_float32_keeps_sizes() -> None:
    w = tp.zeros(3, 4).astype(np.float32)
    ops.matvec(w, tp.zeros(3).astype(np.float32))  # E: Dimension mismatch in call to "matvec": dimension n: 3 (argument "x", axis 0) vs 4 (argument "w", axis 1)  [dim-mismatch]


def case_op2_named_by_its_function_arguments() -> None:
    # An op made by op2: the message names its function's parameters, as the run time does.
    w = tp.constant(tp.normal(HIDDEN, IN, rng=0))
    x = tp.constant(tp.zeros(HIDDEN))
    scaled_matvec(w, x)  # E: Dimension mismatch in call to "scaled_matvec": dimension i: 128 (argument "x", axis 0) vs 784 (argument "w", axis 1)  [dim-mismatch]


def case_op3_gate_of_the_input_width() -> None:
    # An op made by op3: the gate has one entry per input instead of one per output.
    gated(tp.constant(tp.normal(HIDDEN, IN, rng=0)), tp.constant(tp.zeros(IN)), tp.constant(tp.ones(IN)))  # E: Dimension mismatch in call to "gated": dimension o: 784 (argument "gate", axis 0) vs 128 (argument "w", axis 0)  [dim-mismatch]


def case_constant_inside_an_argument() -> None:
    # constant(...) written inside the call: its sizes are the array's, not the parameter's.
    ops.matvec(tp.constant(tp.zeros(3, 4)), tp.constant(tp.zeros(5)))  # E: Dimension mismatch in call to "matvec": dimension n: 5 (argument "x", axis 0) vs 4 (argument "w", axis 1)  [dim-mismatch]


def case_library_broadcasting_op_of_two_vectors() -> None:
    # ops.add of a 3-vector and a 4-vector (ops.add is no container's add).
    ops.add(tp.zeros(3), tp.zeros(4))  # E: Dimension mismatch in call to "add": axes do not broadcast: 3 (argument "a", axis 0) vs 4 (argument "b", axis 0)  [dim-mismatch]
