"""Gradient tests for BVar's operators: `+ - * / **`, unary `-` and `@`.

One table of cases drives every test. A case is a function of its parameters (and of fixed
constant arrays), written with the operators only, so the same function runs on BVars (through
typedprop) and on plain numpy values (the reference). Non-scalar outputs are reduced to a scalar
with fixed random weights through `@`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import typedprop as tp
from typedprop.testing import check_grads

from support import reduce_to_scalar

# A parameter or constant is a Python float (SCALAR) or an array of the given shape.
SCALAR = "scalar"
Shape = tuple[int, ...] | str


@dataclass(frozen=True)
class Case:
    name: str
    fn: Callable[..., Any]  # fn(*params, *consts)
    shapes: tuple[Shape, ...]
    consts: tuple[Shape, ...] = ()
    positive: bool = False  # every parameter and constant positive (logs, fractional powers)


def _elementwise_cases() -> list[Case]:
    ops: list[tuple[str, Callable[[Any, Any], Any], bool]] = [
        ("add", lambda a, b: a + b, False),
        ("sub", lambda a, b: a - b, False),
        ("mul", lambda a, b: a * b, False),
        ("div", lambda a, b: a / b, False),
        ("pow", lambda a, b: a**b, True),
    ]
    shapes: list[tuple[str, Shape]] = [
        ("scalar", SCALAR),
        ("0d", ()),
        ("vec", (3,)),
        ("mat", (2, 3)),
        ("stacked", (4, 2, 3)),
    ]
    broadcasts: list[tuple[str, Shape, Shape]] = [
        ("(2,3)(3,)", (2, 3), (3,)),
        ("(2,3)(2,1)", (2, 3), (2, 1)),
        ("(1,3)(2,1)", (1, 3), (2, 1)),
        ("(3,)(4,2,3)", (3,), (4, 2, 3)),
        ("scalar(2,3)", SCALAR, (2, 3)),
        ("(3,)scalar", (3,), SCALAR),
    ]
    cases = []
    for op_name, fn, positive in ops:
        for shape_name, shape in shapes:
            cases.append(Case(f"{op_name}-{shape_name}", fn, (shape, shape), positive=positive))
        for shape_name, sa, sb in broadcasts:
            cases.append(Case(f"{op_name}-{shape_name}", fn, (sa, sb), positive=positive))
    return cases


def _unary_and_constant_cases() -> list[Case]:
    cases = []
    for shape_name, shape in [("scalar", SCALAR), ("vec", (3,)), ("mat", (2, 3))]:
        cases += [
            Case(f"neg-{shape_name}", lambda v: -v, (shape,)),
            Case(f"2*v-{shape_name}", lambda v: 2.0 * v, (shape,)),
            Case(f"v*2-{shape_name}", lambda v: v * 2.0, (shape,)),
            Case(f"v/2-{shape_name}", lambda v: v / 2.0, (shape,)),
            Case(f"2/v-{shape_name}", lambda v: 2.0 / v, (shape,)),
            Case(f"1-v-{shape_name}", lambda v: 1.0 - v, (shape,)),
            Case(f"v-1-{shape_name}", lambda v: v - 1.0, (shape,)),
            Case(f"v+3-{shape_name}", lambda v: v + 3.0, (shape,)),
            Case(f"3+v-{shape_name}", lambda v: 3.0 + v, (shape,)),
            Case(f"v**2-{shape_name}", lambda v: v**2, (shape,)),
            Case(f"v**3.0-{shape_name}", lambda v: v**3.0, (shape,)),
            Case(f"v**0.5-{shape_name}", lambda v: v**0.5, (shape,), positive=True),
            Case(f"v**-1.5-{shape_name}", lambda v: v**-1.5, (shape,), positive=True),
            Case(f"2**v-{shape_name}", lambda v: 2.0**v, (shape,)),
            Case(f"-(v*v)-{shape_name}", lambda v: -(v * v), (shape,)),
        ]
    cases += [
        Case("neg-stacked", lambda v: -v, ((4, 2, 3),)),
        # A plain ndarray on either side, broadcasting or not.
        Case("arr+v", lambda v, c: c + v, ((2, 3),), ((2, 3),)),
        Case("arr+v-bcast-arr", lambda v, c: c + v, ((2, 3),), ((3,),)),
        Case("arr+v-bcast-v", lambda v, c: c + v, ((3,),), ((2, 3),)),
        Case("arr-v", lambda v, c: c - v, ((2, 3),), ((2, 1),)),
        Case("v-arr", lambda v, c: v - c, ((2, 1),), ((2, 3),)),
        Case("arr*v", lambda v, c: c * v, ((2, 3),), ((3,),)),
        Case("v*arr", lambda v, c: v * c, ((3,),), ((2, 3),)),
        Case("arr/v", lambda v, c: c / v, ((2, 3),), ((2, 3),)),
        Case("v/arr", lambda v, c: v / c, ((2, 1),), ((2, 3),)),
        Case("arr*scalar-v", lambda s, c: c * s, (SCALAR,), ((2, 3),)),
        Case("v**arr", lambda v, c: v**c, ((2, 3),), ((3,),), positive=True),
        Case("arr**v", lambda v, c: c**v, ((2, 3),), ((2, 3),), positive=True),
        Case("arr**scalar-v", lambda s, c: c**s, (SCALAR,), ((3,),), positive=True),
        # Several operators; parameters used more than once accumulate gradients.
        Case("x*x+x", lambda x: x * x + x, ((2, 3),)),
        Case("x*x+x-scalar", lambda x: x * x + x, (SCALAR,)),
        Case(
            "poly",
            lambda x, y: (x * y - x / y) ** 2 + 2.0 * x - y**3 / 3.0,
            ((2, 3), (3,)),
            positive=True,
        ),
        Case("x**y*y**x", lambda x, y: x**y * y**x, ((2, 3), (2, 1)), positive=True),
        Case("(a@b)*(a@a)", lambda a, b: (a @ b) * (a @ a), ((3,), (3,))),
    ]
    return cases


def _matmul_cases() -> list[Case]:
    pairs: list[tuple[str, Shape, Shape]] = [
        ("(2,3)@(3,)", (2, 3), (3,)),
        ("(3,)@(3,2)", (3,), (3, 2)),
        ("(3,)@(3,)", (3,), (3,)),
        ("(2,3)@(3,4)", (2, 3), (3, 4)),
        ("(5,2,3)@(3,4)", (5, 2, 3), (3, 4)),
        ("(2,3)@(5,3,4)", (2, 3), (5, 3, 4)),
        ("(5,2,3)@(5,3,4)", (5, 2, 3), (5, 3, 4)),
        ("(1,2,3)@(4,3,2)", (1, 2, 3), (4, 3, 2)),
        ("(3,)@(5,3,4)", (3,), (5, 3, 4)),
        ("(5,2,3)@(3,)", (5, 2, 3), (3,)),
        ("(2,1,2,3)@(3,3,2)", (2, 1, 2, 3), (3, 3, 2)),
    ]
    cases = [Case(f"matmul-{name}", lambda a, b: a @ b, (sa, sb)) for name, sa, sb in pairs]
    cases += [
        Case("arr@v-(2,3)@(3,)", lambda v, c: c @ v, ((3,),), ((2, 3),)),
        Case("arr@v-(3,)@(3,2)", lambda v, c: c @ v, ((3, 2),), ((3,),)),
        Case("arr@v-(5,2,3)@(3,4)", lambda v, c: c @ v, ((3, 4),), ((5, 2, 3),)),
        Case("v@arr-(2,3)@(3,4)", lambda v, c: v @ c, ((2, 3),), ((3, 4),)),
        Case("v@arr-(1,2,3)@(4,3,2)", lambda v, c: v @ c, ((1, 2, 3),), ((4, 3, 2),)),
        Case("matmul-chain", lambda a, b, c: (a @ b) @ c, ((2, 3), (3, 4), (4,))),
        Case("matmul-quadratic", lambda a, x: x @ (a @ x), ((3, 3), (3,))),
    ]
    return cases


CASES = _elementwise_cases() + _unary_and_constant_cases() + _matmul_cases()
IDS = [c.name for c in CASES]
assert len(set(IDS)) == len(IDS), "case names must be unique"


def _value(rng: np.random.Generator, shape: Shape, dtype: type, positive: bool) -> Any:
    """A random parameter: magnitude in [0.5, 1.5] (away from zero for divisors), with a random
    sign unless `positive`. A SCALAR is a Python float for float64, np.float32 for float32."""
    size = () if shape == SCALAR else shape
    x = rng.uniform(0.5, 1.5, size)
    if not positive:
        x = x * rng.choice([-1.0, 1.0], size)
    if shape == SCALAR:
        return float(x) if dtype is np.float64 else dtype(x)
    return np.asarray(x, dtype=dtype)


def _inputs(case: Case, dtype: type = np.float64) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The parameters and constants of `case`, reproducibly random."""
    rng = np.random.default_rng(sum(map(ord, case.name)))
    params = tuple(_value(rng, s, dtype, case.positive) for s in case.shapes)
    consts = tuple(_value(rng, s, dtype, case.positive) for s in case.consts)
    return params, consts


