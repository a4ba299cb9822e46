"""The shape ops on sized arrays and BVars, as model code uses them: reshape (with -1), ravel,
transpose (with and without axes), concatenate, stack, split, expand_dims, squeeze, repeat,
tile, pad and broadcast_to. Every case runs, and mypy accepts it."""

# ruff: noqa: E501
# fmt: off

from typing import Final

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import Array, BVar, Mat, Vec, ops

ROWS: Final = 6
COLS: Final[int] = 4
DEPTH: Final = 3


@tp.shapecheck
def row_sums(x: Float[Mat, "n m"]) -> Float[Vec, " n"]:
    return ops.sum(x, axis=1)


@tp.shapecheck
def joined(a: Float[Mat, "n p"], b: Float[Mat, "n q"]) -> Float[Mat, "n p+q"]:
    # A gap, noted for the next step: returned directly, this concatenation is typed `Any`
    # with the plugin on (`[no-any-return]`); through an annotated name it is not.
    out: Mat = ops.concatenate([a, b], axis=1)
    return out


def case_reshape_with_minus_one() -> None:
    # reshape(-1, COLS) and reshape(ROWS, -1) on arrays and BVars.
    flat = tp.normal(ROWS * COLS, rng=0)
    x = ops.reshape(flat, (-1, COLS))
    y = flat.reshape(ROWS, -1)
    assert x.shape == (ROWS, COLS) and y.shape == (ROWS, COLS) and row_sums(y).shape == (ROWS,)
    g = tp.grad(lambda v: ops.sum(ops.reshape(v, (-1, COLS)) @ tp.ones(COLS)) + ops.sum(v.reshape(ROWS, -1)), flat)
    assert g.shape == (ROWS * COLS,) and np.all(g == 2.0)


def case_ravel_then_dot() -> None:
    # A matrix raveled into a vector, inside a loss.
    w = tp.normal(ROWS, COLS, rng=0)
    target = tp.ones(ROWS * COLS)
    g = tp.grad(lambda m: ops.ravel(m) @ target + m.ravel() @ target, w)
    assert g.shape == (ROWS, COLS) and np.all(g == 2.0)


def case_transpose_without_and_with_axes() -> None:
    # transpose() reverses the axes; transpose(x, axes) moves them.
    x = tp.normal(ROWS, COLS, DEPTH, rng=0)
    assert ops.transpose(x).shape == (DEPTH, COLS, ROWS)
    assert ops.transpose(x, (1, 0, 2)).shape == (COLS, ROWS, DEPTH)
    m = tp.normal(ROWS, COLS, rng=1)
    assert ops.transpose(m).shape == (COLS, ROWS) and m.T.shape == (COLS, ROWS)


def case_bvar_transpose_methods() -> None:
    # BVar's .T and .transpose(axes) inside a loss.
    x = tp.normal(2, ROWS, COLS, rng=0)

    def loss(v: BVar[Array]) -> BVar[float]:
        moved = v.transpose(0, 2, 1)
        return ops.sum(moved @ tp.ones(ROWS)) + ops.sum(v.T)

    assert tp.grad(loss, x).shape == (2, ROWS, COLS)


def case_concatenate_features() -> None:
    # Two feature blocks joined side by side: p+q columns.
    a, b = tp.normal(ROWS, COLS, rng=0), tp.normal(ROWS, DEPTH, rng=1)
    both = joined(a, b)
    w = tp.normal(COLS + DEPTH, 2, rng=2)
    assert (both @ w).shape == (ROWS, 2)


def case_concatenate_bvars_along_rows() -> None:
    # BVars concatenated along axis 0, differentiated through.
    def loss(p: BVar[tuple[Mat, Mat]]) -> BVar[float]:
        top, bottom = p.unpack()
        return ops.sum(ops.concatenate([top, bottom], axis=0) @ tp.ones(COLS))

    g_top, g_bottom = tp.grad(loss, (tp.zeros(2, COLS), tp.zeros(ROWS, COLS)))
    assert g_top.shape == (2, COLS) and g_bottom.shape == (ROWS, COLS)


def case_stack_vectors_into_a_matrix() -> None:
    # Equal vectors stacked into rows, and into columns.
    vs = [tp.normal(COLS, rng=i) for i in range(ROWS)]
    assert ops.stack(vs).shape == (ROWS, COLS)
    assert ops.stack(vs, axis=1).shape == (COLS, ROWS)


