"""The texts allocate_claims gives for a node that cannot serve a pod's claims, on NVIDIA-shaped objects."""

from __future__ import annotations

from typing import Any

import pytest

from gpumanifests._placement.dra import (
    DeviceId,
    DraResult,
    Outcome,
    allocate_claims,
    device_matches,
    device_variable,
    gather_pools,
)

DRIVER = "gpu.nvidia.com"
GPU_SELECTOR = "device.driver == 'gpu.nvidia.com' && device.attributes['gpu.nvidia.com'].type == 'gpu'"
GPU_CLASS = {"metadata": {"name": "gpu.nvidia.com"}, "spec": {"selectors": [{"cel": {"expression": GPU_SELECTOR}}]}}
CLASSES = {"gpu.nvidia.com": GPU_CLASS}


def node(name: str = "gpu-3") -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}}}


def gpu(index: int, *, numa: int = 0, product: str | None = "NVIDIA H100 80GB HBM3") -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "type": {"string": "gpu"},
        "driverVersion": {"version": "550.54.15"},
        "resource.kubernetes.io/numaNode": {"int": numa},
    }
    if product is not None:
        attributes["productName"] = {"string": product}
    return {"name": f"gpu-{index}", "attributes": attributes, "capacity": {"memory": {"value": "80Gi"}}}


def resource_slice(devices: list[dict[str, Any]], *, node_name: str = "gpu-3", count: int = 1) -> dict[str, Any]:
    return {
        "metadata": {"name": f"{node_name}-{DRIVER}"},
        "spec": {
            "driver": DRIVER,
            "pool": {"name": node_name, "generation": 1, "resourceSliceCount": count},
            "nodeName": node_name,
            "devices": devices,
        },
    }


