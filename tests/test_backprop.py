"""Running backpropagation (`typedprop._backprop`): `backprop`, `grad`, `evaluate`,
`backprop_n`, `grad_n` and `backprop_with`. Their values and gradients, the seeds they take and
the outputs they accept; gradient arrays handed out are never shared with each other nor with
the caller's seed; unsupported parts of a parameter are rejected by path before `f` runs."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pytest

import typedprop as tp
from typedprop._core import tape as _tape
from typedprop.testing import check_grads

_UNSUPPORTED_SET = "typedprop cannot differentiate a value of type set: give the class zero"


# ---------------------------------------------------------------------------------------------
# Gradient arrays handed out are never the same object, nor the caller's seed
# ---------------------------------------------------------------------------------------------


def test_grad_n_gives_each_parameter_its_own_array() -> None:
    # add hands one gradient array to both inputs; each parameter must get its own.
    a, b, c = np.ones(3), np.full(3, 2.0), np.array([1.0, 2.0, 3.0])
    gx, gy = tp.grad_n(lambda x, y: (x + y) @ c, a, b)
    assert gx is not gy
    np.testing.assert_array_equal(gx, c)
    np.testing.assert_array_equal(gy, c)
    gx[0] = 100.0
    gx *= 2.0
    np.testing.assert_array_equal(gy, c)


def test_grad_n_unshares_zero_dimensional_arrays() -> None:
    # The scalar output's seed is the 0-d array that add passes to both inputs.
    gx, gy = tp.grad_n(lambda x, y: x + y, np.array(1.0), np.array(2.0))
    assert gx is not gy
    assert type(gx) is np.ndarray and gx.shape == () and float(gx) == 1.0
    gx[()] = 5.0
    assert float(gy) == 1.0


def test_backprop_with_never_hands_back_the_seed() -> None:
    seed = np.array([1.0, 2.0])
    value, g = tp.backprop_with(lambda v: v + 1.0, np.zeros(2), seed)
    np.testing.assert_array_equal(value, [1.0, 1.0])
    assert g is not seed
    np.testing.assert_array_equal(g, [1.0, 2.0])
    g[0] = 100.0
    np.testing.assert_array_equal(seed, [1.0, 2.0])


def test_backprop_with_identity_never_hands_back_the_seed() -> None:
    seed = np.array([3.0, 4.0])
    _, g = tp.backprop_with(lambda v: v, np.zeros(2), seed)
    assert g is not seed
    np.testing.assert_array_equal(g, [3.0, 4.0])


def test_tuple_items_viewed_and_added_get_distinct_arrays() -> None:
    c = np.array([1.0, 2.0, 3.0])

    def f(p: tp.BVar[tuple[Any, Any]]) -> tp.BVar[Any]:
        return (p.view(lambda t: t[0]) + p.view(lambda t: t[1])) @ c

    g = tp.grad(f, (np.ones(3), np.ones(3)))
    assert type(g) is tuple and len(g) == 2
    assert g[0] is not g[1]
    g[0][:] = 0.0
    np.testing.assert_array_equal(g[1], c)


def test_backprop_with_never_hands_back_a_leaf_of_a_structured_seed() -> None:
    s1, s2 = np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0])
    _, g = tp.backprop_with(lambda p: p, (np.zeros(2), np.zeros(3)), (s1, s2))
    np.testing.assert_array_equal(g[0], s1)
    assert g[0] is not s1
    assert g[1] is not s2


def test_backprop_with_collect_never_hands_back_a_leaf_of_the_seed() -> None:
    s = np.array([1.0, 2.0])
    _, g = tp.backprop_with(lambda x: tp.collect([x + 1.0]), np.zeros(2), [s])
    np.testing.assert_array_equal(g, s)
    assert g is not s


class Tagged(np.ndarray):
    """An ndarray subclass: its gradients are coerced with `.view(Tagged)`."""


def test_ndarray_subclass_gradients_do_not_share_memory() -> None:
    c = np.array([1.0, 2.0, 3.0])
    x, y = np.ones(3).view(Tagged), np.full(3, 2.0).view(Tagged)
    gx, gy = tp.grad_n(lambda a, b: (a + b) @ c, x, y)
    assert type(gx) is Tagged and type(gy) is Tagged
    gx[0] = 100.0
    np.testing.assert_array_equal(gy, c)


# ---------------------------------------------------------------------------------------------
# Unsupported parts of a parameter are rejected by path before f runs
# ---------------------------------------------------------------------------------------------


@dataclass
class Named:
    name: Any


class Pair(NamedTuple):
    left: Any
    right: Any


def _never_called(ran: list[str]) -> Callable[..., tp.BVar[float]]:
    def f(*xs: tp.BVar[Any]) -> tp.BVar[float]:
        ran.append("f ran")
        return tp.constant(1.0)

    return f


def test_unsupported_value_nested_in_the_parameter_names_its_path() -> None:
    ran: list[str] = []
    message = "backprop: the parameter at x['a'][0].name: " + _UNSUPPORTED_SET
    with pytest.raises(TypeError, match=re.escape(message)) as info:
        tp.backprop(_never_called(ran), {"a": [Named({1})]})
    assert type(info.value) is TypeError
    assert ran == []


def test_grad_names_the_path_through_a_namedtuple() -> None:
    ran: list[str] = []
    message = "grad: the parameter at x.right[1]: " + _UNSUPPORTED_SET
    with pytest.raises(TypeError, match=re.escape(message)):
        tp.grad(_never_called(ran), Pair(1.0, (2.0, {3})))
    assert ran == []


def test_backprop_with_names_the_path() -> None:
    ran: list[str] = []
    with pytest.raises(TypeError, match=re.escape("backprop_with: the parameter at x[0]: ")):
        tp.backprop_with(_never_called(ran), ({1}, 2.0), 1.0)
    assert ran == []


def test_backprop_n_names_the_parameter_by_position() -> None:
    ran: list[str] = []
    message = "backprop_n: parameter 1: " + _UNSUPPORTED_SET
    with pytest.raises(TypeError, match=re.escape(message)):
        tp.backprop_n(_never_called(ran), 1.0, {1})
    assert ran == []


def test_grad_n_names_the_parameter_and_the_path() -> None:
    ran: list[str] = []
    message = "grad_n: parameter 1 at x['k']: " + _UNSUPPORTED_SET
    with pytest.raises(TypeError, match=re.escape(message)):
        tp.grad_n(_never_called(ran), 1.0, {"k": {1}}, 3.0)
    assert ran == []


def test_grad_n_checks_every_parameter_before_f_runs() -> None:
    ran: list[str] = []
    with pytest.raises(TypeError, match=re.escape("grad_n: parameter 2: typedprop cannot")):
        tp.grad_n(_never_called(ran), 1.0, np.ones(2), frozenset())
    assert ran == []


# ---------------------------------------------------------------------------------------------
# Gradients that are views are copied only where they share memory
# ---------------------------------------------------------------------------------------------


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

    # The array itself first, then a view of it: the view is the copy.
    def h(p: tp.BVar[tuple[tp.Vec, tp.Mat]]) -> tp.BVar[float]:
        a, b = p.unpack()
        return (a + tp.ops.reshape(b, (4,))) @ np.arange(4.0)

    ga, gb = tp.grad(h, (np.ones(4), np.ones((2, 2))))
    assert ga.base is None and not np.shares_memory(ga, gb)
    assert ga.tolist() == [0.0, 1.0, 2.0, 3.0] and gb.tolist() == [[0.0, 1.0], [2.0, 3.0]]

    # One array, the gradient of two parameters (`a + b` hands its gradient to both): the
    # second is a copy.
    def k(p: tp.BVar[tuple[tp.Vec, tp.Vec]]) -> tp.BVar[float]:
        a, b = p.unpack()
        return (a + b) @ np.arange(4.0)

    ga, gb = tp.grad(k, (np.ones(4), np.ones(4)))
    assert not np.shares_memory(ga, gb) and ga.tolist() == gb.tolist() == [0.0, 1.0, 2.0, 3.0]
    # A broadcast (read-only) gradient is copied.
    g = tp.grad(lambda v: tp.ops.sum(tp.ops.broadcast_to(v, (3, 2))), np.ones(2))
    assert g.flags.writeable and g.tolist() == [3.0, 3.0]


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


# ---------------------------------------------------------------------------------------------
# Higher derivatives are not supported yet: every nesting says so, naming the call
# ---------------------------------------------------------------------------------------------

_HIGHER = "higher derivatives are not supported yet"
_USES = "the function given to {who} uses a BVar of the enclosing {outer}"

_GRAPH = tp.trace(lambda y: y * y, 1.0)
_GRAPH_DATA = tp.trace(lambda y, d: y * d, 1.0, 2.0)

_NESTINGS: list[tuple[str, Callable[[], object], str]] = [
    # The two: the inner function closes over the outer BVar, or is given it.
    (
        "grad-closure",
        lambda: tp.grad(lambda x: tp.grad(lambda y: y * x, 1.0), 2.0),
        "grad: " + _HIGHER + ": " + _USES.format(who="grad", outer="backprop call"),
    ),
    (
        "grad-parameter",
        lambda: tp.grad(lambda x: tp.grad(lambda y: y * y, x), 2.0),
        "grad: " + _HIGHER + ": the parameter is a BVar of the enclosing backprop call",
    ),
    (
        "grad-returns-outer",
        lambda: tp.grad(lambda x: tp.grad(lambda y: x, 1.0), 2.0),
        "grad: " + _HIGHER + ": " + _USES.format(who="grad", outer="backprop call"),
    ),
    (
        "backprop",
        lambda: tp.backprop(lambda x: tp.backprop(lambda y: y * x, 1.0)[1] * x, 2.0),
        "backprop: " + _HIGHER + ": " + _USES.format(who="backprop", outer="backprop call"),
    ),
    (
        "backprop_n-closure",
        lambda: tp.backprop_n(lambda x: tp.backprop_n(lambda y: y * x, 1.0)[0], 2.0),
        "backprop_n: " + _HIGHER + ": " + _USES.format(who="backprop_n", outer="backprop call"),
    ),
    (
        "grad_n-parameter",
        lambda: tp.backprop_n(lambda x: tp.grad_n(lambda y: y * y, x)[0], 2.0),
        "grad_n: " + _HIGHER + ": the parameter is a BVar of the enclosing backprop call",
    ),
    (
        "grad_n-in-a-structure",
        lambda: tp.grad(lambda x: tp.grad_n(lambda p, q: p * q, 1.0, (x, 1.0))[0], 2.0),
        "grad_n: " + _HIGHER + ": parameter 1 holds a BVar of the enclosing backprop call",
    ),
    (
        "backprop_with",
        lambda: tp.grad(lambda x: tp.backprop_with(lambda y: y * x, 1.0, 1.0)[1] * x, 2.0),
        "backprop_with: "
        + _HIGHER
        + ": "
        + _USES.format(who="backprop_with", outer="backprop call"),
    ),
    (
        "three-levels",
        lambda: tp.grad(
            lambda x: tp.grad(lambda y: tp.grad(lambda z: z * y, 1.0) * x, 1.0) * x, 2.0
        ),
        "grad: " + _HIGHER + ": " + _USES.format(who="grad", outer="backprop call"),
    ),
    # Recorded graphs, inside and around.
    (
        "trace-inside-grad",
        lambda: tp.grad(lambda x: tp.trace(lambda y: y * x, 1.0).grad(1.0) * x, 2.0),
        "trace: " + _HIGHER + ": " + _USES.format(who="trace", outer="backprop call"),
    ),
    (
        "graph-grad-of-a-bvar",
        lambda: tp.grad(lambda x: _GRAPH.grad(x) * x, 2.0),  # type: ignore[arg-type]
        "grad: " + _HIGHER + ": the parameter is a BVar of the enclosing backprop call",
    ),
    (
        "graph-backprop-of-a-bvar",
        lambda: tp.grad(lambda x: _GRAPH.backprop(x)[1] * x, 2.0),  # type: ignore[arg-type]
        "backprop: " + _HIGHER + ": the parameter is a BVar of the enclosing backprop call",
    ),
    (
        "graph-data-of-a-bvar",
        lambda: tp.grad(lambda x: _GRAPH_DATA.grad(1.0, x) * x, 2.0),  # type: ignore[arg-type]
        "grad: " + _HIGHER + ": the data holds a BVar of the enclosing backprop call",
    ),
    (
        "grad-inside-trace",
        lambda: tp.trace(lambda x: tp.grad(lambda y: y * x, 1.0) * x, 2.0),
        "grad: " + _HIGHER + ": " + _USES.format(who="grad", outer="trace"),
    ),
    (
        "grad-of-a-traced-bvar",
        lambda: tp.trace(lambda x: tp.grad(lambda y: y * y, x) * x, 2.0),
        "grad: " + _HIGHER + ": the parameter is a BVar of the enclosing trace",
    ),
    (
        "graph-inside-trace",
        lambda: tp.trace(lambda x: _GRAPH.grad(x) * x, 2.0),  # type: ignore[arg-type]
        "grad: " + _HIGHER + ": the parameter is a BVar of the enclosing trace",
    ),
    (
        "trace-inside-trace",
        lambda: tp.trace(lambda x: tp.trace(lambda y: y * x, 1.0).grad(1.0) * x, 2.0),
        "trace: " + _HIGHER + ": " + _USES.format(who="trace", outer="trace"),
    ),
]


@pytest.mark.parametrize(
    ("run", "message"), [(r, m) for _, r, m in _NESTINGS], ids=[i for i, _, _ in _NESTINGS]
)
def test_a_second_derivative_says_it_is_not_supported_yet(
    run: Callable[[], object], message: str
) -> None:
    with pytest.raises(tp.TapeError, match=re.escape(message)) as info:
        run()
    text = str(info.value)
    assert text.count(_HIGHER) == 1  # said once, by the innermost call, not wrapped again
    assert "register" not in text and "zero, add and one" not in text
    assert "pass plain values (x.value) between backprop calls" in text


def test_after_a_refused_second_derivative_the_outer_call_goes_on() -> None:
    def outer(x: tp.BVar[float]) -> tp.BVar[float]:
        with pytest.raises(tp.TapeError, match=_HIGHER):
            tp.grad(lambda y: y * x, 1.0)
        with pytest.raises(tp.TapeError, match=_HIGHER):
            tp.grad(lambda y: y * y, x)
        return x * x

    assert tp.backprop(outer, 3.0) == (9.0, 6.0)


def test_nested_calls_on_plain_values_are_still_fine() -> None:
    # The inner result is a constant for the outer call: no second derivative is asked for.
    def outer(x: tp.BVar[float]) -> tp.BVar[float]:
        return x * tp.grad(lambda y: y * y * x.value, 2.0)

    assert tp.backprop(outer, 3.0) == (36.0, 12.0)


def test_a_bvar_of_a_returned_call_in_a_nested_call_is_not_a_higher_derivative() -> None:
    kept: list[tp.BVar[float]] = []
    tp.grad(lambda x: kept.append(x) or x * 2.0, 1.0)

    def outer(x: tp.BVar[float]) -> tp.BVar[float]:
        with pytest.raises(tp.TapeError, match="has returned") as info:
            tp.grad(lambda y: y * kept[0], 1.0)
        assert _HIGHER not in str(info.value)
        return x * 1.0

    assert tp.grad(outer, 1.0) == 1.0


def test_a_bvar_parameter_outside_any_call() -> None:
    # Not a higher derivative: a BVar (a constant, or one of a call that returned) is not a
    # parameter, and the message says to pass its value, not to register zero/add/one.
    message = "grad: the parameter is a BVar, not a plain value: pass its value (x.value)"
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad(lambda y: y * y, tp.constant(2.0))
    message = "backprop_n: parameter 1 holds a BVar, not a plain value: pass its value (x.value)"
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.backprop_n(lambda a, b: a * 2.0, 1.0, [tp.constant(2.0)])
