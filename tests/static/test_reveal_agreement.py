"""Every shape the plugin knows is the runtime's: `tp.reveal_shape` of several hundred numpy
and typedprop expressions (`reveal/shapes_*.py`), mypy's note on each line against the shape
the line gives when it runs. A size the plugin does not know (`?`, `unknown`, leading `...`)
matches any; a size it does know must be the runtime's."""

import importlib
import inspect
import re
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import typedprop

# It runs mypy, whose view of numpy's results follows numpy's stubs (older ones leave more
# shapes unknown): not run with the lowest supported numpy (`.ci/run`'s `-m "not static"`).
pytestmark = pytest.mark.static

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
FILES = sorted((HERE / "reveal").glob("shapes_*.py"))
_NOTE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): (?P<kind>\w+): (?P<text>.*)$")


def _static(path: Path) -> dict[int, str]:
    """mypy's notes (`Static shape is ...`) by line; any other report fails the test."""
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "--no-incremental", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"TYPEDPROP_PLUGIN_STRICT": "1", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    notes: dict[int, str] = {}
    for line in run.stdout.splitlines():
        m = _NOTE.match(line)
        if m is None:
            continue
        assert m["kind"] == "note", line
        notes[int(m["line"])] = m["text"].removeprefix("Static shape is ")
    assert notes, run.stdout + run.stderr
    return notes


def _runtime(path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[int, tuple[int, ...]]:
    """The shape each `tp.reveal_shape` line gives at run time."""
    seen: dict[int, tuple[int, ...]] = {}

    def record(x: Any) -> Any:
        frame = inspect.currentframe()
        assert frame is not None and frame.f_back is not None
        value = x.value if isinstance(x, typedprop.BVar) else x
        seen[frame.f_back.f_lineno] = tuple(np.shape(value))
        return x

    monkeypatch.setattr(typedprop, "reveal_shape", record)
    module = importlib.import_module(f"static.reveal.{path.stem}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module.run()
    return seen


def _agrees(static: str, runtime: tuple[int, ...]) -> bool:
    if static == "unknown":
        return True
    dims = [d.strip() for d in static.strip("()").split(",") if d.strip()]
    if dims and dims[0] == "...":
        tail = dims[1:]
        return len(tail) <= len(runtime) and all(
            d == "?" or d == str(r) for d, r in zip(reversed(tail), reversed(runtime), strict=False)
        )
    return len(dims) == len(runtime) and all(
        d == "?" or d == str(r) for d, r in zip(dims, runtime, strict=True)
    )


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_every_known_shape_is_the_runtimes(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    static = _static(path)
    runtime = _runtime(path, monkeypatch)
    assert set(static) == set(runtime), "every reveal_shape line has a note and runs"
    wrong = [
        f"line {n}: static {static[n]}, runtime {runtime[n]}"
        for n in sorted(static)
        if not _agrees(static[n], runtime[n])
    ]
    known = sum(1 for s in static.values() if s != "unknown")
    # (A floor, so that the check cannot pass by knowing nothing: 258 of 533 numpy
    # expressions and 133 of 175 typedprop ones are known as these files stand.)
    assert known >= len(static) * 2 // 5, f"{known} of {len(static)} shapes known statically"
    assert not wrong, "\n".join(wrong)
