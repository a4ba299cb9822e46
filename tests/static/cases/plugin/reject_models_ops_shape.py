"""typedprop's shape ops (`reshape`, `ravel`, `transpose`, `concatenate`, `stack`, `split`,
`expand_dims`, `squeeze`, `broadcast_to`, `repeat`, `tile`, `pad`) on sizes mypy knows: each
case is one shape mistake, refused at run time with a CheckError."""

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


def case_reshape_to_the_wrong_image_size() -> None:
    # 784 pixels are 28 x 28, not 28 x 27.
    x = tp.normal(BATCH, PIXELS, rng=0)
    images = ops.reshape(x, (BATCH, 28, 27))  # E: Dimension mismatch in call to "reshape": cannot reshape argument "x" of shape (32, 784) (25088 elements) to (32, 28, 27) (24192 elements)  [dim-mismatch]
    print(images)


def case_reshape_minus_one_that_cannot_divide() -> None:
    # Patches of 3 x 3 pixels: 784 is no multiple of 9.
    x = tp.normal(PIXELS, rng=0)
    patches = ops.reshape(x, (-1, 3, 3))  # E: Dimension mismatch in call to "reshape": cannot reshape argument "x" of shape (784,) (784 elements) to (-1, 3, 3): 784 is not a multiple of 9  [dim-mismatch]
    print(patches)


def case_bvar_reshape_of_a_batch_to_one_image() -> None:
    # A whole batch reshaped to the size of one image.
    def loss(x: BVar[Float[Mat, "32 784"]]) -> BVar[float]:
        img = x.reshape(28, 28)  # E: Dimension mismatch in call to "reshape": cannot reshape the array of shape (32, 784) (25088 elements) to (28, 28) (784 elements)  [dim-mismatch]
        return ops.sum(img)

    tp.grad(loss, tp.zeros(BATCH, PIXELS))


def case_ravel_then_a_weight_for_one_sample() -> None:
    # The whole batch flattened (32 * 784 values) and fed to a layer made for one sample.
    x = tp.normal(BATCH, PIXELS, rng=0)
    w = tp.normal(HIDDEN, PIXELS, rng=0)
    h = ops.matvec(w, ops.ravel(x))  # E: Dimension mismatch in call to "matvec": dimension n: 25088 (argument "x", axis 0) vs 784 (argument "w", axis 1)  [dim-mismatch]
    print(h)


def case_transpose_axes_then_matmul() -> None:
    # Time-major (20, 32, 16) to batch-major is axes (1, 0, 2); (0, 2, 1) gives (20, 16, 32).
    seq = tp.normal(20, BATCH, 16, rng=0)
    w = tp.normal(16, 64, rng=0)
    h = ops.matmul(ops.transpose(seq, (0, 2, 1)), w)  # E: Dimension mismatch in call to "matmul": inner dimension: 32 (argument "a", axis 2) vs 16 (argument "b", axis 0)  [dim-mismatch]
    print(h)


def case_concatenate_features_on_the_batch_axis() -> None:
    # Extra features concatenated along axis 0 (the batch) instead of axis 1.
    x = tp.normal(BATCH, PIXELS, rng=0)
    extra = tp.zeros(BATCH, CLASSES)
    features = ops.concatenate([x, extra], axis=0)  # E: Dimension mismatch in call to "concatenate": axis 1 must match: 10 (argument "xs[1]", axis 1) vs 784 (argument "xs[0]", axis 1)  [dim-mismatch]
    print(features)


def case_concatenate_batches_of_different_widths() -> None:
    # Two batches joined along the batch axis, one with 128 features, one with 784.
    first = tp.normal(BATCH, PIXELS, rng=0)
    second = tp.normal(16, HIDDEN, rng=0)
    both = ops.concatenate([first, second])  # E: Dimension mismatch in call to "concatenate": axis 1 must match: 128 (argument "xs[1]", axis 1) vs 784 (argument "xs[0]", axis 1)  [dim-mismatch]
    print(both)


def case_concatenate_bvar_with_a_shorter_batch() -> None:
    # Features of 32 samples concatenated with a context computed for 16.
    context = tp.zeros(16, CLASSES)

    def loss(h: BVar[Float[Mat, "32 128"]]) -> BVar[float]:
        z = ops.concatenate([h, context], axis=1)  # E: Dimension mismatch in call to "concatenate": axis 0 must match: 16 (argument "xs[1]", axis 0) vs 32 (argument "xs[0]", axis 0)  [dim-mismatch]
        return ops.sum(z)

    tp.grad(loss, tp.zeros(BATCH, HIDDEN))


