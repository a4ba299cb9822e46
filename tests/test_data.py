"""typedprop.data: the IDX reader on small good and broken files, the built-in digits, and the
real MNIST test set where it is present (skipped elsewhere)."""

import gzip
import re
import struct
from collections.abc import Callable
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
        match=re.escape("t10k-images-idx3-ubyte holds 5 images but "),
    ):
        data.load_mnist(tmp_path, n_train=2)


def test_load_mnist_names_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no MNIST files .t10k-images-idx3-ubyte"):
        data.load_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match="absent: no such folder"):
        data.load_mnist(tmp_path / "absent")
    _write(tmp_path, "t10k-labels-idx1-ubyte", _idx(np.zeros(4, np.uint8), 0x08))
    with pytest.raises(NotADirectoryError, match="t10k-labels-idx1-ubyte: not a folder"):
        data.load_mnist(tmp_path / "t10k-labels-idx1-ubyte")
    with pytest.raises(
        FileNotFoundError,
        match="t10k-labels-idx1-ubyte is here but not t10k-images-idx3-ubyte\\[.gz\\]",
    ):
        data.load_mnist(tmp_path)


def _good_gzip(tmp_path: Path) -> bytes:
    """A gzip file of an IDX file long enough that damage lands inside the deflate stream."""
    values = np.random.default_rng(0).integers(0, 256, size=(50, 10, 10), dtype=np.uint8)
    path = _write(tmp_path, "good.gz", _idx(values, 0x08))
    assert data.read_idx(path).shape == (50, 10, 10)
    return path.read_bytes()


def _flip(b: bytes, at: int) -> bytes:
    return b[:at] + bytes([b[at] ^ 0xFF]) + b[at + 1 :]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda b: b"\x00" + b[1:], "damaged gzip file: not a gzipped file"),
        (lambda b: b[:2] + b"\x07" + b[3:], "damaged gzip file: unknown compression method"),
        (lambda b: b[:5], "damaged gzip file: cut short"),
        (lambda b: b[:12], "damaged gzip file: cut short"),
        (lambda b: b[: len(b) // 2], "damaged gzip file: cut short"),
        (lambda b: b[:-4], "damaged gzip file: cut short"),
        (lambda b: b[:-1], "damaged gzip file: cut short"),
        (lambda b: _flip(b, 12), "damaged gzip file: corrupt stream"),
        (lambda b: _flip(b, len(b) - 6), "damaged gzip file: CRC check failed"),
        (lambda b: _flip(b, len(b) - 2), "damaged gzip file: incorrect length"),
        (lambda b: b"plain text, no gzip at all", "damaged gzip file: not a gzipped file"),
        (lambda b: b + b"trailing junk", "damaged gzip file: not a gzipped file"),
    ],
    ids=[
        "bad-magic",
        "bad-method",
        "cut-in-header",
        "cut-after-header",
        "cut-in-stream",
        "cut-in-trailer",
        "cut-last-byte",
        "corrupt-stream",
        "bad-crc",
        "bad-length",
        "not-gzip",
        "trailing-junk",
    ],
)
def test_a_damaged_gzip_file_raises_idx_error_naming_it(
    tmp_path: Path, damage: Callable[[bytes], bytes], message: str
) -> None:
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(damage(_good_gzip(tmp_path)))
    with pytest.raises(data.IDXError, match=f"^{re.escape(f'{path}: {message}')}"):
        data.read_idx(path)


