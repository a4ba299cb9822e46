"""Functions and methods decorated with `typedprop.shapecheck`: wrong calls and wrong returns."""

# Marker comments hold whole mypy messages: long lines, kept as written.
# ruff: noqa: E501
# fmt: off

from dataclasses import dataclass
from typing import Final, NamedTuple, cast

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import Array, BVar, Mat, Vec, ops

IN: Final = 784
HIDDEN: Final = 128


@tp.shapecheck
def dense(w: Float[Mat, "o i"], b: Float[Vec, " o"], x: Float[Vec, " i"]) -> Float[Vec, " o"]:
    return w @ x + b


@tp.shapecheck
def pixels(x: Float[Vec, " 784"]) -> Float[Vec, " 784"]:
    return x


@tp.shapecheck
def scores(w: Float[Mat, "10 n"], x: Float[Vec, " n"]) -> Float[Vec, " 10"]:
    return w @ x


@tp.shapecheck
def bdense(w: BVar[Float[Mat, "o i"]], x: BVar[Float[Vec, " i"]]) -> BVar[Float[Vec, " o"]]:
    return ops.matvec(w, x)


class Layer(NamedTuple):
    w: Float[Mat, "128 784"]
    b: Float[Vec, " 128"]


@dataclass
class Model:
    w: Float[Mat, "10 128"]

    @tp.shapecheck
    def __call__(self, h: Float[Vec, " 128"]) -> Float[Vec, " 10"]:
        return self.w @ h

    @tp.shapecheck
    def project(self, a: Float[Mat, "m n"], v: Float[Vec, " n"]) -> Float[Vec, " m"]:
        return a @ v

    @staticmethod
    @tp.shapecheck
    def pair(x: Float[Vec, " n"], y: Float[Vec, " n"]) -> float:
        return float(x @ y)


@tp.shapecheck
class Dense(NamedTuple):
    w: Float[Mat, "out in"]
    b: Float[Vec, " out"]


@tp.shapecheck
@dataclass
class Recurrent:
    w: Float[Mat, "h h"]
    u: Float[Vec, " h"]


def case_function_named_dimension() -> None:
    dense(tp.zeros(HIDDEN, IN), tp.zeros(HIDDEN), tp.zeros(100))  # E: Dimension mismatch in call to "dense": dimension i: 100 (argument "x", axis 0) vs 784 (argument "w", axis 1)  [dim-mismatch]


def case_function_wrong_bias() -> None:
    dense(tp.zeros(HIDDEN, IN), tp.zeros(IN), tp.zeros(IN))  # E: Dimension mismatch in call to "dense": dimension o: 784 (argument "b", axis 0) vs 128 (argument "w", axis 0)  [dim-mismatch]


def case_function_keyword_arguments() -> None:
    # Dimensions bind in the order of the parameters, whatever the order of the arguments.
    dense(x=tp.zeros(IN), b=tp.zeros(HIDDEN), w=tp.zeros(HIDDEN, 100))  # E: Dimension mismatch in call to "dense": dimension i: 784 (argument "x", axis 0) vs 100 (argument "w", axis 1)  [dim-mismatch]


def case_fixed_size() -> None:
    pixels(tp.zeros(783))  # E: Dimension mismatch in call to "pixels": axis 0 of argument "x" is 783, but its hint fixes it to 784  [dim-mismatch]


def case_fixed_size_from_a_named_one() -> None:
    # The argument's size, 128, comes from matvec's named dimension m.
    pixels(ops.matvec(tp.zeros(HIDDEN, 5), tp.zeros(5)))  # E: Dimension mismatch in call to "pixels": axis 0 of argument "x" is 128, but its hint fixes it to 784  [dim-mismatch]


def case_fixed_and_named_in_one_hint() -> None:
    scores(tp.zeros(11, IN), tp.zeros(IN))  # E: Dimension mismatch in call to "scores": axis 0 of argument "w" is 11, but its hint fixes it to 10  [dim-mismatch]


