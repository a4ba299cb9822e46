"""3. A bias sized for the input.

The bias of a layer has one entry per output; the wrong twin gives it one per input pixel.
"""

from typing import Final

from jaxtyping import Float

import typedprop as tp
from typedprop import Mat, Vec, ops

PIXELS: Final = 784
HIDDEN: Final = 300


@tp.shapecheck
def dense(
    w: Float[Mat, "out in"], b: Float[Vec, " out"], x: Float[Vec, " in"]
) -> Float[Vec, " out"]:
    return ops.tanh(w @ x + b)


def wrong() -> Vec:
    w1 = tp.normal(HIDDEN, PIXELS, rng=0)
    b1 = tp.zeros(PIXELS)  # one per input
    return dense(w1, b1, tp.zeros(PIXELS))


def right() -> Vec:
    w1 = tp.normal(HIDDEN, PIXELS, rng=0)
    b1 = tp.zeros(HIDDEN)
    return dense(w1, b1, tp.zeros(PIXELS))
