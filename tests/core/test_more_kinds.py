"""CronJobs, StatefulSets, DaemonSets and Job parallelism: what each renders, and how the plan places it."""

from __future__ import annotations

import re
from typing import Any

import pytest

import gpumanifests as gm
from gpumanifests._kube.cron import check_schedule, check_time_zone
from gpumanifests._placement.daemons import DAEMON_TOLERATIONS, daemon_pod_spec, runs_daemon_pod
from gpumanifests._placement.plan import FindingKind, plan_cluster
from gpumanifests._synth.render import render_cluster

IMAGE = "busybox:1.36.1"
NVIDIA = gm.NodeProfile.nvidia_cuda(runtime_class_name="nvidia")
REPO = gm.GitRepo(url="https://git.example.com/platform/gitops.git")


def _cluster(gpu_nodes: int = 2, gpus: int = 2) -> gm.Cluster:
    nodes = [gm.Node(name="cpu-1", profile=gm.NodeProfile.cpu_only(), cpu="8", memory="32Gi")]
    nodes += [
        gm.Node(name=f"gpu-{i}", profile=NVIDIA, gpus=gpus, cpu="16", memory="64Gi") for i in range(1, gpu_nodes + 1)
    ]
    return gm.Cluster(gm.GitOpsApp(), "lab", nodes=nodes, repo=REPO)


def _objects(workload: gm.Workload) -> dict[str, dict[str, Any]]:
    return {obj.manifest["kind"]: obj.manifest for obj in workload.render()}


def _errors(cluster: gm.Cluster) -> list[gm.Problem]:
    return [problem for problem in render_cluster(cluster).problems if problem.severity == "error"]


# -- CronJob --------------------------------------------------------------------------------------


