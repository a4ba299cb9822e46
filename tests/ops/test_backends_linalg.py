"""The linear algebra family on other array libraries, beyond the op table
(tests/ops/test_backends.py): a matrix that the library cannot factor; the runtime checks of
`matvec` and `linear`, whose hints name numpy's types; einsum without an einsum in the namespace
(`_contract`, which array-api-strict uses); messages that show shapes as tuples; mixed float
dtypes.

Each test runs on array-api-strict, PyTorch and JAX, each skipped where it is not installed.
JAX computes in float32 here unless its 64-bit mode is on, a setting of the whole process: its
float64 cases run in a process of their own, as in test_backends.py.
"""

import importlib
from typing import Any

import numpy as np
import pytest

import typedprop as tp
from typedprop import ops
from typedprop.ops._linalg import _contract

from .test_backends import LIBRARIES, X64, run_jax_cases_with_x64


def test_jax_float64_in_its_own_process() -> None:
    run_jax_cases_with_x64(__file__)


# ---------------------------------------------------------------------------------------------
# The other tests' arrays
# ---------------------------------------------------------------------------------------------


class Library:
    """A library under test: numpy arrays as its arrays (float32 for JAX without its 64-bit
    mode), and its arrays as numpy's."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.module = pytest.importorskip("jax.numpy" if name == "jax" else name)
        self.float64 = not (name == "jax" and not X64)

    def __call__(self, x: Any, dtype: Any = np.float64) -> Any:
        x = np.asarray(x, dtype=dtype)
        if not self.float64 and x.dtype == np.float64:
            x = x.astype(np.float32)
        if self.name == "torch":
            return self.module.asarray(x.copy())
        return self.module.asarray(x)

    def numpy(self, x: Any) -> Any:
        if self.name == "torch":
            return x.detach().cpu().numpy()
        return np.asarray(x)

    @property
    def dtype(self) -> str:
        return "float64" if self.float64 else "float32"


@pytest.fixture(params=LIBRARIES)
def lib(request: pytest.FixtureRequest) -> Library:
    return Library(request.param)


def _tol(lib: Library) -> dict[str, float]:
    return {"rtol": 1e-10, "atol": 1e-12} if lib.float64 else {"rtol": 1e-5, "atol": 1e-6}


# ---------------------------------------------------------------------------------------------
# A matrix the library cannot factor
# ---------------------------------------------------------------------------------------------

SINGULAR = [[1.0, 2.0], [2.0, 4.0]]


def test_singular_matrix_is_a_check_error_naming_the_library(lib: Library) -> None:
    if lib.name == "jax":
        pytest.skip("JAX reports no singular matrix (see test_jax_gives_non_finite_values)")
    a = lib(SINGULAR)
    with pytest.raises(
        tp.CheckError, match=rf"solve: argument 'a' of shape \(2, 2\) is singular \({lib.name}: "
    ):
        ops.solve(a, lib([1.0, 1.0]))
    with pytest.raises(
        tp.CheckError, match=rf"inv: argument 'a' of shape \(2, 2\) is singular \({lib.name}: "
    ):
        ops.inv(a)
    with pytest.raises(
        tp.CheckError,
        match=rf"slogdet: argument 'a' of shape \(2, 2\) is singular, so log\|det a\| has no "
        rf"gradient \({lib.name}: ",
    ):
        tp.grad(lambda m: ops.slogdet(m)[1], a)
    with pytest.raises(
        tp.CheckError,
        match=rf"cholesky: argument 'a' of shape \(2, 2\) is not positive definite \({lib.name}: ",
    ):
        ops.cholesky(lib([[1.0, 0.0], [0.0, -1.0]]))


def test_jax_gives_non_finite_values() -> None:
    """JAX's factorizations report nothing (they run traced, under `jax.jit`, too): a singular
    matrix's inverse is inf or nan, as `jax.numpy.linalg.inv` gives it."""
    lib = Library("jax")
    out = lib.numpy(ops.inv(lib(SINGULAR)))
    assert not np.isfinite(out).all()


def test_slogdet_of_a_singular_matrix(lib: Library) -> None:
    sign, logabsdet = ops.slogdet(lib(SINGULAR))
    assert float(sign) == 0.0 and float(logabsdet) == -np.inf


def test_slogdet_sign_after(lib: Library) -> None:
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    expected = tp.grad(lambda m: (lambda s: s[1] * s[0])(ops.slogdet(m)), a)
    got = tp.grad(lambda m: (lambda s: s[1] * s[0])(ops.slogdet(m)), lib(a))
    np.testing.assert_allclose(lib.numpy(got), expected, **_tol(lib))


