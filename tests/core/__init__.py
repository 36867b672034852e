"""Tests of the core constructs."""

from __future__ import annotations

import gpumanifests as gm


def _cluster_for_sidecars() -> gm.Cluster:
    """A cluster with a CPU node and one NVIDIA node, for sidecar tests."""
    nodes = [
        gm.Node(name="cpu-1", profile=gm.NodeProfile.cpu_only()),
        gm.Node(name="gpu-1", profile=gm.NodeProfile.nvidia_cuda(), gpus=1, cpu="8", memory="32Gi"),
    ]
    return gm.Cluster(
        gm.GitOpsApp(), "lab", nodes=nodes, repo=gm.GitRepo(url="https://git.example.com/platform/gitops.git")
    )
