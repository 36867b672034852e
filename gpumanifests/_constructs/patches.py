"""JSON patches (RFC 6902) on rendered objects, applied strictly.

``gm.JsonPatch`` holds one operation, applied here, in Python, as RFC 6902 says: ``remove``,
``replace``, ``move`` and ``copy`` of a path that does not exist, and an ``add`` below one, are
errors naming the patch (cdk8s' own ``JsonPatch.remove`` of a missing path silently does
nothing). A ``gm.k8s`` object's own ``add_json_patch`` takes it too, as the cdk8s ``JsonPatch``
it stands for, which cdk8s applies (``_l1.py``).
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from gpumanifests._errors import InvalidInputError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["JsonPatch", "apply_patches"]


class JsonPatch:
    """One RFC 6902 operation for ``add_json_patch`` (the escape hatch); paths are JSON pointers (``/spec/x``).

    Made by the factories (``gm.JsonPatch.add("/spec/activeDeadlineSeconds", 600)``), or from
    an operation as RFC 6902 writes it (``gm.JsonPatch({"op": "remove", "path": "/spec/x"})``).
    """

    def __init__(self, operation: Mapping[str, Any]) -> None:
        self.operation = _checked(operation)
        """The operation as RFC 6902 writes it: ``op``, ``path``, and ``value`` or ``from``."""

    def __repr__(self) -> str:
        return f"JsonPatch({self.operation!r})"

    @staticmethod
    def add(path: str, value: Any) -> JsonPatch:
        """Add ``value`` at ``path`` (its parent must exist; ``/-`` appends to a list)."""
        return JsonPatch({"op": "add", "path": path, "value": value})

    @staticmethod
    def remove(path: str) -> JsonPatch:
        """Remove the value at ``path``, which must exist."""
        return JsonPatch({"op": "remove", "path": path})

    @staticmethod
    def replace(path: str, value: Any) -> JsonPatch:
        """Replace the value at ``path``, which must exist, with ``value``."""
        return JsonPatch({"op": "replace", "path": path, "value": value})

    @staticmethod
    def copy(from_: str, path: str) -> JsonPatch:
        """Copy the value at ``from_`` to ``path``."""
        return JsonPatch({"op": "copy", "from": from_, "path": path})

    @staticmethod
    def move(from_: str, path: str) -> JsonPatch:
        """Move the value at ``from_`` to ``path``."""
        return JsonPatch({"op": "move", "from": from_, "path": path})

    @staticmethod
    def test(path: str, value: Any) -> JsonPatch:
        """Stop with an error unless the value at ``path`` equals ``value``."""
        return JsonPatch({"op": "test", "path": path, "value": value})


_MEMBERS = {
    "add": ("path", "value"),
    "remove": ("path",),
    "replace": ("path", "value"),
    "move": ("from", "path"),
    "copy": ("from", "path"),
    "test": ("path", "value"),
}
"""The members of each operation besides ``op`` (RFC 6902 section 4)."""


def _checked(operation: Mapping[str, Any]) -> dict[str, Any]:
    """The operation, its value copied, when it is one RFC 6902 describes; else an error naming what is wrong."""
    op = operation.get("op")
    if not isinstance(op, str) or op not in _MEMBERS:
        raise InvalidInputError(f"JsonPatch: op={op!r}: expected one of {', '.join(map(repr, _MEMBERS))}")
    members = {"op", *_MEMBERS[op]}
    missing, unknown = sorted(members - set(operation)), sorted(map(str, set(operation) - members))
    if missing or unknown:
        wrong = "; ".join(
            [*(f"{name!r} is missing" for name in missing), *(f"{name!r} is unknown" for name in unknown)]
        )
        raise InvalidInputError(f"JsonPatch {op!r}: {wrong}; the {op!r} operation has {', '.join(sorted(members))}")
    for member in ("path", "from"):
        if member in operation:
            _check_pointer(op, member, operation[member])
    if "value" in operation:
        problem = _json_problem(operation["value"], "value")
        if problem:
            raise InvalidInputError(f"JsonPatch {op!r} {operation['path']}: {problem}")
    return {name: copy.deepcopy(value) for name, value in operation.items()}


def _check_pointer(op: str, member: str, pointer: object) -> None:
    if not isinstance(pointer, str):
        raise InvalidInputError(f"JsonPatch {op!r}: {member}={pointer!r}: expected a JSON pointer string ('/spec/x')")
    try:
        _tokens(pointer)
    except _PatchError as error:
        raise InvalidInputError(f"JsonPatch {op!r}: {member}: {error}") from None


def _json_problem(value: object, where: str) -> str | None:
    """Why ``value`` is not JSON (a mapping with string keys, a list, a string, number, bool or None), or None."""
    if value is None or isinstance(value, str | bool | int | float):
        return None
    if isinstance(value, list | tuple):
        return next((p for i, item in enumerate(value) if (p := _json_problem(item, f"{where}[{i}]"))), None)
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{where} has the key {key!r}: JSON keys are strings"
            problem = _json_problem(item, f"{where}.{key}")
            if problem:
                return problem
        return None
    return f"{where}={value!r} is a {type(value).__name__}: expected JSON (a dict, list, string, number, bool or None)"


class _PatchError(Exception):
    """An operation that cannot be applied to the document."""


def apply_patches(document: dict[str, Any], patches: list[JsonPatch]) -> tuple[Any, str | None]:
    """``document`` with ``patches`` applied in order, and None; or the unpatched document and what failed."""
    result: Any = copy.deepcopy(document)
    for number, patch in enumerate(patches, start=1):
        operation = patch.operation
        try:
            result = _apply(result, operation)
        except _PatchError as error:
            return document, f"JSON patch {number} ({operation['op']} {operation['path']}) cannot be applied: {error}"
    return result, None


def _apply(document: Any, operation: dict[str, Any]) -> Any:
    op, path = operation["op"], operation["path"]
    if op == "test":
        if _get(document, path) != operation["value"]:
            raise _PatchError(f"the value at {path} is not {operation['value']!r}")
        return document
    if op in {"remove", "replace", "move"}:
        _get(document, operation.get("from", path))
    if op == "copy":
        return _add(document, path, copy.deepcopy(_get(document, operation["from"])))
    if op == "move":
        source = operation["from"]
        if path.startswith(f"{source}/"):
            raise _PatchError(f"cannot move {source} into itself ({path})")
        value = _get(document, source)
        return _add(_remove(document, source), path, value)
    if op == "remove":
        return _remove(document, path)
    if op == "replace":
        return _add(_remove(document, path), path, copy.deepcopy(operation["value"]), replacing=True)
    return _add(document, path, copy.deepcopy(operation["value"]))


def _tokens(pointer: str) -> list[str]:
    """The reference tokens of a JSON pointer (RFC 6901): ``~1`` is ``/``, ``~0`` is ``~``."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise _PatchError(f"{pointer!r} is not a JSON pointer: it must be empty or start with '/'")
    if _BAD_ESCAPE.search(pointer):
        raise _PatchError(f"{pointer!r} is not a JSON pointer: '~' is written '~0' and '/' '~1' in a token")
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/")]


