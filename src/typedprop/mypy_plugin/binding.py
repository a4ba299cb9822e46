"""The plugin's logic, apart from mypy: hints, what is known of shapes, and binding the dimensions
of one call, with contradictions given back as values.

Nothing here imports mypy: the hooks (`hooks.py`) read the arguments' types into `Shape`s and the
hints into `Spec`s, call `bind` (or a rule of `rules.py`), and report each `Mismatch` that comes
back. Sizes are `sizes.Size` values: numbers, dimension names, and arithmetic on them.

```python
>>> from typedprop.mypy_plugin.binding import bind, parse_spec, shape
>>> w, x = parse_spec("m n"), parse_spec(" n")
>>> binding, mismatches = bind(
...     [('argument "w"', w, shape(128, 128)), ('argument "x"', x, shape(784))],
...     'call to "matvec"',
... )
>>> print(mismatches[0].detail)
dimension n: 784 (argument "x", axis 0) vs 128 (argument "w", axis 1)
>>> str(binding.size(parse_spec("m").head[0]))
'128'
```

Internal: used by the plugin's hooks.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from typedprop._core.dims import Dim, try_parse_dims

from .sizes import Size, parse_size, qualify

StaticDim = Size | None
"""One axis of a hint as a static check sees it: a size (a number, a name, or arithmetic on
names: `784`, `n`, `2*h`), or None for an axis checked only at run time (anonymous `_`,
broadcastable `#n`, tree-path `?n`, an expression beyond `+ - *`)."""


@dataclass(frozen=True)
class Spec:
    """A jaxtyping shape string as the plugin binds it: the axes before a variadic part (all of
    them when there is none), and those after it."""

    head: tuple[StaticDim, ...]
    tail: tuple[StaticDim, ...]
    variadic: str | None  # the name of `*name`; "" for `...`, `*_` or `*?n`; None: no variadic
    text: str

    @property
    def rank(self) -> int:
        """The number of one-axis dimensions (the least rank, with a variadic part)."""
        return len(self.head) + len(self.tail)


@lru_cache(maxsize=4096)
def parse_spec(text: str) -> Spec | None:
    """`text` (a jaxtyping shape string) read by the shared parser (`typedprop._core.dims`),
    or None where jaxtyping would refuse it."""
    dims = try_parse_dims(text)
    if dims is None:
        return None
    v = dims.variadic
    variadic: str | None = None
    if v is not None:
        variadic = v.name if v.name is not None and not v.treepath else ""

    def static(d: Dim) -> StaticDim:
        if d.broadcastable or d.treepath or d.variadic:
            return None
        if d.kind == "fixed":
            assert isinstance(d.value, int)
            return Size.of(d.value)
        if d.kind == "named":
            assert isinstance(d.value, str)
            return Size.named(d.value)
        if d.kind == "symbolic":
            assert isinstance(d.value, str)
            return parse_size(d.value)
        return None

    return Spec(
        tuple(static(d) for d in dims.head), tuple(static(d) for d in dims.tail), variadic, text
    )


def is_fixed(spec: Spec) -> bool:
    """Whether `spec` fixes the size of an axis to a number."""
    return any(d is not None and d.value is not None for d in spec.head + spec.tail)


def _bindable(d: StaticDim) -> str | None:
    """The name of a dimension that binds (a plain name), else None."""
    if d is not None and len(d.terms) == 1 and d.terms[0][1] == 1 and len(d.terms[0][0]) == 1:
        return d.terms[0][0][0]
    return None


@dataclass(frozen=True)
class Shape:
    """What mypy knows of an array's shape: each axis's size where known. With `exact`, `head`
    holds every axis; otherwise the rank is unknown, `head` holds the first axes and `tail` the
    last ones."""

    head: tuple[Size | None, ...]
    tail: tuple[Size | None, ...]
    exact: bool

    def known(self) -> bool:
        """Whether the size of some axis is known."""
        return any(s is not None for s in self.head + self.tail)

    @property
    def rank(self) -> int | None:
        """The number of axes, where known."""
        return len(self.head) if self.exact else None

    def text(self) -> str:
        """This shape as a shape string (`_` for an unknown size, `...` for unknown axes), the
        form it is kept in on a type."""
        words = ["_" if s is None else str(s) for s in self.head]
        if not self.exact:
            words += ["...", *("_" if s is None else str(s) for s in self.tail)]
        return " ".join(words)

    def __str__(self) -> str:
        """`(32, 784)`, as numpy prints a shape (`?` for an unknown size)."""
        if not self.exact:
            return f"({self.text().replace(' ', ', ')})"
        words = ["?" if s is None else str(s) for s in self.head]
        return f"({words[0]},)" if len(words) == 1 else f"({', '.join(words)})"


UNKNOWN = Shape((), (), False)
"""The shape of a value mypy knows nothing of."""


def shape(*sizes: int | str | Size | None) -> Shape:
    """An exact shape from numbers, dimension expressions or sizes (None: unknown)."""
    dims = tuple(
        s
        if s is None or isinstance(s, Size)
        else Size.of(s)
        if isinstance(s, int)
        else parse_size(s)
        for s in sizes
    )
    return Shape(dims, (), True)


def shape_from(sizes: tuple[int | None, ...] | None, spec: Spec | None) -> Shape:
    """The shape of an array whose type has the axes `sizes` (numpy's shape type: one entry per
    axis, None where a size is not a literal; None for an unknown rank) and the shape string
    `spec` (a hint's, or one the plugin wrote)."""
    base = (
        UNKNOWN
        if sizes is None
        else Shape(tuple(None if s is None else Size.of(s) for s in sizes), (), True)
    )
    if spec is None:
        return base

    def merge(a: tuple[Size | None, ...], b: tuple[Size | None, ...]) -> tuple[Size | None, ...]:
        return tuple(x if x is not None else y for x, y in zip(a, b, strict=True))

    if spec.variadic is None:
        if base.exact and len(base.head) != len(spec.head):
            return base  # the hint contradicts the type's rank: trust neither more
        start = base.head if base.exact else (None,) * len(spec.head)
        return Shape(merge(start, spec.head), (), True)
    if base.exact:
        n, h, t = len(base.head), len(spec.head), len(spec.tail)
        if n < h + t:
            return base
        merged = list(base.head)
        merged[:h] = merge(tuple(merged[:h]), spec.head)
        merged[n - t :] = merge(tuple(merged[n - t :]), spec.tail)
        return Shape(tuple(merged), (), True)
    return Shape(spec.head, spec.tail, False)


# ---------------------------------------------------------------------------------------------
# Binding the dimensions of one call
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    """An axis of a value in a call: `argument "x", axis 0`."""

    what: str
    axis: int

    def __str__(self) -> str:
        return f"{self.what}, axis {self.axis}"


@dataclass(frozen=True)
class Mismatch:
    """A contradiction between known sizes: `where` it happened (`call to "matvec"`, `return
    from "f"`) and what contradicts what. `str()` gives the message mypy reports; `rank` marks
    a wrong number of axes (reported under its own error code)."""

    where: str
    detail: str
    rank: bool = False

    def __str__(self) -> str:
        kind = "Rank" if self.rank else "Dimension"
        return f"{kind} mismatch in {self.where}: {self.detail}"


def pair(where: str, label: str, a: Size, wa: Where, b: Size, wb: Where) -> Mismatch:
    """The mismatch of two sizes that must agree: `label: a (where) vs b (where)`."""
    return Mismatch(where, f"{label}: {a} ({wa}) vs {b} ({wb})")


@dataclass
class Binding:
    """The sizes that one call binds: each dimension name's first known size and where it came
    from, and each variadic name's sizes (None once two values disagree or one is unknown)."""

    sizes: dict[str, tuple[Size, Where]]
    variadic: dict[str, tuple[Size | None, ...] | None]

    def size(self, dim: StaticDim) -> Size | None:
        """The size `dim` has in this call, where known."""
        if dim is None:
            return None
        return dim.substitute({k: v for k, (v, _) in self.sizes.items()})


def axes(spec: Spec, shape: Shape) -> Iterator[tuple[StaticDim, Size | None, int]]:
    """(dimension, known size, axis) for each axis of `spec` matched against `shape`; nothing
    where the ranks cannot agree (mypy or the runtime says so). An axis counted from the end is
    negative."""
    h, t = len(spec.head), len(spec.tail)
    if shape.exact:
        n = len(shape.head)
        if (spec.variadic is None and n != h) or n < h + t:
            return
        for i, d in enumerate(spec.head):
            yield d, shape.head[i], i
        for j, d in enumerate(spec.tail):
            yield d, shape.head[n - t + j], n - t + j
        return
    for i, d in enumerate(spec.head):
        size = shape.head[i] if i < len(shape.head) else None
        if size is None and spec.variadic is None and h - i <= len(shape.tail):
            size = shape.tail[i - h]  # the hint fixes the rank: count from the end too
        yield d, size, i
    for j, d in enumerate(spec.tail):
        k = j - t  # the axis, counted from the end
        yield d, shape.tail[k] if -k <= len(shape.tail) else None, k


def rank_mismatch(what: str, spec: Spec, shape: Shape) -> str | None:
    """Why an array of `shape` cannot fit the hint `spec` by its number of axes, or None."""
    n = shape.rank
    if n is None:
        return None
    if spec.variadic is None and n != spec.rank:
        return f'{what} has {_axes(n)}, but its hint "{spec.text.strip()}" has {spec.rank}'
    if spec.variadic is not None and n < spec.rank:
        return (
            f'{what} has {_axes(n)}, but its hint "{spec.text.strip()}" needs at least {spec.rank}'
        )
    return None


def _axes(n: int) -> str:
    return "1 axis" if n == 1 else f"{n} axes"


def bind(
    params: Sequence[tuple[str, Spec, Shape]],
    where: str,
    ranks: bool = False,
) -> tuple[Binding, list[Mismatch]]:
    """Bind the dimensions of `params` ((`argument "x"`, hint, argument's shape) in call order):
    the binding, and the contradictions found, one per dimension at most. With `ranks`, an
    argument with the wrong number of axes is a mismatch too (where mypy's own types do not
    say so already). Two names of the caller may be equal sizes: only definite contradictions
    are mismatches (`Size.differs`)."""
    binding = Binding({}, {})
    mismatches: list[Mismatch] = []
    reported: set[StaticDim] = set()
    deferred: list[tuple[str, Size, Size, int]] = []
    for what, spec, shape in params:
        if ranks:
            why = rank_mismatch(what, spec, shape)
            if why is not None:
                mismatches.append(Mismatch(where, why, rank=True))
                continue
        for dim, size, axis in axes(spec, shape):
            if size is None or dim is None or dim in reported:
                continue
            name = _bindable(dim)
            if name is None:
                deferred.append((what, dim, size, axis))
                continue
            bound = binding.sizes.get(name)
            if bound is None:
                binding.sizes[name] = (size, Where(what, axis))
            elif bound[0].differs(size):
                reported.add(dim)
                mismatches.append(pair(where, f"dimension {name}", size, Where(what, axis), *bound))
        if spec.variadic:
            n = len(shape.head)
            middle = (
                shape.head[len(spec.head) : n - len(spec.tail)]
                if shape.exact and n >= len(spec.head) + len(spec.tail)
                else None
            )
            if spec.variadic not in binding.variadic:
                binding.variadic[spec.variadic] = middle
            elif binding.variadic[spec.variadic] != middle:
                binding.variadic[spec.variadic] = None  # left to the runtime
    # Fixed sizes and expressions (`2*h`), once every name they use may be bound.
    for what, dim, size, axis in deferred:
        expected = binding.size(dim)
        if expected is None or dim in reported or not expected.differs(size):
            continue
        reported.add(dim)
        hint = "fixes it to" if dim.value is not None else f'"{dim}" makes it'
        mismatches.append(
            Mismatch(where, f"axis {axis} of {what} is {size}, but its hint {hint} {expected}")
        )
    return binding, mismatches


def output_sizes(spec: Spec, binding: Binding) -> list[Size | None] | None:
    """The output's size per axis under `binding`, or None where its rank is not known."""
    middle: tuple[Size | None, ...] | None = ()
    if spec.variadic is not None:
        middle = binding.variadic.get(spec.variadic) if spec.variadic else None
    if middle is None:
        return None
    dims = [binding.size(d) for d in spec.head]
    dims += list(middle)
    dims += [binding.size(d) for d in spec.tail]
    return dims


def return_mismatch(
    name: str, spec: Spec, shape: Shape, rigid: str | None = None
) -> Mismatch | None:
    """The first axis of a value returned from `name` whose known size contradicts the size the
    return hint `spec` gives it (a number, or the function's own dimension names, qualified
    with `rigid`, the function's full name), or None."""
    for dim, size, axis in axes(spec, shape):
        if dim is not None and rigid is not None:
            dim = qualify(dim, rigid)
        if dim is not None and size is not None and size.differs(dim, rigid):
            return Mismatch(
                f'return from "{name}"',
                f"axis {axis} of the returned value is {size}, but the return hint makes it {dim}"
                if dim.names
                else f"axis {axis} of the returned value is {size}, but the return hint fixes "
                f"it to {dim}",
            )
    return None


__all__ = [
    "UNKNOWN",
    "Binding",
    "Mismatch",
    "Shape",
    "Spec",
    "StaticDim",
    "Where",
    "axes",
    "bind",
    "is_fixed",
    "output_sizes",
    "pair",
    "parse_spec",
    "rank_mismatch",
    "return_mismatch",
    "shape",
    "shape_from",
]
