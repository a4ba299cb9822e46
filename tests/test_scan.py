"""`typedprop.scan`: a loop over the leading axis of arrays, recorded once and run as one op.

Every result is compared with the same loop written in Python with the same ops (the values
and gradients the engine gives op by op), and with finite differences; the summed gradients of
the weights are checked to be formed once, not step by step; the step's errors are checked for
their types and words, and for leaving nothing behind.
"""

from typing import Any, NamedTuple

import numpy as np
import pytest

import typedprop as tp
from typedprop import BVar, Mat, Vec, ops
from typedprop._core import tape as _tape
from typedprop.ops import _linalg

H, N, T = 4, 3, 7


class RNN(NamedTuple):
    w: Mat
    u: Mat
    b: Vec


def rnn(dtype: Any = np.float64) -> tuple[RNN, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    params = RNN(
        (0.5 * rng.normal(size=(H, H))).astype(dtype),
        rng.normal(size=(H, N)).astype(dtype),
        rng.normal(size=H).astype(dtype),
    )
    return params, rng.normal(size=(T, N)).astype(dtype), rng.normal(size=H).astype(dtype)


def cell(p: BVar[RNN], h: BVar[Vec] | Vec, x: BVar[Vec] | Vec) -> BVar[Vec]:
    w, u, b = p.unpack()
    return ops.tanh(ops.matvec(w, h) + ops.matvec(u, x) + b)


def scanned(xs: Any, v: np.ndarray) -> Any:
    def loss(p: BVar[RNN]) -> BVar[float]:
        def step(h: BVar[Vec], x: BVar[Vec]) -> tuple[BVar[Vec], BVar[float]]:
            h = cell(p, h, x)
            return h, h @ v

        h, ys = tp.scan(step, np.zeros(H, dtype=v.dtype), xs)
        return ops.sum(ys) + ops.sum(h * h)

    return loss


def looped(xs: Any, v: np.ndarray) -> Any:
    def loss(p: BVar[RNN]) -> BVar[float]:
        h: BVar[Vec] | Vec = np.zeros(H, dtype=v.dtype)
        total: BVar[float] | float = 0.0
        for x in xs:
            h = cell(p, h, x)
            total = total + h @ v
        assert isinstance(h, BVar)
        return total + ops.sum(h * h)

    return loss


def assert_close(a: Any, b: Any, rtol: float = 1e-12) -> None:
    la, lb = tp._core.structures.flatten(a)[0], tp._core.structures.flatten(b)[0]
    assert len(la) == len(lb)
    for x, y in zip(la, lb, strict=True):
        assert type(x) is type(y)
        assert np.shape(x) == np.shape(y)
        np.testing.assert_allclose(x, y, rtol=rtol, atol=1e-14)


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("checks", [True, False])
def test_equals_the_python_loop(checks: bool) -> None:
    params, xs, v = rnn()
    with tp.checks(checks):
        value, grads = tp.backprop(scanned(xs, v), params)
        want_value, want = tp.backprop(looped(xs, v), params)
    assert value == pytest.approx(want_value, rel=1e-13)
    assert type(grads) is RNN
    assert_close(grads, want)


def test_gradients_of_init_and_xs() -> None:
    params, xs, v = rnn()
    h0 = np.linspace(-0.5, 0.5, H)

    def f(p: BVar[RNN], h0: BVar[Vec], xs: BVar[Mat]) -> BVar[float]:
        def step(h: BVar[Vec], x: BVar[Vec]) -> tuple[BVar[Vec], BVar[Vec]]:
            h = cell(p, h, x)
            return h, h

        h, hs = tp.scan(step, h0, xs)
        return ops.sum(hs @ v) + ops.sum(h)

    def g(p: BVar[RNN], h0: BVar[Vec], xs: BVar[Mat]) -> BVar[float]:
        h: BVar[Vec] = h0
        total: BVar[float] | float = 0.0
        for t in range(T):
            h = cell(p, h, xs[t])
            total = total + h @ v
        assert isinstance(total, BVar)
        return total + ops.sum(h)

    got = tp.backprop_n(f, params, h0, xs)
    want = tp.backprop_n(g, params, h0, xs)
    assert got[0] == pytest.approx(want[0], rel=1e-13)
    assert_close(got[1], want[1])
    tp.testing.check_grads(lambda a: f(*a.unpack()), (params, h0, xs))


def test_float32_stays_float32() -> None:
    params, xs, v = rnn(np.float32)
    value, grads = tp.backprop(scanned(xs, v), params)
    for g in grads:
        assert g.dtype == np.float32
    _, want = tp.backprop(looped(xs, v), params)
    assert_close(grads, want, rtol=1e-5)


def test_traced_replays_the_scan() -> None:
    params, xs, v = rnn()

    def loss(p: BVar[RNN], xs: Mat) -> BVar[float]:
        return scanned(xs, v)(p)

    graph = tp.trace(loss, params, xs)
    other = xs[::-1] * 0.5
    for data in (xs, other, xs):  # the first replay is checked, the next ones are not
        value, grads = graph.backprop(params, data)
        want_value, want = tp.backprop(looped(data, v), params)
        assert value == pytest.approx(want_value, rel=1e-13)
        assert_close(grads, want)


def test_a_weight_gradient_is_one_product() -> None:
    """matvec's gradient for the weight is summed over the steps by one product, not one outer
    product per step (which the Python loop takes)."""
    params, xs, v = rnn()
    calls = []
    real = _linalg._outer_product

    def counted(g: Any, x: Any) -> Any:
        calls.append(1)
        return real(g, x)

    with pytest.MonkeyPatch.context() as m:
        m.setattr(_linalg, "_outer_product", counted)
        tp.backprop(scanned(xs, v), params)
        assert calls == []
        tp.backprop(looped(xs, v), params)
        assert len(calls) == 2 * T


def test_structures_of_xs_carry_and_ys() -> None:
    """xs a dict of arrays, a carry of two arrays (a list), ys a tuple-valued structure."""
    rng = np.random.default_rng(1)
    xs = {"a": rng.normal(size=(T, 2)), "s": rng.normal(size=T)}
    w = rng.normal(size=(2, 2)) * 0.5

    def f(w: BVar[Mat], xs: BVar[dict[str, Any]]) -> BVar[float]:
        def step(c: BVar[list[Vec]], x: BVar[dict[str, Any]]) -> tuple[Any, Any]:
            h, k = tp.sequence(c)
            a, s = x.view(lambda d: d["a"]), x.view(lambda d: d["s"])
            h = ops.tanh(ops.matvec(w, h) + a * s)
            k = k + h
            return tp.collect([h, k]), tp.collect([h, k * s])

        c, ys = tp.scan(step, [np.zeros(2), np.ones(2)], xs)
        first, second = tp.sequence(ys)
        assert first.value.shape == (T, 2)
        return ops.sum(first * second) + ops.sum(tp.sequence(c)[1])

    def g(w: BVar[Mat], xs: BVar[dict[str, Any]]) -> BVar[float]:
        a_all, s_all = xs.view(lambda d: d["a"]), xs.view(lambda d: d["s"])
        h: Any = np.zeros(2)
        k: Any = np.ones(2)
        total: Any = 0.0
        for t in range(T):
            h = ops.tanh(ops.matvec(w, h) + a_all[t] * s_all[t])
            k = k + h
            total = total + ops.sum(h * (k * s_all[t]))
        return total + ops.sum(k)

    got = tp.backprop_n(f, w, xs)
    want = tp.backprop_n(g, w, xs)
    assert got[0] == pytest.approx(want[0], rel=1e-13)
    assert_close(got[1], want[1])
    assert type(got[1][1]) is dict


def test_weights_read_in_the_step_and_before_it() -> None:
    """Views of the parameters and ops on the weights alone inside the step run once, before
    the loop; subtract, multiply and matmul's summed gradients; a closed-over number."""
    params, xs, v = rnn()

    def f(p: BVar[tuple[RNN, float]]) -> BVar[float]:
        net, scale = p.unpack()

        def step(h: BVar[Vec], x: BVar[Vec]) -> tuple[BVar[Vec], BVar[float]]:
            w = net.view(lambda n: n.w)
            u = net.view(lambda n: n.u)
            b = net.view(lambda n: n.b)
            h = ops.tanh(h @ w.T + ops.matvec(u, x) - b * scale)
            return h * scale, (h * b) @ v

        h, ys = tp.scan(step, np.zeros(H), xs)
        return ops.sum(ys) + ops.sum(h)

    def g(p: BVar[tuple[RNN, float]]) -> BVar[float]:
        net, scale = p.unpack()
        w, u, b = net.unpack()
        h: Any = np.zeros(H)
        total: Any = 0.0
        for x in xs:
            h = ops.tanh(h @ w.T + ops.matvec(u, x) - b * scale)
            total = total + (h * b) @ v
            h = h * scale
        return total + ops.sum(h)

    x = (params, 0.9)
    got, want = tp.backprop(f, x), tp.backprop(g, x)
    assert got[0] == pytest.approx(want[0], rel=1e-13)
    assert_close(got[1], want[1])
    tp.testing.check_grads(f, x)


@pytest.mark.parametrize("shape", ["scalar", "vector", "matrix", "broadcast"])
def test_finite_differences(shape: str) -> None:
    rng = np.random.default_rng(2)
    xs = {
        "scalar": rng.normal(size=T),
        "vector": rng.normal(size=(T, 3)),
        "matrix": rng.normal(size=(T, 2, 3)),
        "broadcast": rng.normal(size=(T, 3)),
    }[shape]
    init = {"scalar": 0.1, "vector": np.zeros(3), "matrix": np.zeros((2, 3))}.get(
        shape, np.zeros((2, 3))
    )
    a = rng.normal(size=np.shape(init)) * 0.5 if shape != "scalar" else 0.7
    m = rng.normal(size=(3, 3)) * 0.3

    def f(p: BVar[tuple[Any, Mat]]) -> BVar[float]:
        a, m = p.unpack()

        def step(c: Any, x: Any) -> tuple[Any, Any]:
            if shape in ("vector", "broadcast", "matrix"):
                c = ops.tanh(c @ m + a * x - x)  # x broadcast against (2, 3) in "broadcast"
            else:
                c = ops.tanh(c * a + x)
            return c, ops.sum(c * c)

        c, ys = tp.scan(step, init, xs)
        return ops.sum(ys) + ops.sum(c)

    tp.testing.check_grads(f, (a, m))


def test_a_scan_inside_a_scan() -> None:
    rng = np.random.default_rng(3)
    xs = rng.normal(size=(3, 4, 2))
    w = rng.normal(size=(2, 2)) * 0.5

    def inner_step(w: BVar[Mat]) -> Any:
        def step(h: BVar[Vec], x: BVar[Vec]) -> tuple[BVar[Vec], BVar[Vec]]:
            h = ops.tanh(ops.matvec(w, h) + x)
            return h, h

        return step

    def f(w: BVar[Mat]) -> BVar[float]:
        def outer(c: BVar[Vec], x: BVar[Mat]) -> tuple[BVar[Vec], BVar[float]]:
            c, hs = tp.scan(inner_step(w), c, x)
            return c, ops.sum(hs)

        c, ys = tp.scan(outer, np.zeros(2), xs)
        return ops.sum(ys) + ops.sum(c)

    def g(w: BVar[Mat]) -> BVar[float]:
        c: Any = np.zeros(2)
        total: Any = 0.0
        for block in xs:
            for x in block:
                c = ops.tanh(ops.matvec(w, c) + x)
                total = total + ops.sum(c)
        return total + ops.sum(c)

    got, want = tp.backprop(f, w), tp.backprop(g, w)
    assert got[0] == pytest.approx(want[0], rel=1e-13)
    assert_close(got[1], want[1])


def test_an_op_without_a_summed_gradient() -> None:
    """An op of one's own has its weight's gradient added up step by step."""
    scale = tp.op2(lambda a, x: (a * x, lambda g: (np.sum(g * x), g * a)), name="scale")
    xs = np.linspace(0.0, 1.0, 2 * T).reshape(T, 2)

    def f(a: BVar[float]) -> BVar[float]:
        def step(h: BVar[Vec], x: BVar[Vec]) -> tuple[BVar[Vec], BVar[Vec]]:
            h = ops.tanh(scale(a, h) + x)
            return h, h

        _, hs = tp.scan(step, np.zeros(2), xs)
        return ops.sum(hs)

    def g(a: BVar[float]) -> BVar[float]:
        h: Any = np.zeros(2)
        total: Any = 0.0
        for x in xs:
            h = ops.tanh(scale(a, h) + x)
            total = total + ops.sum(h)
        return total

    got, want = tp.backprop(f, 0.8), tp.backprop(g, 0.8)
    assert got[0] == pytest.approx(want[0], rel=1e-13)
    assert got[1] == pytest.approx(want[1], rel=1e-12)


def test_outside_backprop_gives_constants() -> None:
    xs = np.ones((3, 2))
    h, hs = tp.scan(lambda h, x: (h + x, h * 2.0), np.zeros(2), xs)
    assert h._tape is None and hs._tape is None
    np.testing.assert_array_equal(h.value, [3.0, 3.0])
    np.testing.assert_array_equal(hs.value, [[0.0, 0.0], [2.0, 2.0], [4.0, 4.0]])


def test_ys_of_numbers_stack_into_a_vector() -> None:
    def f(a: BVar[float]) -> BVar[Vec]:
        _, ys = tp.scan(lambda c, x: (c * a + x, c * a), 1.0, np.array([1.0, 2.0, 3.0]))
        return ys

    ys = tp.evaluate(f, 2.0)
    np.testing.assert_allclose(ys, [2.0, 6.0, 16.0])


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


def step_of(body: Any) -> Any:
    return lambda h, x: body(h, x)


@pytest.mark.parametrize(
    ("xs", "words"),
    [
        ({}, "scan: xs holds no array to scan over"),
        (
            np.float64(1.0),
            "xs must be arrays with a leading axis (the steps), but it holds a float64",
        ),
        (
            (np.ones((3, 2)), np.ones((4, 2))),
            "scan: the arrays of xs must have the same leading axis (the steps), "
            "got (3, 2), (4, 2)",
        ),
        (np.ones((0, 2)), "scan: xs has no steps (its leading axis has length 0)"),
        ([1.0, 2.0], "xs must be arrays with a leading axis (the steps), but it holds a float"),
    ],
)
def test_bad_xs(xs: Any, words: str) -> None:
    with pytest.raises(tp.CheckError, match=None) as e:
        tp.grad(lambda h: tp.scan(lambda c, x: (c, c), h, xs)[0], np.zeros(2))
    assert words in str(e.value)


def test_a_carry_of_another_shape() -> None:
    with pytest.raises(tp.CheckError) as e:
        tp.grad(
            lambda h: ops.sum(
                tp.scan(lambda c, x: (ops.concatenate([c, x]), c), h, np.ones((3, 2)))[0]
            ),
            np.zeros(2),
        )
    assert str(e.value) == (
        "scan: the step returned a carry of shape (4,) and dtype float64, but was given one of "
        "shape (2,) and dtype float64: every step must return the carry it is given, in shape "
        "and dtype"
    )


def test_a_carry_of_another_dtype() -> None:
    xs = np.ones((3, 2), dtype=np.float32)
    with pytest.raises(
        tp.CheckError,
        match="of shape \\(2,\\) and dtype float32, but was given one of shape \\(2,\\) and "
        "dtype float64",
    ):
        tp.grad(lambda h: ops.sum(tp.scan(lambda c, x: (x * 2.0, c), h, xs)[0]), np.zeros(2))


def test_a_carry_of_another_structure() -> None:
    with pytest.raises(
        tp.CheckError, match="another structure than the one it was given \\(list for ndarray\\)"
    ):
        tp.grad(
            lambda h: ops.sum(tp.scan(lambda c, x: (tp.collect([c]), c), h, np.ones((3, 2)))[1]),
            np.zeros(2),
        )


@pytest.mark.parametrize(
    ("returned", "words"),
    [
        (lambda c, x: c, "the step must return a pair (carry, y) of BVars, but it returned BVar"),
        (lambda c, x: (c, c, c), "but it returned 3 values"),
        (
            lambda c, x: (c, 1.0),
            "the step must return a pair (carry, y) of BVars, but its y is a float",
        ),
    ],
)
def test_a_step_that_does_not_return_a_pair(returned: Any, words: str) -> None:
    with pytest.raises(tp.CheckError) as e:
        tp.grad(lambda h: ops.sum(tp.scan(returned, h, np.ones((3, 2)))[0]), np.zeros(2))
    assert words in str(e.value)


def test_a_shape_error_in_the_step_names_the_op() -> None:
    w = np.ones((3, 3))
    with pytest.raises(tp.CheckError, match="matvec: argument 'x' has shape \\(2,\\)"):
        tp.grad(
            lambda h: ops.sum(tp.scan(lambda c, x: (ops.matvec(w, c), c), h, np.ones((3, 2)))[0]),
            np.zeros(2),
        )


def test_a_failed_step_leaves_nothing_behind() -> None:
    def bad(h: BVar[Vec]) -> BVar[float]:
        def step(c: BVar[Vec], x: BVar[Vec]) -> tuple[BVar[Vec], BVar[Vec]]:
            raise ZeroDivisionError("in the step")

        return ops.sum(tp.scan(step, h, np.ones((3, 2)))[0])

    with pytest.raises(ZeroDivisionError):
        tp.grad(bad, np.zeros(2))
    assert _tape.active() is None
    # The next call works.
    params, xs, v = rnn()
    _, grads = tp.backprop(scanned(xs, v), params)
    assert_close(grads, tp.backprop(looped(xs, v), params)[1])


def test_a_step_reading_traced_data_as_a_constant() -> None:
    xs = np.ones((3, 2))

    def f(h: BVar[Vec], data: Mat) -> BVar[float]:
        # `data` is the graph's data, read by the step as a constant: refused.
        return ops.sum(tp.scan(lambda c, x: (c + data[0], c), h, xs)[0])

    with pytest.raises(tp.TraceError, match="scan: add was given a traced value as a constant"):
        tp.trace(f, np.zeros(2), np.ones((3, 2)))


def test_a_bvar_of_another_call_is_refused() -> None:
    kept: list[BVar[Vec]] = []
    tp.grad(lambda h: kept.append(h) or ops.sum(h), np.zeros(2))

    with pytest.raises(tp.TapeError, match="made inside a backprop call that has returned"):
        tp.grad(
            lambda h: ops.sum(tp.scan(lambda c, x: (c + kept[0], c), h, np.ones((3, 2)))[0]),
            np.zeros(2),
        )


@pytest.mark.parametrize(
    ("a_shape", "x_shape", "left"),
    [
        ((3, 2), (2,), True),  # w @ x: a matrix times each step's vector
        ((2,), (2,), True),  # v @ x: a number per step
        ((2,), (2, 3), True),  # v @ x: a vector times each step's matrix
        ((3, 2), (2, 4), True),  # w @ x: matrices
        ((2,), (2,), False),  # x @ v
        ((2, 3), (2,), False),  # x @ w
        ((3,), (2, 3), False),  # x @ v: each step's matrix times a vector
        ((4, 3), (2, 4), False),  # x @ w: matrices
    ],
)
def test_matmul_summed_gradients(
    a_shape: tuple[int, ...], x_shape: tuple[int, ...], left: bool
) -> None:
    """matmul's gradient for the input that is the same at every step, summed over the steps
    at once, in each arrangement of ranks, against the Python loop."""
    rng = np.random.default_rng(4)
    a = rng.normal(size=a_shape)
    xs = rng.normal(size=(T, *x_shape))

    def product(a: Any, x: Any) -> Any:
        return a @ x if left else x @ a

    def f(a: BVar[Any]) -> BVar[float]:
        _, ys = tp.scan(lambda c, x: (c, ops.sum(ops.tanh(product(a, x)))), 0.0, xs)
        return ops.sum(ys)

    def g(a: BVar[Any]) -> BVar[float]:
        total: Any = 0.0
        for x in xs:
            total = total + ops.sum(ops.tanh(product(a, x)))
        return total

    got, want = tp.backprop(f, a), tp.backprop(g, a)
    assert got[0] == pytest.approx(want[0], rel=1e-13)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12)


