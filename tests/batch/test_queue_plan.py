"""The plan understands queues: Kueue's verdict on every queued Job, checked against hand-worked quotas."""

from __future__ import annotations

import pytest

import gpumanifests as gm
from gpumanifests._placement.plan import FindingKind
from gpumanifests._placement.queues import Outcome

from .test_kueue_constructs import A100, IMAGE, REPO

L4 = A100.model_copy(update={"name": "l4", "accelerator_labels": {"nvidia.com/gpu.product": "NVIDIA-L4"}})


def _cluster(a100_gpus: int = 8, l4_gpus: int = 0) -> gm.Cluster:
    nodes = [gm.Node(name="cpu-1", profile=gm.NodeProfile.cpu_only(), cpu="8", memory="32Gi")]
    nodes.append(gm.Node(name="a100-1", profile=A100, gpus=a100_gpus, cpu="96", memory="1Ti"))
    if l4_gpus:
        nodes.append(gm.Node(name="l4-1", profile=L4, gpus=l4_gpus, cpu="48", memory="256Gi"))
    return gm.Cluster(gm.GitOpsApp(), "lab", nodes=nodes, repo=REPO)


def _jobs(cluster: gm.Cluster, queue: gm.ClusterQueue, gpus: list[int], profile: gm.NodeProfile = A100) -> None:
    training = gm.Component(cluster, "training")
    for index, count in enumerate(gpus):
        gm.GpuJob(training, f"job-{index}", profile=profile, gpus=count, cpu="2", memory="4Gi", image=IMAGE).enqueue(
            queue
        )


def _outcomes(cluster: gm.Cluster) -> dict[str, tuple[Outcome, str]]:
    return {a.workload: (a.verdict.outcome, a.verdict.message) for a in gm.plan_cluster(cluster).queued}


def test_eight_gpus_admit_two_four_gpu_jobs_and_keep_the_third_waiting() -> None:
    cluster = _cluster()
    queue = gm.ClusterQueue(gm.Component(cluster, "queues"), "batch", profiles=[A100])
    _jobs(cluster, queue, [4, 4, 4])
    outcomes = _outcomes(cluster)
    assert [outcome for outcome, _ in outcomes.values()] == [Outcome.ADMITTED, Outcome.ADMITTED, Outcome.WAITING]
    assert "insufficient unused quota for nvidia.com/gpu in flavor a100, 4 more needed" in outcomes["job-2"][1]
    assert gm.plan_cluster(cluster).queued[0].verdict.flavors == {
        "main": {"cpu": "a100", "memory": "a100", "nvidia.com/gpu": "a100"}
    }


def test_a_job_above_the_flavors_total_quota_is_never_admitted_and_fails_the_synth() -> None:
    cluster = _cluster()
    queue = gm.ClusterQueue(
        gm.Component(cluster, "queues"), "batch", profiles=[A100], quotas={"a100": {"nvidia.com/gpu": 4}}
    )
    _jobs(cluster, queue, [8])
    [finding] = [f for f in gm.plan_cluster(cluster).findings if f.kind == FindingKind.NEVER_ADMITTED]
    assert "Kueue can never admit 'job-0' through ClusterQueue 'batch'" in finding.problem.message
    assert "current podset request (8) > maximum capacity (4)" in finding.problem.message
    with pytest.raises(gm.SynthError, match="Kueue can never admit 'job-0'"):
        gm.synthesize(cluster.app)


def test_a_queue_borrows_idle_quota_from_its_cohort_up_to_its_borrowing_limit() -> None:
    cluster = _cluster(a100_gpus=8)
    queues = gm.Component(cluster, "queues")
    research = gm.ClusterQueue(
        queues,
        "research",
        profiles=[A100],
        cohort="lab",
        quotas={"a100": {"nvidia.com/gpu": 4}},
        borrowing_limits={"a100": {"nvidia.com/gpu": 2}},
    )
    gm.ClusterQueue(queues, "prod", profiles=[A100], cohort="lab", quotas={"a100": {"nvidia.com/gpu": 4}})
    _jobs(cluster, research, [4, 2, 2])
    outcomes = _outcomes(cluster)
    assert outcomes["job-0"][0] is Outcome.ADMITTED
    borrowed = gm.plan_cluster(cluster).queued[1]
    assert (borrowed.verdict.outcome, borrowed.verdict.borrows) == (Outcome.ADMITTED, True)  # 2 of prod's idle 4
    assert outcomes["job-2"][0] is Outcome.WAITING  # 4 + 2 + 2 > 4 nominal + 2 borrowing limit


def test_flavors_are_tried_in_order_and_a_full_one_falls_back_to_the_next() -> None:
    """An untargeted CPU Job would take any flavor: GPU Jobs name their profile, so they get its flavor."""
    cluster = _cluster(a100_gpus=4, l4_gpus=4)
    queue = gm.ClusterQueue(gm.Component(cluster, "queues"), "batch", profiles=[A100, L4])
    _jobs(cluster, queue, [4])
    gm.GpuJob(gm.Component(cluster, "infer"), "l4-job", profile=L4, gpus=4, cpu="2", memory="4Gi", image=IMAGE).enqueue(
        queue
    )
    admissions = gm.plan_cluster(cluster).queued
    assert [a.verdict.flavors["main"]["nvidia.com/gpu"] for a in admissions] == ["a100", "l4"]


def test_a_distributed_job_is_admitted_whole_or_not_at_all() -> None:
    cluster = _cluster(a100_gpus=8)
    queue = gm.ClusterQueue(gm.Component(cluster, "queues"), "batch", profiles=[A100])
    training = gm.Component(cluster, "training")
    job = gm.DistributedGpuJob(
        training, "pretrain", profile=A100, workers=3, gpus=4, cpu="2", memory="4Gi", image=IMAGE
    )
    job.enqueue(queue)
    [admission] = gm.plan_cluster(cluster).queued
    assert admission.verdict.outcome is Outcome.INADMISSIBLE  # 3 x 4 GPUs > 8: never, not 2 of 3
    assert "current podset request (12) > maximum capacity (8)" in admission.verdict.message


def test_the_plan_table_and_json_show_the_queue_verdicts() -> None:
    cluster = _cluster()
    queue = gm.ClusterQueue(gm.Component(cluster, "queues"), "batch", profiles=[A100])
    _jobs(cluster, queue, [4])
    plan = gm.plan_cluster(cluster)
    assert (
        "Kueue admission (every queued Job pending at once, none finished):\n  job-0: Admitted" in plan.format_table()
    )
    [queued] = plan.to_json()["queued"]
    assert (queued["clusterQueue"], queued["outcome"], queued["borrows"]) == ("batch", "Admitted", False)


def test_a_job_kueue_keeps_waiting_is_not_placed_and_is_no_overflow() -> None:
    cluster = _cluster(a100_gpus=8)
    queue = gm.ClusterQueue(gm.Component(cluster, "queues"), "batch", profiles=[A100])
    _jobs(cluster, queue, [8, 4])
    plan = gm.plan_cluster(cluster)
    [waiting] = [p for p in plan.placements if p.workload == "job-1"]
    assert (waiting.node, waiting.waiting_for, waiting.where) == (None, "batch", "(waiting for batch)")
    assert [p.node for p in plan.placements if p.workload == "job-0"] == ["a100-1"]
    assert plan.violations == []
    assert "(waiting for batch)" in plan.format_table()
    readme = gm.synthesize(cluster.app).files["clusters/lab/README.md"].decode()
    assert 'subgraph waiting["waiting for Kueue quota"]' in readme
    assert "1 pod(s) wait for quota" in readme
