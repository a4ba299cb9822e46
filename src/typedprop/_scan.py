"""`scan`: a loop over the leading axis of arrays, recorded once and run as one op.

`scan(step, init, xs)` is `jax.lax.scan`'s loop: `step(carry, x) -> (carry, y)` for each `x`
along the leading axis of `xs`, giving the last carry and the `y`s stacked. A Python loop of
ops does the same, but puts every op of every step on the tape, and the gradient of a weight
that every step reads is then one outer product per step, added up. A scan is one node of the
tape instead:

- **Recorded once.** `step` runs once, on the first `x`, on a tape of its own (`_StepTape`)
  that keeps its ops, each with its constants, with the runtime checks on; BVars of the
  enclosing `backprop` call that `step` reads (the weights it closes over) are taken in as
  inputs of the scan. The carry it returns must have the structure, shapes and dtypes of the
  one it was given, which is checked then: after that, every step has the first one's shapes,
  and no check runs again.
- **Run as generated code.** The ops that read the carry or `x` form the loop's body,
  generated as one Python function (the forward, keeping each step's continuations) and one
  more for the sweep back through the steps, made from the engine's own step
  (`typedprop._core.sweep`) as a recorded graph's are. The ops that read neither (a view of the
  parameters, `w.T`) run once, before the loop.
- **Weights' gradients summed at once.** For an op that reads something the same at every
  step and something that changes (`matvec(w, h)`), the op may say how the gradient for the
  former, summed over all steps, is computed from the stacked gradients of its output and the
  stacked other input (`Op.scan_gradient`: `G.T @ H`, one matrix product). The sweep then
  only keeps each step's gradient of the op's output, and the sum is one product after the
  loop. An op that does not say has its gradient added up step by step.

The scan is an `Op` (`_Scan`) whose inputs are the initial carry, `xs` and the BVars closed
over, so it works in the implicit style, inside `trace` (the record keeps the op and its step,
recorded once) and inside another scan.

Internal: users import `scan` from `typedprop`.
"""

import sys
from collections.abc import Callable, Sequence
from string import Formatter
from typing import Any, TypeVar, cast, overload

import numpy as np

from ._core.arrays import Vec
from ._core.bvar import BVar
from ._core.checks import checks_enabled
from ._core.errors import CheckError, TraceError
from ._core.op import Op
from ._core.structures import (
    Mismatch,
    Partial,
    accumulate,
    array_kind,
    array_module,
    check_supported,
    finalize,
    flatten,
    flatten_up_to,
    is_container,
    kind_of,
    structure,
    unflatten,
    zero,
)
from ._core.sweep import Inputs, namespace
from ._core.sweep import step as sweep_step
from ._core.tape import Maker, Node, Tape, active, recording
from ._tracing.values import is_traced, unwrap

C = TypeVar("C")
X = TypeVar("X")
Y = TypeVar("Y")
DX = TypeVar("DX", bound=np.dtype[Any])
DY = TypeVar("DY", bound=np.dtype[Any])

_Step = Callable[[BVar[C], BVar[X]], tuple[BVar[C], BVar[Y]]]


@overload
def scan(
    step: Callable[
        [BVar[C], BVar[np.ndarray[tuple[int], DX]]],
        tuple[BVar[C], BVar[np.ndarray[tuple[int], DY]]],
    ],
    init: object,
    xs: BVar[np.ndarray[tuple[int, int], DX]] | np.ndarray[tuple[int, int], DX],
) -> tuple[BVar[C], BVar[np.ndarray[tuple[int, int], DY]]]: ...
@overload
def scan(
    step: Callable[
        [BVar[C], BVar[np.ndarray[tuple[int], DX]]],
        tuple[BVar[C], BVar[np.ndarray[tuple[int, int], DY]]],
    ],
    init: object,
    xs: BVar[np.ndarray[tuple[int, int], DX]] | np.ndarray[tuple[int, int], DX],
) -> tuple[BVar[C], BVar[np.ndarray[tuple[int, int, int], DY]]]: ...
@overload
def scan(
    step: Callable[[BVar[C], BVar[np.ndarray[tuple[int], DX]]], tuple[BVar[C], BVar[float]]],
    init: object,
    xs: BVar[np.ndarray[tuple[int, int], DX]] | np.ndarray[tuple[int, int], DX],
) -> tuple[BVar[C], BVar[Vec]]: ...
@overload
def scan(
    step: Callable[
        [BVar[C], BVar[np.ndarray[tuple[int, int], DX]]],
        tuple[BVar[C], BVar[np.ndarray[tuple[int], DY]]],
    ],
    init: object,
    xs: BVar[np.ndarray[tuple[int, int, int], DX]] | np.ndarray[tuple[int, int, int], DX],
) -> tuple[BVar[C], BVar[np.ndarray[tuple[int, int], DY]]]: ...
@overload
def scan(
    step: Callable[
        [BVar[C], BVar[np.ndarray[tuple[int, int], DX]]],
        tuple[BVar[C], BVar[np.ndarray[tuple[int, int], DY]]],
    ],
    init: object,
    xs: BVar[np.ndarray[tuple[int, int, int], DX]] | np.ndarray[tuple[int, int, int], DX],
) -> tuple[BVar[C], BVar[np.ndarray[tuple[int, int, int], DY]]]: ...
@overload
def scan(
    step: Callable[[BVar[C], BVar[np.ndarray[tuple[int, int], DX]]], tuple[BVar[C], BVar[float]]],
    init: object,
    xs: BVar[np.ndarray[tuple[int, int, int], DX]] | np.ndarray[tuple[int, int, int], DX],
) -> tuple[BVar[C], BVar[Vec]]: ...
@overload
def scan(
    step: Callable[[BVar[C], BVar[float]], tuple[BVar[C], BVar[np.ndarray[tuple[int], DY]]]],
    init: object,
    xs: BVar[np.ndarray[tuple[int], DX]] | np.ndarray[tuple[int], DX],
) -> tuple[BVar[C], BVar[np.ndarray[tuple[int, int], DY]]]: ...
@overload
def scan(
    step: Callable[[BVar[C], BVar[float]], tuple[BVar[C], BVar[np.ndarray[tuple[int, int], DY]]]],
    init: object,
    xs: BVar[np.ndarray[tuple[int], DX]] | np.ndarray[tuple[int], DX],
) -> tuple[BVar[C], BVar[np.ndarray[tuple[int, int, int], DY]]]: ...
@overload
def scan(
    step: Callable[[BVar[C], BVar[float]], tuple[BVar[C], BVar[float]]],
    init: object,
    xs: BVar[np.ndarray[tuple[int], DX]] | np.ndarray[tuple[int], DX],
) -> tuple[BVar[C], BVar[Vec]]: ...
@overload
def scan(step: _Step[C, X, Y], init: object, xs: BVar[X] | X) -> tuple[BVar[C], BVar[Y]]: ...
def scan(step: _Step[Any, Any, Any], init: Any, xs: Any) -> tuple[BVar[Any], BVar[Any]]:
    """Run `step(carry, x) -> (carry, y)` over the leading axis of `xs`, from the carry `init`:
    the last carry and the `y`s stacked along a new leading axis (`jax.lax.scan`'s loop).

    `xs` is an array or any structure of arrays (a tuple, a dict, a dataclass) whose leaves
    share their leading axis, the steps; `step` gets each `x` of the same structure. The carry
    it returns must have the structure, shapes and dtypes of the one it was given; each `y`
    has the first one's, and a number `y` stacks into a vector. BVars that `step` reads from
    the enclosing function (the weights it closes over) are differentiated, as `init` and `xs`
    are.

    `step` runs once on a tape of its own, with the runtime checks, so a shape error names the
    op and the first step; its ops are then run for every step as generated code, with no
    check, and a weight's gradient is summed over the steps at once where the op knows how
    (`matvec(w, h)`'s is one matrix product, `G.T @ H`). In `trace`, the record keeps the
    step as recorded, like any op.

    **Raises:** `CheckError` for `xs` with no array, leaves of different lengths or no steps,
    and for a step that does not return a pair of BVars or returns a carry unlike the one it
    was given (naming the leaf and both shapes).

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> w = np.array([[0.5, 0.2], [0.0, 0.5]])
        >>> xs = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])  # 3 steps of 2 inputs
        >>> def total(w: tp.BVar[tp.Mat]) -> tp.BVar[float]:
        ...     def step(h: tp.BVar[tp.Vec], x: tp.BVar[tp.Vec]) -> tuple[
        ...         tp.BVar[tp.Vec], tp.BVar[tp.Vec]
        ...     ]:
        ...         h = ops.tanh(ops.matvec(w, h) + x)
        ...         return h, h  # the new carry, and this step's y
        ...     h, hs = tp.scan(step, np.zeros(2), xs)
        ...     return ops.sum(hs)  # hs: the states of the 3 steps, shape (3, 2)
        >>> def looped(w: tp.BVar[tp.Mat]) -> tp.BVar[float]:
        ...     h, total = np.zeros(2), 0.0
        ...     for x in xs:
        ...         h = ops.tanh(ops.matvec(w, h) + x)
        ...         total = total + ops.sum(h)
        ...     return total
        >>> round(float(tp.evaluate(total, w)), 6) == round(float(tp.evaluate(looped, w)), 6)
        True
        >>> np.allclose(tp.grad(total, w), tp.grad(looped, w), rtol=1e-12)
        True
        ```
    """
    outer = active()
    base = _next_index(outer)
    init_value, xs_value = _value(init), _value(xs)
    check_supported(init_value, "scan: the initial carry")
    x_leaves, x_def = flatten(xs_value)
    _steps(x_leaves, x_def)
    first_x = unflatten(x_def, [leaf[0] for leaf in x_leaves])
    tape = _StepTape(outer, base)
    with recording(tape):
        carry_in = BVar(init_value, tape, tape.input(init_value))
        x_in = BVar(first_x, tape, tape.input(first_x))
        returned = step(carry_in, x_in)
        program = tape.program(returned, init_value)
    # Plain xs go in leaf by leaf: a traced graph's data are its leaves, each its own node.
    x_parts = [xs] if type(xs) is BVar else flatten(xs)[0]
    op = _Scan(program, None if type(xs) is BVar else x_def, len(x_parts))
    out = op(init, *x_parts, *tape.closures)
    if type(out) is not BVar:
        carry, ys = cast(tuple[Any, Any], out)
        return BVar(carry), BVar(ys)
    carry_var, ys_var = cast(BVar[tuple[Any, Any]], out).unpack()
    return carry_var, ys_var


