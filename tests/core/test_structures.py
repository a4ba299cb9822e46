"""Structures (`typedprop._core.structures`): the gradient of a parameter has exactly the
parameter's type, leaf by leaf, for built-in leaves and containers, union-typed parameters (sum
types in the implicit style) and user types (the Backprop protocol, `register_backprop` with its
refusals and its thread safety); the messages for unsupported and unrebuildable values. Values
are checked against finite differences (`check_grads`) or hand-derived formulas. The accessors
(`view`, `unpack`, `sequence`, `collect`) are tested with BVar (tests/core/test_bvar.py)."""

import math
import re
import threading
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import typedprop as tp
from typedprop import BVar, Vec
from typedprop.testing import check_grads

from support import Money, assert_same_structure, tax, total

RNG = np.random.default_rng(1234)


# ---------------------------------------------------------------------------------------------
# Leaves
# ---------------------------------------------------------------------------------------------


def test_python_float_gets_a_python_float() -> None:
    x = 1.75
    value, g = tp.backprop(lambda v: v * v * 3.0 + v, x)
    assert type(value) is float
    assert type(g) is float
    assert value == pytest.approx(3 * x * x + x)
    assert g == pytest.approx(6 * x + 1)


def test_python_float_gradient_from_numpy_scalars_is_still_a_python_float() -> None:
    # np.float64 constants make the ops compute np.float64 gradients; the parameter's own type
    # is restored at the end.
    g = tp.grad(lambda v: v * np.float64(2.5), 3.0)
    assert type(g) is float
    assert g == 2.5


def test_int_parameter_gets_int_zero() -> None:
    value, g = tp.backprop(lambda v: v * 2.5, 3)
    assert value == 7.5
    assert type(g) is int
    assert g == 0


def test_bool_parameter_gets_false() -> None:
    value, g = tp.backprop(lambda v: v * 2.5, True)
    assert value == 2.5
    assert type(g) is bool
    assert g is False


def test_none_parameter_gets_none() -> None:
    value, g = tp.backprop(lambda v: tp.constant(4.0), None)
    assert value == 4.0
    assert g is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numpy_float_scalar_keeps_its_dtype(dtype: type) -> None:
    x = dtype(1.5)
    value, g = tp.backprop(lambda v: v * v * 2.0 + v, x)
    assert type(value) is dtype
    assert type(g) is dtype
    assert g == pytest.approx(4 * 1.5 + 1, rel=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_array_keeps_shape_and_dtype(dtype: type) -> None:
    x = RNG.standard_normal(5).astype(dtype)
    w = RNG.standard_normal(5).astype(dtype)

    def f(v: tp.BVar[Any]) -> tp.BVar[Any]:
        return (v * v) @ w

    g = tp.grad(f, x)
    assert_same_structure(g, x)
    np.testing.assert_allclose(g, 2 * x * w, rtol=1e-6)
    check_grads(f, x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_matrix_keeps_shape_and_dtype(dtype: type) -> None:
    x = RNG.standard_normal((3, 4)).astype(dtype)
    u = RNG.standard_normal(3).astype(dtype)
    w = RNG.standard_normal(4).astype(dtype)
    g = tp.grad(lambda m: u @ m @ w, x)
    assert_same_structure(g, x)
    np.testing.assert_allclose(g, np.outer(u, w), rtol=1e-5)


def test_int_array_gets_a_zero_int_array() -> None:
    x = np.array([1, 2, 3], dtype=np.int64)
    value, g = tp.backprop(lambda v: total(v * 1.5), x)
    assert value == pytest.approx(9.0)
    assert_same_structure(g, x)
    assert not g.any()


class Tagged(np.ndarray):
    """An ndarray subclass: still an array to typedprop, and its gradient keeps the class."""


def test_ndarray_subclass_keeps_its_class() -> None:
    x = np.array([1.0, -2.0, 3.0]).view(Tagged)
    g = tp.grad(lambda v: (v * 2.0) @ v, x)
    assert_same_structure(g, x)
    np.testing.assert_allclose(np.asarray(g), 4.0 * np.asarray(x))
    g0 = tp.grad(lambda v: tp.constant(1.0), x)
    assert type(g0) is Tagged and not g0.any()


def test_numpy_int_scalar_gets_its_own_zero() -> None:
    g = tp.grad(lambda v: v * 2.5, np.int64(3))
    assert type(g) is np.int64
    assert g == 0


# ---------------------------------------------------------------------------------------------
# Containers
# ---------------------------------------------------------------------------------------------


class Point(NamedTuple):
    x: float
    y: float
    w: np.ndarray


def test_tuple_parameter() -> None:
    x = (2.0, np.array([1.0, -3.0, 0.5]), 7)

    def f(p: tp.BVar[Any]) -> tp.BVar[Any]:
        a, v, n = p.unpack()
        return a * (v @ v) + n * a

    value, g = tp.backprop(f, x)
    assert_same_structure(g, x)
    a, v, n = x
    assert value == pytest.approx(a * (v @ v) + n * a)
    assert g[0] == pytest.approx(v @ v + n)
    np.testing.assert_allclose(g[1], 2 * a * v)
    assert g[2] == 0
    check_grads(f, x)


def test_list_parameter() -> None:
    x = [1.0, 2.0, 3.0, 4.0]

    def f(p: tp.BVar[list[float]]) -> tp.BVar[float]:
        a, b, c, d = tp.sequence(p)
        return a * b + c * c * d

    g = tp.grad(f, x)
    assert_same_structure(g, x)
    assert g == pytest.approx([2.0, 1.0, 2 * 3.0 * 4.0, 9.0])
    check_grads(f, x)


def test_dict_parameter_keeps_key_order() -> None:
    x = {"zeta": 1.5, "alpha": np.array([1.0, 2.0]), "mid": -2.0, "unused": 4.0}

    def f(p: tp.BVar[dict[str, Any]]) -> tp.BVar[Any]:
        v = p.view(lambda d: d["alpha"])
        return p.view(lambda d: d["zeta"]) * (v @ v) + p.view(lambda d: d["mid"]) * 3.0

    g = tp.grad(f, x)
    assert_same_structure(g, x)
    assert list(g) == ["zeta", "alpha", "mid", "unused"]
    assert g["zeta"] == pytest.approx(5.0)
    np.testing.assert_allclose(g["alpha"], 2 * 1.5 * x["alpha"])
    assert g["mid"] == 3.0
    assert g["unused"] == 0.0
    check_grads(f, x)


def test_ordered_dict_parameter() -> None:
    x = OrderedDict([("b", 2.0), ("a", 3.0)])
    g = tp.grad(lambda p: p.view(lambda d: d["a"]) * p.view(lambda d: d["b"]), x)
    assert_same_structure(g, x)
    assert g == OrderedDict([("b", 3.0), ("a", 2.0)])


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=5),
        st.floats(min_value=-10, max_value=10, allow_nan=False),
        min_size=1,
        max_size=8,
    )
)
def test_dict_gradient_keeps_any_key_order(x: dict[str, float]) -> None:
    keys = list(x)
    weights = {k: float(i + 1) for i, k in enumerate(keys)}

    def f(p: tp.BVar[dict[str, float]]) -> tp.BVar[float]:
        out = tp.constant(0.0)
        for k in keys[::2]:  # every other key, so some gradients are zero
            v = p.view(lambda d, k=k: d[k])
            out = out + v * v * weights[k]
        return out

    g = tp.grad(f, x)
    assert_same_structure(g, x)
    for i, k in enumerate(keys):
        assert g[k] == (2 * x[k] * weights[k] if i % 2 == 0 else 0.0)


