"""Kubernetes' CEL environment, offline, on the ``common-expression-language`` library.

The Kubernetes API server evaluates CEL in CRD validation rules (``x-kubernetes-validations``)
and in DRA device selectors, with the standard CEL macros and functions plus Kubernetes'
extension libraries (k8s.io/apiserver/pkg/cel/library). This module compiles expressions with
the same cel-go grammar (so syntax errors read as the API server's) and evaluates them with
Python implementations of the Kubernetes functions the project's rules use:

- regex: ``<string>.find(<regex>)``, ``<string>.findAll(<regex>[, <limit>])``;
- lists: ``<list>.isSorted()``, ``sum()``, ``min()``, ``max()``, ``indexOf(<value>)``,
  ``lastIndexOf(<value>)``;
- quantity: ``quantity(<string>)``, ``isQuantity(<string>)`` and, on a quantity, ``compareTo``,
  ``isLessThan``, ``isGreaterThan``, ``add``, ``sub``, ``asInteger``, ``isInteger``, ``sign``;
- semver (``library.SemverLib`` version 1, as DRA selectors use it for version attributes):
  ``semver(<string>[, <normalize>])``, ``isSemver(<string>[, <normalize>])`` and, on a version,
  ``compareTo``, ``isLessThan``, ``isGreaterThan``, ``major``, ``minor``, ``patch``.

Quantities and versions travel through CEL as canonical tagged maps, so ``==`` compares their
values (a version's build metadata is dropped, as semver precedence ignores it). ``compareTo``,
``isLessThan`` and ``isGreaterThan`` dispatch on the receiver. Known
differences from cel-go, which the evaluation reports instead of hiding: string ``size()``
counts UTF-8 bytes, and optional syntax (``self.?field``), two-variable comprehensions and
``cel.bind`` do not parse here.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import logging
import re
import sys
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gpumanifests._kube.quantity import parse_quantity

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from types import ModuleType

    import cel

__all__ = ["CelError", "compile_expression", "evaluate", "quantity_value", "semver_value"]

logging.getLogger("cel").addHandler(logging.NullHandler())  # failures are reported as CelError, not logged

_POSITION = re.compile(r"<input>:(\d+):(\d+): (.*?)(?:\n|$)")
_FUNCTION_FAILURE = re.compile(r"Function '(\w+)' error: Python function call failed: \w+: (.*?)\. Check function")
_QUANTITY_TAG = "@k8s.quantity"
_SEMVER_TAG = "@k8s.semver"
_INT64 = 2**63


def _load_core() -> ModuleType:
    """The library's compiled core (``cel.cel``, whose names the package re-exports), loaded on its own.

    ``import cel`` also imports the package's interactive shell (typer, prompt_toolkit, rich),
    about a quarter of a second at every start of the command line; the core alone takes 10 ms.
    """
    if "cel.cel" in sys.modules:
        return sys.modules["cel.cel"]
    package = importlib.util.find_spec("cel")
    assert package is not None  # a declared dependency
    assert package.submodule_search_locations is not None
    [location] = package.submodule_search_locations
    [path] = [str(found) for found in Path(location).glob("cel.*") if found.suffix in {".so", ".pyd"}]
    loader = importlib.machinery.ExtensionFileLoader("cel.cel", path)
    spec = importlib.util.spec_from_file_location("cel.cel", path, loader=loader)
    assert spec is not None
    core = importlib.util.module_from_spec(spec)
    loader.exec_module(core)
    sys.modules["cel.cel"] = core
    return core


_cel: Any = _load_core()


class CelError(ValueError):
    """An expression that does not compile, or whose evaluation fails; the message says where and why."""


def compile_expression(expression: str) -> cel.Program:
    """The compiled program; :class:`CelError` naming the line, column and problem for bad syntax."""
    return _compiled(expression)


@cache
def _compiled(expression: str) -> cel.Program:
    try:
        program: cel.Program = _cel.compile(expression)
        return program
    except ValueError as error:
        found = _POSITION.search(str(error))
        where = f"line {found[1]}, column {found[2]}: {found[3]}" if found else str(error)
        raise CelError(f"CEL syntax error at {where}") from None


def evaluate(expression: str, variables: Mapping[str, Any]) -> Any:
    """The value of ``expression`` with ``variables`` bound; :class:`CelError` when evaluation fails.

    Values are plain JSON-like Python data; a quantity is what :func:`quantity_value` makes.
    """
    program = compile_expression(expression)
    context = _cel.Context()
    for name, function in _FUNCTIONS.items():
        context.add_function(name, function)
    context.update(dict(variables))
    try:
        return program.execute(context)
    except (RuntimeError, KeyError, TypeError, ValueError, ZeroDivisionError, OverflowError) as error:
        raise CelError(_evaluation_failure(error)) from None


def _evaluation_failure(error: Exception) -> str:
    """The library's report in a line: the missing key, the function that failed and why, or its text."""
    if isinstance(error, KeyError):
        return f"no such key: {error.args[0]!r}"
    text = str(error)
    function = _FUNCTION_FAILURE.search(text)
    if function:
        return f"{function[1]}() failed: {function[2]}"
    return text.split(". Check ", maxsplit=1)[0]


