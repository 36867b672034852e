"""StatefulSets: GPU pods with stable identities, for sharded inference.

Pod *i* is ``<name>-<i>``, reachable as ``<name>-<i>.<name>`` through the headless Service that
governs the set, and keeps its own claims across restarts: each claim-template volume becomes a
``volumeClaimTemplates`` entry, one PersistentVolumeClaim per replica (kept when the set shrinks
or is deleted, Kubernetes' default retention). Pods start and stop in parallel
(``podManagementPolicy: Parallel``: shards load their weights at the same time), and a rollout
replaces one pod at a time where it ran. Placement, probes, the disruption budget and the GPU
spread are those of a :class:`GpuDeployment`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gpumanifests._constructs.component import RenderedObject
from gpumanifests._constructs.workloads import (
    _PORT_NAME,
    _GpuOptions,
    _GpuProps,
    _GpuWorkload,
    _ReplicatedMixin,
    _ReplicatedOptions,
    _ReplicatedProps,
)
from gpumanifests._props import parse_props

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from gpumanifests._constructs.component import ResourceScope
    from gpumanifests._constructs.profiles import NodeProfile

__all__ = ["GpuStatefulSet"]


class GpuStatefulSetProps(_GpuProps, _ReplicatedProps):
    """Validated props of :class:`GpuStatefulSet`."""


class GpuStatefulSetOptions(_GpuOptions, _ReplicatedOptions, total=False):
    """Keyword options of :class:`GpuStatefulSet`."""


class GpuStatefulSet(_GpuWorkload[GpuStatefulSetProps], _ReplicatedMixin[GpuStatefulSetProps]):
    """``replicas`` GPU pods with stable names and per-replica claims (sharded model servers).

    **Usage**::

        gm.GpuStatefulSet(serving, "llama-70b", profile=H100, replicas=2, gpus=8, port=8000,
                          image="vllm/vllm-openai:v0.6.4",
                          model_cache=gm.Volume.claim_template("model-cache", "/cache", size="500Gi"))

    Everything a :class:`GpuDeployment` takes; the headless Service is named after the set.
    """

    kind = "StatefulSet"

    def __init__(
        self, scope: ResourceScope, id: str, *, profile: NodeProfile, **options: Unpack[GpuStatefulSetOptions]
    ) -> None:
        self.props = parse_props(GpuStatefulSetProps, f"GpuStatefulSet {id!r}", name=id, profile=profile, **options)
        super().__init__(scope, id)

    def _pod_spec(self) -> dict[str, Any]:
        """The pod's volumes, less the claim templates: the StatefulSet makes those claims."""
        spec = super()._pod_spec()
        claims = {volume.name for volume in self._volumes() if volume.claim is not None}
        spec["volumes"] = [volume for volume in spec["volumes"] if volume["name"] not in claims]
        return spec

    def _render(self) -> list[RenderedObject]:
        spec: dict[str, Any] = {
            "podManagementPolicy": "Parallel",
            "replicas": self.props.replicas,
            "selector": {"matchLabels": self.selector_labels()},
            "serviceName": self.name,
            "template": self._pod_template(),
        }
        claims = [
            {"metadata": {"name": volume.name}, "spec": volume.claim}
            for volume in self._volumes()
            if volume.claim is not None
        ]
        if claims:
            spec["volumeClaimTemplates"] = claims
        manifest = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": self._metadata(), "spec": spec}
        objects = [RenderedObject(manifest, self.path), RenderedObject(self._service(), f"{self.path}/Service")]
        if self.props.port is not None:
            objects.append(RenderedObject(self._allow_ingress(), f"{self.path}/NetworkPolicy"))
        return [*objects, *self._disruption_budget()]

    def _service(self) -> dict[str, Any]:
        """The headless Service that gives each pod its DNS name (``<pod>.<service>``)."""
        spec: dict[str, Any] = {"clusterIP": "None", "selector": self.selector_labels()}
        if self.props.port is not None:
            spec["ports"] = [{"name": _PORT_NAME, "port": self.props.port, "protocol": "TCP", "targetPort": _PORT_NAME}]
        return {"apiVersion": "v1", "kind": "Service", "metadata": self._metadata(), "spec": spec}
