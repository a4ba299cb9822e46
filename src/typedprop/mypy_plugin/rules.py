"""The shape rules: one per kind of op, for typedprop's ops, BVar's operators and methods, and
numpy's operators, methods and functions alike.

A rule takes the known shapes of a call's arrays (`Shape`s, each with what it is in the call:
`argument "a"`, `left operand`) and its settings as Python values (an axis, `keepdims`, the
subscripts of an einsum), and gives back an `Outcome`: the result's shape where it follows, and
the contradictions found. Unknown sizes are never guessed: an axis whose size is unknown stays
unknown, a setting that is not a literal makes the result unknown, and only definite
contradictions between known sizes are reported (see `Size.differs`).

The messages follow the runtime's: the callee or operator, the dimension, both sizes, and the
arguments and axes they come from.

```python
>>> from typedprop.mypy_plugin.binding import shape
>>> from typedprop.mypy_plugin.rules import Arg, matmul
>>> out = matmul('operator "@"', Arg("left operand", shape(32, 784)),
...              Arg("right operand", shape(300, 784)))
>>> print(out.mismatches[0].detail)
inner dimension: 784 (left operand, axis 1) vs 300 (right operand, axis 0)
>>> print(matmul('operator "@"', Arg("a", shape(32, 784)), Arg("b", shape(784, 300))).shape)
(32, 300)
```

Internal: used by the plugin's hooks; nothing here imports mypy.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .binding import Mismatch, Shape, Where, pair
from .sizes import Size, product

Sizes = tuple[Size | None, ...]


@dataclass(frozen=True)
class Arg:
    """An array of a call: what it is (`argument "x"`, `left operand`) and its known shape."""

    what: str
    shape: Shape


@dataclass
class Outcome:
    """What a rule found: the result's shape (None: unknown) and the contradictions."""

    shape: Shape | None = None
    mismatches: list[Mismatch] = field(default_factory=list)


