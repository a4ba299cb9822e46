"""Static sizes of the constructors given a `dtype`: the plugin reads the sizes whatever the
dtype, and the type says the dtype (float32 here, not float64)."""

# Marker comments hold whole mypy messages: long lines, kept as written.
# ruff: noqa: E501
# fmt: off

from typing import Final, reveal_type

import numpy as np

import typedprop as tp
from typedprop import ops

IN: Final = 784
HIDDEN: Final = 300


def case_zeros_float32() -> None:
    reveal_type(tp.zeros(32, 784, dtype=np.float32))  # N: Revealed type is "numpy.ndarray[tuple[int, int], numpy.dtype[numpy.floating[numpy._typing._nbit_base._32Bit]]]"


def case_ones_final_float32() -> None:
    reveal_type(tp.ones(IN, dtype=np.float32))  # N: Revealed type is "numpy.ndarray[tuple[int], numpy.dtype[numpy.floating[numpy._typing._nbit_base._32Bit]]]"


def case_normal_float32() -> None:
    reveal_type(tp.normal(HIDDEN, IN, scale=0.1, rng=0, dtype=np.float32))  # N: Revealed type is "numpy.ndarray[tuple[int, int], numpy.dtype[numpy.floating[numpy._typing._nbit_base._32Bit]]]"


def case_dtype_object() -> None:
    reveal_type(tp.zeros(2, 3, 4, dtype=np.dtype(np.float16)))  # N: Revealed type is "numpy.ndarray[tuple[int, int, int], numpy.dtype[numpy.floating[numpy._typing._nbit_base._16Bit]]]"


def case_dtype_name_is_any_float() -> None:
    # A dtype's name gives the sizes and a float of unknown precision (never float64).
    reveal_type(tp.zeros(HIDDEN, dtype="float32"))  # N: Revealed type is "numpy.ndarray[tuple[int], numpy.dtype[numpy.floating[Any]]]"


def case_float64_as_without_dtype() -> None:
    reveal_type(tp.ones(3, dtype=np.float64))  # N: Revealed type is "numpy.ndarray[tuple[int], numpy.dtype[numpy.float64]]"


def case_float32_layer() -> None:
    # A float32 layer: the sizes flow through the ops as they do in float64.
    w, b = tp.normal(HIDDEN, IN, rng=0, dtype=np.float32), tp.zeros(HIDDEN, dtype=np.float32)
    reveal_type(ops.linear(w, tp.zeros(IN, dtype=np.float32), b))  # N: Revealed type is "numpy.ndarray[tuple[Any, ...], numpy.dtype[numpy.floating[Any]]]"
