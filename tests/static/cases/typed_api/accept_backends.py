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


def reductions_keep_the_array_type(
    x: BVar[torch.Tensor], a: BVar[jax.Array], t: torch.Tensor
) -> None:
    # Reducing every axis gives the library's 0-d array, so a BVar of its array type too.
    assert_type(ops.sum(x), BVar[torch.Tensor])
    assert_type(ops.mean(x, axis=0), BVar[torch.Tensor])
    assert_type(ops.max(a, axis=-1, keepdims=True), BVar[jax.Array])
    assert_type(ops.min(x), BVar[torch.Tensor])
    assert_type(ops.prod(x, axis=(0, 1)), BVar[torch.Tensor])
    assert_type(ops.var(x, ddof=1), BVar[torch.Tensor])
    assert_type(ops.std(a, axis=0), BVar[jax.Array])
    assert_type(ops.norm(x), BVar[torch.Tensor])
    assert_type(ops.logsumexp(x, axis=-1), BVar[torch.Tensor])
    assert_type(ops.softmax(a), BVar[jax.Array])
    assert_type(ops.log_softmax(x, axis=0), BVar[torch.Tensor])
    assert_type(ops.sum(t), torch.Tensor)


def linear_algebra_keeps_the_array_type(
    x: BVar[torch.Tensor], w: BVar[torch.Tensor], t: torch.Tensor, a: BVar[jax.Array]
) -> None:
    assert_type(ops.matmul(x, w), BVar[torch.Tensor])
    assert_type(ops.matmul(t, x), BVar[torch.Tensor])
    assert_type(ops.matmul(t, t), torch.Tensor)
    assert_type(ops.dot(x, t), BVar[torch.Tensor])
    assert_type(ops.vdot(x, w), BVar[torch.Tensor])
    assert_type(ops.outer(a, a), BVar[jax.Array])
    assert_type(ops.einsum("ij,jk->ik", x, w), BVar[torch.Tensor])
    assert_type(ops.einsum("ii", t), torch.Tensor)
    assert_type(ops.transpose(x, (1, 0)), BVar[torch.Tensor])
    assert_type(ops.trace(x), BVar[torch.Tensor])
    assert_type(ops.solve(w, x), BVar[torch.Tensor])
    assert_type(ops.inv(w), BVar[torch.Tensor])
    assert_type(ops.cholesky(a), BVar[jax.Array])
    assert_type(ops.slogdet(w), tuple[torch.Tensor, BVar[torch.Tensor]])


def dense_layers_keep_the_array_type(
    w: BVar[torch.Tensor], x: torch.Tensor, b: BVar[torch.Tensor], t: torch.Tensor
) -> None:
    assert_type(ops.matvec(w, x), BVar[torch.Tensor])
    assert_type(ops.matvec(t, b), BVar[torch.Tensor])
    assert_type(ops.matvec(t, x), torch.Tensor)
    assert_type(ops.linear(w, x, b), BVar[torch.Tensor])
    assert_type(ops.linear(t, x, b), BVar[torch.Tensor])
    assert_type(ops.linear(t, x, t), torch.Tensor)


def losses_give_a_0d_array(x: BVar[torch.Tensor], t: torch.Tensor, a: BVar[jax.Array]) -> None:
    assert_type(ops.mean_squared_error(x, t), BVar[torch.Tensor])
    assert_type(ops.squared_error(t, x), BVar[torch.Tensor])
    assert_type(ops.softmax_cross_entropy(a, a), BVar[jax.Array])
    assert_type(ops.sigmoid_binary_cross_entropy(t, t), torch.Tensor)
    assert_type(ops.softmax_cross_entropy_with_integer_labels(x, t), BVar[torch.Tensor])
    assert_type(ops.softmax_cross_entropy_with_integer_labels(a, 3), BVar[jax.Array])


