"""The op registry: the one list of typedprop's public ops, each with its family.

Each family module registers its public ops with `public` where it defines them, so the list
is written once: `typedprop.ops.__all__`, the op listing in `typedprop.ops`'s docstring, the
README's table of ops and the op table's completeness test (`tests/ops`) all read it.

Internal to `typedprop.ops`.
"""

import textwrap
from dataclasses import dataclass
from typing import TypeVar

from .._core.op import ARRAYS_ONLY_MODULES

T = TypeVar("T")


@dataclass(frozen=True)
class Family:
    """A family of ops: one module of `typedprop.ops`."""

    module: str  # "_elementwise"
    title: str  # the README table's name for it: "elementwise"
    heading: str  # the docstring's: "Elementwise maps, same shape out as in"
    note: str = ""  # said once for the whole family in the README table


FAMILIES: tuple[Family, ...] = (
    Family("_elementwise", "elementwise", "Elementwise maps, same shape out as in"),
    Family(
        "_arithmetic",
        "arithmetic",
        "Arithmetic with numpy broadcasting (the ops behind BVar's operators)",
        "ties split the gradient evenly",
    ),
    Family("_linalg", "linear algebra", "Linear algebra"),
    Family(
        "_reductions",
        "reductions",
        "Reductions with `axis` and `keepdims`, and softmax along an axis",
    ),
    Family("_shape", "shape", "Shape"),
    Family("_indexing", "indexing", "Indexing and selection (`x[key]` is `getitem`)"),
    Family("_losses", "losses", "Losses: a scalar from predictions and targets"),
    Family(
        "_nondifferentiable",
        "not differentiable",
        "Not differentiable: plain values out, no gradient",
    ),
)


@dataclass(frozen=True)
class Entry:
    """One public op."""

    name: str
    family: Family
    differentiable: bool
    note: str  # said after its name in the README table: "stacked batches too"


_ENTRIES: dict[str, Entry] = {}
_BY_MODULE = {f"{__package__}.{f.module}": f for f in FAMILIES}
# The families' ops take numbers and arrays: a structure given to one (a structure-valued BVar)
# is refused, naming the op and the argument (`Op.arrays_only`). Each family module imports
# this one before it makes its op classes.
ARRAYS_ONLY_MODULES.update(_BY_MODULE)


def public(op: T, /, *, note: str = "") -> T:
    """Register `op`, an instance of an op class, as a public op of the family whose module
    defines its class, under its `name`, and return it unchanged. Whether it has a gradient is
    its kind's (`NotDifferentiable.differentiable`); `note` is said after it in the README."""
    key = getattr(op, "name", None)
    family = _BY_MODULE.get(type(op).__module__)
    if not isinstance(key, str) or family is None:
        raise TypeError(f"public: {op!r} has no name, or is not defined in an op family")
    if key in _ENTRIES:
        raise TypeError(f"public: an op named {key!r} is registered already")
    _ENTRIES[key] = Entry(key, family, getattr(op, "differentiable", True), note)
    # An op instance reads like the function it stands for: `ops.sum.__name__`.
    op.__name__ = key  # type: ignore[attr-defined]  # an instance of an op class
    return op


def entries() -> list[Entry]:
    """Every public op, family by family in `FAMILIES`' order, in the order of registration
    within a family."""
    order = {f.module: i for i, f in enumerate(FAMILIES)}
    indexed = sorted(enumerate(_ENTRIES.values()), key=lambda e: (order[e[1].family.module], e[0]))
    return [e for _, e in indexed]


def names() -> list[str]:
    """The public ops' names, sorted (for `typedprop.ops.__all__`)."""
    return sorted(_ENTRIES)


def listing() -> str:
    """The ops family by family, as markdown list items (for `typedprop.ops`'s docstring)."""
    lines = []
    for family in FAMILIES:
        ops = [e.name for e in entries() if e.family is family]
        item = f"- {family.heading} (`{family.module}`): {', '.join(sorted(ops))}."
        lines.append(textwrap.fill(item, 100, subsequent_indent="  ", break_on_hyphens=False))
    return "\n".join(lines)


def readme_table() -> str:
    """The README's table of ops: a row per family, each op with its note."""
    rows = ["| family | ops |", "|---|---|"]
    for family in FAMILIES:
        words = []
        for e in entries():
            if e.family is not family:
                continue
            text = f"`{e.name}`"
            if not e.differentiable and family.module != "_nondifferentiable":
                text += " (no gradient)"
            elif e.note:
                text += f" ({e.note})"
            words.append(text)
        note = f"; {family.note}" if family.note else ""
        rows.append(f"| {family.title} | {' '.join(words)}{note} |")
    return "\n".join(rows)


def unconfigured(cls: type[T]) -> T:
    """The public op of a class whose settings come with each call (`reshape(x, shape)`): an
    instance made without `__init__`, so holding no settings, whose `__call__` makes a
    configured instance for the call (`Op.__call__(Reshape(shape), x)`)."""
    return cls.__new__(cls)
