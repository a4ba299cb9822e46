"""The seed's MNIST program: a classifier of handwritten digits, and the `typedprop-mnist` command.

Haskell backprop's tutorial trains a network with two logistic hidden layers of 300 and 100
units and a softmax output of 10 on MNIST, by per-sample gradient descent with learning rate
0.02. This module is that program in typedprop: `examples/mnist.py` walks through it as a
tutorial. The parameters are a typed structure of three layers, so the gradient of the loss has
exactly the type `Network`, and the optimizer is typed by it too:

```
Network(hidden1=Layer(w: (300, 784), b: (300,)),
        hidden2=Layer(w: (100, 300), b: (100,)),
        output=Layer(w: (10, 100), b: (10,)))
```

Run `typedprop-mnist` for the built-in 8x8 digits (no download), or `typedprop-mnist --data DIR`
for MNIST's IDX files in DIR: the test set alone (`t10k-*`: its first 8,000 images train, the
rest are held out) or with the training set (`train-*`: MNIST's standard 60,000/10,000 split).
It prints the held-out accuracy after each epoch, saves the network (`--save`, by default
`mnist-network.npz` in the current folder), then writes the training curves (`--plot`, by default
`mnist-training.png` in the current folder). With `--workers N` (a local Dask cluster of N
processes) or `--scheduler ADDRESS` (a running cluster), the workers compute each step's
gradient on their row blocks of the training part (`typedprop.distributed`) and the step runs
here: full-batch Adam, unless told otherwise. Bad input is refused, before training wherever it
can be, with one line naming the option or file and exit status 2; Ctrl-C saves the network
trained so far and exits with status 130. `typedprop-mnist --help` lists the options and their
defaults.

!!! example
    ```python
    >>> import numpy as np
    >>> import typedprop as tp
    >>> from typedprop import mnist
    >>> net = mnist.init_network((64, 30, 20, 10), seed=0)
    >>> x, y = np.random.default_rng(0).uniform(size=64), 3
    >>> g = tp.grad(lambda n: mnist.loss(n, x, y), net)
    >>> type(g) is mnist.Network and g.hidden1.w.shape == (30, 64)
    True
    ```
"""

import argparse
import contextlib
import importlib
import logging
import math
import os
import secrets
import signal
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Final, NamedTuple

import array_api_compat
import numpy as np
import numpy.lib.format
from jaxtyping import Float, Int

# The program sits above the library: it uses typedprop through its public door only.
from . import (
    Array,
    BVar,
    Mat,
    Vec,
    backprop,
    checks,
    evaluate,
    normal,
    ops,
    optim,
    shapecheck,
    trace,
    zeros,
)
from . import load as load_checkpoint
from . import save as save_checkpoint
from .data import Split, SplitSizeError, load_digits, load_mnist

if TYPE_CHECKING:  # Dask is optional: imported where a cluster is used, never at import
    from distributed import Client

__all__ = [
    "DIGITS",
    "HIDDEN1",
    "HIDDEN2",
    "PIXELS",
    "Layer",
    "Network",
    "TrainingDiverged",
    "TrainingInterrupted",
    "accuracy",
    "init_network",
    "load_network",
    "logits",
    "loss",
    "main",
    "npz_path",
    "predict",
    "save_network",
    "sizes",
    "train",
]


PIXELS: Final = 784
"""The inputs of the seed's network: MNIST's 28 x 28 pictures, one pixel per input."""
HIDDEN1: Final = 300
HIDDEN2: Final = 100
"""The seed's hidden layer sizes (`typedprop-mnist --hidden H1 H2` chooses others)."""
DIGITS: Final = 10
"""The outputs: one score per digit."""


@shapecheck
class Layer(NamedTuple):
    """One dense layer: `w @ x + b`, with `out` units from `in` inputs.

    Building one checks that `b` has one entry per row of `w`, at run time and, where the
    sizes are known statically (`Final` constants, `typedprop.normal`), with
    `typedprop.mypy_plugin` in mypy:

    !!! example
        ```python
        >>> import typedprop as tp
        >>> from typedprop.mnist import HIDDEN1, HIDDEN2, PIXELS, Layer
        >>> layer = Layer(tp.normal(HIDDEN1, PIXELS, rng=0), tp.zeros(HIDDEN1))
        >>> try:
        ...     Layer(layer.w, tp.zeros(HIDDEN2))
        ... except tp.CheckError as e:
        ...     print(str(e).split(" (dimension ")[1])
        out: 100 (argument 'b', axis 0) vs 300 (argument 'w', axis 0))
        ```
    """

    w: Float[Mat, "out in"]
    b: Float[Vec, " out"]


class Network(NamedTuple):
    """The seed's network: two logistic hidden layers and a softmax output layer."""

    hidden1: Layer
    hidden2: Layer
    output: Layer


def init_network(sizes: tuple[int, int, int, int], seed: int = 0) -> Network:
    """A network with layer sizes `(inputs, hidden1, hidden2, outputs)`, weights drawn from a
    normal distribution scaled by `1 / sqrt(inputs of the layer)`, biases zero.

    !!! example
        ```python
        >>> from typedprop import mnist
        >>> net = mnist.init_network((784, 300, 100, 10))
        >>> [layer.w.shape for layer in net]
        [(300, 784), (100, 300), (10, 100)]
        ```
    """
    rng = np.random.default_rng(seed)

    def layer(n_in: int, n_out: int) -> Layer:
        return Layer(normal(n_out, n_in, scale=1.0 / np.sqrt(n_in), rng=rng), zeros(n_out))

    n_in, h1, h2, n_out = sizes
    return Network(layer(n_in, h1), layer(h1, h2), layer(h2, n_out))


def _dense(layer: BVar[Layer], x: BVar[Array] | Array) -> BVar[Array]:
    """`w @ x + b` for one sample (a vector), `x @ w.T + b` for a batch (one sample per row)."""
    w, b = layer.unpack()
    return ops.linear(w, x, b)


def logits(net: BVar[Network], x: Array) -> BVar[Array]:
    """The network's output scores (before the softmax) for one sample `x` (a vector of pixels)
    or a batch of samples (one per row).

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import mnist
        >>> net = mnist.init_network((64, 30, 20, 10))
        >>> tp.evaluate(lambda n: mnist.logits(n, np.zeros((5, 64))), net).shape
        (5, 10)
        ```
    """
    hidden1, hidden2, output = net.unpack()
    h = ops.logistic(_dense(hidden1, x))
    h = ops.logistic(_dense(hidden2, h))
    return _dense(output, h)


