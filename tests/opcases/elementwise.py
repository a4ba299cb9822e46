"""Cases for the elementwise family (`typedprop.ops._elementwise`)."""

from typing import Any

from opcases import SCALAR, OpCase, Shape

SHAPES: list[tuple[str, Shape]] = [
    ("scalar", SCALAR),
    ("0d", ()),
    ("vec", (3,)),
    ("mat", (2, 3)),
    ("stacked", (4, 2, 3)),
]


def _unary(op: str, domain: Any = "real") -> list[OpCase]:
    return [
        OpCase(op, label, lambda m, x, op=op: getattr(m, op)(x), (shape,), domain)
        for label, shape in SHAPES
    ]


CASES = _unary("exp") + _unary("log", "positive")

AUTOGRAD: dict[str, Any] = {}
