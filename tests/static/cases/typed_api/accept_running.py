"""Accepted: the running functions (`backprop`, `grad`, `evaluate`, `backprop_with`,
`backprop_n`, `grad_n`) return values and gradients of exactly the output's and the
parameters' types.

Checked by mypy only (tests/static/test_static.py); nothing here runs.
"""

from typing import assert_type

import numpy as np

import typedprop as tp
from typedprop import BVar, Mat, Vec, ops


def mat() -> Mat:
    return np.zeros((2, 2))


def vec() -> Vec:
    return np.zeros(2)


def sumsq(v: BVar[Vec]) -> BVar[float]:
    return v @ v


def double(v: BVar[Vec]) -> BVar[Vec]:
    return v * 2.0


def quad(w: BVar[Mat]) -> BVar[float]:
    return (w @ vec()) @ vec()


def f1(w: BVar[Mat]) -> BVar[float]:
    return quad(w)


def f2(w: BVar[Mat], x: BVar[Vec]) -> BVar[float]:
    return (w @ x) @ x


def f3(w: BVar[Mat], x: BVar[Vec], s: BVar[float]) -> BVar[float]:
    return (w @ x) @ x * s


def f4(w: BVar[Mat], x: BVar[Vec], s: BVar[float], t: BVar[tuple[float, Vec]]) -> BVar[float]:
    a, b = t.unpack()
    return (w @ x) @ b * s * a


def backprop_returns_value_and_gradient() -> None:
    # backprop returns tuple[Y, X]: the output's type, then the parameter's.
    assert_type(tp.backprop(sumsq, vec()), tuple[float, Vec])
    assert_type(tp.backprop(quad, mat()), tuple[float, Mat])


def backprop_of_heterogeneous_tuple(p: tuple[Mat, Vec, float]) -> None:
    # backprop of a function of a tuple: the gradient is the tuple type.
    def loss(q: BVar[tuple[Mat, Vec, float]]) -> BVar[float]:
        w, x, s = q.unpack()
        return (w @ x) @ x * s

    assert_type(tp.backprop(loss, p), tuple[float, tuple[Mat, Vec, float]])


def grad_returns_the_parameter_type() -> None:
    # grad returns exactly X.
    assert_type(tp.grad(sumsq, vec()), Vec)
    assert_type(tp.grad(quad, mat()), Mat)


def backprop_with_takes_a_seed_of_the_output_type() -> None:
    # backprop_with: a vector output, a vector seed, a vector gradient.
    assert_type(tp.backprop_with(double, vec(), vec()), tuple[Vec, Vec])


def evaluate_returns_the_output_type() -> None:
    # evaluate returns Y, the output's plain type.
    assert_type(tp.evaluate(double, vec()), Vec)
    assert_type(tp.evaluate(sumsq, vec()), float)


def backprop_n_one_to_four_parameters() -> None:
    # backprop_n: the value and a tuple of exactly the parameters' types, for 1..4 parameters.
    assert_type(tp.backprop_n(f1, mat()), tuple[float, tuple[Mat]])
    assert_type(tp.backprop_n(f2, mat(), vec()), tuple[float, tuple[Mat, Vec]])
    assert_type(tp.backprop_n(f3, mat(), vec(), 1.0), tuple[float, tuple[Mat, Vec, float]])
    assert_type(
        tp.backprop_n(f4, mat(), vec(), 1.0, (2.0, vec())),
        tuple[float, tuple[Mat, Vec, float, tuple[float, Vec]]],
    )


def grad_n_one_to_four_parameters() -> None:
    # grad_n: a tuple of exactly the parameters' types, for 1..4 parameters.
    assert_type(tp.grad_n(f1, mat()), tuple[Mat])
    assert_type(tp.grad_n(f2, mat(), vec()), tuple[Mat, Vec])
    assert_type(tp.grad_n(f3, mat(), vec(), 1.0), tuple[Mat, Vec, float])
    assert_type(
        tp.grad_n(f4, mat(), vec(), 1.0, (2.0, vec())),
        tuple[Mat, Vec, float, tuple[float, Vec]],
    )


