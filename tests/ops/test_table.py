"""Every op of `typedprop.ops`, over the shapes of the op table (`tests/opcases`), checked three
ways: its gradient against central finite differences in float64, its values and gradients
staying float32 for float32 inputs, and its values and gradients against HIPS autograd, an
independent implementation of the same numpy functions.

A non-scalar output is contracted with fixed random weights (`backprop_with`'s seed, or a
weighted sum for finite differences), so every output element reaches the gradient with its own
weight.
"""

import inspect
from types import SimpleNamespace
from typing import Any

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import typedprop as tp
from typedprop import ops
from typedprop.testing import check_grads

from opcases import AUTOGRAD, SCALAR, TABLE, OpCase, Shape

IDS = [c.id for c in TABLE]
assert len(set(IDS)) == len(IDS), f"duplicate case ids: {[i for i in IDS if IDS.count(i) > 1]}"

AG = SimpleNamespace(**{**vars(anp), **AUTOGRAD})
"""The oracle's namespace: autograd.numpy, plus the families' reference implementations."""

# Ops that are not differentiable: they return plain values and are tested in their family's
# own test module, not in this table.
NOT_DIFFERENTIABLE = {"argmax", "argmin", "equal", "not_equal", "less", "less_equal"}
NOT_DIFFERENTIABLE |= {"greater", "greater_equal", "shape", "ndim", "size", "sign"}


def _value(rng: np.random.Generator, shape: Shape, dtype: type, domain: str) -> Any:
    size = () if shape == SCALAR else shape
    if domain == "unit":
        x = rng.uniform(-0.9, 0.9, size)
    else:
        x = rng.uniform(0.5, 1.5, size)
        if domain == "real":
            x = x * rng.choice([-1.0, 1.0], size)
    if shape == SCALAR:
        return float(x) if dtype is np.float64 else dtype(x)
    return np.asarray(x, dtype=dtype)


def _params(case: OpCase, dtype: type = np.float64) -> tuple[Any, ...]:
    rng = np.random.default_rng(sum(map(ord, case.id)))
    return tuple(_value(rng, s, dtype, case.domain) for s in case.shapes)


def _weights(like: Any) -> Any:
    """Fixed random weights of `like`'s shape and dtype (a float for a scalar)."""
    w = np.random.default_rng(99).uniform(0.5, 1.5, np.shape(like))
    dtype = np.result_type(like)
    return np.asarray(w, dtype=dtype) if np.ndim(like) else dtype.type(w)


def _run(case: OpCase, p: tp.BVar[tuple[Any, ...]]) -> Any:
    return case.fn(ops, *p.unpack())


def test_every_op_is_in_the_table() -> None:
    public = {
        name
        for name, obj in vars(ops).items()
        if not name.startswith("_") and callable(obj) and not inspect.isclass(obj)
    }
    tested = {c.op for c in TABLE}
    assert not tested - public, f"cases for ops that do not exist: {sorted(tested - public)}"
    missing = public - tested - NOT_DIFFERENTIABLE
    assert not missing, f"ops without gradient cases: {sorted(missing)}"


@pytest.mark.parametrize("case", TABLE, ids=IDS)
def test_gradient_float64(case: OpCase) -> None:
    params = _params(case)
    weights = _weights(case.fn(ops, *params))
    check_grads(lambda p: ops.sum(_run(case, p) * weights), params)


@pytest.mark.parametrize("case", TABLE, ids=IDS)
def test_float32_stays_float32(case: OpCase) -> None:
    params = _params(case, np.float32)
    expected = case.fn(ops, *_params(case))
    seed = _weights(case.fn(ops, *params))
    value, grads = tp.backprop_with(lambda p: _run(case, p), params, seed)
    assert np.result_type(value) == np.float32, f"value is {np.result_type(value)}"
    assert np.shape(value) == np.shape(expected)
    for g, p in zip(grads, params, strict=True):
        assert type(g) is type(p), f"gradient is a {type(g).__name__}, not {type(p).__name__}"
        assert np.result_type(g) == np.float32, f"gradient is {np.result_type(g)}"
        assert np.shape(g) == np.shape(p)
    np.testing.assert_allclose(value, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "case", [c for c in TABLE if c.autograd], ids=[c.id for c in TABLE if c.autograd]
)
def test_against_autograd(case: OpCase) -> None:
    params = _params(case)
    seed = _weights(case.fn(ops, *params))
    value, grads = tp.backprop_with(lambda p: _run(case, p), params, seed)
    vjp, expected = autograd.make_vjp(lambda ps: case.fn(AG, *ps))(params)
    np.testing.assert_allclose(value, expected, rtol=1e-10, atol=1e-12)
    for g, e in zip(grads, vjp(seed), strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-8, atol=1e-10)


def test_every_case_left_out_of_the_autograd_comparison_says_why() -> None:
    unexplained = [c.id for c in TABLE if not c.autograd and not c.why]
    assert not unexplained, f"cases without a reason for autograd=False: {unexplained}"
