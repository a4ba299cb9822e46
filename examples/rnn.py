"""A recurrent network over a sequence given as a Python list, and gradients for the whole list.

An Elman network reads a sequence of numbers `x_1 .. x_T` one at a time, keeping a state

    h_t = tanh(W h_{t-1} + u x_t + b),    h_0 = 0,

and after each step predicts the next number, `y_t = v . h_t + c`. The loop over the sequence is
`tp.scan(step, h_0, xs)`, typed like `jax.lax.scan`: `step(h, x) -> (h, y)` is recorded once, then
run for every step, and each weight's gradient is one product over all steps. Its parameters are one
dataclass, `RNN`, with the shapes in jaxtyping hints (`Float[Mat, "h h"]`: W is square, of the
state's size), checked by `tp.shapecheck` whenever an `RNN` is built.

The sequence is an ordinary `list[float]`, and it is differentiated too. Haskell backprop's
`sequenceVar` and `collectVar` have their typedprop forms:

- `tp.sequence(xs)` turns a `BVar[list[float]]` into a `list[BVar[float]]`, one BVar per item,
  which `ops.stack` makes one vector for the scan. Each item's gradient flows back into its
  place in the list.
- `tp.collect(ys)` turns a list of BVars (here the predictions, one per step) back into a single
  `BVar[list[float]]`: `run` maps a sequence to a sequence, and says so in its type.

`tp.grad_n(loss, params, xs)` then gives a pair, an `RNN` and a `list[float]` of the same
length as `xs`: how much the loss depends on each parameter and on each input. mypy proves both
types. Differentiating the last prediction alone with respect to the inputs shows how far back
the network looks: its gradient is largest for the latest inputs and fades with distance, the
network's memory.

Run it: `python examples/rnn.py` trains the network with Adam to predict the next value of a
noisy sine wave, prints the loss falling and compares it with the naive forecast (tomorrow
like today), then prints how strongly the last prediction depends on each of the last inputs.
"""

from dataclasses import dataclass

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import BVar, Mat, Vec, ops, optim


@tp.shapecheck
@dataclass(frozen=True)
class RNN:
    """An Elman network with one input and one output per step."""

    w: Float[Mat, "h h"]  # state to state
    u: Float[Vec, " h"]  # input to state
    b: Float[Vec, " h"]
    v: Float[Vec, " h"]  # state to output
    c: float


def init_rnn(hidden: int, seed: int = 0) -> RNN:
    """Small random weights (W scaled by 1/sqrt(hidden), so the state neither explodes nor
    dies out over the sequence), zero biases."""
    rng = np.random.default_rng(seed)
    return RNN(
        w=tp.normal(hidden, hidden, scale=1.0 / np.sqrt(hidden), rng=rng),
        u=tp.normal(hidden, rng=rng),
        b=tp.zeros(hidden),
        v=tp.normal(hidden, scale=1.0 / np.sqrt(hidden), rng=rng),
        c=0.0,
    )


def predict(params: BVar[RNN], xs: BVar[Vec]) -> BVar[Vec]:
    """The network's output after each input of the sequence `xs`, a vector as long.

    The loop over the sequence is `tp.scan`: the step runs once to be recorded (its shapes
    checked then), and the weights' gradients are each one product over all steps."""
    w = params.view(lambda p: p.w)
    u = params.view(lambda p: p.u)
    b = params.view(lambda p: p.b)
    v = params.view(lambda p: p.v)
    c = params.view(lambda p: p.c)

    def step(h: BVar[Vec], x: BVar[float]) -> tuple[BVar[Vec], BVar[float]]:
        h = ops.tanh(ops.matvec(w, h) + u * x + b)
        return h, h @ v + c  # the next state, and this step's prediction

    _, ys = tp.scan(step, np.zeros(w.value.shape[0]), xs)
    return ys


def run(params: BVar[RNN], xs: BVar[list[float]]) -> BVar[list[float]]:
    """The network's output after each input of the sequence `xs`: a sequence as long."""
    ys = predict(params, ops.stack(tp.sequence(xs)))
    # An item of a vector is a number: `narrow` says so to mypy (and checks it).
    return tp.collect([ys[t].narrow(float) for t in range(len(xs.value))])