def test_dict_with_non_string_keys() -> None:
    x = {0: 1.0, (1, 2): 2.0, "s": 3.0}

    def f(p: tp.BVar[dict[Any, float]]) -> tp.BVar[float]:
        return p.view(lambda d: d[0]) * p.view(lambda d: d[(1, 2)]) * p.view(lambda d: d["s"])

    g = tp.grad(f, x)
    assert_same_structure(g, x)
    assert g == {0: 6.0, (1, 2): 3.0, "s": 2.0}


def test_namedtuple_by_name_and_by_index() -> None:
    x = Point(2.0, 3.0, np.array([1.0, -1.0, 2.0]))

    def f(p: tp.BVar[Point]) -> tp.BVar[Any]:
        by_name = p.view(lambda q: q.x)
        by_index = p.view(lambda q: q[1])
        by_negative = p.view(lambda q: q[-1])
        return by_name * by_index + by_name * (by_negative @ by_negative)

    g = tp.grad(f, x)
    assert_same_structure(g, x)
    assert type(g) is Point
    assert g.x == pytest.approx(x.y + x.w @ x.w)
    assert g.y == pytest.approx(x.x)
    np.testing.assert_allclose(g.w, 2 * x.x * x.w)
    check_grads(f, x)


def test_namedtuple_unpack() -> None:
    x = Point(2.0, 3.0, np.array([1.0, 2.0]))

    def f(p: tp.BVar[Point]) -> tp.BVar[Any]:
        a, b, w = p.unpack()
        return a * b * (w @ w)

    g = tp.grad(f, x)
    assert_same_structure(g, x)
    assert g.x == pytest.approx(3.0 * 5.0)
    assert g.y == pytest.approx(2.0 * 5.0)
    np.testing.assert_allclose(g.w, 2 * 6.0 * x.w)


@dataclass
class Plain:
    scale: float
    w: np.ndarray
    count: int


@dataclass(frozen=True)
class Frozen:
    scale: float
    w: np.ndarray
    count: int


