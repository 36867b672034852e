"""Validate Argo CD objects against Argo CD's own CRD schemas, offline.

``_schemas/argocd/{application,appproject}.json`` are the ``openAPIV3Schema`` of Argo CD's
Application and AppProject CRDs (each file's ``$comment`` names the upstream commit). At load
time every schema node that lists ``properties`` but has neither ``additionalProperties`` nor
``x-kubernetes-preserve-unknown-fields`` is closed with ``additionalProperties: false``. That is
what the API server does with such a node: it prunes unknown fields, or rejects them under strict
field validation (``kubectl apply --validate=strict``). A field the cluster would silently drop
is a bug in a generator, so here it is an error. The vendored files leave out ``status`` and
``operation`` (Argo CD writes those, gpumanifests never does), so a document carrying them is
refused too.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

import jsonschema_rs

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["ARGOCD_API_VERSION", "validate_argocd_object"]

ARGOCD_API_VERSION = "argoproj.io/v1alpha1"
"""The only version Argo CD serves its Application and AppProject CRDs at."""

_SCHEMA_FILES = {"Application": "application.json", "AppProject": "appproject.json"}
_PRESERVE_UNKNOWN = "x-kubernetes-preserve-unknown-fields"


def validate_argocd_object(obj: Mapping[str, Any]) -> list[str]:
    """Every reason the API server would refuse ``obj``, as ``<JSON path>: <message>``; empty when valid."""
    kind = obj.get("kind")
    if not isinstance(kind, str) or kind not in _SCHEMA_FILES:
        return [
            f"$.kind: {kind!r} is not an Argo CD kind this validator knows; expected one of {sorted(_SCHEMA_FILES)}"
        ]
    problems = []
    if obj.get("apiVersion") != ARGOCD_API_VERSION:
        problems.append(f"$.apiVersion: {obj.get('apiVersion')!r} is not {ARGOCD_API_VERSION!r}")
    errors = _validator(kind).iter_errors(obj)
    problems += sorted(f"{_json_path(error.instance_path)}: {error.message}" for error in errors)
    return problems


def _json_path(parts: Any) -> str:
    """``$.spec.destinations[0].server`` from a list of keys and indexes."""
    return "$" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in parts)


@cache
def _validator(kind: str) -> jsonschema_rs.Validator:
    """The compiled validator for ``kind``, its schema read from package data and closed once."""
    text = (files("gpumanifests") / "_schemas" / "argocd" / _SCHEMA_FILES[kind]).read_text(encoding="utf-8")
    return jsonschema_rs.Draft202012Validator(_closed(json.loads(text)))


def _closed(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``schema`` where every node Kubernetes would prune unknown fields from forbids them."""
    out = dict(schema)
    if "properties" in schema:
        out["properties"] = {name: _closed(sub) for name, sub in schema["properties"].items()}
        if "additionalProperties" not in schema and not schema.get(_PRESERVE_UNKNOWN):
            out["additionalProperties"] = False
    for key in ("items", "additionalProperties", "not"):
        if isinstance(schema.get(key), dict):
            out[key] = _closed(schema[key])
    for key in ("allOf", "anyOf", "oneOf"):
        if key in schema:
            out[key] = [_closed(sub) for sub in schema[key]]
    return out
