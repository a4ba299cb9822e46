"""The linalg family (`typedprop.ops._linalg`) beyond the op table: every op's shape errors,
word for word, with runtime checks on and off (and through `backprop`, leaving nothing
behind); singular and non-positive-definite matrices; slogdet's plain sign; einsum's repeated
labels, implicit output and '...' broadcasting against numpy; cholesky's symmetric gradient;
float32 kept through values and gradients.

Gradients and values on random points, in float64, float32 and against HIPS autograd, are in
tests/ops/test_table.py (cases in tests/opcases/linalg.py). pytest runs with warnings as errors.
"""

import re
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import typedprop as tp
from typedprop import ops
from typedprop.testing import check_grads

F32 = np.float32
RNG = np.random.default_rng(0)
SPD = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])


@pytest.fixture(params=[True, False], ids=["checks-on", "checks-off"])
def checks(request: pytest.FixtureRequest) -> Iterator[bool]:
    """Run the test with the runtime (jaxtyping) checks on, then off: shape errors must not
    depend on them."""
    with tp.checks(request.param):
        yield request.param


def _raises(f: Callable[[], object], message: str) -> None:
    """`f()` raises a CheckError with exactly `message`."""
    with pytest.raises(tp.CheckError) as e:
        f()
    assert str(e.value) == message


def _raises_in_backprop(f: Callable[..., object], args: tuple[Any, ...], message: str) -> None:
    """`f(*args)` inside backprop, on BVars, raises a CheckError with exactly `message`."""
    with pytest.raises(tp.CheckError) as e:
        tp.backprop_n(lambda *xs: ops.sum(f(*xs)), *args)
    assert str(e.value) == message
    # The failed call left no state: the same tape machinery works at once.
    assert tp.grad(lambda x: ops.sum(x * x), np.ones(2)).tolist() == [2.0, 2.0]


# ---------------------------------------------------------------------------------------------
# Shape errors, exact words, checks on and off
# ---------------------------------------------------------------------------------------------


