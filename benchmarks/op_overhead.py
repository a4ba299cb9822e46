"""The cost of one op call, with the runtime checks on and off.

Prints, for each case, the median time per op call in microseconds over interleaved rounds (all
contenders timed in turn within each round, in rotating order), next to the bare numpy or
Python work the op wraps. Ratios between rows of one run are what to compare: absolute times
move by 1.5x between runs on shared machines (see BENCH-NOTES).

Cases:
- `matvec` on plain 10x10 and 10 arrays: an `Op` subclass with jaxtyping hints, called outside
  any backprop (forward only; the jaxtyping layer checks inputs and output).
- `matvec` in backprop: one recorded node, forward and backward (the jaxtyping layer checks the
  gradients too), as the mean over a chain of 50 calls.
- `x * c` on Python floats in backprop: the arithmetic ops carry no jaxtyping hints, so this is
  the engine's own overhead per node, over a chain of 200 multiplications.

Run: `python benchmarks/op_overhead.py [--rounds N]`.
"""

import argparse
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import BVar, Mat, Vec


class MatVec(tp.Op[Float[Mat, "m n"], Float[Vec, " n"], Float[Vec, " m"]]):
    name = "matvec"

    def forward(self, w: Mat, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Mat, Vec]]]:
        return w @ x, lambda g: (np.outer(g, x), w.T @ g)


matvec = MatVec()
rng = np.random.default_rng(0)
W = rng.normal(size=(10, 10)) / 10
X = rng.normal(size=10)
CHAIN_VEC = 50
CHAIN_SCALAR = 200


def bare_matvec() -> None:
    for _ in range(CHAIN_VEC):
        W @ X


def op_matvec() -> None:
    for _ in range(CHAIN_VEC):
        matvec(W, X)


def bare_matvec_grad() -> None:
    # Hand-written forward and backward of the same chain: x_{k+1} = W x_k.
    xs = [X]
    for _ in range(CHAIN_VEC):
        xs.append(W @ xs[-1])
    g = np.ones(10)
    gw = np.zeros_like(W)
    for k in range(CHAIN_VEC - 1, -1, -1):
        gw += np.outer(g, xs[k])
        g = W.T @ g


def _chain_vec(w: BVar[Mat]) -> BVar[float]:
    x: BVar[Vec] | Vec = X
    for _ in range(CHAIN_VEC):
        x = matvec(w, x)
    assert isinstance(x, BVar)
    return x @ np.ones(10)


def op_matvec_grad() -> None:
    tp.grad(_chain_vec, W)


def bare_scalar_grad() -> None:
    x, c = 1.0, 1.0000001
    vals = [x]
    for _ in range(CHAIN_SCALAR):
        vals.append(vals[-1] * c)
    g = 1.0
    for _ in range(CHAIN_SCALAR):
        g = g * c


def _chain_scalar(x: BVar[float]) -> BVar[float]:
    for _ in range(CHAIN_SCALAR):
        x = x * 1.0000001
    return x


def op_scalar_grad() -> None:
    tp.grad(_chain_scalar, 1.0)


def checked(fn: Callable[[], None], on: bool) -> Callable[[], None]:
    def run() -> None:
        with tp.checks(on):
            fn()

    return run


CASES: list[tuple[str, int, Callable[[], None]]] = [
    ("numpy W @ x", CHAIN_VEC, bare_matvec),
    ("matvec(W, x), checks on", CHAIN_VEC, checked(op_matvec, True)),
    ("matvec(W, x), checks off", CHAIN_VEC, checked(op_matvec, False)),
    ("hand-written matvec chain, fwd+bwd", CHAIN_VEC, bare_matvec_grad),
    ("matvec chain in backprop, checks on", CHAIN_VEC, checked(op_matvec_grad, True)),
    ("matvec chain in backprop, checks off", CHAIN_VEC, checked(op_matvec_grad, False)),
    ("hand-written float chain, fwd+bwd", CHAIN_SCALAR, bare_scalar_grad),
    ("x * c chain in backprop, checks on", CHAIN_SCALAR, checked(op_scalar_grad, True)),
    ("x * c chain in backprop, checks off", CHAIN_SCALAR, checked(op_scalar_grad, False)),
]


def time_block(fn: Callable[[], None], seconds: float = 0.05) -> float:
    """Seconds per call of `fn`, over a block of about `seconds`."""
    n, start = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return elapsed / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    for _, _, fn in CASES:  # warm up
        fn()
    samples: dict[str, list[float]] = {name: [] for name, _, _ in CASES}
    for r in range(args.rounds):
        order = CASES[r % len(CASES) :] + CASES[: r % len(CASES)]
        for name, calls, fn in order:
            samples[name].append(time_block(fn) / calls * 1e6)
    print(f"typedprop {tp.__version__}, numpy {np.__version__}, Python {platform.python_version()}")
    print(f"{platform.machine()}, {args.rounds} interleaved rounds, median us per op call\n")
    print(f"{'case':42} {'us/op':>8}")
    for name, _, _ in CASES:
        print(f"{name:42} {statistics.median(samples[name]):8.2f}")


if __name__ == "__main__":
    main()
