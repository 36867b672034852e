"""Hand-worked Kueue admission cases: GPU queues, cohorts, multi-pod-set jobs and flavor order.

Each expectation is worked out from Kueue v0.19.2's rules (see the module docstring of
``gpumanifests._placement.queues``), not from running Kueue. Messages are Kueue's: note that
since v0.15 a request above the maximum capacity reads ``insufficient quota for <resource> in
flavor <flavor>, previously considered podsets requests (<earlier pod sets>) + current podset
request (<request>) > maximum capacity (<max>)``; the older ``request > maximum capacity
(8 > 4)`` form is gone.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpumanifests._placement.queues import (
    AdmittedWorkload,
    Outcome,
    PodSet,
    QueueConfig,
    Verdict,
    Workload,
    admit,
    assign_flavors,
    format_amount,
    workload_from_manifest,
)

GPU = "nvidia.com/gpu"
A100 = {"nodeLabels": {"gpu": "a100"}}
L4 = {"nodeLabels": {"gpu": "l4"}}


def _queue(flavors: list[tuple[str, int]], **spec: Any) -> dict[str, Any]:
    """A ClusterQueue spec with one resource group covering cpu and GPUs, flavors in this order."""
    return {
        "namespaceSelector": {},
        "resourceGroups": [
            {
                "coveredResources": ["cpu", GPU],
                "flavors": [
                    {
                        "name": name,
                        "resources": [{"name": "cpu", "nominalQuota": "64"}, {"name": GPU, "nominalQuota": str(gpus)}],
                    }
                    for name, gpus in flavors
                ],
            }
        ],
        **spec,
    }


def _config(queues: dict[str, dict[str, Any]], **extra: Any) -> QueueConfig:
    return QueueConfig(
        cluster_queues=queues,
        resource_flavors=extra.pop("flavors", {"a100": A100, "l4": L4}),
        local_queues=extra.pop("local_queues", {f"{name}/jobs": {"clusterQueue": name} for name in queues}),
        **extra,
    )


def _job(name: str, gpus: int, *, queue: str = "team-a", created: int = 0, priority: int = 0, **pod: Any) -> Workload:
    pod_set = PodSet("main", 1, {"cpu": Fraction(1), GPU: Fraction(gpus)}, **pod)
    return Workload(name, queue, "jobs", (pod_set,), priority=priority, created=created)


def _by_key(verdicts: tuple[Verdict, ...]) -> dict[str, Verdict]:
    return {verdict.key: verdict for verdict in verdicts}


# --- one ClusterQueue --------------------------------------------------------------------------


def test_an_8_gpu_queue_admits_two_4_gpu_jobs_and_the_third_waits() -> None:
    config = _config({"team-a": _queue([("a100", 8)])})
    jobs = [_job(f"train-{i}", 4, created=i) for i in range(3)]

    first, second, third = admit(jobs, config)

    assert (first.outcome, first.cycle, first.flavors) == (Outcome.ADMITTED, 1, {"main": {"cpu": "a100", GPU: "a100"}})
    assert first.message == "Quota reserved in ClusterQueue team-a"
    assert first.usage == {("a100", "cpu"): 1, ("a100", GPU): 4}
    assert not first.borrows
    assert (second.outcome, second.cycle) == (Outcome.ADMITTED, 2)
    assert third.outcome == Outcome.WAITING
    assert third.message == (
        f"couldn't assign flavors to pod set main: insufficient unused quota for {GPU} in flavor a100, 4 more needed"
    )
    assert third.reason == "WaitingForQuota"


def test_one_cycle_takes_one_head_per_cluster_queue() -> None:
    config = _config({"team-a": _queue([("a100", 8)])})
    jobs = [_job(f"train-{i}", 4, created=i) for i in range(3)]

    verdicts = admit(jobs, config, cycles=1)

    assert [v.outcome for v in verdicts] == [Outcome.ADMITTED, Outcome.WAITING, Outcome.WAITING]
    assert verdicts[1].reason == "Pending"
    assert verdicts[1].message == "not evaluated yet: queued behind team-a/train-1 in ClusterQueue team-a"


def test_priority_then_creation_orders_the_queue() -> None:
    config = _config({"team-a": _queue([("a100", 8)])})
    jobs = [_job("old", 8, created=0), _job("urgent", 8, created=5, priority=100)]

    old, urgent = admit(jobs, config)

    assert urgent.outcome == Outcome.ADMITTED
    assert old.outcome == Outcome.WAITING
    assert "8 more needed" in old.message


def test_admitted_workloads_use_up_quota() -> None:
    config = _config({"team-a": _queue([("a100", 8)])})
    running = AdmittedWorkload("running", "team-a", "team-a", {("a100", GPU): Fraction(6)})

    (verdict,) = admit([_job("train", 4)], config, admitted=[running])

    assert verdict.outcome == Outcome.WAITING
    assert verdict.message.endswith(f"insufficient unused quota for {GPU} in flavor a100, 2 more needed")


def test_16_gpus_can_never_fit_an_8_gpu_queue() -> None:
    config = _config({"team-a": _queue([("a100", 8)])})

    (verdict,) = admit([_job("huge", 16)], config)

    assert verdict.outcome == Outcome.INADMISSIBLE
    assert verdict.reason == "ExceedsMaxQuota"
    assert verdict.message == (
        f"couldn't assign flavors to pod set main: insufficient quota for {GPU} in flavor a100, "
        "previously considered podsets requests (0) + current podset request (16) > maximum capacity (8)"
    )
    assert "request > maximum capacity" not in verdict.message


def test_an_inadmissible_head_does_not_block_a_best_effort_queue_but_blocks_a_strict_one() -> None:
    jobs = [_job("big", 8, created=0), _job("small", 2, created=1)]

    best_effort = _by_key(admit(jobs, _config({"team-a": _queue([("a100", 4)])})))
    strict = _by_key(admit(jobs, _config({"team-a": _queue([("a100", 4)], queueingStrategy="StrictFIFO")})))

    assert best_effort["team-a/big"].outcome == Outcome.INADMISSIBLE
    assert best_effort["team-a/small"].outcome == Outcome.ADMITTED
    assert strict["team-a/big"].outcome == Outcome.INADMISSIBLE
    assert strict["team-a/small"].outcome == Outcome.WAITING
    assert strict["team-a/small"].message == "blocked behind team-a/big, the head of StrictFIFO ClusterQueue team-a"


# --- cohorts -----------------------------------------------------------------------------------


def _cohort_config(team_a: dict[str, Any] | None = None, team_b: dict[str, Any] | None = None) -> QueueConfig:
    """team-a and team-b, 8 a100 GPUs each, in cohort ``gpus``; ``team_x`` patch each one's GPU quota."""

    def queue(patch: dict[str, Any] | None) -> dict[str, Any]:
        spec = _queue([("a100", 8)], cohortName="gpus")
        spec["resourceGroups"][0]["flavors"][0]["resources"][1].update(patch or {})
        return spec

    return _config({"team-a": queue(team_a), "team-b": queue(team_b)})


