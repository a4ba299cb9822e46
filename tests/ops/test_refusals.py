"""What no op takes is refused, naming the op and the argument, never computed into a silent
wrong number: complex numbers and arrays, arrays of no numbers (object, strings, dates) and, for
the ops of `typedprop.ops`, structures (a structure-valued BVar where an array is expected).

Every row of the op table (`tests/opcases`) is run with such a value in place of each of its
arguments, as a constant, as a BVar and as a parameter, in the implicit style and through
`trace`, with the runtime checks on and off. The refusal is the core's (`Op.__call__`,
`Op._forward`, `refuse`), and the parameters' is `check_supported`'s.
"""

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pytest

import typedprop as tp
from typedprop import ops
from typedprop._core.op import Op
from typedprop.ops import _registry

from opcases import SCALAR, TABLE, OpCase, Shape

# ---------------------------------------------------------------------------------------------
# The examples
# ---------------------------------------------------------------------------------------------

OBJECT = np.array([1.0, 2.0], dtype=object)


@pytest.mark.parametrize(
    ("f", "message"),
    [
        (
            lambda x: ops.sum(x * OBJECT),
            "multiply: argument 'b' must be a number or an array, got an array of dtype object",
        ),
        (
            lambda x: ops.sum(x + OBJECT),
            "add: argument 'b' must be a number or an array, got an array of dtype object",
        ),
        (
            lambda x: ops.sum(OBJECT * x),
            "multiply: argument 'a' must be a number or an array, got an array of dtype object",
        ),
    ],
    ids=["times", "plus", "times-reversed"],
)
@pytest.mark.parametrize("checks", [True, False], ids=["checks-on", "checks-off"])
def test_an_object_array_constant_is_refused(f: Any, message: str, checks: bool) -> None:
    with tp.checks(checks), pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.backprop(f, np.ones(2))


def test_an_object_array_parameter_is_refused() -> None:
    message = (
        "backprop: the parameter: typedprop cannot differentiate an array of shape (2,) and "
        "dtype object"
    )
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.backprop(lambda x: ops.sum(x * 2.0), OBJECT)


@pytest.mark.parametrize("c", [np.array([1 + 1j]), np.array([1j])], ids=["1+1j", "1j"])
@pytest.mark.parametrize("checks", [True, False], ids=["checks-on", "checks-off"])
def test_a_complex_intermediate_is_refused(c: Any, checks: bool) -> None:
    # abs and multiply would use different conventions for complex gradients: [0.] and [-1.]
    # came back here, where [1.414...] and [1.] are right.
    message = (
        "multiply: argument 'b' must be a real number or array, got an array of dtype "
        "complex128 (complex values are not supported yet)"
    )
    with tp.checks(checks), pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad(lambda x: ops.sum(ops.abs(x * c)), np.ones(1))


@pytest.mark.parametrize("checks", [True, False], ids=["checks-on", "checks-off"])
def test_a_reduction_of_a_structure_valued_bvar_is_refused(checks: bool) -> None:
    message = "sum: argument 'x' must be a number or an array, got dict"
    with tp.checks(checks), pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad(lambda x: ops.sum(x), {"a": 1.0})


# ---------------------------------------------------------------------------------------------
# Every row of the op table, each argument in turn
# ---------------------------------------------------------------------------------------------


def _value(rng: np.random.Generator, shape: Shape, domain: str) -> Any:
    size = () if shape == SCALAR else shape
    x = rng.uniform(0.5, 1.5, size) if domain != "unit" else rng.uniform(-0.9, 0.9, size)
    return float(x) if shape == SCALAR else np.asarray(x)


def _params(case: OpCase) -> list[Any]:
    rng = np.random.default_rng(sum(map(ord, case.id)))
    return [_value(rng, s, case.domain) for s in case.shapes]


def _refused_values(p: Any) -> dict[str, Any]:
    """Values no op takes, in the place of the argument `p`: the same shape where an array."""
    shape = np.shape(p)
    floats = np.asarray(p, dtype=float)
    return {
        "object": floats.astype(object),
        "complex-array": floats.astype(complex),
        "complex-number": complex(1.0, 1.0),
        "numpy-complex": np.complex64(1j),
        "string-array": np.full(shape, "a"),
        "datetime-array": np.full(shape, np.datetime64("2020-01-01")),
    }


