"""examples/distributed_mnist.py: what it claims holds. Its loss of a block summed over the blocks
(with `mean=True`) is the mean loss over all rows, with the gradient that one process computes;
full-batch Adam on the cluster brings the loss down and the held-out accuracy up.

On an in-process cluster of two single-threaded workers (threads, not processes: quick to start);
`test_examples.py` runs the example itself as a script, on two worker processes."""

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import typedprop as tp
from typedprop import data, mnist

pytest.importorskip("distributed")

import dask.array as da  # noqa: E402

import typedprop.distributed as tpd  # noqa: E402

from support import local_cluster  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

import distributed_mnist  # noqa: E402


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with local_cluster(processes=False) as c:
        yield c


def test_the_summed_loss_over_blocks_is_the_mean_loss_and_its_gradient(client: Any) -> None:
    split = data.load_digits(seed=0, n_train=50)
    net = mnist.init_network((64, 8, 6, 10), seed=1)
    x = da.from_array(split.train_x, chunks=(20, -1))  # blocks of 20, 20 and 10 rows
    y = da.from_array(split.train_y, chunks=20)
    value, grads = tpd.backprop(
        distributed_mnist.summed_loss, net, x, y, client=client, traced=True, mean=True
    )
    want_value, want = tp.backprop(lambda n: mnist.loss(n, split.train_x, split.train_y), net)
    assert value == pytest.approx(want_value, rel=1e-13)
    assert type(grads) is mnist.Network and type(grads.hidden1) is mnist.Layer
    for got_layer, want_layer in zip(grads, want, strict=True):
        for g, w in zip(got_layer, want_layer, strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-15)


def test_full_batch_adam_on_the_cluster_learns_the_digits(
    client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    losses, accuracy = distributed_mnist.train(client, steps=40)  # the script takes 60
    assert len(losses) == 40
    assert losses[-1] < 0.2 * losses[0]
    assert accuracy > 0.9
    out = capsys.readouterr().out
    assert "1438 training rows in 2 row blocks of up to 719, on 2 workers" in out
    assert f"held-out accuracy {accuracy:.3f}" in out.splitlines()[-1]
