"""Jaxtyping shape strings, parsed in one place for the runtime checks and the mypy plugin.

A shape string such as `"batch *channels #n 28"` names one axis per word. The parser below
follows jaxtyping's own (`jaxtyping/_array_types.py`, `_check_dims`): the same prefixes (`#`
broadcastable, `*` variadic, `_` anonymous, `?` tree-path dependent), the same `name=size`
spelling of a fixed size, the same refusals (with jaxtyping's messages). What jaxtyping accepts,
this module reads the same way; what it refuses, `parse_dims` refuses with a `ValueError`.

Two readers use it:

- the runtime checks (`_core/checks.py`), to explain which dimension of a failed check disagrees
  with which argument: `Dims.axes` lines the dimensions up with an array's axes;
- the mypy plugin (`typedprop.mypy_plugin`), which binds the named and fixed dimensions of a call
  statically: `Dim.static` is what it can bind.

Internal: nothing here is public.

```python
>>> from typedprop._core.dims import parse_dims
>>> dims = parse_dims("batch *channels #n 28")
>>> [d.kind for d in dims.dims]
['named', 'named', 'named', 'fixed']
>>> dims.rank, dims.variadic.name
(3, 'channels')
>>> [None if d is None else d.text for d in dims.axes(5)]
['batch', None, None, '#n', '28']
```
"""

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

DimKind = Literal["fixed", "named", "anonymous", "symbolic"]
"""What a dimension is: a fixed size (`28`, `rows=28`), a name (`n`), anonymous (`_`, `_n`,
`...`), or a symbolic expression evaluated at run time (`n+1`)."""


@dataclass(frozen=True)
class Dim:
    """One word of a shape string.

    `value` is the size of a fixed dimension, the name of a named one, the expression of a
    symbolic one, and `""` for an anonymous one. The flags are jaxtyping's prefixes: `variadic`
    (`*name`, `*_`, `...`: any number of axes), `broadcastable` (`#n`: size 1 fits too) and
    `treepath` (`?n`: bound per position in a PyTree).

    ```python
    >>> from typedprop._core.dims import parse_dims
    >>> [d.static for d in parse_dims("m 3 #n _ n+1 ?k").dims]
    ['m', 3, None, None, None, None]
    ```
    """

    text: str
    kind: DimKind
    value: int | str
    variadic: bool = False
    broadcastable: bool = False
    treepath: bool = False

    @property
    def size(self) -> int | None:
        """The size of a fixed dimension (broadcastable or not), else None."""
        return self.value if isinstance(self.value, int) else None

    @property
    def name(self) -> str | None:
        """The name of a named dimension (broadcastable, tree-path or variadic too), else None."""
        return self.value if self.kind == "named" and isinstance(self.value, str) else None

    @property
    def static(self) -> str | int | None:
        """What a static check can bind for this one-axis dimension: the name of a plain named
        dimension, the size of a plain fixed one; None for what only the run time checks
        (anonymous, broadcastable, tree-path and symbolic dimensions)."""
        if self.broadcastable or self.treepath or self.variadic:
            return None
        if self.kind == "fixed" or self.kind == "named":
            return self.value
        return None


@dataclass(frozen=True)
class Dims:
    """A parsed shape string: its dimensions in order, at most one of them variadic.

    ```python
    >>> from typedprop._core.dims import parse_dims
    >>> d = parse_dims("*batch n")
    >>> d.rank, [x.text for x in d.head], [x.text for x in d.tail]
    (1, [], ['n'])
    >>> d.axes(0) is None, len(d.axes(3))
    (True, 3)
    ```
    """

    text: str
    dims: tuple[Dim, ...]

    @property
    def variadic_index(self) -> int | None:
        """The position of the variadic dimension, or None where there is none."""
        return next((i for i, d in enumerate(self.dims) if d.variadic), None)

    @property
    def variadic(self) -> Dim | None:
        """The variadic dimension (`*name`, `*_`, `...`), or None."""
        i = self.variadic_index
        return None if i is None else self.dims[i]

    @property
    def head(self) -> tuple[Dim, ...]:
        """The dimensions before the variadic one (all of them where there is none)."""
        i = self.variadic_index
        return self.dims if i is None else self.dims[:i]

    @property
    def tail(self) -> tuple[Dim, ...]:
        """The dimensions after the variadic one (none where there is none)."""
        i = self.variadic_index
        return () if i is None else self.dims[i + 1 :]

    @property
    def rank(self) -> int:
        """The number of one-axis dimensions: the rank without a variadic part, the least rank
        with one."""
        return len(self.dims) - (self.variadic_index is not None)

    def axes(self, ndim: int) -> tuple[Dim | None, ...] | None:
        """The dimension of each axis of an array of `ndim` axes (None for the axes the variadic
        part covers), or None where no array of `ndim` axes fits (a wrong rank, or fewer axes
        than the one-axis dimensions)."""
        if self.variadic_index is None:
            return self.dims if ndim == len(self.dims) else None
        if ndim < self.rank:
            return None
        return self.head + (None,) * (ndim - self.rank) + self.tail


