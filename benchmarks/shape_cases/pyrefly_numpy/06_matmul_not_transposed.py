"""6. `x @ w` not transposed.

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
    return x @ w  # (32, 784) @ (300, 784)


def right() -> np.ndarray:
    x = np.random.randn(BATCH, PIXELS)
    w = np.random.randn(HIDDEN, PIXELS)
    return x @ w.T
