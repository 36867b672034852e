"""The seed's planned cloud migration: the same workloads on NVIDIA GPU nodes.

The workload definitions are imported from ``_seed``, not copied; only the profile differs.
The cloud cluster has two CPU nodes and two NVIDIA GPU nodes, and is a member of the GPU fleet.
"""

from __future__ import annotations

from _fleet import gpu_fleet
from _seed import declare_seed_workloads

import gpumanifests as gm

NVIDIA = gm.NodeProfile.nvidia_cuda(
    runtime_class_name="nvidia", labels={"gpu-type": "cuda"}
)  # the seed's planned labels
CPU = gm.NodeProfile.cpu_only()


def build(app: gm.GitOpsApp) -> None:
    """Declare the data-platform-cloud cluster."""
    cluster = gm.Cluster(
        app,
        "data-platform-cloud",
        nodes=[
            gm.Node(name="cloud-cpu-1", profile=CPU, cpu="4", memory="16Gi"),
            gm.Node(name="cloud-cpu-2", profile=CPU, cpu="4", memory="16Gi"),
            gm.Node(name="cloud-gpu-1", profile=NVIDIA, gpus=2, cpu="8", memory="32Gi"),
            gm.Node(name="cloud-gpu-2", profile=NVIDIA, gpus=2, cpu="8", memory="32Gi"),
        ],
        fleet=gpu_fleet(app),
        argocd_cluster="data-platform-cloud",
    )
    declare_seed_workloads(cluster, NVIDIA)
