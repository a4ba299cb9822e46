"""typedprop's reductions (`sum`, `mean`, `var`, `std`, `max`, `min`, `prod`, `norm`,
`logsumexp`) and softmaxes with `axis` and `keepdims`, whose result then meets another array:
each case is one shape mistake, refused at run time with a CheckError."""

# Marker comments hold whole mypy messages: long lines, kept as written.
# ruff: noqa: E501
# fmt: off

from typing import Final

from jaxtyping import Float

import typedprop as tp
from typedprop import Array, BVar, Mat, ops

BATCH: Final = 32
PIXELS: Final = 784
HIDDEN: Final = 128
CLASSES: Final = 10


def case_sum_over_the_wrong_axis_then_a_bias() -> None:
    # Summing out the batch axis leaves 784 values; the bias is per hidden unit (128).
    x = tp.normal(BATCH, PIXELS, rng=0)
    b = tp.zeros(HIDDEN)
    pooled = ops.add(ops.sum(x, axis=0), b)  # E: Dimension mismatch in call to "add": axes do not broadcast: 784 (argument "a", axis 0) vs 128 (argument "b", axis 0)  [dim-mismatch]
    print(pooled)


def case_mean_without_keepdims() -> None:
    # Per-sample centering: the (32,) means do not broadcast against (32, 784).
    x = tp.normal(BATCH, PIXELS, rng=0)
    centered = ops.subtract(x, ops.mean(x, axis=1))  # E: Dimension mismatch in call to "subtract": axes do not broadcast: 784 (argument "a", axis 1) vs 32 (argument "b", axis 0)  [dim-mismatch]
    print(centered)


def case_max_without_keepdims_in_a_stable_softmax() -> None:
    # logits - max(logits, axis=1): (32, 10) minus (32,).
    def loss(logits: BVar[Float[Mat, "32 10"]]) -> BVar[float]:
        shifted = logits - ops.max(logits, axis=1)  # E: Dimension mismatch in operator "-": axes do not broadcast: 10 (left operand, axis 1) vs 32 (right operand, axis 0)  [dim-mismatch]
        return ops.sum(ops.exp(shifted))

    tp.grad(loss, tp.zeros(BATCH, CLASSES))


def case_logsumexp_over_the_batch_axis() -> None:
    # log-softmax by hand: the normalizer is taken over axis 0 (10 values) and given a trailing
    # axis as if it had one per sample.
    def loss(logits: BVar[Float[Mat, "32 10"]]) -> BVar[float]:
        logp = logits - ops.logsumexp(logits, axis=0)[:, None]  # E: Dimension mismatch in operator "-": axes do not broadcast: 32 (left operand, axis 0) vs 10 (right operand, axis 0)  [dim-mismatch]
        return -ops.sum(logp)

    tp.grad(loss, tp.zeros(BATCH, CLASSES))


def case_std_without_keepdims_in_layer_norm() -> None:
    # Layer norm: (h - mean) / std, the std without keepdims: (32, 128) / (32,).
    def loss(h: BVar[Float[Mat, "32 128"]]) -> BVar[float]:
        centered = h - ops.mean(h, axis=1, keepdims=True)
        normed = centered / ops.std(h, axis=1)  # E: Dimension mismatch in operator "/": axes do not broadcast: 128 (left operand, axis 1) vs 32 (right operand, axis 0)  [dim-mismatch]
        return ops.sum(normed)

    tp.grad(loss, tp.normal(BATCH, HIDDEN, rng=0))


def case_var_over_the_wrong_axis_in_batch_norm() -> None:
    # Batch norm's variance is per feature (axis 0, keepdims gives (1, 128)); axis=1 with
    # keepdims gives (32, 1), and the per-feature scale (128,) is then multiplied by it.
    gamma = tp.ones(HIDDEN)

    def loss(h: BVar[Float[Mat, "32 128"]]) -> BVar[float]:
        scale = gamma * ops.var(h, axis=1)  # E: Dimension mismatch in operator "*": axes do not broadcast: 128 (left operand, axis 0) vs 32 (right operand, axis 0)  [dim-mismatch]
        return ops.sum(scale)

    tp.grad(loss, tp.normal(BATCH, HIDDEN, rng=0))


def case_norm_over_the_wrong_axis() -> None:
    # Unit-norm rows: the norms are taken over axis 0 (784 of them) and given a trailing axis.
    x = tp.normal(BATCH, PIXELS, rng=0)
    unit = ops.divide(x, ops.expand_dims(ops.norm(x, axis=0), 1))  # E: Dimension mismatch in call to "divide": axes do not broadcast: 32 (argument "a", axis 0) vs 784 (argument "b", axis 0)  [dim-mismatch]
    print(unit)


