"""14. A function that returns its weight transposed (its return hint says (out, in)).

PyTorch with pyrefly-torch-stubs, pyrefly's native shape syntax.
"""

from __future__ import annotations

from typing import Final

import torch
from shape_extensions import IntVar
from torch import Tensor

BATCH: Final = 32
PIXELS: Final = 784
HIDDEN: Final = 300
B = IntVar("B")
In = IntVar("In")
Out = IntVar("Out")


def hebbian_weight_wrong(x: Tensor[[B, In]], y: Tensor[[B, Out]]) -> Tensor[[Out, In]]:
    return x.T @ y / BATCH  # (in, out)


def hebbian_weight_right(x: Tensor[[B, In]], y: Tensor[[B, Out]]) -> Tensor[[Out, In]]:
    return y.T @ x / BATCH


def wrong() -> Tensor:
    x = torch.randn(BATCH, PIXELS)
    y = torch.randn(BATCH, HIDDEN)
    return hebbian_weight_wrong(x, y)


def right() -> Tensor:
    x = torch.randn(BATCH, PIXELS)
    y = torch.randn(BATCH, HIDDEN)
    return hebbian_weight_right(x, y)
