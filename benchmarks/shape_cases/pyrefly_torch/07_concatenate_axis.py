"""7. Concatenation on the wrong axis.

PyTorch with pyrefly-torch-stubs.
"""

from __future__ import annotations

from typing import Final

import torch
from torch import Tensor

BATCH: Final = 32
PIXELS: Final = 784
EXTRA: Final = 16


def wrong() -> Tensor:
    pixels = torch.randn(BATCH, PIXELS)
    extra = torch.randn(BATCH, EXTRA)
    return torch.cat([pixels, extra], dim=0)  # the batch axis


def right() -> Tensor:
    pixels = torch.randn(BATCH, PIXELS)
    extra = torch.randn(BATCH, EXTRA)
    return torch.cat([pixels, extra], dim=1)
