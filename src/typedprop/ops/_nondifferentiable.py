"""Functions without gradients: `argmax`, `argmin`, the comparisons (`equal`, `not_equal`,
`less`, `less_equal`, `greater`, `greater_equal`) and `shape`, `ndim`, `size`.

Their results are integers, booleans and shapes, which have no gradient, so they are plain
numpy values, never BVars: they take BVars or plain values (a BVar is read through its
`.value`), record nothing on the tape, and the gradient of the rest of the computation flows as
if they were not there. Their results feed the ops that take constants: a comparison is a
condition for `where`, an argmax an index for `getitem` or `take`.

Another library's arrays (PyTorch, JAX, array-api-strict, ...) give results of that library: 0-d
and boolean arrays of it where numpy gives numpy scalars and arrays (`shape`, `ndim` and `size`
give Python ints for every library). Arrays of two libraries are refused, as by the ops.

!!! example
    ```python
    >>> import numpy as np
    >>> import typedprop as tp
    >>> from typedprop import ops
    >>> def largest(x: tp.BVar[tp.Vec]) -> tp.BVar[float]:
    ...     i = ops.argmax(x)  # a plain integer
    ...     return ops.take(x, i) * 2.0
    >>> tp.backprop(largest, np.array([1.0, 3.0, 2.0]))
    (np.float64(6.0), array([0., 2., 0.]))
    ```

Internal: users import the functions from `typedprop.ops`.
"""

import math
from typing import Any, ClassVar, Literal, TypeAlias, overload

import numpy as np

from .._core.arrays import L, LibraryArray, OtherArray
from .._core.backends import mixing_message
from .._core.bvar import BVar
from .._core.errors import CheckError
from .._core.op import refuse
from .._core.structures import array_kind, array_module
from .._core.tape import check_live
from ._axes import describe_shape, normalize_axis
from ._broadcast import broadcast_error
from ._registry import public

_Scalar: TypeAlias = float | complex | np.number[Any] | np.bool_
_Array: TypeAlias = np.ndarray[Any, Any]
_Value: TypeAlias = _Array | _Scalar
_Input: TypeAlias = BVar[_Value] | _Value
"""What these functions read: a number or an array, a BVar of one or plain."""
_AnyInput: TypeAlias = _Input | BVar[LibraryArray] | LibraryArray
"""What `shape`, `ndim` and `size` read: also another library's array."""
_IntArray: TypeAlias = np.ndarray[tuple[Any, ...], np.dtype[np.intp]]
_BoolArray: TypeAlias = np.ndarray[tuple[Any, ...], np.dtype[np.bool_]]


def _plain(op: str, name: str, x: object) -> Any:
    """The plain value of `x`, argument `name` of `op`: a BVar's `.value` (the BVar must still
    be usable, as for any op), anything else as it is; refused as an op's argument is (a
    complex value, an array of no numbers, a structure: see `typedprop.Op`)."""
    if type(x) is BVar:
        if x._tape is not None:
            check_live(x._tape)
        x = x.value
    refuse(op, f"argument '{name}'", x)
    return x


def _one_library(op: str, xp: Any, a: Any, b: Any) -> None:
    """Refuse `a` and `b`, arguments of `op` that computes with the namespace `xp` of another
    library than numpy, if either is numpy's or a third library's array (or numpy scalar)."""
    library = next(array_kind(v).library for v in (a, b) if array_module(v) is xp)  # type: ignore[union-attr]
    for name, v in (("a", a), ("b", b)):
        kind = array_kind(v)
        other = "numpy" if isinstance(v, np.ndarray | np.generic) else None
        if kind is not None and kind.module is not xp:
            other = kind.library
        if other is not None:
            raise CheckError(
                mixing_message(op, (f"argument '{name}'", other), ("the other", library))
            )


class NotDifferentiable:
    """The kind of op without a gradient: it reads plain values (a BVar through its `.value`,
    which must still be usable), records nothing on the tape, and returns a plain integer,
    boolean or shape. Subclasses set `name` and define `__call__`, which carries their
    signature."""

    name: ClassVar[str]
    #: Read by the op registry: these ops have no rows in the gradient table.
    differentiable: ClassVar[bool] = False


