"""The values that user code sees while `typedprop.trace` records a function.

A recorded graph replays the ops, not the Python code between them, so a Python decision on a
value (`if x.value > 0:`) or a conversion of it to a plain number (`float(x.value)`) would be
frozen into the graph. While tracing, the parameters' and the data's float arrays and numbers
are handed to the function wrapped in `Traced`: a wrapper that computes like the value it holds
(numpy's functions and ufuncs, Python's operators, indexing and the array's methods all work,
and their results stay wrapped), but refuses, with `TraceError` at trace time, what would
freeze the value: its truth, its conversion to a Python number, a list, bytes or a plain array,
and writing into it. An op given a wrapped value as a constant or a setting refuses it too.
Ops never see wrapped values: the tracing tape that an op hands its call to unwraps its inputs
and wraps its output.

A wrapper rather than a subclass, so that any array library's arrays can be traced (a
`jax.Array` cannot be subclassed). It reports the class of what it holds as its `__class__`,
so `isinstance(x.value, np.ndarray)`, jaxtyping's hints and beartype's checks see the array
they expect.

What stays unseen: the text of a value (`str(x)`, `repr`, f-strings), and whatever a program
reads through a channel that no method call passes (a C extension handed the wrapper's array
by a path of its own). The docs of `typedprop.trace` list these.

Internal: used by `record`, whose tracing tape wraps and unwraps the values ops see.
"""

import copy
import operator
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .._core.errors import TraceError
from .._core.structures import (
    accumulate,
    array_kind,
    flatten,
    one,
    register_backprop,
    unflatten,
    zero,
)

_BRANCH = (
    "trace: a Python branch on a traced value (the truth of x.value, or of a comparison with "
    "it) cannot be recorded: the graph replays the ops, not the Python code between them. Use "
    "the implicit style (typedprop.backprop) for this function"
)


def _frozen(what: str) -> TraceError:
    return TraceError(
        f"trace: {what} of a traced value (a parameter's .value, the data, or something "
        "computed from them) would be frozen into the recorded graph, which replays the ops, "
        "not the Python code between them. Compute with typedprop.ops, or use the implicit "
        "style (typedprop.backprop) for this function"
    )


# What a traced value's methods and numpy's functions give back wrapped: arrays and numbers,
# whose values depend on the traced one. Python ints come back plain: numpy gives them for
# shapes, sizes and axes (`np.shape`, `np.ndim`), and a record is made for one set of shapes;
# an int computed from values is a numpy integer, traced.
_NUMBERS = (np.ndarray, np.generic, float, complex, bool)

# numpy functions whose Python bool says something of the dtype or the memory, not the values.
_METADATA = frozenset(
    {"iscomplexobj", "isrealobj", "isfortran", "shares_memory", "may_share_memory"}
)


