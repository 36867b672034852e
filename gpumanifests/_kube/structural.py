"""Strict validation of an object against a CRD's structural schema, as the API server applies it.

A CRD version's ``openAPIV3Schema`` is turned into a JSON Schema (Draft 2020-12, compiled once by
jsonschema-rs) that refuses what ``kubectl apply --validate=strict`` refuses:

- an object field the schema does not declare, unless ``x-kubernetes-preserve-unknown-fields``
  keeps unknown fields there (the API server would prune it: a generator bug, so an error);
- a wrong type, a value outside ``enum``, a broken ``pattern``, length, count or range, a
  missing ``required`` field; ``int32``/``int64`` formats bound integers;
- ``null`` where the schema is not ``nullable`` (the API server drops such values);
- ``x-kubernetes-int-or-string`` takes an integer or a string; ``x-kubernetes-embedded-resource``
  objects may carry ``apiVersion``, ``kind`` and ``metadata``; ``x-kubernetes-list-type: set``
  needs unique items and ``map`` unique ``x-kubernetes-list-map-keys``.

Then every ``x-kubernetes-validations`` rule is evaluated with CEL (:mod:`gpumanifests._kube.cel`),
``self`` bound to the value at its node, for the nodes the object has. Transition rules (those
reading ``oldSelf``) are not evaluated, as the API server does not evaluate them on create. A rule
this CEL environment cannot evaluate (syntax it does not parse, a function it does not have) is
reported as such, never silently passed. The root ``metadata`` is ObjectMeta, which the API server
validates itself; :mod:`gpumanifests._kube.meta` checks it.
"""

from __future__ import annotations

import copy
import difflib
from functools import cached_property
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from gpumanifests._kube.cel import CelError, compile_expression, evaluate
from gpumanifests._kube.limits import INT_RANGES
from gpumanifests._kube.meta import FieldError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

__all__ = ["StructuralSchema"]

_COPIED = (
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "required",
)
_JUNCTORS = ("allOf", "anyOf", "oneOf")
_EMBEDDED_FIELDS = {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"}}
_PRESERVE = "x-kubernetes-preserve-unknown-fields"
_SHOWN_NAMES = 12


def _path(parts: Sequence[str | int]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class StructuralSchema:
    """One CRD version's schema, compiled on first use; :meth:`errors` lists every problem of an object."""

    def __init__(self, openapi: Mapping[str, Any]) -> None:
        self.openapi = openapi

    @cached_property
    def _validator(self) -> jsonschema_rs.Validator:
        return jsonschema_rs.Draft202012Validator(_json_schema(self.openapi, root=True))

    def errors(self, obj: Mapping[str, Any]) -> list[FieldError]:
        """Every reason the API server would refuse ``obj`` (metadata aside), sorted by path.

        As the API server does, the schema's ``default`` values are applied first (to a copy), so
        validation and rules see the object as it would be stored.
        """
        obj = _defaulted(self.openapi, copy.deepcopy(dict(obj)))
        found = [self._schema_error(error) for error in self._validator.iter_errors(obj)]
        found += _list_type_errors(self.openapi, obj, [])
        found += _rule_errors(self.openapi, obj, [])
        return sorted(set(found))

    def _schema_error(self, error: jsonschema_rs.ValidationError) -> FieldError:
        path = list(error.instance_path)
        if isinstance(error.kind, jsonschema_rs.ValidationErrorKind.AdditionalProperties):
            return self._unknown_fields(path, list(error.kind.unexpected))
        return FieldError(_path(path), error.message)

    def _unknown_fields(self, path: list[str | int], names: list[str]) -> FieldError:
        """``unknown field "x"``, with the nearest declared name and the names the schema declares."""
        declared = sorted(_node_at(self.openapi, path).get("properties", {}))
        fields = ", ".join(repr(name) for name in names)
        close = [match for name in names for match in difflib.get_close_matches(name, declared, n=1)]
        hint = f"; did you mean {close[0]!r}?" if close else ""
        shown = ", ".join(declared[:_SHOWN_NAMES]) + (", ..." if len(declared) > _SHOWN_NAMES else "")
        message = f"unknown field {fields}{hint} (the schema declares: {shown or 'no fields'})"
        return FieldError(_path(path), message)


def _node_at(schema: Mapping[str, Any], path: Sequence[str | int]) -> Mapping[str, Any]:
    """The schema node that governs the value at ``path``."""
    node = schema
    for part in path:
        if isinstance(part, int):
            node = node.get("items") or {}
        elif part in node.get("properties", {}):
            node = node["properties"][part]
        else:
            extra = node.get("additionalProperties")
            node = extra if isinstance(extra, dict) else {}
    return node


def _json_schema(node: Mapping[str, Any], *, root: bool = False, closed: bool = True) -> dict[str, Any]:
    """The strict JSON Schema of one structural schema node.

    ``closed`` is false inside ``allOf``/``anyOf``/``oneOf``/``not``: there a structural schema may
    only add value checks to fields the main schema declares, so unknown fields are not judged.
    """
    out: dict[str, Any] = {key: node[key] for key in _COPIED if key in node}
    nullable = bool(node.get("nullable"))
    if node.get("x-kubernetes-int-or-string"):
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}, *([{"type": "null"}] if nullable else [])]
    elif "type" in node:
        out["type"] = [node["type"], "null"] if nullable else node["type"]
    if "enum" in node:
        out["enum"] = [*node["enum"], *([None] if nullable else [])]
    _exclusive_bounds(node, out)
    bounds = INT_RANGES.get(node.get("format", ""))
    if bounds is not None and node.get("type") == "integer":
        out.setdefault("minimum", bounds[0])
        out.setdefault("maximum", bounds[1])
    _object_keywords(node, out, root=root, closed=closed)
    if isinstance(node.get("items"), dict):
        out["items"] = _json_schema(node["items"], closed=closed)
    for junctor in _JUNCTORS:
        if junctor in node:
            out.setdefault("allOf", []).append({junctor: [_json_schema(sub, closed=False) for sub in node[junctor]]})
    if isinstance(node.get("not"), dict):
        out["not"] = _json_schema(node["not"], closed=False)
    return out