class ArgReduce(NotDifferentiable):
    """The position of an extreme element, over all of `x` (flattened) or along `axis`.
    Subclasses set `name` and `reduce` (`np.argmax`, `np.argmin`)."""

    name: ClassVar[str]
    reduce: ClassVar[Any]

    @overload
    def __call__(
        self, x: _Input, /, axis: None = None, keepdims: Literal[False] = False
    ) -> np.intp: ...
    @overload
    def __call__(
        self, x: _Input, /, axis: int | None = None, keepdims: bool = False
    ) -> _IntArray: ...
    @overload
    def __call__(self, x: BVar[L] | L, /, axis: int | None = None, keepdims: bool = False) -> L: ...
    def __call__(self, x: _AnyInput, /, axis: int | None = None, keepdims: bool = False) -> Any:
        value = _plain(self.name, "x", x)
        if axis is not None:
            if isinstance(axis, tuple):
                raise CheckError(f"{self.name}: axis must be an int or None, got a tuple")
            normalize_axis(self.name, value, axis)
        if type(value) is not np.ndarray and (xp := array_module(value)) is not np:
            # Another library's: its 0-d array where numpy gives a scalar.
            if math.prod(tuple(value.shape)) == 0:
                raise CheckError(f"{self.name}: {describe_shape('x', value)} is empty")
            return getattr(xp, self.name)(value, axis=axis, keepdims=keepdims)
        if np.size(value) == 0:
            raise CheckError(f"{self.name}: {describe_shape('x', value)} is empty")
        return type(self).reduce(value, axis=axis, keepdims=keepdims)


class Argmax(ArgReduce):
    """The index of the largest element of `x`, as `numpy.argmax`: of the flattened array by
    default, an integer array of indices along `axis` otherwise. The first one wins a tie.
    Not differentiable: the result is a plain integer (array).

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> x = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
        >>> ops.argmax(x)
        np.int64(3)
        >>> ops.argmax(tp.constant(x), axis=1)
        array([1, 0])
        ```
    """

    name = "argmax"
    reduce = np.argmax


class Argmin(ArgReduce):
    """The index of the smallest element of `x`, as `numpy.argmin`: of the flattened array by
    default, an integer array of indices along `axis` otherwise. Not differentiable.

    !!! example
        ```python
        >>> import numpy as np
        >>> from typedprop import ops
        >>> ops.argmin(np.array([[1.0, 5.0], [-7.0, 0.0]]), axis=0, keepdims=True)
        array([[1, 1]])
        ```
    """

    name = "argmin"
    reduce = np.argmin


class Comparison(NotDifferentiable):
    """An elementwise comparison with numpy broadcasting, giving plain booleans. Subclasses
    set `name` and `compare` (a numpy ufunc)."""

    compare: ClassVar[np.ufunc]

    @overload
    def __call__(self, a: BVar[float] | _Scalar, b: BVar[float] | _Scalar, /) -> np.bool_: ...
    @overload
    def __call__(self, a: BVar[_Array] | _Array, b: _Input, /) -> _BoolArray: ...
    @overload
    def __call__(self, a: _Input, b: BVar[_Array] | _Array, /) -> _BoolArray: ...
    # Another library's arrays: its boolean array.
    @overload
    def __call__(
        self, a: BVar[L] | L, b: BVar[OtherArray] | OtherArray | BVar[float] | _Scalar, /
    ) -> L: ...
    @overload
    def __call__(self, a: BVar[float] | _Scalar, b: BVar[L] | L, /) -> L: ...
    def __call__(self, a: _AnyInput, b: _AnyInput, /) -> Any:
        va, vb = _plain(self.name, "a", a), _plain(self.name, "b", b)
        compare: Any = type(self).compare
        if (type(va) is not np.ndarray or type(vb) is not np.ndarray) and (
            xp := array_module(va, vb)
        ) is not np:
            _one_library(self.name, xp, va, vb)
            compare = getattr(xp, self.name)
        try:
            return compare(va, vb)
        except (ValueError, RuntimeError, TypeError):  # numpy's, PyTorch's, JAX's, for shapes
            try:
                np.broadcast_shapes(np.shape(va), np.shape(vb))
            except ValueError:
                raise broadcast_error(self.name, ("a", "b"), (va, vb)) from None
            raise


