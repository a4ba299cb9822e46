"""Structures: how typedprop takes apart, zeros, adds and rebuilds the values it differentiates.

This is the Python form of Haskell backprop's `Backprop` class. Every value on a tape has a
*kind* that knows three things:

- `zero(x)`: the additive identity shaped like `x`, the gradient of something that did not use `x`;
- `add(a, b)`: how two gradients of the same value combine (a value used twice gets the sum);
- `one(x)`: the gradient of `x` with respect to itself, used to seed a scalar output.

Laws every kind keeps: `add(zero(x), g) == g`, `add` is commutative and associative, and all
three return a value of exactly `x`'s type (a float for a float, a float32 array for a float32
array, the same dataclass for a dataclass).

Leaves are Python and numpy numbers, numpy arrays of any dtype, and None. Integers, booleans and
integer arrays are leaves that are not differentiated: their gradient is always zero. Containers
are tuples, NamedTuples, lists, dicts and dataclasses, nested freely. Other types join by having
`zero`, `add` and `one` methods (the `Backprop` protocol) or through `register_backprop`.

Gradients of parts of a structure (from `BVar.view`) are kept sparse, as a `Partial` that maps
child positions to gradients, and only made whole (`finalize`) when something needs all of it.
This keeps `p.view(lambda m: m.w1)` from allocating a zero copy of every other parameter.

Internal: users import `Backprop` and `register_backprop` from `typedprop`.
"""

import dataclasses
from collections.abc import Callable
from typing import Any, Protocol, Self, TypeVar, cast, runtime_checkable

import numpy as np

__all__ = [
    "Backprop",
    "Mismatch",
    "Partial",
    "accumulate",
    "array_ids",
    "check_supported",
    "describe",
    "finalize",
    "fit",
    "kind_of",
    "one",
    "register_backprop",
    "resolve_path",
    "zero",
]

T = TypeVar("T")


@runtime_checkable
class Backprop(Protocol):
    """Give your own type a gradient: implement `zero`, `add` and `one`.

    typedprop uses these methods for any value whose type has all three, so the type can be a
    parameter, an intermediate value, or part of a larger structure. The gradient of a value of
    your type is again of your type.

    Laws: `x.zero().add(g) == g`; `add` is commutative and associative; `one` is the gradient of
    the value with respect to itself (all ones for an array-like type).

    A value of such a type is a leaf to typedprop: `BVar.view` does not go inside it, so ops
    take it whole.

    !!! example
        ```python
        >>> from collections.abc import Callable
        >>> from dataclasses import dataclass
        >>> import typedprop as tp
        >>> @dataclass
        ... class Money:
        ...     amount: float
        ...     def zero(self) -> "Money": return Money(0.0)
        ...     def add(self, other: "Money") -> "Money": return Money(self.amount + other.amount)
        ...     def one(self) -> "Money": return Money(1.0)
        >>> @tp.op1
        ... def tax(m: Money) -> tuple[float, Callable[[float], Money]]:
        ...     return 0.2 * m.amount, lambda g: Money(0.2 * g)
        >>> tp.grad(tax, Money(100.0))
        Money(amount=0.2)
        ```
    """

    def zero(self) -> Self: ...

    def add(self, other: Self) -> Self: ...

    def one(self) -> Self: ...


class Mismatch(Exception):
    """Raised by `fit` with a description of why a gradient does not fit its value; the caller
    turns it into a `CheckError` that also names the op and the argument."""


# ---------------------------------------------------------------------------------------------
# Kinds
# ---------------------------------------------------------------------------------------------


class _Kind:
    """How typedprop handles the values of one type. Leaves have no children."""

    is_leaf = True

    def zero(self, x: Any) -> Any:
        raise NotImplementedError

    def add(self, a: Any, b: Any) -> Any:
        raise NotImplementedError

    def one(self, x: Any) -> Any:
        raise NotImplementedError

    def fit(self, g: Any, x: Any) -> Any:
        """Return `g` as a gradient of `x` (None: `x` takes no gradient), or raise Mismatch."""
        raise NotImplementedError

    def coerce(self, g: Any, x: Any) -> Any:
        """Give a fitted gradient exactly `x`'s type (a Python float for a Python float)."""
        return g

    # Containers only.
    def children(self, x: Any) -> list[Any]:
        raise NotImplementedError

    def rebuild(self, x: Any, children: list[Any]) -> Any:
        raise NotImplementedError

    def index(self, x: Any, step: "_Step") -> int:
        raise NotImplementedError

    def label(self, x: Any, i: int) -> str:
        """How error messages name child `i` of `x`."""
        return f"[{i}]"