def _exclusive_bounds(node: Mapping[str, Any], out: dict[str, Any]) -> None:
    """OpenAPI 3.0's boolean ``exclusiveMinimum``/``exclusiveMaximum`` as JSON Schema's numeric ones."""
    for exclusive, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if node.get(exclusive) is True and bound in node:
            out[exclusive] = out.pop(bound)


def _object_keywords(node: Mapping[str, Any], out: dict[str, Any], *, root: bool, closed: bool) -> None:
    properties = dict(node.get("properties", {}))
    if node.get("x-kubernetes-embedded-resource"):
        properties = {**_EMBEDDED_FIELDS, **properties}
    if properties:
        out["properties"] = {name: _json_schema(sub, closed=closed) for name, sub in properties.items()}
    if root:
        out.setdefault("properties", {})["metadata"] = {"type": "object"}  # ObjectMeta: checked by _kube.meta
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        out["additionalProperties"] = _json_schema(extra, closed=closed)
    elif isinstance(extra, bool):
        out["additionalProperties"] = extra
    elif closed and not node.get(_PRESERVE) and (properties or node.get("type") == "object" or root):
        out["additionalProperties"] = False


# -- list types and CEL rules: walks over the object beside its schema ------------------------------


def _children(node: Mapping[str, Any], value: Any, path: list[str | int]) -> Iterator[tuple[Any, Any, list[Any]]]:
    """(child schema, child value, child path) for every value below ``value`` that a schema governs."""
    if isinstance(value, dict):
        properties = node.get("properties", {})
        extra = node.get("additionalProperties")
        for key, child in value.items():
            sub = properties.get(key, extra if isinstance(extra, dict) else None)
            if sub is not None and not (not path and key == "metadata"):
                yield sub, child, [*path, key]
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for index, child in enumerate(value):
            yield node["items"], child, [*path, index]


def _list_type_errors(node: Mapping[str, Any], value: Any, path: list[str | int]) -> list[FieldError]:
    """``x-kubernetes-list-type``: ``set`` items are unique, ``map`` items unique by their map keys."""
    errors = []
    list_type = node.get("x-kubernetes-list-type")
    if isinstance(value, list) and list_type in ("set", "map"):
        keys = node.get("x-kubernetes-list-map-keys", [])
        seen: list[Any] = []
        for index, item in enumerate(value):
            identity = (
                {name: item.get(name) for name in keys} if list_type == "map" and isinstance(item, dict) else item
            )
            if identity in seen:
                what = f"entry with keys {identity}" if list_type == "map" else f"value {item!r} in a set"
                errors.append(FieldError(_path([*path, index]), f"duplicate {what}"))
            seen.append(identity)
    for sub, child, child_path in _children(node, value, path):
        errors += _list_type_errors(sub, child, child_path)
    return errors


def _defaulted(node: Mapping[str, Any], value: Any, path: list[str | int] | None = None) -> Any:
    """``value`` with the ``default`` of every absent field filled in, as structural defaulting does.

    Defaults apply to fields of the objects the value has, recursively (a default is itself
    defaulted), to the items and map values the schema describes, never to the root ``metadata``.
    """
    path = path or []
    if isinstance(value, dict):
        for name, sub in node.get("properties", {}).items():
            if name not in value and "default" in sub:
                value[name] = copy.deepcopy(sub["default"])
    for sub, child, child_path in _children(node, value, path):
        _defaulted(sub, child, child_path)
    return value


def _rule_errors(node: Mapping[str, Any], value: Any, path: list[str | int]) -> list[FieldError]:
    errors = [
        error
        for rule in node.get("x-kubernetes-validations", [])
        if (error := _rule_error(rule, value, path)) is not None
    ]
    for sub, child, child_path in _children(node, value, path):
        errors += _rule_errors(sub, child, child_path)
    return errors


def _rule_error(rule: Mapping[str, Any], value: Any, path: list[str | int]) -> FieldError | None:
    """The failure of one ``x-kubernetes-validations`` rule at ``path``, or None when it holds."""
    expression = rule["rule"]
    where = _path(path) + str(rule.get("fieldPath", ""))
    try:
        if "oldSelf" in compile_expression(expression).variables():
            return None  # a transition rule: evaluated on update only
        holds = evaluate(expression, {"self": value})
    except CelError as error:
        return FieldError(where, f"validation rule {expression!r} cannot be evaluated here ({error})")
    if holds is True:
        return None
    return FieldError(where, f"{_rule_message(rule, value)} (rule: {expression})")


def _rule_message(rule: Mapping[str, Any], value: Any) -> str:
    if "messageExpression" in rule:
        try:
            return str(evaluate(rule["messageExpression"], {"self": value}))
        except CelError:
            pass
    return str(rule.get("message") or "failed validation rule")
