"""Optimizers over any parameter structure that `backprop` accepts: `SGD`, `Momentum`, `Adam`.

An optimizer is made for one parameter structure, `Adam(params, lr=1e-3)`, and is typed by it
(`Adam[P]`): `opt.step(params, grads)` takes parameters and gradients of that type `P` and returns
new parameters of type `P`, so mypy rejects gradients of another structure. The optimizer keeps
its own state (velocities, moment estimates) between steps, one entry per float leaf.

`opt.state()` is that state as a structure, which `typedprop.save` writes, and
`opt.load_state(state)` restores it, checked, into an optimizer made with the same settings
for the same parameters: training resumed from a checkpoint of the parameters and the state
takes the very steps it would have taken without the interruption.

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

from ._core.backends import autograd_off
from ._core.errors import CheckError
from ._core.structures import (
    StructureMismatch,
    Treedef,
    _root,
    array_kind,
    array_module,
    describe,
    flatten,
    flatten_up_to,
    leaf_paths,
    show_path,
    structure,
    unflatten,
    zero,
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


def _spec(x: Any) -> tuple[tuple[int, ...], Any]:
    """A float leaf's shape and dtype (float64 for a Python float)."""
    array = array_kind(x)
    return (array.shape(x), array.dtype(x)) if array is not None else ((), np.asarray(x).dtype)


def _float_leaves(params: Any) -> tuple[list[Any], Treedef, list[int]]:
    """The leaves of `params`, its treedef, and the positions of its float leaves among them."""
    leaves, treedef = flatten(params)
    return leaves, treedef, [i for i, leaf in enumerate(leaves) if _is_float_leaf(leaf)]


def _zeros(params: Any) -> list[Any]:
    """A zero of each float leaf of `params`: the first state of an optimizer that keeps one."""
    leaves, _, floats = _float_leaves(params)
    return [_zero_state(leaves[i]) for i in floats]


def _zero_state(leaf: Any) -> Any:
    """A zero state for the float leaf `leaf`: its library's `zeros_like`, not the zero
    gradient (a `torch.nn.Parameter`'s is a Parameter; its state is a `Tensor`, as the state's
    arithmetic keeps it); a float's zero gradient."""
    array = array_kind(leaf)
    return zero(leaf) if array is None else array.module.zeros_like(leaf)


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
    if type(new) is np.ndarray and type(leaf) is np.ndarray and new.dtype == leaf.dtype:
        return new  # the common case, without a call into numpy
    if isinstance(leaf, np.ndarray):
        return np.asarray(new, dtype=leaf.dtype)
    array = array_kind(leaf)
    if array is not None:  # another library's array: its arithmetic kept the dtype
        if array.dtype(new) != array.dtype(leaf):
            new = array.module.astype(new, leaf.dtype)
        return array.as_type_of(new, leaf, gradient=False)  # a Parameter stays a Parameter
    return type(leaf)(new)


def _descend(param: Any, rate: float, step: Any, into: np.ndarray[Any, Any] | None = None) -> Any:
    """`param - rate * step` as a new value, with one temporary array instead of two (the
    largest parameters are matrices of a few MB, updated every step); written into `into`, a
    donated gradient array of `param`'s shape and dtype, when there is one."""
    if into is not None:
        np.multiply(step, -rate, out=into)
        into += param
        return into
    if isinstance(step, np.ndarray):
        out = step * -rate
        out += param
        return out
    return param - rate * step


def _donated(leaves: list[Any], floats: list[int], parts: list[Any]) -> list[Any]:
    """For each float leaf, its gradient if the step may write the new value into it, else
    None: a writeable numpy array that owns its memory (not a view: a view's memory may be
    another gradient's), of the leaf's dtype (its shape was checked), that is no parameter's
    memory and not given twice (a caller may pass one array twice, or a parameter as a
    gradient: writing into it would change what a later leaf reads)."""
    params = set()
    for i in floats:
        leaf = leaves[i]
        if type(leaf) is np.ndarray:
            params.add(id(leaf if leaf.base is None else _root(leaf)))
    ids = [id(parts[i]) for i in floats]
    # Given twice: an array met more than once is nobody's to write into (rare: counted only
    # when the ids are not all distinct).
    twice = set() if len(set(ids)) == len(ids) else {k for k in ids if ids.count(k) > 1}
    into: list[Any] = []
    for i, k in zip(floats, ids, strict=True):
        g = parts[i]
        leaf = leaves[i]
        into.append(
            g
            if type(g) is np.ndarray
            and g.base is None
            and k not in params
            and k not in twice
            and type(leaf) is np.ndarray
            and g.dtype == leaf.dtype
            and g.flags.writeable
            else None
        )
    return into


