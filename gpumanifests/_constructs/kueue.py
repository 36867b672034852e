"""Kueue, derived from the cluster: ResourceFlavors from the profiles, ClusterQueue quotas from the nodes.

A :class:`ClusterQueue` names the node profiles it admits work onto. Each profile becomes a
ResourceFlavor whose ``nodeLabels`` and ``nodeTaints`` are the profile's (``nodeLabels`` is what
Kueue copies into an admitted Job's ``nodeSelector``), and each flavor's quota defaults to what the
cluster's nodes of that profile have: the sum of their CPU, memory and GPUs. Jobs join with
``job.enqueue(queue)``; synth then adds a LocalQueue to each namespace that has queued Jobs, the
``kueue.x-k8s.io/queue-name`` label, and the WorkloadPriorityClasses the Jobs use.

Flavors carry no ``tolerations``: Kueue would inject them into every Job it admits to the
flavor, a CPU Job included, letting it onto the GPU nodes. GPU Jobs tolerate their profile's
taints themselves, as they do without Kueue, so the placement proof is the same with and without it.
"""

from __future__ import annotations

from enum import StrEnum
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from pydantic import Field

from gpumanifests._constructs.component import RenderedObject, Resource
from gpumanifests._errors import InvalidInputError
from gpumanifests._kube.quantity import format_cpu, parse_quantity
from gpumanifests._props import DnsLabel, DnsSubdomain, Props, QuotaQuantity, parse_props

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from gpumanifests._constructs.cluster import Cluster
    from gpumanifests._constructs.component import ResourceScope
    from gpumanifests._constructs.profiles import NodeProfile

__all__ = [
    "KUEUE_API_VERSION",
    "PRIORITY_LABEL",
    "QUEUE_LABEL",
    "ClusterQueue",
    "Preemption",
    "PreemptionPolicy",
    "QueueingStrategy",
    "WorkloadPriority",
]

KUEUE_API_VERSION = "kueue.x-k8s.io/v1beta2"
QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
"""On a Job: the LocalQueue (in its namespace) Kueue admits it through."""
PRIORITY_LABEL = "kueue.x-k8s.io/priority-class"
"""On a Job: the WorkloadPriorityClass that orders it in its queue."""
_BASE_RESOURCES = ("cpu", "memory")


class QueueingStrategy(StrEnum):
    """How a ClusterQueue orders its workloads (``spec.queueingStrategy``)."""

    BEST_EFFORT_FIFO = "BestEffortFIFO"
    """By priority, then age; a workload that does not fit does not block smaller ones behind it."""
    STRICT_FIFO = "StrictFIFO"
    """By priority, then age; the head waits until it fits, and nothing passes it."""


class PreemptionPolicy(StrEnum):
    """Which admitted workloads a pending one may preempt (``spec.preemption`` fields)."""

    NEVER = "Never"
    LOWER_PRIORITY = "LowerPriority"
    LOWER_OR_NEWER_EQUAL_PRIORITY = "LowerOrNewerEqualPriority"
    ANY = "Any"


class Preemption(Props):
    """``spec.preemption`` of a ClusterQueue: whom a pending workload may preempt to be admitted.

    ``within_cluster_queue`` applies to workloads of the same queue (Never, LowerPriority,
    LowerOrNewerEqualPriority); ``reclaim_within_cohort`` to workloads of other queues of the
    cohort that borrow this queue's quota (Never, LowerPriority, Any). Both default to Never.
    """

    within_cluster_queue: PreemptionPolicy = PreemptionPolicy.NEVER
    reclaim_within_cohort: PreemptionPolicy = PreemptionPolicy.NEVER

    def to_dict(self) -> dict[str, str]:
        return {
            "reclaimWithinCohort": str(self.reclaim_within_cohort),
            "withinClusterQueue": str(self.within_cluster_queue),
        }


class WorkloadPriority(Props):
    """A Kueue WorkloadPriorityClass: ``value`` orders Jobs in their queue (higher first)."""

    name: DnsSubdomain
    value: int = Field(ge=-(2**31), le=10**9, strict=True)
    description: str = ""

    def to_manifest(self) -> dict[str, Any]:
        manifest: dict[str, Any] = {
            "apiVersion": KUEUE_API_VERSION,
            "kind": "WorkloadPriorityClass",
            "metadata": {"name": self.name},
            "value": self.value,
        }
        if self.description:
            manifest["description"] = self.description
        return manifest


