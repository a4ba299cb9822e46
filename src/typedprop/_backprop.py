"""Running backpropagation: `backprop`, `grad`, `evaluate`, their several-parameter forms
`backprop_n` and `grad_n`, and `backprop_with` for a given output gradient.

Each call opens a fresh tape, runs the function on BVars of the parameters, sweeps back from
its output, and closes the tape whatever happens, so a failed call leaves nothing behind and
BVars cannot outlive it. The gradient of each parameter has exactly the parameter's type.

With `has_aux=True` the function returns a pair `(output, aux)`, as with JAX's
`value_and_grad(f, has_aux=True)`: the output is differentiated, the aux comes back beside it
with its BVars replaced by their values, `((value, aux), gradient)` from `backprop` and
`(gradient, aux)` from `grad`.

Higher derivatives are not supported yet: a call inside a function being differentiated, on
its BVars, says so.

Internal: users import these functions from `typedprop`.
"""

import threading
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeAlias, TypeVar, TypeVarTuple, overload

from ._core.bvar import BVar
from ._core.errors import CheckError, TapeError
from ._core.structures import (
    Mismatch,
    array_ids,
    array_kind,
    assemble,
    check_supported,
    fit,
    flatten,
    kind_of,
    one,
    unflatten,
)
from ._core.tape import Tape, active, check_live, recording, sweep

X = TypeVar("X")
Y = TypeVar("Y")
A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")
D = TypeVar("D")
E = TypeVar("E")
Ts = TypeVarTuple("Ts")
# The aux's types: V and W the values of its BVars, K a dict's keys, Aux any other aux.
V = TypeVar("V")
W = TypeVar("W")
K = TypeVar("K")
Aux = TypeVar("Aux")

# What a function returns with has_aux=True, by the form of its aux: the overloads give back
# the aux with its BVars replaced by their values where mypy can say so (a BVar, a pair of
# BVars, a dict of BVars), and as the function typed it otherwise (see `backprop`).
WithVar: TypeAlias = tuple[BVar[Y], BVar[V]]
WithPair: TypeAlias = tuple[BVar[Y], tuple[BVar[V], BVar[W]]]
WithDict: TypeAlias = tuple[BVar[Y], dict[K, BVar[V]]]
WithAny: TypeAlias = tuple[BVar[Y], Aux]


def _scalar_seed(y: object, who: str) -> object:
    """One, shaped like the scalar output `y`; an error for an output that is not a scalar."""
    array = array_kind(y)
    if array is not None and array.shape(y) != ():
        raise CheckError(
            f"{who}: the function returned an array of shape {array.shape(y)}, but a gradient "
            "needs a "
            "scalar output; reduce it (a sum, a mean) or give the output's gradient with "
            "backprop_with(f, x, seed)"
        )
    if not kind_of(y).is_leaf:
        raise CheckError(
            f"{who}: the function returned a {type(y).__name__}, not a scalar; give the "
            "output's gradient with backprop_with(f, x, seed)"
        )
    return one(y)


# ---------------------------------------------------------------------------------------------
# The function's result: the output, and with has_aux the aux
# ---------------------------------------------------------------------------------------------


def _name(f: object) -> str:
    return str(getattr(f, "__name__", type(f).__name__))


def _a(x: object) -> str:
    """`x`'s type name with its article: "a tuple", "an int"."""
    name = type(x).__name__
    return f"{'an' if name[:1] in 'aeiou' else 'a'} {name}"


def not_a_bvar(out: object, f: object, who: str) -> CheckError:
    """The error for a function (without has_aux) that returned `out`, not a BVar."""
    if isinstance(out, tuple):
        return CheckError(
            f"{who}: the function must return a BVar, but {_name(f)} returned a tuple; a "
            "function that returns (output, aux) needs has_aux=True"
        )
    return CheckError(
        f"{who}: the function must return a BVar, but it returned a {type(out).__name__}; "
        "wrap a value that does not depend on the parameters in typedprop.constant"
    )


