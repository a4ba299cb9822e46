"""The elementwise family beyond the op table (tests/opcases/elementwise.py): refused inputs and
their messages, numpy's inf/nan with its warnings, the stable activations at large magnitudes,
`clip`'s bounds, `sign` (no gradient), and the types of scalar inputs and results.

The suite runs with warnings as errors, so a stable op that warned would fail its test;
expected warnings are asserted with `pytest.warns`.
"""

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import typedprop as tp
from typedprop import ops

UNARY: dict[str, Callable[[Any], Any]] = {
    "exp": ops.exp,
    "log": ops.log,
    "log1p": ops.log1p,
    "expm1": ops.expm1,
    "sqrt": ops.sqrt,
    "square": ops.square,
    "abs": ops.abs,
    "sin": ops.sin,
    "cos": ops.cos,
    "tanh": ops.tanh,
    "logistic": ops.logistic,
    "relu": ops.relu,
    "leaky_relu": lambda x: ops.leaky_relu(x, negative_slope=0.1),
    "softplus": ops.softplus,
    "elu": lambda x: ops.elu(x, alpha=0.5),
    "gelu": ops.gelu,
    "clip": lambda x: ops.clip(x, -1.0, 1.0),
}
"""Every differentiable one-argument op of the family (parameterised ones with a parameter)."""


@dataclass
class Point:
    x: float
    y: float


NOT_NUMBERS: list[tuple[object, str]] = [
    ((1.0, 2.0), "tuple"),
    ([1.0, 2.0], "list"),
    ({"a": 1.0}, "dict"),
    ("1.0", "str"),
    (Point(1.0, 2.0), "Point"),
    (np.array(["a", "b"]), "an array of dtype <U1"),
    (None, "NoneType"),
]


# ---------------------------------------------------------------------------------------------
# Refused inputs
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*UNARY, "sign"])
@pytest.mark.parametrize(("x", "what"), NOT_NUMBERS, ids=[w for _, w in NOT_NUMBERS])
def test_non_numeric_input_is_refused(name: str, x: object, what: str) -> None:
    op = ops.sign if name == "sign" else UNARY[name]
    message = f"{name}: argument 'x' must be a number or an array, got {what}"
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        op(x)


@pytest.mark.parametrize("name", [*UNARY, "sign"])
def test_non_numeric_bvar_is_refused_with_checks_off(name: str) -> None:
    # numpy would make an array of the tuple, whose gradient could not fit the tuple; the
    # refusal is not one of the jaxtyping checks that `checks(False)` switches off.
    op = ops.sign if name == "sign" else UNARY[name]
    message = f"{name}: argument 'x' must be a number or an array, got tuple"
    with tp.checks(False), pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.backprop_with(op, (0.5, 0.25), (1.0, 1.0))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: ops.leaky_relu(np.ones(2), negative_slope="0.1"),  # type: ignore[arg-type]
            "leaky_relu: negative_slope must be a real number, got str",
        ),
        (
            lambda: ops.leaky_relu(np.ones(2), negative_slope=np.ones(2)),  # type: ignore[arg-type]
            "leaky_relu: negative_slope must be a real number, got an array of dtype float64",
        ),
        (
            lambda: ops.elu(np.ones(2), alpha=None),  # type: ignore[arg-type]
            "elu: alpha must be a real number, got NoneType",
        ),
        (
            lambda: ops.elu(np.ones(2), alpha=True),
            "elu: alpha must be a real number, got bool",
        ),
    ],
    ids=["slope-str", "slope-array", "alpha-none", "alpha-bool"],
)
def test_parameters_must_be_real_numbers(call: Callable[[], object], message: str) -> None:
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        call()


def test_numpy_float64_parameter_does_not_promote_float32() -> None:
    x = np.array([-1.0, 2.0], dtype=np.float32)
    assert ops.leaky_relu(x, negative_slope=np.float64(0.1)).dtype == np.float32
    assert ops.elu(x, alpha=np.float64(2.0)).dtype == np.float32


# ---------------------------------------------------------------------------------------------
# clip's bounds
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a_min", "a_max", "message"),
    [
        (
            np.zeros(2),
            1.0,
            "clip: argument 'x' of shape (2, 3) and argument 'a_min' of shape (2,) "
            "do not broadcast together",
        ),
        (
            None,
            np.ones((4, 1, 2)),
            "clip: argument 'x' of shape (2, 3) and argument 'a_max' of shape (4, 1, 2) "
            "do not broadcast together",
        ),
        (
            np.zeros(3),
            np.ones((3, 1)),
            "clip: argument 'x' of shape (2, 3) and argument 'a_min' of shape (3,) and "
            "argument 'a_max' of shape (3, 1) do not broadcast together",
        ),
    ],
    ids=["a_min", "a_max", "both"],
)
@pytest.mark.parametrize("checks", [True, False], ids=["checks-on", "checks-off"])
def test_clip_bounds_that_do_not_broadcast(
    a_min: Any, a_max: Any, message: str, checks: bool
) -> None:
    x = np.ones((2, 3))
    with tp.checks(checks):
        with pytest.raises(tp.CheckError, match=re.escape(message)):
            ops.clip(x, a_min, a_max)
        with pytest.raises(tp.CheckError, match=re.escape(message)):
            tp.grad(lambda v: ops.sum(ops.clip(v, a_min, a_max)), x)


