"""GPU and CPU workloads: the bases every workload kind is built on, and Jobs and Deployments.

The bases combine a placement (on one GPU profile, or kept off GPU nodes) with a pod lifecycle
(batch: pods run to completion; served: pods run until replaced, with probes and a port;
replicated: ``replicas`` pods with a disruption budget). Every pod gets the same safe defaults,
volumes, references and checks, whatever its kind.

A GPU workload runs on one :class:`NodeProfile`: it requires every label of the profile
(required node affinity), tolerates exactly its taints, gets the framework env and image, and
limits the profile's extended resource to ``gpus``. A CPU workload prefers nodes without any
GPU label of its cluster, tolerates no GPU taint, and hides NVIDIA GPUs from itself
(``NVIDIA_VISIBLE_DEVICES=void``) in clusters that have NVIDIA nodes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Generic, Self, TypedDict, TypeVar

from pydantic import BeforeValidator, Field, model_validator

from gpumanifests._argocd.models import COMPARE_OPTIONS_ANNOTATION, SYNC_OPTIONS_ANNOTATION
from gpumanifests._constructs.component import RenderedObject, Resource
from gpumanifests._constructs.dra import CLAIM_NAME, DeviceSelector, claim_template
from gpumanifests._constructs.env import EnvName, EnvSource, KeyRef
from gpumanifests._constructs.kueue import PRIORITY_LABEL, QUEUE_LABEL, ClusterQueue, WorkloadPriority
from gpumanifests._constructs.pod import (
    SecurityOptOut,
    container_security,
    pod_security,
    pull_policy,
)
from gpumanifests._constructs.probes import Probe, named_port
from gpumanifests._constructs.profiles import Framework, NodeProfile, Toleration
from gpumanifests._constructs.rollout import gpu_headroom
from gpumanifests._constructs.storage import Volume, cache_env
from gpumanifests._errors import InvalidInputError
from gpumanifests._kube.kinds import pod_spec_of
from gpumanifests._kube.labels import (
    COMPONENT_LABEL,
    INSTANCE_LABEL,
    NAME_LABEL,
    OPT_OUT_ANNOTATION,
    PROFILE_LABEL,
    ROLLOUT_ANNOTATION,
)
from gpumanifests._kube.limits import PORT_MAX
from gpumanifests._kube.quantity import parse_quantity
from gpumanifests._props import (
    DnsLabel,
    DnsSubdomain,
    Image,
    Int32,
    Int64,
    LabelKey,
    LabelValue,
    Props,
    Quantity,
    parse_props,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from typing_extensions import Unpack

    from gpumanifests._constructs.component import ResourceScope

__all__ = [
    "CPU_STARTUP_SECONDS",
    "GPU_STARTUP_SECONDS",
    "Container",
    "CpuDeployment",
    "CpuJob",
    "GpuDeployment",
    "GpuJob",
    "RunPolicy",
    "Workload",
    "WorkloadRole",
]


_ModelT = TypeVar("_ModelT", bound=Props)
_EPHEMERAL = ("ephemeral_storage", "ephemeral_storage_limit")


class WorkloadRole(StrEnum):
    """A workload's place in the cluster, also its ``app.kubernetes.io/component`` label."""

    GPU = "gpu-workload"
    """Runs on the nodes of one GPU profile."""
    CPU = "cpu-workload"
    """Kept off GPU nodes."""


def _check_gpu_count(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"{value!r} is not a GPU count: a whole number, 1 or more (devices are allocated whole; "
            "for a share of a GPU use a profile with MIG slices or GPU sharing)"
        )
    return value


GpuCount = Annotated[int, BeforeValidator(_check_gpu_count)]


def _requests_within_limits(model: _ModelT) -> _ModelT:
    """A container cannot request more CPU, memory or ephemeral storage than its limit."""
    for request, limit in (("cpu", "cpu_limit"), ("memory", "memory_limit"), _EPHEMERAL):
        requested, limited = getattr(model, request, None), getattr(model, limit, None)
        if requested is not None and limited is not None and parse_quantity(requested) > parse_quantity(limited):
            raise ValueError(
                f"{request}={getattr(model, request)!r} is more than {limit}={getattr(model, limit)!r}; "
                "a request cannot exceed its limit"
            )
    return model


class _EnvEntry(Props):
    name: EnvName
    value: str


class _EnvRef(Props):
    name: EnvName
    ref: KeyRef


class _WorkloadProps(Props):
    name: DnsLabel
    image: Image | None = None
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    env: dict[EnvName, str] = Field(default_factory=dict)
    labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    cpu: Quantity = "250m"
    cpu_limit: Quantity = "1"
    memory: Quantity = "256Mi"
    memory_limit: Quantity = "512Mi"
    service_account_name: DnsSubdomain | None = None
    api_access: bool = False
    security: SecurityOptOut | None = None
    verify_log: str | None = None
    env_refs: dict[EnvName, KeyRef] = Field(default_factory=dict)
    env_from: tuple[EnvSource, ...] = ()
    image_pull_secrets: tuple[DnsSubdomain, ...] = ()
    priority_class_name: DnsSubdomain | None = None
    node_selector: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    volumes: tuple[Volume, ...] = ()
    model_cache: Volume | None = None
    home_size: Quantity | None = None
    ephemeral_storage: Quantity | None = None
    ephemeral_storage_limit: Quantity | None = None

    _requests_within_limits = model_validator(mode="after")(_requests_within_limits)

    @model_validator(mode="after")
    def _volumes_fit_together(self) -> Self:
        _check_volumes([*self.volumes, *([self.model_cache] if self.model_cache else [])], self._builtin_mounts())
        if self.model_cache is not None:
            _check_cache(self.model_cache)
        return self

    def _builtin_mounts(self) -> dict[str, str]:
        """The volumes the workload mounts itself, name -> mount path."""
        mounts = {_TMP.name: _TMP.mount_path}
        if self.home_size is not None:
            mounts[_HOME_NAME] = _HOME_PATH
        if self.api_access:
            mounts[_API_ACCESS.name] = _API_ACCESS.mount_path
        return mounts

    @model_validator(mode="after")
    def _one_source_per_variable(self) -> Self:
        both = sorted(self.env.keys() & self.env_refs.keys())
        if both:
            raise ValueError(f"env and env_refs both set {', '.join(both)}; a variable has one value: keep one of them")
        return self


class _ProfileProps(_WorkloadProps):
    profile: NodeProfile

    @model_validator(mode="after")
    def _gpu_profile(self) -> Self:
        if not self.profile.is_gpu:
            raise ValueError(
                f"profile {self.profile.name!r} has no accelerator; use CpuJob or CpuDeployment for CPU work"
            )
        return self


