"""What every test shares: no test may leave a tape behind.

The helpers that test modules import (`support`, `opcases`) live next to this file and are on
`sys.path` through pytest's `pythonpath = ["tests"]` (pyproject.toml); tests/README.md says
where each test goes.
"""

from collections.abc import Iterator

import pytest

from typedprop._core import tape as _tape


@pytest.fixture(autouse=True)
def _no_tape_left_behind() -> Iterator[None]:
    # A tape left active would make the next test's BVars belong to a call that has returned.
    assert _tape.active() is None
    yield
    assert _tape.active() is None
