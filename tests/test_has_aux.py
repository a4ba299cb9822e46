"""`has_aux=True` (`typedprop._backprop` and `typedprop._tracing.graph`): a function returning
`(output, aux)` is differentiated through its output alone, and the aux comes back beside the
results, as JAX's `value_and_grad(f, has_aux=True)` gives it: `((value, aux), gradient)` from
`backprop`, `(gradient, aux)` from `grad`, the aux's BVars replaced by their values in any
structure. A recorded graph computes the aux again at each replay. Its static types:
tests/static/cases/typed_api/accept_has_aux.py and reject_has_aux.py."""

import re
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pytest

import typedprop as tp
from typedprop import ops
from typedprop._tracing.graph import GraphWithAux


class Metrics(NamedTuple):
    prediction: Any
    label: str


@dataclass
class Report:
    squares: Any
    count: int


def loss_with_aux(w: tp.BVar[Any]) -> tuple[tp.BVar[Any], Any]:
    squares = w * w
    total = ops.sum(squares)
    aux = {
        "squares": squares,
        "pair": (total, "text"),
        "metrics": Metrics(squares * 2.0, "label"),
        "report": Report(squares, 3),
        "list": [w, 1, None],
        "constant": tp.constant(7.0),
    }
    return total, aux


def loss_alone(w: tp.BVar[Any]) -> tp.BVar[Any]:
    return loss_with_aux(w)[0]


W = np.array([1.0, -2.0, 3.0])


def _check_aux(aux: Any, w: np.ndarray) -> None:
    squares = w * w
    assert list(aux) == ["squares", "pair", "metrics", "report", "list", "constant"]
    np.testing.assert_array_equal(aux["squares"], squares)
    assert type(aux["squares"]) is np.ndarray
    assert aux["pair"] == (squares.sum(), "text") and type(aux["pair"]) is tuple
    assert type(aux["metrics"]) is Metrics and aux["metrics"].label == "label"
    np.testing.assert_array_equal(aux["metrics"].prediction, 2.0 * squares)
    assert type(aux["report"]) is Report and aux["report"].count == 3
    np.testing.assert_array_equal(aux["report"].squares, squares)
    assert type(aux["list"]) is list and aux["list"][1:] == [1, None]
    np.testing.assert_array_equal(aux["list"][0], w)
    assert aux["constant"] == 7.0 and type(aux["constant"]) is float


def _no_bvar_in(x: Any) -> None:
    assert "BVar" not in repr(x), repr(x)


# ---------------------------------------------------------------------------------------------
# The implicit style
# ---------------------------------------------------------------------------------------------


def test_backprop_gives_value_and_aux_then_gradient() -> None:
    (value, aux), g = tp.backprop(loss_with_aux, W, has_aux=True)
    plain_value, plain_g = tp.backprop(loss_alone, W)
    assert value == plain_value
    np.testing.assert_array_equal(g, plain_g)
    _check_aux(aux, W)
    _no_bvar_in(aux)


def test_grad_gives_gradient_then_aux() -> None:
    g, aux = tp.grad(loss_with_aux, W, has_aux=True)
    np.testing.assert_array_equal(g, 2.0 * W)
    _check_aux(aux, W)


def test_evaluate_and_backprop_with() -> None:
    value, aux = tp.evaluate(loss_with_aux, W, has_aux=True)
    assert value == (W * W).sum()
    _check_aux(aux, W)
    (value, aux), g = tp.backprop_with(loss_with_aux, W, 2.0, has_aux=True)
    np.testing.assert_array_equal(g, 4.0 * W)
    _check_aux(aux, W)
    (out, doubled), g = tp.backprop_with(lambda v: (v * 3.0, v * 2.0), W, np.ones(3), has_aux=True)
    np.testing.assert_array_equal(out, 3.0 * W)
    np.testing.assert_array_equal(doubled, 2.0 * W)
    np.testing.assert_array_equal(g, np.full(3, 3.0))


