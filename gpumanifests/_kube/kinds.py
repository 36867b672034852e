"""Facts about Kubernetes kinds: object identity, API groups, scopes, and where a kind keeps its pod template."""

from __future__ import annotations

from typing import Any

__all__ = ["BUILTIN_GROUP_SUFFIX", "ObjectKey", "group_of", "is_cluster_scoped", "object_key", "pod_spec_of"]

BUILTIN_GROUP_SUFFIX = ".k8s.io"

_CLUSTER_SCOPED = frozenset(
    {
        ("", "Namespace"),
        ("", "Node"),
        ("", "PersistentVolume"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("storage.k8s.io", "StorageClass"),
        ("storage.k8s.io", "CSIDriver"),
        ("storage.k8s.io", "VolumeAttachment"),
        ("node.k8s.io", "RuntimeClass"),
        ("scheduling.k8s.io", "PriorityClass"),
        ("networking.k8s.io", "IngressClass"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
        ("apiregistration.k8s.io", "APIService"),
        ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
        ("resource.k8s.io", "DeviceClass"),
        ("nfd.k8s-sigs.io", "NodeFeatureRule"),
    }
)


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


def pod_spec_of(manifest: dict[str, Any]) -> dict[str, Any] | None:
    """The PodSpec inside a workload manifest of a built-in kind; None for other kinds or a missing spec."""
    path = _POD_TEMPLATE_PATHS.get((group_of(manifest), manifest.get("kind", "")))
    if path is None:
        return None
    template: Any = manifest
    for field in path:
        template = template.get(field) if isinstance(template, dict) else None
    spec = template.get("spec") if isinstance(template, dict) else None
    return spec if isinstance(spec, dict) else None


def group_of(manifest: dict[str, Any]) -> str:
    """The API group of a manifest ('' for the core group)."""
    return str(manifest["apiVersion"]).rpartition("/")[0]


def is_cluster_scoped(group: str, kind: str) -> bool:
    """Whether objects of this kind live outside namespaces."""
    return (group, kind) in _CLUSTER_SCOPED
