"""The one runner of the static cases: what mypy accepts and rejects, with one marker syntax.

The cases live in `tests/static/cases/<folder>/*.py`: files that mypy checks and nothing runs.

- `typed_api/`: typedprop's typed API (arities, types of results, structures), no dimensions;
- `plugin/`: the corpus of `typedprop.mypy_plugin` (jaxtyping dimensions), whose cases are the
  functions named `case_*`, each with a comment saying what it shows.

Markers. A comment at the end of a line says what mypy reports there:

    ops.matvec(w, x)  # E: Dimension mismatch in call to "matvec": dimension n: ...  [dim-mismatch]
    matvec(w)  # E: No overload variant of "__call__" of "Op"...  [call-overload]
    reveal_type(y)  # N: Revealed type is "numpy.ndarray[tuple[Literal[300]], ...]"

- `# E: message  [code]`: an error with this code (two spaces before it) and this message;
- `# N: message`: a note with this message;
- `...` in a message stands for any text (itself included): `E: ...  [code]` asks for the code
  only, `E: No overload variant...  [call-overload]` for the start of the message;
- several reports on one line: `# E: ...  [arg-type]  # E: ...  [return-value]`.

Before matching, the array aliases are abbreviated in mypy's messages:
`ndarray[tuple[int, int], dtype[floating[Any]]]` reads `Mat`, `ndarray[tuple[int],
dtype[floating[Any]]]` reads `Vec` and `ndarray[tuple[Any, ...], dtype[floating[Any]]]` reads
`Array`.

On each line, every error mypy reports must match an `E:` marker there, and every `E:` marker
must match one or more of them (errors with the same code and message may repeat). The same
holds for notes, except for the notes mypy adds right after an error on its line to explain it
(`Possible overload variants: ...`): those may go unmarked. A line without a marker has no
report. A comment that starts like a marker but does not parse, or any `type: ignore` in a case
file, fails `test_markers_are_well_formed`: case files are checked with nothing silenced.

Files: `accept_*.py` have no `E:` marker (in `typed_api/` they assert types with
`typing.assert_type`); `reject_*.py` have `E:` markers (in `plugin/`, every `case_` function of a
reject file has one, and no other has); `known_holes.py` (plugin) holds calls a complete check
would reject but the plugin accepts, with no error, so that closing a hole fails its test and
moves the case to a reject file; a `known_gaps.py` would hold lines mypy rejects only because
of a gap in typedprop's types, with their markers (there is none today).

Each function of a case file (`case_*` or not, methods included) is one test, with an id like
`plugin/reject_ops.py::case_wrong_bias_length`; the lines outside functions are one more test per
file (`...::<module>`).

mypy runs in-process (`mypy.api.run`) with `mypy.ini`'s options less its `files`, from the
repository's root over `tests/static/cases`: once with the plugin (and
`TYPEDPROP_PLUGIN_STRICT=1`, so that a failing hook raises), once without it (the plugin's cases
then report no error, and the typed API's report the same errors). A third run is `mypy` exactly
as configured (`src`, `examples`), which must be clean. Caches live under `.mypy_cache/static/`.
"""

import ast
import configparser
import contextlib
import re
import tokenize
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from mypy import api
from mypy.version import __version__ as mypy_version

from support import environment

REPO = Path(__file__).resolve().parents[2]
CASES = REPO / "tests" / "static" / "cases"
CONFIG = REPO / "mypy.ini"
CACHE = REPO / ".mypy_cache" / "static"

_COMMENT_MARKER = re.compile(r"^#\s*[EN]:")
_SPLIT = re.compile(r"\s+#\s*(?=[EN]:)")
_ERROR_MARKER = re.compile(r"^E:\s(?P<message>.*?)  \[(?P<code>[\w-]+)\]$")
_NOTE_MARKER = re.compile(r"^N:\s(?P<message>.*?)\s*$")
_MENTIONS_IGNORE = re.compile(r"type:\s*ignore", re.IGNORECASE)
_REPORT = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): (?P<kind>error|note): (?P<text>.*)$")
_CODE = re.compile(r"^(?P<message>.*?)  \[(?P<code>[\w-]+)\]$")
_ABBREVIATIONS = (
    ("ndarray[tuple[int, int], dtype[floating[Any]]]", "Mat"),
    ("ndarray[tuple[int], dtype[floating[Any]]]", "Vec"),
    ("ndarray[tuple[Any, ...], dtype[floating[Any]]]", "Array"),
)