def case_stack_scalars_of_a_loss() -> None:
    # Per-sample losses (BVar floats) stacked into a vector.
    x = tp.normal(ROWS, COLS, rng=0)

    def loss(w: BVar[Vec]) -> BVar[float]:
        per_sample: list[BVar[float]] = [ops.square(x[i] @ w) for i in range(ROWS)]
        return ops.mean(ops.stack(per_sample))

    assert tp.grad(loss, tp.ones(COLS)).shape == (COLS,)


def case_split_into_equal_parts() -> None:
    # A matrix split into equal blocks of columns, and at given indices.
    x = tp.normal(ROWS, 2 * COLS, rng=0)
    left, right = ops.split(x, 2, axis=1)
    pieces = ops.split(x, [1, 3])
    assert left.shape == (ROWS, COLS) and right.shape == (ROWS, COLS)
    assert [p.shape[0] for p in pieces] == [1, 2, 3]


def case_split_gates_in_a_loss() -> None:
    # Gates stored side by side, split apart inside the loss.
    h = tp.normal(2 * COLS, rng=0)

    def loss(v: BVar[Vec]) -> BVar[float]:
        gate, value = ops.split(v, 2)
        return ops.sum(ops.logistic(gate) * ops.tanh(value))

    assert tp.grad(loss, h).shape == (2 * COLS,)


def case_expand_dims_and_squeeze() -> None:
    # A vector as a row and as a column, and back.
    v = tp.normal(COLS, rng=0)
    row, col = ops.expand_dims(v, 0), ops.expand_dims(v, axis=1)
    assert row.shape == (1, COLS) and col.shape == (COLS, 1)
    assert ops.squeeze(row).shape == (COLS,) and ops.squeeze(col, axis=1).shape == (COLS,)


def case_outer_product_by_broadcasting_expanded_axes() -> None:
    # An outer product by a column times a row, in a loss.
    a, b = tp.normal(ROWS, rng=0), tp.normal(COLS, rng=1)

    def loss(p: BVar[tuple[Vec, Vec]]) -> BVar[float]:
        u, v = p.unpack()
        return ops.sum(ops.expand_dims(u, 1) * ops.expand_dims(v, 0))

    gu, gv = tp.grad(loss, (a, b))
    assert gu.shape == (ROWS,) and gv.shape == (COLS,)


def case_squeeze_a_single_output() -> None:
    # A one-unit output layer squeezed to a vector of predictions.
    x, w = tp.normal(ROWS, COLS, rng=0), tp.normal(COLS, 1, rng=1)
    g = tp.grad(lambda v: ops.sum(ops.squeeze(x @ v, axis=1)), w)
    assert g.shape == (COLS, 1)


def case_repeat_and_tile() -> None:
    # repeat copies each element; tile copies the whole array.
    v = tp.normal(COLS, rng=0)
    assert ops.repeat(v, 3).shape == (3 * COLS,)
    m = tp.normal(2, COLS, rng=1)
    assert ops.repeat(m, 2, axis=0).shape == (4, COLS)
    assert ops.tile(v, (ROWS, 1)).shape == (ROWS, COLS)
    g = tp.grad(lambda x: ops.sum(ops.tile(x, 3)) + ops.sum(ops.repeat(x, 2)), v)
    assert np.all(g == 5.0)


def case_pad_a_sequence() -> None:
    # A sequence padded with zeros at both ends, as before a convolution.
    x = tp.normal(ROWS, COLS, rng=0)
    padded = ops.pad(x, ((1, 1), (0, 0)))
    assert padded.shape == (ROWS + 2, COLS)
    g = tp.grad(lambda v: ops.sum(ops.pad(v, ((2, 0), (0, 0)), constant_values=1.0)), x)
    assert g.shape == (ROWS, COLS)


def case_broadcast_to_a_batch() -> None:
    # A bias vector broadcast to a batch's shape explicitly.
    b = tp.normal(COLS, rng=0)
    full = ops.broadcast_to(b, (ROWS, COLS))
    assert full.shape == (ROWS, COLS)
    g = tp.grad(lambda v: ops.sum(ops.broadcast_to(v, (ROWS, COLS))), b)
    assert np.all(g == float(ROWS))


def case_shape_queries_stay_plain() -> None:
    # ops.shape, ops.ndim and ops.size: plain values, in a loss as in plain code.
    x = tp.normal(ROWS, COLS, rng=0)
    assert ops.shape(x) == (ROWS, COLS) and ops.ndim(x) == 2 and ops.size(x) == ROWS * COLS

    def loss(v: BVar[Mat]) -> BVar[float]:
        n = ops.shape(v)[0]
        return ops.sum(v) / n

    assert tp.grad(loss, x).shape == (ROWS, COLS)
