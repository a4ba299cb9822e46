"""The op registry (`typedprop.ops._registry`): the one list of public ops, from which
`typedprop.ops.__all__`, its docstring's listing and the README's table are read, and against
which the gradient table's completeness is checked."""

import ast
import re
from pathlib import Path

import pytest

import typedprop as tp
from typedprop import ops
from typedprop.ops import _registry

from opcases import TABLE

ROOT = Path(__file__).resolve().parents[2]
ENTRIES = _registry.entries()


def test_all_is_the_registry() -> None:
    assert ops.__all__ == sorted(e.name for e in ENTRIES)
    assert len(set(ops.__all__)) == len(ops.__all__)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_every_registered_op_is_reachable_from_typedprop_ops(entry: _registry.Entry) -> None:
    op = getattr(ops, entry.name)
    assert callable(op)
    assert getattr(op, "__module__", None) == f"typedprop.ops.{entry.family.module}"


def test_the_package_imports_exactly_the_registered_ops() -> None:
    # mypy reads `typedprop.ops`'s names from its explicit re-exports, so they must be written
    # there; this keeps them equal to the registry.
    tree = ast.parse((ROOT / "src" / "typedprop" / "ops" / "__init__.py").read_text())
    exported = {
        alias.asname
        for node in tree.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.asname is not None and alias.asname == alias.name
    }
    registered = {e.name for e in ENTRIES}
    assert sorted(registered - exported) == [], "add `from .<family> import <op> as <op>`"
    assert sorted(exported - registered) == [], "register these with `public` in their family"


def test_every_differentiable_op_has_gradient_cases_and_no_other_op_has() -> None:
    tested = {c.op for c in TABLE}
    differentiable = {e.name for e in ENTRIES if e.differentiable}
    assert sorted(tested - {e.name for e in ENTRIES}) == [], "cases for ops that do not exist"
    assert sorted(differentiable - tested) == [], "ops without gradient cases in tests/opcases"
    assert sorted(tested - differentiable) == [], "cases for ops without a gradient"


def test_the_readme_table_is_the_registry() -> None:
    readme = (ROOT / "README.md").read_text()
    assert _registry.readme_table() in readme, (
        "regenerate the README's table of ops with\n"
        "python -c 'from typedprop.ops import _registry; print(_registry.readme_table())'"
    )


def test_the_readme_counts_the_registry() -> None:
    readme = (ROOT / "README.md").read_text()
    total, plain = len(ENTRIES), sum(not e.differentiable for e in ENTRIES)
    words = re.sub(r"\s+", " ", readme)
    assert f"{total} numpy operations" in words
    assert f"{total - plain} differentiable, each with a known gradient, and {plain} that" in words


def test_the_docstring_lists_every_op_in_its_family() -> None:
    doc = re.sub(r"\s+", " ", ops.__doc__ or "")
    for family in _registry.FAMILIES:
        names = sorted(e.name for e in ENTRIES if e.family is family)
        assert f"(`{family.module}`): {', '.join(names)}." in doc


def test_a_second_op_of_the_same_name_is_refused() -> None:
    with pytest.raises(TypeError, match="public: an op named 'exp' is registered already"):
        _registry.public(ops.exp)


def test_an_op_outside_the_families_is_refused() -> None:
    with pytest.raises(TypeError, match="is not defined in an op family"):
        _registry.public(tp.op1(lambda x: (x, lambda g: g), name="mine"))
