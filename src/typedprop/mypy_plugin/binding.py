"""The plugin's logic, apart from mypy: hints, what is known of shapes, and binding the dimensions
of one call, with contradictions given back as values.

Nothing here imports mypy: the hooks (`hooks.py`) read the arguments' types into `Shape`s and the
hints into `Spec`s, call `bind`, and report each `Mismatch` that comes back.

```python
>>> from typedprop.mypy_plugin.binding import Shape, bind, parse_spec
>>> w, x = parse_spec("m n"), parse_spec(" n")
>>> binding, mismatches = bind(
...     [('argument "w"', w, Shape((128, 128), (), True)),
...      ('argument "x"', x, Shape((784,), (), True))],
...     'call to "matvec"',
... )
>>> print(mismatches[0].detail)
dimension n: 784 (argument "x", axis 0) vs 128 (argument "w", axis 1)
>>> binding.size("m")
128
```

Internal: used by the plugin's hooks.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from typedprop._core.dims import try_parse_dims

StaticDim = str | int | None
"""One axis of a hint as a static check sees it: a dimension name, a fixed size, or None for an
axis checked only at run time (anonymous `_`, broadcastable `#n`, tree-path `?n`, symbolic
`n+1`)."""


@dataclass(frozen=True)
class Spec:
    """A jaxtyping shape string as the plugin binds it: the axes before a variadic part (all of
    them when there is none), and those after it."""

    head: tuple[StaticDim, ...]
    tail: tuple[StaticDim, ...]
    variadic: str | None  # the name of `*name`; "" for `...`, `*_` or `*?n`; None: no variadic
    text: str


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
    return Spec(
        tuple(d.static for d in dims.head), tuple(d.static for d in dims.tail), variadic, text
    )


def is_fixed(spec: Spec) -> bool:
    """Whether `spec` fixes the size of an axis."""
    return any(isinstance(d, int) for d in spec.head + spec.tail)


@dataclass(frozen=True)
class Shape:
    """What mypy knows of an array's shape: each axis's size where known. With `exact`, `head`
    holds every axis; otherwise the rank is unknown, `head` holds the first axes and `tail` the
    last ones."""

    head: tuple[int | None, ...]
    tail: tuple[int | None, ...]
    exact: bool

    def known(self) -> bool:
        """Whether the size of some axis is known."""
        return any(s is not None for s in self.head + self.tail)


UNKNOWN = Shape((), (), False)
"""The shape of a value mypy knows nothing of."""


def shape_from(sizes: tuple[int | None, ...] | None, spec: Spec | None) -> Shape:
    """The shape of an array whose type has the axes `sizes` (numpy's shape type: one entry per
    axis, None where a size is not a literal; None for an unknown rank) and the hint `spec`."""
    shape = UNKNOWN if sizes is None else Shape(sizes, (), True)
    if spec is None:
        return shape

    def fixed(dims: tuple[StaticDim, ...]) -> tuple[int | None, ...]:
        return tuple(d if isinstance(d, int) else None for d in dims)

    def merge(a: tuple[int | None, ...], b: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return tuple(x if x is not None else y for x, y in zip(a, b, strict=True))

    if spec.variadic is None:
        if shape.exact and len(shape.head) != len(spec.head):
            return shape  # the hint contradicts the type's rank: trust neither more
        base = shape.head if shape.exact else (None,) * len(spec.head)
        return Shape(merge(base, fixed(spec.head)), (), True)
    if shape.exact:
        n, h, t = len(shape.head), len(spec.head), len(spec.tail)
        if n < h + t:
            return shape
        merged = list(shape.head)
        merged[:h] = merge(tuple(merged[:h]), fixed(spec.head))
        merged[n - t :] = merge(tuple(merged[n - t :]), fixed(spec.tail))
        return Shape(tuple(merged), (), True)
    return Shape(fixed(spec.head), fixed(spec.tail), False)


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
    from "f"`) and what contradicts what. `str()` gives the message mypy reports."""

    where: str
    detail: str

    def __str__(self) -> str:
        return f"Dimension mismatch in {self.where}: {self.detail}"


@dataclass
class Binding:
    """The sizes that one call binds: each dimension name's first known size and where it came
    from, and each variadic name's sizes (None once two values disagree or one is unknown)."""

    sizes: dict[str, tuple[int, Where]]
    variadic: dict[str, tuple[int | None, ...] | None]

    def size(self, dim: StaticDim) -> int | None:
        """The size `dim` has in this call, where known."""
        if isinstance(dim, int):
            return dim
        if isinstance(dim, str) and dim in self.sizes:
            return self.sizes[dim][0]
        return None


def axes(spec: Spec, shape: Shape) -> Iterator[tuple[StaticDim, int | None, int]]:
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


def bind(params: Sequence[tuple[str, Spec, Shape]], where: str) -> tuple[Binding, list[Mismatch]]:
    """Bind the dimensions of `params` ((`argument "x"`, hint, argument's shape) in call order):
    the binding, and the contradictions found, one per dimension at most."""
    binding = Binding({}, {})
    mismatches: list[Mismatch] = []
    reported: set[StaticDim] = set()
    for what, spec, shape in params:
        for dim, size, axis in axes(spec, shape):
            if size is None or dim is None or dim in reported:
                continue
            if isinstance(dim, int):
                if size != dim:
                    reported.add(dim)
                    mismatches.append(
                        Mismatch(
                            where,
                            f"axis {axis} of {what} is {size}, but its hint fixes it to {dim}",
                        )
                    )
                continue
            bound = binding.sizes.get(dim)
            if bound is None:
                binding.sizes[dim] = (size, Where(what, axis))
            elif bound[0] != size:
                reported.add(dim)
                mismatches.append(
                    Mismatch(
                        where,
                        f"dimension {dim}: {size} ({Where(what, axis)}) vs {bound[0]} ({bound[1]})",
                    )
                )
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
    return binding, mismatches


def output_sizes(spec: Spec, binding: Binding) -> list[int | None] | None:
    """The output's size per axis under `binding`, or None where its rank is not known."""
    middle: tuple[int | None, ...] | None = ()
    if spec.variadic is not None:
        middle = binding.variadic.get(spec.variadic) if spec.variadic else None
    if middle is None:
        return None
    dims = [binding.size(d) for d in spec.head]
    dims += list(middle)
    dims += [binding.size(d) for d in spec.tail]
    return dims


def return_mismatch(name: str, spec: Spec, shape: Shape) -> Mismatch | None:
    """The first axis of a value returned from `name` whose known size contradicts a fixed size
    of the return hint `spec`, or None."""
    for dim, size, axis in axes(spec, shape):
        if isinstance(dim, int) and size is not None and size != dim:
            return Mismatch(
                f'return from "{name}"',
                f"axis {axis} of the returned value is {size}, but the return hint fixes it to "
                f"{dim}",
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
    "parse_spec",
    "return_mismatch",
    "shape_from",
]
