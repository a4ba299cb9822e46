"""The corpus of `typedprop.mypy_plugin`: jaxtyping dimensions checked by mypy."""
