"""What every test shares: no test may leave a tape behind, and the `static` marker.

The helpers that test modules import (`support`, `opcases`) live next to this file and are on
`sys.path` through pytest's `pythonpath = ["tests"]` (pyproject.toml); tests/README.md says
where each test goes.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from typedprop._core import tape as _tape

TESTS = Path(__file__).resolve().parent

# The test modules that run mypy and check its exact messages, which name numpy's stub types and
# follow mypy's version: marked `static`, so that `-m "not static"` runs the runtime tests alone
# (as .ci/run does with the lowest supported numpy, jaxtyping and beartype). A test module
# elsewhere marks its own such tests with `@pytest.mark.static`.
STATIC_MODULES = ("static/test_static.py", "static/test_plugin.py")
STATIC_TESTS = ("test_benchmarks.py::test_the_plugin_cost_benchmark_runs",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not item.path.is_relative_to(TESTS):
            continue
        module = item.path.relative_to(TESTS).as_posix()
        if module in STATIC_MODULES or f"{module}::{item.name}" in STATIC_TESTS:
            item.add_marker(pytest.mark.static)


@pytest.fixture(autouse=True)
def _no_tape_left_behind() -> Iterator[None]:
    # A tape left active would make the next test's BVars belong to a call that has returned.
    assert _tape.active() is None
    yield
    assert _tape.active() is None
