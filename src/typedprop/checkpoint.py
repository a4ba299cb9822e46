"""Checkpoints: `save` a parameter structure to a file, `load` it back in the structure of a
template. Re-exported as `typedprop.save`, `typedprop.load` and `typedprop.CheckpointError`.

A checkpoint holds any structure that `backprop` takes (tuples, lists, dicts, NamedTuples,
dataclasses, nested freely) whose leaves are numbers (Python's and numpy's), numpy arrays of
numbers and None. It is an npz file (numpy's zip of `.npy` arrays) that numpy reads without
pickles: each leaf but None is one array, named by its path in the structure as typedprop's
messages show it (`params.hidden1.w`, `params[0]`, `params['lr']`; `params` alone for a
structure that is one leaf), and an entry `__typedprop_checkpoint__` describes the file: its
format, its version (`FORMAT_VERSION`) and the path of every leaf.

`save` writes the file whole or not at all: into a new file in the same folder, flushed to disk,
then renamed over `path` (a crash leaves the old checkpoint and at most a stray temporary
file). It writes exactly `path`: unlike `numpy.savez`, it adds no `.npz` to a name without it.

`load` checks the file against the template before it reads any array's data: the file must
hold exactly the template's paths, each with the template's shape and dtype (a Python float is
a float64 of shape `()`, an int an int64, a bool a bool; nothing is converted), or
`CheckpointError` names the file, the path and both shapes or dtypes. Leaves are matched by
path, so a list saved loads into a tuple of the same length. The result has the template's type
at every place (a new structure of fresh arrays, Python floats for Python floats), so mypy gives
`load(path, like=params)` the type of `params`.

!!! example
    ```python
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> import typedprop as tp
    >>> params = {"w": np.ones((2, 3), dtype=np.float32), "b": 0.5}
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "params.npz"
    >>> tp.save(path, params)
    >>> tp.load(path, like=params)
    {'w': array([[1., 1., 1.],
           [1., 1., 1.]], dtype=float32), 'b': 0.5}
    ```
"""

import contextlib
import errno
import json
import os
import zipfile
from collections.abc import Iterator
from typing import Any, TypeVar

import numpy as np
import numpy.lib.format

from ._core.structures import array_kind, flatten, kind_of, leaf_paths, show_path, unflatten

__all__ = ["FORMAT_VERSION", "CheckpointError", "load", "save"]

P = TypeVar("P")

FORMAT_VERSION = 1
"""The version of the checkpoint format that `save` writes; `load` reads it and earlier ones."""

_HEADER = "__typedprop_checkpoint__"  # the entry that describes the file
_FORMAT = "typedprop checkpoint"
_ROOT = "params"  # the first word of every leaf's name


class CheckpointError(ValueError):
    """A file that `load` cannot read as a checkpoint of its template (not a checkpoint,
    damaged, of a newer format, of another structure, shape or dtype), or a structure that
    `save` cannot name. The message names the file and the path in the structure.

    !!! example
        ```python
        >>> import pathlib, tempfile
        >>> import numpy as np
        >>> import typedprop as tp
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "w.npz"
        >>> tp.save(path, {"w": np.zeros(3)})
        >>> try:
        ...     tp.load(path, like={"w": np.zeros(4)})
        ... except tp.CheckpointError as e:
        ...     print(str(e).split(": ", 1)[1])
        params['w'] has shape (3,) in the checkpoint, (4,) in the template
        ```
    """


def save(path: str | os.PathLike[str], params: object) -> None:
    """Write `params` to the checkpoint file `path`, replacing it whole (see the module's
    docstring). The folder must exist.

    Raises TypeError, naming the path in `params`, for a leaf a checkpoint cannot hold (an
    object array, a string, a type typedprop differentiates as a whole); the file is then not
    touched.

    !!! example
        ```python
        >>> import pathlib, tempfile
        >>> import numpy as np
        >>> import typedprop as tp
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> tp.save(folder / "step-100", (np.arange(3.0), 7))
        >>> sorted(p.name for p in folder.iterdir())
        ['step-100']
        >>> tp.load(folder / "step-100", like=(np.zeros(3), 0))
        (array([0., 1., 2.]), 7)
        ```
    """
    file = _file(path, "save")
    leaves, treedef = flatten(params, unknown_leaves=True)
    names = _names(treedef)
    arrays: dict[str, np.ndarray[Any, Any]] = {}
    for name, leaf in zip(names, leaves, strict=True):
        array = _array(leaf, name, "save")
        if array is not None:
            arrays[name] = array
    if len(set(names)) < len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise CheckpointError(f"save: two parts of params are both named {twice[0]}")
    header = {"format": _FORMAT, "version": FORMAT_VERSION, "leaves": names}
    _write(file, {_HEADER: np.array(json.dumps(header)), **arrays})


