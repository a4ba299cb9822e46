"""10. A head split whose total size is wrong.

PyTorch with pyrefly-torch-stubs: heads split off by `view`, as in nanoGPT (`torch.chunk` and
`torch.split` with one section size accept any length).
"""

from __future__ import annotations

from typing import Final

import torch
from torch import Tensor

HIDDEN: Final = 300
HEADS: Final = 8
HEAD: Final = 32


def wrong() -> Tensor:
    h = torch.randn(HIDDEN)
    return h.view(HEADS, HEAD)  # 300 values as 8 x 32


def right() -> Tensor:
    h = torch.randn(HIDDEN)
    w_query = torch.randn(HEADS * HEAD, HIDDEN)
    return (w_query @ h).view(HEADS, HEAD)
