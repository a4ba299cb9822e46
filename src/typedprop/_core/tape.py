"""The tape: the record of one `backprop` call, and the reverse sweep over it.

Internal: the public door is `typedprop.backprop` and friends. Import this only to extend the
engine itself.

A tape is a list of nodes in the order they were computed. A node holds its value, the tape
positions of its inputs (-1 for a constant), its gradient continuation (the staged gradient that
its op returned from forward), and its *maker*: the op, view or collect that made it, which names
it in errors. Parameters are leaves: nodes with no maker; so, on the tape of a `backprop` call,
are the parts of a parameter (`Tape.part`).

The reverse sweep walks the nodes from the output back to the parameters once, iteratively (a
chain of any length works), hands each node's accumulated gradient to its continuation, checks
what comes back, and adds it into the inputs' gradients with the structures' `add`. A node is
dropped when the sweep reaches it, before its continuation runs, so its value (unless the
continuation holds it) and then whatever its continuation captured are freed while the sweep
goes on. What the sweep does at a node is written once, in `sweep.STEP`, which a recorded
graph's replay shares; `sweep` below is made from it when this module is imported
(`print(_sweep_source())` shows the code it runs).

Each thread has a stack of open tapes; ops record only on the innermost. A tape is closed when
its `backprop` call ends, however it ends, so nothing of a failed call is left behind.
"""

import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from . import sweep as _sweep
from .backends import autograd_off
from .checks import checks_enabled
from .errors import TapeError
from .structures import item_paths


class Maker:
    """What makes a node: an `Op`, or one of the structural steps (view, collect)."""

    name: str = "op"
    #: Whether the continuation accepts a `Partial` gradient (views pass it on unmade).
    takes_partial: bool = False
    #: Whether `check_backward` has anything to check (the op declared jaxtyping hints).
    hinted: bool = False
    #: Whether the continuation takes a second argument, `needs`: one bool per input, False for
    #: a constant, whose gradient the engine drops. Such an op may skip computing it (the
    #: gradient of `W @ x` for a constant input `x` is a whole matrix product) and return
    #: None in its place.
    takes_needs: bool = False

    def arg_name(self, i: int) -> str:
        return f"argument {i}"

    def check_backward(self, g: object, grads: tuple[object, ...]) -> None:
        """The jaxtyping layer on the backward pass; nothing by default."""


class Node:
    __slots__ = ("backward", "extra", "maker", "parents", "value")

    def __init__(
        self,
        value: object,
        parents: tuple[int, ...],
        backward: Callable[[object], tuple[object, ...]] | None,
        maker: Maker | None,
        extra: object = None,
    ) -> None:
        self.value = value
        self.parents = parents
        self.backward = backward
        self.maker = maker
        # What a layer above the core keeps with the node (a recorded graph: an op's constant
        # arguments, a view's path); None on a plain tape.
        self.extra = extra