@dataclass(slots=True)
class Slotted:
    scale: float
    w: np.ndarray
    count: int


@dataclass(frozen=True, slots=True)
class FrozenSlotted:
    scale: float
    w: np.ndarray
    count: int


@pytest.mark.parametrize("cls", [Plain, Frozen, Slotted, FrozenSlotted])
def test_dataclass_parameter(cls: type) -> None:
    x = cls(1.5, np.array([1.0, -2.0, 0.5], dtype=np.float32), 4)

    def f(p: tp.BVar[Any]) -> tp.BVar[Any]:
        w = p.view(lambda m: m.w)
        return total(w * w) * p.view(lambda m: m.scale) + p.view(lambda m: m.count) * 1.0

    g = tp.grad(f, x)
    assert_same_structure(g, x)
    assert type(g) is cls
    assert g.scale == pytest.approx(float(x.w @ x.w), rel=1e-6)
    np.testing.assert_allclose(g.w, 2 * 1.5 * x.w, rtol=1e-6)
    assert g.count == 0
    check_grads(f, x)


@dataclass(frozen=True)
class Positive:
    scale: float

    def __post_init__(self) -> None:
        if self.scale <= 0:
            raise ValueError("scale must be positive")


def test_dataclass_gradient_bypasses_post_init() -> None:
    # The gradient of a positive scale may be negative: it must not go through __post_init__.
    g = tp.grad(lambda p: p.view(lambda m: m.scale) * -4.0, Positive(2.0))
    assert type(g) is Positive
    assert g.scale == -4.0


@dataclass
class Layer:
    w: np.ndarray
    b: np.ndarray


class Config(NamedTuple):
    rate: float
    steps: int
    name: None


@dataclass(frozen=True)
class Model:
    layers: list[Layer]
    head: dict[str, Any]
    config: Config
    extra: tuple[np.float32, float]


def _model() -> Model:
    return Model(
        layers=[
            Layer(RNG.standard_normal((3, 2)), RNG.standard_normal(3)),
            Layer(RNG.standard_normal((1, 3)), RNG.standard_normal(1)),
        ],
        head={"gain": 0.7, "mask": np.array([1, 0, 1]), "bias32": np.array([0.1], np.float32)},
        config=Config(0.5, 3, None),
        extra=(np.float32(1.25), 2.0),
    )


def _model_loss(p: tp.BVar[Model]) -> tp.BVar[Any]:
    x = np.array([0.5, -1.0])
    h = p.view(lambda m: m.layers[0].w) @ x + p.view(lambda m: m.layers[0].b)
    h = h * h * p.view(lambda m: m.config.rate)
    out = p.view(lambda m: m.layers[-1].w) @ h + p.view(lambda m: m.layers[-1].b)
    gain = p.view(lambda m: m.head["gain"])
    return total(out) * gain + p.view(lambda m: m.extra[1]) * p.view(lambda m: m.config.steps)


def test_nested_mix_has_the_parameters_type_everywhere() -> None:
    x = _model()
    g = tp.grad(_model_loss, x)
    assert_same_structure(g, x)
    # The unused parts are zeros of their own types.
    assert g.head["bias32"].dtype == np.float32 and not g.head["bias32"].any()
    assert type(g.extra[0]) is np.float32 and g.extra[0] == 0
    assert g.config.steps == 0 and g.config.name is None
    assert not g.head["mask"].any()
    assert g.extra[1] == 3.0
    check_grads(_model_loss, x)


def test_nested_mix_gradient_matches_hand_formula() -> None:
    x = _model()
    g = tp.grad(_model_loss, x)
    inp = np.array([0.5, -1.0])
    l0, l1 = x.layers
    r, gain = x.config.rate, x.head["gain"]
    pre = l0.w @ inp + l0.b
    h = pre * pre * r
    out = l1.w @ h + l1.b
    d_out = np.full(out.shape, gain)
    d_h = l1.w.T @ d_out
    d_pre = d_h * 2 * pre * r
    np.testing.assert_allclose(g.layers[1].w, np.outer(d_out, h))
    np.testing.assert_allclose(g.layers[1].b, d_out)
    np.testing.assert_allclose(g.layers[0].w, np.outer(d_pre, inp))
    np.testing.assert_allclose(g.layers[0].b, d_pre)
    assert g.config.rate == pytest.approx(float(d_h @ (pre * pre)))
    assert g.head["gain"] == pytest.approx(float(out.sum()))


# ---------------------------------------------------------------------------------------------
# Union-typed parameters
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Circle:
    r: float


@dataclass(frozen=True)
class Rect:
    w: float
    h: float


def area(p: tp.BVar[Circle | Rect]) -> tp.BVar[float]:
    match p.value:
        case Circle():
            r = p.narrow(Circle).view(lambda s: s.r)
            return r * r * math.pi
        case Rect():
            q = p.narrow(Rect)
            return q.view(lambda s: s.w) * q.view(lambda s: s.h)
    raise AssertionError("unreachable")


