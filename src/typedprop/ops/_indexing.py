"""Indexing and selection: `getitem` (the op behind `x[key]`), `take` and `where`.

Each op picks elements of its differentiable input(s); the gradient puts the output's gradient
back where the elements came from and zeros everywhere else. Where an element is picked more
than once (repeated integer indices), its gradients add up: the gradient is scattered with
`np.add.at`, never by assignment, which would keep only the last one. The indices, keys and
conditions are constants: they are not differentiated.

!!! example
    ```python
    >>> import numpy as np
    >>> import typedprop as tp
    >>> from typedprop import ops
    >>> def f(x: tp.BVar[tp.Vec]) -> tp.BVar[float]:
    ...     picked = ops.getitem(x, np.array([0, 0, 2]))  # x[0] twice
    ...     return ops.sum(ops.where(ops.greater(picked, 0.0), picked, 0.0))
    >>> value, gradient = tp.backprop(f, np.array([1.0, 5.0, -3.0]))
    >>> value
    np.float64(2.0)
    >>> gradient
    array([2., 0., 0.])
    ```

Internal: users import the ops from `typedprop.ops`.
"""

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias, overload

import numpy as np

from .._core.arrays import DT, AnyArray, ArrayOf, Key, ResultOf
from .._core.bvar import BVar
from .._core.errors import CheckError
from .._core.op import Grad1, Op
from ._axes import describe_shape, normalize_axis
from ._broadcast import broadcast_error, unbroadcast
from ._registry import public, unconfigured

_F64Out: TypeAlias = np.ndarray[tuple[Any, ...], np.dtype[np.float64]]
_IndexArray: TypeAlias = np.ndarray[Any, np.dtype[np.integer[Any] | np.bool_]]
_BoolArray: TypeAlias = np.ndarray[Any, np.dtype[np.bool_]]

IndexArray: TypeAlias = np.ndarray[Any, np.dtype[np.integer[Any]]] | Sequence[int]
"""An integer array or list of indices."""

Indices: TypeAlias = int | np.integer[Any] | IndexArray
"""What `take` accepts: one integer or an array (or list) of them."""


_OUT_OF_BOUNDS = re.compile(r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)")
_BAD_MASK = re.compile(
    r"boolean index did not match indexed array along axis (\d+); size of axis is (\d+) "
    r"but size of corresponding boolean axis is (\d+)"
)
_TOO_MANY = re.compile(r"array is (\d+)-dimensional, but (\d+) were indexed")


def _refuse_bvar(op: str, what: str, value: object) -> None:
    if type(value) is BVar:
        raise CheckError(
            f"{op}: {what} is a BVar, but indices are not differentiable: pass its plain value "
            "(.value)"
        )


def _zeros_for(op: str, x: object) -> Callable[[], Any]:
    """A maker of zero gradients for `x`, an array or a numpy scalar (indexable like a 0-d
    array; its gradient is a numpy scalar again), after checking that `x` is one of them."""
    if isinstance(x, np.ndarray):
        return lambda: np.zeros(x.shape, dtype=x.dtype)
    if isinstance(x, np.generic):
        return lambda: np.zeros((), dtype=x.dtype)
    raise CheckError(f"{op}: argument 'x' must be an array, got {type(x).__name__}")


def _like(gx: Any, x: object) -> Any:
    """The gradient array `gx` as `x`'s type: a numpy scalar for a numpy scalar."""
    return gx[()] if isinstance(x, np.generic) else gx


def _frozen(index: object) -> object:
    """One entry of a key, with arrays and lists copied into arrays of their own, so that the
    gradient still sees the indices of the forward pass if the caller changes theirs later."""
    if isinstance(index, np.ndarray):
        return index.copy()
    if isinstance(index, list):
        a = np.array(index)
        # An empty list indexes nothing; numpy reads it as float64, which it would refuse.
        return a.astype(np.intp) if a.size == 0 and a.dtype.kind == "f" else a
    return index


def _is_basic(index: object) -> bool:
    """Whether numpy indexes with `index` by basic indexing (a view, no element twice)."""
    return (
        index is None
        or index is Ellipsis
        or isinstance(index, slice)
        or (isinstance(index, int | np.integer) and not isinstance(index, bool | np.bool_))
    )


