"""typedprop's ops: the numpy operations that models use, each with a known gradient.

They follow numpy's names and semantics (broadcasting, `axis`, `keepdims`), so model code reads
like numpy. Each takes BVars, plain values or a mix: with a BVar among the arguments the result
is a BVar on the same tape, with plain values only a plain value. float32 in gives float32 out,
values and gradients. A wrong shape is a `CheckError` naming the op, the argument and the
dimensions, with runtime checks on or off.

One family per module; the list of ops, family by family, ends this docstring. It is written
once, where each op is defined (`_registry.public`): `__all__`, this list and the README's table
of ops are read from it.

Broadcasting is undone in one helper (`_broadcast.unbroadcast`) and a reduction's gradient is
put back to its input's shape in another (`_axes.unreduce`). The static signature of each
kind of op is written once, on its base class (`_elementwise.Elementwise`, `_arithmetic.Binary`,
`_reductions.Reduction`, ...), and the ops of a kind are instances of its subclasses.

!!! example
    ```python
    >>> import numpy as np
    >>> import typedprop as tp
    >>> from typedprop import ops
    >>> def loss(w: tp.BVar[tp.Mat]) -> tp.BVar[float]:
    ...     logits = ops.matvec(w, np.array([1.0, 2.0]))
    ...     return ops.softmax_cross_entropy_with_integer_labels(logits, 1)
    >>> tp.grad(loss, np.zeros((3, 2))).round(3)
    array([[ 0.333,  0.667],
           [-0.667, -1.333],
           [ 0.333,  0.667]])
    ```
"""

# Elementwise maps, same shape out as in
# Arithmetic with numpy broadcasting (the ops behind BVar's operators)
from ._arithmetic import add as add
from ._arithmetic import divide as divide
from ._arithmetic import maximum as maximum
from ._arithmetic import minimum as minimum
from ._arithmetic import multiply as multiply
from ._arithmetic import negative as negative
from ._arithmetic import power as power
from ._arithmetic import subtract as subtract
from ._elementwise import abs as abs
from ._elementwise import arctan as arctan
from ._elementwise import clip as clip
from ._elementwise import cos as cos
from ._elementwise import elu as elu
from ._elementwise import exp as exp
from ._elementwise import expm1 as expm1
from ._elementwise import gelu as gelu
from ._elementwise import leaky_relu as leaky_relu
from ._elementwise import log as log
from ._elementwise import log1p as log1p
from ._elementwise import logistic as logistic
from ._elementwise import relu as relu
from ._elementwise import sign as sign
from ._elementwise import sin as sin
from ._elementwise import softplus as softplus
from ._elementwise import sqrt as sqrt
from ._elementwise import square as square
from ._elementwise import tanh as tanh

# Indexing and selection (`x[key]` is `getitem`)
from ._indexing import getitem as getitem
from ._indexing import take as take
from ._indexing import where as where

# Linear algebra
from ._linalg import cholesky as cholesky
from ._linalg import dot as dot
from ._linalg import einsum as einsum
from ._linalg import inv as inv
from ._linalg import linear as linear
from ._linalg import matmul as matmul
from ._linalg import matvec as matvec
from ._linalg import outer as outer
from ._linalg import slogdet as slogdet
from ._linalg import solve as solve
from ._linalg import trace as trace
from ._linalg import transpose as transpose
from ._linalg import vdot as vdot

# Losses: a scalar from predictions and targets
from ._losses import mean_squared_error as mean_squared_error
from ._losses import sigmoid_binary_cross_entropy as sigmoid_binary_cross_entropy
from ._losses import softmax_cross_entropy as softmax_cross_entropy
from ._losses import (
    softmax_cross_entropy_with_integer_labels as softmax_cross_entropy_with_integer_labels,
)
from ._losses import squared_error as squared_error

# Not differentiable: plain values out, no gradient (`sign` too)
from ._nondifferentiable import argmax as argmax
from ._nondifferentiable import argmin as argmin
from ._nondifferentiable import equal as equal
from ._nondifferentiable import greater as greater
from ._nondifferentiable import greater_equal as greater_equal
from ._nondifferentiable import less as less
from ._nondifferentiable import less_equal as less_equal
from ._nondifferentiable import ndim as ndim
from ._nondifferentiable import not_equal as not_equal
from ._nondifferentiable import shape as shape
from ._nondifferentiable import size as size

# Reductions with `axis` and `keepdims`, and softmax
from ._reductions import log_softmax as log_softmax
from ._reductions import logsumexp as logsumexp
from ._reductions import max as max
from ._reductions import mean as mean
from ._reductions import min as min
from ._reductions import norm as norm
from ._reductions import prod as prod
from ._reductions import softmax as softmax
from ._reductions import std as std
from ._reductions import sum as sum
from ._reductions import var as var

# Shape
from ._shape import broadcast_to as broadcast_to
from ._shape import concatenate as concatenate
from ._shape import expand_dims as expand_dims
from ._shape import pad as pad
from ._shape import ravel as ravel
from ._shape import repeat as repeat
from ._shape import reshape as reshape
from ._shape import split as split
from ._shape import squeeze as squeeze
from ._shape import stack as stack
from ._shape import tile as tile

# BVar's operators and numpy-style methods call the ops above through the core's table.
from ._methods import fill as _fill  # noqa: E402  # isort: skip
from ._registry import listing as _listing  # noqa: E402  # isort: skip
from ._registry import names as _names  # noqa: E402  # isort: skip

_fill()
__all__ = _names()
__doc__ = f"{__doc__}\n{_listing()}\n"