@pytest.mark.parametrize("op", ["tanh", "exp", "logistic", "negative", "log1p", "softplus"])
def test_elementwise_derivatives_of_all_steps(op: str) -> None:
    """An elementwise op in the loop has its derivative computed for all steps at once (or,
    `negative`, its continuation called): the same gradients as the Python loop."""
    f_op = getattr(ops, op)
    rng = np.random.default_rng(5)
    xs = rng.uniform(0.1, 0.5, size=(T, 3))
    w = rng.normal(size=(3, 3)) * 0.3

    def f(w: BVar[Mat]) -> BVar[float]:
        def step(h: BVar[Vec], x: BVar[Vec]) -> tuple[BVar[Vec], BVar[Vec]]:
            h = ops.tanh(f_op(ops.matvec(w, h) + x) * 0.5)
            return h, h

        _, hs = tp.scan(step, np.full(3, 0.2), xs)
        return ops.sum(hs)

    def g(w: BVar[Mat]) -> BVar[float]:
        h: Any = np.full(3, 0.2)
        total: Any = 0.0
        for x in xs:
            h = ops.tanh(f_op(ops.matvec(w, h) + x) * 0.5)
            total = total + ops.sum(h)
        return total

    got, want = tp.backprop(f, w), tp.backprop(g, w)
    assert got[0] == pytest.approx(want[0], rel=1e-13)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12)


