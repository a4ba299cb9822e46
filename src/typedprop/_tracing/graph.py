"""Explicit graphs: `trace` records a function's ops once; the `Graph` replays them.

Haskell backprop has two styles: implicit, where the function runs again on every call, and
explicit, where a graph is built once and run many times. `trace(f, x)` is the explicit style:
it runs `f` once on tracing variables, records each op with its constant arguments and each
structural step with its path, and the `Graph` replays that record on new parameters of the same
structure, shapes and dtypes: the same ops in the same order, so values and gradients are equal
to the implicit style's to the last bit. What a replay skips is everything between the ops:
`f`'s own Python code, building BVars, checking the parameters' structure, and the runtime shape
checks, which ran once at trace time.

How a record is made is `record`'s business, how it replays is `replay`'s; a graph keeps the
records of one function, keyed by what each depends on.

Parameters of another structure (another variant of a union, another list length, other
shapes) get their own record, traced on first use and kept. A Python branch on a traced value,
which a record cannot honour, raises `TraceError` at trace time (see `values`).

Internal: users import `trace`, `Graph` and `TraceError` from `typedprop`.
"""

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar, TypeVarTuple

import numpy as np

from .._backprop import _scalar_seed
from .._core.bvar import BVar
from .._core.errors import CheckError
from .._core.op import Op
from .._core.structures import Mismatch, array_ids, finalize, fit, flatten, structure
from .record import make_record
from .replay import Record

X = TypeVar("X")
Y = TypeVar("Y")
Ds = TypeVarTuple("Ds")

# A graph keeps at most this many records, dropping the oldest: integer data keys records by
# value, and a program may pass endless new values.
_RECORDS_LIMIT = 256


def _record_key(x: Any, data_leaves: list[Any] | None = None) -> Any:
    """What a record depends on: the structure of `x`, the shapes and dtypes of its float
    arrays and the types of its floats, and the values of its other leaves: an integer or an
    integer array (a size, a label, an index) may be built into an op, so each value gets its
    record. With `data_leaves` (for data), the float leaves are appended to it, in `flatten`'s
    order: the replay reads them there."""
    t = type(x)
    if t is np.ndarray or t is float:
        return _leaf_key(x, data_leaves)  # a parameter of one array or number: no walk
    # A value typedprop has no structure for (in data) is a leaf, kept by value.
    leaves, treedef = flatten(x, unknown_leaves=True)
    if treedef is None:
        return _leaf_key(x, data_leaves)
    return structure(treedef), tuple([_leaf_key(leaf, data_leaves) for leaf in leaves])


def _leaf_key(x: Any, data_leaves: list[Any] | None) -> Any:
    t = type(x)
    if isinstance(x, np.ndarray):
        if x.dtype.kind != "f":
            return (t, x.shape, x.dtype, x.tobytes())
        if data_leaves is not None:
            data_leaves.append(x if t is np.ndarray else np.asarray(x))
        return (t, x.shape, x.dtype)
    if isinstance(x, float | np.floating):
        if data_leaves is not None:
            data_leaves.append(x)
        return t
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


