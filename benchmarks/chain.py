"""Per-op overhead: a chain of 200 elementwise ops, value and gradient, on a scalar and a 10-vector.

The chain repeats four ops 50 times, `x = sin(x); x = x * 1.5; x = tanh(x); x = x + 0.25`,
starting from 0.3 (a Python float for typedprop, the peers' scalar types otherwise) or from a
vector of 10; the vector's output is summed. Each run computes the value and the gradient with
respect to the input. The table's "us per op node" is the time of a run over the 200 ops: the
cost of recording one node, forward and backward.

Contenders: hand-written numpy (the baseline: numpy calls forward, the chain rule backward),
hand-written on Python floats with `math` (scalar only; a reference), typedprop (`backprop`,
`typedprop.ops.sin`/`tanh` and the `*`/`+` operators) with checks on and off, typedprop traced,
HIPS autograd, mygrad, PyTorch eager, JAX without and with jit.

Issue targets: typedprop implicit <= 3 us per op node on the scalar chain, traced <= 1 us;
checks on within 2x of checks off.

    python benchmarks/chain.py [--rounds 15] [--quick] [--case K] [--only numpy,torch]
    python benchmarks/chain.py --profile "typedprop implicit, checks off" --case 0

Against typedprop from an older source tree (see `_harness.py`: its own process, interleaved,
after/before per typedprop row):

    OPENBLAS_NUM_THREADS=1 taskset -c 1 python benchmarks/chain.py --only numpy \\
        --baseline-src /tmp/before/src
"""

import math
from typing import Any

import _harness as harness
import numpy as np
from _harness import BASELINE, Case, Contender, Run, main

from typedprop import BVar, ops

MUL, ADD = 1.5, 0.25


def start(size: int | None) -> Any:
    return 0.3 if size is None else np.linspace(-1.0, 1.0, size)


# --- hand-written ----------------------------------------------------------------------------


def numpy_run(size: int | None, cycles: int) -> Run:
    x0 = np.float64(0.3) if size is None else start(size)

    def run() -> Any:
        sin_in, tanh_out = [], []
        x = x0
        for _ in range(cycles):
            sin_in.append(x)
            x = np.sin(x)
            x = x * MUL
            x = np.tanh(x)
            tanh_out.append(x)
            x = x + ADD
        value: Any = x if size is None else x.sum()
        g: Any = np.float64(1.0) if size is None else np.ones(size)
        for k in range(cycles - 1, -1, -1):
            t = tanh_out[k]
            g = g * (1.0 - t * t)
            g = g * MUL
            g = g * np.cos(sin_in[k])
        return value, g

    return run


def floats_run(size: int | None, cycles: int) -> Run:
    assert size is None

    def run() -> Any:
        sin_in, tanh_out = [], []
        x = 0.3
        for _ in range(cycles):
            sin_in.append(x)
            x = math.sin(x)
            x = x * MUL
            x = math.tanh(x)
            tanh_out.append(x)
            x = x + ADD
        g = 1.0
        for k in range(cycles - 1, -1, -1):
            t = tanh_out[k]
            g = g * (1.0 - t * t)
            g = g * MUL
            g = g * math.cos(sin_in[k])
        return x, g

    return run


# --- typedprop -------------------------------------------------------------------------------


def typedprop_chain(size: int | None, cycles: int) -> Any:
    def chain(x: BVar[Any]) -> BVar[float]:
        for _ in range(cycles):
            x = ops.sin(x)
            x = x * MUL
            x = ops.tanh(x)
            x = x + ADD
        return x if size is None else x.sum()

    return chain


def typedprop_run(size: int | None, cycles: int, checks: bool, traced: bool) -> Run:
    return harness.typedprop_run(typedprop_chain(size, cycles), start(size), checks, traced)


# --- peers -----------------------------------------------------------------------------------


def autograd_run(size: int | None, cycles: int) -> Run:
    import autograd.numpy as anp
    from autograd import value_and_grad

    def chain(x: Any) -> Any:
        for _ in range(cycles):
            x = anp.tanh(anp.sin(x) * MUL) + ADD
        return x if size is None else anp.sum(x)

    vg, x = value_and_grad(chain), start(size)
    return lambda: vg(x)


def mygrad_run(size: int | None, cycles: int) -> Run:
    import mygrad as mg

    x = mg.Tensor(start(size))

    def run() -> Any:
        y = x
        for _ in range(cycles):
            y = mg.tanh(mg.sin(y) * MUL) + ADD
        if size is not None:
            y = mg.sum(y)
        y.backward()
        return y.item(), x.grad

    return run


def torch_run(size: int | None, cycles: int) -> Run:
    import torch

    x = torch.tensor(start(size), dtype=torch.float64, requires_grad=True)

    def run() -> Any:
        y = x
        for _ in range(cycles):
            y = torch.tanh(torch.sin(y) * MUL) + ADD
        if size is not None:
            y = y.sum()
        return y.detach(), torch.autograd.grad(y, x)[0]

    return run


def jax_run(size: int | None, cycles: int, jit: bool) -> Run:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)

    def chain(x: Any) -> Any:
        for _ in range(cycles):
            x = jnp.tanh(jnp.sin(x) * MUL) + ADD
        return x if size is None else jnp.sum(x)

    vg = jax.value_and_grad(chain)
    if jit:
        vg = jax.jit(vg)
    x = jnp.asarray(start(size), dtype=jnp.float64)
    return lambda: jax.block_until_ready(vg(x))


# --- the cases -------------------------------------------------------------------------------


def contenders(size: int | None, cycles: int) -> list[Contender]:
    def c(name: str, group: str, make: Any, *a: Any) -> Contender:
        return Contender(name, group, lambda: make(size, cycles, *a))

    cs = [c(BASELINE, "numpy", numpy_run)]
    if size is None:
        cs.append(c("hand-written Python floats (math)", "numpy", floats_run))
    runs = {
        "typedprop": typedprop_run,
        "autograd": autograd_run,
        "mygrad": mygrad_run,
        "torch": torch_run,
        "jax": jax_run,
    }
    cs += harness.typedprop_and_peers(c, runs, "jax.jit (compiled reference)")
    return cs


def make_cases(quick: bool) -> list[Case]:
    cycles = 5 if quick else 50
    n = 4 * cycles
    return [
        Case(f"chain of {n} elementwise ops on a scalar", contenders(None, cycles), nodes=n),
        Case(f"chain of {n} elementwise ops on a 10-vector", contenders(10, cycles), nodes=n),
    ]


if __name__ == "__main__":
    main(__doc__ or "", __file__, make_cases)
