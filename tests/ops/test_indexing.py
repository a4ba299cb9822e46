"""The indexing family (`getitem`, `take`, `where`) beyond the op table: error messages word for
word, gradients of repeated indices against gradients worked out by hand, float32, plain inputs
giving plain outputs, and constants (keys, conditions) that are refused as BVars or copied."""

import re
from typing import Any

import numpy as np
import pytest

import typedprop as tp
from typedprop import ops
from typedprop.testing import check_grads

X23 = np.arange(6.0).reshape(2, 3)


def _raises(message: str) -> Any:
    return pytest.raises(tp.CheckError, match=f"^{re.escape(message)}$")


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "key", "message"),
    [
        (
            np.zeros(3),
            5,
            "getitem: index 5 is out of bounds for axis 0 of argument 'x' of shape (3,)",
        ),
        (
            np.zeros(3),
            -4,
            "getitem: index -4 is out of bounds for axis 0 of argument 'x' of shape (3,)",
        ),
        (
            X23,
            (slice(None), np.array([0, 3])),
            "getitem: index 3 is out of bounds for axis 1 of argument 'x' of shape (2, 3)",
        ),
        (
            X23,
            (None, 2),
            "getitem: index 2 is out of bounds for axis 0 of argument 'x' of shape (2, 3)",
        ),
        (
            X23,
            np.array([True, False, True]),
            "getitem: boolean mask of shape (3,) does not match argument 'x' of shape (2, 3): "
            "axis 0 has size 2, the mask 3",
        ),
        (
            X23,
            (Ellipsis, np.array([True, False])),
            "getitem: boolean mask of shape (2,) does not match argument 'x' of shape (2, 3): "
            "axis 1 has size 3, the mask 2",
        ),
        (
            np.zeros(3),
            (0, 0),
            "getitem: too many indices for argument 'x' of shape (3,): it has 1 axis, "
            "but 2 were indexed",
        ),
        (
            X23,
            ([0, 1], [0, 1, 2]),
            "getitem: the key cannot index argument 'x' of shape (2, 3): shape mismatch: "
            "indexing arrays could not be broadcast together with shapes (2,) (3,)",
        ),
        (
            X23,
            1.5,
            "getitem: the key cannot index argument 'x' of shape (2, 3): only integers, slices "
            "(`:`), ellipsis (`...`), numpy.newaxis (`None`) and integer or boolean arrays are "
            "valid indices",
        ),
    ],
    ids=[
        "out-of-bounds",
        "negative-out-of-bounds",
        "array-out-of-bounds",
        "newaxis-out-of-bounds",
        "mask-shape",
        "mask-after-ellipsis",
        "too-many",
        "arrays-not-broadcasting",
        "float-key",
    ],
)
def test_getitem_errors(x: Any, key: Any, message: str) -> None:
    with _raises(message):
        ops.getitem(x, key)
    # The same error on a BVar inside backprop, and with the jaxtyping checks off.
    with _raises(message):
        tp.grad(lambda v: ops.sum(ops.getitem(v, key)), x)
    with tp.checks(False), _raises(message):
        ops.getitem(tp.constant(x), key)


def test_getitem_refuses_a_bvar_key_and_a_number() -> None:
    message = (
        "getitem: the key is a BVar, but indices are not differentiable: pass its plain value "
        "(.value)"
    )
    with _raises(message):
        ops.getitem(X23, tp.constant(np.array([0, 1])))
    with _raises(message):
        ops.getitem(X23, (slice(None), tp.constant(1)))
    with _raises("getitem: argument 'x' must be an array, got float"):
        ops.getitem(2.0, ())


@pytest.mark.parametrize(
    ("indices", "axis", "message"),
    [
        (
            [0, 6],
            None,
            "take: index 6 is out of bounds for argument 'x' of shape (2, 3) flattened (size 6)",
        ),
        (
            np.array([[1, -7], [9, 0]]),
            None,
            "take: index -7 is out of bounds for argument 'x' of shape (2, 3) flattened (size 6)",
        ),
        (
            [1, 3],
            1,
            "take: index 3 is out of bounds for axis 1 of argument 'x' of shape (2, 3)",
        ),
        (2, 0, "take: index 2 is out of bounds for axis 0 of argument 'x' of shape (2, 3)"),
        ([0.5], None, "take: indices must be integers, got dtype float64"),
        (np.array([True]), 0, "take: indices must be integers, got dtype bool"),
    ],
    ids=["flat", "flat-negative", "axis", "one-index", "float", "bool"],
)
def test_take_errors(indices: Any, axis: int | None, message: str) -> None:
    with _raises(message):
        ops.take(X23, indices, axis=axis)
    with tp.checks(False), _raises(message):
        tp.grad(lambda v: ops.sum(ops.take(v, indices, axis=axis)), X23)


