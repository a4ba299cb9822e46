"""12. A reduction over the wrong axis.

A weighted squared-error loss: each example's error is summed over its classes (axis 1) and
weighted by that example's weight; the wrong twin sums over the batch (axis 0).
"""

from typing import Final

import typedprop as tp
from typedprop import ops

BATCH: Final = 32
CLASSES: Final = 10


def wrong() -> float:
    predictions = tp.normal(BATCH, CLASSES, rng=0)
    targets = tp.zeros(BATCH, CLASSES)
    weights = tp.ones(BATCH)
    per_example = ops.sum((predictions - targets) ** 2, axis=0)  # per class
    return ops.sum(weights * per_example)


def right() -> float:
    predictions = tp.normal(BATCH, CLASSES, rng=0)
    targets = tp.zeros(BATCH, CLASSES)
    weights = tp.ones(BATCH)
    per_example = ops.sum((predictions - targets) ** 2, axis=1)
    return ops.sum(weights * per_example)
