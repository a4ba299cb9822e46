"""5. Chained layers whose widths do not meet.

numpy with pyrefly-numpy-stubs.
"""

from typing import Final

import numpy as np

PIXELS: Final = 784
HIDDEN1: Final = 300
HIDDEN2: Final = 100
CLASSES: Final = 10


def wrong() -> np.ndarray:
    w1 = np.random.randn(HIDDEN1, PIXELS)
    w2 = np.random.randn(HIDDEN2, HIDDEN1)
    w3 = np.random.randn(CLASSES, HIDDEN1)  # in: HIDDEN1, but w2 gives HIDDEN2
    x = np.zeros(PIXELS)
    return w3 @ np.tanh(w2 @ np.tanh(w1 @ x))


def right() -> np.ndarray:
    w1 = np.random.randn(HIDDEN1, PIXELS)
    w2 = np.random.randn(HIDDEN2, HIDDEN1)
    w3 = np.random.randn(CLASSES, HIDDEN2)
    x = np.zeros(PIXELS)
    return w3 @ np.tanh(w2 @ np.tanh(w1 @ x))
