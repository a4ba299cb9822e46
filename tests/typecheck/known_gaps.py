"""Known gaps: lines the issue says mypy should ACCEPT with these types, which mypy 2.4
rejects today because of how src/typedprop is typed.

Each line carries the `# type: ignore[code]` of today's rejection, so the suite stays green and
tests/test_static.py checks that the rejection is still exactly this one. When src is fixed,
mypy reports the comment as unused (`Unused "type: ignore" comment`) and the clean run fails:
then move the line, without its comment, into the matching accept_*.py file.

Gaps the other way (mypy accepts code it should reject) cannot be pinned like this; they are
listed here as text:
- `grad_n` and `backprop_n` with five or more parameters type the gradients exactly but do not
  check `f` against them (only one to four parameters have precise overloads).

Checked by mypy only; nothing here runs.
"""

from typing import NamedTuple, assert_type

import numpy as np

from typedprop import BVar, Mat, Vec


def mat() -> Mat:
    return np.zeros((2, 2))


def vec() -> Vec:
    return np.zeros(2)


class Affine(NamedTuple):
    w: Mat
    b: Vec


def unpack_of_a_namedtuple(p: BVar[Affine]) -> None:
    # A NamedTuple is a tuple, and unpack works on it at run time, but BVar is invariant and
    # BVar[Affine] matches none of unpack's `BVar[tuple[A, B]]` self types.
    w, b = p.unpack()  # type: ignore[misc]  # E: Invalid self argument "BVar[Affine]" to attribute function "unpack"
