"""The shape family (`typedprop.ops._shape`) beyond the op table: the errors for bad shapes and
arguments, word for word, with runtime checks on and off; float32 through joins and splits;
the gradient of a split whose pieces are partly used; plain inputs giving what numpy gives.
Gradients over the shape sweeps are checked in `tests/ops/test_table.py` (cases in
`tests/opcases/shape.py`)."""

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import typedprop as tp
from typedprop import ops


def _z(*shape: int) -> Any:
    return np.zeros(shape)


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------

ERRORS: list[tuple[str, Callable[[], Any], str]] = [
    (
        "reshape-size",
        lambda: ops.reshape(_z(2, 3), (4, 2)),
        "reshape: cannot reshape argument 'x' of shape (2, 3) (6 elements) to (4, 2) (8 elements)",
    ),
    (
        "reshape-size-int",
        lambda: ops.reshape(_z(2, 3), 5),
        "reshape: cannot reshape argument 'x' of shape (2, 3) (6 elements) to (5,) (5 elements)",
    ),
    (
        "reshape-infer",
        lambda: ops.reshape(_z(2, 3), (4, -1)),
        "reshape: cannot reshape argument 'x' of shape (2, 3) (6 elements) to (4, -1) "
        "(a multiple of 4 elements)",
    ),
    (
        "reshape-infer-next-to-zero",
        lambda: ops.reshape(_z(2, 3), (0, -1)),
        "reshape: cannot reshape argument 'x' of shape (2, 3) (6 elements) to (0, -1) "
        "(-1 next to a zero length)",
    ),
    (
        "reshape-two-unknowns",
        lambda: ops.reshape(_z(2, 3), (-1, -1)),
        "reshape: shape (-1, -1) may have one -1 (a length to infer) and no other negative length",
    ),
    (
        "reshape-negative",
        lambda: ops.reshape(_z(2, 3), (2, -3)),
        "reshape: shape (2, -3) may have one -1 (a length to infer) and no other negative length",
    ),
    (
        "reshape-not-ints",
        lambda: ops.reshape(_z(2, 3), (2.0, 3.0)),
        "reshape: shape must be an int or a sequence of ints, got (2.0, 3.0)",
    ),
    (
        "concatenate-shapes",
        lambda: ops.concatenate([_z(2, 3), _z(2, 4)]),
        "concatenate: argument 'xs[1]' of shape (2, 4) does not match argument 'xs[0]' of "
        "shape (2, 3) along axis 1",
    ),
    (
        "concatenate-shapes-third",
        lambda: ops.concatenate([_z(2, 3), _z(2, 1), _z(3, 4)], axis=-1),
        "concatenate: argument 'xs[2]' of shape (3, 4) does not match argument 'xs[0]' of "
        "shape (2, 3) along axis 0",
    ),
    (
        "concatenate-ranks",
        lambda: ops.concatenate([_z(2, 3), _z(3)]),
        "concatenate: argument 'xs[1]' of shape (3,) has 1 axis, but argument 'xs[0]' of "
        "shape (2, 3) has 2",
    ),
    (
        "concatenate-0d",
        lambda: ops.concatenate([_z(), _z()]),
        "concatenate: argument 'xs[0]' of shape () has no axis to join along (stack joins "
        "along a new axis)",
    ),
    (
        "concatenate-empty",
        lambda: ops.concatenate([]),
        "concatenate: argument 'xs' is empty: there is nothing to join",
    ),
    (
        "concatenate-axis",
        lambda: ops.concatenate([_z(2, 3), _z(2, 3)], axis=2),
        "concatenate: axis 2 is out of range for argument 'xs[0]' of shape (2, 3) (2 axes)",
    ),
    (
        "stack-shapes",
        lambda: ops.stack([_z(2, 3), _z(2, 3), _z(2, 4)]),
        "stack: argument 'xs[2]' of shape (2, 4) does not match argument 'xs[0]' of shape "
        "(2, 3) (stacked arrays must have one shape)",
    ),
    (
        "stack-empty",
        lambda: ops.stack([]),
        "stack: argument 'xs' is empty: there is nothing to join",
    ),
    (
        "stack-axis",
        lambda: ops.stack([_z(2, 3), _z(2, 3)], axis=3),
        "stack: axis 3 is out of range for a result of 3 axes (argument 'xs[0]' of shape "
        "(2, 3) with 1 axis added)",
    ),
    (
        "stack-axis-negative",
        lambda: ops.stack([_z(2, 3), _z(2, 3)], axis=-4),
        "stack: axis -4 is out of range for a result of 3 axes (argument 'xs[0]' of shape "
        "(2, 3) with 1 axis added)",
    ),
    (
        "split-unequal",
        lambda: ops.split(_z(2, 5), 2, axis=1),
        "split: argument 'x' of shape (2, 5) does not split into 2 equal sections along "
        "axis 1 (length 5)",
    ),
    (
        "split-zero-sections",
        lambda: ops.split(_z(4), 0),
        "split: indices_or_sections must be a positive number of sections, got 0",
    ),
    (
        "split-axis",
        lambda: ops.split(_z(2, 4), 2, axis=-3),
        "split: axis -3 is out of range for argument 'x' of shape (2, 4) (2 axes)",
    ),
    (
        "split-axis-none",
        lambda: ops.split(_z(2, 4), 2, axis=None),
        "split: axis must be an int, got None",
    ),
    (
        "split-0d",
        lambda: ops.split(_z(), 1),
        "split: axis 0 is out of range for argument 'x' of shape () (0 axes)",
    ),
    (
        "split-not-ints",
        lambda: ops.split(_z(4), 2.5),
        "split: indices_or_sections must be an int or a sequence of ints, got 2.5",
    ),
    (
        "squeeze-length",
        lambda: ops.squeeze(_z(2, 1, 3), axis=(1, 2)),
        "squeeze: axis 2 of argument 'x' of shape (2, 1, 3) has length 3, not 1",
    ),
    (
        "squeeze-axis",
        lambda: ops.squeeze(_z(2, 1), axis=2),
        "squeeze: axis 2 is out of range for argument 'x' of shape (2, 1) (2 axes)",
    ),
    (
        "expand_dims-axis",
        lambda: ops.expand_dims(_z(2, 3), 3),
        "expand_dims: axis 3 is out of range for a result of 3 axes (argument 'x' of shape "
        "(2, 3) with 1 axis added)",
    ),
    (
        "expand_dims-axes",
        lambda: ops.expand_dims(_z(2, 3), (0, 4)),
        "expand_dims: axis 4 is out of range for a result of 4 axes (argument 'x' of shape "
        "(2, 3) with 2 axes added)",
    ),
    (
        "expand_dims-twice",
        lambda: ops.expand_dims(_z(2, 3), (0, -4)),
        "expand_dims: axis (0, -4) names one new axis twice (argument 'x' of shape (2, 3))",
    ),
    (
        "broadcast_to",
        lambda: ops.broadcast_to(_z(2, 3), (4, 2)),
        "broadcast_to: argument 'x' of shape (2, 3) does not broadcast to (4, 2)",
    ),
    (
        "broadcast_to-fewer-axes",
        lambda: ops.broadcast_to(_z(2, 3), 3),
        "broadcast_to: argument 'x' of shape (2, 3) does not broadcast to (3,)",
    ),
    (
        "repeat-counts",
        lambda: ops.repeat(_z(2, 3), [1, 2], axis=1),
        "repeat: 2 repeats do not match axis 1 of argument 'x' of shape (2, 3) (length 3): "
        "give one count, or one per element",
    ),
    (
        "repeat-counts-flat",
        lambda: ops.repeat(_z(2, 3), [1, 2]),
        "repeat: 2 repeats do not match argument 'x' of shape (2, 3) flattened (length 6): "
        "give one count, or one per element",
    ),
    (
        "repeat-negative",
        lambda: ops.repeat(_z(3), [1, -1, 2]),
        "repeat: repeats must not be negative, got [1, -1, 2]",
    ),
    (
        "repeat-axis",
        lambda: ops.repeat(_z(2, 3), 2, axis=2),
        "repeat: axis 2 is out of range for argument 'x' of shape (2, 3) (2 axes)",
    ),
    (
        "tile-negative",
        lambda: ops.tile(_z(2, 3), (2, -1)),
        "tile: reps must not be negative, got (2, -1)",
    ),
    (
        "pad-widths-shape",
        lambda: ops.pad(_z(2, 3), ((1, 2), (3, 4), (5, 6))),
        "pad: pad_width ((1, 2), (3, 4), (5, 6)) does not fit argument 'x' of shape (2, 3) "
        "(2 axes): give an int, one (before, after) pair, or one pair per axis",
    ),
    (
        "pad-widths-negative",
        lambda: ops.pad(_z(2, 3), ((1, 0), (0, -2))),
        "pad: pad_width must not be negative, got ((1, 0), (0, -2))",
    ),
    (
        "pad-widths-not-ints",
        lambda: ops.pad(_z(2, 3), 1.5),
        "pad: pad_width must be ints, got 1.5",
    ),
    (
        "pad-mode",
        lambda: ops.pad(_z(2, 3), 1, mode="reflect"),
        "pad: mode 'reflect' is not supported: only mode 'constant' is",
    ),
]


