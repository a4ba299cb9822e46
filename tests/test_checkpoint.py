"""typedprop.checkpoint (`tp.save`, `tp.load`): every structure typedprop differentiates comes
back exactly, with the template's types; every file that is not a checkpoint of the template
is refused, naming the file and the place; a failed save leaves the old file whole."""

import dataclasses
import io
import json
import os
import re
import tempfile
import zipfile
from collections import OrderedDict
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import typedprop as tp
from typedprop import checkpoint
from typedprop._core.structures import flatten


class Layer(NamedTuple):
    w: np.ndarray
    b: np.ndarray


@dataclasses.dataclass
class Network:
    hidden1: Layer
    output: Layer
    scale: float
    steps: int


@dataclasses.dataclass(frozen=True, slots=True)
class Frozen:
    x: np.float32
    flag: bool


class Tagged(np.ndarray):
    """An ndarray subclass: loaded as a view of the template's class."""


def network(seed: int = 0, hidden: int = 4, dtype: Any = np.float64) -> Network:
    rng = np.random.default_rng(seed)
    return Network(
        Layer(rng.standard_normal((hidden, 3)).astype(dtype), rng.standard_normal(hidden)),
        Layer(rng.standard_normal((2, hidden)).astype(dtype), rng.standard_normal(2)),
        scale=0.1 * (seed + 1),
        steps=seed,
    )


def everything(seed: int) -> dict[Any, Any]:
    """One of each leaf and container a checkpoint holds."""
    rng = np.random.default_rng(seed)
    return {
        "net": network(seed),
        "tuple": (rng.standard_normal(2).astype(np.float32), -1.5 * seed, seed),
        "list": [np.float32(seed + 0.25), np.float64(-seed), np.int32(seed), np.bool_(seed % 2)],
        "frozen": Frozen(np.float32(seed), bool(seed)),
        "none": None,
        "complex": (1 + 2j) * seed,
        "ints": np.arange(6, dtype=np.int16).reshape(2, 3) * seed,
        "bools": np.array([True, False]) ^ bool(seed),
        "empty": np.zeros((0, 3)),
        "scalar array": np.array(seed + 0.5),
        "fortran": np.asfortranarray(rng.standard_normal((3, 2))),
        "subclass": np.full(2, float(seed)).view(Tagged),
        7: 3 * seed,  # dict keys of any type, any characters
        "a/b\0\\c": -seed,
        "ordered": OrderedDict(b=rng.standard_normal(1), a=float(seed)),
    }


def assert_identical(got: object, want: object, where: str = "params") -> None:
    """`got` is `want` exactly: same type at every place, same bytes in every number."""
    assert type(got) is type(want), f"{where}: {type(got)} vs {type(want)}"
    if isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray)
        assert (got.shape, got.dtype) == (want.shape, want.dtype), where
        assert got.tobytes() == want.tobytes(), where
    elif isinstance(want, dict):
        assert isinstance(got, dict)
        assert list(got) == list(want), where
        for k in want:
            assert_identical(got[k], want[k], f"{where}[{k!r}]")
    elif isinstance(want, tuple | list):
        assert isinstance(got, tuple | list)
        assert len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_identical(g, w, f"{where}[{i}]")
    elif dataclasses.is_dataclass(want):
        for f in dataclasses.fields(want):
            assert_identical(getattr(got, f.name), getattr(want, f.name), f"{where}.{f.name}")
    elif want is not None:
        assert np.asarray(got).tobytes() == np.asarray(want).tobytes(), where


def arrays_of(x: object) -> list[np.ndarray]:
    leaves, _ = flatten(x)
    return [leaf for leaf in leaves if isinstance(leaf, np.ndarray)]


# ---------------------------------------------------------------------------------------------
# What comes back
# ---------------------------------------------------------------------------------------------


def test_every_structure_comes_back_exactly_with_the_templates_types(tmp_path: Path) -> None:
    saved, template = everything(1), everything(0)
    tp.save(tmp_path / "c.npz", saved)
    back = tp.load(tmp_path / "c.npz", like=template)
    assert_identical(back, saved)
    assert type(back["net"].scale) is float and type(back["list"][0]) is np.float32
    assert type(back["subclass"]) is Tagged and back["fortran"].flags.f_contiguous


