"""Known holes: calls that a complete static check would reject but the plugin accepts. Each
case says why. If the plugin learns to reject one, its test fails: move the case to a reject
file."""

# Marker comments hold whole mypy messages: long lines, kept as written.
# ruff: noqa: E501
# fmt: off

from collections.abc import Callable
from typing import TypeAlias

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import Mat, Vec

W: TypeAlias = Float[Mat, "3 4"]


@tp.shapecheck
def dense(w: Float[Mat, "o i"], x: Float[Vec, " i"]) -> Float[Vec, " o"]:
    return w @ x


def case_call_through_a_local_function_value() -> None:
    # mypy gives no plugin hook the callee of a call through a local variable.
    f = dense
    f(tp.zeros(3, 4), tp.zeros(5))


def case_call_through_a_lambda() -> None:
    g: Callable[[Mat, Vec], Vec] = lambda w, x: dense(w, x)  # noqa: E731
    g(tp.zeros(3, 4), tp.zeros(5))


def case_type_alias() -> None:
    # mypy drops Annotated's arguments in a type alias before the plugin sees them.
    w: W = np.zeros((3, 4))
    dense(w, tp.zeros(5))


def case_local_checked_function() -> None:
    # A function defined inside another one has no global name for the plugin to look up.
    @tp.shapecheck
    def inner(x: Float[Vec, " 3"]) -> Float[Vec, " 3"]:
        return x

    inner(tp.zeros(5))


@tp.shapecheck
def case_return_in_a_deferred_body(x: Float[Vec, " 3"]) -> Float[Vec, " 2"]:
    # The body uses a module variable defined further down: mypy defers it, and checks it again
    # later where no plugin hook sees its return statements.
    return LATER


LATER = tp.zeros(4)
