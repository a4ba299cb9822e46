"""Running backpropagation: `backprop`, `grad`, `evaluate`, their several-parameter forms
`backprop_n` and `grad_n`, and `backprop_with` for a given output gradient.

Each call opens a fresh tape, runs the function on BVars of the parameters, sweeps back from
its output, and closes the tape whatever happens, so a failed call leaves nothing behind and
BVars cannot outlive it. The gradient of each parameter has exactly the parameter's type.

Internal: users import these functions from `typedprop`.
"""

from collections.abc import Callable, Sequence
from typing import Any, TypeVar, TypeVarTuple, overload

import numpy as np

from ._core.bvar import BVar
from ._core.errors import CheckError
from ._core.structures import Mismatch, array_ids, check_supported, finalize, fit, kind_of, one
from ._core.tape import check_live, recording, sweep

X = TypeVar("X")
Y = TypeVar("Y")
A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")
D = TypeVar("D")
E = TypeVar("E")
Ts = TypeVarTuple("Ts")


def _scalar_seed(y: object, who: str) -> object:
    """One, shaped like the scalar output `y`; an error for an output that is not a scalar."""
    if isinstance(y, np.ndarray) and y.shape != ():
        raise CheckError(
            f"{who}: the function returned an array of shape {y.shape}, but a gradient needs a "
            "scalar output; reduce it (a sum, a mean) or give the output's gradient with "
            "backprop_with(f, x, seed)"
        )
    if not kind_of(y).is_leaf:
        raise CheckError(
            f"{who}: the function returned a {type(y).__name__}, not a scalar; give the "
            "output's gradient with backprop_with(f, x, seed)"
        )
    return one(y)


def _run(
    f: Callable[..., object], xs: Sequence[object], seed: object, who: str
) -> tuple[Any, tuple[Any, ...]]:
    for i, x in enumerate(xs):
        check_supported(x, f"{who}: parameter {i}" if len(xs) > 1 else f"{who}: the parameter")
    with recording() as tape:
        leaves = [tape.leaf(x) for x in xs]
        y = f(*(BVar(x, tape, i) for x, i in zip(xs, leaves, strict=True)))
        if type(y) is not BVar:
            raise CheckError(
                f"{who}: the function must return a BVar, but it returned a "
                f"{type(y).__name__}; wrap a value that does not depend on the parameters in "
                "typedprop.constant"
            )
        value = y.value
        if seed is None:
            seed = _scalar_seed(value, who)
        else:
            try:
                seed = fit(seed, value)
            except Mismatch as e:
                raise CheckError(f"{who}: the seed does not fit the output: {e}") from None
        if y._tape is None or seed is None:
            grads: list[object] = [None] * len(xs)
        else:
            check_live(y._tape)
            grads = sweep(tape, y._index, seed, leaves)
        # The caller's seed, or arrays in it, may come back as gradients (f = x + 1): never
        # hand them out again.
        handed_out = array_ids(seed)
        return value, tuple(finalize(x, g, handed_out) for x, g in zip(xs, grads, strict=True))


def backprop(f: Callable[[BVar[X]], BVar[Y]], x: X) -> tuple[Y, X]:
    """The value of `f` at `x` and its gradient, of exactly `x`'s type.

    `x` may be any structure typedprop knows (numbers, arrays, tuples, lists, dicts,
    NamedTuples, dataclasses, None, your `Backprop` types, nested). `f` must return a scalar
    BVar; for other outputs give the output's gradient with `backprop_with`.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import Vec
        >>> def sumsq(v: tp.BVar[Vec]) -> tp.BVar[float]:
        ...     return v @ v
        >>> tp.backprop(sumsq, np.array([1.0, 2.0]))
        (np.float64(5.0), array([2., 4.]))
        ```
    """
    value, (g,) = _run(f, (x,), None, "backprop")
    return value, g


def backprop_with(f: Callable[[BVar[X]], BVar[Y]], x: X, seed: Y) -> tuple[Y, X]:
    """The value of `f` at `x` and the gradient of `x` given the gradient `seed` of the
    output: a vector-Jacobian product. `seed` has the output's type and shape.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import Vec
        >>> def double(v: tp.BVar[Vec]) -> tp.BVar[Vec]:
        ...     return v * 2.0
        >>> tp.backprop_with(double, np.array([1.0, 2.0]), np.array([1.0, 10.0]))
        (array([2., 4.]), array([ 2., 20.]))
        ```
    """
    value, (g,) = _run(f, (x,), seed, "backprop_with")
    return value, g


