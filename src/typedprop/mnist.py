"""The seed's MNIST program: a classifier of handwritten digits, and the `typedprop-mnist` command.

Haskell backprop's tutorial trains a network with two logistic hidden layers of 300 and 100
units and a softmax output of 10 on MNIST, by per-sample gradient descent with learning rate
0.02. This module is that program in typedprop: `examples/mnist.py` walks through it as a
tutorial. The parameters are a typed structure of three layers, so the gradient of the loss has
exactly the type `Network`, and the optimizer is typed by it too:

```
Network(hidden1=Layer(w: (300, 784), b: (300,)),
        hidden2=Layer(w: (100, 300), b: (100,)),
        output=Layer(w: (10, 100), b: (10,)))
```

Run `typedprop-mnist` for the built-in 8x8 digits (no download), or `typedprop-mnist --data DIR`
for MNIST's IDX files in DIR. `typedprop-mnist --help` lists the options.

!!! example
    ```python
    >>> import numpy as np
    >>> import typedprop as tp
    >>> from typedprop import mnist
    >>> net = mnist.init_network((64, 30, 20, 10), seed=0)
    >>> x, y = np.random.default_rng(0).uniform(size=64), 3
    >>> g = tp.grad(lambda n: mnist.loss(n, x, y), net)
    >>> type(g) is mnist.Network and g.hidden1.w.shape == (30, 64)
    True
    ```
"""

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final, NamedTuple

import numpy as np
from jaxtyping import Float, Int

# The program sits above the library: it uses typedprop through its public door only.
from . import (
    Array,
    BVar,
    Mat,
    Vec,
    backprop,
    checks,
    evaluate,
    normal,
    ops,
    optim,
    shapecheck,
    trace,
    zeros,
)
from .data import Split, load_digits, load_mnist

__all__ = [
    "DIGITS",
    "HIDDEN1",
    "HIDDEN2",
    "PIXELS",
    "Layer",
    "Network",
    "accuracy",
    "init_network",
    "load_network",
    "logits",
    "loss",
    "main",
    "predict",
    "save_network",
    "train",
]


PIXELS: Final = 784
"""The inputs of the seed's network: MNIST's 28 x 28 pictures, one pixel per input."""
HIDDEN1: Final = 300
HIDDEN2: Final = 100
"""The seed's hidden layer sizes (`typedprop-mnist --hidden H1 H2` chooses others)."""
DIGITS: Final = 10
"""The outputs: one score per digit."""


@shapecheck
class Layer(NamedTuple):
    """One dense layer: `w @ x + b`, with `out` units from `in` inputs.

    Building one checks that `b` has one entry per row of `w`, at run time and, where the
    sizes are known statically (`Final` constants, `typedprop.normal`), with
    `typedprop.mypy_plugin` in mypy:

    !!! example
        ```python
        >>> import typedprop as tp
        >>> from typedprop.mnist import HIDDEN1, HIDDEN2, PIXELS, Layer
        >>> layer = Layer(tp.normal(HIDDEN1, PIXELS, rng=0), tp.zeros(HIDDEN1))
        >>> try:
        ...     Layer(layer.w, tp.zeros(HIDDEN2))
        ... except tp.CheckError as e:
        ...     print(str(e).split(" (dimension ")[1])
        out: 100 (argument 'b', axis 0) vs 300 (argument 'w', axis 0))
        ```
    """

    w: Float[Mat, "out in"]
    b: Float[Vec, " out"]


class Network(NamedTuple):
    """The seed's network: two logistic hidden layers and a softmax output layer."""

    hidden1: Layer
    hidden2: Layer
    output: Layer


def init_network(sizes: tuple[int, int, int, int], seed: int = 0) -> Network:
    """A network with layer sizes `(inputs, hidden1, hidden2, outputs)`, weights drawn from a
    normal distribution scaled by `1 / sqrt(inputs of the layer)`, biases zero.

    !!! example
        ```python
        >>> from typedprop import mnist
        >>> net = mnist.init_network((784, 300, 100, 10))
        >>> [layer.w.shape for layer in net]
        [(300, 784), (100, 300), (10, 100)]
        ```
    """
    rng = np.random.default_rng(seed)

    def layer(n_in: int, n_out: int) -> Layer:
        return Layer(normal(n_out, n_in, scale=1.0 / np.sqrt(n_in), rng=rng), zeros(n_out))

    n_in, h1, h2, n_out = sizes
    return Network(layer(n_in, h1), layer(h1, h2), layer(h2, n_out))


