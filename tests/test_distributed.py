"""`typedprop.distributed`: gradients over the row blocks of dask arrays on a real Dask cluster
(worker processes over TCP, started here), equal to one process's; the parameters sent once per
call; one record per worker with `traced=True`; bad data refused before any work is sent;
errors on the workers reaching the caller; workers lost between and during calls."""

import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pytest

pytest.importorskip("distributed", reason="Dask is not installed (the `distributed` extra)")

import dask.array as da  # noqa: E402
from distributed import Client  # noqa: E402

import typedprop as tp  # noqa: E402
import typedprop.distributed as tpd  # noqa: E402
from typedprop import BVar, ops  # noqa: E402

from support import DaskCommands, Money, assert_same_structure, local_cluster, tax  # noqa: E402


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    """A local cluster of two worker processes of one thread each, over TCP."""
    with local_cluster(processes=True) as c:
        yield c


class Layer(NamedTuple):
    w: np.ndarray
    b: np.ndarray


class Net(NamedTuple):
    hidden: Layer
    out: Layer


def make_net(rng: np.random.Generator, dtype: Any = np.float64) -> Net:
    def layer(n_in: int, n_out: int) -> Layer:
        w = rng.normal(0, n_in**-0.5, (n_out, n_in)).astype(dtype)
        return Layer(w, rng.normal(0, 0.1, n_out).astype(dtype))

    return Net(layer(6, 5), layer(5, 3))


def summed_loss(net: BVar[Net], x: np.ndarray, y: np.ndarray) -> BVar[float]:
    """The sum of the rows' cross-entropies (the loss op is their mean)."""
    hidden, out = net.view(lambda n: n.hidden), net.view(lambda n: n.out)
    h = ops.tanh(ops.linear(hidden.view(lambda a: a.w), x, hidden.view(lambda a: a.b)))
    logits = ops.linear(out.view(lambda a: a.w), h, out.view(lambda a: a.b))
    return ops.softmax_cross_entropy_with_integer_labels(logits, y) * float(len(y))


def data(rng: np.random.Generator, n: int = 101) -> tuple[np.ndarray, np.ndarray]:
    return rng.normal(size=(n, 6)), rng.integers(0, 3, n)


def assert_close(a: Any, b: Any, rtol: float = 1e-12) -> None:
    for u, v in zip(*(tp._core.structures.flatten(t)[0] for t in (a, b)), strict=True):
        np.testing.assert_allclose(u, v, rtol=rtol, atol=0)


# ---------------------------------------------------------------------------------------------
# Equal to one process


@pytest.mark.parametrize("traced", [False, True])
@pytest.mark.parametrize(
    "chunks", [((30, 30, 30, 11), (6,)), ((101,), (6,)), ((50, 51), (2, 4)), ((7,) * 14 + (3,), 3)]
)
def test_equal_to_one_process(client: Client, traced: bool, chunks: Any) -> None:
    rng = np.random.default_rng(0)
    net, (x, y) = make_net(rng), data(rng)
    rows, cols = chunks
    dx = da.from_array(x, chunks=(rows, cols))
    dy = da.from_array(y, chunks=(rows,))
    value, grads = tpd.backprop(summed_loss, net, dx, dy, traced=traced)
    expected_value, expected = tp.backprop(lambda p: summed_loss(p, x, y), net)
    assert value == pytest.approx(expected_value, rel=1e-12)
    assert_close(grads, expected)
    assert_same_structure(grads, net)
    assert_close(tpd.grad(summed_loss, net, dx, dy, client=client, traced=traced), expected)


def test_mean_divides_by_the_rows(client: Client) -> None:
    rng = np.random.default_rng(1)
    net, (x, y) = make_net(rng), data(rng)
    dx, dy = da.from_array(x, chunks=(40, 6)), da.from_array(y, chunks=(40,))
    value, grads = tpd.backprop(summed_loss, net, dx, dy, mean=True)

    def mean_loss(p: BVar[Net]) -> BVar[float]:
        return summed_loss(p, x, y) / float(len(y))

    expected_value, expected = tp.backprop(mean_loss, net)
    assert value == pytest.approx(expected_value, rel=1e-12)
    assert_close(grads, expected)


