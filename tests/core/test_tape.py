"""The engine: the tape, the reverse sweep, the lifetime of BVars, nesting, threads, seeds, and
the several-parameter entry points."""

import re
import threading
import weakref
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import pytest
from jaxtyping import Float

import typedprop as tp
from typedprop import Mat, Vec
from typedprop._core import tape as _tape
from typedprop.testing import check_grads

RETURNED = (
    "this BVar was made inside a backprop call that has returned; a BVar lives only inside the "
    "function being differentiated (return its .value to keep a result)"
)
OTHER_CALL = (
    "this BVar belongs to another backprop call than the one running now; pass plain values "
    "(x.value) between backprop calls"
)


def total(v: tp.BVar[Any]) -> tp.BVar[Any]:
    return v @ np.ones(v.value.shape, dtype=v.value.dtype)


@pytest.fixture(autouse=True)
def _no_tape_left_behind() -> Any:
    assert _tape.active() is None
    yield
    assert _tape.active() is None


# ---------------------------------------------------------------------------------------------
# Long chains and memory
# ---------------------------------------------------------------------------------------------


def test_chain_of_100k_ops() -> None:
    n = 100_000
    rng = np.random.default_rng(0)
    factors = (1.0 + 1e-5 * rng.standard_normal(n)).tolist()

    def f(x: tp.BVar[float]) -> tp.BVar[float]:
        for c in factors:
            x = x * c
        return x

    value, g = tp.backprop(f, 2.0)
    prod = float(np.prod(factors))
    assert type(g) is float
    assert g == pytest.approx(prod, rel=1e-12)
    assert value == pytest.approx(2.0 * prod, rel=1e-12)


def test_chain_of_100k_array_ops() -> None:
    # y = x + 1 + 1 + ... (alternating add and subtract of arrays): the gradient is all ones.
    x = np.array([0.5, -1.0, 2.0])
    one = np.ones(3)

    def f(v: tp.BVar[Any]) -> tp.BVar[Any]:
        for i in range(100_000):
            v = v + one if i % 2 == 0 else v - one * 0.5
        return total(v)

    value, g = tp.backprop(f, x)
    assert value == pytest.approx(x.sum() + 3 * 50_000 * 0.5)
    np.testing.assert_array_equal(g, one)


class Payload:
    """A weakref-able object standing for something large a gradient continuation holds."""

    def __init__(self) -> None:
        self.data = np.ones(10_000)


def test_intermediates_are_dropped_during_the_sweep() -> None:
    """A node's value and what its continuation captured are freed once the sweep has passed
    the node, before the sweep reaches earlier nodes."""
    refs: dict[str, weakref.ref[Any]] = {}
    alive_at: dict[str, tuple[bool, bool]] = {}

    def probe(label: str) -> tp.Op[float, float]:
        def run(x: float) -> tuple[float, Callable[[float], float]]:
            def back(g: float) -> float:
                alive_at[label] = (refs["payload"]() is not None, refs["big"]() is not None)
                return g

            return x, back

        return tp.op1(run, name=label)

    @tp.op1
    def hold(x: float) -> tuple[float, Callable[[float], float]]:
        payload = Payload()
        refs["payload"] = weakref.ref(payload)
        return 2.0 * x, lambda g: 2.0 * g * float(payload.data[0])

    @tp.op1
    def expand(x: float) -> tuple[np.ndarray, Callable[[np.ndarray], float]]:
        big = np.full(100_000, x)
        refs["big"] = weakref.ref(big)
        return big, lambda g: float(g.sum())  # keeps nothing of the array

    @tp.op1
    def shrink(v: np.ndarray) -> tuple[float, Callable[[float], np.ndarray]]:
        shape = v.shape  # the mean: keeps the shape, not the array
        return float(v.mean()), lambda g: np.full(shape, g / shape[0])

    before, after = probe("before"), probe("after")

    def f(x: tp.BVar[float]) -> tp.BVar[float]:
        y = before(x)  # visited last by the sweep
        y = shrink(expand(hold(y)))
        return after(y) * 3.0  # visited first by the sweep

    value, g = tp.backprop(f, 1.5)
    assert value == 9.0
    assert g == pytest.approx(6.0)
    # Sanity: both objects were alive while the sweep had not reached their nodes...
    assert alive_at["after"] == (True, True)
    # ...and both were gone when it reached an earlier node.
    assert alive_at["before"] == (False, False)


