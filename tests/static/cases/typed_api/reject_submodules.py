"""Rejected: a submodule of typedprop that does not exist, and a misused one reached through
the package. Checked by mypy only (see tests/static/test_static.py for the markers)."""

import typedprop as tp


def a_misspelt_submodule() -> None:
    tp.optimm.Adam(1.0)  # E: Module has no attribute "optimm"; maybe "optim"?  [attr-defined]


def a_name_the_submodule_lacks() -> None:
    tp.optim.RMSProp(1.0)  # E: Module has no attribute "RMSProp"  [attr-defined]


def a_gradient_of_another_type(w: tp.Vec, g: tp.Mat) -> None:
    tp.optim.SGD(w, lr=0.1).step(w, g)  # E: Argument 2 to "step" of "Optimizer" has incompatible type "Mat"; expected "Vec"  [arg-type]
