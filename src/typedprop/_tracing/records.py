"""The records a graph keeps: keyed by what each depends on, made once per key.

`_Recorded` keeps the records of one function (a `Graph`'s, a `CompiledGraph`'s programs),
looked up by the parameters' and the data's structure, shapes and dtypes; `record_of` makes one
and `_gradient` reads a parameter's gradient from a replay. Both kinds of graph build on this
module, and both kinds of graph with an aux on its `_AuxPlan` and `_record_with_aux`, so
neither imports the other's.

Internal: used by `graph` and `compiled`.
"""

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import numpy as np

from .._backprop import (
    higher_derivative,
    not_a_bvar,
    refuse_bvars,
    split_aux,
)
from .._core.bvar import BVar
from .._core.errors import CheckError, TapeError, TraceError
from .._core.structures import (
    Treedef,
    array_ids,
    array_kind,
    finalize,
    flatten,
    kind_or_unknown,
    unflatten,
)
from .._core.tape import Tape
from .record import make_record
from .replay import Record
from .values import is_traced

X = TypeVar("X")
R = TypeVar("R")


# A graph keeps at most this many records, dropping the oldest: integer data keys records by
# value, and a program may pass endless new values.
_RECORDS_LIMIT = 256


def _record_key(x: Any, data_leaves: list[Any] | None = None, integer_data: bool = False) -> Any:
    """What a record depends on: the structure of `x`, the shapes and dtypes of its float
    arrays and the types of its floats, and the values of its other leaves: an integer or an
    integer array (a size, a label, an index) may be built into an op, so each value gets its
    record. With `data_leaves` (for data), the float leaves are appended to it, in `flatten`'s
    order: the replay reads them there; with `integer_data` too, the integer arrays are data
    as the float ones are, keyed by shape and dtype (see `_Recorded.integer_data`)."""
    t = type(x)
    if t is np.ndarray or t is float:
        return _leaf_key(x, data_leaves, integer_data)  # one array or number: no walk
    # A value typedprop has no structure for (in data) is a leaf, kept by value.
    kind = kind_or_unknown(x)
    if kind.is_leaf:
        return _leaf_key(x, data_leaves, integer_data)
    return _container_key(x, kind, data_leaves, integer_data)


def _container_key(x: Any, kind: Any, data_leaves: list[Any] | None, integer_data: bool) -> Any:
    """`_record_key` of a container, in one walk (no treedef): its type, a dict's keys, and
    its children's keys, leaves in `flatten`'s order. A container's key starts with its type
    and a leaf's with its own, so the two never meet."""
    keys = []
    for c in kind.children(x):
        t = type(c)
        if t is np.ndarray:
            # A parameter's float array, `_leaf_key`'s common case inline: the key is looked
            # up at every call of a graph, a weight and a bias per layer.
            if data_leaves is None and c.dtype.kind == "f":
                keys.append((t, c.shape, c.dtype))
            else:
                keys.append(_leaf_key(c, data_leaves, integer_data))
            continue
        if t is float:
            keys.append(_leaf_key(c, data_leaves, integer_data))
            continue
        ck = kind_or_unknown(c)
        keys.append(
            _leaf_key(c, data_leaves, integer_data)
            if ck.is_leaf
            else _container_key(c, ck, data_leaves, integer_data)
        )
    return (type(x), tuple(x) if isinstance(x, dict) else None, tuple(keys))


