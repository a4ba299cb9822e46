"""typedprop.trace with data: `trace(f, x, *data)` records `f(params, *data)` once and replays
it on new parameters and new data of the same shapes, with the implicit style's results to the
last bit; integer data keys a record by its value; data that the record could not replay is
refused at trace time."""

import re
from typing import Any

import numpy as np
import pytest

import typedprop as tp
from typedprop import BVar, Vec, mnist, ops
from typedprop._tracing import records as trace_module
from typedprop._tracing import replay as replay_module


@pytest.fixture(autouse=True, params=["unrolled", "looped"])
def replay(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways a record replays: generated straight-line code, and loops (forced here)."""
    if request.param == "looped":
        monkeypatch.setattr(replay_module, "_UNROLL_LIMIT", 0)
    return str(request.param)


def _same(a: Any, b: Any) -> None:
    assert type(a) is type(b)
    np.testing.assert_array_equal(a, b)


def _same_tree(a: Any, b: Any) -> None:
    assert type(a) is type(b)
    if isinstance(a, tuple):
        for x, y in zip(a, b, strict=True):
            _same_tree(x, y)
    else:
        _same(a, b)


class _Counting:
    """A function that counts its calls: one per trace."""

    def __init__(self, f: Any) -> None:
        self.f, self.calls = f, 0
        self.__name__ = "counting"

    def __call__(self, *args: Any) -> Any:
        self.calls += 1
        return self.f(*args)


def _net(seed: int = 0) -> mnist.Network:
    return mnist.init_network((64, 30, 20, 10), seed=seed)


def test_mnist_loss_on_new_samples_equals_the_implicit_style() -> None:
    rng = np.random.default_rng(0)
    f = _Counting(mnist.loss)
    graph = tp.trace(f, _net(), rng.uniform(size=64), 3)
    for k in range(6):
        net, x = _net(seed=k), rng.uniform(size=64)
        value, g = graph.backprop(net, x, 3)
        expected_value, expected = tp.backprop(lambda n, x=x: mnist.loss(n, x, 3), net)
        _same(value, expected_value)
        _same_tree(g, expected)
        _same(graph.evaluate(net, x, 3), expected_value)
        _same_tree(graph.grad(net, x, 3), expected)
    assert f.calls == 1


def test_batches_of_new_float_data_reuse_one_record() -> None:
    rng = np.random.default_rng(1)

    def loss(w: BVar[Vec], x: np.ndarray, t: np.ndarray) -> BVar[float]:
        return ops.mean_squared_error(ops.tanh(x @ w), t)

    f = _Counting(loss)
    graph = tp.trace(f, np.zeros(4), np.zeros((8, 4)), np.zeros(8))
    w = rng.normal(size=4)
    for _ in range(3):
        x, t = rng.normal(size=(8, 4)), rng.normal(size=8)
        expected = tp.backprop(lambda w, x=x, t=t: loss(w, x, t), w)
        value, g = graph.backprop(w, x, t)
        _same(value, expected[0])
        _same(g, expected[1])
    assert f.calls == 1
    graph.grad(w, np.zeros((5, 4)), np.zeros(5))  # other shapes: another record
    assert f.calls == 2


def test_integer_data_keys_the_record_by_its_value() -> None:
    """An integer (a label, an index) may be built into an op, so each value gets its record."""
    f = _Counting(lambda z, y: ops.softmax_cross_entropy_with_integer_labels(z, y))
    z = np.array([0.5, -1.0, 2.0])
    graph = tp.trace(f, z, 0)
    for label in (0, 1, 2, 1, 0):
        _same(graph.grad(z, label), tp.grad(lambda z, y=label: f.f(z, y), z))
    assert f.calls == 3
    labels = np.array([0, 2])
    zz = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -1.0]])
    graph.grad(zz, labels)
    graph.grad(zz, labels.copy())  # the same values: the same record
    assert f.calls == 4
    _same(graph.grad(zz, np.array([1, 1])), tp.grad(lambda z: f.f(z, np.array([1, 1])), zz))
    assert f.calls == 5


def test_integer_data_as_data_reuses_one_record() -> None:
    """With `integer_data` (what typedprop.distributed sets), integer arrays are data: labels
    of every value replay one record, the range check runs at each replay, and an index made
    of them is refused at trace time."""
    f = _Counting(lambda z, y: ops.softmax_cross_entropy_with_integer_labels(z, y))
    graph: tp.Graph[Any, Any, Any] = tp.Graph(f)
    graph.integer_data = True
    rng = np.random.default_rng(0)
    z = rng.normal(size=(4, 3))
    for _ in range(4):
        labels = rng.integers(0, 3, 4)
        _same(graph.grad(z, labels), tp.grad(lambda z, y=labels: f.f(z, y), z))
    assert f.calls == 1
    with pytest.raises(tp.CheckError, match=r"argument 'labels' holds 3, out of range \[0, 3\)"):
        graph.grad(z, np.array([0, 1, 2, 3]))
    picked = tp.Graph(lambda z, y: ops.sum(z[np.arange(4), y]))
    picked.integer_data = True
    with pytest.raises(tp.TraceError, match="getitem was given a traced value as a setting"):
        picked.grad(z, np.array([0, 1, 2, 0]))


def test_data_in_structures_and_python_floats() -> None:
    def f(
        w: BVar[Vec], data: tuple[np.ndarray, float], extra: dict[str, np.ndarray]
    ) -> BVar[float]:
        x, scale = data
        return ops.sum(w * x * scale + extra["shift"])

    graph = tp.trace(f, np.ones(3), (np.ones(3), 2.0), {"shift": np.zeros(3)})
    w, x, shift = np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.25, 2.0]), np.array([1.0, 0, 0])
    value, g = graph.backprop(w, (x, 3.0), {"shift": shift})
    expected = tp.backprop(lambda w: f(w, (x, 3.0), {"shift": shift}), w)
    _same(value, expected[0])
    _same(g, expected[1])


def test_float32_data_stays_float32() -> None:
    graph = tp.trace(lambda w, x: ops.sum(w * x), np.ones(2, np.float32), np.ones(2, np.float32))
    g = graph.grad(np.ones(2, np.float32), np.array([2.0, 3.0], np.float32))
    assert g.dtype == np.float32 and g.tolist() == [2.0, 3.0]


def test_unused_data_is_fine() -> None:
    graph = tp.trace(lambda w, x: ops.sum(w * w), np.ones(2), np.ones(5))
    _same(graph.grad(np.array([1.0, 2.0]), np.zeros(5)), np.array([2.0, 4.0]))


def test_a_computation_on_data_in_python_is_refused_at_trace_time() -> None:
    def f(w: BVar[Vec], x: np.ndarray) -> BVar[float]:
        return ops.sum(w * (x * 2.0))  # numpy on the data: not an op, not replayable

    with pytest.raises(tp.TraceError) as e:
        tp.trace(f, np.ones(2), np.ones(2))
    assert str(e.value) == (
        "trace: multiply was given a traced value as a plain constant (a parameter's .value, "
        "or something computed from it or from the data in Python): a recorded graph would "
        "keep it fixed. Pass the BVar or the data itself, compute with typedprop.ops, or use "
        "the implicit style (typedprop.backprop)"
    )


def test_a_branch_on_data_is_refused_at_trace_time() -> None:
    def f(w: BVar[Vec], x: np.ndarray) -> BVar[float]:
        return ops.sum(w) if x.sum() > 0 else ops.sum(w * w)

    with pytest.raises(tp.TraceError, match="a Python branch on a traced value"):
        tp.trace(f, np.ones(2), np.ones(2))


def test_the_number_of_data_arguments_is_checked() -> None:
    graph = tp.trace(lambda w, x: ops.sum(w * x), np.ones(2), np.ones(2))
    with pytest.raises(tp.CheckError, match=r"traced with 1 data argument, called with 0"):
        graph.grad(np.ones(2))  # type: ignore[call-arg]  # the point of the test


def test_as_op_needs_a_graph_without_data() -> None:
    graph = tp.trace(lambda w, x: ops.sum(w * x), np.ones(2), np.ones(2))
    with pytest.raises(tp.CheckError, match=r"as_op: the graph takes data"):
        graph.as_op()  # type: ignore[misc]  # mypy refuses it too


def test_a_failed_trace_leaves_no_record_and_no_tape() -> None:
    def f(w: BVar[Vec], x: np.ndarray) -> BVar[float]:
        return ops.sum(w * (x + 1.0))

    graph = tp.Graph(f)
    with pytest.raises(tp.TraceError):
        graph.grad(np.ones(2), np.ones(2))
    assert "0 records" in repr(graph)
    # The implicit style still works afterwards: no tape was left open.
    _same(tp.grad(lambda w: ops.sum(w * w), np.ones(2)), np.array([2.0, 2.0]))


def test_a_graph_keeps_a_bounded_number_of_records(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trace_module, "_RECORDS_LIMIT", 3)
    f = _Counting(lambda z, y: ops.softmax_cross_entropy_with_integer_labels(z, y))
    z = np.array([0.5, -1.0, 2.0, 0.0])
    graph = tp.trace(f, z, 0)
    for label in (1, 2, 3):  # the record of label 3 drops the oldest, label 0's
        graph.grad(z, label)
    assert f.calls == 4 and "3 records" in repr(graph)
    _same(graph.grad(z, 0), tp.grad(lambda z: f.f(z, 0), z))  # traced again
    graph.grad(z, 3)
    assert f.calls == 5


def test_data_takes_no_gradient() -> None:
    """The record computes no gradient for data: matvec skips `w.T @ g` for its input."""
    calls: list[tuple[bool, ...]] = []
    original = type(ops.matvec).forward

    def spy(self: Any, w: Any, x: Any) -> Any:
        out, back = original(self, w, x)

        def backward(g: Any, needs: tuple[bool, ...]) -> Any:
            calls.append(needs)
            return back(g, needs)

        return out, backward

    with pytest.MonkeyPatch.context() as m:
        m.setattr(type(ops.matvec), "forward", spy)
        graph = tp.trace(lambda w, x: ops.sum(ops.matvec(w, x)), np.ones((2, 3)), np.ones(3))
        for _ in range(3):
            g = graph.grad(np.ones((2, 3)), np.array([1.0, 2.0, 3.0]))
    _same(g, np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]))
    assert calls[1:] == [(True, False)] * 2  # the first sweep is the engine's own


def test_integer_arrays_among_the_parameters_key_records_too() -> None:
    """An integer array in the parameters (not differentiated) may index, as in the data."""

    def f(p: BVar[tuple[Vec, np.ndarray]]) -> BVar[float]:
        w, idx = p.unpack()
        return ops.sum(ops.take(w, idx.value))

    w = np.array([1.0, 2.0, 3.0])
    graph = tp.trace(f, (w, np.array([0, 0])))
    g, _ = graph.grad((w, np.array([2, 1])))
    _same(g, np.array([0.0, 1.0, 1.0]))


# What a record cannot replay is refused at trace time, never frozen into it -----------------

_FROZEN_SETTING = (
    "was given a traced value as a setting (an exponent, bounds, a condition or an index "
    "computed from the parameters or the data), which a recorded graph would keep fixed. Use "
    "the implicit style (typedprop.backprop)"
)


@pytest.mark.parametrize(
    ("name", "f", "data"),
    [
        ("power", lambda w, s: ops.sum(w**s), 2.0),
        ("power", lambda w, x: ops.sum(x**w), np.full(3, 2.0)),
        ("clip", lambda w, lo: ops.sum(ops.clip(w, lo, 10.0)), 0.0),
        ("leaky_relu", lambda w, a: ops.sum(ops.leaky_relu(w, a)), 0.1),
        ("elu", lambda w, a: ops.sum(ops.elu(w, a)), 1.0),
        ("where", lambda w, x: ops.sum(ops.where(x > 0, w, 0.0)), np.ones(3)),
        ("getitem", lambda w, x: ops.sum(w[x > 0]), np.ones(3)),
        ("where", lambda w, x: ops.sum(ops.where(w.value > 0, w, 0.0)), np.ones(3)),
    ],
)
def test_a_setting_from_the_data_or_the_parameters_is_refused(name: str, f: Any, data: Any) -> None:
    with pytest.raises(tp.TraceError) as e:
        tp.trace(f, np.array([0.3, -0.7, 1.2]), data)
    assert str(e.value) == f"trace: {name} {_FROZEN_SETTING}"


@pytest.mark.parametrize(
    "f",
    [
        lambda w, x: ops.sum(w * ops.logistic(x)),
        lambda w, x: ops.sum(w) + ops.sum(ops.multiply(ops.exp(x), 2.0)),
        lambda w, x: ops.sum(w * tp.constant(ops.exp(x))),
        lambda w, x: ops.sum(ops.matvec(ops.outer(x, x), w)),
    ],
)
def test_ops_on_the_data_alone_are_recorded(f: Any) -> None:
    """An op on the data alone is a node of the record, computed again from new data."""
    counting = _Counting(f)
    graph = tp.trace(counting, np.ones(3), np.ones(3))
    w = np.array([0.5, -1.0, 2.0])
    for x in (np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.5, 0.0])):
        value, g = graph.backprop(w, x)
        expected = tp.backprop(lambda w, x=x: f(w, x), w)
        _same(value, expected[0])
        _same(g, expected[1])
    assert counting.calls == 1


def test_an_op_on_a_parameters_value_alone_is_refused() -> None:
    with pytest.raises(tp.TraceError, match="trace: exp was given a traced value as a plain "):
        tp.trace(lambda w: ops.sum(w * ops.exp(w.value)), np.ones(3))


def test_numpy_on_what_an_op_made_of_the_data_is_refused() -> None:
    with pytest.raises(tp.TraceError, match="trace: sum was given a traced value as a plain "):
        tp.trace(lambda w, x: w * 1.0 + ops.sum(ops.exp(x) * 2.0), np.ones(3), np.ones(3))


def test_a_condition_made_by_an_op_on_the_data_is_still_a_setting() -> None:
    with pytest.raises(tp.TraceError, match=f"trace: where {re.escape(_FROZEN_SETTING)}"):
        tp.trace(
            lambda w, x: ops.sum(ops.where(ops.greater(x, 0.0), w, 0.0)), np.ones(2), np.ones(2)
        )


@pytest.mark.parametrize(
    ("f", "data"),
    [
        (lambda w, s: ops.sum(w * (s * 2.0)), 1.0),  # Python arithmetic on a float
        (lambda w, s: ops.sum(w * -s), 1.0),
        (lambda w, s: ops.sum(w * abs(s)), 1.0),
        (lambda w, x: ops.sum(w * x[0]), np.ones(2)),  # an element of an array
    ],
)
def test_python_arithmetic_on_the_data_is_refused(f: Any, data: Any) -> None:
    with pytest.raises(tp.TraceError, match="was given a traced value as a plain constant"):
        tp.trace(f, np.ones(2), data)


def test_plain_ops_outside_a_trace_are_unaffected() -> None:
    x = np.array([0.0, 1.0])
    _same(ops.logistic(x), 1.0 / (1.0 + np.exp(-x)))


# Found in review: each failed before its fix --------------------------------------------------


def test_ops_after_the_output_are_recorded_and_ignored() -> None:
    def f(w: BVar[Vec]) -> BVar[float]:
        loss = ops.sum(w * w)
        ops.tanh(w)  # a value computed after the output (a metric), not returned
        return loss

    graph = tp.trace(f, np.ones(3))
    for _ in range(3):  # the first gradient is the engine's checked sweep, then the record's
        _same(graph.grad(np.array([1.0, 2.0, 3.0])), np.array([2.0, 4.0, 6.0]))


def test_a_data_input_may_get_no_gradient_from_its_op() -> None:
    scale = tp.op2(lambda w, x: (w * x, lambda g: (g * x, None)), name="scale")
    f = lambda w, x: ops.sum(scale(w, x))  # noqa: E731
    graph = tp.trace(f, np.ones(3), np.ones(3))
    x = np.array([1.0, 2.0, 3.0])
    for _ in range(2):
        _same(graph.grad(np.ones(3), x), x)


class _Scale(tp.Op[Any, Any]):
    """Gives a Python float gradient for a float32 scalar input: the engine converts it."""

    name = "scale"

    def __init__(self, c: float) -> None:
        self.c = c

    def forward(self, a: Any) -> Any:
        return a * np.float32(self.c), lambda g: (float(g) * self.c,)


def test_a_gradient_converted_by_the_checked_sweep_keeps_the_record_checked() -> None:
    s1, s2 = _Scale(1.786106414881354), _Scale(0.5503783629581965)

    def f(w: BVar[np.float32]) -> BVar[np.float32]:
        return s2(s1(w))

    graph = tp.trace(f, np.float32(0.3))
    expected = tp.backprop(f, np.float32(0.3))
    for _ in range(3):
        value, g = graph.backprop(np.float32(0.3))
        assert g == expected[1] and type(g) is np.float32


def test_ndarray_subclass_data_replays_as_arrays(tmp_path: Any) -> None:
    rows = np.memmap(tmp_path / "rows", dtype=np.float64, mode="w+", shape=(20, 3))
    rows[:] = np.arange(60.0).reshape(20, 3)
    f = _Counting(lambda w, x: ops.sum(w * x))
    graph = tp.trace(f, np.ones(3), rows[0])
    for i in range(20):
        _same(graph.grad(np.ones(3), rows[i]), np.asarray(rows[i]))
    assert f.calls == 1


def test_threads_share_a_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    monkeypatch.setattr(trace_module, "_RECORDS_LIMIT", 1)  # an eviction at each new label
    f = lambda z, y: ops.softmax_cross_entropy_with_integer_labels(z, y)  # noqa: E731
    z = np.array([0.5, -1.0, 2.0, 0.0])
    graph = tp.trace(f, z, 0)
    expected = [tp.grad(lambda z, y=y: f(z, y), z) for y in range(4)]
    errors: list[str] = []

    def work(seed: int) -> None:
        rng = np.random.default_rng(seed)
        for _ in range(300):
            y = int(rng.integers(0, 4))
            try:
                if not np.array_equal(graph.grad(z, y), expected[y]):
                    errors.append(f"wrong gradient for {y}")
            except Exception as e:  # collected: an exception in a thread would be lost
                errors.append(repr(e))

    threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_a_python_float_datum_may_be_made_a_constant() -> None:
    f = lambda w, s: ops.sum(w * tp.constant(s))  # noqa: E731
    graph = tp.trace(f, np.ones(2), 1.0)
    _same(graph.grad(np.ones(2), 3.0), np.array([3.0, 3.0]))
