"""The MNIST program on other array libraries: `train(..., backend=)` and `typedprop-mnist
--backend`, with the same losses and accuracies as on numpy, and clear errors for a library or a
device this machine lacks. JAX runs in a process of its own (the program switches on its 64-bit
mode, a setting of the whole process)."""

import importlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from typedprop import data, mnist

QUICK = ["--quiet", "--epochs", "1", "--hidden", "8", "6", "--train-size", "60", "--no-plot"]


def _library(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        pytest.skip(f"{name} is not installed (pip install 'typedprop[backends]')")


@pytest.mark.parametrize("optimizer, batch", [("adam", 16), ("sgd", 1)])
def test_training_on_torch_matches_numpy(optimizer: str, batch: int) -> None:
    _library("torch")
    split = data.load_digits(seed=0, n_train=120)
    results = []
    for backend in ("numpy", "torch"):
        net = mnist.init_network((64, 12, 8, 10))
        trained, history = mnist.train(
            net, split, optimizer=optimizer, batch_size=batch, lr=0.01, epochs=2, backend=backend
        )
        assert type(trained.hidden1.w) is np.ndarray and trained.hidden1.w.dtype == np.float64
        results.append((trained, history))
    (numpy_net, numpy_history), (torch_net, torch_history) = results
    assert torch_history.test_accuracy == numpy_history.test_accuracy
    assert torch_history.train_accuracy == numpy_history.train_accuracy
    np.testing.assert_allclose(torch_history.train_loss, numpy_history.train_loss, rtol=1e-10)
    for a, b in zip(
        (a for layer in torch_net for a in layer),
        (b for layer in numpy_net for b in layer),
        strict=True,
    ):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-12)


def test_accuracy_and_predict_take_any_librarys_arrays() -> None:
    torch = _library("torch")
    split = data.load_digits(seed=0, n_train=50)
    net = mnist.init_network((64, 12, 8, 10))
    params = tuple(tuple(torch.asarray(a) for a in layer) for layer in net)
    x, y = torch.asarray(split.test_x), torch.asarray(split.test_y)
    assert mnist.accuracy(params, x, y) == mnist.accuracy(net, split.test_x, split.test_y)
    np.testing.assert_array_equal(
        mnist.predict(params, x).numpy(), mnist.predict(net, split.test_x)
    )


def test_a_backend_or_device_that_is_missing_is_a_clear_error() -> None:
    split = data.load_digits(seed=0, n_train=40)
    net = mnist.init_network((64, 8, 6, 10))
    with pytest.raises(ValueError, match="backend must be numpy, torch, jax or cupy, got 'mxnet'"):
        mnist.train(net, split, backend="mxnet")
    with pytest.raises(ValueError, match="device 'cuda' needs a backend other than numpy"):
        mnist.train(net, split, device="cuda")
    if importlib.util.find_spec("cupy") is None:
        with pytest.raises(ValueError, match="backend 'cupy' needs cupy installed: pip install"):
            mnist.train(net, split, backend="cupy")
    torch = _library("torch")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="torch has no device 'cuda' here"):
            mnist.train(net, split, backend="torch", device="cuda")


def test_the_command_refuses_a_missing_device_before_training(
    capsys: pytest.CaptureFixture[str],
) -> None:
    torch = _library("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(SystemExit) as exit_:
        mnist.main([*QUICK, "--backend", "torch", "--device", "cuda"])
    assert exit_.value.code == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith("typedprop-mnist: error: --backend, --device: torch has no device")


def _command(tmp_path: Path, backend: str) -> str:
    run = subprocess.run(
        [sys.executable, "-m", "typedprop.mnist", *QUICK, "--save", str(tmp_path / backend)]
        + ["--backend", backend],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_the_command_on_another_library_reports_numpys_accuracy(
    tmp_path: Path, backend: str
) -> None:
    _library(backend)
    out = _command(tmp_path, backend)
    assert f"on {backend}" in out.splitlines()[0]
    accuracy = [line for line in out.splitlines() if line.startswith("held-out accuracy")]
    expected = [
        line
        for line in _command(tmp_path, "numpy").splitlines()
        if line.startswith("held-out accuracy")
    ]
    assert accuracy[0].split(" after ")[0] == expected[0].split(" after ")[0]
    saved = mnist.load_network(tmp_path / f"{backend}.npz")
    assert all(type(a) is np.ndarray and a.dtype == np.float64 for layer in saved for a in layer)
