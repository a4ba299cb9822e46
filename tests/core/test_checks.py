"""Runtime checks (`typedprop._core.checks`): the jaxtyping + beartype layer over each op
(switchable with `tp.checks` and `TYPEDPROP_CHECKS`), dtype kinds and fixed sizes, and the check
cache. Errors are `CheckError`s (also `TypeError`s) naming the op, the argument and the
dimensions. The engine's invariant on gradients is tested with the tape, in
tests/core/test_tape.py."""

import os
import re
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from jaxtyping import Float

import typedprop as tp
from typedprop import Mat, Vec
from typedprop.testing import check_grads

from support import count_checks, loss_through, no_tape

F32 = np.float32


class MatVec(tp.Op[Float[Mat, "m n"], Float[Vec, " n"], Float[Vec, " m"]]):
    name = "matvec"

    def forward(self, w: Mat, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Mat, Vec]]]:
        return w @ x, lambda g: (np.outer(g, x).astype(w.dtype), (w.T @ g).astype(x.dtype))


matvec = MatVec()


class LongOutput(tp.Op[Float[Mat, "m n"], Float[Vec, " n"], Float[Vec, " m"]]):
    """Its output has one entry too many for the declared `m`."""

    name = "long_output"

    def forward(self, w: Mat, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Mat, Vec]]]:
        out = np.append(w @ x, 0.0)
        return out, lambda g: (np.outer(g[:-1], x), w.T @ g[:-1])


# ---------------------------------------------------------------------------------------------
# The jaxtyping layer at an Op subclass
# ---------------------------------------------------------------------------------------------


def test_matvec_works_and_differentiates() -> None:
    rng = np.random.default_rng(0)
    w, x = rng.standard_normal((2, 3)), rng.standard_normal(3)
    np.testing.assert_allclose(matvec(w, x), w @ x)
    gw, gx = tp.grad_n(loss_through(matvec), w, x)
    np.testing.assert_allclose(gw, np.outer(np.ones(2), x))
    np.testing.assert_allclose(gx, w.T @ np.ones(2))
    check_grads(lambda p: loss_through(matvec)(*p.unpack()), (w, x))


def test_dimension_mismatch_names_op_argument_and_dimensions() -> None:
    message = (
        "matvec: argument 'x' has shape (3,) and dtype float64, which does not fit "
        "Float[ndarray, 'n'] (dimension n: 3 (argument 'x', axis 0) vs 4 (argument 'w', axis 1))"
    )
    with pytest.raises(tp.CheckError, match=re.escape(message)) as info:
        matvec(np.ones((2, 4)), np.ones(3))
    assert isinstance(info.value, TypeError)


def test_dimension_mismatch_inside_backprop() -> None:
    with pytest.raises(
        tp.CheckError,
        match=re.escape("dimension n: 3 (argument 'x', axis 0) vs 4 (argument 'w', axis 1)"),
    ):
        tp.grad_n(loss_through(matvec), np.ones((2, 4)), np.ones(3))
    no_tape()


def test_dimension_mismatch_with_bvar_and_constant_mixed() -> None:
    with pytest.raises(tp.CheckError, match=re.escape("matvec: argument 'x' has shape (5,)")):
        tp.grad(lambda w: matvec(w, np.ones(5)) @ np.ones(2), np.ones((2, 3)))
    no_tape()


def test_rank_mismatch() -> None:
    message = (
        "matvec: argument 'w' has shape (2, 3, 1) and dtype float64, which does not fit "
        "Float[ndarray, 'm n'] (expected Float[ndarray, 'm n']: 2 axes, got 3)"
    )
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        matvec(np.ones((2, 3, 1)), np.ones(3))
    with pytest.raises(tp.CheckError, match=re.escape("1 axes, got 0")):
        matvec(np.ones((2, 3)), np.array(1.0))


def test_wrong_dtype() -> None:
    message = (
        "matvec: argument 'w' has shape (2, 3) and dtype int64, which does not fit "
        "Float[ndarray, 'm n']"
    )
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        matvec(np.ones((2, 3), dtype=np.int64), np.ones(3))
    with pytest.raises(tp.CheckError, match=re.escape("argument 'x' has type list")):
        matvec(np.ones((2, 3)), [1.0, 2.0, 3.0])


