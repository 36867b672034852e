"""GPU-aware rollouts: the strategy a GPU Deployment defaults to, the disruption budget and spread of
replicated services, and the plan's proof that a rollout can proceed."""

from __future__ import annotations

from typing import Any

import pytest

import gpumanifests as gm
from gpumanifests._kube.rollout import deployment_fenceposts, fenceposts
from gpumanifests._placement.plan import FindingKind, plan_cluster
from gpumanifests._synth.render import render_cluster

from . import IMAGE, NVIDIA, cpu_node, gpu_node, make_cluster

# kubernetes/kubernetes pkg/controller/deployment/util/deployment_util_test.go, TestResolveFenceposts
# (v1.37.0): (maxSurge, maxUnavailable, desired) -> (surge, unavailable); None: the field is unset
UPSTREAM_FENCEPOSTS = [
    (("0%", "0%", 0), (0, 1)),
    (("39%", "39%", 10), (4, 3)),
    ((None, "39%", 10), (0, 3)),
    (("39%", None, 10), (4, 0)),
    ((None, None, 10), (0, 1)),
]


@pytest.mark.parametrize(("given", "expected"), UPSTREAM_FENCEPOSTS)
def test_fenceposts_resolve_as_the_deployment_controller_does(
    given: tuple[Any, Any, int], expected: tuple[int, int]
) -> None:
    assert fenceposts(*given) == expected


@pytest.mark.parametrize("bad", [("oops", "39%"), ("55%", "urg"), ("5", "1")])
def test_a_string_that_is_no_percentage_is_refused(bad: tuple[str, str]) -> None:
    """The same test table's error cases: a string must be a percentage."""
    with pytest.raises(ValueError, match="neither a whole number nor a percentage"):
        fenceposts(*bad, 10)


def test_the_api_defaults_each_missing_field_to_a_quarter() -> None:
    assert deployment_fenceposts({"replicas": 1}) == (1, 0)  # 25% of 1: surge rounds up, unavailable down
    assert deployment_fenceposts({"replicas": 8, "strategy": {"rollingUpdate": {"maxSurge": 0}}}) == (0, 2)
    assert deployment_fenceposts({"strategy": {"type": "Recreate"}}) is None


def _deployment(workload: gm.Workload) -> dict[str, Any]:
    return next(obj.manifest for obj in workload.render() if obj.manifest["kind"] == "Deployment")


def test_no_spare_gpu_means_no_surge_and_the_plan_proves_the_rollout_proceeds() -> None:
    cluster = make_cluster([cpu_node(), gpu_node("gpu-1"), gpu_node("gpu-2")])
    server = gm.GpuDeployment(
        gm.Component(cluster, "serving"), "llm", profile=NVIDIA, image=IMAGE, replicas=2, port=8000
    )
    deployment = _deployment(server)
    assert deployment["spec"]["strategy"] == {
        "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1},
        "type": "RollingUpdate",
    }
    why = deployment["metadata"]["annotations"]["gpumanifests.io/rollout"]
    assert why.startswith(
        "maxSurge 0, maxUnavailable 1: the cluster's pods request 2 GPU(s) of profile 'nvidia', whose nodes have 2,"
    )
    assert "it runs one pod short until that pod is ready" in why
    plan = plan_cluster(cluster)
    assert plan.findings == ()
    [rollout] = plan.rollouts
    assert rollout.proceeds
    assert "no surge pod to place" in rollout.how
    assert "llm: proceeds: maxSurge 0, maxUnavailable 1" in plan.format_table()