def test_take_axis_out_of_range() -> None:
    with pytest.raises(
        tp.CheckError,
        match=re.escape("take: axis 2 is out of range for argument 'x' of shape (2, 3)"),
    ):
        ops.take(X23, [0], axis=2)
    with _raises(
        "take: indices is a BVar, but indices are not differentiable: pass its plain value (.value)"
    ):
        ops.take(X23, tp.constant(np.array([0])))


def test_axis_error_says_axes() -> None:
    with _raises("take: axis 2 is out of range for argument 'x' of shape (2, 3) (2 axes)"):
        ops.take(X23, [0], axis=2)


@pytest.mark.parametrize(
    ("cond", "a", "b", "message"),
    [
        (
            np.array([True, False]),
            np.zeros((2, 3)),
            1.0,
            "where: argument 'condition' of shape (2,) and argument 'a' of shape (2, 3) and "
            "argument 'b' of shape () do not broadcast together",
        ),
        (
            np.array([True, False, True]),
            np.zeros(3),
            np.zeros((4, 2)),
            "where: argument 'condition' of shape (3,) and argument 'a' of shape (3,) and "
            "argument 'b' of shape (4, 2) do not broadcast together",
        ),
    ],
    ids=["condition", "branches"],
)
def test_where_shape_errors(cond: Any, a: Any, b: Any, message: str) -> None:
    with _raises(message):
        ops.where(cond, a, b)
    with tp.checks(False), _raises(message):
        tp.grad(lambda v: ops.sum(ops.where(cond, v, b)), a)


def test_where_refuses_a_bvar_condition() -> None:
    message = (
        "where: the condition is a BVar, but a condition is not differentiable: pass its plain "
        "value (cond.value) or a comparison's plain result (ops.greater(x, 0.0))"
    )
    with _raises(message):
        tp.grad(lambda v: ops.sum(ops.where(v, v, 0.0)), np.array([1.0, -1.0]))
    with _raises(message):
        ops.where(tp.constant(np.array([True])), np.zeros(1), 1.0)


@pytest.mark.parametrize(
    ("cond", "got"),
    [
        (np.array([1.0, 0.0]), "an array of dtype float64"),
        (1, "a value of type int"),
        ([True, False], "a value of type list"),
    ],
    ids=["float-array", "int", "list"],
)
def test_where_refuses_a_condition_that_is_not_boolean(cond: Any, got: str) -> None:
    with _raises(
        f"where: argument 'condition' must be a boolean array or a bool, got {got}; "
        "compare first (ops.greater(x, 0.0))"
    ):
        ops.where(cond, np.zeros(2), 1.0)


# -- repeated indices: gradients add up --------------------------------------------------------


def test_getitem_repeated_indices_add_up() -> None:
    x = np.array([10.0, 20.0, 30.0, 40.0])
    seed = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    value, g = tp.backprop_with(lambda v: ops.getitem(v, [0, 2, 0, 0, 3]), x, seed)
    np.testing.assert_array_equal(value, [10.0, 30.0, 10.0, 10.0, 40.0])
    # x[0] is picked at positions 0, 2 and 3; x[1] never.
    np.testing.assert_array_equal(g, [1.0 + 4.0 + 8.0, 0.0, 2.0, 16.0])


def test_getitem_repeated_pairs_and_a_slice_add_up() -> None:
    seed = np.array([[1.0, 2.0, 4.0], [8.0, 16.0, 32.0]])
    # Rows 1: and columns [2, 0, 2]: x[1, 2] is picked twice per row.
    _, g = tp.backprop_with(lambda v: ops.getitem(v, (slice(None), [2, 0, 2])), X23, seed)
    np.testing.assert_array_equal(g, [[2.0, 0.0, 1.0 + 4.0], [16.0, 0.0, 8.0 + 32.0]])
    # Index pairs (1, 1), (0, 2), (1, 1): element (1, 1) twice.
    _, g = tp.backprop_with(
        lambda v: ops.getitem(v, (np.array([1, 0, 1]), np.array([1, 2, 1]))),
        X23,
        np.array([1.0, 2.0, 4.0]),
    )
    np.testing.assert_array_equal(g, [[0.0, 0.0, 2.0], [0.0, 5.0, 0.0]])


