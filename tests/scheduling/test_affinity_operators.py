"""Gt, Lt, multi-value In and the other node-affinity operators, on Kubernetes' own test cases.

``upstream_affinity_operator_cases.json`` transcribes, case by case with its source (repository,
path, commit, test name), the cases of kubernetes/component-helpers' node-affinity tests and of
kubernetes/apimachinery's label-selector tests (the scheduler matches node labels with the same
``Requirement.Matches``) that use these operators; an OR of several terms is left out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import gpumanifests as gm
from gpumanifests.scheduling import matches_node_selector_term

CASES: list[dict[str, Any]] = json.loads((Path(__file__).parent / "upstream_affinity_operator_cases.json").read_text())


def _node(labels: dict[str, str]) -> dict[str, Any]:
    return {"metadata": {"name": "node", "labels": labels}}


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{index}-{case['source'].rpartition(' ')[2]}" for index, case in enumerate(CASES)]
)
def test_the_scheduler_model_matches_as_upstream_does(case: dict[str, Any]) -> None:
    term = {"matchExpressions": case["requirements"]}
    assert matches_node_selector_term(term, _node(case["node_labels"])) is case["matches"], case["source"]


@pytest.mark.parametrize("case", CASES, ids=[f"{index}" for index, _ in enumerate(CASES)])
def test_a_profile_selector_reads_node_labels_as_upstream_does(case: dict[str, Any]) -> None:
    try:
        selectors = [
            gm.NodeRequirement(
                key=r["key"], operator=gm.NodeOperator(r["operator"]), values=tuple(r.get("values") or ())
            )
            for r in case["requirements"]
        ]
    except gm.InvalidInputError:
        assert case["matches"] is False  # upstream: a requirement that does not parse matches no node
        return
    assert all(selector.matches(case["node_labels"]) for selector in selectors) is case["matches"], case["source"]


def test_the_corpus_covers_gt_lt_and_multi_value_in_both_ways() -> None:
    def outcomes(operator: str) -> set[bool]:
        return {c["matches"] for c in CASES for r in c["requirements"] if r["operator"] == operator}

    assert outcomes("Gt") == outcomes("Lt") == {True, False}
    assert {
        c["matches"] for c in CASES for r in c["requirements"] if r["operator"] == "In" and len(r["values"]) > 1
    } == {True, False}
