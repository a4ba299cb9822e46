"""Data preparation as users write it with numpy and typedprop: standardizing with kept axes,
scaling, one-hot labels, flattening images, splitting and batching. Every case runs, and mypy
accepts it."""

# ruff: noqa: E501
# fmt: off

from typing import Final

import numpy as np
from jaxtyping import Float, Int

import typedprop as tp
from typedprop import Array, Mat, Vec, ops

SAMPLES: Final = 100
FEATURES: Final = 12
CLASSES: Final = 5
SIDE: Final[int] = 8
BATCH: Final = 20


@tp.shapecheck
def standardize(x: Float[Mat, "n d"]) -> Float[Mat, "n d"]:
    mean = x.mean(axis=0, keepdims=True)
    std = x.std(axis=0, keepdims=True)
    z: Mat = (x - mean) / (std + 1e-8)
    return z


@tp.shapecheck
def one_hot(labels: Int[np.ndarray, " n"], classes: int) -> Float[Mat, "n c"]:
    out: Mat = np.eye(classes)[labels]
    return out


@tp.shapecheck
def flatten(images: Float[Array, "n h w"]) -> Float[Mat, "n h*w"]:
    return images.reshape(images.shape[0], -1)


def case_standardize_columns() -> None:
    # Each feature to zero mean and unit variance, with mean/std over axis 0 kept as (1, d).
    x = tp.normal(SAMPLES, FEATURES, scale=3.0, rng=0) + 5.0
    z = standardize(x)
    assert z.shape == (SAMPLES, FEATURES)
    assert np.allclose(z.mean(axis=0), 0.0) and np.allclose(z.std(axis=0), 1.0, atol=1e-6)


def case_standardize_rows_with_ops() -> None:
    # Each sample normalized by ops.mean and ops.std over its features, keepdims=True.
    x = tp.normal(SAMPLES, FEATURES, rng=0)
    centered = x - ops.mean(x, axis=1, keepdims=True)
    scaled = centered / ops.std(x, axis=1, keepdims=True)
    assert scaled.shape == (SAMPLES, FEATURES)


def case_min_max_scaling() -> None:
    # Features scaled into [0, 1] by their range.
    x = tp.normal(SAMPLES, FEATURES, rng=0)
    lo, hi = x.min(axis=0), x.max(axis=0)
    scaled = (x - lo) / (hi - lo)
    assert scaled.shape == (SAMPLES, FEATURES) and scaled.min() >= 0.0 and scaled.max() <= 1.0


def case_one_hot_labels() -> None:
    # Integer labels to one-hot rows.
    labels = np.arange(SAMPLES) % CLASSES
    targets = one_hot(labels, CLASSES)
    assert targets.shape == (SAMPLES, CLASSES) and np.all(targets.sum(axis=1) == 1.0)


def case_flatten_images() -> None:
    # Square images flattened into rows of side*side pixels.
    images = tp.normal(SAMPLES, SIDE, SIDE, rng=0)
    rows = flatten(images)
    w = tp.normal(CLASSES, SIDE * SIDE, rng=1)
    logits = rows @ w.T
    assert rows.shape == (SAMPLES, SIDE * SIDE) and logits.shape == (SAMPLES, CLASSES)


def case_flatten_with_minus_one() -> None:
    # reshape(n, -1) and reshape(-1) as numpy users write them.
    images = tp.ones(4, SIDE, SIDE)
    rows = images.reshape(4, -1)
    pixels = images.reshape(-1)
    assert rows.shape == (4, SIDE * SIDE) and pixels.shape == (4 * SIDE * SIDE,)


def case_train_test_split() -> None:
    # A shuffled split into a training and a held-out part.
    rng = np.random.default_rng(0)
    x = tp.normal(SAMPLES, FEATURES, rng=rng)
    order = rng.permutation(SAMPLES)
    cut = int(0.8 * SAMPLES)
    train, test = x[order[:cut]], x[order[cut:]]
    assert train.shape == (80, FEATURES) and test.shape == (20, FEATURES)


def case_mini_batches() -> None:
    # Mini-batches of rows by slicing; each batch has BATCH rows.
    x = tp.normal(SAMPLES, FEATURES, rng=0)
    w = tp.normal(FEATURES, CLASSES, rng=1)
    for start in range(0, SAMPLES, BATCH):
        batch = x[start : start + BATCH]
        out = batch @ w
        assert out.shape == (BATCH, CLASSES)


def case_whitening_with_covariance() -> None:
    # PCA whitening: the covariance's eigenvectors, scaled by their eigenvalues.
    x = tp.normal(SAMPLES, FEATURES, rng=0)
    centered = x - x.mean(axis=0)
    cov = centered.T @ centered / (SAMPLES - 1)
    values, vectors = np.linalg.eigh(cov)
    white = centered @ vectors / np.sqrt(values + 1e-5)
    assert cov.shape == (FEATURES, FEATURES) and white.shape == (SAMPLES, FEATURES)


def case_clip_outliers() -> None:
    # Values beyond three standard deviations clipped, with ops.clip.
    x = tp.normal(SAMPLES, FEATURES, rng=0)
    z = standardize(x)
    clipped = ops.clip(z, -3.0, 3.0)
    assert clipped.shape == (SAMPLES, FEATURES) and clipped.max() <= 3.0


def case_log_transform_positive_features() -> None:
    # A log1p transform of counts, then standardized.
    counts = np.abs(tp.normal(SAMPLES, FEATURES, scale=10.0, rng=0))
    logged = ops.log1p(counts)
    z = standardize(logged)
    assert z.shape == (SAMPLES, FEATURES)


def case_add_bias_column() -> None:
    # A column of ones appended to the features: FEATURES + 1 columns.
    x = tp.normal(SAMPLES, FEATURES, rng=0)
    with_bias = np.concatenate([x, tp.ones(SAMPLES, 1)], axis=1)
    w = tp.normal(FEATURES + 1, rng=1)
    y = with_bias @ w
    assert with_bias.shape == (SAMPLES, FEATURES + 1) and y.shape == (SAMPLES,)


def case_per_channel_normalization() -> None:
    # Images with channels: mean and std per channel over the batch and pixels, kept as (1, c, 1, 1).
    images = tp.normal(BATCH, 3, SIDE, SIDE, rng=0)
    mean = images.mean(axis=(0, 2, 3), keepdims=True)
    std = images.std(axis=(0, 2, 3), keepdims=True)
    normed = (images - mean) / std
    assert mean.shape == (1, 3, 1, 1) and normed.shape == (BATCH, 3, SIDE, SIDE)


def case_features_as_annotated_vector() -> None:
    # One sample annotated with its size, scaled by a vector of per-feature scales.
    sample: Float[Vec, " 12"] = tp.normal(FEATURES, rng=0)
    scales = tp.ones(FEATURES) * 0.5
    scaled = sample * scales
    assert scaled.shape == (FEATURES,)
