"""Losses: a prediction (or logits) and its targets to one number to minimise.

`squared_error` and `mean_squared_error` for regression; `softmax_cross_entropy` (probability
or one-hot targets), `softmax_cross_entropy_with_integer_labels` (class indices) and
`sigmoid_binary_cross_entropy` for classification. Each gives a scalar: a `BVar[float]` for
BVar inputs, a float (a numpy scalar of the inputs' dtype) for plain ones. Classification
losses average over the batch: every axis of the logits but the last (the classes) for the
softmax ones, every element for the binary one.

The cross-entropies never form `log(softmax)` or `log(sigmoid)`: they use the max-shifted
exponential of `_reductions.shifted_exp` and `log1p(exp(-|x|))`, so values and gradients are
exact and finite, without warnings, for logits of magnitude 1e3 and 1e4.

Predictions and targets must have the same shape (no broadcasting: a (3,) target against a
(3, 1) prediction is almost always a bug); integer labels are constants, never differentiated.

The losses compute with their inputs' array namespace (`array_module`): numpy's for numpy
arrays and numbers, another library's (PyTorch, JAX, ...) for its arrays, whose losses are 0-d
arrays of that library. Integer labels are arrays of the logits' library (or Python ints).

!!! example
    ```python
    >>> import numpy as np
    >>> import typedprop as tp
    >>> from typedprop import ops
    >>> x = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> labels = np.array([1, 0])
    >>> def loss(w: tp.BVar[tp.Mat]) -> tp.BVar[float]:
    ...     return ops.softmax_cross_entropy_with_integer_labels(x @ w, labels)
    >>> value, gradient = tp.backprop(loss, np.zeros((2, 2)))
    >>> value  # log(2): uniform predictions over two classes
    np.float64(0.6931471805599453)
    >>> gradient
    array([[-0.5,  0.5],
           [-0.5,  0.5]])
    ```

Internal: users import the ops from `typedprop.ops`.
"""

import math
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias, overload

import numpy as np

from .._core.arrays import L, OtherArray
from .._core.backends import mixing_message
from .._core.bvar import BVar
from .._core.errors import CheckError
from .._core.op import SKIPPED, Grad2, Op
from .._core.structures import array_kind, array_module
from ._axes import describe_shape
from ._broadcast import unbroadcast
from ._reductions import _floating, all_reduce, log_of_sum, max_reduce, shifted_exp, sum_reduce
from ._registry import public

_Values: TypeAlias = np.ndarray[Any, Any] | float
_BValues: TypeAlias = BVar[np.ndarray[Any, Any]] | BVar[float]
_Labels: TypeAlias = np.ndarray[Any, np.dtype[np.integer[Any]]] | int


def _same_shape(op: str, names: tuple[str, str], a: Any, b: Any) -> None:
    if np.shape(a) != np.shape(b):
        raise CheckError(
            f"{op}: {describe_shape(names[1], b)} does not match {describe_shape(names[0], a)}"
        )


def _class_axis(op: str, logits: Any) -> None:
    if np.ndim(logits) == 0:
        raise CheckError(
            f"{op}: {describe_shape('logits', logits)} has no class axis (it needs at least one "
            "axis, the last holding the classes)"
        )


def _batch(logits: Any) -> int:
    """How many rows of classes the softmax losses average over."""
    return math.prod(np.shape(logits)[:-1])


def _size(x: Any) -> int:
    """How many elements another library's array `x` has (`np.size` would read PyTorch's
    `size` method as the count)."""
    return math.prod(tuple(x.shape))


class Loss(Op[Any, Any, Any]):
    """The loss kind: `f(prediction, targets)`, a scalar; a BVar among the arguments gives a
    `BVar[float]`, plain values a float."""

    if TYPE_CHECKING:
        # The kind's static signature; narrower than Op's generic one (see Elementwise).
        @overload  # type: ignore[override]  # the kind's two-input signature
        def __call__(self, a: _BValues, b: _BValues | _Values, /) -> BVar[float]: ...
        @overload
        def __call__(self, a: _Values, b: _BValues, /) -> BVar[float]: ...
        @overload
        def __call__(self, a: _Values, b: _Values, /) -> float: ...
        # Another library's arrays: its 0-d array.
        @overload
        def __call__(self, a: BVar[L], b: BVar[OtherArray] | OtherArray, /) -> BVar[L]: ...
        @overload
        def __call__(self, a: OtherArray, b: BVar[L], /) -> BVar[L]: ...
        @overload
        def __call__(self, a: L, b: OtherArray, /) -> L: ...
        def __call__(self, a: Any, b: Any, /) -> Any: ...


