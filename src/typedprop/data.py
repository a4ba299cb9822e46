"""Data for the examples: an IDX reader (MNIST's file format), MNIST from a folder of IDX files,
and the small handwritten digits that scikit-learn bundles, which need no download.

The IDX reader trusts nothing in a file: it checks the magic number, the element type, the
number and sizes of the dimensions, and that the data has exactly the length the header
promises, before it allocates anything the header asks for; a damaged gzip file (a bad header,
cut short, a corrupt stream) is caught too. A bad file raises `IDXError` naming the file and
saying what is wrong.

!!! example
    ```python
    >>> import gzip, tempfile, pathlib
    >>> import numpy as np
    >>> from typedprop import data
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny-idx2-ubyte.gz"
    >>> _ = path.write_bytes(gzip.compress(bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, *range(6)])))
    >>> data.read_idx(path)
    array([[0, 1, 2],
           [3, 4, 5]], dtype=uint8)
    ```
"""

import gzip
import os
import stat
import zlib
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

__all__ = ["IDXError", "Split", "SplitSizeError", "load_digits", "load_mnist", "read_idx"]

# IDX element type codes and their big-endian numpy dtypes.
_TYPES: dict[int, str] = {
    0x08: ">u1",
    0x09: ">i1",
    0x0B: ">i2",
    0x0C: ">i4",
    0x0D: ">f4",
    0x0E: ">f8",
}
# Deflate expands at most about 1032 times: a gzip file cannot hold more than this many bytes
# per compressed byte, so a header asking for more is lying (checked before reading).
_DEFLATE_MAX_RATIO = 1032


class IDXError(ValueError):
    """A file that is not a well-formed IDX file, or not the MNIST data `load_mnist` expects;
    the message names the file and says what is wrong."""


class SplitSizeError(ValueError):
    """A training size (`n_train`) that the data cannot give: `largest` is the most it can be,
    `detail` says why."""

    def __init__(self, n_train: int, largest: int, detail: str) -> None:
        super().__init__(f"n_train must be between 1 and {largest} ({detail}), got {n_train}")
        self.n_train = n_train
        self.largest = largest
        self.detail = detail


def _read_exactly(f: Any, n: int, path: Path, what: str) -> bytes:
    """The next `n` bytes of `f`, or IDXError if the file ends first."""
    chunks: list[bytes] = []
    remaining = n
    while remaining > 0:
        chunk = f.read(min(remaining, 1 << 20))
        if not chunk:
            got = n - remaining
            raise IDXError(f"{path}: truncated: {what} needs {n} bytes, the file has {got}")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_idx(path: str | os.PathLike[str]) -> np.ndarray[tuple[Any, ...], np.dtype[Any]]:
    """The array stored in the IDX file at `path` (gzip-compressed if it ends in `.gz`), in
    native byte order.

    Raises `IDXError`, naming the file, for a bad magic number, an unknown element type, a
    header that promises more data than the file can hold, a truncated file, bytes after the
    data, a path that is not a regular file, or a damaged gzip file (a bad gzip header, a
    stream cut short, a corrupt stream or checksum). A file that cannot be opened raises
    `OSError` as `open` does.

    !!! example
        ```python
        >>> import tempfile, pathlib
        >>> from typedprop import data
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "bad-idx1-ubyte"
        >>> _ = path.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 5, 1, 2]))
        >>> try:
        ...     data.read_idx(path)
        ... except data.IDXError as e:
        ...     print(str(e).split(": ", 1)[1])
        truncated: the data (5 elements of uint8) needs 5 bytes, the file has 2
        ```
    """
    path = Path(path)
    compressed = path.suffix == ".gz"
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise IDXError(f"{path}: not a regular file")
    opener: Any = gzip.open if compressed else open
    with opener(path, "rb") as f:
        try:
            dims, dtype, raw = _read_idx(f, path, compressed, info.st_size)
        # What gzip raises for a damaged file: a bad header or checksum (BadGzipFile), a stream
        # cut short (EOFError), a corrupt deflate stream (zlib.error).
        except gzip.BadGzipFile as e:
            raise IDXError(f"{path}: damaged gzip file: {_lower(e)}") from None
        except EOFError:
            raise IDXError(
                f"{path}: damaged gzip file: cut short (the stream ends early)"
            ) from None
        except zlib.error as e:
            raise IDXError(f"{path}: damaged gzip file: corrupt stream ({e})") from None
    return np.frombuffer(raw, dtype).astype(dtype.newbyteorder("="), copy=True).reshape(dims)