def perimeter(p: tp.BVar[Circle | Rect]) -> tp.BVar[float]:
    if isinstance(p.value, Circle):
        return p.view(lambda s: s.r) * (2 * math.pi)  # type: ignore[union-attr]
    return (p.view(lambda s: s.w) + p.view(lambda s: s.h)) * 2.0  # type: ignore[union-attr]


def test_union_parameter_circle_branch() -> None:
    x: Circle | Rect = Circle(1.5)
    value, g = tp.backprop(area, x)
    assert value == pytest.approx(math.pi * 1.5**2)
    assert type(g) is Circle
    assert g.r == pytest.approx(2 * math.pi * 1.5)
    check_grads(area, x)
    assert tp.grad(perimeter, x) == Circle(2 * math.pi)


def test_union_parameter_rect_branch() -> None:
    x: Circle | Rect = Rect(2.0, 5.0)
    value, g = tp.backprop(area, x)
    assert value == 10.0
    assert type(g) is Rect
    assert g == Rect(5.0, 2.0)
    check_grads(area, x)
    assert tp.grad(perimeter, x) == Rect(2.0, 2.0)


def test_union_parameter_narrowed_to_the_wrong_variant() -> None:
    with pytest.raises(tp.CheckError, match=re.escape("narrow: the value is a Circle, not a Rect")):
        tp.grad(lambda p: p.narrow(Rect).view(lambda s: s.w), Circle(1.0))


def test_union_branch_views_a_field_the_other_variant_lacks() -> None:
    # Viewing by the wrong variant's field is caught at run time, naming the real type.
    with pytest.raises(tp.CheckError, match=re.escape("view: x.w: Circle has no field 'w'")):
        tp.grad(lambda p: p.view(lambda s: s.w) * 1.0, Circle(1.0))


def test_union_variants_inside_a_list() -> None:
    x: list[Circle | Rect] = [Rect(1.0, 2.0), Circle(0.5), Rect(3.0, 4.0)]

    def f(ps: tp.BVar[list[Circle | Rect]]) -> tp.BVar[float]:
        a, b, c = (area(s) for s in tp.sequence(ps))
        return a + b + c

    g = tp.grad(f, x)
    assert_same_structure(g, x)
    assert g[0] == Rect(2.0, 1.0)
    assert g[1].r == pytest.approx(2 * math.pi * 0.5)
    assert g[2] == Rect(4.0, 3.0)


# ---------------------------------------------------------------------------------------------
# User types: the Backprop protocol and register_backprop
# ---------------------------------------------------------------------------------------------


class Pair:
    """A user type with its own gradient (the Backprop protocol); counts its `add` calls."""

    adds = 0

    def __init__(self, a: float, b: float) -> None:
        self.a, self.b = a, b

    def zero(self) -> "Pair":
        return Pair(0.0, 0.0)

    def add(self, other: "Pair") -> "Pair":
        Pair.adds += 1
        return Pair(self.a + other.a, self.b + other.b)

    def one(self) -> "Pair":
        return Pair(1.0, 1.0)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Pair) and (self.a, self.b) == (other.a, other.b)

    def __hash__(self) -> int:
        return hash((self.a, self.b))

    def __repr__(self) -> str:
        return f"Pair({self.a!r}, {self.b!r})"


@tp.op1
def pair_product(p: Pair) -> tuple[float, Callable[[float], Pair]]:
    return p.a * p.b, lambda g: Pair(g * p.b, g * p.a)


@tp.op1
def pair_square(p: Pair) -> tuple[float, Callable[[float], Pair]]:
    return p.a * p.a, lambda g: Pair(2.0 * g * p.a, 0.0)


@tp.op1
def make_pair(x: float) -> tuple[Pair, Callable[[Pair], float]]:
    return Pair(x, 3.0 * x), lambda g: g.a + 3.0 * g.b


def test_backprop_protocol_is_recognised() -> None:
    assert isinstance(Pair(1.0, 2.0), tp.Backprop)


def test_backprop_protocol_parameter_used_twice_adds_with_its_method() -> None:
    x = Pair(2.0, 5.0)
    before = Pair.adds
    value, g = tp.backprop(lambda p: pair_product(p) + pair_square(p), x)
    assert value == 2.0 * 5.0 + 2.0 * 2.0
    assert type(g) is Pair
    assert g == Pair(5.0 + 2 * 2.0, 2.0)
    assert Pair.adds - before == 1


def test_backprop_protocol_unused_parameter_gets_its_zero() -> None:
    g = tp.grad(lambda p: tp.constant(1.0), Pair(2.0, 5.0))
    assert g == Pair(0.0, 0.0)


