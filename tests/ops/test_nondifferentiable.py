"""The functions without gradients (`argmax`, `argmin`, the comparisons, `shape`, `ndim`,
`size`): values against numpy, plain results for BVars and plain values alike, nothing recorded
on the tape and the rest of the gradient unchanged, and errors word for word."""

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import typedprop as tp
from typedprop import ops

RNG = np.random.default_rng(7)
X = RNG.uniform(-1.0, 1.0, (2, 3, 4))

COMPARISONS: list[tuple[str, Callable[..., Any]]] = [
    ("equal", np.equal),
    ("not_equal", np.not_equal),
    ("less", np.less),
    ("less_equal", np.less_equal),
    ("greater", np.greater),
    ("greater_equal", np.greater_equal),
]


def _raises(message: str) -> Any:
    return pytest.raises(tp.CheckError, match=f"^{re.escape(message)}$")


# -- argmax, argmin -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize(
    ("axis", "keepdims"), [(None, False), (None, True), (0, False), (-1, False), (1, True)]
)
@pytest.mark.parametrize("wrap", [lambda x: x, tp.constant], ids=["plain", "bvar"])
def test_arg_reductions_match_numpy(
    name: str, axis: int | None, keepdims: bool, wrap: Callable[[Any], Any]
) -> None:
    got = getattr(ops, name)(wrap(X), axis=axis, keepdims=keepdims)
    expected = getattr(np, name)(X, axis=axis, keepdims=keepdims)
    if axis is None and not keepdims:
        assert type(got) is np.intp
    else:
        assert type(got) is np.ndarray and got.dtype == np.intp
    np.testing.assert_array_equal(got, expected)


def test_arg_reductions_of_numbers_and_vectors() -> None:
    assert ops.argmax(3.0) == 0
    assert ops.argmax(np.array([1.0, 3.0, 3.0])) == 1  # the first of a tie, as numpy
    assert ops.argmin(tp.constant(np.array([2.0, -1.0, 5.0]))) == 1


def test_arg_reduction_errors() -> None:
    with _raises("argmax: argument 'x' of shape (0,) is empty"):
        ops.argmax(np.zeros(0))
    with _raises("argmin: argument 'x' of shape (2, 0) is empty"):
        ops.argmin(tp.constant(np.zeros((2, 0))), axis=1)
    with pytest.raises(
        tp.CheckError,
        match=re.escape("argmax: axis 3 is out of range for argument 'x' of shape (2, 3, 4)"),
    ):
        ops.argmax(X, axis=3)
    with _raises("argmin: axis must be an int or None, got a tuple"):
        ops.argmin(X, axis=(0, 1))  # type: ignore[call-overload]  # numpy takes one axis
    with _raises("argmax: axis must be an int, a tuple of ints or None, got float"):
        ops.argmax(X, axis=1.0)  # type: ignore[call-overload]  # a float axis


# -- comparisons -------------------------------------------------------------------------------

PAIRS = [
    ("vec&vec", np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 1.0])),
    ("mat&vec", X[0], X[1, 0]),
    ("(2,1)&(1,4)", X[:, :1, 0], X[:1, 0, :]),
    ("stacked&scalar", X, 0.0),
    ("scalar&mat", 0.25, X[1]),
    ("0d&0d", np.array(1.0), np.array(1.0)),
]


@pytest.mark.parametrize(("name", "reference"), COMPARISONS, ids=[n for n, _ in COMPARISONS])
@pytest.mark.parametrize(("a", "b"), [(a, b) for _, a, b in PAIRS], ids=[n for n, _, _ in PAIRS])
@pytest.mark.parametrize(
    ("wrap_a", "wrap_b"),
    [
        (lambda v: v, lambda v: v),
        (tp.constant, lambda v: v),
        (lambda v: v, tp.constant),
        (tp.constant, tp.constant),
    ],
    ids=["plain", "bvar-plain", "plain-bvar", "bvar-bvar"],
)
def test_comparisons_match_numpy(
    name: str,
    reference: Callable[..., Any],
    a: Any,
    b: Any,
    wrap_a: Callable[[Any], Any],
    wrap_b: Callable[[Any], Any],
) -> None:
    got = getattr(ops, name)(wrap_a(a), wrap_b(b))
    expected = reference(a, b)
    assert type(got) is type(expected)  # np.bool_ for two scalars, an array otherwise
    assert np.result_type(got) == np.bool_
    np.testing.assert_array_equal(got, expected)


