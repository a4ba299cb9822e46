"""Explicit graphs: `trace` records a function's ops once; the `Graph` replays them.

Haskell backprop has two styles: implicit, where the function runs again on every call, and
explicit, where a graph is built once and run many times. `trace(f, x)` is the explicit style:
it runs `f` once on tracing variables, records each op with its constant arguments and each
structural step with its path, and the `Graph` replays that record on new parameters of the same
structure, shapes and dtypes: the same ops in the same order, so values and gradients are equal
to the implicit style's to the last bit. What a replay skips is everything between the ops:
`f`'s own Python code, building BVars, checking the parameters' structure, and the runtime shape
checks, which ran once at trace time.

A record replays as Python generated for it and compiled once: one straight-line function
calls the ops' `forward` in order, another calls their continuations in reverse, with every
value, continuation and gradient in a local variable, so no interpreter loop, list indexing or
attribute lookup stands between two ops. The first gradient of a record goes through the
engine's checked sweep (`tape.sweep`); the same ops on the same shapes give gradients of the
same shapes, so later ones go through the generated sweep, which checks nothing. Records too
long to unroll usefully run the same steps in two loops over precomputed tuples instead.

Parameters of another structure (another variant of a union, another list length, other
shapes) get their own record, traced on first use and kept. A Python branch on a traced value,
which a record cannot honour, raises `TraceError` at trace time (see `values`).

Internal: users import `trace`, `Graph` and `TraceError` from `typedprop`.
"""

import enum
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, TypeVarTuple, cast

import numpy as np

from .._backprop import _scalar_seed
from .._core.bvar import BVar
from .._core.checks import checks_enabled
from .._core.errors import CheckError, TraceError
from .._core.op import Op
from .._core.structures import (
    Mismatch,
    Partial,
    Path,
    accumulate,
    array_ids,
    check_supported,
    finalize,
    fit,
    flatten,
    kind_of,
    structure,
    unflatten,
)
from .._core.tape import Maker, Node, Tape, recording, sweep
from .values import TracedArray, TracedFloat, TracedScalar, holds_traced, is_traced, unwrap, wrap

X = TypeVar("X")
Y = TypeVar("Y")
Ds = TypeVarTuple("Ds")

# A graph keeps at most this many records, dropping the oldest: integer data keys records by
# value, and a program may pass endless new values.
_RECORDS_LIMIT = 256


class _StepKind(enum.IntEnum):
    """What a recorded step is (the generated replay branches on it when it is made, never
    while it runs)."""

    OP = 0  # an op's forward on the parents and the constants
    VIEW = 1  # the part of the parent at `path`
    COLLECT = 2  # a list of the parents (and the constants)
    DATA = 3  # a float leaf of the data, the one at `path[0]` in `_record_key`'s order


# The maker of a data node: a leaf refilled from the data at each replay, with no gradient.
_DATA_MAKER = Maker()
_DATA_MAKER.name = "data"


@dataclass(frozen=True, slots=True)
class _Step:
    """One recorded node: how to compute its value from earlier ones, and its gradient."""

    how: _StepKind
    maker: Maker
    parents: tuple[int, ...]
    # An op's or a collect's constant arguments (None where a parent gives the value).
    consts: tuple[Any, ...]
    path: tuple[Any, ...]  # a view's path: child positions, each with how to select it
    backward: Any  # views and collects: the continuation, which depends on no value
    needs: tuple[bool, ...]  # which parents take a gradient (all but constants and data)


