"""Reductions on sized arrays and BVars, as model code uses them: sum, mean, max, min, prod, var,
std, norm and logsumexp with `axis` and `keepdims`, softmax and log_softmax along an axis, and
BVar's methods. Every case runs, and mypy accepts it."""

# ruff: noqa: E501
# fmt: off

from typing import Final

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import Array, BVar, Mat, Vec, ops

BATCH: Final = 8
CLASSES: Final[int] = 5
TIME: Final = 7


@tp.shapecheck
def normalize_rows(x: Float[Mat, "n k"]) -> Float[Mat, "n k"]:
    return x / ops.sum(x, axis=1, keepdims=True)


@tp.shapecheck
def pool_time(x: Float[Array, "b t d"]) -> Float[Mat, "b d"]:
    return ops.mean(x, axis=1)


def case_sum_over_each_axis() -> None:
    # Sums over all, over rows, over columns, and kept as (1, k).
    x = tp.normal(BATCH, CLASSES, rng=0)
    assert ops.sum(x, axis=0).shape == (CLASSES,) and ops.sum(x, axis=1).shape == (BATCH,)
    assert ops.sum(x, axis=0, keepdims=True).shape == (1, CLASSES)
    assert np.isclose(ops.sum(x), x.sum())


def case_normalize_rows_with_keepdims() -> None:
    # Rows divided by their sums, kept as a column for broadcasting.
    x = np.abs(tp.normal(BATCH, CLASSES, rng=0)) + 0.1
    p = normalize_rows(x)
    assert p.shape == (BATCH, CLASSES) and np.allclose(p.sum(axis=1), 1.0)


def case_mean_pool_over_time() -> None:
    # Features averaged over the time axis.
    x = tp.normal(BATCH, TIME, CLASSES, rng=0)
    assert pool_time(x).shape == (BATCH, CLASSES)


def case_bvar_methods_in_a_loss() -> None:
    # x.sum(), x.mean(axis=0), x.max(axis=1, keepdims=True) on BVars inside a loss.
    x = tp.normal(BATCH, CLASSES, rng=0)

    def loss(v: BVar[Mat]) -> BVar[float]:
        centered = v - v.mean(axis=0)
        peak = v.max(axis=1, keepdims=True)
        return (centered * peak).sum() + v.min() + v.prod(axis=0).sum()

    assert tp.grad(loss, x).shape == (BATCH, CLASSES)


def case_max_and_min_with_axes() -> None:
    # Max over each row and min over each column.
    x = tp.normal(BATCH, CLASSES, rng=0)
    assert ops.max(x, axis=1).shape == (BATCH,)
    assert ops.min(x, axis=0, keepdims=True).shape == (1, CLASSES)
    g = tp.grad(lambda v: ops.sum(ops.max(v, axis=1)), x)
    assert g.sum() == BATCH


def case_variance_and_standard_deviation() -> None:
    # var and std with ddof, over an axis and in total.
    x = tp.normal(BATCH, CLASSES, rng=0)
    assert ops.var(x, axis=0).shape == (CLASSES,)
    assert ops.std(x, axis=1, ddof=1, keepdims=True).shape == (BATCH, 1)
    g = tp.grad(lambda v: ops.var(v) + v.std(axis=0).sum(), x)
    assert g.shape == (BATCH, CLASSES)


def case_logsumexp_over_classes() -> None:
    # A stable log-partition function per row.
    logits = tp.normal(BATCH, CLASSES, rng=0)
    lse = ops.logsumexp(logits, axis=1)
    assert lse.shape == (BATCH,)
    assert np.allclose(lse, np.log(np.sum(np.exp(logits), axis=1)))
    assert ops.logsumexp(logits, axis=-1, keepdims=True).shape == (BATCH, 1)


def case_softmax_and_log_softmax_along_an_axis() -> None:
    # Probabilities over the classes of each row, and over the batch of each class.
    logits = tp.normal(BATCH, CLASSES, rng=0)
    rows = ops.softmax(logits, axis=1)
    cols = ops.softmax(logits, axis=0)
    logp = ops.log_softmax(logits)
    assert rows.shape == cols.shape == logp.shape == (BATCH, CLASSES)
    assert np.allclose(np.exp(logp), rows)


def case_log_softmax_in_a_negative_log_likelihood() -> None:
    # The NLL written by hand with log_softmax and integer indexing.
    labels = np.arange(BATCH) % CLASSES

    def loss(logits: BVar[Mat]) -> BVar[float]:
        logp = ops.log_softmax(logits, axis=-1)
        return -ops.mean(logp[np.arange(BATCH), labels])

    g = tp.grad(loss, tp.zeros(BATCH, CLASSES))
    assert g.shape == (BATCH, CLASSES) and np.allclose(g.sum(axis=1), 0.0)


def case_norms() -> None:
    # Vector norms of a whole array and of rows.
    x = tp.normal(BATCH, CLASSES, rng=0)
    assert np.isclose(ops.norm(x), np.linalg.norm(x))
    assert ops.norm(x, axis=1).shape == (BATCH,)
    g = tp.grad(lambda v: ops.norm(v), tp.ones(CLASSES))
    assert g.shape == (CLASSES,)


def case_product_of_probabilities() -> None:
    # A product over an axis.
    p = np.abs(tp.normal(TIME, rng=0)) + 0.5
    assert np.isclose(ops.prod(p), np.prod(p))
    g = tp.grad(lambda v: ops.prod(v), p)
    assert g.shape == (TIME,)


def case_reductions_over_several_axes() -> None:
    # Sums and means over a tuple of axes of a 3-D batch.
    x = tp.normal(BATCH, TIME, CLASSES, rng=0)
    assert ops.sum(x, axis=(0, 1)).shape == (CLASSES,)
    assert ops.mean(x, axis=(1, 2), keepdims=True).shape == (BATCH, 1, 1)
    g = tp.grad(lambda v: ops.sum(ops.mean(v, axis=(0, 2))), x)
    assert g.shape == (BATCH, TIME, CLASSES)


def case_float32_reductions_keep_their_dtype() -> None:
    # Reductions of float32 arrays and BVars stay float32.
    x = tp.normal(BATCH, CLASSES, rng=0, dtype=np.float32)
    assert ops.mean(x, axis=0).dtype == np.float32 and ops.logsumexp(x, axis=1).dtype == np.float32
    g = tp.grad(lambda v: ops.sum(ops.softmax(v, axis=1) * ops.max(v, axis=0, keepdims=True)), x)
    assert g.dtype == np.float32 and g.shape == (BATCH, CLASSES)


def case_argmax_accuracy() -> None:
    # argmax along the classes: plain integers, compared with labels.
    logits = tp.normal(BATCH, CLASSES, rng=0)
    labels = np.arange(BATCH) % CLASSES
    accuracy = float(np.mean(ops.argmax(logits, axis=1) == labels))
    assert 0.0 <= accuracy <= 1.0 and ops.argmin(logits, axis=0).shape == (CLASSES,)


def case_sum_of_vector_is_float() -> None:
    # The full sum of a vector BVar is a scalar BVar.
    v = tp.normal(CLASSES, rng=0)

    def loss(x: BVar[Vec]) -> BVar[float]:
        return x.sum() * 2.0 + x.mean()

    g = tp.grad(loss, v)
    assert np.allclose(g, 2.0 + 1.0 / CLASSES)
