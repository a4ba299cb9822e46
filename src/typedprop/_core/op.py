"""The Op: one primitive, a forward computation plus a staged gradient, typed `Op[*Ins, Out]`.

An op is what Haskell backprop calls `Op '[inputs] output`: its `forward` computes the output
from the inputs and returns it together with a continuation that, given the gradient of the
output, returns one gradient per input. The continuation closes over whatever forward computed,
so nothing is recomputed on the way back.

Ops built by subclassing declare their input and output types as type parameters, ideally
jaxtyping hints; mypy checks the gradient tuple against the inputs, and beartype with jaxtyping
checks every call at run time (see `_checks`). `op1`, `op2` and `op3` build an op from a function.

Internal: users import `Op`, `op1`, `op2` and `op3` from `typedprop`.
"""

import inspect
import threading
import typing
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeAlias, TypeVar, TypeVarTuple, overload

from . import tape as _tapes
from .bvar import BVar
from .checks import CheckCache, checks_enabled, signature, usable_hint
from .errors import CheckError
from .structures import array_module
from .structures import describe as _describe
from .tape import Maker, Node, Tape, check_live

_get_ident = threading.get_ident

Ins = TypeVarTuple("Ins")
Out = TypeVar("Out")
A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")
D = TypeVar("D")
R = TypeVar("R")


Grad1: TypeAlias = Callable[[Any], tuple[Any]]
"""The gradient continuation of an op of one input."""
Grad2: TypeAlias = Callable[[Any], tuple[Any, Any]]
"""The gradient continuation of an op of two inputs."""
Needs: TypeAlias = tuple[bool, bool]
"""Which inputs of a binary op need a gradient (see `Maker.takes_needs`)."""
BOTH: Needs = (True, True)
"""Both inputs need one: the default of a continuation that takes `needs`."""

SKIPPED: Any = None
"""What a continuation of an op with `takes_needs` returns in place of a gradient it skipped
(that of a constant input, which the engine drops); typed Any so that it fits any gradient."""