def _structures(p: Any) -> dict[str, Any]:
    return {"dict": {"a": p}, "tuple": (p, p), "list": [p], "point": _Point(p)}


@dataclass
class _Point:
    x: Any


_REFUSAL = re.compile(
    r"^(?P<op>[a-z_0-9]+): argument '[\w\[\]]+' (must be a real number or array, got .* "
    r"\(complex values are not supported yet\)|must be a number or an array, got .+)$"
)


def _helpers(case: OpCase) -> list[Any]:
    """The functions of its module that the case's function calls (`_spd`)."""
    found = [case.fn.__globals__.get(name) for name in case.fn.__code__.co_names]
    return [f for f in found if inspect.isfunction(f)]


_MADE = re.compile(r"^make: the output must be (a real number or array|a number or an array)")


def _assert_refused(case: OpCase, error: tp.CheckError) -> None:
    """The message names an op the case applies (most often its own; a case may transpose an
    argument first) and the argument."""
    found = _REFUSAL.match(str(error))
    assert found, f"not a refusal: {error}"
    sources = [inspect.getsource(f) for f in (case.fn, *_helpers(case))]
    applied = {case.op, *re.findall(r"m\.(\w+)\(", "".join(sources))}
    assert found["op"] in applied, f"{found['op']} is not applied by {case.id}: {error}"


def _scalar(y: Any) -> Any:
    """A scalar BVar of the case's output (the refusal comes before it is needed)."""
    if type(y) is not tp.BVar:
        return tp.constant(0.0)
    if isinstance(y.value, list):
        return ops.sum(y.sequence()[0])
    return ops.sum(y) if np.ndim(y.value) else y


def _with(params: list[Any], i: int, value: Any) -> list[Any]:
    return [value if j == i else p for j, p in enumerate(params)]


def _implicit(case: OpCase, params: list[Any], i: int, bad: Any, how: str) -> Any:
    """The case with `bad` as argument `i`: `how` it reaches the op."""
    if how == "plain":  # no BVar at all
        return case.fn(ops, *_with(params, i, bad))
    if how == "constant":  # the other arguments on the tape, this one a constant

        def f(*ps: Any) -> Any:
            return _scalar(case.fn(ops, *_with(list(ps), i, bad)))

        return tp.backprop_n(f, *params)
    if how == "constant-bvar":  # a BVar off the tape

        def g(*ps: Any) -> Any:
            return _scalar(case.fn(ops, *_with(list(ps), i, tp.BVar(bad))))

        return tp.backprop_n(g, *params)
    # "taped": a BVar on the tape, the output of an op of one's own
    make = tp.op1(lambda s: (bad, lambda gs: (0.0,)), name="make")

    def h(s: Any, *ps: Any) -> Any:
        return _scalar(case.fn(ops, *_with(list(ps), i, make(s))))

    return tp.backprop_n(h, 1.0, *params)


def _traced(case: OpCase, params: list[Any], i: int, bad: Any, how: str) -> Any:
    """The case traced with `bad` as argument `i`, closed over ("constant") or as the data."""
    others = tuple(p for j, p in enumerate(params) if j != i)

    def place(p: Any, value: Any) -> list[Any]:
        rest = iter(p.unpack())
        return [value if j == i else next(rest) for j in range(len(params))]

    if how == "constant":
        graph = tp.trace(lambda p: _scalar(case.fn(ops, *place(p, bad))), others)
        return graph.grad(others)
    graph_d = tp.trace(lambda p, d: _scalar(case.fn(ops, *place(p, d))), others, bad)
    return graph_d.grad(others, bad)


_IMPLICIT = ["plain", "constant", "constant-bvar", "taped"]
_TRACED = ["constant", "data"]


@pytest.mark.parametrize("case", TABLE, ids=[c.id for c in TABLE])
def test_every_op_refuses_what_no_op_takes_in_each_argument(case: OpCase) -> None:
    params = _params(case)
    for i in range(len(params)):
        for kind, bad in _refused_values(params[i]).items():
            for checks in (True, False):
                with tp.checks(checks):
                    for how in _IMPLICIT:
                        with pytest.raises(tp.CheckError) as caught:
                            _implicit(case, params, i, bad, how)
                        if how == "taped":
                            # Refused where it was made, by the op of one's own that made it.
                            assert _MADE.match(str(caught.value)), (kind, caught.value)
                        else:
                            _assert_refused(case, caught.value)
                    for how in _TRACED:
                        with pytest.raises(tp.CheckError) as caught:
                            _traced(case, params, i, bad, how)
                        _assert_refused(case, caught.value)


