"""Rejected: gradients of another structure than the parameters the optimizer was made for.
Checked by mypy only (see tests/static/test_static.py for the markers)."""

from dataclasses import dataclass

from typedprop import Mat, Vec, optim


@dataclass
class Layer:
    w: Mat
    b: Vec


def gradient_of_another_structure(p: tuple[Layer, Layer], g: tuple[Layer, Vec]) -> None:
    opt = optim.Adam(p, lr=1e-3)
    opt.step(p, g)  # E: Argument 2 to "step" of "Optimizer" has incompatible type...  [arg-type]


def gradient_of_another_rank(w: Mat, v: Vec) -> None:
    optim.SGD(w, lr=0.1).step(w, v)  # E: ...expected "Mat"  [arg-type]


def parameters_of_another_type(p: Layer, q: tuple[Mat, Vec]) -> None:
    optim.Momentum(p, lr=0.1).step(q, q)  # E: ...  [arg-type]


def result_into_another_type(p: Layer) -> None:
    q: tuple[Mat, Vec] = optim.SGD(p, lr=0.1).step(p, p)  # E: ...  [assignment]
    del q
