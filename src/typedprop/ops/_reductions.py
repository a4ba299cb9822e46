"""Reductions with numpy's `axis` and `keepdims`: `sum`, `mean`, `var`, `std`, `max`, `min`,
`prod`, `logsumexp` and `norm`; and the normalisations along one axis built on the same stable
exponential, `softmax` and `log_softmax`.

Reducing every axis (the default) gives a scalar; the gradient is put back to the input's shape
by one helper (`_axes.unreduce`). The exponential ops shift by the maximum before `exp`, in
their values and their gradients, so inputs of magnitude 1e3 or 1e4 give exact, finite results
and no warnings.

The ops compute with the input's array namespace (`array_module`): numpy itself for numpy's
arrays and numbers, the array API namespace of another library's arrays (PyTorch, JAX, ...),
whose full reductions give 0-d arrays of that library where numpy gives numpy scalars. numpy
keeps its own fast paths (in-place updates, `out=`/`where=`); the other libraries take portable
equivalents written against the array API standard.

!!! example
    ```python
    >>> import numpy as np
    >>> import typedprop as tp
    >>> from typedprop import ops
    >>> x = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> ops.sum(x, axis=0)
    array([4., 6.])
    >>> tp.grad(lambda v: ops.sum(ops.sum(v, axis=1) ** 2), x)
    array([[ 6.,  6.],
           [14., 14.]])
    >>> ops.logsumexp(np.array([1000.0, 1000.0]))  # 1000 + log(2)
    np.float64(1000.6931471805599)
    >>> tp.grad(lambda v: ops.max(v), np.array([1.0, 3.0, 3.0]))
    array([0. , 0.5, 0.5])
    ```

Internal: users import the ops from `typedprop.ops`.
"""

import math
import sys
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np

from .._core.arrays import DT, ArrayOf, Axis, L, N, ResultOf
from .._core.backends import is_torch
from .._core.bvar import BVar
from .._core.errors import CheckError
from .._core.op import Grad1, Op
from .._core.structures import array_kind, array_module
from ._axes import describe_shape, normalize_axis, unreduce
from ._registry import public


class Reduction(Op[Any, Any]):
    """The reduction kind: `f(x, axis=None, keepdims=False)` over `axis` (all axes by
    default), typed as numpy types it. Subclasses define `reduce(xp, x, axes)`, computing with
    the array namespace `xp` and returning the value with the reduced axes kept and the gradient
    continuation for that value. The settings are keyword arguments of the call, which runs a
    copy of the op made with them."""

    if TYPE_CHECKING:
        # The kind's static signature, with the settings as keyword arguments: reducing
        # everything gives a float, reducing some axes (or keeping them) an array of the
        # input's dtype. Narrower than Op's generic one (see Elementwise).
        @overload  # type: ignore[override]  # the kind's signature with its settings
        def __call__(
            self,
            x: BVar[np.ndarray[Any, Any]] | BVar[float],
            /,
            axis: None = None,
            keepdims: Literal[False] = False,
        ) -> BVar[float]: ...
        @overload
        def __call__(
            self, x: BVar[ArrayOf[DT]], /, axis: Axis = None, keepdims: bool = False
        ) -> BVar[ResultOf[DT]]: ...
        @overload
        def __call__(
            self,
            x: np.ndarray[Any, Any] | float,
            /,
            axis: None = None,
            keepdims: Literal[False] = False,
        ) -> float: ...
        @overload
        def __call__(
            self, x: ArrayOf[DT], /, axis: Axis = None, keepdims: bool = False
        ) -> ResultOf[DT]: ...
        # Another library's array keeps its type (reducing every axis gives a 0-d one).
        @overload
        def __call__(self, x: BVar[L], /, axis: Axis = None, keepdims: bool = False) -> BVar[L]: ...
        @overload
        def __call__(self, x: L, /, axis: Axis = None, keepdims: bool = False) -> L: ...
        def __call__(self, x: Any, /, axis: Axis = None, keepdims: bool = False) -> Any: ...
    else:

        def __call__(self, x, /, axis=None, keepdims=False):
            # The public op has the default settings: used as it is, no copy made.
            if axis is None and keepdims is False:
                return Op.__call__(self, x)
            return Op.__call__(type(self)(axis, keepdims), x)

    def __init__(self, axis: Axis = None, keepdims: bool = False) -> None:
        self.axis = axis
        self.keepdims = keepdims

    def forward(self, x: Any) -> tuple[Any, Grad1]:
        xp = array_module(x)
        axes = normalize_axis(self.name, x, self.axis)
        out, grad = self.reduce(xp, x, axes)
        keepdims = self.keepdims
        if not keepdims and axes:
            out = xp.squeeze(out, axis=axes)
        # Another library's full reduction stays a 0-d array of it (no numpy scalars).
        if xp is np and np.ndim(out) == 0:
            out = out[()]
        return out, lambda g: (grad(unreduce(g, x, axes, keepdims)),)

    def reduce(self, xp: Any, x: Any, axes: tuple[int, ...]) -> tuple[Any, Callable[[Any], Any]]:
        """The reduction of `x` over `axes` with keepdims=True, computed with the namespace
        `xp`, and a function from its gradient, broadcast to `x`'s shape, to the gradient for
        `x`."""
        raise NotImplementedError


