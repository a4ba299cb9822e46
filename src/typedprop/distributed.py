"""Data-parallel gradients on a Dask cluster: each worker differentiates its row blocks.

When the data outgrows one machine, or one machine is too slow, a dask array splits it in
row blocks across the workers of a `dask.distributed` cluster. `backprop` and `grad` here
take such arrays and give what `typedprop.backprop` and `typedprop.grad` give on the whole
data: the function's value and its gradient, of exactly the parameters' type, summed over
the blocks. Dask's own scheduler does the work: no engine of typedprop's own.

```python
import dask.array as da
import numpy as np
from distributed import Client

import typedprop as tp
import typedprop.distributed as tpd
from typedprop import ops


def loss_of_rows(w: tp.BVar[tp.Mat], x: tp.Mat, y: np.ndarray) -> tp.BVar[float]:
    # The sum of the rows' losses (the op gives their mean).
    return ops.softmax_cross_entropy_with_integer_labels(x @ w, y) * float(len(y))


# A local cluster (threads here, to be quick; worker processes by default; its dashboard on
# any free port), or the one a scheduler runs: Client("tcp://scheduler:8786").
with Client(processes=False, dashboard_address=":0") as client:
    rng = np.random.default_rng(0)
    images, labels = rng.normal(size=(1000, 64)), rng.integers(0, 10, 1000)
    x = da.from_array(images, chunks=(250, 64)).persist()  # row blocks of 250 rows
    y = da.from_array(labels, chunks=(250,)).persist()  # the same row blocks
    w = np.zeros((64, 10))
    value, grads = tpd.backprop(loss_of_rows, w, x, y, mean=True)
    assert type(grads) is np.ndarray and grads.shape == (64, 10)
    assert np.allclose(grads, tp.grad(lambda w: loss_of_rows(w, images, labels) / 1000.0, w))
```

How a call runs:

- The parameters (with the function and any datum that is not a dask array) are scattered
  to every worker once per call, not once per block: each worker holds a copy, so losing one
  worker loses none of them.
- `f(params, *blocks)` runs once per row block, on a worker, as `typedprop.backprop` runs
  it in one process, on the block's arrays of the dask array's library (numpy, or CuPy for a
  CuPy-backed dask array). A block split along other axes is gathered into one first.
- The blocks' values and gradients are added pairwise, as a tree over the blocks (each
  structure's own `add`), so the reduction takes log2(blocks) steps; the caller gets one
  value and one gradient back.

`f` should return the **sum** of its rows' losses: the result is the sum over the blocks, so
a per-block mean would make it depend on how the data is split. `mean=True` divides the value
and the gradient by the total number of rows, which gives the mean over all rows.

With `traced=True`, each worker records `f` once (`typedprop.trace`) and replays the record
for every block of the same shapes, integer labels included: integer arrays of the data are
data here, read at each replay, not values built into the record. A worker keeps the records
of the last 16 functions across calls (by function object, as a `typedprop.Graph` keeps its
records), so a training loop records once per worker. A record replays the ops, not the
Python between them: what `typedprop.trace` refuses is refused here too, and an integer array
of the data may only be an op's input (the labels of
`ops.softmax_cross_entropy_with_integer_labels`), not an index (`x[labels]`): use the
implicit style (`traced=False`) for such a function.

Faults: data whose row blocks differ is a `ValueError` before any work is sent; an exception
in `f` (a `typedprop.CheckError` for a shape mistake in a block) reaches the caller as it
was raised, and the cluster stays usable. A worker lost between calls is not missed: the next
call scatters to the workers there are. A worker lost during a call, with others left: Dask
runs its blocks again on the others, which hold the parameters too, and the call returns the
same result. With one worker, the call fails (Dask cannot run the blocks elsewhere, and the
parameters were on that worker alone) with a `RuntimeError` that says so; the next call, once a
worker is back (a nanny restarts it), works.
"""

import threading
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Concatenate, TypeVar, cast

import numpy as np

try:
    import dask.array as da
    import distributed
    from dask.delayed import delayed
    from distributed.client import FutureCancelledError
except ImportError as e:  # pragma: no cover - the extra is installed in the tests
    raise ImportError(
        "typedprop.distributed needs Dask and its distributed scheduler: "
        "pip install 'typedprop[distributed]'"
    ) from e

from ._backprop import backprop as _backprop
from ._core.bvar import BVar
from ._core.errors import CheckError
from ._core.structures import array_kind, finalize, flatten, kind_of, unflatten
from ._tracing.graph import Graph

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["backprop", "grad"]

X = TypeVar("X")
Y = TypeVar("Y")