class _ClusterQueueProps(Props):
    name: DnsLabel
    profiles: tuple[DnsLabel, ...] = Field(min_length=1)
    quotas: dict[DnsLabel, dict[str, QuotaQuantity]] = Field(default_factory=dict)
    borrowing_limits: dict[DnsLabel, dict[str, QuotaQuantity]] = Field(default_factory=dict)
    cohort: DnsLabel | None = None
    preemption: Preemption = Field(default_factory=Preemption)
    queueing_strategy: QueueingStrategy = QueueingStrategy.BEST_EFFORT_FIFO


class ClusterQueue(Resource):
    """A Kueue ClusterQueue admitting Jobs onto the nodes of some of the cluster's profiles.

    **Usage**::

        queues = gm.Component(cluster, "queues", namespace="kueue-system")
        batch = gm.ClusterQueue(queues, "gpu-batch", profiles=[A100, L4], cohort="research")
        gm.GpuJob(training, "finetune", profile=A100, gpus=4).enqueue(batch)

    ``profiles`` are the flavors, tried in this order; omitted, every profile of the cluster, GPU
    profiles first. ``quotas`` overrides the nominal quota of a flavor's resources, by profile name
    (``{"a100": {"nvidia.com/gpu": "4"}}``); by default each is the sum over the profile's nodes.
    ``borrowing_limits`` bounds what the queue may borrow from its ``cohort`` (unlimited by
    default). ``preemption`` defaults to never preempting, ``queueing_strategy`` to BestEffortFIFO.
    """

    def __init__(
        self,
        scope: ResourceScope,
        id: str,
        *,
        profiles: Sequence[NodeProfile] | None = None,
        quotas: Mapping[str, Mapping[str, str | int]] | None = None,
        borrowing_limits: Mapping[str, Mapping[str, str | int]] | None = None,
        cohort: str | None = None,
        preemption: Preemption | None = None,
        queueing_strategy: QueueingStrategy = QueueingStrategy.BEST_EFFORT_FIFO,
    ) -> None:
        super().__init__(scope, id)
        cluster = self.component.cluster
        chosen = list(profiles) if profiles is not None else sorted(cluster.profiles(), key=lambda p: not p.is_gpu)
        self.props = parse_props(
            _ClusterQueueProps,
            f"ClusterQueue {id!r}",
            name=id,
            profiles=tuple(profile.name for profile in chosen),
            quotas=_quantities(quotas),
            borrowing_limits=_quantities(borrowing_limits),
            cohort=cohort,
            preemption=preemption if preemption is not None else Preemption(),
            queueing_strategy=queueing_strategy,
        )
        self.profiles = tuple(chosen)
        _check_profiles(self, cluster)
        cluster.cluster_queues.append(self)

    @property
    def name(self) -> str:
        """The ClusterQueue's name, also the name of the LocalQueues that point to it."""
        return self.props.name

    def covered_resources(self) -> list[str]:
        """CPU, memory and every GPU resource of the queue's profiles, in that order."""
        gpus = sorted({profile.gpu_resource for profile in self.profiles if profile.gpu_resource is not None})
        return [*_BASE_RESOURCES, *gpus]

    def nominal_quota(self, profile: NodeProfile) -> dict[str, str]:
        """The flavor's quota per covered resource: the override, else the sum over the profile's nodes
        (node pools at their maximum size)."""
        nodes = self.component.cluster.capacity_of(profile)
        totals = {
            "cpu": format_cpu(sum((parse_quantity(node.cpu) for node in nodes), Fraction(0))),
            "memory": _bytes(sum((parse_quantity(node.memory) for node in nodes), Fraction(0))),
        }
        if profile.gpu_resource is not None:
            totals[profile.gpu_resource] = str(sum(node.gpu_units for node in nodes))
        overrides = self.props.quotas.get(profile.name, {})
        return {resource: overrides.get(resource, totals.get(resource, "0")) for resource in self.covered_resources()}

    def flavor_manifest(self, profile: NodeProfile) -> dict[str, Any]:
        """The ResourceFlavor of ``profile``: its node labels and taints, exactly as its workloads see them."""
        spec: dict[str, Any] = {}
        if profile.node_labels:
            spec["nodeLabels"] = dict(profile.node_labels)
        if profile.taints:
            spec["nodeTaints"] = [taint.to_dict() for taint in profile.taints]
        return {
            "apiVersion": KUEUE_API_VERSION,
            "kind": "ResourceFlavor",
            "metadata": {"name": profile.name},
            "spec": spec,
        }

    def spec(self) -> dict[str, Any]:
        """The ClusterQueue's ``spec``: one resource group over every covered resource and flavor."""
        props = self.props
        flavors = [
            {
                "name": profile.name,
                "resources": [
                    {"name": resource, "nominalQuota": quota, **self._borrowing(profile, resource)}
                    for resource, quota in self.nominal_quota(profile).items()
                ],
            }
            for profile in self.profiles
        ]
        spec: dict[str, Any] = {
            "namespaceSelector": {},
            "queueingStrategy": str(props.queueing_strategy),
            "preemption": props.preemption.to_dict(),
            "resourceGroups": [{"coveredResources": self.covered_resources(), "flavors": flavors}],
        }
        if props.cohort is not None:
            spec["cohortName"] = props.cohort
        return spec

    def validate(self) -> list[str]:
        """Two priority classes of one name with different values cannot both exist."""
        if self.component.cluster.cluster_queues[0] is not self:
            return []
        seen: dict[str, WorkloadPriority] = {}
        problems = []
        for workload in self.component.cluster.workloads():
            priority = workload.queue_priority
            if priority is None:
                continue
            first = seen.setdefault(priority.name, priority)
            if first != priority:
                problems.append(
                    f"WorkloadPriority {priority.name!r} is used with value {first.value} and {priority.value} "
                    f"(by {workload.path}); one priority class has one value"
                )
        return problems

    def _borrowing(self, profile: NodeProfile, resource: str) -> dict[str, str]:
        limit = self.props.borrowing_limits.get(profile.name, {}).get(resource)
        return {} if limit is None else {"borrowingLimit": limit}

    def _render(self) -> list[RenderedObject]:
        cluster = self.component.cluster
        manifest = {"apiVersion": KUEUE_API_VERSION, "kind": "ClusterQueue", "metadata": {"name": self.name}}
        objects = [RenderedObject({**manifest, "spec": self.spec()}, self.path)]
        if cluster.cluster_queues[0] is self:  # the first queue owns what the cluster's queues share
            objects += [
                RenderedObject(self.flavor_manifest(profile), f"{self.path}/ResourceFlavor/{profile.name}")
                for profile in _flavor_profiles(cluster)
            ]
            objects += [
                RenderedObject(priority.to_manifest(), f"{self.path}/WorkloadPriorityClass/{priority.name}")
                for priority in _priorities(cluster)
            ]
        return objects


