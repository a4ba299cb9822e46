"""Multi-layer perceptrons (the MNIST network, 784-300-100-10) with sizes mypy knows: each case
is one shape mistake in the layers' parameters or in the forward pass, refused at run time with
a CheckError (or numpy's ValueError for plain numpy arithmetic)."""

# Marker comments hold whole mypy messages: long lines, kept as written.
# ruff: noqa: E501
# fmt: off

from typing import Final, NamedTuple

from jaxtyping import Float

import typedprop as tp
from typedprop import Array, BVar, Mat, Vec, ops

PIXELS: Final = 784
HIDDEN1: Final = 300
HIDDEN2: Final = 100
DIGITS: Final = 10
BATCH: Final = 64


@tp.shapecheck
def dense(w: Float[Mat, "out in"], b: Float[Vec, " out"], x: Float[Array, "batch in"]) -> Float[Array, "batch out"]:
    return ops.logistic(ops.linear(w, x, b))


@tp.shapecheck
def classify(h: Float[Array, "batch 100"], w: Float[Mat, "10 100"]) -> Float[Array, "batch 10"]:
    return h @ w.T


@tp.shapecheck
class Layer(NamedTuple):
    w: Float[Mat, "out in"]
    b: Float[Vec, " out"]


@tp.shapecheck
class Network(NamedTuple):
    w1: Float[Mat, "h1 784"]
    b1: Float[Vec, " h1"]
    w2: Float[Mat, "h2 h1"]
    b2: Float[Vec, " h2"]
    w3: Float[Mat, "10 h2"]
    b3: Float[Vec, " 10"]


@tp.shapecheck
class Mnist(NamedTuple):
    """The network with its sizes fixed in the hints."""

    w1: Float[Mat, "300 784"]
    b1: Float[Vec, " 300"]
    w2: Float[Mat, "100 300"]
    b2: Float[Vec, " 100"]
    w3: Float[Mat, "10 100"]
    b3: Float[Vec, " 10"]


def init_mnist() -> Mnist:
    return Mnist(
        tp.normal(HIDDEN1, PIXELS, rng=0), tp.zeros(HIDDEN1),
        tp.normal(HIDDEN2, HIDDEN1, rng=1), tp.zeros(HIDDEN2),
        tp.normal(DIGITS, HIDDEN2, rng=2), tp.zeros(DIGITS),
    )


def case_second_layer_sized_for_the_input() -> None:
    # The second weight takes 784 inputs, but the first layer gives 300.
    x = tp.normal(BATCH, PIXELS, rng=0)
    h1 = dense(tp.normal(HIDDEN1, PIXELS, rng=0), tp.zeros(HIDDEN1), x)
    h2 = dense(tp.normal(HIDDEN2, PIXELS, rng=1), tp.zeros(HIDDEN2), h1)  # E: Dimension mismatch in call to "dense": dimension in: 300 (argument "x", axis 1) vs 784 (argument "w", axis 1)  [dim-mismatch]
    print(h2)


def case_bias_of_the_next_layer() -> None:
    # The first layer is given the second layer's bias (100 instead of 300).
    x = tp.normal(BATCH, PIXELS, rng=0)
    h1 = dense(tp.normal(HIDDEN1, PIXELS, rng=0), tp.zeros(HIDDEN2), x)  # E: Dimension mismatch in call to "dense": dimension out: 100 (argument "b", axis 0) vs 300 (argument "w", axis 0)  [dim-mismatch]
    print(h1)


def case_layer_with_the_hidden_sizes_swapped() -> None:
    # The second layer is built (300, 100) with a bias of 100: its sizes are swapped.
    layer = Layer(tp.normal(HIDDEN1, HIDDEN2, rng=0), tp.zeros(HIDDEN2))  # E: Dimension mismatch in call to "Layer": dimension out: 100 (argument "b", axis 0) vs 300 (argument "w", axis 0)  [dim-mismatch]
    print(layer)


def case_network_with_eleven_outputs() -> None:
    # The output bias has DIGITS + 1 entries; the hint fixes 10.
    w1, b1 = tp.normal(HIDDEN1, PIXELS, rng=0), tp.zeros(HIDDEN1)
    w2, b2 = tp.normal(HIDDEN2, HIDDEN1, rng=1), tp.zeros(HIDDEN2)
    w3, b3 = tp.normal(DIGITS, HIDDEN2, rng=2), tp.zeros(DIGITS + 1)
    net = Network(w1, b1, w2, b2, w3, b3)  # E: Dimension mismatch in call to "Network": axis 0 of argument "b3" is 11, but its hint fixes it to 10  [dim-mismatch]
    print(net)


def case_network_with_the_first_weight_transposed() -> None:
    # w1 is built (784, 300), as if for x @ w1; the hint says (h1, 784).
    w1, b1 = tp.normal(PIXELS, HIDDEN1, rng=0), tp.zeros(HIDDEN1)
    w2, b2 = tp.normal(HIDDEN2, HIDDEN1, rng=1), tp.zeros(HIDDEN2)
    w3, b3 = tp.normal(DIGITS, HIDDEN2, rng=2), tp.zeros(DIGITS)
    net = Network(w1=w1, b1=b1, w2=w2, b2=b2, w3=w3, b3=b3)  # E: Dimension mismatch in call to "Network": dimension h1: 300 (argument "b1", axis 0) vs 784 (argument "w1", axis 0)  [dim-mismatch]  # E: Dimension mismatch in call to "Network": axis 1 of argument "w1" is 300, but its hint fixes it to 784  [dim-mismatch]
    print(net)


