"""Reductions with numpy's `axis` and `keepdims`: `sum`, `mean`, ... Reducing every axis (the
default) gives a scalar; the gradient is put back to the input's shape by one helper
(`_shapes.unreduce`).

!!! example
    ```python
    >>> import numpy as np
    >>> import typedprop as tp
    >>> from typedprop import ops
    >>> x = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> ops.sum(x, axis=0)
    array([4., 6.])
    >>> tp.grad(lambda v: ops.sum(ops.sum(v, axis=1) ** 2), x)
    array([[ 6.,  6.],
           [14., 14.]])
    ```

Internal: users import the ops from `typedprop.ops`.
"""

from collections.abc import Callable
from typing import Any

import numpy as np

from .._op import Op
from ._shapes import normalize_axis, unreduce
from ._types import Axis, as_reduction

__all__ = ["sum"]

_Grad1 = Callable[[Any], tuple[Any]]


class Reduce(Op[Any, Any]):
    """A reduction over `axis`; subclasses define `reduce(x, axes)`, returning the value with
    the reduced axes kept and the gradient continuation for that value."""

    def __init__(self, axis: Axis = None, keepdims: bool = False) -> None:
        self.axis = axis
        self.keepdims = keepdims

    def forward(self, x: Any) -> tuple[Any, _Grad1]:
        axes = normalize_axis(self.name, x, self.axis)
        out, grad = self.reduce(x, axes)
        if not self.keepdims and axes:
            out = np.squeeze(out, axis=axes)
        if np.ndim(out) == 0:
            out = out[()]
        keepdims = self.keepdims
        return out, lambda g: (grad(unreduce(g, x, axes, keepdims)),)

    def reduce(self, x: Any, axes: tuple[int, ...]) -> tuple[Any, Callable[[Any], Any]]:
        """The reduction of `x` over `axes` with keepdims=True, and a function from its
        gradient, broadcast to `x`'s shape, to the gradient for `x`."""
        raise NotImplementedError


class Sum(Reduce):
    name = "sum"

    def reduce(self, x: Any, axes: tuple[int, ...]) -> tuple[Any, Callable[[Any], Any]]:
        return np.sum(x, axis=axes, keepdims=True), lambda g: g.astype(np.result_type(x))


@as_reduction
def sum(x: Any, /, axis: Axis = None, keepdims: bool = False) -> Any:
    """The sum of `x`'s elements over `axis` (all by default), as `numpy.sum`.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> tp.grad(lambda m: ops.sum(m * m), np.array([1.0, 2.0]))
        array([2., 4.])
        ```
    """
    return Sum(axis, keepdims)(x)