class GetItem(Op[Any, Any]):
    """`x[key]`, numpy's indexing of an array: integers, slices (with steps, negative too),
    `None` (np.newaxis), `...`, integer arrays (advanced indexing), boolean masks, and the
    mixes numpy allows. `BVar.__getitem__` is this op. The key is a constant.

    Where an integer array picks an element several times, its gradients add up. Like numpy,
    a key of integers only gives a scalar (typed as an array, since mypy does not know the
    rank). An index out of bounds, or a mask of the wrong shape, is a CheckError.

    **Arguments:**

    - `x`: the array, a BVar or plain.
    - `key`: the index, or a tuple of them.

    **Returns:** `x[key]`, a BVar if `x` is one.

    `x[key]` for a constant `key`, which the op keeps a copy of.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        >>> ops.getitem(x, (slice(None), [2, 0]))
        array([[3., 1.],
               [6., 4.]])
        >>> tp.grad(lambda v: ops.sum(ops.getitem(v, [0, 0, 1])), np.array([1.0, 2.0, 3.0]))
        array([2., 1., 0.])
        >>> try:
        ...     ops.getitem(x, 5)
        ... except tp.CheckError as e:
        ...     print(e)
        getitem: index 5 is out of bounds for axis 0 of argument 'x' of shape (2, 3)
        ```
    """

    name = "getitem"

    @overload  # type: ignore[override]  # this op's own signature
    def __call__(self, x: BVar[ArrayOf[DT]], key: Key, /) -> BVar[ResultOf[DT]]: ...
    @overload
    def __call__(self, x: ArrayOf[DT], key: Key, /) -> ResultOf[DT]: ...
    def __call__(self, x: Any, key: Any, /) -> Any:
        return Op.__call__(GetItem(key), x)

    def __init__(self, key: Any) -> None:
        entries = key if isinstance(key, tuple) else (key,)
        for entry in entries:
            _refuse_bvar("getitem", "the key", entry)
        frozen = tuple(_frozen(e) for e in entries)
        self.key: Any = frozen if isinstance(key, tuple) else frozen[0]
        self.basic = all(_is_basic(e) for e in frozen)

    def forward(self, x: Any) -> tuple[Any, Grad1]:
        zeros = _zeros_for(self.name, x)
        key = self.key
        try:
            out = x[key]
        except IndexError as e:
            raise self.index_error(x, str(e).strip()) from None

        def grad(g: Any) -> tuple[Any]:
            gx = zeros()
            if self.basic:
                gx[key] = g  # basic indexing never picks an element twice
            else:
                np.add.at(gx, key, g)
            return (_like(gx, x),)

        return out, grad

    def index_error(self, x: Any, message: str) -> CheckError:
        """numpy's IndexError for `x[key]`, explained with the op, argument and shape."""
        where = describe_shape("x", x)
        if m := _OUT_OF_BOUNDS.search(message):
            index, axis, _ = m.groups()
            return CheckError(f"getitem: index {index} is out of bounds for axis {axis} of {where}")
        if m := _BAD_MASK.search(message):
            axis, size, mask_size = m.groups()
            entries = self.key if isinstance(self.key, tuple) else (self.key,)
            masks = [e for e in entries if isinstance(e, np.ndarray) and e.dtype == np.bool_]
            mask = (
                f"boolean mask of shape {masks[0].shape}" if len(masks) == 1 else "a boolean mask"
            )
            return CheckError(
                f"getitem: {mask} does not match {where}: axis {axis} has size {size}, "
                f"the mask {mask_size}"
            )
        if m := _TOO_MANY.search(message):
            ndim, indexed = m.groups()
            axes = "1 axis" if ndim == "1" else f"{ndim} axes"
            return CheckError(
                f"getitem: too many indices for {where}: it has {axes}, but {indexed} were indexed"
            )
        return CheckError(f"getitem: the key cannot index {where}: {message}")


