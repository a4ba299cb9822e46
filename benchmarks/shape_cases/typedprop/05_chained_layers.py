"""5. Chained layers whose widths do not meet.

Three layers written with numpy's `@`: the last one takes 300 inputs, but the layer before it
gives 100.
"""

from typing import Final

import typedprop as tp
from typedprop import Vec, ops

PIXELS: Final = 784
HIDDEN1: Final = 300
HIDDEN2: Final = 100
CLASSES: Final = 10


def wrong() -> Vec:
    w1 = tp.normal(HIDDEN1, PIXELS, rng=0)
    w2 = tp.normal(HIDDEN2, HIDDEN1, rng=1)
    w3 = tp.normal(CLASSES, HIDDEN1, rng=2)  # in: HIDDEN1, but w2 gives HIDDEN2
    x = tp.zeros(PIXELS)
    return w3 @ ops.tanh(w2 @ ops.tanh(w1 @ x))


def right() -> Vec:
    w1 = tp.normal(HIDDEN1, PIXELS, rng=0)
    w2 = tp.normal(HIDDEN2, HIDDEN1, rng=1)
    w3 = tp.normal(CLASSES, HIDDEN2, rng=2)
    x = tp.zeros(PIXELS)
    return w3 @ ops.tanh(w2 @ ops.tanh(w1 @ x))
