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

Two kinds of leaf are refused, as parameters (`check_supported`) and by every op
(`refused_leaf`, read by `Op`): complex numbers and arrays, until typedprop supports them on
purpose (ops differ in their conventions for complex gradients, and an optimizer would step the
wrong way without a word), and arrays of no numbers (object, strings, bytes, dates, void), whose
gradients the engine would drop.

Gradients of parts of a structure (from `BVar.view`) are kept sparse, as a `Partial` that maps
child positions to gradients, and only made whole (`finalize`) when something needs all of it.
This keeps `p.view(lambda m: m.w1)` from allocating a zero copy of every other parameter.

Two seams serve the rest of typedprop:

- The one walk: `flatten` takes a structure apart into its leaves and a `Treedef` (its
  containers), `unflatten` puts leaves back, `flatten_up_to` takes a second structure apart at
  the places of the first's leaves (a gradient, a parameter's twin), and a `Path` (child
  positions) names a place, shown in error messages by `show_path`. All run in linear time. The
  optimizers, `testing`, tracing and the engine walk structures through these alone.
- The one way to arrays: `array_kind(x)` answers whether a leaf is an array and holds what
  typedprop asks of one (`_ArrayKind`: differentiated or not, shape, dtype, zero, add, fit,
  memory, and the library's `module`, which `array_module` gives the ops): numpy's, and one
  `ArrayApiArrays` per other library (`backends` says which); hot paths test
  `type(x) is np.ndarray` before it.

Internal: users import `Backprop` and `register_backprop` from `typedprop`.
"""

import collections
import dataclasses
import importlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol, Self, TypeVar, cast, runtime_checkable

import numpy as np

from .backends import library_of_type, namespace
from .errors import CheckError

__all__ = [
    "Backprop",
    "Mismatch",
    "Partial",
    "Path",
    "StructureMismatch",
    "Treedef",
    "accumulate",
    "array_ids",
    "array_kind",
    "array_module",
    "check_supported",
    "describe",
    "finalize",
    "fit",
    "flatten",
    "flatten_up_to",
    "is_container",
    "kind_of",
    "leaf_paths",
    "one",
    "refused_leaf",
    "register_backprop",
    "resolve_path",
    "show_path",
    "structure",
    "unflatten",
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

    def index(self, x: Any, access: "_Access") -> int:
        raise NotImplementedError

    def label(self, x: Any, i: int) -> str:
        """How error messages name child `i` of `x`."""
        return f"[{i}]"


def describe(g: Any) -> str:
    """A value in words for error messages: an array's shape and dtype, else its type."""
    array = array_kind(g)
    if array is not None:
        return array.describe(g)
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
        array = array_kind(g)
        if array is not None:
            if array.shape(g) != ():
                raise Mismatch(f"got {describe(g)}, expected a scalar")
            g = array.scalar(g)
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


class _ArrayKind(_Kind):
    """Arrays of one array library: everything typedprop asks of an array leaf, answered here
    and nowhere else (`array_kind` finds an array's kind). numpy's is `_NumpyArrays`; the
    libraries `backends` names (PyTorch, JAX, CuPy, array-api-strict) are `ArrayApiArrays`,
    made when their first array is seen; another array type joins with a subclass and
    `_register_array_kind`. Only floating and complex arrays are differentiated; the others are
    constants."""

    #: The library's array module (numpy's own, or its array API namespace): what an op
    #: computes with for arrays of this kind (see `array_module`).
    module: Any = None
    #: The library's name, as messages show it: "numpy", "torch", "jax", ...
    library: str = ""

    def differentiable(self, x: Any) -> bool:
        """Whether `x` takes a gradient: a floating or complex array."""
        raise NotImplementedError

    def floating(self, x: Any) -> bool:
        """Whether `x` is a real floating array (what the optimizers update)."""
        raise NotImplementedError

    def shape(self, x: Any) -> tuple[int, ...]:
        raise NotImplementedError

    def dtype(self, x: Any) -> Any:
        raise NotImplementedError

    def scalar(self, x: Any) -> Any:
        """The element of the 0-d array `x`, as its library's scalar (a Python number for a
        library without scalars of its own)."""
        raise NotImplementedError

    def device(self, x: Any) -> Any:
        """The device `x` is on ("cpu" for numpy's)."""
        return "cpu"

    def to_numpy(self, x: Any) -> Any:
        """A numpy array with `x`'s values, on the host (what a checkpoint stores)."""
        return np.asarray(x)

    def numpy_dtype(self, x: Any) -> np.dtype[Any]:
        """numpy's dtype of the same name as `x`'s."""
        dtype: np.dtype[Any] = np.dtype(x.dtype)
        return dtype

    def from_numpy(self, a: Any, like: Any) -> Any:
        """The numpy array `a` as an array of `like`'s library, dtype and device."""
        return a

    def as_type_of(self, a: Any, like: Any, gradient: bool) -> Any:
        """`a` as an array of `like`'s own type (see `ArrayApiArrays.as_type_of`); `a` itself
        for numpy's arrays, whose gradients and updates are made of `like`'s type."""
        return a

    def memory(self, x: Any) -> tuple[int, int]:
        """The ids of `x` and of the array that owns its memory (`x` itself unless a view)."""
        raise NotImplementedError

    def unshared(self, g: Any, handed_out: set[int]) -> Any:
        """`g`, or a copy of it if it is read-only or its memory was handed out already (ids in
        `handed_out`, to which `g`'s are added)."""
        raise NotImplementedError

    def describe(self, x: Any) -> str:
        return f"an array of shape {self.shape(x)} and dtype {self.dtype(x)}"


class _NumpyArrays(_ArrayKind):
    """numpy arrays and ndarray subclasses."""

    module = np
    library = "numpy"

    def differentiable(self, x: Any) -> bool:
        return x.dtype.kind in "fc"

    def floating(self, x: Any) -> bool:
        kind: str = x.dtype.kind
        return kind == "f"

    def shape(self, x: Any) -> tuple[int, ...]:
        shape: tuple[int, ...] = x.shape
        return shape

    def dtype(self, x: Any) -> Any:
        return x.dtype

    def scalar(self, x: Any) -> Any:
        return x[()]

    def memory(self, x: Any) -> tuple[int, int]:
        return id(x), id(_root(x))

    def unshared(self, g: Any, handed_out: set[int]) -> Any:
        return _unshared(g, handed_out)

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


class ArrayApiArrays(_ArrayKind):
    """The arrays of one library other than numpy (PyTorch, JAX, CuPy, array-api-strict),
    handled through its array API namespace (see `backends`)."""

    def __init__(self, library: str) -> None:
        self.library = library
        self.module = namespace(library)
        self._compat = importlib.import_module("array_api_compat")
        # JAX's arrays are immutable: a gradient handed out twice cannot be changed through
        # the other, so none is copied.
        self._mutable = library != "jax"
        # By dtype: whether it is floating (real), and differentiable (real or complex). The
        # namespace's `isdtype` is Python (array-api-compat's), asked about every value of
        # every op's call and every gradient: a dict answers in a tenth of the time.
        self._floating: dict[Any, bool] = {}
        self._differentiable: dict[Any, bool] = {}

    def differentiable(self, x: Any) -> bool:
        dtype = x.dtype
        known = self._differentiable.get(dtype)
        if known is None:
            known = self._differentiable[dtype] = bool(
                self.module.isdtype(dtype, ("real floating", "complex floating"))
            )
        return known

    def floating(self, x: Any) -> bool:
        dtype = x.dtype
        known = self._floating.get(dtype)
        if known is None:
            known = self._floating[dtype] = bool(self.module.isdtype(dtype, "real floating"))
        return known

    def shape(self, x: Any) -> tuple[int, ...]:
        return tuple(x.shape)

    def dtype(self, x: Any) -> Any:
        return x.dtype

    def device(self, x: Any) -> Any:
        if self.library == "torch":
            # What array-api-compat's `device` returns for a tensor, without its Python: a
            # graph's key reads the device of every parameter at every call.
            return x.device
        return self._compat.device(x)

    def scalar(self, x: Any) -> Any:
        # A Python number: the libraries' 0-d arrays are their scalars (a host round trip).
        return float(x) if self.floating(x) else int(x)

    def memory(self, x: Any) -> tuple[int, int]:
        base = getattr(x, "_base", None)  # a torch view's owner
        return id(x), id(x if base is None else base)

    def unshared(self, g: Any, handed_out: set[int]) -> Any:
        ids = self.memory(g)
        if self._mutable and (ids[0] in handed_out or ids[1] in handed_out):
            g = self.module.asarray(g, copy=True)
            ids = self.memory(g)
        handed_out.update(ids)
        return g

    def zero(self, x: Any) -> Any:
        return self.coerce(self.module.zeros_like(x), x)

    def add(self, a: Any, b: Any) -> Any:
        if not self.differentiable(a):
            return a
        return a + b

    def one(self, x: Any) -> Any:
        xp = self.module
        return xp.ones_like(x) if self.differentiable(x) else xp.zeros_like(x)

    def fit(self, g: Any, x: Any) -> Any:
        if not self.differentiable(x):
            return None
        kind = array_kind(g)
        if kind is not self:
            if tuple(x.shape) == () and isinstance(g, int | float) and not isinstance(g, bool):
                return self.module.asarray(g, dtype=x.dtype, device=self.device(x))
            raise Mismatch(f"got {describe(g)}, expected {self.describe(x)}")
        if tuple(g.shape) != tuple(x.shape):
            raise Mismatch(f"got shape {tuple(g.shape)}, expected {tuple(x.shape)}")
        if g.dtype != x.dtype:
            raise Mismatch(f"got dtype {g.dtype}, expected {x.dtype}")
        if getattr(g, "device", None) != getattr(x, "device", None):  # the cheap test first
            gd, xd = self.device(g), self.device(x)
            if gd != xd and gd is not None and xd is not None:  # None: a tracer's (jax.jit)
                raise Mismatch(f"got an array on {gd}, expected {xd}")
        return g

    def coerce(self, g: Any, x: Any) -> Any:
        return g if type(g) is type(x) else self.as_type_of(g, x, gradient=True)

    def as_type_of(self, a: Any, like: Any, gradient: bool) -> Any:
        """`a`, an array of this library, as one of `like`'s own type where that is a subclass
        of the library's array type (a `torch.nn.Parameter`, whose gradient, update or saved
        value would otherwise come back a plain `Tensor`): a view, no copy. Unless `a` is a
        `gradient`, it requires grad where `like` does, as a parameter it replaces (a
        gradient never does: it holds no PyTorch graph)."""
        if self.library != "torch":
            return a  # (JAX's tracers and arrays, CuPy's and array-api-strict's: one type each)
        trainable = not gradient and like.requires_grad and not a.requires_grad
        if trainable:
            a = a.detach()  # a tensor object of its own: the caller's `a` keeps its flag
        if type(a) is not type(like):
            a = a.as_subclass(type(like))
        return a.requires_grad_(True) if trainable else a

    def to_numpy(self, x: Any) -> Any:
        """A numpy copy of `x`, on the host (what a checkpoint stores)."""
        if self.library == "torch":
            return x.detach().cpu().numpy()
        if self.library == "cupy":
            return x.get()
        return np.asarray(x)

    def numpy_dtype(self, x: Any) -> np.dtype[Any]:
        """numpy's dtype of the same name as `x`'s (torch.float32 is float32)."""
        return np.dtype(str(x.dtype).rpartition(".")[2])

    def from_numpy(self, a: Any, like: Any) -> Any:
        """The numpy array `a` as a new array of `like`'s library, dtype and device."""
        new = self.module.asarray(a, dtype=like.dtype, device=self.device(like), copy=True)
        return self.as_type_of(new, like, gradient=False)

    def describe(self, x: Any) -> str:
        return f"a {self.library} array of shape {tuple(x.shape)} and dtype {x.dtype}"


_kinds: dict[str, ArrayApiArrays] = {}


def library_kind(cls: type) -> ArrayApiArrays | None:
    """The kind of the arrays of type `cls` if they are of a library typedprop computes with
    (one kind per library, made the first time), else None."""
    library = library_of_type(cls)
    if library is None:
        return None
    kind = _kinds.get(library)
    if kind is None:
        kind = _kinds[library] = ArrayApiArrays(library)
    return kind


def array_kind(x: object) -> _ArrayKind | None:
    """The kind of `x` if it is an array of a library typedprop knows (of a subclass too), else
    None: the one question that tells an array leaf."""
    t = type(x)
    if t is np.ndarray:
        return _NUMPY
    cache = _array_cache
    try:
        return cache[t]
    except KeyError:
        kind = cache[t] = _array_base_kind(t)
        return kind


def array_module(*values: object) -> Any:
    """The array module an op computes with for these inputs: the module of the first array
    among them whose kind is known (`_ArrayKind.module`), numpy for numpy arrays, numbers and
    anything else. The one hook through which ops reach another array library; numpy's inputs
    answer at the first type test."""
    for x in values:
        if type(x) in _NUMPY_NATIVE:
            continue
        kind = array_kind(x)
        if kind is not None and kind.module is not np:
            return kind.module
    return np


# What `array_module` answers numpy for at one test: numpy's arrays, Python's numbers and the
# numpy scalars that ops give back (np.sin of a float is an np.float64).
_NUMPY_NATIVE = frozenset({np.ndarray, float, int, bool, np.float64, np.float32, np.int64})


def _array_base_kind(cls: type) -> _ArrayKind | None:
    for base, kind in _array_bases.items():
        if issubclass(cls, base):
            return kind
    if cls.__module__ in _NOT_LIBRARIES:
        return None
    return library_kind(cls)  # another array library's (PyTorch, JAX, ...), or None


# Modules whose types are known not to be arrays of another library: the common leaves' and
# structures', which `_array_base_kind` need not look up.
_NOT_LIBRARIES = frozenset({"builtins", "numpy", "fractions", "decimal", "collections"})


def _register_array_kind(base: type, kind: _ArrayKind) -> None:
    """Handle the arrays of type `base` and its subclasses with `kind`: how an array type that
    `backends` does not name joins typedprop (the tests' toy arrays do)."""
    global _array_cache, _cache
    _array_bases[base] = kind
    _array_cache = {}
    _cache = dict(_BUILTIN)
    _PLANS.clear()  # made with the kinds of the cache before
    _MADE.clear()


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


# One access a view's getter made, as `PathRecorder` records it: ("attr", name) or ("item", key).
_Access = tuple[str, Any]


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

    def index(self, x: Any, access: _Access) -> int:
        how, key = access
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

    def index(self, x: Any, access: _Access) -> int:
        how, key = access
        if how == "attr":
            fields: tuple[str, ...] = type(x)._fields
            if key not in fields:
                raise Mismatch(f"{type(x).__name__} has no field {key!r}")
            return fields.index(key)
        return super().index(x, access)


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

    def index(self, x: Any, access: _Access) -> int:
        how, key = access
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

    def index(self, x: Any, access: _Access) -> int:
        how, key = access
        if how != "attr" or key not in self.names:
            what = f"field {key!r}" if how == "attr" else f"item [{key!r}]"
            raise Mismatch(f"{type(x).__name__} has no {what}")
        return self.names.index(key)


_SCALAR, _CONSTANT, _NUMPY, _SEQUENCE, _DICT = (
    _Scalar(),
    _Constant(),
    _NumpyArrays(),
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
    np.ndarray: _NUMPY,
    tuple: _SEQUENCE,
    list: _SEQUENCE,
    dict: _DICT,
}
_registered: dict[type, _Kind] = {}
_cache: dict[type, _Kind] = dict(_BUILTIN)
# The array kinds by the base class of their arrays, and `array_kind`'s answers by exact type.
_array_bases: dict[type, _ArrayKind] = {np.ndarray: _NUMPY}
_array_cache: dict[type, _ArrayKind | None] = {np.ndarray: _NUMPY}


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
    _PLANS.clear()  # made with the kinds of the cache before
    _MADE.clear()


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
    array = _array_base_kind(cls)
    if array is not None:
        return array
    if issubclass(cls, np.floating | np.complexfloating | float):
        return _SCALAR  # float's subclasses too
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
# The walk: a structure's leaves, and the containers to put them back in
# ---------------------------------------------------------------------------------------------

Path = tuple[int, ...]
"""A place in a structure: the child positions that lead to it from the root, in the order of
each container's kind (`BVar.view` records the same)."""

Treedef = tuple[_Kind, Any, tuple["Treedef", ...]] | None
"""The containers of a structure without its leaves: what `flatten` gives besides the leaves,
and what `unflatten` puts leaves back into. At a leaf's place `LEAF` (None); at a container's
the tuple `(kind, container, children's treedefs)`, the container kept because rebuilding needs
its type (and a dict's keys). Plain tuples: the walk runs on every backprop call and replay,
and a tuple is built and taken apart faster than an object."""

LEAF: Treedef = None


class _Unknown(_Kind):
    """The walk's stand-in kind for a value typedprop has no kind for, where such values are
    leaves (`flatten(..., unknown_leaves=True)`); never handed out by `kind_of`."""


_UNKNOWN = _Unknown()


def flatten(x: object, *, unknown_leaves: bool = False) -> tuple[list[Any], Treedef]:
    """The leaves of `x` in order (depth first, each container's children in its kind's order)
    and its `Treedef`. A value typedprop cannot handle raises TypeError, naming its type; with
    `unknown_leaves` it is a leaf instead (for values that are not parameters: data, an op's
    constants).

    !!! example
        ```python
        >>> import numpy as np
        >>> from typedprop._core.structures import flatten, unflatten
        >>> leaves, treedef = flatten({"w": np.ones(2), "b": (0.5, 3)})
        >>> leaves
        [array([1., 1.]), 0.5, 3]
        >>> unflatten(treedef, [np.zeros(2), 1.5, 4])
        {'w': array([0., 0.]), 'b': (1.5, 4)}
        ```
    """
    leaves: list[Any] = []
    kind = _cache.get(type(x)) or _new_kind(x, unknown_leaves)
    if kind.is_leaf:
        leaves.append(x)
        return leaves, LEAF
    return leaves, _flatten(x, kind, leaves, unknown_leaves)


def _new_kind(x: object, unknown_leaves: bool) -> _Kind:
    """`kind_of(x)` for a type not seen yet; `_UNKNOWN` for one typedprop cannot handle, if
    `unknown_leaves`."""
    try:
        return kind_of(x)
    except TypeError:
        if not unknown_leaves:
            raise
        return _UNKNOWN


def kind_or_unknown(x: object) -> _Kind:
    """The kind of `x` as `flatten(..., unknown_leaves=True)` sees it: a leaf kind for a value
    typedprop cannot handle (for walks of their own over data)."""
    return _cache.get(type(x)) or _new_kind(x, True)


def _flatten(x: Any, kind: _Kind, leaves: list[Any], unknown_leaves: bool) -> Treedef:
    # Leaves are handled in the loop, without a call each: most places are leaves.
    cache = _cache
    children: list[Treedef] = []
    for c in kind.children(x):
        ck = cache.get(type(c)) or _new_kind(c, unknown_leaves)
        if ck.is_leaf:
            leaves.append(c)
            children.append(LEAF)
        else:
            children.append(_flatten(c, ck, leaves, unknown_leaves))
    return (kind, x, tuple(children))


def unflatten(treedef: Treedef, leaves: Sequence[Any]) -> Any:
    """The structure of `treedef` with `leaves` at its leaves, in `flatten`'s order: every
    container rebuilt (new objects of the same types), the leaves as given."""
    it = iter(leaves)
    try:
        rebuilt = next(it) if treedef is None else _unflatten(treedef, it)
    except StopIteration:
        raise ValueError(f"unflatten: too few leaves ({len(leaves)})") from None
    if next(it, it) is not it:
        raise ValueError(f"unflatten: too many leaves ({len(leaves)})")
    return rebuilt


def _unflatten(treedef: Treedef, leaves: Iterator[Any]) -> Any:
    assert treedef is not None  # leaves are handled by the caller
    kind, node, children = treedef
    return kind.rebuild(
        node, [next(leaves) if c is None else _unflatten(c, leaves) for c in children]
    )


def structure(treedef: Treedef) -> object:
    """The structure as a hashable value that holds no container (a record's key): equal for
    structures of the same shape, each container's type (and a dict's keys) with its
    children's, None for a leaf."""
    if treedef is None:
        return None
    _, node, children = treedef
    keys = tuple(node) if isinstance(node, dict) else None
    return (type(node), keys, tuple([None if c is None else structure(c) for c in children]))


class StructureMismatch(Mismatch):
    """Raised by `flatten_up_to` where the second structure has another container than the
    first: the message says what differs (`is a list, expected a tuple`), `path` where, and
    `parts` holds the parts found before that place (so that a caller checking the leaves in
    order can report an earlier leaf first)."""

    def __init__(self, message: str, path: Path, parts: list[Any]) -> None:
        super().__init__(message)
        self.path = path
        self.parts = parts


def flatten_up_to(treedef: Treedef, y: object) -> list[Any]:
    """The parts of `y` at the places of `treedef`'s leaves, in `flatten`'s order: `y` must
    have `treedef`'s containers (of the same types, with as many children), whatever its parts
    at the leaves are. Raises `StructureMismatch` at the first place (depth first) that
    differs."""
    parts: list[Any] = []
    if treedef is None:
        parts.append(y)
        return parts
    try:
        _up_to(treedef, y, parts)
    except StructureMismatch as e:
        e.parts = parts
        raise
    return parts


def _up_to(treedef: Treedef, y: Any, parts: list[Any]) -> None:
    assert treedef is not None  # leaves are handled by the caller
    kind, node, children = treedef
    if type(y) is not type(node):
        raise StructureMismatch(
            f"is a {type(y).__name__}, expected a {type(node).__name__}", (), parts
        )
    ys = kind.children(y)
    if len(ys) != len(children):
        raise StructureMismatch(
            f"has {len(ys)} part{'s' * (len(ys) != 1)}, expected {len(children)}", (), parts
        )
    for i, (c, yc) in enumerate(zip(children, ys, strict=True)):
        if c is None:
            parts.append(yc)
            continue
        try:
            _up_to(c, yc, parts)
        except StructureMismatch as e:
            e.path = (i, *e.path)
            raise


def _finalize_parts(x: Any, kind: _Kind, g: Any, unshare: set[int] | None, refit: bool) -> Any:
    """`finalize` of the container `x` (of kind `kind`) from its accumulated gradient `g` (a
    `Partial` or whole, not None): one walk that takes `g` apart as it goes and rebuilds each
    container on the way back, without a treedef. Types are not checked (the engine made the
    gradient of these very containers). A part without a gradient (None, or left out of a
    `Partial`) is not entered: its zero is made whole (a view of one parameter among many
    walks the path to it, not every other parameter)."""
    cache = _cache
    xs = kind.children(x)
    gs: Any = map(g.parts.get, range(len(xs))) if type(g) is Partial else kind.children(g)
    out: list[Any] = []
    for c, gc in zip(xs, gs, strict=True):
        if gc is None:
            out.append(zero(c))
        elif type(c) is np.ndarray or (ck := cache.get(type(c)) or kind_of(c)).is_leaf:
            out.append(finalize(c, gc, unshare, refit))
        else:
            out.append(_finalize_parts(c, ck, gc, unshare, refit))
    return kind.rebuild(x, out)


def leaf_paths(treedef: Treedef) -> list[Path]:
    """The path of each leaf, in `flatten`'s order (for error messages: paths are not built on
    the way)."""
    return [path for path, place in _places(treedef, ()) if place is None]


def show_path(treedef: Treedef, path: Path) -> str:
    """`path` as error messages show it, each step as its container names its child: `[0]`,
    `['key']`, `.field` (prefixed by the caller: `x[0].w`)."""
    shown = []
    for i in path:
        assert treedef is not None  # a path leads through containers
        kind, node, children = treedef
        shown.append(kind.label(node, i))
        treedef = children[i]
    return "".join(shown)


def _places(treedef: Treedef, path: Path) -> Iterator[tuple[Path, Treedef]]:
    """Every place of `treedef`, containers and leaves, depth first, with its path."""
    yield path, treedef
    if treedef is not None:
        for i, c in enumerate(treedef[2]):
            yield from _places(c, (*path, i))


# The dtype kinds of the arrays typedprop takes: booleans, integers (both constants) and floats.
REAL_KINDS = "biuf"

COMPLEX = "complex"
NOT_NUMBERS = "not numbers"
_NUMPY_VALUES = (np.ndarray, np.generic)


def refused_leaf(x: object) -> str | None:
    """Whether typedprop refuses the leaf `x`, and why: `COMPLEX` for a complex number or array
    (numpy's scalars and ndarray subclasses too), `NOT_NUMBERS` for an array or numpy scalar of
    a dtype that holds no numbers (object, strings, bytes, datetimes, void); None otherwise
    (other checks judge other values)."""
    t = type(x)
    if t is float:
        return None
    if t is np.ndarray or isinstance(x, _NUMPY_VALUES):
        kind = x.dtype.kind  # type: ignore[attr-defined]  # an array or a numpy scalar
        if kind in REAL_KINDS:
            return None
        return COMPLEX if kind == "c" else NOT_NUMBERS
    if isinstance(x, complex):
        return COMPLEX
    array = array_kind(x)
    if array is not None and not array.floating(x) and array.differentiable(x):
        return COMPLEX
    return None


def refusal(x: object) -> str:
    """Why the leaf `x` is refused, for a message (`refused_leaf(x)` is not None)."""
    if refused_leaf(x) == COMPLEX:
        return f"complex values are not supported yet (found {describe(x)})"
    return (
        f"typedprop cannot differentiate {describe(x)}: arrays must hold numbers (float arrays "
        "are differentiated, integer and boolean ones are constants)"
    )


def is_container(x: object) -> bool:
    """Whether `x` is a structure typedprop takes apart (a tuple, list, dict, NamedTuple,
    dataclass), not a leaf; False for a type typedprop cannot handle."""
    kind = _cache.get(type(x))
    if kind is None:
        try:
            kind = kind_of(x)
        except TypeError:
            return False
    return not kind.is_leaf


def check_supported(x: object, where: str) -> None:
    """Raise TypeError, naming the part, if typedprop cannot handle some part of `x`: before a
    backprop call runs, not from deep inside its sweep. A complex leaf or an array of no numbers
    (`refused_leaf`) is a CheckError."""
    t = type(x)
    if t is float or (t is np.ndarray and x.dtype.kind in REAL_KINDS):  # type: ignore[attr-defined]  # an ndarray
        return  # the common parameters, one array or number
    kind = _cache.get(t)
    if kind is not None and kind.is_leaf:
        if refused_leaf(x) is None:
            return  # another number, or None
        raise CheckError(f"{where}: {refusal(x)}")
    if kind is not None and _supported(x, kind):
        return
    # Something is wrong: find the first part (depth first) that typedprop cannot handle, a
    # type it does not know, a refused leaf or a dict subclass it cannot rebuild.
    leaves, treedef = flatten(x, unknown_leaves=True)
    found = iter(leaves)
    for path, place in _places(treedef, ()):
        at = f" at x{show_path(treedef, path)}" if path else ""
        try:
            if place is None:
                leaf = next(found)
                kind_of(leaf)
                if refused_leaf(leaf) is not None:
                    raise CheckError(f"{where}{at}: {refusal(leaf)}")
            elif type(place[1]) is not dict and isinstance(place[0], _Dict):
                place[0].rebuild(place[1], place[0].children(place[1]))
        except CheckError:
            raise
        except TypeError as e:
            raise TypeError(f"{where}{at}: {e}") from None


def _supported(x: Any, kind: _Kind) -> bool:
    """The quick test of `check_supported` for the container `x` of a known kind: one walk,
    True if every part is a known kind, no leaf is refused and no dict is a subclass (rebuilt
    from a copy); False sends the caller to the slow path that finds what is wrong."""
    if isinstance(kind, _Dict) and type(x) is not dict:
        return False
    cache = _cache
    for c in kind.children(x):
        t = type(c)
        if t is np.ndarray:
            if c.dtype.kind not in REAL_KINDS:
                return False
            continue
        ck = cache.get(t)
        if ck is None:
            return False  # not seen yet: the slow path classifies it
        if ck.is_leaf:
            if t is not float and refused_leaf(c) is not None:
                return False
        elif not _supported(c, ck):
            return False
    return True


# ---------------------------------------------------------------------------------------------
# Sparse gradients of parts
# ---------------------------------------------------------------------------------------------


class Partial:
    """A gradient of a container given only at some child positions; the rest are zero."""

    __slots__ = ("parts",)

    def __init__(self, parts: dict[int, object]) -> None:
        self.parts = parts

    @staticmethod
    def nest(path: Path, g: object) -> object:
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
        return _NUMPY.add(a, b)  # the common case, without `kind_of`
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
    if type(x) is np.ndarray:
        return set(_NUMPY.memory(x))  # the common seeds, without a walk
    kind = _cache.get(type(x))
    if kind is _SCALAR or kind is _CONSTANT:
        return set()
    ids: set[int] = set()
    for leaf in flatten(x, unknown_leaves=True)[0]:
        array = array_kind(leaf)
        if array is not None:
            ids.update(array.memory(leaf))
    return ids


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
        if unshare is not None:
            array = array_kind(g)
            if array is not None:
                # Before coerce: an ndarray subclass's gradient is a view of this array.
                g = array.unshared(g, unshare)
        result: T = kind.coerce(g, x)
        return result
    rebuilt: T = _finalize_parts(x, kind, g, unshare, refit)
    return rebuilt


#: The accumulated gradients of a sweep's nodes, by position: all of them (a list) or some.
Grads = Sequence[object] | Mapping[int, object]


def assemble(
    xs: Sequence[Any],
    leaves: Sequence[int],
    grad_of: Grads,
    parts: dict[int, list[tuple[int, Path]]],
    unshare: set[int] | None = None,
    refit: bool = False,
) -> tuple[Any, ...]:
    """`finalize` of each parameter in `xs`, nodes `leaves`, from a sweep over a tape that
    split parameters (see `Tape.part`): `grad_of` holds the accumulated gradient of each
    parameter's node and each part's, by position, `parts` each whole's parts (the part's
    node, its path).
    A whole taken apart item by item once (`unpack`, `sequence`) and not used whole is
    rebuilt from its items' gradients directly; any other mix of parts and whole is put
    together as the view nodes' Partials would have been. `unshare` and `refit` as for
    `finalize`; a recorded graph's sweep gives its parameter's parts too (`Record.parts`)."""
    plan = _plan_for(xs, leaves, parts)
    if plan is not None:
        assembled: tuple[Any, ...] | None = plan(xs, grad_of, unshare, refit)
        if assembled is not None:
            return assembled
    # Module functions, not closures: a recursive closure is a reference cycle, which would
    # keep the gradients alive until the garbage collector runs.
    return tuple(
        _assembled(x, i, grad_of, parts, unshare, refit) for x, i in zip(xs, leaves, strict=True)
    )


# ---------------------------------------------------------------------------------------------
# Assembly plans: `assemble` for one layout, as generated code
# ---------------------------------------------------------------------------------------------
#
# A training loop assembles the same structure from the same parts at every step (`unpack` of
# the parameters, then of each layer): the generic walk costs the MNIST network's step about a
# tenth of its instructions, more than the sweep's own bookkeeping. So the walk for one layout
# (the parameters' leaves and parts, and the containers' types) is made once as straight-line
# code, which takes each whole apart with its kind, checks each part's gradient inline as
# `_assembled` does and rebuilds each whole with its kind. It covers the layout `_assembled`'s
# fast path covers (every whole taken apart item by item once, in order, and not used whole);
# it returns None, before touching anything, where a call's values do not fit it (another
# container type, another number of items, a whole's own gradient), and the generic walk runs.

#: The plans made, by the types of the parameters: (leaves, parts, plan or None), the most
#: recently used last. A few per key: one program may differentiate several layouts of one
#: type.
_PLANS: dict[tuple[type, ...], list[tuple[Sequence[int], dict[int, list[Any]], Any]]] = {}
_PLANS_PER_KEY = 8
#: How many layouts have been made per key. A program whose layouts keep changing (the nodes
#: of the parts move with the ops before an `unpack`, say an encoder over inputs of varying
#: length) would make a plan at every call: past this many a key gets no more, and its new
#: layouts take the generic walk.
_MADE: dict[tuple[type, ...], int] = {}
_MADE_PER_KEY = 4 * _PLANS_PER_KEY
#: The code of every namedtuple's own `_make` (a class that overrides it is rebuilt by it).
_MAKE_CODE = collections.namedtuple("_Probe", "a")._make.__code__  # type: ignore[attr-defined]  # namedtuple's classmethod


def _plan_for(
    xs: Sequence[Any], leaves: Sequence[int], parts: dict[int, list[tuple[int, Path]]]
) -> Any:
    """The generated `assemble` for this layout (made on first use), or None where it has none
    (no parts, a layout only the generic walk handles, or a key of too many layouts)."""
    if not parts:
        return None
    key = tuple([type(x) for x in xs])
    plans = _PLANS.get(key)
    if plans is None:
        plans = _PLANS[key] = []
    nodes = tuple(leaves)
    for k, (known_leaves, known_parts, plan) in enumerate(plans):
        # (C's comparisons of small lists of int pairs: below a microsecond.)
        if known_leaves == nodes and known_parts == parts:
            if k != len(plans) - 1:
                plans.append(plans.pop(k))  # the most recently used last
            return plan
    made = _MADE.get(key, 0)
    if made >= _MADE_PER_KEY:
        return None
    _MADE[key] = made + 1
    # (A layout that no plan fits is kept as None, and tried no more: the generic walk
    # assembles it, as fast as before plans.)
    plan = _make_plan(xs, leaves, parts)
    if len(plans) >= _PLANS_PER_KEY:
        del plans[0]
    plans.append((nodes, {k: list(v) for k, v in parts.items()}, plan))
    return plan


def _make_plan(
    xs: Sequence[Any], leaves: Sequence[int], parts: dict[int, list[tuple[int, Path]]]
) -> Any:
    """The plan for the layout of `xs` (as generated code), or None."""
    ns: dict[str, Any] = {
        "ndarray": np.ndarray,
        "finalize": finalize,
        "unshared": _unshared,
        "tuple_new": tuple.__new__,
    }
    checks: list[str] = []  # taking the wholes apart, and the tests that the layout fits
    body: list[str] = []  # the leaves' gradients and the wholes rebuilt
    counter = [0]

    def fresh(prefix: str) -> str:
        counter[0] += 1
        return f"{prefix}{counter[0]}"

    def walk(x: Any, name: str, node: int) -> str | None:
        """The name of the gradient of `x` (held in `name`, node `node`), or None."""
        items = parts.get(node)
        if items is None:
            g = fresh("g")
            if type(x) is np.ndarray and x.dtype.kind in "fc":
                # `finalize`'s common leaf, inline, as in `_assembled`.
                body.extend(
                    [
                        f"{g} = grads[{node}]",
                        f"if (type({g}) is ndarray and type({name}) is ndarray and "
                        f"{g}.dtype == {name}.dtype and {g}.shape == {name}.shape and "
                        f"{name}.dtype.kind in 'fc'):",
                        # `_unshared`'s common case inline: an array of its own memory.
                        "    if unshare is not None:",
                        f"        if ({g}.base is None and {g}.flags.writeable and "
                        f"id({g}) not in unshare): unshare.add(id({g}))",
                        f"        else: {g} = unshared({g}, unshare)",
                        f"else: {g} = finalize({name}, {g}, unshare, refit)",
                    ]
                )
            else:
                body.append(f"{g} = finalize({name}, grads[{node}], unshare, refit)")
            return g
        try:
            # (`kind_of`, not the cache alone: a type first met here, say by a caller that did
            # not look at the parameters first, would leave its layout planless for good.)
            kind = kind_of(x)
        except TypeError:
            return None
        n = len(items)
        if not n or kind.is_leaf or tuple([p for _, p in items]) != item_paths(n):
            return None  # (an empty whole, `unpack` of `()`, is the generic walk's)
        children = kind.children(x)
        if len(children) != n:
            return None
        t, k = fresh("T"), fresh("K")
        ns[t], ns[k] = type(x), kind
        names = [fresh("x") for _ in range(n)]
        checks.append(f"if type({name}) is not {t} or grads[{node}] is not None: return None")
        if type(kind) is _Sequence or type(kind) is _NamedTuple:
            checks.append(f"if len({name}) != {n}: return None")
            checks.append(f"{', '.join(names)}, = {name}")
        else:
            c = fresh("c")
            checks.append(f"{c} = {k}.children({name})")
            checks.append(f"if len({c}) != {n}: return None")
            checks.append(f"{', '.join(names)}, = {c}")
        grads = []
        for child, child_name, (part, _) in zip(children, names, items, strict=True):
            got = walk(child, child_name, part)
            if got is None:
                return None
            grads.append(got)
        whole = fresh("g")
        if type(x) is tuple:
            body.append(f"{whole} = ({', '.join(grads)},)")
        elif type(kind) is _NamedTuple and type(x)._make.__code__ is _MAKE_CODE:
            # What `_NamedTuple.rebuild` does (`_make`, namedtuple's own), without its frame.
            body.append(f"{whole} = tuple_new({t}, ({', '.join(grads)},))")
        else:
            body.append(f"{whole} = {k}.rebuild({name}, [{', '.join(grads)}])")
        return whole

    results = []
    for i, (x, node) in enumerate(zip(xs, leaves, strict=True)):
        checks.append(f"p{i} = xs[{i}]")
        got = walk(x, f"p{i}", node)
        if got is None:
            return None
        results.append(got)
    lines = ["def assemble(xs, grads, unshare, refit):"]
    lines += [f"    {line}" for line in [*checks, *body, f"return ({', '.join(results)},)"]]
    code = compile("\n".join(lines) + "\n", "<typedprop assemble>", "exec")
    exec(code, ns)
    return ns["assemble"]


def item_paths(n: int) -> tuple[tuple[int], ...]:
    """The paths of the items of a tuple or list of `n` items taken apart in order (`unpack`,
    `sequence`): shared tuples for the common lengths."""
    return _ITEM_PATHS[n] if n < len(_ITEM_PATHS) else tuple((k,) for k in range(n))


_ITEM_PATHS = [tuple((k,) for k in range(n)) for n in range(64)]


def _assembled(
    x: Any,
    i: int,
    grad_of: Grads,
    parts_of: dict[int, list[tuple[int, Path]]],
    unshare: set[int] | None,
    refit: bool,
) -> Any:
    """The whole gradient of `x`, node `i` (see `assemble`)."""
    items = parts_of.get(i)
    if items is None:
        return finalize(x, grad_of[i], unshare, refit)
    n = len(items)
    if grad_of[i] is None and tuple([p for _, p in items]) == item_paths(n):
        kind = _cache.get(type(x)) or kind_of(x)
        children = kind.children(x)
        if len(children) == n:  # (so zip needs no `strict`, whose keyword costs a parse)
            out = []
            for c, (part, _) in zip(children, items):  # noqa: B905
                g = grad_of[part]
                if part in parts_of:
                    out.append(_assembled(c, part, grad_of, parts_of, unshare, refit))
                elif (
                    type(g) is np.ndarray
                    and type(c) is np.ndarray
                    and g.dtype == c.dtype
                    and g.shape == c.shape
                    and c.dtype.kind in "fc"
                ):
                    # `finalize`'s common leaf, inline: a call of it per leaf costs the MNIST
                    # network's implicit call about 1% more instructions.
                    out.append(g if unshare is None else _unshared(g, unshare))
                else:
                    out.append(finalize(c, g, unshare, refit))
            return kind.rebuild(x, out)
    return finalize(x, _accumulated(i, grad_of, parts_of), unshare, refit)


def _accumulated(i: int, grad_of: Grads, parts_of: dict[int, list[tuple[int, Path]]]) -> object:
    """Node `i`'s gradient with its parts' put in, as Partials (see `assemble`)."""
    g = grad_of[i]
    for part, path in parts_of.get(i, ()):
        gp = _accumulated(part, grad_of, parts_of)
        if gp is not None:
            g = accumulate(g, Partial.nest(path, gp))
    return g


def _unshared(g: np.ndarray[Any, Any], unshare: set[int]) -> np.ndarray[Any, Any]:
    """`g`, or a copy of it if it is read-only or its memory was handed out already (to another
    gradient, or as the seed; ids in `unshare`, to which `g`'s are added). An op's gradient may
    be a view (a transpose, a reshape, a broadcast `g`): copying only these ensures that
    changing one returned array changes no other."""
    root = g if g.base is None else _root(g)  # (no call for an array of its own)
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
    __slots__ = ("_typedprop_accesses_",)

    def __init__(self, accesses: tuple[_Access, ...] = ()) -> None:
        self._typedprop_accesses_ = accesses

    def __getattr__(self, name: str) -> "PathRecorder":
        return PathRecorder((*self._typedprop_accesses_, ("attr", name)))

    def __getitem__(self, key: object) -> "PathRecorder":
        return PathRecorder((*self._typedprop_accesses_, ("item", key)))

    def __bool__(self) -> bool:
        # The getter runs on this stand-in, not on the value: a branch in it cannot be honoured.
        raise Mismatch(
            "the getter branches on a value; a getter may only select parts (branch on "
            "p.value outside the getter and view each branch's part)"
        )


def _show(accesses: tuple[_Access, ...]) -> str:
    return "x" + "".join(f".{k}" if how == "attr" else f"[{k!r}]" for how, k in accesses)


def resolve_path(x: object, getter: Callable[[Any], object]) -> tuple[Path, object]:
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
    accesses: tuple[_Access, ...] = recorded._typedprop_accesses_
    path: list[int] = []
    value = x
    for n, access in enumerate(accesses):
        kind = kind_of(value)
        if kind.is_leaf:
            raise Mismatch(
                f"{_show(accesses[: n + 1])} goes inside a {type(value).__name__}, which is a "
                "leaf: a view selects parts of tuples, lists, dicts, NamedTuples and "
                "dataclasses; apply ops to the selected leaf instead"
            )
        try:
            i = kind.index(value, access)
        except Mismatch as e:
            raise Mismatch(f"{_show(accesses[: n + 1])}: {e}") from None
        path.append(i)
        value = kind.children(value)[i]
    return tuple(path), value