class Op(Maker, Generic[*Ins, Out]):
    """The base class of a primitive with inputs `*Ins` and output `Out` (PEP 646).

    Subclass it with the input and output types as type parameters, and define `forward`:
    it returns the output and the gradient continuation, which maps the output's gradient to a
    tuple with one gradient per input, each of its input's type and shape. mypy rejects a
    continuation whose tuple does not match the inputs; at run time the inputs, output and
    gradients are checked against the jaxtyping hints, with dimension names bound across them.

    Apply an op to BVars, plain values, or a mix: `matvec(w, x)`. With at least one BVar
    argument the result is a BVar; with plain values only, a plain value. Set the class
    attribute `name` to choose how errors name the op (the class name by default).

    !!! example
        ```python
        >>> from collections.abc import Callable
        >>> import numpy as np
        >>> from jaxtyping import Float
        >>> import typedprop as tp
        >>> from typedprop import Mat, Vec
        >>> class MatVec(tp.Op[Float[Mat, "m n"], Float[Vec, " n"], Float[Vec, " m"]]):
        ...     name = "matvec"
        ...     def forward(self, w: Mat, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Mat, Vec]]]:
        ...         return w @ x, lambda g: (np.outer(g, x), w.T @ g)
        >>> matvec = MatVec()
        >>> matvec(np.eye(2), np.array([1.0, 2.0]))
        array([1., 2.])
        >>> try:
        ...     matvec(np.eye(2), np.ones(3))
        ... except tp.CheckError as e:
        ...     print(str(e).replace(", which", ",\\n which").replace(" (dim", "\\n (dim"))
        matvec: argument 'x' has shape (3,) and dtype float64,
         which does not fit Float[ndarray, 'n']
         (dimension n: 3 (argument 'x', axis 0) vs 2 (argument 'w', axis 1))
        ```
    """

    # Read by the engine; set per class from the type parameters and `forward`'s signature
    # (per instance for ops built by op1/op2/op3).
    _in_hints: tuple[object | None, ...] = ()
    _out_hint: object | None = None
    _names: tuple[str, ...] = ()
    # The signatures of the calls whose checks passed, per class (see `CheckCache`).
    _checked: CheckCache = CheckCache()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._checked = CheckCache()
        if "name" not in cls.__dict__:
            cls.name = cls.__name__
        names = _positional_names(cls.forward)
        args = _op_type_args(cls)
        if args is None:
            if names is not None:
                cls._names = names
            return
        *ins, out = args
        variadic = any(_unpacked(h) for h in ins)
        if names is not None and not variadic:
            if len(names) != len(ins):
                raise TypeError(
                    f"{cls.__name__}.forward takes {len(names)} input{'s' * (len(names) != 1)} "
                    f"({', '.join(names)}), but the class declares {len(ins)}"
                )
        if variadic:
            cls._names = names or ()  # any number of inputs: no arity to check
        else:
            cls._names = names if names is not None else tuple(f"x{i}" for i in range(len(ins)))
        cls._in_hints = tuple(usable_hint(h) for h in ins)
        cls._out_hint = usable_hint(out)
        cls.hinted = cls._out_hint is not None or any(h is not None for h in cls._in_hints)

    #: The array module to compute with for an op's inputs (`array_module(*values)`): numpy
    #: for numpy arrays and numbers; another library's for its arrays, once its array kind is
    #: known to the structures. The one hook from the ops to the array library.
    array_module = staticmethod(array_module)

    def forward(self, *xs: *Ins) -> tuple[Out, Callable[[Out], tuple[*Ins]]]:
        """The output for inputs `xs`, and the continuation from the output's gradient to one
        gradient per input."""
        raise NotImplementedError(f"{type(self).__name__} must define forward")

    def arg_name(self, i: int) -> str:
        return f"argument '{self._names[i]}'" if i < len(self._names) else f"argument {i}"

    def check_backward(self, g: object, grads: tuple[object, ...]) -> None:
        values = (g, *grads)
        key = signature(values)
        if self._checked.passed(key):
            return
        # A None gradient is one the op skipped for a constant input (see `takes_needs`).
        in_hints = self._in_hints if len(self._in_hints) == len(grads) else (None,) * len(grads)
        hints = (
            self._out_hint,
            *(None if gi is None else h for h, gi in zip(in_hints, grads, strict=True)),
        )
        names = ["the gradient of the output"] + [
            f"the gradient for {self.arg_name(i)}" for i in range(len(grads))
        ]
        self._checked.check(self.name, names, hints, values, key)

    def _forward(self, values: Sequence[object]) -> tuple[Any, Any]:
        """`forward` on `values`, its result checked for the (output, continuation) form, so a
        forgotten continuation fails here, naming the op, not later in some other op."""
        result: object = self.forward(*values)  # type: ignore[arg-type]  # arity checked
        return _staged(self.name, "forward", result)

    def _run_checked(self, values: Sequence[object]) -> tuple[Any, Any]:
        """`_forward` on `values` with the jaxtyping checks of the inputs and the output, run
        once per signature (see `CheckCache.call`); forward runs exactly once."""
        hints = self._in_hints
        if len(hints) != len(values):
            hints = (None,) * len(values)
        return self._checked.call(
            self.name,
            self.arg_name,
            hints,
            values,
            self._forward,
            "the output",
            self._out_hint,
            _output,
        )

    @overload
    def __call__(self: "Op[A, R]", a: BVar[A], /) -> BVar[R]: ...
    @overload
    def __call__(self: "Op[A, R]", a: A, /) -> R: ...
    @overload
    def __call__(self: "Op[A, B, R]", a: BVar[A], b: BVar[B] | B, /) -> BVar[R]: ...
    @overload
    def __call__(self: "Op[A, B, R]", a: A, b: BVar[B], /) -> BVar[R]: ...
    @overload
    def __call__(self: "Op[A, B, R]", a: A, b: B, /) -> R: ...
    @overload
    def __call__(
        self: "Op[A, B, C, R]", a: BVar[A], b: BVar[B] | B, c: BVar[C] | C, /
    ) -> BVar[R]: ...
    @overload
    def __call__(self: "Op[A, B, C, R]", a: A, b: BVar[B], c: BVar[C] | C, /) -> BVar[R]: ...
    @overload
    def __call__(self: "Op[A, B, C, R]", a: A, b: B, c: BVar[C], /) -> BVar[R]: ...
    @overload
    def __call__(self: "Op[A, B, C, R]", a: A, b: B, c: C, /) -> R: ...
    @overload
    def __call__(
        self: "Op[A, B, C, D, R]",
        a: BVar[A],
        b: BVar[B] | B,
        c: BVar[C] | C,
        d: BVar[D] | D,
        /,
    ) -> BVar[R]: ...
    @overload
    def __call__(
        self: "Op[A, B, C, D, R]", a: A, b: BVar[B], c: BVar[C] | C, d: BVar[D] | D, /
    ) -> BVar[R]: ...
    @overload
    def __call__(
        self: "Op[A, B, C, D, R]", a: A, b: B, c: BVar[C], d: BVar[D] | D, /
    ) -> BVar[R]: ...
    @overload
    def __call__(self: "Op[A, B, C, D, R]", a: A, b: B, c: C, d: BVar[D], /) -> BVar[R]: ...
    @overload
    def __call__(self: "Op[A, B, C, D, R]", a: A, b: B, c: C, d: D, /) -> R: ...
    def __call__(self, *args: object) -> object:
        # The engine's hottest path: one or two arguments are unrolled (no lists, no loop),
        # and the tape's liveness is tested inline, `check_live` explaining a failure.
        tape: Tape | None = None
        any_bvar = False
        n = len(args)
        values: Sequence[object]
        parents: tuple[int, ...]
        if n == 1:
            (a,) = args
            if type(a) is BVar:
                any_bvar = True
                values = (a.value,)
                t = a._tape
                if t is None:
                    parents = (-1,)
                else:
                    tape = t if t.live and t.thread == _get_ident() else check_live(t)
                    parents = (a._index,)
            else:
                values, parents = args, (-1,)
        elif n == 2:
            a, b = args
            pa = pb = -1
            if type(a) is BVar:
                any_bvar = True
                va = a.value
                t = a._tape
                if t is not None:
                    tape = t if t.live and t.thread == _get_ident() else check_live(t)
                    pa = a._index
            else:
                va = a
            if type(b) is BVar:
                any_bvar = True
                vb = b.value
                t = b._tape
                if t is not None:
                    if t is not tape:
                        tape = t if t.live and t.thread == _get_ident() else check_live(t)
                    pb = b._index
            else:
                vb = b
            values, parents = (va, vb), (pa, pb)
        else:
            vs: list[object] = []
            ps: list[int] = []
            for a in args:
                if type(a) is BVar:
                    any_bvar = True
                    vs.append(a.value)
                    t = a._tape
                    if t is None:
                        ps.append(-1)
                        continue
                    if t is not tape:
                        tape = check_live(t)
                    ps.append(a._index)
                else:
                    vs.append(a)
                    ps.append(-1)
            values, parents = vs, tuple(ps)
        names = self._names
        if names and n != len(names):
            k = len(names)
            raise TypeError(f"{self.name} takes {k} argument{'s' * (k != 1)}, got {n}")
        if tape is not None and tape.intercepts:
            return tape.apply(self, values, parents)  # a layer above the core records it
        if tape is None and _tapes.intercepting:
            hooked = _tapes.intercepting_tape()
            if hooked is not None:
                computed = hooked.apply_plain(self, values)
                if computed is not NotImplemented:
                    return computed
        if self.hinted and checks_enabled():
            out, backward = self._run_checked(values)
        else:
            # Typed as forward's declared result, but any op may return anything: checked.
            result: object = self.forward(*values)  # arity checked above
            if type(result) is tuple and len(result) == 2 and callable(result[1]):
                out, backward = result
            else:
                out, backward = _staged(self.name, "forward", result)
        if not any_bvar:
            return out
        if tape is None:
            return BVar(out)
        nodes = tape.nodes
        nodes.append(Node(out, parents, backward, self))  # `Tape.record`, inlined
        return BVar(out, tape, len(nodes) - 1)


