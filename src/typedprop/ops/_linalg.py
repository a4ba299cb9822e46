"""Linear algebra: the products (`matmul`, `matvec`, `dot`, `vdot`, `outer`, `einsum`),
`transpose` and `trace`, and the matrix functions `solve`, `inv`, `slogdet` and `cholesky`.

They follow numpy's semantics, with two differences that make mistakes loud: every op checks
the shapes it needs before computing and raises a `CheckError` that names the op, the argument
and the dimensions (whether runtime checks are on or off), and a matrix that numpy cannot
factor (singular for `solve` and `inv`, not positive definite for `cholesky`) is a `CheckError`
too, raised from numpy's `LinAlgError`. Products over stacks of matrices broadcast their leading
axes as numpy does, and their gradients are summed back through `unbroadcast`. float32 inputs
give float32 values and gradients.

!!! example
    ```python
    >>> import numpy as np
    >>> import typedprop as tp
    >>> from typedprop import ops
    >>> a = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> b = np.array([1.0, 2.0])
    >>> def energy(a: tp.BVar[tp.Mat]) -> tp.BVar[float]:
    ...     x = ops.solve(a, b)  # a x = b
    ...     return ops.dot(b, x)  # b^T a^-1 b
    >>> value, gradient = tp.backprop(energy, a)
    >>> round(float(value), 6)
    1.4
    >>> gradient  # -(a^-1 b)(a^-1 b)^T
    array([[-0.04, -0.12],
           [-0.12, -0.36]])
    ```

Internal: users import the ops from `typedprop.ops`.
"""

import contextlib
import string
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, TypeAlias, overload

import numpy as np
from jaxtyping import Float, jaxtyped

from .._core.arrays import DT, AnyArray, Array, ArrayOf, Mat, N, ResultOf, S, Vec
from .._core.bvar import BVar
from .._core.checks import check_values
from .._core.errors import CheckError
from .._core.op import BOTH, SKIPPED, Grad1, Grad2, Needs, Op
from . import _arithmetic as _ar
from ._axes import describe_shape, normalize_axis
from ._broadcast import unbroadcast
from ._registry import public, unconfigured

_M: TypeAlias = tuple[int, int]
_V: TypeAlias = tuple[int]
_MatOf: TypeAlias = np.ndarray[_M, DT]
_VecOf: TypeAlias = np.ndarray[_V, DT]
_AnyMat: TypeAlias = np.ndarray[_M, Any]
_AnyVec: TypeAlias = np.ndarray[_V, Any]


# ---------------------------------------------------------------------------------------------
# Shared pieces
# ---------------------------------------------------------------------------------------------


def _to(g: Any, x: Any) -> Any:
    """The gradient `g`, holding one entry per element of `x`, with `x`'s shape and dtype (a
    number for a number)."""
    return unbroadcast(np.reshape(g, np.shape(x)), x)


def _mT(x: Any) -> Any:
    """`x` with its last two axes swapped: the transpose of each matrix in a stack."""
    return np.swapaxes(x, -1, -2)


def _axes(n: int) -> str:
    return f"{n} ax{'is' if n == 1 else 'es'}"


def _check_square(op: str, name: str, a: Any) -> None:
    """Refuse `a` unless it is a square matrix or a stack of them."""
    shape = np.shape(a)
    if len(shape) < 2:
        raise CheckError(
            f"{op}: {describe_shape(name, a)} must be a square matrix or a stack of square "
            f"matrices, but it has {_axes(len(shape))}"
        )
    if shape[-1] != shape[-2]:
        where = "" if len(shape) == 2 else " in its last two axes"
        raise CheckError(f"{op}: {describe_shape(name, a)} must be square{where}")


@contextlib.contextmanager
def _factorable(op: str, name: str, a: Any, what: str) -> Iterator[None]:
    """Turn numpy's LinAlgError for a matrix it cannot factor into a CheckError naming the op
    and the argument, keeping numpy's error as the cause."""
    try:
        yield
    except np.linalg.LinAlgError as e:
        raise CheckError(f"{op}: {describe_shape(name, a)} is {what} (numpy: {e})") from e


def _explain_hints(op: Op[*tuple[Any, ...], Any], values: Sequence[Any]) -> CheckError:
    """The error that the runtime check of `op`'s hints gives for `values`, for a hinted op
    whose cheap shape test failed with runtime checks off: the same words either way."""
    names = [op.arg_name(i) for i in range(len(values))]
    try:
        with jaxtyped("context"):
            check_values(op.name, names, op._in_hints, values)
    except CheckError as e:
        return e
    shapes = " and ".join(f"{n} of shape {np.shape(v)}" for n, v in zip(names, values, strict=True))
    return CheckError(f"{op.name}: {shapes} do not fit")


# ---------------------------------------------------------------------------------------------
# Products
# ---------------------------------------------------------------------------------------------