def _value(x: object) -> Any:
    return unwrap(x.value if type(x) is BVar else x)


def _next_index(tape: Tape | None) -> int:
    """The index the next node of `tape` gets (a step tape's count on from its outer's)."""
    if tape is None:
        return 0
    if isinstance(tape, _StepTape):
        return tape.base + len(tape.nodes)
    return len(tape.nodes)


def _steps(leaves: list[Any], treedef: object) -> int:
    """The number of steps: the length of the leaves' leading axis, the same for all."""
    if not leaves:
        raise CheckError("scan: xs holds no array to scan over")
    lengths = set()
    for leaf in leaves:
        shape = getattr(leaf, "shape", None)
        if array_kind(leaf) is None or not shape:
            raise CheckError(
                "scan: xs must be arrays with a leading axis (the steps), "
                f"but it holds a {type(leaf).__name__}"
                + (f" of shape {tuple(shape)}" if shape is not None else "")
            )
        lengths.add(int(shape[0]))
    if len(lengths) > 1:
        shapes = ", ".join(str(tuple(leaf.shape)) for leaf in leaves)
        raise CheckError(
            f"scan: the arrays of xs must have the same leading axis (the steps), got {shapes}"
        )
    (length,) = lengths
    if length == 0:
        raise CheckError("scan: xs has no steps (its leading axis has length 0)")
    return length


# ---------------------------------------------------------------------------------------------
# Recording the step
# ---------------------------------------------------------------------------------------------

# A reference to a value the step reads: ("n", i), node i of the step (0 the carry, 1 the
# x); ("k", m), the m-th BVar closed over; ("c", value), a constant.
Ref = tuple[str, Any]


class _Entry:
    """One recorded node of the step: an op, a view or a collect, on its references."""

    __slots__ = ("backward", "kind", "maker", "path", "refs", "value")

    def __init__(
        self,
        kind: str,
        maker: Maker,
        refs: list[Ref],
        value: object,
        backward: Any = None,
        path: tuple[int, ...] = (),
    ) -> None:
        self.kind = kind  # "op", "view", "collect"
        self.maker = maker
        self.refs = refs
        self.value = value  # at the first step
        self.backward = backward  # a view's or a collect's (which depend on no value)
        self.path = path


class _StepTape(Tape):
    """The tape a scan's step is recorded on. Its nodes are numbered on from the enclosing
    tape's (`base`), so an op given both a BVar of the step and one of the enclosing function
    (a weight, taken in by `check_live` through `captures`) tells them apart by number."""

    __slots__ = ("base", "captured", "closures", "entries", "outer")
    intercepts = True

    def __init__(self, outer: Tape | None, base: int) -> None:
        super().__init__()
        self.outer = outer
        self.base = base
        self.entries: list[_Entry] = []
        #: The enclosing nodes read, by number, and their BVars: the scan's extra inputs.
        self.captured: dict[int, int] = {}
        self.closures: list[BVar[Any]] = []

    def captures(self, tape: Tape) -> bool:
        outer = self.outer
        while outer is not None:
            if outer is tape:
                return True
            outer = outer.outer if isinstance(outer, _StepTape) else None
        return False

    def input(self, value: object) -> int:
        """A leaf of the step (the carry, then `x`); its number."""
        self.nodes.append(Node(value, (), None, None))
        return self.base + len(self.nodes) - 1

    def _ref(self, value: object, p: int, what: str) -> Ref:
        if p >= self.base:
            return ("n", p - self.base)
        if p >= 0:
            m = self.captured.get(p)
            if m is None:
                m = self.captured[p] = len(self.closures)
                # The node's own value: a view's `value` is its part's.
                owner = self._owner(p)
                node = owner.nodes[p - owner.base if isinstance(owner, _StepTape) else p]
                assert node is not None
                self.closures.append(BVar(node.value, owner, p))
            return ("k", m)
        if is_traced(value):
            raise TraceError(
                f"scan: {what} was given a traced value as a constant (data or a parameter's "
                ".value read by the step): a recorded graph would keep it fixed. Pass it to "
                "scan in xs, or close over the BVar itself"
            )
        return ("c", value)

    def _owner(self, p: int) -> Tape:
        tape = self.outer
        while isinstance(tape, _StepTape) and p < tape.base:
            tape = tape.outer
        assert tape is not None
        return tape

    def _add(self, entry: _Entry, parents: tuple[int, ...], backward: Any) -> int:
        self.entries.append(entry)
        self.nodes.append(Node(entry.value, parents, backward, entry.maker))
        return self.base + len(self.nodes) - 1

    def apply(self, op: Maker, values: Sequence[object], parents: tuple[int, ...]) -> object:
        assert isinstance(op, Op)
        refs = [self._ref(v, p, op.name) for v, p in zip(values, parents, strict=True)]
        real = [unwrap(v) for v in values]
        if op.hinted and checks_enabled():
            out, backward = op._run_checked(real)
        else:
            out, backward = op._forward(real)
        return BVar(out, self, self._add(_Entry("op", op, refs, out), parents, backward))

    def apply_plain(self, op: Maker, values: Sequence[object]) -> object:
        for v in values:
            self._ref(v, -1, op.name)  # refuses a traced value
        return NotImplemented

    def record(
        self,
        value: object,
        parents: tuple[int, ...],
        backward: Callable[[object], tuple[object, ...]],
        maker: Maker,
        extra: object = None,
    ) -> int:
        if maker.takes_partial:  # a view: `extra` is its path
            (p,) = parents
            ref = self._ref(value, p, "a view")
            path = tuple(cast(tuple[int, ...], extra))
            entry = _Entry("view", maker, [ref], unwrap(value), backward, path)
        else:  # a collect: `value` is the list of its items
            items = list(value)  # type: ignore[call-overload]  # a collect's list
            refs = [self._ref(v, p, "collect") for v, p in zip(items, parents, strict=True)]
            entry = _Entry("collect", maker, refs, [unwrap(v) for v in items], backward)
        return self._add(entry, parents, backward)

    def output(self, x: object, what: str) -> Ref:
        """The reference to what the step returned as `what` (a BVar)."""
        if type(x) is not BVar:
            raise CheckError(
                f"scan: the step must return a pair (carry, y) of BVars, but its {what} is a "
                f"{type(x).__name__}"
            )
        if x._tape is None:
            return ("c", unwrap(x.value))
        if x._tape is not self and not self.captures(x._tape):
            raise CheckError(f"scan: the step's {what} belongs to another backprop call")
        return self._ref(x.value, x._index, "the step")

    def program(self, returned: object, init: object) -> "_Program":
        """The step as recorded, for the step's return value `returned`."""
        if type(returned) is not tuple or len(returned) != 2:
            raise CheckError(
                "scan: the step must return a pair (carry, y) of BVars, but it returned "
                + (
                    f"{len(returned)} values"
                    if type(returned) is tuple
                    else type(returned).__name__
                )
            )
        carry, y = returned
        refs = (self.output(carry, "carry"), self.output(y, "y"))
        _check_carry(init, unwrap(carry.value))
        inputs = (init, self.nodes[1].value)  # type: ignore[union-attr]  # the step's leaves
        closures = [unwrap(b.value) for b in self.closures]
        # The same step recorded again (the implicit style's next call) is the same program:
        # its generated code depends on the ops, their constants and the shapes, not on the
        # values, so it is made once.
        key = _program_key(self.entries, closures, refs, inputs)
        program = _PROGRAMS.get(key)
        if program is None:
            program = _Program(self.entries, closures, refs, inputs)
            _PROGRAMS[key] = program
            if len(_PROGRAMS) > _PROGRAMS_KEPT:
                del _PROGRAMS[next(iter(_PROGRAMS))]
        return program


