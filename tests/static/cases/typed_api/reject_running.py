"""Rejected: the running functions given parameters that do not fit the function, or
results put into names of the wrong types.

Each rejected line ends in `# E: message  [code]`, the message with `...` for what it leaves
out; tests/static/test_static.py checks both. Checked by mypy only.
"""

import numpy as np

import typedprop as tp
from typedprop import BVar, Mat, Vec, ops


def mat() -> Mat:
    return np.zeros((2, 2))


def vec() -> Vec:
    return np.zeros(2)


def quad(w: BVar[Mat]) -> BVar[float]:
    return (w @ vec()) @ vec()


def sumsq(v: BVar[Vec]) -> BVar[float]:
    return v @ v


def double(v: BVar[Vec]) -> BVar[Vec]:
    return v * 2.0


def f2(w: BVar[Mat], x: BVar[Vec]) -> BVar[float]:
    return (w @ x) @ x


def f3(w: BVar[Mat], x: BVar[Vec], s: BVar[float]) -> BVar[float]:
    return (w @ x) @ x * s


def plain_float(x: BVar[float]) -> float:
    return x.value


def gradient_into_a_name_of_another_array_type() -> None:
    # The gradient of a matrix is a matrix. With the annotation on the same line mypy infers
    # grad's X from it (Vec) and reports the arguments, not the assignment.
    g: Vec = tp.grad(quad, mat())  # E: Argument 2 to "grad" has incompatible type "Mat"; expected "Vec"  [arg-type]  # E: ...  [arg-type]


def gradient_into_a_float() -> None:
    # ... while a float annotation is reported as the assignment.
    g: float = tp.grad(quad, mat())  # E: ...expression has type "Mat", variable has type "float"...  [assignment]


def gradient_then_assigned() -> None:
    # In two steps the mismatch is an assignment.
    g = tp.grad(quad, mat())
    v: Vec = g  # E: ...expression has type "Mat", variable has type "Vec"...  [assignment]


def backprop_value_and_gradient_swapped() -> None:
    # backprop returns (value, gradient).
    g = tp.backprop(quad, mat())
    y: Mat
    gw: float
    y, gw = g  # E: ...expression has type "float", variable has type "Mat"...  [assignment]  # E: ...  [assignment]


def float_where_f_expects_a_matrix() -> None:
    # quad takes BVar[Mat]: a float parameter does not fit.
    tp.grad(quad, 1.0)  # E: Argument 1 to "grad" has incompatible type "Callable[[BVar[Mat]], BVar[float]]"...  [arg-type]


def float_where_backprop_f_expects_a_matrix() -> None:
    # Likewise for backprop.
    tp.backprop(quad, 1.0)  # E: Argument 1 to "backprop" has incompatible type...  [arg-type]


def vector_where_evaluate_f_expects_a_matrix() -> None:
    # evaluate checks its parameter against f too: a vector is not a matrix.
    tp.evaluate(quad, vec())  # E: Argument 1 to "evaluate" has incompatible type...  [arg-type]


def function_must_return_a_bvar() -> None:
    # The differentiated function returns a BVar, not a plain float.
    tp.grad(plain_float, 1.0)  # E: ...incompatible type "Callable[[BVar[float]], float]"...  [arg-type]


def seed_has_the_output_type() -> None:
    # double returns a vector BVar: the seed is a vector, not a float.
    tp.backprop_with(double, vec(), 1.0)  # E: Argument 1 to "backprop_with" has incompatible type...  [arg-type]


def backprop_n_gradients_into_wrong_types() -> None:
    # f2's gradients are (Mat, Vec).
    gx: Mat
    y, (gw, gx) = tp.backprop_n(f2, mat(), vec())  # E: Argument 3 to "backprop_n" has incompatible type "Vec"; expected "Mat"  [arg-type]  # E: ...  [arg-type]


