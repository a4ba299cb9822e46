"""Graph.compile: a recorded graph over JAX arrays run as one `jax.jit` program gives the
uncompiled graph's and the implicit style's values and gradients (to rounding: XLA fuses), keeps
float32, reads new data (labels included) without compiling again, runs no op's Python after
the first call, and refuses arrays of other libraries and a missing JAX with words; compiled
with an aux, it gives the uncompiled graph's aux too, computed by the program."""

import sys
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pytest

import typedprop as tp
from typedprop import BVar, ops

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")


class Layer(NamedTuple):
    w: Any
    b: Any


def _net(dtype: Any, seed: int = 0) -> tuple[Layer, Layer]:
    rng = np.random.default_rng(seed)
    return (
        Layer(jnp.asarray(rng.normal(size=(5, 4)), dtype), jnp.asarray(rng.normal(size=5), dtype)),
        Layer(jnp.asarray(rng.normal(size=(3, 5)), dtype), jnp.asarray(rng.normal(size=3), dtype)),
    )


def _batch(dtype: Any, seed: int, rows: int = 6) -> tuple[Any, Any]:
    rng = np.random.default_rng(100 + seed)
    x = jnp.asarray(rng.uniform(size=(rows, 4)), dtype)
    return x, jnp.asarray(rng.integers(3, size=rows))


def loss(params: BVar[tuple[Layer, Layer]], x: Any, labels: Any) -> BVar[float]:
    (w1, b1), (w2, b2) = (layer.unpack() for layer in params.unpack())
    h = ops.logistic(x @ w1.T + b1)
    out: BVar[float] = ops.softmax_cross_entropy_with_integer_labels(h @ w2.T + b2, labels)
    return out


def _implicit(params: tuple[Layer, Layer], batch: tuple[Any, Any]) -> Any:
    return tp.backprop(lambda p: loss(p, *batch), params)


def _close(a: Any, b: Any, tol: float) -> None:
    assert type(a) is type(b)
    if isinstance(a, tuple):
        for p, q in zip(a, b, strict=True):
            _close(p, q, tol)
        return
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def test_float64_equals_the_graph_and_the_implicit_style(x64: None) -> None:
    params = _net(jnp.float64)
    graph = tp.trace(loss, params, *_batch(jnp.float64, 0))
    compiled = graph.compile()
    for seed in range(3):  # new data each call: the same program reads it
        batch = _batch(jnp.float64, seed)
        value, g = compiled.backprop(params, *batch)
        ref_value, ref_g = graph.backprop(params, *batch)
        implicit_value, implicit_g = _implicit(params, batch)
        _close(value, ref_value, 1e-12)
        _close(g, ref_g, 1e-12)
        _close(value, implicit_value, 1e-12)
        _close(g, implicit_g, 1e-12)
        _close(compiled.evaluate(params, *batch), ref_value, 1e-12)
        _close(compiled.grad(params, *batch), ref_g, 1e-12)
    assert len(compiled._records) == 1  # labels are data: one record for every batch


def test_float32_stays_float32() -> None:
    params = _net(jnp.float32)
    batch = _batch(jnp.float32, 0)
    compiled = tp.trace(loss, params, *batch).compile()
    value, g = compiled.backprop(params, *batch)
    assert jnp.asarray(value).dtype == jnp.float32
    assert all(a.dtype == jnp.float32 for layer in g for a in layer)
    _, ref = tp.trace(loss, params, *batch).backprop(params, *batch)
    _close(g, ref, 1e-5)


class _Counting(tp.Op[Any, Any]):
    """tanh, counting its forward's calls."""

    def __init__(self) -> None:
        self.calls = 0

    def forward(self, x: Any) -> tuple[Any, Callable[[Any], tuple[Any]]]:
        self.calls += 1
        y = jnp.tanh(x)
        return y, lambda g: (g * (1.0 - y * y),)


