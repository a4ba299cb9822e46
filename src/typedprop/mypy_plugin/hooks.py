"""The plugin's hooks, and the plugin class that hands them to mypy.

See the package's docstring for what each hook does. The hooks read mypy's types into the
pure values of `binding.py` (through `arrays.py`), and report what `bind` gives back; whatever
they need of mypy beyond its plugin API goes through `internals.py`.

A failing hook never stops a type check: it gives mypy's own answer, and the plugin reports the
failure once (`TYPEDPROP_PLUGIN_STRICT=1` makes it raise instead, as the tests do).

Internal: mypy loads it through `typedprop.mypy_plugin.plugin`.
"""

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

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
from mypy.options import Options
from mypy.plugin import (
    AnalyzeTypeContext,
    AttributeContext,
    CheckerPluginInterface,
    ClassDefContext,
    FunctionContext,
    MethodContext,
    Plugin,
    ReportConfigContext,
)
from mypy.types import (
    AnyType,
    CallableType,
    Instance,
    RawExpressionType,
    TupleType,
    Type,
    TypeOfAny,
    UnboundType,
    UnpackType,
    get_proper_type,
)

from . import internals
from .arrays import BVAR, array, forget, hint_spec, literal_int, shape_of, with_sizes
from .binding import (
    Mismatch,
    Shape,
    Spec,
    bind,
    is_fixed,
    output_sizes,
    parse_spec,
    return_mismatch,
)
from .report import DIM_MISMATCH, Reporter, default_answer, flushing, problems_as_notes

_METADATA = "typedprop"
"""The key of typedprop's data in a class's metadata (which mypy's cache keeps)."""
_OP = "typedprop._core.op.Op"
_SHAPECHECK = "typedprop._static.shapecheck.shapecheck"
_CONSTRUCTORS = frozenset(
    f"typedprop._static.constructors.{name}" for name in ("zeros", "ones", "normal")
)
_OP_MAKERS = frozenset(f"typedprop._core.op.op{n}" for n in (1, 2, 3))
_TRANSPOSE = "typedprop.ops._linalg.Transpose.__call__"  # the op `ops.transpose`
_METHOD_MOVES = frozenset(
    ("numpy.ndarray.transpose", "numpy.ndarray.swapaxes", f"{BVAR}.transpose")
)
_NUMPY_MOVES = frozenset(
    "swapaxes rollaxis moveaxis rot90 delete insert append zeros_like ones_like full_like "
    "empty_like".split()
)
_ANNOTATED = frozenset(("typing.Annotated", "typing_extensions.Annotated"))
_JAXTYPING_KINDS = internals.jaxtyping_kinds()
"""jaxtyping's dtype kinds (`Float`, `Int`, ...), all `Annotated` for type checkers."""


def _strict() -> bool:
    """`TYPEDPROP_PLUGIN_STRICT=1`: a failing hook raises (the tests set it)."""
    return os.environ.get("TYPEDPROP_PLUGIN_STRICT", "") not in ("", "0")


# ---------------------------------------------------------------------------------------------
# The hooks
# ---------------------------------------------------------------------------------------------


def _annotated_hook(reporter: Reporter, ctx: AnalyzeTypeContext) -> Type:
    """`Annotated[...]` analyzed as mypy does, with a jaxtyping shape string attached to the
    array type it annotates."""
    t = ctx.type
    result = internals.analyze_annotated(ctx)
    if result is None:  # an API change: mypy's documented part only
        if len(t.args) < 2:
            return AnyType(TypeOfAny.from_error)
        result = ctx.api.analyze_type(t.args[0])
    if len(t.args) != 2 or t.name.rsplit(".", 1)[-1] not in _JAXTYPING_KINDS:
        return result
    try:
        return _with_shape_string(result, t.args[1], ctx)
    except Exception as error:
        if _strict():
            raise
        reporter.later(error, "on a jaxtyping hint")
        return result


def _with_shape_string(result: Type, arg: Type, ctx: AnalyzeTypeContext) -> Type:
    """`result` (an analyzed array type) with the shape string `arg` attached."""
    text = _string_argument(arg)
    if text is None or parse_spec(text) is None:
        return result
    proper = get_proper_type(result)
    if not isinstance(proper, Instance):
        return result
    return internals.with_shape_string(proper, text, ctx.api.named_type("builtins.str", []))


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
                sizes.append(literal_int(t))
            elif kind.is_star():
                return ctx.default_return_type  # unpacked sizes: rank unknown
    return with_sizes(ctx.default_return_type, sizes, ctx.api, False)


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