def test_backprop_protocol_as_intermediate_value() -> None:
    # x -> Pair(x, 3x) -> a*b + a*a = 3x^2 + x^2 = 4x^2: the gradient is 8x.
    value, g = tp.backprop(lambda x: pair_product(make_pair(x)) + pair_square(make_pair(x)), 1.5)
    assert value == pytest.approx(4 * 1.5**2)
    assert type(g) is float
    assert g == pytest.approx(8 * 1.5)


def test_backprop_protocol_inside_a_structure() -> None:
    x = (Pair(2.0, 3.0), 4.0, [Pair(1.0, 1.0)])

    def f(p: tp.BVar[Any]) -> tp.BVar[float]:
        return pair_product(p.view(lambda t: t[0])) * p.view(lambda t: t[1])

    g = tp.grad(f, x)
    assert_same_structure(g, x)
    assert g[0] == Pair(3.0 * 4.0, 2.0 * 4.0)
    assert g[1] == 6.0
    assert g[2] == [Pair(0.0, 0.0)]


def test_backprop_protocol_output_is_seeded_with_its_one() -> None:
    value, g = tp.backprop(lambda p: p, Pair(1.0, 2.0))
    assert value == Pair(1.0, 2.0)
    assert g == Pair(1.0, 1.0)


def test_backprop_protocol_seeded_output() -> None:
    value, g = tp.backprop_with(lambda p: p, Pair(1.0, 2.0), Pair(7.0, -1.0))
    assert value == Pair(1.0, 2.0)
    assert g == Pair(7.0, -1.0)


def test_backprop_protocol_dataclass_is_a_leaf_taken_whole() -> None:
    # A dataclass with zero/add/one is a leaf (documented): ops take it whole...
    g = tp.grad(lambda m: tax(m) * 5.0, Money(100.0))
    assert type(g) is Money
    assert g.amount == pytest.approx(1.0)
    # ...and a view does not go inside it.
    with pytest.raises(
        tp.CheckError,
        match=re.escape("view: x.amount goes inside a Money, which is a leaf: a view selects"),
    ):
        tp.grad(lambda m: m.view(lambda v: v.amount) * 3.0, Money(2.0))


class Q:
    """An exact rational, registered with register_backprop (not a Backprop itself)."""

    __slots__ = ("f",)

    def __init__(self, f: Fraction | int) -> None:
        self.f = Fraction(f)

    def __add__(self, other: object) -> "Q":
        return type(self)(self.f + (other.f if isinstance(other, Q) else Fraction(other)))  # type: ignore[arg-type]

    __radd__ = __add__

    def __mul__(self, other: object) -> "Q":
        return type(self)(self.f * (other.f if isinstance(other, Q) else Fraction(other)))  # type: ignore[arg-type]

    __rmul__ = __mul__

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.f == other.f  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self.f)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.f})"


class SubQ(Q):
    __slots__ = ()


q_adds: list[tuple[Fraction, Fraction]] = []


def _q_add(a: Q, b: Q) -> Q:
    q_adds.append((a.f, b.f))
    return type(a)(a.f + b.f)


tp.register_backprop(Q, zero=lambda q: type(q)(0), add=_q_add, one=lambda q: type(q)(1))


def test_registered_type_exact_gradient() -> None:
    x = Q(Fraction(1, 3))
    q_adds.clear()
    value, g = tp.backprop(lambda v: v * v * v + v * 5, x)
    # d/dx (x^3 + 5x) = 3x^2 + 5, exactly.
    assert value == Q(x.f**3 + 5 * x.f)
    assert type(g) is Q
    assert g == Q(3 * x.f**2 + 5)
    assert q_adds, "the registered add combines the uses of x"


def test_registered_type_covers_subclasses() -> None:
    x = SubQ(Fraction(2, 7))
    g = tp.grad(lambda v: v * v, x)
    assert type(g) is SubQ
    assert g == SubQ(2 * x.f)


def test_registered_type_unused_gets_registered_zero() -> None:
    x = (Q(3), 2.0)
    g = tp.grad(lambda p: p.view(lambda t: t[1]) * 2.0, x)
    assert_same_structure(g, x)
    assert g == (Q(0), 2.0)


def test_later_registration_replaces_earlier() -> None:
    class Box:
        def __init__(self, v: float) -> None:
            self.v = v

        def __mul__(self, other: object) -> "Box":
            return Box(self.v * (other.v if isinstance(other, Box) else other))  # type: ignore[operator]

        __rmul__ = __mul__

    calls: list[str] = []

    def adder(tag: str) -> Callable[[Box, Box], Box]:
        def add(a: Box, b: Box) -> Box:
            calls.append(tag)
            return Box(a.v + b.v)

        return add

    tp.register_backprop(Box, zero=lambda b: Box(0.0), add=adder("first"), one=lambda b: Box(1.0))
    g1 = tp.grad(lambda b: b * b, Box(3.0))
    assert g1.v == 6.0 and calls == ["first"]
    tp.register_backprop(Box, zero=lambda b: Box(0.0), add=adder("second"), one=lambda b: Box(1.0))
    g2 = tp.grad(lambda b: b * b, Box(3.0))
    assert g2.v == 6.0 and calls == ["first", "second"]