# The programs made, by `_program_key`, the oldest first; a program holds its constants, so the
# ids in its key name those very objects while it is kept.
_PROGRAMS: dict[tuple[Any, ...], "_Program"] = {}
_PROGRAMS_KEPT = 64


def _program_key(
    entries: list[_Entry], closures: list[Any], outs: tuple[Ref, Ref], inputs: tuple[Any, Any]
) -> tuple[Any, ...]:
    """What a program's code depends on: each entry's maker and references (a constant by
    identity), its path, the shapes and dtypes of every value at the first step."""

    def ref(r: Ref) -> Any:
        return (r[0], id(r[1])) if r[0] == "c" else r

    return (
        tuple(
            (e.kind, id(e.maker), tuple(map(ref, e.refs)), e.path, _signature(e.value))
            for e in entries
        ),
        tuple(map(ref, outs)),
        tuple(_signature(c) for c in closures),
        _signature(inputs[0]),
        _signature(inputs[1]),
    )


def _signature(x: Any) -> Any:
    leaves, treedef = flatten(x, unknown_leaves=True)
    return (structure(treedef), tuple((type(a), _shape(a), _dtype(a)) for a in leaves))


def _check_carry(init: object, carry: object) -> None:
    """The step's carry must be the one it was given, in structure, shapes and dtypes."""
    a, adef = flatten(init)
    try:
        b = flatten_up_to(adef, carry)
        if len(flatten(carry)[0]) != len(a) or is_container(carry) != is_container(init):
            raise Mismatch("another structure")
    except Mismatch:
        raise CheckError(
            "scan: the step returned a carry of another structure than the one it was given "
            f"({type(carry).__name__} for {type(init).__name__})"
        ) from None
    for i, (u, v) in enumerate(zip(a, b, strict=True)):
        where = f" (leaf {i})" if len(a) > 1 else ""
        if _shape(u) != _shape(v) or _dtype(u) != _dtype(v):
            raise CheckError(
                f"scan: the step returned a carry{where} of shape {_shape(v)} and dtype "
                f"{_dtype(v)}, but was given one of shape {_shape(u)} and dtype {_dtype(u)}: "
                "every step must return the carry it is given, in shape and dtype"
            )


def _shape(x: object) -> tuple[int, ...]:
    return tuple(getattr(x, "shape", ()))


def _dtype(x: object) -> str:
    kind = array_kind(x)
    if kind is not None:
        return str(kind.numpy_dtype(x))
    # A Python float is a float64 (a step's arithmetic turns it into numpy's).
    return str(np.asarray(x).dtype) if isinstance(x, np.generic | float) else type(x).__name__


# ---------------------------------------------------------------------------------------------
# The program: the step's entries, before the loop and in it, as generated code
# ---------------------------------------------------------------------------------------------


