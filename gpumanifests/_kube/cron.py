"""CronJob schedules and time zones, validated as the API server validates them.

A schedule is parsed by ``github.com/robfig/cron/v3``'s ``ParseStandard`` (v3.0.1, what Kubernetes
vendors): five fields (minute, hour, day of month, month, day of week), each a comma-separated
list of ``*``/``?``, a number or name, or a range ``a-b``, optionally ``/step``; or a descriptor
(``@yearly``, ``@annually``, ``@monthly``, ``@weekly``, ``@daily``, ``@midnight``, ``@hourly``,
``@every <duration>``). ``TZ=`` or ``CRON_TZ=`` in a new schedule is refused in favour of
``timeZone``, which must be an IANA zone name the tz database knows (not ``Local``)
(``pkg/apis/batch/validation/validation.go``). Error texts are robfig's.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass

__all__ = ["check_schedule", "check_time_zone"]


@dataclass(frozen=True)
class _Bounds:
    low: int
    high: int
    names: dict[str, int]


_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
_FIELDS = (
    _Bounds(0, 59, {}),
    _Bounds(0, 23, {}),
    _Bounds(1, 31, {}),
    _Bounds(1, 12, {name: index + 1 for index, name in enumerate(_MONTHS)}),
    _Bounds(0, 6, {name: index for index, name in enumerate(_DAYS)}),
)
_DESCRIPTORS = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})
_GO_INT = re.compile(r"[+-]?[0-9]+")
_DURATION = re.compile(r"[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+|[+-]?0")
"""Go's ``time.ParseDuration``: a signed sequence of decimal numbers each with a unit, or ``0``."""
_ZONE_PART = re.compile(r"[A-Za-z.\-_0-9+]{1,14}")


def _number(text: str) -> int:
    """robfig's ``mustParseInt``: Go's ``strconv.Atoi``, and no negative numbers."""
    if not _GO_INT.fullmatch(text):
        raise ValueError(f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": invalid syntax')
    number = int(text)
    if number < 0:
        raise ValueError(f"negative number ({number}) not allowed: {text}")
    return number


def _value(text: str, bounds: _Bounds) -> int:
    return bounds.names[text.lower()] if text.lower() in bounds.names else _number(text)


def _check_range(expression: str, bounds: _Bounds) -> None:
    """robfig's ``getRange`` for one comma-separated part of a field."""
    range_and_step = expression.split("/")
    low_and_high = range_and_step[0].split("-")
    if low_and_high[0] in ("*", "?"):
        start, end = bounds.low, bounds.high
    else:
        start = _value(low_and_high[0], bounds)
        if len(low_and_high) > 2:
            raise ValueError(f"too many hyphens: {expression}")
        end = _value(low_and_high[1], bounds) if len(low_and_high) == 2 else start
    if len(range_and_step) > 2:
        raise ValueError(f"too many slashes: {expression}")
    step = _number(range_and_step[1]) if len(range_and_step) == 2 else 1
    if len(range_and_step) == 2 and len(low_and_high) == 1:
        end = bounds.high
    if start < bounds.low:
        raise ValueError(f"beginning of range ({start}) below minimum ({bounds.low}): {expression}")
    if end > bounds.high:
        raise ValueError(f"end of range ({end}) above maximum ({bounds.high}): {expression}")
    if start > end:
        raise ValueError(f"beginning of range ({start}) beyond end of range ({end}): {expression}")
    if step == 0:
        raise ValueError(f"step of range should be a positive number: {expression}")


def _check_descriptor(spec: str) -> None:
    if spec in _DESCRIPTORS:
        return
    if spec.startswith("@every "):
        duration = spec.removeprefix("@every ")
        if not _DURATION.fullmatch(duration):
            raise ValueError(f'failed to parse duration {spec}: time: invalid duration "{duration}"')
        return
    raise ValueError(f"unrecognized descriptor: {spec}")


def check_schedule(schedule: str) -> None:
    """Raise ``ValueError`` with the API server's reason unless ``schedule`` is a valid CronJob schedule."""
    if not schedule:
        raise ValueError("a schedule is required")
    if "TZ" in schedule:
        raise ValueError("cannot use TZ or CRON_TZ in schedule, use timeZone field instead")
    if schedule.startswith("@"):
        _check_descriptor(schedule)
        return
    fields = schedule.split()
    if len(fields) != len(_FIELDS):
        raise ValueError(f"expected exactly {len(_FIELDS)} fields, found {len(fields)}: [{' '.join(fields)}]")
    for field, bounds in zip(fields, _FIELDS, strict=True):
        for expression in (part for part in field.split(",") if part):
            _check_range(expression, bounds)


def check_time_zone(time_zone: str) -> None:
    """Raise ``ValueError`` unless ``time_zone`` is a valid CronJob ``timeZone`` (an IANA zone name)."""
    parts = time_zone.split("/")
    if not time_zone or any(
        part in (".", "..") or part.startswith("-") or not _ZONE_PART.fullmatch(part) for part in parts
    ):
        raise ValueError(f"unknown time zone {time_zone}")
    if time_zone.lower() == "local":
        raise ValueError("timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones")
    try:
        zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {time_zone}") from None