def _check_call(
    ctx: FunctionContext | MethodContext,
    where: str,
    names: Sequence[str | None],
    specs: Sequence[Spec | None],
    out: Spec | None,
) -> Type:
    params = _params(names, specs, ctx.arg_types, True)
    if not any(shape.known() for _, _, shape in params) and (out is None or not is_fixed(out)):
        return ctx.default_return_type
    binding, mismatches = bind(params, where)
    for mismatch in mismatches:
        _fail(mismatch, ctx.api, ctx.context)
    if out is None:
        return ctx.default_return_type
    sizes = output_sizes(out, binding)
    if sizes is None:
        return ctx.default_return_type
    return with_sizes(ctx.default_return_type, sizes, ctx.api, True)


def _fail(mismatch: Mismatch, api: CheckerPluginInterface, context: Context) -> None:
    api.fail(str(mismatch), context, code=DIM_MISMATCH)


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


def _op_base_hook(reporter: Reporter, ctx: ClassDefContext) -> None:
    """A class deriving from `Op[...]`: keep the shape strings of its type parameters in the
    class's metadata (mypy drops `Annotated`'s arguments from base class expressions before any
    type-analysis hook sees them, so they are read from the expression here)."""
    try:
        _keep_op_dims(ctx)
    except Exception as error:
        if _strict():
            raise
        reporter.later(error, f"on the class {ctx.cls.name}")


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
    if expr.base.name not in _JAXTYPING_KINDS:
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
    p = get_proper_type(t)
    if not isinstance(p, Instance):
        return None
    args: list[Type] = []
    for a in internals.as_base(p, op).args:
        if isinstance(a, UnpackType):
            inner = get_proper_type(a.type)
            if not isinstance(inner, TupleType):
                return None  # any number of inputs
            args.extend(inner.items)
        else:
            args.append(a)
    return tuple(hint_spec(a, False) for a in args)


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
        if isinstance(h, Instance) and isinstance(a, Instance) and a.type == h.type:
            if internals.shape_string(h) is not None:
                arg = internals.copy_extra(h, a)
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
    if array(t, True) is None:
        return t
    shape = shape_of(source)
    if reverse and shape.exact and shape.known():
        return with_sizes(t, list(reversed(shape.head)), api, True)
    result = shape_of(t)
    if not result.known():
        return t
    return forget(t, [None] * len(result.head) if result.exact else None, api)


def _attribute_moved_hook(reverse: bool, ctx: AttributeContext) -> Type:
    return _moved(ctx.type, ctx.default_attr_type, ctx.api, reverse)


def _method_moved_hook(ctx: MethodContext) -> Type:
    """`x.transpose()` reverses the axes; with axes, or `swapaxes`, the sizes are forgotten."""
    plain = all(not types for types in ctx.arg_types)
    return _moved(ctx.type, ctx.default_return_type, ctx.api, plain)


def _function_moved_hook(ctx: FunctionContext | MethodContext) -> Type:
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
    if isinstance(p, CallableType) and internals.is_marked_checked(p.fallback):
        return p
    return None


def _function_hook(sig: CallableType, where: str, ctx: FunctionContext | MethodContext) -> Type:
    # A bound method's call has no formal for `self`: align from the end.
    offset = len(sig.arg_types) - len(ctx.arg_types)
    if offset < 0:
        return ctx.default_return_type
    types = sig.arg_types[offset:]
    names = sig.arg_names[offset:]
    specs = [hint_spec(t) for t in types]
    return _check_call(ctx, where, names, specs, hint_spec(sig.ret_type))


def _shapecheck_hook(ctx: FunctionContext) -> Type:
    """`@shapecheck`: mark the signature, and check the body's return statements."""
    sig = get_proper_type(ctx.default_return_type)
    if not isinstance(sig, CallableType):
        return ctx.default_return_type
    decorator = ctx.context
    if isinstance(decorator, Decorator) and decorator.func.type is not None:
        if internals.check_body_now(decorator.func, ctx.api):
            _check_returns(decorator.func, ctx.api)
    bool_type = ctx.api.named_generic_type("builtins.bool", [])
    return sig.copy_modified(fallback=internals.marked_checked(sig.fallback, bool_type))


