"""typedprop.trace: a recorded graph gives exactly the implicit style's values and gradients (on
every case of the op table, the MNIST network and the examples), keeps one record per parameter
structure, refuses what it cannot replay, and works as an op."""

import re
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pytest

import typedprop as tp
from typedprop import Vec, data, mnist, ops
from typedprop._core.checks import CheckCache
from typedprop._tracing import replay as replay_module

from opcases import TABLE, OpCase
from support import count_checks


def _weights(like: Any) -> Any:
    w = np.random.default_rng(5).uniform(0.5, 1.5, np.shape(like))
    dtype = np.result_type(like)
    return np.asarray(w, dtype=dtype) if np.ndim(like) else dtype.type(w)


def _params(case: OpCase) -> tuple[Any, ...]:
    rng = np.random.default_rng(sum(map(ord, case.id)) + 1)
    out = []
    for shape in case.shapes:
        size = () if shape == "scalar" else shape
        x = rng.uniform(0.5, 1.5, size)
        if case.domain == "real":
            x = x * rng.choice([-1.0, 1.0], size)
        elif case.domain == "unit":
            x = rng.uniform(-0.9, 0.9, size)
        out.append(float(x) if shape == "scalar" else np.asarray(x))
    return tuple(out)


def _same(a: Any, b: Any) -> None:
    assert type(a) is type(b)
    np.testing.assert_array_equal(a, b)