def test_clip_needs_a_bound() -> None:
    with pytest.raises(tp.CheckError, match=re.escape("clip: a_min and a_max cannot both be None")):
        ops.clip(np.ones(3), None, None)


@pytest.mark.parametrize(
    ("a_min", "a_max", "message"),
    [
        ([0.0, 0.0, 0.0], 1.0, "clip: a_min must be a number, an array or None, got list"),
        (0.0, "1", "clip: a_max must be a number, an array or None, got str"),
    ],
    ids=["list", "str"],
)
def test_clip_bounds_must_be_numbers_or_arrays(a_min: Any, a_max: Any, message: str) -> None:
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        ops.clip(np.ones(3), a_min, a_max)


def test_clip_gradient_passes_strictly_inside_the_bounds() -> None:
    x = np.array([-2.0, -1.0, -0.5, 0.0, 1.0, 3.0])
    value, g = tp.backprop(lambda v: ops.sum(ops.clip(v, -1.0, 1.0) * 2.0), x)
    assert value == 2.0 * (-1.0 - 1.0 - 0.5 + 0.0 + 1.0 + 1.0)
    np.testing.assert_array_equal(g, [0.0, 0.0, 2.0, 2.0, 0.0, 0.0])


def test_clip_with_one_bound() -> None:
    x = np.array([-2.0, 0.5, 3.0])
    np.testing.assert_array_equal(tp.grad(lambda v: ops.sum(ops.clip(v, None, 1.0)), x), [1, 1, 0])
    np.testing.assert_array_equal(tp.grad(lambda v: ops.sum(ops.clip(v, 0.0, None)), x), [0, 1, 1])


def test_clip_bounds_that_make_the_output_larger_than_x() -> None:
    # x of shape (3,) against bounds of shape (2, 3): the output is (2, 3), the gradient is
    # summed back to x's shape.
    x = np.array([-0.5, 0.5, 2.0])
    a_min = np.array([[-1.0, -1.0, -1.0], [0.0, 0.0, 0.0]])
    out = ops.clip(x, a_min, 1.0)
    np.testing.assert_array_equal(out, [[-0.5, 0.5, 1.0], [0.0, 0.5, 1.0]])
    g = tp.grad(lambda v: ops.sum(ops.clip(v, a_min, 1.0)), x)
    np.testing.assert_array_equal(g, [1.0, 2.0, 0.0])


# ---------------------------------------------------------------------------------------------
# numpy's inf and nan, with numpy's warnings
# ---------------------------------------------------------------------------------------------


def test_log_of_zero_is_minus_inf_with_a_warning() -> None:
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        value = ops.log(np.array([0.0, 1.0]))
    np.testing.assert_array_equal(value, [-np.inf, 0.0])
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        assert ops.log(0.0) == -np.inf


def test_gradient_of_log_at_zero_is_inf_with_a_warning() -> None:
    # Python 0.0 too: numpy's inf, not Python's ZeroDivisionError.
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        value, g = tp.backprop(ops.log, 0.0)
    assert value == -np.inf and g == np.inf


def test_log_of_negative_is_nan_with_a_warning() -> None:
    with pytest.warns(RuntimeWarning, match="invalid value"):
        value = ops.log(np.array([-1.0, 1.0]))
    assert np.isnan(value[0]) and value[1] == 0.0


def test_sqrt_of_negative_is_nan_with_a_warning() -> None:
    with pytest.warns(RuntimeWarning, match="invalid value"):
        assert np.isnan(ops.sqrt(-1.0))


# ---------------------------------------------------------------------------------------------
# Stable activations
# ---------------------------------------------------------------------------------------------

LARGE = np.array([-1e4, -1e3, 1e3, 1e4])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    ("name", "values", "derivatives"),
    [
        ("logistic", [0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]),
        ("softplus", [0.0, 0.0, 1e3, 1e4], [0.0, 0.0, 1.0, 1.0]),
        ("elu", [-1.0, -1.0, 1e3, 1e4], [0.0, 0.0, 1.0, 1.0]),
    ],
)
def test_stable_at_large_magnitudes(
    name: str, values: list[float], derivatives: list[float], dtype: type
) -> None:
    op = getattr(ops, name)
    x = LARGE.astype(dtype)
    value, g = tp.backprop(lambda v: ops.sum(op(v)), x)  # warnings are errors here
    assert g.dtype == dtype
    np.testing.assert_array_equal(op(x), np.array(values, dtype=dtype))
    np.testing.assert_array_equal(g, np.array(derivatives, dtype=dtype))
    assert np.isfinite(value)