def test_loaded_arrays_are_fresh_and_writeable(tmp_path: Path) -> None:
    saved, template = everything(1), everything(0)
    tp.save(tmp_path / "c.npz", saved)
    back = tp.load(tmp_path / "c.npz", like=template)
    for array in arrays_of(back):
        assert array.flags.writeable
        assert not any(np.shares_memory(array, a) for a in arrays_of(saved) + arrays_of(template))


def test_a_structure_of_one_leaf(tmp_path: Path) -> None:
    for value, template in [(np.ones(3), np.zeros(3)), (2.5, 0.0), (3, 0), (None, None)]:
        tp.save(tmp_path / "one", value)
        assert_identical(tp.load(tmp_path / "one", like=template), value)
    tp.save(tmp_path / "one", np.ones(3))
    with np.load(tmp_path / "one", allow_pickle=False) as npz:
        assert sorted(npz.files) == ["__typedprop_checkpoint__", "params"]


@settings(max_examples=40, deadline=None)
@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers(-(2**63), 2**63 - 1)
        | st.floats()  # nan, inf and -0.0 too
        | hnp.arrays(
            st.sampled_from([np.float32, np.float64, np.int8, np.uint64, np.bool_]),
            hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3),
        ),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.tuples(inner, inner)
            | st.dictionaries(st.text(max_size=3), inner, max_size=3)
        ),
        max_leaves=8,
    )
)
def test_random_structures_come_back_bit_for_bit(params: Any) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "c.npz"
        tp.save(path, params)
        assert_identical(tp.load(path, like=params), params)


def test_paths_may_be_str_or_pathlike(tmp_path: Path) -> None:
    class Where:
        def __fspath__(self) -> str:
            return str(tmp_path / "custom")

    for path in (str(tmp_path / "s.npz"), tmp_path / "p.npz", Where()):
        tp.save(path, (1.0, 2))
        assert tp.load(path, like=(0.0, 0)) == (1.0, 2)
    for who, call in [
        ("save", lambda: tp.save(3, 1.0)),  # type: ignore[arg-type]  # the point of the test
        ("load", lambda: tp.load(b"x.npz", like=1.0)),  # type: ignore[arg-type]  # same
    ]:
        with pytest.raises(TypeError, match=f"{who}: path must be a str or an os.PathLike"):
            call()


def test_no_npz_is_added_to_a_name_without_it(tmp_path: Path) -> None:
    """Unlike numpy.savez, save writes exactly the path it is given."""
    tp.save(tmp_path / "step-100", 1.0)
    tp.save(tmp_path / "step-200.npz", 2.0)
    tp.save(str(tmp_path / "step-300.ckpt"), 3.0)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "step-100",
        "step-200.npz",
        "step-300.ckpt",
    ]
    assert tp.load(tmp_path / "step-100", like=0.0) == 1.0
    # A name that numpy's savez wrote with .npz added: the error says so.
    np.savez(tmp_path / "theirs", w=np.zeros(1))
    with pytest.raises(FileNotFoundError, match=re.escape("exists: numpy's savez adds .npz")):
        tp.load(tmp_path / "theirs", like=0.0)


def test_numpy_reads_a_checkpoint_without_pickles(tmp_path: Path) -> None:
    net = network(3)
    tp.save(tmp_path / "net.npz", net)
    with np.load(tmp_path / "net.npz", allow_pickle=False) as npz:
        assert npz.files[1:] == [
            "params.hidden1.w",
            "params.hidden1.b",
            "params.output.w",
            "params.output.b",
            "params.scale",
            "params.steps",
        ]
        np.testing.assert_array_equal(npz["params.hidden1.w"], net.hidden1.w)
        assert npz["params.steps"].dtype == np.int64
    with zipfile.ZipFile(tmp_path / "net.npz") as z:
        assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())


def test_the_file_gets_the_permissions_of_a_plain_open(tmp_path: Path) -> None:
    tp.save(tmp_path / "c.npz", 1.0)
    (tmp_path / "plain").write_bytes(b"")
    assert (tmp_path / "c.npz").stat().st_mode == (tmp_path / "plain").stat().st_mode


