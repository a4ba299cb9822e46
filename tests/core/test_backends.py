"""Other array libraries at the core: their arrays as parameters (gradients of the same library,
dtype and shape), ops refusing arrays of two libraries, the constructors' `library=` and
`device=`, and checkpoints of their arrays. The op table on each library is
`tests/ops/test_backends.py`."""

import importlib
import pathlib
import warnings
from typing import Any

import numpy as np
import pytest

import typedprop as tp
from typedprop import ops


def _library(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        pytest.skip(f"{name} is not installed (pip install 'typedprop[backends]')")


def _array(name: str, values: Any, dtype: str = "float64") -> Any:
    """`values` as an array of the library `name`."""
    if name == "torch":
        torch = _library("torch")
        return torch.asarray(np.asarray(values, dtype=dtype).copy())
    if name == "jax":
        return _library("jax.numpy").asarray(np.asarray(values, dtype="float32"))
    return _library(name).asarray(np.asarray(values, dtype=dtype))


LIBRARIES = ["torch", "jax", "array_api_strict"]


@pytest.mark.parametrize("name", LIBRARIES)
def test_a_structure_of_another_librarys_arrays_gets_gradients_of_its_type(name: str) -> None:
    w, b = _array(name, [1.0, -2.0]), _array(name, [0.5, 0.25])
    seed = _array(name, [1.0, 10.0])

    def f(p: tp.BVar[tuple[Any, Any]]) -> tp.BVar[Any]:
        pw, pb = p.unpack()
        return pw * pw * 3.0 + pb

    value, (gw, gb) = tp.backprop_with(f, (w, b), seed)
    for g, p in ((gw, w), (gb, b)):
        assert type(g) is type(p)
        assert g.dtype == p.dtype
        assert tuple(g.shape) == tuple(p.shape)
    np.testing.assert_allclose(np.asarray(gw), [6.0, -120.0])
    np.testing.assert_allclose(np.asarray(gb), [1.0, 10.0])
    np.testing.assert_allclose(np.asarray(value), [3.5, 12.25])


@pytest.mark.parametrize("name", LIBRARIES)
def test_an_op_refuses_arrays_of_two_libraries_naming_both(name: str) -> None:
    x = _array(name, [1.0, 2.0])
    with pytest.raises(tp.CheckError) as e:
        tp.backprop_with(lambda p: p * np.ones(2), x, x)
    message = str(e.value)
    article = "an" if name[0] in "aeiou" else "a"
    assert message.startswith(f"multiply: argument 'a' is {article} {name} array but argument")
    assert "a numpy array" in message and "numpy.asarray(x)" in message
    with pytest.raises(tp.CheckError, match="argument 'a' is a numpy array but argument 'b' is"):
        ops.add(np.ones(2), x)


def test_a_numpy_scalar_counts_as_numpy() -> None:
    x = _array("torch", [1.0, 2.0])
    with pytest.raises(tp.CheckError, match="'b' is a numpy array; an op computes with one"):
        ops.multiply(x, np.float64(2.0))
    assert np.allclose(ops.multiply(x, 2.0).numpy(), [2.0, 4.0])  # a Python number is fine


def test_two_libraries_other_than_numpy_are_refused_too() -> None:
    t, j = _array("torch", [1.0]), _array("jax", [1.0])
    with pytest.raises(tp.CheckError, match="'a' is a torch array but argument 'b' is a jax"):
        ops.add(t, j)


@pytest.mark.parametrize("name", LIBRARIES)
def test_a_gradient_needs_a_scalar_output_of_any_library(name: str) -> None:
    x = _array(name, [1.0, 2.0])
    with pytest.raises(tp.CheckError, match=r"returned an array of shape \(2,\), but a gradient"):
        tp.grad(lambda p: p * 2.0, x)


def test_the_constructors_build_another_librarys_arrays() -> None:
    torch = _library("torch")
    w = tp.normal(3, 2, rng=0, library=torch.Tensor)
    assert type(w) is torch.Tensor and w.dtype == torch.float32 and tuple(w.shape) == (3, 2)
    np.testing.assert_allclose(w.numpy(), tp.normal(3, 2, rng=0), rtol=1e-6)
    z = tp.zeros(2, library=torch.Tensor, dtype=np.float64, device="cpu")
    assert z.dtype == torch.float64 and z.device.type == "cpu" and not z.any()
    o = tp.ones(2, 2, library=torch.Tensor, dtype=torch.float16)
    assert o.dtype == torch.float16 and bool((o == 1).all())
    jax = _library("jax")
    assert isinstance(tp.ones(2, library=jax.Array), jax.Array)


def test_the_constructors_refuse_a_device_without_a_library_and_unknown_types() -> None:
    with pytest.raises(tp.CheckError, match="zeros: device='cuda' needs library="):
        tp.zeros(2, device="cuda")
    with pytest.raises(tp.CheckError, match=r"ones: library=<class 'list'> is not an array type"):
        tp.ones(2, library=list)
    torch = _library("torch")
    with pytest.raises(tp.CheckError, match="normal: dtype='int64' is not a float dtype"):
        tp.normal(2, library=torch.Tensor, dtype=torch.int64)


@pytest.mark.parametrize("name", LIBRARIES)
def test_a_checkpoint_of_another_librarys_arrays_loads_into_its_type(
    name: str, tmp_path: pathlib.Path
) -> None:
    params = {"w": _array(name, [[1.0, 2.0]], "float32"), "b": 0.5}
    path = tmp_path / "params.npz"
    tp.save(path, params)
    loaded = tp.load(path, like=params)
    assert type(loaded["w"]) is type(params["w"]) and loaded["w"].dtype == params["w"].dtype
    np.testing.assert_array_equal(np.asarray(loaded["w"]), [[1.0, 2.0]])
    assert loaded["b"] == 0.5
    with pytest.raises(tp.CheckpointError, match=r"params\['w'\] has shape \(1, 2\) in the"):
        tp.load(path, like={"w": _array(name, [1.0, 2.0], "float32"), "b": 0.5})


def test_hints_for_another_librarys_arrays_are_checked_with_named_dimensions() -> None:
    torch = _library("torch")
    from typing import NamedTuple

    from jaxtyping import Float

    @tp.shapecheck
    class Layer(NamedTuple):
        w: Float[torch.Tensor, "out in"]
        b: Float[torch.Tensor, " out"]

    Layer(torch.zeros(3, 2), torch.zeros(3))
    with pytest.raises(tp.CheckError) as e:
        Layer(torch.zeros(3, 2), torch.zeros(4))
    assert str(e.value) == (
        "Layer: argument 'b' has shape (4,) and dtype float32, which does not fit "
        "Float[Tensor, 'out'] (dimension out: 4 (argument 'b', axis 0) vs 3 (argument 'w', "
        "axis 0))"
    )

    class MatVec(tp.Op[Float[torch.Tensor, "m n"], Float[torch.Tensor, " n"], Any]):
        def forward(self, w: Any, x: Any) -> Any:
            return w @ x, lambda g: (torch.outer(g, x), w.T @ g)

    matvec = MatVec()
    _, (gw, gx) = tp.backprop_with(
        lambda p: matvec(*p.unpack()), (torch.ones(2, 3), torch.ones(3)), torch.ones(2)
    )
    assert type(gw) is torch.Tensor and tuple(gx.shape) == (3,)
    with pytest.raises(tp.CheckError, match=r"dimension n: 4 \(argument 'x', axis 0\) vs 3"):
        matvec(torch.ones(2, 3), torch.ones(4))
    with pytest.raises(tp.CheckError, match="dtype int64 is not a Float dtype"):
        matvec(torch.ones(2, 3), torch.ones(3, dtype=torch.int64))


@pytest.mark.parametrize("name", LIBRARIES)
def test_shapes_that_do_not_broadcast_are_a_check_error_on_every_library(name: str) -> None:
    a, b = _array(name, np.ones((2, 3))), _array(name, np.ones(4))
    for op in (ops.add, ops.multiply, ops.maximum):
        with pytest.raises(tp.CheckError) as e:
            op(a, b)
        assert str(e.value) == (
            f"{op.name}: argument 'a' of shape (2, 3) and argument 'b' of shape (4,) do not "
            "broadcast together"
        )


def test_the_mixing_error_has_the_right_article() -> None:
    strict = _library("array_api_strict")
    with pytest.raises(tp.CheckError, match="is an array_api_strict array but argument 'b' is a"):
        ops.add(strict.ones(2), np.ones(2))


def test_a_gradient_under_jax_jit_is_jaxs_own() -> None:
    jax = _library("jax")
    jnp = _library("jax.numpy")

    @jax.jit
    def gradient(x: Any) -> Any:
        return tp.backprop_with(lambda p: ops.tanh(p * p), x, jnp.ones(3))[1]

    x = jnp.arange(3.0)
    np.testing.assert_allclose(
        np.asarray(gradient(x)), 2 * np.arange(3.0) / np.cosh(np.arange(3.0) ** 2) ** 2, rtol=1e-3
    )


def test_a_gradient_under_torch_compile_is_torchs_own() -> None:
    torch = _library("torch")

    def gradient(x: Any) -> Any:
        return tp.backprop_with(lambda p: ops.tanh(p * p), x, torch.ones(3, dtype=x.dtype))[1]

    x = torch.arange(3.0, dtype=torch.float64)
    with warnings.catch_warnings():
        # Dynamo warns that it traces through array-api-compat's lru_cache'd helpers, and
        # PyTorch's compiler imports deprecated parts of itself.
        warnings.simplefilter("ignore")
        got = torch.compile(gradient)(x)
    np.testing.assert_allclose(got.numpy(), gradient(x).numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", LIBRARIES)
def test_a_recorded_graph_replays_on_another_librarys_parameters_and_data(name: str) -> None:
    def f(p: tp.BVar[Any], x: Any, c: float) -> tp.BVar[Any]:
        return ops.tanh(p * x) * c

    w, seed = _array(name, [1.0, -2.0]), _array(name, [1.0, 1.0])
    graph = tp.trace(f, w, _array(name, [0.5, 1.0]), 2.0)
    for x in ([0.5, 1.0], [3.0, -1.0]):
        data = _array(name, x)
        value, g = graph.backprop_with(w, seed, data, 2.0)
        expected_value, expected = tp.backprop_with(lambda p: f(p, data, 2.0), w, seed)  # noqa: B023
        assert type(g) is type(w) and g.dtype == w.dtype
        np.testing.assert_allclose(np.asarray(g), np.asarray(expected), rtol=1e-6)
        np.testing.assert_allclose(np.asarray(value), np.asarray(expected_value), rtol=1e-6)
    assert len(graph._records) == 1  # one record for both data arrays: data, not constants


def test_integer_labels_under_jax_jit_give_the_same_loss_and_nan_out_of_range() -> None:
    jax = _library("jax")
    jnp = _library("jax.numpy")
    rng = np.random.default_rng(0)
    w = jnp.asarray(rng.normal(size=(10, 5)), dtype=jnp.float32)
    x = jnp.asarray(rng.normal(size=(8, 5)), dtype=jnp.float32)
    y = jnp.asarray(rng.integers(10, size=8))

    def loss(p: tp.BVar[Any], y: Any) -> tp.BVar[Any]:
        return ops.softmax_cross_entropy_with_integer_labels(ops.tanh(x @ p.T), y)

    compiled = jax.jit(lambda w, y: tp.backprop(lambda p: loss(p, y), w))
    value, g = compiled(w, y)
    expected_value, expected = tp.backprop(lambda p: loss(p, y), w)
    np.testing.assert_allclose(np.asarray(value), np.asarray(expected_value), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(g), np.asarray(expected), rtol=1e-4, atol=1e-6)
    # The labels' values are unknown while JAX traces: out of range, the loss is nan.
    bad = y.at[0].set(12)
    assert np.isnan(np.asarray(compiled(w, bad)[0]))
    with pytest.raises(tp.CheckError, match="argument 'labels' holds 12, out of range"):
        tp.backprop(lambda p: loss(p, bad), w)


def test_integer_labels_closed_over_under_jax_jit() -> None:
    """Concrete labels closed over by a jitted function, its logits a tracer (whose device reads
    as None): the same loss and gradient as without jax.jit, no device mismatch; out of range,
    the loss is nan, as for traced labels."""
    jax = _library("jax")
    jnp = _library("jax.numpy")
    z = jnp.asarray(np.arange(12.0).reshape(4, 3) / 7, dtype=jnp.float32)
    y = jnp.asarray([1, 0, 2, 2])

    def loss(v: tp.BVar[Any], y: Any) -> tp.BVar[Any]:
        return ops.softmax_cross_entropy_with_integer_labels(ops.tanh(v), y)

    value, g = jax.jit(lambda v: tp.backprop(lambda p: loss(p, y), v))(z)
    expected_value, expected = tp.backprop(lambda p: loss(p, y), z)
    np.testing.assert_allclose(np.asarray(value), np.asarray(expected_value), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(g), np.asarray(expected), rtol=1e-6, atol=1e-7)
    bad = y.at[0].set(3)
    assert np.isnan(np.asarray(jax.jit(lambda v: tp.backprop(lambda p: loss(p, bad), v))(z)[0]))


@pytest.mark.parametrize("name", LIBRARIES)
@pytest.mark.parametrize("checks", [False, True])
def test_an_op_refuses_another_librarys_complex_array(name: str, checks: bool) -> None:
    # Real arrays of another library pass an op's vetting by their kind's answers by dtype;
    # complex ones are refused, as numpy's are.
    lib = _library(name)
    module = _library("jax.numpy") if name == "jax" else lib
    z = module.asarray(np.array([1.0 + 2.0j, -0.5j], dtype=np.complex64))
    with tp.checks(checks):
        with pytest.raises(
            tp.CheckError,
            match=r"tanh: argument 'x' must be a real number or array, got \w+ \(complex values "
            r"are not supported yet\)",
        ):
            ops.tanh(z)
        with pytest.raises(tp.CheckError, match=r"add: argument 'b' must be a real number"):
            ops.add(_array(name, [1.0, 2.0], "float32"), z)
        real = ops.tanh(_array(name, [0.0, 1.0], "float32"))
        assert type(real) is type(_array(name, [0.0], "float32"))


def test_checks_read_one_stand_in_per_dtype_and_shape_and_still_catch_mistakes() -> None:
    # With checks on, the hints written with numpy's types check another library's arrays
    # through stand-ins (numpy arrays of their shape and dtype, no data), made once per dtype
    # and shape and shared.
    torch = _library("torch")
    from typedprop.ops import _linalg

    def t(*shape: int) -> Any:
        return torch.zeros(*shape, dtype=torch.float64)

    first = _linalg._stand_in(t(3, 2))
    assert first is _linalg._stand_in(torch.ones(3, 2, dtype=torch.float64))
    assert first.shape == (3, 2) and first.dtype == np.float64 and not first.flags.writeable
    assert _linalg._stand_in(t(2, 3)).shape == (2, 3)
    assert _linalg._stand_in(t(3, 2).float()).dtype == np.float32
    w, b = t(3, 2), t(3)
    with tp.checks(True):
        for _ in range(2):
            assert tuple(ops.linear(w, t(4, 2), b).shape) == (4, 3)
            with pytest.raises(
                tp.CheckError,
                match=r"linear: argument 'x' has shape \(4, 5\) and dtype float64, which does "
                r"not fit .*dimension in: 5 \(argument 'x', axis 1\) vs 2 \(argument 'w', axis 1\)",
            ):
                ops.linear(w, t(4, 5), b)
