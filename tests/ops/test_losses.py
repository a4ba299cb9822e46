"""The losses family (`typedprop.ops._losses`) beyond the op table: values against hand
computations, the cross-entropies at logits of magnitude 1e3 and 1e4 (exact, finite, no
warnings: pytest runs with warnings as errors), which arguments are differentiated, scalar
results and float32, and the error messages for mismatched shapes and bad labels, with runtime
checks on and off.

Gradients on random points (finite differences, float32, HIPS autograd) are in
tests/ops/test_table.py, with cases in tests/opcases/losses.py.
"""

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import typedprop as tp
from typedprop import ops

CE = ops.softmax_cross_entropy
CE_LABELS = ops.softmax_cross_entropy_with_integer_labels
BCE = ops.sigmoid_binary_cross_entropy
LOSSES: dict[str, Callable[[Any, Any], Any]] = {
    "squared_error": ops.squared_error,
    "mean_squared_error": ops.mean_squared_error,
    "softmax_cross_entropy": CE,
    "softmax_cross_entropy_with_integer_labels": CE_LABELS,
    "sigmoid_binary_cross_entropy": BCE,
}


def _long(x: Any) -> Any:
    return np.asarray(x, dtype=np.longdouble)


def _long_log_softmax(z: Any) -> Any:
    z = _long(z)
    m = z.max(axis=-1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))


# ---------------------------------------------------------------------------------------------
# Values and gradients by hand
# ---------------------------------------------------------------------------------------------


def test_squared_errors_by_hand() -> None:
    pred, target = np.array([[1.0, 2.0], [3.0, 5.0]]), np.array([[1.0, 0.0], [0.0, 1.0]])
    assert ops.squared_error(pred, target) == 0 + 4 + 9 + 16
    assert ops.mean_squared_error(pred, target) == 29 / 4
    gp, gt = tp.grad_n(ops.squared_error, pred, target)
    np.testing.assert_array_equal(gp, 2 * (pred - target))
    np.testing.assert_array_equal(gt, -2 * (pred - target))
    gp, gt = tp.grad_n(ops.mean_squared_error, pred, target)
    np.testing.assert_array_equal(gp, (pred - target) / 2)
    np.testing.assert_array_equal(gt, -(pred - target) / 2)


def test_squared_error_of_floats() -> None:
    assert tp.backprop(lambda p: ops.squared_error(p, 1.0), 3.0) == (4.0, 4.0)
    assert tp.grad_n(ops.mean_squared_error, 3.0, 1.0) == (4.0, -4.0)


def test_softmax_cross_entropy_by_hand() -> None:
    logits = np.array([[0.0, np.log(3.0)], [0.0, 0.0]])
    targets = np.array([[0.0, 1.0], [0.25, 0.75]])
    # Row 0: -log(3/4); row 1: -log(1/2); averaged over the 2 rows.
    expected = (-np.log(0.75) + np.log(2.0)) / 2
    np.testing.assert_allclose(CE(logits, targets), expected, rtol=1e-15)
    g_logits, g_targets = tp.grad_n(CE, logits, targets)
    softmax = np.array([[0.25, 0.75], [0.5, 0.5]])
    np.testing.assert_allclose(g_logits, (softmax - targets) / 2, rtol=1e-15, atol=1e-17)
    np.testing.assert_allclose(g_targets, -np.log(softmax) / 2, rtol=1e-15)


def test_softmax_cross_entropy_with_unnormalised_targets() -> None:
    # d/dz of -sum(t * log_softmax(z)) is softmax(z) * sum(t) - t.
    logits, targets = np.zeros(2), np.array([1.0, 2.0])
    np.testing.assert_array_equal(tp.grad(lambda z: CE(z, targets), logits), [0.5, -0.5])