def describe(g: Any) -> str:
    """A value in words for error messages: an array's shape and dtype, else its type."""
    if isinstance(g, np.ndarray):
        return f"an array of shape {g.shape} and dtype {g.dtype}"
    return f"a value of type {type(g).__name__}"


class _Scalar(_Kind):
    """Python floats and complex numbers, numpy floating and complex scalars."""

    def zero(self, x: Any) -> Any:
        return type(x)(0)

    def add(self, a: Any, b: Any) -> Any:
        return a + b

    def one(self, x: Any) -> Any:
        return type(x)(1)

    def fit(self, g: Any, x: Any) -> Any:
        if isinstance(g, np.ndarray):
            if g.shape != ():
                raise Mismatch(f"got {describe(g)}, expected a scalar")
            g = g[()]
        if isinstance(g, bool | np.bool_) or not isinstance(g, int | float | complex | np.number):
            raise Mismatch(f"got {describe(g)}, expected a number")
        if isinstance(x, np.generic) and isinstance(g, np.generic) and g.dtype != x.dtype:
            raise Mismatch(f"got dtype {g.dtype}, expected {x.dtype}")
        if type(g) is type(x):
            return g
        # A Python float's gradient may arrive as a numpy scalar or an int (a seed of 1):
        # give it the value's own type here, so checks downstream see a float.
        try:
            return type(x)(g)
        except TypeError:
            raise Mismatch(f"got {describe(g)}, expected a {type(x).__name__}") from None


class _Constant(_Kind):
    """Integers, booleans and None: carried along, never differentiated (gradient zero)."""

    def zero(self, x: Any) -> Any:
        return None if x is None else type(x)(0)

    def add(self, a: Any, b: Any) -> Any:
        return a

    def one(self, x: Any) -> Any:
        return self.zero(x)

    def fit(self, g: Any, x: Any) -> Any:
        return None


class _Array(_Kind):
    """numpy arrays; only floating and complex ones are differentiated."""

    def zero(self, x: Any) -> Any:
        return np.zeros_like(x)

    def add(self, a: Any, b: Any) -> Any:
        if a.dtype.kind not in "fc":
            return a
        total = a + b
        # numpy turns the sum of two 0-d arrays into a numpy scalar; keep it an array.
        return total if type(total) is np.ndarray else np.asarray(total)

    def one(self, x: Any) -> Any:
        return np.ones_like(x) if x.dtype.kind in "fc" else np.zeros_like(x)

    def coerce(self, g: Any, x: Any) -> Any:
        return g if type(g) is type(x) else np.asarray(g, dtype=x.dtype).view(type(x))

    def fit(self, g: Any, x: Any) -> Any:
        if x.dtype.kind not in "fc":
            return None
        if not isinstance(g, np.ndarray):
            if x.shape == () and isinstance(g, int | float | complex | np.number):
                if isinstance(g, np.generic) and g.dtype != x.dtype:
                    raise Mismatch(f"got dtype {g.dtype}, expected {x.dtype}")
                return np.asarray(g, dtype=x.dtype)
            raise Mismatch(f"got {describe(g)}, expected an array of shape {x.shape}")
        if g.shape != x.shape:
            raise Mismatch(f"got shape {g.shape}, expected {x.shape}")
        if g.dtype != x.dtype:
            raise Mismatch(f"got dtype {g.dtype}, expected {x.dtype}")
        return g


class _Opaque(_Kind):
    """A type with its own zero/add/one: Backprop methods or a registration."""

    def __init__(
        self,
        zero: Callable[[Any], Any],
        add: Callable[[Any, Any], Any],
        one: Callable[[Any], Any],
    ) -> None:
        self._zero, self._add, self._one = zero, add, one

    def zero(self, x: Any) -> Any:
        return self._zero(x)

    def add(self, a: Any, b: Any) -> Any:
        return self._add(a, b)

    def one(self, x: Any) -> Any:
        return self._one(x)

    def fit(self, g: Any, x: Any) -> Any:
        if type(g) is not type(x):
            raise Mismatch(f"got {describe(g)}, expected a {type(x).__name__}")
        return g


