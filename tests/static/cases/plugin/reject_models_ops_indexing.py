"""Indexing (`x[...]` with integers, slices, `None` and `...`, `ops.getitem`, `ops.take`,
`ops.where`, `ops.argmax`) on sizes mypy knows, then a use that does not fit: each case is one
shape mistake, refused at run time with a CheckError."""

# Marker comments hold whole mypy messages: long lines, kept as written.
# ruff: noqa: E501
# fmt: off

from typing import Final

import numpy as np
from jaxtyping import Float, Int

import typedprop as tp
from typedprop import Array, BVar, Mat, ops

BATCH: Final = 32
PIXELS: Final = 784
HIDDEN: Final = 128
CLASSES: Final = 10
STEPS: Final = 20


def case_column_instead_of_row() -> None:
    # The first sample is x[0] (784 pixels); x[:, 0] is the first pixel of every sample (32).
    x = tp.normal(BATCH, PIXELS, rng=0)
    w = tp.normal(HIDDEN, PIXELS, rng=0)
    h = ops.matvec(w, x[:, 0])  # E: Dimension mismatch in call to "matvec": dimension n: 32 (argument "x", axis 0) vs 784 (argument "w", axis 1)  [dim-mismatch]
    print(h)


def case_half_the_predictions_against_all_targets() -> None:
    # The first half of the batch compared with the targets of the whole batch.
    pred = tp.normal(BATCH, CLASSES, rng=0)
    targets = tp.zeros(BATCH, CLASSES)
    err = ops.subtract(pred[:16], targets)  # E: Dimension mismatch in call to "subtract": axes do not broadcast: 16 (argument "a", axis 0) vs 32 (argument "b", axis 0)  [dim-mismatch]
    print(err)


def case_last_pixel_dropped() -> None:
    # x[:, :-1] drops the last pixel: 783 features for a weight that takes 784.
    x = tp.normal(BATCH, PIXELS, rng=0)
    w = tp.normal(HIDDEN, PIXELS, rng=0)
    h = ops.linear(w, x[:, :-1], tp.zeros(HIDDEN))  # E: Dimension mismatch in call to "linear": dimension in: 783 (argument "x", axis 1) vs 784 (argument "w", axis 1)  [dim-mismatch]
    print(h)


def case_every_other_pixel_for_a_full_weight() -> None:
    # Downsampled pixels x[:, ::2] (392 of them) fed to a weight for all 784.
    x = tp.normal(BATCH, PIXELS, rng=0)
    w = tp.normal(HIDDEN, PIXELS, rng=0)
    h = ops.matmul(x[:, ::2], w.T)  # E: Dimension mismatch in call to "matmul": inner dimension: 392 (argument "a", axis 1) vs 784 (argument "b", axis 0)  [dim-mismatch]
    print(h)


def case_newaxis_in_the_wrong_place() -> None:
    # A bias given a trailing axis (128, 1) instead of a leading one (1, 128).
    h = tp.normal(BATCH, HIDDEN, rng=0)
    b = tp.zeros(HIDDEN)
    z = ops.add(h, b[:, None])  # E: Dimension mismatch in call to "add": axes do not broadcast: 32 (argument "a", axis 0) vs 128 (argument "b", axis 0)  [dim-mismatch]
    print(z)


def case_ellipsis_picks_the_last_axis() -> None:
    # The first time step of (32, 20, 64) is seq[:, 0]; seq[..., 0] is feature 0 of each step.
    seq = tp.normal(BATCH, STEPS, 64, rng=0)
    w = tp.normal(64, CLASSES, rng=0)
    y = ops.matmul(seq[..., 0], w)  # E: Dimension mismatch in call to "matmul": inner dimension: 20 (argument "a", axis 1) vs 64 (argument "b", axis 0)  [dim-mismatch]
    print(y)


def case_first_sample_instead_of_first_step() -> None:
    # seq[0] is the first sample (20, 64), not the first time step (32, 64) of every sample.
    seq = tp.normal(BATCH, STEPS, 64, rng=0)
    h = tp.zeros(BATCH, 64)
    z = ops.concatenate([seq[0], h], axis=1)  # E: Dimension mismatch in call to "concatenate": axis 0 must match: 32 (argument "xs[1]", axis 0) vs 20 (argument "xs[0]", axis 0)  [dim-mismatch]
    print(z)


