"""Array constructors whose sizes mypy can know: `zeros`, `ones` and `normal`.

They take the sizes as separate integers, `zeros(32, 784)`, and return a float64 array of that
shape, typed by its rank (`ndarray[tuple[int, int], dtype[float64]]`, which fits `Mat`). With
`typedprop.mypy_plugin` on, the type also carries the sizes written (integer literals, `Final`
constants, arithmetic on them) as an invisible attribute, and the plugin checks them against
the ops, operators and `shapecheck`ed functions they reach (`typedprop.reveal_shape` shows them).

`dtype=` makes another float dtype, typed with it: `zeros(3, dtype=np.float32)` is an
`ndarray[tuple[int], dtype[float32]]` (with the plugin, of size 3). A float dtype's
name (`dtype="float32"`) is typed as any float, `Floating`; a dtype that is not a float
(an integer, a complex or an object dtype) is refused with `CheckError`, and mypy rejects a
non-float numpy type or name. `.astype(np.float32)` keeps the sizes too.

`library=` builds an array of another library, named by its array type, on `device`:
`normal(300, 784, library=torch.Tensor, device="cuda", dtype="float32")` is a float32
`torch.Tensor` on the GPU, typed `torch.Tensor` (without `dtype=`, the library's default float
dtype: float32 for PyTorch, and for JAX without its 64-bit mode); `normal` draws the numbers on
the host with numpy first, so that a seed gives the same weights on every library and device.

Internal: users import `zeros`, `ones` and `normal` from `typedprop`.
"""

from typing import Any, Literal, TypeAlias, TypeVar, cast, overload

import numpy as np

from .._core.arrays import Array, Floating, Mat, Vec
from .._core.backends import library_of_type, namespace
from .._core.errors import CheckError

_F64: TypeAlias = np.dtype[np.float64]
_Vec64: TypeAlias = np.ndarray[tuple[int], _F64]
_Mat64: TypeAlias = np.ndarray[tuple[int, int], _F64]
_Arr3: TypeAlias = np.ndarray[tuple[int, int, int], _F64]
_Arr64: TypeAlias = np.ndarray[tuple[Any, ...], _F64]

_A = TypeVar("_A")
"""The array type that `library=` names (`torch.Tensor`): the result's type."""
_F = TypeVar("_F", bound=np.floating[Any])
"""The float type `dtype=` names (np.float32): the result's dtype."""
_FloatType: TypeAlias = type[_F] | np.dtype[_F]
"""A float dtype as a numpy type (`np.float32`) or a dtype (`np.dtype(np.float32)`). Python's
`float` is not one: mypy would take `int` for it (ints pass where floats are expected)."""
_FloatName: TypeAlias = Literal[
    "float16", "float32", "float64", "half", "single", "double", "f2", "f4", "f8", "e", "f", "d"
]
"""A float dtype by name: the result is typed as any float."""
_VecOf: TypeAlias = np.ndarray[tuple[int], np.dtype[_F]]
_MatOf: TypeAlias = np.ndarray[tuple[int, int], np.dtype[_F]]
_Arr3Of: TypeAlias = np.ndarray[tuple[int, int, int], np.dtype[_F]]
_ArrOf: TypeAlias = np.ndarray[tuple[Any, ...], np.dtype[_F]]
_Arr3F: TypeAlias = np.ndarray[tuple[int, int, int], Floating]


@overload
def zeros(*shape: int, library: type[_A], device: object = None, dtype: object = None) -> _A: ...
@overload
def zeros(n: int, /, *, dtype: None = None) -> _Vec64: ...
@overload
def zeros(n: int, /, *, dtype: _FloatType[_F]) -> _VecOf[_F]: ...
@overload
def zeros(n: int, /, *, dtype: _FloatName) -> Vec: ...
@overload
def zeros(m: int, n: int, /, *, dtype: None = None) -> _Mat64: ...
@overload
def zeros(m: int, n: int, /, *, dtype: _FloatType[_F]) -> _MatOf[_F]: ...
@overload
def zeros(m: int, n: int, /, *, dtype: _FloatName) -> Mat: ...
@overload
def zeros(a: int, b: int, c: int, /, *, dtype: None = None) -> _Arr3: ...
@overload
def zeros(a: int, b: int, c: int, /, *, dtype: _FloatType[_F]) -> _Arr3Of[_F]: ...
@overload
def zeros(a: int, b: int, c: int, /, *, dtype: _FloatName) -> _Arr3F: ...
@overload
def zeros(*shape: int, dtype: None = None) -> _Arr64: ...
@overload
def zeros(*shape: int, dtype: _FloatType[_F]) -> _ArrOf[_F]: ...
@overload
def zeros(*shape: int, dtype: _FloatName) -> Array: ...
def zeros(
    *shape: int, dtype: object = None, library: type[Any] | None = None, device: object = None
) -> Any:
    """A float64 array of zeros with the given sizes, `numpy.zeros(shape)`; `dtype` gives
    another float dtype (`np.float32`), typed with it.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> tp.zeros(2, 3).shape
        (2, 3)
        >>> tp.zeros(2, dtype=np.float32)
        array([0., 0.], dtype=float32)
        ```
    """
    if library is not None:
        return _built("zeros", _sizes(shape), 0.0, dtype, library, device)
    _no_device("zeros", device)
    return np.zeros(_sizes(shape), dtype=_float_dtype(dtype, "zeros"))


