"""The op table: every op of `typedprop.ops` with the shapes it is tested on.

Each family writes its cases in its own module (`elementwise.py`, `linalg.py`, ...) as a list
`CASES` of `OpCase`, and a dict `AUTOGRAD` of reference implementations, in `autograd.numpy`, for
the op names that `autograd.numpy` lacks or spells differently. `TABLE` is all of them: the
tests in `tests/ops/test_table.py` run every case against central finite differences (float64), for
dtype preservation (float32), and against HIPS autograd (values and gradients).

A case is a function `fn(m, *params)` written once against a namespace `m`: `typedprop.ops`
for typedprop, `AG` (autograd.numpy plus the families' `AUTOGRAD` entries) for the oracle. Its
output must be a float array or a scalar; integer arguments (labels, indices) are constants
closed over by `fn`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

SCALAR = "scalar"
Shape = tuple[int, ...] | Literal["scalar"]
Domain = Literal["real", "positive", "unit"]


@dataclass(frozen=True)
class OpCase:
    op: str  # the name in typedprop.ops that this case tests
    label: str  # what is special about the shapes: "vec", "mat-axis0", "(2,3)+(3,)", ...
    fn: Callable[..., Any]  # fn(m, *params)
    shapes: tuple[Shape, ...]
    # Parameters drawn from: "real" = ±[0.5, 1.5], "positive" = [0.5, 1.5], "unit" = (-0.9, 0.9).
    domain: Domain = "real"
    autograd: bool = True  # compared with HIPS autograd (False only with a reason in `why`)
    why: str = ""

    @property
    def id(self) -> str:
        return f"{self.op}-{self.label}"


def _table() -> tuple[list[OpCase], dict[str, Callable[..., Any]]]:
    import importlib
    import pkgutil

    cases: list[OpCase] = []
    reference: dict[str, Callable[..., Any]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        cases += module.CASES
        reference.update(getattr(module, "AUTOGRAD", {}))
    return cases, reference


TABLE, AUTOGRAD = _table()
