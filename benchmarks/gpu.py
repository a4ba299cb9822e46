"""GPU: the MNIST network 784-300-100-10 in float32, typedprop on CuPy and on PyTorch CUDA against
the same forward and backward pass written by hand in each library, in one process.

One run computes the loss (softmax cross-entropy against integer labels, averaged over the
batch, logistic hidden layers) and the gradient of all six arrays, at batch 4,096 and 32,768.
Contenders, each timed with the device synchronised at the end of every run:

- hand-written numpy on the host (the reference for the speed-up column);
- hand-written CuPy, and typedprop on CuPy arrays (implicit `backprop`, and a traced graph);
- hand-written PyTorch (no autograd), and typedprop on torch tensors (implicit and traced);
- PyTorch's own autograd (`torch.autograd.grad`), for reference.

The hand-written pass is written once against the array API (`array_api_compat`), so every
library runs the same formulas. Issue target: typedprop within 1.3x of the hand-written pass on
the same library. Rounds interleave the contenders; the table shows medians.

    python benchmarks/gpu.py [--batches 4096,32768] [--rounds 20] [--device cuda]
    python benchmarks/gpu.py --device cpu --batches 256 --rounds 3   # a CPU run, torch only

A library that is not installed (or, for CuPy, has no GPU) is skipped with a line saying so.
"""

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

import typedprop as tp
from typedprop import BVar, ops

SIZES = (784, 300, 100, 10)
Run = Callable[[], Any]


class Layer(NamedTuple):
    w: Any
    b: Any


def problem(batch: int) -> tuple[tuple[Layer, Layer, Layer], np.ndarray, np.ndarray]:
    """float32 weights (normal over sqrt(fan-in)), pixels in [0, 1), labels 0-9; seed 0."""
    rng = np.random.default_rng(0)
    layers = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:], strict=True):
        w = rng.normal(0.0, 1.0 / np.sqrt(n_in), (n_out, n_in)).astype(np.float32)
        layers.append(Layer(w, rng.normal(0.0, 0.1, n_out).astype(np.float32)))
    x = rng.uniform(size=(batch, SIZES[0])).astype(np.float32)
    return (layers[0], layers[1], layers[2]), x, rng.integers(10, size=batch)


def hand_written(xp: Any, params: Any, x: Any, onehot: Any) -> Run:
    """The forward and backward pass by hand, in the array API namespace `xp`."""
    (w1, b1), (w2, b2), (w3, b3) = params
    batch = x.shape[0]

    def run() -> Any:
        h1 = 1.0 / (1.0 + xp.exp(-(x @ w1.T + b1)))
        h2 = 1.0 / (1.0 + xp.exp(-(h1 @ w2.T + b2)))
        z = h2 @ w3.T + b3
        m = xp.max(z, axis=1, keepdims=True)
        e = xp.exp(z - m)
        s = xp.sum(e, axis=1, keepdims=True)
        value = xp.mean(m[:, 0] + xp.log(s[:, 0]) - xp.sum(z * onehot, axis=1))
        g3 = (e / s - onehot) / batch
        g2 = (g3 @ w3) * h2 * (1.0 - h2)
        g1 = (g2 @ w2) * h1 * (1.0 - h1)
        return value, (
            (g1.T @ x, xp.sum(g1, axis=0)),
            (g2.T @ h1, xp.sum(g2, axis=0)),
            (g3.T @ h2, xp.sum(g3, axis=0)),
        )

    return run


def typedprop_loss(x: Any, y: Any) -> Callable[[BVar[Any]], BVar[Any]]:
    def loss(params: BVar[Any]) -> BVar[Any]:
        l1, l2, l3 = params.unpack()
        h = x
        for layer in (l1, l2):
            w, b = layer.unpack()
            h = ops.logistic(h @ w.T + b)
        w, b = l3.unpack()
        return ops.softmax_cross_entropy_with_integer_labels(h @ w.T + b, y)

    return loss


def typedprop_runs(params: Any, x: Any, y: Any) -> dict[str, Run]:
    loss = typedprop_loss(x, y)
    with tp.checks(False):
        graph = tp.trace(loss, params)

    def implicit() -> Any:
        with tp.checks(False):
            return tp.backprop(loss, params)

    def traced() -> Any:
        with tp.checks(False):
            return graph.backprop(params)

    return {"implicit": implicit, "traced": traced}


def synced(run: Run, sync: Callable[[], None]) -> Run:
    def timed() -> Any:
        out = run()
        sync()
        return out

    return timed


