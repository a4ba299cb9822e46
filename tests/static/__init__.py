"""Static shapes and types: the one runner of the static cases (`test_static.py`), the runtime side
of `shapecheck` (`test_shapecheck.py`), the plugin apart from its corpus
(`test_plugin.py`) and the shared shape-string parser (`test_dims.py`)."""
