"""6. `x @ w` not transposed.

A batch of rows `x` (batch, in) times a weight stored (out, in) needs `w.T`.
"""

from typing import Final

import typedprop as tp
from typedprop import Mat

BATCH: Final = 32
PIXELS: Final = 784
HIDDEN: Final = 300


def wrong() -> Mat:
    x = tp.normal(BATCH, PIXELS, rng=0)
    w = tp.normal(HIDDEN, PIXELS, rng=1)
    return x @ w  # (32, 784) @ (300, 784)


def right() -> Mat:
    x = tp.normal(BATCH, PIXELS, rng=0)
    w = tp.normal(HIDDEN, PIXELS, rng=1)
    return x @ w.T
