"""The replay of a record: the steps `record` kept of one trace, run again on new values.

A record replays as Python generated for it and compiled once: one straight-line function
calls the ops' `forward` in order, another calls their continuations in reverse, with every
value, continuation and gradient in a local variable, so no interpreter loop, list indexing or
attribute lookup stands between two ops. The first gradient of a record goes through the
engine's checked sweep (`tape.sweep`); the same ops on the same shapes give gradients of the
same shapes, so later ones go through the generated sweep, which checks nothing. Records too
long to unroll usefully run the same steps in two loops over precomputed tuples instead.

The generated sweep, unrolled or looped, is not a copy of the engine's: all three are made from
the one step of `typedprop._core.sweep`, the replay's with the checks left out and, unrolled,
with what the record tells of each node decided as the code is made. The unrolled one takes no
step at the parameter's parts (`Record.parts`, the views of it and of them): it gives their
gradients to `assemble`, which puts the parameter's together, as the implicit style's tape does
with its parts (`Tape.part`).

Internal: used by `record`, which makes records, and `graph`, which keeps and runs them.
"""

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from .._core.backends import autograd_off
from .._core.structures import assemble, finalize
from .._core.sweep import Fact, Inputs, Template, namespace
from .._core.sweep import step as sweep_step
from .._core.tape import Maker, Node, Tape, sweep


class StepKind(enum.IntEnum):
    """What a recorded step is (the generated replay branches on it when it is made, never
    while it runs)."""

    OP = 0  # an op's forward on the parents and the constants
    VIEW = 1  # the part of the parent at `path`
    COLLECT = 2  # a list of the parents (and the constants)
    DATA = 3  # a float leaf of the data, the one at `path[0]` in `_record_key`'s order


# The maker of a data node: a leaf refilled from the data at each replay, with no gradient.
DATA_MAKER = Maker()
DATA_MAKER.name = "data"


@dataclass(frozen=True, slots=True)
class Step:
    """One recorded node: how to compute its value from earlier ones, and its gradient."""

    how: StepKind
    maker: Maker
    parents: tuple[int, ...]
    # An op's or a collect's constant arguments (None where a parent gives the value).
    consts: tuple[Any, ...]
    path: tuple[Any, ...]  # a view's path: child positions, each with how to select it
    backward: Any  # views and collects: the continuation, which depends on no value
    needs: tuple[bool, ...]  # which parents take a gradient (all but constants and data)


class Record:
    """The ops of one trace of `f`, for parameters of one structure.

    A record is replayed by two functions generated for it (see `_forward_source` and
    `_sweep_source`): straight-line Python that calls each op's `forward`, then each
    continuation, in turn, with the values and gradients in local variables. Against a loop
    over the steps, that removes the per-step dispatch, the argument lists and the list
    indexing, which cost more than a small op on scalars itself. Past `_UNROLL_LIMIT` steps,
    the two functions are loops (`_looped_forward`, `_looped_sweep`)."""

    def __init__(self, steps: list[Step], out: int | None, constant: Any) -> None:
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
        #: The parts of the parameter: views of node 0, or of such a view (`unpack` of the
        #: parameter, then of its layers), by the node they are views of: (node, path). The
        #: unrolled sweep takes no step at them and gives their gradients, which `assemble`
        #: puts together into the parameter's, as the implicit style does (`Tape.part`).
        self.parts = _parameter_parts(steps) if len(steps) <= _UNROLL_LIMIT else {}

    def replay(
        self, x: Any, data: list[Any], autograd: bool = False
    ) -> tuple[list[Any], list[Any], Any]:
        """The values and gradient continuations of the record run on `x` (node 0 is `x`) and
        the float leaves of the data, and the output's value. PyTorch's autograd is off
        meanwhile, as in `parameter_gradient` (see `backends.autograd_off`), unless `autograd`:
        a value alone (`evaluate`, a graph as an op outside a call) is computed as the ops
        compute outside a call, so PyTorch may differentiate through it."""
        restore = None if autograd else autograd_off()
        try:
            values, backs = self._forward(x, data)
        finally:
            if restore is not None:
                restore(True)
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
                _compile("sweep", *_sweep_source(self.steps, self.out, self.parts))
                if len(self.steps) <= _UNROLL_LIMIT
                else _looped_sweep(self.steps, self.out)
            )
        return self._sweep(values, backs, seed)

    def parameter_gradient(
        self, x: Any, values: list[Any], backs: list[Any], seed: object, unshare: set[int]
    ) -> Any:
        """The gradient of the parameter `x` (node 0) for `seed` at the output, whole and of
        exactly `x`'s type: `gradient`, finalized (each leaf fitted to its parameter, arrays
        in `unshare` copied, see `finalize`), or put together from its parts' gradients where
        the unrolled sweep gives them. Consumes `values` and `backs`."""
        restore = autograd_off()
        try:
            by_parts = self.validated and bool(self.parts)
            g = self.gradient(values, backs, seed)
            if by_parts:
                grad_of = cast(dict[int, object], g)
                return assemble((x,), (0,), grad_of, self.parts, unshare, refit=True)[0]
            return finalize(x, g, unshare, refit=True)
        finally:
            if restore is not None:
                restore(True)


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