# numpy's reductions called directly, for the hot paths of the layers and losses: `.max()`,
# `.min()`, `.sum()`, `.all()` and `np.sum` without their Python wrappers, the same results.
max_reduce, min_reduce = np.maximum.reduce, np.minimum.reduce
sum_reduce, all_reduce = np.add.reduce, np.logical_and.reduce


def _floating(xp: Any, x: Any) -> Any:
    """Another library's array `x` as floats: itself when it is floating, else (integers,
    booleans) converted to the library's default real floating dtype, where numpy's mean, exp
    and sqrt give float64. PyTorch's and array-api-strict's `mean` refuse integers."""
    if xp.isdtype(x.dtype, ("real floating", "complex floating")):
        return x
    kind = array_kind(x)
    device = kind.device(x) if kind is not None else None
    default = xp.__array_namespace_info__().default_dtypes(device=device)["real floating"]
    return xp.astype(x, default)


def _count(x: Any, axes: tuple[int, ...]) -> int:
    """How many elements of `x` each reduction over `axes` combines."""
    shape = np.shape(x)
    return math.prod(shape[a] for a in axes)


def _float_dtype(x: Any) -> np.dtype[Any]:
    return np.result_type(x, 0.0)


def _extreme(op: str, xp: Any, x: Any, axes: tuple[int, ...], choose: Callable[..., Any]) -> Any:
    """`choose` (the max or min of the namespace `xp`) over `axes` with keepdims, with the
    error for empty slices (which have no maximum) naming the op and the argument."""
    if xp is not np:
        # Each library fails in its own way (PyTorch an IndexError): look before.
        shape = tuple(x.shape)
        kept = math.prod(n for i, n in enumerate(shape) if i not in axes)
        if _count(x, axes) == 0 and kept != 0:
            raise _no_elements(op, x, axes)
        return choose(x, axis=axes, keepdims=True)
    try:
        return choose(x, axis=axes, keepdims=True)
    except ValueError:
        if np.size(x) != 0:
            raise
        raise _no_elements(op, x, axes) from None


def _no_elements(op: str, x: Any, axes: tuple[int, ...]) -> CheckError:
    return CheckError(f"{op}: {describe_shape('x', x)} has no elements to reduce along axes {axes}")