class _GpuProps(_ProfileProps):
    framework: Framework = Framework.TENSORFLOW
    gpus: GpuCount = 1
    gpu_request: bool = False
    device_selectors: tuple[DeviceSelector, ...] = ()
    same_pcie_root: bool = False
    shared_memory: Quantity | None = "1Gi"
    cpu: Quantity = "1"
    cpu_limit: Quantity = "2"
    memory: Quantity = "2Gi"
    memory_limit: Quantity = "4Gi"

    @model_validator(mode="after")
    def _claims_need_dra(self) -> Self:
        if self.profile.dra is None and (self.device_selectors or self.same_pcie_root):
            raise ValueError(
                f"device_selectors and same_pcie_root narrow a DRA claim, but profile {self.profile.name!r} hands out "
                f"GPUs through a device plugin ({self.profile.gpu_resource}); use a DRA profile "
                "(NodeProfile.nvidia_dra(...)) or drop them"
            )
        return self

    @model_validator(mode="after")
    def _framework_image(self) -> Self:
        if self.image is None:
            self.profile.image_for(self.framework)
        return self

    def _builtin_mounts(self) -> dict[str, str]:
        mounts = super()._builtin_mounts()
        if self.shared_memory is not None:
            mounts[_SHM_NAME] = _SHM_PATH
        return mounts

    @model_validator(mode="after")
    def _shared_memory_within_memory_limit(self) -> Self:
        if self.shared_memory is not None and parse_quantity(self.shared_memory) >= parse_quantity(self.memory_limit):
            raise ValueError(
                f"shared_memory={self.shared_memory!r} must be less than memory_limit={self.memory_limit!r}: "
                "/dev/shm is tmpfs and counts against the container's memory limit"
            )
        return self


class _CpuProps(_WorkloadProps):
    image: Image


class RunPolicy(StrEnum):
    """How Argo CD runs a Job, and what a change to it does."""

    ONCE = "once"
    """A tracked object, created once and never pruned (``Prune=false``). Its name ends in a digest of
    its spec, so a changed spec is a new Job beside the running one (which runs on to its end), and
    syncs for other changes leave it alone; the old run, no longer in git, does not make the
    Application OutOfSync (``IgnoreExtraneous``). No TTL: under selfHeal Argo CD would re-create it."""
    EVERY_SYNC = "every-sync"
    """An Argo CD ``Sync`` hook (``BeforeHookCreation``): it runs again on every sync of its
    Application, replacing the previous run, and its TTL removes it after it finishes. For
    per-sync tasks such as the node-labelling Job; never for long GPU work."""


_HOOK_TTL = 86400
"""The TTL an every-sync Job gets unless it names one: a day to read its logs."""
_JOB_NAME_MAX = 63
"""A Job's name is also its pods' ``job-name`` label value."""
_DIGEST_LENGTH = 8


class _BatchProps(_WorkloadProps):
    backoff_limit: Int32 = Field(default=2, ge=0, strict=True)
    active_deadline_seconds: Int64 | None = Field(default=None, ge=1, strict=True)
    parallelism: Int32 | None = Field(default=None, ge=1, strict=True)
    completions: Int32 | None = Field(default=None, ge=1, strict=True)

    @property
    def pods_at_once(self) -> int:
        """The pods a Job runs at once: ``parallelism`` (Kubernetes' default 1), never more than ``completions``."""
        parallelism = self.parallelism or 1
        return min(parallelism, self.completions or parallelism)

    def job_spec(self, template: dict[str, Any]) -> dict[str, Any]:
        """The JobSpec fields these props set, around the pod ``template``."""
        spec: dict[str, Any] = {"backoffLimit": self.backoff_limit}
        if self.active_deadline_seconds is not None:
            spec["activeDeadlineSeconds"] = self.active_deadline_seconds
        if self.completions is not None:
            spec["completions"] = self.completions
        if self.parallelism is not None:
            spec["parallelism"] = self.parallelism
        spec["template"] = template
        return spec


class _JobWorkloadProps(_BatchProps):
    run_policy: RunPolicy = RunPolicy.ONCE
    ttl_seconds_after_finished: Int32 | None = Field(default=None, ge=0, strict=True)

    @model_validator(mode="after")
    def _tracked_jobs_keep_their_object(self) -> Self:
        if self.run_policy is RunPolicy.ONCE and self.ttl_seconds_after_finished is not None:
            raise ValueError(
                f"ttl_seconds_after_finished={self.ttl_seconds_after_finished} with run_policy=RunPolicy.ONCE: "
                "Argo CD (selfHeal) would re-create the Job its TTL deletes and run it again; "
                "drop the TTL, or use run_policy=RunPolicy.EVERY_SYNC for a per-sync task"
            )
        return self

    @model_validator(mode="after")
    def _name_leaves_room_for_the_digest(self) -> Self:
        longest = _JOB_NAME_MAX - _DIGEST_LENGTH - 1
        if self.run_policy is RunPolicy.ONCE and len(self.name) > longest:
            raise ValueError(
                f"name={self.name!r} is {len(self.name)} characters; a run-once Job's name gets '-' and an "
                f"{_DIGEST_LENGTH}-character digest of its spec, and must stay within {_JOB_NAME_MAX}: "
                f"use at most {longest}"
            )
        return self

    @property
    def ttl(self) -> int | None:
        """The ``ttlSecondsAfterFinished`` written: the one given, else a day for every-sync Jobs, else none."""
        if self.ttl_seconds_after_finished is not None or self.run_policy is RunPolicy.ONCE:
            return self.ttl_seconds_after_finished
        return _HOOK_TTL


class _ServedProps(_WorkloadProps):
    port: int | None = Field(default=None, ge=1, le=PORT_MAX, strict=True)
    startup_probe: Probe | None = None
    readiness_probe: Probe | None = None
    liveness_probe: Probe | None = None

    @model_validator(mode="after")
    def _probes_reach_a_declared_port(self) -> Self:
        for field in ("startup_probe", "readiness_probe", "liveness_probe"):
            probe: Probe | None = getattr(self, field)
            name = named_port(probe) if probe is not None else None
            if name is not None and (name != _PORT_NAME or self.port is None):
                declared = f"the container's one port is {_PORT_NAME!r}" if self.port else "port is not set"
                raise ValueError(f"{field} reaches port {name!r}, but {declared}; use a port number or set port")
        for field in ("startup_probe", "liveness_probe"):
            probe = getattr(self, field)
            if probe is not None and probe.success_threshold != 1:
                raise ValueError(
                    f"{field}: success_threshold={probe.success_threshold}; Kubernetes takes 1 for "
                    "startup and liveness probes (one success is enough)"
                )
        return self


class _ReplicatedProps(_ServedProps):
    replicas: Int32 = Field(default=1, ge=0, strict=True)
    max_disrupted: Int32 = Field(default=1, ge=1, strict=True)

    @model_validator(mode="after")
    def _budget_keeps_a_pod(self) -> Self:
        if self.replicas >= _REPLICATED and self.max_disrupted >= self.replicas:
            raise ValueError(
                f"max_disrupted={self.max_disrupted} with replicas={self.replicas}: a drain could then evict every "
                f"pod at once; use at most {self.replicas - 1}"
            )
        return self


