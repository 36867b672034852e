"""Would kube-scheduler place this pod on this node? A pure-Python model of its filter phase.

:func:`check_fit` runs the default filter plugins whose verdict depends only on the pod, the
node and the pods already bound to it, with the rules of kube-scheduler and the API types:

* ``NodeUnschedulable``: a cordoned node (``spec.unschedulable``) admits only pods that
  tolerate the ``node.kubernetes.io/unschedulable:NoSchedule`` taint.
* ``NodeName``: a pod with ``spec.nodeName`` fits only the node of that name.
* ``TaintToleration``: every ``NoSchedule`` and ``NoExecute`` taint must be tolerated.
* ``NodeAffinity``: ``spec.nodeSelector`` and the required node affinity must both match.
* ``NodeResourcesFit``: the node's allocatable resources, less what the bound pods request,
  must cover what the pod requests, and the node must have room for one more pod.

Pods and nodes are plain dicts in the API's camelCase, as ``kubectl get -o json`` prints them.
Plugins that need more of the cluster (volumes, host ports, inter-pod affinity, topology
spread, dynamic resources) are not modelled. Quantities are exact
(:class:`fractions.Fraction`), rounded only where Kubernetes itself rounds.

:class:`NodeState` is the same model for many checks against one node: it keeps running
totals of what the pods bound to it request, so checking a pod costs the same however many
pods are bound. :func:`check_fit` is a one-off :class:`NodeState`.
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from gpumanifests._kube.names import is_label_value, is_qualified_name
from gpumanifests._kube.quantity import format_cpu, parse_quantity

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

__all__ = [
    "BLOCKING_EFFECTS",
    "RESOURCE_PLUGIN",
    "FitFailure",
    "FitResult",
    "NodeState",
    "check_fit",
    "free_resources",
    "has_blocking_taint",
    "matches_node_selector_term",
    "matches_node_selector_terms",
    "node_matches_pod_selection",
    "node_name",
    "node_requirement_arity_is_valid",
    "node_taints",
    "pod_requests",
    "taint_text",
    "tolerates",
    "toleration_for",
    "untolerated_taints",
]

BLOCKING_EFFECTS: frozenset[str] = frozenset({"NoSchedule", "NoExecute"})
"""The taint effects the ``TaintToleration`` filter enforces; ``PreferNoSchedule`` only scores."""
RESOURCE_PLUGIN = "NodeResourcesFit"
"""The :attr:`FitFailure.plugin` of resource failures; every other plugin ignores resources."""

_CORDON_TAINT = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}
_NATIVE_CHECKED = ("cpu", "memory", "ephemeral-storage")
_POD_LEVEL_RESOURCES = ("cpu", "memory")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_INTEGER = re.compile(r"[+-]?[0-9]+")
_MILLI = Fraction(1, 1000)
_CPU_SCALE = 1000
_CACHE_SIZE = 4096
_POD_REQUESTS: dict[str, dict[str, Fraction]] = {}
"""Requests by :func:`_requests_key`; emptied when full. Values are never handed out, only copies."""
_BINARY_UNITS = (("Ei", 2**60), ("Pi", 2**50), ("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10))


@dataclass(frozen=True)
class FitFailure:
    """One reason a filter plugin rejects the node, named as kube-scheduler names the plugin."""

    plugin: str
    message: str

    def __str__(self) -> str:
        return f"{self.plugin}: {self.message}"


@dataclass(frozen=True)
class FitResult:
    """The filter phase's verdict: true exactly when no plugin rejects the node."""

    reasons: tuple[FitFailure, ...] = ()

    def __bool__(self) -> bool:
        return not self.reasons

    def __str__(self) -> str:
        return "fits" if self else "; ".join(str(reason) for reason in self.reasons)


def check_fit(
    pod_spec: Mapping[str, Any],
    node: Mapping[str, Any],
    *,
    existing_pods: Sequence[Mapping[str, Any]] = (),
) -> FitResult:
    """Run kube-scheduler's filters for ``pod_spec`` against ``node`` and report every failure.

    ``existing_pods`` are the PodSpecs already bound to the node; they use up its allocatable
    resources and pod slots. Requests are taken after API defaulting (a container resource
    with a limit but no request requests its limit), because the scheduler only ever sees
    defaulted pods. A node without ``status.allocatable`` is not checked for resources.
    Raises ``ValueError`` naming any malformed quantity.
    """
    return NodeState(node, existing_pods).check(pod_spec)


