"""Shape ops: `reshape`, `ravel`, `squeeze`, `expand_dims`, `concatenate`, `stack`, `split`,
`broadcast_to`, `repeat`, `tile` and `pad`, with numpy's names and semantics.

None of them computes anything new: each moves, copies or drops elements, so each gradient puts
the output's gradient back where the elements came from. An op that only reshapes hands the
gradient back reshaped; a join (`concatenate`, `stack`) splits it, and `split` joins it; an op
that copies elements (`broadcast_to`, `repeat`, `tile`) adds up the copies' gradients (for
`broadcast_to` in `unbroadcast`, the one place broadcasting is undone); `pad` cuts the padding
off. Every shape argument is checked in the op, whether runtime checks are on or off, and a bad
one is a `CheckError` naming the op, the argument and its shape.

Another library's arrays (PyTorch, JAX, array-api-strict, ...) go through its array API
namespace (`array_module`): numpy's own functions (`np.pad`, `np.add.reduceat`, ...) stay on
numpy's path, and the others get the standard's functions or `add_at` for the scatter-adds.

`split` is one op whose output is a tuple of arrays, taken apart into one BVar per piece: the
gradient of the pieces a function does not use is zero.

!!! example
    ```python
    >>> import numpy as np
    >>> import typedprop as tp
    >>> from typedprop import ops
    >>> def f(x: tp.BVar[tp.Vec]) -> tp.BVar[float]:
    ...     first, second = ops.split(x, 2)
    ...     return ops.sum(ops.stack([first, 2.0 * second]) ** 2)
    >>> tp.grad(f, np.array([1.0, 2.0, 3.0, 4.0]))
    array([ 2.,  4., 24., 32.])
    >>> ops.reshape(np.arange(6.0), (2, -1))
    array([[0., 1., 2.],
           [3., 4., 5.]])
    ```

Internal: users import the ops from `typedprop.ops`.
"""

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeAlias, overload

import numpy as np

from .._core.arrays import DT, AnyArray, Array, ArrayOf, L, ResultOf, Vec
from .._core.bvar import BVar
from .._core.errors import CheckError
from .._core.op import Grad1, Op, refuse
from .._core.structures import array_module
from ._axes import describe_shape, normalize_axis
from ._broadcast import unbroadcast
from ._indexing import add_at
from ._registry import public, unconfigured

_Flat: TypeAlias = np.ndarray[tuple[int], DT]
ShapeLike: TypeAlias = int | Sequence[int]
"""A shape argument: one length, or one per axis."""


# ---------------------------------------------------------------------------------------------
# Argument checks shared by the ops
# ---------------------------------------------------------------------------------------------


def _ints(op: str, name: str, value: object) -> tuple[int, ...]:
    """`value`, an int or a flat sequence of ints (a shape, reps, ...), as a tuple of ints."""
    items: object = value if isinstance(value, Sequence | np.ndarray) else (value,)
    try:
        if not isinstance(items, Sequence | np.ndarray) or np.ndim(items) != 1:
            raise TypeError
        return tuple(operator.index(n) for n in items)
    except TypeError:
        raise CheckError(
            f"{op}: {name} must be an int or a sequence of ints, got {value!r}"
        ) from None


def _like(g: Any, x: Any) -> Any:
    """`g`, a gradient with as many elements as `x`, with `x`'s shape and dtype: an item of a
    join may have been promoted to the result's dtype, and must get its own back."""
    g = np.reshape(g, np.shape(x))
    dtype = np.result_type(x)
    if g.dtype != dtype and dtype.kind in "fc":
        g = g.astype(dtype)
    return g


def _like_in(xp: Any, g: Any, x: Any) -> Any:
    """`_like` for the namespace `xp` of another library than numpy."""
    if array_module(x) is not xp:  # a number among another library's arrays
        return xp.reshape(g, ())
    g = xp.reshape(g, tuple(x.shape))
    if g.dtype != x.dtype and xp.isdtype(x.dtype, ("real floating", "complex floating")):
        g = xp.astype(g, x.dtype)
    return g


def _arrays_in(xp: Any, xs: Sequence[Any]) -> list[Any]:
    """The items `xs` of a join, numbers among them as 0-d arrays of `xp`'s library (float64,
    as numpy makes them, where the library has it)."""
    like = next(x for x in xs if array_module(x) is xp)
    out = []
    for x in xs:
        if array_module(x) is not xp:
            info = xp.__array_namespace_info__().dtypes(device=like.device, kind="real floating")
            dtype = info.get("float64", info.get("float32"))
            x = xp.asarray(x, dtype=dtype, device=like.device)
        out.append(x)
    return out


def _new_axes(op: str, x: Any, axis: object, name: str) -> tuple[int, ...]:
    """The positions, non-negative and sorted, of the axes that `axis` adds to argument `name`.
    As in numpy, they count in the result, which has one axis more per new axis."""
    axes = axis if isinstance(axis, tuple) else (axis,)
    out_ndim = np.ndim(x) + len(axes)
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, int | np.integer):
            raise CheckError(f"{op}: axis must be an int or a tuple of ints, got {axis!r}")
        if not -out_ndim <= a < out_ndim:
            added = f"{len(axes)} axis" if len(axes) == 1 else f"{len(axes)} axes"
            raise CheckError(
                f"{op}: axis {a} is out of range for a result of {out_ndim} axes "
                f"({describe_shape(name, x)} with {added} added)"
            )
    normalized = tuple(sorted(int(a) % out_ndim for a in axes))
    if len(set(normalized)) != len(normalized):
        raise CheckError(f"{op}: axis {axis} names one new axis twice ({describe_shape(name, x)})")
    return normalized


