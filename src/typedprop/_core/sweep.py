"""The reverse sweep's step, written once: what every sweep does at one node.

Internal: used by `tape`, whose `sweep` is the engine's, and by `typedprop._tracing.replay`,
which replays a recorded graph's sweep.

From the output back to the parameters, at each node, the sweep

- skips the node if no gradient reached it;
- if the node is a view, hands its gradient (of the part) on to the whole unmade, a `Partial`
  that the whole's own step, or the end of the sweep, makes whole;
- otherwise makes a `Partial` gradient whole, lets go of the node's value, and calls its
  continuation with the gradient (and `needs`, one bool per input, if it takes them), which
  gives one gradient per input;
- skips the inputs that are constants, checks each other input's gradient against the input
  (shape, dtype: `fit`; only where the sweep checks), and stores it if it is the input's first,
  or adds it to the ones before (`accumulate`);
- checks the gradients against the op's hints (`Maker.check_backward`, where the sweep checks);
- lets go of the continuation and the gradients.

`STEP` and `INPUT` below say this in Python, once. Three sweeps are made from them, each as
source compiled once: the engine's (`tape.sweep`: a loop over the tape's nodes, with the
checks), and a recorded graph's replay, which runs the same ops on the same shapes again and
leaves the checks out (`typedprop._tracing.replay`): unrolled into straight-line code, one copy
of the step per node with what is known of that node folded in, or, for long records, a loop
over precomputed tuples. So they agree by construction: a replay's gradients equal the engine's
to the last bit because both run the same statements in the same order.

The templates are Python with two kinds of holes, which each sweep fills (see `step`):

- `{name}`: where that sweep keeps a thing of the node (its gradient `{g}` is the local `g` in
  a loop, `g7` in node 7's unrolled step), or, alone on a line, lines of its own (`{take}`).
- `if FACT:` (a name in capitals, with `and`, `not` and `else` as in Python): something about
  the node or the sweep. Where the sweep knows it when its code is made (an unrolled replay
  knows each node's op; every sweep knows whether it checks), the `if` is decided then and only
  the branch taken is left; otherwise the sweep gives the test to run instead (`VIEW` is
  `maker.takes_partial` in the engine's loop).
"""

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from .errors import CheckError
from .structures import Mismatch, Partial, accumulate, finalize, fit

if TYPE_CHECKING:
    from .tape import Maker

#: The step at one node. Its facts:
#:
#: - `VIEW`: the node is a view;
#: - `MAYBE_PARTIAL`: its gradient may be a Partial (the node was viewed or collected);
#: - `TAKES_NEEDS`: its continuation takes `needs`;
#: - `CHECKED`: the sweep checks what continuations return; `HINTED`: and the op's hints.
#:
#: Its places: the node's gradient `g`, continuation `back` and value `value`; `needs`;
#: `results`, what the continuation returns (a tuple, or names to unpack it into); `gk`, a
#: view's one gradient, and `whole`, where its whole's is kept; `maker` and `parents`, which
#: the checks read. And lines of the sweep's own: `take` (what it reads of a node that has a
#: gradient), `let_go` (of the node's value), `drop` (of what it still holds of the node,
#: after the step), and `inputs`: `INPUT` at each input of the node (see `step`).
STEP = """\
if {g} is not None:
    {take}
    if VIEW:
        # A view: the gradient of its part goes on to the whole, unmade.
        {let_go}
        ({gk},) = {back}({g})
        {whole} = accumulate({whole}, {gk})
    else:
        if MAYBE_PARTIAL and type({g}) is Partial:
            {g} = finalize({value}, {g})
        # Let go of the node before its continuation runs: its value is freed now, unless the
        # continuation holds it (a large batch's activation, not kept alive through the call).
        {let_go}
        if TAKES_NEEDS:
            {results} = {back}({g}, {needs})
        else:
            {results} = {back}({g})
        if CHECKED:
            if type({results}) is not tuple or len({results}) != len({parents}):
                raise wrong_count({maker}, {parents}, {results})
        {inputs}
        if CHECKED and HINTED:
            {maker}.check_backward({g}, {results})
    # Nor keep a continuation, a value or a gradient alive through the next node's step.
    {drop}
"""

