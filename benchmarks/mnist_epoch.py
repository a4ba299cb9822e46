"""One epoch of the seed's per-sample SGD on MNIST: typedprop against hand-written numpy.

Issue target (issue 16): one epoch over 8,000 images, runtime checks off, takes at most 1.3x the
time of a hand-written numpy forward and backward pass doing the same work. Both contenders
start from the same network and visit the samples in the same order; their parameters after
the epoch are compared first (they must agree to rounding), then the epoch is timed, the contenders
alternating, over several rounds. Prints the median seconds per epoch and the ratio.

A second hand-written row forms its outer products with `einsum`, as typedprop does for a large
one (numpy's `outer` copies its broadcast operand row by row): the ratio to the idiomatic
`np.outer` version is the target's, the einsum row shows how much of the lead is that kernel.

    python benchmarks/mnist_epoch.py [--data ../shared/data/mnist] [--rounds 3] [--samples 8000]

Without MNIST's files it runs on the built-in 8x8 digits (a smaller network input).
"""

import argparse
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

import typedprop as tp
from typedprop import data, mnist

LR = 0.02


def numpy_epoch(
    net: mnist.Network, x: np.ndarray, y: np.ndarray, order: np.ndarray, outer: Any = np.outer
) -> mnist.Network:
    """The same epoch written by hand: forward, backward and update, one sample at a time."""
    (w1, b1), (w2, b2), (w3, b3) = ((layer.w.copy(), layer.b.copy()) for layer in net)
    for i in order:
        xi, yi = x[i], y[i]
        h1 = 1.0 / (1.0 + np.exp(-(w1 @ xi + b1)))
        h2 = 1.0 / (1.0 + np.exp(-(w2 @ h1 + b2)))
        s = w3 @ h2 + b3
        p = np.exp(s - s.max())
        p /= p.sum()
        g3 = p
        g3[yi] -= 1.0
        g2 = (w3.T @ g3) * h2 * (1.0 - h2)
        g1 = (w2.T @ g2) * h1 * (1.0 - h1)
        w3 -= LR * outer(g3, h2)
        b3 -= LR * g3
        w2 -= LR * outer(g2, h1)
        b2 -= LR * g2
        w1 -= LR * outer(g1, xi)
        b1 -= LR * g1
    return mnist.Network(mnist.Layer(w1, b1), mnist.Layer(w2, b2), mnist.Layer(w3, b3))


def einsum_outer(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The outer product as typedprop forms a large one (see `ops._linalg._outer_product`):
    numpy's `outer` copies its broadcast operand row by row, einsum does not."""
    return np.einsum("i,j->ij", a, b)


def numpy_einsum_epoch(
    net: mnist.Network, x: np.ndarray, y: np.ndarray, order: np.ndarray
) -> mnist.Network:
    """The hand-written epoch with its outer products by einsum: what a hand-writer who knows
    typedprop's trick would write (a second, harder baseline)."""
    return numpy_epoch(net, x, y, order, einsum_outer)


def typedprop_epoch(
    net: mnist.Network, x: np.ndarray, y: np.ndarray, order: np.ndarray
) -> mnist.Network:
    """The epoch as `typedprop.mnist.train` runs it: the loss traced with the sample as data,
    its graph's gradient at each step, then `SGD.step`."""
    opt = tp.optim.SGD(net, lr=LR)
    graph = tp.trace(mnist.loss, net, x[0], int(y[0]))
    for i in order:
        net = opt.step(net, graph.grad(net, x[i], int(y[i])), donate=True)
    return net


def implicit_epoch(
    net: mnist.Network, x: np.ndarray, y: np.ndarray, order: np.ndarray
) -> mnist.Network:
    """The same with the implicit style: `grad` of the loss at each step, then `SGD.step`."""
    opt = tp.optim.SGD(net, lr=LR)
    for i in order:
        xi, yi = x[i], int(y[i])
        g = tp.grad(lambda n: mnist.loss(n, xi, yi), net)  # noqa: B023  # called here
        net = opt.step(net, g, donate=True)
    return net


EPOCHS = {
    "numpy": numpy_epoch,
    "numpy einsum": numpy_einsum_epoch,
    "typedprop": typedprop_epoch,
    "typedprop implicit": implicit_epoch,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mnist_dir = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
    parser.add_argument("--data", type=Path, default=mnist_dir)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--samples", type=int, default=8000)
    args = parser.parse_args()
    if args.data.exists():
        split, source = data.load_mnist(args.data), f"MNIST ({args.data})"
    else:
        split, source = data.load_digits(), "the built-in digits (MNIST not found)"
    x, y = split.train_x, split.train_y
    order = np.random.default_rng(0).permutation(len(y))[: args.samples]
    net = mnist.init_network((x.shape[1], 300, 100, 10), seed=0)

    with tp.checks(False):
        a = numpy_epoch(net, x, y, order[:200])
        worst = 0.0
        for epoch in (numpy_einsum_epoch, typedprop_epoch, implicit_epoch):
            b = epoch(net, x, y, order[:200])
            worst = max(
                worst,
                *(
                    float(np.max(np.abs(pa - pb)))
                    for la, lb in zip(a, b, strict=True)
                    for pa, pb in zip(la, lb, strict=True)
                ),
            )
    assert worst < 1e-10, f"typedprop and numpy disagree after 200 steps: {worst}"

    times: dict[str, list[float]] = {name: [] for name in EPOCHS}
    for r in range(args.rounds):
        names = list(EPOCHS) if r % 2 == 0 else list(reversed(EPOCHS))
        for name in names:
            start = time.perf_counter()
            with tp.checks(False):
                EPOCHS[name](net, x, y, order)
            times[name].append(time.perf_counter() - start)
    print(f"{platform.machine()}, numpy {np.__version__}; {source}")
    print(f"one epoch of per-sample SGD over {len(order)} images, checks off, {args.rounds} rounds")
    print()
    print("| contender | median s per epoch | ratio to numpy |")
    print("|---|---|---|")
    print(f"| hand-written numpy | {np.median(times['numpy']):.2f} | 1.00 |")
    labels = {
        "numpy einsum": "hand-written numpy, outer products by einsum",
        "typedprop": "typedprop (mnist.train: trace + optim.SGD)",
        "typedprop implicit": "typedprop implicit (grad + optim.SGD)",
    }
    for name, label in labels.items():
        ratio = np.median([t / n for t, n in zip(times[name], times["numpy"], strict=True)])
        print(f"| {label} | {np.median(times[name]):.2f} | {ratio:.2f} |")
    print(f"\nparameters after 200 steps agree to {worst:.1e}")


if __name__ == "__main__":
    main()
