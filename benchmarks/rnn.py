"""A recurrent net, hidden size 16, 1,000 steps: value and full gradient, typedprop against peers.

`h_t = tanh(W h_{t-1} + U x_t + b)` from `h_0 = 0`, with inputs `x_t` of size 8, and the loss
`sum_t v . h_t` (a fixed readout vector `v`, so every step's state gets a gradient of order
one). The parameters are `RNN(w: (16, 16), u: (16, 8), b: (16,))`, float64; one run computes
the loss and the gradient of all three.

Contenders: hand-written numpy (the baseline: the forward loop keeps the states, the backward
loop keeps the pre-activation gradients, and the weight gradients are three matrix products at
the end, with `U x_t` for all steps as one product first), hand-written numpy accumulating the
weight gradients step by step (a reference: what a tape does), typedprop (`backprop` of the
loop written with `typedprop.ops.matvec` and `tanh`) with checks on and off, typedprop traced,
HIPS autograd, mygrad, PyTorch eager (the same Python loop), JAX without jit
(the same loop, op by op) and with jit (`lax.scan` under `jit`: a compiled reference).

Issue targets (ratios to hand-written numpy, checks off): typedprop implicit <= 2.5, traced
<= 1.5.

    python benchmarks/rnn.py [--rounds 15] [--quick] [--only numpy,torch]
    python benchmarks/rnn.py --profile "typedprop implicit, checks off"

Against typedprop from an older source tree (see `_harness.py`: its own process, interleaved,
after/before per typedprop row):

    OPENBLAS_NUM_THREADS=1 taskset -c 1 python benchmarks/rnn.py --only numpy \\
        --baseline-src /tmp/before/src
"""

from typing import Any, NamedTuple

import _harness as harness
import numpy as np
from _harness import BASELINE, Case, Contender, Run, main

from typedprop import BVar, Mat, Vec, ops

HIDDEN, INPUT = 16, 8


class RNN(NamedTuple):
    w: Mat
    u: Mat
    b: Vec


class Problem(NamedTuple):
    params: RNN
    xs: np.ndarray  # (steps, INPUT)
    v: np.ndarray  # (HIDDEN,) the readout


def problem(steps: int) -> Problem:
    rng = np.random.default_rng(0)
    params = RNN(
        rng.normal(0.0, 1.0 / np.sqrt(HIDDEN), (HIDDEN, HIDDEN)),
        rng.normal(0.0, 1.0 / np.sqrt(INPUT), (HIDDEN, INPUT)),
        rng.normal(0.0, 0.1, HIDDEN),
    )
    return Problem(params, rng.normal(size=(steps, INPUT)), rng.normal(size=HIDDEN))


# --- hand-written numpy ----------------------------------------------------------------------


def numpy_run(steps: int) -> Run:
    (w, u, b), xs, v = problem(steps)

    def run() -> Any:
        hs = np.zeros((steps + 1, HIDDEN))
        ux = xs @ u.T
        for t in range(steps):
            hs[t + 1] = np.tanh(w @ hs[t] + ux[t] + b)
        value = np.sum(hs[1:] @ v)
        gs = np.empty((steps, HIDDEN))  # gradients of the pre-activations
        dh = np.zeros(HIDDEN)
        for t in range(steps - 1, -1, -1):
            h = hs[t + 1]
            da = (dh + v) * (1.0 - h * h)
            gs[t] = da
            dh = w.T @ da
        return value, (gs.T @ hs[:-1], gs.T @ xs, gs.sum(axis=0))

    return run


def numpy_stepwise_run(steps: int) -> Run:
    (w, u, b), xs, v = problem(steps)

    def run() -> Any:
        hs = [np.zeros(HIDDEN)]
        value = 0.0
        for t in range(steps):
            h = np.tanh(w @ hs[-1] + u @ xs[t] + b)
            value = value + h @ v
            hs.append(h)
        gw, gu, gb = np.zeros_like(w), np.zeros_like(u), np.zeros_like(b)
        dh = np.zeros(HIDDEN)
        for t in range(steps - 1, -1, -1):
            h = hs[t + 1]
            da = (dh + v) * (1.0 - h * h)
            gw += np.outer(da, hs[t])
            gu += np.outer(da, xs[t])
            gb += da
            dh = w.T @ da
        return value, (gw, gu, gb)

    return run


# --- typedprop -------------------------------------------------------------------------------