def _quantities(values: Mapping[str, Mapping[str, str | int]] | None) -> dict[str, dict[str, str]]:
    return {
        profile: {resource: str(amount) for resource, amount in amounts.items()}
        for profile, amounts in (values or {}).items()
    }


def _bytes(amount: Fraction) -> str:
    for suffix, size in (("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if amount and amount % size == 0:
            return f"{amount // size}{suffix}"
    return str(amount)


def _check_profiles(queue: ClusterQueue, cluster: Cluster) -> None:
    known = {profile.name for profile in cluster.profiles()}
    for profile in queue.profiles:
        if profile.name not in known:
            raise InvalidInputError(
                f"ClusterQueue {queue.name!r}: profiles: {profile.name!r} has no node in cluster {cluster.name!r} "
                f"(its profiles: {', '.join(sorted(known))}); a flavor without nodes would admit work nowhere"
            )
    for field, values in (("quotas", queue.props.quotas), ("borrowing_limits", queue.props.borrowing_limits)):
        for name, resources in values.items():
            if name not in queue.props.profiles:
                raise InvalidInputError(
                    f"ClusterQueue {queue.name!r}: {field}: {name!r} is not one of the queue's profiles "
                    f"({', '.join(queue.props.profiles)})"
                )
            unknown = sorted(set(resources) - set(queue.covered_resources()))
            if unknown:
                raise InvalidInputError(
                    f"ClusterQueue {queue.name!r}: {field}[{name!r}]: {', '.join(unknown)} not covered; "
                    f"the queue covers {', '.join(queue.covered_resources())}"
                )


def _flavor_profiles(cluster: Cluster) -> list[NodeProfile]:
    """Every profile some ClusterQueue of the cluster uses, each once, in queue order."""
    found: dict[str, NodeProfile] = {}
    for queue in cluster.cluster_queues:
        for profile in queue.profiles:
            found.setdefault(profile.name, profile)
    return list(found.values())


def _priorities(cluster: Cluster) -> list[WorkloadPriority]:
    """Every WorkloadPriority an enqueued Job of the cluster uses, each once, by name."""
    found: dict[str, WorkloadPriority] = {}
    for workload in cluster.workloads():
        priority = workload.queue_priority
        if priority is not None:
            found.setdefault(priority.name, priority)
    return [found[name] for name in sorted(found)]
