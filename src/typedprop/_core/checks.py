"""Runtime checks: the jaxtyping + beartype layer over every op, and the switch for it.

Two layers guard each op:

1. The jaxtyping layer (this module): an op's declared input and output hints, such as
   `Float[Mat, "m n"]`, are checked by beartype inside one jaxtyping context, so a dimension name
   means one size across all inputs and the output of a call. On the backward pass the gradient
   arriving at the op and the gradients it returns are checked the same way. This layer is on by
   default; `checks(False)` or `TYPEDPROP_CHECKS=0` turns it off.
2. The engine's invariant (in `_tape`): each gradient has exactly its input's shape and dtype.
   It is cheap and always on.

A violation raises `CheckError` (a `TypeError`) naming the op, the argument and the dimensions.

Internal: users import `checks`, `checks_enabled` and `CheckError` from `typedprop`.
"""

import contextlib
import contextvars
import os
import typing
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
from beartype.door import is_bearable
from jaxtyping import jaxtyped

from .dims import Dim, try_parse_dims
from .errors import CheckError
from .structures import array_kind

_enabled: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "typedprop_checks",
    default=os.environ.get("TYPEDPROP_CHECKS", "").strip().lower()
    not in ("0", "false", "off", "no"),
)


def checks_enabled() -> bool:
    """Whether the jaxtyping layer of runtime checks is on in this context.

    !!! example
        ```python
        >>> import typedprop as tp
        >>> tp.checks_enabled()
        True
        ```
    """
    return _enabled.get()


class checks(contextlib.ContextDecorator):  # noqa: N801  # used as a function
    """Switch the jaxtyping layer of runtime checks on or off inside a `with` block.

    Checks are on by default; the environment variable `TYPEDPROP_CHECKS=0` turns them off for a
    whole process. Switching them off keeps the engine's cheap invariant (every gradient has its
    input's shape and dtype) but skips the per-call jaxtyping check of each op's declared shapes.
    The switch is per thread (a `contextvars` variable): a new thread starts with the default.
    One `checks` object may be entered again, and nested in itself, by one thread (each thread
    or task its own); as a decorator, `@tp.checks(False)`, it switches each call of the
    function, in any thread. (A class, not a generator under `contextmanager`: a training loop
    may switch checks at every step.)

    !!! example
        ```python
        >>> import typedprop as tp
        >>> with tp.checks(False):
        ...     tp.checks_enabled()
        False
        >>> tp.checks_enabled()
        True
        ```
    """

    __slots__ = ("_enabled", "_tokens")

    def __init__(self, enabled: bool) -> None:
        self._enabled = bool(enabled)
        self._tokens: list[contextvars.Token[bool]] = []

    def __enter__(self) -> None:
        self._tokens.append(_enabled.set(self._enabled))

    def __exit__(self, *exc: object) -> None:
        _enabled.reset(self._tokens.pop())

    def _recreate_cm(self) -> "checks":
        # A decorated function's each call enters a switch of its own: calls in several
        # threads at once must not share one stack of tokens.
        return checks(self._enabled)


# ---------------------------------------------------------------------------------------------
# Reading hints
# ---------------------------------------------------------------------------------------------


def usable_hint(hint: object) -> object | None:
    """`hint` if beartype can check values against it; None for what says nothing at run time
    (type variables, `Any`, `object`)."""
    if hint is Any or hint is object or isinstance(hint, typing.TypeVar | typing.TypeVarTuple):
        return None
    if typing.get_origin(hint) is typing.Unpack or getattr(hint, "__unpacked__", False):
        return None  # `Unpack[...]` or `*tuple[X, ...]`: any number of inputs
    return hint


def _show_hint(hint: object) -> str:
    if getattr(hint, "dim_str", None) is not None:
        # jaxtyping's own repr, e.g. Float[ndarray, 'm n'], without the class wrapper.
        text = repr(hint)
        return text.removeprefix("<class 'jaxtyping.").removesuffix("'>")
    return getattr(hint, "__name__", None) or repr(hint)


def _show_value(x: object) -> str:
    if isinstance(x, np.ndarray):
        return f"shape {x.shape} and dtype {x.dtype}"
    array = array_kind(x)
    if array is not None:  # another library's array
        return f"shape {array.shape(x)} and dtype {array.numpy_dtype(x)}"
    return f"type {type(x).__name__}"


