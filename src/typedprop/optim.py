"""Optimizers over any parameter structure that `backprop` accepts: `SGD`, `Momentum`, `Adam`.

An optimizer is made for one parameter structure, `Adam(params, lr=1e-3)`, and is typed by it
(`Adam[P]`): `opt.step(params, grads)` takes parameters and gradients of that type `P` and returns
new parameters of type `P`, so mypy rejects gradients of another structure. The optimizer keeps
its own state (velocities, moment estimates) between steps, one entry per float leaf.

Float arrays, Python floats and numpy floating scalars are updated; other leaves (integers,
None, strings) are carried over unchanged. float32 parameters stay float32.

!!! example
    ```python
    >>> import numpy as np
    >>> import typedprop as tp
    >>> from typedprop import ops, optim
    >>> def loss(p: tp.BVar[tuple[tp.Vec, float]]) -> tp.BVar[float]:
    ...     w, b = p.unpack()
    ...     return ops.sum((w - 3.0) ** 2) + (b + 1.0) ** 2
    >>> params = (np.zeros(2), 0.0)
    >>> opt = optim.SGD(params, lr=0.1)
    >>> for _ in range(100):
    ...     params = opt.step(params, tp.grad(loss, params))
    >>> np.round(params[0], 6), round(params[1], 6)
    (array([3., 3.]), -1.0)
    ```
"""

from typing import Any, Generic, TypeVar

import numpy as np

from ._core.errors import CheckError
from ._core.structures import (
    StructureMismatch,
    Treedef,
    array_kind,
    describe,
    flatten,
    flatten_up_to,
    leaf_paths,
    show_path,
    unflatten,
)

__all__ = ["SGD", "Adam", "Momentum", "Optimizer"]

P = TypeVar("P")


def _is_float_leaf(x: object) -> bool:
    """Whether the optimizers update `x`: a real floating array, a float or a numpy float."""
    if type(x) is np.ndarray:
        kind: str = x.dtype.kind
        return kind == "f"
    if isinstance(x, float | np.floating):
        return True
    array = array_kind(x)
    return array is not None and array.floating(x)


def _fits(param: Any, grad: Any) -> bool:
    """Whether `grad` is a gradient for the float leaf `param`: the quick test of every step
    (a numpy array's gradient must be a numpy array, of a floating dtype)."""
    if type(param) is np.ndarray:
        return type(grad) is np.ndarray and grad.shape == param.shape and grad.dtype.kind == "f"
    return _fits_loosely(param, grad)


def _fits_loosely(param: Any, grad: Any) -> bool:
    """The test of the error path: a float leaf of `param`'s shape."""
    return _shape(grad) == _shape(param) and _is_float_leaf(grad)


def _shape(x: Any) -> tuple[int, ...]:
    array = array_kind(x)
    return array.shape(x) if array is not None else np.shape(x)


def _key(x: Any) -> object:
    """What the optimizer's state per leaf depends on: an array's shape and dtype, a type."""
    return (x.shape, x.dtype) if type(x) is np.ndarray else type(x)


def _float_leaves(params: Any) -> tuple[list[Any], Treedef, list[int]]:
    """The leaves of `params`, its treedef, and the positions of its float leaves among them."""
    leaves, treedef = flatten(params)
    return leaves, treedef, [i for i, leaf in enumerate(leaves) if _is_float_leaf(leaf)]


def _refuse(params: Any, grads: Any, who: str) -> None:
    """Raise CheckError naming the first place (depth first) where `grads` does not have
    `params`' structure or a float leaf's shape; the slow path of a failed step, with paths."""
    leaves, treedef, floats = _float_leaves(params)
    mismatch = None
    try:
        parts = flatten_up_to(treedef, grads)
    except StructureMismatch as e:
        mismatch, parts = e, e.parts
    paths = leaf_paths(treedef)
    for i in floats:
        if i >= len(parts):
            break  # past the place where the structure differs
        if not _fits_loosely(leaves[i], parts[i]):
            at = show_path(treedef, paths[i]) or "the parameters"
            raise CheckError(
                f"step: the gradient at {at} is {describe(parts[i])}, "
                f"expected {describe(leaves[i])}"
            )
    if mismatch is not None:
        at = show_path(treedef, mismatch.path) or "the parameters"
        raise CheckError(f"step: the gradient at {at} {mismatch}")
    # Every gradient fits but not the quick test (an ndarray subclass for a numpy array): as
    # before the one walk, the step refuses it as parameters it was not made for.
    raise CheckError(
        f"{who}.step: the parameters do not have the structure and shapes the optimizer was "
        "made for"
    )


def _replaced(leaf: Any, new: Any) -> Any:
    """`new` with the type of the float leaf `leaf` (a float32 array stays float32)."""
    if isinstance(leaf, np.ndarray):
        return np.asarray(new, dtype=leaf.dtype)
    return type(leaf)(new)


