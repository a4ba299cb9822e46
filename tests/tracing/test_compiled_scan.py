"""`tp.scan` inside a compiled graph lowers to `lax.scan`: one `lax.scan` for the loop and one,
in reverse, for the sweep back (each step run again from its carry), with the values and
gradients of the scan in numpy, for closures read through views, hoisted ops on x, a dict of
xs and a carry of two arrays, and in float32."""

from typing import Any

import numpy as np
import pytest

import typedprop as tp
from typedprop import BVar, ops

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

T = 12


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """The `reverse` flag of each `lax.scan` call made while the test runs."""
    calls: list[bool] = []
    real = jax.lax.scan

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs.get("reverse", False))
        return real(*args, **kwargs)

    monkeypatch.setattr(jax.lax, "scan", counted)
    return calls


def make_loss(zeros: Any, ones: Any) -> Any:
    """The loss, its initial carry made by the array library's `zeros` and `ones`."""

    def loss(params: BVar[Any], data: Any) -> BVar[float]:
        net, scale = params.unpack()

        def step(c: BVar[list[Any]], x: BVar[dict[str, Any]]) -> tuple[Any, Any]:
            h, k = tp.sequence(c)
            w = net.view(lambda n: n["w"])
            u = net.view(lambda n: n["u"])
            a, s = x.view(lambda d: d["a"]), x.view(lambda d: d["s"])
            h = ops.tanh(ops.matvec(w, h) + ops.matvec(u, ops.tanh(a)) * s)
            k = k * scale + h
            return tp.collect([h, k]), h

        c, hs = tp.scan(step, [zeros(4), ones(4)], data)
        return ops.sum(hs * hs) + ops.sum(tp.sequence(c)[1])

    return loss


rnn_loss = make_loss(jnp.zeros, jnp.ones)


def problem(dtype: Any) -> tuple[Any, Any]:
    rng = np.random.default_rng(0)
    net = {"w": rng.normal(size=(4, 4)) * 0.4, "u": rng.normal(size=(4, 3))}
    data = {"a": rng.normal(size=(T, 3)), "s": rng.normal(size=T)}

    def as_jax(x: Any) -> Any:
        return jnp.asarray(x, dtype=dtype)

    net_j = {k: as_jax(v) for k, v in net.items()}
    return (net_j, as_jax(0.9)), {k: as_jax(v) for k, v in data.items()}


def numpy_reference(params: Any, data: Any) -> tuple[Any, Any]:
    """The same scan on numpy arrays (the generated Python loop)."""
    as_np = lambda x: np.asarray(x, dtype=np.float64)  # noqa: E731
    net, scale = params
    p = ({k: as_np(v) for k, v in net.items()}, float(scale))
    d = {k: as_np(v) for k, v in data.items()}

    loss = make_loss(np.zeros, np.ones)
    return tp.backprop(lambda q: loss(q, d), p)


def test_lowers_to_lax_scan_with_the_same_results(x64: None, scans: list[bool]) -> None:
    params, data = problem(jnp.float64)
    compiled = tp.trace(rnn_loss, params, data).compile()
    value, grads = compiled.backprop(params, data)
    # The loop, and the sweep back in reverse (and the loop when the record was made, on
    # JAX's arrays outside jit: lax.scan there too).
    assert scans.count(True) == 1 and scans.count(False) >= 1
    scans.clear()
    want_value, (want_net, want_scale) = numpy_reference(params, data)
    np.testing.assert_allclose(float(value), want_value, rtol=1e-12)
    net, scale = grads
    for k in ("w", "u"):
        np.testing.assert_allclose(np.asarray(net[k]), want_net[k], rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(float(scale), want_scale, rtol=1e-11)
    # New data: the same program.
    other = {k: v[::-1] for k, v in data.items()}
    value2, _ = compiled.backprop(params, other)
    assert scans == []  # the program made: no Python of the scan's runs again
    np.testing.assert_allclose(float(value2), numpy_reference(params, other)[0], rtol=1e-12)


def test_float32_stays_float32(scans: list[bool]) -> None:
    params, data = problem(jnp.float32)
    value, (net, scale) = tp.trace(rnn_loss, params, data).compile().backprop(params, data)
    assert net["w"].dtype == jnp.float32 and scale.dtype == jnp.float32
    want_value, (want_net, _) = numpy_reference(params, data)
    np.testing.assert_allclose(float(value), want_value, rtol=1e-4)
    np.testing.assert_allclose(np.asarray(net["w"]), want_net["w"], rtol=1e-3, atol=1e-4)


def test_gradients_of_xs_and_init(x64: None, scans: list[bool]) -> None:
    rng = np.random.default_rng(1)
    w, xs, h0 = rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(T, 3)), rng.normal(size=3)

    def f(p: BVar[Any]) -> BVar[float]:
        w, xs, h0 = p.unpack()

        def step(h: BVar[Any], x: BVar[Any]) -> tuple[BVar[Any], BVar[Any]]:
            h = ops.tanh(ops.matvec(w, h) + x * x)
            return h, h

        h, hs = tp.scan(step, h0, xs)
        return ops.sum(hs) + ops.sum(h * h)

    jx = tuple(jnp.asarray(a) for a in (w, xs, h0))
    value, grads = tp.trace(f, jx).compile().backprop(jx)
    want_value, want = tp.backprop(f, (w, xs, h0))
    np.testing.assert_allclose(float(value), want_value, rtol=1e-12)
    for g, r in zip(grads, want, strict=True):
        np.testing.assert_allclose(np.asarray(g), r, rtol=1e-11, atol=1e-13)


def test_jax_arrays_outside_jit(x64: None, scans: list[bool]) -> None:
    """On JAX's arrays in the implicit style, the scan is lax.scan too (compiled by JAX, not
    dispatched op by op), with the numpy scan's results."""
    params, data = problem(jnp.float64)
    value, (net, scale) = tp.backprop(lambda p: rnn_loss(p, data), params)
    assert scans.count(True) == 1
    want_value, (want_net, want_scale) = numpy_reference(params, data)
    np.testing.assert_allclose(float(value), want_value, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(net["w"]), want_net["w"], rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(float(scale), want_scale, rtol=1e-11)