def loss(net: BVar[Network], x: Array, y: int | Int[np.ndarray, " batch"]) -> BVar[float]:
    """The softmax cross-entropy of the network's scores for `x` against the labels `y` (the mean
    over a batch).

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import mnist
        >>> net = mnist.init_network((64, 30, 20, 10))
        >>> round(float(tp.evaluate(lambda n: mnist.loss(n, np.zeros(64), 3), net)), 3)
        2.252
        ```
    """
    return ops.softmax_cross_entropy_with_integer_labels(logits(net, x), y)


def predict(net: Network, x: Array) -> Int[np.ndarray, " batch"]:
    """The most likely digit for each row of `x`.

    !!! example
        ```python
        >>> import numpy as np
        >>> from typedprop import mnist
        >>> mnist.predict(mnist.init_network((64, 30, 20, 10)), np.zeros((2, 64))).shape
        (2,)
        ```
    """
    xp = array_api_compat.array_namespace(x)
    rows = x if x.ndim == 2 else xp.reshape(x, (1, -1))
    scores = evaluate(lambda n: logits(n, rows), net)
    labels: Int[np.ndarray, " batch"] = xp.argmax(scores, axis=-1)
    return labels


_EVAL_ROWS = 1024
"""`accuracy` evaluates this many rows at a time, so a large set never needs all its
activations at once."""


def accuracy(net: Network, x: Array, y: Int[np.ndarray, " batch"]) -> float:
    """The fraction of rows of `x` whose predicted digit is the label in `y`.

    !!! example
        ```python
        >>> import numpy as np
        >>> from typedprop import mnist
        >>> net = mnist.init_network((64, 30, 20, 10))
        >>> 0.0 <= mnist.accuracy(net, np.zeros((4, 64)), np.array([0, 1, 2, 3])) <= 1.0
        True
        ```
    """
    # Any library's arrays (see `train`'s `backend`): one count read back per chunk of rows.
    xp = array_api_compat.array_namespace(x, y)
    rows = x if x.ndim == 2 else xp.reshape(x, (1, -1))
    labels = y if y.ndim == 1 else xp.reshape(y, (-1,))
    hits = 0
    for i in range(0, rows.shape[0], _EVAL_ROWS):
        right = predict(net, rows[i : i + _EVAL_ROWS]) == labels[i : i + _EVAL_ROWS]
        hits += int(xp.sum(xp.astype(right, xp.int64)))
    return hits / int(rows.shape[0])


