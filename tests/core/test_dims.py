"""The one parser of jaxtyping shape strings (`typedprop._core.dims`), shared by the runtime checks
and the mypy plugin: it accepts and refuses what jaxtyping does, and reads each word as jaxtyping
does."""

import numpy as np
import pytest
from jaxtyping import Float

from typedprop._core.dims import Dim, parse_dims, try_parse_dims

# Shape strings jaxtyping accepts and refuses, with the oddities of its grammar.
WORDS = [
    "",
    " n",
    "m n",
    "3 4",
    "rows=3 cols=n",
    "#n",
    "#3",
    "_",
    "_n",
    "?n",
    "*batch n",
    "*#batch",
    "*_",
    "*?b",
    "...",
    "... n",
    "n+1",
    "2*n",
    "min(a,b)",
    "*",
    "+3",
    "a=b=3",
    # refused by jaxtyping
    "_4",
    "?4",
    "*4",
    "#_",
    "##n",
    "**a",
    "__n",
    "??n",
    "n#",
    "a,b",
    "....",
    "*a *b",
    "... *b",
    "_n+1",
    "*a *4",
    "... *_4",
    "*n+1",
    "?n+1",
]


@pytest.mark.parametrize("text", WORDS)
def test_accepts_and_refuses_what_jaxtyping_does(text: str) -> None:
    try:
        Float[np.ndarray, text]
    except ValueError as error:
        with pytest.raises(ValueError) as ours:
            parse_dims(text)
        assert str(ours.value) == str(error)
        assert try_parse_dims(text) is None
    else:
        assert try_parse_dims(text) is not None


def _read(text: str) -> list[tuple[str, int | str, bool, bool, bool]]:
    return [
        (d.kind, d.value, d.variadic, d.broadcastable, d.treepath) for d in parse_dims(text).dims
    ]


def test_each_word_read_as_jaxtyping_reads_it() -> None:
    assert _read("m 3 rows=4") == [
        ("named", "m", False, False, False),
        ("fixed", 3, False, False, False),
        ("fixed", 4, False, False, False),
    ]
    assert _read("#n #3 ?k") == [
        ("named", "n", False, True, False),
        ("fixed", 3, False, True, False),
        ("named", "k", False, False, True),
    ]
    assert _read("_ _n ...") == [
        ("anonymous", "", False, False, False),
        ("anonymous", "", False, False, False),
        ("anonymous", "", True, False, False),
    ]
    assert _read("*_") == [("anonymous", "", True, False, False)]
    assert try_parse_dims("_ _n ... *b") is None
    assert _read("n+1 *#b") == [
        ("symbolic", "n+1", False, False, False),
        ("named", "b", True, True, False),
    ]


def test_static_reading() -> None:
    """What the plugin binds: plain names and plain fixed sizes; nothing else."""
    dims = parse_dims("m 3 #n #4 _ _k ?t n+1 rows=5")
    assert [d.static for d in dims.dims] == ["m", 3, None, None, None, None, None, None, 5]
    assert Dim("*b", "named", "b", variadic=True).static is None


def test_variadic_parts() -> None:
    d = parse_dims("a *batch b c")
    assert d.variadic_index == 1 and d.variadic is not None and d.variadic.name == "batch"
    assert [x.text for x in d.head] == ["a"] and [x.text for x in d.tail] == ["b", "c"]
    assert d.rank == 3
    plain = parse_dims("a b")
    assert plain.variadic is None and plain.tail == () and plain.rank == 2


def test_axes_line_dimensions_up_with_an_arrays_axes() -> None:
    plain = parse_dims("m n")
    assert plain.axes(2) == plain.dims
    assert plain.axes(1) is None and plain.axes(3) is None
    d = parse_dims("a *batch b")
    assert d.axes(1) is None
    assert [x if x is None else x.text for x in d.axes(2) or ()] == ["a", "b"]
    assert [x if x is None else x.text for x in d.axes(4) or ()] == ["a", None, None, "b"]
    assert parse_dims("...").axes(0) == ()
    assert parse_dims("").axes(0) == () and parse_dims("").axes(1) is None


def test_size_and_name() -> None:
    n, three, sym = parse_dims("#n 3 n+1").dims
    assert (n.name, n.size) == ("n", None)
    assert (three.name, three.size) == (None, 3)
    assert (sym.name, sym.size) == (None, None)