def case_getitem_op_of_a_row() -> None:
    # ops.getitem(w, 0) is the first unit's weights over 784 inputs, dotted with 128 activations.
    w = tp.normal(HIDDEN, PIXELS, rng=0)
    h = tp.normal(HIDDEN, rng=0)
    y = ops.dot(ops.getitem(w, 0), h)  # E: Dimension mismatch in call to "dot": inner dimension: 784 (argument "a", axis 0) vs 128 (argument "b", axis 0)  [dim-mismatch]
    print(y)


def case_take_along_the_wrong_axis() -> None:
    # Embedding lookup: rows of the (1000, 64) table are axis 0; axis 1 takes 20 columns.
    table = tp.normal(1000, 64, rng=0)
    ids: Int[np.ndarray, " 20"] = np.arange(20)
    w = tp.normal(64, CLASSES, rng=0)
    y = ops.matmul(ops.take(table, ids, axis=1), w)  # E: Dimension mismatch in call to "matmul": inner dimension: 20 (argument "a", axis 1) vs 64 (argument "b", axis 0)  [dim-mismatch]
    print(y)


def case_where_with_a_fallback_of_another_width() -> None:
    # Keep the positive activations, else a fallback sized for another layer.
    h = tp.normal(BATCH, HIDDEN, rng=0)
    fallback = tp.zeros(BATCH, 64)
    z = ops.where(h > 0, h, fallback)  # E: Dimension mismatch in call to "where": axes do not broadcast: 128 (argument "condition", axis 1) vs 64 (argument "b", axis 1)  [dim-mismatch]
    print(z)


def case_argmax_over_the_batch_axis() -> None:
    # Accuracy: the predicted class is argmax over axis 1; axis 0 gives 10 values for 32 labels.
    logits = tp.normal(BATCH, CLASSES, rng=0)
    labels: Int[np.ndarray, " 32"] = np.zeros(32, dtype=np.int64)
    hits = ops.equal(ops.argmax(logits, axis=0), labels)  # E: Dimension mismatch in call to "equal": axes do not broadcast: 10 (argument "a", axis 0) vs 32 (argument "b", axis 0)  [dim-mismatch]
    print(hits)


def case_minibatch_of_inputs_but_not_of_targets() -> None:
    # The inputs are indexed by the minibatch's 16 indices, the targets are not.
    x = tp.normal(BATCH, CLASSES, rng=0)
    y = tp.zeros(BATCH, CLASSES)
    idx: Int[np.ndarray, " 16"] = np.arange(16)
    err = ops.subtract(x[idx], y)  # E: Dimension mismatch in call to "subtract": axes do not broadcast: 16 (argument "a", axis 0) vs 32 (argument "b", axis 0)  [dim-mismatch]
    print(err)


def case_bvar_column_of_the_weight_times_the_input() -> None:
    # w[:, 0] is one input's weights to the 128 units, multiplied by the 784 pixels.
    x = tp.normal(PIXELS, rng=0)

    def loss(w: BVar[Float[Mat, "128 784"]]) -> BVar[float]:
        return ops.sum(w[:, 0] * x)  # E: Dimension mismatch in operator "*": axes do not broadcast: 128 (left operand, axis 0) vs 784 (right operand, axis 0)  [dim-mismatch]

    tp.grad(loss, tp.normal(HIDDEN, PIXELS, rng=0))


def case_bvar_last_step_of_a_sequence() -> None:
    # The last time step is seq[:, -1] (32, 64); seq[-1] is the last sample (20, 64).
    head = tp.normal(CLASSES, 64, rng=0)
    labels = tp.zeros(BATCH, CLASSES)

    def loss(seq: BVar[Float[Array, "32 20 64"]]) -> BVar[float]:
        logits = seq[-1] @ head.T
        return ops.softmax_cross_entropy(logits, labels)  # E: Dimension mismatch in call to "softmax_cross_entropy": axis 0 must match: 32 (argument "targets", axis 0) vs 20 (argument "logits", axis 0)  [dim-mismatch]

    tp.grad(loss, tp.normal(BATCH, STEPS, 64, rng=0))
