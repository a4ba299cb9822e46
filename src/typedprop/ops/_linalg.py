"""Linear algebra: the products (`matmul`, `matvec`, `dot`, `vdot`, `outer`, `einsum`),
`transpose` and `trace`, and the matrix functions `solve`, `inv`, `slogdet` and `cholesky`.

They follow numpy's semantics, with two differences that make mistakes loud: every op checks
the shapes it needs before computing and raises a `CheckError` that names the op, the argument
and the dimensions (whether runtime checks are on or off), and a matrix that numpy cannot
factor (singular for `solve` and `inv`, not positive definite for `cholesky`) is a `CheckError`
too, raised from numpy's `LinAlgError`. Products over stacks of matrices broadcast their leading
axes as numpy does, and their gradients are summed back through `unbroadcast`. float32 inputs
give float32 values and gradients.

Other array libraries' arrays (PyTorch, JAX, CuPy, array-api-strict) are computed with their
own namespace (`array_module`): the array API standard's `matmul`, `matrix_transpose`,
`permute_dims` and its `linalg` extension (`solve`, `inv`, `slogdet`, `cholesky`, `trace`,
`diagonal`), and `einsum` where the library has one (PyTorch, JAX), else matrix products
(`_contract`, for array-api-strict). A matrix that PyTorch or array-api-strict cannot factor is
a `CheckError` naming the library, as with numpy; JAX reports none: its factorizations give inf
or nan, as they must where they run traced (under `jax.jit`).

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
import math
import string
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, TypeAlias, overload

import numpy as np
from jaxtyping import Float, jaxtyped

from .._core.arrays import DT, AnyArray, Array, ArrayOf, L, Mat, N, OtherArray, ResultOf, S, Vec
from .._core.backends import is_torch
from .._core.bvar import BVar
from .._core.checks import check_values
from .._core.errors import CheckError
from .._core.op import BOTH, SKIPPED, Grad1, Grad2, Needs, Op
from .._core.structures import array_kind, array_module
from . import _arithmetic as _ar
from ._axes import normalize_axis
from ._broadcast import unbroadcast
from ._reductions import max_reduce, min_reduce, sum_reduce
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


def describe_shape(name: str, x: Any) -> str:
    """ "argument 'x' of shape (2, 3)", the way every op's message names an argument; the shape
    a plain tuple for every library (PyTorch's would show as `torch.Size([2, 3])`)."""
    return f"argument '{name}' of shape {tuple(np.shape(x))}"


def _to(g: Any, x: Any) -> Any:
    """The gradient `g`, holding one entry per element of `x`, with `x`'s shape and dtype (a
    number for a number)."""
    if type(g) is np.ndarray or type(x) is np.ndarray:
        return unbroadcast(np.reshape(g, np.shape(x)), x)
    xp = array_module(g, x)
    if xp is np:
        return unbroadcast(np.reshape(g, np.shape(x)), x)
    return unbroadcast(xp.reshape(g, tuple(np.shape(x))), x)


def _mT(x: Any) -> Any:
    """`x` with its last two axes swapped: the transpose of each matrix in a stack."""
    if type(x) is np.ndarray:
        return np.swapaxes(x, -1, -2)
    return array_module(x).matrix_transpose(x)


def _as_array(xp: Any, v: Any, like: Any) -> Any:
    """`v` as an array of `like`'s library (not numpy's), on its device: a Python number
    becomes a 0-d array of `like`'s dtype where that holds it (a float with float arrays, as
    the array API's rule for Python scalars with arrays has it), else of the library's
    default; an array of the library is returned as it is."""
    if array_kind(v) is not None:
        return v
    device = array_kind(like).device(like)  # type: ignore[union-attr]  # like is an array
    if isinstance(v, float) and not xp.isdtype(like.dtype, ("real floating", "complex floating")):
        return xp.asarray(v, device=device)
    return xp.asarray(v, dtype=like.dtype, device=device)


def _library_arrays(xp: Any, values: Sequence[Any]) -> list[Any]:
    """`values`, arrays of the library of namespace `xp` (not numpy's) and Python numbers, as
    arrays of that library: the numbers as 0-d arrays (see `_as_array`)."""
    like = next(v for v in values if array_kind(v) is not None)
    return [_as_array(xp, v, like) for v in values]


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


def _linalg_errors() -> tuple[type[BaseException], ...]:
    """The errors the libraries raise for a matrix they cannot factor: numpy's LinAlgError
    (array-api-strict's and CuPy's too) and PyTorch's, where PyTorch is loaded (typedprop does
    not import it). JAX raises none: its factorizations give inf or nan instead."""
    errors: list[type[BaseException]] = [np.linalg.LinAlgError]
    torch = sys.modules.get("torch")
    if torch is not None:
        errors.append(torch.linalg.LinAlgError)
    return tuple(errors)


@contextlib.contextmanager
def _factorable(op: str, name: str, a: Any, what: str) -> Iterator[None]:
    """Turn the library's error for a matrix it cannot factor (numpy's LinAlgError, PyTorch's)
    into a CheckError naming the op, the argument and the library, keeping the library's error
    as the cause."""
    try:
        yield
    except Exception as e:
        if not isinstance(e, _linalg_errors()):
            raise
        kind = array_kind(a)
        library = "numpy" if kind is None else kind.library
        raise CheckError(f"{op}: {describe_shape(name, a)} is {what} ({library}: {e})") from e


# ---------------------------------------------------------------------------------------------
# Hints that name numpy's types, checked for every library
# ---------------------------------------------------------------------------------------------


def _stand_in(x: Any) -> Any:
    """For an array of another library than numpy: a numpy array of its shape and dtype that
    holds no data (one zero, broadcast), which the jaxtyping hints of `MatVec` and `Linear`
    (written with numpy's types) can check. Anything else is returned as it is. Nothing is
    copied from the array: only its shape and its dtype's name are read."""
    kind = array_kind(x)
    if kind is None or kind.module is np:
        return x
    # One stand-in per dtype and shape, made once: with checks on, every product of every
    # layer checks its arguments, its output and its gradients through them, and making one
    # (numpy's dtype from the name, `broadcast_to`'s Python) cost more than the check. They
    # are read-only and hold no data, so one may serve every array of its dtype and shape.
    shape = tuple(x.shape)
    # The kind first: dtypes of two libraries are never compared (array-api-strict's warn
    # when compared with numpy's, which JAX's are).
    key = (kind, x.dtype, shape)
    cached = True
    try:
        return _STAND_INS[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable dtype or size: made every time
        cached = False
    try:
        dtype = kind.numpy_dtype(x)  # numpy's of the same name: float32 for torch.float32
    except TypeError:  # a dtype numpy lacks (bfloat16): a float one stands in for a float
        dtype = np.dtype(np.float32 if kind.floating(x) else np.int64)
    stand_in = np.broadcast_to(np.zeros((), dtype), shape)
    if cached:
        if len(_STAND_INS) >= _STAND_INS_KEPT:
            _STAND_INS.clear()  # a program of ever new shapes: start again rather than grow
        _STAND_INS[key] = stand_in
    return stand_in


_STAND_INS: dict[tuple[Any, Any, tuple[int, ...]], np.ndarray[Any, Any]] = {}
_STAND_INS_KEPT = 256


def _run_checked_anywhere(
    op: Op[*tuple[Any, ...], Any], values: Sequence[object], vetted: bool
) -> tuple[Any, Any]:
    """`Op._run_checked` for an op whose hints name numpy's types (`Float[Mat, "m n"]`), for
    the arrays of every library: numpy's are checked as they are; another library's through
    their stand-ins (`_stand_in`), with the same dimension names bound across the arguments and
    the output, the same messages, and the same cache of signatures that passed, while forward
    runs on the arrays themselves."""
    if array_module(*values) is np:
        return Op._run_checked(op, values, vetted)
    run = op._staged_forward if vetted else op._forward
    return op._checked.call(
        op.name,
        op.arg_name,
        op._in_hints,
        [_stand_in(v) for v in values],
        lambda _: run(values),
        "the output",
        op._out_hint,
        lambda result: _stand_in(result[0]),
    )


def _check_backward_anywhere(
    op: Op[*tuple[Any, ...], Any], g: object, grads: tuple[object, ...]
) -> None:
    """`Op.check_backward` for an op whose hints name numpy's types, for every library's
    gradients (through their stand-ins, see `_run_checked_anywhere`)."""
    if array_module(g) is not np:
        g, grads = _stand_in(g), tuple(_stand_in(gi) for gi in grads)
    Op.check_backward(op, g, grads)


def _explain_hints(op: Op[*tuple[Any, ...], Any], values: Sequence[Any]) -> CheckError:
    """The error that the runtime check of `op`'s hints gives for `values`, for a hinted op
    whose cheap shape test failed with runtime checks off: the same words either way (another
    library's arrays are checked through their stand-ins, see `_stand_in`)."""
    values = [_stand_in(v) for v in values]
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
        # Another library's arrays keep their type (their ranks are not typed).
        @overload
        def __call__(self, a: BVar[L], b: BVar[OtherArray] | OtherArray, /) -> BVar[L]: ...
        @overload
        def __call__(self, a: OtherArray, b: BVar[L], /) -> BVar[L]: ...
        @overload
        def __call__(self, a: L, b: OtherArray, /) -> L: ...
        def __call__(self, a: Any, b: Any, /) -> Any: ...

    @staticmethod
    def shape_error(op: str, a: Any, b: Any) -> CheckError | None:
        return _matmul_shape_error(a, b)

    def scan_gradient(
        self, k: int, inputs: Sequence[object], stacked: tuple[bool, ...]
    ) -> Callable[[Any, Sequence[Any]], Any] | None:
        a, b = inputs
        if stacked[k] or not stacked[1 - k]:
            return None
        if type(a) is not np.ndarray or type(b) is not np.ndarray:
            return None
        spec = _MATMUL_SUMMED.get((k, a.ndim, b.ndim))
        return None if spec is None else partial(_matmul_summed, k, spec)

    def scan_batched(
        self, inputs: Sequence[object], stacked: tuple[bool, ...]
    ) -> Callable[..., tuple[Any, Any]] | None:
        # Stacked, a vector on the left is a matrix of rows, a matrix a stack of matrices:
        # matmul computes each step's product. A vector on the right is not (it would be
        # taken as a matrix of columns).
        a, b = inputs
        if type(a) is not np.ndarray or type(b) is not np.ndarray:
            return None
        if stacked[1] and (b.ndim != 2 or (stacked[0] and a.ndim != 2)):
            return None
        return self.forward

    def compute(self, a: Any, b: Any) -> tuple[Any, Grad2]:
        if type(a) is not np.ndarray:
            xp = array_module(a, b)
            if xp is not np:
                # Another library's errors for shapes that do not fit are of its own types
                # (PyTorch's RuntimeError): the shapes are checked first.
                if not _matmul_fits(np.shape(a), np.shape(b)):
                    raise _matmul_shape_error(a, b)
                # xp's matmul, not `@`: it promotes mixed dtypes, which PyTorch's `@` refuses.
                return _matmul_of(xp)(a, b), partial(_matmul_grad_xp, xp, a, b)
        return a @ b, partial(_matmul_grad, a, b)


def _matmul_of(xp: Any) -> Callable[[Any, Any], Any]:
    """`xp.matmul`, or for array-api-compat's PyTorch namespace a matmul that calls
    `torch.matmul` itself for operands of one dtype: the wrapper's promotion (two `.to` calls
    and two `result_type`s, for dtypes that need none) costs a small product's time, at every
    product of every layer, forward and backward. Mixed dtypes go through the wrapper, which
    promotes them as the array API says (PyTorch's own matmul refuses them)."""
    try:
        return _MATMULS[xp]
    except KeyError:
        pass
    compat: Callable[[Any, Any], Any] = xp.matmul
    found = compat
    if is_torch(xp):
        raw = sys.modules["torch"].matmul

        def found(a: Any, b: Any) -> Any:
            return raw(a, b) if a.dtype == b.dtype else compat(a, b)

    _MATMULS[xp] = found
    return found


_MATMULS: dict[Any, Callable[[Any, Any], Any]] = {}


def _matmul_shape_error(a: Any, b: Any) -> CheckError:
    shapes = f"{describe_shape('a', a)} and {describe_shape('b', b)}"
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return CheckError(f"matmul: {shapes}: matmul needs arrays of at least one axis")
    which = "only" if np.ndim(b) == 1 else "second-to-last"
    return CheckError(
        f"matmul: {shapes} do not fit a @ b (the last axis of 'a' must match the {which} "
        "axis of 'b', and leading axes must broadcast)"
    )


def _matmul_fits(sa: tuple[int, ...], sb: tuple[int, ...]) -> bool:
    """Whether arrays of shapes `sa` and `sb` fit `a @ b`."""
    if not sa or not sb or sa[-1] != (sb[0] if len(sb) == 1 else sb[-2]):
        return False
    try:
        np.broadcast_shapes(tuple(sa[:-2]), tuple(sb[:-2]))
    except ValueError:
        return False
    return True


def _matmul_grad(a: Any, b: Any, g: Any, needs: Needs = BOTH) -> tuple[Any, Any]:
    # A constant's gradient is a whole matrix product: skip it (see takes_needs).
    ga = unbroadcast(_matmul_grad_a(g, a, b), a) if needs[0] else None
    gb = unbroadcast(_matmul_grad_b(g, a, b), b) if needs[1] else None
    return ga, gb


def _matmul_grad_a(g: Any, a: Any, b: Any) -> Any:
    """The gradient for `a` of `a @ b`, given the output's gradient `g` (before unbroadcast)."""
    if b.ndim == 1:
        return _outer_product(g, b) if a.ndim == 2 else (g * b if a.ndim == 1 else g[..., None] * b)
    if a.ndim == 1:
        return b @ g if b.ndim == 2 else (b @ g[..., None])[..., 0]
    if _transposed(a) and b.ndim == 2 and g.ndim == 2:
        return (b @ g.T).T  # see _transposed
    return g @ np.swapaxes(b, -1, -2)


def _matmul_grad_b(g: Any, a: Any, b: Any) -> Any:
    """The gradient for `b` of `a @ b`, given the output's gradient `g` (before unbroadcast)."""
    if a.ndim == 1:
        return (
            _outer_product(a, g)
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


def _matmul_grad_xp(xp: Any, a: Any, b: Any, g: Any, needs: Needs = BOTH) -> tuple[Any, Any]:
    """`_matmul_grad` for another library than numpy, with its namespace `xp`: the same
    products, written with the array API's functions."""
    mm = _matmul_of(xp)
    ga = gb = None
    if needs[0]:
        if b.ndim == 1:
            # g has a's shape without its last axis: each row of g times b.
            ga = g * b if a.ndim == 1 else g[..., None] * b
        elif a.ndim == 1:
            ga = mm(b, g) if b.ndim == 2 else mm(b, g[..., None])[..., 0]
        else:
            ga = mm(g, xp.matrix_transpose(b))
        ga = unbroadcast(ga, a)
    if needs[1]:
        if a.ndim == 1:
            if b.ndim == 1:
                gb = g * a
            else:
                gb = a[:, None] * g[..., None, :]
        elif b.ndim == 1:
            gb = mm(xp.matrix_transpose(a), g[..., None])[..., 0]
        else:
            gb = mm(xp.matrix_transpose(a), g)
        gb = unbroadcast(gb, b)
    return ga, gb


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
    cheaply) and a mismatch gives the same message. It takes floating arrays only. The hints
    name numpy's types; another library's arrays are checked against them through numpy
    stand-ins of their shapes and dtypes, with the same messages.

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

    def _run_checked(self, values: Sequence[object], vetted: bool = False) -> tuple[Any, Any]:
        # The hints name numpy's types: another library's arrays are checked by stand-ins.
        return _run_checked_anywhere(self, values, vetted)

    def check_backward(self, g: object, grads: tuple[object, ...]) -> None:
        _check_backward_anywhere(self, g, grads)

    def scan_gradient(
        self, k: int, inputs: Sequence[object], stacked: tuple[bool, ...]
    ) -> Callable[[Any, Sequence[Any]], Any] | None:
        if k == 0 and stacked == (False, True) and all(type(x) is np.ndarray for x in inputs):
            return _matvec_summed
        return None

    def scan_batched(
        self, inputs: Sequence[object], stacked: tuple[bool, ...]
    ) -> Callable[..., tuple[Any, Any]] | None:
        if stacked == (False, True) and all(type(x) is np.ndarray for x in inputs):
            return _matvec_batched
        return None

    def scan_inline(self, inputs: Sequence[object]) -> tuple[str, tuple[str, ...]] | None:
        w, x = inputs
        if (
            type(w) is np.ndarray
            and type(x) is np.ndarray
            and w.ndim == 2
            and x.shape == w.shape[1:]
            and w.dtype == x.dtype
            and w.dtype.kind == "f"
        ):
            # `_matvec_grad`'s products (its `astype` changes nothing for these inputs).
            return "{0} @ {1}", ("{g}[:, None] * {1}", "{g} @ {0}")
        return None

    def forward(self, w: Mat, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Mat, Vec]]]:
        # Typed Mat and Vec, but with runtime checks off anything may arrive. (`.shape` for
        # arrays: np.shape's dispatch costs as much as a small matrix-vector product.)
        sw: tuple[int, ...] = w.shape if type(w) is np.ndarray else np.shape(w)
        sx: tuple[int, ...] = x.shape if type(x) is np.ndarray else np.shape(x)
        if len(sw) != 2 or len(sx) != 1 or sw[1] != sx[0]:
            raise _explain_hints(self, (w, x))
        if type(w) is not np.ndarray:
            xp = array_module(w, x)
            if xp is not np:
                return _matmul_of(xp)(w, x), partial(_matvec_grad_xp, xp, w, x)
        out: Vec = w @ x
        # A partial, not a closure: see `typedprop.ops._arithmetic`.
        return out, partial(_matvec_grad, w, x)


