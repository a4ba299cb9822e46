"""Parts of a parameter as leaves of their own (`Tape.split_parameters`, `structures.assemble`):
in `backprop` and friends, `unpack`, `sequence` and `view` of a parameter (or of a part of
one) record no view node; the sweep gives each part its gradient and `assemble` puts the
parameter's gradient together at the end. Each case is compared with the recorded graph of
the same function, whose tape keeps view nodes (the engine's other path), to the last bit, and
with the gradient worked out by hand."""

import gc
import weakref
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple

import numpy as np
import pytest

import typedprop as tp
from typedprop import BVar, ops
from typedprop._core import structures as _structures
from typedprop._core import tape as _tape


class Layer(NamedTuple):
    w: np.ndarray
    b: np.ndarray


@dataclass
class Model:
    layers: list[Layer]
    scale: float


def same(a: Any, b: Any) -> None:
    """`a` and `b` are the same structure with bit-identical leaves of the same types."""
    assert type(a) is type(b)
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            same(x, y)
    elif isinstance(a, Model):
        same(a.layers, b.layers)
        same(a.scale, b.scale)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            same(a[key], b[key])
    else:
        assert a == b


def both(f: Any, x: Any) -> Any:
    """`backprop(f, x)`, checked to the last bit against a second call (which assembles by
    the layout's plan, `structures._PLANS`) and against the recorded graph's: its first call
    keeps view nodes (the engine's other path), its later ones assemble as `backprop` does."""
    value, g = tp.backprop(f, x)
    graph = tp.trace(f, x)
    for again_value, again in [tp.backprop(f, x), *(graph.backprop(x) for _ in range(3))]:
        assert again_value == value
        same(again, g)
    return g


def layers() -> tuple[Layer, Layer]:
    rng = np.random.default_rng(0)
    return (
        Layer(rng.normal(size=(3, 4)), rng.normal(size=3)),
        Layer(rng.normal(size=(2, 3)), rng.normal(size=2)),
    )


X = np.linspace(-1.0, 1.0, 4)


def net(p: BVar[tuple[Layer, Layer]]) -> BVar[float]:
    l1, l2 = p.unpack()
    w1, b1 = l1.unpack()
    w2, b2 = l2.unpack()
    return ops.sum(ops.linear(w2, ops.tanh(ops.linear(w1, X, b1)), b2))


def test_nested_unpack_gives_exactly_the_parameters_type_and_the_hand_gradient() -> None:
    p = layers()
    g = both(net, p)
    (w1, b1), (w2, b2) = p
    h = np.tanh(w1 @ X + b1)
    gh = w2.sum(axis=0) * (1.0 - h * h)
    assert type(g) is tuple and type(g[0]) is Layer and type(g[1]) is Layer
    np.testing.assert_allclose(g[1].w, np.outer(np.ones(2), h))
    np.testing.assert_allclose(g[1].b, np.ones(2))
    np.testing.assert_allclose(g[0].w, np.outer(gh, X))
    np.testing.assert_allclose(g[0].b, gh)


def test_parts_take_no_view_nodes_on_the_tape() -> None:
    seen: list[int] = []

    def f(p: BVar[tuple[Layer, Layer]]) -> BVar[float]:
        out = net(p)
        tape = _tape.active()
        assert tape is not None
        seen.append(sum(node is not None and node.maker is not None for node in tape.nodes))
        return out

    tp.backprop(f, layers())
    # linear, tanh, linear, sum: the six parts are leaves, not view nodes.
    assert seen == [4]


def test_a_part_left_unused_gets_zeros() -> None:
    p = layers()
    g = both(lambda q: ops.sum(q.unpack()[1].unpack()[1]), p)
    same(g[0], Layer(np.zeros((3, 4)), np.zeros(3)))
    same(g[1].w, np.zeros((2, 3)))
    same(g[1].b, np.ones(2))


def test_a_whole_used_whole_and_in_parts() -> None:
    def f(p: BVar[tuple[float, float]]) -> BVar[float]:
        a, b = p.unpack()
        again = p.view(lambda t: t[0])
        return a * b + again * 10.0 + ops.sum(ops.stack([a, b]))

    g = both(f, (2.0, 5.0))
    assert g == (5.0 + 10.0 + 1.0, 2.0 + 1.0)


def test_unpack_twice_adds_both() -> None:
    def f(p: BVar[tuple[float, float]]) -> BVar[float]:
        a, _ = p.unpack()
        _, b = p.unpack()
        return a * 3.0 + b * 4.0

    assert both(f, (1.0, 1.0)) == (3.0, 4.0)


def test_views_of_a_dataclass_and_sequence_of_its_list() -> None:
    m = Model(list(layers()), 2.0)

    def f(q: BVar[Model]) -> BVar[float]:
        first, second = tp.sequence(q.view(lambda m: m.layers))
        w = first.view(lambda layer: layer.w)
        return q.view(lambda m: m.scale) * ops.sum(w) + ops.sum(second.unpack()[1])

    g = both(f, m)
    assert type(g) is Model and type(g.layers) is list and type(g.layers[0]) is Layer
    same(g.layers[0].w, np.full((3, 4), 2.0))
    same(g.layers[0].b, np.zeros(3))
    same(g.layers[1].b, np.ones(2))
    assert g.scale == m.layers[0].w.sum()


