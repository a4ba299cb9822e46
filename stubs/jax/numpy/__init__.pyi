# See stubs/jax/__init__.pyi.
from typing import Any

from .. import Array

def asarray(a: Any, dtype: Any = None) -> Array: ...
