"""4. A 784-wide input to a 64-input model.

PyTorch with pyrefly-torch-stubs, pyrefly's native shape syntax.
"""

from __future__ import annotations

from typing import Final

import torch
from shape_extensions import IntVar
from torch import Tensor

DIGIT_PIXELS: Final = 64  # 8x8
MNIST_PIXELS: Final = 784  # 28x28
HIDDEN: Final = 32
CLASSES: Final = 10
Hidden = IntVar("Hidden")
In = IntVar("In")
Classes = IntVar("Classes")


def classify(
    w1: Tensor[[Hidden, In]], w2: Tensor[[Classes, Hidden]], x: Tensor[[In]]
) -> Tensor[[Classes]]:
    return w2 @ torch.tanh(w1 @ x)


def wrong() -> Tensor:
    w1 = torch.randn(HIDDEN, DIGIT_PIXELS)
    w2 = torch.randn(CLASSES, HIDDEN)
    picture = torch.zeros(MNIST_PIXELS)  # an MNIST picture, not a digit of 8x8
    return classify(w1, w2, picture)


def right() -> Tensor:
    w1 = torch.randn(HIDDEN, DIGIT_PIXELS)
    w2 = torch.randn(CLASSES, HIDDEN)
    picture = torch.zeros(DIGIT_PIXELS)
    return classify(w1, w2, picture)
