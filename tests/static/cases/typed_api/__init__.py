"""What mypy accepts and rejects in typedprop's typed API (no dimension involved)."""
