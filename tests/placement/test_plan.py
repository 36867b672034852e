"""The placement proof on the shipped clusters, on deliberate violations and on kubectl nodes."""

from __future__ import annotations

import argparse
import json
import random
from typing import TYPE_CHECKING, Any

import pytest

import gpumanifests as gm
from gpumanifests._cli.commands import add_plan_arguments, run_plan
from gpumanifests._cli.main import run_reporting_errors
from gpumanifests._placement.nodes import scale_up_nodes
from gpumanifests._placement.plan import FindingKind, plan_cluster
from gpumanifests._synth.loader import load_apps

from . import APPS, CPU, IMAGE, NVIDIA, cpu_node, gpu_node, make_cluster, open_gpu_profile

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="module")
def shipped() -> gm.GitOpsApp:
    return load_apps(APPS)


def _run(app: gm.GitOpsApp, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    add_plan_arguments(parser)
    args = parser.parse_args(list(argv))
    args.apps, args.out = APPS, APPS.parent / "gitops"
    return run_reporting_errors(lambda: run_plan(args, app))


def _node_list(nodes: list[dict[str, Any]], path: Path) -> Path:
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "NodeList", "items": nodes}), encoding="utf-8")
    return path


def test_every_shipped_cluster_passes(shipped: gm.GitOpsApp) -> None:
    assert {cluster.name for cluster in shipped.clusters} == {
        "data-platform-local",
        "data-platform-cloud",
        "gpu-training",
        "gpu-inference",
    }
    for cluster in shipped.clusters:
        plan = plan_cluster(cluster)
        assert plan.violations == [], plan.format_table()
        assert plan.placements
        assert all(placement.node is not None or placement.waiting_for for placement in plan.placements)


def test_shipped_gpu_pods_land_on_their_profile(shipped: gm.GitOpsApp) -> None:
    for cluster in shipped.clusters:
        plan = plan_cluster(cluster)
        for placement in (placement for placement in plan.placements if placement.node is not None):
            node = plan.node(placement.node)
            assert node.profile == (placement.profile or "cpu")


def test_gpu_workloads_are_placed_first_by_descending_gpus() -> None:
    cluster = make_cluster([cpu_node(), gpu_node("gpu-1", gpus=4)])
    component = gm.Component(cluster, "ml")
    gm.CpuJob(component, "cpu-first", image=IMAGE)
    gm.GpuJob(component, "small", profile=NVIDIA, image=IMAGE, gpus=1)
    gm.GpuDeployment(component, "big", profile=NVIDIA, image=IMAGE, gpus=2, replicas=2)
    pods = [placement.pod for placement in plan_cluster(cluster).placements]
    assert pods == ["big-0", "big-1", "small-0", "nvidia-node-labeller-0", "cpu-first-0"]


def test_choice_is_fewest_placed_pods_then_name() -> None:
    cluster = make_cluster([cpu_node(), gpu_node("gpu-b", gpus=2), gpu_node("gpu-a", gpus=2)])
    gm.GpuDeployment(gm.Component(cluster, "ml"), "serve", profile=NVIDIA, image=IMAGE, replicas=3)
    nodes = [placement.node for placement in plan_cluster(cluster).placements if placement.workload == "serve"]
    assert nodes == ["gpu-a", "gpu-b", "gpu-a"]


def test_two_one_gpu_jobs_do_not_share_a_one_gpu_node() -> None:
    cluster = make_cluster([cpu_node(), gpu_node("gpu-1", gpus=1)])
    component = gm.Component(cluster, "ml")
    gm.GpuJob(component, "first", profile=NVIDIA, image=IMAGE)
    gm.GpuJob(component, "second", profile=NVIDIA, image=IMAGE)
    plan = plan_cluster(cluster)
    by_pod = {placement.pod: placement for placement in plan.placements}
    assert by_pod["first-0"].node == "gpu-1"
    assert by_pod["second-0"].node is None
    assert by_pod["second-0"].eligible == ()
    [finding] = plan.findings
    assert finding.kind == FindingKind.OVERFLOW
    assert finding.problem.path == "test-cluster/ml/second"
    assert "'second'" in finding.problem.message
    assert "gpu-1" in finding.problem.message
    assert "Insufficient nvidia.com/gpu" in finding.problem.message
    assert "add capacity" in finding.problem.fix