def load(path: str | os.PathLike[str], *, like: P) -> P:
    """The checkpoint at `path`, in the structure of `like`: same types, shapes and dtypes at
    every place, fresh arrays (see the module's docstring).

    Raises FileNotFoundError for a missing file, CheckpointError for a file that is not a
    checkpoint of `like`'s structure, shapes and dtypes, and TypeError for a template with a
    leaf a checkpoint cannot hold.

    !!! example
        ```python
        >>> import pathlib, tempfile
        >>> from typing import NamedTuple
        >>> import numpy as np
        >>> import typedprop as tp
        >>> class Layer(NamedTuple):
        ...     w: np.ndarray
        ...     scale: float
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "layer.npz"
        >>> tp.save(path, Layer(np.full(2, 0.5), 2.0))
        >>> tp.load(path, like=Layer(np.zeros(2), 1.0))
        Layer(w=array([0.5, 0.5]), scale=2.0)
        ```
    """
    file = _file(path, "load")
    leaves, treedef = flatten(like, unknown_leaves=True)
    names = _names(treedef)
    expected = [_template_spec(x, n) for x, n in zip(leaves, names, strict=True)]
    with _opened(file) as npz:
        saved, stored = _contents(file, npz)
        in_file, in_template = set(saved), set(names)
        missing = [n for n in names if n not in in_file]
        unexpected = [n for n in saved if n not in in_template]
        if missing or unexpected:
            parts = []
            if missing:
                parts.append(f"the template has {_some(missing)}, which the checkpoint lacks")
            if unexpected:
                parts.append(f"the checkpoint has {_some(unexpected)}, which the template lacks")
            raise CheckpointError(f"{file}: another structure: {'; '.join(parts)}")
        # Shapes and dtypes from the arrays' headers, before reading (or allocating) any data.
        found = [_stored_spec(npz, n) if n in stored else None for n in names]
        problems = [
            p
            for n, f, e in zip(names, found, expected, strict=True)
            if (p := _difference(n, f, e)) is not None
        ]
        if problems:
            more = f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
            raise CheckpointError(f"{file}: {'; '.join(problems[:3])}{more}")
        arrays = [_read(npz, n) if n in stored else None for n in names]
    result: P = unflatten(treedef, list(map(_restore, leaves, arrays)))
    return result


# ---------------------------------------------------------------------------------------------
# Leaves and their names
# ---------------------------------------------------------------------------------------------


def _names(treedef: Any) -> list[str]:
    return [_ROOT + show_path(treedef, p) for p in leaf_paths(treedef)]


def _array(leaf: object, name: str, who: str) -> np.ndarray[Any, Any] | None:
    """The array that stores `leaf` (None for None; no copy of a numpy array), or TypeError
    naming the leaf if a checkpoint cannot hold it."""
    if leaf is None:
        return None
    if isinstance(leaf, np.ndarray):
        if isinstance(leaf, np.ma.MaskedArray):
            raise TypeError(f"{who}: {name} is a masked array: a checkpoint holds no masks")
        if leaf.dtype.hasobject:
            raise TypeError(
                f"{who}: {name} is an array of dtype {leaf.dtype}: a checkpoint holds arrays "
                "of numbers, not Python objects (it is read without pickles)"
            )
        return np.asarray(leaf)
    if isinstance(leaf, int) and not isinstance(leaf, bool):
        try:
            return np.asarray(leaf, dtype=np.int64)
        except OverflowError:
            raise TypeError(
                f"{who}: {name} is the int {leaf}, beyond int64, the integers a checkpoint holds"
            ) from None
    if isinstance(leaf, bool | float | complex | np.number | np.bool_):
        return np.asarray(leaf)
    kind = array_kind(leaf)
    if kind is not None:
        # Another library's array (PyTorch, JAX, ...): stored as numpy's copy of it, read back
        # into an array of the template's library, dtype and device.
        array: np.ndarray[Any, Any] = kind.to_numpy(leaf)
        return array
    try:
        kind_of(leaf)
        whole = (
            f" (typedprop differentiates a {type(leaf).__qualname__} as a whole, through "
            "register_backprop or its zero/add/one methods: a checkpoint cannot see inside it)"
        )
    except TypeError:
        whole = ""
    raise TypeError(
        f"{who}: {name} is a {type(leaf).__qualname__}: a checkpoint holds numbers, numpy "
        "arrays of numbers and None, in tuples, lists, dicts, NamedTuples and dataclasses" + whole
    )


