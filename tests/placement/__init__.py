"""Tests of the placement proof, the synth-time consistency checks and the cluster picture."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import gpumanifests as gm

if TYPE_CHECKING:
    from collections.abc import Sequence

APPS = Path(__file__).resolve().parents[2] / "apps"
REPO = gm.GitRepo(url="https://git.example.com/platform/gpumanifests.git")
IMAGE = "busybox:1.36.1"
NVIDIA = gm.NodeProfile.nvidia_cuda()
CPU = gm.NodeProfile.cpu_only()


def open_gpu_profile(name: str = "open-gpu") -> gm.NodeProfile:
    """A GPU profile whose nodes carry no taint: CPU pods can land there."""
    return gm.NodeProfile(
        name=name,
        vendor=gm.Vendor.NVIDIA,
        accelerator_labels={f"example.com/{name}": "true"},
        gpu_resource="nvidia.com/gpu",
    )


def make_cluster(nodes: Sequence[gm.Node], name: str = "test-cluster") -> gm.Cluster:
    """A fresh app holding one cluster with ``nodes``."""
    return gm.Cluster(gm.GitOpsApp(), name, nodes=list(nodes), repo=REPO)


def cpu_node(name: str = "cpu-1") -> gm.Node:
    """An untainted CPU node."""
    return gm.Node(name=name, profile=CPU, cpu="4", memory="16Gi")


def gpu_node(name: str, profile: gm.NodeProfile = NVIDIA, gpus: int = 1) -> gm.Node:
    """A GPU node of ``profile``."""
    return gm.Node(name=name, profile=profile, gpus=gpus, cpu="8", memory="32Gi")