class _Record:
    """The ops of one trace of `f`, for parameters of one structure.

    A record is replayed by two functions generated for it (see `_forward_source` and
    `_sweep_source`): straight-line Python that calls each op's `forward`, then each
    continuation, in turn, with the values and gradients in local variables. Against a loop
    over the steps, that removes the per-step dispatch, the argument lists and the list
    indexing, which cost more than a small op on scalars itself. Past `_UNROLL_LIMIT` steps,
    the two functions are loops (`_looped_forward`, `_looped_sweep`)."""

    def __init__(self, steps: list[_Step], out: int | None, constant: Any) -> None:
        self.steps = steps
        self.out = out  # the output's node; None when the output is a constant
        self.constant = constant  # the output's value when it does not depend on the parameter
        # The first gradient goes through the engine's checked sweep (each gradient has its
        # input's shape and dtype); the same ops on the same shapes need no second look.
        self.validated = False
        self._forward: Callable[[Any, list[Any]], tuple[list[Any], list[Any]]] = (
            _compile("replay", *_forward_source(steps))
            if len(steps) <= _UNROLL_LIMIT
            else _looped_forward(steps)
        )
        # Made on the first unchecked sweep: a graph only evaluated never needs it.
        self._sweep: Callable[[list[Any], list[Any], object], object] | None = None

    def replay(self, x: Any, data: list[Any]) -> tuple[list[Any], list[Any], Any]:
        """The values and gradient continuations of the record run on `x` (node 0 is `x`) and
        the float leaves of the data, and the output's value."""
        values, backs = self._forward(x, data)
        if self.out is None:
            return values, backs, self.constant
        return values, backs, values[self.out]

    def gradient(self, values: list[Any], backs: list[Any], seed: object) -> object:
        """The accumulated gradient of node 0 (the parameter) for `seed` at the output.
        Consumes `values` and `backs` (a record's continuations run once)."""
        assert self.out is not None
        if not self.validated:
            tape = Tape()
            tape.nodes.append(Node(values[0], (), None, None))
            for step, value, back in zip(self.steps, values[1:], backs[1:], strict=True):
                # Data (and constants) take no gradient here either.
                parents = tuple(
                    p if n else -1 for p, n in zip(step.parents, step.needs, strict=True)
                )
                tape.nodes.append(Node(value, parents, back, step.maker))
            converted: list[int] = []
            (g,) = sweep(tape, self.out, seed, [0], converted)
            # The unchecked sweep converts nothing: where the checked one had to convert a
            # gradient's precision (an op giving a float64 gradient for a float32 input), the
            # record keeps the checked sweep, whose results are the implicit style's.
            self.validated = not converted
            return g
        if self._sweep is None:
            self._sweep = (
                _compile("sweep", *_sweep_source(self.steps, self.out))
                if len(self.steps) <= _UNROLL_LIMIT
                else _looped_sweep(self.steps, self.out)
            )
        return self._sweep(values, backs, seed)


# ---------------------------------------------------------------------------------------------
# The generated replay
# ---------------------------------------------------------------------------------------------
#
# Names in the generated code: `v{i}` is node i's value, `b{i}` its continuation, `g{i}` its
# accumulated gradient, `t{j}` the gradient a continuation gives its j-th input. What the
# record holds is in the code's globals: `c{i}_{j}` the constants, `k{i}` the continuations of
# views and collects, and, one name per distinct value (see `_shared`), `f{n}` the ops' bound
# `forward`, `n{n}` the `needs` tuples, `get{n}` the selectors of views.


# Records of more steps than this replay in loops over precomputed tuples (`_looped_forward`,
# `_looped_sweep`) instead. Unrolled code costs about 100 us per step to compile and 170 bytes of
# bytecode per step, which the processor streams from memory on every call; its lead shrinks
# with length (measured: 40% faster than the loops on a chain of 200 ops, 25% on 4,000 ops,
# 15% on the 7,000 of benchmarks/rnn.py), while the compile time grows.
_UNROLL_LIMIT = 10000


def _compile(name: str, source: str, namespace: dict[str, Any]) -> Any:
    code = compile(source, f"<typedprop {name}>", "exec")
    exec(code, namespace)
    return namespace[name]


def _shared(ns: dict[str, Any], prefix: str, key: Any, value: Any) -> str:
    """The global name of `value`, one per `key`: an op used a thousand times (tanh in a
    recurrent network) is one bound method, not a thousand objects for the garbage collector
    to walk on every full collection."""
    keys: dict[Any, str] = ns.setdefault(f"_{prefix}_names", {})
    name = keys.get(key)
    if name is None:
        name = keys[key] = f"{prefix}{len(keys)}"
        ns[name] = value
    return name