def test_no_op_runs_after_the_first_call() -> None:
    counting = _Counting()

    def f(w: BVar[Any], x: Any) -> BVar[float]:
        out: BVar[float] = ops.sum(counting(w * x))
        return out

    w, x = jnp.linspace(-1.0, 1.0, 4), jnp.ones(4)
    compiled = tp.trace(f, w, x).compile()
    compiled.backprop(w, x)
    calls = counting.calls  # the record's trace, and jax.jit's
    for k in range(3):
        value, g = compiled.backprop(w + k, x * k)
        np.testing.assert_allclose(g, k * (1.0 - np.tanh((w + k) * k) ** 2), atol=1e-6)
    assert counting.calls == calls


def test_new_shapes_get_a_program_of_their_own() -> None:
    params = _net(jnp.float32)
    compiled = tp.trace(loss, params, *_batch(jnp.float32, 0)).compile()
    for rows in (6, 2, 6):
        batch = _batch(jnp.float32, 1, rows)
        _, g = compiled.backprop(params, *batch)
        _, ref = _implicit(params, batch)
        _close(g, ref, 1e-5)
    assert len(compiled._records) == 2


class Mixed(NamedTuple):
    w: Any
    scale: float
    steps: int


def test_float_leaves_are_arguments_and_the_others_fixed() -> None:
    def f(p: BVar[Mixed], x: Any) -> BVar[float]:
        w, scale = p.view(lambda m: m.w), p.view(lambda m: m.scale)
        out: BVar[float] = ops.sum(w * x) * scale * float(p.value.steps)
        return out

    x = jnp.arange(3.0)
    compiled = tp.trace(f, Mixed(jnp.ones(3), 2.0, 2), x).compile()
    for scale in (2.0, 3.0):
        params = Mixed(jnp.ones(3) * scale, scale, 2)
        _, g = compiled.backprop(params, x)
        _, ref = tp.backprop(lambda p: f(p, x), params)
        assert type(g.scale) is float and g.steps == ref.steps
        assert g.scale == pytest.approx(ref.scale)
        np.testing.assert_allclose(g.w, ref.w)


def test_backprop_with_a_seed() -> None:
    compiled = tp.trace(lambda v: ops.tanh(v) * 2.0, jnp.zeros(3)).compile()
    v, seed = jnp.array([0.5, -1.0, 2.0]), jnp.array([1.0, 0.0, 3.0])
    value, g = compiled.backprop_with(v, seed)
    ref_value, ref_g = tp.backprop_with(lambda v: ops.tanh(v) * 2.0, v, seed)
    _close(value, ref_value, 1e-6)
    _close(g, ref_g, 1e-6)
    with pytest.raises(tp.CheckError, match="the seed does not fit the output: got shape"):
        compiled.backprop_with(v, jnp.ones(2))


def test_an_output_of_no_parameter_is_a_constant() -> None:
    compiled = tp.trace(lambda w: tp.constant(1.5) * 2.0, jnp.ones(2)).compile()
    value, g = compiled.backprop(jnp.ones(2))
    assert value == 3.0
    np.testing.assert_array_equal(g, np.zeros(2))


def test_a_scan_inside_runs_compiled() -> None:
    def f(w: BVar[Any], xs: Any) -> BVar[float]:
        def step(h: BVar[Any], x: BVar[Any]) -> tuple[BVar[Any], BVar[Any]]:
            h = ops.tanh(ops.matvec(w, h) + x)
            return h, h

        _, hs = tp.scan(step, jnp.zeros(3), xs)
        out: BVar[float] = ops.sum(hs)
        return out

    rng = np.random.default_rng(0)
    w, xs = jnp.asarray(rng.normal(size=(3, 3))), jnp.asarray(rng.normal(size=(7, 3)))
    compiled = tp.trace(f, w, xs).compile()
    value, g = compiled.backprop(w, xs)
    ref_value, ref_g = tp.backprop(lambda w: f(w, xs), w)
    _close(value, ref_value, 1e-5)
    _close(g, ref_g, 1e-5)


