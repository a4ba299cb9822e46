"""The elementwise family on other array libraries, beyond the op table
(tests/ops/test_backends.py): `sign`, which has no gradient and so no case in the table;
integer arrays, which the maps that need floats make floating first; `clip`'s bounds of another
library, refused, and its shapes that do not broadcast; the stable activations at large
magnitudes; the inputs' checks that the arithmetic ops share (`is_number_or_array`,
`describe_type`).

Each test runs on array-api-strict, PyTorch and JAX, each skipped where it is not installed.
JAX computes in float32 here unless its 64-bit mode is on (see test_backends.py), so the arrays
are made in float32 for it.
"""

import importlib
import os
import re
from typing import Any

import numpy as np
import pytest

import typedprop as tp
from typedprop import ops
from typedprop.ops._elementwise import describe_type, is_number_or_array

LIBRARIES = ["array_api_strict", "torch", "jax"]
X64 = os.environ.get("JAX_ENABLE_X64", "") not in ("", "0", "false", "False")

# How a user converts to each library, as the messages show it.
CONVERT = {
    "array_api_strict": "array_api_strict.asarray(x)",
    "torch": "torch.asarray(x)",
    "jax": "jax.numpy.asarray(x)",
}
ARTICLE = {"array_api_strict": "an", "torch": "a", "jax": "a"}