def grad_n_unpacks_into_typed_names() -> None:
    # Unpacking the gradient tuple gives each name its parameter's type.
    gw, gx, gs = tp.grad_n(f3, mat(), vec(), 1.0)
    assert_type(gw, Mat)
    assert_type(gx, Vec)
    assert_type(gs, float)
    y, (hw, hx) = tp.backprop_n(f2, mat(), vec())
    assert_type(y, float)
    assert_type(hw, Mat)
    assert_type(hx, Vec)


def recorded_graphs_have_the_implicit_styles_types(w: Mat, v: Vec) -> None:
    # A graph is typed by its parameter and output: its results are those of backprop.
    def loss(p: BVar[tuple[Mat, Vec]]) -> BVar[float]:
        a, b = p.unpack()
        return (a @ b) @ b

    graph = tp.trace(loss, (w, v))
    assert_type(graph, tp.Graph[tuple[Mat, Vec], float])
    assert_type(graph.grad((w, v)), tuple[Mat, Vec])
    assert_type(graph.backprop((w, v)), tuple[float, tuple[Mat, Vec]])
    assert_type(graph.evaluate((w, v)), float)
    assert_type(graph.as_op(), tp.Op[tuple[Mat, Vec], float])


def recorded_graphs_with_data_are_typed_by_the_data(w: Mat, v: Vec, labels: list[int]) -> None:
    # The data's types follow the parameter's in the graph's type; results are backprop's.
    def loss(p: BVar[Mat], x: Vec, label: int) -> BVar[float]:
        return ops.softmax_cross_entropy_with_integer_labels(ops.matvec(p, x), label)

    graph = tp.trace(loss, w, v, labels[0])
    assert_type(graph, tp.Graph[Mat, float, Vec, int])
    assert_type(graph.grad(w, v, 3), Mat)
    assert_type(graph.backprop(w, v, 3), tuple[float, Mat])
    assert_type(graph.evaluate(w, v, 3), float)
    assert_type(graph.backprop_with(w, 1.0, v, 3), tuple[float, Mat])
    lam = tp.trace(lambda p, x: ops.sum(ops.matvec(p, x)), w, v)
    assert_type(lam, tp.Graph[Mat, float, Vec])


def compiled_graphs_are_typed_as_their_graph(w: Mat, v: Vec) -> None:
    # graph.compile() keeps the graph's types: the gradient is exactly the parameter's type.
    def loss(p: BVar[Mat], x: Vec) -> BVar[float]:
        return ops.sum(ops.matvec(p, x))

    compiled = tp.trace(loss, w, v).compile()
    assert_type(compiled, tp.CompiledGraph[Mat, float, Vec])
    assert_type(compiled.grad(w, v), Mat)
    assert_type(compiled.backprop(w, v), tuple[float, Mat])
    assert_type(compiled.evaluate(w, v), float)
    assert_type(compiled.backprop_with(w, 1.0, v), tuple[float, Mat])


def compiled_graphs_with_an_aux_are_typed_as_their_graph(w: Mat, v: Vec) -> None:
    # GraphWithAux.compile() keeps the graph's types, the aux's included.
    def loss(p: BVar[Mat], x: Vec) -> tuple[BVar[float], dict[str, BVar[Vec]]]:
        y = ops.matvec(p, x)
        return ops.sum(y), {"y": y}

    compiled = tp.trace(loss, w, v, has_aux=True).compile()
    assert_type(compiled, tp.CompiledGraphWithAux[Mat, float, dict[str, Vec], Vec])
    assert_type(compiled.grad(w, v), tuple[Mat, dict[str, Vec]])
    assert_type(compiled.backprop(w, v), tuple[tuple[float, dict[str, Vec]], Mat])
    assert_type(compiled.evaluate(w, v), tuple[float, dict[str, Vec]])
    assert_type(compiled.backprop_with(w, 1.0, v), tuple[tuple[float, dict[str, Vec]], Mat])
