"""Rejected: another library's arrays where numpy's types are asked for, and numpy's arrays mixed
into another library's ops. The ops keep `BVar[torch.Tensor]` through, so the mistakes show
where the types meet. Checked by mypy only (see tests/static/test_static.py for the markers)."""

import jax
import numpy as np
import torch

import typedprop as tp
from typedprop import BVar, Mat, Vec, ops


def loss(w: BVar[torch.Tensor]) -> BVar[torch.Tensor]:
    return ops.sum(ops.tanh(w @ w))


def a_gradient_is_not_a_numpy_array(w: torch.Tensor) -> None:
    # The gradient has the parameters' type, PyTorch's.
    g = tp.grad(loss, w)
    n: Mat = g  # E: Incompatible types in assignment (expression has type "Tensor", variable has type "Mat")  [assignment]


def a_reduction_is_not_a_float(x: BVar[torch.Tensor]) -> None:
    # Reducing every axis gives PyTorch's 0-d array, not a float.
    s: BVar[float] = ops.sum(x)  # E: Incompatible types in assignment (expression has type "BVar[Tensor]", variable has type "BVar[float]")  [assignment]
    m: BVar[Vec] = x.mean(axis=0)  # E: Incompatible types in assignment (expression has type "BVar[Tensor]", variable has type "BVar[Vec]")  [assignment]


def the_library_stays_the_same(x: BVar[torch.Tensor], a: BVar[jax.Array]) -> None:
    # Each op gives back its input's library.
    r, i = ops.reshape(x, (2, 3)), ops.argmax(a)
    y: BVar[jax.Array] = r  # E: ...(expression has type "BVar[Tensor]", variable has type "BVar[Array]")  [assignment]
    j: np.intp = i  # E: ...(expression has type "Array", variable has type "signedinteger[...  [assignment]


def numpy_arrays_do_not_mix_in(x: BVar[torch.Tensor], m: Mat) -> None:
    # A numpy array is not another library's: mypy refuses what the ops refuse at run time.
    x @ m  # E: Unsupported operand types for @ ("BVar[Tensor]" and "Mat")  [operator]
    ops.matmul(x, m)  # E: Argument 1 to "__call__" of "Matmul" has incompatible type "BVar[Tensor]"...  [arg-type]
    ops.matvec(x, m)  # E: Argument 1 to "__call__" of "Op" has incompatible type "BVar[Tensor]"...  [arg-type]  # E: Argument 2 to "__call__" of "Op" has incompatible type "Mat"...  [arg-type]
    ops.where(m > 0, x, x)  # E: Argument 2 to "__call__" of "Where"...  [arg-type]  # E: Argument 3 to "__call__" of "Where"...  [arg-type]


def no_array_methods_on_scalars(s: BVar[float]) -> None:
    # The overloads for other libraries take arrays only, as numpy's do.
    s.ravel()  # E: Invalid self argument "BVar[float]" to attribute function "ravel"...  [misc]
    s.T  # E: Invalid self argument "BVar[float]" to attribute function "T"...  [misc]
