"""Static shapes: the corpus of `typedprop.mypy_plugin`, and the runtime side of `shapecheck`.

The corpus is `tests/plugin_cases/*.py`: files that mypy checks and nothing runs. Each case is a
function (at the top level or in a class) whose name starts with `case_`; a comment at the end of
a line says what mypy reports there, exactly:

    ops.matvec(w, x)  # E: Dimension mismatch in call to "matvec": ...  [dim-mismatch]
    reveal_type(y)  # N: Revealed type is "numpy.ndarray[tuple[Literal[300]], ...]"

- `reject_*.py`: each case has at least one `# E:` line; mypy reports exactly the marked
  errors and notes inside it.
- `accept_*.py`: no `# E:`; mypy reports no error inside a case, and exactly the marked notes.
- `known_holes.py`: calls a complete static check would reject and the plugin accepts (each says
  why); no error either, so that closing a hole fails its test and moves it to a reject file.

mypy runs twice over the folder, in-process through `mypy.api.run`, with `mypy.ini`'s options:
once with the plugin (every case), once without it (no error anywhere: without the plugin,
mypy behaves as before). Caches live under `.mypy_cache/test_mypy_plugin/`.
"""

import ast
import configparser
import contextlib
import copy
import os
import pickle
import re
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest
from jaxtyping import Float
from mypy import api
from mypy.version import __version__ as mypy_version

import typedprop as tp
from typedprop import Mat, Vec, optim

REPO = Path(__file__).resolve().parents[1]
CASES = REPO / "tests" / "plugin_cases"
CONFIG = REPO / "mypy.ini"
CACHE = REPO / ".mypy_cache" / "test_mypy_plugin"

_MARKER = re.compile(r"^#\s*(?P<kind>[EN]):\s(?P<text>.*?)\s*$")
_REPORT = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): (?P<kind>error|note): (?P<text>.*)$")


@dataclass(frozen=True)
class Case:
    file: str
    name: str
    first: int  # first line (its first decorator's)
    last: int
    errors: frozenset[tuple[int, str]]  # (line, message  [code]) marked with `# E:`
    notes: frozenset[tuple[int, str]]  # (line, message) marked with `# N:`

    @property
    def id(self) -> str:
        return f"{self.file}::{self.name}"

    @property
    def kind(self) -> str:
        return self.file.split("_")[0].removesuffix(".py")


def _markers(path: Path) -> tuple[dict[int, str], dict[int, str]]:
    errors: dict[int, str] = {}
    notes: dict[int, str] = {}
    with tokenize.open(path) as f:
        for tok in tokenize.generate_tokens(f.readline):
            if tok.type != tokenize.COMMENT:
                continue
            m = _MARKER.match(tok.string)
            if m is not None:
                (errors if m["kind"] == "E" else notes)[tok.start[0]] = m["text"]
    return errors, notes