#: The step at one input of the node, its `k`-th: node `p`, whose gradient from the
#: continuation is `gk`, and whose gradient so far is kept at `into`. Its facts:
#:
#: - `TAKES_GRADIENT`: the input is not a constant (nor, in a replay, data);
#: - `FIRST`: nothing is at `into` yet (False where that is not known: `accumulate` adds to
#:   None too, storing only saves its call);
#: - and the node's.
#:
#: The checks read the input's value at `input_value`, and note in `converted` the nodes whose
#: gradient had to change precision to fit (a recorded graph must then keep checking).
INPUT = """\
if TAKES_GRADIENT:
    if CHECKED:
        # The engine's invariant: a gradient has exactly its input's shape and dtype. The
        # common cases are tested inline; `fit` handles the rest and explains failures.
        v = {input_value}
        if type(v) is np.ndarray:
            fits = (
                type({gk}) is np.ndarray
                and {gk}.shape == v.shape
                and {gk}.dtype == v.dtype
                and v.dtype.kind in "fc"
            )
        else:
            fits = type({gk}) is type(v) and type(v) in SCALARS
        if not fits:
            {gk} = fitted({maker}, {k}, {gk}, v, {p}, {converted})
    if FIRST:
        {into} = {gk}
    else:
        {into} = accumulate({into}, {gk})
"""


# ---------------------------------------------------------------------------------------------
# Making a sweep's source from the templates
# ---------------------------------------------------------------------------------------------

#: What a sweep knows of a fact: True or False when its code is made, or the test to run.
Fact = bool | str


class _Line(NamedTuple):
    indent: int
    text: str  # a statement, with `{place}`s


class _Lines(NamedTuple):
    indent: int
    name: str  # a place that is lines of the sweep's own


class _If(NamedTuple):
    indent: int
    terms: tuple[str, ...]  # the condition's terms, joined by `and`; at least one a fact
    body: list["_Item"]
    orelse: list["_Item"]


_Item = _Line | _Lines | _If

_FACT = re.compile(r"(not )?([A-Z][A-Z_]*)")
_ALONE = re.compile(r"\{(\w+)\}")


class Template:
    """Python source with holes (see the module's docstring), parsed once. `render` decides
    its facts, keeping the source each set of facts gives, and fills in its places."""

    def __init__(self, source: str) -> None:
        lines = [
            line
            for line in source.splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        ]
        self._items, end = _parse(lines, 0, 0)
        assert end == len(lines), lines[end]
        # Facts -> (indentation, text, whether the text names lines) for each line they leave.
        self._decided: dict[tuple[tuple[str, Fact], ...], list[tuple[str, str, bool]]] = {}

    def render(self, facts: Mapping[str, Fact], places: Mapping[str, str]) -> list[str]:
        """The lines of the template with `facts` decided and `places` filled in."""
        key = tuple(facts.items())
        decided = self._decided.get(key)
        if decided is None:
            decided = self._decided[key] = _decide(self._items, facts, 0)
        out = []
        for pad, text, own_lines in decided:
            if own_lines:
                out += [pad + line for line in places[text].splitlines()]
            else:
                out.append(pad + text.format_map(places))
        return out


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _parse(lines: list[str], i: int, indent: int) -> tuple[list[_Item], int]:
    """The items of the lines from `i` indented at least `indent`, and the line after them."""
    items: list[_Item] = []
    while i < len(lines) and _indent(lines[i]) >= indent:
        line = lines[i]
        at, text = _indent(line), line.strip()
        terms = tuple(text[3:-1].split(" and ")) if text.startswith("if ") else ()
        if any(_FACT.fullmatch(t) for t in terms):
            body, i = _parse(lines, i + 1, at + 1)
            orelse: list[_Item] = []
            if i < len(lines) and _indent(lines[i]) == at and lines[i].strip() == "else:":
                orelse, i = _parse(lines, i + 1, at + 1)
            items.append(_If(at, terms, body, orelse))
            continue
        alone = _ALONE.fullmatch(text)
        items.append(_Lines(at, alone.group(1)) if alone else _Line(at, text))
        i += 1
    return items, i