def test_integer_labels_match_one_hot_targets() -> None:
    logits = np.random.default_rng(3).normal(size=(2, 4, 3))
    labels = np.array([[0, 2, 1, 1], [2, 2, 0, 1]])
    one_hot = np.eye(3)[labels]
    value, g = tp.backprop(lambda z: CE_LABELS(z, labels), logits)
    np.testing.assert_allclose(value, CE(logits, one_hot), rtol=1e-15)
    np.testing.assert_allclose(g, tp.grad(lambda z: CE(z, one_hot), logits), rtol=1e-14)
    e = np.exp(logits)
    np.testing.assert_allclose(g, (e / e.sum(-1, keepdims=True) - one_hot) / 8, atol=1e-16)


def test_integer_labels_one_vector() -> None:
    logits = np.array([0.0, np.log(3.0)])
    value, g = tp.backprop(lambda z: CE_LABELS(z, 1), logits)
    np.testing.assert_allclose(value, -np.log(0.75), rtol=1e-15)
    np.testing.assert_allclose(g, [0.25, -0.25], rtol=1e-15)
    assert CE_LABELS(logits, np.int32(0)) == pytest.approx(np.log(4.0))
    assert CE_LABELS(logits, np.uint8(1)) == pytest.approx(-np.log(0.75))


def test_integer_labels_are_not_changed() -> None:
    labels = np.array([1, 0])
    tp.grad(lambda z: CE_LABELS(z, labels), np.zeros((2, 2)))
    np.testing.assert_array_equal(labels, [1, 0])


def test_binary_cross_entropy_by_hand() -> None:
    logits, targets = np.array([0.0, np.log(3.0)]), np.array([1.0, 0.25])
    p = np.array([0.5, 0.75])
    expected = -np.mean(targets * np.log(p) + (1 - targets) * np.log(1 - p))
    g_logits, g_targets = tp.grad_n(BCE, logits, targets)
    np.testing.assert_allclose(BCE(logits, targets), expected, rtol=1e-15)
    np.testing.assert_allclose(g_logits, (p - targets) / 2, rtol=1e-15)
    np.testing.assert_allclose(g_targets, -logits / 2, rtol=1e-15)


# ---------------------------------------------------------------------------------------------
# Stability: logits of magnitude 1e3 and 1e4
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [1e3, 1e4])
def test_integer_labels_cross_entropy_at_large_logits(scale: float) -> None:
    logits = np.array([[scale, 0.0, -scale], [scale, 0.0, -scale], [-scale, scale, scale]])
    labels = np.array([0, 2, 1])
    value, g = tp.backprop(lambda z: CE_LABELS(z, labels), logits)
    # Row 0 is certain and right (0), row 1 certain and wrong (2 scale), row 2 split (log 2).
    assert value == (0.0 + 2 * scale + np.log(2.0)) / 3
    expected = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, -1.0], [0.0, -0.5, 0.5]]) / 3
    np.testing.assert_array_equal(g, expected)


@pytest.mark.parametrize("scale", [1e3, 1e4, -1e3, -1e4])
def test_cross_entropies_against_long_double(scale: float) -> None:
    logits = np.array([[scale, scale + 1.0, scale - 0.5], [scale, scale - 3.0, scale + 2.0]])
    labels = np.array([1, 2])
    targets = np.array([[0.2, 0.5, 0.3], [0.0, 0.25, 0.75]])
    log_p = _long_log_softmax(logits)
    expected_labels = -np.mean(np.take_along_axis(log_p, labels[:, None], -1))
    expected_soft = -np.sum(_long(targets) * log_p) / 2
    value, g = tp.backprop(lambda z: CE_LABELS(z, labels), logits)
    np.testing.assert_allclose(value, float(expected_labels), rtol=1e-15)
    p = np.exp(log_p)
    np.testing.assert_allclose(g, ((p - np.eye(3)[labels]) / 2).astype(float), atol=1e-16)
    value, (g_logits, g_targets) = tp.backprop_n(CE, logits, targets)
    np.testing.assert_allclose(value, float(expected_soft), rtol=1e-15)
    np.testing.assert_allclose(g_logits, ((p - targets) / 2).astype(float), atol=1e-16)
    np.testing.assert_allclose(g_targets, (-log_p / 2).astype(float), rtol=1e-15)


