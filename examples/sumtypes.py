"""A parameter of a union type: a line or a parabola, fitted to the same data, the better kept.

Haskell backprop 0.0.1 left an open question (README, TODO 5a): can the implicit style pattern
match on sum types, so that a model's parameter may be one of several constructors? In
typedprop it can. The parameter here is a `Line | Parabola`:

    @dataclass(frozen=True)
    class Line:                      @dataclass(frozen=True)
        slope: float                 class Parabola:
        intercept: float                 curve: float
                                         slope: float
                                         intercept: float

and the model branches on which one it was given, with Python's `match` on the plain value:

    def predict(p: BVar[Model], x: Vec) -> BVar[Vec]:
        match p.value:
            case Line():
                line = p.narrow(Line)        # a BVar[Line]: mypy now knows its fields
                ...
            case Parabola():
                ...

`p.narrow(Line)` is the same BVar, seen as the variant the `match` found; it checks at run
time that the value is a `Line` (a `CheckError` otherwise), and after it `view` is typed by the
variant's fields, so a typo in a field name is a static error.

The gradient of a union-typed parameter is of the variant it was given: `tp.grad(loss, line)`
is a `Line` with a gradient for its two fields, `tp.grad(loss, parabola)` a `Parabola`. mypy
sees it too: `fit` is generic in the variant (`M` is `Line` or `Parabola`), `tp.grad(loss, m)`
has type `M`, and Adam, made for an `M`, returns `M`s.

Run it: `python examples/sumtypes.py` fits both variants by Adam to noisy samples of a
parabola, prints each fit and its error, and keeps the better one: the parabola, whose error is
the noise's level, where the line's is a hundred times more. On straight data the parabola's
curve fits the noise, and the comparison charges it for that extra coefficient:
`main(curve=0.0, seed=1)` keeps the line.
"""

from dataclasses import dataclass, fields
from typing import TypeVar

import numpy as np
from jaxtyping import Float

import typedprop as tp
from typedprop import BVar, Vec, ops, optim


@dataclass(frozen=True)
class Line:
    """`slope * x + intercept`."""

    slope: float
    intercept: float


@dataclass(frozen=True)
class Parabola:
    """`curve * x^2 + slope * x + intercept`."""

    curve: float
    slope: float
    intercept: float


Model = Line | Parabola
M = TypeVar("M", Line, Parabola)


def predict(p: BVar[Model], x: Float[Vec, " n"]) -> BVar[Vec]:
    """The model's prediction at each point of `x` (data: no gradient)."""
    match p.value:
        case Line():
            line = p.narrow(Line)
            return line.view(lambda m: m.slope) * x + line.view(lambda m: m.intercept)
        case Parabola():
            par = p.narrow(Parabola)
            return (
                par.view(lambda m: m.curve) * (x * x)
                + par.view(lambda m: m.slope) * x
                + par.view(lambda m: m.intercept)
            )
    # mypy proves the match exhaustive over `Model`, but a caller without mypy may pass
    # anything.
    raise TypeError(f"predict: not a Line or a Parabola: {p.value!r}")


@tp.shapecheck
def loss(p: BVar[Model], x: Float[Vec, " n"], y: Float[Vec, " n"]) -> BVar[float]:
    """The mean squared error of the model on the data `(x, y)`."""
    return ops.mean_squared_error(predict(p, x), y)


def gradient(model: M, x: Vec, y: Vec) -> M:
    """The gradient of the loss at `model`: of the variant given, as its type says."""
    return tp.grad(lambda p: loss(p, x, y), model)


def fit(model: M, x: Vec, y: Vec, steps: int, lr: float) -> tuple[M, float]:
    """`model` fitted to `(x, y)` by `steps` of Adam, and its final loss. The variant never
    changes: the optimizer is made for an `M` and gives back `M`s."""
    opt = optim.Adam(model, lr=lr)
    for _ in range(steps):
        model = opt.step(model, gradient(model, x, y))
    return model, float(tp.evaluate(lambda p: loss(p, x, y), model))


def make_data(
    n: int, curve: float, slope: float, intercept: float, noise: float, seed: int = 0
) -> tuple[Vec, Vec]:
    """`n` noisy samples of a parabola on [-2, 2]."""
    rng = np.random.default_rng(seed)
    x = np.linspace(-2.0, 2.0, n)
    y = curve * x * x + slope * x + intercept + rng.normal(0.0, noise, n)
    return x, y


def show(m: Model, fmt: str = ".3f") -> str:
    """A model as the formula it computes."""
    match m:
        case Line(slope, intercept):
            return f"{slope:{fmt}} x {intercept:+{fmt}}"
        case Parabola(curve, slope, intercept):
            return f"{curve:{fmt}} x^2 {slope:+{fmt}} x {intercept:+{fmt}}"


def score(model: Model, mse: float, samples: int) -> float:
    """The Bayesian information criterion for Gaussian errors, up to a constant: the fit's
    error on a log scale plus a charge of `log(samples)` for each coefficient. Lower is better.
    """
    return samples * float(np.log(mse)) + len(fields(model)) * float(np.log(samples))


def main(
    samples: int = 50,
    curve: float = 0.8,
    slope: float = -1.0,
    intercept: float = 0.5,
    noise: float = 0.1,
    steps: int = 1000,
    lr: float = 0.05,
    seed: int = 0,
) -> tuple[Line, float, Parabola, float, Model]:
    """Fit a `Line` and a `Parabola` to samples of `curve x^2 + slope x + intercept` with
    Gaussian noise; returns each fit with its loss, and the better of the two by `score`."""
    x, y = make_data(samples, curve, slope, intercept, noise, seed)
    line, line_loss = fit(Line(0.0, 0.0), x, y, steps, lr)
    par, par_loss = fit(Parabola(0.0, 0.0, 0.0), x, y, steps, lr)
    print(f"data: {show(Parabola(curve, slope, intercept))}, noise {noise}")
    print(f"line      {show(line):34s} mean squared error {line_loss:.4f}")
    print(f"parabola  {show(par):34s} mean squared error {par_loss:.4f}")
    # A parabola with curve 0 is a line, so the parabola always fits at least as well: compare
    # them by an error that charges for each coefficient.
    best: Model = par if score(par, par_loss, samples) < score(line, line_loss, samples) else line
    # `best` is only known to be a `Model`, so mypy types its gradient `Model`; at run time it
    # is of `best`'s own variant, and near zero, since `best` is a fit.
    g: Model = tp.grad(lambda p: loss(p, x, y), best)
    print(f"better: {type(best).__name__}; its gradient, a {type(g).__name__}: {show(g, '.1e')}")
    return line, line_loss, par, par_loss, best


if __name__ == "__main__":
    main()