class _DeploymentWorkloadProps(_ReplicatedProps):
    max_surge: Int32 | None = Field(default=None, ge=0, strict=True)
    max_unavailable: Int32 | None = Field(default=None, ge=0, strict=True)

    @model_validator(mode="after")
    def _rollout_can_move(self) -> Self:
        given = self.max_surge is not None or self.max_unavailable is not None
        if given and not (self.max_surge or self.max_unavailable):
            raise ValueError(
                "max_surge and max_unavailable are both 0 (an omitted one is 0 when the other is given): a rollout "
                "could neither add a pod nor remove one; allow a surge pod or an unavailable one"
            )
        return self


class GpuJobProps(_GpuProps, _JobWorkloadProps):
    """Validated props of :class:`GpuJob`."""


class GpuDeploymentProps(_GpuProps, _DeploymentWorkloadProps):
    """Validated props of :class:`GpuDeployment`."""


class CpuJobProps(_CpuProps, _JobWorkloadProps):
    """Validated props of :class:`CpuJob`."""


class CpuDeploymentProps(_CpuProps, _DeploymentWorkloadProps):
    """Validated props of :class:`CpuDeployment`."""


class _CommonOptions(TypedDict, total=False):
    command: list[str] | tuple[str, ...]
    args: list[str] | tuple[str, ...]
    env: dict[str, str]
    labels: dict[str, str]
    cpu: str
    cpu_limit: str
    memory: str
    memory_limit: str
    service_account_name: str
    api_access: bool
    security: SecurityOptOut
    verify_log: str
    env_refs: dict[str, KeyRef]
    env_from: list[EnvSource] | tuple[EnvSource, ...]
    image_pull_secrets: list[str] | tuple[str, ...]
    priority_class_name: str
    node_selector: dict[str, str]
    volumes: list[Volume] | tuple[Volume, ...]
    model_cache: Volume
    home_size: str
    ephemeral_storage: str
    ephemeral_storage_limit: str


class _GpuOptions(_CommonOptions, total=False):
    image: str
    framework: Framework
    gpus: int
    gpu_request: bool
    device_selectors: Sequence[DeviceSelector]
    same_pcie_root: bool
    shared_memory: str | None


class _BatchOptions(TypedDict, total=False):
    backoff_limit: int
    active_deadline_seconds: int | None
    parallelism: int | None
    completions: int | None


class _JobOptions(_BatchOptions, total=False):
    run_policy: RunPolicy
    ttl_seconds_after_finished: int | None


class _ServedOptions(TypedDict, total=False):
    port: int | None
    startup_probe: Probe | None
    readiness_probe: Probe | None
    liveness_probe: Probe | None


class _ReplicatedOptions(_ServedOptions, total=False):
    replicas: int
    max_disrupted: int


class _DeploymentOptions(_ReplicatedOptions, total=False):
    max_surge: int | None
    max_unavailable: int | None


class GpuJobOptions(_GpuOptions, _JobOptions, total=False):
    """Keyword options of :class:`GpuJob` (see :class:`GpuJobProps` for defaults)."""


class GpuDeploymentOptions(_GpuOptions, _DeploymentOptions, total=False):
    """Keyword options of :class:`GpuDeployment`."""


class CpuJobOptions(_CommonOptions, _JobOptions, total=False):
    """Keyword options of :class:`CpuJob`."""


class CpuDeploymentOptions(_CommonOptions, _DeploymentOptions, total=False):
    """Keyword options of :class:`CpuDeployment`."""


_P = TypeVar("_P", bound=_WorkloadProps)
_BP = TypeVar("_BP", bound=_BatchProps)
_JP = TypeVar("_JP", bound=_JobWorkloadProps)
_SP = TypeVar("_SP", bound=_ServedProps)
_RP = TypeVar("_RP", bound=_ReplicatedProps)
_DP = TypeVar("_DP", bound=_DeploymentWorkloadProps)
_PRP = TypeVar("_PRP", bound=_ProfileProps)
_GP = TypeVar("_GP", bound=_GpuProps)
_CP = TypeVar("_CP", bound=_CpuProps)


@dataclass(frozen=True)
class _Volume:
    """A pod volume and where the workload's container mounts it.

    ``claim`` is the PersistentVolumeClaim spec of a claim template (``source`` then holds it as a
    generic ephemeral volume; a StatefulSet makes it a ``volumeClaimTemplates`` entry instead).
    """

    name: str
    mount_path: str
    source: dict[str, Any]
    read_only: bool = False
    claim: dict[str, Any] | None = None

    @classmethod
    def of(cls, volume: Volume) -> _Volume:
        """The pod volume and mount of a declared :class:`Volume`."""
        source = {key: value for key, value in volume.pod_volume().items() if key != "name"}
        return cls(volume.name, volume.mount_path, source, volume.read_only, volume.claim_spec())

    def mount(self) -> dict[str, Any]:
        mount: dict[str, Any] = {"name": self.name, "mountPath": self.mount_path}
        if self.read_only:
            mount["readOnly"] = True
        return mount


_TMP = _Volume("tmp", "/tmp", {"emptyDir": {"sizeLimit": "1Gi"}})
"""Writable scratch space: the root filesystem is read-only."""
_HOME_NAME, _HOME_PATH = "home", "/home/app"
"""The writable ``$HOME`` a workload with ``home_size`` gets."""
_SHM_NAME, _SHM_PATH = "dshm", "/dev/shm"
"""The memory-backed shared memory of a GPU workload's frameworks."""

_API_ACCESS = _Volume(
    "kube-api-access",
    "/var/run/secrets/kubernetes.io/serviceaccount",
    {
        "projected": {
            "defaultMode": 0o444,
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3600, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {
                    "downwardAPI": {
                        "items": [
                            {"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}
                        ]
                    }
                },
            ],
        }
    },
    read_only=True,
)
"""A bound, expiring service-account token mounted explicitly where the automatic mount would go.

``automountServiceAccountToken`` stays false on every pod; a workload with ``api_access=True``
gets this projected volume instead, so token access is visible in its spec.
"""


def _check_volumes(volumes: list[Volume], builtin: dict[str, str]) -> None:
    """Volume names and mount paths are unique, and none is one the workload mounts itself."""
    names = dict(builtin)
    paths = {path: name for name, path in builtin.items()}
    for volume in volumes:
        if volume.name in names:
            raise ValueError(f"volume name {volume.name!r} is used twice in the pod; give each volume its own name")
        if volume.mount_path in paths:
            raise ValueError(
                f"volume {volume.name!r} is mounted at {volume.mount_path}, where {paths[volume.mount_path]!r} "
                "is already mounted; choose another mount_path"
            )
        names[volume.name] = volume.mount_path
        paths[volume.mount_path] = volume.name


def _check_cache(volume: Volume) -> None:
    if not volume.cacheable:
        raise ValueError(
            f"model_cache {volume.name!r} is not writable; a cache needs gm.Volume.empty_dir, "
            "gm.Volume.claim or gm.Volume.claim_template mounted read-write"
        )


