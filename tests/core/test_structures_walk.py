"""The one walk over structures (`flatten`, `unflatten`, `flatten_up_to`, paths) and the one
seam for array leaves (`array_kind`), from `typedprop._core.structures`."""

import dataclasses
import gc
import time
from collections import OrderedDict
from typing import Any, NamedTuple

import numpy as np
import pytest

import typedprop as tp
from typedprop import optim
from typedprop._core import structures as S
from typedprop._tracing import records as graph_module


class Pair(NamedTuple):
    left: Any
    right: Any


@dataclasses.dataclass
class Box:
    inner: Any
    size: int


NESTED: dict[str, Any] = {
    "a": [Pair(np.ones(2), 1.5), (3, None)],
    "b": Box(OrderedDict(x=np.float32(2.0), y=np.zeros((2, 2), dtype=np.float32)), 4),
}


def test_flatten_gives_the_leaves_depth_first() -> None:
    leaves, _ = S.flatten(NESTED)
    inner = NESTED["b"].inner
    types = [np.ndarray, float, int, type(None), np.float32, np.ndarray, int]
    assert [type(leaf) for leaf in leaves] == types
    assert leaves[5] is inner["y"]
    assert leaves[0] is NESTED["a"][0].left


def test_a_leaf_flattens_to_itself() -> None:
    x = np.ones(3)
    leaves, treedef = S.flatten(x)
    assert leaves == [x] and treedef is S.LEAF
    assert S.unflatten(treedef, [2.0]) == 2.0


def test_unflatten_rebuilds_every_container() -> None:
    leaves, treedef = S.flatten(NESTED)
    rebuilt = S.unflatten(treedef, leaves)
    assert rebuilt is not NESTED
    assert type(rebuilt["b"]) is Box and type(rebuilt["b"].inner) is OrderedDict
    assert rebuilt["b"].size == 4 and rebuilt["a"][1] == (3, None)
    assert type(rebuilt["a"][0]) is Pair
    assert S.flatten(rebuilt)[0][0] is leaves[0]
    empty: list[Any] = []
    assert S.unflatten(S.flatten(empty)[1], []) is not empty  # a new list


def test_unflatten_takes_exactly_the_leaves() -> None:
    _, treedef = S.flatten((1.0, [2.0, 3.0]))
    assert S.unflatten(treedef, [4.0, 5.0, 6.0]) == (4.0, [5.0, 6.0])
    with pytest.raises(ValueError, match="too few leaves"):
        S.unflatten(treedef, [4.0, 5.0])
    with pytest.raises(ValueError, match="too many leaves"):
        S.unflatten(treedef, [4.0, 5.0, 6.0, 7.0])


def test_unknown_values_are_refused_or_leaves() -> None:
    with pytest.raises(TypeError, match="cannot differentiate a value of type set"):
        S.flatten((1.0, {2}))
    leaves, treedef = S.flatten((1.0, {2}), unknown_leaves=True)
    assert leaves == [1.0, {2}]
    assert S.unflatten(treedef, [0.0, {3}]) == (0.0, {3})


def test_paths_are_shown_as_error_messages_show_them() -> None:
    _, treedef = S.flatten(NESTED)
    paths = S.leaf_paths(treedef)
    assert paths[0] == (0, 0, 0)
    shown = [S.show_path(treedef, p) for p in paths]
    assert shown == [
        "['a'][0].left",
        "['a'][0].right",
        "['a'][1][0]",
        "['a'][1][1]",
        "['b'].inner['x']",
        "['b'].inner['y']",
        "['b'].size",
    ]
    assert S.show_path(treedef, ()) == ""


def test_flatten_up_to_gives_the_parts_at_the_leaves() -> None:
    _, treedef = S.flatten(Pair(1.0, [2.0, 3.0]))
    parts = S.flatten_up_to(treedef, Pair((4, 5), [np.ones(2), None]))
    assert parts[0] == (4, 5) and parts[2] is None
    assert S.flatten_up_to(S.LEAF, [1, 2]) == [[1, 2]]


@pytest.mark.parametrize(
    ("y", "message", "path", "found"),
    [
        ((1.0, [2.0, 3.0]), "is a tuple, expected a Pair", (), 0),
        (Pair(1.0, (2.0, 3.0)), "is a tuple, expected a list", (1,), 1),
        (Pair(1.0, [2.0]), "has 1 part, expected 2", (1,), 1),
        (Pair(1.0, [2.0, 3.0, 4.0]), "has 3 parts, expected 2", (1,), 1),
    ],
)
def test_flatten_up_to_names_the_first_place_that_differs(
    y: Any, message: str, path: tuple[int, ...], found: int
) -> None:
    _, treedef = S.flatten(Pair(1.0, [2.0, 3.0]))
    with pytest.raises(S.StructureMismatch) as info:
        S.flatten_up_to(treedef, y)
    assert str(info.value) == message
    assert info.value.path == path
    assert len(info.value.parts) == found  # the parts before that place


