"""11. An einsum label mismatch.

A batched dense layer as an einsum: the weight is stored (out, in), so its labels are `oi`; the
wrong twin writes `io`, which binds `i` to both 784 and 300.
"""

from typing import Final

import typedprop as tp
from typedprop import Array, ops

BATCH: Final = 32
PIXELS: Final = 784
HIDDEN: Final = 300


def wrong() -> Array:
    x = tp.normal(BATCH, PIXELS, rng=0)
    w = tp.normal(HIDDEN, PIXELS, rng=1)
    return ops.einsum("bi,io->bo", x, w)


def right() -> Array:
    x = tp.normal(BATCH, PIXELS, rng=0)
    w = tp.normal(HIDDEN, PIXELS, rng=1)
    return ops.einsum("bi,oi->bo", x, w)
