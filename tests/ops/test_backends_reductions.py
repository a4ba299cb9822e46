"""The reductions and losses on other array libraries (PyTorch, JAX, array-api-strict) beyond
the op table: the edge cases of tests/ops/test_reductions.py and tests/ops/test_losses.py (ties
and nan in max and min, prod with zeros, -inf and large magnitudes in the exponentials, the norm
at zero, integer inputs), integer labels as arrays of the logits' library, and the errors:
empty slices, labels out of range, of the wrong dtype or shape, or of another library.

Values and gradients are compared with numpy's for the same float32 input (JAX computes in
float32 unless its 64-bit mode is on). pytest runs with warnings as errors, so these tests also
show that the edge cases warn no more than numpy does.
"""

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import typedprop as tp
from typedprop import ops
from typedprop._core.structures import array_module

from .test_backends import LIBRARIES, _library, to_library, to_numpy

CE_LABELS = ops.softmax_cross_entropy_with_integer_labels


@pytest.fixture(params=LIBRARIES)
def name(request: pytest.FixtureRequest) -> str:
    library: str = request.param
    _library(library)
    return library


def _same(name: str, f: Callable[..., Any], x: Any, *constants: Any) -> None:
    """`f(x, *constants)` for `x` a float32 numpy array and for `x` and `constants` (numpy
    arrays) as arrays of `name`: equal values, and equal gradients of the sum for `x`, of `x`'s
    library, dtype and shape."""
    x = np.asarray(x, dtype=np.float32)
    theirs = to_library(name, x)
    mine = tuple(to_library(name, c) for c in constants)
    np.testing.assert_allclose(to_numpy(f(theirs, *mine)), f(x, *constants), rtol=1e-6, atol=1e-7)
    g = tp.grad(lambda v: ops.sum(f(v, *mine)), theirs)
    assert type(g) is type(theirs)
    assert g.dtype == theirs.dtype and tuple(g.shape) == x.shape
    expected = tp.grad(lambda v: ops.sum(f(v, *constants)), x)
    np.testing.assert_allclose(to_numpy(g), expected, rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------------------------------------
# Reductions: values, ties, nan, zeros, infinities
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "op", ["sum", "mean", "var", "std", "max", "min", "prod", "logsumexp", "norm"]
)
def test_full_reductions_are_0d_arrays_of_the_library(name: str, op: str) -> None:
    x = to_library(name, np.array([[1.0, 2.0], [3.0, 5.0]], dtype=np.float32))
    out = getattr(ops, op)(x)
    assert type(out) is type(x) and tuple(out.shape) == () and out.dtype == x.dtype


def test_max_and_min_split_the_gradient_between_ties(name: str) -> None:
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    _same(name, ops.max, x)
    _same(name, ops.min, x)
    _same(name, lambda v: ops.max(v, axis=1), x)
    _same(name, lambda v: ops.min(v, axis=0, keepdims=True), x)


def test_max_with_nan_sends_the_gradient_to_the_nan(name: str) -> None:
    x = np.array([[1.0, np.nan, 3.0], [1.0, 2.0, 2.0]])
    _same(name, lambda v: ops.max(v, axis=1), x)
    _same(name, lambda v: ops.min(v, axis=1), x)


@pytest.mark.parametrize(
    "x",
    [[[2.0, 3.0, 4.0], [1.0, 0.0, 5.0]], [[0.0, 3.0, 0.0], [1.0, 2.0, 5.0]]],
    ids=["one-zero", "two-zeros"],
)
def test_prod_with_zeros(name: str, x: Any) -> None:
    _same(name, ops.prod, x)
    _same(name, lambda v: ops.prod(v, axis=1), x)
    _same(name, lambda v: ops.prod(v, axis=(0, 1), keepdims=True), x)


def test_prod_of_a_0d_array(name: str) -> None:
    _same(name, ops.prod, np.array(3.0))