def _shape(x: object) -> tuple[int, ...] | None:
    """The shape of an array of any library; None for anything else."""
    if isinstance(x, np.ndarray):
        shape: tuple[int, ...] = x.shape
        return shape
    array = array_kind(x)
    return None if array is None else array.shape(x)


# ---------------------------------------------------------------------------------------------
# Explaining a failure: which dimension disagrees with which argument
# ---------------------------------------------------------------------------------------------


def _axes_of(hint: object, ndim: int) -> tuple[Dim | None, ...] | None:
    """The dimension of each axis of a value of `ndim` axes under a jaxtyping hint (None for
    the axes a variadic `*batch` or `...` covers), or None where they cannot be matched one to
    one (no shape string, a wrong rank, too few axes). The shape string is read by the parser
    the mypy plugin uses too (`dims`)."""
    dim_str = getattr(hint, "dim_str", None)
    parsed = try_parse_dims(dim_str) if isinstance(dim_str, str) else None
    return None if parsed is None else parsed.axes(ndim)


def _named(dim: Dim | None, size: int) -> str | None:
    """The name `dim` binds for an axis of `size`, or None where it binds nothing to compare: an
    anonymous, symbolic or tree-path dimension, or a broadcastable one of size 1 (which fits any
    size, as jaxtyping has it)."""
    if dim is None or dim.treepath or (dim.broadcastable and size == 1):
        return None
    return dim.name


def _explain(
    names: Sequence[str], hints: Sequence[object | None], values: Sequence[object], bad: int
) -> str:
    """Why value `bad` fails its hint, in terms of the other (already checked) values."""
    x, hint = values[bad], hints[bad]
    allowed = getattr(hint, "dtypes", None)
    shape = _shape(x)
    array = array_kind(x)
    dtype = None if array is None else array.numpy_dtype(x)
    if dtype is not None and isinstance(allowed, tuple) and str(dtype) not in allowed:
        kind = getattr(getattr(hint, "dtype", None), "__name__", "the hint's")
        return f"dtype {dtype} is not a {kind} dtype"
    dim_str = getattr(hint, "dim_str", None)
    parsed = try_parse_dims(dim_str) if isinstance(dim_str, str) else None
    if shape is None or parsed is None:
        return f"expected {_show_hint(hint)}"
    ndim = len(shape)
    dims = parsed.axes(ndim)
    if dims is None:
        if parsed.variadic is not None:
            axes = "axis" if parsed.rank == 1 else "axes"
            return f"expected {_show_hint(hint)}: at least {parsed.rank} {axes}, got {ndim}"
        return f"expected {_show_hint(hint)}: {parsed.rank} axes, got {ndim}"
    for axis, dim in enumerate(dims):
        size = shape[axis]
        if dim is None:
            continue
        fixed = dim.size
        if fixed is not None and fixed != size and not (dim.broadcastable and size == 1):
            return f"dimension {axis}: expected size {fixed}, got {size}"
        name = _named(dim, size)
        if name is None:
            continue
        for earlier in range(axis):  # a name repeated within the value: `Float[Mat, "h h"]`
            if _named(dims[earlier], shape[earlier]) == name and shape[earlier] != size:
                return (
                    f"dimension {name}: {size} ({names[bad]}, axis {axis}) vs "
                    f"{shape[earlier]} ({names[bad]}, axis {earlier})"
                )
        for j in range(bad):
            other = _shape(values[j])
            if other is None:
                continue
            other_dims = _axes_of(hints[j], len(other))
            if other_dims is None:
                continue
            for other_axis, other_dim in enumerate(other_dims):
                other_size = other[other_axis]
                if _named(other_dim, other_size) == name and other_size != size:
                    return (
                        f"dimension {name}: {size} ({names[bad]}, axis {axis}) vs "
                        f"{other_size} ({names[j]}, axis {other_axis})"
                    )
    return f"expected {_show_hint(hint)}"


def check_values(
    op_name: str,
    names: Sequence[str],
    hints: Sequence[object | None],
    values: Sequence[object],
    start: int = 0,
) -> None:
    """Check `values[start:]` against their hints and raise CheckError naming the op, the first
    value that fails, and the dimension. Call it inside `jaxtyped("context")`: dimension names
    are then bound across every value checked in that context."""
    for i in range(start, len(values)):
        hint, x = hints[i], values[i]
        if hint is not None and not is_bearable(x, hint):  # type: ignore[arg-type]  # hints are runtime objects here
            raise CheckError(
                f"{op_name}: {names[i]} has {_show_value(x)}, which does not fit "
                f"{_show_hint(hint)} ({_explain(names, hints, values, i)})"
            )


