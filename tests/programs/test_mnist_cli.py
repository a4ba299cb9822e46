"""The typedprop-mnist command against bad input: every bad flag value, file or place gets one
line naming the flag or file and exit status 2, never a traceback; a failure after training
never loses the network; Ctrl-C exits cleanly; the report says what happened.

Through `mnist.main` for most cases, and real processes for a few, to see what reaches stderr.
Runs train 40 built-in digits for one epoch on a tiny network: seconds for the whole file."""

import gzip
import os
import re
import signal
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import typedprop as tp
from typedprop import data, mnist

PROG = "typedprop-mnist"
QUICK = ["--quiet", "--epochs", "1", "--hidden", "8", "6", "--train-size", "40"]


def _fails(
    capsys: pytest.CaptureFixture[str], args: list[str], *needles: str, code: int = 2
) -> str:
    """Run the command, expecting exit status `code` and, as the last line of stderr, one
    error line holding every needle; returns that line."""
    with pytest.raises(SystemExit) as exit_:
        mnist.main(args)
    assert exit_.value.code == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    line = err.strip().splitlines()[-1]
    assert line.startswith(f"{PROG}: error: "), err
    for needle in needles:
        assert needle in line, line
    return line


def _run(tmp_path: Path, *args: str) -> float:
    """A quick run writing into tmp_path (unless args say otherwise)."""
    return mnist.main(
        [*QUICK, "--plot", str(tmp_path / "c.png"), "--save", str(tmp_path / "n"), *args]
    )


