"""Properties of the placement plan on random clusters and workloads (hypothesis)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gpumanifests as gm
from gpumanifests._placement.plan import plan_cluster
from gpumanifests.scheduling import free_resources, pod_requests

from . import IMAGE, REPO

if TYPE_CHECKING:
    from collections.abc import Mapping

    from gpumanifests._placement.plan import Plan


def _custom_profile(index: int, *, gpu: bool, tainted: bool, effect: gm.TaintEffect, counted: bool) -> gm.NodeProfile:
    """A custom profile whose label (and resource) no other profile has."""
    key = f"example.com/pool-{index}"
    taints = (gm.Taint(key=key, value="yes", effect=effect),) if tainted else ()
    return gm.NodeProfile(
        name=f"custom-{index}",
        vendor=gm.Vendor.AMD if gpu else gm.Vendor.NONE,
        accelerator_labels={key: "true"},
        taints=taints,
        toleration_operator=gm.TolerationOperator.EXISTS if index % 2 else gm.TolerationOperator.EQUAL,
        gpu_resource=f"example.com/gpu-{index}" if gpu and counted else None,
    )


@st.composite
def profiles(draw: st.DrawFn) -> list[gm.NodeProfile]:
    """Some catalog profiles and some custom ones, all with distinct names and labels."""
    catalog = draw(
        st.lists(st.sampled_from(gm.NodeProfile.catalog()), min_size=1, max_size=5, unique_by=lambda p: p.name)
    )
    custom = [
        _custom_profile(
            index,
            gpu=draw(st.booleans()),
            tainted=draw(st.booleans()),
            effect=draw(st.sampled_from([gm.TaintEffect.NO_SCHEDULE, gm.TaintEffect.NO_EXECUTE])),
            counted=draw(st.booleans()),
        )
        for index in range(draw(st.integers(0, 2)))
    ]
    return catalog + custom


@dataclass(frozen=True)
class WorkloadSpec:
    kind: str
    profile: int
    gpus: int
    replicas: int


@dataclass(frozen=True)
class ClusterSpec:
    profiles: list[gm.NodeProfile]
    nodes: list[tuple[int, int, str, int]]
    workloads: list[WorkloadSpec]


@st.composite
def clusters(draw: st.DrawFn) -> ClusterSpec:
    pool = draw(profiles())
    nodes = draw(
        st.lists(
            st.tuples(
                st.integers(0, len(pool) - 1),
                st.integers(1, 4),
                st.sampled_from(["2", "4", "8"]),
                st.sampled_from([2, 4, 110]),
            ),
            min_size=1,
            max_size=20,
        )
    )
    workloads = draw(
        st.lists(
            st.builds(
                WorkloadSpec,
                kind=st.sampled_from(["GpuJob", "GpuDeployment", "CpuJob", "CpuDeployment"]),
                profile=st.integers(0, len(pool) - 1),
                gpus=st.integers(1, 3),
                replicas=st.integers(0, 3),
            ),
            max_size=6,
        )
    )
    return ClusterSpec(pool, nodes, workloads)


def _build(spec: ClusterSpec) -> gm.Cluster:
    nodes = [
        gm.Node(
            name=f"node-{index:02d}",
            profile=spec.profiles[profile],
            gpus=gpus if spec.profiles[profile].is_gpu else 0,
            cpu=cpu,
            memory="16Gi",
            max_pods=max_pods,
        )
        for index, (profile, gpus, cpu, max_pods) in enumerate(spec.nodes)
    ]
    cluster = gm.Cluster(gm.GitOpsApp(), "random", nodes=nodes, repo=REPO)
    component = gm.Component(cluster, "work")
    gpu_profiles = [profile for profile in spec.profiles if profile.is_gpu]
    for index, workload in enumerate(spec.workloads):
        name = f"w{index}"
        options: dict[str, Any] = {"image": IMAGE, "cpu": "500m"}
        if workload.kind.startswith("Gpu") and gpu_profiles:
            profile = gpu_profiles[workload.profile % len(gpu_profiles)]
            options |= {"profile": profile, "gpus": workload.gpus, "shared_memory": None}
        elif workload.kind.startswith("Gpu"):
            continue
        if workload.kind.endswith("Deployment"):
            options["replicas"] = workload.replicas
        getattr(gm, workload.kind)(component, name, **options)
    return cluster


def _has_room(pod: Mapping[str, Any], node: Mapping[str, Any], bound: list[Mapping[str, Any]]) -> bool:
    free = free_resources(node, bound)
    return free["pods"] >= 1 and all(
        amount <= free.get(name, 0) for name, amount in pod_requests(pod).items() if amount > 0
    )


def _check_invariants(cluster: gm.Cluster, plan: Plan) -> None:
    by_name = {node.name: node for node in cluster.nodes}
    objects = {name: node.to_node_object() for name, node in by_name.items()}
    specs = {workload.name: workload.pod_template_spec() for workload in cluster.workloads()}
    bound: dict[str, list[Mapping[str, Any]]] = {name: [] for name in by_name}
    for placement in plan.placements:
        pod = specs[placement.workload]
        if placement.profile is not None:
            expected = {
                name
                for name, node in by_name.items()
                if node.profile.name == placement.profile and _has_room(pod, objects[name], bound[name])
            }
            assert set(placement.eligible) == expected, placement
        else:
            for name in placement.eligible:
                node = by_name[name]
                assert not (node.profile.is_gpu and any(t.blocks_scheduling() for t in node.profile.taints)), placement
        assert (placement.node is None) == (not placement.eligible)
        assert set(placement.eligible) | {e.node for e in placement.excluded} == set(by_name)
        if placement.node is not None:
            assert placement.node in placement.eligible
            bound[placement.node].append(pod)


_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


@_SETTINGS
@given(clusters())
def test_eligibility_invariants(spec: ClusterSpec) -> None:
    cluster = _build(spec)
    _check_invariants(cluster, plan_cluster(cluster))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clusters(), st.randoms(use_true_random=False))
def test_plan_is_deterministic(spec: ClusterSpec, rng: Any) -> None:
    cluster = _build(spec)
    first = json.dumps(plan_cluster(cluster).to_json())
    assert json.dumps(plan_cluster(cluster).to_json()) == first
    objects = [node.to_node_object() for node in cluster.nodes]
    rng.shuffle(objects)
    again = plan_cluster(cluster, objects).to_json()
    assert json.dumps(again) == json.dumps(plan_cluster(cluster, objects).to_json())
    assert again["placements"] == json.loads(first)["placements"]
