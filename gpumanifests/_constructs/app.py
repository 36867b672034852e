"""The app: the root construct whose clusters are synthesized into one tree.

It is also where each cluster gets the components the library declares for it (the node
configuration of its GPU profiles), so :class:`Cluster` itself knows no feature built on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

from gpumanifests._constructs.deviceplugins import GenericDevicePlugin
from gpumanifests._constructs.gpuoperator import DevicePluginConfig
from gpumanifests._constructs.nodeconfig import NodeConfiguration
from gpumanifests._constructs.nodepools import NodePools
from gpumanifests._constructs.tree import TreeConstruct, jsii_app
from gpumanifests._errors import UsageError

if TYPE_CHECKING:
    import cdk8s

    from gpumanifests._constructs.cluster import Cluster
    from gpumanifests._constructs.fleet import Fleet

__all__ = ["GitOpsApp"]


class GitOpsApp(TreeConstruct):
    """The root of a gpumanifests app: the clusters it declares are synthesized into one tree.

    ``strict=True`` turns warnings (for example an image tagged ``:latest``) into errors.
    """

    def __init__(self, *, strict: bool = False) -> None:
        self._attach(None, "")
        self.strict = strict
        self.clusters: list[Cluster] = []
        self.fleets: list[Fleet] = []
        self.source = "app"

    def cluster(self, name: str) -> Cluster:
        """The declared cluster called ``name``; a :class:`UsageError` listing the others when there is none."""
        for cluster in self.clusters:
            if cluster.name == name:
                return cluster
        known = ", ".join(cluster.name for cluster in self.clusters) or "none"
        raise UsageError(f"unknown cluster {name!r}; the apps declare: {known}")

    def adopt(self, cluster: Cluster) -> None:
        """Register ``cluster`` (its constructor calls this) and declare the components the library gives it:
        node configuration, node pools, the device plugin's configuration, the generic device plugin."""
        self.clusters.append(cluster)
        cluster.node_configurations.extend(NodeConfiguration(cluster, profile) for profile in cluster.gpu_profiles())
        if cluster.pools:
            NodePools(cluster)
        if DevicePluginConfig.needed(cluster):
            DevicePluginConfig(cluster)
        for profile in cluster.gpu_profiles():
            if profile.generic_device is not None:
                GenericDevicePlugin(cluster, profile)

    def _new_jsii(self, parent: Any) -> cdk8s.App:
        return jsii_app()

    def synth(self) -> NoReturn:
        """Refused, naming the real writer: a cdk8s user's habit, which would skip every check and write ``dist/``."""
        raise UsageError(_NOT_CDK8S_SYNTH.format(method="synth"))

    def synth_yaml(self) -> NoReturn:
        """Refused, as :meth:`synth`."""
        raise UsageError(_NOT_CDK8S_SYNTH.format(method="synth_yaml"))


_NOT_CDK8S_SYNTH = (
    "GitOpsApp.{method}() is how a cdk8s App writes its manifests, unchecked, into dist/; a gpumanifests app is "
    "validated, placed and wired for Argo CD first: run `gpumanifests synth`, or call gm.synthesize(app) in Python"
)
