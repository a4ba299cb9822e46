"""typedprop's linear algebra (`matmul`, `matvec`, `linear`, `dot`, `vdot`, `outer`, `einsum`,
`transpose`, `solve`, `inv`, `cholesky`) on sizes mypy knows: each case is one shape mistake,
refused at run time with a CheckError."""

# Marker comments hold whole mypy messages: long lines, kept as written.
# ruff: noqa: E501
# fmt: off

from typing import Final

from jaxtyping import Float

import typedprop as tp
from typedprop import Array, BVar, Mat, Vec, ops

BATCH: Final = 32
PIXELS: Final = 784
HIDDEN: Final = 128
CLASSES: Final = 10


def case_matmul_weight_not_transposed() -> None:
    # ops.matmul(x, w) with w stored (out, in): the inner sizes are 784 and 128.
    x = tp.normal(BATCH, PIXELS, rng=0)
    w = tp.normal(HIDDEN, PIXELS, rng=0)
    h = ops.matmul(x, w)  # E: Dimension mismatch in call to "matmul": inner dimension: 784 (argument "a", axis 1) vs 128 (argument "b", axis 0)  [dim-mismatch]
    print(h)


def case_matmul_operands_swapped() -> None:
    # The weight on the left of the batch: (128, 784) @ (32, 784).
    x = tp.normal(BATCH, PIXELS, rng=0)
    w = tp.normal(PIXELS, HIDDEN, rng=0)
    h = ops.matmul(w, x)  # E: Dimension mismatch in call to "matmul": inner dimension: 128 (argument "a", axis 1) vs 32 (argument "b", axis 0)  [dim-mismatch]
    print(h)


def case_matmul_batch_axes() -> None:
    # Per-head matrices for 8 heads times per-head matrices for 4.
    q = tp.normal(8, 16, 32, rng=0)
    k = tp.normal(4, 32, 16, rng=0)
    s = ops.matmul(q, k)  # E: Dimension mismatch in call to "matmul": batch axes: 8 (argument "a", axis 0) vs 4 (argument "b", axis 0)  [dim-mismatch]
    print(s)


def case_matvec_with_the_output_vector() -> None:
    # The layer applied to a vector of its own output size.
    w = tp.normal(HIDDEN, PIXELS, rng=0)
    h = ops.matvec(w, tp.zeros(HIDDEN))  # E: Dimension mismatch in call to "matvec": dimension n: 128 (argument "x", axis 0) vs 784 (argument "w", axis 1)  [dim-mismatch]
    print(h)


def case_linear_features_of_another_layer() -> None:
    # A batch of hidden activations (32, 128) given to the input layer (128, 784).
    w = tp.normal(HIDDEN, PIXELS, rng=0)
    h = tp.zeros(BATCH, HIDDEN)
    y = ops.linear(w, h, tp.zeros(HIDDEN))  # E: Dimension mismatch in call to "linear": dimension in: 128 (argument "x", axis 1) vs 784 (argument "w", axis 1)  [dim-mismatch]
    print(y)


def case_linear_bias_of_the_input_width() -> None:
    # The bias sized for the layer's input.
    w = tp.normal(HIDDEN, PIXELS, rng=0)
    y = ops.linear(w, tp.zeros(BATCH, PIXELS), tp.zeros(PIXELS))  # E: Dimension mismatch in call to "linear": dimension out: 784 (argument "b", axis 0) vs 128 (argument "w", axis 0)  [dim-mismatch]
    print(y)


def case_linear_on_bvars_with_a_square_weight() -> None:
    # The weight was made square with the hidden size: 128 columns for 784 inputs.
    x = tp.normal(BATCH, PIXELS, rng=0)

    def loss(w: BVar[Float[Mat, "128 128"]], b: BVar[Float[Vec, " 128"]]) -> BVar[float]:
        return ops.sum(ops.linear(w, x, b))  # E: Dimension mismatch in call to "linear": dimension in: 784 (argument "x", axis 1) vs 128 (argument "w", axis 1)  [dim-mismatch]

    tp.grad_n(loss, tp.normal(HIDDEN, HIDDEN, rng=0), tp.zeros(HIDDEN))


def case_dot_of_vectors_of_different_lengths() -> None:
    # A readout vector sized for the classes dotted with hidden activations.
    h = tp.normal(HIDDEN, rng=0)
    v = tp.normal(CLASSES, rng=0)
    y = ops.dot(h, v)  # E: Dimension mismatch in call to "dot": inner dimension: 128 (argument "a", axis 0) vs 10 (argument "b", axis 0)  [dim-mismatch]
    print(y)


def case_vdot_of_a_gradient_and_the_wrong_parameter() -> None:
    # An inner product of the first layer's gradient with the second layer's weight.
    g1 = tp.zeros(HIDDEN, PIXELS)
    w2 = tp.normal(CLASSES, HIDDEN, rng=0)
    s = ops.vdot(g1, w2)  # E: Dimension mismatch in call to "vdot": argument "a" of shape (128, 784) has 100352 elements, argument "b" of shape (10, 128) has 1280  [dim-mismatch]
    print(s)