def loss(params: BVar[RNN], xs: BVar[list[float]], targets: Float[Vec, " t"]) -> BVar[float]:
    """The mean squared error of the predictions for `xs` against `targets`."""
    # `stack` makes the list of inputs one vector, so the loss is one op over all steps.
    predictions = predict(params, ops.stack(tp.sequence(xs)))
    return ops.mean_squared_error(predictions, targets)


def make_sequence(length: int, noise: float, phase: float = 0.0, seed: int = 0) -> list[float]:
    """`length` samples of a sine wave, 0.3 radians apart, with Gaussian noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    values = np.sin(0.3 * t + phase) + rng.normal(0.0, noise, length)
    return [float(a) for a in values]


def task(series: list[float]) -> tuple[list[float], Vec]:
    """Inputs and targets for next-value prediction: each target is the input after it."""
    return series[:-1], np.array(series[1:])


def train(
    params: RNN, xs: list[float], targets: Vec, steps: int, lr: float, report_every: int = 0
) -> tuple[RNN, list[float]]:
    """Adam on one sequence; returns the trained network and the loss before each step."""
    opt = optim.Adam(params, lr=lr)
    # The inputs are data while training: a constant gets no gradient, so none is computed.
    data = tp.constant(xs)
    losses: list[float] = []
    for step in range(steps):
        value, grads = tp.backprop(lambda p: loss(p, data, targets), params)
        losses.append(float(value))
        params = opt.step(params, grads)
        if report_every and step % report_every == 0:
            print(f"step {step:4d}  mean squared error {value:.4f}")
    return params, losses


def input_gradient(params: RNN, xs: list[float], targets: Vec) -> tuple[RNN, list[float]]:
    """The gradient of the loss with respect to the parameters and to every input."""
    return tp.grad_n(lambda p, s: loss(p, s, targets), params, xs)


def memory(params: RNN, xs: list[float]) -> list[float]:
    """The gradient of the last prediction with respect to every input: a list as long as
    `xs`, its entry t how much the prediction after the sequence moves with `x_t`."""

    def last_prediction(s: BVar[list[float]]) -> BVar[float]:
        # The parameters are held fixed here: a constant, so only the inputs get a gradient.
        return tp.sequence(run(tp.constant(params), s))[-1]

    return tp.grad(last_prediction, xs)


def main(
    length: int = 40,
    hidden: int = 8,
    noise: float = 0.05,
    steps: int = 150,
    lr: float = 0.02,
    seed: int = 0,
) -> tuple[list[float], list[float]]:
    """Train on one noisy sine sequence; returns the loss before each training step (then
    the final one) and the gradient of the final loss with respect to the inputs (a list as
    long as the inputs)."""
    xs, targets = task(make_sequence(length + 1, noise, seed=seed))
    naive = float(np.mean((targets - np.array(xs)) ** 2))
    params, losses = train(
        init_rnn(hidden, seed), xs, targets, steps, lr, report_every=max(1, steps // 6)
    )
    _, grad_xs = input_gradient(params, xs, targets)
    final = float(tp.evaluate(lambda p: loss(p, tp.constant(xs), targets), params))
    losses.append(final)
    print(
        f"final      mean squared error {final:.4f}  (the naive forecast x_t+1 = x_t: {naive:.4f})"
    )
    # The same network on a sequence it was not trained on: another phase, other noise.
    other_xs, other_targets = task(make_sequence(length + 1, noise, phase=1.0, seed=seed + 1))
    held_out = float(tp.evaluate(lambda p: loss(p, tp.constant(other_xs), other_targets), params))
    print(f"another phase: mean squared error {held_out:.4f}")
    back = memory(params, xs)[::-1]
    print("how much the last prediction depends on each input, latest first (|dy_T / dx_t|):")
    print("  " + " ".join(f"{abs(g):.3f}" for g in back[:8]) + " ...")
    return losses, grad_xs


if __name__ == "__main__":
    main()
