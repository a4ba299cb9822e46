"""Recording: `f` run once on a tracing tape, its ops and structural steps kept as a record.

The tracing tape receives every op applied while it is the innermost tape (the core's one hook,
`Tape.intercepts`): it runs the op on the real values behind the traced ones (see `values`),
hands the output back traced, and keeps the op's constant arguments with its node. What a
record could not replay (a traced value given to an op as a constant or a setting) is refused
here, at trace time.

Internal: used by `graph`.
"""

from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np

from .._core.bvar import BVar
from .._core.checks import checks_enabled
from .._core.errors import CheckError, TraceError
from .._core.op import Op
from .._core.structures import Path, array_kind, check_supported, flatten, kind_of, unflatten
from .._core.tape import Maker, Tape, recording
from .replay import DATA_MAKER, Record, Step, StepKind
from .values import Traced, is_traced, unwrap, wrap


class TracingTape(Tape):
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
        if not any(is_traced(v) for v in values):
            return NotImplemented
        assert isinstance(op, Op)
        out, node = self._record(op, values, (-1,) * len(values))
        assert node > 0  # a traced input that is not data was refused by `_record`
        # A new wrapper, whatever the output is (an array, a number), so that its identity
        # names this node alone.
        marked = Traced(out)
        self.data[id(marked)] = (node, marked)
        return marked

    def _record(
        self, op: Op[Any], values: Sequence[object], parents: tuple[int, ...]
    ) -> tuple[object, int]:
        """Run `op` on the real values behind the traced ones and record it, data as its
        node; the output, and the node (0 if no input was a node)."""
        for setting in vars(op).values():
            if is_traced(setting):
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
            elif is_traced(value):
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


def _traced_data(x: Any, tape: "TracingTape", integer_data: bool) -> Any:
    """`x` as the traced function sees it: each float leaf (in `_record_key`'s order), and
    each integer array with `integer_data`, traced and recorded as a leaf node, which an op
    given that very value records as its input."""
    leaves, treedef = flatten(x, unknown_leaves=True)
    return unflatten(treedef, [_traced_datum(leaf, tape, integer_data) for leaf in leaves])


def _traced_datum(x: Any, tape: "TracingTape", integer_data: bool) -> Any:
    if isinstance(x, np.ndarray) and (
        x.dtype.kind == "f" or (integer_data and x.dtype.kind in "iu")
    ):
        x = np.asarray(x)  # an ndarray subclass (a memmap) replays as a plain array
    elif not isinstance(x, float | np.floating):
        array = array_kind(x)
        if array is None or not (
            array.floating(x) or (integer_data and array.numpy_dtype(x).kind in "iu")
        ):
            return x  # not data the graph reads: a constant of the record
    # A new wrapper, so that its identity names this leaf alone.
    traced = Traced(x)
    tape.data[id(traced)] = (tape.leaf(x), traced)
    return traced


def make_record(
    f: Callable[..., BVar[Any]], x: Any, data: tuple[Any, ...], integer_data: bool = False
) -> Record:
    """Run `f` once on a tracing tape and keep its steps: node 0 is the parameter, the next
    ones the float leaves of the data (and its integer arrays, with `integer_data`)."""
    check_supported(x, "trace: the parameter")
    tape = TracingTape()
    with recording(tape):
        param = BVar(wrap(x), tape, tape.leaf(x))
        traced = [_traced_data(d, tape, integer_data) for d in data]
        n_data = len(tape.nodes) - 1
        y = f(param, *traced)
        if type(y) is not BVar:
            raise CheckError(
                f"trace: the function must return a BVar, but it returned a {type(y).__name__}"
            )
        no_gradient = {node for node, _ in tape.data.values()}
        steps: list[Step] = []
        for i, node in enumerate(tape.nodes[1:], 1):
            assert node is not None
            if i <= n_data:
                steps.append(Step(StepKind.DATA, DATA_MAKER, (), (), (i - 1,), None, ()))
                continue
            assert node.maker is not None  # the leaves, then made nodes
            # Constants (p < 0), data and what ops made of the data alone take no gradient.
            needs = tuple(p >= 0 and p not in no_gradient for p in node.parents)
            if isinstance(node.maker, Op):
                consts = cast(tuple[Any, ...], node.extra)
                steps.append(Step(StepKind.OP, node.maker, node.parents, consts, (), None, needs))
            elif node.maker.takes_partial:
                whole = tape.nodes[node.parents[0]]
                assert whole is not None
                path = _selectors(whole.value, cast(Path, node.extra))
                steps.append(
                    Step(StepKind.VIEW, node.maker, node.parents, (), path, node.backward, needs)
                )
            else:
                items = cast(list[Any], node.value)
                consts = _collected_constants(items, node.parents)
                steps.append(
                    Step(
                        StepKind.COLLECT,
                        node.maker,
                        node.parents,
                        consts,
                        (),
                        node.backward,
                        needs,
                    )
                )
        if y._tape is None:
            return Record(steps, None, unwrap(y.value))
        return Record(steps, y._index, None)


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
