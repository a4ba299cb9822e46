"""Compiled graphs: a record over JAX arrays run as one XLA program, forward and backward.

`graph.compile()` gives a `CompiledGraph`: the graph's function recorded as `trace` records it
(on the first call for each structure and shapes of the parameters and the data), and the
record's replay and sweep then traced once more, by `jax.jit`, into one program that takes
the parameters' and the data's arrays and gives the value and the gradient. The generated
replay and sweep (see `replay`) are what runs inside `jax.jit`: the same ops, the same
continuations, in the same order, called on JAX's tracers instead of arrays. The program is
made once per record: later calls run no Python of typedprop's but the record's lookup, and
no op's code at all.

What the program reads:

- **Parameters**: every float leaf is an argument (JAX arrays, and Python floats, whose
  gradients come back as floats); other leaves (integers, strings, None) are keyed by value,
  as for any record, and built into the program.
- **Data**: its float and integer arrays (a batch and its labels) are arguments, so new data
  of the same shapes runs the same program: the compiled graph's records treat integer arrays
  as data (`_Recorded.integer_data`), which ops may take as inputs (a loss's labels) but not
  as settings (an index), refused at trace time. Python ints are built in, one record each.

**The aux.** `GraphWithAux.compile()` gives a `CompiledGraphWithAux`, whose program computes
the aux too: its BVars are nodes of the record (see `_AuxPlan`), and the program gives back
their values' array leaves, the other leaves (fixed for the record: a string, an integer) being
kept as `jax.jit`'s trace saw them, since a jitted function gives arrays alone. The aux is put
together outside the program, by the record's plan.

Only JAX arrays compile: a numpy, PyTorch or other array among the parameters or the data is
refused with `CheckError`, saying where it is, as is a graph compiled where JAX is not
installed.

**Ops under `jax.jit`.** Inside the program an op's `forward` gets `jax.core.Tracer`s, which
typedprop's array kinds take for JAX arrays (`backends.library_of_type`): `array_module`
gives `jax.numpy`, shapes and dtypes are known, values and devices are not (a tracer's
`device` is None). An op that must know whether it is being compiled (to use `lax.scan`
rather than a Python loop, say) tests `isinstance(x, jax.core.Tracer)`; an op that computes
with `jax.numpy`/`jax.lax` alone needs no test, as `lax` functions run outside `jit` too.
Runtime checks on values (a label's range) cannot run on tracers: they ran when the record
was made, on the first call's values.

Internal: users reach `CompiledGraph` through `Graph.compile`, and `CompiledGraphWithAux`
through `GraphWithAux.compile`.
"""

import importlib
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar, TypeVarTuple

from .._backprop import _scalar_seed
from .._core.errors import CheckError
from .._core.structures import (
    Mismatch,
    array_kind,
    fit,
    flatten,
    leaf_paths,
    show_path,
    unflatten,
)
from .records import _AuxPlan, _gradient, _record_with_aux, _Recorded, record_of
from .replay import Record

X = TypeVar("X")
Y = TypeVar("Y")
A = TypeVar("A")
Ds = TypeVarTuple("Ds")


def _jax() -> Any:
    """JAX, imported, or the error that says a compiled graph needs it."""
    try:
        return importlib.import_module("jax")
    except ImportError:
        raise CheckError(
            "compile: a compiled graph is compiled by jax.jit, but JAX is not installed "
            "(pip install jax)"
        ) from None


