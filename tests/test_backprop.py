"""Error paths and guarantees that no other test module pins down: gradient arrays are never
shared between what a call hands out, unsupported parameter parts are rejected by path before
`f` runs, an op's forward must return (output, gradient function), the dtype-kind and 0-d
matmul messages, `register_backprop`'s refusals and its thread safety, `check_grads`'s failure
paths, and the rarer messages from the structures. Every test asserts the error type and the
words of the message, or a concrete value."""

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pytest
from jaxtyping import Float

import typedprop as tp
from typedprop import Vec
from typedprop.testing import check_grads

_UNSUPPORTED_SET = "typedprop cannot differentiate a value of type set: give the class zero"


def _forward_message(name: str, returned: str) -> str:
    return f"{name}: forward must return (output, gradient function), but it returned {returned}"


# ---------------------------------------------------------------------------------------------
# Gradient arrays handed out are never the same object, nor the caller's seed
# ---------------------------------------------------------------------------------------------


def test_grad_n_gives_each_parameter_its_own_array() -> None:
    # add hands one gradient array to both inputs; each parameter must get its own.
    a, b, c = np.ones(3), np.full(3, 2.0), np.array([1.0, 2.0, 3.0])
    gx, gy = tp.grad_n(lambda x, y: (x + y) @ c, a, b)
    assert gx is not gy
    np.testing.assert_array_equal(gx, c)
    np.testing.assert_array_equal(gy, c)
    gx[0] = 100.0
    gx *= 2.0
    np.testing.assert_array_equal(gy, c)


def test_grad_n_unshares_zero_dimensional_arrays() -> None:
    # The scalar output's seed is the 0-d array that add passes to both inputs.
    gx, gy = tp.grad_n(lambda x, y: x + y, np.array(1.0), np.array(2.0))
    assert gx is not gy
    assert type(gx) is np.ndarray and gx.shape == () and float(gx) == 1.0
    gx[()] = 5.0
    assert float(gy) == 1.0


def test_backprop_with_never_hands_back_the_seed() -> None:
    seed = np.array([1.0, 2.0])
    value, g = tp.backprop_with(lambda v: v + 1.0, np.zeros(2), seed)
    np.testing.assert_array_equal(value, [1.0, 1.0])
    assert g is not seed
    np.testing.assert_array_equal(g, [1.0, 2.0])
    g[0] = 100.0
    np.testing.assert_array_equal(seed, [1.0, 2.0])


def test_backprop_with_identity_never_hands_back_the_seed() -> None:
    seed = np.array([3.0, 4.0])
    _, g = tp.backprop_with(lambda v: v, np.zeros(2), seed)
    assert g is not seed
    np.testing.assert_array_equal(g, [3.0, 4.0])


def test_tuple_items_viewed_and_added_get_distinct_arrays() -> None:
    c = np.array([1.0, 2.0, 3.0])

    def f(p: tp.BVar[tuple[Any, Any]]) -> tp.BVar[Any]:
        return (p.view(lambda t: t[0]) + p.view(lambda t: t[1])) @ c

    g = tp.grad(f, (np.ones(3), np.ones(3)))
    assert type(g) is tuple and len(g) == 2
    assert g[0] is not g[1]
    g[0][:] = 0.0
    np.testing.assert_array_equal(g[1], c)


def test_backprop_with_never_hands_back_a_leaf_of_a_structured_seed() -> None:
    s1, s2 = np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0])
    _, g = tp.backprop_with(lambda p: p, (np.zeros(2), np.zeros(3)), (s1, s2))
    np.testing.assert_array_equal(g[0], s1)
    assert g[0] is not s1
    assert g[1] is not s2


def test_backprop_with_collect_never_hands_back_a_leaf_of_the_seed() -> None:
    s = np.array([1.0, 2.0])
    _, g = tp.backprop_with(lambda x: tp.collect([x + 1.0]), np.zeros(2), [s])
    np.testing.assert_array_equal(g, s)
    assert g is not s


class Tagged(np.ndarray):
    """An ndarray subclass: its gradients are coerced with `.view(Tagged)`."""


