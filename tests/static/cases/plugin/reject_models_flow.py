"""Values that flow through reassignments, loops, in-place operators and nested structures,
as forward passes and training loops write them: each case is one shape mistake, refused at
run time with a CheckError (or numpy's ValueError for plain numpy)."""

# Marker comments hold whole mypy messages: long lines, kept as written.
# ruff: noqa: E501
# fmt: off

from typing import Final, NamedTuple

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import Mat, Vec, ops

PIXELS: Final = 784
HIDDEN: Final = 128
CLASSES: Final = 10
BATCH: Final = 32


@tp.shapecheck
class Dense(NamedTuple):
    w: Float[Mat, "out in"]
    b: Float[Vec, " out"]


@tp.shapecheck
class Pair(NamedTuple):
    encoder: Float[Mat, "128 784"]
    decoder: Float[Mat, "784 128"]


@tp.shapecheck
class MLP(NamedTuple):
    hidden: Dense
    head: Dense


def case_forward_pass_reassigning_one_name() -> None:
    # x = layer(x) twice: the second weight was made for the pixels, not the hidden units.
    w1 = tp.normal(HIDDEN, PIXELS, rng=0)
    w2 = tp.normal(CLASSES, PIXELS, rng=1)
    x = tp.normal(BATCH, PIXELS, rng=2)
    x = np.tanh(x @ w1.T)
    x = x @ w2.T  # E: Dimension mismatch in operator "@": inner dimension: 128 (left operand, axis 1) vs 784 (right operand, axis 0)  [dim-mismatch]
    print(x)


def case_rnn_step_with_an_input_weight_for_the_state() -> None:
    # In the loop, the input (8 wide) is multiplied by a weight made for the state (128 rows).
    h = tp.zeros(BATCH, HIDDEN)
    w = tp.normal(HIDDEN, HIDDEN, rng=0)
    u = tp.normal(HIDDEN, HIDDEN, rng=1)
    for _ in range(3):
        h = np.tanh(h @ w + tp.zeros(BATCH, 8) @ u)  # E: Dimension mismatch in operator "@": inner dimension: 8 (left operand, axis 1) vs 128 (right operand, axis 0)  [dim-mismatch]
    print(h)


def case_state_read_after_its_update_in_a_loop() -> None:
    # The state keeps its width through the loop; the readout takes the pixels' width.
    h = tp.zeros(BATCH, HIDDEN)
    w = tp.normal(HIDDEN, HIDDEN, rng=0)
    readout = tp.normal(PIXELS, CLASSES, rng=1)
    for _ in range(3):
        h = np.tanh(h @ w)
        y = h @ readout  # E: Dimension mismatch in operator "@": inner dimension: 128 (left operand, axis 1) vs 784 (right operand, axis 0)  [dim-mismatch]
        print(y)


def case_in_place_update_with_the_other_layers_gradient() -> None:
    # w -= lr * g with the gradient of another layer.
    w = tp.normal(HIDDEN, PIXELS, rng=0)
    g = tp.normal(CLASSES, HIDDEN, rng=1)
    w -= 0.1 * g  # E: Dimension mismatch in operator "-=": axes do not broadcast: 128 (left operand, axis 0) vs 10 (right operand, axis 0)  [dim-mismatch]  # E: Dimension mismatch in operator "-=": axes do not broadcast: 784 (left operand, axis 1) vs 128 (right operand, axis 1)  [dim-mismatch]
    print(w)


def case_in_place_accumulation_that_would_grow() -> None:
    # A per-feature sum (784,) accumulated with a whole batch (32, 784): it cannot grow in place.
    total = tp.zeros(PIXELS)
    total += tp.normal(BATCH, PIXELS, rng=0)  # E: Dimension mismatch in operator "+=": the result does not fit in place: right operand has 2 axes, left operand 1  [dim-mismatch]
    print(total)


def case_field_of_a_nested_structure() -> None:
    # model.head.w is (10, 128); it is applied to the pixels.
    model = MLP(Dense(tp.normal(HIDDEN, PIXELS, rng=0), tp.zeros(HIDDEN)), Dense(tp.normal(CLASSES, HIDDEN, rng=1), tp.zeros(CLASSES)))
    y = model.head.w @ tp.ones(PIXELS)  # E: Dimension mismatch in operator "@": inner dimension: 128 (left operand, axis 1) vs 784 (right operand, axis 0)  [dim-mismatch]
    print(y)


def case_structure_in_a_tuple() -> None:
    # A (layer, epoch) pair: the layer's weight keeps its sizes through the tuple.
    checkpoint = (Dense(tp.normal(HIDDEN, PIXELS, rng=0), tp.zeros(HIDDEN)), 3)
    y = checkpoint[0].w @ tp.ones(HIDDEN)  # E: Dimension mismatch in operator "@": inner dimension: 784 (left operand, axis 1) vs 128 (right operand, axis 0)  [dim-mismatch]
    print(y)