# ---------------------------------------------------------------------------------------------
# The one check cache, for ops and for `shapecheck`
# ---------------------------------------------------------------------------------------------

R = TypeVar("R")


def signature(values: Sequence[object]) -> tuple[object, ...] | None:
    """What a jaxtyping check of `values` depends on: the type, shape and dtype of each
    value. None where a value's check could depend on more (a structure, an ndarray subclass)."""
    key: list[object] = []
    for v in values:
        t = type(v)
        if t is np.ndarray:
            key.append((v.shape, v.dtype))  # type: ignore[attr-defined]  # t is ndarray
        elif t is float or t is int or t is bool or v is None or isinstance(v, np.generic):
            # None: a gradient an op skipped for a constant input, which is never checked.
            key.append(t)
        else:
            array = array_kind(v)
            if array is None or isinstance(v, np.ndarray):
                return None
            key.append((t, array.shape(v), array.dtype(v)))  # another library's array
    return tuple(key)


class CheckCache:
    """The signatures of the calls whose checks passed: a check is a function of the values'
    types, shapes and dtypes only, so one that passed need not run again for the same ones.

    Each op class (each `op1`/`op2`/`op3` op, each `shapecheck`ed function) has its own. It
    forgets everything past `LIMIT` entries, a bound on memory for programs that see endless
    new shapes."""

    __slots__ = ("_passed",)

    LIMIT = 4096

    def __init__(self) -> None:
        self._passed: set[tuple[object, ...]] = set()

    def __len__(self) -> int:
        return len(self._passed)

    def remember(self, key: tuple[object, ...]) -> None:
        if len(self._passed) >= self.LIMIT:
            self._passed.clear()
        self._passed.add(key)

    def clear(self) -> None:
        self._passed.clear()

    def passed(self, key: tuple[object, ...] | None) -> bool:
        """Whether values of signature `key` passed `check` before."""
        return key is not None and ("values", key) in self._passed

    def check(
        self,
        name: str,
        names: Sequence[str],
        hints: Sequence[object | None],
        values: Sequence[object],
        key: tuple[object, ...] | None,
    ) -> None:
        """`check_values` of `values` (of signature `key`) in a context of their own,
        remembered when they pass: the backward pass's check, for which the caller asks
        `passed(key)` first, before it builds the names and hints."""
        with jaxtyped("context"):
            check_values(name, names, hints, values)
        if key is not None:
            self.remember(("values", key))

    def call(
        self,
        name: str,
        arg_name: Callable[[int], str],
        hints: Sequence[object | None],
        values: Sequence[object],
        run: Callable[[Sequence[object]], R],
        result_name: str,
        result_hint: object | None,
        result_of: Callable[[R], object],
    ) -> R:
        """`run(values)`, the call, checked: the arguments against `hints`, then the result
        (`result_of` what `run` returns) against `result_hint`, dimension names bound across
        both; `arg_name(i)` names argument `i` in a message. `run` is called exactly once,
        whatever the cache holds: with arguments that passed before and a result of a new
        signature, only the result is checked (the arguments again first, to bind their
        dimensions). Nothing is allocated for names on the path of a call that passed."""
        key_in = signature(values)
        ran = False
        if key_in is not None and ("in", key_in) in self._passed:
            # The arguments passed before: run, and check the result if its signature is new.
            result = run(values)
            if result_hint is None:
                return result
            out = result_of(result)
            key_out = signature((out,))
            if key_out is not None and ("out", key_in + key_out) in self._passed:
                return result
            ran = True
        labels = [arg_name(i) for i in range(len(values))]
        with jaxtyped("context"):
            check_values(name, labels, hints, values)
            if not ran:
                result = run(values)
                if result_hint is not None:
                    out = result_of(result)
            if result_hint is not None:
                check_values(
                    name,
                    [*labels, result_name],
                    [*hints, result_hint],
                    [*values, out],
                    start=len(values),
                )
        if key_in is not None:
            key_out = signature((out,)) if result_hint is not None else ()
            if key_out is not None:
                self.remember(("in", key_in))
                self.remember(("out", key_in + key_out))
        return result
