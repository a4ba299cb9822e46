"""Accepted: `load` gives the type of its template, whatever the structure, for a path as a str
or an `os.PathLike`; an optimizer's state goes through a checkpoint the same way. Checked by
mypy only."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, assert_type

import numpy as np

import typedprop as tp
from typedprop import Mat, Vec, optim


class Layer(NamedTuple):
    w: Mat
    b: Vec


@dataclass
class Network:
    hidden: Layer
    output: Layer
    scale: float


def load_gives_the_templates_type(path: Path, net: Network) -> None:
    tp.save(path, net)
    assert_type(tp.load(path, like=net), Network)


def any_structure(path: str, p: tuple[list[Vec], dict[str, float], np.float32, int | None]) -> None:
    tp.save(path, p)
    assert_type(tp.load(path, like=p), tuple[list[Vec], dict[str, float], np.float32, int | None])
    assert_type(tp.load(path, like=1.0), float)


def the_state_of_an_optimizer(path: Path, net: Network) -> None:
    opt = optim.Adam(net, lr=1e-3)
    tp.save(path, opt.state())
    assert_type(opt.state(), dict[str, Any])
    opt.load_state(tp.load(path, like=opt.state()))


def the_error_is_a_value_error(path: Path, net: Network) -> None:
    try:
        tp.load(path, like=net)
    except tp.CheckpointError as e:
        assert_type(e, tp.CheckpointError)
        also: ValueError = e
        del also
