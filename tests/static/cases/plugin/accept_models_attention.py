"""Attention as users write it: queries, keys and values from projections, scaled dot products,
softmax over the keys, heads split and merged by reshape and transpose. Every case runs, and mypy
accepts it."""

# ruff: noqa: E501
# fmt: off

import math
from typing import Final, NamedTuple

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import Array, BVar, Mat, Vec, ops

SEQ: Final = 12
D_MODEL: Final = 32
HEADS: Final = 4
D_HEAD: Final = D_MODEL // HEADS
BATCH: Final[int] = 3


@tp.shapecheck
class AttentionParams(NamedTuple):
    wq: Float[Mat, "d d"]
    wk: Float[Mat, "d d"]
    wv: Float[Mat, "d d"]
    wo: Float[Mat, "d d"]


@tp.shapecheck
def attention(q: Float[Mat, "s d"], k: Float[Mat, "t d"], v: Float[Mat, "t e"]) -> Float[Mat, "s e"]:
    scores = q @ k.T / math.sqrt(q.shape[-1])
    return ops.softmax(scores, axis=-1) @ v


@tp.shapecheck
def battention(q: BVar[Float[Mat, "s d"]], k: BVar[Float[Mat, "t d"]], v: BVar[Float[Mat, "t e"]]) -> BVar[Float[Mat, "s e"]]:
    scores = ops.matmul(q, k.T) / math.sqrt(q.value.shape[-1])
    return ops.matmul(ops.softmax(scores, axis=-1), v)


def init(seed: int) -> AttentionParams:
    scale = D_MODEL**-0.5
    return AttentionParams(
        tp.normal(D_MODEL, D_MODEL, scale=scale, rng=seed),
        tp.normal(D_MODEL, D_MODEL, scale=scale, rng=seed + 1),
        tp.normal(D_MODEL, D_MODEL, scale=scale, rng=seed + 2),
        tp.normal(D_MODEL, D_MODEL, scale=scale, rng=seed + 3),
    )


def case_single_head_self_attention() -> None:
    # One head over a sequence of tokens, with numpy operators.
    x = tp.normal(SEQ, D_MODEL, rng=0)
    p = init(1)
    y = attention(x @ p.wq, x @ p.wk, x @ p.wv) @ p.wo
    assert y.shape == (SEQ, D_MODEL)


def case_cross_attention_other_lengths() -> None:
    # Queries from one sequence, keys and values from a longer one.
    queries = tp.normal(5, D_MODEL, rng=0)
    memory = tp.normal(SEQ, D_MODEL, rng=1)
    values = tp.normal(SEQ, 16, rng=2)
    y = attention(queries, memory, values)
    assert y.shape == (5, 16)


def case_attention_weights_sum_to_one() -> None:
    # The attention matrix: softmax of the scores over the keys.
    q, k = tp.normal(SEQ, D_HEAD, rng=0), tp.normal(SEQ, D_HEAD, rng=1)
    weights = ops.softmax(q @ k.T / np.sqrt(D_HEAD), axis=-1)
    assert weights.shape == (SEQ, SEQ)
    assert np.allclose(weights.sum(axis=-1), 1.0)


def case_multi_head_by_reshape_and_transpose() -> None:
    # Heads split by reshape(seq, heads, d_head) and transpose(1, 0, 2), merged back.
    x = tp.normal(SEQ, D_MODEL, rng=0)
    p = init(1)
    q = (x @ p.wq).reshape(SEQ, HEADS, D_HEAD).transpose(1, 0, 2)
    k = (x @ p.wk).reshape(SEQ, HEADS, D_HEAD).transpose(1, 0, 2)
    v = (x @ p.wv).reshape(SEQ, HEADS, D_HEAD).transpose(1, 0, 2)
    scores = ops.matmul(q, np.transpose(k, (0, 2, 1))) / np.sqrt(D_HEAD)
    heads = ops.matmul(ops.softmax(scores, axis=-1), v)
    merged = heads.transpose(1, 0, 2).reshape(SEQ, D_MODEL)
    y = merged @ p.wo
    assert heads.shape == (HEADS, SEQ, D_HEAD) and y.shape == (SEQ, D_MODEL)


