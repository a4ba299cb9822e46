"""Multilayer perceptrons as users write them: layers of `Final` sizes, `shapecheck`ed layers and
parameter structures, forward passes and their gradients. Every case runs, and mypy accepts it."""

# ruff: noqa: E501
# fmt: off

from dataclasses import dataclass
from typing import Final, NamedTuple

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import Array, BVar, Mat, Vec, ops

IN: Final = 64
HIDDEN: Final[int] = 32
OUT: Final = 10
BATCH: Final = 16


@tp.shapecheck
class Layer(NamedTuple):
    w: Float[Mat, "out in"]
    b: Float[Vec, " out"]


@tp.shapecheck
class MLP(NamedTuple):
    hidden: Layer
    output: Layer


@tp.shapecheck
@dataclass(frozen=True)
class Dense:
    w: Float[Mat, "in out"]
    b: Float[Vec, " out"]


@tp.shapecheck
def dense(w: Float[Mat, "out in"], b: Float[Vec, " out"], x: Float[Vec, " in"]) -> Float[Vec, " out"]:
    return ops.logistic(ops.matvec(w, x) + b)


@tp.shapecheck
def dense_batch(x: Float[Mat, "batch in"], w: Float[Mat, "in out"], b: Float[Vec, " out"]) -> Float[Mat, "batch out"]:
    return np.tanh(x @ w + b)


@tp.shapecheck
def bdense(w: BVar[Float[Mat, "out in"]], b: BVar[Float[Vec, " out"]], x: BVar[Float[Vec, " in"]]) -> BVar[Float[Vec, " out"]]:
    return ops.relu(ops.linear(w, x, b))


def init_layer(n_out: int, n_in: int, seed: int) -> Layer:
    return Layer(tp.normal(n_out, n_in, scale=n_in**-0.5, rng=seed), tp.zeros(n_out))


def case_two_dense_layers_one_sample() -> None:
    # A sample through two shapecheck'ed layers whose sizes are Final constants.
    w1, b1 = tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN)
    w2, b2 = tp.normal(OUT, HIDDEN, rng=1), tp.zeros(OUT)
    x = tp.ones(IN)
    h = dense(w1, b1, x)
    y = dense(w2, b2, h)
    assert y.shape == (OUT,)


def case_batch_through_layers() -> None:
    # A batch of rows through x @ w + b layers stored (in, out).
    x = tp.normal(BATCH, IN, rng=0)
    h = dense_batch(x, tp.normal(IN, HIDDEN, rng=1), tp.zeros(HIDDEN))
    y = dense_batch(h, tp.normal(HIDDEN, OUT, rng=2), tp.zeros(OUT))
    assert y.shape == (BATCH, OUT)


def case_linear_op_one_sample_and_batch() -> None:
    # ops.linear takes one sample or a batch with the same weights.
    w, b = tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN)
    one = ops.linear(w, tp.ones(IN), b)
    many = ops.linear(w, tp.ones(BATCH, IN), b)
    assert one.shape == (HIDDEN,) and many.shape == (BATCH, HIDDEN)


def case_checked_namedtuple_network() -> None:
    # A network as a shapecheck'ed NamedTuple of layers.
    net = MLP(Layer(tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN)), Layer(tp.normal(OUT, HIDDEN, rng=1), tp.zeros(OUT)))
    h = ops.tanh(ops.linear(net.hidden.w, tp.ones(IN), net.hidden.b))
    y = ops.linear(net.output.w, h, net.output.b)
    assert y.shape == (OUT,)


def case_checked_dataclass_layer() -> None:
    # A frozen dataclass layer stored (in, out), applied to a batch.
    layer = Dense(tp.normal(IN, HIDDEN, rng=0), tp.zeros(HIDDEN))
    y = tp.ones(BATCH, IN) @ layer.w + layer.b
    assert y.shape == (BATCH, HIDDEN)


