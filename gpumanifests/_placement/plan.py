"""The placement proof: where kube-scheduler's filters let every pod of a cluster go.

:func:`plan_cluster` takes every workload of a :class:`Cluster` (its pod template once per
replica) and places the pods one by one on the cluster's nodes with the filter model of
:func:`gpumanifests.scheduling.check_fit`, counting the pods already placed against each
node's allocatable (so two 1-GPU pods never share a 1-GPU ``nvidia.com/gpu`` node).

**Order.** DaemonSets come first, one pod on each node their controller picks, bound to it
(:mod:`gpumanifests._placement.daemons`); then GPU workloads, then by descending GPU count (CPU
workloads count 0), then in declaration order (component by component, resource by resource);
the replicas of a workload follow each other, pod ``<workload>-<i>`` with ``i`` from 0. Placing
the biggest GPU requests first is first-fit-decreasing, the usual greedy for bin packing.

**Choice.** Among the nodes whose filters pass, the plan picks the one with the fewest pods
already placed by this plan, ties broken by node name (spreading, like the default
scoring's balance). Nodes are handled in name order everywhere, so the input order of
``kubectl get nodes`` never changes the plan. Pods not declared here (system pods, raw L1
objects) are not counted; the plan is a feasibility proof of a greedy placement, not a
prediction of the scheduler's scores.

**Violations** (each a :class:`Problem` on the workload's construct path): a GPU workload the
filters admit to a node of another profile, a CPU node or an unknown tainted node; a CPU
workload admitted to a GPU node; a workload that fits no node (with the nodes' reasons, nodes
sharing a reason listed together); and capacity overflow (replicas some node admits when
empty, but no node has room left for; a DaemonSet pod without room on its node). "Admitted"
means the filters pass on the node with no pods on it. As kube-scheduler stops at the first
filter that rejects a node, a node the filters that ignore resources reject is never checked
for resources.

**Rollouts.** With every pod placed, each served workload's rollout is proven
(:mod:`gpumanifests._placement.rollouts`): a Deployment that must start a surge pod before it
stops an old one, and has no node for it, stalls, and that is a violation.

The pod spec checked is the one committed to the tree: the rendered object's
``spec.template.spec``, JSON patches included.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gpumanifests._errors import InvalidInputError, Problem, listed
from gpumanifests._kube.limits import CLUSTER_PODS_MAX, LARGE_CLUSTERS
from gpumanifests._placement.admission import QueueAdmission, queue_admissions, queue_problem
from gpumanifests._placement.daemons import daemon_pod_spec, runs_daemon_pod
from gpumanifests._placement.devices import DeviceLedger, pod_claims
from gpumanifests._placement.nodes import PlanNode, node_shape_problems, plan_node, scale_up_nodes
from gpumanifests._placement.rollouts import RolloutProof, prove_rollout
from gpumanifests.scheduling import (
    FitResult,
    NodeState,
    node_taints,
    pod_requests,
    untolerated_taints,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from fractions import Fraction

    from gpumanifests._constructs.cluster import Cluster
    from gpumanifests._constructs.profiles import NodeProfile
    from gpumanifests._constructs.workloads import Workload
    from gpumanifests._placement.dra import DeviceId
    from gpumanifests.scheduling import FitFailure

__all__ = [
    "AdmissionVerdicts",
    "Admissions",
    "Exclusion",
    "Finding",
    "FindingKind",
    "Placement",
    "Plan",
    "cpu_on_gpu_problem",
    "placement_key",
    "plan_cluster",
]


class FindingKind:
    """The kinds of plan violations, used to tell the same fact apart from different ones."""

    WRONG_NODE = "gpu-on-foreign-node"
    CPU_ON_GPU = "cpu-on-gpu-node"
    UNSCHEDULABLE = "fits-no-node"
    OVERFLOW = "capacity-overflow"
    NEVER_ADMITTED = "never-admitted"
    """Kueue can never admit a queued workload as its queues are configured."""
    PARTIAL_GROUP = "partial-group"
    """A workload whose pods must all run at once (a distributed job) fits only in part."""
    ROLLOUT_STALLS = "rollout-stalls"
    """A Deployment's rollout must start a surge pod first, and no node has room for it."""


# --- workloads ---------------------------------------------------------------------------------


def _plan_order(workloads: Sequence[Workload[Any]]) -> list[Workload[Any]]:
    """DaemonSets first (their pods are bound to their nodes), then GPU workloads, then descending
    GPU count, then declaration order."""
    indexed = list(enumerate(workloads))
    indexed.sort(key=lambda item: (not item[1].one_per_node, not item[1].is_gpu, -item[1].gpus, item[0]))
    return [workload for _, workload in indexed]