def test_ndarray_subclass_gradients_do_not_share_memory() -> None:
    c = np.array([1.0, 2.0, 3.0])
    x, y = np.ones(3).view(Tagged), np.full(3, 2.0).view(Tagged)
    gx, gy = tp.grad_n(lambda a, b: (a + b) @ c, x, y)
    assert type(gx) is Tagged and type(gy) is Tagged
    gx[0] = 100.0
    np.testing.assert_array_equal(gy, c)


# ---------------------------------------------------------------------------------------------
# Unsupported parts of a parameter are rejected by path before f runs
# ---------------------------------------------------------------------------------------------


@dataclass
class Named:
    name: Any


class Pair(NamedTuple):
    left: Any
    right: Any


def _never_called(ran: list[str]) -> Callable[..., tp.BVar[float]]:
    def f(*xs: tp.BVar[Any]) -> tp.BVar[float]:
        ran.append("f ran")
        return tp.constant(1.0)

    return f


def test_unsupported_value_nested_in_the_parameter_names_its_path() -> None:
    ran: list[str] = []
    message = "backprop: the parameter at x['a'][0].name: " + _UNSUPPORTED_SET
    with pytest.raises(TypeError, match=re.escape(message)) as info:
        tp.backprop(_never_called(ran), {"a": [Named({1})]})
    assert type(info.value) is TypeError
    assert ran == []


def test_grad_names_the_path_through_a_namedtuple() -> None:
    ran: list[str] = []
    message = "backprop: the parameter at x.right[1]: " + _UNSUPPORTED_SET
    with pytest.raises(TypeError, match=re.escape(message)):
        tp.grad(_never_called(ran), Pair(1.0, (2.0, {3})))
    assert ran == []


def test_backprop_with_names_the_path() -> None:
    ran: list[str] = []
    with pytest.raises(TypeError, match=re.escape("backprop_with: the parameter at x[0]: ")):
        tp.backprop_with(_never_called(ran), ({1}, 2.0), 1.0)
    assert ran == []


def test_backprop_n_names_the_parameter_by_position() -> None:
    ran: list[str] = []
    message = "backprop_n: parameter 1: " + _UNSUPPORTED_SET
    with pytest.raises(TypeError, match=re.escape(message)):
        tp.backprop_n(_never_called(ran), 1.0, {1})
    assert ran == []


def test_grad_n_names_the_parameter_and_the_path() -> None:
    ran: list[str] = []
    message = "grad_n: parameter 1 at x['k']: " + _UNSUPPORTED_SET
    with pytest.raises(TypeError, match=re.escape(message)):
        tp.grad_n(_never_called(ran), 1.0, {"k": {1}}, 3.0)
    assert ran == []


def test_grad_n_checks_every_parameter_before_f_runs() -> None:
    ran: list[str] = []
    with pytest.raises(TypeError, match=re.escape("grad_n: parameter 2: typedprop cannot")):
        tp.grad_n(_never_called(ran), 1.0, np.ones(2), frozenset())
    assert ran == []


def test_constant_of_an_unsupported_value() -> None:
    with pytest.raises(TypeError, match="^" + re.escape("constant: " + _UNSUPPORTED_SET)):
        tp.constant({1})
    with pytest.raises(TypeError, match="^" + re.escape("constant at x[0]: " + _UNSUPPORTED_SET)):
        tp.constant([{1}])


# ---------------------------------------------------------------------------------------------
# An op's forward must return (output, gradient function)
# ---------------------------------------------------------------------------------------------


class ReturnsBare(tp.Op[Any, Any]):
    name = "returns_bare"

    def forward(self, x: Any) -> Any:
        return x * 2.0


class ReturnsThree(tp.Op[Any, Any]):
    name = "returns_three"

    def forward(self, x: Any) -> Any:
        return x * 2.0, lambda g: (2.0 * g,), "extra"


class ReturnsNoFunction(tp.Op[Any, Any]):
    name = "returns_no_function"

    def forward(self, x: Any) -> Any:
        return x * 2.0, 2.0


