"""`typedprop.mypy_plugin` apart from its corpus: the pure binding logic, and what it says where
it cannot check (an unsupported mypy, a missing internal, a failing hook), once and never in
silence."""

import contextlib
from pathlib import Path

import pytest
from mypy import api

from typedprop.mypy_plugin import internals, plugin
from typedprop.mypy_plugin.binding import Shape, bind, output_sizes, parse_spec, shape, shape_from
from typedprop.mypy_plugin.hooks import TypedpropPlugin
from typedprop.mypy_plugin.report import UnsupportedPlugin
from typedprop.mypy_plugin.sizes import Size, parse_size

from support import environment

# ---------------------------------------------------------------------------------------------
# Binding, as values
# ---------------------------------------------------------------------------------------------


def test_parse_spec_reads_the_shared_parser() -> None:
    spec = parse_spec("m *batch 3 #n")
    assert spec is not None
    assert (spec.head, spec.variadic, spec.tail) == (
        (Size.named("m"),),
        "batch",
        (Size.of(3), None),
    )
    two_h = parse_spec("batch 2*hidden")
    assert two_h is not None and two_h.head[1] == 2 * Size.named("hidden")
    assert parse_spec("... n") is not None and parse_spec("... n").variadic == ""  # type: ignore[union-attr]
    assert parse_spec("_4") is None  # jaxtyping refuses it


def test_bind_gives_mismatches_as_values() -> None:
    w, x, b = parse_spec("o i"), parse_spec(" i"), parse_spec(" o")
    assert w is not None and x is not None and b is not None
    params = [
        ('argument "w"', w, shape(300, 784)),
        ('argument "x"', x, shape(784)),
        ('argument "b"', b, shape(30)),
    ]
    binding, mismatches = bind(params, 'call to "linear"')
    assert [str(m) for m in mismatches] == [
        'Dimension mismatch in call to "linear": dimension o: 30 (argument "b", axis 0) vs 300 '
        '(argument "w", axis 0)'
    ]
    assert output_sizes(b, binding) == [Size.of(300)]


def test_bind_reports_a_fixed_size_once() -> None:
    spec = parse_spec("3 n")
    assert spec is not None
    _, mismatches = bind([('argument "x"', spec, shape(4, 2))] * 2, 'call to "f"')
    assert [m.detail for m in mismatches] == [
        'axis 0 of argument "x" is 4, but its hint fixes it to 3'
    ]


def test_unknown_sizes_bind_nothing() -> None:
    spec = parse_spec("m n")
    assert spec is not None
    binding, mismatches = bind([('argument "x"', spec, shape_from(None, None))], 'call to "f"')
    assert mismatches == [] and binding.sizes == {}
    assert shape_from((None, 4), spec) == Shape((Size.named("m"), Size.of(4)), (), True)
    assert shape_from(None, parse_spec("2 _")) == shape(2, None)


def test_sizes_are_normalised_so_equal_expressions_compare_equal() -> None:
    h, n, m = Size.named("h"), Size.named("n"), Size.named("m")
    assert h + h == 2 * h and parse_size("n+m") == m + n
    assert parse_size("2*(a+1)") == parse_size("2*a+2")
    assert str(parse_size("h*w")) == "h*w" and str(2 * h + 1) == "2*h+1"
    assert (n + n).differs(n) and (n + 1).differs(n) and not n.differs(m)
    assert parse_size("784") == Size.of(784) and parse_size("n/2") is None


def test_names_are_rigid_only_in_their_own_function() -> None:
    from typedprop.mypy_plugin.sizes import qualify

    n, m = qualify(Size.named("n"), "mod.f"), qualify(Size.named("m"), "mod.f")
    assert n.differs(m, rigid="mod.f")  # f must be right for every n and m
    assert not n.differs(m, rigid="mod.g") and not n.differs(m)
    assert str(n) == "n"


# ---------------------------------------------------------------------------------------------
# Versions and internals
# ---------------------------------------------------------------------------------------------


def test_the_supported_mypy_gets_the_plugin() -> None:
    assert internals.problem("2.4.1") is None
    assert plugin("2.4.1") is TypedpropPlugin


@pytest.mark.parametrize("version", ["2.5.0", "2.3.9", "1.19.0", "3.0.0+dev.abc", "unknown"])
def test_another_mypy_gets_a_plugin_that_says_so(version: str) -> None:
    cls = plugin(version)
    assert issubclass(cls, UnsupportedPlugin)
    message = internals.unsupported_message(cls.reason)
    assert ">=2.4,<2.5" in message and version in message