def shifted_exp(op: str, xp: Any, x: Any, axes: tuple[int, ...]) -> tuple[Any, Any, Any]:
    """The stable exponential behind logsumexp, softmax and the cross-entropies, computed with
    the namespace `xp` (`x` floating where it is another library's, see `_floating`): `shift`,
    the maximum over `axes` (0 where that is infinite, so all -inf gives exp(-inf) = 0, not
    nan), `e = exp(x - shift)` (at most 1) and `s`, its sum over `axes` (at least 1 when the
    maximum is finite). All three keep the reduced axes. `log(s) + shift` is logsumexp, `e / s`
    softmax."""
    if xp is not np:
        if axes and is_torch(xp):
            # PyTorch's own functions, not array-api-compat's wrappers (each costs about a
            # batch's kernel). (Not nan_to_num for the `where`: the same values, but PyTorch's
            # autograd through it, outside a call, would spread a row's nan to all its entries.)
            torch = sys.modules["torch"]
            # (`_extreme` for no elements only: its look at the shape costs half a kernel.)
            m = _extreme(op, xp, x, axes, _torch_max) if not x.numel() else _torch_max(x, axes)
            shift = torch.where(torch.isfinite(m), m, 0.0)
            e = torch.exp(x - shift)
            return shift, e, torch.sum(e, dim=axes, keepdim=True)
        m = _extreme(op, xp, x, axes, xp.max)
        shift = xp.where(xp.isfinite(m), m, 0.0)
        e = xp.exp(x - shift)
        return shift, e, xp.sum(e, axis=axes, keepdims=True)
    m = _extreme(op, np, x, axes, np.max)
    shift = np.where(np.isfinite(m), m, 0.0).astype(m.dtype, copy=False)
    e = np.exp(x - shift)
    return shift, e, np.sum(e, axis=axes, keepdims=True)


def _torch_max(x: Any, axis: tuple[int, ...], keepdims: bool = True) -> Any:
    """PyTorch's maximum over the (at least one) axes `axis`, called as `xp.max` is."""
    return sys.modules["torch"].amax(x, dim=axis, keepdim=keepdims)


def log_of_sum(xp: Any, s: Any) -> Any:
    """`log(s)` for the sum of a shifted exponential: 0 (every entry -inf) gives -inf, the
    exact value of logsumexp there, without numpy's divide-by-zero warning (array-api-strict
    computes with numpy, and warns the same; the other libraries never warn, and skip the
    context, which costs as much as the log of a batch's sums)."""
    if xp is not np and xp.__name__ != "array_api_strict":
        return xp.log(s)
    with np.errstate(divide="ignore"):
        return xp.log(s)


# ---------------------------------------------------------------------------------------------
# Sums and moments
# ---------------------------------------------------------------------------------------------


class Sum(Reduction):
    """The sum of `x`'s elements over `axis` (all by default), as `numpy.sum`.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> tp.grad(lambda m: ops.sum(m * m), np.array([1.0, 2.0]))
        array([2., 4.])
        ```
    """

    name = "sum"

    def reduce(self, xp: Any, x: Any, axes: tuple[int, ...]) -> tuple[Any, Callable[[Any], Any]]:
        if xp is not np:
            # astype copies: the gradient is an array of its own, not a broadcast view.
            return xp.sum(x, axis=axes, keepdims=True), lambda g: xp.astype(g, x.dtype)
        return np.sum(x, axis=axes, keepdims=True), lambda g: g.astype(np.result_type(x))


class Mean(Reduction):
    """The mean of `x`'s elements over `axis` (all by default), as `numpy.mean`.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> ops.mean(np.array([[1.0, 2.0], [3.0, 4.0]]), axis=1)
        array([1.5, 3.5])
        >>> tp.grad(ops.mean, np.array([1.0, 2.0, 3.0, 4.0]))
        array([0.25, 0.25, 0.25, 0.25])
        ```
    """

    name = "mean"

    def reduce(self, xp: Any, x: Any, axes: tuple[int, ...]) -> tuple[Any, Callable[[Any], Any]]:
        n = _count(x, axes)
        if xp is not np:
            x = _floating(xp, x)
        return xp.mean(x, axis=axes, keepdims=True), lambda g: g / n


