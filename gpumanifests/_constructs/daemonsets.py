"""DaemonSets: a node agent on every node of a GPU profile (an exporter, a device health checker).

The DaemonSet controller runs one pod on each node whose labels the pod's required node affinity
matches and whose ``NoSchedule``/``NoExecute`` taints it tolerates (with the tolerations it adds
itself, for not-ready, unreachable and pressured nodes); here that is every node of the profile.
The pods get the profile's placement, env and runtime class but no GPUs: an agent watches the
devices, it does not take them from the workloads. The placement proof places one pod on each
such node and checks that it fits there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gpumanifests._constructs.component import RenderedObject
from gpumanifests._constructs.workloads import (
    _CommonOptions,
    _ProfileProps,
    _ProfileWorkload,
    _ServedMixin,
    _ServedOptions,
    _ServedProps,
)
from gpumanifests._props import Image, parse_props

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from gpumanifests._constructs.component import ResourceScope
    from gpumanifests._constructs.profiles import NodeProfile

__all__ = ["GpuDaemonSet"]


class GpuDaemonSetProps(_ProfileProps, _ServedProps):
    """Validated props of :class:`GpuDaemonSet`."""

    image: Image


class GpuDaemonSetOptions(_CommonOptions, _ServedOptions, total=False):
    """Keyword options of :class:`GpuDaemonSet`."""


class GpuDaemonSet(_ProfileWorkload[GpuDaemonSetProps], _ServedMixin[GpuDaemonSetProps]):
    """One pod on each node of ``profile``, requesting no GPU (a metrics exporter, a health agent).

    **Usage**: ``gm.GpuDaemonSet(monitoring, "gpu-exporter", profile=L4, image=..., port=9400)``.
    ``port`` adds the container port, a Service, probes (5 minutes to start) and a NetworkPolicy
    opening it. A rollout replaces one node's pod at a time.
    """

    kind = "DaemonSet"
    one_per_node = True

    def __init__(
        self, scope: ResourceScope, id: str, *, profile: NodeProfile, image: str, **options: Unpack[GpuDaemonSetOptions]
    ) -> None:
        self.props = parse_props(
            GpuDaemonSetProps, f"GpuDaemonSet {id!r}", name=id, profile=profile, image=image, **options
        )
        super().__init__(scope, id)

    @property
    def replicas(self) -> int:
        """One pod per declared node of the profile."""
        return len(self.component.cluster.nodes_of(self.profile))

    def _render(self) -> list[RenderedObject]:
        spec = {"selector": {"matchLabels": self.selector_labels()}, "template": self._pod_template()}
        manifest: dict[str, Any] = {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": self._metadata(),
            "spec": spec,
        }
        return [RenderedObject(manifest, self.path), *self._served_objects()]