SHAPE_ERRORS: list[tuple[str, Callable[[], object], str]] = [
    (
        "matmul-inner",
        lambda: ops.matmul(np.ones((2, 3)), np.ones(2)),
        "matmul: argument 'a' of shape (2, 3) and argument 'b' of shape (2,) do not fit a @ b "
        "(the last axis of 'a' must match the only axis of 'b', and leading axes must broadcast)",
    ),
    (
        "matmul-scalar",
        lambda: ops.matmul(np.ones(2), 2.0),
        "matmul: argument 'a' of shape (2,) and argument 'b' of shape (): matmul needs arrays "
        "of at least one axis",
    ),
    (
        "matvec-dimension",
        lambda: ops.matvec(np.ones((2, 4)), np.ones(3)),
        "matvec: argument 'x' has shape (3,) and dtype float64, which does not fit "
        "Float[ndarray, 'n'] (dimension n: 3 (argument 'x', axis 0) vs 4 (argument 'w', axis 1))",
    ),
    (
        "matvec-rank",
        lambda: ops.matvec(np.ones((2, 3, 1)), np.ones(3)),
        "matvec: argument 'w' has shape (2, 3, 1) and dtype float64, which does not fit "
        "Float[ndarray, 'm n'] (expected Float[ndarray, 'm n']: 2 axes, got 3)",
    ),
    (
        "dot-3d",
        lambda: ops.dot(np.ones((2, 3, 4)), np.ones(4)),
        "dot: argument 'a' of shape (2, 3, 4) has 3 axes; dot takes numbers, vectors and "
        "matrices (use matmul or einsum for stacks of matrices)",
    ),
    (
        "dot-inner-vec",
        lambda: ops.dot(np.ones((2, 3)), np.ones(4)),
        "dot: argument 'a' of shape (2, 3) and argument 'b' of shape (4,) do not fit: the last "
        "axis of 'a' (3) must match the only axis of 'b' (4)",
    ),
    (
        "dot-inner-mat",
        lambda: ops.dot(np.ones(3), np.ones((2, 3))),
        "dot: argument 'a' of shape (3,) and argument 'b' of shape (2, 3) do not fit: the last "
        "axis of 'a' (3) must match the first axis of 'b' (2)",
    ),
    (
        "vdot-size",
        lambda: ops.vdot(np.ones((2, 3)), np.ones(5)),
        "vdot: argument 'a' of shape (2, 3) and argument 'b' of shape (5,) have 6 and 5 "
        "elements; vdot needs the same number",
    ),
    (
        "vdot-complex",
        lambda: ops.vdot(np.ones(2, dtype=complex), np.ones(2)),
        "vdot: argument 'a' must be a real number or array, got an array of dtype complex128 "
        "(complex values are not supported yet)",
    ),
    (
        "transpose-short",
        lambda: ops.transpose(np.ones((2, 3, 4)), axes=(0, 2)),
        "transpose: axes (0, 2) do not fit argument 'x' of shape (2, 3, 4): give each of its "
        "3 axes once",
    ),
    (
        "transpose-repeat",
        lambda: ops.transpose(np.ones((2, 3)), axes=(1, -1)),
        "transpose: axes (1, -1) do not fit argument 'x' of shape (2, 3): give each of its 2 "
        "axes once",
    ),
    (
        "transpose-range",
        lambda: ops.transpose(np.ones((2, 3)), axes=(0, 2)),
        "transpose: axes (0, 2) do not fit argument 'x' of shape (2, 3): give each of its 2 "
        "axes once",
    ),
    (
        "transpose-type",
        lambda: ops.transpose(np.ones((2, 3)), axes=(0, 1.0)),
        "transpose: axes must be ints, got (0, 1.0)",
    ),
    (
        "transpose-not-a-sequence",
        lambda: ops.transpose(np.ones((2, 3)), axes=1),
        "transpose: axes must be a sequence of ints or None, got 1",
    ),
    (
        "trace-axis-tuple",
        lambda: ops.trace(np.ones((3, 3)), axis1=(0, 1)),
        "trace: axis1 must be an int, got tuple",
    ),
    (
        "trace-offset-float",
        lambda: ops.trace(np.ones((3, 3)), offset=1.0),
        "trace: offset must be an int, got float",
    ),
    (
        "trace-vec",
        lambda: ops.trace(np.ones(3)),
        "trace: argument 'x' of shape (3,) has 1 axis; trace needs at least 2",
    ),
    (
        "trace-same-axis",
        lambda: ops.trace(np.ones((3, 3)), axis1=1, axis2=-1),
        "trace: axis1=1 and axis2=-1 name the same axis of argument 'x' of shape (3, 3)",
    ),
    (
        "trace-axis-range",
        lambda: ops.trace(np.ones((3, 3)), axis2=2),
        "trace: axis 2 is out of range for argument 'x' of shape (3, 3) (2 axes)",
    ),
    (
        "einsum-operand-count",
        lambda: ops.einsum("ij,jk->ik", np.ones((2, 3))),
        "einsum: subscripts 'ij,jk->ik': 2 operand subscripts for 1 operands",
    ),
    (
        "einsum-too-many-labels",
        lambda: ops.einsum("ijk->i", np.ones((2, 3))),
        "einsum: subscripts 'ijk->i': 'ijk' names 3 axes of argument 'operands[0]' of shape "
        "(2, 3), which has 2 axes",
    ),
    (
        "einsum-too-few-labels",
        lambda: ops.einsum("i,i", np.ones((2, 3)), np.ones(2)),
        "einsum: subscripts 'i,i': 'i' names 1 axis of argument 'operands[0]' of shape (2, 3), "
        "which has 2 axes (write '...' for the others)",
    ),
    (
        "einsum-inner",
        lambda: ops.einsum("ij,jk->ik", np.ones((2, 3)), np.ones((4, 5))),
        "einsum: label 'j' of subscripts 'ij,jk->ik' has size 4 in argument 'operands[1]' of "
        "shape (4, 5) (axis 0) but 3 in argument 'operands[0]' of shape (2, 3) (axis 1)",
    ),
    (
        # numpy would stretch the size-1 axis; a named label must have one size.
        "einsum-no-stretch",
        lambda: ops.einsum("ij,jk->ik", np.ones((2, 1)), np.ones((3, 4))),
        "einsum: label 'j' of subscripts 'ij,jk->ik' has size 3 in argument 'operands[1]' of "
        "shape (3, 4) (axis 0) but 1 in argument 'operands[0]' of shape (2, 1) (axis 1)",
    ),
    (
        "einsum-repeat-sizes",
        lambda: ops.einsum("ii->i", np.ones((2, 3))),
        "einsum: label 'i' of subscripts 'ii->i' has size 3 in argument 'operands[0]' of "
        "shape (2, 3) (axis 1) but 2 in argument 'operands[0]' of shape (2, 3) (axis 0)",
    ),
    (
        "einsum-output-unknown",
        lambda: ops.einsum("ij->k", np.ones((2, 3))),
        "einsum: subscripts 'ij->k': output label 'k' is in no operand's subscripts",
    ),
    (
        "einsum-output-twice",
        lambda: ops.einsum("i->ii", np.ones(2)),
        "einsum: subscripts 'i->ii': the output names label 'i' twice",
    ),
    (
        "einsum-bad-char",
        lambda: ops.einsum("i1->i", np.ones((2, 3))),
        "einsum: subscripts 'i1->i': '1' is not a label (labels are letters, and '...' stands "
        "for broadcast axes, at most once per operand)",
    ),
    (
        "einsum-ellipsis-dropped",
        lambda: ops.einsum("...ij->ij", np.ones((4, 2, 3))),
        "einsum: subscripts '...ij->ij': the operands have broadcast axes ('...') but the "
        "output does not",
    ),
    (
        "einsum-ellipsis-broadcast",
        lambda: ops.einsum("...i,...i->...", np.ones((2, 3)), np.ones((4, 3))),
        "einsum: the broadcast axes ('...') of argument 'operands[0]' of shape (2, 3) and "
        "argument 'operands[1]' of shape (4, 3) do not broadcast together",
    ),
    (
        "einsum-three-operands",
        lambda: ops.einsum("i,i,i->", np.ones(2), np.ones(2), np.ones(2)),
        "einsum: takes one or two operands, got 3 (chain two-operand einsums)",
    ),
    (
        "einsum-sublist",
        lambda: ops.einsum([0, 1], np.ones((2, 3))),
        "einsum: subscripts must be a string such as 'ij,jk->ik', got list",
    ),
    (
        "solve-not-square",
        lambda: ops.solve(np.ones((3, 4)), np.ones(3)),
        "solve: argument 'a' of shape (3, 4) must be square",
    ),
    (
        "solve-stack-not-square",
        lambda: ops.solve(np.ones((2, 3, 4)), np.ones((2, 3, 1))),
        "solve: argument 'a' of shape (2, 3, 4) must be square in its last two axes",
    ),
    (
        "solve-a-vector",
        lambda: ops.solve(np.ones(3), np.ones(3)),
        "solve: argument 'a' of shape (3,) must be a square matrix or a stack of square "
        "matrices, but it has 1 axis",
    ),
    (
        "solve-b-scalar",
        lambda: ops.solve(np.eye(3), np.float64(1.0)),
        "solve: argument 'b' of shape () must be a vector or a matrix (or a stack of matrices)",
    ),
    (
        "solve-b-vector",
        lambda: ops.solve(np.eye(3), np.ones(2)),
        "solve: argument 'b' of shape (2,) does not fit argument 'a' of shape (3, 3): its only "
        "axis has size 2, where 'a' is 3 by 3",
    ),
    (
        "solve-b-matrix",
        lambda: ops.solve(np.eye(3), np.ones((2, 3))),
        "solve: argument 'b' of shape (2, 3) does not fit argument 'a' of shape (3, 3): its "
        "second-to-last axis has size 2, where 'a' is 3 by 3",
    ),
    (
        # numpy 2: a b of two axes is a matrix, not a stack of vectors.
        "solve-b-stack-of-vectors",
        lambda: ops.solve(np.ones((5, 3, 3)), np.ones((5, 3))),
        "solve: argument 'b' of shape (5, 3) does not fit argument 'a' of shape (5, 3, 3): its "
        "second-to-last axis has size 5, where 'a' is 3 by 3",
    ),
    (
        "solve-batch",
        lambda: ops.solve(np.ones((2, 3, 3)), np.ones((4, 3, 1))),
        "solve: the leading (stack) axes of argument 'a' of shape (2, 3, 3) and argument 'b' of "
        "shape (4, 3, 1) do not broadcast together",
    ),
    (
        "inv-not-square",
        lambda: ops.inv(np.ones((2, 3))),
        "inv: argument 'a' of shape (2, 3) must be square",
    ),
    (
        "inv-scalar",
        lambda: ops.inv(np.float64(2.0)),
        "inv: argument 'a' of shape () must be a square matrix or a stack of square matrices, "
        "but it has 0 axes",
    ),
    (
        "slogdet-not-square",
        lambda: ops.slogdet(np.ones((4, 2, 3))),
        "slogdet: argument 'a' of shape (4, 2, 3) must be square in its last two axes",
    ),
    (
        "cholesky-not-square",
        lambda: ops.cholesky(np.ones((3, 2))),
        "cholesky: argument 'a' of shape (3, 2) must be square",
    ),
]


