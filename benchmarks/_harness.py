"""What the benchmark scripts share: contenders, interleaved timing, peak memory, the tables.

A benchmark script (`mlp.py`, `chain.py`, `rnn.py`) lists its cases, each a list of
contenders; a contender is a name, the library group whose process runs it, and a setup
function that builds its inputs and returns one *run*: a callable that computes the value and
the full gradient, synchronously (JAX's results are waited for), returning `(value, gradient)`
with the gradient's leaves in the same order as the hand-written numpy baseline's.

How it measures (see shared/BENCH-NOTES.md for why):

- Each library group runs in its own process ("numpy", which holds the hand-written numpy
  versions and typedprop, then "autograd", "mygrad", "torch", "jax"), so that the thread pools
  of different libraries never share the cores. The parent process starts one child per group
  (`--serve GROUP`) and drives them over a pipe, one timed block at a time: only one process
  works at any moment.
- Every process also runs the hand-written numpy baseline. A contender's ratio in a round is its
  time over the baseline's time in the same process and the same round (so a process that runs
  slower as a whole, as processes here sometimes do, does not move the ratio); the table gives
  the median of these ratios over the rounds, and their interquartile range.
- Rounds visit the contenders in rotating order, each in a timed block of about 50 ms (at least
  one call), with a pause before each block so that the previous block's spinning BLAS or
  OpenMP threads have gone to sleep.
- Before any timing, each contender's value and gradient are compared with the hand-written
  numpy baseline's (relative error over the largest entry of each leaf, 1e-10 at most);
  a contender that disagrees is reported and left out.
- Minor page faults per call are counted (`getrusage`), and shown: 3-5 us each here.
- Peak memory of one run (cases marked `memory`): each contender in a fresh process, after two
  warm-up runs. Two views: the peak of the bytes allocated during the run, as `tracemalloc`
  sees them (numpy's buffers and Python objects; not torch's or JAX's own allocators), and the
  growth of the resident set (Linux: peak RSS reset through /proc/self/clear_refs, freed heap
  returned with malloc_trim first), which sees every allocator.

Options every script takes: `--rounds N`, `--quick` (tiny settings for a smoke test),
`--case K` (only the K-th case, from 0), `--only GROUPS` (comma-separated groups, e.g.
`numpy,torch`), `--in-process` (no child processes: every group in this one),
`--profile NAME` (cProfile one contender, in this process, and print the top entries),
`--no-memory`, `--baseline-src PATH` (below). For a one-thread view, run with
`OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1` in the environment: the children
inherit it.

Before and after a change, side by side: `--baseline-src PATH` adds typedprop from another
source tree (PATH holds its `typedprop` package, e.g. `src/` of a `git worktree` of an older
commit; a checkout's root with a `src/` works too) as one more library group,
"typedprop@baseline": its own process, whose `sys.path` starts with PATH before anything
imports typedprop (this module does it on import, from an environment variable that the
parent sets for that process only, and every script imports this module before typedprop), so
the editable install of this tree does not shadow it; each of its contenders checks, when it
is set up, that `typedprop.__file__` lies under PATH, and the `libraries:` lines print both
processes' `typedprop.__file__` and git revision. It runs the same four typedprop contenders
as this tree (implicit and traced, checks off and on), with this tree's benchmark code, and
its own hand-written numpy baseline; in each round, each of the four and the hand-written numpy
are timed right next to their counterparts in the baseline's process (in alternating order),
so that slow changes in the machine's load fall on both alike. After each case's table a
second table gives, for each of the four, both ratios to numpy and their quotient
after/before, the median over rounds of (this tree's ratio / the baseline's ratio) in the
same round, with its interquartile range, and the median per-round quotient of the raw
times. The group always runs in a child
process, `--in-process` or not; `--only` does not drop it, so `--only numpy` compares
typedprop alone:

    OPENBLAS_NUM_THREADS=1 taskset -c 1 python benchmarks/mlp.py --only numpy \\
        --baseline-src /tmp/before/src

Peers missing from the environment are skipped with a line saying so; `pip install -e
'.[bench]'` installs them.
"""

import argparse
import contextlib
import ctypes
import ctypes.util
import dataclasses
import gc
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
import traceback
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

#: One value-and-gradient computation, done when it returns: `(value, gradient)`.
Run = Callable[[], Any]

