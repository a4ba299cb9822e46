"""The plugin's hooks, and the plugin class that hands them to mypy.

See the package's docstring for what each hook does. The hooks read mypy's types into the
pure values of `binding.py` (through `arrays.py`), and report what `bind` gives back; whatever
they need of mypy beyond its plugin API goes through `internals.py`.

A failing hook never stops a type check: it gives mypy's own answer, and the plugin reports the
failure once (`TYPEDPROP_PLUGIN_STRICT=1` makes it raise instead, as the tests do).

Internal: mypy loads it through `typedprop.mypy_plugin.plugin`.
"""

import ast
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from mypy.nodes import (
    ARG_POS,
    Block,
    CallExpr,
    ComparisonExpr,
    Context,
    Decorator,
    Expression,
    ForStmt,
    FuncDef,
    IfStmt,
    IndexExpr,
    ListExpr,
    MatchStmt,
    MemberExpr,
    NameExpr,
    OpExpr,
    ReturnStmt,
    Statement,
    StrExpr,
    TryStmt,
    TupleExpr,
    TypeInfo,
    UnaryExpr,
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
    LiteralType,
    NoneType,
    RawExpressionType,
    TupleType,
    Type,
    TypeOfAny,
    UnboundType,
    UnpackType,
    get_proper_type,
)

from . import internals
from . import rules as r
from .arrays import (
    BVAR,
    NDARRAY,
    array,
    decode_shape,
    encode_shape,
    hint_spec,
    mark_sized,
    shape_of,
    sized_module,
    with_shape,
    without_shapes,
)
from .binding import (
    UNKNOWN,
    Binding,
    Mismatch,
    Shape,
    Spec,
    bind,
    is_fixed,
    output_sizes,
    parse_spec,
    rank_mismatch,
    return_mismatch,
)
from .calls import (
    METHODS,
    NUMPY_FUNCTIONS,
    OP_NAMES,
    OPERATORS,
    Call,
    op_rule,
    operator,
    static_size,
)
from .report import (
    DIM_MISMATCH,
    RANK_MISMATCH,
    SHAPE_HINT,
    Reporter,
    default_answer,
    flushing,
    problems_as_notes,
)
from .sizes import Size

_METADATA = "typedprop"
"""The key of typedprop's data in a class's metadata (which mypy's cache keeps)."""
_OP = "typedprop._core.op.Op"
_SHAPECHECK = "typedprop._static.shapecheck.shapecheck"
_REVEAL = "typedprop._static.shapecheck.reveal_shape"
_CONSTRUCTORS = frozenset(
    f"typedprop._static.constructors.{name}" for name in ("zeros", "ones", "normal")
)
_OP_MAKERS = frozenset(f"typedprop._core.op.op{n}" for n in (1, 2, 3))
_CONSTANT = "typedprop._core.bvar.constant"
_NUMPY_FORGETS = frozenset(
    f"numpy.{name}"
    for name in "rollaxis moveaxis rot90 delete insert append atleast_1d atleast_2d atleast_3d "
    "resize zeros_like ones_like full_like empty_like".split()
)
"""numpy functions typed as returning their argument's type while they change its shape: their
results have unknown sizes (`zeros_like(x)` without `shape=` keeps x's)."""
_ARRAY_CLASSES = (NDARRAY, BVAR)
_CONTAINER_READS = frozenset(
    f"builtins.{name}"
    for name in (
        "list.__getitem__ list.pop list.__iter__ list.__reversed__ dict.__getitem__ dict.get "
        "dict.pop dict.values dict.items dict.setdefault"
    ).split()
)
"""A list's or a dict's items come out without sizes: its item type is its first item's
(`layers = [first]`, then `layers.append(other)`), stale for the others."""
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
    text = _string_argument(arg, ctx)
    if text is None or parse_spec(text) is None:
        return result
    proper = get_proper_type(result)
    if not isinstance(proper, Instance):
        return result
    scope = internals.hint_scope(ctx)
    kind = ctx.type.name.rsplit(".", 1)[-1]
    str_type = ctx.api.named_type("builtins.str", [])
    return internals.with_shape_string(proper, text, scope, str_type, kind)


def _string_argument(arg: Type, ctx: AnalyzeTypeContext) -> str | None:
    """The shape string of `Annotated`: a raw string, a one-word string that mypy parsed as a
    forward reference, a `Final` string constant, or an f-string of `Final` int constants and
    arithmetic on them (`f"{HIDDEN} {2 * IN}"`, read from the source: mypy keeps no value of
    an f-string in a type). One it cannot read is reported, not taken as no hint in silence."""
    if isinstance(arg, RawExpressionType) and isinstance(arg.literal_value, str):
        return arg.literal_value
    if isinstance(arg, UnboundType) and arg.original_str_expr is not None:
        return arg.original_str_expr
    if isinstance(arg, UnboundType):
        value = internals.final_value(ctx, arg.name)
        if isinstance(value, str):
            return value
        defined = internals.final_fstring(ctx, arg.name)  # `DIMS: Final = f"{H} {IN}"`
        text = None if defined is None else _fstring_text(defined, ctx)
        if text is not None:
            return text
        if internals.is_variable(ctx, arg.name):
            _unread(ctx, f'"{arg.name}" is no Final constant of a string mypy knows')
        return None
    if isinstance(arg, RawExpressionType) and arg.literal_value is None:
        fstring = internals.fstring_at(ctx, arg.line, arg.column)
        if fstring is None:
            return None  # not an f-string: some other expression, no shape string
        text = _fstring_text(fstring, ctx)
        if text is None:
            _unread(ctx, "it reads text and Final constants, with + - * // ** on ints")
        return text
    return None


def _fstring_text(node: ast.JoinedStr, ctx: AnalyzeTypeContext) -> str | None:
    parts: list[str] = []
    for value in node.values:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            parts.append(value.value)
        elif isinstance(value, ast.FormattedValue) and value.format_spec is None:
            if isinstance(value.value, ast.Name | ast.Attribute):
                named = internals.final_value(ctx, ast.unparse(value.value))
                if isinstance(named, str):  # a dimension's name, `f"{BATCH} 784"`
                    parts.append(named)
                    continue
            number = _int_expression(value.value, ctx)
            if number is None:
                return None
            parts.append(str(number))
        else:
            return None
    return "".join(parts)


_ARITHMETIC: dict[type, Callable[[int, int], int]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Pow: lambda a, b: a**b if 0 <= b <= 8 else _no_value(),
}


