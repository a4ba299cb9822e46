"""Known gaps: calls on another library's arrays that run but that mypy rejects, only because of a
gap in typedprop's types. `matvec` and `linear` are typed by `Op`'s generic signature over their
jaxtyping hints, which name numpy's arrays; an overload for other libraries would have to be
added to `Op.__call__` itself (a `__call__` of their own would rename every message about them).
Closing a gap fails its test here: move the line to accept_backends.py. Checked by mypy only."""

import torch

from typedprop import BVar, ops


def dense_layers_on_another_library(w: BVar[torch.Tensor], x: torch.Tensor, b: torch.Tensor) -> None:
    ops.matvec(w, x)  # E: No overload variant of "__call__" of "Op" matches argument types "BVar[Tensor]", "Tensor"  [call-overload]
    ops.linear(w, x, b)  # E: No overload variant of "__call__" of "Op" matches argument types "BVar[Tensor]", "Tensor", "Tensor"  [call-overload]