def test_a_missing_internal_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    assert internals.missing_internals() == []
    needed = (*internals._NEEDED, ("mypy.checker", "TypeChecker", "no_such_method"))
    monkeypatch.setattr(internals, "_NEEDED", needed)
    reason = internals.problem("2.4.1")
    assert reason is not None and "mypy.checker.TypeChecker.no_such_method" in reason
    assert issubclass(plugin("2.4.1"), UnsupportedPlugin)


def test_jaxtyping_kinds_are_read_from_jaxtyping() -> None:
    kinds = internals.jaxtyping_kinds()
    assert {"Float", "Int", "Shaped", "Bool", "Key", "UInt8"} <= kinds
    assert "AbstractDtype" not in kinds


# ---------------------------------------------------------------------------------------------
# What mypy prints: once, an error naming the range (or a note), never nothing
# ---------------------------------------------------------------------------------------------

_UNSUPPORTED = """\
from typedprop.mypy_plugin import plugin as real


def plugin(version):
    return real("2.5.0")
"""

_BROKEN = """\
from typedprop.mypy_plugin.hooks import TypedpropPlugin


def _fail(ctx):
    raise RuntimeError("boom")


class Broken(TypedpropPlugin):
    def _function_hook(self, fullname):
        if fullname.endswith(".f"):
            return _fail, True
        return super()._function_hook(fullname)


def plugin(version):
    return Broken
"""

# Not print: an overloaded callee is tried with its errors thrown away, where the plugin waits.
_CODE = """\
def f(a: int) -> int:
    return a


f(1)
f(2)
"""


def _mypy(
    tmp: Path, plugin_source: str, name: str, extra: str = "", crash: bool = False
) -> tuple[str, int]:
    (tmp / f"{name}.py").write_text(plugin_source)
    (tmp / "a.py").write_text(_CODE)
    (tmp / "b.py").write_text(_CODE)
    config = tmp / "mypy.ini"
    config.write_text(f"[mypy]\nplugins = {tmp / name}.py\n{extra}")
    with contextlib.chdir(tmp):
        stdout, stderr, status = api.run(
            ["--config-file", str(config), "--no-incremental", "--no-pretty", "a.py", "b.py"]
        )
    if crash:
        return stdout + stderr, status
    assert not stderr, stderr
    return stdout, status


def _reports(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if ": error: " in line or ": note: " in line]


def test_an_unsupported_mypy_is_reported_once_as_an_error(tmp_path: Path) -> None:
    with environment(TYPEDPROP_PLUGIN_UNSUPPORTED=""):
        stdout, status = _mypy(tmp_path, _UNSUPPORTED, "unsupported_plugin")
    reports = _reports(stdout)
    assert status == 1 and len(reports) == 1, stdout
    assert reports[0].removeprefix("b.py").removeprefix("a.py") == (
        ":1: error: typedprop.mypy_plugin supports mypy >=2.4,<2.5, and this is mypy 2.5.0: "
        "jaxtyping dimensions are not checked (TYPEDPROP_PLUGIN_UNSUPPORTED=note makes this a "
        "note)  [typedprop-plugin]"
    )


def test_a_setting_makes_it_a_note(tmp_path: Path) -> None:
    with environment(TYPEDPROP_PLUGIN_UNSUPPORTED="note"):
        stdout, status = _mypy(tmp_path, _UNSUPPORTED, "unsupported_plugin")
    reports = _reports(stdout)
    assert status == 0 and len(reports) == 1 and ": note: typedprop.mypy_plugin" in reports[0]
    section = "\n[typedprop-mypy]\nunsupported = note\n"
    with environment(TYPEDPROP_PLUGIN_UNSUPPORTED=""):
        stdout, status = _mypy(tmp_path, _UNSUPPORTED, "unsupported_plugin", section)
    reports = _reports(stdout)
    assert status == 0 and len(reports) == 1 and ": note: typedprop.mypy_plugin" in reports[0]


def test_a_failing_hook_is_reported_once_and_mypy_goes_on(tmp_path: Path) -> None:
    with environment(TYPEDPROP_PLUGIN_STRICT="", TYPEDPROP_PLUGIN_UNSUPPORTED=""):
        stdout, status = _mypy(tmp_path, _BROKEN, "broken_plugin")
    reports = _reports(stdout)
    assert status == 1 and len(reports) == 1, stdout
    assert reports[0].removeprefix("b.py").removeprefix("a.py") == (
        ":5: error: typedprop.mypy_plugin failed here (RuntimeError: boom) and checks no "
        "dimension there: a bug, please report it (TYPEDPROP_PLUGIN_STRICT=1 shows the "
        "traceback)  [typedprop-plugin]"
    )


