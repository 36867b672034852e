"""Kueue admission of a cluster's queued Jobs, as the placement plan reports it.

The cluster's ClusterQueues, ResourceFlavors and the LocalQueues synth adds become Kueue's
configuration; each queued Job (its committed pod template, all its pods as one pod set) becomes a
Kueue Workload, ordered by priority and then declaration. :func:`queue_admissions` asks the Kueue
model (:mod:`gpumanifests._placement.queues`) what Kueue would do with all of them at once, when
none has finished yet: admit it now (with its flavor, and whether it borrows from the cohort),
keep it waiting for quota, or never admit it as configured. The last is a plan violation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gpumanifests._errors import Problem
from gpumanifests._placement.queues import Outcome, QueueConfig, Verdict, admit, workload_from_manifest

if TYPE_CHECKING:
    from gpumanifests._constructs.cluster import Cluster
    from gpumanifests._constructs.workloads import Workload

__all__ = ["QueueAdmission", "queue_admissions", "queue_problem"]


@dataclass(frozen=True)
class QueueAdmission:
    """What Kueue does with one queued workload: its verdict, by workload name and construct path."""

    workload: str
    path: str
    verdict: Verdict

    @property
    def admitted(self) -> bool:
        """Whether Kueue admits the workload now (otherwise its Job stays suspended)."""
        return self.verdict.outcome is Outcome.ADMITTED

    def to_json(self) -> dict[str, Any]:
        """The admission, keys in a fixed order."""
        verdict = self.verdict
        return {
            "workload": self.workload,
            "path": self.path,
            "clusterQueue": verdict.cluster_queue,
            "outcome": str(verdict.outcome),
            "flavors": {pod_set: dict(flavors) for pod_set, flavors in verdict.flavors.items()},
            "borrows": verdict.borrows,
            "message": verdict.message,
        }

    def __str__(self) -> str:
        return f"{self.workload}: {self.verdict.outcome} ({self.verdict.message})"


def _config(cluster: Cluster, queued: list[Workload[Any]]) -> QueueConfig:
    flavors = {
        profile.name: queue.flavor_manifest(profile)["spec"]
        for queue in cluster.cluster_queues
        for profile in queue.profiles
    }
    local_queues = {
        f"{workload.component.namespace}/{workload.queue.name}": {"clusterQueue": workload.queue.name}
        for workload in queued
        if workload.queue is not None
    }
    return QueueConfig(
        cluster_queues={queue.name: queue.spec() for queue in cluster.cluster_queues},
        resource_flavors=flavors,
        local_queues=local_queues,
    )


def queue_admissions(cluster: Cluster) -> tuple[QueueAdmission, ...]:
    """Kueue's verdict on every queued workload of ``cluster``, in declaration order."""
    queued = [workload for workload in cluster.workloads() if workload.queue is not None]
    if not queued:
        return ()
    workloads = [
        workload_from_manifest(
            workload.render()[0].manifest,
            priority=workload.queue_priority.value if workload.queue_priority is not None else 0,
            created=index,
        )
        for index, workload in enumerate(queued)
    ]
    verdicts = admit(workloads, _config(cluster, queued))
    return tuple(
        QueueAdmission(workload.name, workload.path, verdict)
        for workload, verdict in zip(queued, verdicts, strict=True)
    )


def queue_problem(admission: QueueAdmission) -> Problem | None:
    """The violation of a workload Kueue can never admit as configured; None for admitted or waiting ones."""
    verdict = admission.verdict
    if verdict.outcome not in (Outcome.INADMISSIBLE, Outcome.NO_QUEUE):
        return None
    queue = verdict.cluster_queue
    message = f"Kueue can never admit {admission.workload!r} through ClusterQueue {queue!r}: {verdict.message}"
    fix = "raise the queue's quota (quotas=...) or its borrowing, add nodes of its profile, or lower the Job's requests"
    return Problem(admission.path, message, fix)
