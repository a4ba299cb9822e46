"""13. A broadcast after a reduction that dropped an axis (keepdims forgotten).

A softmax over each row of a batch of scores: the row sums must keep their axis to broadcast
against the rows.
"""

from typing import Final

import typedprop as tp
from typedprop import Array, ops

BATCH: Final = 32
CLASSES: Final = 10


def wrong() -> Array:
    scores = tp.normal(BATCH, CLASSES, rng=0)
    exps = ops.exp(scores)
    return exps / ops.sum(exps, axis=1)  # (32, 10) / (32,)


def right() -> Array:
    scores = tp.normal(BATCH, CLASSES, rng=0)
    exps = ops.exp(scores)
    return exps / ops.sum(exps, axis=1, keepdims=True)
