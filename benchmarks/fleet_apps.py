"""The benchmark fleet as app files: ten clusters, each in its own app file, sharing one ``_shared.py``.

Workload ``i`` goes to cluster ``i % 10`` and cycles through ``GpuJob``, ``GpuDeployment``, ``CpuJob``
and ``CpuDeployment``; each cluster runs two of four GPU profiles (Apple Metal, NVIDIA, AMD, Intel)
and gets enough CPU and GPU nodes for its pods. Every cluster runs its own Argo CD.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

CLUSTERS = 10
WORKLOADS_PER_COMPONENT = 25
_KINDS = ("GpuJob", "GpuDeployment", "CpuJob", "CpuDeployment")

_SHARED = '''"""Shared by every cluster app of the benchmark fleet: the profiles and the repository."""

import gpumanifests as gm

PROFILES = [
    gm.NodeProfile.apple_metal(),
    gm.NodeProfile.nvidia_cuda(runtime_class_name="nvidia"),
    gm.NodeProfile.amd_rocm(),
    gm.NodeProfile.intel_gpu(),
]
CPU = gm.NodeProfile.cpu_only()
REPO = gm.GitRepo(url="https://git.example.com/platform/fleet.git", revision="main")
'''


def _workload(index: int, profiles: list[int], gpu_pods: list[int]) -> tuple[str, int]:
    """One workload declaration (a line of ``build``) and its pod count."""
    kind = _KINDS[(index // CLUSTERS) % 4]
    replicas = 1 + (index // 7) % 2 if kind.endswith("Deployment") else 1
    common = (
        f'command=["python", "-m", "app", "--shard={index}"], '
        f'env={{"SHARD": "{index}", "LOG_LEVEL": "info"}}, labels={{"team": "t{index % 13}"}}'
    )
    deployment = f", replicas={replicas}" + (", port=8080" if index % 2 else "") if kind.endswith("Deployment") else ""
    name = f"w{index:05d}"
    if kind.startswith("Gpu"):
        pool = (index // 40) % 2
        gpu_pods[pool] += replicas
        image = "ghcr.io/example/trainer:1.4.2" if index % 3 else f"ghcr.io/example/gpu-{pool}:2.0.1"
        framework = "PYTORCH" if index % 2 else "TENSORFLOW"
        return (
            f'    gm.{kind}(team, "{name}", profile=PROFILES[{profiles[pool]}], image="{image}", '
            f"framework=gm.Framework.{framework}, gpus=1{deployment}, {common})",
            0,
        )
    image = "busybox:1.36.1" if kind == "CpuJob" else "registry.k8s.io/e2e-test-images/agnhost:2.52"
    return f'    gm.{kind}(team, "{name}", image="{image}"{deployment}, {common})', replicas


def _app_file(cluster: int, indices: list[int]) -> str:
    profiles = [cluster % 4, (cluster + 1) % 4]
    gpu_pods = [0, 0]
    cpu_pods = 0
    lines = []
    for position, index in enumerate(indices):
        if position % WORKLOADS_PER_COMPONENT == 0:
            team = f"team-{position // WORKLOADS_PER_COMPONENT:03d}"
            lines.append(f'    team = gm.Component(cluster, "{team}", namespace="{team}")')
        line, pods = _workload(index, profiles, gpu_pods)
        lines.append(line)
        cpu_pods += pods
    nodes = [
        f'gm.Node(name="cpu-{n}", profile=CPU, cpu="64", memory="256Gi")' for n in range(math.ceil(cpu_pods / 100) + 1)
    ]
    for pool, profile in enumerate(profiles):
        nodes += [
            f'gm.Node(name="gpu{pool}-{n}", profile=PROFILES[{profile}], gpus=8, cpu="128", memory="1024Gi")'
            for n in range(math.ceil(gpu_pods[pool] / 8) + 1)
        ]
    node_list = "".join(f"            {node},\n" for node in nodes)
    body = "\n".join(lines)
    return f'''"""Cluster fleet-{cluster:02d} of the benchmark fleet."""

from _shared import CPU, PROFILES, REPO

import gpumanifests as gm


def build(app: gm.GitOpsApp) -> None:
    cluster = gm.Cluster(
        app,
        "fleet-{cluster:02d}",
        nodes=[
{node_list}        ],
        repo=REPO,
    )
{body}
'''


def write_fleet(apps: Path, workloads: int) -> None:
    """Write the fleet of ``workloads`` workloads into the directory ``apps``."""
    apps.mkdir(parents=True, exist_ok=True)
    (apps / "_shared.py").write_text(_SHARED, encoding="utf-8")
    for cluster in range(CLUSTERS):
        indices = list(range(cluster, workloads, CLUSTERS))
        (apps / f"cluster_{cluster:02d}.py").write_text(_app_file(cluster, indices), encoding="utf-8")


def change_one_image(apps: Path, run: int) -> None:
    """Change the image of the first workload of one of the ten app files (a new one on every ``run``)."""
    app = apps / f"cluster_{CLUSTERS // 2:02d}.py"
    text = app.read_text(encoding="utf-8")
    start = text.index('image="') + len('image="')
    end = text.index('"', start)
    app.write_text(f"{text[:start]}busybox:1.36.{run + 2}{text[end:]}", encoding="utf-8")


if __name__ == "__main__":  # python benchmarks/fleet_apps.py DIR WORKLOADS: write a fleet to time by hand
    write_fleet(Path(sys.argv[1]), int(sys.argv[2]))
