"""14. A function that returns its weight transposed (its return hint says (out, in)).

numpy with pyrefly-numpy-stubs; jaxtyping hints under `@static_jaxtyping`.
"""

from typing import Final

import numpy as np
from jaxtyping import Float
from shape_extensions import static_jaxtyping

BATCH: Final = 32
PIXELS: Final = 784
HIDDEN: Final = 300


@static_jaxtyping("batch inp out")
def hebbian_weight_wrong(
    x: Float[np.ndarray, "batch inp"], y: Float[np.ndarray, "batch out"]
) -> Float[np.ndarray, "out inp"]:
    return x.T @ y / BATCH  # (in, out)


@static_jaxtyping("batch inp out")
def hebbian_weight_right(
    x: Float[np.ndarray, "batch inp"], y: Float[np.ndarray, "batch out"]
) -> Float[np.ndarray, "out inp"]:
    return y.T @ x / BATCH


def wrong() -> np.ndarray:
    x = np.random.randn(BATCH, PIXELS)
    y = np.random.randn(BATCH, HIDDEN)
    return hebbian_weight_wrong(x, y)


def right() -> np.ndarray:
    x = np.random.randn(BATCH, PIXELS)
    y = np.random.randn(BATCH, HIDDEN)
    return hebbian_weight_right(x, y)