def split_aux(out: object, f: object, who: str) -> tuple[BVar[Any], object]:
    """The output and the aux of what a function given has_aux=True returned; a CheckError
    naming the function if that is not a pair whose first item is a BVar."""
    if not isinstance(out, tuple) or len(out) != 2:
        got = (
            f"a tuple of {len(out)} item{'s' * (len(out) != 1)}"
            if isinstance(out, tuple)
            else _a(out)
        )
        raise CheckError(
            f"{who}: with has_aux=True the function must return a pair (output, aux), but "
            f"{_name(f)} returned {got}"
        )
    y, aux = out
    if type(y) is not BVar:
        raise CheckError(
            f"{who}: with has_aux=True the function must return a pair (output, aux) whose "
            f"output is a BVar, but the output of {_name(f)} is {_a(y)}; wrap a "
            "value that does not depend on the parameters in typedprop.constant"
        )
    return y, aux


def plain_aux(aux: object) -> Any:
    """`aux` with each BVar in it replaced by its value, in any structure typedprop walks
    (tuples, lists, dicts, NamedTuples, dataclasses); other values as they are."""
    if type(aux) is BVar:
        return aux.value
    leaves, treedef = flatten(aux, unknown_leaves=True)
    if treedef is None or not any(type(leaf) is BVar for leaf in leaves):
        return aux
    return unflatten(treedef, [leaf.value if type(leaf) is BVar else leaf for leaf in leaves])


# ---------------------------------------------------------------------------------------------
# Higher derivatives: a call inside a function being differentiated, on its BVars
# ---------------------------------------------------------------------------------------------

# The start of the core's TapeError for a BVar of an open tape that is not the innermost.
_OTHER_CALL = "this BVar belongs to another backprop call"


def _call_kind(tape: Tape) -> str:
    return "trace" if tape.intercepts else "backprop call"


def _is_enclosing(tape: Tape | None) -> bool:
    """Whether `tape` is an open tape of this thread: one of a call that encloses this one."""
    return tape is not None and tape.open and tape.thread == threading.get_ident()


def check_parameter(x: object, who: str, what: str) -> None:
    """`check_supported` for the parameter `x` (`what`, "the parameter"), with a BVar in it
    explained: one of an enclosing call asks for a higher derivative."""
    try:
        check_supported(x, f"{who}: {what}")
    except TypeError:
        refuse_bvars(x, who, what)
        raise


def refuse_bvars(x: object, who: str, what: str, enclosing_only: bool = False) -> None:
    """A TapeError saying that higher derivatives are not supported yet if `x` (`what`: "the
    parameter", "the data") is or holds a BVar of an enclosing call; a CheckError for another
    BVar in it, unless `enclosing_only`."""
    leaves = [x] if type(x) is BVar else flatten(x, unknown_leaves=True)[0]
    for leaf in leaves:
        if type(leaf) is not BVar:
            continue
        verb = "is" if leaf is x else "holds"
        tape = leaf._tape
        if _is_enclosing(tape):
            assert tape is not None
            raise TapeError(
                f"{who}: higher derivatives are not supported yet: {what} {verb} a BVar of the "
                f"enclosing {_call_kind(tape)} ({who} called inside a function being "
                "differentiated, on its BVars); pass plain values (x.value) between backprop "
                "calls, which the enclosing call takes as constants"
            )
        if not enclosing_only:
            raise CheckError(
                f"{who}: {what} {verb} a BVar, not a plain value: pass its value (x.value)"
            )


def higher_derivative(error: TapeError, who: str) -> TapeError | None:
    """For a TapeError raised while the function given to `who` ran: the error saying that
    higher derivatives are not supported yet, if the BVar belongs to an enclosing call (its
    tape is open, the innermost after this call's); None otherwise. Call it after this call's
    tape is closed."""
    outer = active()
    if outer is None or not str(error).startswith(_OTHER_CALL):
        return None
    return TapeError(
        f"{who}: higher derivatives are not supported yet: the function given to {who} uses a "
        f"BVar of the enclosing {_call_kind(outer)} ({who} called inside a function being "
        f"differentiated): {error}"
    )


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------


