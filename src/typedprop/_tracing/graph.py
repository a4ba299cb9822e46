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

`trace(f, x, has_aux=True)` records a function that returns `(output, aux)`, as a
`GraphWithAux`: the aux's BVars are nodes of the record, so each replay computes them again
(see `_AuxPlan`); the record itself knows one output, the one differentiated.

Internal: users import `trace`, `Graph` and `TraceError` from `typedprop`.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, TypeVarTuple, overload

from .._backprop import (
    WithAny,
    WithDict,
    WithPair,
    WithVar,
    _scalar_seed,
)
from .._core.bvar import BVar
from .._core.errors import CheckError
from .._core.op import Op
from .._core.structures import (
    Mismatch,
    fit,
)
from .records import _AuxPlan, _gradient, _record_with_aux, _Recorded, record_of
from .replay import Record

if TYPE_CHECKING:
    from .compiled import CompiledGraph, CompiledGraphWithAux

X = TypeVar("X")
Y = TypeVar("Y")
A = TypeVar("A")
Ds = TypeVarTuple("Ds")
# The aux's types, as in `typedprop._backprop`.
V = TypeVar("V")
W = TypeVar("W")
K = TypeVar("K")
Aux = TypeVar("Aux")
# What a graph keeps per record: the record, or for a GraphWithAux the record and its aux.
R = TypeVar("R")


class Graph(_Recorded[Record], Generic[X, Y, *Ds]):
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
        super().__init__(f)

    def _make(self, x: Any, data: tuple[Any, ...]) -> Record:
        return record_of(self.f, x, data, self.integer_data)

    def evaluate(self, x: X, *data: *Ds) -> Y:
        """The value of the function at `x` and `data` (no gradient).

        !!! example
            ```python
            >>> import typedprop as tp
            >>> tp.trace(lambda x: x * x + 1.0, 0.0).evaluate(3.0)
            10.0
            ```
        """
        record, leaves = self._record_for(x, data, "evaluate")
        _, _, value = record.replay(x, leaves, autograd=True)
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
        record, leaves = self._record_for(x, data, "backprop")
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
        record, leaves = self._record_for(x, data, "backprop_with")
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
        record, leaves = self._record_for(x, data, "grad")
        values, backs, value = record.replay(x, leaves)
        return _gradient(record, values, backs, x, _scalar_seed(value, "grad"))

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

    def compile(self) -> "CompiledGraph[X, Y, *Ds]":
        """The graph compiled whole by `jax.jit`: the value and the gradient as one XLA
        program, for parameters and data of JAX arrays (see `CompiledGraph`). Each structure
        and shapes is recorded and compiled on its first call; later calls run the program
        alone. A `CheckError` if JAX is not installed, or on a call with arrays of another
        library.

        !!! example
            ```python
            >>> import jax.numpy as jnp
            >>> import typedprop as tp
            >>> from typedprop import ops
            >>> graph = tp.trace(lambda w: ops.sum(w * w), jnp.zeros(2))
            >>> graph.compile().grad(jnp.array([1.0, 2.0])).tolist()
            [2.0, 4.0]
            ```
        """
        from .compiled import CompiledGraph  # it builds on this module

        return CompiledGraph(self.f)


class _GraphOp(Op[Any, Any]):
    def __init__(self, graph: Graph[Any, Any]) -> None:
        self.graph = graph
        self.name = f"graph({getattr(graph.f, '__name__', 'f')})"

    def forward(self, x: Any) -> tuple[Any, Callable[[Any], tuple[Any]]]:
        record, leaves = self.graph._record_for(x, (), self.name)
        # (Inside a call PyTorch's autograd is off already; outside, the op computes as any.)
        values, backs, value = record.replay(x, leaves, autograd=True)

        def backward(g: Any) -> tuple[Any]:
            return (_gradient(record, values, backs, x, g),)

        return value, backward


