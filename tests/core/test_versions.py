"""Kubernetes minors per cluster: the supported set, refusals, and what follows the version."""

from __future__ import annotations

from datetime import date

import kubernetes_validate
import pytest

import gpumanifests as gm
from gpumanifests._kube.versions import release

TODAY = date(2026, 12, 2)
"""Fixed on purpose: when a supported minor's end of life passes this date, bump the table consciously."""
REPO = gm.GitRepo(url="https://git.example.com/platform/gitops.git")
NVIDIA = gm.NodeProfile.nvidia_cuda()


def _cluster(version: str | None = None) -> gm.Cluster:
    options = {} if version is None else {"kubernetes_version": version}
    nodes = [gm.Node(name="cpu-1", profile=gm.NodeProfile.cpu_only()), gm.Node(name="gpu-1", profile=NVIDIA, gpus=1)]
    return gm.Cluster(gm.GitOpsApp(), "lab", nodes=nodes, repo=REPO, **options)  # type: ignore[arg-type]


def test_the_supported_minors_are_1_35_to_1_37_with_the_newest_as_default() -> None:
    assert gm.SUPPORTED_KUBERNETES_VERSIONS == ("1.35", "1.36", "1.37")
    assert gm.DEFAULT_KUBERNETES_VERSION == "1.37"
    assert _cluster().kubernetes.version == "1.37"


@pytest.mark.parametrize("version", gm.SUPPORTED_KUBERNETES_VERSIONS)
def test_no_supported_minor_is_past_its_end_of_life(version: str) -> None:
    assert release(version).end_of_life > TODAY, f"Kubernetes {version} is end of life: drop it from the table"


@pytest.mark.parametrize(("version", "reason"), [("1.33", "reached end of life on 2026-06-28"), ("1.30", "2025-06-28")])
def test_fails_on_an_end_of_life_minor_with_its_date_and_the_supported_list(version: str, reason: str) -> None:
    with pytest.raises(gm.InvalidInputError) as raised:
        _cluster(version)
    message = str(raised.value)
    assert f"kubernetes_version='{version}'" in message
    assert reason in message
    assert "supported: 1.35 (end of life 2027-02-28), 1.36 (end of life 2027-06-28), 1.37" in message


def test_fails_on_an_unknown_minor() -> None:
    with pytest.raises(gm.InvalidInputError, match=r"'1\.99' is not a supported Kubernetes minor; supported: 1\.35"):
        _cluster("1.99")


def _synthesized(version: str) -> dict[str, bytes]:
    cluster = _cluster(version)
    gm.GpuJob(gm.Component(cluster, "ml"), "train", profile=NVIDIA, image="nvcr.io/nvidia/pytorch:24.10-py3")
    gm.CpuDeployment(gm.Component(cluster, "web"), "api", image="busybox:1.36.1", port=8080)
    return gm.synthesize(cluster.app).files


@pytest.mark.parametrize("version", gm.SUPPORTED_KUBERNETES_VERSIONS)
def test_a_cluster_at_each_supported_minor_validates_against_that_minors_schema(version: str) -> None:
    """An independent check: kubernetes-validate's own strict schemas for the cluster's minor."""
    from ruamel.yaml import YAML

    files = _synthesized(version)
    manifests = [YAML(typ="safe").load(content) for path, content in files.items() if path.endswith(".yaml")]
    built_in = [m for m in manifests if not m["apiVersion"].startswith("argoproj.io/")]
    assert built_in
    for manifest in built_in:
        kubernetes_validate.validate(manifest, version, strict=True)


@pytest.mark.parametrize("version", gm.SUPPORTED_KUBERNETES_VERSIONS)
def test_images_and_pod_security_follow_the_minor(version: str) -> None:
    files = _synthesized(version)
    entry = release(version)
    namespace = files["clusters/lab/ml/namespace_ml.yaml"].decode()
    assert f"pod-security.kubernetes.io/enforce-version: v{version}" in namespace
    labeller = files["clusters/lab/nvidia-gpu-nodes/nvidia-gpu-nodes_job_nvidia-node-labeller.yaml"].decode()
    assert f"image: registry.k8s.io/kubectl:v{entry.patch}" in labeller
    assert entry.kind_node_image in files["clusters/lab/node-setup/kind-config.json"].decode()
    assert entry.kind_node_image in files["clusters/lab/node-setup/kind.tf.json"].decode()