# ---------------------------------------------------------------------------------------------
# Files that are not checkpoints of the template
# ---------------------------------------------------------------------------------------------


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="load: no such file") as e:
        tp.load(tmp_path / "nothing.npz", like=1.0)
    assert e.value.filename == str(tmp_path / "nothing.npz")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a typedprop checkpoint: not an npz file"),
        (b"w,b\n1,2\n", "not a typedprop checkpoint: not an npz file"),
        (b"\x93NUMPY", "not a typedprop checkpoint: not an npz file"),
        (b"PK\x03\x04 and then nothing", "a damaged checkpoint: File is not a zip file"),
    ],
    ids=["empty", "text", "npy", "zip magic"],
)
def test_a_file_that_is_not_an_npz(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "c.npz").write_bytes(content)
    with pytest.raises(tp.CheckpointError, match=re.escape(f"{tmp_path / 'c.npz'}: {message}")):
        tp.load(tmp_path / "c.npz", like=1.0)


def test_an_npz_that_typedprop_did_not_write(tmp_path: Path) -> None:
    np.savez(tmp_path / "other.npz", w=np.zeros(3), b=np.zeros(1))
    with pytest.raises(
        tp.CheckpointError,
        match=re.escape(
            "other.npz: not a typedprop checkpoint: an npz file without the entry "
            "__typedprop_checkpoint__ (it holds w, b)"
        ),
    ):
        tp.load(tmp_path / "other.npz", like=(np.zeros(3), np.zeros(1)))
    np.savez(tmp_path / "objects.npz", __typedprop_checkpoint__=np.array([{}], dtype=object))
    with pytest.raises(tp.CheckpointError, match="a damaged checkpoint: Object arrays cannot"):
        tp.load(tmp_path / "objects.npz", like=1.0)


def test_a_truncated_file_is_refused(tmp_path: Path) -> None:
    params = (np.arange(3.0), {"n": 2})
    tp.save(tmp_path / "c.npz", params)
    whole = (tmp_path / "c.npz").read_bytes()
    # Every cut near either end (the headers, the zip's directory), one in seven between.
    cuts = [n for n in range(len(whole)) if n < 64 or n > len(whole) - 64 or n % 7 == 0]
    for n in cuts:
        (tmp_path / "cut.npz").write_bytes(whole[:n])
        with pytest.raises(tp.CheckpointError, match=re.escape(str(tmp_path / "cut.npz"))):
            tp.load(tmp_path / "cut.npz", like=params)


def test_a_changed_byte_in_an_array_is_refused(tmp_path: Path) -> None:
    tp.save(tmp_path / "c.npz", np.full(4, 1.5))
    data = bytearray((tmp_path / "c.npz").read_bytes())
    at = bytes(data).index(np.full(4, 1.5).tobytes())
    data[at + 3] ^= 1
    (tmp_path / "c.npz").write_bytes(bytes(data))
    with pytest.raises(tp.CheckpointError, match="a damaged checkpoint: Bad CRC-32"):
        tp.load(tmp_path / "c.npz", like=np.zeros(4))


def _with_header(path: Path, change: Any) -> None:
    """Rewrite the checkpoint at `path` with its header changed by `change(header)`."""
    with np.load(path, allow_pickle=False) as npz:
        arrays = {n: npz[n] for n in npz.files}
    header = change(json.loads(str(arrays["__typedprop_checkpoint__"])))
    arrays["__typedprop_checkpoint__"] = np.array(json.dumps(header))
    np.savez(path, **arrays)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda h: {**h, "version": 2},
            "written in checkpoint format version 2, newer than "
            "this typedprop reads (up to 1): upgrade typedprop to load it",
        ),
        (
            lambda h: {**h, "version": 0},
            "a damaged checkpoint: its header is wrong: its version is 0",
        ),
        (lambda h: {**h, "version": "1"}, "its version is '1'"),
        (lambda h: {**h, "format": "other"}, "its format is not 'typedprop checkpoint'"),
        (lambda h: [h], "its format is not 'typedprop checkpoint'"),
        (lambda h: {**h, "leaves": "params"}, "its list of leaves is not a list of names"),
        (lambda h: {**h, "leaves": ["params", "params"]}, "its list of leaves names a leaf twice"),
        (
            lambda h: {**h, "leaves": []},
            "a damaged checkpoint: it holds params.npy, which its header does not list",
        ),
    ],
)
def test_a_header_of_another_version_or_damaged(tmp_path: Path, change: Any, message: str) -> None:
    tp.save(tmp_path / "c.npz", np.zeros(2))
    _with_header(tmp_path / "c.npz", change)
    with pytest.raises(tp.CheckpointError, match=re.escape(message)):
        tp.load(tmp_path / "c.npz", like=np.zeros(2))