# The gradient of a matmul's input `k`, the same at every step of a scan, summed over the
# steps: einsum's spec over the stacked output gradients and the other input (leading axis t;
# in that order for k = 0, the other first for k = 1),
# by (k, a's rank, b's rank) at one step.
_MATMUL_SUMMED = {
    (0, 2, 1): "tm,tn->mn",
    (0, 1, 1): "t,tn->n",
    (0, 1, 2): "tn,tmn->m",
    (0, 2, 2): "tmp,tnp->mn",
    (1, 1, 2): "tm,tn->mn",
    (1, 1, 1): "tn,t->n",
    (1, 2, 1): "tmn,tm->n",
    (1, 2, 2): "tmp,tmn->pn",
}


def _matmul_summed(k: int, spec: str, gs: Any, inputs: Sequence[Any]) -> Any:
    """Input `k`'s gradient summed over a scan's steps (see `_MATMUL_SUMMED`)."""
    other = inputs[1 - k]
    if spec == "tm,tn->mn":
        # Two matrix products, the common ones, without einsum's dispatch.
        out = gs.T @ other if k == 0 else other.T @ gs
    elif spec == "t,tn->n":
        out = gs @ other
    elif spec == "tn,t->n":
        out = gs @ other
    else:
        out = np.einsum(spec, gs, other) if k == 0 else np.einsum(spec, other, gs)
    return out.astype(inputs[k].dtype, copy=False)


