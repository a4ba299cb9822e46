"""Recurrent networks (Elman, GRU- and LSTM-style cells) with sizes mypy knows (8 inputs, a state
of 32, sequences of 20 steps, batches of 16): each case is one shape mistake, refused at run time
with a CheckError (or numpy's ValueError for plain numpy code)."""

# Marker comments hold whole mypy messages: long lines, kept as written.
# ruff: noqa: E501
# fmt: off

from dataclasses import dataclass
from typing import Final

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import BVar, Mat, Vec, ops

BATCH: Final = 16
STEPS: Final = 20
INPUT: Final = 8
HIDDEN: Final = 32
OUT: Final = 1


@tp.shapecheck
@dataclass(frozen=True)
class RNN:
    w: Float[Mat, "h h"]  # state to state
    u: Float[Mat, "h i"]  # input to state
    b: Float[Vec, " h"]
    v: Float[Mat, "o h"]  # state to output
    c: Float[Vec, " o"]


@tp.shapecheck
def step(
    w: Float[Mat, "h h"], u: Float[Mat, "h i"], b: Float[Vec, " h"], h: Float[Vec, " h"], x: Float[Vec, " i"]
) -> Float[Vec, " h"]:
    return np.tanh(w @ h + u @ x + b)


def case_recurrent_weight_not_square() -> None:
    # The state-to-state weight was made (32, 8), like the input weight.
    rnn = RNN(w=tp.normal(HIDDEN, INPUT, rng=0), u=tp.normal(HIDDEN, INPUT, rng=1), b=tp.zeros(HIDDEN), v=tp.normal(OUT, HIDDEN, rng=2), c=tp.zeros(OUT))  # E: Dimension mismatch in call to "RNN": dimension h: 8 (argument "w", axis 1) vs 32 (argument "w", axis 0)  [dim-mismatch]
    print(rnn)


def case_input_weight_transposed() -> None:
    # The input weight was made (8, 32), for x @ u; the cell computes u @ x.
    rnn = RNN(w=tp.normal(HIDDEN, HIDDEN, rng=0), u=tp.normal(INPUT, HIDDEN, rng=1), b=tp.zeros(HIDDEN), v=tp.normal(OUT, HIDDEN, rng=2), c=tp.zeros(OUT))  # E: Dimension mismatch in call to "RNN": dimension h: 8 (argument "u", axis 0) vs 32 (argument "w", axis 0)  [dim-mismatch]
    print(rnn)


def case_readout_bias_of_the_state_width() -> None:
    # The readout's bias has one entry per state unit instead of one per output.
    rnn = RNN(w=tp.normal(HIDDEN, HIDDEN, rng=0), u=tp.normal(HIDDEN, INPUT, rng=1), b=tp.zeros(HIDDEN), v=tp.normal(OUT, HIDDEN, rng=2), c=tp.zeros(HIDDEN))  # E: Dimension mismatch in call to "RNN": dimension o: 32 (argument "c", axis 0) vs 1 (argument "v", axis 0)  [dim-mismatch]
    print(rnn)


def case_initial_state_of_the_input_width() -> None:
    # h0 is made with INPUT units instead of HIDDEN.
    w, u, b = tp.normal(HIDDEN, HIDDEN, rng=0), tp.normal(HIDDEN, INPUT, rng=1), tp.zeros(HIDDEN)
    h0 = tp.zeros(INPUT)
    h1 = step(w, u, b, h0, tp.normal(INPUT, rng=2))  # E: Dimension mismatch in call to "step": dimension h: 8 (argument "h", axis 0) vs 32 (argument "w", axis 0)  [dim-mismatch]
    print(h1)


def case_step_given_a_column_of_the_sequence() -> None:
    # The input at time 0 is seq[0] (8 values); seq[:, 0] is input 0 at every step (20 values).
    w, u, b = tp.normal(HIDDEN, HIDDEN, rng=0), tp.normal(HIDDEN, INPUT, rng=1), tp.zeros(HIDDEN)
    seq = tp.normal(STEPS, INPUT, rng=2)
    h1 = step(w, u, b, tp.zeros(HIDDEN), seq[:, 0])  # E: Dimension mismatch in call to "step": dimension i: 20 (argument "x", axis 0) vs 8 (argument "u", axis 1)  [dim-mismatch]
    print(h1)


def case_batched_state_made_transposed() -> None:
    # The batch of states is made (32, 16), (state, batch); the cell computes h @ w.T.
    w = tp.normal(HIDDEN, HIDDEN, rng=0)
    h = tp.zeros(HIDDEN, BATCH)
    h_next = np.tanh(h @ w.T)  # E: Dimension mismatch in operator "@": inner dimension: 16 (left operand, axis 1) vs 32 (right operand, axis 0)  [dim-mismatch]
    print(h_next)


