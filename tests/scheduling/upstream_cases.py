"""The expectations of Kubernetes' own scheduler unit tests, as data for ``check_fit``.

Each case is a pod spec, a node, the pods already bound to the node, the filter plugins that
upstream expects to reject the node (none: the pod fits) and text the failure messages must
contain. Every group cites the kubernetes/kubernetes test it translates; case names keep the
upstream test names. Cases marked "derived" restate an upstream helper's expectation (a selector
match, an effective request) as a whole filter-phase verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

AFFINITY, TAINTS, FIT = "NodeAffinity", "TaintToleration", "NodeResourcesFit"
NAME, UNSCHEDULABLE = "NodeName", "NodeUnschedulable"


@dataclass(frozen=True)
class UpstreamCase:
    source: str
    name: str
    pod: dict[str, Any]
    node: dict[str, Any]
    rejected_by: tuple[str, ...] = ()
    existing: tuple[dict[str, Any], ...] = ()
    mentions: tuple[str, ...] = ()


def _node(
    name: str = "",
    labels: dict[str, str] | None = None,
    taints: tuple[dict[str, str], ...] = (),
    allocatable: dict[str, str] | None = None,
    unschedulable: bool = False,
) -> dict[str, Any]:
    node: dict[str, Any] = {"metadata": {"name": name, "labels": labels or {}}, "spec": {"taints": list(taints)}}
    if unschedulable:
        node["spec"]["unschedulable"] = True
    if allocatable is not None:
        node["status"] = {"allocatable": allocatable}
    return node


def _expr(key: str, operator: str, *values: str) -> dict[str, Any]:
    return {"key": key, "operator": operator, "values": list(values)}


def _name_field(operator: str, *values: str) -> dict[str, Any]:
    return _expr("metadata.name", operator, *values)


def _term(*expressions: dict[str, Any], fields: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    return {"matchExpressions": list(expressions), "matchFields": list(fields)}


def _required(*terms: dict[str, Any], node_selector: dict[str, str] | None = None) -> dict[str, Any]:
    required = {"nodeSelectorTerms": list(terms)}
    pod: dict[str, Any] = {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": required}}}
    if node_selector is not None:
        pod["nodeSelector"] = node_selector
    return pod


def _taint(key: str, value: str, effect: str) -> dict[str, str]:
    return {"key": key, "value": value, "effect": effect}


def _toleration(key: str, operator: str, value: str, effect: str) -> dict[str, str]:
    return {"key": key, "operator": operator, "value": value, "effect": effect}


def _tolerating(*tolerations: dict[str, str]) -> dict[str, Any]:
    return {"tolerations": list(tolerations)}


# --- kubernetes/kubernetes pkg/scheduler/framework/plugins/nodeaffinity/node_affinity_test.go
# TestNodeAffinity (the cases without scheduler-configured addedAffinity)
_SRC = "node_affinity_test.go"
_GPU_EXISTS = _expr("GPU", "Exists")
NODE_AFFINITY = [
    UpstreamCase(_SRC, "missing labels", {"nodeSelector": {"foo": "bar"}}, _node(), (AFFINITY,)),
    UpstreamCase(_SRC, "same labels", {"nodeSelector": {"foo": "bar"}}, _node(labels={"foo": "bar"})),
    UpstreamCase(
        _SRC, "node labels are superset", {"nodeSelector": {"foo": "bar"}}, _node(labels={"foo": "bar", "baz": "blah"})
    ),
    UpstreamCase(
        _SRC,
        "node labels are subset",
        {"nodeSelector": {"foo": "bar", "baz": "blah"}},
        _node(labels={"foo": "bar"}),
        (AFFINITY,),
        mentions=("baz=blah",),
    ),
    UpstreamCase(
        _SRC,
        "Pod with matchExpressions using In operator that matches the existing node",
        _required(_term(_expr("foo", "In", "bar", "value2"))),
        _node(labels={"foo": "bar"}),
    ),
    UpstreamCase(
        _SRC,
        "Pod with matchExpressions using Gt operator that matches the existing node",
        _required(_term(_expr("kernel-version", "Gt", "0204"))),
        _node(labels={"kernel-version": "0206"}),
    ),
    UpstreamCase(
        _SRC,
        "Pod with matchExpressions using NotIn operator that matches the existing node",
        _required(_term(_expr("mem-type", "NotIn", "DDR", "DDR2"))),
        _node(labels={"mem-type": "DDR3"}),
    ),
    UpstreamCase(
        _SRC,
        "Pod with matchExpressions using Exists operator that matches the existing node",
        _required(_term(_GPU_EXISTS)),
        _node(labels={"GPU": "NVIDIA-GRID-K1"}),
    ),
    UpstreamCase(
        _SRC,
        "Pod with affinity that don't match node's labels won't schedule onto the node",
        _required(_term(_expr("foo", "In", "value1", "value2"))),
        _node(labels={"foo": "bar"}),
        (AFFINITY,),
    ),
    UpstreamCase(
        _SRC,
        "Pod with empty MatchExpressions is not a valid value will match no objects",
        _required({"matchExpressions": []}),
        _node(labels={"foo": "bar"}),
        (AFFINITY,),
    ),
    UpstreamCase(_SRC, "Pod with no Affinity will schedule onto a node", {}, _node(labels={"foo": "bar"})),
    UpstreamCase(
        _SRC,
        "Pod with Affinity but nil NodeSelector will schedule onto a node",
        {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": None}}},
        _node(labels={"foo": "bar"}),
    ),
    UpstreamCase(
        _SRC,
        "Pod with multiple matchExpressions ANDed that matches the existing node",
        _required(_term(_GPU_EXISTS, _expr("GPU", "NotIn", "AMD", "INTER"))),
        _node(labels={"GPU": "NVIDIA-GRID-K1"}),
    ),
    UpstreamCase(
        _SRC,
        "Pod with multiple matchExpressions ANDed that doesn't match the existing node",
        _required(_term(_GPU_EXISTS, _expr("GPU", "In", "AMD", "INTER"))),
        _node(labels={"GPU": "NVIDIA-GRID-K1"}),
        (AFFINITY,),
    ),
    UpstreamCase(
        _SRC,
        "Pod with multiple NodeSelectorTerms ORed in affinity, matches the node's labels",
        _required(_term(_expr("foo", "In", "bar", "value2")), _term(_expr("diffkey", "In", "wrong", "value2"))),
        _node(labels={"foo": "bar"}),
    ),
    UpstreamCase(
        _SRC,
        "Pod with an Affinity and a PodSpec.NodeSelector both satisfied",
        _required(_term(_expr("foo", "Exists")), node_selector={"foo": "bar"}),
        _node(labels={"foo": "bar"}),
    ),
    UpstreamCase(
        _SRC,
        "Pod with an Affinity matches node's labels but the PodSpec.NodeSelector is not satisfied",
        _required(_term(_expr("foo", "Exists")), node_selector={"foo": "bar"}),
        _node(labels={"foo": "barrrrrr"}),
        (AFFINITY,),
        mentions=("foo=barrrrrr",),
    ),
    UpstreamCase(
        _SRC,
        "Pod with an invalid value in Affinity term won't be scheduled onto the node",
        _required(_term(_expr("foo", "NotIn", "invalid value: ___@#$%^"))),
        _node(labels={"foo": "bar"}),
        (AFFINITY,),
    ),
    UpstreamCase(
        _SRC,
        "Pod with matchFields using In operator that matches the existing node",
        _required(_term(fields=(_name_field("In", "node1"),))),
        _node("node1"),
    ),
    UpstreamCase(
        _SRC,
        "Pod with matchFields using In operator that does not match the existing node",
        _required(_term(fields=(_name_field("In", "node1"),))),
        _node("node2"),
        (AFFINITY,),
    ),
    UpstreamCase(
        _SRC,
        "Pod with two terms: matchFields does not match, but matchExpressions matches",
        _required(
            _term(fields=(_name_field("In", "node1"), _name_field("In", "node2"))), _term(_expr("foo", "In", "bar"))
        ),
        _node("node2", {"foo": "bar"}),
    ),
    UpstreamCase(
        _SRC,
        "Pod with one term: matchFields does not match, but matchExpressions matches",
        _required(_term(_expr("foo", "In", "bar"), fields=(_name_field("In", "node1"),))),
        _node("node2", {"foo": "bar"}),
        (AFFINITY,),
    ),
    UpstreamCase(
        _SRC,
        "Pod with one term: both matchFields and matchExpressions match",
        _required(_term(_expr("foo", "In", "bar"), fields=(_name_field("In", "node1"),))),
        _node("node1", {"foo": "bar"}),
    ),
    UpstreamCase(
        _SRC,
        "Pod with two terms: both matchFields and matchExpressions do not match",
        _required(_term(fields=(_name_field("In", "node1"),)), _term(_expr("foo", "In", "not-match-to-bar"))),
        _node("node2", {"foo": "bar"}),
        (AFFINITY,),
    ),
    UpstreamCase(
        _SRC,
        "Pod with two terms of node.Name affinity",
        _required(_term(fields=(_name_field("In", "node1"),)), _term(fields=(_name_field("In", "node2"),))),
        _node("node2"),
    ),
    UpstreamCase(
        _SRC,
        "Pod with two conflicting mach field requirements",
        _required(_term(fields=(_name_field("In", "node1"), _name_field("In", "node2")))),
        _node("node2", {"foo": "bar"}),
        (AFFINITY,),
    ),
]

# --- kubernetes/kubernetes staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity_test.go
# TestPodMatchesNodeSelectorAndAffinityTerms (cases not already in TestNodeAffinity above),
# TestNodeSelectorMatch (through LazyErrorNodeSelector, as the scheduler matches) and
# TestNodeSelectorRequirementsAsSelector (a requirement that fails to parse voids its term)
_SRC = "nodeaffinity/nodeaffinity_test.go"
_LABEL_1 = _expr("label_1", "In", "label_1_val")
_HOST_1 = _name_field("In", "host_1")
_BROKEN_AND_VALID_TERMS = _required(
    _term(fields=(_name_field("In", "host_1", "host_2"),)),
    _term(_LABEL_1, fields=(_HOST_1,)),
    _term(_expr("invalid key", "In", "label_value")),
)
COMPONENT_HELPERS_NODE_AFFINITY = [
    UpstreamCase(_SRC, "no selector", {}, _node()),
    UpstreamCase(
        _SRC,
        "Pod with a nil []NodeSelectorTerm in affinity, can't match the node's labels",
        {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {}}}},
        _node(labels={"foo": "bar"}),
        (AFFINITY,),
    ),
    UpstreamCase(
        _SRC,
        "Pod with an empty []NodeSelectorTerm in affinity, can't match the node's labels",
        _required(),
        _node(labels={"foo": "bar"}),
        (AFFINITY,),
    ),
    UpstreamCase(
        _SRC,
        "node matches field selector, but not labels",
        _required(_term(_LABEL_1, fields=(_HOST_1,))),
        _node("host_1"),
        (AFFINITY,),
    ),
    UpstreamCase(
        _SRC,
        "node matches field selector and label selector",
        _required(_term(_LABEL_1, fields=(_HOST_1,))),
        _node("host_1", {"label_1": "label_1_val"}),
    ),
    UpstreamCase(_SRC, "second term matches", _required(_term(_LABEL_1), _term(fields=(_HOST_1,))), _node("host_1")),
    UpstreamCase(
        _SRC,
        "derived: invalid field selector and label selector, a valid term still matches lazily",
        _BROKEN_AND_VALID_TERMS,
        _node("host_1", {"label_1": "label_1_val"}),
    ),
    UpstreamCase(
        _SRC,
        "derived: invalid field selector and label selector, only broken terms left to match",
        _BROKEN_AND_VALID_TERMS,
        _node("host_2", {"label_1": "label_1_val"}),
        (AFFINITY,),
    ),
    UpstreamCase(
        _SRC,
        "derived: Exists with values is a parse error",
        _required(_term(_expr("foo", "Exists", "bar", "baz"))),
        _node(labels={"foo": "bar"}),
        (AFFINITY,),
    ),
    UpstreamCase(
        _SRC, "derived: foo>1 selects foo=2", _required(_term(_expr("foo", "Gt", "1"))), _node(labels={"foo": "2"})
    ),
    UpstreamCase(
        _SRC, "derived: bar<7 selects bar=6", _required(_term(_expr("bar", "Lt", "7"))), _node(labels={"bar": "6"})
    ),
]

# --- kubernetes/kubernetes staging/src/k8s.io/component-helpers/scheduling/corev1/helpers_test.go
# TestMatchNodeSelectorTerms (each term list as the pod's required node affinity)
_SRC = "corev1/helpers_test.go"
COMPONENT_HELPERS_TERMS = [
    UpstreamCase(
        _SRC,
        "node label matches matchExpressions terms",
        _required(_term(_LABEL_1)),
        _node(labels={"label_1": "label_1_val"}),
    ),
    UpstreamCase(_SRC, "node field matches matchFields terms", _required(_term(fields=(_HOST_1,))), _node("host_1")),
    UpstreamCase(
        _SRC,
        "invalid node field requirement",
        _required(_term(fields=(_name_field("In", "host_1", "host_2"),))),
        _node("host_1"),
        (AFFINITY,),
    ),
    UpstreamCase(
        _SRC,
        "fieldSelectorTerm with node labels",
        _required(_term(fields=(_HOST_1,))),
        _node("not_host_1", {"metadata.name": "host_1"}),
        (AFFINITY,),
    ),
    UpstreamCase(
        _SRC,
        "labelSelectorTerm with node fields",
        _required(_term(_expr("metadata.name", "In", "host_1"))),
        _node("host_1"),
        (AFFINITY,),
    ),
    UpstreamCase(
        _SRC,
        "labelSelectorTerm and fieldSelectorTerm was set, but only node fields",
        _required(_term(_LABEL_1, fields=(_HOST_1,))),
        _node("host_1"),
        (AFFINITY,),
    ),
    UpstreamCase(
        _SRC,
        "labelSelectorTerm and fieldSelectorTerm was set, both node fields and labels (both matched)",
        _required(_term(_LABEL_1, fields=(_HOST_1,))),
        _node("host_1", {"label_1": "label_1_val"}),
    ),
    UpstreamCase(
        _SRC,
        "labelSelectorTerm and fieldSelectorTerm was set, both node fields and labels (one mismatched)",
        _required(_term(_LABEL_1, fields=(_HOST_1,))),
        _node("host_1", {"label_1": "label_1_val-failed"}),
        (AFFINITY,),
    ),
    UpstreamCase(
        _SRC,
        "multi-selector was set, both node fields and labels (one mismatched)",
        _required(_term(_LABEL_1), _term(fields=(_HOST_1,))),
        _node("host_1", {"label_1": "label_1_val-failed"}),
    ),
]

# --- kubernetes/kubernetes pkg/scheduler/framework/plugins/tainttoleration/taint_toleration_test.go
# TestTaintTolerationFilter; TestTaintTolerationScore and TestIsSchedulableAfterNodeChange,
# derived: nodes the scorer ranks are feasible, and queueing hints follow the filter's verdict
_SRC = "taint_toleration_test.go"
_USER1 = _taint("dedicated", "user1", "NoSchedule")
_USER2_TOLERATION = _toleration("dedicated", "Equal", "user2", "NoSchedule")
_ARM = _taint("cpu-type", "arm64", "PreferNoSchedule")
_SSD = _taint("disk-type", "ssd", "PreferNoSchedule")
TAINT_TOLERATION = [
    UpstreamCase(
        _SRC,
        "A pod having no tolerations can't be scheduled onto a node with nonempty taints",
        _tolerating(),
        _node("nodeA", taints=(_USER1,)),
        (TAINTS,),
        mentions=("dedicated=user1:NoSchedule",),
    ),
    UpstreamCase(
        _SRC,
        "A pod which can be scheduled on a dedicated node assigned to user1 with effect NoSchedule",
        _tolerating({"key": "dedicated", "value": "user1", "effect": "NoSchedule"}),
        _node("nodeA", taints=(_USER1,)),
    ),
    UpstreamCase(
        _SRC,
        "A pod which can't be scheduled on a dedicated node assigned to user2 with effect NoSchedule",
        _tolerating(_USER2_TOLERATION),
        _node("nodeA", taints=(_USER1,)),
        (TAINTS,),
        mentions=("dedicated=user1:NoSchedule",),
    ),
    UpstreamCase(
        _SRC,
        "A pod can be scheduled onto the node, with a toleration uses operator Exists that tolerates the taints",
        _tolerating({"key": "foo", "operator": "Exists", "effect": "NoSchedule"}),
        _node("nodeA", taints=(_taint("foo", "bar", "NoSchedule"),)),
    ),
    UpstreamCase(
        _SRC,
        "A pod has multiple tolerations, node has multiple taints, all the taints are tolerated",
        _tolerating(_USER2_TOLERATION, {"key": "foo", "operator": "Exists", "effect": "NoSchedule"}),
        _node("nodeA", taints=(_taint("dedicated", "user2", "NoSchedule"), _taint("foo", "bar", "NoSchedule"))),
    ),
    UpstreamCase(
        _SRC,
        "A pod has a toleration that keys and values match the taint on the node, but (non-empty) effect doesn't",
        _tolerating(_toleration("foo", "Equal", "bar", "PreferNoSchedule")),
        _node("nodeA", taints=(_taint("foo", "bar", "NoSchedule"),)),
        (TAINTS,),
        mentions=("foo=bar:NoSchedule",),
    ),
    UpstreamCase(
        _SRC,
        "The pod has a toleration that keys and values match the taint on the node, the effect of toleration is empty",
        _tolerating({"key": "foo", "operator": "Equal", "value": "bar"}),
        _node("nodeA", taints=(_taint("foo", "bar", "NoSchedule"),)),
    ),
    UpstreamCase(
        _SRC,
        "The pod has a toleration that key and value don't match the taint, but the taint is PreferNoSchedule",
        _tolerating(_USER2_TOLERATION),
        _node("nodeA", taints=(_taint("dedicated", "user1", "PreferNoSchedule"),)),
    ),
    UpstreamCase(
        _SRC,
        "The pod has no toleration, but the effect of taint on node is PreferNoSchedule",
        _tolerating(),
        _node("nodeA", taints=(_taint("dedicated", "user1", "PreferNoSchedule"),)),
    ),
    UpstreamCase(
        _SRC,
        "derived score: node with an intolerable PreferNoSchedule taint is still feasible",
        _tolerating(_toleration("foo", "Equal", "bar", "PreferNoSchedule")),
        _node("nodeB", taints=(_taint("foo", "blah", "PreferNoSchedule"),)),
    ),
    UpstreamCase(
        _SRC,
        "derived score: the more intolerable taints a node has, the lower its score, but it stays feasible",
        _tolerating(_toleration("foo", "Equal", "bar", "PreferNoSchedule")),
        _node("nodeC", taints=(_ARM, _SSD)),
    ),
    UpstreamCase(
        _SRC,
        "derived score: NoSchedule taints tolerated by NoSchedule tolerations",
        _tolerating(
            _toleration("cpu-type", "Equal", "arm64", "NoSchedule"),
            _toleration("disk-type", "Equal", "ssd", "NoSchedule"),
        ),
        _node("nodeB", taints=(_taint("cpu-type", "arm64", "NoSchedule"),)),
    ),
    UpstreamCase(
        _SRC,
        "derived score: no tolerations, a PreferNoSchedule taint only lowers the score",
        _tolerating(),
        _node("nodeB", taints=(_ARM,)),
    ),
    UpstreamCase(
        _SRC,
        "derived hint: skip-queue-on-untoleratedtaint-node-added",
        _tolerating(_USER2_TOLERATION),
        _node("nodeA", taints=(_USER1,)),
        (TAINTS,),
    ),
    UpstreamCase(
        _SRC,
        "derived hint: queue-on-toleratedtaint-node-added",
        _tolerating(_USER2_TOLERATION),
        _node("nodeA", taints=(_taint("dedicated", "user2", "NoSchedule"),)),
    ),
    UpstreamCase(
        _SRC,
        "derived hint: skip-unrelated-change",
        _tolerating(_USER2_TOLERATION),
        _node("nodeA", taints=(_USER1, _taint("dedicated", "user3", "NoSchedule"))),
        (TAINTS,),
        mentions=("dedicated=user1:NoSchedule", "dedicated=user3:NoSchedule"),
    ),
]

# --- kubernetes/kubernetes staging/src/k8s.io/api/core/v1/toleration_test.go
# TestTolerationToleratesTaint (one toleration against a node carrying the one taint)
_SRC = "core/v1/toleration_test.go"
_SLA = "node.kubernetes.io/sla"


def _toleration_case(name: str, toleration: dict[str, str], taint: dict[str, str], tolerated: bool) -> UpstreamCase:
    return UpstreamCase(_SRC, name, _tolerating(toleration), _node(taints=(taint,)), () if tolerated else (TAINTS,))


TOLERATION = [
    _toleration_case(
        "same key and effect, operator Exists, taint has no value",
        {"key": "foo", "operator": "Exists", "effect": "NoSchedule"},
        {"key": "foo", "effect": "NoSchedule"},
        tolerated=True,
    ),
    _toleration_case(
        "same key and effect, operator Exists, taint has some value",
        {"key": "foo", "operator": "Exists", "effect": "NoSchedule"},
        _taint("foo", "bar", "NoSchedule"),
        tolerated=True,
    ),
    _toleration_case(
        "same effect, empty key and operator Exists matches all taints",
        {"key": "", "operator": "Exists", "effect": "NoSchedule"},
        _taint("foo", "bar", "NoSchedule"),
        tolerated=True,
    ),
    _toleration_case(
        "same key, effect and value, operator Equal",
        _toleration("foo", "Equal", "bar", "NoSchedule"),
        _taint("foo", "bar", "NoSchedule"),
        tolerated=True,
    ),
    _toleration_case(
        "same key and effect but different values, operator Equal",
        _toleration("foo", "Equal", "value1", "NoSchedule"),
        _taint("foo", "value2", "NoSchedule"),
        tolerated=False,
    ),
    _toleration_case(
        "same key and value but different effects, operator Equal",
        _toleration("foo", "Equal", "bar", "NoSchedule"),
        _taint("foo", "bar", "NoExecute"),
        tolerated=False,
    ),
    # The Gt/Lt cases come from the upstream test of a later release, where the alpha feature gate
    # TaintTolerationComparisonOperators compares the values as integers. In the pinned Kubernetes
    # 1.33 a toleration operator is only Equal or Exists, and Toleration.ToleratesTaint returns
    # false for any other operator: so every Gt/Lt case is untolerated here, whatever the values.
    _toleration_case(
        "Gt operator, taint value less than toleration value",
        _toleration(_SLA, "Gt", "950", "NoSchedule"),
        _taint(_SLA, "800", "NoSchedule"),
        tolerated=False,
    ),
    _toleration_case(
        "Gt operator, taint value greater than toleration value",
        _toleration(_SLA, "Gt", "750", "NoSchedule"),
        _taint(_SLA, "950", "NoSchedule"),
        tolerated=False,  # upstream (gate on): True; no Gt operator in 1.33, see above
    ),
    _toleration_case(
        "Lt operator, taint value greater than toleration value",
        _toleration(_SLA, "Lt", "800", "NoSchedule"),
        _taint(_SLA, "950", "NoSchedule"),
        tolerated=False,
    ),
    _toleration_case(
        "Lt operator, taint value less than toleration value",
        _toleration(_SLA, "Lt", "950", "NoSchedule"),
        _taint(_SLA, "800", "NoSchedule"),
        tolerated=False,  # upstream (gate on): True; no Lt operator in 1.33, see above
    ),
    _toleration_case(
        "Gt operator and taint with equal numeric value",
        _toleration(_SLA, "Gt", "950", "NoSchedule"),
        _taint(_SLA, "950", "NoSchedule"),
        tolerated=False,
    ),
    _toleration_case(
        "Gt operator and taint with non-numeric value",
        _toleration(_SLA, "Gt", "950", "NoSchedule"),
        _taint(_SLA, "high", "NoSchedule"),
        tolerated=False,
    ),
    _toleration_case(
        "Gt operator and negative numeric values, taint value less than threshold",
        _toleration("test-key", "Gt", "-100", "NoSchedule"),
        _taint("test-key", "-200", "NoSchedule"),
        tolerated=False,
    ),
    _toleration_case(
        "Gt operator and large int64 values, taint value less than threshold",
        _toleration("test-key", "Gt", "9223372036854775806", "NoSchedule"),
        _taint("test-key", "100", "NoSchedule"),
        tolerated=False,
    ),
]

# --- kubernetes/kubernetes staging/src/k8s.io/component-helpers/scheduling/corev1/helpers_test.go
# TestFindMatchingUntoleratedTaint (the scheduler's filter keeps NoSchedule and NoExecute taints)
_SRC = "corev1/helpers_test.go"
_FOO_EXISTS = {"key": "foo", "operator": "Exists", "effect": "NoSchedule"}
UNTOLERATED_TAINT = [
    UpstreamCase(_SRC, "empty tolerations tolerate empty taints", _tolerating(), _node()),
    UpstreamCase(_SRC, "non-empty tolerations tolerate empty taints", _tolerating(_FOO_EXISTS), _node()),
    UpstreamCase(
        _SRC,
        "tolerations match all taints, expect tolerated",
        _tolerating(_FOO_EXISTS),
        _node(taints=({"key": "foo", "effect": "NoSchedule"},)),
    ),
    UpstreamCase(
        _SRC,
        "derived: tolerations don't match taints, but no taints apply to the filter",
        _tolerating(_FOO_EXISTS),
        _node(taints=({"key": "bar", "effect": "PreferNoSchedule"},)),
    ),
    UpstreamCase(
        _SRC,
        "tolerations don't match taints, expect untolerated",
        _tolerating(_FOO_EXISTS),
        _node(taints=({"key": "bar", "effect": "NoSchedule"},)),
        (TAINTS,),
        mentions=("bar:NoSchedule",),
    ),
]

# --- kubernetes/kubernetes pkg/scheduler/framework/plugins/nodeunschedulable/node_unschedulable_test.go
# TestNodeUnschedulable
_SRC = "node_unschedulable_test.go"
NODE_UNSCHEDULABLE = [
    UpstreamCase(
        _SRC,
        "Does not schedule pod to unschedulable node (node.Spec.Unschedulable==true)",
        {},
        _node(unschedulable=True),
        (UNSCHEDULABLE,),
    ),
    UpstreamCase(_SRC, "Schedule pod to normal node", {}, _node()),
    UpstreamCase(
        _SRC,
        "Schedule pod with toleration to unschedulable node (node.Spec.Unschedulable==true)",
        _tolerating({"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}),
        _node(unschedulable=True),
    ),
]

# --- kubernetes/kubernetes pkg/scheduler/framework/plugins/nodename/node_name_test.go
# TestNodeName
_SRC = "node_name_test.go"
NODE_NAME = [
    UpstreamCase(_SRC, "no host specified", {}, _node()),
    UpstreamCase(_SRC, "host matches", {"nodeName": "foo"}, _node("foo")),
    UpstreamCase(_SRC, "host doesn't match", {"nodeName": "bar"}, _node("foo"), (NAME,)),
]

# --- kubernetes/kubernetes pkg/scheduler/framework/plugins/noderesources/fit_test.go
# TestEnoughRequests (without the IgnoredResources/IgnoredResourceGroups plugin arguments),
# TestNotEnoughRequests, TestStorageRequests, TestRestartableInitContainers (sidecars enabled),
# TestIsFit and Test_isSchedulableAfterNodeChange (derived: a queued node is one the pod fits)
_SRC = "fit_test.go"
EXTENDED_A, EXTENDED_B = "example.com/aaa", "example.com/bbb"
KUBERNETES_IO_A, KUBERNETES_IO_B = "kubernetes.io/something", "subdomain.kubernetes.io/something"
HUGE_PAGES_A = "hugepages-2Mi"


def _allocatable(
    *, cpu_milli: int, memory: int, pods: int, extended_a: int, storage: int, huge_pages: int
) -> dict[str, str]:
    """Upstream's ``makeAllocatableResources``."""
    return {
        "cpu": f"{cpu_milli}m",
        "memory": str(memory),
        "pods": str(pods),
        EXTENDED_A: str(extended_a),
        "ephemeral-storage": str(storage),
        HUGE_PAGES_A: str(huge_pages),
    }


