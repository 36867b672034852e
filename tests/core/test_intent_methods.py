"""Intent methods: calls made after construction reach the output, and Kubernetes' rules still hold."""

from __future__ import annotations

from fractions import Fraction

import pytest

import gpumanifests as gm
from gpumanifests._placement.diagnosis import diagnose
from gpumanifests._placement.plan import plan_cluster

IMAGE = "busybox:1.36.1"
METAL = gm.NodeProfile.apple_metal()
UNREACHABLE = gm.Toleration(
    key="node.kubernetes.io/unreachable",
    operator=gm.TolerationOperator.EXISTS,
    effect=gm.TaintEffect.NO_EXECUTE,
    toleration_seconds=3600,
)


def _pod(workload: gm.Workload) -> dict:  # type: ignore[type-arg]
    return workload.render()[0].manifest["spec"]["template"]["spec"]


def test_tolerate_adds_to_the_profile_tolerations(component: gm.Component) -> None:
    job = gm.GpuJob(component, "train", profile=METAL)
    job.tolerate(UNREACHABLE)
    assert _pod(job)["tolerations"] == [
        {"key": "apple.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"},
        {
            "key": "node.kubernetes.io/unreachable",
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 3600,
        },
    ]


def test_add_env_wins_over_profile_and_props_env(component: gm.Component) -> None:
    job = gm.GpuJob(component, "train", profile=METAL, env={"MODE": "fast"})
    job.add_env("MODE", "safe")
    job.add_env("TF_METAL_DEVICE_PLACEMENT", "false")
    env = {entry["name"]: entry["value"] for entry in _pod(job)["containers"][0]["env"]}
    assert env == {"MODE": "safe", "PYTORCH_ENABLE_MPS_FALLBACK": "1", "TF_METAL_DEVICE_PLACEMENT": "false"}


def test_add_container_runs_a_sidecar_with_the_same_safe_defaults(component: gm.Component) -> None:
    server = gm.CpuDeployment(component, "api", image=IMAGE, port=8080)
    sidecar = server.add_container(gm.Container(name="log-shipper", image="fluent/fluent-bit:3.1.9"))
    main, extra = _pod(server)["containers"]
    assert extra["name"] == sidecar.name
    assert extra["securityContext"] == main["securityContext"]
    assert extra["resources"] == {
        "limits": {"cpu": "500m", "memory": "256Mi"},
        "requests": {"cpu": "100m", "memory": "128Mi"},
    }
    assert extra["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
    assert "ports" not in extra


def test_fails_add_container_with_a_name_already_in_the_pod(component: gm.Component) -> None:
    job = gm.CpuJob(component, "batch", image=IMAGE)
    with pytest.raises(gm.InvalidInputError, match=r"add_container: name='batch' is already used in this pod"):
        job.add_container(gm.Container(name="batch", image=IMAGE))


def test_fails_add_env_with_a_bad_name(component: gm.Component) -> None:
    job = gm.CpuJob(component, "batch", image=IMAGE)
    with pytest.raises(gm.InvalidInputError, match=r"name='1X': '1X' is not an environment variable name"):
        job.add_env("1X", "v")


def test_fails_toleration_seconds_without_no_execute() -> None:
    with pytest.raises(gm.InvalidInputError, match="it only applies to NoExecute"):
        gm.Toleration(key="k", effect=gm.TaintEffect.NO_SCHEDULE, toleration_seconds=60)


def test_fails_a_sidecar_requesting_more_than_its_limit() -> None:
    with pytest.raises(gm.InvalidInputError, match="cpu='2' is more than cpu_limit='500m'"):
        gm.Container(name="side", image=IMAGE, cpu="2")


def test_fails_consistency_when_a_cpu_workload_tolerates_its_way_onto_a_gpu_node(app: gm.GitOpsApp) -> None:
    cluster = gm.Cluster(
        app,
        "lab",
        nodes=[gm.Node(name="cpu-1", profile=gm.NodeProfile.cpu_only()), gm.Node(name="mac", profile=METAL, gpus=1)],
        repo=gm.GitRepo(url="https://git.example.com/platform/gitops.git"),
    )
    job = gm.CpuJob(gm.Component(cluster, "batch"), "report", image=IMAGE)
    job.tolerate(*METAL.tolerations)
    messages = [str(problem) for problem in diagnose(cluster, plan_cluster(cluster))]
    assert any("lab/batch/report" in message and "'mac'" in message for message in messages), messages


# -- sidecars in Jobs: native, so the Job completes ------------------------------------------------


def _job_with_shipper(**options: object) -> tuple[gm.Cluster, gm.GpuJob]:
    from . import _cluster_for_sidecars

    cluster = _cluster_for_sidecars()
    job = gm.GpuJob(
        gm.Component(cluster, "ml"),
        "train",
        profile=gm.NodeProfile.nvidia_cuda(),
        image="nvcr.io/nvidia/pytorch:24.10-py3",
    )
    job.add_container(gm.Container(name="log-shipper", image="fluent/fluent-bit:3.1.9", **options))  # type: ignore[arg-type]
    return cluster, job


def test_a_jobs_added_container_is_a_native_sidecar_counted_by_the_plan() -> None:
    cluster, job = _job_with_shipper()
    spec = job.pod_template_spec()
    assert [container["name"] for container in spec["containers"]] == ["train"]
    [sidecar] = spec["initContainers"]
    assert (sidecar["name"], sidecar["restartPolicy"]) == ("log-shipper", "Always")
    from gpumanifests.scheduling import pod_requests

    assert pod_requests(spec)["cpu"] == 1 + Fraction(1, 10)  # the main container's 1 CPU plus the sidecar's 100m
    assert gm.plan_cluster(cluster).violations == []


def test_a_container_that_runs_to_completion_is_a_second_regular_container() -> None:
    _, job = _job_with_shipper(runs_to_completion=True)
    spec = job.pod_template_spec()
    assert [container["name"] for container in spec["containers"]] == ["train", "log-shipper"]
    assert "initContainers" not in spec


def test_fails_on_a_patched_in_container_that_would_keep_the_job_running() -> None:
    cluster, job = _job_with_shipper()
    job.add_json_patch(
        gm.JsonPatch.add("/spec/template/spec/containers/-", {"name": "proxy", "image": "envoyproxy/envoy:v1.31.0"})
    )
    with pytest.raises(gm.SynthError, match=r"Job 'train' runs container\(s\) 'proxy' beside its main container"):
        gm.synthesize(cluster.app)


def test_fails_on_runs_to_completion_in_a_deployment() -> None:
    from . import _cluster_for_sidecars

    cluster = _cluster_for_sidecars()
    server = gm.CpuDeployment(gm.Component(cluster, "web"), "api", image="busybox:1.36.1")
    with pytest.raises(gm.InvalidInputError, match="a Deployment restarts containers that exit, so only Jobs take it"):
        server.add_container(gm.Container(name="once", image="busybox:1.36.1", runs_to_completion=True))