def test_a_queue_borrows_the_idle_quota_of_its_cohort() -> None:
    (verdict,) = admit([_job("big", 12)], _cohort_config())

    assert verdict.outcome == Outcome.ADMITTED
    assert verdict.borrows
    assert verdict.borrowing == 1
    assert verdict.flavors == {"main": {"cpu": "a100", GPU: "a100"}}


def test_a_job_within_nominal_quota_does_not_borrow() -> None:
    (verdict,) = admit([_job("small", 8)], _cohort_config())

    assert verdict.outcome == Outcome.ADMITTED
    assert not verdict.borrows


def test_borrowing_limit_caps_the_maximum_capacity() -> None:
    config = _cohort_config(team_a={"borrowingLimit": "2"})

    big, fits = admit([_job("big", 12), _job("fits", 10, queue="team-a", created=1)], config)

    assert big.outcome == Outcome.INADMISSIBLE
    assert big.message.endswith("current podset request (12) > maximum capacity (10)")
    assert fits.outcome == Outcome.ADMITTED
    assert fits.borrows


def test_lending_limit_keeps_the_rest_of_the_lenders_quota() -> None:
    config = _cohort_config(team_b={"lendingLimit": "2"})

    (too_big,) = admit([_job("big", 12)], config)
    assert too_big.outcome == Outcome.INADMISSIBLE
    assert too_big.message.endswith("maximum capacity (10)")

    # team-b's own usage comes out of the 6 GPUs it keeps before it touches what it lends
    lender = AdmittedWorkload("own", "team-b", "team-b", {("a100", GPU): Fraction(6)})
    (fits,) = admit([_job("ten", 10)], config, admitted=[lender])
    assert (fits.outcome, fits.borrowing) == (Outcome.ADMITTED, 1)

    lender = AdmittedWorkload("own", "team-b", "team-b", {("a100", GPU): Fraction(7)})
    (short,) = admit([_job("ten", 10)], config, admitted=[lender])
    assert short.outcome == Outcome.WAITING
    assert short.message.endswith(f"insufficient unused quota for {GPU} in flavor a100, 1 more needed")


