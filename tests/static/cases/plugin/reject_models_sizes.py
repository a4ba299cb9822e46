"""Where mypy learns sizes: `Final` constants (`Final` and `Final[int]`, module-level, derived
and local), arithmetic on them (`2 * HIDDEN`, `HIDDEN + 1`, `//`, `**`), literals, float32
constructors, annotated assignments and casts; and rank mistakes (an array of another number of
axes than a hint says). Each case is one shape mistake, refused at run time with a CheckError."""

# Marker comments hold whole mypy messages: long lines, kept as written.
# ruff: noqa: E501
# fmt: off

from typing import Final, cast

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import Array, Mat, Vec, ops

HIDDEN: Final = 128
WIDTH: Final[int] = 48
BATCH: Final[int] = 64
IMAGE_SIZE: Final = 28
PIXELS: Final = IMAGE_SIZE * IMAGE_SIZE
HEADS: Final = 4
HEAD_DIM: Final = 16
D_MODEL: Final = HEADS * HEAD_DIM


@tp.shapecheck
def dense(w: Float[Mat, "out in"], b: Float[Vec, " out"], x: Float[Vec, " in"]) -> Float[Vec, " out"]:
    return w @ x + b


@tp.shapecheck
def image(x: Float[Vec, " 784"]) -> Float[Mat, "28 28"]:
    return x.reshape(28, 28)


@tp.shapecheck
def normalize_batch(x: Float[Array, "batch 64"]) -> Float[Array, "batch 64"]:
    return ops.divide(ops.subtract(x, ops.mean(x, axis=0)), ops.std(x, axis=0) + 1e-5)


@tp.shapecheck
def attend(x: Float[Array, "b t d"]) -> Float[Array, "b t d"]:
    return x


@tp.shapecheck
def multihead(x: Float[Array, f"batch {HEADS} {HEAD_DIM}"]) -> Float[Array, f"batch {D_MODEL}"]:
    return x.reshape(x.shape[0], HEADS * HEAD_DIM)


@tp.shapecheck
def lstm_gates(w: Float[Mat, f"{4 * HIDDEN} {HIDDEN + WIDTH}"], x: Float[Vec, f" {HIDDEN + WIDTH}"]) -> Float[Vec, f" {4 * HIDDEN}"]:
    return w @ x


@tp.shapecheck
def flat_batch(x: Float[Array, "batch 784"]) -> Float[Array, "batch 784"]:
    return x


def case_final_int_constant() -> None:
    # WIDTH (Final[int]) units, fed an input of WIDTH values where the weight takes 16.
    h = dense(tp.normal(WIDTH, 16, rng=0), tp.zeros(WIDTH), tp.zeros(WIDTH))  # E: Dimension mismatch in call to "dense": dimension in: 48 (argument "x", axis 0) vs 16 (argument "w", axis 1)  [dim-mismatch]
    print(h)


def case_twice_the_hidden_size_against_the_hidden_size() -> None:
    # The weight reads a concatenation (2 * HIDDEN); the input is one part of it.
    w = tp.zeros(8, 2 * HIDDEN)
    y = ops.matvec(w, tp.zeros(HIDDEN))  # E: Dimension mismatch in call to "matvec": dimension n: 128 (argument "x", axis 0) vs 256 (argument "w", axis 1)  [dim-mismatch]
    print(y)


def case_hidden_plus_one_for_a_bias_unit() -> None:
    # A bias of HIDDEN + 1 entries, as if for an extra constant unit.
    h = dense(tp.normal(HIDDEN, WIDTH, rng=0), tp.zeros(HIDDEN + 1), tp.zeros(WIDTH))  # E: Dimension mismatch in call to "dense": dimension out: 129 (argument "b", axis 0) vs 128 (argument "w", axis 0)  [dim-mismatch]
    print(h)


