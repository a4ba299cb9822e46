"""The variable: `BVar[T]`, a value of type `T` being differentiated, and the typed accessors
that take structured values apart (`view`, `unpack`, `sequence`) and put them together
(`collect`).

A BVar is either on a tape (made by `backprop` or by an op applied to BVars inside the function
being differentiated) or a constant (made by `constant`, or by an op applied only to constants),
which gets no gradient. Arithmetic operators on BVars go through ops with known gradients in
`typedprop.ops`; mixing in plain numbers and arrays on either side makes them constants.

Internal: users import `BVar`, `constant`, `sequence` and `collect` from `typedprop`.
"""

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, final, overload

import numpy as np

from .arrays import DT, Index, Key, L, N, OtherArray, S
from .arrays import Axis as _Axis
from .errors import CheckError
from .structures import Mismatch, Partial, array_kind, check_supported, resolve_path
from .tape import Maker, Tape, check_live

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
U = TypeVar("U")
A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")
D = TypeVar("D")
E = TypeVar("E")
F = TypeVar("F")
G = TypeVar("G")
H = TypeVar("H")

_AnyArray = np.ndarray[Any, np.dtype[Any]]
_M = tuple[int, int]
_V = tuple[int]
# The self types of the methods' overloads for another library's arrays: the BVar itself comes
# back (`BVar[torch.Tensor]`). mypy checks a self type variable's bound, but not the bound of
# one nested in it (`self: BVar[L]` would let a `BVar[float]` or a structure through). `.T`, a
# property without overloads, takes numpy's arrays too.
_BL = TypeVar("_BL", bound="BVar[OtherArray]")
_BT = TypeVar("_BT", bound="BVar[np.ndarray[Any, Any]] | BVar[OtherArray]")


class _OpTable:
    """The ops behind BVar's operators and numpy-style methods, filled by `typedprop.ops` when
    it loads (see `ops/_methods.py`): the core names what it needs, the op library provides it,
    and no import goes from the core up to the ops (autograd's boxes and JAX's array methods are
    wired the same way). Each entry is called exactly as the method that uses it."""

    add: Callable[..., Any]
    subtract: Callable[..., Any]
    multiply: Callable[..., Any]
    divide: Callable[..., Any]
    power: Callable[..., Any]  # `x ** p` and `c ** x`: a constant exponent takes no logarithm
    negative: Callable[..., Any]
    matmul: Callable[..., Any]
    sum: Callable[..., Any]
    mean: Callable[..., Any]
    max: Callable[..., Any]
    min: Callable[..., Any]
    prod: Callable[..., Any]
    var: Callable[..., Any]
    std: Callable[..., Any]
    reshape: Callable[..., Any]
    ravel: Callable[..., Any]
    squeeze: Callable[..., Any]
    transpose: Callable[..., Any]
    clip: Callable[..., Any]
    abs: Callable[..., Any]
    argmax: Callable[..., Any]
    argmin: Callable[..., Any]
    getitem: Callable[..., Any]

    def __getattr__(self, name: str) -> Any:
        # Only reached for an entry not filled: the op library was never imported.
        raise RuntimeError(
            f"BVar's {name} needs typedprop's op library: import typedprop (not only its core)"
        )

    def missing(self) -> list[str]:
        """The entries not filled yet (for the op library's own completeness check)."""
        return [k for k in type(self).__annotations__ if k not in vars(self)]


_ops = _OpTable()
"""The table BVar's operators and methods call through."""


