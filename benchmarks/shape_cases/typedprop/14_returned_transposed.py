"""14. A function that returns its weight transposed (its return hint says (out, in)).

A layer's first weight taken from data, the correlation of the targets with the inputs (a Hebbian
start): the wrong twin returns it as (in, out).
"""

from typing import Final

from jaxtyping import Float

import typedprop as tp
from typedprop import Mat

BATCH: Final = 32
PIXELS: Final = 784
HIDDEN: Final = 300


@tp.shapecheck
def hebbian_weight_wrong(
    x: Float[Mat, "batch in"], y: Float[Mat, "batch out"]
) -> Float[Mat, "out in"]:
    return x.T @ y / BATCH  # (in, out)


@tp.shapecheck
def hebbian_weight_right(
    x: Float[Mat, "batch in"], y: Float[Mat, "batch out"]
) -> Float[Mat, "out in"]:
    return y.T @ x / BATCH


def wrong() -> Mat:
    x = tp.normal(BATCH, PIXELS, rng=0)
    y = tp.normal(BATCH, HIDDEN, rng=1)
    return hebbian_weight_wrong(x, y)


def right() -> Mat:
    x = tp.normal(BATCH, PIXELS, rng=0)
    y = tp.normal(BATCH, HIDDEN, rng=1)
    return hebbian_weight_right(x, y)