def _lower(e: BaseException) -> str:
    """The message of `e` to follow a colon: "Not a gzipped file" as "not a ...", but "CRC"
    kept."""
    text = str(e)
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _read_idx(
    f: Any, path: Path, compressed: bool, size: int
) -> tuple[tuple[int, ...], np.dtype[Any], bytes]:
    """The dimensions, element type and data bytes of the open IDX file `f`, checked."""
    header = _read_exactly(f, 4, path, "the magic number")
    if header[0] != 0 or header[1] != 0:
        hint = " (it looks gzip-compressed: name it .gz)" if header[:2] == b"\x1f\x8b" else ""
        raise IDXError(
            f"{path}: not an IDX file: the magic number must start with two zero bytes, "
            f"got {header[:2].hex()}{hint}"
        )
    if header[2] not in _TYPES:
        known = ", ".join(f"0x{k:02x}" for k in _TYPES)
        raise IDXError(f"{path}: unknown element type 0x{header[2]:02x} (known: {known})")
    dtype = np.dtype(_TYPES[header[2]])
    ndim = header[3]
    if ndim == 0:
        raise IDXError(f"{path}: the header declares 0 dimensions")
    dims = tuple(
        int(d) for d in np.frombuffer(_read_exactly(f, 4 * ndim, path, "the dimensions"), ">u4")
    )
    count = 1
    for d in dims:
        count *= d
    nbytes = count * dtype.itemsize
    what = f"the data ({count} elements of {dtype.name})"
    if compressed and nbytes > size * _DEFLATE_MAX_RATIO:
        raise IDXError(
            f"{path}: the header promises {dims} elements of {dtype.name} ({nbytes} bytes), "
            f"more than a gzip file of {size} bytes can hold"
        )
    if not compressed and nbytes > size - 4 - 4 * ndim:
        raise IDXError(
            f"{path}: truncated: {what} needs {nbytes} bytes, the file has {size - 4 - 4 * ndim}"
        )
    raw = _read_exactly(f, nbytes, path, what)
    if f.read(1):
        raise IDXError(f"{path}: oversized: bytes follow {what}")
    return dims, dtype, raw


class Split(NamedTuple):
    """A dataset split into training and held-out parts: images as float rows in [0, 1],
    labels as integers."""

    train_x: np.ndarray[tuple[int, int], np.dtype[np.float64]]
    train_y: np.ndarray[tuple[int], np.dtype[np.int64]]
    test_x: np.ndarray[tuple[int, int], np.dtype[np.float64]]
    test_y: np.ndarray[tuple[int], np.dtype[np.int64]]


def _rows(images: Any, labels: Any) -> tuple[Any, Any]:
    """Images as float rows (one per image), labels as int64."""
    x = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
    return x, np.asarray(labels, dtype=np.int64)


def _split(images: Any, labels: Any, n_train: int) -> Split:
    x, y = _rows(images, labels)
    return Split(x[:n_train], y[:n_train], x[n_train:], y[n_train:])


def _check_size(n_train: int, largest: int, detail: str) -> None:
    if not 1 <= n_train <= largest:
        raise SplitSizeError(n_train, largest, detail)


def _find(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.exists():
            return candidate
    return None


def _read_set(images_path: Path, labels_path: Path) -> tuple[Any, Any]:
    """One MNIST set: images (n, rows, columns) and labels (n,), both unsigned bytes, checked
    to go together and the labels to be digits."""
    images, labels = read_idx(images_path), read_idx(labels_path)
    for path, array, ndim, what in (
        (images_path, images, 3, "images"),
        (labels_path, labels, 1, "labels"),
    ):
        if array.ndim != ndim or array.dtype != np.uint8:
            raise IDXError(
                f"{path}: MNIST {what} are a {ndim}-dimensional array of unsigned bytes; the "
                f"file holds a {array.ndim}-dimensional array of {array.dtype.name}"
            )
    if len(images) != len(labels):
        raise IDXError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels"
        )
    if len(images) == 0:
        raise IDXError(f"{images_path}: holds no images")
    if images.shape[1] * images.shape[2] == 0:
        raise IDXError(f"{images_path}: images of {images.shape[1]} x {images.shape[2]} pixels")
    bad = np.flatnonzero(labels > 9)
    if len(bad):
        raise IDXError(
            f"{labels_path}: label {labels[bad[0]]} (at index {bad[0]}) is not a digit 0-9"
        )
    return images, labels