class _Program:
    """A recorded step made runnable: the entries that read neither the carry nor `x` (run
    once, before the loop: `pre`), the others (the loop's body, generated as `forward`), and
    per set of inputs that need a gradient, the generated sweep back through the steps."""

    def __init__(
        self,
        entries: list[_Entry],
        closures: list[Any],
        outs: tuple[Ref, Ref],
        inputs: tuple[object, object],
    ) -> None:
        init = inputs[0]
        self.n_closures = len(closures)
        self.carry_def = flatten(init)[1]
        self.carry_is_leaf = not is_container(init)
        # Nodes 0 and 1 are the carry and x; entry j is node j + 2. What reads either changes
        # from step to step; what reads the carry must run step by step.
        stepped = [True, True]
        carried = [True, False]
        for entry in entries:
            parents = [r[1] for r in entry.refs if r[0] == "n"]
            stepped.append(any(stepped[p] for p in parents))
            carried.append(any(carried[p] for p in parents))
        self.closures = closures
        self.values: dict[int, Any] = {0: inputs[0], 1: inputs[1]}
        self.values.update((j + 2, e.value) for j, e in enumerate(entries))
        # Outside the loop: the closures (slots 0..K-1), then the entries before it. What
        # reads x but not the carry runs before the loop too, for all steps at once, where its
        # op can (`hoisted`, see `Op.scan_batched`); the loop reads each step's part.
        self.slot: dict[int, int] = {}
        self.pre: list[tuple[int, _Entry]] = []
        self.body: list[tuple[int, _Entry]] = []
        self.hoisted: list[tuple[int, _Entry, Any]] = []
        stacked = {1}
        for j, entry in enumerate(entries):
            node = j + 2
            if not stepped[node]:
                self.slot[node] = self.n_closures + len(self.pre)
                self.pre.append((node, entry))
                continue
            if not carried[node] and all(r[0] != "n" or r[1] in stacked for r in entry.refs):
                how = self._batched_forward(entry)
                if how is not None:
                    self.hoisted.append((node, entry, how))
                    stacked.add(node)
                    continue
            self.body.append((node, entry))
        self.stacked = stacked
        self.n_outside = self.n_closures + len(self.pre)
        self.outs = tuple(self._local(r) for r in outs)
        # The stacked nodes the loop reads (x itself included), each step's part of them.
        read = {r[1] for _, e in self.body for r in map(self._local, e.refs) if r[0] == "n"}
        read |= {r[1] for r in self.outs if r[0] == "n"}
        self.sliced = sorted(read & stacked)
        self._batched = self._find_batched()
        # The body's elementwise ops: their derivatives for all steps at once, after the
        # forward loop (see `Op.scan_derivative`), and each step's gradient one product.
        self.elementwise: dict[int, Any] = {}
        viewed = {r[1] for _, e in self.body if e.kind != "op" for r in e.refs if r[0] == "n"}
        for node, entry in self.body:
            maker = entry.maker
            if isinstance(maker, Op) and node not in viewed and len(entry.refs) == 1:
                args, changes = self._first_args(entry)
                how = maker.scan_derivative(args[0]) if changes[0] else None
                if how is not None:
                    self.elementwise[node] = how
        self.inline = self._find_inline(viewed)
        self.forward = self._make_forward()
        self._sweeps: dict[tuple[Any, ...], Any] = {}
        self._step: Any = None

    def _local(self, ref: Ref) -> Ref:
        """A reference as the loop sees it: ("n", i) a node of the body or an input, ("o", m)
        an outside slot, ("c", value) a constant."""
        kind, x = ref
        if kind == "k":
            return ("o", x)
        if kind == "n" and x in self.slot:
            return ("o", self.slot[x])
        return ref

    def _first_args(self, entry: _Entry) -> tuple[list[Any], tuple[bool, ...]]:
        """An entry's inputs at the first step, and which of them change from step to step."""
        args = []
        for r, orig in zip(map(self._local, entry.refs), entry.refs, strict=True):
            if r[0] == "o":
                closure = r[1] < self.n_closures
                args.append(self.closures[r[1]] if closure else self.values[orig[1]])
            else:
                args.append(self.values[r[1]] if r[0] == "n" else r[1])
        return args, tuple(r[0] == "n" for r in map(self._local, entry.refs))

    def _batched_forward(self, entry: _Entry) -> Any:
        """How an entry that reads x but not the carry runs for all steps at once: "view" for
        a view of an array, the op's `scan_batched`, or None (it runs step by step)."""
        if entry.kind == "view":
            return "view" if array_kind(entry.value) is not None else None
        if entry.kind != "op" or not isinstance(entry.maker, Op):
            return None
        return entry.maker.scan_batched(*self._first_args(entry))

    def _find_batched(self) -> dict[int, list[tuple[int, Any]]]:
        """The body's ops whose gradient for an outside input is summed over all steps at once
        (see `Op.scan_gradient`): node -> [(input, how)]."""
        viewed = {r[1] for _, e in self.body if e.kind != "op" for r in e.refs if r[0] == "n"}
        found: dict[int, list[tuple[int, Any]]] = {}
        for node, entry in self.body:
            if entry.kind != "op" or node in viewed:
                continue
            refs = [self._local(r) for r in entry.refs]
            args, stacked = self._first_args(entry)
            for k, r in enumerate(refs):
                if r[0] != "o" or not isinstance(entry.maker, Op):
                    continue
                how = entry.maker.scan_gradient(k, args, stacked)
                if how is not None:
                    found.setdefault(node, []).append((k, how))
        return found

    def _find_inline(self, viewed: set[int]) -> dict[int, tuple[str, tuple[str, ...]]]:
        """The body's ops written into the loops as expressions (see `Op.scan_inline`): node
        -> (forward, gradient of each input). Not an op whose gradient may be a Partial (a
        view or collect reads it), nor one whose gradient for an input taken step by step
        reads an input that changes from step to step: the sweep reads only the gradient and
        what is the same at every step."""
        found: dict[int, tuple[str, tuple[str, ...]]] = {}
        for node, entry in self.body:
            if (
                entry.kind != "op"
                or not isinstance(entry.maker, Op)
                or node in viewed
                or node in self.elementwise
            ):
                continue
            args, changes = self._first_args(entry)
            how = entry.maker.scan_inline(args)
            if how is None:
                continue
            summed = {k for k, _ in self._batched.get(node, [])}
            refs = [self._local(r) for r in entry.refs]
            reads = [
                {int(f) for _, f, _, _ in Formatter().parse(how[1][k]) if f and f != "g"}
                for k in range(len(refs))
            ]
            if all(
                not changes[i]
                for k, r in enumerate(refs)
                if r[0] != "c" and k not in summed
                for i in reads[k]
            ):
                found[node] = how
        return found

    def _args(self, node: int, entry: _Entry, ns: dict[str, Any]) -> list[str]:
        args = []
        for j, ref in enumerate(entry.refs):
            kind, x = self._local(ref)
            if kind == "n":
                args.append(f"v{x}")
            elif kind == "o":
                args.append(f"o{x}")
            else:
                ns[f"c{node}_{j}"] = x
                args.append(f"c{node}_{j}")
        return args

    def _value_line(self, node: int, entry: _Entry, ns: dict[str, Any], v: str) -> str:
        """The line that computes a node's value (and an op's continuation, `b{node}`)."""
        args = self._args(node, entry, ns)
        if entry.kind == "op":
            ns[f"f{node}"] = entry.maker.forward  # type: ignore[attr-defined]  # an Op
            return f"{v}, b{node} = f{node}({', '.join(args)})"
        if entry.kind == "view":
            ns[f"path{node}"] = entry.path
            return f"{v} = select({args[0]}, path{node})"
        return f"{v} = [{', '.join(args)}]"

    def _make_forward(self) -> Any:
        """`forward(carry, xs_leaves, outside, length) -> (carry, ys, continuations, saved)`:
        the loop, with each step's continuations kept as a tuple and the stepped inputs of
        the batched ops kept for their summed gradients."""
        ns: dict[str, Any] = {"select": _select, "unflatten": unflatten, "flatten": flatten}
        lines = ["def forward(v0, X, outside, T, xdef, leaf_x, H):"]
        if self.n_outside:
            lines.append(f"    {''.join(f'o{m}, ' for m in range(self.n_outside))}= outside")
        lines += [f"    H{n} = H[{n}]" for n in self.sliced if n != 1]
        lines.append("    backs = [None] * T")
        lines.append("    ys = [None] * T")
        # The stepped inputs of the batched ops that read them, kept at each step unless
        # they are stacked already: (node, input, node read).
        body = dict(self.body)
        self.saved = [
            (node, k, ref[1])
            for node, how in self._batched.items()
            if any(getattr(h, "reads_inputs", True) for _, h in how)
            for k, ref in enumerate(self._local(r) for r in body[node].refs)
            if ref[0] == "n"
        ]
        stacked_refs = [f"v{p}" for _, _, p in self.saved if p not in self.stacked]
        # The values of the nodes viewed or collected in the loop: a Partial gradient of one
        # is made whole on the way back with its value at that step.
        self.held = sorted(
            {
                r[1]
                for _, e in self.body
                if e.kind != "op"
                for r in map(self._local, e.refs)
                if r[0] == "n" and r[1] > 1
            }
        )
        # The elementwise ops' inputs, for their derivatives.
        self.elementwise_inputs = [
            self._local(dict(self.body)[n].refs[0])[1] for n in self.elementwise
        ]
        stacked_refs += [f"v{p}" for p in self.elementwise_inputs]
        lines.append(f"    saved = [[None] * T for _ in range({len(stacked_refs)})]")
        lines.append(f"    held = {{{', '.join(f'{n}: [None] * T' for n in self.held)}}}")
        if self.carry_is_leaf:
            lines.append("    carries = None")
        else:
            lines.append("    carries = [None] * T")
        lines.append("    for t in range(T):")
        if 1 in self.sliced:
            lines.append("        v1 = X[0][t] if leaf_x else unflatten(xdef, [a[t] for a in X])")
        lines += [f"        v{n} = H{n}[t]" for n in self.sliced if n != 1]
        if not self.carry_is_leaf:
            lines.append("        carries[t] = v0")
        backs = []
        for node, entry in self.body:
            if node in self.elementwise:
                # The value alone: its derivative comes after the loop, for all steps.
                (arg,) = self._args(node, entry, ns)
                value = getattr(entry.maker, "numpy_value", None)
                if value is not None:
                    ns[f"vd{node}"] = value  # (no derivative function made per step)
                    lines.append(f"        v{node} = vd{node}({arg})")
                else:
                    ns[f"vd{node}"] = entry.maker.value_and_derivative  # type: ignore[attr-defined]  # elementwise
                    lines.append(f"        v{node} = vd{node}({arg})[0]")
                continue
            if node in self.inline:
                forward = self.inline[node][0]
                lines.append(f"        v{node} = {forward.format(*self._args(node, entry, ns))}")
                continue
            lines.append("        " + self._value_line(node, entry, ns, f"v{node}"))
            if entry.kind == "op":
                backs.append(f"b{node}")
        lines.append(f"        backs[t] = ({''.join(b + ', ' for b in backs)})")
        for i, name in enumerate(stacked_refs):
            lines.append(f"        saved[{i}][t] = {name}")
        for n in self.held:
            lines.append(f"        held[{n}][t] = v{n}")
        lines.append(f"        ys[t] = {self._out_expr(self.outs[1], ns, 'y')}")
        lines.append(f"        v0 = {self._out_expr(self.outs[0], ns, 'carry')}")
        lines.append("    return v0, ys, backs, saved, held, carries")
        self.backs = backs
        source = "\n".join(lines) + "\n"
        self.forward_source = source
        exec(compile(source, "<typedprop scan forward>", "exec"), ns)
        return ns["forward"]

    def _inline_step(
        self,
        node: int,
        entry: _Entry,
        refs: list[Ref],
        step_needs: tuple[bool, ...],
        take: str,
        seen: set[int],
        ns: dict[str, Any],
        ind: str,
    ) -> list[str]:
        """The sweep's lines at an inlined op (see `_find_inline`): each needed input's
        gradient as its expression, stored at its first or added (as the engine's step)."""
        args = self._args(node, entry, ns)
        lines = [ind + f"if g{node} is not None:"]
        if take:
            lines.append(ind + "    " + take)
        for k, (need, r) in enumerate(zip(step_needs, refs, strict=True)):
            if not need:
                continue
            expr = self.inline[node][1][k].format(*args, g=f"g{node}")
            if r[0] == "n":
                into = f"g{r[1]}"
                first = r[1] not in seen
                seen.add(r[1])
            else:
                into, first = f"a{r[1]}", False
            lines.append(
                ind
                + "    "
                + (f"{into} = {expr}" if first else f"{into} = accumulate({into}, {expr})")
            )
        if len(lines) == 1:
            lines.append(ind + "    pass")
        return lines

    def step_function(self) -> Any:
        """`step(carry, x, outside, sliced) -> (carry, y, continuations, held)`: one step of
        the loop, for `lax.scan`'s body (see `_lax_scan`), made on first use. `sliced` are this
        step's rows of the stacked nodes the loop reads; `held`, the values of the nodes whose
        Partial gradients the sweep makes whole."""
        if self._step is None:
            assert not self._batched and not self.elementwise and not self.inline
            ns: dict[str, Any] = {"select": _select}
            lines = ["def step(v0, v1, outside, sliced):"]
            if self.n_outside:
                lines.append(f"    {''.join(f'o{m}, ' for m in range(self.n_outside))}= outside")
            rows = [n for n in self.sliced if n != 1]
            if rows:
                lines.append(f"    {''.join(f'v{n}, ' for n in rows)}= sliced")
            for node, entry in self.body:
                lines.append("    " + self._value_line(node, entry, ns, f"v{node}"))
            held = ", ".join(f"{n}: v{n}" for n in self.held)
            carry = self._out_expr(self.outs[0], ns, "carry")
            y = self._out_expr(self.outs[1], ns, "y")
            backs = "".join(b + ", " for b in self.backs)
            lines.append(f"    return {carry}, {y}, ({backs}), {{{held}}}")
            exec(compile("\n".join(lines) + "\n", "<typedprop scan step>", "exec"), ns)
            self._step = ns["step"]
        return self._step

    def step_sweep(self, needs: tuple[bool, ...]) -> Any:
        """The sweep back through one step, for `lax.scan` (see `_make_sweep`)."""
        key = ("step", *needs)
        made = self._sweeps.get(key)
        if made is None:
            made = self._sweeps[key] = self._make_sweep(needs, single=True)
        return made

    @staticmethod
    def _out_expr(ref: Ref, ns: dict[str, Any], name: str) -> str:
        kind, x = ref
        if kind == "n":
            return f"v{x}"
        if kind == "o":
            return f"o{x}"
        ns[f"out_{name}"] = x
        return f"out_{name}"

    def run_pre(self, closures: Sequence[Any]) -> tuple[list[Any], list[Any]]:
        """The values of the outside slots (the closures, then the entries before the loop),
        and the continuations of those entries."""
        values = list(closures)
        backs: list[Any] = []
        for _node, entry in self.pre:
            args = [
                values[r[1]] if r[0] == "o" else r[1] for r in (self._local(x) for x in entry.refs)
            ]
            if entry.kind == "op":
                v, b = entry.maker.forward(*args)  # type: ignore[attr-defined]  # an Op
            elif entry.kind == "view":
                v, b = _select(args[0], entry.path), entry.backward
            else:
                v, b = list(args), entry.backward
            values.append(v)
            backs.append(b)
        return values, backs

    def run_hoisted(self, xs: Any, outside: list[Any]) -> tuple[dict[int, Any], dict[int, Any]]:
        """The values of the entries that run for all steps at once (stacked; node 1 is xs)
        and their continuations."""
        values: dict[int, Any] = {1: xs}
        backs: dict[int, Any] = {}
        for node, entry, how in self.hoisted:
            args = []
            for r in map(self._local, entry.refs):
                args.append(values[r[1]] if r[0] == "n" else outside[r[1]] if r[0] == "o" else r[1])
            if how == "view":
                values[node], backs[node] = _select(args[0], entry.path), entry.backward
            else:
                values[node], backs[node] = how(*args)
        return values, backs

    def sweep_hoisted(
        self,
        grads: dict[int, Any],
        values: dict[int, Any],
        backs: dict[int, Any],
        accs: list[Any],
        wanted: list[bool],
        x_needed: bool,
    ) -> None:
        """Back through the entries run for all steps at once, from the stacked gradients of
        those the loop read (`grads`, by node): into `grads[1]` (xs's) and the outside slots'
        accumulators."""
        for node, entry, how in reversed(self.hoisted):
            g = grads.pop(node, None)
            if g is None:
                continue
            refs = [self._local(r) for r in entry.refs]
            if how == "view":
                ((gk,), r) = backs[node](g), refs[0]
                if r[0] == "n" and (r[1] != 1 or x_needed):
                    grads[r[1]] = accumulate(grads.get(r[1]), gk)
                continue
            if type(g) is Partial:
                g = finalize(values[node], g)
            ask = tuple(
                (r[0] == "n" and (r[1] != 1 or x_needed)) or (r[0] == "o" and wanted[r[1]])
                for r in refs
            )
            if not any(ask):
                continue
            results = backs[node](g, ask) if entry.maker.takes_needs else backs[node](g)
            for r, gk, asked in zip(refs, results, ask, strict=True):
                if asked and r[0] == "n":
                    grads[r[1]] = accumulate(grads.get(r[1]), gk)
                elif asked:
                    accs[r[1]] = accumulate(accs[r[1]], gk)

    def sweep(self, needs: tuple[bool, ...]) -> Any:
        """The generated sweep back through the steps for the inputs that need a gradient
        (`needs`: the carry, xs, then each closure)."""
        made = self._sweeps.get(needs)
        if made is None:
            made = self._sweeps[needs] = self._make_sweep(needs)
        return made

    def _make_sweep(self, needs: tuple[bool, ...], single: bool = False) -> Any:
        """The sweep back through all steps (a loop), or with `single`, through one step (for
        `lax.scan`'s body: see `_lax_scan`; only for a program with no batched op)."""
        # Which outside slots need a gradient: the closures needed, and the entries before the
        # loop that lead to one.
        wanted = [needs[2 + m] for m in range(self.n_closures)]
        wanted += [False] * len(self.pre)
        for node, entry in self.pre:  # in order: an entry's inputs come before it
            for r in entry.refs:
                lr = self._local(r)
                if lr[0] == "o" and wanted[lr[1]]:
                    wanted[self.slot[node]] = True
                    break
        # Nodes of the body, with whether each takes a gradient.
        takes = {0: True, 1: needs[1]}
        for node in [*self.sliced, *(n for n, _ in self.body)]:
            takes.setdefault(node, True)

        def gets(ref: Ref) -> bool:
            kind, x = ref
            if kind == "n":
                return takes[x]
            return kind == "o" and wanted[x]

        # Which nodes a gradient reaches (from the outputs), and which may get a Partial.
        reached: dict[int, bool] = {node: False for node in takes}
        partial: dict[int, bool] = {node: False for node in takes}
        for ref in self.outs:
            if ref[0] == "n":
                reached[ref[1]] = True
        batched = self._batched
        for node, entry in reversed(self.body):
            if not reached[node]:
                continue
            skipped = {k for k, _ in batched.get(node, [])}
            for k, ref in enumerate(entry.refs):
                r = self._local(ref)
                if r[0] == "n" and gets(r) and k not in skipped:
                    reached[r[1]] = True
                    partial[r[1]] = partial[r[1]] or entry.kind != "op"
        ns: dict[str, Any] = {**namespace(), "finalize": finalize}
        outside = [f"a{m}" for m in range(self.n_outside)]
        body_nodes = [node for node, _ in self.body]
        back_names = self.backs
        gnames = ["g0", "g1", *(f"g{n}" for n in self.sliced if n != 1)]
        gnames += [f"g{n}" for n in body_nodes]
        if single:
            assert not self._batched and not self.elementwise
            lines = ["def sweep(backs, gc, gy, values, carry):"]
            ind, at, seed_y = "    ", "", "gy"
            lines.append(ind + f"{''.join(b + ', ' for b in back_names)}= backs")
            if outside:
                lines.append(f"    {' = '.join(outside)} = None")
        else:
            lines = ["def sweep(backs, gc, gys, G, T, values, carries, outside):"]
            if outside:
                lines.append(f"    {' = '.join(outside)} = None")
            if self.inline and self.n_outside:
                # What the inlined gradients read: the same at every step.
                lines.append(f"    {''.join(f'o{m}, ' for m in range(self.n_outside))}= outside")
            lines.append("    gxs = [None] * T")
            ind, at, seed_y = "        ", "[t]", "gys[t]"
        loop_at = len(lines)
        if not single:
            lines.append("    for t in range(T - 1, -1, -1):")
            if back_names:
                lines.append(ind + f"{''.join(b + ', ' for b in back_names)}= backs[t]")
                lines.append(ind + "backs[t] = None")
        lines.append(ind + f"{' = '.join(gnames)} = None")
        # The seeds: the carry's gradient, then y's. Within a step, a node's first gradient is
        # stored, the others added (`seen`, as in a recorded graph's sweep).
        seen: set[int] = set()
        for ref, seed in zip(self.outs, ("gc", seed_y), strict=True):
            kind, x = ref
            if kind == "n":
                first = x not in seen
                seen.add(x)
                lines.append(
                    ind + (f"g{x} = {seed}" if first else f"g{x} = accumulate(g{x}, {seed})")
                )
            elif kind == "o" and wanted[x]:
                lines.append(ind + f"a{x} = accumulate(a{x}, {seed})")
        for node, entry in reversed(self.body):
            if not reached[node]:
                continue
            if node in self.elementwise:
                p = self._local(entry.refs[0])[1]
                first = p not in seen
                seen.add(p)
                lines.insert(loop_at, f"    D{node} = G[-{node}]")
                loop_at += 1
                product = f"g{node} * D{node}[t]"
                lines.append(ind + f"if g{node} is not None:")
                lines.append(
                    ind
                    + "    "
                    + (f"g{p} = {product}" if first else f"g{p} = accumulate(g{p}, {product})")
                )
                continue
            summed = dict(batched.get(node, []))
            refs = [self._local(r) for r in entry.refs]
            step_needs = tuple(gets(r) and k not in summed for k, r in enumerate(refs))
            take = ""
            if summed:
                take = f"G{node}[t] = g{node}"
                lines.insert(loop_at, f"    G{node} = G[{node}]")
                loop_at += 1
                if not any(step_needs):
                    # Only the summed gradients: no continuation to call.
                    lines.append(ind + f"if g{node} is not None:")
                    lines.append(ind + "    " + take)
                    continue
            if node in self.inline:
                lines += self._inline_step(node, entry, refs, step_needs, take, seen, ns, ind)
                continue
            facts = {
                "VIEW": entry.kind == "view",
                "MAYBE_PARTIAL": partial[node] and entry.kind != "view",
                "TAKES_NEEDS": entry.kind == "op" and entry.maker.takes_needs,
                "CHECKED": False,
                "HINTED": False,
            }
            if entry.kind != "op":
                ns[f"b{node}"] = entry.backward
            into = []
            for r in refs:
                if r[0] == "n":
                    into.append(f"g{r[1]}")
                elif r[0] == "o":
                    into.append(f"a{r[1]}")
                else:
                    into.append("_")
            ns[f"n{node}"] = step_needs
            places = {
                "g": f"g{node}",
                "take": take,
                "back": f"b{node}",
                "gk": "t0",
                "whole": into[0],
                "value": f"values[{node}]{at}",
                "let_go": "",
                "needs": f"n{node}",
                "results": " ".join(f"t{j}," for j in range(len(refs))) or "_",
                # The next step binds them again (and a weight's gradient is not freed early).
                "drop": "",
            }
            inputs = []
            for j, need in enumerate(step_needs):
                first = False
                r = refs[j]
                if need and r[0] == "n":
                    first = r[1] not in seen
                    seen.add(r[1])
                inputs.append(
                    ({"TAKES_GRADIENT": need, "FIRST": first}, {"gk": f"t{j}", "into": into[j]})
                )
            lines += [ind + line for line in sweep_step(facts, places, Inputs(None, inputs))]
        # The carry's gradient for the step before; x's for xs.
        if not self.carry_is_leaf:
            lines.append(ind + "if type(g0) is Partial:")
            lines.append(ind + f"    g0 = finalize({'carry' if single else 'carries[t]'}, g0)")
        if single:
            sliced = "".join(f"g{n}, " for n in self.sliced if n != 1)
            lines.append(f"    return g0, g1, ({sliced}), [{', '.join(outside)}]")
            source = "\n".join(lines) + "\n"
            exec(compile(source, "<typedprop scan step sweep>", "exec"), ns)
            return ns["sweep"], wanted
        lines.append(ind + "gc = g0")
        if needs[1]:
            lines.append(ind + "gxs[t] = g1")
        for n in self.sliced:
            if n != 1:
                # A stacked node's gradient at this step, for its sweep after the loop.
                lines.insert(loop_at, f"    GH{n} = G[{n}]")
                loop_at += 1
                lines.append(ind + f"if g{n} is not None:")
                lines.append(ind + f"    GH{n}[t] = g{n}")
        lines.append(f"    return gc, gxs, [{', '.join(outside)}]")
        source = "\n".join(lines) + "\n"
        exec(compile(source, "<typedprop scan sweep>", "exec"), ns)
        return ns["sweep"], wanted