def _no_value() -> int:
    raise ValueError


def _int_expression(node: ast.expr, ctx: AnalyzeTypeContext) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.Name | ast.Attribute):
        name = ast.unparse(node)
        value = internals.final_value(ctx, name)
        return value if type(value) is int else None
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        left, right = _int_expression(node.left, ctx), _int_expression(node.right, ctx)
        if left is None or right is None:
            return None
        try:
            return _ARITHMETIC[type(node.op)](left, right)
        except (ValueError, ZeroDivisionError):
            return None
    return None


def _unread(ctx: AnalyzeTypeContext, why: str) -> None:
    ctx.api.fail(
        f"Shape string not read by mypy ({why}); its sizes are checked at run time only",
        ctx.context,
        code=SHAPE_HINT,
    )


def _constructor_hook(ctx: FunctionContext) -> Type:
    """`typedprop.zeros(32, 784)` and friends: an array of the sizes written (literals, `Final`
    constants, arithmetic on them)."""
    sizes: list[Size | None] = []
    for kinds, exprs in zip(ctx.arg_kinds, ctx.args, strict=True):
        for kind, expr in zip(kinds, exprs, strict=True):
            if kind == ARG_POS:
                sizes.append(static_size(expr, ctx.api))
            elif kind.is_star():
                return ctx.default_return_type  # unpacked sizes: rank unknown
    return _finish(ctx, 'call to "zeros"', r.Outcome(r.exact(sizes)))


def _finish(
    ctx: FunctionContext | MethodContext, where: str, outcome: r.Outcome, name: str = ""
) -> Type:
    """Report what a rule found, check the result against an annotated assignment's hint, and
    give the result its shape."""
    for mismatch in outcome.mismatches:
        _fail(mismatch, ctx.api, ctx.context)
    if outcome.mismatches:
        # No result sizes after a mistake: they would be made up, and give errors that
        # only follow from the first.
        outcome = r.Outcome(None, outcome.mismatches)
    typed = _as_declared(ctx, name, _typed(ctx, name, outcome.shape), outcome.shape)
    # An operand of unknown rank (an `Array`): so is the result, whatever number of axes the
    # overload mypy chose says (`Array @ BVar[Mat]` matches a rank-2 one).
    unknown = outcome.shape is None and any(
        array(t, True) is not None and not shape_of(t).exact for t in _operands(ctx)
    )
    result = with_shape(typed, outcome.shape, ctx.api, rank_unknown=unknown)
    if outcome.shape is None or not (outcome.shape.known() or outcome.shape.exact):
        return result
    if outcome.shape.known():
        _check_context(ctx, outcome.shape)
    return _placed(ctx, result)


_DTYPE_CHANGES = frozenset(
    "__lt__ __le__ __gt__ __ge__ argmax argmin astype equal not_equal less less_equal greater "
    "greater_equal where isnan isinf isfinite logical_not logical_and logical_or logical_xor "
    "floor_divide".split()
)
"""Operators and methods whose result has another dtype than their operands'."""


def _typed(ctx: FunctionContext | MethodContext, name: str, shape: Shape | None) -> Type:
    """The result type of a call of numpy's (or of a typedprop op on plain arrays), or one
    mypy will keep where numpy's stubs would lose it.

    numpy's stubs type some results `Any` (`x.sum(axis=0)`), and where an argument's type
    holds `Any` (as `Mat`'s `floating[Any]` does) mypy finds several of numpy's overloads to
    match and answers `Any` unless every match gave one type: either way the result could
    carry no sizes. Where every operand is a plain numpy array or a number and the rule knows
    the result is an array (one axis or more), the result is `ndarray[tuple[Any, ...], D]`
    for every overload tried: D the operands' one floating dtype (float64, float32), else
    `dtype[Any]`. A typedprop op's own signature gives its result's type unless that is
    `Any`; so does a hinted function's (`name` ""), always."""
    result = ctx.default_return_type
    p = get_proper_type(result)
    if not name or shape is None or not shape.exact or not shape.head:
        return result
    op = isinstance(ctx, MethodContext) and _is_op(ctx.type)
    arguments = [t for types in ctx.arg_types for t in types]
    if not isinstance(p, AnyType) and (op or not any(map(internals.contains_any, arguments))):
        return result
    operands = _operands(ctx)
    if not operands or not all(_plain(t) for t in operands):
        return result
    # (an `Any` of a special form, as numpy's `tuple[Any, ...]`: no overload ambiguity later)
    any_type = AnyType(TypeOfAny.special_form)
    dtype = _operands_dtype(name, operands)
    if dtype is None or not _floating(dtype) or _generic(dtype):
        # `floating[Any]` (Mat's) may be float32 or float64
        dtype = ctx.api.named_generic_type("numpy.dtype", [any_type])
    shape_type = ctx.api.named_generic_type("builtins.tuple", [any_type])
    return ctx.api.named_generic_type(NDARRAY, [shape_type, dtype])


def _operands_dtype(name: str, operands: Sequence[Type]) -> Type | None:
    """The dtype of the result of `name` on `operands`, where it is their one dtype (none is
    a numpy scalar, which may promote it, and `name` keeps dtypes), else None."""
    if name in _DTYPE_CHANGES or any(_numpy_scalar(t) for t in operands):
        return None
    dtypes = {
        str(a.args[1]): a.args[1] for t in operands if (a := array(t, False)) and len(a.args) == 2
    }
    return next(iter(dtypes.values())) if len(dtypes) == 1 else None


def _as_declared(
    ctx: FunctionContext | MethodContext, name: str, result: Type, shape: Shape | None
) -> Type:
    """`result` (an array of a known rank) as the variable it is assigned to was declared,
    where that says the same in other words: its numpy shape type where the rank is the same
    (numpy says `tuple[Any, ...]` where `x` was declared `tuple[int, int]`: `x = x @ w`), and
    its dtype where the result's is unknown (`dtype[Any]`) and the operands' one dtype is the
    declared one. mypy narrows a variable to the meet of its declared type and the value's,
    which keeps the value's sizes only if the two are one type."""
    p = get_proper_type(result)
    if shape is None or not shape.exact or not isinstance(p, Instance) or len(p.args) != 2:
        return result
    if p.type.fullname != NDARRAY or internals.reassigned_by(ctx.api, ctx.context) is None:
        return result  # (only a value assigned to a declared variable: not an argument's)
    expected = internals.type_context(ctx.api)
    wanted = array(expected, False) if expected is not None else None
    if wanted is None or len(wanted.args) != 2 or not _fixed_rank(wanted):
        return result
    st = get_proper_type(wanted.args[0])
    if not isinstance(st, TupleType) or len(st.items) != len(shape.head):
        return result
    dtype = p.args[1]
    if _generic(dtype) and name:
        same = _operands_dtype(name, _operands(ctx))
        if same is not None and str(same) == str(wanted.args[1]):
            dtype = wanted.args[1]
    return p.copy_modified(args=[wanted.args[0], dtype])


