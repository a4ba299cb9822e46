"""Every example runs, and what it claims holds."""

import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import typedprop as tp
from typedprop.testing import check_grads

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
sys.path.insert(0, str(EXAMPLES))

import brief  # noqa: E402


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


@pytest.mark.parametrize("script", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_every_example_runs_as_a_script(script: str) -> None:
    if script == "brief.py":
        # Runs in-process: quick, and the traceback shows on failure.
        runpy.run_path(str(EXAMPLES / script), run_name="__main__")
        return
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
