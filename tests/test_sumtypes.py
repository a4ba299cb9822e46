"""Sum types in the implicit style (the seed's open question 5a): f branches on a parameter's
value, and the gradient of a union-typed parameter is of the variant it was given."""

from dataclasses import dataclass

import numpy as np
import pytest

import typedprop as tp
from typedprop import BVar, Vec
from typedprop.testing import check_grads


@dataclass(frozen=True)
class Linear:
    w: Vec
    b: float


@dataclass(frozen=True)
class Quadratic:
    a: Vec
    w: Vec
    b: float


Model = Linear | Quadratic
X = np.array([0.5, -1.0, 2.0])


def predict(p: BVar[Model]) -> BVar[float]:
    match p.value:
        case Linear():
            lin = p.narrow(Linear)
            return lin.view(lambda m: m.w) @ X + lin.view(lambda m: m.b)
        case Quadratic():
            q = p.narrow(Quadratic)
            return (
                q.view(lambda m: m.a) @ (X * X) + q.view(lambda m: m.w) @ X + q.view(lambda m: m.b)
            )
    raise AssertionError("unreachable")


@pytest.mark.parametrize(
    "model",
    [
        Linear(np.array([1.0, 2.0, 3.0]), 0.5),
        Quadratic(np.ones(3), np.array([1.0, 0.0, -1.0]), 2.0),
    ],
    ids=["linear", "quadratic"],
)
def test_the_gradient_is_of_the_variant_given(model: Model) -> None:
    g = tp.grad(predict, model)
    assert type(g) is type(model)
    check_grads(predict, model)


def test_gradient_values_per_variant() -> None:
    g = tp.grad(predict, Quadratic(np.ones(3), np.zeros(3), 0.0))
    assert isinstance(g, Quadratic)
    np.testing.assert_array_equal(g.a, X * X)
    np.testing.assert_array_equal(g.w, X)
    assert g.b == 1.0 and type(g.b) is float


def test_narrow_to_the_wrong_variant_is_an_error() -> None:
    def wrong(p: BVar[Model]) -> BVar[float]:
        return p.narrow(Quadratic).view(lambda m: m.b)

    with pytest.raises(tp.CheckError, match="narrow: the value is a Linear, not a Quadratic"):
        tp.grad(wrong, Linear(np.ones(3), 0.0))


def test_a_python_branch_on_the_value_picks_the_path() -> None:
    def relu_like(x: BVar[float]) -> BVar[float]:
        return x * 3.0 if x.value > 0 else x * 0.5

    assert tp.grad(relu_like, 2.0) == 3.0
    assert tp.grad(relu_like, -2.0) == 0.5


def test_numpy_functions_refuse_a_bvar_or_record_it() -> None:
    def f(v: BVar[Vec]) -> BVar[float]:
        np.asarray(v)  # what a user might try
        return v @ v

    with pytest.raises(TypeError, match="a BVar cannot become a numpy array"):
        tp.grad(f, np.ones(3))
    # numpy's reductions call the array's method, BVar's sum among them: they record.
    assert tp.grad(lambda v: np.sum(v * v), np.ones(3)).tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(tp.CheckError, match="sum: argument 'out' is not supported on a BVar"):
        np.sum(tp.constant(np.ones(3)), out=np.zeros(()))
    with pytest.raises(TypeError, match="does not support ufuncs"):
        np.exp(tp.constant(np.ones(3)))