def load_mnist(folder: str | os.PathLike[str], n_train: int | None = None) -> Split:
    """MNIST from the IDX files in `folder`, pixels scaled to [0, 1].

    With both sets present, the training set (`train-images-idx3-ubyte[.gz]`,
    `train-labels-idx1-ubyte[.gz]`) and the test set (`t10k-...`), this is MNIST's standard
    split: the first `n_train` training images train (all 60,000 by default) and the 10,000
    test images are held out. With one set only (this project has the test set alone), its
    first `n_train` images train (8,000 by default) and the rest are held out.

    Raises `FileNotFoundError` or `NotADirectoryError` for a folder that is missing, is a file,
    or holds no set (or one file of a pair), `IDXError` naming the file for a damaged file or
    one that is not MNIST data (not unsigned bytes, images and labels of different counts,
    labels that are not digits), `SplitSizeError` for an `n_train` the data cannot give, and
    `OSError` for a file that cannot be read.

    !!! example
        ```python
        >>> from pathlib import Path
        >>> from typedprop import data
        >>> folder = Path("../shared/data/mnist")
        >>> if folder.exists():
        ...     split = data.load_mnist(folder)
        ...     print(split.train_x.shape, split.test_x.shape)
        ... else:
        ...     print((8000, 784), (2000, 784))
        (8000, 784) (2000, 784)
        ```
    """
    folder = Path(folder)
    if not folder.exists():
        raise FileNotFoundError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder}: not a folder")
    sets: dict[str, tuple[Path, Path]] = {}
    for prefix in ("train", "t10k"):
        names = (f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte")
        images, labels = (_find(folder, name) for name in names)
        if images is not None and labels is not None:
            sets[prefix] = (images, labels)
        elif images is not None:
            raise FileNotFoundError(f"{folder}: {images.name} is here but not {names[1]}[.gz]")
        elif labels is not None:
            raise FileNotFoundError(f"{folder}: {labels.name} is here but not {names[0]}[.gz]")
    if not sets:
        raise FileNotFoundError(
            f"{folder}: no MNIST files (t10k-images-idx3-ubyte[.gz] and "
            "t10k-labels-idx1-ubyte[.gz], or the same named train-...)"
        )
    read = {prefix: _read_set(*paths) for prefix, paths in sets.items()}
    if len(read) == 2:
        (train_images, train_labels), (test_images, test_labels) = read["train"], read["t10k"]
        if train_images.shape[1:] != test_images.shape[1:]:
            raise IDXError(
                f"{sets['train'][0]} holds images of {train_images.shape[1:]} pixels but "
                f"{sets['t10k'][0]} holds images of {test_images.shape[1:]}"
            )
        n = len(train_images) if n_train is None else n_train
        _check_size(n, len(train_images), f"{sets['train'][0]} holds {len(train_images)} images")
        return Split(
            *_rows(train_images[:n] / 255.0, train_labels[:n]),
            *_rows(test_images / 255.0, test_labels),
        )
    ((prefix, (images, labels)),) = read.items()
    n = 8000 if n_train is None else n_train
    where = sets[prefix][0]
    if len(images) < 2:
        raise IDXError(f"{where}: holds 1 image; a split needs 2 (one trains, one is held out)")
    _check_size(n, len(images) - 1, f"{where} holds {len(images)} images, at least one held out")
    return _split(images / 255.0, labels, n)


def load_digits(seed: int = 0, held_out: float = 0.2, n_train: int | None = None) -> Split:
    """The 1,797 8x8 handwritten digits bundled with scikit-learn (the `examples` extra), pixels
    scaled to [0, 1], shuffled with `seed` and split into training and `held_out` parts; or,
    given `n_train`, the first `n_train` shuffled digits train and the rest are held out
    (`SplitSizeError` unless it is between 1 and 1,796).

    !!! example
        ```python
        >>> from typedprop import data
        >>> split = data.load_digits(seed=0)
        >>> split.train_x.shape, split.test_x.shape
        ((1438, 64), (359, 64))
        >>> data.load_digits(seed=0, n_train=100).test_x.shape
        (1697, 64)
        ```
    """
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        raise ImportError(
            "the built-in digits need scikit-learn: pip install 'typedprop[examples]'"
        ) from None
    digits = sklearn_digits()
    order = np.random.default_rng(seed).permutation(len(digits.target))
    if n_train is None:
        n_train = len(order) - int(round(held_out * len(order)))
    _check_size(
        n_train,
        len(order) - 1,
        f"{len(order)} built-in digits, at least one held out",
    )
    return _split(digits.data[order] / 16.0, digits.target[order], n_train)