def placement_key(pod_spec: Mapping[str, Any]) -> str:
    """What the filters that ignore resources read of a pod: two pods with the same key get the
    same NodeUnschedulable, NodeName, TaintToleration and NodeAffinity verdict on every node.

    The node selector, the required node affinity, the tolerations and ``nodeName``, in their
    given order (which orders the failure messages).
    """
    required = ((pod_spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    return repr(
        (
            pod_spec.get("nodeSelector") or {},
            required,
            list(pod_spec.get("tolerations") or ()),
            pod_spec.get("nodeName") or "",
        )
    )


class AdmissionVerdicts:
    """The capacity-independent filter verdicts of one placement key on every node of a plan."""

    def __init__(self, pod_spec: Mapping[str, Any], nodes: tuple[PlanNode, ...]) -> None:
        self.nodes = nodes
        self.tolerations: list[Mapping[str, Any]] = list(pod_spec.get("tolerations") or ())
        self.failures: tuple[tuple[FitFailure, ...], ...] = tuple(
            NodeState(node.obj).admission(pod_spec) for node in nodes
        )
        self.reasons: tuple[tuple[str, ...], ...] = tuple(
            tuple(str(failure) for failure in failures) for failures in self.failures
        )
        self.selected: tuple[tuple[int, PlanNode], ...] = tuple(
            (index, node)
            for index, (node, failures) in enumerate(zip(nodes, self.failures, strict=True))
            if not any(failure.plugin == "NodeAffinity" for failure in failures)
        )
        """The nodes whose labels satisfy the pod's node selection (no NodeAffinity failure), each
        with its index in :attr:`nodes`, in node order."""
        self._untolerated: dict[int, tuple[Mapping[str, Any], ...]] = {}

    def admitted(self, index: int) -> bool:
        """Whether the filters that ignore resources admit the pod to ``nodes[index]``."""
        return not self.failures[index]

    def untolerated(self, index: int) -> tuple[Mapping[str, Any], ...]:
        """The ``NoSchedule``/``NoExecute`` taints of ``nodes[index]`` the pod does not tolerate."""
        found = self._untolerated.get(index)
        if found is None:
            found = tuple(untolerated_taints(self.tolerations, node_taints(self.nodes[index].obj)))
            self._untolerated[index] = found
        return found


class Admissions:
    """:class:`AdmissionVerdicts` per placement key, computed once for the nodes of a plan, and
    the verdicts of each workload the plan placed.
    """

    def __init__(self, nodes: tuple[PlanNode, ...]) -> None:
        self.nodes = nodes
        self._by_key: dict[str, AdmissionVerdicts] = {}
        self._by_workload: dict[int, tuple[Workload[Any], AdmissionVerdicts]] = {}

    def of(self, pod_spec: Mapping[str, Any], *, key: str | None = None) -> AdmissionVerdicts:
        """The verdicts for ``pod_spec`` (shared by every pod with its :func:`placement_key`).

        ``key``, when given, must be ``placement_key(pod_spec)``; it saves recomputing it.
        """
        key = placement_key(pod_spec) if key is None else key
        verdicts = self._by_key.get(key)
        if verdicts is None:
            verdicts = self._by_key[key] = AdmissionVerdicts(pod_spec, self.nodes)
        return verdicts

    def record(self, workload: Workload[Any], verdicts: AdmissionVerdicts) -> None:
        """Remember ``verdicts`` as those of ``workload``'s pod spec, for :meth:`of_workload`."""
        self._by_workload[id(workload)] = (workload, verdicts)

    def of_workload(self, workload: Workload[Any]) -> AdmissionVerdicts:
        """The verdicts of the workload's committed pod spec: those recorded when it was placed,
        else computed (and recorded) now.
        """
        recorded = self._by_workload.get(id(workload))
        if recorded is not None and recorded[0] is workload:  # the entry keeps the workload, so its id stays its own
            return recorded[1]
        verdicts = self.of(workload.pod_template_spec())
        self.record(workload, verdicts)
        return verdicts


# --- the plan ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exclusion:
    """A node the filters rejected for one pod, with the reasons.

    As kube-scheduler stops at the first filter plugin that rejects a node, and
    ``NodeResourcesFit`` runs after the filters that ignore resources, the reasons are those
    filters' failures when there are any, else the ``NodeResourcesFit`` failures.
    """

    node: str
    reasons: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.node}: {'; '.join(self.reasons)}"


@dataclass(frozen=True)
class Placement:
    """One pod of the plan: where it went (``node`` None when nowhere) and why not elsewhere.

    ``waiting_for`` names the ClusterQueue whose quota the pod's Job waits for: Kueue keeps the
    Job suspended, so its pods exist nowhere yet and are not placed.
    """

    workload: str
    path: str
    component: str
    replica: int
    pod: str
    profile: str | None
    gpus: int
    node: str | None
    eligible: tuple[str, ...]
    excluded: tuple[Exclusion, ...]
    waiting_for: str | None = None

    @property
    def where(self) -> str:
        """The node's name, ``(waiting for <queue>)`` or ``(none)``, as tables show it."""
        if self.node is not None:
            return self.node
        return f"(waiting for {self.waiting_for})" if self.waiting_for is not None else "(none)"

    def to_json(self) -> dict[str, Any]:
        """The placement, keys in a fixed order."""
        return {
            "pod": self.pod,
            "workload": self.workload,
            "path": self.path,
            "component": self.component,
            "replica": self.replica,
            "profile": self.profile,
            "gpus": self.gpus,
            "node": self.node,
            "eligible": list(self.eligible),
            "excluded": [{"node": e.node, "reasons": list(e.reasons)} for e in self.excluded],
            "waitingFor": self.waiting_for,
        }


@dataclass(frozen=True)
class Finding:
    """A plan violation with what it is about: its kind, workload path and node ('' for none)."""

    kind: str
    workload: str
    node: str
    problem: Problem


@dataclass(frozen=True)
class Plan:
    """The placement proof of one cluster: every pod's node, and every violation found."""

    cluster: str
    cluster_path: str
    nodes_source: str
    nodes: tuple[PlanNode, ...]
    placements: tuple[Placement, ...]
    findings: tuple[Finding, ...]
    admissions: Admissions = field(compare=False, repr=False)
    """The capacity-independent filter verdicts the plan computed, by placement key and by workload."""
    queued: tuple[QueueAdmission, ...] = ()
    """Kueue's verdict on each queued workload (all of them pending at once, none finished)."""
    rollouts: tuple[RolloutProof, ...] = ()
    """Whether each served workload's rollout can proceed with every declared pod placed."""

    def verdicts_of(self, workload: Workload[Any]) -> AdmissionVerdicts:
        """The filters' capacity-independent verdicts of ``workload``'s pod spec on the plan's nodes."""
        return self.admissions.of_workload(workload)

    @property
    def violations(self) -> list[Problem]:
        """Every violation, as problems on the workloads' construct paths."""
        return [finding.problem for finding in self.findings]

    def __bool__(self) -> bool:
        return not self.findings

    def node(self, name: str) -> PlanNode:
        """The plan node called ``name``."""
        return next(node for node in self.nodes if node.name == name)

    def pods_on(self, node: str) -> list[Placement]:
        """The placements the plan put on ``node``, in plan order."""
        return self.placements_by_node().get(node, [])

    def placements_by_node(self) -> dict[str | None, list[Placement]]:
        """The placements grouped by their node (None: placed nowhere), each list in plan order."""
        groups: dict[str | None, list[Placement]] = {}
        for placement in self.placements:
            groups.setdefault(placement.node, []).append(placement)
        return groups

    def scale_up_lines(self) -> list[str]:
        """``node pool a100: fits after scale-up to 3 of 8 nodes``, one line per pool."""
        return [
            f"node pool {pool}: "
            + (f"fits after scale-up to {used} of {total} nodes" if used else f"no scale-up needed ({total} available)")
            for pool, (used, total) in self.scale_ups().items()
        ]

    def scale_ups(self) -> dict[str, tuple[int, int]]:
        """Per node pool: how many of its scale-up nodes the plan uses, of how many it may still create."""
        sizes: dict[str, tuple[int, int]] = {}
        used = {placement.node for placement in self.placements}
        for node in self.nodes:
            if node.scale_up and node.pool is not None:
                count, total = sizes.get(node.pool, (0, 0))
                sizes[node.pool] = (count + (node.name in used), total + 1)
        return sizes

    def to_json(self) -> dict[str, Any]:
        """The plan as JSON-ready data; every list in plan or name order, keys in a fixed order."""
        return {
            "cluster": self.cluster,
            "nodesSource": self.nodes_source,
            "nodes": [node.to_json() for node in self.nodes],
            "scaleUps": {pool: {"nodes": used, "of": total} for pool, (used, total) in self.scale_ups().items()},
            "placements": [placement.to_json() for placement in self.placements],
            "queued": [admission.to_json() for admission in self.queued],
            "rollouts": [rollout.to_json() for rollout in self.rollouts],
            "violations": [
                {
                    "kind": f.kind,
                    "path": f.problem.path,
                    "node": f.node or None,
                    "severity": str(f.problem.severity),
                    "message": f.problem.message,
                    "fix": f.problem.fix,
                }
                for f in self.findings
            ],
        }

    def format_table(self) -> str:
        """A fixed-width table: workload, replica, chosen node, eligible nodes, excluded nodes and reasons."""
        header = ("WORKLOAD", "REPLICA", "NODE", "ELIGIBLE", "EXCLUDED")
        rows = [header]
        for placement in self.placements:
            rows.extend(_table_rows(placement))
        widths = [max(len(row[column]) for row in rows) for column in range(len(header) - 1)]
        lines = [f"placement plan for cluster {self.cluster} (nodes: {self.nodes_source})"]
        lines.extend(
            "  ".join(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)) + "  " + row[-1]
            for row in rows
        )
        if not self.placements:
            lines.append("(no pods to place)")
        if self.queued:
            lines += ["", "Kueue admission (every queued Job pending at once, none finished):"]
            lines += [f"  {admission}" for admission in self.queued]
        if self.nodes and any(node.scale_up for node in self.nodes):
            lines += ["", *self.scale_up_lines()]
        if self.rollouts:
            lines += ["", "Rollouts (a changed pod template, with every pod above placed):"]
            lines += [f"  {rollout}" for rollout in self.rollouts]
        lines.append("")
        lines.append(_verdict(self))
        return "\n".join(line.rstrip() for line in lines) + "\n"