class Missing:
    """A setting that is not a literal: the rule cannot use it."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = Missing()
"""The value of a setting the plugin cannot read (not a literal)."""


def exact(sizes: Sequence[Size | None]) -> Shape:
    return Shape(tuple(sizes), (), True)


def _maybe_one(s: Size) -> bool:
    return s.value == 1 or not s.differs(Size.of(1))


def _axis(where: str, x: Arg, axis: object, extra: int = 0) -> tuple[int | None, Mismatch | None]:
    """`axis` normalised against `x`'s rank (plus `extra` new axes), or None where either is
    unknown; a mismatch where it is out of range."""
    n = x.shape.rank
    if not isinstance(axis, int) or isinstance(axis, bool) or n is None:
        return None, None
    n += extra
    if -n <= axis < n:
        return axis % n, None
    axes = "1 axis" if n == 1 else f"{n} axes"
    return None, Mismatch(
        where, f"axis {axis} is out of range for {x.what} of shape {x.shape} ({axes})", rank=True
    )


def in_place(where: str, left: Arg, right: Arg) -> Outcome:
    """`left += right` and the like: broadcasting, and the result written into `left`, whose
    shape it must have (a size 1 of `left` is not stretched)."""
    out = broadcast(where, [left, right])
    if out.mismatches or out.shape is None or not out.shape.exact or not left.shape.exact:
        return Outcome(left.shape if left.shape.exact else None, out.mismatches)
    head = left.shape.head
    if len(out.shape.head) > len(head):
        why = f"{right.what} has {len(right.shape.head)} axes, {left.what} {len(head)}"
        return Outcome(left.shape, [Mismatch(where, f"the result does not fit in place: {why}")])
    for k, (mine, theirs) in enumerate(zip(head, out.shape.head, strict=True)):
        if mine is not None and theirs is not None and mine.differs(theirs):
            detail = (
                f"the result does not fit in place: axis {k} of {left.what} is {mine}, "
                f"of the result {theirs}"
            )
            return Outcome(left.shape, [Mismatch(where, detail)])
    return Outcome(left.shape)


# ---------------------------------------------------------------------------------------------
# Elementwise and broadcasting
# ---------------------------------------------------------------------------------------------


def same(where: str, x: Arg) -> Outcome:
    """An elementwise map: the shape is kept."""
    return Outcome(x.shape if x.shape.exact else None)


def broadcast(where: str, args: Sequence[Arg]) -> Outcome:
    """numpy's broadcasting of `args`: axes lined up from the last, a size 1 stretched, the
    missing leading axes added. An argument of unknown rank lines up its last known axes
    (`tail`): the result's rank is then unknown, its last axes known where every argument's
    are."""
    if not args or all(not a.shape.exact and not a.shape.tail for a in args):
        return Outcome()
    axes = [a.shape.head if a.shape.exact else a.shape.tail for a in args]
    rank = max((len(x) for x in axes), default=0)
    out: list[Size | None] = []
    mismatches: list[Mismatch] = []
    for k in range(-rank, 0):
        size: Size | None = None
        first: tuple[Size, Where] | None = None
        unknown = False
        for a, known in zip(args, axes, strict=True):
            n = len(known)
            if n < -k:
                unknown = unknown or not a.shape.exact  # an axis of the unknown middle
                continue
            s = known[k]
            if s is None:
                unknown = True
                continue
            if s.value == 1:
                continue
            here = Where(a.what, n + k if a.shape.exact else k)
            if first is None:
                first = (s, here)
                size = s
            elif first[0].differs(s) and not (_maybe_one(s) or _maybe_one(first[0])):
                mismatches.append(pair(where, "axes do not broadcast", *first, s, here))
            elif s != first[0] and s.value is not None and size is not None:
                size = s  # a name against a number: the number, or the program fails
            elif s != first[0] and first[0].value is None:
                size = None  # two expressions that may be equal: not known
        if size is None and not unknown and first is None:
            size = Size.of(1)  # every size there is 1
        if unknown and (size is None or _maybe_one(size)):
            size = None
        out.append(size)
    if all(a.shape.exact for a in args):
        return Outcome(exact(out), mismatches)
    return Outcome(Shape((), tuple(out), False), mismatches)


# ---------------------------------------------------------------------------------------------
# Linear algebra
# ---------------------------------------------------------------------------------------------


def matmul(where: str, a: Arg, b: Arg) -> Outcome:
    """`a @ b` as numpy's `matmul`: a 1-D operand is a row (left) or a column (right), the last
    axis of `a` meets the second-to-last of `b`, the batch axes broadcast."""
    sa, sb = a.shape, b.shape
    if not (sa.exact and sb.exact):
        return _matmul_of_unknown_rank(where, a, b)
    if not sa.head or not sb.head:
        return Outcome()
    ha, hb = list(sa.head), list(sb.head)
    na, nb = len(ha), len(hb)
    out: list[Mismatch] = []
    inner_b = hb[0] if nb == 1 else hb[-2]
    axis_b = 0 if nb == 1 else nb - 2
    if ha[-1] is not None and inner_b is not None and ha[-1].differs(inner_b):
        out.append(
            pair(
                where,
                "inner dimension",
                ha[-1],
                Where(a.what, na - 1),
                inner_b,
                Where(b.what, axis_b),
            )
        )
    batch = broadcast(where, [Arg(a.what, exact(ha[:-2])), Arg(b.what, exact(hb[:-2]))])
    for m in batch.mismatches:
        out.append(Mismatch(m.where, m.detail.replace("axes do not broadcast", "batch axes")))
    assert batch.shape is not None
    dims = list(batch.shape.head)
    if na >= 2:
        dims.append(ha[-2])
    if nb >= 2:
        dims.append(hb[-1])
    return Outcome(exact(dims), out)


def _matmul_of_unknown_rank(where: str, a: Arg, b: Arg) -> Outcome:
    """`a @ b` where an operand's rank is unknown but its last two axes are known (a `tail`
    of two): the inner dimension is checked; the result's last axes are known."""
    ta = a.shape.head if a.shape.exact else a.shape.tail
    tb = b.shape.head if b.shape.exact else b.shape.tail
    if len(ta) < 2 or len(tb) < 2:
        return Outcome()
    out: list[Mismatch] = []
    left, right = ta[-1], tb[-2]
    if left is not None and right is not None and left.differs(right):
        where_a = Where(a.what, len(ta) - 1 if a.shape.exact else -1)
        where_b = Where(b.what, len(tb) - 2 if b.shape.exact else -2)
        out.append(pair(where, "inner dimension", left, where_a, right, where_b))
    return Outcome(Shape((), (ta[-2], tb[-1]), False), out)