class Matmul(_ar.Binary):
    """`a @ b` as `numpy.matmul`: the op behind `BVar`'s `@`. A vector operand is taken as a
    row (on the left) or a column (on the right) and that axis is dropped again, so a vector
    times a vector is a float; operands of more than two axes are stacks of matrices whose
    leading axes broadcast.

    **Raises:** `CheckError` for a number operand, or for shapes that do not fit (`a`'s last
    axis against `b`'s second-to-last, or only, axis; leading axes that do not broadcast).

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> w = np.array([[1.0, 2.0], [3.0, 4.0]])
        >>> tp.grad(lambda x: ops.matmul(ops.matmul(x, w), x), np.array([1.0, 1.0]))
        array([ 7., 13.])
        >>> try:
        ...     ops.matmul(np.ones((2, 3)), np.ones(2))
        ... except tp.CheckError as e:
        ...     print(str(e)[:70])
        matmul: argument 'a' of shape (2, 3) and argument 'b' of shape (2,) do
        ```
    """

    name = "matmul"
    takes_needs = True

    if TYPE_CHECKING:

        @overload  # type: ignore[override]  # this op's own signature
        def __call__(
            self, a: BVar[_MatOf[DT]], b: BVar[_AnyMat] | _AnyMat, /
        ) -> BVar[_MatOf[DT]]: ...
        @overload
        def __call__(
            self, a: BVar[_MatOf[DT]], b: BVar[_AnyVec] | _AnyVec, /
        ) -> BVar[_VecOf[DT]]: ...
        @overload
        def __call__(
            self, a: BVar[_VecOf[DT]], b: BVar[_AnyMat] | _AnyMat, /
        ) -> BVar[_VecOf[DT]]: ...
        @overload
        def __call__(self, a: BVar[_AnyVec], b: BVar[_AnyVec] | _AnyVec, /) -> BVar[float]: ...
        @overload
        def __call__(self, a: _MatOf[DT], b: BVar[_AnyMat], /) -> BVar[_MatOf[DT]]: ...
        @overload
        def __call__(self, a: _MatOf[DT], b: BVar[_AnyVec], /) -> BVar[_VecOf[DT]]: ...
        @overload
        def __call__(self, a: _VecOf[DT], b: BVar[_AnyMat], /) -> BVar[_VecOf[DT]]: ...
        @overload
        def __call__(self, a: _AnyVec, b: BVar[_AnyVec], /) -> BVar[float]: ...
        @overload
        def __call__(
            self, a: BVar[ArrayOf[DT]], b: BVar[AnyArray] | AnyArray, /
        ) -> BVar[ResultOf[DT]]: ...
        @overload
        def __call__(self, a: ArrayOf[DT], b: BVar[AnyArray], /) -> BVar[ResultOf[DT]]: ...
        @overload
        def __call__(self, a: _MatOf[DT], b: _AnyMat, /) -> _MatOf[DT]: ...
        @overload
        def __call__(self, a: _MatOf[DT], b: _AnyVec, /) -> _VecOf[DT]: ...
        @overload
        def __call__(self, a: _VecOf[DT], b: _AnyMat, /) -> _VecOf[DT]: ...
        @overload
        def __call__(self, a: _AnyVec, b: _AnyVec, /) -> float: ...
        @overload
        def __call__(self, a: ArrayOf[DT], b: AnyArray, /) -> ResultOf[DT]: ...
        def __call__(self, a: Any, b: Any, /) -> Any: ...

    @staticmethod
    def shape_error(op: str, a: Any, b: Any) -> CheckError | None:
        shapes = f"argument 'a' of shape {np.shape(a)} and argument 'b' of shape {np.shape(b)}"
        if np.ndim(a) == 0 or np.ndim(b) == 0:
            return CheckError(f"matmul: {shapes}: matmul needs arrays of at least one axis")
        which = "only" if np.ndim(b) == 1 else "second-to-last"
        return CheckError(
            f"matmul: {shapes} do not fit a @ b (the last axis of 'a' must match the {which} "
            "axis of 'b', and leading axes must broadcast)"
        )

    def compute(self, a: Any, b: Any) -> tuple[Any, Grad2]:
        return a @ b, partial(_matmul_grad, a, b)


def _matmul_grad(a: Any, b: Any, g: Any, needs: Needs = BOTH) -> tuple[Any, Any]:
    # A constant's gradient is a whole matrix product: skip it (see takes_needs).
    ga = unbroadcast(_matmul_grad_a(g, a, b), a) if needs[0] else None
    gb = unbroadcast(_matmul_grad_b(g, a, b), b) if needs[1] else None
    return ga, gb


def _matmul_grad_a(g: Any, a: Any, b: Any) -> Any:
    """The gradient for `a` of `a @ b`, given the output's gradient `g` (before unbroadcast)."""
    if b.ndim == 1:
        return np.outer(g, b) if a.ndim == 2 else (g * b if a.ndim == 1 else g[..., None] * b)
    if a.ndim == 1:
        return b @ g if b.ndim == 2 else (b @ g[..., None])[..., 0]
    if _transposed(a) and b.ndim == 2 and g.ndim == 2:
        return (b @ g.T).T  # see _transposed
    return g @ np.swapaxes(b, -1, -2)


def _matmul_grad_b(g: Any, a: Any, b: Any) -> Any:
    """The gradient for `b` of `a @ b`, given the output's gradient `g` (before unbroadcast)."""
    if a.ndim == 1:
        return (
            np.outer(a, g)
            if b.ndim == 2
            else (g * a if b.ndim == 1 else a[:, None] * g[..., None, :])
        )
    if b.ndim == 1:
        return (
            np.swapaxes(a, -1, -2) @ g
            if a.ndim == 2
            else (np.swapaxes(a, -1, -2) @ g[..., None])[..., 0]
        )
    if _transposed(b) and a.ndim == 2 and g.ndim == 2:
        return (g.T @ a).T  # see _transposed
    return np.swapaxes(a, -1, -2) @ g


def _transposed(x: Any) -> bool:
    """Whether `x` is a transposed matrix, `w.T` in `h @ w.T`: its gradient is then computed
    as the transpose of the product in `w`'s own order (`(g.T @ h).T`), so that `w`'s gradient
    comes out in `w`'s memory order, as a hand-written `g.T @ h` does: the same sums, about
    10% faster for a large layer than the product written in `x`'s order, and so is every pass
    over the gradient after it."""
    return x.ndim == 2 and x.flags.f_contiguous and not x.flags.c_contiguous


matmul = public(Matmul(), note="stacked batches too")


class MatVec(Op[Float[Mat, "m n"], Float[Vec, " n"], Float[Vec, " m"]]):
    """`matvec(w, x)`: the matrix `w` (m by n) times the vector `x` (n), a vector (m).

    Its shapes are jaxtyping hints, checked at run time with the dimension names bound across
    both arguments and the output; with runtime checks off, the shapes are still checked (more
    cheaply) and a mismatch gives the same message. It takes floating arrays only.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> w = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
        >>> ops.matvec(w, np.array([1.0, 1.0]))
        array([ 3.,  7., 11.])
        >>> tp.grad(lambda x: ops.sum(ops.matvec(w, x)), np.array([1.0, 1.0]))
        array([ 9., 12.])
        >>> try:
        ...     ops.matvec(w, np.ones(3))
        ... except tp.CheckError as e:
        ...     print(str(e).replace(", which", ",\\n which").replace(" (dim", "\\n (dim"))
        matvec: argument 'x' has shape (3,) and dtype float64,
         which does not fit Float[ndarray, 'n']
         (dimension n: 3 (argument 'x', axis 0) vs 2 (argument 'w', axis 1))
        ```
    """

    name = "matvec"
    takes_needs = True

    def forward(self, w: Mat, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Mat, Vec]]]:
        # Typed Mat and Vec, but with runtime checks off anything may arrive. (`.shape` for
        # arrays: np.shape's dispatch costs as much as a small matrix-vector product.)
        sw: tuple[int, ...] = w.shape if type(w) is np.ndarray else np.shape(w)
        sx: tuple[int, ...] = x.shape if type(x) is np.ndarray else np.shape(x)
        if len(sw) != 2 or len(sx) != 1 or sw[1] != sx[0]:
            raise _explain_hints(self, (w, x))
        out: Vec = w @ x
        # A partial, not a closure: see `typedprop.ops._arithmetic`.
        return out, partial(_matvec_grad, w, x)