def _forward_source(steps: list[Step]) -> tuple[str, dict[str, Any]]:
    """The source of `replay(v0, data) -> (values, continuations)`, one line per step, and its
    globals."""
    ns: dict[str, Any] = {}
    lines = ["def replay(v0, data):"]
    backs = ["None"]
    for i, step in enumerate(steps, 1):
        if step.how == StepKind.DATA:
            lines.append(f"    v{i} = data[{step.path[0]}]")
            backs.append("None")
            continue
        args = []
        if step.how != StepKind.VIEW:
            for j, (p, c) in enumerate(zip(step.parents, step.consts, strict=True)):
                if p < 0:
                    ns[f"c{i}_{j}"] = c
                    args.append(f"c{i}_{j}")
                else:
                    args.append(f"v{p}")
        if step.how == StepKind.OP:
            # The (output, continuation) form was checked when the record was made.
            # By identity: ops need not be hashable, and equal ones need not be the same.
            f = _shared(ns, "f", id(step.maker), step.maker.forward)  # type: ignore[attr-defined]  # an Op
            lines.append(f"    v{i}, b{i} = {f}({', '.join(args)})")
            backs.append(f"b{i}")
            continue
        if step.how == StepKind.VIEW:
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


# How `_looped_forward` computes a step: an op on one value, on two values, on a constant and
# a value, on a value and a constant, on any arguments; a view; a collect; a data leaf.
_OP1, _OP2, _OP_CV, _OP_VC, _OP_N, _SELECT, _LIST, _DATUM = range(8)


def _looped_forward(steps: list[Step]) -> Callable[[Any, list[Any]], tuple[list[Any], list[Any]]]:
    """What `_forward_source` generates, as a loop over one tuple per step (for long records)."""
    plan: list[tuple[int, Any, Any, Any]] = []
    forwards: dict[int, Any] = {}  # one bound method per op, as in `_shared`
    for step in steps:
        parents, consts = step.parents, step.consts
        if step.how == StepKind.VIEW:
            plan.append((_SELECT, step.backward, parents[0], step.path))
        elif step.how == StepKind.DATA:
            plan.append((_DATUM, None, step.path[0], None))
        elif step.how == StepKind.COLLECT:
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


# ---------------------------------------------------------------------------------------------
# The generated sweep: the engine's step at each node, without the checks
# ---------------------------------------------------------------------------------------------
#
# A replay's sweep is the engine's (`tape.sweep`) without the checks, which held for these ops
# on these shapes when the record was first run: both are made from the one step of
# `typedprop._core.sweep`, so they do the same at each node, in the same order.


def _reach(steps: list[Step], out: int) -> tuple[list[bool], list[bool]]:
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
                    partial[p] = partial[p] or step.how != StepKind.OP
    return reached, partial


def _parameter_parts(steps: list[Step]) -> dict[int, list[tuple[int, tuple[int, ...]]]]:
    """`Record.parts` of a record of `steps`."""
    parts: dict[int, list[tuple[int, tuple[int, ...]]]] = {}
    of_parameter = {0}
    for i, step in enumerate(steps, 1):
        if step.how == StepKind.VIEW and step.parents[0] in of_parameter:
            of_parameter.add(i)
            parts.setdefault(step.parents[0], []).append((i, tuple(k for k, _ in step.path)))
    return parts


def _sweep_source(
    steps: list[Step], out: int, parts: dict[int, list[tuple[int, tuple[int, ...]]]]
) -> tuple[str, dict[str, Any]]:
    """The source of `sweep(values, continuations, seed) -> gradient of node 0`, and its
    globals: the step at each node that leads to the output, from the output back, with what
    the record tells of the node decided as the code is made (whether it is a view, may get a
    Partial, takes `needs`; which of its inputs take a gradient, and whether an input gets its
    first there, stored without `accumulate`). With `parts` (`Record.parts`), it takes no
    step at the parameter's parts and returns the gradients of node 0 and of each part, by
    node, for `assemble`."""
    ns = namespace()
    reached, partial = _reach(steps, out)
    part_nodes = {n for items in parts.values() for n, _ in items}
    # Nodes after the output (an op whose value `f` did not return) take no gradient.
    names = ", ".join(f"b{i}" if i <= out and reached[i] else "_" for i in range(len(steps) + 1))
    lines = ["def sweep(values, backs, seed):", f"    {names}, = backs"]
    # The values the steps read: those of the ops that may get a Partial, to make it whole.
    held = [False] + [partial[i] and steps[i - 1].how != StepKind.VIEW for i in range(1, out + 1)]
    lines += [f"    v{i} = values[{i}]" for i in range(1, out + 1) if held[i]]
    # Nothing reads the lists again: free the values now, not after the sweep.
    lines += ["    backs.clear()", "    values.clear()"]
    waiting = [i for i in range(out) if reached[i]]
    if waiting:
        lines.append(f"    {' = '.join(f'g{i}' for i in waiting)} = None")
    lines.append(f"    g{out} = seed")
    seen = [False] * (out + 1)  # whether a gradient for the node may have been stored
    # Nodes of one shape share their step's source, made once (see `_step_source`).
    shapes: dict[tuple[Any, ...], str] = {}
    for i in range(out, 0, -1):
        if not reached[i] or i in part_nodes:
            continue
        step = steps[i - 1]
        first = []
        for p, need in zip(step.parents, step.needs, strict=True):
            first.append(not seen[p])
            seen[p] = seen[p] or need
        shape = (
            step.how == StepKind.VIEW,
            held[i],
            step.maker.takes_needs,
            step.needs,
            tuple(first),
        )
        source = shapes.get(shape)
        if source is None:
            source = shapes[shape] = _step_source(*shape)
        needs = _shared(ns, "n", step.needs, step.needs) if step.maker.takes_needs else ""
        lines.append(source.format(*step.parents, i=i, needs=needs))
    if parts:
        grads = [0, *sorted(part_nodes)]
        found = ", ".join(f"{i}: g{i}" if reached[i] else f"{i}: None" for i in grads)
        lines.append(f"    return {{{found}}}")
    else:
        lines.append("    return g0" if reached[0] else "    return None")
    return "\n".join(lines) + "\n", ns