class Traced:
    """A value being traced: an array or a number, as user code sees it while `trace`
    records a function. It computes like the value it holds, its results stay traced, and
    what would freeze its value into the record raises `TraceError`."""

    __slots__ = ("_held",)

    def __init__(self, held: object) -> None:
        self._held = held

    # What it is: the class of what it holds, for isinstance, jaxtyping and beartype.
    @property  # type: ignore[misc]  # mypy: __class__ is a property of object's own, on purpose
    def __class__(self) -> type:  # noqa: D105
        return type(self._held)

    def __repr__(self) -> str:
        return f"traced({self._held!r})"

    def __format__(self, spec: str) -> str:
        return format(self._held, spec)

    # What freezes it: refused.
    def __bool__(self) -> bool:
        raise TraceError(_BRANCH)

    def __float__(self) -> float:
        raise _frozen("float()")

    def __int__(self) -> int:
        raise _frozen("int()")

    def __complex__(self) -> complex:
        raise _frozen("complex()")

    def __index__(self) -> int:
        raise _frozen("the use as an index or a size (operator.index)")

    def __round__(self, ndigits: object = None) -> object:
        raise _frozen("round()")

    def __trunc__(self) -> int:
        raise _frozen("math.trunc()")

    def __floor__(self) -> int:
        raise _frozen("math.floor()")

    def __ceil__(self) -> int:
        raise _frozen("math.ceil()")

    def __array__(self, dtype: object = None, copy: object = None) -> np.ndarray:
        raise _frozen("the conversion to a plain array (np.asarray, np.array)")

    def __reduce_ex__(self, protocol: object) -> tuple[Any, ...]:
        raise _frozen("pickling")

    def __setitem__(self, key: object, value: object) -> None:
        raise _frozen("writing into a part (x[...] = ...)")

    def __contains__(self, item: object) -> bool:
        raise TraceError(_BRANCH)

    __hash__ = None  # type: ignore[assignment]  # an array's is None; a float's would freeze

    # What computes: numpy and Python on the value held, the result traced again.
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if kwargs.get("out") is not None or method == "at":
            raise _frozen(f"writing {ufunc.__name__}'s result into an array (out=, .at)")
        return wrap_result(getattr(ufunc, method)(*unwrap(inputs), **unwrap(kwargs)))

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        if kwargs.get("out") is not None or func.__name__ in _WRITERS:
            raise _frozen(f"writing into an array (np.{func.__name__}, out=)")
        result = func(*unwrap(args), **unwrap(kwargs))
        return result if func.__name__ in _METADATA else wrap_result(result)

    def __getattr__(self, name: str) -> Any:
        # Special names (`__array_interface__`, `__dlpack__`) are conversions numpy and other
        # libraries look up on the instance: not found, so that they cannot see the value.
        if name in _REFUSED_METHODS:
            raise _frozen(f".{name}()")
        if name.startswith("__"):
            raise AttributeError(name)
        attribute = getattr(self._held, name)
        if callable(attribute):
            return _traced_method(attribute)
        return Traced(attribute) if isinstance(attribute, np.ndarray) else attribute

    def __getitem__(self, key: object) -> Any:
        return wrap_result(self._held[unwrap(key)])  # type: ignore[index]  # an array's

    def __len__(self) -> int:
        return len(self._held)  # type: ignore[arg-type]  # an array's: its shape, not its values

    def __iter__(self) -> Iterator[Any]:
        return (wrap_result(item) for item in self._held)  # type: ignore[attr-defined]  # an array's

    def __copy__(self) -> "Traced":
        return Traced(copy.copy(self._held))

    def __deepcopy__(self, memo: dict[int, object]) -> "Traced":
        return Traced(copy.deepcopy(self._held, memo))


# Methods that convert the value to something plain, or write into it (the array a parameter's
# traced value holds is the caller's own): refused like `float()`.
_REFUSED_METHODS = frozenset(
    {"item", "tolist", "tobytes", "tofile", "dump", "dumps"}
    | {"itemset", "fill", "put", "sort", "partition", "resize", "setfield"}
)

# numpy functions that write into an array: into a traced one, or a traced value into a plain
# one, where the record would not see it.
_WRITERS = frozenset({"copyto", "place", "put", "putmask", "put_along_axis", "fill_diagonal"})


