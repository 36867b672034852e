"""The DRA devices of a plan's nodes: what each node's driver publishes, and which devices pods hold.

A node of a profile with DRA (:class:`gpumanifests._constructs.dra.DraAllocation`) publishes
one ``ResourceSlice`` with a device per GPU, as its driver would; the plan asks the allocation
model (:mod:`gpumanifests._placement.dra`, kube-scheduler's allocator) whether a pod's claims fit
the devices still free, and takes the allocated devices when it binds the pod, so no device is
handed out twice. The DeviceClasses are the drivers', as their selectors are modelled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gpumanifests._constructs.dra import modelled_device_class, node_resource_slice
from gpumanifests._placement.dra import DeviceId, DraResult, allocate_claims
from gpumanifests.scheduling import FitFailure

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from gpumanifests._constructs.cluster import Cluster
    from gpumanifests._constructs.workloads import Workload
    from gpumanifests._placement.nodes import PlanNode

__all__ = ["DRA_PLUGIN", "DeviceLedger", "pod_claims"]

DRA_PLUGIN = "DynamicResources"
"""kube-scheduler's filter plugin for ResourceClaims; it runs after NodeResourcesFit."""


def pod_claims(workload: Workload[Any], pod_spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The claims a pod's ResourceClaimTemplates make, in the pod's order, named after their templates."""
    templates = {
        obj.manifest["metadata"]["name"]: obj.manifest["spec"]
        for obj in workload.render()
        if obj.manifest["kind"] == "ResourceClaimTemplate"
    }
    names = [entry.get("resourceClaimTemplateName") for entry in pod_spec.get("resourceClaims") or ()]
    return [{"metadata": {"name": name}, "spec": templates[name]["spec"]} for name in names if name in templates]


class DeviceLedger:
    """Per plan node: its ResourceSlices and the devices bound pods hold."""

    def __init__(self, cluster: Cluster, nodes: Sequence[PlanNode]) -> None:
        allocations = {profile.name: profile.dra for profile in cluster.profiles() if profile.dra is not None}
        self.classes = {
            allocation.device_class: modelled_device_class(allocation) for allocation in allocations.values()
        }
        self.slices = [
            [node_resource_slice(node.name, allocations[node.profile], node.gpus or 0)]
            if node.profile in allocations
            else []
            for node in nodes
        ]
        self.nodes = [node.obj for node in nodes]
        self.taken: list[set[DeviceId]] = [set() for _ in nodes]

    def allocate(self, index: int, claims: Sequence[Mapping[str, Any]], *, empty: bool = False) -> DraResult:
        """The allocator's answer for ``claims`` on node ``index``, with its free devices (all, when ``empty``)."""
        taken = () if empty else self.taken[index]
        return allocate_claims(
            claims, slices=self.slices[index], classes=self.classes, node=self.nodes[index], allocated=taken
        )

    def failures(
        self, index: int, claims: Sequence[Mapping[str, Any]], *, empty: bool = False
    ) -> tuple[FitFailure, ...]:
        """Why the claims do not fit node ``index`` (none when they do or there are no claims)."""
        if not claims:
            return ()
        result = self.allocate(index, claims, empty=empty)
        return () if result else tuple(FitFailure(DRA_PLUGIN, reason) for reason in result.reasons or (str(result),))

    def take(self, index: int, claims: Sequence[Mapping[str, Any]]) -> frozenset[DeviceId]:
        """Allocate the claims on node ``index`` and hold their devices; the devices taken."""
        devices = self.allocate(index, claims).devices() if claims else frozenset()
        self.taken[index] |= devices
        return devices

    def give_back(self, index: int, devices: frozenset[DeviceId]) -> None:
        """Free ``devices`` on node ``index`` (a pod taken back)."""
        self.taken[index] -= devices
