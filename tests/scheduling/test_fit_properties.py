"""Monotonicity of the filter phase: what may only help a pod never hurts it, and vice versa."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gpumanifests.scheduling import check_fit, free_resources

LABEL_KEYS = ["zone", "gpu", "example.com/tier"]
LABEL_VALUES = ["a", "b", "c"]
TAINT_KEYS = ["dedicated", "nvidia.com/gpu", "example.com/spot"]
BLOCKING_EFFECTS = ["NoSchedule", "NoExecute"]
AMOUNTS = {
    "cpu": st.sampled_from(["0", "250m", "500m", "1", "1500m", "2"]),
    "memory": st.sampled_from(["0", "512Mi", "1Gi", "2Gi"]),
    "nvidia.com/gpu": st.sampled_from(["0", "1", "2"]),
}

labels = st.dictionaries(st.sampled_from(LABEL_KEYS), st.sampled_from(LABEL_VALUES), max_size=3)
taints = st.fixed_dictionaries(
    {
        "key": st.sampled_from(TAINT_KEYS),
        "value": st.sampled_from(["", "a", "b"]),
        "effect": st.sampled_from([*BLOCKING_EFFECTS, "PreferNoSchedule"]),
    }
)
tolerations = st.fixed_dictionaries(
    {
        "key": st.sampled_from(["", *TAINT_KEYS, "node.kubernetes.io/unschedulable"]),
        "operator": st.sampled_from(["Equal", "Exists", ""]),
        "value": st.sampled_from(["", "a", "b"]),
        "effect": st.sampled_from(["", *BLOCKING_EFFECTS, "PreferNoSchedule"]),
    }
)
requirements = st.fixed_dictionaries(
    {
        "key": st.sampled_from(LABEL_KEYS),
        "operator": st.sampled_from(["In", "NotIn"]),
        "values": st.lists(st.sampled_from(LABEL_VALUES), min_size=1, max_size=2),
    }
) | st.fixed_dictionaries({"key": st.sampled_from(LABEL_KEYS), "operator": st.sampled_from(["Exists", "DoesNotExist"])})
requests = st.fixed_dictionaries({}, optional=AMOUNTS)


@st.composite
def pod_specs(draw: st.DrawFn) -> dict[str, Any]:
    pod: dict[str, Any] = {
        "containers": [
            {"name": f"c{i}", "resources": {"requests": draw(requests)}} for i in range(draw(st.integers(1, 2)))
        ],
        "tolerations": draw(st.lists(tolerations, max_size=3)),
        "nodeSelector": draw(labels),
    }
    terms = draw(
        st.lists(
            st.fixed_dictionaries({"matchExpressions": st.lists(requirements, min_size=1, max_size=2)}), max_size=2
        )
    )
    if draw(st.booleans()):
        pod["affinity"] = {
            "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}
        }
    return pod


@st.composite
def nodes(draw: st.DrawFn) -> dict[str, Any]:
    node: dict[str, Any] = {
        "metadata": {"name": "node-1", "labels": draw(labels)},
        "spec": {"taints": draw(st.lists(taints, max_size=3)), "unschedulable": draw(st.booleans())},
    }
    if draw(st.booleans()):
        allocatable = draw(st.fixed_dictionaries({"pods": st.sampled_from(["0", "1", "3", "110"])}, optional=AMOUNTS))
        node["status"] = {"allocatable": allocatable}
    return node


bound_pods = st.lists(
    st.builds(lambda r: {"containers": [{"name": "c", "resources": {"requests": r}}]}, requests), max_size=3
)


def reasons(pod: dict[str, Any], node: dict[str, Any], existing: list[dict[str, Any]]) -> set[Any]:
    return set(check_fit(pod, node, existing_pods=existing).reasons)


@settings(max_examples=100, deadline=None)
@given(pod_specs(), nodes(), bound_pods, tolerations)
def test_adding_a_toleration_never_makes_a_pod_unschedulable(
    pod: dict[str, Any], node: dict[str, Any], existing: list[dict[str, Any]], toleration: dict[str, str]
) -> None:
    more_tolerant = pod | {"tolerations": [*pod["tolerations"], toleration]}

    assert reasons(more_tolerant, node, existing) <= reasons(pod, node, existing)


@settings(max_examples=100, deadline=None)
@given(pod_specs(), nodes(), bound_pods, st.sampled_from(TAINT_KEYS), st.sampled_from(["", "a", "b"]))
def test_adding_a_no_schedule_taint_never_makes_a_pod_schedulable(
    pod: dict[str, Any], node: dict[str, Any], existing: list[dict[str, Any]], key: str, value: str
) -> None:
    taint = {"key": key, "value": value, "effect": "NoSchedule"}
    tainted = node | {"spec": node["spec"] | {"taints": [*node["spec"]["taints"], taint]}}

    assert reasons(pod, node, existing) <= reasons(pod, tainted, existing)


@settings(max_examples=100, deadline=None)
@given(pod_specs(), nodes(), bound_pods, bound_pods.filter(bool).map(lambda pods: pods[0]))
def test_adding_a_bound_pod_never_frees_room(
    pod: dict[str, Any], node: dict[str, Any], existing: list[dict[str, Any]], newcomer: dict[str, Any]
) -> None:
    before = check_fit(pod, node, existing_pods=existing)
    after = check_fit(pod, node, existing_pods=[*existing, newcomer])
    free_before, free_after = free_resources(node, existing), free_resources(node, [*existing, newcomer])

    assert {r.plugin for r in before.reasons} <= {r.plugin for r in after.reasons}
    assert all(free_after[name] <= amount for name, amount in free_before.items())


@settings(max_examples=100, deadline=None)
@given(pod_specs(), nodes(), bound_pods, st.data())
def test_removing_a_node_selector_entry_never_makes_a_pod_unschedulable(
    pod: dict[str, Any], node: dict[str, Any], existing: list[dict[str, Any]], data: st.DataObject
) -> None:
    selector = pod["nodeSelector"]
    dropped = data.draw(st.sampled_from(sorted(selector))) if selector else None
    looser = pod | {"nodeSelector": {key: value for key, value in selector.items() if key != dropped}}

    assert reasons(looser, node, existing) <= reasons(pod, node, existing)


@settings(max_examples=100, deadline=None)
@given(pod_specs(), nodes(), bound_pods, st.lists(taints.map(lambda t: t | {"effect": "PreferNoSchedule"}), min_size=1))
def test_prefer_no_schedule_taints_never_matter(
    pod: dict[str, Any], node: dict[str, Any], existing: list[dict[str, Any]], preferences: list[dict[str, str]]
) -> None:
    softly_tainted = node | {"spec": node["spec"] | {"taints": [*node["spec"]["taints"], *preferences]}}

    assert check_fit(pod, softly_tainted, existing_pods=existing) == check_fit(pod, node, existing_pods=existing)
