"""Short names for numpy array types whose rank and dtype kind mypy can check.

Put them inside jaxtyping hints, `Float[Mat, "m n"]`: mypy then sees a 2-D floating array (a
vector passed where a matrix is expected is a static error), and jaxtyping with beartype checks the
named dimensions at run time. float32 and float64 arrays both fit.

Internal: users import `Array`, `Vec`, `Mat` and `Floating` from `typedprop`.
"""

from collections.abc import Sequence
from types import EllipsisType
from typing import Any, Protocol, TypeAlias, TypeVar

import numpy as np

Floating: TypeAlias = np.dtype[np.floating[Any]]
"""Any floating dtype: float16, float32, float64."""

Array: TypeAlias = np.ndarray[tuple[Any, ...], Floating]
"""A floating array of any rank (what numpy arithmetic returns to mypy)."""

Vec: TypeAlias = np.ndarray[tuple[int], Floating]
"""A floating 1-D array."""

Mat: TypeAlias = np.ndarray[tuple[int, int], Floating]
"""A floating 2-D array."""

AnyArray: TypeAlias = np.ndarray[tuple[Any, ...], np.dtype[Any]]
"""An array of any rank and dtype."""


class LibraryArray(Protocol):
    """An array of any library, as mypy sees one: it has a shape, a rank and a dtype. PyTorch's
    `torch.Tensor`, JAX's `jax.Array`, CuPy's and array-api-strict's arrays (and numpy's) fit,
    so an op typed over it gives a `BVar[torch.Tensor]` for a `BVar[torch.Tensor]`.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> def rows(x: tp.LibraryArray) -> int:
        ...     return x.shape[0]
        >>> rows(np.zeros((3, 2)))
        3
        ```
    """

    @property
    def shape(self) -> tuple[int, ...]: ...
    @property
    def ndim(self) -> int: ...
    @property
    def dtype(self) -> Any: ...


# Type variables shared by the operators and the ops' signatures.
N = TypeVar("N", bound=float | complex | np.number[Any] | np.ndarray[Any, Any] | LibraryArray)
"""A number or an array (numpy's or another library's): what arithmetic and elementwise ops
take and give back."""


class OtherArray(LibraryArray, Protocol):
    """`LibraryArray` less numpy's arrays, as mypy sees them: numpy's `ndarray` declares itself
    unhashable (`__hash__: None`), PyTorch's, JAX's and array-api-strict's arrays do not. So an
    overload on `L` never matches a numpy array that numpy's own overloads refused (it would
    accept it, or make a call with an `Any` dtype ambiguous, typed `Any`). Static only."""

    def __hash__(self) -> int: ...


L = TypeVar("L", bound=OtherArray)
"""An array of another library than numpy (`torch.Tensor`): what the ops' last overloads take
and give back, keeping the type. numpy's arrays do not fit it (see `OtherArray`). An overload
solves `L` from one argument and types the others `OtherArray` (that they are of the same
library is checked at run time): an `Any` in a second argument solving `L` would make it `Any`,
and a numpy call with such an argument ambiguous."""
DT = TypeVar("DT", bound=np.dtype[Any])
"""An array's dtype, kept through ops that change the shape."""
S = TypeVar("S", bound=tuple[Any, ...])
"""An array's shape type."""

ArrayOf: TypeAlias = np.ndarray[Any, DT]
"""An array of any shape with the dtype `DT`: what ops keeping their input's dtype take."""

ResultOf: TypeAlias = np.ndarray[tuple[Any, ...], DT]
"""An array of a rank mypy does not know, with the dtype `DT`: what those ops give back."""

Axis: TypeAlias = int | tuple[int, ...] | None
"""An axis argument: one axis, several, or None for all."""

_IndexArray: TypeAlias = np.ndarray[Any, np.dtype[np.integer[Any] | np.bool_]]

Index: TypeAlias = (
    int
    | np.integer[Any]
    | slice
    | EllipsisType
    | None
    | _IndexArray
    | Sequence[int]
    | Sequence[bool]
)
"""One entry of an indexing key: an integer, a slice, `None` (np.newaxis), `...`, or an integer
or boolean array (or list)."""

Key: TypeAlias = Index | tuple[Index, ...]
"""What `x[key]` accepts: one index or a tuple of them, as numpy has it."""
