"""The vendored Argo CD CRD schemas (from the catalog) and the validator built on them.

Documents here are written by hand, independent of the models, so a model bug cannot hide a
validator bug. What must fail is read off the CRD (v3.5.1): ``required`` lists, types, the
``syncSource.path`` pattern and minLength, the ``description`` maxLength, the int-or-string
``anyOf``, and unknown fields wherever the API server would prune them.
"""

from __future__ import annotations

import copy
import json
from importlib.resources import files
from typing import Any

import pytest

from gpumanifests._argocd.schema import validate_argocd_object

UPSTREAM_COMMIT = "109ca7ca71139e514114499d294a492e7910a965"
"""argoproj/argo-cd v3.5.1, the ref sources.json pins."""


def _application() -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "ml", "namespace": "argocd", "finalizers": ["resources-finalizer.argocd.argoproj.io"]},
        "spec": {
            "project": "ml",
            "source": {
                "repoURL": "https://github.com/acme/gitops.git",
                "targetRevision": "main",
                "path": "clusters/prod/ml",
                "directory": {"recurse": False, "include": "*.yaml"},
            },
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "ml"},
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True, "allowEmpty": False},
                "syncOptions": ["ServerSideApply=true"],
                "retry": {"limit": 5, "backoff": {"duration": "5s", "factor": 2, "maxDuration": "3m"}},
            },
        },
    }


def _project() -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": "ml", "namespace": "argocd"},
        "spec": {
            "description": "ml workloads",
            "sourceRepos": ["https://github.com/acme/gitops.git"],
            "destinations": [{"server": "https://kubernetes.default.svc", "namespace": "ml"}],
            "clusterResourceWhitelist": [{"group": "", "kind": "Namespace"}],
            "namespaceResourceWhitelist": [{"group": "apps", "kind": "Deployment"}],
            "roles": [{"name": "ci", "policies": ["p, proj:ml:ci, applications, sync, ml/*, allow"]}],
        },
    }


def _vendored(name: str) -> dict[str, Any]:
    return dict(
        json.loads((files("gpumanifests") / "_schemas" / "crds" / "argoproj.io" / name).read_text(encoding="utf-8"))
    )


def _schema(name: str) -> dict[str, Any]:
    return dict(_vendored(name)["versions"]["v1alpha1"]["schema"])


def _key(part: str) -> str | int:
    return int(part) if part.isdigit() else part


def _edited(doc: dict[str, Any], path: str) -> tuple[dict[str, Any], Any, str | int]:
    """A deep copy of ``doc``, the node holding the dotted ``path`` in it, and the last key."""
    changed = copy.deepcopy(doc)
    *parents, last = path.split(".")
    node: Any = changed
    for part in parents:
        node = node[_key(part)]
    return changed, node, _key(last)