# ---------------------------------------------------------------------------------------------
# Markers and cases
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Marker:
    """`# E: message  [code]` (kind "error") or `# N: message` (kind "note") on a line."""

    file: str  # relative to CASES: "plugin/reject_ops.py"
    line: int
    kind: str
    message: str  # with `...` for any text
    code: str | None

    def matches(self, report: "Report") -> bool:
        if report.kind != self.kind or report.code != self.code:
            return False
        pattern = ".*".join(re.escape(part) for part in self.message.split("..."))
        return re.fullmatch(pattern, report.message, re.DOTALL) is not None

    def __str__(self) -> str:
        code = f"  [{self.code}]" if self.code else ""
        return f"{self.line}: {self.kind} {self.message}{code}"


@dataclass(frozen=True)
class Case:
    """A function of a case file (or the file's lines outside functions, named `<module>`)."""

    file: str
    name: str
    lines: frozenset[int]

    @property
    def id(self) -> str:
        return f"{self.file}::{self.name}"

    @property
    def folder(self) -> str:
        return self.file.split("/")[0]

    @property
    def kind(self) -> str:
        """`accept`, `reject` or `known`: the file name's first word."""
        return self.file.split("/")[-1].split("_")[0]


def _case_files() -> list[Path]:
    return sorted(p for p in CASES.glob("*/*.py") if p.name != "__init__.py")


def _key(path: Path) -> str:
    return path.relative_to(CASES).as_posix()


def _comments(path: Path) -> Iterator[tuple[int, str]]:
    with tokenize.open(path) as f:
        for tok in tokenize.generate_tokens(f.readline):
            if tok.type == tokenize.COMMENT:
                yield tok.start[0], tok.string


def _parse_markers(path: Path) -> tuple[list[Marker], list[str]]:
    """The markers of a case file, and a description of each malformed comment."""
    markers: list[Marker] = []
    malformed: list[str] = []
    file = _key(path)
    for line, text in _comments(path):
        if _MENTIONS_IGNORE.search(text):
            malformed.append(f"{file}:{line}: nothing is silenced in a case file: {text}")
            continue
        if not _COMMENT_MARKER.match(text):
            continue
        for part in _SPLIT.split(text.removeprefix("#").strip()):
            error, note = _ERROR_MARKER.match(part), _NOTE_MARKER.match(part)
            if error is not None:
                markers.append(Marker(file, line, "error", error["message"], error["code"]))
            elif note is not None and part.startswith("N:"):
                markers.append(Marker(file, line, "note", note["message"], None))
            else:
                malformed.append(f"{file}:{line}: {part!r}")
    return markers, malformed


