"""Every use the plugin makes of mypy's internals, of numpy's private stub names and of
jaxtyping's private names, in one module, with the check that they are there.

mypy's plugin API (`mypy.plugin`: the hooks and their contexts) is documented but unstable; the
plugin also needs a few things it does not offer. Each is used here and nowhere else:

- `TypeAnalyser.try_analyze_special_unbound_type`: analyze `Annotated[...]` exactly as mypy
  would, before attaching a shape string to the result (`analyze_annotated`);
- `mypy.types.ExtraAttrs` on `Instance.extra_attrs`: the invisible attribute that carries a
  shape string on an array type, or marks a `shapecheck`ed signature (mypy's cache keeps it);
- the checker's `recurse_into_functions`, `tscope`, `set_recurse_into_functions`,
  `check_func_item`, and `FuncDef.def_or_infer_vars`: check a `shapecheck`ed body early
  (`check_body_now`), and the checker's `lookup_type_or_none`: the type of a returned expression;
- `mypy.maptype.map_instance_to_supertype`: an `ndarray` subclass or an `Op` subclass seen as
  its base; `mypy.checkexpr.has_any_type`: whether mypy may find a call's overloads ambiguous
  (`contains_any`);
- `Errors.prefer_simple_messages`: whether an error reported now is shown (`errors_shown`), so
  that the plugin's one report of its own problems is not thrown away; `Errors._watchers`: a
  dimension mismatch reported past mypy's tries of an operator (`fail_unfiltered`);
- the checker's `expr_checker.type_context`, `tree` and `binder` (`Frame.types`,
  `CurrentType`, `literal_hash`), and `TypeAnalyser.tvar_scope`: an annotated assignment's
  hint, where a value is assigned (`_Places`), a variable assigned again forgetting its first
  size (`forget`), and the function or class a hint is written in (`hint_scope`);
- `TypeAnalyser.lookup_qualified` and `SemanticAnalyzer.cur_mod_node`: a `Final` constant
  named in a hint, and the source file of an f-string hint (`final_value`, `fstring_at`);
- numpy's stub-only class `_ArrayOrScalarCommon`, which defines `.T` and `.mT`
  (`NUMPY_TRANSPOSES`);
- jaxtyping's dtype kinds (`Float`, `Int`, ...), which its stubs alias to `Annotated` in the
  private `jaxtyping._indirection`: read here from jaxtyping's public classes
  (`jaxtyping_kinds`).

The plugin was written for mypy `SUPPORTED` (`>=2.4,<2.5`). `problem` says, once at start-up,
whether this mypy is one of those and has every internal above; the plugin reports the answer
once (see the package's docstring) rather than check nothing in silence.

Internal: used by the plugin's other modules only.
"""

import ast
import importlib
import os
import re
from collections.abc import Callable
from typing import Any

from mypy.errorcodes import ErrorCode
from mypy.nodes import Context, Expression, FuncDef, MemberExpr, NameExpr, TypeInfo, Var
from mypy.plugin import AnalyzeTypeContext, CheckerPluginInterface
from mypy.types import Instance, LiteralType, Type

SUPPORTED = ">=2.4,<2.5"
"""The mypy versions this plugin was written for (the `test` extra pins the same range)."""
_LOWEST = (2, 4)
_ABOVE = (2, 5)

_DIMS = "__typedprop_dims__"
"""The extra attribute of an array type that holds its jaxtyping shape string."""
_SCOPE = "__typedprop_scope__"
"""The extra attribute beside `_DIMS`: the function or class whose hint wrote the shape string
(its names are that scope's)."""
_SHAPE = "__typedprop_shape__"
"""The extra attribute of an array type that holds the shape the plugin worked out for a value
(`Shape.text` with scoped names, see `sizes.Size.encode`)."""
_KIND = "__typedprop_kind__"
"""The extra attribute beside `_DIMS`: the hint's jaxtyping dtype kind (`Int`, `Float`, ...)."""
_FIELD = "__typedprop_field__ "
"""The prefix of the extra attributes of a structure's type (a frozen dataclass) that hold the
shapes its constructor gave its fields, one per field (`_FIELD + name`: no identifier, so no
user's attribute)."""
_NAMES = "__typedprop_arguments__"
"""The extra attribute of an op's type made by `op1`/`op2`/`op3`: its function's parameter
names, space-separated."""
_CHECKED = "__typedprop_shapecheck__"
"""The extra attribute of a `shapecheck`-decorated function's fallback type."""

