"""Cases for the arithmetic family. (Being written.)"""

from typing import Any

from opcases import OpCase

CASES: list[OpCase] = []

AUTOGRAD: dict[str, Any] = {}