class NodeState:
    """A node and the pods bound to it, for checking many pods against it.

    The same filters as :func:`check_fit` (``NodeState(node, pods).check(pod)`` is
    ``check_fit(pod, node, existing_pods=pods)``), with the node's allocatable parsed once and
    running totals of the bound pods' requests, so a check does not re-add every bound pod.
    Quantities are parsed when a resource check first needs them, so errors surface exactly
    where :func:`check_fit` raises them. A pod's requests are computed once per pod-spec
    object for the life of the state: do not change a pod spec while a state holds it.
    """

    def __init__(self, node: Mapping[str, Any], pods: Iterable[Mapping[str, Any]] = ()) -> None:
        self.node = node
        self._bound = 0
        self._pending: list[tuple[Mapping[str, Any], Mapping[str, Fraction] | None]] = []
        self._loaded = False
        self._allocatable: dict[str, int] | None = None  # scheduler units: millicores for cpu
        self._allowed = 0
        self._used: dict[str, int] = {}
        self._memo: dict[int, tuple[Mapping[str, Any], Mapping[str, int]]] = {}
        for pod in pods:
            self.bind(pod)

    def bind(self, pod_spec: Mapping[str, Any], *, requests: Mapping[str, Fraction] | None = None) -> None:
        """Count ``pod_spec`` as running on the node (whether or not it fits).

        ``requests``, when given, must be ``pod_requests(pod_spec)``; it saves recomputing them.
        """
        self._bound += 1
        if not self._loaded:
            self._pending.append((pod_spec, requests))
        elif self._allocatable is not None:
            self._add(self._used, self._units(pod_spec, requests))

    def unbind(self, pod_spec: Mapping[str, Any], *, requests: Mapping[str, Fraction] | None = None) -> None:
        """Stop counting one pod bound with :meth:`bind` (the same ``pod_spec`` and ``requests``)."""
        self._bound -= 1
        if not self._loaded:
            self._pending.remove((pod_spec, requests))
        elif self._allocatable is not None:
            for name, amount in self._units(pod_spec, requests).items():
                self._used[name] -= amount

    def check(self, pod_spec: Mapping[str, Any], *, requests: Mapping[str, Fraction] | None = None) -> FitResult:
        """Every filter's verdict for ``pod_spec`` on the node with its bound pods (see :func:`check_fit`)."""
        return FitResult(self.admission(pod_spec) + self.resource_failures(pod_spec, requests=requests))

    def admission(self, pod_spec: Mapping[str, Any]) -> tuple[FitFailure, ...]:
        """The failures of the filters that ignore resources: NodeUnschedulable, NodeName,
        TaintToleration and NodeAffinity. They depend on the pod and the node only, never on
        the bound pods.
        """
        node = self.node
        verdicts = (
            ("NodeUnschedulable", _unschedulable_failures(pod_spec, node)),
            ("NodeName", _node_name_failures(pod_spec, node)),
            ("TaintToleration", _taint_failures(pod_spec, node)),
            ("NodeAffinity", _affinity_failures(pod_spec, node)),
        )
        return tuple(FitFailure(plugin, message) for plugin, messages in verdicts for message in messages)

    def resource_failures(
        self, pod_spec: Mapping[str, Any], *, requests: Mapping[str, Fraction] | None = None
    ) -> tuple[FitFailure, ...]:
        """The ``NodeResourcesFit`` failures: pod slots and requests against what is free.

        ``requests``, when given, must be ``pod_requests(pod_spec)``.
        """
        self._load()
        allocatable = self._allocatable
        if allocatable is None:
            return ()
        failures = []
        allowed, bound = self._allowed, self._bound
        if bound + 1 > allowed:
            failures.append(f"Too many pods: allocatable pods is {allowed}, {bound} already bound")
        used = self._used
        for name, requested in sorted(self._units(pod_spec, requests).items()):
            offered = allocatable.get(name, 0)
            free = offered - used.get(name, 0)
            if requested > 0 and requested > free:
                failures.append(
                    f"Insufficient {name}: requested {_amount(name, _from_units(name, requested))}, "
                    f"free {_amount(name, _from_units(name, free))} of {_amount(name, _from_units(name, offered))}"
                )
        return tuple(FitFailure(RESOURCE_PLUGIN, message) for message in failures)

    def free(self) -> dict[str, Fraction]:
        """What the node still offers the scheduler (see :func:`free_resources`)."""
        self._load()
        allocatable, used = self._allocatable, self._used
        if allocatable is None:
            return {}
        free = {name: _from_units(name, allocatable.get(name, 0) - used.get(name, 0)) for name in allocatable | used}
        free["pods"] = Fraction(self._allowed - self._bound)
        return free

    def _load(self) -> None:
        """Parse allocatable and account the pods bound so far, in :func:`check_fit`'s order."""
        if self._loaded:
            return
        allocatable = _allocatable(self.node)
        if allocatable is not None:
            used: dict[str, int] = {}
            for pod, requests in self._pending:
                self._add(used, self._units(pod, requests))
            self._allowed = _allowed_pods(allocatable)
            self._allocatable = {name: _to_units(name, amount) for name, amount in allocatable.items()}
            self._used = used
        self._pending = []
        self._loaded = True

    def _units(self, pod_spec: Mapping[str, Any], requests: Mapping[str, Fraction] | None) -> Mapping[str, int]:
        """The pod's requests in scheduler units (integers), computed once per pod-spec (or requests) object."""
        source: Mapping[str, Any] = pod_spec if requests is None else requests
        memo = self._memo.get(id(source))
        if memo is None or memo[0] is not source:  # the memo keeps ``source`` alive, so its id stays its own
            memo = (source, _request_units(pod_requests(pod_spec) if requests is None else requests))
            self._memo[id(source)] = memo
        return memo[1]

    @staticmethod
    def _add(total: dict[str, int], units: Mapping[str, int]) -> None:
        for name, amount in units.items():
            total[name] = total.get(name, 0) + amount