@pytest.mark.parametrize(
    ("f", "message"), [c[1:] for c in SHAPE_ERRORS], ids=[c[0] for c in SHAPE_ERRORS]
)
def test_shape_error(checks: bool, f: Callable[[], object], message: str) -> None:
    _raises(f, message)


def test_matvec_same_message_with_checks_on_and_off() -> None:
    messages = []
    for on in (True, False):
        with tp.checks(on), pytest.raises(tp.CheckError) as e:
            ops.matvec(np.ones((2, 4)), np.ones(3))
        messages.append(str(e.value))
    assert messages[0] == messages[1]


def test_matvec_refuses_integer_arrays_with_checks_on() -> None:
    with pytest.raises(tp.CheckError, match=re.escape("dtype int64 is not a Float dtype")):
        ops.matvec(np.ones((2, 3), dtype=np.int64), np.ones(3))


@pytest.mark.parametrize(
    ("f", "args", "message"),
    [
        (
            ops.matvec,
            (np.ones((2, 4)), np.ones(3)),
            "matvec: argument 'x' has shape (3,) and dtype float64, which does not fit "
            "Float[ndarray, 'n'] (dimension n: 3 (argument 'x', axis 0) vs 4 (argument 'w', "
            "axis 1))",
        ),
        (
            lambda a, b: ops.einsum("ij,jk->ik", a, b),
            (np.ones((2, 3)), np.ones((2, 3))),
            "einsum: label 'j' of subscripts 'ij,jk->ik' has size 2 in argument 'operands[1]' "
            "of shape (2, 3) (axis 0) but 3 in argument 'operands[0]' of shape (2, 3) (axis 1)",
        ),
        (
            ops.solve,
            (np.ones((3, 4)), np.ones(3)),
            "solve: argument 'a' of shape (3, 4) must be square",
        ),
        (
            ops.dot,
            (np.ones((2, 3)), np.ones(4)),
            "dot: argument 'a' of shape (2, 3) and argument 'b' of shape (4,) do not fit: the "
            "last axis of 'a' (3) must match the only axis of 'b' (4)",
        ),
    ],
    ids=["matvec", "einsum", "solve", "dot"],
)
def test_shape_error_inside_backprop(
    checks: bool, f: Callable[..., object], args: tuple[Any, ...], message: str
) -> None:
    _raises_in_backprop(f, args, message)


