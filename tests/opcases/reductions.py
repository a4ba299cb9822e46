"""Cases for the reductions family (`typedprop.ops._reductions`): every reduction over the same
sweep of shapes and axes, var and std with `ddof`, and softmax and log_softmax along one axis.

Ties of max and min, prod with zeros, the stability of the exponentials at 1e3 and 1e4 and the
axis errors are in tests/ops/test_reductions.py.
"""

from typing import Any

import autograd.numpy as anp
from autograd.scipy.special import logsumexp as ag_logsumexp

from opcases import SCALAR, OpCase, Shape

# (label, shape, keyword arguments): the sweep every reduction runs over.
SWEEP: list[tuple[str, Shape, dict[str, Any]]] = [
    ("scalar", SCALAR, {}),
    ("0d", (), {}),
    ("vec", (3,), {}),
    ("vec-axis0", (3,), {"axis": 0}),
    ("mat", (2, 3), {}),
    ("mat-axis0", (2, 3), {"axis": 0}),
    ("mat-axis-1", (2, 3), {"axis": -1}),
    ("mat-axis-1-keepdims", (2, 3), {"axis": -1, "keepdims": True}),
    ("mat-axis(0,1)", (2, 3), {"axis": (0, 1)}),
    ("stacked", (4, 2, 3), {}),
    ("stacked-axis1", (4, 2, 3), {"axis": 1}),
    ("stacked-axis(0,2)", (4, 2, 3), {"axis": (0, 2)}),
    ("stacked-axis(-1,0)-keepdims", (4, 2, 3), {"axis": (-1, 0), "keepdims": True}),
    ("stacked-keepdims", (4, 2, 3), {"keepdims": True}),
]


def _reduction(op: str, skip: tuple[str, ...] = (), **extra: Any) -> list[OpCase]:
    """`op` over the sweep (less the labels in `skip`), with `extra` keyword arguments
    (`ddof=1`) added to each call and named in the label."""
    suffix = "".join(f"-{k}{v}" for k, v in extra.items())
    return [
        OpCase(
            op,
            label + suffix,
            lambda m, x, op=op, kw={**kw, **extra}: getattr(m, op)(x, **kw),
            (shape,),
        )
        for label, shape, kw in SWEEP
        if label not in skip
    ]


# (label, shape, axis or None for the default): the sweep of softmax and log_softmax.
ALONG: list[tuple[str, Shape, int | None]] = [
    ("vec", (3,), None),
    ("vec-axis0", (3,), 0),
    ("mat", (2, 3), None),
    ("mat-axis0", (2, 3), 0),
    ("mat-axis-1", (2, 3), -1),
    ("stacked", (4, 2, 3), None),
    ("stacked-axis1", (4, 2, 3), 1),
    ("stacked-axis-3", (4, 2, 3), -3),
]


def _along_axis(op: str) -> list[OpCase]:
    return [
        OpCase(
            op,
            label,
            (
                (lambda m, x, op=op: getattr(m, op)(x))
                if axis is None
                else (lambda m, x, op=op, axis=axis: getattr(m, op)(x, axis=axis))
            ),
            (shape,),
        )
        for label, shape, axis in ALONG
    ]


# A single element has no spread to divide by n - 1; std of one element (or a scalar) is 0,
# where its derivative does not exist (tests/ops/test_reductions.py checks the nan).
_ONE_ELEMENT = ("scalar", "0d")

CASES = (
    _reduction("sum")
    + _reduction("mean")
    + _reduction("var")
    + _reduction("var", skip=_ONE_ELEMENT, ddof=1)
    + _reduction("std", skip=_ONE_ELEMENT)
    + _reduction("std", skip=_ONE_ELEMENT, ddof=1)
    + _reduction("max")
    + _reduction("min")
    + _reduction("prod")
    + _reduction("logsumexp")
    + _reduction("norm")
    + _along_axis("softmax")
    + _along_axis("log_softmax")
)


def _norm(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return anp.sqrt(anp.sum(x * x, axis=axis, keepdims=keepdims))


def _softmax(x: Any, axis: int = -1) -> Any:
    e = anp.exp(x - anp.max(x, axis=axis, keepdims=True))
    return e / anp.sum(e, axis=axis, keepdims=True)


def _log_softmax(x: Any, axis: int = -1) -> Any:
    return x - ag_logsumexp(x, axis=axis, keepdims=True)


AUTOGRAD: dict[str, Any] = {
    "logsumexp": ag_logsumexp,
    "norm": _norm,
    "softmax": _softmax,
    "log_softmax": _log_softmax,
}
