"""Training loops as users write them: gradients, optimizers (`tp.optim`), recorded graphs
replayed on batches (the last one smaller), checkpoints, metrics beside the loss. Every case runs,
and mypy accepts it."""

# ruff: noqa: E501
# fmt: off

import pathlib
import tempfile
from collections.abc import Callable
from typing import Final, NamedTuple

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import BVar, Mat, Vec, ops

FEATURES: Final = 10
HIDDEN: Final = 16
CLASSES: Final = 3
SAMPLES: Final = 50
BATCH: Final[int] = 16


@tp.shapecheck
class Linear(NamedTuple):
    w: Float[Mat, "out in"]
    b: Float[Vec, " out"]


@tp.shapecheck
class Net(NamedTuple):
    l1: Linear
    l2: Linear


def init_net(seed: int) -> Net:
    return Net(
        Linear(tp.normal(HIDDEN, FEATURES, scale=FEATURES**-0.5, rng=seed), tp.zeros(HIDDEN)),
        Linear(tp.normal(CLASSES, HIDDEN, scale=HIDDEN**-0.5, rng=seed + 1), tp.zeros(CLASSES)),
    )


def logits_of(p: BVar[Net], x: Mat) -> BVar[Mat]:
    l1, l2 = p.unpack()
    w1, b1 = l1.unpack()
    w2, b2 = l2.unpack()
    return ops.linear(w2, ops.relu(ops.linear(w1, x, b1)), b2)


def batch_loss(p: BVar[Net], x: Mat, labels: np.ndarray) -> BVar[float]:
    return ops.softmax_cross_entropy_with_integer_labels(logits_of(p, x), labels)


def objective(x: Mat, labels: np.ndarray) -> Callable[[BVar[Net]], BVar[float]]:
    return lambda p: batch_loss(p, x, labels)


def dataset(seed: int) -> tuple[Mat, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = tp.normal(SAMPLES, FEATURES, rng=rng)
    labels = rng.integers(0, CLASSES, SAMPLES)
    return x, labels


def case_linear_regression_by_gradient_descent() -> None:
    # Least squares fitted by plain gradient descent on (w, b).
    x = tp.normal(SAMPLES, FEATURES, rng=0)
    true_w = tp.normal(FEATURES, rng=1)
    y = x @ true_w + 0.5
    params = (tp.zeros(FEATURES), 0.0)

    def loss(p: BVar[tuple[Vec, float]]) -> BVar[float]:
        w, b = p.unpack()
        return ops.mean_squared_error(x @ w + b, y)

    first = tp.evaluate(loss, params)
    for _ in range(100):
        gw, gb = tp.grad(loss, params)
        params = (params[0] - 0.1 * gw, params[1] - 0.1 * gb)
    assert tp.evaluate(loss, params) < first


def case_logistic_regression_with_sgd() -> None:
    # Binary logistic regression with tp.optim.SGD.
    x = tp.normal(SAMPLES, FEATURES, rng=0)
    labels = (x[:, 0] > 0).astype(np.float64)
    params = Linear(tp.zeros(1, FEATURES), tp.zeros(1))
    opt = tp.optim.SGD(params, lr=0.5)

    def loss(p: BVar[Linear]) -> BVar[float]:
        w, b = p.unpack()
        return ops.sigmoid_binary_cross_entropy(ops.linear(w, x, b)[:, 0], labels)

    for _ in range(50):
        params = opt.step(params, tp.grad(loss, params))
    assert params.w.shape == (1, FEATURES) and tp.evaluate(loss, params) < np.log(2.0)


def case_classifier_with_adam_on_minibatches() -> None:
    # A two-layer classifier trained by Adam on mini-batches; the last batch is smaller.
    x, labels = dataset(0)
    net = init_net(1)
    opt = tp.optim.Adam(net, lr=0.01)
    for _epoch in range(3):
        for start in range(0, SAMPLES, BATCH):
            xb, yb = x[start : start + BATCH], labels[start : start + BATCH]
            _value, g = tp.backprop(objective(xb, yb), net)
            net = opt.step(net, g)
    assert net.l1.w.shape == (HIDDEN, FEATURES) and opt.steps == 12


def case_momentum_optimizer() -> None:
    # Momentum on a dict of parameters.
    x, y = tp.normal(SAMPLES, FEATURES, rng=0), tp.normal(SAMPLES, rng=1)
    params: dict[str, Vec] = {"w": tp.zeros(FEATURES), "b": tp.zeros(1)}
    opt = tp.optim.Momentum(params, lr=0.05, momentum=0.9)

    def loss(p: BVar[dict[str, Vec]]) -> BVar[float]:
        return ops.mean_squared_error(x @ p.view(lambda d: d["w"]) + p.view(lambda d: d["b"]), y)

    for _ in range(20):
        params = opt.step(params, tp.grad(loss, params))
    assert params["w"].shape == (FEATURES,)


def case_recorded_graph_with_a_smaller_last_batch() -> None:
    # The loss recorded once with tp.trace on a full batch, replayed on every batch, the last one
    # smaller (it gets its own record).
    x, labels = dataset(0)
    net = init_net(1)
    graph = tp.trace(batch_loss, net, x[:BATCH], labels[:BATCH])
    opt = tp.optim.SGD(net, lr=0.1)
    sizes = []
    for start in range(0, SAMPLES, BATCH):
        xb, yb = x[start : start + BATCH], labels[start : start + BATCH]
        sizes.append(xb.shape[0])
        net = opt.step(net, graph.grad(net, xb, yb))
    assert sizes == [16, 16, 16, 2]


def case_recorded_graph_per_sample() -> None:
    # Per-sample training as the MNIST program does: one sample and its label as data.
    x, labels = dataset(0)
    net = init_net(1)

    def sample_loss(p: BVar[Net], xi: Vec, label: int) -> BVar[float]:
        l1, l2 = p.unpack()
        w1, b1 = l1.unpack()
        w2, b2 = l2.unpack()
        h = ops.logistic(ops.matvec(w1, xi) + b1)
        return ops.softmax_cross_entropy_with_integer_labels(ops.matvec(w2, h) + b2, label)

    graph = tp.trace(sample_loss, net, x[0], int(labels[0]))
    for i in range(10):
        value, g = graph.backprop(net, x[i], int(labels[i]))
        net = Net(*(Linear(*(p - 0.05 * q for p, q in zip(lp, lg, strict=True))) for lp, lg in zip(net, g, strict=True)))
        assert value > 0.0
    assert net.l2.b.shape == (CLASSES,)


def case_accuracy_beside_the_loss() -> None:
    # has_aux: the predictions come back beside the loss, as values.
    x, labels = dataset(0)
    net = init_net(1)

    def loss(p: BVar[Net]) -> tuple[BVar[float], BVar[Mat]]:
        logits = logits_of(p, x)
        return ops.softmax_cross_entropy_with_integer_labels(logits, labels), logits

    (value, logits), g = tp.backprop(loss, net, has_aux=True)
    accuracy = float(np.mean(np.argmax(logits, axis=1) == labels))
    assert logits.shape == (SAMPLES, CLASSES) and 0.0 <= accuracy <= 1.0 and value > 0.0
    assert g.l1.b.shape == (HIDDEN,)


def case_checkpoint_and_resume() -> None:
    # Parameters and the optimizer's state saved and loaded back into templates.
    x, labels = dataset(0)
    net = init_net(1)
    opt = tp.optim.Adam(net, lr=0.01)
    for _ in range(3):
        net = opt.step(net, tp.grad(lambda p: batch_loss(p, x, labels), net))
    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder)
        tp.save(path / "net.npz", net)
        tp.save(path / "adam.npz", opt.state())
        restored = tp.load(path / "net.npz", like=init_net(5))
        opt2 = tp.optim.Adam(restored, lr=0.01)
        opt2.load_state(tp.load(path / "adam.npz", like=opt2.state()))
    assert np.array_equal(restored.l1.w, net.l1.w) and opt2.steps == 3