# ---------------------------------------------------------------------------------------------
# Matrices numpy cannot factor
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("f", "message"),
    [
        (
            lambda a: ops.solve(a, np.ones(2)),
            "solve: argument 'a' of shape (2, 2) is singular (numpy: Singular matrix)",
        ),
        (
            lambda a: ops.inv(a),
            "inv: argument 'a' of shape (2, 2) is singular (numpy: Singular matrix)",
        ),
    ],
    ids=["solve", "inv"],
)
def test_singular_matrix(checks: bool, f: Callable[[Any], object], message: str) -> None:
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(tp.CheckError) as e:
        f(singular)
    assert str(e.value) == message
    assert isinstance(e.value.__cause__, np.linalg.LinAlgError)
    _raises_in_backprop(f, (singular,), message)


def test_singular_in_a_stack() -> None:
    stack = np.stack([np.eye(2), np.zeros((2, 2))])
    with pytest.raises(
        tp.CheckError, match=re.escape("inv: argument 'a' of shape (2, 2, 2) is singular")
    ):
        ops.inv(stack)


def test_cholesky_not_positive_definite(checks: bool) -> None:
    indefinite = np.array([[1.0, 2.0], [2.0, 1.0]])
    message = (
        "cholesky: argument 'a' of shape (2, 2) is not positive definite "
        "(numpy: Matrix is not positive definite)"
    )
    with pytest.raises(tp.CheckError) as e:
        ops.cholesky(indefinite)
    assert str(e.value) == message
    assert isinstance(e.value.__cause__, np.linalg.LinAlgError)
    _raises_in_backprop(ops.cholesky, (indefinite,), message)


def test_slogdet_of_a_singular_matrix_is_minus_inf_and_its_gradient_raises() -> None:
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])
    sign, logabsdet = ops.slogdet(singular)  # as numpy: no error, no warning
    assert (sign, logabsdet) == (0.0, -np.inf)
    with pytest.raises(tp.CheckError) as e:
        tp.grad(lambda a: ops.slogdet(a)[1], singular)
    assert str(e.value) == (
        "slogdet: argument 'a' of shape (2, 2) is singular, so log|det a| has no gradient "
        "(numpy: Singular matrix)"
    )


# ---------------------------------------------------------------------------------------------
# slogdet's sign is a plain value
# ---------------------------------------------------------------------------------------------


def test_slogdet_sign_is_plain_and_logabsdet_a_bvar() -> None:
    a = np.array([[1.0, 2.0], [3.0, 4.0]])  # det -2
    seen: dict[str, object] = {}

    def f(x: tp.BVar[tp.Mat]) -> tp.BVar[float]:
        sign, logabsdet = ops.slogdet(x)
        seen["sign"], seen["logabsdet"] = sign, logabsdet
        return logabsdet * sign

    value, gradient = tp.backprop(f, a)
    assert not isinstance(seen["sign"], tp.BVar)
    assert isinstance(seen["logabsdet"], tp.BVar)
    assert seen["sign"] == -1.0
    np.testing.assert_allclose(value, -np.log(2.0))
    np.testing.assert_allclose(gradient, -np.linalg.inv(a).T)


