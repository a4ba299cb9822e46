"""Accepted: an optimizer is typed by the parameters it was made for, and its step gives
parameters of that type back. Checked by mypy only."""

from dataclasses import dataclass
from typing import assert_type

import numpy as np

from typedprop import Mat, Vec, optim


@dataclass
class Layer:
    w: Mat
    b: Vec


def step_keeps_the_parameter_type(p: tuple[Layer, Layer], g: tuple[Layer, Layer]) -> None:
    opt = optim.Adam(p, lr=1e-3)
    assert_type(opt, optim.Adam[tuple[Layer, Layer]])
    assert_type(opt.step(p, g), tuple[Layer, Layer])


def every_optimizer_is_an_optimizer(p: Layer) -> None:
    opts: list[optim.Optimizer[Layer]] = [optim.SGD(p, 0.1), optim.Momentum(p, 0.1), optim.Adam(p)]
    assert_type(opts[0].step(p, p), Layer)


def floats_and_arrays(x: float, v: Vec) -> None:
    assert_type(optim.SGD(x, lr=0.1).step(x, 1.0), float)
    assert_type(optim.SGD(v, lr=0.1).step(v, np.zeros(2)), Vec)
