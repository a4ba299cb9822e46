"""Rejected: `scan` given a step that does not return a pair or whose `x` does not fit `xs`, or
its results put into names of the wrong types. (The initial carry is checked against the
step's at run time, at the first step: mypy infers the carry's type from the step.)

Each rejected line ends in `# E: message  [code]`, the message with `...` for what it leaves
out; tests/static/test_static.py checks both. Checked by mypy only.
"""

import numpy as np

import typedprop as tp
from typedprop import BVar, Mat, Vec, ops


def steps() -> np.ndarray[tuple[int, int], np.dtype[np.float64]]:
    return np.zeros((5, 2))


def step(h: BVar[Vec], x: BVar[Vec]) -> tuple[BVar[Vec], BVar[Vec]]:
    return ops.tanh(h + x), h


def swapped(h: BVar[Vec], x: BVar[Vec]) -> tuple[BVar[Vec], BVar[Vec]]:
    return h, h


def one_result(h: BVar[Vec], x: BVar[Vec]) -> BVar[Vec]:
    return h + x


def cube() -> np.ndarray[tuple[int, int, int], np.dtype[np.float64]]:
    return np.zeros((5, 2, 2))


def cases() -> None:
    # The step must return a pair.
    tp.scan(one_result, np.zeros(2), steps())  # E: Argument 1 to "scan" has incompatible type...  [arg-type]
    # Steps of matrices for a step that takes vectors.
    tp.scan(step, np.zeros(2), cube())  # E: Argument 3 to "scan" has incompatible type...  [arg-type]
    h, hs = tp.scan(step, np.zeros(2), steps())
    # The carry is a vector, the states stacked a matrix.
    wrong: BVar[Mat] = h  # E: Incompatible types in assignment...  [assignment]
    vector: BVar[Vec] = hs  # E: Incompatible types in assignment...  [assignment]
