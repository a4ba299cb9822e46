# The part of tqdm that typedprop.mnist uses for its progress bar (tqdm 4.x's documented
# signature). tqdm ships no type information.
from typing import Any

class tqdm:
    n: int
    def __init__(
        self,
        iterable: Any = None,
        desc: str | None = None,
        total: float | None = None,
        leave: bool | None = True,
        mininterval: float = 0.1,
        **kwargs: Any,
    ) -> None: ...
    def update(self, n: float | None = 1) -> bool | None: ...
    def set_postfix(
        self, ordered_dict: Any = None, refresh: bool | None = True, **kwargs: Any
    ) -> None: ...
    def close(self) -> None: ...
