"""typedprop's mypy plugin: jaxtyping dimensions checked statically, per call.

Turn it on in the mypy configuration:

```ini
[mypy]
plugins = typedprop.mypy_plugin
```

Out of the box mypy reads `Float[Mat, "m n"]` as plain `Mat` and checks no dimension. With this
plugin, the jaxtyping strings are checked by mypy wherever jaxtyping and beartype check them at run
time with the dimension names bound across a call:

- calls of typedprop `Op`s whose type parameters are jaxtyping hints (`ops.matvec`,
  `ops.linear`, your own `Op` subclasses), on BVars or on plain arrays;
- calls of functions and methods decorated with `typedprop.shapecheck` (`__call__` included),
  and the `return` statements in their bodies.

Within one call, a dimension name means one size and a fixed size must match. The sizes come
from the arguments' static types: `typedprop.zeros(32, 784)`, `typedprop.ones` and
`typedprop.normal` give arrays typed `ndarray[tuple[Literal[32], Literal[784]], ...]` (literal
sizes and `Final` integer constants); an annotation or cast with fixed sizes
(`Float[Mat, "32 784"]`) gives its sizes; and a checked call's result carries the sizes it binds
(`matvec(w, x)` is a vector of `m`'s size). A mismatch reads (one line)

    Dimension mismatch in call to "matvec": dimension n: 784 (argument "x", axis 0)
    vs 128 (argument "w", axis 1)  [dim-mismatch]

Gradual by construction: the plugin never changes what mypy accepts for an array whose sizes it
does not know (plain `np.ndarray`, a numpy result, a named dimension of an enclosing function),
and it reports only definite contradictions between known sizes. Variadic axes (`*batch`,
`...`), broadcastable (`#n`), anonymous (`_`) and symbolic (`n+1`) dimensions are left to the
runtime check.

How it works (mypy 2.4's plugin API; see the README's section on static shapes):

1. A type-analysis hook on `typing.Annotated` (jaxtyping's static aliases are `Annotated`)
   analyzes the jaxtyping hint exactly as mypy would, and attaches the shape string to the
   resulting `ndarray` instance as an invisible extra attribute, which mypy's cache keeps. mypy's
   own checks see the same types as without the plugin.
2. mypy drops `Annotated`'s arguments from base class expressions before that hook, so a
   base-class hook on `Op` reads the shape strings of `class MatVec(Op[Float[...], ...])` from
   the expression and keeps them in the class's metadata; a hook on `op1`/`op2`/`op3` copies
   them from the function's hints to the op's type.
3. Return-type hooks on the calls above bind the dimensions of the parameters' hints to the
   arguments' known sizes, report contradictions with the error code `dim-mismatch`, and give
   the result literal sizes where the output's dimensions are bound.
4. A hook on `typedprop.shapecheck` marks the decorated signature (again an invisible extra
   attribute) and checks the body's `return` statements, type-checking the body first where
   mypy would do so later (see `internals.check_body_now`).
5. Hooks on the functions typed as keeping their argument's type while they move axes
   (`.T`, `transpose`, `swapaxes`, ...) reverse or forget the sizes, so that no stale size
   reaches a check.

The modules: `binding.py` (hints, known shapes and the binding of a call, with mismatches as
values; no mypy), `arrays.py` (array types read and written), `hooks.py` (the hooks and the
plugin class), `internals.py` (every use of mypy's internals and of numpy's and jaxtyping's
private names, and the check that they are there), `report.py` (the error codes, and the
plugin's own problems).
Shape strings are parsed by `typedprop._core.dims`, the parser the runtime checks use.

Versions: the plugin was written for mypy `>=2.4,<2.5`. On another mypy, or where an internal
it needs is missing, it checks nothing and says so once, as an error with the code
`typedprop-plugin` naming the supported range; `TYPEDPROP_PLUGIN_UNSUPPORTED=note` (or
`unsupported = note` in a `[typedprop-mypy]` section of the mypy configuration file) makes that
a note. A hook that fails gives mypy's own answer and is reported once the same way
(`TYPEDPROP_PLUGIN_STRICT=1` makes it raise instead, as the tests do).

Internal: users name it in their mypy configuration only.
"""

from mypy.plugin import Plugin

from . import internals
from .report import DIM_MISMATCH as DIM_MISMATCH
from .report import PLUGIN_PROBLEM as PLUGIN_PROBLEM
from .report import RANK_MISMATCH as RANK_MISMATCH
from .report import UnsupportedPlugin


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point: the plugin for mypy `version`, or, on a mypy it was not written for
    (`internals.SUPPORTED`), one that checks nothing and says so once."""
    reason = internals.problem(version)
    if reason is None:
        try:
            from .hooks import TypedpropPlugin
        except ImportError as error:
            reason = f"importing the plugin failed on mypy {version} ({error})"
        else:
            return TypedpropPlugin
    return type("UnsupportedPlugin", (UnsupportedPlugin,), {"reason": reason})


__all__ = ["DIM_MISMATCH", "PLUGIN_PROBLEM", "RANK_MISMATCH", "plugin"]
