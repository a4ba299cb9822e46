"""Gradual: correct programs whose sizes mypy cannot pin to one value (a size that depends on a
branch, a variable reused for arrays of other sizes, lists of layers of different widths, a
recorded graph replayed on a smaller batch, sizes read from data) must see no new error. Every
case runs, and mypy accepts it."""

# ruff: noqa: E501
# fmt: off

import io
from typing import Final, NamedTuple

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import Array, BVar, Mat, Vec, ops

IN: Final = 8
HIDDEN: Final = 6
OUT: Final[int] = 3
BATCH: Final = 16


@tp.shapecheck
class Layer(NamedTuple):
    w: Float[Mat, "out in"]
    b: Float[Vec, " out"]


@tp.shapecheck
def dense(w: Float[Mat, "out in"], b: Float[Vec, " out"], x: Float[Vec, " in"]) -> Float[Vec, " out"]:
    return ops.tanh(ops.matvec(w, x) + b)


def batch_loss(p: BVar[Layer], x: Mat, y: Mat) -> BVar[float]:
    w, b = p.unpack()
    return ops.mean_squared_error(ops.linear(w, x, b), y)


def case_size_depends_on_a_branch() -> None:
    # h has 3 entries, or 4 in one branch; what follows works for either.
    for wide in (False, True):
        h = tp.zeros(3)
        if wide:
            h = tp.zeros(4)
        y = dense(tp.normal(2, h.shape[0], rng=0), tp.zeros(2), h)
        assert y.shape == (2,)


def case_size_chosen_by_a_conditional_expression() -> None:
    # A conditional expression of two sizes, then a checked call.
    for small in (True, False):
        x = tp.ones(IN) if small else tp.ones(2 * IN)
        w = tp.normal(HIDDEN, x.shape[0], rng=0)
        assert dense(w, tp.zeros(HIDDEN), x).shape == (HIDDEN,)


def case_one_name_reused_for_each_layer() -> None:
    # The same names w and b reassigned for each layer of other sizes.
    x = tp.ones(IN)
    w = tp.normal(HIDDEN, IN, rng=0)
    b = tp.zeros(HIDDEN)
    h = dense(w, b, x)
    w = tp.normal(OUT, HIDDEN, rng=1)
    b = tp.zeros(OUT)
    y = dense(w, b, h)
    assert y.shape == (OUT,)


def case_layers_of_different_sizes_appended_to_a_list() -> None:
    # A list of layers of different widths built by append, applied in a loop.
    layers = []
    layers.append(Layer(tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN)))
    layers.append(Layer(tp.normal(4, HIDDEN, rng=1), tp.zeros(4)))
    layers.append(Layer(tp.normal(OUT, 4, rng=2), tp.zeros(OUT)))
    h: Vec = tp.ones(IN)
    for layer in layers:
        h = dense(layer.w, layer.b, h)
    assert h.shape == (OUT,)


def case_weight_pairs_of_different_sizes_appended_to_a_list() -> None:
    # (weight, bias) pairs of different sizes built by append, applied in a loop.
    layers = []
    layers.append((tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN)))
    layers.append((tp.normal(OUT, HIDDEN, rng=1), tp.zeros(OUT)))
    h: Vec = tp.ones(IN)
    for w, b in layers:
        h = dense(w, b, h)
    assert h.shape == (OUT,)


def case_layers_built_from_a_list_of_sizes() -> None:
    # Layer sizes read from a list (a configuration), paired in a loop.
    sizes = [IN, 12, HIDDEN, OUT]
    layers = [Layer(tp.normal(n_out, n_in, rng=i), tp.zeros(n_out)) for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:], strict=False))]
    h: Vec = tp.ones(IN)
    for layer in layers:
        h = dense(layer.w, layer.b, h)
    assert h.shape == (OUT,)


def case_arrays_of_different_lengths_in_a_list() -> None:
    # Vectors of different lengths appended to one list, each reduced.
    pieces = [tp.ones(3)]
    pieces.append(tp.ones(5))
    pieces.append(tp.zeros(2))
    assert [float(ops.sum(p)) for p in pieces] == [3.0, 5.0, 0.0]


