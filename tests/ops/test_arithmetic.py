"""The arithmetic family (`typedprop.ops._arithmetic`), mostly through BVar's operators
`+ - * / **`, unary `-` and `@`.

The gradient tests are driven by one table of cases. A case is a function of its parameters (and
of fixed constant arrays), written with the operators only, so the same function runs on BVars
(through typedprop) and on plain numpy values (the reference). Non-scalar outputs are reduced to
a scalar with fixed random weights through `@`. Beyond the table: refused inputs and broadcast
and matmul errors with their messages, numpy's inf/nan with its warnings (for Python numbers
too), `power` with constant operands, `maximum`/`minimum` at ties, the types of scalar inputs
and results, and the fast paths against the general ones. The op table's rows for this family
are in tests/opcases/arithmetic.py."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import typedprop as tp
from typedprop import ops
from typedprop.testing import check_grads

from support import no_tape, reduce_to_scalar

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


# ---------------------------------------------------------------------------------------------
# matmul with 0-d and mismatched operands
# ---------------------------------------------------------------------------------------------


_NEEDS_AXES = "matmul needs arrays of at least one axis"


@pytest.mark.parametrize(
    ("call", "shapes"),
    [
        (lambda: tp.constant(np.ones(3)) @ np.array(2.0), "(3,) and argument 'b' of shape ()"),
        (lambda: np.array(2.0) @ tp.constant(np.ones(3)), "() and argument 'b' of shape (3,)"),
        (lambda: tp.constant(np.ones(3)) @ 2.0, "(3,) and argument 'b' of shape ()"),  # type: ignore[operator]
        (lambda: 2.0 @ tp.constant(np.ones((2, 3))), "() and argument 'b' of shape (2, 3)"),  # type: ignore[operator]
        (lambda: tp.constant(np.float64(2.0)) @ np.ones(3), "() and argument 'b' of shape (3,)"),  # type: ignore[operator]
        (lambda: tp.constant(np.array(2.0)) @ np.array(3.0), "() and argument 'b' of shape ()"),
    ],
    ids=["vec@0d", "0d@vec", "vec@float", "float@mat", "npscalar@vec", "0d@0d"],
)
def test_matmul_with_a_zero_dimensional_operand(call: Callable[[], Any], shapes: str) -> None:
    message = f"matmul: argument 'a' of shape {shapes}: {_NEEDS_AXES}"
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        call()


def test_matmul_with_a_zero_dimensional_operand_inside_backprop() -> None:
    with pytest.raises(tp.CheckError, match=re.escape(_NEEDS_AXES)):
        tp.grad(lambda v: v @ np.array(2.0), np.ones(3))


@pytest.mark.parametrize("b", [3.0, np.float64(3.0)], ids=["float", "float64"])
def test_matmul_of_two_scalars(b: Any) -> None:
    with pytest.raises(tp.CheckError, match=re.escape(_NEEDS_AXES)):
        tp.constant(type(b)(2.0)) @ b


def test_matmul_matrix_and_vector_that_do_not_fit() -> None:
    message = (
        "matmul: argument 'a' of shape (2, 3) and argument 'b' of shape (2,) do not fit a @ b "
        "(the last axis of 'a' must match the only axis of 'b', and leading axes must "
        "broadcast)"
    )
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.constant(np.ones((2, 3))) @ np.ones(2)
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad_n(lambda w, v: (w @ v) @ np.ones(2), np.ones((2, 3)), np.ones(2))


# ---------------------------------------------------------------------------------------------
# The operators refuse sequences
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("f", "words"),
    [
        (lambda p: p + p, "add: argument 'a' must be a number or an array, got tuple"),
        (lambda p: p * 2, "multiply: argument 'a' must be a number or an array, got tuple"),
    ],
    ids=["concatenate", "repeat"],
)
def test_operators_refuse_sequences(f: Callable[[Any], Any], words: str) -> None:
    # mypy does not enforce the operators' numeric bound on self-types; the runtime does.
    with pytest.raises(tp.CheckError, match=re.escape(words)):
        tp.backprop_with(f, (1.0, 2.0), (1.0, 1.0))


# ---------------------------------------------------------------------------------------------
# The fast paths give the general paths' results, bit for bit
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scalar", [float, np.float64, np.float32])
def test_scalar_gradients_keep_their_type(scalar: Any) -> None:
    x = scalar(1.5)
    grads = tp.grad_n(lambda a, b: a * b + a - b, x, scalar(2.0))
    assert [type(g) for g in grads] == [scalar, scalar]
    assert grads == (scalar(3.0), scalar(0.5))


def test_binary_ops_explain_shape_errors_and_refuse_lists() -> None:
    message = "add: argument 'a' of shape (2,) and argument 'b' of shape (3,) do not broadcast"
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.ops.add(np.ones(2), np.ones(3))
    # numpy would take the list for an array; the engine refuses it before the op runs.
    message = "add: argument 'b' must be a number or an array, got list"
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.ops.add(np.ones(2), [1.0, 2.0])  # type: ignore[call-overload]  # the point


# ---------------------------------------------------------------------------------------------
# Broadcast and matmul errors name the op and both shapes
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "apply"),
    [
        ("add", lambda a, b: a + b),
        ("subtract", lambda a, b: a - b),
        ("multiply", lambda a, b: a * b),
        ("divide", lambda a, b: a / b),
    ],
)
def test_broadcasting_failure_names_the_op_and_both_shapes(
    name: str, apply: Callable[[Any, Any], Any]
) -> None:
    message = (
        f"{name}: argument 'a' of shape (3,) and argument 'b' of shape (4,) do not broadcast "
        "together"
    )
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        apply(tp.constant(np.ones(3)), np.ones(4))
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad(lambda v: apply(v, np.ones(4)) @ np.ones(3), np.ones(3))
    reversed_message = (
        f"{name}: argument 'a' of shape (2, 3) and argument 'b' of shape (2,) do not broadcast "
        "together"
    )
    with pytest.raises(tp.CheckError, match=re.escape(reversed_message)):
        apply(np.ones((2, 3)), tp.constant(np.ones(2)))
    no_tape()


def test_broadcasting_that_works_is_undone_in_the_gradient() -> None:
    a, b = np.ones((2, 3)), np.array([1.0, 2.0, 3.0])
    ga, gb = tp.grad_n(lambda x, y: ((x * y) @ np.ones(3)) @ np.ones(2), a, b)
    np.testing.assert_allclose(ga, np.broadcast_to(b, (2, 3)))
    np.testing.assert_allclose(gb, a.sum(axis=0))


def test_matmul_mismatch_names_matmul() -> None:
    message = (
        "matmul: argument 'a' of shape (2, 3) and argument 'b' of shape (4,) do not fit a @ b "
        "(the last axis of 'a' must match the only axis of 'b', and leading axes must "
        "broadcast)"
    )
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.constant(np.ones((2, 3))) @ np.ones(4)
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad(lambda w: (w @ np.ones(4)) @ np.ones(2), np.ones((2, 3)))
    with pytest.raises(
        tp.CheckError,
        match=re.escape(
            "matmul: argument 'a' of shape (2, 3) and argument 'b' of shape (4, 2) "
            "do not fit a @ b (the last axis of 'a' must match the second-to-last"
        ),
    ):
        np.ones((2, 3)) @ tp.constant(np.ones((4, 2)))
    no_tape()


BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": ops.add,
    "subtract": ops.subtract,
    "multiply": ops.multiply,
    "divide": ops.divide,
    "power": ops.power,
    "maximum": ops.maximum,
    "minimum": ops.minimum,
}


@dataclass
class Point:
    x: float


NOT_NUMBERS: list[tuple[object, str]] = [
    ((1.0, 2.0), "tuple"),
    ([1.0, 2.0], "list"),
    ({"a": 1.0}, "dict"),
    ("1.0", "str"),
    (Point(1.0), "Point"),
]


# ---------------------------------------------------------------------------------------------
# Refused inputs
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize(("x", "what"), NOT_NUMBERS, ids=[w for _, w in NOT_NUMBERS])
def test_binary_refuses_non_numeric_arguments(name: str, x: object, what: str) -> None:
    op = BINARY[name]
    with pytest.raises(
        tp.CheckError,
        match=re.escape(f"{name}: argument 'a' must be a number or an array, got {what}"),
    ):
        op(x, 2.0)
    with pytest.raises(
        tp.CheckError,
        match=re.escape(f"{name}: argument 'b' must be a number or an array, got {what}"),
    ):
        op(2.0, x)


@pytest.mark.parametrize("name", BINARY)
def test_binary_refuses_a_tuple_with_an_array(name: str) -> None:
    # numpy would take the tuple for an array; its gradient could not be a tuple.
    message = f"{name}: argument 'b' must be a number or an array, got tuple"
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        BINARY[name](np.ones(2), (1.0, 2.0))


@pytest.mark.parametrize("name", BINARY)
def test_binary_refuses_a_tuple_bvar_with_checks_off(name: str) -> None:
    message = f"{name}: argument 'a' must be a number or an array, got tuple"
    with tp.checks(False), pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.backprop_with(lambda p: BINARY[name](p, 2.0), (1.0, 2.0), (1.0, 1.0))


@pytest.mark.parametrize(("x", "what"), NOT_NUMBERS, ids=[w for _, w in NOT_NUMBERS])
def test_negative_refuses_non_numeric_argument(x: object, what: str) -> None:
    message = f"negative: argument 'x' must be a number or an array, got {what}"
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        ops.negative(x)


class Money:
    """Not a number or an array, but with its own operators."""

    def __init__(self, cents: float) -> None:
        self.cents = cents

    def __add__(self, other: "Money") -> "Money":
        return Money(self.cents + other.cents)

    def __neg__(self) -> "Money":
        return Money(-self.cents)


def test_objects_with_their_own_operators_are_left_to_them() -> None:
    # A type registered with register_backprop may define its arithmetic.
    assert ops.add(Money(1.0), Money(2.0)).cents == 3.0
    assert ops.negative(Money(1.0)).cents == -1.0
    with pytest.raises(
        tp.CheckError,
        match=re.escape("multiply: arguments must be numbers or arrays, got Money and Money"),
    ):
        ops.multiply(Money(1.0), Money(2.0))


# ---------------------------------------------------------------------------------------------
# Broadcast errors
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("checks", [True, False], ids=["checks-on", "checks-off"])
@pytest.mark.parametrize("name", BINARY)
def test_binary_broadcast_error_names_op_arguments_and_shapes(name: str, checks: bool) -> None:
    op = BINARY[name]
    a, b = np.ones((2, 3)), np.ones(2)
    message = (
        f"{name}: argument 'a' of shape (2, 3) and argument 'b' of shape (2,) "
        "do not broadcast together"
    )
    with tp.checks(checks):
        with pytest.raises(tp.CheckError, match=re.escape(message)):
            op(a, b)
        # Each argument differentiated, and both.
        with pytest.raises(tp.CheckError, match=re.escape(message)):
            tp.grad(lambda v: ops.sum(op(v, b)), a)
        with pytest.raises(tp.CheckError, match=re.escape(message)):
            tp.grad(lambda v: ops.sum(op(a, v)), b)
        with pytest.raises(tp.CheckError, match=re.escape(message)):
            tp.grad_n(lambda u, v: ops.sum(op(u, v)), a, b)


def test_operator_broadcast_error_is_the_same() -> None:
    message = (
        "subtract: argument 'a' of shape (4, 1, 3) and argument 'b' of shape (2,) "
        "do not broadcast together"
    )
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad(lambda v: ops.sum(v - np.ones(2)), np.ones((4, 1, 3)))


# ---------------------------------------------------------------------------------------------
# numpy's inf and nan, with numpy's warnings
# ---------------------------------------------------------------------------------------------


def test_divide_by_zero_is_inf_with_a_warning() -> None:
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        value = ops.divide(np.array([1.0, -2.0]), np.array([0.0, 0.0]))
    np.testing.assert_array_equal(value, [np.inf, -np.inf])


def test_python_numbers_divided_by_zero_follow_numpy() -> None:
    # Python raises ZeroDivisionError; the op follows numpy.
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        assert ops.divide(1.0, 0.0) == np.inf
    with pytest.warns(RuntimeWarning, match="invalid value"):
        assert np.isnan(ops.divide(0.0, 0.0))
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        value, (ga, gb) = tp.backprop_n(ops.divide, 1.0, 0.0)
    assert value == np.inf and ga == np.inf and gb == -np.inf


def test_power_of_python_numbers_follows_numpy() -> None:
    # Python gives ZeroDivisionError and a complex number here.
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        assert ops.power(0.0, -1.0) == np.inf
    with pytest.warns(RuntimeWarning, match="invalid value"):
        value = ops.power(-8.0, 0.5)
    assert isinstance(value, float) and np.isnan(value)


def test_power_with_a_constant_exponent_takes_no_logarithm() -> None:
    # A negative base: the exponent's gradient (with log(a)) is never computed.
    assert tp.grad(lambda x: ops.power(x, 2.0), -3.0) == -6.0
    assert tp.grad(lambda x: ops.power(x, tp.constant(3.0)), -1.0) == 3.0
    np.testing.assert_array_equal(
        tp.grad(lambda x: ops.sum(ops.power(x, np.array([2.0, 3.0]))), np.array([-1.0, -2.0])),
        [-2.0, 12.0],
    )


def test_power_with_a_constant_base() -> None:
    value, g = tp.backprop(lambda y: ops.power(2.0, y), 3.0)
    assert value == 8.0
    np.testing.assert_allclose(g, 8.0 * np.log(2.0), rtol=1e-15)


def test_power_of_a_negative_base_differentiated_in_both_is_nan_with_a_warning() -> None:
    with pytest.warns(RuntimeWarning, match="invalid value"):
        (ga, gb) = tp.grad_n(ops.power, -2.0, 2.0)
    assert ga == -4.0 and np.isnan(gb)


def test_power_broadcast_error_with_a_constant_operand() -> None:
    message = (
        "power: argument 'a' of shape (2, 3) and argument 'b' of shape (2,) "
        "do not broadcast together"
    )
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad(lambda x: ops.sum(ops.power(x, np.ones(2))), np.ones((2, 3)))
    message = (
        "power: argument 'a' of shape (2,) and argument 'b' of shape (2, 3) "
        "do not broadcast together"
    )
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad(lambda y: ops.sum(ops.power(np.ones(2), y)), np.ones((2, 3)))


def test_power_of_constants_only_is_plain_or_constant() -> None:
    assert ops.power(2.0, 3.0) == 8.0 and type(ops.power(2.0, 3.0)) is float
    c = ops.power(tp.constant(2.0), 3.0)
    assert isinstance(c, tp.BVar) and c.value == 8.0
    c = ops.power(2.0, tp.constant(3.0))
    assert isinstance(c, tp.BVar) and c.value == 8.0


# ---------------------------------------------------------------------------------------------
# maximum and minimum
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_tie_splits_the_gradient_evenly(name: str, dtype: type) -> None:
    a = np.array([1.0, 5.0, 3.0], dtype=dtype)
    b = np.array([4.0, 2.0, 3.0], dtype=dtype)
    ga, gb = tp.grad_n(lambda x, y: ops.sum(BINARY[name](x, y)), a, b)
    a_share, b_share = ([0.0, 1.0, 0.5], [1.0, 0.0, 0.5])[:: 1 if name == "maximum" else -1]
    np.testing.assert_array_equal(ga, np.array(a_share, dtype=dtype))
    np.testing.assert_array_equal(gb, np.array(b_share, dtype=dtype))
    assert ga.dtype == dtype and gb.dtype == dtype


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_ties_with_a_broadcast_scalar(name: str) -> None:
    # relu-like: x against a scalar threshold that three elements equal; the threshold's
    # gradient sums the halves of the ties and the elements the threshold wins.
    x = np.array([[-1.0, 0.0, 2.0], [0.0, 0.0, -3.0]])
    gx, gt = tp.grad_n(lambda v, t: ops.sum(BINARY[name](v, t)), x, 0.0)
    if name == "maximum":
        np.testing.assert_array_equal(gx, [[0.0, 0.5, 1.0], [0.5, 0.5, 0.0]])
        assert gt == 2.0 + 1.5
    else:
        np.testing.assert_array_equal(gx, [[1.0, 0.5, 0.0], [0.5, 0.5, 1.0]])
        assert gt == 1.0 + 1.5
    assert type(gt) is float


def test_maximum_with_nan_gives_nan_and_no_gradient() -> None:
    a, b = np.array([np.nan, 1.0]), np.array([0.0, 2.0])
    value, (ga, gb) = tp.backprop_n(lambda x, y: ops.sum(ops.maximum(x, y)), a, b)
    assert np.isnan(value)
    np.testing.assert_array_equal(ga, [0.0, 0.0])
    np.testing.assert_array_equal(gb, [0.0, 1.0])


# ---------------------------------------------------------------------------------------------
# Types of scalar inputs
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BINARY)
def test_float32_scalars_keep_float32(name: str) -> None:
    a, b = np.float32(1.5), np.float32(0.75)
    assert type(BINARY[name](a, b)) is np.float32
    assert type(BINARY[name](a, 2.0)) is np.float32  # a Python number does not promote
    value, (ga, gb) = tp.backprop_n(BINARY[name], a, b)
    assert type(value) is np.float32
    assert type(ga) is np.float32 and type(gb) is np.float32


@pytest.mark.parametrize("name", BINARY)
def test_python_floats_stay_floats(name: str) -> None:
    value = BINARY[name](1.5, 0.75)
    assert isinstance(value, float)
    if name not in ("maximum", "minimum"):  # numpy's functions give np.float64, a float
        assert type(value) is float
    value, (ga, gb) = tp.backprop_n(BINARY[name], 1.5, 0.75)
    assert isinstance(value, float)
    assert type(ga) is float and type(gb) is float


def test_negative_keeps_types() -> None:
    assert type(ops.negative(1.5)) is float
    assert type(ops.negative(np.float32(1.5))) is np.float32
    value, g = tp.backprop(ops.negative, np.float32(1.5))
    assert type(value) is np.float32 and type(g) is np.float32 and g == -1.0
