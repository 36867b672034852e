"""What the DaemonSet controller does with a pod template: the nodes that get a pod, and each pod.

A node gets a pod when it matches the template's ``nodeName`` (if any), its ``nodeSelector`` and
required node affinity, and the template, with the tolerations the controller adds, tolerates
every ``NoSchedule`` and ``NoExecute`` taint of the node; resources are left to the scheduler
(``NodeShouldRunDaemonPod`` in ``pkg/controller/daemon/daemon_controller.go``). Each pod then gets
those tolerations (``AddOrUpdateDaemonPodTolerations``) and, instead of the template's required
node affinity terms, one that selects its node by name (``ReplaceDaemonSetPodNodeNameNodeAffinity``,
``pkg/controller/daemon/util/daemonset_util.go``): the scheduler may put it on that node only.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from gpumanifests.scheduling import node_matches_pod_selection, node_name, node_taints, untolerated_taints

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["DAEMON_TOLERATIONS", "daemon_pod_spec", "runs_daemon_pod"]

DAEMON_TOLERATIONS: tuple[dict[str, str], ...] = (
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
)
"""The tolerations the controller gives every DaemonSet pod (network-unavailable too with hostNetwork)."""
_NETWORK_UNAVAILABLE = {"key": "node.kubernetes.io/network-unavailable", "operator": "Exists", "effect": "NoSchedule"}


def _daemon_tolerations(spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The template's tolerations plus the controller's, each added unless an equal one is there."""
    tolerations = [dict(toleration) for toleration in spec.get("tolerations") or ()]
    added = [*DAEMON_TOLERATIONS, *([_NETWORK_UNAVAILABLE] if spec.get("hostNetwork") else [])]
    for toleration in added:
        if toleration not in tolerations:
            tolerations.append(dict(toleration))
    return tolerations


def runs_daemon_pod(spec: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """Whether the controller runs a pod of the template ``spec`` on ``node``."""
    wanted = spec.get("nodeName") or ""
    if wanted and wanted != node_name(node):
        return False
    if not node_matches_pod_selection(spec, node):
        return False
    return not untolerated_taints(_daemon_tolerations(spec), node_taints(node))


def daemon_pod_spec(spec: Mapping[str, Any], node: str) -> dict[str, Any]:
    """The PodSpec the controller creates for ``node`` from the template ``spec``."""
    pod = copy.deepcopy(dict(spec))
    pod["tolerations"] = _daemon_tolerations(spec)
    by_name = {"nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}]}
    node_affinity = pod.setdefault("affinity", {}).setdefault("nodeAffinity", {})
    node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = by_name
    return pod