def _collect() -> list[Case]:
    cases: list[Case] = []
    for path in sorted(CASES.glob("*.py")):
        errors, notes = _markers(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        scopes = [tree.body] + [n.body for n in tree.body if isinstance(n, ast.ClassDef)]
        for body in scopes:
            for node in body:
                if isinstance(node, ast.FunctionDef) and node.name.startswith("case_"):
                    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                    last = node.end_lineno or node.lineno
                    span = range(first, last + 1)
                    cases.append(
                        Case(
                            path.name,
                            node.name,
                            first,
                            last,
                            frozenset((n, t) for n, t in errors.items() if n in span),
                            frozenset((n, t) for n, t in notes.items() if n in span),
                        )
                    )
    return cases


CASES_FOUND = _collect()


@dataclass(frozen=True)
class Report:
    file: str
    line: int
    kind: str
    text: str


@dataclass(frozen=True)
class Run:
    stdout: str
    stderr: str
    status: int
    reports: tuple[Report, ...]

    def __repr__(self) -> str:
        return f"Run(status={self.status}, {len(self.reports)} reports)"

    @property
    def text(self) -> str:
        return f"mypy exit status {self.status}\n{self.stdout}\n{self.stderr}"


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _run(tmp: Path, plugin: bool) -> Run:
    """mypy over the corpus with mypy.ini's options (less `files`), with or without the plugin."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(CONFIG, encoding="utf-8")
    parser.remove_option("mypy", "files")
    parser.set("mypy", "mypy_path", f"{REPO / 'stubs'},{REPO / 'src'}")
    if plugin:
        parser.set("mypy", "plugins", "typedprop.mypy_plugin")
    else:
        parser.remove_option("mypy", "plugins")
    config = tmp / ("plugin.ini" if plugin else "plain.ini")
    with config.open("w", encoding="utf-8") as f:
        parser.write(f)
    cache = CACHE / ("plugin" if plugin else "plain")
    # A failing hook raises instead of falling back to mypy's own answer.
    with contextlib.chdir(REPO), _environment(TYPEDPROP_PLUGIN_STRICT="1"):
        stdout, stderr, status = api.run(
            ["--config-file", str(config), "--cache-dir", str(cache), "--no-pretty"]
            + ["--hide-error-context", str(CASES.relative_to(REPO))]
        )
    reports = []
    for line in stdout.splitlines():
        m = _REPORT.match(line)
        if m is not None:
            reports.append(Report(Path(m["path"]).name, int(m["line"]), m["kind"], m["text"]))
    return Run(stdout, stderr, status, tuple(reports))


@pytest.fixture(scope="session")
def with_plugin(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return _run(tmp_path_factory.mktemp("plugin"), plugin=True)


@pytest.fixture(scope="session")
def without_plugin(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return _run(tmp_path_factory.mktemp("plain"), plugin=False)


def test_the_corpus_is_large_enough() -> None:
    kinds = [c.kind for c in CASES_FOUND]
    assert kinds.count("reject") >= 30, kinds.count("reject")
    assert kinds.count("accept") >= 30, kinds.count("accept")


def test_markers_belong_to_cases() -> None:
    """Every `# E:` and `# N:` marker is inside a case, and only reject cases expect errors."""
    inside = {(c.file, n) for c in CASES_FOUND for n, _ in c.errors | c.notes}
    stray = []
    for path in sorted(CASES.glob("*.py")):
        errors, notes = _markers(path)
        stray += [f"{path.name}:{n}" for n in {**errors, **notes} if (path.name, n) not in inside]
    assert not stray, f"markers outside any case: {stray}"
    for case in CASES_FOUND:
        assert (case.kind == "reject") == bool(case.errors), case.id


def test_no_report_outside_cases(with_plugin: Run) -> None:
    assert with_plugin.status in (0, 1), with_plugin.text
    spans = {(c.file, n) for c in CASES_FOUND for n in range(c.first, c.last + 1)}
    stray = [r for r in with_plugin.reports if (r.file, r.line) not in spans]
    assert not stray, "reports outside the cases:\n" + "\n".join(map(str, stray))


@pytest.mark.parametrize("case", CASES_FOUND, ids=[c.id for c in CASES_FOUND])
def test_case(case: Case, with_plugin: Run) -> None:
    assert with_plugin.status in (0, 1), with_plugin.text
    inside = [
        r for r in with_plugin.reports if r.file == case.file and case.first <= r.line <= case.last
    ]
    errors = {(r.line, r.text) for r in inside if r.kind == "error"}
    notes = {(r.line, r.text) for r in inside if r.kind == "note"}

    def show(items: set[tuple[int, str]] | frozenset[tuple[int, str]]) -> str:
        return "\n".join(f"  {line}: {text}" for line, text in sorted(items)) or "  (nothing)"

    assert errors == case.errors, f"expected errors:\n{show(case.errors)}\nmypy:\n{show(errors)}"
    assert notes == case.notes, f"expected notes:\n{show(case.notes)}\nmypy:\n{show(notes)}"


def test_without_the_plugin_nothing_is_reported(without_plugin: Run) -> None:
    """Without the plugin, mypy reports none of the dimension errors (and no other error)."""
    assert without_plugin.status == 0, without_plugin.text
    assert not [r for r in without_plugin.reports if r.kind == "error"]


def test_mypy_version_is_the_tested_one() -> None:
    """The plugin API is unstable: the corpus was run on mypy 2.4 (pyproject pins `<2.5`)."""
    assert mypy_version.startswith("2.4."), mypy_version


# ---------------------------------------------------------------------------------------------
# The runtime side: the same hints, checked by jaxtyping and beartype
# ---------------------------------------------------------------------------------------------


@tp.shapecheck
def _dense(w: Float[Mat, "o i"], x: Float[Vec, " i"]) -> Float[Vec, " o"]:
    return w @ x


@tp.shapecheck
def _wrong(x: Float[Vec, " n"]) -> Float[Vec, " n"]:
    return np.ones(3)


@tp.shapecheck
def _bvar_dense(
    w: tp.BVar[Float[Mat, "o i"]], x: tp.BVar[Float[Vec, " i"]]
) -> tp.BVar[Float[Vec, " o"]]:
    return tp.ops.matvec(w, x)


class _Model:
    @tp.shapecheck
    def __call__(self, x: Float[Vec, " 4"]) -> Float[Vec, " 2"]:
        return np.ones(2) * x.sum()


def test_shapecheck_binds_dimensions_across_arguments() -> None:
    assert _dense(np.ones((2, 3)), np.ones(3)).shape == (2,)
    with pytest.raises(tp.CheckError) as e:
        _dense(np.ones((2, 3)), np.ones(4))
    assert str(e.value) == (
        "_dense: argument 'x' has shape (4,) and dtype float64, which does not fit "
        "Float[ndarray, 'i'] (dimension i: 4 (argument 'x', axis 0) vs 3 (argument 'w', axis 1))"
    )


def test_shapecheck_checks_the_return_value() -> None:
    assert _wrong(np.ones(3)).shape == (3,)
    with pytest.raises(tp.CheckError, match=r"_wrong: the return value has shape \(3,\)"):
        _wrong(np.ones(4))
    # A check that passed is remembered per shape; a new shape is checked again.
    with pytest.raises(tp.CheckError, match="the return value"):
        _wrong(np.ones(5))


def test_shapecheck_follows_the_switch() -> None:
    with tp.checks(False):
        assert _dense(np.ones((2, 3)), np.ones(3)).shape == (2,)
        with pytest.raises(ValueError):  # numpy's own error: no CheckError
            _dense(np.ones((2, 3)), np.ones(4))


def test_shapecheck_checks_bvar_values() -> None:
    g = tp.grad(lambda w: tp.ops.sum(_bvar_dense(w, tp.constant(np.ones(3)))), np.ones((2, 3)))
    assert g.shape == (2, 3)
    with pytest.raises(tp.CheckError, match="dimension i: 4"):
        tp.grad(lambda w: tp.ops.sum(_bvar_dense(w, tp.constant(np.ones(4)))), np.ones((2, 3)))


def test_shapecheck_on_dunder_call() -> None:
    assert _Model()(np.ones(4)).shape == (2,)
    with pytest.raises(tp.CheckError, match="__call__: argument 'x' has shape"):
        _Model()(np.ones(5))


@tp.shapecheck
class _Layer(NamedTuple):
    w: Float[Mat, "out in"]
    b: Float[Vec, " out"]


@tp.shapecheck
@dataclass
class _Recurrent:
    w: Float[Mat, "h h"]
    u: Float[Vec, " h"]


def test_shapecheck_on_a_namedtuple_checks_its_constructor() -> None:
    layer = _Layer(np.ones((2, 3)), np.zeros(2))
    assert type(layer) is _Layer and layer.b.shape == (2,)
    with pytest.raises(tp.CheckError) as e:
        _Layer(np.ones((2, 3)), b=np.zeros(3))
    assert str(e.value) == (
        "_Layer: argument 'b' has shape (3,) and dtype float64, which does not fit "
        "Float[ndarray, 'out'] (dimension out: 3 (argument 'b', axis 0) vs 2 (argument 'w', "
        "axis 0))"
    )
    with tp.checks(False):
        assert _Layer(np.ones((2, 3)), np.zeros(3)).b.shape == (3,)


def test_shapecheck_on_a_dataclass_checks_its_constructor() -> None:
    assert _Recurrent(np.eye(2), np.zeros(2)).w.shape == (2, 2)
    with pytest.raises(tp.CheckError) as e:
        _Recurrent(np.ones((2, 3)), np.zeros(2))
    assert str(e.value).endswith(
        "(dimension h: 3 (argument 'w', axis 1) vs 2 (argument 'w', axis 0))"
    )
    with pytest.raises(tp.CheckError, match=r"_Recurrent: argument 'u' has shape \(3,\)"):
        _Recurrent(w=np.eye(2), u=np.zeros(3))


def test_checked_structures_are_rebuilt_without_a_check() -> None:
    """Gradients and optimizer steps rebuild a structure without calling its constructor: one
    check at construction, none per step (and pickling goes through the constructor)."""
    layer = _Layer(np.ones((2, 3)), np.zeros(2))
    rnn = _Recurrent(np.eye(2), np.zeros(2))
    g = tp.grad(lambda p: tp.ops.sum(p.unpack()[1]), layer)
    assert type(g) is _Layer and g.w.shape == (2, 3)
    assert type(tp.grad(lambda p: tp.ops.sum(p.view(lambda r: r.u)), rnn)) is _Recurrent
    assert type(optim.SGD(layer, lr=0.1).step(layer, g)) is _Layer
    assert pickle.loads(pickle.dumps(layer)).w.shape == (2, 3)
    assert copy.deepcopy(rnn).u.shape == (2,)
    assert _Layer._make([np.ones(2), np.ones(5)]).b.shape == (5,)  # _make: no check


def test_shapecheck_refuses_other_classes() -> None:
    class Plain:
        w: Float[Mat, "m n"]

    with pytest.raises(
        TypeError, match="Plain is a class but neither a NamedTuple nor a dataclass"
    ):
        tp.shapecheck(Plain)


def test_constructors() -> None:
    assert tp.zeros(2, 3).shape == (2, 3) and tp.zeros(2, 3).dtype == np.float64
    assert np.array_equal(tp.ones(3), np.ones(3))
    w = tp.normal(200, 100, loc=1.0, scale=0.5, rng=0)
    assert w.shape == (200, 100) and abs(w.mean() - 1.0) < 0.01 and abs(w.std() - 0.5) < 0.01
    assert np.array_equal(tp.normal(3, rng=1), tp.normal(3, rng=np.random.default_rng(1)))
    with pytest.raises(TypeError, match=r"pass the sizes as separate arguments"):
        tp.zeros((2, 3))  # type: ignore[call-overload]


# Each example that writes static sizes, a mistake in them, and mypy's message, which the
# example's docstring quotes.
_MISTAKES = {
    "static_sizes.py": (
        [("tp.normal(HIDDEN2, HIDDEN1, rng=0)", "tp.normal(HIDDEN1, HIDDEN2, rng=0)")],
        'error: Dimension mismatch in call to "dense": dimension in: 300 (argument "x", axis 0) '
        'vs 100 (argument "w", axis 1)  [dim-mismatch]',
    ),
    "brief.py": (
        [("w2=tp.normal(OUTPUTS, HIDDEN,", "w2=tp.normal(OUTPUTS, INPUTS,")],
        'error: Dimension mismatch in call to "Params": dimension n: 8 (argument "w2", axis 1) '
        'vs 5 (argument "w1", axis 0)  [dim-mismatch]',
    ),
    "mnist.py": (
        [
            ("import HIDDEN1, PIXELS", "import HIDDEN1, HIDDEN2, PIXELS"),
            ("rng=seed), tp.zeros(HIDDEN1))", "rng=seed), tp.zeros(HIDDEN2))"),
        ],
        'error: Dimension mismatch in call to "Layer": dimension out: 100 (argument "b", axis 0) '
        'vs 300 (argument "w", axis 0)  [dim-mismatch]',
    ),
}


def test_the_examples_static_sizes_catch_what_their_docstrings_say(tmp_path: Path) -> None:
    """Each mistake, made in a copy of its example, is rejected by a real mypy run with the
    message the example quotes; the examples themselves pass (`mypy.ini` checks them)."""
    for name, (edits, message) in _MISTAKES.items():
        source = (REPO / "examples" / name).read_text()
        assert message.removeprefix("error: ") in source, f"{name} quotes another message"
        for old, new in edits:
            assert source.count(old) == 1, f"{name}: {old!r}"
            source = source.replace(old, new)
        (tmp_path / f"wrong_{name}").write_text(source)
    stdout, _, status = api.run(["--config-file", str(CONFIG), "--no-incremental", str(tmp_path)])
    assert status == 1
    errors = [line for line in stdout.splitlines() if ": error: " in line]
    for name, (_, message) in _MISTAKES.items():
        assert any(f"wrong_{name}:" in line and line.endswith(message) for line in errors), name
