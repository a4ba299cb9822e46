"""Data preparation (standardizing, scaling, flattening images, windows, PCA, bias columns) on
arrays whose sizes mypy knows: each case is one shape mistake, refused at run time with numpy's
ValueError (or a CheckError from typedprop's ops)."""

# Marker comments hold whole mypy messages: long lines, kept as written.
# ruff: noqa: E501
# fmt: off

from typing import Final

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import Mat, ops

N_TRAIN: Final = 400
N_TEST: Final = 100
FEATURES: Final = 20
COMPONENTS: Final = 5


def case_standardize_with_per_sample_statistics() -> None:
    # The statistics are taken per sample (axis 1) and lose that axis: (400, 20) - (400,).
    x = tp.normal(N_TRAIN, FEATURES, rng=0)
    z = (x - x.mean(axis=1)) / x.std(axis=1)  # E: Dimension mismatch in operator "-": axes do not broadcast: 20 (left operand, axis 1) vs 400 (right operand, axis 0)  [dim-mismatch]
    print(z)


def case_feature_means_of_the_transposed_data() -> None:
    # The data was transposed to (features, samples) for another step; its axis-0 means are per
    # sample (400), not per feature (20).
    x = tp.normal(N_TRAIN, FEATURES, rng=0)
    xt = x.T
    centered = x - xt.mean(axis=0)  # E: Dimension mismatch in operator "-": axes do not broadcast: 20 (left operand, axis 1) vs 400 (right operand, axis 0)  [dim-mismatch]
    print(centered)


def case_min_max_statistics_of_the_wrong_axis_applied_to_the_test_set() -> None:
    # Train-set minima and maxima per sample (400, 1), applied to the 100 test samples.
    train = tp.normal(N_TRAIN, FEATURES, rng=0)
    test = tp.normal(N_TEST, FEATURES, rng=1)
    lo = train.min(axis=1, keepdims=True)
    hi = train.max(axis=1, keepdims=True)
    scaled = (test - lo) / (hi - lo)  # E: Dimension mismatch in operator "-": axes do not broadcast: 100 (left operand, axis 0) vs 400 (right operand, axis 0)  [dim-mismatch]
    print(scaled)


def case_grayscale_images_flattened_as_color() -> None:
    # 28 x 28 grayscale images have 784 values each, not 28 * 28 * 3.
    images = tp.normal(N_TEST, 28, 28, rng=0)
    flat = images.reshape(N_TEST, 28 * 28 * 3)  # E: Dimension mismatch in call to "reshape": cannot reshape the array of shape (100, 28, 28) (78400 elements) to (100, 2352) (235200 elements)  [dim-mismatch]
    print(flat)


def case_per_image_mean_without_keepdims() -> None:
    # Each image centered on its own mean: the (100,) means do not broadcast against (100, 28, 28).
    images = tp.normal(N_TEST, 28, 28, rng=0)
    centered = images - images.mean(axis=(1, 2))  # E: Dimension mismatch in operator "-": axes do not broadcast: 28 (left operand, axis 2) vs 100 (right operand, axis 0)  [dim-mismatch]
    print(centered)


def case_pca_components_not_transposed() -> None:
    # The components are rows (5, 20): projecting needs x @ components.T.
    x = tp.normal(N_TRAIN, FEATURES, rng=0)
    components = tp.normal(COMPONENTS, FEATURES, rng=1)
    projected = x @ components  # E: Dimension mismatch in operator "@": inner dimension: 20 (left operand, axis 1) vs 5 (right operand, axis 0)  [dim-mismatch]
    print(projected)


def case_covariance_of_the_samples() -> None:
    # x @ x.T is the samples' Gram matrix (400, 400); the features' covariance is x.T @ x.
    x = tp.normal(N_TRAIN, FEATURES, rng=0)
    cov = x @ x.T / N_TRAIN
    whitened = np.linalg.solve(cov, x.T)  # E: Dimension mismatch in call to "solve": rows: 20 (argument "b", axis 0) vs 400 (argument "a", axis 1)  [dim-mismatch]
    print(whitened)


