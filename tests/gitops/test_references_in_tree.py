"""Every object a committed pod template names exists in its cluster's tree or is declared external.

Independent of the library's check: the pod templates are found by kind, the references walked from
the PodSpec fields the API defines (k8s.io/api core/v1: serviceAccountName, priorityClassName,
imagePullSecrets, volumes' configMap/secret/persistentVolumeClaim/projected sources, containers'
env valueFrom and envFrom), and the declared external objects read from each cluster's README.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import pod_template

TREE = Path(__file__).resolve().parents[2] / "gitops"
EVERY_CLUSTER_HAS = {
    ("ServiceAccount", "default"),
    ("ConfigMap", "kube-root-ca.crt"),
    ("PriorityClass", "system-cluster-critical"),
    ("PriorityClass", "system-node-critical"),
}
CLUSTER_SCOPED = {"PriorityClass"}


def _documents(cluster: Path) -> list[dict[str, Any]]:
    return [
        yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted(cluster.rglob("*.yaml"))
        if "node-setup" not in path.parts
    ]


def _pod_spec(doc: dict[str, Any]) -> dict[str, Any] | None:
    template = pod_template(doc)
    return template["spec"] if template is not None else None


def _references(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, name) of every non-optional object the PodSpec names."""
    found = []
    if spec.get("serviceAccountName"):
        found.append(("ServiceAccount", spec["serviceAccountName"]))
    if spec.get("priorityClassName"):
        found.append(("PriorityClass", spec["priorityClassName"]))
    found += [("Secret", entry["name"]) for entry in spec.get("imagePullSecrets") or []]
    for volume in spec.get("volumes") or []:
        sources = [("ConfigMap", volume.get("configMap"), "name"), ("Secret", volume.get("secret"), "secretName")]
        sources.append(("PersistentVolumeClaim", volume.get("persistentVolumeClaim"), "claimName"))
        for projection in (volume.get("projected") or {}).get("sources") or []:
            sources += [
                ("ConfigMap", projection.get("configMap"), "name"),
                ("Secret", projection.get("secret"), "name"),
            ]
        found += [(kind, src[field]) for kind, src, field in sources if src and not src.get("optional")]
    for container in [*(spec.get("initContainers") or []), *spec["containers"]]:
        for entry in container.get("env") or []:
            value_from = entry.get("valueFrom") or {}
            for kind, ref in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
                if value_from.get(ref) and not value_from[ref].get("optional"):
                    found.append((kind, value_from[ref]["name"]))
        for entry in container.get("envFrom") or []:
            for kind, ref in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                if entry.get(ref) and not entry[ref].get("optional"):
                    found.append((kind, entry[ref]["name"]))
    return found


def _declared_external(cluster: Path) -> set[tuple[str, str, str]]:
    """(kind, namespace or '', name) of the README's "Objects created outside this tree" list."""
    readme = (cluster / "README.md").read_text(encoding="utf-8")
    section = readme.partition("## Objects created outside this tree")[2]
    return {
        (kind, namespace or "", name)
        for kind, name, namespace in re.findall(
            r"^- (\w+) ([a-z0-9.-]+)(?: in namespace ([a-z0-9-]+))?:", section, re.M
        )
    }


CLUSTERS = sorted((TREE / "clusters").iterdir())


@pytest.mark.parametrize("cluster", CLUSTERS, ids=lambda path: path.name)
def test_every_reference_of_every_pod_template_resolves(cluster: Path) -> None:
    documents = _documents(cluster)
    present = {
        (
            doc["kind"],
            "" if doc["kind"] in CLUSTER_SCOPED else doc["metadata"].get("namespace", ""),
            doc["metadata"]["name"],
        )
        for doc in documents
    }
    present |= _declared_external(cluster)
    dangling = []
    for doc in documents:
        spec = _pod_spec(doc)
        for kind, name in _references(spec) if spec else []:
            namespace = "" if kind in CLUSTER_SCOPED else doc["metadata"]["namespace"]
            if (kind, name) not in EVERY_CLUSTER_HAS and (kind, namespace, name) not in present:
                dangling.append(f"{doc['kind']} {doc['metadata']['name']} -> {kind} {namespace}/{name}")
    assert dangling == []


def test_the_tree_has_pods_with_references() -> None:
    """The check is not vacuous: the shipped pods name accounts, and their clusters' READMEs list externals."""
    kinds = {
        kind
        for cluster in CLUSTERS
        for doc in _documents(cluster)
        if (spec := _pod_spec(doc))
        for kind, _ in _references(spec)
    }
    assert "ServiceAccount" in kinds
