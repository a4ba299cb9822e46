"""Training loops (parameter structures, losses, gradient steps, momentum, evaluation) for a
regression network of 10 inputs, 64 hidden units and one output, with sizes mypy knows: each case
is one shape mistake, refused at run time with a CheckError (or numpy's ValueError for plain
numpy arithmetic on the gradients)."""

# Marker comments hold whole mypy messages: long lines, kept as written.
# ruff: noqa: E501
# fmt: off

from typing import Final, NamedTuple

from jaxtyping import Float

import typedprop as tp
from typedprop import BVar, Mat, Vec, ops

IN: Final = 10
HIDDEN: Final = 64
OTHER_HIDDEN: Final = 32
OUT: Final = 1
N: Final = 400
BATCH: Final = 32


@tp.shapecheck
class Params(NamedTuple):
    w1: Float[Mat, "h i"]
    b1: Float[Vec, " h"]
    w2: Float[Mat, "o h"]
    b2: Float[Vec, " o"]


@tp.shapecheck
class Net(NamedTuple):
    """The trained network, its sizes fixed in the hints."""

    w1: Float[Mat, "64 10"]
    b1: Float[Vec, " 64"]
    w2: Float[Mat, "1 64"]
    b2: Float[Vec, " 1"]


@tp.shapecheck
def predict(p: BVar[Net], x: Float[Mat, "batch 10"]) -> BVar[Float[Vec, " batch"]]:
    w1, b1, w2, b2 = p.unpack()
    h = ops.tanh(x @ w1.T + b1)
    return ops.reshape(h @ w2.T + b2, (-1,))


@tp.shapecheck
def mse(pred: BVar[Float[Vec, " batch"]], y: Float[Vec, " batch"]) -> BVar[float]:
    return ops.mean_squared_error(pred, y)


def init_net() -> Net:
    return Net(tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN), tp.normal(OUT, HIDDEN, rng=1), tp.zeros(OUT))


def case_second_layer_sized_for_the_other_hidden_size() -> None:
    # Two configurations in one file: the second layer is built for OTHER_HIDDEN (32) units.
    params = Params(tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN), tp.normal(OUT, OTHER_HIDDEN, rng=1), tp.zeros(OUT))  # E: Dimension mismatch in call to "Params": dimension h: 32 (argument "w2", axis 1) vs 64 (argument "w1", axis 0)  [dim-mismatch]
    print(params)


def case_init_with_fan_in_and_fan_out_swapped() -> None:
    # The first weight is made (in, hidden), its bias (hidden,).
    params = Params(tp.normal(IN, HIDDEN, rng=0), tp.zeros(HIDDEN), tp.normal(OUT, HIDDEN, rng=1), tp.zeros(OUT))  # E: Dimension mismatch in call to "Params": dimension h: 64 (argument "b1", axis 0) vs 10 (argument "w1", axis 0)  [dim-mismatch]
    print(params)


def case_net_with_the_second_bias_of_the_hidden_size() -> None:
    # b2 is one per output unit; HIDDEN of them are given.
    net = Net(tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN), tp.normal(OUT, HIDDEN, rng=1), tp.zeros(HIDDEN))  # E: Dimension mismatch in call to "Net": axis 0 of argument "b2" is 64, but its hint fixes it to 1  [dim-mismatch]
    print(net)


def case_sgd_step_with_the_gradient_of_another_layer() -> None:
    # w1 is stepped with w2's gradient.
    net = init_net()
    x, y = tp.normal(BATCH, IN, rng=2), tp.normal(BATCH, rng=3)
    g = tp.grad(lambda p: mse(predict(p, x), y), net)
    w1 = net.w1 - 0.1 * g.w2  # E: Dimension mismatch in operator "-": axes do not broadcast: 10 (left operand, axis 1) vs 64 (right operand, axis 1)  [dim-mismatch]
    print(w1)


def case_momentum_buffer_of_the_transposed_shape() -> None:
    # The velocity of w1 was made (in, hidden).
    net = init_net()
    x, y = tp.normal(BATCH, IN, rng=2), tp.normal(BATCH, rng=3)
    velocity = tp.zeros(IN, HIDDEN)
    g = tp.grad(lambda p: mse(predict(p, x), y), net)
    velocity = 0.9 * velocity + g.w1  # E: Dimension mismatch in operator "+": axes do not broadcast: 10 (left operand, axis 0) vs 64 (right operand, axis 0)  [dim-mismatch]  # E: Dimension mismatch in operator "+": axes do not broadcast: 64 (left operand, axis 1) vs 10 (right operand, axis 1)  [dim-mismatch]
    print(velocity)


