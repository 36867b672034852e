"""Each synth-time consistency rule (a)-(e) on a failing example, and no double reports."""

from __future__ import annotations

import pytest

import gpumanifests as gm
from gpumanifests._errors import Severity
from gpumanifests._placement.diagnosis import diagnose
from gpumanifests._placement.plan import plan_cluster
from gpumanifests._synth.loader import load_apps

from . import APPS, IMAGE, NVIDIA, cpu_node, gpu_node, make_cluster, open_gpu_profile


def _problems(cluster: gm.Cluster) -> list[gm.Problem]:
    return diagnose(cluster, plan_cluster(cluster))


def _on(problems: list[gm.Problem], path: str) -> list[gm.Problem]:
    return [problem for problem in problems if problem.path == path]


@pytest.mark.parametrize(
    "cluster_name", ["data-platform-local", "data-platform-cloud", "gpu-training", "gpu-inference"]
)
def test_shipped_clusters_are_consistent(cluster_name: str) -> None:
    cluster = next(c for c in load_apps(APPS).clusters if c.name == cluster_name)
    assert _problems(cluster) == []


def test_a_selection_no_node_satisfies() -> None:
    cluster = make_cluster([cpu_node(), gpu_node("gpu-1")])
    gm.GpuJob(gm.Component(cluster, "ml"), "train", profile=gm.NodeProfile.amd_rocm(), image=IMAGE)
    [problem] = _on(_problems(cluster), "test-cluster/ml/train")
    assert "no node of the cluster satisfies its required node selection" in problem.message
    assert "gpu-1: TaintToleration: untolerated taint nvidia.com/gpu=present:NoSchedule" in problem.message
    assert "NodeAffinity: none of the 1 required node affinity term(s) matches node 'gpu-1'" in problem.message
    assert "add a node of profile 'amd'" in problem.fix
    assert problem.severity is Severity.ERROR


def test_a_shows_why_the_first_few_nodes_fail_not_every_nodes_labels() -> None:
    cluster = make_cluster([cpu_node(f"cpu-{index}") for index in range(6)])
    job = gm.CpuJob(gm.Component(cluster, "jobs"), "job", image=IMAGE)
    job.add_json_patch(gm.JsonPatch.add("/spec/template/spec/nodeSelector", {"pool": "batch"}))
    [problem] = _on(_problems(cluster), "test-cluster/jobs/job")
    assert "cpu-0: NodeAffinity: nodeSelector pool=batch does not match node 'cpu-0': it has no such label" in (
        problem.message
    )
    assert "cpu-2: NodeAffinity" in problem.message
    assert "cpu-3" not in problem.message
    assert "and 3 more node(s)" in problem.message


def test_b_gpu_workload_does_not_tolerate_the_selected_nodes_taint() -> None:
    other = NVIDIA.model_copy(
        update={
            "name": "nvidia-dedicated",
            "taints": (gm.Taint(key="example.com/dedicated", value="ml", effect=gm.TaintEffect.NO_SCHEDULE),),
        }
    )
    cluster = make_cluster([cpu_node(), gpu_node("gpu-1"), gpu_node("gpu-2")])
    gm.GpuJob(gm.Component(cluster, "ml"), "train", profile=other, image=IMAGE)
    problems = _on(_problems(cluster), "test-cluster/ml/train")
    assert len(problems) == 2, problems  # one per selected node, no extra "fits no node"
    for problem, node in zip(problems, ["gpu-1", "gpu-2"], strict=True):
        assert f"GPU workload 'train' selects node '{node}'" in problem.message
        assert "does not tolerate its taint nvidia.com/gpu=present:NoSchedule" in problem.message
        assert "make profile 'nvidia-dedicated' carry the node's taints" in problem.fix


def test_c_taint_nobody_tolerates_is_a_warning() -> None:
    cluster = make_cluster([cpu_node(), gpu_node("gpu-1")])
    gm.CpuJob(gm.Component(cluster, "jobs"), "job", image=IMAGE)
    [problem] = _on(_problems(cluster), "test-cluster/nvidia-gpu-nodes")
    assert problem.severity is Severity.WARNING
    assert "node 'gpu-1'" in problem.message
    assert "taint nvidia.com/gpu=present:NoSchedule that no workload" in problem.message
    assert "declare a GpuJob/GpuDeployment with profile='nvidia'" in problem.fix


