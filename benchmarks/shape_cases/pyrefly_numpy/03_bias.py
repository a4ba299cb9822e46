"""3. A bias sized for the input.

numpy with pyrefly-numpy-stubs; jaxtyping hints under `@static_jaxtyping`.
"""

from typing import Final

import numpy as np
from jaxtyping import Float
from shape_extensions import static_jaxtyping

PIXELS: Final = 784
HIDDEN: Final = 300


@static_jaxtyping("out inp")
def dense(
    w: Float[np.ndarray, "out inp"], b: Float[np.ndarray, " out"], x: Float[np.ndarray, " inp"]
) -> Float[np.ndarray, " out"]:
    return np.tanh(w @ x + b)


def wrong() -> np.ndarray:
    w1 = np.random.randn(HIDDEN, PIXELS)
    b1 = np.zeros(PIXELS)  # one per input
    return dense(w1, b1, np.zeros(PIXELS))


def right() -> np.ndarray:
    w1 = np.random.randn(HIDDEN, PIXELS)
    b1 = np.zeros(HIDDEN)
    return dense(w1, b1, np.zeros(PIXELS))