def case_floor_division_of_the_hidden_size() -> None:
    # A bottleneck of HIDDEN // 2 units, given an input of HIDDEN // 4.
    w = tp.normal(HIDDEN // 2, HIDDEN // 2, rng=0)
    y = ops.matvec(w, tp.zeros(HIDDEN // 4))  # E: Dimension mismatch in call to "matvec": dimension n: 32 (argument "x", axis 0) vs 64 (argument "w", axis 1)  [dim-mismatch]
    print(y)


def case_derived_final_constant() -> None:
    # PIXELS is IMAGE_SIZE * IMAGE_SIZE = 784; the image function takes exactly that, not 3 channels.
    x = tp.zeros(PIXELS * 3)
    img = image(x)  # E: Dimension mismatch in call to "image": axis 0 of argument "x" is 2352, but its hint fixes it to 784  [dim-mismatch]
    print(img)


def case_power_of_a_constant() -> None:
    # A weight over IMAGE_SIZE ** 2 pixels applied to one row of the image.
    w = tp.normal(HIDDEN, IMAGE_SIZE ** 2, rng=0)
    y = ops.matvec(w, tp.zeros(IMAGE_SIZE))  # E: Dimension mismatch in call to "matvec": dimension n: 28 (argument "x", axis 0) vs 784 (argument "w", axis 1)  [dim-mismatch]
    print(y)


def case_product_of_derived_constants() -> None:
    # D_MODEL = HEADS * HEAD_DIM = 64; the input has one head's width.
    w = tp.normal(D_MODEL, D_MODEL, rng=0)
    y = ops.matvec(w, tp.zeros(HEAD_DIM))  # E: Dimension mismatch in call to "matvec": dimension n: 16 (argument "x", axis 0) vs 64 (argument "w", axis 1)  [dim-mismatch]
    print(y)


def case_local_final_constant() -> None:
    # A local Final size: 48 outputs with a bias of 64.
    n_out: Final = 48
    h = dense(tp.normal(n_out, HIDDEN, rng=0), tp.zeros(BATCH), tp.zeros(HIDDEN))  # E: Dimension mismatch in call to "dense": dimension out: 64 (argument "b", axis 0) vs 48 (argument "w", axis 0)  [dim-mismatch]
    print(h)


def case_batch_minus_one() -> None:
    # A batch with its last sample dropped (BATCH - 1 rows) against BATCH targets.
    pred = tp.normal(BATCH - 1, 10, rng=0)
    targets = tp.zeros(BATCH, 10)
    value = ops.mean_squared_error(pred, targets)  # E: Dimension mismatch in call to "mean_squared_error": axis 0 must match: 64 (argument "target", axis 0) vs 63 (argument "pred", axis 0)  [dim-mismatch]
    print(value)


def case_literal_sizes() -> None:
    # Literal sizes: a (3, 4) matrix times a vector of 3.
    y = ops.matvec(tp.ones(3, 4), tp.ones(3))  # E: Dimension mismatch in call to "matvec": dimension n: 3 (argument "x", axis 0) vs 4 (argument "w", axis 1)  [dim-mismatch]
    print(y)


def case_float32_constructor() -> None:
    # float32 arrays keep their sizes: (HIDDEN, WIDTH) times HIDDEN values.
    w = tp.normal(HIDDEN, WIDTH, rng=0, dtype=np.float32)
    y = ops.matvec(w, tp.zeros(HIDDEN, dtype=np.float32))  # E: Dimension mismatch in call to "matvec": dimension n: 128 (argument "x", axis 0) vs 48 (argument "w", axis 1)  [dim-mismatch]
    print(y)


def case_annotated_assignment_of_the_wrong_size() -> None:
    # The annotation says (10, 16); the array is made (10, 17). (At run time the matvec below
    # fails: the annotation is not checked there.)
    w: Float[Mat, "10 16"] = tp.zeros(10, 17)  # E: Dimension mismatch in assignment: axis 1 of the value is 17, but the annotation fixes it to 16  [dim-mismatch]
    y = ops.matvec(w, tp.zeros(16))
    print(y)


def case_annotated_variable_into_a_checked_function() -> None:
    # An input annotated with 100 values, given to a layer over 784.
    x: Float[Vec, " 100"] = np.zeros(100)
    h = dense(tp.normal(HIDDEN, PIXELS, rng=0), tp.zeros(HIDDEN), x)  # E: Dimension mismatch in call to "dense": dimension in: 100 (argument "x", axis 0) vs 784 (argument "w", axis 1)  [dim-mismatch]
    print(h)


def case_cast_to_a_size() -> None:
    # A vector cast to 100 values, given to the image function, which takes 784.
    x = cast(Float[Vec, " 100"], np.zeros(100))
    img = image(x)  # E: Dimension mismatch in call to "image": axis 0 of argument "x" is 100, but its hint fixes it to 784  [dim-mismatch]
    print(img)


def case_rank_one_sample_where_a_batch_is_expected() -> None:
    # normalize_batch takes (batch, 64); one sample of 64 values has no batch axis.
    x = tp.normal(D_MODEL, rng=0)
    z = normalize_batch(x)  # E: Rank mismatch in call to "normalize_batch": argument "x" has 1 axis, but its hint "batch 64" has 2  [rank-mismatch]
    print(z)


def case_rank_matrix_where_three_axes_are_expected() -> None:
    # attend takes (batch, time, features); one sequence (16, 64) has no batch axis.
    seq = tp.normal(16, D_MODEL, rng=0)
    out = attend(seq)  # E: Rank mismatch in call to "attend": argument "x" has 2 axes, but its hint "b t d" has 3  [rank-mismatch]
    print(out)


def case_rank_flattened_batch() -> None:
    # ravel flattens the whole batch to one axis; flat_batch takes (batch, 784).
    images = tp.normal(BATCH, IMAGE_SIZE, IMAGE_SIZE, rng=0)
    flat = flat_batch(ops.ravel(images))  # E: Rank mismatch in call to "flat_batch": argument "x" has 1 axis, but its hint "batch 784" has 2  [rank-mismatch]
    print(flat)


def case_rank_images_not_flattened() -> None:
    # The images (batch, 28, 28) are passed without flattening to flat_batch (batch, 784).
    images = tp.normal(BATCH, IMAGE_SIZE, IMAGE_SIZE, rng=0)
    flat = flat_batch(images)  # E: Rank mismatch in call to "flat_batch": argument "x" has 3 axes, but its hint "batch 784" has 2  [rank-mismatch]
    print(flat)


def case_rank_of_a_keepdims_reduction() -> None:
    # keepdims keeps the summed axis: (1, 64) where the layer takes a vector of 64.
    x = tp.normal(BATCH, D_MODEL, rng=0)
    pooled = ops.sum(x, axis=0, keepdims=True)
    y = ops.matvec(tp.normal(HIDDEN, D_MODEL, rng=1), pooled)  # E: Rank mismatch in call to "matvec": argument "x" has 2 axes, but its hint "n" has 1  [rank-mismatch]
    print(y)


def case_fstring_hint_of_final_constants() -> None:
    # The hint is an f-string of Final constants (HEADS=4, HEAD_DIM=16); the input has 8 heads.
    y = multihead(tp.zeros(BATCH, 8, HEAD_DIM))  # E: Dimension mismatch in call to "multihead": axis 1 of argument "x" is 8, but its hint fixes it to 4  [dim-mismatch]
    print(y)


def case_fstring_hint_with_arithmetic() -> None:
    # The gates' weight takes the state and the input (128 + 48 = 176 columns); 128 are given.
    y = lstm_gates(tp.normal(4 * HIDDEN, HIDDEN, rng=0), tp.zeros(HIDDEN + WIDTH))  # E: Dimension mismatch in call to "lstm_gates": axis 1 of argument "w" is 128, but its hint fixes it to 176  [dim-mismatch]
    print(y)


def case_fstring_hint_result_used_later() -> None:
    # The result of the f-string-hinted function has 4 * 128 = 512 entries, not 128.
    gates = lstm_gates(tp.normal(4 * HIDDEN, HIDDEN + WIDTH, rng=0), tp.zeros(HIDDEN + WIDTH))
    h = ops.matvec(tp.normal(HIDDEN, HIDDEN, rng=1), gates)  # E: Dimension mismatch in call to "matvec": dimension n: 512 (argument "x", axis 0) vs 128 (argument "w", axis 1)  [dim-mismatch]
    print(h)
