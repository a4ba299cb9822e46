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
- `Params` is the heterogeneous parameter tuple, backprop's `Tuple '[L n m, R n, L o n, R o]`,
  as a NamedTuple: its jaxtyping hints name the sizes that the layers share, and `shapecheck`
  checks them whenever a `Params` is built, at run time and, with `typedprop.mypy_plugin`, in
  mypy. The brief's sizes are `Final` constants, so mypy knows them: build the second layer
  with `tp.normal(OUTPUTS, INPUTS, ...)` and mypy says, before anything runs,

      error: Dimension mismatch in call to "Params": dimension n: 8 (argument "w2", axis 1) vs 5 (argument "w1", axis 0)  [dim-mismatch]

- `net_grad` returns a gradient of exactly the parameters' type, `Params`, which mypy proves.

Run it: `python examples/brief.py` trains the network on one input for a few steps of gradient
descent and prints the error falling.
"""

from collections.abc import Callable
from typing import Final, NamedTuple

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


INPUTS: Final = 8
HIDDEN: Final = 5
OUTPUTS: Final = 3


@tp.shapecheck
class Params(NamedTuple):
    """The parameters: m inputs, n hidden units, o outputs (the seed's `L n m`, `R n`, ...)."""

    w1: Float[Mat, "n m"]
    b1: Float[Vec, " n"]
    w2: Float[Mat, "o n"]
    b2: Float[Vec, " o"]


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


def init_params(seed: int = 0) -> Params:
    """The brief's network, weights drawn with variance 1/fan-in, biases zero."""
    rng = np.random.default_rng(seed)
    return Params(
        w1=tp.normal(HIDDEN, INPUTS, scale=INPUTS**-0.5, rng=rng),
        b1=tp.zeros(HIDDEN),
        w2=tp.normal(OUTPUTS, HIDDEN, scale=HIDDEN**-0.5, rng=rng),
        b2=tp.zeros(OUTPUTS),
    )


def descend(params: Params, grads: Params, rate: float) -> Params:
    """One step of gradient descent."""
    return Params(*(p - rate * g for p, g in zip(params, grads, strict=True)))


def main(steps: int = 200, rate: float = 0.2, seed: int = 0) -> list[float]:
    """Fit one input to one target; returns the error after each step."""
    rng = np.random.default_rng(seed)
    inp, targ = tp.normal(INPUTS, rng=rng), rng.uniform(0.1, 0.9, size=OUTPUTS)
    params = init_params(seed)
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