# -- quantities -----------------------------------------------------------------------------------


def quantity_value(amount: Fraction) -> dict[str, str]:
    """A quantity as CEL sees it here: a map whose single canonical entry makes ``==`` compare values."""
    return {_QUANTITY_TAG: f"{amount.numerator}/{amount.denominator}"}


def _amount(value: Any) -> Fraction:
    if isinstance(value, dict) and set(value) == {_QUANTITY_TAG}:
        return Fraction(value[_QUANTITY_TAG])
    raise TypeError(f"expected a quantity, got {type(value).__name__}")


def _quantity(text: str) -> dict[str, str]:
    return quantity_value(parse_quantity(text))


def _is_quantity(text: str) -> bool:
    try:
        parse_quantity(text)
    except ValueError:
        return False
    return True


def _compare(left: Any, right: Any) -> int:
    a, b = _amount(left), _amount(right)
    return (a > b) - (a < b)


def _operand(value: Any) -> Fraction:
    return Fraction(value) if isinstance(value, int) and not isinstance(value, bool) else _amount(value)


def _as_integer(value: Any) -> int:
    amount = _amount(value)
    if amount.denominator != 1 or not -_INT64 <= amount < _INT64:
        raise ValueError(f"quantity {amount} is not an int64")
    return int(amount)


def _sign(value: Any) -> int:
    amount = _amount(value)
    return (amount > 0) - (amount < 0)


# -- lists and regexes (shared names dispatch on the receiver) --------------------------------------


def _is_sorted(items: list[Any]) -> bool:
    return all(items[index] <= items[index + 1] for index in range(len(items) - 1))


def _index_of(receiver: Any, value: Any) -> int:
    if isinstance(receiver, str):
        return receiver.find(value)
    return next((index for index, item in enumerate(receiver) if item == value), -1)


def _last_index_of(receiver: Any, value: Any) -> int:
    if isinstance(receiver, str):
        return receiver.rfind(value)
    return next((index for index in range(len(receiver) - 1, -1, -1) if receiver[index] == value), -1)


def _find(text: str, pattern: str) -> str:
    found = re.search(pattern, text)
    return found[0] if found else ""


def _find_all(text: str, pattern: str, limit: int = -1) -> list[str]:
    matches = [found[0] for found in re.finditer(pattern, text)]
    return matches if limit < 0 else matches[:limit]


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "quantity": _quantity,
    "isQuantity": _is_quantity,
    "compareTo": _compare,
    "isLessThan": lambda left, right: _compare(left, right) < 0,
    "isGreaterThan": lambda left, right: _compare(left, right) > 0,
    "add": lambda left, right: quantity_value(_amount(left) + _operand(right)),
    "sub": lambda left, right: quantity_value(_amount(left) - _operand(right)),
    "asInteger": _as_integer,
    "isInteger": lambda value: _amount(value).denominator == 1,
    "sign": _sign,
    "isSorted": _is_sorted,
    "sum": sum,
    "min": min,
    "max": max,
    "indexOf": _index_of,
    "lastIndexOf": _last_index_of,
    "find": _find,
    "findAll": _find_all,
}
"""The Kubernetes extension functions, by the name CEL calls them (``x.f(a)`` calls ``f(x, a)``)."""


# -- semantic versions (k8s.io/apiserver/pkg/cel/library/semverlib.go, blang/semver) ---------------

