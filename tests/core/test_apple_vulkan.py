"""The Apple Vulkan profile: the render node of a krunkit VM, advertised by the generic device plugin."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

import gpumanifests as gm

REPO = gm.GitRepo(url="https://git.example.com/platform/gitops.git")
LLAMA = "ghcr.io/ggml-org/llama.cpp:server-vulkan-b4300"
VULKAN = gm.NodeProfile.apple_vulkan(shares=2)


def _cluster(gpus: int = 2) -> gm.Cluster:
    nodes = [
        gm.Node(name="cp", role=gm.NodeRole.CONTROL_PLANE, profile=gm.NodeProfile.cpu_only(), cpu="2", memory="4Gi"),
        gm.Node(name="mac", profile=VULKAN, gpus=gpus, cpu="8", memory="16Gi"),
    ]
    return gm.Cluster(gm.GitOpsApp(), "mac", nodes=nodes, repo=REPO)


def _daemonset(cluster: gm.Cluster) -> dict[str, Any]:
    path = "clusters/mac/vulkan-device-plugin/kube-system_daemonset_vulkan-generic-device-plugin.yaml"
    return dict(yaml.safe_load(gm.synthesize(cluster.app).files[path]))


def test_the_profile_is_a_distinct_apple_gpu_next_to_the_seeds_metal_one() -> None:
    metal = gm.NodeProfile.apple_metal()
    assert VULKAN.node_labels["gpu-type"] == "vulkan" != metal.node_labels["gpu-type"]
    assert VULKAN.taints == metal.taints
    assert VULKAN.gpu_resource == "squat.ai/dri"
    doc = " ".join((gm.NodeProfile.apple_vulkan.__doc__ or "").split())
    assert "**Vulkan compute**" in doc
    assert "Metal, MPS, tensorflow-metal, CUDA, ROCm and OpenGL are not" in doc


def test_the_plugin_runs_on_exactly_the_profiles_nodes_and_advertises_the_render_node() -> None:
    daemonset = _daemonset(_cluster())
    pod = daemonset["spec"]["template"]["spec"]
    [container] = pod["containers"]
    device = json.loads(container["args"][container["args"].index("--device") + 1])
    assert device == {"name": "dri", "groups": [{"count": 2, "paths": [{"path": "/dev/dri/renderD128"}]}]}
    assert container["image"] == "ghcr.io/squat/generic-device-plugin:0.1.0"
    terms = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert terms == [{"matchExpressions": VULKAN.node_selector_requirements()}]
    assert pod["tolerations"] == [toleration.to_dict() for toleration in VULKAN.tolerations]
    assert {volume["hostPath"]["path"] for volume in pod["volumes"]} == {"/var/lib/kubelet/device-plugins", "/dev"}


def test_kube_system_is_left_to_the_cluster() -> None:
    files = gm.synthesize(_cluster().app).files
    assert not [path for path in files if path.endswith("namespace_kube-system.yaml")]


def test_vulkan_pods_get_a_share_of_the_render_node_and_fit_only_the_mac() -> None:
    cluster = _cluster()
    gm.GpuDeployment(gm.Component(cluster, "llm"), "llama", profile=VULKAN, image=LLAMA, port=8080, replicas=2)
    plan = gm.plan_cluster(cluster)
    assert [p.node for p in plan.placements if p.workload == "llama"] == ["mac", "mac"]
    assert plan.violations == []


def test_a_node_must_offer_exactly_the_plugins_shares() -> None:
    with pytest.raises(gm.InvalidInputError, match=r"advertises 2 of squat.ai/dri per node, so gpus must be 2, not 1"):
        _cluster(gpus=1)


def test_there_is_no_framework_image_to_fall_back_on() -> None:
    with pytest.raises(gm.InvalidInputError, match=r"has no default image for framework 'tensorflow'"):
        gm.GpuJob(gm.Component(_cluster(), "llm"), "train", profile=VULKAN)
