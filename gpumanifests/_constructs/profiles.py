"""Node profiles: what a kind of node carries, and what a workload needs to run there.

A :class:`NodeProfile` is a value, not a construct: the same profile drives the node side
(labels and taints a setup script, a kind config or a labelling Job puts on the node) and the
workload side (required node affinity, tolerations, the extended-resource limit, env and image),
so the two cannot drift apart.
"""

from __future__ import annotations

import difflib
import json
import math
from enum import StrEnum
from importlib import resources
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self

from pydantic import Field, field_validator, model_validator

from gpumanifests._constructs.dra import DraAllocation, DraDevice
from gpumanifests._constructs.env import EnvName
from gpumanifests._errors import InvalidInputError
from gpumanifests._kube.names import check_label_value
from gpumanifests._kube.quantity import parse_quantity
from gpumanifests._props import DnsLabel, DnsSubdomain, ExtendedResourceName, Image, Int64, LabelKey, LabelValue, Props
from gpumanifests.scheduling import (
    BLOCKING_EFFECTS,
    matches_node_selector_term,
    node_requirement_arity_is_valid,
    taint_text,
    tolerates,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "Framework",
    "GenericDevice",
    "GpuSharing",
    "NodeOperator",
    "NodeProfile",
    "NodeRequirement",
    "PciMatch",
    "Taint",
    "TaintEffect",
    "Toleration",
    "TolerationOperator",
    "Vendor",
]


class Vendor(StrEnum):
    """The accelerator vendor of a node profile (``none`` for CPU-only nodes)."""

    APPLE = "apple"
    NVIDIA = "nvidia"
    AMD = "amd"
    INTEL = "intel"
    EXAMPLE = "example"
    """Kubernetes' example DRA driver, whose GPUs are simulated."""
    NONE = "none"


class Framework(StrEnum):
    """The ML framework whose image and env a GPU workload gets by default."""

    TENSORFLOW = "tensorflow"
    PYTORCH = "pytorch"


class TaintEffect(StrEnum):
    """What a taint does to pods that do not tolerate it.

    ``NoSchedule`` and ``NoExecute`` keep such pods off the node (``NoExecute`` also evicts
    running ones); ``PreferNoSchedule`` only makes the scheduler avoid the node.
    """

    NO_SCHEDULE = "NoSchedule"
    PREFER_NO_SCHEDULE = "PreferNoSchedule"
    NO_EXECUTE = "NoExecute"


class TolerationOperator(StrEnum):
    """``Equal`` matches a taint's key and value; ``Exists`` matches its key with any value."""

    EQUAL = "Equal"
    EXISTS = "Exists"


class Taint(Props):
    """A node taint ``key=value:effect``."""

    key: LabelKey
    value: LabelValue = ""
    effect: TaintEffect

    def __str__(self) -> str:
        return taint_text(self.to_dict())

    def to_dict(self) -> dict[str, str]:
        """The taint as ``Node.spec.taints[]`` holds it."""
        entry = {"key": self.key, "effect": str(self.effect)}
        if self.value:
            entry["value"] = self.value
        return entry

    def blocks_scheduling(self) -> bool:
        """Whether kube-scheduler's filter keeps untolerating pods off the node."""
        return self.effect in BLOCKING_EFFECTS


class Toleration(Props):
    """A pod toleration; see :meth:`tolerates` for the matching rule.

    ``toleration_seconds`` bounds how long a pod stays on a node after a ``NoExecute`` taint
    appears (Kubernetes allows it only with that effect).
    """

    key: LabelKey
    operator: TolerationOperator = TolerationOperator.EQUAL
    value: LabelValue = ""
    effect: TaintEffect
    toleration_seconds: Int64 | None = Field(default=None, ge=0, strict=True)

    @model_validator(mode="after")
    def _seconds_only_for_no_execute(self) -> Self:
        if self.toleration_seconds is not None and self.effect is not TaintEffect.NO_EXECUTE:
            raise ValueError(
                f"toleration for {self.key!r} sets toleration_seconds={self.toleration_seconds} with effect "
                f"{self.effect.value}; it only applies to NoExecute, so use effect NoExecute or drop it"
            )
        return self

    @model_validator(mode="after")
    def _exists_has_no_value(self) -> Self:
        if self.operator is TolerationOperator.EXISTS and self.value:
            raise ValueError(
                f"toleration for {self.key!r} uses operator Exists with value {self.value!r}; "
                "Exists matches any value, so drop the value or use operator Equal"
            )
        return self

    @classmethod
    def for_taint(cls, taint: Taint, operator: TolerationOperator) -> Toleration:
        """The toleration that tolerates exactly ``taint`` (by key and value, or by key only)."""
        value = taint.value if operator is TolerationOperator.EQUAL else ""
        return cls(key=taint.key, operator=operator, value=value, effect=taint.effect)

    def tolerates(self, taint: Taint) -> bool:
        """Kubernetes' rule (:func:`gpumanifests.scheduling.tolerates`): key, effect and, for Equal, value."""
        return tolerates(self.to_dict(), taint.to_dict())

    def to_dict(self) -> dict[str, Any]:
        """The toleration as ``PodSpec.tolerations[]`` holds it."""
        entry: dict[str, Any] = {"key": self.key, "operator": str(self.operator)}
        if self.operator is TolerationOperator.EQUAL:
            entry["value"] = self.value
        entry["effect"] = str(self.effect)
        if self.toleration_seconds is not None:
            entry["tolerationSeconds"] = self.toleration_seconds
        return entry


