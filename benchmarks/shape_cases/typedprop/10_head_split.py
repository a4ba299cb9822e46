"""10. A head split whose total size is wrong.

Eight heads of 32 make a 256-wide attention projection; the wrong twin splits the 300-wide hidden
layer itself into eight heads, and 300 is no multiple of 8.
"""

from typing import Final

import typedprop as tp
from typedprop import Vec, ops

HIDDEN: Final = 300
HEADS: Final = 8
HEAD: Final = 32


def wrong() -> list[Vec]:
    h = tp.normal(HIDDEN, rng=0)
    heads: list[Vec] = ops.split(h, HEADS)  # 300 / 8
    return heads


def right() -> list[Vec]:
    h = tp.normal(HIDDEN, rng=0)
    w_query = tp.normal(HEADS * HEAD, HIDDEN, rng=1)
    heads: list[Vec] = ops.split(w_query @ h, HEADS)
    return heads