class Container(Props):
    """An extra container next to the workload's main one (a sidecar), with the same safe defaults.

    **Usage**: ``job.add_container(Container(name="log-shipper", image="fluent/fluent-bit:3.1.9"))``.
    It runs non-root with a read-only root filesystem and mounts the pod's ``/tmp``; requests and
    limits default to 100m-500m CPU and 128-256 MiB memory.

    In a Job it is a native sidecar (an init container with ``restartPolicy: Always``): it starts
    before the main container, runs beside it, and is stopped when the main container exits, so
    the Job completes and frees its GPUs. ``runs_to_completion=True`` makes it a second regular
    container instead, for one that exits by itself (the Job then waits for both). In a
    Deployment every added container is a regular one.
    """

    name: DnsLabel
    image: Image
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    env: dict[EnvName, str] = Field(default_factory=dict)
    cpu: Quantity = "100m"
    cpu_limit: Quantity = "500m"
    memory: Quantity = "128Mi"
    memory_limit: Quantity = "256Mi"
    runs_to_completion: bool = False

    _requests_within_limits = model_validator(mode="after")(_requests_within_limits)


class Workload(Resource, Generic[_P]):
    """Base of the workload constructs: one pod template, placed by its subclass's rules."""

    kind: ClassVar[str]
    role: ClassVar[WorkloadRole]
    """Whether the workload runs on a GPU profile's nodes or is kept off them."""
    restart_policy: ClassVar[str]
    keeps_running: ClassVar[bool]
    """Whether its pods run until replaced (served kinds), rather than to completion (batch kinds)."""
    one_per_node: ClassVar[bool] = False
    """Whether it runs one pod on each node it selects (a DaemonSet), rather than ``replicas`` pods."""
    props: _P

    def __init__(self, scope: ResourceScope, id: str) -> None:
        super().__init__(scope, id)
        self._tolerations_added: list[Toleration] = []
        self._env_added: dict[str, str] = {}
        self._env_refs_added: dict[str, KeyRef] = {}
        self._env_from_added: list[EnvSource] = []
        self._volumes_added: list[Volume] = []
        self._cache: Volume | None = self.props.model_cache
        self._containers_added: list[Container] = []
        self._queue: ClusterQueue | None = None
        self._priority: WorkloadPriority | None = None
        self.component.declared_workloads.append(self)

    @property
    def name(self) -> str:
        """The object name of the workload (its construct id)."""
        return self.props.name

    @property
    def replicas(self) -> int:
        """How many pods of this template run at once."""
        return 1

    @property
    def profile(self) -> NodeProfile | None:
        """The GPU node profile the workload runs on; None for a CPU workload."""
        return None

    @property
    def gpus(self) -> int:
        """How many GPUs each pod gets (0 for a CPU workload)."""
        return 0

    @property
    def is_gpu(self) -> bool:
        """Whether the workload runs on a GPU profile's nodes."""
        return self.profile is not None

    @property
    def pinned_image(self) -> str | None:
        """The image a GPU workload names itself instead of its profile's framework image (None otherwise)."""
        return None

    @property
    def all_or_nothing(self) -> bool:
        """Whether its pods are useful only all together (a distributed job): placed as a group or not at all."""
        return False

    @property
    def queue(self) -> ClusterQueue | None:
        """The Kueue ClusterQueue that admits the workload (Jobs, through ``enqueue``); None when not queued."""
        return self._queue

    @property
    def queue_priority(self) -> WorkloadPriority | None:
        """The Kueue priority class of a queued workload; None for Kueue's default."""
        return self._priority

    @property
    def image(self) -> str:
        """The main container's image: the one given, or the profile's image for the framework."""
        return self._image()

    # -- intent methods --------------------------------------------------------------------

    def tolerate(self, *tolerations: Toleration) -> None:
        """Also tolerate these taints (for example ``node.kubernetes.io/unreachable`` for long jobs).

        Placement still follows Kubernetes' rules: the synth-time checks report a CPU workload
        whose tolerations let it onto a GPU node.
        """
        self._tolerations_added.extend(tolerations)
        self._changed()

    def add_env(self, name: str, value: str) -> None:
        """Set an environment variable of the main container (wins over profile and props env)."""
        what = f"{type(self).__name__} {self.name!r}.add_env"
        check = parse_props(_EnvEntry, what, name=name, value=value)
        self._refuse_second_source(what, check.name, self._env_refs())
        self._env_added[check.name] = check.value
        self._changed()

    def add_env_ref(self, name: str, ref: KeyRef) -> KeyRef:
        """Set variable ``name`` of the main container from a Secret or ConfigMap key; returns ``ref``.

        Wins over a profile's variable of the same name; the object must be in the tree or declared
        external (checked at synth).
        """
        what = f"{type(self).__name__} {self.name!r}.add_env_ref"
        check = parse_props(_EnvRef, what, name=name, ref=ref)
        self._refuse_second_source(what, check.name, {**self.props.env, **self._env_added})
        self._env_refs_added[check.name] = check.ref
        self._changed()
        return check.ref

    def add_env_from(self, source: EnvSource) -> EnvSource:
        """Give the main container every key of a Secret or ConfigMap as variables (``envFrom``); returns it."""
        if not isinstance(source, EnvSource):
            raise InvalidInputError(
                f"{type(self).__name__} {self.name!r}.add_env_from: got {type(source).__name__}; "
                "pass gm.EnvSource.secret(...) or gm.EnvSource.config_map(...)"
            )
        self._env_from_added.append(source)
        self._changed()
        return source

    def add_volume(self, volume: Volume) -> Volume:
        """Mount ``volume`` in the main container; returns it (``volumes=[...]`` is the prop twin)."""
        self._check_new_volume("add_volume", volume)
        self._volumes_added.append(volume)
        self._changed()
        return volume

    def mount_cache(self, volume: Volume) -> Volume:
        """Mount ``volume`` as the model cache (``model_cache=`` is the prop twin); returns it.

        Its mount path becomes ``XDG_CACHE_HOME``, with ``HF_HOME`` and ``TORCH_HOME`` under it, so
        downloaded weights land on the volume instead of the read-only root. A claim keeps them
        across pod restarts; an emptyDir only across container restarts.
        """
        what = f"{type(self).__name__} {self.name!r}.mount_cache"
        if self._cache is not None:
            raise InvalidInputError(f"{what}: the workload already has model cache {self._cache.name!r}")
        self._check_new_volume("mount_cache", volume)
        try:
            _check_cache(volume)
        except ValueError as error:
            raise InvalidInputError(f"{what}: {error}") from None
        self._cache = volume
        self._changed()
        return volume

    def _declared_volumes(self) -> list[Volume]:
        """The volumes of props and intent methods, the model cache last."""
        return [*self.props.volumes, *self._volumes_added, *([self._cache] if self._cache is not None else [])]

    def _check_new_volume(self, method: str, volume: Volume) -> None:
        what = f"{type(self).__name__} {self.name!r}.{method}"
        if not isinstance(volume, Volume):
            raise InvalidInputError(f"{what}: got {type(volume).__name__}; pass a gm.Volume (gm.Volume.empty_dir(...))")
        try:
            _check_volumes([*self._declared_volumes(), volume], self.props._builtin_mounts())
        except ValueError as error:
            raise InvalidInputError(f"{what}: {error}") from None

    def _env_refs(self) -> dict[str, KeyRef]:
        return {**self.props.env_refs, **self._env_refs_added}

    @staticmethod
    def _refuse_second_source(what: str, name: str, other: dict[str, Any]) -> None:
        if name in other:
            raise InvalidInputError(
                f"{what}: {name} is already set another way ({other[name]!r}); a variable has one value"
            )

    def add_container(self, container: Container) -> Container:
        """Run ``container`` next to the main container, in the same pod; returns it.

        In a Job it runs as a native sidecar unless ``container.runs_to_completion``.
        """
        taken = {self.name, *(added.name for added in self._containers_added)}
        if container.name in taken:
            raise InvalidInputError(
                f"{type(self).__name__} {self.name!r}.add_container: name={container.name!r} is already used "
                f"in this pod ({', '.join(sorted(taken))}); give each container its own name"
            )
        self._containers_added.append(container)
        self._changed()
        return container

    def _is_sidecar(self, container: Container) -> bool:
        """Whether an added container runs as a native sidecar (Jobs) or as a regular container."""
        return False

    def repeat_on(self, other: Workload[Any]) -> None:
        """Make on ``other`` the intent-method calls and JSON patches made on this workload (a queue aside:
        it belongs to this workload's cluster)."""
        other.tolerate(*self._tolerations_added)
        for name, value in self._env_added.items():
            other.add_env(name, value)
        for name, ref in self._env_refs_added.items():
            other.add_env_ref(name, ref)
        for source in self._env_from_added:
            other.add_env_from(source)
        for volume in self._volumes_added:
            other.add_volume(volume)
        if self._cache is not None and self._cache is not self.props.model_cache:
            other.mount_cache(self._cache)
        for container in self._containers_added:
            other.add_container(container)
        other.add_json_patch(*self._patches)

    # -- placement: overridden by GPU and CPU workloads ------------------------------------

    def _affinity(self) -> dict[str, Any]:
        raise NotImplementedError

    def _placement_tolerations(self) -> list[Toleration]:
        return []

    def _placement_env(self) -> dict[str, str]:
        return {}

    def _extended_resources(self) -> tuple[dict[str, str], dict[str, str]]:
        return {}, {}

    def _extra_pod_fields(self) -> dict[str, Any]:
        return {}

    def _volumes(self) -> list[_Volume]:
        volumes = [_TMP]
        if self.props.home_size is not None:
            volumes.append(_Volume(_HOME_NAME, _HOME_PATH, {"emptyDir": {"sizeLimit": self.props.home_size}}))
        if self.props.api_access:
            volumes.append(_API_ACCESS)
        return volumes + [_Volume.of(volume) for volume in self._declared_volumes()]

    def _storage_env(self) -> dict[str, str]:
        """``HOME`` on the writable home, and the frameworks' cache roots on the model cache."""
        env = {"HOME": _HOME_PATH} if self.props.home_size is not None else {}
        return env | (cache_env(self._cache.mount_path) if self._cache is not None else {})

    def _image(self) -> str:
        assert self.props.image is not None  # CPU props require it; GPU workloads override
        return self.props.image

    # -- rendering -------------------------------------------------------------------------

    def selector_labels(self) -> dict[str, str]:
        """Labels that select this workload's pods."""
        return {INSTANCE_LABEL: self.name, NAME_LABEL: self.name}

    def object_labels(self) -> dict[str, str]:
        """The standard ``app.kubernetes.io/*`` labels plus the user's labels."""
        return {
            COMPONENT_LABEL: str(self.role),
            **self.selector_labels(),
            **self._profile_label(),
            **self.props.labels,
        }

    def _profile_label(self) -> dict[str, str]:
        return {}

    def _metadata(self) -> dict[str, Any]:
        return {"name": self.name, "namespace": self.component.namespace, "labels": self.object_labels()}

    def _main_container(self) -> dict[str, Any]:
        props = self.props
        extra_requests, extra_limits = self._extended_resources()
        return _container(
            name=self.name,
            image=self._image(),
            command=props.command,
            args=props.args,
            env={**self._placement_env(), **self._storage_env(), **props.env, **self._env_added},
            env_refs=self._env_refs(),
            env_from=[*props.env_from, *self._env_from_added],
            requests={
                "cpu": props.cpu,
                "memory": props.memory,
                **self._ephemeral(props.ephemeral_storage),
                **extra_requests,
            },
            limits={
                "cpu": props.cpu_limit,
                "memory": props.memory_limit,
                **self._ephemeral(props.ephemeral_storage_limit),
                **extra_limits,
            },
            security=container_security(props.security),
            mounts=[volume.mount() for volume in self._volumes()],
        )

    @staticmethod
    def _ephemeral(amount: str | None) -> dict[str, str]:
        return {"ephemeral-storage": amount} if amount is not None else {}

    def _added_container(self, added: Container) -> dict[str, Any]:
        return _container(
            name=added.name,
            image=added.image,
            command=added.command,
            args=added.args,
            env=added.env,
            requests={"cpu": added.cpu, "memory": added.memory},
            limits={"cpu": added.cpu_limit, "memory": added.memory_limit},
            security=container_security(self.props.security),
            mounts=[_TMP.mount()],
        )

    def _pod_spec(self) -> dict[str, Any]:
        props = self.props
        sidecars = [added for added in self._containers_added if self._is_sidecar(added)]
        regular = [added for added in self._containers_added if not self._is_sidecar(added)]
        containers = [self._main_container(), *(self._added_container(added) for added in regular)]
        spec: dict[str, Any] = {
            "affinity": self._affinity(),
            "automountServiceAccountToken": False,
            "containers": containers,
            "enableServiceLinks": False,
            "restartPolicy": self.restart_policy,
            "securityContext": pod_security(props.security),
            **self._extra_pod_fields(),
            "volumes": [{"name": volume.name, **volume.source} for volume in self._volumes()],
        }
        if not spec["affinity"]:
            del spec["affinity"]
        if sidecars:
            spec["initContainers"] = [{**self._added_container(added), "restartPolicy": "Always"} for added in sidecars]
        if props.service_account_name is not None:
            spec["serviceAccountName"] = props.service_account_name
        if props.priority_class_name is not None:
            spec["priorityClassName"] = props.priority_class_name
        if props.image_pull_secrets:
            spec["imagePullSecrets"] = [{"name": name} for name in props.image_pull_secrets]
        if props.node_selector:
            spec["nodeSelector"] = dict(sorted(props.node_selector.items()))
        tolerations = [*self._placement_tolerations(), *self._tolerations_added]
        if tolerations:
            spec["tolerations"] = [toleration.to_dict() for toleration in tolerations]
        return spec

    def _pod_template(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {"labels": {**self.selector_labels(), **self._profile_label(), **self.props.labels}}
        if self.props.security is not None:
            metadata["annotations"] = {OPT_OUT_ANNOTATION: self.props.security.describe()}
        return {"metadata": metadata, "spec": self._pod_spec()}

    def pod_template_spec(self) -> dict[str, Any]:
        """The PodSpec the committed object carries: ``spec.template.spec`` after JSON patches.

        Read it, do not change it: it is the rendered object itself. When a patch removed the
        pod template, this is the spec as the workload's props and intent methods declare it.
        """
        spec = pod_spec_of(self.render()[0].manifest)
        return spec if spec is not None else self._pod_spec()


def _container(
    *,
    name: str,
    image: str,
    command: tuple[str, ...],
    args: tuple[str, ...],
    env: dict[str, str],
    requests: dict[str, str],
    limits: dict[str, str],
    security: dict[str, Any],
    mounts: list[dict[str, Any]],
    env_refs: Mapping[str, KeyRef] | None = None,
    env_from: Sequence[EnvSource] = (),
) -> dict[str, Any]:
    """One container entry of a PodSpec, with only the fields that are set.

    ``env`` and ``env_refs`` become one ``env`` list in name order; a reference wins over a value.
    """
    container: dict[str, Any] = {"name": name, "image": image, "imagePullPolicy": pull_policy(image)}
    if command:
        container["command"] = list(command)
    if args:
        container["args"] = list(args)
    entries: dict[str, dict[str, Any]] = {key: {"name": key, "value": value} for key, value in env.items()}
    entries |= {key: {"name": key, "valueFrom": ref.value_from()} for key, ref in (env_refs or {}).items()}
    if entries:
        container["env"] = [entries[key] for key in sorted(entries)]
    if env_from:
        container["envFrom"] = [source.env_from() for source in env_from]
    container["resources"] = {"limits": limits, "requests": requests}
    container["securityContext"] = security
    container["volumeMounts"] = mounts
    return container


class _BatchMixin(Workload[_BP]):
    """A workload whose pods run to completion: ``restartPolicy: Never``, added containers as sidecars."""

    restart_policy = "Never"
    keeps_running = False

    @property
    def replicas(self) -> int:
        """The pods that run at once (``parallelism``, at most ``completions``)."""
        return self.props.pods_at_once

    def _is_sidecar(self, container: Container) -> bool:
        return not container.runs_to_completion

    def validate(self) -> list[str]:
        """A Job completes when every regular container exits: refuse helpers that would hold it open."""
        declared = {self.name, *(added.name for added in self._containers_added if added.runs_to_completion)}
        spec = self.pod_template_spec()
        extra = [str(c.get("name")) for c in spec.get("containers", []) if c.get("name") not in declared]
        if not extra:
            return []
        return [
            f"{self.kind} {self.name!r} runs container(s) {', '.join(map(repr, extra))} beside its main container "
            "(added by a JSON patch): a Job completes only when every container exits, so a long-running "
            "helper holds the pod and its GPUs forever; add it with add_container(gm.Container(...)) as a "
            "native sidecar, or as gm.Container(..., runs_to_completion=True) if it exits by itself"
        ]


class _JobMixin(_BatchMixin[_JP]):
    kind = "Job"

    RUN_POLICY_ANNOTATIONS: ClassVar[dict[RunPolicy, dict[str, str]]] = {
        RunPolicy.ONCE: {SYNC_OPTIONS_ANNOTATION: "Prune=false", COMPARE_OPTIONS_ANNOTATION: "IgnoreExtraneous"},
        RunPolicy.EVERY_SYNC: {
            "argocd.argoproj.io/hook": "Sync",
            "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation",
        },
    }

    def _render(self) -> list[RenderedObject]:
        props = self.props
        spec = props.job_spec(self._pod_template())
        if props.ttl is not None:
            spec["ttlSecondsAfterFinished"] = props.ttl
        metadata = self._metadata()
        metadata["annotations"] = dict(self.RUN_POLICY_ANNOTATIONS[props.run_policy])
        if self._queue is not None:
            metadata["labels"][QUEUE_LABEL] = self._queue.name
        if self._priority is not None:
            metadata["labels"][PRIORITY_LABEL] = self._priority.name
        manifest = {"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata, "spec": spec}
        return [RenderedObject(manifest, self.path)]

    def enqueue(self, queue: ClusterQueue, *, priority: WorkloadPriority | None = None) -> None:
        """Let Kueue admit this Job through ``queue``, optionally with a ``priority`` class.

        The Job gets the ``kueue.x-k8s.io/queue-name`` label (and ``kueue.x-k8s.io/priority-class``);
        synth adds the LocalQueue to its namespace. Kueue keeps it suspended until the queue's
        quota admits it, then sets ``nodeSelector`` to the flavor's node labels; the Application
        leaves the fields Kueue owns alone (``ignoreDifferences`` and ``RespectIgnoreDifferences``).
        """
        what = f"{type(self).__name__} {self.name!r}.enqueue"
        if not isinstance(queue, ClusterQueue):
            raise InvalidInputError(f"{what}: queue is a {type(queue).__name__}; pass a gm.ClusterQueue")
        if queue.component.cluster is not self.component.cluster:
            raise InvalidInputError(f"{what}: queue {queue.name!r} belongs to another cluster")
        if priority is not None and not isinstance(priority, WorkloadPriority):
            raise InvalidInputError(f"{what}: priority is a {type(priority).__name__}; pass a gm.WorkloadPriority")
        self._queue, self._priority = queue, priority
        self._changed()

    def _after_patches(self, objects: list[RenderedObject]) -> None:
        """A run-once Job's name: its construct name, ``-``, and a digest of its spec (patches included)."""
        if self.props.run_policy is RunPolicy.ONCE:
            manifest = objects[0].manifest
            digest = hashlib.sha256(json.dumps(manifest["spec"], sort_keys=True).encode()).hexdigest()
            manifest["metadata"]["name"] = f"{self.name}-{digest[:_DIGEST_LENGTH]}"


_PORT_NAME = "http"
"""The name of a served workload's container port, which its Service targets."""
GPU_STARTUP_SECONDS = 1800
"""How long a GPU server may take to start serving by default (its startup probe's failure
budget): loading tens of GiB of weights onto GPUs, or downloading them first, takes minutes."""
CPU_STARTUP_SECONDS = 300
"""The same for a CPU server."""


class _ServedMixin(Workload[_SP]):
    """A workload whose pods keep running and may serve ``port``: probes, a Service, an open port."""

    restart_policy = "Always"
    keeps_running = True

    def add_container(self, container: Container) -> Container:
        """Run ``container`` next to the main container, as a regular container; returns it."""
        if container.runs_to_completion:
            raise InvalidInputError(
                f"{type(self).__name__} {self.name!r}.add_container: runs_to_completion=True on "
                f"{container.name!r}: a {self.kind} restarts containers that exit, so only Jobs take it"
            )
        return super().add_container(container)

    def probes(self) -> dict[str, Probe]:
        """The probes of the main container, by field (``startupProbe``, ``readinessProbe``, ``livenessProbe``).

        With a ``port``, each one not given defaults to: readiness, a TCP connection to the port
        every 10 s; liveness, the same every 20 s; startup, the readiness check with a failure
        budget of :data:`GPU_STARTUP_SECONDS` (30 minutes) for pods that get GPUs (a model server),
        :data:`CPU_STARTUP_SECONDS` (5 minutes) for others. Liveness needs no initial delay: it
        starts once the startup probe has succeeded. Without a port, only the probes given.
        """
        props = self.props
        defaults: dict[str, Probe] = {}
        if props.port is not None:
            readiness = props.readiness_probe or Probe.tcp(_PORT_NAME)
            budget = GPU_STARTUP_SECONDS if self.gpus else CPU_STARTUP_SECONDS
            start = readiness.model_copy(update={"success_threshold": 1}).allowing(seconds=budget)
            defaults = {
                "startupProbe": start,
                "readinessProbe": readiness,
                "livenessProbe": Probe.tcp(_PORT_NAME, period_seconds=20),
            }
        given = {
            "startupProbe": props.startup_probe,
            "readinessProbe": props.readiness_probe,
            "livenessProbe": props.liveness_probe,
        }
        return defaults | {field: probe for field, probe in given.items() if probe is not None}

    def _main_container(self) -> dict[str, Any]:
        container = super()._main_container()
        if self.props.port is not None:
            container["ports"] = [{"containerPort": self.props.port, "name": _PORT_NAME, "protocol": "TCP"}]
        container |= {field: probe.to_kube() for field, probe in self.probes().items()}
        return container

    def _served_objects(self) -> list[RenderedObject]:
        """A ClusterIP Service and a NetworkPolicy opening the port, when there is one."""
        if self.props.port is None:
            return []
        return [
            RenderedObject(self._service(), f"{self.path}/Service"),
            RenderedObject(self._allow_ingress(), f"{self.path}/NetworkPolicy"),
        ]

    def _allow_ingress(self) -> dict[str, Any]:
        """Opens the workload's port (and only it) through the namespace's default-deny policy."""
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": self._metadata(),
            "spec": {
                "ingress": [{"ports": [{"port": self.props.port, "protocol": "TCP"}]}],
                "podSelector": {"matchLabels": self.selector_labels()},
                "policyTypes": ["Ingress"],
            },
        }

    def _service(self) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": self._metadata(),
            "spec": {
                "ports": [{"name": _PORT_NAME, "port": self.props.port, "protocol": "TCP", "targetPort": _PORT_NAME}],
                "selector": self.selector_labels(),
                "type": "ClusterIP",
            },
        }


