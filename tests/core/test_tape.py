"""The tape and the reverse sweep (`typedprop._core.tape`): long chains and memory, the
lifetime of BVars and nested calls, threads, failures that leave nothing behind, and the
engine's always-on invariant that each gradient an op returns fits its input (shape, dtype,
type, parts), with its messages."""

import re
import threading
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from jaxtyping import Float

import typedprop as tp
from typedprop import Mat, Vec
from typedprop._core import sweep as _step
from typedprop._core import tape as _tape

from support import loss_through, no_tape, total

RETURNED = (
    "this BVar was made inside a backprop call that has returned; a BVar lives only inside the "
    "function being differentiated (return its .value to keep a result)"
)
OTHER_CALL = (
    "this BVar belongs to another backprop call than the one running now; pass plain values "
    "(x.value) between backprop calls"
)


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
# The engine's invariant on gradients
# ---------------------------------------------------------------------------------------------


class Good:
    def __init__(self, amount: float) -> None:
        self.amount = amount

    def zero(self) -> "Good":
        return Good(0.0)

    def add(self, other: "Good") -> "Good":
        return Good(self.amount + other.amount)

    def one(self) -> "Good":
        return Good(1.0)


class Better(Good):
    """A subclass: an instance of it fits `isinstance(g, Good)` but is not a Good."""


@tp.op1
def good_amount(m: Good) -> tuple[float, Callable[[float], Good]]:
    return 2.0 * m.amount, lambda g: Better(2.0 * g)


def test_gradient_of_a_backprop_type_has_exactly_its_type() -> None:
    with pytest.raises(
        tp.CheckError,
        match=re.escape("good_amount: the gradient for argument 'm' got a value of type Better"),
    ):
        tp.grad(good_amount, Good(1.0))


def test_op_gradient_for_a_float_that_is_not_a_number() -> None:
    @tp.op1
    def stringly(x: float) -> tuple[float, Callable[[float], Any]]:
        return 2.0 * x, lambda g: "two"

    message = "stringly: the gradient for argument 'x' got a value of type str, expected a number"
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad(stringly, 1.0)
    with tp.checks(False), pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad(stringly, 1.0)


def test_op_gradient_for_a_float_that_is_a_bool() -> None:
    @tp.op1
    def truthy(x: float) -> tuple[float, Callable[[float], Any]]:
        return 2.0 * x, lambda g: True

    message = "truthy: the gradient for argument 'x' got a value of type bool, expected a number"
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad(truthy, 1.0)


def test_op_gradient_tuple_with_the_wrong_number_of_parts() -> None:
    @tp.op1
    def total(t: tuple[float, float]) -> tuple[float, Callable[[float], Any]]:
        return t[0] + t[1], lambda g: (g, g, g)

    message = "total: the gradient for argument 't' got 3 parts, expected 2"
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad(total, (1.0, 2.0))


def test_op_gradient_with_a_wrong_part_names_the_part() -> None:
    @tp.op1
    def total(t: tuple[float, float]) -> tuple[float, Callable[[float], Any]]:
        return t[0] + t[1], lambda g: (g, "g")

    message = (
        "total: the gradient for argument 't' at part 1: got a value of type str, expected a number"
    )
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad(total, (1.0, 2.0))


F32 = np.float32


class GradShape(tp.Op[Float[Mat, "m n"], Float[Vec, " n"], Float[Vec, " m"]]):
    """Its gradient for `x` has one entry too many."""

    name = "grad_shape"

    def forward(self, w: Mat, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Mat, Vec]]]:
        return w @ x, lambda g: (np.outer(g, x), np.append(w.T @ g, 0.0))


class GradDtype(tp.Op[Float[Mat, "m n"], Float[Vec, " n"], Float[Vec, " m"]]):
    """Its gradient for `x` is float64 whatever `x` is."""

    name = "grad_dtype"

    def forward(self, w: Mat, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Mat, Vec]]]:
        return w @ x, lambda g: (np.outer(g, x).astype(w.dtype), (w.T @ g).astype(np.float64))


class GradCount(tp.Op[Float[Mat, "m n"], Float[Vec, " n"], Float[Vec, " m"]]):
    """Its continuation returns one gradient for two inputs."""

    name = "grad_count"

    def forward(self, w: Mat, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Mat, Vec]]]:
        return w @ x, lambda g: (np.outer(g, x),)  # type: ignore[return-value]


class GradList(tp.Op[Float[Mat, "m n"], Float[Vec, " n"], Float[Vec, " m"]]):
    """Its continuation returns a list, not a tuple."""

    name = "grad_list"

    def forward(self, w: Mat, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Mat, Vec]]]:
        return w @ x, lambda g: [np.outer(g, x), w.T @ g]  # type: ignore[return-value]


def test_gradient_of_the_wrong_shape() -> None:
    with pytest.raises(
        tp.CheckError,
        match=re.escape("grad_shape: the gradient for argument 'x' got shape (4,), expected (3,)"),
    ):
        tp.grad_n(loss_through(GradShape()), np.ones((2, 3)), np.ones(3))
    no_tape()


def test_gradient_of_the_wrong_dtype() -> None:
    with pytest.raises(
        tp.CheckError,
        match=re.escape(
            "grad_dtype: the gradient for argument 'x' got dtype float64, expected float32"
        ),
    ):
        tp.grad_n(loss_through(GradDtype()), np.ones((2, 3), F32), np.ones(3, F32))
    no_tape()