def test_several_parameters() -> None:
    def f(a: tp.BVar[float], b: tp.BVar[Any]) -> tuple[tp.BVar[Any], Any]:
        y = (b * a) @ b
        return y, {"y": y, "b": b}

    b = np.array([1.0, 2.0])
    (value, aux), (ga, gb) = tp.backprop_n(f, 3.0, b, has_aux=True)
    assert value == 15.0 and ga == 5.0
    np.testing.assert_array_equal(gb, [6.0, 12.0])
    assert aux["y"] == 15.0 and aux["b"] is b
    (ga2, gb2), aux2 = tp.grad_n(f, 3.0, b, has_aux=True)
    assert ga2 == ga
    np.testing.assert_array_equal(gb2, gb)
    assert aux2["y"] == 15.0


def test_the_aux_is_not_differentiated() -> None:
    # The aux's BVars take no part in the gradient, even computed from the output.
    def f(x: tp.BVar[float]) -> tuple[tp.BVar[float], tp.BVar[float]]:
        y = x * x
        return y, y * 100.0 + x

    assert tp.grad(f, 3.0, has_aux=True) == (6.0, 903.0)
    assert tp.backprop(f, 3.0, has_aux=True) == ((9.0, 903.0), 6.0)


def test_an_aux_of_plain_values_comes_back_as_it_is() -> None:
    aux = {"name": "run", "step": 3, "w": np.ones(2)}
    g, got = tp.grad(lambda x: (x * x, aux), 2.0, has_aux=True)
    assert g == 4.0 and got is aux
    for plain in ("text", 3, None, (), [], {}):
        assert tp.grad(lambda x, a=plain: (x * x, a), 2.0, has_aux=True)[1] == plain


def test_an_aux_bvar_of_the_parameter_is_its_value() -> None:
    x = np.array([1.0, 2.0])
    g, aux = tp.grad(lambda v: (v @ v, v), x, has_aux=True)
    assert aux is x
    np.testing.assert_array_equal(g, 2.0 * x)


def test_a_constant_output_with_an_aux() -> None:
    g, aux = tp.grad(lambda x: (tp.constant(1.0), x * 2.0), 3.0, has_aux=True)
    assert g == 0.0 and aux == 6.0


_NOT_A_PAIR = "with has_aux=True the function must return a pair (output, aux), but"


@pytest.mark.parametrize(
    ("out", "got"),
    [
        (lambda x: x * 2.0, "<lambda> returned a BVar"),
        (lambda x: (x * 2.0,), "<lambda> returned a tuple of 1 item"),
        (lambda x: (x * 2.0, 1, 2), "<lambda> returned a tuple of 3 items"),
        (lambda x: [x * 2.0, 1], "<lambda> returned a list"),
        (lambda x: 3, "<lambda> returned an int"),
    ],
    ids=["bvar", "one-item", "three-items", "list", "int"],
)
def test_has_aux_with_a_function_that_does_not_return_a_pair(out: Any, got: str) -> None:
    for who, run in [
        ("backprop", lambda: tp.backprop(out, 1.0, has_aux=True)),
        ("grad", lambda: tp.grad(out, 1.0, has_aux=True)),
        ("grad_n", lambda: tp.grad_n(out, 1.0, has_aux=True)),
        ("backprop_n", lambda: tp.backprop_n(out, 1.0, has_aux=True)),
        ("backprop_with", lambda: tp.backprop_with(out, 1.0, 1.0, has_aux=True)),
        ("evaluate", lambda: tp.evaluate(out, 1.0, has_aux=True)),
        ("trace", lambda: tp.trace(out, 1.0, has_aux=True)),
    ]:
        with pytest.raises(tp.CheckError, match=re.escape(f"{who}: {_NOT_A_PAIR} {got}")):
            run()


def test_has_aux_names_the_function() -> None:
    def predict(x: tp.BVar[float]) -> tp.BVar[float]:
        return x * 2.0

    message = f"grad: {_NOT_A_PAIR} predict returned a BVar"
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad(predict, 1.0, has_aux=True)  # type: ignore[call-overload]


