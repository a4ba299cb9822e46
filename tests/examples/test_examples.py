"""The example programs (`examples/`): every one runs as a script, and what each claims holds:
brief's gradient and training, monotest's numbers in every style, neural's and rnn's training,
sumtypes' fits, the types and values of their gradients, and the sizes their structures check."""

import importlib.util
import runpy
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

import typedprop as tp
from typedprop.testing import check_grads

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
sys.path.insert(0, str(EXAMPLES))

import brief  # noqa: E402
import monotest  # noqa: E402
import neural  # noqa: E402
import rnn  # noqa: E402
import sumtypes  # noqa: E402

# ---------------------------------------------------------------------------------------------
# Every example runs as a script
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("script", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_every_example_runs_as_a_script(script: str) -> None:
    if script == "distributed_mnist.py" and importlib.util.find_spec("distributed") is None:
        pytest.skip("the example needs Dask: pip install 'typedprop[distributed]'")
    if script == "brief.py":
        # Runs in-process: quick, and the traceback shows on failure.
        runpy.run_path(str(EXAMPLES / script), run_name="__main__")
        return
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr


# ---------------------------------------------------------------------------------------------
# brief: the quick start's network
# ---------------------------------------------------------------------------------------------


def test_brief_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(1)
    inp, targ = rng.normal(size=brief.INPUTS), rng.uniform(0.1, 0.9, size=brief.OUTPUTS)
    params = brief.init_params(seed=1)
    check_grads(brief.squared_error(inp, targ), params)


def test_brief_gradient_has_the_parameters_type() -> None:
    rng = np.random.default_rng(2)
    inp, targ = rng.normal(size=brief.INPUTS), rng.uniform(0.1, 0.9, size=brief.OUTPUTS)
    params = brief.init_params(seed=2)
    grads = brief.net_grad(inp, targ, params)
    assert type(grads) is brief.Params
    for g, p in zip(grads, params, strict=True):
        assert type(g) is np.ndarray and g.shape == p.shape and g.dtype == p.dtype


def test_brief_params_share_their_sizes() -> None:
    """`Params` binds the sizes its layers share, as backprop's `Tuple '[L n m, R n, L o n, R o]`
    does in its type."""
    w1, b1, w2, b2 = brief.init_params()
    assert (w1.shape, b1.shape, w2.shape, b2.shape) == ((5, 8), (5,), (3, 5), (3,))
    with pytest.raises(tp.CheckError) as e:
        brief.Params(w1, b1, np.zeros((3, 4)), b2)
    assert str(e.value).endswith(
        "(dimension n: 4 (argument 'w2', axis 1) vs 5 (argument 'w1', axis 0))"
    )


def test_brief_training_reduces_the_error(capsys: pytest.CaptureFixture[str]) -> None:
    errors = brief.main(steps=30, rate=0.2)
    assert errors[-1] < 0.1 * errors[0]
    assert "final" in capsys.readouterr().out


def test_brief_matvec_rejects_a_wrong_input_length() -> None:
    dims = r"dimension n: 5 \(argument 'x', axis 0\) vs 4 \(argument 'w', axis 1\)"
    with pytest.raises(tp.CheckError, match=r"matvec: argument 'x' .*" + dims):
        brief.matvec(np.ones((3, 4)), np.ones(5))


# ---------------------------------------------------------------------------------------------
# monotest: f = ((x * y) + y) * z
# ---------------------------------------------------------------------------------------------

STYLES = [monotest.implicit, monotest.explicit, monotest.fused]


@pytest.mark.parametrize("style", STYLES, ids=lambda s: s.__name__)
def test_monotest_values_at_the_seeds_point(style: object) -> None:
    assert callable(style)
    value, grads = style(2.0, 3.0, 4.0)
    # ((2 * 3) + 3) * 4 = 36; y z = 12; (x + 1) z = 12; x y + y = 9.
    assert value == 36.0 and type(value) is float
    assert grads == (12.0, 12.0, 9.0)
    assert all(type(g) is float for g in grads)


@pytest.mark.parametrize("point", [(0.5, -1.5, 2.0), (-3.0, 0.25, -0.75), (1.0, 1.0, 1.0)])
def test_monotest_styles_agree_with_each_other_and_by_hand(
    point: tuple[float, float, float],
) -> None:
    x, y, z = point
    expected = (((x * y) + y) * z, (y * z, (x + 1.0) * z, x * y + y))
    for style in STYLES:
        value, grads = style(x, y, z)
        assert value == pytest.approx(expected[0])
        assert grads == pytest.approx(expected[1])


def test_monotest_hand_written_gradients_match_finite_differences() -> None:
    def explicit(p: tp.BVar[tuple[float, float, float]]) -> tp.BVar[float]:
        return monotest.f_explicit(*p.unpack())

    def fused(p: tp.BVar[tuple[float, float, float]]) -> tp.BVar[float]:
        x, y, z = p.unpack()
        return monotest.f_op(x, y, z)

    check_grads(explicit, (0.7, -1.3, 2.1))
    check_grads(fused, (0.7, -1.3, 2.1))


def test_monotest_main_takes_ints_as_floats(capsys: pytest.CaptureFixture[str]) -> None:
    # An int parameter is not differentiated (its gradient is int 0): main converts.
    assert tp.grad_n(monotest.f_implicit, 2, 3.0, 4.0) == (0, 12.0, 9.0)
    assert monotest.main(2, 3, 4)["implicit"] == (36.0, (12.0, 12.0, 9.0))


def test_monotest_main_prints_every_style(capsys: pytest.CaptureFixture[str]) -> None:
    results = monotest.main()
    assert set(results) == {"implicit", "explicit (mul, add)", "explicit (one op3)"}
    assert all(r == (36.0, (12.0, 12.0, 9.0)) for r in results.values())
    out = capsys.readouterr().out
    assert out.count("f = 36") == 3 and out.count("df/dz = 9") == 3


# ---------------------------------------------------------------------------------------------
# neural: a list of hidden layers and a readout of another type
# ---------------------------------------------------------------------------------------------


def test_neural_make_network_builds_the_sizes_asked_for() -> None:
    net = neural.make_network([3, 5, 4, 2, 1])
    assert [layer.w.shape for layer in net.hidden] == [(5, 3), (4, 5), (2, 4)]
    assert [layer.b.shape for layer in net.hidden] == [(5,), (4,), (2,)]
    assert net.readout.w.shape == (2,) and type(net.readout.b) is float
    with pytest.raises(ValueError, match="sizes must be"):
        neural.make_network([2, 4, 3])


def test_neural_gradient_has_exactly_the_parameters_type() -> None:
    x, y = neural.make_data(10)
    net = neural.make_network([2, 6, 5, 1])
    g = tp.grad(lambda n: neural.loss(n, x, y), net)
    assert type(g) is neural.Network
    assert type(g.hidden) is list and len(g.hidden) == len(net.hidden)
    for gl, pl in zip(g.hidden, net.hidden, strict=True):
        assert type(gl) is neural.Hidden
        for f in fields(pl):
            gv, pv = getattr(gl, f.name), getattr(pl, f.name)
            assert type(gv) is np.ndarray and gv.shape == pv.shape and gv.dtype == pv.dtype
    assert type(g.readout) is neural.Readout
    assert g.readout.w.shape == net.readout.w.shape and type(g.readout.b) is float


def test_neural_gradient_matches_finite_differences() -> None:
    x, y = neural.make_data(8, seed=3)
    check_grads(lambda n: neural.loss(n, x, y), neural.make_network([2, 4, 3, 1], seed=3))


def test_neural_training_reduces_the_loss(capsys: pytest.CaptureFixture[str]) -> None:
    losses = neural.main(sizes=(2, 12, 1), samples=100, steps=150, lr=0.02)
    assert len(losses) == 151
    assert losses[-1] < 0.1 * losses[0]
    assert "held out" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# sumtypes: a Line | Parabola parameter
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model", [sumtypes.Line(0.5, -1.0), sumtypes.Parabola(0.3, 0.5, -1.0)], ids=["line", "par"]
)
def test_sumtypes_gradient_is_of_the_variant_given(model: sumtypes.Model) -> None:
    x, y = sumtypes.make_data(12, 0.8, -1.0, 0.5, 0.1)
    g = tp.grad(lambda p: sumtypes.loss(p, x, y), model)
    assert type(g) is type(model)
    assert all(type(getattr(g, f.name)) is float for f in fields(g))
    check_grads(lambda p: sumtypes.loss(p, x, y), model)