def _matvec_grad(
    w: Mat, x: Vec, g: Vec, needs: tuple[bool, bool] = (True, True)
) -> tuple[Mat, Vec]:
    # A constant's gradient is skipped (see takes_needs): `x` is often the data.
    gw: Mat = _outer_product(g, x).astype(w.dtype, copy=False) if needs[0] else SKIPPED
    gx: Vec = (g @ w).astype(x.dtype, copy=False) if needs[1] else SKIPPED
    return gw, gx


matvec = public(MatVec())


def _outer_product(a: Any, b: Any) -> Any:
    """`np.outer(a, b)`, the same products, without its conversions for two 1-D arrays."""
    if type(a) is np.ndarray and type(b) is np.ndarray and a.ndim == 1 and b.ndim == 1:
        return a[:, None] * b
    return np.outer(a, b)


class Linear(
    Op[
        Float[Mat, "out in"],
        Float[Array, "*batch in"],
        Float[Vec, " out"],
        Float[Array, "*batch out"],
    ]
):
    """`linear(w, x, b)`: the dense layer `x @ w.T + b`, one sample `x` (a vector of `in`
    features, giving `w @ x + b`) or a batch (samples in the last axis). One op where
    `matmul`, `transpose` and `add` would be three: no transposed copy of the weight gradient,
    and the gradient of a constant input (the data) is not computed.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> w, b = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), np.zeros(3)
        >>> ops.linear(w, np.array([1.0, 1.0]), b)
        array([ 3.,  7., 11.])
        >>> tp.grad(lambda w: ops.sum(ops.linear(w, np.ones((4, 2)), b)), w)
        array([[4., 4.],
               [4., 4.],
               [4., 4.]])
        ```
    """

    name = "linear"
    takes_needs = True

    def forward(
        self, w: Mat, x: Array, b: Vec
    ) -> tuple[Array, Callable[[Array], tuple[Mat, Array, Vec]]]:
        # Typed Mat, Array and Vec, but with runtime checks off anything may arrive.
        sw: tuple[int, ...] = np.shape(w)
        sx: tuple[int, ...] = np.shape(x)
        sb: tuple[int, ...] = np.shape(b)
        if len(sw) != 2 or len(sx) < 1 or sx[-1] != sw[1] or sb != sw[:1]:
            raise _explain_hints(self, (w, x, b))
        out: Array = (w @ x if x.ndim == 1 else x @ w.T) + b

        def grad(
            g: Array, needs: tuple[bool, bool, bool] = (True, True, True)
        ) -> tuple[Mat, Array, Vec]:
            # A batch's axes folded into one, so the weight gradient is one matrix product.
            g2 = g.reshape(-1, g.shape[-1]) if g.ndim > 1 else g
            x2 = x.reshape(-1, x.shape[-1]) if x.ndim > 1 else x
            gw: Mat = SKIPPED
            if needs[0]:
                # One sample: the outer product as numpy's `outer` computes it, without its
                # argument handling.
                gw = (g2[:, None] * x2 if g2.ndim == 1 else g2.T @ x2).astype(w.dtype, copy=False)
            gx: Array = (g @ w).astype(x.dtype, copy=False) if needs[1] else SKIPPED
            gb: Vec = SKIPPED
            if needs[2]:
                gb = (g2 if g2.ndim == 1 else g2.sum(axis=0)).astype(b.dtype, copy=False)
            return gw, gx, gb

        return out, grad


linear = public(Linear(), note="a dense layer, `x @ w.T + b`, one op")

# The arithmetic ops whose value and gradient `dot` reuses.
_MULTIPLY = _ar.Multiply()
_MATMUL = Matmul()


class Dot(Op[Any, Any, Any]):
    """The product of `a` and `b` as `numpy.dot`, for numbers, vectors and matrices: a number
    scales the other operand, a vector with a vector gives their inner product (a float),
    otherwise it is `a @ b`.

    **Raises:** `CheckError` for an operand of more than two axes (numpy.dot's rule for those is
    rarely the one wanted: use `matmul` or `einsum`) and for inner dimensions that differ.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> tp.grad(lambda x: ops.dot(x, x), np.array([1.0, 2.0]))
        array([2., 4.])
        >>> ops.dot(2.0, np.array([1.0, 2.0]))
        array([2., 4.])
        >>> try:
        ...     ops.dot(np.ones((2, 3)), np.ones((2, 3)))
        ... except tp.CheckError as e:
        ...     print(e)
        dot: argument 'a' of shape (2, 3) and argument 'b' of shape (2, 3) do not fit:
        the last axis of 'a' (3) must match the first axis of 'b' (2)
        ```
    """

    name = "dot"

    if TYPE_CHECKING:

        @overload  # type: ignore[override]  # this op's own signature
        def __call__(
            self, a: BVar[_MatOf[DT]], b: BVar[_AnyMat] | _AnyMat, /
        ) -> BVar[_MatOf[DT]]: ...
        @overload
        def __call__(
            self, a: BVar[_MatOf[DT]], b: BVar[_AnyVec] | _AnyVec, /
        ) -> BVar[_VecOf[DT]]: ...
        @overload
        def __call__(
            self, a: BVar[_VecOf[DT]], b: BVar[_AnyMat] | _AnyMat, /
        ) -> BVar[_VecOf[DT]]: ...
        @overload
        def __call__(self, a: BVar[_AnyVec], b: BVar[_AnyVec] | _AnyVec, /) -> BVar[float]: ...
        @overload
        def __call__(self, a: _MatOf[DT], b: BVar[_AnyMat], /) -> BVar[_MatOf[DT]]: ...
        @overload
        def __call__(self, a: _MatOf[DT], b: BVar[_AnyVec], /) -> BVar[_VecOf[DT]]: ...
        @overload
        def __call__(self, a: _VecOf[DT], b: BVar[_AnyMat], /) -> BVar[_VecOf[DT]]: ...
        @overload
        def __call__(self, a: _AnyVec, b: BVar[_AnyVec], /) -> BVar[float]: ...
        @overload
        def __call__(self, a: BVar[float] | float, b: BVar[N], /) -> BVar[N]: ...
        @overload
        def __call__(self, a: BVar[N], b: BVar[float] | float, /) -> BVar[N]: ...
        @overload
        def __call__(self, a: N, b: BVar[float], /) -> BVar[N]: ...
        @overload
        def __call__(self, a: BVar[float], b: N, /) -> BVar[N]: ...
        @overload
        def __call__(
            self, a: BVar[ArrayOf[DT]], b: BVar[AnyArray] | AnyArray, /
        ) -> BVar[ResultOf[DT]]: ...
        @overload
        def __call__(self, a: ArrayOf[DT], b: BVar[AnyArray], /) -> BVar[ResultOf[DT]]: ...
        @overload
        def __call__(self, a: _MatOf[DT], b: _AnyMat, /) -> _MatOf[DT]: ...
        @overload
        def __call__(self, a: _MatOf[DT], b: _AnyVec, /) -> _VecOf[DT]: ...
        @overload
        def __call__(self, a: _VecOf[DT], b: _AnyMat, /) -> _VecOf[DT]: ...
        @overload
        def __call__(self, a: _AnyVec, b: _AnyVec, /) -> float: ...
        @overload
        def __call__(self, a: float, b: N, /) -> N: ...
        @overload
        def __call__(self, a: N, b: float, /) -> N: ...
        @overload
        def __call__(self, a: ArrayOf[DT], b: AnyArray, /) -> ResultOf[DT]: ...
        def __call__(self, a: Any, b: Any, /) -> Any: ...

    def forward(self, a: Any, b: Any) -> tuple[Any, Grad2]:
        for arg, x in (("a", a), ("b", b)):
            if np.ndim(x) > 2:
                raise CheckError(
                    f"dot: {describe_shape(arg, x)} has {_axes(np.ndim(x))}; dot takes numbers, "
                    "vectors and matrices (use matmul or einsum for stacks of matrices)"
                )
        if np.ndim(a) == 0 or np.ndim(b) == 0:
            return _MULTIPLY.compute(a, b)
        inner_a, inner_b = np.shape(a)[-1], np.shape(b)[0]
        if inner_a != inner_b:
            which = "only" if np.ndim(b) == 1 else "first"
            raise CheckError(
                f"dot: {describe_shape('a', a)} and {describe_shape('b', b)} do not fit: the "
                f"last axis of 'a' ({inner_a}) must match the {which} axis of 'b' ({inner_b})"
            )
        # For vectors and matrices numpy.dot is matmul: one gradient serves both.
        return _MATMUL.compute(a, b)


