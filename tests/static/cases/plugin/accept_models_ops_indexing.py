"""Indexing on sized arrays and BVars, as model code uses it: integers, slices, None, columns
(`x[:, 0]`), ranges (`x[2:5]`), integer arrays, boolean masks, `take` and `where`. Every case runs,
and mypy accepts it."""

# ruff: noqa: E501
# fmt: off

from typing import Final

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import BVar, Mat, Vec, ops

ROWS: Final = 8
COLS: Final[int] = 5
VOCAB: Final = 30
DIM: Final = 6


@tp.shapecheck
def first_column(x: Float[Mat, "n m"]) -> Float[Vec, " n"]:
    return x[:, 0]


def case_row_and_column() -> None:
    # One row and one column of a matrix.
    x = tp.normal(ROWS, COLS, rng=0)
    assert x[2].shape == (COLS,) and x[:, 0].shape == (ROWS,)
    assert first_column(x).shape == (ROWS,)


def case_slices() -> None:
    # x[2:5], x[:, 1:3] and x[::2]: ranges of rows and columns.
    x = tp.normal(ROWS, COLS, rng=0)
    assert x[2:5].shape == (3, COLS)
    assert x[:, 1:3].shape == (ROWS, 2)
    assert x[::2].shape == (ROWS // 2, COLS)


def case_new_axes_with_none() -> None:
    # x[None] and x[:, None]: new axes for broadcasting.
    v = tp.normal(COLS, rng=0)
    assert v[None].shape == (1, COLS) and v[:, None].shape == (COLS, 1)
    table = v[:, None] * v[None, :]
    assert table.shape == (COLS, COLS)


def case_getitem_on_bvars_in_a_loss() -> None:
    # Indexing a BVar records getitem: ints, slices and None.
    x = tp.normal(ROWS, COLS, rng=0)

    def loss(v: BVar[Mat]) -> BVar[float]:
        head = v[0]
        window = v[2:5]
        column = v[:, 0]
        expanded = v[None]
        return head.sum() + window.sum() + column.sum() + expanded.sum()

    g = tp.grad(loss, x)
    assert g.shape == (ROWS, COLS) and g[0, 0] == 3.0 and g[3, 0] == 3.0


def case_getitem_op_directly() -> None:
    # ops.getitem with a tuple key, as x[key] calls it.
    x = tp.normal(ROWS, COLS, rng=0)
    assert ops.getitem(x, (slice(None), 1)).shape == (ROWS,)
    assert ops.getitem(x, 3).shape == (COLS,)


def case_integer_array_indexing() -> None:
    # Rows picked by an integer array, and one entry per row by paired arrays.
    x = tp.normal(ROWS, COLS, rng=0)
    picked = x[np.array([0, 2, 2, 7])]
    labels = np.arange(ROWS) % COLS
    per_row = x[np.arange(ROWS), labels]
    assert picked.shape == (4, COLS) and per_row.shape == (ROWS,)
    g = tp.grad(lambda v: v[np.arange(ROWS), labels].sum(), x)
    assert g.sum() == ROWS


def case_boolean_mask() -> None:
    # Entries selected by a boolean mask.
    x = tp.normal(ROWS, COLS, rng=0)
    mask = x > 0.0
    g = tp.grad(lambda v: v[mask].sum(), x)
    assert np.array_equal(g, mask.astype(np.float64))


def case_embedding_lookup_with_take() -> None:
    # An embedding table looked up by token ids with take.
    table = tp.normal(VOCAB, DIM, rng=0)
    tokens = np.array([3, 14, 15, 3])
    vectors = ops.take(table, tokens, axis=0)
    assert vectors.shape == (4, DIM)
    g = tp.grad(lambda t: ops.sum(ops.take(t, tokens, axis=0)), table)
    assert g[3].sum() == 2 * DIM


def case_take_flat_indices() -> None:
    # take without an axis reads the flattened array.
    x = tp.normal(ROWS, COLS, rng=0)
    assert ops.take(x, np.array([0, 1, 39])).shape == (3,)


def case_where_selects_elementwise() -> None:
    # where: a masked value, with the condition not differentiated.
    x = tp.normal(ROWS, COLS, rng=0)
    clipped = ops.where(x > 0.0, x, 0.0)
    assert clipped.shape == (ROWS, COLS) and clipped.min() >= 0.0
    g = tp.grad(lambda v: ops.sum(ops.where(v.value > 0.0, v, 0.1 * v)), x)
    assert g.shape == (ROWS, COLS)


def case_last_time_step() -> None:
    # The last step of a batch of sequences with negative indices.
    seqs = tp.normal(4, 10, DIM, rng=0)
    last = seqs[:, -1]
    assert last.shape == (4, DIM)
    g = tp.grad(lambda v: v[:, -1, :].sum(), seqs)
    assert g[:, -1].sum() == 4 * DIM


def case_loop_over_rows() -> None:
    # A loss summed over the rows of a batch, one index at a time.
    x = tp.normal(ROWS, COLS, rng=0)
    w = tp.normal(COLS, rng=1)

    def loss(v: BVar[Vec]) -> BVar[float]:
        total: BVar[float] = tp.constant(0.0)
        for i in range(ROWS):
            total = total + ops.square(x[i] @ v)
        return total

    assert tp.grad(loss, w).shape == (COLS,)