def _traced_method(method: Callable[..., Any]) -> Callable[..., Any]:
    def traced(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("out") is not None:
            raise _frozen(f"writing {method.__name__}'s result into out=")
        return wrap_result(method(*unwrap(args), **unwrap(kwargs)))

    return traced


def _operator(how: Callable[..., Any], swapped: bool = False) -> Callable[..., Any]:
    """Python's operator `how` on the values held, its result traced: `x.value * 2.0` on a
    float stays a float, on an array an array, as without tracing."""
    if swapped:

        def method(self: Traced, other: object) -> Any:
            if not isinstance(other, _OPERANDS):
                return NotImplemented
            return wrap_result(how(unwrap(other), self._held))

    else:

        def method(self: Traced, other: object) -> Any:
            if not isinstance(other, _OPERANDS):
                # Another type's own operator (a BVar's) gets the traced value, not what it
                # holds: an op given it refuses it, or records the data it is.
                return NotImplemented
            return wrap_result(how(self._held, unwrap(other)))

    return method


# What Python's operators on a traced value compute with themselves: numbers and numpy's arrays
# and scalars (a traced value is one of them to isinstance).
_OPERANDS = (np.ndarray, np.generic, float, int, complex)


def _unary(how: Callable[[Any], Any]) -> Callable[[Traced], Any]:
    def method(self: Traced) -> Any:
        return wrap_result(how(self._held))

    return method


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "truediv": operator.truediv,
    "floordiv": operator.floordiv,
    "mod": operator.mod,
    "pow": operator.pow,
    "matmul": operator.matmul,
    "divmod": divmod,
    "and": operator.and_,
    "or": operator.or_,
    "xor": operator.xor,
    "lshift": operator.lshift,
    "rshift": operator.rshift,
}
_COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
    "eq": operator.eq,
    "ne": operator.ne,
}
_UNARY: dict[str, Callable[[Any], Any]] = {
    "neg": operator.neg,
    "pos": operator.pos,
    "abs": operator.abs,
    "invert": operator.invert,
}
for _name, _binary in _BINARY.items():
    setattr(Traced, f"__{_name}__", _operator(_binary))
    setattr(Traced, f"__r{_name}__", _operator(_binary, swapped=True))
for _name, _binary in _COMPARISONS.items():
    setattr(Traced, f"__{_name}__", _operator(_binary))
for _name, _unary_how in _UNARY.items():
    setattr(Traced, f"__{_name}__", _unary(_unary_how))


# A traced value is a leaf of the structures it sits in (a constant, a collect), as the value it
# holds is; it joins through the structures' public protocol, with the value's zero, add and one.
register_backprop(
    Traced,
    zero=lambda x: Traced(zero(x._held)),
    add=lambda a, b: Traced(accumulate(a._held, b._held)),
    one=lambda x: Traced(one(x._held)),
)


def wrap_result(value: Any) -> Any:
    """A result computed from traced values, traced: its arrays and numbers (of a tuple or a
    list of results too, as `np.split` and `divmod` give); shapes and text as they are."""
    t = type(value)
    if t is tuple or t is list:
        return t(wrap_result(v) for v in value)
    if isinstance(value, _NUMBERS):
        return Traced(value)
    return Traced(value) if array_kind(value) is not None else value


def wrap(value: Any) -> Any:
    """`value` as user code sees it while tracing: float arrays and numbers traced, the leaves
    of structures too; everything else as it is."""
    t = type(value)
    if t is np.ndarray or t is float:
        return _wrap_leaf(value)
    return _map_leaves(_wrap_leaf, value)


def _wrap_leaf(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return Traced(np.asarray(value)) if value.dtype.kind == "f" else value
    if type(value) is float or isinstance(value, np.floating):
        return Traced(value)
    array = array_kind(value)
    if array is not None and array.floating(value):
        return Traced(value)  # another library's float array
    return value  # traced already, or not traced at all


def unwrap(value: Any) -> Any:
    """The real value behind a traced one (structures' leaves too)."""
    t = type(value)
    if t is Traced:
        return value._held
    if t is np.ndarray or t is float or t is int or t is str or value is None:
        return value
    return _map_leaves(_unwrap_leaf, value)


def _unwrap_leaf(value: Any) -> Any:
    return value._held if type(value) is Traced else value


def is_traced(value: Any) -> bool:
    """Whether `value` is, or holds, a traced value."""
    t = type(value)
    if t is Traced:
        return True
    if t is np.ndarray or t is float or t is int or value is None:
        return False
    return any(type(leaf) is Traced for leaf in flatten(value, unknown_leaves=True)[0])


def _map_leaves(f: Callable[[Any], Any], value: Any) -> Any:
    """`value` with `f` applied to each of its leaves (a value typedprop has no structure for
    is a leaf). A leaf or an empty container comes back as it is, unless `f` changes it."""
    leaves, treedef = flatten(value, unknown_leaves=True)
    if treedef is not None and not treedef[2]:
        return value  # an empty container
    return unflatten(treedef, [f(leaf) for leaf in leaves])
