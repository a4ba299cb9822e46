"""Gradual: where mypy does not know a size, nothing is reported; code without static sizes sees
no new errors."""

# Marker comments hold whole mypy messages: long lines, kept as written.
# ruff: noqa: E501
# fmt: off

from collections.abc import Callable
from typing import Any, Final, NamedTuple

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import Array, BVar, Mat, Vec, ops

IN: Final = 784


@tp.shapecheck
def dense(w: Float[Mat, "o i"], b: Float[Vec, " o"], x: Float[Vec, " i"]) -> Float[Vec, " o"]:
    return w @ x + b


@tp.shapecheck
def pixels(x: Float[Vec, " 784"]) -> Float[Vec, " 784"]:
    return x


def undecorated(w: Float[Mat, "o i"], x: Float[Vec, " i"]) -> Float[Vec, " o"]:
    return w @ x


def case_plain_numpy_arrays() -> None:
    # numpy's constructors type the rank, not the sizes.
    ops.matvec(np.zeros((3, 4)), np.zeros(5))
    dense(np.zeros((3, 4)), np.zeros(7), np.zeros(5))


def case_numpy_results() -> None:
    w = tp.zeros(3, 4)
    x = np.exp(tp.zeros(4))
    ops.matvec(w, x)
    ops.matvec(w.T, w @ tp.zeros(4))


def case_untyped_arrays(w: np.ndarray[Any, Any], x: Array) -> None:
    ops.matvec(w, x)
    pixels(x)


def case_any(x: Any) -> None:
    ops.matvec(tp.zeros(3, 4), x)
    pixels(x)


def case_unknown_size_from_a_variable(n: int) -> None:
    # `n` is an int, not a literal: its size is unknown.
    ops.matvec(tp.zeros(3, 4), tp.zeros(n))
    pixels(tp.zeros(n))


def case_named_dimensions_of_the_enclosing_function(
    w: Float[Mat, "m n"], x: Float[Vec, " k"]
) -> None:
    # n and k are names; inside this function their sizes are unknown.
    ops.matvec(w, x)
    pixels(x)


@tp.shapecheck
def case_names_inside_a_checked_function(
    w: Float[Mat, "m n"], x: Float[Vec, " m"]
) -> Float[Vec, " m"]:
    return ops.matvec(w, x)


def case_undecorated_function_is_not_bound() -> None:
    # Without shapecheck, jaxtyping binds no dimension across the arguments at run time, and
    # the plugin checks nothing either.
    undecorated(tp.zeros(3, 4), tp.zeros(5))


def case_correct_sizes() -> None:
    w1, w2 = tp.normal(128, IN, rng=0), tp.normal(10, 128, rng=0)
    h = ops.matvec(w1, tp.zeros(IN))
    ops.matvec(w2, h)
    dense(w1, tp.zeros(128), tp.zeros(IN))
    pixels(tp.ones(IN))


def case_correct_transpose() -> None:
    w = tp.zeros(IN, 128)
    ops.matvec(w.T, tp.zeros(IN))
    ops.matvec(w.transpose(), tp.zeros(IN))
    ops.matvec(ops.transpose(w), tp.zeros(IN))


def case_axes_moved_forget_sizes() -> None:
    w = tp.zeros(IN, 128)
    ops.matvec(np.swapaxes(w, 0, 1), tp.zeros(IN))
    ops.matvec(w.transpose(1, 0), tp.zeros(IN))
    ops.matvec(w.swapaxes(0, 1), tp.zeros(IN))


def case_ops_without_shapes() -> None:
    # Ops whose rule needs nothing of sizes (concatenation on axis 0, elementwise) accept any.
    x = tp.zeros(3)
    ops.concatenate([x, tp.zeros(4)])
    ops.exp(x)


def case_callable_without_hints() -> None:
    # A Callable type has no jaxtyping hints to check.
    f: Callable[[Mat, Vec], Vec] = ops.matvec
    f(tp.zeros(3, 4), tp.zeros(5))


def case_rank_mismatch_is_mypy_s_business() -> None:
    # A hint whose rank differs from the argument's is not a dimension question: mypy's own
    # arg-type check (or the runtime) says so; the plugin adds nothing.
    f: Any = dense
    f(tp.zeros(3), tp.zeros(3), tp.zeros(3))


def case_without_static_sizes(p: BVar[tuple[Mat, Vec]], x: Vec) -> BVar[Vec]:
    w, b = p.unpack()
    return ops.matvec(w, x) + b


@tp.shapecheck
class Dense(NamedTuple):
    w: Float[Mat, "out in"]
    b: Float[Vec, " out"]


class Unchecked(NamedTuple):
    w: Float[Mat, "out in"]
    b: Float[Vec, " out"]


def case_checked_class_right_and_unknown_sizes(n: int) -> None:
    Dense(tp.normal(3, IN), tp.zeros(3))
    Dense(tp.normal(n, IN), tp.zeros(3))
    Dense(np.zeros((3, 4)), np.zeros(5))  # numpy's sizes: left to the run time


def case_class_without_shapecheck() -> None:
    # Like an undecorated function: jaxtyping alone does not bind `out` across fields.
    Unchecked(tp.normal(3, IN), tp.zeros(4))


def case_rebuilding_is_not_a_call() -> None:
    Dense._make([tp.normal(3, IN), tp.zeros(4)])
