"""Fill the placeholder markers of the plugin's corpus of model mistakes with mypy's messages.

The cases of `tests/static/cases/plugin/reject_models_*.py` are written with a placeholder on the
line of each mistake, `# E: ...  [dim-mismatch]` (or `[rank-mismatch]`), which asks for the code
only. This script runs mypy with the plugin exactly as `test_static.py` does (its `_run_cases`:
`mypy.ini`'s options, the plugin on, `TYPEDPROP_PLUGIN_STRICT=1`, over `tests/static/cases`), and
rewrites each placeholder with the exact messages mypy reports on that line with that code
(several messages give several markers, `# E: one  [dim-mismatch]  # E: two  [dim-mismatch]`).
A placeholder on a line where mypy reports nothing with its code is left as it is, and printed:

    not caught: plugin/reject_models_numpy.py:27
    caught with another code: plugin/reject_models_sizes.py:153: [dim-mismatch] ...

Usage, from the repository's root:

    python tests/static/fill_markers.py            # rewrite the placeholders
    python tests/static/fill_markers.py --dry-run  # print what it would write, change nothing
    python tests/static/fill_markers.py --refresh  # rewrite filled markers too (new wording)
    python tests/static/fill_markers.py FILE ...   # only these case files

Known holes: a mistake the plugin does not catch yet is kept in its file as a `hole_` function
(not a `case_`, so no marker is asked of it, and the runtime agreement test skips it) with the
comment `# not caught statically yet (a known hole)` on its line. `--holes` keeps those in step:
a placeholder still not caught becomes a hole, and a hole that mypy now rejects becomes a case
again, its marker filled.

    python tests/static/fill_markers.py --holes    # fill, and move cases to and from the holes

It ends with a count: markers filled (or already exact), not caught, caught with another code.
Errors mypy reports elsewhere in these files (a line without a marker, or another code on a
marked line) are printed too: a case file must have no report that its markers do not expect.
"""

import argparse
import re
import sys
import tempfile
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_TESTS = Path(__file__).resolve().parents[1]
if str(_TESTS) not in sys.path:  # `support`, which test_static imports, lives in tests/
    sys.path.insert(0, str(_TESTS))

from static.test_static import CASES, Run, _run_cases  # noqa: E402

CODES = ("dim-mismatch", "rank-mismatch")
"""The codes whose markers this script fills."""

_DIMENSION_MARKER = re.compile(
    r"#\s*E:\s(?P<message>.*?)  \[(?P<code>dim-mismatch|rank-mismatch)\]"
)
_PLACEHOLDER = "..."
HOLE = "# not caught statically yet (a known hole)"
"""The comment on the line of a known hole's mistake."""


@dataclass(frozen=True)
class Outcome:
    """What became of one line's dimension markers."""

    file: str  # relative to CASES
    line: int
    status: str  # "filled", "exact", "not caught", "other code"
    detail: str = ""


def _marker_lines(path: Path) -> dict[int, list[tuple[str, str]]]:
    """The dimension markers of a case file: line -> [(message, code)], in the order written."""
    found: dict[int, list[tuple[str, str]]] = {}
    with tokenize.open(path) as f:
        for tok in tokenize.generate_tokens(f.readline):
            if tok.type == tokenize.COMMENT:
                for m in _DIMENSION_MARKER.finditer(tok.string):
                    found.setdefault(tok.start[0], []).append((m["message"], m["code"]))
    return found


def _markers(messages: Sequence[str], code: str) -> str:
    return "  ".join(f"# E: {message}  [{code}]" for message in messages)


def _unique(messages: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(messages))


def _replace(text: str, olds: Sequence[str], new: str) -> str:
    """`text` with the markers `olds` (in order) taken out and `new` put where the first was."""
    start = text.index(olds[0])
    head, tail = text[:start], text[start:]
    for old in olds:
        tail = re.sub(r"\s*" + re.escape(old), "", tail, count=1)
    return head + new + tail


def fill_file(path: Path, run: Run, refresh: bool, write: bool) -> list[Outcome]:
    """Rewrite the placeholders of one case file from `run`; the outcome of each marked line
    (and code: a line's markers of one code are filled together)."""
    key = path.relative_to(CASES).as_posix()
    reports = run.at(key)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    outcomes: list[Outcome] = []
    for number, markers in sorted(_marker_lines(path).items()):
        errors = [r for r in reports.get(number, []) if r.kind == "error"]
        text = lines[number - 1]
        for code in _unique([c for _, c in markers]):
            group = [message for message, c in markers if c == code]
            if not refresh and _PLACEHOLDER not in group:
                outcomes.append(Outcome(key, number, "exact"))
                continue
            same = _unique([r.message for r in errors if r.code == code])
            if not same:
                others = [r for r in errors if r.code in CODES]
                if others:
                    detail = "; ".join(f"[{r.code}] {r.message}" for r in others)
                    outcomes.append(Outcome(key, number, "other code", detail))
                else:
                    outcomes.append(Outcome(key, number, "not caught"))
                continue
            olds = [f"# E: {message}  [{code}]" for message in group]
            new = _markers(same, code)
            if "  ".join(olds) == new:
                outcomes.append(Outcome(key, number, "exact"))
                continue
            text = _replace(text, olds, new)
            outcomes.append(Outcome(key, number, "filled", new))
        lines[number - 1] = text
    if write:
        path.write_text("".join(lines), encoding="utf-8")
    return outcomes