def case_recorded_graph_replayed_on_a_smaller_last_batch() -> None:
    # The loss recorded on a full batch of BATCH rows, replayed on a last batch of 4.
    params = Layer(tp.normal(OUT, IN, rng=0), tp.zeros(OUT))
    graph = tp.trace(batch_loss, params, tp.normal(BATCH, IN, rng=1), tp.zeros(BATCH, OUT))
    full = graph.grad(params, tp.normal(BATCH, IN, rng=2), tp.zeros(BATCH, OUT))
    last = graph.grad(params, tp.normal(4, IN, rng=3), tp.zeros(4, OUT))
    assert full.w.shape == last.w.shape == (OUT, IN)


def case_array_reassigned_with_a_new_shape_in_a_loop() -> None:
    # A curriculum: the sequence grows longer at each stage, under one name.
    w = tp.normal(HIDDEN, IN, rng=0)
    seq = tp.normal(4, IN, rng=1)
    for length in (8, 16):
        out = seq @ w.T
        assert out.shape == (seq.shape[0], HIDDEN)
        seq = tp.normal(length, IN, rng=length)
    assert seq.shape == (16, IN)


def case_state_grows_in_a_loop() -> None:
    # A buffer of rows that grows at each step.
    buffer = tp.zeros(0, IN)
    for step in range(3):
        buffer = np.concatenate([buffer, tp.normal(2, IN, rng=step)])
    assert buffer.shape == (6, IN)


def case_sizes_read_from_data() -> None:
    # Arrays made by np.asarray from Python lists and parsed from text: sizes unknown to mypy.
    data = [[0.5, 1.0, -1.0], [2.0, 0.0, 1.0]]
    x = np.asarray(data)
    parsed = np.loadtxt(io.StringIO("1 2 3\n4 5 6\n"))
    w = tp.normal(HIDDEN, 3, rng=0)
    assert ops.linear(w, x, tp.zeros(HIDDEN)).shape == (2, HIDDEN)
    assert ops.matvec(w, parsed[0]).shape == (HIDDEN,)


def case_sizes_from_function_arguments() -> None:
    # A builder taking its sizes as int arguments, called with different sizes.
    def build(n_in: int, n_out: int, seed: int) -> Layer:
        return Layer(tp.normal(n_out, n_in, rng=seed), tp.zeros(n_out))

    small, large = build(IN, 2, 0), build(IN, 20, 1)
    x = tp.ones(IN)
    assert dense(small.w, small.b, x).shape == (2,) and dense(large.w, large.b, x).shape == (20,)


def case_swapped_arrays() -> None:
    # Two arrays of different sizes swapped.
    a, b = tp.ones(3), tp.ones(5)
    a, b = b, a
    assert a.shape == (5,) and b.shape == (3,)


def case_dict_of_differently_sized_arrays() -> None:
    # A dict of arrays of several sizes, each used on its own.
    params = {"embed": tp.normal(10, 4, rng=0), "head": tp.normal(4, 2, rng=1)}
    x = params["embed"] @ params["head"]
    assert x.shape == (10, 2)


def case_branch_on_a_shape_inside_a_loss() -> None:
    # A loss that branches on its input's shape; traced per shape.
    def loss(v: BVar[Array]) -> BVar[float]:
        if v.shape[0] > 3:
            return ops.sum(v[:3])
        return ops.sum(v)

    assert tp.grad(loss, tp.ones(5)).sum() == 3.0 and tp.grad(loss, tp.ones(2)).sum() == 2.0


def case_optional_layer() -> None:
    # An optional projection that may be absent.
    for project in (False, True):
        proj: Mat | None = tp.normal(HIDDEN, HIDDEN, rng=0) if project else None
        h = dense(tp.normal(HIDDEN, IN, rng=1), tp.zeros(HIDDEN), tp.ones(IN))
        if proj is not None:
            h = ops.matvec(proj, h)
        assert h.shape == (HIDDEN,)


def case_parameters_replaced_by_an_optimizer() -> None:
    # Sized parameters replaced by an optimizer's step in a loop.
    params = Layer(tp.normal(OUT, IN, rng=0), tp.zeros(OUT))
    x, y = tp.normal(BATCH, IN, rng=1), tp.zeros(BATCH, OUT)
    opt = tp.optim.SGD(params, lr=0.1)
    for _ in range(3):
        params = opt.step(params, tp.grad(lambda p: batch_loss(p, x, y), params))
    assert params.w.shape == (OUT, IN)


def case_padding_changes_the_size() -> None:
    # A vector padded to a larger size under the same name.
    x = tp.ones(IN)
    x = np.pad(x, (0, 2))
    assert x.shape == (IN + 2,)
    assert ops.matvec(tp.normal(OUT, IN + 2, rng=0), x).shape == (OUT,)
