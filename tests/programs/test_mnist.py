"""typedprop.mnist and the typedprop-mnist command: the network's gradient, training to the
targets on the built-in digits and on real MNIST (skipped where the files are absent), the
plot, saving and loading without pickle, and the errors."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest

import typedprop as tp
from typedprop import data, mnist
from typedprop.testing import check_grads

MNIST = Path(__file__).resolve().parents[3] / "shared" / "data" / "mnist"


def _small(seed: int = 0) -> mnist.Network:
    return mnist.init_network((64, 12, 8, 10), seed=seed)


@pytest.mark.parametrize("batch", [False, True], ids=["sample", "batch"])
def test_gradient_against_finite_differences(batch: bool) -> None:
    split = data.load_digits(seed=0)
    x = split.train_x[:4] if batch else split.train_x[0]
    y = split.train_y[:4] if batch else int(split.train_y[0])
    check_grads(lambda n: mnist.loss(n, x, y), _small())


def test_per_sample_and_batch_gradients_agree() -> None:
    split = data.load_digits(seed=0)
    x, y, net = split.train_x[:3], split.train_y[:3], _small()
    batch = tp.grad(lambda n: mnist.loss(n, x, y), net)
    singles = [tp.grad(lambda n, i=i: mnist.loss(n, x[i], int(y[i])), net) for i in range(3)]
    for name in mnist.Network._fields:
        for part in mnist.Layer._fields:
            mean = sum(getattr(getattr(g, name), part) for g in singles) / 3
            np.testing.assert_allclose(getattr(getattr(batch, name), part), mean, atol=1e-12)


def test_default_settings_reach_96_percent_on_the_built_in_digits(tmp_path: Path) -> None:
    """The README's main job with its defaults: per-sample SGD, 30 epochs, checks on."""
    accuracy = mnist.main(
        ["--quiet", "--plot", str(tmp_path / "c.png"), "--save", str(tmp_path / "n.npz")]
    )
    assert accuracy >= 0.96


@pytest.mark.skipif(not MNIST.exists(), reason="the MNIST test set is not at ../shared/data/mnist")
def test_real_mnist_with_adam_reaches_95_percent(tmp_path: Path) -> None:
    args = ["--data", str(MNIST), "--optimizer", "adam", "--epochs", "10", "--no-checks", "--quiet"]
    accuracy = mnist.main(
        [*args, "--plot", str(tmp_path / "c.png"), "--save", str(tmp_path / "n.npz")]
    )
    assert accuracy >= 0.95