@overload
def ones(*shape: int, library: type[_A], device: object = None, dtype: object = None) -> _A: ...
@overload
def ones(n: int, /, *, dtype: None = None) -> _Vec64: ...
@overload
def ones(n: int, /, *, dtype: _FloatType[_F]) -> _VecOf[_F]: ...
@overload
def ones(n: int, /, *, dtype: _FloatName) -> Vec: ...
@overload
def ones(m: int, n: int, /, *, dtype: None = None) -> _Mat64: ...
@overload
def ones(m: int, n: int, /, *, dtype: _FloatType[_F]) -> _MatOf[_F]: ...
@overload
def ones(m: int, n: int, /, *, dtype: _FloatName) -> Mat: ...
@overload
def ones(a: int, b: int, c: int, /, *, dtype: None = None) -> _Arr3: ...
@overload
def ones(a: int, b: int, c: int, /, *, dtype: _FloatType[_F]) -> _Arr3Of[_F]: ...
@overload
def ones(a: int, b: int, c: int, /, *, dtype: _FloatName) -> _Arr3F: ...
@overload
def ones(*shape: int, dtype: None = None) -> _Arr64: ...
@overload
def ones(*shape: int, dtype: _FloatType[_F]) -> _ArrOf[_F]: ...
@overload
def ones(*shape: int, dtype: _FloatName) -> Array: ...
def ones(
    *shape: int, dtype: object = None, library: type[Any] | None = None, device: object = None
) -> Any:
    """A float64 array of ones with the given sizes, `numpy.ones(shape)`; `dtype` gives
    another float dtype (`np.float32`), typed with it.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> tp.ones(3)
        array([1., 1., 1.])
        >>> tp.ones(3, dtype=np.float32).dtype
        dtype('float32')
        ```
    """
    if library is not None:
        return _built("ones", _sizes(shape), 1.0, dtype, library, device)
    _no_device("ones", device)
    return np.ones(_sizes(shape), dtype=_float_dtype(dtype, "ones"))


_Rng: TypeAlias = np.random.Generator | int | None


@overload
def normal(
    *shape: int,
    loc: float = 0.0,
    scale: float = 1.0,
    rng: _Rng = None,
    library: type[_A],
    device: object = None,
    dtype: object = None,
) -> _A: ...
@overload
def normal(
    n: int, /, *, loc: float = 0.0, scale: float = 1.0, rng: _Rng = None, dtype: None = None
) -> _Vec64: ...
@overload
def normal(
    n: int, /, *, loc: float = 0.0, scale: float = 1.0, rng: _Rng = None, dtype: _FloatType[_F]
) -> _VecOf[_F]: ...
@overload
def normal(
    n: int, /, *, loc: float = 0.0, scale: float = 1.0, rng: _Rng = None, dtype: _FloatName
) -> Vec: ...
@overload
def normal(
    m: int, n: int, /, *, loc: float = 0.0, scale: float = 1.0, rng: _Rng = None, dtype: None = None
) -> _Mat64: ...
@overload
def normal(
    m: int,
    n: int,
    /,
    *,
    loc: float = 0.0,
    scale: float = 1.0,
    rng: _Rng = None,
    dtype: _FloatType[_F],
) -> _MatOf[_F]: ...
@overload
def normal(
    m: int, n: int, /, *, loc: float = 0.0, scale: float = 1.0, rng: _Rng = None, dtype: _FloatName
) -> Mat: ...
@overload
def normal(
    a: int,
    b: int,
    c: int,
    /,
    *,
    loc: float = 0.0,
    scale: float = 1.0,
    rng: _Rng = None,
    dtype: None = None,
) -> _Arr3: ...
@overload
def normal(
    a: int,
    b: int,
    c: int,
    /,
    *,
    loc: float = 0.0,
    scale: float = 1.0,
    rng: _Rng = None,
    dtype: _FloatType[_F],
) -> _Arr3Of[_F]: ...
@overload
def normal(
    a: int,
    b: int,
    c: int,
    /,
    *,
    loc: float = 0.0,
    scale: float = 1.0,
    rng: _Rng = None,
    dtype: _FloatName,
) -> _Arr3F: ...
@overload
def normal(
    *shape: int, loc: float = 0.0, scale: float = 1.0, rng: _Rng = None, dtype: None = None
) -> _Arr64: ...
@overload
def normal(
    *shape: int, loc: float = 0.0, scale: float = 1.0, rng: _Rng = None, dtype: _FloatType[_F]
) -> _ArrOf[_F]: ...
@overload
def normal(
    *shape: int, loc: float = 0.0, scale: float = 1.0, rng: _Rng = None, dtype: _FloatName
) -> Array: ...
def normal(
    *shape: int,
    loc: float = 0.0,
    scale: float = 1.0,
    rng: _Rng = None,
    dtype: object = None,
    library: type[Any] | None = None,
    device: object = None,
) -> Any:
    """A float64 array of the given sizes drawn from the normal distribution with mean `loc`
    and standard deviation `scale`. `rng` is a numpy `Generator`, or a seed for a new one
    (None: fresh entropy). `dtype` gives another float dtype (`np.float32`), typed with it:
    the numbers are drawn in float64 and rounded to it, so a seed gives the same weights in
    every dtype, to its precision.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> w = tp.normal(300, 784, scale=784 ** -0.5, rng=0)
        >>> w.shape, round(float(w.std() * 28), 1)
        ((300, 784), 1.0)
        >>> tp.normal(300, 784, scale=784 ** -0.5, rng=0, dtype=np.float32).dtype
        dtype('float32')
        ```
    """
    sizes = _sizes(shape)
    if library is None:
        _no_device("normal", device)
    dt = _float_dtype(_dtype_name(dtype), "normal")
    generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    drawn: Array = generator.normal(loc, scale, sizes)
    if library is not None:
        # Drawn on the host by numpy, so that a seed gives the same weights on every library
        # and device, then copied to the device once.
        return _built("normal", sizes, drawn.astype(dt, copy=False), dtype, library, device)
    return drawn.astype(dt, copy=False)


