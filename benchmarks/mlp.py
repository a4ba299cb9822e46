"""The MNIST network 784-300-100-10: value and full gradient, typedprop against numpy and peers.

The seed's network: two logistic hidden layers of 300 and 100 units and a softmax output of 10,
float64, the softmax cross-entropy against integer labels (averaged over the batch). One run
computes the loss and the gradient of all six arrays of the heterogeneous parameter tuple
`(Layer(w, b), Layer(w, b), Layer(w, b))`, at batch 1 (one sample as a vector: `w @ x + b`, as
the seed's per-sample training does) and batches of 32 and 256 (one sample per row:
`x @ w.T + b`). Pixels are uniform in [0, 1), labels uniform in 0-9, weights normal over
sqrt(fan-in), biases small and non-zero (seed 0).

Contenders: hand-written numpy forward and backward (the baseline, the seed's formulas:
`1 / (1 + exp(-a))`), typedprop with the public API (`backprop` of a loss written with
`typedprop.ops`, each layer `ops.linear`), checks on and off, typedprop traced
(`typedprop.trace(loss, params)` once, then `graph.backprop(params)` per run), HIPS autograd
(`value_and_grad`), mygrad (`backward()`), PyTorch eager (`torch.autograd.grad`), JAX without
jit (`value_and_grad`, op by op) and with jit (a compiled reference). Then the peak memory of
one run at the largest batch.

Issue targets (ratios to hand-written numpy, checks off): typedprop implicit <= 1.10 at batch
32 and 256, traced <= 1.05, at batch 1 traced at most PyTorch eager's time; checks on within
1.25x of checks off at batch 32; peak memory <= 1.2x. Issue 16: implicit and traced below
PyTorch eager's ratio in the same run at batch 32 and 256, and still ahead of it at batch 1.

    python benchmarks/mlp.py [--rounds 15] [--quick] [--case K] [--only numpy,torch]
    python benchmarks/mlp.py --profile "typedprop implicit, checks off" --case 0

Against typedprop from an older source tree (see `_harness.py`: its own process, interleaved,
after/before per typedprop row):

    OPENBLAS_NUM_THREADS=1 taskset -c 1 python benchmarks/mlp.py --only numpy \\
        --baseline-src /tmp/before/src
"""

from typing import Any, NamedTuple

import _harness as harness
import numpy as np
from _harness import BASELINE, Case, Contender, Run, main

from typedprop import BVar, Mat, Vec, ops

SIZES = (784, 300, 100, 10)


class Layer(NamedTuple):
    w: Mat
    b: Vec


Params = tuple[Layer, Layer, Layer]


class Problem(NamedTuple):
    params: Params
    x: np.ndarray  # (784,) at batch 1, else (batch, 784)
    y: Any  # an int at batch 1, else (batch,) integers


def problem(batch: int) -> Problem:
    rng = np.random.default_rng(0)
    layers = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:], strict=True):
        w = rng.normal(0.0, 1.0 / np.sqrt(n_in), (n_out, n_in))
        layers.append(Layer(w, rng.normal(0.0, 0.1, n_out)))
    params = (layers[0], layers[1], layers[2])
    if batch == 1:
        return Problem(params, rng.uniform(size=SIZES[0]), int(rng.integers(10)))
    return Problem(params, rng.uniform(size=(batch, SIZES[0])), rng.integers(10, size=batch))


def flat(params: Params) -> list[np.ndarray]:
    return [a for layer in params for a in layer]


# --- hand-written numpy ----------------------------------------------------------------------


def numpy_run(batch: int) -> Run:
    ((w1, b1), (w2, b2), (w3, b3)), x, y = problem(batch)

    def vector() -> Any:
        h1 = 1.0 / (1.0 + np.exp(-(w1 @ x + b1)))
        h2 = 1.0 / (1.0 + np.exp(-(w2 @ h1 + b2)))
        z = w3 @ h2 + b3
        m = z.max()
        e = np.exp(z - m)
        s = e.sum()
        value = m + np.log(s) - z[y]
        g3 = e / s
        g3[y] -= 1.0
        g2 = (w3.T @ g3) * h2 * (1.0 - h2)
        g1 = (w2.T @ g2) * h1 * (1.0 - h1)
        return value, ((np.outer(g1, x), g1), (np.outer(g2, h1), g2), (np.outer(g3, h2), g3))

    rows = np.arange(batch)

    def batched() -> Any:
        h1 = 1.0 / (1.0 + np.exp(-(x @ w1.T + b1)))
        h2 = 1.0 / (1.0 + np.exp(-(h1 @ w2.T + b2)))
        z = h2 @ w3.T + b3
        m = z.max(axis=1, keepdims=True)
        e = np.exp(z - m)
        s = e.sum(axis=1, keepdims=True)
        value = np.mean(m[:, 0] + np.log(s[:, 0]) - z[rows, y])
        g3 = e / s
        g3[rows, y] -= 1.0
        g3 /= batch
        g2 = (g3 @ w3) * h2 * (1.0 - h2)
        g1 = (g2 @ w2) * h1 * (1.0 - h1)
        return value, ((g1.T @ x, g1.sum(0)), (g2.T @ h1, g2.sum(0)), (g3.T @ h2, g3.sum(0)))

    return vector if batch == 1 else batched


