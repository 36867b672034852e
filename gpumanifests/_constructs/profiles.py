"""Node profiles: what a kind of node carries, and what a workload needs to run there.

A :class:`NodeProfile` is a value, not a construct: the same profile drives the node side
(labels and taints a setup script, a kind config or a labelling Job puts on the node) and the
workload side (required node affinity, tolerations, the extended-resource limit, env and image),
so the two cannot drift apart.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import Field, field_validator, model_validator

from gpumanifests._errors import InvalidInputError
from gpumanifests._props import DnsLabel, DnsSubdomain, LabelKey, LabelValue, Props
from gpumanifests.scheduling import BLOCKING_EFFECTS, taint_text, tolerates

__all__ = [
    "Framework",
    "NodeProfile",
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
    toleration_seconds: int | None = Field(default=None, ge=0, strict=True)

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


_NVIDIA_CAPABILITIES = "compute,utility"


class NodeProfile(Props):
    """A kind of node and everything a workload needs to be placed on it.

    **Usage**::

        metal = NodeProfile.apple_metal()
        a100 = NodeProfile.nvidia_cuda(runtime_class_name="nvidia", mig_slice="3g.20gb")

    Workloads that run on a profile require *all* of its ``node_labels`` (required node
    affinity, one term of ``In`` expressions) and tolerate *exactly* its taints, with
    ``toleration_operator`` deciding whether a toleration names the taint value (``Equal``) or
    only its key (``Exists``).
    """

    name: DnsLabel
    """Short name used in directory and Application names, e.g. ``metal`` gives ``metal-gpu-nodes``."""
    vendor: Vendor
    description: str = ""
    accelerator_labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    """Labels that identify the accelerator (``apple.com/gpu=true``, ``gpu-type=metal``)."""
    pool_labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    """Fleet-convention labels shared by every GPU pool (``gpu-vendor``, ``node-role``)."""
    taints: tuple[Taint, ...] = ()
    toleration_operator: TolerationOperator = TolerationOperator.EQUAL
    gpu_resource: str | None = None
    """Extended resource a device plugin advertises (``nvidia.com/gpu``); None when there is none."""
    runtime_class_name: DnsSubdomain | None = None
    images: dict[Framework, str] = Field(default_factory=dict)
    env: dict[str, str] = Field(default_factory=dict)
    """Framework env every GPU container on this profile gets."""
    cpu_env: dict[str, str] = Field(default_factory=dict)
    """Env that CPU containers get in a cluster that has nodes of this profile."""
    not_portable: tuple[str, ...] = ()
    """Features of this profile with no equivalent elsewhere, named in migration reports."""

    @field_validator("gpu_resource")
    @classmethod
    def _extended_resource_name(cls, value: str | None) -> str | None:
        if value is not None and "/" not in value:
            raise ValueError(
                f"gpu_resource {value!r} is not an extended resource name; "
                "use a domain-prefixed name such as 'nvidia.com/gpu'"
            )
        return value

    @model_validator(mode="after")
    def _labels_do_not_conflict(self) -> Self:
        shared = sorted(set(self.accelerator_labels) & set(self.pool_labels))
        if shared:
            raise ValueError(
                f"profile {self.name!r} sets {shared} in both accelerator_labels and pool_labels; "
                "give each label key once"
            )
        return self

    @property
    def is_gpu(self) -> bool:
        """Whether nodes of this profile carry an accelerator."""
        return self.vendor is not Vendor.NONE

    @property
    def node_labels(self) -> dict[str, str]:
        """Every label a node of this profile carries, sorted by key."""
        return dict(sorted({**self.accelerator_labels, **self.pool_labels}.items()))

    @property
    def tolerations(self) -> tuple[Toleration, ...]:
        """The tolerations a workload needs: one per taint of this profile, exactly matching it."""
        return tuple(Toleration.for_taint(taint, self.toleration_operator) for taint in self.taints)

    def node_selector_requirements(self) -> list[dict[str, object]]:
        """Required node affinity expressions: every node label ``In`` its single value."""
        return [{"key": key, "operator": "In", "values": [value]} for key, value in self.node_labels.items()]

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
    def nvidia_cuda(
        cls,
        *,
        name: str = "nvidia",
        runtime_class_name: str | None = None,
        mig_slice: str | None = None,
        shared: Literal["time-slicing", "mps"] | None = None,
    ) -> NodeProfile:
        """An NVIDIA GPU node with the device plugin, as the seed's migration section plans it.

        ``runtime_class_name="nvidia"`` is needed where nvidia is not the container runtime's
        default. ``mig_slice="3g.20gb"`` requests MIG slices (``nvidia.com/mig-3g.20gb``, the
        *mixed* strategy); ``shared`` requests a time-sliced or MPS share advertised as
        ``nvidia.com/gpu.shared`` (``renameByDefault``). The two are exclusive.
        """
        if mig_slice is not None and shared is not None:
            raise InvalidInputError(
                f"NodeProfile.nvidia_cuda: mig_slice={mig_slice!r} and shared={shared!r} are exclusive; "
                "MIG slices cannot also be time-shared or MPS-shared here, pass one of them"
            )
        resource = "nvidia.com/gpu"
        not_portable: list[str] = []
        if mig_slice is not None:
            resource = f"nvidia.com/mig-{mig_slice}"
            not_portable.append(f"MIG slice {resource} has no equivalent on other vendors")
        if shared is not None:
            resource = "nvidia.com/gpu.shared"
            not_portable.append(f"{shared} GPU sharing ({resource}) has no equivalent on other vendors")
        return cls(
            name=name,
            vendor=Vendor.NVIDIA,
            description="NVIDIA GPU node with the NVIDIA device plugin",
            accelerator_labels={"nvidia.com/gpu.present": "true", "gpu-type": "cuda"},
            pool_labels={"gpu-vendor": "nvidia", "node-role": "gpu-worker"},
            taints=(Taint(key="nvidia.com/gpu", value="present", effect=TaintEffect.NO_SCHEDULE),),
            toleration_operator=TolerationOperator.EXISTS,
            gpu_resource=resource,
            runtime_class_name=runtime_class_name,
            images={
                Framework.TENSORFLOW: "tensorflow/tensorflow:latest-gpu",
                Framework.PYTORCH: "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime",
            },
            env={"NVIDIA_DRIVER_CAPABILITIES": _NVIDIA_CAPABILITIES},
            cpu_env={"NVIDIA_VISIBLE_DEVICES": "void"},
            not_portable=tuple(not_portable),
        )

    @classmethod
    def amd_rocm(cls, *, name: str = "amd") -> NodeProfile:
        """An AMD Instinct/Radeon node with the ROCm device plugin (``amd.com/gpu``).

        The plugin mounts ``/dev/kfd`` and the ``/dev/dri`` render nodes of the allocated GPUs,
        so no visibility env is needed.
        """
        return cls(
            name=name,
            vendor=Vendor.AMD,
            description="AMD GPU node with the ROCm device plugin",
            accelerator_labels={"amd.com/gpu.present": "true", "gpu-type": "rocm"},
            pool_labels={"gpu-vendor": "amd", "node-role": "gpu-worker"},
            taints=(Taint(key="amd.com/gpu", value="present", effect=TaintEffect.NO_SCHEDULE),),
            toleration_operator=TolerationOperator.EXISTS,
            gpu_resource="amd.com/gpu",
            images={
                Framework.TENSORFLOW: "rocm/tensorflow:latest",
                Framework.PYTORCH: "rocm/pytorch:latest",
            },
        )

    @classmethod
    def intel_gpu(cls, *, name: str = "intel", driver: Literal["i915", "xe"] = "i915") -> NodeProfile:
        """An Intel GPU node with the Intel GPU device plugin (``gpu.intel.com/i915`` or ``xe``).

        ``driver`` follows the kernel driver the node runs: ``xe`` for newer GPUs on recent kernels.
        """
        resource = f"gpu.intel.com/{driver}"
        return cls(
            name=name,
            vendor=Vendor.INTEL,
            description=f"Intel GPU node with the Intel GPU device plugin ({driver} driver)",
            accelerator_labels={"intel.feature.node.kubernetes.io/gpu": "true", "gpu-type": "xpu"},
            pool_labels={"gpu-vendor": "intel", "node-role": "gpu-worker"},
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
