"""MNIST with typedprop: a tutorial in the style of Haskell backprop's literate MNIST demo.

Run it with `python examples/mnist.py`: it builds the seed's network, shows what mypy and the
runtime checks catch, and trains for a few epochs on the 8x8 digits that scikit-learn bundles.
The full program, with MNIST's own files, options, a progress bar, a plot and saved parameters,
is the `typedprop-mnist` command; its code is `src/typedprop/mnist.py`, which this tutorial
reads along with you.

## 1. The types

A layer is two arrays, and the network is three layers:

    class Layer(NamedTuple):
        w: Float[Mat, "out in"]
        b: Float[Vec, " out"]

    class Network(NamedTuple):
        hidden1: Layer
        hidden2: Layer
        output: Layer

`Mat` and `Vec` are numpy's typed arrays (`ndarray[tuple[int, int], dtype[floating]]` and the
1-D one), so mypy knows each field's rank and that it holds floats. The jaxtyping strings
("out in") name the dimensions for the runtime checks. `Network` is a plain NamedTuple: nothing
in it knows about differentiation. typedprop differentiates with respect to any such structure
and gives the gradient back as the same structure, so `grad(loss, net)` is a `Network` with a
gradient in each field, and mypy knows it.

## 2. The model

    def _dense(layer: BVar[Layer], x: BVar[Array] | Array) -> BVar[Array]:
        w, b = layer.unpack()
        return ops.linear(w, x, b)

    def logits(net: BVar[Network], x: Array) -> BVar[Array]:
        hidden1, hidden2, output = net.unpack()
        h = ops.logistic(_dense(hidden1, x))
        h = ops.logistic(_dense(hidden2, h))
        return _dense(output, h)

    def loss(net: BVar[Network], x: Array, y: int | Int[np.ndarray, " batch"]) -> BVar[float]:
        return ops.softmax_cross_entropy_with_integer_labels(logits(net, x), y)

A `BVar[Network]` is the network being differentiated. `unpack` takes a NamedTuple apart into
one BVar per field, typed: `hidden1` is a `BVar[Layer]`, and `w` a `BVar[Mat]`. The ops of
`typedprop.ops` read like numpy and each carries its gradient; `ops.linear(w, x, b)` is the dense
layer `w @ x + b` (or `x @ w.T + b` for a batch of rows), one op that skips the gradient of the
data `x`, which nobody needs. The same code runs on one sample (a vector of pixels) and on a
batch (a matrix, one sample per row).

## 3. What mypy catches

Three mistakes, and what `mypy --strict` says about them, pasted from a run:

    g = tp.grad(lambda n: mnist.loss(n, x, y), net)
    net = opt.step(net, g.hidden1)
    # error: Argument 2 to "step" of "Optimizer" has incompatible type "Layer"; expected "Network"  [arg-type]

    bad = Layer(np.zeros(10), np.zeros((10, 100)))
    # error: Argument 1 to "Layer" has incompatible type "ndarray[tuple[int], dtype[float64]]"; expected "ndarray[tuple[int, int], dtype[floating[Any]]]"  [arg-type]

    def loss(layer: tp.BVar[Layer]) -> tp.BVar[float]:
        return mnist.loss(layer, x, y)
    # error: Argument 1 to "loss" has incompatible type "BVar[Layer]"; expected "BVar[Network]"  [arg-type]

The optimizer is made for one parameter structure (`optim.SGD(net, lr=0.02)` is an
`SGD[Network]`), so gradients of another structure are refused before the program runs.

With `typedprop.mypy_plugin` on (this repository's `mypy.ini` has it), mypy checks sizes too,
wherever it knows them. `Layer` is decorated with `typedprop.shapecheck`, so building one binds
`out` across `w` and `b`; the seed's sizes are `Final` constants of `typedprop.mnist`, and
`typedprop.normal` and `typedprop.zeros` give arrays of those sizes:

    first = mnist.Layer(tp.normal(HIDDEN1, PIXELS, rng=seed), tp.zeros(HIDDEN2))
    # error: Dimension mismatch in call to "Layer": dimension out: 100 (argument "b", axis 0) vs 300 (argument "w", axis 0)  [dim-mismatch]

## 4. What the runtime catches

The pictures' size comes with the data, at run time, where mypy cannot see it. A picture of
the wrong size is caught when it reaches the first layer, with the dimension named (section 4
of `main` below shows it live):

    linear: argument 'x' has shape (65,) and dtype float64, which does not fit
    Float[ndarray, '*batch in'] (dimension in: 65 (argument 'x', axis 0) vs 64 (argument 'w', axis 1))

## 5. Training

The seed trains one sample at a time with gradient descent at a learning rate of 0.02:

    opt = optim.SGD(net, lr=0.02)
    for x, y in samples:
        net = opt.step(net, tp.grad(lambda n: mnist.loss(n, x, y), net))

`mnist.train` does that for each epoch in a shuffled order (or mini-batches with Adam), and
`mnist.accuracy` measures the held-out part. `typedprop-mnist` with its defaults trains 30
epochs on the built-in digits; the README records its accuracy and time.
"""

import numpy as np

import typedprop as tp
from typedprop import data, mnist
from typedprop.mnist import HIDDEN1, PIXELS


def main(epochs: int = 3, hidden: tuple[int, int] = (100, 50), seed: int = 0) -> float:
    """Walk through the tutorial's steps; returns the held-out accuracy after training."""
    split = data.load_digits(seed=seed)
    n_pixels = split.train_x.shape[1]

    # 1. The types: a network, and a gradient of exactly its type.
    net = mnist.init_network((n_pixels, *hidden, 10), seed=seed)
    x, y = split.train_x[0], int(split.train_y[0])
    g = tp.grad(lambda n: mnist.loss(n, x, y), net)
    assert type(g) is mnist.Network and type(g.hidden1) is mnist.Layer
    print("the gradient is a", type(g).__name__, "of", [type(layer).__name__ for layer in g])
    print("its shapes:", [(layer.w.shape, layer.b.shape) for layer in g])

    # 2. The model: one sample or a batch, through the same code.
    print("scores for one sample:", tp.evaluate(lambda n: mnist.logits(n, x), net).shape)
    batch = split.train_x[:5]
    print("scores for a batch of 5:", tp.evaluate(lambda n: mnist.logits(n, batch), net).shape)

    # 3. Static sizes: mypy (with the plugin) checks that this layer's bias fits its weights.
    first = mnist.Layer(tp.normal(HIDDEN1, PIXELS, rng=seed), tp.zeros(HIDDEN1))
    print("a first layer for MNIST's pictures:", first.w.shape, first.b.shape)

    # 4. The runtime checks: a picture with one pixel too many.
    try:
        tp.grad(lambda n: mnist.loss(n, np.zeros(n_pixels + 1), 3), net)
    except tp.CheckError as e:
        print("caught:", e)

    # 5. Training, the seed's way: per-sample SGD at 0.02.
    before = mnist.accuracy(net, split.test_x, split.test_y)
    net, history = mnist.train(net, split, optimizer="sgd", epochs=epochs, seed=seed)
    after = history.test_accuracy[-1]
    print(f"held-out accuracy: {before:.3f} before training, {after:.3f} after {epochs} epochs")
    return after


if __name__ == "__main__":
    main()
