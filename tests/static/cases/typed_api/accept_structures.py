"""Accepted: gradients keep exactly the parameter's structure, and the accessors that take
structured BVars apart (`view`, `unpack`, `sequence`) and put them together (`collect`) are
typed item by item.

Checked by mypy only (tests/static/test_static.py); nothing here runs.
"""

from dataclasses import dataclass
from typing import NamedTuple, assert_type

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


@dataclass
class Deep:
    layers: list[MLP]
    bias: float


class Affine(NamedTuple):
    w: Mat
    b: Vec


@dataclass
class Money:
    """A user type with a gradient through the Backprop protocol."""

    amount: float

    def zero(self) -> "Money":
        return Money(0.0)

    def add(self, other: "Money") -> "Money":
        return Money(self.amount + other.amount)

    def one(self) -> "Money":
        return Money(1.0)


def triple_loss(p: BVar[tuple[Mat, Vec, float]]) -> BVar[float]:
    w, x, s = p.unpack()
    return (w @ x) @ x * s


def mlp_loss(p: BVar[MLP]) -> BVar[float]:
    h = p.view(lambda m: m.w1) @ p.view(lambda m: m.b1)
    return h @ h * p.view(lambda m: m.scale)


def affine_loss(p: BVar[Affine]) -> BVar[float]:
    y = p.view(lambda a: a.w) @ p.view(lambda a: a.b)
    return y @ y


def dict_loss(p: BVar[dict[str, Vec]]) -> BVar[float]:
    a = p.view(lambda d: d["a"])
    return a @ a


def money_loss(p: BVar[Money]) -> BVar[float]:
    return p.view(lambda m: m.amount) * 3.0


def list_loss(xs: BVar[list[float]]) -> BVar[float]:
    a, b = tp.sequence(xs)
    return a * b


def nested_loss(p: BVar[tuple[MLP, dict[str, float]]]) -> BVar[float]:
    model, extra = p.unpack()
    return mlp_loss(model) + extra.view(lambda d: d["k"])


def grad_of_heterogeneous_tuple() -> None:
    # The gradient of a (matrix, vector, float) tuple is exactly that tuple type.
    assert_type(tp.grad(triple_loss, (mat(), vec(), 1.0)), tuple[Mat, Vec, float])


def grad_of_dataclass() -> None:
    # The gradient of a dataclass is the same dataclass.
    assert_type(tp.grad(mlp_loss, MLP(mat(), vec(), 1.0)), MLP)


def grad_of_namedtuple() -> None:
    # The gradient of a NamedTuple is the same NamedTuple.
    assert_type(tp.grad(affine_loss, Affine(mat(), vec())), Affine)


def grad_of_dict() -> None:
    # The gradient of a dict keeps its key and value types.
    assert_type(tp.grad(dict_loss, {"a": vec()}), dict[str, Vec])


def grad_of_list() -> None:
    # The gradient of a list of floats is a list of floats.
    assert_type(tp.grad(list_loss, [1.0, 2.0]), list[float])


def grad_of_nested_structure() -> None:
    # Nesting keeps every level: a tuple of a dataclass and a dict.
    g = tp.grad(nested_loss, (MLP(mat(), vec(), 1.0), {"k": 2.0}))
    assert_type(g, tuple[MLP, dict[str, float]])


def grad_of_backprop_protocol_type() -> None:
    # A type with zero/add/one (the Backprop protocol) gets a gradient of its own type.
    assert_type(tp.grad(money_loss, Money(2.0)), Money)


def view_is_typed_by_the_getter(p: BVar[MLP], d: BVar[Deep]) -> None:
    # view's result type is what the getter returns, field by field and at depth.
    assert_type(p.view(lambda m: m.w1), BVar[Mat])
    assert_type(p.view(lambda m: m.b1), BVar[Vec])
    assert_type(p.view(lambda m: m.scale), BVar[float])
    assert_type(d.view(lambda m: m.layers[0].w1), BVar[Mat])


def view_of_namedtuple_and_dict(a: BVar[Affine], d: BVar[dict[str, Vec]]) -> None:
    # NamedTuple fields by name or index, dict items by key.
    assert_type(a.view(lambda t: t.w), BVar[Mat])
    assert_type(a.view(lambda t: t[1]), BVar[Vec])
    assert_type(d.view(lambda m: m["a"]), BVar[Vec])


def unpack_heterogeneous_tuple(p: BVar[tuple[Mat, Vec, float]]) -> None:
    # unpack types each item of a tuple-valued BVar.
    assert_type(p.unpack(), tuple[BVar[Mat], BVar[Vec], BVar[float]])
    w, x, s = p.unpack()
    assert_type(w, BVar[Mat])
    assert_type(x, BVar[Vec])
    assert_type(s, BVar[float])


def unpack_homogeneous_tuple(p: BVar[tuple[float, ...]]) -> None:
    # A tuple of unknown length unpacks to a tuple of BVars of the item type.
    assert_type(p.unpack(), tuple[BVar[float], ...])


def sequence_and_collect(xs: BVar[list[Vec]]) -> None:
    # sequence splits a list-valued BVar; collect is its inverse.
    parts = tp.sequence(xs)
    assert_type(parts, list[BVar[Vec]])
    assert_type(tp.collect(parts), BVar[list[Vec]])


def constant_keeps_the_type() -> None:
    # constant wraps a plain value as a BVar of the same type.
    assert_type(tp.constant(vec()), BVar[Vec])
    assert_type(tp.constant(1.0), BVar[float])


def unpack_of_a_namedtuple(p: BVar[Affine]) -> None:
    # A NamedTuple is a tuple: unpack types its fields.
    w, b = p.unpack()
    assert_type(w, BVar[Mat])
    assert_type(b, BVar[Vec])
