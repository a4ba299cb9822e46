"""Parameter structures as users write them: tuples, lists, dicts, NamedTuples and dataclasses of
sized arrays, nested, through `tp.grad`, `tp.backprop_n`, `tp.trace`, `view`, `unpack`, `narrow`
and optimizers. Every case runs, and mypy accepts it."""

# ruff: noqa: E501
# fmt: off

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Final, NamedTuple, assert_type

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import BVar, Mat, Vec, ops

IN: Final = 6
HIDDEN: Final[int] = 4
OUT: Final = 2


@tp.shapecheck
class Affine(NamedTuple):
    w: Float[Mat, "out in"]
    b: Float[Vec, " out"]


@tp.shapecheck
@dataclass(frozen=True)
class Encoder:
    embed: Float[Mat, "vocab d"]
    proj: Float[Mat, "d k"]


@tp.shapecheck
@dataclass
class Scaler:
    gain: Float[Vec, " n"]
    shift: Float[Vec, " n"]
    temperature: float


@tp.shapecheck
def init_pair() -> tuple[Float[Mat, "4 6"], Float[Mat, "6 4"]]:
    return tp.normal(HIDDEN, IN, rng=0), tp.normal(IN, HIDDEN, rng=1)


@dataclass(frozen=True)
class LinearModel:
    w: Vec
    b: float


@dataclass(frozen=True)
class QuadraticModel:
    a: Vec
    w: Vec
    b: float


Model = LinearModel | QuadraticModel


def predict(p: BVar[Model], x: Mat) -> BVar[Vec]:
    match p.value:
        case LinearModel():
            lin = p.narrow(LinearModel)
            return x @ lin.view(lambda m: m.w) + lin.view(lambda m: m.b)
        case QuadraticModel():
            quad = p.narrow(QuadraticModel)
            return (x * x) @ quad.view(lambda m: m.a) + x @ quad.view(lambda m: m.w) + quad.view(lambda m: m.b)
    raise TypeError(p.value)


def case_tuple_of_arrays() -> None:
    # A heterogeneous tuple (matrix, vector, matrix, vector): the gradient is the same tuple.
    params = (tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN), tp.normal(OUT, HIDDEN, rng=1), tp.zeros(OUT))
    x = tp.ones(IN)

    def loss(p: BVar[tuple[Mat, Vec, Mat, Vec]]) -> BVar[float]:
        w1, b1, w2, b2 = p.unpack()
        return ops.sum(ops.linear(w2, ops.tanh(ops.linear(w1, x, b1)), b2))

    g = tp.grad(loss, params)
    assert g[0].shape == (HIDDEN, IN) and g[3].shape == (OUT,)


def case_namedtuple_layers_in_a_list() -> None:
    # A list of layers whose sizes chain, differentiated as one list.
    sizes = [IN, 5, HIDDEN, OUT]
    layers = [Affine(tp.normal(n_out, n_in, rng=i), tp.zeros(n_out)) for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True))]
    x = tp.ones(IN)

    def loss(ls: BVar[list[Affine]]) -> BVar[float]:
        h: BVar[Vec] = tp.constant(x)
        for layer in tp.sequence(ls):
            w, b = layer.unpack()
            h = ops.tanh(ops.linear(w, h, b))
        return ops.sum(h)

    g = tp.grad(loss, layers)
    assert [gl.w.shape for gl in g] == [(5, IN), (HIDDEN, 5), (OUT, HIDDEN)]


def case_dataclass_with_views() -> None:
    # A dataclass taken apart by view: an embedding looked up, then projected.
    enc = Encoder(tp.normal(20, 8, rng=0), tp.normal(8, 3, rng=1))
    tokens = np.array([1, 5, 7, 5])

    def loss(p: BVar[Encoder]) -> BVar[float]:
        vectors = ops.take(p.view(lambda e: e.embed), tokens, axis=0)
        return ops.sum(ops.square(vectors @ p.view(lambda e: e.proj)))

    g = tp.grad(loss, enc)
    assert g.embed.shape == (20, 8) and g.proj.shape == (8, 3)


def case_mutable_dataclass_with_a_float() -> None:
    # A non-frozen dataclass holding arrays and a Python float.
    s = Scaler(tp.ones(IN), tp.zeros(IN), 2.0)
    x = tp.normal(10, IN, rng=0)

    def loss(p: BVar[Scaler]) -> BVar[float]:
        y = x * p.view(lambda q: q.gain) + p.view(lambda q: q.shift)
        return ops.logsumexp(y / p.view(lambda q: q.temperature))

    g = tp.grad(loss, s)
    assert g.temperature != 0.0 and g.gain.shape == (IN,)