# ---------------------------------------------------------------------------------------------
# matvec and linear: hints that name numpy's types
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("checks", [True, False])
def test_matvec_mismatch_has_numpy_words(lib: Library, checks: bool) -> None:
    w = np.arange(6.0).reshape(3, 2)
    with tp.checks(True), pytest.raises(tp.CheckError) as expected:
        ops.matvec(w.astype(lib.dtype), np.ones(3, dtype=lib.dtype))
    with tp.checks(checks), pytest.raises(tp.CheckError) as got:
        ops.matvec(lib(w), lib(np.ones(3)))
    assert str(got.value) == str(expected.value)
    assert "dimension n: 3 (argument 'x', axis 0) vs 2 (argument 'w', axis 1)" in str(got.value)


@pytest.mark.parametrize("checks", [True, False])
def test_linear_mismatch_has_numpy_words(lib: Library, checks: bool) -> None:
    w, x, b = np.ones((3, 2)), np.ones((4, 2)), np.ones(2)
    with tp.checks(True), pytest.raises(tp.CheckError) as expected:
        ops.linear(*(v.astype(lib.dtype) for v in (w, x, b)))
    with tp.checks(checks), pytest.raises(tp.CheckError) as got:
        ops.linear(lib(w), lib(x), lib(b))
    assert str(got.value) == str(expected.value)
    assert str(got.value).startswith("linear: argument 'b' has shape (2,)")


@pytest.mark.parametrize("checks", [True, False])
def test_matvec_and_linear_gradients(lib: Library, checks: bool) -> None:
    w, x, b = np.arange(6.0).reshape(3, 2) / 7, np.array([0.5, -1.5]), np.array([1.0, 2.0, 3.0])
    expected = tp.grad_n(lambda w, x, b: ops.sum(ops.linear(w, x, b) * ops.matvec(w, x)), w, x, b)
    with tp.checks(checks):
        got = tp.grad_n(
            lambda w, x, b: ops.sum(ops.linear(w, x, b) * ops.matvec(w, x)),
            lib(w),
            lib(x),
            lib(b),
        )
    for g, e in zip(got, expected, strict=True):
        assert type(g) is type(lib(x))
        assert str(g.dtype).endswith(lib.dtype)
        np.testing.assert_allclose(lib.numpy(g), e, **_tol(lib))


@pytest.mark.parametrize("checks", [False, True])
@pytest.mark.parametrize("x_shape", [(4, 2), (2, 3, 2), (2, 1, 3, 2)])
def test_linear_of_a_batch_of_any_rank_and_of_mixed_dtypes(
    lib: Library, checks: bool, x_shape: tuple[int, ...]
) -> None:
    """A batch of samples in the last axis, of two axes or more (the gradient folds the rest
    into one), and a float32 weight with float64 data (each gradient of its input's dtype)."""
    rng = np.random.default_rng(0)
    w, x, b = rng.normal(size=(3, 2)), rng.normal(size=x_shape), rng.normal(size=3)

    def f(w: Any, x: Any, b: Any) -> Any:
        return ops.sum(ops.tanh(ops.linear(w, x, b)))

    expected = tp.grad_n(f, w, x, b)
    with tp.checks(checks):
        got = tp.grad_n(f, lib(w), lib(x), lib(b))
    for g, e in zip(got, expected, strict=True):
        assert type(g) is type(lib(x)) and str(g.dtype).endswith(lib.dtype)
        np.testing.assert_allclose(lib.numpy(g), e, **_tol(lib))
    if not lib.float64:
        return  # JAX without its 64-bit mode has no float64
    mixed = tp.grad_n(f, lib(w, np.float32), lib(x), lib(b, np.float32))
    for g, e, dtype in zip(mixed, expected, ("float32", "float64", "float32"), strict=True):
        assert str(g.dtype).endswith(dtype)
        np.testing.assert_allclose(lib.numpy(g), e, rtol=1e-5, atol=1e-6)


def test_matvec_checks_the_output_of_another_library_once_per_signature() -> None:
    """The stand-ins' signatures are numpy's: a call whose check passed is not checked again."""
    lib = Library("array_api_strict")
    w, x = lib(np.ones((3, 2))), lib(np.ones(2))
    cache = type(ops.matvec)._checked
    cache.clear()
    ops.matvec(w, x)
    assert len(cache) == 2  # the inputs' signature, and the output's with them
    ops.matvec(w, x)
    assert len(cache) == 2


# ---------------------------------------------------------------------------------------------
# einsum without einsum: `_contract`
# ---------------------------------------------------------------------------------------------

