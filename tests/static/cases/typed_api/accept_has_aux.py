"""Accepted: `has_aux=True` on the running functions and on recorded graphs. The aux comes back
with its BVars as their values, typed so where mypy can say it: a BVar aux (`BVar[T]` gives `T`),
a pair of BVars and a dict of BVars; an aux that holds no BVar (a string, a number, an array,
a dict of floats) keeps its type, which is then exact.

What mypy cannot express: replacing the BVars of any other structure (a NamedTuple or a
dataclass of BVars, a tuple mixing BVars and other values, a pair inside a tuple). Such an aux
is typed as `f` returned it, BVars and all, while the runtime gives their values: the last
functions below show it, as the known limitation it is.

Checked by mypy only (tests/static/test_static.py); nothing here runs.
"""

from typing import NamedTuple, assert_type

import numpy as np

import typedprop as tp
from typedprop import BVar, Mat, Vec, ops


def mat() -> Mat:
    return np.zeros((2, 2))


def vec() -> Vec:
    return np.zeros(2)


def with_bvar(v: BVar[Vec]) -> tuple[BVar[float], BVar[Vec]]:
    return v @ v, v * 2.0


def with_pair(v: BVar[Vec]) -> tuple[BVar[float], tuple[BVar[Vec], BVar[float]]]:
    return v @ v, (v * 2.0, ops.sum(v))


def with_dict(v: BVar[Vec]) -> tuple[BVar[float], dict[str, BVar[float]]]:
    return v @ v, {"total": ops.sum(v)}


def with_plain(v: BVar[Vec]) -> tuple[BVar[float], dict[str, float]]:
    return v @ v, {"total": float(np.sum(v.value))}


def with_label(v: BVar[Vec]) -> tuple[BVar[float], str]:
    return v @ v, "label"


def two(w: BVar[Mat], x: BVar[Vec]) -> tuple[BVar[float], BVar[Vec]]:
    y = ops.matvec(w, x)
    return y @ y, y


def backprop_returns_value_and_aux_then_gradient() -> None:
    # JAX's value_and_grad(f, has_aux=True): ((value, aux), gradient).
    assert_type(tp.backprop(with_bvar, vec(), has_aux=True), tuple[tuple[float, Vec], Vec])
    (value, aux), g = tp.backprop(with_bvar, vec(), has_aux=True)
    assert_type(value, float)
    assert_type(aux, Vec)
    assert_type(g, Vec)


def grad_returns_gradient_then_aux() -> None:
    # JAX's grad(f, has_aux=True): (gradient, aux).
    assert_type(tp.grad(with_bvar, vec(), has_aux=True), tuple[Vec, Vec])
    assert_type(tp.grad(with_pair, vec(), has_aux=True), tuple[Vec, tuple[Vec, float]])
    assert_type(tp.grad(with_dict, vec(), has_aux=True), tuple[Vec, dict[str, float]])


def an_aux_without_bvars_keeps_its_type() -> None:
    assert_type(tp.grad(with_plain, vec(), has_aux=True), tuple[Vec, dict[str, float]])
    assert_type(tp.grad(with_label, vec(), has_aux=True), tuple[Vec, str])


def lambdas_are_typed_too() -> None:
    assert_type(tp.grad(lambda v: (v @ v, v * 2.0), vec(), has_aux=True), tuple[Vec, Vec])
    assert_type(tp.grad(lambda x: (x * x, {"x": x}), 1.0, has_aux=True), tuple[float, dict[str, float]])
    assert_type(tp.grad(lambda x: (x * x, 3), 1.0, has_aux=True), tuple[float, int])


def evaluate_and_backprop_with() -> None:
    assert_type(tp.evaluate(with_bvar, vec(), has_aux=True), tuple[float, Vec])
    assert_type(
        tp.backprop_with(with_bvar, vec(), 1.0, has_aux=True), tuple[tuple[float, Vec], Vec]
    )


def several_parameters() -> None:
    assert_type(tp.grad_n(two, mat(), vec(), has_aux=True), tuple[tuple[Mat, Vec], Vec])
    assert_type(
        tp.backprop_n(two, mat(), vec(), has_aux=True),
        tuple[tuple[float, Vec], tuple[Mat, Vec]],
    )
    (gw, gx), aux = tp.grad_n(two, mat(), vec(), has_aux=True)
    assert_type(gw, Mat)
    assert_type(aux, Vec)


def without_has_aux_the_types_are_unchanged() -> None:
    def loss(v: BVar[Vec]) -> BVar[float]:
        return v @ v

    assert_type(tp.grad(loss, vec()), Vec)
    assert_type(tp.grad(loss, vec(), has_aux=False), Vec)
    assert_type(tp.backprop(loss, vec()), tuple[float, Vec])


def recorded_graphs_with_an_aux(w: Mat, v: Vec) -> None:
    # trace(f, x, has_aux=True): a GraphWithAux, whose results are the implicit style's.
    graph = tp.trace(with_bvar, v, has_aux=True)
    assert_type(graph, tp.GraphWithAux[Vec, float, Vec])
    assert_type(graph.grad(v), tuple[Vec, Vec])
    assert_type(graph.backprop(v), tuple[tuple[float, Vec], Vec])
    assert_type(graph.evaluate(v), tuple[float, Vec])
    assert_type(graph.backprop_with(v, 1.0), tuple[tuple[float, Vec], Vec])
    assert_type(tp.trace(with_dict, v, has_aux=True), tp.GraphWithAux[Vec, float, dict[str, float]])


def recorded_graphs_with_an_aux_and_data(w: Mat, v: Vec) -> None:
    def fit(p: BVar[Mat], x: Vec) -> tuple[BVar[float], BVar[Vec]]:
        y = ops.matvec(p, x)
        return y @ y, y

    graph = tp.trace(fit, w, v, has_aux=True)
    assert_type(graph, tp.GraphWithAux[Mat, float, Vec, Vec])
    assert_type(graph.grad(w, v), tuple[Mat, Vec])


class Metrics(NamedTuple):
    prediction: BVar[Vec]
    label: str


def limitation_a_namedtuple_of_bvars_keeps_its_bvars() -> None:
    # Known limitation: mypy has no way to map BVar[T] to T inside a NamedTuple (nor a
    # dataclass, a mixed tuple, a nested pair); the type says BVar where the runtime gives the
    # value. Put plain values in such an aux (x.value, in the implicit style), or use a BVar,
    # a pair or a dict of BVars.
    def loss(v: BVar[Vec]) -> tuple[BVar[float], Metrics]:
        return v @ v, Metrics(v * 2.0, "label")

    assert_type(tp.grad(loss, vec(), has_aux=True), tuple[Vec, Metrics])
    assert_type(
        tp.grad(lambda v: (v @ v, (v, "label")), vec(), has_aux=True),
        tuple[Vec, tuple[BVar[Vec], str]],
    )
