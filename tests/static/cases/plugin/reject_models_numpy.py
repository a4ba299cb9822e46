"""Plain numpy model code on arrays whose sizes mypy knows: each case is one shape mistake that
numpy refuses at run time with a ValueError."""

# Marker comments hold whole mypy messages: long lines, kept as written.
# ruff: noqa: E501
# fmt: off

from typing import Final

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import Mat

BATCH: Final = 32
PIXELS: Final = 784
HIDDEN: Final = 128
CLASSES: Final = 10


def case_bias_sized_for_the_input() -> None:
    # The hidden layer's bias has the input's width (784) instead of the layer's (128).
    x = tp.normal(BATCH, PIXELS, rng=0)
    w = tp.normal(HIDDEN, PIXELS, rng=0)
    b = tp.zeros(PIXELS)
    h = x @ w.T + b  # E: Dimension mismatch in operator "+": axes do not broadcast: 128 (left operand, axis 1) vs 784 (right operand, axis 0)  [dim-mismatch]
    print(h)


def case_weight_not_transposed() -> None:
    # A (out, in) weight used as if it were stored (in, out): x @ w instead of x @ w.T.
    x = tp.normal(BATCH, PIXELS, rng=0)
    w = tp.normal(HIDDEN, PIXELS, rng=0)
    h = np.tanh(x @ w)  # E: Dimension mismatch in operator "@": inner dimension: 784 (left operand, axis 1) vs 128 (right operand, axis 0)  [dim-mismatch]
    print(h)


def case_weight_transposed_once_too_often() -> None:
    # The weight is stored (in, out) already, and is transposed anyway.
    x = tp.normal(BATCH, PIXELS, rng=0)
    w = tp.normal(PIXELS, HIDDEN, rng=0)
    h = x @ w.T  # E: Dimension mismatch in operator "@": inner dimension: 784 (left operand, axis 1) vs 128 (right operand, axis 0)  [dim-mismatch]
    print(h)


def case_targets_without_class_axis() -> None:
    # Scores are (batch, classes), the targets one value per sample: the error does not broadcast.
    scores = tp.zeros(BATCH, CLASSES)
    targets = tp.zeros(BATCH)
    err = scores - targets  # E: Dimension mismatch in operator "-": axes do not broadcast: 10 (left operand, axis 1) vs 32 (right operand, axis 0)  [dim-mismatch]
    print(err)


def case_dropout_mask_of_another_layer() -> None:
    # The dropout mask was drawn for the input layer (784 wide), applied to the hidden one.
    h = tp.normal(BATCH, HIDDEN, rng=0)
    mask = tp.ones(BATCH, PIXELS)
    dropped = h * mask  # E: Dimension mismatch in operator "*": axes do not broadcast: 128 (left operand, axis 1) vs 784 (right operand, axis 1)  [dim-mismatch]
    print(dropped)


def case_divide_by_row_sums_without_keepdims() -> None:
    # Each row divided by its sum, but the sums lost their axis: (32, 10) / (32,).
    counts = tp.ones(BATCH, CLASSES)
    probs = counts / counts.sum(axis=1)  # E: Dimension mismatch in operator "/": axes do not broadcast: 10 (left operand, axis 1) vs 32 (right operand, axis 0)  [dim-mismatch]
    print(probs)


def case_batched_matmul_batch_axes() -> None:
    # Two stacks of matrices with different batch sizes: 8 against 4.
    a = tp.zeros(8, 16, 32)
    b = tp.zeros(4, 32, 16)
    c = a @ b  # E: Dimension mismatch in operator "@": batch axes: 8 (left operand, axis 0) vs 4 (right operand, axis 0)  [dim-mismatch]
    print(c)


def case_dot_of_vectors_of_different_lengths() -> None:
    # The hidden activations dotted with a readout vector sized for the pixels.
    h = tp.normal(HIDDEN, rng=0)
    readout = tp.normal(PIXELS, rng=0)
    y = h @ readout  # E: Dimension mismatch in operator "@": inner dimension: 128 (left operand, axis 0) vs 784 (right operand, axis 0)  [dim-mismatch]
    print(y)


def case_np_matmul_inner_dimension() -> None:
    # np.matmul with the operands in the wrong order: (128, 784) @ (32, 784).
    x = tp.normal(BATCH, PIXELS, rng=0)
    w = tp.normal(HIDDEN, PIXELS, rng=0)
    h = np.matmul(w, x)  # E: Dimension mismatch in call to "matmul": inner dimension: 784 (argument "x1", axis 1) vs 32 (argument "x2", axis 0)  [dim-mismatch]
    print(h)


def case_np_dot_with_the_wrong_vector() -> None:
    # The layer's weight dotted with its own output instead of its input.
    w = tp.normal(HIDDEN, PIXELS, rng=0)
    out = tp.zeros(HIDDEN)
    h = np.dot(w, out)  # E: Dimension mismatch in call to "dot": inner dimension: 784 (argument "a", axis 1) vs 128 (argument "b", axis 0)  [dim-mismatch]
    print(h)


