"""Arithmetic with numpy broadcasting: add, subtract, multiply, divide, negative, power, maximum
and minimum, and matmul (exported by the linear algebra family). These are the ops behind
`BVar`'s operators.

Each op is forward plus staged gradient; every gradient of a broadcasting op passes through
`unbroadcast`. Values follow numpy's promotion: a Python number mixed with a float32 array keeps
float32 (NEP 50), while a numpy float64 scalar or array promotes it to float64. Gradients always
take their input's dtype. Python numbers give Python numbers where Python's arithmetic does, but
division by zero and negative bases to fractional powers follow numpy (inf or nan with numpy's
RuntimeWarning), not Python (ZeroDivisionError, complex results).

!!! example
    ```python
    >>> import numpy as np
    >>> import typedprop as tp
    >>> from typedprop import ops
    >>> def f(p: tp.BVar[tuple[tp.Mat, tp.Vec]]) -> tp.BVar[float]:
    ...     a, b = p.unpack()
    ...     return ops.sum(ops.maximum(ops.multiply(a, b), 0.0))
    >>> ga, gb = tp.grad(f, (np.array([[1.0, -2.0], [3.0, 4.0]]), np.array([1.0, 2.0])))
    >>> ga
    array([[1., 0.],
           [1., 2.]])
    >>> gb
    array([4., 4.])
    ```

Internal: users import the ops from `typedprop.ops`.
"""

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, overload

import numpy as np

from .._core.arrays import DT, AnyArray, ArrayOf, N, ResultOf, S
from .._core.bvar import BVar
from .._core.errors import CheckError
from .._core.op import BOTH, Grad1, Grad2, Needs, Op, refuse
from .._core.structures import array_module
from ._broadcast import broadcast_error, unbroadcast
from ._elementwise import Elementwise, describe_type, is_number_or_array
from ._registry import public

R = TypeVar("R")


# Python's + and * on sequences concatenate and repeat, and numpy would turn one into an array
# whose gradient does not fit it: neither is arithmetic. Other objects (a type registered with
# its own operators) are left to their operators.
_NOT_NUMBERS = (tuple, list, dict, set, frozenset, str, bytes)
# The common arguments, let through without the isinstance checks.
_PLAIN = {np.ndarray, float, int, np.float64, np.float32}


def _not_numbers(op: str, a: object, b: object) -> CheckError:
    return CheckError(
        f"{op}: arguments must be numbers or arrays, got {describe_type(a)} and {describe_type(b)}"
    )


def _broadcast_error(op: str, a: Any, b: Any) -> CheckError | None:
    """The error for inputs `a` and `b` whose shapes do not broadcast; None if they do."""
    try:
        np.broadcast_shapes(np.shape(a), np.shape(b))
    except ValueError:
        return broadcast_error(op, ("a", "b"), (a, b))
    return None


def _guarded(
    op: str,
    compute: Callable[[Any, Any], R],
    a: Any,
    b: Any,
    shape_error: Callable[[str, Any, Any], CheckError | None] = _broadcast_error,
) -> R:
    """`compute(a, b)`, with numpy's ValueError for shapes that do not fit explained by
    `shape_error` as a CheckError naming the op and both shapes. Sequences, mappings and
    strings are refused up front; other objects are left to their operators (a registered
    type may define them), and refused if those fail with a TypeError."""
    if (type(a) not in _PLAIN or type(b) not in _PLAIN) and (
        isinstance(a, _NOT_NUMBERS) or isinstance(b, _NOT_NUMBERS)
    ):
        raise _not_numbers(op, a, b)
    try:
        return compute(a, b)
    except (ValueError, TypeError, RuntimeError) as e:  # RuntimeError: PyTorch's
        _explain(op, e, a, b, shape_error)


def _explain(
    op: str,
    e: ValueError | TypeError | RuntimeError,
    a: Any,
    b: Any,
    shape_error: Callable[[str, Any, Any], CheckError | None],
) -> NoReturn:
    """Raise numpy's error `e` from `op` on `a` and `b` as a CheckError that says what is
    wrong, or as it is where nothing is."""
    if isinstance(e, TypeError) and not (is_number_or_array(a) and is_number_or_array(b)):
        raise _not_numbers(op, a, b) from e
    error = shape_error(op, a, b)
    if error is None:
        raise e
    raise error from None


def _python_numbers(a: object, b: object) -> bool:
    return type(a) in (int, float) and type(b) in (int, float)


