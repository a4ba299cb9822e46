"""15. Attention keys projected to another width.

Queries and keys must have one width for their dot products; the wrong twin projects the keys
to the value width instead.
"""

from typing import Final

import typedprop as tp
from typedprop import Mat, ops

SEQ: Final = 12
CONTEXT: Final = 20
MODEL: Final = 64
KEY: Final = 16
VALUE: Final = 32


def wrong() -> Mat:
    x = tp.normal(SEQ, MODEL, rng=0)
    memory = tp.normal(CONTEXT, MODEL, rng=1)
    w_query = tp.normal(KEY, MODEL, rng=2)
    w_key = tp.normal(VALUE, MODEL, rng=3)  # to VALUE, not KEY
    w_value = tp.normal(VALUE, MODEL, rng=4)
    q, k, v = x @ w_query.T, memory @ w_key.T, memory @ w_value.T
    return ops.softmax(q @ k.T, axis=-1) @ v


def right() -> Mat:
    x = tp.normal(SEQ, MODEL, rng=0)
    memory = tp.normal(CONTEXT, MODEL, rng=1)
    w_query = tp.normal(KEY, MODEL, rng=2)
    w_key = tp.normal(KEY, MODEL, rng=3)
    w_value = tp.normal(VALUE, MODEL, rng=4)
    q, k, v = x @ w_query.T, memory @ w_key.T, memory @ w_value.T
    return ops.softmax(q @ k.T, axis=-1) @ v
