"""3. A bias sized for the input.

PyTorch with pyrefly-torch-stubs, pyrefly's native shape syntax.
"""

from __future__ import annotations

from typing import Final

import torch
from shape_extensions import IntVar
from torch import Tensor

PIXELS: Final = 784
HIDDEN: Final = 300
Out = IntVar("Out")
In = IntVar("In")


def dense(w: Tensor[[Out, In]], b: Tensor[[Out]], x: Tensor[[In]]) -> Tensor[[Out]]:
    return torch.tanh(w @ x + b)


def wrong() -> Tensor:
    w1 = torch.randn(HIDDEN, PIXELS)
    b1 = torch.zeros(PIXELS)  # one per input
    return dense(w1, b1, torch.zeros(PIXELS))


def right() -> Tensor:
    w1 = torch.randn(HIDDEN, PIXELS)
    b1 = torch.zeros(HIDDEN)
    return dense(w1, b1, torch.zeros(PIXELS))