class Vdot(Op[Any, Any, Any]):
    """The inner product of `a` and `b` flattened, as `numpy.vdot` for real arrays: a float.
    The shapes may differ; the numbers of elements must agree.

    **Raises:** `CheckError` for different numbers of elements, or complex arguments.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> a = np.array([[1.0, 2.0], [3.0, 4.0]])
        >>> float(ops.vdot(a, np.array([1.0, 0.0, 0.0, 1.0])))
        5.0
        >>> tp.grad(lambda x: ops.vdot(x, np.arange(4.0)), a)
        array([[0., 1.],
               [2., 3.]])
        ```
    """

    name = "vdot"

    if TYPE_CHECKING:

        @overload  # type: ignore[override]  # this op's own signature
        def __call__(
            self,
            a: BVar[AnyArray] | BVar[float],
            b: BVar[AnyArray] | AnyArray | BVar[float] | float,
            /,
        ) -> BVar[float]: ...
        @overload
        def __call__(
            self, a: AnyArray | float, b: BVar[AnyArray] | BVar[float], /
        ) -> BVar[float]: ...
        @overload
        def __call__(self, a: AnyArray | float, b: AnyArray | float, /) -> float: ...
        def __call__(self, a: Any, b: Any, /) -> Any: ...

    def forward(self, a: Any, b: Any) -> tuple[Any, Grad2]:
        # Complex arguments are refused by the engine, as by every op (see `typedprop.Op`).
        if np.size(a) != np.size(b):
            raise CheckError(
                f"vdot: {describe_shape('a', a)} and {describe_shape('b', b)} have "
                f"{np.size(a)} and {np.size(b)} elements; vdot needs the same number"
            )
        out = np.vdot(a, b)
        return out, lambda g: (_to(g * np.ravel(b), a), _to(g * np.ravel(a), b))


class Outer(Op[Any, Any, Any]):
    """The outer product of `a` and `b` as `numpy.outer`: both are flattened, and entry
    `(i, j)` of the result is `a.ravel()[i] * b.ravel()[j]`.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> ops.outer(np.array([1.0, 2.0]), np.array([1.0, 10.0, 100.0]))
        array([[  1.,  10., 100.],
               [  2.,  20., 200.]])
        >>> tp.grad(lambda x: ops.sum(ops.outer(x, np.ones(3))), np.array([1.0, 2.0]))
        array([3., 3.])
        ```
    """

    name = "outer"

    if TYPE_CHECKING:

        @overload  # type: ignore[override]  # this op's own signature
        def __call__(
            self, a: BVar[ArrayOf[DT]], b: BVar[AnyArray] | AnyArray | BVar[float] | float, /
        ) -> BVar[_MatOf[DT]]: ...
        @overload
        def __call__(
            self, a: ArrayOf[DT], b: BVar[AnyArray] | BVar[float], /
        ) -> BVar[_MatOf[DT]]: ...
        @overload
        def __call__(self, a: BVar[float] | float, b: BVar[ArrayOf[DT]], /) -> BVar[_MatOf[DT]]: ...
        @overload
        def __call__(self, a: ArrayOf[DT], b: AnyArray | float, /) -> _MatOf[DT]: ...
        @overload
        def __call__(self, a: float, b: ArrayOf[DT], /) -> _MatOf[DT]: ...
        def __call__(self, a: Any, b: Any, /) -> Any: ...

    def forward(self, a: Any, b: Any) -> tuple[Any, Grad2]:
        out = np.outer(a, b)
        return out, lambda g: (_to(g @ np.ravel(b), a), _to(np.ravel(a) @ g, b))


# ---------------------------------------------------------------------------------------------
# Einsum
# ---------------------------------------------------------------------------------------------


class _Spec:
    """Parsed einsum subscripts: one string of labels per operand and one for the output, with
    `...` written out as labels of its own (the only labels that may have size 1 in one operand
    and more in another)."""

    def __init__(self, terms: tuple[str, ...], out: str) -> None:
        self.terms = terms
        self.out = out

    def fresh(self) -> Iterator[str]:
        """The letters that no label uses."""
        used = set("".join(self.terms))
        return (c for c in string.ascii_letters if c not in used)

    @property
    def text(self) -> str:
        return f"{','.join(self.terms)}->{self.out}"


