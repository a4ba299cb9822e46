"""Recorded graphs, a layer on the core: `typedprop.trace` records a function once, as a
`Graph` that replays it.

- `values`: the traced values user code sees while a function is recorded.
- `replay`: a record's steps and the code generated to replay them.
- `record`: the tracing tape, which runs a function once and keeps its steps as a record.
- `graph`: `Graph`, which keeps a function's records and runs them, and `trace`.

Internal: users import `trace` and `Graph` from `typedprop`.
"""