def backprop(
    f: Callable[Concatenate[BVar[X], ...], BVar[Y]],
    params: X,
    *data: object,
    client: "Client | None" = None,
    traced: bool = False,
    mean: bool = False,
) -> tuple[Y, X]:
    """The value of `f(params, *data)` summed over the row blocks of the data, and its
    gradient with respect to `params`, of exactly `params`' type, computed on a Dask cluster.

    Each datum that is a dask array is split in row blocks (axis 0), the same ones for all;
    `f(params, *blocks)` runs once per block on the workers, exactly as
    `typedprop.backprop(lambda p: f(p, *blocks), params)` would, and the values and gradients
    are summed. A datum that is not a dask array is passed whole to every call. `client=None`
    uses the current Dask client; `traced=True` records `f` once per worker
    (`typedprop.trace`) and replays it for each block; `mean=True` divides the value and the
    gradient by the total number of rows.

    !!! example
        ```python
        >>> import dask.array as da
        >>> import numpy as np
        >>> from distributed import Client
        >>> import typedprop.distributed as tpd
        >>> from typedprop import ops
        >>> client = Client(processes=False, n_workers=2, dashboard_address=":0")
        >>> x = da.from_array(np.arange(8.0).reshape(4, 2), chunks=(2, 2))
        >>> tpd.backprop(lambda w, rows: ops.sum(rows @ w), np.ones(2), x)
        (np.float64(28.0), array([12., 16.]))
        >>> client.close()

        ```
    """
    return _run("backprop", f, params, data, client, traced, mean)


def grad(
    f: Callable[Concatenate[BVar[X], ...], BVar[Y]],
    params: X,
    *data: object,
    client: "Client | None" = None,
    traced: bool = False,
    mean: bool = False,
) -> X:
    """The gradient of `f(params, *data)` summed over the row blocks of the data, of exactly
    `params`' type: `backprop(...)[1]` (see `backprop`)."""
    gradient: X = _run("grad", f, params, data, client, traced, mean)[1]
    return gradient


# ---------------------------------------------------------------------------------------------
# The caller's side


def _run(
    who: str,
    f: Callable[..., Any],
    params: Any,
    data: tuple[object, ...],
    client: "Client | None",
    traced: bool,
    mean: bool,
) -> tuple[Any, Any]:
    who = f"typedprop.distributed.{who}"
    rows, blocks = _row_blocks(who, data)
    dask: Any = _client(who, client)  # its methods carry no annotations
    split = tuple(b is not None for b in blocks)
    whole = tuple(None if s else d for d, s in zip(data, split, strict=True))
    job = _Job(f, _token(f) if traced else None, params, split, whole)
    # One copy per worker, not one per block: `broadcast` sends it to every worker (so that
    # losing one loses nothing), and the block tasks all name that one key.
    [held] = dask.scatter([job], broadcast=True, hash=False)
    parts = [
        delayed(_block, pure=False)(held, *(b[i] for b in blocks if b is not None))
        for i in range(len(rows))
    ]
    while len(parts) > 1:  # a tree: log2(blocks) steps, each pair added on a worker
        odd = parts[-1:] if len(parts) % 2 else []
        pairs = zip(parts[0::2], parts[1::2], strict=False)  # the odd one out waits a step
        parts = [delayed(_add, pure=False)(a, b) for a, b in pairs] + odd
    try:
        value, gradient = dask.compute(parts[0]).result()
    except FutureCancelledError as e:
        raise RuntimeError(
            f"{who}: Dask cancelled the call ({e}) The usual cause: every worker holding the "
            "call's parameters left during it (with one worker, that one). Nothing is left "
            "behind: call again once the cluster has workers"
        ) from e
    if mean:
        value, gradient = _divided(who, value, gradient, sum(rows))
    # The blocks' sums are the libraries' own arithmetic: a `torch.nn.Parameter`'s gradients
    # added make a plain Tensor. Each leaf gets its parameter's exact type back.
    return value, finalize(params, gradient)


def _client(who: str, client: "Client | None") -> "Client":
    """`client`, or the current Dask client."""
    if client is not None:
        return client
    try:
        return distributed.get_client()
    except ValueError:
        raise ValueError(
            f"{who}: no Dask client: start one first (distributed.Client() for a local "
            "cluster, distributed.Client('tcp://host:8786') for a running one) or pass "
            "client="
        ) from None