def test_an_accumulated_gradient_is_made_whole_in_one_walk() -> None:
    x = Pair(np.ones(2), [2.0, (3.0, 4.0)])
    g = S.finalize(x, S.Partial({1: S.Partial({1: (5.0, 6.0)})}))
    assert type(g) is Pair and type(g.right) is list and type(g.right[1]) is tuple
    assert np.array_equal(g.left, np.zeros(2)) and g.right == [0.0, (5.0, 6.0)]
    # A part without a gradient is not entered: its zero is made whole.
    calls: list[object] = []
    zero = S.zero

    def counting(v: Any) -> Any:
        calls.append(v)
        return zero(v)

    S_zero, S.zero = S.zero, counting
    try:
        g = S.finalize(x, S.Partial({0: np.full(2, 7.0)}))
    finally:
        S.zero = S_zero
    assert calls[0] is x.right and g.right == [0.0, (0.0, 0.0)] and list(g.left) == [7.0, 7.0]
    # A whole gradient's containers are not checked (the engine made them): only rebuilt.
    g = S.finalize(x, (np.ones(2), [2.0, [3.0, 4.0]]))
    assert type(g) is Pair and g.right == [2.0, (3.0, 4.0)] and type(g.right[1]) is tuple


def test_structure_tells_structures_apart() -> None:
    def structure(x: object) -> object:
        return S.structure(S.flatten(x)[1])

    assert structure((1.0, [2.0])) == structure((5, [np.ones(3)]))
    assert structure((1.0, [2.0])) != structure((1.0, (2.0,)))
    assert structure((1.0, [2.0])) != structure((1.0, [2.0, 3.0]))
    assert structure({"a": 1.0}) != structure({"b": 1.0})
    assert structure(Pair(1.0, 2.0)) != structure((1.0, 2.0))
    hash(structure(NESTED))


def _linear(run: Any, n: int) -> float:
    """How much longer `run(8 n)` takes than `run(n)` (8 for a linear walk, 64 quadratic)."""

    def timed(m: int) -> float:
        times = []
        for _ in range(3):
            start = time.thread_time()
            run(m)
            times.append(time.thread_time() - start)
        return min(times)

    # The collector's full passes grow with everything allocated: keep them out of the ratio.
    gc.disable()
    try:
        return timed(8 * n) / max(timed(n), 1e-9)
    finally:
        gc.enable()


def test_the_walk_is_linear() -> None:
    def walk(m: int) -> None:
        leaves, treedef = S.flatten([(float(i), [i]) for i in range(m)])
        S.unflatten(treedef, S.flatten_up_to(treedef, S.unflatten(treedef, leaves)))

    assert _linear(walk, 5000) < 24


def test_an_optimizer_step_is_linear() -> None:
    def step(m: int) -> None:
        params = [float(i) for i in range(m)]
        optim.SGD(params, lr=0.1).step(params, params)

    assert _linear(step, 5000) < 24


def test_a_record_key_has_the_structure_and_the_leaves() -> None:
    key = graph_module._record_key
    assert key((np.ones(2), 3)) == key((np.zeros(2), 3))
    assert key((np.ones(2), 3)) != key((np.ones(3), 3))
    assert key((np.ones(2), 3)) != key((np.ones(2), 4))
    assert key({"a": np.ones(2)}) != key({"b": np.ones(2)})
    data: list[Any] = []
    key((np.ones(2), [1.5, np.arange(3)], {1, 2}), data)
    assert [type(d) for d in data] == [np.ndarray, float]  # the float leaves, in order


# ---------------------------------------------------------------------------------------------
# The array seam
# ---------------------------------------------------------------------------------------------


class _Sub(np.ndarray):
    pass


def test_array_kind_answers_for_numpy_arrays_only() -> None:
    numpy = S.array_kind(np.ones(2))
    assert numpy is not None and numpy is S.kind_of(np.ones(2))
    assert S.array_kind(np.ones(2).view(_Sub)) is numpy
    for value in (1.0, np.float64(1.0), [1.0], None, "a"):
        assert S.array_kind(value) is None
    assert numpy.differentiable(np.ones(1, dtype=np.complex64))
    assert not numpy.differentiable(np.ones(1, dtype=int))
    assert numpy.floating(np.ones(1)) and not numpy.floating(np.ones(1, dtype=complex))
    assert numpy.describe(np.ones((2, 3))) == "an array of shape (2, 3) and dtype float64"


class _ListArray:
    """A toy array type of another library: a list of floats."""

    def __init__(self, items: list[float]) -> None:
        self.items = items


class _ListArrays(S._ArrayKind):
    def differentiable(self, x: Any) -> bool:
        return True

    def floating(self, x: Any) -> bool:
        return True

    def shape(self, x: Any) -> tuple[int, ...]:
        return (len(x.items),)

    def dtype(self, x: Any) -> Any:
        return "list"

    def zero(self, x: Any) -> Any:
        return _ListArray([0.0] * len(x.items))

    def one(self, x: Any) -> Any:
        return _ListArray([1.0] * len(x.items))

    def add(self, a: Any, b: Any) -> Any:
        return _ListArray([p + q for p, q in zip(a.items, b.items, strict=True)])

    def fit(self, g: Any, x: Any) -> Any:
        return g


def test_another_library_joins_through_the_seam(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("_array_bases", "_array_cache", "_cache"):
        monkeypatch.setattr(S, name, dict(getattr(S, name)))
    kind = _ListArrays()
    S._register_array_kind(_ListArray, kind)
    x = _ListArray([1.0, 2.0])
    assert S.array_kind(x) is kind and S.kind_of(x) is kind
    assert S.describe(x) == "an array of shape (2,) and dtype list"
    assert S.zero((x, 1.0))[0].items == [0.0, 0.0]
    assert S.flatten((x, 1.0))[0][0] is x  # a leaf
    g = tp.grad(lambda p: tp.constant(1.0), (x, 2.0))
    assert g[0].items == [0.0, 0.0]