_Step = tuple[str, Any]  # ("attr", name) or ("item", key), as recorded from a view's getter


class _Container(_Kind):
    is_leaf = False

    def zero(self, x: Any) -> Any:
        return self.rebuild(x, [zero(c) for c in self.children(x)])

    def one(self, x: Any) -> Any:
        return self.rebuild(x, [one(c) for c in self.children(x)])

    def add(self, a: Any, b: Any) -> Any:
        return self.rebuild(
            a, [accumulate(p, q) for p, q in zip(self.children(a), self.children(b), strict=True)]
        )

    def fit(self, g: Any, x: Any) -> Any:
        if type(g) is not type(x):
            raise Mismatch(f"got {describe(g)}, expected a {type(x).__name__}")
        xs, gs = self.children(x), self.children(g)
        if len(xs) != len(gs):
            raise Mismatch(f"got {len(gs)} parts, expected {len(xs)}")
        parts = []
        for i, (xc, gc) in enumerate(zip(xs, gs, strict=True)):
            try:
                fitted = kind_of(xc).fit(gc, xc)
            except Mismatch as e:
                raise Mismatch(f"at part {i}: {e}") from None
            parts.append(zero(xc) if fitted is None else fitted)
        return self.rebuild(x, parts)


class _Sequence(_Container):
    """tuple and list (and subclasses constructed from an iterable)."""

    def children(self, x: Any) -> list[Any]:
        return list(x)

    def rebuild(self, x: Any, children: list[Any]) -> Any:
        return type(x)(children)

    def index(self, x: Any, step: _Step) -> int:
        how, key = step
        if how != "item" or not isinstance(key, int):
            raise Mismatch(f"a {type(x).__name__} is selected by an integer index, not {key!r}")
        n = len(x)
        if not -n <= key < n:
            raise Mismatch(f"index {key} is out of range for a {type(x).__name__} of length {n}")
        return key % n


class _NamedTuple(_Sequence):
    def label(self, x: Any, i: int) -> str:
        return f".{type(x)._fields[i]}"

    def rebuild(self, x: Any, children: list[Any]) -> Any:
        return type(x)._make(children)

    def index(self, x: Any, step: _Step) -> int:
        how, key = step
        if how == "attr":
            fields: tuple[str, ...] = type(x)._fields
            if key not in fields:
                raise Mismatch(f"{type(x).__name__} has no field {key!r}")
            return fields.index(key)
        return super().index(x, step)


class _Dict(_Container):
    def children(self, x: Any) -> list[Any]:
        return list(x.values())

    def rebuild(self, x: Any, children: list[Any]) -> Any:
        if type(x) is dict:
            return dict(zip(x.keys(), children, strict=True))
        # A subclass (OrderedDict, defaultdict, Counter) is rebuilt from its own copy, which
        # keeps what its constructor would need (a default factory), then refilled.
        new = x.copy()
        if type(new) is not type(x):
            raise TypeError(
                f"typedprop cannot rebuild a {type(x).__qualname__}: its copy() is a "
                f"{type(new).__qualname__}; register the type with typedprop.register_backprop"
            )
        for key, value in zip(x.keys(), children, strict=True):
            new[key] = value
        return new

    def fit(self, g: Any, x: Any) -> Any:
        if type(g) is type(x) and list(g.keys()) != list(x.keys()):
            raise Mismatch(f"got keys {list(g.keys())}, expected {list(x.keys())}")
        return super().fit(g, x)

    def label(self, x: Any, i: int) -> str:
        return f"[{list(x)[i]!r}]"

    def index(self, x: Any, step: _Step) -> int:
        how, key = step
        if how != "item":
            raise Mismatch(f"a dict is selected by key, not by attribute .{key}")
        for i, k in enumerate(x):
            if k == key:
                return i
        raise Mismatch(f"the dict has no key {key!r}")


