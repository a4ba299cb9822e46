"""The shape cases of `benchmarks/pyrefly.py` (benchmarks/shape_cases/): each typedprop case's
right twin runs and its wrong one is refused at run time, the three idioms hold the same fifteen
cases, and the script prints its table with typedprop's column alone (no pyrefly needed)."""

import importlib.util
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

import typedprop as tp

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())
CASES = ROOT / "benchmarks" / "shape_cases"
TYPEDPROP_CASES = sorted((CASES / "typedprop").glob("[0-9][0-9]_*.py"))


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"shape_case_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_there_are_fifteen_cases_in_each_idiom() -> None:
    names = [p.name for p in TYPEDPROP_CASES]
    assert len(names) == 15
    assert [int(name[:2]) for name in names] == list(range(1, 16))
    for idiom in ("pyrefly_numpy", "pyrefly_torch"):
        assert sorted(p.name for p in (CASES / idiom).glob("[0-9][0-9]_*.py")) == names, idiom


@pytest.mark.parametrize("path", TYPEDPROP_CASES, ids=lambda p: p.stem)
def test_the_right_twin_runs_and_the_wrong_one_is_refused(path: Path) -> None:
    module = _load(path)
    right: Callable[[], object] = module.right
    wrong: Callable[[], object] = module.wrong
    right()
    # typedprop's checks raise CheckError; plain numpy operators raise numpy's ValueError.
    with pytest.raises((tp.CheckError, ValueError)):
        wrong()


@pytest.mark.static
def test_the_script_prints_typedprops_column() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "pyrefly.py"), "--only", "typedprop"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "| mistake | typedprop (mypy + plugin) |"
    rows = [line for line in lines if line.startswith("| ") and line[2:3].isdigit()]
    assert len(rows) == 15
    assert all(row.endswith(("| caught |", "| **missed** |")) for row in rows), rows
    (total,) = [line for line in lines if line.startswith("| total |")]
    # The plugin is gradual: whatever it catches, it never rejects a right twin.
    assert total.endswith(", false positives 0 |"), total
