"""mkdocs hooks (mkdocs.yml's `hooks:`): the pages' generated parts.

The op library page is generated from the op registry, and the API reference of `typedprop`
lists what the package exports.

`docs/ops.md` holds the words around the listing and a marker, `<!-- op-library -->`, which
`on_page_markdown` replaces with `op_library()`: the README's table of ops family by family
(`typedprop.ops._registry.readme_table`), each op linked to its section, and then each op's
documentation, its class's docstring, family by family in the registry's order. Adding an op to
the registry adds it here; `tests/test_docs_site.py` checks the page against the registry
without mkdocs.

`docs/reference/typedprop.md` holds `<!-- api-members -->`, which becomes mkdocstrings' directive
for `typedprop` with its public names as members, in the order the package defines them
(mkdocstrings renders a package's re-exported names only when they are listed).
"""

import ast
import inspect
import re
from typing import Any

MARKER = "<!-- op-library -->"
API_MARKER = "<!-- api-members -->"


def op_library() -> str:
    """The generated part of the op library page, as markdown."""
    from typedprop import ops
    from typedprop.ops import _registry

    names = {e.name for e in _registry.entries()}

    def link(m: re.Match[str]) -> str:
        return f"[`{m[1]}`](#{anchor(m[1])})" if m[1] in names else m[0]

    parts = [re.sub(r"`(\w+)`", link, _registry.readme_table()), ""]
    for family in _registry.FAMILIES:
        members = [e for e in _registry.entries() if e.family is family]
        parts += [f"## {family.heading}", ""]
        if family.note:
            parts += [f"In this family, {family.note}.", ""]
        for entry in members:
            doc = inspect.getdoc(type(getattr(ops, entry.name))) or ""
            gradient = "" if entry.differentiable else " (no gradient)"
            parts += [f"### `{entry.name}`{gradient} {{#{anchor(entry.name)}}}", "", doc, ""]
    return "\n".join(parts)


def anchor(name: str) -> str:
    """The id of an op's section on the page (`op-sum`: not `sum`, which a heading may take)."""
    return f"op-{name}"


def public_names() -> list[str]:
    """typedprop's public names: what its `__init__.py` re-exports (`from .x import a as a`),
    submodules left out, in that order."""
    import typedprop

    tree = ast.parse(inspect.getsource(typedprop))
    names = [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level > 0
        for alias in node.names
        if alias.asname == alias.name
    ]
    return [n for n in dict.fromkeys(names) if not inspect.ismodule(getattr(typedprop, n))]


def api_members() -> str:
    """mkdocstrings' directive for `typedprop` and its public names."""
    lines = ["::: typedprop", "    options:", "      members:"]
    return "\n".join(lines + [f"        - {name}" for name in public_names()])


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    markdown = markdown.replace(MARKER, op_library())
    return markdown.replace(API_MARKER, api_members())
