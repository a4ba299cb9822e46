"""The runtime half of "the runtime and the plugin agree": the model corpus of the plugin's cases
(`cases/plugin/accept_models_*.py` and `reject_models_*.py`) is run, not type-checked.

Each `case_*` function of those files takes no argument and builds its own data; it is one test
here, with an id like `accept_models_mlp.py::case_two_dense_layers_one_sample`:

- in an `accept_models_*` file (mypy accepts it), the case returns without raising;
- in a `reject_models_*` file (mypy rejects it with a `# E:` marker), the case raises at run time
  too. The error is a `typedprop.CheckError` where typedprop's checks see the mismatch (an op, a
  `shapecheck`ed function or class), or a `ValueError` where numpy does (an operator such as `@`
  or `+`, or a numpy function, on plain arrays: numpy raises ValueError on a shape mismatch). No
  other exception counts.
- Where the case's marker names two sizes, `<int> (...) vs <int> (...)` as the plugin's
  `[dim-mismatch]` message does (`dimension n: 784 (argument "x", axis 0) vs 128 (argument "w",
  axis 1)`), both integers appear in the runtime's message: the two name the same dimension. The
  marker on the line the error came from is used, or else any marker of the case that names
  sizes. A marker without sizes (the placeholder `# E: ...  [dim-mismatch]`, or another kind of
  error) asks for the raise only.

Runtime checks are switched on around each call, whatever `TYPEDPROP_CHECKS` says. The cases are
found by reading the files (ast), so a file that fails to import fails its own cases, not the
collection; with no file of a kind (no reject files yet), that kind simply has no test. mypy's
half is `test_static.py`; this module runs no mypy, so it is not marked `static`.
"""

import ast
import importlib
import re
import tokenize
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import typedprop as tp

CASES = Path(__file__).resolve().parent / "cases" / "plugin"
PACKAGE = "static.cases.plugin"  # tests/ is on sys.path (pyproject's `pythonpath`)

_MARKER_START = re.compile(r"^#\s*E:")
_SPLIT = re.compile(r"\s+#\s*(?=[EN]:)")
_ERROR_MARKER = re.compile(r"^E:\s(?P<message>.*?)  \[(?P<code>[\w-]+)\]$")
_SIZES = re.compile(r"(?P<a>\d+) \([^()]*\) vs (?P<b>\d+) \([^()]*\)")


@dataclass(frozen=True)
class Marker:
    """An error marker, `# E: message  [code]`, on a line of a case file."""

    line: int
    message: str
    code: str

    @property
    def sizes(self) -> list[tuple[int, int]]:
        """The pairs of sizes the message names, `<int> (...) vs <int> (...)`."""
        return [(int(m["a"]), int(m["b"])) for m in _SIZES.finditer(self.message)]


@dataclass(frozen=True)
class Case:
    """A `case_*` function of a model case file."""

    path: Path
    name: str
    kind: str  # "accept" or "reject"
    first: int
    last: int
    n_params: int
    markers: tuple[Marker, ...]

    @property
    def id(self) -> str:
        return f"{self.path.name}::{self.name}"


def _markers(path: Path) -> list[Marker]:
    found: list[Marker] = []
    with tokenize.open(path) as f:
        for tok in tokenize.generate_tokens(f.readline):
            if tok.type != tokenize.COMMENT or not _MARKER_START.match(tok.string):
                continue
            for part in _SPLIT.split(tok.string.removeprefix("#").strip()):
                m = _ERROR_MARKER.match(part)
                if m is not None:
                    found.append(Marker(tok.start[0], m["message"], m["code"]))
    return found