def _matvec_summed(gs: Any, inputs: Sequence[Any]) -> Any:
    """`w`'s gradient summed over a scan's steps: the outer products of all steps at once."""
    w, xs = inputs
    return (gs.T @ xs).astype(w.dtype, copy=False)


def _matvec_batched(w: Mat, xs: Mat) -> tuple[Mat, Callable[..., tuple[Mat, Mat]]]:
    """`matvec(w, x)` for every row `x` of `xs` at once (see `Op.scan_batched`)."""
    return xs @ w.T, partial(_matvec_batched_grad, w, xs)


def _matvec_batched_grad(
    w: Mat, xs: Mat, gs: Mat, needs: tuple[bool, bool] = (True, True)
) -> tuple[Mat, Mat]:
    gw: Mat = (gs.T @ xs).astype(w.dtype, copy=False) if needs[0] else SKIPPED
    gxs: Mat = (gs @ w).astype(xs.dtype, copy=False) if needs[1] else SKIPPED
    return gw, gxs


def _matvec_grad(
    w: Mat, x: Vec, g: Vec, needs: tuple[bool, bool] = (True, True)
) -> tuple[Mat, Vec]:
    # A constant's gradient is skipped (see takes_needs): `x` is often the data.
    gw: Mat = _outer_product(g, x).astype(w.dtype, copy=False) if needs[0] else SKIPPED
    gx: Vec = (g @ w).astype(x.dtype, copy=False) if needs[1] else SKIPPED
    return gw, gx


