"""The layers of `src/typedprop`: no import circles, and a core that imports nothing above it.

The import graph is read from the source (every `import`, at module level or inside a function,
except those under `if TYPE_CHECKING:`), so a circle closed by a late or local import counts.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "typedprop"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            yield from (n for body in node.orelse for n in _imports_of(body))
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        yield from _imports(node)


def _imports_of(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    yield from _imports(node)


def import_graph() -> dict[str, set[str]]:
    """Each module of typedprop -> the modules of typedprop it imports (a package's own
    `__init__` is not counted as imported by importing one of its modules)."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        here = name.split(".") if is_package else name.split(".")[:-1]
        targets: set[str] = set()
        for node in _imports(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            else:
                base = here[: len(here) - node.level + 1] if node.level else []
                prefix = ".".join([*base, *([node.module] if node.module else [])])
                # `from x import y`: y may be a module of x, or a name defined in x.
                candidates = [f"{prefix}.{alias.name}" for alias in node.names] + [prefix]
                if any(c in modules for c in candidates[:-1]):
                    candidates = [c for c in candidates[:-1] if c in modules]
            targets |= {c for c in candidates if c in modules and c != name}
        graph[name] = targets
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def depth(graph: dict[str, set[str]]) -> int:
    """The longest chain of imports (in modules), for a graph without circles."""
    memo: dict[str, int] = {}

    def longest(v: str) -> int:
        if v not in memo:
            memo[v] = 1 + max((longest(w) for w in graph[v]), default=0)
        return memo[v]

    return max(longest(v) for v in graph)


def test_no_module_imports_itself_around_a_circle() -> None:
    assert circles(import_graph()) == []


@pytest.mark.parametrize("core", sorted(m for m in _modules() if m.startswith("typedprop._core")))
def test_the_core_imports_nothing_above_it(core: str) -> None:
    above = sorted(m for m in import_graph()[core] if not m.startswith("typedprop._core"))
    assert above == [], f"{core} imports {above}"


def test_the_programs_are_imported_by_nothing_in_the_library() -> None:
    graph = import_graph()
    users = sorted(
        m
        for m, targets in graph.items()
        if m not in ("typedprop.mnist",) and targets & {"typedprop.mnist"}
    )
    assert users == []
    assert not any(
        targets & {"typedprop.data"}
        for m, targets in graph.items()
        if m.startswith("typedprop._core")
    )


def test_the_reader_finds_a_circle_closed_by_a_function_level_import() -> None:
    # The test above is only as good as the graph: a late, local import must count.
    tree = ast.parse("def f():\n    from . import b\n")
    assert [type(n).__name__ for n in _imports(tree)] == ["ImportFrom"]
    assert circles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]


def test_imports_under_type_checking_do_not_count() -> None:
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import x\n")
    assert [n.names[0].name for n in _imports(tree) if isinstance(n, ast.Import)] == []


if __name__ == "__main__":
    g = import_graph()
    print(f"{len(g)} modules, {sum(map(len, g.values()))} imports")
    for c in circles(g):
        print("circle:", " ".join(c))
    if not circles(g):
        print("depth:", depth(g))
