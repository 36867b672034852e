"""The ``node-pools`` component: a Karpenter ``NodePool`` per autoscaled GPU pool of a cluster.

Each pool's nodes are born with its profile's labels and taints (``spec.template.metadata.labels``
and ``spec.template.spec.taints``), so nothing has to label them after the fact. The template
carries every fixed label of the profile, the ones its vendor's components will publish too:
Karpenter provisions for a pod only when it knows every label key the pod requires (a key that is
neither well known nor in the pool's labels or requirements makes the pool "incompatible"), and
it applies the template labels to the node it creates. The profile's selectors (``Gt`` on GPU
memory, several products) join the pool's own machine ``requirements`` for the same reason;
Karpenter labels a new node with some value inside such a requirement until the vendor's
component publishes the real one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gpumanifests._constructs.component import Component, RenderedObject, Resource

if TYPE_CHECKING:
    from gpumanifests._constructs.cluster import Cluster, NodePool

__all__ = ["KARPENTER_API_VERSION", "NODE_POOLS_COMPONENT", "NodePools"]

KARPENTER_API_VERSION = "karpenter.sh/v1"
NODE_POOLS_COMPONENT = "node-pools"
_GPU_POOL_DISRUPTION = {"consolidationPolicy": "WhenEmpty", "consolidateAfter": "10m"}
"""Consolidate a GPU node only when it has been empty for 10 minutes: never evict running GPU work."""


class _KarpenterNodePool(Resource):
    """One pool as a Karpenter ``NodePool``."""

    def __init__(self, scope: Component, pool: NodePool) -> None:
        super().__init__(scope, pool.name)
        self.pool = pool

    def _render(self) -> list[RenderedObject]:
        pool, profile = self.pool, self.pool.profile
        assert profile.gpu_resource is not None  # NodePool accepts GPU profiles only
        template_spec: dict[str, Any] = {
            "nodeClassRef": pool.node_class.to_dict(),
            "requirements": [requirement.to_dict() for requirement in (*pool.requirements, *profile.selectors)],
        }
        if profile.taints:
            template_spec["taints"] = [taint.to_dict() for taint in profile.taints]
        manifest = {
            "apiVersion": KARPENTER_API_VERSION,
            "kind": "NodePool",
            "metadata": {"name": pool.name},
            "spec": {
                "template": {"metadata": {"labels": dict(profile.node_labels)}, "spec": template_spec},
                "limits": {profile.gpu_resource: str(pool.max_nodes * pool.node(1).gpu_units)},
                "disruption": dict(_GPU_POOL_DISRUPTION),
            },
        }
        return [RenderedObject(manifest, self.path)]


class NodePools:
    """Declares the ``node-pools`` component of ``cluster`` (done by :meth:`GitOpsApp.adopt` when it has pools)."""

    def __init__(self, cluster: Cluster) -> None:
        self.component = Component(cluster, NODE_POOLS_COMPONENT)
        self.pools = [_KarpenterNodePool(self.component, pool) for pool in cluster.pools]
