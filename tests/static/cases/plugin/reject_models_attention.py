"""Self-attention and transformer blocks with sizes mypy knows (a batch of 8 sequences of 16
tokens, a model width of 64 split into 4 heads of 16): each case is one shape mistake, refused at
run time with a CheckError (or numpy's ValueError for plain numpy code)."""

# Marker comments hold whole mypy messages: long lines, kept as written.
# ruff: noqa: E501
# fmt: off

import math
from typing import Final, NamedTuple

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import Array, BVar, Mat, Vec, ops

BATCH: Final = 8
SEQ: Final = 16
D_MODEL: Final = 64
HEADS: Final = 4
D_HEAD: Final = 16
D_FF: Final = 256
MAX_LEN: Final = 32


@tp.shapecheck
def attention(
    q: Float[Array, "b t d"], k: Float[Array, "b s d"], v: Float[Array, "b s e"]
) -> Float[Array, "b t e"]:
    scores = ops.divide(ops.matmul(q, ops.transpose(k, (0, 2, 1))), math.sqrt(q.shape[-1]))
    return ops.matmul(ops.softmax(scores, axis=-1), v)


@tp.shapecheck
class AttentionParams(NamedTuple):
    wq: Float[Mat, "d d"]
    wk: Float[Mat, "d d"]
    wv: Float[Mat, "d d"]
    wo: Float[Mat, "d d"]


@tp.shapecheck
class FeedForward(NamedTuple):
    w1: Float[Mat, "d f"]
    b1: Float[Vec, " f"]
    w2: Float[Mat, "f d"]
    b2: Float[Vec, " d"]


def case_keys_projected_to_another_width() -> None:
    # The key projection maps 64 to 32: queries and keys must share their width.
    x = tp.normal(BATCH, SEQ, D_MODEL, rng=0)
    q = x @ tp.normal(D_MODEL, D_MODEL, rng=1)
    k = x @ tp.normal(D_MODEL, 32, rng=2)
    v = x @ tp.normal(D_MODEL, D_MODEL, rng=3)
    out = attention(q, k, v)  # E: Dimension mismatch in call to "attention": dimension d: 32 (argument "k", axis 2) vs 64 (argument "q", axis 2)  [dim-mismatch]
    print(out)


def case_values_from_a_memory_of_another_length() -> None:
    # Cross-attention: the keys come from the 20-token memory, the values from the 16 tokens.
    x = tp.normal(BATCH, SEQ, D_MODEL, rng=0)
    memory = tp.normal(BATCH, 20, D_MODEL, rng=1)
    out = attention(x, memory, x)  # E: Dimension mismatch in call to "attention": dimension s: 16 (argument "v", axis 1) vs 20 (argument "k", axis 1)  [dim-mismatch]
    print(out)


def case_heads_split_with_a_wrong_total_size() -> None:
    # 4 heads of 32 make 128, the model width is 64.
    x = tp.normal(BATCH, SEQ, D_MODEL, rng=0)
    heads = ops.reshape(x, (BATCH, SEQ, HEADS, 32))  # E: Dimension mismatch in call to "reshape": cannot reshape argument "x" of shape (8, 16, 64) (8192 elements) to (8, 16, 4, 32) (16384 elements)  [dim-mismatch]
    print(heads)


