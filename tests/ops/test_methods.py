"""BVar's numpy-style methods are the ops of typedprop.ops: same values, same gradients; numpy's
own reductions (`np.sum(x)`) call them; indexing is for arrays only."""

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import typedprop as tp
from typedprop import ops

X = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]])

PAIRS: list[tuple[str, Callable[[Any], Any], Callable[[Any], Any]]] = [
    ("sum", lambda x: x.sum(), lambda x: ops.sum(x)),
    ("sum-axis", lambda x: x.sum(axis=0), lambda x: ops.sum(x, axis=0)),
    ("mean-keepdims", lambda x: x.mean(1, keepdims=True), lambda x: ops.mean(x, 1, True)),
    ("max", lambda x: x.max(axis=1), lambda x: ops.max(x, axis=1)),
    ("min", lambda x: x.min(), lambda x: ops.min(x)),
    ("prod", lambda x: x.prod(axis=0), lambda x: ops.prod(x, axis=0)),
    ("var", lambda x: x.var(axis=1, ddof=1), lambda x: ops.var(x, axis=1, ddof=1)),
    ("std", lambda x: x.std(), lambda x: ops.std(x)),
    ("reshape-ints", lambda x: x.reshape(3, 2), lambda x: ops.reshape(x, (3, 2))),
    ("reshape-tuple", lambda x: x.reshape((6,)), lambda x: ops.reshape(x, 6)),
    ("ravel", lambda x: x.ravel(), lambda x: ops.ravel(x)),
    ("squeeze", lambda x: x[None].squeeze(0), lambda x: ops.squeeze(ops.getitem(x, None), 0)),
    ("T", lambda x: x.T, lambda x: ops.transpose(x)),
    (
        "transpose",
        lambda x: x[None].transpose(2, 0, 1),
        lambda x: ops.transpose(x[None], (2, 0, 1)),
    ),
    ("clip", lambda x: x.clip(-1.5, 2.0), lambda x: ops.clip(x, -1.5, 2.0)),
    ("abs", lambda x: abs(x), lambda x: ops.abs(x)),
    ("getitem", lambda x: x[1, ::-1], lambda x: ops.getitem(x, (1, slice(None, None, -1)))),
    ("np.sum", lambda x: np.sum(x, axis=1), lambda x: ops.sum(x, axis=1)),
    ("np.mean", lambda x: np.mean(x), lambda x: ops.mean(x)),
    ("np.max", lambda x: np.max(x, axis=0), lambda x: ops.max(x, axis=0)),
    ("np.std", lambda x: np.std(x, ddof=1), lambda x: ops.std(x, ddof=1)),
]


@pytest.mark.parametrize(("method", "op"), [p[1:] for p in PAIRS], ids=[p[0] for p in PAIRS])
def test_method_is_the_op(method: Callable[[Any], Any], op: Callable[[Any], Any]) -> None:
    w = np.random.default_rng(0).uniform(0.5, 1.5, np.shape(op(X)))
    got = tp.backprop(lambda x: ops.sum(method(x) * w), X)
    expected = tp.backprop(lambda x: ops.sum(op(x) * w), X)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])


def test_shape_queries_are_plain() -> None:
    def f(x: tp.BVar[tp.Mat]) -> tp.BVar[float]:
        assert (x.shape, x.ndim, x.size) == ((2, 3), 2, 6)
        assert int(x.argmax()) == 4 and x.argmin(axis=1).tolist() == [1, 2]
        return x.sum()

    tp.grad(f, X)
    assert tp.constant(2.0).shape == () and tp.constant(2.0).size == 1


def test_indexing_a_structure_says_to_unpack() -> None:
    p = tp.constant((1.0, 2.0))
    with pytest.raises(
        tp.CheckError,
        match=re.escape(
            "getitem: indexing is for arrays, and this BVar holds a tuple: take a structure "
            "apart with unpack() or view()"
        ),
    ):
        p[0]  # type: ignore[index]  # the point of the test


def test_numpy_arguments_a_bvar_cannot_honour_are_refused() -> None:
    with pytest.raises(tp.CheckError, match="mean: argument 'dtype' is not supported on a BVar"):
        np.mean(tp.constant(X), dtype=np.float32)
    with pytest.raises(tp.CheckError, match="max: argument 'initial' is not supported on a BVar"):
        np.max(tp.constant(X), initial=0.0)
