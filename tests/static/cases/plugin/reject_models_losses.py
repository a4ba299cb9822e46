"""The losses of `typedprop.ops` (`squared_error`, `mean_squared_error`, `softmax_cross_entropy`,
`softmax_cross_entropy_with_integer_labels`, `sigmoid_binary_cross_entropy`) given predictions
and targets of shapes that do not match: each case is one shape mistake, refused at run time
with a CheckError."""

# Marker comments hold whole mypy messages: long lines, kept as written.
# ruff: noqa: E501
# fmt: off

from typing import Final, NamedTuple

import numpy as np
from jaxtyping import Float, Int

import typedprop as tp
from typedprop import BVar, Mat, Vec, ops

BATCH: Final = 32
PIXELS: Final = 784
HIDDEN: Final = 128
CLASSES: Final = 10


@tp.shapecheck
class Batch(NamedTuple):
    images: Float[Mat, "batch 784"]
    labels: Int[np.ndarray, " batch"]


def case_mse_against_targets_without_class_axis() -> None:
    # Regression onto 10 outputs, with one target number per sample.
    x = tp.normal(BATCH, HIDDEN, rng=0)
    y = tp.zeros(BATCH)

    def loss(w: BVar[Float[Mat, "10 128"]]) -> BVar[float]:
        return ops.mean_squared_error(x @ w.T, y)  # E: Rank mismatch in call to "mean_squared_error": argument "target" of shape (32,) does not match argument "pred" of shape (32, 10)  [rank-mismatch]

    tp.grad(loss, tp.normal(CLASSES, HIDDEN, rng=0))


def case_mse_against_transposed_targets() -> None:
    # Targets stored (classes, batch): their transpose matches the predictions, they do not.
    pred = tp.normal(BATCH, CLASSES, rng=0)
    targets = tp.zeros(CLASSES, BATCH)
    value = ops.mean_squared_error(pred, targets)  # E: Dimension mismatch in call to "mean_squared_error": axis 0 must match: 10 (argument "target", axis 0) vs 32 (argument "pred", axis 0)  [dim-mismatch]
    print(value)


def case_squared_error_of_a_reconstruction_through_a_bottleneck() -> None:
    # An autoencoder's decoder maps back to 128 values, but the input had 784.
    x = tp.normal(PIXELS, rng=0)

    def loss(enc: BVar[Float[Mat, "32 784"]], dec: BVar[Float[Mat, "128 32"]]) -> BVar[float]:
        code = ops.tanh(ops.matvec(enc, x))
        return ops.squared_error(ops.matvec(dec, code), x)  # E: Dimension mismatch in call to "squared_error": axis 0 must match: 784 (argument "target", axis 0) vs 128 (argument "pred", axis 0)  [dim-mismatch]

    tp.grad_n(loss, tp.normal(32, PIXELS, rng=0), tp.normal(HIDDEN, 32, rng=0))


def case_softmax_cross_entropy_one_hot_of_another_class_count() -> None:
    # One-hot targets for 9 classes against 10 logits.
    targets = tp.zeros(BATCH, 9)

    def loss(logits: BVar[Float[Mat, "32 10"]]) -> BVar[float]:
        return ops.softmax_cross_entropy(logits, targets)  # E: Dimension mismatch in call to "softmax_cross_entropy": axis 1 must match: 9 (argument "targets", axis 1) vs 10 (argument "logits", axis 1)  [dim-mismatch]

    tp.grad(loss, tp.zeros(BATCH, CLASSES))


def case_softmax_cross_entropy_on_a_half_batch() -> None:
    # The logits of the first 16 samples against the targets of all 32.
    logits = tp.normal(BATCH, CLASSES, rng=0)
    targets = tp.zeros(BATCH, CLASSES)
    value = ops.softmax_cross_entropy(logits[:16], targets)  # E: Dimension mismatch in call to "softmax_cross_entropy": axis 0 must match: 32 (argument "targets", axis 0) vs 16 (argument "logits", axis 0)  [dim-mismatch]
    print(value)


def case_integer_labels_of_another_batch() -> None:
    # The labels of a batch of 64 with the logits of a batch of 32.
    labels: Int[np.ndarray, " 64"] = np.zeros(64, dtype=np.int64)

    def loss(logits: BVar[Float[Mat, "32 10"]]) -> BVar[float]:
        return ops.softmax_cross_entropy_with_integer_labels(logits, labels)  # E: Dimension mismatch in call to "softmax_cross_entropy_with_integer_labels": axis 0 must match: 64 (argument "labels", axis 0) vs 32 (argument "logits", axis 0)  [dim-mismatch]

    tp.grad(loss, tp.zeros(BATCH, CLASSES))


