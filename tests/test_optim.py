"""typedprop.optim: each optimizer reaches the closed-form minimum of a convex problem over a
heterogeneous parameter structure, keeps dtypes and non-float leaves, and refuses gradients of
another structure."""

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import typedprop as tp
from typedprop import Vec, ops, optim

RNG = np.random.default_rng(0)
A = RNG.standard_normal((20, 3))
B = RNG.standard_normal(20)


@dataclass
class Params:
    w: Vec
    c: float
    steps: int  # not a float leaf: carried over unchanged


def loss(p: tp.BVar[Params]) -> tp.BVar[float]:
    w, c = p.view(lambda q: q.w), p.view(lambda q: q.c)
    r = A @ w - B
    return ops.sum(r * r) / 20.0 + (c - 2.0) ** 2


W_STAR = np.linalg.lstsq(A, B, rcond=None)[0]


def _train(opt: optim.Optimizer[Params], p: Params, steps: int) -> Params:
    for _ in range(steps):
        p = opt.step(p, tp.grad(loss, p))
    return p


@pytest.mark.parametrize(
    ("make", "steps"),
    [
        (lambda p: optim.SGD(p, lr=0.1), 2000),
        (lambda p: optim.Momentum(p, lr=0.05, momentum=0.9), 1000),
        (lambda p: optim.Adam(p, lr=0.05), 3000),
    ],
    ids=["sgd", "momentum", "adam"],
)
def test_reaches_the_closed_form_minimum(make: Any, steps: int) -> None:
    p = Params(np.zeros(3), 0.0, 7)
    p = _train(make(p), p, steps)
    np.testing.assert_allclose(p.w, W_STAR, atol=1e-4)
    assert abs(p.c - 2.0) < 1e-4
    assert type(p.c) is float and p.steps == 7


def test_float32_parameters_stay_float32() -> None:
    p = (np.ones(3, dtype=np.float32), np.float32(1.0))
    for opt in (optim.SGD(p, lr=0.1), optim.Momentum(p, lr=0.1), optim.Adam(p, lr=0.1)):
        q = opt.step(p, (np.ones(3, dtype=np.float32), np.float32(0.5)))
        assert q[0].dtype == np.float32 and type(q[1]) is np.float32


def test_adam_first_step_is_lr_times_the_sign() -> None:
    opt = optim.Adam(np.zeros(3), lr=0.01)
    np.testing.assert_allclose(
        opt.step(np.zeros(3), np.array([3.0, -0.2, 1e-3])), [-0.01, 0.01, -0.01], rtol=1e-4
    )


def test_momentum_accumulates_velocity() -> None:
    opt = optim.Momentum(np.zeros(1), lr=1.0, momentum=0.5)
    p = opt.step(np.zeros(1), np.ones(1))
    p = opt.step(p, np.ones(1))
    np.testing.assert_allclose(p, [-2.5])  # velocities 1 and 1.5


def test_a_gradient_of_another_shape_is_refused() -> None:
    p = (np.zeros((2, 3)), np.zeros(3))
    opt = optim.SGD(p, lr=0.1)
    with pytest.raises(
        tp.CheckError,
        match=re.escape(
            "step: the gradient at [1] is an array of shape (2,) and dtype float64, "
            "expected an array of shape (3,) and dtype float64"
        ),
    ):
        opt.step(p, (np.zeros((2, 3)), np.zeros(2)))
    # Nothing was changed by the failed step.
    np.testing.assert_array_equal(opt.step(p, (np.ones((2, 3)), np.ones(3)))[1], -0.1)


def test_a_gradient_of_another_structure_is_refused() -> None:
    p = (np.zeros(3), 1.0)
    opt = optim.Adam(p)
    with pytest.raises(
        tp.CheckError,
        match=re.escape("step: the gradient at the parameters is a list, expected a tuple"),
    ):
        opt.step(p, [np.zeros(3), 1.0])  # type: ignore[arg-type]  # the point of the test
    with pytest.raises(
        tp.CheckError,
        match=re.escape("step: the gradient at the parameters has 1 part, expected 2"),
    ):
        opt.step(p, (np.zeros(3),))  # type: ignore[arg-type]  # the point of the test


def test_parameters_of_other_shapes_than_at_creation_are_refused() -> None:
    opt = optim.SGD(np.zeros(3), lr=0.1)
    with pytest.raises(
        tp.CheckError,
        match=re.escape(
            "SGD.step: the parameters do not have the structure and shapes the optimizer "
            "was made for"
        ),
    ):
        opt.step(np.zeros(4), np.zeros(4))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: optim.SGD(1.0, lr=0.0), "SGD: the learning rate must be positive, got 0.0"),
        (
            lambda: optim.Momentum(1.0, lr=0.1, momentum=1.0),
            "Momentum: momentum must be in [0, 1), got 1.0",
        ),
        (lambda: optim.Adam(1.0, b2=1.5), "Adam: b2 must be in [0, 1), got 1.5"),
    ],
)
def test_bad_settings_are_refused(make: Any, message: str) -> None:
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        make()