BASELINE = "hand-written numpy"
#: The library group of each peer, and the module whose presence says it is installed.
GROUP_MODULES = {
    "numpy": "numpy",
    "autograd": "autograd",
    "mygrad": "mygrad",
    "torch": "torch",
    "jax": "jax",
}
#: The group that runs typedprop from another source tree (`--baseline-src`), and the label
#: of its contenders (the current tree's are labelled "typedprop").
BASELINE_GROUP = "typedprop@baseline"
#: Groups whose arrays live in numpy buffers, which tracemalloc sees.
NUMPY_BACKED = {"numpy", BASELINE_GROUP, "autograd", "mygrad"}
RTOL = 1e-10
#: Set by the parent in the environment of the baseline group's process, and only there: the
#: folder that holds the baseline's `typedprop` package.
_SOURCE_ENV = "TYPEDPROP_BENCH_BASELINE_SRC"
#: This run's `--baseline-src`, resolved; None without it. Set by `main` before the cases are
#: made, in the parent and in every child (each gets the option), so all list the same ones.
_baseline_src: str | None = None

if os.environ.get(_SOURCE_ENV):
    # The baseline group's process: its typedprop comes from the baseline tree. Put it first,
    # before the editable install's entry, and before the script imports typedprop.
    if "typedprop" in sys.modules:
        raise ImportError(
            f"typedprop was imported before _harness, from {sys.modules['typedprop'].__file__}: "
            "the baseline process cannot switch it to the baseline tree"
        )
    sys.path.insert(0, os.environ[_SOURCE_ENV])


@dataclass(frozen=True)
class Contender:
    name: str
    #: The process that runs it: "numpy" (hand-written numpy and typedprop) or a peer's name.
    group: str
    setup: Callable[[], Run]


@dataclass(frozen=True)
class Case:
    title: str
    #: The first is the baseline, hand-written numpy, named BASELINE, in group "numpy".
    contenders: list[Contender]
    #: Op nodes per run, for a "us per op node" column (the chain benchmark).
    nodes: int | None = None
    #: Also measure the peak memory of one run of each contender.
    memory: bool = False
    notes: list[str] = field(default_factory=list)


def typedprop_run(loss: Callable[[Any], Any], params: Any, checks: bool, traced: bool) -> Run:
    """typedprop's contender: `backprop(loss, params)` at each run, or, `traced`, a graph of
    `loss` recorded once and replayed; runtime checks on or off."""
    import typedprop as tp  # here, not at the top: the peers' processes do not load it

    if not traced:

        def run() -> Any:
            with tp.checks(checks):
                return tp.backprop(loss, params)

        return run
    with tp.checks(checks):
        graph = tp.trace(loss, params)

    def replay() -> Any:
        with tp.checks(checks):
            return graph.backprop(params)

    return replay


def resolve_source(path: str) -> str:
    """The folder that holds the `typedprop` package of the tree at `path`: `path` itself or
    its `src/`, as an absolute path; ValueError when neither holds one."""
    for where in (path, os.path.join(path, "src")):
        if os.path.isfile(os.path.join(where, "typedprop", "__init__.py")):
            return os.path.realpath(where)
    raise ValueError(f"no typedprop package in {path} or {os.path.join(path, 'src')}")


def _from_baseline(setup: Callable[[], Run]) -> Callable[[], Run]:
    """`setup`, after making sure that this process's typedprop is the baseline's."""

    def checked() -> Run:
        import typedprop

        assert _baseline_src is not None
        where = os.path.realpath(typedprop.__file__ or "?")
        if not where.startswith(_baseline_src + os.sep):
            raise RuntimeError(
                f"typedprop in this process comes from {where}, not from the baseline tree "
                f"{_baseline_src}"
            )
        return setup()

    return checked


def typedprop_and_peers(
    contender: Callable[..., Contender], runs: dict[str, Any], jit: str
) -> list[Contender]:
    """The contenders every benchmark has after its hand-written ones: typedprop implicit and
    traced, checks off and on, with `--baseline-src` the same four of the baseline tree
    (labelled "typedprop@baseline", in that group), then the peers.
    `contender(name, group, make, *args)` binds a benchmark's sizes; `runs` maps "typedprop",
    "autograd", "mygrad", "torch" and "jax" to the benchmark's `make` functions (typedprop's
    takes `checks, traced`, JAX's `jit`); `jit` names JAX's compiled contender."""
    cs = []
    trees = [("typedprop", "numpy")]
    if _baseline_src is not None:
        trees.append((BASELINE_GROUP, BASELINE_GROUP))
    for label, group in trees:
        for checks in (False, True):
            on = "on" if checks else "off"
            for style, traced in (("implicit", False), ("traced", True)):
                name = f"{label} {style}, checks {on}"
                c = contender(name, group, runs["typedprop"], checks, traced)
                if group == BASELINE_GROUP:
                    c = dataclasses.replace(c, setup=_from_baseline(c.setup))
                cs.append(c)
    return cs + [
        contender("autograd", "autograd", runs["autograd"]),
        contender("mygrad", "mygrad", runs["mygrad"]),
        contender("torch eager", "torch", runs["torch"]),
        contender("jax, no jit", "jax", runs["jax"], False),
        contender(jit, "jax", runs["jax"], True),
    ]


