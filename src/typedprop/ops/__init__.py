"""typedprop's ops: the numpy operations that models use, each with a known gradient.

They follow numpy's names and semantics (broadcasting, `axis`, `keepdims`), so model code reads
like numpy. Each takes BVars, plain values or a mix: with a BVar among the arguments the result
is a BVar on the same tape, with plain values only a plain value. One family per module:

- elementwise (`_elementwise`): exp, log, ...
- reductions (`_reductions`): sum, ...
- arithmetic (`_arithmetic`): the ops behind BVar's operators.

Broadcasting is undone in one helper (`_broadcast.unbroadcast`), a reduction's gradient is put
back to its input's shape in one other (`_shapes.unreduce`).

!!! example
    ```python
    >>> import numpy as np
    >>> import typedprop as tp
    >>> from typedprop import ops
    >>> tp.grad(lambda x: ops.sum(ops.log(x)), np.array([1.0, 4.0]))
    array([1.  , 0.25])
    ```
"""

from ._arithmetic import *  # noqa: F403
from ._elementwise import *  # noqa: F403
from ._indexing import *  # noqa: F403
from ._linalg import *  # noqa: F403
from ._losses import *  # noqa: F403
from ._nondifferentiable import *  # noqa: F403
from ._reductions import *  # noqa: F403
from ._shape import *  # noqa: F403