def test_strict_raises(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with environment(TYPEDPROP_PLUGIN_STRICT="1"):
        output, status = _mypy(tmp_path, _BROKEN, "broken_plugin", crash=True)
    captured = capsys.readouterr()
    output += captured.out + captured.err
    assert status == 2 and "INTERNAL ERROR" in output, output


# ---------------------------------------------------------------------------------------------
# The shape rules, as values
# ---------------------------------------------------------------------------------------------


def test_broadcasting_stretches_size_one_and_adds_axes() -> None:
    from typedprop.mypy_plugin.rules import Arg, broadcast

    out = broadcast('operator "+"', [Arg("left operand", shape(32, 1, 4)), Arg("r", shape(5, 4))])
    assert out.shape == shape(32, 5, 4) and out.mismatches == []
    bad = broadcast(
        'operator "+"', [Arg("left operand", shape(3, 4)), Arg("right operand", shape(5))]
    )
    assert [m.detail for m in bad.mismatches] == [
        "axes do not broadcast: 4 (left operand, axis 1) vs 5 (right operand, axis 0)"
    ]
    # A name may be 1 at run time: not a mismatch, and the size is not known.
    named = broadcast("f", [Arg("a", shape("n")), Arg("b", shape(5))])
    assert named.mismatches == [] and named.shape == shape(5)


def test_matmul_broadcasts_batch_axes_and_promotes_vectors() -> None:
    from typedprop.mypy_plugin.rules import Arg, matmul

    assert matmul("f", Arg("a", shape(8, 1, 3, 4)), Arg("b", shape(5, 4, 2))).shape == shape(
        8, 5, 3, 2
    )
    assert matmul("f", Arg("a", shape(4)), Arg("b", shape(4, 2))).shape == shape(2)
    assert matmul("f", Arg("a", shape(3, 4)), Arg("b", shape(4))).shape == shape(3)
    assert matmul("f", Arg("a", shape(3, 4)), Arg("b", shape(5))).mismatches


def test_shape_rules_do_arithmetic_on_sizes() -> None:
    from typedprop.mypy_plugin.rules import Arg, einsum, join, reshape

    h = Size.named("h")
    joined = join("f", [Arg("a", shape(8, "h")), Arg("b", shape(8, "h"))], 1, new=False)
    assert joined.shape == shape(8, 2 * h)
    assert reshape("f", Arg("x", shape(32, 28, 28)), (Size.of(32), Size.of(-1))).shape == shape(
        32, 784
    )
    bad = reshape("f", Arg("x", shape(8, 8)), (Size.of(784),))
    assert [m.detail for m in bad.mismatches] == [
        "cannot reshape x of shape (8, 8) (64 elements) to (784,) (784 elements)"
    ]
    e = einsum("f", "bi,io->bo", [Arg("a", shape(32, 784)), Arg("b", shape(300, 784))])
    assert [m.detail for m in e.mismatches] == ["label i: 300 (b, axis 0) vs 784 (a, axis 1)"]


def test_in_place_operators_keep_the_left_shape() -> None:
    from typedprop.mypy_plugin.rules import Arg, in_place

    fits = in_place('operator "+="', Arg("left operand", shape(3, 4)), Arg("r", shape(4)))
    assert fits.shape == shape(3, 4) and fits.mismatches == []
    grows = in_place(
        'operator "+="', Arg("left operand", shape(4)), Arg("right operand", shape(3, 4))
    )
    assert [m.detail for m in grows.mismatches] == [
        "the result does not fit in place: right operand has 2 axes, left operand 1"
    ]
    stretched = in_place(
        'operator "*="', Arg("left operand", shape(1, 4)), Arg("right operand", shape(3, 4))
    )
    assert [m.detail for m in stretched.mismatches] == [
        "the result does not fit in place: axis 0 of left operand is 1, of the result 3"
    ]


def test_an_integer_index_array_takes_rows() -> None:
    from typedprop.mypy_plugin.rules import ELLIPSIS, Arg, IndexArray, Slice, getitem

    rows = IndexArray(shape(16))
    assert getitem("indexing", Arg("x", shape(32, 10)), [rows]).shape == shape(16, 10)
    columns = [Slice(None, None, None), IndexArray(shape(2, 3))]
    assert getitem("indexing", Arg("x", shape(32, 10)), columns).shape == shape(32, 2, 3)
    last = [ELLIPSIS, IndexArray(shape(5))]
    assert getitem("indexing", Arg("x", shape(4, 6, 10)), last).shape == shape(4, 6, 5)
    # With an int too, numpy's placement rules apply: not known.
    assert getitem("indexing", Arg("x", shape(4, 6)), [0, rows]).shape is None