def test_slogdet_plain_in_plain_out_and_stacked() -> None:
    stack = np.stack([np.diag([2.0, 3.0]), np.diag([-1.0, 5.0])])
    sign, logabsdet = ops.slogdet(stack)
    assert not isinstance(logabsdet, tp.BVar)
    np.testing.assert_array_equal(sign, [1.0, -1.0])
    np.testing.assert_allclose(logabsdet, np.log([6.0, 5.0]))


# ---------------------------------------------------------------------------------------------
# einsum: repeated labels, implicit output, broadcasting
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subscripts", "shapes"),
    [
        ("ii->i", [(3, 3)]),
        ("ii", [(3, 3)]),
        ("ii->", [(3, 3)]),
        ("iij->ij", [(3, 3, 2)]),
        ("iii->i", [(2, 2, 2)]),
        ("iji->j", [(3, 2, 3)]),
        ("ii,i->i", [(3, 3), (3,)]),
        ("ij,jj->i", [(2, 3), (3, 3)]),
        ("Ab,bC", [(2, 3), (3, 4)]),
        ("bA,Cb", [(3, 2), (4, 3)]),
        ("i...,j", [(2, 3), (4,)]),
        ("...ij,...jk", [(5, 2, 3), (3, 4)]),
        ("...i,...i->...", [(1, 3), (4, 3)]),
        ("ij, jk -> ik", [(2, 3), (3, 4)]),
    ],
)
def test_einsum_matches_numpy_and_finite_differences(
    subscripts: str, shapes: list[tuple[int, ...]]
) -> None:
    xs = tuple(RNG.uniform(-1.0, 1.0, s) for s in shapes)
    expected = np.einsum(subscripts, *xs)
    out = ops.einsum(subscripts, *xs)
    assert np.shape(out) == np.shape(expected)
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    weights = RNG.uniform(0.5, 1.5, np.shape(expected))
    check_grads(
        lambda p: ops.sum(ops.einsum(subscripts, *p.unpack()) * weights),
        xs,
    )