def _matvec_grad_xp(
    xp: Any, w: Any, x: Any, g: Any, needs: tuple[bool, bool] = (True, True)
) -> tuple[Any, Any]:
    """`_matvec_grad` for another library than numpy, with its namespace `xp`."""
    gw = xp.astype(g[:, None] * x, w.dtype, copy=False) if needs[0] else SKIPPED
    gx = xp.astype(_matmul_of(xp)(g, w), x.dtype, copy=False) if needs[1] else SKIPPED
    return gw, gx


matvec = public(MatVec())


# From this many entries on, a weight gradient's outer product goes through `einsum`. numpy's
# broadcast product (what `np.outer` runs) buffers the operand broadcast along each row, a copy
# per row; einsum streams it. Measured on a 300x784 weight (MNIST's first layer, once a sample):
# 78 us against 101 (84 with `_cannot_raise`); on small products einsum's parsing costs more
# than it saves (10x100: 2.2 against 1.6 us), even at 128x128.
_EINSUM_OUTER = 65536


def _outer_product(a: Any, b: Any) -> Any:
    """`np.outer(a, b)`, the same products, without its conversions for two 1-D arrays: a
    weight gradient of one sample (`matmul`, `matvec`, `linear`).

    A large one of one real floating dtype comes from `einsum`, faster (see `_EINSUM_OUTER`),
    where no product can raise a floating-point error (`_cannot_raise`): einsum reports none,
    where the broadcast product warns or raises as `np.errstate` says. einsum adds each
    product to a zero, so a product of -0.0 comes out 0.0, equal to it."""
    if type(a) is np.ndarray and type(b) is np.ndarray and a.ndim == 1 and b.ndim == 1:
        if (
            a.size * b.size >= _EINSUM_OUTER
            and a.dtype == b.dtype
            and a.dtype.kind == "f"
            and _cannot_raise(a, b)
        ):
            return np.einsum("i,j->ij", a, b)
        return a[:, None] * b
    return np.outer(a, b)


_FLOAT_MAX: dict[np.dtype[Any], float] = {}


