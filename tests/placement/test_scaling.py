"""The placement proof scales: incremental node accounting, exactly the filters of check_fit.

A generated cluster of ~2,000 pods on 40 nodes must plan within a generous time bound (the
per-check re-summing of bound pods took minutes), and on a smaller, tightly packed cluster the
plan must equal a slow reference that calls :func:`check_fit` for every replica on every node
with the pods bound so far, as the documented choice rule says.
"""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING, Any

import pytest

import gpumanifests as gm
from gpumanifests._placement.plan import FindingKind, plan_cluster
from gpumanifests.scheduling import RESOURCE_PLUGIN, check_fit

from . import CPU, IMAGE, NVIDIA, REPO, open_gpu_profile

if TYPE_CHECKING:
    from collections.abc import Mapping

    from gpumanifests._constructs.workloads import Workload
    from gpumanifests._placement.plan import Plan
    from gpumanifests.scheduling import FitResult

AMD = gm.NodeProfile.amd_rocm()
OPEN = open_gpu_profile()
# INTEL has no node anywhere: its workloads fit no node.
INTEL = gm.NodeProfile.intel_gpu()


def _generated_cluster(*, seed: int, nodes: int, workloads: int, roomy: bool) -> gm.Cluster:
    """Nodes of three GPU profiles (one untainted) and CPU nodes; mixed workloads, some with no node.

    ``roomy`` sizes nodes for most pods to fit; otherwise capacity is tight, so pods overflow
    and exclusions carry every kind of NodeResourcesFit reason.
    """
    rng = random.Random(seed)
    pools = [NVIDIA, AMD, OPEN, CPU]
    cluster_nodes = []
    for index in range(nodes):
        profile = pools[index % len(pools)]
        cluster_nodes.append(
            gm.Node(
                name=f"node-{rng.randrange(1000):03d}-{index:02d}",
                profile=profile,
                gpus=rng.randint(4, 8) if profile.is_gpu and roomy else rng.randint(1, 3) if profile.is_gpu else 0,
                cpu=rng.choice(["48", "64"] if roomy else ["2", "4", "6"]),
                memory=rng.choice(["192Gi", "256Gi"] if roomy else ["4Gi", "8Gi"]),
                max_pods=rng.randint(55, 70) if roomy else rng.randint(2, 6),
            )
        )
    cluster = gm.Cluster(gm.GitOpsApp(), "generated", nodes=cluster_nodes, repo=REPO)
    component = None
    for index in range(workloads):
        if index % 25 == 0:
            component = gm.Component(cluster, f"team-{index // 25:02d}")
        kind = "GpuJob" if index == 0 else rng.choice(["GpuJob", "GpuDeployment", "CpuJob", "CpuDeployment"])
        options: dict[str, Any] = {
            "image": IMAGE,
            "cpu": rng.choice(["250m", "500m", "1", "1500m"]),
            "cpu_limit": "2",
            "memory": rng.choice(["256Mi", "512Mi", "1Gi"]),
            "memory_limit": "2Gi",
        }
        if kind.startswith("Gpu"):
            profile = INTEL if index == 0 else rng.choice([NVIDIA, AMD, OPEN])
            options |= {"profile": profile, "gpus": rng.randint(1, 2), "shared_memory": None}
        if kind.endswith("Deployment"):
            options["replicas"] = rng.randint(0, 4)
        getattr(gm, kind)(component, f"w{index:04d}", **options)
    return cluster


def _reference(cluster: gm.Cluster, plan: Plan) -> tuple[list[dict[str, Any]], list[tuple[str, str, str]]]:
    """The plan's placements and finding keys, computed the slow way with plain check_fit."""
    nodes = sorted(plan.nodes, key=lambda node: node.name)
    indexed = list(enumerate(cluster.workloads()))
    indexed.sort(key=lambda item: (not item[1].gpus, -item[1].gpus, item[0]))
    bound: dict[str, list[Mapping[str, Any]]] = {node.name: [] for node in nodes}
    placements: list[dict[str, Any]] = []
    findings: list[tuple[str, str, str]] = []
    for _, workload in indexed:
        spec = workload.pod_template_spec()
        empty = {node.name: check_fit(spec, node.obj) for node in nodes}
        findings.extend(_admission_keys(workload, nodes, empty))
        if not any(empty.values()):
            findings.append((FindingKind.UNSCHEDULABLE, workload.path, ""))
        overflow = False
        for replica in range(workload.replicas):
            results = {node.name: check_fit(spec, node.obj, existing_pods=bound[node.name]) for node in nodes}
            eligible = [name for name, result in results.items() if result]
            chosen = min(eligible, key=lambda name: (len(bound[name]), name), default=None)
            if chosen is not None:
                bound[chosen].append(spec)
            overflow |= chosen is None and any(empty.values())
            placements.append(
                {
                    "pod": f"{workload.name}-{replica}",
                    "node": chosen,
                    "eligible": eligible,
                    "excluded": [
                        {"node": name, "reasons": _first_rejecting(result)}
                        for name, result in results.items()
                        if not result
                    ],
                }
            )
        if overflow:
            findings.append((FindingKind.OVERFLOW, workload.path, ""))
    findings += _stalled_rollouts(cluster, nodes, bound)
    return placements, findings


