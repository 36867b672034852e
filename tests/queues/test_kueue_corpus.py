"""The Kueue admission model agrees with expectations transcribed from Kueue's own unit tests.

The cases in ``kueue_cases.json`` come from kubernetes-sigs/kueue **v0.19.2** (commit
``8eab68778fc1b52affe165fdf5af29d1e9b4f3cb``); each names its upstream test (``source``, a
path and ``Test.../subtest``). Two kinds:

* ``flavorAssignment`` (``pkg/scheduler/flavorassigner/flavorassigner_test.go``): one run of
  the flavor assigner, :func:`assign_flavors`, with the usage Kueue's test puts in the
  snapshot and Kueue's mock preemption oracle (``Preempt`` unless overridden per
  flavor/resource). Asserted: the mode, the flavors, borrowing (yes/no and the level), the
  message, each pod set's reasons, the granular NoFit reason and the usage, where upstream
  asserts them.
* ``schedulingCycle`` (``pkg/scheduler/scheduler_test.go:TestSchedule``): one scheduling cycle,
  :func:`admit` with ``cycles=1``, with the admitted workloads of Kueue's test and the model's
  own preemption candidate search. Asserted per workload: admitted or not, ClusterQueue,
  flavors, the ``QuotaReserved`` condition message and (as with the
  UnadmittedWorkloadsObservability gate) its granular reason.

Upstream cases left out, with the reason:

* Outside the model:

  - Topology Aware Scheduling and pod-set groups: ``TestAssignFlavors/multiple flavors, leader
    worker set, leader and workers request the same resources fits``, ``.../multiple flavors,
    leader worker set, workers request GPU, leader does not request GPU, fits``, ``.../multiple
    flavors, leader worker set, workers request GPU, leader does not request GPU, does not fit,
    without group it would fit`` (these also put one flavor in two resource groups, which the
    webhook forbids), ``TestAssignFlavors/multiple TAS flavors assigned to different resources
    in the same PodSet leads to NoFit``, ``TestIsNoFitDueToCapacityAndLimits/TAS not
    supported``, ``.../TAS level not supported``, ``.../TAS only flavor mismatch``, ``.../tas
    placement fails``, ``.../tas placement fails, cohort has no capacity``, ``.../tas placement
    fails, but queue has available capacity (waiting for preemption)``.
  - Fair sharing: ``TestAssignFlavors/when borrowing while preemption is needed for flavor one,
    fair sharing enabled, reclaimWithinCohort=Any`` and ``..., reclaimWithinCohort=Never``, each
    also in its ``; using deprecated WhenCanBorrow=MayStopSearch,WhenCanPreempt=MayStopSearch``
    form.
  - Elastic workload slices and concurrent admission: ``TestAssignFlavors/workload slice
    preemption fits in the original workload resource flavor``, ``.../workload slice preemption
    does not fit in the original workload resource flavor``,
    ``TestIsNoFitDueToCapacityAndLimits/flavor mismatch for workload slices``, ``.../flavor not
    allowed by annotations``, ``TestSchedule/workload-slice fits in single clusterQueue``.
  - Reclaimable pods (running-job state): ``TestAssignFlavors/with reclaimable pods;
    reclaimablePods on`` and ``...; reclaimablePods off``.
  - Preemption execution and preemption gates: ``TestSchedule/preempt workloads in ClusterQueue
    and cohort``, ``multiple CQs need preemption``, ``preemption while borrowing, workload
    waiting for preemption should not block a borrowing workload in another CQ``, ``minimal
    preemptions when target queue is exhausted``, ``A workload is only eligible to do
    preemptions if it fits fully within nominal quota``, ``multiple preemptions without
    borrowing``, ``multiple preemptions preemption possible after earlier workload fits``,
    ``multiple preemptions skip preemption when shared limited resource``, ``prefer reclamation
    over cq priority based preemption``, ``prefer first preemption flavor when second flavor
    requires both reclaim and cq priority preemption``, ``prefer first preemption flavor when
    second flavor also requires cq preemption``, ``workload requiring reclaimation prioritized
    over wl in another full cq``, ``preempt when workload requests zero of a resource not
    defined in ClusterQueue``, ``PreemptionOverBorrowing preference: preempt in first flavor
    instead of borrowing in second``, ``PreemptionOverBorrowing preference: select fitting
    second flavor over first flavor with no preemption candidates``, ``BorrowingOverPreemption
    preference: borrow in second flavor instead of preempting in first``, ``block preemptions
    and signal `BlockedOnPreemptionGates` when a preemption gate is present``, ``do not signal
    `BlockedOnPreemptionGates` when a preemption gate is present, but the workload fits without
    preemption``, ``do not signal `BlockedOnPreemptionGates` when a preemption gate is present,
    but the workload had nothing to preempt``.
  - Partial admission (``minCount``): ``TestSchedule/partial admission single variable pod
    set``, ``..., preempt first``, ``..., preempt with partial admission``, ``partial admission
    multiple variable pod sets``, ``partial admission disabled, multiple variable pod sets``.
  - Admission checks: ``TestSchedule/workload fits in single clusterQueue, with check state
    ready``, ``..., with check state pending``, ``pending admission check with nofit and fit
    flavors``.
  - LimitRanges and request/limit validation: ``TestSchedule/container does not satisfy
    limitRange constraints``, ``container resource requests exceed limits``.
  - int64 overflow: ``TestSchedule/prevent integer overflow when sum of requests over podsets
    exceeds MaxInt64``, ``prevent integer overflow in ResourceValue conversion to MilliValue``
    (the model's amounts are exact).
  - API errors, cache desync and queue lifecycle: ``TestSchedule/error during admission``,
    ``TestDeletedFlavors/*``, ``TestSchedule/skip workload with missing or deleted ClusterQueue
    (NoFit)``, ``workload should not fit in nonexistent clusterQueue`` and ``workload should
    not fit in clusterQueue with nonexistent flavor`` (Kueue writes no status for these; the
    model's NO_QUEUE verdicts for them are covered in ``test_admission_cases.py``).

* Invalid configurations: ``TestIsNoFitDueToCapacityAndLimits/flavor spanning multiple resource
  groups`` (one flavor in two resource groups, which ClusterQueue validation rejects).

* Duplicates in v1beta2 form (upstream keeps them for the deprecated v1beta1 values, which
  convert to the same): ``TestAssignFlavors/preempt before try next flavor; using
  WhenCanBorrow=MayStopSearch,WhenCanPreempt=MayStopSearch``, ``.../when borrowing while
  preemption is needed for flavor one; WhenCanBorrow=MayStopSearch,WhenCanPreempt=MayStopSearch``,
  ``.../when borrowing while preemption is needed for flavor one, no borrowingLimit;
  WhenCanBorrow=MayStopSearch,WhenCanPreempt=MayStopSearch``, ``.../when borrowing while
  preemption is needed for flavor one; WhenCanBorrow=TryNextFlavor,WhenCanPreempt=MayStopSearch``,
  ``.../cannot preempt in cohort (oracle returns None) for the first flavor, tries the second
  flavor (which fits); using deprecated WhenCanBorrow=MayStopSearch,WhenCanPreempt=MayStopSearch``,
  ``TestReclaimBeforePriorityPreemption/Select first flavor when flavor fungibility is disabled;
  using deprecated WhenCanPreempt=MayStopSearch``.

* Tests of internal helpers and bookkeeping rather than outcomes: ``TestIsPreferred``,
  ``TestAssignment_*``, ``TestWorkloadsTopologyRequests_*``, ``TestFlavorScan*``,
  ``TestRecompute*``, ``TestEntryOrdering``, ``TestLastSchedulingContext``,
  ``TestRequeueAndUpdate``, ``TestResourcesToReserve``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from gpumanifests._kube.quantity import parse_quantity
from gpumanifests._placement.queues import (
    AdmittedWorkload,
    Outcome,
    PodSet,
    Possibility,
    QueueConfig,
    Workload,
    admit,
    assign_flavors,
)

if TYPE_CHECKING:
    from fractions import Fraction

DATA = json.loads(Path(__file__).with_name("kueue_cases.json").read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = DATA["cases"]
FLAVOR_CASES = [case for case in CASES if case["kind"] == "flavorAssignment"]
CYCLE_CASES = [case for case in CASES if case["kind"] == "schedulingCycle"]


def _config(raw: dict[str, Any]) -> QueueConfig:
    return QueueConfig(
        cluster_queues=raw["clusterQueues"],
        resource_flavors=raw["resourceFlavors"],
        local_queues=raw["localQueues"],
        cohorts=raw["cohorts"],
        namespaces=raw.get("namespaces"),
    )


def _pod_set(raw: dict[str, Any]) -> PodSet:
    terms = raw.get("requiredNodeAffinityTerms")
    return PodSet(
        name=raw["name"],
        count=raw["count"],
        requests={name: parse_quantity(amount) for name, amount in raw["requests"].items()},
        node_selector=raw.get("nodeSelector", {}),
        required_node_affinity=None if terms is None else tuple(terms),
        tolerations=tuple(raw.get("tolerations", ())),
    )


def _admitted(case: dict[str, Any]) -> list[AdmittedWorkload]:
    return [
        AdmittedWorkload(
            name=raw["name"],
            namespace=raw["namespace"],
            cluster_queue=raw["clusterQueue"],
            usage={
                (flavor, name): parse_quantity(amount)
                for flavor, amounts in raw["usage"].items()
                for name, amount in amounts.items()
            },
            priority=raw["priority"],
        )
        for raw in case["admitted"]
    ]


def _mock_oracle(raw: dict[str, Any]) -> Any:
    """Kueue's ``testOracle``: ``(Preempt, 0)`` unless the test overrides a flavor/resource."""

    def oracle(flavor: str, resource: str, amount: Fraction) -> tuple[Possibility, int]:
        override = raw["overrides"].get(f"{flavor}/{resource}")
        if override is None:
            return Possibility(raw["default"]), 0
        return Possibility(override["result"]), override["borrowAfterPreemption"]

    return oracle