def test_float32_and_float64_both_fit_float() -> None:
    w, x = np.ones((2, 3), F32), np.ones(3, F32)
    out = matvec(w, x)
    assert out.dtype == F32
    gw, gx = tp.grad_n(loss_through(matvec), w, x)
    assert gw.dtype == F32 and gx.dtype == F32


def test_output_of_the_wrong_shape() -> None:
    message = (
        "long_output: the output has shape (3,) and dtype float64, which does not fit "
        "Float[ndarray, 'm'] (dimension m: 3 (the output, axis 0) vs 2 (argument 'w', axis 0))"
    )
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        LongOutput()(np.ones((2, 3)), np.ones(3))
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad_n(loss_through(LongOutput()), np.ones((2, 3)), np.ones(3))
    no_tape()


def test_wrong_number_of_arguments() -> None:
    with pytest.raises(TypeError, match=re.escape("matvec takes 2 arguments, got 3")):
        matvec(np.ones((2, 3)), np.ones(3), np.ones(3))  # type: ignore[call-overload]


def test_forward_arity_must_match_declared_inputs() -> None:
    with pytest.raises(
        TypeError,
        match=re.escape("Mismatched.forward takes 1 input (x), but the class declares 2"),
    ):

        class Mismatched(tp.Op[Float[Vec, " n"], Float[Vec, " n"], Float[Vec, " n"]]):
            def forward(self, x: Vec) -> Any:  # type: ignore[override]
                return x, lambda g: (g,)


# ---------------------------------------------------------------------------------------------
# Switching the jaxtyping layer
# ---------------------------------------------------------------------------------------------


def test_checks_off_skips_the_jaxtyping_layer() -> None:
    w, x = np.ones((2, 3)), np.ones(3)
    with tp.checks(False):
        # Only the jaxtyping layer knows the output should have m = 2 entries.
        out = LongOutput()(w, x)
        assert out.shape == (3,)
        gw, gx = tp.grad_n(loss_through(LongOutput()), w, x)
        np.testing.assert_allclose(gw, np.outer(np.ones(2), x))
        np.testing.assert_allclose(gx, w.T @ np.ones(2))
        # An int matrix is no longer rejected up front.
        assert matvec(np.ones((2, 3), dtype=np.int64), x).shape == (2,)
    with pytest.raises(tp.CheckError, match=re.escape("long_output: the output has shape (3,)")):
        LongOutput()(w, x)


def test_checks_nest_and_restore() -> None:
    assert tp.checks_enabled()
    with tp.checks(False):
        with tp.checks(True):
            assert tp.checks_enabled()
            with pytest.raises(tp.CheckError, match="long_output: the output"):
                LongOutput()(np.ones((2, 3)), np.ones(3))
        assert not tp.checks_enabled()
    assert tp.checks_enabled()


def test_one_checks_object_enters_again_and_nests_in_itself() -> None:
    # A training loop may keep one switch and enter it at every step.
    off = tp.checks(False)
    for _ in range(2):
        with off:
            assert not tp.checks_enabled()
            with off, tp.checks(True):
                assert tp.checks_enabled()
            assert not tp.checks_enabled()
        assert tp.checks_enabled()
    off.__enter__()  # entered by hand: off until its exit
    assert not tp.checks_enabled()
    off.__exit__(None, None, None)
    assert tp.checks_enabled()


def test_checks_restored_after_an_exception() -> None:
    with pytest.raises(KeyError), tp.checks(False):
        raise KeyError("x")
    assert tp.checks_enabled()


def test_checks_are_per_thread() -> None:
    seen: dict[str, Any] = {}

    def in_thread() -> None:
        seen["default"] = tp.checks_enabled()
        try:
            LongOutput()(np.ones((2, 3)), np.ones(3))
        except tp.CheckError as e:
            seen["error"] = str(e)
        with tp.checks(False):
            seen["off"] = tp.checks_enabled()
            barrier.wait()  # the main thread looks now
            barrier.wait()

    barrier = threading.Barrier(2, timeout=30)
    with tp.checks(False):
        th = threading.Thread(target=in_thread)
        th.start()
        barrier.wait()
        assert not tp.checks_enabled()  # the main thread's own setting
        barrier.wait()
        th.join(timeout=30)
    assert seen["default"] is True  # a new thread starts with the default
    assert seen["error"].startswith("long_output: the output has shape (3,)")
    assert seen["off"] is False
    # The thread switching its checks off did not touch the main thread.
    with tp.checks(True):
        assert tp.checks_enabled()
    assert tp.checks_enabled()