def _own_value_probe() -> tuple[Callable[[tp.BVar[float]], tp.BVar[float]], list[bool]]:
    """A function whose middle node's continuation records whether the node's own value (an
    array it does not capture) is still alive when it runs."""
    ref: list[weakref.ref[Any]] = []
    alive: list[bool] = []

    @tp.op1
    def expand(x: float) -> tuple[np.ndarray, Callable[[np.ndarray], float]]:
        big = np.full(100_000, x)
        ref[:] = [weakref.ref(big)]

        def back(g: np.ndarray) -> float:
            alive.append(ref[0]() is not None)
            return float(g.sum())

        return big, back

    @tp.op1
    def total(v: np.ndarray) -> tuple[float, Callable[[float], np.ndarray]]:
        n = v.shape[0]  # keeps the length, not the array
        return float(v.sum()), lambda g: np.full(n, g)

    return lambda x: total(expand(x)) * 2.0, alive


def test_a_node_value_is_freed_before_its_own_continuation_runs() -> None:
    # The sweep lets go of a node before calling its continuation: a large activation that
    # the continuation does not need is not kept alive through the call.
    f, alive = _own_value_probe()
    assert tp.backprop(f, 1.5) == (300_000.0, 200_000.0)
    assert alive == [False]
    graph = tp.trace(f, 1.5)
    for _ in range(3):
        assert graph.backprop(1.5) == (300_000.0, 200_000.0)
    # The first replay goes through the checked sweep, which holds the values; not the others.
    assert alive[2:] == [False, False]


@pytest.mark.parametrize("arity", [1, 2, 3])
def test_a_bvar_of_a_finished_call_is_refused_in_any_argument(arity: int) -> None:
    kept: list[tp.BVar[float]] = []
    tp.grad(lambda x: kept.append(x) or x, 1.0)  # type: ignore[func-returns-value]  # keep x
    op = {
        1: tp.op1(lambda a: (a, lambda g: g)),
        2: tp.op2(lambda a, b: (a + b, lambda g: (g, g))),
        3: tp.op3(lambda a, b, c: (a + b + c, lambda g: (g, g, g))),
    }[arity]
    for position in range(arity):

        def f(x: tp.BVar[float], position: int = position) -> tp.BVar[float]:
            args: list[Any] = [x] * arity
            args[position] = kept[0]
            return op(*args)  # type: ignore[no-any-return]

        with pytest.raises(tp.TapeError, match=re.escape(RETURNED)):
            tp.grad(f, 2.0)


def test_nothing_of_a_call_is_kept_after_it_returns() -> None:
    refs: list[weakref.ref[Any]] = []

    @tp.op1
    def hold(x: float) -> tuple[float, Callable[[float], float]]:
        payload = Payload()
        refs.append(weakref.ref(payload))
        return x, lambda g: g + 0.0 * float(payload.data[0])

    tp.backprop(lambda x: hold(x) * 2.0, 1.0)
    tp.evaluate(lambda x: hold(x) * 2.0, 1.0)
    assert [r() for r in refs] == [None, None]


# ---------------------------------------------------------------------------------------------
# Lifetime of BVars, nesting
# ---------------------------------------------------------------------------------------------


def test_bvar_used_after_its_backprop_returned() -> None:
    leaked: list[tp.BVar[float]] = []

    def f(x: tp.BVar[float]) -> tp.BVar[float]:
        leaked.append(x)
        return x * 2.0

    assert tp.grad(f, 1.0) == 2.0
    (x,) = leaked
    assert x.value == 1.0  # the plain value stays readable
    with pytest.raises(tp.TapeError, match=re.escape(RETURNED)):
        x * 2.0
    with pytest.raises(tp.TapeError, match=re.escape(RETURNED)):
        2.0 + x
    with pytest.raises(tp.TapeError, match=re.escape(RETURNED)):
        tp.grad(lambda y: leaked[0] * y, 1.0)


