"""What a cluster's API server accepts: its minor's built-in kinds and the CRDs it knows.

:class:`KindRegistry` answers, for one cluster, whether a kind exists, whether it is namespaced,
and every reason an object of it would be refused.

- Built-in kinds (those the minor serves, with their scope, in ``_schemas/kubernetes/scopes.json``)
  are validated with the strict schemas shipped by ``kubernetes-validate`` (unknown fields are
  errors), as JSON Schema 2020-12 exactly as ``kubernetes_validate.validate()`` does; here each
  (minor, kind) schema is compiled once, by ``jsonschema-rs``, and reused.
- Custom kinds are validated against their CRD's structural schema, CEL rules included
  (:mod:`gpumanifests._kube.structural`), and their ObjectMeta as the API server checks it.
"""

from __future__ import annotations

import importlib.util
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

import jsonschema_rs

from gpumanifests._kube.apiserver import builtin_object_errors
from gpumanifests._kube.crds import CustomResourceDefinition, catalog_kinds, vendored
from gpumanifests._kube.limits import INT_RANGES
from gpumanifests._kube.meta import object_meta_errors, status_errors

__all__ = ["KindRegistry", "UnknownKind", "schema_errors"]

_DEFINITIONS_URI = "https://kubernetes.io/api/_definitions.json"
"""Where the schemas' ``$ref: /api/_definitions.json#...`` point, resolved against their base URI."""


@cache
def _schemas_root() -> Path:
    """kubernetes-validate's schema directory, found without importing the package (which imports jsonschema)."""
    spec = importlib.util.find_spec("kubernetes_validate")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        raise ImportError("the kubernetes-validate package (the built-in kinds' schemas) is not installed")
    return Path(locations[0]) / "kubernetes-json-schema"


def _schema_dir(version: str) -> Path:
    return _schemas_root() / f"v{version}.0-local-strict"


_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
_QUANTITY_PATTERN = (
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)
"""``resource.ParseQuantity``'s grammar, as the OpenAPI of CRDs states it (the built-ins' schema has none)."""


def _with_api_ranges(node: Any) -> Any:
    """The schema with ``minimum``/``maximum`` on every int32/int64 field (JSON Schema ignores ``format``)."""
    if isinstance(node, list):
        return [_with_api_ranges(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _with_api_ranges(value) for key, value in node.items()}
    form, kind = node.get("format"), node.get("type", ())
    bounds = INT_RANGES.get(form) if isinstance(form, str) else None  # a field may be named "format"
    if bounds is not None and isinstance(kind, str | list) and "integer" in kind:
        out.setdefault("minimum", bounds[0])
        out.setdefault("maximum", bounds[1])
    return out


@cache
def _definitions(version: str) -> Any:
    definitions = json.loads(_schema_dir(version).joinpath("_definitions.json").read_text(encoding="utf-8"))
    definitions = _with_api_ranges(definitions)
    definitions["$defs"][_QUANTITY] = {
        "oneOf": [{"type": ["string", "null"], "pattern": _QUANTITY_PATTERN}, {"type": ["number", "null"]}]
    }
    return definitions


@cache
def _registry(version: str) -> jsonschema_rs.Registry:
    """The shared definitions of ``version``'s schemas, compiled once for every kind's validator."""

    def refuse(uri: str) -> Any:
        raise ValueError(f"the Kubernetes {version} schemas reference no document {uri}")

    return jsonschema_rs.Registry([(_DEFINITIONS_URI, _definitions(version))], retriever=refuse)


@cache
def _validator(version: str, api_version: str, kind: str) -> jsonschema_rs.Validator | None:
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    schema_file = _schema_dir(version) / f"{kind.lower()}-{group_version}.json"
    if not schema_file.is_file():
        return None
    schema = _with_api_ranges(json.loads(schema_file.read_text(encoding="utf-8")))
    return jsonschema_rs.Draft202012Validator(schema, registry=_registry(version))


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


@cache
def _builtin_scopes(version: str) -> dict[str, str]:
    """``<apiVersion>/<Kind>`` -> ``Namespaced`` or ``Cluster`` for the built-in kinds of ``version``."""
    text = resources.files("gpumanifests").joinpath("_schemas", "kubernetes", "scopes.json").read_text(encoding="utf-8")
    return dict(json.loads(text)["versions"][version])


@dataclass(frozen=True)
class UnknownKind:
    """Why an object's kind cannot be checked: not built in, no CRD, or a version the CRD does not serve."""

    reason: str
    fix: str


class KindRegistry:
    """The kinds one cluster knows: the built-ins of its Kubernetes minor, then ``crds``, then the catalog."""

    def __init__(self, version: str, crds: Iterable[CustomResourceDefinition] = ()) -> None:
        self.version = version
        self._crds = {(crd.group, crd.kind): crd for crd in crds}

    def crd(self, group: str, kind: str) -> CustomResourceDefinition | None:
        """The CRD of a custom kind: the cluster's own, else the vendored one; None for neither."""
        return self._crds.get((group, kind)) or vendored(group, kind)

    def is_builtin(self, api_version: str, kind: str) -> bool:
        """Whether the cluster's minor serves ``kind`` at ``api_version`` itself."""
        return f"{api_version}/{kind}" in _builtin_scopes(self.version)

    def namespaced(self, api_version: str, kind: str) -> bool | None:
        """Whether objects of the kind live in namespaces; None when the kind is unknown."""
        builtin = _builtin_scopes(self.version).get(f"{api_version}/{kind}")
        if builtin is not None:
            return builtin == "Namespaced"
        crd = self.crd(api_version.rpartition("/")[0], kind)
        return crd.namespaced if crd is not None else None

    def schema_name(self, manifest: Mapping[str, Any]) -> str:
        """What :meth:`check` holds a known kind's object to: the minor's built-in API, or the CRD and its source."""
        api_version, kind = str(manifest.get("apiVersion", "")), str(manifest.get("kind", ""))
        crd = None if self.is_builtin(api_version, kind) else self.crd(api_version.rpartition("/")[0], kind)
        return f"Kubernetes {self.version} API" if crd is None else f"{kind} CRD ({crd.source})"

    def check(self, manifest: dict[str, Any]) -> list[str] | UnknownKind:
        """Every reason the API server would refuse ``manifest`` (empty when valid), or why it cannot tell."""
        api_version, kind = str(manifest.get("apiVersion", "")), str(manifest.get("kind", ""))
        if self.is_builtin(api_version, kind):
            builtin = schema_errors(manifest, version=self.version) or []
            namespaced = _builtin_scopes(self.version)[f"{api_version}/{kind}"] == "Namespaced"
            semantic = builtin_object_errors(manifest, namespaced=namespaced) + status_errors(manifest)
            return builtin + [str(error) for error in semantic]
        group, _, version = api_version.rpartition("/")
        crd = self.crd(group, kind)
        if crd is None:
            return UnknownKind(
                f"{api_version} {kind} is not a built-in kind of Kubernetes {self.version}, and no CRD of it is known",
                "pass its CustomResourceDefinition as a file (Cluster(crds=[Path('...yaml')])) or render the CRD "
                f"in a component; the catalog has {', '.join(catalog_kinds())}",
            )
        served = crd.served(version)
        if served is None:
            return UnknownKind(
                f"the {kind} CRD ({crd.source}) does not serve {api_version}",
                f"use one of its served versions: {crd.served_text()}",
            )
        errors = object_meta_errors(manifest.get("metadata"), namespaced=crd.namespaced) + status_errors(manifest)
        return [str(error) for error in [*errors, *served.schema.errors(manifest)]]