_ENV_SCRIPT = textwrap.dedent(
    """
    from collections.abc import Callable
    import numpy as np
    from jaxtyping import Float
    import typedprop as tp
    from typedprop import Mat, Vec

    class LongOutput(tp.Op[Float[Mat, "m n"], Float[Vec, " n"], Float[Vec, " m"]]):
        name = "long_output"
        def forward(self, w, x):
            return np.append(w @ x, 0.0), lambda g: (np.outer(g[:-1], x), w.T @ g[:-1])

    print("enabled", tp.checks_enabled())
    try:
        print("shape", LongOutput()(np.ones((2, 3)), np.ones(3)).shape)
    except tp.CheckError as e:
        print("error", e)
    """
)


@pytest.mark.parametrize(
    ("value", "enabled"), [("0", False), ("1", True), (None, True)], ids=["0", "1", "unset"]
)
def test_environment_variable_switches_the_layer(value: str | None, enabled: bool) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TYPEDPROP_CHECKS"}
    if value is not None:
        env["TYPEDPROP_CHECKS"] = value
    result = subprocess.run(
        [sys.executable, "-c", _ENV_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = result.stdout.splitlines()
    assert lines[0] == f"enabled {enabled}"
    if enabled:
        assert lines[1].startswith("error long_output: the output has shape (3,)")
    else:
        assert lines[1] == "shape (3,)"


# ---------------------------------------------------------------------------------------------
# Ops built by op1/op2 from annotated functions
# ---------------------------------------------------------------------------------------------


@tp.op1
def double(x: Float[Vec, " n"]) -> tuple[Float[Vec, " n"], Callable[[Vec], Vec]]:
    return 2.0 * x, lambda g: 2.0 * g


@tp.op1
def grow(x: Float[Vec, " n"]) -> tuple[Float[Vec, " n"], Callable[[Vec], Vec]]:
    return np.append(x, 0.0), lambda g: g[:-1]


@tp.op2
def outer(
    a: Float[Vec, " m"], b: Float[Vec, " n"]
) -> tuple[Float[Mat, "m n"], Callable[[Mat], tuple[Vec, Vec]]]:
    return np.outer(a, b), lambda g: (g @ b, g.T @ a)


def test_op1_annotations_are_checked() -> None:
    np.testing.assert_allclose(tp.grad(lambda v: double(v) @ v, np.ones(3)), [4.0, 4.0, 4.0])
    with pytest.raises(
        tp.CheckError,
        match=re.escape(
            "double: argument 'x' has shape (2, 2) and dtype float64, which does not fit "
            "Float[ndarray, 'n'] (expected Float[ndarray, 'n']: 1 axes, got 2)"
        ),
    ):
        double(np.ones((2, 2)))
    with pytest.raises(
        tp.CheckError, match=re.escape("double: argument 'x' has shape (3,) and dtype int64")
    ):
        tp.grad(lambda v: double(v) @ np.ones(3), np.ones(3, dtype=np.int64))
    no_tape()


def test_op1_output_is_checked() -> None:
    message = (
        "grow: the output has shape (3,) and dtype float64, which does not fit "
        "Float[ndarray, 'n'] (dimension n: 3 (the output, axis 0) vs 2 (argument 'x', axis 0))"
    )
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        grow(np.ones(2))
    with tp.checks(False):
        assert grow(np.ones(2)).shape == (3,)


def test_op2_annotations_bind_dimensions_across_arguments_and_output() -> None:
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0])
    ga, gb = tp.grad_n(lambda x, y: (outer(x, y) @ np.ones(3)) @ np.ones(2), a, b)
    np.testing.assert_allclose(ga, np.full(2, b.sum()))
    np.testing.assert_allclose(gb, np.full(3, a.sum()))
    with pytest.raises(
        tp.CheckError,
        match=re.escape(
            "outer: argument 'b' has shape (2, 2) and dtype float64, which does not "
            "fit Float[ndarray, 'n'] (expected Float[ndarray, 'n']: 1 axes, got 2)"
        ),
    ):
        outer(a, np.ones((2, 2)))