@pytest.mark.parametrize("case", TABLE, ids=[c.id for c in TABLE])
def test_every_op_refuses_a_structure_valued_bvar_in_each_argument(case: OpCase) -> None:
    params = _params(case)
    for i in range(len(params)):
        for structure in _structures(params[i]).values():
            args = _with(params, i, structure)
            for checks in (True, False):
                with tp.checks(checks):
                    with pytest.raises(tp.CheckError) as caught:
                        tp.backprop_n(lambda *ps: _scalar(case.fn(ops, *ps)), *args)
                    _assert_refused(case, caught.value)
                    with pytest.raises((tp.CheckError, tp.TraceError)) as traced:
                        p = tuple(args)
                        tp.trace(lambda q: _scalar(case.fn(ops, *q.unpack())), p).grad(p)
                    if isinstance(traced.value, tp.TraceError):
                        # A helper of the case (`_spd`) reads the traced value's shape before
                        # any op runs: refused by the trace, which is right too.
                        assert _helpers(case), traced.value
                    else:
                        _assert_refused(case, traced.value)


# ---------------------------------------------------------------------------------------------
# Parameters: refused before the function runs, naming the parameter's path
# ---------------------------------------------------------------------------------------------

_COMPLEX = "complex values are not supported yet"
_NOT_NUMBERS = "typedprop cannot differentiate an array of shape"


@pytest.mark.parametrize(
    ("x", "where", "why"),
    [
        (1.0 + 2.0j, "backprop: the parameter: ", _COMPLEX),
        (np.complex64(1.0), "backprop: the parameter: ", _COMPLEX),
        (np.ones(2, dtype=complex), "backprop: the parameter: ", _COMPLEX),
        ((1.0, np.ones(2, dtype=complex)), "backprop: the parameter at x[1]: ", _COMPLEX),
        ({"w": [np.ones(2), 1j]}, "backprop: the parameter at x['w'][1]: ", _COMPLEX),
        (OBJECT, "backprop: the parameter: ", _NOT_NUMBERS),
        ({"w": OBJECT}, "backprop: the parameter at x['w']: ", _NOT_NUMBERS),
        (np.array(["a"]), "backprop: the parameter: ", _NOT_NUMBERS),
        (np.array(["2020-01-01"], dtype="M8[D]"), "backprop: the parameter: ", _NOT_NUMBERS),
        (np.timedelta64(1, "D"), "backprop: the parameter: ", "typedprop cannot differentiate"),
    ],
    ids=[
        "complex",
        "complex64",
        "complex-array",
        "in-tuple",
        "nested",
        "object-array",
        "object-in-dict",
        "strings",
        "datetimes",
        "timedelta",
    ],
)
def test_a_refused_parameter_is_named_by_its_path(x: Any, where: str, why: str) -> None:
    ran: list[bool] = []

    def f(p: tp.BVar[Any]) -> tp.BVar[float]:
        ran.append(True)
        return tp.constant(1.0)

    with pytest.raises(tp.CheckError, match=re.escape(where + why)):
        tp.backprop(f, x)
    with pytest.raises(tp.CheckError, match=re.escape(why)):
        tp.trace(f, x)
    with pytest.raises(tp.CheckError, match=re.escape(why)):
        tp.constant(x)
    assert ran == []


def test_grad_n_names_the_refused_parameter() -> None:
    message = f"grad_n: parameter 1: {_COMPLEX} (found a value of type complex)"
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        tp.grad_n(lambda a, b: a * b, 1.0, 2j)


def test_traced_data_of_another_dtype_is_traced_again_and_refused() -> None:
    # A record is kept per dtype of the data: complex data is never replayed through the
    # record of float data, it is traced, and refused there.
    graph = tp.trace(lambda w, d: ops.sum(w * d), np.ones(2), np.ones(2))
    message = "multiply: argument 'b' must be a real number or array"
    with pytest.raises(tp.CheckError, match=re.escape(message)):
        graph.grad(np.ones(2), np.ones(2, dtype=complex))