def _cannot_raise(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> bool:
    """Whether no product of an entry of `a` and one of `b` (both non-empty, of one floating
    dtype) sets a floating-point error flag that numpy would report: every entry is finite,
    the largest product fits the dtype, and underflows are ignored (numpy's default). Four
    reductions over two vectors; a nan or an inf makes the product below nan or inf."""
    dtype = a.dtype
    top = _FLOAT_MAX.get(dtype)
    if top is None:
        top = _FLOAT_MAX[dtype] = float(np.finfo(dtype).max)
    largest = max(float(max_reduce(a, None)), -float(min_reduce(a, None))) * max(
        float(max_reduce(b, None)), -float(min_reduce(b, None))
    )
    return largest <= top and np.geterr()["under"] == "ignore"


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

    def _run_checked(self, values: Sequence[object], vetted: bool = False) -> tuple[Any, Any]:
        # The hints name numpy's types: another library's arrays are checked by stand-ins.
        return _run_checked_anywhere(self, values, vetted)

    def check_backward(self, g: object, grads: tuple[object, ...]) -> None:
        _check_backward_anywhere(self, g, grads)

    def forward(
        self, w: Mat, x: Array, b: Vec
    ) -> tuple[Array, Callable[[Array], tuple[Mat, Array, Vec]]]:
        # Typed Mat, Array and Vec, but with runtime checks off anything may arrive. (`.shape`
        # for numpy's arrays: np.shape's dispatch costs as much as a small product.)
        nd = np.ndarray
        sw: tuple[int, ...] = w.shape if type(w) is nd else np.shape(w)
        sx: tuple[int, ...] = x.shape if type(x) is nd else np.shape(x)
        sb: tuple[int, ...] = b.shape if type(b) is nd else np.shape(b)
        if len(sw) != 2 or len(sx) < 1 or sx[-1] != sw[1] or sb != sw[:1]:
            raise _explain_hints(self, (w, x, b))
        if type(w) is not nd:
            xp = array_module(w, x, b)
            if xp is not np:
                return _linear_xp(xp, w, x, b)
        out: Array = w @ x if x.ndim == 1 else x @ w.T
        if type(out) is nd and type(b) is nd and b.dtype == out.dtype:
            out += b  # the product's own array: one temporary the size of the output fewer
        else:
            out = out + b  # a dtype of its own (float32 weights, a float64 bias)

        def grad(
            g: Array, needs: tuple[bool, bool, bool] = (True, True, True)
        ) -> tuple[Mat, Array, Vec]:
            # A batch's axes folded into one, so the weight gradient is one matrix product.
            # (The tests inline, not `astype(copy=False)` calls: this runs at every layer of
            # every step, where a call costs as much as a small product.)
            g2 = g if g.ndim <= 2 else g.reshape(-1, g.shape[-1])
            x2 = x if x.ndim <= 2 else x.reshape(-1, x.shape[-1])
            gw: Mat = SKIPPED
            if needs[0]:
                if g2.ndim > 1:
                    gw = g2.T @ x2
                elif type(x2) is np.ndarray:
                    gw = _outer_product(g2, x2)
                else:
                    gw = g2[:, None] * x2  # another library's data: its own product
                gw = gw if gw.dtype == w.dtype else gw.astype(w.dtype)
            gx: Array = SKIPPED
            if needs[1]:
                gx = g @ w
                gx = gx if gx.dtype == x.dtype else gx.astype(x.dtype)
            gb: Vec = SKIPPED
            if needs[2]:
                gb = g2 if g2.ndim == 1 else sum_reduce(g2, 0)
                gb = gb if gb.dtype == b.dtype else gb.astype(b.dtype)
            return gw, gx, gb

        return out, grad


def _linear_xp(xp: Any, w: Any, x: Any, b: Any) -> tuple[Any, Any]:
    """`Linear.forward` for another library than numpy, with its namespace `xp`."""
    mm = _matmul_of(xp)
    on_torch = is_torch(xp)
    # PyTorch's own dense layer for one dtype (its `F.linear`, the bias added inside the
    # product's kernel, as PyTorch eager computes it): one kernel and one fresh array fewer
    # per layer. Mixed dtypes go through the namespace, which promotes them.
    if on_torch and w.dtype == x.dtype == b.dtype:
        out = sys.modules["torch"].nn.functional.linear(x, w, b)
    else:
        out = (mm(w, x) if x.ndim == 1 else mm(x, xp.matrix_transpose(w))) + b

    def grad(g: Any, needs: tuple[bool, bool, bool] = (True, True, True)) -> tuple[Any, Any, Any]:
        # (As in numpy's: a batch's axes folded only where there are several, and dtypes
        # converted only where they differ; each namespace call is a Python wrapper's, so
        # PyTorch's tensors are transposed and summed by their own methods.)
        g2 = g if g.ndim <= 2 else xp.reshape(g, (-1, g.shape[-1]))
        x2 = x if x.ndim <= 2 else xp.reshape(x, (-1, x.shape[-1]))
        gw = gx = gb = SKIPPED
        if needs[0]:
            if g2.ndim == 1:
                gw = g2[:, None] * x2
            else:
                gw = mm(g2.mT if on_torch else xp.matrix_transpose(g2), x2)
            gw = gw if gw.dtype == w.dtype else xp.astype(gw, w.dtype)
        if needs[1]:
            gx = mm(g, w)
            gx = gx if gx.dtype == x.dtype else xp.astype(gx, x.dtype)
        if needs[2]:
            gb = g2 if g2.ndim == 1 else (g2.sum(0) if on_torch else xp.sum(g2, axis=0))
            gb = gb if gb.dtype == b.dtype else xp.astype(gb, b.dtype)
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
        # Another library's arrays keep their type (their ranks are not typed).
        @overload
        def __call__(self, a: BVar[L], b: BVar[OtherArray] | OtherArray, /) -> BVar[L]: ...
        @overload
        def __call__(self, a: OtherArray, b: BVar[L], /) -> BVar[L]: ...
        @overload
        def __call__(self, a: L, b: OtherArray, /) -> L: ...
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
        # Another library's arrays: its 0-d array.
        @overload
        def __call__(self, a: BVar[L], b: BVar[OtherArray] | OtherArray, /) -> BVar[L]: ...
        @overload
        def __call__(self, a: OtherArray, b: BVar[L], /) -> BVar[L]: ...
        @overload
        def __call__(self, a: L, b: OtherArray, /) -> L: ...
        def __call__(self, a: Any, b: Any, /) -> Any: ...

    def forward(self, a: Any, b: Any) -> tuple[Any, Grad2]:
        # Complex arguments are refused by the engine, as by every op (see `typedprop.Op`).
        xp = array_module(a, b)
        if xp is not np:
            return _vdot_xp(xp, a, b)
        if np.size(a) != np.size(b):
            raise _vdot_error(a, b)
        out = np.vdot(a, b)
        return out, lambda g: (_to(g * np.ravel(b), a), _to(g * np.ravel(a), b))


def _vdot_error(a: Any, b: Any) -> CheckError:
    na, nb = math.prod(np.shape(a)), math.prod(np.shape(b))
    return CheckError(
        f"vdot: {describe_shape('a', a)} and {describe_shape('b', b)} have {na} and {nb} "
        "elements; vdot needs the same number"
    )


def _vdot_xp(xp: Any, a: Any, b: Any) -> tuple[Any, Grad2]:
    """`Vdot.forward` for another library than numpy, with its namespace `xp`."""
    if math.prod(np.shape(a)) != math.prod(np.shape(b)):
        raise _vdot_error(a, b)
    ra, rb = (xp.reshape(v, (-1,)) for v in _library_arrays(xp, (a, b)))
    out = xp.vecdot(ra, rb)
    return out, lambda g: (_to(g * rb, a), _to(g * ra, b))


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
        # Another library's arrays keep their type (their ranks are not typed).
        @overload
        def __call__(self, a: BVar[L], b: BVar[OtherArray] | OtherArray, /) -> BVar[L]: ...
        @overload
        def __call__(self, a: OtherArray, b: BVar[L], /) -> BVar[L]: ...
        @overload
        def __call__(self, a: L, b: OtherArray, /) -> L: ...
        def __call__(self, a: Any, b: Any, /) -> Any: ...

    def forward(self, a: Any, b: Any) -> tuple[Any, Grad2]:
        xp = array_module(a, b)
        if xp is not np:
            ra, rb = (xp.reshape(v, (-1,)) for v in _library_arrays(xp, (a, b)))
            mm = xp.matmul
            return ra[:, None] * rb[None, :], lambda g: (_to(mm(g, rb), a), _to(mm(ra, g), b))
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


def _einsum_grad(spec: _Spec, k: int, operands: Sequence[Any], g: Any, xp: Any = np) -> Any:
    """The gradient for operand `k`: an einsum of the output's gradient with the other
    operands, giving `k`'s labels (with the namespace `xp`; the operands and `g` arrays of
    its library)."""
    x = operands[k]
    shape = np.shape(x)
    if xp is np:
        dtype, device = np.result_type(g), None
    else:
        dtype, device = g.dtype, array_kind(g).device(g)  # type: ignore[union-attr]  # an array
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
            n = shape[axis]
            values.append(
                np.eye(n, dtype=dtype) if xp is np else xp.eye(n, dtype=dtype, device=device)
            )
            target += f
            continue
        if c not in elsewhere:
            terms.append(c)
            n = shape[axis]
            values.append(
                np.ones(n, dtype=dtype) if xp is np else xp.ones(n, dtype=dtype, device=device)
            )
        target += c
    text = f"{','.join(terms)}->{target}"
    gk = np.einsum(text, *values) if xp is np else _einsum_xp(xp, text, values)
    # A broadcast axis of size 1 in operand k stretched to the other operands' size.
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and gk.shape[i] != 1)
    if stretched:
        if xp is np:
            gk = gk.sum(axis=stretched, keepdims=True)
        else:
            gk = xp.sum(gk, axis=stretched, keepdims=True)
    return _to(gk, x)