def _step_source(
    view: bool, held: bool, takes_needs: bool, needs: tuple[bool, ...], first: tuple[bool, ...]
) -> str:
    """The step of an unrolled sweep at a node of one shape (whether it is a view, holds its
    value, takes `needs`; which of its inputs take a gradient, and which get their first), its
    names left as fields: `{i}`, the node; `{0}`, `{1}`, ..., its inputs; `{needs}`, the name
    of its `needs`."""
    facts = {
        "VIEW": view,
        "MAYBE_PARTIAL": held,
        "TAKES_NEEDS": takes_needs,
        "CHECKED": False,
        "HINTED": False,
    }
    places = {
        "g": "g{i}",
        "take": "",
        "back": "b{i}",
        "gk": "t0",
        "whole": "g{0}",
        "value": "v{i}",
        "let_go": "v{i} = None" if held else "",
        "needs": "{needs}",
        "results": " ".join(f"t{j}," for j in range(len(needs))) or "_",
        "drop": "b{i} = g{i} = None",
    }
    inputs = [
        ({"TAKES_GRADIENT": need, "FIRST": is_first}, {"gk": f"t{j}", "into": f"g{{{j}}}"})
        for j, (need, is_first) in enumerate(zip(needs, first, strict=True))
    ]
    return "\n".join("    " + line for line in sweep_step(facts, places, Inputs(None, inputs)))


# The sweep of a long record: the step in a loop over one tuple per node that leads to the
# output, `(i, view, maybe_partial, needs, parents)`, what the step does at a node decided as it
# runs from the node's tuple. Made once, for every record.
_LOOPED_SWEEP = """\
def looped_sweep(plan, out):
    def sweep(values, backs, seed):
        grads = [None] * (out + 1)
        grads[out] = seed
        for i, view, maybe_partial, needs, parents in plan:
            g = grads[i]
            {step}
        return grads[0]
    return sweep
"""


def _looped_sweep_source() -> str:
    facts: dict[str, Fact] = {
        "VIEW": "view",
        "MAYBE_PARTIAL": "maybe_partial",
        "TAKES_NEEDS": "needs is not None",
        "CHECKED": False,
        "HINTED": False,
    }
    places = {
        "g": "g",
        # Free what the continuation holds as soon as it has run.
        "take": "grads[i] = None\nback = backs[i]\nbacks[i] = None",
        "back": "back",
        "gk": "gk",
        "whole": "grads[parents[0]]",
        "value": "values[i]",
        "let_go": "values[i] = None",
        "needs": "needs",
        "results": "in_grads",
        "drop": "",  # the loop binds its names again before the next continuation runs
    }
    inputs = Inputs(
        "for p, gk in zip(parents, in_grads, strict=True):",
        [
            (
                {"TAKES_GRADIENT": "p >= 0", "FIRST": "{into} is None"},
                {"gk": "gk", "into": "grads[p]"},
            )
        ],
    )
    step = "\n".join(sweep_step(facts, places, inputs))
    return "\n".join(Template(_LOOPED_SWEEP).render({}, {"step": step})) + "\n"


_looped = _compile("looped_sweep", _looped_sweep_source(), namespace())


def _looped_sweep(steps: list[Step], out: int) -> Callable[[list[Any], list[Any], object], object]:
    """What `_sweep_source` generates, as a loop over one tuple per node (for long records)."""
    plan: list[tuple[int, bool, bool, Any, tuple[int, ...]]] = []
    reached, partial = _reach(steps, out)
    for i in range(out, 0, -1):
        if reached[i]:
            step = steps[i - 1]
            needs = step.needs if step.how == StepKind.OP and step.maker.takes_needs else None
            # The parents that take a gradient; -1 for constants and data.
            targets = tuple(p if n else -1 for p, n in zip(step.parents, step.needs, strict=True))
            plan.append((i, step.how == StepKind.VIEW, partial[i], needs, targets))
    return _looped(plan, out)  # type: ignore[no-any-return]