def case_network_second_layer_from_the_other_hidden_size() -> None:
    # w2 maps 100 to 100 units: h1 is 300 in w1 and b1, 100 in w2.
    w1, b1 = tp.normal(HIDDEN1, PIXELS, rng=0), tp.zeros(HIDDEN1)
    w2, b2 = tp.normal(HIDDEN2, HIDDEN2, rng=1), tp.zeros(HIDDEN2)
    w3, b3 = tp.normal(DIGITS, HIDDEN2, rng=2), tp.zeros(DIGITS)
    net = Network(w1, b1, w2, b2, w3, b3)  # E: Dimension mismatch in call to "Network": dimension h1: 100 (argument "w2", axis 1) vs 300 (argument "w1", axis 0)  [dim-mismatch]
    print(net)


def case_output_layer_skips_the_second_layer() -> None:
    # The output layer applied to h1 (300) instead of h2 (100).
    net = init_mnist()
    x = tp.normal(PIXELS, rng=0)
    h1 = ops.logistic(net.w1 @ x + net.b1)
    h2 = ops.logistic(net.w2 @ h1 + net.b2)
    logits = net.w3 @ h1 + net.b3  # E: Dimension mismatch in operator "@": inner dimension: 100 (left operand, axis 1) vs 300 (right operand, axis 0)  [dim-mismatch]
    print(logits, h2)


def case_batch_forward_without_the_transpose() -> None:
    # A batch (64, 784) times w1 (300, 784) needs w1.T.
    net = init_mnist()
    x = tp.normal(BATCH, PIXELS, rng=0)
    h1 = ops.relu(x @ net.w1)  # E: Dimension mismatch in operator "@": inner dimension: 784 (left operand, axis 1) vs 300 (right operand, axis 0)  [dim-mismatch]
    print(h1)


def case_dense_given_one_sample() -> None:
    # dense takes a batch (batch, in); one sample of 784 pixels has no batch axis.
    x = tp.normal(PIXELS, rng=0)
    h1 = dense(tp.normal(HIDDEN1, PIXELS, rng=0), tp.zeros(HIDDEN1), x)  # E: Rank mismatch in call to "dense": argument "x" has 1 axis, but its hint "batch in" has 2  [rank-mismatch]
    print(h1)


def case_classifier_given_the_first_hidden_layer() -> None:
    # classify takes the second hidden layer (100 wide), not the first (300).
    x = tp.normal(BATCH, PIXELS, rng=0)
    h1 = dense(tp.normal(HIDDEN1, PIXELS, rng=0), tp.zeros(HIDDEN1), x)
    logits = classify(h1, tp.normal(DIGITS, HIDDEN2, rng=2))  # E: Dimension mismatch in call to "classify": axis 1 of argument "h" is 300, but its hint fixes it to 100  [dim-mismatch]
    print(logits)


def case_linear_chain_with_a_square_second_weight() -> None:
    # ops.linear layers: the second weight was made (100, 100).
    x = tp.normal(BATCH, PIXELS, rng=0)
    h1 = ops.relu(ops.linear(tp.normal(HIDDEN1, PIXELS, rng=0), x, tp.zeros(HIDDEN1)))
    h2 = ops.relu(ops.linear(tp.normal(HIDDEN2, HIDDEN2, rng=1), h1, tp.zeros(HIDDEN2)))  # E: Dimension mismatch in call to "linear": dimension in: 300 (argument "x", axis 1) vs 100 (argument "w", axis 1)  [dim-mismatch]
    print(h2)


def case_dropout_mask_of_the_other_hidden_layer() -> None:
    # The dropout mask for h2 (64, 100) applied to h1 (64, 300).
    x = tp.normal(BATCH, PIXELS, rng=0)
    h1 = dense(tp.normal(HIDDEN1, PIXELS, rng=0), tp.zeros(HIDDEN1), x)
    mask = tp.ones(BATCH, HIDDEN2)
    dropped = h1 * mask  # E: Dimension mismatch in operator "*": axes do not broadcast: 300 (left operand, axis 1) vs 100 (right operand, axis 1)  [dim-mismatch]
    print(dropped)


def case_loss_through_unpack_skips_a_layer() -> None:
    # The loss forgets the second layer: the last layer gets h1 (300), it takes 100.
    x = tp.normal(PIXELS, rng=0)

    def loss(p: BVar[Mnist]) -> BVar[float]:
        w1, b1, w2, b2, w3, b3 = p.unpack()
        h1 = ops.logistic(ops.matvec(w1, x) + b1)
        logits = ops.matvec(w3, h1) + b3  # E: Dimension mismatch in call to "matvec": dimension n: 300 (argument "x", axis 0) vs 100 (argument "w", axis 1)  [dim-mismatch]
        return ops.softmax_cross_entropy_with_integer_labels(logits, 3)

    tp.grad(loss, init_mnist())


def case_view_of_the_wrong_weight() -> None:
    # p.view picks w2 (100, 300) where the first layer's w1 (300, 784) is meant.
    x = tp.normal(PIXELS, rng=0)

    def loss(p: BVar[Mnist]) -> BVar[float]:
        w = p.view(lambda q: q.w2)
        return ops.sum(ops.matvec(w, x))  # E: Dimension mismatch in call to "matvec": dimension n: 784 (argument "x", axis 0) vs 300 (argument "w", axis 1)  [dim-mismatch]

    tp.grad(loss, init_mnist())
