"""Array types as the plugin reads and writes them: the shape it worked out for a value, the
shape string a jaxtyping hint left on the type, the sizes in numpy's shape type, and results
given a shape.

Shapes are carried on a type as invisible extra attributes (see `internals`), never in numpy's
shape type: mypy joins types where branches meet and infers a list's item type from its first
item, and sizes kept in the type itself would leak into those (`h = zeros(3)` then `h =
zeros(4)` in a branch would be an error). mypy erases extra attributes that differ where types
meet, so a size the branches disagree on is simply unknown there.

Internal: used by the plugin's hooks.
"""

from mypy.plugin import CheckerPluginInterface
from mypy.types import (
    Instance,
    LiteralType,
    TupleType,
    Type,
    UnpackType,
    get_proper_type,
)

from . import internals
from .binding import UNKNOWN, Shape, Spec, parse_spec, shape_from
from .sizes import decode, qualify

BVAR = "typedprop._core.bvar.BVar"
NDARRAY = "numpy.ndarray"
_SCALARS = frozenset(
    ("builtins.float", "builtins.int", "builtins.bool", "numpy.generic", "numpy.number")
)


def literal_int(t: Type) -> int | None:
    """The value of `Literal[k]` or of an int known to be `k` (a `Final` constant), else None."""
    p = get_proper_type(t)
    if isinstance(p, Instance) and p.last_known_value is not None:
        p = p.last_known_value
    if isinstance(p, LiteralType) and type(p.value) is int:
        return p.value
    return None


def array(t: Type, unwrap_bvar: bool) -> Instance | None:
    """`t` as an ndarray instance (the value of a BVar with `unwrap_bvar`), or None."""
    p = get_proper_type(t)
    if not isinstance(p, Instance):
        return None
    if unwrap_bvar and p.type.fullname == BVAR and p.args:
        p = get_proper_type(p.args[0])
        if not isinstance(p, Instance):
            return None
    if p.type.fullname == NDARRAY:
        return p
    if p.type.has_base(NDARRAY):
        for base in p.type.mro:
            if base.fullname == NDARRAY:
                return internals.copy_extra(p, internals.as_base(p, base))
    return None


def spec_of(t: Instance) -> Spec | None:
    """The shape string attached to an array type by the `Annotated` hook, parsed."""
    text = internals.shape_string(t)
    return None if text is None else parse_spec(text)


def hint_spec(t: Type, unwrap_bvar: bool = True) -> Spec | None:
    """The jaxtyping shape of the hint `t` (an array type, or a BVar of one), or None."""
    arr = array(t, unwrap_bvar)
    return None if arr is None else spec_of(arr)


def _is_scalar(t: Type, unwrap_bvar: bool) -> bool:
    p = get_proper_type(t)
    if isinstance(p, LiteralType):
        p = p.fallback
    if not isinstance(p, Instance):
        return False
    if unwrap_bvar and p.type.fullname == BVAR and p.args:
        return _is_scalar(p.args[0], False)
    return any(base.fullname in _SCALARS for base in p.type.mro)


def shape_of(t: Type, unwrap_bvar: bool = True) -> Shape:
    """The static shape of a value of type `t`: the shape the plugin worked out for it, else the
    sizes of a jaxtyping hint that typed it (its names kept with the hint's scope) and the
    literal sizes of numpy's shape type; a Python or numpy scalar has no axes."""
    arr = array(t, unwrap_bvar)
    if arr is None:
        return Shape((), (), True) if _is_scalar(t, unwrap_bvar) else UNKNOWN
    known = internals.known_shape(arr)
    if known is not None:
        return decode_shape(known)
    sizes: tuple[int | None, ...] | None = None
    if arr.args:
        st = get_proper_type(arr.args[0])
        if isinstance(st, TupleType) and not any(isinstance(i, UnpackType) for i in st.items):
            sizes = tuple(literal_int(i) for i in st.items)
    spec = spec_of(arr)
    if spec is not None:
        where = internals.shape_scope(arr)
        spec = Spec(
            tuple(None if d is None else qualify(d, where) for d in spec.head),
            tuple(None if d is None else qualify(d, where) for d in spec.tail),
            spec.variadic,
            spec.text,
        )
    return shape_from(sizes, spec)


