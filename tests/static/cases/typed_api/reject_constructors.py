"""Rejected: constructors given a dtype that is not a float (the runtime refuses it too, with a
CheckError), and float32 arrays put where float64 is required.

Each rejected line ends in `# E: message  [code]`; tests/static/test_static.py checks both.
Checked by mypy only.
"""

import numpy as np

import typedprop as tp


def integer_complex_and_object_dtypes(n: int) -> None:
    tp.zeros(n, dtype=np.int32)  # E: Value of type variable "_F" of "zeros" cannot be "signedinteger[_32Bit]"  [type-var]
    tp.ones(n, dtype=np.complex128)  # E: Value of type variable "_F" of "ones" cannot be "complex128"  [type-var]
    tp.normal(n, dtype=object)  # E: Value of type variable "_F" of "normal" cannot be "object"  [type-var]
    tp.zeros(n, n, dtype="int64")  # E: No overload variant of "zeros" matches argument types "int", "int", "str"  [call-overload]


def python_int_and_float_are_not_dtypes_here(n: int) -> None:
    # mypy takes an int for a float, so `float` is left out: `int` would pass as it.
    tp.zeros(n, dtype=int)  # E: Value of type variable "_F" of "zeros" cannot be "int"  [type-var]
    tp.zeros(n, dtype=float)  # E: Value of type variable "_F" of "zeros" cannot be "float"  [type-var]


def float32_is_not_float64(n: int) -> None:
    # The type says float32: it does not claim float64 (the declared type is the call's
    # context, so mypy reports the argument).
    x: np.ndarray[tuple[int], np.dtype[np.float64]] = tp.ones(n, dtype=np.float32)  # E: Argument "dtype" to "ones" has incompatible type "type[floating[_32Bit]]"; expected "type[float64] | dtype[float64]"  [arg-type]
    del x