def case_min_then_a_threshold_per_class() -> None:
    # The per-sample minimum (32,) compared with a threshold per class (10,).
    scores = tp.normal(BATCH, CLASSES, rng=0)
    thresholds = tp.zeros(CLASSES)
    low = ops.less(ops.min(scores, axis=1), thresholds)  # E: Dimension mismatch in call to "less": axes do not broadcast: 32 (argument "a", axis 0) vs 10 (argument "b", axis 0)  [dim-mismatch]
    print(low)


def case_prod_over_features_then_a_feature_weight() -> None:
    # The product over the features (one per sample) weighted per feature.
    x = tp.normal(BATCH, HIDDEN, rng=0)
    w = tp.ones(HIDDEN)
    y = ops.multiply(ops.prod(x, axis=1), w)  # E: Dimension mismatch in call to "multiply": axes do not broadcast: 32 (argument "a", axis 0) vs 128 (argument "b", axis 0)  [dim-mismatch]
    print(y)


def case_bvar_mean_method_over_the_wrong_axis() -> None:
    # Mean pooling over time should be axis 1 of (32, 20, 64); axis 2 leaves (32, 20), which
    # the (64, 10) head does not take.
    head = tp.normal(64, CLASSES, rng=0)

    def loss(seq: BVar[Float[Array, "32 20 64"]]) -> BVar[float]:
        pooled = seq.mean(axis=2)
        return ops.sum(pooled @ head)  # E: Dimension mismatch in operator "@": inner dimension: 20 (left operand, axis 1) vs 64 (right operand, axis 0)  [dim-mismatch]

    tp.grad(loss, tp.zeros(BATCH, 20, 64))


def case_sum_with_keepdims_into_a_matvec() -> None:
    # keepdims keeps a (1, 784) matrix where the layer expects the (784,) vector.
    x = tp.normal(BATCH, PIXELS, rng=0)
    w = tp.normal(HIDDEN, PIXELS, rng=0)
    total = ops.sum(x, axis=0, keepdims=True)
    h = ops.matvec(w, total)  # E: Rank mismatch in call to "matvec": argument "x" has 2 axes, but its hint "n" has 1  [rank-mismatch]
    print(h)


def case_softmax_weights_over_the_wrong_axis() -> None:
    # Attention-style pooling: weights (32, 20) from a softmax, applied to values (20, 64)
    # transposed by mistake.
    scores = tp.normal(BATCH, 20, rng=0)
    values = tp.normal(20, 64, rng=0)
    pooled = ops.matmul(ops.softmax(scores, axis=1), values.T)  # E: Dimension mismatch in call to "matmul": inner dimension: 20 (argument "a", axis 1) vs 64 (argument "b", axis 0)  [dim-mismatch]
    print(pooled)


def case_log_softmax_then_labels_of_another_count() -> None:
    # Log-probabilities (32, 10) against one-hot targets for 9 classes.
    targets = tp.zeros(BATCH, 9)

    def loss(logits: BVar[Float[Mat, "32 10"]]) -> BVar[float]:
        return -ops.sum(ops.log_softmax(logits, axis=1) * targets)  # E: Dimension mismatch in operator "*": axes do not broadcast: 10 (left operand, axis 1) vs 9 (right operand, axis 1)  [dim-mismatch]

    tp.grad(loss, tp.zeros(BATCH, CLASSES))


def case_bvar_sum_method_then_vector_of_the_other_size() -> None:
    # Column sums (784,) of the weight dotted with a per-unit vector (128,).
    v = tp.ones(HIDDEN)

    def loss(w: BVar[Float[Mat, "128 784"]]) -> BVar[float]:
        col = w.sum(axis=0)
        return ops.dot(col, v)  # E: Dimension mismatch in call to "dot": inner dimension: 784 (argument "a", axis 0) vs 128 (argument "b", axis 0)  [dim-mismatch]

    tp.grad(loss, tp.normal(HIDDEN, PIXELS, rng=0))


def case_mean_over_everything_then_a_vector_op() -> None:
    # Per-feature means should reduce axis 0 only; over both axes they are one scalar, which
    # matvec cannot take as its vector of 784.
    def loss(x: BVar[Float[Mat, "32 784"]], w: BVar[Float[Mat, "128 784"]]) -> BVar[float]:
        per_feature = ops.mean(x, axis=(0, 1))
        return ops.sum(ops.matvec(w, per_feature))  # E: Rank mismatch in call to "matvec": argument "x" has 0 axes, but its hint "n" has 1  [rank-mismatch]

    tp.grad_n(loss, tp.zeros(BATCH, PIXELS), tp.zeros(HIDDEN, PIXELS))
