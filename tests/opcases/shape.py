"""Cases for the shape family (`typedprop.ops._shape`).

autograd.numpy has all of these ops, but its gradients fail on some of numpy's arguments:
`concatenate` with `axis=None`, `broadcast_to` adding leading axes, `repeat` with a count per
element or of a scalar, `tile` with fewer reps than axes (it pairs them from the first axis),
`pad` without a positional mode. `AUTOGRAD` replaces them by references written in
autograd.numpy that reach the same result through arguments autograd handles.
"""

from typing import Any

import autograd.numpy as anp
import numpy as np

from opcases import SCALAR, OpCase

# Constants mixed with parameters are float16: it promotes to the parameters' dtype, so a
# float32 run stays float32 (a float64 constant would make the result float64, as in numpy).
ROW = np.array([[0.5, -1.25, 2.0]], dtype=np.float16)
COLUMN = np.array([[1.5], [-0.75]], dtype=np.float16)
VECTOR = np.array([0.25, -2.0, 1.0], dtype=np.float16)


def _pieces_all(m: Any, x: Any) -> Any:
    a, b, c = m.split(x, 3)
    return a * b + c


def _pieces_unequal(m: Any, x: Any) -> Any:
    a, b, c = m.split(x, [1, 3], axis=1)
    return m.concatenate([c, a * 2.0, b * b], axis=1)


def _pieces_stacked(m: Any, x: Any) -> Any:
    a, b = m.split(x, 2, axis=-1)
    return m.stack([a, b * a], axis=0)


def _pieces_some(m: Any, x: Any) -> Any:
    a, _, c = m.split(x, 3)
    return a * c


def _pieces_one(m: Any, x: Any) -> Any:
    return m.split(x, [1, 2], axis=-2)[1]


def _pieces_overlapping(m: Any, x: Any) -> Any:
    # Indices going down: numpy's pieces are x[0:3], x[3:1] (empty) and x[1:], which overlap.
    a, _, c = m.split(x, [3, 1])
    return m.concatenate([a, c * c])


