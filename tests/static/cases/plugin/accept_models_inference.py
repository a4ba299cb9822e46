"""What the plugin infers beyond numpy's stubs, used as models use it: numpy results that the
stubs type `Any` (reductions with `axis`, operators on `Mat`/`Vec` hints) given to floats, ints,
masks, annotated variables, returns, BVars and ops; fields of `shapecheck`ed NamedTuples and
frozen dataclasses read after their constructor, rebuilt in loops and branches, through `grad`,
optimizers, `trace` and `replace`; tuples returned by `shapecheck`ed functions. Every case runs,
and mypy accepts it."""

# ruff: noqa: E501
# fmt: off

import functools
from dataclasses import dataclass, field, replace
from typing import Final, Generic, NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt
from jaxtyping import Float

import typedprop as tp
from typedprop import Array, BVar, Mat, Vec, ops

IN: Final = 6
HIDDEN: Final[int] = 4
OUT: Final = 2
BATCH: Final = 8
LAYER_DIMS: Final = f"{HIDDEN} {IN}"
T = TypeVar("T")


@dataclass
class Box(Generic[T]):
    """A generic holder, as a training state keeps its model."""

    item: T


@tp.shapecheck
class Dense(NamedTuple):
    w: Float[Mat, "out in"]
    b: Float[Vec, " out"]

    def __call__(self, x: Float[Vec, " in"]) -> Float[Vec, " out"]:
        return ops.matvec(self.w, x) + self.b

    def scaled(self, s: float) -> "Dense":
        return Dense(self.w * s, self.b * s)


@tp.shapecheck
class Scaled(NamedTuple):
    w: Float[Mat, "out in"]
    b: Float[Vec, " out"]
    temperature: float = 1.0


@tp.shapecheck
@dataclass(frozen=True)
class Frozen:
    w: Float[Mat, "out in"]
    b: Float[Vec, " out"]
    scale: float = 1.0


@tp.shapecheck
@dataclass(frozen=True)
class Base:
    w: Float[Mat, "o i"]


@tp.shapecheck
@dataclass(frozen=True)
class WithBias(Base):
    b: Float[Vec, " o"]


@tp.shapecheck
@dataclass(frozen=True, kw_only=True)
class Keywords:
    w: Float[Mat, "o i"]
    b: Float[Vec, " o"]
    lr: float = 0.1


@tp.shapecheck
@dataclass(frozen=True)
class WithDefault:
    w: Float[Mat, "o i"]
    b: Float[Vec, " o"] = field(default_factory=lambda: tp.zeros(HIDDEN))
    tag: str = "dense"


@tp.shapecheck
class Attention(NamedTuple):
    wq: Float[Mat, "d k"]
    wk: Float[Mat, "d k"]
    wv: Float[Mat, "d v"]


@tp.shapecheck
class Cell(NamedTuple):
    wx: Float[Mat, "h i"]
    wh: Float[Mat, "h h"]
    b: Float[Vec, " h"]

    def step(self, x: Float[Vec, " i"], h: Float[Vec, " h"]) -> Float[Vec, " h"]:
        return np.tanh(self.wx @ x + self.wh @ h + self.b)

    @tp.shapecheck
    def step_with_change(self, x: Float[Vec, " i"], h: Float[Vec, " h"]) -> tuple[Float[Vec, " h"], Float[Vec, " h"]]:
        new = np.tanh(self.wx @ x + self.wh @ h + self.b)
        return new, new - h


@tp.shapecheck
def matvec(w: Float[Mat, "o i"], x: Float[Vec, " i"]) -> Float[Vec, " o"]:
    return w @ x


@tp.shapecheck
def init_pair() -> tuple[Float[Mat, "4 6"], Float[Vec, " 4"]]:
    return tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN)


@tp.shapecheck
def standardize(x: Float[Mat, "n d"]) -> tuple[Float[Mat, "n d"], Float[Vec, " d"], Float[Vec, " d"]]:
    mu, sd = x.mean(axis=0), x.std(axis=0) + 1e-8
    return (x - mu) / sd, mu, sd


def row_norm_max(x: Mat) -> float:
    return float(np.sqrt((x * x).sum(axis=1)).max())


def sgd_update(w: Mat, g: Mat, lr: float) -> Mat:
    w = w - lr * g
    return w