def _one_axis(op: str, x: Any, axis: object, name: str = "x") -> int:
    """One axis of argument `name`, non-negative (for ops that work along a single axis)."""
    if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
        raise CheckError(f"{op}: axis must be an int, got {axis!r}")
    (a,) = normalize_axis(op, x, int(axis), name)
    return a


# ---------------------------------------------------------------------------------------------
# Ops that only reshape
# ---------------------------------------------------------------------------------------------


class Reshaping(Op[Any, Any]):
    """An op whose output has `x`'s elements in `x`'s order: subclasses give the output's shape
    in `target`, and the gradient is the output's gradient with `x`'s shape."""

    def forward(self, x: Any) -> tuple[Any, Grad1]:
        if type(x) is not np.ndarray and (xp := array_module(x)) is not np:
            shape = tuple(x.shape)
            return xp.reshape(x, self.target(x)), lambda g: (xp.reshape(g, shape),)
        out = np.reshape(x, self.target(x))
        return out, lambda g: (np.reshape(g, np.shape(x)),)

    def target(self, x: Any) -> tuple[int, ...]:
        """The output's shape for input `x`; raises CheckError for an impossible one."""
        raise NotImplementedError


class Reshape(Reshaping):
    """`x`'s elements in a new shape, as `numpy.reshape` (C order). One length may be -1, to
    be inferred from the others.

    **Raises:** `CheckError` if the shape has another number of elements than `x`.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> tp.grad(lambda v: ops.sum(ops.reshape(v, (2, -1)) @ np.array([1.0, 10.0])),
        ...         np.zeros(4))
        array([ 1., 10.,  1., 10.])
        >>> try:
        ...     ops.reshape(np.zeros((2, 3)), (4, 2))
        ... except tp.CheckError as e:
        ...     print(e)
        reshape: cannot reshape argument 'x' of shape (2, 3) (6 elements) to (4, 2) (8 elements)
        ```
    """

    name = "reshape"

    @overload  # type: ignore[override]  # this op's own signature
    def __call__(self, x: BVar[ArrayOf[DT]], /, shape: ShapeLike) -> BVar[ResultOf[DT]]: ...
    @overload
    def __call__(self, x: BVar[float], /, shape: ShapeLike) -> BVar[Array]: ...
    @overload
    def __call__(self, x: ArrayOf[DT], /, shape: ShapeLike) -> ResultOf[DT]: ...
    @overload
    def __call__(self, x: float, /, shape: ShapeLike) -> Array: ...
    # Another library's array keeps its type.
    @overload
    def __call__(self, x: BVar[L], /, shape: ShapeLike) -> BVar[L]: ...
    @overload
    def __call__(self, x: L, /, shape: ShapeLike) -> L: ...
    def __call__(self, x: Any, /, shape: ShapeLike) -> Any:
        return Op.__call__(Reshape(shape), x)

    def __init__(self, shape: ShapeLike) -> None:
        self.shape = shape

    def target(self, x: Any) -> tuple[int, ...]:
        shape = _ints(self.name, "shape", self.shape)
        if shape.count(-1) > 1 or any(n < -1 for n in shape):
            raise CheckError(
                f"reshape: shape {shape} may have one -1 (a length to infer) and no other "
                "negative length"
            )
        size = math.prod(np.shape(x))
        known = math.prod(n for n in shape if n != -1)
        have = f"{describe_shape('x', x)} ({size} element{'s' * (size != 1)})"
        if -1 in shape:
            if known == 0 or size % known:
                want = f"a multiple of {known} elements" if known else "-1 next to a zero length"
                raise CheckError(f"reshape: cannot reshape {have} to {shape} ({want})")
            return tuple(size // known if n == -1 else n for n in shape)
        if known != size:
            raise CheckError(
                f"reshape: cannot reshape {have} to {shape} ({known} element{'s' * (known != 1)})"
            )
        return shape


class Ravel(Reshaping):
    """`x`'s elements as a vector, as `numpy.ravel` (C order).

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> ops.ravel(np.array([[1.0, 2.0], [3.0, 4.0]]))
        array([1., 2., 3., 4.])
        >>> tp.grad(lambda m: ops.ravel(m) @ np.array([1.0, 2.0, 3.0, 4.0]), np.zeros((2, 2)))
        array([[1., 2.],
               [3., 4.]])
        ```
    """

    name = "ravel"

    @overload  # type: ignore[override]  # this op's own signature
    def __call__(self, x: BVar[ArrayOf[DT]], /) -> BVar[_Flat[DT]]: ...
    @overload
    def __call__(self, x: BVar[float], /) -> BVar[Vec]: ...
    @overload
    def __call__(self, x: ArrayOf[DT], /) -> _Flat[DT]: ...
    @overload
    def __call__(self, x: float, /) -> Vec: ...
    # Another library's array keeps its type.
    @overload
    def __call__(self, x: BVar[L], /) -> BVar[L]: ...
    @overload
    def __call__(self, x: L, /) -> L: ...
    def __call__(self, x: Any, /) -> Any:
        return Op.__call__(Ravel(), x)

    def target(self, x: Any) -> tuple[int, ...]:
        return (math.prod(np.shape(x)),)


class Squeeze(Reshaping):
    """`x` without the axes of length 1 that `axis` names (all of them by default), as
    `numpy.squeeze`.

    **Raises:** `CheckError` if a named axis is out of range or does not have length 1.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> ops.squeeze(np.zeros((2, 1, 3)), axis=1).shape
        (2, 3)
        >>> try:
        ...     ops.squeeze(np.zeros((2, 3)), axis=1)
        ... except tp.CheckError as e:
        ...     print(e)
        squeeze: axis 1 of argument 'x' of shape (2, 3) has length 3, not 1
        ```
    """

    name = "squeeze"

    @overload  # type: ignore[override]  # this op's own signature
    def __call__(
        self, x: BVar[ArrayOf[DT]], /, axis: int | tuple[int, ...] | None = None
    ) -> BVar[ResultOf[DT]]: ...
    @overload
    def __call__(
        self, x: ArrayOf[DT], /, axis: int | tuple[int, ...] | None = None
    ) -> ResultOf[DT]: ...
    # Another library's array keeps its type.
    @overload
    def __call__(self, x: BVar[L], /, axis: int | tuple[int, ...] | None = None) -> BVar[L]: ...
    @overload
    def __call__(self, x: L, /, axis: int | tuple[int, ...] | None = None) -> L: ...
    def __call__(self, x: Any, /, axis: int | tuple[int, ...] | None = None) -> Any:
        return Op.__call__(Squeeze(axis), x)

    def __init__(self, axis: int | tuple[int, ...] | None) -> None:
        self.axis = axis

    def target(self, x: Any) -> tuple[int, ...]:
        shape = np.shape(x)
        if self.axis is None:
            return tuple(n for n in shape if n != 1)
        axes = normalize_axis(self.name, x, self.axis)
        for a in axes:
            if shape[a] != 1:
                raise CheckError(
                    f"squeeze: axis {a} of {describe_shape('x', x)} has length {shape[a]}, not 1"
                )
        return tuple(n for i, n in enumerate(shape) if i not in axes)


class ExpandDims(Reshaping):
    """`x` with new axes of length 1 at the positions `axis` names in the result, as
    `numpy.expand_dims`.

    !!! example
        ```python
        >>> import numpy as np
        >>> from typedprop import ops
        >>> ops.expand_dims(np.zeros((2, 3)), axis=(0, -1)).shape
        (1, 2, 3, 1)
        ```
    """

    name = "expand_dims"

    @overload  # type: ignore[override]  # this op's own signature
    def __call__(
        self, x: BVar[ArrayOf[DT]], /, axis: int | tuple[int, ...]
    ) -> BVar[ResultOf[DT]]: ...
    @overload
    def __call__(self, x: BVar[float], /, axis: int | tuple[int, ...]) -> BVar[Array]: ...
    @overload
    def __call__(self, x: ArrayOf[DT], /, axis: int | tuple[int, ...]) -> ResultOf[DT]: ...
    @overload
    def __call__(self, x: float, /, axis: int | tuple[int, ...]) -> Array: ...
    # Another library's array keeps its type.
    @overload
    def __call__(self, x: BVar[L], /, axis: int | tuple[int, ...]) -> BVar[L]: ...
    @overload
    def __call__(self, x: L, /, axis: int | tuple[int, ...]) -> L: ...
    def __call__(self, x: Any, /, axis: int | tuple[int, ...]) -> Any:
        return Op.__call__(ExpandDims(axis), x)

    def __init__(self, axis: int | tuple[int, ...]) -> None:
        self.axis = axis

    def target(self, x: Any) -> tuple[int, ...]:
        axes = _new_axes(self.name, x, self.axis, "x")
        lengths = iter(np.shape(x))
        return tuple(1 if i in axes else next(lengths) for i in range(np.ndim(x) + len(axes)))


# ---------------------------------------------------------------------------------------------
# Joins and split
# ---------------------------------------------------------------------------------------------


class Join(Op[*tuple[Any, ...], Any]):
    """Any number of arrays joined along an axis. Subclasses check the items and bring them
    to the form `np.concatenate` joins (`prepare`); the gradient is the output's gradient split
    at the same places, each piece given its item's shape and dtype."""

    def __init__(self, axis: int | None) -> None:
        self.axis = axis

    def arg_name(self, i: int) -> str:
        return f"argument 'xs[{i}]'"

    def forward(self, *xs: Any) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
        if not xs:
            raise CheckError(f"{self.name}: argument 'xs' is empty: there is nothing to join")
        xp = array_module(*xs)
        if xp is not np:
            return self.forward_in(xp, xs)
        parts, axis = self.prepare(xs)
        out = np.concatenate(parts, axis=axis)
        ends = np.cumsum([np.shape(p)[axis] for p in parts[:-1]])

        def grad(g: Any) -> tuple[Any, ...]:
            pieces = np.split(g, ends, axis=axis)
            return tuple(_like(p, x) for p, x in zip(pieces, xs, strict=True))

        return out, grad

    def forward_in(
        self, xp: Any, xs: tuple[Any, ...]
    ) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
        """`forward` for items of another library than numpy, whose namespace is `xp`."""
        parts, axis = self.prepare(tuple(_arrays_in(xp, xs)), xp)
        out = xp.concat(parts, axis=axis)
        lengths = [p.shape[axis] for p in parts]
        lead = (slice(None),) * axis

        def grad(g: Any) -> tuple[Any, ...]:
            pieces, start = [], 0
            for n in lengths:
                # The trailing ... for array-api-strict, which wants every axis indexed.
                pieces.append(g[(*lead, slice(start, start + n), ...)])
                start += n
            return tuple(_like_in(xp, p, x) for p, x in zip(pieces, xs, strict=True))

        return out, grad

    def prepare(self, xs: tuple[Any, ...], xp: Any = np) -> tuple[list[Any], int]:
        """The items to pass to `concatenate` (of the namespace `xp`), and the axis to join them
        along."""
        raise NotImplementedError


class Concatenate(Join):
    """The arrays `xs` joined along an existing axis, as `numpy.concatenate`; `axis=None`
    joins them flattened. `xs` may mix BVars and plain arrays: the result is a BVar if any item
    is one.

    **Raises:** `CheckError` for an empty `xs`, for 0-d items, and for items whose shapes
    differ other than along `axis`.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> def f(x: tp.BVar[tp.Vec]) -> tp.BVar[float]:
        ...     return ops.sum(ops.concatenate([x, np.array([5.0]), x * x]))
        >>> tp.grad(f, np.array([1.0, 2.0]))
        array([3., 5.])
        >>> try:
        ...     ops.concatenate([np.zeros((2, 3)), np.zeros((2, 4))])
        ... except tp.CheckError as e:
        ...     print(str(e).replace("match", "match\\n"))
        concatenate: argument 'xs[1]' of shape (2, 4) does not match
         argument 'xs[0]' of shape (2, 3) along axis 1
        ```
    """

    name = "concatenate"

    @overload  # type: ignore[override]  # this op's own signature
    def __call__(self, xs: Sequence[ArrayOf[DT]], /, axis: int | None = 0) -> ResultOf[DT]: ...
    @overload
    def __call__(
        self, xs: Sequence[BVar[ArrayOf[DT]] | AnyArray], /, axis: int | None = 0
    ) -> BVar[ResultOf[DT]]: ...
    @overload
    def __call__(
        self, xs: Sequence[BVar[AnyArray] | AnyArray], /, axis: int | None = 0
    ) -> BVar[AnyArray]: ...
    # Another library's arrays keep their type.
    @overload
    def __call__(  # type: ignore[overload-overlap]  # plain arrays only: a plain result
        self, xs: Sequence[L], /, axis: int | None = 0
    ) -> L: ...
    @overload
    def __call__(self, xs: Sequence[BVar[L] | L], /, axis: int | None = 0) -> BVar[L]: ...
    def __call__(self, xs: Sequence[Any], /, axis: int | None = 0) -> Any:
        return Op.__call__(Concatenate(axis), *xs)

    def prepare(self, xs: tuple[Any, ...], xp: Any = np) -> tuple[list[Any], int]:
        if self.axis is None:
            if xp is not np:
                return [xp.reshape(x, (-1,)) for x in xs], 0
            return [np.ravel(x) for x in xs], 0
        first = xs[0]
        if np.ndim(first) == 0:
            raise CheckError(
                f"concatenate: {describe_shape('xs[0]', first)} has no axis to join along "
                "(stack joins along a new axis)"
            )
        axis = _one_axis(self.name, first, self.axis, "xs[0]")
        shape = np.shape(first)
        for i, x in enumerate(xs[1:], start=1):
            other = np.shape(x)
            if len(other) != len(shape):
                raise CheckError(
                    f"concatenate: {describe_shape(f'xs[{i}]', x)} has {len(other)} "
                    f"ax{'i' if len(other) == 1 else 'e'}s, but "
                    f"{describe_shape('xs[0]', first)} has {len(shape)}"
                )
            for a, (n, m) in enumerate(zip(shape, other, strict=True)):
                if a != axis and n != m:
                    raise CheckError(
                        f"concatenate: {describe_shape(f'xs[{i}]', x)} does not match "
                        f"{describe_shape('xs[0]', first)} along axis {a}"
                    )
        return list(xs), axis


class Stack(Join):
    """The arrays `xs`, all of one shape, joined along a new axis at position `axis` of the
    result, as `numpy.stack`. Scalars stack into a vector. `xs` may mix BVars and plain arrays:
    the result is a BVar if any item is one.

    **Raises:** `CheckError` for an empty `xs` and for items of different shapes.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> def f(p: tp.BVar[tuple[float, float]]) -> tp.BVar[float]:
        ...     a, b = p.unpack()
        ...     return ops.stack([a, b, a * b]) @ np.array([1.0, 1.0, 1.0])
        >>> tp.grad(f, (2.0, 3.0))
        (4.0, 3.0)
        ```
    """

    name = "stack"

    @overload  # type: ignore[override]  # this op's own signature
    def __call__(self, xs: Sequence[ArrayOf[DT]], /, axis: int = 0) -> ResultOf[DT]: ...
    @overload
    def __call__(  # type: ignore[overload-overlap]  # plain floats are taken before mixed ones
        self, xs: Sequence[float], /, axis: int = 0
    ) -> Vec: ...
    @overload
    def __call__(
        self, xs: Sequence[BVar[ArrayOf[DT]] | AnyArray], /, axis: int = 0
    ) -> BVar[ResultOf[DT]]: ...
    @overload
    def __call__(
        self, xs: Sequence[BVar[AnyArray] | AnyArray], /, axis: int = 0
    ) -> BVar[AnyArray]: ...
    @overload
    def __call__(self, xs: Sequence[BVar[float] | float], /, axis: int = 0) -> BVar[Vec]: ...
    # Another library's arrays keep their type.
    @overload
    def __call__(  # type: ignore[overload-overlap]  # plain arrays only: a plain result
        self, xs: Sequence[L], /, axis: int = 0
    ) -> L: ...
    @overload
    def __call__(self, xs: Sequence[BVar[L] | L], /, axis: int = 0) -> BVar[L]: ...
    def __call__(self, xs: Sequence[Any], /, axis: int = 0) -> Any:
        return Op.__call__(Stack(axis), *xs)

    def prepare(self, xs: tuple[Any, ...], xp: Any = np) -> tuple[list[Any], int]:
        first = xs[0]
        (axis,) = _new_axes(self.name, first, self.axis, "xs[0]")
        shape = np.shape(first)
        for i, x in enumerate(xs[1:], start=1):
            if np.shape(x) != shape:
                raise CheckError(
                    f"stack: {describe_shape(f'xs[{i}]', x)} does not match "
                    f"{describe_shape('xs[0]', first)} (stacked arrays must have one shape)"
                )
        if xp is not np:
            return [xp.expand_dims(x, axis=axis) for x in xs], axis
        return [np.expand_dims(x, axis) for x in xs], axis


class Split(Op[Any, Any]):
    """`x` cut along `axis` into a list of pieces, as `numpy.split`: into `n` equal pieces for
    an int `n`, or at the given indices. For a BVar, each piece is a BVar; pieces a function
    does not use get a zero gradient, at no cost until the split's own gradient is formed.

    **Raises:** `CheckError` if `x` does not split into equal sections.

    The gradient adds each piece's gradient into its place (numpy's pieces may overlap
    when the indices go down).

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> def f(x: tp.BVar[tp.Vec]) -> tp.BVar[float]:
        ...     head, tail = ops.split(x, [1], axis=0)
        ...     return ops.sum(tail * tail)
        >>> tp.grad(f, np.array([1.0, 2.0, 3.0]))
        array([0., 4., 6.])
        ```
    """

    name = "split"

    @overload  # type: ignore[override]  # this op's own signature: a list of pieces
    def __call__(
        self, x: BVar[ArrayOf[DT]], /, indices_or_sections: int | Sequence[int], axis: int = 0
    ) -> list[BVar[ResultOf[DT]]]: ...
    @overload
    def __call__(
        self, x: ArrayOf[DT], /, indices_or_sections: int | Sequence[int], axis: int = 0
    ) -> list[ResultOf[DT]]: ...
    # Another library's array keeps its type.
    @overload
    def __call__(
        self, x: BVar[L], /, indices_or_sections: int | Sequence[int], axis: int = 0
    ) -> list[BVar[L]]: ...
    @overload
    def __call__(
        self, x: L, /, indices_or_sections: int | Sequence[int], axis: int = 0
    ) -> list[L]: ...
    def __call__(self, x: Any, /, indices_or_sections: int | Sequence[int], axis: int = 0) -> Any:
        # The op gives a tuple of pieces (one node); the caller gets a list of them.
        pieces = Op.__call__(Split(indices_or_sections, axis), x)
        if isinstance(pieces, BVar):
            return list(pieces.unpack())
        return list(pieces)

    def __init__(self, indices_or_sections: int | Sequence[int], axis: int) -> None:
        self.indices_or_sections = indices_or_sections
        self.axis = axis

    def forward(self, x: Any) -> tuple[Any, Grad1]:
        axis = _one_axis(self.name, x, self.axis)
        n = np.shape(x)[axis]
        cuts = self.indices_or_sections
        if isinstance(cuts, Sequence | np.ndarray):
            points = [0, *_ints(self.name, "indices_or_sections", cuts), n]
        else:
            (sections,) = _ints(self.name, "indices_or_sections", cuts)
            if sections <= 0:
                raise CheckError(
                    "split: indices_or_sections must be a positive number of sections, "
                    f"got {sections}"
                )
            if n % sections:
                raise CheckError(
                    f"split: {describe_shape('x', x)} does not split into {sections} equal "
                    f"sections along axis {axis} (length {n})"
                )
            points = list(range(0, n + 1, n // sections)) if n else [0] * (sections + 1)
        lead = (slice(None),) * axis
        where = [(*lead, slice(a, b)) for a, b in zip(points[:-1], points[1:], strict=True)]
        if type(x) is not np.ndarray and (xp := array_module(x)) is not np:
            return self.pieces_in(xp, x, where, axis, points)
        pieces = tuple(np.asarray(x)[w] for w in where)

        def grad(gs: Any) -> tuple[Any]:
            gx = np.zeros(np.shape(x), dtype=np.result_type(x))
            for w, g in zip(where, gs, strict=True):
                gx[w] += g
            return (gx,)

        return pieces, grad

    def pieces_in(
        self, xp: Any, x: Any, where: list[tuple[slice, ...]], axis: int, points: list[int]
    ) -> tuple[Any, Grad1]:
        """The pieces and gradient for an array `x` of another library than numpy, whose
        namespace is `xp`."""
        keys: list[tuple[Any, ...]] = [(*w, ...) for w in where]  # every axis, for the strict
        pieces = tuple(x[k] for k in keys)
        shape = tuple(x.shape)
        # numpy clips the points to the axis; pieces in order that meet end to end join back.
        ends = [min(max(p, 0), shape[axis]) for p in points]
        joined = ends[0] == 0 and ends[-1] == shape[axis] and ends == sorted(ends)

        def grad(gs: Any) -> tuple[Any]:
            if joined:
                return (xp.concat(list(gs), axis=axis),)
            # Pieces that overlap (indices going down): their gradients add up.
            gx = xp.zeros(shape, dtype=x.dtype, device=x.device)
            for w, g in zip(where, gs, strict=True):
                n = g.shape[axis]
                if n:
                    start = range(shape[axis])[w[axis]].start
                    positions = xp.arange(start, start + n, device=x.device)
                    gx = add_at(xp, gx, positions, g, axis)
            return (gx,)

        return pieces, grad


# ---------------------------------------------------------------------------------------------
# Ops that copy elements, and pad
# ---------------------------------------------------------------------------------------------


class BroadcastTo(Op[Any, Any]):
    """`x` broadcast to `shape`, as `numpy.broadcast_to` (a read-only view). The gradient adds
    up the gradients of the copies.

    **Raises:** `CheckError` if `x` does not broadcast to `shape`.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> tp.grad(lambda v: ops.sum(ops.broadcast_to(v, (4, 2))), np.array([1.0, 2.0]))
        array([4., 4.])
        ```
    """

    name = "broadcast_to"

    @overload  # type: ignore[override]  # this op's own signature
    def __call__(self, x: BVar[ArrayOf[DT]], /, shape: ShapeLike) -> BVar[ResultOf[DT]]: ...
    @overload
    def __call__(self, x: BVar[float], /, shape: ShapeLike) -> BVar[Array]: ...
    @overload
    def __call__(self, x: ArrayOf[DT], /, shape: ShapeLike) -> ResultOf[DT]: ...
    @overload
    def __call__(self, x: float, /, shape: ShapeLike) -> Array: ...
    # Another library's array keeps its type.
    @overload
    def __call__(self, x: BVar[L], /, shape: ShapeLike) -> BVar[L]: ...
    @overload
    def __call__(self, x: L, /, shape: ShapeLike) -> L: ...
    def __call__(self, x: Any, /, shape: ShapeLike) -> Any:
        return Op.__call__(BroadcastTo(shape), x)

    def __init__(self, shape: ShapeLike) -> None:
        self.shape = shape

    def forward(self, x: Any) -> tuple[Any, Grad1]:
        shape = _ints(self.name, "shape", self.shape)
        if type(x) is not np.ndarray and (xp := array_module(x)) is not np:
            try:
                fits = np.broadcast_shapes(tuple(x.shape), shape) == shape
            except ValueError:
                fits = False
            if not fits:
                raise CheckError(
                    f"broadcast_to: {describe_shape('x', x)} does not broadcast to {shape}"
                )
            return xp.broadcast_to(x, shape), lambda g: (unbroadcast(g, x),)
        try:
            out = np.broadcast_to(x, shape)
        except ValueError:
            raise CheckError(
                f"broadcast_to: {describe_shape('x', x)} does not broadcast to {shape}"
            ) from None
        return out, lambda g: (unbroadcast(g, x),)


class Repeat(Op[Any, Any]):
    """Each element of `x` repeated `repeats` times along `axis`, as `numpy.repeat`; with
    `axis=None`, of the flattened `x`. `repeats` is one count or one per element.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> ops.repeat(np.array([1.0, 2.0]), [1, 3])
        array([1., 2., 2., 2.])
        >>> tp.grad(lambda v: ops.sum(ops.repeat(v, [1, 3])), np.array([1.0, 2.0]))
        array([1., 3.])
        ```
    """

    name = "repeat"

    @overload  # type: ignore[override]  # this op's own signature
    def __call__(
        self, x: BVar[ArrayOf[DT]], /, repeats: int | Sequence[int], axis: None = None
    ) -> BVar[_Flat[DT]]: ...
    @overload
    def __call__(
        self, x: BVar[ArrayOf[DT]], /, repeats: int | Sequence[int], axis: int
    ) -> BVar[ResultOf[DT]]: ...
    @overload
    def __call__(
        self, x: BVar[float], /, repeats: int | Sequence[int], axis: None = None
    ) -> BVar[Vec]: ...
    @overload
    def __call__(
        self, x: ArrayOf[DT], /, repeats: int | Sequence[int], axis: None = None
    ) -> _Flat[DT]: ...
    @overload
    def __call__(
        self, x: ArrayOf[DT], /, repeats: int | Sequence[int], axis: int
    ) -> ResultOf[DT]: ...
    @overload
    def __call__(self, x: float, /, repeats: int | Sequence[int], axis: None = None) -> Vec: ...
    # Another library's array keeps its type.
    @overload
    def __call__(
        self, x: BVar[L], /, repeats: int | Sequence[int], axis: int | None = None
    ) -> BVar[L]: ...
    @overload
    def __call__(self, x: L, /, repeats: int | Sequence[int], axis: int | None = None) -> L: ...
    def __call__(self, x: Any, /, repeats: int | Sequence[int], axis: int | None = None) -> Any:
        return Op.__call__(Repeat(repeats, axis), x)

    def __init__(self, repeats: int | Sequence[int], axis: int | None) -> None:
        self.repeats = repeats
        self.axis = axis

    def forward(self, x: Any) -> tuple[Any, Grad1]:
        if type(x) is not np.ndarray and (xp := array_module(x)) is not np:
            return self.forward_in(xp, x)
        if self.axis is None:
            # numpy repeats the flattened array.
            work, axis = np.ravel(x), 0
            along = f"{describe_shape('x', x)} flattened"
        else:
            work, axis = x, _one_axis(self.name, x, self.axis)
            along = f"axis {axis} of {describe_shape('x', x)}"
        n = np.shape(work)[axis]
        counts = np.asarray(_ints(self.name, "repeats", self.repeats), dtype=np.intp)
        if (counts < 0).any():
            raise CheckError(f"repeat: repeats must not be negative, got {self.repeats!r}")
        if counts.size not in (1, n):
            raise CheckError(
                f"repeat: {counts.size} repeats do not match {along} (length {n}): give one "
                "count, or one per element"
            )
        out = np.repeat(work, counts, axis=axis)
        shape = np.shape(work)

        def grad(g: Any) -> tuple[Any]:
            if counts.size and (counts == counts[0]).all():
                r = int(counts[0])
                copies = g.reshape(shape[: axis + 1] + (r,) + shape[axis + 1 :])
                return (_like(copies.sum(axis=axis + 1), x),)
            # Copies of different counts: add up each element's run of copies.
            g0 = np.moveaxis(g, axis, 0)
            gx = np.zeros((n, *g0.shape[1:]), dtype=g.dtype)
            used = counts > 0
            if used.any():
                starts = np.cumsum(counts) - counts
                gx[used] = np.add.reduceat(g0, starts[used], axis=0)
            return (_like(np.moveaxis(gx, 0, axis), x),)

        return out, grad

    def forward_in(self, xp: Any, x: Any) -> tuple[Any, Grad1]:
        """`forward` for an array `x` of another library than numpy, whose namespace is `xp`."""
        if self.axis is None:
            work, axis = xp.reshape(x, (-1,)), 0
            along = f"{describe_shape('x', x)} flattened"
        else:
            work, axis = x, _one_axis(self.name, x, self.axis)
            along = f"axis {axis} of {describe_shape('x', x)}"
        shape = tuple(work.shape)
        n = shape[axis]
        counts = _ints(self.name, "repeats", self.repeats)
        if any(c < 0 for c in counts):
            raise CheckError(f"repeat: repeats must not be negative, got {self.repeats!r}")
        if len(counts) not in (1, n):
            raise CheckError(
                f"repeat: {len(counts)} repeats do not match {along} (length {n}): give one "
                "count, or one per element"
            )
        same = len(set(counts)) <= 1
        device = x.device
        repeats: Any = counts[0] if len(counts) == 1 else xp.asarray(counts, device=device)
        out = xp.repeat(work, repeats, axis=axis)

        def grad(g: Any) -> tuple[Any]:
            if same and counts:
                # Each element's r copies side by side: sum them.
                r = counts[0]
                copies = xp.reshape(g, shape[: axis + 1] + (r,) + shape[axis + 1 :])
                return (_like_in(xp, xp.sum(copies, axis=axis + 1), x),)
            # Copies of different counts: add each copy's gradient to its element's.
            owners = xp.repeat(xp.arange(n, device=device), repeats)
            gx = xp.zeros(shape, dtype=g.dtype, device=device)
            return (_like_in(xp, add_at(xp, gx, owners, g, axis), x),)

        return out, grad


class Tile(Op[Any, Any]):
    """`x` repeated `reps` times along each axis, as `numpy.tile`.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> ops.tile(np.array([1.0, 2.0]), (2, 2))
        array([[1., 2., 1., 2.],
               [1., 2., 1., 2.]])
        >>> tp.grad(lambda v: ops.sum(ops.tile(v, 3)), np.array([1.0, 2.0]))
        array([3., 3.])
        ```
    """

    name = "tile"

    @overload  # type: ignore[override]  # this op's own signature
    def __call__(self, x: BVar[ArrayOf[DT]], /, reps: ShapeLike) -> BVar[ResultOf[DT]]: ...
    @overload
    def __call__(self, x: BVar[float], /, reps: ShapeLike) -> BVar[Array]: ...
    @overload
    def __call__(self, x: ArrayOf[DT], /, reps: ShapeLike) -> ResultOf[DT]: ...
    @overload
    def __call__(self, x: float, /, reps: ShapeLike) -> Array: ...
    # Another library's array keeps its type.
    @overload
    def __call__(self, x: BVar[L], /, reps: ShapeLike) -> BVar[L]: ...
    @overload
    def __call__(self, x: L, /, reps: ShapeLike) -> L: ...
    def __call__(self, x: Any, /, reps: ShapeLike) -> Any:
        return Op.__call__(Tile(reps), x)

    def __init__(self, reps: ShapeLike) -> None:
        self.reps = reps

    def forward(self, x: Any) -> tuple[Any, Grad1]:
        reps = _ints(self.name, "reps", self.reps)
        if any(r < 0 for r in reps):
            raise CheckError(f"tile: reps must not be negative, got {self.reps!r}")
        # numpy gives the shorter of x's shape and reps leading ones.
        d = max(np.ndim(x), len(reps))
        shape = (1,) * (d - np.ndim(x)) + np.shape(x)
        reps = (1,) * (d - len(reps)) + reps
        # Along each axis the output is `r` copies of `x` one after the other: axis length
        # r * n reads as (r, n), and the gradient sums over the copies.
        copies = tuple(k for r, n in zip(reps, shape, strict=True) for k in (r, n))
        summed = tuple(range(0, 2 * d, 2))
        if type(x) is not np.ndarray and (xp := array_module(x)) is not np:
            out = xp.tile(xp.reshape(x, shape), reps)
            return out, lambda g: (_like_in(xp, xp.sum(xp.reshape(g, copies), axis=summed), x),)
        out = np.tile(x, reps)
        return out, lambda g: (_like(g.reshape(copies).sum(axis=summed), x),)


_PadWidth: TypeAlias = int | Sequence[int] | Sequence[Sequence[int]]
_Constant: TypeAlias = float | Sequence[float] | Sequence[Sequence[float]]


class Pad(Op[Any, Any]):
    """`x` padded with `constant_values`, as `numpy.pad`: `pad_width` is an int, one
    (before, after) pair for every axis, or one pair per axis. Only mode "constant" is
    supported; the padding is a constant, and gets no gradient.

    **Raises:** `CheckError` for another mode, and for negative or ill-shaped pad widths.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> ops.pad(np.array([1.0, 2.0]), (1, 2), constant_values=-1.0)
        array([-1.,  1.,  2., -1., -1.])
        >>> tp.grad(lambda v: ops.pad(v, 1) @ np.array([1.0, 2.0, 3.0, 4.0]), np.zeros(2))
        array([2., 3.])
        ```
    """

    name = "pad"

    @overload  # type: ignore[override]  # this op's own signature
    def __call__(
        self,
        x: BVar[ArrayOf[DT]],
        /,
        pad_width: _PadWidth,
        mode: Literal["constant"] = "constant",
        constant_values: _Constant = 0,
    ) -> BVar[ResultOf[DT]]: ...
    @overload
    def __call__(
        self,
        x: ArrayOf[DT],
        /,
        pad_width: _PadWidth,
        mode: Literal["constant"] = "constant",
        constant_values: _Constant = 0,
    ) -> ResultOf[DT]: ...
    # Another library's array keeps its type.
    @overload
    def __call__(
        self,
        x: BVar[L],
        /,
        pad_width: _PadWidth,
        mode: Literal["constant"] = "constant",
        constant_values: _Constant = 0,
    ) -> BVar[L]: ...
    @overload
    def __call__(
        self,
        x: L,
        /,
        pad_width: _PadWidth,
        mode: Literal["constant"] = "constant",
        constant_values: _Constant = 0,
    ) -> L: ...
    def __call__(
        self,
        x: Any,
        /,
        pad_width: _PadWidth,
        mode: Literal["constant"] = "constant",
        constant_values: _Constant = 0,
    ) -> Any:
        return Op.__call__(Pad(pad_width, mode, constant_values), x)

    def __init__(self, pad_width: Any, mode: str, constant_values: Any) -> None:
        self.pad_width = pad_width
        self.mode = mode
        self.constant_values = constant_values

    def forward(self, x: Any) -> tuple[Any, Grad1]:
        if self.mode != "constant":
            raise CheckError(f"pad: mode {self.mode!r} is not supported: only mode 'constant' is")
        ndim = np.ndim(x)
        widths = np.asarray(self.pad_width)
        if widths.dtype.kind not in "iu":
            raise CheckError(f"pad: pad_width must be ints, got {self.pad_width!r}")
        try:
            pairs = np.broadcast_to(widths, (ndim, 2))
        except ValueError:
            raise CheckError(
                f"pad: pad_width {self.pad_width!r} does not fit {describe_shape('x', x)} "
                f"({ndim} ax{'i' if ndim == 1 else 'e'}s): give an int, one (before, after) "
                "pair, or one pair per axis"
            ) from None
        if (pairs < 0).any():
            raise CheckError(f"pad: pad_width must not be negative, got {self.pad_width!r}")
        values = self.constant_values
        # A number, an array, or numpy's (before, after) pairs: refused as an argument is.
        refuse(
            self.name,
            "constant_values",
            np.asarray(values) if type(values) in (tuple, list) else values,
        )
        inside = tuple(slice(b, b + n) for (b, _), n in zip(pairs, np.shape(x), strict=True))
        if type(x) is not np.ndarray and (xp := array_module(x)) is not np:
            return _pad_in(xp, x, pairs, values), lambda g: (g[inside],)
        out = np.pad(x, pairs, mode="constant", constant_values=values)
        return out, lambda g: (g[inside],)


def _pad_in(xp: Any, x: Any, pairs: Any, values: Any) -> Any:
    """`np.pad(x, pairs, mode="constant", constant_values=values)` for an array `x` of another
    library than numpy, whose namespace is `xp`: the padding joined on one axis after the other,
    as numpy pads (an axis's padding spans the axes padded before it)."""
    if array_module(values) is xp:
        if values.ndim:
            raise CheckError(
                f"pad: constant_values must be a number or (before, after) numbers, not an "
                f"array of shape {tuple(values.shape)}, for {array_kind_name(x)} arrays"
            )
        fills = np.zeros((x.ndim, 2), dtype=object)
        fills[...] = values
    else:
        fills = np.broadcast_to(np.asarray(values, dtype=object), (x.ndim, 2))
    out = x
    for axis, ((before, after), (low, high)) in enumerate(zip(pairs, fills, strict=True)):
        if not before and not after:
            continue
        parts = []
        for width, value in ((before, low), (int(after), None), (after, high)):
            if value is None:
                parts.append(out)
                continue
            if width:
                shape = (*out.shape[:axis], int(width), *out.shape[axis + 1 :])
                fill = xp.asarray(value, dtype=x.dtype, device=x.device)
                parts.append(xp.broadcast_to(fill, shape))
        out = xp.concat(parts, axis=axis)
    return out


def array_kind_name(x: Any) -> str:
    """The library of the array `x`, as messages name it."""
    from .._core.structures import array_kind

    kind = array_kind(x)
    return kind.library if kind is not None else "numpy"


# ---------------------------------------------------------------------------------------------
# The public functions
# ---------------------------------------------------------------------------------------------


# A sequence of plain arrays gives a plain array, one with a BVar among its items a BVar. mypy
# cannot tell a mixed sequence that holds a BVar from one that happens to hold none, and infers
# no dtype for a list literal that mixes BVars and arrays: such a list gets the last overload.


# As for concatenate.


reshape = public(unconfigured(Reshape))

ravel = public(unconfigured(Ravel))

squeeze = public(unconfigured(Squeeze))

expand_dims = public(unconfigured(ExpandDims))

concatenate = public(unconfigured(Concatenate))

stack = public(unconfigured(Stack))

split = public(unconfigured(Split))

broadcast_to = public(unconfigured(BroadcastTo))

repeat = public(unconfigured(Repeat))

tile = public(unconfigured(Tile))

pad = public(unconfigured(Pad))