def case_minibatch_of_inputs_with_all_targets() -> None:
    # The inputs are cut to a minibatch of 32, the targets are all 400.
    net = init_net()
    x, y = tp.normal(N, IN, rng=2), tp.normal(N, rng=3)
    xb = x[:BATCH]
    value = tp.evaluate(lambda p: mse(predict(p, xb), y), net)  # E: Dimension mismatch in call to "mse": dimension batch: 400 (argument "y", axis 0) vs 32 (argument "pred", axis 0)  [dim-mismatch]
    print(value)


def case_targets_kept_as_a_column() -> None:
    # The targets were loaded as a (32, 1) column; the predictions are (32,).
    net = init_net()
    x, y = tp.normal(BATCH, IN, rng=2), tp.normal(BATCH, 1, rng=3)
    value = tp.evaluate(lambda p: ops.mean_squared_error(predict(p, x), y), net)  # E: Rank mismatch in call to "mean_squared_error": argument "target" of shape (32, 1) does not match argument "pred" of shape (32,)  [rank-mismatch]
    print(value)


def case_validation_set_with_an_extra_feature() -> None:
    # The validation inputs kept an id column: 11 features for a network of 10.
    net = init_net()
    x_val, y_val = tp.normal(100, IN + 1, rng=2), tp.normal(100, rng=3)
    value = tp.evaluate(lambda p: mse(predict(p, x_val), y_val), net)  # E: Dimension mismatch in call to "predict": axis 1 of argument "x" is 11, but its hint fixes it to 10  [dim-mismatch]
    print(value)


def case_directional_derivative_along_a_transposed_direction() -> None:
    # A gradient check along a random direction of w1, drawn (in, hidden).
    net = init_net()
    x, y = tp.normal(BATCH, IN, rng=2), tp.normal(BATCH, rng=3)
    g = tp.grad(lambda p: mse(predict(p, x), y), net)
    direction = tp.normal(IN, HIDDEN, rng=4)
    slope = (g.w1 * direction).sum()  # E: Dimension mismatch in operator "*": axes do not broadcast: 64 (left operand, axis 0) vs 10 (right operand, axis 0)  [dim-mismatch]  # E: Dimension mismatch in operator "*": axes do not broadcast: 10 (left operand, axis 1) vs 64 (right operand, axis 1)  [dim-mismatch]
    print(slope)


def case_loss_with_a_weight_penalty_of_the_other_layer_shape() -> None:
    # An L2 penalty scaled per weight, with scales made for w2's shape.
    x, y = tp.normal(BATCH, IN, rng=2), tp.normal(BATCH, rng=3)
    scale = tp.ones(OUT, HIDDEN)

    def loss(p: BVar[Net]) -> BVar[float]:
        penalty = ops.sum(p.view(lambda q: q.w1) ** 2 * scale)  # E: Dimension mismatch in operator "*": axes do not broadcast: 10 (left operand, axis 1) vs 64 (right operand, axis 1)  [dim-mismatch]
        return mse(predict(p, x), y) + 1e-4 * penalty

    tp.grad(loss, init_net())


def case_predictions_compared_with_the_inputs() -> None:
    # An autoencoder habit: the loss compares the predictions with x instead of y.
    net = init_net()
    x = tp.normal(BATCH, IN, rng=2)
    value = tp.evaluate(lambda p: ops.mean_squared_error(predict(p, x), x), net)  # E: Rank mismatch in call to "mean_squared_error": argument "target" of shape (32, 10) does not match argument "pred" of shape (32,)  [rank-mismatch]
    print(value)


def case_residuals_of_train_predictions_against_test_targets() -> None:
    # The residuals of the 400 training predictions against the 100 test targets.
    net = init_net()
    x_train = tp.normal(N, IN, rng=2)
    y_test = tp.normal(100, rng=3)
    pred = tp.evaluate(lambda p: predict(p, x_train), net)
    residuals = pred - y_test  # E: Dimension mismatch in operator "-": axes do not broadcast: 400 (left operand, axis 0) vs 100 (right operand, axis 0)  [dim-mismatch]
    print(residuals)


def case_gradient_accumulator_for_the_other_hidden_size() -> None:
    # Gradients summed over minibatches into a buffer made for OTHER_HIDDEN (32) units.
    net = init_net()
    x, y = tp.normal(BATCH, IN, rng=2), tp.normal(BATCH, rng=3)
    acc = tp.zeros(OTHER_HIDDEN, IN)
    g = tp.grad(lambda p: mse(predict(p, x), y), net)
    acc = acc + g.w1  # E: Dimension mismatch in operator "+": axes do not broadcast: 32 (left operand, axis 0) vs 64 (right operand, axis 0)  [dim-mismatch]
    print(acc)
