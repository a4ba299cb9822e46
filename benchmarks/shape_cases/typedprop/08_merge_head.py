"""8. A merge to `n+n` followed by a head sized for `n`.

Two branches of HIDDEN features each are concatenated into 2 * HIDDEN; the wrong twin's head
takes HIDDEN inputs, the width of one branch.
"""

from typing import Final

import typedprop as tp
from typedprop import Vec, ops

PIXELS: Final = 784
HIDDEN: Final = 128
CLASSES: Final = 10


def wrong() -> Vec:
    branch_a = ops.tanh(tp.normal(HIDDEN, PIXELS, rng=0) @ tp.zeros(PIXELS))
    branch_b = ops.tanh(tp.normal(HIDDEN, PIXELS, rng=1) @ tp.zeros(PIXELS))
    merged = ops.concatenate([branch_a, branch_b])
    head = tp.normal(CLASSES, HIDDEN, rng=2)  # one branch's width
    return head @ merged


def right() -> Vec:
    branch_a = ops.tanh(tp.normal(HIDDEN, PIXELS, rng=0) @ tp.zeros(PIXELS))
    branch_b = ops.tanh(tp.normal(HIDDEN, PIXELS, rng=1) @ tp.zeros(PIXELS))
    merged = ops.concatenate([branch_a, branch_b])
    head = tp.normal(CLASSES, 2 * HIDDEN, rng=2)
    return head @ merged