def dot(where: str, a: Arg, b: Arg) -> Outcome:
    """numpy's `dot`: matmul for 1-D and 2-D operands; for N-D, the last axis of `a` meets the
    second-to-last of `b` (or its only one), the other axes all kept."""
    sa, sb = a.shape, b.shape
    if not (sa.exact and sb.exact):
        return Outcome()
    if not sa.head or not sb.head:  # a scalar: multiplication
        return broadcast(where, [a, b])
    if len(sa.head) <= 2 and len(sb.head) <= 2:
        return matmul(where, a, b)
    k = 0 if len(sb.head) == 1 else len(sb.head) - 2
    out: list[Mismatch] = []
    x, y = sa.head[-1], sb.head[k]
    if x is not None and y is not None and x.differs(y):
        out.append(
            pair(where, "inner dimension", x, Where(a.what, len(sa.head) - 1), y, Where(b.what, k))
        )
    rest = tuple(s for i, s in enumerate(sb.head) if i != k)
    return Outcome(exact(sa.head[:-1] + rest), out)


def vdot(where: str, a: Arg, b: Arg) -> Outcome:
    """`vdot`: the flattened arrays have one number of elements; the result is a scalar."""
    na, nb = product(a.shape.head), product(b.shape.head)
    out: list[Mismatch] = []
    if a.shape.exact and b.shape.exact and na is not None and nb is not None and na.differs(nb):
        out.append(
            Mismatch(
                where,
                f"{a.what} of shape {a.shape} has {na} elements, {b.what} of shape {b.shape} "
                f"has {nb}",
            )
        )
    return Outcome(exact(()), out)


def outer(where: str, a: Arg, b: Arg) -> Outcome:
    """`outer`: the flattened arrays' sizes, as a matrix."""
    na = product(a.shape.head) if a.shape.exact else None
    nb = product(b.shape.head) if b.shape.exact else None
    return Outcome(exact((na, nb)))


def einsum(where: str, subscripts: object, operands: Sequence[Arg]) -> Outcome:
    """`einsum` with literal subscripts: each label means one size across the operands; the
    output has the labels after `->` (or the labels seen once, in order)."""
    if not isinstance(subscripts, str) or "." in subscripts:
        return Outcome()
    text = subscripts.replace(" ", "")
    inputs, arrow, output = text.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(operands):
        return Outcome()
    sizes: dict[str, tuple[Size, Where]] = {}
    out: list[Mismatch] = []
    for term, op in zip(terms, operands, strict=True):
        if not op.shape.exact:
            continue
        if len(term) != len(op.shape.head):
            out.append(
                Mismatch(
                    where,
                    f'subscripts "{term}" name {len(term)} axes, but {op.what} has '
                    f"{len(op.shape.head)}",
                    rank=True,
                )
            )
            continue
        for i, (label, s) in enumerate(zip(term, op.shape.head, strict=True)):
            if s is None:
                continue
            here = Where(op.what, i)
            if label not in sizes:
                sizes[label] = (s, here)
            elif sizes[label][0].differs(s):
                out.append(pair(where, f"label {label}", s, here, *sizes[label]))
    if not arrow:
        counts = {c: inputs.count(c) for c in inputs if c.isalpha()}
        output = "".join(sorted(c for c, n in counts.items() if n == 1))
    if not all(op.shape.exact for op in operands):
        return Outcome(None, out)
    return Outcome(exact([sizes[c][0] if c in sizes else None for c in output]), out)


