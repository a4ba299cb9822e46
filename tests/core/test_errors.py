"""The errors typedprop raises (`typedprop._core.errors`): what each subclasses, so that code
handling the built-in errors handles them too."""

import numpy as np
import pytest

import typedprop as tp

# ---------------------------------------------------------------------------------------------
# What the errors subclass
# ---------------------------------------------------------------------------------------------


def test_tape_error_is_a_runtime_error() -> None:
    assert issubclass(tp.TapeError, RuntimeError)


def test_check_error_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="^backprop_with: the seed does not fit"):
        tp.backprop_with(lambda v: v, np.ones(2), np.ones(3))
