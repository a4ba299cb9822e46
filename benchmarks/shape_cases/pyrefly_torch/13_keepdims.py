"""13. A broadcast after a reduction that dropped an axis (keepdim forgotten).

PyTorch with pyrefly-torch-stubs.
"""

from __future__ import annotations

from typing import Final

import torch
from torch import Tensor

BATCH: Final = 32
CLASSES: Final = 10


def wrong() -> Tensor:
    scores = torch.randn(BATCH, CLASSES)
    exps = torch.exp(scores)
    return exps / exps.sum(dim=1)  # (32, 10) / (32,)


def right() -> Tensor:
    scores = torch.randn(BATCH, CLASSES)
    exps = torch.exp(scores)
    return exps / exps.sum(dim=1, keepdim=True)
