"""The cluster picture: a Markdown page with a Mermaid flowchart of the placement plan.

:func:`cluster_readme` draws one subgraph per node (as the seed's architecture figure draws
one box per node) with the node's role, profile, labels, taints and GPU count, and inside it
the pods the plan placed there. A plain table repeats the same placements, so the text and
the picture cannot disagree. The page is deterministic: nodes in name order, pods in plan
order, no timestamps. Mermaid renders it on GitHub and GitLab.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from gpumanifests._output.layout import generated_notice

if TYPE_CHECKING:
    from collections.abc import Sequence

    from gpumanifests._constructs.cluster import Cluster
    from gpumanifests._placement.nodes import PlanNode
    from gpumanifests._placement.plan import Placement, Plan

__all__ = ["cluster_readme", "mermaid_text"]

_MERMAID_ENTITIES = {
    "&": "#amp;",
    "#": "#35;",
    '"': "#quot;",
    "<": "#lt;",
    ">": "#gt;",
    "=": "#61;",
    ":": "#58;",
    "/": "#47;",
    "|": "#124;",
    "[": "#91;",
    "]": "#93;",
    "{": "#123;",
    "}": "#125;",
    "(": "#40;",
    ")": "#41;",
    "`": "#96;",
}


def mermaid_text(text: str) -> str:
    """``text`` made safe inside a quoted Mermaid label: punctuation as Mermaid entity codes.

    Mermaid decodes ``#quot;`` and ``#<decimal>;`` back to the character, so the rendered label
    reads as the original text while the source never closes a quote or a shape early.
    """
    return "".join(_MERMAID_ENTITIES.get(char, char) for char in text)


def _markdown_text(text: str) -> str:
    """``text`` on one line of Markdown prose: newlines joined, backslashes and pipes escaped."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code_cell(text: str) -> str:
    """``text`` as a code span inside a table cell.

    Backslashes are literal in a code span, so they stay as they are; a pipe is escaped even
    there, as a table row is split into cells before the spans are parsed. The span's fence is
    one backtick longer than the longest run of backticks in ``text``.
    """
    content = text.replace("|", "\\|").replace("\n", " ")
    fence = "`" * (max((len(run) for run in re.findall("`+", content)), default=0) + 1)
    padding = " " if content.startswith("`") or content.endswith("`") else ""
    return f"{fence}{padding}{content}{padding}{fence}"


def cluster_readme(
    cluster: Cluster, plan: Plan, prerequisites: Sequence[str] = (), external: Sequence[str] = ()
) -> str:
    """The Markdown page of ``cluster``: the placement flowchart, the same as a table, and violations.

    ``prerequisites`` name the operators whose CRDs the tree uses but does not install;
    ``external`` the objects its pods refer to that something else creates.
    """
    lines = [
        f"# Cluster {cluster.name}",
        "",
        f"{generated_notice(cluster.source)} It shows where the placement plan "
        f"(`gpumanifests plan {cluster.name}`) puts every pod, on the {plan.nodes_source} nodes.",
        "",
        "## Nodes and placed pods",
        "",
        *_flowchart(plan),
        "",
        "## Placements",
        "",
        *_placement_table(plan),
        "",
        "## Verdict",
        "",
        *_verdict(plan),
    ]
    if plan.scale_ups():
        lines += ["", "## Node pools", ""]
        lines += [f"- {line}" for line in plan.scale_up_lines()]
    if plan.rollouts:
        lines += ["", "## Rollouts", "", "With every pod above placed, a changed pod template rolls out like this:", ""]
        lines += [f"- {_markdown_text(str(rollout))}" for rollout in plan.rollouts]
    if prerequisites:
        lines += ["", "## Operators this cluster needs", ""]
        lines += [
            "The tree relies on them for the CRDs (and controllers) of its custom resources, for objects they create,",
            "and to be installed as stated:",
            "",
        ]
        lines += [f"- {_markdown_text(entry)}" for entry in prerequisites]
    if external:
        lines += ["", "## Objects created outside this tree", ""]
        lines += ["Pods of the tree refer to them; they must exist before those pods start:", ""]
        lines += [f"- {_markdown_text(entry)}" for entry in external]
    return "\n".join(lines) + "\n"


