"""The public names of ``gpumanifests``, imported when the package's first public name is used.

This module defines nothing: it gathers the public names (``__all__``) and makes them show
``gpumanifests`` as their module. It does not import cdk8s: Node.js starts for jsii when an app
first uses ``gm.k8s`` (``gpumanifests/__init__.py`` has pointed jsii at its Node.js by then).
"""

from gpumanifests._boundary import guard_public
from gpumanifests._constructs.app import GitOpsApp
from gpumanifests._constructs.cluster import Cluster, GitRepo, Node, NodeClassRef, NodeLabelling, NodePool, NodeRole
from gpumanifests._constructs.component import Component, Construct, ExternalObject, RenderedObject, Resource
from gpumanifests._constructs.cronjobs import ConcurrencyPolicy, CpuCronJob, GpuCronJob
from gpumanifests._constructs.custom import CustomResource, ManifestFile
from gpumanifests._constructs.daemonsets import GpuDaemonSet
from gpumanifests._constructs.distributed import DistributedGpuJob
from gpumanifests._constructs.dra import DeviceSelector, DraDevice
from gpumanifests._constructs.env import EnvSource, KeyRef
from gpumanifests._constructs.fleet import Fleet
from gpumanifests._constructs.kueue import (
    ClusterQueue,
    Preemption,
    PreemptionPolicy,
    QueueingStrategy,
    WorkloadPriority,
)
from gpumanifests._constructs.patches import JsonPatch
from gpumanifests._constructs.pod import SecurityOptOut
from gpumanifests._constructs.priority import PriorityClass
from gpumanifests._constructs.probes import Probe, ProbeScheme
from gpumanifests._constructs.profiles import (
    Framework,
    NodeOperator,
    NodeProfile,
    NodeRequirement,
    PciMatch,
    Taint,
    TaintEffect,
    Toleration,
    TolerationOperator,
    Vendor,
)
from gpumanifests._constructs.statefulsets import GpuStatefulSet
from gpumanifests._constructs.storage import AccessMode, Volume
from gpumanifests._constructs.workloads import (
    CPU_STARTUP_SECONDS,
    GPU_STARTUP_SECONDS,
    Container,
    CpuDeployment,
    CpuJob,
    GpuDeployment,
    GpuJob,
    RunPolicy,
    Workload,
    WorkloadRole,
)
from gpumanifests._errors import GpuManifestsError, InvalidInputError, OutputError, Problem, Severity, SynthError
from gpumanifests._kube.pod_security import PodSecurityLevel
from gpumanifests._kube.references import ReferenceKind
from gpumanifests._kube.versions import DEFAULT_VERSION as DEFAULT_KUBERNETES_VERSION
from gpumanifests._kube.versions import L1_MODULE as _L1_MODULE
from gpumanifests._kube.versions import SUPPORTED_VERSIONS as SUPPORTED_KUBERNETES_VERSIONS
from gpumanifests._l1 import guard_l1
from gpumanifests._placement.plan import Plan, plan_cluster
from gpumanifests._synth.loader import load_apps
from gpumanifests._synth.migration import MigrationReport, migration_report, retarget_cluster
from gpumanifests._synth.pipeline import Synthesis, synthesize
from gpumanifests._synth.render import ClusterRender, ComponentRender

k8s = guard_l1(_L1_MODULE)
"""The typed cdk8s L1 bindings of the newest supported Kubernetes minor (the escape hatch)."""

__all__ = [
    "CPU_STARTUP_SECONDS",
    "DEFAULT_KUBERNETES_VERSION",
    "GPU_STARTUP_SECONDS",
    "SUPPORTED_KUBERNETES_VERSIONS",
    "AccessMode",
    "Cluster",
    "ClusterQueue",
    "ClusterRender",
    "Component",
    "ComponentRender",
    "ConcurrencyPolicy",
    "Construct",
    "Container",
    "CpuCronJob",
    "CpuDeployment",
    "CpuJob",
    "CustomResource",
    "DeviceSelector",
    "DistributedGpuJob",
    "DraDevice",
    "EnvSource",
    "ExternalObject",
    "Fleet",
    "Framework",
    "GitOpsApp",
    "GitRepo",
    "GpuCronJob",
    "GpuDaemonSet",
    "GpuDeployment",
    "GpuJob",
    "GpuManifestsError",
    "GpuStatefulSet",
    "InvalidInputError",
    "JsonPatch",
    "KeyRef",
    "ManifestFile",
    "MigrationReport",
    "Node",
    "NodeClassRef",
    "NodeLabelling",
    "NodeOperator",
    "NodePool",
    "NodeProfile",
    "NodeRequirement",
    "NodeRole",
    "OutputError",
    "PciMatch",
    "Plan",
    "PodSecurityLevel",
    "Preemption",
    "PreemptionPolicy",
    "PriorityClass",
    "Probe",
    "ProbeScheme",
    "Problem",
    "QueueingStrategy",
    "ReferenceKind",
    "RenderedObject",
    "Resource",
    "RunPolicy",
    "SecurityOptOut",
    "Severity",
    "SynthError",
    "Synthesis",
    "Taint",
    "TaintEffect",
    "Toleration",
    "TolerationOperator",
    "Vendor",
    "Volume",
    "Workload",
    "WorkloadPriority",
    "WorkloadRole",
    "k8s",
    "load_apps",
    "migration_report",
    "plan_cluster",
    "retarget_cluster",
    "synthesize",
]

for _name in __all__:
    _value = globals()[_name]
    if getattr(_value, "__module__", "").startswith("gpumanifests._"):
        _value.__module__ = "gpumanifests"
del _name, _value
guard_public(globals(), __all__)