def _forward_source(steps: list[_Step]) -> tuple[str, dict[str, Any]]:
    """The source of `replay(v0, data) -> (values, continuations)`, one line per step, and its
    globals."""
    ns: dict[str, Any] = {}
    lines = ["def replay(v0, data):"]
    backs = ["None"]
    for i, step in enumerate(steps, 1):
        if step.how == _StepKind.DATA:
            lines.append(f"    v{i} = data[{step.path[0]}]")
            backs.append("None")
            continue
        args = []
        if step.how != _StepKind.VIEW:
            for j, (p, c) in enumerate(zip(step.parents, step.consts, strict=True)):
                if p < 0:
                    ns[f"c{i}_{j}"] = c
                    args.append(f"c{i}_{j}")
                else:
                    args.append(f"v{p}")
        if step.how == _StepKind.OP:
            # The (output, continuation) form was checked when the record was made.
            # By identity: ops need not be hashable, and equal ones need not be the same.
            f = _shared(ns, "f", id(step.maker), step.maker.forward)  # type: ignore[attr-defined]  # an Op
            lines.append(f"    v{i}, b{i} = {f}({', '.join(args)})")
            backs.append(f"b{i}")
            continue
        if step.how == _StepKind.VIEW:
            value = f"v{step.parents[0]}"
            for k, how in step.path:
                if how is None:
                    value = f"{value}[{k}]"
                else:
                    value = f"{_shared(ns, 'get', how, how)}({value}, {k})"
            lines.append(f"    v{i} = {value}")
        else:
            lines.append(f"    v{i} = [{', '.join(args)}]")
        ns[f"k{i}"] = step.backward
        backs.append(f"k{i}")
    values = ", ".join(f"v{i}" for i in range(len(steps) + 1))
    lines.append(f"    return [{values}], [{', '.join(backs)}]")
    return "\n".join(lines) + "\n", ns


def _reach(steps: list[_Step], out: int) -> tuple[list[bool], list[bool]]:
    """The nodes a gradient can reach from `out`, and those that can receive a Partial (from a
    view or a collect; an op's gradient is whole, as the checked sweep saw on the first run)."""
    reached = [False] * (out + 1)
    reached[out] = True
    partial = [False] * (out + 1)
    for i in range(out, 0, -1):
        if reached[i]:
            step = steps[i - 1]
            for p, need in zip(step.parents, step.needs, strict=True):
                if need:
                    reached[p] = True
                    partial[p] = partial[p] or step.how != _StepKind.OP
    return reached, partial


def _sweep_source(steps: list[_Step], out: int) -> tuple[str, dict[str, Any]]:
    """The source of `sweep(values, continuations, seed) -> gradient of node 0`: `tape.sweep`
    without the per-gradient checks, which held for these ops on these shapes when the record
    was first run, unrolled over the nodes that lead to the output, and its globals.

    A gradient that is None (nothing reached the node) is skipped as in `tape.sweep`, each
    continuation and gradient is dropped once used, and a node's first gradient (in the sweep's
    order) is stored without `accumulate`, since nothing was there before it."""
    ns: dict[str, Any] = {"Partial": Partial, "finalize": finalize, "accumulate": accumulate}
    reached, partial = _reach(steps, out)
    # Nodes after the output (an op whose value `f` did not return) take no gradient.
    names = ", ".join(f"b{i}" if i <= out and reached[i] else "_" for i in range(len(steps) + 1))
    lines = ["def sweep(values, backs, seed):", f"    {names}, = backs"]
    for i in range(1, out + 1):
        if partial[i]:
            lines.append(f"    v{i} = values[{i}]")
    # Nothing reads the lists again: free the values now, not after the sweep.
    lines += ["    backs.clear()", "    values.clear()"]
    waiting = [i for i in range(out) if reached[i]]
    if waiting:
        lines.append(f"    {' = '.join(f'g{i}' for i in waiting)} = None")
    lines.append(f"    g{out} = seed")
    seen = [False] * (out + 1)  # whether a gradient for the node may have been stored
    for i in range(out, 0, -1):
        if not reached[i]:
            continue
        step = steps[i - 1]
        pad = "    "
        if i != out:
            lines.append(f"    if g{i} is not None:")
            pad = "        "
        if step.how == _StepKind.VIEW:
            call = f"b{i}(g{i})"
        else:
            if partial[i]:
                lines.append(f"{pad}if type(g{i}) is Partial:")
                lines.append(f"{pad}    g{i} = finalize(v{i}, g{i})")
            if step.maker.takes_needs:
                needs = _shared(ns, "n", step.needs, step.needs)
                call = f"b{i}(g{i}, {needs})"
            else:
                call = f"b{i}(g{i})"
        targets = "".join(f"t{j}, " for j in range(len(step.parents)))
        lines.append(f"{pad}{targets}= {call}" if targets else f"{pad}{call}")
        for j, p in enumerate(step.parents):
            if not step.needs[j]:
                continue  # a constant or data
            if seen[p]:
                lines.append(f"{pad}g{p} = accumulate(g{p}, t{j})")
            else:
                lines.append(f"{pad}g{p} = t{j}")
                seen[p] = True
        lines.append(f"{pad}b{i} = g{i} = None")
    lines.append("    return g0" if reached[0] else "    return None")
    return "\n".join(lines) + "\n", ns


