"""typedprop's mypy plugin: jaxtyping dimensions checked statically, per call.

Turn it on in the mypy configuration:

```ini
[mypy]
plugins = typedprop.mypy_plugin
```

Out of the box mypy reads `Float[Mat, "m n"]` as plain `Mat` and checks no dimension. With this
plugin, mypy checks shapes where their sizes are known:

- every op of `typedprop.ops`, BVar's and ndarray's operators and methods, and numpy's
  functions for arrays models use have a shape rule (`rules.py`; which callee gets which rule
  is said once per kind of op in `calls.py`): broadcasting, `@` with batch axes, einsum
  labels, reshape element counts, reductions with `axis` and `keepdims`, concatenation, ...;
- calls of typedprop `Op`s whose type parameters are jaxtyping hints (`ops.matvec`,
  `ops.linear`, your own `Op` subclasses), and of functions, methods and constructors
  decorated with `typedprop.shapecheck`, bind the hints' dimension names across the call, as
  jaxtyping does at run time; the `return` statements of a `shapecheck`ed body are checked;
- an annotated assignment is checked against its hint.

Sizes are `sizes.Size` values: numbers, dimension names and arithmetic on them (`2*h`, `n+m`),
compared as polynomials. They come from integer literals, `Final` constants and arithmetic on
them in the sized constructors (`typedprop.zeros(8, 2 * HIDDEN)`), from hints, and from the
results of the calls above. A mismatch reads (one line)

    Dimension mismatch in call to "matvec": dimension n: 784 (argument "x", axis 0)
    vs 128 (argument "w", axis 1)  [dim-mismatch]

and a wrong number of axes is reported under `rank-mismatch`. `typedprop.reveal_shape(x)` gets
a note with what is known of x's shape.

Gradual by construction: the plugin never changes what mypy accepts for an array whose sizes it
does not know (plain `np.ndarray`, a numpy result typed `Any`, a variable whose size differs by
branch), and it reports only definite contradictions between known sizes (two different names
may be equal; `2*n` and `n` are not). Variadic (`*batch`, `...`), broadcastable (`#n`) and
anonymous (`_`) dimensions are left to the runtime check.

How it works (mypy 2.4's plugin API; see the README's section on static shapes):

1. A type-analysis hook on `typing.Annotated` (jaxtyping's static aliases are `Annotated`)
   analyzes the jaxtyping hint exactly as mypy would, and attaches the shape string, and the
   function or class it is written in, to the resulting `ndarray` instance as invisible extra
   attributes, which mypy's cache keeps. mypy's own checks see the same types as without the
   plugin.
2. mypy drops `Annotated`'s arguments from base class expressions before that hook, so a
   base-class hook on `Op` reads the shape strings of `class MatVec(Op[Float[...], ...])` from
   the expression and keeps them in the class's metadata; a hook on `op1`/`op2`/`op3` copies
   them from the function's hints to the op's type.
3. Return-type hooks on the calls above apply a rule or bind the hints, report contradictions,
   and give the result its shape as another extra attribute (never in numpy's shape type,
   which mypy joins where branches meet). Where the value is kept beyond its use (an item of a
   list, a new attribute) it gets no shape, and a variable assigned again loses the first
   value's (`hooks._placed`).
4. A hook on `typedprop.shapecheck` marks the decorated signature (again an invisible extra
   attribute) and checks the body's `return` statements, type-checking the body first where
   mypy would do so later (see `internals.check_body_now`).

The modules: `sizes.py` (sizes and their arithmetic), `binding.py` (hints, known shapes and the
binding of a call, with mismatches as values), `rules.py` (the shape rules) — these three
import no mypy —, `calls.py` (a call's arguments read for the rules, and the rule of each
callee), `arrays.py` (array types read and written), `hooks.py` (the hooks and the plugin
class), `internals.py` (every use of mypy's internals and of numpy's and jaxtyping's private
names, and the check that they are there), `report.py` (the error codes, and the plugin's own
problems). Shape strings are parsed by `typedprop._core.dims`, the parser the runtime checks
use.

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
from .report import SHAPE_HINT as SHAPE_HINT
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


__all__ = ["DIM_MISMATCH", "PLUGIN_PROBLEM", "RANK_MISMATCH", "SHAPE_HINT", "plugin"]