@pytest.mark.parametrize("scale", [1e3, 1e4])
def test_soft_cross_entropy_with_one_hot_targets_at_large_logits(scale: float) -> None:
    logits = np.array([scale, 0.0, -scale])
    one_hot = np.array([0.0, 0.0, 1.0])
    value, (g_logits, g_targets) = tp.backprop_n(CE, logits, one_hot)
    assert value == 2 * scale
    np.testing.assert_array_equal(g_logits, [1.0, 0.0, -1.0])
    np.testing.assert_array_equal(g_targets, [0.0, scale, 2 * scale])


@pytest.mark.parametrize("scale", [1e3, 1e4])
def test_binary_cross_entropy_at_large_logits(scale: float) -> None:
    logits = np.array([[scale, -scale, scale], [-scale, scale, 0.0]])
    targets = np.array([[1.0, 0.0, 0.0], [1.0, 0.75, 0.5]])
    value, (g_logits, g_targets) = tp.backprop_n(BCE, logits, targets)
    # Per element: 0, 0, scale, scale, scale / 4, log 2.
    assert value == pytest.approx((2.25 * scale + np.log(2.0)) / 6, rel=1e-15)
    np.testing.assert_array_equal(g_logits, [[0, 0, 1 / 6], [-1 / 6, 0.25 / 6, 0]])
    np.testing.assert_allclose(g_targets, -logits / 6, rtol=1e-15)


@pytest.mark.parametrize("x", [-40.0, -5.0, 0.5, 30.0, 700.0])
def test_binary_cross_entropy_against_long_double(x: float) -> None:
    t = 0.3
    xl = _long(x)
    expected = np.log1p(np.exp(-abs(xl))) + max(xl, 0) - xl * t
    value, g = tp.backprop(lambda z: BCE(z, np.array(t)), np.array(x))
    np.testing.assert_allclose(value, float(expected), rtol=1e-15)
    np.testing.assert_allclose(g, float(1 / (1 + np.exp(-xl)) - t), rtol=1e-15)


@pytest.mark.parametrize("name", [n for n in LOSSES if "entropy" in n])
def test_cross_entropies_in_float32_at_large_logits(name: str) -> None:
    logits = np.array([[1e4, 0.0, -1e4], [-1e3, 1e3, 0.0]], dtype=np.float32)
    if name == "softmax_cross_entropy_with_integer_labels":
        value, g = tp.backprop(lambda z: CE_LABELS(z, np.array([2, 1])), logits)
        expected = np.float32(2e4 / 2)
    else:
        targets = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]], dtype=np.float32)
        value, g = tp.backprop(lambda z: LOSSES[name](z, targets), logits)
        # BCE: elements 1e4, 0, 0, 0, 0, log 2 (targets of 1 on a logit of -1e4 cost 1e4).
        expected = np.float32(2e4 / 2) if name == "softmax_cross_entropy" else None
    assert type(value) is np.float32
    assert g.dtype == np.float32
    assert np.isfinite(g).all()
    if expected is not None:
        assert value == expected


# ---------------------------------------------------------------------------------------------
# Results: BVar[float] and floats, float32
# ---------------------------------------------------------------------------------------------


def _args(name: str, dtype: Any) -> tuple[Any, Any]:
    logits = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, 0.0]], dtype=dtype)
    if name == "softmax_cross_entropy_with_integer_labels":
        return logits, np.array([2, 0])
    return logits, np.array([[0.0, 0.25, 0.75], [1.0, 0.0, 0.0]], dtype=dtype)


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_losses_give_scalars_of_the_inputs_dtype(name: str, dtype: Any) -> None:
    a, b = _args(name, dtype)
    plain = LOSSES[name](a, b)
    assert type(plain) is dtype
    value, g = tp.backprop(lambda z: LOSSES[name](z, b), a)
    assert type(value) is dtype
    assert g.dtype == dtype
    assert value == plain
    bvar = tp.evaluate(lambda z: tp.constant(0.0) + LOSSES[name](z, b), a)
    assert bvar == plain


@pytest.mark.parametrize("name", [n for n in LOSSES if "labels" not in n])
def test_both_arguments_are_differentiated(name: str) -> None:
    a, b = _args(name, np.float32)
    ga, gb = tp.grad_n(LOSSES[name], a, b)
    assert ga.dtype == gb.dtype == np.float32
    assert np.any(ga != 0) and np.any(gb != 0)


