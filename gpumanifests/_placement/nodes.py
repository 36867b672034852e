"""The nodes a placement plan places pods on, as the plan sees them.

Nodes come either from the cluster's declaration (each with its declared profile) or from
``kubectl get nodes -o json``, where each node is matched to the cluster profile whose node
labels it carries (the most specific profile wins).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gpumanifests._constructs.cluster import POOL_LABEL
from gpumanifests._errors import listed
from gpumanifests._kube.quantity import parse_quantity
from gpumanifests.scheduling import has_blocking_taint, node_name, node_taints, taint_text

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from gpumanifests._constructs.cluster import Cluster, Node
    from gpumanifests._constructs.profiles import NodeProfile

__all__ = ["PlanNode", "load_node_objects", "node_shape_problems", "plan_node", "scale_up_nodes"]

_ROLE_LABEL_PREFIX = "node-role.kubernetes.io/"


@dataclass(frozen=True)
class PlanNode:
    """A node as the plan sees it: its Node object and the profile its labels identify.

    ``gpu_resource`` is the extended resource the profile's device plugin advertises; without
    one (Apple Metal) the GPU count is descriptive and the scheduler does not count it.

    ``kind`` is ``gpu`` for a node of a GPU profile, ``cpu`` for a node of a CPU profile or an
    unmatched untainted node, and ``unknown`` for an unmatched node with a ``NoSchedule`` or
    ``NoExecute`` taint (a pool this app does not describe).

    ``pool`` is the Karpenter NodePool the node belongs to (its ``karpenter.sh/nodepool`` label);
    ``scale_up`` marks a node the pool would create on demand, which the plan uses only when the
    nodes that exist are full.
    """

    name: str
    role: str
    profile: str | None
    kind: str
    gpus: int | None
    gpu_resource: str | None
    labels: dict[str, str]
    taints: tuple[str, ...]
    obj: Mapping[str, Any] = field(compare=False, repr=False)
    pool: str | None = None
    scale_up: bool = False
    dra_driver: str | None = None
    """The DRA driver that hands out the node's GPUs; None when a device plugin does (or none)."""

    @property
    def is_gpu(self) -> bool:
        """Whether the node belongs to a GPU profile."""
        return self.kind == "gpu"

    @property
    def tainted(self) -> bool:
        """Whether a ``NoSchedule`` or ``NoExecute`` taint keeps untolerating pods off the node."""
        return has_blocking_taint(self.obj)

    def describe(self) -> str:
        """``a CPU node``, ``a node of profile 'nvidia'`` or ``an unknown tainted node``."""
        if self.kind == "cpu":
            return "a CPU node"
        if self.kind == "unknown":
            return "a tainted node of no declared profile"
        return f"a node of profile {self.profile!r}"

    def to_json(self) -> dict[str, Any]:
        """The node's plan-relevant facts, keys in a fixed order."""
        return {
            "name": self.name,
            "role": self.role,
            "profile": self.profile,
            "kind": self.kind,
            "gpus": self.gpus,
            "gpuResource": self.gpu_resource,
            "labels": dict(sorted(self.labels.items())),
            "taints": list(self.taints),
            "pool": self.pool,
            "scaleUp": self.scale_up,
        }


def _node_labels(node: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in ((node.get("metadata") or {}).get("labels") or {}).items()}


def _match_profile(cluster: Cluster, labels: Mapping[str, str], tainted: bool) -> NodeProfile | None:
    """The profile whose node labels and selectors the node meets; the most specific one wins.

    A profile without labels (a plain CPU profile) matches only untainted nodes, so an
    unknown tainted pool is never mistaken for CPU nodes.
    """
    best: NodeProfile | None = None
    for profile in cluster.profiles():
        if _specificity(profile) == 0 and tainted:
            continue
        if profile.matches_labels(labels) and (best is None or _specificity(profile) > _specificity(best)):
            best = profile
    return best


def _specificity(profile: NodeProfile) -> int:
    """How much of a node a profile pins down: its fixed labels and selectors."""
    return len(profile.node_labels) + len(profile.selectors)


def _node_role(labels: Mapping[str, str], declared: str | None) -> str:
    roles = sorted(key.removeprefix(_ROLE_LABEL_PREFIX) for key in labels if key.startswith(_ROLE_LABEL_PREFIX))
    return roles[0] if roles else (declared or "worker")