def test_d_gpu_request_larger_than_every_node() -> None:
    cluster = make_cluster([cpu_node(), gpu_node("gpu-1", gpus=2), gpu_node("gpu-2", gpus=2)])
    gm.GpuJob(gm.Component(cluster, "ml"), "train", profile=NVIDIA, image=IMAGE, gpus=4)
    [problem] = _on(_problems(cluster), "test-cluster/ml/train")  # not also "fits no node"
    assert "requests 4 GPU(s) per pod, more than any eligible node has (gpu-1: 2, gpu-2: 2)" in problem.message
    assert "set gpus to at most 2" in problem.fix


def test_d_holds_for_profiles_the_scheduler_does_not_count() -> None:
    metal = gm.NodeProfile.apple_metal()
    cluster = make_cluster([cpu_node(), gpu_node("mac-1", profile=metal, gpus=1)])
    gm.GpuJob(gm.Component(cluster, "ml"), "train", profile=metal, image=IMAGE, gpus=2)
    assert plan_cluster(cluster).violations == []
    [problem] = _on(_problems(cluster), "test-cluster/ml/train")
    assert "requests 2 GPU(s) per pod" in problem.message


def test_e_cpu_workload_admitted_to_an_untainted_gpu_node() -> None:
    open_gpu = open_gpu_profile()
    cluster = make_cluster([cpu_node(), gpu_node("gpu-1", profile=open_gpu)])
    gm.CpuDeployment(gm.Component(cluster, "web"), "api", image=IMAGE)
    [problem] = _on(_problems(cluster), "test-cluster/web/api")  # the plan's finding is not repeated
    assert "CPU workload 'api' can be scheduled on GPU node 'gpu-1'" in problem.message
    assert "add a NoSchedule taint to profile 'open-gpu'" in problem.fix
    # One wording for the fact: the plan's finding and the consistency problem are the same problem.
    [finding] = [f for f in plan_cluster(cluster).findings if f.workload == "test-cluster/web/api"]
    assert finding.problem == problem


def test_e_cpu_workload_admitted_to_a_tainted_gpu_node_by_a_patch() -> None:
    cluster = make_cluster([cpu_node(), gpu_node("gpu-1")])
    gm.GpuJob(gm.Component(cluster, "ml"), "train", profile=NVIDIA, image=IMAGE)
    api = gm.CpuDeployment(gm.Component(cluster, "web"), "api", image=IMAGE)
    api.add_json_patch(gm.JsonPatch.add("/spec/template/spec/tolerations", [{"operator": "Exists"}]))
    [problem] = _on(_problems(cluster), "test-cluster/web/api")
    assert "can be scheduled on GPU node 'gpu-1'" in problem.message
    assert "tolerates the node's taints (nvidia.com/gpu=present:NoSchedule)" in problem.message
    assert "remove the tolerations of the GPU taints (nvidia.com/gpu=present:NoSchedule) from 'api'" in problem.fix


def test_the_checks_use_the_verdicts_the_plan_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    cluster = make_cluster([cpu_node(), gpu_node("gpu-1")])
    gm.GpuJob(gm.Component(cluster, "ml"), "train", profile=gm.NodeProfile.amd_rocm(), image=IMAGE)
    gm.CpuDeployment(gm.Component(cluster, "web"), "api", image=IMAGE)
    plan = plan_cluster(cluster)

    def not_again(workload: object) -> None:
        raise AssertionError(f"{workload} rendered again")

    monkeypatch.setattr(gm.Workload, "pod_template_spec", not_again)
    problems = diagnose(cluster, plan)
    monkeypatch.undo()
    assert problems == diagnose(cluster, plan_cluster(cluster))
    assert any("no node of the cluster satisfies" in problem.message for problem in problems)


def test_plan_violations_are_included() -> None:
    cluster = make_cluster([cpu_node(), gpu_node("gpu-1", gpus=1)])
    component = gm.Component(cluster, "ml")
    gm.GpuJob(component, "first", profile=NVIDIA, image=IMAGE)
    gm.GpuJob(component, "second", profile=NVIDIA, image=IMAGE)
    [problem] = _problems(cluster)
    assert problem.path == "test-cluster/ml/second"
    assert "no node has room left for second-0" in problem.message
