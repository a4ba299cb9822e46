"""Helpers shared by the test modules."""

import contextlib
import dataclasses
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import typedprop as tp
from typedprop._core import checks as _checks
from typedprop._core import tape as _tape


def _weights(n: int, dtype: Any) -> np.ndarray:
    return np.random.default_rng(1000 + n).uniform(0.5, 1.5, n).astype(dtype)


def reduce_to_scalar(out: Any) -> Any:
    """`out` (a BVar) contracted with fixed random weights over each axis, last first, by `@`:
    a scalar whose gradient reaches every element of `out` with a different weight."""
    while np.ndim(out.value) > 0:
        out = out @ _weights(np.shape(out.value)[-1], np.result_type(out.value))
    return out


def assert_same_structure(g: object, x: object, where: str = "x") -> None:
    """`g` has exactly `x`'s type at every level: same classes, same array shapes and dtypes,
    same dict keys in the same order, same lengths and fields."""
    assert type(g) is type(x), f"{where}: got {type(g).__name__}, expected {type(x).__name__}"
    if isinstance(x, np.ndarray):
        assert isinstance(g, np.ndarray)
        assert g.shape == x.shape, f"{where}: shape {g.shape} vs {x.shape}"
        assert g.dtype == x.dtype, f"{where}: dtype {g.dtype} vs {x.dtype}"
    elif isinstance(x, dict):
        assert isinstance(g, dict)
        assert list(g.keys()) == list(x.keys()), f"{where}: keys {list(g)} vs {list(x)}"
        for k in x:
            assert_same_structure(g[k], x[k], f"{where}[{k!r}]")
    elif isinstance(x, tuple | list):
        assert isinstance(g, tuple | list)
        assert len(g) == len(x), f"{where}: length {len(g)} vs {len(x)}"
        for i, (gi, xi) in enumerate(zip(g, x, strict=True)):
            assert_same_structure(gi, xi, f"{where}[{i}]")
    elif dataclasses.is_dataclass(x) and not isinstance(x, tp.Backprop):
        for field in dataclasses.fields(x):
            assert_same_structure(
                getattr(g, field.name), getattr(x, field.name), f"{where}.{field.name}"
            )


# What a block needs that an extra installs: the array libraries of the backends extra, Dask
# (the distributed extra), by the module an import names.
EXTRAS = {
    "torch": ("torch", "backends"),
    "jax": ("jax", "backends"),
    "dask": ("dask", "distributed"),
    "distributed": ("distributed", "distributed"),
    "typedprop.distributed": ("distributed", "distributed"),
}


def skip_without_extras(text: str, what: str = "the example") -> None:
    """Skip, saying so, an example (`text`) that imports a library of an extra that is not
    installed."""
    for module, (library, extra) in EXTRAS.items():
        imported = re.search(
            rf"^\s*(>>> |\.\.\. )?\s*(import|from) {re.escape(module)}\b", text, re.MULTILINE
        )
        if imported and importlib.util.find_spec(library) is None:
            pytest.skip(f"{what} uses {library}, which is not installed (the {extra} extra)")


def total(v: tp.BVar[Any]) -> tp.BVar[Any]:
    """The sum of a 1-D array BVar (there is no sum op: a dot with ones)."""
    return v @ np.ones(v.value.shape, dtype=v.value.dtype)


def loss_through(op: tp.Op[Any, Any, Any]) -> Callable[[tp.BVar[Any], tp.BVar[Any]], Any]:
    """A scalar loss of `op(w, x)`: its output summed by a dot with ones."""

    def f(w: tp.BVar[Any], x: tp.BVar[Any]) -> tp.BVar[Any]:
        y = op(w, x)
        return y @ np.ones(y.value.shape, y.value.dtype)

    return f


def no_tape() -> None:
    """No tape is open in this thread: a failed call left nothing behind."""
    assert _tape.active() is None