def test_sumtypes_gradient_values_by_hand() -> None:
    x, y = np.array([1.0, 2.0]), np.array([0.0, 0.0])
    # At a line through the origin with slope 1 the residuals are x: d/dslope mean(r^2) =
    # mean(2 r x) = 5, d/dintercept = mean(2 r) = 3.
    assert sumtypes.gradient(sumtypes.Line(1.0, 0.0), x, y) == sumtypes.Line(5.0, 3.0)


def test_sumtypes_fits_both_variants_and_picks_the_parabola(
    capsys: pytest.CaptureFixture[str],
) -> None:
    line, line_loss, par, par_loss, best = sumtypes.main(steps=800)
    x, y = sumtypes.make_data(50, 0.8, -1.0, 0.5, 0.1)
    # The least-squares fits, which Adam should have reached.
    slope, intercept = np.polyfit(x, y, 1)
    curve, slope2, intercept2 = np.polyfit(x, y, 2)
    assert type(line) is sumtypes.Line and type(par) is sumtypes.Parabola
    assert (line.slope, line.intercept) == pytest.approx((slope, intercept), abs=1e-3)
    assert (par.curve, par.slope, par.intercept) == pytest.approx(
        (curve, slope2, intercept2), abs=1e-3
    )
    assert par_loss < 0.02 < 0.5 < line_loss
    assert best is par
    assert "better: Parabola; its gradient, a Parabola" in capsys.readouterr().out


