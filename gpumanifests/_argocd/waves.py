"""Argo CD sync waves: the annotation, and the one algorithm that turns dependencies into waves.

Argo CD applies the objects of a sync in ascending ``argocd.argoproj.io/sync-wave`` order (and
prunes in reverse), waiting for each wave to be healthy before the next. A dependency graph
becomes waves by putting every node one wave after the deepest node it depends on, so
independent objects share a wave and the number of waves is the length of the longest chain.
"""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Collection, Hashable, Mapping

__all__ = ["SYNC_WAVE_ANNOTATION", "WaveCycleError", "sync_waves"]

SYNC_WAVE_ANNOTATION = "argocd.argoproj.io/sync-wave"
"""Argo CD syncs lower waves first and prunes in reverse; the value is an integer as a string."""

NodeT = TypeVar("NodeT", bound="Hashable")


class WaveCycleError(Exception, Generic[NodeT]):
    """The dependencies form a cycle, so no wave order exists; ``cycle`` lists it, first node repeated."""

    def __init__(self, cycle: list[NodeT]) -> None:
        super().__init__(cycle)
        self.cycle = cycle


def sync_waves(dependencies: Mapping[NodeT, Collection[NodeT]]) -> dict[NodeT, int]:
    """The wave of every node: 0 without dependencies, else one more than its deepest dependency.

    ``dependencies`` maps each node to the nodes it must follow; every one of those must be a
    key too. Raises :class:`WaveCycleError` when the dependencies form a cycle.
    """
    try:
        order = list(TopologicalSorter(dependencies).static_order())
    except CycleError as error:
        raise WaveCycleError(list(error.args[1])) from None
    waves: dict[NodeT, int] = {}
    for node in order:
        waves[node] = 1 + max((waves[dependency] for dependency in dependencies[node]), default=-1)
    return waves
