"""Accepted: another library's arrays through the typed API. A `BVar[torch.Tensor]` stays one
through the elementwise ops and the operators, a gradient has the parameters' type, and the
constructors' `library=` gives that library's array type. (mypy reads the project's small stubs
of PyTorch and JAX in `stubs/`, not their sources; with their real types the same holds.)

Checked by mypy only (tests/static/test_static.py); nothing here runs.
"""

from typing import NamedTuple, assert_type

import jax
import torch

import typedprop as tp
from typedprop import BVar, ops


class Layer(NamedTuple):
    w: torch.Tensor
    b: torch.Tensor


def elementwise_ops_keep_the_array_type(x: BVar[torch.Tensor], a: BVar[jax.Array]) -> None:
    assert_type(ops.tanh(x), BVar[torch.Tensor])
    assert_type(ops.logistic(ops.exp(x)), BVar[torch.Tensor])
    assert_type(ops.relu(a), BVar[jax.Array])


def operators_keep_the_array_type(x: BVar[torch.Tensor], t: torch.Tensor) -> None:
    assert_type(x * x + 1.0, BVar[torch.Tensor])
    assert_type(x - t, BVar[torch.Tensor])
    assert_type(ops.maximum(x, x), BVar[torch.Tensor])


def gradients_have_the_parameters_type(layer: Layer, seed: torch.Tensor) -> None:
    def f(p: BVar[Layer]) -> BVar[torch.Tensor]:
        w, b = p.unpack()
        return ops.tanh(w * b)

    value, grads = tp.backprop_with(f, layer, seed)
    assert_type(value, torch.Tensor)
    assert_type(grads, Layer)


def constructors_build_the_librarys_arrays() -> None:
    assert_type(tp.zeros(3, 2, library=torch.Tensor, device="cuda"), torch.Tensor)
    assert_type(tp.normal(784, rng=0, library=jax.Array, dtype="float32"), jax.Array)