def _run(
    f: Callable[..., object], xs: Sequence[object], seed: object, who: str, has_aux: bool
) -> tuple[Any, tuple[Any, ...], Any]:
    """The value, the gradients, and with `has_aux` the plain aux (None without)."""
    for i, x in enumerate(xs):
        check_parameter(x, who, f"parameter {i}" if len(xs) > 1 else "the parameter")
    try:
        with recording(Tape(split_parameters=True)) as tape:
            leaves = [tape.leaf(x) for x in xs]
            out = f(*(BVar(x, tape, i) for x, i in zip(xs, leaves, strict=True)))
            if has_aux:
                y, aux = split_aux(out, f, who)
            elif type(out) is BVar:
                y, aux = out, None
            else:
                raise not_a_bvar(out, f, who)
            value = y.value
            if seed is None:
                seed = _scalar_seed(value, who)
            else:
                try:
                    seed = fit(seed, value)
                except Mismatch as e:
                    raise CheckError(f"{who}: the seed does not fit the output: {e}") from None
            parts = tape.parts or {}
            t = y._tape
            if t is None or seed is None:
                grads: list[object] = [None] * len(tape.nodes)
            else:
                check_live(t)
                # Every node's, by position: the parameters' and their parts' are what
                # `assemble` reads.
                grads = sweep(tape, y._index, seed, None)
            # The caller's seed, or arrays in it, may come back as gradients (f = x + 1):
            # never hand them out again.
            handed_out = array_ids(seed)
            gradients = assemble(xs, leaves, grads, parts, handed_out)
    except TapeError as e:
        higher = higher_derivative(e, who)
        if higher is None:
            raise
        raise higher from None
    return value, gradients, plain_aux(aux) if has_aux else None


@overload
def backprop(
    f: Callable[[BVar[X]], BVar[Y]], x: X, *, has_aux: Literal[False] = False
) -> tuple[Y, X]: ...
@overload
def backprop(
    f: Callable[[BVar[X]], WithVar[Y, V]], x: X, *, has_aux: Literal[True]
) -> tuple[tuple[Y, V], X]: ...
@overload
def backprop(
    f: Callable[[BVar[X]], WithPair[Y, V, W]], x: X, *, has_aux: Literal[True]
) -> tuple[tuple[Y, tuple[V, W]], X]: ...
@overload
def backprop(
    f: Callable[[BVar[X]], WithDict[Y, K, V]], x: X, *, has_aux: Literal[True]
) -> tuple[tuple[Y, dict[K, V]], X]: ...
@overload
def backprop(
    f: Callable[[BVar[X]], WithAny[Y, Aux]], x: X, *, has_aux: Literal[True]
) -> tuple[tuple[Y, Aux], X]: ...
def backprop(f: Callable[[BVar[Any]], object], x: Any, *, has_aux: bool = False) -> Any:
    """The value of `f` at `x` and its gradient, of exactly `x`'s type.

    `x` may be any structure typedprop knows (numbers, arrays, tuples, lists, dicts,
    NamedTuples, dataclasses, None, your `Backprop` types, nested). `f` must return a scalar
    BVar; for other outputs give the output's gradient with `backprop_with`.

    With `has_aux=True`, `f` returns a pair `(output, aux)` and `backprop` returns
    `((value, aux), gradient)`, as JAX's `value_and_grad(f, has_aux=True)`: the aux is anything
    (predictions, metrics, strings), not differentiated, and each BVar in it (in tuples,
    lists, dicts, NamedTuples, dataclasses) comes back as its value. mypy types the aux with its
    BVars unwrapped when it is a BVar (`BVar[T]` gives `T`), a pair of BVars or a dict of
    BVars; any other aux keeps the type `f` gave it, so give such an aux plain values
    (`x.value`) or one of those forms.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import Vec
        >>> def sumsq(v: tp.BVar[Vec]) -> tp.BVar[float]:
        ...     return v @ v
        >>> tp.backprop(sumsq, np.array([1.0, 2.0]))
        (np.float64(5.0), array([2., 4.]))
        >>> def with_doubled(v: tp.BVar[Vec]) -> tuple[tp.BVar[float], tp.BVar[Vec]]:
        ...     return v @ v, v * 2.0
        >>> tp.backprop(with_doubled, np.array([1.0, 2.0]), has_aux=True)
        ((np.float64(5.0), array([2., 4.])), array([2., 4.]))
        ```
    """
    value, (g,), aux = _run(f, (x,), None, "backprop", has_aux)
    return ((value, aux), g) if has_aux else (value, g)


