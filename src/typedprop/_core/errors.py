"""The errors typedprop raises. Import them from `typedprop`, not from here."""


class CheckError(TypeError):
    """A value broke a check: an op got an argument of the wrong shape or dtype, or an op's
    gradient does not fit its input.

    It subclasses `TypeError`, so code that already handles type errors handles it too. The
    message names the op, the argument and the dimensions involved.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> try:
        ...     tp.constant(np.ones(3)) + np.ones(4)
        ... except tp.CheckError as e:
        ...     print(e)
        add: argument 'a' of shape (3,) and argument 'b' of shape (4,) do not broadcast together
        ```
    """


class TapeError(RuntimeError):
    """A `BVar` was used where its tape is not: after its `backprop` call returned, or inside
    another `backprop` call than the one that made it (the runtime form of the phantom `s` that
    keeps a variable on its tape in Haskell's backprop).

    !!! example
        ```python
        >>> import typedprop as tp
        >>> kept = []
        >>> tp.grad(lambda x: kept.append(x) or x * 2.0, 1.0)
        2.0
        >>> try:
        ...     kept[0] * 2.0
        ... except tp.TapeError as e:
        ...     print(e)
        this BVar was made inside a backprop call that has returned; a BVar lives only inside
        the function being differentiated (return its .value to keep a result)
        ```
    """


class TraceError(TypeError):
    """`typedprop.trace` met something a recorded graph cannot replay: a Python branch on a
    traced value (`if x.value > 0:`), or a value computed in Python from the parameters or the
    data, given to an op as a plain constant or as a setting (an exponent, clip bounds, a
    `where` condition, an index). Use the implicit style (`typedprop.backprop`) for such
    functions.

    !!! example
        ```python
        >>> import typedprop as tp
        >>> def relu(x: tp.BVar[float]) -> tp.BVar[float]:
        ...     return x if x.value > 0 else x * 0.0
        >>> try:
        ...     tp.trace(relu, 1.0)
        ... except tp.TraceError as e:
        ...     print(str(e)[:60])
        trace: a Python branch on a traced value (the truth of x.val
        ```
    """