def test_a_spare_gpu_lets_one_pod_surge_and_the_plan_names_its_node() -> None:
    cluster = make_cluster([cpu_node(), gpu_node("gpu-1", gpus=2), gpu_node("gpu-2", gpus=2)])
    server = gm.GpuDeployment(gm.Component(cluster, "serving"), "llm", profile=NVIDIA, image=IMAGE, replicas=2)
    assert _deployment(server)["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}
    [rollout] = plan_cluster(cluster).rollouts
    assert rollout.surge_nodes == ("gpu-1",)
    assert rollout.to_json()["surgeNodes"] == ["gpu-1"]


def test_jobs_count_against_the_headroom() -> None:
    cluster = make_cluster([cpu_node(), gpu_node("gpu-1", gpus=2)])
    serving = gm.Component(cluster, "serving")
    gm.GpuJob(serving, "eval", profile=NVIDIA, image=IMAGE)
    server = gm.GpuDeployment(serving, "llm", profile=NVIDIA, image=IMAGE)
    why = _deployment(server)["metadata"]["annotations"]["gpumanifests.io/rollout"]
    assert "maxSurge 0" in why
    assert "it is down until that pod is ready" in why  # one replica, replaced in place


def test_a_declared_surge_without_room_stalls_and_is_a_violation() -> None:
    cluster = make_cluster([cpu_node(), gpu_node("gpu-1")])
    gm.GpuDeployment(gm.Component(cluster, "serving"), "llm", profile=NVIDIA, image=IMAGE, max_surge=1)
    [finding] = plan_cluster(cluster).findings
    assert finding.kind == FindingKind.ROLLOUT_STALLS
    assert "the rollout of 'llm' stalls: with maxSurge 1 and maxUnavailable 0" in finding.problem.message
    assert "set max_surge=0 and max_unavailable=1" in finding.problem.fix
    with pytest.raises(gm.SynthError, match="stalls"):
        gm.synthesize(cluster.app)


def test_a_cpu_deployment_keeps_kubernetes_defaults_and_is_proven_too() -> None:
    cluster = make_cluster([cpu_node()])
    api = gm.CpuDeployment(gm.Component(cluster, "web"), "api", image=IMAGE)
    assert "strategy" not in _deployment(api)["spec"]
    [rollout] = plan_cluster(cluster).rollouts
    assert rollout.how == "maxSurge 1, maxUnavailable 0: 1 surge pod(s) fit, on cpu-1"


def test_both_zero_is_refused() -> None:
    cluster = make_cluster([cpu_node()])
    with pytest.raises(gm.InvalidInputError, match="max_surge and max_unavailable are both 0"):
        gm.CpuDeployment(gm.Component(cluster, "web"), "api", image=IMAGE, max_surge=0)


def test_replicated_services_get_a_disruption_budget_and_gpu_pods_a_spread() -> None:
    cluster = make_cluster([cpu_node(), gpu_node("gpu-1"), gpu_node("gpu-2")])
    server = gm.GpuDeployment(gm.Component(cluster, "serving"), "llm", profile=NVIDIA, image=IMAGE, replicas=2)
    objects = {obj.manifest["kind"]: obj.manifest for obj in server.render()}
    selector = {"matchLabels": server.selector_labels()}
    assert objects["PodDisruptionBudget"]["spec"] == {
        "maxUnavailable": 1,
        "selector": selector,
        "unhealthyPodEvictionPolicy": "AlwaysAllow",
    }
    assert server.pod_template_spec()["topologySpreadConstraints"] == [
        {
            "labelSelector": selector,
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway",
        }
    ]
    assert render_cluster(cluster).problems == []


def test_a_single_replica_gets_no_budget_and_the_budget_keeps_a_pod() -> None:
    cluster = make_cluster([cpu_node()])
    web = gm.Component(cluster, "web")
    assert [obj.manifest["kind"] for obj in gm.CpuDeployment(web, "one", image=IMAGE).render()] == ["Deployment"]
    with pytest.raises(
        gm.InvalidInputError, match="max_disrupted=2 with replicas=2: a drain could then evict every pod"
    ):
        gm.CpuDeployment(web, "two", image=IMAGE, replicas=2, max_disrupted=2)
    assert (
        "topologySpreadConstraints" not in gm.CpuDeployment(web, "three", image=IMAGE, replicas=3).pod_template_spec()
    )