_Spec = tuple[tuple[int, ...], np.dtype[Any]] | None
"""A leaf's shape and dtype; None for None."""


def _spec(array: np.ndarray[Any, Any] | None) -> _Spec:
    return None if array is None else (array.shape, array.dtype)


def _template_spec(leaf: object, name: str) -> _Spec:
    """The shape and dtype the checkpoint must have for the template's `leaf`: another
    library's array is not copied to the host for it."""
    kind = array_kind(leaf)
    if kind is not None and kind.library != "numpy":
        return tuple(kind.shape(leaf)), kind.numpy_dtype(leaf)
    return _spec(_array(leaf, name, "load (like)"))


def _difference(name: str, saved: _Spec, expected: _Spec) -> str | None:
    """How the leaf `name` of the checkpoint differs from the template's, or None."""
    if saved is None or expected is None:
        if saved is None and expected is None:
            return None
        return f"{name} is {_what(saved)} in the checkpoint, {_what(expected)} in the template"
    (shape, dtype), (want_shape, want_dtype) = saved, expected
    if shape != want_shape and dtype != want_dtype:
        return (
            f"{name} has shape {shape} and dtype {dtype} in the checkpoint, shape {want_shape} "
            f"and dtype {want_dtype} in the template"
        )
    if shape != want_shape:
        return f"{name} has shape {shape} in the checkpoint, {want_shape} in the template"
    if dtype != want_dtype:
        return f"{name} has dtype {dtype} in the checkpoint, {want_dtype} in the template"
    return None


def _what(spec: _Spec) -> str:
    return "None" if spec is None else f"an array of shape {spec[0]} and dtype {spec[1]}"


def _restore(template: Any, saved: np.ndarray[Any, Any] | None) -> Any:
    """The saved leaf with the type of the template's (its shape and dtype already checked)."""
    if saved is None:
        return None
    if isinstance(template, np.ndarray):
        return saved if type(template) is np.ndarray else saved.view(type(template))
    kind = array_kind(template)
    if kind is not None:
        return kind.from_numpy(saved, template)  # ArrayApiArrays
    return type(template)(saved[()])  # a Python float for a float, np.float32 for np.float32


def _some(names: list[str]) -> str:
    shown = ", ".join(names[:5])
    return shown + (f" and {len(names) - 5} more" if len(names) > 5 else "")


# ---------------------------------------------------------------------------------------------
# The file
# ---------------------------------------------------------------------------------------------


def _file(path: object, who: str) -> str:
    file = os.fspath(path) if isinstance(path, str | os.PathLike) else None
    if not isinstance(file, str):
        raise TypeError(f"{who}: path must be a str or an os.PathLike, got {path!r}")
    return file


def _write(file: str, arrays: dict[str, np.ndarray[Any, Any]]) -> None:
    """Write `arrays` to the npz file `file` atomically: into a new file of the same folder,
    flushed to disk, then renamed over `file`; on any failure the new file is removed and
    `file` is as it was."""
    folder = os.path.dirname(os.path.abspath(file))
    if not os.path.isdir(folder):
        raise FileNotFoundError(errno.ENOENT, "save: no such folder", folder)
    if os.path.isdir(file):
        raise IsADirectoryError(errno.EISDIR, "save: a folder, not a file", file)
    # "x": a new file, made with the permissions a plain open would give (mkstemp's are 0600).
    temp = os.path.join(folder, f".{os.path.basename(file)[:200]}.{os.urandom(6).hex()}.tmp")
    try:
        with open(temp, "xb") as f:
            # What numpy.savez writes, with pickles refused however the arrays were made.
            with zipfile.ZipFile(f, mode="w", compression=zipfile.ZIP_STORED) as npz:
                for name, array in arrays.items():
                    with npz.open(name + ".npy", mode="w", force_zip64=True) as member:
                        numpy.lib.format.write_array(member, array, allow_pickle=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, file)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temp)
        raise
    if os.name == "posix":
        # The rename itself reaches the disk with the folder's entry. Best effort: some file
        # systems refuse to sync a folder, and the checkpoint is written by now.
        with contextlib.suppress(OSError):
            fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


