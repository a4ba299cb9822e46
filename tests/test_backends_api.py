"""The public API on every array library installed, as a user of PyTorch, JAX or
array-api-strict would use it: a small network of typed layers whose parameters are that
library's arrays, through `backprop`, `grad`, `backprop_n`, `backprop_with`, `trace` (recorded
once, replayed on new parameters and data), `Graph.as_op`, the optimizers (and their saved
state), `check_grads`, `save`/`load` and the runtime shape checks, each result compared with the
same computation on numpy. The op table on each library is `tests/ops/test_backends.py`.

JAX computes in float32 here (its 64-bit mode is a setting of the whole process; the op table
tests float64 in a process of its own); the other libraries in float64.
"""

import importlib
import pathlib
from typing import Any, NamedTuple

import numpy as np
import pytest

import typedprop as tp
from typedprop import BVar, ops, optim
from typedprop.testing import check_grads

LIBRARIES = ["torch", "jax", "array_api_strict"]


def _library(name: str) -> Any:
    try:
        return importlib.import_module("jax.numpy" if name == "jax" else name)
    except ImportError:
        pytest.skip(f"{name} is not installed (pip install 'typedprop[backends]')")


class Layer(NamedTuple):
    w: Any
    b: Any


Net = tuple[Layer, Layer]