class History(NamedTuple):
    """What training saw: the mean training loss of each epoch, and the accuracy on the
    training part and on the held-out part after it."""

    train_loss: list[float]
    train_accuracy: list[float]
    test_accuracy: list[float]


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during `train`. Still a `KeyboardInterrupt`; it carries the network as trained so
    far (`network`, after `steps` steps in all) and the `history` of the epochs that finished."""

    def __init__(self, network: Network, history: History, epoch: int, steps: int) -> None:
        super().__init__(f"training interrupted in epoch {epoch} after {steps} steps")
        self.network = network
        self.history = history
        self.epoch = epoch
        self.steps = steps


class TrainingDiverged(ValueError):
    """The loss of a training step is not a finite number: the learning rate is too large."""


def train(
    net: Network,
    split: Split,
    *,
    optimizer: str = "sgd",
    epochs: int = 10,
    lr: float | None = None,
    batch_size: int = 1,
    seed: int = 0,
    progress: bool = False,
    on_epoch: Callable[[int, History], object] | None = None,
    backend: str = "numpy",
    device: str | None = None,
    client: "Client | None" = None,
) -> tuple[Network, History]:
    """Train `net` on `split`'s training part; returns the trained network and the history.

    `optimizer` is `"sgd"` (the seed's: plain gradient descent, one sample at a time by
    default, learning rate 0.02) or `"adam"` (mini-batches of `batch_size`, learning rate
    0.001); a batch larger than the training part is the whole of it. With `progress`, a
    progress bar (tqdm's, where installed) shows the running loss; `on_epoch(epoch, history)`
    is called after each epoch (counted from 1).

    One sample at a time, the loss is recorded once per label by `typedprop.trace`, with the
    sample as data, and replayed at each step: the same arithmetic as `typedprop.backprop`,
    without running `loss`'s Python code again. Mini-batches use `typedprop.backprop`, since a
    batch's labels, integer data, would make a record per batch.

    `backend` trains on another array library's arrays: `"torch"`, `"jax"` or `"cupy"`, on
    `device` (the library's default by default; `"cuda"` for PyTorch's GPU). The network and
    the data are copied to it once, trained there in float64 (float32 for JAX without its
    64-bit mode), and the trained network comes back as numpy arrays; the loss and the
    accuracies are the same as numpy's, to rounding.

    `client`, a `distributed.Client`, computes each step's gradient on its Dask cluster
    (`typedprop.distributed`): the training part is sent to the workers once, in one row block
    per worker thread, each step's gradient is the sum of the blocks' gradients over the
    batch's rows, computed where the rows are, and the optimizer's step runs here. Only the
    summation order differs from training in this process, so the results agree to rounding.
    A batch of the whole training part (a `batch_size` as large) uses the blocks as they are,
    with the loss recorded once per worker (`traced=True`); a smaller batch gathers its rows
    on the workers at each step. The cluster computes with numpy: `backend` must be `"numpy"`.
    The caller owns the client (this function does not close it); the blocks it sent are
    released when training ends. Ctrl-C during a step on the cluster takes effect when the
    step's gradient has come back (a second Ctrl-C at once), so that no call to Dask is
    left half done.

    Raises `ValueError` for bad settings, and `TrainingDiverged` (a `ValueError`) when the loss
    or a parameter stops being a finite number (the learning rate is too large); Ctrl-C raises
    `TrainingInterrupted`, which holds the network as trained so far.

    !!! example
        ```python
        >>> from typedprop import data, mnist
        >>> split = data.load_digits(seed=0)
        >>> net = mnist.init_network((64, 30, 20, 10))
        >>> net, history = mnist.train(net, split, optimizer="adam", batch_size=16, lr=0.01,
        ...                            epochs=2)
        >>> history.test_accuracy[-1] > 0.8
        True
        ```
    """
    if optimizer not in ("sgd", "adam"):
        raise ValueError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}")
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be at least 1, got {epochs}, {batch_size}")
    rate = lr if lr is not None else (0.02 if optimizer == "sgd" else 1e-3)
    if not (math.isfinite(rate) and rate > 0):
        raise ValueError(f"lr must be a positive number, got {rate}")
    if client is not None and backend != "numpy":
        raise ValueError(
            f"a Dask client computes with numpy on its workers; backend must be 'numpy', got "
            f"{backend!r}"
        )
    on = _Library(backend, device)
    # On another library, the parameters are plain tuples: Layer's hints describe numpy arrays.
    params: Any = net if on.xp is None else tuple(tuple(map(on.floats, layer)) for layer in net)
    opt: optim.Optimizer[Any] = (
        optim.SGD(params, lr=rate) if optimizer == "sgd" else optim.Adam(params, lr=rate)
    )
    x, y = on.floats(split.train_x), on.labels(split.train_y)
    test_x, test_y = on.floats(split.test_x), on.labels(split.test_y)
    labels = split.train_y  # on the host: a label is data of the per-sample record
    batch_size = min(batch_size, len(labels))
    rng = np.random.default_rng(seed)
    blocks = _RowBlocks(client, x, y) if client is not None else None
    graph = trace(loss, params, x[0], int(labels[0])) if batch_size == 1 and not blocks else None
    history = History([], [], [])
    epoch, steps = 1, 0
    bar = None
    try:
        # Overflow on the way to a diverging loss is reported below, once, not warned about.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            for epoch in range(1, epochs + 1):
                order = rng.permutation(len(labels))
                picks = on.labels(order)  # the batches' rows, on the library's device
                batches = range(0, len(order), batch_size)
                losses: list[float] = []
                bar = _progress(len(batches), f"epoch {epoch}/{epochs}", progress)
                for k, start in enumerate(batches):
                    if blocks is not None:
                        value, g = blocks.backprop(params, order[start : start + batch_size])
                    elif graph is not None:
                        i = int(order[start])
                        value, g = graph.backprop(params, x[i], int(labels[i]))
                    else:
                        rows = picks[start : start + batch_size]
                        xb, yb = x[rows], y[rows]
                        value, g = backprop(lambda n: loss(n, xb, yb), params)  # noqa: B023
                    if not math.isfinite(value):
                        raise TrainingDiverged(
                            f"training diverged: the loss is {float(value)} at step {k + 1} of "
                            f"epoch {epoch} (learning rate {rate}: a smaller one may help)"
                        )
                    params = opt.step(params, g, donate=True)
                    steps += 1
                    losses.append(float(value))
                    if bar is not None and (k % 50 == 0 or k == len(batches) - 1):
                        bar.set_postfix(loss=f"{np.mean(losses[-500:]):.3f}")
                        bar.update(k + 1 - bar.n)
                if bar is not None:
                    bar.close()
                    bar = None
                if not all(on.finite(a) for layer in params for a in layer):
                    raise TrainingDiverged(
                        f"training diverged: a parameter is not finite after epoch {epoch} "
                        f"(learning rate {rate}: a smaller one may help)"
                    )
                # All three measured before any is recorded: an interrupt leaves whole epochs.
                measured = (accuracy(params, x, y), accuracy(params, test_x, test_y))
                history.train_loss.append(float(np.mean(losses)))
                history.train_accuracy.append(measured[0])
                history.test_accuracy.append(measured[1])
                if on_epoch is not None:
                    on_epoch(epoch, history)
    except KeyboardInterrupt:
        raise TrainingInterrupted(on.network(params), history, epoch, steps) from None
    finally:
        if bar is not None:
            bar.close()
        if blocks is not None:
            blocks.release()
    return on.network(params), history


def _summed_loss(net: BVar[Network], x: Array, y: Int[np.ndarray, " batch"]) -> BVar[float]:
    """The sum of the rows' losses (`loss` is their mean): what `typedprop.distributed` adds
    up over the row blocks, so that the result does not depend on how the rows are split."""
    rows: int = x.shape[0]
    return loss(net, x, y) * rows


class _RowBlocks:
    """The training part on a Dask cluster, in row blocks, and the gradient of a batch of its
    rows computed there (`typedprop.distributed`)."""

    def __init__(self, client: "Client", x: Array, y: Int[np.ndarray, " batch"]) -> None:
        from . import distributed

        # Dask's functions are mostly untyped: through Any, as mypy --strict asks.
        da: Any = importlib.import_module("dask.array")
        self.client: Any = client
        cluster: Any = client
        self.backprop_on_cluster = distributed.backprop
        self.rows = len(y)
        # One block per worker thread: each thread differentiates one block a step, where it
        # lies. A cluster with no workers yet gets one block, which waits for a worker.
        threads = max(1, sum(cluster.nthreads().values()))
        size = -(-self.rows // threads)
        starts = range(0, self.rows, size)
        # Sent once, straight to the workers (`scatter`): steps name the blocks and never send
        # them again. (`da.from_array(x).persist()` would send the data inside the task graph,
        # through the scheduler, which warns about graphs above 10 MB: all of MNIST is 376 MB.)
        self.held: list[Any] = cluster.scatter([x[i : i + size] for i in starts])
        self.held += cluster.scatter([y[i : i + size] for i in starts])
        half = len(self.held) // 2
        self.x: Any = da.concatenate(
            [
                da.from_delayed(f, shape=x[i : i + size].shape, dtype=x.dtype)
                for f, i in zip(self.held[:half], starts, strict=True)
            ]
        )
        self.y: Any = da.concatenate(
            [
                da.from_delayed(f, shape=y[i : i + size].shape, dtype=y.dtype)
                for f, i in zip(self.held[half:], starts, strict=True)
            ]
        )

    def backprop(self, params: Network, rows: Int[np.ndarray, " batch"]) -> tuple[float, Network]:
        """The mean loss over `rows` of the training part, and its gradient."""
        if len(rows) == self.rows:
            # The whole part: the blocks as they lie, and one record of the loss per worker,
            # replayed at every step (the blocks' shapes never change).
            x, y, traced = self.x, self.y, True
        else:
            # The batch's rows, gathered on the workers, in order: each block of the batch comes
            # from one block of the data. Their sizes change from step to step, and a record
            # is made per shape, so the loss is not recorded.
            picks = np.sort(rows)
            x, y, traced = self.x[picks], self.y[picks], False
        with _ctrl_c_after():
            return self.backprop_on_cluster(
                _summed_loss, params, x, y, client=self.client, traced=traced, mean=True
            )

    def release(self) -> None:
        """Free the blocks on the workers (the client may train again, or do other work)."""
        self.client.cancel(self.held)


class _Library:
    """Where `train` computes: numpy (`xp` None), or another array library and device, with the
    copies to it and back."""

    # The module of each backend's arrays, and what to install for it.
    MODULES: Final = {"torch": "torch", "jax": "jax.numpy", "cupy": "cupy"}

    def __init__(self, backend: str, device: str | None) -> None:
        self.xp: Any = None
        self.device = device
        if backend == "numpy":
            if device not in (None, "cpu"):
                raise ValueError(f"device {device!r} needs a backend other than numpy")
            return
        if backend not in self.MODULES:
            raise ValueError(f"backend must be numpy, torch, jax or cupy, got {backend!r}")
        try:
            module = importlib.import_module(self.MODULES[backend])
        except ImportError:
            raise ValueError(
                f"backend {backend!r} needs {backend} installed: pip install 'typedprop[backends]'"
            ) from None
        self.xp = array_api_compat.array_namespace(module.asarray(0.0))
        # float64, as on numpy; JAX has it only in its 64-bit mode.
        self.float_dtype = self.xp.float64
        if backend == "jax" and not importlib.import_module("jax").config.jax_enable_x64:
            self.float_dtype = self.xp.float32
        if device is not None:
            try:
                self.xp.asarray(0.0, device=device)
            except Exception as e:  # each library has its own error for a device it lacks
                raise ValueError(f"{backend} has no device {device!r} here ({e})") from None

    def _kwargs(self) -> dict[str, Any]:
        return {} if self.device is None else {"device": self.device}

    def floats(self, a: Any) -> Any:
        if self.xp is None:
            return a
        return self.xp.asarray(a, dtype=self.float_dtype, **self._kwargs())

    def labels(self, a: Any) -> Any:
        if self.xp is None:
            return a
        return self.xp.asarray(np.asarray(a, dtype=np.int64), **self._kwargs())

    def finite(self, a: Any) -> bool:
        xp = self.xp if self.xp is not None else np
        return bool(xp.all(xp.isfinite(a)))

    def network(self, params: Any) -> Network:
        """The parameters as a numpy `Network` of float64 arrays."""
        if self.xp is None:
            trained: Network = params
            return trained
        return Network._make(
            Layer._make(np.asarray(_host(a), dtype=np.float64) for a in layer) for layer in params
        )


def _host(a: Any) -> Any:
    """An array of another library as a numpy array (a copy on the host)."""
    if hasattr(a, "detach"):  # PyTorch
        return a.detach().cpu().numpy()
    if hasattr(a, "get"):  # CuPy
        return a.get()
    return np.asarray(a)


def _progress(total: int, description: str, enabled: bool) -> Any:
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # the examples extra is not installed: no bar
        return None
    return tqdm(total=total, desc=description, leave=False, mininterval=0.5)


_PARTS = [(name, part) for name in Network._fields for part in Layer._fields]
_KEYS = [f"{name}.{part}" for name, part in _PARTS]


def npz_path(path: str | os.PathLike[str]) -> Path:
    """The file `save_network(net, path)` writes: `path`, with `.npz` added unless it ends so
    (numpy's rule for `savez`).

    !!! example
        ```python
        >>> from typedprop import mnist
        >>> str(mnist.npz_path("runs/x2")), str(mnist.npz_path("net.npz"))
        ('runs/x2.npz', 'net.npz')
        ```
    """
    name = os.fspath(path)
    return Path(name if name.endswith(".npz") else name + ".npz")


def save_network(net: Network, path: str | os.PathLike[str]) -> Path:
    """Save `net` as a typedprop checkpoint (`typedprop.save`: an npz file of one array per
    parameter, `params.hidden1.w` and so on, no pickles, written whole or not at all) to
    `npz_path(path)`, which it returns: like numpy's `savez`, it adds `.npz` to a name without
    it. Raises `OSError` where the file cannot be written (the folder must exist).

    !!! example
        ```python
        >>> import tempfile, pathlib
        >>> import typedprop as tp
        >>> from typedprop import mnist
        >>> net = mnist.init_network((64, 30, 20, 10))
        >>> path = mnist.save_network(net, pathlib.Path(tempfile.mkdtemp()) / "net")
        >>> path.name, mnist.load_network(path).output.w.shape
        ('net.npz', (10, 20))
        >>> tp.load(path, like=net).hidden2.b.shape  # a checkpoint like any other
        (20,)
        ```
    """
    target = npz_path(path)
    save_checkpoint(target, net)
    return target


def _write_whole(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write `path` through a temporary file beside it, renamed over `path` once complete."""
    temporary = _temporary_beside(path)
    try:
        with open(temporary, "xb") as f:  # made with the umask's permissions, as open makes them
            write(f)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _temporary_beside(path: Path) -> Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")


def load_network(path: str | os.PathLike[str]) -> Network:
    """A network saved by `save_network` (or by `typedprop.save`, or an npz file of arrays
    named `hidden1.w`, ..., `output.b`, as this program wrote before checkpoints), its sizes
    read from the file. Raises `OSError` for a file that cannot be read, and `ValueError`,
    naming the file, for one that is not a saved network: not an `.npz` file, damaged, a
    parameter missing or not an array of real numbers (pickled objects are never loaded), or
    layers whose shapes do not fit together. Shapes and types are checked from the arrays'
    headers, before any data is read.

    !!! example
        ```python
        >>> import tempfile, pathlib
        >>> import numpy as np
        >>> from typedprop import mnist
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "other.npz"
        >>> np.savez(path, w=np.zeros(3))
        >>> try:
        ...     mnist.load_network(path)
        ... except ValueError as e:
        ...     print(str(e).split(": ", 1)[1][:49])
        not a saved network: missing hidden1.w, hidden1.b
        ```
    """
    path = Path(path)
    if path.exists() and not (path.is_file() or path.is_dir()):  # a FIFO would block
        raise _not_a_network(path, "not a regular file")
    with open(path, "rb") as f:  # OSError: missing, a folder, unreadable
        magic = f.read(4)
    if magic not in (b"PK\x03\x04", b"PK\x05\x06"):
        raise _not_a_network(path, "not an .npz file")
    specs = _stored_specs(path)
    # A checkpoint names each parameter by its path from `params` (typedprop.save's names).
    checkpoint = any(name.startswith(_CHECKPOINT_ROOT) for name in specs)
    stored = {key: _CHECKPOINT_ROOT * checkpoint + key for key in _KEYS}
    missing = [key for key in _KEYS if stored[key] not in specs]
    if missing:
        raise _not_a_network(path, f"missing {', '.join(missing)}")
    for key in _KEYS:
        dtype = specs[stored[key]][1]
        if dtype.hasobject:  # numpy would need pickles: never loaded, never advised
            raise _not_a_network(path, f"{key} holds Python objects, which are never loaded")
        if not np.issubdtype(dtype, np.floating):
            raise _not_a_network(path, f"{key} holds {dtype.name}, not floats")
    shapes = {key: specs[stored[key]][0] for key in _KEYS}
    _check_layer_shapes(path, shapes)
    if checkpoint:
        # The template: the file's own shapes and dtypes (views of one zero, nothing allocated);
        # typedprop.load checks the rest of the file (its header, version, other entries).
        template = Network._make(
            Layer._make(
                np.broadcast_to(np.zeros((), specs[stored[f"{n}.{p}"]][1]), shapes[f"{n}.{p}"])
                for p in Layer._fields
            )
            for n in Network._fields
        )
        loaded = load_checkpoint(path, like=template)
        arrays = {f"{n}.{p}": getattr(getattr(loaded, n), p) for n, p in _PARTS}
    else:
        arrays = _read_arrays(path)
    for key, a in arrays.items():
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{path}: {key} holds values that are not finite (nan or inf)")
    # `_make`: the shapes are checked above, with or without runtime checks.
    return Network._make(
        Layer._make(np.array(arrays[f"{n}.{p}"], dtype=np.float64) for p in Layer._fields)
        for n in Network._fields
    )


_CHECKPOINT_ROOT = "params."


def _stored_specs(path: Path) -> dict[str, tuple[tuple[int, ...], np.dtype[Any]]]:
    """The shape and dtype of every array in the npz file at `path`, by name, from the arrays'
    headers alone (no data read, nothing unpickled)."""
    specs: dict[str, tuple[tuple[int, ...], np.dtype[Any]]] = {}
    name = ""
    try:
        with zipfile.ZipFile(path) as npz:
            for info in npz.infolist():
                if not info.filename.endswith(".npy"):
                    continue
                name = info.filename.removesuffix(".npy")
                with npz.open(info) as member:
                    version = numpy.lib.format.read_magic(member)
                    if version == (1, 0):
                        shape, _, dtype = numpy.lib.format.read_array_header_1_0(member)
                    elif version == (2, 0):
                        shape, _, dtype = numpy.lib.format.read_array_header_2_0(member)
                    else:
                        raise ValueError(f"an array format {version} this program does not read")
                specs[name] = (tuple(int(d) for d in shape), np.dtype(dtype))
    except zipfile.BadZipFile as e:
        raise _not_a_network(path, f"a damaged zip file ({e})") from None
    except Exception as e:  # a damaged array header: whatever zipfile, zlib and numpy raise
        where = f"{name}: " if name else ""
        raise _not_a_network(path, f"{where}{type(e).__name__}: {e}") from None
    return specs


def _check_layer_shapes(path: Path, shapes: dict[str, tuple[int, ...]]) -> None:
    for i, n in enumerate(Network._fields):
        w, b = shapes[f"{n}.w"], shapes[f"{n}.b"]
        if len(w) != 2 or b != w[:1] or 0 in w:
            raise ValueError(f"{path}: layer {n} has w of shape {w} and b of shape {b}")
        before = shapes[f"{Network._fields[i - 1]}.w"] if i else None
        if before is not None and w[1] != before[0]:
            raise ValueError(
                f"{path}: layer {n} takes {w[1]} inputs, but the layer before has "
                f"{before[0]} outputs"
            )


def _read_arrays(path: Path) -> dict[str, Any]:
    """The parameters of a network in the format before checkpoints (its headers checked)."""
    key = ""
    arrays: dict[str, Any] = {}
    try:
        # Opened here, not by np.load, which leaves its file open when the zip is damaged.
        with open(path, "rb") as f, np.load(f, allow_pickle=False) as saved:
            for key in _KEYS:
                arrays[key] = saved[key]
    except Exception as e:  # damaged data: whatever zipfile, zlib and numpy raise
        raise _not_a_network(path, f"{key}: {type(e).__name__}: {e}") from None
    return arrays


def _not_a_network(path: Path, reason: str) -> ValueError:
    return ValueError(f"{path}: not a saved network: {reason}")


def sizes(net: Network) -> tuple[int, int, int, int]:
    """The layer sizes `(inputs, hidden1, hidden2, outputs)` of `net`, as `init_network` takes
    them.

    !!! example
        ```python
        >>> from typedprop import mnist
        >>> mnist.sizes(mnist.init_network((64, 30, 20, 10)))
        (64, 30, 20, 10)
        ```
    """
    n_in, h1 = net.hidden1.w.shape[1], net.hidden1.w.shape[0]
    return (int(n_in), int(h1), int(net.hidden2.w.shape[0]), int(net.output.w.shape[0]))


# The formats the training curves can be written in (matplotlib's, less those that need more
# than matplotlib and Pillow, such as LaTeX for .pgf).
_PLOT_FORMATS = ("png", "pdf", "svg", "jpg", "jpeg")


def _plot(history: History, path: Path) -> None:
    # The object-oriented API: no pyplot, so no global backend to choose or figure to close.
    from matplotlib.figure import Figure

    epochs = range(1, len(history.train_loss) + 1)
    fig = Figure(figsize=(9, 3.5))
    left, right = fig.subplots(1, 2)
    left.plot(epochs, history.train_loss, marker="o")
    left.set(xlabel="epoch", ylabel="mean training loss", title="loss")
    right.plot(epochs, history.train_accuracy, marker="o", label="training")
    right.plot(epochs, history.test_accuracy, marker="o", label="held out")
    right.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    right.legend()
    fig.tight_layout()
    _write_whole(path, lambda f: fig.savefig(f, format=path.suffix[1:].lower()))


def _positive_int(text: str) -> int:
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def _learning_rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


def _path(text: str) -> Path:
    if not text:
        raise argparse.ArgumentTypeError("an empty path")
    if "\0" in text:
        raise argparse.ArgumentTypeError(f"a path with a NUL character: {text!r}")
    return Path(text)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="typedprop-mnist",
        description="Train the seed's MNIST network (two logistic hidden layers of 300 and 100 "
        "units, softmax output) with typedprop; print the held-out accuracy after each epoch, "
        "then save the network and plot the training curves.",
        epilog="Bad input gets one line naming the option or file, and exit status 2; Ctrl-C "
        "stops training, saves the network trained so far to --save, and exits with 130.",
    )
    p.add_argument(
        "--data",
        type=_path,
        metavar="DIR",
        help="a folder of MNIST's IDX files: t10k-* alone (its first --train-size images "
        "train, the rest are held out), or with train-* (MNIST's 60,000/10,000 split) "
        "(default: the built-in 8x8 digits, 1,438 training and 359 held out)",
    )
    p.add_argument(
        "--optimizer",
        choices=["sgd", "adam"],
        help="per-sample SGD (the seed's) or Adam on mini-batches (default: sgd; adam with "
        "--workers or --scheduler)",
    )
    p.add_argument(
        "--epochs",
        type=_positive_int,
        metavar="N",
        help="passes over the training data (default: 30 for sgd, 15 for adam; 100 with "
        "--workers or --scheduler, where a pass is one step on the whole training part)",
    )
    p.add_argument(
        "--batch-size",
        type=_positive_int,
        metavar="N",
        help="samples per step (default: 1 for sgd, 32 for adam; the whole training part "
        "with --workers or --scheduler)",
    )
    p.add_argument(
        "--lr",
        type=_learning_rate,
        metavar="R",
        help="learning rate, a positive number (default: 0.02 for sgd, 0.001 for adam, 0.01 "
        "for adam with --workers or --scheduler)",
    )
    p.add_argument(
        "--seed",
        type=_non_negative_int,
        default=0,
        metavar="N",
        help="seed for the weights, the built-in digits' split and the order (default: 0)",
    )
    p.add_argument(
        "--hidden",
        type=_positive_int,
        nargs=2,
        metavar=("H1", "H2"),
        help=f"hidden layer sizes (default: {HIDDEN1} {HIDDEN2}, or those of the --load file)",
    )
    p.add_argument(
        "--train-size",
        type=_positive_int,
        metavar="N",
        help="images to train on (default: all 60,000 with MNIST's train-* files; else the "
        "first 8,000 of t10k-*, or 1,438 of the built-in digits, the rest held out)",
    )
    p.add_argument(
        "--backend",
        choices=["numpy", "torch", "jax", "cupy"],
        default="numpy",
        help="the array library to train with; the network and data are copied to it once, "
        "trained in float64 (JAX's 64-bit mode is switched on), and saved as numpy arrays "
        "(default: numpy)",
    )
    p.add_argument(
        "--device",
        metavar="DEVICE",
        help="the backend's device, such as cuda or cuda:1 for PyTorch (default: the "
        "library's default device)",
    )
    # Data-parallel training on Dask (typedprop.distributed): the workers compute each step's
    # gradient on their row blocks of the training part, and this process takes the step.
    dask = p.add_mutually_exclusive_group()
    dask.add_argument(
        "--workers",
        type=_positive_int,
        metavar="N",
        help="compute each step's gradient on a local Dask cluster of N worker processes, one "
        "thread each, that hold the training part in N row blocks; the optimizer's step runs "
        "in this process; needs Dask (pip install 'typedprop[distributed]') and the numpy "
        "backend (default: off, all in this process)",
    )
    dask.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="as --workers, on a running Dask cluster whose scheduler is at ADDRESS, such as "
        "tcp://host:8786, in one row block per worker thread; its workers need typedprop "
        f"installed (default: off; an address that does not answer in {_CONNECT_TIMEOUT} is "
        "refused)",
    )
    p.add_argument(
        "--no-checks",
        action="store_true",
        help="switch off the runtime shape checks (default: the checks are on)",
    )
    p.add_argument(
        "--plot",
        type=_path,
        default=Path("mnist-training.png"),
        metavar="PNG",
        help="where to write the training curves: .png, or .pdf, .svg, .jpg; .png is added to "
        "a name without a suffix; a missing folder is made (default: mnist-training.png, in "
        "the current folder)",
    )
    p.add_argument(
        "--no-plot",
        action="store_true",
        help="do not write the training curves (default: off, the curves are written)",
    )
    p.add_argument(
        "--save",
        type=_path,
        default=Path("mnist-network.npz"),
        metavar="NPZ",
        help="where to save the trained network (numpy's npz, no pickle); .npz is added to a "
        "name that does not end so; a missing folder is made (default: mnist-network.npz, in "
        "the current folder)",
    )
    p.add_argument(
        "--load",
        type=_path,
        metavar="NPZ",
        help="start from a network saved by an earlier run (default: none, new random weights)",
    )
    p.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bar; the other lines are still printed (default: off)",
    )
    return p