def test_register_backprop_rejects_a_non_class() -> None:
    with pytest.raises(TypeError, match=r"register_backprop: expected a class, got 3"):
        tp.register_backprop(3, zero=abs, add=max, one=abs)  # type: ignore[call-overload]


# ---------------------------------------------------------------------------------------------
# Error paths
# ---------------------------------------------------------------------------------------------


@dataclass
class WB:
    w: np.ndarray
    b: float


def _wb() -> WB:
    return WB(np.eye(2), 1.0)


def test_view_into_a_leaf() -> None:
    with pytest.raises(
        tp.CheckError,
        match=re.escape(
            "view: x.w.T goes inside a ndarray, which is a leaf: a view selects parts of tuples, "
            "lists, dicts, NamedTuples and dataclasses; apply ops to the selected leaf instead"
        ),
    ):
        tp.grad(lambda m: m.view(lambda v: v.w.T), _wb())


def test_view_missing_dataclass_field() -> None:
    with pytest.raises(tp.CheckError, match=re.escape("view: x.bias: WB has no field 'bias'")):
        tp.grad(lambda m: m.view(lambda v: v.bias), _wb())


def test_view_item_of_a_dataclass() -> None:
    with pytest.raises(tp.CheckError, match=re.escape("view: x[0]: WB has no item [0]")):
        tp.grad(lambda m: m.view(lambda v: v[0]), _wb())


def test_view_missing_namedtuple_field() -> None:
    x = Point(1.0, 2.0, np.ones(2))
    with pytest.raises(tp.CheckError, match=re.escape("view: x.z: Point has no field 'z'")):
        tp.grad(lambda p: p.view(lambda q: q.z), x)


def test_view_index_out_of_range() -> None:
    with pytest.raises(
        tp.CheckError,
        match=re.escape("view: x[1][2]: index 2 is out of range for a list of length 2"),
    ):
        tp.grad(lambda p: p.view(lambda t: t[1][2]), (1.0, [2.0, 3.0]))
    with pytest.raises(
        tp.CheckError, match=re.escape("view: x[-3]: index -3 is out of range for a tuple")
    ):
        tp.grad(lambda p: p.view(lambda t: t[-3]), (1.0, 2.0))


def test_view_wrong_kind_of_index() -> None:
    with pytest.raises(
        tp.CheckError,
        match=re.escape("view: x['a']: a list is selected by an integer index, not 'a'"),
    ):
        tp.grad(lambda p: p.view(lambda t: t["a"]), [1.0, 2.0])
    with pytest.raises(
        tp.CheckError, match=re.escape("view: x[slice(0, 1, None)]: a tuple is selected by")
    ):
        tp.grad(lambda p: p.view(lambda t: t[0:1]), (1.0, 2.0))
    with pytest.raises(
        tp.CheckError, match=re.escape("view: x.a: a dict is selected by key, not by attribute .a")
    ):
        tp.grad(lambda p: p.view(lambda d: d.a), {"a": 1.0})


def test_view_missing_dict_key() -> None:
    with pytest.raises(tp.CheckError, match=re.escape("view: x['c']: the dict has no key 'c'")):
        tp.grad(lambda p: p.view(lambda d: d["c"]), {"a": 1.0})


def test_view_getter_returning_a_non_part() -> None:
    with pytest.raises(
        tp.CheckError,
        match=re.escape(
            "view: the getter must return a part of its argument (like `lambda p: p.w` or "
            "`lambda p: p[0]`), but it returned a value of type float"
        ),
    ):
        tp.grad(lambda p: p.view(lambda t: 1.0), (1.0, 2.0))


def test_view_errors_are_type_errors() -> None:
    with pytest.raises(TypeError, match=r"^view: "):
        tp.constant((1.0,)).view(lambda t: t[4])


@dataclass
class Choice:
    use_a: bool
    a: float
    b: float


def test_view_getter_that_branches_is_rejected() -> None:
    x = Choice(use_a=False, a=1.0, b=2.0)
    with pytest.raises(tp.CheckError, match=r"^view: "):
        tp.grad(lambda p: p.view(lambda m: m.a if m.use_a else m.b) * 1.0, x)


_UNSUPPORTED = "typedprop cannot differentiate a value of type {}: give the class zero, add and one"