def _output(result: tuple[Any, Any]) -> object:
    return result[0]


def _staged(name: str, what: str, result: object) -> tuple[Any, Any]:
    """`result` as (output, gradient continuation), or a CheckError saying what it is instead,
    so a forgotten continuation fails at the op that forgot it, not later in another."""
    if not isinstance(result, tuple) or len(result) != 2 or not callable(result[1]):
        raise CheckError(
            f"{name}: {what} must return (output, gradient function), but it returned "
            f"{_describe(result)}"
        )
    return result[0], result[1]


def _unpacked(hint: object) -> bool:
    """Whether `hint` stands for any number of inputs: `*Ins`, `Unpack[...]`, `*tuple[X, ...]`."""
    return (
        isinstance(hint, TypeVarTuple)
        or typing.get_origin(hint) is typing.Unpack
        or bool(getattr(hint, "__unpacked__", False))
    )


def _op_type_args(cls: type) -> tuple[object, ...] | None:
    """The type arguments `cls` gives to `Op` (`Op[X, Y, Z]` gives (X, Y, Z)), or None."""
    for base in getattr(cls, "__orig_bases__", ()):
        origin = typing.get_origin(base)
        if isinstance(origin, type) and issubclass(origin, Op):
            return typing.get_args(base)
    return None


