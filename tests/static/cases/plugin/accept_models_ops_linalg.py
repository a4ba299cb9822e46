"""The linear-algebra ops on sized arrays and BVars, as model code uses them: matmul (stacked batch
axes, 1-D operands), matvec, linear, dot, vdot, outer, einsum (one operand and two, labels
across operands), transpose, trace, solve, inv, cholesky and slogdet. Every case runs, and mypy
accepts it."""

# ruff: noqa: E501
# fmt: off

from typing import Final

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import Array, BVar, Mat, Vec, ops

N: Final = 5
M: Final[int] = 3
K: Final = 4
BATCH: Final = 2


@tp.shapecheck
def bilinear(x: Float[Vec, " n"], w: Float[Mat, "n m"], y: Float[Vec, " m"]) -> float:
    return float(ops.dot(x, ops.matvec(w, y)))


@tp.shapecheck
def gram(x: Float[Mat, "n d"]) -> Float[Mat, "n n"]:
    return ops.matmul(x, x.T)


def spd(n: int, seed: int) -> Mat:
    a = tp.normal(n, n, rng=seed)
    return a @ a.T + n * np.eye(n)


def case_matmul_of_matrices() -> None:
    # (n, k) @ (k, m) by ops.matmul and by the operator.
    a, b = tp.normal(N, K, rng=0), tp.normal(K, M, rng=1)
    assert ops.matmul(a, b).shape == (N, M) and (a @ b).shape == (N, M)


def case_matmul_with_one_dimensional_operands() -> None:
    # matmul with a vector on either side, and of two vectors.
    a, v, u = tp.normal(N, K, rng=0), tp.normal(K, rng=1), tp.normal(N, rng=2)
    assert ops.matmul(a, v).shape == (N,)
    assert ops.matmul(u, a).shape == (K,)
    assert np.isclose(ops.matmul(v, v), v @ v)


def case_matmul_with_stacked_batch_axes() -> None:
    # Batches of matrices: (b, n, k) @ (b, k, m), and a batch times one matrix.
    a, b = tp.normal(BATCH, N, K, rng=0), tp.normal(BATCH, K, M, rng=1)
    assert ops.matmul(a, b).shape == (BATCH, N, M)
    assert ops.matmul(a, tp.normal(K, M, rng=2)).shape == (BATCH, N, M)
    g = tp.grad(lambda x: ops.sum(ops.matmul(x, b)), a)
    assert g.shape == (BATCH, N, K)


def case_matvec_and_linear() -> None:
    # A weight times one input, and the same dense layer over a batch.
    w, b = tp.normal(M, K, rng=0), tp.zeros(M)
    assert ops.matvec(w, tp.ones(K)).shape == (M,)
    assert ops.linear(w, tp.ones(BATCH, K), b).shape == (BATCH, M)


def case_gradients_of_matvec() -> None:
    # matvec's gradients for the weight and the input.
    w, x = tp.normal(M, K, rng=0), tp.normal(K, rng=1)
    _value, (gw, gx) = tp.backprop_n(lambda a, b: ops.sum(ops.matvec(a, b)), w, x)
    assert gw.shape == (M, K) and gx.shape == (K,)


def case_dot_vdot_and_outer() -> None:
    # Inner and outer products of vectors.
    u, v = tp.normal(N, rng=0), tp.normal(M, rng=1)
    assert ops.outer(u, v).shape == (N, M)
    assert np.isclose(ops.dot(u, u), ops.vdot(u, u))
    assert bilinear(u, tp.normal(N, M, rng=2), v) == bilinear(u, tp.normal(N, M, rng=2), v)


def case_dot_of_matrices() -> None:
    # dot as matrix product and with a scalar.
    a, b = tp.normal(N, K, rng=0), tp.normal(K, M, rng=1)
    assert ops.dot(a, b).shape == (N, M)
    assert ops.dot(2.0, a).shape == (N, K)


def case_einsum_one_operand() -> None:
    # einsum of one operand: a transpose, a trace, a sum over an axis.
    a = tp.normal(N, N, rng=0)
    assert ops.einsum("ij->ji", a).shape == (N, N)
    assert np.isclose(ops.einsum("ii->", a), np.trace(a))
    assert ops.einsum("ij->i", a).shape == (N,)


def case_einsum_labels_across_operands() -> None:
    # einsum with labels shared by both operands: a batched bilinear form.
    x = tp.normal(BATCH, N, rng=0)
    w = tp.normal(N, M, rng=1)
    y = ops.einsum("bn,nm->bm", x, w)
    assert y.shape == (BATCH, M)
    g = tp.grad(lambda v: ops.sum(ops.einsum("bn,nm->bm", x, v)), w)
    assert g.shape == (N, M)


def case_gram_matrix() -> None:
    # x @ x.T through a shapecheck'ed function.
    x = tp.normal(N, K, rng=0)
    assert gram(x).shape == (N, N)


def case_trace_of_a_product() -> None:
    # The trace of a square product, differentiated.
    a, b = tp.normal(N, K, rng=0), tp.normal(K, N, rng=1)
    assert np.isclose(ops.trace(a @ b), np.trace(a @ b))
    g = tp.grad(lambda x: ops.trace(ops.matmul(x, b)), a)
    assert np.allclose(g, b.T)


def case_solve_and_inverse() -> None:
    # A linear system solved and an inverse, on a well-conditioned matrix.
    a, rhs = spd(N, 0), tp.normal(N, rng=1)
    x = ops.solve(a, rhs)
    assert x.shape == (N,) and np.allclose(a @ x, rhs)
    assert np.allclose(ops.inv(a) @ a, np.eye(N))
    g = tp.grad(lambda m: ops.sum(ops.solve(m, rhs)), a)
    assert g.shape == (N, N)


def case_gaussian_log_likelihood() -> None:
    # A Gaussian's log density with cholesky and slogdet.
    cov = spd(M, 0)
    x = tp.normal(M, rng=1)
    chol = ops.cholesky(cov)
    assert chol.shape == (M, M)

    def nll(c: BVar[Mat]) -> BVar[float]:
        sign, logdet = ops.slogdet(c)
        return 0.5 * (x @ ops.solve(c, x) + logdet)

    g = tp.grad(nll, cov)
    assert g.shape == (M, M)


def case_transpose_in_a_loss() -> None:
    # A tied autoencoder: the decoder is the encoder's transpose.
    x = tp.normal(BATCH, N, rng=0)

    def loss(w: BVar[Mat]) -> BVar[float]:
        code = ops.tanh(ops.matmul(x, ops.transpose(w)))
        return ops.mean_squared_error(ops.matmul(code, w), x)

    assert tp.grad(loss, tp.normal(M, N, rng=1)).shape == (M, N)


def case_stacked_transpose_with_axes() -> None:
    # Batched transposes with explicit axes, then a batched product.
    a = tp.normal(BATCH, N, K, rng=0)
    at = ops.transpose(a, (0, 2, 1))
    prod: Array = ops.matmul(at, a)
    assert at.shape == (BATCH, K, N) and prod.shape == (BATCH, K, K)


def case_float32_linear_algebra() -> None:
    # float32 in, float32 out.
    w = tp.normal(M, K, rng=0, dtype=np.float32)
    x = tp.normal(K, rng=1, dtype=np.float32)
    y = ops.matvec(w, x)
    assert y.dtype == np.float32 and ops.matmul(w, w.T).dtype == np.float32
