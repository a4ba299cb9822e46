"""typedprop.optim: each optimizer reaches the closed-form minimum of a convex problem over a
heterogeneous parameter structure, keeps dtypes and non-float leaves, and refuses gradients of
another structure; its state goes through a checkpoint, and training resumed from one takes the
same steps, bit for bit."""

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import typedprop as tp
from typedprop import Vec, ops, optim
from typedprop._core.structures import flatten

RNG = np.random.default_rng(0)
A = RNG.standard_normal((20, 3))
B = RNG.standard_normal(20)


@dataclass
class Params:
    w: Vec
    c: float
    steps: int  # not a float leaf: carried over unchanged


def loss(p: tp.BVar[Params]) -> tp.BVar[float]:
    w, c = p.view(lambda q: q.w), p.view(lambda q: q.c)
    r = A @ w - B
    return ops.sum(r * r) / 20.0 + (c - 2.0) ** 2


W_STAR = np.linalg.lstsq(A, B, rcond=None)[0]


def _train(opt: optim.Optimizer[Params], p: Params, steps: int) -> Params:
    for _ in range(steps):
        p = opt.step(p, tp.grad(loss, p))
    return p


@pytest.mark.parametrize(
    ("make", "steps"),
    [
        (lambda p: optim.SGD(p, lr=0.1), 2000),
        (lambda p: optim.Momentum(p, lr=0.05, momentum=0.9), 1000),
        (lambda p: optim.Adam(p, lr=0.05), 3000),
    ],
    ids=["sgd", "momentum", "adam"],
)
def test_reaches_the_closed_form_minimum(make: Any, steps: int) -> None:
    p = Params(np.zeros(3), 0.0, 7)
    p = _train(make(p), p, steps)
    np.testing.assert_allclose(p.w, W_STAR, atol=1e-4)
    assert abs(p.c - 2.0) < 1e-4
    assert type(p.c) is float and p.steps == 7


def test_float32_parameters_stay_float32() -> None:
    p = (np.ones(3, dtype=np.float32), np.float32(1.0))
    for opt in (optim.SGD(p, lr=0.1), optim.Momentum(p, lr=0.1), optim.Adam(p, lr=0.1)):
        q = opt.step(p, (np.ones(3, dtype=np.float32), np.float32(0.5)))
        assert q[0].dtype == np.float32 and type(q[1]) is np.float32


def test_adam_first_step_is_lr_times_the_sign() -> None:
    opt = optim.Adam(np.zeros(3), lr=0.01)
    np.testing.assert_allclose(
        opt.step(np.zeros(3), np.array([3.0, -0.2, 1e-3])), [-0.01, 0.01, -0.01], rtol=1e-4
    )


def test_momentum_accumulates_velocity() -> None:
    opt = optim.Momentum(np.zeros(1), lr=1.0, momentum=0.5)
    p = opt.step(np.zeros(1), np.ones(1))
    p = opt.step(p, np.ones(1))
    np.testing.assert_allclose(p, [-2.5])  # velocities 1 and 1.5


def test_a_gradient_of_another_shape_is_refused() -> None:
    p = (np.zeros((2, 3)), np.zeros(3))
    opt = optim.SGD(p, lr=0.1)
    with pytest.raises(
        tp.CheckError,
        match=re.escape(
            "step: the gradient at [1] is an array of shape (2,) and dtype float64, "
            "expected an array of shape (3,) and dtype float64"
        ),
    ):
        opt.step(p, (np.zeros((2, 3)), np.zeros(2)))
    # Nothing was changed by the failed step.
    np.testing.assert_array_equal(opt.step(p, (np.ones((2, 3)), np.ones(3)))[1], -0.1)


def test_a_gradient_of_another_structure_is_refused() -> None:
    p = (np.zeros(3), 1.0)
    opt = optim.Adam(p)
    with pytest.raises(
        tp.CheckError,
        match=re.escape("step: the gradient at the parameters is a list, expected a tuple"),
    ):
        opt.step(p, [np.zeros(3), 1.0])  # type: ignore[arg-type]  # the point of the test
    with pytest.raises(
        tp.CheckError,
        match=re.escape("step: the gradient at the parameters has 1 part, expected 2"),
    ):
        opt.step(p, (np.zeros(3),))  # type: ignore[arg-type]  # the point of the test