@pytest.mark.parametrize("scale", [1e3, 1e4])
def test_exponentials_at_large_magnitude(name: str, scale: float) -> None:
    x = np.array([[1.0, 1.0, -1.0], [0.5, -1.0, 0.0]]) * scale
    _same(name, ops.logsumexp, x)
    _same(name, lambda v: ops.logsumexp(v, axis=1), x)
    _same(name, lambda v, w: ops.softmax(v) * w, x, WEIGHTS)
    _same(name, lambda v, w: ops.log_softmax(v, axis=0) * w, x, WEIGHTS)


# Fixed weights, so that the gradient of a sum of softmax is not 0.
WEIGHTS = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 4.0]], dtype=np.float32)


def test_logsumexp_with_minus_infinity(name: str) -> None:
    x = np.array([[0.0, -np.inf, 1.0], [-np.inf, 2.0, -np.inf]])
    _same(name, lambda v: ops.logsumexp(v, axis=1), x)
    _same(name, lambda v, w: ops.softmax(v) * w, x, WEIGHTS)
    _same(name, lambda v, w: ops.log_softmax(v) * w, x, WEIGHTS)


def test_logsumexp_of_only_minus_infinity_is_minus_infinity(name: str) -> None:
    x = to_library(name, np.full(3, -np.inf, dtype=np.float32))
    assert to_numpy(ops.logsumexp(x)) == -np.inf


def test_norm_gradient_at_zero_is_zero(name: str) -> None:
    x = np.array([[0.0, 0.0], [3.0, 4.0]])
    _same(name, lambda v: ops.norm(v, axis=1), x)


def test_integer_inputs_give_the_default_float(name: str) -> None:
    x = np.array([[1, 2, 3], [4, 5, 7]])
    theirs = to_library(name, x)
    xp = array_module(theirs)
    default = xp.__array_namespace_info__().default_dtypes()["real floating"]
    for op in (ops.mean, ops.var, ops.std, ops.logsumexp, ops.norm, ops.softmax):
        out = op(theirs)
        assert out.dtype == default, op.name
        np.testing.assert_allclose(to_numpy(out), op(x), rtol=1e-6)
    assert ops.sum(theirs).dtype == theirs.dtype


@pytest.mark.parametrize("op", ["max", "min"])
def test_an_empty_slice_has_no_extreme(name: str, op: str) -> None:
    x = to_library(name, np.zeros((0, 3), dtype=np.float32))
    message = f"{op}: argument 'x' of shape "
    with pytest.raises(tp.CheckError, match=re.escape(message)) as e:
        getattr(ops, op)(x, axis=0)
    assert str(e.value).endswith("has no elements to reduce along axes (0,)")
    # An empty result of a non-empty slice is no error, as in numpy.
    assert tuple(getattr(ops, op)(x, axis=1).shape) == (0,)


# ---------------------------------------------------------------------------------------------
# Losses: integer labels of the logits' library
# ---------------------------------------------------------------------------------------------

LOGITS = np.array([[1.0, 2.0, 0.5], [3.0, -1.0, 0.0], [0.0, 0.0, 1e4], [-1e3, 2.0, 1.0]])
LABELS = np.array([1, 0, 2, 0])


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8])
def test_integer_labels_of_the_library(name: str, dtype: Any) -> None:
    _same(name, CE_LABELS, LOGITS, LABELS.astype(dtype))


def test_integer_labels_stacked(name: str) -> None:
    labels = np.array([[1, 0, 2, 2], [0, 1, 1, 0]])
    _same(name, CE_LABELS, np.arange(24.0).reshape(2, 4, 3) / 7, labels)


def test_one_label_as_a_python_int_or_a_0d_array(name: str) -> None:
    _same(name, lambda z: CE_LABELS(z, 2), LOGITS[0])
    _same(name, CE_LABELS, LOGITS[0], np.array(2))