# ---------------------------------------------------------------------------------------------
# Verification


def leaves(x: Any) -> list[np.ndarray]:
    """The leaves of a value or gradient structure, in order, as float64 numpy arrays."""
    if isinstance(x, dict):
        return [a for v in x.values() for a in leaves(v)]
    if isinstance(x, (tuple, list)):
        return [a for v in x for a in leaves(v)]
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return [a for f in dataclasses.fields(x) for a in leaves(getattr(x, f.name))]
    if type(x).__module__.startswith("torch"):
        x = x.detach().numpy()
    return [np.asarray(x, dtype=np.float64)]


def disagreement(out: Any, ref: Any) -> float:
    """The largest relative error of `out` against `ref`, leaf by leaf, each relative to the
    largest entry of the reference leaf; inf when the structures do not match."""
    a, b = leaves(out), leaves(ref)
    if len(a) != len(b):
        return float("inf")
    worst = 0.0
    for x, y in zip(a, b, strict=True):
        if x.shape != y.shape:
            return float("inf")
        scale = max(float(np.max(np.abs(y), initial=0.0)), 1e-300)
        worst = max(worst, float(np.max(np.abs(x - y), initial=0.0)) / scale)
    return worst


# ---------------------------------------------------------------------------------------------
# Timing and memory, inside one process


def time_block(run: Run, seconds: float) -> tuple[float, float, int]:
    """Seconds per call of `run` and minor page faults per call, over a block of about
    `seconds` (at least one call); and the number of calls."""
    gc.collect()
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    n, start = 0, time.perf_counter()
    while True:
        run()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            break
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
    return elapsed / n, faults / n, n


