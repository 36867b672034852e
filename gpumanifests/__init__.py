"""gpumanifests: GPU and CPU Kubernetes workloads and their node profiles, as typed Python.

Declare clusters, node profiles and workloads with cdk8s constructs, then ``gpumanifests
synth`` writes a deterministic, validated ``gitops/`` tree that Argo CD deploys.
"""

from gpumanifests._runtime import configure_jsii_node as _configure_jsii_node

_configure_jsii_node()

# ruff: noqa: E402 - jsii must know its Node.js before cdk8s is imported
from cdk8s import JsonPatch

from gpumanifests._constructs.app import GitOpsApp
from gpumanifests._constructs.cluster import Cluster, GitRepo, Node, NodeRole
from gpumanifests._constructs.component import Component, Resource
from gpumanifests._constructs.pod import SecurityOptOut
from gpumanifests._constructs.profiles import (
    Framework,
    NodeProfile,
    Taint,
    TaintEffect,
    Toleration,
    TolerationOperator,
    Vendor,
)
from gpumanifests._constructs.workloads import Container, CpuDeployment, CpuJob, GpuDeployment, GpuJob, Workload
from gpumanifests._errors import GpuManifestsError, InvalidInputError, OutputError, Problem, SynthError
from gpumanifests._kube.versions import KUBERNETES_VERSION
from gpumanifests._kube.versions import l1_module as _l1_module
from gpumanifests._synth.pipeline import Synthesis, synthesize

k8s = _l1_module()
"""The typed cdk8s L1 bindings of the pinned Kubernetes version (the escape hatch)."""

__all__ = [
    "KUBERNETES_VERSION",
    "Cluster",
    "Component",
    "Container",
    "CpuDeployment",
    "CpuJob",
    "Framework",
    "GitOpsApp",
    "GitRepo",
    "GpuDeployment",
    "GpuJob",
    "GpuManifestsError",
    "InvalidInputError",
    "JsonPatch",
    "Node",
    "NodeProfile",
    "NodeRole",
    "OutputError",
    "Problem",
    "Resource",
    "SecurityOptOut",
    "SynthError",
    "Synthesis",
    "Taint",
    "TaintEffect",
    "Toleration",
    "TolerationOperator",
    "Vendor",
    "Workload",
    "k8s",
    "synthesize",
]