@overload
def backprop_with(
    f: Callable[[BVar[X]], BVar[Y]], x: X, seed: Y, *, has_aux: Literal[False] = False
) -> tuple[Y, X]: ...
@overload
def backprop_with(
    f: Callable[[BVar[X]], WithVar[Y, V]], x: X, seed: Y, *, has_aux: Literal[True]
) -> tuple[tuple[Y, V], X]: ...
@overload
def backprop_with(
    f: Callable[[BVar[X]], WithPair[Y, V, W]], x: X, seed: Y, *, has_aux: Literal[True]
) -> tuple[tuple[Y, tuple[V, W]], X]: ...
@overload
def backprop_with(
    f: Callable[[BVar[X]], WithDict[Y, K, V]], x: X, seed: Y, *, has_aux: Literal[True]
) -> tuple[tuple[Y, dict[K, V]], X]: ...
@overload
def backprop_with(
    f: Callable[[BVar[X]], WithAny[Y, Aux]], x: X, seed: Y, *, has_aux: Literal[True]
) -> tuple[tuple[Y, Aux], X]: ...
def backprop_with(
    f: Callable[[BVar[Any]], object], x: Any, seed: Any, *, has_aux: bool = False
) -> Any:
    """The value of `f` at `x` and the gradient of `x` given the gradient `seed` of the
    output: a vector-Jacobian product. `seed` has the output's type and shape. With
    `has_aux=True`, `f` returns `(output, aux)` and the result is `((value, aux), gradient)`,
    as with `backprop`.

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
    value, (g,), aux = _run(f, (x,), seed, "backprop_with", has_aux)
    return ((value, aux), g) if has_aux else (value, g)


@overload
def grad(f: Callable[[BVar[X]], BVar[Y]], x: X, *, has_aux: Literal[False] = False) -> X: ...
@overload
def grad(f: Callable[[BVar[X]], WithVar[Y, V]], x: X, *, has_aux: Literal[True]) -> tuple[X, V]: ...
@overload
def grad(
    f: Callable[[BVar[X]], WithPair[Y, V, W]], x: X, *, has_aux: Literal[True]
) -> tuple[X, tuple[V, W]]: ...
@overload
def grad(
    f: Callable[[BVar[X]], WithDict[Y, K, V]], x: X, *, has_aux: Literal[True]
) -> tuple[X, dict[K, V]]: ...
@overload
def grad(
    f: Callable[[BVar[X]], WithAny[Y, Aux]], x: X, *, has_aux: Literal[True]
) -> tuple[X, Aux]: ...
def grad(f: Callable[[BVar[Any]], object], x: Any, *, has_aux: bool = False) -> Any:
    """The gradient of scalar-valued `f` at `x`, of exactly `x`'s type. With `has_aux=True`,
    `f` returns `(output, aux)` and `grad` returns `(gradient, aux)`, as JAX's
    `grad(f, has_aux=True)`; the aux's BVars come back as values (see `backprop`).

    !!! example
        ```python
        >>> import typedprop as tp
        >>> tp.grad(lambda x: x * x * x, 2.0)
        12.0
        >>> tp.grad(lambda x: (x * x * x, {"square": x * x, "note": "cube"}), 2.0, has_aux=True)
        (12.0, {'square': 4.0, 'note': 'cube'})
        ```
    """
    _, (g,), aux = _run(f, (x,), None, "grad", has_aux)
    return (g, aux) if has_aux else g


@overload
def evaluate(f: Callable[[BVar[X]], BVar[Y]], x: X, *, has_aux: Literal[False] = False) -> Y: ...
@overload
def evaluate(
    f: Callable[[BVar[X]], WithVar[Y, V]], x: X, *, has_aux: Literal[True]
) -> tuple[Y, V]: ...
@overload
def evaluate(
    f: Callable[[BVar[X]], WithPair[Y, V, W]], x: X, *, has_aux: Literal[True]
) -> tuple[Y, tuple[V, W]]: ...
@overload
def evaluate(
    f: Callable[[BVar[X]], WithDict[Y, K, V]], x: X, *, has_aux: Literal[True]
) -> tuple[Y, dict[K, V]]: ...
@overload
def evaluate(
    f: Callable[[BVar[X]], WithAny[Y, Aux]], x: X, *, has_aux: Literal[True]
) -> tuple[Y, Aux]: ...
def evaluate(f: Callable[[BVar[Any]], object], x: Any, *, has_aux: bool = False) -> Any:
    """The value of `f` at `x`, with no tape and no gradient; with `has_aux=True`, `f` returns
    `(output, aux)` and so does `evaluate`, the aux's BVars as values.

    !!! example
        ```python
        >>> import typedprop as tp
        >>> tp.evaluate(lambda x: x * x + 1.0, 2.0)
        5.0
        >>> tp.evaluate(lambda x: (x * x + 1.0, x * 3.0), 2.0, has_aux=True)
        (5.0, 6.0)
        ```
    """
    # No tape, and PyTorch's grad mode as it is: `f` computes as its ops do outside a call,
    # so PyTorch's autograd may differentiate through `evaluate` (`torch.func.grad`).
    out = f(BVar(x))
    if has_aux:
        y, aux = split_aux(out, f, "evaluate")
        return y.value, plain_aux(aux)
    if type(out) is not BVar:
        raise not_a_bvar(out, f, "evaluate")
    return out.value


@overload
def backprop_n(
    f: Callable[[BVar[A]], BVar[Y]], a: A, /, *, has_aux: Literal[False] = False
) -> tuple[Y, tuple[A]]: ...
@overload
def backprop_n(
    f: Callable[[BVar[A], BVar[B]], BVar[Y]], a: A, b: B, /, *, has_aux: Literal[False] = False
) -> tuple[Y, tuple[A, B]]: ...
@overload
def backprop_n(
    f: Callable[[BVar[A], BVar[B], BVar[C]], BVar[Y]],
    a: A,
    b: B,
    c: C,
    /,
    *,
    has_aux: Literal[False] = False,
) -> tuple[Y, tuple[A, B, C]]: ...
@overload
def backprop_n(
    f: Callable[[BVar[A], BVar[B], BVar[C], BVar[D]], BVar[Y]],
    a: A,
    b: B,
    c: C,
    d: D,
    /,
    *,
    has_aux: Literal[False] = False,
) -> tuple[Y, tuple[A, B, C, D]]: ...
@overload
def backprop_n(
    f: Callable[..., BVar[Y]],
    a: A,
    b: B,
    c: C,
    d: D,
    e: E,
    /,
    *xs: *Ts,
    has_aux: Literal[False] = False,
) -> tuple[Y, tuple[A, B, C, D, E, *Ts]]: ...
@overload
def backprop_n(
    f: Callable[[BVar[A]], WithVar[Y, V]], a: A, /, *, has_aux: Literal[True]
) -> tuple[tuple[Y, V], tuple[A]]: ...
@overload
def backprop_n(
    f: Callable[[BVar[A]], WithPair[Y, V, W]], a: A, /, *, has_aux: Literal[True]
) -> tuple[tuple[Y, tuple[V, W]], tuple[A]]: ...
@overload
def backprop_n(
    f: Callable[[BVar[A]], WithDict[Y, K, V]], a: A, /, *, has_aux: Literal[True]
) -> tuple[tuple[Y, dict[K, V]], tuple[A]]: ...
@overload
def backprop_n(
    f: Callable[[BVar[A]], WithAny[Y, Aux]], a: A, /, *, has_aux: Literal[True]
) -> tuple[tuple[Y, Aux], tuple[A]]: ...
@overload
def backprop_n(
    f: Callable[[BVar[A], BVar[B]], WithVar[Y, V]], a: A, b: B, /, *, has_aux: Literal[True]
) -> tuple[tuple[Y, V], tuple[A, B]]: ...
@overload
def backprop_n(
    f: Callable[[BVar[A], BVar[B]], WithPair[Y, V, W]], a: A, b: B, /, *, has_aux: Literal[True]
) -> tuple[tuple[Y, tuple[V, W]], tuple[A, B]]: ...
@overload
def backprop_n(
    f: Callable[[BVar[A], BVar[B]], WithDict[Y, K, V]], a: A, b: B, /, *, has_aux: Literal[True]
) -> tuple[tuple[Y, dict[K, V]], tuple[A, B]]: ...
@overload
def backprop_n(
    f: Callable[[BVar[A], BVar[B]], WithAny[Y, Aux]], a: A, b: B, /, *, has_aux: Literal[True]
) -> tuple[tuple[Y, Aux], tuple[A, B]]: ...
@overload
def backprop_n(
    f: Callable[[BVar[A], BVar[B], BVar[C]], WithVar[Y, V]],
    a: A,
    b: B,
    c: C,
    /,
    *,
    has_aux: Literal[True],
) -> tuple[tuple[Y, V], tuple[A, B, C]]: ...
@overload
def backprop_n(
    f: Callable[[BVar[A], BVar[B], BVar[C]], WithPair[Y, V, W]],
    a: A,
    b: B,
    c: C,
    /,
    *,
    has_aux: Literal[True],
) -> tuple[tuple[Y, tuple[V, W]], tuple[A, B, C]]: ...
@overload
def backprop_n(
    f: Callable[[BVar[A], BVar[B], BVar[C]], WithDict[Y, K, V]],
    a: A,
    b: B,
    c: C,
    /,
    *,
    has_aux: Literal[True],
) -> tuple[tuple[Y, dict[K, V]], tuple[A, B, C]]: ...
@overload
def backprop_n(
    f: Callable[[BVar[A], BVar[B], BVar[C]], WithAny[Y, Aux]],
    a: A,
    b: B,
    c: C,
    /,
    *,
    has_aux: Literal[True],
) -> tuple[tuple[Y, Aux], tuple[A, B, C]]: ...
@overload
def backprop_n(
    f: Callable[[BVar[A], BVar[B], BVar[C], BVar[D]], WithVar[Y, V]],
    a: A,
    b: B,
    c: C,
    d: D,
    /,
    *,
    has_aux: Literal[True],
) -> tuple[tuple[Y, V], tuple[A, B, C, D]]: ...
@overload
def backprop_n(
    f: Callable[[BVar[A], BVar[B], BVar[C], BVar[D]], WithPair[Y, V, W]],
    a: A,
    b: B,
    c: C,
    d: D,
    /,
    *,
    has_aux: Literal[True],
) -> tuple[tuple[Y, tuple[V, W]], tuple[A, B, C, D]]: ...
@overload
def backprop_n(
    f: Callable[[BVar[A], BVar[B], BVar[C], BVar[D]], WithDict[Y, K, V]],
    a: A,
    b: B,
    c: C,
    d: D,
    /,
    *,
    has_aux: Literal[True],
) -> tuple[tuple[Y, dict[K, V]], tuple[A, B, C, D]]: ...
@overload
def backprop_n(
    f: Callable[[BVar[A], BVar[B], BVar[C], BVar[D]], WithAny[Y, Aux]],
    a: A,
    b: B,
    c: C,
    d: D,
    /,
    *,
    has_aux: Literal[True],
) -> tuple[tuple[Y, Aux], tuple[A, B, C, D]]: ...
@overload
def backprop_n(
    f: Callable[..., WithVar[Y, V]],
    a: A,
    b: B,
    c: C,
    d: D,
    e: E,
    /,
    *xs: *Ts,
    has_aux: Literal[True],
) -> tuple[tuple[Y, V], tuple[A, B, C, D, E, *Ts]]: ...
@overload
def backprop_n(
    f: Callable[..., WithPair[Y, V, W]],
    a: A,
    b: B,
    c: C,
    d: D,
    e: E,
    /,
    *xs: *Ts,
    has_aux: Literal[True],
) -> tuple[tuple[Y, tuple[V, W]], tuple[A, B, C, D, E, *Ts]]: ...
@overload
def backprop_n(
    f: Callable[..., WithDict[Y, K, V]],
    a: A,
    b: B,
    c: C,
    d: D,
    e: E,
    /,
    *xs: *Ts,
    has_aux: Literal[True],
) -> tuple[tuple[Y, dict[K, V]], tuple[A, B, C, D, E, *Ts]]: ...
@overload
def backprop_n(
    f: Callable[..., WithAny[Y, Aux]],
    a: A,
    b: B,
    c: C,
    d: D,
    e: E,
    /,
    *xs: *Ts,
    has_aux: Literal[True],
) -> tuple[tuple[Y, Aux], tuple[A, B, C, D, E, *Ts]]: ...
def backprop_n(
    f: Callable[..., object], /, *xs: object, has_aux: bool = False
) -> tuple[Any, tuple[Any, ...]]:
    """`backprop` for a function of several separate parameters: the value and a tuple of
    gradients, one per parameter, each of its parameter's type (`f` is typed precisely for one
    to four parameters; from five on, the gradients are still typed, `f` is not checked). With
    `has_aux=True`, `f` returns `(output, aux)` and the result is `((value, aux), gradients)`.

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
        >>> (y, scaled), _ = tp.backprop_n(lambda v, s: (v @ v, v * s), np.ones(2), 3.0,
        ...                                has_aux=True)
        >>> scaled
        array([3., 3.])
        ```
    """
    value, gradients, aux = _run(f, xs, None, "backprop_n", has_aux)
    return ((value, aux), gradients) if has_aux else (value, gradients)


@overload
def grad_n(
    f: Callable[[BVar[A]], BVar[Y]], a: A, /, *, has_aux: Literal[False] = False
) -> tuple[A]: ...
@overload
def grad_n(
    f: Callable[[BVar[A], BVar[B]], BVar[Y]], a: A, b: B, /, *, has_aux: Literal[False] = False
) -> tuple[A, B]: ...
@overload
def grad_n(
    f: Callable[[BVar[A], BVar[B], BVar[C]], BVar[Y]],
    a: A,
    b: B,
    c: C,
    /,
    *,
    has_aux: Literal[False] = False,
) -> tuple[A, B, C]: ...
@overload
def grad_n(
    f: Callable[[BVar[A], BVar[B], BVar[C], BVar[D]], BVar[Y]],
    a: A,
    b: B,
    c: C,
    d: D,
    /,
    *,
    has_aux: Literal[False] = False,
) -> tuple[A, B, C, D]: ...
@overload
def grad_n(
    f: Callable[..., BVar[Y]],
    a: A,
    b: B,
    c: C,
    d: D,
    e: E,
    /,
    *xs: *Ts,
    has_aux: Literal[False] = False,
) -> tuple[A, B, C, D, E, *Ts]: ...
@overload
def grad_n(
    f: Callable[[BVar[A]], WithVar[Y, V]], a: A, /, *, has_aux: Literal[True]
) -> tuple[tuple[A], V]: ...
@overload
def grad_n(
    f: Callable[[BVar[A]], WithPair[Y, V, W]], a: A, /, *, has_aux: Literal[True]
) -> tuple[tuple[A], tuple[V, W]]: ...
@overload
def grad_n(
    f: Callable[[BVar[A]], WithDict[Y, K, V]], a: A, /, *, has_aux: Literal[True]
) -> tuple[tuple[A], dict[K, V]]: ...
@overload
def grad_n(
    f: Callable[[BVar[A]], WithAny[Y, Aux]], a: A, /, *, has_aux: Literal[True]
) -> tuple[tuple[A], Aux]: ...
@overload
def grad_n(
    f: Callable[[BVar[A], BVar[B]], WithVar[Y, V]], a: A, b: B, /, *, has_aux: Literal[True]
) -> tuple[tuple[A, B], V]: ...
@overload
def grad_n(
    f: Callable[[BVar[A], BVar[B]], WithPair[Y, V, W]], a: A, b: B, /, *, has_aux: Literal[True]
) -> tuple[tuple[A, B], tuple[V, W]]: ...
@overload
def grad_n(
    f: Callable[[BVar[A], BVar[B]], WithDict[Y, K, V]], a: A, b: B, /, *, has_aux: Literal[True]
) -> tuple[tuple[A, B], dict[K, V]]: ...
@overload
def grad_n(
    f: Callable[[BVar[A], BVar[B]], WithAny[Y, Aux]], a: A, b: B, /, *, has_aux: Literal[True]
) -> tuple[tuple[A, B], Aux]: ...
@overload
def grad_n(
    f: Callable[[BVar[A], BVar[B], BVar[C]], WithVar[Y, V]],
    a: A,
    b: B,
    c: C,
    /,
    *,
    has_aux: Literal[True],
) -> tuple[tuple[A, B, C], V]: ...
@overload
def grad_n(
    f: Callable[[BVar[A], BVar[B], BVar[C]], WithPair[Y, V, W]],
    a: A,
    b: B,
    c: C,
    /,
    *,
    has_aux: Literal[True],
) -> tuple[tuple[A, B, C], tuple[V, W]]: ...
@overload
def grad_n(
    f: Callable[[BVar[A], BVar[B], BVar[C]], WithDict[Y, K, V]],
    a: A,
    b: B,
    c: C,
    /,
    *,
    has_aux: Literal[True],
) -> tuple[tuple[A, B, C], dict[K, V]]: ...
@overload
def grad_n(
    f: Callable[[BVar[A], BVar[B], BVar[C]], WithAny[Y, Aux]],
    a: A,
    b: B,
    c: C,
    /,
    *,
    has_aux: Literal[True],
) -> tuple[tuple[A, B, C], Aux]: ...
@overload
def grad_n(
    f: Callable[[BVar[A], BVar[B], BVar[C], BVar[D]], WithVar[Y, V]],
    a: A,
    b: B,
    c: C,
    d: D,
    /,
    *,
    has_aux: Literal[True],
) -> tuple[tuple[A, B, C, D], V]: ...
@overload
def grad_n(
    f: Callable[[BVar[A], BVar[B], BVar[C], BVar[D]], WithPair[Y, V, W]],
    a: A,
    b: B,
    c: C,
    d: D,
    /,
    *,
    has_aux: Literal[True],
) -> tuple[tuple[A, B, C, D], tuple[V, W]]: ...
@overload
def grad_n(
    f: Callable[[BVar[A], BVar[B], BVar[C], BVar[D]], WithDict[Y, K, V]],
    a: A,
    b: B,
    c: C,
    d: D,
    /,
    *,
    has_aux: Literal[True],
) -> tuple[tuple[A, B, C, D], dict[K, V]]: ...
@overload
def grad_n(
    f: Callable[[BVar[A], BVar[B], BVar[C], BVar[D]], WithAny[Y, Aux]],
    a: A,
    b: B,
    c: C,
    d: D,
    /,
    *,
    has_aux: Literal[True],
) -> tuple[tuple[A, B, C, D], Aux]: ...
@overload
def grad_n(
    f: Callable[..., WithVar[Y, V]],
    a: A,
    b: B,
    c: C,
    d: D,
    e: E,
    /,
    *xs: *Ts,
    has_aux: Literal[True],
) -> tuple[tuple[A, B, C, D, E, *Ts], V]: ...
@overload
def grad_n(
    f: Callable[..., WithPair[Y, V, W]],
    a: A,
    b: B,
    c: C,
    d: D,
    e: E,
    /,
    *xs: *Ts,
    has_aux: Literal[True],
) -> tuple[tuple[A, B, C, D, E, *Ts], tuple[V, W]]: ...
@overload
def grad_n(
    f: Callable[..., WithDict[Y, K, V]],
    a: A,
    b: B,
    c: C,
    d: D,
    e: E,
    /,
    *xs: *Ts,
    has_aux: Literal[True],
) -> tuple[tuple[A, B, C, D, E, *Ts], dict[K, V]]: ...
@overload
def grad_n(
    f: Callable[..., WithAny[Y, Aux]],
    a: A,
    b: B,
    c: C,
    d: D,
    e: E,
    /,
    *xs: *Ts,
    has_aux: Literal[True],
) -> tuple[tuple[A, B, C, D, E, *Ts], Aux]: ...
def grad_n(f: Callable[..., object], /, *xs: object, has_aux: bool = False) -> Any:
    """The gradients of scalar-valued `f` with respect to each of its parameters, as a tuple of
    exactly the parameters' types; with `has_aux=True`, `f` returns `(output, aux)` and the
    result is `(gradients, aux)`.

    !!! example
        ```python
        >>> import typedprop as tp
        >>> tp.grad_n(lambda x, y: x * y + y, 2.0, 3.0)
        (3.0, 3.0)
        >>> tp.grad_n(lambda x, y: (x * y, "product"), 2.0, 3.0, has_aux=True)
        ((3.0, 2.0), 'product')
        ```
    """
    _, gradients, aux = _run(f, xs, None, "grad_n", has_aux)
    return (gradients, aux) if has_aux else gradients