def test_float32_stays_float32(client: Client) -> None:
    rng = np.random.default_rng(2)
    net = make_net(rng, np.float32)
    x, y = data(rng)
    x = x.astype(np.float32)
    dx, dy = da.from_array(x, chunks=(25, 6)), da.from_array(y, chunks=(25,))
    for mean in (False, True):
        value, grads = tpd.backprop(summed_loss, net, dx, dy, mean=mean)
        assert_same_structure(grads, net)
        assert np.asarray(value).dtype == np.float32
        _, expected = tp.backprop(lambda p: summed_loss(p, x, y), net)
        scale = 1 / len(y) if mean else 1.0
        assert_close(grads, tuple(tuple(g * scale for g in layer) for layer in expected), 1e-4)


def test_other_structures_and_data_passed_whole(client: Client) -> None:
    # Parameters of any structure (a dict holding a tuple and a float); a datum that is not a
    # dask array (a numpy vector, a float) is passed whole to every block.
    rng = np.random.default_rng(3)
    params = {"w": (rng.normal(size=4), rng.normal(size=4)), "scale": 1.5}
    x = rng.normal(size=(64, 4))
    shift, weight = rng.normal(size=4), 0.25

    def f(p: BVar[dict[str, Any]], rows: np.ndarray, s: np.ndarray, c: float) -> BVar[float]:
        w0, w1 = p.view(lambda d: d["w"][0]), p.view(lambda d: d["w"][1])
        scale = p.view(lambda d: d["scale"])
        return ops.sum(ops.tanh((rows + s) @ w0) * scale) + ops.sum(rows @ w1) * c

    value, grads = tpd.backprop(f, params, da.from_array(x, chunks=(16, 4)), shift, weight)
    expected_value, expected = tp.backprop(lambda p: f(p, x, shift, weight), params)
    # A datum that is None is passed whole too.
    assert tpd.grad(lambda w, rows, nothing: ops.sum(rows) * w, 1.0, da.ones((4, 1)), None) == 4.0
    assert value == pytest.approx(expected_value, rel=1e-12)
    assert_same_structure(grads, params)
    assert_close(grads, expected)


def test_the_blocks_are_the_arrays_of_their_library(client: Client) -> None:
    seen = tpd.grad(lambda w, rows: _seen(w, rows), 1.0, da.ones((8, 2), chunks=(4, 2)))
    assert seen == 8 * 2.0  # sum of rows * w over two blocks of 4 rows


def test_a_torch_parameters_gradient_is_a_parameter_over_any_blocks(client: Client) -> None:
    # The blocks' gradients are added (and divided) with PyTorch's arithmetic, which makes a
    # Parameter's sum a plain Tensor: the result is given the parameter's type back.
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    w = torch.nn.Parameter(torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64))
    for chunks in (8, 4, 2):
        for mean in (False, True):
            x = da.from_array(np.arange(24.0).reshape(8, 3), chunks=(chunks, 3))
            g = tpd.grad(_torch_rows, w, x, mean=mean, client=client)
            assert type(g) is torch.nn.Parameter and not g.requires_grad
            expected = np.arange(24.0).reshape(8, 3).sum(0) / (8 if mean else 1)
            np.testing.assert_allclose(g.detach().numpy(), expected)


def _torch_rows(w: BVar[Any], rows: np.ndarray) -> BVar[Any]:
    import torch

    return ops.sum(ops.matmul(torch.as_tensor(rows), w))


def _seen(w: BVar[float], rows: np.ndarray) -> BVar[float]:
    assert type(rows) is np.ndarray and rows.shape == (4, 2), (type(rows), rows.shape)
    return w * float(rows.sum())


# ---------------------------------------------------------------------------------------------
# What travels, and what is recorded


class Counted:
    """A datum that counts how many times it is pickled (on the caller's side)."""

    pickled = 0

    def __init__(self, value: float) -> None:
        self.value = value

    def __reduce__(self) -> tuple[Any, ...]:
        Counted.pickled += 1
        return (Counted, (self.value,))


def _with_counted(w: BVar[float], rows: np.ndarray, c: Counted) -> BVar[float]:
    return w * float(rows.sum()) * c.value


