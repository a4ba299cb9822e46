"""Parameter structures (`shapecheck`ed NamedTuples and dataclasses, named, fixed and symbolic
dimensions such as `n+n` and `4*h`), their fields used later, and `shapecheck`ed functions that
return the wrong thing: each case is one shape mistake, refused at run time with a CheckError
(or numpy's ValueError for plain numpy arithmetic)."""

# Marker comments hold whole mypy messages: long lines, kept as written.
# ruff: noqa: E501
# fmt: off

from dataclasses import dataclass, replace
from typing import Final, NamedTuple

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import BVar, Mat, Vec, ops

PIXELS: Final = 784
CODE: Final = 64
HIDDEN: Final = 128
CLASSES: Final = 10
VOCAB: Final = 1000
MAX_LEN: Final = 32


@tp.shapecheck
class Dense(NamedTuple):
    w: Float[Mat, "out in"]
    b: Float[Vec, " out"]


@tp.shapecheck
@dataclass(frozen=True)
class Embedding:
    tokens: Float[Mat, "vocab d"]
    positions: Float[Mat, "max_len d"]


@tp.shapecheck
class Autoencoder(NamedTuple):
    encoder: Float[Mat, "code pixels"]
    decoder: Float[Mat, "pixels code"]


@tp.shapecheck
class TwoTower(NamedTuple):
    """Two encoders of the same width n whose outputs are concatenated, then one head."""

    left: Float[Mat, "n i"]
    right: Float[Mat, "n j"]
    head: Float[Mat, "o n+n"]


@tp.shapecheck
class Classifier(NamedTuple):
    w: Float[Mat, "10 d"]
    b: Float[Vec, " 10"]


@tp.shapecheck
class Encoder(NamedTuple):
    w: Float[Mat, "64 784"]
    b: Float[Vec, " 64"]


@tp.shapecheck
class Decoder(NamedTuple):
    w: Float[Mat, "784 64"]
    b: Float[Vec, " 784"]


@tp.shapecheck
@dataclass(frozen=True)
class LSTMCell:
    """One weight for the four gates, over the state and the input concatenated."""

    h0: Float[Vec, " h"]
    x0: Float[Vec, " i"]
    w: Float[Mat, "4*h h+i"]


@tp.shapecheck
@dataclass(frozen=True)
class Projection:
    w: Float[Mat, "64 784"]

    @tp.shapecheck
    def __call__(self, x: Float[Vec, " 784"]) -> Float[Vec, " 64"]:
        return self.w @ x


@tp.shapecheck
class BareLayer(NamedTuple):
    """Fields hinted on numpy's own array type, both of one type (the hints differ)."""

    w: Float[np.ndarray, "out in"]
    b: Float[np.ndarray, " out"]


class WideDense(Dense):
    """A subclass: it inherits Dense's checked constructor."""


@tp.shapecheck
def init_autoencoder() -> tuple[Float[Mat, "64 784"], Float[Mat, "784 64"]]:
    return tp.normal(CODE, PIXELS, rng=0), tp.normal(PIXELS, CODE, rng=1)


def dense_loss(p: BVar[Dense], x: Vec) -> BVar[float]:
    w, b = p.unpack()
    return ops.sum(ops.tanh(ops.linear(w, x, b)))


def case_namedtuple_bias_of_the_input_width() -> None:
    # The bias has one entry per input (784) instead of one per output (128).
    layer = Dense(tp.normal(HIDDEN, PIXELS, rng=0), tp.zeros(PIXELS))  # E: Dimension mismatch in call to "Dense": dimension out: 784 (argument "b", axis 0) vs 128 (argument "w", axis 0)  [dim-mismatch]
    print(layer)


def case_namedtuple_keywords_with_the_weight_transposed() -> None:
    # Keyword arguments in any order; the weight was made (in, out).
    layer = Dense(b=tp.zeros(HIDDEN), w=tp.normal(PIXELS, HIDDEN, rng=0))  # E: Dimension mismatch in call to "Dense": dimension out: 128 (argument "b", axis 0) vs 784 (argument "w", axis 0)  [dim-mismatch]
    print(layer)


def case_dataclass_positions_of_another_width() -> None:
    # The position table was made 32 wide, the token table 64.
    emb = Embedding(tokens=tp.normal(VOCAB, CODE, rng=0), positions=tp.normal(MAX_LEN, MAX_LEN, rng=1))  # E: Dimension mismatch in call to "Embedding": dimension d: 32 (argument "positions", axis 1) vs 64 (argument "tokens", axis 1)  [dim-mismatch]
    print(emb)


