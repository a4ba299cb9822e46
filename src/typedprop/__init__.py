"""typedprop: statically typed, heterogeneous reverse-mode automatic differentiation over numpy
(and PyTorch, JAX, CuPy and array-api-strict arrays).

The one public door: everything users need is re-exported here (and `typedprop.testing`).

- Running: `backprop`, `grad`, `evaluate`, `backprop_n`, `grad_n`, `backprop_with`.
- Recorded graphs: `trace` records a function once, as a `Graph` to run many times (a
  `GraphWithAux` with `has_aux=True`).
- Variables: `BVar`, `constant`, and for structures `BVar.view`, `BVar.unpack`, `sequence`,
  `collect`.
- Primitives: `Op` (subclass it), `op1`, `op2`, `op3` (build one from a function).
- Structures: the `Backprop` protocol and `register_backprop` for your own types.
- Checks: `checks`, `checks_enabled`, `CheckError`, `TapeError`, `TraceError`.
- Array types for hints: `Array`, `Vec`, `Mat`; `LibraryArray`, the protocol that any array
  library's arrays fit (`torch.Tensor`, `jax.Array`).
- Static shapes: `shapecheck` (dimensions bound per call, checked at run time and by
  `typedprop.mypy_plugin`), the sized constructors `zeros`, `ones`, `normal`, and
  `reveal_shape` (what mypy and the runtime know of a shape).
- Checkpoints: `save`, `load` (typed by their template) and `CheckpointError`.

The submodules `optim`, `data` and `testing` are imported when first used (`tp.optim.Adam`),
so that `import typedprop` costs none of them; the program `typedprop.mnist` is not among them
(`from typedprop import mnist`), nor `typedprop.distributed` (gradients on a Dask cluster, with
the `distributed` extra: `import typedprop.distributed as tpd`).
"""

import importlib
from typing import TYPE_CHECKING

from . import ops as ops  # the op library; it also gives BVar's operators their ops
from ._backprop import backprop as backprop
from ._backprop import backprop_n as backprop_n
from ._backprop import backprop_with as backprop_with
from ._backprop import evaluate as evaluate
from ._backprop import grad as grad
from ._backprop import grad_n as grad_n
from ._core.arrays import Array as Array
from ._core.arrays import Floating as Floating
from ._core.arrays import LibraryArray as LibraryArray
from ._core.arrays import Mat as Mat
from ._core.arrays import Vec as Vec
from ._core.bvar import BVar as BVar
from ._core.bvar import collect as collect
from ._core.bvar import constant as constant
from ._core.bvar import sequence as sequence
from ._core.checks import checks as checks
from ._core.checks import checks_enabled as checks_enabled
from ._core.errors import CheckError as CheckError
from ._core.errors import TapeError as TapeError
from ._core.errors import TraceError as TraceError
from ._core.op import Op as Op
from ._core.op import op1 as op1
from ._core.op import op2 as op2
from ._core.op import op3 as op3
from ._core.structures import Backprop as Backprop
from ._core.structures import register_backprop as register_backprop
from ._scan import scan as scan
from ._static.constructors import normal as normal
from ._static.constructors import ones as ones
from ._static.constructors import zeros as zeros
from ._static.shapecheck import reveal_shape as reveal_shape
from ._static.shapecheck import shapecheck as shapecheck
from ._tracing.compiled import CompiledGraph as CompiledGraph
from ._tracing.compiled import CompiledGraphWithAux as CompiledGraphWithAux
from ._tracing.graph import Graph as Graph
from ._tracing.graph import GraphWithAux as GraphWithAux
from ._tracing.graph import trace as trace
from .checkpoint import CheckpointError as CheckpointError
from .checkpoint import load as load
from .checkpoint import save as save

__version__ = "0.1.0"

_SUBMODULES = ("data", "optim", "testing")

if TYPE_CHECKING:
    # What mypy reads. At run time `__getattr__` imports them instead, on first use; mypy does
    # not see it, so that a misspelt `tp.optimm` stays an error.
    from . import data as data
    from . import optim as optim
    from . import testing as testing
else:

    def __getattr__(name: str) -> object:
        """`typedprop.optim`, `.data` and `.testing`, imported on first use (PEP 562)."""
        if name in _SUBMODULES:
            return importlib.import_module(f"{__name__}.{name}")
        message = f"module {__name__!r} has no attribute {name!r}"
        if name == "mnist":
            message += " (the program is imported on its own: from typedprop import mnist)"
        raise AttributeError(message)


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBMODULES})