class ReturnsList(tp.Op[Any, Any]):
    name = "returns_list"

    def forward(self, x: Any) -> Any:
        return [x * 2.0, lambda g: (2.0 * g,)]


class HintedReturnsBare(tp.Op[Float[Vec, " n"], Float[Vec, " n"]]):
    name = "hinted_returns_bare"

    def forward(self, x: Any) -> Any:
        return x * 2.0


_BAD_FORWARDS = [
    (ReturnsBare(), 1.0, "a value of type float"),
    (ReturnsBare(), np.ones(2), "an array of shape (2,) and dtype float64"),
    (ReturnsThree(), 1.0, "a value of type tuple"),
    (ReturnsNoFunction(), 1.0, "a value of type tuple"),
    (ReturnsList(), 1.0, "a value of type list"),
    (HintedReturnsBare(), np.ones(2), "an array of shape (2,) and dtype float64"),
]
_BAD_FORWARD_IDS = ["bare", "bare-array", "three", "no-function", "list", "hinted"]


@pytest.mark.parametrize("checks", [True, False], ids=["checks-on", "checks-off"])
@pytest.mark.parametrize(("op", "x", "returned"), _BAD_FORWARDS, ids=_BAD_FORWARD_IDS)
def test_forward_must_return_output_and_gradient_function(
    op: Any, x: Any, returned: str, checks: bool
) -> None:
    message = _forward_message(op.name, returned)
    with tp.checks(checks):
        with pytest.raises(tp.CheckError, match=re.escape(message)):
            op(x)
        with pytest.raises(tp.CheckError, match=re.escape(message)):
            tp.backprop_with(op, x, x)


def test_op1_function_returning_a_bare_value() -> None:
    @tp.op1
    def doubled(x: Any) -> Any:
        return x * 2.0

    with pytest.raises(tp.CheckError, match=re.escape(_forward_message("doubled", ""))):
        tp.grad(doubled, 1.0)


def test_op1_function_returning_a_non_callable_gradient() -> None:
    @tp.op1
    def doubled(x: Any) -> Any:
        return x * 2.0, 2.0

    with pytest.raises(tp.CheckError, match=re.escape(_forward_message("doubled", ""))):
        tp.grad(doubled, 1.0)


def test_op1_function_returning_a_bare_array() -> None:
    @tp.op1
    def doubled(x: Any) -> Any:
        return x * 2.0

    with pytest.raises(tp.CheckError, match=re.escape(_forward_message("doubled", ""))):
        tp.grad(lambda v: doubled(v) @ np.ones(2), np.ones(2))


def test_op2_function_returning_a_non_callable_gradient_is_caught_at_forward() -> None:
    @tp.op2
    def product(x: Any, y: Any) -> Any:
        return x * y, "not a function"

    with pytest.raises(
        tp.CheckError, match=re.escape(_forward_message("product", "a value of type tuple"))
    ):
        tp.grad_n(product, 2.0, 3.0)


# ---------------------------------------------------------------------------------------------
# jaxtyping hints: dtype kind, fixed sizes; an Op without forward
# ---------------------------------------------------------------------------------------------


class Square(tp.Op[Float[Vec, " n"], Float[Vec, " n"]]):
    name = "square"

    def forward(self, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Vec]]]:
        return x * x, lambda g: (2.0 * g * x,)


class Three(tp.Op[Float[Vec, "3"], Float[Vec, "3"]]):
    name = "three"

    def forward(self, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Vec]]]:
        return x * 2.0, lambda g: (2.0 * g,)


class GrowsToThree(tp.Op[Float[Vec, " n"], Float[Vec, "3"]]):
    name = "grows_to_three"

    def forward(self, x: Vec) -> tuple[Vec, Callable[[Vec], tuple[Vec]]]:
        return np.append(x, 0.0), lambda g: (g[:-1],)


def test_int_array_where_float_is_declared() -> None:
    message = (
        "square: argument 'x' has shape (3,) and dtype int64, which does not fit "
        "Float[ndarray, 'n'] (dtype int64 is not a Float dtype)"
    )
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        Square()(np.arange(3, dtype=np.int64))  # type: ignore[arg-type]
    with pytest.raises(tp.CheckError, match=re.escape("(dtype int32 is not a Float dtype)")):
        Square()(tp.constant(np.arange(3, dtype=np.int32)))


