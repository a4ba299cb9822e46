"""Elementwise maps: `exp`, `log`, `tanh`, `logistic`, `relu`, `clip`, ... Each is an op of one
array (or number) whose output has the input's shape and dtype, and whose gradient is the
output's gradient times the derivative.

Every op here is written as the map and its derivative (`Elementwise.value_and_derivative`), so
the gradient reuses what the forward pass computed: `exp`'s derivative is its output, `tanh`'s
is `1 - out**2`, `gelu`'s reuses its `tanh`. The derivative is computed only when a gradient is
asked for. Ops that could overflow in a naive formula (`logistic`, `softplus`, `elu`) are
written so they stay finite and warning-free for inputs of any magnitude, in their values and
their gradients.

Inputs must be numbers or numeric arrays: numpy would turn a tuple or a list into an array,
whose gradient would then not fit the tuple, so they are refused with a CheckError.

Every op computes with its input's array library (`array_module`): numpy for numpy arrays and
numbers, the array API namespace of PyTorch, JAX, CuPy or array-api-strict for theirs. numpy's
path is numpy's own functions, unchanged (`np.atan` is `np.arctan`, `np.divide` takes a Python
number); where numpy needs a trick of its own (`logistic`'s in-place arithmetic, scalars of the
input's dtype) it is kept to numpy's path, and other libraries get the standard's functions.

!!! example
    ```python
    >>> import numpy as np
    >>> import typedprop as tp
    >>> from typedprop import ops
    >>> def f(x: tp.BVar[tp.Vec]) -> tp.BVar[float]:
    ...     return ops.sum(ops.exp(x) * ops.tanh(x))
    >>> value, gradient = tp.backprop(f, np.array([0.0, 1.0]))
    >>> gradient
    array([1.        , 3.21183618])
    ```

Internal: users import the ops from `typedprop.ops`.
"""

import importlib
import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from .._core.arrays import DT, AnyArray, N
from .._core.backends import CONVERT, a_library, is_torch, mixing_message
from .._core.bvar import BVar, constant
from .._core.errors import CheckError
from .._core.op import Grad1, Op, refuse
from .._core.structures import array_kind, array_module
from .._core.tape import check_live
from ._broadcast import broadcast_error, unbroadcast
from ._nondifferentiable import NotDifferentiable
from ._reductions import min_reduce
from ._registry import public

_Derivative = Callable[[], Any]


# ---------------------------------------------------------------------------------------------
# Numeric inputs
# ---------------------------------------------------------------------------------------------


def is_number_or_array(x: object) -> bool:
    """Whether `x` is a number (Python or numpy) or an array of numbers, of numpy or of
    another array library (booleans count, as numpy's `bool` dtype does)."""
    if isinstance(x, np.ndarray):
        return x.dtype.kind in "biufc"
    if isinstance(x, int | float | complex | np.number | np.bool_):
        return True
    kind = array_kind(x)
    return kind is not None and bool(kind.module.isdtype(x.dtype, ("bool", "numeric")))  # type: ignore[attr-defined]  # an array of the kind


def describe_type(x: object) -> str:
    """What `x` is, for a message: `tuple`, `an array of dtype <U1`, `a torch array of dtype
    torch.float64`."""
    if isinstance(x, np.ndarray):
        return f"an array of dtype {x.dtype}"
    kind = array_kind(x)
    if kind is not None:
        return f"{a_library(kind.library)} array of dtype {x.dtype}"  # type: ignore[attr-defined]  # an array of the kind
    return type(x).__name__


def check_number_or_array(op: str, name: str, x: object) -> None:
    """A CheckError unless `x` is a real number or a numeric array: numpy would silently turn
    a tuple or a list into an array, and the gradient would then not fit it; complex values are
    refused as by every op (see `typedprop.Op`)."""
    refuse(op, f"argument '{name}'", x)
    if not is_number_or_array(x):
        raise CheckError(
            f"{op}: argument '{name}' must be a number or an array, got {describe_type(x)}"
        )


def _scalar_if_0d(out: Any) -> Any:
    # np.where gives 0-d arrays where ufuncs give numpy scalars; follow the ufuncs.
    return out[()] if isinstance(out, np.ndarray) and out.ndim == 0 else out


def _float_dtype(x: Any) -> np.dtype[Any]:
    """The floating dtype of `x`'s derivatives: its own for float arrays and scalars (a
    float32 input keeps float32 gradients), float64 for Python numbers and integers. numpy's
    only: another library's derivatives take their dtype from arrays like `x`."""
    return np.result_type(x, 1.0)


