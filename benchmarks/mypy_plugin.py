"""The cost of `typedprop.mypy_plugin`: mypy with the plugin against mypy without it.

Issue target: mypy with the plugin takes at most 1.3x the time of mypy without it, on the
project's own code and on a generated model file of about 2,000 lines.

Three targets, each timed with and without the plugin:

- `project`: the project's own code, exactly the `files` of `mypy.ini` (`src`, `examples`);
- `generated`: a typedprop model file of about 2,000 lines that `_generated_model.py` writes to
  a temporary folder (`--seed`, `--lines`): `shapecheck`ed layers, NamedTuple parameters,
  `Final` sizes, ops, losses and training loops, with calls whose sizes mypy knows;
- `mnist`: the MNIST program, `examples/mnist.py` and `src/typedprop/mnist.py`.

Each run is `mypy --no-incremental` in a fresh process (a plugin is loaded once per process)
with `mypy.ini`'s options less its `files` list, once with the `plugins` line and once without,
its cache in a temporary folder. The runs are interleaved: each round runs every target without
and with the plugin, one right after the other (which goes first alternates from round to
round), so that slow changes in the machine's load fall on both alike. One run per target with
the plugin warms the file system's cache first. It prints, per target, the median and fastest
times and their ratios, then a verdict against the 1.3x target, on the ratios of the medians.
A run that fails (mypy finds an error, or the plugin reports one of its own) stops the benchmark
with mypy's output.

    python benchmarks/mypy_plugin.py [--rounds 5] [--target {project,generated,mnist}] ...
    python benchmarks/mypy_plugin.py [--rounds 5] FILE ...     # these files, as one target

`--target` may be given more than once; without it and without files, all three run. To time
another tree's plugin (a `git worktree` of an older commit), run that tree's copy of this script
with `PYTHONPATH=<tree>/src`: the plugin and the `typedprop` that mypy reads come from there,
and the first lines say which plugin was loaded.
"""

import argparse
import configparser
import importlib.util
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import _generated_model
import mypy.version

REPO = Path(__file__).resolve().parents[1]
TARGET_RATIO = 1.3
TARGETS = ("project", "generated", "mnist")
MNIST_FILES = ("examples/mnist.py", "src/typedprop/mnist.py")


@dataclass
class Target:
    """What one target type-checks, and its times."""

    name: str
    files: list[str]
    about: str
    times: dict[str, list[float]] = field(default_factory=lambda: {"without": [], "with": []})


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


def project_files() -> list[str]:
    """The `files` of `mypy.ini`, as it lists them."""
    parser = configparser.ConfigParser()
    parser.read(REPO / "mypy.ini")
    return [f.strip() for f in parser.get("mypy", "files").split(",") if f.strip()]


def count_lines(files: list[str]) -> tuple[int, int]:
    """How many Python files (`.py`, `.pyi`) the paths hold, folders walked, and their lines."""
    n_files = n_lines = 0
    for name in files:
        path = REPO / name
        paths = [path] if path.is_file() else sorted(path.rglob("*.py*"))
        for p in paths:
            if p.suffix in (".py", ".pyi"):
                n_files += 1
                n_lines += len(p.read_text().splitlines())
    return n_files, n_lines


def make_targets(args: argparse.Namespace, folder: Path) -> list[Target]:
    if args.files:
        n, lines = count_lines(args.files)
        return [Target("files", args.files, f"{n} files, {lines} lines")]
    targets = []
    for name in args.target or TARGETS:
        if name == "project":
            files = project_files()
            n, lines = count_lines(files)
            about = f"mypy.ini's files: {', '.join(files)}; {n} files, {lines} lines"
        elif name == "generated":
            path = _generated_model.write(folder, args.seed, args.lines)
            files = [str(path)]
            about = f"{path.name}, seed {args.seed}: {len(path.read_text().splitlines())} lines"
        else:
            files = list(MNIST_FILES)
            n, lines = count_lines(files)
            about = f"{', '.join(files)}; {lines} lines"
        targets.append(Target(name, files, about))
    return targets


def run(ini: Path, cache: Path, target: Target) -> float:
    """Seconds for one `mypy --no-incremental` over the target, in a fresh process."""
    command = [sys.executable, "-m", "mypy", "--config-file", str(ini), "--no-incremental"]
    command += ["--cache-dir", str(cache), *target.files]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"mypy failed on {target.name} ({ini.name}):\n{done.stdout}{done.stderr}")
    return elapsed


def plugin_origin() -> str:
    spec = importlib.util.find_spec("typedprop.mypy_plugin")
    return str(Path(spec.origin).parent) if spec is not None and spec.origin else "not found"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--target", action="append", choices=TARGETS, help="default: all three (not with FILEs)"
    )
    parser.add_argument("--seed", type=int, default=0, help="of the generated file")
    parser.add_argument("--lines", type=int, default=_generated_model.LINES, help="its length")
    parser.add_argument("files", nargs="*", metavar="FILE", help="these files as one target")
    args = parser.parse_args()
    if args.files and args.target:
        parser.error("give either --target or FILEs, not both")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    print(
        f"mypy --no-incremental with mypy.ini's options, without and with the plugin, "
        f"{args.rounds} interleaved rounds, a fresh process each run"
    )
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"mypy {mypy.version.__version__}; plugin from {plugin_origin()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        inis = {"with": config(True, folder), "without": config(False, folder)}
        caches = {name: folder / f"cache-{name}" for name in inis}
        targets = make_targets(args, folder)
        for target in targets:
            run(inis["with"], caches["with"], target)  # warm the file system's cache
        for r in range(args.rounds):
            order = ("without", "with") if r % 2 == 0 else ("with", "without")
            for target in targets:
                for name in order:
                    target.times[name].append(run(inis[name], caches[name], target))

    ratios: dict[str, float] = {}
    for target in targets:
        print(f"\n{target.name} ({target.about})")
        for name in ("without", "with"):
            ts = target.times[name]
            median, fastest = statistics.median(ts), min(ts)
            print(f"  {name:>7} the plugin: median {median:.2f} s, fastest {fastest:.2f} s")
        ratio = statistics.median(target.times["with"]) / statistics.median(target.times["without"])
        best = min(target.times["with"]) / min(target.times["without"])
        ratios[target.name] = ratio
        print(
            f"  ratio with/without: {ratio:.2f} of medians, {best:.2f} of the fastest "
            f"(target {TARGET_RATIO})"
        )
    worst = max(ratios, key=lambda name: ratios[name])
    listed = ", ".join(f"{name} {ratio:.2f}x" for name, ratio in ratios.items())
    if ratios[worst] <= TARGET_RATIO:
        print(f"\nverdict: within the {TARGET_RATIO}x target ({listed}; ratios of medians)")
    else:
        over = ", ".join(name for name, ratio in ratios.items() if ratio > TARGET_RATIO)
        print(f"\nverdict: OVER the {TARGET_RATIO}x target on {over} ({listed}; ratios of medians)")


if __name__ == "__main__":
    main()