def test_torch_tensors() -> None:
    """On PyTorch's tensors the scan runs its generated loop as on numpy's arrays, and its
    gradients are tensors of the parameters' dtype."""
    torch = pytest.importorskip("torch")
    params, xs, v = rnn()
    tparams = RNN(*(torch.from_numpy(a) for a in params))
    txs, tv = torch.from_numpy(xs), torch.from_numpy(v)

    def loss(p: BVar[RNN]) -> BVar[float]:
        def step(h: BVar[Any], x: BVar[Any]) -> tuple[BVar[Any], BVar[Any]]:
            h = cell(p, h, x)
            return h, h

        _, hs = tp.scan(step, torch.zeros(H, dtype=torch.float64), txs)
        return ops.sum(hs @ tv)

    value, grads = tp.backprop(loss, tparams)
    want_value, want = tp.backprop(
        lambda p: ops.sum(tp.scan(lambda h, x: (cell(p, h, x),) * 2, np.zeros(H), xs)[1] @ v),
        params,
    )
    assert float(value) == pytest.approx(want_value, rel=1e-12)
    for g, w in zip(grads, want, strict=True):
        assert isinstance(g, torch.Tensor) and g.dtype == torch.float64
        np.testing.assert_allclose(g.numpy(), w, rtol=1e-11)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_ops_written_into_the_loops(dtype: Any) -> None:
    """add, subtract, multiply and matvec on arrays of one shape and dtype run as expressions
    in the generated loops (no forward or continuation call per step), with the Python
    loop's results; multiply of two stepped values keeps its continuation."""
    from typedprop.ops import _arithmetic

    rng = np.random.default_rng(1)
    w = (0.4 * rng.normal(size=(H, H))).astype(dtype)
    c = rng.normal(size=H).astype(dtype)
    xs = rng.normal(size=(T, H)).astype(dtype)
    init = rng.normal(size=H).astype(dtype)

    def cell(p: Any, h: Any, x: Any) -> Any:
        w, c = p
        a = ops.matvec(w, h) - c * h  # c outside: its gradient is summed
        return ops.tanh(a + x * x - h * c), h * h  # x * x reads x: run for all steps at once

    def scanned(p: BVar[Any]) -> BVar[float]:
        w, c = p.unpack()

        def step(h: BVar[Vec], x: BVar[Vec]) -> tuple[BVar[Vec], BVar[Vec]]:
            return cell((w, c), h, x)

        h, ys = tp.scan(step, init, xs)
        return ops.sum(ys) + ops.sum(h)

    def looped(p: BVar[Any]) -> BVar[float]:
        w, c = p.unpack()
        h: Any = init
        total: Any = 0.0
        for x in xs:
            h, y = cell((w, c), h, x)
            total = total + ops.sum(y)
        return total + ops.sum(h)

    calls: dict[str, int] = {}
    with pytest.MonkeyPatch.context() as m:
        for cls in (_arithmetic.Add, _arithmetic.Subtract, _arithmetic.Multiply):
            real = cls.compute

            def counted(self: Any, a: Any, b: Any, real: Any = real) -> Any:
                calls[self.name] = calls.get(self.name, 0) + 1
                return real(self, a, b)

            m.setattr(cls, "compute", counted)
        with tp.checks(False):
            got = tp.backprop(scanned, (w, c))
            scan_calls = dict(calls)
            calls.clear()
            want = tp.backprop(looped, (w, c))
    rtol = 1e-12 if dtype == np.float64 else 2e-5
    assert_close(got, want, rtol=rtol)
    assert got[1][0].dtype == dtype and got[1][1].dtype == dtype
    # Each op is called once as the step is recorded (four multiplies), then add and subtract
    # never again; x * x once for all steps, and h * h (two stepped values) at each step. The
    # loss's last add is outside the scan.
    assert scan_calls == {"subtract": 2, "multiply": 4 + 1 + T, "add": 1 + 1}, scan_calls
    assert calls["add"] >= T and calls["subtract"] == 2 * T


def test_an_elementwise_step_computes_its_value_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    # The loop calls `numpy_value` (np.tanh) at each step, and makes no derivative function
    # there: the derivatives come after the loop, for all steps at once. (`value_and_derivative`
    # still runs where the step is recorded and for the stacked derivative.)
    from typedprop.ops._elementwise import Tanh

    values: list[int] = []
    derivatives: list[int] = []
    own = Tanh.value_and_derivative

    def counted(x: Any) -> Any:
        values.append(1)
        return np.tanh(x)

    def counted_pair(self: Any, x: Any, xp: Any = np) -> Any:
        derivatives.append(1)
        return own(self, x, xp)

    p, xs, v = rnn()
    want_value, want = tp.backprop(looped(xs, v), p)
    monkeypatch.setattr(Tanh, "numpy_value", staticmethod(counted))
    monkeypatch.setattr(Tanh, "value_and_derivative", counted_pair)
    value, got = tp.backprop(scanned(xs, v), p)
    assert len(values) == T
    assert len(derivatives) < T
    assert value == pytest.approx(want_value, rel=1e-12)
    assert_close(got, want)