def _status_kb(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def _malloc_trim() -> None:
    name = ctypes.util.find_library("c")
    if name:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(name).malloc_trim(0)


def _reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def measure_memory(run: Run, repeats: int, numpy_backed: bool) -> dict[str, Any]:
    """Peak memory of one call of `run` (after two warm-up calls), in bytes, median over
    `repeats` calls: `rss` the growth of the resident set, `traced` the peak of what
    tracemalloc saw allocated during the call (numpy-backed libraries only); and minor faults."""
    run()
    run()
    rss: list[float] = []
    faults: list[float] = []
    for _ in range(repeats):
        gc.collect()
        _malloc_trim()
        if not _reset_peak_rss():
            break
        before = _status_kb("VmRSS")
        f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        out = run()
        f1 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        rss.append((_status_kb("VmHWM") - before) * 1024.0)
        faults.append(f1 - f0)
        del out
    traced: list[float] = []
    if numpy_backed:
        tracemalloc.start()
        try:
            for _ in range(repeats):
                gc.collect()
                tracemalloc.reset_peak()
                start = tracemalloc.get_traced_memory()[0]
                out = run()
                traced.append(float(tracemalloc.get_traced_memory()[1] - start))
                del out
        finally:
            tracemalloc.stop()
    return {
        "rss": statistics.median(rss) if rss else None,
        "traced": statistics.median(traced) if traced else None,
        "faults": statistics.median(faults) if faults else None,
    }


# ---------------------------------------------------------------------------------------------
# The machine


def _cpu_model() -> str:
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        text = f.read()
        m = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
        hyper = " (virtual machine)" if re.search(r"^flags\s*:.*\bhypervisor\b", text, re.M) else ""
        if m:
            return m.group(1).strip() + hyper
    return platform.processor() or platform.machine()


def _pools() -> list[str]:
    """Thread pools loaded in this process (BLAS, OpenMP), from threadpoolctl."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    out = []
    for p in threadpool_info():
        kernel = f", {p['architecture']} kernel" if p.get("architecture") else ""
        out.append(
            f"{p.get('internal_api')} {p.get('version') or ''}{kernel}, "
            f"{p.get('num_threads')} threads".replace(" ,", ",")
        )
    return out


def numpy_blas() -> str:
    """numpy's BLAS: name, version, kernel and threads (threadpoolctl), else its build config."""
    try:
        from threadpoolctl import threadpool_info

        for p in threadpool_info():
            if p.get("user_api") == "blas" and "numpy" in (p.get("filepath") or ""):
                kernel = f", {p['architecture']} kernel" if p.get("architecture") else ""
                return (
                    f"{p['internal_api']} {p.get('version')}{kernel}, "
                    f"{p.get('num_threads')} threads"
                )
    except ImportError:
        pass
    try:
        config: Any = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
        return f"{blas.get('name')} {blas.get('version')} (threads: {threads}; no threadpoolctl)"
    except Exception:  # an older numpy: say what there is
        return "unknown (no threadpoolctl, no numpy.show_config dicts)"


def machine_line() -> str:
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    return (
        f"{_cpu_model()}, {cores} cores ({usable} usable), {platform.system()} "
        f"{platform.machine()}; Python {platform.python_version()}, numpy {np.__version__} "
        f"with {numpy_blas()}"
    )


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def _git_revision(folder: str) -> str:
    """The git revision of the checkout that holds `folder`, "-dirty" when it has changes."""
    try:
        done = subprocess.run(
            ["git", "-C", folder, "describe", "--always", "--dirty", "--abbrev=7"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "git revision unknown"
    return f"git {done.stdout.strip()}" if done.returncode == 0 else "not a git checkout"


def about_group(group: str) -> str:
    """One line on a group's library, as loaded in this process."""
    if group in ("numpy", BASELINE_GROUP):
        import typedprop

        traced = "with trace" if hasattr(typedprop, "trace") else "no trace yet"
        where = os.path.dirname(os.path.realpath(typedprop.__file__ or "?"))
        return (
            f"typedprop {typedprop.__version__} ({traced}) from {where} "
            f"({_git_revision(where)}), numpy {np.__version__}"
        )
    if group == "torch":
        import torch

        m = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
        blas = m.group(1) if m else "?"
        return (
            f"torch {torch.__version__} (BLAS {blas}, {torch.get_num_threads()} threads); "
            f"pools: {'; '.join(_pools())}"
        )
    if group == "jax":
        import jax

        return f"jax {jax.__version__} on {jax.devices()[0].platform}, x64"
    return f"{group} {_version(group)}"


class OtherLoad:
    """How busy other processes kept the machine while we measured: the busy CPU time of the
    whole machine (/proc/stat) less our own (this process and its live children)."""

    def __init__(self) -> None:
        self.start = self._machine(), self._own([]), time.monotonic()

    @staticmethod
    def _machine() -> float:
        try:
            with open("/proc/stat") as f:
                fields = [int(v) for v in f.readline().split()[1:8]]
            user, nice, system, _idle, _iowait, irq, softirq = fields
            return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError):
            return float("nan")

    @staticmethod
    def _own(pids: list[int]) -> float:
        t = os.times()
        own = t.user + t.system + t.children_user + t.children_system
        for pid in pids:
            with contextlib.suppress(OSError, ValueError, IndexError):
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                own += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return own

    def share(self, pids: list[int]) -> float:
        """Other processes' CPU time over the machine's capacity since this was made."""
        machine0, own0, wall0 = self.start
        other = (self._machine() - machine0) - (self._own(pids) - own0)
        return max(other, 0.0) / ((time.monotonic() - wall0) * (os.cpu_count() or 1))


# ---------------------------------------------------------------------------------------------
# Workers: one per group, in this process or in a child


class Worker(Protocol):
    def setup(self, case: int) -> dict[str, Any]: ...
    def time(self, case: int, name: str, seconds: float) -> dict[str, Any]: ...
    def memory(self, case: int, name: str, repeats: int) -> dict[str, Any]: ...
    def close(self) -> None: ...


class LocalWorker:
    """Runs one group's contenders (and the baseline) in this process."""

    def __init__(self, cases: Sequence[Case], group: str) -> None:
        self.cases, self.group = cases, group
        self.runs: dict[tuple[int, str], Run] = {}

    def _members(self, case: int, only: str | None = None) -> list[Contender]:
        cs = self.cases[case].contenders
        members = [cs[0]] + [c for c in cs[1:] if c.group == self.group]
        return [c for c in members if only is None or c.name == only]

    def setup(self, case: int) -> dict[str, Any]:
        members = self._members(case)
        ref = members[0].setup()()
        ok: list[str] = []
        failed: dict[str, str] = {}
        errors: dict[str, float] = {}
        for c in members:
            try:
                run = c.setup()
                for _ in range(3):  # warm up (JAX compiles, checks are cached); verify the last
                    out = run()
                err = disagreement(out, ref)
                del out
            except Exception as e:
                traceback.print_exc()
                failed[c.name] = f"{type(e).__name__}: {e}".splitlines()[0][:200]
                continue
            if not err <= RTOL:
                failed[c.name] = f"disagrees with hand-written numpy: relative error {err:.1e}"
                continue
            self.runs[(case, c.name)] = run
            ok.append(c.name)
            errors[c.name] = err
        return {"ok": ok, "failed": failed, "errors": errors, "about": about_group(self.group)}

    def time(self, case: int, name: str, seconds: float) -> dict[str, Any]:
        t, faults, n = time_block(self.runs[(case, name)], seconds)
        return {"t": t, "faults": faults, "n": n}

    def memory(self, case: int, name: str, repeats: int) -> dict[str, Any]:
        (c,) = self._members(case, name)
        return measure_memory(c.setup(), repeats, self.group in NUMPY_BACKED)

    def close(self) -> None:
        self.runs.clear()


class ChildWorker:
    """Runs one group in a child process (`script --serve GROUP`), driven over a pipe."""

    def __init__(self, script: str, group: str, argv: list[str]) -> None:
        self.group = group
        env = dict(os.environ)
        env.pop(_SOURCE_ENV, None)
        if group == BASELINE_GROUP:
            assert _baseline_src is not None
            env[_SOURCE_ENV] = _baseline_src  # this module, imported first, reads it
        self.proc = subprocess.Popen(
            [sys.executable, script, "--serve", group, *argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
            env=env,
        )

    def send(self, **msg: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(msg) + "\n")
        self.proc.stdin.flush()

    def receive(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.group} process ended (exit code {self.proc.wait()})")
        reply: dict[str, Any] = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"the {self.group} process failed: {reply['error']}")
        return reply

    def setup(self, case: int) -> dict[str, Any]:
        self.send(cmd="setup", case=case)
        return self.receive()

    def time(self, case: int, name: str, seconds: float) -> dict[str, Any]:
        self.send(cmd="time", case=case, name=name, seconds=seconds)
        return self.receive()

    def memory(self, case: int, name: str, repeats: int) -> dict[str, Any]:
        self.send(cmd="memory", case=case, name=name, repeats=repeats)
        return self.receive()

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.send(cmd="quit")
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def make_worker(group: str, script: str, argv: list[str], in_process: bool) -> Worker:
    """A group's worker: in this process (`--in-process`) or a child; the baseline tree's
    group always in a child, since this process has this tree's typedprop."""
    if in_process and group != BASELINE_GROUP:
        return LocalWorker(case_list(), group)
    return ChildWorker(script, group, argv)


def serve(cases: Sequence[Case], group: str) -> None:
    """The child's loop: commands from stdin, one JSON reply per line on the original stdout.
    Everything else that the libraries print goes to stderr."""
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    worker = LocalWorker(cases, group)
    for line in sys.stdin:
        msg = json.loads(line)
        cmd = msg.pop("cmd")
        if cmd == "quit":
            break
        try:
            reply = getattr(worker, cmd)(**msg)
        except Exception as e:
            traceback.print_exc()
            reply = {"error": f"{type(e).__name__}: {e}"}
        replies.write(json.dumps(reply) + "\n")


# ---------------------------------------------------------------------------------------------
# Tables


def fmt_time(t: float) -> str:
    if t >= 1.0:
        return f"{t:.2f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.3g} ms" if t < 0.1 else f"{t * 1e3:.0f} ms"
    return f"{t * 1e6:.3g} us"


def fmt_bytes(b: float | None) -> str:
    return "n/a" if b is None else f"{b / 2**20:.2f} MiB"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def quartiles(xs: list[float]) -> tuple[float, float]:
    if len(xs) < 2:
        return xs[0], xs[0]
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return q[0], q[2]


# ---------------------------------------------------------------------------------------------
# The parent


@dataclass
class Settings:
    rounds: int
    block: float
    pause: float
    repeats: int


def _twin(key: tuple[str, str]) -> tuple[str, str] | None:
    """The baseline tree's counterpart of one of this tree's contenders (its hand-written numpy
    too), or None."""
    group, name = key
    if group != "numpy" or _baseline_src is None:
        return None
    if name == BASELINE:
        return (BASELINE_GROUP, BASELINE)
    if name.startswith("typedprop "):
        return (BASELINE_GROUP, name.replace("typedprop", BASELINE_GROUP, 1))
    return None


def _units(ready: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """What a round visits, in rotating order: each contender alone, except that with
    `--baseline-src` each of this tree's typedprop contenders and its hand-written numpy are
    timed next to their baseline counterparts (in alternating order from round to round), so
    that after/before compares blocks timed close together."""
    units: list[list[tuple[str, str]]] = []
    placed: set[tuple[str, str]] = set()
    for key in ready:
        if key in placed:
            continue
        twin = _twin(key)
        unit = [key, twin] if twin is not None and twin in ready else [key]
        units.append(unit)
        placed.update(unit)
    return units


def _run_case(
    index: int,
    case: Case,
    workers: dict[str, Worker],
    setups: dict[str, dict[str, Any]],
    s: Settings,
) -> None:
    print(f"\n### {case.title}\n")
    for note in case.notes:
        print(note)
    ready: list[tuple[str, str]] = []  # (group, name); each group's baseline among them
    failed: dict[str, str] = {}
    errors: dict[str, float] = {}
    for group, got in setups.items():
        if BASELINE not in got["ok"]:
            failed.update({f"{n} ({group} process)": m for n, m in got["failed"].items()})
            continue
        ready += [(group, name) for name in got["ok"]]
        failed.update(got["failed"])
        errors.update({n: e for n, e in got["errors"].items() if n != BASELINE})
    if not any(name == BASELINE for _, name in ready):
        print("nothing to time: the baseline failed everywhere")
        for name, why in failed.items():
            print(f"LEFT OUT {name}: {why}")
        return
    times: dict[tuple[str, str], list[float]] = {k: [] for k in ready}
    faults: dict[tuple[str, str], list[float]] = {k: [] for k in ready}
    units = _units(ready)
    for r in range(s.rounds):
        k = r % len(units)
        for unit in units[k:] + units[:k]:
            for key in unit if r % 2 == 0 else unit[::-1]:
                time.sleep(s.pause)
                got = workers[key[0]].time(index, key[1], s.block)
                times[key].append(got["t"])
                faults[key].append(got["faults"])
    header = ["contender", "median time", "ratio to numpy", "ratio IQR"]
    if case.nodes:
        header.append("us per op node")
    header.append("faults per call")
    rows = []
    for key in ready:
        group, name = key
        if name == BASELINE and group != "numpy":
            continue  # each process's own baseline: the footnote gives them
        base = times[(group, BASELINE)]
        ratios = [t / b for t, b in zip(times[key], base, strict=True)]
        lo, hi = quartiles(ratios)
        t = statistics.median(times[key])
        row = [name, fmt_time(t), f"{statistics.median(ratios):.2f}", f"{lo:.2f}-{hi:.2f}"]
        if case.nodes:
            row.append(f"{t / case.nodes * 1e6:.2f}")
        row.append(f"{statistics.median(faults[key]):.0f}")
        rows.append(row)
    print(table(header, rows))
    if _baseline_src is not None:
        _compare_trees(ready, times)
    bases = [
        f"{g} {fmt_time(statistics.median(times[(g, BASELINE)]))}"
        for g in workers
        if (g, BASELINE) in times
    ]
    print(f"\nhand-written numpy in each process (median): {', '.join(bases)}")
    if errors:
        worst = max(errors, key=lambda n: errors[n])
        print(
            "all verified against hand-written numpy before timing; largest relative error "
            f"{errors[worst]:.1e} ({worst})"
        )
    for name, why in failed.items():
        print(f"LEFT OUT {name}: {why}")


def _compare_trees(ready: list[tuple[str, str]], times: dict[tuple[str, str], list[float]]) -> None:
    """This tree's typedprop contenders against the baseline tree's, round by round."""
    rows = []
    for group, name in ready:
        before = _twin((group, name))
        if name == BASELINE or before is None or before not in times:
            continue
        now, then = times[(group, name)], times[before]
        now_base, then_base = times[("numpy", BASELINE)], times[(BASELINE_GROUP, BASELINE)]
        r_now = [t / b for t, b in zip(now, now_base, strict=True)]
        r_then = [t / b for t, b in zip(then, then_base, strict=True)]
        quotient = [a / b for a, b in zip(r_now, r_then, strict=True)]
        lo, hi = quartiles(quotient)
        raw = [a / b for a, b in zip(now, then, strict=True)]
        rows.append(
            [
                name.removeprefix("typedprop "),
                f"{statistics.median(r_now):.2f}",
                f"{statistics.median(r_then):.2f}",
                f"{statistics.median(quotient):.3f}",
                f"{lo:.3f}-{hi:.3f}",
                f"{statistics.median(raw):.3f}",
            ]
        )
    if not rows:
        print("\nnothing to compare: no typedprop contender ran in both trees")
        return
    print(f"\nthis tree against the baseline tree ({_baseline_src}), in the same rounds:\n")
    header = [
        "typedprop",
        "ratio to numpy, this tree",
        "ratio to numpy, baseline",
        "after/before",
        "after/before IQR",
        "time after/before",
    ]
    print(table(header, rows))
    print(
        "\nafter/before: median over rounds of this tree's ratio over the baseline's ratio "
        "(each over the hand-written numpy of its own process, same round; each typedprop "
        "contender and each numpy timed next to its baseline counterpart); time after/before: "
        "median over rounds of the raw times' quotient"
    )


def _run_memory(
    index: int,
    case: Case,
    groups: list[str],
    script: str,
    argv: list[str],
    in_process: bool,
    s: Settings,
) -> None:
    print(f"\n### Peak memory of one run: {case.title}\n")
    print(
        "Each contender in a fresh process, after two warm-up runs; median of "
        f"{s.repeats} runs. `allocated`: peak of the bytes allocated during the run "
        "(tracemalloc: numpy buffers and Python objects; n/a for torch and JAX, whose "
        "allocators it does not see). `RSS growth`: peak resident set during the run over "
        "the resident set before it (after malloc_trim). Ratios to hand-written numpy.\n"
    )
    results: dict[str, dict[str, Any]] = {}
    for c in case.contenders:
        if c.group not in groups:
            continue
        w = make_worker(c.group, script, argv, in_process)
        try:
            results[c.name] = w.memory(index, c.name, s.repeats)
        except Exception as e:
            print(f"LEFT OUT {c.name}: {e}")
        finally:
            w.close()
    base = results.get(BASELINE)
    rows = []
    for name, m in results.items():

        def ratio(key: str, m: dict[str, Any] = m) -> str:
            if base is None or m[key] is None or not base[key]:
                return "n/a"
            return f"{m[key] / base[key]:.2f}"

        faults = "n/a" if m["faults"] is None else f"{m['faults']:.0f}"
        rows.append(
            [
                name,
                fmt_bytes(m["traced"]),
                ratio("traced"),
                fmt_bytes(m["rss"]),
                ratio("rss"),
                faults,
            ]
        )
    print(table(["contender", "allocated", "ratio", "RSS growth", "ratio", "faults per run"], rows))


_CASES: list[Case] = []


def case_list() -> list[Case]:
    return _CASES


def _profile(cases: list[tuple[int, Case]], pattern: str, seconds: float) -> None:
    import cProfile
    import pstats

    for _, case in cases:
        matches = [c for c in case.contenders if c.name == pattern] or [
            c for c in case.contenders if pattern in c.name
        ]
        if not matches:
            print(f"\n{case.title}: no contender named like {pattern!r}")
            continue
        c = matches[0]
        run = c.setup()
        for _ in range(3):
            run()
        n, start = 0, time.perf_counter()
        prof = cProfile.Profile()
        prof.enable()
        while time.perf_counter() - start < seconds:
            run()
            n += 1
        prof.disable()
        print(f"\n### Profile of {c.name!r}, {case.title}: {n} calls\n")
        stats = pstats.Stats(prof, stream=sys.stdout)
        stats.strip_dirs()
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(30)


def main(doc: str, script: str, make_cases: Callable[[bool], list[Case]]) -> None:
    global _baseline_src
    parser = argparse.ArgumentParser(
        description=doc.splitlines()[0],
        epilog=(
            "Before and after a change: check out the older commit as a git worktree "
            "(git worktree add /tmp/before COMMIT) and run e.g. OPENBLAS_NUM_THREADS=1 "
            f"taskset -c 1 python benchmarks/{os.path.basename(script)} --only numpy "
            "--baseline-src /tmp/before/src; see benchmarks/_harness.py."
        ),
    )
    parser.add_argument("--rounds", type=int, default=None, help="rounds (default 15; quick 2)")
    parser.add_argument("--quick", action="store_true", help="tiny settings: a smoke test")
    parser.add_argument("--case", type=int, action="append", help="only this case (from 0)")
    parser.add_argument("--only", help="comma-separated groups: numpy,autograd,mygrad,torch,jax")
    parser.add_argument("--in-process", action="store_true", help="no child processes")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory tables")
    parser.add_argument("--profile", metavar="NAME", help="cProfile this contender instead")
    parser.add_argument("--block-ms", type=float, default=None, help="timed block (50; quick 5)")
    parser.add_argument("--pause-ms", type=float, default=None, help="pause (150; quick 20)")
    parser.add_argument(
        "--baseline-src",
        metavar="PATH",
        help="also time typedprop from the tree at PATH (the folder holding its typedprop "
        "package, or a checkout with src/) as 'typedprop@baseline', in its own process, "
        "interleaved with this tree's, and print after/before per typedprop row",
    )
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_src is not None:
        if args.profile:
            parser.error(
                "--profile runs in this process, on this tree's typedprop: to profile the "
                "baseline, run its own checkout's script with PYTHONPATH set to its src"
            )
        try:
            _baseline_src = resolve_source(args.baseline_src)
        except ValueError as e:
            parser.error(f"--baseline-src: {e}")

    _CASES[:] = make_cases(args.quick)
    if args.serve:
        serve(_CASES, args.serve)
        return
    s = Settings(
        rounds=args.rounds or (2 if args.quick else 15),
        block=(args.block_ms or (5.0 if args.quick else 50.0)) / 1e3,
        pause=(args.pause_ms if args.pause_ms is not None else (20.0 if args.quick else 150.0))
        / 1e3,
        repeats=2 if args.quick else 5,
    )
    selected = [(i, c) for i, c in enumerate(_CASES) if not args.case or i in args.case]
    if args.profile:
        print(machine_line())
        _profile(selected, args.profile, 1.0 if args.quick else 4.0)
        return

    wanted = args.only.split(",") if args.only else list(GROUP_MODULES)
    groups: list[str] = []
    skipped: list[str] = []
    for g in dict.fromkeys(c.group for _, case in selected for c in case.contenders):
        if g not in wanted and g not in ("numpy", BASELINE_GROUP):
            continue
        if g != BASELINE_GROUP and importlib.util.find_spec(GROUP_MODULES.get(g, g)) is None:
            skipped.append(g)
        else:
            groups.append(g)
    argv = ["--quick"] if args.quick else []
    if _baseline_src is not None:
        argv += ["--baseline-src", _baseline_src]

    print(doc.strip().splitlines()[0])
    print(f"\nmachine: {machine_line()}")
    threads = {
        k: v
        for k, v in os.environ.items()
        if k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    }
    if threads:
        print(f"thread settings: {threads}")
    print(
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the start; "
        f"{s.rounds} interleaved rounds, timed blocks of {s.block * 1e3:.0f} ms, pauses of "
        f"{s.pause * 1e3:.0f} ms; "
        + (
            "all groups in this process"
            if args.in_process
            else "each library group in its own process"
        )
    )
    if _baseline_src is not None:
        print(
            f"--baseline-src: typedprop from {_baseline_src} as {BASELINE_GROUP!r}, in its own "
            "process, against this tree's (each process's typedprop.__file__ below)"
        )
    if args.quick:
        print("--quick: a smoke test; its times are too short to mean anything")
    for g in skipped:
        print(f"skipped: {g} is not installed (pip install -e '.[bench]' installs the peers)")

    workers: dict[str, Worker] = {}
    try:
        for g in groups:
            workers[g] = make_worker(g, script, argv, args.in_process)
        for n, (index, case) in enumerate(selected):
            setups: dict[str, dict[str, Any]] = {}
            for g, w in list(workers.items()):
                try:
                    setups[g] = w.setup(index)
                except RuntimeError as e:  # the child died: go on without its group
                    print(f"LEFT OUT the {g} process: {e}")
                    w.close()
                    del workers[g]
            if n == 0:
                print("libraries:")
                for g, got in setups.items():
                    print(f"  {g} process: {got['about']}")
            load = OtherLoad()
            _run_case(index, case, workers, setups, s)
            pids = [w.proc.pid for w in workers.values() if isinstance(w, ChildWorker)]
            share = load.share(pids)
            print(
                f"other processes used {share:.0%} of the machine's CPU during this table"
                + (" (the timings are disturbed: rerun on a quiet machine)" if share > 0.05 else "")
            )
    finally:
        for w in workers.values():
            w.close()
    if not args.no_memory:
        for index, case in selected:
            if case.memory:
                _run_memory(index, case, groups, script, argv, args.in_process, s)