_REPLICATED = 2
"""From this many replicas on, a served workload gets a disruption budget (and GPU pods a spread)."""
_HOSTNAME = "kubernetes.io/hostname"


class _ReplicatedMixin(_ServedMixin[_RP]):
    """A served workload of ``replicas`` pods: a PodDisruptionBudget and, on GPUs, a spread over nodes."""

    @property
    def replicas(self) -> int:
        return self.props.replicas

    def _pod_spec(self) -> dict[str, Any]:
        """Replicated GPU pods prefer different nodes (``ScheduleAnyway``: never at the cost of a pod)."""
        spec = super()._pod_spec()
        if self.is_gpu and self.replicas >= _REPLICATED:
            spec["topologySpreadConstraints"] = [
                {
                    "labelSelector": {"matchLabels": self.selector_labels()},
                    "maxSkew": 1,
                    "topologyKey": _HOSTNAME,
                    "whenUnsatisfiable": "ScheduleAnyway",
                }
            ]
        return spec

    def _disruption_budget(self) -> list[RenderedObject]:
        """A PodDisruptionBudget letting drains evict at most ``max_disrupted`` pods at once (replicas >= 2).

        ``unhealthyPodEvictionPolicy: AlwaysAllow``: a pod that is not ready anyway can always be
        evicted, so a crash-looping replica never blocks a node drain.
        """
        if self.replicas < _REPLICATED:
            return []
        budget = {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": self._metadata(),
            "spec": {
                "maxUnavailable": self.props.max_disrupted,
                "selector": {"matchLabels": self.selector_labels()},
                "unhealthyPodEvictionPolicy": "AlwaysAllow",
            },
        }
        return [RenderedObject(budget, f"{self.path}/PodDisruptionBudget")]


