"""Data for the examples: an IDX reader (MNIST's file format), MNIST from a folder of IDX files,
and the small handwritten digits that scikit-learn bundles, which need no download.

The IDX reader trusts nothing in a file: it checks the magic number, the element type, the
number and sizes of the dimensions, and that the data has exactly the length the header
promises, before it allocates anything the header asks for. A bad file raises `IDXError`
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
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

__all__ = ["IDXError", "Split", "load_digits", "load_mnist", "read_idx"]

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
    """A file that is not a well-formed IDX file; the message says what is wrong."""


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

    Raises `IDXError` for a bad magic number, an unknown element type, a header that promises
    more data than the file can hold, a truncated file, or bytes after the data.

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
    size = path.stat().st_size
    opener: Any = gzip.open if compressed else open
    with opener(path, "rb") as f:
        header = _read_exactly(f, 4, path, "the magic number")
        if header[0] != 0 or header[1] != 0:
            raise IDXError(
                f"{path}: not an IDX file: the magic number must start with two zero bytes, "
                f"got {header[:2].hex()}"
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
                f"{path}: truncated: {what} needs {nbytes} bytes, the file has "
                f"{size - 4 - 4 * ndim}"
            )
        raw = _read_exactly(f, nbytes, path, what)
        if f.read(1):
            raise IDXError(f"{path}: oversized: bytes follow {what}")
    return np.frombuffer(raw, dtype).astype(dtype.newbyteorder("="), copy=True).reshape(dims)


class Split(NamedTuple):
    """A dataset split into training and held-out parts: images as float rows in [0, 1],
    labels as integers."""

    train_x: np.ndarray[tuple[int, int], np.dtype[np.float64]]
    train_y: np.ndarray[tuple[int], np.dtype[np.int64]]
    test_x: np.ndarray[tuple[int, int], np.dtype[np.float64]]
    test_y: np.ndarray[tuple[int], np.dtype[np.int64]]


def _split(images: Any, labels: Any, n_train: int) -> Split:
    x = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
    y = np.asarray(labels, dtype=np.int64)
    return Split(x[:n_train], y[:n_train], x[n_train:], y[n_train:])


def load_mnist(folder: str | os.PathLike[str], n_train: int = 8000) -> Split:
    """MNIST from the IDX files in `folder`: the test set `t10k-images-idx3-ubyte[.gz]` and
    `t10k-labels-idx1-ubyte[.gz]` (or the training set `train-...` where present), pixels
    scaled to [0, 1]. The first `n_train` images train, the rest are held out.

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

    def find(stem: str) -> Path:
        for name in (f"train-{stem}", f"t10k-{stem}"):
            for candidate in (folder / name, folder / f"{name}.gz"):
                if candidate.exists():
                    return candidate
        raise FileNotFoundError(f"no {stem} file (train-{stem} or t10k-{stem}[.gz]) in {folder}")

    images = read_idx(find("images-idx3-ubyte"))
    labels = read_idx(find("labels-idx1-ubyte"))
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise IDXError(
            f"{folder}: images of shape {images.shape} do not go with labels of shape "
            f"{labels.shape}"
        )
    if not 0 < n_train < len(images):
        raise ValueError(f"n_train must be between 1 and {len(images) - 1}, got {n_train}")
    return _split(images / 255.0, labels, n_train)


def load_digits(seed: int = 0, held_out: float = 0.2) -> Split:
    """The 1,797 8x8 handwritten digits bundled with scikit-learn (the `examples` extra), pixels
    scaled to [0, 1], shuffled with `seed` and split into training and `held_out` parts.

    !!! example
        ```python
        >>> from typedprop import data
        >>> split = data.load_digits(seed=0)
        >>> split.train_x.shape, split.test_x.shape
        ((1438, 64), (359, 64))
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
    n_train = len(order) - int(round(held_out * len(order)))
    return _split(digits.data[order] / 16.0, digits.target[order], n_train)
