"""Constructors given a `dtype` keep their sizes for the plugin: wrong sizes are caught in float32
as in float64."""

# Marker comments hold whole mypy messages: long lines, kept as written.
# ruff: noqa: E501
# fmt: off

from typing import Final

import numpy as np

import typedprop as tp
from typedprop import ops

IN: Final = 784
HIDDEN: Final = 128


def case_float32_matvec_inner_dimension() -> None:
    w = tp.zeros(HIDDEN, HIDDEN, dtype=np.float32)
    x = tp.zeros(IN, dtype=np.float32)
    ops.matvec(w, x)  # E: Dimension mismatch in call to "matvec": dimension n: 784 (argument "x", axis 0) vs 128 (argument "w", axis 1)  [dim-mismatch]


def case_float32_normal_wrong_bias_length() -> None:
    w = tp.normal(300, IN, rng=0, dtype=np.float32)
    ops.linear(w, tp.ones(IN, dtype="float32"), tp.zeros(30, dtype=np.float32))  # E: Dimension mismatch in call to "linear": dimension out: 30 (argument "b", axis 0) vs 300 (argument "w", axis 0)  [dim-mismatch]
