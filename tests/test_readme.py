"""The README's quick start is what CI runs, and the README is written for its readers."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bash_lines() -> list[str]:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", text, re.DOTALL)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    commands = [line for line in _bash_lines() if "pytest" in line]
    assert len(commands) == 1, commands
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert commands[0] in ci
    # After it, only the second run with the lowest supported versions (test_metadata.py).
    after = ci[ci.index(commands[0]) + 1 :]
    runs = [line for line in after if "pytest" in line]
    assert runs == ['.venv-lowest/bin/python -m pytest -m "not static" -p no:cacheprovider']


def test_the_quick_start_has_two_commands_that_install() -> None:
    quick = (ROOT / "README.md").read_text().split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [
        line
        for block in re.findall(r"```bash\n(.*?)```", quick, re.DOTALL)
        for line in block.splitlines()
        if line.strip()
    ]
    assert len(commands) == 2
    assert all("pip install" in c for c in commands)
    assert "typedprop-mnist" in commands[0] and "pytest" in commands[1]


def test_the_readme_names_no_path_outside_the_project() -> None:
    # A reader has the project, not the machine it was written on.
    text = (ROOT / "README.md").read_text()
    assert not re.findall(r"\.\./|/work/|/tmp/|/home/|/root/", text)