class Graph(Generic[X, Y, *Ds]):
    """A function recorded by `trace`, run on new parameters without tracing again.

    `evaluate`, `backprop` and `grad` take parameters of the type `X` the graph was traced
    with, and data of the types `*Ds` it was traced with (none for `Graph[X, Y]`), and return
    what `typedprop.evaluate`, `backprop` and `grad` would, exactly typed. Parameters or data
    of another structure, shapes or dtypes, and integer data of other values, are traced on
    first use and kept (up to 256 records, the oldest dropped first). `as_op()` makes a graph
    without data an op, usable inside other functions.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> def loss(w: tp.BVar[tp.Vec]) -> tp.BVar[float]:
        ...     return ops.sum(ops.tanh(w) ** 2)
        >>> graph = tp.trace(loss, np.zeros(3))
        >>> value, g = graph.backprop(np.array([0.5, -1.0, 2.0]))
        >>> bool(np.array_equal(g, tp.grad(loss, np.array([0.5, -1.0, 2.0]))))
        True
        ```
    """

    def __init__(self, f: Callable[[BVar[X], *Ds], BVar[Y]]) -> None:
        self.f = f
        self._records: dict[Any, Record] = {}
        self._arity: int | None = None  # how many data arguments the records take
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        name = getattr(self.f, "__name__", "f")
        return f"Graph({name}, {len(self._records)} record{'s' * (len(self._records) != 1)})"

    def _record_for(self, x: Any, data: tuple[Any, ...]) -> tuple[Record, list[Any]]:
        """The record for `x` and `data` (traced now if there is none yet), and the float
        leaves of the data."""
        if self._arity is not None and len(data) != self._arity:
            s = "s" * (self._arity != 1)
            raise CheckError(
                f"{getattr(self.f, '__name__', 'f')}: the graph was traced with {self._arity} "
                f"data argument{s}, called with {len(data)}"
            )
        leaves: list[Any] = []
        key = (_record_key(x), _record_key(data, leaves)) if data else _record_key(x)
        record = self._records.get(key)
        if record is None:
            # Threads may share a graph: one traces, evicts and inserts at a time (reentrant:
            # the graph may run, as an op, inside a function it traces).
            with self._lock:
                record = self._records.get(key)
                if record is None:
                    record = make_record(self.f, x, data)
                    if len(self._records) >= _RECORDS_LIMIT:
                        del self._records[next(iter(self._records))]
                    self._records[key] = record
                    self._arity = len(data)
        return record, leaves

    def evaluate(self, x: X, *data: *Ds) -> Y:
        """The value of the function at `x` and `data` (no gradient).

        !!! example
            ```python
            >>> import typedprop as tp
            >>> tp.trace(lambda x: x * x + 1.0, 0.0).evaluate(3.0)
            10.0
            ```
        """
        record, leaves = self._record_for(x, data)
        _, _, value = record.replay(x, leaves)
        result: Y = value
        return result

    def backprop(self, x: X, *data: *Ds) -> tuple[Y, X]:
        """The value at `x` and `data`, and the gradient with respect to `x`, of exactly `x`'s
        type, as `typedprop.backprop`.

        !!! example
            ```python
            >>> import typedprop as tp
            >>> tp.trace(lambda x: x * x + 1.0, 0.0).backprop(3.0)
            (10.0, 6.0)
            ```
        """
        record, leaves = self._record_for(x, data)
        values, backs, value = record.replay(x, leaves)
        seed = _scalar_seed(value, "backprop")
        return value, _gradient(record, values, backs, x, seed)

    def backprop_with(self, x: X, seed: Y, *data: *Ds) -> tuple[Y, X]:
        """The value at `x` and the vector-Jacobian product with `seed`, the gradient of the
        output, as `typedprop.backprop_with`.

        !!! example
            ```python
            >>> import numpy as np
            >>> import typedprop as tp
            >>> g = tp.trace(lambda v: v * 2.0, np.zeros(2))
            >>> g.backprop_with(np.ones(2), np.array([1.0, 3.0]))
            (array([2., 2.]), array([2., 6.]))
            ```
        """
        record, leaves = self._record_for(x, data)
        values, backs, value = record.replay(x, leaves)
        try:
            fitted = fit(seed, value)
        except Mismatch as e:
            raise CheckError(f"backprop_with: the seed does not fit the output: {e}") from None
        return value, _gradient(record, values, backs, x, fitted)

    def grad(self, x: X, *data: *Ds) -> X:
        """The gradient at `x` and `data`, of exactly `x`'s type, as `typedprop.grad`.

        !!! example
            ```python
            >>> import typedprop as tp
            >>> tp.trace(lambda x: x * x, 0.0).grad(3.0)
            6.0
            ```
        """
        return self.backprop(x, *data)[1]

    def as_op(self: "Graph[X, Y]") -> Op[X, Y]:
        """The graph as an op of one input, usable inside other functions, traced or not
        (backprop's `bpOp`): its gradient is the graph's.

        !!! example
            ```python
            >>> import typedprop as tp
            >>> square = tp.trace(lambda x: x * x, 0.0).as_op()
            >>> tp.grad(lambda x: square(x) * 3.0, 2.0)
            12.0
            ```
        """
        if self._arity:
            raise CheckError(
                f"as_op: the graph takes data ({self._arity} argument"
                f"{'s' * (self._arity != 1)}), but an op's inputs are its parameters alone; "
                "trace a function of the parameters, closing over the data"
            )
        return _GraphOp(self)


