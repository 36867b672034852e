"""JSON patches (RFC 6902) on rendered objects, applied strictly.

``gm.JsonPatch`` is cdk8s' ``JsonPatch`` (so raw L1 objects take it too) whose factories also
record the operation, so that ``add_json_patch`` applies it here, in Python, as RFC 6902 says:
``remove``, ``replace``, ``move`` and ``copy`` of a path that does not exist, and an ``add``
below one, are errors naming the patch, where cdk8s' ``remove`` of a missing path silently
does nothing. A patch made by ``cdk8s.JsonPatch`` directly is applied by cdk8s.
"""

from __future__ import annotations

import copy
from typing import Any

import cdk8s

__all__ = ["JsonPatch", "apply_patches"]

_OPERATION = "_gm_operation"


class JsonPatch(cdk8s.JsonPatch):
    """One RFC 6902 operation for ``add_json_patch`` (the escape hatch); paths are JSON pointers (``/spec/x``)."""

    @staticmethod
    def add(path: str, value: Any) -> cdk8s.JsonPatch:
        """Add ``value`` at ``path`` (its parent must exist; ``/-`` appends to a list)."""
        return _recorded(cdk8s.JsonPatch.add(path, value), op="add", path=path, value=value)

    @staticmethod
    def remove(path: str) -> cdk8s.JsonPatch:
        """Remove the value at ``path``, which must exist."""
        return _recorded(cdk8s.JsonPatch.remove(path), op="remove", path=path)

    @staticmethod
    def replace(path: str, value: Any) -> cdk8s.JsonPatch:
        """Replace the value at ``path``, which must exist, with ``value``."""
        return _recorded(cdk8s.JsonPatch.replace(path, value), op="replace", path=path, value=value)

    @staticmethod
    def copy(from_: str, path: str) -> cdk8s.JsonPatch:
        """Copy the value at ``from_`` to ``path``."""
        return _recorded(cdk8s.JsonPatch.copy(from_, path), op="copy", path=path, source=from_)

    @staticmethod
    def move(from_: str, path: str) -> cdk8s.JsonPatch:
        """Move the value at ``from_`` to ``path``."""
        return _recorded(cdk8s.JsonPatch.move(from_, path), op="move", path=path, source=from_)

    @staticmethod
    def test(path: str, value: Any) -> cdk8s.JsonPatch:
        """Stop with an error unless the value at ``path`` equals ``value``."""
        return _recorded(cdk8s.JsonPatch.test(path, value), op="test", path=path, value=value)


def _recorded(patch: cdk8s.JsonPatch, **operation: Any) -> cdk8s.JsonPatch:
    setattr(patch, _OPERATION, operation)
    return patch


class _PatchError(Exception):
    """An operation that cannot be applied to the document."""


def apply_patches(document: dict[str, Any], patches: list[cdk8s.JsonPatch]) -> tuple[Any, str | None]:
    """``document`` with ``patches`` applied in order, and None; or the unpatched document and what failed."""
    result: Any = copy.deepcopy(document)
    for number, patch in enumerate(patches, start=1):
        operation = getattr(patch, _OPERATION, None)
        try:
            result = _apply(result, operation) if operation else cdk8s.JsonPatch.apply(result, patch)
        except (_PatchError, RuntimeError) as error:
            what = f" ({operation['op']} {operation['path']})" if operation else ""
            return document, f"JSON patch {number}{what} cannot be applied: {str(error).splitlines()[0]}"
    return result, None


def _apply(document: Any, operation: dict[str, Any]) -> Any:
    op, path = operation["op"], operation["path"]
    if op == "test":
        if _get(document, path) != operation["value"]:
            raise _PatchError(f"the value at {path} is not {operation['value']!r}")
        return document
    if op in {"remove", "replace", "move"}:
        _get(document, operation.get("source", path))
    if op == "copy":
        return _add(document, path, copy.deepcopy(_get(document, operation["source"])))
    if op == "move":
        source = operation["source"]
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
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/")]


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
