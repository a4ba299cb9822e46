"""Sizes as the plugin knows them: integers, dimension names and arithmetic on them.

A `Size` is a polynomial with integer coefficients over dimension names, kept in one normal
form, so that equal expressions compare equal: `h+h` is `2*h`, `n+m` is `m+n`, `2*(a+1)` is
`2*a+2`. Concatenation adds sizes, `reshape` multiplies them, a literal multiple in a hint
(`"batch 2*hidden"`) scales one.

Named dimensions stand for sizes of at least 1, so a difference whose terms all have one sign
is never zero: `2*n` and `n` differ definitely, `n` and `m` may be equal (that is not a
mismatch), `n` and `n+1` differ.

```python
>>> from typedprop.mypy_plugin.sizes import Size, parse_size
>>> h = Size.named("h")
>>> str(h + h), h + h == 2 * h, str(parse_size("2*(n+1)") * Size.named("m"))
('2*h', True, '2*m*n+2*m')
>>> (h + h).differs(h), Size.named("n").differs(Size.named("m"))
(True, False)
```

Internal: used by the plugin; nothing here imports mypy.
"""

import ast
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

_Monomial = tuple[str, ...]
"""A product of names, sorted, with repeats: `("h", "w")` is `h*w`; `()` is the constant 1."""