def transpose(where: str, x: Arg, axes: object = None) -> Outcome:
    """`transpose`: the axes reversed, or in the order of literal `axes`."""
    if not x.shape.exact:
        return Outcome()
    head = x.shape.head
    if axes is None:
        return Outcome(exact(head[::-1]))
    if not isinstance(axes, tuple) or not all(isinstance(a, int) for a in axes):
        return Outcome(exact((None,) * len(head)))
    n = len(head)
    normal = [a % n if -n <= a < n else None for a in axes]
    if len(axes) != n or None in normal or len(set(normal)) != n:
        return Outcome(
            None,
            [
                Mismatch(
                    where,
                    f"axes {axes} do not fit {x.what} of shape {x.shape}: give each of its {n} "
                    "axes once",
                    rank=True,
                )
            ],
        )
    return Outcome(exact([head[a] for a in normal if a is not None]))


def swapaxes(where: str, x: Arg, a: object, b: object) -> Outcome:
    """`swapaxes`: two axes exchanged."""
    i, m1 = _axis(where, x, a)
    j, m2 = _axis(where, x, b)
    bad = [m for m in (m1, m2) if m is not None]
    if bad or i is None or j is None:
        return Outcome(None, bad)
    head = list(x.shape.head)
    head[i], head[j] = head[j], head[i]
    return Outcome(exact(head))


def square(where: str, x: Arg, keep: bool = True) -> Outcome:
    """An op of square matrices (`inv`, `cholesky`, `slogdet`'s input): the last two axes
    agree; the shape is kept (or `keep=False`: the matrix axes dropped)."""
    h = x.shape.head
    if not x.shape.exact or len(h) < 2:
        return Outcome()
    out: list[Mismatch] = []
    if h[-1] is not None and h[-2] is not None and h[-2].differs(h[-1]):
        n = len(h)
        out.append(
            pair(
                where,
                "a square matrix is needed",
                h[-2],
                Where(x.what, n - 2),
                h[-1],
                Where(x.what, n - 1),
            )
        )
    return Outcome(x.shape if keep else exact(h[:-2]), out)


def solve(where: str, a: Arg, b: Arg) -> Outcome:
    """`solve(a, b)`: `a` square, `b` a vector or matrix with `a`'s rows."""
    first = square(where, a)
    out = list(first.mismatches)
    ha, hb = a.shape.head, b.shape.head
    if a.shape.exact and b.shape.exact and ha and hb:
        k = 0 if len(hb) == 1 else len(hb) - 2
        rows, cols = hb[k], ha[-1]
        if cols is not None and rows is not None and cols.differs(rows):
            out.append(
                pair(where, "rows", rows, Where(b.what, k), cols, Where(a.what, len(ha) - 1))
            )
    return Outcome(b.shape if b.shape.exact else None, out)


# ---------------------------------------------------------------------------------------------
# Shape
# ---------------------------------------------------------------------------------------------


def reshape(where: str, x: Arg, new: object) -> Outcome:
    """`reshape` to literal sizes (one may be `-1`): the number of elements is checked, `-1`
    is inferred where it divides."""
    if not isinstance(new, tuple):
        return Outcome()
    sizes: list[Size | None] = []
    free = -1
    for i, s in enumerate(new):
        if isinstance(s, Size) and s.value == -1:
            if free >= 0:
                return Outcome()
            free = i
            sizes.append(None)
        elif isinstance(s, Size):
            sizes.append(s)
        else:
            sizes.append(None)
    total = product(x.shape.head) if x.shape.exact else None
    known = product(s for i, s in enumerate(sizes) if i != free)
    if total is None or known is None:
        return Outcome(exact(sizes))
    target = f"({', '.join('-1' if i == free else str(s) for i, s in enumerate(sizes))}"
    target += ",)" if len(sizes) == 1 else ")"
    if free < 0:
        if total.differs(known):
            return Outcome(
                exact(sizes),
                [
                    Mismatch(
                        where,
                        f"cannot reshape {x.what} of shape {x.shape} ({total} elements) to "
                        f"{target} ({known} elements)",
                    )
                ],
            )
        return Outcome(exact(sizes))
    inferred = total.divide(known)
    if inferred is None and total.value is not None and known.value:
        return Outcome(
            exact(sizes),
            [
                Mismatch(
                    where,
                    f"cannot reshape {x.what} of shape {x.shape} ({total} elements) to {target}: "
                    f"{total} is not a multiple of {known}",
                )
            ],
        )
    sizes[free] = inferred
    return Outcome(exact(sizes))


