"""The losses on sized predictions and targets, as model code uses them: squared errors for
regression, softmax cross-entropies with one-hot, soft or integer labels, binary cross-entropy on
logits, and hand-written losses. Every case runs, and mypy accepts it."""

# ruff: noqa: E501
# fmt: off

from typing import Final, NamedTuple

import numpy as np
from jaxtyping import Float, Int

import typedprop as tp
from typedprop import BVar, Mat, Vec, ops

BATCH: Final = 12
FEATURES: Final[int] = 7
CLASSES: Final = 4


@tp.shapecheck
class Head(NamedTuple):
    w: Float[Mat, "c d"]
    b: Float[Vec, " c"]


@tp.shapecheck
def logits_of(head: BVar[Head], x: Float[Mat, "n d"]) -> BVar[Float[Mat, "n c"]]:
    w, b = head.unpack()
    return ops.linear(w, x, b)


@tp.shapecheck
def classification_loss(logits: BVar[Float[Mat, "n c"]], labels: Int[np.ndarray, " n"]) -> BVar[float]:
    return ops.softmax_cross_entropy_with_integer_labels(logits, labels)


def data(seed: int) -> tuple[Mat, np.ndarray]:
    rng = np.random.default_rng(seed)
    return tp.normal(BATCH, FEATURES, rng=rng), rng.integers(0, CLASSES, BATCH)


def init_head(seed: int) -> Head:
    return Head(tp.normal(CLASSES, FEATURES, scale=0.1, rng=seed), tp.zeros(CLASSES))


def case_squared_error_of_a_vector() -> None:
    # The sum of squared differences of a prediction vector.
    prediction, target = tp.normal(BATCH, rng=0), tp.normal(BATCH, rng=1)
    assert np.isclose(ops.squared_error(prediction, target), np.sum((prediction - target) ** 2))
    g = tp.grad(lambda p: ops.squared_error(p, target), prediction)
    assert np.allclose(g, 2 * (prediction - target))


def case_mean_squared_error_of_a_regression() -> None:
    # A linear regression's mean squared error over a batch of outputs.
    x, y = tp.normal(BATCH, FEATURES, rng=0), tp.normal(BATCH, 2, rng=1)

    def loss(w: BVar[Mat]) -> BVar[float]:
        return ops.mean_squared_error(ops.matmul(x, w), y)

    assert tp.grad(loss, tp.zeros(FEATURES, 2)).shape == (FEATURES, 2)


def case_integer_labels_through_a_checked_head() -> None:
    # Integer labels with logits from a shapecheck'ed head.
    x, labels = data(0)

    def loss(h: BVar[Head]) -> BVar[float]:
        return classification_loss(logits_of(h, x), labels)

    value, g = tp.backprop(loss, init_head(1))
    assert value > 0.0 and g.w.shape == (CLASSES, FEATURES)


def case_one_hot_targets() -> None:
    # softmax_cross_entropy with one-hot targets equals the integer-label form.
    x, labels = data(0)
    targets = np.eye(CLASSES)[labels]
    logits = ops.linear(tp.normal(CLASSES, FEATURES, rng=1), x, tp.zeros(CLASSES))
    a = ops.softmax_cross_entropy(logits, targets)
    b = ops.softmax_cross_entropy_with_integer_labels(logits, labels)
    assert np.isclose(a, b)


def case_label_smoothing() -> None:
    # Soft targets: one-hot rows smoothed toward uniform.
    x, labels = data(0)
    smooth = 0.9 * np.eye(CLASSES)[labels] + 0.1 / CLASSES

    def loss(h: BVar[Head]) -> BVar[float]:
        return ops.softmax_cross_entropy(logits_of(h, x), smooth)

    g = tp.grad(loss, init_head(1))
    assert g.b.shape == (CLASSES,)


def case_single_sample_integer_label() -> None:
    # One sample's logits and an int label.
    logits = tp.normal(CLASSES, rng=0)
    g = tp.grad(lambda v: ops.softmax_cross_entropy_with_integer_labels(v, 2), logits)
    assert g.shape == (CLASSES,) and np.isclose(g.sum(), 0.0)


def case_binary_cross_entropy_on_logits() -> None:
    # Logistic regression's loss on logits and 0/1 targets.
    x = tp.normal(BATCH, FEATURES, rng=0)
    y = (x[:, 0] > 0).astype(np.float64)

    def loss(w: BVar[Vec]) -> BVar[float]:
        return ops.sigmoid_binary_cross_entropy(ops.matmul(x, w), y)

    value, g = tp.backprop(loss, tp.zeros(FEATURES))
    assert np.isclose(value, np.log(2.0)) and g.shape == (FEATURES,)


def case_multi_label_binary_cross_entropy() -> None:
    # Several independent binary outputs per sample.
    logits, targets = tp.normal(BATCH, CLASSES, rng=0), (tp.normal(BATCH, CLASSES, rng=1) > 0).astype(np.float64)
    assert ops.sigmoid_binary_cross_entropy(logits, targets) > 0.0


def case_hand_written_cross_entropy() -> None:
    # The cross-entropy written with log_softmax and a one-hot product.
    x, labels = data(0)
    onehot: Mat = np.eye(CLASSES)[labels]

    def loss(h: BVar[Head]) -> BVar[float]:
        logp = ops.log_softmax(logits_of(h, x), axis=-1)
        return -ops.sum(logp * onehot) / BATCH

    def reference(h: BVar[Head]) -> BVar[float]:
        return ops.softmax_cross_entropy_with_integer_labels(logits_of(h, x), labels)

    head = init_head(1)
    assert np.isclose(tp.evaluate(loss, head), tp.evaluate(reference, head))


def case_huber_loss_by_where() -> None:
    # A Huber loss: quadratic near zero, linear beyond, by where on the plain residual.
    prediction, target = tp.normal(BATCH, rng=0), tp.normal(BATCH, rng=1)

    def loss(p: BVar[Vec]) -> BVar[float]:
        r = p - target
        small = np.abs(r.value) < 1.0
        return ops.mean(ops.where(small, 0.5 * ops.square(r), ops.abs(r) - 0.5))

    assert tp.grad(loss, prediction).shape == (BATCH,)


def case_losses_on_plain_values() -> None:
    # Losses of plain arrays give plain numbers.
    p, t = tp.normal(BATCH, rng=0), tp.normal(BATCH, rng=1)
    value: float = ops.mean_squared_error(p, t)
    assert value >= 0.0