def _positional_names(f: Callable[..., object]) -> tuple[str, ...] | None:
    """The names of `f`'s positional parameters after `self`, or None if it takes `*args`."""
    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        return None
    if params and params[0].name == "self":
        params = params[1:]
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return None
    return tuple(p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))


# ---------------------------------------------------------------------------------------------
# Ops from functions
# ---------------------------------------------------------------------------------------------


class _FunctionOp(Op[*Ins, Out]):
    """An op from a function returning (output, gradient continuation); hints are read from
    the function's annotations where it has them."""

    def __init__(
        self, f: Callable[..., tuple[Any, Callable[[Any], Any]]], arity: int, name: str | None
    ) -> None:
        self._f = f
        self._single = arity == 1
        label = name or str(getattr(f, "__name__", "op"))
        self.name = f"op{arity}(<lambda>)" if label == "<lambda>" else label
        names = _positional_names(f)
        if names is None or len(names) != arity:
            names = tuple(f"x{i}" for i in range(arity))
        self._names = names
        try:
            annotations = inspect.get_annotations(f)
        except TypeError:
            annotations = {}
        # String annotations (from `from __future__ import annotations`) cannot be checked.
        self._in_hints = tuple(
            None if isinstance(h := annotations.get(n), str) else usable_hint(h) for n in names
        )
        ret = annotations.get("return")
        ret_args = typing.get_args(ret) if typing.get_origin(ret) is tuple else ()
        self._out_hint = usable_hint(ret_args[0]) if ret_args else None
        self.hinted = self._out_hint is not None or any(h is not None for h in self._in_hints)
        self._checked = CheckCache()

    def forward(self, *xs: *Ins) -> tuple[Out, Callable[[Out], tuple[*Ins]]]:
        out, back = _staged(self.name, "forward", self._f(*xs))
        if self._single:
            return out, lambda g: (back(g),)
        return out, back


def op1(f: Callable[[A], tuple[R, Callable[[R], A]]], /, *, name: str | None = None) -> Op[A, R]:
    """An op of one input from a function that returns its output and the gradient function,
    as backprop's `op1 $ \\x -> (sin x, (* cos x))`. Works as a decorator.

    The function's annotations, if they are jaxtyping hints, are checked at run time like a
    subclass's type parameters.

    !!! example
        ```python
        >>> from collections.abc import Callable
        >>> import numpy as np
        >>> import typedprop as tp
        >>> @tp.op1
        ... def sin(x: float) -> tuple[float, Callable[[float], float]]:
        ...     return float(np.sin(x)), lambda g: g * float(np.cos(x))
        >>> tp.grad(sin, 0.0)
        1.0
        ```
    """
    return _FunctionOp(f, 1, name)


def op2(
    f: Callable[[A, B], tuple[R, Callable[[R], tuple[A, B]]]], /, *, name: str | None = None
) -> Op[A, B, R]:
    """An op of two inputs from a function that returns its output and a gradient function
    giving a pair of gradients.

    !!! example
        ```python
        >>> from collections.abc import Callable
        >>> import typedprop as tp
        >>> @tp.op2
        ... def mul(x: float, y: float) -> tuple[float, Callable[[float], tuple[float, float]]]:
        ...     return x * y, lambda g: (g * y, g * x)
        >>> tp.grad_n(lambda x, y: mul(x, y), 2.0, 5.0)
        (5.0, 2.0)
        ```
    """
    return _FunctionOp(f, 2, name)


def op3(
    f: Callable[[A, B, C], tuple[R, Callable[[R], tuple[A, B, C]]]],
    /,
    *,
    name: str | None = None,
) -> Op[A, B, C, R]:
    """An op of three inputs from a function that returns its output and a gradient function
    giving a triple of gradients.

    !!! example
        ```python
        >>> from collections.abc import Callable
        >>> import typedprop as tp
        >>> @tp.op3
        ... def fma(x: float, y: float, z: float
        ...         ) -> tuple[float, Callable[[float], tuple[float, float, float]]]:
        ...     return x * y + z, lambda g: (g * y, g * x, g)
        >>> tp.grad_n(lambda x, y, z: fma(x, y, z), 2.0, 5.0, 1.0)
        (5.0, 2.0, 1.0)
        ```
    """
    return _FunctionOp(f, 3, name)
