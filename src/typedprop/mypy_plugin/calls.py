"""Calls as the shape rules see them, and which rule each callee gets.

`Call` reads one call's arguments through mypy: an array argument's known shape, a setting's
literal value (`axis=1`, `keepdims=True`, a reshape's sizes, einsum's subscripts), a list of
arrays (`concatenate([a, b])`), an index (`x[:, None]`). Sizes are read from integer literals,
`Final` constants (annotated or not), arithmetic on them, and `x.shape[k]` of an array whose
size is known.

The tables below name the rule of each kind of callee once: typedprop's op classes by their kind
(the base class that gives the kind its signature), BVar's and ndarray's operators and methods,
and numpy's functions (others are gradual: their results have unknown sizes).

Internal: used by the plugin's hooks.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mypy.nodes import (
    EllipsisExpr,
    Expression,
    FloatExpr,
    IndexExpr,
    IntExpr,
    ListExpr,
    MemberExpr,
    NameExpr,
    OpExpr,
    SliceExpr,
    StrExpr,
    TupleExpr,
    UnaryExpr,
    Var,
)
from mypy.plugin import CheckerPluginInterface, FunctionContext, MethodContext
from mypy.types import Instance, NoneType, Type, get_proper_type

from . import internals
from . import rules as r
from .arrays import array, literal_int, shape_of
from .binding import UNKNOWN
from .sizes import Size, product

Ctx = FunctionContext | MethodContext


# ---------------------------------------------------------------------------------------------
# Static values of expressions
# ---------------------------------------------------------------------------------------------


def static_size(
    expr: Expression, api: CheckerPluginInterface, t: Type | None = None
) -> Size | None:
    """The size an integer expression has wherever mypy checks it: a literal, a `Final`
    constant (annotated or not), `x.shape[k]` of a known size, `+ - * //` of those, and `**`
    by a small literal."""
    if isinstance(expr, IntExpr):
        return Size.of(expr.value)
    if isinstance(expr, UnaryExpr) and expr.op == "-":
        inner = static_size(expr.expr, api)
        return None if inner is None else inner * -1
    if isinstance(expr, OpExpr) and expr.op in ("+", "-", "*", "//", "**"):
        left, right = static_size(expr.left, api), static_size(expr.right, api)
        if left is None or right is None:
            return None
        if expr.op == "**":
            n = right.value
            return None if n is None or not 0 <= n <= 8 else product([left] * n)
        if expr.op == "+":
            return left + right
        if expr.op == "-":
            return left - right
        if expr.op == "*":
            return left * right
        return left.divide(right)
    if isinstance(expr, NameExpr | MemberExpr) and isinstance(expr.node, Var):
        value = expr.node.final_value
        if expr.node.is_final and type(value) is int:
            return Size.of(value)
    if isinstance(expr, IndexExpr) and isinstance(expr.base, MemberExpr):
        if expr.base.name == "shape" and isinstance(expr.index, IntExpr | UnaryExpr):
            k = static_size(expr.index, api)
            owner = internals.expression_type(api, expr.base.expr)
            if k is not None and k.value is not None and owner is not None:
                s = shape_of(owner)
                if s.exact and -len(s.head) <= k.value < len(s.head):
                    return s.head[k.value]
    if t is None:
        t = internals.expression_type(api, expr)
    if t is not None:
        v = literal_int(t)
        if v is not None:
            return Size.of(v)
    return None


def static_value(expr: Expression, api: CheckerPluginInterface) -> object:
    """A setting's value: an int (or a `Size` where it has names), a bool, None, a string, a
    tuple of those; `r.MISSING` where it is not a literal."""
    if isinstance(expr, NameExpr) and expr.fullname in ("builtins.True", "builtins.False"):
        return expr.fullname == "builtins.True"
    if isinstance(expr, NameExpr) and expr.fullname == "builtins.None":
        return None
    if isinstance(expr, StrExpr):
        return expr.value
    if isinstance(expr, TupleExpr | ListExpr):
        return tuple(static_value(e, api) for e in expr.items)
    if isinstance(expr, FloatExpr):
        return r.MISSING
    size = static_size(expr, api)
    if size is not None:
        return size.value if size.value is not None else size
    return r.MISSING


# ---------------------------------------------------------------------------------------------
# One call
# ---------------------------------------------------------------------------------------------


@dataclass
class Call:
    """One call, read through its hook's context: `where` names it in messages (`call to
    "sum"`, `operator "@"`)."""

    ctx: Ctx
    where: str
    names: Sequence[str | None]  # the formal parameters' names in messages, by position
    receiver: r.Arg = r.Arg("the array", UNKNOWN)  # a method's `self`

    def _formal(self, name: str | None, index: int) -> int | None:
        names = self.ctx.callee_arg_names
        if name is not None and name in names:
            return names.index(name)
        return index if 0 <= index < len(self.ctx.args) else None

    def given(self, name: str | None, index: int) -> bool:
        i = self._formal(name, index)
        return i is not None and bool(self.ctx.args[i])

    def is_none(self, name: str | None, index: int) -> bool:
        """Whether the argument given for a formal parameter is `None`."""
        i = self._formal(name, index)
        if i is None or len(self.ctx.arg_types[i]) != 1:
            return False
        return isinstance(get_proper_type(self.ctx.arg_types[i][0]), NoneType)

    def arg(self, name: str | None, index: int) -> r.Arg:
        """The array given for a formal parameter (by name, or position)."""
        i = self._formal(name, index)
        if i is None or len(self.ctx.arg_types[i]) != 1:
            return r.Arg(self.what(name, index), UNKNOWN)
        return r.Arg(self.what(name, index), shape_of(self.ctx.arg_types[i][0]))

    def what(self, name: str | None, index: int) -> str:
        given = self.names[index] if index < len(self.names) else None
        given = given or name
        return f'argument "{given}"' if given else f"argument {index + 1}"

    def value(self, name: str | None, index: int, default: object) -> object:
        """A setting's literal value; `default` where it is not given."""
        i = self._formal(name, index)
        if i is None or not self.ctx.args[i]:
            return default
        return static_value(self.ctx.args[i][0], self.ctx.api)

    def expression(self, name: str | None, index: int) -> Expression | None:
        i = self._formal(name, index)
        if i is None or len(self.ctx.args[i]) != 1:
            return None
        return self.ctx.args[i][0]

    def positional(self) -> list[Expression]:
        """The positional arguments as written, in order (`x.reshape(2, -1)`: two)."""
        out: list[Expression] = []
        for kinds, exprs in zip(self.ctx.arg_kinds, self.ctx.args, strict=True):
            for kind, e in zip(kinds, exprs, strict=True):
                if kind.is_star():
                    return []
                if kind.is_positional():
                    out.append(e)
        return out

    def all_sizes(self) -> object:
        """Sizes given as one tuple or as several arguments (`x.reshape((2, 3))` or
        `x.reshape(2, 3)`)."""
        exprs = self.positional()
        if not exprs:
            return r.MISSING
        if len(exprs) == 1 and isinstance(exprs[0], TupleExpr | ListExpr):
            exprs = exprs[0].items
        return tuple(static_size(e, self.ctx.api) for e in exprs)

    def sizes(self, name: str | None, index: int) -> object:
        """Sizes given as one tuple or int for a formal parameter (`reshape(x, (2, 3))`);
        sizes that are not literals are None."""
        e = self.expression(name, index)
        if e is None:
            return r.MISSING
        items = e.items if isinstance(e, TupleExpr | ListExpr) else [e]
        return tuple(static_size(x, self.ctx.api) for x in items)

    def arrays(self, name: str | None, index: int) -> list[r.Arg] | None:
        """The arrays of a list or tuple display given for a formal parameter (`xs[0]`,
        `xs[1]`, ...); None where they are not written out."""
        e = self.expression(name, index)
        if not isinstance(e, ListExpr | TupleExpr):
            return None
        label = self.names[index] if index < len(self.names) and self.names[index] else name
        return [self._array(f'argument "{label}[{k}]"', x) for k, x in enumerate(e.items)]

    def operands(self, first: int) -> list[r.Arg]:
        """The positional arguments from `first` on, as `operands[0]`, ... (einsum's)."""
        exprs = self.positional()[first:]
        return [self._array(f'argument "operands[{k}]"', e) for k, e in enumerate(exprs)]

    def _array(self, what: str, e: Expression) -> r.Arg:
        t = internals.expression_type(self.ctx.api, e)
        return r.Arg(what, UNKNOWN if t is None else shape_of(t))

    def index(self, name: str | None, position: int) -> object:
        """An index (`x[1, :, None]`) as the `getitem` rule reads it."""
        e = self.expression(name, position)
        if e is None:
            return r.MISSING
        items = e.items if isinstance(e, TupleExpr) else [e]
        return [self._index_item(i) for i in items]

    def _index_item(self, e: Expression) -> object:
        if isinstance(e, EllipsisExpr):
            return r.ELLIPSIS
        if isinstance(e, NameExpr) and e.fullname == "builtins.None":
            return r.NEWAXIS
        if isinstance(e, MemberExpr) and e.fullname == "numpy.newaxis":
            return r.NEWAXIS
        if isinstance(e, SliceExpr):
            parts = [
                None if p is None else static_value(p, self.ctx.api)
                for p in (e.begin_index, e.end_index, e.stride)
            ]
            return r.Slice(*parts)
        size = static_size(e, self.ctx.api)
        t = internals.expression_type(self.ctx.api, e)
        if size is not None and size.value is not None:
            if t is not None and shape_of(t, False).rank not in (0, None):
                return r.MISSING  # an array of indices
            return size.value
        if t is not None and _integer_array(t):
            shape = shape_of(t, False)
            if not shape.exact or shape.head:
                return r.IndexArray(shape)
        return r.MISSING


def _integer_array(t: Type) -> bool:
    """Whether `t` is a numpy array of integers (an index array, not a mask)."""
    a = array(t, False)
    if a is None or len(a.args) != 2:
        return False
    dtype = get_proper_type(a.args[1])
    if not isinstance(dtype, Instance) or not dtype.args:
        return False
    kind = get_proper_type(dtype.args[0])
    if isinstance(kind, Instance):
        return kind.type.has_base("numpy.integer")
    # `Int[np.ndarray, " 16"]`: numpy's type says no dtype, the jaxtyping hint does.
    return internals.hint_kind(a) in ("Int", "Integer", "UInt")


# ---------------------------------------------------------------------------------------------
# The rule of each kind of callee
# ---------------------------------------------------------------------------------------------

Rule = Callable[[Call], r.Outcome]


def _clip(c: Call, x: r.Arg, low: str, high: str, first: int) -> r.Outcome:
    """`clip`: `x` broadcast with the bounds that are given (a bound left out or None is
    none; an array bound may widen the result)."""
    bounds = [
        c.arg(name, first + k)
        for k, name in enumerate((low, high))
        if c.given(name, first + k) and not c.is_none(name, first + k)
    ]
    return r.broadcast(c.where, [x, *bounds])


def _same(x: str) -> Rule:
    """A numpy function that keeps its first argument's shape (`np.triu(m)`)."""
    return lambda c: r.same(c.where, c.arg(x, 0))


def _pair(rule: Callable[[str, r.Arg, r.Arg], r.Outcome], a: str, b: str) -> Rule:
    return lambda c: rule(c.where, c.arg(a, 0), c.arg(b, 1))


def _broadcast(*names: str) -> Rule:
    return lambda c: r.broadcast(c.where, [c.arg(n, i) for i, n in enumerate(names)])


def _reduction(x: str = "x", axis: str = "axis", keepdims: str = "keepdims") -> Rule:
    return lambda c: r.reduce(
        c.where, c.arg(x, 0), c.value(axis, 1, None), c.value(keepdims, 99, False)
    )


def _einsum(c: Call) -> r.Outcome:
    operands = c.operands(1)
    if not operands:
        return r.Outcome()
    return r.einsum(c.where, c.value("subscripts", 0, r.MISSING), operands)


def _join(new: bool, xs: str = "xs") -> Rule:
    return lambda c: r.join(c.where, c.arrays(xs, 0), c.value("axis", 1, 0), new)


def _reshape(c: Call) -> r.Outcome:
    return r.reshape(c.where, c.arg("x", 0), _as_sizes(c.sizes("shape", 1)))


def _as_sizes(v: object) -> object:
    if isinstance(v, tuple):
        return tuple(s if isinstance(s, Size) else r.MISSING for s in v)
    return v


OP_KINDS: dict[str, Rule] = {
    # typedprop.ops, by the class that gives each kind of op its signature.
    "typedprop.ops._elementwise.Elementwise": lambda c: r.same(c.where, c.arg("x", 0)),
    "typedprop.ops._elementwise.Clip": lambda c: _clip(c, c.arg("x", 0), "a_min", "a_max", 1),
    "typedprop.ops._elementwise.Sign": lambda c: r.same(c.where, c.arg("x", 0)),
    "typedprop.ops._linalg.Matmul": _pair(r.matmul, "a", "b"),
    "typedprop.ops._arithmetic.Binary": _broadcast("a", "b"),
    "typedprop.ops._nondifferentiable.Comparison": _broadcast("a", "b"),
    "typedprop.ops._indexing.Where": _broadcast("condition", "a", "b"),
    "typedprop.ops._linalg.Transpose": lambda c: r.transpose(
        c.where, c.arg("x", 0), c.value("axes", 1, None)
    ),
    "typedprop.ops._linalg.Dot": _pair(r.dot, "a", "b"),
    "typedprop.ops._linalg.Vdot": _pair(r.vdot, "a", "b"),
    "typedprop.ops._linalg.Outer": _pair(r.outer, "a", "b"),
    "typedprop.ops._linalg.Solve": _pair(r.solve, "a", "b"),
    "typedprop.ops._linalg.Inv": lambda c: r.square(c.where, c.arg("a", 0)),
    "typedprop.ops._linalg.Cholesky": lambda c: r.square(c.where, c.arg("a", 0)),
    "typedprop.ops._linalg.Slogdet": lambda c: r.square(c.where, c.arg("a", 0), keep=False),
    "typedprop.ops._linalg.Trace": lambda c: r.trace(
        c.where, c.arg("x", 0), c.value("axis1", 2, 0), c.value("axis2", 3, 1)
    ),
    "typedprop.ops._linalg.Einsum": _einsum,
    "typedprop.ops._reductions.AlongAxis": lambda c: r.along(
        c.where, c.arg("x", 0), c.value("axis", 1, -1)
    ),
    "typedprop.ops._reductions.Reduction": _reduction(),
    "typedprop.ops._nondifferentiable.ArgReduce": _reduction(),
    "typedprop.ops._shape.Reshape": _reshape,
    "typedprop.ops._shape.Ravel": lambda c: r.ravel(c.where, c.arg("x", 0)),
    "typedprop.ops._shape.Squeeze": lambda c: r.squeeze(
        c.where, c.arg("x", 0), c.value("axis", 1, None)
    ),
    "typedprop.ops._shape.ExpandDims": lambda c: r.expand_dims(
        c.where, c.arg("x", 0), c.value("axis", 1, r.MISSING)
    ),
    "typedprop.ops._shape.Concatenate": _join(False),
    "typedprop.ops._shape.Stack": _join(True),
    "typedprop.ops._shape.Split": lambda c: r.split(
        c.where, c.arg("x", 0), c.value("indices_or_sections", 1, r.MISSING), c.value("axis", 2, 0)
    ),
    "typedprop.ops._shape.BroadcastTo": lambda c: r.broadcast_to(
        c.where, c.arg("x", 0), _as_sizes(c.sizes("shape", 1))
    ),
    "typedprop.ops._shape.Repeat": lambda c: r.repeat(
        c.where, c.arg("x", 0), c.value("repeats", 1, r.MISSING), c.value("axis", 2, None)
    ),
    "typedprop.ops._shape.Tile": lambda c: r.tile(
        c.where, c.arg("x", 0), c.value("reps", 1, r.MISSING)
    ),
    "typedprop.ops._shape.Pad": lambda c: r.pad(
        c.where, c.arg("x", 0), c.value("pad_width", 1, r.MISSING)
    ),
    "typedprop.ops._indexing.GetItem": lambda c: r.getitem(
        c.where, c.arg("x", 0), c.index("key", 1)
    ),
    "typedprop.ops._indexing.Take": lambda c: r.take(
        c.where, c.arg("x", 0), c.arg("indices", 1).shape, c.value("axis", 2, None)
    ),
    "typedprop.ops._losses.Loss": _pair(r.same_shapes, "a", "b"),
    "typedprop.ops._losses.IntegerLabelsCrossEntropy": _pair(r.labels, "logits", "labels"),
}
"""The rule of each kind of typedprop op. `matvec` and `linear` are not here: their jaxtyping
hints are their rule (see `hooks._op_hook`)."""

OP_NAMES: dict[str, Sequence[str]] = {
    "typedprop.ops._losses.SquaredError": ("pred", "target"),
    "typedprop.ops._losses.MeanSquaredError": ("pred", "target"),
    "typedprop.ops._losses.SoftmaxCrossEntropy": ("logits", "targets"),
    "typedprop.ops._losses.SigmoidBinaryCrossEntropy": ("logits", "targets"),
}
"""Argument names of ops whose typed signature has positional names that the runtime does not
use (the runtime's messages name the `forward` arguments)."""


NUMPY_FUNCTIONS: dict[str, Rule] = {
    "numpy.matmul": _pair(r.matmul, "x1", "x2"),
    **{
        f"numpy.{name}": _same(first)
        for name, first in (
            ("triu", "m"),
            ("tril", "m"),
            ("copy", "a"),
            ("asarray", "a"),
            ("ascontiguousarray", "a"),
            ("nan_to_num", "x"),
            ("round", "a"),
            ("around", "a"),
            ("flip", "m"),
            ("fliplr", "m"),
            ("flipud", "m"),
            ("roll", "a"),
        )
    },
    "numpy.split": lambda c: r.split(
        c.where,
        c.arg("ary", 0),
        c.value("indices_or_sections", 1, r.MISSING),
        c.value("axis", 2, 0),
    ),
    "numpy.linalg.solve": _pair(r.solve, "a", "b"),
    "numpy.linalg.inv": lambda c: r.square(c.where, c.arg("a", 0)),
    "numpy.linalg.cholesky": lambda c: r.square(c.where, c.arg("a", 0)),
    "numpy.dot": _pair(r.dot, "a", "b"),
    "numpy.vdot": _pair(r.vdot, "a", "b"),
    "numpy.outer": _pair(r.outer, "a", "b"),
    "numpy.einsum": _einsum,
    "numpy.concatenate": _join(False, "arrays"),
    "numpy.stack": _join(True, "arrays"),
    "numpy.reshape": lambda c: r.reshape(
        c.where,
        c.arg("a", 0),
        _as_sizes(c.sizes("shape", 1) if c.given("shape", 1) else c.sizes("newshape", 1)),
    ),
    "numpy.transpose": lambda c: r.transpose(c.where, c.arg("a", 0), c.value("axes", 1, None)),
    "numpy.swapaxes": lambda c: r.swapaxes(
        c.where, c.arg("a", 0), c.value("axis1", 1, r.MISSING), c.value("axis2", 2, r.MISSING)
    ),
    "numpy.expand_dims": lambda c: r.expand_dims(
        c.where, c.arg("a", 0), c.value("axis", 1, r.MISSING)
    ),
    "numpy.squeeze": lambda c: r.squeeze(c.where, c.arg("a", 0), c.value("axis", 1, None)),
    "numpy.ravel": lambda c: r.ravel(c.where, c.arg("a", 0)),
    "numpy.pad": lambda c: r.pad(c.where, c.arg("array", 0), c.value("pad_width", 1, r.MISSING)),
    "numpy.tile": lambda c: r.tile(c.where, c.arg("A", 0), c.value("reps", 1, r.MISSING)),
    "numpy.repeat": lambda c: r.repeat(
        c.where, c.arg("a", 0), c.value("repeats", 1, r.MISSING), c.value("axis", 2, None)
    ),
    "numpy.sum": _reduction("a"),
    "numpy.mean": _reduction("a"),
    "numpy.max": _reduction("a"),
    "numpy.min": _reduction("a"),
    "numpy.amax": _reduction("a"),
    "numpy.amin": _reduction("a"),
    "numpy.prod": _reduction("a"),
    "numpy.std": _reduction("a"),
    "numpy.var": _reduction("a"),
    "numpy.add": _broadcast("x1", "x2"),
    "numpy.subtract": _broadcast("x1", "x2"),
    "numpy.multiply": _broadcast("x1", "x2"),
    "numpy.divide": _broadcast("x1", "x2"),
    "numpy.maximum": _broadcast("x1", "x2"),
    "numpy.minimum": _broadcast("x1", "x2"),
    "numpy.where": _broadcast("condition", "x", "y"),
    "numpy.clip": lambda c: _clip(c, c.arg("a", 0), "a_min", "a_max", 1),
    # numpy's elementwise ufuncs: one argument keeps its shape, two broadcast.
    **{
        f"numpy.{name}": _same("x")
        for name in (
            "tanh exp log abs sqrt sin cos tan arcsin arccos arctan sinh cosh arctanh square "
            "log1p expm1 log2 log10 exp2 negative positive reciprocal sign floor ceil rint "
            "trunc cbrt fabs absolute isnan isinf isfinite logical_not"
        ).split()
    },
    **{
        f"numpy.{name}": _broadcast("x1", "x2")
        for name in (
            "power float_power mod remainder fmod hypot arctan2 fmax fmin logaddexp "
            "true_divide floor_divide greater greater_equal less less_equal equal not_equal "
            "logical_and logical_or logical_xor"
        ).split()
    },
}
"""numpy's functions with a rule; the others are gradual."""


def _method(rule: Callable[[Call, r.Arg], r.Outcome]) -> Rule:
    return lambda c: rule(c, c.receiver)


def _method_reshape(c: Call, x: r.Arg) -> r.Outcome:
    return r.reshape(c.where, x, _as_sizes(c.all_sizes()))


def _method_transpose(c: Call, x: r.Arg) -> r.Outcome:
    if not c.positional():
        return r.transpose(c.where, x, None)
    axes = c.all_sizes()
    if not isinstance(axes, tuple):
        return r.transpose(c.where, x, r.MISSING)
    values = tuple(s.value if isinstance(s, Size) else None for s in axes)
    return r.transpose(c.where, x, values if None not in values else r.MISSING)


def _method_reduce(c: Call, x: r.Arg) -> r.Outcome:
    return r.reduce(c.where, x, c.value("axis", 0, None), c.value("keepdims", 99, False))


METHODS: dict[str, Rule] = {
    "reshape": _method(_method_reshape),
    "transpose": _method(_method_transpose),
    "ravel": _method(lambda c, x: r.ravel(c.where, x)),
    "flatten": _method(lambda c, x: r.ravel(c.where, x)),
    "squeeze": _method(lambda c, x: r.squeeze(c.where, x, c.value("axis", 0, None))),
    "swapaxes": _method(
        lambda c, x: r.swapaxes(
            c.where, x, c.value("axis1", 0, r.MISSING), c.value("axis2", 1, r.MISSING)
        )
    ),
    "sum": _method(_method_reduce),
    "mean": _method(_method_reduce),
    "max": _method(_method_reduce),
    "min": _method(_method_reduce),
    "prod": _method(_method_reduce),
    "std": _method(_method_reduce),
    "var": _method(_method_reduce),
    "argmax": _method(_method_reduce),
    "argmin": _method(_method_reduce),
    "clip": _method(lambda c, x: _clip(c, x, "min", "max", 0)),
    "astype": _method(lambda c, x: r.same(c.where, x)),
    "copy": _method(lambda c, x: r.same(c.where, x)),
    "__getitem__": _method(lambda c, x: r.getitem(c.where, x, c.index("key", 0))),
}
"""The rules of ndarray's and BVar's methods, by name (the receiver is the array)."""

OPERATORS: dict[str, tuple[str, str, bool]] = {
    # method: (operator, rule kind, reflected)
    "__add__": ("+", "broadcast", False),
    "__radd__": ("+", "broadcast", True),
    "__sub__": ("-", "broadcast", False),
    "__rsub__": ("-", "broadcast", True),
    "__mul__": ("*", "broadcast", False),
    "__rmul__": ("*", "broadcast", True),
    "__truediv__": ("/", "broadcast", False),
    "__rtruediv__": ("/", "broadcast", True),
    "__floordiv__": ("//", "broadcast", False),
    "__pow__": ("**", "broadcast", False),
    "__rpow__": ("**", "broadcast", True),
    "__matmul__": ("@", "matmul", False),
    "__rmatmul__": ("@", "matmul", True),
    "__lt__": ("<", "broadcast", False),
    "__le__": ("<=", "broadcast", False),
    "__gt__": (">", "broadcast", False),
    "__ge__": (">=", "broadcast", False),
    "__iadd__": ("+=", "in place", False),
    "__isub__": ("-=", "in place", False),
    "__imul__": ("*=", "in place", False),
    "__itruediv__": ("/=", "in place", False),
    "__ipow__": ("**=", "in place", False),
    "__neg__": ("-", "same", False),
    "__pos__": ("+", "same", False),
    "__abs__": ("abs", "same", False),
}
"""BVar's and ndarray's operators."""


def operator(c: Call, method: str, receiver: r.Arg) -> r.Outcome:
    """The rule of an operator: the receiver and the other operand, in the written order."""
    _, kind, reflected = OPERATORS[method]
    if kind == "same":
        return r.same(c.where, r.Arg("the operand", receiver.shape))
    other = c.arg(None, 0)
    left = r.Arg("left operand", (other if reflected else receiver).shape)
    right = r.Arg("right operand", (receiver if reflected else other).shape)
    if kind == "matmul":
        return r.matmul(c.where, left, right)
    if kind == "in place":
        return r.in_place(c.where, left, right)
    return r.broadcast(c.where, [left, right])


def op_rule(mro: Sequence[str]) -> Rule | None:
    """The rule of an op class, from its classes (most derived first)."""
    for name in mro:
        if name in OP_KINDS:
            return OP_KINDS[name]
    return None


__all__ = ["METHODS", "NUMPY_FUNCTIONS", "OPERATORS", "OP_KINDS", "Call", "op_rule", "operator"]
