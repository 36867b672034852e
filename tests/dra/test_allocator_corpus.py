"""allocate_claims against every stable upstream allocator test case (tests/dra/upstream_cases.json).

The cases come from k8s.io/dynamic-resource-allocation v0.36.2 ``TestAllocator`` and
``TestLexicographicalAllocator``; each keeps its upstream name and the file, line and test
function it was transcribed from. Devices per claim are compared as upstream compares them
(``gomega.ConsistOf``: order does not matter); node selectors exactly.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from gpumanifests._placement.dra import DraResult, Features, Outcome, allocate_claims

CORPUS = json.loads((Path(__file__).parent / "upstream_cases.json").read_text())
CASES: list[dict[str, Any]] = CORPUS["cases"]


def run(case: dict[str, Any]) -> DraResult:
    features = Features(
        admin_access=case["features"]["adminAccess"], prioritized_list=case["features"]["prioritizedList"]
    )
    return allocate_claims(
        case["claims"],
        slices=case["slices"],
        classes={c["metadata"]["name"]: c for c in case["classes"]},
        node=case["node"],
        allocated=[tuple(device) for device in case["allocated"]],
        features=features,
    )


def test_the_corpus_is_complete_and_cited() -> None:
    assert len(CASES) == 104
    assert [name for name, count in Counter(c["name"] for c in CASES).items() if count > 1] == []
    for case in CASES:
        assert case["source"]["file"].startswith("structured/internal/allocatortesting/")
        assert case["source"]["test"] in ("TestAllocator", "TestLexicographicalAllocator")
        assert case["source"]["line"] > 0


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_upstream_case(case: dict[str, Any]) -> None:
    result = run(case)
    expected = case["expect"]

    assert result.outcome is Outcome(expected["outcome"]), str(result)
    if "message" in expected:
        assert expected["message"] in result.reasons[0], result.reasons
    if result.outcome is Outcome.ERROR:
        assert len(result.reasons) == 1
    if result.outcome is not Outcome.ALLOCATED:
        assert result.claims == ()
        return
    assert [claim.claim for claim in result.claims] == [claim["claim"] for claim in expected["claims"]]
    for got, want in zip(result.claims, expected["claims"], strict=True):
        devices = [(d.request, list(d.device), d.admin_access) for d in got.devices]
        wanted = [(d["request"], d["device"], d["adminAccess"]) for d in want["devices"]]
        assert sorted(devices) == sorted(wanted)
        assert got.node_selector == want["nodeSelector"]
