"""4. A 784-wide input to a 64-input model.

The model is sized for scikit-learn's 8x8 digits (64 pixels); the wrong twin feeds it a
flattened 28x28 MNIST picture.
"""

from typing import Final

from jaxtyping import Float

import typedprop as tp
from typedprop import Mat, Vec, ops

DIGIT_PIXELS: Final = 64  # 8x8
MNIST_PIXELS: Final = 784  # 28x28
HIDDEN: Final = 32
CLASSES: Final = 10


@tp.shapecheck
def classify(
    w1: Float[Mat, "hidden in"], w2: Float[Mat, "classes hidden"], x: Float[Vec, " in"]
) -> Float[Vec, " classes"]:
    return w2 @ ops.tanh(w1 @ x)


def wrong() -> Vec:
    w1 = tp.normal(HIDDEN, DIGIT_PIXELS, rng=0)
    w2 = tp.normal(CLASSES, HIDDEN, rng=1)
    picture = tp.zeros(MNIST_PIXELS)  # an MNIST picture, not a digit of 8x8
    return classify(w1, w2, picture)


def right() -> Vec:
    w1 = tp.normal(HIDDEN, DIGIT_PIXELS, rng=0)
    w2 = tp.normal(CLASSES, HIDDEN, rng=1)
    picture = tp.zeros(DIGIT_PIXELS)
    return classify(w1, w2, picture)