def _divide(a: Any, b: Any) -> Any:
    """`a / b`, but like numpy for Python numbers divided by zero: inf or nan with numpy's
    RuntimeWarning instead of ZeroDivisionError."""
    try:
        return a / b
    except ZeroDivisionError:
        return np.divide(a, b)


def _power(a: Any, b: Any) -> Any:
    """`a ** b`, but like numpy for Python numbers where Python differs: `0.0 ** -1` is inf
    and `(-8.0) ** 0.5` is nan, each with numpy's RuntimeWarning, not ZeroDivisionError and a
    complex number."""
    try:
        out = a**b
    except ZeroDivisionError:
        return np.power(np.float64(a), b)
    if type(out) is complex and _python_numbers(a, b):
        return np.power(np.float64(a), b)
    return out


class Binary(Op[Any, Any, Any]):
    """The broadcasting binary kind: `f(a, b)` with numpy broadcasting, typed as numpy types
    it: the same types give that type, a scalar with an array gives the array, arrays of other
    ranks give an array of unknown rank. Subclasses give `compute`, and `shape_error` to
    explain a ValueError from numpy as a CheckError that names the op and both shapes (see
    `_guarded`). Their gradients skip a constant input's (`takes_needs`): in `x * c`, `g * x`
    is wasted work.

    The commonest ops' continuations are module functions bound to the inputs with
    `functools.partial`, not closures: a closure is five or six objects for Python's garbage
    collector (the function, its cells, its defaults and annotations), a partial one, and on a
    long graph the collector's passes over what the continuations hold cost as much as the
    ops."""

    if TYPE_CHECKING:
        # The kind's static signature; narrower than Op's generic one (see Elementwise).
        # A scalar with an array first: otherwise mypy would solve N as the union of the two.
        @overload  # type: ignore[override]  # the kind's two-input signature
        def __call__(
            self, a: BVar[float], b: BVar[np.ndarray[S, DT]] | np.ndarray[S, DT], /
        ) -> BVar[np.ndarray[S, DT]]: ...
        @overload
        def __call__(self, a: float, b: BVar[np.ndarray[S, DT]], /) -> BVar[np.ndarray[S, DT]]: ...
        @overload
        def __call__(self, a: BVar[N], b: BVar[N] | N | BVar[float] | float, /) -> BVar[N]: ...
        @overload
        def __call__(self, a: N | float, b: BVar[N], /) -> BVar[N]: ...
        @overload
        def __call__(
            self, a: BVar[ArrayOf[DT]], b: BVar[AnyArray] | AnyArray | BVar[float] | float, /
        ) -> BVar[ResultOf[DT]]: ...
        @overload
        def __call__(self, a: AnyArray, b: BVar[ArrayOf[DT]], /) -> BVar[ResultOf[DT]]: ...
        @overload
        def __call__(self, a: N, b: N | float, /) -> N: ...
        @overload
        def __call__(self, a: ArrayOf[DT], b: AnyArray, /) -> ResultOf[DT]: ...
        def __call__(self, a: Any, b: Any, /) -> Any: ...

    takes_needs = True

    def forward(self, a: Any, b: Any) -> tuple[Any, Grad2]:
        # Sequences, mappings and strings were refused before forward runs, by the engine (see
        # `typedprop.Op`): what is left for `_guarded` to do is explaining numpy's errors.
        try:
            return self.compute(a, b)
        except (ValueError, TypeError, RuntimeError) as e:  # RuntimeError: PyTorch's
            _explain(self.name, e, a, b, type(self).shape_error)

    def compute(self, a: Any, b: Any) -> tuple[Any, Grad2]:
        raise NotImplementedError

    @staticmethod
    def shape_error(op: str, a: Any, b: Any) -> CheckError | None:
        """The error for inputs whose shapes do not fit; None if they do."""
        return _broadcast_error(op, a, b)

    def scan_gradient(
        self, k: int, inputs: Sequence[object], stacked: tuple[bool, ...]
    ) -> Callable[[Any, Sequence[Any]], Any] | None:
        # Each step's gradient for an input the same at every step is `unbroadcast` of a
        # product of the output's gradient (see `_summed`): summed over the steps first.
        factor = self._summed_factor(k)
        if factor is None or not all(_numpy_value(x) for x in inputs):
            return None
        summed = partial(_summed, k, factor, stacked[1 - k])
        summed.reads_inputs = factor == "other"  # type: ignore[attr-defined]  # see _scan
        return summed

    def scan_batched(
        self, inputs: Sequence[object], stacked: tuple[bool, ...]
    ) -> Callable[..., tuple[Any, Any]] | None:
        # Broadcasting lines the trailing axes up: stacked inputs of one rank per step, and
        # the same at every step of no more, leave the leading axis to the steps.
        ranks = [np.ndim(x) for x in inputs]  # type: ignore[arg-type]  # numbers or arrays
        steps = {r for r, s in zip(ranks, stacked, strict=True) if s}
        if len(steps) != 1 or not all(_numpy_value(x) for x in inputs):
            return None
        (rank,) = steps
        if any(r > rank for r, s in zip(ranks, stacked, strict=True) if not s):
            return None
        return self.forward

    def _summed_factor(self, k: int) -> str | None:
        """What each step's gradient for input `k` is the output's gradient times: "1",
        "-1", or "other" (the other input); None if it is none of these."""
        return None

    #: The op as expressions for `typedprop.scan` (see `Op.scan_inline`), where no input is
    #: broadcast or converted; None for an op that has none.
    _inline: tuple[str, tuple[str, ...]] | None = None

    def scan_inline(self, inputs: Sequence[object]) -> tuple[str, tuple[str, ...]] | None:
        a, b = inputs
        if (
            self._inline is None
            or type(a) is not np.ndarray
            or type(b) is not np.ndarray
            or a.shape != b.shape
            or a.dtype != b.dtype
            or a.dtype.kind != "f"
        ):
            return None
        return self._inline