NUMPY_TRANSPOSES = {
    "T": ("numpy._ArrayOrScalarCommon.T", "numpy.ndarray.T"),
    "mT": ("numpy._ArrayOrScalarCommon.mT", "numpy.ndarray.mT"),
}
"""The full names under which mypy asks for the attribute hooks of `ndarray.T` and `.mT`: the
class that defines them in numpy's stubs (private), or ndarray itself should they move there."""

# What the plugin needs: (module, class or None, attribute), probed by `missing_internals`.
_NEEDED = (
    ("mypy.types", None, "ExtraAttrs"),
    ("mypy.types", "Instance", "extra_attrs"),
    ("mypy.typeanal", "TypeAnalyser", "try_analyze_special_unbound_type"),
    ("mypy.checker", "TypeChecker", "recurse_into_functions"),
    ("mypy.checker", "TypeChecker", "tscope"),
    ("mypy.checker", "TypeChecker", "set_recurse_into_functions"),
    ("mypy.checker", "TypeChecker", "check_func_item"),
    ("mypy.checker", "TypeChecker", "lookup_type_or_none"),
    ("mypy.scope", "Scope", "function_scope"),
    ("mypy.nodes", "FuncDef", "def_or_infer_vars"),
    ("mypy.maptype", None, "map_instance_to_supertype"),
    ("mypy.errors", "Errors", "prefer_simple_messages"),
    ("mypy.errors", "IterationErrorWatcher", "iteration_dependent_errors"),
    ("mypy.binder", None, "CurrentType"),
    ("mypy.binder", "Frame", "__init__"),
    ("mypy.binder", "ConditionalTypeBinder", "put"),
    ("mypy.literals", None, "literal_hash"),
    ("mypy.typeanal", "TypeAnalyser", "lookup_qualified"),
    ("mypy.checkexpr", None, "has_any_type"),
    ("jaxtyping", None, "AbstractDtype"),
)


def _version(text: str) -> tuple[int, int] | None:
    m = re.match(r"(\d+)\.(\d+)", text)
    return None if m is None else (int(m[1]), int(m[2]))


def missing_internals() -> list[str]:
    """The internals in the module's docstring that this mypy (or jaxtyping) lacks, by name."""
    missing = []
    for module_name, class_name, attribute in _NEEDED:
        where = f"{module_name}.{class_name}" if class_name else module_name
        try:
            owner: object = importlib.import_module(module_name)
            if class_name is not None:
                owner = getattr(owner, class_name)
        except (ImportError, AttributeError):
            missing.append(f"{where}.{attribute}")
            continue
        if not hasattr(owner, attribute):
            missing.append(f"{where}.{attribute}")
    return missing


def problem(version: str) -> str | None:
    """Why the plugin cannot check dimensions on mypy `version`, or None where it can."""
    found = _version(version)
    if found is None or not _LOWEST <= found < _ABOVE:
        return f"this is mypy {version}"
    missing = missing_internals()
    if missing:
        return f"this mypy {version} lacks {', '.join(missing)}"
    return None


def unsupported_message(reason: str) -> str:
    """The one message the plugin gives where it cannot check dimensions."""
    return (
        f"typedprop.mypy_plugin supports mypy {SUPPORTED}, and {reason}: jaxtyping dimensions "
        "are not checked (TYPEDPROP_PLUGIN_UNSUPPORTED=note makes this a note)"
    )


# -- jaxtyping -------------------------------------------------------------------------------


def jaxtyping_kinds() -> frozenset[str]:
    """The names of jaxtyping's dtype kinds (`Float`, `Int`, `Shaped`, ...): its public dtype
    classes, which its stubs alias to `Annotated` (`jaxtyping/_indirection.py`)."""
    import jaxtyping

    return frozenset(
        name
        for name, value in vars(jaxtyping).items()
        if isinstance(value, type)
        and issubclass(value, jaxtyping.AbstractDtype)
        and value is not jaxtyping.AbstractDtype
    )


# -- type analysis ---------------------------------------------------------------------------


def analyze_annotated(ctx: AnalyzeTypeContext) -> Type | None:
    """`ctx.type`, an `Annotated[...]`, analyzed exactly as mypy would without the plugin; None
    where this mypy cannot do that."""
    analyze = getattr(ctx.api, "try_analyze_special_unbound_type", None)
    if analyze is None:
        return None
    result = analyze(ctx.type, "typing.Annotated")
    return result if isinstance(result, Type) else None


def final_value(ctx: AnalyzeTypeContext, name: str) -> object:
    """The value of the `Final` constant `name` (`HIDDEN: Final = 128`) where a hint is
    written, or None."""
    var = _final_var(ctx, name)
    return None if var is None else var.final_value


