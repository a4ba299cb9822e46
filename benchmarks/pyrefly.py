"""typedprop's mypy plugin against pyrefly's tensor shapes: fifteen shape mistakes, side by side.

`benchmarks/shape_cases/` holds fifteen typical shape mistakes, each file a mistake with its
corrected twin, written three times: `typedprop/` as a typedprop user writes it (checked by mypy
with `typedprop.mypy_plugin`), `pyrefly_numpy/` in numpy with pyrefly-numpy-stubs and jaxtyping
hints under `@static_jaxtyping`, and `pyrefly_torch/` in PyTorch with pyrefly-torch-stubs and
pyrefly's native `Tensor[[...]]` hints. Each checker runs once over its folder; the script prints
a markdown table of what each one reports.

Each case file has a function `wrong` and its twin `right`; a top-level function or class whose
name ends in `_wrong` or `_right` belongs to the one or the other. A mistake counts as caught
when the checker reports an error inside `wrong`; any error elsewhere (in `right` or in the
code both share) counts as a false positive.

Issue target: typedprop catches 15 of 15, with no false positive.

    python benchmarks/pyrefly.py [--only typedprop|numpy|torch ...] [--pyrefly PATH] [--details]

pyrefly is optional: a column whose checker is missing says "not installed". The numpy stubs
need Python >= 3.12; the script uses a separate environment `.venv-pyrefly` in the repository
root (git-ignored) when there is one, else a `pyrefly` next to this Python or on `PATH`:

    PYENV_VERSION=3.12.1 python3.12 -m venv .venv-pyrefly
    .venv-pyrefly/bin/pip install -e '.[pyrefly]'
"""

import argparse
import ast
import configparser
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CASES = REPO / "benchmarks" / "shape_cases"
PYREFLY_VENV = REPO / ".venv-pyrefly"
TIMEOUT = 600


@dataclass(frozen=True)
class Checker:
    key: str  # the `--only` name
    folder: str  # under benchmarks/shape_cases
    title: str  # the table's column
    stubs: str = ""  # the distribution pyrefly needs for this idiom


CHECKERS = [
    Checker("typedprop", "typedprop", "typedprop (mypy + plugin)"),
    Checker("numpy", "pyrefly_numpy", "pyrefly numpy", "pyrefly-numpy-stubs"),
    Checker("torch", "pyrefly_torch", "pyrefly torch", "pyrefly-torch-stubs"),
]


# ---------------------------------------------------------------------------------------------
# Cases: files, their twins' lines


@dataclass
class Case:
    path: Path
    wrong: set[int] = field(default_factory=set)  # lines of `wrong` and `*_wrong`
    right: set[int] = field(default_factory=set)  # lines of `right` and `*_right`


def case_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("[0-9][0-9]_*.py"))


def read_case(path: Path) -> Case:
    """The lines of a case file's wrong and right twins (decorators included)."""
    case = Case(path)
    for node in ast.parse(path.read_text(), str(path)).body:
        if not isinstance(node, ast.FunctionDef | ast.ClassDef):
            continue
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        lines = set(range(first, (node.end_lineno or node.lineno) + 1))
        if node.name == "wrong" or node.name.endswith("_wrong"):
            case.wrong |= lines
        elif node.name == "right" or node.name.endswith("_right"):
            case.right |= lines
    if not case.wrong or not case.right:
        raise SystemExit(f"{path}: a case needs a function `wrong` and a function `right`")
    return case


def mistake(path: Path) -> str:
    """The mistake a case shows: the first line of its docstring, less its number."""
    doc = ast.get_docstring(ast.parse(path.read_text())) or path.stem
    return re.sub(r"^\d+\.\s*", "", doc.splitlines()[0]).rstrip(".")


# ---------------------------------------------------------------------------------------------
# The checkers: each returns the lines of its errors, per file, and a line about itself


@dataclass
class Run:
    errors: dict[Path, list[tuple[int, str]]] | None  # None: the checker is missing
    about: str  # its version, or why it did not run
    seconds: float = 0.0


