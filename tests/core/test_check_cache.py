"""The one check cache (`typedprop._core.checks.CheckCache`), shared by ops and `shapecheck`:
a check that passed for the same types, shapes and dtypes is not repeated, and the checked
computation runs exactly once per call whatever the cache holds."""

from collections.abc import Callable

import numpy as np
import pytest
from jaxtyping import Float

import typedprop as tp
from typedprop import Vec, ops

from support import count_checks


class Tile(tp.Op[Float[Vec, " n"], Float[Vec, " m"]]):
    """`x` repeated `times` times: the same input shape gives outputs of new shapes."""

    name = "tile"

    def __init__(self, times: int) -> None:
        self.times = times
        self.forwards = 0

    def forward(self, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Vec]]]:
        self.forwards += 1
        n = x.shape[0]
        return np.tile(x, self.times), lambda g: (g.reshape(self.times, n).sum(axis=0),)


class SameLength(tp.Op[Float[Vec, " n"], Float[Vec, " n"]]):
    """Declares an output as long as its input, and breaks that promise when `times` > 1."""

    name = "same_length"

    def __init__(self, times: int) -> None:
        self.times = times

    def forward(self, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Vec]]]:
        return np.tile(x, self.times), lambda g: (g[: x.shape[0]],)


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    Tile._checked.clear()
    SameLength._checked.clear()


def test_forward_runs_once_on_the_first_call() -> None:
    op = Tile(2)
    op(np.ones(3))
    assert op.forwards == 1


def test_forward_runs_once_for_inputs_and_output_that_passed() -> None:
    op = Tile(2)
    op(np.ones(3))
    op(np.ones(3))
    assert op.forwards == 2


def test_forward_runs_once_for_inputs_that_passed_and_a_new_output() -> None:
    # The inputs' signature is cached, the output's (length 9, not 6) is new: only the output
    # is checked, and forward is not run a second time to check it.
    Tile(2)(np.ones(3))
    op = Tile(3)
    out = op(np.ones(3))
    assert op.forwards == 1
    assert out.shape == (9,)


def test_forward_runs_once_with_checks_off() -> None:
    op = Tile(2)
    with tp.checks(False):
        op(np.ones(3))
    assert op.forwards == 1


def test_forward_runs_once_per_call_inside_backprop() -> None:
    op = Tile(2)
    assert tp.grad(lambda x: ops.sum(op(x)), np.ones(3)).tolist() == [2.0, 2.0, 2.0]
    assert op.forwards == 1


def test_forward_runs_once_when_traced_and_once_per_replay() -> None:
    op = Tile(2)
    graph = tp.trace(lambda x: ops.sum(op(x)), np.ones(3))
    assert op.forwards == 1
    graph.grad(np.ones(3))
    graph.grad(np.ones(3))
    assert op.forwards == 3


def test_a_new_output_after_cached_inputs_is_still_checked() -> None:
    SameLength(1)(np.ones(3))  # passes, and caches the inputs' signature
    with pytest.raises(tp.CheckError) as e:
        SameLength(2)(np.ones(3))
    assert str(e.value).startswith(
        "same_length: the output has shape (6,) and dtype float64, which does not fit "
        "Float[ndarray, 'n'] (dimension n: 6 (the output, axis 0) vs 3 (argument 'x', axis 0))"
    )


def test_a_passed_check_is_remembered_per_signature() -> None:
    Tile(2)(np.ones(3))
    assert len(Tile._checked) == 2  # the inputs, and the inputs with the output
    Tile(2)(np.ones(3))
    assert len(Tile._checked) == 2
    Tile(2)(np.ones(4))
    assert len(Tile._checked) == 4


def test_the_cache_forgets_everything_past_its_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(type(Tile._checked), "LIMIT", 3)
    for n in range(1, 5):
        Tile(1)(np.ones(n))
    assert 0 < len(Tile._checked) <= 3


def _counted_function() -> tuple[Callable[[Vec, int], Vec], list[int]]:
    calls = [0]

    @tp.shapecheck
    def tile(x: Float[Vec, " n"], times: int) -> Float[Vec, " m"]:
        calls[0] += 1
        return np.tile(x, times)

    return tile, calls


def test_a_shapechecked_function_runs_once_per_call() -> None:
    tile, calls = _counted_function()
    tile(np.ones(3), 2)  # first call
    tile(np.ones(3), 2)  # arguments and result passed before
    tile(np.ones(3), 3)  # arguments passed before, a result of a new shape
    with tp.checks(False):
        tile(np.ones(3), 4)
    assert calls[0] == 4


def test_a_shapechecked_function_checks_a_new_result_after_cached_arguments() -> None:
    @tp.shapecheck
    def same(x: Float[Vec, " n"], times: int) -> Float[Vec, " n"]:
        return np.tile(x, times)

    same(np.ones(3), 1)
    with pytest.raises(tp.CheckError, match=r"same: the return value has shape \(6,\)"):
        same(np.ones(3), 2)


def test_a_backward_check_with_a_skipped_gradient_is_remembered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # matvec skips the gradient of a constant matrix (None in its place): the signature of
    # the backward values still names them, so the check runs once, not at every call.
    calls = count_checks(monkeypatch)
    type(ops.matvec)._checked.clear()
    w = np.ones((2, 3))
    tp.grad(lambda x: ops.sum(ops.matvec(w, x)), np.ones(3))
    first = calls[0]
    assert first > 0
    tp.grad(lambda x: ops.sum(ops.matvec(w, x)), np.ones(3))
    assert calls[0] == first