def accuracy(logits: Mat, labels: npt.NDArray[np.int64]) -> float:
    return float((logits.argmax(axis=1) == labels).mean())


def squared_norm(v: BVar[Vec]) -> BVar[float]:
    return ops.sum(ops.square(v))


def case_reduction_with_axis_to_float() -> None:
    # Row norms of a Mat reduced to one float with float(...).
    x = tp.normal(BATCH, IN, rng=0)
    assert row_norm_max(x) == float(np.linalg.norm(x, axis=1).max())


def case_reduction_of_a_vector_is_a_float() -> None:
    # A 1-D array reduced with axis=0 (and axis=-1) is a number, annotated float.
    v = tp.normal(IN, rng=0)
    s: float = v.sum(axis=0)
    m = float(np.mean(v, axis=-1))
    assert np.isclose(s, IN * m)


def case_keepdims_on_a_vector() -> None:
    # keepdims on a 1-D array leaves one element, read with [0] and .item().
    v = tp.normal(IN, rng=0)
    kept = v.mean(axis=0, keepdims=True)
    assert kept.shape == (1,) and float(kept[0]) == kept.item()


def case_mat_update_returns_mat() -> None:
    # An SGD step on Mat hints, `w - lr * g`, returned as Mat and fed to an op.
    w, g = tp.normal(HIDDEN, IN, rng=0), tp.ones(HIDDEN, IN)
    w2 = sgd_update(w, g, 0.5)
    assert np.allclose(w - w2, 0.5) and ops.matvec(w2, tp.ones(IN)).shape == (HIDDEN,)


def case_in_place_normalization() -> None:
    # Rows scaled to sum 1 and columns centered, in place with /= and -=.
    x = np.abs(tp.normal(BATCH, IN, rng=0)) + 0.1
    x /= x.sum(axis=1, keepdims=True)
    assert np.allclose(x.sum(axis=1), 1.0)
    x -= x.mean(axis=0)
    x[...] = x * 2.0
    assert np.allclose(x.mean(axis=0), 0.0)


def case_argmax_accuracy() -> None:
    # Accuracy: argmax over classes compared with integer labels, a mean of booleans.
    logits = tp.normal(BATCH, 3, rng=0)
    labels = logits.argmax(axis=1).astype(np.int64)
    assert accuracy(logits, labels) == 1.0


def case_mask_from_a_reduction() -> None:
    # Rows kept or dropped by a boolean mask made from a row sum.
    x = tp.normal(BATCH, IN, rng=0)
    keep = x.sum(axis=1) > 0
    both = keep & (x.mean(axis=1) < 1.0)
    assert x[keep].shape[0] + x[~keep].shape[0] == BATCH and int(both.sum()) <= int(keep.sum())


def case_where_with_a_row_mask() -> None:
    # np.where with a (n, 1) mask from max(..., keepdims=True), broadcast across the columns.
    x = tp.normal(BATCH, IN, rng=0)
    positive = x.max(axis=1, keepdims=True) > 0
    y = np.where(positive, x, 0.0)
    assert y.shape == (BATCH, IN) and np.all(y[~positive[:, 0]] == 0.0)


def case_where_single_argument() -> None:
    # np.where with one argument: the indices of the positive entries.
    x = tp.normal(BATCH, IN, rng=0)
    rows, cols = np.where(x > 0)
    first = np.where(x[:, 0] > 0)[0]
    assert rows.shape == cols.shape and np.all(x[rows, cols] > 0) and np.all(x[first, 0] > 0)


def case_bool_mask_annotated() -> None:
    # A comparison on a Mat kept in a variable annotated as a boolean array.
    x = tp.normal(BATCH, IN, rng=0)
    scores: Mat = x
    mask: npt.NDArray[np.bool_] = scores > 0.5
    assert mask.dtype == np.bool_ and mask.shape == (BATCH, IN)


def case_one_hot_counts() -> None:
    # Class counts from one-hot rows summed over the batch, then the most common class.
    labels = np.array([0, 1, 2, 1, 1])
    counts = np.eye(3)[labels].sum(axis=0)
    assert counts.astype(int).tolist() == [1, 3, 1] and int(counts.argmax()) == 1