def test_sumtypes_picks_the_line_for_linear_data(capsys: pytest.CaptureFixture[str]) -> None:
    # On data with no curvature the two fit about equally well (the parabola's curve goes to
    # about 0), and the simpler model is kept. (With seed 0 the noise happens to look curved
    # enough for the parabola to win.)
    line, line_loss, par, par_loss, best = sumtypes.main(curve=0.0, steps=800, seed=1)
    assert abs(par.curve) < 0.05 and par_loss <= line_loss < 0.02
    assert best is line
    assert "better: Line; its gradient, a Line" in capsys.readouterr().out


def test_sumtypes_narrow_to_the_wrong_variant_is_a_check_error() -> None:
    def wrong(p: tp.BVar[sumtypes.Model]) -> tp.BVar[float]:
        return p.narrow(sumtypes.Parabola).view(lambda m: m.curve)

    with pytest.raises(tp.CheckError, match="narrow: the value is a Line, not a Parabola"):
        tp.grad(wrong, sumtypes.Line(1.0, 0.0))


# ---------------------------------------------------------------------------------------------
# rnn: sequence in, sequence out, gradients for the list of inputs
# ---------------------------------------------------------------------------------------------


def test_rnn_gradient_matches_finite_differences_for_parameters_and_inputs() -> None:
    xs, targets = rnn.task(rnn.make_sequence(6, 0.1, seed=4))
    params = rnn.init_rnn(3, seed=4)

    def loss(p: tp.BVar[tuple[rnn.RNN, list[float]]]) -> tp.BVar[float]:
        ps, s = p.unpack()
        return rnn.loss(ps, s, targets)

    check_grads(loss, (params, xs))