def _dense(layer: BVar[Layer], x: BVar[Array] | Array) -> BVar[Array]:
    """`w @ x + b` for one sample (a vector), `x @ w.T + b` for a batch (one sample per row)."""
    w, b = layer.unpack()
    return ops.linear(w, x, b)


def logits(net: BVar[Network], x: Array) -> BVar[Array]:
    """The network's output scores (before the softmax) for one sample `x` (a vector of pixels)
    or a batch of samples (one per row).

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import mnist
        >>> net = mnist.init_network((64, 30, 20, 10))
        >>> tp.evaluate(lambda n: mnist.logits(n, np.zeros((5, 64))), net).shape
        (5, 10)
        ```
    """
    hidden1, hidden2, output = net.unpack()
    h = ops.logistic(_dense(hidden1, x))
    h = ops.logistic(_dense(hidden2, h))
    return _dense(output, h)


def loss(net: BVar[Network], x: Array, y: int | Int[np.ndarray, " batch"]) -> BVar[float]:
    """The softmax cross-entropy of the network's scores for `x` against the labels `y` (the mean
    over a batch).

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import mnist
        >>> net = mnist.init_network((64, 30, 20, 10))
        >>> round(float(tp.evaluate(lambda n: mnist.loss(n, np.zeros(64), 3), net)), 3)
        2.252
        ```
    """
    return ops.softmax_cross_entropy_with_integer_labels(logits(net, x), y)


def predict(net: Network, x: Array) -> Int[np.ndarray, " batch"]:
    """The most likely digit for each row of `x`.

    !!! example
        ```python
        >>> import numpy as np
        >>> from typedprop import mnist
        >>> mnist.predict(mnist.init_network((64, 30, 20, 10)), np.zeros((2, 64))).shape
        (2,)
        ```
    """
    scores = evaluate(lambda n: logits(n, np.atleast_2d(x)), net)
    labels: Int[np.ndarray, " batch"] = np.argmax(scores, axis=-1)
    return labels


def accuracy(net: Network, x: Array, y: Int[np.ndarray, " batch"]) -> float:
    """The fraction of rows of `x` whose predicted digit is the label in `y`.

    !!! example
        ```python
        >>> import numpy as np
        >>> from typedprop import mnist
        >>> net = mnist.init_network((64, 30, 20, 10))
        >>> 0.0 <= mnist.accuracy(net, np.zeros((4, 64)), np.array([0, 1, 2, 3])) <= 1.0
        True
        ```
    """
    return float(np.mean(predict(net, x) == y))


class History(NamedTuple):
    """What training saw: the mean training loss of each epoch, and the accuracy on the
    training part and on the held-out part after it."""

    train_loss: list[float]
    train_accuracy: list[float]
    test_accuracy: list[float]