def _einsum_forward(
    subscripts: str, operands: Sequence[Any]
) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    spec = _einsum_spec(subscripts, operands)
    xp = array_module(*operands)
    if xp is not np:
        return _einsum_forward_xp(xp, spec, operands)
    out = np.einsum(spec.text, *operands)

    def grad(g: Any) -> tuple[Any, ...]:
        return tuple(_einsum_grad(spec, k, operands, g) for k in range(len(operands)))

    return out, grad


def _einsum_forward_xp(
    xp: Any, spec: _Spec, operands: Sequence[Any]
) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    """`_einsum_forward` for another library than numpy, with its namespace `xp`: its own
    einsum where it has one (PyTorch, JAX), else the array API's functions (`_contract`)."""
    values = _library_arrays(xp, operands)
    out = _einsum_xp(xp, spec.text, values)

    def grad(g: Any) -> tuple[Any, ...]:
        g = _as_array(xp, g, out)
        return tuple(_einsum_grad(spec, k, values, g, xp) for k in range(len(values)))

    return out, grad


def _einsum_xp(xp: Any, subscripts: str, values: Sequence[Any]) -> Any:
    """`numpy.einsum(subscripts, *values)` for the arrays `values` of another library, with
    its namespace `xp`; `subscripts` explicit, with no '...' (as `_Spec.text` writes them).
    Mixed dtypes are promoted first: PyTorch's einsum refuses them."""
    dtypes = {v.dtype for v in values}
    if len(dtypes) > 1:
        dtype = xp.result_type(*dtypes)
        values = [xp.astype(v, dtype) for v in values]
    einsum = getattr(xp, "einsum", None)
    if einsum is not None:
        return einsum(subscripts, *values)
    return _contract(xp, subscripts, values)


