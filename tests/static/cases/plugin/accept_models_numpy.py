"""numpy's own functions on arrays whose sizes mypy knows, their results given to `shapecheck`ed
functions and ops: matmul, dot, einsum, concatenate, stack, reshape, transpose, expand_dims,
squeeze, sum and mean. Every case runs, and mypy accepts it."""

# ruff: noqa: E501
# fmt: off

from typing import Final

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import Array, Mat, Vec, ops

ROWS: Final = 6
COLS: Final[int] = 4
DEPTH: Final = 3


@tp.shapecheck
def project(x: Float[Mat, "n d"], w: Float[Mat, "d k"]) -> Float[Mat, "n k"]:
    return ops.matmul(x, w)


@tp.shapecheck
def score(v: Float[Vec, " d"], w: Float[Vec, " d"]) -> float:
    return float(v @ w)


def case_np_matmul_and_dot() -> None:
    # np.matmul and np.dot of sized matrices, fed to a checked function.
    a, b = tp.normal(ROWS, COLS, rng=0), tp.normal(COLS, DEPTH, rng=1)
    c = np.matmul(a, b)
    d = np.dot(a, b)
    assert c.shape == d.shape == (ROWS, DEPTH)
    assert project(c, tp.normal(DEPTH, 2, rng=2)).shape == (ROWS, 2)


def case_np_einsum() -> None:
    # np.einsum with labels across operands.
    a, b = tp.normal(ROWS, COLS, rng=0), tp.normal(COLS, DEPTH, rng=1)
    c = np.einsum("ij,jk->ik", a, b)
    assert c.shape == (ROWS, DEPTH) and np.allclose(c, a @ b)


def case_np_concatenate_and_stack() -> None:
    # Rows joined by np.concatenate, vectors by np.stack.
    top, bottom = tp.normal(2, COLS, rng=0), tp.normal(ROWS, COLS, rng=1)
    both = np.concatenate([top, bottom])
    stacked = np.stack([tp.ones(COLS), tp.zeros(COLS)])
    side = np.concatenate([top, top], axis=1)
    assert both.shape == (ROWS + 2, COLS) and stacked.shape == (2, COLS) and side.shape == (2, 2 * COLS)


def case_np_reshape_and_transpose() -> None:
    # np.reshape with -1 and np.transpose with and without axes.
    x = tp.normal(ROWS * COLS, rng=0)
    m = np.reshape(x, (ROWS, -1))
    assert m.shape == (ROWS, COLS) and np.transpose(m).shape == (COLS, ROWS)
    cube = tp.normal(ROWS, COLS, DEPTH, rng=1)
    assert np.transpose(cube, (2, 0, 1)).shape == (DEPTH, ROWS, COLS)


def case_np_expand_dims_and_squeeze() -> None:
    # np.expand_dims and np.squeeze around a size-1 axis.
    v = tp.normal(COLS, rng=0)
    col = np.expand_dims(v, axis=1)
    assert col.shape == (COLS, 1) and np.squeeze(col).shape == (COLS,)
    assert score(np.squeeze(col), v) == score(v, v)


def case_np_sum_and_mean() -> None:
    # np.sum and np.mean over axes, kept and not.
    x = tp.normal(ROWS, COLS, rng=0)
    assert np.sum(x, axis=0).shape == (COLS,) and np.mean(x, axis=1).shape == (ROWS,)
    assert np.sum(x, axis=1, keepdims=True).shape == (ROWS, 1)
    assert np.isclose(np.mean(x), x.mean())


def case_numpy_methods_with_keepdims() -> None:
    # .sum, .mean and .max methods with axis and keepdims.
    x = tp.normal(ROWS, COLS, rng=0)
    centered = x - x.mean(axis=0, keepdims=True)
    peak = x.max(axis=1, keepdims=True)
    assert centered.shape == (ROWS, COLS) and peak.shape == (ROWS, 1)
    assert x.sum(axis=0).shape == (COLS,)


def case_numpy_elementwise_then_ops() -> None:
    # np.exp and np.log results given to ops.
    x = tp.normal(ROWS, COLS, rng=0)
    e = np.exp(x)
    probs = e / e.sum(axis=1, keepdims=True)
    assert np.allclose(probs, ops.softmax(x, axis=1))
    assert np.allclose(np.log(probs), ops.log_softmax(x, axis=1))


def case_numpy_arrays_from_arange_and_linspace() -> None:
    # Arrays from np.arange and np.linspace combined with sized arrays.
    grid = np.linspace(0.0, 1.0, COLS)
    x = tp.ones(ROWS, COLS) * grid
    ramp = np.arange(ROWS, dtype=np.float64)[:, None]
    assert (x + ramp).shape == (ROWS, COLS)


def case_reshape_method_with_minus_one() -> None:
    # .reshape with -1 in either place.
    x = tp.normal(ROWS, COLS, rng=0)
    assert x.reshape(-1).shape == (ROWS * COLS,)
    assert x.reshape(2, -1).shape == (2, ROWS * COLS // 2)
    assert x.reshape(-1, 2, 2).shape == (ROWS, 2, 2)


def case_transpose_method_with_axes() -> None:
    # .transpose with an axes tuple and with separate axes.
    cube = tp.normal(ROWS, COLS, DEPTH, rng=0)
    assert cube.transpose((1, 0, 2)).shape == (COLS, ROWS, DEPTH)
    assert cube.transpose(2, 1, 0).shape == (DEPTH, COLS, ROWS)


def case_numpy_linalg_on_sized_arrays() -> None:
    # np.linalg results: a norm per row, an inverse, an outer product.
    x = tp.normal(ROWS, COLS, rng=0)
    norms = np.linalg.norm(x, axis=1)
    a = x.T @ x + np.eye(COLS)
    inv = np.linalg.inv(a)
    outer = np.outer(tp.ones(ROWS), tp.ones(COLS))
    assert norms.shape == (ROWS,) and inv.shape == (COLS, COLS) and outer.shape == (ROWS, COLS)


def case_numpy_where_and_maximum() -> None:
    # np.where and np.maximum as a ReLU on sized arrays.
    x = tp.normal(ROWS, COLS, rng=0)
    assert np.array_equal(np.where(x > 0, x, 0.0), np.maximum(x, 0.0))


def case_astype_keeps_the_array() -> None:
    # astype(np.float32) on a sized array, then an op in float32.
    w = tp.normal(DEPTH, COLS, rng=0).astype(np.float32)
    x = tp.ones(COLS).astype(np.float32)
    y: Array = ops.matvec(w, x)
    assert y.dtype == np.float32 and y.shape == (DEPTH,)