def test_deep_view_of_one_part() -> None:
    m = Model(list(layers()), 1.0)
    g = both(lambda q: ops.sum(q.view(lambda m: m.layers[1].b)) * 2.0, m)
    same(g.layers[1].b, np.full(2, 2.0))
    same(g.layers[0].w, np.zeros((3, 4)))


def test_the_output_may_be_a_part() -> None:
    assert both(lambda p: p.unpack()[1], (3.0, 4.0)) == (0.0, 1.0)


def test_one_array_in_two_places_gives_two_arrays() -> None:
    a = np.ones(3)
    g = both(lambda p: ops.sum(p.unpack()[0]) + ops.sum(p.unpack()[1]), (a, a))
    assert g[0] is not g[1]
    g[0][0] = 5.0
    assert g[1][0] == 1.0


def test_several_parameters_with_backprop_n() -> None:
    p1, p2 = layers()

    def f(a: BVar[Layer], b: BVar[Layer]) -> BVar[float]:
        wa, _ = a.unpack()
        wb, bb = b.unpack()
        return ops.sum(wa) + ops.sum(wb) * ops.sum(bb)

    _, (ga, gb) = tp.backprop_n(f, p1, p2)
    same(ga, Layer(np.ones((3, 4)), np.zeros(3)))
    same(gb, Layer(np.full((2, 3), p2.b.sum()), np.full(2, p2.w.sum())))


def test_gradients_are_freed_without_the_garbage_collector() -> None:
    # A reference cycle in putting the gradients together would keep them (and every array
    # they hold) alive until the collector runs: a large network's memory, call after call.
    gc.disable()
    try:
        g = tp.grad(net, layers())
        ref = weakref.ref(g[0].w)
        del g
        assert ref() is None
    finally:
        gc.enable()


def test_a_part_of_an_op_output_is_still_a_view() -> None:
    # Only parameters are split: a part of a computed value goes through a view node.
    def f(x: BVar[float]) -> BVar[float]:
        a, b = tp.sequence(tp.collect([x * 2.0, x * 3.0]))
        return a * b

    assert both(f, 1.5) == pytest.approx(12.0 * 1.5)


def test_a_layout_is_assembled_by_its_plan_after_the_first_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The generic walk (`_assembled`) makes the gradient once; the layout's generated plan
    # makes it from then on, the same to the last bit and of the same types.
    p = layers()
    first = tp.grad(net, p)
    graph = tp.trace(net, p)
    graph.backprop(p)  # the checked first replay

    def walked(*args: Any) -> Any:
        raise AssertionError("the generic walk ran: the plan was not used")

    monkeypatch.setattr(_structures, "_assembled", walked)
    for again in [tp.grad(net, p), graph.grad(p), tp.grad(net, layers())]:
        same(again, first)


def test_a_plan_steps_aside_where_a_call_does_not_fit_it() -> None:
    # The same layout (parameter, parts and their nodes) with other container types, and with
    # the whole used by an op besides its parts: the generic walk assembles those.
    def f(p: BVar[Any]) -> BVar[float]:
        layer, scale = p.unpack()
        w, b = layer.unpack()
        return ops.sum(w) * ops.sum(b) * scale

    layer = Layer(np.ones(2), np.full(3, 2.0))
    for _ in range(2):
        g = tp.grad(f, (layer, 1.0))
        same(g, (Layer(np.full(2, 6.0), np.full(3, 2.0)), 12.0))
    g = tp.grad(f, ((np.ones(2), np.full(3, 2.0)), 1.0))
    same(g, ((np.full(2, 6.0), np.full(3, 2.0)), 12.0))

    def total(t: tuple[float, float]) -> tuple[float, Any]:
        return t[0] + t[1], lambda g: (g, g)

    whole = tp.op1(total, name="total")
    use_whole = False

    def h(p: BVar[tuple[float, float]]) -> BVar[float]:
        a, b = p.unpack()
        return a * b + whole(p) if use_whole else a * b

    assert tp.grad(h, (2.0, 5.0)) == (5.0, 2.0)
    assert tp.grad(h, (2.0, 5.0)) == (5.0, 2.0)
    use_whole = True
    assert tp.grad(h, (2.0, 5.0)) == (6.0, 3.0)


def test_a_plan_hands_out_no_array_twice() -> None:
    # One array in two places, and a gradient that is the seed's array: copies, as the
    # generic walk makes them, on every call.
    a = np.ones(3)
    for _ in range(3):
        g = tp.grad(lambda p: ops.sum(p.unpack()[0]) + ops.sum(p.unpack()[1]), (a, a))
        assert g[0] is not g[1]
        g[0][0] = 5.0
        assert g[1][0] == 1.0
    seed = np.ones(3)
    for _ in range(3):
        _, g = tp.backprop_with(lambda p: p.unpack()[0] * 1.0, (np.ones(3), np.ones(3)), seed)
        assert not np.shares_memory(g[0], seed)