def test_soft_and_binary_losses(name: str) -> None:
    t = np.array([[0.0, 0.25, 0.75], [1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])
    targets = t.astype(np.float32)
    _same(name, ops.softmax_cross_entropy, LOGITS, targets)
    _same(name, ops.sigmoid_binary_cross_entropy, LOGITS, targets)
    _same(name, ops.mean_squared_error, LOGITS, targets)
    _same(name, ops.squared_error, LOGITS, targets)


@pytest.mark.parametrize(
    "row",
    [[0.0, -np.inf, 1.0], [-np.inf] * 3, [np.inf, 0.0, 1.0], [np.nan, 0.0, 1.0], [np.inf] * 3],
    ids=["some-minus-inf", "all-minus-inf", "plus-inf", "nan", "all-plus-inf"],
)
def test_non_finite_logits_give_numpys_values_and_gradients(name: str, row: list[float]) -> None:
    """A row of logits whose maximum is infinite or nan shifts by 0 (see `shifted_exp`): its
    loss and gradient are numpy's (nan where numpy's are), and the other rows' stay finite.
    (PyTorch computes its maximum and its one-hot by its own functions.)"""
    x = np.array([row, [1.0, 2.0, 3.0]], dtype=np.float32)
    labels = np.array([0, 1])
    lse = lambda v: ops.sum(ops.logsumexp(v, axis=1))  # noqa: E731
    for f, constants in ((CE_LABELS, (labels,)), (lse, ())):
        mine = tuple(to_library(name, c) for c in constants)
        # numpy (and array-api-strict, which computes with it) warns where the loss is nan.
        with np.errstate(invalid="ignore"):
            expected = tp.backprop(lambda v, f=f, c=constants: f(v, *c), x)
            theirs = tp.backprop(lambda v, f=f, c=mine: f(v, *c), to_library(name, x))
        for got, want in zip(theirs, expected, strict=True):
            np.testing.assert_allclose(to_numpy(got), want, rtol=1e-6)  # nan where nan


@pytest.mark.parametrize(
    "f",
    [
        lambda v: ops.sum(ops.logsumexp(v, axis=1)),
        lambda v: ops.sum(ops.log_softmax(v) * _library("torch").asarray(WEIGHTS)),
        lambda v: CE_LABELS(v, _library("torch").tensor([0, 1])),
    ],
    ids=["logsumexp", "log_softmax", "cross-entropy"],
)
def test_pytorchs_autograd_through_an_infinite_maximum(f: Callable[[Any], Any]) -> None:
    """The ops called outside a call on tensors that require grad, differentiated by PyTorch's
    autograd: a row whose maximum is +inf gives the tape's gradient (nan at the infinity, not
    in the whole row), the other rows finite ones."""
    torch = _library("torch")
    x = np.array([[np.inf, 0.0, 1.0], [2.0, 1.0, 0.0]], dtype=np.float32)
    expected = tp.grad(f, torch.asarray(x))
    z = torch.asarray(x).requires_grad_(True)
    (got,) = torch.autograd.grad(f(z), z)
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6)  # nan where nan
    assert np.isfinite(got.numpy()[0, 1:]).all() and np.isfinite(got.numpy()[1]).all()


def test_labels_batched_by_torch_vmap_get_pytorchs_own_error() -> None:
    """Labels with no data to read (batched by `torch.func.vmap`): the range check cannot be
    answered, and PyTorch says why in its own words."""
    torch = _library("torch")
    logits, labels = torch.zeros(2, 3), torch.tensor([0, 1])
    with pytest.raises(RuntimeError, match="vmap: .* data-dependent control flow"):
        torch.func.vmap(lambda y: CE_LABELS(logits, y))(torch.stack([labels, labels]))


