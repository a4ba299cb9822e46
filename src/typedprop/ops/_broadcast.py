"""Undoing numpy broadcasting: the one place where a gradient is reduced back to its input.

Every op that broadcasts its inputs (the arithmetic, `matmul`'s batch axes, ...) sends each
input's gradient through `unbroadcast`, which sums over the axes broadcasting added or
stretched and gives the result the input's dtype, so a float32 input gets a float32 gradient.
"""

from typing import Any

import numpy as np

from .._core.errors import CheckError

# Scalar types whose gradient, of the same type, has nothing to undo.
_SCALARS = {float, np.float64, np.float32}


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
    if isinstance(g, np.ndarray):
        g = g.sum()
    if isinstance(like, np.generic) and isinstance(g, np.generic) and g.dtype != like.dtype:
        return like.dtype.type(g)
    return g


def broadcast_error(op: str, names: tuple[str, ...], values: tuple[Any, ...]) -> CheckError:
    """The error for inputs that do not broadcast together, naming each input's shape."""
    shapes = " and ".join(
        f"argument '{n}' of shape {np.shape(v)}" for n, v in zip(names, values, strict=True)
    )
    return CheckError(f"{op}: {shapes} do not broadcast together")
