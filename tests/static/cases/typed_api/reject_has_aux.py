"""Rejected: `has_aux` calls whose function does not return what the flag says, and auxes put
into names of the wrong types.

Each rejected line ends in `# E: message  [code]`; tests/static/test_static.py checks both.
Checked by mypy only.
"""

import numpy as np

import typedprop as tp
from typedprop import BVar, Vec


def vec() -> Vec:
    return np.zeros(2)


def loss(v: BVar[Vec]) -> BVar[float]:
    return v @ v


def with_aux(v: BVar[Vec]) -> tuple[BVar[float], BVar[Vec]]:
    return v @ v, v * 2.0


def plain_output(v: BVar[Vec]) -> tuple[float, str]:
    return 1.0, "label"


def has_aux_with_a_function_returning_a_bare_bvar() -> None:
    # With has_aux=True the function returns (output, aux): a bare BVar matches no overload.
    tp.grad(loss, vec(), has_aux=True)  # E: No overload variant of "grad" matches argument types...  [call-overload]
    tp.backprop(loss, vec(), has_aux=True)  # E: No overload variant of "backprop" matches argument types...  [call-overload]
    tp.grad_n(loss, vec(), has_aux=True)  # E: No overload variant of "grad_n" matches argument types...  [call-overload]
    tp.trace(loss, vec(), has_aux=True)  # E: Too few arguments for "trace"  [call-arg]  # E: No overload variant of "trace" matches argument types...  [call-overload]


def a_pair_without_has_aux() -> None:
    # A function returning (output, aux) needs has_aux=True.
    tp.grad(with_aux, vec())  # E: Argument 1 to "grad" has incompatible type...  [arg-type]
    tp.trace(with_aux, vec())  # E: Too few arguments for "trace"  [call-arg]  # E: Argument 1 to "trace" has incompatible type...  [arg-type]


def the_output_must_be_a_bvar() -> None:
    tp.grad(plain_output, vec(), has_aux=True)  # E: No overload variant of "grad" matches argument types...  [call-overload]


def has_aux_must_be_a_literal(flag: bool) -> None:
    # The result's shape depends on has_aux: mypy needs True or False, not a bool.
    tp.grad(with_aux, vec(), has_aux=flag)  # E: No overload variant of "grad" matches argument types...  [call-overload]


def the_aux_has_its_type() -> None:
    g, aux = tp.grad(with_aux, vec(), has_aux=True)
    s: str = aux  # E: Incompatible types in assignment (expression has type...  [assignment]
    del s


def with_label(v: BVar[Vec]) -> tuple[BVar[float], str]:
    return v @ v, "label"


def grad_gives_the_gradient_first() -> None:
    # grad gives (gradient, aux), as JAX's grad(f, has_aux=True): not (aux, gradient). The
    # declared name is the call's context, so mypy reports the call.
    aux: str
    aux, g = tp.grad(with_label, vec(), has_aux=True)  # E: No overload variant of "grad" matches argument types...  [call-overload]


def graph_with_aux_has_no_op(v: Vec) -> None:
    graph = tp.trace(with_aux, v, has_aux=True)
    graph.as_op()  # E: "GraphWithAux[...]" has no attribute "as_op"  [attr-defined]