def train(
    net: Network,
    split: Split,
    *,
    optimizer: str = "sgd",
    epochs: int = 10,
    lr: float | None = None,
    batch_size: int = 1,
    seed: int = 0,
    progress: bool = False,
) -> tuple[Network, History]:
    """Train `net` on `split`'s training part; returns the trained network and the history.

    `optimizer` is `"sgd"` (the seed's: plain gradient descent, one sample at a time by
    default, learning rate 0.02) or `"adam"` (mini-batches of `batch_size`, learning rate
    0.001). With `progress`, a progress bar shows the running loss.

    One sample at a time, the loss is recorded once per label by `typedprop.trace`, with the
    sample as data, and replayed at each step: the same arithmetic as `typedprop.backprop`,
    without running `loss`'s Python code again. Mini-batches use `typedprop.backprop`, since a
    batch's labels, integer data, would make a record per batch.

    !!! example
        ```python
        >>> from typedprop import data, mnist
        >>> split = data.load_digits(seed=0)
        >>> net = mnist.init_network((64, 30, 20, 10))
        >>> net, history = mnist.train(net, split, optimizer="adam", batch_size=16, lr=0.01,
        ...                            epochs=2)
        >>> history.test_accuracy[-1] > 0.8
        True
        ```
    """
    if optimizer not in ("sgd", "adam"):
        raise ValueError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}")
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be at least 1, got {epochs}, {batch_size}")
    rate = lr if lr is not None else (0.02 if optimizer == "sgd" else 1e-3)
    opt: optim.Optimizer[Network] = (
        optim.SGD(net, lr=rate) if optimizer == "sgd" else optim.Adam(net, lr=rate)
    )
    x, y = split.train_x, split.train_y
    rng = np.random.default_rng(seed)
    graph = trace(loss, net, x[0], int(y[0])) if batch_size == 1 else None
    history = History([], [], [])
    for epoch in range(epochs):
        order = rng.permutation(len(y))
        batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
        losses: list[float] = []
        bar = _progress(len(batches), f"epoch {epoch + 1}/{epochs}", progress)
        for k, rows in enumerate(batches):
            if graph is not None:
                value, g = graph.backprop(net, x[rows[0]], int(y[rows[0]]))
            else:
                xb, yb = x[rows], y[rows]
                value, g = backprop(lambda n: loss(n, xb, yb), net)  # noqa: B023  # called here
            net = opt.step(net, g)
            losses.append(float(value))
            if bar is not None and (k % 50 == 0 or k == len(batches) - 1):
                bar.set_postfix(loss=f"{np.mean(losses[-500:]):.3f}")
                bar.update(k + 1 - bar.n)
        if bar is not None:
            bar.close()
        history.train_loss.append(float(np.mean(losses)))
        history.train_accuracy.append(accuracy(net, x, y))
        history.test_accuracy.append(accuracy(net, split.test_x, split.test_y))
        if progress:
            print(f"epoch {epoch + 1}: held-out accuracy {history.test_accuracy[-1]:.4f}")
    return net, history


def _progress(total: int, description: str, enabled: bool) -> Any:
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # the examples extra is not installed: no bar
        return None
    return tqdm(total=total, desc=description, leave=False, mininterval=0.5)


def save_network(net: Network, path: str | Path) -> None:
    """Save `net` with numpy's `savez` (arrays only, no pickle), one array per parameter.

    !!! example
        ```python
        >>> import tempfile, pathlib
        >>> from typedprop import mnist
        >>> net = mnist.init_network((64, 30, 20, 10))
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "net.npz"
        >>> mnist.save_network(net, path)
        >>> mnist.load_network(path).output.w.shape
        (10, 20)
        ```
    """
    arrays = {f"{name}.{part}": getattr(getattr(net, name), part) for name, part in _PARTS}
    np.savez(path, **arrays)


_PARTS = [(name, part) for name in Network._fields for part in Layer._fields]


def load_network(path: str | Path) -> Network:
    """A network saved by `save_network`; raises ValueError if the file lacks a parameter or the
    layers' shapes do not fit together."""
    with np.load(path, allow_pickle=False) as saved:
        missing = [f"{n}.{p}" for n, p in _PARTS if f"{n}.{p}" not in saved.files]
        if missing:
            raise ValueError(f"{path}: not a saved network: missing {', '.join(missing)}")
        # `_make`: the shapes are checked below, with or without runtime checks.
        layers = [Layer._make((saved[f"{n}.w"], saved[f"{n}.b"])) for n in Network._fields]
    for i, layer in enumerate(layers):
        if layer.w.ndim != 2 or layer.b.shape != layer.w.shape[:1]:
            raise ValueError(
                f"{path}: layer {Network._fields[i]} has w of shape {layer.w.shape} and b of "
                f"shape {layer.b.shape}"
            )
        if i and layer.w.shape[1] != layers[i - 1].w.shape[0]:
            raise ValueError(
                f"{path}: layer {Network._fields[i]} takes {layer.w.shape[1]} inputs, but the "
                f"layer before has {layers[i - 1].w.shape[0]} outputs"
            )
    return Network(*layers)