def _graph(f: Callable[..., BVar[Any]], x: Any, *data: Any, has_aux: bool) -> Any:
    """`f` traced, or with `has_aux` traced as a function whose aux is its output's BVar and a
    string: the refusals are the same for both kinds of compiled graph."""
    if not has_aux:
        return tp.trace(f, x, *data)

    def with_aux(*args: Any) -> tuple[BVar[Any], tuple[BVar[Any], str]]:
        out = f(*args)
        return out, (out, "aux")

    return tp.trace(with_aux, x, *data, has_aux=True)


@pytest.mark.parametrize("has_aux", [False, True])
def test_arrays_of_other_libraries_are_refused(has_aux: bool) -> None:
    f = _graph(lambda p, x: ops.sum(p.unpack()[0] * x), (np.ones(2),), np.ones(2), has_aux=has_aux)
    with pytest.raises(
        tp.CheckError,
        match=r"^compile: a compiled graph needs JAX arrays \(jax.jit compiles it\); got an "
        r"array of shape \(2,\) and dtype float64 in the parameter, at x\[0\]\. Convert it "
        r"with jax.numpy.asarray\(x\), or use the graph uncompiled$",
    ):
        f.compile().backprop((np.ones(2),), np.ones(2))
    with pytest.raises(tp.CheckError, match=r"got an array .* in the data, at data\[0\]\."):
        f.compile().backprop((jnp.ones(2),), np.ones(2))
    scalar = _graph(lambda x: x * x, 1.0, has_aux=has_aux).compile()
    with pytest.raises(tp.CheckError, match="but the parameter holds none; pass its arrays"):
        scalar.grad(2.0)


@pytest.mark.parametrize("has_aux", [False, True])
def test_a_missing_jax_is_refused(monkeypatch: pytest.MonkeyPatch, has_aux: bool) -> None:
    graph = _graph(lambda x: x * x, 1.0, has_aux=has_aux)
    monkeypatch.setitem(sys.modules, "jax", None)  # import jax raises ImportError
    with pytest.raises(
        tp.CheckError,
        match=r"^compile: a compiled graph is compiled by jax.jit, but JAX is not installed",
    ):
        graph.compile()


# A graph with an aux: its program computes the aux's BVars too.


def loss_with_aux(
    params: BVar[tuple[Layer, Layer]], x: Any, labels: Any
) -> tuple[BVar[float], dict[str, Any]]:
    (w1, b1), (w2, b2) = (layer.unpack() for layer in params.unpack())
    h = ops.logistic(x @ w1.T + b1)
    logits = h @ w2.T + b2
    out: BVar[float] = ops.softmax_cross_entropy_with_integer_labels(logits, labels)
    return out, {
        "logits": logits,
        "norms": {"w1": ops.sum(w1 * w1), "h": ops.sum(h)},
        "name": "mlp",
    }


def _close_aux(a: Any, b: Any, tol: float) -> None:
    assert a.keys() == b.keys() and a["name"] == b["name"] == "mlp"
    _close(a["logits"], b["logits"], tol)
    assert a["norms"].keys() == b["norms"].keys()
    for key in a["norms"]:
        _close(a["norms"][key], b["norms"][key], tol)