def case_float32_standardization() -> None:
    # float32 features standardized with float32 statistics and a float32 epsilon.
    x = tp.normal(BATCH, IN, rng=0, dtype=np.float32)
    mu = x.mean(axis=0)
    sd = x.std(axis=0) + np.float32(1e-6)
    z: npt.NDArray[np.float32] = (x - mu) / sd
    out = z @ tp.normal(IN, 3, rng=1, dtype=np.float32)
    assert out.dtype == np.float32 and np.allclose(z.mean(axis=0), 0.0, atol=1e-5)


def case_float32_and_float64_statistics_mixed() -> None:
    # A float32 mean minus a float64 mean, kept as a Vec.
    a = tp.normal(BATCH, IN, rng=0, dtype=np.float32)
    b = tp.normal(BATCH, IN, rng=0)
    d: Vec = a.mean(axis=0) - b.mean(axis=0)
    assert d.shape == (IN,) and np.allclose(d, 0.0, atol=1e-5)


def case_reduced_into_annotated_vectors() -> None:
    # Column sums given to a Vec and to a sized hint.
    x = tp.normal(BATCH, IN, rng=0)
    v: Vec = x.sum(axis=0)
    u: Float[Vec, " 6"] = np.sum(x, axis=0)
    assert np.allclose(u, v)


def case_reduced_into_ops() -> None:
    # A mean input through matvec and tanh, a row sum through relu, a kept column through softmax.
    x = tp.normal(BATCH, IN, rng=0)
    w = tp.normal(3, IN, rng=1)
    h = ops.tanh(ops.matvec(w, x.mean(axis=0)))
    r = ops.relu(x.sum(axis=1))
    p = ops.softmax(x.mean(axis=1, keepdims=True), axis=0)
    assert h.shape == (3,) and r.shape == (BATCH,) and np.isclose(p.sum(), 1.0)


def case_bvar_and_reduced_array() -> None:
    # A BVar added to and multiplied by reduced arrays, on both sides.
    x = tp.normal(BATCH, IN, rng=0)
    w = tp.constant(tp.ones(IN))
    y = w + x.mean(axis=0)
    z = x.sum(axis=0) * w
    assert np.allclose(y.value, 1.0 + x.mean(axis=0)) and np.allclose(z.value, x.sum(axis=0))


def case_grad_at_a_mean() -> None:
    # The gradient of a squared norm at the batch mean, and a constant of it given to a loss.
    x = tp.normal(BATCH, IN, rng=0)
    g = tp.grad(squared_norm, x.mean(axis=0))
    c = tp.constant(x.mean(axis=0))
    assert np.allclose(g, 2 * x.mean(axis=0)) and np.isclose(squared_norm(c).value, (x.mean(axis=0) ** 2).sum())


def case_statistics_as_parameters() -> None:
    # A tuple of reduced arrays trained with SGD toward each other.
    x = tp.normal(BATCH, IN, rng=0)
    params = (x.mean(axis=0), x.std(axis=0))
    opt = tp.optim.SGD(params, lr=0.1)

    def loss(p: BVar[tuple[Vec, Vec]]) -> BVar[float]:
        a, b = p.unpack()
        return ops.sum(ops.square(a - b))

    before = float(((params[0] - params[1]) ** 2).sum())
    for _ in range(3):
        params = opt.step(params, tp.grad(loss, params))
    assert float(((params[0] - params[1]) ** 2).sum()) < before


def case_reduced_rows_collected() -> None:
    # Means of shrinking slices appended to a list of Vec, then stacked.
    x = tp.normal(BATCH, IN, rng=0)
    means: list[Vec] = []
    for k in range(3):
        means.append(x[k:].mean(axis=0))
    assert np.stack(means).shape == (3, IN)


def case_reduced_values_iterated() -> None:
    # Row means and deviations zipped, rounded and sorted as Python floats.
    x = tp.normal(BATCH, IN, rng=0)
    pairs = [(round(float(a), 3), float(b)) for a, b in zip(x.mean(axis=1), x.std(axis=1), strict=True)]
    best = max(x.mean(axis=1))
    assert len(pairs) == BATCH and np.isclose(best, x.mean(axis=1).max()) and sorted(x.sum(axis=1))[0] == x.sum(axis=1).min()