class Tape:
    """The record of one `backprop` call: its nodes, in the order they were computed.

    The one hook for a layer above the core (recorded graphs, `typedprop._tracing`): a subclass
    with `intercepts = True` receives every op applied on it through `apply`, and every op
    applied to plain values while it is the innermost tape through `apply_plain`, instead of
    the op recording itself."""

    __slots__ = ("live", "nodes", "open", "parts", "thread")

    #: Whether ops hand their calls to `apply` and `apply_plain` instead of recording.
    intercepts: bool = False

    def __init__(self, split_parameters: bool = False) -> None:
        self.nodes: list[Node | None] = []
        self.open = True
        # With `split_parameters`, a part of a parameter (`unpack`, `view`, `sequence` of a
        # leaf) is recorded as a leaf of its own, not as a view node: it needs no step in the
        # sweep, and its gradient is put back into the whole's once, at the end
        # (`structures.assemble`). `parts` maps each whole taken apart to its parts: (the
        # part's node, the path from the whole to it). None on tapes whose sweep wants view
        # nodes (a recorded graph replays its views; a scan's step records onto its own tape).
        self.parts: dict[int, list[tuple[int, tuple[int, ...]]]] | None = (
            {} if split_parameters else None
        )
        # `live`: the innermost open tape of `thread`, the one ops may record on; kept by
        # `recording`, so that `check_live` needs no thread-local lookup in the common case.
        self.live = False
        self.thread = threading.get_ident()

    def apply(self, op: "Maker", values: Sequence[object], parents: tuple[int, ...]) -> object:
        """An op's call on this tape, for a tape that `intercepts`: `values` are its
        arguments' values, `parents` their nodes (-1 for a constant)."""
        raise NotImplementedError

    def apply_plain(self, op: "Maker", values: Sequence[object]) -> object:
        """An op's call on no BVar while this intercepting tape is the innermost: its result,
        or `NotImplemented` for the op to compute as usual."""
        return NotImplemented

    def captures(self, tape: "Tape") -> bool:
        """Whether ops may take BVars of `tape` while this tape is the innermost: a scan's
        step reads the enclosing function's BVars (its weights) and records them as its own
        inputs (see `typedprop._scan`). No plain tape does."""
        return False

    def leaf(self, value: object) -> int:
        """Record a parameter; returns its position."""
        self.nodes.append(Node(value, (), None, None))
        return len(self.nodes) - 1

    def part(self, whole: int, path: tuple[int, ...], value: object) -> int | None:
        """Record `value`, the part at `path` of node `whole`, as a leaf of its own if this
        tape splits parameters and `whole` is a parameter or a part of one; returns its
        position, or None where the part must be a view node."""
        found = self.split(whole, (value,), (path,))
        return None if found is None else found[0]

    def split(
        self,
        whole: int,
        items: Sequence[object],
        paths: Sequence[tuple[int, ...]] | None = None,
    ) -> range | None:
        """`part` of each of `items` in one step, at `paths` (by default the items of node
        `whole` in order: `unpack`, `sequence`): the positions of their leaves, or None where
        they must be view nodes."""
        parts = self.parts
        if parts is None:
            return None
        nodes = self.nodes
        node = nodes[whole]
        if node is None or node.maker is not None:
            return None
        first = len(nodes)
        n = len(items)
        # (Once per `unpack` of each layer of a network at every step: the items' paths are
        # shared tuples and the pairs made by `zip`, not a comprehension of fresh ones.)
        nodes.extend([Node(v, (), None, None) for v in items])
        parts.setdefault(whole, []).extend(
            zip(range(first, first + n), item_paths(n))  # noqa: B905  # n of each
            if paths is None
            else zip(range(first, first + n), paths, strict=True)
        )
        return range(first, first + n)

    def record(
        self,
        value: object,
        parents: tuple[int, ...],
        backward: Callable[[object], tuple[object, ...]],
        maker: Maker,
        extra: object = None,
    ) -> int:
        """Record a computed value; returns its position."""
        self.nodes.append(Node(value, parents, backward, maker, extra))
        return len(self.nodes) - 1


_local = threading.local()
_get_ident = threading.get_ident


def active() -> Tape | None:
    """The innermost open tape of this thread."""
    stack: list[Tape] | None = getattr(_local, "stack", None)
    return stack[-1] if stack else None


def check_live(tape: Tape) -> Tape:
    """`tape` if ops may record on it now; a TapeError saying why not otherwise."""
    if tape.live and tape.thread == _get_ident():
        return tape
    innermost = active()
    if innermost is not None and innermost.captures(tape):
        return innermost
    if tape is not innermost:
        if not tape.open:
            raise TapeError(
                "this BVar was made inside a backprop call that has returned; a BVar lives only "
                "inside the function being differentiated (return its .value to keep a result)"
            )
        raise TapeError(
            "this BVar belongs to another backprop call than the one running now; pass plain "
            "values (x.value) between backprop calls"
        )
    return tape


class recording:  # noqa: N801  # used as a function, `with recording(tape) as tape:`
    """`tape` (a new plain one by default), innermost for this thread while the block runs and
    closed after it; PyTorch's own autograd is off meanwhile (see `backends.autograd_off`).

    A class, not a generator under `contextmanager`: it is entered at every `backprop` call,
    where the generator's machinery costs more than the tape itself."""

    __slots__ = ("restore", "tape")

    def __init__(self, tape: Tape | None = None) -> None:
        self.tape = Tape() if tape is None else tape
        self.restore: Callable[[bool], object] | None = None

    def __enter__(self) -> Tape:
        global intercepting
        tape = self.tape
        stack: list[Tape] | None = getattr(_local, "stack", None)
        if stack is None:
            stack = _local.stack = []
        if stack:
            stack[-1].live = False
        stack.append(tape)
        tape.live = True
        if tape.intercepts:
            with _intercepting_lock:
                intercepting += 1
        self.restore = autograd_off()  # last: nothing after it can fail to reach __exit__
        return tape

    def __exit__(self, *exc: object) -> None:
        global intercepting
        tape = self.tape
        restore, self.restore = self.restore, None
        if restore is not None:
            restore(True)  # first: whatever fails below, PyTorch's grad mode is as it was
        if tape.intercepts:
            with _intercepting_lock:
                intercepting -= 1
        stack: list[Tape] = _local.stack
        stack.remove(tape)
        tape.live = False
        tape.open = False
        tape.nodes = []
        if stack:
            stack[-1].live = True