# ---------------------------------------------------------------------------------------------
# The ops without a gradient, the operators and methods, the settings
# ---------------------------------------------------------------------------------------------

_NOT_DIFFERENTIABLE: dict[str, Callable[[Any, Any], Any]] = {
    "argmax": lambda x, other: ops.argmax(x),
    "argmin": lambda x, other: ops.argmin(x),
    "equal": lambda x, other: ops.equal(x, other),
    "not_equal": lambda x, other: ops.not_equal(other, x),
    "less": lambda x, other: ops.less(x, other),
    "less_equal": lambda x, other: ops.less_equal(other, x),
    "greater": lambda x, other: ops.greater(x, other),
    "greater_equal": lambda x, other: ops.greater_equal(other, x),
    "shape": lambda x, other: ops.shape(x),
    "ndim": lambda x, other: ops.ndim(x),
    "size": lambda x, other: ops.size(x),
    "sign": lambda x, other: ops.sign(x),
}


def test_the_table_and_these_cover_every_op() -> None:
    assert {c.op for c in TABLE} | set(_NOT_DIFFERENTIABLE) == set(_registry.names())


@pytest.mark.parametrize("name", _NOT_DIFFERENTIABLE)
def test_the_ops_without_a_gradient_refuse_too(name: str) -> None:
    call = _NOT_DIFFERENTIABLE[name]
    x = np.array([1.0, 2.0])
    values = {**_refused_values(x), **_structures(x)}
    pattern = rf"^{name}: argument '(a|b|x)' must be"
    for bad in values.values():
        with pytest.raises(tp.CheckError, match=pattern):
            call(bad, x)
        with pytest.raises(tp.CheckError, match=pattern):
            tp.grad(lambda v, bad=bad: _scalar(call(tp.BVar(bad), v)) * 0.0 + ops.sum(v), x)
    for structure in _structures(x).values():
        with pytest.raises(tp.CheckError, match=pattern):
            tp.grad(lambda s: _scalar(call(s, x)), structure)


@dataclass
class _Pair:
    a: Any
    b: Any


class _Named(NamedTuple):
    a: Any


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "x + c": lambda x, c: x + c,
    "c + x": lambda x, c: c + x,
    "x - c": lambda x, c: x - c,
    "c - x": lambda x, c: c - x,
    "x * c": lambda x, c: x * c,
    "c * x": lambda x, c: c * x,
    "x / c": lambda x, c: x / c,
    "c / x": lambda x, c: c / x,
    "x ** c": lambda x, c: x**c,
    "c ** x": lambda x, c: c**x,
    "x @ c": lambda x, c: x @ c,
    "c @ x": lambda x, c: c @ x,
}


@pytest.mark.parametrize("operator", _OPERATORS)
@pytest.mark.parametrize("checks", [True, False], ids=["checks-on", "checks-off"])
def test_the_operators_refuse_a_constant_no_op_takes(operator: str, checks: bool) -> None:
    apply = _OPERATORS[operator]
    x = np.array([1.0, 2.0])
    for bad in _refused_values(x).values():
        with tp.checks(checks), pytest.raises(tp.CheckError, match=r"^[a-z]+: argument '[ab]'"):
            tp.grad(lambda v, bad=bad: _scalar(apply(v, bad)), x)
        with pytest.raises(tp.CheckError, match=r"^[a-z]+: argument '[ab]'"):
            tp.trace(lambda v, bad=bad: _scalar(apply(v, bad)), x)


_ON_A_STRUCTURE: dict[str, Callable[[Any], Any]] = {
    **{name: (lambda x, f=f: f(x, 2.0)) for name, f in _OPERATORS.items()},
    "-x": lambda x: -x,
    "abs(x)": lambda x: abs(x),
    "x[0]": lambda x: x[0],
    "x.T": lambda x: x.T,
    "x.sum()": lambda x: x.sum(),
    "x.mean()": lambda x: x.mean(),
    "x.max()": lambda x: x.max(),
    "x.var()": lambda x: x.var(),
    "x.reshape(-1)": lambda x: x.reshape(-1),
    "x.ravel()": lambda x: x.ravel(),
    "x.clip(0, 1)": lambda x: x.clip(0.0, 1.0),
    "x.argmax()": lambda x: tp.constant(float(x.argmax())),
}