@pytest.mark.parametrize(
    ("x", "name"),
    [({1.0, 2.0}, "set"), (object(), "object"), ("text", "str"), (frozenset(), "frozenset")],
)
def test_unsupported_parameter_type(x: object, name: str) -> None:
    with pytest.raises(TypeError, match=re.escape(_UNSUPPORTED.format(name))):
        tp.grad(lambda p: tp.constant(1.0), x)


def test_unsupported_type_nested_in_a_structure() -> None:
    with pytest.raises(TypeError, match=re.escape(_UNSUPPORTED.format("set"))):
        tp.grad(lambda p: p.view(lambda t: t[0]) * 2.0, (1.0, {3}))


def test_unsupported_constant() -> None:
    with pytest.raises(TypeError, match=re.escape(_UNSUPPORTED.format("set"))):
        tp.constant({1})


# ---------------------------------------------------------------------------------------------
# dict subclasses
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "x",
    [Counter({"a": 1.0, "b": 2.0}), defaultdict(float, {"a": 1.0, "b": 2.0})],
    ids=["Counter", "defaultdict"],
)
def test_dict_subclass_parameter(x: dict[str, float]) -> None:
    g = tp.grad(lambda p: p.view(lambda d: d["a"]) * 3.0, x)
    assert_same_structure(g, x)
    assert dict(g) == {"a": 3.0, "b": 0.0}


@dataclass
class Named:
    name: Any


def _never_called(ran: list[str]) -> Callable[..., tp.BVar[float]]:
    def f(*xs: tp.BVar[Any]) -> tp.BVar[float]:
        ran.append("f ran")
        return tp.constant(1.0)

    return f


# ---------------------------------------------------------------------------------------------
# register_backprop: refusals and thread safety
# ---------------------------------------------------------------------------------------------


def _identity(x: Any) -> Any:
    return x


def _first(a: Any, b: Any) -> Any:
    return a


@pytest.mark.parametrize(
    ("cls", "name"),
    [
        (float, "float"),
        (complex, "complex"),
        (int, "int"),
        (bool, "bool"),
        (type(None), "NoneType"),
        (np.ndarray, "ndarray"),
        (tuple, "tuple"),
        (list, "list"),
        (dict, "dict"),
    ],
)
def test_register_backprop_refuses_a_built_in_type(cls: type, name: str) -> None:
    message = f"register_backprop: {name} is built into typedprop and cannot be registered again"
    with pytest.raises(TypeError, match=re.escape(message)):
        tp.register_backprop(cls, zero=_identity, add=_first, one=_identity)
    # The built-in handling is untouched.
    assert tp.grad(lambda x: x * x, 3.0) == 6.0


@pytest.mark.parametrize(
    ("value", "shown"),
    [(3, "3"), (Named(1.0), "Named(name=1.0)"), ("float", "'float'")],
    ids=["int", "instance", "str"],
)
def test_register_backprop_expects_a_class(value: Any, shown: str) -> None:
    with pytest.raises(
        TypeError, match=re.escape(f"register_backprop: expected a class, got {shown}")
    ):
        tp.register_backprop(value, zero=_identity, add=_first, one=_identity)


def test_registering_while_other_threads_run_grad() -> None:
    # Each registration swaps in a fresh kind cache; numpy float64 parameters are classified
    # again after every swap, Python floats are built in. Neither may see a broken cache.
    class Fresh:
        pass

    rounds, workers = 2000, 4
    errors: list[BaseException] = []
    results: list[list[object]] = [[] for _ in range(workers)]
    registered = [0]
    start = threading.Barrier(workers + 1)
    done = threading.Event()

    def register() -> None:
        try:
            start.wait()
            # At least `rounds` registrations, and on until every worker has finished.
            while registered[0] < rounds or not done.is_set():
                tp.register_backprop(Fresh, zero=_identity, add=_first, one=_identity)
                registered[0] += 1
        except BaseException as e:
            errors.append(e)

    def differentiate(k: int) -> None:
        try:
            start.wait()
            for i in range(rounds):
                x = float(i % 7) if i % 2 else np.float64(i % 7)
                results[k].append(tp.grad(lambda v: v * v + 3.0 * v, x))
        except BaseException as e:
            errors.append(e)

    registrar = threading.Thread(target=register)
    workers_threads = [threading.Thread(target=differentiate, args=(k,)) for k in range(workers)]
    registrar.start()
    for t in workers_threads:
        t.start()
    for t in workers_threads:
        t.join(timeout=60)
    done.set()
    registrar.join(timeout=60)
    assert not registrar.is_alive() and not any(t.is_alive() for t in workers_threads)
    assert errors == []
    assert registered[0] >= rounds
    expected = [2.0 * (i % 7) + 3.0 for i in range(rounds)]
    for got in results:
        assert got == expected
        assert [type(g) for g in got] == [float if i % 2 else np.float64 for i in range(rounds)]