def shape_ops_keep_the_array_type(x: BVar[torch.Tensor], t: torch.Tensor) -> None:
    assert_type(ops.reshape(x, (2, 3)), BVar[torch.Tensor])
    assert_type(ops.ravel(x), BVar[torch.Tensor])
    assert_type(ops.squeeze(x, axis=0), BVar[torch.Tensor])
    assert_type(ops.expand_dims(x, 0), BVar[torch.Tensor])
    assert_type(ops.broadcast_to(t, (4, 3)), torch.Tensor)
    assert_type(ops.concatenate([x, x], axis=1), BVar[torch.Tensor])
    assert_type(ops.concatenate([t, t]), torch.Tensor)
    assert_type(ops.stack([x, x]), BVar[torch.Tensor])
    assert_type(ops.split(x, 2, axis=1), list[BVar[torch.Tensor]])
    assert_type(ops.repeat(x, 2, axis=0), BVar[torch.Tensor])
    assert_type(ops.tile(x, (2, 1)), BVar[torch.Tensor])
    assert_type(ops.pad(x, 1), BVar[torch.Tensor])


def indexing_takes_the_librarys_keys(
    x: BVar[torch.Tensor], t: torch.Tensor, a: BVar[jax.Array]
) -> None:
    assert_type(ops.getitem(x, 0), BVar[torch.Tensor])
    assert_type(ops.getitem(x, (slice(None), t)), BVar[torch.Tensor])
    assert_type(ops.take(x, t, axis=0), BVar[torch.Tensor])
    assert_type(ops.take(a, 1), BVar[jax.Array])
    assert_type(ops.where(t, x, x), BVar[torch.Tensor])
    assert_type(ops.where(t, 0.0, x), BVar[torch.Tensor])
    assert_type(ops.where(True, t, 1.0), torch.Tensor)


def plain_results_are_the_librarys(x: BVar[torch.Tensor], t: torch.Tensor) -> None:
    assert_type(ops.argmax(x), torch.Tensor)
    assert_type(ops.argmin(t, axis=1), torch.Tensor)
    assert_type(ops.less(x, 0.0), torch.Tensor)
    assert_type(ops.equal(t, x), torch.Tensor)
    assert_type(ops.greater(1.0, x), torch.Tensor)
    assert_type(ops.shape(x), tuple[int, ...])
    assert_type(ops.ndim(t), int)
    assert_type(ops.size(x), int)


def methods_and_operators_keep_the_array_type(
    x: BVar[torch.Tensor], w: BVar[torch.Tensor], t: torch.Tensor, a: BVar[jax.Array]
) -> None:
    assert_type(x @ w, BVar[torch.Tensor])
    assert_type(x @ t, BVar[torch.Tensor])
    assert_type(a @ a, BVar[jax.Array])
    assert_type(x.sum(), BVar[torch.Tensor])
    assert_type(x.mean(axis=0), BVar[torch.Tensor])
    assert_type(a.max(), BVar[jax.Array])
    assert_type(x.min(keepdims=True), BVar[torch.Tensor])
    assert_type(x.prod(), BVar[torch.Tensor])
    assert_type(x.var(ddof=1), BVar[torch.Tensor])
    assert_type(x.std(axis=1), BVar[torch.Tensor])
    assert_type(x.T, BVar[torch.Tensor])
    assert_type(x.transpose(1, 0), BVar[torch.Tensor])
    assert_type(x.reshape(2, 3), BVar[torch.Tensor])
    assert_type(x.ravel(), BVar[torch.Tensor])
    assert_type(x.squeeze(), BVar[torch.Tensor])
    assert_type(x[0], BVar[torch.Tensor])
    assert_type(x[t], BVar[torch.Tensor])
    assert_type(x[1:, t], BVar[torch.Tensor])
    assert_type(x.argmax(axis=1), torch.Tensor)
    assert_type(x.argmin(), torch.Tensor)
    assert_type(x.shape, tuple[int, ...])
    assert_type(x.ndim, int)
    assert_type(x.size, int)
    assert_type(abs(x).clip(0.0, 1.0), BVar[torch.Tensor])
    assert_type(x**2, BVar[torch.Tensor])