class _DeploymentMixin(_ReplicatedMixin[_DP]):
    kind = "Deployment"

    def rollout(self) -> tuple[int, int, str] | None:
        """(maxSurge, maxUnavailable, why) written to the Deployment; None: Kubernetes' default (25% each).

        Given values are kept (an omitted one is 0). A GPU Deployment otherwise surges one pod when
        its profile's nodes have a GPU no declared pod requests for it (:func:`gpu_headroom`), and
        else replaces one pod at a time: the old pod's GPUs free up for the new one, and the
        workload runs one pod short until it is ready.
        """
        props = self.props
        if props.max_surge is not None or props.max_unavailable is not None:
            return props.max_surge or 0, props.max_unavailable or 0, "as declared"
        profile = self.profile
        if profile is None:
            return None
        headroom = gpu_headroom(self.component.cluster, profile)
        if headroom.fits(self.gpus):
            why = (
                f"profile {profile.name!r} has {headroom.spare} of its {headroom.capacity} GPU(s) requested by no pod, "
                f"room for a surge pod of {self.gpus}"
            )
            return 1, 0, why
        short = "it is down" if props.replicas == 1 else "it runs one pod short"
        why = (
            f"the cluster's pods request {headroom.requested} GPU(s) of profile {profile.name!r}, whose nodes have "
            f"{headroom.capacity}, so a surge pod of {self.gpus} has no room: a rollout stops one pod, then starts "
            f"its successor on the GPUs it frees, and {short} until that pod is ready"
        )
        return 0, 1, why

    def _render(self) -> list[RenderedObject]:
        spec: dict[str, Any] = {
            "replicas": self.props.replicas,
            "selector": {"matchLabels": self.selector_labels()},
            "template": self._pod_template(),
        }
        metadata = self._metadata()
        rollout = self.rollout()
        if rollout is not None:
            surge, unavailable, why = rollout
            spec["strategy"] = {
                "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable},
                "type": "RollingUpdate",
            }
            metadata["annotations"] = {ROLLOUT_ANNOTATION: f"maxSurge {surge}, maxUnavailable {unavailable}: {why}"}
        deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata, "spec": spec}
        return [RenderedObject(deployment, self.path), *self._served_objects(), *self._disruption_budget()]


