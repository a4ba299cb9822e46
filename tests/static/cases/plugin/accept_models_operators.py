"""Python's operators on sized arrays and BVars, as model code uses them: `@ + - * / **` and unary
minus, with broadcasting over size-1 axes and missing leading axes, arrays and numbers on either
side of a BVar, and `.T`. Every case runs, and mypy accepts it."""

# ruff: noqa: E501
# fmt: off

from typing import Final

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import Array, BVar, Mat, Vec

BATCH: Final = 5
IN: Final[int] = 4
OUT: Final = 3


@tp.shapecheck
def affine(x: Float[Mat, "b i"], w: Float[Mat, "i o"], bias: Float[Vec, " o"]) -> Float[Mat, "b o"]:
    return x @ w + bias


def case_matmul_operator_on_arrays() -> None:
    # @ between matrices and vectors.
    x, w, v = tp.normal(BATCH, IN, rng=0), tp.normal(IN, OUT, rng=1), tp.normal(IN, rng=2)
    assert (x @ w).shape == (BATCH, OUT) and (x @ v).shape == (BATCH,) and (w.T @ v).shape == (OUT,)
    assert affine(x, w, tp.zeros(OUT)).shape == (BATCH, OUT)


def case_broadcast_a_row_over_a_batch() -> None:
    # A bias of shape (o,) added to a batch (b, o): rank extension.
    y = tp.normal(BATCH, OUT, rng=0) + tp.ones(OUT)
    assert y.shape == (BATCH, OUT)


def case_broadcast_size_one_axes() -> None:
    # (b, 1) against (1, o) and against (b, o): size-1 axes stretch.
    col, row = tp.normal(BATCH, 1, rng=0), tp.normal(1, OUT, rng=1)
    grid = col * row
    scaled = tp.normal(BATCH, OUT, rng=2) / (col + 10.0)
    assert grid.shape == (BATCH, OUT) and scaled.shape == (BATCH, OUT)


def case_broadcast_three_axes() -> None:
    # A (b, 1, o) array against an (i, o) one gives (b, i, o).
    a, b = tp.normal(BATCH, 1, OUT, rng=0), tp.normal(IN, OUT, rng=1)
    assert (a - b).shape == (BATCH, IN, OUT)


def case_powers_and_numbers() -> None:
    # ** with a number, numbers on either side of an array.
    x = tp.normal(BATCH, IN, rng=0)
    y = 2.0 * x**2 - 1.0 / (1.0 + x * x)
    assert y.shape == (BATCH, IN)


def case_transpose_attribute() -> None:
    # x.T of a matrix, and of a 3-D array.
    assert tp.zeros(IN, OUT).T.shape == (OUT, IN)
    assert tp.zeros(2, IN, OUT).T.shape == (OUT, IN, 2)


def case_bvar_operators_in_a_loss() -> None:
    # BVar @ + - * / ** and unary minus in a loss, mixed with arrays and numbers.
    x, target = tp.normal(BATCH, IN, rng=0), tp.normal(BATCH, OUT, rng=1)

    def loss(w: BVar[Mat]) -> BVar[float]:
        y = x @ w
        err = y - target
        scaled = -(err * 0.5) / 2.0
        return (scaled**2).sum() + (w * w).sum() * 1e-3

    assert tp.grad(loss, tp.normal(IN, OUT, rng=2)).shape == (IN, OUT)


def case_array_on_the_left_of_a_bvar() -> None:
    # Plain arrays on the left: array + BVar, array * BVar, array @ BVar, number - BVar.
    x = tp.normal(BATCH, IN, rng=0)
    shift = tp.ones(IN)

    def loss(v: BVar[Vec]) -> BVar[float]:
        a = shift + v
        b = shift * v
        c = x @ v
        d = 1.0 - v
        return a @ b + c.sum() + d.sum() + (2.0 ** v).sum()

    assert tp.grad(loss, tp.normal(IN, rng=1)).shape == (IN,)


def case_bvar_bias_broadcast_over_a_batch() -> None:
    # A BVar bias (o,) added to a batch of outputs (b, o); its gradient sums over the batch.
    x = tp.normal(BATCH, IN, rng=0)
    w = tp.normal(IN, OUT, rng=1)

    def loss(b: BVar[Vec]) -> BVar[float]:
        return (x @ w + b).sum()

    g = tp.grad(loss, tp.zeros(OUT))
    assert g.shape == (OUT,) and np.allclose(g, float(BATCH))


def case_bvar_column_times_row() -> None:
    # A (b, 1) BVar times a (1, o) array: an outer product by broadcasting.
    row = tp.normal(1, OUT, rng=0)

    def loss(c: BVar[Mat]) -> BVar[float]:
        return (c * row).sum()

    assert tp.grad(loss, tp.ones(BATCH, 1)).shape == (BATCH, 1)


def case_bvar_transpose_attribute() -> None:
    # w.T on a BVar, in a tied-weights reconstruction.
    x = tp.normal(BATCH, IN, rng=0)

    def loss(w: BVar[Mat]) -> BVar[float]:
        code = x @ w
        recon = code @ w.T
        return ((recon - x) ** 2).mean()

    assert tp.grad(loss, tp.normal(IN, OUT, rng=1)).shape == (IN, OUT)


def case_bvar_scalars() -> None:
    # Scalar BVars with numbers on both sides.
    def f(t: BVar[float]) -> BVar[float]:
        return 3.0 * t**2 - t / 2.0 + 1.0 / (t + 2.0) - (-t)

    value, g = tp.backprop(f, 1.0)
    assert np.isclose(value, 3.0 - 0.5 + 1.0 / 3.0 + 1.0) and g > 0.0


def case_two_bvars_broadcast() -> None:
    # Two BVars of different ranks: (b, o) - (o,).
    def loss(p: BVar[tuple[Mat, Vec]]) -> BVar[float]:
        a, mu = p.unpack()
        return ((a - mu) ** 2).sum()

    ga, gmu = tp.grad(loss, (tp.normal(BATCH, OUT, rng=0), tp.zeros(OUT)))
    assert ga.shape == (BATCH, OUT) and gmu.shape == (OUT,)


def case_operators_in_float32() -> None:
    # float32 arrays with float32 BVars stay float32.
    x = tp.normal(BATCH, IN, rng=0, dtype=np.float32)

    def loss(w: BVar[Array]) -> BVar[float]:
        return ((x @ w) ** 2).sum()

    g = tp.grad(loss, tp.normal(IN, OUT, rng=1, dtype=np.float32))
    assert g.dtype == np.float32
