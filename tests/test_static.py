"""Static type tests: what mypy accepts and rejects in typedprop's typed API.

The cases live in `tests/typecheck/*.py`. mypy checks them; nothing there runs. One theme per
file, each case a small function with a comment saying what it shows.

Accepted cases: `accept_*.py`
    Code mypy must accept, mostly `typing.assert_type(expression, ExactType)`. These files must
    not contain `type: ignore` at all. The clean run below (mypy with `mypy.ini`, which covers
    `src`, `examples` and `tests/typecheck`) proves them.

Rejected cases: every other case file (`reject_*.py`)
    Each line mypy must reject ends in a marker comment::

        matvec(w)  # type: ignore[call-overload]  # E: No overload variant of "__call__"

    - `# type: ignore[code]`, or `# type: ignore[code-a, code-b]`: mypy reports errors on
      exactly this line, and the error codes reported there are exactly these (errors with
      the same code may repeat; notes are not counted).
    - `# E: fragment` (optional, after the ignore): some error message on the line contains
      `fragment`. Before matching, the array aliases are abbreviated in mypy's messages:
      `ndarray[tuple[int, int], dtype[floating[Any]]]` reads `Mat`,
      `ndarray[tuple[int], dtype[floating[Any]]]` reads `Vec` and
      `ndarray[tuple[Any, ...], dtype[floating[Any]]]` reads `Array`.
    The marker must start the line's comment; a comment that mentions `type: ignore` in any
    other form is a malformed marker and fails `test_markers_are_well_formed`.

    In the clean run the ignores silence these errors, and since `mypy.ini` sets
    `warn_unused_ignores`, a rejection that stops happening fails the clean run as
    `Unused "type: ignore" comment`. To check the codes and messages, the case files are copied
    to a temporary folder with the ignore comments removed and mypy runs once over the copy
    (with `mypy.ini`'s options, `mypy_path` set to the repository's `stubs` and `src`); each
    marked line is one test, with an id like `reject_ops.py:23[arg-type]`.

A line that should be accepted but that mypy rejects because of a gap in typedprop's types goes
in a `known_gaps.py` with its marker, so that fixing the gap fails the clean run and moves it
to an accept file. There is none today.

mypy runs twice per session (clean run and copy), in-process through `mypy.api.run`, with
caches under `.mypy_cache/test_static/`.
"""

import configparser
import contextlib
import re
import tokenize
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
from mypy import api

REPO = Path(__file__).resolve().parents[1]
CASES = REPO / "tests" / "typecheck"
CONFIG = REPO / "mypy.ini"
CACHE = REPO / ".mypy_cache" / "test_static"

_MARKER = re.compile(
    r"^#\s*type:\s*ignore\[(?P<codes>[^\]]+)\]\s*(?:#\s*E:\s*(?P<fragment>.*?))?\s*$"
)
_MENTIONS_IGNORE = re.compile(r"type:\s*ignore", re.IGNORECASE)
_ERROR = re.compile(
    r"^(?P<path>.+?):(?P<line>\d+)(?::\d+)*: error: (?P<message>.*?)(?:  \[(?P<code>[\w-]+)\])?$"
)
_ABBREVIATIONS = (
    ("ndarray[tuple[int, int], dtype[floating[Any]]]", "Mat"),
    ("ndarray[tuple[int], dtype[floating[Any]]]", "Vec"),
    ("ndarray[tuple[Any, ...], dtype[floating[Any]]]", "Array"),
)


@dataclass(frozen=True)
class Marker:
    """A rejected line: `# type: ignore[codes]`, with an optional `# E: fragment`."""

    file: str
    line: int
    column: int  # where the comment starts
    codes: frozenset[str]
    fragment: str | None
    source: str

    @property
    def id(self) -> str:
        return f"{self.file}:{self.line}[{', '.join(sorted(self.codes))}]"


@dataclass(frozen=True)
class Error:
    line: int
    code: str | None
    message: str


def _case_files() -> list[Path]:
    return sorted(CASES.glob("*.py"))


def _comments(path: Path) -> list[tuple[int, int, str]]:
    """(line, column, text) of every comment in `path`."""
    with tokenize.open(path) as f:
        return [
            (tok.start[0], tok.start[1], tok.string)
            for tok in tokenize.generate_tokens(f.readline)
            if tok.type == tokenize.COMMENT
        ]


def _collect() -> tuple[list[Marker], list[str]]:
    """The markers of the rejected-case files, and a description of each malformed one."""
    markers: list[Marker] = []
    malformed: list[str] = []
    for path in _case_files():
        if path.name.startswith("accept_"):
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for line, column, text in _comments(path):
            if not _MENTIONS_IGNORE.search(text):
                continue
            m = _MARKER.match(text)
            if m is None:
                malformed.append(f"{path.name}:{line}: {text}")
                continue
            codes = frozenset(c.strip() for c in m["codes"].split(",") if c.strip())
            markers.append(
                Marker(
                    path.name,
                    line,
                    column,
                    codes,
                    m["fragment"] or None,
                    lines[line - 1][:column].rstrip(),
                )
            )
    return markers, malformed


MARKERS, MALFORMED = _collect()


def _abbreviate(message: str) -> str:
    for long, short in _ABBREVIATIONS:
        message = message.replace(long, short)
    return message


def _output(stdout: str, stderr: str, status: int) -> str:
    return f"mypy exit status {status}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"


@dataclass(frozen=True)
class Run:
    stdout: str
    stderr: str
    status: int

    def __repr__(self) -> str:
        return f"Run(status={self.status})"

    @property
    def text(self) -> str:
        return _output(self.stdout, self.stderr, self.status)


