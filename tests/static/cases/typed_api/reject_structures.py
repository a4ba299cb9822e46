"""Rejected: structured parameters and the accessors that take them apart, used with the
wrong fields, the wrong number of names or the wrong types.

Each rejected line ends in `# E: message  [code]`, the message with `...` for what it leaves
out; tests/static/test_static.py checks both. Checked by mypy only.
"""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

import typedprop as tp
from typedprop import BVar, Mat, Vec


def mat() -> Mat:
    return np.zeros((2, 2))


def vec() -> Vec:
    return np.zeros(2)


@dataclass
class MLP:
    w1: Mat
    b1: Vec
    scale: float


class Affine(NamedTuple):
    w: Mat
    b: Vec


def mlp_loss(p: BVar[MLP]) -> BVar[float]:
    h = p.view(lambda m: m.w1) @ p.view(lambda m: m.b1)
    return h @ h * p.view(lambda m: m.scale)


def view_of_a_missing_dataclass_field(p: BVar[MLP]) -> None:
    # MLP has w1 and b1, no w3.
    p.view(lambda m: m.w3)  # E: "MLP" has no attribute "w3"  [attr-defined]


def view_of_a_missing_namedtuple_field(p: BVar[Affine]) -> None:
    # Affine has w and b, no bias.
    p.view(lambda a: a.bias)  # E: "Affine" has no attribute "bias"  [attr-defined]


def view_result_has_the_field_type(p: BVar[MLP]) -> None:
    # w1 is a matrix: its view is not a vector BVar.
    h: BVar[Vec] = p.view(lambda m: m.w1)  # E: ...  [arg-type]  # E: Incompatible return value type (got "Mat", expected "Vec")  [return-value]


def unpack_into_too_few_names(p: BVar[tuple[Mat, Vec, float]]) -> None:
    # Three items, two names.
    w, x = p.unpack()  # E: Too many values to unpack (2 expected, 3 provided)  [misc]


def unpack_into_too_many_names(p: BVar[tuple[Mat, Vec, float]]) -> None:
    # Three items, four names.
    w, x, s, t = p.unpack()  # E: Need more than 3 values to unpack (4 expected)  [misc]


def unpack_into_wrongly_typed_names(p: BVar[tuple[Mat, Vec, float]]) -> None:
    # The first item is a matrix.
    w: BVar[Vec]
    w, x, s = p.unpack()  # E: ...expression has type "BVar[Mat]", variable has type "BVar[Vec]"...  [assignment]


def unpack_of_a_non_tuple(v: BVar[Vec]) -> None:
    # Only tuple-valued BVars unpack.
    v.unpack()  # E: Invalid self argument "BVar[Vec]" to attribute function "unpack"...  [misc]


def sequence_of_a_tuple(p: BVar[tuple[float, float]]) -> None:
    # sequence takes list-valued BVars; tuples unpack.
    tp.sequence(p)  # E: Argument 1 to "sequence" has incompatible type "BVar[tuple[float, float]]"...  [arg-type]


def dataclass_gradient_is_the_dataclass() -> None:
    # The gradient of an MLP is an MLP, not a matrix.
    g = tp.grad(mlp_loss, MLP(mat(), vec(), 1.0))
    w: Mat = g  # E: ...expression has type "MLP", variable has type "Mat"...  [assignment]


def gradient_of_a_tuple_keeps_its_items(p: tuple[Mat, Vec]) -> None:
    # The gradient of a (Mat, Vec) tuple unpacks into a matrix and a vector.
    def loss(q: BVar[tuple[Mat, Vec]]) -> BVar[float]:
        w, x = q.unpack()
        return (w @ x) @ x

    g = tp.grad(loss, p)
    gw: Vec
    gx: Vec
    gw, gx = g  # E: ...expression has type "Mat", variable has type "Vec"...  [assignment]
