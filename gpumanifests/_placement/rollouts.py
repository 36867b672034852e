"""The rollout proof: can a changed workload replace its pods on the cluster as it stands?

A Deployment's rolling update first starts up to ``maxSurge`` new pods beside the old ones, then
stops old pods as new ones become ready, never letting more than ``maxUnavailable`` pods be
missing (both resolved as the controller does, :func:`gpumanifests._kube.rollout.deployment_fenceposts`).
With every declared pod placed, the proof asks where the surge pods would go: it proceeds when
one has a node, or when pods may be unavailable (an old pod stops first and its successor takes
its place, same requests, same node); with ``maxUnavailable`` 0 and no node for a surge pod, it
stalls, and that is a plan violation. ``Recreate`` stops every pod first. A StatefulSet's rolling
update and a DaemonSet's (at their defaults) replace one pod at a time where it ran, so they
always proceed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gpumanifests._errors import Problem
from gpumanifests._kube.rollout import deployment_fenceposts

if TYPE_CHECKING:
    from collections.abc import Callable

    from gpumanifests._constructs.workloads import Workload

__all__ = ["RolloutProof", "prove_rollout"]

_IN_PLACE = {
    "StatefulSet": "replaces one pod at a time where it ran (RollingUpdate): no surge pod to place",
    "DaemonSet": "replaces the pod of one node at a time where it ran (RollingUpdate): no surge pod to place",
}


@dataclass(frozen=True)
class RolloutProof:
    """Whether a workload's rollout can proceed, how, and where its surge pods would go."""

    workload: str
    path: str
    proceeds: bool
    how: str
    surge_nodes: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.workload}: {'proceeds' if self.proceeds else 'STALLS'}: {self.how}"

    def to_json(self) -> dict[str, Any]:
        """The proof, keys in a fixed order."""
        return {
            "workload": self.workload,
            "path": self.path,
            "proceeds": self.proceeds,
            "how": self.how,
            "surgeNodes": list(self.surge_nodes),
        }


def prove_rollout(
    workload: Workload[Any], surge_nodes: Callable[[Workload[Any], int], list[str]]
) -> tuple[RolloutProof, Problem | None] | None:
    """The proof for ``workload`` (None for kinds without a rollout), and the violation when it stalls.

    ``surge_nodes(workload, count)`` says where up to ``count`` more pods of ``workload`` would go
    beside the placed ones, without keeping them.
    """
    if workload.kind in _IN_PLACE:
        return RolloutProof(workload.name, workload.path, True, _IN_PLACE[workload.kind]), None
    if workload.kind != "Deployment" or workload.replicas == 0:
        return None
    resolved = deployment_fenceposts(workload.render()[0].manifest.get("spec") or {})
    if resolved is None:
        how = "Recreate: every pod stops before the new ones start"
        return RolloutProof(workload.name, workload.path, True, how), None
    return _rolling_update(workload, *resolved, surge_nodes)


def _rolling_update(
    workload: Workload[Any], surge: int, unavailable: int, surge_nodes: Callable[[Workload[Any], int], list[str]]
) -> tuple[RolloutProof, Problem | None]:
    strategy = f"maxSurge {surge}, maxUnavailable {unavailable}"
    nodes = tuple(surge_nodes(workload, surge)) if surge else ()
    if not surge:
        how = f"{strategy}: replaces {unavailable} pod(s) at a time where the old ones ran; no surge pod to place"
    elif nodes:
        how = f"{strategy}: {len(nodes)} surge pod(s) fit, on {', '.join(nodes)}"
    elif unavailable:
        how = f"{strategy}: no node has room for a surge pod, so it replaces {unavailable} pod(s) at a time in place"
    else:
        how = f"{strategy}: no node has room for a surge pod, and no pod may be unavailable"
        message = (
            f"the rollout of {workload.name!r} stalls: with maxSurge {surge} and maxUnavailable 0 it must start a "
            "new pod before stopping an old one, and no node has room for it after the pods placed"
        )
        fix = "set max_surge=0 and max_unavailable=1 (replace pods in place), or add capacity for one more pod"
        return RolloutProof(workload.name, workload.path, False, how), Problem(workload.path, message, fix)
    return RolloutProof(workload.name, workload.path, True, how, nodes), None
