"""1. A first weight stored (in, out) instead of (out, in).

`dense` takes `w` as (out, in), the layout of `ops.linear` and `ops.matvec`; the wrong twin
builds the first layer's weight the other way round.
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
    w1 = tp.normal(PIXELS, HIDDEN, rng=0)  # (in, out)
    b1 = tp.zeros(HIDDEN)
    return dense(w1, b1, tp.zeros(PIXELS))


def right() -> Vec:
    w1 = tp.normal(HIDDEN, PIXELS, rng=0)
    b1 = tp.zeros(HIDDEN)
    return dense(w1, b1, tp.zeros(PIXELS))