def test_toleration_for_another_taint_fits_no_node() -> None:
    other = NVIDIA.model_copy(
        update={
            "name": "nvidia-dedicated",
            "taints": (gm.Taint(key="example.com/dedicated", value="ml", effect=gm.TaintEffect.NO_SCHEDULE),),
        }
    )
    cluster = make_cluster([cpu_node(), gpu_node("gpu-1")])
    gm.GpuJob(gm.Component(cluster, "ml"), "train", profile=other, image=IMAGE)
    plan = plan_cluster(cluster)
    [finding] = plan.findings
    assert finding.kind == FindingKind.UNSCHEDULABLE
    problem = finding.problem
    assert problem.path == "test-cluster/ml/train"
    assert "'train' fits no node" in problem.message
    assert "node 'gpu-1': TaintToleration: untolerated taint nvidia.com/gpu=present:NoSchedule" in problem.message
    assert "node 'cpu-1': NodeAffinity" in problem.message
    assert problem.fix


def test_cpu_workload_on_untainted_gpu_node_is_a_violation() -> None:
    open_gpu = open_gpu_profile()
    cluster = make_cluster([cpu_node(), gpu_node("gpu-1", profile=open_gpu)])
    gm.CpuDeployment(gm.Component(cluster, "web"), "api", image=IMAGE)
    plan = plan_cluster(cluster)
    findings = [f for f in plan.findings if f.workload == "test-cluster/web/api"]
    [finding] = findings
    assert finding.kind == FindingKind.CPU_ON_GPU
    assert finding.node == "gpu-1"
    assert "CPU workload 'api' can be scheduled on GPU node 'gpu-1'" in finding.problem.message
    assert "add a NoSchedule taint to profile 'open-gpu'" in finding.problem.fix


def test_gpu_workload_admitted_to_a_node_of_another_profile() -> None:
    loose = gm.NodeProfile(
        name="loose",
        vendor=gm.Vendor.NVIDIA,
        discovered_labels={"nvidia.com/gpu.present": "true"},
        taints=(gm.Taint(key="nvidia.com/gpu", value="present", effect=gm.TaintEffect.NO_SCHEDULE),),
        toleration_operator=gm.TolerationOperator.EXISTS,
        gpu_resource="nvidia.com/gpu",
    )
    cluster = make_cluster([cpu_node(), gpu_node("gpu-1"), gpu_node("gpu-2", profile=loose)])
    gm.GpuJob(gm.Component(cluster, "ml"), "train", profile=loose, image=IMAGE)
    plan = plan_cluster(cluster)
    [finding] = plan.findings
    assert finding.kind == FindingKind.WRONG_NODE
    assert finding.node == "gpu-1"
    assert "GPU workload 'train' (profile 'loose') can be scheduled on node 'gpu-1'" in finding.problem.message
    assert "profile 'nvidia'" in finding.problem.message


def test_zero_replicas_place_nothing() -> None:
    cluster = make_cluster([cpu_node()])
    gm.CpuDeployment(gm.Component(cluster, "web"), "idle", image=IMAGE, replicas=0)
    assert [p.workload for p in plan_cluster(cluster).placements] == []


def test_json_is_stable_and_independent_of_node_order(shipped: gm.GitOpsApp) -> None:
    for cluster in shipped.clusters:
        first, second = plan_cluster(cluster).to_json(), plan_cluster(cluster).to_json()
        assert json.dumps(first) == json.dumps(second)
        objects = [node.to_node_object() for node in cluster.nodes]
        random.Random(7).shuffle(objects)
        shuffled = plan_cluster(cluster, objects).to_json()
        assert shuffled["placements"] == first["placements"]
        scale_ups = [node.name for node in scale_up_nodes(cluster, [])]  # after the nodes that exist, in pool order
        assert [node["name"] for node in shuffled["nodes"]] == sorted(node.name for node in cluster.nodes) + scale_ups
        assert list(first) == [
            "cluster",
            "nodesSource",
            "nodes",
            "scaleUps",
            "placements",
            "queued",
            "rollouts",
            "violations",
        ]


def test_table_lists_every_pod_and_reason(shipped: gm.GitOpsApp) -> None:
    cluster = next(c for c in shipped.clusters if c.name == "data-platform-cloud")
    plan = plan_cluster(cluster)
    table = plan.format_table()
    assert table.splitlines()[1].split() == ["WORKLOAD", "REPLICA", "NODE", "ELIGIBLE", "EXCLUDED"]
    for placement in plan.placements:
        assert placement.workload in table
    assert "cloud-gpu-1: TaintToleration: untolerated taint nvidia.com/gpu=present:NoSchedule" in table
    assert table.rstrip().endswith("no violations")


