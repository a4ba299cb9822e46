"""7. Concatenation on the wrong axis.

numpy with pyrefly-numpy-stubs.
"""

from typing import Final

import numpy as np

BATCH: Final = 32
PIXELS: Final = 784
EXTRA: Final = 16


def wrong() -> np.ndarray:
    pixels = np.random.randn(BATCH, PIXELS)
    extra = np.random.randn(BATCH, EXTRA)
    return np.concatenate([pixels, extra], axis=0)  # the batch axis


def right() -> np.ndarray:
    pixels = np.random.randn(BATCH, PIXELS)
    extra = np.random.randn(BATCH, EXTRA)
    return np.concatenate([pixels, extra], axis=1)
