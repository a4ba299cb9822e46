"""BVar's operators and numpy-style methods, wired to the ops that compute them.

The core's BVar declares the static type of every operator and method, and calls through a
table (`typedprop._core.bvar._ops`) that this module fills when `typedprop.ops` loads: the
core never imports the op library. A new method is one entry here and its typed method on BVar.
"""

from .._core.bvar import _ops
from . import _arithmetic, _elementwise, _indexing, _linalg, _nondifferentiable, _reductions, _shape


def fill() -> None:
    """Fill BVar's table; every entry it declares must be filled (checked here, at import)."""
    _ops.add = _arithmetic.add
    _ops.subtract = _arithmetic.subtract
    _ops.multiply = _arithmetic.multiply
    _ops.divide = _arithmetic.divide
    _ops.power = _arithmetic.power
    _ops.negative = _arithmetic.negative
    _ops.matmul = _linalg.matmul
    _ops.sum = _reductions.sum
    _ops.mean = _reductions.mean
    _ops.max = _reductions.max
    _ops.min = _reductions.min
    _ops.prod = _reductions.prod
    _ops.var = _reductions.var
    _ops.std = _reductions.std
    _ops.reshape = _shape.reshape
    _ops.ravel = _shape.ravel
    _ops.squeeze = _shape.squeeze
    _ops.transpose = _linalg.transpose
    _ops.clip = _elementwise.clip
    _ops.abs = _elementwise.abs
    _ops.argmax = _nondifferentiable.argmax
    _ops.argmin = _nondifferentiable.argmin
    _ops.getitem = _indexing.getitem
    missing = _ops.missing()
    assert not missing, f"BVar's table lacks {missing}"