def test_narrow_labels_with_more_classes_than_their_dtype_holds(name: str) -> None:
    """int8 labels for 300 classes: none can be out of range above, and a negative one is
    named as it is (`labels >= 300` in int8 would wrap or overflow)."""
    labels = np.array([7, 120], dtype=np.int8)
    _same(name, CE_LABELS, np.linspace(-1.0, 1.0, 600).reshape(2, 300), labels)
    bad = to_library(name, np.array([1, -3, 120], dtype=np.int8))
    with pytest.raises(tp.CheckError) as e:
        CE_LABELS(to_library(name, np.zeros((3, 300))), bad)
    assert str(e.value) == (
        "softmax_cross_entropy_with_integer_labels: argument 'labels' holds -3, out of range "
        "[0, 300) for argument 'logits' of shape (3, 300) (300 classes)"
    )


def test_an_empty_batch_of_labels(name: str) -> None:
    """No rows: the mean over none is nan, as numpy's, and no label is out of range."""
    z, labels = to_library(name, np.zeros((0, 3))), to_library(name, np.zeros(0, dtype=np.int64))
    with np.errstate(invalid="ignore"):
        assert np.isnan(to_numpy(CE_LABELS(z, labels)))
        assert np.isnan(CE_LABELS(np.zeros((0, 3)), np.zeros(0, dtype=np.int64)))


@pytest.mark.parametrize("bad", [3, -1, 7])
def test_labels_out_of_range(name: str, bad: int) -> None:
    message = (
        f"softmax_cross_entropy_with_integer_labels: argument 'labels' holds {bad}, out of "
        "range [0, 3) for argument 'logits' of shape (2, 3) (3 classes)"
    )
    z, labels = to_library(name, np.zeros((2, 3))), to_library(name, np.array([0, bad]))
    with pytest.raises(tp.CheckError) as e:
        tp.grad(lambda v: CE_LABELS(v, labels), z)
    assert str(e.value) == message
    with pytest.raises(tp.CheckError, match=re.escape(f"holds {bad}, out of range")):
        CE_LABELS(to_library(name, np.zeros(3)), bad)


def test_labels_of_the_wrong_shape(name: str) -> None:
    message = (
        "softmax_cross_entropy_with_integer_labels: argument 'labels' of shape (3,) does not "
        "match argument 'logits' of shape (4, 3): labels need shape (4,), one per row of logits"
    )
    with pytest.raises(tp.CheckError) as e:
        CE_LABELS(to_library(name, np.zeros((4, 3))), to_library(name, np.array([0, 1, 2])))
    assert str(e.value) == message


def test_labels_that_are_not_integers(name: str) -> None:
    z = to_library(name, np.zeros((2, 3)))
    for labels in (to_library(name, np.array([0.0, 1.0])), to_library(name, np.array([1, 0]) > 0)):
        with pytest.raises(tp.CheckError) as e:
            CE_LABELS(z, labels)
        message = "softmax_cross_entropy_with_integer_labels: argument 'labels' must hold "
        assert str(e.value) == f"{message}integers (class indices), got dtype {labels.dtype}"


def test_labels_of_another_library_are_refused(name: str) -> None:
    z = to_library(name, np.zeros((2, 3)))
    with pytest.raises(tp.CheckError) as e:
        CE_LABELS(z, np.array([0, 1]))
    assert str(e.value) == (
        f"softmax_cross_entropy_with_integer_labels: argument 'logits' is "
        f"{'an' if name[0] in 'aeiou' else 'a'} {name} array but "
        "argument 'labels' is a numpy array; an op computes with one array library, so convert "
        f"one of them first (with {name.replace('jax', 'jax.numpy')}.asarray(x) or "
        "numpy.asarray(x))"
    )
    with pytest.raises(
        tp.CheckError,
        match=(
            "argument 'logits' is a numpy array but argument 'labels' is "
            f"{'an' if name[0] in 'aeiou' else 'a'} {name} array"
        ),
    ):
        CE_LABELS(np.zeros((2, 3)), to_library(name, np.array([0, 1])))
    with pytest.raises(tp.CheckError, match="'labels' is a numpy array"):
        CE_LABELS(to_library(name, np.zeros(3)), np.int64(1))  # numpy's scalars count as numpy