_NUMBER = r"0|[1-9][0-9]*"
_PRERELEASE_PART = r"0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*"
_SEMVER = re.compile(
    rf"(?P<major>{_NUMBER})\.(?P<minor>{_NUMBER})\.(?P<patch>{_NUMBER})"
    rf"(?:-(?P<pre>(?:{_PRERELEASE_PART})(?:\.(?:{_PRERELEASE_PART}))*))?"
    r"(?:\+(?P<build>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)
_UINT64 = 2**64


def semver_value(text: str) -> dict[str, str]:
    """A semantic version as CEL sees it here, for a DRA ``version`` attribute or ``semver(text)``.

    Strict semver 2.0.0, as blang/semver parses it: ``MAJOR.MINOR.PATCH`` without leading zeros,
    optional ``-prerelease`` and ``+build``. Raises ``ValueError`` for anything else.
    """
    return {_SEMVER_TAG: _version_text(_parse_semver(text))}


def _parse_semver(text: str) -> tuple[int, int, int, tuple[str, ...]]:
    found = _SEMVER.fullmatch(text)
    if not found:
        raise ValueError(f"invalid semantic version {text!r}")
    numbers = int(found["major"]), int(found["minor"]), int(found["patch"])
    if any(number >= _UINT64 for number in numbers):
        raise ValueError(f"semantic version {text!r} has a number beyond uint64")
    prerelease = tuple(found["pre"].split(".")) if found["pre"] else ()
    return (*numbers, prerelease)


def _version_text(version: tuple[int, int, int, tuple[str, ...]]) -> str:
    major, minor, patch, prerelease = version
    text = f"{major}.{minor}.{patch}"
    return f"{text}-{'.'.join(prerelease)}" if prerelease else text


def _normalized(text: str) -> str:
    """semverlib's ``normalizeAndParse``: no ``v`` prefix, no leading zeros, missing parts are 0."""
    parts = [_without_leading_zeros(part) for part in text.removeprefix("v").split(".", 2)]
    if len(parts) < 3:
        if any(mark in parts[-1] for mark in "+-"):
            raise ValueError("short version cannot contain PreRelease/Build meta data")
        parts += ["0"] * (3 - len(parts))
    return ".".join(parts)


def _without_leading_zeros(part: str) -> str:
    if len(part) <= 1:
        return part
    stripped = part.lstrip("0")
    return stripped if stripped[:1].isdigit() else "0" + stripped


def _semver(text: str, normalize: bool = False) -> dict[str, str]:
    return semver_value(_normalized(text) if normalize else text)


def _is_semver(text: str, normalize: bool = False) -> bool:
    try:
        _semver(text, normalize)
    except ValueError:
        return False
    return True


def _version(value: Any) -> tuple[int, int, int, tuple[str, ...]]:
    if isinstance(value, dict) and set(value) == {_SEMVER_TAG}:
        return _parse_semver(value[_SEMVER_TAG])
    raise TypeError(f"expected a semver, got {type(value).__name__}")


def _prerelease_key(part: str) -> tuple[int, int, str]:
    """Numeric identifiers sort numerically and before alphanumeric ones, which sort in ASCII order."""
    return (0, int(part), "") if part.isdigit() else (1, 0, part)


def _compare_versions(left: Any, right: Any) -> int:
    a, b = _version(left), _version(right)
    if a[:3] != b[:3]:
        return -1 if a[:3] < b[:3] else 1
    if not a[3] or not b[3]:
        return (not a[3]) - (not b[3])  # a version without prerelease ranks above one with
    keys_a, keys_b = [_prerelease_key(part) for part in a[3]], [_prerelease_key(part) for part in b[3]]
    return (keys_a > keys_b) - (keys_a < keys_b)


def _ordering(left: Any, right: Any) -> int:
    """``compareTo`` of two versions or of two quantities: the receiver decides which."""
    if isinstance(left, dict) and set(left) == {_SEMVER_TAG}:
        return _compare_versions(left, right)
    return _compare(left, right)


_FUNCTIONS.update(
    {
        "semver": _semver,
        "isSemver": _is_semver,
        "compareTo": _ordering,
        "isLessThan": lambda left, right: _ordering(left, right) < 0,
        "isGreaterThan": lambda left, right: _ordering(left, right) > 0,
        "major": lambda value: _version(value)[0],
        "minor": lambda value: _version(value)[1],
        "patch": lambda value: _version(value)[2],
    }
)