def case_stack_of_different_lengths() -> None:
    # Per-layer statistics stacked into one array: 128 and 784 values.
    h1 = tp.zeros(HIDDEN)
    h2 = tp.zeros(PIXELS)
    stats = ops.stack([h1, h2])  # E: Dimension mismatch in call to "stack": stacked arrays differ: 784 (argument "xs[1]", axis 0) vs 128 (argument "xs[0]", axis 0)  [dim-mismatch]
    print(stats)


def case_split_into_sections_that_do_not_divide() -> None:
    # 128 hidden units cannot be split into 3 equal heads.
    h = tp.normal(BATCH, HIDDEN, rng=0)
    heads = ops.split(h, 3, axis=1)  # E: Dimension mismatch in call to "split": argument "x" of shape (32, 128) does not split into 3 equal sections along axis 1 (length 128)  [dim-mismatch]
    print(heads)


def case_expand_dims_on_the_wrong_axis() -> None:
    # Per-sample norms (32,) need a trailing axis against (32, 784), not a leading one.
    x = tp.normal(BATCH, PIXELS, rng=0)
    norms = ops.norm(x, axis=1)
    unit = ops.divide(x, ops.expand_dims(norms, 0))  # E: Dimension mismatch in call to "divide": axes do not broadcast: 784 (argument "a", axis 1) vs 32 (argument "b", axis 1)  [dim-mismatch]
    print(unit)


def case_squeeze_of_the_batch_axis() -> None:
    # The single output column is axis 1; axis 0 is the batch of 32.
    out = tp.zeros(BATCH, 1)
    y = ops.squeeze(out, axis=0)  # E: Dimension mismatch in call to "squeeze": axis 0 of argument "x" of shape (32, 1) has length 32, not 1  [dim-mismatch]
    print(y)


def case_broadcast_bias_to_the_transposed_shape() -> None:
    # A bias of 128 broadcast to (128, 32), the transposed batch shape.
    b = tp.zeros(HIDDEN)
    bb = ops.broadcast_to(b, (HIDDEN, BATCH))  # E: Dimension mismatch in call to "broadcast_to": axes do not broadcast: 128 (argument "x", axis 0) vs 32 (argument "shape", axis 1)  [dim-mismatch]
    print(bb)


def case_repeat_along_the_wrong_axis() -> None:
    # Each sample repeated 4 times should grow axis 0; repeating axis 1 gives (32, 512).
    h = tp.normal(BATCH, HIDDEN, rng=0)
    w = tp.normal(HIDDEN, CLASSES, rng=0)
    y = ops.matmul(ops.repeat(h, 4, axis=1), w)  # E: Dimension mismatch in call to "matmul": inner dimension: 512 (argument "a", axis 1) vs 128 (argument "b", axis 0)  [dim-mismatch]
    print(y)


def case_tile_then_a_mismatched_sum() -> None:
    # A prototype tiled to 16 rows, added to a batch of 32.
    proto = tp.zeros(1, HIDDEN)
    h = tp.normal(BATCH, HIDDEN, rng=0)
    z = ops.add(h, ops.tile(proto, (16, 1)))  # E: Dimension mismatch in call to "add": axes do not broadcast: 32 (argument "a", axis 0) vs 16 (argument "b", axis 0)  [dim-mismatch]
    print(z)


def case_pad_grows_the_feature_axis_too() -> None:
    # Padding both axes by 1 turns (32, 784) into (34, 786): the weight then does not fit.
    x = tp.normal(BATCH, PIXELS, rng=0)
    w = tp.normal(HIDDEN, PIXELS, rng=0)
    h = ops.linear(w, ops.pad(x, 1), tp.zeros(HIDDEN))  # E: Dimension mismatch in call to "linear": dimension in: 786 (argument "x", axis 1) vs 784 (argument "w", axis 1)  [dim-mismatch]
    print(h)


def hole_bvar_stack_then_a_readout_for_another_count() -> None:
    # Three layers' outputs stacked (3, 128), read out with a weight for 4 of them.
    readout = tp.normal(4, rng=0)

    def loss(h: BVar[Float[Array, "3 128"]]) -> BVar[float]:
        parts = [h[0], h[1], h[2]]
        return ops.sum(readout @ ops.stack(parts))  # not caught statically yet (a known hole)

    tp.grad(loss, tp.zeros(3, HIDDEN))
