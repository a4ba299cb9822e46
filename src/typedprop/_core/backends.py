"""Other array libraries: PyTorch, JAX, CuPy and array-api-strict arrays as parameters and data.

typedprop computes with whatever array library its inputs come from. numpy is the native one
(`structures._NumpyArrays`, with the hot paths' inline `type(x) is np.ndarray` tests); every
other library is one `ArrayApiArrays` kind, which answers typedprop's questions about an array
(shape, dtype, zero, add, fit) through the library's Python array API namespace, as
`array-api-compat` gives it (`array_api_compat.torch` for PyTorch, `jax.numpy`, ...). The ops
compute with that namespace too (`array_module(x)` in `structures`), so one op's code serves
every library.

The kinds are made lazily, the first time an array of a library is seen, and found from the
array's type by the name of its module: typedprop never imports PyTorch or JAX itself (they take
seconds to import), and the namespace is found once per array type, not once per call.

Internal: `structures.array_kind` asks `library_kind` about types it does not know.
"""

import importlib
from typing import Any

import numpy as np

from .structures import Mismatch, _ArrayKind
from .structures import array_kind as _array_kind
from .structures import describe as _describe

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


def namespace(library: str) -> Any:
    """The array API namespace of `library`, through array-api-compat: its `torch` and `cupy`
    wrappers, JAX's own `jax.numpy`, array-api-strict itself."""
    if library in ("torch", "cupy"):
        return importlib.import_module(f"array_api_compat.{library}")
    if library == "jax":
        return importlib.import_module("jax.numpy")
    return importlib.import_module(library)


def library_of(x: object) -> str | None:
    """The library of the array `x` ("numpy" for numpy's arrays and scalars), None for a Python
    number or anything that is not an array."""
    kind = _array_kind(x)
    if kind is not None:
        return kind.library
    return "numpy" if isinstance(x, np.generic) else None


class ArrayApiArrays(_ArrayKind):
    """The arrays of one library other than numpy, handled through its array API namespace."""

    def __init__(self, library: str) -> None:
        self.library = library
        self.module = namespace(library)
        self._compat = importlib.import_module("array_api_compat")
        # JAX's arrays are immutable: a gradient handed out twice cannot be changed through
        # the other, so none is copied.
        self._mutable = library != "jax"

    def differentiable(self, x: Any) -> bool:
        return bool(self.module.isdtype(x.dtype, ("real floating", "complex floating")))

    def floating(self, x: Any) -> bool:
        return bool(self.module.isdtype(x.dtype, "real floating"))

    def shape(self, x: Any) -> tuple[int, ...]:
        return tuple(x.shape)

    def dtype(self, x: Any) -> Any:
        return x.dtype

    def device(self, x: Any) -> Any:
        return self._compat.device(x)

    def scalar(self, x: Any) -> Any:
        # A Python number: the libraries' 0-d arrays are their scalars (a host round trip).
        return float(x) if self.floating(x) else int(x)

    def memory(self, x: Any) -> tuple[int, int]:
        base = getattr(x, "_base", None)  # a torch view's owner
        return id(x), id(x if base is None else base)

    def unshared(self, g: Any, handed_out: set[int]) -> Any:
        ids = self.memory(g)
        if self._mutable and (ids[0] in handed_out or ids[1] in handed_out):
            g = self.module.asarray(g, copy=True)
            ids = self.memory(g)
        handed_out.update(ids)
        return g

    def zero(self, x: Any) -> Any:
        return self.module.zeros_like(x)

    def add(self, a: Any, b: Any) -> Any:
        if not self.differentiable(a):
            return a
        return a + b

    def one(self, x: Any) -> Any:
        xp = self.module
        return xp.ones_like(x) if self.differentiable(x) else xp.zeros_like(x)

    def fit(self, g: Any, x: Any) -> Any:
        if not self.differentiable(x):
            return None
        kind = _array_kind(g)
        if kind is not self:
            if tuple(x.shape) == () and isinstance(g, int | float) and not isinstance(g, bool):
                return self.module.asarray(g, dtype=x.dtype, device=self.device(x))
            raise Mismatch(f"got {_describe(g)}, expected {self.describe(x)}")
        if tuple(g.shape) != tuple(x.shape):
            raise Mismatch(f"got shape {tuple(g.shape)}, expected {tuple(x.shape)}")
        if g.dtype != x.dtype:
            raise Mismatch(f"got dtype {g.dtype}, expected {x.dtype}")
        if getattr(g, "device", None) != getattr(x, "device", None):  # the cheap test first
            gd, xd = self.device(g), self.device(x)
            if gd != xd and gd is not None and xd is not None:  # None: a tracer's (jax.jit)
                raise Mismatch(f"got an array on {gd}, expected {xd}")
        return g

    def to_numpy(self, x: Any) -> Any:
        """A numpy copy of `x`, on the host (what a checkpoint stores)."""
        if self.library == "torch":
            return x.detach().cpu().numpy()
        if self.library == "cupy":
            return x.get()
        return np.asarray(x)

    def numpy_dtype(self, x: Any) -> np.dtype[Any]:
        """numpy's dtype of the same name as `x`'s (torch.float32 is float32)."""
        return np.dtype(str(x.dtype).rpartition(".")[2])

    def from_numpy(self, a: Any, like: Any) -> Any:
        """The numpy array `a` as a new array of `like`'s library, dtype and device."""
        return self.module.asarray(a, dtype=like.dtype, device=self.device(like), copy=True)

    def describe(self, x: Any) -> str:
        return f"a {self.library} array of shape {tuple(x.shape)} and dtype {x.dtype}"


_kinds: dict[str, ArrayApiArrays] = {}


def library_kind(cls: type) -> ArrayApiArrays | None:
    """The kind of the arrays of type `cls` if they are of a library typedprop computes with
    (one kind per library, made the first time), else None."""
    library = library_of_type(cls)
    if library is None:
        return None
    kind = _kinds.get(library)
    if kind is None:
        kind = _kinds[library] = ArrayApiArrays(library)
    return kind
