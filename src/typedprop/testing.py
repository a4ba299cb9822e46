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
from ._core.structures import describe, kind_of

__all__ = ["check_grads"]

X = TypeVar("X")


def _leaves(x: object) -> list[Any]:
    """The differentiable leaves of `x`, in a fixed order."""
    kind = kind_of(x)
    if not kind.is_leaf:
        return [leaf for c in kind.children(x) for leaf in _leaves(c)]
    if isinstance(x, np.ndarray):
        return [x] if x.dtype.kind == "f" else []
    if isinstance(x, float | np.floating):
        return [x]
    return []


def _complex_leaves(x: object) -> list[Any]:
    kind = kind_of(x)
    if not kind.is_leaf:
        return [leaf for c in kind.children(x) for leaf in _complex_leaves(c)]
    is_complex = isinstance(x, complex | np.complexfloating) or (
        isinstance(x, np.ndarray) and x.dtype.kind == "c"
    )
    return [x] if is_complex else []


def _rebuild(x: X, values: list[Any]) -> X:
    """`x` with its differentiable leaves replaced, in order, by `values` (consumed)."""
    kind = kind_of(x)
    if not kind.is_leaf:
        result: X = kind.rebuild(x, [_rebuild(c, values) for c in kind.children(x)])
        return result
    if isinstance(x, np.ndarray) and x.dtype.kind == "f" or isinstance(x, float | np.floating):
        replaced: X = values.pop(0)
        return replaced
    return x


def _same_types(g: object, x: object, where: str) -> None:
    if type(g) is not type(x):
        raise AssertionError(
            f"gradient at {where} is a {type(g).__name__}, expected a {type(x).__name__}"
        )
    if isinstance(x, np.ndarray) and isinstance(g, np.ndarray):
        if g.shape != x.shape or g.dtype != x.dtype:
            raise AssertionError(
                f"gradient at {where} has shape {g.shape} and dtype {g.dtype}, "
                f"expected {x.shape} and {x.dtype}"
            )
    kind = kind_of(x)
    if not kind.is_leaf:
        for i, (gc, xc) in enumerate(zip(kind.children(g), kind.children(x), strict=True)):
            _same_types(gc, xc, f"{where}[{i}]")


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
    for leaf in _complex_leaves(x):
        raise TypeError(f"check_grads: complex values are not supported (found {describe(leaf)})")
    _, g = backprop(f, x)
    _same_types(g, x, "x")
    leaves = _leaves(x)
    if not leaves:
        return
    narrow = any(np.finfo(np.result_type(leaf)).bits < 64 for leaf in leaves)
    eps = eps if eps is not None else (1e-3 if narrow else 1e-6)
    rtol = rtol if rtol is not None else (2e-2 if narrow else 1e-5)
    atol = atol if atol is not None else (1e-3 if narrow else 1e-7)
    rng = np.random.default_rng(seed)
    g_leaves = _leaves(g)
    for _ in range(directions):
        ds = [rng.standard_normal(np.shape(leaf)) for leaf in leaves]

        def shifted(sign: float, ds: list[Any] = ds) -> float:
            moved = [
                # asarray, not astype: a 0-d array plus a number is a numpy scalar.
                np.asarray(leaf + sign * eps * d, dtype=leaf.dtype)
                if isinstance(leaf, np.ndarray)
                else type(leaf)(leaf + sign * eps * float(d))
                for leaf, d in zip(leaves, ds, strict=True)
            ]
            return float(np.real(evaluate(f, _rebuild(x, moved))))

        numeric = (shifted(1.0) - shifted(-1.0)) / (2 * eps)
        analytic = float(
            sum(np.real(np.sum(np.asarray(gl) * d)) for gl, d in zip(g_leaves, ds, strict=True))
        )
        if not np.isclose(analytic, numeric, rtol=rtol, atol=atol):
            raise AssertionError(
                f"gradient check failed: backprop gives a directional derivative of "
                f"{analytic!r}, finite differences give {numeric!r} (eps={eps}, rtol={rtol}, "
                f"atol={atol})"
            )
