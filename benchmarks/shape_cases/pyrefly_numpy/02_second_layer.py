"""2. A second layer sized for the other hidden size.

numpy with pyrefly-numpy-stubs; jaxtyping hints under `@static_jaxtyping`.
"""

from typing import Final

import numpy as np
from jaxtyping import Float
from shape_extensions import static_jaxtyping

PIXELS: Final = 784
HIDDEN1: Final = 300
HIDDEN2: Final = 100


@static_jaxtyping("out inp")
def dense(
    w: Float[np.ndarray, "out inp"], b: Float[np.ndarray, " out"], x: Float[np.ndarray, " inp"]
) -> Float[np.ndarray, " out"]:
    return np.tanh(w @ x + b)


def wrong() -> np.ndarray:
    w1, b1 = np.random.randn(HIDDEN1, PIXELS), np.zeros(HIDDEN1)
    w2, b2 = np.random.randn(HIDDEN2, HIDDEN2), np.zeros(HIDDEN2)  # in: HIDDEN2, not HIDDEN1
    h1 = dense(w1, b1, np.zeros(PIXELS))
    return dense(w2, b2, h1)


def right() -> np.ndarray:
    w1, b1 = np.random.randn(HIDDEN1, PIXELS), np.zeros(HIDDEN1)
    w2, b2 = np.random.randn(HIDDEN2, HIDDEN1), np.zeros(HIDDEN2)
    h1 = dense(w1, b1, np.zeros(PIXELS))
    return dense(w2, b2, h1)