def case_final_constant_sizes() -> None:
    n: Final = 64
    scores(tp.zeros(10, n), tp.zeros(IN))  # E: Dimension mismatch in call to "scores": dimension n: 784 (argument "x", axis 0) vs 64 (argument "w", axis 1)  [dim-mismatch]


def case_annotated_variable() -> None:
    x: Float[Vec, " 100"] = np.zeros(100)
    dense(tp.zeros(HIDDEN, IN), tp.zeros(HIDDEN), x)  # E: Dimension mismatch in call to "dense": dimension i: 100 (argument "x", axis 0) vs 784 (argument "w", axis 1)  [dim-mismatch]


def case_cast() -> None:
    x = cast(Float[Vec, " 100"], np.zeros(100))
    dense(tp.zeros(HIDDEN, IN), tp.zeros(HIDDEN), x)  # E: Dimension mismatch in call to "dense": dimension i: 100 (argument "x", axis 0) vs 784 (argument "w", axis 1)  [dim-mismatch]


def case_namedtuple_fields(layer: Layer) -> None:
    dense(layer.w, layer.b, tp.zeros(HIDDEN))  # E: Dimension mismatch in call to "dense": dimension i: 128 (argument "x", axis 0) vs 784 (argument "w", axis 1)  [dim-mismatch]


def case_bvar_function(w: BVar[Float[Mat, "128 784"]]) -> None:
    x = tp.constant(tp.zeros(100))
    bdense(w, x)  # E: Dimension mismatch in call to "bdense": dimension i: 100 (argument "x", axis 0) vs 784 (argument "w", axis 1)  [dim-mismatch]


def case_method(model: Model) -> None:
    model.project(tp.zeros(3, 4), tp.zeros(3))  # E: Dimension mismatch in call to "project" of "Model": dimension n: 3 (argument "v", axis 0) vs 4 (argument "a", axis 1)  [dim-mismatch]


def case_dunder_call(model: Model) -> None:
    model(tp.zeros(IN))  # E: Dimension mismatch in call to "__call__" of "Model": axis 0 of argument "h" is 784, but its hint fixes it to 128  [dim-mismatch]


def case_staticmethod() -> None:
    Model.pair(tp.zeros(3), tp.zeros(4))  # E: Dimension mismatch in call to "pair" of "Model": dimension n: 4 (argument "y", axis 0) vs 3 (argument "x", axis 0)  [dim-mismatch]


def case_result_of_checked_function() -> None:
    h = dense(tp.zeros(HIDDEN, IN), tp.zeros(HIDDEN), tp.zeros(IN))
    pixels(h)  # E: Dimension mismatch in call to "pixels": axis 0 of argument "x" is 128, but its hint fixes it to 784  [dim-mismatch]


def case_module_level_alias() -> None:
    dense_again(tp.zeros(3, 4), tp.zeros(3), tp.zeros(5))  # E: Dimension mismatch in call to "dense_again": dimension i: 5 (argument "x", axis 0) vs 4 (argument "w", axis 1)  [dim-mismatch]


dense_again = dense


@tp.shapecheck
def case_return_of_op(x: Float[Vec, " 784"]) -> Float[Vec, " 10"]:
    return ops.matvec(tp.zeros(11, IN), x)  # E: Dimension mismatch in return from "case_return_of_op": axis 0 of the returned value is 11, but the return hint fixes it to 10  [dim-mismatch]


@tp.shapecheck
def case_return_of_variable(x: Float[Vec, " 784"]) -> Float[Vec, " 10"]:
    y = tp.zeros(HIDDEN)
    return y  # E: Dimension mismatch in return from "case_return_of_variable": axis 0 of the returned value is 128, but the return hint fixes it to 10  [dim-mismatch]