def _operands(ctx: FunctionContext | MethodContext) -> list[Type]:
    """The types of a call's arguments, and its receiver's unless it is an op or a ufunc."""
    operands = [t for types in ctx.arg_types for t in types]
    if isinstance(ctx, MethodContext) and not _is_op(ctx.type):
        operands.append(ctx.type)
    return operands


def _is_op(t: Type) -> bool:
    """Whether `t` is a typedprop op's or a numpy ufunc's type (the receiver of its call)."""
    p = get_proper_type(t)
    if not isinstance(p, Instance):
        return False
    name = p.type.fullname
    return name.startswith("typedprop.ops.") or name.startswith("numpy.") and "UFunc" in name


def _generic(t: Type) -> bool:
    """Whether `t` holds `Any` anywhere (`dtype[floating[Any]]`, `tuple[Any, ...]`)."""
    p = get_proper_type(t)
    if isinstance(p, AnyType):
        return True
    if isinstance(p, TupleType):
        return any(_generic(i) for i in p.items)
    return isinstance(p, Instance) and any(_generic(a) for a in p.args)


def _floating(dtype: Type) -> bool:
    p = get_proper_type(dtype)
    if not isinstance(p, Instance) or not p.args:
        return False
    inner = get_proper_type(p.args[0])
    return isinstance(inner, Instance) and inner.type.has_base("numpy.floating")


def _numpy_scalar(t: Type) -> bool:
    p = get_proper_type(t)
    return isinstance(p, Instance) and p.type.has_base("numpy.generic")


def _plain(t: Type) -> bool:
    """Whether `t` is a numpy array, a number, a string, None, or a list or tuple of them: no
    BVar, nothing unknown."""
    p = get_proper_type(t)
    if isinstance(p, TupleType):
        return all(_plain(i) for i in p.items)
    if isinstance(p, LiteralType | NoneType):
        return True
    if not isinstance(p, Instance):
        return False
    if p.type.fullname in ("builtins.list", "builtins.tuple") and p.args:
        return _plain(p.args[0])
    if p.type.fullname == "builtins.str" or array(p, False) is not None:
        return True
    scalar = shape_of(p, False)
    return scalar.exact and not scalar.head  # a Python or numpy number


def _placed(ctx: FunctionContext | MethodContext | AttributeContext, result: Type) -> Type:
    """`result`, or, where mypy would keep it as a type that outlives this value, the same type
    without a shape.

    A variable's declared type is its first value's type, and mypy falls back to it where
    branches meet; an attribute's is seen from every method; a list's item type is its first
    item's. Sizes there would be stale later (`h = zeros(3)`, then `h = zeros(4)` in a
    branch). So an item of a container and a new attribute keep no size, and a variable
    assigned again forgets its sizes everywhere but in the new value."""
    if (
        internals.in_container(ctx.api, ctx.context)
        or internals.defines_attribute(ctx.api, ctx.context)
        or internals.resized(ctx.api, ctx.context)
    ):
        return without_shapes(result, ctx.api)
    first = internals.bound_again(ctx.api, ctx.context)
    # (Not a tuple's: mypy narrows a tuple type to the declared one, sizes lost.)
    if first is not None and not isinstance(get_proper_type(result), TupleType):
        # Bound again elsewhere, maybe by a value no hook sees (a plain name, an unhinted
        # function, a loop): the sizes are the binder's, as an assigned value's, and the
        # declared type mypy falls back to where paths meet has none.
        internals.narrow(ctx.api, first, result)
        return without_shapes(result, ctx.api)
    again = internals.reassigned_by(ctx.api, ctx.context)
    if again is not None:
        _forget(ctx.api, again, result)
    return result


def _check_context(ctx: FunctionContext | MethodContext, found: Shape) -> None:
    """An annotated assignment (`w: Float[Mat, "10 16"] = zeros(10, 17)`): the value's known
    sizes against the hint's fixed ones."""
    if not internals.annotated_value(ctx.api, ctx.context):
        return
    expected = internals.type_context(ctx.api)
    if expected is None:
        return
    spec = hint_spec(expected)
    if spec is None:
        return
    mismatch = return_mismatch("", spec, found)
    if mismatch is not None and is_fixed(spec):
        detail = mismatch.detail.replace("the returned value", "the value").replace(
            "the return hint", "the annotation"
        )
        _fail(Mismatch("assignment", detail), ctx.api, ctx.context)


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
    hints: Sequence[Type] = (),
) -> tuple[list[tuple[str, Spec, Shape]], list[bool]]:
    """The hinted arguments (name, hint, shape), and for each whether mypy's own types check
    its rank (its hint's array type and its own have a fixed number of axes, as `Mat`)."""
    params: list[tuple[str, Spec, Shape]] = []
    ranked: list[bool] = []
    for i, (spec, types) in enumerate(zip(specs, arg_types, strict=False)):
        if spec is None or len(types) != 1:
            continue
        shape = shape_of(types[0], unwrap_bvar)
        name = names[i] if i < len(names) else None
        params.append((f'argument "{name}"' if name else f"argument {i + 1}", spec, shape))
        hint = array(hints[i], True) if i < len(hints) else None
        ranked.append((hint is None or _fixed_rank(hint)) and _fixed_rank(array(types[0], True)))
    return params, ranked


def _fixed_rank(t: Instance | None) -> bool:
    """Whether the array type `t`'s numpy shape type fixes its number of axes (`Mat`'s
    `tuple[int, int]`, not `tuple[Any, ...]`): then mypy's own types check the rank."""
    if t is None or not t.args:
        return False
    st = get_proper_type(t.args[0])
    return isinstance(st, TupleType) and not any(isinstance(x, UnpackType) for x in st.items)


