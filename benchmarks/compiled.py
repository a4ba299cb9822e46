"""Compiled graphs on JAX (CPU): typedprop's `graph.compile()` against a hand-written `jax.jit`.

Three cases, float64, value and full gradient per call:

- the MNIST network 784-300-100-10 (`mlp.py`'s parameters, its `dense` layer and its
  hand-written JAX loss) at batch 32 and 256, the batch and its labels passed as data;
- the recurrent net of `rnn.py` (hidden 16, input 8, 1,000 steps) with `typedprop.scan`,
  against `rnn.py`'s `jax.jit` of `lax.scan` (`scan` on JAX's arrays is `lax.scan` too).

Contenders per case: hand-written `jax.jit(jax.value_and_grad(loss))` (the reference), typedprop
compiled (`tp.trace(loss, params, *data).compile()`), and typedprop traced uncompiled on the
same JAX arrays (op by op, a reference for what compiling gains). Each is checked against the
reference first (relative error over each leaf's largest entry, 1e-10 at most). Then rounds
in rotating order, each contender timed in a block of about 50 ms; the table gives the median
time per call, the median of the per-round ratios to the reference with their interquartile
range, and the first call's time (tracing and XLA's compilation: compile time) of each.

Issue 16's target: the MLP within 1.2x of the hand-written `jax.jit` step, the RNN within 1.5x
of `jax.jit` of `lax.scan`.

    python benchmarks/compiled.py [--rounds 15] [--quick] [--cases mlp,rnn]
"""

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import _harness as harness
import mlp
import rnn

import typedprop as tp
from typedprop import BVar, ops

Run = Callable[[], Any]


def _jax() -> Any:
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


# --- the MLP ---------------------------------------------------------------------------------


def mlp_loss(params: BVar[mlp.Params], x: Any, y: Any) -> BVar[float]:
    l1, l2, l3 = params.unpack()
    h = ops.logistic(mlp.dense(l1, x))
    h = ops.logistic(mlp.dense(l2, h))
    out: BVar[float] = ops.softmax_cross_entropy_with_integer_labels(mlp.dense(l3, h), y)
    return out


def mlp_inputs(batch: int) -> tuple[Any, Any, Any]:
    jnp = _jax().numpy
    p, x, y = mlp.problem(batch)
    params = tuple(mlp.Layer(jnp.asarray(layer.w), jnp.asarray(layer.b)) for layer in p)
    return params, jnp.asarray(x), jnp.asarray(y)


def mlp_typedprop(batch: int, compiled: bool) -> Run:
    jax = _jax()
    params, x, y = mlp_inputs(batch)
    graph = tp.trace(mlp_loss, params, x, y)
    run = graph.compile().backprop if compiled else graph.backprop
    return lambda: jax.block_until_ready(run(params, x, y))


# --- the RNN ---------------------------------------------------------------------------------


def rnn_loss(params: BVar[rnn.RNN], xs: Any, v: Any) -> BVar[float]:
    jnp = _jax().numpy
    w, u, b = params.unpack()

    def step(h: BVar[Any], x: BVar[Any]) -> tuple[BVar[Any], BVar[Any]]:
        h = ops.tanh(ops.matvec(w, h) + ops.matvec(u, x) + b)
        return h, h

    _, hs = tp.scan(step, jnp.zeros(rnn.HIDDEN), xs)
    out: BVar[float] = ops.sum(hs @ v)
    return out


def rnn_typedprop(steps: int, compiled: bool) -> Run:
    jax = _jax()
    jnp = jax.numpy
    p, xs, v = rnn.problem(steps)
    params = rnn.RNN(*(jnp.asarray(a) for a in p))
    xj, vj = jnp.asarray(xs), jnp.asarray(v)
    graph = tp.trace(rnn_loss, params, xj, vj)
    run = graph.compile().backprop if compiled else graph.backprop
    return lambda: jax.block_until_ready(run(params, xj, vj))


# --- measuring -------------------------------------------------------------------------------


def case(name: str, contenders: list[tuple[str, Callable[[], Run]]], rounds: int) -> None:
    print(f"\n## {name}\n")
    runs: list[tuple[str, Run]] = []
    first: dict[str, float] = {}
    reference: Any = None  # the first contender's result
    for label, setup in contenders:
        start = time.perf_counter()
        run = setup()
        out = run()  # the first call: tracing and compiling
        first[label] = time.perf_counter() - start
        if reference is None:
            reference = out
        else:
            error = harness.disagreement(out, reference)
            if not error <= 1e-10:
                print(f"{label}: disagrees with the reference ({error:.1e}); left out")
                continue
        runs.append((label, run))
    times: dict[str, list[float]] = {label: [] for label, _ in runs}
    for r in range(rounds):
        for k in range(len(runs)):
            label, run = runs[(r + k) % len(runs)]
            times[label].append(harness.time_block(run, 0.05)[0])
    base = runs[0][0]
    rows = []
    for label, _ in runs:
        ratios = [t / b for t, b in zip(times[label], times[base], strict=True)]
        q1, q3 = harness.quartiles(ratios)
        rows.append(
            [
                label,
                harness.fmt_time(statistics.median(times[label])),
                f"{statistics.median(ratios):.2f} ({q1:.2f}-{q3:.2f})",
                f"{first[label]:.2f} s",
            ]
        )
    header = ["contender", "time per call", "ratio to jax.jit (IQR)", "first call (compile)"]
    print(harness.table(header, rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="tiny settings, a smoke test")
    parser.add_argument("--cases", default="mlp,rnn", help="which cases: mlp, rnn or both")
    args = parser.parse_args()
    jax = _jax()
    rounds = 2 if args.quick else args.rounds
    print(harness.machine_line())
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}, float64")
    cases = args.cases.split(",")
    for batch in (32, 256) if "mlp" in cases else ():
        case(
            f"MLP 784-300-100-10, batch {batch}",
            [
                ("hand-written jax.jit", lambda b=batch: mlp.jax_run(b, jit=True)),
                ("typedprop compiled", lambda b=batch: mlp_typedprop(b, compiled=True)),
                ("typedprop traced, uncompiled", lambda b=batch: mlp_typedprop(b, False)),
            ],
            rounds,
        )
    if "rnn" not in cases:
        return
    steps = 50 if args.quick else 1000
    case(
        f"RNN hidden {rnn.HIDDEN}, input {rnn.INPUT}, {steps} steps, typedprop.scan",
        [
            ("jax.jit of lax.scan", lambda: rnn.jax_run(steps, jit=True)),
            ("typedprop compiled", lambda: rnn_typedprop(steps, compiled=True)),
            ("typedprop traced, uncompiled", lambda: rnn_typedprop(steps, compiled=False)),
        ],
        rounds,
    )


if __name__ == "__main__":
    main()