def test_has_aux_with_an_output_that_is_not_a_bvar() -> None:
    message = (
        "grad: with has_aux=True the function must return a pair (output, aux) whose output is "
        "a BVar, but the output of <lambda> is a float; wrap a value that does not depend on "
        "the parameters in typedprop.constant"
    )
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad(lambda x: (x.value, x), 1.0, has_aux=True)


def test_a_pair_without_has_aux_says_to_pass_it() -> None:
    def loss(x: tp.BVar[float]) -> tuple[tp.BVar[float], str]:
        return x * x, "aux"

    hint = "the function must return a BVar, but loss returned a tuple; a function that returns "
    hint += "(output, aux) needs has_aux=True"
    for who, run in [
        ("backprop", lambda: tp.backprop(loss, 1.0)),  # type: ignore[arg-type]
        ("grad", lambda: tp.grad(loss, 1.0)),  # type: ignore[arg-type]
        ("grad_n", lambda: tp.grad_n(loss, 1.0)),  # type: ignore[arg-type]
        ("evaluate", lambda: tp.evaluate(loss, 1.0)),  # type: ignore[arg-type]
        ("trace", lambda: tp.trace(loss, 1.0)),  # type: ignore[arg-type, call-arg]
    ]:
        with pytest.raises(tp.CheckError, match=re.escape(f"{who}: {hint}")):
            run()


# ---------------------------------------------------------------------------------------------
# Recorded graphs
# ---------------------------------------------------------------------------------------------


def test_a_graph_computes_the_aux_again_at_each_replay() -> None:
    graph = tp.trace(loss_with_aux, np.zeros(3), has_aux=True)
    assert isinstance(graph, GraphWithAux)
    assert repr(graph) == "GraphWithAux(loss_with_aux, 1 record)"
    for w in (W, 2.0 * W, np.array([0.5, 0.25, -1.0])):
        (value, aux), g = graph.backprop(w)
        (value2, aux2), g2 = tp.backprop(loss_with_aux, w, has_aux=True)
        assert value == value2
        np.testing.assert_array_equal(g, g2)
        _check_aux(aux, w)
        g3, aux3 = graph.grad(w)
        np.testing.assert_array_equal(g3, g2)
        _check_aux(aux3, w)
        value4, aux4 = graph.evaluate(w)
        assert value4 == value2
        _check_aux(aux4, w)
        (_, aux5), g5 = graph.backprop_with(w, 2.0)
        np.testing.assert_array_equal(g5, 2.0 * g2)
        _check_aux(aux5, w)


def test_a_graph_aux_computed_after_the_output() -> None:
    # Nodes after the output take no gradient, but are replayed for the aux.
    def f(x: tp.BVar[Any]) -> tuple[tp.BVar[Any], Any]:
        y = ops.sum(x * x)
        return y, (ops.tanh(x), y * 3.0)

    graph = tp.trace(f, np.zeros(2), has_aux=True)
    x = np.array([0.5, -1.0])
    g, (t, y3) = graph.grad(x)
    np.testing.assert_array_equal(g, 2.0 * x)
    np.testing.assert_array_equal(t, np.tanh(x))
    assert y3 == 3.0 * float(x @ x)


def test_a_graph_aux_from_one_replay_is_not_changed_by_the_next() -> None:
    graph = tp.trace(lambda v: (ops.sum(v * v), v * 2.0), np.zeros(2), has_aux=True)
    _, first = graph.grad(np.array([1.0, 2.0]))
    _, second = graph.grad(np.array([3.0, 4.0]))
    np.testing.assert_array_equal(first, [2.0, 4.0])
    np.testing.assert_array_equal(second, [6.0, 8.0])