# --- typedprop -------------------------------------------------------------------------------


def dense(layer: BVar[Layer], h: BVar[Any] | np.ndarray) -> BVar[Any]:
    """`w @ h + b` for one sample, `h @ w.T + b` for a batch: `ops.linear`, the dense layer as
    one op, as the seed's program writes it (`typedprop.mnist`) and as PyTorch's contender
    calls `F.linear`. (Written with operators it is three ops, `@`, `.T` and `+`, with the same
    matrix products: the difference is the implicit style's cost of recording two more ops per
    layer.)"""
    w, b = layer.unpack()
    return ops.linear(w, h, b)


def typedprop_loss(x: np.ndarray, y: Any) -> Any:
    def loss(params: BVar[Params]) -> BVar[float]:
        l1, l2, l3 = params.unpack()
        h = ops.logistic(dense(l1, x))
        h = ops.logistic(dense(l2, h))
        return ops.softmax_cross_entropy_with_integer_labels(dense(l3, h), y)

    return loss


def typedprop_run(batch: int, checks: bool, traced: bool) -> Run:
    params, x, y = problem(batch)
    return harness.typedprop_run(typedprop_loss(x, y), params, checks, traced)


# --- peers -----------------------------------------------------------------------------------


def autograd_run(batch: int) -> Run:
    import autograd.numpy as anp
    from autograd import value_and_grad

    p, x, y = problem(batch)
    params = tuple((layer.w, layer.b) for layer in p)
    rows = np.arange(batch)

    try:
        from autograd.scipy.special import logsumexp  # needs scipy
    except ImportError:

        def logsumexp(z: Any, axis: int | None = None) -> Any:
            m = anp.max(z, axis=axis, keepdims=True)
            return anp.log(anp.sum(anp.exp(z - m), axis=axis)) + anp.squeeze(m, axis)

    def loss(params: Any) -> Any:
        (w1, b1), (w2, b2), (w3, b3) = params
        if batch == 1:
            h = 1.0 / (1.0 + anp.exp(-(anp.dot(w1, x) + b1)))
            h = 1.0 / (1.0 + anp.exp(-(anp.dot(w2, h) + b2)))
            z = anp.dot(w3, h) + b3
            return logsumexp(z) - z[y]
        h = 1.0 / (1.0 + anp.exp(-(anp.dot(x, w1.T) + b1)))
        h = 1.0 / (1.0 + anp.exp(-(anp.dot(h, w2.T) + b2)))
        z = anp.dot(h, w3.T) + b3
        return anp.mean(logsumexp(z, axis=1) - z[rows, y])

    vg = value_and_grad(loss)
    return lambda: vg(params)


def mygrad_run(batch: int) -> Run:
    import mygrad as mg
    from mygrad.nnet.activations import sigmoid
    from mygrad.nnet.losses import softmax_crossentropy

    p, x, y = problem(batch)
    params = [mg.Tensor(a) for a in flat(p)]
    labels = np.atleast_1d(y)

    def run() -> Any:
        w1, b1, w2, b2, w3, b3 = params
        if batch == 1:
            h = sigmoid(mg.matmul(w1, x) + b1)
            h = sigmoid(mg.matmul(w2, h) + b2)
            z = mg.reshape(mg.matmul(w3, h) + b3, (1, -1))
        else:
            h = sigmoid(mg.matmul(x, w1.T) + b1)
            h = sigmoid(mg.matmul(h, w2.T) + b2)
            z = mg.matmul(h, w3.T) + b3
        loss = softmax_crossentropy(z, labels)
        loss.backward()
        return loss.item(), [t.grad for t in params]

    return run


def torch_run(batch: int) -> Run:
    import torch
    import torch.nn.functional as F

    p, x, y = problem(batch)
    params = [torch.tensor(a, requires_grad=True) for a in flat(p)]
    xt, yt = torch.from_numpy(x), torch.tensor(y)

    def run() -> Any:
        w1, b1, w2, b2, w3, b3 = params
        h = torch.sigmoid(F.linear(xt, w1, b1))
        h = torch.sigmoid(F.linear(h, w2, b2))
        loss = F.cross_entropy(F.linear(h, w3, b3), yt)
        return loss.detach(), torch.autograd.grad(loss, params)

    return run