def encode_shape(shape: Shape) -> str:
    """`shape` as kept on a type: one word per axis (`_` unknown; `...` unknown axes)."""

    def word(s: object) -> str:
        return "_" if s is None else s.encode()  # type: ignore[attr-defined]  # a Size

    words = [word(s) for s in shape.head]
    if not shape.exact:
        words += ["...", *(word(s) for s in shape.tail)]
    return " ".join(words) if words else "()"


def decode_shape(text: str) -> Shape:
    """The shape `encode_shape` wrote."""
    if text == "()":
        return Shape((), (), True)
    head: list[object] = []
    tail: list[object] = []
    exact = True
    for w in text.split():
        if w == "...":
            exact = False
            continue
        (head if exact else tail).append(None if w == "_" else decode(w))
    return Shape(tuple(head), tuple(tail), exact)  # type: ignore[arg-type]  # sizes or None


def with_shape(
    t: Type, shape: Shape | None, api: CheckerPluginInterface, rank_unknown: bool = False
) -> Type:
    """`t` (an array type, or a BVar of one) carrying `shape` (None, or an unknown rank with
    no known size: nothing, and no stale shape string either; with `rank_unknown`, a mark
    that says so where numpy's shape type would claim a number of axes)."""
    p = get_proper_type(t)
    if not isinstance(p, Instance):
        return t
    if p.type.fullname in (BVAR, "builtins.list") and p.args:
        # A BVar's value; a list's items (a split's equal parts).
        inner = with_shape(p.args[0], shape, api, rank_unknown)
        return t if inner is p.args[0] else p.copy_modified(args=[inner, *p.args[1:]])
    if p.type.fullname != NDARRAY:
        return t
    if shape is None or (not shape.exact and not shape.known()):
        if rank_unknown and p.args and _fixed(p.args[0]):
            str_type = api.named_generic_type("builtins.str", [])
            return internals.with_known_shape(p, encode_shape(Shape((), (), False)), str_type)
        if p.extra_attrs is None:
            return t
        return internals.without_extra(p.copy_modified())
    mark_sized(api)
    str_type = api.named_generic_type("builtins.str", [])
    return internals.with_known_shape(p, encode_shape(shape), str_type)


def _fixed(shape_type: Type) -> bool:
    st = get_proper_type(shape_type)
    return isinstance(st, TupleType) and not any(isinstance(i, UnpackType) for i in st.items)


_SIZED: set[str] = set()


def mark_sized(api: CheckerPluginInterface) -> None:
    """Remember that the module being checked has values whose sizes the plugin worked out."""
    _SIZED.add(api.path)


def sized_module(api: CheckerPluginInterface) -> bool:
    """Whether the module being checked has had a value with sizes the plugin worked out: only
    there may a variable's type hold stale sizes (a module's variables are its own)."""
    return api.path in _SIZED


def without_shapes(t: Type, api: CheckerPluginInterface) -> Type:
    """`t` with no size the plugin worked out: an array type's, a tuple's items', a
    structure's fields' (where a value's type outlives the value: see `hooks._placed`); a
    hint's dimension names stay."""
    p = get_proper_type(t)
    if isinstance(p, TupleType):
        items = [without_shapes(i, api) for i in p.items]
        if all(a is b for a, b in zip(items, p.items, strict=True)):
            return t
        return p.copy_modified(items=items)
    if not isinstance(p, Instance):
        return t
    if p.type.fullname == NDARRAY or internals.has_field_shapes(p):
        known = internals.without_known(p)
        return t if known is p else known
    args = [without_shapes(a, api) for a in p.args]  # `BVar[...]`, `list[...]`, `Iterator[...]`
    if all(a is b for a, b in zip(args, p.args, strict=True)):
        return t
    return p.copy_modified(args=args)