def _einsum_spec(subscripts: str, operands: Sequence[Any]) -> _Spec:
    """Parse `subscripts` for `operands` and check that the operands fit, with errors that
    name the subscripts, the argument and its shape."""

    def arg(i: int) -> str:
        return describe_shape(f"operands[{i}]", operands[i])

    def fail(why: str) -> CheckError:
        return CheckError(f"einsum: subscripts {subscripts!r}: {why}")

    text = subscripts.replace(" ", "")
    if text.count("->") > 1:
        raise fail("more than one '->'")
    lhs, arrow, out = text.partition("->")
    explicit = bool(arrow)
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise fail(f"{len(terms)} operand subscripts for {len(operands)} operands")
    for term in [*terms, out]:
        rest = term.replace("...", "", 1)
        bad = next((c for c in rest if c not in string.ascii_letters), None)
        if bad is not None:
            raise fail(
                f"{bad!r} is not a label (labels are letters, and '...' stands for broadcast "
                "axes, at most once per operand)"
            )
    used = set(text) - set(".,->")
    fresh = iter(c for c in string.ascii_letters if c not in used)
    # The broadcast axes of each operand: as many as it has beyond its named labels.
    n_broadcast: list[int] = []
    for i, term in enumerate(terms):
        named = len(term.replace("...", ""))
        ndim = np.ndim(operands[i])
        if ndim < named or (ndim > named and "..." not in term):
            raise fail(
                f"{term!r} names {_axes(named)} of {arg(i)}, which has {_axes(ndim)}"
                + (" (write '...' for the others)" if ndim > named else "")
            )
        n_broadcast.append(ndim - named)
    try:
        ellipsis = "".join(next(fresh) for _ in range(max(n_broadcast, default=0)))
    except StopIteration:
        raise fail("too many axes: all 52 letters are in use") from None
    m = len(ellipsis)
    terms = [t.replace("...", ellipsis[m - n :]) for t, n in zip(terms, n_broadcast, strict=True)]
    if explicit:
        if "..." not in out and m > 0:
            raise fail("the operands have broadcast axes ('...') but the output does not")
        out = out.replace("...", ellipsis)
        for c in out:
            if out.count(c) > 1:
                raise fail(f"the output names label {c!r} twice")
            if not any(c in t for t in terms):
                raise fail(f"output label {c!r} is in no operand's subscripts")
    else:
        counts = Counter("".join(terms))
        out = ellipsis + "".join(
            sorted(c for c, n in counts.items() if n == 1 and c not in ellipsis)
        )
    # Each label's size, the same everywhere (broadcast labels: 1 or the same).
    sizes: dict[str, tuple[int, int, int]] = {}  # label -> (size, operand, axis)
    for i, term in enumerate(terms):
        shape = np.shape(operands[i])
        for axis, c in enumerate(term):
            n = shape[axis]
            if c not in sizes or (c in ellipsis and sizes[c][0] == 1):
                sizes[c] = (n, i, axis)
                continue
            size, j, axis_j = sizes[c]
            if n == size or (c in ellipsis and n == 1):
                continue
            if c in ellipsis:
                raise CheckError(
                    f"einsum: the broadcast axes ('...') of {arg(j)} and {arg(i)} do not "
                    "broadcast together"
                )
            raise CheckError(
                f"einsum: label {c!r} of subscripts {subscripts!r} has size {n} in {arg(i)} "
                f"(axis {axis}) but {size} in {arg(j)} (axis {axis_j})"
            )
    return _Spec(tuple(terms), out)


def _einsum_grad(spec: _Spec, k: int, operands: Sequence[Any], g: Any) -> Any:
    """The gradient for operand `k`: an einsum of the output's gradient with the other
    operands, giving `k`'s labels."""
    x = operands[k]
    shape = np.shape(x)
    dtype = np.result_type(g)
    terms: list[str] = [spec.out]
    values: list[Any] = [g]
    for j, (term, value) in enumerate(zip(spec.terms, operands, strict=True)):
        if j != k:
            terms.append(term)
            values.append(value)
    # A label that occurs only in operand k was summed out: it comes back as a vector of ones.
    elsewhere = set("".join(terms))
    # A label repeated within operand k ('ii') reads its diagonal, so the gradient lies on the
    # diagonal: each repeat gets a fresh label tied to the first by an identity matrix.
    target = ""
    fresh = spec.fresh()
    for axis, c in enumerate(spec.terms[k]):
        if c in target:
            try:
                f = next(fresh)
            except StopIteration:
                raise CheckError(
                    "einsum: too many axes for the gradient: all 52 letters are in use"
                ) from None
            terms.append(c + f)
            values.append(np.eye(shape[axis], dtype=dtype))
            target += f
            continue
        if c not in elsewhere:
            terms.append(c)
            values.append(np.ones(shape[axis], dtype=dtype))
        target += c
    gk = np.einsum(f"{','.join(terms)}->{target}", *values)
    # A broadcast axis of size 1 in operand k stretched to the other operands' size.
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and gk.shape[i] != 1)
    if stretched:
        gk = gk.sum(axis=stretched, keepdims=True)
    return _to(gk, x)


def _einsum_forward(
    subscripts: str, operands: Sequence[Any]
) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    spec = _einsum_spec(subscripts, operands)
    out = np.einsum(spec.text, *operands)

    def grad(g: Any) -> tuple[Any, ...]:
        return tuple(_einsum_grad(spec, k, operands, g) for k in range(len(operands)))

    return out, grad


