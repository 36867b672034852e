"""AMD and Intel clusters: the seed's workloads on each vendor, vendor-correct and passing every check."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import gpumanifests as gm
from gpumanifests._placement.plan import plan_cluster

if TYPE_CHECKING:
    from types import ModuleType

APPS = Path(__file__).resolve().parents[2] / "apps"


def _seed() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_seed_for_vendor_tests", APPS / "_seed.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


VENDORS = {
    "amd": (gm.NodeProfile.amd_rocm(), "amd.com/gpu", "rocm/"),
    "intel-i915": (gm.NodeProfile.intel_gpu(), "gpu.intel.com/i915", "intel/intel-extension-for-"),
    "intel-xe": (gm.NodeProfile.intel_gpu(driver="xe"), "gpu.intel.com/xe", "intel/intel-extension-for-"),
}


def _vendor_cluster(profile: gm.NodeProfile) -> tuple[gm.GitOpsApp, gm.Cluster]:
    app = gm.GitOpsApp()
    cluster = gm.Cluster(
        app,
        f"lab-{profile.name}",
        nodes=[
            gm.Node(name="cpu-1", profile=gm.NodeProfile.cpu_only()),
            gm.Node(name="gpu-1", profile=profile, gpus=2, cpu="16", memory="64Gi"),
            gm.Node(name="gpu-2", profile=profile, gpus=2, cpu="16", memory="64Gi"),
        ],
        repo=gm.GitRepo(url="https://git.example.com/platform/gitops.git"),
    )
    _seed().declare_seed_workloads(cluster, profile)
    return app, cluster


def _gpu_containers(synthesis: gm.Synthesis) -> list[dict[str, Any]]:
    return [
        obj.manifest["spec"]["template"]["spec"]["containers"][0]
        for render in synthesis.renders
        for component in render.components
        for obj in component.objects
        if obj.manifest["kind"] in {"Job", "Deployment"}
        and obj.manifest["metadata"]["labels"].get("app.kubernetes.io/component") == "gpu-workload"
    ]


@pytest.mark.parametrize("vendor", VENDORS, ids=str)
def test_seed_workloads_on_the_vendor_synthesize_and_place_cleanly(vendor: str) -> None:
    profile, resource, image_prefix = VENDORS[vendor]
    app, cluster = _vendor_cluster(profile)
    synthesis = gm.synthesize(app)  # raises on any schema, consistency or placement error
    containers = _gpu_containers(synthesis)
    assert len(containers) == 3
    for container in containers:
        assert container["resources"]["limits"][resource] == "1"
        assert not any(env["name"].startswith(("TF_METAL", "PYTORCH_ENABLE_MPS")) for env in container.get("env", []))
    profile_images = [container["image"] for container in containers if container["image"].startswith(image_prefix)]
    assert len(profile_images) == 2, "training and serving use the vendor's framework images"
    assert plan_cluster(cluster).violations == []


@pytest.mark.parametrize("vendor", VENDORS, ids=str)
def test_vendor_taint_is_keyed_by_the_resource_and_tolerated_by_key(vendor: str) -> None:
    profile, resource, _ = VENDORS[vendor]
    assert [str(taint) for taint in profile.taints] == [f"{resource}=present:NoSchedule"]
    assert [toleration.to_dict() for toleration in profile.tolerations] == [
        {"key": resource, "operator": "Exists", "effect": "NoSchedule"}
    ]
