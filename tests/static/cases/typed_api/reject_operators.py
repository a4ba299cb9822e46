"""Rejected: operators on BVars of types they do not apply to, and results put into names of
the wrong rank.

Each rejected line ends in `# E: message  [code]`, the message with `...` for what it leaves
out; tests/static/test_static.py checks both. Checked by mypy only.
"""

import numpy as np

from typedprop import BVar, Mat, Vec


def mat() -> Mat:
    return np.zeros((2, 2))


def vec() -> Vec:
    return np.zeros(2)


def matrix_times_vector_is_a_vector(m: BVar[Mat], v: BVar[Vec]) -> None:
    # Mat @ Vec is a vector BVar, not a matrix one.
    y: BVar[Mat] = m @ v  # E: ...expression has type "BVar[Vec]", variable has type "BVar[Mat]"...  [assignment]


def vector_dot_vector_is_a_float(v: BVar[Vec]) -> None:
    # Vec @ Vec is a scalar BVar.
    y: BVar[Vec] = v @ v  # E: ...expression has type "BVar[float]", variable has type "BVar[Vec]"...  [assignment]


def operators_give_bvars(v: BVar[Vec]) -> None:
    # v + 1.0 is a BVar, not a plain array.
    y: Vec = v + 1.0  # E: ...expression has type "BVar[Vec]", variable has type "Vec"...  [assignment]


def no_matmul_of_scalars(x: BVar[float]) -> None:
    # @ needs arrays.
    x @ x  # E: ...  [misc]  # E: Unsupported operand types for @ ("BVar[float]" and "BVar[float]")  [operator]


def no_matmul_with_a_float(m: BVar[Mat]) -> None:
    # @ with a float is no matrix product either.
    m @ 2.0  # E: No overload variant of "__matmul__" of "BVar" matches argument type "float"  [operator]


def no_addition_of_strings(v: BVar[Vec]) -> None:
    # + takes numbers and arrays.
    v + "a"  # E: No overload variant of "__add__" of "BVar" matches argument type "str"  [operator]


def negation_keeps_the_type(x: BVar[float]) -> None:
    # -x has x's type.
    y: BVar[Vec] = -x  # E: ...expression has type "BVar[float]", variable has type "BVar[Vec]"...  [assignment]