def _function(case: Case, consts: tuple[Any, ...]) -> Callable[[Any], Any]:
    """The case as a function of one BVar holding the tuple of parameters."""
    return lambda p: case.fn(*p.unpack(), *consts)


def _dtype_of(x: Any) -> np.dtype[Any]:
    return np.result_type(x)


# ---------------------------------------------------------------------------------------------
# Gradients against finite differences
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_check_grads_float64(case: Case) -> None:
    params, consts = _inputs(case)
    f = _function(case, consts)
    check_grads(lambda p: reduce_to_scalar(f(p)), params)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_vjp_matches_numpy_finite_differences(case: Case) -> None:
    """`backprop_with` and a random output gradient, against central differences of the plain
    numpy function (no typedprop on the reference side)."""
    params, consts = _inputs(case)
    rng = np.random.default_rng(7)
    expected = case.fn(*params, *consts)
    seed = rng.standard_normal(np.shape(expected))
    seed = float(seed) if isinstance(expected, float) else np.asarray(seed)[()]
    value, grads = tp.backprop_with(_function(case, consts), params, seed)
    np.testing.assert_array_equal(value, expected)
    for g, x in zip(grads, params, strict=True):
        assert type(g) is type(x)
        assert np.shape(g) == np.shape(x)
    eps = 1e-6
    for _ in range(2):
        ds = [rng.standard_normal(np.shape(x)) for x in params]

        def moved(sign: float, ds: list[Any] = ds) -> float:
            xs = [
                x + sign * eps * (float(d) if isinstance(x, float) else d)
                for x, d in zip(params, ds, strict=True)
            ]
            return float(np.sum(np.asarray(case.fn(*xs, *consts)) * seed))

        numeric = (moved(1.0) - moved(-1.0)) / (2 * eps)
        analytic = sum(float(np.sum(np.asarray(g) * d)) for g, d in zip(grads, ds, strict=True))
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------------------------------------
# Values and dtypes
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_value_matches_numpy_exactly(case: Case) -> None:
    params, consts = _inputs(case)
    expected = case.fn(*params, *consts)
    got = tp.evaluate(_function(case, consts), params)
    assert type(got) is type(expected)
    assert _dtype_of(got) == _dtype_of(expected)
    np.testing.assert_array_equal(got, expected, strict=True)
    # Inside backprop too (on a tape, not only on constants).
    value, _ = tp.backprop(lambda p: reduce_to_scalar(_function(case, consts)(p)), params)
    assert np.isfinite(value)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_float32_stays_float32(case: Case) -> None:
    params, consts = _inputs(case, np.float32)
    f = _function(case, consts)
    out = tp.evaluate(f, params)
    assert _dtype_of(out) == np.float32, f"value has dtype {_dtype_of(out)}"
    seed = np.ones_like(out)[()]
    value, grads = tp.backprop_with(f, params, seed)
    assert _dtype_of(value) == np.float32
    np.testing.assert_array_equal(value, case.fn(*params, *consts), strict=True)
    for g, x in zip(grads, params, strict=True):
        assert type(g) is type(x)
        assert _dtype_of(g) == np.float32, f"gradient has dtype {_dtype_of(g)}"
        assert np.shape(g) == np.shape(x)
    # And the float32 gradient is right, to float32's precision.
    check_grads(lambda p: reduce_to_scalar(f(p)), params)


