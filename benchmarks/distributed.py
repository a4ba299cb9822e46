"""Data-parallel gradients on a Dask cluster (`typedprop.distributed`) against one process.

The MNIST network 784-300-100-10 (`typedprop.mnist`, float64), the summed softmax
cross-entropy of its rows, and one full-batch gradient over 60,000 rows of synthetic data
(uniform pixels in [0, 1), integer labels 0-9), on ONE BLAS thread everywhere: this script sets
OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and MKL_NUM_THREADS to 1 before numpy loads, and Dask's
worker processes inherit them. Contenders:

- one process, no Dask: `tp.grad` (implicit) and a `tp.trace` graph (traced) over the whole
  batch at once, and over the same row blocks as the cluster's, one after the other, summed
  (traced: one graph, labels as data, one record per block shape, as each Dask worker keeps):
  the work a cluster shares out, done in one process, so the bound of what Dask can reach;
- `typedprop.distributed.grad` on a `LocalCluster` of 1 and of 2 worker processes
  (`--workers`; one thread each, processes, no dashboard), the data made on the workers in
  row blocks of `--block-rows` rows and persisted there before any timing, implicit
  (`traced=False`) and traced (`traced=True`). `--malloc dask,glibc` adds clusters whose
  workers keep glibc's own malloc settings: Dask's nannies set MALLOC_TRIM_THRESHOLD_=65536
  in their workers, which also pins glibc's mmap threshold at 128 KiB, so that every large
  temporary array is a fresh mmap, page-faulted in at each call.

Every contender's gradient is compared first with the one-process implicit gradient over the
whole batch (largest relative difference of any leaf, relative to the leaf's largest entry;
1e-12 at most), then the contenders are timed in rotating order over `--rounds` rounds, one
timed block each (at least one call; 50 ms), with a pause before each. The table gives seconds
per gradient (median over rounds, and interquartile range), the speed-up over the one-process
implicit gradient of the whole batch (median of the per-round ratios), the speed-up over the
one-process loop over the same row blocks in the same style, and the minor page faults per call
of the processes that did the work (this one; for Dask, this one and the workers).

The fixed cost of one call: the same gradient on 2 row blocks of 8 rows of the MNIST network
and of 10 rows of a tiny network (16-8-8-4), in milliseconds per call (each call timed, median
over `--calls` calls, interleaved), beside the one-process gradient, and what Dask does for a
call without typedprop: scatter the parameters to every worker (`client.scatter(...,
broadcast=True)`), then the same task graph (a task per row block, a tree of additions) with
tasks that do nothing, and with tasks that return a gradient-sized result (a copy of the
parameters, so that it travels as a real gradient does).

    python benchmarks/distributed.py [--rows 60000] [--block-rows 10000] [--rounds 10]
        [--workers 1,2] [--malloc dask] [--calls 200]
    python benchmarks/distributed.py --quick      # a smoke test (~30-40 s)

This machine's CPU, CPU count and numpy's BLAS kernel and threads (threadpoolctl; else
numpy.show_runtime()) are printed first. With 2 cores, 2 workers and this process (the client,
and the clusters' schedulers, which LocalCluster runs in this process) share them.
"""

import os

# One BLAS thread everywhere, set before numpy loads: the worker processes inherit it.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
for _var in THREAD_VARIABLES:
    os.environ[_var] = "1"

import sys  # noqa: E402

# This file has the name of Dask's `distributed` package: run as a script, its folder comes
# first on sys.path, and `import distributed` (in typedprop.distributed, and in Dask's worker
# processes, which get this sys.path) would import this file. The folder goes to the end,
# where `_harness` is still found.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE] + [_HERE]

import argparse  # noqa: E402
import gc  # noqa: E402
import importlib.util  # noqa: E402
import logging  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from contextlib import ExitStack  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

import _harness as harness  # noqa: E402
import numpy as np  # noqa: E402

import typedprop as tp  # noqa: E402
from typedprop import BVar, mnist  # noqa: E402

Sizes = tuple[int, int, int, int]
MNIST_SIZES: Sizes = (784, 300, 100, 10)
TINY_SIZES: Sizes = (16, 8, 8, 4)
RTOL = 1e-12
SEED = 0


