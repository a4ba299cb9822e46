"""The seed's monomorphic test: one function of three floats, differentiated in two styles.

Haskell backprop ships a small executable, `backprop-monotest`, that differentiates

    f(x, y, z) = ((x * y) + y) * z

at (x, y, z) = (2, 3, 4) twice, once in each of the library's styles, and prints the same
answer both times. Worked out by hand, which is what every style must agree with:

    value  f     = ((2 * 3) + 3) * 4 = 36
    df/dx = y z          = 3 * 4     = 12
    df/dy = (x + 1) z    = 3 * 4     = 12
    df/dz = x y + y      = 6 + 3     = 9

The styles, in typedprop:

- **Implicit**: write `f` with ordinary arithmetic on `BVar[float]`s and hand it to
  `typedprop.backprop_n`, which differentiates with respect to each of the three separate
  parameters. Every `*` and `+` is an op from `typedprop.ops` with a known gradient; nothing is
  written by hand. mypy proves that the gradients are a `tuple[float, float, float]`.
- **Explicit ops**: the primitives are written by hand, each a forward computation plus the
  continuation from the output's gradient to its inputs' gradients, as the seed's explicit
  style binds `op2 (*)` and `op2 (+)` one by one. `Mul` subclasses `Op[float, float, float]`,
  `add` is built with `op2`, and `f_op` is the whole of `f` as a single `op3` whose gradient is
  the hand-derived one above: a model of how one writes a fused primitive for speed.

Run it: `python examples/monotest.py` prints the value and gradients from each style.
"""

from collections.abc import Callable

import typedprop as tp
from typedprop import BVar

Grads = tuple[float, float, float]

# ---------------------------------------------------------------------------------------------
# The implicit style: ordinary arithmetic on BVars
# ---------------------------------------------------------------------------------------------


def f_implicit(x: BVar[float], y: BVar[float], z: BVar[float]) -> BVar[float]:
    """`((x * y) + y) * z`, each operator an op of `typedprop.ops` with its own gradient."""
    return ((x * y) + y) * z


def implicit(x: float, y: float, z: float) -> tuple[float, Grads]:
    """The value of `f` and its three partial derivatives, by `backprop_n`."""
    return tp.backprop_n(f_implicit, x, y, z)


# ---------------------------------------------------------------------------------------------
# The explicit style: primitives with hand-written gradients
# ---------------------------------------------------------------------------------------------


class Mul(tp.Op[float, float, float]):
    """`x * y`: the gradient of a product is the other factor, times the output's gradient.

    The type parameters say "two floats in, one float out"; mypy checks that the continuation
    returns a pair of floats, one per input.
    """

    name = "mul"

    def forward(self, x: float, y: float) -> tuple[float, Callable[[float], tuple[float, float]]]:
        return x * y, lambda g: (g * y, g * x)


mul = Mul()


@tp.op2
def add(x: float, y: float) -> tuple[float, Callable[[float], tuple[float, float]]]:
    """`x + y`: the output's gradient flows unchanged to both inputs."""
    return x + y, lambda g: (g, g)


def f_explicit(x: BVar[float], y: BVar[float], z: BVar[float]) -> BVar[float]:
    """`f` bound op by op, as the seed's explicit style does: `xy`, then `xyy`, then the
    product with `z`. `y` is used twice, so its two gradients are summed by the engine."""
    xy = mul(x, y)
    xyy = add(xy, y)
    return mul(xyy, z)


@tp.op3
def f_op(x: float, y: float, z: float) -> tuple[float, Callable[[float], Grads]]:
    """All of `f` as one primitive, its gradient derived by hand (see the module docstring).

    `x * y` is computed once in forward and reused by the continuation: the staged gradient
    closes over what forward computed, so nothing is recomputed on the way back.
    """
    xy = x * y
    return (xy + y) * z, lambda g: (g * y * z, g * (x + 1.0) * z, g * (xy + y))


def explicit(x: float, y: float, z: float) -> tuple[float, Grads]:
    """The value and gradients of `f` through the hand-written `mul` and `add`."""
    return tp.backprop_n(f_explicit, x, y, z)


def fused(x: float, y: float, z: float) -> tuple[float, Grads]:
    """The value and gradients of `f` through the single hand-written op `f_op`. An op is
    itself a function of BVars, so it can be handed to `backprop_n` as it is."""
    return tp.backprop_n(f_op, x, y, z)


def main(x: float = 2.0, y: float = 3.0, z: float = 4.0) -> dict[str, tuple[float, Grads]]:
    """Differentiate `f` at `(x, y, z)` in each style; print and return the results, keyed by
    style. All styles give the same numbers: 36 and (12, 12, 9) at the defaults.

    Recorded graphs (`typedprop.trace`), backprop's explicit style proper, where the graph of
    `f` is built once and replayed on new inputs:
    TODO(lead): add a "traced" entry here once the third style is wired in, e.g.
    `tp.trace(...)` over a `tuple[float, float, float]` parameter; it is left out of this
    example on purpose for now.
    """
    # typedprop differentiates floats, not ints (an int parameter gets the gradient int 0), and
    # a type checker lets an int through where a float is declared: `main(2, 3, 4)` must still
    # mean the point (2.0, 3.0, 4.0).
    x, y, z = float(x), float(y), float(z)
    results = {
        "implicit": implicit(x, y, z),
        "explicit (mul, add)": explicit(x, y, z),
        "explicit (one op3)": fused(x, y, z),
    }
    for style, (value, (gx, gy, gz)) in results.items():
        print(f"{style:20s} f = {value:g}   df/dx = {gx:g}  df/dy = {gy:g}  df/dz = {gz:g}")
    return results


if __name__ == "__main__":
    main()
