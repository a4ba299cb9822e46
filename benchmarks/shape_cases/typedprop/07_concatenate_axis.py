"""7. Concatenation on the wrong axis.

Pixel features and extra features of the same batch are joined feature-wise (axis 1); the wrong
twin joins them along the batch axis.
"""

from typing import Final

import typedprop as tp
from typedprop import Mat, ops

BATCH: Final = 32
PIXELS: Final = 784
EXTRA: Final = 16


def wrong() -> Mat:
    pixels = tp.normal(BATCH, PIXELS, rng=0)
    extra = tp.normal(BATCH, EXTRA, rng=1)
    return ops.concatenate([pixels, extra], axis=0)  # the batch axis


def right() -> Mat:
    pixels = tp.normal(BATCH, PIXELS, rng=0)
    extra = tp.normal(BATCH, EXTRA, rng=1)
    return ops.concatenate([pixels, extra], axis=1)