def test_borrowers_are_processed_after_non_borrowers_in_a_cycle() -> None:
    config = _cohort_config()
    jobs = [_job("borrower", 12, queue="team-a", priority=100), _job("owner", 8, queue="team-b")]

    verdicts = _by_key(admit(jobs, config, cycles=1))

    assert verdicts["team-b/owner"].outcome == Outcome.ADMITTED
    assert verdicts["team-a/borrower"].outcome == Outcome.WAITING
    assert verdicts["team-a/borrower"].message == "Workload no longer fits after processing another workload"


def test_reclaiming_lent_quota_needs_preemption_which_is_reported_not_run() -> None:
    config = _cohort_config()
    spec = dict(config.cluster_queues["team-b"], preemption={"reclaimWithinCohort": "Any"})
    config = QueueConfig({**config.cluster_queues, "team-b": spec}, config.resource_flavors, config.local_queues)
    borrower = AdmittedWorkload("big", "team-a", "team-a", {("a100", GPU): Fraction(16)})

    (verdict,) = admit([_job("mine", 8, queue="team-b")], config, admitted=[borrower])

    assert verdict.outcome == Outcome.WAITING
    assert verdict.reason == "WaitingForPreemptedWorkloads"
    assert verdict.preemption_targets == ("team-a/big",)
    assert verdict.message == (
        f"couldn't assign flavors to pod set main: insufficient unused quota for {GPU} in flavor a100, "
        "8 more needed. Pending the preemption of 1 workload(s)"
    )


def test_without_a_preemption_policy_the_owner_just_waits() -> None:
    borrower = AdmittedWorkload("big", "team-a", "team-a", {("a100", GPU): Fraction(16)})

    (verdict,) = admit([_job("mine", 8, queue="team-b")], _cohort_config(), admitted=[borrower])

    assert verdict.outcome == Outcome.WAITING
    assert verdict.reason == "WaitingForQuota"
    assert verdict.preemption_targets == ()


# --- several pod sets --------------------------------------------------------------------------


def _distributed(name: str, *, workers: int = 4, gpus_per_worker: int = 2, queue: str = "team-a") -> Workload:
    """A launcher (cpu only) and ``workers`` pods of ``gpus_per_worker`` GPUs, from PodSpecs."""
    launcher = PodSet.from_pod_spec("launcher", 1, {"containers": [{"resources": {"requests": {"cpu": "500m"}}}]})
    worker_spec = {"containers": [{"resources": {"limits": {GPU: str(gpus_per_worker)}, "requests": {"cpu": "4"}}}]}
    return Workload(name, queue, "jobs", (launcher, PodSet.from_pod_spec("workers", workers, worker_spec)))


def test_a_distributed_job_is_admitted_as_a_whole() -> None:
    (verdict,) = admit([_distributed("ddp")], _config({"team-a": _queue([("a100", 8)])}))

    assert verdict.outcome == Outcome.ADMITTED
    assert verdict.flavors == {"launcher": {"cpu": "a100"}, "workers": {"cpu": "a100", GPU: "a100"}}
    assert verdict.usage == {("a100", "cpu"): Fraction(33, 2), ("a100", GPU): 8}


def test_a_distributed_job_that_does_not_fit_whole_gets_nothing() -> None:
    running = AdmittedWorkload("running", "team-a", "team-a", {("a100", GPU): Fraction(2)})

    (verdict,) = admit([_distributed("ddp")], _config({"team-a": _queue([("a100", 8)])}), admitted=[running])

    assert verdict.outcome == Outcome.WAITING
    assert verdict.flavors == {}
    assert verdict.usage == {}
    assert verdict.message == (
        f"couldn't assign flavors to pod set workers: insufficient unused quota for {GPU} in flavor a100, 2 more needed"
    )