def test_wrong_number_of_gradients() -> None:
    with pytest.raises(
        tp.CheckError,
        match=re.escape(
            "grad_count: the gradient must be a tuple of 2 values, one per argument, but it "
            "returned 1 values"
        ),
    ):
        tp.grad_n(loss_through(GradCount()), np.ones((2, 3)), np.ones(3))
    with pytest.raises(
        tp.CheckError,
        match=re.escape(
            "grad_list: the gradient must be a tuple of 2 values, one per argument, but it "
            "returned list"
        ),
    ):
        tp.grad_n(loss_through(GradList()), np.ones((2, 3)), np.ones(3))
    no_tape()


def test_op2_gradient_of_the_wrong_shape_names_the_argument() -> None:
    @tp.op2
    def scale(v: np.ndarray, s: float) -> tuple[np.ndarray, Callable[[Any], Any]]:
        return v * s, lambda g: (g * s, g * v)  # the gradient for s should be summed

    with pytest.raises(
        tp.CheckError,
        match=re.escape(
            "scale: the gradient for argument 's' got an array of shape (3,) and "
            "dtype float64, expected a scalar"
        ),
    ):
        tp.grad_n(lambda v, s: scale(v, s) @ np.ones(3), np.ones(3), 2.0)


def test_engine_invariant_holds_with_checks_off() -> None:
    with tp.checks(False):
        assert not tp.checks_enabled()
        with pytest.raises(
            tp.CheckError,
            match=re.escape(
                "grad_shape: the gradient for argument 'x' got shape (4,), expected (3,)"
            ),
        ):
            tp.grad_n(loss_through(GradShape()), np.ones((2, 3)), np.ones(3))
        with pytest.raises(
            tp.CheckError,
            match=re.escape("grad_dtype: the gradient for argument 'x' got dtype float64"),
        ):
            tp.grad_n(loss_through(GradDtype()), np.ones((2, 3), F32), np.ones(3, F32))
        with pytest.raises(tp.CheckError, match=re.escape("grad_count: the gradient must be")):
            tp.grad_n(loss_through(GradCount()), np.ones((2, 3)), np.ones(3))
    assert tp.checks_enabled()
    no_tape()


def test_op_gradient_dict_with_wrong_key_order() -> None:
    @tp.op1
    def scramble(d: dict[str, float]) -> tuple[float, Callable[[float], dict[str, float]]]:
        return d["a"] + d["b"], lambda g: {"b": g, "a": g}

    with pytest.raises(
        tp.CheckError,
        match=re.escape(
            "scramble: the gradient for argument 'd' got keys ['b', 'a'], expected ['a', 'b']"
        ),
    ):
        tp.grad(scramble, {"a": 1.0, "b": 2.0})


def test_op_gradient_of_the_wrong_container_type() -> None:
    @tp.op1
    def as_list(t: tuple[float, float]) -> tuple[float, Callable[[float], Any]]:
        return t[0] + t[1], lambda g: [g, g]

    with pytest.raises(
        tp.CheckError,
        match=re.escape(
            "as_list: the gradient for argument 't' got a value of type list, expected a tuple"
        ),
    ):
        tp.grad(as_list, (1.0, 2.0))


# ---------------------------------------------------------------------------------------------
# The sweep's step, written once (`_core/sweep.py`), and the engine's sweep made from it
# ---------------------------------------------------------------------------------------------


def test_a_known_fact_leaves_only_the_branch_taken() -> None:
    template = _step.Template("if A:\n    x = {g}\nelse:\n    y = {g}\n# a comment\nz = 1\n")
    assert template.render({"A": True}, {"g": "g7"}) == ["x = g7", "z = 1"]
    assert template.render({"A": False}, {"g": "g7"}) == ["y = g7", "z = 1"]


def test_a_fact_known_only_as_the_sweep_runs_is_tested_then() -> None:
    template = _step.Template("if A and not B and type({g}) is C:\n    x = 1\n")
    assert template.render({"A": "view", "B": "n > 0"}, {"g": "g"}) == [
        "if (view) and (not (n > 0)) and (type(g) is C):",
        "    x = 1",
    ]
    assert template.render({"A": True, "B": False}, {"g": "g"}) == ["if type(g) is C:", "    x = 1"]
    assert template.render({"A": True, "B": True}, {"g": "g"}) == []
    assert _step.Template("if A:\n    x = 1\n").render({"A": "a"}, {}) == ["if a:", "    x = 1"]


def test_a_sweeps_own_lines_take_the_indentation_of_their_hole() -> None:
    template = _step.Template("if A:\n    {take}\n    x = 1\n")
    assert template.render({"A": "a"}, {"take": "p = 1\nq = 2"}) == [
        "if a:",
        "    p = 1",
        "    q = 2",
        "    x = 1",
    ]
    assert template.render({"A": True}, {"take": ""}) == ["x = 1"]


def test_a_fact_a_sweep_does_not_give_is_refused() -> None:
    with pytest.raises(KeyError, match="TAKES_NEEDS"):
        _step.step(
            {"VIEW": False, "MAYBE_PARTIAL": False, "CHECKED": False, "HINTED": False},
            {},
            _step.Inputs(None, []),
        )


def test_the_engine_sweep_is_the_step_in_a_loop_with_the_checks() -> None:
    source = _tape._sweep_source()
    assert _tape.sweep.__code__.co_filename == "<typedprop tape.sweep>"
    assert _tape.sweep.__doc__ == _tape.Sweep.__call__.__doc__
    # Each of the step's checked parts, decided as the loop runs or always there.
    for line in (
        "if maker.takes_partial:",
        "if type(g) is Partial:",
        "raise wrong_count(maker, parents, in_grads)",
        "gk = fitted(maker, k, gk, v, p, converted)",
        "if checking and maker.hinted:",
        "maker.check_backward(g, in_grads)",
    ):
        assert line in source
    compile(source, "<test>", "exec")