def parse_dims(text: str) -> Dims:
    """`text` parsed as jaxtyping parses a shape string; `ValueError` where jaxtyping refuses it
    (with jaxtyping's message). Results are cached: shape strings repeat.

    ```python
    >>> from typedprop._core.dims import parse_dims
    >>> parse_dims("rows=3 #n").dims[0].size
    3
    >>> parse_dims("*a *b")
    Traceback (most recent call last):
    ...
    ValueError: Cannot use variadic specifiers (`*name` or `...`) more than once.
    ```
    """
    return _parse(text)


def try_parse_dims(text: str) -> Dims | None:
    """`parse_dims(text)`, or None where jaxtyping would refuse `text`.

    ```python
    >>> from typedprop._core.dims import try_parse_dims
    >>> try_parse_dims("_4") is None
    True
    ```
    """
    try:
        return _parse(text)
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def _parse(text: str) -> Dims:
    dims: list[Dim] = []
    for word in text.split():
        dims.append(_parse_dim(word, any(d.variadic for d in dims)))
    return Dims(text, tuple(dims))


def _parse_dim(word: str, after_variadic: bool) -> Dim:
    """One word of a shape string, as `jaxtyping._array_types._check_dims` reads it (its checks
    in its order: `after_variadic` says a variadic word came before)."""
    if "," in word and "(" not in word:
        raise ValueError("Axes should be separated with spaces, not commas")
    if word.endswith("#"):
        raise ValueError(
            "As of jaxtyping v0.1.0, broadcastable axes are now denoted with a # at the start, "
            "rather than at the end"
        )
    if "..." in word:
        if word != "...":
            raise ValueError(f"Anonymous multiple axes '...' must be used on its own; got {word}")
        _check_one_variadic(after_variadic)
        return Dim(word, "anonymous", "", variadic=True)
    broadcastable = variadic = anonymous = treepath = False
    rest = word
    while rest:
        first = rest[0]
        if first == "#":
            if broadcastable:
                raise ValueError(
                    "Do not use # twice to denote broadcastability, e.g. `##foo` is not allowed"
                )
            broadcastable = True
        elif first == "*":
            if variadic:
                raise ValueError(
                    "Do not use * twice to denote accepting multiple axes, e.g. `**foo` is not "
                    "allowed"
                )
            variadic = True
        elif first == "_":
            if anonymous:
                raise ValueError(
                    "Do not use _ twice to denote anonymity, e.g. `__foo` is not allowed"
                )
            anonymous = True
        elif first == "?":
            if treepath:
                raise ValueError(
                    "Do not use ? twice to denote dependence on location within a PyTree, e.g. "
                    "`??foo` is not allowed"
                )
            treepath = True
        elif rest.count("=") == 1:  # `rows=3`: another spelling of 3
            rest = rest.split("=")[1]
            continue
        else:
            break
        rest = rest[1:]
    if variadic:
        _check_one_variadic(after_variadic)
    if not rest or rest.isidentifier():
        if not anonymous:
            return Dim(word, "named", rest, variadic, broadcastable, treepath)
        if broadcastable:
            raise ValueError(
                "Cannot have an axis be both anonymous and broadcastable, e.g. `#_` is not allowed."
            )
        return Dim(word, "anonymous", "", variadic, broadcastable, treepath)
    try:
        size = int(rest)
    except ValueError:
        if anonymous:
            raise ValueError(
                "Cannot have a symbolic axis be anonymous, e.g. `_foo+bar` is not allowed"
            ) from None
        if variadic:
            raise ValueError(
                "Cannot have symbolic multiple-axes, e.g. `*foo+bar` is not allowed"
            ) from None
        if treepath:
            raise ValueError(
                "Cannot have a symbolic axis with tree-path dependence, e.g. `?foo+bar` is not "
                "allowed"
            ) from None
        return Dim(word, "symbolic", rest, variadic, broadcastable, treepath)
    if variadic:
        raise ValueError(
            "Cannot have a fixed axis bind to multiple axes, e.g. `*4` is not allowed."
        )
    if anonymous:
        raise ValueError("Cannot have a fixed axis be anonymous, e.g. `_4` is not allowed.")
    if treepath:
        raise ValueError(
            "Cannot have a fixed axis have tree-path dependence, e.g. `?4` is not allowed."
        )
    return Dim(word, "fixed", size, broadcastable=broadcastable)


def _check_one_variadic(after_variadic: bool) -> None:
    if after_variadic:
        raise ValueError("Cannot use variadic specifiers (`*name` or `...`) more than once.")


__all__ = ["Dim", "DimKind", "Dims", "parse_dims", "try_parse_dims"]