def case_statistics_in_a_dict() -> None:
    # Per-feature statistics kept by name.
    x = tp.normal(BATCH, IN, rng=0)
    stats: dict[str, Vec] = {"mean": x.mean(axis=0), "std": x.std(axis=0), "max": x.max(axis=0)}
    assert all(s.shape == (IN,) for s in stats.values())


def case_standardize_returns_a_sized_tuple() -> None:
    # A checked function returning (z, mean, std); the items go to checked calls.
    x = tp.normal(BATCH, IN, rng=0)
    z, mu, sd = standardize(x)
    w = tp.normal(HIDDEN, IN, rng=1)
    assert matvec(w, mu).shape == (HIDDEN,) and (z * sd + mu).shape == (BATCH, IN)


def case_reduction_recomputed_in_a_branch() -> None:
    # A statistic recomputed in one branch on another axis.
    x = tp.normal(BATCH, IN, rng=0)
    s = x.sum(axis=0)
    if s.shape[0] != IN:
        s = x.sum(axis=1)
    assert s.shape == (IN,)


def case_layer_fields_after_constructor() -> None:
    # A NamedTuple layer's fields read back and given to a checked call.
    layer = Dense(tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN))
    y = matvec(layer.w, tp.ones(IN)) + layer.b
    assert y.shape == (HIDDEN,) and layer(tp.ones(IN)).shape == (HIDDEN,)


def case_layer_rebuilt_with_other_sizes() -> None:
    # A layer replaced by a narrower one in a branch and in a loop.
    layer = Dense(tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN))
    if layer.b.shape[0] > OUT:
        layer = Dense(tp.normal(OUT, IN, rng=1), tp.zeros(OUT))
    assert (matvec(layer.w, tp.ones(IN)) + layer.b).shape == (OUT,)
    for _ in range(1):
        layer = Dense(tp.normal(HIDDEN, IN, rng=2), tp.zeros(HIDDEN))
    assert (matvec(layer.w, tp.ones(IN)) + tp.zeros(HIDDEN)).shape == (HIDDEN,)


def case_layer_grown_in_a_loop() -> None:
    # A layer that gains one output row per step.
    layer = Dense(tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN))
    for _ in range(3):
        layer = Dense(np.vstack([layer.w, tp.ones(IN)[None, :]]), np.append(layer.b, 0.0))
    assert (matvec(layer.w, tp.ones(IN)) + layer.b).shape == (HIDDEN + 3,)


def case_layers_chained_from_a_list() -> None:
    # Layers of different sizes in a list and in a dict, applied in order.
    layers = [Dense(tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN)), Dense(tp.normal(OUT, HIDDEN, rng=1), tp.zeros(OUT))]
    x: Vec = tp.ones(IN)
    for layer in layers:
        x = layer(x)
    by_name = {"enc": layers[0], "dec": layers[1]}
    assert x.shape == (OUT,) and (by_name["dec"].w @ (by_name["enc"].w @ tp.ones(IN))).shape == (OUT,)


def case_layer_method_rebuilds_it() -> None:
    # A method returning a new layer of the same sizes.
    layer = Dense(tp.normal(HIDDEN, IN, rng=0), tp.ones(HIDDEN)).scaled(0.5)
    assert np.allclose(layer.b, 0.5) and layer(tp.ones(IN)).shape == (HIDDEN,)


def case_manual_sgd_on_a_layer() -> None:
    # The layer rebuilt from its gradient by hand, fields minus lr times gradient fields.
    layer = Dense(tp.normal(OUT, IN, rng=0), tp.zeros(OUT))
    x = tp.ones(IN)

    def loss(p: BVar[Dense]) -> BVar[float]:
        w, b = p.unpack()
        return ops.sum(ops.square(ops.matvec(w, x) + b))

    before = loss(tp.constant(layer)).value
    for _ in range(5):
        g = tp.grad(loss, layer)
        layer = Dense(layer.w - 0.01 * g.w, layer.b - 0.01 * g.b)
    assert loss(tp.constant(layer)).value < before and (matvec(layer.w, x) + layer.b).shape == (OUT,)