# ---------------------------------------------------------------------------------------------
# Broadcasting, mixed types
# ---------------------------------------------------------------------------------------------


def _sum_to(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Reference unbroadcast: sum `g` down to `shape`."""
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=axes, keepdims=True)


@pytest.mark.parametrize(
    ("sa", "sb"),
    [((2, 3), (3,)), ((2, 3), (2, 1)), ((1, 3), (2, 1)), ((3,), (4, 2, 3)), ((4, 1, 3), (2, 1))],
)
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_broadcast_gradients_have_input_shapes(
    op: str, sa: tuple[int, ...], sb: tuple[int, ...]
) -> None:
    rng = np.random.default_rng(3)
    a = rng.uniform(0.5, 1.5, sa)
    b = rng.uniform(0.5, 1.5, sb)
    fns = {
        "add": lambda x, y: x + y,
        "sub": lambda x, y: x - y,
        "mul": lambda x, y: x * y,
        "div": lambda x, y: x / y,
    }
    out_shape = np.broadcast_shapes(sa, sb)
    seed = rng.standard_normal(out_shape)
    _, (ga, gb) = tp.backprop_with(lambda p: fns[op](*p.unpack()), (a, b), seed)
    assert ga.shape == sa
    assert gb.shape == sb
    # Elementwise partial derivatives, broadcast to the output, then summed back.
    ab, bb = np.broadcast_arrays(a, b)
    da, db = {
        "add": (np.ones(out_shape), np.ones(out_shape)),
        "sub": (np.ones(out_shape), -np.ones(out_shape)),
        "mul": (bb, ab),
        "div": (1 / bb, -ab / bb**2),
    }[op]
    np.testing.assert_allclose(ga, _sum_to(seed * da, sa), rtol=1e-12)
    np.testing.assert_allclose(gb, _sum_to(seed * db, sb), rtol=1e-12)


def test_matmul_broadcast_batch_gradient_shapes() -> None:
    rng = np.random.default_rng(4)
    a = rng.standard_normal((1, 2, 3))
    b = rng.standard_normal((4, 3, 2))
    seed = rng.standard_normal((4, 2, 2))
    _, (ga, gb) = tp.backprop_with(lambda p: p.unpack()[0] @ p.unpack()[1], (a, b), seed)
    assert ga.shape == (1, 2, 3)
    assert gb.shape == (4, 3, 2)
    np.testing.assert_allclose(ga, (seed @ np.swapaxes(b, -1, -2)).sum(0, keepdims=True))
    np.testing.assert_allclose(gb, np.swapaxes(a, -1, -2) @ seed)


def test_python_float_with_float32_array_stays_float32() -> None:
    v = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    w = np.ones(3, dtype=np.float32)

    def f(x: tp.BVar[Any]) -> tp.BVar[Any]:
        return (2.0 * x + x / 4.0 - 1.0 + (3.0 - x) * 0.5 + x**2.0 + 1.5**x) @ w

    value, g = tp.backprop(f, v)
    assert type(value) is np.float32
    assert g.dtype == np.float32
    expected = 2.0 + 0.25 - 0.5 + 2.0 * v + 1.5**v * np.log(np.float32(1.5))
    np.testing.assert_allclose(g, expected, rtol=1e-6, atol=1e-6)


def test_python_float_bvar_with_float32_array_bvar() -> None:
    """A Python float parameter times a float32 array parameter: a float32 value, a Python
    float gradient for the float and a float32 gradient for the array."""
    v = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    w = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    value, (gs, gv) = tp.backprop_n(lambda s, x: (s * x + x / s) @ w, 1.5, v)
    assert type(value) is np.float32
    assert type(gs) is float
    assert gv.dtype == np.float32
    np.testing.assert_allclose(gs, float(((1 - 1 / 1.5**2) * v) @ w), rtol=1e-6)
    np.testing.assert_allclose(gv, (1.5 + 1 / 1.5) * w, rtol=1e-6)


def test_float32_scalar_parameter_stays_float32() -> None:
    x = np.float32(0.75)
    value, g = tp.backprop(lambda x: x * x * 3.0 - x / 2.0 + 2.0**x, x)
    assert type(value) is np.float32
    assert type(g) is np.float32
    np.testing.assert_allclose(g, 6.0 * x - 0.5 + 2.0**x * np.log(2.0), rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_int_array_constant_with_float_bvar(dtype: type) -> None:
    ints = np.array([[1, 2, 3], [4, 5, 6]])
    v = np.array([0.5, -1.0, 2.0], dtype=dtype)
    w = np.ones(2, dtype=dtype)
    u = np.ones(3, dtype=dtype)

    def f(x: Any) -> Any:
        return w @ (ints * x + ints - x / ints) @ u + (ints @ x) @ w

    value, g = tp.backprop(f, v)
    # numpy's promotion: int64 with float32 gives float64; the gradient keeps v's dtype.
    np.testing.assert_array_equal(value, f(v))
    assert g.dtype == dtype
    expected = (ints - 1 / ints).sum(0) + ints.sum(0)
    np.testing.assert_allclose(g, expected, rtol=1e-6)


def test_int_scalar_constants() -> None:
    x = np.array([0.5, -1.0, 2.0])
    w = np.array([1.0, 2.0, 3.0])
    value, g = tp.backprop(lambda v: (2 * v + v / 2 - 1 + v**3 + 3 - v) @ w, x)
    np.testing.assert_array_equal(value, (2 * x + x / 2 - 1 + x**3 + 3 - x) @ w)
    np.testing.assert_allclose(g, (2 + 0.5 + 3 * x**2 - 1) * w)


def test_constant_bvar_operands_get_no_gradient() -> None:
    c = np.array([1.0, 2.0, 3.0])
    x = np.array([0.5, -1.0, 2.0])
    g = tp.grad(lambda v: (v * tp.constant(c) + tp.constant(c) / 2.0) @ tp.constant(c), x)
    np.testing.assert_allclose(g, c * c)
    both = tp.constant(c) * tp.constant(c)
    assert type(both) is tp.BVar
    assert "constant" in repr(both)
    np.testing.assert_array_equal(both.value, c * c)


def test_zero_d_array_parameter_used_once() -> None:
    x = np.array(1.5)
    value, g = tp.backprop(lambda v: v * 3.0, x)
    assert value == 4.5
    assert type(g) is np.ndarray and g.shape == () and g == 3.0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_zero_d_array_parameter_used_twice(dtype: type) -> None:
    x = np.array(1.5, dtype=dtype)
    _, g = tp.backprop(lambda v: v * v + v, x)
    assert type(g) is np.ndarray, f"gradient is a {type(g).__name__}"
    assert g.dtype == dtype and g.shape == ()
    np.testing.assert_allclose(g, 2 * x + 1)


# ---------------------------------------------------------------------------------------------
# Powers at awkward points
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("x", [-1.5, np.array([-1.5, 2.0, -0.5])], ids=["scalar", "vec"])
def test_power_of_negative_base_with_integer_exponent(x: Any) -> None:
    check_grads(lambda v: reduce_to_scalar(v**2 + v**3), x)
    check_grads(lambda v: reduce_to_scalar(v**2.0 - v**-1), x)


@pytest.mark.parametrize("x", [-1.5, np.array([-1.5, 2.0, -0.5])], ids=["scalar", "vec"])
def test_power_with_constant_bvar_exponent_and_negative_base(x: Any) -> None:
    _, g = tp.backprop(lambda v: reduce_to_scalar(v ** tp.constant(2.0)), x)
    _, expected = tp.backprop(lambda v: reduce_to_scalar(v**2.0), x)
    np.testing.assert_array_equal(g, expected)


@pytest.mark.parametrize("x", [0.0, np.array([0.0, 1.0])], ids=["scalar", "vec"])
def test_power_zero_exponent_at_zero(x: Any) -> None:
    _, g = tp.backprop(lambda v: reduce_to_scalar(v**0 + v), x)
    _, expected = tp.backprop(lambda v: reduce_to_scalar(v), x)  # d(x**0)/dx is 0
    np.testing.assert_array_equal(g, expected)


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


def test_broadcast_error_names_op_and_shapes() -> None:
    with pytest.raises(tp.CheckError, match=r"multiply: .*\(2, 3\).*\(2,\).*broadcast"):
        tp.grad(lambda v: reduce_to_scalar(v * np.ones(2)), np.ones((2, 3)))


def test_matmul_error_names_shapes() -> None:
    with pytest.raises(tp.CheckError, match=r"matmul: .*\(2, 3\).*\(2,\)"):
        tp.grad(lambda v: reduce_to_scalar(v @ np.ones(2)), np.ones((2, 3)))
