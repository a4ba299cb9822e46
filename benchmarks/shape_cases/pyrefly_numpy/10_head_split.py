"""10. A head split whose total size is wrong.

numpy with pyrefly-numpy-stubs.
"""

from typing import Final

import numpy as np

HIDDEN: Final = 300
HEADS: Final = 8
HEAD: Final = 32


def wrong() -> list[np.ndarray]:
    h = np.random.randn(HIDDEN)
    return np.split(h, HEADS)  # 300 / 8


def right() -> list[np.ndarray]:
    h = np.random.randn(HIDDEN)
    w_query = np.random.randn(HEADS * HEAD, HIDDEN)
    return np.split(w_query @ h, HEADS)