def _table_rows(placement: Placement) -> list[tuple[str, str, str, str, str]]:
    """One row per pod, continued on more lines for each further eligible or excluded node."""
    eligible = list(placement.eligible) or ["-"]
    excluded = [str(exclusion) for exclusion in placement.excluded] or ["-"]
    first = (placement.workload, str(placement.replica), placement.where, eligible[0], excluded[0])
    rest = [
        ("", "", "", eligible[i] if i < len(eligible) else "", excluded[i] if i < len(excluded) else "")
        for i in range(1, max(len(eligible), len(excluded)))
    ]
    return [first, *rest]


def _verdict(plan: Plan) -> str:
    if not plan.findings:
        return f"OK: {len(plan.placements)} pod(s) placed, no violations"
    lines = [f"FAILED: {len(plan.findings)} violation(s)"]
    lines.extend(f"  {finding.problem}" for finding in plan.findings)
    return "\n".join(lines)


def _check_pod_count(cluster: Cluster) -> None:
    """Refuse to place more pods than a cluster runs: the proof models each one."""
    workloads = sorted(cluster.workloads(), key=lambda workload: -workload.replicas)
    pods = sum(workload.replicas for workload in workloads)
    if pods > CLUSTER_PODS_MAX:
        largest = listed([f"{workload.path} ({workload.replicas})" for workload in workloads], 3)
        raise InvalidInputError(
            f"cluster {cluster.name!r}: its workloads run {pods} pods ({largest}); a Kubernetes cluster runs at "
            f"most {CLUSTER_PODS_MAX} ({LARGE_CLUSTERS}): lower the replicas"
        )