def _functions(tree: ast.Module) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """The functions of a module, and the methods of its classes, with their names."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name, node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    yield f"{node.name}.{item.name}", item


def _collect() -> tuple[list[Case], list[Marker], list[str]]:
    cases: list[Case] = []
    markers: list[Marker] = []
    malformed: list[str] = []
    for path in _case_files():
        found, bad = _parse_markers(path)
        markers += found
        malformed += bad
        source = path.read_text(encoding="utf-8")
        n_lines = len(source.splitlines())
        inside: set[int] = set()
        for name, node in _functions(ast.parse(source)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            span = frozenset(range(first, (node.end_lineno or node.lineno) + 1))
            inside |= span
            cases.append(Case(_key(path), name, span))
        rest = frozenset(range(1, n_lines + 1)) - inside
        cases.append(Case(_key(path), "<module>", rest))
    return cases, markers, malformed


CASES_FOUND, MARKERS, MALFORMED = _collect()


# ---------------------------------------------------------------------------------------------
# mypy's runs
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    file: str
    line: int
    kind: str  # "error" or "note"
    message: str
    code: str | None
    explains: bool  # a note right after an error on its line

    def __str__(self) -> str:
        code = f"  [{self.code}]" if self.code else ""
        return f"{self.line}: {self.kind} {self.message}{code}"


@dataclass(frozen=True)
class Run:
    stdout: str
    stderr: str
    status: int
    reports: tuple[Report, ...]

    def __repr__(self) -> str:
        return f"Run(status={self.status}, {len(self.reports)} reports)"

    @property
    def text(self) -> str:
        return f"mypy exit status {self.status}\n{self.stdout}\n{self.stderr}"

    def at(self, file: str) -> dict[int, list[Report]]:
        found: dict[int, list[Report]] = defaultdict(list)
        for r in self.reports:
            if r.file == file:
                found[r.line].append(r)
        return found


def _abbreviate(message: str) -> str:
    for long, short in _ABBREVIATIONS:
        message = message.replace(long, short)
    return message


def _reports(stdout: str) -> tuple[Report, ...]:
    reports: list[Report] = []
    last_error: tuple[str, int] | None = None
    for text in stdout.splitlines():
        m = _REPORT.match(text)
        if m is None:
            continue
        path = Path(m["path"])
        file = (path if path.is_absolute() else REPO / path).resolve()
        key = _key(file) if file.is_relative_to(CASES) else f"(outside) {path}"
        line, kind = int(m["line"]), m["kind"]
        message, code = m["text"], None
        if kind == "error":
            coded = _CODE.match(message)
            if coded is not None:
                message, code = coded["message"], coded["code"]
            last_error = (key, line)
        explains = kind == "note" and last_error == (key, line)
        if kind == "note" and not explains:
            last_error = None
        reports.append(Report(key, line, kind, _abbreviate(message), code, explains))
    return tuple(reports)


def _run_cases(tmp: Path, plugin: bool) -> Run:
    """mypy over the case folders with mypy.ini's options (less `files`), with or without the
    plugin."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(CONFIG, encoding="utf-8")
    parser.remove_option("mypy", "files")
    parser.set("mypy", "mypy_path", f"{REPO / 'stubs'},{REPO / 'src'}")
    if plugin:
        parser.set("mypy", "plugins", "typedprop.mypy_plugin")
    else:
        parser.remove_option("mypy", "plugins")
    config = tmp / ("plugin.ini" if plugin else "plain.ini")
    with config.open("w", encoding="utf-8") as f:
        parser.write(f)
    cache = CACHE / ("plugin" if plugin else "plain")
    # A failing hook raises instead of falling back to mypy's own answer.
    with contextlib.chdir(REPO), environment(TYPEDPROP_PLUGIN_STRICT="1"):
        stdout, stderr, status = api.run(
            ["--config-file", str(config), "--cache-dir", str(cache), "--no-pretty"]
            + ["--hide-error-context", str(CASES.relative_to(REPO))]
        )
    return Run(stdout, stderr, status, _reports(stdout))