def case_integer_labels_with_a_trailing_axis() -> None:
    # Labels kept as a (32, 1) column; the loss wants one label per row of logits, (32,).
    logits = tp.normal(BATCH, CLASSES, rng=0)
    labels: Int[np.ndarray, "32 1"] = np.zeros((32, 1), dtype=np.int64)
    value = ops.softmax_cross_entropy_with_integer_labels(logits, labels)  # E: Rank mismatch in call to "softmax_cross_entropy_with_integer_labels": argument "labels" of shape (32, 1) does not fit argument "logits" of shape (32, 10) (one label per row of logits)  [rank-mismatch]
    print(value)


def case_integer_labels_for_transposed_logits() -> None:
    # Logits computed as w @ x.T are (classes, batch); the 32 labels meet a batch axis of 10.
    x = tp.normal(BATCH, HIDDEN, rng=0)
    labels: Int[np.ndarray, " 32"] = np.zeros(32, dtype=np.int64)

    def loss(w: BVar[Float[Mat, "10 128"]]) -> BVar[float]:
        logits = w @ x.T
        return ops.softmax_cross_entropy_with_integer_labels(logits, labels)  # E: Dimension mismatch in call to "softmax_cross_entropy_with_integer_labels": axis 0 must match: 32 (argument "labels", axis 0) vs 10 (argument "logits", axis 0)  [dim-mismatch]

    tp.grad(loss, tp.normal(CLASSES, HIDDEN, rng=0))


def case_sigmoid_binary_cross_entropy_column_against_vector() -> None:
    # A (32, 1) column of logits against a (32,) vector of targets.
    targets = tp.zeros(BATCH)

    def loss(w: BVar[Float[Mat, "128 1"]], h: BVar[Float[Mat, "32 128"]]) -> BVar[float]:
        return ops.sigmoid_binary_cross_entropy(h @ w, targets)  # E: Rank mismatch in call to "sigmoid_binary_cross_entropy": argument "targets" of shape (32,) does not match argument "logits" of shape (32, 1)  [rank-mismatch]

    tp.grad_n(loss, tp.zeros(HIDDEN, 1), tp.zeros(BATCH, HIDDEN))


def case_sigmoid_binary_cross_entropy_multi_label_count() -> None:
    # 10 independent labels per sample, logits for 8.
    logits = tp.normal(BATCH, 8, rng=0)
    targets = tp.zeros(BATCH, CLASSES)
    value = ops.sigmoid_binary_cross_entropy(logits, targets)  # E: Dimension mismatch in call to "sigmoid_binary_cross_entropy": axis 1 must match: 10 (argument "targets", axis 1) vs 8 (argument "logits", axis 1)  [dim-mismatch]
    print(value)


def case_batch_structure_of_mismatched_sizes() -> None:
    # A Batch of 32 images with the labels of 16.
    images = tp.normal(BATCH, PIXELS, rng=0)
    labels: Int[np.ndarray, " 16"] = np.zeros(16, dtype=np.int64)
    batch = Batch(images, labels)  # E: Dimension mismatch in call to "Batch": dimension batch: 16 (argument "labels", axis 0) vs 32 (argument "images", axis 0)  [dim-mismatch]
    print(batch)


def case_loss_of_hidden_activations_instead_of_logits() -> None:
    # The output layer w2 is forgotten: the loss gets the hidden activations (32, 128), not the
    # outputs (32, 10).
    x = tp.normal(BATCH, PIXELS, rng=0)
    targets = tp.zeros(BATCH, CLASSES)

    def loss(w1: BVar[Float[Mat, "128 784"]], w2: BVar[Float[Mat, "10 128"]]) -> BVar[float]:
        h = ops.relu(x @ w1.T)
        return ops.mean_squared_error(h, targets)  # E: Dimension mismatch in call to "mean_squared_error": axis 1 must match: 10 (argument "target", axis 1) vs 128 (argument "pred", axis 1)  [dim-mismatch]

    tp.grad_n(loss, tp.normal(HIDDEN, PIXELS, rng=0), tp.normal(CLASSES, HIDDEN, rng=0))


def case_mse_of_one_sample_against_a_batch() -> None:
    # One sample's prediction (10,) against the whole batch's targets (32, 10).
    w = tp.normal(CLASSES, PIXELS, rng=0)
    x = tp.normal(PIXELS, rng=0)
    targets = tp.zeros(BATCH, CLASSES)
    value = ops.mean_squared_error(ops.matvec(w, x), targets)  # E: Rank mismatch in call to "mean_squared_error": argument "target" of shape (32, 10) does not match argument "pred" of shape (10,)  [rank-mismatch]
    print(value)


def case_squared_error_of_a_vector_of_another_length() -> None:
    # A prediction per time step (20) against targets for 19 steps (the shifted sequence).
    series = tp.normal(20, rng=0)
    targets: Float[Vec, " 19"] = series[1:]

    def loss(pred: BVar[Float[Vec, " 20"]]) -> BVar[float]:
        return ops.squared_error(pred, targets)  # E: Dimension mismatch in call to "squared_error": axis 0 must match: 19 (argument "target", axis 0) vs 20 (argument "pred", axis 0)  [dim-mismatch]

    tp.grad(loss, series)