def plan_cluster(cluster: Cluster, nodes: Sequence[Mapping[str, Any]] | None = None) -> Plan:
    """Place every pod of ``cluster`` on ``nodes`` (the declared nodes by default) and check it.

    ``nodes`` may be the ``items`` of ``kubectl get nodes -o json``; each is then mapped to the
    cluster profile whose node labels it carries. See the module docstring for the order, the
    choice rule and the violations.
    """
    declared = nodes is None
    objects = [node.to_node_object() for node in cluster.nodes] if nodes is None else list(nodes)
    malformed = [
        f"nodes[{index}]: {problem}"
        for index, obj in enumerate(objects)
        for problem in (node_shape_problems(obj) if isinstance(obj, dict) else ["is not an object"])
    ]
    if malformed:
        raise InvalidInputError(f"plan_cluster: nodes are not Node objects: {listed(malformed, 5)}")
    scale_ups = scale_up_nodes(cluster, objects)
    declared_nodes = {node.name: node for node in [*cluster.nodes, *scale_ups]}
    plan_nodes = sorted(
        (plan_node(cluster, obj, declared_nodes, declared_profiles=declared) for obj in objects),
        key=lambda node: node.name,
    )
    plan_nodes += [
        dataclasses.replace(
            plan_node(cluster, node.to_node_object(), declared_nodes, declared_profiles=True), scale_up=True
        )
        for node in scale_ups
    ]
    _check_pod_count(cluster)
    placer = _Placer(tuple(plan_nodes), DeviceLedger(cluster, plan_nodes))
    queued = queue_admissions(cluster)
    held = {admission.path: admission.verdict.cluster_queue for admission in queued if not admission.admitted}
    for workload in _plan_order(cluster.workloads()):
        placer.place(workload, waiting_for=held.get(workload.path))
    rollouts = []
    for workload in cluster.workloads():
        proven = prove_rollout(workload, placer.surge_nodes)
        if proven is not None:
            rollouts.append(proven[0])
            if proven[1] is not None:
                placer.findings.append(Finding(FindingKind.ROLLOUT_STALLS, workload.path, "", proven[1]))
    placer.findings += [
        Finding(FindingKind.NEVER_ADMITTED, problem.path, "", problem)
        for problem in (queue_problem(admission) for admission in queued)
        if problem is not None
    ]
    return Plan(
        cluster=cluster.name,
        cluster_path=cluster.path,
        nodes_source="declared" if declared else "kubectl",
        nodes=placer.nodes,
        placements=tuple(placer.placements),
        findings=tuple(placer.findings),
        admissions=placer.admissions,
        queued=queued,
        rollouts=tuple(rollouts),
    )