def contenders(batch: int, device: str, only: set[str]) -> dict[str, tuple[str, Run]]:
    """name -> (library, run)."""
    import array_api_compat

    (l1, l2, l3), x, y = problem(batch)
    out: dict[str, tuple[str, Run]] = {}
    onehot = np.eye(10, dtype=np.float32)[y]
    if "numpy" in only:
        out["hand-written numpy (host)"] = (
            "numpy",
            hand_written(np, ((l1.w, l1.b), (l2.w, l2.b), (l3.w, l3.b)), x, onehot),
        )
    if "cupy" in only:
        try:
            import cupy

            cupy.cuda.runtime.getDeviceCount()
        except Exception as e:  # not installed, or no GPU
            print(f"# CuPy skipped: {type(e).__name__}: {e}")
        else:
            cxp = array_api_compat.array_namespace(cupy.ones(1))
            cp = tuple(Layer(cupy.asarray(w), cupy.asarray(b)) for w, b in (l1, l2, l3))
            cx, cy, co = cupy.asarray(x), cupy.asarray(y), cupy.asarray(onehot)
            sync = cupy.cuda.get_current_stream().synchronize
            out["hand-written cupy"] = ("cupy", synced(hand_written(cxp, cp, cx, co), sync))
            for style, run in typedprop_runs(cp, cx, cy).items():
                out[f"typedprop on cupy, {style}"] = ("cupy", synced(run, sync))
    if "torch" in only:
        try:
            import torch
        except ImportError as e:
            print(f"# PyTorch skipped: {e}")
        else:
            if device.startswith("cuda") and not torch.cuda.is_available():
                print("# PyTorch CUDA skipped: no GPU")
            else:
                txp = array_api_compat.array_namespace(torch.ones(1))
                tparams = tuple(
                    Layer(torch.asarray(w, device=device), torch.asarray(b, device=device))
                    for w, b in (l1, l2, l3)
                )
                tx = torch.asarray(x, device=device)
                ty = torch.asarray(y, device=device)
                to = torch.asarray(onehot, device=device)

                def sync() -> None:
                    if device.startswith("cuda"):
                        torch.cuda.synchronize()

                out["hand-written torch"] = (
                    "torch",
                    synced(hand_written(txp, tparams, tx, to), sync),
                )
                for style, run in typedprop_runs(tparams, tx, ty).items():
                    out[f"typedprop on torch, {style}"] = ("torch", synced(run, sync))
                leaves = [a.clone().requires_grad_(True) for layer in tparams for a in layer]

                def autograd() -> Any:
                    w1, b1, w2, b2, w3, b3 = leaves
                    h = torch.sigmoid(tx @ w1.T + b1)
                    h = torch.sigmoid(h @ w2.T + b2)
                    loss = torch.nn.functional.cross_entropy(h @ w3.T + b3, ty)
                    return loss.detach(), torch.autograd.grad(loss, leaves)

                out["torch autograd (reference)"] = ("torch", synced(autograd, sync))
    return out


def host(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        return x.detach().cpu().numpy()
    if hasattr(x, "get"):
        return x.get()
    return np.asarray(x)


def flat(out: Any) -> list[np.ndarray]:
    if isinstance(out, tuple | list):
        return [a for v in out for a in flat(v)]
    return [host(out).astype(np.float64)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--batches", default="4096,32768")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--device", default="cuda", help="PyTorch's device (cuda, cuda:1, cpu)")
    parser.add_argument("--only", default="numpy,cupy,torch")
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    print(f"# typedprop {tp.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}")
    rows = []
    for batch in (int(b) for b in args.batches.split(",")):
        runs = contenders(batch, args.device, only)
        # Every contender agrees with its library's hand-written pass (float32: 1e-4).
        refs = {lib: run() for name, (lib, run) in runs.items() if name.startswith("hand-written")}
        for name, (lib, run) in runs.items():
            got, ref = flat(run()), flat(refs[lib])
            for a, b in zip(got, ref, strict=True):
                np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4, err_msg=name)
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.rounds):
            for name, (_, run) in runs.items():
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)
        medians = {name: statistics.median(ts) for name, ts in times.items()}
        numpy_time = medians.get("hand-written numpy (host)")
        for name, (lib, _) in runs.items():
            hand = medians[next(n for n, (lb, _) in runs.items() if lb == lib)]
            vs_numpy = f"{numpy_time / medians[name]:.1f}x" if numpy_time else "-"
            rows.append(
                f"| {batch:>6} | {name:<28} | {medians[name] * 1e3:9.2f} | "
                f"{medians[name] / hand:6.2f} | {vs_numpy:>8} |"
            )
    print("| batch  | contender                    |  ms/run   | / hand | vs numpy |")
    print("|--------|------------------------------|-----------|--------|----------|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