def test_a_header_that_is_not_text(tmp_path: Path) -> None:
    np.savez(tmp_path / "c.npz", __typedprop_checkpoint__=np.zeros(3))
    with pytest.raises(tp.CheckpointError, match=r"its header is wrong: it is array\(\[0"):
        tp.load(tmp_path / "c.npz", like=1.0)
    np.savez(tmp_path / "c.npz", __typedprop_checkpoint__=np.array("{not json"))
    with pytest.raises(tp.CheckpointError, match="its header is wrong: Expecting property name"):
        tp.load(tmp_path / "c.npz", like=1.0)


def _npy(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.lib.format.write_array(out, array)
    return out.getvalue()


def _forge(path: Path, members: dict[str, bytes]) -> None:
    """A checkpoint of the leaf `params` with these members besides its header."""
    header = json.dumps({"format": "typedprop checkpoint", "version": 1, "leaves": ["params"]})
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("__typedprop_checkpoint__.npy", _npy(np.array(header)))
        for name, data in members.items():
            z.writestr(name, data)


def test_arrays_are_checked_by_their_headers_before_their_data_is_read(tmp_path: Path) -> None:
    # The header of this .npy promises 8 TB of float64: refused before anything is allocated.
    lying = _npy(np.zeros(3)).replace(b"(3,)", b"(1000000000000,)")
    _forge(tmp_path / "c.npz", {"params.npy": lying})
    with pytest.raises(
        tp.CheckpointError,
        match=re.escape("params has shape (1000000000000,) in the checkpoint, (3,) in the"),
    ):
        tp.load(tmp_path / "c.npz", like=np.zeros(3))
    # A header that fits and data that ends early.
    _forge(tmp_path / "c.npz", {"params.npy": _npy(np.zeros(3))[:-8]})
    with pytest.raises(tp.CheckpointError, match="a damaged checkpoint: EOF"):
        tp.load(tmp_path / "c.npz", like=np.zeros(3))
    _forge(tmp_path / "c.npz", {"params.npy": b"not an array"})
    with pytest.raises(tp.CheckpointError, match="a damaged checkpoint: the magic string"):
        tp.load(tmp_path / "c.npz", like=np.zeros(3))


def test_members_the_header_does_not_list_are_refused(tmp_path: Path) -> None:
    _forge(tmp_path / "c.npz", {"params.npy": _npy(np.zeros(3)), "notes.txt": b"hello"})
    with pytest.raises(
        tp.CheckpointError,
        match=re.escape("a damaged checkpoint: it holds notes.txt, which its header does not"),
    ):
        tp.load(tmp_path / "c.npz", like=np.zeros(3))


def test_another_structure_names_the_paths(tmp_path: Path) -> None:
    tp.save(tmp_path / "c.npz", {"a": 1.0, "b": (np.zeros(2), 3)})
    with pytest.raises(
        tp.CheckpointError,
        match=re.escape(
            "c.npz: another structure: the template has params['c'], which the checkpoint "
            "lacks; the checkpoint has params['b'][0], params['b'][1], which the template lacks"
        ),
    ):
        tp.load(tmp_path / "c.npz", like={"a": 1.0, "c": 2.0})
    with pytest.raises(
        tp.CheckpointError, match=re.escape("the template has params[0], params[1]")
    ):
        tp.load(tmp_path / "c.npz", like=(1.0, 2.0))
    many = {f"k{i}": 0.0 for i in range(8)}
    with pytest.raises(tp.CheckpointError, match=re.escape("params['k4'] and 3 more, which")):
        tp.load(tmp_path / "c.npz", like={"a": 1.0, "b": (np.zeros(2), 3), **many})


def test_another_shape_or_dtype_names_the_path_and_both(tmp_path: Path) -> None:
    tp.save(tmp_path / "net.npz", network(hidden=4))
    file = tmp_path / "net.npz"
    with pytest.raises(
        tp.CheckpointError,
        match=re.escape(
            f"{file}: params.hidden1.w has shape (4, 3) in the checkpoint, (5, 3) in the "
            "template; params.hidden1.b has shape (4,) in the checkpoint, (5,) in the template; "
            "params.output.w has shape (2, 4) in the checkpoint, (2, 5) in the template"
        ),
    ):
        tp.load(file, like=network(hidden=5))
    with pytest.raises(
        tp.CheckpointError,
        match=re.escape(
            f"{file}: params.hidden1.w has dtype float64 in the checkpoint, float32 in the "
            "template; params.output.w has dtype float64 in the checkpoint, float32 in the "
            "template"
        ),
    ):
        tp.load(file, like=network(dtype=np.float32))
    with pytest.raises(
        tp.CheckpointError,
        match=re.escape(
            "params.hidden1.w has shape (4, 3) and dtype float64 in the checkpoint, shape "
            "(5, 3) and dtype float32 in the template"
        ),
    ):
        tp.load(file, like=network(hidden=5, dtype=np.float32))


@pytest.mark.parametrize(
    ("saved", "template", "message"),
    [
        (
            1.0,
            np.float32(1.0),
            "params has dtype float64 in the checkpoint, float32 in the template",
        ),
        (1.0, 1, "params has dtype float64 in the checkpoint, int64 in the template"),
        (7, 7.0, "params has dtype int64 in the checkpoint, float64 in the template"),
        (True, 1, "params has dtype bool in the checkpoint, int64 in the template"),
        (np.zeros(3), 0.0, "params has shape (3,) in the checkpoint, () in the template"),
        (
            None,
            0.0,
            "params is None in the checkpoint, an array of shape () and dtype float64 in "
            "the template",
        ),
        (
            np.zeros(2),
            None,
            "params is an array of shape (2,) and dtype float64 in the "
            "checkpoint, None in the template",
        ),
    ],
)
def test_numbers_are_never_converted(
    tmp_path: Path, saved: object, template: object, message: str
) -> None:
    tp.save(tmp_path / "c.npz", saved)
    with pytest.raises(tp.CheckpointError, match=re.escape(message)):
        tp.load(tmp_path / "c.npz", like=template)


def test_many_differences_are_summed_up(tmp_path: Path) -> None:
    tp.save(tmp_path / "c.npz", [np.zeros(1)] * 5)
    with pytest.raises(tp.CheckpointError, match=r"params\[2\] has shape .*; and 2 more$"):
        tp.load(tmp_path / "c.npz", like=[np.zeros(2)] * 5)


def test_a_template_a_checkpoint_cannot_hold(tmp_path: Path) -> None:
    tp.save(tmp_path / "c.npz", (1.0, 2.0))
    with pytest.raises(TypeError, match=re.escape("load (like): params[1] is a str")):
        tp.load(tmp_path / "c.npz", like=(1.0, "two"))


# ---------------------------------------------------------------------------------------------
# What save refuses
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Money:
    amount: float

    def zero(self) -> "Money":
        return Money(0.0)

    def add(self, other: "Money") -> "Money":
        return Money(self.amount + other.amount)

    def one(self) -> "Money":
        return Money(1.0)


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        (
            {"w": np.array([1.0, None])},
            TypeError,
            "save: params['w'] is an array of dtype object: a checkpoint holds arrays of "
            "numbers, not Python objects (it is read without pickles)",
        ),
        ((1.0, "two"), TypeError, "save: params[1] is a str: a checkpoint holds numbers, numpy"),
        (
            [Money(1.0)],
            TypeError,
            "save: params[0] is a Money: a checkpoint holds numbers, numpy arrays of numbers and "
            "None, in tuples, lists, dicts, NamedTuples and dataclasses (typedprop "
            "differentiates a Money as a whole, through register_backprop or its zero/add/one "
            "methods: a checkpoint cannot see inside it)",
        ),
        ({"n": 2**64}, TypeError, "save: params['n'] is the int 18446744073709551616, beyond"),
        (np.ma.masked_array([1.0], [True]), TypeError, "save: params is a masked array"),
    ],
    ids=["object array", "str", "Backprop type", "big int", "masked"],
)
def test_save_refuses_what_it_cannot_hold_and_leaves_the_file(
    tmp_path: Path, params: object, error: type[Exception], message: str
) -> None:
    tp.save(tmp_path / "c.npz", 1.0)
    before = (tmp_path / "c.npz").read_bytes()
    with pytest.raises(error, match=re.escape(message)):
        tp.save(tmp_path / "c.npz", params)
    assert (tmp_path / "c.npz").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]