class _Shape:
    """Pods with the same placement key and requests: the same verdict on every node state.

    ``verdicts[slot]`` is the :class:`Exclusion` when the filters reject the slot's node and
    None when the pod fits, as of the first ``seen`` entries of the placer's bind log (-1:
    not computed yet); ``eligible`` and ``excluded`` are the same verdicts as a placement
    lists them, rebuilt only when a verdict changes. ``open_slots`` are the slots whose node the
    filters that ignore resources admit: only their verdicts can change as pods are bound.
    """

    def __init__(
        self,
        spec: Mapping[str, Any],
        requests: dict[str, Fraction],
        admission: AdmissionVerdicts,
        claims: list[dict[str, Any]],
    ) -> None:
        self.spec = spec
        self.requests = requests
        self.admission = admission
        self.claims = claims
        """The pod's ResourceClaim specs (DRA), checked after the resources."""
        self.empty: dict[str, FitResult] = {}
        self.admitted: tuple[PlanNode, ...] = ()
        self.open_slots: frozenset[int] = frozenset()
        self.verdicts: list[Exclusion | None] = []
        self.seen = -1
        self.eligible: tuple[int, ...] = ()
        self.eligible_names: tuple[str, ...] = ()
        self.excluded: tuple[Exclusion, ...] = ()