@final
class BVar(Generic[T_co]):
    """A value of type `T` being differentiated.

    You get BVars as the arguments of the function you pass to `backprop`, and by applying ops
    to them. `.value` is the plain value. The operators `+ - * / ** @` and unary `-` work on
    numeric and array BVars, mixed with plain numbers and arrays on either side. A structured
    BVar (a tuple, dataclass, dict, ...) is taken apart with `view` and `unpack`.

    A BVar is only valid inside the `backprop` call that made it: using it afterwards, or in
    another `backprop` call, raises `TapeError`. It has no truth value; branch on `.value`.

    !!! example
        ```python
        >>> import typedprop as tp
        >>> def f(x: tp.BVar[float]) -> tp.BVar[float]:
        ...     return x * x + 3.0 * x
        >>> tp.backprop(f, 2.0)
        (10.0, 7.0)
        ```
    """

    __slots__ = ("_index", "_tape", "value")
    # Opt out of numpy's ufunc dispatch, so `array + bvar` reaches BVar.__radd__.
    __array_ufunc__ = None

    value: T_co

    def __init__(self, value: T_co, tape: Tape | None = None, index: int = -1) -> None:
        self.value = value
        self._tape = tape
        self._index = index

    def __repr__(self) -> str:
        where = "constant" if self._tape is None else f"node {self._index}"
        return f"BVar({self.value!r}, {where})"

    def __bool__(self) -> bool:
        raise TypeError(
            "a BVar has no truth value: branch on its plain value (`if x.value > 0:`), "
            "which the gradient does not flow through"
        )

    if not TYPE_CHECKING:
        # Hidden from mypy: numpy's stubs would take a class with __array__ for an array, and
        # type `array * bvar` as an array.

        def __array__(self, dtype=None, copy=None):
            # Without this, numpy functions would wrap a BVar in an object array and compute
            # something that no gradient flows through.
            raise TypeError(
                "a BVar cannot become a numpy array: numpy functions do not record gradients; "
                "use BVar operators or typedprop ops on it, or its plain value .value"
            )

    # -- structures ----------------------------------------------------------------------------

    def narrow(self, cls: type[U]) -> "BVar[U]":
        """This BVar as the variant `cls` of its union type, for code that branched on the
        value: mypy then knows the variant's fields. Raises CheckError if the value is not a
        `cls`. The gradient is of the variant the parameter was given.

        !!! example
            ```python
            >>> from dataclasses import dataclass
            >>> import typedprop as tp
            >>> @dataclass
            ... class Line:
            ...     slope: float
            >>> @dataclass
            ... class Parabola:
            ...     curve: float
            ...     slope: float
            >>> def at_two(p: tp.BVar[Line | Parabola]) -> tp.BVar[float]:
            ...     match p.value:
            ...         case Line():
            ...             return p.narrow(Line).view(lambda m: m.slope) * 2.0
            ...         case Parabola():
            ...             q = p.narrow(Parabola)
            ...             return q.view(lambda m: m.curve) * 4.0 + q.view(lambda m: m.slope) * 2.0
            >>> tp.grad(at_two, Parabola(1.0, 1.0))
            Parabola(curve=4.0, slope=2.0)
            >>> tp.grad(at_two, Line(1.0))
            Line(slope=2.0)
            ```
        """
        if not isinstance(self.value, cls):
            raise CheckError(
                f"narrow: the value is a {type(self.value).__name__}, not a {cls.__name__}"
            )
        narrowed: BVar[U] = self  # type: ignore[assignment]  # the isinstance check above
        return narrowed

    def view(self, getter: Callable[[T_co], U]) -> "BVar[U]":
        """The part of a structured value that `getter` selects, as a BVar: the gradient of the
        part flows back into the whole (backprop's `^^.`).

        The getter may only select: attributes of dataclasses and NamedTuples, and items of
        tuples, lists and dicts, to any depth (`lambda m: m.layers[0].w`). mypy checks it
        against `T`, so a missing field is a static error.

        !!! example
            ```python
            >>> from dataclasses import dataclass
            >>> import typedprop as tp
            >>> @dataclass
            ... class Line:
            ...     slope: float
            ...     offset: float
            >>> tp.grad(lambda p: p.view(lambda m: m.slope) * 3.0 + p.view(lambda m: m.offset),
            ...         Line(1.0, 2.0))
            Line(slope=3.0, offset=1.0)
            ```
        """
        try:
            path, part = resolve_path(self.value, getter)
        except Mismatch as e:
            raise CheckError(f"view: {e}") from None
        result: BVar[U] = _select(self, path, part)
        return result

    @overload
    def unpack(self: "BVar[tuple[A]]") -> "tuple[BVar[A]]": ...
    @overload
    def unpack(self: "BVar[tuple[A, B]]") -> "tuple[BVar[A], BVar[B]]": ...
    @overload
    def unpack(self: "BVar[tuple[A, B, C]]") -> "tuple[BVar[A], BVar[B], BVar[C]]": ...
    @overload
    def unpack(
        self: "BVar[tuple[A, B, C, D]]",
    ) -> "tuple[BVar[A], BVar[B], BVar[C], BVar[D]]": ...
    @overload
    def unpack(
        self: "BVar[tuple[A, B, C, D, E]]",
    ) -> "tuple[BVar[A], BVar[B], BVar[C], BVar[D], BVar[E]]": ...
    @overload
    def unpack(
        self: "BVar[tuple[A, B, C, D, E, F]]",
    ) -> "tuple[BVar[A], BVar[B], BVar[C], BVar[D], BVar[E], BVar[F]]": ...
    @overload
    def unpack(
        self: "BVar[tuple[A, B, C, D, E, F, G]]",
    ) -> "tuple[BVar[A], BVar[B], BVar[C], BVar[D], BVar[E], BVar[F], BVar[G]]": ...
    @overload
    def unpack(
        self: "BVar[tuple[A, B, C, D, E, F, G, H]]",
    ) -> "tuple[BVar[A], BVar[B], BVar[C], BVar[D], BVar[E], BVar[F], BVar[G], BVar[H]]": ...
    @overload
    def unpack(self: "BVar[tuple[A, ...]]") -> "tuple[BVar[A], ...]": ...
    def unpack(self: "BVar[Any]") -> "tuple[BVar[Any], ...]":
        """The items of a tuple-valued BVar as a tuple of BVars, typed item by item for tuples
        of up to 8 items.

        !!! example
            ```python
            >>> import typedprop as tp
            >>> def f(p: tp.BVar[tuple[float, float]]) -> tp.BVar[float]:
            ...     a, b = p.unpack()
            ...     return a * b
            >>> tp.grad(f, (2.0, 5.0))
            (5.0, 2.0)
            ```
        """
        if not isinstance(self.value, tuple):
            raise CheckError(f"unpack: expected a tuple, got {type(self.value).__name__}")
        return tuple(_items(self, self.value))

    # -- arithmetic: each operator is one op of typedprop.ops ---------------------------------
    # The overloads say what numpy says: same types keep their type; arrays of other shapes
    # broadcast to an array whose rank mypy does not know; a scalar with an array is the array.

    @overload
    def __add__(self: "BVar[N]", other: "BVar[N] | N | BVar[float] | float", /) -> "BVar[N]": ...
    @overload
    def __add__(
        self: "BVar[np.ndarray[S, DT]]", other: "BVar[_AnyArray] | _AnyArray | BVar[float]", /
    ) -> "BVar[np.ndarray[tuple[Any, ...], DT]]": ...
    @overload
    def __add__(
        self: "BVar[float]", other: "BVar[np.ndarray[S, DT]] | np.ndarray[S, DT]", /
    ) -> "BVar[np.ndarray[S, DT]]": ...
    def __add__(self, other: object, /) -> "BVar[Any]":
        result: BVar[Any] = _ops.add(self, other)
        return result

    @overload
    def __radd__(self: "BVar[N]", other: "N | float", /) -> "BVar[N]": ...
    @overload
    def __radd__(
        self: "BVar[np.ndarray[S, DT]]", other: _AnyArray, /
    ) -> "BVar[np.ndarray[tuple[Any, ...], DT]]": ...
    @overload
    def __radd__(
        self: "BVar[float]", other: "np.ndarray[S, DT]", /
    ) -> "BVar[np.ndarray[S, DT]]": ...
    def __radd__(self, other: object, /) -> "BVar[Any]":
        result: BVar[Any] = _ops.add(other, self)
        return result

    @overload
    def __sub__(self: "BVar[N]", other: "BVar[N] | N | BVar[float] | float", /) -> "BVar[N]": ...
    @overload
    def __sub__(
        self: "BVar[np.ndarray[S, DT]]", other: "BVar[_AnyArray] | _AnyArray | BVar[float]", /
    ) -> "BVar[np.ndarray[tuple[Any, ...], DT]]": ...
    @overload
    def __sub__(
        self: "BVar[float]", other: "BVar[np.ndarray[S, DT]] | np.ndarray[S, DT]", /
    ) -> "BVar[np.ndarray[S, DT]]": ...
    def __sub__(self, other: object, /) -> "BVar[Any]":
        result: BVar[Any] = _ops.subtract(self, other)
        return result

    @overload
    def __rsub__(self: "BVar[N]", other: "N | float", /) -> "BVar[N]": ...
    @overload
    def __rsub__(
        self: "BVar[np.ndarray[S, DT]]", other: _AnyArray, /
    ) -> "BVar[np.ndarray[tuple[Any, ...], DT]]": ...
    @overload
    def __rsub__(
        self: "BVar[float]", other: "np.ndarray[S, DT]", /
    ) -> "BVar[np.ndarray[S, DT]]": ...
    def __rsub__(self, other: object, /) -> "BVar[Any]":
        result: BVar[Any] = _ops.subtract(other, self)
        return result

    @overload
    def __mul__(self: "BVar[N]", other: "BVar[N] | N | BVar[float] | float", /) -> "BVar[N]": ...
    @overload
    def __mul__(
        self: "BVar[np.ndarray[S, DT]]", other: "BVar[_AnyArray] | _AnyArray | BVar[float]", /
    ) -> "BVar[np.ndarray[tuple[Any, ...], DT]]": ...
    @overload
    def __mul__(
        self: "BVar[float]", other: "BVar[np.ndarray[S, DT]] | np.ndarray[S, DT]", /
    ) -> "BVar[np.ndarray[S, DT]]": ...
    def __mul__(self, other: object, /) -> "BVar[Any]":
        result: BVar[Any] = _ops.multiply(self, other)
        return result

    @overload
    def __rmul__(self: "BVar[N]", other: "N | float", /) -> "BVar[N]": ...
    @overload
    def __rmul__(
        self: "BVar[np.ndarray[S, DT]]", other: _AnyArray, /
    ) -> "BVar[np.ndarray[tuple[Any, ...], DT]]": ...
    @overload
    def __rmul__(
        self: "BVar[float]", other: "np.ndarray[S, DT]", /
    ) -> "BVar[np.ndarray[S, DT]]": ...
    def __rmul__(self, other: object, /) -> "BVar[Any]":
        result: BVar[Any] = _ops.multiply(other, self)
        return result

    @overload
    def __truediv__(
        self: "BVar[N]", other: "BVar[N] | N | BVar[float] | float", /
    ) -> "BVar[N]": ...
    @overload
    def __truediv__(
        self: "BVar[np.ndarray[S, DT]]", other: "BVar[_AnyArray] | _AnyArray | BVar[float]", /
    ) -> "BVar[np.ndarray[tuple[Any, ...], DT]]": ...
    @overload
    def __truediv__(
        self: "BVar[float]", other: "BVar[np.ndarray[S, DT]] | np.ndarray[S, DT]", /
    ) -> "BVar[np.ndarray[S, DT]]": ...
    def __truediv__(self, other: object, /) -> "BVar[Any]":
        result: BVar[Any] = _ops.divide(self, other)
        return result

    @overload
    def __rtruediv__(self: "BVar[N]", other: "N | float", /) -> "BVar[N]": ...
    @overload
    def __rtruediv__(
        self: "BVar[np.ndarray[S, DT]]", other: _AnyArray, /
    ) -> "BVar[np.ndarray[tuple[Any, ...], DT]]": ...
    @overload
    def __rtruediv__(
        self: "BVar[float]", other: "np.ndarray[S, DT]", /
    ) -> "BVar[np.ndarray[S, DT]]": ...
    def __rtruediv__(self, other: object, /) -> "BVar[Any]":
        result: BVar[Any] = _ops.divide(other, self)
        return result

    def __pow__(self: "BVar[N]", other: "BVar[N] | N | BVar[float] | float", /) -> "BVar[N]":
        result: BVar[N] = _ops.power(self, other)
        return result

    def __rpow__(self: "BVar[N]", other: float, /) -> "BVar[N]":
        result: BVar[N] = _ops.power(other, self)
        return result

    def __neg__(self: "BVar[N]") -> "BVar[N]":
        result: BVar[N] = _ops.negative(self)
        return result

    @overload
    def __matmul__(
        self: "BVar[np.ndarray[_M, DT]]",
        other: "BVar[np.ndarray[_M, Any]] | np.ndarray[_M, Any]",
        /,
    ) -> "BVar[np.ndarray[_M, DT]]": ...
    @overload
    def __matmul__(
        self: "BVar[np.ndarray[_M, DT]]",
        other: "BVar[np.ndarray[_V, Any]] | np.ndarray[_V, Any]",
        /,
    ) -> "BVar[np.ndarray[_V, DT]]": ...
    @overload
    def __matmul__(
        self: "BVar[np.ndarray[_V, DT]]",
        other: "BVar[np.ndarray[_M, Any]] | np.ndarray[_M, Any]",
        /,
    ) -> "BVar[np.ndarray[_V, DT]]": ...
    @overload
    def __matmul__(
        self: "BVar[np.ndarray[_V, DT]]",
        other: "BVar[np.ndarray[_V, Any]] | np.ndarray[_V, Any]",
        /,
    ) -> "BVar[float]": ...
    @overload
    def __matmul__(
        self: "BVar[np.ndarray[S, DT]]", other: "BVar[_AnyArray] | _AnyArray", /
    ) -> "BVar[np.ndarray[tuple[Any, ...], DT]]": ...
    @overload
    def __matmul__(self: "_BL", other: "BVar[OtherArray] | OtherArray", /) -> "_BL": ...
    def __matmul__(self, other: object, /) -> "BVar[Any]":
        result: BVar[Any] = _ops.matmul(self, other)
        return result

    @overload
    def __rmatmul__(
        self: "BVar[np.ndarray[_M, DT]]", other: "np.ndarray[_M, Any]", /
    ) -> "BVar[np.ndarray[_M, DT]]": ...
    @overload
    def __rmatmul__(
        self: "BVar[np.ndarray[_V, DT]]", other: "np.ndarray[_M, Any]", /
    ) -> "BVar[np.ndarray[_V, DT]]": ...
    @overload
    def __rmatmul__(
        self: "BVar[np.ndarray[_M, DT]]", other: "np.ndarray[_V, Any]", /
    ) -> "BVar[np.ndarray[_V, DT]]": ...
    @overload
    def __rmatmul__(
        self: "BVar[np.ndarray[_V, DT]]", other: "np.ndarray[_V, Any]", /
    ) -> "BVar[float]": ...
    @overload
    def __rmatmul__(
        self: "BVar[np.ndarray[S, DT]]", other: _AnyArray, /
    ) -> "BVar[np.ndarray[tuple[Any, ...], DT]]": ...
    @overload
    def __rmatmul__(self: "_BL", other: "OtherArray", /) -> "_BL": ...
    def __rmatmul__(self, other: object, /) -> "BVar[Any]":
        result: BVar[Any] = _ops.matmul(other, self)
        return result

    # -- numpy's array methods: each is an op of typedprop.ops ---------------------------------
    # Written out so that mypy and editors see each signature. Reducing every axis gives a
    # BVar[float]; reducing some axes, or keeping them, an array of the input's dtype.

    @overload
    def sum(
        self: "BVar[np.ndarray[Any, Any]] | BVar[float]",
        axis: None = None,
        keepdims: Literal[False] = False,
    ) -> "BVar[float]": ...
    @overload
    def sum(
        self: "BVar[np.ndarray[Any, DT]]",
        axis: _Axis = None,
        keepdims: bool = False,
    ) -> "BVar[np.ndarray[tuple[Any, ...], DT]]": ...
    @overload
    def sum(self: "_BL", axis: _Axis = None, keepdims: bool = False) -> "_BL": ...
    def sum(
        self: "BVar[Any]", axis: _Axis = None, keepdims: bool = False, **numpy_args: object
    ) -> "BVar[Any]":
        """`ops.sum(x, axis, keepdims)`, as numpy's `ndarray.sum`.

        !!! example
            ```python
            >>> import numpy as np
            >>> import typedprop as tp
            >>> tp.grad(lambda x: x.sum(), np.array([1.0, 2.0]))
            array([1., 1.])
            ```
        """
        _numpy_call("sum", numpy_args)
        result: BVar[Any] = _ops.sum(self, axis, keepdims=keepdims)
        return result

    @overload
    def mean(
        self: "BVar[np.ndarray[Any, Any]] | BVar[float]",
        axis: None = None,
        keepdims: Literal[False] = False,
    ) -> "BVar[float]": ...
    @overload
    def mean(
        self: "BVar[np.ndarray[Any, DT]]",
        axis: _Axis = None,
        keepdims: bool = False,
    ) -> "BVar[np.ndarray[tuple[Any, ...], DT]]": ...
    @overload
    def mean(self: "_BL", axis: _Axis = None, keepdims: bool = False) -> "_BL": ...
    def mean(
        self: "BVar[Any]", axis: _Axis = None, keepdims: bool = False, **numpy_args: object
    ) -> "BVar[Any]":
        """`ops.mean(x, axis, keepdims)`, as numpy's `ndarray.mean`.

        !!! example
            ```python
            >>> import numpy as np
            >>> import typedprop as tp
            >>> tp.grad(lambda x: x.mean(), np.array([1.0, 2.0]))
            array([0.5, 0.5])
            ```
        """
        _numpy_call("mean", numpy_args)
        result: BVar[Any] = _ops.mean(self, axis, keepdims=keepdims)
        return result

    @overload
    def max(
        self: "BVar[np.ndarray[Any, Any]] | BVar[float]",
        axis: None = None,
        keepdims: Literal[False] = False,
    ) -> "BVar[float]": ...
    @overload
    def max(
        self: "BVar[np.ndarray[Any, DT]]",
        axis: _Axis = None,
        keepdims: bool = False,
    ) -> "BVar[np.ndarray[tuple[Any, ...], DT]]": ...
    @overload
    def max(self: "_BL", axis: _Axis = None, keepdims: bool = False) -> "_BL": ...
    def max(
        self: "BVar[Any]", axis: _Axis = None, keepdims: bool = False, **numpy_args: object
    ) -> "BVar[Any]":
        """`ops.max(x, axis, keepdims)`, as numpy's `ndarray.max`.

        !!! example
            ```python
            >>> import numpy as np
            >>> import typedprop as tp
            >>> tp.grad(lambda x: x.max(), np.array([1.0, 3.0]))
            array([0., 1.])
            ```
        """
        _numpy_call("max", numpy_args)
        result: BVar[Any] = _ops.max(self, axis, keepdims=keepdims)
        return result

    @overload
    def min(
        self: "BVar[np.ndarray[Any, Any]] | BVar[float]",
        axis: None = None,
        keepdims: Literal[False] = False,
    ) -> "BVar[float]": ...
    @overload
    def min(
        self: "BVar[np.ndarray[Any, DT]]",
        axis: _Axis = None,
        keepdims: bool = False,
    ) -> "BVar[np.ndarray[tuple[Any, ...], DT]]": ...
    @overload
    def min(self: "_BL", axis: _Axis = None, keepdims: bool = False) -> "_BL": ...
    def min(
        self: "BVar[Any]", axis: _Axis = None, keepdims: bool = False, **numpy_args: object
    ) -> "BVar[Any]":
        """`ops.min(x, axis, keepdims)`, as numpy's `ndarray.min`.

        !!! example
            ```python
            >>> import numpy as np
            >>> import typedprop as tp
            >>> tp.grad(lambda x: x.min(), np.array([1.0, 3.0]))
            array([1., 0.])
            ```
        """
        _numpy_call("min", numpy_args)
        result: BVar[Any] = _ops.min(self, axis, keepdims=keepdims)
        return result

    @overload
    def prod(
        self: "BVar[np.ndarray[Any, Any]] | BVar[float]",
        axis: None = None,
        keepdims: Literal[False] = False,
    ) -> "BVar[float]": ...
    @overload
    def prod(
        self: "BVar[np.ndarray[Any, DT]]",
        axis: _Axis = None,
        keepdims: bool = False,
    ) -> "BVar[np.ndarray[tuple[Any, ...], DT]]": ...
    @overload
    def prod(self: "_BL", axis: _Axis = None, keepdims: bool = False) -> "_BL": ...
    def prod(
        self: "BVar[Any]", axis: _Axis = None, keepdims: bool = False, **numpy_args: object
    ) -> "BVar[Any]":
        """`ops.prod(x, axis, keepdims)`, as numpy's `ndarray.prod`.

        !!! example
            ```python
            >>> import numpy as np
            >>> import typedprop as tp
            >>> tp.grad(lambda x: x.prod(), np.array([2.0, 3.0]))
            array([3., 2.])
            ```
        """
        _numpy_call("prod", numpy_args)
        result: BVar[Any] = _ops.prod(self, axis, keepdims=keepdims)
        return result

    @overload
    def var(
        self: "BVar[np.ndarray[Any, Any]] | BVar[float]",
        axis: None = None,
        ddof: float = 0,
        keepdims: Literal[False] = False,
    ) -> "BVar[float]": ...
    @overload
    def var(
        self: "BVar[np.ndarray[Any, DT]]",
        axis: _Axis = None,
        ddof: float = 0,
        keepdims: bool = False,
    ) -> "BVar[np.ndarray[tuple[Any, ...], DT]]": ...
    @overload
    def var(self: "_BL", axis: _Axis = None, ddof: float = 0, keepdims: bool = False) -> "_BL": ...
    def var(
        self: "BVar[Any]",
        axis: _Axis = None,
        ddof: float = 0,
        keepdims: bool = False,
        **numpy_args: object,
    ) -> "BVar[Any]":
        """`ops.var(x, axis, ddof, keepdims)`, as numpy's `ndarray.var`.

        !!! example
            ```python
            >>> import numpy as np
            >>> import typedprop as tp
            >>> tp.grad(lambda x: x.var(), np.array([1.0, 3.0]))
            array([-1.,  1.])
            ```
        """
        _numpy_call("var", numpy_args)
        result: BVar[Any] = _ops.var(self, axis, ddof, keepdims=keepdims)
        return result

    @overload
    def std(
        self: "BVar[np.ndarray[Any, Any]] | BVar[float]",
        axis: None = None,
        ddof: float = 0,
        keepdims: Literal[False] = False,
    ) -> "BVar[float]": ...
    @overload
    def std(
        self: "BVar[np.ndarray[Any, DT]]",
        axis: _Axis = None,
        ddof: float = 0,
        keepdims: bool = False,
    ) -> "BVar[np.ndarray[tuple[Any, ...], DT]]": ...
    @overload
    def std(self: "_BL", axis: _Axis = None, ddof: float = 0, keepdims: bool = False) -> "_BL": ...
    def std(
        self: "BVar[Any]",
        axis: _Axis = None,
        ddof: float = 0,
        keepdims: bool = False,
        **numpy_args: object,
    ) -> "BVar[Any]":
        """`ops.std(x, axis, ddof, keepdims)`, as numpy's `ndarray.std`.

        !!! example
            ```python
            >>> import numpy as np
            >>> import typedprop as tp
            >>> tp.grad(lambda x: x.std(), np.array([1.0, 3.0]))
            array([-0.5,  0.5])
            ```
        """
        _numpy_call("std", numpy_args)
        result: BVar[Any] = _ops.std(self, axis, ddof, keepdims=keepdims)
        return result

    # -- shape ---------------------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        """The value's shape (plain, not differentiated); `()` for a number."""
        value: Any = self.value
        return tuple(np.shape(value))

    @property
    def ndim(self) -> int:
        """The value's number of axes (plain, not differentiated)."""
        return len(self.shape)

    @property
    def size(self) -> int:
        """The value's number of elements (plain, not differentiated)."""
        return math.prod(self.shape)

    @overload
    def reshape(
        self: "BVar[np.ndarray[Any, DT]]", *shape: "int | tuple[int, ...]"
    ) -> "BVar[np.ndarray[tuple[Any, ...], DT]]": ...
    @overload
    def reshape(self: "_BL", *shape: "int | tuple[int, ...]") -> "_BL": ...
    def reshape(self: "BVar[Any]", *shape: "int | tuple[int, ...]") -> "BVar[Any]":
        """`ops.reshape(x, shape)`, as numpy's `ndarray.reshape`: `x.reshape(2, 3)` or
        `x.reshape((2, 3))`.

        !!! example
            ```python
            >>> import numpy as np
            >>> import typedprop as tp
            >>> tp.grad(lambda x: (x.reshape(2, 2) @ np.array([1.0, 2.0])).sum(), np.ones(4))
            array([1., 2., 1., 2.])
            ```
        """
        new = shape[0] if len(shape) == 1 else shape
        result: BVar[Any] = _ops.reshape(self, new)
        return result

    @overload
    def ravel(self: "BVar[np.ndarray[Any, DT]]") -> "BVar[np.ndarray[tuple[int], DT]]": ...
    @overload
    def ravel(self: "_BL") -> "_BL": ...
    def ravel(self: "BVar[Any]") -> "BVar[Any]":
        """`ops.ravel(x)`: the elements as a vector.

        !!! example
            ```python
            >>> import numpy as np
            >>> import typedprop as tp
            >>> tp.grad(lambda x: x.ravel() @ np.arange(4.0), np.ones((2, 2)))
            array([[0., 1.],
                   [2., 3.]])
            ```
        """
        result: BVar[Any] = _ops.ravel(self)
        return result

    @overload
    def squeeze(
        self: "BVar[np.ndarray[Any, DT]]", axis: _Axis = None
    ) -> "BVar[np.ndarray[tuple[Any, ...], DT]]": ...
    @overload
    def squeeze(self: "_BL", axis: _Axis = None) -> "_BL": ...
    def squeeze(self: "BVar[Any]", axis: _Axis = None) -> "BVar[Any]":
        """`ops.squeeze(x, axis)`: without axes of length 1.

        !!! example
            ```python
            >>> import numpy as np
            >>> import typedprop as tp
            >>> tp.grad(lambda x: x.squeeze() @ np.array([1.0, 2.0]), np.ones((1, 2)))
            array([[1., 2.]])
            ```
        """
        result: BVar[Any] = _ops.squeeze(self, axis)
        return result

    # A property has no overloads: one type variable serves numpy's arrays (their shape and
    # dtype kept, as `np.ndarray[S, DT]` did) and other libraries' alike.
    @property
    def T(self: "_BT") -> "_BT":
        """`ops.transpose(x)`: the axes reversed (a matrix transposed), as numpy's `ndarray.T`.

        !!! example
            ```python
            >>> import numpy as np
            >>> import typedprop as tp
            >>> tp.grad(lambda w: (w.T @ np.array([1.0, 2.0])).sum(), np.zeros((2, 3)))
            array([[1., 1., 1.],
                   [2., 2., 2.]])
            ```
        """
        result: _BT = _ops.transpose(self)
        return result

    @overload
    def transpose(self: "BVar[np.ndarray[S, DT]]", *axes: int) -> "BVar[np.ndarray[S, DT]]": ...
    @overload
    def transpose(self: "_BL", *axes: int) -> "_BL": ...
    def transpose(self: "BVar[Any]", *axes: int) -> "BVar[Any]":
        """`ops.transpose(x, axes)`, as numpy's `ndarray.transpose`: `x.transpose(1, 0, 2)`.

        !!! example
            ```python
            >>> import numpy as np
            >>> import typedprop as tp
            >>> tp.evaluate(lambda x: x.transpose(2, 0, 1), np.zeros((2, 3, 4))).shape
            (4, 2, 3)
            ```
        """
        result: BVar[Any] = _ops.transpose(self, axes or None)
        return result

    # -- elementwise ---------------------------------------------------------------------------

    def clip(self: "BVar[N]", a_min: float | None, a_max: float | None) -> "BVar[N]":
        """`ops.clip(x, a_min, a_max)`: the gradient passes where `x` is inside the bounds.

        !!! example
            ```python
            >>> import numpy as np
            >>> import typedprop as tp
            >>> tp.grad(lambda x: x.clip(0.0, 1.0).sum(), np.array([-1.0, 0.5, 2.0]))
            array([0., 1., 0.])
            ```
        """
        result: BVar[N] = _ops.clip(self, a_min, a_max)
        return result

    def __abs__(self: "BVar[N]") -> "BVar[N]":
        result: BVar[N] = _ops.abs(self)
        return result

    # -- not differentiable: plain results -----------------------------------------------------

    @overload
    def argmax(self: "BVar[np.ndarray[Any, Any]] | BVar[float]", axis: None = None) -> np.intp: ...
    @overload
    def argmax(
        self: "BVar[np.ndarray[Any, Any]]", axis: int
    ) -> np.ndarray[tuple[Any, ...], np.dtype[np.intp]]: ...
    @overload
    def argmax(self: "BVar[L]", axis: int | None = None) -> "L": ...
    def argmax(self: "BVar[Any]", axis: int | None = None) -> Any:
        """`ops.argmax(x, axis)`: the index of the largest element, a plain value.

        !!! example
            ```python
            >>> import numpy as np
            >>> import typedprop as tp
            >>> int(tp.constant(np.array([1.0, 3.0, 2.0])).argmax())
            1
            ```
        """
        return _ops.argmax(self, axis)

    @overload
    def argmin(self: "BVar[np.ndarray[Any, Any]] | BVar[float]", axis: None = None) -> np.intp: ...
    @overload
    def argmin(
        self: "BVar[np.ndarray[Any, Any]]", axis: int
    ) -> np.ndarray[tuple[Any, ...], np.dtype[np.intp]]: ...
    @overload
    def argmin(self: "BVar[L]", axis: int | None = None) -> "L": ...
    def argmin(self: "BVar[Any]", axis: int | None = None) -> Any:
        """`ops.argmin(x, axis)`: the index of the smallest element, a plain value.

        !!! example
            ```python
            >>> import numpy as np
            >>> import typedprop as tp
            >>> int(tp.constant(np.array([1.0, 3.0, 2.0])).argmin())
            0
            ```
        """
        return _ops.argmin(self, axis)

    # -- indexing ------------------------------------------------------------------------------

    @overload
    def __getitem__(
        self: "BVar[np.ndarray[Any, DT]]", key: "Key", /
    ) -> "BVar[np.ndarray[tuple[Any, ...], DT]]": ...
    @overload
    def __getitem__(
        self: "_BL", key: "Key | OtherArray | tuple[Index | OtherArray, ...]", /
    ) -> "_BL": ...
    def __getitem__(self: "BVar[Any]", key: "Any", /) -> "BVar[Any]":
        """`ops.getitem(x, key)`: numpy's indexing and slicing of an array (basic, integer
        arrays, boolean masks); the gradient flows back into the picked elements. For the parts
        of a structure (a tuple, a dataclass), use `unpack` or `view`.

        !!! example
            ```python
            >>> import numpy as np
            >>> import typedprop as tp
            >>> tp.grad(lambda x: x[1:].sum() + x[[0, 0]].sum(), np.array([1.0, 2.0, 3.0]))
            array([2., 1., 1.])
            ```
        """
        value = self.value
        if not isinstance(value, np.ndarray | np.generic) and array_kind(value) is None:
            raise CheckError(
                f"getitem: indexing is for arrays, and this BVar holds a "
                f"{type(self.value).__name__}: take a structure apart with unpack() or view()"
            )
        result: BVar[Any] = _ops.getitem(self, key)
        return result


