"""User-defined ops (`typedprop._core.op`): `tp.op1`, `tp.op2`, `tp.op3` and `tp.Op` subclasses.

Each op is gradient-checked against finite differences over scalar, vector and matrix shapes
(and broadcast shapes where it broadcasts), in float64 and float32. Then: what applying an op to
plain values, constants and mixes returns; how ops are named in errors; that the staged gradient
reuses forward's work; the arity checks; that forward must return (output, gradient function)
and must exist; and ops that skip the gradients of constants."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from jaxtyping import Float

import typedprop as tp
from typedprop import Array, Mat, Vec, ops
from typedprop.testing import check_grads

from support import reduce_to_scalar

T = TypeVar("T")


def sum_like(g: Any, like: Any) -> Any:
    """The gradient `g` of a broadcast result summed back to the shape and type of `like`."""
    g = np.asarray(g)
    if not isinstance(like, np.ndarray):
        return type(like)(g.sum())
    while g.ndim > like.ndim:
        g = g.sum(axis=0)
    axes = tuple(i for i, n in enumerate(like.shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=axes, keepdims=True).astype(like.dtype, copy=False)


# ---------------------------------------------------------------------------------------------
# The ops under test
# ---------------------------------------------------------------------------------------------


# op1 from a lambda: no annotations, any shape.
sin = tp.op1(lambda x: (np.sin(x), lambda g: g * np.cos(x)))


@tp.op1
def logistic(x: Any) -> tuple[Any, Callable[[Any], Any]]:
    out = 1.0 / (1.0 + np.exp(-x))
    return out, lambda g: g * out * (1.0 - out)


@tp.op1
def tanh(x: Float[Array, "*b"]) -> tuple[Float[Array, "*b"], Callable[[Any], Any]]:
    """An op1 with jaxtyping annotations: arrays only, checked at run time."""
    out = np.tanh(x)
    return out, lambda g: g * (1.0 - out * out)


@tp.op2
def mul(x: Any, y: Any) -> tuple[Any, Callable[[Any], tuple[Any, Any]]]:
    return x * y, lambda g: (sum_like(g * y, x), sum_like(g * x, y))


@tp.op2
def matvec2(
    w: Float[Mat, "m n"], x: Float[Vec, " n"]
) -> tuple[
    Float[Vec, " m"], Callable[[Float[Vec, " m"]], tuple[Float[Mat, "m n"], Float[Vec, " n"]]]
]:
    return w @ x, lambda g: (np.outer(g, x), w.T @ g)


@tp.op3
def fma(x: Any, y: Any, z: Any) -> tuple[Any, Callable[[Any], tuple[Any, Any, Any]]]:
    return x * y + z, lambda g: (sum_like(g * y, x), sum_like(g * x, y), sum_like(g, z))


class MatVec(tp.Op[Float[Mat, "m n"], Float[Vec, " n"], Float[Vec, " m"]]):
    def forward(self, w: Mat, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Mat, Vec]]]:
        return w @ x, lambda g: (np.outer(g, x), w.T @ g)


class Lerp(tp.Op[Any, Any, Any, Any]):
    """Three inputs, broadcasting: a + t (b - a)."""

    name = "lerp"

    def forward(self, a: Any, b: Any, t: Any) -> tuple[Any, Callable[[Any], Any]]:
        d = b - a
        out = a + t * d

        def backward(g: Any) -> tuple[Any, Any, Any]:
            gt = g * t
            return sum_like(g - gt, a), sum_like(gt, b), sum_like(g * d, t)

        return out, backward


class Scale(tp.Op[Any, Any]):
    """An op with a constructor parameter."""

    def __init__(self, k: float) -> None:
        self.k = k

    def forward(self, x: Any) -> tuple[Any, Callable[[Any], tuple[Any]]]:
        return self.k * x, lambda g: (self.k * g,)


class Softplus(tp.Op[Float[Array, "*b"], Float[Array, "*b"]]):
    name = "softplus"

    def forward(self, x: Array) -> tuple[Array, Callable[[Array], tuple[Array]]]:
        out = np.logaddexp(0.0, x)
        return out, lambda g: (g / (1.0 + np.exp(-x)),)


class Bilinear(tp.Op[Float[Vec, " m"], Float[Mat, "m n"], Float[Vec, " n"], Any]):
    """x^T A y: three inputs of different ranks and a scalar output."""

    def forward(self, x: Vec, a: Mat, y: Vec) -> tuple[Any, Callable[[Any], Any]]:
        ay = a @ y
        return x @ ay, lambda g: (g * ay, g * np.outer(x, y), g * (x @ a))


matvec = MatVec()
lerp = Lerp()
triple = Scale(3.0)
softplus = Softplus()
bilinear = Bilinear()


# ---------------------------------------------------------------------------------------------
# Gradient checks: every op over scalar, vector, matrix and broadcast shapes, both dtypes
# ---------------------------------------------------------------------------------------------


S = "scalar"
Shape = tuple[int, ...] | str


@dataclass(frozen=True)
class Case:
    name: str
    fn: Callable[..., Any]
    shapes: tuple[Shape, ...]


def _cases() -> list[Case]:
    cases = []
    for sname, s in [("scalar", S), ("vec", (3,)), ("mat", (2, 3))]:
        cases += [
            Case(f"sin-{sname}", sin, (s,)),
            Case(f"logistic-{sname}", logistic, (s,)),
            Case(f"mul-{sname}", mul, (s, s)),
            Case(f"fma-{sname}", fma, (s, s, s)),
            Case(f"lerp-{sname}", lerp, (s, s, s)),
            Case(f"scale-{sname}", triple, (s,)),
            Case(f"chain-{sname}", lambda x: logistic(sin(triple(x))), (s,)),
        ]
    for sname, s in [("vec", (3,)), ("mat", (2, 3)), ("stacked", (4, 2, 3))]:
        cases += [
            Case(f"tanh-{sname}", tanh, (s,)),
            Case(f"softplus-{sname}", softplus, (s,)),
        ]
    cases += [
        Case("mul-(2,3)(3,)", mul, ((2, 3), (3,))),
        Case("mul-(2,3)(2,1)", mul, ((2, 3), (2, 1))),
        Case("mul-(1,3)(2,1)", mul, ((1, 3), (2, 1))),
        Case("mul-scalar(2,3)", mul, (S, (2, 3))),
        Case("fma-(2,3)(3,)(2,1)", fma, ((2, 3), (3,), (2, 1))),
        Case("fma-scalar(3,)scalar", fma, (S, (3,), S)),
        Case("lerp-(2,3)(2,3)(3,)", lerp, ((2, 3), (2, 3), (3,))),
        Case("lerp-(3,)(2,3)scalar", lerp, ((3,), (2, 3), S)),
        Case("matvec2-(2,3)", matvec2, ((2, 3), (3,))),
        Case("matvec2-(4,2)", matvec2, ((4, 2), (2,))),
        Case("MatVec-(2,3)", matvec, ((2, 3), (3,))),
        Case("MatVec-(4,2)", matvec, ((4, 2), (2,))),
        Case("Bilinear-(2,)(2,3)(3,)", bilinear, ((2,), (2, 3), (3,))),
        Case(
            "composite",
            lambda w, x: mul(tanh(matvec(w, x)), logistic(matvec2(w, x))),
            ((2, 3), (3,)),
        ),
        Case(
            "op-and-operators",
            lambda w, x: softplus(matvec(w, x) * 2.0 - 1.0) @ (w @ x),
            ((2, 3), (3,)),
        ),
    ]
    return cases


CASES = _cases()
IDS = [c.name for c in CASES]


assert len(set(IDS)) == len(IDS)


def _inputs(case: Case, dtype: type) -> tuple[Any, ...]:
    rng = np.random.default_rng(sum(map(ord, case.name)))
    params = []
    for s in case.shapes:
        size = () if s == S else s
        x = rng.uniform(0.5, 1.5, size) * rng.choice([-1.0, 1.0], size)
        if s == S:
            params.append(float(x) if dtype is np.float64 else dtype(x))
        else:
            params.append(np.asarray(x, dtype=dtype))
    return tuple(params)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_op_gradients(case: Case, dtype: type) -> None:
    params = _inputs(case, dtype)

    def f(p: Any) -> Any:
        return case.fn(*p.unpack())

    # check_grads compares with finite differences and checks each gradient's type, shape and
    # dtype against its parameter's.
    check_grads(lambda p: reduce_to_scalar(f(p)), params)
    out = tp.evaluate(f, params)
    assert np.result_type(out) == dtype
    seed = np.ones_like(out)[()]
    value, grads = tp.backprop_with(f, params, seed)
    assert np.result_type(value) == dtype
    for g, x in zip(grads, params, strict=True):
        assert type(g) is type(x)
        assert np.result_type(g) == dtype
    # The op on plain values gives the same value, plain.
    plain = case.fn(*params)
    assert type(plain) is not tp.BVar
    np.testing.assert_array_equal(value, plain, strict=True)


# ---------------------------------------------------------------------------------------------
# Property tests
# ---------------------------------------------------------------------------------------------


_floats = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)


@settings(max_examples=40, deadline=None)
@given(
    op=st.sampled_from([sin, logistic, triple]),
    x=hnp.arrays(
        np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4), elements=_floats
    ),
)
def test_elementwise_op1_matches_finite_differences(op: Any, x: np.ndarray) -> None:
    check_grads(lambda v: reduce_to_scalar(op(v)), x)


@settings(max_examples=40, deadline=None)
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
    data=st.data(),
)
def test_broadcasting_op2_matches_finite_differences(shapes: Any, data: Any) -> None:
    a_shape, b_shape = shapes.input_shapes
    a = data.draw(hnp.arrays(np.float64, a_shape, elements=_floats))
    b = data.draw(hnp.arrays(np.float64, b_shape, elements=_floats))
    check_grads(lambda p: reduce_to_scalar(mul(*p.unpack())), (a, b))
    _, (ga, gb) = tp.backprop_with(lambda p: mul(*p.unpack()), (a, b), np.ones(shapes.result_shape))
    assert ga.shape == a_shape and gb.shape == b_shape


# ---------------------------------------------------------------------------------------------
# What an op returns for plain values, constants and mixes
# ---------------------------------------------------------------------------------------------


W = np.array([[1.0, -2.0, 0.5], [0.25, 3.0, -1.0]])
X = np.array([0.5, -1.5, 2.0])


@pytest.mark.parametrize(
    ("op", "args", "expected"),
    [
        (sin, (0.5,), np.sin(0.5)),
        (logistic, (X,), 1.0 / (1.0 + np.exp(-X))),
        (tanh, (W,), np.tanh(W)),
        (mul, (W, X), W * X),
        (matvec2, (W, X), W @ X),
        (fma, (W, X, 1.0), W * X + 1.0),
        (matvec, (W, X), W @ X),
        (lerp, (X, 2.0 * X, 0.25), X + 0.25 * X),
        (triple, (X,), 3.0 * X),
        (softplus, (X,), np.log1p(np.exp(X))),
        (bilinear, (X[:2], W, X), X[:2] @ W @ X),
    ],
    ids=lambda v: getattr(v, "name", None),
)
def test_plain_values_give_a_plain_value(op: Any, args: tuple[Any, ...], expected: Any) -> None:
    out = op(*args)
    assert type(out) is not tp.BVar
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_constant_bvars_give_a_constant_bvar() -> None:
    out = matvec(tp.constant(W), tp.constant(X))
    assert type(out) is tp.BVar
    assert "constant" in repr(out)
    np.testing.assert_array_equal(out.value, W @ X)
    mixed = fma(tp.constant(2.0), 3.0, tp.constant(1.0))
    assert type(mixed) is tp.BVar and "constant" in repr(mixed)
    assert mixed.value == 7.0

    # Inside backprop, an op of constants contributes value but no gradient.
    def f(x: Any) -> Any:
        return (x + matvec(tp.constant(W), tp.constant(X))) @ np.ones(2)

    value, g = tp.backprop(f, np.zeros(2))
    assert value == (W @ X).sum()
    np.testing.assert_array_equal(g, np.ones(2))


def test_mixed_bvar_and_plain_arguments() -> None:
    seed = np.array([1.0, -2.0])
    # BVar weights, plain input.
    out, gw = tp.backprop_with(lambda w: matvec(w, X), W, seed)
    np.testing.assert_array_equal(out, W @ X)
    np.testing.assert_allclose(gw, np.outer(seed, X))
    # Plain weights, BVar input.
    out, gx = tp.backprop_with(lambda x: matvec(W, x), X, seed)
    np.testing.assert_array_equal(out, W @ X)
    np.testing.assert_allclose(gx, W.T @ seed)
    # A constant BVar among live ones.
    gx = tp.grad(lambda x: matvec(tp.constant(W), x) @ seed, X)
    np.testing.assert_allclose(gx, W.T @ seed)
    # op3 with its BVar in each position, the others plain.
    a, b, c = 2.0, 5.0, 1.0
    assert tp.grad(lambda x: fma(x, b, c), a) == b
    assert tp.grad(lambda y: fma(a, y, c), b) == a
    assert tp.grad(lambda z: fma(a, b, z), c) == 1.0
    # op1 on a BVar built from operators.
    g = tp.grad(lambda x: logistic(x * 2.0 + 1.0), 0.3)
    s = 1.0 / (1.0 + np.exp(-(0.3 * 2.0 + 1.0)))
    np.testing.assert_allclose(g, 2.0 * s * (1.0 - s))


# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------


class LoudMatVec(MatVec):
    pass


def test_op_names() -> None:
    assert matvec.name == "MatVec"  # the class name by default
    assert LoudMatVec().name == "LoudMatVec"  # a subclass has its own default
    assert lerp.name == "lerp"  # a `name` class attribute
    assert softplus.name == "softplus"
    assert logistic.name == "logistic"  # the function's name
    assert sin.name == "op1(<lambda>)"
    assert tp.op2(lambda x, y: (x, lambda g: (g, g))).name == "op2(<lambda>)"
    assert tp.op3(lambda x, y, z: (x, lambda g: (g, g, g))).name == "op3(<lambda>)"
    assert tp.op1(lambda x: (x, lambda g: g), name="ident").name == "ident"


def _bad_shape_grad(x: Any) -> tuple[Any, Callable[[Any], Any]]:
    return 2.0 * x, lambda g: np.ones(5)


@pytest.mark.parametrize(
    ("name", "call"),
    [
        # The jaxtyping check of an argument.
        ("MatVec", lambda: matvec(W, np.ones(2))),
        ("LoudMatVec", lambda: LoudMatVec()(W, np.ones(2))),
        ("softplus", lambda: softplus(np.arange(3))),
        ("tanh", lambda: tanh(1.0)),
        ("matvec2", lambda: matvec2(W, np.ones(4))),
        # A gradient of the wrong shape, caught by the engine.
        ("_bad_shape_grad", lambda: tp.grad(lambda x: tp.op1(_bad_shape_grad)(x) @ X, X)),
        (
            "op1(<lambda>)",
            lambda: tp.grad(lambda x: tp.op1(lambda v: (v, lambda g: g[:1]))(x) @ X, X),
        ),
        ("custom", lambda: tp.grad(lambda x: tp.op1(_bad_shape_grad, name="custom")(x) @ X, X)),
        # A gradient tuple of the wrong length.
        (
            "op2(<lambda>)",
            lambda: tp.grad(lambda x: tp.op2(lambda a, b: (a, lambda g: (g,)))(x, x), 1.0),
        ),
        # A gradient of the wrong dtype.
        (
            "Scale",
            lambda: tp.grad(
                lambda x: Scale(np.float64(2.0))(x) @ np.ones(3, np.float32), np.ones(3, np.float32)
            ),
        ),
    ],
    ids=[
        "MatVec",
        "LoudMatVec",
        "softplus",
        "tanh",
        "matvec2",
        "op1-function",
        "op1-lambda",
        "op1-name-kwarg",
        "op2-grad-count",
        "Scale-grad-dtype",
    ],
)
def test_op_name_appears_in_errors(name: str, call: Callable[[], Any]) -> None:
    with pytest.raises(tp.CheckError) as info:
        call()
    assert str(info.value).startswith(f"{name}: "), str(info.value)


# ---------------------------------------------------------------------------------------------
# Staged gradients reuse forward's work
# ---------------------------------------------------------------------------------------------


def test_staged_gradient_reuses_forward_work_op1() -> None:
    counts = {"forward": 0, "exp": 0, "backward": 0}

    def expensive_exp(x: Any) -> Any:
        counts["exp"] += 1
        return np.exp(x)

    @tp.op1
    def exp(x: Any) -> tuple[Any, Callable[[Any], Any]]:
        counts["forward"] += 1
        e = expensive_exp(x)

        def backward(g: Any) -> Any:
            counts["backward"] += 1
            return g * e

        return e, backward

    x = np.array([0.5, -1.0, 2.0])
    value, g = tp.backprop(lambda v: exp(exp(v)) @ np.ones(3), x)
    assert counts == {"forward": 2, "exp": 2, "backward": 2}
    np.testing.assert_allclose(value, np.exp(np.exp(x)).sum())
    np.testing.assert_allclose(g, np.exp(np.exp(x)) * np.exp(x))


def test_staged_gradient_reuses_forward_work_subclass() -> None:
    counts = {"solve": 0}

    class Solve(tp.Op[Float[Mat, "n n"], Float[Vec, " n"], Float[Vec, " n"]]):
        """x = A^-1 b; the gradient reuses the inverse that forward computed."""

        def forward(self, a: Mat, b: Vec) -> tuple[Vec, Callable[[Vec], tuple[Mat, Vec]]]:
            counts["solve"] += 1
            inv = np.linalg.inv(a)
            x = inv @ b

            def backward(g: Vec) -> tuple[Mat, Vec]:
                gb = inv.T @ g
                return -np.outer(gb, x), gb

            return x, backward

    solve = Solve()
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 3)) + 3.0 * np.eye(3)
    b = rng.standard_normal(3)
    check_grads(lambda p: reduce_to_scalar(solve(*p.unpack())), (a, b))
    counts["solve"] = 0
    tp.backprop(lambda p: reduce_to_scalar(solve(*p.unpack())), (a, b))
    assert counts["solve"] == 1


# ---------------------------------------------------------------------------------------------
# Arity
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "hint",
    [
        Float[Vec, " n"],
        float,
        Any,
        T,
    ],
    ids=["jaxtyping", "float", "Any", "TypeVar"],
)
def test_forward_arity_must_match_type_parameters(hint: Any) -> None:
    with pytest.raises(
        TypeError,
        match=r"^TooFew\.forward takes 1 input \(x\), but the class declares 2$",
    ):

        class TooFew(tp.Op[hint, hint, hint]):  # type: ignore[valid-type]
            def forward(self, x: Any) -> Any:
                return x, lambda g: (g,)

    with pytest.raises(
        TypeError,
        match=r"^TooMany\.forward takes 3 inputs \(a, b, c\), but the class declares 1$",
    ):

        class TooMany(tp.Op[hint, hint]):  # type: ignore[valid-type]
            def forward(self, a: Any, b: Any, c: Any) -> Any:
                return a, lambda g: (g, g, g)


@pytest.mark.parametrize(
    ("op", "args", "message"),
    [
        (matvec, (W,), "MatVec takes 2 arguments, got 1"),
        (matvec, (W, X, X), "MatVec takes 2 arguments, got 3"),
        (lerp, (1.0, 2.0), "lerp takes 3 arguments, got 2"),
        (triple, (1.0, 2.0), "Scale takes 1 argument, got 2"),
        (logistic, (1.0, 2.0), "logistic takes 1 argument, got 2"),
        (sin, (1.0, 2.0, 3.0), "op1(<lambda>) takes 1 argument, got 3"),
        (mul, (1.0,), "mul takes 2 arguments, got 1"),
        (fma, (1.0, 2.0, 3.0, 4.0), "fma takes 3 arguments, got 4"),
    ],
    ids=lambda v: getattr(v, "name", None),
)
def test_wrong_number_of_arguments(op: Any, args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(TypeError) as info:
        op(*args)
    assert str(info.value) == message
    # The same inside backprop, with a BVar among the arguments.
    with pytest.raises(TypeError) as info:
        tp.grad(lambda x: op(*args[1:], x), 1.0)
    assert str(info.value) == message


def _forward_message(name: str, returned: str) -> str:
    return f"{name}: forward must return (output, gradient function), but it returned {returned}"


# ---------------------------------------------------------------------------------------------
# An op's forward must return (output, gradient function)
# ---------------------------------------------------------------------------------------------


class ReturnsBare(tp.Op[Any, Any]):
    name = "returns_bare"

    def forward(self, x: Any) -> Any:
        return x * 2.0


class ReturnsThree(tp.Op[Any, Any]):
    name = "returns_three"

    def forward(self, x: Any) -> Any:
        return x * 2.0, lambda g: (2.0 * g,), "extra"


class ReturnsNoFunction(tp.Op[Any, Any]):
    name = "returns_no_function"

    def forward(self, x: Any) -> Any:
        return x * 2.0, 2.0


class ReturnsList(tp.Op[Any, Any]):
    name = "returns_list"

    def forward(self, x: Any) -> Any:
        return [x * 2.0, lambda g: (2.0 * g,)]


class HintedReturnsBare(tp.Op[Float[Vec, " n"], Float[Vec, " n"]]):
    name = "hinted_returns_bare"

    def forward(self, x: Any) -> Any:
        return x * 2.0


_BAD_FORWARDS = [
    (ReturnsBare(), 1.0, "a value of type float"),
    (ReturnsBare(), np.ones(2), "an array of shape (2,) and dtype float64"),
    (ReturnsThree(), 1.0, "a value of type tuple"),
    (ReturnsNoFunction(), 1.0, "a value of type tuple"),
    (ReturnsList(), 1.0, "a value of type list"),
    (HintedReturnsBare(), np.ones(2), "an array of shape (2,) and dtype float64"),
]
_BAD_FORWARD_IDS = ["bare", "bare-array", "three", "no-function", "list", "hinted"]


@pytest.mark.parametrize("checks", [True, False], ids=["checks-on", "checks-off"])
@pytest.mark.parametrize(("op", "x", "returned"), _BAD_FORWARDS, ids=_BAD_FORWARD_IDS)
def test_forward_must_return_output_and_gradient_function(
    op: Any, x: Any, returned: str, checks: bool
) -> None:
    message = _forward_message(op.name, returned)
    with tp.checks(checks):
        with pytest.raises(tp.CheckError, match=re.escape(message)):
            op(x)
        with pytest.raises(tp.CheckError, match=re.escape(message)):
            tp.backprop_with(op, x, x)


def test_op1_function_returning_a_bare_value() -> None:
    @tp.op1
    def doubled(x: Any) -> Any:
        return x * 2.0

    with pytest.raises(tp.CheckError, match=re.escape(_forward_message("doubled", ""))):
        tp.grad(doubled, 1.0)


def test_op1_function_returning_a_non_callable_gradient() -> None:
    @tp.op1
    def doubled(x: Any) -> Any:
        return x * 2.0, 2.0

    with pytest.raises(tp.CheckError, match=re.escape(_forward_message("doubled", ""))):
        tp.grad(doubled, 1.0)


def test_op1_function_returning_a_bare_array() -> None:
    @tp.op1
    def doubled(x: Any) -> Any:
        return x * 2.0

    with pytest.raises(tp.CheckError, match=re.escape(_forward_message("doubled", ""))):
        tp.grad(lambda v: doubled(v) @ np.ones(2), np.ones(2))


def test_op2_function_returning_a_non_callable_gradient_is_caught_at_forward() -> None:
    @tp.op2
    def product(x: Any, y: Any) -> Any:
        return x * y, "not a function"

    with pytest.raises(
        tp.CheckError, match=re.escape(_forward_message("product", "a value of type tuple"))
    ):
        tp.grad_n(product, 2.0, 3.0)


# ---------------------------------------------------------------------------------------------
# An Op without forward
# ---------------------------------------------------------------------------------------------


class NoForward(tp.Op[Any, Any]):
    """Declares its types but never defines forward."""


def test_op_without_forward() -> None:
    with pytest.raises(NotImplementedError, match=re.escape("NoForward must define forward")):
        NoForward()(1.0)
    with pytest.raises(NotImplementedError, match=re.escape("NoForward must define forward")):
        tp.grad(NoForward(), 1.0)


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


# ---------------------------------------------------------------------------------------------
# The array module an op computes with (`Op.array_module`, the seam for other array libraries)
# ---------------------------------------------------------------------------------------------


def test_an_op_computes_with_numpy_for_numpy_arrays_and_numbers() -> None:
    from typedprop._core.op import Op

    assert Op.array_module(np.ones(2), 1.0, 3) is np
    assert Op.array_module(np.float32(1.0), [1.0], None) is np
    assert ops.exp.array_module(np.ones((2, 2))) is np


def test_an_op_reaches_another_array_library_through_its_array_kind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import types

    from typedprop._core import structures

    library = types.ModuleType("toy_arrays")

    class ToyArray:
        pass

    class ToyArrays(structures._NumpyArrays):
        module = library

    for name in ("_array_bases", "_array_cache", "_cache"):
        monkeypatch.setattr(structures, name, dict(getattr(structures, name)))
    structures._register_array_kind(ToyArray, ToyArrays())
    # The first array of a known library decides; numpy's arrays and numbers defer to it.
    assert ops.exp.array_module(np.ones(2), ToyArray()) is library
    assert ops.exp.array_module(1.0, np.ones(2)) is np