def case_adam_on_a_layer() -> None:
    # Adam steps on a NamedTuple layer; its fields still fit a checked call.
    layer = Dense(tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN))
    opt = tp.optim.Adam(layer, lr=0.01)
    x = tp.ones(IN)

    def loss(p: BVar[Dense]) -> BVar[float]:
        w, b = p.unpack()
        return ops.sum(ops.square(ops.matvec(w, x) + b))

    for _ in range(3):
        layer = opt.step(layer, tp.grad(loss, layer))
    assert (matvec(layer.w, x) + layer.b).shape == (HIDDEN,)


def case_frozen_dataclass_gradient_step() -> None:
    # A frozen dataclass with a float field, rebuilt from its gradient.
    f = Frozen(tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN), 2.0)
    x = tp.ones(IN)

    def loss(p: BVar[Frozen]) -> BVar[float]:
        return ops.sum(ops.matvec(p.view(lambda q: q.w), x) + p.view(lambda q: q.b)) * p.view(lambda q: q.scale)

    g = tp.grad(loss, f)
    f = Frozen(f.w - 0.1 * g.w, f.b - 0.1 * g.b, f.scale - 0.1 * g.scale)
    assert (matvec(f.w, x) + f.b).shape == (HIDDEN,) and isinstance(f.scale, float)


def case_replace_with_other_sizes() -> None:
    # dataclasses.replace with both arrays of a new size, and with the float only.
    f = Frozen(tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN))
    smaller = replace(f, w=tp.normal(OUT, IN, rng=1), b=tp.zeros(OUT))
    hotter = replace(f, scale=2.0)
    assert (matvec(smaller.w, tp.ones(IN)) + smaller.b).shape == (OUT,)
    assert (matvec(hotter.w, tp.ones(IN)) + hotter.b).shape == (HIDDEN,) and hotter.scale == 2.0


def case_namedtuple_replace_and_index() -> None:
    # _replace with other sizes, and a layer read by index and by unpacking.
    layer = Dense(tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN))
    smaller = layer._replace(w=tp.normal(OUT, IN, rng=1), b=tp.zeros(OUT))
    w, b = layer
    assert (matvec(smaller.w, tp.ones(IN)) + smaller.b).shape == (OUT,)
    assert (layer[0] @ tp.ones(IN) + layer[1]).shape == (w @ tp.ones(IN) + b).shape == (HIDDEN,)


def case_structure_with_float_and_defaults() -> None:
    # A NamedTuple with a float field and its default, the float read back as a float.
    d = Scaled(tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN))
    e = Scaled(tp.normal(HIDDEN, IN, rng=1), tp.ones(HIDDEN), 0.5)
    t: float = e.temperature
    y = matvec(d.w, tp.ones(IN)) + e.b / e.temperature
    assert t == e[2] == 0.5 and np.allclose(y, matvec(d.w, tp.ones(IN)) + 2.0)


def case_dataclass_subclass_keyword_and_default_fields() -> None:
    # A checked subclass adding a field, a keyword-only dataclass, a field with a default factory.
    sub = WithBias(tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN))
    kw = replace(Keywords(b=tp.zeros(HIDDEN), w=tp.normal(HIDDEN, IN, rng=1)), lr=0.5)
    dflt = WithDefault(tp.normal(HIDDEN, IN, rng=2))
    x = tp.ones(IN)
    assert (matvec(sub.w, x) + sub.b + matvec(kw.w, x) + kw.b + matvec(dflt.w, x) + dflt.b).shape == (HIDDEN,)
    assert kw.lr == 0.5 and dflt.tag == "dense"


def case_attention_with_three_projections() -> None:
    # Single-head attention whose query and key projections share a type.
    p = Attention(tp.normal(8, 4, rng=0), tp.normal(8, 4, rng=1), tp.normal(8, 3, rng=2))
    x = tp.normal(5, 8, rng=3)
    q, k, v = x @ p.wq, x @ p.wk, x @ p.wv
    weights = ops.softmax(q @ k.T / 2.0, axis=1)
    out = weights @ v + tp.zeros(5, 3)
    assert out.shape == (5, 3) and np.allclose(weights.sum(axis=1), 1.0)


