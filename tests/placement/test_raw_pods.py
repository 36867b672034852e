"""Pods of raw L1 objects are checked to fit some node: the escape hatch cannot commit a pod that never schedules."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import RESTRICTED_L1_CONTEXT

import gpumanifests as gm

from . import IMAGE, NVIDIA, cpu_node, gpu_node, make_cluster

k8s = gm.k8s


def _gpu_cron_job(component: gm.Component, **pod: Any) -> None:
    container = k8s.Container(
        name="bench",
        image=IMAGE,
        security_context=RESTRICTED_L1_CONTEXT,
        resources=k8s.ResourceRequirements(limits={"nvidia.com/gpu": k8s.Quantity.from_string("1")}),
    )
    template = k8s.PodTemplateSpec(spec=k8s.PodSpec(containers=[container], restart_policy="Never", **pod))
    k8s.KubeCronJob(
        component,
        "bench",
        metadata={"name": "bench"},
        spec=k8s.CronJobSpec(schedule="@daily", job_template=k8s.JobTemplateSpec(spec=k8s.JobSpec(template=template))),
    )


def test_a_raw_gpu_cron_job_without_the_toleration_is_refused() -> None:
    cluster = make_cluster([cpu_node(), gpu_node("gpu-1")])
    _gpu_cron_job(gm.Component(cluster, "bench"))
    with pytest.raises(gm.SynthError) as error:
        gm.synthesize(cluster.app)
    [problem] = error.value.problems
    assert problem.path == "test-cluster/bench/CronJob/bench"
    assert "CronJob 'bench': its pods fit no node of cluster 'test-cluster', even an empty one" in problem.message
    assert "gpu-1: TaintToleration: untolerated taint nvidia.com/gpu=present:NoSchedule" in problem.message
    assert "cpu-1: NodeResourcesFit: Insufficient nvidia.com/gpu" in problem.message


def test_the_same_job_tolerating_the_gpu_taint_is_accepted() -> None:
    cluster = make_cluster([cpu_node(), gpu_node("gpu-1")])
    toleration = k8s.Toleration(key="nvidia.com/gpu", operator="Exists", effect="NoSchedule")
    _gpu_cron_job(gm.Component(cluster, "bench"), tolerations=[toleration])
    gm.GpuJob(gm.Component(cluster, "ml"), "train", profile=NVIDIA, image=IMAGE)  # the node's taint is used
    assert gm.synthesize(cluster.app).files
