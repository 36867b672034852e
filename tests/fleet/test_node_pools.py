"""Autoscaled GPU pools: a Karpenter NodePool per pool, born with its profile's labels and taints,
and a placement proof that counts a pool as up to its maximum size ("fits after scale-up to k of N")."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from helpers import crd_schema_errors

import gpumanifests as gm
from gpumanifests._placement.plan import FindingKind

REPO = gm.GitRepo(url="https://git.example.com/platform/gitops.git")
CPU = gm.NodeProfile.cpu_only()
A100 = gm.NodeProfile.nvidia_cuda(name="a100", product="NVIDIA-A100-SXM4-80GB")
BIG = gm.NodeProfile.nvidia_cuda(
    name="big",
    product=["NVIDIA-A100-SXM4-80GB", "NVIDIA-H100-80GB-HBM3"],
    min_memory="79Gi",  # an H100 80GB reports 81559 MiB
)
EC2 = gm.NodeClassRef(group="karpenter.k8s.aws", kind="EC2NodeClass", name="gpu")
P4DE = gm.NodeRequirement(key="karpenter.k8s.aws/instance-family", operator=gm.NodeOperator.IN, values=("p4de",))
IMAGE = "nvcr.io/nvidia/pytorch:24.10-py3"


def _pool(**overrides: Any) -> gm.NodePool:
    options: dict[str, Any] = {
        "name": "a100",
        "profile": A100,
        "max_nodes": 4,
        "gpus": 8,
        "cpu": "95",
        "memory": "1100Gi",
        "node_class": EC2,
        "requirements": (P4DE,),
    }
    return gm.NodePool(**(options | overrides))


def _cluster(*pools: gm.NodePool, nodes: tuple[gm.Node, ...] = ()) -> gm.Cluster:
    declared = [gm.Node(name="cpu-1", profile=CPU, cpu="8", memory="32Gi"), *nodes]
    return gm.Cluster(gm.GitOpsApp(), "lab", nodes=declared, pools=list(pools or (_pool(),)), repo=REPO)


def _jobs(cluster: gm.Cluster, *gpus: int, profile: gm.NodeProfile = A100) -> None:
    training = gm.Component(cluster, "training")
    for index, count in enumerate(gpus):
        gm.GpuJob(training, f"job-{index}", profile=profile, gpus=count, image=IMAGE)


def _documents(cluster: gm.Cluster) -> dict[tuple[str, str], dict[str, Any]]:
    files = gm.synthesize(cluster.app).files
    docs = [
        yaml.safe_load(content)
        for path, content in files.items()
        if path.endswith(".yaml") and "node-setup" not in path
    ]
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in docs}


# -- the NodePool object ---------------------------------------------------------------------------


def test_the_nodepool_carries_exactly_its_profiles_labels_and_taints() -> None:
    cluster = _cluster(
        _pool(
            profile=BIG,
            discovered_labels={"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3", "nvidia.com/gpu.memory": "81559"},
        )
    )
    _jobs(cluster, 8, profile=BIG)
    pool = _documents(cluster)[("NodePool", "a100")]
    template = pool["spec"]["template"]
    assert template["metadata"]["labels"] == BIG.node_labels
    assert template["spec"]["taints"] == [taint.to_dict() for taint in BIG.taints]
    # the profile's selectors join the machine requirements, so Karpenter knows every key the pods require
    assert template["spec"]["requirements"] == [P4DE.to_dict(), *(selector.to_dict() for selector in BIG.selectors)]
    assert template["spec"]["nodeClassRef"] == {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "gpu"}
    assert pool["spec"]["limits"] == {"nvidia.com/gpu": "32"}
    assert pool["spec"]["disruption"] == {"consolidationPolicy": "WhenEmpty", "consolidateAfter": "10m"}


def test_the_nodepool_validates_strictly_against_karpenters_crd() -> None:
    cluster = _cluster()
    _jobs(cluster, 8)
    assert crd_schema_errors(_documents(cluster)[("NodePool", "a100")]) == []


def test_pool_nodes_are_born_labelled_so_no_labelling_job_or_node_rbac_is_rendered() -> None:
    cluster = _cluster()
    _jobs(cluster, 8)
    documents = _documents(cluster)
    assert not [key for key in documents if key[0] in {"ClusterRole", "ClusterRoleBinding"}]
    assert not [key for key in documents if key[1].startswith("a100-node-labeller")]
    assert documents[("ConfigMap", "a100-gpu-config")]["data"]["node-pools"] == '{"a100": 4}'


def test_the_node_pools_component_claims_no_namespace_and_syncs_before_the_gpu_work() -> None:
    cluster = _cluster()
    _jobs(cluster, 8)
    files = gm.synthesize(cluster.app).files
    assert [path for path in files if path.startswith("clusters/lab/node-pools/")] == [
        "clusters/lab/node-pools/nodepool.karpenter.sh_a100.yaml"
    ]
    waves = {
        doc["metadata"]["name"]: int(doc["metadata"].get("annotations", {}).get("argocd.argoproj.io/sync-wave", "0"))
        for doc in _documents(cluster).values()
        if doc["kind"] == "Application"
    }
    assert waves["node-pools"] < waves["training"]


# -- placement: a pool is up to max_nodes nodes --------------------------------------------------


def test_work_fits_after_scale_up_to_the_fewest_pool_nodes() -> None:
    cluster = _cluster()
    _jobs(cluster, 8, 8, 4)
    plan = gm.plan_cluster(cluster)
    assert plan.violations == []
    assert plan.scale_ups() == {"a100": (3, 4)}
    assert "node pool a100: fits after scale-up to 3 of 4 nodes" in plan.format_table()
    assert [p.node for p in plan.placements if p.workload.startswith("job")] == [
        "a100-scale-up-1",
        "a100-scale-up-2",
        "a100-scale-up-3",
    ]


def test_nodes_that_exist_are_used_before_the_pool_scales_up() -> None:
    static = gm.Node(name="a100-static", profile=A100, gpus=8, cpu="95", memory="1100Gi")
    cluster = _cluster(nodes=(static,))
    _jobs(cluster, 8, 4)
    plan = gm.plan_cluster(cluster)
    assert [p.node for p in plan.placements if p.workload.startswith("job")] == ["a100-static", "a100-scale-up-1"]
    assert plan.scale_ups() == {"a100": (1, 4)}


def test_work_beyond_the_pools_maximum_overflows_with_a_fix_naming_the_pool() -> None:
    cluster = _cluster(_pool(max_nodes=2))
    _jobs(cluster, 8, 8, 8)
    [finding] = [f for f in gm.plan_cluster(cluster).findings if f.kind == FindingKind.OVERFLOW]
    assert "a larger max_nodes on node pool 'a100'" in finding.problem.fix
    with pytest.raises(gm.SynthError, match="overflows the cluster"):
        gm.synthesize(cluster.app)


def test_pool_nodes_that_already_exist_count_against_its_maximum() -> None:
    cluster = _cluster()
    _jobs(cluster, 8)
    running = _pool().node(1).to_node_object()
    running["metadata"]["name"] = "ip-10-0-1-17.ec2.internal"  # Karpenter's names are the provider's
    plan = gm.plan_cluster(cluster, [gm.Node(name="cpu-1", profile=CPU).to_node_object(), running])
    assert plan.scale_ups() == {"a100": (0, 3)}
    assert [p.node for p in plan.placements if p.workload == "job-0"] == ["ip-10-0-1-17.ec2.internal"]


def test_a_pools_capacity_at_its_maximum_is_its_profiles_kueue_quota() -> None:
    cluster = _cluster()
    queue = gm.ClusterQueue(gm.Component(cluster, "queues", namespace="kueue-system"), "batch", profiles=[A100])
    assert queue.nominal_quota(A100) == {"cpu": "380", "memory": "4400Gi", "nvidia.com/gpu": "32"}


# -- mistakes --------------------------------------------------------------------------------------


def test_a_pool_without_a_gpu_resource_is_refused() -> None:
    with pytest.raises(
        gm.InvalidInputError, match=r"node pool 'a100' has profile 'cpu', which advertises no GPU resource"
    ):
        _pool(profile=CPU)


def test_a_pools_nodes_must_meet_its_profiles_selectors() -> None:
    with pytest.raises(gm.InvalidInputError, match=r"would not meet profile 'big''s selector\(s\)"):
        _pool(profile=BIG)


def test_pool_names_may_not_clash_with_declared_nodes_or_each_other() -> None:
    clash = gm.Node(name="a100-scale-up-2", profile=A100, gpus=8)
    with pytest.raises(gm.InvalidInputError, match=r"clashing: a100-scale-up-2"):
        _cluster(nodes=(clash,))
    with pytest.raises(gm.InvalidInputError, match=r"clashing: a100"):
        _cluster(_pool(), _pool())
