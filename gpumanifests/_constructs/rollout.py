"""What a GPU profile's nodes can absorb during a rollout: the GPUs no declared pod requests.

A rolling update with a surge starts a new pod before it stops an old one, so the new pod needs
GPUs nobody uses. The headroom of a profile is its nodes' GPUs less those every workload of the
cluster requests (each pod that runs at once, Jobs and queued Jobs included, so the figure errs
on the safe side); a surge pod of ``gpus`` can only go where that many are free, so the largest
node counts too. It reads the declared GPU counts only: the placement proof then checks the surge
pod against everything it asks for, on the nodes it is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gpumanifests._constructs.cluster import Cluster
    from gpumanifests._constructs.profiles import NodeProfile

__all__ = ["GpuHeadroom", "gpu_headroom"]


@dataclass(frozen=True)
class GpuHeadroom:
    """A profile's GPUs: on its nodes, requested by the cluster's pods, and on its largest node."""

    profile: str
    capacity: int
    requested: int
    largest_node: int

    @property
    def spare(self) -> int:
        """GPUs of the profile's nodes that no declared pod requests."""
        return self.capacity - self.requested

    def fits(self, gpus: int) -> bool:
        """Whether one more pod of ``gpus`` GPUs could find them free."""
        return self.spare >= gpus and self.largest_node >= gpus


def gpu_headroom(cluster: Cluster, profile: NodeProfile) -> GpuHeadroom:
    """The headroom of ``profile``'s nodes in ``cluster``."""
    counts = [node.gpus for node in cluster.nodes_of(profile)]
    requested = sum(
        workload.replicas * workload.gpus
        for workload in cluster.workloads()
        if workload.profile is not None and workload.profile.name == profile.name
    )
    return GpuHeadroom(profile.name, sum(counts), requested, max(counts, default=0))