# ---------------------------------------------------------------------------------------------
# Errors, with runtime checks on and off
# ---------------------------------------------------------------------------------------------


CHECKS = pytest.mark.parametrize("checks", [True, False], ids=["checks-on", "checks-off"])


@CHECKS
@pytest.mark.parametrize(
    ("name", "names"),
    [
        ("squared_error", ("pred", "target")),
        ("mean_squared_error", ("pred", "target")),
        ("softmax_cross_entropy", ("logits", "targets")),
        ("sigmoid_binary_cross_entropy", ("logits", "targets")),
    ],
)
def test_shape_mismatch(name: str, names: tuple[str, str], checks: bool) -> None:
    a, b = np.zeros((4, 3)), np.zeros((4, 1))
    message = (
        f"{name}: argument '{names[1]}' of shape (4, 1) does not match "
        f"argument '{names[0]}' of shape (4, 3)"
    )
    with tp.checks(checks), pytest.raises(tp.CheckError) as e:
        tp.grad_n(LOSSES[name], a, b)
    assert str(e.value) == message
    with tp.checks(checks), pytest.raises(tp.CheckError, match=re.escape(message)):
        LOSSES[name](a, b)


@CHECKS
def test_labels_of_the_wrong_shape(checks: bool) -> None:
    message = (
        "softmax_cross_entropy_with_integer_labels: argument 'labels' of shape (3,) does not "
        "match argument 'logits' of shape (4, 3): labels need shape (4,), one per row of logits"
    )
    with tp.checks(checks), pytest.raises(tp.CheckError) as e:
        tp.grad(lambda z: CE_LABELS(z, np.array([0, 1, 2])), np.zeros((4, 3)))
    assert str(e.value) == message
    message = (
        "softmax_cross_entropy_with_integer_labels: argument 'labels' of shape (1,) does not "
        "match argument 'logits' of shape (3,): labels need shape (), one per row of logits"
    )
    with tp.checks(checks), pytest.raises(tp.CheckError, match=re.escape(message)):
        CE_LABELS(np.zeros(3), np.array([1]))


@CHECKS
@pytest.mark.parametrize(
    ("labels", "dtype"),
    [(np.array([0.0, 1.0]), "float64"), (np.array([True, False]), "bool"), (1.0, "float64")],
)
def test_labels_that_are_not_integers(labels: Any, dtype: str, checks: bool) -> None:
    message = (
        "softmax_cross_entropy_with_integer_labels: argument 'labels' must hold integers "
        f"(class indices), got dtype {dtype}"
    )
    with tp.checks(checks), pytest.raises(tp.CheckError) as e:
        tp.grad(lambda z: CE_LABELS(z, labels), np.zeros((2, 3)))
    assert str(e.value) == message


@CHECKS
@pytest.mark.parametrize("bad", [3, -1, 7])
def test_labels_out_of_range(bad: int, checks: bool) -> None:
    message = (
        f"softmax_cross_entropy_with_integer_labels: argument 'labels' holds {bad}, out of "
        "range [0, 3) for argument 'logits' of shape (2, 3) (3 classes)"
    )
    with tp.checks(checks), pytest.raises(tp.CheckError) as e:
        tp.grad(lambda z: CE_LABELS(z, np.array([0, bad])), np.zeros((2, 3)))
    assert str(e.value) == message


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint64])
def test_labels_of_every_integer_dtype_are_range_checked(dtype: Any) -> None:
    # The check reads signed labels as unsigned (a negative one is then out of range too).
    logits = np.zeros((3, 3))
    assert CE_LABELS(logits, np.array([0, 2, 1], dtype=dtype)) == np.log(3.0)
    bads = [3, 127] + ([-1, -128] if np.dtype(dtype).kind == "i" else [255])
    for bad in bads:
        with pytest.raises(tp.CheckError, match=f"holds {bad}, out of range"):
            CE_LABELS(logits, np.array([0, bad, 1], dtype=dtype))
        with pytest.raises(tp.CheckError, match=f"holds {bad}, out of range"):
            CE_LABELS(logits[0], np.array(bad, dtype=dtype))