def _numpy_call(name: str, numpy_args: dict[str, object]) -> None:
    """Accept the arguments numpy passes when `np.sum(x)` calls `x.sum(...)` (`out=None`,
    `dtype=None`), and refuse any other, naming it: a BVar cannot write into `out`."""
    for key, value in numpy_args.items():
        if value is not None or key not in ("out", "dtype"):
            raise CheckError(f"{name}: argument '{key}' is not supported on a BVar")


def constant(x: T) -> BVar[T]:
    """`x` as a BVar that gets no gradient: ops treat it as a fixed input.

    Plain values passed to ops and operators are constants already; `constant` is for where a
    BVar is required, such as the return value of the function being differentiated.

    !!! example
        ```python
        >>> import typedprop as tp
        >>> tp.grad(lambda x: x * tp.constant(3.0), 2.0)
        3.0
        ```
    """
    check_supported(x, "constant")  # here, not deep inside a backprop call
    return BVar(x)


class _Structural(Maker):
    """A structural step on the tape: selecting a part, or collecting parts into a list."""

    def __init__(self, name: str, takes_partial: bool) -> None:
        self.name = name
        self.takes_partial = takes_partial

    def arg_name(self, i: int) -> str:
        return f"item {i}"


_VIEW = _Structural("view", takes_partial=True)
_COLLECT = _Structural("collect", takes_partial=False)