def _usage(cpu_milli: int = 0, memory: int = 0, storage: int = 0, **scalars: int) -> dict[str, str]:
    """A container's requests as upstream's ``newResourcePod`` writes them, zeros included."""
    requests = {"cpu": f"{cpu_milli}m", "memory": str(memory), "pods": "0", "ephemeral-storage": str(storage)}
    return requests | {_SCALAR_NAMES[name]: str(amount) for name, amount in scalars.items()}


_SCALAR_NAMES = {
    "a": EXTENDED_A,
    "b": EXTENDED_B,
    "io_a": KUBERNETES_IO_A,
    "io_b": KUBERNETES_IO_B,
    "huge": HUGE_PAGES_A,
}


def _resource_pod(*usages: dict[str, str]) -> dict[str, Any]:
    return {"containers": [{"name": f"c{i}", "resources": {"requests": usage}} for i, usage in enumerate(usages)]}


def _with_init(pod: dict[str, Any], *usages: dict[str, str]) -> dict[str, Any]:
    init = [{"name": f"init{i}", "resources": {"requests": usage}} for i, usage in enumerate(usages)]
    return pod | {"initContainers": init}


_ENOUGH = _node(allocatable=_allocatable(cpu_milli=10, memory=20, pods=32, extended_a=5, storage=20, huge_pages=5))
_ONE_POD = _node(allocatable=_allocatable(cpu_milli=10, memory=20, pods=1, extended_a=0, storage=0, huge_pages=0))