def _gradient(record: Record, values: list[Any], backs: list[Any], x: X, seed: object) -> X:
    if record.out is None or seed is None:
        return finalize(x, None)
    return finalize(x, record.gradient(values, backs, seed), array_ids(seed), refit=True)


class _GraphOp(Op[Any, Any]):
    def __init__(self, graph: Graph[Any, Any]) -> None:
        self.graph = graph
        self.name = f"graph({getattr(graph.f, '__name__', 'f')})"

    def forward(self, x: Any) -> tuple[Any, Callable[[Any], tuple[Any]]]:
        record, leaves = self.graph._record_for(x, ())
        values, backs, value = record.replay(x, leaves)

        def backward(g: Any) -> tuple[Any]:
            return (_gradient(record, values, backs, x, g),)

        return value, backward


def trace(f: Callable[[BVar[X], *Ds], BVar[Y]], x: X, *data: *Ds) -> Graph[X, Y, *Ds]:
    """Record `f`'s ops at `x` (and `data`) once, as a `Graph` to run on new parameters of the
    same structure without tracing again (Haskell backprop's explicit style).

    `f` runs once, on tracing variables: each op it applies is recorded with its constant
    arguments. The graph then replays the ops alone, so it is faster than `typedprop.backprop`
    wherever `f`'s own Python code, building variables and checking shapes cost more than the
    numpy work; runtime shape checks run at trace time only. What a record cannot replay
    raises `TraceError` at trace time: a Python branch on a traced value (`if x.value > 0:`), a
    value computed in Python from the parameters or the data and given to an op (as an input,
    or as a setting such as an exponent or a `where` condition), and a conversion of a traced
    value to a plain one (`float(x)`, `int(x)`, `round(x)`, `math.exp(x)`, `x.item()`,
    `x.tolist()`, `np.asarray(x)`, pickling) or a write into one (`x[i] = ...`, `out=`). Use
    the implicit style for such functions. What cannot be seen: the text of a value (`str(x)`,
    f-strings), and a value read through a channel of its own by a C extension; keep them out
    of what the function computes.

    **Data.** Values `f` closes over are constants of the record. What changes from call to
    call without being differentiated (a batch of samples, its targets) is passed as `data`:
    `f(params, *data)` is traced once, and `graph.grad(params, *data)` replays it on new data of
    the same structure and shapes. Float arrays and floats in the data must reach ops as they
    are (`ops.linear(w, x, b)`, `w * scale`, `ops.logistic(x)`: an op on the data alone is
    recorded too); a value computed from them in Python would be frozen, and raises
    `TraceError`. Integers and
    integer arrays (labels, indices) may be built into ops, so each value gets its own record:
    few distinct values (a sample's label) are cheap, a new array each call (a batch's labels)
    traces each call.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> graph = tp.trace(lambda w: ops.sum(w * w), np.zeros(2))
        >>> graph.grad(np.array([1.0, 2.0]))
        array([2., 4.])
        >>> fit = tp.trace(lambda w, x, t: ops.mean_squared_error(x @ w, t),
        ...                np.zeros(2), np.zeros((3, 2)), np.zeros(3))
        >>> fit.grad(np.array([1.0, 0.0]), np.eye(3, 2), np.array([1.0, 0.0, 0.0]))
        array([0., 0.])
        ```
    """
    graph: Graph[X, Y, *Ds] = Graph(f)
    graph._record_for(x, data)
    return graph