# How `_looped_forward` computes a step: an op on one value, on two values, on a constant and
# a value, on a value and a constant, on any arguments; a view; a collect; a data leaf.
_OP1, _OP2, _OP_CV, _OP_VC, _OP_N, _SELECT, _LIST, _DATUM = range(8)


def _looped_forward(steps: list[_Step]) -> Callable[[Any, list[Any]], tuple[list[Any], list[Any]]]:
    """What `_forward_source` generates, as a loop over one tuple per step (for long records)."""
    plan: list[tuple[int, Any, Any, Any]] = []
    forwards: dict[int, Any] = {}  # one bound method per op, as in `_shared`
    for step in steps:
        parents, consts = step.parents, step.consts
        if step.how == _StepKind.VIEW:
            plan.append((_SELECT, step.backward, parents[0], step.path))
        elif step.how == _StepKind.DATA:
            plan.append((_DATUM, None, step.path[0], None))
        elif step.how == _StepKind.COLLECT:
            plan.append((_LIST, step.backward, parents, consts))
        else:
            f = forwards.get(id(step.maker))
            if f is None:
                f = forwards[id(step.maker)] = step.maker.forward  # type: ignore[attr-defined]  # an Op
            if len(parents) == 1 and parents[0] >= 0:
                plan.append((_OP1, f, parents[0], None))
            elif len(parents) == 2 and min(parents) >= 0:
                plan.append((_OP2, f, parents[0], parents[1]))
            elif len(parents) == 2 and parents[1] >= 0:
                plan.append((_OP_CV, f, consts[0], parents[1]))
            elif len(parents) == 2 and parents[0] >= 0:
                plan.append((_OP_VC, f, parents[0], consts[1]))
            else:
                plan.append((_OP_N, f, parents, consts))

    def replay(x: Any, data: list[Any]) -> tuple[list[Any], list[Any]]:
        values = [x]
        backs: list[Any] = [None]
        for how, f, a, b in plan:
            if how == _OP1:
                v, k = f(values[a])
            elif how == _OP2:
                v, k = f(values[a], values[b])
            elif how == _OP_CV:
                v, k = f(a, values[b])
            elif how == _OP_VC:
                v, k = f(values[a], b)
            elif how == _SELECT:
                v, k = values[a], f
                for i, select in b:
                    v = v[i] if select is None else select(v, i)
            elif how == _DATUM:
                v, k = data[a], None
            else:
                args = [c if p < 0 else values[p] for p, c in zip(a, b, strict=True)]
                v, k = (args, f) if how == _LIST else f(*args)
            values.append(v)
            backs.append(k)
        return values, backs

    return replay


def _looped_sweep(steps: list[_Step], out: int) -> Callable[[list[Any], list[Any], object], object]:
    """What `_sweep_source` generates, as a loop over one tuple per node (for long records)."""
    plan: list[tuple[int, bool, bool, Any, tuple[int, ...]]] = []
    reached, partial = _reach(steps, out)
    for i in range(out, 0, -1):
        if reached[i]:
            step = steps[i - 1]
            needs = step.needs if step.how == _StepKind.OP and step.maker.takes_needs else None
            # The parents that take a gradient; -1 for constants and data.
            targets = tuple(p if n else -1 for p, n in zip(step.parents, step.needs, strict=True))
            plan.append((i, step.how == _StepKind.VIEW, partial[i], needs, targets))

    def sweep(values: list[Any], backs: list[Any], seed: object) -> object:
        grads: list[Any] = [None] * (out + 1)
        grads[out] = seed
        for i, view, maybe_partial, needs, parents in plan:
            g = grads[i]
            if g is None:
                continue
            grads[i] = None
            back = backs[i]
            backs[i] = None  # free what the continuation holds as soon as it has run
            if view:
                (gk,) = back(g)
                p = parents[0]
                grads[p] = accumulate(grads[p], gk)
                continue
            if maybe_partial and type(g) is Partial:
                g = finalize(values[i], g)
            values[i] = None
            in_grads = back(g) if needs is None else back(g, needs)
            for p, gk in zip(parents, in_grads, strict=True):
                if p >= 0:
                    grads[p] = accumulate(grads[p], gk)
        return grads[0]

    return sweep


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