@pytest.mark.parametrize("expression", _ON_A_STRUCTURE)
@pytest.mark.parametrize(
    "structure",
    [{"a": 1.0}, (1.0, 2.0), [1.0], _Pair(1.0, 2.0), _Named(np.ones(2))],
    ids=["dict", "tuple", "list", "dataclass", "namedtuple"],
)
def test_operators_and_methods_refuse_a_structure_valued_bvar(
    expression: str, structure: Any
) -> None:
    apply = _ON_A_STRUCTURE[expression]
    # `x[key]` says it in BVar's own words: "getitem: indexing is for arrays, and this BVar
    # holds a dict: take a structure apart with unpack() or view()".
    named = r"^getitem: indexing is for arrays" if expression == "x[0]" else r"^[a-z_]+: argument"
    for checks in (True, False):
        with tp.checks(checks), pytest.raises(tp.CheckError, match=named):
            tp.grad(lambda p: _scalar(apply(p)), structure)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda x: x**1j,
            "power: argument 'b' must be a real number or array, got complex",
        ),
        (
            lambda x: np.complex128(2.0) ** x,
            "power: argument 'a' must be a real number or array, got complex128",
        ),
        (
            lambda x: ops.power(x, np.array([1.0, 2.0], dtype=object)),
            "power: argument 'b' must be a number or an array, got an array of dtype object",
        ),
        (
            lambda x: ops.clip(x, 1j, None),
            "clip: a_min must be a real number or array, got complex",
        ),
        (
            lambda x: ops.pad(x, 1, constant_values=1j),
            "pad: constant_values must be a real number or array, got complex",
        ),
        (lambda x: ops.var(x, ddof=1j), "var: ddof must be a real number, got complex"),
        (
            lambda x: ops.softmax(x, axis=np.ones(2, dtype=complex)),
            "softmax: axis must be an int, got ndarray",
        ),
    ],
    ids=["exponent", "base", "object-exponent", "clip", "pad", "ddof", "axis"],
)
def test_settings_are_refused_as_arguments_are(call: Any, message: str) -> None:
    for checks in (True, False):
        with tp.checks(checks), pytest.raises(tp.CheckError, match=re.escape(message)):
            tp.grad(lambda v: _scalar(call(v)), np.array([1.0, 2.0]))


# ---------------------------------------------------------------------------------------------
# What stays allowed
# ---------------------------------------------------------------------------------------------


def test_ops_of_ones_own_take_structures_whole_but_not_complex_values() -> None:
    @tp.op1
    def first(p: tuple[float, float]) -> tuple[float, Callable[[float], tuple[float, float]]]:
        return p[0], lambda g: (g, 0.0)

    assert tp.grad(first, (1.0, 2.0)) == (1.0, 0.0)
    with pytest.raises(tp.CheckError, match=re.escape("first: argument 'p' must be a real")):
        first(1j)  # type: ignore[arg-type]  # the point of the test


def test_integer_and_boolean_constants_and_parameters_are_kept() -> None:
    # Integers and booleans are constants: an index, a mask, a count. Their gradient as a
    # parameter is their own zero (tests/core/test_structures.py).
    x = np.array([1.0, -2.0, 3.0])
    mask = np.array([True, False, True])
    g = tp.grad(lambda v: ops.sum(v * mask + v * np.array([1, 2, 3])), x)
    np.testing.assert_array_equal(g, [2.0, 2.0, 4.0])
    assert tp.grad_n(lambda a, b: a * b, 2, 3.0) == (0, 2.0)


def test_float16_is_a_float() -> None:
    x = np.array([0.5, 1.5], dtype=np.float16)
    g = tp.grad(lambda v: ops.sum(v * v), x)
    assert g.dtype == np.float16
    np.testing.assert_array_equal(g, [1.0, 3.0])


def test_every_op_class_of_the_library_takes_numbers_and_arrays_only() -> None:
    def subclasses(cls: type) -> list[type]:
        return [s for c in cls.__subclasses__() for s in (c, *subclasses(c))]

    library = [c for c in subclasses(Op) if c.__module__.startswith("typedprop.ops.")]
    assert library, "no op classes found"
    assert all(c.arrays_only for c in library), [c for c in library if not c.arrays_only]
    assert not Op.arrays_only
