"""11. An einsum label mismatch.

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
    return torch.einsum("bi,io->bo", x, w)


def right() -> Tensor:
    x = torch.randn(BATCH, PIXELS)
    w = torch.randn(HIDDEN, PIXELS)
    return torch.einsum("bi,oi->bo", x, w)