def _fits(name: str, pod: dict[str, Any], existing: dict[str, Any]) -> UpstreamCase:
    """A TestEnoughRequests case that fits the node: 10m cpu, 20 memory, 5 example.com/aaa..."""
    return UpstreamCase(_SRC, name, pod, _ENOUGH, (), (existing,))


def _short(name: str, pod: dict[str, Any], existing: dict[str, Any], *mentions: str) -> UpstreamCase:
    """A TestEnoughRequests case the same node rejects for lack of resources."""
    return UpstreamCase(_SRC, name, pod, _ENOUGH, (FIT,), (existing,), mentions)


NODE_RESOURCES_FIT = [
    _fits("no resources requested always fits", {}, _resource_pod(_usage(10, 20))),
    _short(
        "too many resources fails",
        _resource_pod(_usage(1, 1)),
        _resource_pod(_usage(10, 20)),
        "Insufficient cpu: requested 1m, free 0 of 10m",
        "Insufficient memory: requested 1, free 0 of 20",
    ),
    _short(
        "too many resources fails due to init container cpu",
        _with_init(_resource_pod(_usage(1, 1)), _usage(3, 1)),
        _resource_pod(_usage(8, 19)),
        "Insufficient cpu: requested 3m",
    ),
    _short(
        "too many resources fails due to highest init container cpu",
        _with_init(_resource_pod(_usage(1, 1)), _usage(3, 1), _usage(2, 1)),
        _resource_pod(_usage(8, 19)),
        "Insufficient cpu: requested 3m",
    ),
    _short(
        "too many resources fails due to init container memory",
        _with_init(_resource_pod(_usage(1, 1)), _usage(1, 3)),
        _resource_pod(_usage(9, 19)),
        "Insufficient memory: requested 3",
    ),
    _short(
        "too many resources fails due to highest init container memory",
        _with_init(_resource_pod(_usage(1, 1)), _usage(1, 3), _usage(1, 2)),
        _resource_pod(_usage(9, 19)),
        "Insufficient memory: requested 3",
    ),
    _fits(
        "init container fits because it's the max, not sum, of containers and init containers",
        _with_init(_resource_pod(_usage(1, 1)), _usage(1, 1)),
        _resource_pod(_usage(9, 19)),
    ),
    _fits(
        "multiple init containers fit because it's the max, not sum, of containers and init containers",
        _with_init(_resource_pod(_usage(1, 1)), _usage(1, 1), _usage(1, 1)),
        _resource_pod(_usage(9, 19)),
    ),
    _fits("both resources fit", _resource_pod(_usage(1, 1)), _resource_pod(_usage(5, 5))),
    _short(
        "one resource memory fits",
        _resource_pod(_usage(2, 1)),
        _resource_pod(_usage(9, 5)),
        "Insufficient cpu: requested 2m, free 1m of 10m",
    ),
    _short(
        "one resource cpu fits",
        _resource_pod(_usage(1, 2)),
        _resource_pod(_usage(5, 19)),
        "Insufficient memory: requested 2, free 1 of 20",
    ),
    _fits("equal edge case", _resource_pod(_usage(5, 1)), _resource_pod(_usage(5, 19))),
    _fits(
        "equal edge case for init container",
        _with_init(_resource_pod(_usage(4, 1)), _usage(5, 1)),
        _resource_pod(_usage(5, 19)),
    ),
    _fits("extended resource fits", _resource_pod(_usage(a=1)), _resource_pod(_usage())),
    _fits(
        "extended resource fits for init container",
        _with_init(_resource_pod(_usage()), _usage(a=1)),
        _resource_pod(_usage()),
    ),
    _short(
        "extended resource capacity enforced",
        _resource_pod(_usage(1, 1, a=10)),
        _resource_pod(_usage(a=0)),
        "Insufficient example.com/aaa: requested 10, free 5 of 5",
    ),
    _short(
        "extended resource capacity enforced for init container",
        _with_init(_resource_pod(_usage()), _usage(1, 1, a=10)),
        _resource_pod(_usage(a=0)),
        "Insufficient example.com/aaa: requested 10",
    ),
    _short(
        "extended resource allocatable enforced",
        _resource_pod(_usage(1, 1, a=1)),
        _resource_pod(_usage(a=5)),
        "Insufficient example.com/aaa: requested 1, free 0 of 5",
    ),
    _short(
        "extended resource allocatable enforced for init container",
        _with_init(_resource_pod(_usage()), _usage(1, 1, a=1)),
        _resource_pod(_usage(a=5)),
    ),
    _short(
        "extended resource allocatable enforced for multiple containers",
        _resource_pod(_usage(1, 1, a=3), _usage(1, 1, a=3)),
        _resource_pod(_usage(a=2)),
        "Insufficient example.com/aaa: requested 6, free 3 of 5",
    ),
    _fits(
        "extended resource allocatable admits multiple init containers",
        _with_init(_resource_pod(_usage()), _usage(1, 1, a=3), _usage(1, 1, a=3)),
        _resource_pod(_usage(a=2)),
    ),
    _short(
        "extended resource allocatable enforced for multiple init containers",
        _with_init(_resource_pod(_usage()), _usage(1, 1, a=6), _usage(1, 1, a=3)),
        _resource_pod(_usage(a=2)),
        "Insufficient example.com/aaa: requested 6",
    ),
    _short(
        "extended resource allocatable enforced for unknown resource",
        _resource_pod(_usage(1, 1, b=1)),
        _resource_pod(_usage()),
        "Insufficient example.com/bbb: requested 1, free 0 of 0",
    ),
    _short(
        "extended resource allocatable enforced for unknown resource for init container",
        _with_init(_resource_pod(_usage()), _usage(1, 1, b=1)),
        _resource_pod(_usage()),
        "Insufficient example.com/bbb",
    ),
    _short(
        "kubernetes.io resource capacity enforced",
        _resource_pod(_usage(1, 1, io_a=10)),
        _resource_pod(_usage()),
        "Insufficient kubernetes.io/something: requested 10",
    ),
    _short(
        "kubernetes.io resource capacity enforced for init container",
        _with_init(_resource_pod(_usage()), _usage(1, 1, io_b=10)),
        _resource_pod(_usage()),
        "Insufficient subdomain.kubernetes.io/something: requested 10",
    ),
    _short(
        "hugepages resource capacity enforced",
        _resource_pod(_usage(1, 1, huge=10)),
        _resource_pod(_usage(huge=0)),
        "Insufficient hugepages-2Mi: requested 10, free 5 of 5",
    ),
    _short(
        "hugepages resource capacity enforced for init container",
        _with_init(_resource_pod(_usage()), _usage(1, 1, huge=10)),
        _resource_pod(_usage(huge=0)),
        "Insufficient hugepages-2Mi",
    ),
    _short(
        "hugepages resource allocatable enforced for multiple containers",
        _resource_pod(_usage(1, 1, huge=3), _usage(1, 1, huge=3)),
        _resource_pod(_usage(huge=2)),
        "Insufficient hugepages-2Mi: requested 6, free 3 of 5",
    ),
    _fits(
        "resources + pod overhead fits",
        _resource_pod(_usage(1, 1)) | {"overhead": {"cpu": "3m", "memory": "13"}},
        _resource_pod(_usage(5, 5)),
    ),
    _short(
        "requests + overhead does not fit for memory",
        _resource_pod(_usage(1, 1)) | {"overhead": {"cpu": "1m", "memory": "15"}},
        _resource_pod(_usage(5, 5)),
        "Insufficient memory: requested 16, free 15 of 20",
    ),
    _fits(
        "skip checking extended resource request with quantity zero via resource groups",
        _resource_pod(_usage(1, 1, a=0)),
        _resource_pod(_usage(a=6)),
    ),
    _fits(
        "skip checking resource request with quantity zero",
        _resource_pod(_usage(a=1)),
        _resource_pod(_usage(20, 30, a=1)),
    ),
    UpstreamCase(
        _SRC,
        "even without specified resources, predicate fails when there's no space for additional pod",
        {},
        _ONE_POD,
        (FIT,),
        (_resource_pod(_usage(10, 20)),),
        ("Too many pods",),
    ),
    UpstreamCase(
        _SRC,
        "even if both resources fit, predicate fails when there's no space for additional pod",
        _resource_pod(_usage(1, 1)),
        _ONE_POD,
        (FIT,),
        (_resource_pod(_usage(5, 5)),),
        ("Too many pods",),
    ),
    UpstreamCase(
        _SRC,
        "even for equal edge case, predicate fails when there's no space for additional pod",
        _resource_pod(_usage(5, 1)),
        _ONE_POD,
        (FIT,),
        (_resource_pod(_usage(5, 19)),),
        ("Too many pods",),
    ),
    UpstreamCase(
        _SRC,
        "even for equal edge case, predicate fails when there's no space for additional pod due to init container",
        _with_init(_resource_pod(_usage(5, 1)), _usage(5, 1)),
        _ONE_POD,
        (FIT,),
        (_resource_pod(_usage(5, 19)),),
        ("Too many pods",),
    ),
    _fits("empty storage requested, and pod fits", _resource_pod(_usage(1, 1)), _resource_pod(_usage(2, 10))),
    _short(
        "storage ephemeral local storage request exceeds allocatable",
        _resource_pod(_usage(storage=25)),
        _resource_pod(_usage(2, 2)),
        "Insufficient ephemeral-storage: requested 25, free 20 of 20",
    ),
    _fits(
        "ephemeral local storage is sufficient",
        _resource_pod(_usage(storage=5)),
        _resource_pod(_usage(2, 2, storage=10)),
    ),
    _fits("pod fits", _resource_pod(_usage(storage=10)), _resource_pod(_usage(2, 2))),
    UpstreamCase(
        _SRC,
        "allow pod without restartable init containers if sidecar containers is enabled",
        {"containers": [{"name": "regular"}]},
        _node(allocatable=_allocatable(cpu_milli=0, memory=0, pods=1, extended_a=0, storage=0, huge_pages=0)),
    ),
    UpstreamCase(
        _SRC,
        "allow pod with restartable init containers if sidecar containers is enabled",
        {"containers": [{"name": "regular"}], "initContainers": [{"name": "init", "restartPolicy": "Always"}]},
        _node(allocatable=_allocatable(cpu_milli=0, memory=0, pods=1, extended_a=0, storage=0, huge_pages=0)),
    ),
    UpstreamCase(
        _SRC,
        "insufficient resource",
        _resource_pod({"cpu": "2"}),
        _node(allocatable={"cpu": "1", "pods": "32"}),
        (FIT,),
        mentions=("Insufficient cpu: requested 2, free 1 of 1",),
    ),
    UpstreamCase(
        _SRC, "sufficient resource", _resource_pod({"cpu": "1"}), _node(allocatable={"cpu": "2", "pods": "32"})
    ),
    UpstreamCase(
        _SRC,
        "derived hint: skip-queue-on-node-add-without-sufficient-resources",
        _resource_pod(_usage(memory=2)),
        _node(allocatable={"memory": "1", "pods": "32"}),
        (FIT,),
    ),
    UpstreamCase(
        _SRC,
        "derived hint: skip-queue-on-node-add-without-required-resource-type",
        _resource_pod(_usage(a=1)),
        _node(allocatable={EXTENDED_B: "1", "pods": "32"}),
        (FIT,),
        mentions=("Insufficient example.com/aaa: requested 1, free 0 of 0",),
    ),
    UpstreamCase(
        _SRC,
        "derived hint: queue-on-node-add-with-sufficient-resources",
        _resource_pod(_usage(memory=2, a=1)),
        _node(allocatable={"memory": "4", EXTENDED_A: "2", "pods": "32"}),
    ),
]

