"""Static sizes flow from constructors, Final constants, annotations and casts through checked
calls to their results."""

# Marker comments hold whole mypy messages: long lines, kept as written.
# ruff: noqa: E501
# fmt: off

from collections.abc import Callable
from typing import Final, cast, reveal_type

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import Array, BVar, Mat, Vec, ops

IN: Final = 784
HIDDEN: Final = 300


@tp.shapecheck
def dense(w: Float[Mat, "o i"], b: Float[Vec, " o"], x: Float[Vec, " i"]) -> Float[Vec, " o"]:
    return w @ x + b


@tp.shapecheck
def head(x: Float[Vec, " n"]) -> Float[Vec, " 10"]:
    return tp.zeros(10)


@tp.op1
def softsign(x: Float[Vec, " n"]) -> tuple[Float[Vec, " n"], Callable[[Vec], Vec]]:
    return x / (1.0 + np.abs(x)), lambda g: g / (1.0 + np.abs(x)) ** 2


def case_zeros() -> None:
    reveal_type(tp.zeros(32, 784))  # N: Revealed type is "numpy.ndarray[tuple[int, int], numpy.dtype[numpy.float64]]"
    tp.reveal_shape(tp.zeros(32, 784))  # N: Static shape is (32, 784)


def case_reveal_shape() -> None:
    # What the plugin knows: sizes, names and arithmetic, unknown sizes, no axes.
    tp.reveal_shape(tp.zeros(8, 2 * HIDDEN))  # N: Static shape is (8, 600)
    tp.reveal_shape(ops.concatenate([tp.zeros(3, 4), tp.zeros(3, 5)], axis=1))  # N: Static shape is (3, 9)
    tp.reveal_shape(tp.zeros(32, IN).reshape(32, 28, -1))  # N: Static shape is (32, 28, 28)
    tp.reveal_shape(np.exp(tp.zeros(3)))  # N: Static shape is (3,)
    tp.reveal_shape(np.asarray([1.0, 2.0]))  # N: Static shape is unknown
    tp.reveal_shape(1.0)  # N: Static shape is ()


def case_reveal_shape_by_name(a: Float[Mat, "b h"], b: Float[Mat, "b h"]) -> None:
    # A function's own dimension names, and arithmetic on them.
    tp.reveal_shape(ops.concatenate([a, b], axis=1))  # N: Static shape is (b, 2*h)
    tp.reveal_shape(a.T @ b)  # N: Static shape is (h, h)


def case_ones_final() -> None:
    reveal_type(tp.ones(IN))  # N: Revealed type is "numpy.ndarray[tuple[int], numpy.dtype[numpy.float64]]"


def case_normal() -> None:
    reveal_type(tp.normal(HIDDEN, IN, scale=0.1, rng=0))  # N: Revealed type is "numpy.ndarray[tuple[int, int], numpy.dtype[numpy.float64]]"


def case_three_axes() -> None:
    reveal_type(tp.zeros(2, 3, 4))  # N: Revealed type is "numpy.ndarray[tuple[int, int, int], numpy.dtype[numpy.float64]]"


def case_partly_known(n: int) -> None:
    reveal_type(tp.zeros(n, 3))  # N: Revealed type is "numpy.ndarray[tuple[int, int], numpy.dtype[numpy.float64]]"


def case_astype() -> None:
    reveal_type(tp.zeros(3).astype(np.float32))  # N: Revealed type is "numpy.ndarray[tuple[int], numpy.dtype[numpy.floating[numpy._typing._nbit_base._32Bit]]]"


def case_matvec_result() -> None:
    reveal_type(ops.matvec(tp.zeros(HIDDEN, IN), tp.zeros(IN)))  # N: Revealed type is "numpy.ndarray[tuple[int], numpy.dtype[numpy.floating[Any]]]"


def case_linear_one_sample() -> None:
    y = ops.linear(tp.zeros(HIDDEN, IN), tp.zeros(IN), tp.zeros(HIDDEN))
    reveal_type(y)  # N: Revealed type is "numpy.ndarray[tuple[Any, ...], numpy.dtype[numpy.floating[Any]]]"


def case_linear_batch() -> None:
    y = ops.linear(tp.zeros(HIDDEN, IN), tp.zeros(32, IN), tp.zeros(HIDDEN))
    reveal_type(y)  # N: Revealed type is "numpy.ndarray[tuple[Any, ...], numpy.dtype[numpy.floating[Any]]]"


def case_bvar_result(w: BVar[Float[Mat, "300 784"]], x: BVar[Vec]) -> None:
    # The output's size comes from w's annotation, whatever x's size is.
    reveal_type(ops.matvec(w, x))  # N: Revealed type is "typedprop._core.bvar.BVar[numpy.ndarray[tuple[int], numpy.dtype[numpy.floating[Any]]]]"


def case_transpose_result() -> None:
    reveal_type(tp.zeros(2, 3).T)  # N: Revealed type is "numpy.ndarray[tuple[int, int], numpy.dtype[numpy.float64]]"


def case_bvar_transpose(w: BVar[Float[Mat, "2 3"]]) -> None:
    reveal_type(w.T)  # N: Revealed type is "typedprop._core.bvar.BVar[numpy.ndarray[tuple[int, int], numpy.dtype[numpy.floating[Any]]]]"


def case_checked_function_result() -> None:
    y = dense(tp.zeros(HIDDEN, IN), tp.zeros(HIDDEN), tp.zeros(IN))
    reveal_type(y)  # N: Revealed type is "numpy.ndarray[tuple[int], numpy.dtype[numpy.floating[Any]]]"


def case_fixed_return_size(x: Vec) -> None:
    reveal_type(head(x))  # N: Revealed type is "numpy.ndarray[tuple[int], numpy.dtype[numpy.floating[Any]]]"


def case_op1_result() -> None:
    reveal_type(softsign(tp.zeros(5)))  # N: Revealed type is "numpy.ndarray[tuple[int], numpy.dtype[numpy.floating[Any]]]"


def case_cast_then_op() -> None:
    x = cast(Float[Vec, " 784"], np.zeros(784))
    reveal_type(ops.matvec(tp.zeros(5, IN), x))  # N: Revealed type is "numpy.ndarray[tuple[int], numpy.dtype[numpy.floating[Any]]]"


def case_annotation_then_op() -> None:
    x: Float[Vec, " 784"] = np.zeros(784)
    reveal_type(ops.matvec(tp.zeros(5, IN), x))  # N: Revealed type is "numpy.ndarray[tuple[int], numpy.dtype[numpy.floating[Any]]]"


def case_unbound_output_stays_unknown() -> None:
    # numpy arrays give no size, so the output's m is unknown.
    reveal_type(ops.matvec(np.zeros((3, 4)), np.zeros(4)))  # N: Revealed type is "numpy.ndarray[tuple[int], numpy.dtype[numpy.floating[Any]]]"


def case_either_size_is_unknown(flag: bool) -> None:
    x = tp.zeros(3) if flag else tp.zeros(4)
    reveal_type(x)  # N: Revealed type is "numpy.ndarray[tuple[int], numpy.dtype[numpy.float64]]"
    ops.matvec(tp.zeros(2, 3), x)


def case_two_layer_network() -> None:
    w1, b1 = tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN)
    w2, b2 = tp.normal(10, HIDDEN, rng=0), tp.zeros(10)
    h: Array = ops.logistic(ops.linear(w1, tp.zeros(IN), b1))
    out = ops.linear(w2, h, b2)
    reveal_type(out)  # N: Revealed type is "numpy.ndarray[tuple[Any, ...], numpy.dtype[numpy.floating[Any]]]"