class _ProfileWorkload(Workload[_PRP]):
    """A workload on the nodes of one GPU profile: its labels required, its taints tolerated, its env."""

    role = WorkloadRole.GPU

    @property
    def profile(self) -> NodeProfile:
        """The GPU node profile this workload runs on."""
        return self.props.profile

    def _profile_label(self) -> dict[str, str]:
        return {PROFILE_LABEL: self.profile.name}

    def _affinity(self) -> dict[str, Any]:
        terms = [{"matchExpressions": self.profile.node_selector_requirements()}]
        return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}}

    def _placement_tolerations(self) -> list[Toleration]:
        return list(self.profile.tolerations)

    def _placement_env(self) -> dict[str, str]:
        return dict(self.profile.env)

    def _extra_pod_fields(self) -> dict[str, Any]:
        if self.profile.runtime_class_name is None:
            return {}
        return {"runtimeClassName": self.profile.runtime_class_name}


class _GpuWorkload(_ProfileWorkload[_GP]):
    """A profile workload whose pods get ``gpus`` of its devices, its framework image and ``/dev/shm``."""

    @property
    def gpus(self) -> int:
        """How many GPUs each pod of this workload gets."""
        return self.props.gpus

    @property
    def pinned_image(self) -> str | None:
        """The image given with ``image=``, which keeps it from following the profile's framework image."""
        image: str | None = self.props.image
        return image

    def _image(self) -> str:
        return self.props.image or self.profile.image_for(self.props.framework)

    def _extended_resources(self) -> tuple[dict[str, str], dict[str, str]]:
        resource = self.profile.gpu_resource
        if resource is None:
            return {}, {}
        count = {resource: str(self.props.gpus)}
        return (count if self.props.gpu_request else {}), count

    def _volumes(self) -> list[_Volume]:
        volumes = super()._volumes()
        if self.props.shared_memory is not None:
            shm = {"emptyDir": {"medium": "Memory", "sizeLimit": self.props.shared_memory}}
            volumes.append(_Volume(_SHM_NAME, _SHM_PATH, shm))
        return volumes

    def _extra_pod_fields(self) -> dict[str, Any]:
        fields = super()._extra_pod_fields()
        if self.profile.dra is not None:
            fields["resourceClaims"] = [{"name": CLAIM_NAME, "resourceClaimTemplateName": self.claim_template_name}]
        return fields

    @property
    def claim_template_name(self) -> str:
        """The name of the workload's ResourceClaimTemplate (with a DRA profile): ``<workload>-gpu``."""
        return f"{self.name}-{CLAIM_NAME}"

    def _main_container(self) -> dict[str, Any]:
        container = super()._main_container()
        if self.profile.dra is not None:
            container["resources"]["claims"] = [{"name": CLAIM_NAME}]
        return container

    def _render(self) -> list[RenderedObject]:
        objects = super()._render()
        allocation = self.profile.dra
        if allocation is not None:
            template = claim_template(
                name=self.claim_template_name,
                namespace=self.component.namespace,
                allocation=allocation,
                count=self.props.gpus,
                selectors=self.props.device_selectors,
                same_pcie_root=self.props.same_pcie_root,
            )
            objects.append(RenderedObject(template, f"{self.path}/ResourceClaimTemplate"))
        return objects


