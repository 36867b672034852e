"""Multi-node training: an Indexed Job with a headless Service, placed all or nothing."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest
from ruamel.yaml import YAML

import gpumanifests as gm
from gpumanifests._placement.plan import FindingKind

from .test_kueue_constructs import A100, IMAGE, REPO

TORCHRUN = ["torchrun", "--nproc-per-node=8", "train.py"]


def _cluster(gpu_nodes: int = 2, gpus: int = 8) -> gm.Cluster:
    nodes = [gm.Node(name="cpu-1", profile=gm.NodeProfile.cpu_only())]
    nodes += [gm.Node(name=f"a100-{i}", profile=A100, gpus=gpus, cpu="96", memory="1Ti") for i in range(gpu_nodes)]
    return gm.Cluster(gm.GitOpsApp(), "lab", nodes=nodes, repo=REPO)


def _job(cluster: gm.Cluster, workers: int = 2, gpus: int = 8) -> gm.DistributedGpuJob:
    training = gm.Component(cluster, "training")
    return gm.DistributedGpuJob(
        training, "pretrain", profile=A100, workers=workers, gpus=gpus, image=IMAGE, command=TORCHRUN
    )


def _objects(cluster: gm.Cluster) -> dict[tuple[str, str], dict[str, Any]]:
    files = gm.synthesize(cluster.app).files
    documents = [YAML(typ="safe").load(content) for path, content in files.items() if path.endswith(".yaml")]
    return {(doc["kind"], doc["metadata"]["name"].partition("-")[0]): doc for doc in documents}


def test_renders_an_indexed_job_with_a_headless_service_and_rendezvous_env() -> None:
    cluster = _cluster()
    _job(cluster)
    objects = _objects(cluster)
    job = objects[("Job", "pretrain")]
    assert (job["spec"]["completionMode"], job["spec"]["completions"], job["spec"]["parallelism"]) == ("Indexed", 2, 2)
    pod = job["spec"]["template"]["spec"]
    assert pod["subdomain"] == "pretrain"
    env = {entry["name"]: entry for entry in pod["containers"][0]["env"]}
    assert env["MASTER_ADDR"]["value"] == "$(JOB_NAME)-0.pretrain"
    assert env["JOB_NAME"]["valueFrom"] == {
        "fieldRef": {"fieldPath": "metadata.labels['batch.kubernetes.io/job-name']"}
    }
    names = [entry["name"] for entry in pod["containers"][0]["env"]]
    assert names.index("JOB_NAME") < names.index("MASTER_ADDR")  # dependent variables are expanded in order
    assert env["MASTER_PORT"]["value"] == "29500"
    # torchrun's arguments default to PET_<DEST> (torch/distributed/argparse_util.py, the env action)
    assert env["PET_MASTER_ADDR"]["value"] == "$(MASTER_ADDR)"
    assert names.index("MASTER_ADDR") < names.index("PET_MASTER_ADDR")
    assert (env["PET_MASTER_PORT"]["value"], env["PET_NNODES"]["value"]) == ("29500", "2")
    assert env["PET_NODE_RANK"]["valueFrom"] == {
        "fieldRef": {"fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"}
    }
    service = objects[("Service", "pretrain")]["spec"]
    assert (service["clusterIP"], service["publishNotReadyAddresses"]) == ("None", True)
    peers = objects[("NetworkPolicy", "pretrain")]["spec"]
    assert peers["ingress"] == [{"from": [{"podSelector": peers["podSelector"]}]}]
    for doc in (job, objects[("Service", "pretrain")], objects[("NetworkPolicy", "pretrain")]):
        kubernetes_validate.validate(doc, cluster.kubernetes.version, strict=True)


def test_the_plan_places_every_worker_on_its_own_gpus() -> None:
    cluster = _cluster()
    _job(cluster)
    plan = gm.plan_cluster(cluster)
    placed = [placement.node for placement in plan.placements if placement.workload == "pretrain"]
    assert sorted(placed) == ["a100-0", "a100-1"]  # type: ignore[type-var]
    assert plan.violations == []


def test_a_group_that_fits_only_in_part_is_not_placed_at_all() -> None:
    """Three 8-GPU workers on two 8-GPU nodes: two would fit, but a partial group would only hold GPUs."""
    cluster = _cluster()
    _job(cluster, workers=3)
    follower = gm.GpuJob(gm.Component(cluster, "eval"), "eval", profile=A100, gpus=8, image=IMAGE)
    plan = gm.plan_cluster(cluster)
    [finding] = [f for f in plan.findings if f.workload == "lab/training/pretrain"]
    assert finding.kind == FindingKind.PARTIAL_GROUP
    assert (
        "needs its 3 pods running at once, but only 2 fit (a100-0, a100-1); no pod of it is placed"
        in finding.problem.message
    )
    assert all(p.node is None for p in plan.placements if p.workload == "pretrain")
    # the GPUs the partial group would have held are free for the next workload
    [eval_pod] = [p for p in plan.placements if p.workload == follower.name]
    assert eval_pod.node is not None
    with pytest.raises(gm.SynthError, match="needs its 3 pods running at once"):
        gm.synthesize(cluster.app)


def test_fails_on_a_single_worker() -> None:
    cluster = _cluster()
    with pytest.raises(gm.InvalidInputError, match="workers=1: Input should be greater than or equal to 2"):
        _job(cluster, workers=1)