def is_variable(ctx: AnalyzeTypeContext, name: str) -> bool:
    """Whether `name`, where a hint is written, is a variable (`Final` or not)."""
    return _variable(ctx, name) is not None


def _final_var(ctx: AnalyzeTypeContext, name: str) -> Var | None:
    var = _variable(ctx, name)
    return var if var is not None and var.is_final else None


def _variable(ctx: AnalyzeTypeContext, name: str) -> Var | None:
    lookup = getattr(ctx.api, "lookup_qualified", None)
    if lookup is None:
        return None
    try:
        node = lookup(name, ctx.context, suppress_errors=True)
    except (AssertionError, KeyError):
        return None
    var = getattr(node, "node", None)
    return var if isinstance(var, Var) else None


_SOURCES: dict[str, tuple[float, list[ast.JoinedStr]]] = {}


def final_fstring(ctx: AnalyzeTypeContext, name: str) -> ast.JoinedStr | None:
    """The f-string a `Final` constant of the module being analyzed was given
    (`DIMS: Final = f"{H} {IN}"`: mypy keeps no value for it), or None."""
    var = _final_var(ctx, name)
    if var is None or var.final_value is not None or not var.fullname.startswith(_module(ctx)):
        return None
    return fstring_at(ctx, var.line, None)


def _module(ctx: AnalyzeTypeContext) -> str:
    module = getattr(getattr(ctx.api, "api", None), "cur_mod_node", None)
    name = getattr(module, "fullname", None)
    return f"{name}." if isinstance(name, str) else "\0"


def fstring_at(ctx: AnalyzeTypeContext, line: int, column: int | None) -> ast.JoinedStr | None:
    """The f-string that starts at `column` (any, for None) on `line` (or the first such below
    it: mypy may give a signature's line) of the module being analyzed, read from its source
    file (mypy keeps no value of an f-string in a type); None where there is none, or no
    file."""
    module = getattr(getattr(ctx.api, "api", None), "cur_mod_node", None)
    path = getattr(module, "path", None)
    if not isinstance(path, str) or not os.path.isfile(path):
        return None
    try:
        stamp = os.path.getmtime(path)
        cached = _SOURCES.get(path)
        if cached is None or cached[0] != stamp:
            with open(path, "rb") as f:
                tree = ast.parse(f.read())
            found = [n for n in ast.walk(tree) if isinstance(n, ast.JoinedStr)]
            cached = (stamp, sorted(found, key=lambda n: (n.lineno, n.col_offset)))
            _SOURCES[path] = cached
    except (OSError, SyntaxError, ValueError):
        return None
    if column is None:
        return next((n for n in cached[1] if n.lineno == line), None)
    return next((n for n in cached[1] if n.lineno >= line and n.col_offset == column), None)


# -- extra attributes: shape strings and marked signatures -----------------------------------


def shape_string(t: Instance) -> str | None:
    """The jaxtyping shape string attached to the array type `t`, or None."""
    extra = t.extra_attrs
    if extra is None:
        return None
    text = extra.attrs.get(_DIMS)
    if not isinstance(text, LiteralType) or not isinstance(text.value, str):
        return None
    return text.value


def shape_scope(t: Instance) -> str:
    """The scope of the shape string attached to `t` (see `_SCOPE`), "" where none is."""
    return _string_attr(t, _SCOPE) or ""


def hint_kind(t: Instance) -> str:
    """The jaxtyping dtype kind of the hint that typed `t` (`Int`), "" where none did."""
    return _string_attr(t, _KIND) or ""


def known_shape(t: Instance) -> str | None:
    """The shape the plugin wrote on the array type `t` (`_SHAPE`), or None."""
    return _string_attr(t, _SHAPE)


def _string_attr(t: Instance, key: str) -> str | None:
    extra = t.extra_attrs
    if extra is None:
        return None
    value = extra.attrs.get(key)
    if not isinstance(value, LiteralType) or not isinstance(value.value, str):
        return None
    return value.value


def field_shape(t: Instance, name: str) -> str | None:
    """The shape the constructor of the structure type `t` gave its field `name`, or None."""
    return _string_attr(t, _FIELD + name)


def with_field_shapes(t: Instance, shapes: dict[str, str], str_type: Instance) -> Instance:
    """A copy of the structure type `t` carrying the shapes of its fields (`field_shape`)."""
    from mypy.types import ExtraAttrs

    marked = t.copy_modified()
    attrs: dict[str, Type] = {
        _FIELD + name: LiteralType(text, fallback=str_type) for name, text in shapes.items()
    }
    marked.extra_attrs = ExtraAttrs(attrs, set(attrs))
    return marked


