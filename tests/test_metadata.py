"""What the package declares is true: one version, the licence it names, and dependency bounds
that CI tests (the lowest versions in `.ci/run`, and an upper bound where typedprop relies on a
library's internals)."""

import importlib.metadata
import re
import tomllib
from pathlib import Path

import typedprop

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_the_version_is_written_once() -> None:
    # pyproject.toml reads it from the package (hatch's dynamic version); the installed metadata
    # agrees (after an install, which `pip install -e .` redoes).
    assert "version" not in PROJECT["project"]
    assert "version" in PROJECT["project"]["dynamic"]
    assert PROJECT["tool"]["hatch"]["version"]["path"] == "src/typedprop/__init__.py"
    assert re.fullmatch(r"\d+\.\d+\.\d+", typedprop.__version__)
    assert importlib.metadata.version("typedprop") == typedprop.__version__


def test_the_changelog_has_the_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in changelog
    assert f"## [{typedprop.__version__}]" in changelog


def test_the_licence_file_is_the_declared_licence() -> None:
    assert PROJECT["project"]["license"] == "BSD-3-Clause"
    assert PROJECT["project"]["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("BSD 3-Clause License\n")
    assert "Copyright (c) 2026, the typedprop authors" in text
    assert "Neither the name of the copyright holder" in text
    assert importlib.metadata.metadata("typedprop")["License-Expression"] == "BSD-3-Clause"


def _bounds() -> dict[str, str]:
    """The runtime dependencies' requirements, by name."""
    return {re.split(r"[<>=!~;\[ ]", d)[0]: d for d in PROJECT["project"]["dependencies"]}


def test_every_runtime_dependency_has_a_lower_bound_ci_installs() -> None:
    # .ci/run installs each dependency at exactly its lower bound for its second test run.
    bounds = _bounds()
    assert set(bounds) == {"numpy", "jaxtyping", "beartype", "array-api-compat", "array-api-extra"}
    assert all(re.fullmatch(r"[\w-]+>=[\d.]+(,<[\d.]+)?", d) for d in bounds.values()), bounds
    ci = (ROOT / ".ci" / "run").read_text()
    assert '["project"]["dependencies"]' in ci and 'r"==\\1"' in ci
    assert ci.rstrip().splitlines()[-1] == (
        '.venv-lowest/bin/python -m pytest -m "not static" -p no:cacheprovider'
    )


def test_jaxtyping_is_bounded_below_its_next_minor_version() -> None:
    # typedprop reads attributes of jaxtyping's array types that jaxtyping does not document
    # (`dim_str`, `dtype`, `dtypes`) and parses shape strings as its private `_check_dims` does:
    # the newest version allowed is of the newest minor version tested (the one installed, except
    # in .ci/run's run with the lowest versions).
    bound = _bounds()["jaxtyping"]
    bounds = re.fullmatch(r"jaxtyping>=([\d.]+),<(\d+)\.(\d+)", bound)
    assert bounds is not None, bound
    installed = importlib.metadata.version("jaxtyping")
    major, minor = (int(p) for p in installed.split(".")[:2])
    assert (major, minor) < (int(bounds[2]), int(bounds[3]))
    if installed != bounds[1]:
        assert (int(bounds[2]), int(bounds[3])) == (major, minor + 1)
