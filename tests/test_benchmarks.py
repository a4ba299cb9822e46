"""The benchmark scripts run: each with its smallest settings and the contenders this
environment has (hand-written numpy and typedprop), checking every contender against numpy
before it prints its table; and `--baseline-src`, with this checkout's own `src` as the
baseline tree. Their timings are not tested here: they are read from the tables."""

import importlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
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
    assert "\nverdict: " in out


def _benchmark_module(name: str) -> ModuleType:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_the_generated_model_is_about_2000_lines_and_the_same_for_a_seed() -> None:
    generated = _benchmark_module("_generated_model")
    text = generated.generate(0)
    assert 1800 <= len(text.splitlines()) <= 2200
    assert generated.generate(0) == text
    assert generated.generate(1) != text
    # Every kind of layer, loss and trainer is in it.
    for kind in (*generated.LAYER_STYLES, *generated.LOSSES, *generated.TRAINERS):
        assert re.search(rf"^# Model \d+: .*\b{kind}\b", text, re.M), kind


def test_the_generated_model_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _benchmark_module("_generated_model").write(tmp_path)
    spec = importlib.util.spec_from_file_location("generated_model", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "generated_model", module)
    spec.loader.exec_module(module)
    losses = module.main()
    assert len(losses) == len(module.TRAINERS) >= 10
    assert all(len(run) == module.STEPS for run in losses)
    assert all(np.isfinite(run).all() for run in losses)


@pytest.mark.static
def test_the_generated_model_type_checks_clean_with_the_plugin(tmp_path: Path) -> None:
    # The plugin sees the generated file's hints and sizes: a wrong size in a file that uses it
    # is the one error, and the generated file has none.
    path = _benchmark_module("_generated_model").write(tmp_path)
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import typedprop as tp\n"
        "from generated_model import HIDDEN_0, IN_0, OUT_0, Params0\n"
        "Params0(tp.normal(HIDDEN_0, IN_0, rng=0), tp.zeros(99), tp.ones(HIDDEN_0),\n"
        "        tp.normal(OUT_0, HIDDEN_0, rng=0), tp.zeros(OUT_0))\n"
    )
    ini = _benchmark_module("mypy_plugin").config(True, tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ini), "--no-incremental"]
        + ["--cache-dir", str(tmp_path / "cache"), str(path), str(probe)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    errors = [line for line in done.stdout.splitlines() if ": error: " in line]
    assert len(errors) == 1, done.stdout + done.stderr
    assert errors[0].startswith(f'{probe}:3: error: Dimension mismatch in call to "Params0"')
    assert errors[0].endswith("[dim-mismatch]"), errors


@pytest.mark.static
def test_the_plugin_cost_benchmark_times_a_generated_target() -> None:
    out = _run("mypy_plugin.py", "--rounds", "1", "--target", "generated", "--lines", "300")
    assert re.search(r"^generated \(generated_model\.py, seed 0: \d+ lines\)$", out, re.M), out
    for name in ("without", "with"):
        assert re.search(rf"^ +{name} the plugin: median [0-9.]+ s, fastest [0-9.]+ s$", out, re.M)
    assert re.search(r"^verdict: (within|OVER) the 1\.3x target .*generated", out, re.M), out


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


def test_the_gpu_benchmark_runs_on_the_cpu() -> None:
    # The GPU script on PyTorch's CPU device (CuPy, where absent, is skipped with a line):
    # every contender is checked against the hand-written pass of its library before timing.
    if importlib.util.find_spec("torch") is None:
        pytest.skip("PyTorch is not installed (pip install 'typedprop[backends]')")
    out = _run("gpu.py", "--device", "cpu", "--batches", "64", "--rounds", "1")
    for row in (
        "hand-written numpy (host)",
        "hand-written torch",
        "typedprop on torch, implicit",
        "typedprop on torch, traced",
        "torch autograd (reference)",
    ):
        assert re.search(rf"\|\s+64 \| {re.escape(row)}\s+\|\s+[\d.]+ \|", out), out
    if importlib.util.find_spec("cupy") is None:
        assert "# CuPy skipped" in out


def test_the_mlp_benchmark_has_typedprop_on_torch_beside_hand_written_torch() -> None:
    if importlib.util.find_spec("torch") is None:
        pytest.skip("PyTorch is not installed (pip install 'typedprop[backends]')")
    out = _run("mlp.py", "--quick", "--only", "numpy,torch", "--rounds", "1", "--no-memory")
    assert "| hand-written torch |" in out
    assert "| typedprop on torch implicit, checks off |" in out


def test_the_distributed_benchmark_runs() -> None:
    # Dask's local clusters of 1 and 2 worker processes, tiny sizes: every gradient is checked
    # against the one-process gradient (1e-12) before its tables print.
    pytest.importorskip("distributed")
    out = _run("distributed.py", "--quick")
    assert re.search(r"^verification passed: largest relative difference [0-9.e+-]+ ", out, re.M)
    for name in ("1 worker", "2 workers"):
        for style in ("implicit", "traced"):
            assert re.search(rf"^\| tpd\.grad, {name}, {style} \| [0-9.]+ \|", out, re.M), out
    assert "| one process, row blocks in a loop, traced |" in out
    assert out.count("## Fixed cost of one call") == 2
    assert out.count("verification passed (every gradient within 1e-12)") == 2
    assert re.search(r"^\| tpd\.grad, 2 workers, traced \| [0-9.]+ \| .* ms \|", out, re.M), out
    assert "FAILED" not in out and "DISAGREES" not in out


def test_the_compiled_benchmark_runs() -> None:
    # Every contender is checked against the hand-written jax.jit (1e-10) before timing; one
    # that disagrees is left out, saying so, and its row is missing.
    pytest.importorskip("jax")
    out = _run("compiled.py", "--quick")
    assert "disagrees" not in out
    for row in ("hand-written jax.jit", "jax.jit of lax.scan"):
        assert re.search(rf"^\| {re.escape(row)} \| [0-9.]+ [mu]?s \| 1\.00 ", out, re.M), out
    assert out.count("| typedprop compiled") == 3
    assert out.count("| typedprop traced, uncompiled |") == 3
