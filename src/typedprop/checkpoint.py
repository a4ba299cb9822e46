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

`load` reads no more than the template allows: the file must hold exactly the template's paths,
each with the template's shape and dtype (a Python float is a float64 of shape `()`, an int an
int64, a bool a bool), or `CheckpointError` names the file, the path and both shapes or dtypes.
The result has the template's type at every place (a new structure of fresh arrays, Python
floats for Python floats), so mypy gives `load(path, like=params)` the type of `params`.

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
    leaves, names = _leaves(params)
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
    expected = [_array(x, name, "load (like)") for x, name in zip(leaves, names, strict=True)]
    saved, arrays = _read(file)
    in_file, in_template = set(saved), set(names)
    missing = [n for n in names if n not in in_file]
    unexpected = [n for n in saved if n not in in_template]
    if missing or unexpected:
        parts = [f"the template has {_some(missing)}, which the checkpoint lacks"] * bool(missing)
        parts += [f"the checkpoint has {_some(unexpected)}, which the template lacks"] * bool(
            unexpected
        )
        raise CheckpointError(f"{file}: another structure: {'; '.join(parts)}")
    problems = [
        p
        for name, e in zip(names, expected, strict=True)
        if (p := _difference(name, arrays.get(name), e)) is not None
    ]
    if problems:
        more = f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
        raise CheckpointError(f"{file}: {'; '.join(problems[:3])}{more}")
    restored = [_restore(leaf, arrays.get(name)) for name, leaf in zip(names, leaves, strict=True)]
    result: P = unflatten(treedef, restored)
    return result


# ---------------------------------------------------------------------------------------------
# Leaves and their names
# ---------------------------------------------------------------------------------------------


def _leaves(params: object) -> tuple[list[Any], list[str]]:
    leaves, treedef = flatten(params, unknown_leaves=True)
    return leaves, _names(treedef)


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
    if array_kind(leaf) is not None:
        raise TypeError(
            f"{who}: {name} is an array of another library than numpy: a "
            "checkpoint holds numpy arrays"
        )
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


def _difference(
    name: str, saved: np.ndarray[Any, Any] | None, expected: np.ndarray[Any, Any] | None
) -> str | None:
    """How the leaf `name` of the checkpoint differs from the template's, or None."""
    if saved is None or expected is None:
        if saved is None and expected is None:
            return None
        return f"{name} is {_what(saved)} in the checkpoint, {_what(expected)} in the template"
    shape, dtype = saved.shape != expected.shape, saved.dtype != expected.dtype
    if shape and dtype:
        return (
            f"{name} has shape {saved.shape} and dtype {saved.dtype} in the checkpoint, shape "
            f"{expected.shape} and dtype {expected.dtype} in the template"
        )
    if shape:
        return f"{name} has shape {saved.shape} in the checkpoint, {expected.shape} in the template"
    if dtype:
        return f"{name} has dtype {saved.dtype} in the checkpoint, {expected.dtype} in the template"
    return None


def _what(array: np.ndarray[Any, Any] | None) -> str:
    if array is None:
        return "None"
    return f"an array of shape {array.shape} and dtype {array.dtype}"


def _restore(template: Any, saved: np.ndarray[Any, Any] | None) -> Any:
    """The saved leaf with the type of the template's (its shape and dtype already checked)."""
    if saved is None:
        return None
    if isinstance(template, np.ndarray):
        return saved if type(template) is np.ndarray else saved.view(type(template))
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
    temp = os.path.join(folder, f".{os.path.basename(file)}.{os.urandom(6).hex()}.tmp")
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


def _read(file: str) -> tuple[list[str], dict[str, np.ndarray[Any, Any]]]:
    """The names of a checkpoint's leaves, in order, and its arrays by name (None leaves have
    none); CheckpointError if the file is not a readable checkpoint."""
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
            with np.load(f, allow_pickle=False) as npz:
                if _HEADER not in npz.files:
                    raise CheckpointError(
                        f"{file}: not a typedprop checkpoint: an npz file without the entry "
                        f"{_HEADER} (it holds {_some(npz.files) or 'nothing'})"
                    )
                names = _header(file, npz[_HEADER])
                stored = set(npz.files)
                arrays = {n: npz[n] for n in names if n in stored}
                extra = [n for n in npz.files if n != _HEADER and n not in arrays]
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
            if isinstance(e, CheckpointError):
                raise
            raise CheckpointError(f"{file}: a damaged checkpoint: {e}") from e
    if extra:
        raise CheckpointError(f"{file}: a damaged checkpoint: {_some(extra)} not in its header")
    for name, array in arrays.items():
        if not isinstance(array, np.ndarray):
            raise CheckpointError(f"{file}: a damaged checkpoint: {name} is not an array")
    return names, arrays


def _header(file: str, entry: object) -> list[str]:
    """The leaves' names that the header lists, after the format and version are checked."""
    try:
        if not (isinstance(entry, np.ndarray) and entry.dtype.kind == "U" and entry.shape == ()):
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