class _TracingTape(Tape):
    """The tape `trace` records on: ops hand it their calls (the core's one hook, see
    `Tape.intercepts`). It runs each op on the real values behind the traced ones, hands the
    output back traced, and keeps the op's constant arguments with its node for the replays."""

    __slots__ = ("data",)
    intercepts = True

    def __init__(self) -> None:
        super().__init__()
        #: id of each traced data value handed to the function -> (its node, the value), so
        #: that an op given it records the node, not a constant.
        self.data: dict[int, tuple[int, object]] = {}

    def apply(self, op: Maker, values: Sequence[object], parents: tuple[int, ...]) -> object:
        assert isinstance(op, Op)
        out, node = self._record(op, values, parents)
        return BVar(wrap(out), self, node)

    def apply_plain(self, op: Maker, values: Sequence[object]) -> object:
        """An op on no BVar, given the data (or values computed from it by ops): recorded as a
        node of the data, which takes no gradient and is computed again from the new data at
        each replay. Its result is handed back traced, so that an op given it records that
        node. An op on values that hold nothing traced computes as usual."""
        if not any(holds_traced(v) for v in values):
            return NotImplemented
        assert isinstance(op, Op)
        out, node = self._record(op, values, (-1,) * len(values))
        assert node > 0  # a traced input that is not data was refused by `_record`
        if isinstance(out, np.ndarray):
            marked: object = out.view(TracedArray)
        elif isinstance(out, np.generic):
            marked = np.asarray(out).view(TracedScalar)
        else:
            return wrap(out)  # not an array: traced, refused by any op given it
        self.data[id(marked)] = (node, marked)
        return marked

    def _record(
        self, op: Op[Any], values: Sequence[object], parents: tuple[int, ...]
    ) -> tuple[object, int]:
        """Run `op` on the real values behind the traced ones and record it, data as its
        node; the output, and the node (0 if no input was a node)."""
        for setting in vars(op).values():
            if holds_traced(setting):
                raise TraceError(
                    f"trace: {op.name} was given a traced value as a setting (an exponent, "
                    "bounds, a condition or an index computed from the parameters or the "
                    "data), which a recorded graph would keep fixed. Use the implicit style "
                    "(typedprop.backprop)"
                )
        data = self.data
        for k, (value, p) in enumerate(zip(values, parents, strict=True)):
            if p >= 0:
                continue
            slot = data.get(id(value)) if data else None
            if slot is not None and slot[1] is value:
                # Data handed to the function: the node of its slot, refilled at each replay.
                parents = (*parents[:k], slot[0], *parents[k + 1 :])
            elif holds_traced(value):
                raise TraceError(
                    f"trace: {op.name} was given a traced value as a plain constant (a "
                    "parameter's .value, or something computed from it or from the data in "
                    "Python): a recorded graph would keep it fixed. Pass the BVar or the data "
                    "itself, compute with typedprop.ops, or use the implicit style "
                    "(typedprop.backprop)"
                )
        real = [unwrap(v) for v in values]
        if op.hinted and checks_enabled():
            out, backward = op._run_checked(real)
        else:
            out, backward = op._forward(real)
        if max(parents, default=-1) < 0:
            return out, 0
        consts = tuple(v if p < 0 else None for v, p in zip(real, parents, strict=True))
        return out, self.record(out, parents, backward, op, consts)


def _traced_data(x: Any, tape: "_TracingTape") -> Any:
    """`x` as the traced function sees it: each float leaf (in `_record_key`'s order) traced
    and recorded as a leaf node, which an op given that very value records as its input."""
    leaves, treedef = flatten(x, unknown_leaves=True)
    return unflatten(treedef, [_traced_datum(leaf, tape) for leaf in leaves])


def _traced_datum(x: Any, tape: "_TracingTape") -> Any:
    traced: Any
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        x = np.asarray(x)  # an ndarray subclass (a memmap) replays as a plain array
        traced = x.view(TracedArray)
    elif isinstance(x, np.floating):
        traced = wrap(x)
    elif isinstance(x, float):
        traced = TracedFloat(x)
    else:
        return x
    # A new object, so that its identity names this leaf alone.
    tape.data[id(traced)] = (tape.leaf(x), traced)
    return traced


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
        self._records: dict[Any, _Record] = {}
        self._arity: int | None = None  # how many data arguments the records take
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        name = getattr(self.f, "__name__", "f")
        return f"Graph({name}, {len(self._records)} record{'s' * (len(self._records) != 1)})"

    def _record_for(self, x: Any, data: tuple[Any, ...]) -> tuple[_Record, list[Any]]:
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
                    record = _trace(self.f, x, data)
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