class _SquaredDifferences(Loss):
    """The sum, or mean (`averaged`), of `(pred - target) ** 2`; both inputs differentiable."""

    averaged: bool

    def forward(self, pred: Any, target: Any) -> tuple[Any, Grad2]:
        _same_shape(self.name, ("pred", "target"), pred, target)
        xp = array_module(pred, target)
        d = pred - target
        total = xp.sum(d * d)
        n = (np.size(d) if xp is np else _size(d)) if self.averaged else 1
        # Like numpy's mean, an empty input gives nan with numpy's warning.
        value = total / n if self.averaged else total

        def grad(g: Any) -> tuple[Any, Any]:
            gd = g * 2 * d / n
            return unbroadcast(gd, pred), unbroadcast(-gd, target)

        return value, grad


class SquaredError(_SquaredDifferences):
    """`sum((pred - target) ** 2)` over every element; `pred` and `target` must have the same
    shape, and both are differentiable.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> target = np.array([1.0, 2.0])
        >>> ops.squared_error(np.array([2.0, 4.0]), target)
        np.float64(5.0)
        >>> tp.grad(lambda p: ops.squared_error(p, target), np.array([2.0, 4.0]))
        array([2., 4.])
        ```
    """

    name = "squared_error"
    averaged = False


class MeanSquaredError(_SquaredDifferences):
    """`mean((pred - target) ** 2)` over every element; `pred` and `target` must have the
    same shape, and both are differentiable.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> target = np.array([1.0, 2.0])
        >>> ops.mean_squared_error(np.array([2.0, 4.0]), target)
        np.float64(2.5)
        >>> tp.grad(lambda p: ops.mean_squared_error(p, target), np.array([2.0, 4.0]))
        array([1., 2.])
        ```
    """

    name = "mean_squared_error"
    averaged = True


class SoftmaxCrossEntropy(Loss):
    """The cross-entropy of `softmax(logits)` against `targets` (probabilities, or one-hot)
    over the last axis, `-sum(targets * log_softmax(logits))`, averaged over the leading
    (batch) axes. `targets` has the shape of `logits`; both are differentiable. The gradient
    for the logits is `(softmax(logits) - targets) / batch` for targets that sum to 1. Exact
    and finite for logits of magnitude 1e3 or 1e4.

    `-sum(targets * log_softmax(logits))`, averaged over the batch; both inputs differentiable.
    The gradient for the logits is `softmax * sum(targets) - targets` over the batch size:
    `softmax - targets` for targets that sum to 1.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> targets = np.array([[1.0, 0.0], [0.5, 0.5]])
        >>> ops.softmax_cross_entropy(np.array([[1e4, 0.0], [0.0, 0.0]]), targets)
        np.float64(0.34657359027997264)
        >>> tp.grad(lambda z: ops.softmax_cross_entropy(z, targets), np.zeros((2, 2)))
        array([[-0.25,  0.25],
               [ 0.  ,  0.  ]])
        ```
    """

    name = "softmax_cross_entropy"

    def forward(self, logits: Any, targets: Any) -> tuple[Any, Grad2]:
        _class_axis(self.name, logits)
        _same_shape(self.name, ("logits", "targets"), logits, targets)
        xp = array_module(logits, targets)
        if xp is not np:
            logits = _floating(xp, logits)
        shift, e, s = shifted_exp(self.name, xp, logits, (np.ndim(logits) - 1,))
        log_p = (logits - shift) - log_of_sum(xp, s)
        n = _batch(logits)
        value = -xp.sum(targets * log_p) / n

        def grad(g: Any) -> tuple[Any, Any]:
            scale = g / n
            mass = xp.sum(targets, axis=-1, keepdims=True)
            g_logits = scale * (e / s * mass - targets)
            return unbroadcast(g_logits, logits), unbroadcast(-scale * log_p, targets)

        return value, grad


