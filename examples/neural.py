"""A network built from a list of sizes, its parameters one typed, heterogeneous structure.

Haskell backprop's `backprop-neuraltest` builds networks whose layers are a type-level list,
so that the compiler knows every layer's shape. Python cannot put sizes in types, but the
*structure* of the parameters can still be exact, and typedprop keeps it exact through
differentiation:

    @tp.shapecheck
    @dataclass(frozen=True)
    class Hidden:              # a tanh layer
        w: Float[Mat, "out in"]
        b: Float[Vec, " out"]

    @tp.shapecheck
    @dataclass(frozen=True)
    class Readout:             # the last layer: one linear output per sample
        w: Float[Vec, " in"]
        b: float

    @dataclass(frozen=True)
    class Network:
        hidden: list[Hidden]   # as many as the sizes ask for
        readout: Readout

The layers are not all of one type: the hidden layers hold a matrix and a vector, the readout
a vector and a float, because a network with one output gives one number per sample. mypy knows
each field's rank; the jaxtyping strings name the dimensions, and `tp.shapecheck` checks them
whenever a layer is built (`out` is one size across `w` and `b`), at run time and, where the
sizes are known statically, in mypy with `typedprop.mypy_plugin`. Here the sizes come from a
list chosen at run time, so the runtime check is the one that sees them.

`tp.grad(loss, net)` is a `Network` again: a list of `Hidden` gradients of the same length and
shapes, and a `Readout` gradient whose `b` is a Python float. mypy proves it (`grads.readout.b`
is a `float`), and `typedprop.optim.Adam`, typed by the same structure, takes such parameters
and gradients and returns new parameters of the type.

Inside the loss, `net.view(lambda n: n.hidden)` is the list of hidden layers as a
`BVar[list[Hidden]]`, and `tp.sequence` turns it into a Python list of `BVar[Hidden]`s to loop
over; gradients flow back through both into the right places of the `Network`.

Run it: `python examples/neural.py` fits `sin(x) cos(y)` on [-pi, pi]^2 with a 2-16-16-1 network
and prints the mean squared error falling.
"""

from dataclasses import dataclass

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import Array, BVar, Mat, Vec, ops, optim


@tp.shapecheck
@dataclass(frozen=True)
class Hidden:
    """A hidden layer: `tanh(x @ w.T + b)` for a batch `x` of samples in rows."""

    w: Float[Mat, "out in"]
    b: Float[Vec, " out"]


@tp.shapecheck
@dataclass(frozen=True)
class Readout:
    """The output layer: one number per sample, `x @ w + b`, no activation (regression)."""

    w: Float[Vec, " in"]
    b: float


@dataclass(frozen=True)
class Network:
    """Hidden layers, of sizes chosen at run time, then the readout."""

    hidden: list[Hidden]
    readout: Readout


def make_network(sizes: list[int], seed: int = 0) -> Network:
    """A network with `sizes[0]` inputs, a tanh layer for each of `sizes[1:-1]`, and one
    output (`sizes[-1]` must be 1). Weights are drawn with variance 1/fan-in, so that tanh
    starts in its linear range; biases start at zero."""
    if len(sizes) < 2 or sizes[-1] != 1:
        raise ValueError(f"sizes must be [inputs, hidden..., 1], got {sizes}")
    rng = np.random.default_rng(seed)
    hidden = [
        Hidden(w=tp.normal(n_out, n_in, scale=1.0 / np.sqrt(n_in), rng=rng), b=tp.zeros(n_out))
        for n_in, n_out in zip(sizes[:-2], sizes[1:-1], strict=True)
    ]
    n_last = sizes[-2]
    return Network(
        hidden, Readout(w=tp.normal(n_last, scale=1.0 / np.sqrt(n_last), rng=rng), b=0.0)
    )


def predict(net: BVar[Network], x: Float[Array, "batch in"]) -> BVar[Vec]:
    """The network's output for each row of `x` (the data: a constant, no gradient)."""
    h: BVar[Array] | Array = x
    for layer in tp.sequence(net.view(lambda n: n.hidden)):
        # `ops.linear` is the dense layer `h @ w.T + b` as one op, which skips the gradient
        # of the data in the first layer.
        h = ops.tanh(ops.linear(layer.view(lambda m: m.w), h, layer.view(lambda m: m.b)))
    readout = net.view(lambda n: n.readout)
    out: BVar[Vec] = h @ readout.view(lambda r: r.w) + readout.view(lambda r: r.b)
    return out


@tp.shapecheck
def loss(net: BVar[Network], x: Float[Array, "batch in"], y: Float[Vec, " batch"]) -> BVar[float]:
    """The mean squared error of the network on the samples `x` with targets `y`."""
    return ops.mean_squared_error(predict(net, x), y)


def make_data(n: int, seed: int = 0) -> tuple[Mat, Vec]:
    """`n` points drawn uniformly from [-pi, pi]^2, and `sin(x) cos(y)` at each."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-np.pi, np.pi, (n, 2))
    return x, np.sin(x[:, 0]) * np.cos(x[:, 1])


def train(
    net: Network, x: Mat, y: Vec, steps: int, lr: float, report_every: int = 0
) -> tuple[Network, list[float]]:
    """Full-batch Adam; returns the trained network and the loss before each step."""
    opt = optim.Adam(net, lr=lr)  # an Adam[Network]: step takes and gives Networks
    losses: list[float] = []
    for step in range(steps):
        value, grads = tp.backprop(lambda n: loss(n, x, y), net)  # grads: Network
        losses.append(float(value))
        net = opt.step(net, grads)
        if report_every and step % report_every == 0:
            print(f"step {step:4d}  mean squared error {value:.4f}")
    return net, losses


def main(
    sizes: tuple[int, ...] = (2, 16, 16, 1),
    samples: int = 200,
    steps: int = 600,
    lr: float = 0.01,
    seed: int = 0,
) -> list[float]:
    """Fit `sin(x) cos(y)` with a network of the given sizes; returns the loss before each
    step, then the final loss."""
    x, y = make_data(samples, seed)
    net = make_network(list(sizes), seed)
    print(f"network {list(sizes)}: {len(net.hidden)} tanh layers and a linear readout")
    net, losses = train(net, x, y, steps, lr, report_every=max(1, steps // 8))
    final = float(tp.evaluate(lambda n: loss(n, x, y), net))
    losses.append(final)
    print(f"final      mean squared error {final:.4f}  (the targets' variance: {np.var(y):.4f})")
    # `evaluate` runs the same loss with no tape: the error on points the fit never saw.
    x_new, y_new = make_data(samples, seed + 1)
    held_out = float(tp.evaluate(lambda n: loss(n, x_new, y_new), net))
    print(f"held out   mean squared error {held_out:.4f}")
    return losses


if __name__ == "__main__":
    main()