def test_an_aux_equals_the_graph_with_aux(x64: None) -> None:
    params = _net(jnp.float64)
    graph = tp.trace(loss_with_aux, params, *_batch(jnp.float64, 0), has_aux=True)
    compiled = graph.compile()
    assert isinstance(compiled, tp.CompiledGraphWithAux)
    for seed in range(3):  # new parameters and data each call: the same program reads them
        p = jax.tree_util.tree_map(lambda a, k=seed: a * (1.0 + 0.1 * k), params)
        batch = _batch(jnp.float64, seed)
        (value, aux), g = compiled.backprop(p, *batch)
        (ref_value, ref_aux), ref_g = graph.backprop(p, *batch)
        _close(value, ref_value, 1e-12)
        _close_aux(aux, ref_aux, 1e-12)
        _close(g, ref_g, 1e-12)
        value, aux = compiled.evaluate(p, *batch)
        ref_value, ref_aux = graph.evaluate(p, *batch)
        _close(value, ref_value, 1e-12)
        _close_aux(aux, ref_aux, 1e-12)
        g, aux = compiled.grad(p, *batch)
        ref_g, ref_aux = graph.grad(p, *batch)
        _close(g, ref_g, 1e-12)
        _close_aux(aux, ref_aux, 1e-12)
        (value, aux), g = compiled.backprop_with(p, jnp.asarray(2.0), *batch)
        (ref_value, ref_aux), ref_g = graph.backprop_with(p, jnp.asarray(2.0), *batch)
        _close(value, ref_value, 1e-12)
        _close_aux(aux, ref_aux, 1e-12)
        _close(g, ref_g, 1e-12)
    assert len(compiled._records) == 1


def test_an_aux_is_computed_by_the_program_after_the_first_call() -> None:
    counting = _Counting()

    def f(w: BVar[Any], x: Any) -> tuple[BVar[float], tuple[BVar[Any], str]]:
        h = counting(w * x)
        return ops.sum(h), (h, "tanh")

    w, x = jnp.linspace(-1.0, 1.0, 4), jnp.ones(4)
    compiled = tp.trace(f, w, x, has_aux=True).compile()
    compiled.backprop(w, x)
    calls = counting.calls  # the record's trace, and jax.jit's
    for k in range(3):
        (value, (h, name)), g = compiled.backprop(w + k, x * k)
        np.testing.assert_allclose(h, np.tanh((w + k) * k), atol=1e-6)
        np.testing.assert_allclose(g, k * (1.0 - np.tanh((w + k) * k) ** 2), atol=1e-6)
        assert name == "tanh"
    assert counting.calls == calls
    assert len(compiled._records) == 1


def test_an_aux_of_fixed_leaves_and_parameters() -> None:
    def f(p: BVar[Mixed], x: Any) -> tuple[BVar[float], dict[str, Any]]:
        w, scale = p.view(lambda m: m.w), p.view(lambda m: m.scale)
        out: BVar[float] = ops.sum(w * x) * scale
        return out, {"p": p, "steps": p.value.steps, "constant": tp.constant(1.5)}

    x = jnp.arange(3.0)
    graph = tp.trace(f, Mixed(jnp.ones(3), 2.0, 2), x, has_aux=True)
    (_, aux), g = graph.compile().backprop(Mixed(jnp.ones(3) * 3.0, 3.0, 2), x)
    (_, ref_aux), ref_g = graph.backprop(Mixed(jnp.ones(3) * 3.0, 3.0, 2), x)
    assert (aux["steps"], aux["constant"], aux["p"].steps) == (2, 1.5, 2)
    assert aux["steps"] == ref_aux["steps"] and aux["constant"] == ref_aux["constant"]
    np.testing.assert_allclose(aux["p"].w, ref_aux["p"].w)
    assert float(aux["p"].scale) == ref_aux["p"].scale == 3.0
    np.testing.assert_allclose(g.w, ref_g.w)


def test_an_aux_with_an_output_of_no_parameter() -> None:
    compiled = tp.trace(
        lambda w: (tp.constant(1.5) * 2.0, (w * 2.0, "label")), jnp.ones(2), has_aux=True
    ).compile()
    (value, (doubled, label)), g = compiled.backprop(jnp.array([1.0, 3.0]))
    assert value == 3.0 and label == "label"
    np.testing.assert_array_equal(doubled, [2.0, 6.0])
    np.testing.assert_array_equal(g, np.zeros(2))
    plain = tp.trace(lambda w: (tp.constant(1.5) * 2.0, "label"), jnp.ones(2), has_aux=True)
    assert plain.compile().evaluate(jnp.ones(2)) == (3.0, "label")
