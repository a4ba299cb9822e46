"""15. Attention keys projected to another width.

PyTorch with pyrefly-torch-stubs.
"""

from __future__ import annotations

from typing import Final

import torch
from torch import Tensor

SEQ: Final = 12
CONTEXT: Final = 20
MODEL: Final = 64
KEY: Final = 16
VALUE: Final = 32


def wrong() -> Tensor:
    x = torch.randn(SEQ, MODEL)
    memory = torch.randn(CONTEXT, MODEL)
    w_query = torch.randn(KEY, MODEL)
    w_key = torch.randn(VALUE, MODEL)  # to VALUE, not KEY
    w_value = torch.randn(VALUE, MODEL)
    q, k, v = x @ w_query.T, memory @ w_key.T, memory @ w_value.T
    return torch.softmax(q @ k.T, dim=-1) @ v


def right() -> Tensor:
    x = torch.randn(SEQ, MODEL)
    memory = torch.randn(CONTEXT, MODEL)
    w_query = torch.randn(KEY, MODEL)
    w_key = torch.randn(KEY, MODEL)
    w_value = torch.randn(VALUE, MODEL)
    q, k, v = x @ w_query.T, memory @ w_key.T, memory @ w_value.T
    return torch.softmax(q @ k.T, dim=-1) @ v
