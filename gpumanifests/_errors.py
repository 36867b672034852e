"""The errors gpumanifests raises, all under :class:`GpuManifestsError`."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable, Sequence

    from pydantic import ValidationError

__all__ = [
    "ExitCode",
    "GpuManifestsError",
    "InvalidInputError",
    "OutputError",
    "Problem",
    "Severity",
    "SynthError",
    "UsageError",
    "did_you_mean",
    "listed",
    "shortened",
    "unknown_argument",
]

MESSAGE_MAX = 2000
"""The longest message one problem or one argument's error prints; the rest is cut, and counted."""
LISTED_MAX = 10
"""The most items a message names from a list; the others are counted."""
PROBLEMS_MAX = 100
"""The most problems one :class:`SynthError` prints; the others are counted."""


def shortened(text: str, limit: int = MESSAGE_MAX) -> str:
    """``text``, or its first ``limit`` characters and how many were cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters)"


def listed(items: Sequence[str], limit: int = LISTED_MAX) -> str:
    """``a, b, c``: at most ``limit`` of ``items``, then how many more there are."""
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit} more"


def did_you_mean(name: str, choices: Iterable[str], *, fold: Callable[[str], str] = str.lower) -> str:
    """`` (did you mean image?)`` for a misspelt ``name``: the closest of ``choices`` once both are
    folded (lowercased by default); empty when none is close."""
    folded = {fold(choice): choice for choice in choices}
    close = difflib.get_close_matches(fold(name), list(folded), n=1, cutoff=0.75)
    return f" (did you mean {folded[close[0]]}?)" if close else ""


def unknown_argument(name: str, accepted: Sequence[str]) -> str:
    """What an unknown keyword ``name`` is told: the closest accepted one, and all of them."""
    return f"unknown argument{did_you_mean(name, accepted)}; the arguments are: {', '.join(accepted)}"


class ExitCode(IntEnum):
    """Exit codes of the command line."""

    OK = 0
    FAILED = 1
    """Invalid input, a failed check, drift, or placement violations."""
    USAGE = 2
    """The command was called wrongly: unknown flag, unknown cluster, wrong combination of arguments."""


class GpuManifestsError(Exception):
    """Base of every error gpumanifests raises on purpose."""


class UsageError(GpuManifestsError):
    """A command was called with arguments that cannot work together (exit code 2)."""


class InvalidInputError(GpuManifestsError, ValueError):
    """A constructor or method got a value it cannot accept; raised at once, before any output."""

    @classmethod
    def from_validation(
        cls, owner: str, error: ValidationError, *, arguments: Collection[str] = ()
    ) -> InvalidInputError:
        """Turn pydantic's report into one line per bad argument, naming ``owner`` (the object).

        ``arguments`` are the accepted argument names, listed when an unknown one is passed.
        """
        lines: list[str] = []
        unknown_first = sorted(error.errors(include_url=False), key=lambda item: item["type"] != "extra_forbidden")
        for item in unknown_first:  # a misspelt required argument is also missing: its own line comes first
            field = ".".join(str(part) for part in item["loc"] if part not in ("", "[key]"))  # a key's own error
            nested = item.get("ctx", {}).get("error")
            if isinstance(nested, InvalidInputError):
                # a nested model already explained itself: re-anchor its lines at this field
                prefix = f"{field}." if field else ""
                lines.extend(f"{owner}: {prefix}{line.partition(': ')[2]}" for line in str(nested).splitlines())
                continue
            message = _PLAIN_MESSAGES.get(item["type"]) or str(item["msg"]).removeprefix("Value error, ")
            if item["type"] == "extra_forbidden" and arguments:
                message = unknown_argument(field, sorted(arguments))
            lines.append(_anchored(owner, field + _shown(item), message))
        return cls("\n".join(lines))


_PLAIN_MESSAGES = {
    "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "int_parsing": "expected a whole number",
    "bool_type": "expected True or False",
    "string_type": "expected a string",
    "tuple_type": "expected a list",
    "list_type": "expected a list",
    "dict_type": "expected a dict",
    "extra_forbidden": "unknown argument",
    "missing": "is required",
}
"""Pydantic error types whose own wording names Python internals, in the user's terms."""


def _anchored(owner: str, field: str, message: str) -> str:
    """``owner: field: message``; a rule over several fields (empty ``field``) names them in its message."""
    return f"{owner}: {field}: {shortened(message)}" if field else f"{owner}: {shortened(message)}"


def _shown(item: Any) -> str:
    """``=value`` for a scalar input; a collection's validator names its bad entries itself."""
    value = item.get("input")
    scalar = isinstance(value, str | int | float | bool) or value is None
    return f"={shortened(repr(value), 200)}" if scalar and item["type"] != "missing" else ""


class Severity(StrEnum):
    """Errors stop a synth; warnings are printed and the synth goes on (unless strict)."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    """One finding of the synth-time checks, tied to the construct it is about."""

    path: str
    message: str
    fix: str = ""
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        fix = f"; fix: {shortened(self.fix)}" if self.fix else ""
        return f"[{self.path}] {self.severity}: {shortened(self.message)}{fix}"


class SynthError(GpuManifestsError):
    """The app cannot be synthesized; lists every problem found, nothing was written."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(sorted(problems))
        count = len(self.problems)
        header = f"synth failed with {count} problem{'s' if count != 1 else ''}; nothing was written:"
        lines = [header, *(f"  {problem}" for problem in self.problems[:PROBLEMS_MAX])]
        if count > PROBLEMS_MAX:
            lines.append(f"  ... and {count - PROBLEMS_MAX} more problems")
        super().__init__("\n".join(lines))

    @classmethod
    def raise_if_any(cls, problems: Iterable[Problem]) -> None:
        """Raise for the errors among ``problems``; warnings alone do not raise."""
        errors = [problem for problem in problems if problem.severity is Severity.ERROR]
        if errors:
            raise cls(errors)


class OutputError(GpuManifestsError):
    """The output directory cannot be written safely (a file we did not generate, a lock, a file in the way)."""