def _check_call(
    ctx: FunctionContext | MethodContext,
    where: str,
    names: Sequence[str | None],
    specs: Sequence[Spec | None],
    out: Spec | None,
    hints: Sequence[Type] = (),
    sized: "Callable[[FunctionContext | MethodContext, Binding], Type] | None" = None,
    arg_types: Sequence[Sequence[Type]] | None = None,
) -> Type:
    """Bind the hinted arguments' sizes (of `arg_types`, the call's own by default), report
    what contradicts, and give the result the sizes of `out` under the binding (or let `sized`
    give them: a tuple's items, a structure's fields)."""
    given = ctx.arg_types if arg_types is None else arg_types
    params, ranked = _params(names, specs, given, True, hints)
    if (
        sized is None
        and not any(shape.exact or shape.known() for _, _, shape in params)
        and (out is None or not is_fixed(out))
    ):
        return ctx.default_return_type
    # A rank mistake where mypy's own types do not say so (a hint on `Array`, any rank).
    mismatches = [
        Mismatch(where, why, rank=True)
        for (what, spec, shape), t in zip(params, ranked, strict=True)
        if not t and (why := rank_mismatch(what, spec, shape)) is not None
    ]
    if mismatches:
        return _finish(ctx, where, r.Outcome(None, mismatches))
    binding, mismatches = bind(params, where)
    if sized is not None:
        for mismatch in mismatches:
            _fail(mismatch, ctx.api, ctx.context)
        return _placed(ctx, sized(ctx, binding))
    sizes = None if out is None else output_sizes(out, binding)
    return _finish(ctx, where, r.Outcome(None if sizes is None else r.exact(sizes), mismatches))


def _source_hash() -> str:
    """A hash of the plugin's own modules: mypy keys its cache on the entry module only, so an
    edit of another would leave stale answers in the cache."""
    import hashlib
    from pathlib import Path

    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


_SOURCE_HASH = _source_hash()

_REPORTED: set[tuple[str, int, int, str]] = set()
"""The mismatches reported in this mypy run: mypy may check an expression more than once (an
operator and its reflection, an argument under each overload), each time calling the hooks."""


def _fail(mismatch: Mismatch, api: CheckerPluginInterface, context: Context) -> None:
    message = str(mismatch)
    key = (api.path, context.line, context.column, message)
    if key in _REPORTED:
        return
    code = RANK_MISMATCH if mismatch.rank else DIM_MISMATCH
    waiting = internals.fail_unfiltered(api, message, context, code)
    if waiting is None:
        _REPORTED.add(key)  # (one waiting for a loop's passes is asked again in each)
        return
    # In a loop: a variable read here and bound again later in the loop may have other sizes
    # at the loop's start than this first pass's; the error waits for that binding.
    carried = internals.rebound_in_loop(api, context)
    for name in _names_in(context):
        var = name.node
        if isinstance(var, Var) and id(var) in carried:
            now = internals.current_type(api, name)
            shape = None if now is None else encode_shape(shape_of(now))
            _WAITING.setdefault(id(var), []).append((waiting[0], waiting[1], shape))


_WAITING: dict[int, list[tuple[set[Any], object, str | None]]] = {}
"""Per variable (its Var's id): the loop errors that read it, and its sizes there."""


def _forget(api: CheckerPluginInterface, target: Expression, value: Type) -> None:
    """`target` is assigned `value` again: it forgets its earlier sizes, unless `value` has
    the same ones (`k = k * 2.0`, `layer = opt.step(layer, g)` in a loop keep them)."""
    _settle(api, target, value)
    current = internals.current_type(api, target)
    if current is not None and _same_sizes(value, current):
        return
    internals.forget(api, target, lambda t: without_shapes(t, api))


def _same_sizes(a: Type, b: Type) -> bool:
    """Whether `a` and `b` carry the same known sizes (arrays, tuples and structures of them)."""
    pa, pb = get_proper_type(a), get_proper_type(b)
    if isinstance(pa, TupleType) and isinstance(pb, TupleType):
        return len(pa.items) == len(pb.items) and all(
            _same_sizes(x, y) for x, y in zip(pa.items, pb.items, strict=True)
        )
    if array(pa, True) is not None and array(pb, True) is not None:
        sa, sb = shape_of(pa), shape_of(pb)
        return sa.exact and encode_shape(sa) == encode_shape(sb)
    return pa == pb


def _settle(api: CheckerPluginInterface, target: Expression, value: Type) -> None:
    """`target` is bound again in a loop to `value`: the errors of this pass that read it with
    other sizes are taken back (the loop's start may see `value`'s)."""
    for name in internals.names_bound(target):
        var = name.node
        waiting = _WAITING.get(id(var)) if isinstance(var, Var) else None
        if not waiting:
            continue
        now = encode_shape(shape_of(value))
        for errors, entry, shape in waiting:
            if shape != now:
                errors.discard(entry)


def _names_in(expr: Context) -> Iterator[NameExpr]:
    """The names read in an expression (a call's arguments, an operator's operands)."""
    todo: list[object] = [expr]
    while todo:
        e = todo.pop()
        if isinstance(e, NameExpr):
            yield e
        elif isinstance(e, CallExpr):
            todo.extend(e.args)
            if isinstance(e.callee, MemberExpr):
                todo.append(e.callee.expr)
        elif isinstance(e, OpExpr):
            todo.extend([e.left, e.right])
        elif isinstance(e, ComparisonExpr):
            todo.extend(e.operands)
        elif isinstance(e, MemberExpr):
            todo.append(e.expr)
        elif isinstance(e, IndexExpr):
            todo.extend([e.base, e.index])
        elif isinstance(e, UnaryExpr):
            todo.append(e.expr)
        elif isinstance(e, TupleExpr | ListExpr):
            todo.extend(e.items)


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
    rule: "Callable[[Call], r.Outcome] | None" = None
    messages: tuple[str, ...] = ()  # the argument names the runtime's messages use


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
    mro = [cls.fullname for cls in info.mro]
    op = next((cls for cls in info.mro if cls.fullname == _OP), None)
    if op is None:
        # A non-differentiable op (`argmax`, `less`) is no `Op`, but has its kind's rule.
        rule = op_rule(mro)
        return None if rule is None else _OpInfo(info, (), None, rule, _messages(mro))
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
    return _OpInfo(op, names, specs, op_rule(mro), _messages(mro))


def _mro(info: TypeInfo) -> list[str]:
    return [cls.fullname for cls in info.mro]


def _messages(mro: Sequence[str]) -> tuple[str, ...]:
    return next((tuple(OP_NAMES[c]) for c in mro if c in OP_NAMES), ())