class Einsum(Op[*tuple[Any, ...], Any]):
    """Einstein summation of one or two operands, as `numpy.einsum` with a subscripts string:
    `'ij,jk->ik'` is a matrix product, `'ij->ji'` a transpose, `'i,i->'` an inner product.

    Without `->`, the output has the labels that occur once, in alphabetical order (uppercase
    first), after any `...` axes. Labels are letters; `...` stands for leading axes, which
    broadcast as in numpy. A label repeated within one operand takes its diagonal (`'ii->i'`,
    and `'ii'` is the trace); its gradient is put back on the diagonal. A contraction of
    everything gives a number (a numpy scalar), which the static type shows as an array.

    Unlike numpy, a named label must have one size everywhere: numpy would stretch a size-1
    axis, which hides shape mistakes (only `...` axes broadcast). The gradient of each operand
    is another einsum. Chain two-operand einsums for more operands.

    **Raises:** `CheckError` naming the subscripts, the operand and its shape for subscripts
    that do not fit the operands (wrong number of labels, a label with two sizes, an output
    label in no operand).

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> a = np.array([[1.0, 2.0], [3.0, 4.0]])
        >>> ops.einsum("ij,j->i", a, np.array([1.0, 1.0]))
        array([3., 7.])
        >>> float(ops.einsum("ii", a))
        5.0
        >>> tp.grad(lambda x: ops.einsum("ij,ij->", x, x), a)
        array([[2., 4.],
               [6., 8.]])
        >>> try:
        ...     ops.einsum("ij,jk->ik", a, np.ones((3, 2)))
        ... except tp.CheckError as e:
        ...     print(e)
        einsum: label 'j' of subscripts 'ij,jk->ik' has size 3 in argument 'operands[1]'
        of shape (3, 2) (axis 0) but 2 in argument 'operands[0]' of shape (2, 2) (axis 1)
        ```
    """

    name = "einsum"

    @overload  # type: ignore[override]  # the subscripts, then one or two operands
    def __call__(self, subscripts: str, a: BVar[ArrayOf[DT]], /) -> BVar[ResultOf[DT]]: ...
    @overload
    def __call__(self, subscripts: str, a: ArrayOf[DT], /) -> ResultOf[DT]: ...
    @overload
    def __call__(
        self,
        subscripts: str,
        a: BVar[ArrayOf[DT]],
        b: BVar[AnyArray] | AnyArray | BVar[float] | float,
        /,
    ) -> BVar[ResultOf[DT]]: ...
    @overload
    def __call__(
        self, subscripts: str, a: ArrayOf[DT], b: BVar[AnyArray] | BVar[float], /
    ) -> BVar[ResultOf[DT]]: ...
    @overload
    def __call__(self, subscripts: str, a: ArrayOf[DT], b: AnyArray | float, /) -> ResultOf[DT]: ...
    def __call__(self, subscripts: str, /, *operands: Any) -> Any:
        if not isinstance(subscripts, str):
            raise CheckError(
                f"einsum: subscripts must be a string such as 'ij,jk->ik', got "
                f"{type(subscripts).__name__}"
            )
        if len(operands) in (1, 2):
            return Op.__call__(Einsum(subscripts), *operands)
        raise CheckError(
            f"einsum: takes one or two operands, got {len(operands)} (chain two-operand einsums)"
        )

    def __init__(self, subscripts: str = "") -> None:
        self.subscripts = subscripts

    def arg_name(self, i: int) -> str:
        return f"argument 'operands[{i}]'"

    def forward(self, *operands: Any) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
        return _einsum_forward(self.subscripts, operands)


# ---------------------------------------------------------------------------------------------
# Transpose and trace
# ---------------------------------------------------------------------------------------------


class Transpose(Op[Any, Any]):
    """`x` with its axes permuted, as `numpy.transpose`: reversed by default, else axis `i` of
    the result is axis `axes[i]` of `x` (negative axes count from the end). The gradient is
    permuted back.

    **Raises:** `CheckError` for `axes` that are not a permutation of `x`'s axes.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> ops.transpose(np.zeros((2, 3, 4)), axes=(1, 0, 2)).shape
        (3, 2, 4)
        >>> tp.grad(lambda x: ops.sum(ops.transpose(x) * np.array([1.0, 2.0])),
        ...         np.ones((2, 1)))
        array([[1.],
               [2.]])
        ```
    """

    name = "transpose"

    @overload  # type: ignore[override]  # this op's own signature
    def __call__(
        self, x: BVar[np.ndarray[S, DT]], /, axes: Sequence[int] | None = None
    ) -> BVar[np.ndarray[S, DT]]: ...
    @overload
    def __call__(
        self, x: np.ndarray[S, DT], /, axes: Sequence[int] | None = None
    ) -> np.ndarray[S, DT]: ...
    def __call__(self, x: Any, /, axes: Sequence[int] | None = None) -> Any:
        return Op.__call__(Transpose(axes), x)

    def __init__(self, axes: Sequence[int] | None) -> None:
        self.axes = axes

    def permutation(self, x: Any) -> tuple[int, ...]:
        ndim = np.ndim(x)
        if self.axes is None:
            return tuple(range(ndim - 1, -1, -1))
        try:
            axes = tuple(self.axes)
        except TypeError:
            raise CheckError(
                f"transpose: axes must be a sequence of ints or None, got {self.axes!r}"
            ) from None
        if any(isinstance(a, bool) or not isinstance(a, int | np.integer) for a in axes):
            raise CheckError(f"transpose: axes must be ints, got {self.axes!r}")
        perm = tuple(int(a) % ndim if -ndim <= a < ndim else -1 for a in axes)
        if len(axes) != ndim or sorted(perm) != list(range(ndim)):
            raise CheckError(
                f"transpose: axes {axes} do not fit {describe_shape('x', x)}: give each of "
                f"its {_axes(ndim)} once"
            )
        return perm

    def forward(self, x: Any) -> tuple[Any, Grad1]:
        if self.axes is None and type(x) is np.ndarray:
            # The common case (`w.T`), without `permutation` and `argsort`, which cost more
            # than the transpose: the axes reversed, which is its own inverse.
            rev = tuple(range(x.ndim - 1, -1, -1))
            return x.transpose(rev), lambda g: (_to(np.transpose(g, rev), x),)
        perm = self.permutation(x)
        inverse = tuple(int(i) for i in np.argsort(perm))
        return np.transpose(x, perm), lambda g: (_to(np.transpose(g, inverse), x),)


