"""Broadcastable, variadic, anonymous and symbolic dimensions are left to the runtime check;
generic helpers keep what they are given."""

# Marker comments hold whole mypy messages: long lines, kept as written.
# ruff: noqa: E501
# fmt: off

from collections.abc import Callable
from typing import Final, TypeVar, reveal_type

from jaxtyping import Float

import typedprop as tp
from typedprop import Array, Mat, Vec, ops

IN: Final = 784
T = TypeVar("T")


@tp.shapecheck
def add_bias(x: Float[Array, "*batch n"], b: Float[Array, "#n"]) -> Float[Array, "*batch n"]:
    return x + b


@tp.shapecheck
def batched(x: Float[Array, "*batch n"], y: Float[Array, "*batch n"]) -> Float[Array, "*batch"]:
    total: Array = (x * y).sum(axis=-1)
    return total


@tp.shapecheck
def anonymous(x: Float[Mat, "_ n"], y: Float[Vec, " n"]) -> Float[Vec, " _"]:
    return x @ y


@tp.shapecheck
def symbolic(x: Float[Vec, " n"], y: Float[Vec, " n+1"]) -> float:
    return float(x @ y[1:])


@tp.shapecheck
def anything(x: Float[Array, "..."], y: Float[Array, "... 3"]) -> None:
    pass


def identity(x: T) -> T:
    return x


def apply(f: Callable[[T], T], x: T) -> T:
    return f(x)


def case_broadcastable_dimension() -> None:
    add_bias(tp.zeros(5, 3), tp.zeros(1))


def case_broadcastable_batch() -> None:
    add_bias(tp.zeros(7, 5, 3), tp.zeros(3))


def case_variadic_batches_left_to_runtime() -> None:
    # The batches differ, (2,) and (5,): jaxtyping says so at run time, the plugin does not.
    batched(tp.zeros(2, 3), tp.zeros(5, 3))


def case_variadic_matching_tail() -> None:
    batched(tp.zeros(2, 4, 3), tp.zeros(2, 4, 3))


def case_linear_with_a_batch() -> None:
    ops.linear(tp.zeros(10, IN), tp.zeros(8, 32, IN), tp.zeros(10))


def case_anonymous_dimension() -> None:
    anonymous(tp.zeros(3, 4), tp.zeros(4))
    anonymous(tp.zeros(7, 4), tp.zeros(4))


def case_symbolic_dimension() -> None:
    symbolic(tp.zeros(3), tp.zeros(4))


def case_ellipsis() -> None:
    anything(tp.zeros(2, 2), tp.zeros(4, 3))


def case_generic_identity() -> None:
    x = identity(tp.zeros(3))
    reveal_type(x)  # N: Revealed type is "numpy.ndarray[tuple[int], numpy.dtype[numpy.float64]]"
    ops.matvec(tp.zeros(2, 3), x)


def case_generic_apply() -> None:
    y = apply(lambda v: v, tp.zeros(3))
    ops.matvec(tp.zeros(2, 3), y)


def case_elementwise_keeps_sizes() -> None:
    x = ops.tanh(tp.zeros(4))
    reveal_type(x)  # N: Revealed type is "numpy.ndarray[tuple[int], numpy.dtype[numpy.float64]]"
    ops.matvec(tp.zeros(2, 4), x)


def case_broadcasting_joins_sizes() -> None:
    x = ops.add(tp.zeros(4), tp.zeros(1))
    reveal_type(x)  # N: Revealed type is "numpy.ndarray[tuple[int], numpy.dtype[numpy.float64]]"


def case_rebinding_with_an_annotation() -> None:
    # A variable inferred from a sized value keeps that size; annotate it to rebind it.
    h: Vec = tp.zeros(3)
    h = tp.zeros(4)
    ops.matvec(tp.zeros(2, 4), h)