def ravel(where: str, x: Arg) -> Outcome:
    """`ravel`: one axis of all the elements."""
    return Outcome(exact((product(x.shape.head) if x.shape.exact else None,)))


def join(where: str, xs: Sequence[Arg] | None, axis: object, new: bool) -> Outcome:
    """`concatenate` (`new=False`: sizes on `axis` add up) and `stack` (`new=True`: one shape,
    a new axis of the number of arrays); `axis=None` concatenates the flattened arrays."""
    if xs is None or not xs:
        return Outcome()
    if axis is None and not new:
        return Outcome(exact((_total(product(x.shape.head) for x in xs if x.shape.exact),)))
    first = xs[0]
    if not all(x.shape.exact for x in xs):
        return Outcome()
    n = len(first.shape.head)
    k, bad = _axis(where, first, axis, extra=1 if new else 0)
    if bad is not None:
        return Outcome(None, [bad])
    out: list[Mismatch] = []
    for x in xs[1:]:
        if len(x.shape.head) != n:
            out.append(
                Mismatch(
                    where,
                    f"{x.what} of shape {x.shape} has {len(x.shape.head)} axes, {first.what} of "
                    f"shape {first.shape} has {n}",
                    rank=True,
                )
            )
    if out:
        return Outcome(None, out)
    dims: list[Size | None] = []
    for i in range(n):
        column = [x.shape.head[i] for x in xs]
        if not new and i == k:
            dims.append(_total(column))
            continue
        size: Size | None = None
        origin: Where | None = None
        for x, s in zip(xs, column, strict=True):
            if s is None:
                continue
            if size is None:
                size, origin = s, Where(x.what, i)
            elif size.differs(s):
                assert origin is not None
                label = "stacked arrays differ" if new else f"axis {i} must match"
                out.append(pair(where, label, s, Where(x.what, i), size, origin))
                break
        dims.append(size if None not in column else None)
    if new:
        if k is None:
            return Outcome(None, out)
        dims.insert(k, Size.of(len(xs)))
    return Outcome(exact(dims), out)


def _total(sizes: Iterable[Size | None]) -> Size | None:
    """The sum of `sizes` (a concatenation's axis), None if one is unknown."""
    total = Size.of(0)
    for s in sizes:
        if s is None:
            return None
        total = total + s
    return total


def split(where: str, x: Arg, sections: object, axis: object) -> Outcome:
    """`split` into `sections` equal parts (an int): each part's shape; the axis must divide."""
    k, bad = _axis(where, x, axis)
    if bad is not None:
        return Outcome(None, [bad])
    if k is None or not isinstance(sections, int) or sections <= 0:
        return Outcome()
    head = list(x.shape.head)
    size = head[k]
    if size is None:
        head[k] = None
        return Outcome(exact(head))
    part = size.divide(Size.of(sections))
    if part is None and size.value is not None:
        return Outcome(
            None,
            [
                Mismatch(
                    where,
                    f"{x.what} of shape {x.shape} does not split into {sections} equal sections "
                    f"along axis {k} (length {size})",
                )
            ],
        )
    head[k] = part
    return Outcome(exact(head))


def expand_dims(where: str, x: Arg, axis: object) -> Outcome:
    """`expand_dims`: a new axis of size 1 at `axis` (an int or a tuple of them)."""
    axes = axis if isinstance(axis, tuple) else (axis,)
    if not x.shape.exact or not all(isinstance(a, int) for a in axes):
        return Outcome()
    n = len(x.shape.head) + len(axes)
    normal: list[int] = []
    for a in axes:
        k, bad = _axis(where, x, a, extra=len(axes))
        if bad is not None:
            return Outcome(None, [bad])
        assert k is not None
        normal.append(k)
    rest = iter(x.shape.head)
    return Outcome(exact([Size.of(1) if i in normal else next(rest) for i in range(n)]))