@pytest.mark.parametrize(
    "name", ["softmax_cross_entropy", "softmax_cross_entropy_with_integer_labels"]
)
def test_softmax_losses_need_a_class_axis(name: str) -> None:
    message = (
        f"{name}: argument 'logits' of shape () has no class axis (it needs at least one axis, "
        "the last holding the classes)"
    )
    second = 0 if "labels" in name else 1.0
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        LOSSES[name](1.0, second)


def test_a_failed_loss_leaves_the_tape_usable() -> None:
    def f(z: tp.BVar[tp.Mat]) -> tp.BVar[float]:
        with pytest.raises(tp.CheckError):
            CE_LABELS(z, np.array([5, 0]))
        return CE_LABELS(z, np.array([1, 0]))

    np.testing.assert_array_equal(tp.grad(f, np.zeros((2, 2))), [[0.25, -0.25], [-0.25, 0.25]])


# ---------------------------------------------------------------------------------------------
# The fast path gives the general path's results, bit for bit
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", [1.5, np.float64(1.5)])
def test_cross_entropy_rows_equal_the_general_path(dtype: Any, seed: Any) -> None:
    from typedprop.ops._losses import IntegerLabelsCrossEntropy

    rng = np.random.default_rng(7)
    logits = (rng.normal(size=(6, 4)) * 30.0).astype(dtype)
    labels = rng.integers(4, size=6)
    value, back = IntegerLabelsCrossEntropy(labels).forward(logits)
    (g,) = back(seed)
    assert g.dtype == dtype
    # The general path's arithmetic, written out: take_along_axis and put_along_axis.
    index = labels[:, None]
    m = logits.max(axis=1, keepdims=True)
    e = np.exp(logits - m)
    s = e.sum(axis=1, keepdims=True)
    picked = np.take_along_axis(logits, index, axis=-1) - m
    assert value == np.sum(np.log(s) - picked) / 6
    p = e / s
    np.put_along_axis(p, index, np.take_along_axis(p, index, axis=-1) - 1, axis=-1)
    assert np.array_equal(g, (p * (seed / 6)).astype(dtype))


def test_cross_entropy_rows_with_an_infinite_maximum_take_the_general_path() -> None:
    # A row without a finite maximum is left to the general path (its shift of 0 where the
    # maximum is infinite); finite rows are the fast path's.
    from typedprop.ops._losses import IntegerLabelsCrossEntropy

    labels = np.array([0, 1])
    for bad in (-np.inf, np.inf, np.nan):
        logits = np.array([[0.0, 0.0], [bad, -np.inf]])
        assert IntegerLabelsCrossEntropy(labels)._rows(logits) is None
    assert IntegerLabelsCrossEntropy(labels)._rows(np.zeros((2, 2))) is not None


def test_one_sample_with_a_python_int_label() -> None:
    # The per-sample loop's case: a vector of logits and an int, on its own fast path.
    from typedprop.ops._losses import IntegerLabelsCrossEntropy

    z = np.array([1.0, 2.0, 0.5])
    p = np.exp(z - z.max())
    p /= p.sum()
    value, g = tp.backprop(lambda z: CE_LABELS(z, 1), z)
    assert np.isclose(value, -np.log(p[1]))
    assert np.allclose(g, p - np.eye(3)[1])
    _, g32 = tp.backprop(lambda z: CE_LABELS(z, 1), z.astype(np.float32))
    assert g32.dtype == np.float32
    # An infinite or nan maximum is left to the general path.
    for bad in (np.inf, np.nan):
        assert IntegerLabelsCrossEntropy(1)._one_sample(np.array([0.0, bad])) is None
    assert IntegerLabelsCrossEntropy(1)._one_sample(z) is not None
    assert CE_LABELS(z, np.int64(1)) == CE_LABELS(z, 1) == CE_LABELS(z, np.array(1))
    with pytest.raises(tp.CheckError, match="holds 3, out of range"):
        CE_LABELS(z, 3)
