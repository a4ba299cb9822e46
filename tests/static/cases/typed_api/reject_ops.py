"""Rejected: ops applied with the wrong arity or the wrong types, and op definitions whose
gradient tuple does not match their inputs.

Each rejected line ends in `# E: message  [code]`, the message with `...` for what it leaves
out; tests/static/test_static.py checks both. Checked by mypy only.
"""

from collections.abc import Callable

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import BVar, Mat, Op, Vec


def mat() -> Mat:
    return np.zeros((2, 2))


def vec() -> Vec:
    return np.zeros(2)


class MatVec(Op[Float[Mat, "m n"], Float[Vec, " n"], Float[Vec, " m"]]):
    def forward(self, w: Mat, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Mat, Vec]]]:
        return w @ x, lambda g: (np.outer(g, x), w.T @ g)


matvec = MatVec()


@tp.op1
def sin(x: float) -> tuple[float, Callable[[float], float]]:
    return float(np.sin(x)), lambda g: g * float(np.cos(x))


def too_few_arguments(w: BVar[Mat]) -> None:
    # matvec takes two inputs.
    matvec(w)  # E: No overload variant of "__call__" of "Op" matches argument type "BVar[Mat]"  [call-overload]


def too_many_arguments(w: BVar[Mat], x: BVar[Vec]) -> None:
    # ... and not three.
    matvec(w, x, x)  # E: No overload variant of "__call__" of "Op" matches argument types...  [call-overload]


def vector_bvar_where_a_matrix_is_expected(x: BVar[Vec]) -> None:
    # The first input is a matrix: a vector BVar is refused.
    matvec(x, x)  # E: Argument 1 to "__call__" of "Op" has incompatible type "BVar[Vec]"; expected "BVar[Mat]"  [arg-type]


def plain_vector_where_a_matrix_is_expected() -> None:
    # Plain arrays are checked the same way.
    matvec(vec(), vec())  # E: Argument 1 to "__call__" of "Op" has incompatible type "Vec"; expected "Mat"  [arg-type]


def matrix_bvar_where_a_vector_is_expected(w: BVar[Mat]) -> None:
    # The second input is a vector: a matrix BVar is refused.
    matvec(w, w)  # E: Argument 2 to "__call__" of "Op" has incompatible type "BVar[Mat]"...  [arg-type]


def op1_on_a_vector(v: BVar[Vec]) -> None:
    # sin is Op[float, float].
    sin(v)  # E: ...incompatible type "BVar[Vec]"; expected "BVar[float]"  [arg-type]


def bvar_result_is_not_plain(w: BVar[Mat], x: BVar[Vec]) -> None:
    # An op applied to BVars gives a BVar, not a plain array.
    y: Vec = matvec(w, x)  # E: ...expression has type "BVar[Vec]", variable has type "Vec"...  [assignment]


def plain_result_is_not_a_bvar() -> None:
    # An op applied to plain values gives a plain value, not a BVar.
    y: BVar[Vec] = matvec(mat(), vec())  # E: ...expression has type "Vec", variable has type "BVar[Vec]"...  [assignment]


def op_is_invariant_in_its_types() -> None:
    # MatVec is Op[Mat, Vec, Vec]; it is not an op taking two vectors.
    op: Op[Vec, Vec, Vec] = matvec  # E: ...expression has type "MatVec", variable has type "Op[Vec, Vec, Vec]"...  [assignment]


class GradientTupleTooShort(Op[Float[Mat, "m n"], Float[Vec, " n"], Float[Vec, " m"]]):
    # Two inputs, but the continuation returns one gradient.
    def forward(self, w: Mat, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Mat]]]:  # E: Return type "tuple[Vec, Callable[[Vec], tuple[Mat]]]" of "forward" incompatible...  [override]
        return w @ x, lambda g: (np.outer(g, x),)


class GradientOfWrongType(Op[Float[Mat, "m n"], Float[Vec, " n"], Float[Vec, " m"]]):
    # The gradient for the matrix input is a vector.
    def forward(self, w: Mat, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Vec, Vec]]]:  # E: Return type "tuple[Vec, Callable[[Vec], tuple[Vec, Vec]]]" of "forward" incompatible...  [override]
        return w @ x, lambda g: (g, w.T @ g)


class ForwardTakesTheWrongInput(Op[Float[Mat, "m n"], Float[Vec, " n"], Float[Vec, " m"]]):
    # forward's first parameter is a vector, but the class declares a matrix.
    def forward(self, w: Vec, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Mat, Vec]]]:  # E: Argument 1 of "forward" is incompatible with supertype...  [override]
        return w * x, lambda g: (np.outer(g, x), g)


class OutputOfWrongType(Op[Float[Mat, "m n"], Float[Vec, " n"], Float[Vec, " m"]]):
    # The output is declared a vector, forward returns a matrix.
    def forward(self, w: Mat, x: Vec) -> tuple[Mat, Callable[[Mat], tuple[Mat, Vec]]]:  # E: Return type "tuple[Mat, Callable[[Mat], tuple[Mat, Vec]]]" of "forward" incompatible...  [override]
        return w, lambda g: (g, x)


def short_gradient(w: Mat, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Mat]]]:
    return w @ x, lambda g: (np.outer(g, x),)


def mistyped_gradient(w: Mat, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Vec, Vec]]]:
    return w @ x, lambda g: (g, w.T @ g)


def op2_with_a_short_gradient_tuple() -> None:
    # op2 needs a pair of gradients.
    tp.op2(short_gradient)  # E: Argument 1 to "op2" has incompatible type...  [arg-type]


def op2_with_a_mistyped_gradient() -> None:
    # The gradient for the matrix input is a vector.
    tp.op2(mistyped_gradient)  # E: Cannot infer value of type parameter "A" of "op2"  [misc]