def case_readout_of_the_input_width() -> None:
    # The readout takes 8 values, the state has 32.
    h = step(tp.normal(HIDDEN, HIDDEN, rng=0), tp.normal(HIDDEN, INPUT, rng=1), tp.zeros(HIDDEN), tp.zeros(HIDDEN), tp.normal(INPUT, rng=2))
    v = tp.normal(OUT, INPUT, rng=3)
    y = ops.matvec(v, h)  # E: Dimension mismatch in call to "matvec": dimension n: 32 (argument "x", axis 0) vs 8 (argument "w", axis 1)  [dim-mismatch]
    print(y)


def case_gru_candidate_from_the_input_weight_alone() -> None:
    # The candidate state is u @ x with u of shape (8, 8): it has 8 values, the gate 32.
    h = tp.zeros(HIDDEN)
    x = tp.normal(INPUT, rng=0)
    z = ops.logistic(ops.matvec(tp.normal(HIDDEN, INPUT, rng=1), x))
    candidate = ops.tanh(ops.matvec(tp.normal(INPUT, INPUT, rng=2), x))
    h_next = z * h + (1.0 - z) * candidate  # E: Dimension mismatch in operator "*": axes do not broadcast: 32 (left operand, axis 0) vs 8 (right operand, axis 0)  [dim-mismatch]
    print(h_next)


def case_lstm_gates_split_in_three() -> None:
    # An LSTM has four gates: 4 * 32 pre-activations do not split into 3.
    gates = ops.matvec(tp.normal(4 * HIDDEN, HIDDEN + INPUT, rng=0), tp.zeros(HIDDEN + INPUT))
    i, f, o = ops.split(gates, 3)  # E: Dimension mismatch in call to "split": argument "x" of shape (128,) does not split into 3 equal sections along axis 0 (length 128)  [dim-mismatch]
    print(i, f, o)


def case_lstm_weight_for_the_state_only() -> None:
    # The gate weight takes [h, x] (32 + 8 values), but was made with HIDDEN columns.
    h, x = tp.zeros(HIDDEN), tp.normal(INPUT, rng=0)
    w = tp.normal(4 * HIDDEN, HIDDEN, rng=1)
    gates = ops.matvec(w, ops.concatenate([h, x]))  # E: Dimension mismatch in call to "matvec": dimension n: 40 (argument "x", axis 0) vs 32 (argument "w", axis 1)  [dim-mismatch]
    print(gates)


def case_batch_major_sequence_indexed_by_time() -> None:
    # seq is (batch, steps, input): seq[0] is the first sample (20, 8), not the first step (16, 8).
    seq = tp.normal(BATCH, STEPS, INPUT, rng=0)
    u = tp.normal(HIDDEN, INPUT, rng=1)
    h = tp.zeros(BATCH, HIDDEN)
    h = ops.tanh(ops.add(h, ops.matmul(seq[0], u.T)))  # E: Dimension mismatch in call to "add": axes do not broadcast: 16 (argument "a", axis 0) vs 20 (argument "b", axis 0)  [dim-mismatch]
    print(h)


def case_bvar_inputs_of_the_state_width() -> None:
    # The sequence was embedded to the state's width (32) before the input weight (32, 8).
    xs = tp.normal(STEPS, HIDDEN, rng=0)

    def loss(w: BVar[Float[Mat, "32 32"]], u: BVar[Float[Mat, "32 8"]]) -> BVar[float]:
        h = ops.tanh(ops.matvec(u, xs[0]))  # E: Dimension mismatch in call to "matvec": dimension n: 32 (argument "x", axis 0) vs 8 (argument "w", axis 1)  [dim-mismatch]
        return ops.sum(ops.matvec(w, h))

    tp.grad_n(loss, tp.normal(HIDDEN, HIDDEN, rng=1), tp.normal(HIDDEN, INPUT, rng=2))


def case_predictions_for_every_step_against_shifted_targets() -> None:
    # Next-value prediction: 20 predictions, but the targets series[1:] are 19.
    states = tp.normal(STEPS, HIDDEN, rng=0)
    series = tp.normal(STEPS, rng=1)
    targets = series[1:]

    def loss(v: BVar[Float[Vec, " 32"]]) -> BVar[float]:
        predictions = ops.matvec(states, v)
        return ops.mean_squared_error(predictions, targets)  # E: Dimension mismatch in call to "mean_squared_error": axis 0 must match: 19 (argument "target", axis 0) vs 20 (argument "pred", axis 0)  [dim-mismatch]

    tp.grad(loss, tp.normal(HIDDEN, rng=2))


def case_bidirectional_states_concatenated_along_time() -> None:
    # Forward and backward states joined along axis 0 (40, 32) instead of the features (20, 64).
    fwd = tp.normal(STEPS, HIDDEN, rng=0)
    bwd = tp.normal(STEPS, HIDDEN, rng=1)
    both = ops.concatenate([fwd, bwd], axis=0)
    y = ops.linear(tp.normal(OUT, 2 * HIDDEN, rng=2), both, tp.zeros(OUT))  # E: Dimension mismatch in call to "linear": dimension in: 32 (argument "x", axis 1) vs 64 (argument "w", axis 1)  [dim-mismatch]
    print(y)