class IntegerLabelsCrossEntropy(Op[Any, Any]):
    """The cross-entropy of `softmax(logits)` over the last axis against the classes
    `labels`, `logsumexp(logits) - logits[label]`, averaged over the leading (batch) axes.
    `labels` holds integers in `[0, k)` for `k` classes, of shape `logits.shape[:-1]` (one
    integer for a vector of logits); it is a constant, not differentiated. The gradient is
    `(softmax(logits) - one_hot(labels)) / batch`. Exact and finite for logits of magnitude
    1e3 or 1e4.

    `logsumexp(logits) - logits[label]` per row, averaged over the batch; the labels are a
    constant of the op. The gradient is `softmax - one_hot(labels)` over the batch size.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> ops.softmax_cross_entropy_with_integer_labels(np.array([1e4, 0.0, -1e4]), 1)
        np.float64(10000.0)
        >>> tp.grad(
        ...     lambda z: ops.softmax_cross_entropy_with_integer_labels(z, np.array([0, 1])),
        ...     np.zeros((2, 2)),
        ... )
        array([[-0.25,  0.25],
               [ 0.25, -0.25]])
        ```
    """

    name = "softmax_cross_entropy_with_integer_labels"

    def __init__(self, labels: Any = None) -> None:
        # numpy's arrays, numbers and lists as a numpy array; another library's arrays as
        # they are (`forward` checks that they are the logits' library).
        self._given = labels
        t = type(labels)
        if t is np.ndarray or t is int or array_module(labels) is np:
            self.labels = np.asarray(labels)
        else:
            self.labels = labels

    @overload  # type: ignore[override]  # the logits, and the labels as a setting
    def __call__(self, logits: _BValues, labels: _Labels, /) -> BVar[float]: ...
    @overload
    def __call__(self, logits: _Values, labels: _Labels, /) -> float: ...
    # Another library's logits, with labels of that library (or an int): its 0-d array.
    @overload
    def __call__(self, logits: BVar[L], labels: OtherArray | int, /) -> BVar[L]: ...
    @overload
    def __call__(self, logits: L, labels: OtherArray | int, /) -> L: ...
    def __call__(self, logits: Any, labels: Any, /) -> Any:
        # (An int first: hasattr's failed lookup on one sample's label costs a raise.)
        if (
            type(labels) is not int
            and hasattr(labels, "shape")
            and not isinstance(labels, np.generic)
        ):
            # An array of labels is the op's second input, which takes no gradient: a
            # recorded graph may then read it from the data (see `_ArrayLabels`).
            return Op.__call__(_ARRAY_LABELS, logits, labels)
        return Op.__call__(IntegerLabelsCrossEntropy(labels), logits)

    def check(self, logits: Any) -> None:
        op, labels = self.name, self.labels
        _class_axis(op, logits)
        if labels.dtype.kind not in "iu":
            raise CheckError(
                f"{op}: argument 'labels' must hold integers (class indices), "
                f"got dtype {labels.dtype}"
            )
        shape = np.shape(logits)
        if labels.shape != shape[:-1]:
            raise CheckError(
                f"{op}: {describe_shape('labels', labels)} does not match "
                f"{describe_shape('logits', logits)}: labels need shape {shape[:-1]}, one per "
                "row of logits"
            )
        k = shape[-1]
        # One pass: a negative label, read as unsigned, is larger than any class count.
        if labels.size and max_reduce(_as_unsigned(labels), None) >= k:
            out = (labels < 0) | (labels >= k)
            bad = labels[out].flat[0]
            raise CheckError(
                f"{op}: argument 'labels' holds {bad}, out of range [0, {k}) for "
                f"{describe_shape('logits', logits)} ({k} classes)"
            )

    def forward(self, logits: Any) -> tuple[Any, Callable[[Any], tuple[Any]]]:
        labels = self.labels
        if type(logits) is np.ndarray and type(labels) is np.ndarray:
            if logits.ndim == 1 and labels.ndim == 0:
                fast = self._one_sample(logits)
                if fast is not None:
                    return fast
        else:
            xp = array_module(logits)
            if xp is not np:
                return self._forward_other(xp, logits)
            if type(labels) is not np.ndarray:
                raise self._mixed("numpy", array_kind(labels).library)  # type: ignore[union-attr]
        self.check(logits)
        if (
            type(logits) is np.ndarray
            and logits.ndim == 2
            and logits.shape[1]
            and logits.dtype.kind == "f"
        ):
            rows = self._rows(logits)
            if rows is not None:
                return rows
        shift, e, s = shifted_exp(self.name, np, logits, (np.ndim(logits) - 1,))
        n = _batch(logits)
        index = self.labels[..., None]
        picked = np.take_along_axis(logits, index, axis=-1) - shift
        value = np.sum(log_of_sum(np, s) - picked) / n

        def grad(g: Any) -> tuple[Any]:
            p = e / s
            np.put_along_axis(p, index, np.take_along_axis(p, index, axis=-1) - 1, axis=-1)
            return (unbroadcast(p * (g / n), logits),)

        return value, grad

    def _mixed(self, logits: str, labels: str) -> CheckError:
        """The error for labels of another library than the logits': typedprop makes no hidden
        copies between libraries (nor between host and device)."""
        return CheckError(
            mixing_message(self.name, ("argument 'logits'", logits), ("argument 'labels'", labels))
        )

    def _forward_other(self, xp: Any, logits: Any) -> tuple[Any, Callable[[Any], tuple[Any]]]:
        """`forward` for the logits of another library than numpy, with the namespace `xp`:
        the labels are an array of the same library and device (Python ints are made one),
        picked with `take_along_axis`; the gradient subtracts a one-hot made by comparing the
        labels with `arange(k)`, where numpy writes into the softmax in place."""
        op, kind = self.name, array_kind(logits)
        assert kind is not None  # another library's array: its kind is known
        labels = self._given
        if isinstance(labels, np.ndarray | np.generic):
            raise self._mixed(kind.library, "numpy")
        library = kind.library
        device = kind.device(logits)
        if array_kind(labels) is None:  # Python ints, or lists of them: made an array here
            try:
                labels = xp.asarray(labels, device=device)
            except (TypeError, ValueError, RuntimeError):
                raise CheckError(
                    f"{op}: argument 'labels' must hold integers (class indices), got "
                    f"{type(labels).__name__}"
                ) from None
        elif array_kind(labels) is not kind:
            raise self._mixed(library, array_kind(labels).library)  # type: ignore[union-attr]
        elif None not in (labels_device := kind.device(labels), device) and (
            labels_device != device
        ):
            # A tracer's device reads as None (the logits under jax.jit, with the labels a
            # concrete array closed over, or the other way round): nothing to compare.
            raise CheckError(
                f"{op}: argument 'labels' is on {labels_device} but argument 'logits' "
                f"is on {device}; move the labels to the logits' device first"
            )
        _class_axis(op, logits)
        if not xp.isdtype(labels.dtype, "integral"):
            raise CheckError(
                f"{op}: argument 'labels' must hold integers (class indices), "
                f"got dtype {labels.dtype}"
            )
        shape = tuple(logits.shape)
        if tuple(labels.shape) != shape[:-1]:
            raise CheckError(
                f"{op}: argument 'labels' of shape {tuple(labels.shape)} does not match "
                f"argument 'logits' of shape {shape}: labels need shape {shape[:-1]}, one per "
                "row of logits"
            )
        k = shape[-1]
        on_torch = library == "torch"
        # The range check runs on the labels' device, and the host waits for its answer: one
        # wait per call, the price of an error that names the bad label. Out-of-range indices
        # are no clear error in the libraries themselves (JAX clamps or fills them silently,
        # PyTorch's CUDA kernels fail with a device-side assert), and negative ones would wrap.
        if on_torch:
            # PyTorch: the least and greatest label in one kernel and one read, where the
            # comparisons, their `|` and `any` take four kernels.
            traced = False
            bad = _torch_out_of_range(labels, k)
        else:
            outside = _outside(xp, labels, k)
            # Under jax.jit even concrete labels (closed over) compare to a tracer: JAX stages
            # every operation inside the traced function, so ask `outside`, not the labels.
            traced = _under_jit(outside)
            bad = not traced and bool(xp.any(outside))
        if bad:
            outside = _outside(xp, labels, k)
            flat = xp.reshape(labels, (-1,))
            first = int(xp.argmax(xp.astype(xp.reshape(outside, (-1,)), xp.int32)))
            raise CheckError(
                f"{op}: argument 'labels' holds {int(flat[first])}, out of range [0, {k}) for "
                f"argument 'logits' of shape {shape} ({k} classes)"
            )
        if on_torch and labels.dtype != xp.int64:
            labels = xp.astype(labels, xp.int64)  # PyTorch's gather takes int64 indices only
        logits = _floating(xp, logits)
        shift, e, s = shifted_exp(op, xp, logits, (len(shape) - 1,))
        n = _batch(logits)
        if on_torch:
            return self._torch_rest(logits, labels, shift, e, s, n)
        index = xp.expand_dims(labels, axis=-1)
        picked = xp.take_along_axis(logits, index, axis=-1) - shift
        if traced:
            # Under jax.jit the labels' values are unknown until the compiled program runs, so
            # they cannot be checked here: a label out of range makes the loss nan instead.
            picked = xp.where(xp.expand_dims(outside, axis=-1), xp.nan, picked)
        value = xp.sum(log_of_sum(xp, s) - picked) / n

        def grad(g: Any) -> tuple[Any]:
            one_hot = xp.astype(index == xp.arange(k, device=device), e.dtype)
            return (unbroadcast((e / s - one_hot) * (g / n), logits),)

        return value, grad

    @staticmethod
    def _torch_rest(
        logits: Any, labels: Any, shift: Any, e: Any, s: Any, n: int
    ) -> tuple[Any, Callable[[Any], tuple[Any]]]:
        """The rest of `_forward_other` on PyTorch's tensors (checked int64 labels, and
        `shifted_exp`'s parts): its own `gather` and `scatter_add_` where array-api-compat's
        `take_along_axis` and a one-hot made by comparing with `arange` cost four times the
        kernels' time on a batch. The same values: the one-hot's subtraction is an addition
        of -1 at each label, in the softmax's fresh array."""
        torch = sys.modules["torch"]
        index = labels.unsqueeze(-1)
        picked = torch.gather(logits, -1, index) - shift
        value = torch.sum(torch.log(s) - picked) / n

        def grad(g: Any) -> tuple[Any]:
            p = e / s
            p.scatter_add_(-1, index, torch.full(index.shape, -1.0, dtype=p.dtype, device=p.device))
            return (unbroadcast(p * (g / n), logits),)

        return value, grad

    def _rows(self, logits: Any) -> tuple[Any, Callable[[Any], tuple[Any]]] | None:
        """The loss of a batch of rows (a matrix of logits and a vector of checked labels), the
        common case: `shifted_exp`'s arithmetic with the shift checked once, where every
        row's maximum is finite (else None: the general path decides), the exponential taken
        in place, and numpy's indexing, which selects the same entries as take_along_axis and
        put_along_axis at a fraction of their cost. The same passes over the logits as a
        hand-written loss and gradient, and the same bits as the general path."""
        # The ufuncs' reductions called directly: `.max()`, `.all()`, `.sum()` and `np.sum`
        # without their Python wrappers (the same results), once per step of training.
        m = max_reduce(logits, 1, keepdims=True)
        if not all_reduce(np.isfinite(m), None):
            return None
        e = np.subtract(logits, m)
        np.exp(e, out=e)
        s = sum_reduce(e, 1, keepdims=True)  # at least 1: no log(0) to silence
        n = logits.shape[0]
        at = (np.arange(n), self.labels)
        value = sum_reduce(np.log(s) - (logits[at][:, None] - m), None) / n

        def grad_rows(g: Any) -> tuple[Any]:
            p = e / s
            p[at] -= 1
            p *= g / n  # in place: the product is computed as `p * (g / n)`, in its dtype
            return (p,)

        return value, grad_rows

    def _one_sample(self, logits: Any) -> tuple[Any, Callable[[Any], tuple[Any]]] | None:
        """The loss of one sample (a vector of logits and one label), the per-sample training
        loop's case, without the batch machinery; None where the general path must decide (a
        bad label, an infinite maximum), so that errors and edge cases have one home."""
        # A Python int as given, else the 0-d array's item: both index and compare faster
        # than a numpy integer, once per step of per-sample training.
        given = self._given
        label = given if type(given) is int else self.labels[()]
        if self.labels.dtype.kind not in "iu" or not 0 <= label < logits.shape[0]:
            return None
        shift = max_reduce(logits, None)
        # A float: math's test, not a ufunc call (numpy's for any other dtype, complex too).
        if not (math.isfinite(shift) if logits.dtype.kind == "f" else np.isfinite(shift)):
            return None
        e = np.exp(logits - shift)
        s = sum_reduce(e, None)
        value = np.log(s) - (logits[label] - shift)

        def grad(g: Any) -> tuple[Any]:
            p = e * (g / s)
            p[label] -= g
            return (p,)

        return value, grad


