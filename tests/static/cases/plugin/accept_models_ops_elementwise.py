"""The elementwise, arithmetic and comparison ops on sized arrays and BVars, as model code uses
them: activations, exp and log, clipping, maxima, powers and comparisons, with broadcasting.
Every case runs, and mypy accepts it."""

# ruff: noqa: E501
# fmt: off

from typing import Final

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import BVar, Mat, Vec, ops

N: Final = 6
M: Final[int] = 4


@tp.shapecheck
def activate(x: Float[Mat, "n m"]) -> Float[Mat, "n m"]:
    return ops.gelu(x)


def case_activations_keep_shape() -> None:
    # Every activation maps an (n, m) array to an (n, m) array.
    x = tp.normal(N, M, rng=0)
    for y in (ops.relu(x), ops.leaky_relu(x), ops.elu(x), ops.gelu(x), ops.softplus(x), ops.logistic(x), ops.tanh(x), ops.arctan(x)):
        assert y.shape == (N, M)
    assert activate(x).shape == (N, M)


def case_activation_gradients() -> None:
    # Gradients of a sum of activations.
    x = tp.normal(N, M, rng=0)

    def loss(v: BVar[Mat]) -> BVar[float]:
        return ops.sum(ops.relu(v) + ops.softplus(v) + ops.elu(v) + ops.leaky_relu(v) + ops.gelu(v))

    assert tp.grad(loss, x).shape == (N, M)


def case_exp_log_family() -> None:
    # exp, log, log1p, expm1, sqrt and square on positive values.
    x = np.abs(tp.normal(N, rng=0)) + 0.1
    assert np.allclose(ops.log(ops.exp(x)), x)
    assert np.allclose(ops.expm1(ops.log1p(x)), x)
    assert np.allclose(ops.square(ops.sqrt(x)), x)
    g = tp.grad(lambda v: ops.sum(ops.log(v) + ops.sqrt(v)), x)
    assert g.shape == (N,)


def case_trigonometry_features() -> None:
    # sin and cos features of an angle vector.
    angles = tp.normal(N, rng=0)
    feats = ops.stack([ops.sin(angles), ops.cos(angles)], axis=1)
    assert feats.shape == (N, 2)
    assert np.allclose(ops.sum(ops.square(feats), axis=1), 1.0)


def case_abs_sign_and_clip() -> None:
    # abs, sign (no gradient) and clip.
    x = tp.normal(N, M, rng=0)
    assert np.allclose(ops.abs(x), ops.sign(x) * x)
    assert ops.clip(x, -0.5, 0.5).max() <= 0.5
    g = tp.grad(lambda v: ops.sum(abs(v)) + ops.sum(v.clip(-1.0, 1.0)), x)
    assert g.shape == (N, M)


def case_arithmetic_ops_with_broadcasting() -> None:
    # add, subtract, multiply and divide a matrix by a row.
    x, row = tp.normal(N, M, rng=0), tp.normal(M, rng=1) + 3.0
    for y in (ops.add(x, row), ops.subtract(x, row), ops.multiply(x, row), ops.divide(x, row)):
        assert y.shape == (N, M)
    g_x, g_row = tp.grad_n(lambda a, b: ops.sum(ops.multiply(a, b)), x, row)
    assert g_x.shape == (N, M) and g_row.shape == (M,)


def case_maximum_and_minimum() -> None:
    # A ReLU by maximum with zero, a cap by minimum.
    x = tp.normal(N, M, rng=0)
    assert np.array_equal(ops.maximum(x, 0.0), ops.relu(x))
    assert ops.minimum(x, tp.ones(N, M)).max() <= 1.0
    g = tp.grad(lambda v: ops.sum(ops.maximum(v, 0.0)), x)
    assert np.array_equal(g, (x > 0).astype(np.float64))


def case_power_and_negative() -> None:
    # power with a float exponent, negative.
    x = np.abs(tp.normal(N, rng=0)) + 0.5
    assert np.allclose(ops.power(x, 2.0), x * x)
    assert np.array_equal(ops.negative(x), -x)
    g = tp.grad(lambda v: ops.sum(ops.power(v, 3.0)), x)
    assert np.allclose(g, 3 * x * x)


def case_comparisons_stay_plain() -> None:
    # Comparisons give boolean arrays, even of BVars; no gradient.
    x, y = tp.normal(N, rng=0), tp.normal(N, rng=1)
    assert ops.greater(x, y).dtype == np.bool_
    assert np.array_equal(ops.less_equal(x, y), ~ops.greater(x, y))
    assert np.array_equal(ops.equal(x, x), ~ops.not_equal(x, x))
    assert ops.less(x, 10.0).all() and ops.greater_equal(x, -10.0).all()

    def loss(v: BVar[Vec]) -> BVar[float]:
        mask = ops.greater(v, 0.0)
        return ops.sum(ops.where(mask, v, 0.0))

    assert tp.grad(loss, x).shape == (N,)


def case_float32_activations() -> None:
    # float32 stays float32 through activations.
    x = tp.normal(N, M, rng=0, dtype=np.float32)
    assert ops.gelu(x).dtype == np.float32 and ops.logistic(x).dtype == np.float32
    assert tp.grad(lambda v: ops.sum(ops.tanh(v)), x).dtype == np.float32


def case_scalar_elementwise() -> None:
    # Elementwise ops on Python floats and scalar BVars.
    assert np.isclose(ops.exp(0.0), 1.0)
    value, g = tp.backprop(lambda t: ops.logistic(t) * ops.tanh(t), 0.3)
    assert g > 0.0 and value > 0.0
