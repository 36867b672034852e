"""GPUs through Dynamic Resource Allocation (``resource.k8s.io/v1``): the profile's devices and the workload's claim.

A profile with :class:`DraAllocation` hands out its GPUs through DRA instead of a device
plugin's extended resource. Its nodes' devices are what the driver publishes in each node's
``ResourceSlice`` (:class:`DraDevice`: attributes and capacity, one device per GPU); its
workloads get, instead of an ``nvidia.com/gpu`` limit,

- a ``ResourceClaimTemplate`` ``<workload>-gpu`` in their namespace: one request ``gpu`` for
  ``gpus`` devices of the profile's DeviceClass (``exactly``, ``allocationMode: ExactCount``),
  narrowed by the workload's :class:`DeviceSelector`\\ s, and, with ``same_pcie_root``, a
  ``matchAttribute`` constraint on ``resource.kubernetes.io/pcieRoot``;
- the pod's ``spec.resourceClaims`` entry ``gpu`` made from that template, and the main
  container's ``resources.claims`` naming it.

The DeviceClass is the driver's (NVIDIA's driver installs ``gpu.nvidia.com``, the example
driver ``gpu.example.com``): the tree refers to it and names the driver as a prerequisite.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal, Self

from pydantic import Field, field_validator

from gpumanifests._errors import InvalidInputError
from gpumanifests._kube.cel import CelError, compile_expression, semver_value
from gpumanifests._kube.names import check_device_attribute_name
from gpumanifests._kube.quantity import parse_quantity
from gpumanifests._props import DnsSubdomain, Props, Quantity

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "CLAIM_NAME",
    "DRA_API_VERSION",
    "PCIE_ROOT_ATTRIBUTE",
    "DeviceSelector",
    "DraAllocation",
    "DraDevice",
    "claim_template",
    "modelled_device_class",
    "node_resource_slice",
]

DRA_API_VERSION = "resource.k8s.io/v1"
CLAIM_NAME = "gpu"
"""The name of a workload's GPU request, of its pod's claim entry and of the container's claim reference."""
PCIE_ROOT_ATTRIBUTE = "resource.kubernetes.io/pcieRoot"
"""The standard attribute a driver sets to the PCIe root complex of a device."""

_AttributeKind = Literal["string", "int", "bool", "version"]


