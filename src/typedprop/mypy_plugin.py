"""typedprop's mypy plugin: jaxtyping dimensions checked statically, per call.

Turn it on in the mypy configuration:

```ini
[mypy]
plugins = typedprop.mypy_plugin
```

Out of the box mypy reads `Float[Mat, "m n"]` as plain `Mat` and checks no dimension. With this
plugin, the jaxtyping strings are checked by mypy wherever jaxtyping and beartype check them at run
time with the dimension names bound across a call:

- calls of typedprop `Op`s whose type parameters are jaxtyping hints (`ops.matvec`,
  `ops.linear`, your own `Op` subclasses), on BVars or on plain arrays;
- calls of functions and methods decorated with `typedprop.shapecheck` (`__call__` included),
  and the `return` statements in their bodies.

Within one call, a dimension name means one size and a fixed size must match. The sizes come
from the arguments' static types: `typedprop.zeros(32, 784)`, `typedprop.ones` and
`typedprop.normal` give arrays typed `ndarray[tuple[Literal[32], Literal[784]], ...]` (literal
sizes and `Final` integer constants); an annotation or cast with fixed sizes
(`Float[Mat, "32 784"]`) gives its sizes; and a checked call's result carries the sizes it binds
(`matvec(w, x)` is a vector of `m`'s size). A mismatch reads (one line)

    Dimension mismatch in call to "matvec": dimension n: 784 (argument "x", axis 0)
    vs 128 (argument "w", axis 1)  [dim-mismatch]

Gradual by construction: the plugin never changes what mypy accepts for an array whose sizes it
does not know (plain `np.ndarray`, a numpy result, a named dimension of an enclosing function),
and it reports only definite contradictions between known sizes. Variadic axes (`*batch`,
`...`), broadcastable (`#n`), anonymous (`_`) and symbolic (`n+1`) dimensions are left to the
runtime check.

How it works (mypy 2.4's plugin API; see the README's section on static shapes):

1. A type-analysis hook on `typing.Annotated` (jaxtyping's static aliases are `Annotated`)
   analyzes the jaxtyping hint exactly as mypy would, and attaches the shape string to the
   resulting `ndarray` instance as an invisible extra attribute, which mypy's cache keeps. mypy's
   own checks see the same types as without the plugin.
2. mypy drops `Annotated`'s arguments from base class expressions before that hook, so a
   base-class hook on `Op` reads the shape strings of `class MatVec(Op[Float[...], ...])` from
   the expression and keeps them in the class's metadata; a hook on `op1`/`op2`/`op3` copies
   them from the function's hints to the op's type.
3. Return-type hooks on the calls above bind the dimensions of the parameters' hints to the
   arguments' known sizes, report contradictions with the error code `dim-mismatch`, and give
   the result literal sizes where the output's dimensions are bound.
4. A hook on `typedprop.shapecheck` marks the decorated signature (again an invisible extra
   attribute) and checks the body's `return` statements, type-checking the body first where
   mypy would do so later (see `_check_body_now`).
5. Hooks on the functions typed as keeping their argument's type while they move axes
   (`.T`, `transpose`, `swapaxes`, ...) reverse or forget the sizes, so that no stale size
   reaches a check.

Internal: users name it in their mypy configuration only.
"""

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from mypy.errorcodes import ErrorCode
from mypy.nodes import (
    ARG_POS,
    Block,
    CallExpr,
    Context,
    Decorator,
    Expression,
    ForStmt,
    FuncDef,
    IfStmt,
    IndexExpr,
    MatchStmt,
    MemberExpr,
    NameExpr,
    ReturnStmt,
    Statement,
    StrExpr,
    TryStmt,
    TupleExpr,
    TypeInfo,
    Var,
    WhileStmt,
    WithStmt,
)
from mypy.plugin import (
    AnalyzeTypeContext,
    AttributeContext,
    CheckerPluginInterface,
    ClassDefContext,
    FunctionContext,
    MethodContext,
    Plugin,
)
from mypy.types import (
    AnyType,
    CallableType,
    ExtraAttrs,
    Instance,
    LiteralType,
    ProperType,
    RawExpressionType,
    TupleType,
    Type,
    TypeOfAny,
    UnboundType,
    UnpackType,
    get_proper_type,
)

DIM_MISMATCH = ErrorCode(
    "dim-mismatch",
    "Check that the jaxtyping dimensions of a call agree (typedprop.mypy_plugin)",
    "General",
)

_DIMS = "__typedprop_dims__"
"""The extra attribute of an array type that holds its jaxtyping shape string."""
_CHECKED = "__typedprop_shapecheck__"
"""The extra attribute of a `shapecheck`-decorated function's fallback type."""

_METADATA = "typedprop"
"""The key of typedprop's data in a class's metadata (which mypy's cache keeps)."""
_OP = "typedprop._core.op.Op"
_BVAR = "typedprop._core.bvar.BVar"
_NDARRAY = "numpy.ndarray"
_SHAPECHECK = "typedprop._static.shapecheck.shapecheck"
_CONSTRUCTORS = frozenset(
    f"typedprop._static.constructors.{name}" for name in ("zeros", "ones", "normal")
)
_OP_MAKERS = frozenset(f"typedprop._core.op.op{n}" for n in (1, 2, 3))
_TRANSPOSE = "typedprop.ops._linalg.transpose"
_METHOD_MOVES = frozenset(
    ("numpy.ndarray.transpose", "numpy.ndarray.swapaxes", f"{_BVAR}.transpose")
)
_NUMPY_MOVES = frozenset(
    "swapaxes rollaxis moveaxis rot90 delete insert append zeros_like ones_like full_like "
    "empty_like".split()
)
_ANNOTATED = frozenset(("typing.Annotated", "typing_extensions.Annotated"))