def squeeze(where: str, x: Arg, axis: object = None) -> Outcome:
    """`squeeze`: the given axes (which must have size 1), or every axis of size 1."""
    if not x.shape.exact:
        return Outcome()
    head = x.shape.head
    if axis is None:
        if any(s is None or not s.differs(Size.of(1)) and s.value != 1 for s in head):
            return Outcome()
        return Outcome(exact([s for s in head if s is None or s.value != 1]))
    axes = axis if isinstance(axis, tuple) else (axis,)
    drop: set[int] = set()
    for a in axes:
        k, bad = _axis(where, x, a)
        if bad is not None:
            return Outcome(None, [bad])
        if k is None:
            return Outcome()
        s = head[k]
        if s is not None and s.differs(Size.of(1)):
            return Outcome(
                None,
                [Mismatch(where, f"axis {k} of {x.what} of shape {x.shape} has length {s}, not 1")],
            )
        drop.add(k)
    return Outcome(exact([s for i, s in enumerate(head) if i not in drop]))


def repeat(where: str, x: Arg, repeats: object, axis: object) -> Outcome:
    """`repeat` an int number of times along `axis` (or over the flattened array)."""
    if not isinstance(repeats, int) or not x.shape.exact:
        return Outcome()
    if axis is None:
        total = product(x.shape.head)
        return Outcome(exact((None if total is None else total * repeats,)))
    k, bad = _axis(where, x, axis)
    if bad is not None or k is None:
        return Outcome(None, [] if bad is None else [bad])
    head = list(x.shape.head)
    size = head[k]
    head[k] = None if size is None else size * repeats
    return Outcome(exact(head))


def tile(where: str, x: Arg, reps: object) -> Outcome:
    """`tile`: each axis times its repetitions (axes added in front where `reps` is longer)."""
    r = reps if isinstance(reps, tuple) else (reps,)
    if not x.shape.exact or not all(isinstance(v, int) for v in r):
        return Outcome()
    n = max(len(x.shape.head), len(r))
    ones: list[Size | None] = [Size.of(1)] * (n - len(x.shape.head))
    head = ones + list(x.shape.head)
    counts = [1] * (n - len(r)) + [v for v in r if isinstance(v, int)]
    return Outcome(exact([None if s is None else s * c for s, c in zip(head, counts, strict=True)]))


def pad(where: str, x: Arg, width: object) -> Outcome:
    """`pad` by literal widths: an int, `(before, after)`, or one pair per axis."""
    if not x.shape.exact:
        return Outcome()
    n = len(x.shape.head)
    pairs: list[tuple[int, int]]
    if isinstance(width, int):
        pairs = [(width, width)] * n
    elif isinstance(width, tuple) and len(width) == 2 and all(isinstance(w, int) for w in width):
        pairs = [(width[0], width[1])] * n
    elif (
        isinstance(width, tuple)
        and len(width) == n
        and all(
            isinstance(w, tuple) and len(w) == 2 and all(isinstance(v, int) for v in w)
            for w in width
        )
    ):
        pairs = [(w[0], w[1]) for w in width]
    else:
        return Outcome()
    return Outcome(
        exact(
            [
                None if s is None else s + a + b
                for s, (a, b) in zip(x.shape.head, pairs, strict=True)
            ]
        )
    )


def broadcast_to(where: str, x: Arg, target: object) -> Outcome:
    """`broadcast_to` literal sizes: `x`'s axes must broadcast to them."""
    if not isinstance(target, tuple):
        return Outcome()
    sizes = [s if isinstance(s, Size) else None for s in target]
    goal = Arg('argument "shape"', exact(sizes))
    if x.shape.exact and len(x.shape.head) > len(sizes):
        return Outcome(
            exact(sizes),
            [
                Mismatch(
                    where,
                    f"{x.what} of shape {x.shape} has more axes than {tuple(target)}",
                    rank=True,
                )
            ],
        )
    found = broadcast(where, [x, goal])
    return Outcome(exact(sizes), found.mismatches)


# ---------------------------------------------------------------------------------------------
# Reductions
# ---------------------------------------------------------------------------------------------