def backprop_n_gradients_into_too_few_names() -> None:
    # f3 has three parameters, so three gradients.
    y, (gw, gx) = tp.backprop_n(f3, mat(), vec(), 1.0)  # E: Too many values to unpack (2 expected, 3 provided)  [misc]


def grad_n_gradients_then_unpacked_into_wrong_types() -> None:
    # grad_n's gradient tuple is (Mat, Vec, float): its first item is not a vector.
    gs = tp.grad_n(f3, mat(), vec(), 1.0)
    gw: Vec
    gw, gx, g3 = gs  # E: ...expression has type "Mat", variable has type "Vec"...  [assignment]


def grad_n_gradients_unpacked_into_wrong_types() -> None:
    # Unpacked directly, the declared types become grad_n's context and mypy reports the call.
    gw: Vec
    gw, gx, g3 = tp.grad_n(f3, mat(), vec(), 1.0)  # E: Argument 2 to "grad_n" has incompatible type "Mat"; expected "Vec"  [arg-type]  # E: ...  [arg-type]


def grad_n_parameters_that_do_not_fit_f() -> None:
    # f2 takes a matrix and a vector; a float is not a matrix.
    tp.grad_n(f2, 1.0, vec())  # E: Argument 1 to "grad_n" has incompatible type...  [arg-type]


def grad_n_with_too_few_parameters() -> None:
    # f3 takes three parameters.
    tp.grad_n(f3, mat(), vec())  # E: Argument 1 to "grad_n" has incompatible type...  [arg-type]


def graph_on_another_structure(w: Mat, v: Vec) -> None:
    def loss(p: BVar[tuple[Mat, Vec]]) -> BVar[float]:
        a, b = p.unpack()
        return (a @ b) @ b

    graph = tp.trace(loss, (w, v))
    graph.grad((v, v))  # E: Argument 1 to "grad" of "Graph" has incompatible type...  [arg-type]
    g: tuple[Vec, Vec] = graph.grad((w, v))  # E: ...  [assignment]
    del g


def graph_with_data_called_without_it(w: Mat, v: Vec) -> None:
    def loss(p: BVar[Mat], x: Vec) -> BVar[float]:
        return ops.sum(ops.matvec(p, x))

    graph = tp.trace(loss, w, v)
    graph.grad(w)  # E: Too few arguments for "grad" of "Graph"  [call-arg]
    graph.grad(w, 1.0)  # E: Argument 2 to "grad" of "Graph" has incompatible type "float"...  [arg-type]
    graph.as_op()  # E: Invalid self argument...  [misc]
    tp.trace(loss, w, 1.0)  # E: Argument 1 to "trace" has incompatible type...  [arg-type]


def compiled_graph_on_another_structure_or_without_data(w: Mat, v: Vec) -> None:
    def loss(p: BVar[Mat], x: Vec) -> BVar[float]:
        return ops.sum(ops.matvec(p, x))

    compiled = tp.trace(loss, w, v).compile()
    compiled.grad(v, v)  # E: Argument 1 to "grad" of "CompiledGraph" has incompatible type...  [arg-type]
    compiled.backprop(w)  # E: Too few arguments for "backprop" of "CompiledGraph"  [call-arg]
    g: Vec = compiled.grad(w, v)  # E: ...  [assignment]
    del g


def compiled_graph_with_an_aux_on_another_structure_or_without_data(w: Mat, v: Vec) -> None:
    def loss(p: BVar[Mat], x: Vec) -> tuple[BVar[float], BVar[Vec]]:
        y = ops.matvec(p, x)
        return ops.sum(y), y

    compiled = tp.trace(loss, w, v, has_aux=True).compile()
    compiled.grad(v, v)  # E: Argument 1 to "grad" of "CompiledGraphWithAux" has incompatible type...  [arg-type]
    compiled.backprop(w)  # E: Too few arguments for "backprop" of "CompiledGraphWithAux"  [call-arg]
    g: tuple[Mat, Mat] = compiled.grad(w, v)  # E: ...  [assignment]
    del g
