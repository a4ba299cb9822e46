"""Recurrent networks as users write them: a state carried through a Python loop (`h = step(h,
x)`), gates concatenated into one weight (`4*hidden`, `2*hidden`), inputs and states joined
(`n+m`), sequences of BVars. Every case runs, and mypy accepts it."""

# ruff: noqa: E501
# fmt: off

from dataclasses import dataclass
from typing import Final, NamedTuple

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import BVar, Mat, Vec, ops

IN: Final = 6
HIDDEN: Final = 8
STEPS: Final = 5
BATCH: Final[int] = 4


@tp.shapecheck
class Elman(NamedTuple):
    w: Float[Mat, "h h"]
    u: Float[Mat, "h i"]
    b: Float[Vec, " h"]


@tp.shapecheck
def elman_step(p: Elman, h: Float[Vec, " h"], x: Float[Vec, " i"]) -> Float[Vec, " h"]:
    return np.tanh(p.w @ h + p.u @ x + p.b)


@tp.shapecheck
def joined_step(h: Float[Vec, " h"], x: Float[Vec, " i"], w: Float[Mat, "h h+i"]) -> Float[Vec, " h"]:
    hx: Vec = np.concatenate([h, x])
    return ops.tanh(w @ hx)


@tp.shapecheck
def concat(a: Float[Vec, " n"], b: Float[Vec, " m"]) -> Float[Vec, " n+m"]:
    return np.concatenate([a, b])


@tp.shapecheck
def lstm_step(
    x: Float[Mat, "batch i"], h: Float[Mat, "batch hidden"], c: Float[Mat, "batch hidden"],
    w: Float[Mat, "i 4*hidden"], u: Float[Mat, "hidden 4*hidden"], b: Float[Vec, " 4*hidden"],
) -> tuple[Float[Mat, "batch hidden"], Float[Mat, "batch hidden"]]:
    gates = x @ w + h @ u + b
    n = h.shape[1]
    i, f = ops.logistic(gates[:, :n]), ops.logistic(gates[:, n : 2 * n])
    g, o = np.tanh(gates[:, 2 * n : 3 * n]), ops.logistic(gates[:, 3 * n :])
    c2 = f * c + i * g
    return o * np.tanh(c2), c2


@tp.shapecheck
def gru_update(h: Float[Mat, "batch hidden"], zr: Float[Mat, "batch 2*hidden"]) -> Float[Mat, "batch hidden"]:
    n = h.shape[1]
    z, r = ops.logistic(zr[:, :n]), ops.logistic(zr[:, n:])
    return (1.0 - z) * h + z * np.tanh(r * h)


@tp.shapecheck
@dataclass(frozen=True)
class Cell:
    w: Float[Mat, "h h"]
    u: Float[Vec, " h"]
    b: Float[Vec, " h"]
    v: Float[Vec, " h"]


def init_elman(seed: int) -> Elman:
    return Elman(tp.normal(HIDDEN, HIDDEN, scale=0.3, rng=seed), tp.normal(HIDDEN, IN, scale=0.3, rng=seed + 1), tp.zeros(HIDDEN))


def case_elman_loop() -> None:
    # The state carried through a for loop over the inputs.
    p = init_elman(0)
    xs = [tp.normal(IN, rng=t) for t in range(STEPS)]
    h: Vec = tp.zeros(HIDDEN)
    for x in xs:
        h = elman_step(p, h, x)
    assert h.shape == (HIDDEN,)


def case_elman_loop_over_rows() -> None:
    # The inputs as the rows of one array.
    p = init_elman(0)
    sequence = tp.normal(STEPS, IN, rng=1)
    h: Vec = tp.zeros(HIDDEN)
    states = []
    for t in range(STEPS):
        h = elman_step(p, h, sequence[t])
        states.append(h)
    assert np.stack(states).shape == (STEPS, HIDDEN)


def case_state_and_input_joined() -> None:
    # One weight over the state and the input joined: (h, h+i).
    w = tp.normal(HIDDEN, HIDDEN + IN, scale=0.3, rng=0)
    h: Vec = tp.zeros(HIDDEN)
    for t in range(STEPS):
        h = joined_step(h, tp.normal(IN, rng=t), w)
    assert concat(h, tp.ones(IN)).shape == (HIDDEN + IN,)


def case_lstm_over_a_batch() -> None:
    # An LSTM step with its four gates in one weight of 4*hidden columns.
    w = tp.normal(IN, 4 * HIDDEN, scale=0.3, rng=0)
    u = tp.normal(HIDDEN, 4 * HIDDEN, scale=0.3, rng=1)
    b = tp.zeros(4 * HIDDEN)
    h: Mat = tp.zeros(BATCH, HIDDEN)
    c: Mat = tp.zeros(BATCH, HIDDEN)
    for t in range(STEPS):
        h, c = lstm_step(tp.normal(BATCH, IN, rng=t), h, c, w, u, b)
    assert h.shape == (BATCH, HIDDEN) and c.shape == (BATCH, HIDDEN)


def case_gru_gates() -> None:
    # A GRU-like update from two gates stored side by side: 2*hidden columns.
    h = tp.normal(BATCH, HIDDEN, rng=0)
    zr = tp.normal(BATCH, 2 * HIDDEN, rng=1)
    h2 = gru_update(h, zr)
    assert h2.shape == (BATCH, HIDDEN)