def test_the_command_writes_a_plot_and_parameters_it_can_load(tmp_path: Path) -> None:
    plot, saved = tmp_path / "curves.png", tmp_path / "net"
    command = shutil.which("typedprop-mnist") or str(
        Path(sys.executable).parent / "typedprop-mnist"
    )
    common = ["--epochs", "1", "--train-size", "400", "--quiet", "--plot", str(plot)]
    done = subprocess.run(
        [command, *common, "--hidden", "20", "10", "--save", str(saved)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "held-out accuracy" in done.stdout and "runtime checks on" in done.stdout
    assert "1 epoch," in done.stdout and "after 1 epoch in" in done.stdout
    # `--save net` writes net.npz, numpy's way, and says so.
    assert f"saved the network to {saved}.npz" in done.stdout
    assert f"wrote the training curves to {plot}" in done.stdout
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # A typedprop checkpoint: tp.load reads it in the structure of a network of its sizes.
    net = tp.load(f"{saved}.npz", like=mnist.init_network((64, 20, 10, 10)))
    assert type(net) is mnist.Network and net.hidden1.w.shape == (20, 64)
    first = float(re.findall(r"held-out accuracy ([0-9.]+)", done.stdout)[-1])
    resumed = subprocess.run(
        [command, *common, "--no-checks", "--load", f"{saved}.npz", "--save", str(tmp_path / "b")],
        capture_output=True,
        text=True,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "runtime checks off" in resumed.stdout
    # The network line shows the loaded sizes (no --hidden given this time).
    assert f"network 64-20-10-10 (from {saved}.npz)" in resumed.stdout
    assert float(re.findall(r"held-out accuracy ([0-9.]+)", resumed.stdout)[-1]) >= first - 0.05


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    net = _small()
    mnist.save_network(net, tmp_path / "n.npz")
    back = mnist.load_network(tmp_path / "n.npz")
    assert type(back) is mnist.Network
    for a, b in zip(net, back, strict=True):
        np.testing.assert_array_equal(a.w, b.w)
        np.testing.assert_array_equal(a.b, b.b)


def test_a_network_saved_before_checkpoints_still_loads(tmp_path: Path) -> None:
    net = _small()
    arrays = {f"{n}.{p}": getattr(getattr(net, n), p) for n in mnist.Network._fields for p in "wb"}
    np.savez(tmp_path / "old.npz", **arrays)
    back = mnist.load_network(tmp_path / "old.npz")
    np.testing.assert_array_equal(back.output.w, net.output.w)


class _Wider(NamedTuple):
    hidden1: mnist.Layer
    hidden2: mnist.Layer
    output: mnist.Layer
    extra: float


def test_load_refuses_a_checkpoint_of_another_structure(tmp_path: Path) -> None:
    tp.save(tmp_path / "wider.npz", _Wider(*_small(), 1.0))
    with pytest.raises(tp.CheckpointError, match="the checkpoint has params.extra"):
        mnist.load_network(tmp_path / "wider.npz")
    net = _small()
    bad = mnist.Network(
        net.hidden1, mnist.Layer._make((np.zeros((8, 13)), net.hidden2.b)), net.output
    )
    tp.save(tmp_path / "bad.npz", bad)
    with pytest.raises(
        ValueError, match="layer hidden2 takes 13 inputs, but the layer before has 12 outputs"
    ):
        mnist.load_network(tmp_path / "bad.npz")
    tp.save(
        tmp_path / "ints.npz",
        net._replace(output=mnist.Layer._make((np.zeros((10, 8), int), net.output.b))),
    )
    with pytest.raises(ValueError, match="not a saved network: output.w holds int64, not floats"):
        mnist.load_network(tmp_path / "ints.npz")


def test_load_refuses_a_file_that_is_not_a_network(tmp_path: Path) -> None:
    np.savez(tmp_path / "other.npz", w=np.zeros(3))
    with pytest.raises(ValueError, match="not a saved network: missing hidden1.w, hidden1.b"):
        mnist.load_network(tmp_path / "other.npz")
    (tmp_path / "text.npz").write_text("x")
    with pytest.raises(ValueError, match="text.npz: not a saved network: not an .npz file"):
        mnist.load_network(tmp_path / "text.npz")
    with pytest.raises(FileNotFoundError):
        mnist.load_network(tmp_path / "absent.npz")
    net = _small()
    arrays = {f"{n}.{p}": getattr(getattr(net, n), p) for n in mnist.Network._fields for p in "wb"}
    arrays["hidden2.w"] = np.zeros((8, 13))
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(
        ValueError, match="layer hidden2 takes 13 inputs, but the layer before has 12 outputs"
    ):
        mnist.load_network(tmp_path / "bad.npz")


def test_bad_training_settings_are_refused() -> None:
    split = data.load_digits(seed=0)
    with pytest.raises(ValueError, match="optimizer must be 'sgd' or 'adam', got 'rmsprop'"):
        mnist.train(_small(), split, optimizer="rmsprop")
    with pytest.raises(ValueError, match="epochs and batch_size must be at least 1, got 0, 1"):
        mnist.train(_small(), split, epochs=0)
    for lr in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="lr must be a positive number"):
            mnist.train(_small(), split, lr=lr)


def test_a_diverging_loss_stops_training() -> None:
    split = data.load_digits(seed=0)
    with pytest.raises(mnist.TrainingDiverged, match="training diverged: the loss is (nan|inf)"):
        mnist.train(_small(), split, optimizer="adam", lr=1e308, batch_size=32, epochs=1)


def test_on_epoch_sees_each_epoch_and_a_batch_larger_than_the_data_is_all_of_it() -> None:
    split = data.load_digits(seed=0, n_train=50)
    seen: list[tuple[int, float]] = []
    _, history = mnist.train(
        _small(),
        split,
        optimizer="adam",
        batch_size=10**30,
        epochs=2,
        on_epoch=lambda epoch, h: seen.append((epoch, h.test_accuracy[-1])),
    )
    assert seen == list(enumerate(history.test_accuracy, start=1))


def test_accuracy_in_chunks_is_the_accuracy_of_all_rows() -> None:
    split, net = data.load_digits(seed=0), _small()
    every = float(np.mean(mnist.predict(net, split.test_x) == split.test_y))
    assert len(split.test_y) > 0 and mnist.accuracy(net, split.test_x, split.test_y) == every
    x = np.tile(split.test_x, (4, 1))  # more rows than one chunk
    y = np.tile(split.test_y, 4)
    assert mnist.accuracy(net, x, y) == every


def test_save_writes_the_file_whole_and_returns_its_name(tmp_path: Path) -> None:
    assert mnist.save_network(_small(), tmp_path / "a") == tmp_path / "a.npz"
    assert mnist.save_network(_small(), tmp_path / "b.npz") == tmp_path / "b.npz"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npz", "b.npz"]  # no leftovers
    umask = os.umask(0)
    os.umask(umask)
    # The permissions of a file open() makes, not a temporary file's private ones.
    assert (tmp_path / "a.npz").stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_picture_of_the_wrong_size_is_caught_at_the_first_layer() -> None:
    with pytest.raises(
        tp.CheckError,
        match=re.escape("dimension in: 65 (argument 'x', axis 0) vs 64 (argument 'w', axis 1)"),
    ):
        tp.grad(lambda n: mnist.loss(n, np.zeros(65), 3), _small())
