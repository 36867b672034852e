"""Kueue derived from the cluster: flavors equal their profiles, quotas equal the node sums, Jobs carry their queue."""

from __future__ import annotations

from typing import Any

import pytest
from ruamel.yaml import YAML

import gpumanifests as gm

REPO = gm.GitRepo(url="https://git.example.com/platform/gitops.git")
A100 = gm.NodeProfile(
    name="a100",
    vendor=gm.Vendor.NVIDIA,
    accelerator_labels={"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"},
    pool_labels={"node-role": "gpu-worker"},
    taints=(gm.Taint(key="nvidia.com/gpu", value="present", effect=gm.TaintEffect.NO_SCHEDULE),),
    toleration_operator=gm.TolerationOperator.EXISTS,
    gpu_resource="nvidia.com/gpu",
)
IMAGE = "nvcr.io/nvidia/pytorch:24.10-py3"


def _cluster() -> gm.Cluster:
    nodes = [
        gm.Node(name="cpu-1", profile=gm.NodeProfile.cpu_only(), cpu="8", memory="32Gi"),
        gm.Node(name="a100-1", profile=A100, gpus=8, cpu="96", memory="1Ti"),
        gm.Node(name="a100-2", profile=A100, gpus=4, cpu="48", memory="512Gi"),
    ]
    return gm.Cluster(gm.GitOpsApp(), "lab", nodes=nodes, repo=REPO)


def _objects(cluster: gm.Cluster) -> dict[tuple[str, str], dict[str, Any]]:
    documents = [
        YAML(typ="safe").load(content)
        for path, content in gm.synthesize(cluster.app).files.items()
        if path.endswith(".yaml")
    ]
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in documents}


def _queued(**queue_options: Any) -> tuple[gm.Cluster, gm.ClusterQueue, gm.GpuJob]:
    cluster = _cluster()
    batch = gm.ClusterQueue(gm.Component(cluster, "queues", namespace="kueue-system"), "gpu-batch", **queue_options)
    job = gm.GpuJob(gm.Component(cluster, "training"), "finetune", profile=A100, gpus=4, image=IMAGE)
    job.enqueue(batch, priority=gm.WorkloadPriority(name="high", value=1000))
    return cluster, batch, job


def test_each_flavor_carries_exactly_its_profiles_labels_and_taints() -> None:
    cluster, _, _ = _queued()
    objects = _objects(cluster)
    flavor = objects[("ResourceFlavor", "a100")]["spec"]
    assert flavor["nodeLabels"] == A100.node_labels
    assert flavor["nodeTaints"] == [taint.to_dict() for taint in A100.taints]
    assert "tolerations" not in flavor  # Kueue would inject them into CPU Jobs too; GPU Jobs tolerate themselves
    assert objects[("ResourceFlavor", "cpu")]["spec"] == {}


def test_the_default_quota_is_the_sum_over_each_flavors_nodes() -> None:
    cluster, _, _ = _queued()
    [group] = _objects(cluster)[("ClusterQueue", "gpu-batch")]["spec"]["resourceGroups"]
    assert group["coveredResources"] == ["cpu", "memory", "nvidia.com/gpu"]
    quotas = {
        flavor["name"]: {r["name"]: r["nominalQuota"] for r in flavor["resources"]} for flavor in group["flavors"]
    }
    assert quotas == {
        "a100": {"cpu": "144", "memory": "1536Gi", "nvidia.com/gpu": "12"},
        "cpu": {"cpu": "8", "memory": "32Gi", "nvidia.com/gpu": "0"},
    }
    assert [flavor["name"] for flavor in group["flavors"]] == ["a100", "cpu"]  # GPU flavors first


def test_quotas_borrowing_cohort_and_preemption_can_be_set() -> None:
    cluster, _, _ = _queued(
        profiles=[A100],
        quotas={"a100": {"nvidia.com/gpu": 8}},
        borrowing_limits={"a100": {"nvidia.com/gpu": "4"}},
        cohort="research",
        preemption=gm.Preemption(within_cluster_queue=gm.PreemptionPolicy.LOWER_PRIORITY),
        queueing_strategy=gm.QueueingStrategy.STRICT_FIFO,
    )
    spec = _objects(cluster)[("ClusterQueue", "gpu-batch")]["spec"]
    [flavor] = spec["resourceGroups"][0]["flavors"]
    gpu = next(resource for resource in flavor["resources"] if resource["name"] == "nvidia.com/gpu")
    assert gpu == {"name": "nvidia.com/gpu", "nominalQuota": "8", "borrowingLimit": "4"}
    assert spec["cohortName"] == "research"
    assert spec["preemption"] == {"reclaimWithinCohort": "Never", "withinClusterQueue": "LowerPriority"}
    assert spec["queueingStrategy"] == "StrictFIFO"