def _select(whole: BVar[Any], path: tuple[int, ...], part: object) -> BVar[Any]:
    """The part of `whole` at `path` (child positions), recorded so its gradient flows back."""
    if whole._tape is None:
        return BVar(part)
    tape = check_live(whole._tape)
    if tape is whole._tape:
        # A part of a parameter: a leaf of its own where the tape splits parameters.
        index = tape.part(whole._index, path, part)
        if index is not None:
            return BVar(part, tape, index)

    def backward(g: object) -> tuple[object]:
        return (Partial.nest(path, g),)

    # The path goes with the node: a recorded graph (`_trace`) selects the part again by it.
    return BVar(part, tape, tape.record(part, (whole._index,), backward, _VIEW, path))


def _items(whole: BVar[Any], items: Sequence[Any]) -> list[BVar[Any]]:
    """`_select` of each of `items`, the items of `whole` in order: in one step where they
    are parts of a parameter (see `Tape.split`)."""
    tape = whole._tape
    # (`zip` without `strict`, whose keyword costs a parse: `split` gives one index per item.
    # Once per layer of a network at every step.)
    if tape is not None and check_live(tape) is tape:
        indices = tape.split(whole._index, items)
        if indices is not None:
            return [BVar(v, tape, i) for v, i in zip(items, indices)]  # noqa: B905
    return [_select(whole, (i,), v) for i, v in enumerate(items)]


