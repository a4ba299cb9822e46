"""Cases for the elementwise family (`typedprop.ops._elementwise`).

Every map over the shape sweep (scalar, 0-d, vector, matrix, stacked), the parameterised ones
(`leaky_relu`, `elu`) with their default and another parameter, and `clip` with number, None
and array bounds, the arrays broadcasting with `x` (also to an output larger than `x`). `sign`
has no gradient and no case here (tests/ops/test_elementwise.py tests it).
"""

from typing import Any

import autograd.numpy as anp
import numpy as np

from opcases import SCALAR, OpCase, Shape

SHAPES: list[tuple[str, Shape]] = [
    ("scalar", SCALAR),
    ("0d", ()),
    ("vec", (3,)),
    ("mat", (2, 3)),
    ("stacked", (4, 2, 3)),
]


def _unary(op: str, domain: Any = "real", **kwargs: Any) -> list[OpCase]:
    """`op` over the shape sweep, with keyword parameters `kwargs` (named in the labels)."""
    suffix = "".join(f"-{k}={v}" for k, v in kwargs.items())
    return [
        OpCase(
            op,
            label + suffix,
            lambda m, x, op=op, kw=kwargs: getattr(m, op)(x, **kw),
            (shape,),
            domain,
        )
        for label, shape in SHAPES
    ]


def _bound(shape: tuple[int, ...], start: float) -> np.ndarray:
    """A constant bound of `shape`: `start`, `start + 0.25`, `start + 0.5`, repeating. float32
    and exactly representable, so it neither promotes float32 inputs nor differs between the
    float32 and float64 runs; parameters have magnitude in [0.5, 1.5], so some are clipped."""
    steps = (np.arange(int(np.prod(shape))) % 3).reshape(shape)
    return (start + 0.25 * steps).astype(np.float32)


# (label, shape of x, shape of the bounds): the bounds broadcast with x, in the second, third
# and fourth to an output larger than x.
_CLIP_PAIRS: list[tuple[str, Shape, tuple[int, ...]]] = [
    ("(2,3)&(3,)", (2, 3), (3,)),
    ("(2,3)&(2,1)", (2, 3), (2, 1)),
    ("(1,3)&(2,1)", (1, 3), (2, 1)),
    ("(3,)&(4,2,3)", (3,), (4, 2, 3)),
]
_AUTOGRAD_CLIP = "autograd's clip gradient has the output's shape, not x's, when x broadcasts"


def _clip_cases() -> list[OpCase]:
    cases = [
        OpCase("clip", "scalar", lambda m, x: m.clip(x, -1.0, 1.0), (SCALAR,)),
        OpCase("clip", "0d", lambda m, x: m.clip(x, -1.0, 1.0), ((),)),
        OpCase("clip", "vec", lambda m, x: m.clip(x, -1.0, 1.0), ((3,),)),
        OpCase("clip", "mat-no-min", lambda m, x: m.clip(x, None, 1.0), ((2, 3),)),
        OpCase("clip", "stacked-no-max", lambda m, x: m.clip(x, -1.0, None), ((4, 2, 3),)),
        OpCase("clip", "(2,3)&scalar", lambda m, x: m.clip(x, -0.75, 1.25), ((2, 3),)),
    ]
    for label, x_shape, bound_shape in _CLIP_PAIRS:
        lo, hi = _bound(bound_shape, -1.25), _bound(bound_shape, 0.75)
        larger = np.broadcast_shapes(np.shape(np.empty(x_shape)), bound_shape) != x_shape
        cases.append(
            OpCase(
                "clip",
                label,
                lambda m, x, lo=lo, hi=hi: m.clip(x, lo, hi),
                (x_shape,),
                autograd=not larger,
                why=_AUTOGRAD_CLIP if larger else "",
            )
        )
    return cases


CASES = (
    _unary("exp")
    + _unary("log", "positive")
    + _unary("log1p", "unit")
    + _unary("expm1")
    + _unary("sqrt", "positive")
    + _unary("square")
    + _unary("abs")
    + _unary("sin")
    + _unary("cos")
    + _unary("arctan")
    + _unary("tanh")
    + _unary("logistic")
    + _unary("relu")
    + _unary("leaky_relu")
    + _unary("leaky_relu", negative_slope=0.2)
    + _unary("softplus")
    + _unary("elu")
    + _unary("elu", alpha=0.5)
    + _unary("gelu")
    + _clip_cases()
)


# References in autograd.numpy, written from the definitions, for the names it lacks.


def _logistic(x: Any) -> Any:
    return 0.5 * (anp.tanh(0.5 * x) + 1.0)


def _relu(x: Any) -> Any:
    return anp.where(x > 0, x, 0.0 * x)


def _leaky_relu(x: Any, negative_slope: float = 0.01) -> Any:
    return anp.where(x > 0, x, negative_slope * x)


def _softplus(x: Any) -> Any:
    return anp.logaddexp(0.0, x)


def _elu(x: Any, alpha: float = 1.0) -> Any:
    return anp.where(x > 0, x, alpha * (anp.exp(x) - 1.0))


def _gelu(x: Any) -> Any:
    return 0.5 * x * (1.0 + anp.tanh(anp.sqrt(2.0 / anp.pi) * (x + 0.044715 * x**3)))


AUTOGRAD: dict[str, Any] = {
    "logistic": _logistic,
    "relu": _relu,
    "leaky_relu": _leaky_relu,
    "softplus": _softplus,
    "elu": _elu,
    "gelu": _gelu,
}
