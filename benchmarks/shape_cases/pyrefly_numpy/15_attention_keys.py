"""15. Attention keys projected to another width.

numpy with pyrefly-numpy-stubs.
"""

from typing import Final

import numpy as np

SEQ: Final = 12
CONTEXT: Final = 20
MODEL: Final = 64
KEY: Final = 16
VALUE: Final = 32


def wrong() -> np.ndarray:
    x = np.random.randn(SEQ, MODEL)
    memory = np.random.randn(CONTEXT, MODEL)
    w_query = np.random.randn(KEY, MODEL)
    w_key = np.random.randn(VALUE, MODEL)  # to VALUE, not KEY
    w_value = np.random.randn(VALUE, MODEL)
    q, k, v = x @ w_query.T, memory @ w_key.T, memory @ w_value.T
    exps = np.exp(q @ k.T)
    return (exps / exps.sum(axis=-1, keepdims=True)) @ v


def right() -> np.ndarray:
    x = np.random.randn(SEQ, MODEL)
    memory = np.random.randn(CONTEXT, MODEL)
    w_query = np.random.randn(KEY, MODEL)
    w_key = np.random.randn(KEY, MODEL)
    w_value = np.random.randn(VALUE, MODEL)
    q, k, v = x @ w_query.T, memory @ w_key.T, memory @ w_value.T
    exps = np.exp(q @ k.T)
    return (exps / exps.sum(axis=-1, keepdims=True)) @ v