@pytest.fixture(params=["unrolled", "looped"])
def replay(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways a record replays: generated straight-line code, and, for long records, loops
    over precomputed steps (forced here on records of any length)."""
    if request.param == "looped":
        monkeypatch.setattr(replay_module, "_UNROLL_LIMIT", 0)
    return str(request.param)


@pytest.mark.parametrize("case", TABLE, ids=[c.id for c in TABLE])
def test_traced_equals_implicit_on_every_op_case(case: OpCase, replay: str) -> None:
    params = _params(case)
    w = _weights(case.fn(ops, *params))

    def f(p: tp.BVar[tuple[Any, ...]]) -> tp.BVar[float]:
        return ops.sum(case.fn(ops, *p.unpack()) * w)

    graph = tp.trace(f, params)
    value, grads = graph.backprop(params)
    expected_value, expected = tp.backprop(f, params)
    _same(value, expected_value)
    for g, e in zip(grads, expected, strict=True):
        _same(g, e)
    # A second set of parameters of the same shapes: the same record, replayed.
    other = tuple(np.asarray(p * 0.9) if isinstance(p, np.ndarray) else p * 0.9 for p in params)
    value2, grads2 = graph.backprop(other)
    expected_value2, expected2 = tp.backprop(f, other)
    _same(value2, expected_value2)
    for g, e in zip(grads2, expected2, strict=True):
        _same(g, e)
    assert len(graph._records) == 1


@pytest.mark.parametrize("batch", [1, 32])
def test_traced_equals_implicit_on_the_mnist_network(batch: int) -> None:
    split = data.load_digits(seed=0)
    x = split.train_x[0] if batch == 1 else split.train_x[:batch]
    y = int(split.train_y[0]) if batch == 1 else split.train_y[:batch]
    net = mnist.init_network((64, 300, 100, 10), seed=1)

    def loss(n: tp.BVar[mnist.Network]) -> tp.BVar[float]:
        return mnist.loss(n, x, y)

    graph = tp.trace(loss, net)
    for params in (net, mnist.init_network((64, 300, 100, 10), seed=2)):
        value, g = graph.backprop(params)
        expected_value, expected = tp.backprop(loss, params)
        _same(value, expected_value)
        assert type(g) is mnist.Network
        for layer, expected_layer in zip(g, expected, strict=True):
            _same(layer.w, expected_layer.w)
            _same(layer.b, expected_layer.b)
    assert graph.evaluate(net) == tp.evaluate(loss, net)


@dataclass
class Line:
    slope: float


@dataclass
class Parabola:
    curve: float
    slope: float


def at_two(p: tp.BVar[Line | Parabola]) -> tp.BVar[float]:
    match p.value:
        case Line():
            return p.narrow(Line).view(lambda m: m.slope) * 2.0
        case Parabola():
            q = p.narrow(Parabola)
            return q.view(lambda m: m.curve) * 4.0 + q.view(lambda m: m.slope) * 2.0
    raise AssertionError("unreachable")


def test_each_variant_of_a_union_gets_its_own_record(replay: str) -> None:
    graph = tp.trace(at_two, Line(1.0))
    assert graph.grad(Parabola(1.0, 3.0)) == Parabola(4.0, 2.0)
    assert graph.grad(Line(5.0)) == Line(2.0)
    assert len(graph._records) == 2


def test_each_list_length_and_shape_gets_its_own_record(replay: str) -> None:
    def total(xs: tp.BVar[list[Vec]]) -> tp.BVar[float]:
        return ops.sum(ops.stack(tp.sequence(xs)) ** 2)

    graph = tp.trace(total, [np.ones(2)])
    assert [g.tolist() for g in graph.grad([np.ones(2), np.full(2, 3.0)])] == [[2, 2], [6, 6]]
    assert graph.grad([np.ones(3)])[0].tolist() == [2, 2, 2]
    assert len(graph._records) == 3


def test_a_branch_on_a_traced_value_is_refused_at_trace_time() -> None:
    def relu(x: tp.BVar[float]) -> tp.BVar[float]:
        return x if x.value > 0 else x * 0.0

    message = "trace: a Python branch on a traced value (the truth of x.value, or of a comparison"
    with pytest.raises(tp.TraceError, match=re.escape(message)):
        tp.trace(relu, 1.0)

    def positive_part(v: tp.BVar[Vec]) -> tp.BVar[float]:
        return ops.sum(v) if np.all(v.value > 0) else ops.sum(v * 0.0)

    with pytest.raises(tp.TraceError, match="Use the implicit style"):
        tp.trace(positive_part, np.ones(3))

    def via_an_op(v: tp.BVar[Vec]) -> tp.BVar[float]:
        s = ops.sum(v)
        return s * 2.0 if s.value > 1.0 else s

    with pytest.raises(tp.TraceError, match="a Python branch on a traced value"):
        tp.trace(via_an_op, np.ones(3))
    # The implicit style takes all three.
    assert tp.grad(relu, 1.0) == 1.0 and tp.grad(via_an_op, np.ones(3)).tolist() == [2, 2, 2]


def test_a_traced_value_used_as_a_constant_is_refused() -> None:
    with pytest.raises(
        tp.TraceError,
        match=re.escape(
            "trace: multiply was given a traced value as a plain constant (a parameter's "
            ".value, or something computed from it or from the data in Python): a recorded "
            "graph would keep it fixed"
        ),
    ):
        tp.trace(lambda v: ops.sum(v * v.value), np.ones(3))


def test_shapes_and_branch_free_code_on_shapes_are_fine() -> None:
    def f(v: tp.BVar[Vec]) -> tp.BVar[float]:
        # Shapes are part of the record's key: deciding on them is safe.
        return ops.sum(v[:2]) if v.shape[0] > 2 else ops.sum(v)

    graph = tp.trace(f, np.ones(3))
    assert graph.grad(np.ones(2)).tolist() == [1, 1]
    assert graph.grad(np.ones(4)).tolist() == [1, 1, 0, 0]


def test_runtime_checks_run_at_trace_time_only(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = count_checks(monkeypatch)
    # A fresh check cache, so that the trace's checks run whatever ran before.
    monkeypatch.setattr(type(ops.matvec), "_checked", CheckCache())
    w = np.ones((3, 2))
    graph = tp.trace(lambda x: ops.sum(ops.matvec(w, x)), np.zeros(2))
    traced = calls[0]
    assert traced > 0
    graph.evaluate(np.ones(2))
    graph.evaluate(np.full(2, 2.0))
    assert calls[0] == traced
    with pytest.raises(tp.CheckError, match=re.escape("dimension n: 3 (argument 'x', axis 0)")):
        graph.evaluate(np.ones(3))  # new shapes: a new trace, checked


def test_a_graph_is_an_op(replay: str) -> None:
    square = tp.trace(lambda x: x * x, 0.0).as_op()
    assert tp.grad(lambda x: square(x) * 3.0, 2.0) == 12.0
    outer = tp.trace(lambda x: square(x) + x, 0.0)
    assert outer.backprop(3.0) == (12.0, 7.0)
    assert square(4.0) == 16.0


def test_constant_output_has_a_zero_gradient(replay: str) -> None:
    graph = tp.trace(lambda v: tp.constant(1.5), np.ones(2))
    assert graph.backprop(np.ones(2))[0] == 1.5
    assert graph.grad(np.ones(2)).tolist() == [0.0, 0.0]


def test_a_failed_trace_leaves_no_tape_behind() -> None:
    from typedprop._core import tape as _tape

    with pytest.raises(tp.TraceError):
        tp.trace(lambda x: x if x.value > 0 else x, 1.0)
    assert _tape.active() is None
    assert tp.grad(lambda x: x * x, 3.0) == 6.0


def test_the_function_must_return_a_bvar() -> None:
    with pytest.raises(
        tp.CheckError, match="trace: the function must return a BVar, but it returned a float"
    ):
        tp.trace(lambda x: 1.0, 0.0)  # type: ignore[arg-type, return-value]  # the point of the test


def test_backprop_with_a_seed() -> None:
    graph = tp.trace(lambda v: v * 2.0, np.zeros(2))
    value, g = graph.backprop_with(np.ones(2), np.array([1.0, 3.0]))
    assert value.tolist() == [2.0, 2.0] and g.tolist() == [2.0, 6.0]
    with pytest.raises(tp.CheckError, match="backprop_with: the seed does not fit the output"):
        graph.backprop_with(np.ones(2), np.ones(3))


def test_traced_equals_implicit_on_the_brief_example() -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
    import brief

    rng = np.random.default_rng(3)
    inp, targ = rng.normal(size=brief.INPUTS), rng.uniform(0.1, 0.9, size=brief.OUTPUTS)
    loss = brief.squared_error(inp, targ)
    graph = tp.trace(loss, brief.init_params(seed=3))
    for seed in (3, 4):
        params = brief.init_params(seed=seed)
        value, g = graph.backprop(params)
        expected_value, expected = tp.backprop(loss, params)
        _same(value, expected_value)
        for a, b in zip(g, expected, strict=True):
            _same(a, b)


# ---------------------------------------------------------------------------------------------
# The generated replay: each record runs as two generated functions (the forward ops and the
# unrolled reverse sweep); the first gradient goes through the engine's checked sweep, later
# ones through the generated one. `_agree` runs enough replays to use both.
# ---------------------------------------------------------------------------------------------


def _agree(f: Any, *params: Any) -> tp.Graph[Any, Any]:
    """Trace `f` at the first parameters, then check the graph against the implicit style on
    each, three times over (the checked sweep, then the generated one, twice)."""
    graph = tp.trace(f, params[0])
    for _ in range(3):
        for x in params:
            value, g = graph.backprop(x)
            expected_value, expected = tp.backprop(f, x)
            _same_tree(value, expected_value)
            _same_tree(g, expected)
            _same_tree(graph.evaluate(x), expected_value)
    return graph


def _same_tree(a: Any, b: Any) -> None:
    assert type(a) is type(b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _same_tree(a[k], b[k])
    elif isinstance(a, tuple | list):
        assert len(a) == len(b)
        for p, q in zip(a, b, strict=True):
            _same_tree(p, q)
    elif hasattr(a, "__dataclass_fields__"):
        for name in a.__dataclass_fields__:
            _same_tree(getattr(a, name), getattr(b, name))
    else:
        _same(a, b)


def _record(graph: tp.Graph[Any, Any]) -> Any:
    (record,) = graph._records.values()
    return record


def test_the_generated_sweep_replaces_the_checked_one_after_the_first_gradient(
    replay: str,
) -> None:
    graph = tp.trace(lambda x: ops.sin(x) * x, 0.5)
    record = _record(graph)
    graph.evaluate(0.5)
    assert not record.validated and record._sweep is None
    first = graph.grad(0.5)
    assert record.validated and record._sweep is None
    assert graph.grad(0.5) == first == tp.grad(lambda x: ops.sin(x) * x, 0.5)
    assert record._sweep is not None


@dataclass
class Net:
    layers: list[tuple[np.ndarray, np.ndarray]]
    scale: float
    extra: dict[str, Any]


def test_views_into_dataclasses_lists_tuples_and_dicts(replay: str) -> None:
    def f(p: tp.BVar[Net]) -> tp.BVar[float]:
        total = p.view(lambda n: n.scale) * 1.0
        for i in range(2):
            w = p.view(lambda n, i=i: n.layers[i][0])
            b = p.view(lambda n, i=i: n.layers[i][1])
            total = total + ops.sum(ops.tanh(w * b)) * p.view(lambda n: n.scale)
        return total + ops.sum(p.view(lambda n: n.extra["a"]) ** 2)

    def net(k: float) -> Net:
        return Net(
            [(np.full(2, k), np.arange(2.0)), (np.ones(3) * k, np.full(3, 0.5))],
            k,
            {"a": np.array([k, 2.0]), "unused": np.ones(2)},
        )

    _agree(f, net(1.0), net(-0.5))


def test_a_part_and_its_whole_both_used(replay: str) -> None:
    # The parameter gets a Partial (from the views) and a whole gradient (from the op on the
    # whole). `pair`'s output is only viewed: its gradient is a Partial, made whole before
    # pair's continuation, which indexes it, runs.
    sum_tuple = tp.op1(lambda t: (t[0] + t[1], lambda g: (g, g)), name="sum_tuple")
    pair = tp.op1(lambda x: ((x, 2.0 * x), lambda g: g[0] + 2.0 * g[1]), name="pair")

    def f(p: tp.BVar[tuple[float, float]]) -> tp.BVar[float]:
        a, b = p.unpack()
        first, _ = pair(b).unpack()
        return a * b + sum_tuple(p) * a + a + first * first

    _agree(f, (2.0, 3.0), (-1.0, 0.5))


class Pair(NamedTuple):
    left: np.ndarray
    right: float


def test_named_tuples_unused_parts_and_parameters_used_twice(replay: str) -> None:
    def f(p: tp.BVar[tuple[Pair, np.ndarray, int]]) -> tp.BVar[float]:
        pair, _, _ = p.unpack()
        left, right = pair.unpack()
        return ops.sum(left * left) * right + right * right

    _agree(
        f,
        (Pair(np.array([1.0, 2.0]), 3.0), np.ones(2), 4),
        (Pair(np.array([0.5, -2.0]), -1.0), np.zeros(2), 4),
    )


def test_collect_keeps_its_constant_items(replay: str) -> None:
    def f(x: tp.BVar[float]) -> tp.BVar[float]:
        a, b, c = tp.sequence(tp.collect([x * 2.0, tp.constant(5.0), x]))
        return a * b + c * c

    graph = _agree(f, 3.0, -1.5)
    assert graph.backprop(3.0) == (39.0, 16.0)


def test_collect_refuses_a_traced_value_as_a_constant() -> None:
    def f(v: tp.BVar[Vec]) -> tp.BVar[float]:
        a, b = tp.sequence(tp.collect([v, tp.constant(v.value * 2.0)]))
        return ops.sum(a * b)

    with pytest.raises(tp.TraceError, match="collect was given a constant that holds a traced"):
        tp.trace(f, np.ones(2))


def test_ops_after_the_output_and_parameters_the_output_does_not_use(replay: str) -> None:
    def f(p: tp.BVar[tuple[float, np.ndarray]]) -> tp.BVar[float]:
        a, v = p.unpack()
        y = ops.exp(a)
        _ = ops.sum(v * y)  # recorded after nothing that the output needs: never swept
        return y * 2.0

    _agree(f, (0.5, np.ones(2)), (1.5, np.zeros(2)))
    assert tp.trace(lambda x: x, 2.0).backprop(2.0) == (2.0, 1.0)


def test_a_graph_op_used_twice_and_nested(replay: str) -> None:
    square = tp.trace(lambda x: x * x, np.zeros(2)).as_op()
    quad = tp.trace(lambda x: square(square(x)), np.zeros(2)).as_op()

    def f(v: tp.BVar[Vec]) -> tp.BVar[float]:
        return ops.sum(square(v) * quad(v) + square(v * 2.0))

    _agree(f, np.array([1.0, -2.0]), np.array([0.5, 3.0]))


def test_long_records_replay_in_loops(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replay_module, "_UNROLL_LIMIT", 100)

    def f(x: tp.BVar[Vec]) -> tp.BVar[float]:
        for _ in range(40):
            x = ops.tanh(x) * 1.01 + 0.1
        return ops.sum(x)

    graph = _agree(f, np.linspace(-1.0, 1.0, 3))  # 121 steps: past the limit
    record = _record(graph)
    assert len(record.steps) > replay_module._UNROLL_LIMIT
    assert record._forward.__code__.co_filename != "<typedprop replay>"
    short = _record(_agree(lambda x: ops.sum(ops.tanh(x)), np.ones(2)))
    assert short._forward.__code__.co_filename == "<typedprop replay>"
    assert short._sweep.__code__.co_filename == "<typedprop sweep>"


def test_replays_on_several_threads(replay: str) -> None:
    import threading

    def f(v: tp.BVar[Vec]) -> tp.BVar[float]:
        return ops.sum(ops.sin(v) * v)

    graph = tp.trace(f, np.zeros(3))
    graph.grad(np.zeros(3))  # validated: the threads use the generated sweep
    failures = []

    def work(k: float) -> None:
        for _ in range(200):
            x = np.full(3, k)
            if not np.array_equal(graph.grad(x), tp.grad(f, x)):
                failures.append(k)

    threads = [threading.Thread(target=work, args=(k,)) for k in (0.5, 1.5, -2.0)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