class _Program:
    """One record's programs, made by `jax.jit` on first use: `evaluate`, `backprop` and
    `backprop_with`, each from the parameters' float leaves and the data's leaves (and the
    seed) to the value, the aux's array leaves (none without a `plan`) and the gradient's
    float leaves."""

    def __init__(self, record: Record, plan: _AuxPlan | None, x: Any) -> None:
        self.record = record
        #: Where the record's replays find the aux, for a graph with one.
        self.plan = plan
        leaves, self.treedef = flatten(x)
        #: Where the parameters' float leaves are (the program's arguments); the others are
        #: fixed for the record (it is keyed by their values) and put back as they were.
        self.dynamic = tuple(i for i, leaf in enumerate(leaves) if _is_float(leaf))
        self.fixed: list[Any] = [None if _is_float(leaf) else leaf for leaf in leaves]
        #: Which of the dynamic leaves are Python floats: their gradients come back as floats.
        self.plain = tuple(type(leaves[i]) is float for i in self.dynamic)
        #: The gradient's leaves where the parameter's are fixed, as the trace by `jax.jit`
        #: gave them (they do not depend on the arguments: zeros, None).
        self.fixed_grads: list[Any] = []
        #: The aux's node values as the trace by `jax.jit` gave them: their structure, where
        #: their array leaves are (the program's outputs), and the other leaves.
        self.aux_treedef: Any = flatten([])[1]  # no node: no program runs for a constant output
        self.aux_arrays: tuple[int, ...] = ()
        self.fixed_aux: list[Any] = []
        jax = _jax()
        self.evaluate: Callable[[list[Any], list[Any]], tuple[Any, list[Any]]] = jax.jit(
            self._evaluate
        )
        self.backprop: Callable[[list[Any], list[Any]], tuple[Any, list[Any], list[Any]]] = jax.jit(
            self._backprop
        )
        self.backprop_with: Callable[
            [list[Any], list[Any], Any], tuple[Any, list[Any], list[Any]]
        ] = jax.jit(self._backprop_with)

    def arguments(self, x: Any) -> list[Any]:
        """The parameters' float leaves, the program's first argument."""
        leaves, _ = flatten(x)
        return [leaves[i] for i in self.dynamic]

    def gradient(self, x: Any, grads: list[Any]) -> Any:
        """The gradient of `x`'s structure from the program's gradient leaves."""
        grads = [float(g) if plain else g for g, plain in zip(grads, self.plain, strict=True)]
        return unflatten(self.treedef, _merged(self.fixed_grads, self.dynamic, grads))

    def aux(self, arrays: list[Any]) -> Any:
        """The aux from the program's aux leaves (None for a graph without an aux)."""
        if self.plan is None:
            return None
        computed = unflatten(self.aux_treedef, _merged(self.fixed_aux, self.aux_arrays, arrays))
        return self.plan.put(computed)

    # What `jax.jit` traces: the record's replay and sweep, on tracers.

    def _parameters(self, dynamic: list[Any]) -> Any:
        return unflatten(self.treedef, _merged(self.fixed, self.dynamic, dynamic))

    def _evaluate(self, dynamic: list[Any], data: list[Any]) -> tuple[Any, list[Any]]:
        values, _, value = self.record.replay(self._parameters(dynamic), data)
        return value, self._aux(values)

    def _backprop(self, dynamic: list[Any], data: list[Any]) -> tuple[Any, list[Any], list[Any]]:
        x = self._parameters(dynamic)
        values, backs, value = self.record.replay(x, data)
        aux = self._aux(values)  # before the sweep, which consumes the values
        seed = _scalar_seed(value, "backprop")
        return value, aux, self._split(_gradient(self.record, values, backs, x, seed))

    def _backprop_with(
        self, dynamic: list[Any], data: list[Any], seed: Any
    ) -> tuple[Any, list[Any], list[Any]]:
        x = self._parameters(dynamic)
        values, backs, value = self.record.replay(x, data)
        aux = self._aux(values)
        try:
            fitted = fit(seed, value)
        except Mismatch as e:
            raise CheckError(f"backprop_with: the seed does not fit the output: {e}") from None
        return value, aux, self._split(_gradient(self.record, values, backs, x, fitted))

    def _split(self, g: Any) -> list[Any]:
        """The gradient's leaves at the arguments' places; the others are kept."""
        leaves, _ = flatten(g)
        self.fixed_grads, arguments = _parted(leaves, self.dynamic)
        return arguments

    def _aux(self, values: list[Any]) -> list[Any]:
        """The array leaves of the values of the aux's nodes: what depends on the arguments,
        JAX's tracers here. The others are fixed for the record (a string, an integer of the
        parameter) and kept, as a jitted function gives arrays alone."""
        if self.plan is None:
            return []
        leaves, self.aux_treedef = flatten(
            [values[n] for n in self.plan.computed], unknown_leaves=True
        )
        tracer = _jax().core.Tracer
        self.aux_arrays = tuple(i for i, leaf in enumerate(leaves) if isinstance(leaf, tracer))
        self.fixed_aux, arrays = _parted(leaves, self.aux_arrays)
        return arrays