# --- kubernetes/kubernetes staging/src/k8s.io/component-helpers/resource/helpers_test.go
# TestPodResourceRequests and TestPodRequestsAndLimits (default options: overhead included),
# derived: a node with exactly the expected requests admits the pod, one unit less rejects it
_SRC = "resource/helpers_test.go"
_ALWAYS = "Always"


def _requests(**amounts: str) -> dict[str, Any]:
    return {"resources": {"requests": amounts}}


def _sidecar(cpu: str) -> dict[str, Any]:
    return {"restartPolicy": _ALWAYS, **_requests(cpu=cpu)}


def _exactly_fits(
    name: str, pod: dict[str, Any], just_enough: dict[str, str], short: dict[str, str]
) -> list[UpstreamCase]:
    return [
        UpstreamCase(_SRC, f"derived: {name}, exactly enough", pod, _node(allocatable=just_enough | {"pods": "1"})),
        UpstreamCase(_SRC, f"derived: {name}, one unit short", pod, _node(allocatable=short | {"pods": "1"}), (FIT,)),
    ]


def _cpu_exactly(name: str, pod: dict[str, Any], cores: int) -> list[UpstreamCase]:
    return _exactly_fits(name, pod, {"cpu": str(cores)}, {"cpu": f"{cores * 1000 - 1}m"})


