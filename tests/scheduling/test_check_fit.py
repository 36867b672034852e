"""check_fit and its building blocks, rule by rule, as the Kubernetes documentation states them.

References: "Assigning Pods to Nodes", "Taints and Tolerations", "Resource Management for Pods
and Containers", "Sidecar Containers" and "Pod Overhead" (kubernetes.io/docs/concepts), and
the Pod and Node API reference.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from gpumanifests.scheduling import (
    FitFailure,
    check_fit,
    free_resources,
    matches_node_selector_term,
    matches_node_selector_terms,
    node_matches_pod_selection,
    pod_requests,
    tolerates,
    toleration_for,
    untolerated_taints,
)

GPU_TAINT = {"key": "apple.com/gpu", "value": "present", "effect": "NoSchedule"}


def node(
    name: str = "node-1",
    labels: dict[str, str] | None = None,
    taints: list[dict[str, str]] | None = None,
    allocatable: dict[str, str] | None = None,
    unschedulable: bool = False,
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {"taints": taints or [], "unschedulable": unschedulable},
    }
    if allocatable is not None:
        result["status"] = {"allocatable": allocatable}
    return result


def requesting(**requests: str) -> dict[str, Any]:
    return {"containers": [{"name": "main", "resources": {"requests": requests}}]}


def required_affinity(*terms: dict[str, Any]) -> dict[str, Any]:
    return {
        "affinity": {
            "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}}
        }
    }


def expression(key: str, operator: str, *values: str) -> dict[str, Any]:
    return {"matchExpressions": [{"key": key, "operator": operator, "values": list(values)}]}


def plugins(pod: dict[str, Any], target: dict[str, Any], **kwargs: Any) -> list[str]:
    return [reason.plugin for reason in check_fit(pod, target, **kwargs).reasons]


# --- the verdict -------------------------------------------------------------------------------


def test_a_pod_without_constraints_fits_a_node_without_taints() -> None:
    result = check_fit({"containers": [{"name": "main"}]}, node())

    assert result
    assert result.reasons == ()
    assert str(result) == "fits"


def test_every_failing_filter_is_reported_not_just_the_first() -> None:
    pod = requesting(**{"nvidia.com/gpu": "2"}) | {"nodeName": "other", "nodeSelector": {"gpu": "nvidia"}}
    cordoned = node(taints=[GPU_TAINT], allocatable={"pods": "10", "nvidia.com/gpu": "1"}, unschedulable=True)

    result = check_fit(pod, cordoned)

    assert not result
    assert [reason.plugin for reason in result.reasons] == [
        "NodeUnschedulable",
        "NodeName",
        "TaintToleration",
        "NodeAffinity",
        "NodeResourcesFit",
    ]


def test_failure_messages_name_what_failed() -> None:
    pod = requesting(**{"nvidia.com/gpu": "2"})
    gpu_node = node(taints=[GPU_TAINT], allocatable={"pods": "10", "nvidia.com/gpu": "1"})

    result = check_fit(pod, gpu_node)

    hint = '(it keeps off pods without the toleration {"key": "apple.com/gpu", "operator": "Equal", '
    hint += '"value": "present", "effect": "NoSchedule"})'
    assert result.reasons == (
        FitFailure("TaintToleration", f"untolerated taint apple.com/gpu=present:NoSchedule {hint}"),
        FitFailure("NodeResourcesFit", "Insufficient nvidia.com/gpu: requested 2, free 1 of 1"),
    )
    assert str(result) == (
        f"TaintToleration: untolerated taint apple.com/gpu=present:NoSchedule {hint}; "
        "NodeResourcesFit: Insufficient nvidia.com/gpu: requested 2, free 1 of 1"
    )


# --- NodeName and NodeUnschedulable --------------------------------------------------------------


def test_spec_node_name_admits_only_the_named_node() -> None:
    assert check_fit({"nodeName": "node-1"}, node("node-1"))
    assert plugins({"nodeName": "node-1"}, node("node-2")) == ["NodeName"]


def test_a_cordoned_node_rejects_pods_that_do_not_tolerate_the_unschedulable_taint() -> None:
    cordoned = node(unschedulable=True)
    tolerating = {"tolerations": [{"key": "node.kubernetes.io/unschedulable", "operator": "Exists"}]}

    assert plugins({}, cordoned) == ["NodeUnschedulable"]
    assert check_fit(tolerating, cordoned)
    assert check_fit({"tolerations": [{"operator": "Exists"}]}, cordoned)


def test_a_toleration_with_another_effect_does_not_pass_a_cordon() -> None:
    toleration = {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoExecute"}

    assert plugins({"tolerations": [toleration]}, node(unschedulable=True)) == ["NodeUnschedulable"]


# --- taints and tolerations --------------------------------------------------------------------


@pytest.mark.parametrize("effect", ["NoSchedule", "NoExecute"])
def test_no_schedule_and_no_execute_taints_repel_pods_without_a_toleration(effect: str) -> None:
    taint = {"key": "dedicated", "value": "gpu", "effect": effect}

    assert plugins({}, node(taints=[taint])) == ["TaintToleration"]


def test_prefer_no_schedule_taints_never_filter() -> None:
    taint = {"key": "dedicated", "value": "gpu", "effect": "PreferNoSchedule"}

    assert check_fit({}, node(taints=[taint]))
    assert untolerated_taints([], [taint]) == []


def test_equal_is_the_default_operator_and_compares_key_value_and_effect() -> None:
    assert tolerates({"key": "apple.com/gpu", "value": "present", "effect": "NoSchedule"}, GPU_TAINT)
    assert not tolerates({"key": "apple.com/gpu", "value": "absent", "effect": "NoSchedule"}, GPU_TAINT)
    assert not tolerates({"key": "apple.com/gpu", "operator": "Equal", "effect": "NoSchedule"}, GPU_TAINT)


def test_exists_ignores_the_taint_value() -> None:
    assert tolerates({"key": "apple.com/gpu", "operator": "Exists", "effect": "NoSchedule"}, GPU_TAINT)


def test_an_empty_key_with_exists_tolerates_every_taint() -> None:
    everything = {"operator": "Exists"}

    assert tolerates(everything, GPU_TAINT)
    assert tolerates(everything, {"key": "other", "effect": "NoExecute"})


def test_an_empty_effect_tolerates_every_effect_of_the_key() -> None:
    toleration = {"key": "apple.com/gpu", "operator": "Exists"}

    for effect in ("NoSchedule", "NoExecute", "PreferNoSchedule"):
        assert tolerates(toleration, GPU_TAINT | {"effect": effect})


def test_an_empty_key_with_equal_tolerates_any_key_with_the_same_value() -> None:
    # API validation rejects this toleration, but the matching code itself treats the empty key as "any".
    toleration = {"key": "", "operator": "Equal", "value": "present"}

    assert tolerates(toleration, GPU_TAINT)
    assert not tolerates(toleration, GPU_TAINT | {"value": "absent"})


def test_toleration_keys_match_the_whole_key_exactly() -> None:
    assert not tolerates({"key": "apple.com", "operator": "Exists"}, GPU_TAINT)
    assert not tolerates({"key": "Apple.com/GPU", "operator": "Exists"}, GPU_TAINT)


def test_an_effect_must_match_when_the_toleration_names_one() -> None:
    assert not tolerates({"key": "apple.com/gpu", "operator": "Exists", "effect": "NoExecute"}, GPU_TAINT)


def test_an_unknown_operator_tolerates_nothing() -> None:
    assert not tolerates({"key": "apple.com/gpu", "operator": "exists"}, GPU_TAINT)


def test_gt_and_lt_tolerations_tolerate_nothing_in_the_pinned_kubernetes() -> None:
    # Kubernetes 1.33 (the pinned minor) knows only the toleration operators Equal and Exists: the
    # Gt/Lt comparison of the later TaintTolerationComparisonOperators feature gate does not exist,
    # and Toleration.ToleratesTaint returns false for any other operator, whatever the values.
    sla = {"key": "sla", "value": "950", "effect": "NoSchedule"}

    for operator, value in [("Gt", "900"), ("Lt", "0951"), ("Gt", "9.5e2"), ("Lt", "950"), ("Gt", "")]:
        assert not tolerates({"key": "sla", "operator": operator, "value": value}, sla)
    assert not tolerates({"operator": "Gt", "value": "1"}, sla | {"value": "2"})
    assert untolerated_taints([{"key": "sla", "operator": "Gt", "value": "900"}], [sla]) == [sla]


def test_untolerated_taints_lists_each_blocking_taint_in_node_order() -> None:
    taints = [
        {"key": "b", "effect": "NoExecute"},
        {"key": "a", "effect": "PreferNoSchedule"},
        {"key": "c", "value": "1", "effect": "NoSchedule"},
        {"key": "d", "effect": "NoSchedule"},
    ]

    assert untolerated_taints([{"key": "d", "operator": "Exists"}], taints) == [taints[0], taints[2]]


def test_each_untolerated_taint_is_its_own_failure() -> None:
    taints = [{"key": "b", "effect": "NoExecute"}, {"key": "c", "value": "1", "effect": "NoSchedule"}]

    messages = [reason.message for reason in check_fit({}, node(taints=taints)).reasons]

    assert messages == [
        'untolerated taint b:NoExecute (it keeps off pods without the toleration {"key": "b", "operator": "Exists", '
        '"effect": "NoExecute"})',
        'untolerated taint c=1:NoSchedule (it keeps off pods without the toleration {"key": "c", "operator": "Equal", '
        '"value": "1", "effect": "NoSchedule"})',
    ]


@pytest.mark.parametrize(
    "taint",
    [
        {"key": "b", "effect": "NoExecute"},
        {"key": "c", "value": "1", "effect": "NoSchedule"},
        {"key": "example.com/pool", "value": "ml", "effect": "NoExecute"},
    ],
)
def test_the_suggested_toleration_tolerates_exactly_its_taint(taint: dict[str, str]) -> None:
    toleration = toleration_for(taint)

    assert check_fit({"tolerations": [toleration]}, node(taints=[taint]))
    assert not tolerates(toleration, taint | {"key": "other"})
    assert not tolerates(toleration, taint | {"effect": "PreferNoSchedule"})


# --- nodeSelector and node affinity ------------------------------------------------------------


def test_node_selector_needs_every_label_with_the_exact_value() -> None:
    pod = {"nodeSelector": {"gpu": "nvidia", "zone": "a"}}

    assert node_matches_pod_selection(pod, node(labels={"gpu": "nvidia", "zone": "a", "extra": "x"}))
    assert not node_matches_pod_selection(pod, node(labels={"gpu": "nvidia"}))
    assert not node_matches_pod_selection(pod, node(labels={"gpu": "amd", "zone": "a"}))


def test_node_selector_mismatches_are_reported_per_label() -> None:
    pod = {"nodeSelector": {"gpu": "nvidia", "zone": "a"}}

    messages = [reason.message for reason in check_fit(pod, node(labels={"gpu": "amd"})).reasons]

    assert messages == [
        "nodeSelector gpu=nvidia does not match node 'node-1': it has gpu=amd",
        "nodeSelector zone=a does not match node 'node-1': it has no such label",
    ]


def test_node_selector_and_required_affinity_must_both_match() -> None:
    pod = {"nodeSelector": {"gpu": "nvidia"}} | required_affinity(expression("zone", "In", "a"))

    assert node_matches_pod_selection(pod, node(labels={"gpu": "nvidia", "zone": "a"}))
    assert not node_matches_pod_selection(pod, node(labels={"gpu": "nvidia", "zone": "b"}))
    assert not node_matches_pod_selection(pod, node(labels={"gpu": "amd", "zone": "a"}))


def test_node_selector_terms_are_ored() -> None:
    terms = [expression("zone", "In", "a"), expression("zone", "In", "b")]

    assert matches_node_selector_terms(terms, node(labels={"zone": "b"}))
    assert not matches_node_selector_terms(terms, node(labels={"zone": "c"}))


def test_requirements_within_a_term_are_anded_across_expressions_and_fields() -> None:
    term = {
        "matchExpressions": [
            {"key": "zone", "operator": "In", "values": ["a"]},
            {"key": "gpu", "operator": "Exists"},
        ],
        "matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node-1"]}],
    }

    assert matches_node_selector_term(term, node("node-1", {"zone": "a", "gpu": "x"}))
    assert not matches_node_selector_term(term, node("node-1", {"zone": "a"}))
    assert not matches_node_selector_term(term, node("node-2", {"zone": "a", "gpu": "x"}))


@pytest.mark.parametrize(
    ("operator", "values", "labels", "matches"),
    [
        ("In", ["a", "b"], {"zone": "b"}, True),
        ("In", ["a"], {}, False),
        ("NotIn", ["a"], {"zone": "b"}, True),
        ("NotIn", ["a"], {}, True),
        ("NotIn", ["a"], {"zone": "a"}, False),
        ("Exists", [], {"zone": ""}, True),
        ("Exists", [], {}, False),
        ("DoesNotExist", [], {}, True),
        ("DoesNotExist", [], {"zone": "a"}, False),
        ("Gt", ["5"], {"zone": "6"}, True),
        ("Gt", ["5"], {"zone": "5"}, False),
        ("Lt", ["5"], {"zone": "4"}, True),
        ("Gt", ["0204"], {"zone": "0206"}, True),
        ("Gt", ["5"], {"zone": "six"}, False),
        ("Gt", ["5"], {}, False),
        ("Lt", ["5"], {"zone": "-1"}, True),
        ("Gt", ["5"], {"zone": "9223372036854775808"}, False),
    ],
)
def test_match_expression_operators(operator: str, values: list[str], labels: dict[str, str], matches: bool) -> None:
    term = expression("zone", operator, *values)

    assert matches_node_selector_term(term, node(labels=labels)) is matches


@pytest.mark.parametrize(
    ("key", "operator", "values"),
    [
        ("zone", "In", []),
        ("zone", "NotIn", []),
        ("zone", "Exists", ["a"]),
        ("zone", "DoesNotExist", ["a"]),
        ("zone", "Gt", ["1", "2"]),
        ("zone", "Gt", ["1.5"]),
        ("zone", "Lt", ["-1"]),
        ("zone", "Lt", ["1_000"]),
        ("zone", "in", ["a"]),
        ("zone", "In", ["not a label value"]),
        ("not a key", "Exists", []),
        ("/zone", "Exists", []),
        ("Example.com/zone", "Exists", []),
        ("a/b/zone", "Exists", []),
        ("z" * 64, "Exists", []),
    ],
)
def test_an_invalid_requirement_voids_its_whole_term(key: str, operator: str, values: list[str]) -> None:
    always_true = {"key": "zone", "operator": "Exists"}
    term = {"matchExpressions": [always_true, {"key": key, "operator": operator, "values": values}]}

    assert not matches_node_selector_term(term, node(labels={"zone": "-2", key: "a"}))


def test_a_void_term_does_not_stop_another_term_from_matching() -> None:
    terms = [expression("zone", "Gt", "one"), expression("zone", "Exists")]

    assert matches_node_selector_terms(terms, node(labels={"zone": "a"}))


def test_an_empty_term_matches_nothing() -> None:
    assert not matches_node_selector_term({}, node())
    assert not matches_node_selector_term({"matchExpressions": [], "matchFields": []}, node())


def test_an_empty_list_of_terms_matches_nothing() -> None:
    assert not matches_node_selector_terms([], node())
    assert plugins(required_affinity(), node()) == ["NodeAffinity"]


def test_a_missing_required_affinity_matches_every_node() -> None:
    pod = {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": None}}}

    assert node_matches_pod_selection(pod, node())
    assert node_matches_pod_selection({"affinity": {"podAntiAffinity": {}}}, node())


def test_preferred_affinity_never_filters() -> None:
    preferred = [{"weight": 100, "preference": expression("zone", "In", "nowhere")}]
    pod = {"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": preferred}}}

    assert check_fit(pod, node(labels={"zone": "a"}))


def test_match_fields_compare_the_node_name() -> None:
    def by_name(operator: str, value: str) -> dict[str, Any]:
        return {"matchFields": [{"key": "metadata.name", "operator": operator, "values": [value]}]}

    assert matches_node_selector_term(by_name("In", "node-1"), node("node-1"))
    assert not matches_node_selector_term(by_name("In", "node-1"), node("node-2"))
    assert matches_node_selector_term(by_name("NotIn", "node-1"), node("node-2"))
    assert not matches_node_selector_term(by_name("NotIn", "node-1"), node("node-1"))


def test_match_fields_know_no_field_but_the_name() -> None:
    term = {"matchFields": [{"key": "spec.podCIDR", "operator": "In", "values": ["10.0.0.0/24"]}]}

    assert not matches_node_selector_term(term, node("node-1"))


@pytest.mark.parametrize(
    "requirement",
    [
        {"key": "metadata.name", "operator": "In", "values": ["node-1", "node-2"]},
        {"key": "metadata.name", "operator": "In", "values": []},
        {"key": "metadata.name", "operator": "Exists"},
    ],
)
def test_match_fields_need_in_or_not_in_with_exactly_one_value(requirement: dict[str, Any]) -> None:
    assert not matches_node_selector_term({"matchFields": [requirement]}, node("node-1"))


def test_match_fields_are_not_evaluated_for_a_node_without_a_name() -> None:
    term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node-1"]}]}

    assert matches_node_selector_term(term, node(name=""))


def test_a_node_label_is_not_a_node_field() -> None:
    term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node-1"]}]}

    assert not matches_node_selector_term(term, node("node-2", {"metadata.name": "node-1"}))


# --- resource requests -------------------------------------------------------------------------


def test_container_requests_add_up() -> None:
    pod = {
        "containers": [
            {"name": "a", "resources": {"requests": {"cpu": "250m", "memory": "1Gi"}}},
            {"name": "b", "resources": {"requests": {"cpu": "0.5", "nvidia.com/gpu": "1"}}},
        ]
    }

    assert pod_requests(pod) == {"cpu": Fraction(3, 4), "memory": 2**30, "nvidia.com/gpu": 1}


def test_a_limit_without_a_request_is_the_request() -> None:
    pod = {"containers": [{"name": "a", "resources": {"limits": {"cpu": "2", "nvidia.com/gpu": "1"}}}]}

    assert pod_requests(pod) == {"cpu": 2, "nvidia.com/gpu": 1}
    result = check_fit(pod, node(allocatable={"pods": "1", "cpu": "1", "nvidia.com/gpu": "1"}))
    assert [reason.message for reason in result.reasons] == ["Insufficient cpu: requested 2, free 1 of 1"]


def test_an_explicit_request_wins_over_the_limit() -> None:
    pod = {"containers": [{"name": "a", "resources": {"requests": {"cpu": "1"}, "limits": {"cpu": "4"}}}]}

    assert pod_requests(pod) == {"cpu": 1}


def test_init_containers_count_by_their_largest_request_not_their_sum() -> None:
    pod = requesting(cpu="1", memory="1Gi") | {
        "initContainers": [
            {"name": "fetch", "resources": {"requests": {"cpu": "2"}}},
            {"name": "migrate", "resources": {"requests": {"cpu": "1500m", "memory": "3Gi"}}},
        ]
    }

    assert pod_requests(pod) == {"cpu": 2, "memory": 3 * 2**30}


def test_sidecars_run_alongside_the_containers_and_the_later_init_containers() -> None:
    pod = requesting(cpu="1") | {
        "initContainers": [
            {"name": "proxy", "restartPolicy": "Always", "resources": {"requests": {"cpu": "500m"}}},
            {"name": "migrate", "resources": {"requests": {"cpu": "2"}}},
            {"name": "logger", "restartPolicy": "Always", "resources": {"requests": {"cpu": "250m"}}},
        ]
    }

    # migrate runs next to proxy: 2.5; afterwards main, proxy and logger run together: 1.75.
    assert pod_requests(pod) == {"cpu": Fraction(5, 2)}


def test_overhead_is_added_to_the_requests() -> None:
    pod = requesting(cpu="1") | {"overhead": {"cpu": "250m", "memory": "120Mi"}}

    assert pod_requests(pod) == {"cpu": Fraction(5, 4), "memory": 120 * 2**20}


def test_requests_are_rounded_up_to_milli_units_as_the_api_server_stores_them() -> None:
    assert pod_requests(requesting(cpu="0.1m", memory="0.0001")) == {
        "cpu": Fraction(1, 1000),
        "memory": Fraction(1, 1000),
    }


def test_pod_level_requests_replace_the_containers_total() -> None:
    pod = requesting(cpu="1", memory="1Gi", **{"nvidia.com/gpu": "1"}) | {"resources": {"requests": {"cpu": "3"}}}

    assert pod_requests(pod) == {"cpu": 3, "memory": 2**30, "nvidia.com/gpu": 1}


def test_a_pod_level_limit_stands_in_for_a_request_no_container_makes() -> None:
    pod = requesting(cpu="1") | {"resources": {"limits": {"cpu": "4", "memory": "2Gi"}}}

    assert pod_requests(pod) == {"cpu": 1, "memory": 2 * 2**30}


# --- resource fit ------------------------------------------------------------------------------


def test_requests_must_fit_in_allocatable_less_what_bound_pods_request() -> None:
    gpu_node = node(allocatable={"pods": "110", "cpu": "8", "memory": "32Gi", "nvidia.com/gpu": "2"})
    bound = [requesting(cpu="6", memory="16Gi", **{"nvidia.com/gpu": "1"})]

    assert check_fit(requesting(cpu="2", memory="16Gi", **{"nvidia.com/gpu": "1"}), gpu_node, existing_pods=bound)
    assert [
        reason.message
        for reason in check_fit(requesting(cpu="2500m", memory="20Gi"), gpu_node, existing_pods=bound).reasons
    ] == [
        "Insufficient cpu: requested 2500m, free 2 of 8",
        "Insufficient memory: requested 20Gi, free 16Gi of 32Gi",
    ]


def test_an_extended_resource_the_node_does_not_offer_is_insufficient() -> None:
    result = check_fit(requesting(**{"amd.com/gpu": "1"}), node(allocatable={"pods": "10", "nvidia.com/gpu": "8"}))

    assert [reason.message for reason in result.reasons] == ["Insufficient amd.com/gpu: requested 1, free 0 of 0"]


def test_only_resources_the_pod_requests_are_checked() -> None:
    overcommitted = node(allocatable={"pods": "10", "cpu": "1", "memory": "1Gi"})
    hog = [requesting(cpu="4", memory="8Gi")]

    assert check_fit(requesting(memory="0"), overcommitted, existing_pods=hog)
    assert plugins(requesting(cpu="1m"), overcommitted, existing_pods=hog) == ["NodeResourcesFit"]


def test_resources_the_scheduler_does_not_track_are_ignored() -> None:
    pod = requesting(storage="1Ti", **{"requests.example.com/x": "1"})

    assert check_fit(pod, node(allocatable={"pods": "10"}))


def test_a_node_full_of_pods_admits_no_more() -> None:
    full = node(allocatable={"pods": "2", "cpu": "8"})

    assert check_fit({}, full, existing_pods=[{}])
    assert [reason.message for reason in check_fit({}, full, existing_pods=[{}, {}]).reasons] == [
        "Too many pods: allocatable pods is 2, 2 already bound"
    ]


def test_an_allocatable_without_pods_admits_no_pod_as_in_kube_scheduler() -> None:
    assert plugins({}, node(allocatable={"cpu": "8"})) == ["NodeResourcesFit"]


def test_a_node_without_allocatable_is_not_checked_for_resources() -> None:
    assert check_fit(requesting(cpu="1000", **{"nvidia.com/gpu": "8"}), node(), existing_pods=[{}] * 500)


def test_quantities_compare_exactly() -> None:
    exact = node(allocatable={"pods": "10", "cpu": "0.3", "memory": "1.5Gi"})

    assert check_fit(requesting(cpu="100m", memory="512Mi"), exact, existing_pods=[requesting(cpu="0.2", memory="1Gi")])
    assert not check_fit(requesting(cpu="100m", memory="512Mi"), exact, existing_pods=[requesting(cpu="201m")])


def test_fractional_bytes_round_up_to_whole_bytes_as_the_scheduler_counts_them() -> None:
    one_byte = node(allocatable={"pods": "10", "memory": "1"})

    assert check_fit(requesting(memory="0.5"), one_byte)
    assert not check_fit(requesting(memory="0.5"), one_byte, existing_pods=[requesting(memory="0.5")])


def test_free_resources_are_allocatable_less_the_bound_requests() -> None:
    gpu_node = node(allocatable={"pods": "110", "cpu": "8", "memory": "32Gi", "nvidia.com/gpu": "2"})
    bound = [requesting(cpu="1500m", **{"nvidia.com/gpu": "1"}), requesting(memory="1Gi")]

    assert free_resources(gpu_node, bound) == {
        "pods": 108,
        "cpu": Fraction(13, 2),
        "memory": 31 * 2**30,
        "nvidia.com/gpu": 1,
    }
    assert free_resources(node()) == {}


def test_a_malformed_quantity_raises_naming_the_value() -> None:
    with pytest.raises(ValueError, match="'two'"):
        check_fit(requesting(cpu="two"), node(allocatable={"pods": "1"}))
