"""CronJobs: a GPU or CPU Job run on a schedule, with the placement and defaults of a Job.

The CronJob controller creates a Job from ``jobTemplate`` at each scheduled time (in ``time_zone``,
else the controller manager's zone); history limits (Kubernetes' defaults: 3 succeeded, 1
failed) keep the finished Jobs in check, so no run policy or TTL applies. The CronJob itself is a
plain tracked object. The placement proof places one run's pods: runs never overlap under the
default ``Forbid``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Self, TypeVar

from pydantic import AfterValidator, model_validator

from gpumanifests._constructs.component import RenderedObject
from gpumanifests._constructs.workloads import (
    _BatchMixin,
    _BatchOptions,
    _BatchProps,
    _CommonOptions,
    _CpuProps,
    _CpuWorkload,
    _GpuOptions,
    _GpuProps,
    _GpuWorkload,
)
from gpumanifests._kube.cron import check_schedule, check_time_zone
from gpumanifests._props import parse_props

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from gpumanifests._constructs.component import ResourceScope
    from gpumanifests._constructs.profiles import NodeProfile

__all__ = ["ConcurrencyPolicy", "CpuCronJob", "GpuCronJob"]

_CRON_JOB_NAME_MAX = 52
"""The controller names each Job ``<cronjob>-<11 characters>``, and a Job's name is at most 63."""


def _schedule(value: str) -> str:
    try:
        check_schedule(value)
    except ValueError as error:
        raise ValueError(f"{value!r} is not a CronJob schedule: {error}") from None
    return value


def _time_zone(value: str) -> str:
    check_time_zone(value)
    return value


Schedule = Annotated[str, AfterValidator(_schedule)]
TimeZone = Annotated[str, AfterValidator(_time_zone)]


class ConcurrencyPolicy(StrEnum):
    """What a CronJob does when a run is due while the previous one still runs."""

    FORBID = "Forbid"
    """Skip the new run: a GPU job never competes with itself for devices (the default here)."""
    REPLACE = "Replace"
    """Stop the running Job and start the new one."""
    ALLOW = "Allow"
    """Run both (Kubernetes' default): overlapping runs each need their own capacity."""


class _CronJobProps(_BatchProps):
    schedule: Schedule
    time_zone: TimeZone | None = None
    concurrency_policy: ConcurrencyPolicy = ConcurrencyPolicy.FORBID

    @model_validator(mode="after")
    def _name_leaves_room_for_the_run_suffix(self) -> Self:
        if len(self.name) > _CRON_JOB_NAME_MAX:
            raise ValueError(
                f"name={self.name!r} is {len(self.name)} characters; a CronJob names each run '<name>-<11 characters>' "
                f"within 63, so use at most {_CRON_JOB_NAME_MAX}"
            )
        return self


class GpuCronJobProps(_GpuProps, _CronJobProps):
    """Validated props of :class:`GpuCronJob`."""


class CpuCronJobProps(_CpuProps, _CronJobProps):
    """Validated props of :class:`CpuCronJob`."""


class _CronJobOptions(_BatchOptions, total=False):
    time_zone: str | None
    concurrency_policy: ConcurrencyPolicy


class GpuCronJobOptions(_GpuOptions, _CronJobOptions, total=False):
    """Keyword options of :class:`GpuCronJob`."""


class CpuCronJobOptions(_CommonOptions, _CronJobOptions, total=False):
    """Keyword options of :class:`CpuCronJob`."""


_CJP = TypeVar("_CJP", bound=_CronJobProps)


class _CronJobMixin(_BatchMixin[_CJP]):
    kind = "CronJob"

    def _render(self) -> list[RenderedObject]:
        props = self.props
        job = {"metadata": {"labels": self.object_labels()}, "spec": props.job_spec(self._pod_template())}
        spec: dict[str, Any] = {
            "concurrencyPolicy": str(props.concurrency_policy),
            "jobTemplate": job,
            "schedule": props.schedule,
        }
        if props.time_zone is not None:
            spec["timeZone"] = props.time_zone
        manifest = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": self._metadata(), "spec": spec}
        return [RenderedObject(manifest, self.path)]


class GpuCronJob(_GpuWorkload[GpuCronJobProps], _CronJobMixin[GpuCronJobProps]):
    """A GPU Job run on ``schedule`` (cron syntax: ``"0 3 * * *"``, or ``@daily``).

    **Usage**: ``gm.GpuCronJob(training, "nightly-eval", profile=A100, schedule="0 3 * * *",
    time_zone="Etc/UTC", image=..., command=[...])``. The placement and defaults of a
    :class:`GpuJob` (``backoff_limit``, ``active_deadline_seconds``, ``parallelism``,
    ``completions``), ``concurrency_policy=ConcurrencyPolicy.FORBID``; no time zone means the
    controller manager's. The schedule and zone are checked as the API server checks them.
    """

    def __init__(
        self,
        scope: ResourceScope,
        id: str,
        *,
        profile: NodeProfile,
        schedule: str,
        **options: Unpack[GpuCronJobOptions],
    ) -> None:
        self.props = parse_props(
            GpuCronJobProps, f"GpuCronJob {id!r}", name=id, profile=profile, schedule=schedule, **options
        )
        super().__init__(scope, id)


class CpuCronJob(_CpuWorkload[CpuCronJobProps], _CronJobMixin[CpuCronJobProps]):
    """A CPU Job run on ``schedule``, kept off GPU nodes (reports, clean-ups, syncs).

    The defaults of :class:`CpuJob` and :class:`GpuCronJob`'s schedule rules.
    """

    def __init__(
        self, scope: ResourceScope, id: str, *, image: str, schedule: str, **options: Unpack[CpuCronJobOptions]
    ) -> None:
        self.props = parse_props(
            CpuCronJobProps, f"CpuCronJob {id!r}", name=id, image=image, schedule=schedule, **options
        )
        super().__init__(scope, id)
