"""Array types as the plugin reads and writes them: the sizes in numpy's shape type, the shape
string a jaxtyping hint left on the type, and results given literal sizes or none.

Internal: used by the plugin's hooks.
"""

from mypy.plugin import CheckerPluginInterface
from mypy.types import (
    AnyType,
    Instance,
    LiteralType,
    ProperType,
    TupleType,
    Type,
    TypeOfAny,
    UnpackType,
    get_proper_type,
)

from . import internals
from .binding import Shape, Spec, parse_spec, shape_from

BVAR = "typedprop._core.bvar.BVar"
NDARRAY = "numpy.ndarray"


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


def shape_of(t: Type, unwrap_bvar: bool = True) -> Shape:
    """The static shape of a value of type `t`: literal sizes in numpy's shape type, and the fixed
    sizes of a jaxtyping hint that typed it."""
    arr = array(t, unwrap_bvar)
    if arr is None:
        return shape_from(None, None)
    sizes: tuple[int | None, ...] | None = None
    if arr.args:
        st = get_proper_type(arr.args[0])
        if isinstance(st, TupleType) and not any(isinstance(i, UnpackType) for i in st.items):
            sizes = tuple(literal_int(i) for i in st.items)
    return shape_from(sizes, spec_of(arr))


def with_sizes(
    t: Type, sizes: list[int | None], api: CheckerPluginInterface, unwrap_bvar: bool
) -> Type:
    """`t` (an array type, or a BVar of one with `unwrap_bvar`) with numpy's shape type holding
    `sizes` (`Literal[k]` where known); `t` unchanged where that would contradict its rank."""
    p = get_proper_type(t)
    if not isinstance(p, Instance):
        return t
    if unwrap_bvar and p.type.fullname == BVAR and p.args:
        inner = with_sizes(p.args[0], sizes, api, False)
        return t if inner is p.args[0] else p.copy_modified(args=[inner])
    if p.type.fullname != NDARRAY or len(p.args) != 2 or not any(s is not None for s in sizes):
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
    # The callee's dimension names mean nothing here.
    return internals.without_extra(p.copy_modified(args=[TupleType(items, fallback), p.args[1]]))


def _is_tuple_any(t: ProperType) -> bool:
    return isinstance(t, Instance) and t.type.fullname == "builtins.tuple"


def forget(t: Type, sizes: list[None] | None, api: CheckerPluginInterface) -> Type:
    """`t` (an array type, or a BVar of one) with numpy's shape type keeping only the rank
    (`sizes`: one None per axis) or nothing (`sizes` None)."""
    p = get_proper_type(t)
    if not isinstance(p, Instance):
        return t
    if p.type.fullname == BVAR and p.args:
        return p.copy_modified(args=[forget(p.args[0], sizes, api)])
    if p.type.fullname != NDARRAY or len(p.args) != 2:
        return t
    int_type = api.named_generic_type("builtins.int", [])
    shape: Type = (
        api.named_generic_type("builtins.tuple", [AnyType(TypeOfAny.special_form)])
        if sizes is None
        else TupleType(
            [int_type] * len(sizes), api.named_generic_type("builtins.tuple", [int_type])
        )
    )
    return internals.without_extra(p.copy_modified(args=[shape, p.args[1]]))