def reduce(where: str, x: Arg, axis: object = None, keepdims: object = False) -> Outcome:
    """A reduction over `axis` (None: all; an int or a tuple), the axes dropped or, with
    `keepdims`, kept with size 1."""
    if isinstance(keepdims, Missing) or isinstance(axis, Missing):
        return Outcome()
    if not x.shape.exact:
        return Outcome(exact(()) if axis is None and not keepdims else None)
    n = len(x.shape.head)
    if axis is None:
        axes = set(range(n))
    else:
        given = axis if isinstance(axis, tuple) else (axis,)
        axes = set()
        for a in given:
            k, bad = _axis(where, x, a)
            if bad is not None:
                return Outcome(None, [bad])
            if k is None:
                return Outcome()
            axes.add(k)
    if keepdims:
        return Outcome(exact([Size.of(1) if i in axes else s for i, s in enumerate(x.shape.head)]))
    return Outcome(exact([s for i, s in enumerate(x.shape.head) if i not in axes]))


def along(where: str, x: Arg, axis: object = -1) -> Outcome:
    """An op along one axis that keeps the shape (`softmax`): the axis must exist."""
    if axis is None:
        return Outcome(x.shape if x.shape.exact else None)
    _, bad = _axis(where, x, axis)
    return Outcome(x.shape if x.shape.exact else None, [] if bad is None else [bad])


# ---------------------------------------------------------------------------------------------
# Indexing
# ---------------------------------------------------------------------------------------------


class Slice:
    """A literal slice of an index: its start, stop and step (None where absent; MISSING where
    not a literal)."""

    def __init__(self, start: object, stop: object, step: object) -> None:
        self.start, self.stop, self.step = start, stop, step


ELLIPSIS = "..."
NEWAXIS = "newaxis"


@dataclass(frozen=True)
class IndexArray:
    """An integer array in an index, of a known shape (`x[idx]`, a minibatch's rows)."""

    shape: Shape


def getitem(where: str, x: Arg, key: object) -> Outcome:
    """`x[key]` for a key of literal ints, literal slices, `None` and `...`, or of one integer
    array with slices (its axis becomes the array's axes); any other index makes the result
    unknown."""
    items = key if isinstance(key, list) else [key]
    arrays = [i for i in items if isinstance(i, IndexArray)]
    if (
        len(arrays) == 1
        and x.shape.exact
        and all(isinstance(i, Slice | IndexArray) or i == ELLIPSIS for i in items)
    ):
        return _take_rows(x, items, arrays[0])
    if not x.shape.exact or any(
        not (isinstance(i, int | Slice) or i in (ELLIPSIS, NEWAXIS)) for i in items
    ):
        return Outcome()
    head = list(x.shape.head)
    used = sum(1 for i in items if isinstance(i, int | Slice))
    if used > len(head) and not x.shape.known():
        return Outcome()  # (a rank from numpy's type alone, which mypy may have inferred wrong)
    if used > len(head):
        return Outcome(
            None,
            [
                Mismatch(
                    where,
                    f"{used} indices for {x.what} of shape {x.shape} ({len(head)} axes)",
                    rank=True,
                )
            ],
        )
    out: list[Size | None] = []
    pos = 0
    for i in items:
        if i == ELLIPSIS:
            skip = len(head) - used
            out += head[pos : pos + skip]
            pos += skip
            used = len(head)
        elif i == NEWAXIS:
            out.append(Size.of(1))
        elif isinstance(i, int):
            s = head[pos]
            if s is not None and s.value is not None and not -s.value <= i < s.value:
                return Outcome(
                    None,
                    [
                        Mismatch(
                            where,
                            f"index {i} is out of bounds for axis {pos} of {x.what} of shape "
                            f"{x.shape} (size {s})",
                        )
                    ],
                )
            pos += 1
        else:
            assert isinstance(i, Slice)
            out.append(_slice_length(head[pos], i))
            pos += 1
    out += head[pos:]
    return Outcome(exact(out))


