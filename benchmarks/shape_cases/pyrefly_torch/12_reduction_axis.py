"""12. A reduction over the wrong axis.

PyTorch with pyrefly-torch-stubs.
"""

from __future__ import annotations

from typing import Final

import torch

BATCH: Final = 32
CLASSES: Final = 10


def wrong() -> float:
    predictions = torch.randn(BATCH, CLASSES)
    targets = torch.zeros(BATCH, CLASSES)
    weights = torch.ones(BATCH)
    per_example = ((predictions - targets) ** 2).sum(dim=0)  # per class
    return (weights * per_example).sum().item()


def right() -> float:
    predictions = torch.randn(BATCH, CLASSES)
    targets = torch.zeros(BATCH, CLASSES)
    weights = torch.ones(BATCH)
    per_example = ((predictions - targets) ** 2).sum(dim=1)
    return (weights * per_example).sum().item()