class _Dataclass(_Container):
    def __init__(self, cls: type) -> None:
        self.names = tuple(f.name for f in dataclasses.fields(cls))

    def children(self, x: Any) -> list[Any]:
        return [getattr(x, n) for n in self.names]

    def rebuild(self, x: Any, children: list[Any]) -> Any:
        # Gradients bypass __init__ and __post_init__: a gradient need not satisfy the
        # invariants its parameter's constructor enforces (a positive scale has signed
        # gradients). object.__setattr__ also fills frozen and slotted dataclasses.
        new = object.__new__(type(x))
        for name, value in zip(self.names, children, strict=True):
            object.__setattr__(new, name, value)
        return new

    def label(self, x: Any, i: int) -> str:
        return f".{self.names[i]}"

    def index(self, x: Any, step: _Step) -> int:
        how, key = step
        if how != "attr" or key not in self.names:
            what = f"field {key!r}" if how == "attr" else f"item [{key!r}]"
            raise Mismatch(f"{type(x).__name__} has no {what}")
        return self.names.index(key)


_SCALAR, _CONSTANT, _ARRAY, _SEQUENCE, _DICT = (
    _Scalar(),
    _Constant(),
    _Array(),
    _Sequence(),
    _Dict(),
)
_NAMEDTUPLE = _NamedTuple()

# Exact types known up front; everything else is classified once per type and cached.
_BUILTIN: dict[type, _Kind] = {
    float: _SCALAR,
    complex: _SCALAR,
    int: _CONSTANT,
    bool: _CONSTANT,
    type(None): _CONSTANT,
    np.ndarray: _ARRAY,
    tuple: _SEQUENCE,
    list: _SEQUENCE,
    dict: _DICT,
}
_registered: dict[type, _Kind] = {}
_cache: dict[type, _Kind] = dict(_BUILTIN)


def register_backprop(
    cls: type[T],
    *,
    zero: Callable[[T], T],
    add: Callable[[T, T], T],
    one: Callable[[T], T],
) -> None:
    """Give a type you cannot edit a gradient: its `zero`, `add` and `one` (the laws are those
    of `Backprop`). Subclasses of `cls` are covered too; a later registration replaces an
    earlier one.

    !!! example
        ```python
        >>> from fractions import Fraction
        >>> import typedprop as tp
        >>> tp.register_backprop(
        ...     Fraction,
        ...     zero=lambda x: Fraction(0),
        ...     add=lambda a, b: a + b,
        ...     one=lambda x: Fraction(1),
        ... )
        >>> tp.backprop(lambda x: x, Fraction(1, 3))
        (Fraction(1, 3), Fraction(1, 1))
        ```
    """
    global _cache
    if not isinstance(cls, type):
        raise TypeError(f"register_backprop: expected a class, got {cls!r}")
    if cls in _BUILTIN:
        raise TypeError(
            f"register_backprop: {cls.__qualname__} is built into typedprop and cannot be "
            "registered again"
        )
    _registered[cls] = _Opaque(zero, add, one)
    # Swap in a fresh cache in one assignment: threads running backprop meanwhile keep
    # reading a complete one.
    _cache = dict(_BUILTIN)


def _classify(cls: type) -> _Kind:
    for base in cls.__mro__:
        if base in _registered:
            return _registered[base]
    if all(callable(getattr(cls, m, None)) for m in ("zero", "add", "one")):
        return _Opaque(lambda x: x.zero(), lambda a, b: a.add(b), lambda x: x.one())
    if dataclasses.is_dataclass(cls):
        return _Dataclass(cls)
    if issubclass(cls, tuple) and hasattr(cls, "_fields") and hasattr(cls, "_make"):
        return _NAMEDTUPLE
    if issubclass(cls, np.ndarray):
        return _ARRAY
    if issubclass(cls, np.floating | np.complexfloating | float):
        return _SCALAR  # float's subclasses too (a traced float while `trace` records)
    if issubclass(cls, np.integer | np.bool_):
        return _CONSTANT
    for base, kind in ((tuple, _SEQUENCE), (list, _SEQUENCE), (dict, _DICT)):
        if issubclass(cls, base):
            return kind
    raise TypeError(
        f"typedprop cannot differentiate a value of type {cls.__qualname__}: give the class "
        "zero, add and one methods (typedprop.Backprop) or register them with "
        "typedprop.register_backprop"
    )


