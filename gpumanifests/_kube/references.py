"""The objects a PodSpec names by reference, which must exist before its pods can start.

A pod names its ServiceAccount and PriorityClass, the Secrets it pulls images with, and the
Secrets, ConfigMaps and PersistentVolumeClaims its volumes and environment come from. Kubernetes
resolves each name in the pod's own namespace (a PriorityClass cluster-wide) when the pod is
created or started, and refuses or holds the pod when the object is missing; a reference marked
``optional: true`` may be missing, so it is not listed. A few objects every cluster has are known
here: the ``default`` ServiceAccount and the ``kube-root-ca.crt`` ConfigMap of every namespace,
and the two ``system-*-critical`` PriorityClasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from gpumanifests._kube.kinds import ObjectKey

__all__ = ["Reference", "ReferenceKind", "always_present", "pod_references"]


class ReferenceKind(StrEnum):
    """A kind of object a pod refers to by name."""

    SECRET = "Secret"
    CONFIG_MAP = "ConfigMap"
    PERSISTENT_VOLUME_CLAIM = "PersistentVolumeClaim"
    SERVICE_ACCOUNT = "ServiceAccount"
    PRIORITY_CLASS = "PriorityClass"
    RESOURCE_CLAIM = "ResourceClaim"
    RESOURCE_CLAIM_TEMPLATE = "ResourceClaimTemplate"

    @property
    def group(self) -> str:
        """The kind's API group ('' for the core group)."""
        if self is ReferenceKind.PRIORITY_CLASS:
            return "scheduling.k8s.io"
        if self in (ReferenceKind.RESOURCE_CLAIM, ReferenceKind.RESOURCE_CLAIM_TEMPLATE):
            return "resource.k8s.io"
        return ""

    @property
    def namespaced(self) -> bool:
        """Whether a pod finds the object in its own namespace (else cluster-wide)."""
        return self is not ReferenceKind.PRIORITY_CLASS

    def key(self, name: str, namespace: str) -> ObjectKey:
        """The identity of the object named ``name`` that a pod in ``namespace`` means."""
        return (self.group, str(self), namespace if self.namespaced else "", name)


_ALWAYS_PRESENT = {
    (ReferenceKind.SERVICE_ACCOUNT, "default"),
    (ReferenceKind.CONFIG_MAP, "kube-root-ca.crt"),
    (ReferenceKind.PRIORITY_CLASS, "system-cluster-critical"),
    (ReferenceKind.PRIORITY_CLASS, "system-node-critical"),
}


def always_present(kind: ReferenceKind, name: str) -> bool:
    """Whether every cluster has the object (in every namespace, for a namespaced kind)."""
    return (kind, name) in _ALWAYS_PRESENT


@dataclass(frozen=True)
class Reference:
    """One name a PodSpec refers to: the kind, the name, and the field (relative to the PodSpec)."""

    kind: ReferenceKind
    name: str
    field: str


def pod_references(spec: Mapping[str, Any]) -> list[Reference]:
    """Every required reference of a PodSpec, in field order."""
    return [*_pod_level(spec), *_volumes(spec), *_containers(spec)]


def _pod_level(spec: Mapping[str, Any]) -> Iterator[Reference]:
    account = spec.get("serviceAccountName") or spec.get("serviceAccount")
    if account:
        field = "serviceAccountName" if spec.get("serviceAccountName") else "serviceAccount"
        yield Reference(ReferenceKind.SERVICE_ACCOUNT, str(account), field)
    if spec.get("priorityClassName"):
        yield Reference(ReferenceKind.PRIORITY_CLASS, str(spec["priorityClassName"]), "priorityClassName")
    for index, secret in enumerate(spec.get("imagePullSecrets") or ()):
        if secret.get("name"):
            yield Reference(ReferenceKind.SECRET, str(secret["name"]), f"imagePullSecrets[{index}]")
    for index, claim in enumerate(spec.get("resourceClaims") or ()):
        for kind, name_field in (
            (ReferenceKind.RESOURCE_CLAIM_TEMPLATE, "resourceClaimTemplateName"),
            (ReferenceKind.RESOURCE_CLAIM, "resourceClaimName"),
        ):
            if claim.get(name_field):
                yield Reference(kind, str(claim[name_field]), f"resourceClaims[{index}].{name_field}")


def _named(source: Mapping[str, Any] | None, name_field: str) -> str | None:
    """The name a source refers to, unless it is optional (or absent)."""
    if not source or source.get("optional") is True or not source.get(name_field):
        return None
    return str(source[name_field])


def _volumes(spec: Mapping[str, Any]) -> Iterator[Reference]:
    for index, volume in enumerate(spec.get("volumes") or ()):
        where = f"volumes[{index}]"
        sources = [
            (ReferenceKind.CONFIG_MAP, volume.get("configMap"), "name", f"{where}.configMap"),
            (ReferenceKind.SECRET, volume.get("secret"), "secretName", f"{where}.secret"),
            (ReferenceKind.PERSISTENT_VOLUME_CLAIM, volume.get("persistentVolumeClaim"), "claimName", where),
        ]
        for position, projection in enumerate((volume.get("projected") or {}).get("sources") or ()):
            at = f"{where}.projected.sources[{position}]"
            sources.append((ReferenceKind.CONFIG_MAP, projection.get("configMap"), "name", f"{at}.configMap"))
            sources.append((ReferenceKind.SECRET, projection.get("secret"), "name", f"{at}.secret"))
        for kind, source, name_field, field in sources:
            name = _named(source, name_field)
            if name is not None:
                yield Reference(kind, name, field)


def _containers(spec: Mapping[str, Any]) -> Iterator[Reference]:
    for group in ("initContainers", "containers", "ephemeralContainers"):
        for index, container in enumerate(spec.get(group) or ()):
            where = f"{group}[{index}]"
            for position, entry in enumerate(container.get("env") or ()):
                value_from = entry.get("valueFrom") or {}
                for kind, ref in (
                    (ReferenceKind.CONFIG_MAP, "configMapKeyRef"),
                    (ReferenceKind.SECRET, "secretKeyRef"),
                ):
                    name = _named(value_from.get(ref), "name")
                    if name is not None:
                        yield Reference(kind, name, f"{where}.env[{position}].valueFrom.{ref}")
            for position, entry in enumerate(container.get("envFrom") or ()):
                for kind, ref in ((ReferenceKind.CONFIG_MAP, "configMapRef"), (ReferenceKind.SECRET, "secretRef")):
                    name = _named(entry.get(ref), "name")
                    if name is not None:
                        yield Reference(kind, name, f"{where}.envFrom[{position}].{ref}")