def _merged(fixed: list[Any], at: tuple[int, ...], leaves: Iterable[Any]) -> list[Any]:
    """`fixed`, with `leaves` at the places `at`: a program's arguments or outputs put back
    among the leaves that are fixed for the record."""
    merged = list(fixed)
    for i, leaf in zip(at, leaves, strict=True):
        merged[i] = leaf
    return merged


def _parted(leaves: list[Any], at: tuple[int, ...]) -> tuple[list[Any], list[Any]]:
    """`leaves` with None at the places `at`, and the leaves there: `_merged` undone."""
    places = set(at)
    return [None if i in places else leaf for i, leaf in enumerate(leaves)], [leaves[i] for i in at]


def _is_float(leaf: object) -> bool:
    """Whether a parameter's leaf is an argument of the program: a float array or a float."""
    if type(leaf) is float:
        return True
    kind = array_kind(leaf)
    return kind is not None and kind.floating(leaf)


def _refuse_other_arrays(x: Any, data: tuple[Any, ...]) -> None:
    """A CheckError, saying where, for an array of another library than JAX among the
    parameters or the data, and for parameters that hold no JAX array."""
    jax_arrays = 0
    for where, value in (("the parameter", x), ("the data", data)):
        leaves, treedef = flatten(value, unknown_leaves=True)
        paths: list[Any] | None = None
        for k, leaf in enumerate(leaves):
            kind = array_kind(leaf)
            if kind is None:
                continue
            if kind.library == "jax":
                jax_arrays += value is x
                continue
            if paths is None:
                paths = leaf_paths(treedef)
            at = show_path(treedef, paths[k]) if treedef is not None else ""
            name = "x" if value is x else "data"
            raise CheckError(
                f"compile: a compiled graph needs JAX arrays (jax.jit compiles it); got "
                f"{kind.describe(leaf)} in {where}, at {name}{at}. Convert it with "
                "jax.numpy.asarray(x), or use the graph uncompiled"
            )
    if not jax_arrays:
        raise CheckError(
            "compile: a compiled graph needs JAX arrays (jax.jit compiles it), but the "
            "parameter holds none; pass its arrays as jax.numpy arrays"
        )


class _Compiled(_Recorded[_Program]):
    """What both compiled graphs share: a program per record, the data's integer arrays as
    its arguments, and the calls that run it."""

    def __init__(self, f: Callable[..., Any]) -> None:
        _jax()
        super().__init__(f)
        # Labels and indices arrays are the program's arguments, not constants of the record.
        self.integer_data = True

    def _make(self, x: Any, data: tuple[Any, ...]) -> _Program:
        _refuse_other_arrays(x, data)
        record, plan = self._recorded(x, data)
        return _Program(record, plan, x)

    def _recorded(self, x: Any, data: tuple[Any, ...]) -> tuple[Record, _AuxPlan | None]:
        """The function's record at `x` and `data`, and its aux's plan if it has an aux."""
        raise NotImplementedError

    def _run(
        self, x: Any, data: tuple[Any, ...], who: str, seed: object = None
    ) -> tuple[Any, Any, Any]:
        """The value, the aux (None without one) and the gradient (None for "evaluate") at
        `x` and `data`, by the program `who` names (`seed` for "backprop_with")."""
        program, leaves = self._record_for(x, data, who)
        record, arguments = program.record, program.arguments(x)
        if record.out is None:
            # The output depends on nothing traced: no sweep, and a program for the aux alone.
            value = record.constant
            if who == "backprop":
                _scalar_seed(value, who)
            needed = program.plan is not None and program.plan.computed
            arrays = program.evaluate(arguments, leaves)[1] if needed else []
            g = None if who == "evaluate" else _gradient(record, [], [], x, None)
            return value, program.aux(arrays), g
        if who == "evaluate":
            value, arrays = program.evaluate(arguments, leaves)
            return value, program.aux(arrays), None
        if who == "backprop_with":
            value, arrays, grads = program.backprop_with(arguments, leaves, seed)
        else:
            value, arrays, grads = program.backprop(arguments, leaves)
        return value, program.aux(arrays), program.gradient(x, grads)


