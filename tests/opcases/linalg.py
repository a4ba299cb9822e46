"""Cases for the linalg family (`typedprop.ops._linalg`).

The matrix functions (`solve`, `inv`, `slogdet`, `cholesky`) get a well-conditioned matrix
built inside `fn` from the parameter, `a @ a.T + 3 I` (symmetric positive definite), so both
namespaces compute the same function and finite differences stay accurate. The identity is
float32 so that it keeps float32 runs float32 and float64 runs float64.
"""

from typing import Any

import autograd.numpy as anp
import numpy as np

from opcases import SCALAR, OpCase


def _eye(n: int) -> Any:
    return np.eye(n, dtype=np.float32)


def _spd(m: Any, a: Any) -> Any:
    """`a @ a.T + 3 I` for a matrix or a stack of them: symmetric positive definite."""
    shape = np.shape(getattr(a, "value", a))  # a BVar's value; autograd's boxes have a shape
    axes = None if len(shape) == 2 else (0, 2, 1)
    # m.add, not `+`: the identity is a constant of the namespace's library (tests/ops/
    # test_backends.py's namespace converts it), which `+` would mix with another library's.
    return m.add(m.matmul(a, m.transpose(a, axes=axes)), 3.0 * _eye(shape[-1]))


# Flips the sign of the determinant: slogdet's sign is then -1.
_FLIP = np.diag(np.array([1.0, -1.0, 1.0], dtype=np.float32))

_SOLVE_1D_STACK = (
    "autograd's solve gradient hands a stack of vectors to numpy 2's solve, which reads it as "
    "a stack of matrices"
)

