"""2. A second layer sized for the other hidden size.

PyTorch with pyrefly-torch-stubs, pyrefly's native shape syntax.
"""

from __future__ import annotations

from typing import Final

import torch
from shape_extensions import IntVar
from torch import Tensor

PIXELS: Final = 784
HIDDEN1: Final = 300
HIDDEN2: Final = 100
Out = IntVar("Out")
In = IntVar("In")


def dense(w: Tensor[[Out, In]], b: Tensor[[Out]], x: Tensor[[In]]) -> Tensor[[Out]]:
    return torch.tanh(w @ x + b)


def wrong() -> Tensor:
    w1, b1 = torch.randn(HIDDEN1, PIXELS), torch.zeros(HIDDEN1)
    w2, b2 = torch.randn(HIDDEN2, HIDDEN2), torch.zeros(HIDDEN2)  # in: HIDDEN2, not HIDDEN1
    h1 = dense(w1, b1, torch.zeros(PIXELS))
    return dense(w2, b2, h1)


def right() -> Tensor:
    w1, b1 = torch.randn(HIDDEN1, PIXELS), torch.zeros(HIDDEN1)
    w2, b2 = torch.randn(HIDDEN2, HIDDEN1), torch.zeros(HIDDEN2)
    h1 = dense(w1, b1, torch.zeros(PIXELS))
    return dense(w2, b2, h1)
