"""The seed's local cluster: an untainted control plane and one Apple Metal GPU worker."""

from __future__ import annotations

from _seed import declare_seed_workloads

import gpumanifests as gm

REPO = gm.GitRepo(url="https://git.example.com/platform/gpumanifests.git", revision="main")
METAL = gm.NodeProfile.apple_metal()


def build(app: gm.GitOpsApp) -> None:
    """Declare the data-platform-local cluster."""
    cluster = gm.Cluster(
        app,
        "data-platform-local",
        nodes=[
            gm.Node(
                name="data-platform-local-control-plane",
                role=gm.NodeRole.CONTROL_PLANE,
                profile=gm.NodeProfile.cpu_only(),
                cpu="2",
                memory="4Gi",
            ),
            gm.Node(name="data-platform-local-worker", profile=METAL, gpus=1, cpu="8", memory="16Gi"),
        ],
        repo=REPO,
    )
    declare_seed_workloads(cluster, METAL)