def _built(
    who: str, sizes: tuple[int, ...], fill: Any, dtype: object, library: object, device: object
) -> Any:
    """An array of the library whose array type is `library` (`torch.Tensor`, `jax.Array`,
    ...), of `sizes`, holding `fill` (a number or a numpy array), of the float dtype `dtype`
    (the library's default float dtype by default) on `device` (the library's default by
    default)."""
    name = library_of_type(library) if isinstance(library, type) else None
    if name is None:
        if library is np.ndarray:
            _no_device(who, device)
            dt = _float_dtype(_dtype_name(dtype), who)
            return np.full(sizes, fill, dtype=dt) if isinstance(fill, float) else fill
        raise CheckError(
            f"{who}: library={library!r} is not an array type typedprop computes with; give "
            "the array type of one: np.ndarray, torch.Tensor, jax.Array, cupy.ndarray"
        )
    xp = namespace(name)
    if dtype is None:
        # The library's own default (float32 for PyTorch, and for JAX without 64-bit mode).
        library_dtype = xp.__array_namespace_info__().default_dtypes(device=device)
        kwargs: dict[str, Any] = {"dtype": library_dtype["real floating"]}
    else:
        kwargs = {"dtype": getattr(xp, _float_dtype(_dtype_name(dtype), who).name)}
    if device is not None:
        kwargs["device"] = device
    if isinstance(fill, float):
        return xp.full(sizes, fill, **kwargs)
    return xp.asarray(fill, **kwargs)


def _dtype_name(dtype: object) -> object:
    """A library's dtype (`torch.float32`) as its name ("float32"); other values as given."""
    if dtype is None or isinstance(dtype, str | type | np.dtype):
        return dtype
    return str(dtype).rpartition(".")[2]


def _no_device(who: str, device: object) -> None:
    if device is not None and device != "cpu":
        raise CheckError(
            f"{who}: device={device!r} needs library= (numpy's arrays are on the CPU): "
            "give the array type of a library with devices, such as library=torch.Tensor"
        )


def _float_dtype(dtype: object, who: str) -> np.dtype[Any]:
    """The float dtype `dtype` names (float64 for None); a CheckError naming `who` and the
    dtype for one that is not a float."""
    if dtype is None:
        return np.dtype(np.float64)
    if isinstance(dtype, type):
        module = "" if dtype.__module__ == "builtins" else "np."
        shown = f"{module}{dtype.__name__}"  # int, np.int32
    else:
        shown = repr(dtype)
    try:
        dt: np.dtype[Any] = np.dtype(cast(Any, dtype))  # anything may arrive
    except TypeError:
        raise CheckError(f"{who}: dtype={shown} is not a numpy dtype") from None
    if dt.kind != "f":
        raise CheckError(
            f"{who}: dtype={shown} is not a float dtype ({dt.name}): typedprop's arrays are "
            "floating; give np.float32, np.float64 or np.float16"
        )
    return dt


def _sizes(shape: tuple[int, ...]) -> tuple[int, ...]:
    for s in shape:
        size: object = s  # typed int, but anything may arrive
        if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 0:
            raise TypeError(
                f"array sizes must be non-negative integers, got {s!r} in {shape!r} "
                "(pass the sizes as separate arguments: zeros(2, 3), not zeros((2, 3)))"
            )
    return tuple(int(s) for s in shape)
