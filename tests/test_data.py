"""typedprop.data: the IDX reader on small good and broken files, the built-in digits, and the
real MNIST test set where it is present (skipped elsewhere)."""

import gzip
import re
import struct
from pathlib import Path

import numpy as np
import pytest

from typedprop import data

MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


def _idx(array: np.ndarray, code: int) -> bytes:
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def _write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(gzip.compress(content) if name.endswith(".gz") else content)
    return path


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize(
    ("dtype", "code"),
    [(np.uint8, 0x08), (np.int8, 0x09), (np.int16, 0x0B), (np.int32, 0x0C)]
    + [(np.float32, 0x0D), (np.float64, 0x0E)],
)
def test_reads_every_element_type(tmp_path: Path, suffix: str, dtype: type, code: int) -> None:
    expected = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    if dtype is np.uint8:
        expected = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    got = data.read_idx(_write(tmp_path, f"a-idx3{suffix}", _idx(expected, code)))
    assert got.dtype == np.dtype(dtype) and got.dtype.isnative
    np.testing.assert_array_equal(got, expected)
    got[0, 0, 0] = 1  # a writable array, not a view of the file's bytes


GOOD = bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6])


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "truncated: the magic number needs 4 bytes, the file has 0"),
        (bytes([0, 0, 8]), "truncated: the magic number needs 4 bytes, the file has 3"),
        (
            bytes([8, 3, 0, 0]) + GOOD[4:],
            "not an IDX file: the magic number must start with two zero bytes, got 0803",
        ),
        (bytes([0, 0, 7, 2]) + GOOD[4:], "unknown element type 0x07"),
        (bytes([0, 0, 8, 0]), "the header declares 0 dimensions"),
        (GOOD[:10], "truncated: the dimensions needs 8 bytes, the file has 6"),
        (GOOD + b"\x00", "oversized: bytes follow the data (6 elements of uint8)"),
    ],
    ids=["empty", "short-magic", "bad-magic", "bad-type", "no-dims", "short-dims", "oversized"],
)
def test_broken_files_are_refused(
    tmp_path: Path, suffix: str, content: bytes, message: str
) -> None:
    path = _write(tmp_path, f"bad{suffix}", content)
    with pytest.raises(data.IDXError, match=re.escape(f"{path}: {message}")):
        data.read_idx(path)


def test_truncated_data_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "short", GOOD[:-2])
    with pytest.raises(
        data.IDXError,
        match=re.escape("truncated: the data (6 elements of uint8) needs 6 bytes, the file has 4"),
    ):
        data.read_idx(path)
    path = _write(tmp_path, "short.gz", GOOD[:-2])
    with pytest.raises(
        data.IDXError,
        match=re.escape("truncated: the data (6 elements of uint8) needs 6 bytes, the file has 4"),
    ):
        data.read_idx(path)


def test_a_header_promising_too_much_is_refused_before_reading(tmp_path: Path) -> None:
    # 4 billion x 4 billion doubles: allocating from this header would fail or hang.
    header = bytes([0, 0, 0x0E, 2]) + struct.pack(">2I", 2**32 - 1, 2**32 - 1)
    raw = _write(tmp_path, "huge", header + bytes(16))
    with pytest.raises(
        data.IDXError,
        match=re.escape("truncated: the data (18446744065119617025 elements of float64)"),
    ):
        data.read_idx(raw)
    packed = _write(tmp_path, "huge.gz", header + bytes(16))
    with pytest.raises(data.IDXError, match="more than a gzip file of [0-9]+ bytes can hold"):
        data.read_idx(packed)


def test_load_mnist_from_a_folder_of_small_files(tmp_path: Path) -> None:
    images = np.arange(5 * 28 * 28, dtype=np.uint64).reshape(5, 28, 28) % 256
    _write(tmp_path, "t10k-images-idx3-ubyte.gz", _idx(images.astype(np.uint8), 0x08))
    _write(tmp_path, "t10k-labels-idx1-ubyte", _idx(np.array([3, 1, 4, 1, 5], np.uint8), 0x08))
    split = data.load_mnist(tmp_path, n_train=3)
    assert split.train_x.shape == (3, 784) and split.test_x.shape == (2, 784)
    assert split.train_x.max() <= 1.0 and split.train_y.tolist() == [3, 1, 4]
    assert split.test_y.dtype == np.int64


def test_load_mnist_refuses_labels_that_do_not_match(tmp_path: Path) -> None:
    _write(tmp_path, "t10k-images-idx3-ubyte", _idx(np.zeros((5, 2, 2), np.uint8), 0x08))
    _write(tmp_path, "t10k-labels-idx1-ubyte", _idx(np.zeros(4, np.uint8), 0x08))
    with pytest.raises(
        data.IDXError,
        match=re.escape("images of shape (5, 2, 2) do not go with labels of shape (4,)"),
    ):
        data.load_mnist(tmp_path, n_train=2)


def test_load_mnist_names_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no images-idx3-ubyte file"):
        data.load_mnist(tmp_path)


def test_built_in_digits_split_reproducibly() -> None:
    a, b = data.load_digits(seed=3), data.load_digits(seed=3)
    assert a.train_x.shape == (1438, 64) and a.test_x.shape == (359, 64)
    np.testing.assert_array_equal(a.test_y, b.test_y)
    assert 0.0 <= a.train_x.min() and a.train_x.max() <= 1.0
    assert sorted(set(a.train_y.tolist())) == list(range(10))


@pytest.mark.skipif(not MNIST.exists(), reason="the MNIST test set is not at ../shared/data/mnist")
def test_real_mnist_test_set() -> None:
    split = data.load_mnist(MNIST)
    assert split.train_x.shape == (8000, 784) and split.test_x.shape == (2000, 784)
    counts = np.bincount(np.concatenate([split.train_y, split.test_y]))
    assert counts.tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