class Library:
    """A library under test: its module, its array API namespace, and numpy arrays as its."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.module = pytest.importorskip("jax.numpy" if name == "jax" else name)
        self.xp = (
            importlib.import_module("array_api_compat.torch") if name == "torch" else self.module
        )

    def __call__(self, x: Any) -> Any:
        x = np.asarray(x)
        if self.name == "jax" and not X64:
            # JAX's default dtypes without its 64-bit mode (it would warn, and truncate).
            if x.dtype == np.float64:
                x = x.astype(np.float32)
            elif x.dtype == np.int64:
                x = x.astype(np.int32)
        if self.name == "torch":
            return self.module.asarray(x.copy())
        return self.module.asarray(x)

    def numpy(self, x: Any) -> np.ndarray[Any, Any]:
        if self.name == "torch":
            return np.asarray(x.detach().cpu().numpy())
        return np.asarray(x)

    def default_float(self) -> Any:
        return self.xp.__array_namespace_info__().default_dtypes()["real floating"]

    @property
    def a(self) -> str:
        return f"{ARTICLE[self.name]} {self.name}"


@pytest.fixture(params=LIBRARIES)
def lib(request: pytest.FixtureRequest) -> Library:
    return Library(request.param)


# ---------------------------------------------------------------------------------------------
# sign
# ---------------------------------------------------------------------------------------------


def test_sign_values(lib: Library) -> None:
    x = lib(np.array([-2.5, 0.0, 3.0]))
    s = ops.sign(x)
    assert type(s) is type(x) and s.dtype == x.dtype
    np.testing.assert_array_equal(lib.numpy(s), [-1.0, 0.0, 1.0])
    i = lib(np.array([-2, 0, 3]))
    s = ops.sign(i)
    assert s.dtype == i.dtype
    np.testing.assert_array_equal(lib.numpy(s), [-1, 0, 1])


def test_sign_of_a_bvar_is_a_constant(lib: Library) -> None:
    x = lib(np.array([-2.5, 0.0, 3.0]))
    seen: list[Any] = []

    def f(v: Any) -> Any:
        s = ops.sign(v)
        seen.append(s)
        return ops.sum(s)

    value, g = tp.backprop(f, x)
    assert float(value) == 0.0
    assert type(g) is type(x) and g.dtype == x.dtype
    np.testing.assert_array_equal(lib.numpy(g), np.zeros(3))  # no gradient flows through sign
    assert isinstance(seen[0], tp.BVar) and "constant" in repr(seen[0])
    assert type(seen[0].value) is type(x)
    np.testing.assert_array_equal(lib.numpy(seen[0].value), [-1.0, 0.0, 1.0])


def test_sign_as_a_factor(lib: Library) -> None:
    x = lib(np.array([-2.5, 3.0]))
    g = tp.grad(lambda v: ops.sum(ops.sign(v) * v), x)
    assert type(g) is type(x) and g.dtype == x.dtype
    np.testing.assert_array_equal(lib.numpy(g), [-1.0, 1.0])


# ---------------------------------------------------------------------------------------------
# Integer arrays
# ---------------------------------------------------------------------------------------------

FLOATING_MAPS = ["exp", "expm1", "sin", "cos", "arctan", "tanh", "logistic", "softplus", "gelu"]
FLOATING_MAPS += ["elu", "leaky_relu"]


@pytest.mark.parametrize("name", FLOATING_MAPS)
def test_integer_array_becomes_the_default_floating_dtype(lib: Library, name: str) -> None:
    # numpy makes its integer arrays float64; array-api-strict refuses integers in exp, tanh,
    # ...: the map makes them the library's default floating dtype first.
    ints = np.array([-2, 0, 3])
    out = getattr(ops, name)(lib(ints))
    assert out.dtype == lib.default_float()
    expected = getattr(ops, name)(ints)
    np.testing.assert_allclose(lib.numpy(out), expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["relu", "square", "abs"])
def test_integer_array_keeps_its_dtype(lib: Library, name: str) -> None:
    x = lib(np.array([-2, 0, 3]))
    out = getattr(ops, name)(x)
    assert out.dtype == x.dtype
    np.testing.assert_array_equal(lib.numpy(out), getattr(ops, name)(np.array([-2, 0, 3])))


def test_clip_of_integers(lib: Library) -> None:
    x = lib(np.array([-2, 0, 3]))
    by_ints = ops.clip(x, -1, 1)
    assert by_ints.dtype == x.dtype
    np.testing.assert_array_equal(lib.numpy(by_ints), [-1, 0, 1])
    # Floating bounds make the integers floating, as numpy does (array-api-strict's clip
    # refuses the mix).
    by_floats = ops.clip(x, -0.5, 1.5)
    assert lib.xp.isdtype(by_floats.dtype, "real floating")
    np.testing.assert_array_equal(lib.numpy(by_floats), [-0.5, 0.0, 1.5])


# ---------------------------------------------------------------------------------------------
# clip's bounds
# ---------------------------------------------------------------------------------------------


def test_clip_bound_of_another_library_is_refused(lib: Library) -> None:
    x = lib(np.array([-2.0, 0.5, 3.0]))
    message = (
        f"clip: x is {lib.a} array but a_min is a numpy array; an op computes with one array "
        f"library, so convert one of them first (with {CONVERT[lib.name]} or numpy.asarray(x))"
    )
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        ops.clip(x, np.zeros(3), None)
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        ops.clip(x, np.float64(0.0), 1.0)  # a numpy scalar counts as numpy, as in any op
    message = f"clip: x is a numpy array but a_max is {lib.a} array"
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        ops.clip(np.zeros(3), None, x)
    message = (
        f"clip: a_min is {lib.a} array but x is a number; an op computes with one array "
        f"library, so make x {lib.a} array first (with {CONVERT[lib.name]})"
    )
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        ops.clip(0.5, x, None)


def test_clip_bound_of_another_library_is_refused_in_a_gradient(lib: Library) -> None:
    message = f"clip: x is {lib.a} array but a_max is a numpy array"
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad(lambda v: ops.sum(ops.clip(v, -1.0, np.ones(3))), lib(np.zeros(3)))


def test_clip_bounds_that_do_not_broadcast(lib: Library) -> None:
    x = lib(np.array([-2.0, 0.5, 3.0]))
    message = "clip: argument 'x' of shape (3,) and argument 'a_max' of shape (2, 2) do not"
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        ops.clip(x, -1.0, lib(np.zeros((2, 2))))
    message = "clip: argument 'x' of shape (3,) and argument 'a_min' of shape (2,) do not"
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        ops.clip(x, lib(np.zeros(2)), None)


def test_clip_bounds_of_the_library(lib: Library) -> None:
    x = lib(np.array([[-2.0, 0.5, 3.0]]))
    lo, hi = lib(np.array([[-1.0], [0.75]])), lib(np.array([1.0, 1.0, 2.0]))
    value, g = tp.backprop(lambda v: ops.sum(ops.clip(v, lo, hi)), x)
    np.testing.assert_allclose(float(value), -1.0 + 0.5 + 2.0 + 0.75 + 0.75 + 2.0)
    assert type(g) is type(x) and g.dtype == x.dtype and tuple(g.shape) == (1, 3)
    np.testing.assert_array_equal(lib.numpy(g), [[0.0, 1.0, 0.0]])  # 0.5 < 0.75: clipped


# ---------------------------------------------------------------------------------------------
# Stable at large magnitudes
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "values", "grads"),
    [
        ("logistic", [0.0, 0.5, 1.0], [0.0, 0.25, 0.0]),
        ("softplus", [0.0, np.log(2.0), 1e3], [0.0, 0.5, 1.0]),
        ("elu", [-1.0, 0.0, 1e3], [0.0, 1.0, 1.0]),
    ],
)
def test_stable_at_large_magnitudes(
    lib: Library, name: str, values: list[float], grads: list[float]
) -> None:
    x = lib(np.array([-1e3, 0.0, 1e3], dtype=np.float32))
    out = getattr(ops, name)(x)
    np.testing.assert_allclose(lib.numpy(out), values, rtol=1e-6)
    g = tp.grad(lambda v: ops.sum(getattr(ops, name)(v)), x)
    assert g.dtype == x.dtype
    np.testing.assert_allclose(lib.numpy(g), grads, rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# The inputs' checks
# ---------------------------------------------------------------------------------------------


def test_arrays_of_the_library_are_numbers_or_arrays(lib: Library) -> None:
    x = lib(np.array([1.0, 2.0]))
    assert is_number_or_array(x)
    assert is_number_or_array(lib(np.array([1, 2])))
    assert is_number_or_array(lib(np.array([True, False])))
    assert describe_type(x) == f"{lib.a} array of dtype {x.dtype}"


def test_methods_of_a_bvar_of_the_library(lib: Library) -> None:
    x = lib(np.array([-2.0, 0.5, 3.0]))
    g = tp.grad(lambda v: ops.sum(v.clip(-1.0, 1.0) + abs(v)), x)
    assert type(g) is type(x) and g.dtype == x.dtype
    np.testing.assert_array_equal(lib.numpy(g), [-1.0, 2.0, 1.0])