def _select(x: Any, path: tuple[int, ...]) -> Any:
    for i in path:
        x = x[i] if type(x) in (tuple, list) else kind_of(x).children(x)[i]
    return x


# ---------------------------------------------------------------------------------------------
# The op
# ---------------------------------------------------------------------------------------------


class _Scan(Op[*tuple[Any, ...], Any]):
    """The scan of one recorded step: inputs the initial carry, `xs` and the BVars the step
    closed over; output the pair (last carry, stacked ys)."""

    name = "scan"
    takes_needs = True

    def __init__(self, program: _Program, x_def: Any, n_xs: int) -> None:
        self.program = program
        # The inputs after the carry that hold xs: one, xs whole (a BVar), or its leaves
        # (plain arrays), `x_def` their structure.
        self.x_def = x_def
        self.n_xs = n_xs

    def arg_name(self, i: int) -> str:
        if i == 0:
            return "the initial carry"
        if i <= self.n_xs:
            return "xs" if self.x_def is None else f"array {i - 1} of xs"
        return f"closed-over value {i - 1 - self.n_xs}"

    def forward(self, init: Any, *inputs: Any) -> tuple[Any, Any]:
        n = self.n_xs
        xs = inputs[0] if self.x_def is None else unflatten(self.x_def, inputs[:n])
        out, backward = self._scan(init, xs, inputs[n:])
        if self.x_def is None:
            return out, backward
        x_def = self.x_def

        def by_leaf(g: Any, needs: tuple[bool, ...] = ()) -> tuple[Any, ...]:
            needs = needs or (True,) * (1 + len(inputs))
            grads = backward(g, (needs[0], any(needs[1 : 1 + n]), *needs[1 + n :]))
            g_xs = [None] * n if grads[1] is None else flatten_up_to(x_def, grads[1])
            return (grads[0], *g_xs, *grads[2:])

        return out, by_leaf

    def _scan(self, init: Any, xs: Any, closures: tuple[Any, ...]) -> tuple[Any, Any]:
        program = self.program
        x_leaves, x_def = flatten(xs)
        length = _steps(x_leaves, x_def)
        if _on_jax(x_leaves, init, closures):
            return _lax_scan(program, init, xs, closures, length)
        outside, pre_backs = program.run_pre(closures)
        stacked, stacked_backs = program.run_hoisted(xs, outside)
        carry, ys, backs, saved, held, carries = program.forward(
            init,
            x_leaves,
            outside,
            length,
            x_def,
            len(x_leaves) == 1 and x_def == _LEAF,
            stacked,
        )
        stacked_ys = _stack(ys)
        n_elementwise = len(program.elementwise)
        stacked_saved = [_stack_leaf(s) for s in saved]
        # The elementwise ops' derivatives of all steps, from their stacked inputs (the last
        # lists kept), stored under their negated node in G.
        derivatives = {
            -node: how(stacked_saved[len(stacked_saved) - n_elementwise + i])
            for i, (node, how) in enumerate(program.elementwise.items())
        }
        if n_elementwise:
            del stacked_saved[-n_elementwise:]
        body = dict(program.body)
        shapes = {node: _zeros_like_steps(body[node].value, length) for node in program._batched}

        def backward(g: Any, needs: tuple[bool, ...] = ()) -> tuple[Any, ...]:
            needs = needs or (True,) * (2 + len(closures))
            sweep, wanted = program.sweep(tuple(needs))
            g_carry, g_ys = g
            per_step = _unstack(g_ys, ys)
            G = {node: np.array(z) for node, z in shapes.items()}
            G.update((n, zero(stacked[n])) for n in program.sliced if n != 1)
            G.update(derivatives)
            g_init, gxs, accs = sweep(backs, g_carry, per_step, G, length, held, carries, outside)
            # The batched ops' gradients, summed over the steps at once.
            for node, how_list in program._batched.items():
                entry = body[node]
                inputs = _batched_inputs(program, entry, outside, saved_by_node(node), stacked)
                for k, how in how_list:
                    r = program._local(entry.refs[k])
                    if r[0] == "o" and wanted[r[1]]:
                        accs[r[1]] = accumulate(accs[r[1]], how(G[node], inputs))
            # Then back through what ran before the loop for all steps at once.
            g_hoisted = {n: G[n] for n in program.sliced if n != 1}
            program.sweep_hoisted(g_hoisted, stacked, stacked_backs, accs, wanted, needs[1])
            closure_grads = _pre_sweep(program, outside, pre_backs, accs, wanted)
            g_xs = None
            if needs[1]:
                g_xs = _stack_gradient(gxs, xs, x_leaves, x_def)
                if g_hoisted.get(1) is not None:
                    g_xs = accumulate(g_xs, finalize(xs, g_hoisted[1]))
            g_init = finalize(init, g_init) if needs[0] else None
            out = [g_init, g_xs]
            for m, c in enumerate(closures):
                out.append(finalize(c, closure_grads[m]) if needs[2 + m] else None)
            return tuple(out)

        def saved_by_node(node: int) -> dict[int, Any]:
            kept = iter(stacked_saved)
            found = {}
            for n, k, p in program.saved:
                value = stacked[p] if p in program.stacked else next(kept)
                if n == node:
                    found[k] = value
            return found

        return (carry, stacked_ys), backward