def test_op1_lambda_name() -> None:
    ident = tp.op1(lambda x: (x, lambda g: g[:1]))
    with pytest.raises(
        tp.CheckError,
        match=re.escape(
            "op1(<lambda>): the gradient for argument 'x' got shape (1,), expected (2,)"
        ),
    ):
        tp.grad(lambda v: ident(v) @ np.ones(2), np.ones(2))


@tp.op1
def square(x: float) -> tuple[float, Callable[[float], float]]:
    return x * x, lambda g: 2.0 * g * x


def test_float_annotated_op_behind_a_float32_constant() -> None:
    # square(x) is a Python float; times np.float32 it is np.float32 (NEP 50), so multiply's
    # gradient for it is np.float32 too.
    def f(x: tp.BVar[float]) -> tp.BVar[Any]:
        return square(x) * np.float32(2.0)

    with tp.checks(False):
        expected = tp.grad(f, 3.0)
    assert expected == 12.0
    assert tp.grad(f, 3.0) == expected


def test_int_seed_for_a_float_output() -> None:
    with tp.checks(False):
        assert tp.backprop_with(square, 2.0, 1) == (4.0, 4.0)
    assert tp.backprop_with(square, 2.0, 1) == (4.0, 4.0)


# ---------------------------------------------------------------------------------------------
# A failed check inside backprop leaves no tape
# ---------------------------------------------------------------------------------------------


def test_failed_check_inside_backprop_leaves_no_tape() -> None:
    leaked: list[tp.BVar[Any]] = []

    def f(w: tp.BVar[Any], x: tp.BVar[Any]) -> tp.BVar[Any]:
        leaked.append(w * 2.0)
        return matvec(w, x) @ np.ones(2)

    with pytest.raises(tp.CheckError, match="matvec: argument 'x'"):
        tp.grad_n(f, np.ones((2, 4)), np.ones(3))
    no_tape()
    with pytest.raises(tp.TapeError, match="made inside a backprop call that has returned"):
        leaked[0] + 1.0
    # The next call works.
    gw, gx = tp.grad_n(f, np.ones((2, 3)), np.ones(3))
    np.testing.assert_allclose(gw, np.ones((2, 3)))
    np.testing.assert_allclose(gx, np.full(3, 2.0))


# ---------------------------------------------------------------------------------------------
# The check cache: a check that passed for the same types, shapes and dtypes is not repeated
# ---------------------------------------------------------------------------------------------


class CachedMatVec(tp.Op[Float[Mat, "m n"], Float[Vec, " n"], Float[Vec, " m"]]):
    name = "matvec"

    def forward(self, w: Mat, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Mat, Vec]]]:
        return w @ x, lambda g: (np.outer(g, x), w.T @ g)


def test_a_passed_check_is_not_repeated_for_the_same_shapes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    op = CachedMatVec()
    calls = count_checks(monkeypatch)
    w, x = np.ones((2, 3)), np.ones(3)
    op(w, x)
    first = calls[0]
    assert first > 0
    for _ in range(5):
        np.testing.assert_array_equal(op(w * 2.0, x), np.full(2, 6.0))
    assert calls[0] == first
    op(np.ones((4, 3)), x)  # new shapes: checked
    assert calls[0] > first


def test_a_wrong_shape_is_caught_after_the_same_op_passed(monkeypatch: pytest.MonkeyPatch) -> None:
    op = CachedMatVec()
    op(np.ones((2, 3)), np.ones(3))
    op(np.ones((2, 3)), np.ones(3))
    with pytest.raises(tp.CheckError, match=re.escape("dimension n: 4 (argument 'x', axis 0)")):
        op(np.ones((2, 3)), np.ones(4))
    with pytest.raises(tp.CheckError, match="dtype int64 is not a Float dtype"):
        op(np.ones((2, 3), dtype=np.int64), np.ones(3))