@contextlib.contextmanager
def _opened(file: str) -> Iterator[zipfile.ZipFile]:
    """The file `file` opened as an npz (a zip) for the body of the `with`, where an error of
    reading it is raised as CheckpointError, naming the file."""
    try:
        f = open(file, "rb")
    except FileNotFoundError:
        hint = ""
        if os.path.isfile(file + ".npz"):
            hint = f" (but {file}.npz exists: numpy's savez adds .npz to a name, save does not)"
        raise FileNotFoundError(errno.ENOENT, f"load: no such file{hint}", file) from None
    with f:
        if f.read(4) != b"PK\x03\x04":
            raise CheckpointError(f"{file}: not a typedprop checkpoint: not an npz file")
        f.seek(0)
        try:
            with zipfile.ZipFile(f) as npz:
                yield npz
        except CheckpointError:
            raise
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
            # numpy's errors for a bad .npy (a wrong magic string, a header that does not
            # parse, an object array refused) are ValueErrors.
            raise CheckpointError(f"{file}: a damaged checkpoint: {e}") from e


def _contents(file: str, npz: zipfile.ZipFile) -> tuple[list[str], set[str]]:
    """The names of the checkpoint's leaves, as its header lists them, and those stored as
    arrays (all but the None leaves); CheckpointError if it is not a checkpoint."""
    members = npz.namelist()
    arrays = [m.removesuffix(".npy") for m in members if m.endswith(".npy")]
    if _HEADER not in arrays:
        shown = _some([m.removesuffix(".npy") for m in members]) or "nothing"
        raise CheckpointError(
            f"{file}: not a typedprop checkpoint: an npz file without the entry {_HEADER} "
            f"(it holds {shown})"
        )
    names = _header(file, _read(npz, _HEADER))
    listed = {*names, _HEADER}
    unlisted = [m for m in members if m.removesuffix(".npy") not in listed or m[-4:] != ".npy"]
    if unlisted:
        raise CheckpointError(
            f"{file}: a damaged checkpoint: it holds {_some(unlisted)}, which its header does "
            "not list"
        )
    return names, set(arrays)


def _stored_spec(npz: zipfile.ZipFile, name: str) -> _Spec:
    """The shape and dtype of the array `name`, from its header alone."""
    with npz.open(name + ".npy") as member:
        version = numpy.lib.format.read_magic(member)
        if version == (1, 0):
            shape, _, dtype = numpy.lib.format.read_array_header_1_0(member)
        elif version == (2, 0):
            shape, _, dtype = numpy.lib.format.read_array_header_2_0(member)
        else:
            raise ValueError(f"{name} is in .npy format version {version}")
    return shape, dtype


def _read(npz: zipfile.ZipFile, name: str) -> np.ndarray[Any, Any]:
    with npz.open(name + ".npy") as member:
        array: np.ndarray[Any, Any] = numpy.lib.format.read_array(member, allow_pickle=False)
    return array


def _header(file: str, entry: np.ndarray[Any, Any]) -> list[str]:
    """The leaves' names that the header lists, after the format and version are checked."""
    try:
        if not (entry.dtype.kind == "U" and entry.shape == ()):
            raise ValueError(f"it is {entry!r}")
        header = json.loads(str(entry[()]))
        if not isinstance(header, dict) or header.get("format") != _FORMAT:
            raise ValueError(f"its format is not {_FORMAT!r}")
        version = header.get("version")
        if type(version) is not int or version < 1:
            raise ValueError(f"its version is {version!r}")
        if version > FORMAT_VERSION:
            raise CheckpointError(
                f"{file}: written in checkpoint format version {version}, newer than this "
                f"typedprop reads (up to {FORMAT_VERSION}): upgrade typedprop to load it"
            )
        names = header.get("leaves")
        if not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
            raise ValueError("its list of leaves is not a list of names")
        if len(set(names)) < len(names):
            raise ValueError("its list of leaves names a leaf twice")
    except CheckpointError:
        raise
    except ValueError as e:  # json's errors are ValueErrors too
        raise CheckpointError(f"{file}: a damaged checkpoint: its header is wrong: {e}") from None
    return names