def _op_hook(info: _OpInfo, ctx: MethodContext) -> Type:
    if info.rule is not None:
        name = _callee_name(ctx, info.op.name)
        names: tuple[str | None, ...] = info.messages or tuple(ctx.callee_arg_names)
        where = f'call to "{name}"'
        call = Call(ctx, where, names)
        return _finish(ctx, where, info.rule(call), name)
    specs = info.specs
    if specs is None:
        specs = _type_parameter_specs(ctx.type, info.op)
    if specs is None or len(specs) < 2 or not any(s is not None for s in specs):
        return ctx.default_return_type
    name = _callee_name(ctx, info.op.name)
    receiver = get_proper_type(ctx.type)
    own = internals.argument_names(receiver) if isinstance(receiver, Instance) else None
    return _check_call(ctx, f'call to "{name}"', own or info.names, specs[:-1], specs[-1])


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
    # The function's parameter names name the op's arguments in messages, as at run time.
    names = [n or "" for n in f.arg_names]
    str_type = ctx.api.named_generic_type("builtins.str", [])
    return internals.with_argument_names(result.copy_modified(args=args), names, str_type)


def _constant_hook(ctx: FunctionContext) -> Type:
    """`constant(x)`: a BVar of x's sizes (mypy may solve its type from the expected type of an
    argument it is given to, `matvec(constant(zeros(3, 4)), ...)`, which has none)."""
    if len(ctx.arg_types) != 1 or len(ctx.arg_types[0]) != 1:
        return ctx.default_return_type
    shape = shape_of(ctx.arg_types[0][0])
    if not shape.exact or not shape.known():
        return ctx.default_return_type
    return _placed(ctx, with_shape(ctx.default_return_type, shape, ctx.api))


# -- numpy's functions, and BVar's and ndarray's operators and methods ------------------------


def _numpy_hook(rule: "Callable[[Call], r.Outcome]", name: str, ctx: FunctionContext) -> Type:
    where = f'call to "{name}"'
    names = tuple(ctx.callee_arg_names)
    return _finish(ctx, where, rule(Call(ctx, where, names)), name)


def _ufunc_hook(ctx: MethodContext) -> Type:
    """A call of a numpy ufunc (`np.matmul(a, b)`, `np.add`, `np.tanh`): the rule of its name."""
    name = _callee_name(ctx, "")
    rule = NUMPY_FUNCTIONS.get(f"numpy.{name}")
    if rule is None:
        return ctx.default_return_type
    where = f'call to "{name}"'
    return _finish(ctx, where, rule(Call(ctx, where, tuple(ctx.callee_arg_names))), name)


def _method_rule_hook(method: str, ctx: MethodContext) -> Type:
    """An operator or a method of an array or a BVar: its rule, with the receiver's shape."""
    receiver = r.Arg("the array", shape_of(ctx.type))
    if method in OPERATORS:
        where = f'operator "{OPERATORS[method][0]}"'
        call = Call(ctx, where, ())
        return _finish(ctx, where, operator(call, method, receiver), method)
    where = f'call to "{method}"' if method != "__getitem__" else "indexing"
    call = Call(ctx, where, tuple(ctx.callee_arg_names), receiver)
    return _finish(ctx, where, METHODS[method](call), method)


def _rows_hook(ctx: MethodContext) -> Type:
    """`for row in x` over an array of two axes or more: rows of `x`'s other sizes (numpy's
    stubs type them `Any`)."""
    shape = shape_of(ctx.type, False)
    result = get_proper_type(ctx.default_return_type)
    receiver = array(ctx.type, False)
    if not shape.exact or len(shape.head) < 2 or not isinstance(result, Instance):
        return ctx.default_return_type
    if receiver is None or len(receiver.args) != 2 or len(result.args) != 1:
        return ctx.default_return_type
    any_type = AnyType(TypeOfAny.special_form)
    tuple_type = ctx.api.named_generic_type("builtins.tuple", [any_type])
    row = ctx.api.named_generic_type(NDARRAY, [tuple_type, receiver.args[1]])
    sized = with_shape(row, Shape(shape.head[1:], (), True), ctx.api)
    return result.copy_modified(args=[sized])


def _container_read_hook(ctx: MethodContext) -> Type:
    """An item read from a list or a dict: no sizes (see `_CONTAINER_READS`)."""
    return without_shapes(ctx.default_return_type, ctx.api)


def _forget_reassigned(ctx: FunctionContext | MethodContext, result: Type) -> None:
    """A call whose value a variable is assigned again: the variable forgets the sizes of its
    earlier values (see `_placed`), whatever the call gives; every call goes through here,
    the calls that no rule knows too (`h = step(h, x)`)."""
    if not sized_module(ctx.api):
        return  # (no size here to forget: the common case, answered cheaply)
    again = internals.reassigned_by(ctx.api, ctx.context)
    if again is not None:
        _forget(ctx.api, again, result)


_SAME_SIZES = frozenset(
    (
        *(
            f"typedprop._backprop.{name}"
            for name in "grad grad_n backprop backprop_n evaluate".split()
        ),
        "typedprop._tracing.graph.trace",
        "typing.Iterator.__next__",  # an array's rows (`_rows_hook`), a for loop's items
    )
)
"""Functions whose results have the sizes mypy gave them: a gradient has exactly its
parameters' type (an optimizer and its `step` too, `_keeps_sizes`), `evaluate(f, x)` the type of
`f`'s result, checked with its sizes; `trace` a graph typed with the traced parameters' (its
methods: `_no_rule`)."""


def _keeps_sizes(fullname: str) -> bool:
    # An optimizer is typed with its parameters' type, which its `step` returns.
    return fullname in _SAME_SIZES or fullname.startswith("typedprop.optim.")


def _no_rule(keep: bool, ctx: FunctionContext | MethodContext) -> Type:
    """A call that no rule knows: its type as mypy gives it, without the sizes that mypy's
    type variables may have carried into it from an argument (`graph.grad(x)`, typed with the
    traced parameters', `functools.reduce(f, xs, first)`), unless the callee keeps its
    arguments' sizes (`keep`: `tp.grad`, an optimizer's `step`). (`_guarded` forgets the sizes
    of a variable it is assigned to again.)"""
    if keep or not sized_module(ctx.api):
        return ctx.default_return_type
    if _is_graph(ctx) and ctx.arg_types and len(ctx.arg_types[0]) == 1:
        # A recorded graph is typed with the traced parameters': its gradient has them where
        # it is given those parameters again (a replay on other data), not otherwise.
        given = get_proper_type(ctx.arg_types[0][0])
        result = get_proper_type(ctx.default_return_type)
        if result == given:
            return ctx.default_return_type
        if (
            isinstance(result, TupleType)
            and result.partial_fallback.type.fullname == "builtins.tuple"
        ):
            items = [
                i if get_proper_type(i) == given else without_shapes(i, ctx.api)
                for i in result.items
            ]
            return result.copy_modified(items=items)
    return without_shapes(ctx.default_return_type, ctx.api)