def case_gradient_through_time() -> None:
    # Backpropagation through time: the loss of the last state, differentiated by the weights.
    xs = [tp.normal(IN, rng=t) for t in range(STEPS)]
    target = tp.zeros(HIDDEN)

    def loss(p: BVar[Elman]) -> BVar[float]:
        w, u, b = p.unpack()
        h: BVar[Vec] = tp.constant(tp.zeros(HIDDEN))
        for x in xs:
            h = ops.tanh(ops.matvec(w, h) + ops.matvec(u, x) + b)
        return ops.squared_error(h, target)

    g = tp.grad(loss, init_elman(0))
    assert g.w.shape == (HIDDEN, HIDDEN) and g.u.shape == (HIDDEN, IN)


def case_sequence_of_scalars() -> None:
    # A list of floats differentiated item by item with tp.sequence and tp.collect.
    cell = Cell(tp.normal(HIDDEN, HIDDEN, scale=0.3, rng=0), tp.normal(HIDDEN, rng=1), tp.zeros(HIDDEN), tp.normal(HIDDEN, rng=2))
    xs = [0.1, -0.4, 0.3, 0.8]

    def run(p: BVar[Cell], seq: BVar[list[float]]) -> BVar[list[float]]:
        w, u = p.view(lambda c: c.w), p.view(lambda c: c.u)
        b, v = p.view(lambda c: c.b), p.view(lambda c: c.v)
        h: BVar[Vec] | Vec = np.zeros(HIDDEN)
        ys: list[BVar[float]] = []
        for x in tp.sequence(seq):
            h = ops.tanh(ops.matvec(w, h) + u * x + b)
            ys.append(h @ v)
        return tp.collect(ys)

    def loss(p: BVar[Cell], seq: BVar[list[float]]) -> BVar[float]:
        return ops.sum(ops.square(ops.stack(tp.sequence(run(p, seq)))))

    g_cell, g_xs = tp.grad_n(loss, cell, xs)
    assert g_cell.w.shape == (HIDDEN, HIDDEN) and len(g_xs) == len(xs)


def case_bidirectional_states_concatenated() -> None:
    # Forward and backward passes, their final states joined.
    p_fwd, p_bwd = init_elman(0), init_elman(10)
    xs = [tp.normal(IN, rng=t) for t in range(STEPS)]
    h_fwd: Vec = tp.zeros(HIDDEN)
    h_bwd: Vec = tp.zeros(HIDDEN)
    for x in xs:
        h_fwd = elman_step(p_fwd, h_fwd, x)
    for x in reversed(xs):
        h_bwd = elman_step(p_bwd, h_bwd, x)
    both = concat(h_fwd, h_bwd)
    assert both.shape == (2 * HIDDEN,)


def case_readout_of_every_state() -> None:
    # A readout layer over the stacked states of a sequence.
    p = init_elman(0)
    readout = tp.normal(3, HIDDEN, rng=5)
    h: Vec = tp.zeros(HIDDEN)
    outputs = []
    for t in range(STEPS):
        h = elman_step(p, h, tp.normal(IN, rng=t))
        outputs.append(ops.matvec(readout, h))
    assert np.stack(outputs).shape == (STEPS, 3)


def case_traced_recurrent_loss() -> None:
    # The recurrent loss recorded once with tp.trace, the sequence as data, replayed on another.
    def loss(p: BVar[Elman], seq: Mat) -> BVar[float]:
        w, u, b = p.unpack()
        projected = ops.matmul(seq, u.T)
        h = ops.tanh(projected[0] + b)
        for t in range(1, seq.shape[0]):
            h = ops.tanh(ops.matvec(w, h) + projected[t] + b)
        return ops.sum(ops.square(h))

    params = init_elman(0)
    graph = tp.trace(loss, params, tp.normal(STEPS, IN, rng=1))
    value, g = graph.backprop(params, tp.normal(STEPS, IN, rng=2))
    assert value >= 0.0 and g.b.shape == (HIDDEN,)


def case_batch_of_sequences_with_einsum() -> None:
    # A batch of sequences: the input projection of every step at once with einsum.
    xs = tp.normal(BATCH, STEPS, IN, rng=0)
    u = tp.normal(HIDDEN, IN, rng=1)
    projected = ops.einsum("bti,hi->bth", xs, u)
    w = tp.normal(HIDDEN, HIDDEN, scale=0.3, rng=2)
    h: Mat = tp.zeros(BATCH, HIDDEN)
    for t in range(STEPS):
        h = ops.tanh(h @ w.T + projected[:, t])
    assert h.shape == (BATCH, HIDDEN)


def case_deep_recurrent_stack() -> None:
    # Two recurrent layers stacked: the first one's states are the second one's inputs.
    first = init_elman(0)
    second = Elman(tp.normal(HIDDEN, HIDDEN, scale=0.3, rng=5), tp.normal(HIDDEN, HIDDEN, scale=0.3, rng=6), tp.zeros(HIDDEN))
    h1: Vec = tp.zeros(HIDDEN)
    h2: Vec = tp.zeros(HIDDEN)
    for t in range(STEPS):
        h1 = elman_step(first, h1, tp.normal(IN, rng=t))
        h2 = elman_step(second, h2, h1)
    assert h2.shape == (HIDDEN,)


def case_teacher_forcing_targets() -> None:
    # Next-step prediction: each output compared with the next input.
    seq = tp.normal(STEPS + 1, IN, rng=0)
    readout = tp.normal(IN, HIDDEN, scale=0.3, rng=1)

    def loss(p: BVar[Elman]) -> BVar[float]:
        w, u, b = p.unpack()
        h: BVar[Vec] = tp.constant(tp.zeros(HIDDEN))
        total: BVar[float] = tp.constant(0.0)
        for t in range(STEPS):
            h = ops.tanh(w @ h + u @ seq[t] + b)
            total = total + ops.squared_error(readout @ h, seq[t + 1])
        return total / STEPS

    value, g = tp.backprop(loss, init_elman(0))
    assert value > 0.0 and g.w.shape == (HIDDEN, HIDDEN)