def _set(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``doc`` with the dotted ``path`` set to ``value`` (digits index lists)."""
    changed, node, key = _edited(doc, path)
    node[key] = value
    return changed


def _without(doc: dict[str, Any], path: str) -> dict[str, Any]:
    """A copy of ``doc`` without the dotted ``path``."""
    changed, node, key = _edited(doc, path)
    del node[key]
    return changed


@pytest.mark.parametrize("doc", [_application(), _project()], ids=["Application", "AppProject"])
def test_valid_documents_have_no_errors(doc: dict[str, Any]) -> None:
    assert validate_argocd_object(doc) == []


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (_without(_application(), "spec.destination"), 'spec: "destination" is a required property'),
        (_without(_application(), "spec.project"), 'spec: "project" is a required property'),
        (_without(_application(), "spec"), '(object): "spec" is a required property'),
        (_without(_application(), "metadata"), '(object): "metadata" is a required property'),
        (_without(_application(), "spec.source.repoURL"), 'spec.source: "repoURL" is a required property'),
        (
            _set(_application(), "spec.sources", [{"path": "a"}]),
            'spec.sources[0]: "repoURL" is a required property',
        ),
        (_set(_application(), "spec.info", [{"name": "team"}]), 'spec.info[0]: "value" is a required property'),
        (
            _set(_application(), "spec.ignoreDifferences", [{"group": "apps"}]),
            'spec.ignoreDifferences[0]: "kind" is a required property',
        ),
        (
            _set(_application(), "spec.sourceHydrator", {"drySource": {"repoURL": "r", "path": "p"}}),
            'spec.sourceHydrator: "syncSource" is a required property',
        ),
        (
            _without(_project(), "spec.clusterResourceWhitelist.0.kind"),
            'spec.clusterResourceWhitelist[0]: "kind" is a required property',
        ),
        (_set(_project(), "spec.roles", [{"policies": []}]), 'spec.roles[0]: "name" is a required property'),
        (
            _set(_project(), "spec.roles.0.jwtTokens", [{"exp": 1}]),
            'spec.roles[0].jwtTokens[0]: "iat" is a required property',
        ),
        (
            _set(_project(), "spec.destinationServiceAccounts", [{"server": "https://x"}]),
            'spec.destinationServiceAccounts[0]: "defaultServiceAccount" is a required property',
        ),
    ],
)
def test_missing_required_fields_are_reported(doc: dict[str, Any], expected: str) -> None:
    assert expected in validate_argocd_object(doc)


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (_set(_application(), "spec.project", 7), 'spec.project: 7 is not of type "string"'),
        (
            _set(_application(), "spec.revisionHistoryLimit", "10"),
            'spec.revisionHistoryLimit: "10" is not of type "integer"',
        ),
        (
            _set(_application(), "spec.source.directory.recurse", "yes"),
            'spec.source.directory.recurse: "yes" is not of type "boolean"',
        ),
        (
            _set(_application(), "spec.syncPolicy.syncOptions", "ServerSideApply=true"),
            'spec.syncPolicy.syncOptions: "ServerSideApply=true" is not of type "array"',
        ),
        (
            _set(_application(), "spec.syncPolicy.retry.backoff.factor", 1.5),
            'spec.syncPolicy.retry.backoff.factor: 1.5 is not of type "integer"',
        ),
        (
            _set(_application(), "spec.source.kustomize", {"commonLabels": {"tier": 1}}),
            'spec.source.kustomize.commonLabels.tier: 1 is not of type "string"',
        ),
        (
            _set(_project(), "spec.sourceRepos", "https://x/y"),
            'spec.sourceRepos: "https://x/y" is not of type "array"',
        ),
        (_set(_project(), "spec.syncWindows", [{"manualSync": "true"}]), 'is not of type "boolean"'),
    ],
)
def test_wrong_types_are_reported(doc: dict[str, Any], expected: str) -> None:
    errors = validate_argocd_object(doc)
    assert any(expected in error for error in errors), errors


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (
            _set(_application(), "spec.bogus", 1),
            "spec: unknown field 'bogus'",
        ),
        (
            _set(_application(), "spec.source.directory.recursive", True),
            "spec.source.directory: unknown field 'recursive'",
        ),
        (
            _set(_application(), "spec.syncPolicy.automated.selfheal", True),
            "spec.syncPolicy.automated: unknown field 'selfheal'",
        ),
        (
            _set(_application(), "spec.destination.cluster", "prod"),
            "spec.destination: unknown field 'cluster'",
        ),
        (
            _set(_application(), "spec.syncPolicy.retry.backoff.maxduration", "3m"),
            "spec.syncPolicy.retry.backoff: unknown field 'maxduration'",
        ),
        (
            _set(_project(), "spec.clusterResourceWhitelist.0.namespace", "gpu"),
            "spec.clusterResourceWhitelist[0]: unknown field 'namespace'",
        ),
        (_set(_application(), "status", {}), "status: is written by the controller"),
        (_set(_application(), "operation", {}), "operation: starts a sync when applied"),
    ],
)
def test_unknown_fields_are_rejected_where_the_api_server_prunes(doc: dict[str, Any], expected: str) -> None:
    errors = validate_argocd_object(doc)
    assert any(error.startswith(expected) for error in errors), errors


def test_preserve_unknown_fields_and_maps_stay_open() -> None:
    doc = _set(_application(), "spec.source.helm", {"valuesObject": {"anything": {"nested": [1, True]}}})
    doc = _set(doc, "spec.source.kustomize", {"commonLabels": {"any-key": "v"}, "patches": [{"options": {"x": True}}]})
    doc = _set(doc, "metadata.annotations", {"free": "form"})
    assert validate_argocd_object(doc) == []


_HYDRATOR = {
    "drySource": {"repoURL": "https://github.com/acme/dry.git", "path": "apps", "targetRevision": "main"},
    "syncSource": {"targetBranch": "env/prod", "path": "prod"},
}


def test_source_hydrator_with_a_real_path_is_valid() -> None:
    assert validate_argocd_object(_set(_application(), "spec.sourceHydrator", _HYDRATOR)) == []


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (
            _set(_application(), "spec.sourceHydrator", _set(_HYDRATOR, "syncSource.path", ".")),
            'spec.sourceHydrator.syncSource.path: "." does not match "^.{2,}|[^./]$"',
        ),
        (
            _set(_application(), "spec.sourceHydrator", _set(_HYDRATOR, "syncSource.path", "")),
            'spec.sourceHydrator.syncSource.path: "" is shorter than 1 character',
        ),
        (
            _set(_project(), "spec.description", "x" * 256),
            'spec.description: "' + "x" * 256 + '" is longer than 255 characters',
        ),
        (
            _set(_application(), "spec.source.kustomize", {"replicas": [{"name": "web", "count": True}]}),
            "spec.source.kustomize.replicas[0].count: "
            "true is not valid under any of the schemas listed in the 'anyOf' keyword",
        ),
    ],
)
def test_value_constraints_from_the_crd_are_enforced(doc: dict[str, Any], expected: str) -> None:
    assert expected in validate_argocd_object(doc)


def test_int_or_string_accepts_both() -> None:
    for count in (3, "3"):
        doc = _set(_application(), "spec.source.kustomize", {"replicas": [{"name": "web", "count": count}]})
        assert validate_argocd_object(doc) == []


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (
            _set(_application(), "apiVersion", "argoproj.io/v1"),
            "apiVersion: 'argoproj.io/v1' is not 'argoproj.io/v1alpha1'",
        ),
        (_set(_application(), "kind", "Rollout"), "kind: 'Rollout' is not an Argo CD kind"),
        (_without(_application(), "kind"), "kind: None is not an Argo CD kind"),
    ],
)
def test_api_version_and_kind_are_checked(doc: dict[str, Any], expected: str) -> None:
    errors = validate_argocd_object(doc)
    assert any(error.startswith(expected) for error in errors), errors


def test_all_errors_are_reported_in_a_stable_order() -> None:
    doc = _set(_without(_application(), "spec.project"), "spec.zzz", 1)
    doc = _set(doc, "spec.destination.namespace", 5)
    errors = validate_argocd_object(doc)
    assert errors == sorted(errors)
    assert len(errors) == 3
    assert validate_argocd_object(doc) == errors


@pytest.mark.parametrize(
    ("name", "path", "spec_properties"),
    [
        (
            "applications.json",
            "manifests/crds/application-crd.yaml",
            [
                "destination",
                "ignoreDifferences",
                "info",
                "project",
                "revisionHistoryLimit",
                "source",
                "sourceHydrator",
                "sources",
                "syncPolicy",
            ],
        ),
        (
            "appprojects.json",
            "manifests/crds/appproject-crd.yaml",
            [
                "clusterResourceBlacklist",
                "clusterResourceWhitelist",
                "description",
                "destinationServiceAccounts",
                "destinations",
                "namespaceResourceBlacklist",
                "namespaceResourceWhitelist",
                "orphanedResources",
                "permitOnlyProjectScopedClusters",
                "roles",
                "signatureKeys",
                "sourceIntegrity",
                "sourceNamespaces",
                "sourceRepos",
                "syncWindows",
            ],
        ),
    ],
)
def test_vendored_schema_matches_upstream_shape(name: str, path: str, spec_properties: list[str]) -> None:
    source = _vendored(name)["source"]
    assert source == {"repository": "argoproj/argo-cd", "ref": "v3.5.1", "commit": UPSTREAM_COMMIT, "path": path}
    schema = _schema(name)
    assert schema["required"] == ["metadata", "spec"]
    assert sorted(schema["properties"]["spec"]["properties"]) == spec_properties


def test_application_single_and_multi_source_schemas_are_the_same() -> None:
    spec = _schema("applications.json")["properties"]["spec"]["properties"]
    assert spec["source"] == spec["sources"]["items"]
    assert spec["source"]["required"] == ["repoURL"]


def _keywords(schema: dict[str, Any]) -> set[str]:
    """Every keyword used anywhere in ``schema`` (property names are not keywords)."""
    found = set(schema)
    subschemas = [*schema.get("properties", {}).values(), *schema.get("anyOf", [])]
    subschemas += [schema[key] for key in ("items", "additionalProperties") if isinstance(schema.get(key), dict)]
    for subschema in subschemas:
        found |= _keywords(subschema)
    return found


def test_schemas_carry_no_description_keyword() -> None:
    """Descriptions are dropped when vendoring; AppProject's ``spec.description`` field stays, and
    syncOptions stay free strings upstream (the models check them)."""
    for name in ("applications.json", "appprojects.json"):
        keywords = _keywords(_schema(name))
        assert "description" not in keywords
        assert "pattern" in keywords or name == "appprojects.json"
    assert "description" in _schema("appprojects.json")["properties"]["spec"]["properties"]
    sync_options = _schema("applications.json")["properties"]["spec"]["properties"]["syncPolicy"]["properties"]
    assert "enum" not in sync_options["syncOptions"]["items"]