def grad(f: Callable[[BVar[X]], BVar[Y]], x: X) -> X:
    """The gradient of scalar-valued `f` at `x`, of exactly `x`'s type.

    !!! example
        ```python
        >>> import typedprop as tp
        >>> tp.grad(lambda x: x * x * x, 2.0)
        12.0
        ```
    """
    return backprop(f, x)[1]


def evaluate(f: Callable[[BVar[X]], BVar[Y]], x: X) -> Y:
    """The value of `f` at `x`, with no tape and no gradient.

    !!! example
        ```python
        >>> import typedprop as tp
        >>> tp.evaluate(lambda x: x * x + 1.0, 2.0)
        5.0
        ```
    """
    y = f(BVar(x))
    if type(y) is not BVar:
        raise CheckError(
            f"evaluate: the function must return a BVar, but it returned a {type(y).__name__}"
        )
    result: Y = y.value
    return result


@overload
def backprop_n(f: Callable[[BVar[A]], BVar[Y]], a: A, /) -> tuple[Y, tuple[A]]: ...
@overload
def backprop_n(
    f: Callable[[BVar[A], BVar[B]], BVar[Y]], a: A, b: B, /
) -> tuple[Y, tuple[A, B]]: ...
@overload
def backprop_n(
    f: Callable[[BVar[A], BVar[B], BVar[C]], BVar[Y]], a: A, b: B, c: C, /
) -> tuple[Y, tuple[A, B, C]]: ...
@overload
def backprop_n(
    f: Callable[[BVar[A], BVar[B], BVar[C], BVar[D]], BVar[Y]], a: A, b: B, c: C, d: D, /
) -> tuple[Y, tuple[A, B, C, D]]: ...
@overload
def backprop_n(
    f: Callable[..., BVar[Y]], a: A, b: B, c: C, d: D, e: E, /, *xs: *Ts
) -> tuple[Y, tuple[A, B, C, D, E, *Ts]]: ...
def backprop_n(f: Callable[..., BVar[Any]], /, *xs: object) -> tuple[Any, tuple[Any, ...]]:
    """`backprop` for a function of several separate parameters: the value and a tuple of
    gradients, one per parameter, each of its parameter's type (`f` is typed precisely for one
    to four parameters; from five on, the gradients are still typed, `f` is not checked).

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import Vec
        >>> def f(v: tp.BVar[Vec], s: tp.BVar[float]) -> tp.BVar[float]:
        ...     return (v * s) @ v
        >>> y, (gv, gs) = tp.backprop_n(f, np.array([1.0, 2.0]), 3.0)
        >>> y, gv, gs
        (np.float64(15.0), array([ 6., 12.]), 5.0)
        ```
    """
    return _run(f, xs, None, "backprop_n")


@overload
def grad_n(f: Callable[[BVar[A]], BVar[Y]], a: A, /) -> tuple[A]: ...
@overload
def grad_n(f: Callable[[BVar[A], BVar[B]], BVar[Y]], a: A, b: B, /) -> tuple[A, B]: ...
@overload
def grad_n(
    f: Callable[[BVar[A], BVar[B], BVar[C]], BVar[Y]], a: A, b: B, c: C, /
) -> tuple[A, B, C]: ...
@overload
def grad_n(
    f: Callable[[BVar[A], BVar[B], BVar[C], BVar[D]], BVar[Y]], a: A, b: B, c: C, d: D, /
) -> tuple[A, B, C, D]: ...
@overload
def grad_n(
    f: Callable[..., BVar[Y]], a: A, b: B, c: C, d: D, e: E, /, *xs: *Ts
) -> tuple[A, B, C, D, E, *Ts]: ...
def grad_n(f: Callable[..., BVar[Any]], /, *xs: object) -> tuple[Any, ...]:
    """The gradients of scalar-valued `f` with respect to each of its parameters, as a tuple of
    exactly the parameters' types.

    !!! example
        ```python
        >>> import typedprop as tp
        >>> tp.grad_n(lambda x, y: x * y + y, 2.0, 3.0)
        (3.0, 3.0)
        ```
    """
    return _run(f, xs, None, "grad_n")[1]