def _is_graph(ctx: FunctionContext | MethodContext) -> bool:
    receiver = get_proper_type(ctx.type) if isinstance(ctx, MethodContext) else None
    return isinstance(receiver, Instance) and receiver.type.fullname.startswith(
        "typedprop._tracing.graph.Graph"
    )


def _reveal_hook(ctx: FunctionContext) -> Type:
    """`reveal_shape(x)`: a note with what the plugin knows of x's shape."""
    if ctx.arg_types and len(ctx.arg_types[0]) == 1:
        shape = shape_of(ctx.arg_types[0][0])
        known = str(shape) if shape.exact or shape.known() else "unknown"
        ctx.api.msg.note(f"Static shape is {known}", ctx.context)
    return ctx.default_return_type


def _forget_hook(ctx: FunctionContext) -> Type:
    """A numpy function that keeps its argument's type but not its shape."""
    names = ctx.callee_arg_names
    given = {n for n, types in zip(names, ctx.arg_types, strict=False) if n and types}
    if names and "shape" in names and "shape" not in given:
        return ctx.default_return_type  # `zeros_like(x)`: x's shape, sizes and all
    # Another shape (`empty_like(a, shape=(2, 3))` is typed as `a`): not even its rank.
    return with_shape(ctx.default_return_type, None, ctx.api, rank_unknown="shape" in given)


def _transposed_hook(last_two: bool, ctx: AttributeContext) -> Type:
    """`.T` (the axes reversed) and `.mT` (the last two swapped)."""
    x = r.Arg("the array", shape_of(ctx.type))
    out = r.swapaxes("", x, -2, -1) if last_two else r.transpose("", x)
    return _placed(ctx, with_shape(ctx.default_attr_type, out.shape, ctx.api))


# -- shapecheck-decorated functions ----------------------------------------------------------


def _is_checked(t: Type | None) -> CallableType | None:
    p = get_proper_type(t) if t is not None else None
    if isinstance(p, CallableType) and internals.is_marked_checked(p.fallback):
        return p
    return None


def _aligned(
    sig: CallableType, given: Sequence[Sequence[Type]]
) -> tuple[list[Type], list[str | None], list[Spec | None]] | None:
    """The hinted signature's parameters for the call's arguments `given` (types, names,
    shapes), aligned from the end: a bound method's call has no formal for `self`."""
    offset = len(sig.arg_types) - len(given)
    if offset < 0:
        return None
    types = sig.arg_types[offset:]
    return types, sig.arg_names[offset:], [hint_spec(t) for t in types]


def _function_hook(sig: CallableType, where: str, ctx: FunctionContext | MethodContext) -> Type:
    aligned = _aligned(sig, ctx.arg_types)
    if aligned is None:
        return ctx.default_return_type
    types, names, specs = aligned
    ret = get_proper_type(sig.ret_type)
    if isinstance(ret, TupleType):  # `-> tuple[Float[...], Float[...]]`: item by item
        items = [hint_spec(t) for t in ret.items]
        if any(items):
            return _check_call(ctx, where, names, specs, None, types, partial(_sized_items, items))
    return _check_call(ctx, where, names, specs, hint_spec(sig.ret_type), types)


def _sized_items(
    specs: Sequence[Spec | None], ctx: FunctionContext | MethodContext, binding: Binding
) -> Type:
    """The call's tuple result, its items given the sizes of their hints under `binding`."""
    p = get_proper_type(ctx.default_return_type)
    if not isinstance(p, TupleType) or len(p.items) != len(specs):
        return ctx.default_return_type
    items = [_sized(t, spec, binding, ctx.api) for t, spec in zip(p.items, specs, strict=True)]
    return p.copy_modified(items=items)


def _sized(t: Type, spec: Spec | None, binding: Binding, api: CheckerPluginInterface) -> Type:
    sizes = None if spec is None else output_sizes(spec, binding)
    return t if sizes is None else with_shape(t, r.exact(sizes), api)


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
    info = ctx.cls.info
    info.metadata.setdefault(_METADATA, {})["shapecheck"] = True
    if info.tuple_type is not None:
        internals.unshare_fields(info)


def _structure_hook(
    info: TypeInfo,
    sig: CallableType,
    where: str,
    ctx: FunctionContext | MethodContext,
    arg_types: Sequence[Sequence[Type]] | None = None,
) -> Type:
    """A `shapecheck`ed structure's constructor (given `arg_types`, the call's own by default):
    checked as a call, and the result remembers the sizes given to each field (a NamedTuple in
    its items, a frozen dataclass in extra attributes), so that `layer.w` has them later
    (`_field_hook`)."""
    given = ctx.arg_types if arg_types is None else arg_types
    aligned = _aligned(sig, given)
    if aligned is None:
        return ctx.default_return_type
    types, names, specs = aligned
    fields = _fields(info)
    if fields is None:
        return _check_call(ctx, where, names, specs, None, types, arg_types=given)

    def sized(ctx: FunctionContext | MethodContext, binding: Binding) -> Type:
        shapes: dict[str, Shape] = {}
        for name, spec, value in zip(names, specs, given, strict=False):
            own = shape_of(value[0]) if name and len(value) == 1 else UNKNOWN
            shape = own if own.exact and own.known() else None
            sizes = None if spec is None else output_sizes(spec, binding)
            if sizes is not None:
                shape = r.exact(sizes)
            if name and shape is not None and shape.known():
                shapes[name] = shape
        result = get_proper_type(ctx.default_return_type)
        if isinstance(result, TupleType) and len(result.items) == len(fields):
            # A structure given for a field keeps its own fields' sizes (`model.encoder.w`).
            inner = {
                name: value[0]
                for name, value in zip(names, given, strict=False)
                if name and len(value) == 1 and array(value[0], True) is None
            }
            items = [
                with_shape(t, shapes[name], ctx.api)
                if name in shapes
                else inner[name]
                if name in inner and _same_structure(inner[name], t)
                else t
                for t, name in zip(result.items, fields, strict=True)
            ]
            return result.copy_modified(items=items)
        if isinstance(result, Instance) and shapes:
            text = {name: encode_shape(shape) for name, shape in shapes.items()}
            str_type = ctx.api.named_generic_type("builtins.str", [])
            mark_sized(ctx.api)
            return internals.with_field_shapes(result, text, str_type)
        return ctx.default_return_type

    return _check_call(ctx, where, names, specs, None, types, sized, given)


