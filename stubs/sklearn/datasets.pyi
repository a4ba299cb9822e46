from typing import Any

import numpy as np

class _Bunch:
    data: np.ndarray[tuple[int, int], np.dtype[np.float64]]
    target: np.ndarray[tuple[int], np.dtype[np.int64]]
    images: np.ndarray[tuple[int, int, int], np.dtype[np.float64]]

def load_digits(
    *, n_class: int = 10, return_X_y: bool = False, as_frame: bool = False
) -> _Bunch: ...
def __getattr__(name: str) -> Any: ...
