"""GPU sharing and MIG on both sides: nodes advertise exactly the resources their workloads request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

import gpumanifests as gm
from gpumanifests._synth.loader import load_apps

ROOT = Path(__file__).resolve().parents[2]
REPO = gm.GitRepo(url="https://git.example.com/platform/gitops.git")
CPU = gm.NodeProfile.cpu_only()
IMAGE = "nvcr.io/nvidia/pytorch:24.10-py3"
T4 = gm.NodeProfile.nvidia_cuda(name="t4", shared="time-slicing", replicas=4)
A100_MIG = gm.NodeProfile.nvidia_cuda(name="a100-mig", mig_slice="3g.40gb")


def _cluster(profile: gm.NodeProfile, gpus: int = 1) -> gm.Cluster:
    nodes = [gm.Node(name="cpu-1", profile=CPU), gm.Node(name="gpu-1", profile=profile, gpus=gpus)]
    return gm.Cluster(gm.GitOpsApp(), "lab", nodes=nodes, repo=REPO)


def _files(cluster: gm.Cluster) -> dict[str, Any]:
    files = gm.synthesize(cluster.app).files
    return {path: yaml.safe_load(content) for path, content in files.items() if path.endswith(".yaml")}


def _advertised(node_labels: dict[str, str], allocatable: dict[str, str], config_map: dict[str, Any]) -> set[str]:
    """What the NVIDIA device plugin advertises on a node, read from its config (the plugin's rules):
    with ``renameByDefault`` shares are ``<resource>.shared``; the mixed MIG strategy advertises
    ``nvidia.com/mig-<slice>`` for the layout ``nvidia.com/mig.config`` names."""
    key = node_labels.get("nvidia.com/device-plugin.config", "default")
    config = json.loads(config_map["data"][key])
    advertised = set()
    for strategy in (config.get("sharing") or {}).values():
        suffix = ".shared" if strategy["renameByDefault"] else ""
        advertised |= {resource["name"] + suffix for resource in strategy["resources"]}
    layout = node_labels.get("nvidia.com/mig.config", "")
    if config["flags"]["migStrategy"] == "mixed" and layout.startswith("all-"):
        advertised.add(f"nvidia.com/mig-{layout.removeprefix('all-')}")
    if not advertised:
        advertised = {resource for resource in allocatable if resource.startswith("nvidia.com/")}
    return advertised


def _requested(docs: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for path, doc in docs.items():
        spec = (doc.get("spec") or {}).get("template", {}).get("spec") or {}
        for container in spec.get("containers", []):
            found += [
                (path, name)
                for name in (container.get("resources") or {}).get("limits", {})
                if name.startswith("nvidia.com/")
            ]
    return found


@pytest.mark.parametrize("profile", [T4, A100_MIG], ids=lambda p: p.name)
def test_every_shared_or_mig_request_is_advertised_by_a_node_of_the_cluster(profile: gm.NodeProfile) -> None:
    cluster = _cluster(profile)
    gm.GpuJob(gm.Component(cluster, "work"), "job", profile=profile, image=IMAGE)
    docs = _files(cluster)
    config_map = docs["clusters/lab/nvidia-device-plugin/gpu-operator_configmap_device-plugin-config.yaml"]
    advertised = {
        resource for node in cluster.nodes for resource in _advertised(node.labels, node.allocatable(), config_map)
    }
    assert _requested(docs)
    assert {resource for _, resource in _requested(docs)} <= advertised


def test_the_shipped_tree_requests_only_what_its_nodes_advertise() -> None:
    app = load_apps(ROOT / "apps")
    files = gm.synthesize(app).files
    checked = 0
    for cluster in app.clusters:
        docs = {
            p: yaml.safe_load(c)
            for p, c in files.items()
            if p.startswith(f"clusters/{cluster.name}/") and p.endswith(".yaml")
        }
        config_map = docs.get(
            f"clusters/{cluster.name}/nvidia-device-plugin/gpu-operator_configmap_device-plugin-config.yaml"
        )
        if config_map is None:
            continue
        advertised = {r for node in cluster.nodes for r in _advertised(node.labels, node.allocatable(), config_map)}
        requested = {resource for _, resource in _requested(docs)}
        assert "nvidia.com/gpu.shared" in requested
        assert requested <= advertised
        checked += 1
    assert checked


def test_a_sharing_profile_labels_its_nodes_with_its_device_plugin_config() -> None:
    cluster = _cluster(T4)
    docs = _files(cluster)
    job = next(doc for path, doc in docs.items() if "/t4-gpu-nodes/" in path and doc["kind"] == "Job")
    commands = [container["command"] for container in job["spec"]["template"]["spec"]["initContainers"]]
    assert ["kubectl", "label", "node", "gpu-1", "nvidia.com/device-plugin.config=t4", "--overwrite"] in commands
    assert cluster.nodes[1].allocatable()["nvidia.com/gpu.shared"] == "4"  # one GPU, four shares


def test_the_device_plugin_config_lives_in_the_operators_namespace_without_claiming_it() -> None:
    docs = _files(_cluster(T4))
    assert not [
        doc for doc in docs.values() if doc["kind"] == "Namespace" and doc["metadata"]["name"] == "gpu-operator"
    ]
    readme = gm.synthesize(_cluster(T4).app).files["clusters/lab/README.md"].decode()
    assert "NVIDIA GPU Operator: installed with Helm values devicePlugin.config.name=device-plugin-config" in readme


def test_mig_runs_the_mixed_strategy_and_names_the_layout_on_the_node() -> None:
    docs = _files(_cluster(A100_MIG))
    config_map = docs["clusters/lab/nvidia-device-plugin/gpu-operator_configmap_device-plugin-config.yaml"]
    assert json.loads(config_map["data"]["default"]) == {"version": "v1", "flags": {"migStrategy": "mixed"}}
    assert A100_MIG.managed_labels == {"nvidia.com/mig.config": "all-3g.40gb"}
    assert "mig.strategy=mixed" in gm.synthesize(_cluster(A100_MIG).app).files["clusters/lab/README.md"].decode()


def test_more_than_one_share_is_refused_as_the_device_plugin_would() -> None:
    cluster = _cluster(T4)
    gm.GpuJob(gm.Component(cluster, "work"), "greedy", profile=T4, gpus=2, image=IMAGE)
    with pytest.raises(
        gm.SynthError, match=r"requests 2 of nvidia.com/gpu.shared, but the device plugin refuses more than one share"
    ):
        gm.synthesize(cluster.app)


def test_a_shared_resource_no_node_configuration_advertises_is_refused() -> None:
    hand_made = gm.NodeProfile(
        name="handmade",
        vendor=gm.Vendor.NVIDIA,
        discovered_labels={"nvidia.com/gpu.present": "true"},
        gpu_resource="nvidia.com/gpu.shared",
    )
    cluster = _cluster(hand_made)
    gm.GpuJob(gm.Component(cluster, "work"), "job", profile=hand_made, image=IMAGE)
    with pytest.raises(
        gm.SynthError, match=r"requests nvidia.com/gpu.shared, which no node's device-plugin configuration"
    ):
        gm.synthesize(cluster.app)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"shared": "time-slicing", "replicas": 1}, "greater than or equal to 2"),
        ({"mig_slice": "3g.41gb"}, "is not one the GPU Operator's default mig-parted config offers"),
    ],
)
def test_impossible_sharing_or_mig_is_refused_at_construction(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(gm.InvalidInputError, match=message):
        gm.NodeProfile.nvidia_cuda(**arguments)


def test_a_runtime_class_nothing_provides_is_refused_and_the_operators_is_named() -> None:
    kata = gm.NodeProfile.nvidia_cuda(runtime_class_name="kata")
    cluster = _cluster(kata)
    gm.GpuJob(gm.Component(cluster, "work"), "job", profile=kata, image=IMAGE)
    with pytest.raises(gm.SynthError, match=r"runtimeClassName: 'kata' is no RuntimeClass of the tree"):
        gm.synthesize(cluster.app)
    nvidia = gm.NodeProfile.nvidia_cuda(runtime_class_name="nvidia")
    cluster = _cluster(nvidia)
    gm.GpuJob(gm.Component(cluster, "work"), "job", profile=nvidia, image=IMAGE)
    assert (
        "NVIDIA GPU Operator: RuntimeClass nvidia (it creates it)"
        in gm.synthesize(cluster.app).files["clusters/lab/README.md"].decode()
    )
