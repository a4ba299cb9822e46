"""The core of typedprop: what every layer above is built on, importing nothing above it.

- `errors`: the errors typedprop raises.
- `arrays`: the array type aliases for hints (`Array`, `Vec`, `Mat`).
- `dims`: the parser of jaxtyping's shape strings, shared with the mypy plugin.
- `checks`: the runtime checks (jaxtyping + beartype) and their one cache.
- `structures`: zero/add/one over any parameter structure, the one walk over it, and the one
  way to array leaves (`array_kind`) and to an op's array module (`array_module`).
- `sweep`: the reverse sweep's step, written once; the engine's sweep and a recorded graph's
  replay are generated from it, so they agree by construction.
- `tape`: the record of one `backprop` call and the reverse sweep over it.
- `bvar`: the variable, `BVar[T]`, and its accessors (`view`, `unpack`, `sequence`, `collect`).
- `op`: the primitive, `Op[*Ins, Out]`: a forward computation and a staged gradient, and the
  continuation types the op families share.

Internal: users import from `typedprop`. The layers above (the op library in `typedprop.ops`,
recorded graphs in `_tracing`, static shapes in `_static`) reach into the core, never the
other way round: BVar's operators find their ops through a table that `typedprop.ops` fills,
and tracing enters through the one hook a tape offers.
"""
