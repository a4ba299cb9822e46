"""The documentation site (`mkdocs.yml`, `docs/`): every page's examples run and show what they
say, the output of the commands it shows is theirs, and its generated parts follow the code.

A page is read as a reader would use it:

- its ```python blocks with `>>>` prompts are one doctest session, run in order (a later
  example uses an earlier one's names);
- a ```python block without prompts and without a title runs as a script, on its own;
- a block with a title (```python title="example.py"```, ```ini title="mypy.ini"```) is a
  file: the page's files are written to an empty folder, and each command of the page's
  ```console blocks runs there. A command is a line `$ mypy ...` or `$ python ...` (run with
  this interpreter), and the lines after it, up to the next command, are its output: stdout and
  stderr as one, compared exactly. A command that runs mypy is a `static` test.

README.md's and the docstrings' examples are run by `test_docs.py`; `mkdocs build --strict`
(in `.ci/run`, with the `docs` extra) builds the site itself.
"""

import doctest
import importlib.util
import os
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

import typedprop
from typedprop.ops import _registry

from support import skip_without_extras

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))
# A fenced block: its opening line's words (language, title), and its text.
FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=indent)```", re.M | re.S
)
TITLE = re.compile(r'title="(?P<title>[^"]+)"')


def _blocks(page: str) -> list[tuple[str, str | None, str]]:
    """The fenced blocks of `page`: (language, title or None, text), in order."""
    found = []
    for m in FENCE.finditer((DOCS / page).read_text()):
        words = m["info"].split(maxsplit=1)
        title = TITLE.search(m["info"])
        text = textwrap.dedent(m["body"])  # a block in a list item is indented
        found.append((words[0] if words else "", title["title"] if title else None, text))
    return found


def _commands(page: str) -> list[tuple[str, str]]:
    """The commands of `page`'s ```console blocks, each with the output it shows."""
    found: list[tuple[str, str]] = []
    for language, _, text in _blocks(page):
        if language != "console":
            continue
        for line in text.splitlines():
            if line.startswith("$ "):
                found.append((line[2:], ""))
            else:
                assert found, f"{page}: a console block must start with a command"
                command, out = found[-1]
                found[-1] = (command, out + line + "\n")
    return found


COMMANDS = [
    pytest.param(
        page,
        command,
        out,
        id=f"{page}: {command}",
        marks=[pytest.mark.static] if command.split()[0] == "mypy" else [],
    )
    for page in PAGES
    for command, out in _commands(page)
]


@pytest.mark.parametrize("page", PAGES)
def test_page_examples(page: str) -> None:
    text = (DOCS / page).read_text()
    skip_without_extras(text, page)
    globs: dict[str, object] = {"__name__": "__docs__"}
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    for i, (language, title, text) in enumerate(_blocks(page)):
        if language != "python" or title is not None:
            continue
        where = f"{page}#{i}"
        if ">>>" not in text:
            exec(compile(text, where, "exec"), {"__name__": "__docs__"})
            continue
        test = doctest.DocTestParser().get_doctest(text, globs, where, where, 0)
        runner = doctest.DocTestRunner(optionflags=flags)
        out: list[str] = []
        runner.run(test, out=out.append, clear_globs=False)
        assert runner.failures == 0, "".join(out)
        globs = test.globs  # the session goes on with the names defined so far


@pytest.mark.parametrize(("page", "command", "expected"), COMMANDS)
def test_command_output(page: str, command: str, expected: str, tmp_path: Path) -> None:
    for _, title, text in _blocks(page):
        if title is not None:
            (tmp_path / title).write_text(text)
    program, *args = shlex.split(command)
    if program == "python":
        argv = [sys.executable, *args]
    elif program == "mypy":
        argv = [sys.executable, "-m", "mypy", *args]
    else:
        raise AssertionError(f"{page}: the docs run `mypy` and `python` only, not {program!r}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TYPEDPROP_", "MYPY"))}
    # stdout and stderr in the order they are written; mypy's cache kept between runs.
    env |= {"PYTHONUNBUFFERED": "1", "MYPY_CACHE_DIR": str(ROOT / ".mypy_cache" / "docs")}
    done = subprocess.run(
        argv,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
    )
    got = "".join(line.rstrip() + "\n" for line in done.stdout.rstrip().splitlines())
    assert got == expected, f"`{command}` on {page} printed:\n{done.stdout}"


def test_the_pages_run_commands() -> None:
    # The static-shapes page and the tutorial show mypy's own output.
    pages = {page for page, command, _ in (p.values for p in COMMANDS) if "mypy" in command}
    assert {"static-shapes.md", "tutorial.md"} <= pages


# ---------------------------------------------------------------------------------------------
# The generated parts (docs/hooks.py), without mkdocs
# ---------------------------------------------------------------------------------------------


def _hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_hooks", DOCS / "hooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_op_library_page_is_the_registry() -> None:
    hooks = _hooks()
    page = (DOCS / "ops.md").read_text()
    assert page.count(hooks.MARKER) == 1
    generated = hooks.on_page_markdown(page, page=None)
    assert hooks.MARKER not in generated
    # The README's table, each op a link to its section.
    unlinked = re.sub(r"\[(`\w+`)\]\(#op-\w+\)", r"\1", generated)
    assert _registry.readme_table() in unlinked
    headings = re.findall(r"^### `(\w+)`.* \{#op-(\w+)\}$", generated, re.M)
    assert headings == [(e.name, e.name) for e in _registry.entries()]
    assert generated.count("](#op-") == len(headings)
    for family in _registry.FAMILIES:
        assert f"\n## {family.heading}\n" in generated


def test_the_api_reference_lists_the_public_names() -> None:
    hooks = _hooks()
    page = (DOCS / "reference" / "typedprop.md").read_text()
    assert page.count(hooks.API_MARKER) == 1
    names = hooks.public_names()
    assert {"backprop", "grad", "trace", "BVar", "Op", "shapecheck", "CheckError"} <= set(names)
    assert all(not name.startswith("_") and hasattr(typedprop, name) for name in names)
    members = hooks.on_page_markdown(page, page=None)
    assert all(f"        - {name}\n" in members + "\n" for name in names)


def test_every_page_is_in_the_nav() -> None:
    config = (ROOT / "mkdocs.yml").read_text()
    nav = re.findall(r"^\s+- .*?(\S+\.md)$", config, re.M)
    assert sorted(nav) == PAGES
