"""Cases for the indexing family (`typedprop.ops._indexing`): `getitem`, `take` and `where`.

Keys, indices and conditions are constants closed over by the cases. Repeated indices appear
on purpose: their gradients must add up.
"""

from typing import Any

import autograd.numpy as anp
import numpy as np

from opcases import SCALAR, OpCase, Shape

VEC, MAT, STACKED = (5,), (3, 4), (2, 3, 4)

# (label, shape, key): every kind of key numpy allows, on a vector, a matrix and a stack.
_KEYS: list[tuple[str, Shape, Any]] = [
    ("0d-empty-tuple", (), ()),
    ("0d-newaxis", (), None),
    ("vec-int", VEC, 1),
    ("vec-negative-int", VEC, -1),
    ("vec-slice", VEC, slice(1, 4)),
    ("vec-slice-step", VEC, slice(None, None, 2)),
    ("vec-reversed", VEC, slice(None, None, -1)),
    ("vec-negative-step", VEC, slice(3, 0, -2)),
    ("vec-newaxis", VEC, (None, slice(None))),
    ("vec-ellipsis", VEC, Ellipsis),
    ("vec-int-array", VEC, np.array([4, 0, 2])),
    ("vec-repeated", VEC, np.array([1, 1, 3, 1])),
    ("vec-repeated-list", VEC, [0, 0, -1]),
    ("vec-2d-int-array", VEC, np.array([[0, 1], [1, 4]])),
    ("vec-mask", VEC, np.array([True, False, True, True, False])),
    ("mat-int", MAT, 1),
    ("mat-int-int", MAT, (1, 2)),
    ("mat-negative-ints", MAT, (-1, -3)),
    ("mat-slices-steps", MAT, (slice(None, None, -1), slice(1, None, 2))),
    ("mat-newaxis-int", MAT, (slice(None), None, 1)),
    ("mat-ellipsis-int", MAT, (Ellipsis, 0)),
    ("mat-int-arrays", MAT, (np.array([0, 2, 2]), np.array([1, 1, 3]))),
    ("mat-repeated-pairs", MAT, (np.array([2, 2, 0]), np.array([1, 1, 1]))),
    ("mat-repeated-rows", MAT, np.array([2, 0, 2])),
    ("mat-slice-and-array", MAT, (slice(1, None), np.array([3, 0, 3]))),
    ("mat-int-and-array", MAT, (1, np.array([3, 3]))),
    ("mat-mask", MAT, np.arange(12).reshape(3, 4) % 3 == 0),
    ("mat-row-mask", MAT, np.array([True, False, True])),
    ("mat-row-mask-and-slice", MAT, (np.array([True, False, True]), slice(1, 3))),
    ("stacked-int", STACKED, 1),
    ("stacked-ellipsis-slice", STACKED, (Ellipsis, slice(1, 3))),
    ("stacked-slice-array-slice", STACKED, (slice(None), np.array([2, 0, 2]), slice(None))),
    ("stacked-separated-arrays", STACKED, (np.array([0, 1]), slice(None), np.array([3, 3]))),
    ("stacked-2d-int-array", STACKED, np.array([[0, 1], [1, 1]])),
    ("stacked-mask-last", STACKED, (Ellipsis, np.array([True, False, True, True]))),
    ("stacked-mask-leading", STACKED, np.array([[True, False, True], [False, False, True]])),
    ("stacked-newaxis-int-reversed", STACKED, (None, 1, slice(None, None, -1))),
    ("stacked-int-array-int", STACKED, (1, np.array([0, 0, 2]), -1)),
]

_GETITEM = [
    OpCase("getitem", label, lambda m, x, key=key: m.getitem(x, key), (shape,))
    for label, shape, key in _KEYS
]

_TAKE = [
    OpCase("take", "vec", lambda m, x: m.take(x, np.array([3, 0, 3])), (VEC,)),
    OpCase("take", "vec-one-index", lambda m, x: m.take(x, 2), (VEC,)),
    OpCase("take", "vec-negative", lambda m, x: m.take(x, [-1, -5, -1]), (VEC,)),
    OpCase("take", "mat-flat", lambda m, x: m.take(x, np.array([[0, 11], [5, 5]])), (MAT,)),
    OpCase("take", "mat-axis0", lambda m, x: m.take(x, [2, 0, 2], axis=0), (MAT,)),
    OpCase("take", "mat-axis1-negative", lambda m, x: m.take(x, [-1, 1, -1], axis=1), (MAT,)),
    OpCase("take", "mat-axis-1-one-index", lambda m, x: m.take(x, 1, axis=-1), (MAT,)),
    OpCase(
        "take",
        "stacked-axis1-2d",
        lambda m, x: m.take(x, np.array([[0, 2], [2, 2]]), axis=1),
        (STACKED,),
    ),
    OpCase("take", "stacked-axis2-repeated", lambda m, x: m.take(x, [3, 3, 3], axis=2), (STACKED,)),
]

_C3 = np.array([True, False, True])
_C23 = np.array([[True, False, True], [False, False, True]])
_C21 = np.array([[True], [False]])


def _where(label: str, cond: Any, a: Shape, b: Shape) -> OpCase:
    return OpCase("where", label, lambda m, x, y: m.where(cond, x, y), (a, b))


_WHERE = [
    _where("vec", _C3, (3,), (3,)),
    _where("mat", _C23, (2, 3), (2, 3)),
    _where("0d", np.array(False), (), ()),
    _where("stacked-cond(2,3)", _C23, (4, 2, 3), (4, 2, 3)),
    _where("(2,3)&(3,)", _C23, (2, 3), (3,)),
    _where("(2,3)&(2,1)", _C23, (2, 3), (2, 1)),
    _where("(1,3)&(2,1)", _C23, (1, 3), (2, 1)),
    _where("(3,)&(3,)-cond(2,1)", _C21, (3,), (3,)),
    _where("(2,1)&(1,3)-cond(3,)", _C3, (2, 1), (1, 3)),
    _where("scalar&(2,3)", _C23, SCALAR, (2, 3)),
    _where("(2,3)&scalar", _C23, (2, 3), SCALAR),
    _where("scalar&scalar-cond(2,3)", _C23, SCALAR, SCALAR),
    _where("scalar&scalar-cond-true", True, SCALAR, SCALAR),
    _where("vec-cond-false", False, (3,), (3,)),
]

CASES = _GETITEM + _TAKE + _WHERE


def _take(x: Any, indices: Any, axis: int | None = None) -> Any:
    """numpy.take by indexing, which autograd differentiates (it has no VJP for `take`)."""
    if axis is None:
        return anp.ravel(x)[np.asarray(indices)]
    return x[(slice(None),) * (axis % anp.ndim(x)) + (np.asarray(indices),)]


def _where(cond: Any, a: Any, b: Any) -> Any:
    """numpy.where with the branches broadcast first: autograd's own `where` does not sum a
    broadcast branch's gradient back to the branch's shape."""
    zeros = np.zeros(np.broadcast_shapes(np.shape(cond), anp.shape(a), anp.shape(b)))
    return anp.where(cond, a + zeros, b + zeros)  # autograd's `+` unbroadcasts


AUTOGRAD: dict[str, Any] = {
    "getitem": lambda x, key: x[key],
    "take": _take,
    "where": _where,
}