def test_every_cut_of_a_gzip_file_raises_idx_error(tmp_path: Path) -> None:
    good = _good_gzip(tmp_path)
    path = tmp_path / "cut.gz"
    for n in [*range(20), *range(20, len(good), len(good) // 50)]:  # the header byte by byte
        path.write_bytes(good[:n])
        with pytest.raises(data.IDXError, match=f"^{re.escape(str(path))}: "):
            data.read_idx(path)


def test_a_path_that_is_not_a_regular_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(data.IDXError, match="not a regular file"):
        data.read_idx(tmp_path)
    with pytest.raises(FileNotFoundError):
        data.read_idx(tmp_path / "absent")


def test_an_uncompressed_name_for_a_gzip_file_gets_a_hint(tmp_path: Path) -> None:
    path = _write(tmp_path, "t10k-labels-idx1-ubyte", gzip.compress(GOOD))
    with pytest.raises(data.IDXError, match=re.escape("got 1f8b (it looks gzip-compressed")):
        data.read_idx(path)


def _mnist_set(folder: Path, prefix: str, images: np.ndarray, labels: np.ndarray) -> None:
    _write(folder, f"{prefix}-images-idx3-ubyte.gz", _idx(images, 0x08))
    _write(folder, f"{prefix}-labels-idx1-ubyte.gz", _idx(labels, 0x08))


def test_train_and_test_files_give_the_standard_split(tmp_path: Path) -> None:
    train = np.arange(12 * 4, dtype=np.uint8).reshape(12, 2, 2)
    test = np.full((5, 2, 2), 255, np.uint8)
    _mnist_set(tmp_path, "train", train, np.arange(12, dtype=np.uint8) % 10)
    _mnist_set(tmp_path, "t10k", test, np.arange(5, dtype=np.uint8))
    split = data.load_mnist(tmp_path)
    assert split.train_x.shape == (12, 4) and split.test_x.shape == (5, 4)
    assert split.test_y.tolist() == [0, 1, 2, 3, 4] and split.test_x.min() == 1.0
    split = data.load_mnist(tmp_path, n_train=12)  # all of the training set: allowed
    assert len(split.train_y) == 12 and len(split.test_y) == 5
    split = data.load_mnist(tmp_path, n_train=3)
    assert split.train_y.tolist() == [0, 1, 2] and len(split.test_y) == 5
    with pytest.raises(data.SplitSizeError, match="between 1 and 12 .* got 13") as e:
        data.load_mnist(tmp_path, n_train=13)
    assert (e.value.n_train, e.value.largest) == (13, 12)


def test_one_set_keeps_at_least_one_image_held_out(tmp_path: Path) -> None:
    _mnist_set(tmp_path, "t10k", np.zeros((5, 2, 2), np.uint8), np.zeros(5, np.uint8))
    assert len(data.load_mnist(tmp_path, n_train=4).test_y) == 1
    for n in (0, 5, 8000):
        with pytest.raises(data.SplitSizeError, match=f"between 1 and 4 .*got {n}$"):
            data.load_mnist(tmp_path, n_train=n)
    with pytest.raises(data.SplitSizeError, match="got 8000"):
        data.load_mnist(tmp_path)  # the default, 8,000: more than this set holds


@pytest.mark.parametrize(
    ("images", "labels", "message"),
    [
        (np.zeros((3, 2, 2), np.uint8), np.array([0, 10, 3], np.uint8), "label 10 (at index 1)"),
        (np.zeros((3, 2, 2), np.uint8), np.array([0, 1], np.uint8), "holds 2 labels"),
        (np.zeros((3, 4), np.uint8), np.zeros(3, np.uint8), "images are a 3-dimensional"),
        (np.zeros((3, 2, 2), np.uint8), np.zeros((3, 1), np.uint8), "labels are a 1-dimensional"),
        (np.zeros((3, 2, 2), np.float32), np.zeros(3, np.uint8), "array of float32"),
        (np.zeros((0, 2, 2), np.uint8), np.zeros(0, np.uint8), "holds no images"),
        (np.zeros((3, 2, 0), np.uint8), np.zeros(3, np.uint8), "images of 2 x 0 pixels"),
        (np.zeros((1, 2, 2), np.uint8), np.zeros(1, np.uint8), "holds 1 image; a split needs 2"),
    ],
    ids=["label-range", "counts", "images-2d", "labels-2d", "floats", "none", "no-pixels", "one"],
)
def test_files_that_are_not_mnist_are_refused_naming_the_file(
    tmp_path: Path, images: np.ndarray, labels: np.ndarray, message: str
) -> None:
    codes = {np.dtype(np.uint8): 0x08, np.dtype(np.float32): 0x0D}
    _write(tmp_path, "t10k-images-idx3-ubyte", _idx(images, codes[images.dtype]))
    _write(tmp_path, "t10k-labels-idx1-ubyte", _idx(labels, 0x08))
    with pytest.raises(data.IDXError, match=re.escape(message)) as e:
        data.load_mnist(tmp_path, n_train=1)
    assert str(tmp_path) in str(e.value)


def test_train_and_test_images_of_different_sizes_are_refused(tmp_path: Path) -> None:
    _mnist_set(tmp_path, "train", np.zeros((4, 2, 2), np.uint8), np.zeros(4, np.uint8))
    _mnist_set(tmp_path, "t10k", np.zeros((4, 3, 3), np.uint8), np.zeros(4, np.uint8))
    with pytest.raises(data.IDXError, match=re.escape("images of (2, 2) pixels but")):
        data.load_mnist(tmp_path)


def test_built_in_digits_with_a_training_size() -> None:
    split = data.load_digits(seed=0, n_train=100)
    assert split.train_x.shape == (100, 64) and split.test_x.shape == (1697, 64)
    np.testing.assert_array_equal(split.train_y, data.load_digits(seed=0).train_y[:100])
    with pytest.raises(data.SplitSizeError, match="between 1 and 1796"):
        data.load_digits(n_train=1797)


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