def test_a_queued_job_names_a_local_queue_in_its_namespace_and_its_priority_class() -> None:
    cluster, _, _ = _queued()
    objects = _objects(cluster)
    [job] = [doc for (kind, _), doc in objects.items() if kind == "Job" and doc["metadata"]["namespace"] == "training"]
    labels = job["metadata"]["labels"]
    assert labels["kueue.x-k8s.io/queue-name"] == "gpu-batch"
    assert labels["kueue.x-k8s.io/priority-class"] == "high"
    assert "suspend" not in job["spec"]  # Kueue's webhook suspends it; Argo CD must not own the field
    local = objects[("LocalQueue", "gpu-batch")]
    assert (local["metadata"]["namespace"], local["spec"]["clusterQueue"]) == ("training", "gpu-batch")
    assert objects[("WorkloadPriorityClass", "high")]["value"] == 1000


def test_the_application_leaves_kueues_fields_to_kueue_and_syncs_after_the_queue() -> None:
    cluster, _, _ = _queued()
    objects = _objects(cluster)
    training = objects[("Application", "training")]
    assert training["spec"]["ignoreDifferences"] == [
        {"group": "batch", "kind": "Job", "jqPathExpressions": [".spec.suspend"], "managedFieldsManagers": ["kueue"]}
    ]
    assert "RespectIgnoreDifferences=true" in training["spec"]["syncPolicy"]["syncOptions"]
    wave = "argocd.argoproj.io/sync-wave"
    assert int(training["metadata"]["annotations"][wave]) > int(
        objects[("Application", "queues")]["metadata"]["annotations"][wave]
    )
    assert "ignoreDifferences" not in objects[("Application", "queues")]["spec"]


def test_queue_objects_name_kueue_as_a_prerequisite() -> None:
    cluster, _, _ = _queued()
    readme = gm.synthesize(cluster.app).files["clusters/lab/README.md"].decode()
    assert "- Kueue: ClusterQueue, LocalQueue, ResourceFlavor, WorkloadPriorityClass (kueue.x-k8s.io" in readme


def test_the_seed_clusters_stay_without_kueue() -> None:
    from pathlib import Path

    committed = Path(__file__).resolve().parents[2] / "gitops"
    assert not list(committed.glob("clusters/data-platform-*/**/*kueue*"))


def test_fails_on_a_queue_over_a_profile_the_cluster_has_no_node_of() -> None:
    cluster = _cluster()
    with pytest.raises(gm.InvalidInputError, match="profiles: 'amd' has no node in cluster 'lab'"):
        gm.ClusterQueue(gm.Component(cluster, "queues"), "q", profiles=[gm.NodeProfile.amd_rocm()])


def test_fails_on_a_quota_for_a_resource_the_queue_does_not_cover() -> None:
    cluster = _cluster()
    with pytest.raises(gm.InvalidInputError, match=r"quotas\['a100'\]: amd.com/gpu not covered"):
        gm.ClusterQueue(gm.Component(cluster, "queues"), "q", profiles=[A100], quotas={"a100": {"amd.com/gpu": 1}})


def test_fails_on_enqueueing_to_something_that_is_not_a_cluster_queue() -> None:
    cluster = _cluster()
    job = gm.GpuJob(gm.Component(cluster, "training"), "finetune", profile=A100, image=IMAGE)
    with pytest.raises(gm.InvalidInputError, match=r"enqueue: queue=.gpu-batch.: expected a gm\.ClusterQueue"):
        job.enqueue("gpu-batch")  # type: ignore[arg-type]


def test_fails_on_one_priority_class_with_two_values() -> None:
    cluster, batch, _ = _queued()
    other = gm.GpuJob(gm.Component(cluster, "eval"), "score", profile=A100, image=IMAGE)
    other.enqueue(batch, priority=gm.WorkloadPriority(name="high", value=10))
    with pytest.raises(gm.SynthError, match="WorkloadPriority 'high' is used with value 1000 and 10"):
        gm.synthesize(cluster.app)