_BAD_ESCAPE = re.compile(r"~(?![01])")


def _index(token: str, size: int, *, appending: bool = False) -> int | None:
    """A list index token: digits without a leading zero, below ``size`` (or equal, or ``-``, when adding)."""
    if appending and token == "-":
        return size
    if not token.isdigit() or (token != "0" and token.startswith("0")):
        return None
    index = int(token)
    return index if index < size or (appending and index == size) else None


def _get(document: Any, pointer: str) -> Any:
    node = document
    for token in _tokens(pointer):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and (index := _index(token, len(node))) is not None:
            node = node[index]
        else:
            raise _PatchError(f"there is no value at {pointer}")
    return node


def _parent(document: Any, pointer: str) -> tuple[Any, str]:
    tokens = _tokens(pointer)
    parent_pointer = "".join(f"/{token.replace('~', '~0').replace('/', '~1')}" for token in tokens[:-1])
    return _get(document, parent_pointer), tokens[-1]


def _remove(document: Any, pointer: str) -> Any:
    if pointer == "":
        return None
    parent, token = _parent(document, pointer)
    _get(document, pointer)
    if isinstance(parent, dict):
        del parent[token]
    else:
        del parent[int(token)]
    return document


def _add(document: Any, pointer: str, value: Any, *, replacing: bool = False) -> Any:
    if pointer == "":
        return value
    parent, token = _parent(document, pointer)
    if isinstance(parent, dict):
        parent[token] = value
    elif isinstance(parent, list) and (index := _index(token, len(parent), appending=True)) is not None:
        parent.insert(index, value)
    else:
        kind = "a list" if isinstance(parent, list) else "not an object or a list"
        raise _PatchError(f"cannot {'replace' if replacing else 'add'} {pointer}: its parent is {kind}")
    return document