def test_take_repeated_indices_add_up() -> None:
    _, g = tp.backprop_with(lambda v: ops.take(v, [5, -1, 0]), X23, np.array([1.0, 2.0, 4.0]))
    np.testing.assert_array_equal(g, [[4.0, 0.0, 0.0], [0.0, 0.0, 3.0]])
    seed = np.array([[1.0, 2.0], [4.0, 8.0]])
    _, g = tp.backprop_with(lambda v: ops.take(v, [1, 1], axis=1), X23, seed)
    np.testing.assert_array_equal(g, [[0.0, 3.0, 0.0], [0.0, 12.0, 0.0]])


def test_a_key_changed_after_the_call_does_not_change_the_gradient() -> None:
    def f(v: tp.BVar[Any]) -> tp.BVar[Any]:
        key = np.array([0, 0])
        mask = np.array([True, False, False])
        out = ops.getitem(v, key) @ np.array([1.0, 1.0]) + ops.sum(ops.getitem(v, mask))
        key[:] = 2
        mask[:] = True
        return out

    np.testing.assert_array_equal(tp.grad(f, np.array([1.0, 2.0, 3.0])), [3.0, 0.0, 0.0])


# -- dtypes, plain values, numpy's scalars -----------------------------------------------------


@pytest.mark.parametrize(
    "f",
    [
        lambda v: ops.getitem(v, (slice(None, None, -1), [0, 0])),
        lambda v: ops.getitem(v, v.value > 2.0),
        lambda v: ops.getitem(v, (1, 2)),
        lambda v: ops.take(v, [4, 4, 1]),
        lambda v: ops.where(v.value > 2.0, v, 0.5),
        lambda v: ops.where(np.array([True, False, True]), 2.0, v),
    ],
    ids=["getitem", "getitem-mask", "getitem-scalar", "take", "where", "where-scalar-branch"],
)
def test_float32_stays_float32(f: Any) -> None:
    x = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    seed = np.ones_like(np.asarray(f(tp.constant(x)).value))
    value, g = tp.backprop_with(f, x, seed[()] if seed.ndim == 0 else seed)
    assert np.result_type(value) == np.float32
    assert g.dtype == np.float32 and g.shape == x.shape


def test_plain_inputs_give_plain_outputs() -> None:
    out = ops.getitem(X23, (slice(None), [0, 0]))
    assert type(out) is np.ndarray
    np.testing.assert_array_equal(out, X23[:, [0, 0]])
    assert type(ops.getitem(X23, (1, 2))) is np.float64  # as numpy: integers give a scalar
    assert type(ops.take(X23, [1, 2], axis=1)) is np.ndarray
    assert type(ops.take(X23, 4)) is np.float64
    cond = X23 > 2.0
    out = ops.where(cond, X23, -1.0)
    assert type(out) is np.ndarray
    np.testing.assert_array_equal(out, np.where(cond, X23, -1.0))
    assert type(ops.where(True, 1.0, 2.0)) is np.float64
    # A BVar on either side makes the result a BVar.
    assert type(ops.where(cond, X23, tp.constant(-1.0))) is tp.BVar
    assert type(ops.getitem(tp.constant(X23), 0)) is tp.BVar


def test_where_gradients_go_to_the_chosen_branch() -> None:
    cond = np.array([[True, False, True], [False, False, True]])

    def f(p: tp.BVar[tuple[Any, Any]]) -> tp.BVar[Any]:
        a, b = p.unpack()
        return ops.where(cond, a, b)

    seed = np.array([[1.0, 2.0, 4.0], [8.0, 16.0, 32.0]])
    _, (ga, gb) = tp.backprop_with(f, (np.zeros(3), np.zeros((2, 1))), seed)
    np.testing.assert_array_equal(ga, [1.0, 0.0, 4.0 + 32.0])  # summed over the broadcast rows
    np.testing.assert_array_equal(gb, [[2.0], [8.0 + 16.0]])


def test_numpy_scalars_index_like_0d_arrays() -> None:
    g = tp.grad(lambda s: ops.getitem(s, ()) * 3.0, np.float64(2.0))
    assert type(g) is np.float64 and g == 3.0
    check_grads(lambda s: ops.sum(ops.getitem(s, None) * s), np.array(1.5))


def test_check_grads_evaluates_0d_parameters_as_arrays() -> None:
    seen: list[type] = []

    def f(x: tp.BVar[Any]) -> tp.BVar[Any]:
        seen.append(type(x.value))
        return x * x

    check_grads(f, np.array(1.5))
    assert set(seen) == {np.ndarray}
