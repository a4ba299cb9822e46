"""Indexing and selection: `getitem` (the op behind `x[key]`), `take` and `where`.

Each op picks elements of its differentiable input(s); the gradient puts the output's gradient
back where the elements came from and zeros everywhere else. Where an element is picked more
than once (repeated integer indices), its gradients add up: the gradient is scattered with
`np.add.at`, never by assignment, which would keep only the last one. The indices, keys and
conditions are constants: they are not differentiated.

Another library's arrays (PyTorch, JAX, array-api-strict, ...) are indexed with keys of their
own library: index arrays and masks of that library, or Python ints, slices, lists, None and
`...`; a numpy index array with them is refused, as the ops refuse two libraries. Their
gradients are scattered by `add_at` (JAX's `.at[].add`, PyTorch's `index_add_`, or a one-hot
product where a library has no scatter-add). array-api-strict indexes only as the array API
standard allows (integer arrays only beside integers, a mask only as the whole key): a key it
cannot take is a CheckError naming the library.

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

import math
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias, overload

import numpy as np

from .._core.arrays import DT, AnyArray, ArrayOf, Index, Key, L, LibraryArray, OtherArray, ResultOf
from .._core.backends import mixing_message
from .._core.bvar import BVar
from .._core.errors import CheckError
from .._core.op import Grad1, Op
from .._core.structures import array_kind, array_module
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


# numpy's message, and PyTorch's ("dimension" for "axis").
_OUT_OF_BOUNDS = re.compile(
    r"index (-?\d+) is out of bounds for (?:axis|dimension) (\d+) with size (\d+)"
)
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


def mixed_error(op: str, what: str, library: str, x_library: str) -> CheckError:
    """The error for a constant (`what`: "the key", "indices", ...) of array library `library`
    given with an argument 'x' of another, `x_library`: an op computes with one library."""
    return CheckError(mixing_message(op, (what, library), ("argument 'x'", x_library)))


def constant_in(op: str, what: str, xp: Any, value: Any, like: Any) -> Any:
    """`value`, an index or condition given with `like` (an array of the library whose
    namespace is `xp`, not numpy), as that library takes it: its own arrays as they are,
    Python numbers and numpy's integer and bool scalars as Python numbers; arrays of numpy or of
    a third library refused (see `mixed_error`)."""
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    if isinstance(value, np.ndarray):
        raise mixed_error(op, what, "numpy", array_kind(like).library)  # type: ignore[union-attr]
    kind = array_kind(value)
    if kind is not None and kind.module is not xp:
        raise mixed_error(op, what, kind.library, array_kind(like).library)  # type: ignore[union-attr]
    return value


def _from_list(xp: Any, a: np.ndarray[Any, Any], like: Any) -> Any:
    """The index array `a`, which the op made from a Python list, as an array of `like`'s
    library (a list is the user's Python data, not numpy's: no library is mixed)."""
    device = like.device
    dtype = xp.bool if a.dtype == np.bool_ else _index_dtype(xp, device)
    return xp.asarray(a.tolist(), dtype=dtype, device=device)


def _index_dtype(xp: Any, device: Any) -> Any:
    """The library's integer dtype for indices (int64, or int32 in JAX without 64 bits)."""
    return xp.__array_namespace_info__().default_dtypes(device=device)["indexing"]


def _is_mask(entry: Any) -> bool:
    """Whether an entry of a key is a boolean array (of any library)."""
    dtype = getattr(entry, "dtype", None)
    return dtype is not None and str(dtype).rpartition(".")[2] == "bool"


def _consumed(entry: Any) -> int:
    """How many axes of the array an entry of a key indexes (a mask: its rank)."""
    if entry is None or entry is Ellipsis:
        return 0
    return len(entry.shape) if _is_mask(entry) else 1


def _portable_key(library: str, xp: Any, key: tuple[Any, ...], ndim: int) -> tuple[Any, ...]:
    """`key` (a tuple), written as `library` indexes: array-api-strict wants every axis indexed
    (a trailing `...` where numpy leaves it implicit, unless a mask is the whole key)."""
    if library != "array_api_strict" or any(e is Ellipsis for e in key):
        return key
    if len(key) == 1 and (key[0] is None or _is_mask(key[0])):
        return key  # a mask as the whole key
    if sum(_consumed(e) for e in key) < ndim:
        return (*key, Ellipsis)
    return key


