"""Cases for the reductions family (`typedprop.ops._reductions`)."""

from typing import Any

from opcases import SCALAR, OpCase

CASES = [
    OpCase("sum", "scalar", lambda m, x: m.sum(x), (SCALAR,)),
    OpCase("sum", "vec", lambda m, x: m.sum(x), ((3,),)),
    OpCase("sum", "mat", lambda m, x: m.sum(x), ((2, 3),)),
    OpCase("sum", "mat-axis0", lambda m, x: m.sum(x, axis=0), ((2, 3),)),
    OpCase("sum", "mat-axis-1-keepdims", lambda m, x: m.sum(x, axis=-1, keepdims=True), ((2, 3),)),
    OpCase("sum", "stacked-axis(0,2)", lambda m, x: m.sum(x, axis=(0, 2)), ((4, 2, 3),)),
    OpCase("sum", "stacked-keepdims", lambda m, x: m.sum(x, keepdims=True), ((4, 2, 3),)),
]

AUTOGRAD: dict[str, Any] = {}
