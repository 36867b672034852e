"""Schema validation against the pinned Kubernetes version, one cached validator per kind.

The schemas are the strict ones shipped by ``kubernetes-validate`` (unknown fields are
errors). ``kubernetes_validate.validate()`` re-reads the schema files on every call; here each
(version, kind) validator is built once and reused.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from referencing import Registry, Resource

from gpumanifests._kubernetes import KUBERNETES_VERSION

__all__ = ["schema_errors"]


def _schema_dir(version: str) -> Any:
    return resources.files("kubernetes_validate").joinpath("kubernetes-json-schema", f"v{version}.0-local-strict")


@cache
def _definitions(version: str) -> Registry:
    text = _schema_dir(version).joinpath("_definitions.json").read_text(encoding="utf-8")
    return Resource.from_contents(json.loads(text)) @ Registry()


@cache
def _validator(version: str, api_version: str, kind: str) -> jsonschema.protocols.Validator | None:
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    schema_file = _schema_dir(version).joinpath(f"{kind.lower()}-{group_version}.json")
    if not schema_file.is_file():
        return None
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    registry = Resource.from_contents(schema) @ _definitions(version)
    return jsonschema.Draft202012Validator(schema, registry=registry)


def _where(error: jsonschema.ValidationError) -> str:
    return ".".join(str(part) for part in error.absolute_path) or "(object)"


def schema_errors(manifest: dict[str, Any], *, version: str = KUBERNETES_VERSION) -> list[str] | None:
    """Schema errors of a built-in Kubernetes object, or None when the kind has no schema here."""
    validator = _validator(version, manifest["apiVersion"], manifest["kind"])
    if validator is None:
        return None
    return [f"{_where(error)}: {error.message}" for error in validator.iter_errors(manifest)]