def test_a_registered_type_is_refused(tmp_path: Path) -> None:
    tp.register_backprop(
        Fraction, zero=lambda x: Fraction(0), add=lambda a, b: a + b, one=lambda x: Fraction(1)
    )
    with pytest.raises(TypeError, match=re.escape("params[0] is a Fraction: a checkpoint")):
        tp.save(tmp_path / "c.npz", [Fraction(1, 3)])


def test_two_parts_of_the_same_name_are_refused(tmp_path: Path) -> None:
    class Key:
        def __repr__(self) -> str:
            return "k"

    with pytest.raises(tp.CheckpointError, match=re.escape("two parts of params are both named")):
        tp.save(tmp_path / "c.npz", {Key(): 1.0, Key(): 2.0})


def test_save_into_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="save: no such folder") as e:
        tp.save(tmp_path / "missing" / "c.npz", 1.0)
    assert e.value.filename == str(tmp_path / "missing")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(IsADirectoryError, match="save: a folder, not a file"):
        tp.save(tmp_path, 1.0)


# ---------------------------------------------------------------------------------------------
# Atomic writes
# ---------------------------------------------------------------------------------------------


def _fail_midway(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    """Make the writer of the second array write half of it, then raise `error`."""
    real = np.lib.format.write_array
    calls = [0]

    def write_array(fp: Any, array: np.ndarray, **kwargs: Any) -> None:
        calls[0] += 1
        if calls[0] == 2:
            fp.write(array.tobytes()[: array.nbytes // 2])
            raise error
        real(fp, array, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", write_array)


@pytest.mark.parametrize(
    "fail",
    [
        lambda mp: _fail_midway(mp, OSError(28, "No space left on device")),
        lambda mp: _fail_midway(mp, KeyboardInterrupt()),
        lambda mp: mp.setattr(os, "fsync", _raises(OSError(5, "Input/output error"))),
        lambda mp: mp.setattr(os, "replace", _raises(PermissionError(13, "Permission denied"))),
    ],
    ids=["disk full mid-write", "interrupted mid-write", "fsync", "rename"],
)
def test_a_failed_save_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail: Any
) -> None:
    old = network(1)
    tp.save(tmp_path / "net.npz", old)
    before = (tmp_path / "net.npz").read_bytes()
    fail(monkeypatch)
    with pytest.raises((OSError, KeyboardInterrupt)):
        tp.save(tmp_path / "net.npz", network(2))
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["net.npz"]
    assert (tmp_path / "net.npz").read_bytes() == before
    assert_identical(tp.load(tmp_path / "net.npz", like=network(2)), old)


def _raises(error: BaseException) -> Any:
    def fail(*args: object) -> None:
        raise error

    return fail


def test_a_save_replaces_the_old_file_whole(tmp_path: Path) -> None:
    tp.save(tmp_path / "c.npz", np.zeros(1000))
    tp.save(tmp_path / "c.npz", 1.0)
    assert tp.load(tmp_path / "c.npz", like=0.0) == 1.0
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]


def test_the_format_version_is_public() -> None:
    assert checkpoint.FORMAT_VERSION == 1