def _never_train(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("trained, though the input was bad")

    monkeypatch.setattr(mnist, "train", refuse)


def _idx(array: np.ndarray) -> bytes:
    code = {np.dtype(np.uint8): 0x08, np.dtype(np.int16): 0x0B}[array.dtype]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def _mnist_folder(
    folder: Path,
    n: int = 30,
    prefix: str = "t10k",
    labels: np.ndarray | None = None,
    images: np.ndarray | None = None,
) -> Path:
    """A small fake MNIST set of `n` 4 x 4 images, gzip-compressed, in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(n)
    if images is None:
        images = rng.integers(0, 256, size=(n, 4, 4), dtype=np.uint8)
    if labels is None:
        labels = (np.arange(n) % 10).astype(np.uint8)
    (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(_idx(images)))
    (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_idx(labels)))
    return folder


# --- flags whose values are wrong: argparse's own error, before anything is read --------------


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--epochs", "0"], ["argument --epochs", "at least 1, got 0"]),
        (["--epochs", "-3"], ["argument --epochs", "at least 1, got -3"]),
        (["--epochs", "1.5"], ["argument --epochs", "not a whole number: '1.5'"]),
        (["--batch-size", "0"], ["argument --batch-size", "at least 1, got 0"]),
        (["--lr", "0"], ["argument --lr", "positive number, got '0'"]),
        (["--lr", "-0.5"], ["argument --lr", "positive number, got '-0.5'"]),
        (["--lr", "nan"], ["argument --lr", "positive number, got 'nan'"]),
        (["--lr", "inf"], ["argument --lr", "positive number, got 'inf'"]),
        (["--lr", "1e999"], ["argument --lr", "positive number, got '1e999'"]),
        (["--lr", "fast"], ["argument --lr", "not a number: 'fast'"]),
        (["--hidden", "0", "5"], ["argument --hidden", "at least 1, got 0"]),
        (["--hidden", "5", "-2"], ["argument --hidden", "at least 1, got -2"]),
        (["--hidden", "5"], ["argument --hidden", "expected 2 arguments"]),
        (["--train-size", "0"], ["argument --train-size", "at least 1, got 0"]),
        (["--train-size", "-5"], ["argument --train-size", "at least 1, got -5"]),
        (["--train-size", "many"], ["argument --train-size", "not a whole number"]),
        (["--seed", "-1"], ["argument --seed", "0 or more, got -1"]),
        (["--optimizer", "rmsprop"], ["argument --optimizer", "invalid choice: 'rmsprop'"]),
        (["--save", ""], ["argument --save", "an empty path"]),
        (["--plot", ""], ["argument --plot", "an empty path"]),
        (["--data", ""], ["argument --data", "an empty path"]),
        (["--load", ""], ["argument --load", "an empty path"]),
        (["--save", "a\0b"], ["argument --save", "NUL"]),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) and v[0].startswith("--") else "",
)
def test_a_bad_flag_value_is_refused_by_argparse(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    needles: list[str],
) -> None:
    _never_train(monkeypatch)
    _fails(capsys, args, *needles)


# --- --data -------------------------------------------------------------------------------


def _damaged(kind: str) -> Callable[[Path], None]:
    """Damage the images file of a good fake set in a folder, as `kind` says."""

    def damage(folder: Path) -> None:
        images = folder / "t10k-images-idx3-ubyte.gz"
        packed = bytearray(images.read_bytes())
        if kind == "cut":
            images.write_bytes(bytes(packed[: len(packed) // 2]))
        elif kind == "header":
            packed[0] = 0
            images.write_bytes(bytes(packed))
        elif kind == "stream":
            packed[12:20] = b"\xff" * 8
            images.write_bytes(bytes(packed))
        elif kind == "not-gzip":
            images.write_bytes(b"this is not a gzip file at all")
        elif kind == "empty":
            images.write_bytes(b"")

    return damage


@pytest.mark.parametrize(
    ("setup", "needles"),
    [
        (lambda d: d.rmdir(), ["--data", "no such folder"]),
        (lambda d: None, ["--data", "no MNIST files", "t10k-images-idx3-ubyte"]),
        (
            lambda d: (d / "t10k-images-idx3-ubyte").write_bytes(b""),
            ["--data", "t10k-images-idx3-ubyte is here but not t10k-labels-idx1-ubyte"],
        ),
        (
            lambda d: (
                (d / "t10k-labels-idx1-ubyte").mkdir() or (d / "t10k-images-idx3-ubyte").mkdir()
            ),
            ["--data", "t10k-images-idx3-ubyte: not a regular file"],
        ),
    ],
    ids=["missing", "empty", "labels-missing", "folders-for-files"],
)
def test_a_data_folder_without_mnist_is_refused(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    setup: Callable[[Path], object],
    needles: list[str],
) -> None:
    _never_train(monkeypatch)
    folder = tmp_path / "mnist"
    folder.mkdir()
    setup(folder)
    line = _fails(capsys, ["--data", str(folder)], *needles)
    assert str(folder) in line


def test_data_pointing_at_a_file_is_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _never_train(monkeypatch)
    file = tmp_path / "t10k-images-idx3-ubyte.gz"
    file.write_bytes(b"")
    _fails(capsys, ["--data", str(file)], f"--data: {file}: not a folder")


@pytest.mark.parametrize("kind", ["cut", "header", "stream", "not-gzip", "empty"])
def test_a_damaged_gzip_file_is_refused_naming_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kind: str
) -> None:
    _never_train(monkeypatch)
    folder = _mnist_folder(tmp_path / "mnist", n=200)
    _damaged(kind)(folder)
    line = _fails(capsys, ["--data", str(folder)], "--data", "t10k-images-idx3-ubyte.gz")
    assert "pickle" not in line


@pytest.mark.parametrize(
    ("make", "needles"),
    [
        (
            lambda d: _mnist_folder(d, labels=np.zeros(29, np.uint8)),
            ["holds 30 images but", "t10k-labels-idx1-ubyte.gz holds 29 labels"],
        ),
        (
            lambda d: _mnist_folder(d, labels=np.array([1, 2, 12] + [0] * 27, np.uint8)),
            ["t10k-labels-idx1-ubyte.gz: label 12 (at index 2) is not a digit 0-9"],
        ),
        (
            lambda d: _mnist_folder(d, images=np.zeros((30, 4, 4), np.int16)),
            ["t10k-images-idx3-ubyte.gz: MNIST images are", "int16"],
        ),
        (
            lambda d: _mnist_folder(
                d, images=np.zeros((0, 4, 4), np.uint8), labels=np.zeros(0, np.uint8)
            ),
            ["t10k-images-idx3-ubyte.gz: holds no images"],
        ),
        (
            lambda d: _mnist_folder(d, images=np.zeros((30, 0, 4), np.uint8)),
            ["t10k-images-idx3-ubyte.gz: images of 0 x 4 pixels"],
        ),
        (
            lambda d: _mnist_folder(d, n=1),
            ["t10k-images-idx3-ubyte.gz: holds 1 image; a split needs 2"],
        ),
        (
            lambda d: _mnist_folder(
                _mnist_folder(d),
                prefix="train",
                images=np.zeros((5, 3, 3), np.uint8),
                labels=np.zeros(5, np.uint8),
            ),
            ["train-images-idx3-ubyte.gz holds images of (3, 3) pixels but"],
        ),
    ],
    ids=["counts", "label-range", "not-bytes", "no-images", "no-pixels", "one-image", "sizes"],
)
def test_data_that_is_not_mnist_is_refused_naming_the_file(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    make: Callable[[Path], object],
    needles: list[str],
) -> None:
    _never_train(monkeypatch)
    make(tmp_path / "mnist")
    _fails(capsys, ["--data", str(tmp_path / "mnist"), "--train-size", "10"], "--data", *needles)


def test_a_train_size_the_data_cannot_give_is_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _never_train(monkeypatch)
    folder = _mnist_folder(tmp_path / "mnist", n=30)
    _fails(
        capsys,
        ["--data", str(folder), "--train-size", "30"],
        "--train-size: must be between 1 and 29",
        "holds 30 images, at least one held out",
        "got 30",
    )
    # The default, 8,000 images of the test set, does not fit a small set either: it says so.
    _fails(capsys, ["--data", str(folder)], "--train-size", "got 8000 (the default)")
    _fails(capsys, ["--train-size", str(10**30)], "--train-size", "1796", "built-in digits")


def test_an_unreadable_data_file_is_named(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _never_train(monkeypatch)
    folder = _mnist_folder(tmp_path / "mnist")

    def denied(path: Path) -> Any:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(data, "read_idx", denied)
    images = folder / "t10k-images-idx3-ubyte.gz"
    _fails(capsys, ["--data", str(folder)], f"--data: {images}: Permission denied")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads anything")
def test_unreadable_files_are_named(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _never_train(monkeypatch)
    folder = _mnist_folder(tmp_path / "mnist")
    labels = folder / "t10k-labels-idx1-ubyte.gz"
    labels.chmod(0)
    saved = _saved(tmp_path)
    saved.chmod(0)
    _fails(capsys, ["--data", str(folder)], f"--data: {labels}: Permission denied")
    _fails(capsys, ["--load", str(saved)], f"--load: {saved}: Permission denied")


# --- the standard split --------------------------------------------------------------------


def test_train_files_give_the_standard_split_up_to_60000(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "mnist"
    n = 60_000
    images = np.zeros((n, 2, 2), np.uint8)
    images[:, 0, 0] = np.arange(n) % 10 * 25
    _mnist_folder(folder, n=n, prefix="train", images=images)
    _mnist_folder(folder, n=100, prefix="t10k", images=images[:100])
    split = data.load_mnist(folder)
    assert (len(split.train_y), len(split.test_y)) == (60_000, 100)
    args = ["--data", str(folder), "--optimizer", "adam", "--batch-size", "20000"]
    args += ["--quiet", "--epochs", "1", "--hidden", "4", "4", "--no-plot"]
    mnist.main([*args, "--save", str(tmp_path / "n"), "--train-size", "60000"])
    out = capsys.readouterr().out
    assert "60000 training, 100 held out" in out
    assert "(train-* trains, t10k-* is held out)" in out
    _fails(capsys, [*args, "--train-size", "60001"], "--train-size", "between 1 and 60000")


# --- --load ------------------------------------------------------------------------------


def _saved(tmp_path: Path, legacy: bool = False, **replace: np.ndarray) -> Path:
    """A network of 64-8-6-10 saved as a checkpoint (or as before checkpoints: `legacy`), with
    the parameters in `replace` (`hidden1_w=...`) put in, unchecked."""
    net = mnist.init_network((64, 8, 6, 10))
    arrays = {f"{n}.{p}": getattr(getattr(net, n), p) for n in mnist.Network._fields for p in "wb"}
    arrays.update({k.replace("_", "."): v for k, v in replace.items()})
    path = tmp_path / "saved.npz"
    if legacy:
        np.savez(path, **arrays)  # type: ignore[arg-type]
    else:  # `_make`: no shape checks, so that a bad network can be saved
        layers = [
            mnist.Layer._make((arrays[f"{n}.w"], arrays[f"{n}.b"])) for n in mnist.Network._fields
        ]
        tp.save(path, mnist.Network._make(layers))
    return path


def _checkpoint(tmp_path: Path, params: object) -> Path:
    tp.save(tmp_path / "other.npz", params)
    return tmp_path / "other.npz"


@pytest.mark.parametrize(
    ("make", "needles"),
    [
        (lambda t: t / "missing.npz", ["missing.npz: No such file or directory"]),
        (lambda t: t, ["Is a directory"]),
        (lambda t: _write(t / "text.npz", b"hello"), ["not a saved network: not an .npz file"]),
        (lambda t: _npy(t / "a.npy"), ["not a saved network: not an .npz file"]),
        (
            lambda t: _write(t / "cut.npz", _saved(t).read_bytes()[:200]),
            ["not a saved network: a damaged zip file"],
        ),
        (
            lambda t: _saved(t, legacy=True, hidden1_w=np.array([object(), object()])),
            ["not a saved network: hidden1.w holds Python objects, which are never loaded"],
        ),
        (
            lambda t: _saved(t, legacy=True, output_b=np.full(10, np.inf)),
            ["output.b holds values that are not finite"],
        ),
        (
            lambda t: _checkpoint(t, {"w": np.zeros(3)}),
            ["not a saved network: missing hidden1.w, hidden1.b, hidden2.w"],
        ),
        (
            lambda t: _checkpoint(t, (mnist.init_network((64, 8, 6, 10)), np.zeros(2))),
            ["not a saved network: missing hidden1.w"],
        ),
        (
            lambda t: _saved(t, hidden1_w=np.zeros((8, 64), np.int64)),
            ["hidden1.w holds int64, not floats"],
        ),
        (
            lambda t: _saved(t, output_b=np.full(10, np.nan)),
            ["output.b holds values that are not finite"],
        ),
        (
            lambda t: _saved(t, output_w=np.zeros((7, 6)), output_b=np.zeros(7)),
            ["has 7 outputs, not one per digit (10)"],
        ),
        (
            lambda t: _saved(t, hidden1_w=np.zeros((8, 50))),
            ["takes 50 inputs; the images have 64 pixels"],
        ),
        (
            lambda t: _saved(t, hidden2_w=np.zeros((6, 9))),
            ["layer hidden2 takes 9 inputs, but the layer before has 8 outputs"],
        ),
    ],
    ids=[
        "missing",
        "folder",
        "text",
        "npy",
        "cut",
        "objects",
        "legacy-inf",
        "another-checkpoint",
        "a-network-and-more",
        "ints",
        "nan",
        "outputs",
        "inputs",
        "layers",
    ],
)
def test_a_load_file_that_is_not_a_network_is_refused(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    make: Callable[[Path], Path],
    needles: list[str],
) -> None:
    _never_train(monkeypatch)
    line = _fails(capsys, ["--load", str(make(tmp_path))], "--load", *needles)
    assert "allow_pickle" not in line


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def _npy(path: Path) -> Path:
    np.save(path, np.zeros(3))
    return path


def test_load_names_the_npz_that_save_wrote(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`--save x2` writes x2.npz and says so; `--load x2` then points there."""
    _run(tmp_path, "--no-plot", "--save", str(tmp_path / "x2"))
    assert f"saved the network to {tmp_path / 'x2.npz'}" in capsys.readouterr().out
    _fails(capsys, ["--load", str(tmp_path / "x2")], f"did you mean {tmp_path / 'x2.npz'}?")


def test_a_load_file_whose_sizes_differ_from_hidden_is_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    saved = _saved(tmp_path)
    _never_train(monkeypatch)
    _fails(
        capsys,
        ["--load", str(saved), "--hidden", "300", "100"],
        "--hidden 300 100: the network in",
        "has hidden layers of 8 and 6",
    )


def test_the_network_line_shows_the_loaded_sizes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    saved = _saved(tmp_path)
    args = ["--quiet", "--epochs", "1", "--train-size", "40", "--no-plot", "--load", str(saved)]
    mnist.main([*args, "--save", str(tmp_path / "again")])
    assert f"network 64-8-6-10 (from {saved})" in capsys.readouterr().out


# --- --save and --plot: checked before training -------------------------------------------


@pytest.mark.parametrize(
    ("flag", "make", "needles"),
    [
        ("--save", lambda t: _write(t / "file", b"") / "net.npz", ["is not a folder"]),
        ("--save", lambda t: _mkdir(t / "net.npz"), ["net.npz: is a folder"]),
        ("--plot", lambda t: _mkdir(t / "curves.png"), ["curves.png: is a folder"]),
        ("--plot", lambda t: _write(t / "file", b"") / "c.png", ["is not a folder"]),
        ("--plot", lambda t: t / "curves.txt", ["cannot write .txt files (only .png"]),
    ],
    ids=["save-under-a-file", "save-a-folder", "plot-a-folder", "plot-under-a-file", "plot-txt"],
)
def test_a_place_that_cannot_be_written_is_refused_before_training(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    flag: str,
    make: Callable[[Path], Path],
    needles: list[str],
) -> None:
    _never_train(monkeypatch)
    _fails(capsys, [*QUICK, flag, str(make(tmp_path))], flag, *needles)


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="no /proc (not Linux)")
@pytest.mark.parametrize("flag", ["--save", "--plot"])
def test_a_place_without_write_permission_is_refused_before_training(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, flag: str
) -> None:
    # /proc takes no new files, not even from root (a chmod-ed folder stops everyone else).
    _never_train(monkeypatch)
    _fails(capsys, [*QUICK, flag, "/proc/typedprop-test.png"], flag, "cannot write in /proc")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_folder_is_refused_before_training(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _never_train(monkeypatch)
    locked = _mkdir(tmp_path / "locked")
    locked.chmod(0o555)
    try:
        _fails(capsys, [*QUICK, "--save", str(locked / "n.npz")], "--save", "Permission denied")
    finally:
        locked.chmod(0o755)


def test_missing_folders_are_made_and_the_files_named(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    save, plot = tmp_path / "runs" / "a" / "net", tmp_path / "plots" / "b" / "curves"
    mnist.main([*QUICK, "--save", str(save), "--plot", str(plot)])
    out = capsys.readouterr().out
    assert f"saved the network to {save}.npz" in out
    assert f"wrote the training curves to {plot}.png" in out
    assert Path(f"{plot}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert mnist.sizes(mnist.load_network(f"{save}.npz")) == (64, 8, 6, 10)


# --- failures after training never lose the network ----------------------------------------


def test_a_missing_plotting_library_is_found_before_training(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _never_train(monkeypatch)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # import fails
    _fails(
        capsys, [*QUICK, "--save", str(tmp_path / "n")], "--plot", "need matplotlib", "--no-plot"
    )
    assert not list(tmp_path.iterdir())


def test_no_plot_runs_without_the_plotting_library(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    _run(tmp_path, "--no-plot")
    assert [p.name for p in tmp_path.iterdir()] == ["n.npz"]
    assert "training curves" not in capsys.readouterr().out


def test_a_plot_that_fails_after_training_leaves_the_network_saved(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def full(history: mnist.History, path: Path) -> None:
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(mnist, "_plot", full)
    _fails(
        capsys,
        [*QUICK, "--save", str(tmp_path / "n"), "--plot", str(tmp_path / "c.png")],
        "--plot: cannot write",
        "No space left on device",
        f"the network is saved to {tmp_path / 'n.npz'}",
    )
    assert mnist.sizes(mnist.load_network(tmp_path / "n.npz")) == (64, 8, 6, 10)


def test_a_save_that_fails_after_training_saves_elsewhere_and_says_where(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    save_network = mnist.save_network
    target = tmp_path / "n.npz"

    def full_here(net: mnist.Network, path: str | os.PathLike[str]) -> Path:
        if Path(path) == target:
            raise OSError(28, "No space left on device", str(path))
        return save_network(net, path)

    monkeypatch.setattr(mnist, "save_network", full_here)
    line = _fails(
        capsys,
        [*QUICK, "--save", str(target), "--no-plot"],
        f"--save: cannot write {target}",
        "No space left on device; the network is saved to",
    )
    elsewhere = Path(line.rsplit("saved to ", 1)[1])
    assert mnist.sizes(mnist.load_network(elsewhere)) == (64, 8, 6, 10)
    elsewhere.unlink()
    elsewhere.parent.rmdir()


def test_a_diverging_loss_is_a_clear_error_naming_lr(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = ["--optimizer", "adam", "--lr", "1e308", "--epochs", "1", "--hidden", "8", "6"]
    _fails(
        capsys,
        [*args, "--quiet", "--no-plot", "--save", str(tmp_path / "n")],
        "--lr: training diverged: the loss is",
        "a smaller one may help",
    )
    assert not list(tmp_path.iterdir())


def test_huge_sizes_are_refused_before_allocating(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _never_train(monkeypatch)
    _fails(capsys, ["--hidden", str(10**12), "5"], "--hidden", "GiB, more than this machine's")
    _fails(capsys, ["--hidden", "5", str(10**30)], "--hidden", "GiB")


def test_huge_but_harmless_values_give_a_right_answer(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A batch larger than the data is the whole of it; a huge seed is a seed."""
    _run(tmp_path, "--optimizer", "adam", "--batch-size", str(10**30), "--seed", str(10**30))
    assert "adam, 1 epoch, batch 40," in capsys.readouterr().out


# --- Ctrl-C --------------------------------------------------------------------------------


def test_ctrl_c_in_training_saves_the_network_trained_so_far(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def interrupted(*args: Any) -> float:
        raise KeyboardInterrupt  # at the end of the first epoch, after its 40 steps

    monkeypatch.setattr(mnist, "accuracy", interrupted)
    with pytest.raises(SystemExit) as exit_:
        _run(tmp_path, "--epochs", "3")
    assert exit_.value.code == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip() == (
        f"{PROG}: interrupted after 40 steps (0 of 3 epochs done); the network trained so far "
        f"is saved to {tmp_path / 'n.npz'}"
    )
    assert mnist.sizes(mnist.load_network(tmp_path / "n.npz")) == (64, 8, 6, 10)


def test_ctrl_c_before_a_step_saves_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def interrupted(*args: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(mnist, "backprop", interrupted)
    with pytest.raises(SystemExit) as exit_:
        _run(tmp_path, "--optimizer", "adam")
    assert exit_.value.code == 130
    assert capsys.readouterr().err.strip() == f"{PROG}: interrupted"
    assert not list(tmp_path.iterdir())


def test_train_raises_an_interrupt_holding_the_network() -> None:
    split = data.load_digits(seed=0, n_train=20)
    calls = 0

    def once(*args: Any) -> float:
        nonlocal calls
        calls += 1
        if calls == 3:  # the second epoch's first accuracy
            raise KeyboardInterrupt
        return 0.5

    net = mnist.init_network((64, 8, 6, 10))
    with pytest.MonkeyPatch.context() as m:
        m.setattr(mnist, "accuracy", once)
        with pytest.raises(mnist.TrainingInterrupted) as stop:
            mnist.train(net, split, epochs=5)
    assert isinstance(stop.value, KeyboardInterrupt)
    assert (stop.value.epoch, stop.value.steps, len(stop.value.history.train_loss)) == (2, 40, 1)
    assert not np.array_equal(stop.value.network.output.w, net.output.w)


# --- what the report says ----------------------------------------------------------------


def test_quiet_hides_the_progress_bar_only(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pytest.importorskip("tqdm")
    args = ["--epochs", "2", "--hidden", "8", "6", "--train-size", "40", "--no-plot"]
    args += ["--save", str(tmp_path / "n")]
    mnist.main([*args, "--quiet"])
    quiet = capsys.readouterr()
    mnist.main(args)
    loud = capsys.readouterr()
    assert quiet.err == "" and "epoch 1/2" in loud.err  # the bar, on stderr

    def report(out: str) -> list[str]:
        return [re.sub(r"in [0-9.]+ s", "in _ s", line) for line in out.splitlines()]

    assert report(quiet.out) == report(loud.out)
    epochs = [line.split(": ")[0] for line in report(quiet.out) if line.startswith("epoch ")]
    assert epochs == ["epoch 1/2", "epoch 2/2"]


def test_one_epoch_is_singular(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _run(tmp_path)
    out = capsys.readouterr().out
    assert "sgd, 1 epoch, batch 1" in out and "after 1 epoch in" in out
    assert "1 epochs" not in out


def test_help_shows_every_default(capsys: pytest.CaptureFixture[str]) -> None:
    parser = mnist._parser()
    for action in parser._actions:
        if action.dest != "help":
            assert "(default: " in (action.help or ""), action.dest
    with pytest.raises(SystemExit) as exit_:
        mnist.main(["--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for shown in ("default: mnist-network.npz", "default: mnist-training.png", "300 100", "0.02"):
        assert shown in text


def test_an_unexpected_error_is_one_line_from_the_command(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command's last resort: a bug still gets one line (and exit status 1), not a
    traceback."""

    def bug(argv: Any) -> float:
        raise RuntimeError("something no check foresaw")

    monkeypatch.setattr(mnist, "main", bug)
    monkeypatch.setattr(sys, "argv", [PROG])
    with pytest.raises(SystemExit) as exit_:
        mnist._cli()
    assert exit_.value.code == 1
    assert capsys.readouterr().err == (
        f"{PROG}: error: unexpected RuntimeError: something no check foresaw (a bug: please "
        "report it with the command line)\n"
    )


# --- real processes: what reaches stderr -----------------------------------------------------


def _command() -> list[str]:
    script = Path(sys.executable).parent / PROG
    return [str(script)] if script.exists() else [sys.executable, "-m", "typedprop.mnist"]


def test_bad_input_reaches_a_real_stderr_as_one_line(tmp_path: Path) -> None:
    """Several bad command lines at once, in real processes (the installed command and
    `python -m`): exit status 2, no traceback, the last line naming the flag or file."""
    folder = _mnist_folder(tmp_path / "mnist", n=200)
    _damaged("cut")(folder)
    (tmp_path / "text.npz").write_text("not a network")
    cases = {
        "--epochs": ["--epochs", "0"],
        "t10k-images-idx3-ubyte.gz": ["--data", str(folder)],
        "text.npz": ["--load", str(tmp_path / "text.npz")],
    }
    commands = [_command(), [sys.executable, "-m", "typedprop.mnist"]]
    runs = {
        needle: subprocess.Popen(
            [*commands[i % 2], *args, "--save", str(tmp_path / "n")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i, (needle, args) in enumerate(cases.items())
    }
    for needle, run in runs.items():
        out, err = run.communicate(timeout=120)
        assert run.returncode == 2, err
        assert "Traceback" not in err and out == ""
        last = err.strip().splitlines()[-1]
        assert last.startswith(f"{PROG}: error: ") and needle in last, err


def test_ctrl_c_in_a_real_process_exits_cleanly(tmp_path: Path) -> None:
    run = subprocess.Popen(
        [*_command(), "--epochs", "1000", "--hidden", "8", "6", "--no-plot", "--quiet"]
        + ["--save", str(tmp_path / "n")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    assert run.stdout is not None
    assert run.stdout.readline().startswith("data: ")
    assert run.stdout.readline().startswith("epoch 1/1000: ")  # training is under way
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 130, err
    assert "Traceback" not in err
    assert re.fullmatch(
        rf"{PROG}: interrupted after \d+ steps \(\d+ of 1000 epochs done\); the network "
        rf"trained so far is saved to {re.escape(str(tmp_path / 'n.npz'))}",
        err.strip(),
    ), err
    assert mnist.sizes(mnist.load_network(tmp_path / "n.npz")) == (64, 8, 6, 10)