# --- NodeUnschedulable and NodeName ------------------------------------------------------------


def _unschedulable_failures(pod_spec: Mapping[str, Any], node: Mapping[str, Any]) -> list[str]:
    if not _spec(node).get("unschedulable"):
        return []
    if any(tolerates(toleration, _CORDON_TAINT) for toleration in _list(pod_spec, "tolerations")):
        return []
    return [f"the node is cordoned (spec.unschedulable); the pod does not tolerate {taint_text(_CORDON_TAINT)}"]


def _node_name_failures(pod_spec: Mapping[str, Any], node: Mapping[str, Any]) -> list[str]:
    wanted = pod_spec.get("nodeName") or ""
    if not wanted or wanted == node_name(node):
        return []
    return [f"the pod is bound to node {wanted!r} by spec.nodeName, not to {node_name(node)!r}"]


# --- TaintToleration ---------------------------------------------------------------------------


def tolerates(toleration: Mapping[str, Any], taint: Mapping[str, Any]) -> bool:
    """Whether one toleration tolerates one taint (``Toleration.ToleratesTaint`` in k8s.io/api).

    An empty toleration effect matches every taint effect, otherwise the effects must be equal.
    An empty toleration key matches every taint key, otherwise the keys must be equal; so
    ``{operator: Exists}`` tolerates everything. Operator ``Exists`` ignores the value;
    ``Equal`` (also the meaning of an empty operator) needs equal values, so an empty key with
    ``Equal`` tolerates every taint whose value equals the toleration's. Any other operator
    tolerates nothing. ``Gt`` and ``Lt`` exist only behind the TaintTolerationComparisonOperators
    feature gate (alpha in 1.35, off by default), and with the gate off ``ToleratesTaint``
    returns false for them: this model follows the default.
    """
    effect, key = toleration.get("effect") or "", toleration.get("key") or ""
    if (effect and effect != (taint.get("effect") or "")) or (key and key != (taint.get("key") or "")):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Equal":
        return (toleration.get("value") or "") == (taint.get("value") or "")
    return operator == "Exists"