def _rename_function(lines: list[str], number: int, old: str, new: str) -> None:
    """Rename the top-level function holding line `number` from `old...` to `new...`."""
    for i in range(number - 1, -1, -1):
        if lines[i].startswith(("def case_", "def hole_")):
            lines[i] = lines[i].replace(f"def {old}", f"def {new}", 1)
            return


def move_holes(path: Path, run: Run, outcomes: Sequence[Outcome], write: bool) -> list[str]:
    """Make the placeholders `outcomes` found not caught into holes, and the holes that mypy now
    rejects into cases with a placeholder (filled by a later `fill_file`); what moved."""
    key = path.relative_to(CASES).as_posix()
    reports = run.at(key)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    moved: list[str] = []
    for o in outcomes:
        if o.file == key and o.status == "not caught":
            text = lines[o.line - 1]
            lines[o.line - 1] = re.sub(r"\s*# E: \.\.\.  \[[\w-]+\]", f"  {HOLE}", text)
            _rename_function(lines, o.line, "case_", "hole_")
            moved.append(f"now a hole: {key}:{o.line}")
    for number, text in enumerate(lines, 1):
        codes = _unique([r.code for r in reports.get(number, []) if r.code in CODES])
        if HOLE in text and codes:
            lines[number - 1] = text.replace(HOLE, _markers([_PLACEHOLDER], codes[0]))
            _rename_function(lines, number, "hole_", "case_")
            moved.append(f"caught now: {key}:{number}")
    if write and moved:
        path.write_text("".join(lines), encoding="utf-8")
    return moved


def _unexpected(path: Path, run: Run) -> list[str]:
    """mypy's errors in a case file on lines without a dimension marker, or with a code that no
    marker there asks for."""
    key = path.relative_to(CASES).as_posix()
    marked = _marker_lines(path)
    found: list[str] = []
    for number, reports in sorted(run.at(key).items()):
        codes = {code for _, code in marked.get(number, [])}
        for r in reports:
            if r.kind == "error" and r.code not in codes:
                found.append(f"{key}:{number}: [{r.code}] {r.message}")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="case files (default: all)")
    parser.add_argument("--dry-run", action="store_true", help="print, change nothing")
    parser.add_argument("--refresh", action="store_true", help="rewrite filled markers too")
    parser.add_argument(
        "--holes", action="store_true", help="move cases not caught to holes, and back"
    )
    args = parser.parse_args(argv)
    files = [f.resolve() for f in args.files] or sorted(
        (CASES / "plugin").glob("reject_models_*.py")
    )
    outside = [f for f in files if not f.is_relative_to(CASES)]
    if outside:
        parser.error(f"not a case file under {CASES}: {', '.join(map(str, outside))}")

    with tempfile.TemporaryDirectory() as tmp:
        run = _run_cases(Path(tmp), plugin=True)
    if run.status not in (0, 1):
        print(run.text, file=sys.stderr)
        return 2

    outcomes: list[Outcome] = []
    for path in files:
        found = fill_file(path, run, args.refresh, write=False)
        if args.holes:
            for line in move_holes(path, run, found, write=not args.dry_run):
                print(line)
        outcomes += fill_file(path, run, args.refresh, write=not args.dry_run)
    for o in outcomes:
        where = f"{o.file}:{o.line}"
        if o.status == "not caught":
            print(f"not caught: {where}")
        elif o.status == "other code":
            print(f"caught with another code: {where}: {o.detail}")
        elif o.status == "filled" and args.dry_run:
            print(f"would fill: {where}: {o.detail}")
    for line in (u for path in files for u in _unexpected(path, run)):
        print(f"reported, not marked: {line}")

    def count(status: str) -> int:
        return sum(o.status == status for o in outcomes)

    verb = "to fill" if args.dry_run else "filled"
    print(
        f"{len(outcomes)} marked lines in {len(files)} files: {count('filled')} {verb}, "
        f"{count('exact')} already exact, {count('not caught')} not caught, "
        f"{count('other code')} caught with another code"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