CASES = [
    # reshape
    OpCase("reshape", "scalar", lambda m, x: m.reshape(x, (1, 1)), (SCALAR,)),
    OpCase("reshape", "0d", lambda m, x: m.reshape(x, (1,)), ((),)),
    OpCase("reshape", "vec", lambda m, x: m.reshape(x, (2, 3)), ((6,),)),
    OpCase("reshape", "vec-int", lambda m, x: m.reshape(x, 6), ((2, 3),)),
    OpCase("reshape", "mat-minus1", lambda m, x: m.reshape(x, (-1,)), ((2, 3),)),
    OpCase("reshape", "mat-3x-1", lambda m, x: m.reshape(x, (3, -1)), ((2, 3),)),
    OpCase("reshape", "stacked", lambda m, x: m.reshape(x, (4, 6)), ((4, 2, 3),)),
    # ravel
    OpCase("ravel", "scalar", lambda m, x: m.ravel(x), (SCALAR,)),
    OpCase("ravel", "0d", lambda m, x: m.ravel(x), ((),)),
    OpCase("ravel", "vec", lambda m, x: m.ravel(x), ((3,),)),
    OpCase("ravel", "mat", lambda m, x: m.ravel(x), ((2, 3),)),
    OpCase("ravel", "stacked", lambda m, x: m.ravel(x), ((4, 2, 3),)),
    # squeeze
    OpCase("squeeze", "scalar", lambda m, x: m.squeeze(x), (SCALAR,)),
    OpCase("squeeze", "0d", lambda m, x: m.squeeze(x), ((),)),
    OpCase("squeeze", "(1,1)", lambda m, x: m.squeeze(x), ((1, 1),)),
    OpCase("squeeze", "row", lambda m, x: m.squeeze(x), ((1, 3),)),
    OpCase("squeeze", "stacked-axis1", lambda m, x: m.squeeze(x, axis=1), ((2, 1, 3),)),
    OpCase("squeeze", "stacked-axis-2", lambda m, x: m.squeeze(x, axis=-2), ((2, 1, 3),)),
    OpCase("squeeze", "stacked-axis(0,2)", lambda m, x: m.squeeze(x, axis=(0, 2)), ((1, 2, 1),)),
    # expand_dims
    OpCase("expand_dims", "scalar", lambda m, x: m.expand_dims(x, 0), (SCALAR,)),
    OpCase("expand_dims", "0d", lambda m, x: m.expand_dims(x, -1), ((),)),
    OpCase("expand_dims", "vec-axis0", lambda m, x: m.expand_dims(x, 0), ((3,),)),
    OpCase("expand_dims", "vec-axis-1", lambda m, x: m.expand_dims(x, -1), ((3,),)),
    OpCase("expand_dims", "mat-axis1", lambda m, x: m.expand_dims(x, 1), ((2, 3),)),
    OpCase("expand_dims", "mat-axis(0,3)", lambda m, x: m.expand_dims(x, (0, 3)), ((2, 3),)),
    OpCase("expand_dims", "stacked-axis-2", lambda m, x: m.expand_dims(x, -2), ((4, 2, 3),)),
    # concatenate
    OpCase("concatenate", "vec+vec", lambda m, a, b: m.concatenate([a, b]), ((3,), (2,))),
    OpCase("concatenate", "mat-axis0", lambda m, a, b: m.concatenate([a, b]), ((2, 3), (1, 3))),
    OpCase(
        "concatenate",
        "mat-axis1",
        lambda m, a, b: m.concatenate([a, b], axis=1),
        ((2, 3), (2, 2)),
    ),
    OpCase(
        "concatenate",
        "three-axis-1",
        lambda m, a, b, c: m.concatenate([a, b, c], axis=-1),
        ((2, 3), (2, 1), (2, 2)),
    ),
    OpCase(
        "concatenate",
        "stacked-axis1",
        lambda m, a, b: m.concatenate((a, b), axis=1),
        ((4, 2, 3), (4, 1, 3)),
    ),
    OpCase(
        "concatenate",
        "axis-none",
        lambda m, a, b: m.concatenate([a, b], axis=None),
        ((2, 3), (4,)),
    ),
    OpCase("concatenate", "one", lambda m, a: m.concatenate([a], axis=-1), ((2, 3),)),
    OpCase("concatenate", "const-row", lambda m, a: m.concatenate([ROW, a]), ((2, 3),)),
    OpCase(
        "concatenate",
        "const-column",
        lambda m, a, b: m.concatenate([a, COLUMN, b], axis=1),
        ((2, 3), (2, 2)),
    ),
    # stack
    OpCase("stack", "scalars", lambda m, a, b: m.stack([a, b]), (SCALAR, SCALAR)),
    OpCase("stack", "0d", lambda m, a, b, c: m.stack([a, b, c]), ((), (), ())),
    OpCase("stack", "vec-axis0", lambda m, a, b: m.stack([a, b]), ((3,), (3,))),
    OpCase("stack", "vec-axis-1", lambda m, a, b: m.stack([a, b], axis=-1), ((3,), (3,))),
    OpCase("stack", "mat-axis1", lambda m, a, b: m.stack([a, b], axis=1), ((2, 3), (2, 3))),
    OpCase(
        "stack",
        "three-axis-1",
        lambda m, a, b, c: m.stack([a, b, c], axis=-1),
        ((2, 3), (2, 3), (2, 3)),
    ),
    OpCase("stack", "stacked-axis2", lambda m, a, b: m.stack((a, b), axis=2), ((4, 2, 3),) * 2),
    OpCase("stack", "const-vec", lambda m, a: m.stack([a, VECTOR], axis=1), ((3,),)),
    # split
    OpCase("split", "vec-all-pieces", _pieces_all, ((6,),)),
    OpCase("split", "mat-indices-all-pieces", _pieces_unequal, ((2, 4),)),
    OpCase("split", "stacked-axis-1-all-pieces", _pieces_stacked, ((4, 2, 6),)),
    OpCase("split", "vec-some-pieces", _pieces_some, ((6,),)),
    OpCase("split", "stacked-one-piece", _pieces_one, ((4, 3, 2),)),
    OpCase(
        "split",
        "vec-overlapping-pieces",
        _pieces_overlapping,
        ((5,),),
        autograd=False,
        why="autograd's split gradient joins the pieces, which is wrong where they overlap",
    ),
    # broadcast_to
    OpCase("broadcast_to", "scalar", lambda m, x: m.broadcast_to(x, (2, 3)), (SCALAR,)),
    OpCase("broadcast_to", "0d", lambda m, x: m.broadcast_to(x, 3), ((),)),
    OpCase("broadcast_to", "vec", lambda m, x: m.broadcast_to(x, (2, 3)), ((3,),)),
    OpCase("broadcast_to", "column", lambda m, x: m.broadcast_to(x, (2, 3)), ((2, 1),)),
    OpCase("broadcast_to", "row-to-stacked", lambda m, x: m.broadcast_to(x, (4, 2, 3)), ((1, 3),)),
    OpCase("broadcast_to", "stacked", lambda m, x: m.broadcast_to(x, (4, 2, 3)), ((4, 1, 3),)),
    OpCase("broadcast_to", "same", lambda m, x: m.broadcast_to(x, (2, 3)), ((2, 3),)),
    # repeat
    OpCase("repeat", "scalar", lambda m, x: m.repeat(x, 3), (SCALAR,)),
    OpCase("repeat", "vec", lambda m, x: m.repeat(x, 2), ((3,),)),
    OpCase("repeat", "vec-counts", lambda m, x: m.repeat(x, [2, 0, 3]), ((3,),)),
    OpCase("repeat", "mat-flat", lambda m, x: m.repeat(x, 2), ((2, 3),)),
    OpCase("repeat", "mat-axis0", lambda m, x: m.repeat(x, 3, axis=0), ((2, 3),)),
    OpCase("repeat", "mat-axis1-counts", lambda m, x: m.repeat(x, [1, 0, 2], axis=1), ((2, 3),)),
    OpCase("repeat", "mat-axis-1", lambda m, x: m.repeat(x, 2, axis=-1), ((2, 3),)),
    OpCase("repeat", "stacked-axis1", lambda m, x: m.repeat(x, [3, 1], axis=1), ((4, 2, 3),)),
    # tile
    OpCase("tile", "scalar", lambda m, x: m.tile(x, (2, 3)), (SCALAR,)),
    OpCase("tile", "0d", lambda m, x: m.tile(x, 2), ((),)),
    OpCase("tile", "vec", lambda m, x: m.tile(x, 2), ((3,),)),
    OpCase("tile", "vec-to-mat", lambda m, x: m.tile(x, (2, 1)), ((3,),)),
    OpCase("tile", "mat-short-reps", lambda m, x: m.tile(x, (2,)), ((2, 3),)),
    OpCase("tile", "mat-long-reps", lambda m, x: m.tile(x, (2, 1, 2)), ((2, 3),)),
    OpCase("tile", "stacked", lambda m, x: m.tile(x, (1, 2, 2)), ((4, 2, 3),)),
    # pad
    OpCase("pad", "vec-int", lambda m, x: m.pad(x, 1), ((3,),)),
    OpCase("pad", "vec-pair", lambda m, x: m.pad(x, (1, 2)), ((3,),)),
    OpCase("pad", "mat-per-axis", lambda m, x: m.pad(x, ((1, 0), (2, 1))), ((2, 3),)),
    OpCase("pad", "mat-one-pair", lambda m, x: m.pad(x, ((0, 2),)), ((2, 3),)),
    OpCase(
        "pad",
        "mat-constant",
        lambda m, x: m.pad(x, 1, mode="constant", constant_values=1.5),
        ((2, 3),),
    ),
    OpCase("pad", "stacked", lambda m, x: m.pad(x, ((0, 0), (1, 1), (2, 0))), ((4, 2, 3),)),
]