def _leaf_key(x: Any, data_leaves: list[Any] | None, integer_data: bool = False) -> Any:
    t = type(x)
    if isinstance(x, np.ndarray):
        if x.dtype.kind != "f" and not (integer_data and x.dtype.kind in "iu"):
            return (t, x.shape, x.dtype, x.tobytes())
        if data_leaves is not None:
            data_leaves.append(x if t is np.ndarray else np.asarray(x))
        return (t, x.shape, x.dtype)
    if isinstance(x, float | np.floating):
        if data_leaves is not None:
            data_leaves.append(x)
        return t
    array = array_kind(x)
    if array is not None:  # another library's array
        shape, dtype = array.shape(x), array.dtype(x)
        # numpy's dtype (several us) only for a leaf that is not floating: labels, not weights.
        if not array.floating(x) and not (
            integer_data and data_leaves is not None and array.numpy_dtype(x).kind in "iu"
        ):
            # An integer array (labels) is kept by value: read back to the host, once a call.
            return (t, shape, dtype, array.to_numpy(x).tobytes())
        if data_leaves is not None:
            data_leaves.append(x)
        return (t, shape, dtype, array.device(x))
    try:
        hash(x)
    except TypeError:
        return (t, _Identity(x))
    return (t, x)


class _Identity:
    """An unhashable leaf in a record's key, compared by identity: the key holds the value, so
    its id cannot pass to another value while the record lives."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __hash__(self) -> int:
        return id(self.value)

    def __eq__(self, other: object) -> bool:
        return type(other) is _Identity and other.value is self.value


class _Recorded(Generic[R]):
    """The records of one function, keyed by what each depends on, traced on first use: what
    `Graph` and `GraphWithAux` share."""

    def __init__(self, f: Callable[..., Any]) -> None:
        self.f = f
        self._records: dict[Any, R] = {}
        self._arity: int | None = None  # how many data arguments the records take
        self._lock = threading.RLock()
        #: Whether the data's integer arrays are data, as the float ones are: read by the ops
        #: at each replay, not built into the record with their values (one record per
        #: value). Only ops' inputs may then be integer data (the labels of a loss): an index
        #: or a setting computed from it is refused at trace time. `typedprop.distributed`
        #: sets it, so that one record serves every block of labels.
        self.integer_data = False

    def __repr__(self) -> str:
        name = getattr(self.f, "__name__", "f")
        n = len(self._records)
        return f"{type(self).__name__}({name}, {n} record{'s' * (n != 1)})"

    def _make(self, x: Any, data: tuple[Any, ...]) -> R:
        """A new record of the function at `x` and `data`."""
        raise NotImplementedError

    def _record_for(self, x: Any, data: tuple[Any, ...], who: str = "trace") -> tuple[R, list[Any]]:
        """The record for `x` and `data` (traced now if there is none yet), and the float
        leaves of the data. `who` names the call in errors."""
        if self._arity is not None and len(data) != self._arity:
            s = "s" * (self._arity != 1)
            raise CheckError(
                f"{getattr(self.f, '__name__', 'f')}: the graph was traced with {self._arity} "
                f"data argument{s}, called with {len(data)}"
            )
        leaves: list[Any] = []
        key = (
            (_record_key(x), _record_key(data, leaves, self.integer_data))
            if data
            else _record_key(x)
        )
        record = self._records.get(key)
        if record is None:
            # Threads may share a graph: one traces, evicts and inserts at a time (reentrant:
            # the graph may run, as an op, inside a function it traces).
            with self._lock:
                record = self._records.get(key)
                if record is None:
                    record = self._traced(x, data, who)
                    if len(self._records) >= _RECORDS_LIMIT:
                        del self._records[next(iter(self._records))]
                    self._records[key] = record
                    self._arity = len(data)
        return record, leaves

    def _traced(self, x: Any, data: tuple[Any, ...], who: str) -> R:
        """`_make`, with a BVar among the parameter or the data, or one the function uses, of a
        call that encloses this one said to ask for a higher derivative."""
        # A BVar in the key is kept by identity: it never finds a record, and arrives here.
        refuse_bvars(x, who, "the parameter")
        if data:
            refuse_bvars(data, who, "the data", enclosing_only=True)
        try:
            return self._make(x, data)
        except TapeError as e:
            higher = higher_derivative(e, who)
            if higher is None:
                raise
            raise higher from None


def record_of(f: Callable[..., Any], x: Any, data: tuple[Any, ...], integer_data: bool) -> Record:
    """The record of `f`, which returns one BVar, at `x` and `data` (what `Graph` and
    `CompiledGraph` keep)."""

    def output(*args: Any) -> BVar[Any]:
        out = f(*args)
        if type(out) is not BVar:
            raise not_a_bvar(out, f, "trace")  # a pair (output, aux): has_aux=True
        return out

    return make_record(output, x, data, integer_data)


def _gradient(record: Record, values: list[Any], backs: list[Any], x: X, seed: object) -> X:
    if record.out is None or seed is None:
        return finalize(x, None)
    gradient: X = record.parameter_gradient(x, values, backs, seed, array_ids(seed))
    return gradient


class _AuxPlan:
    """Where a record finds the aux at each replay: the aux's structure (`flatten`'s), and at
    each of its leaves the node whose value goes there, or -1 for a value fixed at trace time
    (a string, an integer, a constant that no traced value went into)."""

    __slots__ = ("computed", "fixed", "nodes", "treedef")

    def __init__(self, treedef: Treedef, nodes: tuple[int, ...], fixed: tuple[Any, ...]) -> None:
        self.treedef = treedef
        self.nodes = nodes
        self.fixed = fixed
        #: The nodes whose values the aux holds, in its leaves' order: what a replay computes.
        self.computed = tuple(n for n in nodes if n >= 0)

    @classmethod
    def of(cls, aux: object, tape: Tape | None, f: object) -> "_AuxPlan":
        """The plan of `aux` as the traced function returned it, its BVars on `tape`; a
        TraceError for what a replay could not compute again."""
        name = getattr(f, "__name__", type(f).__name__)
        leaves, treedef = flatten(aux, unknown_leaves=True)
        nodes: list[int] = []
        fixed: list[Any] = []
        for leaf in leaves:
            if type(leaf) is BVar:
                if leaf._tape is not None and leaf._tape is tape:
                    nodes.append(leaf._index)
                    fixed.append(None)
                    continue
                if leaf._tape is not None:
                    raise TraceError(
                        f"trace: the aux of {name} holds a BVar of another backprop call than "
                        "this trace: a recorded graph would keep its value fixed. Return the "
                        "BVars of the traced function, or use the implicit style "
                        "(typedprop.backprop)"
                    )
                leaf = leaf.value  # a constant
            if is_traced(leaf):
                raise TraceError(
                    f"trace: the aux of {name} holds a traced value that is not a BVar (a "
                    "parameter's .value, the data, or something computed from them in Python "
                    "or by ops on the data alone): a recorded graph would keep it fixed. Put the "
                    "BVar itself in the aux, or use the implicit style (typedprop.backprop)"
                )
            nodes.append(-1)
            fixed.append(leaf)
        return cls(treedef, tuple(nodes), tuple(fixed))

    def read(self, values: list[Any]) -> Any:
        """The aux of a replay whose node values are `values`."""
        return self.put([values[n] for n in self.computed])

    def put(self, computed: list[Any]) -> Any:
        """The aux whose BVars' values are `computed`, the values of the nodes `computed`
        names, in its order (what a compiled program gives back)."""
        values = iter(computed)
        return unflatten(
            self.treedef,
            [c if n < 0 else next(values) for n, c in zip(self.nodes, self.fixed, strict=True)],
        )


def _record_with_aux(
    f: Callable[..., Any], x: Any, data: tuple[Any, ...], integer_data: bool
) -> tuple[Record, _AuxPlan]:
    """The record of `f`, which returns `(output, aux)`, at `x` and `data`, and where its
    replays find the aux (what `GraphWithAux` and `CompiledGraphWithAux` keep)."""
    returned: list[tuple[Tape | None, object]] = []

    def output(param: BVar[Any], *traced: Any) -> BVar[Any]:
        y, aux = split_aux(f(param, *traced), f, "trace")
        returned.append((param._tape, aux))
        return y

    output.__name__ = getattr(f, "__name__", "f")
    record = make_record(output, x, data, integer_data)
    tape, aux = returned[-1]
    return record, _AuxPlan.of(aux, tape, f)