class Take(Op[Any, Any]):
    """The elements of `x` at `indices` along `axis`, as `numpy.take` (mode 'raise'): with
    `axis=None` (the default) `x` is read flattened. Negative indices count from the end;
    repeated indices get their gradients added up.

    **Arguments:**

    - `x`: the array, a BVar or plain.
    - `indices`: an integer or an integer array (a constant).
    - `axis`: the axis to take along, or None for the flattened array.

    **Returns:** the selected elements: a scalar for one index and `axis=None`, otherwise an
    array with `indices`' shape in place of `axis`.

    `numpy.take(x, indices, axis)` with mode 'raise', for constant `indices`.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> x = np.array([[1.0, 2.0], [3.0, 4.0]])
        >>> ops.take(x, [1, 1], axis=1)
        array([[2., 2.],
               [4., 4.]])
        >>> tp.grad(lambda m: ops.sum(ops.take(m, [3, 3, 0])), x)
        array([[1., 0.],
               [0., 2.]])
        ```
    """

    name = "take"

    @overload  # type: ignore[override]  # this op's own signature
    def __call__(
        self, x: BVar[ArrayOf[DT]], indices: int | np.integer[Any], /, axis: None = None
    ) -> BVar[float]: ...
    @overload
    def __call__(
        self, x: BVar[ArrayOf[DT]], indices: IndexArray, /, axis: int | None = None
    ) -> BVar[ResultOf[DT]]: ...
    @overload
    def __call__(
        self, x: BVar[ArrayOf[DT]], indices: int | np.integer[Any], /, axis: int
    ) -> BVar[ResultOf[DT]]: ...
    @overload
    def __call__(
        self, x: ArrayOf[DT], indices: int | np.integer[Any], /, axis: None = None
    ) -> float: ...
    @overload
    def __call__(
        self, x: ArrayOf[DT], indices: IndexArray, /, axis: int | None = None
    ) -> ResultOf[DT]: ...
    @overload
    def __call__(
        self, x: ArrayOf[DT], indices: int | np.integer[Any], /, axis: int
    ) -> ResultOf[DT]: ...
    def __call__(self, x: Any, indices: Indices, /, axis: int | None = None) -> Any:
        return Op.__call__(Take(indices, axis), x)

    def __init__(self, indices: Any, axis: int | None) -> None:
        _refuse_bvar("take", "indices", indices)
        idx = np.array(indices)
        if idx.size == 0 and idx.dtype.kind == "f":
            idx = idx.astype(np.intp)  # an empty list
        if idx.dtype.kind not in "iu":
            raise CheckError(f"take: indices must be integers, got dtype {idx.dtype}")
        self.indices = idx
        self.axis = axis

    def forward(self, x: Any) -> tuple[Any, Grad1]:
        zeros = _zeros_for(self.name, x)
        idx = self.indices
        axis = None if self.axis is None else normalize_axis(self.name, x, self.axis)[0]
        try:
            out = np.take(x, idx, axis=axis)
        except IndexError as e:
            raise self.index_error(x, axis, str(e).strip()) from None

        def grad(g: Any) -> tuple[Any]:
            gx = zeros()
            if axis is None:
                np.add.at(gx.reshape(-1), idx, g)  # a view: the zeros are contiguous
            else:
                along: Any = (slice(None),) * axis + (idx,)  # numpy's stubs miss slices in keys
                np.add.at(gx, along, g)
            return (_like(gx, x),)

        return out, grad

    def index_error(self, x: Any, axis: int | None, message: str) -> CheckError:
        """numpy's IndexError for the take, explained with the first index out of bounds."""
        n = x.size if axis is None else x.shape[axis]
        flat = self.indices.ravel()
        bad = flat[(flat < -n) | (flat >= n)]
        if not bad.size:
            return CheckError(f"take: cannot take from {describe_shape('x', x)}: {message}")
        where = (
            f"{describe_shape('x', x)} flattened (size {n})"
            if axis is None
            else f"axis {axis} of {describe_shape('x', x)}"
        )
        return CheckError(f"take: index {bad[0]} is out of bounds for {where}")


