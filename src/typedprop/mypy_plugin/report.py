"""The error codes the plugin reports under, and its own problems, said once and never swallowed
in silence: that it cannot run on this mypy (`UnsupportedPlugin`), and a hook that failed (a
bug).

Each is an error with the code `typedprop-plugin`, or a note where the user asks for that
(`problems_as_notes`); each is reported once per mypy run, where mypy shows it.

Internal: used by the plugin's package and hooks. It imports only mypy's plugin API, so that it
loads on any mypy.
"""

import configparser
import os
import tomllib
from collections.abc import Callable
from typing import Any, TypeVar

from mypy.errorcodes import ErrorCode
from mypy.nodes import Context
from mypy.options import Options
from mypy.plugin import (
    AttributeContext,
    CheckerPluginInterface,
    FunctionContext,
    MethodContext,
    Plugin,
    ReportConfigContext,
)
from mypy.types import Type

from . import internals

DIM_MISMATCH = ErrorCode(
    "dim-mismatch",
    "Check that the jaxtyping dimensions of a call agree (typedprop.mypy_plugin)",
    "General",
)
RANK_MISMATCH = ErrorCode(
    "rank-mismatch",
    "Check that an array has as many axes as its hint or its op needs (typedprop.mypy_plugin)",
    "General",
)
SHAPE_HINT = ErrorCode(
    "shape-hint",
    "A jaxtyping shape string that typedprop.mypy_plugin cannot read before run time",
    "General",
)
PLUGIN_PROBLEM = ErrorCode(
    "typedprop-plugin",
    "typedprop.mypy_plugin cannot check dimensions (unsupported mypy, or a failure)",
    "General",
)


def problems_as_notes(options: Options) -> bool:
    """Whether the plugin's own problems (an unsupported mypy, a failing hook) are notes rather
    than errors: `TYPEDPROP_PLUGIN_UNSUPPORTED=note` in the environment, or `unsupported = note`
    in the mypy configuration file's `[typedprop-mypy]` section (`[tool.typedprop-mypy]` in a
    pyproject.toml)."""
    value = os.environ.get("TYPEDPROP_PLUGIN_UNSUPPORTED", "")
    path = options.config_file
    if not value and path is not None and os.path.isfile(path):
        try:
            if path.endswith(".toml"):
                with open(path, "rb") as f:
                    table = tomllib.load(f).get("tool", {}).get("typedprop-mypy", {})
                value = str(table.get("unsupported", ""))
            else:
                parser = configparser.ConfigParser(interpolation=None)
                parser.read(path, encoding="utf-8")
                value = parser.get("typedprop-mypy", "unsupported", fallback="")
        except (OSError, ValueError, configparser.Error):
            value = ""
    return value.strip().lower() == "note"


class Reporter:
    """Reports the plugin's own problems where the user sees them: that it cannot run on this
    mypy, and its first failure (a bug). Each once per mypy run."""

    def __init__(self, as_notes: bool, unsupported: str | None = None) -> None:
        self.as_notes = as_notes
        # (key, message) found where nothing can be reported yet (semantic analysis, or a
        # check whose errors mypy throws away): reported at the next checker hook.
        self.pending: list[tuple[str, str]] = []
        self.reported: set[str] = set()
        if unsupported is not None:
            self.pending.append(("unsupported", unsupported))

    def _report(self, key: str, message: str, api: CheckerPluginInterface, here: Context) -> bool:
        """Report `message` at `here` unless `key` was reported already; False where mypy would
        not show it now."""
        if key in self.reported:
            return True
        if not internals.errors_shown(api):
            return False
        if self.as_notes:
            api.msg.note(message, here, code=PLUGIN_PROBLEM)
        else:
            api.fail(message, here, code=PLUGIN_PROBLEM)
        self.reported.add(key)
        return True

    def flush(self, api: CheckerPluginInterface) -> None:
        """Report the pending problems, at the first line of the file being checked."""
        here = Context(line=1, column=0)
        self.pending = [(k, m) for k, m in self.pending if not self._report(k, m, api, here)]

    def now(self, error: Exception, api: CheckerPluginInterface, here: Context) -> None:
        """A hook failed with `error` at `here`: report it (the first failure only)."""
        message = _failure_message(error, "here")
        if not self._report("failure", message, api, here):
            self.later(error, "here")

    def later(self, error: Exception, where: str) -> None:
        """A hook failed with `error` where nothing can be reported: report it at the next
        checker hook (the first failure only)."""
        if "failure" not in self.reported and not any(k == "failure" for k, _ in self.pending):
            self.pending.append(("failure", _failure_message(error, where)))


def _failure_message(error: Exception, where: str) -> str:
    return (
        f"typedprop.mypy_plugin failed {where} ({type(error).__name__}: {error}) and checks no "
        "dimension there: a bug, please report it (TYPEDPROP_PLUGIN_STRICT=1 shows the "
        "traceback)"
    )


_Ctx = TypeVar("_Ctx", FunctionContext, MethodContext, AttributeContext)


def default_answer(ctx: FunctionContext | MethodContext | AttributeContext) -> Type:
    """mypy's own answer for the call or attribute of `ctx`."""
    if isinstance(ctx, AttributeContext):
        return ctx.default_attr_type
    return ctx.default_return_type


def flushing(reporter: Reporter, hook: Callable[[_Ctx], Type] | None) -> Callable[[_Ctx], Type]:
    """`hook` (or mypy's own answer), after reporting the reporter's pending problems."""

    def flushing(ctx: _Ctx) -> Type:
        reporter.flush(ctx.api)
        return default_answer(ctx) if hook is None else hook(ctx)

    return flushing


class UnsupportedPlugin(Plugin):
    """The plugin on a mypy it does not support (see `internals.problem`): it checks nothing,
    and says so once, at the first line of the first file mypy checks a call in."""

    reason = "this mypy is not supported"
    """Why the plugin cannot run: set by `typedprop.mypy_plugin.plugin`."""

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        message = internals.unsupported_message(self.reason)
        self._reporter = Reporter(problems_as_notes(options), message)

    def report_config_data(self, ctx: ReportConfigContext) -> Any:
        """What the plugin's answers depend on besides the code (kept in mypy's cache)."""
        return {"unsupported": self.reason, "notes": self._reporter.as_notes}

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        return flushing(self._reporter, None) if self._reporter.pending else None

    def get_method_hook(self, fullname: str) -> Callable[[MethodContext], Type] | None:
        return flushing(self._reporter, None) if self._reporter.pending else None