# The inputs that are numpy's for certain, let through `Elementwise.forward` at one test.
_NUMPY_INPUTS = frozenset({np.ndarray, float, int, np.float64, np.float32})


def _as_floating(x: Any) -> Any:
    """`x`, or, for an integer or boolean array of a library other than numpy, `x` in the
    library's default floating dtype: the maps of `floats_only` ops take floats, and
    array-api-strict refuses integers where numpy, PyTorch and JAX promote them (numpy's to
    float64, the others' to their default)."""
    kind = array_kind(x)
    if kind is None or kind.module is np or kind.floating(x):
        return x
    xp = kind.module
    device = kind.device(x)
    default = xp.__array_namespace_info__().default_dtypes(device=device)["real floating"]
    return xp.astype(x, default)


def _real(op: str, name: str, value: object) -> float:
    """A parameter such as `alpha` as a Python float, so that it never promotes a float32
    input (a numpy float64 scalar would)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise CheckError(f"{op}: {name} must be a real number, got {describe_type(value)}")
    if isinstance(value, float) and type(value) is not float and not isinstance(value, np.floating):
        # A float subclass is kept as it is, not converted: its type may mean something to
        # whoever made it (a layer above checks the settings of the ops it records).
        return value
    return float(value)


# ---------------------------------------------------------------------------------------------
# The family's base
# ---------------------------------------------------------------------------------------------


class Elementwise(Op[Any, Any]):
    """The elementwise kind: a map of one number or numeric array whose output has the
    input's shape and dtype, typed `BVar[N] -> BVar[N]` and `N -> N` (a vector stays a vector,
    a float a float). Subclasses define `value_and_derivative(x, xp)`: the value, and a function of
    no arguments computing the derivative from what the value's computation kept (called only
    when a gradient is needed). The input is refused unless it is a number or a numeric array.

    An op with settings (`leaky_relu`'s slope) takes them as keyword arguments of its call,
    adding them to this signature, and runs a copy of itself made with them."""

    if TYPE_CHECKING:
        # The kind's static signature: one input, its type kept. It narrows Op's generic one
        # (any arity), which mypy reports as an incompatible override: that is what a kind is.
        @overload  # type: ignore[override]  # the kind's one-input signature, see above
        def __call__(self, x: BVar[N], /) -> BVar[N]: ...
        @overload
        def __call__(self, x: N, /) -> N: ...
        def __call__(self, x: Any, /) -> Any: ...

    # The input is refused unless it is a real number or a numeric array by the engine, before
    # forward runs (see `typedprop.Op`).
    numbers_only = True

    #: Whether the map needs a floating input (exp, tanh, ...): another library's integer
    #: arrays are made floating first (see `_as_floating`), as numpy's ufuncs do for numpy's.
    floats_only: bool = True

    #: numpy's function that computes the value alone, exactly as `value_and_derivative` does
    #: for numpy's arrays and numbers (`np.tanh` for `tanh`), or None: `typedprop.scan`'s loop
    #: calls it at each step, where the derivative comes after the loop for all steps at once
    #: and a derivative function made per step would be thrown away.
    numpy_value: Callable[[Any], Any] | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A subclass that computes its value its own way does not inherit numpy's function
        # for its parent's.
        if "value_and_derivative" in cls.__dict__ and "numpy_value" not in cls.__dict__:
            cls.numpy_value = None

    def scan_batched(
        self, inputs: Sequence[object], stacked: tuple[bool, ...]
    ) -> Callable[..., tuple[Any, Any]] | None:
        # Elementwise: the map of all steps' inputs stacked is the stack of their maps.
        return self.forward

    def scan_derivative(self, x: object) -> Callable[[Any], Any] | None:
        # The same computation as forward's continuation, on all steps at once (for a map
        # that computes through `value_and_derivative`: `negative` does not).
        own = type(self).value_and_derivative is not Elementwise.value_and_derivative
        return partial(_stacked_derivative, self) if own and type(x) in _NUMPY_INPUTS else None

    def forward(self, x: Any) -> tuple[Any, Grad1]:
        if type(x) in _NUMPY_INPUTS:
            out, derivative = self.value_and_derivative(x)  # numpy, the default module
        else:
            xp = array_module(x)
            if self.floats_only:
                x = _as_floating(x)
            out, derivative = self.value_and_derivative(x, xp)
        # A partial, not a closure: see `typedprop.ops._arithmetic`.
        return out, partial(_times_derivative, derivative)

    def value_and_derivative(self, x: Any, xp: Any = np) -> tuple[Any, _Derivative]:
        raise NotImplementedError(f"{type(self).__name__} must define value_and_derivative")


def _stacked_derivative(op: Elementwise, xs: Any) -> Any:
    """`op`'s derivative at each of the stacked inputs `xs` (see `Op.scan_derivative`)."""
    return op.value_and_derivative(xs)[1]()


def _times_derivative(derivative: _Derivative, g: Any) -> tuple[Any]:
    return (g * derivative(),)


# ---------------------------------------------------------------------------------------------
# Exponentials and logarithms
# ---------------------------------------------------------------------------------------------


class Exp(Elementwise):
    """`exp(x)`, elementwise; its derivative is its output.

    !!! example
        ```python
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> tp.grad(ops.exp, 0.0)
        1.0
        ```
    """

    name = "exp"
    numpy_value = np.exp

    def value_and_derivative(self, x: Any, xp: Any = np) -> tuple[Any, _Derivative]:
        out = xp.exp(x)
        return out, lambda: out


class Log(Elementwise):
    """`log(x)`, the natural logarithm, elementwise. Like numpy, `log(0)` is `-inf` and a
    negative input gives `nan`, with numpy's RuntimeWarning.

    !!! example
        ```python
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> tp.grad(ops.log, 4.0)
        0.25
        ```
    """

    name = "log"
    numpy_value = np.log

    def value_and_derivative(self, x: Any, xp: Any = np) -> tuple[Any, _Derivative]:
        # divide, not `1.0 / x`: a Python 0.0 gives inf with numpy's warning, not
        # ZeroDivisionError.
        return xp.log(x), lambda: xp.divide(1.0, x)


class Log1p(Elementwise):
    """`log1p(x)` = `log(1 + x)`, accurate for small `x`.

    !!! example
        ```python
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> tp.grad(ops.log1p, 1.0)
        0.5
        ```
    """

    name = "log1p"
    numpy_value = np.log1p

    def value_and_derivative(self, x: Any, xp: Any = np) -> tuple[Any, _Derivative]:
        return xp.log1p(x), lambda: xp.divide(1.0, 1.0 + x)


class Expm1(Elementwise):
    """`expm1(x)` = `exp(x) - 1`, accurate for small `x`; its derivative is its output plus one.

    !!! example
        ```python
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> tp.grad(ops.expm1, 0.0)
        1.0
        ```
    """

    name = "expm1"
    numpy_value = np.expm1

    def value_and_derivative(self, x: Any, xp: Any = np) -> tuple[Any, _Derivative]:
        out = xp.expm1(x)
        return out, lambda: out + 1.0


class Sqrt(Elementwise):
    """`sqrt(x)`, the non-negative square root; `nan` with numpy's warning for negative `x`.

    !!! example
        ```python
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> tp.grad(ops.sqrt, 4.0)
        0.25
        ```
    """

    name = "sqrt"
    numpy_value = np.sqrt

    def value_and_derivative(self, x: Any, xp: Any = np) -> tuple[Any, _Derivative]:
        out = xp.sqrt(x)
        return out, lambda: xp.divide(0.5, out)


class Square(Elementwise):
    """`square(x)` = `x * x`.

    !!! example
        ```python
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> tp.grad(ops.square, 3.0)
        6.0
        ```
    """

    name = "square"
    numpy_value = np.square
    floats_only = False  # integers square to integers

    def value_and_derivative(self, x: Any, xp: Any = np) -> tuple[Any, _Derivative]:
        return xp.square(x), lambda: 2.0 * x


class Abs(Elementwise):
    """`abs(x)`, the absolute value; its derivative is `sign(x)` (0 at 0).

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> tp.grad(lambda v: ops.sum(ops.abs(v)), np.array([-2.0, 3.0]))
        array([-1.,  1.])
        ```
    """

    name = "abs"
    numpy_value = np.abs
    floats_only = False  # integers keep their dtype

    def value_and_derivative(self, x: Any, xp: Any = np) -> tuple[Any, _Derivative]:
        return xp.abs(x), lambda: xp.sign(x)


# ---------------------------------------------------------------------------------------------
# Trigonometric and hyperbolic
# ---------------------------------------------------------------------------------------------


class Sin(Elementwise):
    """`sin(x)`, in radians.

    !!! example
        ```python
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> tp.grad(ops.sin, 0.0)
        1.0
        ```
    """

    name = "sin"
    numpy_value = np.sin

    def value_and_derivative(self, x: Any, xp: Any = np) -> tuple[Any, _Derivative]:
        return xp.sin(x), lambda: xp.cos(x)


class Cos(Elementwise):
    """`cos(x)`, in radians.

    !!! example
        ```python
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> tp.grad(ops.cos, 0.0)
        -0.0
        ```
    """

    name = "cos"
    numpy_value = np.cos

    def value_and_derivative(self, x: Any, xp: Any = np) -> tuple[Any, _Derivative]:
        return xp.cos(x), lambda: -xp.sin(x)


class Arctan(Elementwise):
    """`arctan(x)`, the inverse tangent, in radians in `(-pi/2, pi/2)`; its derivative is
    `1 / (1 + x**2)`, finite for every `x`.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> ops.arctan(np.array([0.0, 1.0]))
        array([0.        , 0.78539816])
        >>> tp.grad(ops.arctan, 1.0)
        0.5
        ```
    """

    name = "arctan"
    numpy_value = np.atan

    def value_and_derivative(self, x: Any, xp: Any = np) -> tuple[Any, _Derivative]:
        # atan: the standard's name, numpy's arctan itself.
        return xp.atan(x), lambda: xp.divide(1.0, 1.0 + x * x)


class Tanh(Elementwise):
    """`tanh(x)`; its derivative is `1 - tanh(x)**2`, from the output.

    !!! example
        ```python
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> tp.grad(ops.tanh, 0.0)
        1.0
        ```
    """

    name = "tanh"
    numpy_value = np.tanh

    def value_and_derivative(self, x: Any, xp: Any = np) -> tuple[Any, _Derivative]:
        out = xp.tanh(x)
        return out, lambda: 1.0 - out * out


# ---------------------------------------------------------------------------------------------
# Activations
# ---------------------------------------------------------------------------------------------


class Logistic(Elementwise):
    """`logistic(x)` = `1 / (1 + exp(-x))`, the sigmoid. Computed from `exp(-|x|)`, which
    never overflows: finite, warning-free and accurate (also in the gradient) for inputs of
    any magnitude, including tiny values for large negative `x`.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> ops.logistic(np.array([-1000.0, 0.0, 1000.0]))
        array([0. , 0.5, 1. ])
        >>> tp.grad(ops.logistic, 0.0)
        0.25
        ```
    """

    name = "logistic"

    def forward(self, x: Any) -> tuple[Any, Grad1]:
        if type(x) is np.ndarray and x.ndim and x.dtype.kind == "f":
            plain = _plain_logistic(x)
            if plain is not None:
                e, out = plain
                # A partial, not a closure: see `typedprop.ops._arithmetic`.
                return out, partial(_times_plain_derivative, e, out)
        return Elementwise.forward(self, x)

    def value_and_derivative(self, x: Any, xp: Any = np) -> tuple[Any, _Derivative]:
        if type(x) is np.ndarray and x.ndim and x.dtype.kind == "f":
            plain = _plain_logistic(x)
            if plain is not None:
                e, out = plain
                return out, lambda: _times_plain_derivative(e, out, 1.0)[0]
            # The same arithmetic as below, in place: two fresh arrays instead of six, for the
            # hidden layers of a network, where every temporary of a large batch costs page
            # faults.
            e = np.abs(x)
            np.negative(e, out=e)
            np.exp(e, out=e)
            r = np.add(e, 1.0)
            np.divide(1.0, r, out=r)
            out = np.multiply(e, r)
            np.copyto(out, r, where=np.greater_equal(x, 0))

            def derivative() -> Any:
                d = np.multiply(e, r)
                d *= r
                return d

            return out, derivative
        sigmoid = _sigmoid(xp)
        if sigmoid is not None:
            # The library's own fused, stable logistic; logistic'(x) = logistic(x) *
            # logistic(-x), exact in both tails, where out * (1 - out) would round to 0.
            out = sigmoid(x)
            return out, lambda: out * sigmoid(-x)
        e = xp.exp(-xp.abs(x))
        r = xp.divide(1.0, 1.0 + e)
        er = e * r
        out = _scalar_if_0d(xp.where(xp.greater_equal(x, 0), r, er))
        # logistic'(x) = e^-|x| / (1 + e^-|x|)^2 for either sign: exact where out * (1 - out)
        # would round to 0 for large x.
        return out, lambda: er * r


def _plain_logistic(x: np.ndarray[Any, Any]) -> tuple[Any, Any] | None:
    """For a floating array none of whose entries is so negative that exp(-x) overflows:
    `e = exp(-x)` and the logistic `1 / (1 + e)`, in four passes (one min to decide), as
    exact there as the formula from exp(-|x|) and the same bits as a hand-written
    `1 / (1 + exp(-x))`; None for any other array (an entry beyond, -inf, nan, none)."""
    # `min_reduce`: `x.min()` without its Python wrapper, in the hot path of every hidden layer.
    if not (x.size and min_reduce(x, None) >= _exp_safe(x.dtype)):  # False for nan
        return None
    e = np.negative(x)
    np.exp(e, out=e)
    out = np.add(e, 1.0)
    np.divide(1.0, out, out=out)
    return e, out


def _times_plain_derivative(e: Any, out: Any, g: Any) -> tuple[Any]:
    """`g` times the logistic's derivative e^-x / (1 + e^-x)^2 from `_plain_logistic`'s `e` and
    `out`: exact in both tails (where out * (1 - out) would round to 0), in one fresh array."""
    d = np.multiply(g, e)
    d *= out
    d *= out
    return (d,)


def _exp_safe(dtype: np.dtype[Any]) -> float:
    """The least `x` of floating `dtype` for which `exp(-x)` is finite: a whole number just
    inside the limit (-709 for float64, -88 for float32)."""
    try:
        return _EXP_SAFE[dtype]
    except KeyError:
        low = _EXP_SAFE[dtype] = float(np.ceil(-np.log(np.finfo(dtype).max)))
        return low


_EXP_SAFE: dict[np.dtype[Any], float] = {}


def _sigmoid(xp: Any) -> Any:
    """The library's own logistic function for the array namespace `xp` (PyTorch's
    `torch.sigmoid`, JAX's `jax.nn.sigmoid`: one fused kernel where the array API's functions
    take eight), or None."""
    try:
        return _SIGMOIDS[xp]
    except KeyError:
        pass
    found = None
    if is_torch(xp):
        found = importlib.import_module("torch").sigmoid
    elif getattr(xp, "__name__", "") == "jax.numpy":
        found = importlib.import_module("jax.nn").sigmoid
    _SIGMOIDS[xp] = found
    return found


_SIGMOIDS: dict[Any, Any] = {}


class Relu(Elementwise):
    """`relu(x)` = `max(x, 0)`; its derivative is 1 where `x > 0`, 0 elsewhere (0 at 0).

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> tp.grad(lambda v: ops.sum(ops.relu(v)), np.array([-1.0, 2.0]))
        array([0., 1.])
        ```
    """

    name = "relu"
    floats_only = False  # integers keep their dtype

    def value_and_derivative(self, x: Any, xp: Any = np) -> tuple[Any, _Derivative]:
        if xp is np:
            # A boolean derivative: g * bool keeps g's dtype.
            return np.maximum(x, 0), lambda: np.greater(x, 0)
        # The standard multiplies no floats by booleans (array-api-strict refuses it): the
        # derivative in x's dtype.
        return xp.maximum(x, 0), lambda: xp.astype(xp.greater(x, 0), x.dtype)


class LeakyRelu(Elementwise):
    """`x` where `x > 0`, `negative_slope * x` elsewhere; the derivative is 1 or
    `negative_slope` accordingly (`negative_slope` at 0).

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> ops.leaky_relu(np.array([-2.0, 3.0]), negative_slope=0.1)
        array([-0.2,  3. ])
        >>> tp.grad(lambda v: ops.sum(ops.leaky_relu(v)), np.array([-2.0, 3.0]))
        array([0.01, 1.  ])
        ```
    """

    name = "leaky_relu"

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = _real(self.name, "negative_slope", negative_slope)

    @overload  # type: ignore[override]  # the kind's signature with the setting
    def __call__(self, x: BVar[N], /, negative_slope: float = 0.01) -> BVar[N]: ...
    @overload
    def __call__(self, x: N, /, negative_slope: float = 0.01) -> N: ...
    def __call__(self, x: Any, /, negative_slope: float = 0.01) -> Any:
        return Op.__call__(LeakyRelu(negative_slope), x)

    def value_and_derivative(self, x: Any, xp: Any = np) -> tuple[Any, _Derivative]:
        slope = self.negative_slope
        positive = xp.greater(x, 0)
        out = _scalar_if_0d(xp.where(positive, x, slope * x))

        def derivative() -> Any:
            if xp is not np:
                # One side an array like x: the derivative takes x's dtype and device.
                return xp.where(positive, 1.0, xp.full_like(x, slope))
            dt = _float_dtype(x)
            return np.where(positive, dt.type(1.0), dt.type(slope))

        return out, derivative


class Softplus(Elementwise):
    """`softplus(x)` = `log(1 + exp(x))`, computed as `log1p(exp(-|x|)) + max(x, 0)`: no
    overflow for large `x` (`softplus(1e3)` is `1e3`), and exact for large negative `x`
    (where it is about `exp(x)`). Its derivative is `logistic(x)`, computed from the output as
    `-expm1(-out)`, accurate for both signs.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> ops.softplus(np.array([-1000.0, 1000.0]))
        array([   0., 1000.])
        >>> tp.grad(ops.softplus, 0.0)
        0.5
        ```
    """

    name = "softplus"

    def value_and_derivative(self, x: Any, xp: Any = np) -> tuple[Any, _Derivative]:
        out = xp.log1p(xp.exp(-xp.abs(x))) + xp.maximum(x, 0)
        return out, lambda: -xp.expm1(-out)


class Elu(Elementwise):
    """The exponential linear unit: `x` where `x > 0`, `alpha * (exp(x) - 1)` elsewhere.
    Finite and warning-free for large `x` (the exponential only ever sees `min(x, 0)`).

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> ops.elu(np.array([-1000.0, 0.0, 1000.0]))
        array([  -1.,    0., 1000.])
        >>> tp.grad(lambda v: ops.sum(ops.elu(v, alpha=2.0)), np.array([0.0, 3.0]))
        array([2., 1.])
        ```
    """

    name = "elu"

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = _real(self.name, "alpha", alpha)

    @overload  # type: ignore[override]  # the kind's signature with the setting
    def __call__(self, x: BVar[N], /, alpha: float = 1.0) -> BVar[N]: ...
    @overload
    def __call__(self, x: N, /, alpha: float = 1.0) -> N: ...
    def __call__(self, x: Any, /, alpha: float = 1.0) -> Any:
        return Op.__call__(Elu(alpha), x)

    def value_and_derivative(self, x: Any, xp: Any = np) -> tuple[Any, _Derivative]:
        alpha = self.alpha
        positive = xp.greater(x, 0)
        # expm1 of min(x, 0), not of x: exp of a large positive x would overflow in the branch
        # that `where` then discards.
        out = _scalar_if_0d(xp.where(positive, x, alpha * xp.expm1(xp.minimum(x, 0))))

        def derivative() -> Any:
            # alpha * exp(x) = out + alpha where x <= 0.
            if xp is not np:
                return xp.where(positive, 1.0, out + alpha)  # the array gives the dtype
            return np.where(positive, _float_dtype(x).type(1.0), out + alpha)

        return out, derivative


_GELU_C = math.sqrt(2.0 / math.pi)  # a Python float: a numpy float64 would promote float32
_GELU_K = 0.044715


class Gelu(Elementwise):
    """`gelu(x)`, the Gaussian error linear unit in its tanh approximation:
    `0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))`, as
    `jax.nn.gelu(x, approximate=True)` (not the exact form with `erf`).

    !!! example
        ```python
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> round(float(ops.gelu(1.0)), 6)
        0.841192
        >>> tp.grad(ops.gelu, 0.0)
        0.5
        ```
    """

    name = "gelu"

    def value_and_derivative(self, x: Any, xp: Any = np) -> tuple[Any, _Derivative]:
        x2 = x * x
        t = xp.tanh(_GELU_C * (x + _GELU_K * x2 * x))
        out = 0.5 * x * (1.0 + t)

        def derivative() -> Any:
            du = _GELU_C * (1.0 + 3.0 * _GELU_K * x2)
            return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du

        return out, derivative


# ---------------------------------------------------------------------------------------------
# clip
# ---------------------------------------------------------------------------------------------


class Clip(Op[Any, Any]):
    """`x` limited to `[a_min, a_max]`, as `numpy.clip`.

    **Arguments:**

    - `x`: a number or an array.
    - `a_min`, `a_max`: the bounds, constants (numbers, arrays or None for no bound, not both
      None). Arrays broadcast with `x` as numpy does, and may make the output larger than `x`.

    **Returns:** the clipped values. The gradient passes where `a_min < x < a_max`, and is 0
    where `x` is at or beyond a bound.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> x = np.array([-2.0, 0.5, 3.0])
        >>> ops.clip(x, -1.0, 1.0)
        array([-1. ,  0.5,  1. ])
        >>> tp.grad(lambda v: ops.sum(ops.clip(v, -1.0, 1.0)), x)
        array([0., 1., 0.])
        ```
    """

    name = "clip"

    def __init__(self, a_min: Any = None, a_max: Any = None) -> None:
        self.a_min = a_min
        self.a_max = a_max

    @overload  # type: ignore[override]  # one input, the bounds as settings
    def __call__(self, x: BVar[N], /, a_min: float | None, a_max: float | None) -> BVar[N]: ...
    @overload
    def __call__(
        self,
        x: BVar[np.ndarray[Any, DT]],
        /,
        a_min: float | AnyArray | None,
        a_max: float | AnyArray | None,
    ) -> BVar[np.ndarray[tuple[Any, ...], DT]]: ...
    @overload
    def __call__(self, x: N, /, a_min: float | None, a_max: float | None) -> N: ...
    @overload
    def __call__(
        self,
        x: np.ndarray[Any, DT],
        /,
        a_min: float | AnyArray | None,
        a_max: float | AnyArray | None,
    ) -> np.ndarray[tuple[Any, ...], DT]: ...
    def __call__(self, x: Any, /, a_min: Any, a_max: Any) -> Any:
        for name, bound in (("a_min", a_min), ("a_max", a_max)):
            refuse("clip", name, bound, arrays_only=False)  # complex values, object arrays
            if bound is not None and not is_number_or_array(bound):
                raise CheckError(
                    f"clip: {name} must be a number, an array or None, got {describe_type(bound)}"
                )
        if a_min is None and a_max is None:
            raise CheckError("clip: a_min and a_max cannot both be None")
        return Op.__call__(Clip(a_min, a_max), x)

    numbers_only = True  # the input: refused by the engine unless a number or an array

    def forward(self, x: Any) -> tuple[Any, Grad1]:
        lo, hi = self.a_min, self.a_max
        xp = array_module(x)
        if xp is not np or type(lo) not in _NUMPY_BOUNDS or type(hi) not in _NUMPY_BOUNDS:
            _check_bounds_library(x, xp, lo, hi)
            if xp is not np:
                return _clip_array_api(xp, x, lo, hi)
        try:
            out = np.clip(x, lo, hi)
        except ValueError:
            # Name the bounds that could be at fault: arrays (numbers broadcast with anything).
            named = [("x", x)] + [
                (n, v) for n, v in (("a_min", lo), ("a_max", hi)) if np.ndim(v) > 0
            ]
            names, values = zip(*named, strict=True)
            raise broadcast_error(self.name, names, values) from None

        def grad(g: Any) -> tuple[Any]:
            # The gradient passes strictly inside the bounds; at a bound or beyond it the output
            # does not move with x.
            inside: Any = True
            if lo is not None:
                inside = np.greater(x, lo)
            if hi is not None:
                inside = inside & np.less(x, hi)
            return (unbroadcast(g * inside, x),)

        return out, grad


# The bounds that are numpy's or numbers for certain, let through `Clip.forward` at one test.
_NUMPY_BOUNDS = frozenset({type(None), float, int, np.ndarray})


def _library(x: object) -> str | None:
    """The array library of `x` ("numpy" for numpy's arrays and scalars), None for a Python
    number (or None), which any library takes."""
    if isinstance(x, np.ndarray | np.generic):
        return "numpy"
    kind = array_kind(x)
    return None if kind is None else kind.library


def _check_bounds_library(x: Any, xp: Any, lo: Any, hi: Any) -> None:
    """A CheckError for a bound that is an array of another library than `x`: the bounds are
    settings, not inputs, so the engine's check of an op's inputs does not see them, and the
    libraries would copy between each other (or to the host) without a word."""
    library = "numpy" if xp is np else array_kind(x).library  # type: ignore[union-attr]  # x is an array of the library
    number = xp is np and not isinstance(x, np.ndarray | np.generic)
    for name, bound in (("a_min", lo), ("a_max", hi)):
        other = _library(bound)
        if other is None or other == library:
            continue
        if number:
            raise CheckError(
                f"clip: {name} is {a_library(other)} array but x is a number; an op computes "
                f"with one array library, so make x {a_library(other)} array first "
                f"(with {CONVERT[other]})"
            )
        raise CheckError(mixing_message("clip", ("x", library), (name, other)))


def _clip_array_api(xp: Any, x: Any, lo: Any, hi: Any) -> tuple[Any, Grad1]:
    """`Clip.forward` for an array of a library other than numpy, through its namespace."""
    if any(_floating_bound(b) for b in (lo, hi)):
        # An integer x with floating bounds: floating first, as numpy promotes it (the
        # standard's clip keeps x's dtype, and array-api-strict refuses the mix).
        x = _as_floating(x)
    try:
        out = xp.clip(x, lo, hi)
    except (ValueError, TypeError, RuntimeError) as e:
        # The libraries' errors differ (torch's RuntimeError, JAX's TypeError for shapes):
        # shapes are told from the shapes themselves.
        named = [("x", x)] + [(n, v) for n, v in (("a_min", lo), ("a_max", hi)) if _ndim(v) > 0]
        try:
            np.broadcast_shapes(*(tuple(v.shape) for _, v in named))
        except ValueError:
            shapes = " and ".join(f"argument '{n}' of shape {tuple(v.shape)}" for n, v in named)
            raise CheckError(f"clip: {shapes} do not broadcast together") from None
        if not isinstance(e, TypeError):
            raise
        # array-api-strict clips integers by integer bounds only, as the standard asks.
        library = array_kind(x).library  # type: ignore[union-attr]  # x is an array of the library
        raise CheckError(
            f"clip: these bounds are not available for {library} arrays of dtype {x.dtype}: {e}"
        ) from None

    def grad(g: Any) -> tuple[Any]:
        # As numpy's path; `where`, not `g * inside`: the standard multiplies no floats by
        # booleans.
        inside: Any = None
        if lo is not None:
            inside = xp.greater(x, lo)
        if hi is not None:
            below = xp.less(x, hi)
            inside = below if inside is None else xp.logical_and(inside, below)
        return (unbroadcast(xp.where(inside, g, 0.0), x),)

    return out, grad


def _floating_bound(b: Any) -> bool:
    if b is None or isinstance(b, int):
        return False
    if isinstance(b, float):
        return True
    kind = array_kind(b)
    return kind is not None and kind.floating(b)


def _ndim(v: Any) -> int:
    return 0 if v is None or isinstance(v, int | float) else len(v.shape)


# ---------------------------------------------------------------------------------------------
# The public ops
# ---------------------------------------------------------------------------------------------


exp = public(Exp())
log = public(Log())
log1p = public(Log1p())
expm1 = public(Expm1())
sqrt = public(Sqrt())
square = public(Square())
abs = public(Abs())  # numpy's name; shadows the builtin in this module only
sin = public(Sin())
cos = public(Cos())
tanh = public(Tanh())
arctan = public(Arctan())
logistic = public(Logistic())
relu = public(Relu())
leaky_relu = public(LeakyRelu())
softplus = public(Softplus())
elu = public(Elu())
gelu = public(Gelu())
clip = public(Clip())


# ---------------------------------------------------------------------------------------------
# sign: no gradient
# ---------------------------------------------------------------------------------------------


class Sign(NotDifferentiable):
    """`sign(x)`: -1, 0 or 1 elementwise (`nan` for `nan`), as `numpy.sign`.

    Its derivative is zero wherever it exists, so no gradient flows through it: for a BVar it
    gives a constant BVar (`typedprop.constant`), for a plain value the plain result.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> ops.sign(np.array([-2.0, 0.0, 3.0]))
        array([-1.,  0.,  1.])
        >>> tp.grad(lambda v: ops.sum(ops.sign(v) * v), np.array([-2.0, 3.0]))
        array([-1.,  1.])
        ```
    """

    name = "sign"

    @overload
    def __call__(self, x: BVar[N], /) -> BVar[N]: ...
    @overload
    def __call__(self, x: N, /) -> N: ...
    def __call__(self, x: Any, /) -> Any:
        if type(x) is BVar:
            if x._tape is not None:
                check_live(x._tape)  # like an op: a BVar of a finished backprop call is refused
            value = x.value
            check_number_or_array("sign", "x", value)
            return constant(array_module(value).sign(value))
        check_number_or_array("sign", "x", x)
        return array_module(x).sign(x)


sign = public(Sign())