class _Placer:
    """The greedy placement: the pods placed so far per node, and what was found on the way.

    Nodes are handled as slots, one per node name (the last node of a name, at its first
    position), as the verdicts are keyed by node name. Each slot's :class:`NodeState` keeps
    the running totals of its pods; ``log`` lists the slot of every pod bound, so a shape
    recomputes its verdicts only on the slots bound to since it last looked.
    """

    def __init__(self, nodes: tuple[PlanNode, ...], devices: DeviceLedger) -> None:
        self.nodes = nodes
        self.devices = devices
        self.held: dict[tuple[int, int], list[frozenset[DeviceId]]] = {}
        """By (slot, shape): the DRA devices each bound pod of that shape on that slot holds."""
        self.admissions = Admissions(nodes)
        slots = {node.name: index for index, node in enumerate(nodes)}
        self.names: tuple[str, ...] = tuple(slots)
        self.indexes: tuple[int, ...] = tuple(slots.values())
        self.states = [NodeState(nodes[index].obj) for index in self.indexes]
        self.empty_states = [NodeState(nodes[index].obj) for index in self.indexes]
        self.counts = [0] * len(self.names)
        self.scale_up_rank: list[int | None] = [index if nodes[index].scale_up else None for index in self.indexes]
        self.log: list[int] = []
        self.shapes: dict[tuple[str, str, str], _Shape] = {}
        self.placements: list[Placement] = []
        self.findings: list[Finding] = []

    def place(self, workload: Workload[Any], *, waiting_for: str | None = None) -> None:
        """Check the workload's admission, then place each of its replicas.

        A workload ``waiting_for`` a ClusterQueue's quota is checked but not placed: Kueue keeps it suspended.
        """
        spec = workload.pod_template_spec()
        shape = self._shape(spec, pod_claims(workload, spec))
        self.admissions.record(workload, shape.admission)
        self.findings.extend(_admission_findings(workload, shape.admitted))
        if not shape.admitted:
            self.findings.append(_unschedulable(workload, shape.empty))
        if workload.one_per_node:
            self._place_daemon(workload, spec, report=bool(shape.admitted))
            return
        if waiting_for is not None:
            self._refresh(shape)
            self.placements.extend(
                _placement(workload, shape, replica, None, waiting_for) for replica in range(workload.replicas)
            )
            return
        placements = self._place_replicas(workload, spec, shape)
        overflow = [placement for placement in placements if placement.node is None and shape.admitted]
        if overflow and workload.all_or_nothing:
            self.findings.append(_partial_group(workload, placements, overflow))
            placements = [self._take_back(placement, spec, shape) for placement in placements]
        elif overflow:
            self.findings.append(_overflow(workload, overflow))
        self.placements.extend(placements)

    def _place_daemon(self, workload: Workload[Any], template: Mapping[str, Any], *, report: bool) -> None:
        """One pod on each node the DaemonSet controller picks, bound to that node by name.

        A placement lists only its own node, eligible or excluded (the others exclude it by name).
        A pod without room on its node is reported when ``report`` (else the template fits no
        node at all, which is reported already).
        """
        chosen = [node for node in self.nodes if runs_daemon_pod(template, node.obj)]
        for replica, node in enumerate(chosen):
            spec = daemon_pod_spec(template, node.name)
            placement = self._place_replica(workload, spec, self._shape(spec, pod_claims(workload, spec)), replica)
            own = tuple(exclusion for exclusion in placement.excluded if exclusion.node == node.name)
            placement = dataclasses.replace(placement, excluded=own)
            if placement.node is None and report:
                self.findings.append(_daemon_overflow(workload, node.name, own))
            self.placements.append(placement)

    def _place_replicas(self, workload: Workload[Any], spec: Mapping[str, Any], shape: _Shape) -> list[Placement]:
        """Each replica in turn; once one finds no node, the rest find none either (nothing was bound)."""
        placements: list[Placement] = []
        for replica in range(workload.replicas):
            placement = self._place_replica(workload, spec, shape, replica)
            placements.append(placement)
            if placement.node is None:
                rest = range(replica + 1, workload.replicas)
                return placements + [_placement(workload, shape, later, None) for later in rest]
        return placements

    def _take_back(self, placement: Placement, spec: Mapping[str, Any], shape: _Shape) -> Placement:
        """Unbind a placed pod of a group that does not fit as a whole: none of its pods run."""
        if placement.node is None:
            return placement
        self._unbind(self.names.index(placement.node), spec, shape)
        return dataclasses.replace(placement, node=None)

    def surge_nodes(self, workload: Workload[Any], count: int) -> list[str]:
        """The nodes up to ``count`` more pods of ``workload`` would go to now, by the plan's choice rule.

        The pods are bound one after another and then taken back: the plan is left as it was.
        """
        spec = workload.pod_template_spec()
        shape = self._shape(spec, pod_claims(workload, spec))
        bound = []
        for _ in range(count):
            slot = self._bind_next(shape, spec)
            if slot is None:
                break
            bound.append(slot)
        for slot in bound:
            self._unbind(slot, spec, shape)
        return [self.names[slot] for slot in bound]

    def _bind_next(self, shape: _Shape, spec: Mapping[str, Any]) -> int | None:
        """Bind one pod of ``shape`` to the eligible slot :meth:`_preference` ranks first (taking its
        DRA devices); its slot."""
        self._refresh(shape)
        chosen = min(shape.eligible, key=self._preference, default=None)
        if chosen is not None:
            self.states[chosen].bind(spec, requests=shape.requests)
            if shape.claims:
                devices = self.devices.take(self.indexes[chosen], shape.claims)
                self.held.setdefault((chosen, id(shape)), []).append(devices)
            self.counts[chosen] += 1
            self.log.append(chosen)
        return chosen

    def _unbind(self, slot: int, spec: Mapping[str, Any], shape: _Shape) -> None:
        self.states[slot].unbind(spec, requests=shape.requests)
        if shape.claims:  # pods of one shape on one node are alike: give back one pod's devices
            self.devices.give_back(self.indexes[slot], self.held[(slot, id(shape))].pop())
        self.counts[slot] -= 1
        self.log.append(slot)  # the slot's verdicts change again

    def _shape(self, spec: Mapping[str, Any], claims: list[dict[str, Any]]) -> _Shape:
        requests = pod_requests(spec)
        admission_key = placement_key(spec)
        key = (admission_key, repr(sorted(requests.items())), repr(claims))
        shape = self.shapes.get(key)
        if shape is None:
            admission = self.admissions.of(spec, key=admission_key)
            shape = self.shapes[key] = _Shape(spec, requests, admission, claims)
            shape.open_slots = frozenset(slot for slot, index in enumerate(self.indexes) if admission.admitted(index))
            # The verdict on every node with no pods on it, by node name (resources, then devices, where admitted).
            shape.empty = {
                name: FitResult(
                    admission.failures[index]
                    or empty.resource_failures(spec, requests=requests)
                    or self.devices.failures(index, claims, empty=True)
                )
                for name, index, empty in zip(self.names, self.indexes, self.empty_states, strict=True)
            }
            shape.admitted = tuple(node for node in self.nodes if shape.empty[node.name])
        return shape

    def _verdict(self, shape: _Shape, slot: int) -> Exclusion | None:
        """The slot's verdict: the failures of the filters that ignore resources, else NodeResourcesFit's,
        else DynamicResources' (the claims' devices among those still free)."""
        reasons = shape.admission.reasons[self.indexes[slot]]
        if not reasons:
            failures = self.states[slot].resource_failures(shape.spec, requests=shape.requests)
            failures = failures or self.devices.failures(self.indexes[slot], shape.claims)
            reasons = tuple(str(failure) for failure in failures)
        return Exclusion(self.names[slot], reasons) if reasons else None

    def _refresh(self, shape: _Shape) -> None:
        """Bring the shape's verdicts up to date with the pods bound since it last looked."""
        if shape.seen < 0:
            shape.verdicts = [self._verdict(shape, slot) for slot in range(len(self.names))]
            changed = True
        else:
            changed = False
            # A node the filters that ignore resources reject stays rejected for the same reasons.
            for slot in shape.open_slots.intersection(self.log[shape.seen :]):
                verdict = self._verdict(shape, slot)
                if verdict != shape.verdicts[slot]:
                    shape.verdicts[slot] = verdict
                    changed = True
        shape.seen = len(self.log)
        if changed:
            shape.eligible = tuple(slot for slot, verdict in enumerate(shape.verdicts) if verdict is None)
            shape.eligible_names = tuple(self.names[slot] for slot in shape.eligible)
            shape.excluded = tuple(verdict for verdict in shape.verdicts if verdict is not None)

    def _place_replica(
        self, workload: Workload[Any], spec: Mapping[str, Any], shape: _Shape, replica: int
    ) -> Placement:
        chosen = self._bind_next(shape, spec)
        return _placement(workload, shape, replica, self.names[chosen] if chosen is not None else None)

    def _preference(self, slot: int) -> tuple[int, int, int, str]:
        """Nodes that exist first, spreading by pod count; then a pool's scale-up nodes, packing
        the ones already opened before opening the next, as an autoscaler adds as few as it can."""
        rank = self.scale_up_rank[slot]
        if rank is None:
            return (0, self.counts[slot], 0, self.names[slot])
        return (1, int(self.counts[slot] == 0), rank, "")