def kind_of(x: object) -> _Kind:
    """The kind of `x`; raises TypeError, naming the type, for a type typedprop cannot handle."""
    t = type(x)
    cache = _cache  # one cache throughout: register_backprop may swap in a new one meanwhile
    kind = cache.get(t)
    if kind is None:
        kind = cache[t] = _classify(t)
    return kind


def check_supported(x: object, where: str, path: str = "") -> None:
    """Raise TypeError, naming the part, if typedprop cannot handle some part of `x`: before a
    backprop call runs, not from deep inside its sweep."""
    try:
        kind = kind_of(x)
    except TypeError as e:
        at = f" at x{path}" if path else ""
        raise TypeError(f"{where}{at}: {e}") from None
    if not kind.is_leaf:
        children = kind.children(x)
        if type(x) is not dict and isinstance(kind, _Dict):
            try:
                kind.rebuild(x, children)  # a dict subclass must be rebuildable
            except TypeError as e:
                at = f" at x{path}" if path else ""
                raise TypeError(f"{where}{at}: {e}") from None
        for i, child in enumerate(children):
            check_supported(child, where, path + kind.label(x, i))


def zero(x: T) -> T:
    """The zero gradient shaped like `x`."""
    result: T = kind_of(x).zero(x)
    return result


def one(x: T) -> T:
    """The gradient of `x` with respect to itself."""
    result: T = kind_of(x).one(x)
    return result


def fit(g: object, x: object) -> object:
    """`g` checked (and, for scalars, converted) as a gradient of `x`; None if `x` takes none.
    Raises Mismatch saying what is wrong."""
    return kind_of(x).fit(g, x)


# ---------------------------------------------------------------------------------------------
# Sparse gradients of parts
# ---------------------------------------------------------------------------------------------


class Partial:
    """A gradient of a container given only at some child positions; the rest are zero."""

    __slots__ = ("parts",)

    def __init__(self, parts: dict[int, object]) -> None:
        self.parts = parts

    @staticmethod
    def nest(path: tuple[int, ...], g: object) -> object:
        """The gradient of the whole, given gradient `g` of the part at `path`."""
        for i in reversed(path):
            g = Partial({i: g})
        return g


def accumulate(a: object, b: object) -> object:
    """The sum of two gradients of the same value, either of which may be None (zero) or a
    Partial. Partials are owned by the tape's accumulator, so merging may reuse them."""
    if a is None:
        return b
    if b is None:
        return a
    if type(a) is np.ndarray and type(b) is np.ndarray:
        return _ARRAY.add(a, b)  # the common case, without `kind_of`
    if type(a) is Partial:
        if type(b) is Partial:
            for i, g in b.parts.items():
                a.parts[i] = accumulate(a.parts.get(i), g)
            return a
        a, b = b, a
    if type(b) is Partial:
        kind = kind_of(a)
        children = kind.children(a)
        for i, g in b.parts.items():
            children[i] = accumulate(children[i], g)
        return kind.rebuild(a, children)
    return kind_of(a).add(a, b)


