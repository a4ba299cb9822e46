"""The shape, indexing and non-differentiable families on other array libraries (PyTorch, JAX,
array-api-strict): the functions without gradients, which the op table does not run, and the
refusals where a library cannot do what an op needs or arrays of two libraries meet."""

import importlib
from typing import Any

import numpy as np
import pytest

import typedprop as tp
from typedprop import ops

LIBRARIES = ["array_api_strict", "torch", "jax"]
#: How the mixing errors name each library's arrays, with the article.
A = {"array_api_strict": "an array_api_strict", "torch": "a torch", "jax": "a jax"}


def _xp(name: str) -> Any:
    try:
        module = importlib.import_module(name)
    except ImportError:
        pytest.skip(f"{name} is not installed (pip install 'typedprop[backends]')")
    if name == "torch":
        return importlib.import_module("array_api_compat.torch")
    if name == "jax":
        return importlib.import_module("jax.numpy")
    return module


def _numpy(x: Any) -> Any:
    if type(x).__module__.startswith("torch"):
        return x.detach().cpu().numpy()
    return np.asarray(x)


X = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])


@pytest.mark.parametrize("name", LIBRARIES)
@pytest.mark.parametrize("op", ["argmax", "argmin"])
@pytest.mark.parametrize("axis", [None, 0, -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_arg_reductions(name: str, op: str, axis: int | None, keepdims: bool) -> None:
    xp = _xp(name)
    x = xp.asarray(X)
    got = getattr(ops, op)(x, axis=axis, keepdims=keepdims)
    assert type(got) is type(x)
    expected = getattr(np, op)(X, axis=axis, keepdims=keepdims)
    np.testing.assert_array_equal(_numpy(got), expected)
    # A BVar is read through its value.
    bvar = getattr(ops, op)(tp.constant(x), axis=axis, keepdims=keepdims)
    np.testing.assert_array_equal(_numpy(bvar), expected)


@pytest.mark.parametrize("name", LIBRARIES)
def test_arg_reduction_of_an_empty_array(name: str) -> None:
    xp = _xp(name)
    with pytest.raises(tp.CheckError, match=r"argmax: argument 'x' of shape \(0,\) is empty"):
        ops.argmax(xp.zeros((0,)))


COMPARISONS = ["equal", "not_equal", "less", "less_equal", "greater", "greater_equal"]


@pytest.mark.parametrize("name", LIBRARIES)
@pytest.mark.parametrize("op", COMPARISONS)
def test_comparisons(name: str, op: str) -> None:
    xp = _xp(name)
    a, b = np.array([[1.0], [3.0]]), np.array([1.0, 2.0, 3.0])
    expected = getattr(np, op)(a, b)
    f = getattr(ops, op)
    for got in (
        f(xp.asarray(a), xp.asarray(b)),
        f(tp.constant(xp.asarray(a)), xp.asarray(b)),
    ):
        assert type(got) is type(xp.asarray(a))
        np.testing.assert_array_equal(_numpy(got), expected)
    np.testing.assert_array_equal(_numpy(f(xp.asarray(b), 2.0)), getattr(np, op)(b, 2.0))
    np.testing.assert_array_equal(_numpy(f(2.0, xp.asarray(b))), getattr(np, op)(2.0, b))


@pytest.mark.parametrize("name", LIBRARIES)
def test_comparison_shapes_that_do_not_broadcast(name: str) -> None:
    xp = _xp(name)
    with pytest.raises(tp.CheckError, match=r"less: argument 'a' of shape \(2,\) and argument"):
        ops.less(xp.zeros((2,)), xp.zeros((3,)))


@pytest.mark.parametrize("name", LIBRARIES)
def test_comparison_refuses_numpy_with_another_library(name: str) -> None:
    xp = _xp(name)
    with pytest.raises(
        tp.CheckError,
        match=f"greater: argument 'b' is a numpy array but the other is {A[name]} array",
    ):
        ops.greater(xp.zeros(3), np.zeros(3))


@pytest.mark.parametrize("name", LIBRARIES)
def test_shape_ndim_size(name: str) -> None:
    xp = _xp(name)
    x = xp.zeros((2, 3))
    for v in (x, tp.constant(x)):
        assert ops.shape(v) == (2, 3) and type(ops.shape(v)[0]) is int
        assert ops.ndim(v) == 2 and type(ops.ndim(v)) is int
        assert ops.size(v) == 6 and type(ops.size(v)) is int
    assert ops.size(xp.zeros(())) == 1


# Keys that array-api-strict cannot index with: integer arrays beside slices, masks beside
# other entries.
STRICT_REFUSED = [
    (np.s_[1:, [3, 0, 3]], (3, 4)),
    (np.s_[[True, False, True], 1:3], (3, 4)),
    (np.s_[..., [True, False, True, True]], (2, 3, 4)),
]


@pytest.mark.parametrize(("key", "shape"), STRICT_REFUSED)
def test_getitem_keys_that_array_api_strict_refuses(key: Any, shape: tuple[int, ...]) -> None:
    xp = _xp("array_api_strict")
    key = tuple(xp.asarray(e) if isinstance(e, list) else e for e in key)
    with pytest.raises(
        tp.CheckError, match="getitem: this key is not available for array_api_strict arrays"
    ):
        ops.getitem(xp.ones(shape), key)


@pytest.mark.parametrize("name", LIBRARIES)
def test_getitem_refuses_a_numpy_key(name: str) -> None:
    xp = _xp(name)
    with pytest.raises(
        tp.CheckError,
        match=f"getitem: the key is a numpy array but argument 'x' is {A[name]} array",
    ):
        ops.getitem(xp.ones(3), np.array([0, 1]))


@pytest.mark.parametrize("name", LIBRARIES)
def test_getitem_out_of_bounds(name: str) -> None:
    xp = _xp(name)
    with pytest.raises(tp.CheckError, match="getitem: .*out of bounds"):
        ops.getitem(xp.ones((2, 3)), (1, 5))
    with pytest.raises(tp.CheckError, match="getitem: .*out of bounds"):
        ops.getitem(xp.ones(3), xp.asarray([0, 3]))


KEYS = [
    (slice(None, None, -1), slice(3, 0, -2)),
    (-1, [3, 3, 1]),
    (slice(None, None, -1), [3, 3, 1]),  # not for array-api-strict (an array beside a slice)
]


@pytest.mark.parametrize("name", LIBRARIES)
@pytest.mark.parametrize("key", KEYS)
def test_getitem_negative_steps_and_lists(name: str, key: Any) -> None:
    xp = _xp(name)
    if name == "array_api_strict" and key == KEYS[2]:
        pytest.skip("array-api-strict refuses an integer array beside a slice")
    data = np.arange(12.0).reshape(3, 4)
    seed = np.arange(data[key].size, dtype=np.float64).reshape(data[key].shape)
    expected = np.zeros_like(data)
    np.add.at(expected, key, seed)
    x = xp.asarray(data)
    out, g = tp.backprop_with(lambda v: ops.getitem(v, key), x, xp.asarray(seed))
    np.testing.assert_array_equal(_numpy(out), data[key])
    np.testing.assert_array_equal(_numpy(g), expected)


@pytest.mark.parametrize("name", LIBRARIES)
def test_take_refuses_numpy_indices_and_checks_bounds(name: str) -> None:
    xp = _xp(name)
    with pytest.raises(
        tp.CheckError, match=f"take: indices is a numpy array but argument 'x' is {A[name]} array"
    ):
        ops.take(xp.ones(3), np.array([0]))
    with pytest.raises(tp.CheckError, match=r"take: index 3 is out of bounds for axis 0 of"):
        ops.take(xp.ones((3, 2)), xp.asarray([0, 3]), axis=0)


@pytest.mark.parametrize("name", LIBRARIES)
def test_where_refuses_a_numpy_condition(name: str) -> None:
    xp = _xp(name)
    with pytest.raises(
        tp.CheckError,
        match=(
            f"where: argument 'condition' is a numpy array but another argument is {A[name]} array"
        ),
    ):
        ops.where(np.array([True, False]), xp.ones(2), 0.0)


@pytest.mark.parametrize("name", LIBRARIES)
def test_pad_refuses_an_array_of_constants(name: str) -> None:
    xp = _xp(name)
    with pytest.raises(tp.CheckError, match=f"pad: constant_values must be .* for {name} arrays"):
        ops.pad(xp.ones(2), 1, constant_values=xp.ones(2))
