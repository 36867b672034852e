"""Node Feature Discovery rules: a profile's labels and taints on every node with its PCI device."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from helpers import crd_schema_errors

import gpumanifests as gm

REPO = gm.GitRepo(url="https://git.example.com/platform/gitops.git")
CPU = gm.NodeProfile.cpu_only()
NVIDIA = gm.NodeProfile.nvidia_cuda(labels={"gpu-type": "cuda"})


def _documents(cluster: gm.Cluster) -> dict[tuple[str, str], dict[str, Any]]:
    files = gm.synthesize(cluster.app).files
    docs = [yaml.safe_load(c) for p, c in files.items() if p.endswith(".yaml") and "node-setup" not in p]
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in docs}


def _cluster(*profiles: gm.NodeProfile, labelling: gm.NodeLabelling = gm.NodeLabelling.NFD) -> gm.Cluster:
    nodes = [gm.Node(name="cpu-1", profile=CPU)]
    nodes += [gm.Node(name=f"gpu-{index}", profile=profile, gpus=1) for index, profile in enumerate(profiles)]
    return gm.Cluster(gm.GitOpsApp(), "lab", nodes=nodes, repo=REPO, node_labelling=labelling)


def test_a_rule_sets_the_managed_labels_and_taints_on_every_nvidia_pci_gpu() -> None:
    rule = _documents(_cluster(NVIDIA))[("NodeFeatureRule", "nvidia-gpu-node")]
    assert rule["spec"]["rules"] == [
        {
            "name": "nvidia GPU node",
            "matchFeatures": [
                {
                    "feature": "pci.device",
                    "matchExpressions": {
                        "vendor": {"op": "In", "value": ["10de"]},
                        "class": {"op": "In", "value": ["0300", "0302"]},
                    },
                }
            ],
            "labels": {"gpu-type": "cuda"},
            "taints": [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}],
        }
    ]
    assert crd_schema_errors(rule) == []


def test_the_rule_replaces_the_labelling_job_and_its_node_rbac() -> None:
    documents = _documents(_cluster(NVIDIA))
    assert not [key for key in documents if key[1].startswith("nvidia-node-labeller")]


def test_a_profile_without_a_pci_identity_keeps_the_labelling_job() -> None:
    documents = _documents(_cluster(gm.NodeProfile.apple_metal()))
    assert ("ClusterRole", "metal-node-labeller") in documents
    assert not [key for key in documents if key[0] == "NodeFeatureRule"]


def test_two_profiles_matching_the_same_devices_are_refused_and_device_ids_tell_them_apart() -> None:
    a100 = gm.NodeProfile.nvidia_cuda(name="a100", product="NVIDIA-A100-SXM4-80GB")
    l4 = gm.NodeProfile.nvidia_cuda(name="l4", product="NVIDIA-L4")
    with pytest.raises(gm.InvalidInputError, match=r"profiles 'a100' and 'l4' match the same PCI devices"):
        _cluster(a100, l4)
    pci = gm.PciMatch(vendor="10de", classes=("0302",), devices=("20b5",))
    distinct = l4.model_copy(update={"pci": gm.PciMatch(vendor="10de", classes=("0302",), devices=("27b8",))})
    cluster = _cluster(a100.model_copy(update={"pci": pci}), distinct)
    rules = {key[1] for key in _documents(cluster) if key[0] == "NodeFeatureRule"}
    assert rules == {"a100-gpu-node", "l4-gpu-node"}


@pytest.mark.parametrize("bad", [{"vendor": "10DE"}, {"vendor": "0x10de"}, {"classes": ()}, {"devices": ("20b",)}])
def test_pci_ids_are_four_lowercase_hex_digits(bad: dict[str, Any]) -> None:
    with pytest.raises(gm.InvalidInputError, match="PciMatch"):
        gm.PciMatch(**({"vendor": "10de", "classes": ("0302",)} | bad))
