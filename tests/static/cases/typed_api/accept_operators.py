"""Accepted: BVar's operators `+ - * / ** @` and unary `-` on `BVar[float]`, `BVar[Vec]` and
`BVar[Mat]`, mixed with floats on either side and with plain arrays on the right. Same types
keep their type, a scalar with an array is the array, `Mat @ Vec` is a `Vec` and `Vec @ Vec` a
float.

A plain array on the LEFT of a BVar (`vec() * v`) gives a BVar too. Arrays typed float64 by
numpy's own constructors fit where `Vec` and `Mat` are expected (BVar is covariant).

Checked by mypy only (tests/static/test_static.py); nothing here runs.
"""

from typing import assert_type

import numpy as np

import typedprop as tp
from typedprop import Array, BVar, Mat, Vec


def mat() -> Mat:
    return np.zeros((2, 2))


def vec() -> Vec:
    return np.zeros(2)


def scalar_operators(x: BVar[float], y: BVar[float]) -> None:
    # Scalars with scalars and with floats on either side stay BVar[float].
    assert_type(x + y, BVar[float])
    assert_type(x + 1.0, BVar[float])
    assert_type(1.0 + x, BVar[float])
    assert_type(x + 1, BVar[float])
    assert_type(x - y, BVar[float])
    assert_type(2.0 - x, BVar[float])
    assert_type(x * y, BVar[float])
    assert_type(2.0 * x, BVar[float])
    assert_type(x / 2.0, BVar[float])
    assert_type(2.0 / x, BVar[float])
    assert_type(x**2.0, BVar[float])
    assert_type(x**y, BVar[float])
    assert_type(2.0**x, BVar[float])
    assert_type(-x, BVar[float])


def vector_operators(v: BVar[Vec], u: BVar[Vec]) -> None:
    # Vectors with vectors, plain vectors and floats (either side) stay BVar[Vec].
    assert_type(v + u, BVar[Vec])
    assert_type(v + vec(), BVar[Vec])
    assert_type(v - vec(), BVar[Vec])
    assert_type(v * u, BVar[Vec])
    assert_type(v / 2.0, BVar[Vec])
    assert_type(2.0 / v, BVar[Vec])
    assert_type(v * 3.0, BVar[Vec])
    assert_type(3.0 * v, BVar[Vec])
    assert_type(v**2.0, BVar[Vec])
    assert_type(-v, BVar[Vec])


def matrix_operators(m: BVar[Mat], n: BVar[Mat]) -> None:
    # Matrices with matrices, plain matrices and floats stay BVar[Mat].
    assert_type(m + n, BVar[Mat])
    assert_type(m - mat(), BVar[Mat])
    assert_type(m * 2.0, BVar[Mat])
    assert_type(2.0 * m, BVar[Mat])
    assert_type(m**2.0, BVar[Mat])
    assert_type(-m, BVar[Mat])


def scalar_bvar_with_arrays(x: BVar[float], v: BVar[Vec]) -> None:
    # A scalar BVar with an array (a BVar or a plain one) is an array BVar of that rank.
    assert_type(x * v, BVar[Vec])
    assert_type(x + vec(), BVar[Vec])
    assert_type(x - mat(), BVar[Mat])


def broadcasting_loses_rank(v: BVar[Vec], m: BVar[Mat]) -> None:
    # Arrays of different ranks broadcast to an array of a rank mypy does not know.
    assert_type(v + m, BVar[Array])
    assert_type(m * vec(), BVar[Array])


def matmul_ranks(m: BVar[Mat], n: BVar[Mat], v: BVar[Vec], u: BVar[Vec]) -> None:
    # @ follows the ranks: Mat @ Vec is Vec, Vec @ Vec is float, Mat @ Mat is Mat, Vec @ Mat is Vec.
    assert_type(m @ v, BVar[Vec])
    assert_type(v @ u, BVar[float])
    assert_type(m @ n, BVar[Mat])
    assert_type(v @ m, BVar[Vec])


def matmul_with_plain_arrays(m: BVar[Mat], v: BVar[Vec]) -> None:
    # ... with a plain array on the right too.
    assert_type(m @ vec(), BVar[Vec])
    assert_type(v @ vec(), BVar[float])
    assert_type(m @ mat(), BVar[Mat])


def expressions_compose(w: BVar[Mat], x: BVar[Vec], s: BVar[float]) -> None:
    # A small layer: the types flow through a whole expression.
    y = w @ x + vec()
    assert_type(y, BVar[Vec])
    assert_type(s * (y @ y) - 1.0, BVar[float])


def plain_array_on_the_left(x: BVar[float], v: BVar[Vec], m: BVar[Mat]) -> None:
    # A plain array on the left of a BVar operator runs BVar's reflected operator (BVar sets
    # __array_ufunc__ = None), and mypy types the result as a BVar (BVar hides its refusing
    # __array__ from type checkers, so numpy's stubs do not take it for an array).
    assert_type(vec() + v, BVar[Vec])
    assert_type(vec() - v, BVar[Vec])
    assert_type(vec() * v, BVar[Vec])
    assert_type(vec() / v, BVar[Vec])
    assert_type(mat() - m, BVar[Mat])
    assert_type(vec() * x, BVar[Vec])
    assert_type(mat() @ v, BVar[Vec])
    assert_type(vec() @ v, BVar[float])
    assert_type(vec() @ m, BVar[Vec])
    assert_type(mat() @ m, BVar[Mat])


def array_bvar_times_scalar_bvar(x: BVar[float], v: BVar[Vec]) -> None:
    # A vector BVar with a scalar BVar keeps the vector's type, on either side.
    assert_type(v * x, BVar[Vec])
    assert_type(v + x, BVar[Vec])


def array_bvar_to_a_scalar_bvar_power(x: BVar[float], v: BVar[Vec]) -> None:
    # An array BVar to the power of a scalar BVar keeps the array's type.
    assert_type(v**x, BVar[Vec])


def float64_arrays_fit_vec_and_mat_ops() -> None:
    # np.ones gives ndarray[tuple[int], dtype[float64]]: a BVar of it fits a Vec-typed op.
    def loss(v: BVar[Vec]) -> BVar[float]:
        return v @ v

    assert_type(tp.grad(loss, np.ones(3)), np.ndarray[tuple[int], np.dtype[np.float64]])
    assert_type(tp.grad(lambda v: v @ v, np.ones(3)), np.ndarray[tuple[int], np.dtype[np.float64]])


def float64_bvar_into_vec_operators(v: BVar[np.ndarray[tuple[int], np.dtype[np.float64]]]) -> None:
    w: BVar[Vec] = v
    assert_type(w @ w, BVar[float])
    assert_type(v * 2.0, BVar[np.ndarray[tuple[int], np.dtype[np.float64]]])
