"""Accepted: the constructors' types by rank and `dtype`: float64 by default, the float type
`dtype=` names (np.float32, np.dtype(np.float32)), any float for a dtype's name. (The sizes here
are not literals, so the plugin adds none and the types are the same with it and without.)

Checked by mypy only (tests/static/test_static.py); nothing here runs.
"""

from typing import Any, assert_type

import numpy as np

import typedprop as tp
from typedprop import Array, Mat, Vec

F32 = np.dtype[np.float32]
F64 = np.dtype[np.float64]


def default_float64(n: int) -> None:
    assert_type(tp.zeros(n), np.ndarray[tuple[int], F64])
    assert_type(tp.ones(n, n), np.ndarray[tuple[int, int], F64])
    assert_type(tp.normal(n, n, n, rng=0), np.ndarray[tuple[int, int, int], F64])
    assert_type(tp.zeros(n, dtype=None), np.ndarray[tuple[int], F64])


def float32_by_type_or_dtype(n: int) -> None:
    assert_type(tp.zeros(n, dtype=np.float32), np.ndarray[tuple[int], F32])
    assert_type(tp.ones(n, n, dtype=np.float32), np.ndarray[tuple[int, int], F32])
    assert_type(tp.normal(n, n, rng=0, dtype=np.dtype(np.float32)), np.ndarray[tuple[int, int], F32])
    assert_type(tp.zeros(n, n, n, dtype=np.float16), np.ndarray[tuple[int, int, int], np.dtype[np.float16]])
    assert_type(tp.ones(n, dtype=np.float64), np.ndarray[tuple[int], F64])


def float_by_name_is_any_float(n: int) -> None:
    assert_type(tp.zeros(n, dtype="float32"), Vec)
    assert_type(tp.ones(n, n, dtype="f4"), Mat)


def unpacked_sizes(shape: tuple[int, ...]) -> None:
    assert_type(tp.zeros(*shape), np.ndarray[tuple[Any, ...], F64])
    assert_type(tp.zeros(*shape, dtype=np.float32), np.ndarray[tuple[Any, ...], F32])
    assert_type(tp.normal(*shape, dtype="float16"), Array)


def float32_arrays_fit_the_array_aliases(n: int) -> None:
    v: Vec = tp.zeros(n, dtype=np.float32)
    m: Mat = tp.normal(n, n, rng=0, dtype=np.float32)
    del v, m
