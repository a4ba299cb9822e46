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

import functools
import inspect
import threading
import typing
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Generic, TypeAlias, TypeVar, TypeVarTuple, overload

import numpy as np

from . import tape as _tapes
from .arrays import L, OtherArray
from .backends import mixing_message
from .bvar import BVar
from .checks import CheckCache, checks_enabled, signature, usable_hint
from .errors import CheckError
from .structures import (
    COMPLEX,
    array_kind,
    array_module,
    flatten,
    is_container,
    refused_leaf,
)
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

    Every call refuses, with a CheckError naming the op and the argument, whether checks are
    on or off, what no op computes a right gradient for: complex numbers and arrays, and arrays
    of no numbers (object, strings, dates; see `refuse`). An op whose inputs must be numbers or
    arrays (the op library's) sets `arrays_only`, and a structure given to it (a tuple, a dict,
    a dataclass: a structure-valued BVar) is refused too.

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
    #: Whether the op's inputs must be numbers or arrays: a structure (a tuple, list, dict,
    #: NamedTuple or dataclass, a structure-valued BVar) or a string given to it is refused.
    #: True for the op classes of the modules in `ARRAYS_ONLY_MODULES` (the op library's
    #: families) and their subclasses; an op of your own may take a structure whole.
    arrays_only: ClassVar[bool] = False
    #: Whether the op's inputs must be numbers or arrays and nothing else: None, or an object
    #: of a type with its own operators, is refused too (the elementwise maps set it).
    numbers_only: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._checked = CheckCache()
        if cls.__module__ in ARRAYS_ONLY_MODULES:
            cls.arrays_only = True
        else:
            cls.forward = _vetting(cls.forward)  # type: ignore[method-assign, assignment]  # wrapped
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

    def scan_batched(
        self, inputs: Sequence[object], stacked: tuple[bool, ...]
    ) -> Callable[..., tuple[Any, Any]] | None:
        """How `typedprop.scan` runs this op for all steps at once, where it reads `x` (and
        what is the same at every step) but not the carry; None (the default) to run it step
        by step.

        `inputs` are the op's inputs at the first step and `stacked` says which change from
        step to step. The function returned takes the inputs with those that change stacked
        along a leading axis of steps, and returns what `forward` does: the stacked outputs
        and a continuation, whose gradients for the stacked inputs are stacked and for the
        others summed over the steps. An elementwise op's own `forward` is such a function;
        `matvec(u, x)` gives one computing `xs @ u.T`."""
        return None

    def scan_derivative(self, x: object) -> Callable[[Any], Any] | None:
        """For an op of one input whose gradient is the output's gradient times a derivative
        computed from the input (an elementwise map): how `typedprop.scan` computes that
        derivative for all steps at once, from the inputs stacked along a leading axis of
        steps, after its forward loop; None (the default) to call the continuation at each
        step. `x` is the input at the first step. `tanh` gives `lambda xs: 1 - tanh(xs)**2`:
        the sweep back through the steps then multiplies each step's gradient by its row."""
        return None

    def scan_inline(self, inputs: Sequence[object]) -> tuple[str, tuple[str, ...]] | None:
        """How `typedprop.scan` writes this op into its generated loops as expressions, with
        no call of `forward` or of a continuation per step; None (the default) to call them.

        `inputs` are the op's inputs at the first step, whose types, shapes and dtypes are
        those of every step. The pair returned is the output's expression of the inputs
        `{0}`, `{1}`, ..., and each input's gradient as an expression of the output's
        gradient `{g}` and the inputs; both must compute exactly what `forward` and its
        continuation do for such inputs (so give them only where nothing is broadcast or
        converted). `add` gives `("{0} + {1}", ("{g}", "{g}"))` for two arrays of one shape
        and dtype."""
        return None

    def scan_gradient(
        self, k: int, inputs: Sequence[object], stacked: tuple[bool, ...]
    ) -> Callable[[Any, Sequence[Any]], Any] | None:
        """How `typedprop.scan` sums this op's gradient for input `k`, the same at every step
        (a weight), over all the steps at once; None (the default) to have it summed step by
        step from the continuation's.

        `inputs` are the op's inputs at the first step and `stacked` says which change from
        step to step. The function returned is called once, after the sweep back through the
        steps, with the output's gradients of all steps stacked (a leading axis of steps) and
        the inputs, those that change stacked the same way; it returns the sum over the steps
        of the gradients for input `k`, of that input's shape and dtype. `matvec(w, h)` gives
        `lambda G, inputs: G.T @ inputs[1]` for `w`: one matrix product for all the steps'
        outer products."""
        return None

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
        """`forward` on `values` (refused first if they hold what no op takes, see `refuse`),
        its result checked for the (output, continuation) form, so a forgotten continuation
        fails here, naming the op, not later in some other op. What a layer above the core
        calls to run an op on plain values (the tracing tape)."""
        _vet(self, values)
        return self._staged_forward(values)

    def _staged_forward(self, values: Sequence[object]) -> tuple[Any, Any]:
        result: object = self.forward(*values)  # type: ignore[arg-type]  # arity checked
        return _staged(self.name, "forward", result)

    def _run_checked(self, values: Sequence[object], vetted: bool = False) -> tuple[Any, Any]:
        """`_forward` on `values` with the jaxtyping checks of the inputs and the output, run
        once per signature (see `CheckCache.call`); forward runs exactly once. The values are
        refused first (unless `vetted`: the caller did) with the message they get with checks
        off."""
        if not vetted:
            _vet(self, values)
        hints = self._in_hints
        if len(hints) != len(values):
            hints = (None,) * len(values)
        return self._checked.call(
            self.name,
            self.arg_name,
            hints,
            values,
            self._staged_forward,
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
    def __call__(self: "Op[A, B, R]", a: A, b: BVar[B], /) -> BVar[R]: ...  # type: ignore[overload-overlap]
    @overload
    def __call__(self: "Op[A, B, R]", a: A, b: B, /) -> R: ...
    @overload
    def __call__(
        self: "Op[A, B, C, R]", a: BVar[A], b: BVar[B] | B, c: BVar[C] | C, /
    ) -> BVar[R]: ...
    @overload
    def __call__(self: "Op[A, B, C, R]", a: A, b: BVar[B], c: BVar[C] | C, /) -> BVar[R]: ...  # type: ignore[overload-overlap]
    @overload
    def __call__(self: "Op[A, B, C, R]", a: A, b: B, c: BVar[C], /) -> BVar[R]: ...  # type: ignore[overload-overlap]
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
    # Last, another library's arrays where the op's hints name numpy's (`matvec`, `linear`):
    # its ops compute in the inputs' library, so they give back the first array's type. mypy
    # sees three of the overloads above overlap these (`A` could be an `L`), ignored where it
    # says so: for an op whose hints name numpy's arrays `A` never is, and an op whose hints
    # name another library's is typed by the overloads above, which come first.
    @overload
    def __call__(
        self: "Op[A, B, R]", a: BVar[L], b: BVar[OtherArray] | OtherArray, /
    ) -> BVar[L]: ...
    @overload
    def __call__(self: "Op[A, B, R]", a: L, b: BVar[OtherArray], /) -> BVar[L]: ...
    @overload
    def __call__(self: "Op[A, B, R]", a: L, b: OtherArray, /) -> L: ...
    @overload
    def __call__(
        self: "Op[A, B, C, R]",
        a: BVar[L],
        b: BVar[OtherArray] | OtherArray,
        c: BVar[OtherArray] | OtherArray,
        /,
    ) -> BVar[L]: ...
    @overload
    def __call__(
        self: "Op[A, B, C, R]", a: L, b: BVar[OtherArray], c: BVar[OtherArray] | OtherArray, /
    ) -> BVar[L]: ...
    @overload
    def __call__(
        self: "Op[A, B, C, R]", a: L, b: OtherArray, c: BVar[OtherArray], /
    ) -> BVar[L]: ...
    @overload
    def __call__(self: "Op[A, B, C, R]", a: L, b: OtherArray, c: OtherArray, /) -> L: ...
    def __call__(self, *args: object) -> object:
        # The engine's hottest path: one or two arguments are unrolled (no lists, no loop),
        # and the tape's liveness is tested inline, `check_live` explaining a failure.
        #
        # What no op takes (see `refuse`) is refused here, with tests inline too: a value is
        # `plain` if it is a float, a real numpy scalar or an array of a real dtype, and a
        # value on a tape if it is a number or an array at all (a structure is not), for it
        # was looked at when it got there: a parameter by `check_supported`, the output of an
        # op of the library by its inputs (real inputs give real outputs), the output of an op
        # of one's own when it returned (see `__init_subclass__`). Whatever is not plain is
        # looked at by `_vet` before forward runs.
        tape: Tape | None = None
        any_bvar = False
        n = len(args)
        values: Sequence[object]
        parents: tuple[int, ...]
        a: Any  # a BVar once `type(a) is BVar` (by the type kept in `ta`, which mypy cannot see)
        b: Any
        if n == 1:
            (a,) = args
            ta = type(a)
            if ta is BVar:
                any_bvar = True
                va = a.value
                ta = type(va)
                values = (va,)
                t = a._tape
                if t is None:
                    parents = (-1,)
                else:
                    tape = t if t.live and t.thread == _get_ident() else check_live(t)
                    parents = (a._index,)
            else:
                va, t = a, None
                values, parents = args, (-1,)
            plain = (
                (ta is _ndarray or ta is float or ta in _REAL_SCALARS)
                if t is not None
                else (
                    ta is float
                    or ta is _float64
                    or (
                        (va.dtype is _F64 or va.dtype in _REAL_DTYPES)
                        if ta is _ndarray
                        else ta in _REAL_SCALARS
                    )
                )
            )
        elif n == 2:
            a, b = args
            pa = pb = -1
            ta = type(a)
            if ta is BVar:
                any_bvar = True
                va = a.value
                ta = type(va)
                t = a._tape
                if t is not None:
                    tape = t if t.live and t.thread == _get_ident() else check_live(t)
                    pa = a._index
            else:
                va, t = a, None
            plain = (
                (ta is _ndarray or ta is float or ta in _REAL_SCALARS)
                if t is not None
                else (
                    ta is float
                    or ta is _float64
                    or (
                        (va.dtype is _F64 or va.dtype in _REAL_DTYPES)
                        if ta is _ndarray
                        else ta in _REAL_SCALARS
                    )
                )
            )
            tb = type(b)
            if tb is BVar:
                any_bvar = True
                vb = b.value
                tb = type(vb)
                t = b._tape
                if t is not None:
                    if t is not tape:
                        tape = t if t.live and t.thread == _get_ident() else check_live(t)
                    pb = b._index
            else:
                vb, t = b, None
            plain = plain and (
                (tb is _ndarray or tb is float or tb in _REAL_SCALARS)
                if t is not None
                else (
                    tb is float
                    or tb is _float64
                    or (
                        (vb.dtype is _F64 or vb.dtype in _REAL_DTYPES)
                        if tb is _ndarray
                        else tb in _REAL_SCALARS
                    )
                )
            )
            values, parents = (va, vb), (pa, pb)
        else:
            vs: list[object] = []
            ps: list[int] = []
            plain = True
            for a in args:
                if type(a) is BVar:
                    any_bvar = True
                    v = a.value
                    vs.append(v)
                    t = a._tape
                    if t is None:
                        ps.append(-1)
                        plain = plain and _plain(v)
                        continue
                    if t is not tape:
                        tape = t if t.live and t.thread == _get_ident() else check_live(t)
                    ps.append(a._index)
                    tv = type(v)
                    plain = plain and (tv is _ndarray or tv is float or tv in _REAL_SCALARS)
                else:
                    vs.append(a)
                    ps.append(-1)
                    plain = plain and _plain(a)
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
        # An argument of a type no test above knows (a registered type, one with operators
        # of its own) may give an output of any type: it is looked at too.
        unknown = False if plain else _vet(self, values)
        if self.hinted and checks_enabled():
            out, backward = self._run_checked(values, vetted=True)
        else:
            # Typed as forward's declared result, but any op may return anything: checked.
            result: object = self.forward(*values)  # arity checked above
            if type(result) is tuple and len(result) == 2 and callable(result[1]):
                out, backward = result
            else:
                out, backward = _staged(self.name, "forward", result)
        if unknown:
            _vet_output(self.name, out)
        if not any_bvar:
            return out
        if tape is None:
            return BVar(out)
        nodes = tape.nodes
        nodes.append(Node(out, parents, backward, self))  # `Tape.record`, inlined
        return BVar(out, tape, len(nodes) - 1)


# ---------------------------------------------------------------------------------------------
# What no op takes
# ---------------------------------------------------------------------------------------------

#: The modules whose op classes set `Op.arrays_only`: the op library adds its families'
#: modules (`typedprop.ops._registry`) before their classes are made. The op classes of other
#: modules (ops of one's own) have their outputs looked at (`_vetting`).
ARRAYS_ONLY_MODULES: set[str] = set()

_ndarray = np.ndarray
_float64 = np.float64
_F64 = np.dtype(np.float64)
# The real dtypes and scalar types: what `Op.__call__` lets through at its inline tests.
_REAL_DTYPES = frozenset(np.dtype(c) for c in "?bBhHiIlLqQefdg")
_REAL_SCALARS = frozenset({float, int, bool, *(d.type for d in _REAL_DTYPES)})
# What `refuse` lets through as a number, and refuses, besides structures, as not an array.
_NUMBERS = (np.ndarray, np.generic, int, float)
_NOT_ARRAYS = (str, bytes, set, frozenset)
# numpy's arrays and scalars: what an op may not mix with another library's arrays.
_NUMPY_VALUES = (np.ndarray, np.generic)


def _plain(v: object) -> bool:
    """Whether `v` is a real number or an array of a real dtype: `Op.__call__`'s inline test of
    a value not on a tape, as a function."""
    t = type(v)
    if t is _ndarray:
        return v.dtype in _REAL_DTYPES  # type: ignore[attr-defined]  # an ndarray
    return t in _REAL_SCALARS


def _vet(op: Op[*tuple[Any, ...]], values: Sequence[object]) -> bool:
    """`refuse` each of `values`, the arguments of `op`, that `Op.__call__`'s tests did not
    let through, and arrays of two libraries (numpy's arrays and scalars count as numpy's);
    whether one was let through here (a registered type, a type with its own operators: its
    op's output may be of any type, and is looked at too)."""
    let_through = False
    first: tuple[int, str] | None = None  # the first array's argument and library
    for i, v in enumerate(values):
        library: str | None = None  # a number's, or a value's of a type with its own operators
        # Another library's array of a real dtype (its dtypes all hold numbers) passes as
        # numpy's do at the inline tests, by its kind's answers by dtype: every op of PyTorch's
        # or JAX's arrays comes here, and `refuse`'s walk costs as much as the op's own Python.
        real = False
        if isinstance(v, _NUMPY_VALUES):
            library = "numpy"
        elif (kind := array_kind(v)) is not None:
            library = kind.library
            real = kind.floating(v) or not kind.differentiable(v)
        if not real and not _plain(v):
            refuse(op.name, op.arg_name(i), v, op.arrays_only, op.numbers_only)
            let_through = True
        if library is None:
            continue
        if first is None:
            first = (i, library)
        elif first[1] != library:
            raise _mixed(op, first, (i, library))
    return let_through


def _mixed(op: Op[*tuple[Any, ...]], first: tuple[int, str], other: tuple[int, str]) -> CheckError:
    """The error for arrays of two libraries given to one op: typedprop makes no hidden copies
    between libraries (nor between host and device)."""
    (i, a), (j, b) = first, other
    return CheckError(mixing_message(op.name, (op.arg_name(i), a), (op.arg_name(j), b)))


def _vet_output(name: str, out: object) -> None:
    """Refuse an op's output that no op takes (a complex or object array from an argument of
    a type of its own, a complex number from an op of one's own), leaves of a structure too."""
    if _plain(out):
        return
    leaves = [out] if not is_container(out) else flatten(out, unknown_leaves=True)[0]
    for leaf in leaves:
        if refused_leaf(leaf) is not None:
            refuse(name, "the output", leaf, arrays_only=False)


def _vetting(forward: Callable[..., Any]) -> Callable[..., Any]:
    """`forward` of an op of one's own, its output looked at (`_vet_output`): the values on a
    tape are looked at when they get there, and the op library's ops keep real inputs real,
    but an op of one's own may make a complex number from a float."""
    if getattr(forward, "_typedprop_vetting", False):
        return forward

    @functools.wraps(forward)
    def vetted(self: Op[*tuple[Any, ...]], *xs: Any) -> Any:
        result = forward(self, *xs)
        if type(result) is tuple and len(result) == 2:
            out = result[0]
            if type(out) is not float:
                _vet_output(self.name, out)
        return result

    vetted._typedprop_vetting = True  # type: ignore[attr-defined]  # a marker
    return vetted


def refuse(
    name: str, label: str, value: object, arrays_only: bool = True, numbers_only: bool = False
) -> None:
    """A CheckError, naming the op `name` and the argument (`label`: "argument 'x'"), if no op
    takes `value`: a complex number or array (typedprop does not support complex values yet:
    ops differ in their conventions for complex gradients), an array or numpy scalar of no
    numbers (object, strings, dates: the engine drops their gradients). With `arrays_only`, a
    structure (a tuple, list, dict, NamedTuple, dataclass) and a string too; with
    `numbers_only`, anything but a number or an array. Other values are left to the op (a
    type with its own operators, None)."""
    why = refused_leaf(value)
    if why is None:
        if numbers_only:
            if isinstance(value, _NUMBERS) or array_kind(value) is not None:
                return
        elif not arrays_only or not (isinstance(value, _NOT_ARRAYS) or is_container(value)):
            return
    what = (
        f"an array of dtype {value.dtype}"
        if isinstance(value, np.ndarray)
        else value.__class__.__name__  # what a wrapper (a traced value) holds, as isinstance
    )
    if why == COMPLEX:
        raise CheckError(
            f"{name}: {label} must be a real number or array, got {what} (complex values are "
            "not supported yet)"
        )
    raise CheckError(f"{name}: {label} must be a number or an array, got {what}")


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