def case_rnn_cell_over_a_sequence() -> None:
    # An RNN cell stepped over a sequence, then a checked step returning (state, change).
    cell = Cell(tp.normal(HIDDEN, IN, rng=0), tp.normal(HIDDEN, HIDDEN, rng=1), tp.zeros(HIDDEN))
    h: Vec = tp.zeros(HIDDEN)
    xs = tp.normal(5, IN, rng=2)
    for t in range(5):
        h = cell.step(xs[t], h)
    new, change = cell.step_with_change(xs[0], h)
    assert np.allclose(new - change, h) and np.all(np.abs(new) < 1.0)


def case_tuple_from_a_checked_initializer() -> None:
    # A checked initializer's (w, b), reassigned in a branch to a new pair of the same sizes.
    w, b = init_pair()
    if float(np.abs(w).max()) > 100.0:
        w, b = tp.zeros(HIDDEN, IN), tp.zeros(HIDDEN)
    assert (matvec(w, tp.ones(IN)) + b).shape == (HIDDEN,)


def case_trace_replayed_on_a_smaller_layer() -> None:
    # A loss recorded on one layer, its gradient taken on a layer of other sizes.
    layer = Dense(tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN))
    x = tp.normal(BATCH, IN, rng=1)

    def loss(p: BVar[Dense]) -> BVar[float]:
        w, b = p.unpack()
        return ops.sum(ops.square(x @ w.T + b))

    graph = tp.trace(loss, layer)
    g = graph.grad(Dense(tp.normal(OUT, IN, rng=2), tp.zeros(OUT)))
    assert g.w.shape == (OUT, IN) and (matvec(g.w, tp.ones(IN)) + g.b).shape == (OUT,)


def case_array_hint_reduced_to_scalars() -> None:
    # A function on an Array hint: column means then the largest, as a float.
    def widest(x: Float[Array, "n d"]) -> float:
        return float(x.mean(axis=0).max())

    x = tp.normal(BATCH, IN, rng=0)
    assert widest(x) == float(x.mean(axis=0).max())


def case_statistics_recomputed_over_the_other_axis_in_a_loop() -> None:
    # Per-feature statistics first, then per-sample ones in the loop: a tuple target is assigned again.
    x = tp.normal(BATCH, IN, rng=0)
    s, m = x.sum(axis=0), x.mean(axis=0)
    for _ in range(1):
        s, m = x.sum(axis=1), x.mean(axis=1)
    assert (s + tp.zeros(BATCH)).shape == (BATCH,) and m.shape == (BATCH,)


def case_layer_unpacked_then_rebuilt_in_a_loop() -> None:
    # The unpacked weight and bias are replaced by a narrower layer's in the loop.
    w, b = Dense(tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN))
    for _ in range(1):
        w, b = Dense(tp.normal(OUT, IN, rng=1), tp.zeros(OUT))
    assert (b + tp.zeros(OUT)).shape == (OUT,) and w.shape == (OUT, IN)


def case_loop_variable_assigned_before_the_loop() -> None:
    # An accumulator first sized for the hidden layer, then the loop's variable over output-sized arrays.
    acc = tp.zeros(HIDDEN)
    for acc in [tp.zeros(OUT), tp.ones(OUT)]:
        print(acc.sum())
    assert (acc + tp.zeros(OUT)).shape == (OUT,)


def case_layers_appended_to_a_list_of_a_first_layer() -> None:
    # The list is built from a first layer, then a layer of other sizes is appended and read back.
    first = Dense(tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN))
    layers = [first]
    layers.append(Dense(tp.normal(OUT, IN, rng=1), tp.zeros(OUT)))
    assert (layers[1].b + tp.zeros(OUT)).shape == (OUT,)


def case_statistics_appended_to_a_list() -> None:
    # Column sums, then row sums appended to the same list.
    x = tp.normal(BATCH, IN, rng=0)
    first = x.sum(axis=0)
    sums = [first]
    sums.append(x.sum(axis=1))
    assert (sums[1] + tp.zeros(BATCH)).shape == (BATCH,)


def case_dict_of_layers_given_another_entry() -> None:
    # A dict of layers by name; the new entry has other sizes.
    layers = {"encoder": Dense(tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN))}
    layers["head"] = Dense(tp.normal(OUT, IN, rng=1), tp.zeros(OUT))
    assert (layers["head"].b + tp.zeros(OUT)).shape == (OUT,)