def _stalled_rollouts(
    cluster: gm.Cluster, nodes: Any, bound: dict[str, list[Mapping[str, Any]]]
) -> list[tuple[str, str, str]]:
    """Deployments that must surge (maxUnavailable resolves to 0) where no node takes one more pod.

    The strategy as the API defaults it (25% each) and the controller rounds it (surge up,
    unavailable down; both 0 means one unavailable).
    """
    stalled = []
    for workload in cluster.workloads():
        manifest = workload.render()[0].manifest
        if manifest["kind"] != "Deployment" or not workload.replicas:
            continue
        rolling = manifest["spec"].get("strategy", {}).get("rollingUpdate", {})
        surge, unavailable = rolling.get("maxSurge", "25%"), rolling.get("maxUnavailable", "25%")
        replicas = workload.replicas
        surge = -(-int(surge[:-1]) * replicas // 100) if isinstance(surge, str) else surge
        unavailable = int(unavailable[:-1]) * replicas // 100 if isinstance(unavailable, str) else unavailable
        spec = workload.pod_template_spec()
        room = any(check_fit(spec, node.obj, existing_pods=bound[node.name]) for node in nodes)
        if surge and not unavailable and not room:
            stalled.append((FindingKind.ROLLOUT_STALLS, workload.path, ""))
    return stalled


def _first_rejecting(result: FitResult) -> list[str]:
    """The reasons as the plan reports them: kube-scheduler stops at the first rejecting filter, and
    NodeResourcesFit runs after the filters that ignore resources.
    """
    admission = [str(reason) for reason in result.reasons if reason.plugin != RESOURCE_PLUGIN]
    return admission or [str(reason) for reason in result.reasons]


def _admission_keys(workload: Workload[Any], nodes: Any, empty: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    gpus = workload.gpus
    profile = getattr(workload, "profile", None) if gpus else None
    keys = []
    for node in nodes:
        if not empty[node.name]:
            continue
        if profile is not None and node.profile != profile.name:
            keys.append((FindingKind.WRONG_NODE, workload.path, node.name))
        elif profile is None and node.is_gpu:
            keys.append((FindingKind.CPU_ON_GPU, workload.path, node.name))
    return keys


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_plan_equals_the_slow_check_fit_reference(seed: int) -> None:
    cluster = _generated_cluster(seed=seed, nodes=12, workloads=70, roomy=False)
    plan = plan_cluster(cluster)
    placements, findings = _reference(cluster, plan)
    actual = [
        {key: placement[key] for key in ("pod", "node", "eligible", "excluded")}
        for placement in plan.to_json()["placements"]
    ]
    assert actual == placements
    assert [(f.kind, f.workload, f.node) for f in plan.findings] == findings
    # The generated cluster exercises every branch: overflow, fits-no-node, resource reasons.
    kinds = {finding.kind for finding in plan.findings}
    assert {FindingKind.OVERFLOW, FindingKind.UNSCHEDULABLE, FindingKind.CPU_ON_GPU} <= kinds
    reasons = " ".join(reason for placement in placements for e in placement["excluded"] for reason in e["reasons"])
    assert "Too many pods" in reasons
    assert "Insufficient nvidia.com/gpu" in reasons
    assert "Insufficient cpu" in reasons or "Insufficient memory" in reasons


def test_plan_of_two_thousand_pods_on_forty_nodes_is_fast() -> None:
    cluster = _generated_cluster(seed=7, nodes=40, workloads=1600, roomy=True)
    for workload in cluster.workloads():
        workload.pod_template_spec()  # render first: only the placement is timed
    start = time.perf_counter()
    plan = plan_cluster(cluster)
    elapsed = time.perf_counter() - start
    assert len(plan.placements) >= 1800
    assert sum(placement.node is not None for placement in plan.placements) >= 1000
    assert elapsed < 5.0, f"planning {len(plan.placements)} pods on 40 nodes took {elapsed:.1f}s"
