"""Every example in the docs runs and shows what it says.

Examples are the fenced ```python blocks of docstrings (every module, class, function and method
of typedprop) and of README.md and CONTRIBUTING.md. A block with `>>>` prompts runs as a
doctest; a block without runs as a script. The documentation site's pages (`docs/`) are run
by `test_docs_site.py`.
"""

import doctest
import importlib
import importlib.util
import inspect
import pkgutil
import re
import textwrap
from pathlib import Path

import pytest

import typedprop

from support import skip_without_extras

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"```python\n(.*?)```", re.DOTALL)


# The modules that need a library of an extra, by the library.
OPTIONAL = {"typedprop.distributed": "distributed"}


def _docstrings() -> dict[str, str]:
    found: dict[str, str] = {}
    names = [typedprop.__name__] + [
        m.name for m in pkgutil.walk_packages(typedprop.__path__, typedprop.__name__ + ".")
    ]
    for name in names:
        if name in OPTIONAL and importlib.util.find_spec(OPTIONAL[name]) is None:
            continue  # its examples skip in test_example (they import it)
        module = importlib.import_module(name)
        found[name] = inspect.getdoc(module) or ""
        for attr, obj in vars(module).items():
            if getattr(obj, "__module__", None) != name:
                continue
            found[f"{name}.{attr}"] = inspect.getdoc(obj) or ""
            if inspect.isclass(obj):
                for member, value in vars(obj).items():
                    doc = inspect.getdoc(value) if callable(value) else None
                    if doc:
                        found[f"{name}.{attr}.{member}"] = doc
    for page in ("README.md", "CONTRIBUTING.md"):
        found[page] = (ROOT / page).read_text()
    return found


BLOCKS = [
    (f"{where}#{i}", block)
    for where, doc in _docstrings().items()
    for i, block in enumerate(FENCE.findall(doc))
]


def _public(module: object, prefix: str) -> dict[str, object]:
    """The public callables of `module` defined in typedprop (not type aliases), by name."""
    return {
        f"{prefix}.{name}": obj
        for name, obj in vars(module).items()
        if not name.startswith("_")
        and not inspect.ismodule(obj)
        and callable(obj)
        and getattr(obj, "__module__", "").startswith("typedprop")
    }


def test_the_public_api_has_examples() -> None:
    documented = {where.split("#")[0] for where, _ in BLOCKS}
    public = _public(typedprop, "typedprop") | _public(typedprop.ops, "typedprop.ops")
    missing = []
    for name, obj in public.items():
        # Ops are Op instances or functions; an instance is documented by its class.
        where = getattr(obj, "__qualname__", type(obj).__qualname__)
        if f"{obj.__module__}.{where}" not in documented:
            missing.append(name)
    assert not missing, f"no example in the docstring of {', '.join(missing)}"


@pytest.mark.parametrize(("where", "block"), BLOCKS, ids=[w for w, _ in BLOCKS])
def test_example(where: str, block: str) -> None:
    block = textwrap.dedent(block)  # a block inside a markdown list item is indented
    skip_without_extras(block)
    if ">>>" not in block:
        exec(compile(block, where, "exec"), {"__name__": "__docs__"})
        return
    parser = doctest.DocTestParser()
    test = parser.get_doctest(block, {}, where, where, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    out: list[str] = []
    runner.run(test, out=out.append)
    assert runner.failures == 0, "".join(out)