class _Failed(Exception):
    """Bad input or a failure, said in one line; `main` prints it and exits with status 2."""


def _failed(flag: str, error: BaseException | str) -> _Failed:
    return _Failed(f"{flag}: {_reason(error)}")


def _reason(error: BaseException | str) -> str:
    """An error in words: an OSError as `file: what went wrong`, without `[Errno n]`."""
    if isinstance(error, OSError) and error.strerror:
        where = error.filename if error.filename is not None else ""
        return f"{where}: {error.strerror}" if where else error.strerror
    return str(error)


def _say(text: str) -> None:
    """Print a line of the report. A closed stdout (piped into `head`) does not stop training:
    the rest of the report goes nowhere. A path that stdout's encoding cannot show (bytes that
    are not UTF-8 in a file name) is shown with backslash escapes, as stderr shows it."""
    try:
        try:
            print(text, flush=True)
        except UnicodeEncodeError:
            encoding = sys.stdout.encoding or "utf-8"
            print(text.encode(encoding, "backslashreplace").decode(encoding), flush=True)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def main(argv: Sequence[str] | None = None) -> float:
    """The `typedprop-mnist` command: train, report, save and plot. Returns the final held-out
    accuracy.

    Bad input (an option's value, a missing or damaged file, a place that cannot be written)
    is refused with one line naming the option or file, and `SystemExit(2)`, before training
    wherever it can be known then. After training the network is saved first, so a failure
    to plot does not lose it. Ctrl-C during training saves the network trained so far (when a
    step was taken) and exits with 130.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except _Failed as e:
        print(f"{parser.prog}: error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        raise SystemExit(130) from None


def _run(args: argparse.Namespace) -> float:
    # Everything that can be known before training is checked first, cheapest first.
    save = npz_path(args.save)
    plot = None if args.no_plot else _plot_path(args.plot)
    if plot is not None and _same_file(plot, save):
        raise _Failed(f"--plot and --save name the same file, {save}")
    if args.load is not None and plot is not None and _same_file(plot, args.load):
        raise _Failed(f"--plot {plot} would overwrite the --load file")
    if plot is not None:
        try:
            import matplotlib.figure  # noqa: F401  # what _plot uses, found before training
        except ImportError:
            raise _Failed(
                "--plot: the training curves need matplotlib: pip install 'typedprop[examples]' "
                "(or pass --no-plot)"
            ) from None
    dask: str | None = None  # the flag that trains on a Dask cluster, if one does
    if args.workers is not None or args.scheduler is not None:
        dask = "--workers" if args.workers is not None else "--scheduler"
        if args.backend != "numpy":
            raise _Failed(
                f"--backend {args.backend}: {dask} computes with numpy on the Dask workers; "
                f"leave out --backend or {dask}"
            )
        try:
            importlib.import_module("typedprop.distributed")
        except ImportError:
            raise _Failed(f"{dask} needs Dask: pip install 'typedprop[distributed]'") from None
    # On a cluster, one step of Adam on the whole training part is an epoch: the workers share
    # out a large batch, and per-sample steps would be all messages and no arithmetic.
    optimizer = args.optimizer or ("adam" if dask else "sgd")
    sgd = optimizer == "sgd"
    epochs = args.epochs if args.epochs is not None else (100 if dask else 30 if sgd else 15)
    batch = args.batch_size if args.batch_size is not None else (1 if sgd else 32)
    if dask is not None and args.batch_size is None:
        batch = sys.maxsize  # the whole training part, whatever its size
    rate = args.lr if args.lr is not None else (0.02 if sgd else 0.01 if dask else 1e-3)
    if args.backend == "jax":
        # Before JAX makes any array: float64, as on the other libraries (a setting of the
        # whole process, which this program owns).
        with contextlib.suppress(ImportError):
            importlib.import_module("jax").config.update("jax_enable_x64", True)
    try:
        _Library(args.backend, args.device)
    except ValueError as e:
        raise _failed("--backend" if args.device is None else "--backend, --device", e) from None
    split, source = _data(args)
    # On a cluster, this process never holds a batch's activations: the workers do.
    net = _network(args, split, 1 if dask else min(batch, len(split.train_y)))
    for flag, path in (("--save", save), ("--plot", plot)):
        if path is not None:
            _writable(flag, path)

    shape = "-".join(map(str, sizes(net)))
    origin = f" (from {args.load})" if args.load is not None else ""

    def report(epoch: int, history: History) -> None:
        _say(f"epoch {epoch}/{epochs}: held-out accuracy {history.test_accuracy[-1]:.4f}")

    # The cluster (and the client) is closed when training ends, however it ends.
    with _dask_client(args) as (client, cluster):
        _say(
            f"data: {source}: {len(split.train_y)} training, {len(split.test_y)} held out; "
            f"network {shape}{origin}; {optimizer}, {_plural(epochs, 'epoch')}, batch "
            f"{min(batch, len(split.train_y))}, learning rate {rate}; runtime checks "
            f"{'off' if args.no_checks else 'on'}"
            + ("" if args.backend == "numpy" else f"; on {args.backend}")
            + ("" if args.device is None else f" ({args.device})")
            + cluster
        )
        start = time.perf_counter()
        try:
            with checks(not args.no_checks):
                net, history = train(
                    net,
                    split,
                    optimizer=optimizer,
                    epochs=epochs,
                    lr=rate,
                    batch_size=batch,
                    seed=args.seed,
                    progress=not args.quiet,
                    on_epoch=report,
                    backend=args.backend,
                    device=args.device,
                    client=client,
                )
        except TrainingInterrupted as stop:
            if stop.steps == 0:
                raise KeyboardInterrupt from None
            written = _save(stop.network, save)
            done = len(stop.history.test_accuracy)
            print(
                f"typedprop-mnist: interrupted after {stop.steps} steps ({done} of "
                f"{_plural(epochs, 'epoch')} done); the network trained so far is saved to "
                f"{written}",
                file=sys.stderr,
            )
            raise SystemExit(130) from None
        except MemoryError:
            raise _Failed(
                f"--hidden, --batch-size: out of memory training a {shape} network in batches "
                f"of {min(batch, len(split.train_y))}"
            ) from None
        except TrainingDiverged as e:
            raise _failed("--lr", e) from None
        except Exception as e:
            if dask is None or not _lost_cluster(e):
                raise
            given = f"{dask} {args.workers if args.workers is not None else args.scheduler}"
            raise _Failed(f"{given}: the Dask cluster failed in training: {_reason(e)}") from None
        seconds = time.perf_counter() - start
    final = history.test_accuracy[-1]
    _say(f"held-out accuracy {final:.4f} after {_plural(epochs, 'epoch')} in {seconds:.1f} s")
    written = _save(net, save)
    _say(f"saved the network to {written}")
    if plot is not None:
        try:
            _plot(history, plot)
        except Exception as e:  # the network is safe; say what went wrong, in one line
            raise _Failed(
                f"--plot: cannot write {plot}: {_reason(e)} (the network is saved to {written})"
            ) from None
        _say(f"wrote the training curves to {plot}")
    return final


_CONNECT_TIMEOUT: Final = "10s"
"""How long `--scheduler` waits for the scheduler to answer, and then for a worker."""


@contextlib.contextmanager
def _dask_client(args: argparse.Namespace) -> Iterator[tuple["Client | None", str]]:
    """The Dask client of `--workers` or `--scheduler` and the data line's words for its
    cluster; `(None, "")` without them. The client, and the local cluster of `--workers`,
    are closed on the way out, whatever the way."""
    if args.workers is None and args.scheduler is None:
        yield None, ""
        return
    # Dask's functions are mostly untyped: through Any, as mypy --strict asks.
    distributed: Any = importlib.import_module("distributed")
    with contextlib.ExitStack() as stack:
        if args.workers is not None:
            try:
                with _ctrl_c_ignored():  # by the worker processes started here
                    local = distributed.LocalCluster(
                        n_workers=args.workers,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                        # The scheduler serves HTTP (health checks) even without a dashboard,
                        # on port 8787 by default: another cluster here would have it.
                        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                        # Dask's warnings about its own work (a worker slow to stop when the
                        # cluster closes) are not the report's; its errors still show.
                        silence_logs=logging.ERROR,
                    )
            except Exception as e:  # whatever starting processes and sockets raises
                raise _Failed(
                    f"--workers {args.workers}: cannot start a local Dask cluster: {_reason(e)}"
                ) from None
            stack.callback(local.close)
            client = distributed.Client(local)
            stack.callback(client.close)
            yield client, f"; gradients on {_plural(args.workers, 'local Dask worker')}"
            return
        address = args.scheduler
        try:
            # A malformed address or an unknown host is refused at once, not after a timeout
            # (and without the warnings of a client that never started).
            distributed.comm.resolve_address(address)
            client = distributed.Client(address, timeout=_CONNECT_TIMEOUT)
        except (OSError, ValueError) as e:  # a timeout is an OSError
            raise _Failed(
                f"--scheduler {address}: cannot connect to a Dask scheduler: {_reason(e)}"
            ) from None
        stack.callback(client.close)
        try:
            client.wait_for_workers(1, timeout=_CONNECT_TIMEOUT)
        except TimeoutError:
            raise _Failed(
                f"--scheduler {address}: the cluster has no workers (none came in "
                f"{_CONNECT_TIMEOUT})"
            ) from None
        workers = _plural(len(client.nthreads()), "Dask worker")
        yield client, f"; gradients on {workers} at {address}"


@contextlib.contextmanager
def _ctrl_c_after() -> Iterator[None]:
    """Ctrl-C during the block raises KeyboardInterrupt when the block ends, not inside it; a
    second Ctrl-C raises at once. For Dask's calls: interrupted halfway, they leave work
    half done on the cluster, and Dask logs errors about it (a traceback, lost keys). Nothing
    changes off the main thread, where no signal handler can be set."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pressed = False

    def later(signum: int, frame: object) -> None:
        nonlocal pressed
        pressed = True
        signal.signal(signal.SIGINT, before)  # the next Ctrl-C is not put off

    before = signal.signal(signal.SIGINT, later)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)
    if pressed:
        raise KeyboardInterrupt