def _placement(
    workload: Workload[Any], shape: _Shape, replica: int, node: str | None, waiting_for: str | None = None
) -> Placement:
    profile = workload.profile
    return Placement(
        workload=workload.name,
        path=workload.path,
        component=workload.component.name,
        replica=replica,
        pod=f"{workload.name}-{replica}",
        profile=profile.name if profile is not None else None,
        gpus=workload.gpus,
        node=node,
        eligible=shape.eligible_names,
        excluded=shape.excluded,
        waiting_for=waiting_for,
    )


def _admission_findings(workload: Workload[Any], admitted: Iterable[PlanNode]) -> list[Finding]:
    """A GPU workload admitted off its profile, or a CPU workload admitted to a GPU node.

    ``admitted`` are the nodes whose filters pass for the workload's pod when they are empty.
    """
    profile = workload.profile
    findings = []
    for node in admitted:
        if profile is not None and node.profile != profile.name:
            findings.append(_foreign_node(workload, profile, node))
        elif profile is None and node.is_gpu:
            findings.append(_cpu_on_gpu(workload, node))
    return findings


def _foreign_node(workload: Workload[Any], profile: NodeProfile, node: PlanNode) -> Finding:
    message = (
        f"GPU workload {workload.name!r} (profile {profile.name!r}) can be scheduled on node {node.name!r}, "
        f"{node.describe()}: its required node affinity and tolerations admit it there"
    )
    fix = (
        f"give the nodes of profile {profile.name!r} a label only they carry (add it to the profile's "
        f"accelerator_labels), or taint node {node.name!r} with a taint profile {profile.name!r} does not tolerate"
    )
    return Finding(FindingKind.WRONG_NODE, workload.path, node.name, Problem(workload.path, message, fix))


def _cpu_on_gpu(workload: Workload[Any], node: PlanNode) -> Finding:
    problem = cpu_on_gpu_problem(workload, node)
    return Finding(FindingKind.CPU_ON_GPU, workload.path, node.name, problem)


def cpu_on_gpu_problem(workload: Workload[Any], node: PlanNode) -> Problem:
    """The problem of a CPU workload whose selection and tolerations admit it to GPU node ``node``.

    The one wording of this fact, for the plan's finding and the consistency check alike.
    """
    if node.tainted:
        how = f"it tolerates the node's taints ({', '.join(node.taints)})"
        fix = f"remove the tolerations of the GPU taints ({', '.join(node.taints)}) from {workload.name!r}"
    else:
        how = "the node has no NoSchedule/NoExecute taint and the workload's required node selection admits it"
        fix = (
            f"add a NoSchedule taint to profile {node.profile!r} (taints=(Taint(..., effect=NoSchedule),)): "
            "its GPU workloads tolerate it automatically, CPU workloads stay off"
        )
    message = (
        f"CPU workload {workload.name!r} can be scheduled on GPU node {node.name!r} (profile {node.profile!r}): {how}"
    )
    return Problem(workload.path, message, fix)