def test_pod_sets_add_up_against_the_maximum_capacity() -> None:
    worker = {"containers": [{"resources": {"limits": {GPU: "2"}}}]}
    job = Workload(
        "two-groups",
        "team-a",
        "jobs",
        (PodSet.from_pod_spec("evens", 4, worker), PodSet.from_pod_spec("odds", 4, worker)),
    )

    (verdict,) = admit([job], _config({"team-a": _queue([("a100", 8)])}))

    assert verdict.outcome == Outcome.INADMISSIBLE
    assert verdict.message == (
        f"couldn't assign flavors to pod set odds: insufficient quota for {GPU} in flavor a100, "
        "previously considered podsets requests (8) + current podset request (8) > maximum capacity (8)"
    )


# --- flavor order and eligibility --------------------------------------------------------------


def test_flavors_are_tried_in_order_and_a_full_first_flavor_falls_back_to_the_next() -> None:
    config = _config({"team-a": _queue([("a100", 4), ("l4", 8)])})
    jobs = [_job(f"job-{i}", 4, created=i) for i in range(4)]

    verdicts = admit(jobs, config)

    assert [v.flavors.get("main", {}).get(GPU) for v in verdicts] == ["a100", "l4", "l4", None]
    assert [v.outcome for v in verdicts] == [Outcome.ADMITTED] * 3 + [Outcome.WAITING]
    assert verdicts[3].message == (
        f"couldn't assign flavors to pod set main: insufficient unused quota for {GPU} in flavor a100, 4 more needed, "
        f"insufficient unused quota for {GPU} in flavor l4, 4 more needed"
    )


def test_a_node_selector_picks_the_flavor_with_matching_labels() -> None:
    config = _config({"team-a": _queue([("a100", 4), ("l4", 8)])})

    (verdict,) = admit([_job("l4-only", 2, node_selector={"gpu": "l4", "zone": "any"})], config)

    assert verdict.flavors == {"main": {"cpu": "l4", GPU: "l4"}}


def test_required_affinity_that_no_flavor_matches_is_inadmissible() -> None:
    terms = ({"matchExpressions": [{"key": "gpu", "operator": "In", "values": ["h100"]}]},)
    config = _config({"team-a": _queue([("a100", 4), ("l4", 8)])})

    (verdict,) = admit([_job("h100", 2, required_node_affinity=terms)], config)

    assert verdict.outcome == Outcome.INADMISSIBLE
    assert verdict.reason == "NoMatchingFlavor"
    assert verdict.message == (
        "couldn't assign flavors to pod set main: flavor a100 doesn't match node affinity, "
        "flavor l4 doesn't match node affinity"
    )


def test_a_tainted_flavor_needs_a_toleration_unless_it_tolerates_its_own_taint() -> None:
    taint = {"key": GPU, "value": "present", "effect": "NoSchedule"}
    flavors = {"a100": {**A100, "nodeTaints": [taint]}, "l4": L4}
    config = _config({"team-a": _queue([("a100", 4), ("l4", 8)])}, flavors=flavors)
    toleration = {"key": GPU, "operator": "Exists", "effect": "NoSchedule"}

    plain, tolerant = admit([_job("plain", 2), _job("tolerant", 2, created=1, tolerations=(toleration,))], config)

    assert plain.flavors["main"][GPU] == "l4"
    assert tolerant.flavors["main"][GPU] == "a100"

    self_tolerating = {"a100": {**A100, "nodeTaints": [taint], "tolerations": [toleration]}, "l4": L4}
    (anyone,) = admit([_job("plain", 2)], _config({"team-a": _queue([("a100", 4)])}, flavors=self_tolerating))
    assert anyone.flavors["main"][GPU] == "a100"

    (refused,) = admit([_job("plain", 2)], _config({"team-a": _queue([("a100", 4)])}, flavors=flavors))
    assert refused.outcome == Outcome.INADMISSIBLE
    assert refused.message.endswith(f"untolerated taint {{{GPU} present NoSchedule <nil>}} in flavor a100")