def case_autoencoder_decoder_of_the_encoder_shape() -> None:
    # The decoder was made like the encoder, (code, pixels), not transposed.
    ae = Autoencoder(tp.normal(CODE, PIXELS, rng=0), tp.normal(CODE, PIXELS, rng=1))  # E: Dimension mismatch in call to "Autoencoder": dimension pixels: 64 (argument "decoder", axis 0) vs 784 (argument "encoder", axis 1)  [dim-mismatch]  # E: Dimension mismatch in call to "Autoencoder": dimension code: 784 (argument "decoder", axis 1) vs 64 (argument "encoder", axis 0)  [dim-mismatch]
    print(ae)


def case_two_towers_with_a_head_sized_for_one_tower() -> None:
    # The towers' outputs are concatenated (n + n = 128), but the head takes n = 64.
    towers = TwoTower(tp.normal(CODE, PIXELS, rng=0), tp.normal(CODE, 300, rng=1), tp.normal(CLASSES, CODE, rng=2))  # E: Dimension mismatch in call to "TwoTower": axis 1 of argument "head" is 64, but its hint "2*n" makes it 128  [dim-mismatch]
    print(towers)


def case_concatenated_features_then_a_head_for_one_of_them() -> None:
    # Two 64-wide codes concatenated to 128, read by a head that takes 64.
    a = tp.normal(CODE, rng=0)
    b = tp.normal(CODE, rng=1)
    merged = ops.concatenate([a, b])
    head = tp.normal(CLASSES, CODE, rng=2)
    y = ops.matvec(head, merged)  # E: Dimension mismatch in call to "matvec": dimension n: 128 (argument "x", axis 0) vs 64 (argument "w", axis 1)  [dim-mismatch]
    print(y)


def case_classifier_bias_of_the_feature_width() -> None:
    # The classifier's bias is fixed to 10 entries; the feature width (64) is given.
    clf = Classifier(tp.normal(CLASSES, CODE, rng=0), tp.zeros(CODE))  # E: Dimension mismatch in call to "Classifier": axis 0 of argument "b" is 64, but its hint fixes it to 10  [dim-mismatch]
    print(clf)


def case_decoder_applied_to_the_input() -> None:
    # The decoder (784, 64) takes a code of 64, and is given the 784 pixels.
    dec = Decoder(tp.normal(PIXELS, CODE, rng=0), tp.zeros(PIXELS))
    x = tp.normal(PIXELS, rng=1)
    x_hat = ops.matvec(dec.w, x) + dec.b  # E: Dimension mismatch in call to "matvec": dimension n: 784 (argument "x", axis 0) vs 64 (argument "w", axis 1)  [dim-mismatch]
    print(x_hat)


def case_encoder_bias_paired_with_the_decoder_weight() -> None:
    # A field used with the wrong partner: the encoder's bias added to the decoder's output.
    enc = Encoder(tp.normal(CODE, PIXELS, rng=0), tp.zeros(CODE))
    dec = Decoder(tp.normal(PIXELS, CODE, rng=1), tp.zeros(PIXELS))
    x_hat = ops.matvec(dec.w, tp.zeros(CODE)) + enc.b  # E: Dimension mismatch in operator "+": axes do not broadcast: 784 (left operand, axis 0) vs 64 (right operand, axis 0)  [dim-mismatch]
    print(x_hat)


def case_layer_from_the_fields_of_two_structures() -> None:
    # A Dense built from the encoder's weight and the decoder's bias.
    enc = Encoder(tp.normal(CODE, PIXELS, rng=0), tp.zeros(CODE))
    dec = Decoder(tp.normal(PIXELS, CODE, rng=1), tp.zeros(PIXELS))
    layer = Dense(enc.w, dec.b)  # E: Dimension mismatch in call to "Dense": dimension out: 784 (argument "b", axis 0) vs 64 (argument "w", axis 0)  [dim-mismatch]
    print(layer)


def case_lstm_cell_weight_over_the_state_only() -> None:
    # The gate weight takes the state and the input (32 + 8 = 40 columns); it was made with 32.
    cell = LSTMCell(tp.zeros(32), tp.zeros(8), tp.normal(4 * 32, 32, rng=0))  # E: Dimension mismatch in call to "LSTMCell": axis 1 of argument "w" is 32, but its hint "h+i" makes it 40  [dim-mismatch]
    print(cell)