def test_logistic_is_accurate_in_both_tails() -> None:
    # Tiny values for large negative x, and a gradient that does not round to 0 for large x.
    tail = np.exp(-40.0)
    np.testing.assert_allclose(ops.logistic(-40.0), tail / (1.0 + tail), rtol=1e-15)
    np.testing.assert_allclose(tp.grad(ops.logistic, -40.0), tail, rtol=1e-12)
    np.testing.assert_allclose(tp.grad(ops.logistic, 40.0), tail, rtol=1e-12)
    assert ops.logistic(-700.0) > 0.0  # exp(-700) is about 1e-304


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_logistic_arrays_are_exact_on_either_path(dtype: type) -> None:
    # An array whose entries all lie where exp(-x) is finite takes `1 / (1 + exp(-x))`; one
    # entry beyond (-1e4) sends the whole array through exp(-|x|). Both agree with the value
    # and the derivative computed in long double, entry by entry, and keep the dtype.
    limit = 700.0 if dtype is np.float64 else 87.0
    x = np.linspace(-limit, limit, 1001).astype(dtype)
    rtol = 4 * float(np.finfo(dtype).eps)
    xl = x.astype(np.longdouble)
    value = 1 / (1 + np.exp(-xl))
    derivative = np.exp(-xl) / (1 + np.exp(-xl)) ** 2
    for inputs in (x, np.append(x, dtype(-1e4))):
        out, g = tp.backprop(lambda v: ops.sum(ops.logistic(v)), inputs)  # no warnings
        got = ops.logistic(inputs)
        assert got.dtype == g.dtype == dtype
        np.testing.assert_allclose(got[: x.size], value.astype(dtype), rtol=rtol, atol=0)
        np.testing.assert_allclose(g[: x.size], derivative.astype(dtype), rtol=rtol, atol=0)


def test_logistic_of_infinities_and_nan() -> None:
    x = np.array([-np.inf, 0.0, np.inf])
    value, g = tp.backprop(lambda v: ops.sum(ops.logistic(v)), x)
    np.testing.assert_array_equal(ops.logistic(x), [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(g, [0.0, 0.25, 0.0])
    with_nan = ops.logistic(np.array([np.nan, 0.0]))
    assert np.isnan(with_nan[0]) and with_nan[1] == 0.5


def test_softplus_is_exact_for_large_negative_x() -> None:
    # log(1 + e^x) = e^x - e^2x / 2 + ...: not 0, and not e^x either.
    for x in [-20.0, -40.0, -700.0]:
        np.testing.assert_allclose(ops.softplus(x), math.log1p(math.exp(x)), rtol=1e-15)
        np.testing.assert_allclose(
            tp.grad(ops.softplus, x), math.exp(x) / (1.0 + math.exp(x)), rtol=1e-12
        )


def test_gelu_is_the_tanh_approximation() -> None:
    x = np.array([-3.0, -0.5, 0.0, 1.0, 2.5])
    expected = 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))
    np.testing.assert_allclose(ops.gelu(x), expected, rtol=1e-15)
    # Not the exact erf form: 1.0 * Phi(1.0) = 0.8413447460685429.
    assert abs(ops.gelu(1.0) - 0.8413447460685429) > 1e-4


@pytest.mark.parametrize(
    ("name", "expected"),
    [("relu", 0.0), ("abs", 0.0), ("leaky_relu", 0.1), ("elu", 0.5)],
)
def test_derivative_at_the_kink(name: str, expected: float) -> None:
    assert tp.grad(UNARY[name], 0.0) == expected


# ---------------------------------------------------------------------------------------------
# sign: no gradient
# ---------------------------------------------------------------------------------------------


def test_sign_values() -> None:
    x = np.array([-2.5, 0.0, 3.0])
    np.testing.assert_array_equal(ops.sign(x), [-1.0, 0.0, 1.0])
    assert ops.sign(-2.0) == -1.0
    assert type(ops.sign(np.float32(2.0))) is np.float32


def test_sign_of_a_bvar_is_a_constant() -> None:
    x = np.array([-2.5, 0.0, 3.0])
    seen: list[Any] = []

    def f(v: tp.BVar[tp.Vec]) -> tp.BVar[float]:
        s = ops.sign(v)
        seen.append(s)
        return ops.sum(s)

    value, g = tp.backprop(f, x)
    assert value == 0.0
    np.testing.assert_array_equal(g, np.zeros(3))  # no gradient flows through sign
    assert isinstance(seen[0], tp.BVar) and "constant" in repr(seen[0])
    np.testing.assert_array_equal(seen[0].value, [-1.0, 0.0, 1.0])


