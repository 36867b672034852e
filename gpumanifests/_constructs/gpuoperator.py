"""The NVIDIA GPU Operator's part of a cluster: the device plugin's configuration, and what it provides.

The GPU Operator installs the device plugin and creates the ``nvidia`` RuntimeClasses; it is a
prerequisite the tree names, not something it installs. When a profile shares GPUs
(:class:`GpuSharing`) or partitions them with MIG, the tree ships what makes its nodes advertise
exactly the resources its workloads request:

- the ConfigMap ``device-plugin-config`` in the operator's namespace (``gpu-operator``, left to
  the operator's install): a ``default`` config for every node, and one config per sharing profile;
- on the profile's nodes, the label ``nvidia.com/device-plugin.config=<profile>`` (the config
  they run) or ``nvidia.com/mig.config=all-<slice>`` (the MIG layout the MIG manager applies),
  set where nodes get their labels (labelling Job, NFD rule or pool template);
- the Helm values the operator must be installed with to read that ConfigMap
  (``devicePlugin.config.name``, ``devicePlugin.config.default``) and, with MIG, to advertise
  one resource per slice size (``mig.strategy=mixed``).

A request no configuration serves (``nvidia.com/gpu.shared`` without sharing, a MIG resource
without a MIG layout) or more than one share where the plugin refuses it
(``failRequestsGreaterThanOne``) fails the synth.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from gpumanifests._constructs.component import Component, RenderedObject, Resource
from gpumanifests._constructs.profiles import Vendor
from gpumanifests._errors import Problem

if TYPE_CHECKING:
    from gpumanifests._constructs.cluster import Cluster
    from gpumanifests._constructs.profiles import NodeProfile

__all__ = [
    "DEVICE_PLUGIN_COMPONENT",
    "GPU_OPERATOR",
    "OPERATOR_RUNTIME_CLASSES",
    "DevicePluginConfig",
    "device_plugin_helm_values",
    "device_request_problems",
]

GPU_OPERATOR = "NVIDIA GPU Operator"
OPERATOR_RUNTIME_CLASSES = frozenset({"nvidia", "nvidia-cdi", "nvidia-legacy"})
"""The RuntimeClasses the GPU Operator creates (handler = name), as of GPU Operator v26.7.0."""
GPU_OPERATOR_NAMESPACE = "gpu-operator"
DEVICE_PLUGIN_COMPONENT = "nvidia-device-plugin"
_CONFIGMAP = "device-plugin-config"
_DEFAULT_CONFIG = "default"
_SHARED_RESOURCE = "nvidia.com/gpu.shared"
_MIG_RESOURCE_PREFIX = "nvidia.com/mig-"


def _configured(cluster: Cluster) -> list[NodeProfile]:
    """The cluster's NVIDIA device-plugin profiles whose nodes need a sharing or MIG configuration
    (a DRA profile's MIG layout needs only its node label: its nodes run no device plugin)."""
    return [
        profile
        for profile in cluster.gpu_profiles()
        if profile.vendor is Vendor.NVIDIA
        and profile.dra is None
        and (profile.sharing is not None or profile.mig_config is not None)
    ]


def _mig_strategy(cluster: Cluster) -> str:
    return "mixed" if any(profile.mig_config is not None for profile in _configured(cluster)) else "none"


def device_plugin_helm_values(cluster: Cluster) -> str:
    """The GPU Operator Helm values the cluster's device-plugin configuration needs; '' when it needs none."""
    if not _configured(cluster):
        return ""
    values = [f"devicePlugin.config.name={_CONFIGMAP}", f"devicePlugin.config.default={_DEFAULT_CONFIG}"]
    if _mig_strategy(cluster) == "mixed":
        values.append("mig.strategy=mixed")
    return ", ".join(values)


class _DevicePluginConfigMap(Resource):
    def __init__(self, scope: Component, id: str, *, cluster: Cluster) -> None:
        super().__init__(scope, id)
        self.cluster = cluster

    def _render(self) -> list[RenderedObject]:
        configs: dict[str, dict[str, Any]] = {
            _DEFAULT_CONFIG: {"version": "v1", "flags": {"migStrategy": _mig_strategy(self.cluster)}}
        }
        for profile in _configured(self.cluster):
            if profile.sharing is not None:
                configs[profile.name] = profile.sharing.device_plugin_config()
        manifest = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": _CONFIGMAP, "namespace": self.component.namespace},
            "data": {
                key: json.dumps(config, indent=2, sort_keys=True) + "\n" for key, config in sorted(configs.items())
            },
        }
        return [RenderedObject(manifest, self.path)]


class DevicePluginConfig:
    """Declares the ``nvidia-device-plugin`` component (done by :meth:`GitOpsApp.adopt` when a profile needs it)."""

    def __init__(self, cluster: Cluster) -> None:
        self.component = Component(
            cluster, DEVICE_PLUGIN_COMPONENT, namespace=GPU_OPERATOR_NAMESPACE, owns_namespace=False
        )
        _DevicePluginConfigMap(self.component, "config", cluster=cluster)

    @staticmethod
    def needed(cluster: Cluster) -> bool:
        """Whether some profile of ``cluster`` shares or partitions its GPUs."""
        return bool(_configured(cluster))


def device_request_problems(cluster: Cluster) -> list[Problem]:
    """GPU requests no device-plugin configuration of the cluster serves, or that it refuses."""
    problems = []
    for workload in cluster.workloads():
        profile = workload.profile
        if profile is None or profile.gpu_resource is None:
            continue
        resource = profile.gpu_resource
        unserved = (resource == _SHARED_RESOURCE and profile.sharing is None) or (
            resource.startswith(_MIG_RESOURCE_PREFIX) and profile.mig_config is None
        )
        if unserved:
            problems.append(
                Problem(
                    workload.path,
                    f"requests {resource}, which no node's device-plugin configuration in cluster "
                    f"{cluster.name!r} advertises (profile {profile.name!r} configures no GPU sharing or MIG)",
                    "use NodeProfile.nvidia_cuda(shared=...) or nvidia_cuda(mig_slice=...), which configure the nodes",
                )
            )
        sharing = profile.sharing
        if sharing is not None and sharing.fail_requests_greater_than_one and workload.gpus > 1:
            problems.append(
                Problem(
                    workload.path,
                    f"requests {workload.gpus} of {resource}, but the device plugin refuses more than one share per "
                    f"container on profile {profile.name!r} (failRequestsGreaterThanOne)",
                    "request gpus=1, or use a profile with whole GPUs",
                )
            )
    return problems