class GraphWithAux(_Recorded[tuple[Record, _AuxPlan]], Generic[X, Y, A, *Ds]):
    """A function returning `(output, aux)` recorded by `trace(f, x, has_aux=True)`: a `Graph`
    whose results carry the aux, as `typedprop.backprop(f, x, has_aux=True)` and friends give
    it, the aux's BVars as their values, of type `A`.

    The aux is computed again at each replay: its BVars are nodes of the record (computed
    after the output, if `f` computed them after it), and values that depend on nothing
    traced (strings, integers, constants) are kept from the trace. A traced value in the aux
    that is not a BVar (a parameter's `.value`, the data) is refused at trace time with
    `TraceError`: the record could not compute it again. A graph with an aux is no op:
    it has no `as_op`.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> def loss(w: tp.BVar[tp.Vec]) -> tuple[tp.BVar[float], tp.BVar[tp.Vec]]:
        ...     squares = w * w
        ...     return ops.sum(squares), squares
        >>> graph = tp.trace(loss, np.zeros(2), has_aux=True)
        >>> graph.grad(np.array([1.0, 3.0]))
        (array([2., 6.]), array([1., 9.]))
        ```
    """

    def __init__(self, f: Callable[[BVar[X], *Ds], tuple[BVar[Y], Any]]) -> None:
        super().__init__(f)

    def _make(self, x: Any, data: tuple[Any, ...]) -> tuple[Record, _AuxPlan]:
        return _record_with_aux(self.f, x, data, self.integer_data)

    def evaluate(self, x: X, *data: *Ds) -> tuple[Y, A]:
        """The value of the function at `x` and `data` and its aux (no gradient).

        !!! example
            ```python
            >>> import typedprop as tp
            >>> tp.trace(lambda x: (x * x, x + 1.0), 0.0, has_aux=True).evaluate(3.0)
            (9.0, 4.0)
            ```
        """
        (record, plan), leaves = self._record_for(x, data, "evaluate")
        values, _, value = record.replay(x, leaves, autograd=True)
        return value, plan.read(values)

    def backprop(self, x: X, *data: *Ds) -> tuple[tuple[Y, A], X]:
        """The value and the aux at `x` and `data`, and the gradient with respect to `x`, as
        `typedprop.backprop(f, x, has_aux=True)`: `((value, aux), gradient)`.

        !!! example
            ```python
            >>> import typedprop as tp
            >>> tp.trace(lambda x: (x * x, "square"), 0.0, has_aux=True).backprop(3.0)
            ((9.0, 'square'), 6.0)
            ```
        """
        (record, plan), leaves = self._record_for(x, data, "backprop")
        values, backs, value = record.replay(x, leaves)
        aux = plan.read(values)  # before the sweep, which consumes the values
        seed = _scalar_seed(value, "backprop")
        return (value, aux), _gradient(record, values, backs, x, seed)

    def backprop_with(self, x: X, seed: Y, *data: *Ds) -> tuple[tuple[Y, A], X]:
        """The value and the aux at `x`, and the vector-Jacobian product with `seed`, the
        gradient of the output: `((value, aux), gradient)`.

        !!! example
            ```python
            >>> import numpy as np
            >>> import typedprop as tp
            >>> g = tp.trace(lambda v: (v * 2.0, v), np.zeros(2), has_aux=True)
            >>> g.backprop_with(np.ones(2), np.array([1.0, 3.0]))
            ((array([2., 2.]), array([1., 1.])), array([2., 6.]))
            ```
        """
        (record, plan), leaves = self._record_for(x, data, "backprop_with")
        values, backs, value = record.replay(x, leaves)
        aux = plan.read(values)
        try:
            fitted = fit(seed, value)
        except Mismatch as e:
            raise CheckError(f"backprop_with: the seed does not fit the output: {e}") from None
        return (value, aux), _gradient(record, values, backs, x, fitted)

    def grad(self, x: X, *data: *Ds) -> tuple[X, A]:
        """The gradient at `x` and `data` and the aux, as `typedprop.grad(f, x,
        has_aux=True)`: `(gradient, aux)`.

        !!! example
            ```python
            >>> import typedprop as tp
            >>> tp.trace(lambda x: (x * x, {"x": x}), 0.0, has_aux=True).grad(3.0)
            (6.0, {'x': 3.0})
            ```
        """
        (record, plan), leaves = self._record_for(x, data, "grad")
        values, backs, value = record.replay(x, leaves)
        aux = plan.read(values)
        return _gradient(record, values, backs, x, _scalar_seed(value, "grad")), aux

    def compile(self) -> "CompiledGraphWithAux[X, Y, A, *Ds]":
        """The graph compiled whole by `jax.jit`, as `Graph.compile`: the value, the aux and
        the gradient as one XLA program, for parameters and data of JAX arrays (see
        `CompiledGraphWithAux`). A `CheckError` if JAX is not installed, or on a call with
        arrays of another library.

        !!! example
            ```python
            >>> import jax.numpy as jnp
            >>> import typedprop as tp
            >>> from typedprop import ops
            >>> graph = tp.trace(lambda w: (ops.sum(w * w), w * 3.0), jnp.zeros(2), has_aux=True)
            >>> g, aux = graph.compile().grad(jnp.array([1.0, 2.0]))
            >>> g.tolist(), aux.tolist()
            ([2.0, 4.0], [3.0, 6.0])
            ```
        """
        from .compiled import CompiledGraphWithAux  # it builds on this module

        return CompiledGraphWithAux(self.f)


@overload
def trace(
    f: Callable[[BVar[X], *Ds], BVar[Y]], x: X, *data: *Ds, has_aux: Literal[False] = False
) -> Graph[X, Y, *Ds]: ...
@overload
def trace(
    f: Callable[[BVar[X], *Ds], WithVar[Y, V]], x: X, *data: *Ds, has_aux: Literal[True]
) -> GraphWithAux[X, Y, V, *Ds]: ...
@overload
def trace(
    f: Callable[[BVar[X], *Ds], WithPair[Y, V, W]], x: X, *data: *Ds, has_aux: Literal[True]
) -> GraphWithAux[X, Y, tuple[V, W], *Ds]: ...
@overload
def trace(
    f: Callable[[BVar[X], *Ds], WithDict[Y, K, V]], x: X, *data: *Ds, has_aux: Literal[True]
) -> GraphWithAux[X, Y, dict[K, V], *Ds]: ...
@overload
def trace(
    f: Callable[[BVar[X], *Ds], WithAny[Y, Aux]], x: X, *data: *Ds, has_aux: Literal[True]
) -> GraphWithAux[X, Y, Aux, *Ds]: ...
def trace(f: Callable[..., Any], x: Any, *data: *Ds, has_aux: bool = False) -> Any:
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

    **Aux.** With `has_aux=True`, `f` returns `(output, aux)` and `trace` gives a
    `GraphWithAux`, whose results carry the aux as `typedprop.backprop(f, x, has_aux=True)`
    and friends do: `graph.grad(x)` is `(gradient, aux)`. The aux's BVars are nodes of the
    record, computed again at each replay; values in it that depend on nothing traced
    (strings, integers, constants) are kept; a traced value that is not a BVar (a parameter's
    `.value`, the data) raises `TraceError`.

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
    graph: Graph[Any, Any] | GraphWithAux[Any, Any, Any] = GraphWithAux(f) if has_aux else Graph(f)
    graph._record_for(x, data)
    return graph