def case_batched_heads_with_einsum() -> None:
    # Batched multi-head scores and outputs with einsum's labels across both operands.
    q = tp.normal(BATCH, HEADS, SEQ, D_HEAD, rng=0)
    k = tp.normal(BATCH, HEADS, SEQ, D_HEAD, rng=1)
    v = tp.normal(BATCH, HEADS, SEQ, D_HEAD, rng=2)
    scores = ops.einsum("bhqd,bhkd->bhqk", q, k) / np.sqrt(D_HEAD)
    out = ops.einsum("bhqk,bhkd->bhqd", ops.softmax(scores, axis=-1), v)
    assert out.shape == (BATCH, HEADS, SEQ, D_HEAD)


def case_stacked_batch_matmul() -> None:
    # ops.matmul over stacked batch axes: (b, s, d) @ (b, d, t).
    q = tp.normal(BATCH, SEQ, D_HEAD, rng=0)
    k = tp.normal(BATCH, SEQ, D_HEAD, rng=1)
    scores = ops.matmul(q, ops.transpose(k, (0, 2, 1)))
    assert scores.shape == (BATCH, SEQ, SEQ)


def case_causal_mask() -> None:
    # A causal mask: scores above the diagonal replaced by a large negative number.
    q, k = tp.normal(SEQ, D_HEAD, rng=0), tp.normal(SEQ, D_HEAD, rng=1)
    mask = np.tril(np.ones((SEQ, SEQ), dtype=bool))
    scores = ops.where(mask, q @ k.T, -1e9)
    weights = ops.softmax(scores, axis=-1)
    assert weights.shape == (SEQ, SEQ) and weights[0, 1] == 0.0


def case_gradient_of_attention_parameters() -> None:
    # The gradient of a loss through self-attention, of the parameters' type.
    x, target = tp.normal(SEQ, D_MODEL, rng=0), tp.zeros(SEQ, D_MODEL)

    def loss(p: BVar[AttentionParams]) -> BVar[float]:
        wq, wk, wv, wo = p.unpack()
        y = ops.matmul(battention(ops.matmul(x, wq), ops.matmul(x, wk), ops.matmul(x, wv)), wo)
        return ops.mean_squared_error(y, target)

    g = tp.grad(loss, init(1))
    assert g.wq.shape == (D_MODEL, D_MODEL) and g.wo.shape == (D_MODEL, D_MODEL)


def case_residual_and_layer_norm() -> None:
    # A residual connection and a layer norm over the features.
    x = tp.normal(SEQ, D_MODEL, rng=0)
    gain, bias = tp.ones(D_MODEL), tp.zeros(D_MODEL)

    def loss(p: BVar[AttentionParams]) -> BVar[float]:
        wq, wk, wv, wo = p.unpack()
        xb = tp.constant(x)
        h = xb + ops.matmul(battention(xb @ wq, xb @ wk, xb @ wv), wo)
        mean = ops.mean(h, axis=-1, keepdims=True)
        std = ops.std(h, axis=-1, keepdims=True)
        normed = (h - mean) / (std + 1e-5) * gain + bias
        return ops.sum(ops.square(normed)) / (SEQ * D_MODEL)

    value, g = tp.backprop(loss, init(1))
    assert value > 0.0 and g.wv.shape == (D_MODEL, D_MODEL)


def case_feed_forward_block() -> None:
    # The transformer's position-wise feed-forward block: 4x wider, then back.
    x = tp.normal(SEQ, D_MODEL, rng=0)
    w1, b1 = tp.normal(4 * D_MODEL, D_MODEL, rng=1), tp.zeros(4 * D_MODEL)
    w2, b2 = tp.normal(D_MODEL, 4 * D_MODEL, rng=2), tp.zeros(D_MODEL)
    y = ops.linear(w2, ops.gelu(ops.linear(w1, x, b1)), b2)
    assert y.shape == (SEQ, D_MODEL)


def case_attention_pooling() -> None:
    # A learned query pools a sequence into one vector.
    x = tp.normal(SEQ, D_MODEL, rng=0)
    query: Float[Vec, " 32"] = tp.normal(D_MODEL, rng=1)
    weights = ops.softmax(x @ query)
    pooled = weights @ x
    assert pooled.shape == (D_MODEL,)


def case_positional_encoding() -> None:
    # Sinusoidal positions added to token embeddings by broadcasting.
    positions = np.arange(SEQ)[:, None]
    freqs = np.exp(-np.arange(0, D_MODEL, 2) / D_MODEL)[None, :]
    pe: Array = np.concatenate([np.sin(positions * freqs), np.cos(positions * freqs)], axis=1)
    tokens = tp.normal(SEQ, D_MODEL, rng=0)
    x = tokens + pe
    assert x.shape == (SEQ, D_MODEL)
