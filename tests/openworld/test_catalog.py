"""The vendored catalog: every schema compiles, every CEL rule is one this environment evaluates."""

from __future__ import annotations

from typing import Any

import pytest

from gpumanifests._kube.cel import compile_expression
from gpumanifests._kube.crds import catalog_kinds, vendored

EVALUATED_FUNCTIONS = {"endsWith", "find", "int", "size"}
"""The named functions the vendored rules call; each is a CEL built-in or one of _kube.cel's."""


def _rules(schema: Any) -> list[str]:
    if not isinstance(schema, dict):
        return []
    found = [rule["rule"] for rule in schema.get("x-kubernetes-validations", [])]
    for sub in schema.get("properties", {}).values():
        found += _rules(sub)
    for key in ("items", "additionalProperties", "not"):
        found += _rules(schema.get(key))
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key, []):
            found += _rules(sub)
    return found


def _all_rules() -> list[tuple[str, str]]:
    rules = []
    for entry in catalog_kinds():
        group, kind = entry.split("/")
        crd = vendored(group, kind)
        assert crd is not None
        for version in crd.versions.values():
            rules += [(f"{entry} {version.name}", rule) for rule in _rules(version.schema.openapi)]
    return rules


def test_the_catalog_covers_the_kinds_the_platform_runs() -> None:
    kinds = set(catalog_kinds())
    for expected in (
        "argoproj.io/Application",
        "argoproj.io/ApplicationSet",
        "kueue.x-k8s.io/ClusterQueue",
        "kueue.x-k8s.io/LocalQueue",
        "kueue.x-k8s.io/ResourceFlavor",
        "kueue.x-k8s.io/WorkloadPriorityClass",
        "karpenter.sh/NodePool",
        "nfd.k8s-sigs.io/NodeFeatureRule",
        "nvidia.com/ClusterPolicy",
        "jobset.x-k8s.io/JobSet",
        "leaderworkerset.x-k8s.io/LeaderWorkerSet",
        "monitoring.coreos.com/ServiceMonitor",
    ):
        assert expected in kinds


@pytest.mark.parametrize("entry", catalog_kinds())
def test_every_served_schema_compiles(entry: str) -> None:
    group, kind = entry.split("/")
    crd = vendored(group, kind)
    assert crd is not None
    for version in crd.versions.values():
        assert version.schema.errors({"apiVersion": f"{group}/{version.name}", "kind": kind}) is not None


def test_every_vendored_rule_parses_and_calls_only_functions_evaluated_here() -> None:
    rules = _all_rules()
    assert len(rules) == 73
    called = set()
    for _, rule in rules:
        program = compile_expression(rule)
        called |= {name for name in program.functions() if name[0].isalpha()}
    assert called == EVALUATED_FUNCTIONS


def test_transition_rules_are_known() -> None:
    """Rules reading oldSelf apply on update only; on create (all a GitOps tree does first) they are skipped."""
    transition = [rule for _, rule in _all_rules() if "oldSelf" in compile_expression(rule).variables()]
    assert len(transition) == 20