def _flips(key: tuple[Any, ...], shape: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[Any, ...]]:
    """For PyTorch, which slices with positive steps only: the axes to reverse first, and the
    key with each negative step's slice written for the reversed axis."""
    if not any(isinstance(e, slice) and e.step is not None and e.step < 0 for e in key):
        return (), key
    # `is`, not `in`: an array's == compares elements.
    ellipsis = next((i for i, e in enumerate(key) if e is Ellipsis), len(key))
    after = sum(_consumed(e) for e in key[ellipsis + 1 :])
    axis, flips, out = 0, [], []
    for i, e in enumerate(key):
        if e is Ellipsis:
            axis = len(shape) - after
        elif isinstance(e, slice) and e.step is not None and e.step < 0:
            n = shape[axis]
            picked = range(n)[e]  # the positions, going down
            flips.append(axis)
            if picked:
                e = slice(n - 1 - picked[0], n - picked[-1], -e.step)
            else:
                e = slice(0, 0)
        out.append(e)
        axis += _consumed(e) if i != ellipsis else 0
    return tuple(flips), tuple(out)


def add_at(xp: Any, gx: Any, index: Any, values: Any, axis: int) -> Any:
    """`gx` with `values` added at the positions `index` (a 1-d integer array, non-negative, of
    `gx`'s library) along `axis`, repeated positions adding up, like `np.add.at(gx, (:, ...,
    index), values)`: `values` has `gx`'s shape with `len(index)` along `axis`. For arrays of a
    library other than numpy: JAX's `.at[].add` (its arrays are immutable), PyTorch's
    `index_add_`; a library without a scatter-add (array-api-strict, the standard) gets the
    product with a one-hot matrix of `len(index)` by `gx.shape[axis]` (exact: it adds the
    same values, times one or zero)."""
    library = array_kind(gx).library  # type: ignore[union-attr]
    if library == "jax":
        return gx.at[(slice(None),) * axis + (index,)].add(values)
    if library == "torch":
        return gx.index_add_(axis, index, values)
    n = gx.shape[axis]
    picks = xp.equal(
        xp.reshape(index, (-1, 1)), xp.reshape(xp.arange(n, device=gx.device), (1, -1))
    )
    summed = xp.tensordot(values, xp.astype(picks, gx.dtype), axes=([axis], [0]))
    return gx + xp.moveaxis(summed, -1, axis)


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
    # Another library's array, indexed by numpy's keys or by its own arrays.
    @overload
    def __call__(
        self, x: BVar[L], key: Key | OtherArray | tuple[Index | OtherArray, ...], /
    ) -> BVar[L]: ...
    @overload
    def __call__(self, x: L, key: Key | OtherArray | tuple[Index | OtherArray, ...], /) -> L: ...
    def __call__(self, x: Any, key: Any, /) -> Any:
        return Op.__call__(GetItem(key), x)

    def __init__(self, key: Any) -> None:
        entries = key if isinstance(key, tuple) else (key,)
        for entry in entries:
            _refuse_bvar("getitem", "the key", entry)
        frozen = tuple(_frozen(e) for e in entries)
        self.key: Any = frozen if isinstance(key, tuple) else frozen[0]
        self.basic = all(_is_basic(e) for e in frozen)
        # Which entries were lists (arrays now): for another library's `x`, arrays of its own.
        self.lists = tuple(type(e) is list for e in entries)

    def forward(self, x: Any) -> tuple[Any, Grad1]:
        if type(x) is not np.ndarray and (xp := array_module(x)) is not np:
            return self.forward_in(xp, x)
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

    def forward_in(self, xp: Any, x: Any) -> tuple[Any, Grad1]:
        """`forward` for an array `x` of another library than numpy, whose namespace is `xp`."""
        library = array_kind(x).library  # type: ignore[union-attr]
        entries = self.key if isinstance(self.key, tuple) else (self.key,)
        converted = tuple(
            _from_list(xp, e, x) if was_list else constant_in(self.name, "the key", xp, e, x)
            for e, was_list in zip(entries, self.lists, strict=True)
        )
        shape = tuple(x.shape)
        converted = _portable_key(library, xp, converted, len(shape))
        flips: tuple[int, ...] = ()
        if library == "torch":
            flips, converted = _flips(converted, shape)
        key: Any = converted if isinstance(self.key, tuple) or len(converted) > 1 else converted[0]
        source = xp.flip(x, axis=flips) if flips else x
        try:
            out = source[key]
        except IndexError as e:
            message = str(e).strip()
            if library == "array_api_strict" and not _TOO_MANY.search(message):
                if not _OUT_OF_BOUNDS.search(message):
                    raise CheckError(
                        f"getitem: this key is not available for array_api_strict arrays, "
                        f"which index only as the array API standard specifies: {message}"
                    ) from None
            raise self.index_error(x, message) from None
        if library == "jax" and not all(
            e is None or e is Ellipsis or isinstance(e, slice) for e in converted
        ):
            # JAX clips an index out of bounds instead of raising: the positions of the
            # elements picked, with -1 for one out of bounds, tell.
            positions = xp.reshape(xp.arange(x.size), shape)
            picked = positions.at[key].get(mode="fill", fill_value=-1)
            if bool(xp.any(picked < 0)):
                raise CheckError(
                    f"getitem: an index of the key is out of bounds for {describe_shape('x', x)}"
                )

        def grad(g: Any) -> tuple[Any]:
            zeros = xp.zeros(shape, dtype=x.dtype, device=x.device)
            if self.basic:
                # No element twice: set, not add. None's axes (of length 1) taken out of the
                # key and of `g`: array-api-strict sets through no other basic key.
                import array_api_extra as xpx  # imported with another library's first array

                plain = tuple(e for e in converted if e is not None)
                g = xp.reshape(g, tuple(zeros[plain].shape))
                gx = xpx.at(zeros, plain).set(g)
                return (xp.flip(gx, axis=flips) if flips else gx,)
            if library == "jax":
                return (zeros.at[key].add(g),)
            # The flat positions of the elements picked, through the same key, and the
            # gradient added at them.
            size = math.prod(shape)
            positions = xp.reshape(xp.arange(size, device=x.device), shape)
            if flips:
                positions = xp.flip(positions, axis=flips)
            picked = xp.reshape(positions[key], (-1,))
            flat = xp.zeros((size,), dtype=x.dtype, device=x.device)
            return (xp.reshape(add_at(xp, flat, picked, xp.reshape(g, (-1,)), 0), shape),)

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
    # Another library's array, its indices an int or its own integer array.
    @overload
    def __call__(
        self,
        x: BVar[L],
        indices: int | np.integer[Any] | IndexArray | OtherArray,
        /,
        axis: int | None = None,
    ) -> BVar[L]: ...
    @overload
    def __call__(
        self,
        x: L,
        indices: int | np.integer[Any] | IndexArray | OtherArray,
        /,
        axis: int | None = None,
    ) -> L: ...
    def __call__(self, x: Any, indices: Indices | LibraryArray, /, axis: int | None = None) -> Any:
        return Op.__call__(Take(indices, axis), x)

    def __init__(self, indices: Any, axis: int | None) -> None:
        _refuse_bvar("take", "indices", indices)
        self.axis = axis
        # Whether `indices` is numpy's array (which another library's `x` may not take), not
        # a number or a list.
        self.numpy = type(indices) is np.ndarray
        if not self.numpy and type(indices) not in (int, list):
            kind = array_kind(indices)
            if kind is not None and kind.module is not np:
                # Another library's indices, kept in it (a copy: the caller's may change).
                xp = kind.module
                if not xp.isdtype(indices.dtype, "integral"):
                    raise CheckError(f"take: indices must be integers, got dtype {indices.dtype}")
                self.indices = xp.asarray(indices, copy=True)
                return
        idx = np.array(indices)
        if idx.size == 0 and idx.dtype.kind == "f":
            idx = idx.astype(np.intp)  # an empty list
        if idx.dtype.kind not in "iu":
            raise CheckError(f"take: indices must be integers, got dtype {idx.dtype}")
        self.indices = idx

    def forward(self, x: Any) -> tuple[Any, Grad1]:
        if type(x) is not np.ndarray and (xp := array_module(x)) is not np:
            return self.forward_in(xp, x)
        zeros = _zeros_for(self.name, x)
        if type(self.indices) is not np.ndarray:
            kind = array_kind(self.indices)
            raise mixed_error(self.name, "indices", kind.library, "numpy")  # type: ignore[union-attr]
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

    def forward_in(self, xp: Any, x: Any) -> tuple[Any, Grad1]:
        """`forward` for an array `x` of another library than numpy, whose namespace is `xp`:
        through the array API's `take`, which takes a 1-d array of non-negative indices along
        one axis (`indices` flattened, made non-negative, the result reshaped)."""
        idx = self.indices
        if type(idx) is np.ndarray:
            if self.numpy:
                raise mixed_error(self.name, "indices", "numpy", array_kind(x).library)  # type: ignore[union-attr]
            idx = _from_list(xp, idx, x)
        else:
            idx = constant_in(self.name, "indices", xp, idx, x)
        axis = None if self.axis is None else normalize_axis(self.name, x, self.axis)[0]
        work, along = (xp.reshape(x, (-1,)), 0) if axis is None else (x, axis)
        shape = tuple(work.shape)
        n = shape[along]
        flat = xp.reshape(idx, (-1,))
        bad = (flat < -n) | (flat >= n)
        # A check the libraries do not all make (JAX clips), read back to raise it.
        if bool(xp.any(bad)):
            where = (
                f"{describe_shape('x', x)} flattened (size {n})"
                if axis is None
                else f"axis {axis} of {describe_shape('x', x)}"
            )
            first = int(flat[bad][0])
            raise CheckError(f"take: index {first} is out of bounds for {where}")
        flat = xp.where(flat < 0, flat + n, flat)
        out_shape = shape[:along] + tuple(idx.shape) + shape[along + 1 :]
        out = xp.reshape(xp.take(work, flat, axis=along), out_shape)
        picked = shape[:along] + (flat.shape[0],) + shape[along + 1 :]

        def grad(g: Any) -> tuple[Any]:
            gx = xp.zeros(shape, dtype=x.dtype, device=x.device)
            gx = add_at(xp, gx, flat, xp.reshape(g, picked), along)
            return (xp.reshape(gx, tuple(x.shape)),)

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
    # Another library's arrays, the condition a boolean array of it (or a bool).
    @overload
    def __call__(
        self,
        condition: OtherArray | bool,
        a: BVar[L],
        b: BVar[OtherArray] | OtherArray | BVar[float] | float,
        /,
    ) -> BVar[L]: ...
    @overload
    def __call__(
        self, condition: OtherArray | bool, a: OtherArray | BVar[float] | float, b: BVar[L], /
    ) -> BVar[L]: ...
    @overload
    def __call__(self, condition: OtherArray | bool, a: L, b: OtherArray | float, /) -> L: ...
    @overload
    def __call__(self, condition: OtherArray | bool, a: float, b: L, /) -> L: ...
    def __call__(self, condition: Any, a: Any, b: Any, /) -> Any:
        if type(condition) is BVar:
            raise CheckError(
                "where: the condition is a BVar, but a condition is not differentiable: pass its "
                "plain value (cond.value) or a comparison's plain result (ops.greater(x, 0.0))"
            )
        if not isinstance(condition, bool | np.bool_) and not (
            isinstance(condition, np.ndarray) and condition.dtype == np.bool_
        ):
            kind = array_kind(condition)
            if kind is not None and kind.module.isdtype(condition.dtype, "bool"):
                return Op.__call__(Where(condition), a, b)  # another library's
            got = (
                f"an array of dtype {condition.dtype}"
                if isinstance(condition, np.ndarray) or kind is not None
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
        if (xp := array_module(cond, a, b)) is not np:
            return self.forward_in(xp, cond, a, b)
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

    def forward_in(
        self, xp: Any, cond: Any, a: Any, b: Any
    ) -> tuple[Any, Callable[[Any], tuple[Any, Any]]]:
        """`forward` where the condition or a branch is an array of another library than numpy,
        whose namespace is `xp`; the others numbers or arrays of it."""
        values = (cond, a, b)
        like = next(v for v in values if array_module(v) is xp)
        library = array_kind(like).library  # type: ignore[union-attr]
        for name, v in zip(("condition", "a", "b"), values, strict=True):
            kind = array_kind(v)
            other = "numpy" if isinstance(v, np.ndarray | np.generic) else None
            if kind is not None and kind.module is not xp:
                other = kind.library
            if other is not None and not (name == "condition" and isinstance(v, np.bool_)):
                raise CheckError(
                    mixing_message(
                        "where", (f"argument '{name}'", other), ("another argument", library)
                    )
                )
        device = like.device
        if array_module(cond) is not xp:
            cond = xp.asarray(bool(cond), device=device)
        if array_module(a) is not xp and array_module(b) is not xp:
            # Two numbers: the result has numpy's dtype for them, float64 (or the library's
            # widest where 64 bits are off, as in JAX by default).
            dtype = _float64(xp, device)
            a2, b2 = xp.asarray(a, dtype=dtype, device=device), b
        else:
            a2, b2 = a, b
        try:
            out = xp.where(cond, a2, b2)
        except (ValueError, RuntimeError, TypeError):
            try:
                np.broadcast_shapes(*(tuple(np.shape(v)) for v in values))
            except ValueError:
                raise broadcast_error(self.name, ("condition", "a", "b"), values) from None
            raise

        def grad(g: Any) -> tuple[Any, Any]:
            zero = xp.zeros_like(g)
            return unbroadcast(xp.where(cond, g, zero), a), unbroadcast(xp.where(cond, zero, g), b)

        return out, grad


def _float64(xp: Any, device: Any) -> Any:
    """float64, or the widest real floating dtype the library `xp` has on `device` now."""
    dtypes = xp.__array_namespace_info__().dtypes(device=device, kind="real floating")
    return dtypes.get("float64", dtypes.get("float32"))


getitem = public(unconfigured(GetItem), note="`x[key]`: basic, integer-array and boolean")

take = public(unconfigured(Take))

where = public(unconfigured(Where), note="the condition is not differentiated")
