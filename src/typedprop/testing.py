"""Testing helpers for users' own ops and models: `check_grads`.

!!! example
    ```python
    >>> import numpy as np
    >>> import typedprop as tp
    >>> from typedprop.testing import check_grads
    >>> check_grads(lambda v: (v * v) @ v, np.array([1.0, -2.0, 0.5]))
    ```
"""

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from ._backprop import backprop, evaluate
from ._core.bvar import BVar
from ._core.structures import (
    Path,
    StructureMismatch,
    Treedef,
    array_kind,
    describe,
    flatten,
    flatten_up_to,
    leaf_paths,
    unflatten,
)

__all__ = ["check_grads"]

X = TypeVar("X")


def _is_float_leaf(x: object) -> bool:
    """Whether `x` is a leaf `check_grads` moves: a real floating array or number."""
    if isinstance(x, float | np.floating):
        return True
    array = array_kind(x)
    return array is not None and array.floating(x)


def _is_complex_leaf(x: object) -> bool:
    if isinstance(x, complex | np.complexfloating):
        return True
    array = array_kind(x)
    return array is not None and array.differentiable(x) and not array.floating(x)


def _same_types(g: object, treedef: Treedef, leaves: list[Any]) -> list[Any]:
    """The leaves of the gradient `g`, after checking that it has exactly `x`'s type at every
    place, `x` given as its `treedef` and `leaves` (and an array's shape and dtype)."""
    try:
        parts = flatten_up_to(treedef, g)
        mismatch = None
    except StructureMismatch as e:
        parts, mismatch = e.parts, e
    paths = leaf_paths(treedef)
    # The leaves before the place where the structure differs come first, depth first.
    for gl, xl, path in zip(parts, leaves, paths, strict=False):
        where = _show(path)
        if type(gl) is not type(xl):
            raise AssertionError(
                f"gradient at {where} is a {type(gl).__name__}, expected a {type(xl).__name__}"
            )
        array = array_kind(xl)
        if array is not None and (
            array.shape(gl) != array.shape(xl) or array.dtype(gl) != array.dtype(xl)
        ):
            raise AssertionError(
                f"gradient at {where} has shape {array.shape(gl)} and dtype "
                f"{array.dtype(gl)}, expected {array.shape(xl)} and {array.dtype(xl)}"
            )
    if mismatch is not None:
        raise AssertionError(f"gradient at {_show(mismatch.path)} {mismatch}")
    return parts


def _dtype(x: Any) -> np.dtype[Any]:
    """numpy's dtype of a number or an array of any library."""
    array = array_kind(x)
    return np.result_type(x) if array is None else array.numpy_dtype(x)


def _host(x: object) -> Any:
    """A number, or an array of any library as a numpy array (a copy on the host)."""
    array = array_kind(x)
    return x if array is None else array.to_numpy(x)


def _moved(leaf: Any, step: float, d: np.ndarray[Any, Any]) -> Any:
    """`leaf + step * d`, of `leaf`'s type and dtype (and library and device)."""
    if isinstance(leaf, np.ndarray):
        # asarray, not astype: a 0-d array plus a number is a numpy scalar.
        return np.asarray(leaf + step * d, dtype=leaf.dtype)
    array = array_kind(leaf)
    if array is not None:
        return leaf + array.from_numpy(step * d, leaf)
    return type(leaf)(leaf + step * float(d))


def _show(path: Path) -> str:
    """A place as `check_grads` names it: `x`, then each child's position (`x[0][1]`)."""
    return "x" + "".join(f"[{i}]" for i in path)


def check_grads(
    f: Callable[[BVar[X]], BVar[Any]],
    x: X,
    *,
    directions: int = 3,
    eps: float | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    seed: int = 0,
) -> None:
    """Check the gradient of scalar-valued `f` at `x` against central finite differences.

    Along `directions` random directions `d` (over every floating leaf of `x`), compares the
    directional derivative `<grad f(x), d>` from `backprop` with
    `(f(x + eps d) - f(x - eps d)) / (2 eps)`. Also checks that the gradient has exactly `x`'s
    type, shape and dtype at every leaf. Raises AssertionError on a mismatch.

    Defaults suit the inputs' precision: `eps=1e-6, rtol=1e-5` for float64 and
    `eps=1e-3, rtol=2e-2` where any leaf is float32 or narrower. Finite differences in float32
    are coarse: a gradient wrong in a small part of a large float32 input can pass, so check
    gradients in float64 and use float32 runs for dtypes. Complex leaves are not supported.
    """
    all_leaves, treedef = flatten(x)
    for leaf in all_leaves:
        if _is_complex_leaf(leaf):
            raise TypeError(
                f"check_grads: complex values are not supported (found {describe(leaf)})"
            )
    _, g = backprop(f, x)
    g_all = _same_types(g, treedef, all_leaves)
    floats = [i for i, leaf in enumerate(all_leaves) if _is_float_leaf(leaf)]
    leaves = [all_leaves[i] for i in floats]
    if not leaves:
        return
    narrow = any(np.finfo(_dtype(leaf)).bits < 64 for leaf in leaves)
    eps = eps if eps is not None else (1e-3 if narrow else 1e-6)
    rtol = rtol if rtol is not None else (2e-2 if narrow else 1e-5)
    atol = atol if atol is not None else (1e-3 if narrow else 1e-7)
    rng = np.random.default_rng(seed)
    g_leaves = [g_all[i] for i in floats]
    for _ in range(directions):
        ds = [rng.standard_normal(np.shape(leaf)) for leaf in leaves]

        def shifted(sign: float, ds: list[Any] = ds) -> float:
            moved = [_moved(leaf, sign * eps, d) for leaf, d in zip(leaves, ds, strict=True)]
            values = list(all_leaves)
            for i, leaf in zip(floats, moved, strict=True):
                values[i] = leaf
            return float(np.real(_host(evaluate(f, unflatten(treedef, values)))))

        numeric = (shifted(1.0) - shifted(-1.0)) / (2 * eps)
        analytic = float(
            sum(np.real(np.sum(_host(gl) * d)) for gl, d in zip(g_leaves, ds, strict=True))
        )
        if not np.isclose(analytic, numeric, rtol=rtol, atol=atol):
            raise AssertionError(
                f"gradient check failed: backprop gives a directional derivative of "
                f"{analytic!r}, finite differences give {numeric!r} (eps={eps}, rtol={rtol}, "
                f"atol={atol})"
            )
