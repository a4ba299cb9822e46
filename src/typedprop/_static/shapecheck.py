"""`shapecheck`: the jaxtyping dimensions of a function's hints, bound across each call, checked
at run time here and statically by `typedprop.mypy_plugin`.

Decorate a function (or a method, `__call__` included) whose parameters and return value have
jaxtyping hints. At each call, with runtime checks on (`typedprop.checks_enabled()`), the
arguments and then the return value are checked by beartype inside one jaxtyping context, so a
dimension name means one size across the whole call, exactly as for an op. A hint `BVar[X]` is
checked on the BVar's value. A violation raises `CheckError`, naming the function, the argument
and the dimension. With checks off the function runs unwrapped but for one test of the switch.

`reveal_shape(x)` shows what is known of `x`'s shape: mypy with the plugin prints the sizes it
knows as a note, and at run time it prints the actual shape, as `typing.reveal_type` does for a
type.

Internal: users import `shapecheck` and `reveal_shape` from `typedprop`.
"""

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from .._core.bvar import BVar
from .._core.checks import CheckCache, checks_enabled, usable_hint

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


@dataclass(frozen=True)
class _Plan:
    """What to check for one decorated function, read from its hints on its first call."""

    signature: inspect.Signature
    hints: dict[str, object]  # parameter name -> hint of the value (inside BVar[...])
    bvars: frozenset[str]  # parameters whose hint is BVar[...]
    ret: object | None
    ret_bvar: bool


def _unwrap_hint(hint: object) -> tuple[object | None, bool]:
    if typing.get_origin(hint) is BVar:
        args = typing.get_args(hint)
        return (usable_hint(args[0]) if args else None), True
    return usable_hint(hint), False


def _plan(f: Callable[..., object], owner: type | None = None) -> _Plan:
    """The plan for `f`, whose hints are its own, or the fields' of `owner` for a constructor."""
    source = f if owner is None else owner
    try:
        hints = typing.get_type_hints(source, include_extras=True)
    except Exception as e:  # a forward reference that does not resolve at run time
        raise TypeError(
            f"shapecheck: cannot read the hints of {source.__qualname__} at run time ({e}); "
            "avoid `from __future__ import annotations` and local forward references"
        ) from e
    if owner is not None:
        hints.pop("return", None)
    signature = inspect.signature(f)
    checked: dict[str, object] = {}
    bvars: set[str] = set()
    for name, param in signature.parameters.items():
        if name not in hints or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue  # `*args` and `**kwargs` are left unchecked
        hint, is_bvar = _unwrap_hint(hints[name])
        if hint is not None:
            checked[name] = hint
            if is_bvar:
                bvars.add(name)
    ret, ret_bvar = _unwrap_hint(hints["return"]) if "return" in hints else (None, False)
    return _Plan(signature, checked, frozenset(bvars), ret, ret_bvar)


def shapecheck(f: F) -> F:
    """Check `f`'s jaxtyping hints at each call, with each dimension name bound to one size
    across the arguments and the return value; with `typedprop.mypy_plugin` on, mypy checks
    the same dimensions wherever it knows the sizes.

    On a NamedTuple or a dataclass, it checks the constructor's arguments against the fields'
    hints, so that `Layer(w, b)` binds `out` across `w` and `b`. typedprop's own rebuilding of
    a structure (gradients, optimizer steps) does not call the constructor and is not checked
    again.

    Runtime checks follow `typedprop.checks`: on by default, off for a block with
    `checks(False)` or for a process with `TYPEDPROP_CHECKS=0`. A check that passed is
    remembered for the same argument shapes and dtypes, as for ops.

    **Raises:** `CheckError` when an argument or the return value does not fit its hint.

    !!! example
        ```python
        >>> import numpy as np
        >>> from jaxtyping import Float
        >>> import typedprop as tp
        >>> @tp.shapecheck
        ... def affine(w: Float[tp.Mat, "m n"], x: Float[tp.Vec, " n"]) -> Float[tp.Vec, " m"]:
        ...     return w @ x
        >>> affine(np.ones((2, 3)), np.ones(3))
        array([3., 3.])
        >>> try:
        ...     affine(np.ones((2, 3)), np.ones(4))
        ... except tp.CheckError as e:
        ...     print(str(e).replace(", which", ",\\n which").replace(" (dim", "\\n (dim"))
        affine: argument 'x' has shape (4,) and dtype float64,
         which does not fit Float[ndarray, 'n']
         (dimension n: 4 (argument 'x', axis 0) vs 3 (argument 'w', axis 1))
        ```
    """
    if isinstance(f, type):
        return typing.cast(F, _shapecheck_class(f))
    return typing.cast(F, _checked(f, getattr(f, "__name__", "function"), None))


def _shapecheck_class(cls: type) -> type:
    """`cls` with its constructor checked: a NamedTuple's `__new__` (its `_make`, which
    rebuilding uses, goes around it), a dataclass's `__init__`."""
    # setattr: mypy refuses assignments to methods, which is the point here.
    if issubclass(cls, tuple) and hasattr(cls, "_fields"):
        setattr(cls, "__new__", staticmethod(_checked(cls.__new__, cls.__name__, cls)))  # noqa: B010
    elif dataclasses.is_dataclass(cls):
        setattr(cls, "__init__", _checked(cls.__init__, cls.__name__, cls))  # noqa: B010
    else:
        raise TypeError(
            f"shapecheck: {cls.__qualname__} is a class but neither a NamedTuple nor a "
            "dataclass; decorate its methods instead"
        )
    return cls


def _checked(f: Callable[..., Any], name: str, owner: type | None) -> Callable[..., Any]:
    """`f` checked at each call; `owner`: the class whose fields' hints `f` (its constructor)
    takes."""
    plan: _Plan | None = None
    cache = CheckCache()

    @functools.wraps(f)
    def checked(*args: Any, **kwargs: Any) -> Any:
        nonlocal plan
        if not checks_enabled():
            return f(*args, **kwargs)
        if plan is None:
            plan = _plan(f, owner)
        bound = plan.signature.bind(*args, **kwargs)
        names: list[str] = []
        hints: list[object | None] = []
        values: list[object] = []
        for param, value in bound.arguments.items():
            hint = plan.hints.get(param)
            if hint is None:
                continue
            if param in plan.bvars and isinstance(value, BVar):
                value = value.value
            names.append(f"argument '{param}'")
            hints.append(hint)
            values.append(value)
        ret_bvar = plan.ret_bvar
        return cache.call(
            name,
            names.__getitem__,
            hints,
            values,
            lambda _: f(*args, **kwargs),
            "the return value",
            plan.ret,
            lambda out: _value(out, ret_bvar),
        )

    return checked


def _value(x: object, unwrap: bool) -> object:
    return x.value if unwrap and isinstance(x, BVar) else x


def reveal_shape(x: T, /) -> T:
    """Show what is known of the shape of `x` and return `x` unchanged, like
    `typing.reveal_type`: mypy with `typedprop.mypy_plugin` reports the sizes it knows as a
    note (`Static shape is (32, 784)`, a name for a size known by name, `?` for one it does
    not know), and at run time the actual shape is printed to standard error.

    !!! example
        ```python
        >>> import typedprop as tp
        >>> w = tp.reveal_shape(tp.zeros(2, 3))  # mypy: note: Static shape is (2, 3)
        >>> w.shape
        (2, 3)
        ```
    """
    import sys

    value = x.value if isinstance(x, BVar) else x
    shape = getattr(value, "shape", ())
    print(f"Runtime shape is {tuple(shape)}", file=sys.stderr)
    return x
