"""check_fit agrees with every expectation translated from Kubernetes' scheduler unit tests."""

from __future__ import annotations

from collections import Counter

import pytest

from gpumanifests.scheduling import check_fit

from .upstream_cases import CASES, UpstreamCase


def test_the_corpus_is_large_and_its_names_are_unique() -> None:
    ids = Counter((case.source, case.name) for case in CASES)
    assert len(CASES) >= 120
    assert [case for case, count in ids.items() if count > 1] == []


@pytest.mark.parametrize("case", CASES, ids=[f"{case.source}: {case.name}" for case in CASES])
def test_upstream_expectation(case: UpstreamCase) -> None:
    result = check_fit(case.pod, case.node, existing_pods=case.existing)

    assert bool(result) == (not case.rejected_by), str(result)
    assert {reason.plugin for reason in result.reasons} == set(case.rejected_by), str(result)
    messages = " | ".join(reason.message for reason in result.reasons)
    for text in case.mentions:
        assert text in messages
