"""The cost of `typedprop.mypy_plugin`: mypy on the MNIST program with and without the plugin.

Runs `mypy --no-incremental` over `examples/mnist.py` and `src/typedprop/mnist.py` with
`mypy.ini`'s options (less its `files` list), once with the `plugins` line and once without,
interleaved, several rounds, each in a fresh process (a plugin is loaded once per process), and
prints the median and fastest times and their ratios.

Issue target: the plugin's run takes at most 1.3x the time of the run without it.

    python benchmarks/mypy_plugin.py [--rounds 8] [FILE ...]
"""

import argparse
import configparser
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FILES = ["examples/mnist.py", "src/typedprop/mnist.py"]


def config(plugin: bool, folder: Path) -> Path:
    """`mypy.ini` without `files`, with or without the `plugins` line."""
    parser = configparser.ConfigParser()
    parser.read(REPO / "mypy.ini")
    parser.remove_option("mypy", "files")
    if not plugin:
        parser.remove_option("mypy", "plugins")
    path = folder / ("with.ini" if plugin else "without.ini")
    with path.open("w") as f:
        parser.write(f)
    return path


def run(ini: Path, files: list[str]) -> float:
    command = [sys.executable, "-m", "mypy", "--config-file", str(ini), "--no-incremental", *files]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"mypy failed:\n{done.stdout}{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("files", nargs="*", default=FILES)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        with_ini, without_ini = config(True, Path(tmp)), config(False, Path(tmp))
        run(with_ini, args.files)  # warm the file system cache
        times: dict[str, list[float]] = {"without": [], "with": []}
        for _ in range(args.rounds):
            times["without"].append(run(without_ini, args.files))
            times["with"].append(run(with_ini, args.files))
    print(f"mypy on {' '.join(args.files)}, {args.rounds} interleaved rounds, no cache")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    for name, ts in times.items():
        median, fastest = statistics.median(ts), min(ts)
        print(f"  {name:>7} the plugin: median {median:.2f} s, fastest {fastest:.2f} s")
    ratio = statistics.median(times["with"]) / statistics.median(times["without"])
    best = min(times["with"]) / min(times["without"])
    print(f"ratio with/without: {ratio:.2f} of medians, {best:.2f} of the fastest (target 1.3)")


if __name__ == "__main__":
    main()
