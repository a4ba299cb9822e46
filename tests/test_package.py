"""The package `typedprop` itself (`__init__.py`): its submodules `optim`, `data` and `testing`
are attributes without their own import, imported on first use, so that `import typedprop`
costs none of them (nor matplotlib, scikit-learn or tqdm)."""

import json
import subprocess
import sys
from typing import Any

import pytest

import typedprop as tp

# Run in a fresh interpreter, where each import is the first: what it prints, as JSON.
_FRESH = """
import json, sys
import typedprop as tp
watched = ["typedprop.optim", "typedprop.data", "typedprop.testing", "typedprop.mnist",
           "matplotlib", "sklearn", "tqdm"]
facts = {"after import": [m for m in watched if m in sys.modules], "dir": dir(tp)}
facts["modules"] = [tp.optim.Adam.__module__, tp.data.read_idx.__module__,
                    tp.testing.check_grads.__module__]
facts["same"] = tp.optim is sys.modules["typedprop.optim"]
try:
    tp.mnist
except AttributeError as e:
    facts["mnist"] = str(e)
from typedprop import mnist
facts["mnist after its import"] = tp.mnist is mnist
print(json.dumps(facts))
"""


@pytest.fixture(scope="module")
def fresh() -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", _FRESH], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    facts: dict[str, Any] = json.loads(done.stdout)
    return facts


def test_import_typedprop_imports_no_submodule_and_no_heavy_library(
    fresh: dict[str, Any],
) -> None:
    assert fresh["after import"] == []


def test_submodules_are_imported_on_first_use(fresh: dict[str, Any]) -> None:
    assert fresh["modules"] == ["typedprop.optim", "typedprop.data", "typedprop.testing"]
    assert fresh["same"]
    from typedprop import data, optim, testing

    assert (tp.optim, tp.data, tp.testing) == (optim, data, testing)


def test_dir_lists_the_submodules(fresh: dict[str, Any]) -> None:
    assert {"optim", "data", "testing", "save", "load"} <= set(fresh["dir"])
    assert fresh["dir"] == sorted(fresh["dir"])
    assert {"optim", "data", "testing"} <= set(dir(tp))


def test_other_names_are_missing_as_usual() -> None:
    with pytest.raises(AttributeError, match="^module 'typedprop' has no attribute 'optimm'$"):
        tp.optimm  # type: ignore[attr-defined]  # the point of the test  # noqa: B018
    assert not hasattr(tp, "nothing")


def test_the_program_is_imported_on_its_own(fresh: dict[str, Any]) -> None:
    assert fresh["mnist"] == (
        "module 'typedprop' has no attribute 'mnist' (the program is imported on its own: "
        "from typedprop import mnist)"
    )
    assert fresh["mnist after its import"]
