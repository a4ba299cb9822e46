"""Static cases: files that mypy checks and nothing runs (see `tests/static/test_static.py`)."""