class CompiledGraph(_Compiled, Generic[X, Y, *Ds]):
    """A recorded graph compiled whole by `jax.jit`: forward and backward as one XLA program,
    made by `Graph.compile()`.

    `evaluate`, `backprop`, `backprop_with` and `grad` are the `Graph`'s, exactly typed, and
    give its results (the same ops; XLA may fuse them, so they agree to rounding, not to the
    bit). The parameters and the data must be JAX arrays. Each structure and shapes of them
    is recorded and compiled on its first call, which is slow (the function runs once op by
    op, then XLA compiles); later calls run the compiled program alone, on new values of the
    parameters and the data (integer arrays, a batch's labels, included).

    !!! example
        ```python
        >>> import jax.numpy as jnp
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> def loss(w: tp.BVar[tp.Vec], x: tp.Mat) -> tp.BVar[float]:
        ...     return ops.sum(ops.tanh(ops.matvec(x, w)) ** 2)
        >>> x = jnp.eye(3, dtype=jnp.float32)
        >>> compiled = tp.trace(loss, jnp.zeros(3, jnp.float32), x).compile()
        >>> value, g = compiled.backprop(jnp.array([0.5, -1.0, 2.0], jnp.float32), x)
        >>> g.dtype
        dtype('float32')
        ```
    """

    def _recorded(self, x: Any, data: tuple[Any, ...]) -> tuple[Record, None]:
        return record_of(self.f, x, data, self.integer_data), None

    def evaluate(self, x: X, *data: *Ds) -> Y:
        """The value of the function at `x` and `data` (no gradient), as `Graph.evaluate`.

        !!! example
            ```python
            >>> import jax.numpy as jnp
            >>> import typedprop as tp
            >>> square = tp.trace(lambda x: x @ x, jnp.zeros(2)).compile()
            >>> float(square.evaluate(jnp.array([3.0, 4.0])))
            25.0
            ```
        """
        value: Y = self._run(x, data, "evaluate")[0]
        return value

    def backprop(self, x: X, *data: *Ds) -> tuple[Y, X]:
        """The value at `x` and `data`, and the gradient with respect to `x`, of exactly `x`'s
        type, as `Graph.backprop`.

        !!! example
            ```python
            >>> import jax.numpy as jnp
            >>> import typedprop as tp
            >>> square = tp.trace(lambda x: x @ x, jnp.zeros(2)).compile()
            >>> value, g = square.backprop(jnp.array([3.0, 4.0]))
            >>> g.tolist()
            [6.0, 8.0]
            ```
        """
        value, _, g = self._run(x, data, "backprop")
        return value, g

    def backprop_with(self, x: X, seed: Y, *data: *Ds) -> tuple[Y, X]:
        """The value at `x` and the vector-Jacobian product with `seed`, the gradient of the
        output, as `Graph.backprop_with`; the seed is an argument of the program.

        !!! example
            ```python
            >>> import jax.numpy as jnp
            >>> import typedprop as tp
            >>> double = tp.trace(lambda v: v * 2.0, jnp.zeros(2)).compile()
            >>> value, g = double.backprop_with(jnp.ones(2), jnp.array([1.0, 3.0]))
            >>> g.tolist()
            [2.0, 6.0]
            ```
        """
        value, _, g = self._run(x, data, "backprop_with", seed)
        return value, g

    def grad(self, x: X, *data: *Ds) -> X:
        """The gradient at `x` and `data`, of exactly `x`'s type, as `Graph.grad`.

        !!! example
            ```python
            >>> import jax.numpy as jnp
            >>> import typedprop as tp
            >>> square = tp.trace(lambda x: x @ x, jnp.zeros(2)).compile()
            >>> square.grad(jnp.array([3.0, 4.0])).tolist()
            [6.0, 8.0]
            ```
        """
        return self.backprop(x, *data)[1]