def _node_gpus(node: Mapping[str, Any], profile: NodeProfile | None, declared: int | None) -> int | None:
    """The GPU count: the profile's extended resource in allocatable, else the declared count."""
    if profile is None or not profile.is_gpu:
        return 0 if profile is not None else declared
    allocatable = (node.get("status") or {}).get("allocatable") or {}
    if profile.gpu_resource is not None and profile.gpu_resource in allocatable:
        try:
            return int(str(allocatable[profile.gpu_resource]))
        except ValueError:
            return declared
    return declared


def plan_node(
    cluster: Cluster, node: Mapping[str, Any], declared_nodes: Mapping[str, Node], *, declared_profiles: bool
) -> PlanNode:
    """The plan's view of ``node``; ``declared_nodes`` are the cluster's declared nodes by name."""
    name, labels = node_name(node), _node_labels(node)
    declared = declared_nodes.get(name)
    tainted = has_blocking_taint(node)
    if declared_profiles and declared is not None:
        profile: NodeProfile | None = declared.profile
    else:
        profile = _match_profile(cluster, labels, tainted)
    kind = "unknown" if profile is None and tainted else "gpu" if profile is not None and profile.is_gpu else "cpu"
    return PlanNode(
        name=name,
        role=_node_role(labels, declared.role.value if declared is not None else None),
        profile=profile.name if profile is not None else None,
        kind=kind,
        gpus=_node_gpus(node, profile, declared.gpus if declared is not None else None),
        gpu_resource=profile.gpu_resource if profile is not None else None,
        labels=labels,
        taints=tuple(taint_text(taint) for taint in node_taints(node)),
        obj=node,
        pool=labels.get(POOL_LABEL),
        dra_driver=profile.dra.driver if profile is not None and profile.dra is not None else None,
    )


def scale_up_nodes(cluster: Cluster, existing: Sequence[Mapping[str, Any]]) -> list[Node]:
    """The nodes each pool may still create: its maximum size less the ``existing`` nodes already in it."""
    present = Counter(_node_labels(node).get(POOL_LABEL) for node in existing)
    return [node for pool in cluster.pools for node in pool.nodes()[present[pool.name] :]]


def load_node_objects(path: Path) -> list[dict[str, Any]]:
    """Node dicts from a ``kubectl get nodes -o json`` file (a NodeList, a list or one Node).

    Raises ``ValueError`` with a readable message when the file is not such JSON.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ValueError(f"cannot read nodes file {path}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise ValueError(f"nodes file {path} is not UTF-8 text: {error.reason}") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"nodes file {path} is not JSON: {error}") from None
    items = document.get("items") if isinstance(document, dict) and "items" in document else document
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ValueError(f"nodes file {path} must hold `kubectl get nodes -o json` output (a NodeList)")
    nodes = [item for item in items if item.get("kind", "Node") == "Node"]
    if not nodes or not all(isinstance(node.get("metadata"), dict) and node_name(node) for node in nodes):
        raise ValueError(f"nodes file {path} holds no named Node objects")
    problems = [f"node {node_name(node)!r}: {problem}" for node in nodes for problem in node_shape_problems(node)]
    if problems:
        raise ValueError(f"nodes file {path} has malformed Node objects: {listed(problems, 5)}")
    return nodes


_NODE_MAPS = (("metadata", "labels"), ("metadata", "annotations"), ("status", "allocatable"), ("status", "capacity"))


def node_shape_problems(node: Mapping[str, Any]) -> list[str]:
    """What the plan reads from a Node and cannot: objects, maps of strings, quantities, taints."""
    problems = [
        f"{part} is not an object"
        for part in ("metadata", "spec", "status")
        if not isinstance(node.get(part) or {}, dict)
    ]
    if problems:
        return problems
    for part, key in _NODE_MAPS:
        entries = (node.get(part) or {}).get(key) or {}
        if not isinstance(entries, dict) or not all(isinstance(value, str | int) for value in entries.values()):
            problems.append(f"{part}.{key} is not a map of strings")
        elif part == "status":
            problems += [
                f"{part}.{key}.{name}: {value!r} is not a quantity"
                for name, value in entries.items()
                if not _is_quantity(value)
            ]
    taints = (node.get("spec") or {}).get("taints") or []
    if not isinstance(taints, list) or not all(_is_taint(taint) for taint in taints):
        problems.append("spec.taints is not a list of taints (objects with a string key and effect)")
    return problems


def _is_quantity(value: str | int) -> bool:
    try:
        parse_quantity(value)
    except ValueError:
        return False
    return True


def _is_taint(taint: Any) -> bool:
    return (
        isinstance(taint, dict)
        and isinstance(taint.get("key"), str)
        and isinstance(taint.get("effect"), str)
        and isinstance(taint.get("value", ""), str)
    )