def test_when_can_borrow_try_next_flavor_prefers_a_flavor_without_borrowing() -> None:
    def queue(**spec: Any) -> dict[str, Any]:
        return _queue([("a100", 4), ("l4", 8)], cohortName="gpus", **spec)

    lender = _queue([("a100", 8), ("l4", 0)], cohortName="gpus")
    may_stop = _config({"team-a": queue(), "team-b": lender})
    try_next = _config({"team-a": queue(flavorFungibility={"whenCanBorrow": "TryNextFlavor"}), "team-b": lender})

    (stopped,) = admit([_job("six", 6)], may_stop)
    (moved,) = admit([_job("six", 6)], try_next)

    assert (stopped.flavors["main"][GPU], stopped.borrows) == ("a100", True)
    assert (moved.flavors["main"][GPU], moved.borrows) == ("l4", False)


# --- queues that cannot take the workload ------------------------------------------------------


def test_missing_queues_and_uncovered_resources_are_no_queue() -> None:
    config = _config(
        {"team-a": _queue([("a100", 8)]), "broken": _queue([("h100", 8)])},
        local_queues={
            "team-a/jobs": {"clusterQueue": "team-a"},
            "team-a/orphan": {"clusterQueue": "gone"},
            "team-a/broken": {"clusterQueue": "broken"},
        },
    )
    tpu = PodSet("main", 1, {"cpu": Fraction(1), "google.com/tpu": Fraction(4)})
    jobs = [
        Workload("no-lq", "team-a", "missing", (tpu,)),
        Workload("no-cq", "team-a", "orphan", (tpu,)),
        Workload("no-flavor", "team-a", "broken", (tpu,)),
        Workload("tpu", "team-a", "jobs", (tpu,)),
    ]

    verdicts = admit(jobs, config)

    assert [(v.outcome, v.message) for v in verdicts] == [
        (Outcome.NO_QUEUE, "LocalQueue missing doesn't exist"),
        (Outcome.NO_QUEUE, "ClusterQueue gone doesn't exist"),
        (Outcome.NO_QUEUE, "ClusterQueue broken is inactive"),
        (
            Outcome.NO_QUEUE,
            "couldn't assign flavors to pod set main: resource google.com/tpu unavailable in ClusterQueue",
        ),
    ]


def test_the_namespace_selector_is_checked_and_null_selects_nothing() -> None:
    selecting = _queue([("a100", 8)], namespaceSelector={"matchLabels": {"team": "a"}})
    config = _config({"team-a": selecting}, namespaces={"team-a": {"team": "b"}})
    unset = _queue([("a100", 8)])
    del unset["namespaceSelector"]

    (mismatch,) = admit([_job("train", 1)], config)
    (nothing,) = admit([_job("train", 1)], _config({"team-a": unset}))
    (matching,) = admit([_job("train", 1)], _config({"team-a": selecting}, namespaces={"team-a": {"team": "a"}}))

    assert (mismatch.outcome, mismatch.message) == (
        Outcome.NO_QUEUE,
        "workload namespace doesn't match ClusterQueue selector",
    )
    assert nothing.outcome == Outcome.NO_QUEUE
    assert matching.outcome == Outcome.ADMITTED


def test_stopped_queues_hold_their_workloads() -> None:
    held = _config({"team-a": _queue([("a100", 8)], stopPolicy="Hold")})

    (verdict,) = admit([_job("train", 1)], held)

    assert (verdict.outcome, verdict.message, verdict.reason) == (
        Outcome.WAITING,
        "ClusterQueue team-a is stopped",
        "Suspended",
    )


# --- building blocks ---------------------------------------------------------------------------