def _descend(param: Any, rate: float, step: Any) -> Any:
    """`param - rate * step` as a new value, with one temporary array instead of two (the
    largest parameters are matrices of a few MB, updated every step)."""
    if isinstance(step, np.ndarray):
        out = step * -rate
        out += param
        return out
    return param - rate * step


class Optimizer(Generic[P]):
    """The base of the optimizers: made for parameters of type `P`, it turns parameters and
    their gradients into new parameters, keeping a state per float leaf. Subclasses define
    `update(i, param, grad)`, the new value of leaf `i` (an array or a float)."""

    def __init__(self, params: P, lr: float) -> None:
        if not lr > 0:
            raise CheckError(f"{type(self).__name__}: the learning rate must be positive, got {lr}")
        self.lr = float(lr)
        self.steps = 0
        leaves, _, floats = _float_leaves(params)
        self._keys = [_key(leaves[i]) for i in floats]

    def step(self, params: P, grads: P) -> P:
        """New parameters: one step from `params` against their gradients `grads`."""
        # The quick walk of every step: no paths are built unless something does not fit.
        leaves, treedef, floats = _float_leaves(params)
        try:
            parts = flatten_up_to(treedef, grads)
        except StructureMismatch:
            parts = None
        if parts is None or not all(_fits(leaves[i], parts[i]) for i in floats):
            _refuse(params, grads, type(self).__name__)
        assert parts is not None
        if [_key(leaves[i]) for i in floats] != self._keys:
            raise CheckError(
                f"{type(self).__name__}.step: the parameters do not have the structure and "
                "shapes the optimizer was made for"
            )
        self.steps += 1
        new = list(leaves)
        for n, i in enumerate(floats):
            new[i] = _replaced(leaves[i], self.update(n, leaves[i], parts[i]))
        result: P = unflatten(treedef, new)
        return result

    def update(self, i: int, param: Any, grad: Any) -> Any:
        raise NotImplementedError


class SGD(Optimizer[P]):
    """Plain gradient descent: `p - lr * g`.

    !!! example
        ```python
        >>> import numpy as np
        >>> from typedprop import optim
        >>> opt = optim.SGD(np.array([1.0, 2.0]), lr=0.5)
        >>> opt.step(np.array([1.0, 2.0]), np.array([1.0, -1.0]))
        array([0.5, 2.5])
        ```
    """

    def update(self, i: int, param: Any, grad: Any) -> Any:
        return _descend(param, self.lr, grad)


class Momentum(Optimizer[P]):
    """Gradient descent with momentum (heavy ball): `v = momentum * v + g`, `p - lr * v`.

    !!! example
        ```python
        >>> from typedprop import optim
        >>> opt = optim.Momentum(1.0, lr=0.1, momentum=0.5)
        >>> p = opt.step(1.0, 1.0)
        >>> p, opt.step(p, 1.0)
        (0.9, 0.75)
        ```
    """

    def __init__(self, params: P, lr: float, momentum: float = 0.9) -> None:
        super().__init__(params, lr)
        if not 0 <= momentum < 1:
            raise CheckError(f"Momentum: momentum must be in [0, 1), got {momentum}")
        self.momentum = float(momentum)
        self._velocity: list[Any] = [None] * len(self._keys)

    def update(self, i: int, param: Any, grad: Any) -> Any:
        v = self._velocity[i]
        v = grad if v is None else self.momentum * v + grad
        self._velocity[i] = v
        return _descend(param, self.lr, v)


class Adam(Optimizer[P]):
    """Adam (Kingma and Ba, 2015) with bias correction.

    !!! example
        ```python
        >>> import numpy as np
        >>> from typedprop import optim
        >>> opt = optim.Adam(np.zeros(2), lr=0.1)
        >>> opt.step(np.zeros(2), np.array([2.0, -0.5]))
        array([-0.1,  0.1])
        ```
    """

    def __init__(
        self,
        params: P,
        lr: float = 1e-3,
        b1: float = 0.9,
        b2: float = 0.999,
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params, lr)
        for name, b in (("b1", b1), ("b2", b2)):
            if not 0 <= b < 1:
                raise CheckError(f"Adam: {name} must be in [0, 1), got {b}")
        self.b1, self.b2, self.eps = float(b1), float(b2), float(eps)
        n = len(self._keys)
        self._m: list[Any] = [0.0] * n
        self._v: list[Any] = [0.0] * n

    def update(self, i: int, param: Any, grad: Any) -> Any:
        b1, b2 = self.b1, self.b2
        m = self._m[i] = b1 * self._m[i] + (1.0 - b1) * grad
        v = self._v[i] = b2 * self._v[i] + (1.0 - b2) * grad * grad
        m_hat = m / (1.0 - b1**self.steps)
        v_hat = v / (1.0 - b2**self.steps)
        return param - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