def case_generic_holder_given_another_layer() -> None:
    # A training state holds its model; the model is replaced by a narrower one.
    state = Box(Dense(tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN)))
    state.item = Dense(tp.normal(OUT, IN, rng=1), tp.zeros(OUT))
    other = Box(Dense(tp.normal(OUT, IN, rng=2), tp.zeros(OUT)))
    state = other
    assert (state.item.b + tp.zeros(OUT)).shape == (OUT,)


def case_tuple_of_a_layer_and_its_epoch_assigned_again() -> None:
    # A (layer, epoch) pair replaced by a narrower layer's.
    pair = (Dense(tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN)), 1)
    pair = (Dense(tp.normal(OUT, IN, rng=1), tp.zeros(OUT)), 2)
    best = (tp.zeros(HIDDEN), 0)
    best = (tp.zeros(OUT), 1)
    assert (pair[0].b + tp.zeros(OUT)).shape == (OUT,) and (best[0] + tp.zeros(OUT)).shape == (OUT,)


def case_column_sums_of_a_hinted_matrix_as_float64() -> None:
    # A Mat's column sums given where float64 vectors are expected.
    def center(w: Mat) -> npt.NDArray[np.float64]:
        return np.asarray(w - w.mean(axis=0), dtype=np.float64)

    v: np.ndarray[tuple[int], np.dtype[np.float64]] = tp.normal(HIDDEN, IN, rng=0).sum(axis=1)
    assert center(tp.normal(HIDDEN, IN, rng=0)).shape == (HIDDEN, IN) and v.shape == (HIDDEN,)


def case_transposed_or_chosen_in_a_branch() -> None:
    # A matrix transposed in a branch; a layer's field chosen in a branch.
    x = tp.zeros(HIDDEN, IN)
    if IN > 3:
        x = x.T
    first = Dense(tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN))
    second = Dense(tp.normal(OUT, IN, rng=1), tp.zeros(OUT))
    w = first.w
    if IN > 3:
        w = second.w
    assert (x @ tp.zeros(HIDDEN)).shape == (IN,) and (w @ tp.ones(IN) + tp.zeros(OUT)).shape == (OUT,)


def case_generic_helpers_replayed_on_other_sizes() -> None:
    # A graph traced on 8 rows replayed on 3, a reduce that grows its first value: no stale sizes.
    def loss(p: BVar[Mat]) -> BVar[float]:
        return ops.sum(ops.square(p))

    graph = tp.trace(loss, tp.zeros(BATCH, IN))
    g = graph.grad(tp.zeros(3, IN))
    grown = functools.reduce(lambda a, b: np.concatenate([a, b]), [tp.zeros(3, IN)], tp.zeros(BATCH, IN))
    assert (g + tp.zeros(3, IN)).shape == (3, IN) and (grown + tp.zeros(BATCH + 3, IN)).shape == (BATCH + 3, IN)


def case_final_shape_string_built_by_an_fstring() -> None:
    # A Final shape string written as an f-string of Final sizes, used as a hint.
    @tp.shapecheck
    def layer(w: Float[Mat, LAYER_DIMS]) -> Float[Mat, LAYER_DIMS]:
        return w

    assert layer(tp.zeros(HIDDEN, IN)).shape == (HIDDEN, IN)


def case_walrus_in_a_comprehension() -> None:
    # A variable given another size by := inside a comprehension.
    x = tp.zeros(HIDDEN)
    ys = [(x := tp.zeros(IN)) for _ in range(1)]
    assert (x + tp.zeros(IN)).shape == (IN,) and len(ys) == 1


def case_variable_read_in_a_loop_before_it_grows() -> None:
    # The loop reads x, then gives it a new size: its first pass's size is not the later ones'.
    x = tp.zeros(2)
    for i in range(2):
        if i == 1:
            assert (x + tp.zeros(4)).shape == (4,)
        x = tp.zeros(4)


def case_rows_of_a_batch_one_by_one() -> None:
    # A batch processed row by row, as the per-sample training loop does.
    batch = tp.normal(BATCH, IN, rng=0)
    w = tp.normal(HIDDEN, IN, rng=1)
    outs = [ops.matvec(w, row) for row in batch]
    for row in batch:
        assert (w @ row).shape == (HIDDEN,)
    assert len(outs) == BATCH