def test_registration_during_a_classification_is_not_lost() -> None:
    hooked: list[bool] = []

    class Hook(type):
        def __getattribute__(cls, name: str) -> Any:
            # _classify looks up `zero` on the class: register there, as another thread might.
            if name == "zero" and not hooked:
                hooked.append(True)
                tp.register_backprop(
                    cls,
                    zero=lambda b: Box("registered zero"),
                    add=_first,
                    one=lambda b: Box("registered one"),
                )
            return super().__getattribute__(name)

    class Box(metaclass=Hook):
        def __init__(self, tag: str) -> None:
            self.tag = tag

        def zero(self) -> "Box":
            return Box("method zero")

        def add(self, other: "Box") -> "Box":
            return self

        def one(self) -> "Box":
            return Box("method one")

    tp.constant(Box("x"))  # classifies Box; the registration happens meanwhile
    assert hooked == [True]
    # register_backprop has returned: from now on the registration must win.
    assert tp.grad(lambda b: b, Box("x")).tag == "registered one"


# ---------------------------------------------------------------------------------------------
# Messages from the structures
# ---------------------------------------------------------------------------------------------


def test_view_getter_that_computes() -> None:
    message = (
        "view: the getter must only select parts of its argument, but it failed: "
        "unsupported operand type(s) for +"
    )
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad(lambda p: p.view(lambda m: m[0] + 1), (1.0, 2.0))


class CopiesToDict(dict):  # type: ignore[type-arg]
    """A dict subclass whose copy() is a plain dict, so typedprop cannot rebuild it."""

    def copy(self) -> dict:  # type: ignore[type-arg]
        return dict(self)


def test_dict_subclass_whose_copy_is_a_plain_dict() -> None:
    message = (
        "typedprop cannot rebuild a CopiesToDict: its copy() is a dict; register the type with "
        "typedprop.register_backprop"
    )
    x = CopiesToDict(a=1.0, b=2.0)
    with pytest.raises(TypeError, match=re.escape(message)):
        tp.grad(lambda p: p.view(lambda d: d["a"]) * 2.0, x)
    with pytest.raises(TypeError, match=re.escape(message)):
        tp.grad(lambda p: tp.constant(1.0), x)  # its zero is rebuilt too


def test_dict_subclass_that_cannot_be_rebuilt_is_refused_before_f_runs() -> None:
    ran: list[str] = []
    with pytest.raises(
        TypeError, match=re.escape("grad: the parameter at x[0]: typedprop cannot rebuild")
    ):
        tp.grad(_never_called(ran), (CopiesToDict(a=1.0), 2.0))
    assert ran == []


# ---------------------------------------------------------------------------------------------
# Sum types in the implicit style: f branches on a parameter's value
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Linear:
    w: Vec
    b: float


@dataclass(frozen=True)
class Quadratic:
    a: Vec
    w: Vec
    b: float


Fit = Linear | Quadratic
X = np.array([0.5, -1.0, 2.0])


def predict(p: BVar[Fit]) -> BVar[float]:
    match p.value:
        case Linear():
            lin = p.narrow(Linear)
            return lin.view(lambda m: m.w) @ X + lin.view(lambda m: m.b)
        case Quadratic():
            q = p.narrow(Quadratic)
            return (
                q.view(lambda m: m.a) @ (X * X) + q.view(lambda m: m.w) @ X + q.view(lambda m: m.b)
            )
    raise AssertionError("unreachable")


@pytest.mark.parametrize(
    "model",
    [
        Linear(np.array([1.0, 2.0, 3.0]), 0.5),
        Quadratic(np.ones(3), np.array([1.0, 0.0, -1.0]), 2.0),
    ],
    ids=["linear", "quadratic"],
)
def test_the_gradient_is_of_the_variant_given(model: Fit) -> None:
    g = tp.grad(predict, model)
    assert type(g) is type(model)
    check_grads(predict, model)


def test_gradient_values_per_variant() -> None:
    g = tp.grad(predict, Quadratic(np.ones(3), np.zeros(3), 0.0))
    assert isinstance(g, Quadratic)
    np.testing.assert_array_equal(g.a, X * X)
    np.testing.assert_array_equal(g.w, X)
    assert g.b == 1.0 and type(g.b) is float


def test_narrow_to_the_wrong_variant_is_an_error() -> None:
    def wrong(p: BVar[Fit]) -> BVar[float]:
        return p.narrow(Quadratic).view(lambda m: m.b)

    with pytest.raises(tp.CheckError, match="narrow: the value is a Linear, not a Quadratic"):
        tp.grad(wrong, Linear(np.ones(3), 0.0))


def test_a_python_branch_on_the_value_picks_the_path() -> None:
    def relu_like(x: BVar[float]) -> BVar[float]:
        return x * 3.0 if x.value > 0 else x * 0.5

    assert tp.grad(relu_like, 2.0) == 3.0
    assert tp.grad(relu_like, -2.0) == 0.5