def claim(*requests: dict[str, Any], constraints: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    devices: dict[str, Any] = {"requests": list(requests)}
    if constraints:
        devices["constraints"] = constraints
    return {"metadata": {"name": "train", "namespace": "default"}, "spec": {"devices": devices}}


def exactly(name: str = "gpu", count: int = 1, *selectors: str, **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"deviceClassName": "gpu.nvidia.com", "allocationMode": "ExactCount", "count": count}
    if selectors:
        spec["selectors"] = [{"cel": {"expression": s}} for s in selectors]
    return {"name": name, "exactly": {**spec, **extra}}


def allocate(
    claims: list[dict[str, Any]], slices: list[dict[str, Any]], *, allocated: tuple[DeviceId, ...] = ()
) -> DraResult:
    return allocate_claims(claims, slices=slices, classes=CLASSES, node=node(), allocated=allocated)


def test_too_many_devices_requested() -> None:
    result = allocate([claim(exactly("gpu", 4))], [resource_slice([gpu(0), gpu(1)])])
    assert result.outcome is Outcome.UNSATISFIABLE
    assert result.reasons == (
        "claim 'default/train', request 'gpu' (exactly 4 of class 'gpu.nvidia.com'): "
        "only 2 devices on node 'gpu-3' match",
    )


def test_too_few_free_devices() -> None:
    busy = tuple(DeviceId(DRIVER, "gpu-3", f"gpu-{i}") for i in range(6))
    result = allocate([claim(exactly("gpu", 4))], [resource_slice([gpu(i) for i in range(8)])], allocated=busy)
    assert result.reasons == (
        "claim 'default/train', request 'gpu' (exactly 4 of class 'gpu.nvidia.com'): "
        "2 of 8 matching devices are free on node 'gpu-3'",
    )
    assert str(result).startswith("unsatisfiable on node 'gpu-3': claim 'default/train'")


def test_more_than_the_claim_limit_is_an_error() -> None:
    result = allocate([claim(exactly("gpu", 33))], [resource_slice([gpu(0)])])
    assert result.outcome is Outcome.ERROR
    assert result.reasons == ("claim default/train: number of requested devices 33 exceeds the claim limit of 32",)


def test_a_selector_nothing_matches() -> None:
    selector = "device.attributes['gpu.nvidia.com'].productName.matches('(?i)^.*a100.*$')"
    result = allocate([claim(exactly("gpu", 1, selector))], [resource_slice([gpu(0), gpu(1)])])
    assert result.reasons == (
        "claim 'default/train', request 'gpu' (exactly 1 of class 'gpu.nvidia.com' with selectors "
        "[\"device.attributes['gpu.nvidia.com'].productName.matches('(?i)^.*a100.*$')\"]): "
        "no device on node 'gpu-3' matches",
    )


def test_firstavailable_names_every_alternative() -> None:
    request = {
        "name": "gpu",
        "firstAvailable": [
            {"name": "big", "deviceClassName": "gpu.nvidia.com", "count": 4},
            {"name": "small", "deviceClassName": "gpu.nvidia.com", "count": 2},
        ],
    }
    result = allocate([claim(request)], [resource_slice([gpu(0)])])
    assert result.reasons == (
        "claim 'default/train', request 'gpu/big' (exactly 4 of class 'gpu.nvidia.com'): "
        "only 1 device on node 'gpu-3' matches",
        "claim 'default/train', request 'gpu/small' (exactly 2 of class 'gpu.nvidia.com'): "
        "only 1 device on node 'gpu-3' matches",
    )
    fits = allocate([claim(request)], [resource_slice([gpu(0), gpu(1)])])
    assert [(d.request, d.subrequest) for d in fits.claims[0].devices] == [("gpu/small", "small")] * 2


def test_a_constraint_no_node_meets() -> None:
    constraint = {"matchAttribute": "resource.kubernetes.io/numaNode"}
    devices = [gpu(0, numa=0), gpu(1, numa=0), gpu(2, numa=1), gpu(3, numa=1)]
    result = allocate([claim(exactly("gpu", 3), constraints=[constraint])], [resource_slice(devices)])
    assert result.reasons == (
        "claim 'default/train': constraint matchAttribute 'resource.kubernetes.io/numaNode' over all requests "
        "cannot be met on node 'gpu-3': no set of free matching devices shares one value "
        "(their values: 0 (2 devices), 1 (2 devices))",
    )
    two = allocate([claim(exactly("gpu", 2), constraints=[constraint])], [resource_slice(devices)])
    assert two.claims[0].for_request("gpu") == (DeviceId(DRIVER, "gpu-3", "gpu-0"), DeviceId(DRIVER, "gpu-3", "gpu-1"))


def test_a_cel_runtime_error_on_a_missing_attribute() -> None:
    selector = "device.attributes['gpu.nvidia.com'].productName == 'NVIDIA H100 80GB HBM3'"
    result = allocate([claim(exactly("gpu", 1, selector))], [resource_slice([gpu(0, product=None)])])
    assert result.outcome is Outcome.ERROR
    assert result.reasons == ("claim default/train: selector #0: CEL runtime error: no such key: productName",)


def test_a_guarded_selector_is_no_error() -> None:
    selector = (
        "'productName' in device.attributes['gpu.nvidia.com'] && device.attributes['gpu.nvidia.com'].productName != ''"
    )
    result = allocate([claim(exactly("gpu", 1, selector))], [resource_slice([gpu(0, product=None), gpu(1)])])
    assert result.claims[0].for_request("gpu") == (DeviceId(DRIVER, "gpu-3", "gpu-1"),)


def test_a_class_selector_error_names_the_class() -> None:
    broken = {
        "metadata": {"name": "gpu.nvidia.com"},
        "spec": {"selectors": [{"cel": {"expression": "device.attributes['gpu.nvidia.com'].healthy"}}]},
    }
    result = allocate_claims(
        [claim(exactly())], slices=[resource_slice([gpu(0)])], classes={"gpu.nvidia.com": broken}, node=node()
    )
    assert result.reasons == ("class gpu.nvidia.com: selector #0: CEL runtime error: no such key: healthy",)


def test_an_unknown_domain_reads_as_an_empty_map() -> None:
    selectors = (
        "!('x' in device.attributes['other.example.com'])",
        "device.attributes['other.example.com'].size() == 0",
    )
    assert allocate([claim(exactly("gpu", 1, *selectors))], [resource_slice([gpu(0)])])
    missing = allocate(
        [claim(exactly("gpu", 1, "device.attributes['other.example.com'].x == 1"))], [resource_slice([gpu(0)])]
    )
    assert missing.reasons == ("claim default/train: selector #0: CEL runtime error: no such key: x",)


def test_version_and_capacity_selectors() -> None:
    selectors = (
        "device.attributes['gpu.nvidia.com'].driverVersion.isGreaterThan(semver('550.0.0'))",
        "device.capacity['gpu.nvidia.com'].memory.compareTo(quantity('40Gi')) >= 0",
    )
    assert allocate([claim(exactly("gpu", 1, *selectors))], [resource_slice([gpu(0)])])
    newer = "device.attributes['gpu.nvidia.com'].driverVersion.isGreaterThan(semver('560.0.0'))"
    assert not allocate([claim(exactly("gpu", 1, newer))], [resource_slice([gpu(0)])])


def test_an_undeclared_variable_is_a_compile_error() -> None:
    result = allocate([claim(exactly("gpu", 1, "gpu.count > 0"))], [resource_slice([gpu(0)])])
    assert result.reasons == (
        "claim default/train: selector #0: CEL compile error: undeclared reference to 'gpu' (in container '')",
    )


def test_a_missing_device_class_is_an_error() -> None:
    request = {"name": "gpu", "exactly": {"deviceClassName": "mig.nvidia.com", "count": 1}}
    result = allocate([claim(request)], [resource_slice([gpu(0)])])
    assert result.outcome is Outcome.ERROR
    assert result.reasons == (
        "claim default/train, request gpu: could not retrieve device class mig.nvidia.com: "
        'deviceclass.resource.k8s.io "mig.nvidia.com" not found',
    )


def test_an_incomplete_pool_is_named() -> None:
    slices = [resource_slice([gpu(0)], count=2)]
    result = allocate([claim(exactly())], slices)
    assert result.reasons[-1] == (
        "resource pool gpu.nvidia.com/gpu-3 is being updated (1 of 2 ResourceSlices of generation 1 are published): "
        "its devices are not allocated"
    )
    everything = allocate(
        [claim({"name": "gpu", "exactly": {"deviceClassName": "gpu.nvidia.com", "allocationMode": "All"}})], slices
    )
    assert everything.outcome is Outcome.ERROR
    assert everything.reasons == (
        "claim default/train, request gpu: asks for all devices, but resource pool gpu.nvidia.com/gpu-3 "
        "is currently being updated",
    )


def test_claims_that_fit_alone_but_not_together() -> None:
    other = claim(exactly("gpu", 1))
    other["metadata"]["name"] = "eval"
    result = allocate([claim(exactly("gpu", 1)), other], [resource_slice([gpu(0)])])
    assert result.reasons == (
        "claims 'default/train', 'default/eval' fit one at a time but not together: "
        "they need 2 devices and 1 distinct free device on node 'gpu-3' match them",
    )


def test_admin_access_may_use_an_allocated_device() -> None:
    busy = (DeviceId(DRIVER, "gpu-3", "gpu-0"),)
    result = allocate([claim(exactly("gpu", 1, adminAccess=True))], [resource_slice([gpu(0)])], allocated=busy)
    assert result
    assert result.claims[0].devices[0].admin_access
    assert result.claims[0].node_selector == {
        "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["gpu-3"]}]}]
    }


def test_another_node_sees_nothing() -> None:
    result = allocate_claims([claim(exactly())], slices=[resource_slice([gpu(0)])], classes=CLASSES, node=node("gpu-4"))
    assert result.node == "gpu-4"
    assert result.reasons == (
        "claim 'default/train', request 'gpu' (exactly 1 of class 'gpu.nvidia.com'): no device on node 'gpu-4' matches",
    )


def test_the_helpers() -> None:
    pools = gather_pools([resource_slice([gpu(0)])], node())
    assert [(pool.id, pool.state.value) for pool in pools] == [("gpu.nvidia.com/gpu-3", "complete")]
    variable = device_variable(DRIVER, gpu(0))
    assert variable["attributes"]["resource.kubernetes.io"] == {"numaNode": 0}
    assert variable["attributes"][DRIVER]["type"] == "gpu"
    assert device_matches(gpu(0), driver=DRIVER, selectors=GPU_CLASS["spec"]["selectors"])
    with pytest.raises(ValueError, match=r"selector #0: CEL runtime error: no such key: productName"):
        device_matches(
            gpu(0, product=None),
            driver=DRIVER,
            selectors=[{"cel": {"expression": "device.attributes['gpu.nvidia.com'].productName == ''"}}],
        )


def test_a_search_beyond_its_budget_is_an_error() -> None:
    """Upstream's search is exhaustive; the scheduler's filter timeout is modelled by a step budget."""
    claims = [claim(exactly("gpu", 3)), claim(exactly("gpu", 3))]
    claims[1]["metadata"]["name"] = "eval"
    slices = [resource_slice([gpu(i) for i in range(5)])]
    assert allocate_claims(claims, slices=slices, classes=CLASSES, node=node()).outcome is Outcome.UNSATISFIABLE
    result = allocate_claims(claims, slices=slices, classes=CLASSES, node=node(), max_steps=10)
    assert result.outcome is Outcome.ERROR
    assert result.reasons == ("node gpu-3: timed out trying to allocate devices (more than 10 search steps)",)


def test_a_cel_function_the_model_lacks_is_named() -> None:
    selector = "device.attributes['gpu.nvidia.com'].productName.lowerAscii().matches('^.*h100.*$')"
    result = allocate([claim(exactly("gpu", 1, selector))], [resource_slice([gpu(0)])])
    assert result.outcome is Outcome.ERROR
    assert "function 'lowerAscii' is not implemented by this model's CEL" in result.reasons[0]
