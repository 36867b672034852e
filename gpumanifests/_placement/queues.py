"""Would Kueue admit these workloads now? A pure-Python model of Kueue's quota admission.

The model follows Kueue **v0.19.2** (``kueue.x-k8s.io/v1beta2``, commit ``8eab6877``) with its
default feature gates. :func:`admit` plays Kueue's scheduler over queued workloads and says, for
each, what Kueue would do with the configuration and the usage given: admit it (with a flavor
per pod set and resource, and whether it borrows), keep it waiting (and why, in Kueue's own
condition message), or never admit it as configured. :func:`assign_flavors` is one run of
Kueue's flavor assigner for one workload against one ClusterQueue.

Objects are plain dicts in Kueue's camelCase: the ``spec`` of each ClusterQueue, Cohort,
ResourceFlavor and LocalQueue, as the v1beta2 CRDs define it (:class:`QueueConfig`, or
:meth:`QueueConfig.from_manifests` for whole objects). Workloads are typed (:class:`Workload`,
:class:`PodSet`); :func:`workload_from_manifest` builds one from a batch/v1 Job or a JobSet the
way Kueue's integrations do. Quantities are exact; amounts are accounted in Kueue's integer
units (``ResourceValue``: cpu in millicores, everything else in whole units, rounded up) and
printed as ``pkg/resources/resource_formatter.go`` prints them (``500m``, ``10Mi``, ``4``).

**Quota** (``pkg/cache/scheduler/resource_node.go``). Everything is tracked per
(flavor, resource). ClusterQueues are the leaves of a tree of Cohorts (hierarchical cohorts,
``parentName``, and cohort-level ``resourceGroups`` are modelled). A node's subtree quota is
its own nominal quota plus what its children lend; ``lendingLimit`` keeps
``subtree - lendingLimit`` out of the parent's pool; ``borrowingLimit`` caps what a node may
take from its parent. *Available* is what a ClusterQueue could take now; *potential* is the
most it could ever take (nominal plus what it may borrow, with no usage anywhere).

**Flavor assignment** (``pkg/scheduler/flavorassigner``). Pod sets are assigned in order, each
seeing what earlier pod sets took. All resources of one resource group get the same flavor;
flavors are tried in the ClusterQueue's order. A flavor is open to a pod set only if the pod
set tolerates the flavor's ``NoSchedule``/``NoExecute`` ``nodeTaints`` (the flavor's own
``tolerations`` count) and its ``nodeSelector`` and required node affinity, restricted to the
flavor's own ``nodeLabels`` keys, match those labels. Per resource: more than the potential
is *never admissible as configured* (``... > maximum capacity (...)``), at most the available
fits, in between the workload waits (``insufficient unused quota ..., N more needed``) unless
preemption could make room. ``flavorFungibility`` (defaults ``whenCanBorrow: MayStopSearch``,
``whenCanPreempt: TryNextFlavor``) decides whether to look further; the best flavor is kept.

**Scheduling** (``pkg/scheduler/scheduler.go``, ``pkg/cache/queue``). Each cycle takes one
head per active ClusterQueue (highest priority first, then the oldest), computes every head's
assignment against a snapshot, then processes them lowest borrowing level first, then highest
priority, then oldest; each admission is visible to the heads after it (``Workload no longer
fits after processing another workload``). A head that needs preemption but has no candidates
reserves its quota for the rest of the cycle unless its ClusterQueue has
``reclaimWithinCohort: Any``. StrictFIFO keeps a head that does not fit at the head;
BestEffortFIFO sets it aside and moves on. Kueue's flavor-scan progress
(FlavorFungibilityPreserveScanProgress) is kept: a head skipped after nomination resumes with
the next flavor. With nothing finishing, :func:`admit` runs cycles until nothing changes.

**Preemption is not executed.** Whether preemption could help is computed as Kueue's classical
preemptor computes it (within the ClusterQueue, reclaim within the cohort, borrowWithinCohort,
hierarchical reclaim) over the admitted workloads given, because it changes which flavor Kueue
picks. A workload that could only be admitted by preempting others is reported WAITING with
Kueue's message and ``. Pending the preemption of N workload(s)``, the would-be victims in
:attr:`Verdict.preemption_targets`; it is then set aside, and its quota is not held for it in
later cycles.

**Outcomes.** ADMITTED: Kueue reserves quota now. INADMISSIBLE: the workload does not fit
even with no usage anywhere (a request above every eligible flavor's maximum capacity, or no
eligible flavor), so only a configuration change helps. NO_QUEUE: the LocalQueue or its
ClusterQueue is missing, the ClusterQueue is inactive for a configuration error (a missing
ResourceFlavor, a cohort cycle), the namespace does not match its ``namespaceSelector``
(``null`` matches no namespace, ``{}`` every one), or a pod set requests a resource no
resource group covers. WAITING: everything else, including stopped queues (``stopPolicy``)
and workloads never reached because another one heads their queue. Messages are Kueue's
(``QuotaReserved`` condition messages), except for workloads Kueue never evaluates, whose
message says what they wait behind.

Not modelled: Topology Aware Scheduling, fair sharing and admission fair sharing, partial
admission (``minCount``), admission checks, MultiKueue, elastic workload slices, concurrent
admission, reclaimable pods, LimitRanges and RuntimeClass overhead, resource transformations
and ``excludeResourcePrefixes``, ``quotaCheckStrategy: IgnoreUndeclared`` (the default,
BlockUndeclared, is), priority boosts, preemption gates, evicted workloads and requeue
backoff, and workloads finishing. Tolerations use :func:`gpumanifests.scheduling.tolerates`
(no ``Gt``/``Lt`` operators), and a required-affinity requirement that does not parse matches
no flavor (Kueue reports an error). Inputs are taken as the CRDs and Kueue's webhooks accept
them. A stopped ClusterQueue's quota still counts in its cohort. Where Kueue iterates a Go map
(random order), the model goes in name order, with resources no group covers first. The
message of a workload set aside is the one of the cycle that last evaluated it, as Kueue's
condition is.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from gpumanifests._kube.quantity import parse_quantity
from gpumanifests.scheduling import node_matches_pod_selection, pod_requests, untolerated_taints

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence

__all__ = [
    "QUEUE_LABEL",
    "AdmittedWorkload",
    "Assignment",
    "Oracle",
    "Outcome",
    "PodSet",
    "PodSetAssignment",
    "Possibility",
    "QueueConfig",
    "Verdict",
    "Workload",
    "admit",
    "assign_flavors",
    "format_amount",
    "workload_from_manifest",
]

QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
"""The label that puts a Job or JobSet in a LocalQueue of its namespace."""
_NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
_BINARY_RESOURCES = ("memory", "ephemeral-storage")
_BINARY_SUFFIXES = ("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei")
_DECIMAL_SUFFIXES = {-9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E"}
_MILLI_PER_CORE = 1000

# Kueue's granular preemption modes (flavorassigner.go: preemptionMode), worst first.
_NO_FIT, _NO_CANDIDATES, _PREEMPT, _RECLAIM, _FIT = range(5)
# Kueue's FlavorAssignmentMode values, worst first (DeferredFit never arises here).
_MODE_NAMES = {0: "NoFit", 1: "Preempt", 3: "Fit"}

_EXCEEDS_MAX = "ExceedsMaxQuota"
_WAITING = "WaitingForQuota"
_NO_MATCHING_FLAVOR = "NoMatchingFlavor"
_MISCONFIGURED = "Misconfigured"
_SUSPENDED = "Suspended"
_PREEMPTING = "WaitingForPreemptedWorkloads"
_PENDING = "Pending"
_SEVERITY = {"": 0, _WAITING: 2, _EXCEEDS_MAX: 3, _NO_MATCHING_FLAVOR: 4}

_NO_LONGER_FITS = "Workload no longer fits after processing another workload"
_OVERLAPPING = "Workload has overlapping preemption targets with another workload"
_NAMESPACE_MISMATCH = "workload namespace doesn't match ClusterQueue selector"

_Fr = tuple[str, str]
"""A (flavor, resource) pair, Kueue's ``FlavorResource``."""


class Outcome(enum.StrEnum):
    """What Kueue does with a queued workload now."""

    ADMITTED = "Admitted"
    """Quota is reserved for it (``QuotaReserved=True``)."""
    WAITING = "Waiting"
    """It stays pending until quota frees up (or preemption, which the model does not run)."""
    INADMISSIBLE = "Inadmissible"
    """It cannot be admitted under the current configuration, whatever else runs."""
    NO_QUEUE = "NoQueue"
    """Its queue cannot take it: missing or broken LocalQueue or ClusterQueue, or a resource no group covers."""


