"""Fixtures the tracing tests share."""

from collections.abc import Iterator

import pytest


@pytest.fixture
def x64() -> Iterator[None]:
    """JAX's 64-bit mode on for one test (a setting of the whole process), then as it was."""
    jax = pytest.importorskip("jax")
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", before)
