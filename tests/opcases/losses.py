"""Cases for the losses family (`typedprop.ops._losses`).

Predictions and targets are both parameters where both are differentiable (squared errors,
soft-target and binary cross-entropy); one-hot and fixed binary targets and integer labels are
constants closed over by `fn`. The float targets are float32, exact for 0, 0.25, 0.5 and 1:
they keep a float32 run float32 and promote nothing in a float64 run.

Stability at 1e3 and 1e4 and the error messages are in tests/ops/test_losses.py.
"""

from typing import Any

import autograd.numpy as anp
import numpy as np
from autograd.scipy.special import logsumexp as ag_logsumexp

from opcases import SCALAR, OpCase

LABEL = 2
LABELS_BATCH = np.array([0, 2, 1, 2])
LABELS_STACKED = np.array([[1, 0, 2, 2], [0, 1, 1, 0]])
ONE_HOT_BATCH = np.eye(3, dtype=np.float32)[LABELS_BATCH]
ONE_HOT_VEC = np.eye(3, dtype=np.float32)[LABEL]
BINARY_TARGETS = np.array([[0.0, 0.25, 1.0], [1.0, 0.5, 0.0]], dtype=np.float32)


def _pairs(op: str) -> list[OpCase]:
    shapes: list[tuple[str, Any]] = [
        ("scalar", SCALAR),
        ("0d", ()),
        ("vec", (3,)),
        ("mat", (2, 3)),
        ("stacked", (4, 2, 3)),
    ]
    return [
        OpCase(op, label, lambda m, p, t, op=op: getattr(m, op)(p, t), (shape, shape))
        for label, shape in shapes
    ]


def _soft(label: str, shape: Any) -> OpCase:
    # Positive targets that do not sum to 1: the gradient must be exact for any targets.
    return OpCase(
        "softmax_cross_entropy",
        label,
        lambda m, z, t: m.softmax_cross_entropy(z, t),
        (shape, shape),
        "positive",
    )


def _labels(label: str, shape: Any, labels: Any) -> OpCase:
    return OpCase(
        "softmax_cross_entropy_with_integer_labels",
        label,
        lambda m, z: m.softmax_cross_entropy_with_integer_labels(z, labels),
        (shape,),
    )


def _binary(label: str, shape: Any) -> OpCase:
    return OpCase(
        "sigmoid_binary_cross_entropy",
        label,
        lambda m, z, t: m.sigmoid_binary_cross_entropy(z, t),
        (shape, shape),
        "unit",
    )


CASES = (
    _pairs("squared_error")
    + _pairs("mean_squared_error")
    + [
        _soft("vec-soft", (3,)),
        _soft("batch-soft", (4, 3)),
        _soft("stacked-soft", (2, 4, 3)),
        OpCase(
            "softmax_cross_entropy",
            "vec-one-hot",
            lambda m, z: m.softmax_cross_entropy(z, ONE_HOT_VEC),
            ((3,),),
        ),
        OpCase(
            "softmax_cross_entropy",
            "batch-one-hot",
            lambda m, z: m.softmax_cross_entropy(z, ONE_HOT_BATCH),
            ((4, 3),),
        ),
        _labels("vec-one-label", (3,), LABEL),
        _labels("batch", (4, 3), LABELS_BATCH),
        _labels("stacked", (2, 4, 3), LABELS_STACKED),
        _binary("scalar", SCALAR),
        _binary("vec", (3,)),
        _binary("mat", (2, 3)),
        OpCase(
            "sigmoid_binary_cross_entropy",
            "mat-fixed-targets",
            lambda m, z: m.sigmoid_binary_cross_entropy(z, BINARY_TARGETS),
            ((2, 3),),
        ),
    ]
)


def _squared_error(p: Any, t: Any) -> Any:
    return anp.sum((p - t) ** 2)


def _mean_squared_error(p: Any, t: Any) -> Any:
    return anp.mean((p - t) ** 2)


def _softmax_cross_entropy(z: Any, t: Any) -> Any:
    log_p = z - ag_logsumexp(z, axis=-1, keepdims=True)
    rows = -anp.sum(t * log_p, axis=-1)
    return anp.mean(rows)


def _with_integer_labels(z: Any, labels: Any) -> Any:
    one_hot = np.eye(anp.shape(z)[-1])[labels]
    return _softmax_cross_entropy(z, one_hot)


def _sigmoid_binary_cross_entropy(z: Any, t: Any) -> Any:
    # The textbook form: fine at the table's points, unstable for large |z|.
    p = 1.0 / (1.0 + anp.exp(-z))
    return anp.mean(-(t * anp.log(p) + (1.0 - t) * anp.log(1.0 - p)))


AUTOGRAD: dict[str, Any] = {
    "squared_error": _squared_error,
    "mean_squared_error": _mean_squared_error,
    "softmax_cross_entropy": _softmax_cross_entropy,
    "softmax_cross_entropy_with_integer_labels": _with_integer_labels,
    "sigmoid_binary_cross_entropy": _sigmoid_binary_cross_entropy,
}