class CompiledGraphWithAux(_Compiled, Generic[X, Y, A, *Ds]):
    """A recorded graph with an aux compiled whole by `jax.jit`, made by
    `GraphWithAux.compile()`: the value, the aux and the gradient as one XLA program.

    `evaluate`, `backprop`, `backprop_with` and `grad` are the `GraphWithAux`'s, exactly
    typed, and give its results, aux included (to rounding, as `CompiledGraph`'s). The aux's
    BVars are computed by the program and come back as JAX arrays; the values in it fixed at
    trace time (strings, integers) are kept as they were. The parameters and the data must be
    JAX arrays; each structure and shapes of them is recorded and compiled on its first call.

    !!! example
        ```python
        >>> import jax.numpy as jnp
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> def loss(w: tp.BVar[tp.Vec]) -> tuple[tp.BVar[float], dict[str, object]]:
        ...     squares = w * w
        ...     return ops.sum(squares), {"squares": squares, "name": "squares"}
        >>> compiled = tp.trace(loss, jnp.zeros(2), has_aux=True).compile()
        >>> g, aux = compiled.grad(jnp.array([1.0, 3.0]))
        >>> g.tolist(), aux["squares"].tolist(), aux["name"]
        ([2.0, 6.0], [1.0, 9.0], 'squares')
        ```
    """

    def _recorded(self, x: Any, data: tuple[Any, ...]) -> tuple[Record, _AuxPlan]:
        return _record_with_aux(self.f, x, data, self.integer_data)

    def evaluate(self, x: X, *data: *Ds) -> tuple[Y, A]:
        """The value of the function at `x` and `data` and its aux (no gradient), as
        `GraphWithAux.evaluate`.

        !!! example
            ```python
            >>> import jax.numpy as jnp
            >>> import typedprop as tp
            >>> f = tp.trace(lambda x: (x @ x, x + 1.0), jnp.zeros(2), has_aux=True).compile()
            >>> value, aux = f.evaluate(jnp.array([3.0, 4.0]))
            >>> float(value), aux.tolist()
            (25.0, [4.0, 5.0])
            ```
        """
        value, aux, _ = self._run(x, data, "evaluate")
        return value, aux

    def backprop(self, x: X, *data: *Ds) -> tuple[tuple[Y, A], X]:
        """The value and the aux at `x` and `data`, and the gradient with respect to `x`, as
        `GraphWithAux.backprop`: `((value, aux), gradient)`.

        !!! example
            ```python
            >>> import jax.numpy as jnp
            >>> import typedprop as tp
            >>> f = tp.trace(lambda x: (x @ x, "square"), jnp.zeros(2), has_aux=True).compile()
            >>> (value, aux), g = f.backprop(jnp.array([3.0, 4.0]))
            >>> float(value), aux, g.tolist()
            (25.0, 'square', [6.0, 8.0])
            ```
        """
        value, aux, g = self._run(x, data, "backprop")
        return (value, aux), g

    def backprop_with(self, x: X, seed: Y, *data: *Ds) -> tuple[tuple[Y, A], X]:
        """The value and the aux at `x`, and the vector-Jacobian product with `seed`, the
        gradient of the output, as `GraphWithAux.backprop_with`: `((value, aux), gradient)`.

        !!! example
            ```python
            >>> import jax.numpy as jnp
            >>> import typedprop as tp
            >>> f = tp.trace(lambda v: (v * 2.0, v), jnp.zeros(2), has_aux=True).compile()
            >>> (value, aux), g = f.backprop_with(jnp.ones(2), jnp.array([1.0, 3.0]))
            >>> aux.tolist(), g.tolist()
            ([1.0, 1.0], [2.0, 6.0])
            ```
        """
        value, aux, g = self._run(x, data, "backprop_with", seed)
        return (value, aux), g

    def grad(self, x: X, *data: *Ds) -> tuple[X, A]:
        """The gradient at `x` and `data` and the aux, as `GraphWithAux.grad`:
        `(gradient, aux)`.

        !!! example
            ```python
            >>> import jax.numpy as jnp
            >>> import typedprop as tp
            >>> f = tp.trace(lambda x: (x @ x, {"x": x}), jnp.zeros(2), has_aux=True).compile()
            >>> g, aux = f.grad(jnp.array([3.0, 4.0]))
            >>> g.tolist(), aux["x"].tolist()
            ([6.0, 8.0], [3.0, 4.0])
            ```
        """
        (_, aux), g = self.backprop(x, *data)
        return g, aux
