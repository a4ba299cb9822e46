"""Elementwise maps: `exp`, `log`, ... Each is an op of one array (or number) whose output has the
input's shape and dtype, and whose gradient is the output's gradient times the derivative.

Every op here is written as the map and its derivative, given the input and the output, so the
gradient reuses what the forward pass computed (`exp`'s derivative is its output).

!!! example
    ```python
    >>> import numpy as np
    >>> import typedprop as tp
    >>> from typedprop import ops
    >>> def f(x: tp.BVar[tp.Vec]) -> tp.BVar[float]:
    ...     return ops.sum(ops.exp(x) * x)
    >>> value, gradient = tp.backprop(f, np.array([0.0, 1.0]))
    >>> gradient
    array([1.        , 5.43656366])
    ```

Internal: users import the ops from `typedprop.ops`.
"""

from collections.abc import Callable
from typing import Any

import numpy as np

from .._op import Op
from ._types import as_elementwise

__all__ = ["exp", "log"]

_Grad1 = Callable[[Any], tuple[Any]]


class Elementwise(Op[Any, Any]):
    """An elementwise map: subclasses define `value(x)` and `derivative(x, out)`."""

    def forward(self, x: Any) -> tuple[Any, _Grad1]:
        out = self.value(x)
        return out, lambda g: (g * self.derivative(x, out),)

    def value(self, x: Any) -> Any:
        raise NotImplementedError

    def derivative(self, x: Any, out: Any) -> Any:
        raise NotImplementedError


class Exp(Elementwise):
    """`exp(x)`, elementwise; its derivative is its output.

    !!! example
        ```python
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> tp.grad(ops.exp, 0.0)
        1.0
        ```
    """

    name = "exp"

    def value(self, x: Any) -> Any:
        return np.exp(x)

    def derivative(self, x: Any, out: Any) -> Any:
        return out


class Log(Elementwise):
    """`log(x)`, the natural logarithm, elementwise. Like numpy, `log(0)` is `-inf` and a
    negative input gives `nan`, with numpy's RuntimeWarning.

    !!! example
        ```python
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> tp.grad(ops.log, 4.0)
        0.25
        ```
    """

    name = "log"

    def value(self, x: Any) -> Any:
        return np.log(x)

    def derivative(self, x: Any, out: Any) -> Any:
        return 1.0 / x


exp = as_elementwise(Exp())
log = as_elementwise(Log())