class _CpuWorkload(Workload[_CP]):
    role = WorkloadRole.CPU

    def _affinity(self) -> dict[str, Any]:
        keys = sorted({key for profile in self.component.cluster.gpu_profiles() for key in profile.identity_labels})
        if not keys:
            return {}
        avoid_gpu = {"matchExpressions": [{"key": key, "operator": "DoesNotExist"} for key in keys]}
        return {
            "nodeAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [{"preference": avoid_gpu, "weight": 100}]
            }
        }

    def _placement_env(self) -> dict[str, str]:
        env: dict[str, str] = {}
        for profile in self.component.cluster.gpu_profiles():
            env.update(profile.cpu_env)
        return env


class GpuJob(_GpuWorkload[GpuJobProps], _JobMixin[GpuJobProps]):
    """A batch Job on a GPU node profile.

    **Usage**::

        GpuJob(workloads, "metal-ml-training", profile=NodeProfile.apple_metal(),
               command=["python", "-c", "import tensorflow as tf; print(tf.config.list_physical_devices('GPU'))"])

    Defaults: ``gpus=1`` written as a limit only (Kubernetes takes it as the request too; pass
    ``gpu_request=True`` to write both), the profile's image for ``framework`` (TensorFlow), a
    1 GiB memory-backed ``/dev/shm``, 1-2 CPUs and 2-4 GiB memory (request-limit),
    ``restartPolicy: Never``, ``backoffLimit: 2``, and ``run_policy=RunPolicy.ONCE``: a tracked
    Job named after a digest of its spec, never pruned, without TTL (see :class:`RunPolicy`).
    ``enqueue(queue)`` puts it behind a Kueue :class:`ClusterQueue`.
    """

    def __init__(
        self, scope: ResourceScope, id: str, *, profile: NodeProfile, **options: Unpack[GpuJobOptions]
    ) -> None:
        self.props = parse_props(GpuJobProps, f"GpuJob {id!r}", name=id, profile=profile, **options)
        super().__init__(scope, id)


class GpuDeployment(_GpuWorkload[GpuDeploymentProps], _DeploymentMixin[GpuDeploymentProps]):
    """A long-running Deployment on a GPU node profile (for example model serving).

    Same placement and defaults as :class:`GpuJob`; ``replicas=1``; ``port`` adds a container
    port named ``http``, a ClusterIP Service, probes (a startup probe allowing 30 minutes for the
    model to load, see :meth:`probes`) and a NetworkPolicy opening that port. Its rollout surges a
    pod only when the profile has a spare GPU for it (:meth:`rollout`); with 2 or more replicas it
    gets a PodDisruptionBudget and a spread over nodes.
    """

    def __init__(
        self,
        scope: ResourceScope,
        id: str,
        *,
        profile: NodeProfile,
        **options: Unpack[GpuDeploymentOptions],
    ) -> None:
        self.props = parse_props(GpuDeploymentProps, f"GpuDeployment {id!r}", name=id, profile=profile, **options)
        super().__init__(scope, id)


class CpuJob(_CpuWorkload[CpuJobProps], _JobMixin[CpuJobProps]):
    """A batch Job kept off GPU nodes.

    Defaults: 250m-1 CPU and 256-512 MiB memory, ``restartPolicy: Never``, ``backoffLimit: 2``,
    and ``run_policy=RunPolicy.ONCE`` like :class:`GpuJob`.
    """

    def __init__(self, scope: ResourceScope, id: str, *, image: str, **options: Unpack[CpuJobOptions]) -> None:
        self.props = parse_props(CpuJobProps, f"CpuJob {id!r}", name=id, image=image, **options)
        super().__init__(scope, id)


class CpuDeployment(_CpuWorkload[CpuDeploymentProps], _DeploymentMixin[CpuDeploymentProps]):
    """A long-running Deployment kept off GPU nodes (APIs, monitoring, databases).

    Defaults: ``replicas=1``, 250m-1 CPU and 256-512 MiB memory; ``port`` adds a Service, probes
    (5 minutes to start), and a NetworkPolicy opening that port; Kubernetes' rollout default (25%
    surge and unavailable) unless ``max_surge``/``max_unavailable`` are given; with 2 or more
    replicas, a PodDisruptionBudget.
    """

    def __init__(
        self,
        scope: ResourceScope,
        id: str,
        *,
        image: str,
        **options: Unpack[CpuDeploymentOptions],
    ) -> None:
        self.props = parse_props(CpuDeploymentProps, f"CpuDeployment {id!r}", name=id, image=image, **options)
        super().__init__(scope, id)