def case_heads_split_by_the_head_count_twice() -> None:
    # D_MODEL // HEADS is the head width already; dividing again gives 4 heads of 4.
    x = tp.normal(BATCH, SEQ, D_MODEL, rng=0)
    heads = x.reshape(BATCH, SEQ, HEADS, D_HEAD // HEADS)  # E: Dimension mismatch in call to "reshape": cannot reshape the array of shape (8, 16, 64) (8192 elements) to (8, 16, 4, 4) (2048 elements)  [dim-mismatch]
    print(heads)


def case_scores_without_transposing_the_keys() -> None:
    # q @ k needs k transposed: (8, 16, 64) @ (8, 16, 64).
    q = tp.normal(BATCH, SEQ, D_MODEL, rng=0)
    k = tp.normal(BATCH, SEQ, D_MODEL, rng=1)
    scores = ops.matmul(q, k)  # E: Dimension mismatch in call to "matmul": inner dimension: 64 (argument "a", axis 2) vs 16 (argument "b", axis 1)  [dim-mismatch]
    print(scores)


def case_weights_times_transposed_values() -> None:
    # The attention weights (8, 16, 16) times the values transposed (8, 64, 16).
    weights = ops.softmax(tp.normal(BATCH, SEQ, SEQ, rng=0), axis=-1)
    v = tp.normal(BATCH, SEQ, D_MODEL, rng=1)
    out = ops.matmul(weights, ops.transpose(v, (0, 2, 1)))  # E: Dimension mismatch in call to "matmul": inner dimension: 16 (argument "a", axis 2) vs 64 (argument "b", axis 1)  [dim-mismatch]
    print(out)


def case_causal_mask_for_the_maximum_length() -> None:
    # The mask is built for MAX_LEN (32) tokens and not cut to the 16 of the sequence.
    scores = tp.normal(BATCH, SEQ, SEQ, rng=0)
    mask = np.triu(tp.ones(MAX_LEN, MAX_LEN), k=1) * -1e9
    masked = scores + mask  # E: Dimension mismatch in operator "+": axes do not broadcast: 16 (left operand, axis 1) vs 32 (right operand, axis 0)  [dim-mismatch]  # E: Dimension mismatch in operator "+": axes do not broadcast: 16 (left operand, axis 2) vs 32 (right operand, axis 1)  [dim-mismatch]
    print(masked)


def case_positional_table_not_cut_to_the_sequence() -> None:
    # The positional table has MAX_LEN rows; pos[:SEQ] is what fits a sequence of 16.
    x = tp.normal(BATCH, SEQ, D_MODEL, rng=0)
    pos = tp.normal(MAX_LEN, D_MODEL, rng=1)
    h = ops.add(x, pos)  # E: Dimension mismatch in call to "add": axes do not broadcast: 16 (argument "a", axis 1) vs 32 (argument "b", axis 0)  [dim-mismatch]
    print(h)


def case_output_projection_of_the_head_width() -> None:
    # The output projection was made (16, 64), for one head, instead of (64, 64).
    merged = tp.normal(BATCH, SEQ, D_MODEL, rng=0)
    wo = tp.normal(D_HEAD, D_MODEL, rng=1)
    out = ops.matmul(merged, wo)  # E: Dimension mismatch in call to "matmul": inner dimension: 64 (argument "a", axis 2) vs 16 (argument "b", axis 0)  [dim-mismatch]
    print(out)


def case_heads_merged_to_the_head_width() -> None:
    # Merging (8, 16, 4, 16) back should give (8, 16, 64), not (8, 16, 16).
    heads = tp.normal(BATCH, SEQ, HEADS, D_HEAD, rng=0)
    merged = ops.reshape(heads, (BATCH, SEQ, D_HEAD))  # E: Dimension mismatch in call to "reshape": cannot reshape argument "x" of shape (8, 16, 4, 16) (8192 elements) to (8, 16, 16) (2048 elements)  [dim-mismatch]
    print(merged)


def case_einsum_scores_with_keys_of_another_head_width() -> None:
    # Per-head scores "bhtd,bhsd->bhts": the keys were split into heads of 32.
    q = tp.normal(BATCH * HEADS, SEQ, D_HEAD, rng=0).reshape(BATCH, HEADS, SEQ, D_HEAD)
    k = tp.normal(BATCH * HEADS, SEQ, 32, rng=1).reshape(BATCH, HEADS, SEQ, 32)
    scores = ops.einsum("bhtd,bhsd->bhts", q, k)  # E: Dimension mismatch in call to "einsum": label d: 32 (argument "operands[1]", axis 3) vs 16 (argument "operands[0]", axis 3)  [dim-mismatch]
    print(scores)


def case_residual_around_half_a_feed_forward() -> None:
    # The residual is added after the first FFN layer (256 wide), not the second (64).
    x = tp.normal(BATCH, SEQ, D_MODEL, rng=0)
    w1 = tp.normal(D_MODEL, D_FF, rng=1)
    h = ops.relu(ops.matmul(x, w1))
    out = ops.add(x, h)  # E: Dimension mismatch in call to "add": axes do not broadcast: 64 (argument "a", axis 2) vs 256 (argument "b", axis 2)  [dim-mismatch]
    print(out)


def case_layer_norm_gain_of_the_ffn_width() -> None:
    # The layer norm's gain has the feed-forward width (256), the tokens are 64 wide.
    x = tp.normal(BATCH, SEQ, D_MODEL, rng=0)
    gain = tp.ones(D_FF)
    normed = (x - x.mean(axis=-1, keepdims=True)) / x.std(axis=-1, keepdims=True)
    y = normed * gain  # E: Dimension mismatch in operator "*": axes do not broadcast: 64 (left operand, axis 2) vs 256 (right operand, axis 0)  [dim-mismatch]
    print(y)


def case_attention_params_with_an_expanding_output() -> None:
    # The output projection is made (64, 256), like the feed-forward's first layer.
    wq, wk, wv = tp.normal(D_MODEL, D_MODEL, rng=0), tp.normal(D_MODEL, D_MODEL, rng=1), tp.normal(D_MODEL, D_MODEL, rng=2)
    params = AttentionParams(wq, wk, wv, tp.normal(D_MODEL, D_FF, rng=3))  # E: Dimension mismatch in call to "AttentionParams": dimension d: 256 (argument "wo", axis 1) vs 64 (argument "wq", axis 0)  [dim-mismatch]
    print(params)


def case_feed_forward_with_the_bias_of_the_other_layer() -> None:
    # b1 belongs to the first layer (256 wide), but the model width (64) is given.
    ffn = FeedForward(tp.normal(D_MODEL, D_FF, rng=0), tp.zeros(D_MODEL), tp.normal(D_FF, D_MODEL, rng=1), tp.zeros(D_MODEL))  # E: Dimension mismatch in call to "FeedForward": dimension f: 64 (argument "b1", axis 0) vs 256 (argument "w1", axis 1)  [dim-mismatch]
    print(ffn)


def case_bvar_query_projection_of_another_width() -> None:
    # In the loss, the query weight is (64, 32), the key weight (64, 64).
    x = tp.normal(BATCH, SEQ, D_MODEL, rng=0)

    def loss(wq: BVar[Float[Mat, "64 32"]], wk: BVar[Float[Mat, "64 64"]]) -> BVar[float]:
        q = x @ wq
        k = x @ wk
        scores = q @ ops.transpose(k, (0, 2, 1))  # E: Dimension mismatch in operator "@": inner dimension: 32 (left operand, axis 2) vs 64 (right operand, axis 1)  [dim-mismatch]
        return ops.sum(ops.softmax(scores, axis=-1))

    tp.grad_n(loss, tp.normal(D_MODEL, 32, rng=1), tp.normal(D_MODEL, D_MODEL, rng=2))
