"""Other array libraries: PyTorch, JAX, CuPy and array-api-strict arrays as parameters and data.

typedprop computes with whatever array library its inputs come from. numpy is the native one
(`structures._NumpyArrays`, with the hot paths' inline `type(x) is np.ndarray` tests); every
other library is one `ArrayApiArrays` kind, which answers typedprop's questions about an array
(shape, dtype, zero, add, fit) through the library's Python array API namespace, as
`array-api-compat` gives it (`array_api_compat.torch` for PyTorch, `jax.numpy`, ...). The ops
compute with that namespace too (`array_module(x)` in `structures`), so one op's code serves
every library.

The kinds (`structures.ArrayApiArrays`) are made lazily, the first time an array of a library is
seen, and found from the array's type by the name of its module (`library_of_type`): typedprop
never imports PyTorch or JAX itself (they take seconds to import), and the namespace is found
once per array type, not once per call.

Internal: `structures` asks `library_of_type` about types it does not know; imports nothing of
typedprop.
"""

import importlib
import sys
from typing import Any

#: The libraries typedprop computes with, by the top-level module of their array types: the
#: name a message shows, and how to find the array API namespace.
LIBRARIES: dict[str, str] = {
    "torch": "torch",
    "jax": "jax",
    "jaxlib": "jax",
    "cupy": "cupy",
    "array_api_strict": "array_api_strict",
}

#: How a user converts an array of one library to another's, for the mixing error.
CONVERT: dict[str, str] = {
    "numpy": "numpy.asarray(x)",
    "torch": "torch.asarray(x)",
    "jax": "jax.numpy.asarray(x)",
    "cupy": "cupy.asarray(x)",
    "array_api_strict": "array_api_strict.asarray(x)",
}


def a_library(library: str) -> str:
    """The library's name with its article: "a torch", "an array_api_strict"."""
    return f"{'an' if library[0] in 'aeiou' else 'a'} {library}"


def mixing_message(op: str, first: tuple[str, str], other: tuple[str, str]) -> str:
    """The message for arrays of two libraries given to one op: `first` and `other` are each
    what the array is to the op ("argument 'x'", "the key") and its library (a key of
    `CONVERT`). typedprop makes no hidden copies between libraries (nor between host and
    device), so the user converts one of them; the message says how."""
    (what, a), (other_what, b) = first, other
    return (
        f"{op}: {what} is {a_library(a)} array but {other_what} is {a_library(b)} array; an op "
        f"computes with one array library, so convert one of them first "
        f"(with {CONVERT[a]} or {CONVERT[b]})"
    )


def library_of_type(cls: type) -> str | None:
    """The library (a key of `CONVERT`) whose array type `cls` is, or None. Tensors' subclasses
    (`torch.nn.Parameter`) and JAX's tracers (under `jax.jit`) count as their library's."""
    module = getattr(cls, "__module__", None) or ""
    top = module.partition(".")[0]
    library = LIBRARIES.get(top)
    if library is None:
        return None
    if library == "torch":
        torch = importlib.import_module("torch")
        return library if issubclass(cls, torch.Tensor) else None
    if library == "jax":
        jax = importlib.import_module("jax")
        # Under `jax.jit` the arrays are tracers, which are jax.Arrays to isinstance only.
        tracer = getattr(getattr(jax, "core", None), "Tracer", ())
        return library if issubclass(cls, jax.Array) or issubclass(cls, tracer) else None
    if library == "cupy":
        cupy = importlib.import_module("cupy")
        return library if issubclass(cls, cupy.ndarray) else None
    strict = importlib.import_module("array_api_strict")
    return library if issubclass(cls, strict._array_object.Array) else None


def autograd_off() -> Any:
    """PyTorch's own autograd turned off for this thread, if PyTorch is loaded and it was on:
    the function that turns it back on, or None where nothing changed. typedprop is the
    differentiation engine of its calls; tensors that require grad (a `torch.nn.Parameter`)
    would otherwise make PyTorch record every op inside them too, and hand back gradients and
    updated parameters holding PyTorch's graph, which a training loop would chain from step to
    step. (Grad mode is thread-local in PyTorch, as typedprop's tapes are.)"""
    torch = sys.modules.get("torch")
    if torch is None or not torch.is_grad_enabled():
        return None
    torch.set_grad_enabled(False)
    return torch.set_grad_enabled


def is_torch(xp: Any) -> bool:
    """Whether the namespace `xp` is array-api-compat's for PyTorch's tensors: the ops call
    PyTorch's own functions in their hot paths, where its Python wrappers cost as much as a
    batch's kernel."""
    return getattr(xp, "__name__", "") == "array_api_compat.torch"


def namespace(library: str) -> Any:
    """The array API namespace of `library`, through array-api-compat: its `torch` and `cupy`
    wrappers, JAX's own `jax.numpy`, array-api-strict itself."""
    if library in ("torch", "cupy"):
        return importlib.import_module(f"array_api_compat.{library}")
    if library == "jax":
        return importlib.import_module("jax.numpy")
    return importlib.import_module(library)
