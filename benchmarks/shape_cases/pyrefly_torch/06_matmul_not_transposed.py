"""6. `x @ w` not transposed.

PyTorch with pyrefly-torch-stubs.
"""

from __future__ import annotations

from typing import Final

import torch
from torch import Tensor

BATCH: Final = 32
PIXELS: Final = 784
HIDDEN: Final = 300


def wrong() -> Tensor:
    x = torch.randn(BATCH, PIXELS)
    w = torch.randn(HIDDEN, PIXELS)
    return x @ w  # (32, 784) @ (300, 784)


def right() -> Tensor:
    x = torch.randn(BATCH, PIXELS)
    w = torch.randn(HIDDEN, PIXELS)
    return x @ w.T