class _Spread(Reduction):
    """var and std: the squared deviations from the mean over `axes`, divided by `n - ddof`.

    Like numpy, `n - ddof <= 0` warns "Degrees of freedom <= 0 for slice" and divides by 0
    (inf or nan, with numpy's warning)."""

    if TYPE_CHECKING:
        # The reduction kind's signature with numpy's `ddof` (the divisor is `n - ddof`).
        @overload  # type: ignore[override]  # the reduction signature with `ddof`
        def __call__(
            self,
            x: BVar[np.ndarray[Any, Any]] | BVar[float],
            /,
            axis: None = None,
            ddof: float = 0,
            keepdims: Literal[False] = False,
        ) -> BVar[float]: ...
        @overload
        def __call__(
            self,
            x: BVar[ArrayOf[DT]],
            /,
            axis: Axis = None,
            ddof: float = 0,
            keepdims: bool = False,
        ) -> BVar[ResultOf[DT]]: ...
        @overload
        def __call__(
            self,
            x: np.ndarray[Any, Any] | float,
            /,
            axis: None = None,
            ddof: float = 0,
            keepdims: Literal[False] = False,
        ) -> float: ...
        @overload
        def __call__(
            self, x: ArrayOf[DT], /, axis: Axis = None, ddof: float = 0, keepdims: bool = False
        ) -> ResultOf[DT]: ...
        @overload
        def __call__(
            self, x: BVar[L], /, axis: Axis = None, ddof: float = 0, keepdims: bool = False
        ) -> BVar[L]: ...
        @overload
        def __call__(
            self, x: L, /, axis: Axis = None, ddof: float = 0, keepdims: bool = False
        ) -> L: ...
        def __call__(
            self, x: Any, /, axis: Axis = None, ddof: float = 0, keepdims: bool = False
        ) -> Any: ...
    else:

        def __call__(self, x, /, axis=None, ddof=0, keepdims=False):
            if axis is None and type(ddof) is int and ddof == 0 and keepdims is False:
                return Op.__call__(self, x)
            return Op.__call__(type(self)(axis, ddof, keepdims), x)

    def __init__(self, axis: Axis = None, ddof: float = 0, keepdims: bool = False) -> None:
        super().__init__(axis, keepdims)
        if isinstance(ddof, bool) or not isinstance(ddof, int | float | np.integer | np.floating):
            raise CheckError(f"{self.name}: ddof must be a real number, got {type(ddof).__name__}")
        self.ddof = ddof

    def variance(self, xp: Any, x: Any, axes: tuple[int, ...]) -> tuple[Any, Any, Any]:
        """The variance (keepdims), the deviations `x - mean` and the divisor `n - ddof`."""
        dof = _count(x, axes) - self.ddof
        if dof <= 0:
            warnings.warn("Degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=2)
            dof = 0
        if xp is not np:
            x = _floating(xp, x)
        d = x - xp.mean(x, axis=axes, keepdims=True)
        return xp.sum(d * d, axis=axes, keepdims=True) / dof, d, dof


class Var(_Spread):
    """The variance of `x` over `axis`, as `numpy.var`: the mean squared deviation from the
    mean, with divisor `n - ddof` (`ddof=1` for the unbiased estimate). Its gradient is
    `2 (x - mean) / (n - ddof)`.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> x = np.array([1.0, 2.0, 6.0])
        >>> ops.var(x), ops.var(x, ddof=1)
        (np.float64(4.666666666666667), np.float64(7.0))
        >>> tp.grad(lambda v: ops.var(v, ddof=1), x)
        array([-2., -1.,  3.])
        ```
    """

    name = "var"

    def reduce(self, xp: Any, x: Any, axes: tuple[int, ...]) -> tuple[Any, Callable[[Any], Any]]:
        v, d, dof = self.variance(xp, x, axes)
        return v, lambda g: g * d * 2 / dof


class Std(_Spread):
    """The standard deviation of `x` over `axis`, as `numpy.std`: `sqrt(var(x, axis, ddof))`.
    Its gradient is `(x - mean) / ((n - ddof) std)`.

    The value for a constant slice is numpy's, 0; there the derivative is infinite (sqrt at 0)
    and the gradient is 0 / 0, nan with numpy's RuntimeWarning. Use `sqrt(var + eps)` where
    inputs may be constant.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> x = np.array([1.0, 3.0])
        >>> ops.std(x)
        np.float64(1.0)
        >>> tp.grad(ops.std, x)
        array([-0.5,  0.5])
        ```
    """

    name = "std"

    def reduce(self, xp: Any, x: Any, axes: tuple[int, ...]) -> tuple[Any, Callable[[Any], Any]]:
        v, d, dof = self.variance(xp, x, axes)
        out = xp.sqrt(v)
        # At std = 0 (a constant slice) this is 0 / 0: nan with numpy's warning, since the
        # derivative of sqrt at 0 is infinite and the direction of approach decides the limit.
        return out, lambda g: g * d / (out * dof)


# ---------------------------------------------------------------------------------------------
# Extremes and products
# ---------------------------------------------------------------------------------------------


class _Extreme(Reduction):
    """max and min: the gradient goes to the elements equal to the result, split evenly
    between ties (as autograd and JAX do). A slice holding nan has the result nan, and its nan
    elements share the gradient."""

    choose: Callable[..., Any]

    def reduce(self, xp: Any, x: Any, axes: tuple[int, ...]) -> tuple[Any, Callable[[Any], Any]]:
        if xp is not np:
            return self._reduce_other(xp, x, axes)
        out = _extreme(self.name, np, x, axes, type(self).choose)
        chosen = np.equal(x, out)
        count = np.sum(chosen, axis=axes, keepdims=True)
        if not count.all():
            # Only a nan in the slice makes no element equal the result.
            chosen |= np.isnan(x)
            count = np.sum(chosen, axis=axes, keepdims=True)
        share = count.astype(_float_dtype(x))
        return out, lambda g: g * chosen / share

    def _reduce_other(
        self, xp: Any, x: Any, axes: tuple[int, ...]
    ) -> tuple[Any, Callable[[Any], Any]]:
        """`reduce` for another library's arrays: no test of the counts (on a GPU, a wait for
        the device). A slice's nan elements are chosen unconditionally, which changes nothing
        where the slice has none; the weights are made only when a gradient is asked for."""
        out = _extreme(self.name, xp, x, axes, getattr(xp, self.name))

        def grad(g: Any) -> Any:
            chosen = xp.astype(xp.equal(x, out) | xp.isnan(x), g.dtype)
            return g * chosen / xp.sum(chosen, axis=axes, keepdims=True)

        return out, grad


class Max(_Extreme):
    """The maximum of `x` over `axis`, as `numpy.max`. The gradient goes to the maximal
    elements, split evenly between ties. An empty slice is an error (it has no maximum).

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> ops.max(np.array([[1.0, 5.0], [4.0, 2.0]]), axis=0)
        array([4., 5.])
        >>> tp.grad(ops.max, np.array([1.0, 3.0, 3.0]))
        array([0. , 0.5, 0.5])
        ```
    """

    name = "max"
    choose = staticmethod(np.max)


class Min(_Extreme):
    """The minimum of `x` over `axis`, as `numpy.min`. The gradient goes to the minimal
    elements, split evenly between ties. An empty slice is an error (it has no minimum).

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> tp.grad(ops.min, np.array([2.0, 1.0, 1.0, 1.0, 3.0]))
        array([0.        , 0.33333333, 0.33333333, 0.33333333, 0.        ])
        ```
    """

    name = "min"
    choose = staticmethod(np.min)


def _others_product(xp: Any, x: Any, axes: tuple[int, ...]) -> Any:
    """For each element of `x`, the product of the other elements of its slice over `axes`:
    `prod / x` without the division, so exact where `x` has one zero (the others' product) or
    several (0). Prefix and suffix products of each slice, flattened to the last axis."""
    if xp is not np:
        return _others_product_portable(xp, x, axes)
    x = np.asarray(x)
    k = len(axes)
    last = tuple(range(x.ndim - k, x.ndim))
    moved = np.moveaxis(x, axes, last)
    kept, n = moved.shape[: x.ndim - k], math.prod(moved.shape[x.ndim - k :])
    if n == 0:
        return np.zeros_like(x)
    flat = moved.reshape(*kept, n)
    ones = np.ones((*kept, 1), dtype=x.dtype)
    before = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return np.moveaxis((before * after).reshape(moved.shape), last, axes)


def _others_product_portable(xp: Any, x: Any, axes: tuple[int, ...]) -> Any:
    """`_others_product` in the array API: `cumulative_prod` with `include_initial` for the
    leading ones, and `flip` for the suffix products (PyTorch has no negative slice steps)."""
    ndim, k = x.ndim, len(axes)
    last = tuple(range(ndim - k, ndim))
    moved = xp.moveaxis(x, axes, last)
    kept, n = tuple(moved.shape[: ndim - k]), math.prod(moved.shape[ndim - k :])
    if n == 0:
        return xp.zeros_like(x)
    flat = xp.reshape(moved, (*kept, n))
    before = xp.cumulative_prod(flat[..., : n - 1], axis=-1, include_initial=True)
    suffix = xp.flip(flat[..., 1:], axis=-1)
    after = xp.flip(xp.cumulative_prod(suffix, axis=-1, include_initial=True), axis=-1)
    return xp.moveaxis(xp.reshape(before * after, tuple(moved.shape)), last, axes)


class Prod(Reduction):
    """The product of `x`'s elements over `axis`, as `numpy.prod`. The gradient for each
    element is the product of the others in its slice, computed without dividing, so it is
    exact when the slice holds zeros: with one zero only that element gets a non-zero gradient,
    with two or more every gradient is 0.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> tp.grad(ops.prod, np.array([2.0, 3.0, 4.0]))
        array([12.,  8.,  6.])
        >>> tp.grad(ops.prod, np.array([2.0, 0.0, 4.0]))
        array([0., 8., 0.])
        ```
    """

    name = "prod"

    def reduce(self, xp: Any, x: Any, axes: tuple[int, ...]) -> tuple[Any, Callable[[Any], Any]]:
        return xp.prod(x, axis=axes, keepdims=True), lambda g: g * _others_product(xp, x, axes)


# ---------------------------------------------------------------------------------------------
# Exponentials and norms
# ---------------------------------------------------------------------------------------------


class LogSumExp(Reduction):
    """`log(sum(exp(x)))` over `axis`, as `scipy.special.logsumexp`, computed with the
    maximum shifted out: exact and warning-free for large inputs (1e3, 1e4) and for entries
    -inf (which contribute nothing; all -inf gives -inf). The gradient is the softmax over
    `axis`.

    `log(sum(exp(x)))` as `shift + log(sum(exp(x - shift)))`; its gradient is softmax, `e / s`
    from the forward pass. Entries -inf contribute 0; a slice of only -inf gives -inf (its
    gradient is 0 / 0: nan with numpy's warning).

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> ops.logsumexp(np.array([1e4, 1e4, -np.inf]))
        np.float64(10000.69314718056)
        >>> tp.grad(ops.logsumexp, np.array([1e4, 1e4, -np.inf]))
        array([0.5, 0.5, 0. ])
        ```
    """

    name = "logsumexp"

    def reduce(self, xp: Any, x: Any, axes: tuple[int, ...]) -> tuple[Any, Callable[[Any], Any]]:
        if xp is not np:
            x = _floating(xp, x)
        shift, e, s = shifted_exp(self.name, xp, x, axes)
        return log_of_sum(xp, s) + shift, lambda g: g * e / s


class Norm(Reduction):
    """The 2-norm over `axis`, `sqrt(sum(x**2))`: the Euclidean norm of a vector, the
    Frobenius norm of a matrix over both axes (`numpy.linalg.norm` with its default `ord`).
    The gradient is `x / norm`, and 0 where the norm is 0.

    The 2-norm over `axes`, `sqrt(sum(x**2))`; its gradient `x / norm` is taken as 0 where the
    norm is 0 (the minimum-norm subgradient), without a warning.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> ops.norm(np.array([3.0, 4.0]))
        np.float64(5.0)
        >>> tp.grad(ops.norm, np.array([3.0, 4.0]))
        array([0.6, 0.8])
        >>> tp.grad(ops.norm, np.zeros(2))
        array([0., 0.])
        ```
    """

    name = "norm"

    def reduce(self, xp: Any, x: Any, axes: tuple[int, ...]) -> tuple[Any, Callable[[Any], Any]]:
        if xp is not np:
            return self._reduce_other(xp, _floating(xp, x), axes)
        out = np.sqrt(np.sum(x * x, axis=axes, keepdims=True))

        def grad(g: Any) -> Any:
            unit = np.zeros(np.shape(x), dtype=np.result_type(x, out))
            np.divide(x, out, out=unit, where=out != 0)
            return g * unit

        return out, grad

    def _reduce_other(
        self, xp: Any, x: Any, axes: tuple[int, ...]
    ) -> tuple[Any, Callable[[Any], Any]]:
        """`reduce` for another library's arrays: numpy's masked `divide` as two `where`s, the
        first keeping 0 / 0 out of the division (array-api-strict would warn, as numpy does)."""
        out = xp.sqrt(xp.sum(x * x, axis=axes, keepdims=True))

        def grad(g: Any) -> Any:
            nonzero = out != 0
            return g * xp.where(nonzero, x / xp.where(nonzero, out, 1.0), 0.0)

        return out, grad


class AlongAxis(Op[Any, Any]):
    """softmax and log_softmax: shape-preserving normalisations along one axis, computed
    from `shifted_exp`; subclasses define `normalize(x, shift, e, s)`."""

    if TYPE_CHECKING:
        # The kind's signature: shape-preserving along one axis (see Elementwise).
        @overload  # type: ignore[override]  # one input and its axis
        def __call__(self, x: BVar[N], /, axis: int = -1) -> BVar[N]: ...
        @overload
        def __call__(self, x: N, /, axis: int = -1) -> N: ...
        def __call__(self, x: Any, /, axis: int = -1) -> Any: ...
    else:

        def __call__(self, x, /, axis=-1):
            if type(axis) is int and axis == -1:
                return Op.__call__(self, x)
            return Op.__call__(type(self)(axis), x)

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def forward(self, x: Any) -> tuple[Any, Grad1]:
        if isinstance(self.axis, bool) or not isinstance(self.axis, int | np.integer):
            raise CheckError(f"{self.name}: axis must be an int, got {type(self.axis).__name__}")
        axes = normalize_axis(self.name, x, self.axis)
        xp = array_module(x)
        if xp is not np:
            x = _floating(xp, x)
        shift, e, s = shifted_exp(self.name, xp, x, axes)
        out, grad = self.normalize(xp, x, axes[0], shift, e, s)
        return out, lambda g: (grad(g),)

    def normalize(
        self, xp: Any, x: Any, axis: int, shift: Any, e: Any, s: Any
    ) -> tuple[Any, Callable[[Any], Any]]:
        """The output from the shifted exponential (computed with the namespace `xp`) and its
        gradient continuation."""
        raise NotImplementedError


class Softmax(AlongAxis):
    """`exp(x) / sum(exp(x))` along `axis` (the last by default), shape-preserving, computed
    with the maximum shifted out: finite and warning-free for inputs of magnitude 1e3 or 1e4.
    The gradient is `p * (g - sum(g * p))` along `axis`.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> ops.softmax(np.array([1e4, 1e4, -1e4]))
        array([0.5, 0.5, 0. ])
        >>> tp.grad(lambda v: ops.softmax(v) @ np.array([1.0, 0.0]), np.array([0.0, 0.0]))
        array([ 0.25, -0.25])
        ```
    """

    name = "softmax"

    def normalize(
        self, xp: Any, x: Any, axis: int, shift: Any, e: Any, s: Any
    ) -> tuple[Any, Callable[[Any], Any]]:
        p = e / s
        return p, lambda g: p * (g - xp.sum(g * p, axis=axis, keepdims=True))


class LogSoftmax(AlongAxis):
    """`x - logsumexp(x)` along `axis` (the last by default), shape-preserving and stable:
    finite for inputs of magnitude 1e3 or 1e4 (where `log(softmax(x))` would give -inf). The
    gradient is `g - softmax(x) * sum(g)` along `axis`.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> ops.log_softmax(np.array([1e4, 0.0]))
        array([     0., -10000.])
        >>> tp.grad(lambda v: ops.log_softmax(v) @ np.array([0.0, 1.0]), np.array([0.0, 0.0]))
        array([-0.5,  0.5])
        ```
    """

    name = "log_softmax"

    def normalize(
        self, xp: Any, x: Any, axis: int, shift: Any, e: Any, s: Any
    ) -> tuple[Any, Callable[[Any], Any]]:
        out = (x - shift) - log_of_sum(xp, s)
        return out, lambda g: g - e / s * xp.sum(g, axis=axis, keepdims=True)


# ---------------------------------------------------------------------------------------------
# The public ops
# ---------------------------------------------------------------------------------------------


sum = public(Sum())
mean = public(Mean())
var = public(Var())
std = public(Std())
max = public(Max())
min = public(Min())
prod = public(Prod())
logsumexp = public(LogSumExp())
norm = public(Norm())
softmax = public(Softmax())
log_softmax = public(LogSoftmax())