def count_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the jaxtyping checks run from now on (calls of `check_values`, which the one check
    cache makes): `calls[0]` after the test's calls."""
    calls = [0]
    real = _checks.check_values

    def counted(*args: Any, **kwargs: Any) -> None:
        calls[0] += 1
        real(*args, **kwargs)

    monkeypatch.setattr(_checks, "check_values", counted)
    return calls


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
    """The environment variables `values` set inside the block, and restored after it (for
    code such as mypy run in-process, which reads them at each call)."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@dataclasses.dataclass
class Money:
    """A parameter type of one's own, with zero/add/one, as in the Backprop protocol's
    docstring: a leaf, whose gradients add by its `add`."""

    amount: float

    def zero(self) -> "Money":
        return Money(0.0)

    def add(self, other: "Money") -> "Money":
        return Money(self.amount + other.amount)

    def one(self) -> "Money":
        return Money(1.0)


@tp.op1
def tax(m: Money) -> tuple[float, Callable[[float], Money]]:
    """A fifth of the money: an op of one's own on a type of one's own."""
    return 0.2 * m.amount, lambda g: Money(0.2 * g)


@contextlib.contextmanager
def local_cluster(processes: bool) -> Iterator[Any]:
    """A client of a local Dask cluster of two workers of one thread each (processes over TCP,
    or threads in this process: quicker to start), closed on exit. Its scheduler serves HTTP
    on a free port: on 8787, its default even without a dashboard, a second cluster would
    warn, an error under pytest."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


class DaskCommands:
    """A Dask cluster started as on real machines, with Dask's commands: `dask scheduler`,
    then `dask worker ADDRESS` per `add_worker()`, each a process over TCP (no nanny, so a
    killed worker stays dead), with `tests/` on their path so that functions of the test
    modules unpickle there. Every process is killed on exit."""

    def __init__(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="typedprop-dask-"))
        dask = shutil.which("dask", path=str(Path(sys.executable).parent))
        self._command = [dask] if dask else [sys.executable, "-m", "dask"]
        tests = str(Path(__file__).resolve().parent)
        self._env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [tests, os.environ.get("PYTHONPATH")])),
            "OPENBLAS_NUM_THREADS": "1",
            "DASK_DISTRIBUTED__WORKER__DAEMON": "False",
        }
        self.workers: list[Any] = []
        self.address = ""
        self._scheduler: Any = None

    def __enter__(self) -> "DaskCommands":
        file = self._dir / "scheduler.json"
        self._scheduler = self._start(
            "scheduler",
            *("--host", "127.0.0.1", "--port", "0", "--dashboard-address", "127.0.0.1:0"),
            *("--scheduler-file", str(file)),
        )
        deadline = time.monotonic() + 60
        while not file.exists() or not file.read_text().strip():
            if self._scheduler.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dask scheduler did not start: {self._log('scheduler')}")
            time.sleep(0.1)
        self.address = json.loads(file.read_text())["address"]
        return self

    def _start(self, what: str, *args: str) -> Any:
        with open(self._dir / f"{what}-{len(self.workers)}.log", "w") as log:
            return subprocess.Popen(
                [*self._command, what, *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self._env,
                cwd=self._dir,
            )

    def _log(self, what: str) -> str:
        return "\n".join(p.read_text() for p in sorted(self._dir.glob(f"{what}*.log")))

    def add_worker(self) -> Any:
        """A new worker process (one thread), once the scheduler counts it."""
        worker = self._start(
            "worker",
            self.address,
            *("--host", "127.0.0.1", "--nthreads", "1", "--no-nanny", "--no-dashboard"),
        )
        self.workers.append(worker)
        return worker

    def client(self, workers: int) -> Any:
        """A client of the cluster, once it has `workers` workers."""
        from distributed import Client

        client = Client(self.address, timeout="30s")
        try:
            client.wait_for_workers(workers, timeout=60)
        except Exception:
            client.close()
            raise RuntimeError(f"dask workers did not start: {self._log('worker')}") from None
        return client

    def __exit__(self, *exc: object) -> None:
        for process in [*self.workers, self._scheduler]:
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(timeout=30)
        shutil.rmtree(self._dir, ignore_errors=True)
