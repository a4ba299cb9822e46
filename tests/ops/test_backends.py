"""The op table on every array library installed: each case of `tests/opcases` run on PyTorch
(CPU), JAX (CPU) and array-api-strict arrays, its value and gradients compared with numpy's
(1e-10 relative in float64, 1e-5 in float32), and its gradients checked to be arrays of the
parameters' own library, dtype and shape.

A case's constants (clip bounds, labels, index arrays, conditions) are numpy arrays: the cases'
namespace here converts every numpy array an op is given to the library under test, as a user
of that library would have built them.

JAX computes in float32 unless its 64-bit mode is on, a setting of the whole process: its
float64 cases run in a process of their own (`test_jax_float64_in_its_own_process`), which sets
`JAX_ENABLE_X64` and runs this module's JAX cases.
"""

import importlib
import os
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

import typedprop as tp
from typedprop import ops

from .test_table import NOT_DIFFERENTIABLE, _params, _weights
from opcases import TABLE, OpCase

# The libraries to test, each skipped (saying why) where it is not installed.
LIBRARIES = ["array_api_strict", "torch", "jax"]

X64 = os.environ.get("JAX_ENABLE_X64", "") not in ("", "0", "false", "False")


def _library(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        pytest.skip(f"{name} is not installed (pip install 'typedprop[backends]')")


def to_library(name: str, x: Any) -> Any:
    """The numpy array or scalar `x` as an array of the library `name`, of the same dtype;
    Python numbers and other values unchanged, tuples and lists converted item by item."""
    if isinstance(x, tuple | list):
        return type(x)(to_library(name, v) for v in x)
    if isinstance(x, np.generic):
        x = np.asarray(x)  # a numpy scalar: the library's 0-d array
    if not isinstance(x, np.ndarray):
        return x
    if name == "array_api_strict" and x.dtype == np.float16:
        # The table's float16 constants (which promote neither float32 nor float64 inputs):
        # array-api-strict has no float16, and float32 promotes neither either.
        x = x.astype(np.float32)
    if name == "torch":
        torch = _library("torch")
        return torch.asarray(x.copy())
    if name == "jax":
        return _library("jax.numpy").asarray(x)
    return _library(name).asarray(x)


def to_numpy(x: Any) -> Any:
    """An array of any library as a numpy array (numbers unchanged)."""
    if isinstance(x, int | float | np.ndarray | np.generic):
        return x
    if type(x).__module__.startswith("torch"):
        return x.detach().cpu().numpy()
    if type(x).__module__.startswith("array_api_strict"):
        return np.asarray(x)
    return np.asarray(x)


class _Converting:
    """The op namespace with every numpy array argument converted to the library `name`."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, op: str) -> Any:
        f = getattr(ops, op)
        name = self._name

        def call(*args: Any, **kwargs: Any) -> Any:
            args = tuple(to_library(name, a) for a in args)
            kwargs = {k: to_library(name, v) for k, v in kwargs.items()}
            return f(*args, **kwargs)

        return call


CASES = [c for c in TABLE if c.op not in NOT_DIFFERENTIABLE]

# Keys that array-api-strict refuses, as the array API standard does not specify them (integer
# arrays beside slices or with other integer arrays, a mask beside other indices): getitem
# refuses them on it with a CheckError (tests/ops/test_backends_shape.py tests the message).
REFUSED_BY_STRICT = {
    "getitem-mat-repeated-rows",
    "getitem-mat-slice-and-array",
    "getitem-stacked-slice-array-slice",
    "getitem-stacked-2d-int-array",
    "getitem-mat-row-mask-and-slice",
    "getitem-stacked-mask-last",
    "getitem-stacked-separated-arrays",
}


def _check(case: OpCase, name: str, dtype: type) -> None:
    if name == "array_api_strict" and case.id in REFUSED_BY_STRICT:
        x = to_library(name, _params(case, dtype)[0])
        with pytest.raises(tp.CheckError, match="is not available for array_api_strict arrays"):
            case.fn(_Converting(name), x)
        return
    m = _Converting(name)
    params = _params(case, dtype)
    expected_value = case.fn(ops, *params)
    seed = _weights(expected_value)
    expected, expected_grads = tp.backprop_with(lambda p: case.fn(ops, *p.unpack()), params, seed)
    theirs = tuple(to_library(name, p) for p in params)
    if not isinstance(case.fn(m, *theirs), float | np.ndarray | np.generic):
        seed = to_library(name, np.asarray(seed))  # an array of the library, 0-d for a scalar
    value, grads = tp.backprop_with(lambda p: case.fn(m, *p.unpack()), theirs, seed)
    rtol, atol = (1e-10, 1e-12) if dtype is np.float64 else (1e-5, 1e-6)
    np.testing.assert_allclose(to_numpy(value), expected, rtol=rtol, atol=atol)
    for g, p, e in zip(grads, theirs, expected_grads, strict=True):
        assert type(g) is type(p), f"gradient is a {type(g).__name__}, not {type(p).__name__}"
        if not isinstance(p, float | np.generic):
            assert g.dtype == p.dtype, f"gradient's dtype is {g.dtype}, not {p.dtype}"
            assert tuple(g.shape) == tuple(p.shape)
        np.testing.assert_allclose(to_numpy(g), e, rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", LIBRARIES)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_float64(case: OpCase, name: str) -> None:
    _library(name)
    if name == "jax" and not X64:
        pytest.skip("JAX's float64 runs in its own process (test_jax_float64_in_its_own_process)")
    _check(case, name, np.float64)


@pytest.mark.parametrize("name", LIBRARIES)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_float32(case: OpCase, name: str) -> None:
    _library(name)
    _check(case, name, np.float32)


def run_jax_cases_with_x64(path: str) -> None:
    """Run the JAX cases of the test module at `path` in a process of their own with JAX's
    64-bit mode on (a setting of the whole process), and assert that they pass."""
    if X64:
        pytest.skip("this process is the one with JAX's 64-bit mode on")
    _library("jax")
    env = {**os.environ, "JAX_ENABLE_X64": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", path, "-k", "jax"],
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and " failed" not in run.stdout, run.stdout[-2000:]


def test_jax_float64_in_its_own_process() -> None:
    run_jax_cases_with_x64(__file__)