def case_outer_then_added_to_the_transposed_weight() -> None:
    # A rank-one update outer(out, in) has w's shape (128, 784), not w.T's.
    w = tp.normal(PIXELS, HIDDEN, rng=0)
    update = ops.outer(tp.zeros(HIDDEN), tp.zeros(PIXELS))
    w2 = ops.add(w, update)  # E: Dimension mismatch in call to "add": axes do not broadcast: 784 (argument "a", axis 0) vs 128 (argument "b", axis 0)  [dim-mismatch]  # E: Dimension mismatch in call to "add": axes do not broadcast: 128 (argument "a", axis 1) vs 784 (argument "b", axis 1)  [dim-mismatch]
    print(w2)


def case_einsum_label_bound_to_two_sizes() -> None:
    # "bi,oi->bo" with a weight of 128 columns: i is 784 in x and 128 in w.
    x = tp.normal(BATCH, PIXELS, rng=0)
    w = tp.normal(CLASSES, HIDDEN, rng=0)
    y = ops.einsum("bi,oi->bo", x, w)  # E: Dimension mismatch in call to "einsum": label i: 128 (argument "operands[1]", axis 1) vs 784 (argument "operands[0]", axis 1)  [dim-mismatch]
    print(y)


def case_einsum_subscripts_in_the_wrong_order() -> None:
    # The weight is (out, in) but the subscripts say "io".
    x = tp.normal(BATCH, PIXELS, rng=0)
    w = tp.normal(HIDDEN, PIXELS, rng=0)
    y = ops.einsum("bi,io->bo", x, w)  # E: Dimension mismatch in call to "einsum": label i: 128 (argument "operands[1]", axis 0) vs 784 (argument "operands[0]", axis 1)  [dim-mismatch]
    print(y)


def case_einsum_result_then_a_bias() -> None:
    # The einsum gives (32, 10); the bias added to it is the hidden one.
    x = tp.normal(BATCH, HIDDEN, rng=0)
    w = tp.normal(CLASSES, HIDDEN, rng=0)
    y = ops.add(ops.einsum("bi,oi->bo", x, w), tp.zeros(HIDDEN))  # E: Dimension mismatch in call to "add": axes do not broadcast: 10 (argument "a", axis 1) vs 128 (argument "b", axis 0)  [dim-mismatch]
    print(y)


def case_transpose_op_then_matvec() -> None:
    # w is already (out, in); its transpose takes 128 inputs, not 784.
    w = tp.normal(HIDDEN, PIXELS, rng=0)
    h = ops.matvec(ops.transpose(w), tp.zeros(PIXELS))  # E: Dimension mismatch in call to "matvec": dimension n: 784 (argument "x", axis 0) vs 128 (argument "w", axis 1)  [dim-mismatch]
    print(h)


def case_solve_with_a_right_side_of_another_size() -> None:
    # A 16 x 16 system solved against a right-hand side of 15.
    a = tp.normal(16, 16, rng=0)
    b = tp.zeros(15)
    x = ops.solve(a, b)  # E: Dimension mismatch in call to "solve": rows: 15 (argument "b", axis 0) vs 16 (argument "a", axis 1)  [dim-mismatch]
    print(x)


def case_inverse_then_a_vector_of_another_size() -> None:
    # The inverse of a 16 x 16 covariance applied to a vector of 32.
    cov = tp.normal(16, 16, rng=0)
    v = tp.zeros(BATCH)
    y = ops.matvec(ops.inv(cov), v)  # E: Dimension mismatch in call to "matvec": dimension n: 32 (argument "x", axis 0) vs 16 (argument "w", axis 1)  [dim-mismatch]
    print(y)


def case_cholesky_factor_then_a_sample_of_another_size() -> None:
    # A Gaussian sample L @ z with z drawn for 8 dimensions instead of 16.
    a = tp.normal(16, 16, rng=0)
    chol = ops.cholesky(ops.matmul(a, a.T))
    z = tp.normal(8, rng=0)
    sample = ops.matmul(chol, z)  # E: Dimension mismatch in call to "matmul": inner dimension: 16 (argument "a", axis 1) vs 8 (argument "b", axis 0)  [dim-mismatch]
    print(sample)


def case_bvar_matmul_stack_batch_axes() -> None:
    # A stack of 3 matrices times a stack of 2.
    rhs = tp.normal(2, 4, 5, rng=0)

    def loss(a: BVar[Float[Array, "3 6 4"]]) -> BVar[float]:
        return ops.sum(ops.matmul(a, rhs))  # E: Dimension mismatch in call to "matmul": batch axes: 3 (argument "a", axis 0) vs 2 (argument "b", axis 0)  [dim-mismatch]

    tp.grad(loss, tp.normal(3, 6, 4, rng=0))