def _gradient(record: _Record, values: list[Any], backs: list[Any], x: X, seed: object) -> X:
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


def _trace(f: Callable[..., BVar[Any]], x: Any, data: tuple[Any, ...]) -> _Record:
    """Run `f` once on a tracing tape and keep its steps: node 0 is the parameter, the next
    ones the float leaves of the data."""
    check_supported(x, "trace: the parameter")
    tape = _TracingTape()
    with recording(tape):
        param = BVar(wrap(x), tape, tape.leaf(x))
        traced = [_traced_data(d, tape) for d in data]
        n_data = len(tape.nodes) - 1
        y = f(param, *traced)
        if type(y) is not BVar:
            raise CheckError(
                f"trace: the function must return a BVar, but it returned a {type(y).__name__}"
            )
        no_gradient = {node for node, _ in tape.data.values()}
        steps: list[_Step] = []
        for i, node in enumerate(tape.nodes[1:], 1):
            assert node is not None
            if i <= n_data:
                steps.append(_Step(_StepKind.DATA, _DATA_MAKER, (), (), (i - 1,), None, ()))
                continue
            assert node.maker is not None  # the leaves, then made nodes
            # Constants (p < 0), data and what ops made of the data alone take no gradient.
            needs = tuple(p >= 0 and p not in no_gradient for p in node.parents)
            if isinstance(node.maker, Op):
                consts = cast(tuple[Any, ...], node.extra)
                steps.append(_Step(_StepKind.OP, node.maker, node.parents, consts, (), None, needs))
            elif node.maker.takes_partial:
                whole = tape.nodes[node.parents[0]]
                assert whole is not None
                path = _selectors(whole.value, cast(Path, node.extra))
                steps.append(
                    _Step(_StepKind.VIEW, node.maker, node.parents, (), path, node.backward, needs)
                )
            else:
                items = cast(list[Any], node.value)
                consts = _collected_constants(items, node.parents)
                steps.append(
                    _Step(
                        _StepKind.COLLECT,
                        node.maker,
                        node.parents,
                        consts,
                        (),
                        node.backward,
                        needs,
                    )
                )
        if y._tape is None:
            return _Record(steps, None, unwrap(y.value))
        return _Record(steps, y._index, None)


def _child(x: Any, i: int) -> Any:
    """Child `i` of a structure, as `BVar.view` selected it."""
    return kind_of(x).children(x)[i]


def _selectors(whole: Any, path: Path) -> tuple[tuple[int, Any], ...]:
    """A view's path, each position with how the replay selects it: None for an item of a
    plain tuple or list (an index in the generated code), `_child` for the other structures."""
    selectors = []
    for i in path:
        selectors.append((i, None if type(whole) in (tuple, list) else _child))
        whole = _child(whole, i)
    return tuple(selectors)


def _collected_constants(items: list[Any], parents: tuple[int, ...]) -> tuple[Any, ...]:
    """The items of a collect that are constants (None for the others), which the replay puts
    back in the list; a traced value among them is refused, as an op's constant is."""
    for item, p in zip(items, parents, strict=True):
        if p < 0 and is_traced(item):
            raise TraceError(
                "trace: collect was given a constant that holds a traced value (a parameter's "
                ".value, or something computed from it): a recorded graph would keep it fixed. "
                "Collect the BVar itself, or use the implicit style (typedprop.backprop)"
            )
    return tuple(item if p < 0 else None for item, p in zip(items, parents, strict=True))


def trace(f: Callable[[BVar[X], *Ds], BVar[Y]], x: X, *data: *Ds) -> Graph[X, Y, *Ds]:
    """Record `f`'s ops at `x` (and `data`) once, as a `Graph` to run on new parameters of the
    same structure without tracing again (Haskell backprop's explicit style).

    `f` runs once, on tracing variables: each op it applies is recorded with its constant
    arguments. The graph then replays the ops alone, so it is faster than `typedprop.backprop`
    wherever `f`'s own Python code, building variables and checking shapes cost more than the
    numpy work; runtime shape checks run at trace time only. What a record cannot replay
    raises `TraceError` at trace time: a Python branch on a traced value (`if x.value > 0:`), a
    value computed in Python from the parameters or the data and given to an op (as an input,
    or as a setting such as an exponent or a `where` condition). Use the implicit style for
    such functions. Conversions out of numpy and Python arithmetic
    (`float(x)`, `x.item()`, `np.asarray(x)`, `math.exp(x)`) cannot be seen: their results
    would be frozen into the record, so keep them out of a traced function.

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
