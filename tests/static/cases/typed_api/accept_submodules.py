"""Accepted: after `import typedprop as tp`, the submodules `tp.optim`, `tp.data` and
`tp.testing` are there without their own import (at run time they are imported on first use).
Checked by mypy only."""

from pathlib import Path
from typing import assert_type

import typedprop as tp


def optimizers_through_the_package(w: tp.Vec, g: tp.Vec) -> None:
    opt = tp.optim.Adam(w, lr=1e-3)
    assert_type(opt, tp.optim.Adam[tp.Vec])
    assert_type(opt.step(w, g), tp.Vec)
    sgd: tp.optim.Optimizer[tp.Vec] = tp.optim.SGD(w, lr=0.1)
    del sgd


def data_and_testing_through_the_package(folder: Path) -> None:
    assert_type(tp.data.load_mnist(folder), tp.data.Split)
    assert_type(tp.testing.check_grads(lambda x: x * x, 1.0), None)