@pytest.mark.parametrize("checks", [True, False], ids=["checks-on", "checks-off"])
@pytest.mark.parametrize(("call", "message"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_error(call: Callable[[], Any], message: str, checks: bool) -> None:
    with tp.checks(checks), pytest.raises(tp.CheckError) as info:
        call()
    assert str(info.value) == message


def test_errors_are_the_same_for_bvars() -> None:
    """The checks run on the values, so a BVar argument gets the plain argument's words."""

    def f(p: tp.BVar[tuple[Any, Any]]) -> tp.BVar[float]:
        a, b = p.unpack()
        with pytest.raises(tp.CheckError) as info:
            ops.concatenate([a, np.ones((2, 3)), b])
        assert str(info.value) == (
            "concatenate: argument 'xs[2]' of shape (2, 5) does not match argument 'xs[0]' of "
            "shape (2, 3) along axis 1"
        )
        with pytest.raises(tp.CheckError) as info:
            ops.split(b, 2, axis=1)
        assert str(info.value) == (
            "split: argument 'x' of shape (2, 5) does not split into 2 equal sections along "
            "axis 1 (length 5)"
        )
        with pytest.raises(tp.CheckError) as info:
            ops.reshape(a, (4, 2))
        assert str(info.value) == (
            "reshape: cannot reshape argument 'x' of shape (2, 3) (6 elements) to (4, 2) "
            "(8 elements)"
        )
        return ops.sum(ops.concatenate([a, b], axis=1))

    grads = tp.grad(f, (np.zeros((2, 3)), np.zeros((2, 5))))
    # The failed calls left nothing on the tape: the gradient is that of the last line alone.
    np.testing.assert_array_equal(grads[0], np.ones((2, 3)))
    np.testing.assert_array_equal(grads[1], np.ones((2, 5)))


# ---------------------------------------------------------------------------------------------
# Plain inputs: plain outputs, as numpy computes them
# ---------------------------------------------------------------------------------------------

X = np.arange(24.0).reshape(4, 2, 3)
M = np.arange(6.0).reshape(2, 3)
V = np.arange(5.0)

AS_NUMPY: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
    ("reshape", lambda: ops.reshape(X, (3, -1, 2)), lambda: np.reshape(X, (3, -1, 2))),
    ("reshape-scalar", lambda: ops.reshape(2.0, (1, 1)), lambda: np.reshape(2.0, (1, 1))),
    ("ravel", lambda: ops.ravel(X), lambda: np.ravel(X)),
    ("squeeze", lambda: ops.squeeze(X[:, :1, None]), lambda: np.squeeze(X[:, :1, None])),
    ("squeeze-0d", lambda: ops.squeeze(M[:1, :1]), lambda: np.squeeze(M[:1, :1])),
    ("expand_dims", lambda: ops.expand_dims(M, (0, -1)), lambda: np.expand_dims(M, (0, -1))),
    ("concatenate", lambda: ops.concatenate([M, M], 1), lambda: np.concatenate([M, M], 1)),
    (
        "concatenate-none",
        lambda: ops.concatenate([M, V], None),
        lambda: np.concatenate([M, V], None),
    ),
    ("stack", lambda: ops.stack([M, M, M], -2), lambda: np.stack([M, M, M], -2)),
    ("stack-floats", lambda: ops.stack([1.0, 2.0]), lambda: np.stack([1.0, 2.0])),
    ("broadcast_to", lambda: ops.broadcast_to(M, (4, 2, 3)), lambda: np.broadcast_to(M, (4, 2, 3))),
    ("repeat", lambda: ops.repeat(M, 2), lambda: np.repeat(M, 2)),
    ("repeat-counts", lambda: ops.repeat(M, [2, 0, 1], -1), lambda: np.repeat(M, [2, 0, 1], -1)),
    ("repeat-0d", lambda: ops.repeat(np.array(3.0), 2), lambda: np.repeat(np.array(3.0), 2)),
    ("tile", lambda: ops.tile(M, (2, 1, 3)), lambda: np.tile(M, (2, 1, 3))),
    ("tile-short", lambda: ops.tile(X, 2), lambda: np.tile(X, 2)),
    ("pad", lambda: ops.pad(M, ((1, 0), (0, 2))), lambda: np.pad(M, ((1, 0), (0, 2)))),
    (
        "pad-constant",
        lambda: ops.pad(M, (2, 1), constant_values=-1.0),
        lambda: np.pad(M, (2, 1), constant_values=-1.0),
    ),
]


@pytest.mark.parametrize(
    ("ours", "theirs"), [c[1:] for c in AS_NUMPY], ids=[c[0] for c in AS_NUMPY]
)
def test_plain_inputs_give_what_numpy_gives(
    ours: Callable[[], Any], theirs: Callable[[], Any]
) -> None:
    got, expected = ours(), theirs()
    assert type(got) is np.ndarray
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected, strict=True)


