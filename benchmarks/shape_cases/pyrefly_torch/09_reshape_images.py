"""9. A reshape of 8x8 images to 784.

PyTorch with pyrefly-torch-stubs.
"""

from __future__ import annotations

from typing import Final

import torch
from torch import Tensor

BATCH: Final = 32
SIDE: Final = 8
PIXELS: Final = 784  # MNIST's 28 * 28


def wrong() -> Tensor:
    images = torch.randn(BATCH, SIDE, SIDE)
    return images.reshape(BATCH, PIXELS)


def right() -> Tensor:
    images = torch.randn(BATCH, SIDE, SIDE)
    return images.reshape(BATCH, SIDE * SIDE)