CONTRACTIONS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,j->i", [(2, 3), (3,)]),
    ("i,i->", [(3,), (3,)]),
    ("bij,bjk->bik", [(5, 2, 3), (5, 3, 4)]),
    ("aij,ajk->aik", [(1, 2, 3), (4, 3, 2)]),  # a '...' axis of size 1, stretched
    ("ij->ji", [(2, 3)]),
    ("ijk->kj", [(2, 3, 4)]),
    ("ii->i", [(3, 3)]),
    ("ii->", [(3, 3)]),
    ("iii->", [(2, 2, 2)]),
    ("iij,j->i", [(3, 3, 2), (2,)]),
    ("ij,kj->", [(2, 3), (4, 3)]),
    (",i->i", [(), (3,)]),
    ("i,j->ij", [(2,), (3,)]),
    # The gradients' contractions: the output's gradient, the other operand, eyes and ones.
    ("ik,jk->ij", [(2, 4), (3, 4)]),
    ("i,ia->ia", [(3,), (3, 3)]),
    ("ab,i,j->ij", [(2, 2), (3,), (4,)]),
    ("i,ia,ib->iab", [(3,), (3, 3), (3, 3)]),
    ("aj,aij->aij", [(4, 3), (1, 2, 3)]),
]


@pytest.mark.parametrize(("subscripts", "shapes"), CONTRACTIONS, ids=[c[0] for c in CONTRACTIONS])
def test_contract_is_numpy_einsum(lib: Library, subscripts: str, shapes: list[Any]) -> None:
    rng = np.random.default_rng(len(subscripts))
    values = [rng.uniform(-1.0, 1.0, s) for s in shapes]
    xp = importlib.import_module("array_api_compat.torch") if lib.name == "torch" else lib.module
    out = _contract(xp, subscripts, [lib(v) for v in values])
    expected = np.einsum(subscripts, *values)
    assert tuple(out.shape) == expected.shape
    np.testing.assert_allclose(lib.numpy(out), expected, **_tol(lib))


# ---------------------------------------------------------------------------------------------
# Messages and dtypes
# ---------------------------------------------------------------------------------------------


def test_messages_show_shapes_as_tuples(lib: Library) -> None:
    with pytest.raises(tp.CheckError) as e:
        ops.matmul(lib(np.ones((2, 3))), lib(np.ones(2)))
    assert str(e.value).startswith(
        "matmul: argument 'a' of shape (2, 3) and argument 'b' of shape (2,) do not fit a @ b"
    )
    with pytest.raises(
        tp.CheckError, match=r"solve: argument 'a' of shape \(3, 4\) must be square"
    ):
        ops.solve(lib(np.ones((3, 4))), lib(np.ones(3)))
    with pytest.raises(tp.CheckError, match=r"have 6 and 5 elements"):
        ops.vdot(lib(np.ones((2, 3))), lib(np.ones(5)))
    with pytest.raises(tp.CheckError, match=r"label 'j' of subscripts 'ij,jk->ik' has size 3"):
        ops.einsum("ij,jk->ik", lib(np.ones((2, 2))), lib(np.ones((3, 2))))


@pytest.mark.parametrize("op", ["matmul", "dot", "outer", "vdot", "einsum", "solve"])
def test_mixed_float_dtypes(lib: Library, op: str) -> None:
    """float32 with float64, which numpy promotes and PyTorch's matmul and einsum refuse."""
    if not lib.float64:
        pytest.skip("JAX without its 64-bit mode has no float64")
    a = np.array([[2.0, 0.5], [0.25, 3.0]])
    b = np.array([1.0, -2.0, 0.5, 1.5]) if op == "vdot" else np.array([1.0, -2.0])
    f = {
        "matmul": ops.matmul,
        "dot": ops.dot,
        "outer": ops.outer,
        "vdot": ops.vdot,
        "einsum": lambda a, b: ops.einsum("ij,j->i", a, b),
        "solve": ops.solve,
    }[op]
    expected_value, expected = tp.backprop_n(lambda a, b: ops.sum(f(a, b)), a.astype(np.float32), b)
    value, grads = tp.backprop_n(lambda a, b: ops.sum(f(a, b)), lib(a, np.float32), lib(b))
    np.testing.assert_allclose(float(value), float(expected_value), rtol=1e-6)
    for g, e, dtype in zip(grads, expected, ("float32", "float64"), strict=True):
        assert str(g.dtype).endswith(dtype)
        np.testing.assert_allclose(lib.numpy(g), e, rtol=1e-6)


def test_python_numbers_with_arrays(lib: Library) -> None:
    """A Python number beside an array of the library: dot scales, outer and vdot take it as
    one element, einsum as a 0-d operand; its gradient is a float."""
    x = np.array([1.0, -2.0, 0.5])
    for f, y in (
        (lambda s, x: ops.sum(ops.dot(s, x)), x),
        (lambda s, x: ops.sum(ops.outer(s, x)), x),
        (lambda s, x: ops.vdot(s, x), x[:1]),
        (lambda s, x: ops.sum(ops.einsum(",i->i", s, x)), x),
    ):
        expected = tp.grad_n(f, 1.5, y)
        got = tp.grad_n(f, 1.5, lib(y))
        assert type(got[0]) is float
        np.testing.assert_allclose(got[0], expected[0], **_tol(lib))
        np.testing.assert_allclose(lib.numpy(got[1]), expected[1], **_tol(lib))