class Optimizer(Generic[P]):
    """The base of the optimizers: made for parameters of type `P`, it turns parameters and
    their gradients into new parameters, keeping a state per float leaf. Subclasses define
    `update(i, param, grad)`, the new value of leaf `i` (an array or a float)."""

    def __init__(self, params: P, lr: float) -> None:
        if not lr > 0:
            raise CheckError(f"{type(self).__name__}: the learning rate must be positive, got {lr}")
        self.lr = float(lr)
        self.steps = 0
        leaves, treedef, floats = _float_leaves(params)
        self._keys = [_key(leaves[i]) for i in floats]
        self._floats = floats
        # The parameters' containers with None at every leaf: what `state` fills (the treedef of
        # `params` itself would keep the first parameters alive).
        self._size = len(leaves)
        self._skeleton = flatten(unflatten(treedef, [None] * self._size))[1]

    def step(self, params: P, grads: P, *, donate: bool = False) -> P:
        """New parameters: one step from `params` against their gradients `grads`.

        With `donate=True`, you give the step the arrays of `grads`: `SGD` and `Momentum`
        write the new parameters into them instead of into new arrays, which saves a pass
        over memory and an allocation per array (about a quarter of the step's time on a
        weight of a few MB). Use neither `grads` nor its arrays after the call: they are the
        new parameters. A gradient array is written into only if it is a writeable numpy
        array that owns its memory (not a view), of its parameter's dtype, given once and
        not a parameter's memory; the others, and the leaves of other optimizers, get new
        arrays as without `donate`. The gradients typedprop returns are always yours to
        give.

        !!! example
            ```python
            >>> import numpy as np
            >>> from typedprop import optim
            >>> opt = optim.SGD(np.array([1.0, 2.0]), lr=0.5)
            >>> g = np.array([1.0, -1.0])
            >>> p = opt.step(np.array([1.0, 2.0]), g, donate=True)
            >>> p, p is g
            (array([0.5, 2.5]), True)
            ```
        """
        # The quick walk of every step, one loop over the leaves: each float leaf's gradient
        # fits it, and the float leaves have the shapes and dtypes the optimizer was made for.
        # No paths are built unless something does not fit.
        leaves, treedef = flatten(params)
        try:
            parts: list[Any] | None = flatten_up_to(treedef, grads)
        except StructureMismatch:
            parts = None
        keys = self._keys
        floats: list[int] = []
        made_for = True
        if parts is not None:
            for i, leaf in enumerate(leaves):
                if not _is_float_leaf(leaf):
                    continue
                if not _fits(leaf, parts[i]):
                    parts = None
                    break
                n = len(floats)
                made_for = made_for and n < len(keys) and keys[n] == _key(leaf)
                floats.append(i)
        if parts is None:
            _refuse(params, grads, type(self).__name__)
        assert parts is not None
        if not made_for or len(floats) != len(keys):
            raise CheckError(
                f"{type(self).__name__}.step: the parameters do not have the structure and "
                "shapes the optimizer was made for"
            )
        self.steps += 1
        new = list(leaves)
        into = _donated(leaves, floats, parts) if donate else None
        update = self._update_into
        # PyTorch's autograd off: the update of a Parameter would record a graph that every
        # later step extends (see `backends.autograd_off`).
        restore = autograd_off()
        try:
            for n, i in enumerate(floats):
                leaf = leaves[i]
                into_n = None if into is None else into[n]
                new[i] = _replaced(leaf, update(n, leaf, parts[i], into_n))
        finally:
            if restore is not None:
                restore(True)
        result: P = unflatten(treedef, new)
        return result

    def update(self, i: int, param: Any, grad: Any) -> Any:
        raise NotImplementedError

    def _update_into(self, i: int, param: Any, grad: Any, into: np.ndarray[Any, Any] | None) -> Any:
        """`update`, writing the new value into `into` (a donated gradient array, or None)
        where the optimizer can: by default it does not."""
        return self.update(i, param, grad)

    def _slots(self) -> dict[str, list[Any]]:
        """The state the optimizer keeps per float leaf, by name, one list each (the lists
        themselves, which `load_state` refills)."""
        return {}

    def state(self) -> dict[str, Any]:
        """The optimizer's state: `steps`, and for each kind of state it keeps per float leaf
        (SGD none, Momentum `velocity`, Adam `m` and `v`), a structure like the parameters with
        that state at the float leaves and None at the others. Its arrays are the optimizer's
        own, which its steps replace but never change: save it (`typedprop.save`), or give it to
        `load_state`. The settings (`lr`, ...) are not part of it: they are the constructor's.

        !!! example
            ```python
            >>> import numpy as np
            >>> from typedprop import optim
            >>> opt = optim.Momentum((np.zeros(2), 0.0, 7), lr=0.1)
            >>> opt.state()
            {'steps': 0, 'velocity': (array([0., 0.]), 0.0, None)}
            ```
        """
        state: dict[str, Any] = {"steps": self.steps}
        for name, values in self._slots().items():
            leaves: list[Any] = [None] * self._size
            for i, value in zip(self._floats, values, strict=True):
                leaves[i] = value
            state[name] = unflatten(self._skeleton, leaves)
        return state

    def load_state(self, state: dict[str, Any]) -> None:
        """Continue from `state`, as `state()` gave it (or `typedprop.load` read it back with
        `like=opt.state()`): its step count and per-leaf state replace this optimizer's.
        Raises CheckError, changing nothing, if `state` is not the state of an optimizer of this
        kind for parameters of these structure, shapes and dtypes.

        !!! example
            ```python
            >>> import pathlib, tempfile
            >>> import numpy as np
            >>> import typedprop as tp
            >>> from typedprop import optim
            >>> path = pathlib.Path(tempfile.mkdtemp()) / "adam.npz"
            >>> p, opt = np.zeros(2), optim.Adam(np.zeros(2), lr=0.1)
            >>> p = opt.step(p, np.array([1.0, -1.0]))
            >>> tp.save(path, opt.state())
            >>> resumed = optim.Adam(p, lr=0.1)
            >>> resumed.load_state(tp.load(path, like=resumed.state()))
            >>> resumed.steps, bool((resumed.step(p, np.ones(2)) == opt.step(p, np.ones(2))).all())
            (1, True)
            ```
        """
        who = f"{type(self).__name__}.load_state"
        slots = self._slots()
        names = ["steps", *slots]
        given: object = state  # checked: an untyped caller may pass anything
        if not isinstance(given, dict) or sorted(given, key=str) != sorted(names):
            got = f"keys {list(given)}" if isinstance(given, dict) else describe(given)
            raise CheckError(f"{who}: expected a dict with keys {names}, got {got}")
        steps = state["steps"]
        if type(steps) is not int or steps < 0:
            raise CheckError(f"{who}: state['steps'] must be an int >= 0, got {steps!r}")
        loaded: dict[str, list[Any]] = {}
        for name, current in slots.items():
            try:
                leaves, treedef = flatten(state[name])
            except TypeError as e:
                raise CheckError(f"{who}: state[{name!r}]: {e}") from None
            if structure(treedef) != structure(self._skeleton):
                raise CheckError(
                    f"{who}: state[{name!r}] does not have the structure of the parameters the "
                    "optimizer was made for"
                )
            values = [leaves[i] for i in self._floats]
            for n, (value, now) in enumerate(zip(values, current, strict=True)):
                if not _is_float_leaf(value) or _spec(value) != _spec(now):
                    at = show_path(self._skeleton, leaf_paths(self._skeleton)[self._floats[n]])
                    raise CheckError(
                        f"{who}: state[{name!r}]{at} is {describe(value)}, expected {describe(now)}"
                    )
            loaded[name] = values
        self.steps = steps
        for name, values in loaded.items():
            slots[name][:] = values


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

    def _update_into(self, i: int, param: Any, grad: Any, into: np.ndarray[Any, Any] | None) -> Any:
        return _descend(param, self.lr, grad, into)


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
        self._velocity: list[Any] = _zeros(params)

    def update(self, i: int, param: Any, grad: Any) -> Any:
        return self._update_into(i, param, grad, None)

    def _update_into(self, i: int, param: Any, grad: Any, into: np.ndarray[Any, Any] | None) -> Any:
        # The velocity is a new array (the state keeps it); the gradient's memory, once read
        # into it, can take the new parameter.
        v = self._velocity[i] = self.momentum * self._velocity[i] + grad
        return _descend(param, self.lr, v, into)

    def _slots(self) -> dict[str, list[Any]]:
        return {"velocity": self._velocity}


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
        self._m: list[Any] = _zeros(params)
        self._v: list[Any] = _zeros(params)

    def update(self, i: int, param: Any, grad: Any) -> Any:
        b1, b2 = self.b1, self.b2
        m = self._m[i] = b1 * self._m[i] + (1.0 - b1) * grad
        v = self._v[i] = b2 * self._v[i] + (1.0 - b2) * grad * grad
        m_hat = m / (1.0 - b1**self.steps)
        v_hat = v / (1.0 - b2**self.steps)
        return param - self.lr * m_hat / (array_module(v_hat).sqrt(v_hat) + self.eps)

    def _slots(self) -> dict[str, list[Any]]:
        return {"m": self._m, "v": self._v}