def _concatenate(xs: Any, axis: int | None = 0) -> Any:
    if axis is None:
        return anp.concatenate([anp.ravel(x) for x in xs])
    return anp.concatenate(xs, axis=axis)


def _broadcast_to(x: Any, shape: Any) -> Any:
    return x + anp.zeros(shape)


def _repeat(x: Any, repeats: Any, axis: int | None = None) -> Any:
    if axis is None:
        x, axis = anp.ravel(x), 0
    axis %= anp.ndim(x)
    # Indexing with each element's index repeated: the gradient adds the copies' gradients.
    index = np.repeat(np.arange(anp.shape(x)[axis]), repeats)
    return x[(slice(None),) * axis + (index,)]


def _tile(x: Any, reps: Any) -> Any:
    reps = (reps,) if isinstance(reps, int) else tuple(reps)
    d = max(anp.ndim(x), len(reps))
    x = anp.reshape(x, (1,) * (d - anp.ndim(x)) + anp.shape(x))
    for axis, r in enumerate((1,) * (d - len(reps)) + reps):
        x = anp.concatenate([x] * r, axis=axis)
    return x


def _pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = 0) -> Any:
    return anp.pad(x, pad_width, mode, constant_values=constant_values)


AUTOGRAD: dict[str, Any] = {
    "concatenate": _concatenate,
    "broadcast_to": _broadcast_to,
    "repeat": _repeat,
    "tile": _tile,
    "pad": _pad,
}