def case_triangular_mask_of_the_maximum_length() -> None:
    # np.tril keeps its argument's shape: a mask of 64 positions for a sequence of 32.
    scores = tp.normal(BATCH, BATCH, rng=0)
    mask = np.tril(tp.ones(64, 64))
    masked = scores * mask  # E: Dimension mismatch in operator "*": axes do not broadcast: 32 (left operand, axis 0) vs 64 (right operand, axis 0)  [dim-mismatch]  # E: Dimension mismatch in operator "*": axes do not broadcast: 32 (left operand, axis 1) vs 64 (right operand, axis 1)  [dim-mismatch]
    print(masked)


def case_rows_of_a_batch_to_a_layer_for_the_pixels() -> None:
    # Each row of the (32, 128) hidden batch goes to a layer that takes the 784 pixels.
    hidden = tp.normal(BATCH, HIDDEN, rng=0)
    w = tp.normal(CLASSES, PIXELS, rng=1)
    for row in hidden:
        print(ops.matvec(w, row))  # E: Dimension mismatch in call to "matvec": dimension n: 128 (argument "x", axis 0) vs 784 (argument "w", axis 1)  [dim-mismatch]


def case_unpacked_structure_parameter() -> None:
    # The parameter's first field, unpacked, is applied to the hidden units instead of the pixels.
    def encode(p: Pair, x: Vec) -> Vec:
        encoder, decoder = p
        return encoder @ tp.ones(HIDDEN)  # E: Dimension mismatch in operator "@": inner dimension: 784 (left operand, axis 1) vs 128 (right operand, axis 0)  [dim-mismatch]

    print(encode(Pair(tp.normal(HIDDEN, PIXELS, rng=0), tp.normal(PIXELS, HIDDEN, rng=1)), tp.ones(PIXELS)))


def case_noise_of_another_width_added_to_a_feature() -> None:
    # sin of one column (32,) plus noise of the whole batch's shape (32, 784).
    x = tp.normal(BATCH, PIXELS, rng=0)
    y = np.sin(x[:, 0]) + 0.05 * tp.normal(BATCH, PIXELS, rng=1)  # E: Dimension mismatch in operator "+": axes do not broadcast: 32 (left operand, axis 0) vs 784 (right operand, axis 1)  [dim-mismatch]
    print(y)


def case_state_scaled_in_a_loop_then_the_wrong_readout() -> None:
    # The state keeps its (32, 128) through the loop; the readout takes 784 inputs.
    h = tp.zeros(BATCH, HIDDEN)
    for _ in range(3):
        h = h * 0.5
    y = h @ tp.normal(PIXELS, CLASSES, rng=0)  # E: Dimension mismatch in operator "@": inner dimension: 128 (left operand, axis 1) vs 784 (right operand, axis 0)  [dim-mismatch]
    print(y)


def case_shuffled_minibatch_of_inputs_against_all_targets() -> None:
    # A shuffled minibatch's rows keep the feature width: it is compared with one-hot targets
    # of the classes' width.
    x = tp.normal(BATCH, PIXELS, rng=0)
    idx = np.random.default_rng(0).permutation(BATCH)[:8]
    targets = tp.zeros(8, CLASSES)
    err = x[idx] - targets  # E: Dimension mismatch in operator "-": axes do not broadcast: 784 (left operand, axis -1) vs 10 (right operand, axis 1)  [dim-mismatch]
    print(err)


def case_features_scaled_by_a_ramp_then_a_weight_for_other_inputs() -> None:
    # Features scaled column by column (a ramp of unknown rank to mypy) keep their width.
    raw = tp.normal(BATCH, PIXELS, rng=0) * np.linspace(0.5, 3.0, PIXELS)
    h = raw @ tp.normal(HIDDEN, PIXELS, rng=1)  # E: Dimension mismatch in operator "@": inner dimension: 784 (left operand, axis -1) vs 128 (right operand, axis 0)  [dim-mismatch]
    print(h)


def case_gates_split_then_used_at_the_full_width() -> None:
    # The gates are split in two halves of 128; one half is multiplied with the full 256.
    gates = tp.normal(BATCH, 2 * HIDDEN, rng=0)
    z, r = ops.split(gates, 2, axis=1)
    mixed = z * tp.ones(BATCH, 2 * HIDDEN)  # E: Dimension mismatch in operator "*": axes do not broadcast: 128 (left operand, axis 1) vs 256 (right operand, axis 1)  [dim-mismatch]
    print(mixed, r)