class Add(Binary):
    """`a + b`, elementwise with numpy broadcasting (the op behind `+`).

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> tp.grad_n(lambda a, b: ops.sum(ops.add(a, b)), np.ones((2, 3)), np.ones(3))
        (array([[1., 1., 1.],
               [1., 1., 1.]]), array([2., 2., 2.]))
        ```
    """

    name = "add"
    _inline = ("{0} + {1}", ("{g}", "{g}"))

    def _summed_factor(self, k: int) -> str | None:
        return "1"

    def compute(self, a: Any, b: Any) -> tuple[Any, Grad2]:
        return a + b, partial(_add_grad, a, b)


def _numpy_value(x: object) -> bool:
    return type(x) is np.ndarray or type(x) in _FLOATS


_FLOATS = frozenset({float, np.float64, np.float32, np.float16})


def _summed(k: int, factor: str, other_stacked: bool, gs: Any, inputs: Sequence[Any]) -> Any:
    """The gradient for input `k` (the same at every step of a scan) summed over the steps,
    from the output's gradients `gs` stacked along a leading axis of steps."""
    if factor == "other":
        other = np.asarray(inputs[1 - k])
        if other_stacked:
            # Its leading axis is the steps': the rest broadcasts against a step's output.
            other = other.reshape((gs.shape[0],) + (1,) * (gs.ndim - other.ndim) + other.shape[1:])
        summed = np.sum(gs * other, axis=0)
    else:
        summed = np.sum(gs, axis=0)
        if factor == "-1":
            summed = -summed
    return unbroadcast(summed, inputs[k])


def _add_grad(a: Any, b: Any, g: Any, needs: Needs = BOTH) -> tuple[Any, Any]:
    return (
        unbroadcast(g, a) if needs[0] else None,
        unbroadcast(g, b) if needs[1] else None,
    )


class Subtract(Binary):
    """`a - b`, elementwise with numpy broadcasting (the op behind `-`).

    !!! example
        ```python
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> tp.grad_n(ops.subtract, 5.0, 2.0)
        (1.0, -1.0)
        ```
    """

    name = "subtract"
    _inline = ("{0} - {1}", ("{g}", "-{g}"))

    def _summed_factor(self, k: int) -> str | None:
        return "1" if k == 0 else "-1"

    def compute(self, a: Any, b: Any) -> tuple[Any, Grad2]:
        return a - b, partial(_subtract_grad, a, b)


def _subtract_grad(a: Any, b: Any, g: Any, needs: Needs = BOTH) -> tuple[Any, Any]:
    return (
        unbroadcast(g, a) if needs[0] else None,
        unbroadcast(-g, b) if needs[1] else None,
    )