class Trace(Op[Any, Any]):
    """The sum along a diagonal of `x`, as `numpy.trace`: over the axes `axis1` and `axis2`,
    the diagonal `offset` above the main one (below for a negative offset). A matrix gives a
    number; more axes give an array of the remaining ones.

    **Raises:** `CheckError` for fewer than two axes, an axis out of range, or `axis1` and
    `axis2` naming the same axis.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> float(ops.trace(np.array([[1.0, 2.0], [3.0, 4.0]])))
        5.0
        >>> tp.grad(lambda x: ops.trace(x, offset=1), np.zeros((2, 3)))
        array([[0., 1., 0.],
               [0., 0., 1.]])
        ```
    """

    name = "trace"

    @overload  # type: ignore[override]  # this op's own signature
    def __call__(
        self, x: BVar[_AnyMat], /, offset: int = 0, axis1: int = 0, axis2: int = 1
    ) -> BVar[float]: ...
    @overload
    def __call__(
        self, x: BVar[ArrayOf[DT]], /, offset: int = 0, axis1: int = 0, axis2: int = 1
    ) -> BVar[ResultOf[DT]]: ...
    @overload
    def __call__(self, x: _AnyMat, /, offset: int = 0, axis1: int = 0, axis2: int = 1) -> float: ...
    @overload
    def __call__(
        self, x: ArrayOf[DT], /, offset: int = 0, axis1: int = 0, axis2: int = 1
    ) -> ResultOf[DT]: ...
    def __call__(self, x: Any, /, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
        return Op.__call__(Trace(offset, axis1, axis2), x)

    def __init__(self, offset: int, axis1: int, axis2: int) -> None:
        self.offset = offset
        self.axis1 = axis1
        self.axis2 = axis2

    def forward(self, x: Any) -> tuple[Any, Grad1]:
        ndim = np.ndim(x)
        if ndim < 2:
            raise CheckError(
                f"trace: {describe_shape('x', x)} has {_axes(ndim)}; trace needs at least 2"
            )
        for what, value in (("offset", self.offset), ("axis1", self.axis1), ("axis2", self.axis2)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise CheckError(f"trace: {what} must be an int, got {type(value).__name__}")
        (a1,) = normalize_axis("trace", x, self.axis1)
        (a2,) = normalize_axis("trace", x, self.axis2)
        if a1 == a2:
            raise CheckError(
                f"trace: axis1={self.axis1} and axis2={self.axis2} name the same axis of "
                f"{describe_shape('x', x)}"
            )
        out = np.trace(x, self.offset, a1, a2)
        n1, n2 = np.shape(x)[a1], np.shape(x)[a2]
        offset = int(self.offset)

        def grad(g: Any) -> tuple[Any]:
            g = np.asarray(g)
            # The remaining axes lead, the diagonal's two follow, then both go back in place.
            spread = g[..., None, None] * np.eye(n1, n2, k=offset, dtype=g.dtype)
            return (_to(np.moveaxis(spread, (-2, -1), (a1, a2)), x),)

        return out, grad


# ---------------------------------------------------------------------------------------------
# Matrix functions
# ---------------------------------------------------------------------------------------------


class Solve(Op[Any, Any, Any]):
    """The solution `x` of `a @ x = b`, as `numpy.linalg.solve` (numpy 2's rules): `a` is a
    square matrix (n by n) or a stack of them; `b` is a vector (n), solved against each matrix,
    or a matrix (n by k) or a stack of them, whose leading axes broadcast with `a`'s.

    The gradient solves once more, with `a` transposed: `gb = solve(a.T, g)`,
    `ga = -gb @ x.T`.

    **Raises:** `CheckError` for shapes that do not fit, and for a singular `a` (numpy's
    `LinAlgError` is its cause).

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> a = np.array([[2.0, 0.0], [0.0, 4.0]])
        >>> ops.solve(a, np.array([2.0, 2.0]))
        array([1. , 0.5])
        >>> tp.grad(lambda b: ops.sum(ops.solve(a, b)), np.array([2.0, 2.0]))
        array([0.5 , 0.25])
        >>> try:
        ...     ops.solve(np.ones((3, 4)), np.ones(3))
        ... except tp.CheckError as e:
        ...     print(e)
        solve: argument 'a' of shape (3, 4) must be square
        >>> try:
        ...     ops.solve(np.zeros((2, 2)), np.ones(2))
        ... except tp.CheckError as e:
        ...     print(e)
        solve: argument 'a' of shape (2, 2) is singular (numpy: Singular matrix)
        ```
    """

    name = "solve"

    if TYPE_CHECKING:

        @overload  # type: ignore[override]  # this op's own signature
        def __call__(
            self, a: BVar[_MatOf[DT]], b: BVar[_AnyVec] | _AnyVec, /
        ) -> BVar[_VecOf[DT]]: ...
        @overload
        def __call__(
            self, a: BVar[_MatOf[DT]], b: BVar[_AnyMat] | _AnyMat, /
        ) -> BVar[_MatOf[DT]]: ...
        @overload
        def __call__(self, a: _MatOf[DT], b: BVar[_AnyVec], /) -> BVar[_VecOf[DT]]: ...
        @overload
        def __call__(self, a: _MatOf[DT], b: BVar[_AnyMat], /) -> BVar[_MatOf[DT]]: ...
        @overload
        def __call__(
            self, a: BVar[ArrayOf[DT]], b: BVar[AnyArray] | AnyArray, /
        ) -> BVar[ResultOf[DT]]: ...
        @overload
        def __call__(self, a: ArrayOf[DT], b: BVar[AnyArray], /) -> BVar[ResultOf[DT]]: ...
        @overload
        def __call__(self, a: _MatOf[DT], b: _AnyVec, /) -> _VecOf[DT]: ...
        @overload
        def __call__(self, a: _MatOf[DT], b: _AnyMat, /) -> _MatOf[DT]: ...
        @overload
        def __call__(self, a: ArrayOf[DT], b: AnyArray, /) -> ResultOf[DT]: ...
        def __call__(self, a: Any, b: Any, /) -> Any: ...

    def forward(self, a: Any, b: Any) -> tuple[Any, Grad2]:
        _check_square("solve", "a", a)
        n, sb = np.shape(a)[-1], np.shape(b)
        vector = len(sb) == 1
        if not sb:
            raise CheckError(
                f"solve: {describe_shape('b', b)} must be a vector or a matrix (or a stack "
                "of matrices)"
            )
        rows = sb[0] if vector else sb[-2]
        if rows != n:
            axis = "only axis" if vector else "second-to-last axis"
            raise CheckError(
                f"solve: {describe_shape('b', b)} does not fit {describe_shape('a', a)}: its "
                f"{axis} has size {rows}, where 'a' is {n} by {n}"
            )
        if not vector:
            try:
                np.broadcast_shapes(np.shape(a)[:-2], sb[:-2])
            except ValueError:
                raise CheckError(
                    f"solve: the leading (stack) axes of {describe_shape('a', a)} and "
                    f"{describe_shape('b', b)} do not broadcast together"
                ) from None
        with _factorable("solve", "a", a, "singular"):
            x = np.linalg.solve(a, b)

        def grad(g: Any) -> tuple[Any, Any]:
            # Work with columns: numpy 2 reads a b of more than one axis as a stack of matrices.
            g2, x2 = (g[..., None], x[..., None]) if vector else (g, x)
            with _factorable("solve", "a", a, "singular"):
                gb = np.linalg.solve(_mT(a), g2)
            ga = -(gb @ _mT(x2))
            return unbroadcast(ga, a), unbroadcast(gb[..., 0] if vector else gb, b)

        return x, grad


class Inv(Op[Any, Any]):
    """The inverse of the square matrix `a`, or of each matrix in a stack, as
    `numpy.linalg.inv`. The gradient reuses the inverse: `-inv.T @ g @ inv.T`.

    Prefer `solve(a, b)` to `inv(a) @ b`: it is cheaper and more accurate.

    **Raises:** `CheckError` for a non-square `a` and for a singular one (numpy's `LinAlgError`
    is its cause).

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> ops.inv(np.array([[2.0, 0.0], [0.0, 4.0]]))
        array([[0.5 , 0.  ],
               [0.  , 0.25]])
        >>> tp.grad(lambda a: ops.trace(ops.inv(a)), np.array([[2.0, 0.0], [0.0, 4.0]]))
        array([[-0.25  , -0.    ],
               [-0.    , -0.0625]])
        ```
    """

    name = "inv"

    if TYPE_CHECKING:

        @overload  # type: ignore[override]  # this op's own signature
        def __call__(self, a: BVar[np.ndarray[S, DT]], /) -> BVar[np.ndarray[S, DT]]: ...
        @overload
        def __call__(self, a: np.ndarray[S, DT], /) -> np.ndarray[S, DT]: ...
        def __call__(self, a: Any, /) -> Any: ...

    def forward(self, a: Any) -> tuple[Any, Grad1]:
        _check_square("inv", "a", a)
        with _factorable("inv", "a", a, "singular"):
            out = np.linalg.inv(a)

        def grad(g: Any) -> tuple[Any]:
            out_t = _mT(out)
            return (_to(-(out_t @ g @ out_t), a),)

        return out, grad


class Slogdet(Op[Any, Any]):
    """The sign and the logarithm of the absolute value of the determinant of the square
    matrix `a` (or of each matrix in a stack), as `numpy.linalg.slogdet`: `(sign, logabsdet)`.

    `sign` is a plain value (1, -1, or 0 for a singular matrix), never a BVar: it has no
    gradient. `logabsdet` is a BVar for a BVar `a`, with gradient `inv(a).T`. A singular `a`
    gives `(0.0, -inf)` as in numpy, with no warning; its gradient then raises.

    **Raises:** `CheckError` for a non-square `a`, and on the backward pass for a singular one.

    The op computes `log|det a|`; the sign of the determinant is kept on the op (one per
    call) and returned beside it.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> a = np.array([[1.0, 2.0], [3.0, 4.0]])
        >>> sign, logabsdet = ops.slogdet(a)
        >>> float(sign), round(float(logabsdet), 4)
        (-1.0, 0.6931)
        >>> tp.grad(lambda m: ops.slogdet(m)[1], a)
        array([[-2. ,  1.5],
               [ 1. , -0.5]])
        ```
    """

    name = "slogdet"

    @overload  # type: ignore[override]  # (sign, logabsdet), the sign plain
    def __call__(self, a: BVar[_AnyMat], /) -> tuple[float, BVar[float]]: ...
    @overload
    def __call__(self, a: BVar[ArrayOf[DT]], /) -> tuple[ResultOf[DT], BVar[ResultOf[DT]]]: ...
    @overload
    def __call__(self, a: _AnyMat, /) -> tuple[float, float]: ...
    @overload
    def __call__(self, a: ArrayOf[DT], /) -> tuple[ResultOf[DT], ResultOf[DT]]: ...
    def __call__(self, a: Any, /) -> Any:
        # A new op per call: it keeps the sign of its determinant, which has no gradient.
        op = Slogdet()
        logabsdet = Op.__call__(op, a)
        return op.sign, logabsdet

    def __init__(self) -> None:
        self.sign: Any = None

    def forward(self, a: Any) -> tuple[Any, Grad1]:
        _check_square("slogdet", "a", a)
        self.sign, out = np.linalg.slogdet(a)

        def grad(g: Any) -> tuple[Any]:
            # d log|det a| / da = inv(a).T, which does not exist where det a = 0.
            with _factorable("slogdet", "a", a, "singular, so log|det a| has no gradient"):
                inv_t = _mT(np.linalg.inv(a))
            return (_to(np.asarray(g)[..., None, None] * inv_t, a),)

        return out, grad


class Cholesky(Op[Any, Any]):
    """The lower Cholesky factor `L` of the symmetric positive definite matrix `a` (or of each
    matrix in a stack), with `L @ L.T == a`, as `numpy.linalg.cholesky`.

    Like numpy, it reads only the lower triangle of `a`. The gradient, though, is the one for a
    symmetric input, as in HIPS autograd: it is symmetric, spreading each off-diagonal entry's
    gradient evenly over `a[i, j]` and `a[j, i]`. That is the gradient to use when `a` is built
    symmetric (`x @ x.T + c * I`, a covariance); it is not the gradient of numpy's
    lower-triangle-only function with respect to an arbitrary `a`.

    **Raises:** `CheckError` for a non-square `a`, and for one that is not positive definite
    (numpy's `LinAlgError` is its cause).

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> a = np.array([[4.0, 2.0], [2.0, 5.0]])
        >>> ops.cholesky(a)
        array([[2., 0.],
               [1., 2.]])
        >>> tp.grad(lambda m: ops.trace(ops.cholesky(m)), a)
        array([[ 0.3125, -0.125 ],
               [-0.125 ,  0.25  ]])
        ```
    """

    name = "cholesky"

    if TYPE_CHECKING:

        @overload  # type: ignore[override]  # this op's own signature
        def __call__(self, a: BVar[np.ndarray[S, DT]], /) -> BVar[np.ndarray[S, DT]]: ...
        @overload
        def __call__(self, a: np.ndarray[S, DT], /) -> np.ndarray[S, DT]: ...
        def __call__(self, a: Any, /) -> Any: ...

    def forward(self, a: Any) -> tuple[Any, Grad1]:
        _check_square("cholesky", "a", a)
        with _factorable("cholesky", "a", a, "not positive definite"):
            lower = np.linalg.cholesky(a)

        def grad(g: Any) -> tuple[Any]:
            # Murray (2016), arXiv:1602.07527, symmetrised as HIPS autograd does:
            # S = L^-T Phi(L^T g) L^-1, with Phi taking the lower triangle and halving the
            # diagonal; the gradient is (S + S^T) / 2.
            upper = _mT(lower)
            phi = np.tril(upper @ g)
            diagonal = np.arange(phi.shape[-1])
            phi[..., diagonal, diagonal] *= 0.5
            s = np.linalg.solve(upper, _mT(np.linalg.solve(upper, _mT(phi))))
            return (_to((s + _mT(s)) * 0.5, a),)

        return lower, grad


transpose = public(unconfigured(Transpose))

trace = public(unconfigured(Trace))

dot = public(Dot())

vdot = public(Vdot())

outer = public(Outer())

solve = public(Solve())

inv = public(Inv())

cholesky = public(Cholesky())

einsum = public(unconfigured(Einsum), note="one or two operands")

slogdet = public(unconfigured(Slogdet))
