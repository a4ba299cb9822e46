"""4. A 784-wide input to a 64-input model.

numpy with pyrefly-numpy-stubs; jaxtyping hints under `@static_jaxtyping`.
"""

from typing import Final

import numpy as np
from jaxtyping import Float
from shape_extensions import static_jaxtyping

DIGIT_PIXELS: Final = 64  # 8x8
MNIST_PIXELS: Final = 784  # 28x28
HIDDEN: Final = 32
CLASSES: Final = 10


@static_jaxtyping("hidden inp classes")
def classify(
    w1: Float[np.ndarray, "hidden inp"],
    w2: Float[np.ndarray, "classes hidden"],
    x: Float[np.ndarray, " inp"],
) -> Float[np.ndarray, " classes"]:
    return w2 @ np.tanh(w1 @ x)


def wrong() -> np.ndarray:
    w1 = np.random.randn(HIDDEN, DIGIT_PIXELS)
    w2 = np.random.randn(CLASSES, HIDDEN)
    picture = np.zeros(MNIST_PIXELS)  # an MNIST picture, not a digit of 8x8
    return classify(w1, w2, picture)


def right() -> np.ndarray:
    w1 = np.random.randn(HIDDEN, DIGIT_PIXELS)
    w2 = np.random.randn(CLASSES, HIDDEN)
    picture = np.zeros(DIGIT_PIXELS)
    return classify(w1, w2, picture)