def _amounts(usage: dict[str, dict[str, str]]) -> dict[tuple[str, str], Fraction]:
    return {
        (flavor, name): parse_quantity(amount) for flavor, amounts in usage.items() for name, amount in amounts.items()
    }


def test_the_corpus_is_complete_and_its_names_are_unique() -> None:
    assert len(FLAVOR_CASES) == 61
    assert len(CYCLE_CASES) == 29
    assert [name for name, count in Counter(case["name"] for case in CASES).items() if count > 1] == []
    assert all(case["source"].startswith("pkg/scheduler/") for case in CASES)
    assert DATA["upstream"] == {
        "repository": "https://github.com/kubernetes-sigs/kueue",
        "tag": "v0.19.2",
        "commit": "8eab68778fc1b52affe165fdf5af29d1e9b4f3cb",
    }


@pytest.mark.parametrize("case", FLAVOR_CASES, ids=[case["name"] for case in FLAVOR_CASES])
def test_flavor_assignment(case: dict[str, Any]) -> None:
    raw = case["workload"]
    workload = Workload("wl", "default", "", tuple(_pod_set(ps) for ps in raw["podSets"]))
    assignment = assign_flavors(
        workload,
        raw["clusterQueue"],
        _config(case["config"]),
        admitted=_admitted(case),
        oracle=_mock_oracle(case["oracle"]),
    )
    expect = case["expect"]

    assert assignment.mode == expect["mode"], assignment.message
    assert (assignment.mode == "Fit") == expect["admitted"]
    if expect.get("flavors") is not None:
        assert assignment.flavors == expect["flavors"]
    if expect.get("borrows") is not None:
        assert assignment.borrows == expect["borrows"]
    if expect.get("borrowingLevel") is not None:
        assert assignment.borrowing == expect["borrowingLevel"]
    if expect.get("message") is not None:
        assert assignment.message == expect["message"]
    reasons = {ps.name: list(ps.reasons) for ps in assignment.pod_sets if ps.reasons}
    if "podSetReasons" in expect:
        assert reasons == {name: sorted(texts) for name, texts in expect["podSetReasons"].items()}
    if expect.get("noFitReason") is not None:
        assert assignment.no_fit_reason == expect["noFitReason"]
    if expect.get("usage") is not None:
        assert {fr: amount for fr, amount in assignment.usage.items() if amount} == _amounts(expect["usage"])


@pytest.mark.parametrize("case", CYCLE_CASES, ids=[case["name"] for case in CYCLE_CASES])
def test_scheduling_cycle(case: dict[str, Any]) -> None:
    pending = [
        Workload(
            name=raw["name"],
            namespace=raw["namespace"],
            queue=raw["localQueue"],
            pod_sets=tuple(_pod_set(ps) for ps in raw["podSets"]),
            priority=raw["priority"],
            created=raw["created"],
        )
        for raw in case["pending"]
    ]
    verdicts = {v.key: v for v in admit(pending, _config(case["config"]), admitted=_admitted(case), cycles=1)}

    for key, expect in case["expect"]["perWorkload"].items():
        verdict = verdicts[key]
        assert (verdict.outcome == Outcome.ADMITTED) == expect["admitted"], verdict
        if expect["admitted"]:
            assert verdict.cluster_queue == expect["clusterQueue"]
            assert verdict.flavors == expect["flavors"]
            assert verdict.message == expect["quotaReservedMessage"]
            assert verdict.cycle == 1
        else:
            assert verdict.message == expect["message"]
            assert verdict.reason == expect["reasonWithObservability"]
