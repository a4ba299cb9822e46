"""typedprop-mnist on a Dask cluster (`--workers N`, `--scheduler ADDRESS`) and `mnist.train`'s
`client`: training there is training in one process, but for the order of the additions (the
networks agree to 1e-10, the accuracies exactly); the flags that cannot work are refused in
one line with exit status 2, before any training: another backend, Dask missing, an address
where no scheduler answers, a cluster without workers, a cluster that fails mid-training; Ctrl-C
at a terminal saves the network, with no word from the workers.

Runs train 40 built-in digits for a few steps on a tiny network. A cluster takes seconds to
start: two tests start a local one through `--workers`, one starts a scheduler and a worker
with Dask's own commands, over TCP, and the rest share an in-process cluster."""

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from typedprop import data, mnist

from .test_mnist_cli import _fails
from support import DaskCommands, local_cluster

PROG = "typedprop-mnist"
QUICK = ["--quiet", "--hidden", "8", "6", "--train-size", "40", "--no-plot"]
SIZES = (64, 8, 6, 10)


@pytest.fixture
def dask() -> Any:
    """The `distributed` package; the test is skipped without it."""
    return pytest.importorskip("distributed")


def _one_process(epochs: int, batch: int, lr: float = 0.01) -> tuple[mnist.Network, Any]:
    """QUICK's training with Adam, all in this process (the reference)."""
    split = data.load_digits(0, n_train=40)
    net = mnist.init_network(SIZES, 0)
    return mnist.train(net, split, optimizer="adam", epochs=epochs, lr=lr, batch_size=batch)


def _assert_close(got: mnist.Network, want: mnist.Network) -> None:
    for got_layer, want_layer in zip(got, want, strict=True):
        for g, w in zip(got_layer, want_layer, strict=True):
            np.testing.assert_allclose(g, w, rtol=0, atol=1e-10)


def _epoch_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("epoch ")]


def _reported(history: Any, epochs: int) -> list[str]:
    """The epoch lines the command prints for `history`."""
    return [
        f"epoch {i}/{epochs}: held-out accuracy {a:.4f}"
        for i, a in enumerate(history.test_accuracy, 1)
    ]