def test_parameters_of_other_shapes_than_at_creation_are_refused() -> None:
    opt = optim.SGD(np.zeros(3), lr=0.1)
    with pytest.raises(
        tp.CheckError,
        match=re.escape(
            "SGD.step: the parameters do not have the structure and shapes the optimizer "
            "was made for"
        ),
    ):
        opt.step(np.zeros(4), np.zeros(4))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: optim.SGD(1.0, lr=0.0), "SGD: the learning rate must be positive, got 0.0"),
        (
            lambda: optim.Momentum(1.0, lr=0.1, momentum=1.0),
            "Momentum: momentum must be in [0, 1), got 1.0",
        ),
        (lambda: optim.Adam(1.0, b2=1.5), "Adam: b2 must be in [0, 1), got 1.5"),
    ],
)
def test_bad_settings_are_refused(make: Any, message: str) -> None:
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        make()


# ---------------------------------------------------------------------------------------------
# The state: saved, loaded, and training resumed bit for bit
# ---------------------------------------------------------------------------------------------


@dataclass
class Model:
    w: np.ndarray  # float32
    b: Vec
    scale: float
    s: np.float32
    seen: int  # not a float leaf: no state


def _model(seed: int) -> Model:
    rng = np.random.default_rng(seed)
    return Model(
        rng.standard_normal((2, 3)).astype(np.float32),
        rng.standard_normal(3),
        float(rng.standard_normal()),
        np.float32(rng.standard_normal()),
        seed,
    )


def _grads(p: Model) -> Model:
    """A gradient that changes with the parameters, of their exact types."""
    return Model(
        np.cos(p.w) + np.float32(0.5), np.sin(p.b) - 0.25, math.cos(p.scale), np.sin(p.s), 0
    )


MAKERS = {
    "sgd": lambda p: optim.SGD(p, lr=0.1),
    "momentum": lambda p: optim.Momentum(p, lr=0.05, momentum=0.9),
    "adam": lambda p: optim.Adam(p, lr=0.05),
}


def _run(opt: optim.Optimizer[Model], p: Model, steps: int) -> Model:
    for _ in range(steps):
        p = opt.step(p, _grads(p))
    return p


def _bits(x: object) -> list[tuple[type, bytes]]:
    leaves, _ = flatten(x)
    return [(type(leaf), np.asarray(leaf).tobytes()) for leaf in leaves]


@pytest.mark.parametrize("name", MAKERS)
@pytest.mark.parametrize("stop", [0, 4])
def test_training_resumed_from_a_checkpoint_is_bit_identical(
    tmp_path: Path, name: str, stop: int
) -> None:
    make = MAKERS[name]
    opt = make(_model(0))
    straight = _run(opt, _model(0), 10)

    first = make(_model(0))
    p = _run(first, _model(0), stop)
    tp.save(tmp_path / "params.npz", p)
    tp.save(tmp_path / "opt.npz", first.state())
    del first, p

    p = tp.load(tmp_path / "params.npz", like=_model(7))
    resumed = make(p)
    resumed.load_state(tp.load(tmp_path / "opt.npz", like=resumed.state()))
    assert resumed.steps == stop
    p = _run(resumed, p, 10 - stop)

    assert _bits(p) == _bits(straight)
    assert _bits(resumed.state()) == _bits(opt.state())
    assert type(p.scale) is float and p.w.dtype == np.float32 and p.seen == 0


def test_the_state_is_shaped_like_the_parameters() -> None:
    opt = optim.Adam(_model(0))
    state = opt.state()
    assert list(state) == ["steps", "m", "v"] and state["steps"] == 0
    for moment in (state["m"], state["v"]):
        assert type(moment) is Model and moment.seen is None
        assert moment.w.dtype == np.float32 and not moment.w.any()
        assert type(moment.scale) is float and type(moment.s) is np.float32
    opt.step(_model(0), _grads(_model(0)))
    assert opt.state()["steps"] == 1 and opt.state()["m"].w.any()
    assert list(optim.SGD(1.0, lr=0.1).state()) == ["steps"]
    assert list(optim.Momentum(1.0, lr=0.1).state()) == ["steps", "velocity"]


