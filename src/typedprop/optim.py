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
from ._core.structures import describe, kind_of

__all__ = ["SGD", "Adam", "Momentum", "Optimizer"]

P = TypeVar("P")


def _is_float_leaf(x: object) -> bool:
    return (isinstance(x, np.ndarray) and x.dtype.kind == "f") or isinstance(x, float | np.floating)


def _leaf_pairs(params: Any, grads: Any, out: list[tuple[Any, Any]]) -> bool:
    """The float leaves of `params` with the gradient leaves at the same places, in order, into
    `out`; False at the first place where `grads` does not fit (see `_pairs` for the error).
    The quick walk of every step: no paths are built."""
    kind = kind_of(params)
    if kind.is_leaf:
        if type(params) is np.ndarray:
            if params.dtype.kind != "f":
                return True
            if type(grads) is not np.ndarray or grads.shape != params.shape:
                return False
            if grads.dtype.kind != "f":
                return False
        elif _is_float_leaf(params):
            if np.shape(grads) != np.shape(params) or not _is_float_leaf(grads):
                return False
        else:
            return True
        out.append((params, grads))
        return True
    if type(grads) is not type(params):
        return False
    ps, gs = kind.children(params), kind.children(grads)
    if len(ps) != len(gs):
        return False
    return all(_leaf_pairs(p, g, out) for p, g in zip(ps, gs, strict=True))


def _key(x: Any) -> object:
    """What the optimizer's state per leaf depends on: an array's shape and dtype, a type."""
    return (x.shape, x.dtype) if type(x) is np.ndarray else type(x)


def _pairs(params: Any, grads: Any, path: str, out: list[tuple[str, Any, Any]]) -> None:
    """The float leaves of `params` with the gradient leaves at the same places, in order;
    raises CheckError naming the first place where `grads` does not have `params`' shape."""
    kind = kind_of(params)
    if kind.is_leaf:
        if not _is_float_leaf(params):
            return
        if np.shape(grads) != np.shape(params) or not _is_float_leaf(grads):
            raise CheckError(
                f"step: the gradient at {path or 'the parameters'} is {describe(grads)}, "
                f"expected {describe(params)}"
            )
        out.append((path, params, grads))
        return
    if type(grads) is not type(params):
        raise CheckError(
            f"step: the gradient at {path or 'the parameters'} is a {type(grads).__name__}, "
            f"expected a {type(params).__name__}"
        )
    ps, gs = kind.children(params), kind.children(grads)
    if len(ps) != len(gs):
        raise CheckError(
            f"step: the gradient at {path or 'the parameters'} has {len(gs)} "
            f"part{'s' * (len(gs) != 1)}, expected {len(ps)}"
        )
    for i, (p, g) in enumerate(zip(ps, gs, strict=True)):
        _pairs(p, g, path + kind.label(params, i), out)


def _replace(x: P, values: list[Any]) -> P:
    """`x` with its float leaves replaced, in order, by `values` (consumed from the front)."""
    kind = kind_of(x)
    if not kind.is_leaf:
        rebuilt: P = kind.rebuild(x, [_replace(c, values) for c in kind.children(x)])
        return rebuilt
    if not _is_float_leaf(x):
        return x
    new = values.pop(0)
    leaf: Any = x
    replaced: Any = (
        np.asarray(new, dtype=leaf.dtype) if isinstance(leaf, np.ndarray) else type(leaf)(new)
    )
    result: P = replaced
    return result


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
        pairs: list[tuple[str, Any, Any]] = []
        _pairs(params, params, "", pairs)
        self._keys = [_key(p) for _, p, _ in pairs]

    def step(self, params: P, grads: P) -> P:
        """New parameters: one step from `params` against their gradients `grads`."""
        pairs: list[tuple[Any, Any]] = []
        if not _leaf_pairs(params, grads, pairs):
            _pairs(params, grads, "", [])  # raises, naming the place
        if [_key(p) for p, _ in pairs] != self._keys:
            raise CheckError(
                f"{type(self).__name__}.step: the parameters do not have the structure and "
                "shapes the optimizer was made for"
            )
        self.steps += 1
        return _replace(params, [self.update(i, p, g) for i, (p, g) in enumerate(pairs)])

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
