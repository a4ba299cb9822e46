"""8. A merge to `n+n` followed by a head sized for `n`.

numpy with pyrefly-numpy-stubs.
"""

from typing import Final

import numpy as np

PIXELS: Final = 784
HIDDEN: Final = 128
CLASSES: Final = 10


def wrong() -> np.ndarray:
    branch_a = np.tanh(np.random.randn(HIDDEN, PIXELS) @ np.zeros(PIXELS))
    branch_b = np.tanh(np.random.randn(HIDDEN, PIXELS) @ np.zeros(PIXELS))
    merged = np.concatenate([branch_a, branch_b])
    head = np.random.randn(CLASSES, HIDDEN)  # one branch's width
    return head @ merged


def right() -> np.ndarray:
    branch_a = np.tanh(np.random.randn(HIDDEN, PIXELS) @ np.zeros(PIXELS))
    branch_b = np.tanh(np.random.randn(HIDDEN, PIXELS) @ np.zeros(PIXELS))
    merged = np.concatenate([branch_a, branch_b])
    head = np.random.randn(CLASSES, 2 * HIDDEN)
    return head @ merged
