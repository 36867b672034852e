"""GPUs through DRA from the same workload declaration: claim templates, pod claims, and a placement proof
that allocates devices as kube-scheduler's allocator does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import gpumanifests as gm
from gpumanifests._placement.plan import FindingKind

REPO = gm.GitRepo(url="https://git.example.com/platform/gitops.git")
CPU = gm.NodeProfile.cpu_only()
IMAGE = "nvcr.io/nvidia/pytorch:24.10-py3"
H100 = gm.DraDevice.nvidia_gpu(
    product_name="NVIDIA H100 80GB HBM3", architecture="Hopper", compute_capability="9.0.0", memory="80Gi"
)
H100_DRA = gm.NodeProfile.nvidia_dra(name="h100", gpu=H100, gpus_per_pcie_root=4)


def _cluster(*gpu_nodes: int, profile: gm.NodeProfile = H100_DRA) -> gm.Cluster:
    nodes = [gm.Node(name="cpu-1", profile=CPU, cpu="16", memory="64Gi")]
    nodes += [
        gm.Node(name=f"gpu-{index}", profile=profile, gpus=gpus, cpu="96", memory="1Ti")
        for index, gpus in enumerate(gpu_nodes, start=1)
    ]
    return gm.Cluster(gm.GitOpsApp(), "lab", nodes=nodes, repo=REPO)


def _job(cluster: gm.Cluster, name: str, gpus: int, **options: Any) -> gm.GpuJob:
    component = cluster.node.try_find_child("ml") or gm.Component(cluster, "ml")
    return gm.GpuJob(component, name, profile=H100_DRA, gpus=gpus, image=IMAGE, **options)  # type: ignore[arg-type]


def _documents(cluster: gm.Cluster) -> dict[tuple[str, str], dict[str, Any]]:
    files = gm.synthesize(cluster.app).files
    docs = [yaml.safe_load(c) for p, c in files.items() if p.endswith(".yaml") and "node-setup" not in p]
    return {
        (
            doc["kind"],
            doc["metadata"]["name"].rsplit("-", 1)[0] if doc["kind"] == "Job" else doc["metadata"]["name"],
        ): doc
        for doc in docs
    }


# -- what the tree holds -------------------------------------------------------------------------


def test_a_dra_workload_gets_a_claim_template_and_claim_references_instead_of_a_gpu_limit() -> None:
    cluster = _cluster(8)
    _job(cluster, "train", 4, same_pcie_root=True, device_selectors=[gm.DeviceSelector.min_memory("80Gi")])
    documents = _documents(cluster)
    pod = documents[("Job", "train")]["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert pod["resourceClaims"] == [{"name": "gpu", "resourceClaimTemplateName": "train-gpu"}]
    assert container["resources"]["claims"] == [{"name": "gpu"}]
    assert not [name for name in container["resources"]["limits"] if name.startswith("nvidia.com/")]
    template = documents[("ResourceClaimTemplate", "train-gpu")]
    assert template["metadata"]["namespace"] == documents[("Job", "train")]["metadata"]["namespace"]
    assert template["spec"]["spec"]["devices"] == {
        "requests": [
            {
                "name": "gpu",
                "exactly": {
                    "deviceClassName": "gpu.nvidia.com",
                    "allocationMode": "ExactCount",
                    "count": 4,
                    "selectors": [
                        {
                            "cel": {
                                "expression": (
                                    "device.capacity['gpu.nvidia.com'].memory.compareTo(quantity('80Gi')) >= 0"
                                )
                            }
                        }
                    ],
                },
            }
        ],
        "constraints": [{"requests": ["gpu"], "matchAttribute": "resource.kubernetes.io/pcieRoot"}],
    }


def test_every_dra_object_validates_against_the_clusters_kubernetes_schema() -> None:
    cluster = _cluster(8)
    _job(cluster, "train", 4, same_pcie_root=True, device_selectors=[gm.DeviceSelector.architecture("Hopper")])
    for (kind, _), doc in _documents(cluster).items():
        if kind in {"ResourceClaimTemplate", "Job"}:
            kubernetes_validate.validate(doc, gm.DEFAULT_KUBERNETES_VERSION, strict=True)


def test_the_driver_is_named_with_the_device_plugin_it_replaces() -> None:
    cluster = _cluster(8)
    _job(cluster, "train", 1)
    readme = gm.synthesize(cluster.app).files["clusters/lab/README.md"].decode()
    assert "NVIDIA DRA driver for GPUs (Helm chart dra-driver-nvidia-gpu): DeviceClass gpu.nvidia.com" in readme
    assert "nvidia.com/gpu.deploy.device-plugin=false" in readme
    assert H100_DRA.managed_labels["nvidia.com/gpu.deploy.device-plugin"] == "false"


# -- the placement proof allocates devices ---------------------------------------------------------


def test_no_device_is_allocated_twice_and_the_next_pod_goes_where_devices_are_free() -> None:
    cluster = _cluster(8, 8)
    component = gm.Component(cluster, "ml")
    gm.GpuDeployment(component, "serve", profile=H100_DRA, gpus=4, replicas=4, image=IMAGE, same_pcie_root=True)
    plan = gm.plan_cluster(cluster)
    assert plan.violations == []
    assert sorted(p.node for p in plan.placements if p.workload == "serve") == ["gpu-1", "gpu-1", "gpu-2", "gpu-2"]


def test_a_fifth_pod_finds_no_free_device_and_the_plan_says_how_many_are_left() -> None:
    cluster = _cluster(8)
    gm.GpuDeployment(gm.Component(cluster, "ml"), "serve", profile=H100_DRA, gpus=3, replicas=3, image=IMAGE)
    [finding] = [f for f in gm.plan_cluster(cluster).findings if f.kind == FindingKind.OVERFLOW]
    assert "DynamicResources" in finding.problem.message
    assert "node 'gpu-1': DynamicResources: claim 'serve-gpu'" in finding.problem.message
    assert (
        "(exactly 3 of class 'gpu.nvidia.com'): 2 of 8 matching devices are free on the node" in finding.problem.message
    )


def test_a_constraint_no_node_meets_is_refused_at_synth_with_the_explanation() -> None:
    cluster = _cluster(8)  # two PCIe roots of four GPUs
    _job(cluster, "wide", 6, same_pcie_root=True)
    with pytest.raises(gm.SynthError) as error:
        gm.synthesize(cluster.app)
    assert "fits no node" in str(error.value) or "DynamicResources" in str(error.value)
    assert "resource.kubernetes.io/pcieRoot" in str(error.value)


def test_a_selector_nothing_matches_is_refused_at_synth() -> None:
    cluster = _cluster(8)
    _job(cluster, "old", 1, device_selectors=[gm.DeviceSelector.architecture("Ampere")])
    with pytest.raises(
        gm.SynthError,
        match=r"node 'gpu-1': DynamicResources: claim 'old-gpu', .*'Ampere'.*no device on the node matches",
    ):
        gm.synthesize(cluster.app)


def test_typed_selectors_read_the_drivers_attributes() -> None:
    cluster = _cluster(8)
    _job(
        cluster,
        "hopper",
        2,
        device_selectors=[
            gm.DeviceSelector.compute_capability_at_least("9.0.0"),
            gm.DeviceSelector.product("NVIDIA H100 80GB HBM3"),
        ],
    )
    assert gm.plan_cluster(cluster).violations == []


def test_an_80gb_h100_as_the_driver_publishes_it_is_not_80gi() -> None:
    """NVIDIA's DRA driver reports NVML's memory total (81559Mi for an H100 80GB HBM3): min_memory("80Gi")
    leaves such a claim unallocatable and the synth says so; min_memory("80G") places it."""
    published = gm.DraDevice.nvidia_gpu(
        product_name="NVIDIA H100 80GB HBM3", architecture="Hopper", compute_capability="9.0.0", memory="81559Mi"
    )
    profile = gm.NodeProfile.nvidia_dra(name="h100", gpu=published, gpus_per_pcie_root=4)
    for size, fits in (("80G", True), ("80Gi", False)):
        cluster = _cluster(8, profile=profile)
        selectors = [gm.DeviceSelector.min_memory(size)]
        gm.GpuJob(gm.Component(cluster, "ml"), "train", profile=profile, image=IMAGE, device_selectors=selectors)
        if fits:
            gm.synthesize(cluster.app)
        else:
            with pytest.raises(gm.SynthError, match="train"):
                gm.synthesize(cluster.app)


# -- mistakes at construction ----------------------------------------------------------------------


def test_a_bad_cel_expression_is_refused_at_construction_naming_it() -> None:
    with pytest.raises(
        gm.InvalidInputError,
        match=r"DeviceSelector: expression='device.attributes\[': CEL expression .* CEL syntax error",
    ):
        gm.DeviceSelector.cel("device.attributes[")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: gm.DeviceSelector.min_memory("lots"), "DeviceSelector.min_memory('lots'): 'lots' is not a Kubernetes"),
        (
            lambda: gm.DeviceSelector.compute_capability_at_least("9.0"),
            "DeviceSelector.compute_capability_at_least('9.0'): invalid semantic version '9.0'",
        ),
    ],
)
def test_typed_selectors_refuse_a_bad_value_at_construction(make: Any, message: str) -> None:
    """semver() in a DRA selector takes strict semver (MAJOR.MINOR.PATCH): "9.0" would fail only at allocation."""
    with pytest.raises(gm.InvalidInputError) as error:
        make()
    assert message in str(error.value)


def test_claim_options_on_a_device_plugin_profile_are_refused() -> None:
    nvidia = gm.NodeProfile.nvidia_cuda()
    cluster = gm.Cluster(gm.GitOpsApp(), "lab", nodes=[gm.Node(name="g", profile=nvidia, gpus=1)], repo=REPO)
    with pytest.raises(gm.InvalidInputError, match=r"device_selectors and same_pcie_root narrow a DRA claim"):
        gm.GpuJob(gm.Component(cluster, "ml"), "j", profile=nvidia, image=IMAGE, same_pcie_root=True)


def test_a_claim_template_naming_an_unknown_device_class_fails_the_synth() -> None:
    cluster = _cluster(8)
    _job(cluster, "train", 1).add_json_patch()  # nothing patched: the job itself is fine
    component = cluster.node.find_child("ml")
    gm.CustomResource(
        component,
        "stray",
        api_version="resource.k8s.io/v1",
        kind="ResourceClaimTemplate",
        name="stray",
        spec={"spec": {"devices": {"requests": [{"name": "gpu", "exactly": {"deviceClassName": "tpu.example.com"}}]}}},
    )
    with pytest.raises(gm.SynthError, match=r"'tpu.example.com' is no DeviceClass of the tree"):
        gm.synthesize(cluster.app)


# -- the shipped tree ----------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
DRIVER_CLASSES = {"gpu.nvidia.com", "gpu.example.com"}  # installed by NVIDIA's and the example DRA driver


def test_every_shipped_dra_pod_claims_a_template_of_its_namespace_and_a_class_that_exists() -> None:
    docs = [
        yaml.safe_load(path.read_text()) for path in (ROOT / "gitops").rglob("*.yaml") if "node-setup" not in path.parts
    ]
    templates = {
        (d["metadata"]["namespace"], d["metadata"]["name"]): d for d in docs if d["kind"] == "ResourceClaimTemplate"
    }
    classes = DRIVER_CLASSES | {d["metadata"]["name"] for d in docs if d["kind"] == "DeviceClass"}
    claimed = 0
    for doc in docs:
        pod = (doc.get("spec") or {}).get("template", {}).get("spec") or {}
        for claim in pod.get("resourceClaims", []):
            template = templates[(doc["metadata"]["namespace"], claim["resourceClaimTemplateName"])]
            for request in template["spec"]["spec"]["devices"]["requests"]:
                assert request["exactly"]["deviceClassName"] in classes
            claimed += 1
    assert claimed


# -- properties ------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    node_gpus=st.lists(st.integers(min_value=1, max_value=8), min_size=1, max_size=3),
    job_gpus=st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=6),
)
def test_the_plan_never_hands_out_more_devices_than_a_node_publishes(node_gpus: list[int], job_gpus: list[int]) -> None:
    cluster = _cluster(*node_gpus, profile=gm.NodeProfile.nvidia_dra(name="h100", gpu=H100))
    ml = gm.Component(cluster, "ml")
    for index, gpus in enumerate(job_gpus):
        gm.GpuJob(ml, f"job-{index}", profile=cluster.gpu_profiles()[0], gpus=gpus, image=IMAGE)
    plan = gm.plan_cluster(cluster)
    held: dict[str, int] = {}
    for placement in plan.placements:
        if placement.node is not None and placement.profile == "h100":
            held[placement.node] = held.get(placement.node, 0) + placement.gpus
    assert all(held[node.name] <= node.gpus for node in cluster.nodes if node.name in held)
    placed = sum(held.values())
    assert placed == sum(p.gpus for p in plan.placements if p.node is not None and p.profile == "h100")
    # a pod left out had no node with that many free devices
    for placement in plan.placements:
        if placement.node is None:
            free = [node.gpus - held.get(node.name, 0) for node in cluster.nodes if node.profile.name == "h100"]
            assert max(free) < placement.gpus


def test_mig_slices_through_dra_are_devices_of_the_mig_class_and_the_node_is_partitioned() -> None:
    slices = gm.DraDevice.nvidia_mig(
        profile="3g.40gb",
        product_name="NVIDIA A100-SXM4-80GB",
        architecture="Ampere",
        compute_capability="8.0.0",
        memory="40Gi",
    )
    mig = gm.NodeProfile.nvidia_dra(name="a100-mig", gpu=slices)
    assert (mig.dra.device_class, slices.per_gpu) == ("mig.nvidia.com", 2)  # type: ignore[union-attr]
    assert mig.managed_labels["nvidia.com/mig.config"] == "all-3g.40gb"
    cluster = _cluster(2, profile=mig)  # two A100s: four 3g.40gb slices
    ml = gm.Component(cluster, "ml")
    gm.GpuJob(ml, "three", profile=mig, gpus=3, image=IMAGE)
    gm.GpuJob(ml, "two", profile=mig, gpus=2, image=IMAGE)
    [finding] = [f for f in gm.plan_cluster(cluster).findings if f.kind == FindingKind.OVERFLOW]
    assert (
        "(exactly 2 of class 'mig.nvidia.com'): 1 of 4 matching devices is free on the node" in finding.problem.message
    )
