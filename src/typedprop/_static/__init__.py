"""Static shapes at run time: `shapecheck` and the sized constructors `zeros`, `ones` and
`normal`, whose sizes `typedprop.mypy_plugin` reads.

Internal: users import them from `typedprop`.
"""