def run_mypy(files: list[Path], tmp: Path) -> Run:
    """mypy with the repository's `mypy.ini` (plugin and all), less its `files` list."""
    parser = configparser.ConfigParser()
    parser.read(REPO / "mypy.ini")
    parser.remove_option("mypy", "files")
    ini = tmp / "mypy.ini"
    with ini.open("w") as f:
        parser.write(f)
    command = [
        *(sys.executable, "-m", "mypy", "--config-file", str(ini)),
        # No cache: the plugin's own modules are not part of mypy's cache key.
        *("--no-incremental", "--cache-dir", str(tmp / "mypy-cache")),
        *("--show-absolute-path", "--no-error-summary", "--no-pretty"),
        *map(str, files),
    ]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=TIMEOUT)
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"mypy failed:\n{done.stdout}{done.stderr}")
    errors: dict[Path, list[tuple[int, str]]] = {}
    for line in done.stdout.splitlines():
        found = re.match(r"(.+?):(\d+): error: (.*)$", line)
        if not found:
            continue
        if "[typedprop-plugin]" in line:
            raise SystemExit(f"typedprop's plugin checked nothing:\n{line}")
        path, number, message = found.groups()
        errors.setdefault(Path(path).resolve(), []).append((int(number), message))
    version = subprocess.run(
        [sys.executable, "-m", "mypy", "--version"], capture_output=True, text=True
    ).stdout.split(" (")[0]
    return Run(errors, f"{version} with typedprop.mypy_plugin", seconds)


def find_pyrefly(given: str | None) -> Path | None:
    if given:
        return Path(given) if Path(given).is_file() else None
    candidates = [PYREFLY_VENV / "bin" / "pyrefly", Path(sys.executable).parent / "pyrefly"]
    on_path = shutil.which("pyrefly")
    for candidate in [*candidates, *([Path(on_path)] if on_path else [])]:
        if candidate.is_file():
            return candidate
    return None


def distributions(python: Path, names: list[str]) -> dict[str, str]:
    """The installed versions of `names` in `python`'s environment (missing ones left out)."""
    script = (
        "import importlib.metadata as m, json, sys\n"
        "found = {}\n"
        "for name in sys.argv[1:]:\n"
        "    try:\n"
        "        found[name] = m.version(name)\n"
        "    except m.PackageNotFoundError:\n"
        "        pass\n"
        "print(json.dumps(found))\n"
    )
    done = subprocess.run(
        [str(python), "-c", script, *names], capture_output=True, text=True, timeout=60
    )
    found: dict[str, str] = json.loads(done.stdout) if done.returncode == 0 else {}
    return found


def run_pyrefly(pyrefly: Path | None, checker: Checker, files: list[Path], tmp: Path) -> Run:
    """pyrefly over one folder, resolving imports in the environment pyrefly is installed in."""
    if pyrefly is None:
        return Run(None, "not installed")
    python = pyrefly.parent / "python"
    if not python.is_file():
        python = Path(sys.executable)
    needed = ["pyrefly", "pyrefly-shape-extensions", checker.stubs]
    found = distributions(python, needed)
    missing = [name for name in needed[1:] if name not in found]
    if missing:
        return Run(None, f"not installed ({', '.join(missing)} in {python})")
    config = tmp / f"pyrefly-{checker.key}.toml"
    config.write_text(f"python-interpreter-path = {json.dumps(str(python))}\n")
    command = [
        *(str(pyrefly), "check", "--config", str(config)),
        *("--output-format", "json", "--summary=none", "--progress-bar", "no"),
        *map(str, files),
    ]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=TIMEOUT)
    seconds = time.perf_counter() - start
    try:
        reported = json.loads(done.stdout)["errors"]
    except (json.JSONDecodeError, KeyError):
        raise SystemExit(f"pyrefly failed:\n{done.stdout}{done.stderr}") from None
    errors: dict[Path, list[tuple[int, str]]] = {}
    for error in reported:
        if error["severity"] != "error":
            continue
        path = Path(error["path"])
        path = (path if path.is_absolute() else REPO / path).resolve()
        message = f"{error['concise_description']} [{error['name']}]"
        errors.setdefault(path, []).append((error["line"], message))
    versions = ", ".join(f"{name} {found[name]}" for name in needed)
    return Run(errors, versions, seconds)