class DataDependentOutput(tp.Op[Float[Vec, " n"], Float[Vec, " n"]]):
    """Returns an output of the wrong length when the input's first element is negative: the
    same input shape, a different output shape."""

    name = "shifty"

    def forward(self, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Vec]]]:
        out = x[1:] if x[0] < 0 else x
        return out, lambda g: (g,)


def test_an_output_of_a_new_shape_is_checked_though_the_inputs_passed() -> None:
    op = DataDependentOutput()
    op(np.ones(3))
    op(np.ones(3))
    with pytest.raises(tp.CheckError, match=re.escape("shifty: the output has shape (2,)")):
        op(np.array([-1.0, 1.0, 1.0]))


class DataDependentGradient(tp.Op[Float[Vec, " n"], Float[Vec, " n"]]):
    name = "gradshift"

    def forward(self, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Vec]]]:
        return x * 1.0, lambda g: (g[1:] if g[0] < 0 else g,)


def test_a_gradient_of_a_new_shape_is_checked_though_one_passed_before() -> None:
    op = DataDependentGradient()
    x = np.ones(3)
    tp.backprop_with(op, x, np.ones(3))
    tp.backprop_with(op, x, np.ones(3))
    with pytest.raises(tp.CheckError, match="gradshift: the gradient for argument 'x'"):
        tp.backprop_with(op, x, np.array([-1.0, 1.0, 1.0]))


def test_structured_values_are_always_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    @tp.op1
    def first(p: tuple[float, float]) -> tuple[float, Callable[[float], tuple[float, float]]]:
        return p[0], lambda g: (g, 0.0)

    calls = count_checks(monkeypatch)
    first((1.0, 2.0))
    once = calls[0]
    first((1.0, 2.0))
    assert calls[0] == 2 * once


# ---------------------------------------------------------------------------------------------
# jaxtyping hints: dtype kind and fixed sizes
# ---------------------------------------------------------------------------------------------


class Square(tp.Op[Float[Vec, " n"], Float[Vec, " n"]]):
    name = "square"

    def forward(self, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Vec]]]:
        return x * x, lambda g: (2.0 * g * x,)


class Three(tp.Op[Float[Vec, "3"], Float[Vec, "3"]]):
    name = "three"

    def forward(self, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Vec]]]:
        return x * 2.0, lambda g: (2.0 * g,)


class GrowsToThree(tp.Op[Float[Vec, " n"], Float[Vec, "3"]]):
    name = "grows_to_three"

    def forward(self, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Vec]]]:
        return np.append(x, 0.0), lambda g: (g[:-1],)


def test_int_array_where_float_is_declared() -> None:
    message = (
        "square: argument 'x' has shape (3,) and dtype int64, which does not fit "
        "Float[ndarray, 'n'] (dtype int64 is not a Float dtype)"
    )
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        Square()(np.arange(3, dtype=np.int64))  # type: ignore[arg-type]
    with pytest.raises(tp.CheckError, match=re.escape("(dtype int32 is not a Float dtype)")):
        Square()(tp.constant(np.arange(3, dtype=np.int32)))


def test_fixed_size_dimension_of_an_argument() -> None:
    message = (
        "three: argument 'x' has shape (4,) and dtype float64, which does not fit "
        "Float[ndarray, '3'] (dimension 0: expected size 3, got 4)"
    )
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        Three()(np.ones(4))
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad(lambda v: Three()(v) @ np.ones(3), np.ones(4))


def test_fixed_size_dimension_of_the_output() -> None:
    with pytest.raises(
        tp.CheckError,
        match=re.escape("grows_to_three: the output has shape (4,) and dtype float64, which"),
    ) as info:
        GrowsToThree()(np.ones(3))
    assert "(dimension 0: expected size 3, got 4)" in str(info.value)


def test_checks_as_a_decorator_switches_each_call_in_any_thread() -> None:
    @tp.checks(False)
    def enabled() -> bool:
        return tp.checks_enabled()

    assert enabled() is False
    assert tp.checks_enabled()
    seen: list[bool] = []
    barrier = threading.Barrier(4, timeout=30)

    def run() -> None:
        barrier.wait()
        seen.extend(enabled() for _ in range(200))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert seen == [False] * 800