@pytest.mark.parametrize(
    ("cuts", "axis"),
    [(2, 0), (3, -1), ([1], 1), ([1, 3], -1), ([0, 5], 2), ([-2], 2), ([2, 1], 2)],
)
def test_split_of_plain_array_is_numpy_split(cuts: Any, axis: int) -> None:
    got = ops.split(X, cuts, axis=axis)
    expected = np.split(X, cuts, axis=axis)
    assert type(got) is list
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert type(g) is np.ndarray
        np.testing.assert_array_equal(g, e, strict=True)


def test_a_bvar_among_plain_items_makes_a_bvar() -> None:
    joined = ops.concatenate([M, tp.constant(M)])
    assert isinstance(joined, tp.BVar)
    np.testing.assert_array_equal(joined.value, np.concatenate([M, M]))
    pieces = ops.split(tp.constant(V), [2])
    assert [type(p) for p in pieces] == [tp.BVar, tp.BVar]
    np.testing.assert_array_equal(pieces[1].value, V[2:])


# ---------------------------------------------------------------------------------------------
# float32
# ---------------------------------------------------------------------------------------------


def test_float32_joins_and_splits_stay_float32() -> None:
    def f(p: tp.BVar[tuple[Any, Any]]) -> tp.BVar[float]:
        a, b = p.unpack()
        _, second, third = ops.split(ops.concatenate([a, b], axis=1), [1, 3], axis=1)
        stacked = ops.stack([second, third * third])
        return ops.sum(ops.pad(ops.tile(stacked, 2), 1)) + ops.sum(ops.repeat(stacked, 2, axis=1))

    a = np.arange(1.0, 7.0, dtype=np.float32).reshape(2, 3)
    b = np.ones((2, 2), dtype=np.float32)
    value, (ga, gb) = tp.backprop(f, (a, b))
    assert np.result_type(value) == np.float32
    assert ga.dtype == gb.dtype == np.float32
    # a's first column is the unused piece; the rest counts 2 (tile) + 2 (repeat) copies.
    np.testing.assert_array_equal(ga, [[0.0, 4.0, 4.0], [0.0, 4.0, 4.0]])
    np.testing.assert_array_equal(gb, 8.0 * b)