def _never_train(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("trained, though the input was bad")

    monkeypatch.setattr(mnist, "train", refuse)


# --- --workers: a local cluster of processes ----------------------------------------------------


def test_workers_train_as_one_process_does(
    dask: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The defaults on a cluster: Adam at 0.01, a batch of the whole training part."""
    final = mnist.main([*QUICK, "--workers", "2", "--epochs", "4", "--save", str(tmp_path / "n")])
    out = capsys.readouterr().out
    assert "adam, 4 epochs, batch 40, learning rate 0.01;" in out
    assert out.splitlines()[0].endswith("; gradients on 2 local Dask workers")
    want, history = _one_process(epochs=4, batch=40)
    _assert_close(mnist.load_network(tmp_path / "n.npz"), want)
    assert _epoch_lines(out) == _reported(history, 4)
    assert final == history.test_accuracy[-1]


@pytest.mark.skipif(os.name != "posix", reason="a process group and its SIGINT")
def test_ctrl_c_at_a_terminal_stops_the_workers_quietly(dask: Any, tmp_path: Path) -> None:
    """A terminal's Ctrl-C reaches every process of the group: the command saves the network
    and closes the cluster, and the workers, which leave it to the command, print nothing."""
    run = subprocess.Popen(
        [sys.executable, "-m", "typedprop.mnist", *QUICK, "--workers", "1", "--epochs", "1000"]
        + ["--save", str(tmp_path / "n")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
        start_new_session=True,  # a group of its own, as a terminal's foreground job
    )
    try:
        assert run.stdout is not None
        assert run.stdout.readline().endswith("; gradients on 1 local Dask worker\n")
        assert run.stdout.readline().startswith("epoch 1/1000: ")  # training is under way
        os.killpg(run.pid, signal.SIGINT)
        _, err = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert run.returncode == 130, err
    assert re.fullmatch(
        rf"{PROG}: interrupted after \d+ steps \(\d+ of 1000 epochs done\); the network "
        rf"trained so far is saved to {re.escape(str(tmp_path / 'n.npz'))}",
        err.strip(),
    ), err
    assert mnist.sizes(mnist.load_network(tmp_path / "n.npz")) == SIZES


# --- mnist.train(client=...) -------------------------------------------------------------------


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """A cluster of two single-threaded workers, in this process (threads: quick to start)."""
    pytest.importorskip("distributed")
    with local_cluster(processes=False) as c:
        yield c


def test_train_on_a_client_takes_the_steps_of_one_process_in_mini_batches(client: Any) -> None:
    split = data.load_digits(0, n_train=40)
    net, history = mnist.train(
        mnist.init_network(SIZES, 0),
        split,
        optimizer="adam",
        epochs=3,
        lr=0.01,
        batch_size=16,  # 16, 16 and 8 rows an epoch, drawn from both blocks
        client=client,
    )
    want, want_history = _one_process(epochs=3, batch=16)
    _assert_close(net, want)
    np.testing.assert_allclose(history.train_loss, want_history.train_loss, rtol=1e-12)
    assert history.test_accuracy == want_history.test_accuracy
    assert history.train_accuracy == want_history.train_accuracy


def test_train_on_a_client_refuses_another_backend(client: Any) -> None:
    split = data.load_digits(0, n_train=40)
    with pytest.raises(ValueError, match="Dask client computes with numpy on its workers; "):
        mnist.train(mnist.init_network(SIZES), split, backend="torch", client=client)


# --- flags that cannot work --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (
            ["--backend", "torch", "--workers", "2"],
            ["--backend torch: --workers computes with numpy on the Dask workers; leave out"],
        ),
        (
            ["--backend", "jax", "--scheduler", "tcp://127.0.0.1:1"],
            ["--backend jax: --scheduler computes with numpy on the Dask workers"],
        ),
        (
            ["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"],
            ["argument --scheduler: not allowed with argument --workers"],
        ),
        (["--workers", "0"], ["argument --workers: must be at least 1, got 0"]),
    ],
    ids=["torch", "jax", "both", "no-workers"],
)
def test_flags_that_cannot_work_together_are_refused(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    needles: list[str],
) -> None:
    _never_train(monkeypatch)
    _fails(capsys, args, *needles)


@pytest.mark.parametrize("flag", [["--workers", "2"], ["--scheduler", "tcp://127.0.0.1:1"]])
def test_without_dask_the_flags_say_what_to_install(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, flag: list[str]
) -> None:
    """Runs with Dask installed or not: the module is hidden here (None in sys.modules)."""
    _never_train(monkeypatch)
    monkeypatch.setitem(sys.modules, "typedprop.distributed", None)
    line = _fails(capsys, flag)
    assert line == f"{PROG}: error: {flag[0]} needs Dask: pip install 'typedprop[distributed]'"


@pytest.mark.parametrize(
    ("address", "needle"),
    [
        ("tcp://127.0.0.1:1", "Timed out trying to connect to tcp://127.0.0.1:1 after 1 s"),
        ("127.0.0.1", "missing port number in address '127.0.0.1'"),
        ("nonsense://x", "unknown address scheme 'nonsense'"),
    ],
    ids=["nobody-there", "no-port", "no-scheme"],
)
def test_an_address_without_a_scheduler_is_one_line(
    dask: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    address: str,
    needle: str,
) -> None:
    _never_train(monkeypatch)
    monkeypatch.setattr(mnist, "_CONNECT_TIMEOUT", "1s")
    _fails(
        capsys,
        [*QUICK, "--scheduler", address],
        f"--scheduler {address}: cannot connect to a Dask scheduler: {needle}",
    )


# --- --scheduler: a cluster of Dask's own commands, over TCP -----------------------------------


def test_a_cluster_of_dask_commands_over_tcp(
    dask: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """No worker yet: refused; a worker: mini-batches as in one process; the cluster failing
    mid-training: one line naming it."""
    with DaskCommands() as cluster:
        address = cluster.address
        args = [*QUICK, "--scheduler", address, "--save", str(tmp_path / "n")]

        monkeypatch.setattr(mnist, "_CONNECT_TIMEOUT", "1s")
        _fails(capsys, args, f"--scheduler {address}: the cluster has no workers (none came in 1s)")

        cluster.add_worker()
        monkeypatch.setattr(mnist, "_CONNECT_TIMEOUT", "60s")  # while the worker starts
        mnist.main([*args, "--epochs", "2", "--batch-size", "16"])
        out = capsys.readouterr().out
        assert out.splitlines()[0].endswith(f"; gradients on 1 Dask worker at {address}")
        want, history = _one_process(epochs=2, batch=16)
        _assert_close(mnist.load_network(tmp_path / "n.npz"), want)
        assert _epoch_lines(out) == _reported(history, 2)

        # The cluster failing mid-training, as Dask says it and as typedprop.distributed does.
        from distributed.client import FutureCancelledError
        from distributed.comm import CommClosedError

        cancelled = RuntimeError("Dask cancelled the call")
        cancelled.__cause__ = FutureCancelledError("x", reason="lost")
        for error, said in [
            (CommClosedError("in <TCP (closed)>: Stream is closed"), "Stream is closed"),
            (cancelled, "Dask cancelled the call"),
        ]:

            def lost(*args: Any, error: Exception = error) -> Any:
                raise error

            monkeypatch.setattr(mnist._RowBlocks, "backprop", lost)
            _fails(
                capsys, args, f"--scheduler {address}: the Dask cluster failed in training: ", said
            )