# jaxtyping's dtype-kind names, all `Annotated` for type checkers (jaxtyping/_indirection.py).
_JAXTYPING_NAMES = frozenset(
    (
        "BFloat16 Bool Complex Complex64 Complex128 Float Float8e4m3b11fnuz Float8e4m3fn "
        "Float8e4m3fnuz Float8e5m2 Float8e5m2fnuz Float16 Float32 Float64 Inexact Int Int2 "
        "Int4 Int8 Int16 Int32 Int64 Integer Key Num Real Shaped UInt UInt2 UInt4 UInt8 UInt16 "
        "UInt32 UInt64"
    ).split()
)


# ---------------------------------------------------------------------------------------------
# Shape strings and static shapes
# ---------------------------------------------------------------------------------------------

Dim = str | int | None
"""One axis of a hint: a dimension name, a fixed size, or None for an axis checked only at run
time (anonymous `_`, broadcastable `#n`, tree-path `?n`, symbolic `n+1`)."""


@dataclass(frozen=True)
class Spec:
    """A parsed jaxtyping shape string: the axes before a variadic part (all of them when there
    is none), and those after it."""

    head: tuple[Dim, ...]
    tail: tuple[Dim, ...]
    variadic: str | None  # the name of `*name`; "" for `...` or `*_`; None: no variadic part
    text: str


_SPECS: dict[str, Spec | None] = {}


def parse_spec(text: str) -> Spec | None:
    """`text` (a jaxtyping shape string) parsed, or None where jaxtyping would refuse it."""
    if text in _SPECS:
        return _SPECS[text]
    head: list[Dim] = []
    tail: list[Dim] = []
    variadic: str | None = None
    spec: Spec | None
    try:
        for token in text.split():
            dim, star = _parse_dim(token)
            if star is not None:
                if variadic is not None:
                    raise ValueError(text)
                variadic = star
            elif variadic is None:
                head.append(dim)
            else:
                tail.append(dim)
        spec = Spec(tuple(head), tuple(tail), variadic, text)
    except ValueError:
        spec = None
    _SPECS[text] = spec
    return spec


def _parse_dim(token: str) -> tuple[Dim, str | None]:
    """One token of a shape string: (its dimension, None), or (None, its variadic name)."""
    if token == "...":
        return None, ""
    broadcast = star = anonymous = treepath = False
    while token:
        first = token[0]
        if first == "#":
            broadcast = True
        elif first == "*":
            star = True
        elif first == "_":
            anonymous = True
        elif first == "?":
            treepath = True
        elif token.count("=") == 1:  # `rows=3`: another way to write 3
            token = token.split("=")[1]
            continue
        else:
            break
        token = token[1:]
    if star:
        return None, "" if anonymous or treepath or not token.isidentifier() else token
    if broadcast or anonymous or treepath or not token:
        return None, None
    if token.isidentifier():
        return token, None
    if token.isdigit():
        return int(token), None
    return None, None  # symbolic: evaluated at run time


@dataclass(frozen=True)
class Shape:
    """What mypy knows of an array's shape: each axis's size where known. With `exact`, `head`
    holds every axis; otherwise the rank is unknown, `head` holds the first axes and `tail` the
    last ones."""

    head: tuple[int | None, ...]
    tail: tuple[int | None, ...]
    exact: bool

    def known(self) -> bool:
        return any(s is not None for s in self.head + self.tail)


_UNKNOWN = Shape((), (), False)


def _literal_int(t: Type) -> int | None:
    """The value of `Literal[k]` or of an int known to be `k` (a `Final` constant), else None."""
    p = get_proper_type(t)
    if isinstance(p, Instance) and p.last_known_value is not None:
        p = p.last_known_value
    if isinstance(p, LiteralType) and type(p.value) is int:
        return p.value
    return None


def _spec_of(t: Instance) -> Spec | None:
    """The shape string attached to an array type by the `Annotated` hook, parsed."""
    extra = t.extra_attrs
    if extra is None:
        return None
    text = extra.attrs.get(_DIMS)
    if not isinstance(text, LiteralType) or not isinstance(text.value, str):
        return None
    return parse_spec(text.value)


def _array(t: Type, unwrap_bvar: bool) -> Instance | None:
    """`t` as an ndarray instance (the value of a BVar with `unwrap_bvar`), or None."""
    p = get_proper_type(t)
    if not isinstance(p, Instance):
        return None
    if unwrap_bvar and p.type.fullname == _BVAR and p.args:
        p = get_proper_type(p.args[0])
        if not isinstance(p, Instance):
            return None
    if p.type.fullname == _NDARRAY:
        return p
    if p.type.has_base(_NDARRAY):
        # Imported here: importing mypy.maptype before mypy.types is a circular import.
        from mypy.maptype import map_instance_to_supertype

        for base in p.type.mro:
            if base.fullname == _NDARRAY:
                mapped = map_instance_to_supertype(p, base)
                mapped.extra_attrs = p.extra_attrs
                return mapped
    return None


