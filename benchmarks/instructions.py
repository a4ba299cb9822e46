"""Instructions per call, this tree against another: the noise-free side of a before/after.

Wall-clock ratios on these shared machines move by 10-20% from run to run, more than the 5% a
refactor may cost. The number of instructions a run executes does not move: this script runs
each benchmark's own typedprop workload (chain.py, rnn.py, mlp.py) under valgrind's cachegrind,
once with this tree's sources and once with another tree's, `n1` and `n2` calls each, and
prints the instructions of one call, `(I(n2) - I(n1)) / (n2 - n1)`, and after/before. The
start-up and the first calls (tracing, the first checks) cancel out in the difference.

    python benchmarks/instructions.py --baseline-src /tmp/before/src [--checks] [--case rnn]

Each run: one BLAS thread, `PYTHONHASHSEED=0`, the garbage collector off during the calls.
Instructions are not time (a cache miss costs more than an add), so a change in memory
traffic needs the wall-clock benchmarks too; for the Python work a refactor adds or removes,
they are the exact measure. Needs `valgrind` (`apt-get install valgrind`).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"

# name -> (benchmark module, arguments of its `typedprop_run` before `checks, traced`)
CASES: dict[str, tuple[str, tuple[object, ...]]] = {
    "chain_scalar": ("chain", (None, 50)),
    "chain_vector": ("chain", (10, 50)),
    "rnn": ("rnn", (20,)),
    "mlp1": ("mlp", (1,)),
    "mlp32": ("mlp", (32,)),
}

# Run inside valgrind: `python -c RUNNER benchmarks_dir module args checks traced calls`.
RUNNER = """
import gc, importlib, sys
sys.path.insert(0, sys.argv[1])
module = importlib.import_module(sys.argv[2])
run = module.typedprop_run(*eval(sys.argv[3]), sys.argv[4] == "1", sys.argv[5] == "1")
run(); run(); gc.collect(); gc.disable()
for _ in range(int(sys.argv[6])):
    run()
"""


def instructions(src: Path, case: str, checks: bool, traced: bool, calls: int) -> int:
    """The instructions valgrind counts for `calls` calls of `case` with typedprop from `src`."""
    module, args = CASES[case]
    env = {
        **os.environ,
        "PYTHONPATH": str(src),
        "PYTHONHASHSEED": "0",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    command = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        "-c",
        RUNNER,
        str(HERE),
        module,
        repr(args),
        "1" if checks else "0",
        "1" if traced else "0",
        str(calls),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"{case}: the run under valgrind failed:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def per_call(src: Path, case: str, checks: bool, traced: bool, n1: int, n2: int) -> float:
    low = instructions(src, case, checks, traced, n1)
    high = instructions(src, case, checks, traced, n2)
    return (high - low) / (n2 - n1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--baseline-src", required=True, type=Path, help="the other tree's src")
    parser.add_argument("--checks", action="store_true", help="runtime checks on (off by default)")
    parser.add_argument(
        "--case", action="append", choices=sorted(CASES), help="only these (all by default)"
    )
    parser.add_argument("--calls", default="10,30", help="n1,n2: calls per measurement")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("instructions.py needs valgrind: apt-get install valgrind")
    n1, n2 = (int(n) for n in args.calls.split(","))
    baseline = args.baseline_src.resolve()
    if (baseline / "src" / "typedprop").is_dir():
        baseline = baseline / "src"
    print(f"instructions per call, checks {'on' if args.checks else 'off'}: ({n2} - {n1} calls)")
    print(f"this tree: {SRC}; baseline: {baseline}\n")
    print("| workload | style | this tree | baseline | after/before |")
    print("|---|---|---|---|---|")
    for case in args.case or list(CASES):
        for traced in (False, True):
            after = per_call(SRC, case, args.checks, traced, n1, n2)
            before = per_call(baseline, case, args.checks, traced, n1, n2)
            style = "traced" if traced else "implicit"
            print(
                f"| {case} | {style} | {after / 1e3:,.1f}k | {before / 1e3:,.1f}k | "
                f"{after / before:.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