def test_rnn_gradient_types_and_the_input_gradient_is_a_list_as_long() -> None:
    xs, targets = rnn.task(rnn.make_sequence(7, 0.1, seed=5))
    params = rnn.init_rnn(4, seed=5)
    g_params, g_xs = rnn.input_gradient(params, xs, targets)
    assert type(g_params) is rnn.RNN and type(g_params.c) is float
    assert g_params.w.shape == (4, 4) and g_params.u.shape == (4,)
    assert type(g_xs) is list and len(g_xs) == len(xs) == 6
    assert all(type(g) is float for g in g_xs)
    # The same gradient for the parameters when the inputs are a constant (training's way).
    g_const = tp.grad(lambda p: rnn.loss(p, tp.constant(xs), targets), params)
    np.testing.assert_allclose(g_const.w, g_params.w, rtol=1e-12)
    assert g_const.c == pytest.approx(g_params.c, rel=1e-12)


def test_rnn_outputs_one_prediction_per_input() -> None:
    xs = [0.1, -0.2, 0.3]
    params = rnn.init_rnn(2)
    ys = tp.evaluate(lambda p: rnn.run(p, tp.constant(xs)), params)
    assert type(ys) is list and len(ys) == 3
    # By hand, with numpy.
    h = np.zeros(2)
    for x, y in zip(xs, ys, strict=True):
        h = np.tanh(params.w @ h + params.u * x + params.b)
        assert y == pytest.approx(float(h @ params.v + params.c), rel=1e-12)


def test_rnn_memory_of_the_last_prediction() -> None:
    xs = rnn.make_sequence(5, 0.1)
    params = rnn.init_rnn(3)
    back = rnn.memory(params, xs)
    assert type(back) is list and len(back) == 5
    # Only the latest input enters the last step directly: its gradient is u . v (1 - h^2).
    h = np.zeros(3)
    for x in xs:
        h = np.tanh(params.w @ h + params.u * x + params.b)
    assert back[-1] == pytest.approx(float(np.sum(params.v * (1 - h * h) * params.u)))


def test_rnn_training_reduces_the_loss_below_the_naive_forecast(
    capsys: pytest.CaptureFixture[str],
) -> None:
    losses, grad_xs = rnn.main(length=20, hidden=6, steps=60)
    assert losses[-1] < 0.1 * losses[0]
    assert len(grad_xs) == 20
    out = capsys.readouterr().out
    naive = float(out.split("naive forecast x_t+1 = x_t: ")[1].split(")")[0])
    assert losses[-1] < naive


# ---------------------------------------------------------------------------------------------
# The examples' parameter structures and losses check the sizes they share
# ---------------------------------------------------------------------------------------------


def test_the_examples_check_the_sizes_they_share() -> None:
    with pytest.raises(tp.CheckError) as e:
        tp.grad(lambda p: sumtypes.loss(p, np.zeros(5), np.zeros(4)), sumtypes.Line(1.0, 0.0))
    assert str(e.value).endswith(
        "(dimension n: 4 (argument 'y', axis 0) vs 5 (argument 'x', axis 0))"
    )
    net = neural.make_network([2, 3, 1])
    with pytest.raises(tp.CheckError, match=r"dimension batch: 6 \(argument 'y', axis 0\) vs 5"):
        tp.grad(lambda n: neural.loss(n, np.zeros((5, 2)), np.zeros(6)), net)
    with pytest.raises(tp.CheckError, match=r"^Hidden: argument 'b' has shape \(4,\)"):
        neural.Hidden(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(tp.CheckError, match=r"dimension h: 2 \(argument 'w', axis 1\) vs 3"):
        rnn.RNN(np.zeros((3, 2)), np.zeros(3), np.zeros(3), np.zeros(3), 0.0)