def test_workloads_from_jobs_and_jobsets() -> None:
    template = {"spec": {"containers": [{"resources": {"limits": {GPU: "2"}}}]}}
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "train", "namespace": "team-a", "labels": {"kueue.x-k8s.io/queue-name": "jobs"}},
        "spec": {"parallelism": 4, "completions": 8, "template": template},
    }
    jobset = {
        "apiVersion": "jobset.x-k8s.io/v1alpha2",
        "kind": "JobSet",
        "metadata": {"name": "ddp", "namespace": "team-a", "labels": {"kueue.x-k8s.io/queue-name": "jobs"}},
        "spec": {
            "replicatedJobs": [
                {"name": "Workers", "replicas": 2, "template": {"spec": {"parallelism": 2, "template": template}}}
            ]
        },
    }

    from_job = workload_from_manifest(job, priority=5)
    from_jobset = workload_from_manifest(jobset)

    assert (from_job.key, from_job.queue, from_job.priority) == ("team-a/train", "jobs", 5)
    assert [(ps.name, ps.count, ps.requests) for ps in from_job.pod_sets] == [("main", 4, {GPU: Fraction(2)})]
    assert [(ps.name, ps.count) for ps in from_jobset.pod_sets] == [("workers", 4)]
    (verdict,) = admit([from_jobset], _config({"team-a": _queue([("a100", 8)])}))
    assert verdict.outcome == Outcome.ADMITTED
    with pytest.raises(ValueError, match="queue-name"):
        workload_from_manifest({"kind": "Job", "metadata": {"name": "unqueued"}})


def test_config_from_manifests() -> None:
    objects = [
        {
            "apiVersion": "kueue.x-k8s.io/v1beta2",
            "kind": "ClusterQueue",
            "metadata": {"name": "team-a"},
            "spec": _queue([("a100", 8)]),
        },
        {"apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "ResourceFlavor", "metadata": {"name": "a100"}, "spec": A100},
        {
            "apiVersion": "kueue.x-k8s.io/v1beta2",
            "kind": "LocalQueue",
            "metadata": {"name": "jobs", "namespace": "team-a"},
            "spec": {"clusterQueue": "team-a"},
        },
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ignored"}},
    ]

    config = QueueConfig.from_manifests(objects)

    assert set(config.local_queues) == {"team-a/jobs"}
    assert config.namespaces == {"team-a": {}}
    assert [v.outcome for v in admit([_job("train", 4), _job("elsewhere", 1, queue="team-b")], config)] == [
        Outcome.ADMITTED,
        Outcome.NO_QUEUE,
    ]


def test_direct_flavor_assignment() -> None:
    config = _config({"team-a": _queue([("a100", 4), ("l4", 8)])})

    assignment = assign_flavors(_job("six", 6), "team-a", config)

    assert (assignment.mode, assignment.flavors, assignment.borrows) == (
        "Fit",
        {"main": {"cpu": "l4", GPU: "l4"}},
        False,
    )
    assert assignment.message == ""


@pytest.mark.parametrize(
    ("resource", "amount", "text"),
    [
        ("cpu", Fraction(1, 2), "500m"),
        ("cpu", Fraction(2), "2"),
        ("cpu", Fraction(1000), "1k"),
        ("memory", Fraction(10 * 2**20), "10Mi"),
        ("memory", Fraction(1536), "1536"),
        ("memory", Fraction(2000), "2k"),
        ("memory", Fraction(0), "0"),
        (GPU, Fraction(16), "16"),
        ("pods", Fraction(1000), "1k"),
    ],
)
def test_amounts_print_as_kueue_prints_them(resource: str, amount: Fraction, text: str) -> None:
    assert format_amount(resource, amount) == text


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=8), nominal=st.integers(0, 16))
def test_a_best_effort_queue_admits_first_fit_in_queue_order(sizes: list[int], nominal: int) -> None:
    """Nothing finishes and BestEffortFIFO sets each head aside when it does not fit: the outcome
    is first-fit in creation order, and anything above the nominal quota is inadmissible.
    """
    config = _config({"team-a": _queue([("a100", nominal)])})
    jobs = [_job(f"job-{i}", size, created=i) for i, size in enumerate(sizes)]

    verdicts = admit(jobs, config)

    free = nominal
    for size, verdict in zip(sizes, verdicts, strict=True):
        if size > nominal:
            assert verdict.outcome == Outcome.INADMISSIBLE
        elif size <= free:
            assert verdict.outcome == Outcome.ADMITTED
            free -= size
        else:
            assert verdict.outcome == Outcome.WAITING
            assert verdict.message.endswith(f"{size - free} more needed")
    assert sum(size for size, v in zip(sizes, verdicts, strict=True) if v.outcome == Outcome.ADMITTED) <= nominal