class Equal(Comparison):
    """`a == b`, elementwise, as `numpy.equal`; plain booleans, no gradient.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> ops.equal(tp.constant(np.array([1.0, 2.0])), 2.0)
        array([False,  True])
        ```
    """

    name = "equal"
    compare = np.equal


class NotEqual(Comparison):
    """`a != b`, elementwise, as `numpy.not_equal`; plain booleans, no gradient.

    !!! example
        ```python
        >>> import numpy as np
        >>> from typedprop import ops
        >>> ops.not_equal(np.array([1.0, 2.0]), 2.0)
        array([ True, False])
        ```
    """

    name = "not_equal"
    compare = np.not_equal


class Less(Comparison):
    """`a < b`, elementwise, as `numpy.less`; plain booleans, no gradient.

    !!! example
        ```python
        >>> from typedprop import ops
        >>> ops.less(1.0, 2.0)
        np.True_
        ```
    """

    name = "less"
    compare = np.less


class LessEqual(Comparison):
    """`a <= b`, elementwise, as `numpy.less_equal`; plain booleans, no gradient.

    !!! example
        ```python
        >>> import numpy as np
        >>> from typedprop import ops
        >>> ops.less_equal(np.array([[1.0], [3.0]]), np.array([1.0, 2.0]))
        array([[ True,  True],
               [False, False]])
        ```
    """

    name = "less_equal"
    compare = np.less_equal


class Greater(Comparison):
    """`a > b`, elementwise, as `numpy.greater`; plain booleans, no gradient. The usual
    condition for `where`.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> def relu_sum(x: tp.BVar[tp.Vec]) -> tp.BVar[float]:
        ...     return ops.sum(ops.where(ops.greater(x, 0.0), x, 0.0))
        >>> tp.grad(relu_sum, np.array([-1.0, 2.0]))
        array([0., 1.])
        ```
    """

    name = "greater"
    compare = np.greater


class GreaterEqual(Comparison):
    """`a >= b`, elementwise, as `numpy.greater_equal`; plain booleans, no gradient.

    !!! example
        ```python
        >>> import numpy as np
        >>> from typedprop import ops
        >>> ops.greater_equal(np.array([1.0, 2.0]), 2.0)
        array([False,  True])
        ```
    """

    name = "greater_equal"
    compare = np.greater_equal


argmax = public(Argmax())
argmin = public(Argmin())
equal = public(Equal())
not_equal = public(NotEqual())
less = public(Less())
less_equal = public(LessEqual())
greater = public(Greater())
greater_equal = public(GreaterEqual())


class Shape(NotDifferentiable):
    """The shape of `x` (a BVar's value, or a plain value) as a tuple of ints; `()` for a number.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> ops.shape(tp.constant(np.zeros((2, 3))))
        (2, 3)
        ```
    """

    name = "shape"

    def __call__(self, x: _AnyInput, /) -> tuple[int, ...]:
        return tuple(int(n) for n in np.shape(_plain(self.name, "x", x)))


class Ndim(NotDifferentiable):
    """The number of axes of `x` (a BVar's value, or a plain value); 0 for a number.

    !!! example
        ```python
        >>> import numpy as np
        >>> from typedprop import ops
        >>> ops.ndim(np.zeros((2, 3)))
        2
        ```
    """

    name = "ndim"

    def __call__(self, x: _AnyInput, /) -> int:
        return int(np.ndim(_plain(self.name, "x", x)))


class Size(NotDifferentiable):
    """The number of elements of `x` (a BVar's value, or a plain value); 1 for a number.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> ops.size(tp.constant(np.zeros((2, 3))))
        6
        ```
    """

    name = "size"

    def __call__(self, x: _AnyInput, /) -> int:
        value = _plain(self.name, "x", x)
        if type(value) is not np.ndarray and array_module(value) is not np:
            return math.prod(tuple(value.shape))  # PyTorch's `size` is a method
        return int(np.size(value))


shape = public(Shape())
ndim = public(Ndim())
size = public(Size())