def case_targets_concatenated_as_a_column_without_an_axis() -> None:
    # The targets (400,) appended to the features (400, 20) need a trailing axis first.
    x = tp.normal(N_TRAIN, FEATURES, rng=0)
    y = tp.normal(N_TRAIN, rng=1)
    table = np.concatenate([x, y], axis=1)  # E: Rank mismatch in call to "concatenate": argument "arrays[1]" of shape (400,) has 1 axes, argument "arrays[0]" of shape (400, 20) has 2  [rank-mismatch]
    print(table)


def case_bias_column_added_along_the_samples() -> None:
    # A column of ones for the bias is joined along axis 1, not axis 0.
    x = tp.normal(N_TRAIN, FEATURES, rng=0)
    ones = tp.ones(N_TRAIN, 1)
    design = np.concatenate([ones, x], axis=0)  # E: Dimension mismatch in call to "concatenate": axis 1 must match: 20 (argument "arrays[1]", axis 1) vs 1 (argument "arrays[0]", axis 1)  [dim-mismatch]
    print(design)


def case_windows_that_do_not_divide_the_series() -> None:
    # A series of 1000 values cut into weeks of 7: 1000 is no multiple of 7.
    series = tp.normal(1000, rng=0)
    weeks = series.reshape(-1, 7)  # E: Dimension mismatch in call to "reshape": cannot reshape the array of shape (1000,) (1000 elements) to (-1, 7): 1000 is not a multiple of 7  [dim-mismatch]
    print(weeks)


def case_scaled_by_per_sample_norms() -> None:
    # ops.norm over axis 1 gives one norm per sample (400,), dividing (400, 20).
    x = tp.normal(N_TRAIN, FEATURES, rng=0)
    unit = ops.divide(x, ops.norm(x, axis=1))  # E: Dimension mismatch in call to "divide": axes do not broadcast: 20 (argument "a", axis 1) vs 400 (argument "b", axis 0)  [dim-mismatch]
    print(unit)


def case_train_and_test_stacked() -> None:
    # np.stack needs one shape; train (400, 20) and test (100, 20) are concatenated instead.
    train = tp.normal(N_TRAIN, FEATURES, rng=0)
    test = tp.normal(N_TEST, FEATURES, rng=1)
    both = np.stack([train, test])  # E: Dimension mismatch in call to "stack": stacked arrays differ: 100 (argument "arrays[1]", axis 0) vs 400 (argument "arrays[0]", axis 0)  [dim-mismatch]
    print(both)


def case_standardize_with_ops_and_a_dropped_axis() -> None:
    # ops.mean over the features without keepdims: (400, 20) - (400,).
    x = tp.normal(N_TRAIN, FEATURES, rng=0)
    z = ops.subtract(x, ops.mean(x, axis=1))  # E: Dimension mismatch in call to "subtract": axes do not broadcast: 20 (argument "a", axis 1) vs 400 (argument "b", axis 0)  [dim-mismatch]
    print(z)


def case_sample_weights_without_a_trailing_axis() -> None:
    # One weight per sample (400,) multiplied into (400, 20) features.
    x = tp.normal(N_TRAIN, FEATURES, rng=0)
    weights = tp.ones(N_TRAIN)
    weighted = x * weights  # E: Dimension mismatch in operator "*": axes do not broadcast: 20 (left operand, axis 1) vs 400 (right operand, axis 0)  [dim-mismatch]
    print(weighted)


def case_annotated_test_set_scaled_with_train_statistics_of_another_width() -> None:
    # The scaler was fit on 20 features; the test set kept 21 (an id column).
    test: Float[Mat, "100 21"] = np.zeros((100, 21))
    train = tp.normal(N_TRAIN, FEATURES, rng=0)
    scaled = (test - train.mean(axis=0)) / train.std(axis=0)  # E: Dimension mismatch in operator "-": axes do not broadcast: 21 (left operand, axis 1) vs 20 (right operand, axis 0)  [dim-mismatch]
    print(scaled)