def test_einsum_repeated_label_gradient_lies_on_the_diagonal() -> None:
    x = RNG.uniform(-1.0, 1.0, (3, 3))
    g = tp.grad(lambda a: ops.sum(ops.einsum("ii->i", a) * np.array([1.0, 2.0, 3.0])), x)
    np.testing.assert_array_equal(g, np.diag([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(tp.grad(lambda a: ops.einsum("ii", a), x), np.eye(3))


def test_einsum_stretched_broadcast_axis_is_summed_back() -> None:
    a, b = np.ones((1, 2, 3)), np.ones((4, 3, 2))
    ga, gb = tp.grad_n(lambda x, y: ops.sum(ops.einsum("...ij,...jk->...ik", x, y)), a, b)
    assert ga.shape == (1, 2, 3) and gb.shape == (4, 3, 2)
    np.testing.assert_array_equal(ga, np.full((1, 2, 3), 8.0))  # 4 stacks x 2 columns
    np.testing.assert_array_equal(gb, np.full((4, 3, 2), 2.0))


def test_einsum_full_contraction_is_a_scalar() -> None:
    value = ops.einsum("i,i->", np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    assert np.ndim(value) == 0 and value == 11.0


# ---------------------------------------------------------------------------------------------
# Values against numpy, and what the products do with numbers and flattening
# ---------------------------------------------------------------------------------------------


def test_values_match_numpy() -> None:
    a, b = RNG.uniform(-1.0, 1.0, (3, 4)), RNG.uniform(-1.0, 1.0, (4,))
    x3 = RNG.uniform(-1.0, 1.0, (2, 3, 4))
    np.testing.assert_array_equal(ops.matmul(a, b), a @ b)
    np.testing.assert_array_equal(ops.matvec(a, b), a @ b)
    np.testing.assert_array_equal(ops.dot(a, b), np.dot(a, b))
    np.testing.assert_array_equal(ops.dot(2.0, a), 2.0 * a)
    assert ops.vdot(a, a) == np.vdot(a, a)
    np.testing.assert_array_equal(ops.outer(a, x3), np.outer(a, x3))
    np.testing.assert_array_equal(ops.transpose(x3), np.transpose(x3))
    np.testing.assert_array_equal(ops.transpose(x3, axes=(1, -1, 0)), x3.transpose(1, 2, 0))
    for offset, axis1, axis2 in [(0, 0, 1), (1, 0, 1), (-1, 2, 0), (2, 1, 2)]:
        np.testing.assert_array_equal(
            ops.trace(x3, offset=offset, axis1=axis1, axis2=axis2),
            np.trace(x3, offset, axis1, axis2),
        )
    np.testing.assert_allclose(ops.solve(SPD, b[:3]), np.linalg.solve(SPD, b[:3]))
    np.testing.assert_allclose(ops.inv(SPD), np.linalg.inv(SPD))
    np.testing.assert_allclose(ops.cholesky(SPD), np.linalg.cholesky(SPD))


def test_matmul_is_the_op_behind_at() -> None:
    a, b = RNG.uniform(-1.0, 1.0, (2, 3)), RNG.uniform(-1.0, 1.0, (3, 2))
    via_op = tp.grad_n(lambda x, y: ops.sum(ops.matmul(x, y)), a, b)
    via_at = tp.grad_n(lambda x, y: ops.sum(x @ y), a, b)
    for g, h in zip(via_op, via_at, strict=True):
        np.testing.assert_array_equal(g, h)


def test_trace_offset_beyond_the_matrix_is_zero_with_zero_gradient() -> None:
    x = np.ones((2, 3))
    assert ops.trace(x, offset=5) == 0.0
    np.testing.assert_array_equal(tp.grad(lambda m: ops.trace(m, offset=5), x), np.zeros((2, 3)))


def test_solve_vector_against_a_stack() -> None:
    a = np.stack([SPD, 2.0 * SPD])
    b = np.array([1.0, 2.0, 3.0])
    x = ops.solve(a, b)
    assert x.shape == (2, 3)
    np.testing.assert_allclose(a @ x[..., None], np.broadcast_to(b[:, None], (2, 3, 1)))
    check_grads(lambda p: ops.sum(ops.solve(*p.unpack()) * np.array([1.0, 2.0, 3.0])), (a, b))


# ---------------------------------------------------------------------------------------------
# cholesky's gradient: the one for a symmetric input
# ---------------------------------------------------------------------------------------------


def test_cholesky_gradient_is_symmetric_and_matches_symmetric_perturbations() -> None:
    weights = RNG.uniform(0.5, 1.5, (3, 3))

    def f(a: Any) -> Any:
        return ops.sum(ops.cholesky(a) * weights)

    g = tp.grad(f, SPD)
    np.testing.assert_allclose(g, g.T, rtol=1e-12)
    # Along any symmetric direction, the directional derivative agrees with finite differences.
    d = RNG.uniform(-1.0, 1.0, (3, 3))
    d = d + d.T
    eps = 1e-6
    numeric = (f(SPD + eps * d) - f(SPD - eps * d)) / (2 * eps)
    np.testing.assert_allclose(np.sum(g * d), numeric, rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# float32 stays float32
# ---------------------------------------------------------------------------------------------


FLOAT32_CASES: list[tuple[str, Callable[[Any], Any], tuple[int, ...]]] = [
    ("matmul", lambda x: ops.matmul(x, x), (3, 3)),
    ("matvec", lambda x: ops.matvec(x, x[0]), (3, 3)),
    ("dot-scalar", lambda x: ops.dot(2.0, x), (3, 3)),
    ("vdot", lambda x: ops.vdot(x, x), (3, 3)),
    ("outer", lambda x: ops.outer(x, x[0]), (3, 3)),
    ("transpose", lambda x: ops.transpose(x), (3, 3)),
    ("trace", lambda x: ops.trace(x, offset=1), (3, 3)),
    ("einsum-ii->i", lambda x: ops.einsum("ii->i", x), (3, 3)),
    ("einsum-naked", lambda x: ops.einsum("ij,jj->", x, x), (3, 3)),
    ("solve", lambda x: ops.solve(x + 4.0 * np.eye(3, dtype=F32), x), (3, 3)),
    ("inv", lambda x: ops.inv(x + 4.0 * np.eye(3, dtype=F32)), (3, 3)),
    ("slogdet", lambda x: ops.slogdet(x + 4.0 * np.eye(3, dtype=F32))[1], (3, 3)),
    ("cholesky", lambda x: ops.cholesky(x @ ops.transpose(x) + np.eye(3, dtype=F32)), (3, 3)),
]


@pytest.mark.parametrize(
    ("f", "shape"), [c[1:] for c in FLOAT32_CASES], ids=[c[0] for c in FLOAT32_CASES]
)
def test_float32_values_and_gradients(f: Callable[[Any], Any], shape: tuple[int, ...]) -> None:
    x = RNG.uniform(-0.5, 0.5, shape).astype(F32)
    value, gradient = tp.backprop(lambda v: ops.sum(f(v)), x)
    assert np.result_type(value) == F32
    assert gradient.dtype == F32 and gradient.shape == shape
    assert np.result_type(f(x)) == F32


def test_slogdet_sign_keeps_float32() -> None:
    sign, logabsdet = ops.slogdet(np.eye(2, dtype=F32))
    assert np.result_type(sign) == F32 and np.result_type(logabsdet) == F32


def test_matmul_skips_the_gradient_of_a_constant(monkeypatch: pytest.MonkeyPatch) -> None:
    from typedprop.ops import _linalg

    def refuse(*args: object) -> None:
        raise AssertionError("computed the gradient of a constant")

    w, x = np.arange(6.0).reshape(2, 3), np.array([1.0, -1.0, 2.0])
    monkeypatch.setattr(_linalg, "_matmul_grad_b", refuse)
    np.testing.assert_array_equal(tp.grad(lambda w_: ops.sum(w_ @ x), w), np.outer([1, 1], x))
    monkeypatch.undo()
    monkeypatch.setattr(_linalg, "_matmul_grad_a", refuse)
    np.testing.assert_array_equal(tp.grad(lambda x_: ops.sum(w @ x_), x), w.sum(axis=0))


@pytest.mark.parametrize("checked", [True, False], ids=["checks-on", "checks-off"])
@pytest.mark.parametrize(
    ("w", "x", "b", "message"),
    [
        (
            (3, 2),
            (4,),
            (3,),
            "linear: argument 'x' has shape (4,) and dtype float64, "
            "which does not fit Float[ndarray, '*batch in'] "
            "(dimension in: 4 (argument 'x', axis 0) vs 2 (argument 'w', axis 1))",
        ),
        (
            (3, 2),
            (5, 4),
            (3,),
            "linear: argument 'x' has shape (5, 4) and dtype float64, "
            "which does not fit Float[ndarray, '*batch in'] "
            "(dimension in: 4 (argument 'x', axis 1) vs 2 (argument 'w', axis 1))",
        ),
        (
            (3, 2),
            (5, 2),
            (4,),
            "linear: argument 'b' has shape (4,) and dtype float64, "
            "which does not fit Float[ndarray, 'out'] "
            "(dimension out: 4 (argument 'b', axis 0) vs 3 (argument 'w', axis 0))",
        ),
        (
            (3, 2),
            (),
            (3,),
            "linear: argument 'x' has shape () and dtype float64, "
            "which does not fit Float[ndarray, '*batch in'] "
            "(expected Float[ndarray, '*batch in']: at least 1 axis, got 0)",
        ),
    ],
    ids=["vector", "batch", "bias", "scalar"],
)
def test_linear_shape_errors(
    checked: bool, w: tuple[int, ...], x: tuple[int, ...], b: tuple[int, ...], message: str
) -> None:
    with tp.checks(checked), pytest.raises(tp.CheckError) as e:
        ops.linear(np.ones(w), np.ones(x), np.ones(b))
    assert str(e.value) == message


@pytest.mark.parametrize(
    ("w_dtype", "b_dtype"),
    [(np.float64, np.float64), (np.float32, np.float32), (np.float32, np.float64)],
)
@pytest.mark.parametrize("x_shape", [(4,), (5, 4), (2, 3, 4)])
def test_linear_is_the_product_plus_the_bias(
    w_dtype: Any, b_dtype: Any, x_shape: tuple[int, ...]
) -> None:
    # The bias is added into the product's own array where the dtypes agree; the value is
    # numpy's `x @ w.T + b` (`w @ x + b` for one sample), bit for bit, in numpy's dtype.
    rng = np.random.default_rng(3)
    w = rng.normal(size=(3, 4)).astype(w_dtype)
    x = rng.normal(size=x_shape).astype(w_dtype)
    b = rng.normal(size=3).astype(b_dtype)
    expected = (w @ x if x.ndim == 1 else x @ w.T) + b
    got = ops.linear(w, x, b)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    value, (gw, gb) = tp.backprop_n(lambda w_, b_: ops.sum(ops.linear(w_, x, b_)), w, b)
    assert (gw.dtype, gb.dtype) == (w.dtype, b.dtype)


def test_linear_skips_the_gradient_of_constant_data() -> None:
    w, b = np.ones((3, 2)), np.zeros(3)
    seen: list[tuple[bool, ...]] = []
    real = ops.linear.forward

    def spy(w_: Any, x_: Any, b_: Any) -> Any:
        out, grad = real(w_, x_, b_)

        def recorded(g: Any, needs: tuple[bool, bool, bool] = (True, True, True)) -> Any:
            seen.append(needs)
            return grad(g, needs)

        return out, recorded

    ops.linear.forward = spy  # type: ignore[method-assign]
    try:
        tp.grad_n(lambda w_, b_: ops.sum(ops.linear(w_, np.ones((4, 2)), b_)), w, b)
    finally:
        del ops.linear.forward  # type: ignore[attr-defined]
    assert seen == [(True, False, True)]


# ---------------------------------------------------------------------------------------------
# The fast paths give the general paths' results, bit for bit
# ---------------------------------------------------------------------------------------------


def test_transpose_without_axes_equals_the_permutation_path() -> None:
    x = np.arange(6.0).reshape(2, 3)
    f = tp.trace(lambda w: (w.T * np.array([1.0, 2.0])).sum(), x)
    general = tp.grad(lambda w: (tp.ops.transpose(w, (1, 0)) * np.array([1.0, 2.0])).sum(), x)
    for _ in range(2):
        assert np.array_equal(f.grad(x), general)
    assert np.array_equal(tp.ops.transpose(np.zeros((2, 3, 4))), np.zeros((4, 3, 2)))


def test_matvec_weight_gradient_is_the_outer_product() -> None:
    rng = np.random.default_rng(8)
    w, x, g = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=3)
    _, back = tp.ops.matvec.forward(w, x)
    gw, gx = back(g)
    assert np.array_equal(gw, np.outer(g, x)) and gw.flags.c_contiguous
    assert np.array_equal(gx, g @ w)


@pytest.mark.parametrize("dtype", [np.float64, F32])
def test_large_one_sample_weight_gradients_are_numpys_outer_product(
    dtype: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 300x784 (MNIST's first layer) is past _EINSUM_OUTER: einsum forms the product there.
    # Same values as np.outer (a -0.0 product comes out 0.0, equal to it), C order, the dtype
    # kept; one product of mixed dtypes is numpy's broadcast, promoted as np.outer does.
    einsums: list[str] = []
    einsum = np.einsum

    def counted(spec: str, *operands: Any) -> Any:
        einsums.append(spec)
        return einsum(spec, *operands)

    monkeypatch.setattr(np, "einsum", counted)
    rng = np.random.default_rng(9)
    w = rng.normal(size=(300, 784)).astype(dtype)
    x, b, g = rng.normal(size=784).astype(dtype), np.zeros(300, dtype), np.ones(300, dtype)
    x[:2] = (0.0, -0.0)
    g[0] = -1.0
    want = np.outer(g, x)
    for gw in (
        tp.ops.matvec.forward(w, x)[1](g)[0],
        tp.ops.matmul.forward(w, x)[1](g)[0],
        tp.ops.linear.forward(w, x, b)[1](g)[0],
        tp.grad(lambda w: tp.ops.vdot(g, tp.ops.linear(w, x, b)), w),
    ):
        assert gw.dtype == dtype and gw.flags.c_contiguous
        assert np.array_equal(gw, want)
    assert einsums == ["i,j->ij"] * 4
    mixed = tp.ops.matvec.forward(w.astype(np.float64), x)[1](g.astype(np.float64))[0]
    assert np.array_equal(mixed, np.outer(g.astype(np.float64), x))
    # A small product is the broadcast's.
    tp.ops.matvec.forward(w[:10, :100], x[:100])[1](g[:10])
    # (The "mixed" product above is of one dtype, and einsum's, when dtype is float64.)
    assert len(einsums) == 4 + (dtype is np.float64)


@pytest.mark.parametrize(
    "inputs",
    [
        pytest.param((np.inf, 0.0), id="inf-times-zero"),
        pytest.param((1e200, 1e200), id="overflow"),
    ],
)
def test_large_outer_products_report_floating_point_errors_as_numpy_does(
    inputs: tuple[float, float],
) -> None:
    # einsum reports no floating-point error: a product that could set one is numpy's
    # broadcast, which raises under np.errstate(all="raise") as np.outer does.
    x, g = np.ones(784), np.ones(300)
    x[0], g[0] = inputs
    for product in (
        lambda: tp.ops.matvec.forward(np.zeros((300, 784)), x)[1](g),
        lambda: np.outer(g, x),
    ):
        with np.errstate(all="raise"), pytest.raises(FloatingPointError):
            product()
    # A nan raises nothing, in either: it comes out where np.outer puts it.
    x[0], g[0] = np.nan, 1.0
    gw = tp.ops.matvec.forward(np.zeros((300, 784)), x)[1](g)[0]
    assert np.array_equal(gw, np.outer(g, x), equal_nan=True)
    # Underflows, ignored by default, are reported where asked for.
    x[0], g[0] = 1e-200, 1e-200
    with np.errstate(under="raise"), pytest.raises(FloatingPointError):
        tp.ops.matvec.forward(np.zeros((300, 784)), x)[1](g)