def test_fixed_size_dimension_of_an_argument() -> None:
    message = (
        "three: argument 'x' has shape (4,) and dtype float64, which does not fit "
        "Float[ndarray, '3'] (dimension 0: expected size 3, got 4)"
    )
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        Three()(np.ones(4))
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad(lambda v: Three()(v) @ np.ones(3), np.ones(4))


def test_fixed_size_dimension_of_the_output() -> None:
    with pytest.raises(
        tp.CheckError,
        match=re.escape("grows_to_three: the output has shape (4,) and dtype float64, which"),
    ) as info:
        GrowsToThree()(np.ones(3))
    assert "(dimension 0: expected size 3, got 4)" in str(info.value)


class NoForward(tp.Op[Any, Any]):
    """Declares its types but never defines forward."""


def test_op_without_forward() -> None:
    with pytest.raises(NotImplementedError, match=re.escape("NoForward must define forward")):
        NoForward()(1.0)
    with pytest.raises(NotImplementedError, match=re.escape("NoForward must define forward")):
        tp.grad(NoForward(), 1.0)


# ---------------------------------------------------------------------------------------------
# matmul with 0-d and mismatched operands
# ---------------------------------------------------------------------------------------------

_NEEDS_AXES = "matmul needs arrays of at least one axis"


@pytest.mark.parametrize(
    ("call", "shapes"),
    [
        (lambda: tp.constant(np.ones(3)) @ np.array(2.0), "(3,) and argument 'b' of shape ()"),
        (lambda: np.array(2.0) @ tp.constant(np.ones(3)), "() and argument 'b' of shape (3,)"),
        (lambda: tp.constant(np.ones(3)) @ 2.0, "(3,) and argument 'b' of shape ()"),  # type: ignore[operator]
        (lambda: 2.0 @ tp.constant(np.ones((2, 3))), "() and argument 'b' of shape (2, 3)"),  # type: ignore[operator]
        (lambda: tp.constant(np.float64(2.0)) @ np.ones(3), "() and argument 'b' of shape (3,)"),  # type: ignore[operator]
        (lambda: tp.constant(np.array(2.0)) @ np.array(3.0), "() and argument 'b' of shape ()"),
    ],
    ids=["vec@0d", "0d@vec", "vec@float", "float@mat", "npscalar@vec", "0d@0d"],
)
def test_matmul_with_a_zero_dimensional_operand(call: Callable[[], Any], shapes: str) -> None:
    message = f"matmul: argument 'a' of shape {shapes}: {_NEEDS_AXES}"
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        call()


def test_matmul_with_a_zero_dimensional_operand_inside_backprop() -> None:
    with pytest.raises(tp.CheckError, match=re.escape(_NEEDS_AXES)):
        tp.grad(lambda v: v @ np.array(2.0), np.ones(3))


@pytest.mark.parametrize("b", [3.0, np.float64(3.0)], ids=["float", "float64"])
def test_matmul_of_two_scalars(b: Any) -> None:
    with pytest.raises(tp.CheckError, match=re.escape(_NEEDS_AXES)):
        tp.constant(type(b)(2.0)) @ b


def test_matmul_matrix_and_vector_that_do_not_fit() -> None:
    message = (
        "matmul: argument 'a' of shape (2, 3) and argument 'b' of shape (2,) do not fit a @ b "
        "(the last axis of 'a' must match the only axis of 'b', and leading axes must "
        "broadcast)"
    )
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.constant(np.ones((2, 3))) @ np.ones(2)
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad_n(lambda w, v: (w @ v) @ np.ones(2), np.ones((2, 3)), np.ones(2))


# ---------------------------------------------------------------------------------------------
# register_backprop: refusals and thread safety
# ---------------------------------------------------------------------------------------------


def _identity(x: Any) -> Any:
    return x


def _first(a: Any, b: Any) -> Any:
    return a