def test_float32_gradient_with_a_float64_constant() -> None:
    """numpy promotes the join to float64; the float32 item's gradient is float32 again."""
    a = np.ones(2, dtype=np.float32)
    const = np.array([3.0, 4.0])

    def f(x: tp.BVar[Any]) -> tp.BVar[float]:
        joined = ops.concatenate([x, const])
        assert joined.value.dtype == np.float64
        stacked = ops.stack([const, x * 2.0])
        assert stacked.value.dtype == np.float64
        return ops.sum(joined * joined) + ops.sum(stacked)

    g = tp.grad(f, a)
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g, np.array([4.0, 4.0], dtype=np.float32))


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: ops.reshape(x, (3, -1)),
        lambda x: ops.ravel(x),
        lambda x: ops.squeeze(ops.expand_dims(x, (0, 2)), axis=0),
        lambda x: ops.broadcast_to(x, (4, 2, 3)),
        lambda x: ops.repeat(x, [2, 0, 1], axis=1),
        lambda x: ops.tile(x, (2, 1, 2)),
        lambda x: ops.pad(x, 1, constant_values=0.5),
        lambda x: ops.concatenate(ops.split(x, 3, axis=1)[::2], axis=1),
    ],
    ids=["reshape", "ravel", "squeeze", "broadcast_to", "repeat", "tile", "pad", "split"],
)
def test_float32_values_and_gradients(fn: Callable[[Any], Any]) -> None:
    x = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    value, g = tp.backprop(lambda v: ops.sum(fn(v)), x)
    assert np.result_type(value) == np.float32
    assert g.dtype == np.float32 and g.shape == x.shape


