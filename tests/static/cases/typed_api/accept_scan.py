"""Accepted: `scan` types the carry, each step's `x` and `y`, and the stacked `y`s: an array
`xs` of one more axis than `x`, `y`s of one more axis than `y` (a vector for a number),
another structure unchanged.

Checked by mypy only (tests/static/test_static.py); nothing here runs.
"""

from typing import assert_type

import numpy as np

import typedprop as tp
from typedprop import Array, BVar, Mat, Vec, ops

Pair = tuple[Array, Array]


def mat() -> Mat:
    return np.zeros((2, 2))


def steps() -> np.ndarray[tuple[int, int], np.dtype[np.float64]]:
    return np.zeros((5, 2))


def cube() -> np.ndarray[tuple[int, int, int], np.dtype[np.float64]]:
    return np.zeros((5, 2, 2))


def rnn(w: BVar[Mat]) -> BVar[float]:
    def step(h: BVar[Vec], x: BVar[Vec]) -> tuple[BVar[Vec], BVar[Vec]]:
        h = ops.tanh(ops.matvec(w, h) + x)
        return h, h

    h, hs = tp.scan(step, np.zeros(2), steps())
    assert_type(h, BVar[Vec])
    assert_type(hs, BVar[np.ndarray[tuple[int, int], np.dtype[np.floating]]])
    return ops.sum(hs)


def readout(w: BVar[Mat]) -> BVar[float]:
    # A number per step stacks into a vector.
    def step(h: BVar[Vec], x: BVar[Vec]) -> tuple[BVar[Vec], BVar[float]]:
        h = ops.tanh(ops.matvec(w, h) + x)
        return h, h @ x

    _, ys = tp.scan(step, np.zeros(2), steps())
    assert_type(ys, BVar[Vec])
    return ops.sum(ys)


def matrices(w: BVar[Mat]) -> BVar[float]:
    # Steps of matrices, states of matrices.
    def step(s: BVar[Mat], x: BVar[Mat]) -> tuple[BVar[Mat], BVar[Mat]]:
        s = ops.tanh(s @ w + x)
        return s, s

    s, ss = tp.scan(step, mat(), cube())
    assert_type(s, BVar[Mat])
    assert_type(ss, BVar[np.ndarray[tuple[int, int, int], np.dtype[np.floating]]])
    return ops.sum(ss)


def numbers(a: BVar[float]) -> BVar[float]:
    # A vector of steps gives numbers.
    def step(c: BVar[float], x: BVar[float]) -> tuple[BVar[float], BVar[float]]:
        c = c * a + x
        return c, c

    c, cs = tp.scan(step, 0.0, np.zeros(4))
    assert_type(c, BVar[float])
    assert_type(cs, BVar[Vec])
    return c


def structures(w: BVar[Mat]) -> BVar[float]:
    # Any other structure: the same type for xs and each x, for y and the ys, so its arrays
    # are typed of any rank (`Array`).
    def step(h: BVar[Vec], x: BVar[tuple[Array, Array]]) -> tuple[BVar[Vec], BVar[Pair]]:
        a, b = x.unpack()
        h = ops.tanh(ops.matvec(w, h) + a * b)
        return h, x

    xs = (np.zeros((5, 2)), np.zeros((5, 2)))
    h, ys = tp.scan(step, np.zeros(2), xs)
    assert_type(h, BVar[Vec])
    assert_type(ys, BVar[Pair])
    return ops.sum(h)


assert_type(tp.grad(rnn, mat()), Mat)