@pytest.mark.parametrize(
    ("cls", "name"),
    [
        (float, "float"),
        (complex, "complex"),
        (int, "int"),
        (bool, "bool"),
        (type(None), "NoneType"),
        (np.ndarray, "ndarray"),
        (tuple, "tuple"),
        (list, "list"),
        (dict, "dict"),
    ],
)
def test_register_backprop_refuses_a_built_in_type(cls: type, name: str) -> None:
    message = f"register_backprop: {name} is built into typedprop and cannot be registered again"
    with pytest.raises(TypeError, match=re.escape(message)):
        tp.register_backprop(cls, zero=_identity, add=_first, one=_identity)
    # The built-in handling is untouched.
    assert tp.grad(lambda x: x * x, 3.0) == 6.0


@pytest.mark.parametrize(
    ("value", "shown"),
    [(3, "3"), (Named(1.0), "Named(name=1.0)"), ("float", "'float'")],
    ids=["int", "instance", "str"],
)
def test_register_backprop_expects_a_class(value: Any, shown: str) -> None:
    with pytest.raises(
        TypeError, match=re.escape(f"register_backprop: expected a class, got {shown}")
    ):
        tp.register_backprop(value, zero=_identity, add=_first, one=_identity)


def test_registering_while_other_threads_run_grad() -> None:
    # Each registration swaps in a fresh kind cache; numpy float64 parameters are classified
    # again after every swap, Python floats are built in. Neither may see a broken cache.
    class Fresh:
        pass

    rounds, workers = 2000, 4
    errors: list[BaseException] = []
    results: list[list[object]] = [[] for _ in range(workers)]
    registered = [0]
    start = threading.Barrier(workers + 1)
    done = threading.Event()

    def register() -> None:
        try:
            start.wait()
            # At least `rounds` registrations, and on until every worker has finished.
            while registered[0] < rounds or not done.is_set():
                tp.register_backprop(Fresh, zero=_identity, add=_first, one=_identity)
                registered[0] += 1
        except BaseException as e:
            errors.append(e)

    def differentiate(k: int) -> None:
        try:
            start.wait()
            for i in range(rounds):
                x = float(i % 7) if i % 2 else np.float64(i % 7)
                results[k].append(tp.grad(lambda v: v * v + 3.0 * v, x))
        except BaseException as e:
            errors.append(e)

    registrar = threading.Thread(target=register)
    workers_threads = [threading.Thread(target=differentiate, args=(k,)) for k in range(workers)]
    registrar.start()
    for t in workers_threads:
        t.start()
    for t in workers_threads:
        t.join(timeout=60)
    done.set()
    registrar.join(timeout=60)
    assert not registrar.is_alive() and not any(t.is_alive() for t in workers_threads)
    assert errors == []
    assert registered[0] >= rounds
    expected = [2.0 * (i % 7) + 3.0 for i in range(rounds)]
    for got in results:
        assert got == expected
        assert [type(g) for g in got] == [float if i % 2 else np.float64 for i in range(rounds)]


def test_registration_during_a_classification_is_not_lost() -> None:
    hooked: list[bool] = []

    class Hook(type):
        def __getattribute__(cls, name: str) -> Any:
            # _classify looks up `zero` on the class: register there, as another thread might.
            if name == "zero" and not hooked:
                hooked.append(True)
                tp.register_backprop(
                    cls,
                    zero=lambda b: Box("registered zero"),
                    add=_first,
                    one=lambda b: Box("registered one"),
                )
            return super().__getattribute__(name)

    class Box(metaclass=Hook):
        def __init__(self, tag: str) -> None:
            self.tag = tag

        def zero(self) -> "Box":
            return Box("method zero")

        def add(self, other: "Box") -> "Box":
            return self

        def one(self) -> "Box":
            return Box("method one")

    tp.constant(Box("x"))  # classifies Box; the registration happens meanwhile
    assert hooked == [True]
    # register_backprop has returned: from now on the registration must win.
    assert tp.grad(lambda b: b, Box("x")).tag == "registered one"


# ---------------------------------------------------------------------------------------------
# typedprop.testing.check_grads: its failure paths
# ---------------------------------------------------------------------------------------------