def sequence(xs: BVar[list[T]]) -> list[BVar[T]]:
    """A list-valued BVar as a list of BVars, one per item (backprop's `sequenceVar`).

    !!! example
        ```python
        >>> import typedprop as tp
        >>> def total(xs: tp.BVar[list[float]]) -> tp.BVar[float]:
        ...     a, b, c = tp.sequence(xs)
        ...     return a + 2.0 * b + 3.0 * c
        >>> tp.grad(total, [1.0, 1.0, 1.0])
        [1.0, 2.0, 3.0]
        ```
    """
    if not isinstance(xs.value, list):
        raise CheckError(f"sequence: expected a list, got {type(xs.value).__name__}")
    return _items(xs, xs.value)


def collect(xs: list[BVar[T]]) -> BVar[list[T]]:
    """A list of BVars as one list-valued BVar (backprop's `collectVar`), the inverse of
    `sequence`: the gradient of the list flows back to each item.

    !!! example
        ```python
        >>> import typedprop as tp
        >>> def f(x: tp.BVar[float]) -> tp.BVar[float]:
        ...     ys = tp.collect([x, x * x])
        ...     a, b = tp.sequence(ys)
        ...     return a + b
        >>> tp.grad(f, 3.0)
        7.0
        ```
    """
    tape: Tape | None = None
    parents: list[int] = []
    for i, x in enumerate(xs):
        if not isinstance(x, BVar):
            raise CheckError(f"collect: item {i} is a {type(x).__name__}, not a BVar")
        if x._tape is not None and tape is None:
            tape = check_live(x._tape)
        elif x._tape is not None and x._tape is not tape:
            check_live(x._tape)
        parents.append(-1 if x._tape is None else x._index)
    value = [x.value for x in xs]
    if tape is None:
        return BVar(value)

    def backward(g: object) -> tuple[object, ...]:
        assert isinstance(g, list)
        return tuple(g)

    return BVar(value, tape, tape.record(value, tuple(parents), backward, _COLLECT))
