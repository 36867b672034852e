"""The diagnosis of a cluster: what the placement plan found, explained in the model's terms.

The plan (:mod:`gpumanifests._placement.plan`) states placement facts as kube-scheduler's filters
see them: a workload fits no node, overflows, lands on a foreign or GPU node. The diagnosis
states each fact once, in the most specific wording the model has, each on a construct path
with a suggested fix:

(a) a workload whose required node selection (``nodeSelector`` and required node affinity)
    no node of the cluster satisfies; it explains the plan's "fits no node";
(b) a GPU workload that does not tolerate a ``NoSchedule``/``NoExecute`` taint of a node it
    selects; when that holds for every selected node, it explains "fits no node";
(c) a warning for a node taint no workload tolerates, when it leaves the node with nothing
    to run;
(d) a GPU request larger than the GPU count of every node the workload selects and tolerates
    (also where no device plugin lets the scheduler count GPUs); it explains "fits no node";
(e) a CPU workload the scheduler would admit to a GPU node, tainted or not (capacity aside):
    the plan's "CPU workload on GPU node" fact, stated for every such node.

Every other plan finding is kept as the plan words it. The rules read the capacity-independent
verdicts the plan recorded while placing (:meth:`Plan.verdicts_of`); nothing is recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gpumanifests._constructs.nodeconfig import node_component_name
from gpumanifests._errors import Problem, Severity
from gpumanifests._placement.plan import FindingKind, cpu_on_gpu_problem
from gpumanifests.scheduling import node_taints, taint_text, untolerated_taints

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from gpumanifests._constructs.cluster import Cluster
    from gpumanifests._constructs.workloads import Workload
    from gpumanifests._placement.nodes import PlanNode
    from gpumanifests._placement.plan import AdmissionVerdicts, Plan

__all__ = ["diagnose"]

_Fact = tuple[str, str, str]
"""(finding kind, workload path, node name or ''): the fact a plan finding states."""
_SHOWN_NODES = 3
"""How many nodes' filter failures rule (a) shows; the others are counted."""


@dataclass(frozen=True)
class _Explanation:
    """A model-level problem and the plan facts it states more specifically."""

    problem: Problem
    explains: tuple[_Fact, ...] = ()


def diagnose(cluster: Cluster, plan: Plan) -> list[Problem]:
    """Every problem of ``cluster`` against the nodes of ``plan``, each fact once, sorted.

    Errors should stop the synth; the (c) warnings should only be printed.
    """
    facts: dict[_Fact, Problem] = {(f.kind, f.workload, f.node): f.problem for f in plan.findings}
    problems: list[Problem] = []
    verdicts = [(workload, plan.verdicts_of(workload)) for workload in cluster.workloads()]
    for workload, verdict in verdicts:
        for explanation in _explanations(workload, verdict, plan.nodes):
            problems.append(explanation.problem)
            for fact in explanation.explains:
                facts.pop(fact, None)
    distinct = list({id(verdict): verdict for _, verdict in verdicts}.values())
    problems.extend(_unused_taint_warnings(cluster, plan.nodes, distinct))
    problems.extend(facts.values())
    return sorted(set(problems))


def _explanations(workload: Workload[Any], verdict: AdmissionVerdicts, nodes: Sequence[PlanNode]) -> list[_Explanation]:
    """Rules (a), (b), (d) and (e) for one workload.

    ``verdict`` holds the filters' capacity-independent verdicts of the workload's pod spec on
    ``nodes``, shared by every workload with the same placement key.
    """
    unschedulable = (FindingKind.UNSCHEDULABLE, workload.path, "")
    if not verdict.selected:
        return [_Explanation(_no_node_selected(workload, verdict, nodes), (unschedulable,))]
    if not workload.is_gpu:
        return _cpu_on_gpu(workload, verdict, nodes)
    untolerated = []
    tolerated = []
    for index, node in verdict.selected:
        taints = verdict.untolerated(index)
        if taints:
            untolerated.append(_untolerated(workload, node, taints))
        else:
            tolerated.append(node)
    explains = () if tolerated else (unschedulable,)
    explanations = [_Explanation(problem, explains) for problem in untolerated]
    too_big = _gpus_too_big(workload, tolerated)
    if too_big is not None:
        explanations.append(_Explanation(too_big, (unschedulable,)))
    return explanations