def test_structured_bvar_used_after_its_backprop_returned() -> None:
    leaked: list[tp.BVar[Any]] = []

    def f(p: tp.BVar[Any]) -> tp.BVar[float]:
        leaked.append(p)
        return p.view(lambda t: t[0]) * 1.0

    tp.grad(f, (1.0, 2.0))
    (p,) = leaked
    with pytest.raises(tp.TapeError, match=re.escape(RETURNED)):
        p.view(lambda t: t[0])
    with pytest.raises(tp.TapeError, match=re.escape(RETURNED)):
        p.unpack()
    with pytest.raises(tp.TapeError, match=re.escape(RETURNED)):
        tp.collect([p])


def test_tape_error_is_a_runtime_error() -> None:
    assert issubclass(tp.TapeError, RuntimeError)


def test_outer_bvar_inside_inner_backprop() -> None:
    def outer(x: tp.BVar[float]) -> tp.BVar[float]:
        tp.grad(lambda y: x * y, 2.0)
        return x

    with pytest.raises(tp.TapeError, match=re.escape(OTHER_CALL)):
        tp.grad(outer, 3.0)


def test_inner_function_returning_an_outer_bvar() -> None:
    def outer(x: tp.BVar[float]) -> tp.BVar[float]:
        tp.grad(lambda y: x, 2.0)
        return x

    with pytest.raises(tp.TapeError, match=re.escape(OTHER_CALL)):
        tp.grad(outer, 3.0)


def test_outer_bvar_in_inner_structural_steps() -> None:
    def outer(p: tp.BVar[Any]) -> tp.BVar[float]:
        with pytest.raises(tp.TapeError, match=re.escape(OTHER_CALL)):
            tp.grad(lambda y: p.view(lambda t: t[0]) * y, 2.0)
        with pytest.raises(tp.TapeError, match=re.escape(OTHER_CALL)):
            tp.grad(lambda y: tp.sequence(tp.collect([y, p.view(lambda t: t[0])]))[0], 2.0)
        # The outer call is unharmed by the failed inner calls.
        return p.view(lambda t: t[0]) * 5.0

    assert tp.grad(outer, (1.0,)) == (5.0,)


def test_nested_backprop_with_plain_values() -> None:
    def outer(x: tp.BVar[float]) -> tp.BVar[float]:
        # d/dy (x y^2) at y = 2 is 4x: computed on the plain value, a constant for the outer call.
        inner = tp.grad(lambda y: y * y * x.value, 2.0)
        assert _tape.active() is not None  # the outer tape is the innermost again
        return x * inner + x * x

    value, g = tp.backprop(outer, 3.0)
    assert value == 3.0 * 12.0 + 9.0
    assert g == 12.0 + 6.0


def test_failed_inner_backprop_leaves_outer_working() -> None:
    def outer(x: tp.BVar[float]) -> tp.BVar[float]:
        outer_tape = _tape.active()

        def bad(y: tp.BVar[float]) -> tp.BVar[float]:
            raise KeyError("inner failure")

        with pytest.raises(KeyError, match="inner failure"):
            tp.grad(bad, 1.0)
        assert _tape.active() is outer_tape
        return x * x * x

    assert tp.backprop(outer, 2.0) == (8.0, 12.0)


def test_deeply_nested_backprop_calls() -> None:
    def level(depth: int) -> Callable[[tp.BVar[float]], tp.BVar[float]]:
        def f(x: tp.BVar[float]) -> tp.BVar[float]:
            if depth == 0:
                return x * x
            return x * tp.grad(level(depth - 1), x.value)

        return f

    # f_0 = x^2; f_d = x * f_{d-1}'(x) with f_{d-1}' treated as a constant: all 2x^2 for d >= 1,
    # so the gradient of f_d (with the inner gradient a constant) is 2x.
    assert tp.backprop(level(10), 3.0) == (18.0, 6.0)


# ---------------------------------------------------------------------------------------------
# Threads
# ---------------------------------------------------------------------------------------------