def test_plans_of_dicts_lists_and_dataclasses() -> None:
    # Wholes taken apart in order by views (a dict by its keys, a dataclass by its fields)
    # and by `sequence` (a list): each is rebuilt by its kind, call after call.
    def f(p: BVar[dict[str, Any]]) -> BVar[float]:
        a = p.view(lambda d: d["a"])
        items = tp.sequence(p.view(lambda d: d["b"]))
        return ops.sum(a) * items[0] + items[1] * 3.0

    d = {"a": np.ones(2), "b": [2.0, 4.0]}
    for _ in range(3):
        same_dict = both(f, d)
        assert list(same_dict) == ["a", "b"] and type(same_dict["b"]) is list
        same(same_dict["a"], np.full(2, 2.0))
        assert same_dict["b"] == [2.0, 3.0]

    m = Model(list(layers()), 2.0)

    def g(q: BVar[Model]) -> BVar[float]:
        first, second = tp.sequence(q.view(lambda m: m.layers))
        return ops.sum(first.unpack()[0]) * q.view(lambda m: m.scale) + ops.sum(second.unpack()[1])

    for _ in range(3):
        got = both(g, m)
        assert type(got) is Model and type(got.layers) is list
        same(got.layers[0], Layer(np.full((3, 4), 2.0), np.zeros(3)))
        same(got.layers[1], Layer(np.zeros((2, 3)), np.ones(2)))
        assert got.scale == m.layers[0].w.sum()


def test_empty_wholes_taken_apart() -> None:
    # `unpack` of `()` and `sequence` of `[]`: parts of no items, which no plan is made for.
    def f(p: BVar[tuple[np.ndarray, list[float]]]) -> BVar[float]:
        w, rest = p.unpack()
        assert tp.sequence(rest) == []
        return ops.sum(w)

    def g(p: BVar[tuple[float, tuple[()]]]) -> BVar[float]:
        x, nothing = p.unpack()
        assert nothing.unpack() == ()
        return x * 2.0

    for _ in range(3):
        got = tp.grad(f, (np.ones(3), []))
        same(got[0], np.ones(3))
        assert got[1] == []
        assert tp.grad(g, (3.0, ())) == (2.0, ())


def test_a_namedtuple_that_overrides_make_is_rebuilt_by_it() -> None:
    made: list[int] = []

    class Counted(Layer):
        @classmethod
        def _make(cls, iterable: Any) -> "Counted":
            made.append(1)
            return super()._make(iterable)

    def f(p: BVar[Counted]) -> BVar[float]:
        w, b = p.unpack()
        return ops.sum(w) + ops.sum(b)

    p = Counted(np.ones(2), np.ones(3))
    for _ in range(3):
        assert type(tp.grad(f, p)) is Counted
    assert len(made) == 3


def test_a_plan_is_made_for_a_type_the_kind_cache_has_not_met() -> None:
    # `assemble` may be the first to meet a container type (a caller that did not look at
    # the parameters first): its layout still gets a plan, not a planless entry for good.
    class Fresh(NamedTuple):
        w: np.ndarray
        b: np.ndarray

    assert Fresh not in _structures._cache
    p = Fresh(np.ones(2), np.ones(3))
    plan = _structures._make_plan((p,), (0,), {0: [(1, (0,)), (2, (1,))]})
    assert plan is not None
    g = plan((p,), [None, np.full(2, 2.0), np.full(3, 3.0)], None, False)
    same(g, (Fresh(np.full(2, 2.0), np.full(3, 3.0)),))
    assert type(g[0]) is Fresh


def test_layouts_that_keep_changing_stop_making_plans() -> None:
    # The parts' nodes move with the ops before `unpack`: a new layout at every length.
    # Past `_MADE_PER_KEY` layouts a key gets no more plans (each costs a compile).
    class Pair(NamedTuple):
        a: np.ndarray
        b: np.ndarray

    def f(p: BVar[Pair], n: int) -> BVar[float]:
        total = ops.sum(p.view(lambda q: q.a))  # a view: the layout's nodes start after it
        for _ in range(n):
            total = total * 1.0
        a, b = p.unpack()
        return total + ops.sum(a) * ops.sum(b)

    p = Pair(np.ones(2), np.ones(3))
    key = (Pair,)
    _structures._PLANS.pop(key, None)
    _structures._MADE.pop(key, None)
    limit = _structures._MADE_PER_KEY
    for n in range(limit + 5):
        g = tp.grad(partial(f, n=n), p)
        same(g, Pair(np.full(2, 4.0), np.full(3, 2.0)))
    assert _structures._MADE[key] == limit
    assert len(_structures._PLANS[key]) == _structures._PLANS_PER_KEY
