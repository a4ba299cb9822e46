"""13. A broadcast after a reduction that dropped an axis (keepdims forgotten).

numpy with pyrefly-numpy-stubs.
"""

from typing import Final

import numpy as np

BATCH: Final = 32
CLASSES: Final = 10


def wrong() -> np.ndarray:
    scores = np.random.randn(BATCH, CLASSES)
    exps = np.exp(scores)
    return exps / exps.sum(axis=1)  # (32, 10) / (32,)


def right() -> np.ndarray:
    scores = np.random.randn(BATCH, CLASSES)
    exps = np.exp(scores)
    return exps / exps.sum(axis=1, keepdims=True)
