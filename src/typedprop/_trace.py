"""Explicit graphs: `trace` records a function's ops once; the `Graph` replays them.

Haskell backprop has two styles: implicit, where the function runs again on every call, and
explicit, where a graph is built once and run many times. `trace(f, x)` is the explicit style:
it runs `f` once on tracing variables, records each op with its constant arguments and each
structural step with its path, and the `Graph` replays that record on new parameters of the same
structure, shapes and dtypes: the same ops in the same order, so values and gradients are equal
to the implicit style's to the last bit. What a replay skips is everything between the ops:
`f`'s own Python code, building BVars, checking the parameters' structure, and the runtime shape
checks, which ran once at trace time.

Parameters of another structure (another variant of a union, another list length, other
shapes) get their own record, traced on first use and kept. A Python branch on a traced value,
which a record cannot honour, raises `TraceError` at trace time (see `_traced`).

Internal: users import `trace`, `Graph` and `TraceError` from `typedprop`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

import numpy as np

from ._backprop import _scalar_seed
from ._bvar import BVar
from ._errors import CheckError
from ._op import Op
from ._structures import (
    Mismatch,
    Partial,
    accumulate,
    array_ids,
    check_supported,
    finalize,
    fit,
    kind_of,
)
from ._tape import Maker, Node, Tape, recording, sweep
from ._traced import unwrap, wrap

X = TypeVar("X")
Y = TypeVar("Y")

_OP, _VIEW, _OTHER = 0, 1, 2


@dataclass(frozen=True)
class _Step:
    """One recorded node: how to compute its value from earlier ones, and its gradient."""

    how: int  # _OP, _VIEW (a part at `path`) or _OTHER (collect: a list of the parents)
    maker: Maker
    parents: tuple[int, ...]
    consts: tuple[Any, ...]  # an op's constant arguments (None where a parent gives the value)
    path: tuple[int, ...]  # a view's path
    backward: Any  # views and collects: the continuation, which depends on no value
    needs: tuple[bool, ...]  # which parents take a gradient (all but constants)


class _Record:
    """The ops of one trace of `f`, for parameters of one structure."""

    def __init__(self, steps: list[_Step], out: int | None, constant: Any) -> None:
        self.steps = steps
        self.out = out  # the output's node; None when the output is a constant
        self.constant = constant  # the output's value when it does not depend on the parameter
        # The first gradient goes through the engine's checked sweep (each gradient has its
        # input's shape and dtype); the same ops on the same shapes need no second look.
        self.validated = False

    def replay(self, x: Any) -> tuple[list[Any], list[Any], Any]:
        """The values and gradient continuations of the record run on `x` (node 0 is `x`),
        and the output's value."""
        values: list[Any] = [x]
        backs: list[Any] = [None]
        for step in self.steps:
            if step.how == _OP:
                args = [
                    c if p < 0 else values[p]
                    for p, c in zip(step.parents, step.consts, strict=True)
                ]
                # The (output, continuation) form was checked when the record was made.
                value, back = step.maker.forward(*args)  # type: ignore[attr-defined]  # an Op
            elif step.how == _VIEW:
                value = values[step.parents[0]]
                for i in step.path:
                    value = kind_of(value).children(value)[i]
                back = step.backward
            else:
                value = [values[p] for p in step.parents]
                back = step.backward
            values.append(value)
            backs.append(back)
        if self.out is None:
            return values, backs, self.constant
        return values, backs, values[self.out]

    def gradient(self, values: list[Any], backs: list[Any], seed: object) -> object:
        """The accumulated gradient of node 0 (the parameter) for `seed` at the output."""
        assert self.out is not None
        if not self.validated:
            tape = Tape()
            tape.nodes.append(Node(values[0], (), None, None))
            for step, value, back in zip(self.steps, values[1:], backs[1:], strict=True):
                tape.nodes.append(Node(value, step.parents, back, step.maker))
            (g,) = sweep(tape, self.out, seed, [0])
            self.validated = True
            return g
        return _sweep(self.steps, values, backs, self.out, seed)


def _sweep(
    steps: list[_Step], values: list[Any], backs: list[Any], out: int, seed: object
) -> object:
    """The reverse sweep over a validated record: `_tape.sweep` without the per-gradient
    checks, which held for these ops on these shapes when the record was first run."""
    grads: list[Any] = [None] * len(values)
    grads[out] = seed
    for i in range(out, 0, -1):
        g = grads[i]
        if g is None:
            continue
        grads[i] = None
        step = steps[i - 1]
        back = backs[i]
        backs[i] = None  # free what the continuation holds as soon as it has run
        if step.how == _VIEW:
            (gk,) = back(g)
            p = step.parents[0]
            grads[p] = accumulate(grads[p], gk)
            continue
        if type(g) is Partial:
            g = finalize(values[i], g)
        values[i] = None
        in_grads = back(g, step.needs) if step.maker.takes_needs else back(g)
        for p, gk in zip(step.parents, in_grads, strict=True):
            if p < 0 or gk is None:
                continue
            prev = grads[p]
            grads[p] = gk if prev is None else accumulate(prev, gk)
    return grads[0]