def test_what_is_not_split_travels_once_per_call(client: Client) -> None:
    counts = []
    for blocks in (1, 16):
        Counted.pickled = 0
        x = da.ones((64, 2), chunks=(64 // blocks, 2))
        assert tpd.grad(_with_counted, 1.0, x, Counted(0.5)) == 64.0
        counts.append(Counted.pickled)
    # The job (function, parameters, whole data) is serialized for the call, whatever the
    # number of blocks: sent to each worker once, not with each block.
    assert counts[0] == counts[1] >= 1, counts


def _records(token: str) -> int:
    graph = tpd._GRAPHS.get(token)
    return 0 if graph is None else len(graph._records)


def test_traced_records_once_per_worker_for_all_labels(client: Client) -> None:
    rng = np.random.default_rng(4)
    net = make_net(rng)

    def loss(p: BVar[Net], x: np.ndarray, y: np.ndarray) -> BVar[float]:
        return summed_loss(p, x, y)

    for _ in range(3):  # new labels in every block and every call
        x, y = data(rng, 96)
        dx, dy = da.from_array(x, chunks=(12, 6)), da.from_array(y, chunks=(12,))
        grads = tpd.grad(loss, net, dx, dy, traced=True)
        assert_close(grads, tp.grad(lambda p, x=x, y=y: summed_loss(p, x, y), net))
    token = tpd._TOKENS[loss]
    # Eight blocks of one shape, three calls: each worker recorded at most once.
    assert sorted(client.run(_records, token).values()) == [1, 1]


def test_traced_refuses_labels_used_as_an_index(client: Client) -> None:
    def picked(w: BVar[np.ndarray], x: np.ndarray, y: np.ndarray) -> BVar[float]:
        return ops.sum((x @ w)[np.arange(len(y)), y])

    x, y = np.ones((8, 2)), np.zeros(8, dtype=np.int64)
    dx, dy = da.from_array(x, chunks=(4, 2)), da.from_array(y, chunks=(4,))
    with pytest.raises(tp.TraceError, match="getitem was given a traced value as a setting"):
        tpd.grad(picked, np.ones((2, 3)), dx, dy, traced=True)
    # The implicit style takes it.
    assert tpd.grad(picked, np.ones((2, 3)), dx, dy).shape == (2, 3)


# ---------------------------------------------------------------------------------------------
# Bad input and errors


def test_row_blocks_that_differ_are_refused_before_any_work(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    x = da.ones((10, 2), chunks=(5, 2))
    y = da.zeros(10, chunks=(4,), dtype=np.int64)

    def sent(*args: object, **kwargs: object) -> None:
        raise AssertionError("work was sent to the cluster")

    for method in ("scatter", "compute", "submit"):
        monkeypatch.setattr(client, method, sent)
    with pytest.raises(ValueError) as e:
        tpd.grad(summed_loss, make_net(np.random.default_rng(0)), x, y)
    assert str(e.value) == (
        "typedprop.distributed.grad: the data's row blocks differ: data[0] has row blocks "
        "(5, 5) but data[1] has (4, 4, 2); split them alike "
        "(data[1].rechunk({0: data[0].chunks[0]}))"
    )


def test_other_bad_data(client: Client) -> None:
    with pytest.raises(ValueError) as e:
        tpd.backprop(lambda w, x: w * 1.0, 1.0, np.ones(3))
    assert str(e.value) == (
        "typedprop.distributed.backprop: none of the data is a dask array, so there are no "
        "blocks to share out; use typedprop.backprop for data in memory"
    )
    with pytest.raises(ValueError) as e:
        tpd.grad(lambda w, x: w * 1.0, 1.0, da.ones(()))
    assert str(e.value) == (
        "typedprop.distributed.grad: data[0] is a 0-d dask array; it has no rows to split"
    )
    x = da.arange(10, chunks=5)
    masked = x[x > 3]
    with pytest.raises(ValueError) as e:
        tpd.grad(lambda w, x: w * 1.0, 1.0, masked)
    assert str(e.value) == (
        "typedprop.distributed.grad: data[0] has row blocks of unknown sizes (nan, nan); call "
        "its .compute_chunk_sizes() first"
    )


def _failing(w: BVar[float], rows: np.ndarray) -> BVar[float]:
    if rows[0, 0] > 0:
        raise RuntimeError(f"no rows above zero, got {rows[0, 0]}")
    return w * float(rows.sum())


def test_an_exception_on_a_worker_reaches_the_caller(client: Client) -> None:
    x = da.from_array(np.arange(8.0).reshape(4, 2), chunks=(2, 2))
    with pytest.raises(RuntimeError, match=r"^no rows above zero, got 4\.0$"):
        tpd.grad(_failing, 1.0, x)
    # The cluster stays usable.
    assert tpd.grad(_failing, 1.0, da.zeros((4, 2), chunks=(2, 2))) == 0.0


def test_a_shape_mistake_in_a_block_is_a_check_error(client: Client) -> None:
    rng = np.random.default_rng(5)
    x, y = data(rng, 20)
    dx = da.from_array(x[:, :5], chunks=(10, 5))  # a column short
    with pytest.raises(tp.CheckError) as e:
        tpd.grad(summed_loss, make_net(rng), dx, da.from_array(y, chunks=(10,)))
    assert str(e.value).startswith("linear: ")
    assert "(10, 5)" in str(e.value)


def taxed(m: BVar[Money], rows: np.ndarray) -> BVar[float]:
    return tax(m) * float(rows.sum())


def test_types_of_ones_own_add_by_their_add(client: Client) -> None:
    x = da.ones((8, 1), chunks=(2, 1))
    assert tpd.grad(taxed, Money(100.0), x) == Money(0.2 * 8)
    with pytest.raises(tp.CheckError) as e:
        tpd.grad(taxed, Money(100.0), x, mean=True)
    assert str(e.value) == (
        "typedprop.distributed.grad: mean=True divides the gradient by the number of rows, but "
        "it holds a Money, which typedprop cannot divide; sum (mean=False) and divide it "
        "yourself"
    )


def test_no_client() -> None:
    # In a process of its own: this module's cluster would be the current client here.
    code = (
        "import dask.array as da, typedprop.distributed as tpd\n"
        "try:\n"
        "    tpd.grad(lambda w, x: w * 1.0, 1.0, da.ones((2, 2)))\n"
        "except ValueError as e:\n"
        "    print(e)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == (
        "typedprop.distributed.grad: no Dask client: start one first (distributed.Client() for "
        "a local cluster, distributed.Client('tcp://host:8786') for a running one) or pass "
        "client="
    ), done.stderr


def test_the_job_pickles() -> None:
    # What the workers get: the function, the parameters and the whole data, by value.
    job = tpd._Job(
        summed_loss, "token", make_net(np.random.default_rng(6)), (True, False), (None, 2.0)
    )
    again = pickle.loads(pickle.dumps(job))
    assert (again.f, again.token, again.split, again.whole) == (
        summed_loss,
        "token",
        (True, False),
        (None, 2.0),
    )
    assert_close(again.params, job.params)


# ---------------------------------------------------------------------------------------------
# A cluster started with Dask's commands, and workers lost


def _slow(w: BVar[float], rows: np.ndarray, marker: str) -> BVar[float]:
    Path(marker).touch()
    time.sleep(0.5)
    return w * float(rows.sum())


def test_workers_lost_between_and_during_calls(tmp_path: Path) -> None:
    x = da.from_array(np.arange(24.0).reshape(12, 2), chunks=(2, 2))  # six blocks
    expected = float(np.arange(24.0).sum())
    with DaskCommands() as cluster:
        for _ in range(3):
            cluster.add_worker()
        with cluster.client(3) as c:
            assert tpd.grad(lambda w, rows: w * float(rows.sum()), 1.0, x, client=c) == expected
            # Lost between calls: the next call is right.
            cluster.workers[0].kill()
            cluster.workers[0].wait(timeout=30)
            assert tpd.grad(lambda w, rows: w * float(rows.sum()), 1.0, x, client=c) == expected
            # Lost during a call (two workers left, one killed once the blocks run): the other
            # holds the parameters too, and runs the lost blocks again.
            marker = tmp_path / "started"
            result: list[Any] = []
            call = threading.Thread(
                target=lambda: result.append(tpd.grad(_slow, 1.0, x, str(marker), client=c))
            )
            call.start()
            deadline = time.monotonic() + 60
            while not marker.exists() and time.monotonic() < deadline:
                time.sleep(0.02)
            cluster.workers[1].kill()
            call.join(timeout=120)
            assert result == [expected]
            assert len(c.scheduler_info()["workers"]) == 1
            # The last worker lost during a call: the parameters are gone with it, and the
            # call says so; the next one, once a worker is back, is right.
            marker.unlink()
            failed: list[BaseException] = []
            call = threading.Thread(target=lambda: _call_failing(failed, x, marker, c))
            call.start()
            while not marker.exists() and time.monotonic() < deadline + 60:
                time.sleep(0.02)
            cluster.workers[2].kill()
            call.join(timeout=120)
            assert type(failed[0]) is RuntimeError
            assert str(failed[0]).startswith("typedprop.distributed.grad: Dask cancelled the call")
            assert "every worker holding the call's parameters left during it" in str(failed[0])
            cluster.add_worker()
            c.wait_for_workers(1, timeout=60)
            assert tpd.grad(lambda w, rows: w * float(rows.sum()), 1.0, x, client=c) == expected


def _call_failing(failed: list[BaseException], x: Any, marker: Path, c: Client) -> None:
    try:
        tpd.grad(_slow, 1.0, x, str(marker), client=c)
    except BaseException as e:  # noqa: BLE001 - what the call raised is the test's subject
        failed.append(e)