def torch_hand_run(batch: int) -> Run:
    """The hand-written forward and backward pass (numpy's formulas) on PyTorch's tensors,
    without autograd: what typedprop on torch tensors is held to."""
    import torch

    params, xn, y = problem(batch)
    (w1, b1), (w2, b2), (w3, b3) = [(torch.from_numpy(w), torch.from_numpy(b)) for w, b in params]
    x, yt, rows = torch.from_numpy(xn), torch.as_tensor(y), torch.arange(batch)

    def batched() -> Any:
        with torch.no_grad():
            h1 = 1.0 / (1.0 + torch.exp(-(x @ w1.T + b1)))
            h2 = 1.0 / (1.0 + torch.exp(-(h1 @ w2.T + b2)))
            z = h2 @ w3.T + b3
            m = z.amax(dim=1, keepdim=True)
            e = torch.exp(z - m)
            s = e.sum(dim=1, keepdim=True)
            value = torch.mean(m[:, 0] + torch.log(s[:, 0]) - z[rows, yt])
            g3 = e / s
            g3[rows, yt] -= 1.0
            g3 /= batch
            g2 = (g3 @ w3) * h2 * (1.0 - h2)
            g1 = (g2 @ w2) * h1 * (1.0 - h1)
            return value, ((g1.T @ x, g1.sum(0)), (g2.T @ h1, g2.sum(0)), (g3.T @ h2, g3.sum(0)))

    return batched


def typedprop_torch_run(batch: int, checks: bool, traced: bool) -> Run:
    """typedprop with the same loss as on numpy, its parameters and data PyTorch tensors."""
    import torch

    params, x, y = problem(batch)
    tparams = tuple(Layer(torch.from_numpy(w), torch.from_numpy(b)) for w, b in params)
    loss = typedprop_loss(torch.from_numpy(x), torch.as_tensor(y))
    return harness.typedprop_run(loss, tparams, checks, traced)


def jax_run(batch: int, jit: bool) -> Run:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    p, x, y = problem(batch)
    params = tuple((jnp.asarray(layer.w), jnp.asarray(layer.b)) for layer in p)
    xj, yj = jnp.asarray(x), jnp.asarray(y)

    def loss(params: Any, x: Any, y: Any) -> Any:
        (w1, b1), (w2, b2), (w3, b3) = params
        if batch == 1:
            h = jax.nn.sigmoid(w1 @ x + b1)
            h = jax.nn.sigmoid(w2 @ h + b2)
            z = w3 @ h + b3
            return jax.nn.logsumexp(z) - z[y]
        h = jax.nn.sigmoid(x @ w1.T + b1)
        h = jax.nn.sigmoid(h @ w2.T + b2)
        z = h @ w3.T + b3
        picked = jnp.take_along_axis(z, y[:, None], axis=1)[:, 0]
        return jnp.mean(jax.nn.logsumexp(z, axis=1) - picked)

    vg = jax.value_and_grad(loss)
    if jit:
        vg = jax.jit(vg)
    return lambda: jax.block_until_ready(vg(params, xj, yj))


# --- the cases -------------------------------------------------------------------------------


def contenders(batch: int) -> list[Contender]:
    def c(name: str, group: str, make: Any, *a: Any) -> Contender:
        return Contender(name, group, lambda: make(batch, *a))

    cs = [c(BASELINE, "numpy", numpy_run)]
    runs = {
        "typedprop": typedprop_run,
        "autograd": autograd_run,
        "mygrad": mygrad_run,
        "torch": torch_run,
        "jax": jax_run,
    }
    cs += harness.typedprop_and_peers(c, runs, "jax.jit (compiled reference)")
    if batch > 1:
        # typedprop on PyTorch's tensors against the same hand-written pass on them (issue:
        # within 1.3x at batch 256), in the torch process.
        cs.append(c("hand-written torch", "torch", torch_hand_run))
        for checks in (False, True):
            for style, traced in (("implicit", False), ("traced", True)):
                name = f"typedprop on torch {style}, checks {'on' if checks else 'off'}"
                cs.append(c(name, "torch", typedprop_torch_run, checks, traced))
    return cs


def make_cases(quick: bool) -> list[Case]:
    batches = (1, 8) if quick else (1, 32, 256)
    return [
        Case(f"MLP 784-300-100-10, float64, batch {b}", contenders(b), memory=b == batches[-1])
        for b in batches
    ]


if __name__ == "__main__":
    main(__doc__ or "", __file__, make_cases)
