"""12. A reduction over the wrong axis.

numpy with pyrefly-numpy-stubs.
"""

from typing import Final

import numpy as np

BATCH: Final = 32
CLASSES: Final = 10


def wrong() -> float:
    predictions = np.random.randn(BATCH, CLASSES)
    targets = np.zeros((BATCH, CLASSES))
    weights = np.ones(BATCH)
    per_example = ((predictions - targets) ** 2).sum(axis=0)  # per class
    return float((weights * per_example).sum())


def right() -> float:
    predictions = np.random.randn(BATCH, CLASSES)
    targets = np.zeros((BATCH, CLASSES))
    weights = np.ones(BATCH)
    per_example = ((predictions - targets) ** 2).sum(axis=1)
    return float((weights * per_example).sum())