@contextlib.contextmanager
def _ctrl_c_ignored() -> Iterator[None]:
    """Ctrl-C ignored while the block starts processes, which keep ignoring it (a process
    inherits an ignored SIGINT, and Python leaves it so): a terminal's Ctrl-C reaches every
    process of the group, and it is this one's to handle (save the network, close the
    cluster), not a KeyboardInterrupt and a traceback in each worker. Nothing changes off the
    main thread, where no signal handler can be set."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


def _lost_cluster(error: BaseException) -> bool:
    """Whether `error` says the Dask cluster failed (a worker or the scheduler lost), not
    the program: Dask's own error, or typedprop.distributed's RuntimeError made from one (a
    call that Dask cancelled when the workers holding its parameters left)."""
    from concurrent.futures import CancelledError

    from distributed import KilledWorker

    lost = OSError | CancelledError | KilledWorker
    return isinstance(error, lost) or (
        isinstance(error, RuntimeError) and isinstance(error.__cause__, lost)
    )


def _plot_path(path: Path) -> Path:
    """Where the curves go: `path`, with `.png` added to a name without a suffix."""
    if not path.suffix:
        return path.with_name(path.name + ".png")
    if path.suffix[1:].lower() not in _PLOT_FORMATS:
        known = ", ".join(f".{f}" for f in _PLOT_FORMATS)
        raise _Failed(f"--plot {path}: cannot write {path.suffix} files (only {known})")
    return path


def _same_file(a: Path, b: Path) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)  # never raises, even on a symlink loop


def _writable(flag: str, path: Path) -> None:
    """Refuse, before training, a place `path` cannot be written: a folder, a file where a
    folder should be, a folder not writable. A missing folder is made."""
    if path.is_dir():
        raise _Failed(f"{flag} {path}: is a folder")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise _Failed(f"{flag} {path}: {path.parent} is not a folder") from None
    except OSError as e:
        raise _Failed(f"{flag} {path}: cannot make the folder: {_reason(e)}") from None
    probe = _temporary_beside(path)
    try:  # the one sure test of writing here: write
        probe.open("xb").close()
        probe.unlink()
    except OSError as e:
        why = e.strerror or str(e)
        raise _Failed(f"{flag} {path}: cannot write in {path.parent}: {why}") from None


def _save(net: Network, path: Path) -> Path:
    """Save the network; where `path` cannot be written, save it in a new temporary folder
    instead and say so, so a trained network is never lost."""
    try:
        return save_network(net, path)
    except OSError as e:
        reason = _reason(e)
    try:
        elsewhere = save_network(net, Path(tempfile.mkdtemp(prefix="typedprop-mnist-")) / path.name)
    except OSError:
        raise _Failed(f"--save: cannot write {path}: {reason}") from None
    raise _Failed(f"--save: cannot write {path}: {reason}; the network is saved to {elsewhere}")


def _data(args: argparse.Namespace) -> tuple[Split, str]:
    """The split and a description of where it came from, or one line saying what is wrong."""
    default = " (the default)" if args.train_size is None else ""
    try:
        if args.data is None:
            try:
                split = load_digits(args.seed, n_train=args.train_size)
            except ImportError as e:
                raise _Failed(f"{e} (or pass --data DIR)") from None
            return split, "the built-in 8x8 digits (scikit-learn)"
        split = load_mnist(args.data, args.train_size)
        if any((args.data / f"train-images-idx3-ubyte{gz}").exists() for gz in ("", ".gz")):
            return split, f"{args.data} (train-* trains, t10k-* is held out)"
    except SplitSizeError as e:
        raise _Failed(
            f"--train-size: must be between 1 and {e.largest} ({e.detail}), got "
            f"{e.n_train}{default}"
        ) from None
    except (OSError, ValueError) as e:  # IDXError is a ValueError
        raise _failed("--data", e) from None
    except MemoryError:
        raise _Failed(f"--data {args.data}: too large to load") from None
    return split, str(args.data)


def _network(args: argparse.Namespace, split: Split, batch: int) -> Network:
    """The network to train: loaded and checked against the data and `--hidden`, or new."""
    pixels = split.train_x.shape[1]
    if args.load is None:
        h1, h2 = args.hidden if args.hidden is not None else (HIDDEN1, HIDDEN2)
        shape = (pixels, h1, h2, DIGITS)
        _check_memory(shape, batch)
        try:
            return init_network(shape, args.seed)
        except MemoryError:
            raise _Failed(f"--hidden {h1} {h2}: out of memory") from None
    try:
        net = load_network(args.load)
    except FileNotFoundError as e:
        hint = npz_path(args.load)
        maybe = f" (did you mean {hint}?)" if hint.is_file() and hint != args.load else ""
        raise _Failed(f"--load: {_reason(e)}{maybe}") from None
    except (OSError, ValueError) as e:
        raise _failed("--load", e) from None
    n_in, h1, h2, n_out = sizes(net)
    if args.hidden is not None and tuple(args.hidden) != (h1, h2):
        raise _Failed(
            f"--hidden {args.hidden[0]} {args.hidden[1]}: the network in {args.load} has hidden "
            f"layers of {h1} and {h2} (leave --hidden out to train it)"
        )
    if n_in != pixels:
        raise _Failed(
            f"--load: the network in {args.load} takes {n_in} inputs; the images have {pixels} "
            "pixels"
        )
    if n_out != DIGITS:
        raise _Failed(
            f"--load: the network in {args.load} has {n_out} outputs, not one per digit ({DIGITS})"
        )
    return net


def _check_memory(shape: tuple[int, int, int, int], batch: int) -> None:
    """Refuse a network that could not be trained in this machine's memory, before allocating
    it: numpy would fail, or the system would kill the program."""
    n_in, h1, h2, n_out = shape
    parameters = n_in * h1 + h1 + h1 * h2 + h2 + h2 * n_out + n_out
    rows = max(batch, _EVAL_ROWS)
    # The parameters, their gradient, a step's new parameters and Adam's two moments; the
    # activations and their gradients of a batch: a rough bound in float64.
    needed = 8 * (5 * parameters + 4 * rows * (n_in + h1 + h2 + n_out))
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows): MemoryError decides
        return
    if needed > memory:
        at_least = 8 * (5 * parameters + 4 * _EVAL_ROWS * (n_in + h1 + h2 + n_out))
        flag = "--hidden" if at_least > memory else "--batch-size"
        raise _Failed(
            f"{flag}: a {'-'.join(map(str, shape))} network trained in batches of {batch} needs "
            f"about {needed / 2**30:.3g} GiB, more than this machine's {memory / 2**30:.3g} GiB"
        )


def _cli() -> None:
    try:
        main(sys.argv[1:])
    except Exception as e:  # a bug, not bad input: still one line, not a traceback
        print(
            f"typedprop-mnist: error: unexpected {type(e).__name__}: {e} (a bug: please report "
            "it with the command line)",
            file=sys.stderr,
        )
        raise SystemExit(1) from None


if __name__ == "__main__":
    _cli()
