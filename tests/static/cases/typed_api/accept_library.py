"""Accepted: the op library's types. A BVar in gives a BVar out, a plain value a plain value;
elementwise ops keep the type (a vector stays a vector), full reductions and losses give floats,
shape changes keep the dtype. Checked by mypy only."""

from typing import Any, assert_type

import numpy as np

import typedprop as tp
from typedprop import BVar, Floating, Mat, Vec, ops

Array = np.ndarray[tuple[Any, ...], Floating]


def vec() -> Vec:
    return np.zeros(2)


def mat() -> Mat:
    return np.zeros((2, 2))


def elementwise_keeps_the_type(x: BVar[Vec], w: BVar[Mat], s: BVar[float], m: Mat) -> None:
    assert_type(ops.exp(x), BVar[Vec])
    assert_type(ops.tanh(w), BVar[Mat])
    assert_type(ops.arctan(x), BVar[Vec])
    assert_type(ops.arctan(1.0), float)
    assert_type(ops.leaky_relu(x, negative_slope=0.2), BVar[Vec])
    assert_type(ops.elu(m, alpha=2.0), Mat)
    assert_type(ops.logistic(s), BVar[float])
    assert_type(ops.relu(m), Mat)
    assert_type(ops.log(2.0), float)
    assert_type(ops.leaky_relu(x, 0.1), BVar[Vec])
    assert_type(ops.clip(x, 0.0, 1.0), BVar[Vec])
    assert_type(abs(x), BVar[Vec])


def binary_ops_broadcast(x: BVar[Vec], w: BVar[Mat], s: BVar[float]) -> None:
    assert_type(ops.maximum(x, 0.0), BVar[Vec])
    assert_type(ops.minimum(x, vec()), BVar[Vec])
    assert_type(ops.add(s, x), BVar[Vec])
    # Arrays of two ranks: mypy joins the shapes to "some number of ints".
    assert_type(ops.multiply(w, x), BVar[np.ndarray[tuple[int, ...], Floating]])
    assert_type(ops.add(2.0, w), BVar[Mat])
    assert_type(ops.subtract(x, s), BVar[Vec])
    assert_type(ops.divide(vec(), vec()), Vec)


def reductions(x: BVar[Vec], w: BVar[Mat], m: Mat) -> None:
    assert_type(ops.sum(x), BVar[float])
    assert_type(ops.mean(w, axis=0), BVar[Array])
    assert_type(ops.max(w, keepdims=True), BVar[Array])
    assert_type(ops.var(x, ddof=1), BVar[float])
    assert_type(ops.logsumexp(m), float)
    assert_type(ops.norm(m, axis=1), Array)
    assert_type(ops.softmax(x), BVar[Vec])
    assert_type(ops.log_softmax(w, axis=0), BVar[Mat])
    assert_type(w.sum(), BVar[float])
    assert_type(w.mean(axis=1), BVar[Array])


def losses(logits: BVar[Mat], x: BVar[Vec], m: Mat) -> None:
    labels = np.array([0, 1])
    assert_type(ops.softmax_cross_entropy_with_integer_labels(logits, labels), BVar[float])
    assert_type(ops.softmax_cross_entropy_with_integer_labels(x, 1), BVar[float])
    assert_type(ops.softmax_cross_entropy(logits, m), BVar[float])
    assert_type(ops.sigmoid_binary_cross_entropy(m, m), float)
    assert_type(ops.mean_squared_error(x, vec()), BVar[float])
    assert_type(ops.squared_error(vec(), x), BVar[float])


def shapes(x: BVar[Vec], w: BVar[Mat], m: Mat) -> None:
    assert_type(ops.reshape(w, (4,)), BVar[Array])
    assert_type(ops.ravel(w), BVar[np.ndarray[tuple[int], Floating]])
    assert_type(w.ravel(), BVar[np.ndarray[tuple[int], Floating]])
    assert_type(ops.concatenate([x, x]), BVar[Array])
    assert_type(ops.stack((w, w), axis=0), BVar[Array])
    assert_type(ops.split(x, 2), list[BVar[Array]])
    assert_type(ops.expand_dims(m, 0), Array)
    assert_type(w[0], BVar[Array])
    assert_type(ops.where(m > 0, w, 0.0), BVar[Array])


def not_differentiable(x: BVar[Vec], w: BVar[Mat]) -> None:
    assert_type(ops.argmax(x), np.intp)
    assert_type(ops.shape(w), tuple[int, ...])
    assert_type(x.shape, tuple[int, ...])
    assert_type(ops.less(x, 0.0), np.ndarray[tuple[Any, ...], np.dtype[np.bool_]])


def gradients_keep_the_parameter_types(x: Vec, w: Mat) -> None:
    def loss(p: BVar[tuple[Mat, Vec]]) -> BVar[float]:
        a, b = p.unpack()
        return ops.sum(ops.tanh(a) * b)

    assert_type(tp.grad(loss, (w, x)), tuple[Mat, Vec])


F64 = np.dtype[np.float64]
M64 = np.ndarray[tuple[int, int], F64]
V64 = np.ndarray[tuple[int], F64]
A64 = np.ndarray[tuple[Any, ...], F64]


def linear_algebra(m: BVar[Mat], v: BVar[Vec], pm: Mat, pv: Vec, m64: M64, v64: V64) -> None:
    assert_type(ops.matmul(m, m), BVar[Mat])
    assert_type(ops.matmul(m, pv), BVar[Vec])
    assert_type(ops.matmul(v, v), BVar[float])
    assert_type(ops.matmul(m64, v64), V64)
    assert_type(ops.matvec(m, v), BVar[Vec])
    assert_type(ops.matvec(pm, pv), Vec)
    assert_type(ops.dot(m, v), BVar[Vec])
    assert_type(ops.vdot(m, pm), BVar[float])
    assert_type(ops.outer(v, pv), BVar[Mat])
    assert_type(ops.transpose(m), BVar[Mat])
    assert_type(ops.trace(m), BVar[float])
    assert_type(ops.einsum("ij,jk->ik", m64, m64), A64)
    assert_type(ops.solve(m, pv), BVar[Vec])
    assert_type(ops.solve(m64, m64), M64)
    assert_type(ops.inv(m), BVar[Mat])
    assert_type(ops.cholesky(m64), M64)
    assert_type(ops.slogdet(m), tuple[float, BVar[float]])