_SHOWN_GROUPS = 5
"""How many distinct reasons a message about every node lists; the other nodes are counted."""
_SHOWN_NAMES = 5
"""How many node names a message lists for one reason; the others are counted."""


def _grouped_reasons(reasons: Iterable[tuple[str, str]]) -> str:
    """``(node name, reason)`` pairs as ``node 'a': reason; nodes 'b', 'c': other reason``.

    Nodes with the same reason (once the node's own name in it reads "the node") share one
    entry; at most :data:`_SHOWN_GROUPS` entries of at most :data:`_SHOWN_NAMES` names each are
    listed, so the text stays short however many nodes there are.
    """
    groups: dict[str, list[str]] = {}
    for name, reason in reasons:
        groups.setdefault(reason.replace(f"node {name!r}", "the node"), []).append(name)
    entries = [f"{_node_names(names)}: {reason}" for reason, names in list(groups.items())[:_SHOWN_GROUPS]]
    rest = sum(len(names) for names in list(groups.values())[_SHOWN_GROUPS:])
    if rest:
        entries.append(f"{rest} more node(s) for other reasons")
    return "; ".join(entries)


def _node_names(names: Sequence[str]) -> str:
    shown = ", ".join(repr(name) for name in names[:_SHOWN_NAMES])
    if len(names) == 1:
        return f"node {shown}"
    more = f" and {len(names) - _SHOWN_NAMES} more" if len(names) > _SHOWN_NAMES else ""
    return f"nodes {shown}{more}"


def _unschedulable(workload: Workload[Any], empty: Mapping[str, FitResult]) -> Finding:
    """``empty`` holds the verdict on every node with no pods on it, by node name."""
    reasons = _grouped_reasons((name, str(result)) for name, result in empty.items())
    message = f"workload {workload.name!r} fits no node, even an empty one: {reasons}"
    profile = workload.profile
    target = f"a node of profile {profile.name!r}" if profile is not None else "an untainted CPU node"
    fix = f"add {target} that its selection, tolerations and requests fit, or lower its requests"
    return Finding(FindingKind.UNSCHEDULABLE, workload.path, "", Problem(workload.path, message, fix))


def _partial_group(workload: Workload[Any], placements: Sequence[Placement], missing: Sequence[Placement]) -> Finding:
    placed = [placement for placement in placements if placement.node is not None]
    where = ", ".join(sorted({str(placement.node) for placement in placed})) or "no node"
    reasons = _grouped_reasons((exclusion.node, "; ".join(exclusion.reasons)) for exclusion in missing[0].excluded)
    message = (
        f"workload {workload.name!r} needs its {len(placements)} pods running at once, but only {len(placed)} fit "
        f"({where}); no pod of it is placed ({reasons})"
    )
    fix = f"add capacity for all {len(placements)} pods, or lower the workers, GPUs or requests"
    return Finding(FindingKind.PARTIAL_GROUP, workload.path, "", Problem(workload.path, message, fix))


def _daemon_overflow(workload: Workload[Any], node: str, excluded: Sequence[Exclusion]) -> Finding:
    reasons = "; ".join(reason for exclusion in excluded for reason in exclusion.reasons)
    message = (
        f"DaemonSet {workload.name!r} must run a pod on node {node!r}, and it does not fit there beside the pods "
        f"placed before it ({reasons})"
    )
    fix = f"lower the requests of {workload.name!r}, or free capacity on node {node!r}"
    return Finding(FindingKind.OVERFLOW, workload.path, node, Problem(workload.path, message, fix))


def _overflow(workload: Workload[Any], pods: Sequence[Placement]) -> Finding:
    names = listed([placement.pod for placement in pods])
    reasons = _grouped_reasons((exclusion.node, "; ".join(exclusion.reasons)) for exclusion in pods[0].excluded)
    message = (
        f"workload {workload.name!r} overflows the cluster: no node has room left for {names} "
        f"after the pods placed before it ({reasons})"
    )
    profile = workload.profile
    pools = [pool.name for pool in workload.component.cluster.pools if pool.profile == profile]
    more = "a CPU node"
    if profile is not None:
        more = f"another node of profile {profile.name!r} or more GPUs per node"
    if pools:
        more = f"a larger max_nodes on node pool {pools[0]!r}, or more GPUs per node"
    fix = f"add capacity ({more}) or lower the replicas, GPUs or requests"
    return Finding(FindingKind.OVERFLOW, workload.path, "", Problem(workload.path, message, fix))