def sum_loss(net: BVar[mnist.Network], x: np.ndarray, y: np.ndarray) -> BVar[float]:
    """The sum of the rows' softmax cross-entropies (`mnist.loss` is their mean)."""
    total: BVar[float] = mnist.loss(net, x, y) * float(x.shape[0])
    return total


def block_data(sizes: Sizes, i: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Row block `i` of the synthetic data: `rows` images (pixels uniform in [0, 1)) and their
    labels (uniform over the classes), the same wherever it is made."""
    rng = np.random.default_rng([SEED, i])
    return rng.uniform(size=(rows, sizes[0])), rng.integers(sizes[-1], size=rows)


def block_images(sizes: Sizes, i: int, rows: int) -> np.ndarray:
    return block_data(sizes, i, rows)[0]


def block_labels(sizes: Sizes, i: int, rows: int) -> np.ndarray:
    return block_data(sizes, i, rows)[1]


def row_blocks(rows: int, block: int) -> list[int]:
    return [min(block, rows - start) for start in range(0, rows, block)]


# ---------------------------------------------------------------------------------------------
# One process


def whole_runs(net: mnist.Network, x: np.ndarray, y: np.ndarray) -> dict[str, Callable[[], Any]]:
    """The gradient over all rows at once: implicit and traced."""
    with tp.checks(False):
        graph = tp.trace(sum_loss, net, x, y)

    def implicit() -> Any:
        with tp.checks(False):
            return tp.grad(lambda p: sum_loss(p, x, y), net)

    def traced() -> Any:
        with tp.checks(False):
            return graph.grad(net, x, y)

    return {"implicit": implicit, "traced": traced}


def add(a: Any, b: Any) -> Any:
    """The sum of two gradients of the network, leaf by leaf."""
    return mnist.Network(
        *(mnist.Layer(la.w + lb.w, la.b + lb.b) for la, lb in zip(a, b, strict=True))
    )


def blocked_runs(
    net: mnist.Network, blocks: Sequence[tuple[np.ndarray, np.ndarray]]
) -> dict[str, Callable[[], Any]]:
    """The gradient over the same row blocks as the cluster's, one after the other, summed:
    implicit, and traced (one graph, labels as data, one record per block shape: what each
    Dask worker does)."""
    graph: tp.Graph[mnist.Network, float, np.ndarray, np.ndarray] = tp.Graph(sum_loss)
    graph.integer_data = True

    def implicit() -> Any:
        total = None
        with tp.checks(False):
            for xb, yb in blocks:
                g = tp.grad(lambda p: sum_loss(p, xb, yb), net)  # noqa: B023 - called at once
                total = g if total is None else add(total, g)
        return total

    def traced() -> Any:
        total = None
        with tp.checks(False):
            for xb, yb in blocks:
                g = graph.grad(net, xb, yb)
                total = g if total is None else add(total, g)
        return total

    return {"implicit": implicit, "traced": traced}


# ---------------------------------------------------------------------------------------------
# Dask


def dask_modules() -> tuple[Any, Any, Any]:
    """`dask`, `dask.array` and `distributed` (Dask's scheduler), typed Any: few of their
    functions carry type hints."""
    import dask
    import dask.array
    import distributed

    return dask, dask.array, distributed


def _minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def _blas_threads() -> str:
    try:
        from threadpoolctl import threadpool_info  # type: ignore[import-untyped]
    except ImportError:
        return f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}"
    return ", ".join(
        f"{p.get('internal_api')} {p.get('num_threads')}"
        for p in threadpool_info()
        if p.get("user_api") == "blas"
    )


@dataclass
class Cluster:
    """A LocalCluster of `workers` processes, its client, and the data persisted on it."""

    workers: int
    #: "dask": Dask's setting for its workers (MALLOC_TRIM_THRESHOLD_=65536, which also fixes
    #: glibc's mmap threshold at 128 KiB); "glibc": glibc's own (a threshold that grows).
    malloc: str
    client: Any
    x: Any = None
    y: Any = None
    blocks_per_worker: list[int] = field(default_factory=list)

    @property
    def label(self) -> str:
        w = f"{self.workers} worker{'s' * (self.workers > 1)}"
        return w if self.malloc == "dask" else f"{w}, glibc malloc"

    def faults(self) -> int:
        """The minor page faults of the workers so far, all together."""
        return sum(self.client.run(_minor_faults).values())

    def pids(self) -> list[int]:
        """The process ids of the workers and of their nannies, but this one's (a
        LocalCluster's nannies live in this process)."""
        ids = {*self.client.run(os.getpid).values()}
        ids |= {*self.client.run(os.getpid, nanny=True).values()}
        return sorted(ids - {os.getpid()})

    def persist(self, sizes: Sizes, blocks: list[int]) -> tuple[Any, Any]:
        """The synthetic data in these row blocks, made on the workers and kept there: block
        `i` (its images and its labels) on worker `i % workers`, so that each worker holds
        its share of the blocks (left to itself, the scheduler may put 4 of 6 on one)."""
        dask, da, dist = dask_modules()
        client = self.client
        workers = sorted(client.scheduler_info()["workers"])
        xs, ys = [], []
        for i, n in enumerate(blocks):
            on = [workers[i % len(workers)]]
            fx = client.submit(block_images, sizes, i, n, workers=on, pure=False)
            fy = client.submit(block_labels, sizes, i, n, workers=on, pure=False)
            xs.append(da.from_delayed(fx, shape=(n, sizes[0]), dtype=np.float64))
            ys.append(da.from_delayed(fy, shape=(n,), dtype=np.int64))
        x, y = client.persist([da.concatenate(xs), da.concatenate(ys)])
        with client.as_current():
            dist.wait(dist.futures_of([x, y]))
        return x, y


def _malloc_setting() -> str:
    return os.environ.get("MALLOC_TRIM_THRESHOLD_", "unset")


def start_cluster(workers: int, malloc: str, stack: ExitStack) -> Cluster:
    dask, _, dist = dask_modules()

    settings: dict[str, Any] = {}
    if malloc == "glibc":
        # Dask's nannies set MALLOC_TRIM_THRESHOLD_ in their worker processes' environment
        # (and leave it in this process's os.environ, which the spawned processes inherit).
        os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)
        settings["distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"] = None
    with dask.config.set(settings):
        lc = stack.enter_context(
            dist.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                # No dashboard; the scheduler's other HTTP routes on a free port (not 8787).
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                silence_logs=logging.ERROR,
            )
        )
    client = stack.enter_context(dist.Client(lc, set_as_default=False))
    return Cluster(workers, malloc, client)


