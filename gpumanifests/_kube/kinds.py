"""Facts about Kubernetes kinds that the rendering needs: which kinds are cluster-scoped."""

from __future__ import annotations

from typing import Any

__all__ = ["BUILTIN_GROUP_SUFFIX", "group_of", "is_cluster_scoped"]

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


def group_of(manifest: dict[str, Any]) -> str:
    """The API group of a manifest ('' for the core group)."""
    return str(manifest["apiVersion"]).rpartition("/")[0]


def is_cluster_scoped(group: str, kind: str) -> bool:
    """Whether objects of this kind live outside namespaces."""
    return (group, kind) in _CLUSTER_SCOPED
