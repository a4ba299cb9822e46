"""BVar operators (`+ - * / ** @`, `.T`, numpy-style methods) inside loss functions given to
`tp.grad`: each case is one shape mistake, refused at run time with a CheckError."""

# Marker comments hold whole mypy messages: long lines, kept as written.
# ruff: noqa: E501
# fmt: off

from typing import Final

from jaxtyping import Float

import typedprop as tp
from typedprop import Array, BVar, Mat, Vec, ops

BATCH: Final = 32
PIXELS: Final = 784
HIDDEN: Final = 128
CLASSES: Final = 10


def case_bias_of_the_input_width() -> None:
    # The hidden layer's bias is sized for the input (784), not for the layer (128).
    x = tp.normal(BATCH, PIXELS, rng=0)
    b = tp.zeros(PIXELS)

    def loss(w: BVar[Float[Mat, "128 784"]]) -> BVar[float]:
        h = x @ w.T + b  # E: Dimension mismatch in operator "+": axes do not broadcast: 128 (left operand, axis 1) vs 784 (right operand, axis 0)  [dim-mismatch]
        return ops.sum(ops.tanh(h))

    tp.grad(loss, tp.normal(HIDDEN, PIXELS, rng=0))


def case_logits_minus_labels_without_class_axis() -> None:
    # A squared error of (32, 10) logits against one number per sample.
    x = tp.normal(BATCH, HIDDEN, rng=0)
    y = tp.zeros(BATCH)

    def loss(w: BVar[Float[Mat, "10 128"]]) -> BVar[float]:
        logits = x @ w.T
        err = logits - y  # E: Dimension mismatch in operator "-": axes do not broadcast: 10 (left operand, axis 1) vs 32 (right operand, axis 0)  [dim-mismatch]
        return ops.sum(err ** 2)

    tp.grad(loss, tp.normal(CLASSES, HIDDEN, rng=0))


def case_weight_used_untransposed() -> None:
    # An (out, in) weight multiplied as if it were (in, out).
    x = tp.normal(BATCH, PIXELS, rng=0)

    def loss(w: BVar[Float[Mat, "128 784"]]) -> BVar[float]:
        h = x @ w  # E: Dimension mismatch in operator "@": inner dimension: 784 (left operand, axis 1) vs 128 (right operand, axis 0)  [dim-mismatch]
        return ops.sum(ops.relu(h))

    tp.grad(loss, tp.normal(HIDDEN, PIXELS, rng=0))


def case_bvar_weight_transposed_once_too_often() -> None:
    # The weight is stored (in, out), and transposed anyway.
    x = tp.normal(BATCH, PIXELS, rng=0)

    def loss(w: BVar[Float[Mat, "784 128"]]) -> BVar[float]:
        h = x @ w.T  # E: Dimension mismatch in operator "@": inner dimension: 784 (left operand, axis 1) vs 128 (right operand, axis 0)  [dim-mismatch]
        return ops.sum(ops.relu(h))

    tp.grad(loss, tp.normal(PIXELS, HIDDEN, rng=0))


def case_second_layer_fed_the_input() -> None:
    # The output layer is applied to the input instead of the hidden activations.
    x = tp.normal(PIXELS, rng=0)

    def loss(w1: BVar[Float[Mat, "128 784"]], w2: BVar[Float[Mat, "10 128"]]) -> BVar[float]:
        h = ops.tanh(w1 @ x)
        y = w2 @ x  # E: Dimension mismatch in operator "@": inner dimension: 128 (left operand, axis 1) vs 784 (right operand, axis 0)  [dim-mismatch]
        return ops.sum(y) + ops.sum(h)

    tp.grad_n(loss, tp.normal(HIDDEN, PIXELS, rng=0), tp.normal(CLASSES, HIDDEN, rng=0))


def case_readout_vector_of_the_class_count() -> None:
    # A scalar readout h @ v with v sized for the classes instead of the hidden units.
    v = tp.normal(CLASSES, rng=0)

    def loss(h: BVar[Float[Vec, " 128"]]) -> BVar[float]:
        return h @ v  # E: Dimension mismatch in operator "@": inner dimension: 128 (left operand, axis 0) vs 10 (right operand, axis 0)  [dim-mismatch]

    tp.grad(loss, tp.normal(HIDDEN, rng=0))


def case_array_on_the_left_of_matmul() -> None:
    # Data (32, 784) on the left of a BVar weight that was made (128, 128).
    x = tp.normal(BATCH, PIXELS, rng=0)

    def loss(w: BVar[Float[Mat, "128 128"]]) -> BVar[float]:
        h = x @ w  # E: Dimension mismatch in operator "@": inner dimension: 784 (left operand, axis 1) vs 128 (right operand, axis 0)  [dim-mismatch]
        return ops.sum(h)

    tp.grad(loss, tp.normal(HIDDEN, HIDDEN, rng=0))