def _contract(xp: Any, subscripts: str, values: Sequence[Any]) -> Any:
    """`numpy.einsum(subscripts, *values)` with the array API standard's functions alone, for
    a namespace without an einsum (array-api-strict): each operand's repeated labels read as
    diagonals and its labels that no other term has summed out, then the operands multiplied
    one after another as stacks of matrix products (`_contract_pair`). `subscripts` are
    explicit, with no '...'; a label of size 1 in one operand and more in another broadcasts,
    as numpy's does."""
    lhs, out = subscripts.split("->")
    terms = lhs.split(",")
    items: list[tuple[str, Any]] = []
    for i, (term, value) in enumerate(zip(terms, values, strict=True)):
        keep = set(out).union(*(t for j, t in enumerate(terms) if j != i))
        items.append(_own_labels(xp, term, value, keep))
    term, value = items[0]
    for j in range(1, len(items)):
        later = set(out).union(*(t for t, _ in items[j + 1 :]))
        term, value = _contract_pair(xp, (term, value), items[j], later)
    return xp.permute_dims(value, tuple(term.index(c) for c in out))


def _own_labels(xp: Any, term: str, x: Any, keep: set[str]) -> tuple[str, Any]:
    """Operand `x` of labels `term` with each repeated label read as its diagonal and the
    labels not in `keep` summed out: its labels then all differ."""
    while True:
        repeated = next((c for c in term if term.count(c) > 1), None)
        if repeated is None:
            break
        i = term.index(repeated)
        j = term.index(repeated, i + 1)
        rest = [axis for axis in range(len(term)) if axis not in (i, j)]
        x = xp.linalg.diagonal(xp.permute_dims(x, (*rest, i, j)))
        term = "".join(term[axis] for axis in rest) + repeated
    gone = tuple(axis for axis, c in enumerate(term) if c not in keep)
    if gone:
        x = xp.sum(x, axis=gone)
        term = "".join(c for c in term if c in keep)
    return term, x


def _contract_pair(
    xp: Any, left: tuple[str, Any], right: tuple[str, Any], keep: set[str]
) -> tuple[str, Any]:
    """The product of two operands whose labels each differ, summed over the labels they share
    that are not in `keep`: the shared labels kept lead (a stack, which broadcasts), the
    labels of one operand only are folded into the rows and the columns of one matrix product
    and the summed labels into its inner axis."""
    (ta, a), (tb, b) = left, right
    batch = [c for c in ta if c in tb and c in keep]
    summed = [c for c in ta if c in tb and c not in keep]
    rows = [c for c in ta if c not in tb]
    cols = [c for c in tb if c not in ta]
    size_a = dict(zip(ta, a.shape, strict=True))
    size_b = dict(zip(tb, b.shape, strict=True))
    # A summed label of size 1 in one operand only: the other's axis is summed first.
    for c in summed:
        if size_a[c] != size_b[c]:
            if size_a[c] == 1:
                b = xp.sum(b, axis=tb.index(c), keepdims=True)
                size_b[c] = 1
            else:
                a = xp.sum(a, axis=ta.index(c), keepdims=True)
                size_a[c] = 1
    a = xp.permute_dims(a, tuple(ta.index(c) for c in (*batch, *rows, *summed)))
    b = xp.permute_dims(b, tuple(tb.index(c) for c in (*batch, *summed, *cols)))
    inner = math.prod(size_a[c] for c in summed)
    a = xp.reshape(a, (*(size_a[c] for c in batch), math.prod(size_a[c] for c in rows), inner))
    b = xp.reshape(b, (*(size_b[c] for c in batch), inner, math.prod(size_b[c] for c in cols)))
    product = xp.matmul(a, b)
    shape = (
        *product.shape[: len(batch)],
        *(size_a[c] for c in rows),
        *(size_b[c] for c in cols),
    )
    return "".join((*batch, *rows, *cols)), xp.reshape(product, shape)


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
    # Another library's arrays keep their type.
    @overload
    def __call__(self, subscripts: str, a: BVar[L], /) -> BVar[L]: ...
    @overload
    def __call__(self, subscripts: str, a: L, /) -> L: ...
    @overload
    def __call__(
        self, subscripts: str, a: BVar[L], b: BVar[OtherArray] | OtherArray | BVar[float] | float, /
    ) -> BVar[L]: ...
    @overload
    def __call__(self, subscripts: str, a: L, b: BVar[OtherArray] | BVar[float], /) -> BVar[L]: ...
    @overload
    def __call__(self, subscripts: str, a: L, b: OtherArray | float, /) -> L: ...
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
    @overload
    def __call__(self, x: BVar[L], /, axes: Sequence[int] | None = None) -> BVar[L]: ...
    @overload
    def __call__(self, x: L, /, axes: Sequence[int] | None = None) -> L: ...
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
        xp = array_module(x)
        if xp is not np:
            permute = xp.permute_dims
            return permute(x, perm), lambda g: (_to(permute(g, inverse), x),)
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
    # Another library's arrays keep their type (a 0-d array for a matrix's trace).
    @overload
    def __call__(
        self, x: BVar[L], /, offset: int = 0, axis1: int = 0, axis2: int = 1
    ) -> BVar[L]: ...
    @overload
    def __call__(self, x: L, /, offset: int = 0, axis1: int = 0, axis2: int = 1) -> L: ...
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
        n1, n2 = np.shape(x)[a1], np.shape(x)[a2]
        offset = int(self.offset)
        xp = array_module(x)
        if xp is not np:
            return _trace_xp(xp, x, offset, a1, a2)
        out = np.trace(x, self.offset, a1, a2)

        def grad(g: Any) -> tuple[Any]:
            g = np.asarray(g)
            # The remaining axes lead, the diagonal's two follow, then both go back in place.
            spread = g[..., None, None] * np.eye(n1, n2, k=offset, dtype=g.dtype)
            return (_to(np.moveaxis(spread, (-2, -1), (a1, a2)), x),)

        return out, grad