def _plot(history: History, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = range(1, len(history.train_loss) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.plot(epochs, history.train_loss, marker="o")
    left.set(xlabel="epoch", ylabel="mean training loss", title="loss")
    right.plot(epochs, history.train_accuracy, marker="o", label="training")
    right.plot(epochs, history.test_accuracy, marker="o", label="held out")
    right.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    right.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="typedprop-mnist",
        description="Train the seed's MNIST network (two logistic hidden layers of 300 and 100 "
        "units, softmax output) with typedprop.",
    )
    p.add_argument(
        "--data", type=Path, help="a folder of MNIST IDX files (default: the built-in 8x8 digits)"
    )
    p.add_argument(
        "--optimizer",
        choices=["sgd", "adam"],
        default="sgd",
        help="per-sample SGD (the seed's) or Adam on mini-batches",
    )
    p.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="passes over the training data (default: 30 for sgd, 15 for adam)",
    )
    p.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="samples per step (default: 1 for sgd, 32 for adam)",
    )
    p.add_argument(
        "--lr",
        type=float,
        default=None,
        help="learning rate (default: 0.02 for sgd, 0.001 for adam)",
    )
    p.add_argument(
        "--seed", type=int, default=0, help="seed for the weights, the split and the order"
    )
    p.add_argument(
        "--hidden",
        type=int,
        nargs=2,
        default=[HIDDEN1, HIDDEN2],
        metavar=("H1", "H2"),
        help="hidden layer sizes",
    )
    p.add_argument(
        "--train-size",
        type=int,
        default=8000,
        help="with --data: images to train on; the rest are held out",
    )
    p.add_argument(
        "--no-checks",
        action="store_true",
        help="switch off the runtime shape checks (on by default)",
    )
    p.add_argument(
        "--plot",
        type=Path,
        default=Path("mnist-training.png"),
        help="where to write the training curves (PNG)",
    )
    p.add_argument(
        "--save",
        type=Path,
        default=Path("mnist-network.npz"),
        help="where to save the trained parameters (npz)",
    )
    p.add_argument("--load", type=Path, help="start from parameters saved by an earlier run")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def main(argv: Sequence[str] | None = None) -> float:
    """The `typedprop-mnist` command: train, report, plot and save. Returns the final held-out
    accuracy."""
    args = _parser().parse_args(argv)
    split = load_mnist(args.data, args.train_size) if args.data else load_digits(args.seed)
    sizes = (split.train_x.shape[1], args.hidden[0], args.hidden[1], DIGITS)
    net = load_network(args.load) if args.load else init_network(sizes, args.seed)
    if net.hidden1.w.shape[1] != sizes[0]:
        raise SystemExit(
            f"{args.load} takes {net.hidden1.w.shape[1]} inputs; the data has {sizes[0]}"
        )
    sgd = args.optimizer == "sgd"
    epochs = args.epochs if args.epochs is not None else (30 if sgd else 15)
    batch = args.batch_size if args.batch_size is not None else (1 if sgd else 32)
    source = str(args.data) if args.data else "the built-in 8x8 digits (scikit-learn)"
    print(
        f"data: {source}: {len(split.train_y)} training, {len(split.test_y)} held out; network "
        f"{'-'.join(map(str, sizes))}; {args.optimizer}, {epochs} epochs, batch {batch}; "
        f"runtime checks {'off' if args.no_checks else 'on'}"
    )
    start = time.perf_counter()
    with checks(not args.no_checks):
        net, history = train(
            net,
            split,
            optimizer=args.optimizer,
            epochs=epochs,
            lr=args.lr,
            batch_size=batch,
            seed=args.seed,
            progress=not args.quiet,
        )
    seconds = time.perf_counter() - start
    final = history.test_accuracy[-1]
    print(f"held-out accuracy {final:.4f} after {epochs} epochs in {seconds:.1f} s")
    _plot(history, args.plot)
    save_network(net, args.save)
    print(f"training curves: {args.plot}; parameters: {args.save}")
    return final


def _cli() -> None:
    main(sys.argv[1:])