def case_lstm_cell_with_three_gates() -> None:
    # 4 * h rows for four gates; 3 * 32 were made.
    cell = LSTMCell(h0=tp.zeros(32), x0=tp.zeros(8), w=tp.normal(3 * 32, 40, rng=0))  # E: Dimension mismatch in call to "LSTMCell": axis 0 of argument "w" is 96, but its hint "4*h" makes it 128  [dim-mismatch]
    print(cell)


def case_checked_call_method_given_a_code() -> None:
    # The projection's __call__ takes 784 pixels; a 64-wide code is given.
    proj = Projection(tp.normal(CODE, PIXELS, rng=0))
    y = proj(tp.zeros(CODE))  # E: Dimension mismatch in call to "__call__" of "Projection": axis 0 of argument "x" is 64, but its hint fixes it to 784  [dim-mismatch]
    print(y)


def case_function_returning_its_weight_transposed() -> None:
    # The initializer draws (in, out) and returns it as is; its hint promises (out, in).
    @tp.shapecheck
    def init_weight() -> Float[Mat, "128 784"]:
        w = tp.normal(PIXELS, HIDDEN, rng=0)
        return w  # E: Dimension mismatch in return from "init_weight": axis 0 of the returned value is 784, but the return hint fixes it to 128  [dim-mismatch]

    print(init_weight())


def case_function_returning_the_wrong_field() -> None:
    # The accessor of the encoder's weight returns the decoder's.
    @tp.shapecheck
    def encoder_weight(enc: Encoder, dec: Decoder) -> Float[Mat, "64 784"]:
        return dec.w  # E: Dimension mismatch in return from "encoder_weight": axis 0 of the returned value is 784, but the return hint fixes it to 64  [dim-mismatch]

    enc = Encoder(tp.normal(CODE, PIXELS, rng=0), tp.zeros(CODE))
    dec = Decoder(tp.normal(PIXELS, CODE, rng=1), tp.zeros(PIXELS))
    print(encoder_weight(enc, dec))


def case_bare_ndarray_fields_bias_of_another_width() -> None:
    # Both fields are np.ndarray with different hints: the first field's hint counts too.
    layer = BareLayer(tp.normal(HIDDEN, PIXELS, rng=0), tp.zeros(CODE))  # E: Dimension mismatch in call to "BareLayer": dimension out: 64 (argument "b", axis 0) vs 128 (argument "w", axis 0)  [dim-mismatch]
    print(layer)


def case_subclass_of_a_checked_namedtuple() -> None:
    # The subclass inherits the checked constructor: the bias of the input width is refused.
    layer = WideDense(tp.normal(HIDDEN, PIXELS, rng=0), tp.zeros(PIXELS))  # E: Dimension mismatch in call to "WideDense": dimension out: 784 (argument "b", axis 0) vs 128 (argument "w", axis 0)  [dim-mismatch]
    print(layer)


def case_field_of_a_namedtuple_applied_to_a_code() -> None:
    # The first layer's weight (128, 784) keeps its sizes on the field: a 64-wide code is given.
    layer = Dense(tp.normal(HIDDEN, PIXELS, rng=0), tp.zeros(HIDDEN))
    h = layer.w @ tp.ones(CODE)  # E: Dimension mismatch in operator "@": inner dimension: 784 (left operand, axis 1) vs 64 (right operand, axis 0)  [dim-mismatch]
    print(h)


def case_field_of_a_frozen_dataclass_transposed_use() -> None:
    # The token table is (vocab, d); a batch of one-hot rows is multiplied from the wrong side.
    emb = Embedding(tokens=tp.normal(VOCAB, CODE, rng=0), positions=tp.normal(MAX_LEN, CODE, rng=1))
    one_hot = tp.zeros(8, VOCAB)
    vectors = emb.tokens @ one_hot  # E: Dimension mismatch in operator "@": inner dimension: 64 (left operand, axis 1) vs 8 (right operand, axis 0)  [dim-mismatch]
    print(vectors)


def case_unpacked_namedtuple_weight_on_a_code() -> None:
    # The layer unpacked: its weight (128, 784) keeps its sizes, and is given a 64-wide code.
    w, b = Dense(tp.normal(HIDDEN, PIXELS, rng=0), tp.zeros(HIDDEN))
    h = ops.linear(w, tp.ones(CODE), b)  # E: Dimension mismatch in call to "linear": dimension in: 64 (argument "x", axis 0) vs 784 (argument "w", axis 1)  [dim-mismatch]
    print(h)


