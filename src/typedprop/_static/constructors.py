"""Array constructors whose sizes mypy can know: `zeros`, `ones` and `normal`.

They take the sizes as separate integers, `zeros(32, 784)`, and return a float64 array of that
shape, typed by its rank (`ndarray[tuple[int, int], dtype[float64]]`, which fits `Mat`). With
`typedprop.mypy_plugin` on, the type also carries the sizes written as integer literals or
`Final` constants, `ndarray[tuple[Literal[32], Literal[784]], dtype[float64]]`, and the plugin
checks them against the dimensions of the ops and `shapecheck`ed functions they reach.
`.astype(np.float32)` keeps the sizes.

Internal: users import `zeros`, `ones` and `normal` from `typedprop`.
"""

from typing import Any, TypeAlias, overload

import numpy as np

_F64: TypeAlias = np.dtype[np.float64]
_Vec64: TypeAlias = np.ndarray[tuple[int], _F64]
_Mat64: TypeAlias = np.ndarray[tuple[int, int], _F64]
_Arr3: TypeAlias = np.ndarray[tuple[int, int, int], _F64]
_Arr64: TypeAlias = np.ndarray[tuple[Any, ...], _F64]


@overload
def zeros(n: int, /) -> _Vec64: ...
@overload
def zeros(m: int, n: int, /) -> _Mat64: ...
@overload
def zeros(a: int, b: int, c: int, /) -> _Arr3: ...
@overload
def zeros(*shape: int) -> _Arr64: ...
def zeros(*shape: int) -> _Arr64:
    """A float64 array of zeros with the given sizes, `numpy.zeros(shape)`.

    !!! example
        ```python
        >>> import typedprop as tp
        >>> tp.zeros(2, 3).shape
        (2, 3)
        ```
    """
    return np.zeros(_sizes(shape))


@overload
def ones(n: int, /) -> _Vec64: ...
@overload
def ones(m: int, n: int, /) -> _Mat64: ...
@overload
def ones(a: int, b: int, c: int, /) -> _Arr3: ...
@overload
def ones(*shape: int) -> _Arr64: ...
def ones(*shape: int) -> _Arr64:
    """A float64 array of ones with the given sizes, `numpy.ones(shape)`.

    !!! example
        ```python
        >>> import typedprop as tp
        >>> tp.ones(3)
        array([1., 1., 1.])
        ```
    """
    return np.ones(_sizes(shape))


_Rng: TypeAlias = np.random.Generator | int | None


@overload
def normal(n: int, /, *, loc: float = 0.0, scale: float = 1.0, rng: _Rng = None) -> _Vec64: ...
@overload
def normal(
    m: int, n: int, /, *, loc: float = 0.0, scale: float = 1.0, rng: _Rng = None
) -> _Mat64: ...
@overload
def normal(
    a: int, b: int, c: int, /, *, loc: float = 0.0, scale: float = 1.0, rng: _Rng = None
) -> _Arr3: ...
@overload
def normal(*shape: int, loc: float = 0.0, scale: float = 1.0, rng: _Rng = None) -> _Arr64: ...
def normal(*shape: int, loc: float = 0.0, scale: float = 1.0, rng: _Rng = None) -> _Arr64:
    """A float64 array of the given sizes drawn from the normal distribution with mean `loc`
    and standard deviation `scale`. `rng` is a numpy `Generator`, or a seed for a new one
    (None: fresh entropy).

    !!! example
        ```python
        >>> import typedprop as tp
        >>> w = tp.normal(300, 784, scale=784 ** -0.5, rng=0)
        >>> w.shape, round(float(w.std() * 28), 1)
        ((300, 784), 1.0)
        ```
    """
    generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    return generator.normal(loc, scale, _sizes(shape))


def _sizes(shape: tuple[int, ...]) -> tuple[int, ...]:
    for s in shape:
        size: object = s  # typed int, but anything may arrive
        if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 0:
            raise TypeError(
                f"array sizes must be non-negative integers, got {s!r} in {shape!r} "
                "(pass the sizes as separate arguments: zeros(2, 3), not zeros((2, 3)))"
            )
    return tuple(int(s) for s in shape)