def test_a_graph_with_data_and_an_aux() -> None:
    def fit(w: tp.BVar[Any], x: Any, t: Any) -> tuple[tp.BVar[Any], Any]:
        prediction = x @ w
        return ops.mean_squared_error(prediction, t), {"prediction": prediction}

    graph = tp.trace(fit, np.zeros(2), np.zeros((3, 2)), np.zeros(3), has_aux=True)
    w, x, t = np.array([1.0, -1.0]), np.arange(6.0).reshape(3, 2), np.array([1.0, 0.0, 2.0])
    g, aux = graph.grad(w, x, t)
    g2, aux2 = tp.grad(lambda p: fit(p, x, t), w, has_aux=True)
    np.testing.assert_array_equal(g, g2)
    np.testing.assert_array_equal(aux["prediction"], x @ w)
    np.testing.assert_array_equal(aux["prediction"], aux2["prediction"])


def test_a_graph_keeps_a_record_and_an_aux_per_structure() -> None:
    graph = tp.trace(lambda v: (ops.sum(v * v), v + 1.0), np.zeros(2), has_aux=True)
    g, aux = graph.grad(np.ones(3))
    np.testing.assert_array_equal(aux, np.full(3, 2.0))
    np.testing.assert_array_equal(graph.grad(np.ones(2))[1], np.full(2, 2.0))
    assert len(graph._records) == 2


def test_a_graph_with_a_fixed_aux_keeps_it() -> None:
    # Values that depend on nothing traced are the record's constants.
    table = np.arange(3.0)
    graph = tp.trace(
        lambda x: (x * x, ("name", 3, table, tp.constant(2.5), None)), 1.0, has_aux=True
    )
    g, aux = graph.grad(4.0)
    assert g == 8.0
    assert aux[:2] == ("name", 3) and aux[2] is table and aux[3] == 2.5 and aux[4] is None


def test_a_graph_with_a_constant_output_and_an_aux() -> None:
    graph = tp.trace(lambda x: (tp.constant(1.0), x * 2.0), 1.0, has_aux=True)
    assert graph.grad(3.0) == (0.0, 6.0)
    assert graph.backprop(3.0) == ((1.0, 6.0), 0.0)


_NOT_A_NODE = "holds a traced value that is not a BVar"


@pytest.mark.parametrize(
    "f",
    [
        lambda x, d: (x * x, x.value),
        lambda x, d: (x * x, {"v": x.value * 2.0}),
        lambda x, d: (x * x, d),
        lambda x, d: (x * x, ops.exp(d)),
        lambda x, d: (x * x, tp.constant(x.value)),
    ],
    ids=["value", "computed-value", "data", "op-on-data", "constant-of-value"],
)
def test_a_graph_refuses_a_traced_aux_that_is_not_a_node(f: Any) -> None:
    # The record could not compute such a value again: it would keep the trace's.
    message = f"trace: the aux of <lambda> {_NOT_A_NODE}"
    with pytest.raises(tp.TraceError, match=re.escape(message)):
        tp.trace(f, 1.0, 2.0, has_aux=True)
    # The implicit style gives them as they are.
    assert tp.grad(lambda x: f(x, 2.0), 1.0, has_aux=True)[0] == 2.0


def test_a_graph_refuses_an_aux_bvar_of_another_call() -> None:
    def outer(y: tp.BVar[float]) -> tp.BVar[float]:
        with pytest.raises(tp.TraceError, match="holds a BVar of another backprop call"):
            tp.trace(lambda x: (x * x, y), 1.0, has_aux=True)
        return y * 1.0

    assert tp.grad(outer, 2.0) == 1.0


def test_a_graph_with_an_aux_is_no_op() -> None:
    graph = tp.trace(lambda x: (x * x, x), 1.0, has_aux=True)
    assert not hasattr(graph, "as_op")


def test_a_graph_with_an_aux_is_as_fast_to_replay() -> None:
    # Tracing runs f once: the aux is read from the replay's values, f never runs again.
    calls: list[int] = []

    def f(x: tp.BVar[float]) -> tuple[tp.BVar[float], tp.BVar[float]]:
        calls.append(1)
        return x * x, x * 3.0

    graph = tp.trace(f, 1.0, has_aux=True)
    for x in (2.0, 3.0, 4.0):
        assert graph.grad(x) == (2.0 * x, 3.0 * x)
    assert calls == [1]