def case_np_einsum_square_weight() -> None:
    # The einsum says "bi,oi->bo", but w was made square with the hidden size: i is 784 and 128.
    x = tp.normal(BATCH, PIXELS, rng=0)
    w = tp.normal(HIDDEN, HIDDEN, rng=0)
    h = np.einsum("bi,oi->bo", x, w)  # E: Dimension mismatch in call to "einsum": label i: 128 (argument "operands[1]", axis 1) vs 784 (argument "operands[0]", axis 1)  [dim-mismatch]
    print(h)


def case_np_concatenate_features_on_the_batch_axis() -> None:
    # Extra features concatenated to the pixels along axis 0 (the batch) instead of axis 1.
    x = tp.normal(BATCH, PIXELS, rng=0)
    extra = tp.zeros(BATCH, CLASSES)
    features = np.concatenate([x, extra], axis=0)  # E: Dimension mismatch in call to "concatenate": axis 1 must match: 10 (argument "arrays[1]", axis 1) vs 784 (argument "arrays[0]", axis 1)  [dim-mismatch]
    print(features)


def case_np_concatenate_batches_of_different_widths() -> None:
    # Two batches stacked along the batch axis, one of them already projected to 128 features.
    first = tp.normal(BATCH, PIXELS, rng=0)
    second = tp.normal(16, HIDDEN, rng=0)
    both = np.concatenate([first, second])  # E: Dimension mismatch in call to "concatenate": axis 1 must match: 128 (argument "arrays[1]", axis 1) vs 784 (argument "arrays[0]", axis 1)  [dim-mismatch]
    print(both)


def case_np_stack_of_different_lengths() -> None:
    # Two samples stacked into a batch, one with its last pixel cut off.
    a = tp.zeros(PIXELS)
    b = tp.zeros(PIXELS - 1)
    batch = np.stack([a, b])  # E: Dimension mismatch in call to "stack": stacked arrays differ: 783 (argument "arrays[1]", axis 0) vs 784 (argument "arrays[0]", axis 0)  [dim-mismatch]
    print(batch)


def case_np_reshape_to_the_wrong_image_size() -> None:
    # 784 pixels are 28 x 28, not 28 x 27.
    x = tp.normal(BATCH, PIXELS, rng=0)
    images = np.reshape(x, (BATCH, 28, 27))  # E: Dimension mismatch in call to "reshape": cannot reshape argument "a" of shape (32, 784) (25088 elements) to (32, 28, 27) (24192 elements)  [dim-mismatch]
    print(images)


def case_reshape_minus_one_that_cannot_divide() -> None:
    # Rows of 30 pixels: 784 is no multiple of 30.
    x = tp.normal(PIXELS, rng=0)
    rows = x.reshape(-1, 30)  # E: Dimension mismatch in call to "reshape": cannot reshape the array of shape (784,) (784 elements) to (-1, 30): 784 is not a multiple of 30  [dim-mismatch]
    print(rows)


def case_transpose_of_the_wrong_axes() -> None:
    # A time-major sequence (20, 32, 16) made batch-major should be transpose(1, 0, 2);
    # transpose(0, 2, 1) gives (20, 16, 32), whose last axis does not meet w's 16 rows.
    seq = tp.normal(20, BATCH, 16, rng=0)
    w = tp.normal(16, 64, rng=0)
    h = seq.transpose(0, 2, 1) @ w  # E: Dimension mismatch in operator "@": inner dimension: 32 (left operand, axis 2) vs 16 (right operand, axis 0)  [dim-mismatch]
    print(h)


def case_np_expand_dims_on_the_wrong_axis() -> None:
    # Per-sample means (32,) need a new last axis to subtract from (32, 784), not a first one.
    x = tp.normal(BATCH, PIXELS, rng=0)
    means = x.mean(axis=1)
    centered = x - np.expand_dims(means, 0)  # E: Dimension mismatch in operator "-": axes do not broadcast: 784 (left operand, axis 1) vs 32 (right operand, axis 1)  [dim-mismatch]
    print(centered)


def case_np_squeeze_of_the_batch_axis() -> None:
    # The single output column is axis 1; axis 0 is the batch of 32.
    out = tp.zeros(BATCH, 1)
    y = np.squeeze(out, axis=0)  # E: Dimension mismatch in call to "squeeze": axis 0 of argument "a" of shape (32, 1) has length 32, not 1  [dim-mismatch]
    print(y)


def case_mean_without_keepdims() -> None:
    # Per-sample centering: the (32,) means do not broadcast against (32, 784).
    x = tp.normal(BATCH, PIXELS, rng=0)
    centered = x - x.mean(axis=1)  # E: Dimension mismatch in operator "-": axes do not broadcast: 784 (left operand, axis 1) vs 32 (right operand, axis 0)  [dim-mismatch]
    print(centered)


def case_annotated_batch_matmul() -> None:
    # Annotated with its sizes, then multiplied by a weight stored the other way round.
    x: Float[Mat, "32 784"] = np.zeros((32, 784))
    w: Float[Mat, "784 128"] = np.zeros((784, 128))
    h = x @ w.T  # E: Dimension mismatch in operator "@": inner dimension: 784 (left operand, axis 1) vs 128 (right operand, axis 0)  [dim-mismatch]
    print(h)
