"""1. A first weight stored (in, out) instead of (out, in).

numpy with pyrefly-numpy-stubs; jaxtyping hints read by pyrefly under `@static_jaxtyping`
(`in` is a keyword, so the input dimension is `inp`).
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
    w1 = np.random.randn(PIXELS, HIDDEN)  # (in, out)
    b1 = np.zeros(HIDDEN)
    return dense(w1, b1, np.zeros(PIXELS))


def right() -> np.ndarray:
    w1 = np.random.randn(HIDDEN, PIXELS)
    b1 = np.zeros(HIDDEN)
    return dense(w1, b1, np.zeros(PIXELS))
