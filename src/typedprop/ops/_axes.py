"""Shape helpers shared by the ops: axis arguments checked and normalised with errors that name
the op, the argument and its shape, and the one place where a reduction's gradient is put back
to its input's shape.

Internal to `typedprop.ops`.
"""

from typing import Any

import numpy as np

from .._core.arrays import Axis
from .._core.errors import CheckError


def describe_shape(name: str, x: Any) -> str:
    """ "argument 'x' of shape (2, 3)", the way every op's message names an argument."""
    return f"argument '{name}' of shape {np.shape(x)}"


def normalize_axis(op: str, x: Any, axis: Axis, name: str = "x") -> tuple[int, ...]:
    """The axes that `axis` names for argument `name` of `op`, non-negative and sorted; all
    axes for None. Raises CheckError for an axis out of range, a repeated axis or a non-int."""
    ndim = np.ndim(x)
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, int | np.integer):
            raise CheckError(
                f"{op}: axis must be an int, a tuple of ints or None, got {type(a).__name__}"
            )
        if not -ndim <= a < ndim:
            raise CheckError(
                f"{op}: axis {a} is out of range for {describe_shape(name, x)} "
                f"({ndim} {'axis' if ndim == 1 else 'axes'})"
            )
    normalized = tuple(sorted(int(a) % ndim for a in axes))
    if len(set(normalized)) != len(normalized):
        raise CheckError(f"{op}: axis {axis} names an axis of {describe_shape(name, x)} twice")
    return normalized


def unreduce(g: Any, x: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    """The gradient `g` of a reduction of `x` over `axes`, broadcast back to `x`'s shape (a
    read-only view: callers multiply it, never write to it). The one place that undoes
    `keepdims=False`."""
    g = np.asarray(g)
    if not keepdims and axes:
        g = np.expand_dims(g, axes)
    return np.broadcast_to(g, np.shape(x))


def keep(value: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    """A statistic computed with keepdims=True (for broadcasting against the input), as the
    op returns it: with the reduced axes dropped unless `keepdims`."""
    if keepdims or not axes:
        return value
    return np.squeeze(value, axis=axes)