class Possibility(enum.StrEnum):
    """What preempting could achieve for one flavor and resource (``PreemptionPossibility``)."""

    NO_CANDIDATES = "NoCandidates"
    PREEMPT = "Preempt"
    """Victims exist, some in the workload's own ClusterQueue."""
    RECLAIM = "Reclaim"
    """Victims exist, all in other ClusterQueues of the cohort."""


Oracle = Callable[[str, str, Fraction], tuple[Possibility, int]]
"""Answers "could preemption make room?" for (flavor, resource, amount): what preempting could
achieve, and the borrowing level the workload would have after it. :func:`assign_flavors`
takes one in place of the model's own candidate search, as Kueue's unit tests mock it.
"""


# --- inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PodSet:
    """One pod set of a workload: ``count`` pods, each requesting ``requests``.

    ``node_selector``, ``required_node_affinity`` (the ``nodeSelectorTerms`` of the required
    node affinity, ``None`` when there is none) and ``tolerations`` are the pod template's, as
    Kueue reads them to match the pod set against flavors.
    """

    name: str
    count: int
    requests: Mapping[str, Fraction]
    node_selector: Mapping[str, str] = field(default_factory=dict)
    required_node_affinity: tuple[Mapping[str, Any], ...] | None = None
    tolerations: tuple[Mapping[str, Any], ...] = ()

    @classmethod
    def from_pod_spec(cls, name: str, count: int, pod_spec: Mapping[str, Any]) -> PodSet:
        """The pod set of ``count`` pods with this PodSpec, requests as :func:`pod_requests` gives them.

        A resource with only a limit requests the limit, as Kueue's ``AdjustResources`` does.
        """
        required = ((pod_spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        )
        return cls(
            name=name,
            count=count,
            requests=pod_requests(pod_spec),
            node_selector=dict(pod_spec.get("nodeSelector") or {}),
            required_node_affinity=None if required is None else tuple(required.get("nodeSelectorTerms") or ()),
            tolerations=tuple(pod_spec.get("tolerations") or ()),
        )


@dataclass(frozen=True)
class Workload:
    """A queued workload: its pod sets, its LocalQueue (``namespace``/``queue``) and its order.

    ``priority`` is the workload's effective priority; ``created`` orders workloads of equal
    priority (smaller is older: Kueue's queue-order timestamp), ties broken by name.
    """

    name: str
    namespace: str
    queue: str
    pod_sets: tuple[PodSet, ...]
    priority: int = 0
    created: int = 0

    @property
    def key(self) -> str:
        """``namespace/name``."""
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class AdmittedWorkload:
    """A workload that already holds quota in ``cluster_queue``.

    ``usage`` is its total quota usage per (flavor, resource). ``priority`` and ``created``
    matter only for preemption: who may be preempted, and in which order.
    """

    name: str
    namespace: str
    cluster_queue: str
    usage: Mapping[tuple[str, str], Fraction]
    priority: int = 0
    created: int = 0

    @property
    def key(self) -> str:
        """``namespace/name``."""
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class QueueConfig:
    """Kueue's configuration: each object's ``spec`` by name, as the v1beta2 CRDs define it.

    ``local_queues`` is keyed ``namespace/name``. ``namespaces`` maps a namespace to its labels
    (``kubernetes.io/metadata.name`` is added as the API server adds it); ``None`` means every
    namespace exists with only that label.
    """

    cluster_queues: Mapping[str, Mapping[str, Any]]
    resource_flavors: Mapping[str, Mapping[str, Any]]
    local_queues: Mapping[str, Mapping[str, Any]]
    cohorts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    namespaces: Mapping[str, Mapping[str, str]] | None = None

    @classmethod
    def from_manifests(cls, objects: Iterable[Mapping[str, Any]]) -> QueueConfig:
        """The configuration of whole objects: Kueue's ClusterQueues, Cohorts, ResourceFlavors and
        LocalQueues, and (optionally) v1 Namespaces. Other kinds are ignored. When no Namespace
        is given, every namespace is taken to exist.
        """
        found: dict[str, dict[str, Mapping[str, Any]]] = {
            kind: {} for kind in ("ClusterQueue", "Cohort", "ResourceFlavor", "LocalQueue")
        }
        namespaces: dict[str, Mapping[str, str]] = {}
        for obj in objects:
            kind, metadata = obj.get("kind"), obj.get("metadata") or {}
            name = str(metadata.get("name") or "")
            api_version = str(obj.get("apiVersion") or "")
            if kind == "Namespace" and api_version == "v1":
                namespaces[name] = dict(metadata.get("labels") or {})
            elif kind in found and api_version.startswith("kueue.x-k8s.io/"):
                if kind == "LocalQueue":
                    name = f"{metadata.get('namespace') or 'default'}/{name}"
                found[str(kind)][name] = obj.get("spec") or {}
        return cls(
            cluster_queues=found["ClusterQueue"],
            resource_flavors=found["ResourceFlavor"],
            local_queues=found["LocalQueue"],
            cohorts=found["Cohort"],
            namespaces=namespaces or None,
        )


def workload_from_manifest(manifest: Mapping[str, Any], *, priority: int = 0, created: int = 0) -> Workload:
    """The Workload Kueue creates for a batch/v1 Job or a jobset.x-k8s.io JobSet.

    A Job has one pod set, ``main``, of ``min(parallelism, completions)`` pods (parallelism
    defaults to 1, completions to parallelism). A JobSet has one pod set per replicated job,
    named in lower case, of ``replicas`` times that many pods. The LocalQueue is the
    ``kueue.x-k8s.io/queue-name`` label. Priority classes are not resolved: pass ``priority``.
    Raises ``ValueError`` for another kind or a missing queue label.
    """
    metadata = manifest.get("metadata") or {}
    queue = (metadata.get("labels") or {}).get(QUEUE_LABEL)
    if not queue:
        raise ValueError(f"{metadata.get('name')!r} has no {QUEUE_LABEL} label, so Kueue does not manage it")
    spec, kind = manifest.get("spec") or {}, manifest.get("kind")
    pod_sets: tuple[PodSet, ...]
    if kind == "Job":
        pod_sets = (_job_pod_set("main", spec, 1),)
    elif kind == "JobSet":
        pod_sets = tuple(
            _job_pod_set(
                str(job.get("name") or "").lower(), job.get("template", {}).get("spec") or {}, _int(job, "replicas", 1)
            )
            for job in spec.get("replicatedJobs") or ()
        )
    else:
        raise ValueError(f"Kueue's model here takes a batch/v1 Job or a JobSet, not {kind!r}")
    return Workload(
        name=str(metadata.get("name") or ""),
        namespace=str(metadata.get("namespace") or "default"),
        queue=str(queue),
        pod_sets=pod_sets,
        priority=priority,
        created=created,
    )


def _job_pod_set(name: str, job_spec: Mapping[str, Any], replicas: int) -> PodSet:
    parallelism = _int(job_spec, "parallelism", 1)
    completions = _int(job_spec, "completions", parallelism)
    template = (job_spec.get("template") or {}).get("spec") or {}
    return PodSet.from_pod_spec(name, replicas * min(parallelism, completions), template)


def _int(owner: Mapping[str, Any], key: str, default: int) -> int:
    value = owner.get(key)
    return default if value is None else int(value)


# --- outputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PodSetAssignment:
    """A pod set's flavors (resource to flavor), its mode, and the reasons of the flavors tried."""

    name: str
    flavors: Mapping[str, str]
    mode: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Assignment:
    """One run of Kueue's flavor assigner (``FlavorAssigner.Assign``) for one workload.

    ``mode`` is Kueue's representative mode: ``Fit`` (admissible now), ``Preempt`` (only with
    preemption, or with no candidates for it) or ``NoFit``. ``borrowing`` is the borrowing
    level (0: within nominal quota; 1: from the cohort; higher: from further up a hierarchy).
    ``message`` is ``Assignment.Message()``; ``no_fit_reason`` Kueue's granular reason for a
    ``NoFit`` (``ExceedsMaxQuota``, ``WaitingForQuota``, ``NoMatchingFlavor``).
    """

    mode: str
    pod_sets: tuple[PodSetAssignment, ...]
    borrowing: int
    usage: Mapping[tuple[str, str], Fraction]
    message: str
    no_fit_reason: str

    @property
    def borrows(self) -> bool:
        """Whether any flavor assigned needs quota beyond the ClusterQueue's nominal quota."""
        return self.borrowing > 0

    @property
    def flavors(self) -> dict[str, dict[str, str]]:
        """Pod set name to resource to flavor, for the pod sets assigned."""
        return {ps.name: dict(ps.flavors) for ps in self.pod_sets if ps.flavors}


@dataclass(frozen=True)
class Verdict:
    """What Kueue does with one workload (``key`` is ``namespace/name``).

    ``message`` is the ``QuotaReserved`` condition message Kueue writes (``Quota reserved in
    ClusterQueue <cq>`` when admitted); ``reason`` Kueue's granular reason (as with the
    UnadmittedWorkloadsObservability gate; ``Pending`` when never evaluated). ``flavors``,
    ``borrowing`` and ``usage`` describe the admission (``flavors`` and ``borrowing`` also the
    admission a workload waiting for preemption would get); ``preemption_targets`` are the
    workloads Kueue would preempt for it. ``cycle`` is the last scheduling cycle that evaluated
    the workload (0: none did).
    """

    key: str
    outcome: Outcome
    cluster_queue: str | None
    message: str
    reason: str
    flavors: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    borrowing: int = 0
    usage: Mapping[tuple[str, str], Fraction] = field(default_factory=dict)
    preemption_targets: tuple[str, ...] = ()
    cycle: int = 0

    @property
    def borrows(self) -> bool:
        """Whether the admission uses quota beyond the ClusterQueue's nominal quota."""
        return self.borrowing > 0


# --- amounts -----------------------------------------------------------------------------------


def _units(resource: str, amount: Fraction) -> int:
    """Kueue's integer amount (``resources.ResourceValue``): millicores for cpu, else whole units, rounded up."""
    return math.ceil(amount * _MILLI_PER_CORE) if resource == "cpu" else math.ceil(amount)


def _from_units(resource: str, units: int) -> Fraction:
    return Fraction(units, _MILLI_PER_CORE) if resource == "cpu" else Fraction(units)


def _quantity(value: Any) -> Fraction:
    if isinstance(value, Fraction):
        return value
    return parse_quantity(value)


def format_amount(resource: str, amount: Fraction) -> str:
    """An amount as Kueue prints it in messages (``ResourceFormatter``).

    cpu as a milli quantity (``500m``, ``2``); memory, ephemeral-storage and hugepages in
    canonical binary form (``10Mi``, or decimal when not a multiple of 1024); anything else as
    a decimal quantity (``4``, ``2k``).
    """
    return _format_units(resource, _units(resource, amount))


def _format_units(resource: str, units: int) -> str:
    if resource == "cpu":
        return _decimal_text(Fraction(units, _MILLI_PER_CORE))
    if resource in _BINARY_RESOURCES or resource.startswith("hugepages-"):
        return _binary_text(units)
    return _decimal_text(Fraction(units))


def _decimal_text(value: Fraction) -> str:
    """A DecimalSI quantity's canonical text: an integer mantissa and a power of 1000 suffix."""
    if value == 0:
        return "0"
    sign, value = ("-" if value < 0 else ""), abs(value)
    exponent = 0
    while value.denominator != 1:
        value, exponent = value * 10, exponent - 1
    mantissa = value.numerator
    while mantissa % 10 == 0:
        mantissa, exponent = mantissa // 10, exponent + 1
    extra = exponent % 3
    mantissa, exponent = mantissa * 10**extra, exponent - extra
    suffix = _DECIMAL_SUFFIXES.get(exponent)
    return f"{sign}{mantissa}{suffix}" if suffix is not None else f"{sign}{mantissa}e{exponent}"


def _binary_text(units: int) -> str:
    """``newCanonicalQuantity(v, BinarySI)``: a power-of-1024 suffix when exact, else decimal."""
    magnitude, power = abs(units), 0
    if magnitude < 1024:
        return _decimal_text(Fraction(units))
    while magnitude % 1024 == 0 and power < len(_BINARY_SUFFIXES) - 1:
        magnitude, power = magnitude // 1024, power + 1
    if power == 0:
        return _decimal_text(Fraction(units))
    return f"{'-' if units < 0 else ''}{magnitude}{_BINARY_SUFFIXES[power]}"


# --- configuration -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Quota:
    nominal: int
    borrowing_limit: int | None = None
    lending_limit: int | None = None


@dataclass(frozen=True)
class _Group:
    covered: frozenset[str]
    flavors: tuple[str, ...]


@dataclass(frozen=True)
class _Queue:
    """A ClusterQueue's spec, parsed, with Kueue's defaults applied."""

    name: str
    cohort: str | None
    groups: tuple[_Group, ...]
    quotas: Mapping[_Fr, _Quota]
    when_can_borrow: str
    when_can_preempt: str
    preference: str | None
    within_cluster_queue: str
    reclaim_within_cohort: str
    borrow_within_cohort: str
    borrow_threshold: int | None
    namespace_selector: Mapping[str, Any] | None
    strict_fifo: bool
    stopped: bool
    missing_flavors: tuple[str, ...]

    def group_for(self, resource: str) -> _Group | None:
        return next((group for group in self.groups if resource in group.covered), None)

    def covers(self, resource: str) -> bool:
        return self.group_for(resource) is not None


def _parse_groups(groups: Iterable[Mapping[str, Any]]) -> tuple[tuple[_Group, ...], dict[_Fr, _Quota]]:
    parsed, quotas = [], {}
    for group in groups:
        names = []
        for flavor in group.get("flavors") or ():
            flavor_name = str(flavor.get("name") or "")
            names.append(flavor_name)
            for resource in flavor.get("resources") or ():
                name = str(resource.get("name") or "")
                quotas[(flavor_name, name)] = _Quota(
                    nominal=_units(name, _quantity(resource.get("nominalQuota", 0))),
                    borrowing_limit=_optional_units(name, resource.get("borrowingLimit")),
                    lending_limit=_optional_units(name, resource.get("lendingLimit")),
                )
        parsed.append(_Group(frozenset(str(r) for r in group.get("coveredResources") or ()), tuple(names)))
    return tuple(parsed), quotas


def _optional_units(resource: str, value: Any) -> int | None:
    return None if value is None else _units(resource, _quantity(value))


def _parse_queue(name: str, spec: Mapping[str, Any], flavors: Mapping[str, Any]) -> _Queue:
    groups, quotas = _parse_groups(spec.get("resourceGroups") or ())
    fungibility = spec.get("flavorFungibility") or {}
    preemption = spec.get("preemption") or {}
    borrow_within = preemption.get("borrowWithinCohort") or {}
    threshold = borrow_within.get("maxPriorityThreshold")
    used = dict.fromkeys(flavor for group in groups for flavor in group.flavors)
    return _Queue(
        name=name,
        cohort=spec.get("cohortName") or None,
        groups=groups,
        quotas=quotas,
        when_can_borrow=fungibility.get("whenCanBorrow") or "MayStopSearch",
        when_can_preempt=fungibility.get("whenCanPreempt") or "TryNextFlavor",
        preference=fungibility.get("preference"),
        within_cluster_queue=preemption.get("withinClusterQueue") or "Never",
        reclaim_within_cohort=preemption.get("reclaimWithinCohort") or "Never",
        borrow_within_cohort=borrow_within.get("policy") or "Never",
        borrow_threshold=None if threshold is None else int(threshold),
        namespace_selector=spec.get("namespaceSelector"),
        strict_fifo=spec.get("queueingStrategy") == "StrictFIFO",
        stopped=(spec.get("stopPolicy") or "None") != "None",
        missing_flavors=tuple(flavor for flavor in used if flavor not in flavors),
    )


class _Model:
    """The configuration, parsed once: queues, the cohort forest and what is broken in it."""

    def __init__(self, config: QueueConfig) -> None:
        self.config = config
        self.flavors = config.resource_flavors
        self.queues = {name: _parse_queue(name, spec, self.flavors) for name, spec in config.cluster_queues.items()}
        self.cohort_parent: dict[str, str | None] = {}
        self.cohort_quotas: dict[str, dict[_Fr, _Quota]] = {}
        for name, spec in config.cohorts.items():
            self.cohort_parent[name] = spec.get("parentName") or None
            self.cohort_quotas[name] = _parse_groups(spec.get("resourceGroups") or ())[1]
        implicit = {q.cohort for q in self.queues.values()} | set(self.cohort_parent.values())
        for cohort in implicit:
            if cohort is not None and cohort not in self.cohort_parent:
                self.cohort_parent[cohort], self.cohort_quotas[cohort] = None, {}
        self.broken_cohorts = {name for name in self.cohort_parent if self._reaches_cycle(name)}

    def _reaches_cycle(self, name: str) -> bool:
        seen: set[str] = set()
        current: str | None = name
        while current is not None:
            if current in seen:
                return True
            seen.add(current)
            current = self.cohort_parent.get(current)
        return False

    def inactive_reason(self, queue: _Queue) -> str | None:
        """Why Kueue keeps the ClusterQueue from admitting (``None``: it is active)."""
        if queue.missing_flavors:
            return f"references missing ResourceFlavor(s): {','.join(queue.missing_flavors)}"
        if queue.cohort is not None and queue.cohort in self.broken_cohorts:
            return "its cohort hierarchy has a cycle"
        if queue.stopped:
            return "is stopped"
        return None

    def namespace_labels(self, namespace: str) -> Mapping[str, str] | None:
        known = self.config.namespaces
        if known is None:
            return {_NAMESPACE_NAME_LABEL: namespace}
        labels = known.get(namespace)
        return None if labels is None else {_NAMESPACE_NAME_LABEL: namespace, **labels}


# --- the quota tree ----------------------------------------------------------------------------


class _Node:
    """A ClusterQueue or Cohort in a snapshot: quotas, subtree quota and usage per (flavor, resource)."""

    __slots__ = ("children", "is_queue", "name", "parent", "quotas", "subtree", "usage")

    def __init__(self, name: str, quotas: Mapping[_Fr, _Quota], *, is_queue: bool) -> None:
        self.name = name
        self.is_queue = is_queue
        self.quotas = quotas
        self.parent: _Node | None = None
        self.children: list[_Node] = []
        self.subtree: dict[_Fr, int] = {}
        self.usage: dict[_Fr, int] = {}

    def ancestors(self) -> Iterator[_Node]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def nominal(self, fr: _Fr) -> int:
        quota = self.quotas.get(fr)
        return 0 if quota is None else quota.nominal

    def local_quota(self, fr: _Fr) -> int:
        """What the node keeps for itself: ``subtree - lendingLimit``, or nothing without a lending limit."""
        quota = self.quotas.get(fr)
        if quota is None or quota.lending_limit is None:
            return 0
        return max(0, self.subtree.get(fr, 0) - quota.lending_limit)

    def local_available(self, fr: _Fr) -> int:
        return max(0, self.local_quota(fr) - self.usage.get(fr, 0))

    def available(self, fr: _Fr) -> int:
        """``resource_node.go: available``: what the node could take now (may be negative)."""
        if self.parent is None:
            return self.subtree.get(fr, 0) - self.usage.get(fr, 0)
        from_parent = self.parent.available(fr)
        quota = self.quotas.get(fr)
        if quota is not None and quota.borrowing_limit is not None:
            local = self.local_quota(fr)
            stored = self.subtree.get(fr, 0) - local
            used = max(0, self.usage.get(fr, 0) - local)
            from_parent = min(stored - used + quota.borrowing_limit, from_parent)
        return self.local_available(fr) + from_parent

    def potential(self, fr: _Fr) -> int:
        """``resource_node.go: potentialAvailable``: the most the node could take, ignoring usage."""
        if self.parent is None:
            return self.subtree.get(fr, 0)
        most = self.local_quota(fr) + self.parent.potential(fr)
        quota = self.quotas.get(fr)
        if quota is not None and quota.borrowing_limit is not None:
            most = min(self.subtree.get(fr, 0) + quota.borrowing_limit, most)
        return most

    def borrowing_with(self, fr: _Fr, amount: int) -> bool:
        return self.subtree.get(fr, 0) < self.usage.get(fr, 0) + amount

    def within_nominal(self, frs: Iterable[_Fr]) -> bool:
        return all(self.subtree.get(fr, 0) >= self.usage.get(fr, 0) for fr in frs)

    def add_usage(self, fr: _Fr, amount: int) -> None:
        """Add usage; what exceeds the node's local availability is used in the parent too."""
        local = self.local_available(fr)
        self.usage[fr] = self.usage.get(fr, 0) + amount
        if self.parent is not None and amount > local:
            self.parent.add_usage(fr, amount - local)

    def remove_usage(self, fr: _Fr, amount: int) -> None:
        stored_in_parent = self.usage.get(fr, 0) - self.local_quota(fr)
        self.usage[fr] = self.usage.get(fr, 0) - amount
        if stored_in_parent > 0 and self.parent is not None:
            self.parent.remove_usage(fr, min(amount, stored_in_parent))

    def height(self) -> int:
        """``getNodeHeight``: 1 for a cohort with children, plus the height of its tallest child cohort."""
        height = min(len(self.children), 1)
        for child in self.children:
            if not child.is_queue:
                height = max(height, child.height() + 1)
        return height

    def root(self) -> _Node:
        node = self
        while node.parent is not None:
            node = node.parent
        return node


@dataclass
class _Record:
    """An admitted workload in a snapshot."""

    key: str
    queue: str
    usage: dict[_Fr, int]
    priority: int
    created: int
    order: int


class _Snapshot:
    """Kueue's scheduling snapshot: the quota tree with usage, and the admitted workloads."""

    def __init__(self, model: _Model, records: Iterable[_Record]) -> None:
        self.model = model
        cohorts = {
            name: _Node(name, model.cohort_quotas[name], is_queue=False)
            for name in model.cohort_parent
            if name not in model.broken_cohorts
        }
        for name, node in cohorts.items():
            parent = model.cohort_parent[name]
            if parent is not None:
                _link(node, cohorts[parent])
        self.queues: dict[str, _Node] = {}
        for queue in model.queues.values():
            if queue.cohort is not None and queue.cohort in model.broken_cohorts:
                continue
            node = self.queues[queue.name] = _Node(queue.name, queue.quotas, is_queue=True)
            if queue.cohort is not None:
                _link(node, cohorts[queue.cohort])
        for node in [*cohorts.values(), *self.queues.values()]:
            if node.parent is None:
                _accumulate(node)
        self.workloads: dict[str, dict[str, _Record]] = {name: {} for name in self.queues}
        for record in records:
            self.add(record)

    def add(self, record: _Record) -> None:
        node = self.queues.get(record.queue)
        if node is None:
            return
        self.workloads[record.queue][record.key] = record
        for fr, amount in record.usage.items():
            node.add_usage(fr, amount)

    def remove(self, record: _Record) -> None:
        node = self.queues.get(record.queue)
        if node is None:
            return
        self.workloads[record.queue].pop(record.key, None)
        for fr, amount in record.usage.items():
            node.remove_usage(fr, amount)


def _link(child: _Node, parent: _Node) -> None:
    child.parent = parent
    parent.children.append(child)


def _accumulate(node: _Node) -> None:
    """``updateCohortResourceNode``: subtree quota is own nominal plus what each child lends."""
    node.subtree = {fr: quota.nominal for fr, quota in node.quotas.items()}
    for child in node.children:
        _accumulate(child)
        for fr, amount in child.subtree.items():
            node.subtree[fr] = node.subtree.get(fr, 0) + amount - child.local_quota(fr)


def _height_of_lowest_subtree_that_fits(node: _Node, fr: _Fr, amount: int) -> tuple[int, bool]:
    """``classical.FindHeightOfLowestSubtreeThatFits``: the borrowing level of taking ``amount``,
    and whether the ClusterQueue could reclaim quota in its hierarchy.
    """
    if not node.borrowing_with(fr, amount) or node.parent is None:
        return 0, node.parent is not None
    remaining = amount - node.local_available(fr)
    for ancestor in node.ancestors():
        if not ancestor.borrowing_with(fr, remaining):
            return ancestor.height(), ancestor.parent is not None
        remaining -= ancestor.local_available(fr)
    return node.root().height(), False


# --- preemption candidates ---------------------------------------------------------------------

_NEVER, _WITHIN_QUEUE, _HIERARCHICAL_RECLAIM, _RECLAIM_WITHOUT_BORROWING, _RECLAIM_WHILE_BORROWING = range(5)


@dataclass(frozen=True)
class _Preemptor:
    queue: _Queue
    priority: int
    created: int


@dataclass(frozen=True)
class _Candidate:
    record: _Record
    lca: _Node | None
    variant: int


def _satisfies(policy: str, preemptor: _Preemptor, candidate: _Record) -> bool:
    """``SatisfiesPreemptionPolicy`` (SchedulerTimestampPreemptionBuffer is off by default)."""
    lower = preemptor.priority > candidate.priority
    if policy == "LowerPriority":
        return lower
    if policy == "LowerOrNewerEqualPriority":
        return lower or (preemptor.priority == candidate.priority and preemptor.created < candidate.created)
    return policy == "Any"


def _variant(preemptor: _Preemptor, record: _Record, frs: set[_Fr], *, advantage: bool) -> int:
    """``classifyPreemptionVariant``."""
    queue = preemptor.queue
    same = record.queue == queue.name
    policy = queue.within_cluster_queue if same else queue.reclaim_within_cohort
    if not frs.intersection(record.usage) or not _satisfies(policy, preemptor, record):
        return _NEVER
    if same:
        return _WITHIN_QUEUE
    if advantage:
        return _HIERARCHICAL_RECLAIM
    threshold = queue.borrow_threshold
    if (
        queue.borrow_within_cohort == "Never"
        or record.priority >= preemptor.priority
        or (threshold is not None and record.priority > threshold)
    ):
        return _RECLAIM_WITHOUT_BORROWING
    return _RECLAIM_WHILE_BORROWING


def _from_queue(
    snapshot: _Snapshot, name: str, lca: _Node | None, preemptor: _Preemptor, frs: set[_Fr], *, advantage: bool
) -> list[_Candidate]:
    found = []
    for record in snapshot.workloads.get(name, {}).values():
        variant = _variant(preemptor, record, frs, advantage=advantage)
        if variant != _NEVER:
            found.append(_Candidate(record, lca, variant))
    return found


def _fits_in_quota(node: _Node, requests: Mapping[_Fr, int]) -> tuple[bool, dict[_Fr, int]]:
    """``QuantitiesFitInQuota``."""
    fits = all(node.subtree.get(fr, 0) >= node.usage.get(fr, 0) + amount for fr, amount in requests.items())
    return fits, {fr: max(0, amount - node.local_available(fr)) for fr, amount in requests.items()}


def _collect_in_subtree(
    snapshot: _Snapshot,
    ctx: tuple[_Node, _Preemptor, set[_Fr]],
    current: _Node,
    *,
    subtree_root: _Node,
    skip: _Node | None,
    result: list[_Candidate],
    advantage: bool,
) -> None:
    """``collectCandidatesInSubtree``: workloads of queues above their nominal quota under ``current``."""
    node, preemptor, frs = ctx
    for child in current.children:
        if child.is_queue or child is skip or child.within_nominal(frs):
            continue
        _collect_in_subtree(
            snapshot, ctx, child, subtree_root=subtree_root, skip=skip, result=result, advantage=advantage
        )
    for child in current.children:
        if child.is_queue and child is not node and not child.within_nominal(frs):
            result.extend(_from_queue(snapshot, child.name, subtree_root, preemptor, frs, advantage=advantage))


def _candidates(
    snapshot: _Snapshot, preemptor: _Preemptor, frs: set[_Fr], requests: Mapping[_Fr, int]
) -> tuple[list[_Candidate], bool, bool]:
    """``NewCandidateIterator``: all candidates in Kueue's order, and whether none come from other
    queues, and whether none come from hierarchical reclaim.
    """
    queue = preemptor.queue
    node = snapshot.queues[queue.name]
    same: list[_Candidate] = []
    if queue.within_cluster_queue != "Never":
        same = _from_queue(snapshot, queue.name, None, preemptor, frs, advantage=False)
    hierarchy: list[_Candidate] = []
    priority: list[_Candidate] = []
    if node.parent is not None and queue.reclaim_within_cohort != "Never":
        advantage, remaining = _fits_in_quota(node, requests)
        previous: _Node | None = None
        for ancestor in node.ancestors():
            target = hierarchy if advantage else priority
            _collect_in_subtree(
                snapshot,
                (node, preemptor, frs),
                ancestor,
                subtree_root=ancestor,
                skip=previous,
                result=target,
                advantage=advantage,
            )
            fits, remaining = _fits_in_quota(ancestor, remaining)
            advantage = advantage or fits
            previous = ancestor

    def order(candidate: _Candidate) -> tuple[bool, int, int, str]:
        record = candidate.record
        return (record.queue == queue.name, record.priority, -record.order, record.key)

    ordered = sorted(hierarchy, key=order) + sorted(priority, key=order) + sorted(same, key=order)
    return ordered, not hierarchy and not priority, not hierarchy


def _candidate_valid(
    snapshot: _Snapshot, preemptor: _Preemptor, candidate: _Candidate, frs: set[_Fr], *, borrow: bool
) -> bool:
    record = candidate.record
    if record.queue == preemptor.queue.name:
        return True
    if borrow and candidate.variant == _RECLAIM_WITHOUT_BORROWING:
        return False
    node = snapshot.queues[record.queue]
    if node.within_nominal(frs):
        return False
    for ancestor in node.ancestors():
        if ancestor is candidate.lca:
            break
        if ancestor.within_nominal(frs):
            return False
    return True


def _workload_fits(node: _Node, requests: Mapping[_Fr, int], *, borrow: bool) -> bool:
    for fr, amount in requests.items():
        if not borrow and node.borrowing_with(fr, amount):
            return False
        if amount > max(0, node.available(fr)):
            return False
    return True


def _targets(snapshot: _Snapshot, preemptor: _Preemptor, frs: set[_Fr], requests: Mapping[_Fr, int]) -> list[_Record]:
    """``classicalPreemptions``: the workloads Kueue would preempt (empty: no candidates)."""
    queue = preemptor.queue
    node = snapshot.queues[queue.name]
    candidates, none_from_others, none_hierarchical = _candidates(snapshot, preemptor, frs, requests)
    forbidden = queue.borrow_within_cohort == "Never"
    under_nominal = all(node.nominal(fr) > node.usage.get(fr, 0) for fr in frs)
    if none_from_others or (forbidden and not under_nominal):
        attempts = [True]
    elif forbidden and none_hierarchical:
        attempts = [False, True]
    else:
        attempts = [True, False]
    for borrow in attempts:
        targets: list[_Record] = []
        for candidate in candidates:
            if not _candidate_valid(snapshot, preemptor, candidate, frs, borrow=borrow):
                continue
            snapshot.remove(candidate.record)
            targets.append(candidate.record)
            if _workload_fits(node, requests, borrow=borrow):
                targets = _fill_back(snapshot, node, targets, requests, borrow=borrow)
                for record in targets:
                    snapshot.add(record)
                return targets
        for record in targets:
            snapshot.add(record)
    return []


def _fill_back(
    snapshot: _Snapshot, node: _Node, targets: list[_Record], requests: Mapping[_Fr, int], *, borrow: bool
) -> list[_Record]:
    """Give back the victims not needed after all, most recently chosen first but the last."""
    for index in range(len(targets) - 2, -1, -1):
        snapshot.add(targets[index])
        if _workload_fits(node, requests, borrow=borrow):
            targets[index] = targets[-1]
            targets.pop()
        else:
            snapshot.remove(targets[index])
    return targets


def _simulate_preemption(snapshot: _Snapshot, preemptor: _Preemptor, fr: _Fr, amount: int) -> tuple[int, int]:
    """``PreemptionOracle.SimulatePreemption``: the granular mode and the borrowing level after it."""
    node = snapshot.queues[preemptor.queue.name]
    targets = _targets(snapshot, preemptor, {fr}, {fr: amount})
    if not targets:
        return _NO_CANDIDATES, _height_of_lowest_subtree_that_fits(node, fr, amount)[0]
    for record in targets:
        snapshot.remove(record)
    borrow = _height_of_lowest_subtree_that_fits(node, fr, amount)[0]
    for record in targets:
        snapshot.add(record)
    same = any(record.queue == preemptor.queue.name for record in targets)
    return (_PREEMPT if same else _RECLAIM), borrow


# --- flavor assignment -------------------------------------------------------------------------


@dataclass
class _Choice:
    flavor: str
    mode: int
    borrow: int
    tried: int = -1


@dataclass
class _PodSetResult:
    name: str
    requests: dict[str, int]
    choices: dict[str, _Choice]
    reasons: list[str]
    attempts: dict[str, tuple[int, str]]
    failed: bool = False

    def mode(self) -> int:
        """``PodSetAssignment.RepresentativeMode`` as a FlavorAssignmentMode (0 NoFit, 1 Preempt, 3 Fit)."""
        if not self.reasons:
            return 3
        if not self.choices:
            return 0
        return min(_assignment_mode(choice.mode) for choice in self.choices.values())


def _assignment_mode(mode: int) -> int:
    return {_NO_FIT: 0, _FIT: 3}.get(mode, 1)


@dataclass
class _Result:
    """An assignment, with what the scheduler needs beyond the public :class:`Assignment`."""

    pod_sets: list[_PodSetResult]
    usage: dict[_Fr, int]
    borrowing: int
    tried: list[dict[str, int]]

    def mode(self) -> int:
        return min((ps.mode() for ps in self.pod_sets), default=0)

    def message(self) -> str:
        parts = [
            f"couldn't assign flavors to pod set {ps.name}: {', '.join(sorted(ps.reasons))}"
            for ps in self.pod_sets
            if ps.reasons
        ]
        return "; ".join(parts)

    def no_fit_reason(self, queue: _Queue) -> str:
        """``resolveNoFitReason``: least severe over a group's flavors, most severe over groups and pod sets."""
        if self.mode() != 0:
            return ""
        overall = ""
        for ps in self.pod_sets:
            if ps.mode() != 0:
                continue
            if not ps.attempts:
                overall = _most_severe(overall, _NO_MATCHING_FLAVOR)
                continue
            least: dict[int, str] = {}
            for flavor, (mode, reason) in sorted(ps.attempts.items()):
                if mode != 0:
                    continue
                group = next((i for i, g in enumerate(queue.groups) if flavor in g.flavors), -1)
                if group not in least or _SEVERITY.get(reason, 0) < _SEVERITY.get(least[group], 0):
                    least[group] = reason
            for reason in least.values():
                overall = _most_severe(overall, reason)
        return overall

    def quota_usage(self) -> dict[_Fr, int]:
        """``TotalRequestsFor``: the usage of the resources actually requested."""
        return {fr: amount for fr, amount in self.usage.items() if amount}


def _most_severe(first: str, second: str) -> str:
    return first if _SEVERITY.get(first, 0) >= _SEVERITY.get(second, 0) else second


_RawOracle = Callable[[_Fr, int], tuple[int, int]]


class _Assigner:
    """``FlavorAssigner`` for one workload against one ClusterQueue of a snapshot."""

    def __init__(
        self,
        model: _Model,
        snapshot: _Snapshot,
        queue: _Queue,
        oracle: _RawOracle,
        resume: Sequence[Mapping[str, int]] = (),
    ) -> None:
        self.model = model
        self.queue = queue
        self.node = snapshot.queues[queue.name]
        self.oracle = oracle
        self.resume = resume

    def assign(self, workload: Workload) -> _Result:
        result = _Result([], {}, 0, [])
        counts_pods = self.queue.covers("pods")
        for index, pod_set in enumerate(workload.pod_sets):
            requests = {
                name: _units(name, _quantity(amount)) * pod_set.count for name, amount in pod_set.requests.items()
            }
            if counts_pods:
                requests["pods"] = pod_set.count
            ps = self._assign_pod_set(index, pod_set, requests, result.usage)
            result.pod_sets.append(ps)
            for name, choice in ps.choices.items():
                result.borrowing = max(result.borrowing, choice.borrow)
                fr = (choice.flavor, name)
                result.usage[fr] = result.usage.get(fr, 0) + requests[name]
            result.tried.append({name: choice.tried for name, choice in ps.choices.items()})
            if ps.failed:
                break
        return result

    def _assign_pod_set(
        self, index: int, pod_set: PodSet, requests: dict[str, int], usage: Mapping[_Fr, int]
    ) -> _PodSetResult:
        ps = _PodSetResult(pod_set.name, requests, {}, [], {})
        order = sorted(requests, key=lambda name: (self.queue.covers(name), name))
        for name in order:
            group = self.queue.group_for(name)
            if group is None:
                if requests[name] == 0:
                    continue
                ps.choices, ps.reasons, ps.failed = {}, [f"resource {name} unavailable in ClusterQueue"], True
                return ps
            if name in ps.choices:
                continue
            in_group = {res: amount for res, amount in requests.items() if res in group.covered}
            start = self.resume[index].get(name, -1) + 1 if index < len(self.resume) else 0
            choices, reasons = self._find_flavor(group, pod_set, in_group, usage, start=start, attempts=ps.attempts)
            if not choices:
                ps.choices, ps.reasons, ps.failed = {}, reasons, True
                return ps
            ps.choices.update(choices)
            ps.reasons.extend(reasons)
        return ps

    def _find_flavor(
        self,
        group: _Group,
        pod_set: PodSet,
        requests: Mapping[str, int],
        usage: Mapping[_Fr, int],
        *,
        start: int,
        attempts: dict[str, tuple[int, str]],
    ) -> tuple[dict[str, _Choice], list[str]]:
        """``findFlavorForPodSets``: the flavor chosen for the group's resources, and the reasons
        of the flavors tried (empty when the choice fits).
        """
        reasons: list[str] = []
        best: dict[str, _Choice] = {}
        best_mode = (_NO_FIT, math.inf)
        attempted = -1
        for index in range(start, len(group.flavors)):
            attempted = index
            flavor = group.flavors[index]
            mismatch = self._flavor_mismatch(flavor, pod_set)
            if mismatch is not None:
                reasons.append(mismatch)
                attempts[flavor] = (0, _NO_MATCHING_FLAVOR)
                continue
            choices, mode, flavor_reasons, no_fit = self._try_flavor(flavor, requests, usage)
            reasons.extend(flavor_reasons)
            attempts[flavor] = (_assignment_mode(mode[0]), no_fit)
            if not self._try_next(mode):
                best, best_mode = choices, mode
                break
            if self._preferred(mode, best_mode):
                best, best_mode = choices, mode
        tried = -1 if attempted == len(group.flavors) - 1 else attempted
        for choice in best.values():
            choice.tried = tried
        return best, ([] if best_mode[0] == _FIT else reasons)

    def _try_flavor(
        self, flavor: str, requests: Mapping[str, int], usage: Mapping[_Fr, int]
    ) -> tuple[dict[str, _Choice], tuple[int, float], list[str], str]:
        choices: dict[str, _Choice] = {}
        mode: tuple[int, float] = (_FIT, 0)
        reasons: list[str] = []
        no_fit = ""
        for name in sorted(requests):
            fr = (flavor, name)
            resource_mode, borrow, reason, resource_no_fit = self._fits_quota(fr, usage.get(fr, 0), requests[name])
            if reason is not None:
                reasons.append(reason)
                no_fit = _most_severe(no_fit, resource_no_fit)
            candidate = (resource_mode, float(borrow))
            if self._preferred(mode, candidate):
                mode = candidate
            if mode[0] == _NO_FIT:
                continue
            choices[name] = _Choice(flavor, resource_mode, borrow)
        return choices, mode, reasons, no_fit

    def _fits_quota(self, fr: _Fr, assumed: int, request: int) -> tuple[int, int, str | None, str]:
        """``fitsResourceQuota``: mode, borrowing level, reason and granular reason for one resource."""
        node, (flavor, name) = self.node, fr
        available, most = max(0, node.available(fr)), node.potential(fr)
        total = assumed + request
        if total > most:
            reason = (
                f"insufficient quota for {name} in flavor {flavor}, previously considered podsets requests "
                f"({_format_units(name, assumed)}) + current podset request ({_format_units(name, request)}) "
                f"> maximum capacity ({_format_units(name, most)})"
            )
            return _NO_FIT, 0, reason, _EXCEEDS_MAX
        borrow, may_reclaim = _height_of_lowest_subtree_that_fits(node, fr, total)
        if total <= available:
            return _FIT, borrow, None, ""
        missing = _format_units(name, total - available)
        reason = f"insufficient unused quota for {name} in flavor {flavor}, {missing} more needed"
        if node.nominal(fr) >= total or may_reclaim or self.queue.borrow_within_cohort != "Never":
            mode, borrow = self.oracle(fr, total)
            return mode, borrow, reason, ""
        return _NO_FIT, borrow, reason, _WAITING

    def _try_next(self, mode: tuple[int, float]) -> bool:
        """``shouldTryNextFlavor``."""
        preemption, borrow = mode
        if preemption in (_NO_FIT, _NO_CANDIDATES):
            return True
        if preemption in (_PREEMPT, _RECLAIM) and self.queue.when_can_preempt == "TryNextFlavor":
            return True
        return borrow > 0 and self.queue.when_can_borrow == "TryNextFlavor"

    def _preferred(self, a: tuple[int, float], b: tuple[int, float]) -> bool:
        """``isPreferred``: whether mode ``a`` beats mode ``b`` (ties keep ``b``)."""
        if a[0] == _NO_FIT:
            return False
        if b[0] == _NO_FIT:
            return True
        if (a[0] == _NO_CANDIDATES) != (b[0] == _NO_CANDIDATES):
            return a[0] != _NO_CANDIDATES
        if self.queue.preference == "PreemptionOverBorrowing":
            return a[1] < b[1] if a[1] != b[1] else a[0] > b[0]
        return a[0] > b[0] if a[0] != b[0] else a[1] < b[1]

    def _flavor_mismatch(self, flavor: str, pod_set: PodSet) -> str | None:
        """``checkFlavorForPodSets``: why the pod set may not use the flavor (``None``: it may)."""
        spec = self.model.flavors.get(flavor)
        if spec is None:
            return f"flavor {flavor} not found"
        tolerations = [*pod_set.tolerations, *(spec.get("tolerations") or ())]
        untolerated = untolerated_taints(tolerations, spec.get("nodeTaints") or ())
        if untolerated:
            taint = untolerated[0]
            return (
                f"untolerated taint {{{taint.get('key') or ''} {taint.get('value') or ''} "
                f"{taint.get('effect') or ''} <nil>}} in flavor {flavor}"
            )
        if not _matches_flavor_labels(pod_set, spec.get("nodeLabels") or {}):
            return f"flavor {flavor} doesn't match node affinity"
        return None


def _matches_flavor_labels(pod_set: PodSet, labels: Mapping[str, str]) -> bool:
    """``flavorSelector``: the pod set's selector, restricted to the flavor's label keys, against its labels.

    ``nodeSelector`` entries with other keys are dropped; so are required-affinity expressions
    with other keys, and if a term is left empty all terms are dropped (an empty term would
    match everything). ``matchFields`` never count.
    """
    selector = {key: value for key, value in pod_set.node_selector.items() if key in labels}
    spec: dict[str, Any] = {"nodeSelector": selector}
    terms: list[dict[str, Any]] = []
    for term in pod_set.required_node_affinity or ():
        expressions = [e for e in term.get("matchExpressions") or () if e.get("key") in labels]
        if not expressions:
            terms = []
            break
        terms.append({"matchExpressions": expressions})
    if terms:
        spec["affinity"] = {
            "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}
        }
    return node_matches_pod_selection(spec, {"metadata": {"labels": dict(labels)}})


def _public(result: _Result, queue: _Queue) -> Assignment:
    pod_sets = tuple(
        PodSetAssignment(
            name=ps.name,
            flavors={name: choice.flavor for name, choice in sorted(ps.choices.items())},
            mode=_MODE_NAMES[ps.mode()],
            reasons=tuple(sorted(ps.reasons)),
        )
        for ps in result.pod_sets
    )
    return Assignment(
        mode=_MODE_NAMES[result.mode()],
        pod_sets=pod_sets,
        borrowing=result.borrowing,
        usage=_fractions(result.usage),
        message=result.message(),
        no_fit_reason=result.no_fit_reason(queue),
    )


def _fractions(usage: Mapping[_Fr, int]) -> dict[tuple[str, str], Fraction]:
    return {fr: _from_units(fr[1], amount) for fr, amount in sorted(usage.items())}


def _records(admitted: Iterable[AdmittedWorkload]) -> list[_Record]:
    return [
        _Record(
            key=workload.key,
            queue=workload.cluster_queue,
            usage={
                (flavor, name): _units(name, _quantity(amount)) for (flavor, name), amount in workload.usage.items()
            },
            priority=workload.priority,
            created=workload.created,
            order=order,
        )
        for order, workload in enumerate(admitted)
    ]


def assign_flavors(
    workload: Workload,
    cluster_queue: str,
    config: QueueConfig,
    *,
    admitted: Iterable[AdmittedWorkload] = (),
    oracle: Oracle | None = None,
) -> Assignment:
    """Run Kueue's flavor assigner for ``workload`` against ``cluster_queue`` with the usage of ``admitted``.

    ``oracle`` replaces the model's search for preemption candidates (see :data:`Oracle`).
    Raises ``KeyError`` for an unknown ClusterQueue, or one whose cohort hierarchy has a cycle.
    """
    model = _Model(config)
    snapshot = _Snapshot(model, _records(admitted))
    queue = model.queues[cluster_queue]
    if queue.name not in snapshot.queues:
        raise KeyError(f"ClusterQueue {cluster_queue} is inactive: {model.inactive_reason(queue)}")
    preemptor = _Preemptor(queue, workload.priority, workload.created)
    raw: _RawOracle
    if oracle is None:
        raw = lambda fr, amount: _simulate_preemption(snapshot, preemptor, fr, amount)  # noqa: E731
    else:
        raw = _wrap_oracle(oracle)
    return _public(_Assigner(model, snapshot, queue, raw).assign(workload), queue)


def _wrap_oracle(oracle: Oracle) -> _RawOracle:
    modes = {Possibility.NO_CANDIDATES: _NO_CANDIDATES, Possibility.PREEMPT: _PREEMPT, Possibility.RECLAIM: _RECLAIM}

    def raw(fr: _Fr, amount: int) -> tuple[int, int]:
        possibility, borrow = oracle(fr[0], fr[1], _from_units(fr[1], amount))
        return modes[possibility], borrow

    return raw


# --- the scheduler -----------------------------------------------------------------------------


def _selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """A LabelSelector: ``None`` matches nothing, ``{}`` everything (``LabelSelectorAsSelector``)."""
    if selector is None:
        return False
    if any(labels.get(key) != value for key, value in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or ():
        key, operator = expression.get("key"), expression.get("operator")
        values = list(expression.get("values") or ())
        present = key in labels
        matched = {
            "In": present and labels.get(key) in values,
            "NotIn": not present or labels.get(key) not in values,
            "Exists": present,
            "DoesNotExist": not present,
        }.get(str(operator), False)
        if not matched:
            return False
    return True


@dataclass
class _Entry:
    """A head in one cycle: its assignment and what processing made of it."""

    workload: Workload
    queue: _Queue
    result: _Result
    targets: list[_Record]
    verdict: Verdict | None = None
    immediate: bool = False
    set_aside: bool = False


class _Scheduler:
    """Kueue's scheduling cycles over the queued workloads (``Scheduler.schedule``)."""

    def __init__(self, model: _Model, workloads: Sequence[Workload], admitted: Iterable[AdmittedWorkload]) -> None:
        self.model = model
        self.records = _records(admitted)
        self.order = len(self.records)
        self.verdicts: dict[str, Verdict] = {}
        self.heaps: dict[str, list[Workload]] = {}
        self.resume: dict[str, list[dict[str, int]]] = {}
        self.empty = _Snapshot(model, ())
        for workload in workloads:
            self._enqueue(workload)
        for heap in self.heaps.values():
            heap.sort(key=lambda w: (-w.priority, w.created, w.key))

    def _enqueue(self, workload: Workload) -> None:
        """Place the workload in its ClusterQueue's queue, or settle why it has none."""
        key, lq_key = workload.key, f"{workload.namespace}/{workload.queue}"
        local_queue = self.model.config.local_queues.get(lq_key)
        if local_queue is None:
            self._settle(workload, Outcome.NO_QUEUE, None, f"LocalQueue {workload.queue} doesn't exist", _MISCONFIGURED)
            return
        name = str(local_queue.get("clusterQueue") or "")
        queue = self.model.queues.get(name)
        if queue is None:
            self._settle(workload, Outcome.NO_QUEUE, None, f"ClusterQueue {name} doesn't exist", _MISCONFIGURED)
            return
        if (local_queue.get("stopPolicy") or "None") != "None":
            self._settle(workload, Outcome.WAITING, name, f"LocalQueue {workload.queue} is stopped", _SUSPENDED)
            return
        inactive = self.model.inactive_reason(queue)
        if inactive == "is stopped":
            self._settle(workload, Outcome.WAITING, name, f"ClusterQueue {name} is stopped", _SUSPENDED)
        elif inactive is not None:
            self._settle(workload, Outcome.NO_QUEUE, name, f"ClusterQueue {name} is inactive", _SUSPENDED)
        else:
            self.heaps.setdefault(name, []).append(workload)
            self.resume[key] = []

    def _settle(self, workload: Workload, outcome: Outcome, queue: str | None, message: str, reason: str) -> None:
        self.verdicts[workload.key] = Verdict(workload.key, outcome, queue, message, reason)

    def run(self, cycles: int | None) -> None:
        seen: set[tuple[object, ...]] = set()
        cycle = 0
        while cycles is None or cycle < cycles:
            heads = [heap[0] for _, heap in sorted(self.heaps.items()) if heap]
            if not heads:
                return
            cycle += 1
            self._cycle(cycle, heads)
            state = (
                tuple((name, tuple(w.key for w in heap)) for name, heap in sorted(self.heaps.items())),
                len(self.records),
                tuple(sorted((key, repr(tried)) for key, tried in self.resume.items())),
            )
            if state in seen:
                return
            seen.add(state)

    def _cycle(self, cycle: int, heads: list[Workload]) -> None:
        snapshot = _Snapshot(self.model, self.records)
        entries: list[_Entry] = []
        for workload in heads:
            entry = self._nominate(snapshot, workload, cycle)
            if entry is not None:
                entries.append(entry)
        entries.sort(key=lambda e: (e.result.borrowing, -e.workload.priority, e.workload.created, e.workload.key))
        preempted: dict[str, _Record] = {}
        for entry in entries:
            self._process(snapshot, entry, preempted, cycle)
            self._requeue(entry)

    def _nominate(self, snapshot: _Snapshot, workload: Workload, cycle: int) -> _Entry | None:
        """``nominate``: check the namespace, then compute the head's assignment (and preemption targets)."""
        queue = self.model.queues[self._queue_of(workload)]
        labels = self.model.namespace_labels(workload.namespace)
        if labels is None or not _selector_matches(queue.namespace_selector, labels):
            namespace = workload.namespace
            message = (
                _NAMESPACE_MISMATCH
                if labels is not None
                else f'workload namespace "{namespace}" does not exist: namespaces "{namespace}" not found'
            )
            self.verdicts[workload.key] = Verdict(
                workload.key, Outcome.NO_QUEUE, queue.name, message, _MISCONFIGURED, cycle=cycle
            )
            heap = self.heaps[queue.name]
            if not queue.strict_fifo or labels is not None:
                heap.remove(workload)
            return None
        preemptor = _Preemptor(queue, workload.priority, workload.created)

        def oracle(fr: _Fr, amount: int) -> tuple[int, int]:
            return _simulate_preemption(snapshot, preemptor, fr, amount)

        result = _Assigner(self.model, snapshot, queue, oracle, self.resume[workload.key]).assign(workload)
        self.resume[workload.key] = result.tried
        targets: list[_Record] = []
        if result.mode() == 1:
            frs = {
                (choice.flavor, name)
                for ps in result.pod_sets
                for name, choice in ps.choices.items()
                if _assignment_mode(choice.mode) == 1
            }
            targets = _targets(snapshot, preemptor, frs, result.quota_usage())
        return _Entry(workload, queue, result, targets)

    def _queue_of(self, workload: Workload) -> str:
        local_queue = self.model.config.local_queues[f"{workload.namespace}/{workload.queue}"]
        return str(local_queue.get("clusterQueue"))

    def _process(self, snapshot: _Snapshot, entry: _Entry, preempted: dict[str, _Record], cycle: int) -> None:
        """``processEntry``."""
        workload, queue, result = entry.workload, entry.queue, entry.result
        node = snapshot.queues[queue.name]
        mode = result.mode()
        if mode == 0:
            entry.verdict = self._no_fit(workload, queue, result, cycle)
            return
        if mode == 1 and not entry.targets:
            entry.verdict = self._waiting(entry, result.message(), _WAITING, cycle)
            if queue.reclaim_within_cohort != "Any":
                for fr, amount in _to_reserve(result, node).items():
                    node.add_usage(fr, amount)
            return
        if any(record.key in preempted for record in entry.targets):
            entry.verdict, entry.immediate = self._waiting(entry, _OVERLAPPING, _WAITING, cycle), True
            return
        if not _fits_after_removal(snapshot, node, result.usage, [*preempted.values(), *entry.targets]):
            entry.verdict, entry.immediate = self._waiting(entry, _NO_LONGER_FITS, _WAITING, cycle), True
            return
        preempted.update((record.key, record) for record in entry.targets)
        for fr, amount in result.usage.items():
            node.add_usage(fr, amount)
        if mode == 1:
            message = f"{result.message()}. Pending the preemption of {len(entry.targets)} workload(s)"
            entry.verdict = self._waiting(entry, message, _PREEMPTING, cycle)
            entry.set_aside = True
            return
        entry.verdict = Verdict(
            workload.key,
            Outcome.ADMITTED,
            queue.name,
            f"Quota reserved in ClusterQueue {queue.name}",
            "QuotaReserved",
            flavors=_public(result, queue).flavors,
            borrowing=result.borrowing,
            usage=_fractions(result.quota_usage()),
            cycle=cycle,
        )
        record = _Record(
            workload.key, queue.name, result.quota_usage(), workload.priority, workload.created, self.order
        )
        self.order += 1
        self.records.append(record)

    def _waiting(self, entry: _Entry, message: str, reason: str, cycle: int) -> Verdict:
        """A head that stays pending; the flavors are given only when preemption would make room on them."""
        result, preempting = entry.result, reason == _PREEMPTING
        return Verdict(
            entry.workload.key,
            Outcome.WAITING,
            entry.queue.name,
            message,
            reason,
            flavors=_public(result, entry.queue).flavors if preempting else {},
            borrowing=result.borrowing if preempting else 0,
            preemption_targets=tuple(sorted(record.key for record in entry.targets)) if preempting else (),
            cycle=cycle,
        )

    def _no_fit(self, workload: Workload, queue: _Queue, result: _Result, cycle: int) -> Verdict:
        """A NoFit head: waiting, or never admissible as configured (it does not fit on an empty cluster)."""
        uncovered = [
            (pod_set.name, name)
            for pod_set in workload.pod_sets
            for name, amount in sorted(pod_set.requests.items())
            if _quantity(amount) != 0 and not queue.covers(name)
        ]
        if uncovered:
            pod_set, name = uncovered[0]
            message = f"couldn't assign flavors to pod set {pod_set}: resource {name} unavailable in ClusterQueue"
            return Verdict(workload.key, Outcome.NO_QUEUE, queue.name, message, _NO_MATCHING_FLAVOR, cycle=cycle)
        empty = _Assigner(self.model, self.empty, queue, lambda fr, amount: (_NO_CANDIDATES, 0))
        outcome = Outcome.INADMISSIBLE if empty.assign(workload).mode() == 0 else Outcome.WAITING
        return Verdict(workload.key, outcome, queue.name, result.message(), result.no_fit_reason(queue), cycle=cycle)

    def _requeue(self, entry: _Entry) -> None:
        """``RequeueIfNotPresent``: back to the head, or set aside until something changes."""
        verdict = entry.verdict
        assert verdict is not None
        key, heap = entry.workload.key, self.heaps[entry.queue.name]
        self.verdicts[key] = verdict
        if verdict.outcome == Outcome.ADMITTED or entry.set_aside:
            heap.remove(entry.workload)
            return
        pending_flavors = any(idx != -1 for tried in self.resume[key] for idx in tried.values())
        if not (entry.queue.strict_fifo or entry.immediate or pending_flavors):
            heap.remove(entry.workload)

    def finish(self, workloads: Sequence[Workload]) -> tuple[Verdict, ...]:
        for name, heap in self.heaps.items():
            if not heap:
                continue
            head, queue = heap[0], self.model.queues[name]
            for workload in heap:
                if workload.key in self.verdicts:
                    continue
                message = (
                    f"blocked behind {head.key}, the head of StrictFIFO ClusterQueue {name}"
                    if queue.strict_fifo and head.key in self.verdicts
                    else f"not evaluated yet: queued behind {head.key} in ClusterQueue {name}"
                )
                self.verdicts[workload.key] = Verdict(workload.key, Outcome.WAITING, name, message, _PENDING)
        return tuple(self.verdicts[workload.key] for workload in workloads)


def _to_reserve(result: _Result, node: _Node) -> dict[_Fr, int]:
    """``quotaResourcesToReserve``: what a head stuck without preemption candidates keeps for the cycle."""
    reserved = {}
    for fr, amount in result.usage.items():
        quota = node.quotas.get(fr, _Quota(0))
        used = node.usage.get(fr, 0)
        if result.borrowing > 0:
            limit = quota.borrowing_limit
            reserved[fr] = amount if limit is None else min(amount, quota.nominal + limit - used)
        else:
            reserved[fr] = max(0, min(amount, quota.nominal - used))
    return reserved


def _fits_after_removal(snapshot: _Snapshot, node: _Node, usage: Mapping[_Fr, int], removed: Sequence[_Record]) -> bool:
    """``fits``: the usage fits what is available once the workloads being preempted are gone."""
    unique = list({record.key: record for record in removed}.values())
    for record in unique:
        snapshot.remove(record)
    fits = all(max(0, node.available(fr)) >= amount for fr, amount in usage.items())
    for record in unique:
        snapshot.add(record)
    return fits


def admit(
    workloads: Sequence[Workload],
    config: QueueConfig,
    *,
    admitted: Iterable[AdmittedWorkload] = (),
    cycles: int | None = None,
) -> tuple[Verdict, ...]:
    """What Kueue does with each of ``workloads`` (one :class:`Verdict` each, in the same order).

    ``admitted`` are the workloads already holding quota. Kueue's scheduling cycles run until
    nothing changes (``cycles=None``: nothing finishes in the meantime), or at most ``cycles``
    of them (``cycles=1`` is one ``Scheduler.schedule`` call). Raises ``ValueError`` for two
    workloads with the same ``namespace/name`` and for malformed quantities.
    """
    keys = [workload.key for workload in workloads]
    if len(set(keys)) != len(keys):
        raise ValueError(
            f"workloads must have distinct namespace/name keys: {sorted(k for k in set(keys) if keys.count(k) > 1)}"
        )
    scheduler = _Scheduler(_Model(config), workloads, admitted)
    scheduler.run(cycles)
    return scheduler.finish(workloads)
