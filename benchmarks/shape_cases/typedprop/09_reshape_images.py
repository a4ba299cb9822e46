"""9. A reshape of 8x8 images to 784.

A batch of scikit-learn's 8x8 digits flattened with MNIST's picture size.
"""

from typing import Final

import typedprop as tp
from typedprop import Array, ops

BATCH: Final = 32
SIDE: Final = 8
PIXELS: Final = 784  # MNIST's 28 * 28


def wrong() -> Array:
    images = tp.normal(BATCH, SIDE, SIDE, rng=0)
    return ops.reshape(images, (BATCH, PIXELS))


def right() -> Array:
    images = tp.normal(BATCH, SIDE, SIDE, rng=0)
    return ops.reshape(images, (BATCH, SIDE * SIDE))
