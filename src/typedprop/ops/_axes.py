"""Shape helpers shared by the ops: axis arguments checked and normalised with errors that name
the op, the argument and its shape, and the one place where a reduction's gradient is put back
to its input's shape.

Internal to `typedprop.ops`.
"""

from typing import Any

import numpy as np

from .._core.arrays import Axis
from .._core.errors import CheckError
from .._core.structures import array_kind, array_module


def describe_shape(name: str, x: Any) -> str:
    """ "argument 'x' of shape (2, 3)", the way every op's message names an argument."""
    # A tuple: another library's shape may be its own type (PyTorch's `torch.Size`).
    return f"argument '{name}' of shape {tuple(np.shape(x))}"


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
    `keepdims=False`. Another library's `x` gets a gradient of its own library (`g` an array of
    it, or a number)."""
    if type(x) is not np.ndarray and (kind := array_kind(x)) is not None and kind.module is not np:
        xp, shape = kind.module, tuple(x.shape)
        if array_kind(g) is None:  # a number: the same gradient everywhere
            g = xp.asarray(g, dtype=x.dtype, device=kind.device(x))
        elif not keepdims and axes:
            # The reduced axes back as length 1: the same elements in the same order.
            g = xp.reshape(g, tuple(1 if i in axes else n for i, n in enumerate(shape)))
        return xp.broadcast_to(g, shape)
    g = np.asarray(g)
    if not keepdims and axes:
        g = np.expand_dims(g, axes)
    return np.broadcast_to(g, np.shape(x))


def keep(value: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    """A statistic computed with keepdims=True (for broadcasting against the input), as the
    op returns it: with the reduced axes dropped unless `keepdims`."""
    if keepdims or not axes:
        return value
    if type(value) is not np.ndarray and (xp := array_module(value)) is not np:
        return xp.squeeze(value, axis=axes)
    return np.squeeze(value, axis=axes)