def case_early_stopping_on_held_out_loss() -> None:
    # Training stops when the held-out loss stops falling.
    x, labels = dataset(0)
    x_val, labels_val = dataset(1)
    net = init_net(2)
    opt = tp.optim.Adam(net, lr=0.05)
    best, patience = np.inf, 0
    for _ in range(30):
        net = opt.step(net, tp.grad(lambda p: batch_loss(p, x, labels), net))
        held_out = tp.evaluate(lambda p: batch_loss(p, x_val, labels_val), net)
        if held_out < best:
            best, patience = held_out, 0
        else:
            patience += 1
            if patience >= 3:
                break
    assert np.isfinite(best)


def case_weight_decay_in_the_loss() -> None:
    # An L2 penalty on the weights added to the data loss.
    x, labels = dataset(0)

    def loss(p: BVar[Net]) -> BVar[float]:
        l1, l2 = p.unpack()
        penalty = ops.sum(ops.square(l1.view(lambda q: q.w))) + ops.sum(ops.square(l2.view(lambda q: q.w)))
        return batch_loss(p, x, labels) + 1e-3 * penalty

    g = tp.grad(loss, init_net(0))
    assert g.l2.w.shape == (CLASSES, HIDDEN)


def case_gradient_clipping_by_norm() -> None:
    # Gradients clipped by their global norm before the step.
    x, labels = dataset(0)
    net = init_net(0)
    g = tp.grad(lambda p: batch_loss(p, x, labels), net)
    leaves = [g.l1.w, g.l1.b, g.l2.w, g.l2.b]
    norm = float(np.sqrt(sum(np.sum(leaf**2) for leaf in leaves)))
    scale = min(1.0, 1.0 / (norm + 1e-12))
    clipped = Net(Linear(g.l1.w * scale, g.l1.b * scale), Linear(g.l2.w * scale, g.l2.b * scale))
    net = tp.optim.SGD(net, lr=0.1).step(net, clipped)
    assert net.l1.w.shape == (HIDDEN, FEATURES)


def case_check_grads_of_a_small_model() -> None:
    # typedprop.testing.check_grads against finite differences on a small model.
    x = tp.normal(4, 3, rng=0)
    params = Linear(tp.normal(2, 3, rng=1), tp.zeros(2))

    def loss(p: BVar[Linear]) -> BVar[float]:
        w, b = p.unpack()
        return ops.sum(ops.tanh(ops.linear(w, x, b)))

    tp.testing.check_grads(loss, params)
