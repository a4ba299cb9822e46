"""2. A second layer sized for the other hidden size.

A 784-300-100 network: the second layer takes the first one's 300 outputs, but the wrong twin
gives it 100 inputs, the size of the second hidden layer.
"""

from typing import Final

from jaxtyping import Float

import typedprop as tp
from typedprop import Mat, Vec, ops

PIXELS: Final = 784
HIDDEN1: Final = 300
HIDDEN2: Final = 100


@tp.shapecheck
def dense(
    w: Float[Mat, "out in"], b: Float[Vec, " out"], x: Float[Vec, " in"]
) -> Float[Vec, " out"]:
    return ops.tanh(w @ x + b)


def wrong() -> Vec:
    w1, b1 = tp.normal(HIDDEN1, PIXELS, rng=0), tp.zeros(HIDDEN1)
    w2, b2 = tp.normal(HIDDEN2, HIDDEN2, rng=1), tp.zeros(HIDDEN2)  # in: HIDDEN2, not HIDDEN1
    h1 = dense(w1, b1, tp.zeros(PIXELS))
    return dense(w2, b2, h1)


def right() -> Vec:
    w1, b1 = tp.normal(HIDDEN1, PIXELS, rng=0), tp.zeros(HIDDEN1)
    w2, b2 = tp.normal(HIDDEN2, HIDDEN1, rng=1), tp.zeros(HIDDEN2)
    h1 = dense(w1, b1, tp.zeros(PIXELS))
    return dense(w2, b2, h1)