def test_sign_as_a_factor() -> None:
    # d/dx (sign(x) * x) = sign(x) away from 0: only the second factor is differentiated.
    x = np.array([-2.5, 3.0])
    np.testing.assert_array_equal(tp.grad(lambda v: ops.sum(ops.sign(v) * v), x), [-1.0, 1.0])


def test_sign_of_a_bvar_after_its_backprop_call_is_refused() -> None:
    kept: list[Any] = []
    tp.grad(lambda v: kept.append(v) or v * 1.0, 2.0)
    with pytest.raises(tp.TapeError, match="backprop call that has returned"):
        ops.sign(kept[0])


# ---------------------------------------------------------------------------------------------
# Types of scalar inputs
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", UNARY)
def test_float32_scalar_keeps_float32(name: str) -> None:
    op = UNARY[name]
    x = np.float32(0.5)
    assert type(op(x)) is np.float32
    value, g = tp.backprop(op, x)
    assert type(value) is np.float32
    assert type(g) is np.float32


@pytest.mark.parametrize("name", UNARY)
def test_python_float_stays_a_float(name: str) -> None:
    op = UNARY[name]
    value = op(0.5)
    assert isinstance(value, float) and np.result_type(value) == np.float64
    value, g = tp.backprop(op, 0.5)
    assert isinstance(value, float)
    assert type(g) is float


@pytest.mark.parametrize("name", UNARY)
def test_float32_array_keeps_float32(name: str) -> None:
    x = np.array([-0.5, 0.25, 2.0], dtype=np.float32)
    if name in ("log", "sqrt"):
        x = np.abs(x)  # no nan and no warning
    value, g = tp.backprop(lambda v: ops.sum(UNARY[name](v)), x)
    assert np.result_type(value) == np.float32 and g.dtype == np.float32


# ---------------------------------------------------------------------------------------------
# `numpy_value`: the value alone, for `typedprop.scan`'s loop
# ---------------------------------------------------------------------------------------------

_WITH_NUMPY_VALUE = [
    op for op in (getattr(ops, name) for name in ops.__all__) if getattr(op, "numpy_value", None)
]


def test_the_ops_with_a_numpy_value() -> None:
    names = sorted(op.name for op in _WITH_NUMPY_VALUE)
    assert names == sorted(
        ["abs", "arctan", "cos", "exp", "expm1", "log", "log1p", "sin", "sqrt", "square", "tanh"]
    )


@pytest.mark.parametrize("op", _WITH_NUMPY_VALUE, ids=lambda op: op.name)
def test_numpy_value_is_the_value_of_value_and_derivative(op: Any) -> None:
    rng = np.random.default_rng(0)
    special = np.array([0.0, -0.0, 1.0, -1.0, 1e-300, 1e300, -1e300, np.inf, -np.inf, np.nan])
    with np.errstate(all="ignore"):  # the specials' overflows, logs of negatives, casts
        inputs: list[Any] = [
            rng.normal(size=(3, 4)) * 10.0,
            special,
            special.astype(np.float32),
            rng.normal(size=5).astype(np.float32),
            2.5,
            -0.75,
            np.float64(0.3),
            np.float32(-2.0),
            3,
        ]
        for x in inputs:
            got, want = op.numpy_value(x), op.value_and_derivative(x)[0]
            assert type(got) is type(want)
            assert np.asarray(got).dtype == np.asarray(want).dtype
            np.testing.assert_array_equal(got, want)


def test_a_subclass_computing_its_own_value_has_no_numpy_value() -> None:
    from typedprop.ops._elementwise import Tanh

    class Scaled(Tanh):
        name = "scaled_tanh"

        def value_and_derivative(self, x: Any, xp: Any = np) -> tuple[Any, Any]:
            out = 2.0 * xp.tanh(x)
            return out, lambda: 2.0 * (1.0 - (out / 2.0) ** 2)

    class Same(Tanh):
        name = "same_tanh"

    assert Scaled.numpy_value is None
    assert Same.numpy_value is np.tanh
    # In a scan's loop the subclass's own value is the one computed.
    xs = np.linspace(-1.0, 1.0, 6).reshape(3, 2)

    def f(h0: tp.BVar[np.ndarray]) -> tp.BVar[float]:
        def step(h: Any, x: Any) -> tuple[Any, Any]:
            h = Scaled()(h + x)
            return h, h

        h, ys = tp.scan(step, h0, xs)
        return ops.sum(ys)

    value, _ = tp.backprop(f, np.zeros(2))
    h, total = np.zeros(2), 0.0
    for x in xs:
        h = 2.0 * np.tanh(h + x)
        total += h.sum()
    assert value == pytest.approx(total, rel=1e-12)