def case_nested_dict_of_layers() -> None:
    # A dict of layers by name.
    params = {"encoder": Affine(tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN)), "decoder": Affine(tp.normal(IN, HIDDEN, rng=1), tp.zeros(IN))}
    x = tp.normal(8, IN, rng=2)

    def loss(p: BVar[dict[str, Affine]]) -> BVar[float]:
        enc, dec = p.view(lambda d: d["encoder"]), p.view(lambda d: d["decoder"])
        code = ops.relu(ops.linear(enc.view(lambda a: a.w), x, enc.view(lambda a: a.b)))
        return ops.mean_squared_error(ops.linear(dec.view(lambda a: a.w), code, dec.view(lambda a: a.b)), x)

    g = tp.grad(loss, params)
    assert list(g) == ["encoder", "decoder"] and g["decoder"].w.shape == (IN, HIDDEN)


def case_backprop_n_of_parameters_and_input() -> None:
    # Separate arguments: the parameters and the input both differentiated.
    layer = Affine(tp.normal(OUT, IN, rng=0), tp.zeros(OUT))
    x = tp.normal(IN, rng=1)

    def loss(p: BVar[Affine], xv: BVar[Vec]) -> BVar[float]:
        w, b = p.unpack()
        return ops.sum(ops.square(ops.matvec(w, xv) + b))

    value, (g_layer, g_x) = tp.backprop_n(loss, layer, x)
    assert value >= 0.0 and g_layer.w.shape == (OUT, IN) and g_x.shape == (IN,)


def case_grad_n_of_three_arguments() -> None:
    # grad_n with three arguments of three types.
    w, b, scale = tp.normal(OUT, IN, rng=0), tp.zeros(OUT), 1.5

    def loss(wv: BVar[Mat], bv: BVar[Vec], s: BVar[float]) -> BVar[float]:
        return ops.sum(ops.tanh(ops.matvec(wv, tp.ones(IN)) * s + bv))

    gw, gb, gs = tp.grad_n(loss, w, b, scale)
    assert gw.shape == (OUT, IN) and gb.shape == (OUT,) and isinstance(gs, float)


def case_union_of_models_narrowed() -> None:
    # A model that is one of two dataclasses, narrowed after a match.
    x, y = tp.normal(20, 3, rng=0), tp.normal(20, rng=1)

    def loss(p: BVar[Model]) -> BVar[float]:
        return ops.mean_squared_error(predict(p, x), y)

    for model in (LinearModel(tp.zeros(3), 0.0), QuadraticModel(tp.zeros(3), tp.zeros(3), 0.0)):
        g = tp.grad(loss, model)
        assert type(g) is type(model)


def case_traced_structure_replayed() -> None:
    # A structure through tp.trace: recorded once, replayed on new parameters.
    x = tp.normal(IN, rng=0)

    def loss(p: BVar[tuple[Affine, Affine]]) -> BVar[float]:
        first, second = p.unpack()
        h = ops.tanh(ops.linear(first.view(lambda a: a.w), x, first.view(lambda a: a.b)))
        return ops.sum(ops.linear(second.view(lambda a: a.w), h, second.view(lambda a: a.b)))

    params = (Affine(tp.normal(HIDDEN, IN, rng=1), tp.zeros(HIDDEN)), Affine(tp.normal(OUT, HIDDEN, rng=2), tp.zeros(OUT)))
    graph = tp.trace(loss, params)
    g = graph.grad(params)
    assert np.array_equal(g[0].w, tp.grad(loss, params)[0].w)


def case_graph_as_an_op() -> None:
    # A recorded graph without data used as an op inside another loss.
    def norm2(v: BVar[Vec]) -> BVar[float]:
        return v @ v

    # (x0 typed Vec: traced on a float64 array, the op would take float64 arrays only.)
    x0: Vec = tp.zeros(IN)
    op = tp.trace(norm2, x0).as_op()
    w = tp.normal(IN, IN, rng=0)

    def loss(x: BVar[Vec]) -> BVar[float]:
        return op(ops.matvec(w, x))

    g = tp.grad(loss, tp.ones(IN))
    assert g.shape == (IN,)


def case_backprop_with_a_seed() -> None:
    # A vector-Jacobian product: a vector output seeded with its gradient.
    w = tp.normal(OUT, IN, rng=0)

    def forward(x: BVar[Vec]) -> BVar[Vec]:
        return ops.tanh(ops.matvec(w, x))

    # (seed typed Vec: a float64 seed would fix the output's type to float64 arrays.)
    seed: Vec = tp.ones(OUT)
    y, vjp = tp.backprop_with(forward, tp.ones(IN), seed)
    assert y.shape == (OUT,) and vjp.shape == (IN,)


def case_optimizer_over_a_dataclass() -> None:
    # Adam over a dataclass: the step returns the same dataclass.
    enc = Encoder(tp.normal(10, 4, rng=0), tp.normal(4, 2, rng=1))
    opt = tp.optim.Adam(enc, lr=0.01)

    def loss(p: BVar[Encoder]) -> BVar[float]:
        return ops.sum(ops.square(p.view(lambda e: e.embed) @ p.view(lambda e: e.proj)))

    for _ in range(3):
        enc = opt.step(enc, tp.grad(loss, enc))
    assert_type(enc, Encoder)
    assert enc.proj.shape == (4, 2)