class SigmoidBinaryCrossEntropy(Loss):
    """The binary cross-entropy of `sigmoid(logits)` against `targets` (probabilities in
    [0, 1], of the shape of `logits`), averaged over every element; both are differentiable.
    Computed as `max(x, 0) - x t + log1p(exp(-|x|))`, so exact and finite for logits of
    magnitude 1e3 or 1e4. The gradient for the logits is `(sigmoid(logits) - targets) / n`.

    `-(t log sigmoid(x) + (1 - t) log(1 - sigmoid(x)))`, averaged over every element, as `max(x,
    0) - x t + log1p(exp(-|x|))`; both inputs differentiable. The gradient for the logits is
    `sigmoid(x) - t` over the element count, with sigmoid from the same `exp(-|x|)`.

    !!! example
        ```python
        >>> import numpy as np
        >>> import typedprop as tp
        >>> from typedprop import ops
        >>> targets = np.array([1.0, 0.0])
        >>> ops.sigmoid_binary_cross_entropy(np.array([1e4, 1e4]), targets)
        np.float64(5000.0)
        >>> tp.grad(lambda z: ops.sigmoid_binary_cross_entropy(z, targets), np.zeros(2))
        array([-0.25,  0.25])
        ```
    """

    name = "sigmoid_binary_cross_entropy"

    def forward(self, logits: Any, targets: Any) -> tuple[Any, Grad2]:
        _same_shape(self.name, ("logits", "targets"), logits, targets)
        xp = array_module(logits, targets)
        e = xp.exp(-xp.abs(logits))
        n = np.size(logits) if xp is np else _size(logits)
        value = xp.sum(xp.maximum(logits, 0) - logits * targets + xp.log1p(e)) / n

        def grad(g: Any) -> tuple[Any, Any]:
            sigmoid = xp.where(xp.greater_equal(logits, 0), 1, e) / (1 + e)
            scale = g / n
            return unbroadcast(scale * (sigmoid - targets), logits), unbroadcast(
                -scale * logits, targets
            )

        return value, grad