class Multiply(Binary):
    """`a * b`, elementwise with numpy broadcasting (the op behind `*`).

    !!! example
        ```python
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> tp.grad_n(ops.multiply, 5.0, 2.0)
        (2.0, 5.0)
        ```
    """

    name = "multiply"
    _inline = ("{0} * {1}", ("{g} * {1}", "{g} * {0}"))

    def _summed_factor(self, k: int) -> str | None:
        return "other"

    def compute(self, a: Any, b: Any) -> tuple[Any, Grad2]:
        return a * b, partial(_multiply_grad, a, b)


def _multiply_grad(a: Any, b: Any, g: Any, needs: Needs = BOTH) -> tuple[Any, Any]:
    return (
        unbroadcast(g * b, a) if needs[0] else None,
        unbroadcast(g * a, b) if needs[1] else None,
    )


class Divide(Binary):
    """`a / b`, elementwise with numpy broadcasting (the op behind `/`). Division by zero
    gives inf (or nan for `0 / 0`) with numpy's RuntimeWarning, for Python numbers too.

    !!! example
        ```python
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> tp.grad_n(ops.divide, 1.0, 2.0)
        (0.5, -0.25)
        ```
    """

    name = "divide"

    def compute(self, a: Any, b: Any) -> tuple[Any, Grad2]:
        out = _divide(a, b)

        def grad(g: Any, needs: Needs = BOTH) -> tuple[Any, Any]:
            ga = _divide(g, b)
            return (
                unbroadcast(ga, a) if needs[0] else None,
                unbroadcast(-ga * out, b) if needs[1] else None,
            )

        return out, grad


class Power(Binary):
    """`a ** b`, elementwise with numpy broadcasting (the op behind `**`).

    Only a BVar on the tape is differentiated: with a constant exponent (a plain value or a
    `constant`) the gradient is `b * a ** (b - 1)` and takes no logarithm, so negative bases
    are fine (`power(x, 2.0)`); with a constant base it is `a ** b * log(a)`; with both, each.
    Like numpy, `0.0 ** -1.0` is inf and a negative base to a fractional power is nan, with
    numpy's RuntimeWarning.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> tp.grad(lambda x: ops.sum(ops.power(x, 2.0)), np.array([-1.0, 3.0]))
        array([-2.,  6.])
        >>> tp.grad_n(ops.power, 2.0, 3.0)
        (12.0, 5.545177444479562)
        ```
    """

    name = "power"

    def compute(self, a: Any, b: Any) -> tuple[Any, Grad2]:
        # Both differentiated: the gradient for `b` needs log(a), so it is only finite for
        # positive `a` (numpy's warnings and nan otherwise).
        out = _power(a, b)

        def grad(g: Any, needs: Needs = BOTH) -> tuple[Any, Any]:
            return (
                unbroadcast(g * b * _power(a, b - 1), a) if needs[0] else None,
                unbroadcast(g * out * _log_of(a, b), b) if needs[1] else None,
            )

        return out, grad

    def _dispatch(self, a: Any, b: Any, /) -> Any:
        """Only a BVar on the tape is differentiated: a constant exponent or base goes through
        an op whose gradient needs no logarithm of the other."""
        a_live, b_live = _on_tape(a), _on_tape(b)
        if a_live and b_live:
            return Op.__call__(self, a, b)
        if b_live or (type(b) is BVar and type(a) is not BVar):
            base = _plain(a)
            # The constant is a setting of the op below, which its call does not look at.
            refuse(self.name, "argument 'a'", base)
            return ExpBase(base)(b)
        exponent = _plain(b)
        refuse(self.name, "argument 'b'", exponent)
        return PowerConst(exponent)(a)

    if not TYPE_CHECKING:  # the kind's signature for mypy, the dispatch at run time
        __call__ = _dispatch


class PowerConst(Op[Any, Any]):
    """`a ** p` for a constant exponent `p`: the gradient never takes a logarithm."""

    name = "power"

    def __init__(self, p: Any) -> None:
        self.p = p

    # Named as power's arguments are, for messages: the base is `a`.
    def forward(self, a: Any) -> tuple[Any, Grad1]:
        p = self.p
        out = _guarded(self.name, _power, a, p)
        xp = array_module(p)
        if xp.all(xp.equal(p, 0)):
            # a ** 0 is constant; p * a ** (p - 1) would divide by zero at a = 0.
            return out, lambda g: (unbroadcast(g * 0.0, a),)
        return out, lambda g: (unbroadcast(g * p * _power(a, p - 1), a),)