def argument_names(t: Instance) -> list[str | None] | None:
    """The argument names an op's type carries (`with_argument_names`), or None."""
    text = _string_attr(t, _NAMES)
    return None if text is None else [n or None for n in text.split(" ")]


def with_argument_names(t: Instance, names: list[str], str_type: Instance) -> Instance:
    """A copy of the op type `t` (whose extra attributes are its own) naming its arguments."""
    from mypy.types import ExtraAttrs

    marked = t.copy_modified()
    attrs: dict[str, Type] = {_NAMES: LiteralType(" ".join(names), fallback=str_type)}
    marked.extra_attrs = ExtraAttrs(attrs, set(attrs))
    return marked


def has_field_shapes(t: Instance) -> bool:
    return t.extra_attrs is not None and any(k.startswith(_FIELD) for k in t.extra_attrs.attrs)


def unshare_fields(info: TypeInfo) -> None:
    """Keep the NamedTuple `info`'s field types out of the computation of its tuple type's
    fallback.

    mypy computes a tuple type's fallback (`tuple[A | B]`) after semantic analysis, on the
    tuple type it made with the class, with `make_simplified_union`, which erases differing
    extra attributes in place on the union's item it keeps: the first of two fields of one
    array type lost its shape string (in its attribute, its constructor's parameter and the
    tuple's items, which share the type). That tuple type is given copies of the items to
    erase, and the class a new tuple type (same fallback) with the items it had."""
    old = info.tuple_type
    if old is None:
        return
    items = list(old.items)
    old.items[:] = [_own(t) for t in items]  # (in place: every copy shares the list)
    info.update_tuple_type(old.copy_modified(items=items))


def _own(t: Type) -> Type:
    return t.copy_modified() if isinstance(t, Instance) else t


def with_shape_string(
    t: Instance, text: str, scope: str, str_type: Instance, kind: str = ""
) -> Instance:
    """A copy of `t` carrying the shape string `text` written in `scope`, and the hint's
    jaxtyping dtype kind (`Int`, `Float`, ...)."""
    from mypy.types import ExtraAttrs  # see the module's docstring: not on every mypy

    marked = t.copy_modified()
    attrs: dict[str, Type] = {
        _DIMS: LiteralType(text, fallback=str_type),
        _SCOPE: LiteralType(scope, fallback=str_type),
        _KIND: LiteralType(kind, fallback=str_type),
    }
    marked.extra_attrs = ExtraAttrs(attrs, set(attrs))
    return marked


def with_known_shape(t: Instance, text: str, str_type: Instance) -> Instance:
    """A copy of `t` carrying the shape `text` the plugin worked out, and no shape string (a
    callee's dimension names mean nothing in its result)."""
    from mypy.types import ExtraAttrs

    marked = t.copy_modified()
    marked.extra_attrs = ExtraAttrs({_SHAPE: LiteralType(text, fallback=str_type)}, {_SHAPE})
    return marked


def hint_scope(ctx: AnalyzeTypeContext) -> str:
    """The function (or class) whose signature or body a hint is written in, by its full name;
    "" at a module's top level. mypy analyzes a signature in a type-variable scope named after
    the function (`TypeVarLikeScope.namespace`)."""
    scope = getattr(ctx.api, "tvar_scope", None)
    namespace = getattr(scope, "namespace", "")
    return namespace if isinstance(namespace, str) else ""


def type_context(api: CheckerPluginInterface) -> Type | None:
    """The type the expression being checked is expected to have (an annotated assignment's
    declared type), or None."""
    checker = getattr(api, "expr_checker", None)
    stack = getattr(checker, "type_context", None)
    if not stack:
        return None
    t = stack[-1]
    return t if isinstance(t, Type) else None


def copy_extra(source: Instance, target: Instance) -> Instance:
    """A copy of `target` with the extra attributes of `source` (a shape string, kept when a
    type is mapped to a base class or inferred from a hinted one)."""
    result = target.copy_modified()
    result.extra_attrs = source.extra_attrs
    return result


def without_known(t: Instance) -> Instance:
    """`t` without the sizes the plugin worked out (its own, or its fields'), keeping a hint's
    shape string: a declared type's dimension names never go stale."""
    from mypy.types import ExtraAttrs

    extra = t.extra_attrs
    if extra is None or not any(k == _SHAPE or k.startswith(_FIELD) for k in extra.attrs):
        return t
    attrs = {k: v for k, v in extra.attrs.items() if k != _SHAPE and not k.startswith(_FIELD)}
    result = t.copy_modified()
    result.extra_attrs = ExtraAttrs(attrs, set(attrs)) if attrs else None
    return result


