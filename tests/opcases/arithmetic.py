"""Cases for the arithmetic family (`typedprop.ops._arithmetic`).

The binary ops over pairs of one shape (scalar, 0-d, vector, matrix, stacked) and over
broadcast pairs, `negative` over the shape sweep, and `power` with a constant exponent or base
(which `power` differentiates without a logarithm, so a negative base is fine). Random
parameters never tie, so `maximum` and `minimum` are smooth at them; their ties are tested in
tests/ops/test_arithmetic.py.
"""

from typing import Any

from opcases import SCALAR, OpCase, Shape

SHAPES: list[tuple[str, Shape]] = [
    ("scalar", SCALAR),
    ("0d", ()),
    ("vec", (3,)),
    ("mat", (2, 3)),
    ("stacked", (4, 2, 3)),
]

BROADCASTS: list[tuple[str, Shape, Shape]] = [
    ("(2,3)&(3,)", (2, 3), (3,)),
    ("(2,3)&(2,1)", (2, 3), (2, 1)),
    ("(1,3)&(2,1)", (1, 3), (2, 1)),
    ("(3,)&(4,2,3)", (3,), (4, 2, 3)),
    ("scalar&(2,3)", SCALAR, (2, 3)),
    ("(2,3)&scalar", (2, 3), SCALAR),
]

# (op, domain): power's gradient for its exponent takes log of the base.
BINARY: list[tuple[str, Any]] = [
    ("add", "real"),
    ("subtract", "real"),
    ("multiply", "real"),
    ("divide", "real"),
    ("power", "positive"),
    ("maximum", "real"),
    ("minimum", "real"),
]


def _binary(op: str, domain: Any) -> list[OpCase]:
    pairs = [(label, shape, shape) for label, shape in SHAPES] + BROADCASTS
    return [
        OpCase(op, label, lambda m, a, b, op=op: getattr(m, op)(a, b), (sa, sb), domain)
        for label, sa, sb in pairs
    ]


def _constant_operand() -> list[OpCase]:
    return [
        # A constant exponent: no logarithm, so negative bases are fine.
        OpCase("power", "const-exponent-scalar", lambda m, x: m.power(x, 3.0), (SCALAR,)),
        OpCase("power", "const-exponent-mat", lambda m, x: m.power(x, 2.0), ((2, 3),)),
        OpCase("power", "const-exponent-frac", lambda m, x: m.power(x, -1.5), ((3,),), "positive"),
        OpCase("power", "const-base-vec", lambda m, x: m.power(2.0, x), ((3,),)),
        OpCase("power", "const-base-scalar", lambda m, x: m.power(0.5, x), (SCALAR,)),
        # A constant on one side of the others.
        OpCase("maximum", "mat&const", lambda m, x: m.maximum(x, 0.0), ((2, 3),)),
        OpCase("minimum", "const&stacked", lambda m, x: m.minimum(0.25, x), ((4, 2, 3),)),
        OpCase("divide", "const&vec", lambda m, x: m.divide(1.0, x), ((3,),)),
        OpCase("subtract", "const&mat", lambda m, x: m.subtract(2.0, x), ((2, 3),)),
    ]


CASES = (
    [c for op, domain in BINARY for c in _binary(op, domain)]
    + [OpCase("negative", label, lambda m, x: m.negative(x), (shape,)) for label, shape in SHAPES]
    + _constant_operand()
)

AUTOGRAD: dict[str, Any] = {}