class ExpBase(Op[Any, Any]):
    """`c ** b` for a constant base `c`."""

    name = "power"

    def __init__(self, c: Any) -> None:
        self.c = c

    # Named as power's arguments are, for messages: the exponent is `b`.
    def forward(self, b: Any) -> tuple[Any, Grad1]:
        c = self.c
        out = _guarded(self.name, _power, c, b)
        # log(c) only when a gradient is asked for: a negative base to an integer power is
        # fine until then.
        return out, lambda g: (unbroadcast(g * out * _log_of(c, b), b),)


def _log_of(c: Any, like: Any) -> Any:
    """log(c) for a constant `c` (a number or an array of `like`'s library) that multiplies
    arrays like `like`: a Python float where `c` is a number and `like` another library's array
    (whose operators take Python numbers, not numpy's)."""
    xp = array_module(c)
    out = xp.log(c)
    if xp is np and isinstance(out, np.generic) and array_module(like) is not np:
        return float(out)
    return out


class Negative(Elementwise):
    """`-x` (the op behind unary `-`). Like the binary ops, it leaves objects other than
    sequences, mappings and strings to their own `-` (a registered type may define it), and
    refuses them if that fails.

    !!! example
        ```python
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> tp.grad(ops.negative, 3.0)
        -1.0
        ```
    """

    name = "negative"
    numbers_only = False  # an object of a type with its own `-` is left to it

    def forward(self, x: Any) -> tuple[Any, Grad1]:
        # Sequences, mappings and strings were refused by the engine (see `typedprop.Op`).
        try:
            out = -x
        except TypeError as e:
            raise CheckError(
                f"negative: argument 'x' must be a number or an array, got {describe_type(x)}"
            ) from e
        return out, lambda g: (-g,)


class _Extremum(Binary):
    """`maximum` or `minimum`: the gradient goes to the input whose value is chosen, split
    evenly where the two tie (a subgradient, symmetric in the inputs). Where either is nan the
    output is nan and neither gets a gradient."""

    # The array functions' names: "maximum" with "greater", or "minimum" with "less".
    pick: str
    wins: str

    def compute(self, a: Any, b: Any) -> tuple[Any, Grad2]:
        xp = array_module(a, b)
        out = getattr(xp, self.pick)(a, b)

        def grad(g: Any, needs: Needs = BOTH) -> tuple[Any, Any]:
            wins = getattr(xp, self.wins)
            half = xp.where(xp.equal(a, b), g * 0.5, 0.0)
            return (
                unbroadcast(xp.where(wins(a, b), g, half), a) if needs[0] else None,
                unbroadcast(xp.where(wins(b, a), g, half), b) if needs[1] else None,
            )

        return out, grad


class Maximum(_Extremum):
    """The elementwise maximum of `a` and `b` with numpy broadcasting, as `numpy.maximum`.
    The gradient goes to the larger input; where they are equal, half to each.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> a, b = np.array([1.0, 5.0, 3.0]), np.array([4.0, 2.0, 3.0])
        >>> ops.maximum(a, b)
        array([4., 5., 3.])
        >>> tp.grad_n(lambda x, y: ops.sum(ops.maximum(x, y)), a, b)
        (array([0. , 1. , 0.5]), array([1. , 0. , 0.5]))
        ```
    """

    name = "maximum"
    pick = "maximum"
    wins = "greater"


class Minimum(_Extremum):
    """The elementwise minimum of `a` and `b` with numpy broadcasting, as `numpy.minimum`.
    The gradient goes to the smaller input; where they are equal, half to each.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> a, b = np.array([1.0, 5.0, 3.0]), np.array([4.0, 2.0, 3.0])
        >>> ops.minimum(a, b)
        array([1., 2., 3.])
        >>> tp.grad_n(lambda x, y: ops.sum(ops.minimum(x, y)), a, b)
        (array([1. , 0. , 0.5]), array([0. , 1. , 0.5]))
        ```
    """

    name = "minimum"
    pick = "minimum"
    wins = "less"


def _plain(x: object) -> object:
    return x.value if type(x) is BVar else x


def _on_tape(x: object) -> bool:
    return type(x) is BVar and x._tape is not None


add = public(Add())
subtract = public(Subtract())
multiply = public(Multiply())
divide = public(Divide())
maximum = public(Maximum())
minimum = public(Minimum())
negative = public(Negative())
power = public(Power())