def test_a_state_saved_for_other_parameters_is_refused_by_load(tmp_path: Path) -> None:
    tp.save(tmp_path / "opt.npz", optim.Adam((np.zeros(3), 1.0)).state())
    opt = optim.Adam((np.zeros(4), 1.0))
    with pytest.raises(
        tp.CheckpointError,
        match=re.escape(
            "params['m'][0] has shape (3,) in the checkpoint, (4,) in the template; "
            "params['v'][0] has shape (3,) in the checkpoint, (4,) in the template"
        ),
    ):
        opt.load_state(tp.load(tmp_path / "opt.npz", like=opt.state()))
    with pytest.raises(tp.CheckpointError, match=re.escape("the template has params['velocity']")):
        optim.Momentum((np.zeros(3), 1.0), lr=0.1).load_state(
            tp.load(tmp_path / "opt.npz", like=optim.Momentum((np.zeros(3), 1.0), lr=0.1).state())
        )


PARAMS = (np.ones(3), 1.0)


def _adam_state(p: Any, steps: int = 3) -> dict[str, Any]:
    opt = optim.Adam(p)
    for _ in range(steps):
        opt.step(p, p)
    return opt.state()


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ([], "expected a dict with keys ['steps', 'm', 'v'], got a value of type list"),
        (
            {"steps": 1, "velocity": None},
            "expected a dict with keys ['steps', 'm', 'v'], got keys ['steps', 'velocity']",
        ),
        (
            {**_adam_state(PARAMS), "steps": -1},
            "state['steps'] must be an int >= 0, got -1",
        ),
        ({**_adam_state(PARAMS), "steps": 2.0}, "state['steps'] must be an int >= 0, got 2.0"),
        (
            {**_adam_state(PARAMS), "m": [np.ones(3), 1.0]},
            "state['m'] does not have the structure of the parameters the optimizer was made for",
        ),
        (
            {**_adam_state(PARAMS), "v": (np.ones(3), "one")},
            "state['v']: typedprop cannot differentiate a value of type str",
        ),
        (
            {**_adam_state(PARAMS), "m": (np.ones(4), 1.0)},
            "state['m'][0] is an array of shape (4,) and dtype float64, expected an array of "
            "shape (3,) and dtype float64",
        ),
        (
            {**_adam_state(PARAMS), "v": (np.ones(3), np.float32(1.0))},
            "state['v'][1] is a value of type float32, expected a value of type float",
        ),
        (
            {**_adam_state(PARAMS), "v": (np.ones(3), None)},
            "state['v'][1] is a value of type NoneType, expected a value of type float",
        ),
    ],
    ids=[
        "not a dict",
        "other keys",
        "negative steps",
        "float steps",
        "other structure",
        "unsupported leaf",
        "other shape",
        "other dtype",
        "None",
    ],
)
def test_load_state_refuses_another_state_and_changes_nothing(state: Any, message: str) -> None:
    opt = optim.Adam(PARAMS)
    opt.step(PARAMS, (np.full(3, 0.5), 2.0))
    before = _bits(opt.state())
    with pytest.raises(tp.CheckError, match=re.escape(f"Adam.load_state: {message}")):
        opt.load_state(state)
    assert _bits(opt.state()) == before


def test_load_state_takes_numbers_of_the_same_dtype() -> None:
    """A Python float's state may come as numpy's float64 (and back): the same number."""
    opt = optim.Momentum((np.ones(2), 1.0), lr=0.1)
    opt.load_state({"steps": 2, "velocity": (np.full(2, 0.5), np.float64(0.25))})
    assert opt.steps == 2
    assert opt.step((np.ones(2), 1.0), (np.zeros(2), 0.0))[1] == 1.0 - 0.1 * (0.9 * 0.25)


# --- donate: the gradients' memory takes the new parameters ---------------------------------


