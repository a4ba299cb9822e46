"""8. A merge to `n+n` followed by a head sized for `n`.

PyTorch with pyrefly-torch-stubs.
"""

from __future__ import annotations

from typing import Final

import torch
from torch import Tensor

PIXELS: Final = 784
HIDDEN: Final = 128
CLASSES: Final = 10


def wrong() -> Tensor:
    branch_a = torch.tanh(torch.randn(HIDDEN, PIXELS) @ torch.zeros(PIXELS))
    branch_b = torch.tanh(torch.randn(HIDDEN, PIXELS) @ torch.zeros(PIXELS))
    merged = torch.cat([branch_a, branch_b])
    head = torch.randn(CLASSES, HIDDEN)  # one branch's width
    return head @ merged


def right() -> Tensor:
    branch_a = torch.tanh(torch.randn(HIDDEN, PIXELS) @ torch.zeros(PIXELS))
    branch_b = torch.tanh(torch.randn(HIDDEN, PIXELS) @ torch.zeros(PIXELS))
    merged = torch.cat([branch_a, branch_b])
    head = torch.randn(CLASSES, 2 * HIDDEN)
    return head @ merged
