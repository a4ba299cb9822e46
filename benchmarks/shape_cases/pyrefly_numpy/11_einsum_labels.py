"""11. An einsum label mismatch.

numpy with pyrefly-numpy-stubs.
"""

from typing import Final

import numpy as np

BATCH: Final = 32
PIXELS: Final = 784
HIDDEN: Final = 300


def wrong() -> np.ndarray:
    x = np.random.randn(BATCH, PIXELS)
    w = np.random.randn(HIDDEN, PIXELS)
    return np.einsum("bi,io->bo", x, w)


def right() -> np.ndarray:
    x = np.random.randn(BATCH, PIXELS)
    w = np.random.randn(HIDDEN, PIXELS)
    return np.einsum("bi,oi->bo", x, w)