_LEAF = flatten(np.zeros(1))[1]


def _on_jax(*values: Any) -> bool:
    """Whether any leaf of `values` is a JAX array or tracer: the scan then becomes `lax.scan`,
    which `jax.jit` (a compiled graph, see `Graph.compile`) compiles into its program, and
    which runs the step compiled outside it too (JAX's arrays op by op cost a dispatch each)."""
    jax = sys.modules.get("jax")
    if jax is None:
        return False
    kinds = (jax.Array, jax.core.Tracer)
    return any(isinstance(leaf, kinds) for leaf in flatten(values, unknown_leaves=True)[0])


def _lax_scan(
    program: _Program, init: Any, xs: Any, closures: tuple[Any, ...], length: int
) -> tuple[Any, Any]:
    """The scan inside `jax.jit`: the loop is `lax.scan` over one generated step, and the
    sweep back a second `lax.scan`, in reverse. The first keeps, at each step, what the sweep
    back through that step reads: `jax.closure_convert` turns the step's continuations into
    one pure function and the arrays they hold, which the loop stacks as its residuals. The
    closures' gradients are summed in the second's carry. XLA compiles both into the program,
    and leaves out what no gradient asked for."""
    jax = sys.modules["jax"]
    outside, pre_backs = program.run_pre(closures)
    stacked, stacked_backs = program.run_hoisted(xs, outside)
    rows = tuple(stacked[n] for n in program.sliced if n != 1)
    step = program.step_function()
    # The sweep the loop's residuals are for: every gradient (what is not needed is dead code
    # in the program, which XLA removes).
    sweep, wanted = program.step_sweep((True,) * (2 + len(closures)))
    # Structures cross `lax.scan` as lists of leaves, in typedprop's order: JAX's own
    # pytrees would sort a dict's keys, and a view selects by position.
    c_def, x_def = flatten(init)[1], flatten(xs)[1]
    slots = [flatten(v)[1] for v in outside]
    # The arrays of the enclosing program (the closures and what was computed from them
    # before the loop): a residual that is one of them is read from there, not kept per step.
    shared = {id(a): a for v in outside for a in flatten(v, unknown_leaves=True)[0]}
    made: dict[str, Any] = {}  # what tracing the loop's body finds out: y's structure, ...

    def forward(carry: list[Any], scanned: Any) -> tuple[Any, Any]:
        x_leaves, sliced = scanned
        before, x = unflatten(c_def, carry), unflatten(x_def, x_leaves)
        new, y, backs, held = step(before, x, outside, sliced)
        y_leaves, y_def = flatten(y)

        def pull(g_next: list[Any], g_y: list[Any]) -> Any:
            g_before, g_x, g_sliced, accs = sweep(
                backs, unflatten(c_def, g_next), unflatten(y_def, g_y), held, before
            )
            sums = [
                None if a is None or not w else flatten_up_to(d, finalize(v, a))
                for a, w, d, v in zip(accs, wanted, slots, outside, strict=True)
            ]
            return (
                flatten_up_to(c_def, finalize(before, g_before)),
                flatten_up_to(x_def, finalize(x, g_x)),
                [zero(v) if gv is None else gv for v, gv in zip(sliced, g_sliced, strict=True)],
                sums,
            )

        examples = (flatten_up_to(c_def, zero(before)), [zero(a) for a in y_leaves])
        converted, consts = jax.closure_convert(pull, *examples)
        kept = [c for c in consts if id(c) not in shared]
        made.update(
            y_def=y_def,
            pull=converted,
            where=[id(c) if id(c) in shared else None for c in consts],
            sums=jax.eval_shape(converted, *examples, *consts)[3],
        )
        return flatten_up_to(c_def, new), (y_leaves, kept)

    last, (y_leaves, residuals) = jax.lax.scan(
        forward, flatten(init)[0], (flatten(xs)[0], rows), length=length
    )
    carry, ys = unflatten(c_def, last), unflatten(made["y_def"], y_leaves)

    def backward(g: Any, needs: tuple[bool, ...] = ()) -> tuple[Any, ...]:
        needs = needs or (True,) * (2 + len(closures))
        g_carry, g_ys = g
        pull = made["pull"]
        zeros = [
            None if s is None else [jax.numpy.zeros(a.shape, a.dtype) for a in s]
            for s in made["sums"]
        ]

        def back(state: Any, scanned: Any) -> tuple[Any, Any]:
            g_next, sums = state
            g_y, kept = scanned
            it = iter(kept)
            consts = [next(it) if w is None else shared[w] for w in made["where"]]
            g_before, g_x, g_sliced, accs = pull(g_next, g_y, *consts)
            sums = [
                s if a is None else [u + v for u, v in zip(s, a, strict=True)]
                for s, a in zip(sums, accs, strict=True)
            ]
            return (g_before, sums), (g_x if needs[1] else None, g_sliced)

        start = (flatten_up_to(c_def, g_carry), zeros)
        scanned = (flatten_up_to(made["y_def"], g_ys), residuals)
        (g_init, sums), (g_x_leaves, g_rows) = jax.lax.scan(
            back, start, scanned, length=length, reverse=True
        )
        accs = [None if v is None else unflatten(d, v) for d, v in zip(slots, sums, strict=True)]
        g_hoisted = dict(zip((n for n in program.sliced if n != 1), g_rows, strict=True))
        program.sweep_hoisted(g_hoisted, stacked, stacked_backs, accs, wanted, needs[1])
        closure_grads = _pre_sweep(program, outside, pre_backs, accs, wanted)
        g_xs = unflatten(x_def, g_x_leaves) if needs[1] else None
        if needs[1] and g_hoisted.get(1) is not None:
            g_xs = accumulate(g_xs, finalize(xs, g_hoisted[1]))
        out = [unflatten(c_def, g_init) if needs[0] else None, g_xs]
        for m, c in enumerate(closures):
            out.append(finalize(c, closure_grads[m]) if needs[2 + m] else None)
        return tuple(out)

    return (carry, ys), backward