def without_extra(t: Instance) -> Instance:
    """`t` without extra attributes: a result's sizes, not its callee's dimension names."""
    t.extra_attrs = None
    return t


def is_marked_checked(fallback: Instance) -> bool:
    """Whether `fallback` (a callable type's fallback) marks a `shapecheck`ed signature."""
    return fallback.extra_attrs is not None and _CHECKED in fallback.extra_attrs.attrs


def marked_checked(fallback: Instance, bool_type: Instance) -> Instance:
    """A copy of `fallback` marking a `shapecheck`ed signature."""
    from mypy.types import ExtraAttrs

    result = fallback.copy_modified()
    attrs = dict(fallback.extra_attrs.attrs) if fallback.extra_attrs else {}
    attrs[_CHECKED] = LiteralType(True, fallback=bool_type)
    result.extra_attrs = ExtraAttrs(attrs, set(attrs))
    return result


def contains_any(t: Type) -> bool:
    """Whether `t` holds `Any` as mypy asks of a call's arguments before it finds the call's
    overloads ambiguous (`Any` of a special form, as numpy's `tuple[Any, ...]`, is none)."""
    from mypy.checkexpr import has_any_type

    return has_any_type(t)


# -- classes ---------------------------------------------------------------------------------


def as_base(t: Instance, base: TypeInfo) -> Instance:
    """`t` seen as an instance of its base class `base` (type arguments mapped)."""
    # Imported here: importing mypy.maptype before mypy.types is a circular import.
    from mypy.maptype import map_instance_to_supertype

    return map_instance_to_supertype(t, base)


# -- checking a function body early ----------------------------------------------------------