def _row_blocks(who: str, data: tuple[object, ...]) -> tuple[tuple[int, ...], list[Any]]:
    """The data's row blocks (their sizes) and, for each datum, its blocks as delayed values
    with every other axis gathered into one (None for a datum that is not a dask array).
    Raises ValueError, naming the data and their blocks, unless the dask arrays all have the
    same known row blocks."""
    rows: tuple[int, ...] | None = None
    first = 0
    blocks: list[Any] = []
    for i, d in enumerate(data):
        if not isinstance(d, da.Array):
            blocks.append(None)
            continue
        if d.ndim == 0:
            raise ValueError(f"{who}: data[{i}] is a 0-d dask array; it has no rows to split")
        sizes = d.chunks[0]
        if any(s != s for s in sizes):  # nan: unknown sizes, after a boolean mask say
            raise ValueError(
                f"{who}: data[{i}] has row blocks of unknown sizes {sizes}; call its "
                ".compute_chunk_sizes() first"
            )
        if rows is None:
            rows, first = sizes, i
        elif sizes != rows:
            raise ValueError(
                f"{who}: the data's row blocks differ: data[{first}] has row blocks {rows} but "
                f"data[{i}] has {sizes}; split them alike "
                f"(data[{i}].rechunk({{0: data[{first}].chunks[0]}}))"
            )
        if any(n > 1 for n in d.numblocks[1:]):
            # One block per row block (`rechunk` carries no annotations).
            d = cast(Any, d).rechunk({axis: -1 for axis in range(1, d.ndim)})
        blocks.append(d.to_delayed().reshape(-1))
    if rows is None:
        raise ValueError(
            f"{who}: none of the data is a dask array, so there are no blocks to share out; "
            "use typedprop.backprop for data in memory"
        )
    return rows, blocks


# The token of each function given with traced=True: a worker keeps its record under it, so
# that the calls of a training loop, each sending the function anew, share one record.
_TOKENS: "weakref.WeakKeyDictionary[Callable[..., Any], str]" = weakref.WeakKeyDictionary()


def _token(f: Callable[..., Any]) -> str:
    try:
        return _TOKENS.setdefault(f, uuid.uuid4().hex)
    except TypeError:  # no weak references to it: a record for this call alone
        return uuid.uuid4().hex


def _divided(who: str, value: Any, gradient: Any, n: int) -> tuple[Any, Any]:
    """`value` and `gradient` divided by `n`: each float leaf, keeping its dtype (a float32
    array / a Python int is float32); integer leaves, whose gradient is zero, as they are."""
    leaves, treedef = flatten(gradient)
    for i, leaf in enumerate(leaves):
        kind = array_kind(leaf)  # an array of numpy's or another library's, else None
        if isinstance(leaf, float | np.floating) or (kind is not None and kind.floating(leaf)):
            leaves[i] = leaf / n
        elif kind is None and not isinstance(leaf, int | np.number):
            raise CheckError(
                f"{who}: mean=True divides the gradient by the number of rows, but it holds "
                f"a {type(leaf).__name__}, which typedprop cannot divide; sum (mean=False) and "
                "divide it yourself"
            )
    return value / n, unflatten(treedef, leaves)


# ---------------------------------------------------------------------------------------------
# The workers' side


class _Job:
    """What every block of one call needs, sent to each worker once: the function, the
    parameters, which data is split in blocks, and the data that is not (None where a block
    goes)."""

    __slots__ = ("f", "token", "params", "split", "whole")

    def __init__(
        self,
        f: Callable[..., Any],
        token: str | None,
        params: Any,
        split: tuple[bool, ...],
        whole: tuple[object, ...],
    ) -> None:
        self.f = f
        self.token = token
        self.params = params
        self.split = split
        self.whole = whole

    def data(self, blocks: Sequence[object]) -> tuple[object, ...]:
        """The data of one block: its blocks where the dask arrays were, the rest whole."""
        parts = iter(blocks)
        return tuple(next(parts) if s else w for s, w in zip(self.split, self.whole, strict=True))


def _block(job: _Job, *blocks: object) -> tuple[Any, Any]:
    """The value and gradient of one row block, on a worker."""
    data = job.data(blocks)
    if job.token is None:
        f = job.f
        return _backprop(lambda p: f(p, *data), job.params)
    return _graph(job).backprop(job.params, *data)


# The records of the last functions a worker was given with traced=True, by token.
_GRAPHS: "OrderedDict[str, Graph[Any, Any, *tuple[Any, ...]]]" = OrderedDict()
_GRAPHS_LIMIT = 16
_GRAPHS_LOCK = threading.Lock()


def _graph(job: _Job) -> "Graph[Any, Any, *tuple[Any, ...]]":
    """The worker's graph of `job`'s function, made on first use; its integer data is data."""
    assert job.token is not None
    with _GRAPHS_LOCK:
        graph = _GRAPHS.get(job.token)
        if graph is None:
            graph = Graph(job.f)
            graph.integer_data = True
            _GRAPHS[job.token] = graph
            if len(_GRAPHS) > _GRAPHS_LIMIT:
                _GRAPHS.popitem(last=False)
        else:
            _GRAPHS.move_to_end(job.token)
        return graph


def _add(a: tuple[Any, Any], b: tuple[Any, Any]) -> tuple[Any, Any]:
    """The sum of two blocks' values and gradients (the gradients in their structure)."""
    (va, ga), (vb, gb) = a, b
    return va + vb, kind_of(ga).add(ga, gb)