def _no_node_selected(workload: Workload[Any], verdict: AdmissionVerdicts, nodes: Sequence[PlanNode]) -> Problem:
    """(a): the required node selection matches no node; shows why for the first few nodes."""
    shown = [
        f"{node.name}: {'; '.join(reasons)}"
        for node, reasons in list(zip(nodes, verdict.reasons, strict=True))[:_SHOWN_NODES]
    ]
    if len(nodes) > _SHOWN_NODES:
        shown.append(f"and {len(nodes) - _SHOWN_NODES} more node(s)")
    profile = workload.profile
    if profile is not None:
        fix = (
            f"add a node of profile {profile.name!r} to the cluster, or use the profile of an existing node "
            f"(the cluster has: {', '.join(sorted({node.profile or 'unknown' for node in nodes}))})"
        )
    else:
        fix = "relax the workload's nodeSelector/required node affinity, or add a node carrying those labels"
    message = (
        f"workload {workload.name!r}: no node of the cluster satisfies its required node selection ({'; '.join(shown)})"
    )
    return Problem(workload.path, message, fix)


def _untolerated(workload: Workload[Any], node: PlanNode, taints: Sequence[Mapping[str, Any]]) -> Problem:
    """(b): a GPU workload selects a node whose taint it does not tolerate."""
    text = ", ".join(taint_text(taint) for taint in taints)
    profile = workload.profile
    name = profile.name if profile is not None else "?"
    message = (
        f"GPU workload {workload.name!r} selects node {node.name!r} ({node.describe()}) but does not tolerate "
        f"its taint {text}, so it can never run there"
    )
    fix = (
        f"make profile {name!r} carry the node's taints exactly (taints=... on the NodeProfile), "
        f"or retaint node {node.name!r} with the profile's taints"
    )
    return Problem(workload.path, message, fix)


def _gpus_too_big(workload: Workload[Any], nodes: Sequence[PlanNode]) -> Problem | None:
    """(d): the workload asks for more GPUs than any node it could run on has."""
    counts = [node.gpus for node in nodes if node.gpus is not None]
    wanted = workload.gpus
    if not counts or len(counts) != len(nodes) or wanted <= max(counts):
        return None
    per_node = ", ".join(f"{node.name}: {node.gpus}" for node in nodes)
    message = (
        f"GPU workload {workload.name!r} requests {wanted} GPU(s) per pod, more than any eligible node has "
        f"({per_node}); a pod cannot span nodes"
    )
    fix = f"set gpus to at most {max(counts)}, or add a node with at least {wanted} GPUs of this profile"
    return Problem(workload.path, message, fix)


def _cpu_on_gpu(workload: Workload[Any], verdict: AdmissionVerdicts, nodes: Sequence[PlanNode]) -> list[_Explanation]:
    """(e): a CPU workload whose selection and tolerations admit it to a GPU node."""
    return [
        _Explanation(cpu_on_gpu_problem(workload, node), ((FindingKind.CPU_ON_GPU, workload.path, node.name),))
        for index, node in enumerate(nodes)
        if node.is_gpu and verdict.admitted(index)
    ]


def _unused_taint_warnings(
    cluster: Cluster, nodes: Sequence[PlanNode], verdicts: Sequence[AdmissionVerdicts]
) -> list[Problem]:
    """(c): a taint no workload tolerates on a node no workload can use (a warning).

    ``verdicts`` are those of the workloads' distinct placement keys, which cover every
    toleration of every workload.
    """
    problems = []
    tolerations = [toleration for verdict in verdicts for toleration in verdict.tolerations]
    for index, node in enumerate(nodes):
        if any(verdict.admitted(index) for verdict in verdicts):
            continue
        for taint in untolerated_taints(tolerations, node_taints(node.obj)):
            message = (
                f"node {node.name!r} ({node.describe()}) has taint {taint_text(taint)} that no workload of cluster "
                f"{cluster.name!r} tolerates, so nothing declared here runs on it"
            )
            target = f"profile={node.profile!r}" if node.profile else "a profile matching the node"
            fix = f"declare a GpuJob/GpuDeployment with {target}, or remove the node or its taint"
            problems.append(Problem(_node_path(cluster, node), message, fix, Severity.WARNING))
    return problems


def _node_path(cluster: Cluster, node: PlanNode) -> str:
    """The construct that taints the node (its profile's node configuration), else the cluster."""
    names = {node_component_name(profile) for profile in cluster.profiles() if profile.name == node.profile}
    for configuration in cluster.node_configurations:
        if configuration.component.name in names:
            return str(configuration.component.path)
    return cluster.path