def shape_of(t: Type, unwrap_bvar: bool = True) -> Shape:
    """The static shape of a value of type `t`: literal sizes in numpy's shape type, and the fixed
    sizes of a jaxtyping hint that typed it."""
    arr = _array(t, unwrap_bvar)
    if arr is None:
        return _UNKNOWN
    shape = _UNKNOWN
    if arr.args:
        st = get_proper_type(arr.args[0])
        if isinstance(st, TupleType) and not any(isinstance(i, UnpackType) for i in st.items):
            shape = Shape(tuple(_literal_int(i) for i in st.items), (), True)
    spec = _spec_of(arr)
    if spec is None:
        return shape

    def fixed(dims: tuple[Dim, ...]) -> tuple[int | None, ...]:
        return tuple(d if isinstance(d, int) else None for d in dims)

    def merge(a: tuple[int | None, ...], b: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return tuple(x if x is not None else y for x, y in zip(a, b, strict=True))

    if spec.variadic is None:
        if shape.exact and len(shape.head) != len(spec.head):
            return shape  # the hint contradicts the type's rank: trust neither more
        base = shape.head if shape.exact else (None,) * len(spec.head)
        return Shape(merge(base, fixed(spec.head)), (), True)
    if shape.exact:
        n, h, t_ = len(shape.head), len(spec.head), len(spec.tail)
        if n < h + t_:
            return shape
        sizes = list(shape.head)
        sizes[:h] = merge(tuple(sizes[:h]), fixed(spec.head))
        sizes[n - t_ :] = merge(tuple(sizes[n - t_ :]), fixed(spec.tail))
        return Shape(tuple(sizes), (), True)
    return Shape(fixed(spec.head), fixed(spec.tail), False)


# ---------------------------------------------------------------------------------------------
# Binding the dimensions of one call
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    """An axis of a value in a call: `argument "x", axis 0`."""

    what: str
    axis: int

    def __str__(self) -> str:
        return f"{self.what}, axis {self.axis}"


@dataclass
class Binding:
    """The sizes that one call binds: each dimension name's first known size and where it came
    from, and each variadic name's sizes (None once two values disagree or one is unknown)."""

    sizes: dict[str, tuple[int, Where]]
    variadic: dict[str, tuple[int | None, ...] | None]

    def size(self, dim: Dim) -> int | None:
        if isinstance(dim, int):
            return dim
        if isinstance(dim, str) and dim in self.sizes:
            return self.sizes[dim][0]
        return None


def _axes(spec: Spec, shape: Shape) -> Iterator[tuple[Dim, int | None, int]]:
    """(dimension, known size, axis) for each axis of `spec` matched against `shape`; nothing
    where the ranks cannot agree (mypy or the runtime says so)."""
    h, t = len(spec.head), len(spec.tail)
    if shape.exact:
        n = len(shape.head)
        if (spec.variadic is None and n != h) or n < h + t:
            return
        for i, d in enumerate(spec.head):
            yield d, shape.head[i], i
        for j, d in enumerate(spec.tail):
            yield d, shape.head[n - t + j], n - t + j
        return
    for i, d in enumerate(spec.head):
        size = shape.head[i] if i < len(shape.head) else None
        if size is None and spec.variadic is None and h - i <= len(shape.tail):
            size = shape.tail[i - h]  # the hint fixes the rank: count from the end too
        yield d, size, i
    for j, d in enumerate(spec.tail):
        k = j - t  # the axis, counted from the end
        yield d, shape.tail[k] if -k <= len(shape.tail) else None, k


def bind(
    params: Sequence[tuple[str, Spec, Shape]], where: str, api: CheckerPluginInterface, ctx: Context
) -> Binding:
    """Bind the dimensions of `params` ((`argument "x"`, hint, argument's shape) in call order),
    reporting each contradiction once per dimension at `ctx`."""
    binding = Binding({}, {})
    reported: set[Dim] = set()
    for what, spec, shape in params:
        for dim, size, axis in _axes(spec, shape):
            if size is None or dim is None or dim in reported:
                continue
            if isinstance(dim, int):
                if size != dim:
                    reported.add(dim)
                    api.fail(
                        f"Dimension mismatch in {where}: axis {axis} of {what} is {size}, "
                        f"but its hint fixes it to {dim}",
                        ctx,
                        code=DIM_MISMATCH,
                    )
                continue
            bound = binding.sizes.get(dim)
            if bound is None:
                binding.sizes[dim] = (size, Where(what, axis))
            elif bound[0] != size:
                reported.add(dim)
                api.fail(
                    f"Dimension mismatch in {where}: dimension {dim}: {size} "
                    f"({Where(what, axis)}) vs {bound[0]} ({bound[1]})",
                    ctx,
                    code=DIM_MISMATCH,
                )
        if spec.variadic:
            n = len(shape.head)
            middle = (
                shape.head[len(spec.head) : n - len(spec.tail)]
                if shape.exact and n >= len(spec.head) + len(spec.tail)
                else None
            )
            if spec.variadic not in binding.variadic:
                binding.variadic[spec.variadic] = middle
            elif binding.variadic[spec.variadic] != middle:
                binding.variadic[spec.variadic] = None  # left to the runtime
    return binding


def output_sizes(spec: Spec, binding: Binding) -> list[int | None] | None:
    """The output's size per axis under `binding`, or None where its rank is not known."""
    middle: tuple[int | None, ...] | None = ()
    if spec.variadic is not None:
        middle = binding.variadic.get(spec.variadic) if spec.variadic else None
    if middle is None:
        return None
    dims = [binding.size(d) for d in spec.head]
    dims += list(middle)
    dims += [binding.size(d) for d in spec.tail]
    return dims


def _with_sizes(
    t: Type, sizes: list[int | None], api: CheckerPluginInterface, unwrap_bvar: bool
) -> Type:
    """`t` (an array type, or a BVar of one with `unwrap_bvar`) with numpy's shape type holding
    `sizes` (`Literal[k]` where known); `t` unchanged where that would contradict its rank."""
    p = get_proper_type(t)
    if not isinstance(p, Instance):
        return t
    if unwrap_bvar and p.type.fullname == _BVAR and p.args:
        inner = _with_sizes(p.args[0], sizes, api, False)
        return t if inner is p.args[0] else p.copy_modified(args=[inner])
    if p.type.fullname != _NDARRAY or len(p.args) != 2 or not any(s is not None for s in sizes):
        return t
    old = get_proper_type(p.args[0])
    if isinstance(old, TupleType) and len(old.items) != len(sizes):
        return t
    if not (isinstance(old, TupleType | AnyType) or _is_tuple_any(old)):
        return t
    int_type = api.named_generic_type("builtins.int", [])
    items: list[Type] = [
        int_type if s is None else LiteralType(s, fallback=int_type) for s in sizes
    ]
    fallback = api.named_generic_type("builtins.tuple", [int_type])
    result = p.copy_modified(args=[TupleType(items, fallback), p.args[1]])
    result.extra_attrs = None  # the callee's dimension names mean nothing here
    return result


def _is_tuple_any(t: ProperType) -> bool:
    return isinstance(t, Instance) and t.type.fullname == "builtins.tuple"


# ---------------------------------------------------------------------------------------------
# The hooks
# ---------------------------------------------------------------------------------------------


def _annotated_hook(ctx: AnalyzeTypeContext) -> Type:
    """`Annotated[...]` analyzed as mypy does, with a jaxtyping shape string attached to the
    array type it annotates."""
    t = ctx.type
    analyze = getattr(ctx.api, "try_analyze_special_unbound_type", None)
    result: Type | None = None
    if analyze is not None:
        result = analyze(t, "typing.Annotated")
    if result is None:  # an API change: mypy's documented part only
        if len(t.args) < 2:
            return AnyType(TypeOfAny.from_error)
        result = ctx.api.analyze_type(t.args[0])
    if len(t.args) != 2 or t.name.rsplit(".", 1)[-1] not in _JAXTYPING_NAMES:
        return result
    try:
        return _with_shape_string(result, t.args[1], ctx)
    except Exception:
        if os.environ.get("TYPEDPROP_PLUGIN_STRICT", "") not in ("", "0"):
            raise
        return result  # see _guarded


def _with_shape_string(result: Type, arg: Type, ctx: AnalyzeTypeContext) -> Type:
    """`result` (an analyzed array type) with the shape string `arg` attached."""
    text = _string_argument(arg)
    if text is None or parse_spec(text) is None:
        return result
    proper = get_proper_type(result)
    if not isinstance(proper, Instance):
        return result
    marked = proper.copy_modified()
    marked.extra_attrs = ExtraAttrs(
        {_DIMS: LiteralType(text, fallback=ctx.api.named_type("builtins.str", []))}, {_DIMS}
    )
    return marked


def _string_argument(arg: Type) -> str | None:
    """A string argument of `Annotated`: a raw string, or a one-word string that mypy parsed as
    a forward reference."""
    if isinstance(arg, RawExpressionType) and isinstance(arg.literal_value, str):
        return arg.literal_value
    if isinstance(arg, UnboundType) and arg.original_str_expr is not None:
        return arg.original_str_expr
    return None


def _constructor_hook(ctx: FunctionContext) -> Type:
    """`typedprop.zeros(32, 784)` and friends: an array typed with the literal sizes."""
    sizes: list[int | None] = []
    for kinds, types in zip(ctx.arg_kinds, ctx.arg_types, strict=True):
        for kind, t in zip(kinds, types, strict=True):
            if kind == ARG_POS:
                sizes.append(_literal_int(t))
            elif kind.is_star():
                return ctx.default_return_type  # unpacked sizes: rank unknown
    return _with_sizes(ctx.default_return_type, sizes, ctx.api, False)


def _callee_name(ctx: FunctionContext | MethodContext, fallback: str) -> str:
    """The name a call was written with: `matvec` for `ops.matvec(w, x)`."""
    call = ctx.context
    if isinstance(call, CallExpr):
        callee = call.callee
        if isinstance(callee, NameExpr | MemberExpr):
            return callee.name
    return fallback


def _params(
    names: Sequence[str | None],
    specs: Sequence[Spec | None],
    arg_types: Sequence[Sequence[Type]],
    unwrap_bvar: bool,
) -> list[tuple[str, Spec, Shape]]:
    params: list[tuple[str, Spec, Shape]] = []
    for i, (spec, types) in enumerate(zip(specs, arg_types, strict=False)):
        if spec is None or len(types) != 1:
            continue
        shape = shape_of(types[0], unwrap_bvar)
        name = names[i] if i < len(names) else None
        params.append((f'argument "{name}"' if name else f"argument {i + 1}", spec, shape))
    return params


def _hint_spec(t: Type, unwrap_bvar: bool = True) -> Spec | None:
    arr = _array(t, unwrap_bvar)
    return None if arr is None else _spec_of(arr)


def _check_call(
    ctx: FunctionContext | MethodContext,
    where: str,
    names: Sequence[str | None],
    specs: Sequence[Spec | None],
    out: Spec | None,
) -> Type:
    params = _params(names, specs, ctx.arg_types, True)
    if not any(shape.known() for _, _, shape in params) and (out is None or not _fixed(out)):
        return ctx.default_return_type
    binding = bind(params, where, ctx.api, ctx.context)
    if out is None:
        return ctx.default_return_type
    sizes = output_sizes(out, binding)
    if sizes is None:
        return ctx.default_return_type
    return _with_sizes(ctx.default_return_type, sizes, ctx.api, True)


def _fixed(spec: Spec) -> bool:
    return any(isinstance(d, int) for d in spec.head + spec.tail)


# -- ops -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _OpInfo:
    """What the plugin needs of an `Op` subclass: its `forward`'s argument names, and the
    shapes of its type parameters (inputs, then output) where its class statement wrote them;
    None: read them from the op's static type at each call (an op made by `op1`, or a value
    annotated `Op[Float[...], ...]`)."""

    op: TypeInfo
    names: tuple[str | None, ...]
    specs: tuple[Spec | None, ...] | None


def _op_base_hook(ctx: ClassDefContext) -> None:
    """A class deriving from `Op[...]`: keep the shape strings of its type parameters in the
    class's metadata (mypy drops `Annotated`'s arguments from base class expressions before any
    type-analysis hook sees them, so they are read from the expression here)."""
    try:
        _keep_op_dims(ctx)
    except Exception:
        if os.environ.get("TYPEDPROP_PLUGIN_STRICT", "") not in ("", "0"):
            raise  # see _guarded


def _keep_op_dims(ctx: ClassDefContext) -> None:
    base = ctx.reason
    if not isinstance(base, IndexExpr):
        return
    items = base.index.items if isinstance(base.index, TupleExpr) else [base.index]
    dims = [_expr_spec(item) for item in items]
    if any(d is not None for d in dims):
        ctx.cls.info.metadata[_METADATA] = {"op_dims": dims}


def _expr_spec(expr: Expression) -> str | None:
    """The shape string of a jaxtyping hint written as an expression, `Float[Mat, "m n"]`."""
    if not isinstance(expr, IndexExpr) or not isinstance(expr.base, NameExpr | MemberExpr):
        return None
    if expr.base.name not in _JAXTYPING_NAMES:
        return None
    index = expr.index
    if not isinstance(index, TupleExpr) or len(index.items) != 2:
        return None
    text = index.items[1]
    if not isinstance(text, StrExpr) or parse_spec(text.value) is None:
        return None
    return text.value


def _op_info(info: TypeInfo) -> _OpInfo | None:
    """The argument names and type parameter shapes of an `Op` subclass."""
    op = next((cls for cls in info.mro if cls.fullname == _OP), None)
    if op is None:
        return None
    specs: tuple[Spec | None, ...] | None = None
    for cls in info.mro:
        data = cls.metadata.get(_METADATA)
        if data is not None and isinstance(data.get("op_dims"), list):
            specs = tuple(None if d is None else parse_spec(d) for d in data["op_dims"])
            break
    names: tuple[str | None, ...] = ()
    node = info.get_method("forward")
    forward = node.func if isinstance(node, Decorator) else node
    if isinstance(forward, FuncDef) and all(k == ARG_POS for k in forward.arg_kinds):
        names = tuple(forward.arg_names[1:])
    return _OpInfo(op, names, specs)


def _op_hook(info: _OpInfo, ctx: MethodContext) -> Type:
    specs = info.specs
    if specs is None:
        specs = _type_parameter_specs(ctx.type, info.op)
    if specs is None or len(specs) < 2 or not any(s is not None for s in specs):
        return ctx.default_return_type
    name = _callee_name(ctx, info.op.name)
    return _check_call(ctx, f'call to "{name}"', info.names, specs[:-1], specs[-1])


def _type_parameter_specs(t: Type, op: TypeInfo) -> tuple[Spec | None, ...] | None:
    """The shapes in the type parameters of `t`, an `Op` instance type."""
    from mypy.maptype import map_instance_to_supertype  # see _array

    p = get_proper_type(t)
    if not isinstance(p, Instance):
        return None
    args: list[Type] = []
    for a in map_instance_to_supertype(p, op).args:
        if isinstance(a, UnpackType):
            inner = get_proper_type(a.type)
            if not isinstance(inner, TupleType):
                return None  # any number of inputs
            args.extend(inner.items)
        else:
            args.append(a)
    return tuple(_hint_spec(a, False) for a in args)


def _op_from_function_hook(ctx: FunctionContext) -> Type:
    """`op1(f)`, `op2(f)`, `op3(f)`: the op's type parameters keep the shapes of `f`'s hints
    (type inference drops them)."""
    result = get_proper_type(ctx.default_return_type)
    if not ctx.arg_types or len(ctx.arg_types[0]) != 1 or not isinstance(result, Instance):
        return ctx.default_return_type
    f = get_proper_type(ctx.arg_types[0][0])
    if not isinstance(f, CallableType) or len(f.arg_types) != len(result.args) - 1:
        return ctx.default_return_type
    ret = get_proper_type(f.ret_type)
    if not isinstance(ret, TupleType) or not ret.items:
        return ctx.default_return_type
    hinted = [*f.arg_types, ret.items[0]]
    args: list[Type] = []
    for arg, hint in zip(result.args, hinted, strict=True):
        h, a = get_proper_type(hint), get_proper_type(arg)
        if isinstance(h, Instance) and isinstance(a, Instance) and h.extra_attrs is not None:
            if _DIMS in h.extra_attrs.attrs and a.type == h.type:
                a = a.copy_modified()
                a.extra_attrs = h.extra_attrs
                arg = a
        args.append(arg)
    return result.copy_modified(args=args)


# -- functions typed `x -> type of x` that move or change axes ------------------------------
# numpy types `.T`, `transpose` and `swapaxes` as returning `Self`, typedprop's `transpose`
# keeps the shape type, and a few numpy functions return their argument's type: right for the
# rank, wrong for the sizes. Their results get the sizes reversed (a plain transpose) or none.


def _moved(source: Type, t: Type, api: CheckerPluginInterface, reverse: bool) -> Type:
    """`t` (the result type: an array type, or a BVar of one) with the static sizes of `source`
    (the array whose axes moved) reversed (with `reverse` and a known rank) or forgotten:
    numpy's shape type then keeps only the rank."""
    if _array(t, True) is None:
        return t
    shape = shape_of(source)
    if reverse and shape.exact and shape.known():
        return _with_sizes(t, list(reversed(shape.head)), api, True)
    result = shape_of(t)
    if not result.known():
        return t
    return _forget(t, [None] * len(result.head) if result.exact else None, api)


def _forget(t: Type, sizes: list[None] | None, api: CheckerPluginInterface) -> Type:
    p = get_proper_type(t)
    if not isinstance(p, Instance):
        return t
    if p.type.fullname == _BVAR and p.args:
        return p.copy_modified(args=[_forget(p.args[0], sizes, api)])
    if p.type.fullname != _NDARRAY or len(p.args) != 2:
        return t
    int_type = api.named_generic_type("builtins.int", [])
    shape: Type = (
        api.named_generic_type("builtins.tuple", [AnyType(TypeOfAny.special_form)])
        if sizes is None
        else TupleType(
            [int_type] * len(sizes), api.named_generic_type("builtins.tuple", [int_type])
        )
    )
    result = p.copy_modified(args=[shape, p.args[1]])
    result.extra_attrs = None
    return result


def _attribute_moved_hook(reverse: bool, ctx: AttributeContext) -> Type:
    return _moved(ctx.type, ctx.default_attr_type, ctx.api, reverse)


def _method_moved_hook(ctx: MethodContext) -> Type:
    """`x.transpose()` reverses the axes; with axes, or `swapaxes`, the sizes are forgotten."""
    plain = all(not types for types in ctx.arg_types)
    return _moved(ctx.type, ctx.default_return_type, ctx.api, plain)


def _function_moved_hook(ctx: FunctionContext) -> Type:
    """`transpose(x)` reverses the axes; other axis moves forget the sizes; `zeros_like(x,
    shape=...)` forgets them too."""
    names = ctx.callee_arg_names
    given = {n for n, types in zip(names, ctx.arg_types, strict=False) if n and types}
    if names and "shape" in names and "shape" not in given:
        return ctx.default_return_type  # `zeros_like(x)`: x's shape, sizes and all
    source = ctx.arg_types[0][0] if ctx.arg_types and ctx.arg_types[0] else ctx.default_return_type
    return _moved(source, ctx.default_return_type, ctx.api, given <= {"x", "a"})


# -- shapecheck-decorated functions ----------------------------------------------------------


def _is_checked(t: Type | None) -> CallableType | None:
    p = get_proper_type(t) if t is not None else None
    if isinstance(p, CallableType) and p.fallback.extra_attrs is not None:
        if _CHECKED in p.fallback.extra_attrs.attrs:
            return p
    return None


def _function_hook(sig: CallableType, where: str, ctx: FunctionContext | MethodContext) -> Type:
    # A bound method's call has no formal for `self`: align from the end.
    offset = len(sig.arg_types) - len(ctx.arg_types)
    if offset < 0:
        return ctx.default_return_type
    types = sig.arg_types[offset:]
    names = sig.arg_names[offset:]
    specs = [_hint_spec(t) for t in types]
    return _check_call(ctx, where, names, specs, _hint_spec(sig.ret_type))


def _shapecheck_hook(ctx: FunctionContext) -> Type:
    """`@shapecheck`: mark the signature, and check the body's return statements."""
    sig = get_proper_type(ctx.default_return_type)
    if not isinstance(sig, CallableType):
        return ctx.default_return_type
    decorator = ctx.context
    if isinstance(decorator, Decorator) and decorator.func.type is not None:
        if _check_body_now(decorator.func, ctx.api):
            _check_returns(decorator.func, ctx.api)
    fallback = sig.fallback.copy_modified()
    attrs = dict(fallback.extra_attrs.attrs) if fallback.extra_attrs else {}
    attrs[_CHECKED] = LiteralType(True, fallback=ctx.api.named_generic_type("builtins.bool", []))
    fallback.extra_attrs = ExtraAttrs(attrs, set(attrs))
    return sig.copy_modified(fallback=fallback)


def _mark_checked_class(ctx: ClassDefContext) -> None:
    """`@shapecheck` on a class: its constructor's calls are checked against the fields' hints
    (the runtime side checks a NamedTuple's `__new__`, a dataclass's `__init__`)."""
    ctx.cls.info.metadata.setdefault(_METADATA, {})["shapecheck"] = True


def _check_body_now(func: FuncDef, api: CheckerPluginInterface) -> bool:
    """Make sure the body of `func` has been type-checked, so that its return statements have
    types; False where that cannot be done.

    mypy 2.4 checks modules in two phases: top levels and signatures first (where this hook
    runs, on the decorator), then function bodies, with no plugin hook after a body. So the
    body of a `shapecheck`ed function is checked here, in the first phase, as mypy itself does
    for the functions it flags `def_or_infer_vars` (such as `__init__`); the flag, set here,
    keeps the second phase from checking it again. This uses the checker's internals
    (`recurse_into_functions`, `tscope`, `set_recurse_into_functions`, `check_func_item`):
    where they are missing, returns are not checked.
    """
    recursing = getattr(api, "recurse_into_functions", None)
    if recursing is None:
        return False
    if recursing or func.def_or_infer_vars:
        return True  # the body was checked just before the decorators
    try:
        scope = api.tscope.function_scope(func)  # type: ignore[attr-defined]
        recurse = api.set_recurse_into_functions()  # type: ignore[attr-defined]
        check = api.check_func_item  # type: ignore[attr-defined]
    except AttributeError:
        return False
    func.def_or_infer_vars = True
    with scope, recurse:
        check(func, name=func.name)
    return True


def _check_returns(func: FuncDef, api: CheckerPluginInterface) -> None:
    declared = get_proper_type(func.type)
    if not isinstance(declared, CallableType):
        return
    spec = _hint_spec(declared.ret_type)
    if spec is None or not _fixed(spec):
        return
    lookup = getattr(api, "lookup_type_or_none", None)
    if lookup is None:
        return
    for ret in _returns(func.body.body):
        if ret.expr is None:
            continue
        t = lookup(ret.expr)
        if t is None:
            continue
        for dim, size, axis in _axes(spec, shape_of(t)):
            if isinstance(dim, int) and size is not None and size != dim:
                api.fail(
                    f'Dimension mismatch in return from "{func.name}": axis {axis} of the '
                    f"returned value is {size}, but the return hint fixes it to {dim}",
                    ret,
                    code=DIM_MISMATCH,
                )
                break


def _returns(body: Sequence[Statement]) -> Iterator[ReturnStmt]:
    """The return statements of a function body, not those of functions nested in it."""
    for s in body:
        if isinstance(s, ReturnStmt):
            yield s
        elif isinstance(s, Block):
            yield from _returns(s.body)
        elif isinstance(s, IfStmt):
            for b in s.body:
                yield from _returns(b.body)
            if s.else_body is not None:
                yield from _returns(s.else_body.body)
        elif isinstance(s, WhileStmt | ForStmt):
            yield from _returns(s.body.body)
            if s.else_body is not None:
                yield from _returns(s.else_body.body)
        elif isinstance(s, WithStmt):
            yield from _returns(s.body.body)
        elif isinstance(s, TryStmt):
            blocks: list[Block | None] = [s.body, *s.handlers, s.else_body, s.finally_body]
            for block in blocks:
                if block is not None:
                    yield from _returns(block.body)
        elif isinstance(s, MatchStmt):
            for b in s.bodies:
                yield from _returns(b.body)


# -- the plugin ------------------------------------------------------------------------------

_Ctx = TypeVar("_Ctx", FunctionContext, MethodContext, AttributeContext)


def _guarded(hook: Callable[[_Ctx], Type] | None) -> Callable[[_Ctx], Type] | None:
    """`hook`, or mypy's own answer where it fails: a bug in this plugin must not stop a type
    check (set `TYPEDPROP_PLUGIN_STRICT=1` to see the exception, as the tests do)."""
    if hook is None:
        return None

    def guarded(ctx: _Ctx) -> Type:
        try:
            return hook(ctx)
        except Exception:
            if os.environ.get("TYPEDPROP_PLUGIN_STRICT", "") not in ("", "0"):
                raise
            if isinstance(ctx, AttributeContext):
                return ctx.default_attr_type
            return ctx.default_return_type

    return guarded


class TypedpropPlugin(Plugin):
    """The plugin: see the module's docstring."""

    def __init__(self, options: object) -> None:
        super().__init__(options)  # type: ignore[arg-type]
        self._ops: dict[str, _OpInfo | None] = {}
        self._hooks: dict[tuple[str, str], Callable[..., Type] | None] = {}

    # Type analysis: jaxtyping hints keep their shape string.
    def get_type_analyze_hook(self, fullname: str) -> Callable[[AnalyzeTypeContext], Type] | None:
        return _annotated_hook if fullname in _ANNOTATED else None

    def get_base_class_hook(self, fullname: str) -> Callable[[ClassDefContext], None] | None:
        return _op_base_hook if fullname == _OP else None

    def get_class_decorator_hook(self, fullname: str) -> Callable[[ClassDefContext], None] | None:
        return _mark_checked_class if fullname == _SHAPECHECK else None

    def get_attribute_hook(self, fullname: str) -> Callable[[AttributeContext], Type] | None:
        if fullname in ("numpy._ArrayOrScalarCommon.T", "numpy.ndarray.T", f"{_BVAR}.T"):
            return _guarded(partial(_attribute_moved_hook, True))
        if fullname in ("numpy._ArrayOrScalarCommon.mT", "numpy.ndarray.mT"):
            return _guarded(partial(_attribute_moved_hook, False))
        return None

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        key = ("function", fullname)
        if key in self._hooks:
            return self._hooks[key]
        hook, final = self._function_hook(fullname)
        guarded = _guarded(hook)
        if final:
            self._hooks[key] = guarded
        return guarded

    def get_method_hook(self, fullname: str) -> Callable[[MethodContext], Type] | None:
        key = ("method", fullname)
        if key in self._hooks:
            return self._hooks[key]
        hook, final = self._method_hook(fullname)
        guarded = _guarded(hook)
        if final:
            self._hooks[key] = guarded
        return guarded

    def _function_hook(
        self, fullname: str
    ) -> tuple[Callable[[FunctionContext], Type] | None, bool]:
        if fullname in _CONSTRUCTORS:
            return _constructor_hook, True
        if fullname == _TRANSPOSE or (
            fullname.startswith("numpy.") and fullname.rsplit(".", 1)[-1] in _NUMPY_MOVES
        ):
            return _function_moved_hook, True
        if fullname == _SHAPECHECK:
            return _shapecheck_hook, True
        if fullname in _OP_MAKERS:
            return _op_from_function_hook, True
        sig, final = self._checked_signature(fullname)
        if sig is None:
            return None, final
        name = fullname.rsplit(".", 1)[-1]
        return partial(_function_hook, sig, f'call to "{name}"'), True

    def _method_hook(self, fullname: str) -> tuple[Callable[[MethodContext], Type] | None, bool]:
        if fullname in _METHOD_MOVES:
            return _method_moved_hook, True
        cls, _, method = fullname.rpartition(".")
        if method == "__call__":
            info = self._lookup_info(cls)
            if info is not None and (info.fullname == _OP or info.has_base(_OP)):
                op = self._op(info)
                return (None if op is None else partial(_op_hook, op)), True
        sig, final = self._checked_signature(fullname)
        if sig is None and cls:
            info = self._lookup_info(cls)
            node = info.get(method) if info is not None else None
            if node is not None:
                t = _node_type(node.node)
                sig = _is_checked(t)
                final = t is not None or not isinstance(node.node, Decorator | Var)
        if sig is None:
            return None, final
        owner = cls.rsplit(".", 1)[-1]
        return partial(_function_hook, sig, f'call to "{method}" of "{owner}"'), True

    def _lookup_info(self, fullname: str) -> TypeInfo | None:
        try:
            node = self.lookup_fully_qualified(fullname)
        except (AssertionError, KeyError):
            return None
        return node.node if node is not None and isinstance(node.node, TypeInfo) else None

    def _op(self, info: TypeInfo) -> _OpInfo | None:
        if info.fullname not in self._ops:
            self._ops[info.fullname] = _op_info(info)
        return self._ops[info.fullname]

    def _checked_signature(self, fullname: str) -> tuple[CallableType | None, bool]:
        """The signature of `fullname` if `shapecheck` decorates it, and whether that answer
        is final (a decorated function's type is unknown until mypy checks its decorators)."""
        if "." not in fullname:
            return None, True
        try:
            node = self.lookup_fully_qualified(fullname)
        except (AssertionError, KeyError):
            return None, True
        if node is None:
            return None, True
        if isinstance(node.node, TypeInfo):
            return _checked_constructor(node.node), True
        t = _node_type(node.node)
        return _is_checked(t), t is not None or not isinstance(node.node, Decorator | Var)


def _checked_constructor(info: TypeInfo) -> CallableType | None:
    """The constructor of a `shapecheck`ed NamedTuple (`__new__`) or dataclass (`__init__`),
    whose parameters are the fields with their hints."""
    if not info.metadata.get(_METADATA, {}).get("shapecheck"):
        return None
    node = info.get_method("__new__" if info.tuple_type is not None else "__init__")
    t = node.type if isinstance(node, FuncDef) else None
    return t if isinstance(t, CallableType) else None


def _node_type(node: object) -> Type | None:
    if isinstance(node, Decorator):
        return node.var.type
    if isinstance(node, Var):
        return node.type
    return None


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point. The plugin API is unstable: typedprop tests this plugin on the mypy
    versions its `test` extra pins (2.4)."""
    return TypedpropPlugin


__all__ = ["DIM_MISMATCH", "plugin"]