@pytest.fixture(scope="session")
def with_plugin(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return _run_cases(tmp_path_factory.mktemp("plugin"), plugin=True)


@pytest.fixture(scope="session")
def without_plugin(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return _run_cases(tmp_path_factory.mktemp("plain"), plugin=False)


@pytest.fixture(scope="session")
def clean_run() -> Run:
    """mypy exactly as `mypy` in the repository root runs it: mypy.ini's files and options."""
    with contextlib.chdir(REPO):
        stdout, stderr, status = api.run(
            ["--config-file", str(CONFIG), "--cache-dir", str(CACHE / "clean"), "--no-pretty"]
        )
    return Run(stdout, stderr, status, _reports(stdout))


# ---------------------------------------------------------------------------------------------
# Matching a case's reports with its markers
# ---------------------------------------------------------------------------------------------


def _mismatches(case: Case, run: Run) -> list[str]:
    """What differs between the markers of `case` and mypy's reports on its lines."""
    reports = run.at(case.file)
    markers: dict[int, list[Marker]] = defaultdict(list)
    for m in MARKERS:
        if m.file == case.file:
            markers[m.line].append(m)
    problems: list[str] = []
    for line in sorted(case.lines):
        here, marked = reports.get(line, []), markers.get(line, [])
        for m in marked:
            if not any(m.matches(r) for r in here):
                problems.append(f"expected, not reported: {m}")
        for r in here:
            if r.explains and not any(m.kind == "note" for m in marked):
                continue  # an error's explanation, unmarked
            if not any(m.matches(r) for m in marked):
                problems.append(f"reported, not expected: {r}")
    return problems


@pytest.mark.parametrize("case", CASES_FOUND, ids=[c.id for c in CASES_FOUND])
def test_case(case: Case, with_plugin: Run) -> None:
    assert with_plugin.status in (0, 1), with_plugin.text
    problems = _mismatches(case, with_plugin)
    assert not problems, f"{case.id}:\n" + "\n".join(f"  {p}" for p in problems)


def test_no_report_outside_the_case_files(with_plugin: Run) -> None:
    """The cases find typedprop and its stubs: nothing is reported elsewhere."""
    assert with_plugin.status in (0, 1), with_plugin.text
    outside = [f"{r.file}:{r}" for r in with_plugin.reports if r.file.startswith("(outside)")]
    assert not outside, "\n".join(outside)


def test_the_matcher() -> None:
    def error(message: str, code: str = "misc") -> Report:
        return Report("f.py", 1, "error", message, code, False)

    marker = Marker("f.py", 1, "error", 'No overload variant of "f"...', "call-overload")
    assert marker.matches(error('No overload variant of "f" matches', "call-overload"))
    assert not marker.matches(error('No overload variant of "f" matches', "arg-type"))
    assert not marker.matches(error('An overload variant of "f"', "call-overload"))
    exact = Marker("f.py", 1, "error", "tuple[Any, ...] (a [b])", "misc")
    assert exact.matches(error("tuple[Any, ...] (a [b])"))
    assert not exact.matches(error("tuple[Any, ...] (a [b]) and more"))
    assert Marker("f.py", 1, "error", "...", "misc").matches(error("anything"))
    line = "# E: ...  [arg-type]  # E: a...  [return-value]  # N: Revealed type is ..."
    parts = _SPLIT.split(line.removeprefix("#").strip())
    assert parts == ["E: ...  [arg-type]", "E: a...  [return-value]", "N: Revealed type is ..."]


# ---------------------------------------------------------------------------------------------
# The case files' shape
# ---------------------------------------------------------------------------------------------


def test_markers_are_well_formed() -> None:
    assert not MALFORMED, "malformed markers:\n" + "\n".join(MALFORMED)


def test_accept_files_expect_no_error_and_reject_files_some() -> None:
    for path in _case_files():
        errors = [m for m in MARKERS if m.file == _key(path) and m.kind == "error"]
        if path.name.startswith(("accept_", "known_holes")):
            assert not errors, f"{_key(path)} expects errors: {[str(m) for m in errors]}"
        elif path.name.startswith("reject_"):
            assert errors, f"{_key(path)} expects no error"


def test_typed_api_accept_files_assert_types() -> None:
    accept = [p for p in _case_files() if _key(p).startswith("typed_api/accept_")]
    assert accept
    for path in accept:
        assert "assert_type(" in path.read_text(encoding="utf-8"), f"{path.name} asserts nothing"


def test_plugin_cases_hold_the_markers() -> None:
    """In `plugin/`, every marker is inside a `case_` function, and exactly the `case_` functions
    of reject files expect errors."""
    plugin = [c for c in CASES_FOUND if c.folder == "plugin"]
    cases = [c for c in plugin if c.name.split(".")[-1].startswith("case_")]
    inside = {(c.file, n) for c in cases for n in c.lines}
    stray = [f"{m.file}:{m.line}" for m in MARKERS if m.file.startswith("plugin/")]
    stray = [s for s in stray if (s.split(":")[0], int(s.split(":")[1])) not in inside]
    assert not stray, f"markers outside any case: {stray}"
    for case in cases:
        expects = any(
            m.file == case.file and m.line in case.lines and m.kind == "error" for m in MARKERS
        )
        assert (case.kind == "reject") == expects, case.id


def test_the_plugin_corpus_is_large_enough() -> None:
    kinds = [
        c.kind
        for c in CASES_FOUND
        if c.folder == "plugin" and c.name.split(".")[-1].startswith("case_")
    ]
    assert kinds.count("reject") >= 30, kinds.count("reject")
    assert kinds.count("accept") >= 30, kinds.count("accept")


# ---------------------------------------------------------------------------------------------
# Without the plugin, and mypy as configured
# ---------------------------------------------------------------------------------------------


def test_without_the_plugin(with_plugin: Run, without_plugin: Run) -> None:
    """Without the plugin, mypy reports none of the plugin's errors (and no other error there),
    and the typed API's errors are the same: the plugin adds and removes none of them."""
    assert without_plugin.status in (0, 1), without_plugin.text
    plugin_errors = [
        str(r) for r in without_plugin.reports if r.kind == "error" and r.file.startswith("plugin/")
    ]
    assert not plugin_errors, "\n".join(plugin_errors)

    def typed_api(run: Run) -> list[tuple[str, int, str, str | None]]:
        return sorted(
            (r.file, r.line, r.message, r.code)
            for r in run.reports
            if r.kind == "error" and r.file.startswith("typed_api/")
        )

    assert typed_api(without_plugin) == typed_api(with_plugin)


def test_mypy_is_clean(clean_run: Run) -> None:
    """mypy with mypy.ini (src, examples) reports no errors."""
    assert clean_run.status == 0, clean_run.text


def test_mypy_version_is_the_tested_one() -> None:
    """The plugin API is unstable: the cases were run on mypy 2.4 (pyproject pins `<2.5`, and the
    plugin says so on another mypy)."""
    assert mypy_version.startswith("2.4."), mypy_version


# ---------------------------------------------------------------------------------------------
# The examples' static sizes
# ---------------------------------------------------------------------------------------------

# Each example that writes static sizes, a mistake in them, and mypy's message, which the
# example's docstring quotes.
_MISTAKES = {
    "static_sizes.py": (
        [("tp.normal(HIDDEN2, HIDDEN1, rng=0)", "tp.normal(HIDDEN1, HIDDEN2, rng=0)")],
        'error: Dimension mismatch in call to "dense": dimension out: 100 (argument "b", axis 0) '
        'vs 300 (argument "w", axis 0)  [dim-mismatch]',
    ),
    "brief.py": (
        [("w2=tp.normal(OUTPUTS, HIDDEN,", "w2=tp.normal(OUTPUTS, INPUTS,")],
        'error: Dimension mismatch in call to "Params": dimension n: 8 (argument "w2", axis 1) '
        'vs 5 (argument "w1", axis 0)  [dim-mismatch]',
    ),
    "mnist.py": (
        [
            ("import HIDDEN1, PIXELS", "import HIDDEN1, HIDDEN2, PIXELS"),
            ("rng=seed), tp.zeros(HIDDEN1))", "rng=seed), tp.zeros(HIDDEN2))"),
        ],
        'error: Dimension mismatch in call to "Layer": dimension out: 100 (argument "b", axis 0) '
        'vs 300 (argument "w", axis 0)  [dim-mismatch]',
    ),
}


def test_the_examples_static_sizes_catch_what_their_docstrings_say(tmp_path: Path) -> None:
    """Each mistake, made in a copy of its example, is rejected by a real mypy run with the
    message the example quotes; the examples themselves pass (`mypy.ini` checks them)."""
    for name, (edits, message) in _MISTAKES.items():
        source = (REPO / "examples" / name).read_text()
        assert message.removeprefix("error: ") in source, f"{name} quotes another message"
        for old, new in edits:
            assert source.count(old) == 1, f"{name}: {old!r}"
            source = source.replace(old, new)
        (tmp_path / f"wrong_{name}").write_text(source)
    stdout, _, status = api.run(["--config-file", str(CONFIG), "--no-incremental", str(tmp_path)])
    assert status == 1
    errors = [line for line in stdout.splitlines() if ": error: " in line]
    for name, (_, message) in _MISTAKES.items():
        assert any(f"wrong_{name}:" in line and line.endswith(message) for line in errors), name
