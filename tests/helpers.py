"""Small helpers the tests share (importable as ``helpers``: pytest puts tests/ on the path)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema

import gpumanifests as gm

if TYPE_CHECKING:
    from collections.abc import Iterable


RESTRICTED_L1_CONTEXT = gm.k8s.SecurityContext(
    allow_privilege_escalation=False,
    capabilities=gm.k8s.Capabilities(drop=["ALL"]),
    run_as_non_root=True,
    seccomp_profile=gm.k8s.SeccompProfile(type="RuntimeDefault"),
)
"""A raw L1 container's security context that meets Pod Security "restricted" on its own."""

POD_TEMPLATE_PATHS = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
"""Where each workload kind keeps its pod template (k8s.io/api apps/v1 and batch/v1), read independently."""


def pod_template(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The pod template (``metadata`` and ``spec``) of a committed workload document; None for other kinds."""
    keys = POD_TEMPLATE_PATHS.get(doc["kind"])
    if keys is None:
        return None
    template: Any = doc
    for key in keys:
        template = template[key]
    return dict(template)


def run_once_job(paths: Iterable[str], stem: str) -> str:
    """The one path of a run-once Job's file, ``<stem>-<8 hex digits of its spec>.yaml``, among ``paths``."""
    pattern = re.compile(re.escape(stem) + r"-[0-9a-f]{8}\.yaml")
    [found] = [path for path in paths if pattern.fullmatch(str(path))]
    return str(found)


_CRD_CATALOG = Path(__file__).resolve().parents[1] / "gpumanifests" / "_schemas" / "crds"


def _strict_json_schema(node: Any) -> Any:
    """An upstream CRD's OpenAPI v3 schema as a JSON Schema that refuses unknown fields, as
    ``kubectl apply --validate=strict`` does. Written independently of the library's validator
    (the test's second opinion); CEL rules are not evaluated here."""
    if isinstance(node, list):
        return [_strict_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    schema = {key: _strict_json_schema(value) for key, value in node.items() if not key.startswith("x-kubernetes")}
    if node.get("x-kubernetes-int-or-string"):
        schema.pop("type", None)
        schema["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.get("x-kubernetes-embedded-resource"):
        schema.setdefault("properties", {}).update({"apiVersion": {"type": "string"}, "kind": {"type": "string"}})
        schema["properties"].setdefault("metadata", {"type": "object"})
    if (
        "properties" in schema
        and "additionalProperties" not in schema
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        schema["additionalProperties"] = False
    if schema.pop("nullable", False) and "type" in schema:
        schema["type"] = [schema["type"], "null"]
    return schema


def crd_schema_errors(document: dict[str, Any]) -> list[str]:
    """Every reason ``document`` fails its kind's vendored upstream CRD schema (empty when valid)."""
    group, _, version = document["apiVersion"].rpartition("/")
    entry = json.loads((_CRD_CATALOG / "index.json").read_text())[f"{group}/{document['kind']}"]
    crd = json.loads((_CRD_CATALOG / entry["file"]).read_text())
    schema = _strict_json_schema(crd["versions"][version]["schema"])
    schema["properties"]["metadata"] = {"type": "object"}
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'.'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(document)]