_OVERHEAD_5 = {"cpu": "5", "memory": "5"}
POD_REQUESTS = [
    *_cpu_exactly(
        "nil options, larger init container",
        {"initContainers": [_requests(cpu="4")], "containers": [_requests(cpu="1")]},
        4,
    ),
    *_cpu_exactly(
        "nil options, larger containers",
        {"initContainers": [_requests(cpu="2")], "containers": [_requests(cpu="2"), _requests(cpu="3")]},
        5,
    ),
    *_exactly_fits(
        "pod overhead included",
        {
            "overhead": {"cpu": "1", "memory": "1Gi"},
            "initContainers": [{"resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "2"}}}],
            "containers": [_requests(cpu="2"), _requests(cpu="3")],
        },
        {"cpu": "6", "memory": "1Gi"},
        {"cpu": "6", "memory": f"{2**30 - 1}"},
    ),
    *_cpu_exactly(
        "restartable init container",
        {"initContainers": [_sidecar("1")], "containers": [_requests(cpu="1")]},
        2,
    ),
    *_cpu_exactly(
        "multiple restartable init containers",
        {
            "initContainers": [_requests(cpu="5"), _sidecar("1"), _sidecar("2"), _sidecar("3")],
            "containers": [_requests(cpu="1")],
        },
        7,
    ),
    *_cpu_exactly(
        "multiple restartable and regular init containers",
        {
            "initContainers": [_requests(cpu="5"), _sidecar("1"), _sidecar("2"), _requests(cpu="5"), _sidecar("3")],
            "containers": [_requests(cpu="1")],
        },
        8,
    ),
    *_cpu_exactly(
        "restartable-init, init and regular",
        {"initContainers": [_sidecar("10"), _requests(cpu="200")], "containers": [_requests(cpu="100")]},
        210,
    ),
    *_exactly_fits(
        "just-overhead",
        {"overhead": _OVERHEAD_5, "containers": [{"name": "foo"}]},
        {"cpu": "5", "memory": "5"},
        {"cpu": "5", "memory": "4"},
    ),
    *_exactly_fits(
        "req-and-overhead",
        {"overhead": _OVERHEAD_5, "containers": [_requests(cpu="1", memory="10")]},
        {"cpu": "6", "memory": "15"},
        {"cpu": "5999m", "memory": "15"},
    ),
    *_exactly_fits(
        "all-req-lim-and-overhead",
        {
            "overhead": _OVERHEAD_5,
            "containers": [
                {"resources": {"requests": {"cpu": "1", "memory": "10"}, "limits": {"cpu": "2", "memory": "12"}}}
            ],
        },
        {"cpu": "6", "memory": "15"},
        {"cpu": "6", "memory": "14"},
    ),
    *_exactly_fits(
        "req-some-lim-and-overhead",
        {
            "overhead": _OVERHEAD_5,
            "containers": [{"resources": {"requests": {"cpu": "1", "memory": "10"}, "limits": {"cpu": "2"}}}],
        },
        {"cpu": "6", "memory": "15"},
        {"cpu": "5999m", "memory": "15"},
    ),
]

CASES = [
    *NODE_AFFINITY,
    *COMPONENT_HELPERS_NODE_AFFINITY,
    *COMPONENT_HELPERS_TERMS,
    *TAINT_TOLERATION,
    *TOLERATION,
    *UNTOLERATED_TAINT,
    *NODE_UNSCHEDULABLE,
    *NODE_NAME,
    *NODE_RESOURCES_FIT,
    *POD_REQUESTS,
]