def case_gradient_of_the_network() -> None:
    # The gradient of a cross-entropy through a two-layer network, of the network's type.
    net = MLP(init_layer(HIDDEN, IN, 0), init_layer(OUT, HIDDEN, 1))
    x, label = tp.normal(IN, rng=2), 3

    def loss(p: BVar[MLP]) -> BVar[float]:
        hidden, output = p.unpack()
        w1, b1 = hidden.unpack()
        w2, b2 = output.unpack()
        h = ops.relu(ops.linear(w1, x, b1))
        return ops.softmax_cross_entropy_with_integer_labels(ops.linear(w2, h, b2), label)

    g = tp.grad(loss, net)
    assert g.hidden.w.shape == (HIDDEN, IN) and g.output.b.shape == (OUT,)


def case_bvar_layer_chain() -> None:
    # shapecheck'ed layers on BVars, as in examples/static_sizes.py.
    w1, b1 = tp.constant(tp.normal(HIDDEN, IN, rng=0)), tp.constant(tp.zeros(HIDDEN))
    w2, b2 = tp.constant(tp.normal(OUT, HIDDEN, rng=1)), tp.constant(tp.zeros(OUT))
    x = tp.constant(tp.ones(IN))
    y = bdense(w2, b2, bdense(w1, b1, x))
    assert y.value.shape == (OUT,)


def case_arithmetic_on_final_sizes() -> None:
    # Sizes written as arithmetic on Final constants: a layer twice as wide.
    w1 = tp.normal(2 * HIDDEN, IN, rng=0)
    b1 = tp.zeros(2 * HIDDEN)
    w2 = tp.normal(OUT, HIDDEN * 2, rng=1)
    h = dense(w1, b1, tp.ones(IN))
    y = dense(w2, tp.zeros(OUT), h)
    assert y.shape == (OUT,)


def case_literal_sizes() -> None:
    # Sizes written as literals, as in a quick experiment.
    w1, b1 = tp.normal(20, 8, rng=0), tp.zeros(20)
    w2, b2 = tp.normal(4, 20, rng=1), tp.zeros(4)
    y = dense(w2, b2, dense(w1, b1, tp.ones(8)))
    assert y.shape == (4,)


def case_annotated_parameters() -> None:
    # Parameters annotated with their sizes.
    w: Float[Mat, "16 10"] = tp.normal(16, 10, rng=0)
    b: Float[Vec, " 16"] = tp.zeros(16)
    x: Float[Vec, " 10"] = tp.ones(10)
    y = dense(w, b, x)
    assert y.shape == (16,)


def case_deep_stack_of_equal_layers() -> None:
    # A deep network of square layers of one width, applied in a loop.
    layers = [Layer(tp.normal(HIDDEN, HIDDEN, scale=0.1, rng=i), tp.zeros(HIDDEN)) for i in range(4)]
    h: Vec = tp.ones(HIDDEN)
    for layer in layers:
        h = dense(layer.w, layer.b, h)
    assert h.shape == (HIDDEN,)


def case_float32_network() -> None:
    # The same layers in float32.
    w = tp.normal(HIDDEN, IN, rng=0, dtype=np.float32)
    b = tp.zeros(HIDDEN, dtype=np.float32)
    x = tp.ones(IN, dtype=np.float32)
    y = ops.linear(w, x, b)
    assert y.dtype == np.float32 and y.shape == (HIDDEN,)


def case_backprop_of_a_dense_dict() -> None:
    # Parameters in a dict, the gradient a dict of the same keys.
    params: dict[str, Array] = {"w": tp.normal(OUT, IN, rng=0), "b": tp.zeros(OUT)}
    x, y = tp.ones(BATCH, IN), tp.zeros(BATCH, OUT)

    def loss(p: BVar[dict[str, Array]]) -> BVar[float]:
        w = p.view(lambda d: d["w"])
        b = p.view(lambda d: d["b"])
        return ops.mean_squared_error(x @ w.T + b, y)

    value, g = tp.backprop(loss, params)
    assert value >= 0.0 and g["w"].shape == (OUT, IN) and g["b"].shape == (OUT,)


def case_predict_with_argmax() -> None:
    # Class predictions of a batch, as integers.
    net = MLP(init_layer(HIDDEN, IN, 0), init_layer(OUT, HIDDEN, 1))
    x = tp.normal(BATCH, IN, rng=2)
    logits = ops.linear(net.output.w, ops.relu(ops.linear(net.hidden.w, x, net.hidden.b)), net.output.b)
    predictions = ops.argmax(logits, axis=-1)
    assert predictions.shape == (BATCH,)