@tp.op1
def double_square(x: Any) -> Any:
    """x * x, with a gradient twice the true one."""
    return x * x, lambda g: 4.0 * g * x


@pytest.mark.parametrize(
    ("f", "x"),
    [
        (double_square, 1.5),
        (lambda v: double_square(v) @ np.ones(3), np.array([1.0, -2.0, 0.5])),
        (lambda p: double_square(p.view(lambda t: t[1])) + 0.0, (np.ones(2), 0.75)),
    ],
    ids=["float", "array", "tuple"],
)
def test_check_grads_reports_a_wrong_gradient(f: Any, x: Any) -> None:
    with pytest.raises(
        AssertionError,
        match=re.escape("gradient check failed: backprop gives a directional derivative of "),
    ) as info:
        check_grads(f, x)
    message = str(info.value)
    assert "finite differences give" in message
    assert "(eps=1e-06, rtol=1e-05, atol=1e-07)" in message
    # Along every direction the wrong gradient gives exactly twice the true derivative.
    found = re.search(r"derivative of (\S+), finite differences give (\S+) \(", message)
    assert found is not None
    analytic, numeric = float(found[1]), float(found[2])
    assert analytic == pytest.approx(2.0 * numeric, rel=1e-4)


def test_check_grads_passes_the_true_gradient() -> None:
    @tp.op1
    def square(x: Any) -> Any:
        return x * x, lambda g: 2.0 * g * x

    check_grads(lambda v: square(v) @ np.ones(3), np.array([1.0, -2.0, 0.5]))


class BadZero:
    """A Backprop type whose zero breaks the law: it returns a float, not a BadZero."""

    def __init__(self, amount: float) -> None:
        self.amount = amount

    def zero(self) -> Any:
        return 0.0

    def add(self, other: "BadZero") -> "BadZero":
        return BadZero(self.amount + other.amount)

    def one(self) -> "BadZero":
        return BadZero(1.0)


def test_check_grads_reports_a_gradient_of_the_wrong_type() -> None:
    # The engine hands out the user's zero unchecked for an unused part; check_grads is the
    # tool that catches a zero of the wrong type.
    def f(p: tp.BVar[tuple[BadZero, float]]) -> tp.BVar[float]:
        return p.view(lambda t: t[1]) * 2.0

    with pytest.raises(
        AssertionError, match=re.escape("gradient at x[0] is a float, expected a BadZero")
    ):
        check_grads(f, (BadZero(1.0), 3.0))
    with pytest.raises(
        AssertionError, match=re.escape("gradient at x is a float, expected a BadZero")
    ):
        check_grads(lambda b: tp.constant(1.0), BadZero(1.0))


@pytest.mark.parametrize(
    ("x", "found"),
    [
        (1.0 + 2.0j, "a value of type complex"),
        (np.complex64(1.0), "a value of type complex64"),
        ((1.0, np.ones(2, dtype=complex)), "an array of shape (2,) and dtype complex128"),
        ({"z": [np.ones((2, 2), dtype=np.complex64)]}, "an array of shape (2, 2) and dtype"),
    ],
    ids=["complex", "complex64", "in-tuple", "nested"],
)
def test_check_grads_refuses_complex_parameters(x: Any, found: str) -> None:
    ran: list[str] = []

    def f(p: tp.BVar[Any]) -> tp.BVar[float]:
        ran.append("f ran")
        return tp.constant(1.0)

    message = f"check_grads: complex values are not supported (found {found}"
    with pytest.raises(TypeError, match=re.escape(message)):
        check_grads(f, x)
    assert ran == []


class Good:
    def __init__(self, amount: float) -> None:
        self.amount = amount

    def zero(self) -> "Good":
        return Good(0.0)

    def add(self, other: "Good") -> "Good":
        return Good(self.amount + other.amount)

    def one(self) -> "Good":
        return Good(1.0)


class Better(Good):
    """A subclass: an instance of it fits `isinstance(g, Good)` but is not a Good."""


@tp.op1
def good_amount(m: Good) -> tuple[float, Callable[[float], Good]]:
    return 2.0 * m.amount, lambda g: Better(2.0 * g)


