"""Helpers shared by the test modules."""

from typing import Any

import numpy as np


def _weights(n: int, dtype: Any) -> np.ndarray:
    return np.random.default_rng(1000 + n).uniform(0.5, 1.5, n).astype(dtype)


def reduce_to_scalar(out: Any) -> Any:
    """`out` (a BVar) contracted with fixed random weights over each axis, last first, by `@`:
    a scalar whose gradient reaches every element of `out` with a different weight."""
    while np.ndim(out.value) > 0:
        out = out @ _weights(np.shape(out.value)[-1], np.result_type(out.value))
    return out