def _trace_xp(xp: Any, x: Any, offset: int, a1: int, a2: int) -> tuple[Any, Grad1]:
    """`Trace.forward` for another library than numpy, with its namespace `xp`: the two axes
    moved last, where the array API's `linalg.trace` reads its diagonal."""
    ndim = x.ndim
    perm = (*(i for i in range(ndim) if i not in (a1, a2)), a1, a2)
    inverse = tuple(int(i) for i in np.argsort(perm))
    out = xp.linalg.trace(xp.permute_dims(x, perm), offset=offset)
    n1, n2 = x.shape[a1], x.shape[a2]

    def grad(g: Any) -> tuple[Any]:
        g = _as_array(xp, g, out)
        device = array_kind(x).device(x)  # type: ignore[union-attr]  # x is an array
        eye = xp.eye(n1, n2, k=offset, dtype=g.dtype, device=device)
        return (_to(xp.permute_dims(g[..., None, None] * eye, inverse), x),)

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
    `LinAlgError` is its cause, or PyTorch's; JAX gives inf or nan instead).

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
        # Another library's arrays keep their type (their ranks are not typed).
        @overload
        def __call__(self, a: BVar[L], b: BVar[OtherArray] | OtherArray, /) -> BVar[L]: ...
        @overload
        def __call__(self, a: OtherArray, b: BVar[L], /) -> BVar[L]: ...
        @overload
        def __call__(self, a: L, b: OtherArray, /) -> L: ...
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
        xp = array_module(a, b)
        with _factorable("solve", "a", a, "singular"):
            if xp is np or not vector:
                x = xp.linalg.solve(a, b)
            else:
                # A column: the libraries read a vector `b` against a stack of matrices in
                # their own ways (PyTorch's as a stack of vectors where shapes allow).
                x = xp.linalg.solve(a, b[..., None])[..., 0]

        def grad(g: Any) -> tuple[Any, Any]:
            # Work with columns: numpy 2 reads a b of more than one axis as a stack of matrices.
            g2, x2 = (g[..., None], x[..., None]) if vector else (g, x)
            with _factorable("solve", "a", a, "singular"):
                gb = xp.linalg.solve(_mT(a), g2)
            ga = -(gb @ _mT(x2))
            return unbroadcast(ga, a), unbroadcast(gb[..., 0] if vector else gb, b)

        return x, grad


class Inv(Op[Any, Any]):
    """The inverse of the square matrix `a`, or of each matrix in a stack, as
    `numpy.linalg.inv`. The gradient reuses the inverse: `-inv.T @ g @ inv.T`.

    Prefer `solve(a, b)` to `inv(a) @ b`: it is cheaper and more accurate.

    **Raises:** `CheckError` for a non-square `a` and for a singular one (numpy's `LinAlgError`
    is its cause, or PyTorch's; JAX gives inf or nan instead).

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
        @overload
        def __call__(self, a: BVar[L], /) -> BVar[L]: ...
        @overload
        def __call__(self, a: L, /) -> L: ...
        def __call__(self, a: Any, /) -> Any: ...

    def forward(self, a: Any) -> tuple[Any, Grad1]:
        _check_square("inv", "a", a)
        xp = array_module(a)
        with _factorable("inv", "a", a, "singular"):
            out = xp.linalg.inv(a)

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
    # Another library's arrays: its (0-d) arrays, the sign plain.
    @overload
    def __call__(self, a: BVar[L], /) -> tuple[L, BVar[L]]: ...
    @overload
    def __call__(self, a: L, /) -> tuple[L, L]: ...
    def __call__(self, a: Any, /) -> Any:
        # A new op per call: it keeps the sign of its determinant, which has no gradient.
        op = Slogdet()
        logabsdet = Op.__call__(op, a)
        return op.sign, logabsdet

    def __init__(self) -> None:
        self.sign: Any = None

    def forward(self, a: Any) -> tuple[Any, Grad1]:
        _check_square("slogdet", "a", a)
        xp = array_module(a)
        self.sign, out = xp.linalg.slogdet(a)

        def grad(g: Any) -> tuple[Any]:
            # d log|det a| / da = inv(a).T, which does not exist where det a = 0.
            with _factorable("slogdet", "a", a, "singular, so log|det a| has no gradient"):
                inv_t = _mT(xp.linalg.inv(a))
            g = np.asarray(g) if xp is np else _as_array(xp, g, out)
            return (_to(g[..., None, None] * inv_t, a),)

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
    (numpy's `LinAlgError` is its cause, or PyTorch's; JAX gives nan instead).

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
        @overload
        def __call__(self, a: BVar[L], /) -> BVar[L]: ...
        @overload
        def __call__(self, a: L, /) -> L: ...
        def __call__(self, a: Any, /) -> Any: ...

    def forward(self, a: Any) -> tuple[Any, Grad1]:
        _check_square("cholesky", "a", a)
        xp = array_module(a)
        with _factorable("cholesky", "a", a, "not positive definite"):
            lower = xp.linalg.cholesky(a)
        if xp is not np:
            return lower, partial(_cholesky_grad_xp, xp, a, lower)

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


def _cholesky_grad_xp(xp: Any, a: Any, lower: Any, g: Any) -> tuple[Any]:
    """`Cholesky`'s gradient for another library than numpy, with its namespace `xp`: the
    diagonal halved by a mask, where numpy's path halves it in place."""
    upper = xp.matrix_transpose(lower)
    phi = xp.tril(xp.matmul(upper, g))
    n = phi.shape[-1]
    device = array_kind(phi).device(phi)  # type: ignore[union-attr]  # phi is an array
    eye = xp.eye(n, dtype=phi.dtype, device=device)
    phi = phi * (1.0 - 0.5 * eye)
    s = xp.linalg.solve(
        upper, xp.matrix_transpose(xp.linalg.solve(upper, xp.matrix_transpose(phi)))
    )
    return (_to((s + xp.matrix_transpose(s)) * 0.5, a),)


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