squared_error = public(SquaredError())
mean_squared_error = public(MeanSquaredError())
softmax_cross_entropy = public(SoftmaxCrossEntropy())


class _ArrayLabels(Op[Any, Any, Any]):
    """`softmax_cross_entropy_with_integer_labels` with an array of labels as its second
    input, not a setting: the same forward and gradient, and none for the labels. A setting
    is built into a recorded graph with its value; an input may be data the graph reads at
    each replay, so that one record serves every batch of labels (`typedprop.distributed`
    records a function once for all its blocks). A number stays a setting: the per-sample
    loop's labels, one record per class."""

    name = IntegerLabelsCrossEntropy.name

    def forward(self, logits: Any, labels: Any) -> tuple[Any, Callable[[Any], tuple[Any, Any]]]:
        value, grad = IntegerLabelsCrossEntropy(labels).forward(logits)
        return value, lambda g: (grad(g)[0], SKIPPED)


_ARRAY_LABELS = _ArrayLabels()

softmax_cross_entropy_with_integer_labels = public(IntegerLabelsCrossEntropy())
sigmoid_binary_cross_entropy = public(SigmoidBinaryCrossEntropy())


def _as_unsigned(labels: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Integer `labels` viewed as the unsigned integers of their size (unsigned ones as they
    are): a negative label becomes one larger than any count of classes."""
    if labels.dtype.kind == "u":
        return labels
    return labels.view(_UNSIGNED[labels.dtype.itemsize])


_UNSIGNED = {n: np.dtype(f"u{n}") for n in (1, 2, 4, 8)}


def _outside(xp: Any, labels: Any, k: int) -> Any:
    """Where the integer array `labels` is outside `[0, k)`, with the namespace `xp`. A `k`
    beyond the labels' dtype (int8 labels, 300 classes) would wrap or overflow in `labels >=
    k`, and no such label can reach it."""
    if k > xp.iinfo(labels.dtype).max:
        return labels < 0
    return (labels < 0) | (labels >= k)


def _torch_out_of_range(labels: Any, k: int) -> bool:
    """Whether PyTorch's integer tensor `labels` holds a label outside `[0, k)`."""
    if not labels.numel():
        return False  # (aminmax has no answer for no elements)
    torch = sys.modules["torch"]
    try:
        low, high = torch.stack(torch.aminmax(labels)).tolist()
    except RuntimeError:
        # No data to read (a batched tensor under torch.func.vmap, a meta tensor): asked as
        # the other libraries are, so that the error is PyTorch's own for such tensors.
        return bool(torch.any(_outside(torch, labels, k)))
    return bool(low < 0 or high >= k)


def _under_jit(x: Any) -> bool:
    """Whether `x` is a value JAX is tracing (inside `jax.jit`), whose values are not known."""
    return type(x).__module__.startswith("jax._src") and "Tracer" in type(x).__name__
