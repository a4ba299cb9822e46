"""5. Chained layers whose widths do not meet.

PyTorch with pyrefly-torch-stubs.
"""

from __future__ import annotations

from typing import Final

import torch
from torch import Tensor

PIXELS: Final = 784
HIDDEN1: Final = 300
HIDDEN2: Final = 100
CLASSES: Final = 10


def wrong() -> Tensor:
    w1 = torch.randn(HIDDEN1, PIXELS)
    w2 = torch.randn(HIDDEN2, HIDDEN1)
    w3 = torch.randn(CLASSES, HIDDEN1)  # in: HIDDEN1, but w2 gives HIDDEN2
    x = torch.zeros(PIXELS)
    return w3 @ torch.tanh(w2 @ torch.tanh(w1 @ x))


def right() -> Tensor:
    w1 = torch.randn(HIDDEN1, PIXELS)
    w2 = torch.randn(HIDDEN2, HIDDEN1)
    w3 = torch.randn(CLASSES, HIDDEN2)
    x = torch.zeros(PIXELS)
    return w3 @ torch.tanh(w2 @ torch.tanh(w1 @ x))