# ---------------------------------------------------------------------------------------------
# split: the gradient of pieces used in part
# ---------------------------------------------------------------------------------------------


def test_split_gradient_of_one_piece() -> None:
    x = np.arange(1.0, 7.0)
    w = np.array([10.0, 20.0])
    g = tp.grad(lambda v: ops.split(v, 3)[1] @ w, x)
    np.testing.assert_array_equal(g, [0.0, 0.0, 10.0, 20.0, 0.0, 0.0])


def test_split_gradient_of_pieces_used_unevenly() -> None:
    x = np.arange(1.0, 7.0).reshape(2, 3)

    def f(v: tp.BVar[Any]) -> tp.BVar[float]:
        a, _, c = ops.split(v, [1, 2], axis=1)
        return ops.sum(a * 2.0) + ops.sum(a) + ops.sum(c * c)

    g = tp.grad(f, x)
    np.testing.assert_array_equal(g, [[3.0, 0.0, 6.0], [3.0, 0.0, 12.0]])


def test_split_with_no_piece_used() -> None:
    x = np.arange(1.0, 5.0)

    def f(v: tp.BVar[Any]) -> tp.BVar[float]:
        ops.split(v, 2)
        return ops.sum(v * 3.0)

    np.testing.assert_array_equal(tp.grad(f, x), [3.0, 3.0, 3.0, 3.0])


def test_split_pieces_that_overlap() -> None:
    """Indices going down give numpy's overlapping pieces x[0:3], x[3:1] and x[1:]: the
    gradient adds both pieces' gradients where they overlap."""
    x = np.arange(1.0, 6.0)

    def f(v: tp.BVar[Any]) -> tp.BVar[float]:
        a, b, c = ops.split(v, [3, 1])
        assert b.value.shape == (0,)
        return ops.sum(a) + ops.sum(c * 2.0)

    np.testing.assert_array_equal(tp.grad(f, x), [1.0, 3.0, 3.0, 2.0, 2.0])


# ---------------------------------------------------------------------------------------------
# Core gaps met on the way (see the report); the workaround is a bare `Op` for the joins.
# ---------------------------------------------------------------------------------------------


class _Total(tp.Op[*tuple[Any, ...], Any]):
    name = "total"

    def forward(self, *xs: Any) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
        return sum(xs), lambda g: (g,) * len(xs)


def test_core_subscripted_variadic_op_takes_any_count() -> None:
    assert _Total()(1.0, 2.0, 3.0) == 6.0


def test_core_star_unpacked_hint_is_not_checked() -> None:
    assert _Total()(1.0) == 1.0
