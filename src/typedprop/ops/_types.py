"""The static types of the public ops, written once per kind of signature.

Most ops come in a few kinds: shape-preserving elementwise maps, broadcasting binary ops,
reductions with `axis` and `keepdims`. Each kind is a Protocol whose overloaded `__call__` says
what mypy should infer: a BVar in gives a BVar out, a plain value in gives a plain value out, a
vector keeps its rank through an elementwise map, a full reduction gives a float. An op object
(an `Op` instance, or a function that builds one per call) is declared to have its kind's type
with one of the `as_*` functions below, so the overloads are written once, not once per op.

Internal to `typedprop.ops`.
"""

from typing import Any, Literal, Protocol, TypeAlias, cast, overload

import numpy as np

from .._core.arrays import DT, AnyArray, N, S
from .._core.arrays import Axis as Axis
from .._core.bvar import BVar

_Arr: TypeAlias = np.ndarray[Any, DT]
_Out: TypeAlias = np.ndarray[tuple[Any, ...], DT]


class Elementwise(Protocol):
    """`f(x)`: same type out as in. `BVar[Vec]` gives `BVar[Vec]`, a float gives a float."""

    @overload
    def __call__(self, x: BVar[N], /) -> BVar[N]: ...
    @overload
    def __call__(self, x: N, /) -> N: ...


class AlongAxis(Protocol):
    """`f(x, axis=-1)`: shape-preserving along an axis (softmax, log_softmax)."""

    @overload
    def __call__(self, x: BVar[N], /, axis: int = -1) -> BVar[N]: ...
    @overload
    def __call__(self, x: N, /, axis: int = -1) -> N: ...


class Binary(Protocol):
    """`f(a, b)` with numpy broadcasting: the same types give that type, a scalar with an
    array gives the array, arrays of other ranks give an array of unknown rank."""

    # A scalar with an array first: otherwise mypy would solve N as the union of the two.
    @overload
    def __call__(
        self, a: BVar[float], b: BVar[np.ndarray[S, DT]] | np.ndarray[S, DT], /
    ) -> BVar[np.ndarray[S, DT]]: ...
    @overload
    def __call__(self, a: float, b: BVar[np.ndarray[S, DT]], /) -> BVar[np.ndarray[S, DT]]: ...
    @overload
    def __call__(self, a: BVar[N], b: BVar[N] | N | BVar[float] | float, /) -> BVar[N]: ...
    @overload
    def __call__(self, a: N | float, b: BVar[N], /) -> BVar[N]: ...
    @overload
    def __call__(
        self, a: BVar[_Arr[DT]], b: BVar[AnyArray] | AnyArray | BVar[float] | float, /
    ) -> BVar[_Out[DT]]: ...
    @overload
    def __call__(self, a: AnyArray, b: BVar[_Arr[DT]], /) -> BVar[_Out[DT]]: ...
    @overload
    def __call__(self, a: N, b: N | float, /) -> N: ...
    @overload
    def __call__(self, a: _Arr[DT], b: AnyArray, /) -> _Out[DT]: ...


class Reduction(Protocol):
    """`f(x, axis=None, keepdims=False)`: reducing everything gives a float; reducing some
    axes, or keeping them, gives an array of the input's dtype."""

    @overload
    def __call__(
        self,
        x: BVar[np.ndarray[Any, Any]] | BVar[float],
        /,
        axis: None = None,
        keepdims: Literal[False] = False,
    ) -> BVar[float]: ...
    @overload
    def __call__(
        self, x: BVar[_Arr[DT]], /, axis: Axis = None, keepdims: bool = False
    ) -> BVar[_Out[DT]]: ...
    @overload
    def __call__(
        self,
        x: np.ndarray[Any, Any] | float,
        /,
        axis: None = None,
        keepdims: Literal[False] = False,
    ) -> float: ...
    @overload
    def __call__(self, x: _Arr[DT], /, axis: Axis = None, keepdims: bool = False) -> _Out[DT]: ...


# The casts are the point: an op object is declared to have its kind's signature. The tests
# (tests/test_ops.py and the static cases) check that it behaves so.


def as_elementwise(op: object) -> Elementwise:
    return cast(Elementwise, op)


def as_along_axis(op: object) -> AlongAxis:
    return cast(AlongAxis, op)


def as_binary(op: object) -> Binary:
    return cast(Binary, op)


def as_reduction(op: object) -> Reduction:
    return cast(Reduction, op)