def _signature(x: Any) -> Any:
    """What a record depends on: the structure of `x`, its arrays' shapes and dtypes, and the
    values of its non-float leaves (an int may be used as a size or an index)."""
    t = type(x)
    if t is np.ndarray:
        return (t, x.shape, x.dtype)
    if t is float:
        return t
    kind = kind_of(x)
    if kind.is_leaf:
        if isinstance(x, np.floating):
            return t
        try:
            hash(x)
        except TypeError:
            return (t, id(x))
        return (t, x)
    keys = tuple(x.keys()) if isinstance(x, dict) else None
    return (t, keys, tuple(_signature(c) for c in kind.children(x)))


class Graph(Generic[X, Y]):
    """A function recorded by `trace`, run on new parameters without tracing again.

    `evaluate`, `backprop` and `grad` take parameters of the type `X` the graph was traced
    with and return what `typedprop.evaluate`, `backprop` and `grad` would, exactly typed.
    Parameters of another structure, shapes or dtypes are traced on first use and kept.
    `as_op()` makes the graph an op, usable inside other functions.

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

    def __init__(self, f: Callable[[BVar[X]], BVar[Y]]) -> None:
        self.f = f
        self._records: dict[Any, _Record] = {}

    def __repr__(self) -> str:
        name = getattr(self.f, "__name__", "f")
        return f"Graph({name}, {len(self._records)} record{'s' * (len(self._records) != 1)})"

    def _record_for(self, x: X) -> _Record:
        key = _signature(x)
        record = self._records.get(key)
        if record is None:
            record = self._records[key] = _trace(self.f, x)
        return record

    def evaluate(self, x: X) -> Y:
        """The value of the function at `x` (no gradient).

        !!! example
            ```python
            >>> import typedprop as tp
            >>> tp.trace(lambda x: x * x + 1.0, 0.0).evaluate(3.0)
            10.0
            ```
        """
        _, _, value = self._record_for(x).replay(x)
        result: Y = value
        return result

    def backprop(self, x: X) -> tuple[Y, X]:
        """The value at `x` and the gradient, of exactly `x`'s type, as `typedprop.backprop`.

        !!! example
            ```python
            >>> import typedprop as tp
            >>> tp.trace(lambda x: x * x + 1.0, 0.0).backprop(3.0)
            (10.0, 6.0)
            ```
        """
        record = self._record_for(x)
        values, backs, value = record.replay(x)
        seed = _scalar_seed(value, "backprop")
        return value, _gradient(record, values, backs, x, seed)

    def backprop_with(self, x: X, seed: Y) -> tuple[Y, X]:
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
        record = self._record_for(x)
        values, backs, value = record.replay(x)
        try:
            fitted = fit(seed, value)
        except Mismatch as e:
            raise CheckError(f"backprop_with: the seed does not fit the output: {e}") from None
        return value, _gradient(record, values, backs, x, fitted)

    def grad(self, x: X) -> X:
        """The gradient at `x`, of exactly `x`'s type, as `typedprop.grad`.

        !!! example
            ```python
            >>> import typedprop as tp
            >>> tp.trace(lambda x: x * x, 0.0).grad(3.0)
            6.0
            ```
        """
        return self.backprop(x)[1]

    def as_op(self) -> Op[X, Y]:
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
        record = self.graph._record_for(x)
        values, backs, value = record.replay(x)

        def backward(g: Any) -> tuple[Any]:
            return (_gradient(record, values, backs, x, g),)

        return value, backward


def _trace(f: Callable[[BVar[Any]], BVar[Any]], x: Any) -> _Record:
    """Run `f` once on a tracing tape and keep its steps."""
    check_supported(x, "trace: the parameter")
    with recording(tracing=True) as tape:
        y = f(BVar(wrap(x), tape, tape.leaf(x)))
        if type(y) is not BVar:
            raise CheckError(
                f"trace: the function must return a BVar, but it returned a {type(y).__name__}"
            )
        steps: list[_Step] = []
        for node in tape.nodes[1:]:
            assert node is not None and node.maker is not None  # one leaf, then made nodes
            needs = tuple(p >= 0 for p in node.parents)
            if isinstance(node.maker, Op):
                consts = cast(tuple[Any, ...], node.extra)
                steps.append(_Step(_OP, node.maker, node.parents, consts, (), None, needs))
            elif node.maker.takes_partial:
                path = cast(tuple[int, ...], node.extra)
                steps.append(_Step(_VIEW, node.maker, node.parents, (), path, node.backward, needs))
            else:
                steps.append(_Step(_OTHER, node.maker, node.parents, (), (), node.backward, needs))
        if y._tape is None:
            return _Record(steps, None, unwrap(y.value))
        return _Record(steps, y._index, None)


def trace(f: Callable[[BVar[X]], BVar[Y]], x: X) -> Graph[X, Y]:
    """Record `f`'s ops at `x` once, as a `Graph` to run on new parameters of the same
    structure without tracing again (Haskell backprop's explicit style).

    `f` runs once, on tracing variables: each op it applies is recorded with its constant
    arguments. The graph then replays the ops alone, so it is faster than `typedprop.backprop`
    wherever `f`'s own Python code, building variables and checking shapes cost more than the
    numpy work; runtime shape checks run at trace time only. A Python branch on a traced value
    (`if x.value > 0:`) raises `TraceError`: branch with `ops.where`, or use the implicit style.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> graph = tp.trace(lambda w: ops.sum(w * w), np.zeros(2))
        >>> graph.grad(np.array([1.0, 2.0]))
        array([2., 4.])
        ```
    """
    graph = Graph(f)
    graph._record_for(x)
    return graph