@pytest.fixture(scope="session")
def clean_run() -> Run:
    """mypy exactly as `mypy` in the repository root runs it: mypy.ini's files and options."""
    with contextlib.chdir(REPO):
        stdout, stderr, status = api.run(
            ["--config-file", str(CONFIG), "--cache-dir", str(CACHE / "clean"), "--no-pretty"]
        )
    return Run(stdout, stderr, status)


@dataclass(frozen=True)
class CopyRun:
    run: Run
    errors: dict[str, dict[int, list[Error]]]  # file name -> line -> errors
    foreign: list[str]  # error lines not in a copied case file

    def __repr__(self) -> str:
        return f"CopyRun(status={self.run.status})"


@pytest.fixture(scope="session")
def copy_run(tmp_path_factory: pytest.TempPathFactory) -> CopyRun:
    """mypy over a copy of the case files with every ignore marker cut off."""
    root = tmp_path_factory.mktemp("typecheck")
    cases = root / "cases"
    cases.mkdir()
    cut: dict[str, dict[int, int]] = defaultdict(dict)
    for marker in MARKERS:
        cut[marker.file][marker.line] = marker.column
    for path in _case_files():
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        for line, column in cut[path.name].items():
            lines[line - 1] = lines[line - 1][:column].rstrip() + "\n"
        (cases / path.name).write_text("".join(lines), encoding="utf-8")

    # mypy.ini's options, less its `files`, with the repository's stubs and sources on the path.
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(CONFIG, encoding="utf-8")
    parser.remove_option("mypy", "files")
    parser.set("mypy", "mypy_path", f"{REPO / 'stubs'},{REPO / 'src'}")
    config = root / "mypy.ini"
    with config.open("w", encoding="utf-8") as f:
        parser.write(f)

    with contextlib.chdir(root):
        stdout, stderr, status = api.run(
            [
                "--config-file",
                str(config),
                "--cache-dir",
                str(CACHE / "copy"),
                "--no-pretty",
                "--show-absolute-path",
                str(cases),
            ]
        )
    # Errors are matched by file name only: for a file whose contents it has cached, mypy
    # replays the cached errors with the path they were first reported under, which is an
    # earlier session's temporary folder.
    copied = {p.name for p in _case_files()}
    errors: dict[str, dict[int, list[Error]]] = defaultdict(lambda: defaultdict(list))
    foreign: list[str] = []
    for text in stdout.splitlines():
        m = _ERROR.match(text)
        if m is None:
            continue
        path = Path(m["path"])
        if path.name not in copied or path.parent.name != cases.name:
            foreign.append(text)
            continue
        errors[path.name][int(m["line"])].append(
            Error(int(m["line"]), m["code"], _abbreviate(m["message"]))
        )
    return CopyRun(Run(stdout, stderr, status), errors, foreign)


def test_mypy_is_clean(clean_run: Run) -> None:
    """mypy with mypy.ini (src, examples, tests/typecheck) reports no errors: the accepted cases
    hold, and every rejected line is still rejected (no unused ignores)."""
    assert clean_run.status == 0, clean_run.text


def test_markers_are_well_formed() -> None:
    assert not MALFORMED, "malformed type: ignore markers:\n" + "\n".join(MALFORMED)


def test_accept_files_have_no_ignores() -> None:
    accept = [p for p in _case_files() if p.name.startswith("accept_")]
    assert accept, f"no accept_*.py files in {CASES}"
    for path in accept:
        text = path.read_text(encoding="utf-8")
        hits = [
            f"{path.name}:{i}: {line.strip()}"
            for i, line in enumerate(text.splitlines(), 1)
            if _MENTIONS_IGNORE.search(line)
        ]
        assert not hits, "accepted cases must not silence mypy:\n" + "\n".join(hits)
        assert "assert_type(" in text, f"{path.name} asserts no type"


def test_copy_has_errors_only_on_marked_lines(copy_run: CopyRun) -> None:
    """Without the markers, mypy reports errors on the marked lines and nowhere else (in
    particular, the copy finds typedprop and its stubs)."""
    assert copy_run.run.status in (0, 1), copy_run.run.text
    assert not copy_run.foreign, "errors outside the case files:\n" + "\n".join(copy_run.foreign)
    marked = {(m.file, m.line) for m in MARKERS}
    stray = [
        f"{file}:{line}: {e.message}  [{e.code}]"
        for file, lines in copy_run.errors.items()
        for line, errs in lines.items()
        if (file, line) not in marked
        for e in errs
    ]
    assert not stray, "errors on lines with no marker:\n" + "\n".join(stray)


@pytest.mark.parametrize("marker", MARKERS, ids=[m.id for m in MARKERS])
def test_rejected(marker: Marker, copy_run: CopyRun) -> None:
    assert copy_run.run.status in (0, 1), copy_run.run.text
    errors = copy_run.errors.get(marker.file, {}).get(marker.line, [])
    reported = "\n".join(f"  {e.message}  [{e.code}]" for e in errors) or "  (nothing)"
    where = f"{marker.file}:{marker.line}: {marker.source.strip()}\nmypy reports:\n{reported}"
    codes = {e.code or "(no code)" for e in errors}
    assert codes == marker.codes, f"expected codes {sorted(marker.codes)}\n{where}"
    if marker.fragment is not None:
        assert any(marker.fragment in e.message for e in errors), (
            f"expected a message containing {marker.fragment!r}\n{where}"
        )