def case_two_layers_of_one_structure_type_and_a_skip() -> None:
    # Two heads of one structure type concatenated (8 + 8) meet a skip layer of 16: each
    # structure's `out` is its own size.
    a = Dense(tp.normal(HIDDEN, IN, rng=0), tp.zeros(HIDDEN))
    b = Dense(tp.normal(HIDDEN, IN, rng=1), tp.zeros(HIDDEN))
    skip = Dense(tp.normal(2 * HIDDEN, IN, rng=2), tp.zeros(2 * HIDDEN))

    def merge(a: Dense, b: Dense, skip: Dense, x: Mat) -> Mat:
        # (Annotated: mypy types a concatenation of arrays of different sizes `Any` here.)
        heads: Mat = ops.concatenate([x @ a.w.T + a.b, x @ b.w.T + b.b], axis=1)
        out: Mat = ops.add(ops.tanh(heads), x @ skip.w.T + skip.b)
        return out

    assert merge(a, b, skip, tp.ones(3, IN)).shape == (3, 2 * HIDDEN)


def case_array_of_any_rank_times_a_bvar_matrix() -> None:
    # An Array (any number of axes) times a BVar matrix: the result's rank is not known.
    def pooled(x: Array, w: BVar[Mat]) -> BVar[Vec]:
        tokens = x @ w + tp.zeros(3, OUT)
        return ops.mean(tokens, axis=1) @ tp.ones(OUT)

    g = tp.grad(lambda w: ops.sum(pooled(tp.ones(2, 3, IN), w)), tp.ones(IN, OUT))
    assert g.shape == (IN, OUT)


def case_state_scaled_in_a_loop_keeps_its_sizes() -> None:
    # A state scaled in a loop and in a branch keeps its sizes: used with them afterwards.
    k = tp.zeros(HIDDEN, IN)
    for _ in range(3):
        k = k * 2.0
    if IN > 3:
        k = k * 1.5
    assert (k @ tp.ones(IN)).shape == (HIDDEN,)


def case_shuffled_minibatches_and_a_ramp() -> None:
    # Minibatches drawn by a permutation, features scaled by a ramp: used with their sizes.
    x = tp.normal(BATCH, IN, rng=0)
    y = tp.zeros(BATCH, OUT)
    order = np.random.default_rng(0).permutation(BATCH)
    w = tp.normal(IN, OUT, rng=1) * np.linspace(0.5, 1.0, OUT)
    for start in range(0, BATCH, 4):
        idx = order[start : start + 4]
        err = x[idx] @ w - y[idx]
        assert err.shape == (4, OUT)


def case_rows_normalized_in_place_by_their_norms() -> None:
    # x /= its rows' norms (numpy types the norms Any), then used with its sizes.
    x = tp.normal(BATCH, IN, rng=0)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    assert (x @ tp.ones(IN)).shape == (BATCH,)


def case_clipped_against_array_bounds() -> None:
    # Bounds that are arrays widen the result by broadcasting.
    x = tp.normal(IN, rng=0)
    c = np.clip(x[:, None], 0.0, tp.ones(OUT))
    m = tp.normal(IN, rng=1).clip(0.0)
    assert (c @ tp.ones(OUT)).shape == (IN,) and m.shape == (IN,)


def case_trace_of_a_wide_matrix_and_of_a_stack() -> None:
    # ops.trace takes any matrix (and an offset), and the first two axes of a stack.
    wide = ops.trace(tp.ones(2, 3), offset=1)
    stacked = ops.trace(tp.ones(3, 3, 4))
    assert float(wide) == 2.0 and stacked.shape == (4,)


def case_reshaped_in_place() -> None:
    # x.shape = ... and x.resize(...) change an array's shape in place.
    x = tp.zeros(6)
    x.shape = (2, 3)
    y = tp.zeros(6)
    y.resize(2, 3, refcheck=False)
    assert (x @ tp.ones(3)).shape == (2,) and (y @ tp.ones(3)).shape == (2,)


def case_empty_like_of_another_shape() -> None:
    # empty_like with shape= is typed as its prototype, but has the new shape.
    buf = np.empty_like(tp.zeros(5), shape=(2, 3))
    col = buf[:, 0]
    assert col.shape == (2,)
