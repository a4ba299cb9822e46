"""1. A first weight stored (in, out) instead of (out, in).

PyTorch with pyrefly-torch-stubs, in pyrefly's native shape syntax (`Tensor[[Out, In]]`, dimensions
declared with `IntVar`; `from __future__ import annotations` keeps the hints unevaluated).
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
    w1 = torch.randn(PIXELS, HIDDEN)  # (in, out)
    b1 = torch.zeros(HIDDEN)
    return dense(w1, b1, torch.zeros(PIXELS))


def right() -> Tensor:
    w1 = torch.randn(HIDDEN, PIXELS)
    b1 = torch.zeros(HIDDEN)
    return dense(w1, b1, torch.zeros(PIXELS))