@dataclass(frozen=True)
class Size:
    """A size: a sum of monomials with nonzero integer coefficients, in a normal form (sorted
    by degree, then names), so that `==` is equality of polynomials."""

    terms: tuple[tuple[_Monomial, int], ...]

    @staticmethod
    def of(n: int) -> "Size":
        """The fixed size `n`."""
        return Size((((), n),) if n else ())

    @staticmethod
    def named(name: str) -> "Size":
        """The size a dimension name stands for."""
        return Size((((name,), 1),))

    @staticmethod
    def _make(terms: Iterable[tuple[_Monomial, int]]) -> "Size":
        total: dict[_Monomial, int] = {}
        for m, c in terms:
            total[m] = total.get(m, 0) + c
        kept = [(m, c) for m, c in total.items() if c]
        kept.sort(key=lambda t: (-len(t[0]), t[0]))
        return Size(tuple(kept))

    @property
    def value(self) -> int | None:
        """The integer this size is, where it has no names."""
        if not self.terms:
            return 0
        if len(self.terms) == 1 and not self.terms[0][0]:
            return self.terms[0][1]
        return None

    @property
    def names(self) -> frozenset[str]:
        """The dimension names this size depends on."""
        return frozenset(n for m, _ in self.terms for n in m)

    def __add__(self, other: "Size | int") -> "Size":
        o = Size.of(other) if isinstance(other, int) else other
        return Size._make(self.terms + o.terms)

    def __radd__(self, other: int) -> "Size":
        return self + other

    def __sub__(self, other: "Size | int") -> "Size":
        o = Size.of(other) if isinstance(other, int) else other
        return Size._make(self.terms + tuple((m, -c) for m, c in o.terms))

    def __mul__(self, other: "Size | int") -> "Size":
        o = Size.of(other) if isinstance(other, int) else other
        return Size._make(
            (tuple(sorted(m1 + m2)), c1 * c2) for m1, c1 in self.terms for m2, c2 in o.terms
        )

    def __rmul__(self, other: int) -> "Size":
        return self * other

    def divide(self, other: "Size") -> "Size | None":
        """`self / other` where it divides exactly as polynomials (by a number, or by one
        term), else None."""
        if len(other.terms) != 1:
            return None
        ((dm, dc),) = other.terms
        out: list[tuple[_Monomial, int]] = []
        for m, c in self.terms:
            rest = list(m)
            for name in dm:
                if name not in rest:
                    return None
                rest.remove(name)
            if c % dc:
                return None
            out.append((tuple(rest), c // dc))
        return Size._make(out)

    def differs(self, other: "Size", rigid: str | None = None) -> bool:
        """Whether the two sizes differ for every assignment of sizes of at least 1 to the
        names: their difference is a nonzero number, or all its terms have one sign.

        Names are kept with the scope whose hint wrote them (`n@module.f`, see `qualify`).
        Within the function `rigid`, its own names are rigid, like type variables: the function
        must be right for every size they may take, so `n` and `m` of its own hints differ."""
        d = (self - other).terms
        if not d:
            return False
        if all(c > 0 for _, c in d) or all(c < 0 for _, c in d):
            return True
        return rigid is not None and all(scope(n) == rigid for m, _ in d for n in m)

    def substitute(self, sizes: Mapping[str, "Size"]) -> "Size | None":
        """This size with each name replaced by its size in `sizes`; None where a name has
        none."""
        if not self.names:
            return self
        if not self.names <= sizes.keys():
            return None
        total = Size.of(0)
        for m, c in self.terms:
            product = Size.of(c)
            for name in m:
                product = product * sizes[name]
            total = total + product
        return total

    def __str__(self) -> str:
        """The size as a hint writes it (`2*h`), names without their scopes."""
        return self._text(lambda n: n.split("@", 1)[0])

    def encode(self) -> str:
        """The size with its names' scopes, in one word without spaces (`decode` reads it)."""
        return self._text(lambda n: n) if self.terms else "0"

    def _text(self, show: Callable[[str], str]) -> str:
        if not self.terms:
            return "0"
        text = ""
        for m, c in self.terms:
            word = "*".join(show(n) for n in m)
            if not word:
                word = str(abs(c))
            elif abs(c) != 1:
                word = f"{abs(c)}*{word}"
            if not text:
                text = word if c > 0 else f"-{word}"
            else:
                text += f"+{word}" if c > 0 else f"-{word}"
        return text


def qualify(size: Size, where: str) -> Size:
    """`size` with each name kept as written in the scope `where` (a function's or a class's
    full name; "" at a module's top level): `n` becomes `n@where`. Names already qualified
    stay as they are."""
    if not size.names:
        return size
    rename = {n: Size.named(n if "@" in n else f"{n}@{where}") for n in size.names}
    result = size.substitute(rename)
    assert result is not None
    return result


def scope(name: str) -> str | None:
    """The scope of a qualified name (`qualify`), None for a bare one."""
    return name.split("@", 1)[1] if "@" in name else None


@lru_cache(maxsize=4096)
def decode(text: str) -> Size | None:
    """A size written by `Size.encode`."""
    terms: list[tuple[_Monomial, int]] = []
    for part in re.findall(r"[+-]?[^+-]+", text):
        sign = -1 if part.startswith("-") else 1
        factors = part.lstrip("+-").split("*")
        coefficient = sign
        names: list[str] = []
        for f in factors:
            if f.isdigit():
                coefficient *= int(f)
            else:
                names.append(f)
        terms.append((tuple(sorted(names)), coefficient))
    return Size._make(terms)


@lru_cache(maxsize=4096)
def parse_size(text: str) -> Size | None:
    """A dimension written as a Python expression of names and integers with `+ - *` (`2*h`,
    `n+m`, `784`), as a size; None for anything else (jaxtyping evaluates those at run time)."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return None
    return _evaluate(tree.body)


def _evaluate(node: ast.expr) -> Size | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return Size.of(node.value)
    if isinstance(node, ast.Name):
        return Size.named(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _evaluate(node.operand)
        if inner is None:
            return None
        return inner * -1 if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left), _evaluate(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.FloorDiv):
            return left.divide(right)
    return None


def product(sizes: Iterable["Size | None"]) -> Size | None:
    """The product of `sizes` (an array's number of elements), None if one is unknown."""
    total = Size.of(1)
    for s in sizes:
        if s is None:
            return None
        total = total * s
    return total


__all__ = ["Size", "decode", "parse_size", "product", "qualify", "scope"]