# ---------------------------------------------------------------------------------------------
# The table


@dataclass
class Verdict:
    caught: bool
    false_positives: list[tuple[int, str]]
    wrong_errors: list[tuple[int, str]]


def judge(case: Case, errors: list[tuple[int, str]]) -> Verdict:
    in_wrong = [e for e in errors if e[0] in case.wrong]
    elsewhere = [e for e in errors if e[0] not in case.wrong]
    return Verdict(bool(in_wrong), elsewhere, in_wrong)


def cell(verdict: Verdict | None, run: Run) -> str:
    if run.errors is None:
        return run.about.split(" (")[0]
    if verdict is None:
        return "no such case"
    text = "caught" if verdict.caught else "**missed**"
    if verdict.false_positives:
        text += ", **false positive**"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        nargs="+",
        choices=[c.key for c in CHECKERS],
        default=[c.key for c in CHECKERS],
        help="the checkers to run (default: all three)",
    )
    parser.add_argument("--pyrefly", help="the pyrefly executable (default: found, see above)")
    parser.add_argument(
        "--details", action="store_true", help="list every error each checker reports"
    )
    args = parser.parse_args()
    checkers = [c for c in CHECKERS if c.key in args.only]
    names = [p.name for p in case_files(CASES / "typedprop")]
    pyrefly = find_pyrefly(args.pyrefly)

    runs: dict[str, Run] = {}
    cases: dict[str, dict[str, Case]] = {}
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        for checker in checkers:
            files = case_files(CASES / checker.folder)
            cases[checker.key] = {p.name: read_case(p) for p in files}
            if checker.key == "typedprop":
                runs[checker.key] = run_mypy(files, tmp)
            else:
                runs[checker.key] = run_pyrefly(pyrefly, checker, files, tmp)

    verdicts: dict[str, dict[str, Verdict]] = {}
    for checker in checkers:
        run = runs[checker.key]
        verdicts[checker.key] = {
            name: judge(case, (run.errors or {}).get(case.path.resolve(), []))
            for name, case in cases[checker.key].items()
        }

    print("| mistake | " + " | ".join(c.title for c in checkers) + " |")
    print("|---|" + "---|" * len(checkers))
    for number, name in enumerate(names, 1):
        row = [f"{number}. {mistake(CASES / 'typedprop' / name)}"]
        for checker in checkers:
            row.append(cell(verdicts[checker.key].get(name), runs[checker.key]))
        print("| " + " | ".join(row) + " |")
    totals = ["total"]
    for checker in checkers:
        run, found = runs[checker.key], verdicts[checker.key].values()
        if run.errors is None:
            totals.append(run.about.split(" (")[0])
            continue
        caught = sum(v.caught for v in found)
        false = sum(bool(v.false_positives) for v in found)
        totals.append(f"caught {caught} of {len(names)}, false positives {false}")
    print("| " + " | ".join(totals) + " |")
    print()
    for checker in checkers:
        run = runs[checker.key]
        timing = f", {run.seconds:.1f} s" if run.errors is not None else ""
        print(f"- {checker.title}: {run.about}{timing}")

    if args.details:
        for checker in checkers:
            if runs[checker.key].errors is None:
                continue
            print(f"\n{checker.title}:")
            for name, verdict in verdicts[checker.key].items():
                for line, message in verdict.wrong_errors:
                    print(f"  {name}:{line}: wrong: {message}")
                for line, message in verdict.false_positives:
                    print(f"  {name}:{line}: FALSE POSITIVE: {message}")


if __name__ == "__main__":
    main()
