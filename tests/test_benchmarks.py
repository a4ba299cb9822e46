"""The benchmark scripts run: each with its smallest settings and the contenders this
environment has (hand-written numpy and typedprop), checking every contender against numpy
before it prints its table; and `--baseline-src`, with this checkout's own `src` as the
baseline tree. Their timings are not tested here: they are read from the tables."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())
BENCHMARKS = ROOT / "benchmarks"

TYPEDPROP_ROWS = [
    f"| typedprop {style}, checks {on} |"
    for on in ("off", "on")
    for style in ("implicit", "traced")
]


def _run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("script", ["chain.py", "mlp.py", "rnn.py"])
def test_the_peer_benchmarks_run(script: str) -> None:
    out = _run(script, "--quick", "--only", "numpy", "--no-memory", "--in-process")
    assert "| hand-written numpy |" in out
    for row in TYPEDPROP_ROWS:
        assert row in out, row
    assert "all verified against hand-written numpy before timing" in out


def test_the_baseline_option_times_a_second_tree_side_by_side() -> None:
    # The baseline tree is this checkout's own src, so that it runs from a clean clone.
    src = ROOT / "src"
    out = _run(
        "chain.py",
        *("--quick", "--case", "0", "--only", "numpy", "--no-memory", "--in-process"),
        *("--baseline-src", str(src)),
    )
    for row in TYPEDPROP_ROWS:
        assert row in out, row
        assert row.replace("typedprop", "typedprop@baseline") in out, row
    # Its own process, whose typedprop is the baseline tree's.
    baseline = os.path.join(os.path.realpath(src), "typedprop")
    (line,) = [x for x in out.splitlines() if x.startswith("  typedprop@baseline process:")]
    assert f" from {baseline} (" in line, line
    assert "this tree against the baseline tree" in out
    for on in ("off", "on"):
        for style in ("implicit", "traced"):
            assert re.search(rf"^\\| {style}, checks {on} \\|( [0-9.-]+ \\|){{5}}$", out, re.M), out
    assert "LEFT OUT" not in out


def test_the_mnist_epoch_benchmark_runs() -> None:
    out = _run("mnist_epoch.py", "--rounds", "1", "--samples", "300")
    assert "| typedprop (mnist.train: trace + optim.SGD) |" in out
    assert "parameters after 200 steps agree to" in out


def test_the_op_overhead_benchmark_runs() -> None:
    out = _run("op_overhead.py", "--rounds", "1")
    assert "matvec chain in backprop, checks off" in out


def test_the_plugin_cost_benchmark_runs() -> None:
    out = _run("mypy_plugin.py", "--rounds", "1", "examples/monotest.py")
    assert "ratio with/without:" in out


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
def test_instruction_counts_run_under_valgrind() -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import instructions
    finally:
        sys.path.remove(str(BENCHMARKS))
    # One call of the smallest workload, with this checkout's own sources: a count, not a time.
    count = instructions.instructions(ROOT / "src", "chain_scalar", False, True, 1)
    assert count > 1_000_000


def test_instruction_counts_refuse_a_missing_valgrind() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "instructions.py"), "--baseline-src", str(ROOT / "src")],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PATH": ""},
    )
    assert done.returncode == 1
    assert "instructions.py needs valgrind: apt-get install valgrind" in done.stderr