def test_a_gpu_cron_job_runs_a_gpu_job_on_its_schedule() -> None:
    cluster = _cluster()
    nightly = gm.GpuCronJob(
        gm.Component(cluster, "training"),
        "nightly-eval",
        profile=NVIDIA,
        schedule="0 3 * * *",
        time_zone="Europe/Berlin",
        image=IMAGE,
        parallelism=2,
        completions=4,
        active_deadline_seconds=3600,
    )
    cron = _objects(nightly)["CronJob"]
    assert cron["apiVersion"] == "batch/v1"
    spec = cron["spec"]
    assert (spec["schedule"], spec["timeZone"], spec["concurrencyPolicy"]) == ("0 3 * * *", "Europe/Berlin", "Forbid")
    job = spec["jobTemplate"]["spec"]
    assert (job["parallelism"], job["completions"], job["activeDeadlineSeconds"], job["backoffLimit"]) == (
        2,
        4,
        3600,
        2,
    )
    pod = job["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert pod["runtimeClassName"] == "nvidia"
    assert nightly.pod_template_spec() == pod
    assert "argocd.argoproj.io/hook" not in cron["metadata"].get("annotations", {})
    assert _errors(cluster) == []
    placed = [placement.node for placement in plan_cluster(cluster).placements if placement.workload == "nightly-eval"]
    assert placed == ["gpu-1", "gpu-2"]  # one run's two parallel pods


def test_a_cpu_cron_job_stays_off_gpu_nodes() -> None:
    cluster = _cluster()
    report = gm.CpuCronJob(gm.Component(cluster, "reports"), "usage-report", image=IMAGE, schedule="@daily")
    pod = report.pod_template_spec()
    assert "tolerations" not in pod
    assert pod["affinity"]["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    [placement] = [p for p in plan_cluster(cluster).placements if p.workload == "usage-report"]
    assert placement.node == "cpu-1"


# robfig/cron v3.0.1 parser_test.go (TestRange, TestParseScheduleErrors), each range case placed in a
# field whose bounds give it the same meaning, and Kubernetes' own rules (pkg/apis/batch/validation)
@pytest.mark.parametrize(
    ("schedule", "reason"),
    [
        ("5--5 * * * *", "too many hyphens: 5--5"),
        ("* * * jan-x *", "failed to parse int from x"),
        ("*/-12 * * * *", "negative number (-12) not allowed: -12"),
        ("*//2 * * * *", "too many slashes: *//2"),
        ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
        ("60 * * * *", "end of range (60) above maximum (59): 60"),
        ("5-3 * * * *", "beginning of range (5) beyond end of range (3): 5-3"),
        ("*/0 * * * *", "step of range should be a positive number: */0"),
        ("* 5 j * *", "failed to parse int from j"),
        ("@every Xm", "failed to parse duration @every Xm"),
        ("@unrecognized", "unrecognized descriptor: @unrecognized"),
        ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
        ("0 0 * * * *", "expected exactly 5 fields, found 6"),
        ("TZ=UTC 0 3 * * *", "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"),
    ],
)
def test_a_bad_schedule_is_refused_with_the_parsers_reason(schedule: str, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        check_schedule(schedule)


@pytest.mark.parametrize(
    "schedule",
    [
        "* * * * *",
        "*/15 * * * *",
        "0 3 * * 1-5",
        "0 0 1 jan,jul *",
        "30 2 * * SUN",
        "5/10 0-6/2 ? * *",
        "@hourly",
        "@every 1h30m",
        "@every 90s",
        "1,,5 * * * *",
        "+5 * * * *",
    ],
)
def test_schedules_the_api_server_accepts(schedule: str) -> None:
    check_schedule(schedule)


@pytest.mark.parametrize(
    ("zone", "ok"),
    [
        ("Etc/UTC", True),
        ("UTC", True),
        ("America/New_York", True),
        ("Local", False),
        ("Mars/Olympus", False),
        ("../etc/passwd", False),
        ("Europe/-Berlin", False),
        ("", False),
    ],
)
def test_time_zones_are_iana_names(zone: str, ok: bool) -> None:
    if ok:
        check_time_zone(zone)
    else:
        with pytest.raises(ValueError, match="time zone"):
            check_time_zone(zone)


def test_cron_job_input_is_refused_at_construction() -> None:
    reports = gm.Component(_cluster(), "reports")
    with pytest.raises(
        gm.InvalidInputError, match=r"schedule='61 \* \* \* \*': '61 \* \* \* \*' is not a CronJob schedule"
    ):
        gm.CpuCronJob(reports, "a", image=IMAGE, schedule="61 * * * *")
    with pytest.raises(gm.InvalidInputError, match="time_zone='Local'"):
        gm.CpuCronJob(reports, "b", image=IMAGE, schedule="@daily", time_zone="Local")
    with pytest.raises(gm.InvalidInputError, match="use at most 52"):
        gm.CpuCronJob(reports, "r" * 53, image=IMAGE, schedule="@daily")


# -- Job parallelism ------------------------------------------------------------------------------


def test_job_parallelism_and_completions_set_the_pods_at_once() -> None:
    cluster = _cluster()
    batch = gm.Component(cluster, "batch")
    sweep = gm.GpuJob(batch, "sweep", profile=NVIDIA, image=IMAGE, parallelism=3, completions=12)
    tail = gm.CpuJob(batch, "tail", image=IMAGE, parallelism=4, completions=2)
    queue = gm.CpuJob(batch, "queue", image=IMAGE, parallelism=2)
    assert (sweep.replicas, tail.replicas, queue.replicas) == (3, 2, 2)
    spec = _objects(sweep)["Job"]["spec"]
    assert (spec["parallelism"], spec["completions"]) == (3, 12)
    pods = [p.pod for p in plan_cluster(cluster).placements if p.workload == "sweep"]
    assert pods == ["sweep-0", "sweep-1", "sweep-2"]
    with pytest.raises(gm.InvalidInputError, match="parallelism and completions are both the workers"):
        gm.DistributedGpuJob(batch, "dist", profile=NVIDIA, image=IMAGE, workers=2, parallelism=2)


# -- StatefulSet ----------------------------------------------------------------------------------


def test_a_gpu_stateful_set_has_stable_identities_and_claims_per_replica() -> None:
    cluster = _cluster()
    shards = gm.GpuStatefulSet(
        gm.Component(cluster, "serving"),
        "llm-shards",
        profile=NVIDIA,
        image=IMAGE,
        replicas=2,
        port=8000,
        model_cache=gm.Volume.claim_template("model-cache", "/cache", size="200Gi"),
    )
    objects = _objects(shards)
    assert set(objects) == {"StatefulSet", "Service", "NetworkPolicy", "PodDisruptionBudget"}
    spec = objects["StatefulSet"]["spec"]
    assert (spec["serviceName"], spec["podManagementPolicy"], spec["replicas"]) == ("llm-shards", "Parallel", 2)
    assert spec["volumeClaimTemplates"] == [
        {
            "metadata": {"name": "model-cache"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "200Gi"}}},
        }
    ]
    pod = spec["template"]["spec"]
    assert "model-cache" not in {volume["name"] for volume in pod["volumes"]}
    assert {"name": "model-cache", "mountPath": "/cache"} in pod["containers"][0]["volumeMounts"]
    assert pod["containers"][0]["startupProbe"]["failureThreshold"] == 181
    assert pod["topologySpreadConstraints"][0]["topologyKey"] == "kubernetes.io/hostname"
    assert objects["Service"]["spec"]["clusterIP"] == "None"
    assert _errors(cluster) == []
    plan = plan_cluster(cluster)
    assert [p.node for p in plan.placements if p.workload == "llm-shards"] == ["gpu-1", "gpu-2"]
    [rollout] = plan.rollouts
    assert rollout.how.startswith("replaces one pod at a time where it ran")


# -- DaemonSet ------------------------------------------------------------------------------------


def test_a_gpu_daemon_set_runs_one_pod_on_each_node_of_its_profile_without_taking_gpus() -> None:
    cluster = _cluster(gpu_nodes=3)
    exporter = gm.GpuDaemonSet(
        gm.Component(cluster, "monitoring"), "gpu-exporter", profile=NVIDIA, image=IMAGE, port=9400
    )
    objects = _objects(exporter)
    assert set(objects) == {"DaemonSet", "Service", "NetworkPolicy"}
    pod = objects["DaemonSet"]["spec"]["template"]["spec"]
    assert "nvidia.com/gpu" not in pod["containers"][0]["resources"]["limits"]
    assert pod["runtimeClassName"] == "nvidia"
    assert pod["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert pod["containers"][0]["startupProbe"]["failureThreshold"] == 31  # a 5-minute budget: no model to load
    assert exporter.replicas == 3
    assert _errors(cluster) == []
    plan = plan_cluster(cluster)
    placed = [(p.pod, p.node, p.eligible) for p in plan.placements if p.workload == "gpu-exporter"]
    assert placed == [
        ("gpu-exporter-0", "gpu-1", ("gpu-1",)),
        ("gpu-exporter-1", "gpu-2", ("gpu-2",)),
        ("gpu-exporter-2", "gpu-3", ("gpu-3",)),
    ]
    assert plan.findings == ()


def test_a_daemon_pod_that_does_not_fit_its_node_is_a_violation_naming_the_node() -> None:
    cluster = _cluster(gpu_nodes=1)
    monitoring = gm.Component(cluster, "monitoring")
    gm.GpuDaemonSet(monitoring, "agent", profile=NVIDIA, image=IMAGE, cpu="10", cpu_limit="10")
    gm.GpuDaemonSet(monitoring, "greedy", profile=NVIDIA, image=IMAGE, cpu="10", cpu_limit="10")
    [finding] = plan_cluster(cluster).findings
    assert (finding.kind, finding.workload, finding.node) == (FindingKind.OVERFLOW, "lab/monitoring/greedy", "gpu-1")
    assert "DaemonSet 'greedy' must run a pod on node 'gpu-1', and it does not fit there" in finding.problem.message
    assert "Insufficient cpu: requested 10, free 6 of 16" in finding.problem.message


def _node(
    name: str, *, taints: list[dict[str, str]] = (), labels: dict[str, str] | None = None, cordoned: bool = False
) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {"taints": list(taints), "unschedulable": cordoned},
    }


@pytest.mark.parametrize(
    ("node", "runs"),
    [
        (_node("a", labels={"pool": "gpu"}), True),
        (_node("b", labels={"pool": "cpu"}), False),  # the node affinity does not match
        (_node("c", labels={"pool": "gpu"}, cordoned=True), True),  # tolerates node.kubernetes.io/unschedulable
        (
            _node("d", labels={"pool": "gpu"}, taints=[{"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"}]),
            True,
        ),
        (_node("e", labels={"pool": "gpu"}, taints=[{"key": "team", "value": "x", "effect": "NoSchedule"}]), False),
        (
            _node("f", labels={"pool": "gpu"}, taints=[{"key": "team", "value": "x", "effect": "PreferNoSchedule"}]),
            True,
        ),
    ],
    ids=lambda value: value["metadata"]["name"] if isinstance(value, dict) else str(value),
)
def test_the_controller_picks_nodes_by_selection_and_taints_not_resources(node: dict[str, Any], runs: bool) -> None:
    """NodeShouldRunDaemonPod (kubernetes/kubernetes pkg/controller/daemon/daemon_controller.go), hand-worked."""
    template = {"nodeSelector": {"pool": "gpu"}, "containers": [{"name": "agent"}]}
    assert runs_daemon_pod(template, node) is runs


def test_each_daemon_pod_is_bound_to_its_node_by_name_with_the_controllers_tolerations() -> None:
    template = {
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": [{"key": "pool", "operator": "In", "values": ["gpu"]}]}]
                }
            }
        },
        "tolerations": [{"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}],
        "containers": [{"name": "agent"}],
    }
    pod = daemon_pod_spec(template, "gpu-7")
    assert pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == {
        "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["gpu-7"]}]}]
    }
    assert pod["tolerations"] == [
        template["tolerations"][0],
        *(t for t in DAEMON_TOLERATIONS if t != template["tolerations"][0]),
    ]
    assert len(pod["tolerations"]) == len(DAEMON_TOLERATIONS)  # the equal one is not added twice
    assert template["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][
        0
    ]["matchExpressions"]