def _copies(x: Any) -> Any:
    leaves, treedef = flatten(x)
    return [leaf.copy() if isinstance(leaf, np.ndarray) else leaf for leaf in leaves], treedef


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_donated_steps_give_the_same_parameters_bit_for_bit(name: str) -> None:
    makers = {
        "sgd": lambda p: optim.SGD(p, lr=0.1),
        "momentum": lambda p: optim.Momentum(p, lr=0.05),
        "adam": lambda p: optim.Adam(p, lr=0.05),
    }
    p = q = Params(np.zeros(3), 0.0, 7)
    plain, donating = makers[name](p), makers[name](q)
    for _ in range(50):
        p = plain.step(p, tp.grad(loss, p))
        q = donating.step(q, tp.grad(loss, q), donate=True)
    assert np.array_equal(p.w, q.w) and p.c == q.c and type(q.c) is float and q.steps == 7


@pytest.mark.parametrize("make", [optim.SGD, optim.Momentum], ids=["sgd", "momentum"])
def test_a_donated_gradient_array_becomes_the_new_parameter(make: Any) -> None:
    p = (np.ones(3), np.ones((2, 2), dtype=np.float32))
    g = (np.full(3, 2.0), np.full((2, 2), 4.0, dtype=np.float32))
    new = make(p, lr=0.5).step(p, g, donate=True)
    assert new[0] is g[0] and new[1] is g[1]  # no new array
    np.testing.assert_array_equal(new[0], [0.0, 0.0, 0.0])
    assert new[1].dtype == np.float32
    np.testing.assert_array_equal(p[0], [1.0, 1.0, 1.0])  # the old parameters are untouched


def test_without_donate_the_gradients_are_left_alone() -> None:
    p, g = np.ones(3), np.full(3, 2.0)
    new = optim.SGD(p, lr=0.5).step(p, g)
    assert new is not g
    np.testing.assert_array_equal(g, [2.0, 2.0, 2.0])


@pytest.mark.parametrize(
    "case",
    [
        "read-only",
        "other dtype",
        "a parameter",
        "twice",
        "a view of a parameter",
        "views of one array",
        "a float",
    ],
)
def test_gradients_that_cannot_take_the_result_get_new_arrays(case: str) -> None:
    a, b = np.ones(4), np.full(4, 3.0)
    p: Any = (a, b)
    if case == "read-only":
        g0 = np.full(4, 2.0)
        g0.flags.writeable = False
        g: Any = (g0, np.full(4, 2.0))
    elif case == "other dtype":
        g = (np.full(4, 2.0, dtype=np.float32), np.full(4, 2.0))
    elif case == "a parameter":
        g = (b, np.full(4, 2.0))  # a's gradient is b itself: writing into it would change b
    elif case == "twice":
        g1 = np.full(4, 2.0)
        g = (g1, g1)
    elif case == "a view of a parameter":
        big = np.ones(8)
        p = (big[:4], b)
        g = (big[4:], np.full(4, 2.0))
    elif case == "views of one array":
        buf = np.full(8, 2.0)
        g = (buf[:4], buf[4:])
    else:
        p, g = (a, 1.0), (np.full(4, 2.0), 2.0)
    p_before, g_before = _copies(p), _copies(g)
    new = optim.SGD(p, lr=0.5).step(p, g, donate=True)
    expected = optim.SGD(p_before[0], lr=0.5).step(p_before[0], g_before[0])
    for leaf, want in zip(flatten(new)[0], expected, strict=True):
        np.testing.assert_array_equal(leaf, want)
    # The parameters are untouched, and so is every gradient that was not written into.
    for leaf, was in zip(flatten(p)[0], p_before[0], strict=True):
        np.testing.assert_array_equal(leaf, was)
    written = [
        i for i, (n, gi) in enumerate(zip(flatten(new)[0], flatten(g)[0], strict=True)) if n is gi
    ]
    assert (
        written
        == {
            "read-only": [1],
            "other dtype": [1],
            "a parameter": [1],
            "twice": [],
            "a view of a parameter": [1],
            "views of one array": [],
            "a float": [0],
        }[case]
    )