def _numpy_problem() -> tuple[Net, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    net = (
        Layer(rng.normal(0, 0.5, (6, 4)), rng.normal(0, 0.1, 6)),
        Layer(rng.normal(0, 0.5, (3, 6)), rng.normal(0, 0.1, 3)),
    )
    return net, rng.normal(size=(5, 4)), rng.integers(3, size=5)


def _dtype(name: str) -> Any:
    return np.float32 if name == "jax" else np.float64


def _to(name: str, tree: Any, dtype: Any = None) -> Any:
    xp = _library(name)
    if isinstance(tree, tuple):
        return (
            type(tree)(*(_to(name, t, dtype) for t in tree))
            if hasattr(tree, "_fields")
            else (tuple(_to(name, t, dtype) for t in tree))
        )
    a = np.asarray(tree)
    if a.dtype.kind == "f":
        a = a.astype(dtype or _dtype(name))
    return xp.asarray(a)


def _host(tree: Any) -> Any:
    if isinstance(tree, tuple):
        return (
            type(tree)(*map(_host, tree)) if hasattr(tree, "_fields") else tuple(map(_host, tree))
        )
    if hasattr(tree, "detach"):
        return tree.detach().cpu().numpy()
    return np.asarray(tree)


def loss(net: BVar[Net], x: Any, y: Any) -> BVar[Any]:
    hidden, out = net.unpack()
    w, b = hidden.unpack()
    # ops.matmul, not `x @ w.T`: an array-api-strict array on the left of an operator raises
    # TypeError for a BVar on the right instead of letting it answer (PyTorch's and JAX's
    # arrays let it; test_data_on_the_left_of_an_operator).
    h = ops.tanh(ops.matmul(x, w.T) + b)
    w, b = out.unpack()
    return ops.softmax_cross_entropy_with_integer_labels(ops.linear(w, h, b), y)


def _same(got: Any, expected: Any, like: Any, name: str) -> None:
    """`got` has `like`'s types (leaf by leaf) and `expected`'s values."""
    rtol = 1e-4 if name == "jax" else 1e-10
    if isinstance(like, tuple):
        assert type(got) is type(like)
        for g, e, lk in zip(got, expected, like, strict=True):
            _same(g, e, lk, name)
        return
    assert type(got) is type(like), f"{type(got).__name__} is not {type(like).__name__}"
    assert got.dtype == like.dtype and tuple(got.shape) == tuple(like.shape)
    np.testing.assert_allclose(_host(got), expected, rtol=rtol, atol=rtol * 1e-2)


@pytest.mark.parametrize("name", LIBRARIES)
def test_backprop_grad_and_friends_give_the_librarys_arrays(name: str) -> None:
    net_np, x_np, y_np = _numpy_problem()
    value_np, grads_np = tp.backprop(lambda n: loss(n, x_np, y_np), net_np)
    net, x, y = _to(name, net_np), _to(name, x_np), _to(name, y_np)
    value, grads = tp.backprop(lambda n: loss(n, x, y), net)
    _same(grads, grads_np, net, name)
    np.testing.assert_allclose(_host(value), value_np, rtol=1e-5)
    _same(tp.grad(lambda n: loss(n, x, y), net), grads_np, net, name)
    # backprop_n: the network and the data both differentiated.
    _, (g_net, g_x) = tp.backprop_n(lambda n, d: loss(n, d, y), net, x)
    _, (_, g_x_np) = tp.backprop_n(lambda n, d: loss(n, d, y_np), net_np, x_np)
    _same(g_net, grads_np, net, name)
    _same(g_x, g_x_np, x, name)
    # backprop_with: a seed of the output's library.
    xp = _library(name)
    seed_np = np.linspace(0.5, 1.5, 15).reshape(5, 3)
    w = _to(name, net_np[1].w[:, :4])
    _, g = tp.backprop_with(
        lambda n: ops.matmul(x, n.T), w, xp.asarray(seed_np.astype(_dtype(name)))
    )
    _, g_np = tp.backprop_with(lambda n: x_np @ n.T, net_np[1].w[:, :4], seed_np)
    _same(g, g_np, w, name)


@pytest.mark.parametrize("name", LIBRARIES)
def test_a_recorded_graph_replays_on_new_parameters_and_data(name: str) -> None:
    net_np, x_np, y_np = _numpy_problem()
    net, x, y = _to(name, net_np), _to(name, x_np), _to(name, y_np)
    graph = tp.trace(loss, net, x, y)
    for k in range(2):
        x2_np = x_np + k
        net2_np = tuple(Layer(layer.w * (1 + k), layer.b) for layer in net_np)
        expected_value, expected = tp.backprop(lambda n: loss(n, x2_np, y_np), net2_np)  # noqa: B023
        value, grads = graph.backprop(_to(name, net2_np), _to(name, x2_np), y)
        _same(grads, expected, net, name)
        np.testing.assert_allclose(_host(value), expected_value, rtol=1e-5)
    # The graph as an op inside another function.
    op = tp.trace(lambda n: loss(n, x, y), net).as_op()
    _, grads = tp.backprop(lambda n: op(n) * 2.0, net)
    _, expected = tp.backprop(lambda n: loss(n, x_np, y_np) * 2.0, net_np)
    _same(grads, expected, net, name)


@pytest.mark.parametrize("name", LIBRARIES)
def test_the_optimizers_train_on_the_librarys_arrays_and_resume(name: str) -> None:
    net_np, x_np, y_np = _numpy_problem()
    x, y = _to(name, x_np), _to(name, y_np)
    for make in (optim.SGD, optim.Momentum, optim.Adam):
        mine, theirs = _to(name, net_np), net_np
        opt_mine, opt_theirs = make(mine, lr=0.05), make(theirs, lr=0.05)
        for _ in range(3):
            mine = opt_mine.step(mine, tp.grad(lambda n: loss(n, x, y), mine))  # noqa: B023
            theirs = opt_theirs.step(theirs, tp.grad(lambda n: loss(n, x_np, y_np), theirs))  # noqa: B023
        _same(mine, theirs, _to(name, net_np), name)
        resumed = make(mine, lr=0.05)
        resumed.load_state(opt_mine.state())
        assert resumed.steps == 3


@pytest.mark.parametrize("name", ["torch", "array_api_strict"])
def test_check_grads_on_the_librarys_arrays(name: str) -> None:
    net_np, x_np, y_np = _numpy_problem()
    check_grads(lambda n: loss(n, _to(name, x_np), _to(name, y_np)), _to(name, net_np))


@pytest.mark.parametrize("name", LIBRARIES)
def test_save_and_load_the_librarys_arrays(name: str, tmp_path: pathlib.Path) -> None:
    net = _to(name, _numpy_problem()[0])
    tp.save(tmp_path / "net.npz", net)
    loaded = tp.load(tmp_path / "net.npz", like=net)
    _same(loaded, _host(net), net, name)


@pytest.mark.parametrize("name", LIBRARIES)
def test_a_shape_mistake_is_a_check_error_naming_the_op(name: str) -> None:
    net_np, x_np, y_np = _numpy_problem()
    net, y = _to(name, net_np), _to(name, y_np)
    x = _to(name, x_np[:, :3])  # 3 features, the layer takes 4
    with pytest.raises(tp.CheckError, match=r"^matmul: .*\(5, 3\).*\(4, 6\)"):
        tp.backprop(lambda n: loss(n, x, y), net)


@pytest.mark.parametrize("name", ["torch", "jax"])
def test_data_on_the_left_of_an_operator(name: str) -> None:
    x, w = _to(name, np.ones((2, 3))), _to(name, np.full((4, 3), 0.5))
    value, g = tp.backprop(lambda p: ops.sum(x @ p.T * 2.0 - x[0] @ p.T), w)
    assert type(g) is type(w)
    np.testing.assert_allclose(_host(g), np.full((4, 3), 2.0), rtol=1e-6)
    np.testing.assert_allclose(_host(value), 12.0, rtol=1e-6)