def _root(a: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The array that owns `a`'s memory (`a` itself unless it is a view)."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def array_ids(x: object) -> set[int]:
    """The ids of the arrays among the leaves of `x`, and of the arrays owning their memory."""
    if isinstance(x, np.ndarray):
        return {id(x), id(_root(x))}
    try:
        kind = kind_of(x)
    except TypeError:
        return set()
    if kind.is_leaf:
        return set()
    return set().union(*(array_ids(c) for c in kind.children(x)))


def finalize(x: T, g: object, unshare: set[int] | None = None, refit: bool = False) -> T:
    """The whole gradient of `x` from an accumulated `g` (None, Partial or whole), with exactly
    `x`'s type at every leaf.

    With `refit`, each leaf's gradient is first fitted to its parameter (see `fit`).
    With `unshare`, a set of the ids of arrays already handed out (and of the arrays owning
    their memory), an array leaf whose memory was handed out already is copied, and so is a
    read-only view: ops pass one gradient array to several inputs (`add` gives `g` to both),
    and a user who changes one returned gradient in place must not change another."""
    if g is None:
        return zero(x)
    a: Any = x  # T, known here to be an array
    if (
        type(g) is np.ndarray
        and type(a) is np.ndarray
        and g.dtype == a.dtype
        and g.shape == a.shape
        and a.dtype.kind in "fc"
    ):
        # The common leaf, which `fit` and `coerce` below would return unchanged.
        if unshare is not None:
            g = _unshared(g, unshare)
        return cast(T, g)
    kind = kind_of(x)
    if kind.is_leaf:
        if refit:
            # From a sweep that skipped the per-gradient `fit` (a validated recorded graph):
            # give each leaf its parameter's exact type here.
            g = kind.fit(g, x)
            if g is None:
                return zero(x)
        if unshare is not None and isinstance(g, np.ndarray):
            # Before coerce: an ndarray subclass's gradient is a view of this array.
            g = _unshared(g, unshare)
        result: T = kind.coerce(g, x)
        return result
    xs = kind.children(x)
    if type(g) is Partial:
        gs: list[object] = [g.parts.get(i) for i in range(len(xs))]
    else:
        gs = kind.children(g)
    rebuilt: T = kind.rebuild(
        x, [finalize(c, gc, unshare, refit) for c, gc in zip(xs, gs, strict=True)]
    )
    return rebuilt


def _unshared(g: np.ndarray[Any, Any], unshare: set[int]) -> np.ndarray[Any, Any]:
    """`g`, or a copy of it if it is read-only or its memory was handed out already (to another
    gradient, or as the seed; ids in `unshare`, to which `g`'s are added). An op's gradient may
    be a view (a transpose, a reshape, a broadcast `g`): copying only these ensures that
    changing one returned array changes no other."""
    root = _root(g)
    if id(g) in unshare or id(root) in unshare or not g.flags.writeable:
        g = root = g.copy()
    unshare.add(id(g))
    unshare.add(id(root))
    return g


# ---------------------------------------------------------------------------------------------
# Paths: what a view's getter selects
# ---------------------------------------------------------------------------------------------


class PathRecorder:
    """Stands in for a structure while a view's getter runs, recording the attributes and
    items the getter selects."""

    # An unlikely name, so that it does not hide a field of the user's structure.
    __slots__ = ("_typedprop_steps_",)

    def __init__(self, steps: tuple[_Step, ...] = ()) -> None:
        self._typedprop_steps_ = steps

    def __getattr__(self, name: str) -> "PathRecorder":
        return PathRecorder((*self._typedprop_steps_, ("attr", name)))

    def __getitem__(self, key: object) -> "PathRecorder":
        return PathRecorder((*self._typedprop_steps_, ("item", key)))

    def __bool__(self) -> bool:
        # The getter runs on this stand-in, not on the value: a branch in it cannot be honoured.
        raise Mismatch(
            "the getter branches on a value; a getter may only select parts (branch on "
            "p.value outside the getter and view each branch's part)"
        )


def _show(steps: tuple[_Step, ...]) -> str:
    return "x" + "".join(f".{k}" if how == "attr" else f"[{k!r}]" for how, k in steps)


def resolve_path(x: object, getter: Callable[[Any], object]) -> tuple[tuple[int, ...], object]:
    """Run `getter` on a recorder and follow what it selected through `x`: the child positions
    and the selected part. Raises Mismatch if the getter does more than select parts."""
    try:
        recorded = getter(PathRecorder())
    except (TypeError, ValueError) as e:
        raise Mismatch(
            f"the getter must only select parts of its argument, but it failed: {e}"
        ) from None
    if not isinstance(recorded, PathRecorder):
        raise Mismatch(
            "the getter must return a part of its argument (like `lambda p: p.w` or "
            f"`lambda p: p[0]`), but it returned {describe(recorded)}"
        )
    steps: tuple[_Step, ...] = recorded._typedprop_steps_
    path: list[int] = []
    value = x
    for n, step in enumerate(steps):
        kind = kind_of(value)
        if kind.is_leaf:
            raise Mismatch(
                f"{_show(steps[: n + 1])} goes inside a {type(value).__name__}, which is a leaf: "
                "a view selects parts of tuples, lists, dicts, NamedTuples and dataclasses; "
                "apply ops to the selected leaf instead"
            )
        try:
            i = kind.index(value, step)
        except Mismatch as e:
            raise Mismatch(f"{_show(steps[: n + 1])}: {e}") from None
        path.append(i)
        value = kind.children(value)[i]
    return tuple(path), value
