"""Ops without gradients, returning plain values. (Being written.)"""

__all__: list[str] = []