def _stack_leaf(items: list[Any]) -> Any:
    first = items[0]
    if isinstance(first, np.ndarray | float | np.generic):
        return np.stack(items)
    return array_module(first).stack(items)


def _stack(ys: list[Any]) -> Any:
    """The `y`s of all steps, stacked leaf by leaf along a new leading axis."""
    leaves, treedef = flatten(ys[0])
    if treedef == _LEAF or not is_container(ys[0]):
        return _stack_leaf(ys)
    columns = [flatten_up_to(treedef, y) for y in ys]
    return unflatten(treedef, [_stack_leaf([c[i] for c in columns]) for i in range(len(leaves))])


def _unstack(g: Any, ys: list[Any]) -> list[Any]:
    """The gradient of the stacked `y`s as one gradient per step, each of its `y`'s type."""
    first = ys[0]
    if not is_container(first):
        if isinstance(first, float | np.generic):
            kind = type(first)
            return [kind(v) for v in g]
        return list(g)
    treedef = flatten(first)[1]
    columns = flatten_up_to(treedef, g)
    return [unflatten(treedef, [c[t] for c in columns]) for t in range(len(ys))]


def _zeros_like_steps(value: Any, length: int) -> Any:
    return np.zeros((length, *np.shape(value)), dtype=np.asarray(value).dtype)