#: How many intercepting tapes are open, in any thread: while there are none, an op called on
#: plain values needs no look at the innermost tape (see `intercepting_tape`).
intercepting = 0
_intercepting_lock = threading.Lock()


def intercepting_tape() -> Tape | None:
    """This thread's innermost tape if it intercepts ops (see `Tape.intercepts`)."""
    tape = active()
    return tape if tape is not None and tape.intercepts else None


# ---------------------------------------------------------------------------------------------
# The reverse sweep: the step of `sweep.STEP` at each node, with the checks
# ---------------------------------------------------------------------------------------------


class Sweep(Protocol):
    def __call__(
        self,
        tape: Tape,
        out: int,
        seed: object,
        wanted: Sequence[int] | None,
        converted: list[int] | None = None,
    ) -> list[object]:
        """Propagate `seed`, the gradient of node `out`, back through the tape; return the
        accumulated gradients of the nodes `wanted` (None, a Partial, or a whole gradient),
        or with `wanted` None those of all nodes, by position (what the sweep left there: the
        parameters' and their parts'; the nodes are let go of).
        `converted`, if given, receives the nodes whose gradient from an op had to be converted
        to another precision to fit its input (a recorded graph must then keep checking)."""
        ...


# The sweep's own code: a loop over the tape's nodes, from the output back.
_SWEEP = """\
def sweep(tape, out, seed, wanted, converted=None):
    nodes = tape.nodes
    grads = [None] * len(nodes)
    grads[out] = seed
    keep = _NOTHING if wanted is None else set(wanted)
    checking = checks_enabled()
    for i in range(out, -1, -1):
        node = nodes[i]
        if i not in keep:
            nodes[i] = None  # nothing after this point reads the node
        if node is None or node.backward is None:
            continue  # a parameter
        g = grads[i]
        {step}
    return grads if wanted is None else [grads[i] for i in wanted]
"""

# What the step knows of a node: only what its maker says, as the loop runs. Every node may
# have been viewed, so any may get a Partial.
_FACTS: dict[str, _sweep.Fact] = {
    "VIEW": "maker.takes_partial",
    "MAYBE_PARTIAL": True,
    "TAKES_NEEDS": "maker.takes_needs",
    "CHECKED": True,
    "HINTED": "checking and maker.hinted",
}
# Where the loop keeps a node's things.
_PLACES = {
    "g": "g",
    "take": "grads[i] = None\nmaker = node.maker\nparents = node.parents\nbackward = node.backward",
    "back": "backward",
    "gk": "gk",
    "whole": "grads[parents[0]]",
    "value": "node.value",
    "let_go": "node = None",
    # A constant takes no gradient; the binary and ternary ops (`linear`) without a list.
    "needs": (
        "(parents[0] >= 0, parents[1] >= 0) if len(parents) == 2 "
        "else (parents[0] >= 0, parents[1] >= 0, parents[2] >= 0) if len(parents) == 3 "
        "else tuple([p >= 0 for p in parents])"
    ),
    "results": "in_grads",
    "maker": "maker",
    "parents": "parents",
    "converted": "converted",
    "drop": "in_grads = gk = v = None",
}
# The inputs, in a loop over them.
_INPUTS = _sweep.Inputs(
    "for k, p in enumerate(parents):\n    gk = in_grads[k]",
    [
        (
            {"TAKES_GRADIENT": "p >= 0", "FIRST": "{into} is None"},
            {"k": "k", "p": "p", "gk": "gk", "into": "grads[p]", "input_value": "nodes[p].value"},
        )
    ],
)


def _sweep_source() -> str:
    step = "\n".join(_sweep.step(_FACTS, _PLACES, _INPUTS))
    return "\n".join(_sweep.Template(_SWEEP).render({}, {"step": step})) + "\n"


def _make_sweep() -> Sweep:
    namespace = {**_sweep.namespace(), "checks_enabled": checks_enabled, "_NOTHING": frozenset()}
    exec(compile(_sweep_source(), "<typedprop tape.sweep>", "exec"), namespace)
    made: Sweep = namespace["sweep"]
    made.__module__ = __name__
    made.__doc__ = Sweep.__call__.__doc__
    return made


sweep = _make_sweep()