def case_own_type_with_backprop_methods() -> None:
    # A type of one's own with zero, add and one: a leaf of the structure.
    @dataclass(frozen=True)
    class Temperature:
        kelvin: float

        def zero(self) -> "Temperature":
            return Temperature(0.0)

        def add(self, other: "Temperature") -> "Temperature":
            return Temperature(self.kelvin + other.kelvin)

        def one(self) -> "Temperature":
            return Temperature(1.0)

    @tp.op1
    def celsius(t: Temperature) -> tuple[float, Callable[[float], Temperature]]:
        return t.kelvin - 273.15, lambda g: Temperature(g)

    g = tp.grad(lambda t: celsius(t) * 2.0, Temperature(300.0))
    assert g == Temperature(2.0)


def case_float32_structure() -> None:
    # A float32 layer: the gradient is float32 at every leaf.
    layer = Affine(tp.normal(OUT, IN, rng=0, dtype=np.float32), tp.zeros(OUT, dtype=np.float32))
    x = tp.ones(IN, dtype=np.float32)

    def loss(p: BVar[Affine]) -> BVar[float]:
        w, b = p.unpack()
        return ops.sum(ops.linear(w, x, b))

    g = tp.grad(loss, layer)
    assert g.w.dtype == np.float32 and g.b.dtype == np.float32


def case_fields_keep_the_constructor_sizes() -> None:
    # The layer's fields keep the sizes given to its constructor, and are used with them.
    layer = Affine(tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN))
    h = layer.w @ tp.ones(IN) + layer.b
    tp.reveal_shape(h)  # N: Static shape is (4,)
    enc = Encoder(tp.normal(20, 8, rng=1), tp.normal(8, 3, rng=2))
    y = tp.ones(5, 20) @ enc.embed @ enc.proj
    assert h.shape == (HIDDEN,) and y.shape == (5, 3)


def case_layers_of_different_sizes_in_a_list_then_fields() -> None:
    # A list of layers of different sizes: a field read in the loop has no stale size.
    layers = [Affine(tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN)), Affine(tp.normal(OUT, HIDDEN, rng=1), tp.zeros(OUT))]
    h = tp.ones(IN)
    for layer in layers:
        h = np.tanh(layer.w @ h + layer.b)
    assert h.shape == (OUT,)


def case_layer_rebuilt_in_a_branch() -> None:
    # The layer is rebuilt with other sizes on one path: after the branch its sizes are unknown.
    layer = Affine(tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN))
    wide = IN > 3
    if wide:
        layer = Affine(tp.normal(OUT, IN, rng=1), tp.zeros(OUT))
    h = layer.w @ tp.ones(IN)
    out = h + (tp.zeros(OUT) if wide else tp.zeros(HIDDEN))
    assert out.shape == ((OUT,) if wide else (HIDDEN,))


def case_mutable_dataclass_field_given_another_size() -> None:
    # A mutable dataclass's field may be given another size later: its fields keep none.
    s = Scaler(tp.ones(IN), tp.zeros(IN), 1.0)
    s.gain = tp.ones(HIDDEN)
    s.shift = tp.zeros(HIDDEN)
    y = tp.ones(3, HIDDEN) * s.gain + s.shift
    assert y.shape == (3, HIDDEN)


def case_gradient_and_adam_keep_the_layer_sizes() -> None:
    # The gradient and the optimizer's step have the parameters' sizes, used as such.
    layer = Affine(tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN))
    x = tp.ones(IN)

    def loss(p: BVar[Affine]) -> BVar[float]:
        w, b = p.unpack()
        return ops.sum(ops.tanh(ops.linear(w, x, b)))

    opt = tp.optim.Adam(layer, lr=0.01)
    for _ in range(2):
        g = tp.grad(loss, layer)
        layer = opt.step(layer, g)
    step = layer.w - 0.1 * g.w
    tp.reveal_shape(step)  # N: Static shape is (4, 6)
    assert step.shape == (HIDDEN, IN)


def case_replace_with_the_same_widths() -> None:
    # dataclasses.replace with a longer vocabulary of the same width: the new sizes are used.
    enc = Encoder(tp.normal(20, 8, rng=0), tp.normal(8, 3, rng=1))
    bigger = replace(enc, embed=tp.normal(50, 8, rng=2))
    y = tp.ones(2, 50) @ bigger.embed @ bigger.proj
    assert y.shape == (2, 3)


def case_tuple_from_a_checked_initializer() -> None:
    # A shapecheck'ed initializer's tuple result: each item has its hint's sizes.
    enc, dec = init_pair()
    x_hat = dec @ (enc @ tp.ones(IN))
    assert x_hat.shape == (IN,)