def _replace_hook(ctx: FunctionContext) -> Type:
    """`dataclasses.replace(obj, w=...)`: the checked constructor called again, with the
    fields not given as `obj` has them (with the sizes its type remembers)."""
    if not ctx.arg_types or len(ctx.arg_types[0]) != 1:
        return ctx.default_return_type
    obj = get_proper_type(ctx.arg_types[0][0])
    if not isinstance(obj, Instance):
        return ctx.default_return_type
    sig = _checked_constructor(obj.type)
    if sig is None:
        return ctx.default_return_type
    changes = dict(zip(ctx.callee_arg_names[1:], ctx.arg_types[1:], strict=False))
    arg_types: list[list[Type]] = []
    for name in sig.arg_names[1:]:  # after `self`
        if name is None:
            return ctx.default_return_type
        if changes.get(name):
            arg_types.append(list(changes[name]))
            continue
        node = obj.type.get(name)
        declared = node.type if node is not None else None
        if declared is None:
            return ctx.default_return_type
        known = internals.field_shape(obj, name)
        arg_types.append(
            [declared if known is None else with_shape(declared, decode_shape(known), ctx.api)]
        )
    return _structure_hook(obj.type, sig, 'call to "replace"', ctx, arg_types)


def _fields(info: TypeInfo) -> list[str] | None:
    """The fields of an immutable structure (a NamedTuple, a frozen dataclass) in order; None
    for a mutable one, whose fields may be given other sizes after its constructor."""
    named = info.metadata.get("namedtuple")
    if named is not None:
        return list(named.get("fields", []))
    data = info.metadata.get("dataclass")
    if data is not None and data.get("frozen"):
        return [a["name"] for a in data.get("attributes", [])]
    return None


def _field_hook(name: str, index: int | None, ctx: AttributeContext) -> Type:
    """`layer.w` for a structure whose constructor's sizes its type remembers: read from a
    variable (whose sizes are forgotten where it is assigned again), a call, or a field or a
    tuple item of those (`model.encoder.w`, `pair[0].w`), not from an item of a list or a dict
    or of a generic (`layers[1].w`, `box.item.w`), whose type holds its first item's sizes."""
    receiver = ctx.context.expr if isinstance(ctx.context, MemberExpr) else None
    if ctx.is_lvalue or receiver is None or not _trusted(receiver, ctx.api):
        return ctx.default_attr_type
    t = get_proper_type(ctx.type)
    field: Type | None = None
    if isinstance(t, TupleType) and index is not None and index < len(t.items):
        field = t.items[index]
    known = None
    if field is not None:
        item = array(field, True)
        if item is None:
            # A structure in a structure (`model.encoder`): its own fields' sizes.
            inner, default = get_proper_type(field), get_proper_type(ctx.default_attr_type)
            if _same_structure(inner, default):
                return _placed(ctx, field)
            return ctx.default_attr_type
        known = internals.known_shape(item)
    elif isinstance(t, Instance):
        known = internals.field_shape(t, name)
    if known is None:
        return _instance_names(ctx, receiver)
    return _placed(ctx, with_shape(ctx.default_attr_type, decode_shape(known), ctx.api))


def _instance_names(ctx: AttributeContext, receiver: Expression) -> Type:
    """A field read from a structure whose constructor's sizes are not known: its hint's
    dimension names are this value's own (`a.b` and `b.b` of two `Dense`s: two `out`s, which
    may differ), shared with the value's other fields where the receiver is a variable that
    holds one value."""
    hinted = shape_of(ctx.default_attr_type)
    names = {n for s in (*hinted.head, *hinted.tail) if s is not None for n in s.names}
    if not names:
        return ctx.default_attr_type
    if isinstance(receiver, NameExpr) and internals.bound_once(ctx.api, receiver):
        tag = receiver.name
    else:
        tag = f"L{receiver.line}C{receiver.column}"
    own = {n: Size.named(f"{n}#{tag}") for n in names}
    head = tuple(None if s is None else s.substitute(own) for s in hinted.head)
    tail = tuple(None if s is None else s.substitute(own) for s in hinted.tail)
    return with_shape(ctx.default_attr_type, Shape(head, tail, hinted.exact), ctx.api)


def _same_structure(a: Type, b: Type) -> bool:
    """Whether `a` and `b` are one structure type (a NamedTuple's, or a dataclass's)."""
    a, b = get_proper_type(a), get_proper_type(b)
    fa = a.partial_fallback if isinstance(a, TupleType) else a
    fb = b.partial_fallback if isinstance(b, TupleType) else b
    return isinstance(fa, Instance) and isinstance(fb, Instance) and fa.type == fb.type


def _trusted(receiver: Expression, api: CheckerPluginInterface) -> bool:
    """Whether a structure read from `receiver` has the sizes its type says: a variable, a
    call, a field of a checked immutable structure or an item of a tuple read from those."""
    if isinstance(receiver, NameExpr | CallExpr):
        return True
    if isinstance(receiver, MemberExpr | IndexExpr):
        base = receiver.expr if isinstance(receiver, MemberExpr) else receiver.base
        t = get_proper_type(internals.expression_type(api, base))
        if isinstance(receiver, IndexExpr):
            return isinstance(t, TupleType) and _trusted(base, api)
        info = t.partial_fallback.type if isinstance(t, TupleType) else None
        if isinstance(t, Instance):
            info = t.type
        return (
            info is not None
            and _checked_constructor(info) is not None
            and _fields(info) is not None
            and _trusted(base, api)
        )
    return False


