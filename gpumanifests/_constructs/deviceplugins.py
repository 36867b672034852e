"""The generic device plugin (squat/generic-device-plugin) for profiles whose device no vendor plugin serves.

For a profile with a :class:`GenericDevice` (the Apple Vulkan profile's ``/dev/dri`` render
node), the tree ships a DaemonSet in ``kube-system`` running the plugin on exactly that
profile's nodes; it advertises the device files as the profile's extended resource, to
``shares`` pods at once. Like every device plugin it is a node agent: privileged, with the
kubelet's device-plugin socket directory and ``/dev`` from the host. ``kube-system`` is the
cluster's: the tree creates no Namespace object for it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from gpumanifests._constructs.component import Component, RenderedObject, Resource

if TYPE_CHECKING:
    from gpumanifests._constructs.cluster import Cluster
    from gpumanifests._constructs.profiles import GenericDevice, NodeProfile

__all__ = ["GENERIC_DEVICE_PLUGIN_IMAGE", "GenericDevicePlugin"]

GENERIC_DEVICE_PLUGIN_IMAGE = "ghcr.io/squat/generic-device-plugin:0.1.0"
"""The plugin's one release (squat/generic-device-plugin 0.1.0)."""
_DEFAULT_DOMAIN = "squat.ai"
_KUBELET_PLUGINS = "/var/lib/kubelet/device-plugins"


def _plugin_args(device: GenericDevice) -> list[str]:
    domain = device.resource.partition("/")[0]
    args = ["--device", json.dumps(device.plugin_device(), separators=(",", ":"))]
    return [*args, "--domain", domain] if domain != _DEFAULT_DOMAIN else args


class _GenericDevicePluginDaemonSet(Resource):
    def __init__(self, scope: Component, id: str, *, profile: NodeProfile) -> None:
        super().__init__(scope, id)
        self.profile = profile

    def _render(self) -> list[RenderedObject]:
        profile = self.profile
        assert profile.generic_device is not None  # declared only for such profiles
        labels = {"app.kubernetes.io/name": self.id}
        container = {
            "name": "plugin",
            "image": GENERIC_DEVICE_PLUGIN_IMAGE,
            "imagePullPolicy": "IfNotPresent",
            "args": _plugin_args(profile.generic_device),
            "resources": {"requests": {"cpu": "50m", "memory": "10Mi"}, "limits": {"cpu": "50m", "memory": "20Mi"}},
            "securityContext": {"privileged": True},
            "volumeMounts": [
                {"name": "device-plugins", "mountPath": _KUBELET_PLUGINS},
                {"name": "dev", "mountPath": "/dev"},
            ],
        }
        terms = [{"matchExpressions": profile.node_selector_requirements()}]
        pod = {
            "affinity": {
                "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}
            },
            "containers": [container],
            "priorityClassName": "system-node-critical",
            "tolerations": [toleration.to_dict() for toleration in profile.tolerations],
            "volumes": [
                {"name": "device-plugins", "hostPath": {"path": _KUBELET_PLUGINS, "type": "Directory"}},
                {"name": "dev", "hostPath": {"path": "/dev", "type": "Directory"}},
            ],
        }
        manifest = {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {"name": self.id, "namespace": self.component.namespace},
            "spec": {"selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": pod}},
        }
        return [RenderedObject(manifest, self.path)]


class GenericDevicePlugin:
    """Declares ``<profile>-device-plugin`` in ``cluster`` (done by :meth:`GitOpsApp.adopt` for such profiles)."""

    def __init__(self, cluster: Cluster, profile: NodeProfile) -> None:
        self.component = Component(
            cluster, f"{profile.name}-device-plugin", namespace="kube-system", owns_namespace=False
        )
        _GenericDevicePluginDaemonSet(self.component, f"{profile.name}-generic-device-plugin", profile=profile)
