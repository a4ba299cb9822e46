"""The seed's MNIST layer sizes as `Final` constants, so that mypy with `typedprop.mypy_plugin`
checks every layer's sizes before the program runs.

`typedprop.normal` and `typedprop.zeros` give arrays whose sizes mypy knows; `dense` is a
`shapecheck`ed function, so within each call `in` and `out` mean one size each, for mypy (with
the plugin, as this repository's `mypy.ini` has it) and at run time. Swap `HIDDEN1` and
`HIDDEN2` in `w2` and mypy says, before anything runs:

    error: Dimension mismatch in call to "dense": dimension out: 100 (argument "b", axis 0) vs 300 (argument "w", axis 0)  [dim-mismatch]

Run it: `python examples/static_sizes.py` prints the output's shape.
"""

from typing import Final

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import BVar, Mat, Vec, ops

PIXELS: Final = 784
HIDDEN1: Final = 300
HIDDEN2: Final = 100
DIGITS: Final = 10


@tp.shapecheck
def dense(
    w: BVar[Float[Mat, "out in"]], b: BVar[Float[Vec, " out"]], x: BVar[Float[Vec, " in"]]
) -> BVar[Float[Vec, " out"]]:
    return ops.logistic(ops.linear(w, x, b))


def scores(x: Float[Vec, " 784"]) -> BVar[Vec]:
    w1, b1 = tp.constant(tp.normal(HIDDEN1, PIXELS, rng=0)), tp.constant(tp.zeros(HIDDEN1))
    w2, b2 = tp.constant(tp.normal(HIDDEN2, HIDDEN1, rng=0)), tp.constant(tp.zeros(HIDDEN2))
    w3, b3 = tp.constant(tp.normal(DIGITS, HIDDEN2, rng=0)), tp.constant(tp.zeros(DIGITS))
    xb = tp.constant(x)
    h1 = dense(w1, b1, xb)
    h2 = dense(w2, b2, h1)
    return dense(w3, b3, h2)


def main() -> tuple[int, ...]:
    shape: tuple[int, ...] = scores(np.zeros(784)).value.shape
    print("scores for one picture:", shape)
    return shape


if __name__ == "__main__":
    main()