class DraDevice(Props):
    """One GPU as its DRA driver publishes it in a node's ``ResourceSlice``.

    ``attributes`` map a name (the driver's own when unqualified) to ``(kind, value)`` with kind
    ``string``, ``int``, ``bool`` or ``version``; ``capacity`` maps a name to a quantity;
    ``index_attribute`` names an ``int`` attribute holding the device's index on its node;
    ``per_gpu`` is how many such devices each physical GPU is (its MIG slices; 1 for a whole GPU).
    """

    attributes: dict[str, tuple[_AttributeKind, str | int | bool]] = Field(default_factory=dict)
    capacity: dict[str, Quantity] = Field(default_factory=dict)
    index_attribute: str | None = None
    per_gpu: int = Field(default=1, ge=1, le=7, strict=True)

    @field_validator("attributes", "capacity")
    @classmethod
    def _qualified_names(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name in value:
            check_device_attribute_name(name)
        return value

    @classmethod
    def nvidia_gpu(cls, *, product_name: str, architecture: str, compute_capability: str, memory: str) -> DraDevice:
        """A full GPU as NVIDIA's DRA driver (``gpu.nvidia.com``) publishes it.

        ``product_name`` is NVML's name (``"NVIDIA A100-SXM4-80GB"``, with spaces, unlike GPU
        Feature Discovery's label), ``architecture`` NVML's (``"Ampere"``, ``"Hopper"``,
        ``"Ada Lovelace"``), ``compute_capability`` a version (``"8.0.0"``), ``memory`` the
        device's memory capacity as the driver reports it: NVML's total, so less than the name
        says (an H100 80GB HBM3 has ``"81559Mi"``, under ``80Gi``).
        """
        return cls(
            attributes={
                "type": ("string", "gpu"),
                "productName": ("string", product_name),
                "brand": ("string", "Nvidia"),
                "architecture": ("string", architecture),
                "cudaComputeCapability": ("version", compute_capability),
            },
            capacity={"memory": memory},
        )

    @classmethod
    def nvidia_mig(
        cls, *, profile: str, product_name: str, architecture: str, compute_capability: str, memory: str
    ) -> DraDevice:
        """A MIG slice as NVIDIA's DRA driver publishes it (class ``mig.nvidia.com``): ``profile``
        (``"3g.40gb"``) of a ``product_name`` GPU, with its ``memory``; a GPU of seven compute
        slices holds ``7 // g`` of them (two ``3g``, seven ``1g``)."""
        slices = re.fullmatch(r"([1-7])g\.\d+gb", profile)
        if slices is None:
            raise ValueError(f"MIG profile {profile!r} is not '<g>g.<memory>gb' with g from 1 to 7, e.g. '3g.40gb'")
        return cls(
            attributes={
                "type": ("string", "mig"),
                "profile": ("string", profile),
                "productName": ("string", product_name),
                "brand": ("string", "Nvidia"),
                "architecture": ("string", architecture),
                "cudaComputeCapability": ("version", compute_capability),
            },
            capacity={"memory": memory},
            per_gpu=7 // int(slices[1]),
        )

    @property
    def is_mig(self) -> bool:
        """Whether the device is a MIG slice (NVIDIA's ``type: mig``)."""
        return self.attributes.get("type") == ("string", "mig")

    @classmethod
    def example_gpu(cls) -> DraDevice:
        """A GPU of Kubernetes' example DRA driver (``gpu.example.com``), as it publishes them on kind nodes."""
        return cls(
            attributes={"model": ("string", "LATEST-GPU-MODEL"), "driverVersion": ("version", "1.0.0")},
            capacity={"memory": "80Gi", "compute": "100"},
            index_attribute="index",
        )

    def published(self, index: int, pcie_root: str | None, name: str | None = None) -> dict[str, Any]:
        """Device ``name`` (``gpu-<index>``) of a ResourceSlice, with its PCIe root when the node has them."""
        attributes: dict[str, Any] = {name: {kind: value} for name, (kind, value) in self.attributes.items()}
        if self.index_attribute is not None:
            attributes[self.index_attribute] = {"int": index}
        if pcie_root is not None:
            attributes[PCIE_ROOT_ATTRIBUTE] = {"string": pcie_root}
        capacity = {key: {"value": amount} for key, amount in self.capacity.items()}
        return {"name": name or f"gpu-{index}", "attributes": attributes, "capacity": capacity}


class DraAllocation(Props):
    """How a profile's GPUs are allocated through DRA: the driver, its DeviceClass and its devices.

    ``device_class`` is the DeviceClass the driver installs and ``class_selector`` the CEL
    selector it has (modelled by the placement proof, not emitted); ``installed_by`` names the
    driver's install. ``gpus_per_pcie_root`` groups a node's GPUs by PCIe root (the
    ``resource.kubernetes.io/pcieRoot`` attribute); None when the driver publishes none.
    ``device_plugin_off`` says what must be switched off so the device plugin does not also
    hand out the same GPUs ('' when nothing).
    """

    driver: DnsSubdomain
    device_class: DnsSubdomain
    class_selector: str
    installed_by: str
    device: DraDevice
    gpus_per_pcie_root: int | None = Field(default=None, ge=1, strict=True)
    device_plugin_off: str = ""

    @field_validator("class_selector")
    @classmethod
    def _class_selector_compiles(cls, value: str) -> str:
        _check_cel(value)
        return value

    @classmethod
    def nvidia(cls, device: DraDevice, *, gpus_per_pcie_root: int | None = None) -> DraAllocation:
        """NVIDIA's DRA driver for GPUs (``gpu.nvidia.com``): its DeviceClass ``gpu.nvidia.com`` for whole
        GPUs, ``mig.nvidia.com`` for MIG slices."""
        kind = "mig" if device.is_mig else "gpu"
        return cls(
            driver="gpu.nvidia.com",
            device_class=f"{kind}.nvidia.com",
            class_selector=f"device.driver == 'gpu.nvidia.com' && device.attributes['gpu.nvidia.com'].type == '{kind}'",
            installed_by="NVIDIA DRA driver for GPUs (Helm chart dra-driver-nvidia-gpu)",
            device=device,
            gpus_per_pcie_root=gpus_per_pcie_root,
            device_plugin_off=(
                "no device plugin on its nodes: they carry nvidia.com/gpu.deploy.device-plugin=false for the GPU "
                "Operator (or install it with devicePlugin.enabled=false)"
            ),
        )

    @classmethod
    def example(cls) -> DraAllocation:
        """Kubernetes' example DRA driver (``gpu.example.com``, kubernetes-sigs/dra-example-driver), for kind."""
        return cls(
            driver="gpu.example.com",
            device_class="gpu.example.com",
            class_selector="device.driver == 'gpu.example.com'",
            installed_by="dra-example-driver (Helm chart dra-example-driver)",
            device=DraDevice.example_gpu(),
        )

    def pcie_root(self, index: int) -> str | None:
        """The PCIe root of a node's ``index``-th GPU: ``pci0000:<group>`` (None without roots)."""
        if self.gpus_per_pcie_root is None:
            return None
        return f"pci{index // self.gpus_per_pcie_root:04x}:00"


def _check_cel(expression: str) -> None:
    try:
        compile_expression(expression)
    except CelError as error:
        raise ValueError(f"CEL expression {expression!r}: {error}") from None


class DeviceSelector(Props):
    """A requirement on the devices of a workload's claim, as one CEL selector.

    **Usage**: ``DeviceSelector.min_memory("80Gi")``, ``DeviceSelector.product("NVIDIA H100 80GB HBM3")``,
    ``DeviceSelector.architecture("Hopper")``, ``DeviceSelector.compute_capability_at_least("9.0.0")``,
    or the escape hatch ``DeviceSelector.cel("device.attributes['gpu.nvidia.com'].brand == 'Nvidia'")``,
    whose syntax is checked here. The typed ones read the driver's attributes of NVIDIA's driver;
    ``{driver}`` in an expression stands for the profile's driver.
    """

    expression: str

    @field_validator("expression")
    @classmethod
    def _compiles(cls, value: str) -> str:
        _check_cel(value.replace("{driver}", "driver.example.com"))
        return value

    @classmethod
    def cel(cls, expression: str) -> Self:
        """Any CEL selector over ``device`` (``driver``, ``attributes``, ``capacity``), checked for syntax."""
        return cls(expression=expression)

    @classmethod
    def product(cls, name: str) -> Self:
        """The driver's ``productName`` is ``name``."""
        return cls(expression=f"device.attributes['{{driver}}'].productName == {_cel_string(name)}")

    @classmethod
    def architecture(cls, name: str) -> Self:
        """The driver's ``architecture`` is ``name`` (``Ampere``, ``Hopper``)."""
        return cls(expression=f"device.attributes['{{driver}}'].architecture == {_cel_string(name)}")

    @classmethod
    def min_memory(cls, size: str) -> Self:
        """The device's ``memory`` capacity is at least ``size``.

        Drivers report the memory the GPU has for use, below its marketing size: an "80GB" H100
        reports 81559Mi, which ``"80Gi"`` (81920Mi) excludes; ``"80G"`` (decimal) keeps it.
        """
        _checked("DeviceSelector.min_memory", parse_quantity, size)
        return cls(expression=f"device.capacity['{{driver}}'].memory.compareTo(quantity({_cel_string(size)})) >= 0")

    @classmethod
    def compute_capability_at_least(cls, version: str) -> Self:
        """The driver's ``cudaComputeCapability`` is at least ``version`` (semver, ``"9.0.0"``)."""
        _checked("DeviceSelector.compute_capability_at_least", semver_value, version)
        attribute = "device.attributes['{driver}'].cudaComputeCapability"
        return cls(expression=f"{attribute}.compareTo(semver({_cel_string(version)})) >= 0")

    def for_driver(self, driver: str) -> str:
        """The CEL expression with the profile's driver filled in."""
        return self.expression.replace("{driver}", driver)


def _cel_string(value: str) -> str:
    """``value`` as a CEL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def claim_template(
    *,
    name: str,
    namespace: str,
    allocation: DraAllocation,
    count: int,
    selectors: tuple[DeviceSelector, ...],
    same_pcie_root: bool,
) -> dict[str, Any]:
    """A workload's ``ResourceClaimTemplate``: ``count`` devices of the profile's class, narrowed by ``selectors``."""
    exactly: dict[str, Any] = {
        "deviceClassName": allocation.device_class,
        "allocationMode": "ExactCount",
        "count": count,
    }
    if selectors:
        exactly["selectors"] = [
            {"cel": {"expression": selector.for_driver(allocation.driver)}} for selector in selectors
        ]
    devices: dict[str, Any] = {"requests": [{"name": CLAIM_NAME, "exactly": exactly}]}
    if same_pcie_root:
        devices["constraints"] = [{"requests": [CLAIM_NAME], "matchAttribute": PCIE_ROOT_ATTRIBUTE}]
    return {
        "apiVersion": DRA_API_VERSION,
        "kind": "ResourceClaimTemplate",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"spec": {"devices": devices}},
    }


def node_resource_slice(node_name: str, allocation: DraAllocation, gpus: int) -> dict[str, Any]:
    """The ``ResourceSlice`` the driver publishes for a node with ``gpus`` GPUs (one pool named after the node)."""
    device = allocation.device
    if device.per_gpu == 1:
        devices = [device.published(index, allocation.pcie_root(index)) for index in range(gpus)]
    else:
        profile = str(device.attributes["profile"][1]).replace(".", "")
        devices = [
            device.published(gpu, allocation.pcie_root(gpu), name=f"gpu-{gpu}-mig-{profile}-{part}")
            for gpu in range(gpus)
            for part in range(device.per_gpu)
        ]
    return {
        "apiVersion": DRA_API_VERSION,
        "kind": "ResourceSlice",
        "metadata": {"name": f"{node_name}-{allocation.driver}"},
        "spec": {
            "driver": allocation.driver,
            "nodeName": node_name,
            "pool": {"name": node_name, "generation": 0, "resourceSliceCount": 1},
            "devices": devices,
        },
    }


def modelled_device_class(allocation: DraAllocation) -> dict[str, Any]:
    """The driver's DeviceClass as the placement proof models it."""
    return {
        "apiVersion": DRA_API_VERSION,
        "kind": "DeviceClass",
        "metadata": {"name": allocation.device_class},
        "spec": {"selectors": [{"cel": {"expression": allocation.class_selector}}]},
    }


def _checked(owner: str, parse: Callable[[str], object], value: str) -> None:
    """Refuse ``value`` when ``parse`` does, naming the method and the value (before any CEL is written)."""
    try:
        parse(value)
    except ValueError as error:
        raise InvalidInputError(f"{owner}({value!r}): {error}") from None