def _take_rows(x: Arg, items: list[object], index: IndexArray) -> Outcome:
    head = list(x.shape.head)
    used = sum(1 for i in items if i != ELLIPSIS)
    if used > len(head):
        return Outcome()
    out: list[Size | None] = []
    pos = 0
    for i in items:
        if i == ELLIPSIS:
            out += head[pos : pos + len(head) - used]
            pos += len(head) - used
        elif isinstance(i, IndexArray):
            if not i.shape.exact:  # an index of unknown rank: the axes after it are known
                rest = [
                    _slice_length(head[pos + 1 + k], j) if isinstance(j, Slice) else None
                    for k, j in enumerate(items[items.index(i) + 1 :])
                ]
                tail = [*(s for s in rest), *head[pos + 1 + len(rest) :]]
                return Outcome(Shape(tuple(out), tuple(tail), False))
            out += list(i.shape.head)
            pos += 1
        else:
            assert isinstance(i, Slice)
            out.append(_slice_length(head[pos], i))
            pos += 1
    return Outcome(exact(out + head[pos:]))


def trace(where: str, x: Arg, axis1: object, axis2: object) -> Outcome:
    """numpy's `trace`: the sum along a diagonal of the axes `axis1` and `axis2` (any sizes,
    any offset), which the result drops."""
    if not x.shape.exact or len(x.shape.head) < 2:
        return Outcome()
    rank = len(x.shape.head)
    if not isinstance(axis1, int) or not isinstance(axis2, int):
        return Outcome()
    a, b = axis1 % rank, axis2 % rank
    if a == b:
        return Outcome()
    return Outcome(exact([s for k, s in enumerate(x.shape.head) if k not in (a, b)]))


def _slice_length(size: Size | None, s: Slice) -> Size | None:
    if s.start is None and s.stop is None and s.step is None:
        return size
    if not all(v is None or isinstance(v, int) for v in (s.start, s.stop, s.step)):
        return None
    if size is None or size.value is None:
        # `x[:k]` of an unknown or symbolic axis is at most k long: not known.
        return None
    return Size.of(len(range(size.value)[slice(s.start, s.stop, s.step)]))  # type: ignore[arg-type]


def take(where: str, x: Arg, indices: Shape, axis: object) -> Outcome:
    """`take`: the indices' shape in place of `axis` (of the flattened array without one)."""
    if not indices.exact:
        return Outcome()
    if axis is None:
        return Outcome(indices)
    k, bad = _axis(where, x, axis)
    if bad is not None or k is None:
        return Outcome(None, [] if bad is None else [bad])
    h = x.shape.head
    return Outcome(exact(h[:k] + indices.head + h[k + 1 :]))


# ---------------------------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------------------------


def same_shapes(where: str, a: Arg, b: Arg) -> Outcome:
    """A loss of predictions and targets of one shape: a scalar."""
    out: list[Mismatch] = []
    sa, sb = a.shape, b.shape
    if sa.exact and sb.exact:
        if len(sa.head) != len(sb.head):
            out.append(
                Mismatch(
                    where,
                    f"{b.what} of shape {sb} does not match {a.what} of shape {sa}",
                    rank=True,
                )
            )
        else:
            for i, (x, y) in enumerate(zip(sa.head, sb.head, strict=True)):
                if x is not None and y is not None and x.differs(y):
                    out.append(
                        pair(
                            where, f"axis {i} must match", y, Where(b.what, i), x, Where(a.what, i)
                        )
                    )
                    break
    return Outcome(exact(()), out)


def labels(where: str, logits: Arg, labels: Arg) -> Outcome:
    """Cross-entropy with integer labels: the labels have the logits' shape less the last
    axis; a scalar."""
    sa, sb = logits.shape, labels.shape
    out: list[Mismatch] = []
    if sa.exact and sb.exact and sa.head and sb.head:
        batch = sa.head[:-1]
        if len(sb.head) != len(batch):
            out.append(
                Mismatch(
                    where,
                    f"{labels.what} of shape {sb} does not fit {logits.what} of shape {sa} (one "
                    "label per row of logits)",
                    rank=True,
                )
            )
        else:
            for i, (x, y) in enumerate(zip(batch, sb.head, strict=True)):
                if x is not None and y is not None and x.differs(y):
                    out.append(
                        pair(
                            where,
                            f"axis {i} must match",
                            y,
                            Where(labels.what, i),
                            x,
                            Where(logits.what, i),
                        )
                    )
                    break
    return Outcome(exact(()), out)


__all__ = [
    "ELLIPSIS",
    "MISSING",
    "NEWAXIS",
    "Arg",
    "Missing",
    "Outcome",
    "Slice",
]
