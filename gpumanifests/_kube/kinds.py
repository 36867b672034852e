"""Facts about Kubernetes kinds: object identity, API groups, and where a kind keeps its pod template.

Which kinds exist and whether they are namespaced is per cluster: :class:`gpumanifests._kube.schemas.KindRegistry`.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BUILTIN_GROUP_SUFFIX",
    "ObjectKey",
    "group_of",
    "object_key",
    "pod_spec_of",
    "pod_spec_path",
    "pod_template_of",
]

BUILTIN_GROUP_SUFFIX = ".k8s.io"


ObjectKey = tuple[str, str, str, str]
"""(apiVersion group, kind, namespace, name): what identifies an object in a cluster."""

_POD_TEMPLATE_PATHS = {
    ("", "Pod"): (),
    ("", "ReplicationController"): ("spec", "template"),
    ("apps", "Deployment"): ("spec", "template"),
    ("apps", "ReplicaSet"): ("spec", "template"),
    ("apps", "StatefulSet"): ("spec", "template"),
    ("apps", "DaemonSet"): ("spec", "template"),
    ("batch", "Job"): ("spec", "template"),
    ("batch", "CronJob"): ("spec", "jobTemplate", "spec", "template"),
}
"""Where each built-in workload kind keeps the template of its pods (a Pod is its own template)."""


def object_key(manifest: dict[str, Any]) -> ObjectKey:
    """The identity of a manifest: API group, kind, namespace ('' when cluster-scoped) and name."""
    metadata = manifest["metadata"]
    return (group_of(manifest), manifest["kind"], metadata.get("namespace", ""), metadata["name"])


def pod_spec_path(manifest: dict[str, Any]) -> str:
    """Where a built-in workload kind keeps its PodSpec, as a field path (``spec.template.spec``).

    Only meaningful where :func:`pod_template_of` finds a template.
    """
    path = _POD_TEMPLATE_PATHS.get((group_of(manifest), manifest.get("kind", "")), ())
    return ".".join([*path, "spec"])


def pod_template_of(manifest: dict[str, Any]) -> dict[str, Any] | None:
    """The pod template (``metadata`` and ``spec``) of a built-in workload manifest; a Pod is its own.

    None for other kinds, or when the template is missing or has no PodSpec.
    """
    path = _POD_TEMPLATE_PATHS.get((group_of(manifest), manifest.get("kind", "")))
    if path is None:
        return None
    template: Any = manifest
    for field in path:
        template = template.get(field) if isinstance(template, dict) else None
    if not isinstance(template, dict) or not isinstance(template.get("spec"), dict):
        return None
    return template


def pod_spec_of(manifest: dict[str, Any]) -> dict[str, Any] | None:
    """The PodSpec inside a workload manifest of a built-in kind; None for other kinds or a missing spec."""
    template = pod_template_of(manifest)
    return template["spec"] if template is not None else None


def group_of(manifest: dict[str, Any]) -> str:
    """The API group of a manifest ('' for the core group)."""
    return str(manifest["apiVersion"]).rpartition("/")[0]
