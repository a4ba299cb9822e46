"""The seed's brief example in typedprop: a network with one hidden layer.

Haskell backprop's README opens with a network of one hidden layer whose parameters are two
weight matrices and two bias vectors, a heterogeneous tuple `Tuple '[L n m, R n, L o n, R o]`,
and computes the gradient of its squared error with respect to that whole tuple. This is the
same program in typedprop's implicit style:

- `MatVec` is an `Op` subclass: its type parameters say "a matrix m x n and a vector n give a
  vector m", for mypy (rank and dtype kind) and, through jaxtyping, for the runtime checks
  (the dimension names).
- `logistic` is built with `op1` from a function that returns the value and its gradient, as
  backprop's `op1 $ \\x -> (logistic x, ...)`.
- `net_grad` returns a gradient of exactly the parameters' type, `Params`, which mypy proves.

Run it: `python examples/brief.py` trains the network on one input for a few steps of gradient
descent and prints the error falling.
"""

from collections.abc import Callable

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import BVar, Mat, Vec


class MatVec(tp.Op[Float[Mat, "m n"], Float[Vec, " n"], Float[Vec, " m"]]):
    """Matrix times vector; the gradient reuses the inputs that forward saw."""

    name = "matvec"

    def forward(self, w: Mat, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Mat, Vec]]]:
        return w @ x, lambda g: (np.outer(g, x), w.T @ g)


matvec = MatVec()


@tp.op1
def logistic(x: Float[Vec, " n"]) -> tuple[Float[Vec, " n"], Callable[[Vec], Vec]]:
    """The logistic function; its gradient is y (1 - y), from the y that forward computed."""
    y = 1.0 / (1.0 + np.exp(-x))
    return y, lambda g: g * y * (1.0 - y)


# w1 (hidden x input), b1 (hidden), w2 (output x hidden), b2 (output)
Params = tuple[Mat, Vec, Mat, Vec]


def neural_net(inp: Vec, params: BVar[Params]) -> BVar[Vec]:
    """The network's output for input `inp` (a constant: no gradient flows into it)."""
    w1, b1, w2, b2 = params.unpack()
    z = logistic(matvec(w1, inp) + b1)
    return logistic(matvec(w2, z) + b2)


def squared_error(inp: Vec, targ: Vec) -> Callable[[BVar[Params]], BVar[float]]:
    """The squared error of the network against `targ`, as a function of the parameters."""

    def error(params: BVar[Params]) -> BVar[float]:
        err = neural_net(inp, params) - targ
        return err @ err

    return error


def net_grad(inp: Vec, targ: Vec, params: Params) -> Params:
    """The gradient of the squared error: a `Params` again, one gradient per parameter."""
    return tp.grad(squared_error(inp, targ), params)


def init_params(n_in: int, n_hidden: int, n_out: int, seed: int = 0) -> Params:
    rng = np.random.default_rng(seed)
    return (
        rng.normal(0.0, 1.0 / np.sqrt(n_in), (n_hidden, n_in)),
        np.zeros(n_hidden),
        rng.normal(0.0, 1.0 / np.sqrt(n_hidden), (n_out, n_hidden)),
        np.zeros(n_out),
    )


def descend(params: Params, grads: Params, rate: float) -> Params:
    """One step of gradient descent."""
    w1, b1, w2, b2 = params
    g1, gb1, g2, gb2 = grads
    return (w1 - rate * g1, b1 - rate * gb1, w2 - rate * g2, b2 - rate * gb2)


def main(steps: int = 200, rate: float = 0.2, seed: int = 0) -> list[float]:
    """Fit one input to one target; returns the error after each step."""
    rng = np.random.default_rng(seed)
    inp, targ = rng.normal(size=8), rng.uniform(0.1, 0.9, size=3)
    params = init_params(8, 5, 3, seed)
    errors: list[float] = []
    for step in range(steps):
        error, grads = tp.backprop(squared_error(inp, targ), params)
        errors.append(float(error))
        params = descend(params, grads, rate)
        if step % (steps // 5 or 1) == 0:
            print(f"step {step:4d}  squared error {error:.3e}")
    print(f"final      squared error {errors[-1]:.3e}")
    return errors


if __name__ == "__main__":
    main()
