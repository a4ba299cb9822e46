"""Indexing and selection. (Being written.)"""

__all__: list[str] = []
