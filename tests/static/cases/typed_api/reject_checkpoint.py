"""Rejected: a loaded checkpoint used as another type than its template's; `like` missing or
given by position; a path that is not a str or an `os.PathLike`; an optimizer's state that is
not a dict. Checked by mypy only (see
tests/static/test_static.py for the markers)."""

from pathlib import Path
from typing import NamedTuple

import typedprop as tp
from typedprop import Mat, Vec, optim


class Layer(NamedTuple):
    w: Mat
    b: Vec


def result_into_another_type(path: Path, layer: Layer) -> None:
    q: tuple[Mat, Mat] = tp.load(path, like=layer)  # E: Incompatible types in assignment...  [assignment]
    del q


def a_float_is_not_an_array(path: Path) -> None:
    v: Vec = tp.load(path, like=1.0)  # E: Argument "like" to "load" has incompatible type "float"; expected "Vec"  [arg-type]
    del v


def the_template_is_required(path: Path) -> None:
    tp.load(path)  # E: Missing named argument "like" for "load"  [call-arg]


def the_template_is_named(path: Path, layer: Layer) -> None:
    tp.load(path, layer)  # E: Too many positional arguments for "load"  [call-arg]


def a_path_is_a_str_or_pathlike(layer: Layer) -> None:
    tp.save(3, layer)  # E: Argument 1 to "save" has incompatible type "int"; expected "str | PathLike[str]"  [arg-type]
    tp.load(b"net.npz", like=layer)  # E: Argument 1 to "load" has incompatible type "bytes"; expected "str | PathLike[str]"  [arg-type]


def a_state_is_a_dict(layer: Layer) -> None:
    optim.Adam(layer).load_state(layer)  # E: Argument 1 to "load_state" of "Optimizer" has incompatible type "Layer"; expected "dict[str, Any]"  [arg-type]