def _check_returns(func: FuncDef, api: CheckerPluginInterface) -> None:
    declared = get_proper_type(func.type)
    if not isinstance(declared, CallableType):
        return
    # One hint, or one per item of a tuple (`-> tuple[Float[...], Float[...]]`).
    ret_type = get_proper_type(declared.ret_type)
    hints = ret_type.items if isinstance(ret_type, TupleType) else [ret_type]
    specs = [hint_spec(h) for h in hints]
    if not any(specs):
        return
    for ret in _returns(func.body.body):
        if ret.expr is None:
            continue
        if isinstance(ret_type, TupleType):
            if not isinstance(ret.expr, TupleExpr) or len(ret.expr.items) != len(specs):
                continue
            values: list[Expression] = list(ret.expr.items)
        else:
            values = [ret.expr]
        for spec, value in zip(specs, values, strict=True):
            t = internals.expression_type(api, value)
            if spec is None or t is None:
                continue
            mismatch = return_mismatch(func.name, spec, shape_of(t), func.fullname)
            if mismatch is not None:
                _fail(mismatch, api, value)


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
            result = hook(ctx)
            if not isinstance(ctx, AttributeContext):
                _forget_reassigned(ctx, result)
            return result
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
        return {
            "supported": internals.SUPPORTED,
            "notes": self._reporter.as_notes,
            "source": _SOURCE_HASH,
        }

    # Type analysis: jaxtyping hints keep their shape string.
    def get_type_analyze_hook(self, fullname: str) -> Callable[[AnalyzeTypeContext], Type] | None:
        return partial(_annotated_hook, self._reporter) if fullname in _ANNOTATED else None

    def get_base_class_hook(self, fullname: str) -> Callable[[ClassDefContext], None] | None:
        return partial(_op_base_hook, self._reporter) if fullname == _OP else None

    def get_class_decorator_hook(self, fullname: str) -> Callable[[ClassDefContext], None] | None:
        return _mark_checked_class if fullname == _SHAPECHECK else None

    def get_attribute_hook(self, fullname: str) -> Callable[[AttributeContext], Type] | None:
        key = ("attribute", fullname)
        if key in self._hooks:
            hook = self._hooks[key]
        else:
            hook = _guarded(self._reporter, self._attribute_hook(fullname))
            self._hooks[key] = hook
        return flushing(self._reporter, hook) if self._reporter.pending else hook

    def _attribute_hook(self, fullname: str) -> Callable[[AttributeContext], Type] | None:
        if fullname in (*internals.NUMPY_TRANSPOSES["T"], f"{BVAR}.T"):
            return partial(_transposed_hook, False)
        if fullname in internals.NUMPY_TRANSPOSES["mT"]:
            return partial(_transposed_hook, True)
        cls, _, name = fullname.rpartition(".")
        info = self._lookup_info(cls) if cls and not cls.startswith("numpy.") else None
        if info is None or _checked_constructor(info) is None:
            return None
        fields = _fields(info)
        if fields is None or name not in fields:
            return None
        return partial(_field_hook, name, fields.index(name))

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        key = ("function", fullname)
        if key in self._hooks:
            guarded = self._hooks[key]
        else:
            hook, final = self._function_hook(fullname)
            guarded = _guarded(self._reporter, hook or partial(_no_rule, _keeps_sizes(fullname)))
            if final:
                self._hooks[key] = guarded
        return flushing(self._reporter, guarded) if self._reporter.pending else guarded

    def get_method_hook(self, fullname: str) -> Callable[[MethodContext], Type] | None:
        key = ("method", fullname)
        if key in self._hooks:
            guarded = self._hooks[key]
        else:
            hook, final = self._method_hook(fullname)
            guarded = _guarded(self._reporter, hook or partial(_no_rule, _keeps_sizes(fullname)))
            if final:
                self._hooks[key] = guarded
        return flushing(self._reporter, guarded) if self._reporter.pending else guarded

    def _function_hook(
        self, fullname: str
    ) -> tuple[Callable[[FunctionContext], Type] | None, bool]:
        if fullname in _CONSTRUCTORS:
            return _constructor_hook, True
        name = fullname.rsplit(".", 1)[-1]
        # numpy defines them in private modules (`numpy._core.multiarray.concatenate`,
        # `numpy.linalg._linalg.solve`).
        public = f"numpy.linalg.{name}" if fullname.startswith("numpy.linalg.") else f"numpy.{name}"
        if fullname.startswith("numpy.") and public in NUMPY_FUNCTIONS:
            return partial(_numpy_hook, NUMPY_FUNCTIONS[public], name), True
        if fullname.startswith("numpy.") and f"numpy.{name}" in _NUMPY_FORGETS:
            return _forget_hook, True
        if fullname == _SHAPECHECK:
            return _shapecheck_hook, True
        if fullname == _REVEAL:
            return _reveal_hook, True
        if fullname == "dataclasses.replace":
            return _replace_hook, True
        if fullname in _OP_MAKERS:
            return _op_from_function_hook, True
        if fullname == _CONSTANT:
            return _constant_hook, True
        sig, final = self._checked_signature(fullname)
        if sig is None:
            return None, final
        name = fullname.rsplit(".", 1)[-1]
        info = self._lookup_info(fullname)
        if info is not None:
            return partial(_structure_hook, info, sig, f'call to "{name}"'), True
        return partial(_function_hook, sig, f'call to "{name}"'), True

    def _method_hook(self, fullname: str) -> tuple[Callable[[MethodContext], Type] | None, bool]:
        if fullname in _CONTAINER_READS:
            return _container_read_hook, True
        cls, _, method = fullname.rpartition(".")
        if cls in _ARRAY_CLASSES and (method in METHODS or method in OPERATORS):
            return partial(_method_rule_hook, method), True
        if cls == NDARRAY and method == "__iter__":
            return _rows_hook, True
        if cls.startswith("numpy.") and "UFunc_" in cls and method == "__call__":
            return _ufunc_hook, True
        if method == "__call__":
            info = self._lookup_info(cls)
            if info is not None and (
                info.fullname == _OP or info.has_base(_OP) or op_rule(_mro(info)) is not None
            ):
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
    whose parameters are the fields with their hints; a subclass's where it inherits it (as
    the run time checks it)."""
    node = info.get_method("__new__" if info.tuple_type is not None else "__init__")
    if not isinstance(node, FuncDef) or not _is_checked_class(node.info):
        return None
    return node.type if isinstance(node.type, CallableType) else None


def _is_checked_class(info: TypeInfo) -> bool:
    return bool(info.metadata.get(_METADATA, {}).get("shapecheck"))


def _node_type(node: object) -> Type | None:
    if isinstance(node, Decorator):
        return node.var.type
    if isinstance(node, Var):
        return node.type
    return None