def _flowchart(plan: Plan) -> list[str]:
    lines = ["```mermaid", "flowchart LR"]
    pods = plan.placements_by_node()
    for index, node in enumerate(plan.nodes):
        if node.scale_up and node.name not in pods:
            continue  # a node its pool would not need to create
        lines.extend(_subgraph(node, pods.get(node.name, []), f"n{index}"))
    nowhere = pods.get(None, [])
    waiting = [placement for placement in nowhere if placement.waiting_for is not None]
    lines += _pod_group("unplaced", "no node", [placement for placement in nowhere if placement.waiting_for is None])
    lines += _pod_group("waiting", "waiting for Kueue quota", waiting)
    lines += [
        "  classDef gpu fill:#fff3e0,stroke:#e65100",
        "  classDef cpu fill:#e8f5e9,stroke:#1b5e20",
        "  classDef unplaced fill:#ffebee,stroke:#b71c1c",
    ]
    if waiting:
        lines.append("  classDef waiting fill:#eceff1,stroke:#37474f")
    return [*lines, "```"]


def _pod_group(ident: str, title: str, pods: Sequence[Placement]) -> list[str]:
    """A box of pods that have no node (``ident`` is also its class)."""
    if not pods:
        return []
    lines = [f'  subgraph {ident}["{title}"]']
    lines.extend(f'    {ident}_p{i}["{mermaid_text(p.pod)}"]' for i, p in enumerate(pods))
    return [*lines, "  end", f"  class {ident} {ident}"]


def _subgraph(node: PlanNode, pods: Sequence[Placement], ident: str) -> list[str]:
    """One node's box: a facts block, then one box per pod placed on it (``plan.pods_on(node.name)``)."""
    title = (
        f"{node.name} ({node.role}, created by pool {node.pool} on demand)"
        if node.scale_up
        else f"{node.name} ({node.role})"
    )
    facts = [
        f"role: {node.role}",
        f"profile: {node.profile or 'unknown'}",
        f"GPUs: {_gpu_text(node)}",
        "labels: " + (", ".join(f"{k}={v}" for k, v in sorted(node.labels.items())) or "none"),
        "taints: " + (", ".join(node.taints) or "none (untainted)"),
    ]
    lines = [
        f'  subgraph {ident}["{mermaid_text(title)}"]',
        "    direction TB",
        f'    {ident}_info["{"<br/>".join(mermaid_text(fact) for fact in facts)}"]',
    ]
    for index, placement in enumerate(pods):
        lines.append(f'    {ident}_p{index}(["{mermaid_text(_pod_label(placement))}"])')
    lines.append("  end")
    lines.append(f"  class {ident} {'gpu' if node.is_gpu else 'cpu'}")
    return lines


def _gpu_text(node: PlanNode) -> str:
    count = "unknown" if node.gpus is None else str(node.gpus)
    if not node.is_gpu:
        return count
    if node.dra_driver is not None:
        return f"{count} (DRA devices of {node.dra_driver})"
    if node.gpu_resource is None:
        return f"{count} (no extended resource: the scheduler does not count them)"
    return f"{count} ({node.gpu_resource})"


def _pod_label(placement: Placement) -> str:
    if placement.profile is None:
        return placement.pod
    return f"{placement.pod} ({placement.gpus} GPU, {placement.profile})"


def _placement_table(plan: Plan) -> list[str]:
    if not plan.placements:
        return ["No pods to place."]
    lines = ["| Pod | Workload | Component | Node | Profile | GPUs |", "|---|---|---|---|---|---|"]
    for placement in plan.placements:
        cells = [
            placement.pod,
            placement.workload,
            placement.component,
            placement.where,
            placement.profile or "cpu",
            str(placement.gpus),
        ]
        lines.append("| " + " | ".join(_code_cell(cell) for cell in cells) + " |")
    return lines


def _verdict(plan: Plan) -> list[str]:
    waiting = sum(placement.waiting_for is not None for placement in plan.placements)
    if not plan.findings and waiting:
        return [f"Every pod Kueue admits now has a node, no violations; {waiting} pod(s) wait for quota."]
    if not plan.findings:
        return [f"Every pod has a node: {len(plan.placements)} pod(s), no violations."]
    lines = [f"{len(plan.findings)} violation(s):", ""]
    lines.extend(f"- {_markdown_text(str(finding.problem))}" for finding in plan.findings)
    return lines