def toleration_for(taint: Mapping[str, Any]) -> dict[str, str]:
    """The toleration that tolerates exactly ``taint``, as ``PodSpec.tolerations[]`` holds it.

    ``Equal`` with the taint's key, value and effect; ``Exists`` for a taint without a value.
    """
    key, value, effect = taint.get("key") or "", taint.get("value") or "", taint.get("effect") or ""
    if not value:
        return {"key": key, "operator": "Exists", "effect": effect}
    return {"key": key, "operator": "Equal", "value": value, "effect": effect}


def untolerated_taints(
    tolerations: Iterable[Mapping[str, Any]], taints: Iterable[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """The ``NoSchedule`` and ``NoExecute`` taints that no toleration tolerates, in node order.

    These are the taints that make the ``TaintToleration`` filter reject a node;
    ``PreferNoSchedule`` taints only lower the node's score and are never returned.
    """
    candidates = list(tolerations)
    return [
        taint
        for taint in taints
        if taint.get("effect") in BLOCKING_EFFECTS and not any(tolerates(t, taint) for t in candidates)
    ]


def has_blocking_taint(node: Mapping[str, Any]) -> bool:
    """Whether the node has a ``NoSchedule`` or ``NoExecute`` taint, which keeps off every pod
    that does not tolerate it (``PreferNoSchedule`` taints do not count).
    """
    return any(taint.get("effect") in BLOCKING_EFFECTS for taint in node_taints(node))


def _taint_failures(pod_spec: Mapping[str, Any], node: Mapping[str, Any]) -> list[str]:
    taints = untolerated_taints(_list(pod_spec, "tolerations"), node_taints(node))
    return [
        f"untolerated taint {taint_text(taint)} (it keeps off pods without the toleration "
        f"{json.dumps(toleration_for(taint))})"
        for taint in taints
    ]


def taint_text(taint: Mapping[str, Any]) -> str:
    """A taint as ``kubectl taint`` writes it: ``key=value:Effect``, or ``key:Effect`` without value."""
    value = taint.get("value") or ""
    return f"{taint.get('key') or ''}{'=' + value if value else ''}:{taint.get('effect') or ''}"


# --- NodeAffinity ------------------------------------------------------------------------------


def node_matches_pod_selection(pod_spec: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """Whether the node satisfies the pod's ``nodeSelector`` AND its required node affinity.

    Every ``nodeSelector`` entry needs a node label with that key and exactly that value. The
    required affinity (``affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution``)
    must match per :func:`matches_node_selector_terms` when present; absent, it matches every
    node. Preferred affinity only scores nodes and never filters them out.
    """
    return not _affinity_failures(pod_spec, node)


def matches_node_selector_terms(terms: Sequence[Mapping[str, Any]] | None, node: Mapping[str, Any]) -> bool:
    """Whether ``node`` matches a NodeSelector's ``nodeSelectorTerms``: the terms are ORed.

    An empty (or null) list of terms matches no node; see :func:`matches_node_selector_term`.
    """
    return any(matches_node_selector_term(term, node) for term in terms or ())


def matches_node_selector_term(term: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """Whether ``node`` matches one NodeSelectorTerm: its requirements are ANDed.

    A term without ``matchExpressions`` and ``matchFields`` matches nothing. An invalid
    requirement (bad label key or value, unknown operator, wrong number of values, a ``Gt`` or
    ``Lt`` value that is not an integer) makes the whole term match nothing, as the scheduler
    ignores terms that fail to parse. ``matchFields`` take ``In`` or ``NotIn`` with exactly one
    value and compare node fields, of which only ``metadata.name`` exists; as upstream, they
    are not evaluated for a node without a name.
    """
    expressions, fields = _list(term, "matchExpressions"), _list(term, "matchFields")
    if not expressions and not fields:
        return False
    if not all(map(_valid_label_requirement, expressions)) or not all(map(_valid_field_requirement, fields)):
        return False
    labels = _labels(node)
    if not all(_label_requirement_matches(requirement, labels) for requirement in expressions):
        return False
    node_fields = {"metadata.name": node_name(node)} if node_name(node) else {}
    return not node_fields or all(_field_requirement_matches(r, node_fields) for r in fields)


def _affinity_failures(pod_spec: Mapping[str, Any], node: Mapping[str, Any]) -> list[str]:
    labels = _labels(node)
    failures = [
        _selector_mismatch(key, value, node, labels)
        for key, value in (pod_spec.get("nodeSelector") or {}).items()
        if labels.get(key) != value
    ]
    required = ((pod_spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    if required is not None and not matches_node_selector_terms(required.get("nodeSelectorTerms"), node):
        failures.append(_required_affinity_mismatch(required.get("nodeSelectorTerms") or (), node))
    return failures


def _selector_mismatch(key: str, value: str, node: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    found = f"it has {key}={labels[key]}" if key in labels else "it has no such label"
    return f"nodeSelector {key}={value} does not match node {node_name(node)!r}: {found}"


def _required_affinity_mismatch(terms: Sequence[Mapping[str, Any]], node: Mapping[str, Any]) -> str:
    if not terms:
        return "required node affinity has no nodeSelectorTerms, so it matches no node"
    return (
        f"none of the {len(terms)} required node affinity term(s) matches node {node_name(node)!r} "
        f"with labels {dict(sorted(_labels(node).items()))}"
    )


def _valid_label_requirement(requirement: Mapping[str, Any]) -> bool:
    """``labels.NewRequirement``'s checks for a NodeSelectorRequirement in ``matchExpressions``."""
    key, operator, values = _requirement_parts(requirement)
    return (
        node_requirement_arity_is_valid(operator, values)
        and is_qualified_name(key)
        and all(map(is_label_value, values))
    )


def node_requirement_arity_is_valid(operator: str, values: Sequence[str]) -> bool:
    """In and NotIn need values, Exists and DoesNotExist none, Gt and Lt exactly one integer (int64)."""
    if operator in ("In", "NotIn"):
        return bool(values)
    if operator in ("Exists", "DoesNotExist"):
        return not values
    if operator in ("Gt", "Lt"):
        return len(values) == 1 and _parse_int64(values[0]) is not None
    return False


def _label_requirement_matches(requirement: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    key, operator, values = _requirement_parts(requirement)
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    if operator == "NotIn":
        return labels.get(key) not in values
    if key not in labels:
        return False
    if operator == "In":
        return labels[key] in values
    return _compare_integers(labels[key], operator, values[0])


def _valid_field_requirement(requirement: Mapping[str, Any]) -> bool:
    _, operator, values = _requirement_parts(requirement)
    return operator in ("In", "NotIn") and len(values) == 1


def _field_requirement_matches(requirement: Mapping[str, Any], fields: Mapping[str, str]) -> bool:
    key, operator, values = _requirement_parts(requirement)
    return (fields.get(key, "") == values[0]) == (operator == "In")


def _requirement_parts(requirement: Mapping[str, Any]) -> tuple[str, str, list[str]]:
    return (
        requirement.get("key") or "",
        requirement.get("operator") or "",
        list(requirement.get("values") or ()),
    )


def _compare_integers(left: str, operator: str, right: str) -> bool:
    """``left > right`` for ``Gt``, ``left < right`` for ``Lt``; false unless both are int64."""
    left_number, right_number = _parse_int64(left), _parse_int64(right)
    if left_number is None or right_number is None:
        return False
    return left_number > right_number if operator == "Gt" else left_number < right_number


def _parse_int64(text: str) -> int | None:
    """Go's ``strconv.ParseInt(text, 10, 64)``: ASCII digits, optional sign, within int64."""
    if not _INTEGER.fullmatch(text):
        return None
    number = int(text)
    return number if _INT64_MIN <= number <= _INT64_MAX else None


# --- NodeResourcesFit --------------------------------------------------------------------------


def pod_requests(pod_spec: Mapping[str, Any]) -> dict[str, Fraction]:
    """The pod's effective resource requests, as ``PodRequests`` computes them for the scheduler.

    Regular containers run together, so their requests add up. Init containers run one after
    another before them: each non-restartable init container needs its own request plus those
    of the restartable (``restartPolicy: Always``, sidecar) init containers started before it,
    and sidecars keep running next to the regular containers, so they are added to the sum.
    The pod needs the larger of the two, per resource. Pod-level requests (``spec.resources``,
    for cpu, memory and hugepages; PodLevelResources, on by default since Kubernetes 1.34)
    replace the containers' total, and ``overhead`` is added on top. API defaulting comes first:
    a container resource with a limit and no request requests its limit, and every amount is
    rounded up to a milli unit.
    """
    key = _requests_key(pod_spec)
    requests = _POD_REQUESTS.get(key)
    if requests is None:
        requests = _pod_requests(pod_spec)
        if len(_POD_REQUESTS) >= _CACHE_SIZE:
            _POD_REQUESTS.clear()
        _POD_REQUESTS[key] = requests
    return dict(requests)


def _requests_key(pod_spec: Mapping[str, Any]) -> str:
    """Everything of a pod spec that :func:`pod_requests` reads, as text: equal text, equal requests."""
    return repr(
        (
            [container.get("resources") for container in _list(pod_spec, "containers")],
            [
                (container.get("resources"), container.get("restartPolicy"))
                for container in _list(pod_spec, "initContainers")
            ],
            pod_spec.get("resources"),
            pod_spec.get("overhead"),
        )
    )


def _pod_requests(pod_spec: Mapping[str, Any]) -> dict[str, Fraction]:
    running: dict[str, Fraction] = {}
    for container in _list(pod_spec, "containers"):
        running = _added(running, _container_requests(container))
    sidecars: dict[str, Fraction] = {}
    init_peak: dict[str, Fraction] = {}
    for container in _list(pod_spec, "initContainers"):
        requests = _container_requests(container)
        if container.get("restartPolicy") == "Always":
            running, sidecars = _added(running, requests), _added(sidecars, requests)
            init_peak = _maximum(init_peak, sidecars)
        else:
            init_peak = _maximum(init_peak, _added(requests, sidecars))
    total = _with_pod_level_requests(_maximum(running, init_peak), pod_spec.get("resources") or {})
    return _added(total, _resource_list(pod_spec.get("overhead")))


def free_resources(node: Mapping[str, Any], existing_pods: Sequence[Mapping[str, Any]] = ()) -> dict[str, Fraction]:
    """What the node still offers the scheduler: allocatable less the bound pods' requests.

    Amounts are in the scheduler's units (cpu in whole millicores, everything else in whole
    units, rounded up); ``pods`` counts the free pod slots. A resource the bound pods request
    but the node does not offer shows as negative. A node without ``status.allocatable``
    offers nothing to compare against and yields an empty dict.
    """
    return NodeState(node, existing_pods).free()


def _container_requests(container: Mapping[str, Any]) -> dict[str, Fraction]:
    """The container's requests after API defaulting: a limit without a request becomes the request."""
    resources = container.get("resources") or {}
    return _resource_list(resources.get("limits")) | _resource_list(resources.get("requests"))


def _with_pod_level_requests(total: dict[str, Fraction], pod_resources: Mapping[str, Any]) -> dict[str, Fraction]:
    """Pod-level ``spec.resources`` (PodLevelResources): its requests replace the containers' total.

    As API defaulting does, a pod-level limit stands in for a missing pod-level request when no
    container requests that resource (for hugepages, always).
    """
    requests, limits = (
        _resource_list(pod_resources.get("requests")),
        _resource_list(pod_resources.get("limits")),
    )
    defaulted = {
        name: limit
        for name, limit in limits.items()
        if _pod_level(name) and (name not in total or name not in _POD_LEVEL_RESOURCES)
    }
    overrides = defaulted | {name: amount for name, amount in requests.items() if _pod_level(name)}
    return total | overrides


def _pod_level(name: str) -> bool:
    return name in _POD_LEVEL_RESOURCES or name.startswith("hugepages-")


def _resource_list(resources: Mapping[str, Any] | None) -> dict[str, Fraction]:
    """A ResourceList as the API server stores it: every amount rounded up to a milli unit."""
    return {name: _stored_amount(value) for name, value in (resources or {}).items()}


def _stored_amount(value: Any) -> Fraction:
    """One amount of a ResourceList, rounded up to a milli unit (cached for strings)."""
    if isinstance(value, str):
        return _stored_text(value)
    return _round_up(parse_quantity(value), _MILLI)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _stored_text(value: str) -> Fraction:
    return _round_up(parse_quantity(value), _MILLI)


def _allocatable(node: Mapping[str, Any]) -> dict[str, Fraction] | None:
    allocatable = (node.get("status") or {}).get("allocatable")
    if allocatable is None:
        return None
    resources = _resource_list(allocatable)
    return _scheduler_units(resources) | {"pods": _round_up(resources.get("pods", Fraction(0)), 1)}


def _allowed_pods(allocatable: Mapping[str, Fraction]) -> int:
    return int(allocatable["pods"])


def _request_units(requests: Mapping[str, Fraction]) -> Mapping[str, int]:
    """Requests as the scheduler accounts them, as integers: millicores for cpu, else whole units.

    The mapping is shared between equal requests: read it, never change it.
    """
    return _units_of(tuple(sorted(requests.items())))


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _units_of(requests: tuple[tuple[str, Fraction], ...]) -> Mapping[str, int]:
    return {name: _to_units(name, amount) for name, amount in _scheduler_units(dict(requests)).items()}


def _to_units(name: str, amount: Fraction) -> int:
    """An amount already rounded by :func:`_scheduler_units` as an exact integer count of its unit."""
    return int(amount * _CPU_SCALE) if name == "cpu" else int(amount)


def _from_units(name: str, units: int) -> Fraction:
    return Fraction(units, _CPU_SCALE) if name == "cpu" else Fraction(units)


def _scheduler_units(resources: Mapping[str, Fraction]) -> dict[str, Fraction]:
    """The resources kube-scheduler accounts for, rounded up as its ``framework.Resource`` does.

    cpu counts in whole millicores, memory, ephemeral-storage and scalar resources in whole
    units; other names (``pods`` among them) are not compared against allocatable.
    """
    return {
        name: _round_up(amount, _MILLI if name == "cpu" else 1)
        for name, amount in resources.items()
        if name in _NATIVE_CHECKED or _is_scalar_resource(name)
    }


def _is_scalar_resource(name: str) -> bool:
    """Hugepages, attachable volumes, ``*kubernetes.io/`` resources and extended resources."""
    return (
        name.startswith(("hugepages-", "attachable-volumes-"))
        or "kubernetes.io/" in name
        or _is_extended_resource(name)
    )


def _is_extended_resource(name: str) -> bool:
    """A resource outside ``kubernetes.io`` with a domain prefix, such as ``nvidia.com/gpu``."""
    return "/" in name and not name.startswith("requests.") and is_qualified_name(f"requests.{name}")


def _added(left: Mapping[str, Fraction], right: Mapping[str, Fraction]) -> dict[str, Fraction]:
    return {name: left.get(name, Fraction(0)) + right.get(name, Fraction(0)) for name in left.keys() | right.keys()}


def _maximum(left: Mapping[str, Fraction], right: Mapping[str, Fraction]) -> dict[str, Fraction]:
    larger = dict(left)
    for name, amount in right.items():
        if name not in larger or amount > larger[name]:
            larger[name] = amount
    return larger


def _round_up(amount: Fraction, step: Fraction | int) -> Fraction:
    """Round away from zero to a multiple of ``step``, as ``Quantity.RoundUp`` and ``Value`` do."""
    steps = math.ceil(abs(amount) / step)
    return Fraction(steps * step) if amount >= 0 else -Fraction(steps * step)


def _amount(name: str, amount: Fraction) -> str:
    if name == "cpu":
        return format_cpu(amount)
    if name in ("memory", "ephemeral-storage") or name.startswith("hugepages-"):
        return _bytes(amount)
    return str(amount)


def _bytes(amount: Fraction) -> str:
    for suffix, size in _BINARY_UNITS:
        if amount and amount % size == 0:
            return f"{amount / size}{suffix}"
    return str(amount)


# --- field access ------------------------------------------------------------------------------


def _spec(node: Mapping[str, Any]) -> Mapping[str, Any]:
    return node.get("spec") or {}


def node_name(node: Mapping[str, Any]) -> str:
    """A Node object's ``metadata.name`` ('' when absent)."""
    return str((node.get("metadata") or {}).get("name") or "")


def node_taints(node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A Node object's ``spec.taints``, in node order (empty when absent)."""
    return _list(_spec(node), "taints")


def _labels(node: Mapping[str, Any]) -> dict[str, str]:
    return dict((node.get("metadata") or {}).get("labels") or {})


def _list(owner: Mapping[str, Any], field: str) -> list[Mapping[str, Any]]:
    return list(owner.get(field) or ())
