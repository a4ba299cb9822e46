"""Undoing numpy broadcasting: the one place where a gradient is reduced back to its input.

Every op that broadcasts its inputs (the arithmetic, `matmul`'s batch axes, ...) sends each
input's gradient through `unbroadcast`, which sums over the axes broadcasting added or
stretched and gives the result the input's dtype, so a float32 input gets a float32 gradient.
"""

from typing import Any

import numpy as np

from .._core.errors import CheckError
from .._core.structures import _ArrayKind, array_kind, array_module

# Scalar types whose gradient, of the same type, has nothing to undo.
_SCALARS = {float, np.float64, np.float32}
# Numbers, which are no other library's arrays.
_NUMBERS = {float, int, np.float64, np.float32}


def unbroadcast(g: object, like: object) -> object:
    """The gradient `g` of a broadcast result, reduced to the shape and dtype of the input
    `like` (an array or a scalar)."""
    if type(like) is np.ndarray:
        # The common case first: nothing was broadcast.
        if type(g) is np.ndarray and g.shape == like.shape and g.dtype == like.dtype:
            return g
    elif type(like) is type(g) and type(like) in _SCALARS:
        return g  # a scalar of the input's own type (and so dtype): nothing to undo
    if isinstance(like, np.ndarray):
        garr = np.asarray(g)
        shape = like.shape
        if garr.shape != shape:
            extra = garr.ndim - len(shape)
            if extra > 0:
                garr = garr.sum(axis=tuple(range(extra)))
            stretched = tuple(i for i, n in enumerate(shape) if n == 1 and garr.shape[i] != 1)
            if stretched:
                garr = garr.sum(axis=stretched, keepdims=True)
        if garr.dtype != like.dtype and like.dtype.kind in "fc":
            garr = garr.astype(like.dtype)
        return garr
    elif type(like) not in _NUMBERS:
        kind = array_kind(like)
        if kind is not None:
            return _unbroadcast_to(kind, g, like)
    if isinstance(g, np.ndarray):
        g = g.sum()
    elif array_kind(g) is not None:
        g = array_module(g).sum(g)  # another library's array, for a number `like`
    if isinstance(like, np.generic) and isinstance(g, np.generic) and g.dtype != like.dtype:
        return like.dtype.type(g)
    return g


def broadcast_error(op: str, names: tuple[str, ...], values: tuple[Any, ...]) -> CheckError:
    """The error for inputs that do not broadcast together, naming each input's shape."""
    shapes = " and ".join(
        f"argument '{n}' of shape {tuple(np.shape(v))}" for n, v in zip(names, values, strict=True)
    )
    return CheckError(f"{op}: {shapes} do not broadcast together")


def _unbroadcast_to(kind: _ArrayKind, g: Any, like: Any) -> Any:
    """`unbroadcast` for an array `like` of another library than numpy, through its namespace."""
    xp = kind.module
    shape = tuple(like.shape)
    if array_kind(g) is not kind:  # a number, where the gradient is the same everywhere
        g = xp.broadcast_to(xp.asarray(g, dtype=like.dtype, device=kind.device(like)), shape)
    gshape = tuple(g.shape)
    if gshape != shape:
        extra = len(gshape) - len(shape)
        if extra > 0:
            g = xp.sum(g, axis=tuple(range(extra)))
        stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
        if stretched:
            g = xp.sum(g, axis=stretched, keepdims=True)
    if g.dtype != like.dtype and kind.differentiable(like):
        g = xp.astype(g, like.dtype)
    return g
