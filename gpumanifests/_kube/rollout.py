"""How far a Deployment's rolling update may go above and below its replicas.

``maxSurge`` and ``maxUnavailable`` are each a pod count or a percentage of the replicas (an
IntOrString); the API server defaults a missing one to ``25%``. The Deployment controller scales
a percentage to pods rounding up for the surge and down for the unavailable pods, and when both
come to 0 it lets one pod be unavailable, so a rollout can always move (``ResolveFenceposts`` in
``pkg/controller/deployment/util/deployment_util.go``); the API refuses both set to 0 outright.
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = ["DEFAULT_BUDGET", "deployment_fenceposts", "fenceposts", "scaled_value"]

DEFAULT_BUDGET = "25%"
"""What the API server defaults a missing ``maxSurge`` or ``maxUnavailable`` to."""

_INTEGER = re.compile(r"[+-]?[0-9]+")


def scaled_value(value: int | str | None, total: int, *, round_up: bool) -> int:
    """An IntOrString as a count of ``total`` (``GetScaledValueFromIntOrPercent``); None counts 0.

    Raises ``ValueError`` for a string that is not a whole-number percentage.
    """
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    number = value.removesuffix("%")
    if not value.endswith("%") or not _INTEGER.fullmatch(number):
        raise ValueError(f"{value!r} is neither a whole number nor a percentage like '25%'")
    scaled = int(number) * total / 100
    return math.ceil(scaled) if round_up else math.floor(scaled)


def fenceposts(max_surge: int | str | None, max_unavailable: int | str | None, desired: int) -> tuple[int, int]:
    """(surge, unavailable) pods of a rolling update of ``desired`` replicas, as the controller resolves them."""
    surge = scaled_value(max_surge, desired, round_up=True)
    unavailable = scaled_value(max_unavailable, desired, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def deployment_fenceposts(spec: dict[str, Any]) -> tuple[int, int] | None:
    """The (surge, unavailable) pods of a Deployment spec after API defaulting; None for ``Recreate``."""
    strategy = spec.get("strategy") or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        return None
    rolling = strategy.get("rollingUpdate") or {}
    return fenceposts(
        rolling.get("maxSurge", DEFAULT_BUDGET), rolling.get("maxUnavailable", DEFAULT_BUDGET), spec.get("replicas", 1)
    )
