"""Well-known label keys (kubernetes.io/docs/reference/labels-annotations-taints/) and our values for them."""

from __future__ import annotations

from typing import Any

__all__ = [
    "COMPONENT_LABEL",
    "INSTANCE_LABEL",
    "MANAGED_BY_LABEL",
    "MANAGER",
    "NAME_LABEL",
    "OPT_OUT_ANNOTATION",
    "PART_OF_LABEL",
    "PROFILE_LABEL",
    "ROLLOUT_ANNOTATION",
    "stamp_managed",
]

NAME_LABEL = "app.kubernetes.io/name"
INSTANCE_LABEL = "app.kubernetes.io/instance"
COMPONENT_LABEL = "app.kubernetes.io/component"
PART_OF_LABEL = "app.kubernetes.io/part-of"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGER = "gpumanifests"
PROFILE_LABEL = "gpumanifests.io/profile"
"""On a GPU workload and its pods: the node profile they run on."""
OPT_OUT_ANNOTATION = "gpumanifests.io/security-opt-out"
"""On a pod template: what the pod gives up of the restricted defaults, and why."""
ROLLOUT_ANNOTATION = "gpumanifests.io/rollout"
"""On a Deployment whose rollout strategy gpumanifests chose: the strategy, and why."""
"""The ``app.kubernetes.io/managed-by`` value of every object gpumanifests generates."""


def stamp_managed(manifest: dict[str, Any], part_of: str) -> None:
    """Label a generated object ``part-of`` its cluster and ``managed-by`` gpumanifests.

    Labels already set (by a workload's props or a JSON patch) are kept.
    """
    labels = manifest.setdefault("metadata", {}).setdefault("labels", {})
    labels.setdefault(PART_OF_LABEL, part_of)
    labels.setdefault(MANAGED_BY_LABEL, MANAGER)
