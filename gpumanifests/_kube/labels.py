"""Well-known label keys (kubernetes.io/docs/reference/labels-annotations-taints/) and our values for them."""

from __future__ import annotations

__all__ = [
    "COMPONENT_LABEL",
    "INSTANCE_LABEL",
    "MANAGED_BY_LABEL",
    "MANAGER",
    "NAME_LABEL",
    "PART_OF_LABEL",
    "managed_labels",
]

NAME_LABEL = "app.kubernetes.io/name"
INSTANCE_LABEL = "app.kubernetes.io/instance"
COMPONENT_LABEL = "app.kubernetes.io/component"
PART_OF_LABEL = "app.kubernetes.io/part-of"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGER = "gpumanifests"
"""The ``app.kubernetes.io/managed-by`` value of every object gpumanifests generates."""


def managed_labels(part_of: str) -> dict[str, str]:
    """``part-of`` the cluster and ``managed-by`` gpumanifests: the labels of generated Argo CD objects."""
    return {PART_OF_LABEL: part_of, MANAGED_BY_LABEL: MANAGER}