@tp.shapecheck
def case_return_in_a_branch(x: Float[Vec, " n"], flag: bool) -> Float[Mat, "2 n"]:
    if flag:
        return np.stack([x, x])
    return tp.zeros(3, 5)  # E: Dimension mismatch in return from "case_return_in_a_branch": axis 0 of the returned value is 3, but the return hint fixes it to 2  [dim-mismatch]


@tp.shapecheck
def case_return_bvar(
    w: BVar[Float[Mat, "5 2"]], x: BVar[Float[Vec, " 2"]]
) -> BVar[Float[Vec, " 3"]]:
    return ops.matvec(w, x)  # E: Dimension mismatch in return from "case_return_bvar": axis 0 of the returned value is 5, but the return hint fixes it to 3  [dim-mismatch]


class Network:
    @tp.shapecheck
    def case_return_of_method(self, x: Float[Array, "*batch 784"]) -> Float[Vec, " 10"]:
        return tp.ones(12)  # E: Dimension mismatch in return from "case_return_of_method": axis 0 of the returned value is 12, but the return hint fixes it to 10  [dim-mismatch]


def case_namedtuple_constructor() -> None:
    Dense(tp.normal(HIDDEN, IN), tp.zeros(IN))  # E: Dimension mismatch in call to "Dense": dimension out: 784 (argument "b", axis 0) vs 128 (argument "w", axis 0)  [dim-mismatch]


def case_namedtuple_constructor_keywords() -> None:
    Dense(b=tp.zeros(10), w=tp.normal(HIDDEN, IN))  # E: Dimension mismatch in call to "Dense": dimension out: 10 (argument "b", axis 0) vs 128 (argument "w", axis 0)  [dim-mismatch]


def case_dataclass_constructor_square() -> None:
    Recurrent(tp.normal(16, 8), tp.zeros(16))  # E: Dimension mismatch in call to "Recurrent": dimension h: 8 (argument "w", axis 1) vs 16 (argument "w", axis 0)  [dim-mismatch]


def case_dataclass_constructor() -> None:
    Recurrent(w=tp.normal(16, 16), u=tp.zeros(HIDDEN))  # E: Dimension mismatch in call to "Recurrent": dimension h: 128 (argument "u", axis 0) vs 16 (argument "w", axis 0)  [dim-mismatch]


SCALE: Final = 0.5
NOT_A_SIZE = 12
BATCH: Final = 64
D_MODEL: Final = 8 * BATCH


def case_fstring_hint_with_a_format_spec() -> None:
    # A format spec in an f-string hint is not read: said, not taken as no hint in silence.
    @tp.shapecheck
    def padded(x: Float[Vec, f"{HIDDEN:04d}"]) -> None:  # E: Shape string not read by mypy (it reads text and Final constants, with + - * // ** on ints); its sizes are checked at run time only  [shape-hint]
        pass


def case_fstring_hint_of_a_variable_that_is_not_final() -> None:
    # A plain module variable may change: its value is not read.
    @tp.shapecheck
    def rows(x: Float[Vec, f"{NOT_A_SIZE}"]) -> None:  # E: Shape string not read by mypy (it reads text and Final constants, with + - * // ** on ints); its sizes are checked at run time only  [shape-hint]
        pass


def case_hint_named_by_a_final_float() -> None:
    # A Final constant that holds no string is no shape string.
    @tp.shapecheck
    def scaled(x: Float[Vec, SCALE]) -> None:  # E: Shape string not read by mypy ("SCALE" is no Final constant of a string mypy knows); its sizes are checked at run time only  [shape-hint]
        pass


def case_fstring_annotated_assignment() -> None:
    # An annotated assignment whose hint is an f-string: D_MODEL (512) columns, 48 given.
    x: Float[Mat, f"{BATCH} {D_MODEL}"] = tp.zeros(BATCH, 48)  # E: Dimension mismatch in assignment: axis 1 of the value is 48, but the annotation fixes it to 512  [dim-mismatch]
    print(x)