def _batched_inputs(
    program: _Program,
    entry: _Entry,
    outside: list[Any],
    saved: dict[int, Any],
    stacked: dict[int, Any],
) -> list[Any]:
    """A batched op's inputs for its summed gradient: the outside ones, and the stepped ones
    stacked (None for those its rule does not read)."""
    inputs = []
    for k, ref in enumerate(entry.refs):
        r = program._local(ref)
        if r[0] == "o":
            inputs.append(outside[r[1]])
        elif r[0] == "n":
            inputs.append(saved.get(k))
        else:
            inputs.append(r[1])
    return inputs


def _pre_sweep(
    program: _Program, outside: list[Any], backs: list[Any], accs: list[Any], wanted: list[bool]
) -> list[Any]:
    """The closures' gradients: the accumulated gradients of the outside slots swept back
    through the entries before the loop."""
    grads = list(accs)
    for i in range(len(program.pre) - 1, -1, -1):
        node, entry = program.pre[i]
        slot = program.slot[node]
        g = grads[slot]
        if g is None:
            continue
        refs = [program._local(r) for r in entry.refs]
        back = backs[i]
        if entry.kind == "view":
            (gk,) = back(g)
            r = refs[0]
            if r[0] == "o":
                grads[r[1]] = accumulate(grads[r[1]], gk)
            continue
        if type(g) is Partial:
            g = finalize(outside[slot], g)
        if entry.kind == "op" and entry.maker.takes_needs:
            results = back(g, tuple(r[0] == "o" and wanted[r[1]] for r in refs))
        else:
            results = back(g)
        for r, gk in zip(refs, results, strict=True):
            if r[0] == "o" and wanted[r[1]]:
                grads[r[1]] = accumulate(grads[r[1]], gk)
    return grads[: program.n_closures]


def _stack_gradient(gxs: list[Any], xs: Any, leaves: list[Any], treedef: Any) -> Any:
    """The gradient of `xs` from each step's gradient of its `x` (None where none reached)."""
    columns: list[Any] = []
    for leaf in leaves:
        columns.append(np.zeros_like(leaf) if type(leaf) is np.ndarray else None)
    for t, g in enumerate(gxs):
        if g is None:
            continue
        x_t = unflatten(treedef, [leaf[t] for leaf in leaves])
        parts = flatten_up_to(treedef, finalize(x_t, g))
        for i, part in enumerate(parts):
            if columns[i] is None:
                columns[i] = [zero(leaves[i][s]) for s in range(len(gxs))]
            columns[i][t] = part
    out = [
        c if type(c) is np.ndarray else (zero(leaf) if c is None else _stack_leaf(c))
        for c, leaf in zip(columns, leaves, strict=True)
    ]
    return unflatten(treedef, out)
