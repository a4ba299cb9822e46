"""Data-parallel training on a Dask cluster: the MNIST network, full-batch Adam, and each step's
gradient computed by the workers, each on its own row block of the data.

Run it with `python examples/distributed_mnist.py`: it starts a local cluster of two worker
processes and trains on the 8x8 digits that scikit-learn bundles (no download), in well under a
minute. `python examples/distributed_mnist.py tcp://host:8786` trains on a running cluster
instead; its workers need typedprop (and scikit-learn's digits are loaded here, not there).
Dask comes with `pip install 'typedprop[distributed]'`.

(The file is not called `distributed.py`: run as a script, it would be the first `distributed`
on the import path, and `import distributed` would import it instead of Dask's.)

## 1. The data, in row blocks on the workers

A dask array is a grid of numpy blocks. The training images and labels are split alike in row
blocks, one per worker thread, and `client.persist` sends them to the workers once: every step
names the blocks where they lie and never sends them again.

## 2. The loss of a block is a sum

`typedprop.distributed.backprop(f, params, x, y)` runs `f(params, x_block, y_block)` once per
row block, on the worker that holds it, and adds up the values and the gradients. So `f` gives
the **sum** of its rows' losses (`mnist.loss` is their mean: times the rows), and `mean=True`
divides the total by the number of rows: the mean loss over all rows, exactly what
`typedprop.backprop(lambda n: mnist.loss(n, x, y), net)` gives in one process, up to the order
of the additions. `traced=True` records `f` once per worker and replays it at every step.

## 3. A step

The gradient comes back as a `mnist.Network`, as it would from `typedprop.grad`, and the step
of Adam runs here, in the calling process: only the network travels at each step (to the
workers) and its gradient (back).

    value, grads = tpd.backprop(summed_loss, net, x, y, client=client, traced=True, mean=True)
    net = opt.step(net, grads)
"""

import sys
from typing import Any

import dask.array as da
import distributed
import numpy as np
from distributed import Client
from jaxtyping import Int

import typedprop as tp
import typedprop.distributed as tpd
from typedprop import data, mnist, optim

# Dask's functions are untyped, and mypy --strict calls no untyped function from typed code:
# those used here are held as Any.
from_array: Any = da.from_array
new_client: Any = distributed.Client
new_local_cluster: Any = distributed.LocalCluster


# 2. The loss of a block: the sum over its rows.
def summed_loss(
    net: tp.BVar[mnist.Network], x: tp.Array, y: Int[np.ndarray, " batch"]
) -> tp.BVar[float]:
    """The loss summed over the rows of one block (`mnist.loss` is the mean over them)."""
    rows: int = x.shape[0]
    return mnist.loss(net, x, y) * rows


def train(
    client: Client,
    steps: int = 60,
    hidden: tuple[int, int] = (64, 32),
    lr: float = 0.02,
    seed: int = 0,
) -> tuple[list[float], float]:
    """Train on the built-in digits with full-batch Adam, the gradients computed on `client`'s
    cluster; returns the loss of each step and the final held-out accuracy."""
    split = data.load_digits(seed=seed)
    n = len(split.train_y)

    # 1. The data: one row block per worker thread, sent to the workers once.
    cluster: Any = client  # untyped methods too
    blocks = max(1, sum(cluster.nthreads().values()))
    rows = -(-n // blocks)  # rounded up: the last block may be shorter
    x, y = cluster.persist(
        [from_array(split.train_x, chunks=(rows, -1)), from_array(split.train_y, chunks=rows)]
    )
    workers = len(cluster.nthreads())
    print(f"{n} training rows in {blocks} row blocks of up to {rows}, on {workers} workers")

    # 3. Training: the gradient of the mean loss over all rows from the cluster, the step here.
    net = mnist.init_network((split.train_x.shape[1], *hidden, mnist.DIGITS), seed=seed)
    opt = optim.Adam(net, lr=lr)
    losses: list[float] = []
    for step in range(1, steps + 1):
        value, grads = tpd.backprop(summed_loss, net, x, y, client=client, traced=True, mean=True)
        net = opt.step(net, grads)
        losses.append(float(value))
        if step == 1 or step % 10 == 0:
            held_out = mnist.accuracy(net, split.test_x, split.test_y)
            print(f"step {step:3d}: loss {value:.4f}, held-out accuracy {held_out:.3f}")
    accuracy = mnist.accuracy(net, split.test_x, split.test_y)
    print(f"loss {losses[0]:.3f} -> {losses[-1]:.3f}; held-out accuracy {accuracy:.3f}")
    return losses, accuracy


def main(address: str | None = None, steps: int = 60) -> tuple[list[float], float]:
    """Train on the cluster at `address`, or on a local one of two worker processes."""
    if address is not None:
        with new_client(address, timeout="10s") as client:
            return train(client, steps)
    # Two processes of one thread each, no dashboard. (The scheduler serves health checks
    # over HTTP even without one, on port 8787 unless told otherwise: any free port here.)
    local = new_local_cluster(
        n_workers=2,
        threads_per_worker=1,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
    )
    with local, new_client(local) as client:
        return train(client, steps)


if __name__ == "__main__":  # the guard that lets the workers' processes import this file
    main(sys.argv[1] if len(sys.argv) > 1 else None)