def test_cli_passes_on_shipped_apps(shipped: gm.GitOpsApp, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(shipped) == 0
    out = capsys.readouterr().out
    assert "data-platform-local" in out
    assert "data-platform-cloud" in out


def test_cli_unknown_cluster_exits_2(shipped: gm.GitOpsApp, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(shipped, "no-such-cluster") == 2
    err = capsys.readouterr().err
    assert "unknown cluster 'no-such-cluster'" in err
    assert "data-platform-local" in err


def test_cli_nodes_file_maps_profiles_by_labels(
    shipped: gm.GitOpsApp, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster = next(c for c in shipped.clusters if c.name == "data-platform-cloud")
    nodes: list[dict[str, Any]] = []
    for node in cluster.nodes:
        obj = node.to_node_object()
        obj["metadata"]["name"] = f"ip-{node.name}"
        obj["metadata"]["labels"]["kubernetes.io/hostname"] = f"ip-{node.name}"
        nodes.append(obj)
    extra_cpu = {"kind": "Node", "metadata": {"name": "spare"}, "status": {"allocatable": {"cpu": "2", "pods": "10"}}}
    odd = {
        "kind": "Node",
        "metadata": {"name": "odd-pool", "labels": {"node-role.kubernetes.io/infra": ""}},
        "spec": {"taints": [{"key": "dedicated", "value": "infra", "effect": "NoSchedule"}]},
        "status": {"allocatable": {"cpu": "2", "pods": "10"}},
    }
    path = _node_list([*nodes, extra_cpu, odd], tmp_path / "nodes.json")
    assert _run(shipped, "data-platform-cloud", "--nodes", str(path), "--json") == 0
    document = json.loads(capsys.readouterr().out)
    [plan] = document["clusters"]
    kinds = {node["name"]: (node["profile"], node["kind"], node["role"]) for node in plan["nodes"]}
    assert kinds["ip-cloud-gpu-1"] == ("nvidia", "gpu", "worker")
    assert kinds["ip-cloud-cpu-1"] == ("cpu", "cpu", "worker")
    assert kinds["spare"] == ("cpu", "cpu", "worker")
    assert kinds["odd-pool"] == (None, "unknown", "infra")
    assert plan["nodesSource"] == "kubectl"
    assert plan["violations"] == []


def test_cli_nodes_file_with_a_foreign_taint_fails(
    shipped: gm.GitOpsApp, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster = next(c for c in shipped.clusters if c.name == "data-platform-local")
    nodes = [node.to_node_object() for node in cluster.nodes]
    worker = next(n for n in nodes if n["metadata"]["name"] == "data-platform-local-worker")
    worker["spec"]["taints"] = [{"key": "apple.com/gpu", "value": "true", "effect": "NoSchedule"}]
    path = _node_list(nodes, tmp_path / "nodes.json")
    assert _run(shipped, "data-platform-local", "--nodes", str(path)) == 1
    err = capsys.readouterr().err
    assert "[data-platform-local/metal-gpu-workloads/metal-ml-training] error" in err
    assert "'metal-ml-training' fits no node" in err
    assert "node 'data-platform-local-worker': TaintToleration: untolerated taint apple.com/gpu=true:NoSchedule" in err
    assert "plan failed with 3 violation(s)" in err


def test_cli_bad_nodes_file_is_reported(
    shipped: gm.GitOpsApp, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "nodes.json"
    path.write_text("not json", encoding="utf-8")
    # A nodes file the plan cannot use is a usage error (2), not a failed plan (1).
    assert _run(shipped, "data-platform-local", "--nodes", str(path)) == 2
    assert "is not JSON" in capsys.readouterr().err
    assert _run(shipped, "--nodes", str(path)) == 2
    assert "--nodes needs a cluster name" in capsys.readouterr().err


def test_cli_unreadable_nodes_file_is_a_usage_error(
    shipped: gm.GitOpsApp, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.json"
    assert _run(shipped, "data-platform-local", "--nodes", str(missing)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"error: --nodes: cannot read nodes file {missing}: No such file or directory" in captured.err
    assert "kubectl get nodes -o json" in captured.err
    assert _run(shipped, "data-platform-local", "--nodes", str(tmp_path)) == 2
    assert "cannot read nodes file" in capsys.readouterr().err
    binary = tmp_path / "nodes.bin"
    binary.write_bytes(b"\xff\xfe{")
    assert _run(shipped, "data-platform-local", "--nodes", str(binary)) == 2
    assert "is not UTF-8 text" in capsys.readouterr().err


def test_fits_no_node_groups_the_nodes_that_share_a_reason() -> None:
    cluster = make_cluster([cpu_node(f"cpu-{index:02d}") for index in range(40)])
    gm.GpuJob(gm.Component(cluster, "ml"), "train", profile=NVIDIA, image=IMAGE)
    [finding] = plan_cluster(cluster).findings
    assert finding.kind == FindingKind.UNSCHEDULABLE
    assert finding.problem.message == (
        "workload 'train' fits no node, even an empty one: nodes 'cpu-00', 'cpu-01', 'cpu-02', 'cpu-03', 'cpu-04' "
        "and 35 more: NodeAffinity: none of the 1 required node affinity term(s) matches the node with labels {}"
    )


def test_fits_no_node_lists_a_bounded_number_of_distinct_reasons() -> None:
    nodes = [{"metadata": {"name": f"cpu-{index:02d}", "labels": {"zone": f"z{index}"}}} for index in range(40)]
    cluster = make_cluster([cpu_node()])
    gm.GpuJob(gm.Component(cluster, "ml"), "train", profile=NVIDIA, image=IMAGE)
    [finding] = plan_cluster(cluster, nodes).findings
    message = finding.problem.message
    assert message.count("NodeAffinity") == 5
    assert "node 'cpu-00': NodeAffinity: none of the 1 required node affinity term(s) matches the node" in message
    assert message.endswith("; 35 more node(s) for other reasons")


def test_fits_no_node_lists_nodes_with_the_same_reason_once() -> None:
    nodes = [
        {"metadata": {"name": f"pool-{index:02d}"}, "spec": {"taints": [{"key": "x", "effect": "NoExecute"}]}}
        for index in range(12)
    ]
    cluster = make_cluster([cpu_node()])
    gm.CpuJob(gm.Component(cluster, "jobs"), "job", image=IMAGE)
    [finding] = plan_cluster(cluster, nodes).findings
    message = finding.problem.message
    assert message.count("TaintToleration") == 1
    assert "nodes 'pool-00', 'pool-01', 'pool-02', 'pool-03', 'pool-04' and 7 more: TaintToleration" in message
    assert '{"key": "x", "operator": "Exists", "effect": "NoExecute"}' in message


def test_excluded_nodes_show_the_first_rejecting_filters_only() -> None:
    cluster = make_cluster([cpu_node(), gpu_node("gpu-1", gpus=1)])
    component = gm.Component(cluster, "ml")
    gm.GpuJob(component, "first", profile=NVIDIA, image=IMAGE)
    gm.GpuJob(component, "second", profile=NVIDIA, image=IMAGE)
    by_pod = {placement.pod: placement for placement in plan_cluster(cluster).placements}
    excluded = {exclusion.node: exclusion.reasons for exclusion in by_pod["second-0"].excluded}
    # cpu-1 also lacks nvidia.com/gpu, but NodeAffinity rejects it first, as in kube-scheduler.
    assert [reason.split(":")[0] for reason in excluded["cpu-1"]] == ["NodeAffinity"]
    assert [reason.split(":")[0] for reason in excluded["gpu-1"]] == ["NodeResourcesFit"]


def test_placements_by_node_groups_the_plan_in_plan_order(shipped: gm.GitOpsApp) -> None:
    for cluster in shipped.clusters:
        plan = plan_cluster(cluster)
        groups = plan.placements_by_node()
        assert sorted(p.pod for group in groups.values() for p in group) == sorted(p.pod for p in plan.placements)
        for node in plan.nodes:
            assert plan.pods_on(node.name) == [p for p in plan.placements if p.node == node.name]


def test_cpu_profile_without_labels_never_claims_a_tainted_node() -> None:
    cluster = make_cluster([gm.Node(name="cpu-1", profile=CPU)])
    gm.CpuJob(gm.Component(cluster, "jobs"), "job", image=IMAGE)
    tainted = {
        "metadata": {"name": "tainted"},
        "spec": {"taints": [{"key": "x", "effect": "NoExecute"}]},
        "status": {"allocatable": {"cpu": "1", "pods": "5"}},
    }
    plan = plan_cluster(cluster, [tainted, cluster.nodes[0].to_node_object()])
    assert plan.node("tainted").kind == "unknown"
    assert plan.violations == []