def _decide(
    items: list[_Item], facts: Mapping[str, Fact], dedent: int
) -> list[tuple[str, str, bool]]:
    """`items` with `facts` decided: an `if` on known facts leaves the branch taken, one level
    less indented; one on facts tested as the sweep runs becomes that test."""
    out: list[tuple[str, str, bool]] = []
    for item in items:
        pad = " " * (item.indent - dedent)
        if isinstance(item, _Line):
            out.append((pad, item.text, False))
        elif isinstance(item, _Lines):
            out.append((pad, item.name, True))
        else:
            test = _condition(item.terms, facts)
            if test is True:
                out += _decide(item.body, facts, dedent + 4)
            elif test is False:
                out += _decide(item.orelse, facts, dedent + 4)
            else:
                out.append((pad, f"if {test}:", False))
                out += _decide(item.body, facts, dedent) or [(pad + "    ", "pass", False)]
                orelse = _decide(item.orelse, facts, dedent)
                if orelse:
                    out += [(pad, "else:", False), *orelse]
    return out


def _condition(terms: tuple[str, ...], facts: Mapping[str, Fact]) -> Fact:
    """The condition of `terms` with the known facts decided: True, False, or what to test."""
    tests = []
    for term in terms:
        match = _FACT.fullmatch(term)
        if match is None:
            tests.append(term)  # Python, tested as the sweep runs
            continue
        negated, fact = match.groups()
        known = facts[fact]  # a KeyError names a fact the sweep did not give
        if type(known) is bool:
            if known == bool(negated):
                return False
        else:
            tests.append(f"not ({known})" if negated else known)
    if not tests:
        return True
    return tests[0] if len(tests) == 1 else " and ".join(f"({t})" for t in tests)


_STEP = Template(STEP)
_INPUT = Template(INPUT)


class Inputs(NamedTuple):
    """How a sweep's code reaches a node's inputs: `INPUT` once under the header `loop` (a
    `for` over the inputs, and lines that start its body) with the facts and places of `each`,
    or, with `loop` None, once per entry of `each` (unrolled)."""

    loop: str | None
    each: Sequence[tuple[Mapping[str, Fact], Mapping[str, str]]]


def step(facts: Mapping[str, Fact], places: Mapping[str, str], inputs: Inputs) -> list[str]:
    """The source of the sweep's step at one node (or at every node, in a loop): `STEP` with
    `facts` decided and `places` filled in, and `INPUT` for its inputs (`places["inputs"]`),
    with the node's facts and places and those of each input."""
    lines = []
    for input_facts, input_places in inputs.each:
        lines += _INPUT.render({**facts, **input_facts}, {**places, **input_places})
    if inputs.loop is not None:
        lines = [*inputs.loop.splitlines(), *("    " + line for line in lines)]
    return _STEP.render(facts, {**places, "inputs": "\n".join(lines)})


def namespace() -> dict[str, Any]:
    """The globals the step's source reads, for a sweep to add its own to and compile in."""
    return {
        "Partial": Partial,
        "accumulate": accumulate,
        "finalize": finalize,
        "np": np,
        "SCALARS": SCALARS,
        "fitted": fitted,
        "wrong_count": wrong_count,
    }


# ---------------------------------------------------------------------------------------------
# What the checks call
# ---------------------------------------------------------------------------------------------

#: Scalar types whose gradient, of the same type, needs no fitting.
SCALARS = {float, np.float64, np.float32}


def wrong_count(maker: "Maker", parents: tuple[int, ...], results: object) -> CheckError:
    """The error for a continuation that did not return one gradient per argument."""
    got = f"{len(results)} values" if type(results) is tuple else type(results).__name__
    return CheckError(
        f"{maker.name}: the gradient must be a tuple of {len(parents)} values, one per "
        f"argument, but it returned {got}"
    )


def fitted(
    maker: "Maker", k: int, g: object, v: object, p: int, converted: list[int] | None
) -> object:
    """`g` made to fit `v`, the value of argument `k` (see `fit`), with the error naming the op
    and the argument; `p`, the argument's node, is noted in `converted` (if given) when the
    gradient had to change precision."""
    try:
        out = fit(g, v)
    except Mismatch as e:
        raise CheckError(f"{maker.name}: the gradient for {maker.arg_name(k)} {e}") from None
    if converted is not None and out is not None and _precision(out) != _precision(g):
        converted.append(p)
    return out


def _precision(x: object) -> object:
    """The dtype of an array or a number (a Python float's is float64); None for others."""
    if isinstance(x, np.ndarray | np.generic):
        return x.dtype
    return np.dtype(type(x)) if type(x) in (float, int, complex) else None
