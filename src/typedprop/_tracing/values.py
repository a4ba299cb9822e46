"""The values that user code sees while `typedprop.trace` records a function.

A recorded graph replays the ops, not the Python code between them, so a Python decision on a
value (`if x.value > 0:`) would be frozen into the graph. While tracing, the parameters' and
the data's float arrays and floats are handed to the function as `TracedArray` and
`TracedFloat`: they compute like the real values, and their results (numpy's arithmetic,
Python's on floats, indexing) stay traced, but asking for their truth raises `TraceError` at
trace time, and so does an op given one as a constant or a setting. Ops never see them: the
tracing tape that an op hands its call to unwraps its inputs and wraps its output. What leaves the
traced world unseen (`float(x)`, `x.item()`, `np.asarray(x)`, `math.exp(x)`) is frozen into the
record: the docs of `typedprop.trace` say so.

Internal: used by `graph`, whose tracing tape wraps and unwraps the values ops see.
"""

from collections.abc import Callable
from typing import Any

import numpy as np

from .._core.errors import TraceError
from .._core.structures import flatten, unflatten

_BRANCH = (
    "trace: a Python branch on a traced value (the truth of x.value, or of a comparison with "
    "it) cannot be recorded: the graph replays the ops, not the Python code between them. Use "
    "the implicit style (typedprop.backprop) for this function"
)


class TracedArray(np.ndarray):
    """A float array being traced: numpy computes with it as usual, its results (reductions
    too) stay traced, and its truth raises TraceError."""

    def __array_wrap__(self, array: Any, context: Any = None, return_scalar: bool = False) -> Any:
        # Never a plain scalar: `np.sum(x.value) > 0` must stay traced to be caught.
        return array.view(TracedArray) if isinstance(array, np.ndarray) else array

    def __bool__(self) -> bool:
        raise TraceError(_BRANCH)

    def __getitem__(self, key: Any) -> Any:
        # An element is a numpy scalar, which `__array_wrap__` never sees: keep it traced.
        item = super().__getitem__(key)
        return np.asarray(item).view(TracedScalar) if isinstance(item, np.generic) else item


class TracedScalar(TracedArray):
    """A numpy float scalar (float64, float32) being traced, held as a 0-d array; unwrapped
    back to the scalar, so that ops see numpy's own types and promotion rules."""


class TracedFloat(float):
    """A Python float (or numpy float64) being traced: its comparisons are traced arrays, and
    its truth raises TraceError."""

    def __bool__(self) -> bool:
        raise TraceError(_BRANCH)

    def _compare(self, other: object, how: Any) -> Any:
        return np.asarray(how(float(self), other)).view(TracedArray)

    def __lt__(self, other: object) -> Any:
        return self._compare(other, np.less)

    def __le__(self, other: object) -> Any:
        return self._compare(other, np.less_equal)

    def __gt__(self, other: object) -> Any:
        return self._compare(other, np.greater)

    def __ge__(self, other: object) -> Any:
        return self._compare(other, np.greater_equal)


def _traced_float_method(name: str) -> Any:
    """`float`'s method `name` on a TracedFloat, its float result traced again: Python
    arithmetic on a traced float (`2.0 * scale`) stays traced, so that an op given it refuses
    it, rather than the record keeping the value of the trace."""
    method = getattr(float, name)

    def traced(self: float, *args: Any) -> Any:
        result = method(self, *args)
        return TracedFloat(result) if type(result) is float else result

    traced.__name__ = name
    return traced


for _name in (
    "__add__ __radd__ __sub__ __rsub__ __mul__ __rmul__ __truediv__ __rtruediv__ "
    "__floordiv__ __rfloordiv__ __mod__ __rmod__ __pow__ __rpow__ __neg__ __pos__ __abs__"
).split():
    setattr(TracedFloat, _name, _traced_float_method(_name))


def wrap(value: Any) -> Any:
    """`value` as user code sees it while tracing: float arrays and floats traced, the leaves
    of structures too; everything else as it is."""
    t = type(value)
    if t is np.ndarray or t is float:
        return _wrap_leaf(value)
    return _map_leaves(_wrap_leaf, value)


def _wrap_leaf(value: Any) -> Any:
    t = type(value)
    if t is np.ndarray:
        return value.view(TracedArray) if value.dtype.kind == "f" else value
    if t is float:
        return TracedFloat(value)
    if isinstance(value, np.floating):
        return np.asarray(value).view(TracedScalar)
    return value  # traced already, or not traced at all


def unwrap(value: Any) -> Any:
    """The real value behind a traced one (structures' leaves too)."""
    t = type(value)
    if t is np.ndarray or t is float or t is int or value is None:
        return value
    return _map_leaves(_unwrap_leaf, value)


def _unwrap_leaf(value: Any) -> Any:
    t = type(value)
    if t is TracedArray:
        return value.view(np.ndarray)
    if t is TracedScalar:
        return value.view(np.ndarray)[()]
    if t is TracedFloat:
        return float(value)
    return value


def is_traced(value: Any) -> bool:
    """Whether `value` is, or holds, a traced value."""
    t = type(value)
    if t is TracedArray or t is TracedFloat or t is TracedScalar:
        return True
    if t is np.ndarray or t is float or t is int or value is None:
        return False
    return any(_is_traced_leaf(leaf) for leaf in flatten(value, unknown_leaves=True)[0])


def _is_traced_leaf(value: Any) -> bool:
    t = type(value)
    return t is TracedArray or t is TracedFloat or t is TracedScalar


def holds_traced(value: Any) -> bool:
    """Whether `value` is or holds a traced value, or is an array viewing one's memory (what
    `np.asarray` makes of a traced array)."""
    while isinstance(value, np.ndarray):
        if type(value) is TracedArray or type(value) is TracedScalar:
            return True
        value = value.base
    return is_traced(value)


def _map_leaves(f: Callable[[Any], Any], value: Any) -> Any:
    """`value` with `f` applied to each of its leaves (a value typedprop has no structure for
    is a leaf). A leaf or an empty container comes back as it is, unless `f` changes it."""
    leaves, treedef = flatten(value, unknown_leaves=True)
    if treedef is not None and not treedef[2]:
        return value  # an empty container
    return unflatten(treedef, [f(leaf) for leaf in leaves])