def case_gradient_field_added_to_the_other_layer() -> None:
    # The gradient has the parameters' sizes: the first layer's gradient applied to the second.
    first = Dense(tp.normal(HIDDEN, PIXELS, rng=0), tp.zeros(HIDDEN))
    second = Dense(tp.normal(CLASSES, HIDDEN, rng=1), tp.zeros(CLASSES))
    x = tp.ones(PIXELS)
    g = tp.grad(lambda p: dense_loss(p, x), first)
    stepped = second.w - 0.1 * g.w  # E: Dimension mismatch in operator "-": axes do not broadcast: 10 (left operand, axis 0) vs 128 (right operand, axis 0)  [dim-mismatch]  # E: Dimension mismatch in operator "-": axes do not broadcast: 128 (left operand, axis 1) vs 784 (right operand, axis 1)  [dim-mismatch]
    print(stepped)


def case_optimizer_step_then_the_layer_on_a_code() -> None:
    # After Adam's steps the layer keeps its sizes; it is then applied to a 64-wide code.
    layer = Dense(tp.normal(HIDDEN, PIXELS, rng=0), tp.zeros(HIDDEN))
    opt = tp.optim.Adam(layer, lr=0.01)
    x = tp.ones(PIXELS)
    for _ in range(2):
        layer = opt.step(layer, tp.grad(lambda p: dense_loss(p, x), layer))
    y = ops.linear(layer.w, tp.ones(CODE), layer.b)  # E: Dimension mismatch in call to "linear": dimension in: 64 (argument "x", axis 0) vs 784 (argument "w", axis 1)  [dim-mismatch]
    print(y)


def case_backprop_n_gradient_of_the_input_used_as_a_code() -> None:
    # The gradient with respect to the input has the input's 784 entries, not the code's 64.
    w = tp.normal(CODE, PIXELS, rng=0)
    x = tp.ones(PIXELS)
    _, (gw, gx) = tp.backprop_n(lambda a, b: ops.sum(ops.matvec(a, b)), w, x)
    code = tp.ones(CODE) + gx  # E: Dimension mismatch in operator "+": axes do not broadcast: 64 (left operand, axis 0) vs 784 (right operand, axis 0)  [dim-mismatch]
    print(gw, code)


def case_tuple_returned_by_a_checked_initializer_swapped() -> None:
    # The initializer returns (encoder, decoder); they are unpacked in the other order.
    dec, enc = init_autoencoder()
    code = enc @ tp.ones(PIXELS)  # E: Dimension mismatch in operator "@": inner dimension: 64 (left operand, axis 1) vs 784 (right operand, axis 0)  [dim-mismatch]
    print(dec, code)


def case_frozen_dataclass_replaced_with_a_wider_table() -> None:
    # dataclasses.replace runs the checked constructor again: a token table of width 128.
    emb = Embedding(tokens=tp.normal(VOCAB, CODE, rng=0), positions=tp.normal(MAX_LEN, CODE, rng=1))
    wider = replace(emb, tokens=tp.normal(VOCAB, HIDDEN, rng=2))  # E: Dimension mismatch in call to "replace": dimension d: 64 (argument "positions", axis 1) vs 128 (argument "tokens", axis 1)  [dim-mismatch]
    print(wider)


def case_replaced_field_keeps_its_new_size() -> None:
    # After replace, the positions are 128 wide; they are added to 64-wide token vectors.
    emb = Embedding(tokens=tp.normal(VOCAB, CODE, rng=0), positions=tp.normal(MAX_LEN, CODE, rng=1))
    wider = replace(emb, tokens=tp.normal(VOCAB, HIDDEN, rng=2), positions=tp.normal(MAX_LEN, HIDDEN, rng=3))
    mixed = emb.tokens[:MAX_LEN] + wider.positions  # E: Dimension mismatch in operator "+": axes do not broadcast: 64 (left operand, axis 1) vs 128 (right operand, axis 1)  [dim-mismatch]
    print(mixed)


def case_recorded_graph_gradient_of_the_layer_on_a_code() -> None:
    # A graph recorded once and replayed on a smaller batch: its gradient has the layer's sizes.
    layer = Dense(tp.normal(HIDDEN, PIXELS, rng=0), tp.zeros(HIDDEN))

    def batch_loss(p: BVar[Dense], x: Mat) -> BVar[float]:
        w, b = p.unpack()
        return ops.sum(ops.tanh(ops.linear(w, x, b)))

    graph = tp.trace(batch_loss, layer, tp.zeros(8, PIXELS))
    g = graph.grad(layer, tp.zeros(3, PIXELS))
    h = g.w @ tp.ones(CODE)  # E: Dimension mismatch in operator "@": inner dimension: 784 (left operand, axis 1) vs 64 (right operand, axis 0)  [dim-mismatch]
    print(h)