def test_threads_run_backprop_concurrently() -> None:
    n_threads, n_calls = 4, 50
    rng = np.random.default_rng(7)
    w = rng.standard_normal(6)
    barrier = threading.Barrier(n_threads, timeout=30)
    errors: list[str] = []
    done = [0] * n_threads

    def work(t: int) -> None:
        try:
            for k in range(n_calls):
                v0 = np.arange(6.0) * (t + 1) + k
                s0 = float(t * 100 + k + 1)

                def f(v: tp.BVar[Any], s: tp.BVar[float], k: int = k) -> tp.BVar[Any]:
                    y = (v * v) @ w
                    if k % 10 == 0:
                        barrier.wait()  # every thread is inside f, with a tape open, at once
                    return y * s + s

                value, (gv, gs) = tp.backprop_n(f, v0, s0)
                ok = (
                    np.isclose(value, (v0 * v0) @ w * s0 + s0)
                    and np.allclose(gv, 2 * v0 * w * s0)
                    and np.isclose(gs, (v0 * v0) @ w + 1.0)
                    and type(gs) is float
                    and _tape.active() is None
                )
                if not ok:
                    errors.append(f"thread {t} call {k}: wrong result")
                done[t] += 1
        except Exception as e:  # report in the main thread
            errors.append(f"thread {t}: {type(e).__name__}: {e}")
            barrier.abort()

    threads = [threading.Thread(target=work, args=(t,)) for t in range(n_threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert errors == []
    assert done == [n_calls] * n_threads


def test_a_bvar_from_another_thread_is_rejected() -> None:
    started, release = threading.Event(), threading.Event()
    shared: list[tp.BVar[float]] = []

    def hold_tape_open() -> None:
        def f(x: tp.BVar[float]) -> tp.BVar[float]:
            shared.append(x)
            started.set()
            release.wait(timeout=30)
            return x * 1.0

        tp.grad(f, 1.0)

    th = threading.Thread(target=hold_tape_open)
    th.start()
    try:
        assert started.wait(timeout=30)
        with pytest.raises(tp.TapeError, match=re.escape(OTHER_CALL)):
            tp.grad(lambda y: y * shared[0], 2.0)
    finally:
        release.set()
        th.join(timeout=30)


# ---------------------------------------------------------------------------------------------
# Failures leave nothing behind
# ---------------------------------------------------------------------------------------------


def test_exception_inside_f_leaves_nothing_behind() -> None:
    leaked: list[tp.BVar[float]] = []

    def f(x: tp.BVar[float]) -> tp.BVar[float]:
        leaked.append(x * 2.0)
        raise ValueError("boom in f")

    with pytest.raises(ValueError, match="^boom in f$"):
        tp.backprop(f, 1.0)
    assert _tape.active() is None
    with pytest.raises(tp.TapeError, match=re.escape(RETURNED)):
        leaked[0] + 1.0
    assert tp.backprop(lambda x: x * x, 3.0) == (9.0, 6.0)


def test_exception_in_an_op_gradient_during_the_sweep() -> None:
    calls: list[float] = []

    @tp.op1
    def fragile(x: float) -> tuple[float, Callable[[float], float]]:
        def back(g: float) -> float:
            calls.append(g)
            raise ZeroDivisionError("gradient blew up")

        return x * 1.0, back

    with pytest.raises(ZeroDivisionError, match="^gradient blew up$"):
        tp.grad(lambda x: fragile(x) * 4.0, 2.0)
    assert calls == [4.0]  # it failed during the sweep, not before
    assert _tape.active() is None
    assert tp.backprop(lambda x: x * x, 3.0) == (9.0, 6.0)


def test_failed_check_during_the_sweep_leaves_nothing_behind() -> None:
    @tp.op1
    def wrong(x: np.ndarray) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
        return x * 1.0, lambda g: g[:-1]

    with pytest.raises(tp.CheckError, match=re.escape("wrong: the gradient for argument 'x'")):
        tp.grad(lambda v: total(wrong(v)), np.ones(3))
    assert _tape.active() is None
    np.testing.assert_array_equal(tp.grad(lambda v: v @ v, np.ones(3)), [2.0, 2.0, 2.0])


# ---------------------------------------------------------------------------------------------
# Seeds and outputs
# ---------------------------------------------------------------------------------------------


def test_backprop_with_is_a_vector_jacobian_product() -> None:
    rng = np.random.default_rng(3)
    w = rng.standard_normal((4, 3))
    x = rng.standard_normal(3)

    def f(v: tp.BVar[Any]) -> tp.BVar[Any]:
        return w @ (v * v) + v @ np.ones(3) * 0.5

    # Explicit Jacobian: d f_i / d v_j = 2 w_ij v_j + 0.5.
    jac = w * (2 * x)[None, :] + 0.5
    # ...and its finite-difference counterpart, column by column.
    eps = 1e-6
    jac_fd = np.stack(
        [
            (tp.evaluate(f, x + eps * e) - tp.evaluate(f, x - eps * e)) / (2 * eps)
            for e in np.eye(3)
        ],
        axis=1,
    )
    np.testing.assert_allclose(jac, jac_fd, rtol=1e-6, atol=1e-8)
    for _ in range(3):
        seed = rng.standard_normal(4)
        value, vjp = tp.backprop_with(f, x, seed)
        np.testing.assert_allclose(value, w @ (x * x) + 0.5 * x.sum())
        np.testing.assert_allclose(vjp, jac.T @ seed)
    # Unit seeds give the Jacobian's rows.
    rows = [tp.backprop_with(f, x, e)[1] for e in np.eye(4)]
    np.testing.assert_allclose(np.stack(rows), jac)


def test_backprop_with_scalar_seed_scales_the_gradient() -> None:
    assert tp.backprop_with(lambda x: x * x * x, 2.0, 3.0) == (8.0, 36.0)


def test_backprop_with_float32_output() -> None:
    x = np.array([1.0, 2.0], np.float32)
    seed = np.array([1.0, -1.0], np.float32)
    value, g = tp.backprop_with(lambda v: v * v, x, seed)
    assert value.dtype == np.float32 and g.dtype == np.float32
    np.testing.assert_allclose(g, 2 * x * seed)


def test_backprop_with_structured_output() -> None:
    value, g = tp.backprop_with(lambda x: tp.collect([x, x * x]), 3.0, [1.0, 10.0])
    assert value == [3.0, 9.0]
    assert g == 1.0 + 10.0 * 2 * 3.0
    value2, g2 = tp.backprop_with(lambda p: p, {"a": 1.0, "b": 2.0}, {"a": 3.0, "b": 4.0})
    assert value2 == {"a": 1.0, "b": 2.0}
    assert g2 == {"a": 3.0, "b": 4.0}


def test_seed_of_the_wrong_shape() -> None:
    with pytest.raises(
        tp.CheckError,
        match=re.escape(
            "backprop_with: the seed does not fit the output: got shape (3,), expected (2,)"
        ),
    ):
        tp.backprop_with(lambda v: v * 2.0, np.ones(2), np.ones(3))


def test_seed_of_the_wrong_dtype_or_kind() -> None:
    with pytest.raises(
        tp.CheckError,
        match=re.escape(
            "backprop_with: the seed does not fit the output: got dtype float32, expected float64"
        ),
    ):
        tp.backprop_with(lambda v: v * 2.0, np.ones(2), np.ones(2, np.float32))
    with pytest.raises(
        tp.CheckError,
        match=re.escape(
            "backprop_with: the seed does not fit the output: got a value of type "
            "float, expected an array of shape (2,)"
        ),
    ):
        tp.backprop_with(lambda v: v * 2.0, np.ones(2), 1.0)
    with pytest.raises(
        tp.CheckError,
        match=re.escape(
            "backprop_with: the seed does not fit the output: got keys ['b', 'a'], "
            "expected ['a', 'b']"
        ),
    ):
        tp.backprop_with(lambda p: p, {"a": 1.0, "b": 2.0}, {"b": 1.0, "a": 2.0})


def test_non_scalar_output() -> None:
    with pytest.raises(
        tp.CheckError,
        match=re.escape(
            "backprop: the function returned an array of shape (2,), but a gradient needs a "
            "scalar output; reduce it (a sum, a mean) or give the output's gradient with "
            "backprop_with(f, x, seed)"
        ),
    ):
        tp.backprop(lambda v: v * 2.0, np.ones(2))
    with pytest.raises(
        tp.CheckError,
        match=re.escape(
            "grad_n: the function returned a tuple, not a scalar; give the output's gradient "
            "with backprop_with(f, x, seed)"
        ),
    ):
        tp.grad_n(lambda p: p, (1.0, 2.0))


def test_f_returning_a_non_bvar() -> None:
    with pytest.raises(
        tp.CheckError,
        match=re.escape(
            "backprop: the function must return a BVar, but it returned a float; wrap a value "
            "that does not depend on the parameters in typedprop.constant"
        ),
    ):
        tp.backprop(lambda x: x.value * 2.0, 1.0)  # type: ignore[arg-type, return-value]
    with pytest.raises(
        tp.CheckError,
        match=re.escape("evaluate: the function must return a BVar, but it returned a ndarray"),
    ):
        tp.evaluate(lambda x: np.ones(2), 1.0)  # type: ignore[arg-type, return-value]


def test_check_error_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="^backprop_with: the seed does not fit"):
        tp.backprop_with(lambda v: v, np.ones(2), np.ones(3))


# ---------------------------------------------------------------------------------------------
# Values and gradients
# ---------------------------------------------------------------------------------------------


def _poly(v: tp.BVar[Any]) -> tp.BVar[Any]:
    return ((v * v) @ v) / (v @ v + 1.0) - 2.0 ** v.view(lambda t: t) @ np.ones(3) * 0.1


@pytest.mark.parametrize(
    ("f", "x"),
    [
        (lambda x: x * x * x - 2.0 / x, 1.7),
        (_poly, np.array([0.3, -1.2, 2.0])),
        (lambda p: p.view(lambda t: t[0]) ** 3.0 * p.view(lambda t: t[1]), (1.5, -2.0)),
    ],
    ids=["float", "array", "tuple"],
)
def test_evaluate_matches_backprop(f: Callable[[tp.BVar[Any]], tp.BVar[Any]], x: Any) -> None:
    value, _ = tp.backprop(f, x)
    assert tp.evaluate(f, x) == value
    check_grads(f, x)


def test_evaluate_records_nothing() -> None:
    def f(x: tp.BVar[float]) -> tp.BVar[float]:
        assert _tape.active() is None
        y = x * 3.0
        assert repr(y).endswith("constant)")
        return y

    assert tp.evaluate(f, 2.0) == 6.0


def test_constant_gets_no_gradient() -> None:
    def f(a: tp.BVar[float], b: tp.BVar[float]) -> tp.BVar[float]:
        frozen = tp.constant(b.value)  # b's value, cut off from b
        return a * frozen * frozen + tp.constant(5.0)

    value, (ga, gb) = tp.backprop_n(f, 2.0, 3.0)
    assert value == 2.0 * 9.0 + 5.0
    assert ga == 9.0
    assert type(gb) is float and gb == 0.0


def test_constant_output_gives_zero_gradient() -> None:
    x = {"w": np.ones((2, 2), np.float32), "s": 1.0, "n": 3}
    value, g = tp.backprop(lambda p: tp.constant(4.0), x)
    assert value == 4.0
    assert list(g) == ["w", "s", "n"]
    assert g["w"].dtype == np.float32 and g["w"].shape == (2, 2) and not g["w"].any()
    assert type(g["s"]) is float and g["s"] == 0.0
    assert type(g["n"]) is int and g["n"] == 0


def test_ignored_parameter_gives_zero_gradient() -> None:
    x = np.array([1.0, 2.0])
    g = tp.grad(lambda v: tp.constant(np.float64(1.0)) * 2.0, x)
    assert g.dtype == x.dtype and g.shape == x.shape and not g.any()
    assert tp.grad(lambda v: tp.constant(1.0), 5.0) == 0.0


def test_value_used_twice_gets_the_summed_gradient() -> None:
    @tp.op1
    def sin(x: float) -> tuple[float, Callable[[float], float]]:
        return float(np.sin(x)), lambda g: g * float(np.cos(x))

    def f(x: tp.BVar[float]) -> tp.BVar[float]:
        y = sin(x)
        return y * y + y  # y used three times

    x = 0.7
    g = tp.grad(f, x)
    assert g == pytest.approx((2 * np.sin(x) + 1) * np.cos(x))
    check_grads(f, x)
    assert tp.grad(lambda v: v + v + v, 1.0) == 3.0


def test_identity_function() -> None:
    assert tp.backprop(lambda x: x, 2.5) == (2.5, 1.0)
    value, g = tp.backprop(lambda x: x, np.float32(2.5))
    assert type(g) is np.float32 and g == 1.0


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_grad_n_and_backprop_n(n: int) -> None:
    rng = np.random.default_rng(n)
    scalars = [float(s) for s in rng.standard_normal(n)]
    xs: list[Any] = [scalars[0]] + [rng.standard_normal(3) for _ in range(n - 1)]

    def f(*vs: tp.BVar[Any]) -> tp.BVar[Any]:
        out = vs[0] * vs[0]
        for k, v in enumerate(vs[1:], start=1):
            out = out + (v @ v) * float(k) * vs[0]
        return out

    def value_at(x0: float, *arrs: np.ndarray) -> float:
        return x0 * x0 + sum(float(a @ a) * k * x0 for k, a in enumerate(arrs, start=1))

    value, grads = tp.backprop_n(f, *xs)
    assert value == pytest.approx(value_at(*xs))
    assert len(grads) == n
    again = tp.grad_n(f, *xs)
    assert len(again) == n
    for a, b in zip(grads, again, strict=True):
        assert type(a) is type(b)
        np.testing.assert_array_equal(a, b)
    assert type(grads[0]) is float
    assert grads[0] == pytest.approx(
        2 * xs[0] + sum(float(a @ a) * k for k, a in enumerate(xs[1:], start=1))
    )
    for k in range(1, n):
        np.testing.assert_allclose(grads[k], 2 * k * xs[0] * xs[k])
        assert grads[k].dtype == np.float64


def test_grad_n_when_f_returns_an_earlier_parameter() -> None:
    assert tp.grad_n(lambda a, b: a, 1.0, 2.0) == (1.0, 0.0)
    assert tp.backprop_n(lambda a, b, c: b, 1.0, 2.0, 3.0) == (2.0, (0.0, 1.0, 0.0))


def test_bvar_has_no_truth_value() -> None:
    message = re.escape(
        "a BVar has no truth value: branch on its plain value (`if x.value > 0:`), which the "
        "gradient does not flow through"
    )
    with pytest.raises(TypeError, match=message):
        bool(tp.constant(1.0))

    def f(x: tp.BVar[float]) -> tp.BVar[float]:
        if x:  # type: ignore[truthy-bool]
            return x
        return x * 2.0

    with pytest.raises(TypeError, match=message):
        tp.grad(f, 1.0)


def test_bvar_repr() -> None:
    assert repr(tp.constant(1.5)) == "BVar(1.5, constant)"
    seen: list[str] = []

    def f(x: tp.BVar[float]) -> tp.BVar[float]:
        seen.append(repr(x))
        return x

    tp.grad(f, 2.0)
    assert seen == ["BVar(2.0, node 0)"]


# ---------------------------------------------------------------------------------------------
# Ops that skip the gradients of constants (Maker.takes_needs)
# ---------------------------------------------------------------------------------------------


class _SkippingMatVec(tp.Op[Float[Mat, "m n"], Float[Vec, " n"], Float[Vec, " m"]]):
    """matvec whose continuation is told which inputs need a gradient, and records it."""

    name = "matvec"
    takes_needs = True
    seen: ClassVar[list[tuple[bool, ...]]] = []

    def forward(self, w: Mat, x: Vec) -> tuple[Vec, Callable[..., tuple[Any, Any]]]:
        def backward(g: Vec, needs: tuple[bool, ...]) -> tuple[Any, Any]:
            self.seen.append(needs)
            return (np.outer(g, x) if needs[0] else None, w.T @ g if needs[1] else None)

        return w @ x, backward


@pytest.mark.parametrize("checked", [True, False])
def test_an_op_skips_the_gradient_of_a_constant(checked: bool) -> None:
    op = _SkippingMatVec()
    op.seen.clear()
    w, x = np.arange(6.0).reshape(2, 3), np.array([1.0, -1.0, 2.0])
    with tp.checks(checked):
        gw = tp.grad(lambda w_: tp.ops.sum(op(w_, x)), w)
        gx = tp.grad(lambda x_: tp.ops.sum(op(w, x_)), x)
        both = tp.grad_n(lambda w_, x_: tp.ops.sum(op(w_, x_)), w, x)
    assert op.seen == [(True, False), (False, True), (True, True)]
    np.testing.assert_array_equal(gw, np.outer(np.ones(2), x))
    np.testing.assert_array_equal(gx, w.T @ np.ones(2))
    np.testing.assert_array_equal(both[0], gw)
    np.testing.assert_array_equal(both[1], gx)


def test_view_gradients_are_handed_out_without_copies_unless_they_share_memory() -> None:
    # The gradient of w through w.T is a transpose view of a fresh product: nothing else holds
    # its memory, so it is handed out as it is (a copy would cost a pass over the weights).
    x = np.arange(6.0).reshape(3, 2)
    gw = tp.grad(lambda w: tp.ops.sum(x @ w.T), np.ones((4, 2)))
    assert gw.flags.writeable

    # Two parameters whose gradients are views of one array: the second is a copy.
    def f(p: tp.BVar[tuple[tp.Mat, tp.Mat]]) -> tp.BVar[float]:
        a, b = p.unpack()
        s = tp.ops.reshape(a, (4,)) + tp.ops.reshape(b, (4,))
        return s @ np.arange(4.0)

    ga, gb = tp.grad(f, (np.ones((2, 2)), np.ones((2, 2))))
    assert not np.shares_memory(ga, gb)
    ga[0, 0] = 100.0
    assert gb[0, 0] == 0.0
    # A broadcast (read-only) gradient is copied.
    g = tp.grad(lambda v: tp.ops.sum(tp.ops.broadcast_to(v, (3, 2))), np.ones(2))
    assert g.flags.writeable and g.tolist() == [3.0, 3.0]


# ---------------------------------------------------------------------------------------------
# The ops' fast paths give their general paths' results, bit for bit
# ---------------------------------------------------------------------------------------------


def test_cross_entropy_rows_equal_the_general_path() -> None:
    from typedprop.ops._losses import IntegerLabelsCrossEntropy

    rng = np.random.default_rng(7)
    logits, labels = rng.normal(size=(6, 4)) * 30.0, rng.integers(4, size=6)
    value, back = IntegerLabelsCrossEntropy(labels).forward(logits)
    (g,) = back(1.5)
    # The general path's arithmetic, written out: take_along_axis and put_along_axis.
    index = labels[:, None]
    m = logits.max(axis=1, keepdims=True)
    e = np.exp(logits - m)
    s = e.sum(axis=1, keepdims=True)
    picked = np.take_along_axis(logits, index, axis=-1) - m
    assert value == np.sum(np.log(s) - picked) / 6
    p = e / s
    np.put_along_axis(p, index, np.take_along_axis(p, index, axis=-1) - 1, axis=-1)
    assert np.array_equal(g, p * (1.5 / 6))


def test_transpose_without_axes_equals_the_permutation_path() -> None:
    x = np.arange(6.0).reshape(2, 3)
    f = tp.trace(lambda w: (w.T * np.array([1.0, 2.0])).sum(), x)
    general = tp.grad(lambda w: (tp.ops.transpose(w, (1, 0)) * np.array([1.0, 2.0])).sum(), x)
    for _ in range(2):
        assert np.array_equal(f.grad(x), general)
    assert np.array_equal(tp.ops.transpose(np.zeros((2, 3, 4))), np.zeros((4, 3, 2)))


def test_matvec_weight_gradient_is_the_outer_product() -> None:
    rng = np.random.default_rng(8)
    w, x, g = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=3)
    _, back = tp.ops.matvec.forward(w, x)
    gw, gx = back(g)
    assert np.array_equal(gw, np.outer(g, x)) and gw.flags.c_contiguous
    assert np.array_equal(gx, g @ w)


@pytest.mark.parametrize("scalar", [float, np.float64, np.float32])
def test_scalar_gradients_keep_their_type(scalar: Any) -> None:
    x = scalar(1.5)
    grads = tp.grad_n(lambda a, b: a * b + a - b, x, scalar(2.0))
    assert [type(g) for g in grads] == [scalar, scalar]
    assert grads == (scalar(3.0), scalar(0.5))


def test_binary_ops_explain_shape_errors_on_either_path() -> None:
    # Arrays take the binary ops' fast path, a list the general one: the same explanation.
    message = "add: argument 'a' of shape (2,) and argument 'b' of shape (3,) do not broadcast"
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.ops.add(np.ones(2), np.ones(3))
    with pytest.raises(tp.CheckError, match="add: arguments must be numbers or arrays"):
        tp.ops.add(np.ones(2), [1.0, 2.0])  # type: ignore[call-overload]  # the point