class Where(Op[Any, Any, Any]):
    """`a` where `condition` holds and `b` elsewhere, as `numpy.where`: the three arguments
    broadcast together. The gradient of `a` is the output's where the condition holds (and
    zero elsewhere), summed back to `a`'s shape; `b`'s likewise where it does not.

    The condition is not differentiable: it is a plain boolean array or bool, such as the
    result of a comparison (`ops.greater(x, 0.0)`, or `x.value > 0`). A BVar condition is a
    CheckError.

    **Arguments:**

    - `condition`: a boolean array or a bool.
    - `a`, `b`: the values to choose from, BVars or plain.

    **Returns:** the chosen values, of the broadcast shape of the three arguments.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> def relu_sum(x: tp.BVar[tp.Vec]) -> tp.BVar[float]:
        ...     return ops.sum(ops.where(x.value > 0, x, 0.0))
        >>> tp.grad(relu_sum, np.array([-1.0, 2.0, 3.0]))
        array([0., 1., 1.])
        ```
    """

    name = "where"

    @overload  # type: ignore[override]  # this op's own signature
    def __call__(
        self,
        condition: _BoolArray | bool | np.bool_,
        a: BVar[ArrayOf[DT]],
        b: BVar[AnyArray] | AnyArray | BVar[float] | float,
        /,
    ) -> BVar[ResultOf[DT]]: ...
    @overload
    def __call__(
        self,
        condition: _BoolArray | bool | np.bool_,
        a: AnyArray | BVar[float] | float,
        b: BVar[ArrayOf[DT]],
        /,
    ) -> BVar[ResultOf[DT]]: ...
    @overload
    def __call__(
        self, condition: bool | np.bool_, a: BVar[float], b: BVar[float] | float, /
    ) -> BVar[float]: ...
    @overload
    def __call__(self, condition: bool | np.bool_, a: float, b: BVar[float], /) -> BVar[float]: ...
    @overload
    def __call__(
        self, condition: _BoolArray, a: BVar[float], b: BVar[float] | float, /
    ) -> BVar[_F64Out]: ...
    @overload
    def __call__(self, condition: _BoolArray, a: float, b: BVar[float], /) -> BVar[_F64Out]: ...
    @overload
    def __call__(
        self, condition: _BoolArray | bool | np.bool_, a: ArrayOf[DT], b: AnyArray | float, /
    ) -> ResultOf[DT]: ...
    @overload
    def __call__(
        self, condition: _BoolArray | bool | np.bool_, a: float, b: ArrayOf[DT], /
    ) -> ResultOf[DT]: ...
    @overload
    def __call__(self, condition: bool | np.bool_, a: float, b: float, /) -> float: ...
    @overload
    def __call__(self, condition: _BoolArray, a: float, b: float, /) -> _F64Out: ...
    def __call__(self, condition: Any, a: Any, b: Any, /) -> Any:
        if type(condition) is BVar:
            raise CheckError(
                "where: the condition is a BVar, but a condition is not differentiable: pass its "
                "plain value (cond.value) or a comparison's plain result (ops.greater(x, 0.0))"
            )
        if not isinstance(condition, bool | np.bool_) and not (
            isinstance(condition, np.ndarray) and condition.dtype == np.bool_
        ):
            got = (
                f"an array of dtype {condition.dtype}"
                if isinstance(condition, np.ndarray)
                else f"a value of type {type(condition).__name__}"
            )
            raise CheckError(
                f"where: argument 'condition' must be a boolean array or a bool, got {got}; "
                "compare first (ops.greater(x, 0.0))"
            )
        return Op.__call__(Where(condition), a, b)

    def __init__(self, condition: Any) -> None:
        self.condition = condition

    def forward(self, a: Any, b: Any) -> tuple[Any, Callable[[Any], tuple[Any, Any]]]:
        cond = self.condition
        try:
            out = np.where(cond, a, b)
        except ValueError:
            try:
                np.broadcast_shapes(np.shape(cond), np.shape(a), np.shape(b))
            except ValueError:
                raise broadcast_error(self.name, ("condition", "a", "b"), (cond, a, b)) from None
            raise
        if out.ndim == 0:
            out = out[()]  # numpy gives a 0-d array; the ops give scalars, like a reduction

        def grad(g: Any) -> tuple[Any, Any]:
            return unbroadcast(np.where(cond, g, 0.0), a), unbroadcast(np.where(cond, 0.0, g), b)

        return out, grad


getitem = public(unconfigured(GetItem), note="`x[key]`: basic, integer-array and boolean")

take = public(unconfigured(Take))

where = public(unconfigured(Where), note="the condition is not differentiated")