def check_body_now(func: FuncDef, api: CheckerPluginInterface) -> bool:
    """Make sure the body of `func` has been type-checked, so that its return statements have
    types; False where that cannot be done.

    mypy 2.4 checks modules in two phases: top levels and signatures first (where the
    `shapecheck` hook runs, on the decorator), then function bodies, with no plugin hook after a
    body. So the body of a `shapecheck`ed function is checked here, in the first phase, as mypy
    itself does for the functions it flags `def_or_infer_vars` (such as `__init__`); the flag,
    set here, keeps the second phase from checking it again.
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


def expression_type(api: CheckerPluginInterface, expr: Context) -> Type | None:
    """The type the checker inferred for `expr`, or None where it has none."""
    lookup = getattr(api, "lookup_type_or_none", None)
    if lookup is None:
        return None
    t = lookup(expr)
    return t if isinstance(t, Type) else None


def fail_unfiltered(
    api: CheckerPluginInterface, message: str, context: Context, code: "ErrorCode"
) -> tuple[set[Any], object] | None:
    """Report an error that no attempt of mypy's throws away: mypy tries an operator's method
    and then its reflected one, keeping the first that gives no error, so a dimension mismatch
    found in the first would make it report the operator as unsupported instead. The error is
    reported past mypy's error watchers (`Errors._watchers`); a `type: ignore` still applies.

    Inside a loop, which mypy checks again until its types settle, the error is kept only if
    every pass finds it (mypy's `IterationErrorWatcher`, as for its own `redundant-expr`): the
    first pass sees a variable's sizes from before the loop, which a later pass may not.
    Returns the pass's errors and this one where the error waits for that (None: reported
    now), so that it can be taken back (`hooks._settle`)."""
    from mypy.errors import IterationErrorWatcher

    errors = api.msg.errors
    watchers = getattr(errors, "_watchers", None)
    if not isinstance(watchers, list):
        api.fail(message, context, code=code)
        return None
    loop = next((w for w in reversed(watchers) if isinstance(w, IterationErrorWatcher)), None)
    if loop is not None:
        line, column = context.line, context.column
        end_line = context.end_line if context.end_line is not None else line
        end_column = context.end_column if context.end_column is not None else column
        passes = loop.iteration_dependent_errors.uselessness_errors
        entry = (code, message, line, column, end_line, end_column)
        passes[-1].add(entry)
        return passes[-1], entry
    errors._watchers = []
    try:
        api.fail(message, context, code=code)
    finally:
        errors._watchers = watchers
    return None


# -- where a value goes: sizes in declared types leak ----------------------------------------


class _Places:
    """Where the values of one module's assignments go: attributes they define (`self.w =
    zeros(3)`), variables they assign again (`h = zeros(4)` after `h = zeros(3)`), annotated
    names; and the items of containers (`[w]`, `ws.append(w)`). (mypy's own traverser is
    compiled: it cannot be subclassed here, so the walk is written out.)"""

    def __init__(self, tree: object) -> None:
        self.attributes: set[int] = set()
        self.reassigns: dict[int, Expression] = {}
        self.items: set[int] = set()
        self.annotated: set[int] = set()
        self.bindings: dict[int, int] = {}  # per Var: how many statements bind it
        self.resized: set[int] = set()  # Vars whose arrays change shape in place
        self.defines: dict[int, NameExpr] = {}  # a first value: the name it defines
        # Each loop's lines and the Vars bound in it; the loops being walked.
        self.loops: list[tuple[int, int, set[int]]] = []
        self._loops: list[set[int]] = []
        self._arguments: set[int] = set()  # list displays given straight to a call
        self._seen: set[int] = set()
        self._walk(tree)

    def _resized(self, target: object) -> None:
        if isinstance(target, NameExpr) and isinstance(target.node, Var):
            self.resized.add(id(target.node))

    def _bound(self, target: object) -> None:
        for name in _names(target):
            if isinstance(name, NameExpr) and isinstance(name.node, Var):
                key = id(name.node)
                self.bindings[key] = self.bindings.get(key, 0) + 1
                for bound in self._loops:
                    bound.add(key)

    def _assigned(self, lvalue: Expression, rvalue: Expression) -> None:
        from mypy import nodes as n

        if isinstance(lvalue, n.TupleExpr | n.ListExpr):
            if isinstance(rvalue, n.TupleExpr | n.ListExpr) and len(rvalue.items) == len(
                lvalue.items
            ):  # `s, m = a, b`: item by item
                for target, value in zip(lvalue.items, rvalue.items, strict=True):
                    self._assigned(target, value)
            elif any(not getattr(t, "is_inferred_def", True) for t in _names(lvalue)):
                self.reassigns[id(rvalue)] = lvalue  # `w, b = Dense(...)` again
            return
        if isinstance(lvalue, n.MemberExpr) and lvalue.is_inferred_def:
            self.attributes.add(id(rvalue))
        elif isinstance(lvalue, n.NameExpr | n.MemberExpr) and not lvalue.is_inferred_def:
            self.reassigns[id(rvalue)] = lvalue
            values = [rvalue]
            while values:  # `pair = (zeros(4), 2)` again: its items' calls forget it too
                value = values.pop()
                if isinstance(value, n.TupleExpr):
                    values.extend(value.items)
                    self.reassigns.update((id(item), lvalue) for item in value.items)
        elif isinstance(lvalue, n.NameExpr) and isinstance(lvalue.node, n.Var):
            self.defines[id(rvalue)] = lvalue

    def _walk(self, node: object) -> None:
        from mypy import nodes as n

        if node is None or id(node) in self._seen:
            return
        self._seen.add(id(node))
        if isinstance(node, n.AssignmentStmt):
            if node.type is not None:
                self.annotated.add(id(node.rvalue))
            if len(node.lvalues) == 1 and node.type is None:
                self._assigned(node.lvalues[0], node.rvalue)
            for lvalue in node.lvalues:
                self._bound(lvalue)
                if isinstance(lvalue, n.MemberExpr) and lvalue.name == "shape":
                    self._resized(lvalue.expr)  # `x.shape = (2, 3)`
            self._walk(node.rvalue)
            return
        if isinstance(node, n.ForStmt | n.WhileStmt):
            bound: set[int] = set()
            self._loops.append(bound)
            if isinstance(node, n.ForStmt):
                self._bound(node.index)
            for child in (node.expr, node.body, node.else_body):
                self._walk(child)
            self._loops.pop()
            end = node.end_line if node.end_line is not None else node.line
            self.loops.append((node.line, end, bound))
            return
        # Other statements that bind a name (`with ... as`, `:=`, `+=`).
        if isinstance(node, n.WithStmt):
            for target in node.target:
                self._bound(target)
        elif isinstance(node, n.OperatorAssignmentStmt):
            self._bound(node.lvalue)
        elif isinstance(node, n.AssignmentExpr):
            self._bound(node.target)
            self._assigned(node.target, node.value)
        if isinstance(node, n.ListExpr | n.SetExpr | n.TupleExpr):
            # `concatenate([a, b])`: the list lives as the argument only, its items may keep
            # their sizes (the op's rule reads them).
            if not isinstance(node, n.TupleExpr) and id(node) not in self._arguments:
                self.items.update(id(e) for e in node.items)
            for e in node.items:
                self._walk(e)
            return
        if isinstance(node, n.DictExpr):
            for k, v in node.items:
                self.items.add(id(v))
                self._walk(k)
                self._walk(v)
            return
        if isinstance(node, n.CallExpr):
            callee = node.callee
            if isinstance(callee, n.MemberExpr) and callee.name == "resize":
                self._resized(callee.expr)  # `x.resize(2, 3)`
            if (
                isinstance(callee, n.MemberExpr)
                and callee.name in _CONTAINER_METHODS
                and not (
                    isinstance(callee.expr, n.RefExpr) and isinstance(callee.expr.node, n.MypyFile)
                )
            ):  # `items.append(w)`, `seen.add(w)`; not a module's function (`ops.add(a, b)`)
                self.items.update(id(a) for a in node.args)
            else:
                self._arguments.update(id(a) for a in node.args)
            self._walk(node.callee)
            for a in node.args:
                self._walk(a)
            return
        for attribute in _CHILDREN.get(type(node).__name__, ()):
            child = getattr(node, attribute, None)
            if isinstance(child, list):
                for c in child:
                    if isinstance(c, tuple):
                        for x in c:
                            self._walk(x)
                    else:
                        self._walk(c)
            else:
                self._walk(child)


def _names(target: object) -> "list[NameExpr | MemberExpr]":
    """The names and attributes an assignment's target binds (`w, (b, c)` gives three)."""
    from mypy import nodes as n

    if isinstance(target, n.TupleExpr | n.ListExpr):
        return [name for item in target.items for name in _names(item)]
    if isinstance(target, n.StarExpr):
        return _names(target.expr)
    return [target] if isinstance(target, n.NameExpr | n.MemberExpr) else []


_CHILDREN: dict[str, tuple[str, ...]] = {
    "AssignmentExpr": ("value",),
    "MypyFile": ("defs",),
    "Block": ("body",),
    "FuncDef": ("body",),
    "Decorator": ("func", "decorators"),
    "OverloadedFuncDef": ("items", "impl"),
    "ClassDef": ("defs",),
    "IfStmt": ("expr", "body", "else_body"),
    "ForStmt": ("expr", "body", "else_body"),
    "WhileStmt": ("expr", "body", "else_body"),
    "WithStmt": ("expr", "body"),
    "TryStmt": ("body", "handlers", "else_body", "finally_body"),
    "MatchStmt": ("subject", "bodies"),
    "ExpressionStmt": ("expr",),
    "ReturnStmt": ("expr",),
    "OperatorAssignmentStmt": ("rvalue",),
    "OpExpr": ("left", "right"),
    "ComparisonExpr": ("operands",),
    "UnaryExpr": ("expr",),
    "IndexExpr": ("base", "index"),
    "MemberExpr": ("expr",),
    "LambdaExpr": ("body",),
    "ConditionalExpr": ("cond", "if_expr", "else_expr"),
    "ListComprehension": ("generator",),
    "GeneratorExpr": ("left_expr", "sequences", "condlists"),
    "StarExpr": ("expr",),
    "AwaitExpr": ("expr",),
    "AssertStmt": ("expr",),
    "DelStmt": ("expr",),
}
"""The children the walk visits, by node class: statements' bodies and the expressions in
which a call may sit."""


_CONTAINER_METHODS = frozenset(("append", "extend", "insert", "add", "setdefault", "put"))
_PLACES: dict[str, tuple[object, _Places]] = {}


def _places(api: CheckerPluginInterface) -> _Places | None:
    tree = getattr(api, "tree", None)
    if tree is None:
        return None
    key = api.path
    found = _PLACES.get(key)
    if found is None or found[0] is not tree:
        found = (tree, _Places(tree))
        _PLACES[key] = found
    return found[1]


def defines_attribute(api: CheckerPluginInterface, expr: Context) -> bool:
    """Whether `expr` is the value of the first, unannotated assignment to an attribute."""
    places = _places(api)
    return places is not None and id(expr) in places.attributes


def reassigned_by(api: CheckerPluginInterface, expr: Context) -> Expression | None:
    """The variable (or attribute) that `expr` is assigned to again, where it is the value of
    an unannotated assignment that does not define it; None otherwise."""
    places = _places(api)
    return None if places is None else places.reassigns.get(id(expr))


def forget(api: CheckerPluginInterface, target: Expression, strip: Callable[[Type], Type]) -> None:
    """`strip` the declared type of `target` (`Var.type`) and its narrowed types in the
    binder's frames (`Frame.types`), as `target` is assigned again.

    mypy falls back to a variable's declared type where a branch assigned it and another did
    not, and where branches meet it keeps the enclosing frame's type when a branch's type
    differs only in extra attributes: a size assigned in one branch would be lost and the
    first size kept. Stripped, the size after the branches is unknown unless every path gives
    it, and mypy's own narrowing of the new value carries the new size."""
    from mypy.binder import CurrentType
    from mypy.literals import literal_hash

    for name in _names(target):
        now = current_type(api, name)
        var = getattr(name, "node", None)
        if isinstance(var, Var) and var.type is not None:
            var.type = strip(var.type)
        frames = getattr(getattr(api, "binder", None), "frames", None)
        key = literal_hash(name)
        if not frames or key is None:
            continue
        for frame in frames:
            current = frame.types.get(key)
            if current is not None:
                frame.types[key] = CurrentType(strip(current.type), current.from_assignment)
        if now is not None:
            # Until the assignment replaces it, the variable keeps its value's sizes here:
            # mypy may check the value again (`x = x @ w` reads `x` more than once).
            frames[-1].types[key] = CurrentType(now, True)


def names_bound(target: Expression) -> "list[NameExpr | MemberExpr]":
    """The names an assignment's target binds."""
    return _names(target)


def current_type(api: CheckerPluginInterface, target: Expression) -> Type | None:
    """The type a variable has here (the binder's, else its declared type), or None."""
    if not isinstance(target, NameExpr) or not isinstance(target.node, Var):
        return None
    get = getattr(getattr(api, "binder", None), "get", None)
    found = get(target) if get is not None else None
    return found if isinstance(found, Type) else target.node.type


def rebound_in_loop(api: CheckerPluginInterface, context: Context) -> set[int]:
    """The Vars (by id) bound inside the loops around `context`'s line: their values at the
    loop's start may not be the ones mypy's first pass over the loop sees."""
    places = _places(api)
    if places is None:
        return set()
    found: set[int] = set()
    for first, last, bound in places.loops:
        if first <= context.line <= last:
            found |= bound
    return found


def resized(api: CheckerPluginInterface, expr: Context) -> bool:
    """Whether `expr` is a value given to a variable whose array changes shape in place
    somewhere (`x.shape = ...`, `x.resize(...)`): its sizes would go stale."""
    places = _places(api)
    if places is None:
        return False
    target = places.defines.get(id(expr)) or places.reassigns.get(id(expr))
    return any(id(getattr(name, "node", None)) in places.resized for name in _names(target))


def bound_once(api: CheckerPluginInterface, name: NameExpr) -> bool:
    """Whether the variable `name` holds one value in its scope: a parameter never assigned,
    or a variable assigned once."""
    places = _places(api)
    var = name.node
    if places is None or not isinstance(var, Var):
        return False
    count = places.bindings.get(id(var), 0)
    return count == 0 if var.is_argument else count == 1


def bound_again(api: CheckerPluginInterface, expr: Context) -> NameExpr | None:
    """The variable that `expr` is the first value of, where another statement binds it too
    (an assignment, a loop's variable, `with ... as`, `:=`, `+=`); None otherwise."""
    places = _places(api)
    if places is None:
        return None
    name = places.defines.get(id(expr))
    if name is None or places.bindings.get(id(name.node), 0) < 2:
        return None
    return name


def narrow(api: CheckerPluginInterface, name: NameExpr, t: Type) -> None:
    """Give the variable `name` the type `t` from here on, as mypy narrows a variable assigned
    again (the binder's current frame), leaving its declared type as it is."""
    binder = getattr(api, "binder", None)
    put = getattr(binder, "put", None)
    if put is not None:
        put(name, t)


def annotated_value(api: CheckerPluginInterface, expr: Context) -> bool:
    """Whether `expr` is the value of an annotated assignment (`w: Float[...] = expr`)."""
    places = _places(api)
    return places is not None and id(expr) in places.annotated


def in_container(api: CheckerPluginInterface, expr: Context) -> bool:
    """Whether `expr` is an item of a list, set or dict display, or given to `append` and the
    like: mypy may infer the container's item type from it."""
    places = _places(api)
    return places is not None and id(expr) in places.items


def errors_shown(api: CheckerPluginInterface) -> bool:
    """Whether an error reported now reaches the user: not while mypy tries an overload or a
    type context (it throws those errors away), nor in a file whose errors it hides (an
    installed package, `ignore_errors`)."""
    prefer_simple = getattr(api.msg.errors, "prefer_simple_messages", None)
    if prefer_simple is None:
        return not api.options.ignore_errors
    return not prefer_simple()
