"""9. A reshape of 8x8 images to 784.

numpy with pyrefly-numpy-stubs.
"""

from typing import Final

import numpy as np

BATCH: Final = 32
SIDE: Final = 8
PIXELS: Final = 784  # MNIST's 28 * 28


def wrong() -> np.ndarray:
    images = np.random.randn(BATCH, SIDE, SIDE)
    return images.reshape(BATCH, PIXELS)


def right() -> np.ndarray:
    images = np.random.randn(BATCH, SIDE, SIDE)
    return images.reshape(BATCH, SIDE * SIDE)