def typedprop_loss(xs: np.ndarray, v: np.ndarray, loop: bool = False) -> Any:
    """The loss with `typedprop.scan` (each weight's gradient one product over all steps), or
    with `loop`, a Python loop of ops (a tree before `scan` runs that one)."""
    import typedprop as tp

    def scanned(params: BVar[RNN]) -> BVar[float]:
        w, u, b = params.unpack()

        def step(h: BVar[Vec], x: BVar[Vec]) -> tuple[BVar[Vec], BVar[Vec]]:
            h = ops.tanh(ops.matvec(w, h) + ops.matvec(u, x) + b)
            return h, h

        # The states of all steps, stacked: the readout is one product, as by hand.
        _, hs = tp.scan(step, np.zeros(HIDDEN), xs)
        return ops.sum(hs @ v)

    def looped(params: BVar[RNN]) -> BVar[float]:
        w, u, b = params.unpack()
        h: BVar[Vec] | Vec = np.zeros(HIDDEN)
        total: BVar[float] | float = 0.0
        for x in xs:
            h = ops.tanh(ops.matvec(w, h) + ops.matvec(u, x) + b)
            total = total + h @ v
        assert isinstance(total, BVar)
        return total

    return looped if loop or not hasattr(tp, "scan") else scanned


def typedprop_run(steps: int, checks: bool, traced: bool, loop: bool = False) -> Run:
    params, xs, v = problem(steps)
    return harness.typedprop_run(typedprop_loss(xs, v, loop), params, checks, traced)


# --- peers -----------------------------------------------------------------------------------


def autograd_run(steps: int) -> Run:
    import autograd.numpy as anp
    from autograd import value_and_grad

    (w, u, b), xs, v = problem(steps)

    def loss(params: Any) -> Any:
        w, u, b = params
        h, total = np.zeros(HIDDEN), 0.0
        for x in xs:
            h = anp.tanh(anp.dot(w, h) + anp.dot(u, x) + b)
            total = total + anp.dot(h, v)
        return total

    vg = value_and_grad(loss)
    return lambda: vg((w, u, b))


def mygrad_run(steps: int) -> Run:
    import mygrad as mg

    p, xs, v = problem(steps)
    params = [mg.Tensor(a) for a in p]

    def run() -> Any:
        w, u, b = params
        h: Any = np.zeros(HIDDEN)
        total: Any = 0.0
        for x in xs:
            h = mg.tanh(mg.matmul(w, h) + mg.matmul(u, x) + b)
            total = total + mg.matmul(h, v)
        total.backward()
        return total.item(), [t.grad for t in params]

    return run


def torch_run(steps: int) -> Run:
    import torch

    p, xs, v = problem(steps)
    params = [torch.tensor(a, requires_grad=True) for a in p]
    xts, vt = list(torch.from_numpy(xs)), torch.from_numpy(v)

    def run() -> Any:
        w, u, b = params
        h = torch.zeros(HIDDEN, dtype=torch.float64)
        total: Any = 0.0
        for x in xts:
            h = torch.tanh(w @ h + u @ x + b)
            total = total + h @ vt
        return total.detach(), torch.autograd.grad(total, params)

    return run


def jax_run(steps: int, jit: bool) -> Run:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    p, xs, v = problem(steps)
    params = tuple(jnp.asarray(a) for a in p)
    xj, vj = jnp.asarray(xs), jnp.asarray(v)

    def loop(params: Any, xs: Any) -> Any:
        w, u, b = params
        h, total = jnp.zeros(HIDDEN), 0.0
        for t in range(steps):
            h = jnp.tanh(w @ h + u @ xs[t] + b)
            total = total + h @ vj
        return total

    def scan(params: Any, xs: Any) -> Any:
        w, u, b = params

        def step(h: Any, x: Any) -> Any:
            h = jnp.tanh(w @ h + u @ x + b)
            return h, h @ vj

        _, outs = jax.lax.scan(step, jnp.zeros(HIDDEN), xs)
        return jnp.sum(outs)

    vg = jax.jit(jax.value_and_grad(scan)) if jit else jax.value_and_grad(loop)
    return lambda: jax.block_until_ready(vg(params, xj))


# --- the cases -------------------------------------------------------------------------------


def contenders(steps: int) -> list[Contender]:
    def c(name: str, group: str, make: Any, *a: Any) -> Contender:
        return Contender(name, group, lambda: make(steps, *a))

    cs = [
        c(BASELINE, "numpy", numpy_run),
        c("hand-written numpy, step-by-step accumulation", "numpy", numpy_stepwise_run),
    ]
    runs = {
        "typedprop": typedprop_run,
        "autograd": autograd_run,
        "mygrad": mygrad_run,
        "torch": torch_run,
        "jax": jax_run,
    }
    cs += harness.typedprop_and_peers(c, runs, "jax.jit of lax.scan (compiled reference)")
    # The same loss as a Python loop of ops, before `scan`: a reference.
    for style, traced in (("implicit", False), ("traced", True)):
        name = f"typedprop {style}, Python loop, checks off"
        cs.append(c(name, "numpy", typedprop_run, False, traced, True))
    return cs


def make_cases(quick: bool) -> list[Case]:
    steps = 50 if quick else 1000
    return [
        Case(f"RNN, hidden size {HIDDEN}, input {INPUT}, {steps} steps, float64", contenders(steps))
    ]


if __name__ == "__main__":
    main(__doc__ or "", __file__, make_cases)