def test_gradient_of_a_backprop_type_has_exactly_its_type() -> None:
    with pytest.raises(
        tp.CheckError,
        match=re.escape("good_amount: the gradient for argument 'm' got a value of type Better"),
    ):
        tp.grad(good_amount, Good(1.0))


# ---------------------------------------------------------------------------------------------
# Messages from the structures
# ---------------------------------------------------------------------------------------------


def test_op_gradient_for_a_float_that_is_not_a_number() -> None:
    @tp.op1
    def stringly(x: float) -> tuple[float, Callable[[float], Any]]:
        return 2.0 * x, lambda g: "two"

    message = "stringly: the gradient for argument 'x' got a value of type str, expected a number"
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad(stringly, 1.0)
    with tp.checks(False), pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad(stringly, 1.0)


def test_op_gradient_for_a_float_that_is_a_bool() -> None:
    @tp.op1
    def truthy(x: float) -> tuple[float, Callable[[float], Any]]:
        return 2.0 * x, lambda g: True

    message = "truthy: the gradient for argument 'x' got a value of type bool, expected a number"
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad(truthy, 1.0)


def test_op_gradient_tuple_with_the_wrong_number_of_parts() -> None:
    @tp.op1
    def total(t: tuple[float, float]) -> tuple[float, Callable[[float], Any]]:
        return t[0] + t[1], lambda g: (g, g, g)

    message = "total: the gradient for argument 't' got 3 parts, expected 2"
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad(total, (1.0, 2.0))


def test_op_gradient_with_a_wrong_part_names_the_part() -> None:
    @tp.op1
    def total(t: tuple[float, float]) -> tuple[float, Callable[[float], Any]]:
        return t[0] + t[1], lambda g: (g, "g")

    message = (
        "total: the gradient for argument 't' at part 1: got a value of type str, expected a number"
    )
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad(total, (1.0, 2.0))


def test_view_getter_that_computes() -> None:
    message = (
        "view: the getter must only select parts of its argument, but it failed: "
        "unsupported operand type(s) for +"
    )
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad(lambda p: p.view(lambda m: m[0] + 1), (1.0, 2.0))


class CopiesToDict(dict):  # type: ignore[type-arg]
    """A dict subclass whose copy() is a plain dict, so typedprop cannot rebuild it."""

    def copy(self) -> dict:  # type: ignore[type-arg]
        return dict(self)


def test_dict_subclass_whose_copy_is_a_plain_dict() -> None:
    message = (
        "typedprop cannot rebuild a CopiesToDict: its copy() is a dict; register the type with "
        "typedprop.register_backprop"
    )
    x = CopiesToDict(a=1.0, b=2.0)
    with pytest.raises(TypeError, match=re.escape(message)):
        tp.grad(lambda p: p.view(lambda d: d["a"]) * 2.0, x)
    with pytest.raises(TypeError, match=re.escape(message)):
        tp.grad(lambda p: tp.constant(1.0), x)  # its zero is rebuilt too


def test_dict_subclass_that_cannot_be_rebuilt_is_refused_before_f_runs() -> None:
    ran: list[str] = []
    with pytest.raises(
        TypeError, match=re.escape("backprop: the parameter at x[0]: typedprop cannot rebuild")
    ):
        tp.grad(_never_called(ran), (CopiesToDict(a=1.0), 2.0))
    assert ran == []


@pytest.mark.parametrize(
    ("f", "words"),
    [
        (lambda p: p + p, "add: arguments must be numbers or arrays, got tuple and tuple"),
        (lambda p: p * 2, "multiply: arguments must be numbers or arrays, got tuple and int"),
    ],
    ids=["concatenate", "repeat"],
)
def test_operators_refuse_sequences(f: Callable[[Any], Any], words: str) -> None:
    # mypy does not enforce the operators' numeric bound on self-types; the runtime does.
    with pytest.raises(tp.CheckError, match=re.escape(words)):
        tp.backprop_with(f, (1.0, 2.0), (1.0, 1.0))