def test_comparing_two_numbers_gives_a_numpy_bool() -> None:
    assert ops.less(1.0, 2.0) is np.True_
    assert ops.equal(tp.constant(2.0), 2) is np.True_
    assert ops.greater(np.float32(1.0), tp.constant(2.0)) is np.False_


@pytest.mark.parametrize("name", [n for n, _ in COMPARISONS])
def test_comparison_shape_errors(name: str) -> None:
    message = (
        f"{name}: argument 'a' of shape (2, 3) and argument 'b' of shape (2,) do not "
        "broadcast together"
    )
    with _raises(message):
        getattr(ops, name)(np.zeros((2, 3)), np.zeros(2))
    with _raises(message):
        tp.grad(lambda v: (getattr(ops, name)(v, np.zeros(2)), ops.sum(v))[1], np.zeros((2, 3)))
    with tp.checks(False), _raises(message):
        getattr(ops, name)(np.zeros((2, 3)), tp.constant(np.zeros(2)))


# -- shape, ndim, size -------------------------------------------------------------------------


@pytest.mark.parametrize("x", [2.5, np.float32(1.0), np.array(3.0), np.zeros(4), X])
@pytest.mark.parametrize("wrap", [lambda x: x, tp.constant], ids=["plain", "bvar"])
def test_shape_ndim_size(x: Any, wrap: Callable[[Any], Any]) -> None:
    shape = ops.shape(wrap(x))
    assert shape == np.shape(x)
    assert type(shape) is tuple and all(type(n) is int for n in shape)
    assert ops.ndim(wrap(x)) == np.ndim(x) and type(ops.ndim(wrap(x))) is int
    assert ops.size(wrap(x)) == np.size(x) and type(ops.size(wrap(x))) is int


# -- inside backprop ---------------------------------------------------------------------------


def test_inside_backprop_nothing_is_recorded_and_the_gradient_is_unchanged() -> None:
    results: list[Any] = []

    def f(x: tp.BVar[Any]) -> tp.BVar[Any]:
        y = x * x
        tape = x._tape
        assert tape is not None
        recorded = len(tape.nodes)
        results.extend(
            [
                ops.argmax(y),
                ops.argmin(y, axis=0),
                *(getattr(ops, name)(y, x) for name, _ in COMPARISONS),
                ops.greater(0.5, y),
                ops.shape(y),
                ops.ndim(y),
                ops.size(y),
            ]
        )
        assert len(tape.nodes) == recorded  # nothing recorded
        return ops.sum(y)

    x = np.array([[0.5, -2.0], [1.5, 1.0]])
    value, g = tp.backprop(f, x)
    assert value == np.sum(x * x)
    np.testing.assert_array_equal(g, 2.0 * x)
    assert not any(isinstance(r, tp.BVar) for r in results)
    assert results[0] == 1 and list(results[1]) == [0, 1]


def test_their_results_are_constants_for_the_ops_that_take_them() -> None:
    def f(x: tp.BVar[Any]) -> tp.BVar[Any]:
        absolute = ops.where(ops.less(x, 0.0), -x, x)
        return ops.sum(absolute) + ops.take(x, ops.argmax(x)) * 10.0

    x = np.array([[1.0, -3.0, 2.0], [-1.0, 0.5, 0.25]])
    expected = np.sign(x)
    expected[0, 2] += 10.0  # the largest element, at flat index 2
    np.testing.assert_array_equal(tp.grad(f, x), expected)


def test_a_bvar_from_a_finished_backprop_is_refused() -> None:
    kept: list[tp.BVar[Any]] = []
    tp.grad(lambda v: kept.append(v) or ops.sum(v), np.zeros(2))
    with pytest.raises(tp.TapeError, match="has returned"):
        ops.argmax(kept[0])
    with pytest.raises(tp.TapeError, match="has returned"):
        ops.equal(1.0, kept[0])
