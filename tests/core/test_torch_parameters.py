"""PyTorch's `nn.Parameter`s as parameters: gradients, updates and checkpoints of exactly their
type, and PyTorch's own autograd off inside typedprop's calls (no graph recorded beside the
tape, none handed back, none chained from one training step to the next)."""

from typing import Any, NamedTuple

import numpy as np
import pytest

import typedprop as tp
from typedprop import BVar, ops, optim

torch = pytest.importorskip("torch", reason="PyTorch is not installed (typedprop[backends])")


class Layer(NamedTuple):
    w: Any
    b: Any


X = torch.linspace(-1.0, 1.0, 8, dtype=torch.float64).reshape(4, 2)


def loss(p: BVar[Layer]) -> BVar[Any]:
    w, b = p.unpack()
    return ops.sum(ops.tanh(ops.linear(w, X, b)) ** 2)


def layer(make: Any = torch.nn.Parameter) -> Layer:
    w = torch.tensor([[0.5, -1.0], [2.0, 0.25], [-0.5, 1.5]], dtype=torch.float64)
    return Layer(make(w), make(torch.tensor([0.1, -0.2, 0.3], dtype=torch.float64)))


def plain(t: Any) -> Any:
    return t.detach().as_subclass(torch.Tensor)


def assert_gradient_of(g: Any, p: Any) -> None:
    """`g` has exactly `p`'s type and holds no PyTorch graph."""
    assert type(g) is type(p)
    assert g.grad_fn is None and not g.requires_grad


def test_the_gradient_of_parameters_is_parameters_without_a_graph() -> None:
    p = layer()
    expected = tp.grad(loss, layer(lambda t: t))  # the same values as plain tensors
    graph = tp.trace(loss, p)
    for g in [tp.grad(loss, p), tp.backprop(loss, p)[1], *(graph.grad(p) for _ in range(3))]:
        assert type(g) is Layer
        for gi, pi, ei in zip(g, p, expected, strict=True):
            assert_gradient_of(gi, pi)
            assert torch.equal(plain(gi), ei)


def test_the_value_holds_no_graph_either() -> None:
    value, _ = tp.backprop(loss, layer())
    assert value.grad_fn is None and not value.requires_grad
    graph = tp.trace(loss, layer())
    for value in [graph.backprop(layer())[0], graph.backprop(layer())[0]]:
        assert value.grad_fn is None and not value.requires_grad


def test_evaluate_computes_as_the_ops_do_so_pytorch_may_differentiate_it() -> None:
    # `evaluate`, a graph's `evaluate` and a graph as an op outside a call record no tape and
    # leave PyTorch's grad mode as it is: its autograd differentiates through them.
    def f(q: BVar[Any]) -> BVar[Any]:
        return ops.sum(ops.tanh(q) * q)

    w = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
    expected = tp.grad(f, w)
    graph = tp.trace(f, w)
    as_op = graph.as_op()
    for evaluate in [lambda v: tp.evaluate(f, v), graph.evaluate, as_op]:
        assert torch.allclose(torch.func.grad(evaluate)(w), expected, rtol=1e-12)
        leaf = w.clone().requires_grad_(True)
        evaluate(leaf).backward()
        assert torch.allclose(leaf.grad, expected, rtol=1e-12)


def test_an_unused_parameter_gets_a_zero_parameter() -> None:
    p = layer()
    g = tp.grad(lambda q: ops.sum(q.unpack()[0]), p)
    assert_gradient_of(g.b, p.b)
    assert torch.equal(plain(g.b), torch.zeros(3, dtype=torch.float64))


def test_autograd_is_off_inside_a_call_and_back_on_after_it() -> None:
    seen: list[bool] = []

    def f(x: BVar[Any]) -> BVar[Any]:
        seen.append(torch.is_grad_enabled())
        return ops.sum(x * x)

    def failing(x: BVar[Any]) -> BVar[Any]:
        seen.append(torch.is_grad_enabled())
        raise ValueError("the user's own error")

    x = torch.nn.Parameter(torch.ones(2, dtype=torch.float64))
    tp.grad(f, x)
    assert seen == [False] and torch.is_grad_enabled()
    # A call inside the function (its own tape) leaves the outer call's mode off.
    tp.grad(lambda v: tp.grad(f, x.detach()).sum() * 0.0 + f(v), x)
    assert seen == [False, False, False] and torch.is_grad_enabled()
    del seen[1:]
    with pytest.raises(ValueError, match="the user's own error"):
        tp.grad(failing, x)
    assert seen == [False, False] and torch.is_grad_enabled()
    # Off already (the user's `torch.no_grad()`): it stays off.
    with torch.no_grad():
        tp.grad(f, x)
        assert not torch.is_grad_enabled()
    assert torch.is_grad_enabled()


@pytest.mark.parametrize("make", [optim.SGD, optim.Momentum, optim.Adam])
def test_a_training_loop_over_parameters_keeps_them_parameters(make: Any) -> None:
    # Each step's parameters are Parameters that require grad (as the ones given), hold no
    # PyTorch graph (none chained from step to step), and equal the same loop's on plain
    # tensors.
    p, q = layer(), layer(lambda t: t)
    opt_p, opt_q = make(p, lr=0.1), make(q, lr=0.1)
    for _ in range(4):
        p = opt_p.step(p, tp.grad(loss, p))
        q = opt_q.step(q, tp.grad(loss, q))
        for pi, qi in zip(p, q, strict=True):
            assert type(pi) is torch.nn.Parameter
            assert pi.requires_grad and pi.grad_fn is None
            assert torch.equal(plain(pi), qi)


def test_an_optimizers_state_is_plain_tensors_and_a_step_changes_no_given_tensor() -> None:
    p = layer()
    opt = optim.Adam(p, lr=0.1)
    g = tp.grad(loss, p)
    for _ in range(2):
        assert all(type(t) is torch.Tensor for t in opt.state()["m"])
        p = opt.step(p, g)
    assert not any(t.requires_grad for t in g)  # the gradients given keep their flags

    class Assign(optim.Optimizer[Layer]):
        # An optimizer of one's own whose update is the gradient itself.
        def update(self, i: int, param: Any, grad: Any) -> Any:
            return grad

    new = Assign(p, lr=1.0).step(p, g)
    for ni, gi in zip(new, g, strict=True):
        assert ni is not gi and ni.requires_grad and not gi.requires_grad
        assert type(ni) is torch.nn.Parameter


def test_a_step_that_raises_leaves_autograd_on() -> None:
    class Failing(optim.Optimizer[Layer]):
        def update(self, i: int, param: Any, grad: Any) -> Any:
            assert not torch.is_grad_enabled()
            raise ValueError("the update's own error")

    p = layer()
    with pytest.raises(ValueError, match="the update's own error"):
        Failing(p, lr=0.1).step(p, tp.grad(loss, p))
    assert torch.is_grad_enabled()


def test_a_checkpoint_loads_parameters_as_parameters(tmp_path: Any) -> None:
    p = layer()
    frozen = Layer(p.w, torch.nn.Parameter(p.b.detach().clone(), requires_grad=False))
    tp.save(tmp_path / "p.npz", frozen)
    back = tp.load(tmp_path / "p.npz", like=frozen)
    for bi, pi in zip(back, frozen, strict=True):
        assert type(bi) is torch.nn.Parameter
        assert bi.requires_grad == pi.requires_grad
        assert np.array_equal(bi.detach().numpy(), pi.detach().numpy())
