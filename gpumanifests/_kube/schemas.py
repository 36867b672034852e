"""Schema validation of built-in objects against a Kubernetes minor, one compiled validator per kind.

The schemas are the strict ones shipped by ``kubernetes-validate`` (unknown fields are
errors), evaluated as JSON Schema 2020-12 exactly as ``kubernetes_validate.validate()`` does.
That function re-reads and recompiles the schema files on every call; here each
(version, kind) schema is compiled once, by ``jsonschema-rs``, and reused.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs

__all__ = ["schema_errors"]

_DEFINITIONS_URI = "https://kubernetes.io/api/_definitions.json"
"""Where the schemas' ``$ref: /api/_definitions.json#...`` point, resolved against their base URI."""


def _schema_dir(version: str) -> Any:
    return resources.files("kubernetes_validate").joinpath("kubernetes-json-schema", f"v{version}.0-local-strict")


@cache
def _definitions(version: str) -> Any:
    return json.loads(_schema_dir(version).joinpath("_definitions.json").read_text(encoding="utf-8"))


@cache
def _validator(version: str, api_version: str, kind: str) -> jsonschema_rs.Validator | None:
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    schema_file = _schema_dir(version).joinpath(f"{kind.lower()}-{group_version}.json")
    if not schema_file.is_file():
        return None

    def retrieve(uri: str) -> Any:
        if uri != _DEFINITIONS_URI:
            raise ValueError(f"the Kubernetes {version} schemas reference no document {uri}")
        return _definitions(version)

    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    return jsonschema_rs.Draft202012Validator(schema, retriever=retrieve)


def _where(error: jsonschema_rs.ValidationError) -> str:
    return ".".join(str(part) for part in error.instance_path) or "(object)"


def schema_errors(manifest: dict[str, Any], *, version: str) -> list[str] | None:
    """Schema errors of a built-in Kubernetes object, or None when the kind has no schema here."""
    validator = _validator(version, manifest["apiVersion"], manifest["kind"])
    if validator is None:
        return None
    if validator.is_valid(manifest):
        return []
    return [f"{_where(error)}: {error.message}" for error in validator.iter_errors(manifest)]
