"""Recorded graphs, a layer on the core: `typedprop.trace` records a function once, as a
`Graph` that replays it.

- `values`: the traced values user code sees while a function is recorded.
- `graph`: the recording tape, the records and their replay, and `Graph`.

Internal: users import `trace` and `Graph` from `typedprop`.
"""