def case_array_on_the_left_of_plus() -> None:
    # A (784,) offset added on the left of (32, 128) activations.
    offset = tp.zeros(PIXELS)

    def loss(h: BVar[Float[Mat, "32 128"]]) -> BVar[float]:
        z = offset + h  # E: Dimension mismatch in operator "+": axes do not broadcast: 784 (left operand, axis 0) vs 128 (right operand, axis 1)  [dim-mismatch]
        return ops.sum(z)

    tp.grad(loss, tp.zeros(BATCH, HIDDEN))


def case_gate_of_another_width() -> None:
    # A gate of 64 units multiplied into 128 activations.
    def loss(h: BVar[Float[Mat, "32 128"]], gate: BVar[Float[Mat, "32 64"]]) -> BVar[float]:
        z = h * ops.logistic(gate)  # E: Dimension mismatch in operator "*": axes do not broadcast: 128 (left operand, axis 1) vs 64 (right operand, axis 1)  [dim-mismatch]
        return ops.sum(z)

    tp.grad_n(loss, tp.zeros(BATCH, HIDDEN), tp.zeros(BATCH, 64))


def case_divide_by_row_sums_without_keepdims() -> None:
    # Rows normalized by their sums, which lost their axis: (32, 10) / (32,).
    def loss(scores: BVar[Float[Mat, "32 10"]]) -> BVar[float]:
        e = ops.exp(scores)
        p = e / e.sum(axis=1)  # E: Dimension mismatch in operator "/": axes do not broadcast: 10 (left operand, axis 1) vs 32 (right operand, axis 0)  [dim-mismatch]
        return ops.sum(p)

    tp.grad(loss, tp.zeros(BATCH, CLASSES))


def case_centered_over_the_wrong_axis() -> None:
    # Per-feature means (over axis 0) given a trailing axis as if they were per-sample ones.
    def loss(h: BVar[Float[Mat, "32 128"]]) -> BVar[float]:
        centered = h - h.mean(axis=0)[:, None]  # E: Dimension mismatch in operator "-": axes do not broadcast: 32 (left operand, axis 0) vs 128 (right operand, axis 0)  [dim-mismatch]
        return ops.sum(centered ** 2)

    tp.grad(loss, tp.normal(BATCH, HIDDEN, rng=0))


def case_residual_across_a_width_change() -> None:
    # A residual connection around a layer that changes the width from 784 to 128.
    x = tp.normal(BATCH, PIXELS, rng=0)

    def loss(w: BVar[Float[Mat, "128 784"]]) -> BVar[float]:
        out = x + ops.tanh(x @ w.T)  # E: Dimension mismatch in operator "+": axes do not broadcast: 784 (left operand, axis 1) vs 128 (right operand, axis 1)  [dim-mismatch]
        return ops.sum(out)

    tp.grad(loss, tp.normal(HIDDEN, PIXELS, rng=0))


def case_bvar_batched_matmul_batch_axes() -> None:
    # A stack of 8 matrices times a stack of 4.
    b = tp.normal(4, 32, 16, rng=0)

    def loss(a: BVar[Float[Array, "8 16 32"]]) -> BVar[float]:
        c = a @ b  # E: Dimension mismatch in operator "@": batch axes: 8 (left operand, axis 0) vs 4 (right operand, axis 0)  [dim-mismatch]
        return ops.sum(c)

    tp.grad(loss, tp.normal(8, 16, 32, rng=0))


def case_weight_decay_per_input_scaled_per_unit() -> None:
    # The squared weights summed over the units (axis 0, 784 values) times a per-unit scale (128).
    scale = tp.ones(HIDDEN)

    def loss(w: BVar[Float[Mat, "128 784"]]) -> BVar[float]:
        penalty = (w ** 2).sum(axis=0) * scale  # E: Dimension mismatch in operator "*": axes do not broadcast: 784 (left operand, axis 0) vs 128 (right operand, axis 0)  [dim-mismatch]
        return ops.sum(penalty)

    tp.grad(loss, tp.normal(HIDDEN, PIXELS, rng=0))


def case_bias_vector_minus_weight_row() -> None:
    # A bias compared with a row of the weight (784 wide) instead of a column (128 long).
    def loss(w: BVar[Float[Mat, "128 784"]], b: BVar[Float[Vec, " 128"]]) -> BVar[float]:
        d = b - w[0]  # E: Dimension mismatch in operator "-": axes do not broadcast: 128 (left operand, axis 0) vs 784 (right operand, axis 0)  [dim-mismatch]
        return ops.sum(d ** 2)

    tp.grad_n(loss, tp.normal(HIDDEN, PIXELS, rng=0), tp.zeros(HIDDEN))