def _cases(path: Path) -> list[Case]:
    kind = path.name.split("_")[0]
    markers = _markers(path)
    cases: list[Case] = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if not isinstance(node, ast.FunctionDef) or not node.name.startswith("case_"):
            continue
        first = min([node.lineno] + [d.lineno for d in node.decorator_list])
        last = node.end_lineno or node.lineno
        a = node.args
        n_params = len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs)
        n_params += (a.vararg is not None) + (a.kwarg is not None)
        mine = tuple(m for m in markers if first <= m.line <= last)
        cases.append(Case(path, node.name, kind, first, last, n_params, mine))
    return cases


def _case_files() -> list[Path]:
    return sorted(
        p for p in CASES.glob("*_models_*.py") if p.name.startswith(("accept_", "reject_"))
    )


CASES_FOUND = [c for p in _case_files() for c in _cases(p)]


def _function(case: Case) -> Callable[[], object]:
    module = importlib.import_module(f"{PACKAGE}.{case.path.stem}")
    f: Callable[[], object] = getattr(module, case.name)
    return f


def _raising_line(error: BaseException, path: Path) -> int | None:
    """The last line of `path` in the error's traceback: where the case's code raised."""
    lines = [
        frame.lineno
        for frame in traceback.extract_tb(error.__traceback__)
        if Path(frame.filename).resolve() == path.resolve()
    ]
    return lines[-1] if lines else None


def _names(size: int, message: str) -> bool:
    return re.search(rf"(?<!\d){size}(?!\d)", message) is not None


@pytest.mark.parametrize("case", CASES_FOUND, ids=[c.id for c in CASES_FOUND])
def test_case_runs_as_mypy_says(case: Case) -> None:
    assert case.n_params == 0, f"{case.id}: a model case takes no argument, to be run here"
    f = _function(case)
    if case.kind == "accept":
        with tp.checks(True):
            f()
        return

    # A reject case: typedprop's CheckError, or numpy's ValueError for plain numpy code.
    with tp.checks(True), pytest.raises((tp.CheckError, ValueError)) as raised:
        f()
    message = str(raised.value)
    line = _raising_line(raised.value, case.path)
    sized = [m for m in case.markers if m.sizes]
    if not sized:
        return  # a placeholder marker (`# E: ...  [dim-mismatch]`): the raise is enough
    if not isinstance(raised.value, tp.CheckError) and not any(c.isdigit() for c in message):
        return  # numpy's own message names no size ("all input arrays must have the same shape")
    at_line = [m for m in sized if m.line == line]
    candidates = at_line or sized
    pairs = [pair for m in candidates for pair in m.sizes]
    assert any(_names(a, message) and _names(b, message) for a, b in pairs), (
        f"{case.id}: the runtime's {type(raised.value).__name__} (line {line}) does not name "
        f"the sizes of mypy's marker {[str(p) for p in pairs]}:\n  {message}\n  markers: "
        + "; ".join(f"{m.line}: {m.message}" for m in candidates)
    )


def test_the_marker_parser() -> None:
    """Markers as test_static.py writes them; sizes read from a `[dim-mismatch]` message."""
    m = Marker(
        1,
        'Dimension mismatch in call to "matvec": dimension n: 784 (argument "x", axis 0) vs '
        '128 (argument "w", axis 1)',
        "dim-mismatch",
    )
    assert m.sizes == [(784, 128)]
    assert Marker(1, "...", "dim-mismatch").sizes == []
    line = "# E: ...  [arg-type]  # E: a 3 (x) vs 4 (y)  [dim-mismatch]"
    parts = [_ERROR_MARKER.match(p) for p in _SPLIT.split(line.removeprefix("#").strip())]
    assert [(p["message"], p["code"]) for p in parts if p] == [
        ("...", "arg-type"),
        ("a 3 (x) vs 4 (y)", "dim-mismatch"),
    ]
    assert _names(784, "dimension n: 784 (argument 'x')") and not _names(78, "size 784")


def test_every_model_file_has_cases() -> None:
    """Each model case file holds at least one `case_*` function (a misnamed file would hold
    none and silently test nothing)."""
    empty = [p.name for p in _case_files() if not _cases(p)]
    assert not empty, empty