def _mark_checked_class(ctx: ClassDefContext) -> None:
    """`@shapecheck` on a class: its constructor's calls are checked against the fields' hints
    (the runtime side checks a NamedTuple's `__new__`, a dataclass's `__init__`)."""
    ctx.cls.info.metadata.setdefault(_METADATA, {})["shapecheck"] = True


def _check_returns(func: FuncDef, api: CheckerPluginInterface) -> None:
    declared = get_proper_type(func.type)
    if not isinstance(declared, CallableType):
        return
    spec = hint_spec(declared.ret_type)
    if spec is None or not is_fixed(spec):
        return
    for ret in _returns(func.body.body):
        if ret.expr is None:
            continue
        t = internals.expression_type(api, ret.expr)
        if t is None:
            continue
        mismatch = return_mismatch(func.name, spec, shape_of(t))
        if mismatch is not None:
            _fail(mismatch, api, ret)


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


def _guarded(
    reporter: Reporter, hook: Callable[[_Ctx], Type] | None
) -> Callable[[_Ctx], Type] | None:
    """`hook`, or mypy's own answer where it fails: a bug in this plugin must not stop a type
    check, and is reported once (`TYPEDPROP_PLUGIN_STRICT=1` raises it instead)."""
    if hook is None:
        return None

    def guarded(ctx: _Ctx) -> Type:
        try:
            return hook(ctx)
        except Exception as error:
            if _strict():
                raise
            reporter.now(error, ctx.api, ctx.context)
            return default_answer(ctx)

    return guarded


class TypedpropPlugin(Plugin):
    """The plugin: see the package's docstring."""

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self._reporter = Reporter(problems_as_notes(options))
        self._ops: dict[str, _OpInfo | None] = {}
        self._hooks: dict[tuple[str, str], Callable[..., Type] | None] = {}

    def report_config_data(self, ctx: ReportConfigContext) -> Any:
        """What the plugin's answers depend on besides the code (kept in mypy's cache)."""
        return {"supported": internals.SUPPORTED, "notes": self._reporter.as_notes}

    # Type analysis: jaxtyping hints keep their shape string.
    def get_type_analyze_hook(self, fullname: str) -> Callable[[AnalyzeTypeContext], Type] | None:
        return partial(_annotated_hook, self._reporter) if fullname in _ANNOTATED else None

    def get_base_class_hook(self, fullname: str) -> Callable[[ClassDefContext], None] | None:
        return partial(_op_base_hook, self._reporter) if fullname == _OP else None

    def get_class_decorator_hook(self, fullname: str) -> Callable[[ClassDefContext], None] | None:
        return _mark_checked_class if fullname == _SHAPECHECK else None

    def get_attribute_hook(self, fullname: str) -> Callable[[AttributeContext], Type] | None:
        hook: Callable[[AttributeContext], Type] | None = None
        if fullname in (*internals.NUMPY_TRANSPOSES["T"], f"{BVAR}.T"):
            hook = _guarded(self._reporter, partial(_attribute_moved_hook, True))
        elif fullname in internals.NUMPY_TRANSPOSES["mT"]:
            hook = _guarded(self._reporter, partial(_attribute_moved_hook, False))
        return flushing(self._reporter, hook) if self._reporter.pending else hook

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        key = ("function", fullname)
        if key in self._hooks:
            guarded = self._hooks[key]
        else:
            hook, final = self._function_hook(fullname)
            guarded = _guarded(self._reporter, hook)
            if final:
                self._hooks[key] = guarded
        return flushing(self._reporter, guarded) if self._reporter.pending else guarded

    def get_method_hook(self, fullname: str) -> Callable[[MethodContext], Type] | None:
        key = ("method", fullname)
        if key in self._hooks:
            guarded = self._hooks[key]
        else:
            hook, final = self._method_hook(fullname)
            guarded = _guarded(self._reporter, hook)
            if final:
                self._hooks[key] = guarded
        return flushing(self._reporter, guarded) if self._reporter.pending else guarded

    def _function_hook(
        self, fullname: str
    ) -> tuple[Callable[[FunctionContext], Type] | None, bool]:
        if fullname in _CONSTRUCTORS:
            return _constructor_hook, True
        if fullname.startswith("numpy.") and fullname.rsplit(".", 1)[-1] in _NUMPY_MOVES:
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
        if fullname == _TRANSPOSE:  # `ops.transpose(x)`: moved like numpy's `transpose(x)`
            return _function_moved_hook, True
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