class NodeOperator(StrEnum):
    """How a :class:`NodeRequirement` compares a node label (``NodeSelectorRequirement.operator``).

    ``Gt`` and ``Lt`` compare the label's value as an integer; a node whose label is missing or
    not an integer does not match.
    """

    IN = "In"
    NOT_IN = "NotIn"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"
    GT = "Gt"
    LT = "Lt"


class NodeRequirement(Props):
    """A required node-affinity expression: label ``key`` ``operator`` ``values``.

    ``In`` and ``NotIn`` take one or more values, ``Exists`` and ``DoesNotExist`` none, ``Gt``
    and ``Lt`` exactly one integer, as the scheduler parses them.

    **Usage**::

        NodeRequirement(key="nvidia.com/gpu.product", operator=NodeOperator.IN, values=("NVIDIA-L4", "NVIDIA-L40S"))
        NodeRequirement(key="nvidia.com/gpu.memory", operator=NodeOperator.GT, values=("40959",))
    """

    key: LabelKey
    operator: NodeOperator
    values: tuple[LabelValue, ...] = ()

    @model_validator(mode="after")
    def _values_fit_the_operator(self) -> Self:
        if not node_requirement_arity_is_valid(self.operator, self.values):
            raise ValueError(
                f"node requirement {self.key!r} {self.operator.value} {list(self.values)}: In and NotIn take "
                "one or more values, Exists and DoesNotExist none, Gt and Lt exactly one integer"
            )
        return self

    def __str__(self) -> str:
        return f"{self.key} {self.operator.value} {','.join(self.values)}".rstrip()

    def to_dict(self) -> dict[str, Any]:
        """The requirement as ``matchExpressions[]`` holds it."""
        entry: dict[str, Any] = {"key": self.key, "operator": str(self.operator)}
        if self.values:
            entry["values"] = list(self.values)
        return entry

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether a node with ``labels`` meets the requirement (the scheduler's rule)."""
        return matches_node_selector_term({"matchExpressions": [self.to_dict()]}, {"metadata": {"labels": labels}})


_PCI_ID = r"^[0-9a-f]{4}$"


class PciMatch(Props):
    """The PCI devices that make a node one of a profile's, as Node Feature Discovery sees them (``pci.device``).

    IDs are four lowercase hex digits without ``0x``, as NFD reports them: ``vendor`` (``10de``
    for NVIDIA), device ``classes`` (``0300`` VGA, ``0302`` 3D controller) and, to tell two
    models of one vendor apart, ``devices`` (empty: any device of the vendor in those classes).
    """

    vendor: str = Field(pattern=_PCI_ID)
    classes: tuple[Annotated[str, Field(pattern=_PCI_ID)], ...] = Field(min_length=1)
    devices: tuple[Annotated[str, Field(pattern=_PCI_ID)], ...] = ()

    def overlaps(self, other: PciMatch) -> bool:
        """Whether some device would match both."""
        same_devices = not self.devices or not other.devices or bool(set(self.devices) & set(other.devices))
        return self.vendor == other.vendor and bool(set(self.classes) & set(other.classes)) and same_devices

    def to_feature_matcher(self) -> dict[str, Any]:
        """The ``matchFeatures[]`` term of a NodeFeatureRule."""
        expressions: dict[str, Any] = {
            "vendor": {"op": "In", "value": [self.vendor]},
            "class": {"op": "In", "value": list(self.classes)},
        }
        if self.devices:
            expressions["device"] = {"op": "In", "value": list(self.devices)}
        return {"feature": "pci.device", "matchExpressions": expressions}


class GpuSharing(Props):
    """How the NVIDIA device plugin shares each GPU of a profile's nodes (its config's ``sharing``).

    ``strategy`` is ``time-slicing`` or ``mps``; each GPU is advertised ``replicas`` times (at
    least 2, as the plugin requires) as ``nvidia.com/gpu.shared`` (``renameByDefault``).
    ``fail_requests_greater_than_one`` (on, as NVIDIA recommends) makes the plugin refuse a
    container asking for more than one share, which would not get more of the GPU anyway.
    """

    strategy: Literal["time-slicing", "mps"]
    replicas: int = Field(default=4, ge=2, le=1024, strict=True)
    fail_requests_greater_than_one: bool = True

    def device_plugin_config(self) -> dict[str, Any]:
        """The device plugin's config file (``version: v1``) for nodes shared this way."""
        key = "timeSlicing" if self.strategy == "time-slicing" else "mps"
        sharing = {
            "renameByDefault": True,
            "failRequestsGreaterThanOne": self.fail_requests_greater_than_one,
            "resources": [{"name": "nvidia.com/gpu", "replicas": self.replicas}],
        }
        return {"version": "v1", "flags": {"migStrategy": "none"}, "sharing": {key: sharing}}


class GenericDevice(Props):
    """Host device files advertised as an extended resource by the generic device plugin
    (squat/generic-device-plugin), for accelerators no vendor plugin serves.

    ``resource`` is ``<domain>/<name>`` (the plugin's ``--domain`` and device name, e.g.
    ``squat.ai/dri``); each of ``paths`` is mounted into a pod that gets one; ``shares`` is how
    many pods may hold it at once on a node (the plugin's group ``count``).
    """

    resource: str = Field(pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    paths: tuple[str, ...] = Field(min_length=1)
    shares: int = Field(default=1, ge=1, le=1000, strict=True)

    @field_validator("paths")
    @classmethod
    def _absolute_device_paths(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [path for path in value if not path.startswith("/dev/") or ".." in path.split("/")]
        if bad:
            raise ValueError(f"device paths must be files under /dev/; got {bad}")
        return value

    def plugin_device(self) -> dict[str, Any]:
        """The plugin's ``--device`` spec: the device name and its one group."""
        group = {"count": self.shares, "paths": [{"path": path} for path in self.paths]}
        return {"name": self.resource.partition("/")[2], "groups": [group]}


DEVICE_PLUGIN_CONFIG_LABEL = "nvidia.com/device-plugin.config"
"""On a node: which config of the device plugin's ConfigMap it runs (unset: the default one)."""
MIG_CONFIG_LABEL = "nvidia.com/mig.config"
"""On a node: which MIG configuration the GPU Operator's MIG manager applies to its GPUs."""
_MIG_CONFIGS = json.loads(resources.files("gpumanifests").joinpath("_schemas/nvidia/mig-configs.json").read_text())
MIG_CONFIG_NAMES = frozenset(_MIG_CONFIGS["names"])
"""The MIG configurations the GPU Operator's default ``default-mig-parted-config`` offers."""
_NVIDIA_CAPABILITIES = "compute,utility"


def _product_selection(
    owner: str, key: str, product: str | Sequence[str] | None
) -> tuple[dict[str, str], list[NodeRequirement]]:
    """One product as a label every node carries, several as an ``In`` selector, none as nothing."""
    products = [product] if isinstance(product, str) else list(product or ())
    if product is not None and not products:
        raise InvalidInputError(f"{owner}: product is empty; name one product, several, or pass None for any")
    try:
        if len(products) == 1:
            return {key: check_label_value(products[0])}, []
        return {}, [NodeRequirement(key=key, operator=NodeOperator.IN, values=tuple(products))] if products else []
    except ValueError as error:
        raise InvalidInputError(f"{owner}: product: {error}") from None


def _at_least_mib(owner: str, key: str, size: str) -> NodeRequirement:
    """``key Gt <MiB - 1>``: a label published in MiB that is at least ``size``."""
    try:
        size_bytes = parse_quantity(size)
    except ValueError as error:
        raise InvalidInputError(f"{owner}: min_memory: {error}") from None
    mib = math.ceil(size_bytes / 2**20)
    if size_bytes < 2**20:
        raise InvalidInputError(f"{owner}: min_memory={size!r} is less than 1Mi; give a GPU memory size such as '40Gi'")
    return NodeRequirement(key=key, operator=NodeOperator.GT, values=(str(mib - 1),))


class NodeProfile(Props):
    """A kind of node and everything a workload needs to be placed on it.

    **Usage**::

        metal = NodeProfile.apple_metal()
        a100 = NodeProfile.nvidia_cuda(runtime_class_name="nvidia", mig_slice="3g.20gb")

    Workloads that run on a profile require *all* of its ``node_labels`` and ``selectors``
    (required node affinity, one term of expressions) and tolerate *exactly* its taints, with
    ``toleration_operator`` deciding whether a toleration names the taint value (``Equal``) or
    only its key (``Exists``). The tree sets ``accelerator_labels`` and ``pool_labels`` on the
    nodes (the labelling Job, or a node pool's template); ``discovered_labels`` are published by
    the vendor's own components and only selected on.
    """

    name: DnsLabel
    """Short name used in directory and Application names, e.g. ``metal`` gives ``metal-gpu-nodes``."""
    vendor: Vendor
    description: str = ""
    accelerator_labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    """Labels that identify the accelerator (``apple.com/gpu=true``, ``gpu-type=metal``)."""
    pool_labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    """Fleet-convention labels shared by every GPU pool (``gpu-vendor``, ``node-role``)."""
    discovered_labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    """Labels the vendor's components publish on such nodes (GPU Feature Discovery's
    ``nvidia.com/gpu.product``); selected on, never set by the tree."""
    node_settings: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    """Labels the tree sets to configure node-side components (the device plugin's config, the
    MIG layout, the GPU Operator's deploy switches); workloads do not select on them."""
    selectors: tuple[NodeRequirement, ...] = ()
    """Further requirements on node labels: several accepted values (``In``), a number above or below."""
    pci: PciMatch | None = None
    """The accelerator's PCI identity, for Node Feature Discovery rules; None when it has none (Apple)."""
    sharing: GpuSharing | None = None
    """How the device plugin shares each GPU (NVIDIA time-slicing or MPS); None for whole GPUs."""
    mig_config: str | None = None
    """The GPU Operator MIG configuration (``nvidia.com/mig.config``) its nodes run, e.g. ``all-3g.40gb``."""
    dra: DraAllocation | None = None
    """How Dynamic Resource Allocation hands out its GPUs; None when a device plugin advertises ``gpu_resource``."""
    generic_device: GenericDevice | None = None
    """The device files the tree's generic device plugin advertises as ``gpu_resource``; None when the
    vendor's plugin does."""

    @model_validator(mode="after")
    def _generic_device_is_the_resource(self) -> Self:
        if self.generic_device is not None and self.generic_device.resource != self.gpu_resource:
            raise ValueError(
                f"profile {self.name!r}: its generic device plugin advertises {self.generic_device.resource}, "
                f"but its gpu_resource is {self.gpu_resource}; they must be the same resource"
            )
        return self

    @model_validator(mode="after")
    def _one_way_to_hand_out_gpus(self) -> Self:
        if self.dra is not None and self.gpu_resource is not None:
            raise ValueError(
                f"profile {self.name!r} hands out GPUs both through DRA ({self.dra.driver}) and a device plugin "
                f"({self.gpu_resource}); a DRA driver and a device plugin must not share the GPUs, keep one"
            )
        return self

    taints: tuple[Taint, ...] = ()
    toleration_operator: TolerationOperator = TolerationOperator.EQUAL
    gpu_resource: ExtendedResourceName | None = None
    """Extended resource a device plugin advertises (``nvidia.com/gpu``); None when there is none."""
    runtime_class_name: DnsSubdomain | None = None
    images: dict[Framework, Image] = Field(default_factory=dict)
    env: dict[EnvName, str] = Field(default_factory=dict)
    """Framework env every GPU container on this profile gets."""
    cpu_env: dict[EnvName, str] = Field(default_factory=dict)
    """Env that CPU containers get in a cluster that has nodes of this profile."""
    not_portable: tuple[str, ...] = ()
    """Features of this profile with no equivalent elsewhere, named in migration reports."""

    @model_validator(mode="after")
    def _labels_do_not_conflict(self) -> Self:
        groups = {
            "accelerator_labels": set(self.accelerator_labels),
            "pool_labels": set(self.pool_labels),
            "discovered_labels": set(self.discovered_labels),
            "node_settings": set(self.node_settings),
            "selectors": {selector.key for selector in self.selectors},
        }
        names = list(groups)
        for index, first in enumerate(names):
            for second in names[index + 1 :]:
                shared = sorted(groups[first] & groups[second])
                if shared:
                    raise ValueError(
                        f"profile {self.name!r} names {shared} in both {first} and {second}; give each label key once"
                    )
        return self

    @field_validator("mig_config")
    @classmethod
    def _known_mig_config(cls, value: str | None) -> str | None:
        if value is not None and value not in MIG_CONFIG_NAMES:
            near = difflib.get_close_matches(value, sorted(MIG_CONFIG_NAMES), n=3)
            raise ValueError(
                f"MIG configuration {value!r} is not one the GPU Operator's default mig-parted config offers"
                + (f" (did you mean {', '.join(near)}?)" if near else "")
                + "; the slice names depend on the GPU (an A100-80GB has 1g.10gb, 2g.20gb, 3g.40gb, 4g.40gb, 7g.80gb)"
            )
        return value

    @property
    def is_gpu(self) -> bool:
        """Whether nodes of this profile carry an accelerator."""
        return self.vendor is not Vendor.NONE

    @property
    def node_labels(self) -> dict[str, str]:
        """Every label a node of this profile carries with a fixed value (set or discovered), sorted by key."""
        return dict(sorted({**self.accelerator_labels, **self.pool_labels, **self.discovered_labels}.items()))

    @property
    def managed_labels(self) -> dict[str, str]:
        """The labels the tree sets on the profile's nodes (labelling Job, NFD rule, pool template), sorted by key."""
        return dict(sorted({**self.accelerator_labels, **self.pool_labels, **self.node_settings}.items()))

    @property
    def identity_labels(self) -> dict[str, str]:
        """The labels that say a node has this accelerator (discovered, then the tree's own)."""
        return {**self.discovered_labels, **self.accelerator_labels}

    def matches_labels(self, labels: Mapping[str, str]) -> bool:
        """Whether a node with ``labels`` is one this profile's workloads may use (labels and selectors)."""
        fixed = all(labels.get(key) == value for key, value in self.node_labels.items())
        return fixed and all(selector.matches(labels) for selector in self.selectors)

    @property
    def tolerations(self) -> tuple[Toleration, ...]:
        """The tolerations a workload needs: one per taint of this profile, exactly matching it."""
        return tuple(Toleration.for_taint(taint, self.toleration_operator) for taint in self.taints)

    def node_selector_requirements(self) -> list[dict[str, object]]:
        """Required node affinity expressions: every node label ``In`` its single value, then the selectors."""
        fixed = [{"key": key, "operator": "In", "values": [value]} for key, value in self.node_labels.items()]
        return [*fixed, *(selector.to_dict() for selector in self.selectors)]

    def image_for(self, framework: Framework) -> str:
        """The default image of ``framework`` on this profile."""
        try:
            return self.images[framework]
        except KeyError:
            known = ", ".join(sorted(self.images)) or "none"
            raise ValueError(
                f"profile {self.name!r} has no default image for framework {framework.value!r} "
                f"(it has: {known}); pass image= explicitly"
            ) from None

    # -- catalog -------------------------------------------------------------------------

    @classmethod
    def apple_metal(cls) -> NodeProfile:
        """An Apple Silicon worker, exactly as the seed cluster labels and taints it.

        Honest note: Linux containers cannot reach the Metal GPU. There is no Metal
        passthrough into Linux containers and no Apple device plugin, so there is no extended
        resource to request, and ``TF_METAL_DEVICE_PLACEMENT`` / ``PYTORCH_ENABLE_MPS_FALLBACK``
        have no effect inside the container (tensorflow-metal and the MPS backend are
        macOS-only). What this profile delivers is scheduling isolation: GPU-tagged work runs on
        the Apple worker and nothing else does.
        """
        return cls(
            name="metal",
            vendor=Vendor.APPLE,
            description="Apple Silicon worker (Metal); scheduling isolation only, no GPU in Linux containers",
            accelerator_labels={"apple.com/gpu": "true", "gpu-type": "metal"},
            pool_labels={"gpu-vendor": "apple", "node-role": "gpu-worker"},
            taints=(Taint(key="apple.com/gpu", value="present", effect=TaintEffect.NO_SCHEDULE),),
            toleration_operator=TolerationOperator.EQUAL,
            images={
                Framework.TENSORFLOW: "tensorflow/tensorflow:latest",
                Framework.PYTORCH: "pytorch/pytorch:latest",
            },
            env={"TF_METAL_DEVICE_PLACEMENT": "true", "PYTORCH_ENABLE_MPS_FALLBACK": "1"},
            not_portable=(
                "TF_METAL_DEVICE_PLACEMENT and PYTORCH_ENABLE_MPS_FALLBACK are macOS Metal/MPS switches "
                "and mean nothing on other accelerators",
            ),
        )

    @classmethod
    def apple_vulkan(cls, *, name: str = "vulkan", resource: str = "squat.ai/dri", shares: int = 1) -> NodeProfile:
        """An Apple Silicon Mac whose Linux containers reach its GPU through Vulkan (Podman's krunkit VM).

        Honest note: in a krunkit (libkrun) VM, containers see a virtio-gpu render node
        (``/dev/dri/renderD128``); Mesa's Venus driver forwards Vulkan to the host, where MoltenVK
        runs it on Metal. What is accelerated is **Vulkan compute** (llama.cpp's Vulkan backend,
        for example); Metal, MPS, tensorflow-metal, CUDA, ROCm and OpenGL are not, and images
        need Mesa's Venus driver. The tree ships the generic device plugin
        (squat/generic-device-plugin) that advertises the render node as ``resource``, to
        ``shares`` pods at once per node. No framework default image exists for it: give ``image=``.
        """
        return cls(
            name=name,
            vendor=Vendor.APPLE,
            description="Apple Silicon worker in a krunkit VM: Vulkan compute through virtio-gpu (Venus, MoltenVK)",
            accelerator_labels={"apple.com/gpu": "true", "gpu-type": "vulkan"},
            pool_labels={"gpu-vendor": "apple", "node-role": "gpu-worker"},
            taints=(Taint(key="apple.com/gpu", value="present", effect=TaintEffect.NO_SCHEDULE),),
            toleration_operator=TolerationOperator.EQUAL,
            gpu_resource=resource,
            generic_device=GenericDevice(resource=resource, paths=("/dev/dri/renderD128",), shares=shares),
            not_portable=(
                f"{resource} is Vulkan compute through krunkit's virtio-gpu (Venus): workloads built for it use "
                "Vulkan, which CUDA and ROCm nodes do not serve this way",
            ),
        )

    @classmethod
    def nvidia_cuda(
        cls,
        *,
        name: str = "nvidia",
        product: str | Sequence[str] | None = None,
        min_memory: str | None = None,
        labels: Mapping[str, str] | None = None,
        runtime_class_name: str | None = None,
        mig_slice: str | None = None,
        shared: Literal["time-slicing", "mps"] | None = None,
        replicas: int = 4,
        pci_devices: Sequence[str] = (),
    ) -> NodeProfile:
        """An NVIDIA GPU node with the device plugin, selected on the labels NVIDIA's components publish.

        Nodes are chosen by ``nvidia.com/gpu.present=true`` (set by the GPU Operator from NFD's
        PCI labels) and, from GPU Feature Discovery, ``product`` (``nvidia.com/gpu.product``,
        e.g. ``"NVIDIA-A100-SXM4-80GB"``; several products select any of them) and
        ``min_memory`` (``nvidia.com/gpu.memory``, published in MiB: ``"40Gi"`` selects GPUs
        with at least 40960 MiB; the label is the usable memory, 81559 for an "80GB" H100, so
        ``"80G"`` selects that class and ``"80Gi"`` does not). ``labels`` are further labels the tree sets on the nodes.
        ``runtime_class_name="nvidia"`` is needed where nvidia is not the container runtime's
        default. ``mig_slice="3g.40gb"`` partitions every GPU into those MIG slices (the GPU
        Operator's ``all-3g.40gb`` configuration, set by the ``nvidia.com/mig.config`` node label)
        and requests them (``nvidia.com/mig-3g.40gb``, the *mixed* strategy); ``shared`` shares
        each GPU ``replicas`` times by time-slicing or MPS (:class:`GpuSharing`), advertised as
        ``nvidia.com/gpu.shared`` and selected by the ``nvidia.com/device-plugin.config`` node
        label. The two are exclusive. ``pci_devices`` are the PCI device IDs of the product
        (``"27b8"`` for an L4), which tell two NVIDIA profiles apart for Node Feature Discovery.
        """
        if mig_slice is not None and shared is not None:
            raise InvalidInputError(
                f"NodeProfile.nvidia_cuda: mig_slice={mig_slice!r} and shared={shared!r} are exclusive; "
                "MIG slices cannot also be time-shared or MPS-shared here, pass one of them"
            )
        resource = "nvidia.com/gpu"
        not_portable: list[str] = []
        settings: dict[str, str] = {}
        mig_config = sharing = None
        if mig_slice is not None:
            resource = f"nvidia.com/mig-{mig_slice}"
            mig_config = f"all-{mig_slice}"
            settings[MIG_CONFIG_LABEL] = mig_config
            not_portable.append(f"MIG slice {resource} has no equivalent on other vendors")
        if shared is not None:
            resource = "nvidia.com/gpu.shared"
            sharing = GpuSharing(strategy=shared, replicas=replicas)
            settings[DEVICE_PLUGIN_CONFIG_LABEL] = name
            not_portable.append(f"{shared} GPU sharing ({resource}) has no equivalent on other vendors")
        discovered, selectors = _product_selection("NodeProfile.nvidia_cuda", "nvidia.com/gpu.product", product)
        if min_memory is not None:
            selectors.append(_at_least_mib("NodeProfile.nvidia_cuda", "nvidia.com/gpu.memory", min_memory))
        return cls(
            name=name,
            vendor=Vendor.NVIDIA,
            description="NVIDIA GPU node with the NVIDIA device plugin",
            accelerator_labels=dict(labels or {}),
            discovered_labels={"nvidia.com/gpu.present": "true", **discovered},
            node_settings=settings,
            sharing=sharing,
            mig_config=mig_config,
            selectors=tuple(selectors),
            taints=(Taint(key="nvidia.com/gpu", value="present", effect=TaintEffect.NO_SCHEDULE),),
            toleration_operator=TolerationOperator.EXISTS,
            gpu_resource=resource,
            runtime_class_name=runtime_class_name,
            pci=PciMatch(vendor="10de", classes=("0300", "0302"), devices=tuple(pci_devices)),
            images={
                Framework.TENSORFLOW: "tensorflow/tensorflow:latest-gpu",
                Framework.PYTORCH: "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime",
            },
            env={"NVIDIA_DRIVER_CAPABILITIES": _NVIDIA_CAPABILITIES},
            cpu_env={"NVIDIA_VISIBLE_DEVICES": "void"},
            not_portable=tuple(not_portable),
        )

    @classmethod
    def nvidia_dra(
        cls,
        *,
        name: str = "nvidia-dra",
        gpu: DraDevice,
        product: str | Sequence[str] | None = None,
        gpus_per_pcie_root: int | None = None,
        labels: Mapping[str, str] | None = None,
        runtime_class_name: str | None = None,
        pci_devices: Sequence[str] = (),
    ) -> NodeProfile:
        """:meth:`nvidia_cuda`'s twin whose GPUs Dynamic Resource Allocation hands out (NVIDIA's DRA driver).

        ``gpu`` is each GPU as the driver publishes it (:meth:`DraDevice.nvidia_gpu`);
        ``gpus_per_pcie_root`` groups a node's GPUs by PCIe root, so workloads can keep all
        their GPUs on one (``same_pcie_root=True``). With ``gpu=DraDevice.nvidia_mig(...)`` the GPUs
        are partitioned into that MIG profile (the GPU Operator's ``all-<profile>`` layout, set by
        the ``nvidia.com/mig.config`` node label) and claims take slices of class ``mig.nvidia.com``.
        Workloads get a ResourceClaimTemplate
        instead of an ``nvidia.com/gpu`` limit. The device plugin must not also hand out these
        GPUs: the nodes carry ``nvidia.com/gpu.deploy.device-plugin=false``, so the GPU Operator
        runs none there.
        """
        whole = cls.nvidia_cuda(
            name=name, product=product, labels=labels, runtime_class_name=runtime_class_name, pci_devices=pci_devices
        )
        mig_layout = {MIG_CONFIG_LABEL: f"all-{gpu.attributes['profile'][1]}"} if gpu.is_mig else {}
        return cls(
            **(
                whole.model_dump(exclude={"gpu_resource", "description", "dra", "node_settings", "mig_config"})
                | {"pci": whole.pci}
            ),
            # The GPU Operator keeps a deploy label a node already has (v26.7.0, controllers/state_manager.go).
            node_settings={"nvidia.com/gpu.deploy.device-plugin": "false", **mig_layout},
            mig_config=mig_layout.get(MIG_CONFIG_LABEL),
            description="NVIDIA GPU node whose GPUs NVIDIA's DRA driver hands out",
            dra=DraAllocation.nvidia(gpu, gpus_per_pcie_root=gpus_per_pcie_root),
        )

    @classmethod
    def example_dra(cls, *, name: str = "example") -> NodeProfile:
        """A node of Kubernetes' example DRA driver (``gpu.example.com``): simulated GPUs a kind cluster can run.

        Its nodes are labelled ``gpu.example.com/present=true`` and tainted like GPU nodes, so
        only the work that asks for its devices lands there.
        """
        return cls(
            name=name,
            vendor=Vendor.EXAMPLE,
            description="node with the example DRA driver's simulated GPUs",
            accelerator_labels={"gpu.example.com/present": "true"},
            taints=(Taint(key="gpu.example.com/gpu", value="present", effect=TaintEffect.NO_SCHEDULE),),
            toleration_operator=TolerationOperator.EXISTS,
            dra=DraAllocation.example(),
        )

    @classmethod
    def amd_rocm(
        cls, *, name: str = "amd", product: str | Sequence[str] | None = None, labels: Mapping[str, str] | None = None
    ) -> NodeProfile:
        """An AMD Instinct/Radeon node with the ROCm device plugin (``amd.com/gpu``).

        Nodes are chosen by ``feature.node.kubernetes.io/amd-gpu=true`` (the NFD rule the AMD GPU
        Operator installs) and ``product``, the AMD GPU node labeller's ``amd.com/gpu.product-name``
        (e.g. ``"Instinct_MI300X"``; several select any of them). The labeller publishes VRAM as
        rounded GiB with a ``G`` suffix, which no ``Gt`` can compare, so there is no memory
        parameter. ``labels`` are further labels the tree sets. The plugin mounts ``/dev/kfd`` and
        the ``/dev/dri`` render nodes of the allocated GPUs, so no visibility env is needed.
        """
        discovered, selectors = _product_selection("NodeProfile.amd_rocm", "amd.com/gpu.product-name", product)
        return cls(
            name=name,
            vendor=Vendor.AMD,
            description="AMD GPU node with the ROCm device plugin",
            accelerator_labels=dict(labels or {}),
            discovered_labels={"feature.node.kubernetes.io/amd-gpu": "true", **discovered},
            selectors=tuple(selectors),
            taints=(Taint(key="amd.com/gpu", value="present", effect=TaintEffect.NO_SCHEDULE),),
            toleration_operator=TolerationOperator.EXISTS,
            gpu_resource="amd.com/gpu",
            images={
                Framework.TENSORFLOW: "rocm/tensorflow:latest",
                Framework.PYTORCH: "rocm/pytorch:latest",
            },
        )

    @classmethod
    def intel_gpu(
        cls,
        *,
        name: str = "intel",
        driver: Literal["i915", "xe"] = "i915",
        product: str | Sequence[str] | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> NodeProfile:
        """An Intel GPU node with the Intel GPU device plugin (``gpu.intel.com/i915`` or ``xe``).

        Nodes are chosen by ``intel.feature.node.kubernetes.io/gpu=true``, which the NFD rules
        shipped with Intel's device plugins publish, and ``product`` (``gpu.intel.com/product``
        from the same rules, data-center GPUs only: ``"Max_1550"``, ``"Flex_170"``). ``driver``
        follows the kernel driver the node runs: ``xe`` for newer GPUs on recent kernels.
        ``labels`` are further labels the tree sets.
        """
        resource = f"gpu.intel.com/{driver}"
        discovered, selectors = _product_selection("NodeProfile.intel_gpu", "gpu.intel.com/product", product)
        return cls(
            name=name,
            vendor=Vendor.INTEL,
            description=f"Intel GPU node with the Intel GPU device plugin ({driver} driver)",
            accelerator_labels=dict(labels or {}),
            discovered_labels={"intel.feature.node.kubernetes.io/gpu": "true", **discovered},
            selectors=tuple(selectors),
            taints=(Taint(key=resource, value="present", effect=TaintEffect.NO_SCHEDULE),),
            toleration_operator=TolerationOperator.EXISTS,
            gpu_resource=resource,
            images={
                Framework.TENSORFLOW: "intel/intel-extension-for-tensorflow:xpu",
                Framework.PYTORCH: "intel/intel-extension-for-pytorch:2.5.10-xpu",
            },
        )

    @classmethod
    def cpu_only(cls, *, name: str = "cpu") -> NodeProfile:
        """A general-purpose node: no accelerator, no profile labels, no taints (the seed's control plane)."""
        return cls(name=name, vendor=Vendor.NONE, description="general-purpose CPU node, untainted")

    @classmethod
    def catalog(cls) -> tuple[NodeProfile, ...]:
        """Every built-in profile with its default options."""
        return (cls.apple_metal(), cls.nvidia_cuda(), cls.amd_rocm(), cls.intel_gpu(), cls.cpu_only())