def dask_run(cluster: Cluster, net: Any, x: Any, y: Any, traced: bool) -> Callable[[], Any]:
    import typedprop.distributed as tpd

    def run() -> Any:
        with tp.checks(False):
            return tpd.grad(sum_loss, net, x, y, client=cluster.client, traced=traced)

    return run


def _gemm_seconds(rows: int, repeats: int) -> float:
    """Seconds for `repeats` products of the first layer on a block of `rows` rows."""
    rng = np.random.default_rng(SEED)
    x, w = rng.uniform(size=(rows, MNIST_SIZES[0])), rng.uniform(size=MNIST_SIZES[1::-1])
    x @ w.T
    start = time.perf_counter()
    for _ in range(repeats):
        x @ w.T
    return time.perf_counter() - start


def _nothing(job: Any, *blocks: Any) -> tuple[float, float]:
    return 0.0, 0.0


def _add_nothing(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    return 0.0, 0.0


def _like_gradient(job: Any, *blocks: Any) -> tuple[float, Any]:
    """A block task's result of a real gradient's size: a fresh copy of the parameters."""
    return 0.0, mnist.Network(*(mnist.Layer(lay.w.copy(), lay.b.copy()) for lay in job))


def _add_like_gradient(a: tuple[float, Any], b: tuple[float, Any]) -> tuple[float, Any]:
    return a[0] + b[0], add(a[1], b[1])


def skeleton_runs(cluster: Cluster, net: Any, x: Any, y: Any) -> dict[str, Callable[[], Any]]:
    """What a call of `tpd.grad` asks of Dask, without typedprop: the broadcast of the
    parameters alone, then with the same task graph (one task per row block, a tree of
    additions) whose tasks do nothing, or return a copy of the parameters."""
    dask, _, _ = dask_modules()

    client = cluster.client
    xb, yb = x.to_delayed().reshape(-1), y.to_delayed().reshape(-1)

    def scatter() -> Any:
        return client.scatter([net], broadcast=True, hash=False)

    def graph(block: Callable[..., Any], plus: Callable[..., Any]) -> Callable[[], Any]:
        def run() -> Any:
            [held] = client.scatter([net], broadcast=True, hash=False)
            parts = [
                dask.delayed(block, pure=False)(held, a, b) for a, b in zip(xb, yb, strict=True)
            ]
            while len(parts) > 1:
                pairs = [
                    dask.delayed(plus, pure=False)(a, b)
                    for a, b in zip(parts[::2], parts[1::2], strict=False)
                ]
                parts = pairs + parts[len(pairs) * 2 :]
            return client.compute(parts[0]).result()

        return run

    return {
        "scatter the parameters alone": scatter,
        "scatter + task graph, no-op tasks": graph(_nothing, _add_nothing),
        "scatter + task graph, tasks return a gradient-sized result": graph(
            _like_gradient, _add_like_gradient
        ),
    }


# ---------------------------------------------------------------------------------------------
# Timing


@dataclass
class Contender:
    name: str
    run: Callable[[], Any]
    #: The minor page faults so far of the processes that do its work.
    faults: Callable[[], int] = _minor_faults
    #: "i" implicit or "t" traced (the speed-up columns pair it with the one-process
    #: contender of that style), "x" a gradient of another kind, None not a gradient.
    style: str | None = None
    times: list[float] = field(default_factory=list)
    fault_counts: list[float] = field(default_factory=list)


def one_process(sizes: Sizes, counts: list[int]) -> tuple[Any, list[Contender]]:
    """The network and the one-process contenders (whole batch, row blocks in a loop; implicit
    and traced) on the blocks of `counts` rows: the baselines of every section."""
    net = mnist.init_network(sizes, seed=SEED)
    blocks = [block_data(sizes, i, n) for i, n in enumerate(counts)]
    x = np.concatenate([b[0] for b in blocks])
    y = np.concatenate([b[1] for b in blocks])
    base = whole_runs(net, x, y)
    loop = blocked_runs(net, blocks)
    return net, [
        Contender("one process, whole batch, implicit (tp.grad)", base["implicit"], style="i"),
        Contender("one process, whole batch, traced (tp.trace)", base["traced"], style="t"),
        Contender("one process, row blocks in a loop, implicit", loop["implicit"], style="i"),
        Contender("one process, row blocks in a loop, traced", loop["traced"], style="t"),
    ]


def time_block(c: Contender, seconds: float, pause: float) -> None:
    """One timed block of `c`: calls until `seconds` have passed (at least one); the time and
    page faults per call are appended."""
    time.sleep(pause)
    gc.collect()
    f0 = c.faults()
    n, start = 0, time.perf_counter()
    while True:
        c.run()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            break
    c.fault_counts.append((c.faults() - f0) / n)
    c.times.append(elapsed / n)


class OtherLoad:
    """The share of the machine's CPU time that other processes took since this was made:
    the machine's busy time (/proc/stat) less this process's and the given processes' (the
    workers and their nannies)."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.start = self._machine(), self._own(), time.monotonic()

    @staticmethod
    def _machine() -> float:
        with open("/proc/stat") as f:
            user, nice, system, _idle, _iowait, irq, softirq = map(int, f.readline().split()[1:8])
        return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")

    def _own(self) -> float:
        t = os.times()
        own = t.user + t.system
        for pid in self.pids:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            own += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return own

    def share(self) -> float:
        machine, own, wall = self.start
        other = (self._machine() - machine) - (self._own() - own)
        return max(other, 0.0) / ((time.monotonic() - wall) * (os.cpu_count() or 1))


def rotate(cs: list[Contender], r: int) -> list[Contender]:
    k = r % len(cs)
    return cs[k:] + cs[:k]


def quartile_text(xs: list[float], scale: float, unit: str) -> str:
    lo, hi = harness.quartiles(xs)
    return f"{lo * scale:.3g}-{hi * scale:.3g} {unit}"


def ratio(base: Contender, c: Contender) -> float:
    """The median over rounds of base's time / c's time in the same round."""
    return statistics.median(b / t for b, t in zip(base.times, c.times, strict=True))


def max_rel_diff(a: Any, b: Any) -> float:
    return harness.disagreement(a, b)


# ---------------------------------------------------------------------------------------------
# The sections


def full_batch(
    clusters: list[Cluster], rows: int, block_rows: int, rounds: int, quick: bool
) -> bool:
    """Sections (a) and (b): verification, then the table. False when a contender disagrees."""
    sizes = MNIST_SIZES
    counts = row_blocks(rows, block_rows)
    print(
        f"\n## Full-batch gradient: MNIST network {'-'.join(map(str, sizes))}, float64, "
        f"{rows:,} rows in {len(counts)} row blocks of {block_rows:,}"
    )
    net, cs = one_process(sizes, counts)
    for cl in clusters:
        start = time.perf_counter()
        cl.x, cl.y = cl.persist(sizes, counts)
        where = Counter(w for ws in cl.client.who_has(cl.x).values() for w in ws)
        cl.blocks_per_worker = [where[w] for w in cl.client.scheduler_info()["workers"]]
        print(f"data persisted on the cluster of {cl.label} in {time.perf_counter() - start:.1f} s")
        for style, traced in (("implicit", False), ("traced", True)):
            name = f"tpd.grad, {cl.label}, {style}"
            run = dask_run(cl, net, cl.x, cl.y, traced)
            cs.append(Contender(name, run, faults=_both_faults(cl), style=style[0]))

    reference = cs[0].run()
    worst = 0.0
    ok = True
    print(f"\nverification against '{cs[0].name}' (largest relative difference of any leaf):")
    for c in cs:
        for _ in range(2):  # warm-up: records on every worker, and the first pages
            out = c.run()
        err = max_rel_diff(out, reference)
        worst = max(worst, err) if c is not cs[0] else worst
        verdict = "ok" if err <= RTOL else f"DISAGREES (over {RTOL:.0e})"
        print(f"  {c.name}: {err:.2e} {verdict}")
        ok = ok and err <= RTOL
    print(
        f"verification {'passed' if ok else 'FAILED'}: largest relative difference {worst:.2e} "
        f"(at most {RTOL:.0e})"
    )
    if not ok:
        return False

    block, pause = (0.005, 0.02) if quick else (0.05, 0.2)
    load = OtherLoad([pid for cl in clusters for pid in cl.pids()])
    for r in range(rounds):
        for c in rotate(cs, r):
            time_block(c, block, pause)
    other = load.share()

    whole = {"i": cs[0], "t": cs[1]}
    looped = {"i": cs[2], "t": cs[3]}
    rows_out = []
    for c in cs:
        assert c.style is not None
        rows_out.append(
            [
                c.name,
                f"{statistics.median(c.times):.3f}",
                quartile_text(c.times, 1.0, "s"),
                f"{ratio(whole['i'], c):.2f}x",
                f"{ratio(looped[c.style], c):.2f}x",
                f"{statistics.median(c.fault_counts):,.0f}",
            ]
        )
    print(
        f"\n{rounds} interleaved rounds; other processes used {other:.0%} of the machine's CPU "
        "time meanwhile"
    )
    print(
        harness.table(
            [
                "contender",
                "s per gradient",
                "IQR",
                "speed-up vs whole batch implicit",
                "speed-up vs row-block loop, same style",
                "minor faults per call",
            ],
            rows_out,
        )
    )
    for cl in clusters:
        print(
            f"cluster of {cl.label}: row blocks per worker {cl.blocks_per_worker} "
            "(where the data was persisted)"
        )
    return True


def _both_faults(cl: Cluster) -> Callable[[], int]:
    return lambda: _minor_faults() + cl.faults()


def parallel_capacity(clusters: list[Cluster], rows: int, repeats: int, rounds: int) -> None:
    """What the machine gives several processes at once: the first layer's matrix product
    on a block, in one worker alone and in all of a cluster's workers at once
    (`client.run`, no scheduler), alternating over `rounds`."""
    many = [cl for cl in clusters if cl.workers > 1 and cl.malloc == clusters[0].malloc]
    if not many:
        return
    print(
        f"\n## The machine's parallel capacity: {repeats} products ({rows:,} x "
        f"{MNIST_SIZES[0]}) @ ({MNIST_SIZES[0]} x {MNIST_SIZES[1]}), one BLAS thread, in one "
        "worker alone and in every worker at once"
    )
    for cl in many:
        first = sorted(cl.client.scheduler_info()["workers"])[0]
        alone: list[float] = []
        together: list[float] = []
        for _ in range(rounds):
            alone.append(cl.client.run(_gemm_seconds, rows, repeats, workers=[first])[first])
            together.append(statistics.mean(cl.client.run(_gemm_seconds, rows, repeats).values()))
        a, t = statistics.median(alone), statistics.median(together)
        print(
            f"{cl.label}: {a:.2f} s alone, {t:.2f} s each with all {cl.workers} at once: "
            f"{cl.workers * a / t:.2f}x the throughput of one (ideal {cl.workers}x; median of "
            f"{rounds} rounds)"
        )


def fixed_cost(
    clusters: list[Cluster], sizes: Sizes, block: int, calls: int, rounds: int, pids: list[int]
) -> bool:
    """Section (c): milliseconds per call on 2 small row blocks. `pids`: the processes of
    every cluster, timed here or idle, which the load measure counts as this run's."""
    counts = [block, block]
    label = "MNIST network" if sizes == MNIST_SIZES else "tiny network"
    print(
        f"\n## Fixed cost of one call: {label} {'-'.join(map(str, sizes))}, 2 row blocks of "
        f"{block} rows"
    )
    net, cs = one_process(sizes, counts)
    for cl in clusters:
        dx, dy = cl.persist(sizes, counts)
        w = cl.label
        for what, run in skeleton_runs(cl, net, dx, dy).items():
            cs.append(Contender(f"Dask alone, {w}: {what}", run))
        for style, traced in (("implicit", False), ("traced", True)):
            cs.append(
                Contender(f"tpd.grad, {w}, {style}", dask_run(cl, net, dx, dy, traced), style="x")
            )
    reference = cs[0].run()
    ok = True
    for c in cs:
        for _ in range(3):
            out = c.run()
        if c.style is not None:
            err = max_rel_diff(out, reference)
            if not err <= RTOL:
                print(f"  {c.name}: DISAGREES, relative difference {err:.2e}")
                ok = False
    print(f"verification {'passed' if ok else 'FAILED'} (every gradient within {RTOL:.0e})")
    if not ok:
        return False

    # Every call timed on its own: rounds of `per` calls of each contender, rotating.
    per = max(1, calls // rounds)
    load = OtherLoad(pids)
    samples: dict[str, list[float]] = {c.name: [] for c in cs}
    for r in range(rounds):
        for c in rotate(cs, r):
            time.sleep(0.02)
            gc.collect()
            for _ in range(per):
                start = time.perf_counter()
                c.run()
                samples[c.name].append(time.perf_counter() - start)
    other = load.share()
    ref = statistics.median(samples[cs[0].name])
    table = []
    for c in cs:
        ts = samples[c.name]
        m = statistics.median(ts)
        table.append([c.name, f"{m * 1e3:.2f}", quartile_text(ts, 1e3, "ms"), f"{m / ref:.1f}x"])
    print(
        f"{per * rounds} calls each, in {rounds} interleaved rounds of {per}; other processes "
        f"used {other:.0%} of the machine's CPU time meanwhile"
    )
    print(
        harness.table(["contender", "ms per call (median)", "IQR", "vs one process tp.grad"], table)
    )
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 1 round: a smoke test")
    parser.add_argument("--rows", type=int, default=None, help="rows (60000; quick 2000)")
    parser.add_argument(
        "--block-rows", type=int, default=None, help="rows per block (10000; quick 500)"
    )
    parser.add_argument("--rounds", type=int, default=None, help="rounds (10; quick 1)")
    parser.add_argument("--workers", default="1,2", help="cluster sizes to time (1,2)")
    parser.add_argument(
        "--malloc",
        default="dask",
        help="the workers' malloc settings, comma-separated: dask (Dask's own: "
        "MALLOC_TRIM_THRESHOLD_=65536) and/or glibc (glibc's defaults); the fixed cost is "
        "measured with the first (dask)",
    )
    parser.add_argument(
        "--calls", type=int, default=None, help="calls per contender, fixed cost (200; quick 4)"
    )
    args = parser.parse_args(argv)
    rows = args.rows or (2_000 if args.quick else 60_000)
    block_rows = args.block_rows or (500 if args.quick else 10_000)
    rounds = args.rounds or (1 if args.quick else 10)
    calls = args.calls or (4 if args.quick else 200)
    workers = [int(w) for w in args.workers.split(",") if w]
    mallocs = [m for m in args.malloc.split(",") if m]
    if rows < 1 or block_rows < 1 or rounds < 1 or calls < 1 or not workers:
        parser.error("--rows, --block-rows, --rounds, --calls and --workers must be positive")
    if not mallocs or not set(mallocs) <= {"dask", "glibc"}:
        parser.error("--malloc: dask, glibc or both")

    dask, _, dist = dask_modules()
    print((__doc__ or "").splitlines()[0])
    print(f"\nmachine: {harness.machine_line()}")
    print(f"CPU count: {os.cpu_count()} (usable here: {len(os.sched_getaffinity(0))})")
    print(harness.about_group("numpy"))
    print(f"dask {dask.__version__}, distributed {dist.__version__}")
    threads = {k: os.environ[k] for k in THREAD_VARIABLES}
    print(f"thread settings: {threads}; BLAS threads here: {_blas_threads()}")
    if importlib.util.find_spec("threadpoolctl") is None:
        np.show_runtime()  # the kernel, where machine_line could not say it
    print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())} at the start")

    with ExitStack() as stack:
        start = time.perf_counter()
        # glibc's first: Dask's nannies leave their setting in this process's environment.
        started = {
            (w, m): start_cluster(w, m, stack)
            for m in sorted(mallocs, key=lambda m: m != "glibc")
            for w in workers
        }
        clusters = [started[(w, m)] for m in mallocs for w in workers]
        print(
            f"{len(clusters)} local clusters started in {time.perf_counter() - start:.1f} s "
            "(worker processes of 1 thread, no dashboard):"
        )
        for cl in clusters:
            blas = sorted(set(cl.client.run(_blas_threads).values()))
            trim = sorted(set(cl.client.run(_malloc_setting).values()))
            print(f"  {cl.label}: workers' BLAS threads {blas}, MALLOC_TRIM_THRESHOLD_ {trim}")
        section = time.perf_counter()
        if args.quick:
            parallel_capacity(clusters, 1_000, 3, 1)
        else:
            parallel_capacity(clusters, 10_000, 5, 5)
        ok = full_batch(clusters, rows, block_rows, rounds, args.quick)
        print(f"(section took {time.perf_counter() - section:.0f} s)")
        fixed_rounds = 2 if args.quick else 10
        first = [cl for cl in clusters if cl.malloc == mallocs[0]]
        for sizes, block in ((MNIST_SIZES, 8), (TINY_SIZES, 10)):
            if ok:
                section = time.perf_counter()
                pids = [pid for cl in clusters for pid in cl.pids()]
                ok = fixed_cost(first, sizes, block, calls, fixed_rounds, pids)
                print(f"(section took {time.perf_counter() - section:.0f} s)")
    print(f"\nload average {' '.join(f'{v:.2f}' for v in os.getloadavg())} at the end")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