CASES = [
    # matmul: numpy's rules for vectors, matrices and stacks, with broadcast batches.
    OpCase("matmul", "(2,3)@(3,)", lambda m, a, b: m.matmul(a, b), ((2, 3), (3,))),
    OpCase("matmul", "(3,)@(3,2)", lambda m, a, b: m.matmul(a, b), ((3,), (3, 2))),
    OpCase("matmul", "(3,)@(3,)", lambda m, a, b: m.matmul(a, b), ((3,), (3,))),
    OpCase("matmul", "(2,3)@(3,4)", lambda m, a, b: m.matmul(a, b), ((2, 3), (3, 4))),
    OpCase("matmul", "(5,2,3)@(3,4)", lambda m, a, b: m.matmul(a, b), ((5, 2, 3), (3, 4))),
    OpCase("matmul", "(5,2,3)@(5,3,4)", lambda m, a, b: m.matmul(a, b), ((5, 2, 3), (5, 3, 4))),
    OpCase("matmul", "(1,2,3)@(4,3,2)", lambda m, a, b: m.matmul(a, b), ((1, 2, 3), (4, 3, 2))),
    OpCase("matmul", "(5,2,3)@(3,)", lambda m, a, b: m.matmul(a, b), ((5, 2, 3), (3,))),
    OpCase("matmul", "(3,)@(5,3,2)", lambda m, a, b: m.matmul(a, b), ((3,), (5, 3, 2))),
    # A transposed operand (a dense layer's `h @ w.T`), whose gradient is formed in its
    # memory order.
    OpCase(
        "matmul", "(4,3)@(2,3).T", lambda m, h, w: m.matmul(h, m.transpose(w)), ((4, 3), (2, 3))
    ),
    OpCase(
        "matmul", "(3,2).T@(3,4)", lambda m, w, h: m.matmul(m.transpose(w), h), ((3, 2), (3, 4))
    ),
    # linear: one sample, a batch, a stack of batches
    OpCase("linear", "vec", lambda m, w, x, b: m.linear(w, x, b), ((3, 2), (2,), (3,))),
    OpCase("linear", "batch", lambda m, w, x, b: m.linear(w, x, b), ((3, 2), (4, 2), (3,))),
    OpCase("linear", "stacked", lambda m, w, x, b: m.linear(w, x, b), ((3, 2), (5, 4, 2), (3,))),
    OpCase("linear", "(1,1)", lambda m, w, x, b: m.linear(w, x, b), ((1, 1), (1,), (1,))),
    # matvec
    OpCase("matvec", "(2,3)@(3,)", lambda m, w, x: m.matvec(w, x), ((2, 3), (3,))),
    OpCase("matvec", "(1,4)@(4,)", lambda m, w, x: m.matvec(w, x), ((1, 4), (4,))),
    # dot: numbers scale, vectors and matrices multiply.
    OpCase("dot", "scalar.scalar", lambda m, a, b: m.dot(a, b), (SCALAR, SCALAR)),
    OpCase("dot", "scalar.vec", lambda m, a, b: m.dot(a, b), (SCALAR, (3,))),
    OpCase("dot", "mat.scalar", lambda m, a, b: m.dot(a, b), ((2, 3), SCALAR)),
    OpCase("dot", "0d.mat", lambda m, a, b: m.dot(a, b), ((), (2, 3))),
    OpCase("dot", "vec.vec", lambda m, a, b: m.dot(a, b), ((3,), (3,))),
    OpCase("dot", "mat.vec", lambda m, a, b: m.dot(a, b), ((2, 3), (3,))),
    OpCase("dot", "vec.mat", lambda m, a, b: m.dot(a, b), ((3,), (3, 2))),
    OpCase("dot", "mat.mat", lambda m, a, b: m.dot(a, b), ((2, 3), (3, 4))),
    # vdot: flattens both.
    OpCase("vdot", "scalar.scalar", lambda m, a, b: m.vdot(a, b), (SCALAR, SCALAR)),
    OpCase("vdot", "vec.vec", lambda m, a, b: m.vdot(a, b), ((3,), (3,))),
    OpCase("vdot", "mat.mat", lambda m, a, b: m.vdot(a, b), ((2, 3), (2, 3))),
    OpCase("vdot", "(2,3).(6,)", lambda m, a, b: m.vdot(a, b), ((2, 3), (6,))),
    OpCase("vdot", "stacked.(3,2,2)", lambda m, a, b: m.vdot(a, b), ((2, 3, 2), (3, 2, 2))),
    # outer: flattens both.
    OpCase("outer", "vec.vec", lambda m, a, b: m.outer(a, b), ((2,), (3,))),
    OpCase("outer", "scalar.vec", lambda m, a, b: m.outer(a, b), (SCALAR, (3,))),
    OpCase("outer", "0d.vec", lambda m, a, b: m.outer(a, b), ((), (3,))),
    OpCase("outer", "mat.vec", lambda m, a, b: m.outer(a, b), ((2, 3), (2,))),
    OpCase("outer", "vec.stacked", lambda m, a, b: m.outer(a, b), ((2,), (2, 1, 3))),
    # transpose
    OpCase("transpose", "0d", lambda m, x: m.transpose(x), ((),)),
    OpCase("transpose", "vec", lambda m, x: m.transpose(x), ((3,),)),
    OpCase("transpose", "mat", lambda m, x: m.transpose(x), ((2, 3),)),
    OpCase("transpose", "stacked", lambda m, x: m.transpose(x), ((4, 2, 3),)),
    OpCase(
        "transpose",
        "stacked-axes(1,2,0)",
        lambda m, x: m.transpose(x, axes=(1, 2, 0)),
        ((4, 2, 3),),
    ),
    OpCase(
        "transpose",
        "stacked-axes(0,-1,1)",
        lambda m, x: m.transpose(x, axes=(0, -1, 1)),
        ((4, 2, 3),),
        autograd=False,
        why="autograd's transpose gradient inverts negative axes wrongly (argsort of (0, -1, 1))",
    ),
    # trace
    OpCase("trace", "mat", lambda m, x: m.trace(x), ((3, 3),)),
    OpCase("trace", "rect-offset1", lambda m, x: m.trace(x, offset=1), ((2, 4),)),
    OpCase("trace", "rect-offset-1", lambda m, x: m.trace(x, offset=-1), ((4, 3),)),
    OpCase("trace", "stacked-axes01", lambda m, x: m.trace(x), ((3, 3, 2),)),
    OpCase(
        "trace",
        "stacked-axes12",
        lambda m, x: m.trace(x, axis1=1, axis2=2),
        ((4, 3, 3),),
        autograd=False,
        why="autograd's trace gradient assumes axis1=0, axis2=1",
    ),
    OpCase(
        "trace",
        "stacked-axes(-1,0)-offset1",
        lambda m, x: m.trace(x, offset=1, axis1=-1, axis2=0),
        ((3, 2, 4),),
        autograd=False,
        why="autograd's trace gradient assumes axis1=0, axis2=1",
    ),
    # einsum: one and two operands, explicit and implicit output, '...' broadcasting.
    OpCase("einsum", "ij,jk->ik", lambda m, a, b: m.einsum("ij,jk->ik", a, b), ((2, 3), (3, 4))),
    OpCase("einsum", "ij,j->i", lambda m, a, b: m.einsum("ij,j->i", a, b), ((2, 3), (3,))),
    OpCase("einsum", "i,i->", lambda m, a, b: m.einsum("i,i->", a, b), ((3,), (3,))),
    OpCase(
        "einsum",
        "bij,bjk->bik",
        lambda m, a, b: m.einsum("bij,bjk->bik", a, b),
        ((5, 2, 3), (5, 3, 4)),
    ),
    OpCase("einsum", "ij->ji", lambda m, x: m.einsum("ij->ji", x), ((2, 3),)),
    OpCase("einsum", "ij->", lambda m, x: m.einsum("ij->", x), ((2, 3),)),
    OpCase("einsum", "ijk->kj", lambda m, x: m.einsum("ijk->kj", x), ((2, 3, 4),)),
    OpCase("einsum", "ij,ij->ij", lambda m, a, b: m.einsum("ij,ij->ij", a, b), ((2, 3), (2, 3))),
    OpCase("einsum", "i,j->ij", lambda m, a, b: m.einsum("i,j->ij", a, b), ((2,), (3,))),
    OpCase("einsum", "ij,jk(implicit)", lambda m, a, b: m.einsum("ij,jk", a, b), ((2, 3), (3, 4))),
    OpCase("einsum", "ba(implicit)", lambda m, x: m.einsum("ba", x), ((2, 3),)),
    OpCase("einsum", "ij,kj->(sum)", lambda m, a, b: m.einsum("ij,kj->", a, b), ((2, 3), (4, 3))),
    OpCase("einsum", ",i->i", lambda m, a, b: m.einsum(",i->i", a, b), (SCALAR, (3,))),
    OpCase(
        "einsum",
        "...ij,...jk->...ik",
        lambda m, a, b: m.einsum("...ij,...jk->...ik", a, b),
        ((1, 2, 3), (4, 3, 2)),
        autograd=False,
        why="autograd's einsum gradient does not sum a stretched size-1 '...' axis",
    ),
    OpCase(
        "einsum",
        "...i,i(implicit)",
        lambda m, a, b: m.einsum("...i,i", a, b),
        ((4, 2, 3), (3,)),
    ),
    OpCase(
        "einsum",
        "ii->i",
        lambda m, x: m.einsum("ii->i", x),
        ((3, 3),),
        autograd=False,
        why="autograd's einsum gradient cannot repeat a label in its output",
    ),
    OpCase(
        "einsum",
        "ii(implicit trace)",
        lambda m, x: m.einsum("ii", x),
        ((3, 3),),
        autograd=False,
        why="autograd's einsum gradient cannot repeat a label in its output",
    ),
    OpCase(
        "einsum",
        "iij,j->i",
        lambda m, a, b: m.einsum("iij,j->i", a, b),
        ((3, 3, 2), (2,)),
        autograd=False,
        why="autograd's einsum gradient cannot repeat a label in its output",
    ),
    OpCase(
        "einsum",
        "iii->",
        lambda m, x: m.einsum("iii->", x),
        ((2, 2, 2),),
        autograd=False,
        why="autograd's einsum gradient cannot repeat a label in its output",
    ),
    # solve: b a vector or (a stack of) matrices, leading axes broadcast.
    OpCase("solve", "(3,3)&(3,)", lambda m, a, b: m.solve(_spd(m, a), b), ((3, 3), (3,))),
    OpCase("solve", "(3,3)&(3,2)", lambda m, a, b: m.solve(_spd(m, a), b), ((3, 3), (3, 2))),
    OpCase(
        "solve", "(4,3,3)&(4,3,2)", lambda m, a, b: m.solve(_spd(m, a), b), ((4, 3, 3), (4, 3, 2))
    ),
    OpCase(
        "solve", "(1,3,3)&(4,3,2)", lambda m, a, b: m.solve(_spd(m, a), b), ((1, 3, 3), (4, 3, 2))
    ),
    OpCase(
        "solve",
        "(3,3)&(4,3,2)",
        lambda m, a, b: m.solve(_spd(m, a), b),
        ((3, 3), (4, 3, 2)),
        autograd=False,
        why="autograd's solve gradient does not sum over a batch axis that 'a' lacks",
    ),
    OpCase(
        "solve",
        "(4,3,3)&(3,)",
        lambda m, a, b: m.solve(_spd(m, a), b),
        ((4, 3, 3), (3,)),
        autograd=False,
        why=_SOLVE_1D_STACK,
    ),
    OpCase(
        "solve",
        "nonsymmetric",
        lambda m, a, b: m.solve(m.matmul(_FLIP, _spd(m, a)) + 0.5 * a, b),
        ((3, 3), (3, 2)),
    ),
    # inv
    OpCase("inv", "(3,3)", lambda m, a: m.inv(_spd(m, a)), ((3, 3),)),
    OpCase("inv", "(4,3,3)", lambda m, a: m.inv(_spd(m, a)), ((4, 3, 3),)),
    OpCase("inv", "nonsymmetric", lambda m, a: m.inv(_spd(m, a) + 0.5 * a), ((3, 3),)),
    # slogdet: the log of |det|; the sign is a plain value.
    OpCase("slogdet", "(3,3)", lambda m, a: m.slogdet(_spd(m, a))[1], ((3, 3),)),
    OpCase("slogdet", "(4,3,3)", lambda m, a: m.slogdet(_spd(m, a))[1], ((4, 3, 3),)),
    OpCase(
        "slogdet",
        "negative-det",
        lambda m, a: m.slogdet(m.matmul(_FLIP, _spd(m, a)) + 0.5 * a)[1],
        ((3, 3),),
    ),
    OpCase(
        "slogdet",
        "sign-times-logdet",
        # logabsdet * sign: an array-api-strict array on the left refuses a BVar operand.
        lambda m, a: (lambda s: s[1] * s[0])(m.slogdet(m.matmul(_FLIP, _spd(m, a)))),
        ((3, 3),),
    ),
    # cholesky: of a symmetric positive definite matrix.
    OpCase("cholesky", "(3,3)", lambda m, a: m.cholesky(_spd(m, a)), ((3, 3),)),
    OpCase("cholesky", "(2,3,3)", lambda m, a: m.cholesky(_spd(m, a)), ((2, 3, 3),)),
    OpCase("cholesky", "(1,1)", lambda m, a: m.cholesky(_spd(m, a)), ((1, 1),)),
]


def _vdot(a: Any, b: Any) -> Any:
    return anp.sum(anp.ravel(a) * anp.ravel(b))


def _outer(a: Any, b: Any) -> Any:
    return anp.ravel(a)[:, None] * anp.ravel(b)[None, :]


AUTOGRAD: dict[str, Any] = {
    "matvec": lambda w, x: anp.dot(w, x),
    "linear": lambda w, x, b: anp.dot(x, anp.transpose(w)) + b,
    "vdot": _vdot,  # autograd.numpy.vdot has no gradient
    "outer": _outer,  # autograd.numpy.outer's gradient does not flatten
    "solve": anp.linalg.solve,
    "inv": anp.linalg.inv,
    "slogdet": anp.linalg.slogdet,
    "cholesky": anp.linalg.cholesky,
}
