"""Shared fixtures: a fresh app, a cluster with one node per catalog profile, and a component in it.

Hypothesis runs derandomized: each property draws the same examples on every machine and run
(until the test or Hypothesis changes), so CI on a fresh clone runs exactly what passed here.
Set ``HYPOTHESIS_PROFILE=explore`` to draw new examples, as a search for bugs.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings

import gpumanifests as gm

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

settings.register_profile("deterministic", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))

REPO_URL = "https://git.example.com/platform/gpumanifests.git"

GPU_PROFILES = tuple(profile for profile in gm.NodeProfile.catalog() if profile.is_gpu)
"""Every GPU profile of the catalog, with its default options."""
GPU_PROFILE_IDS = [profile.name for profile in GPU_PROFILES]


@pytest.fixture
def app() -> gm.GitOpsApp:
    """A fresh, empty app."""
    return gm.GitOpsApp()


@pytest.fixture
def cluster(app: gm.GitOpsApp) -> Callable[..., gm.Cluster]:
    """Factory: a cluster in ``app`` with a CPU node and one node per GPU profile (the catalog's by default)."""
    counter = iter(range(1000))

    def make(
        name: str | None = None,
        *,
        gpu_profiles: Sequence[gm.NodeProfile] = GPU_PROFILES,
        in_app: gm.GitOpsApp | None = None,
    ) -> gm.Cluster:
        nodes = [gm.Node(name="cpu-1", role=gm.NodeRole.CONTROL_PLANE, profile=gm.NodeProfile.cpu_only())]
        nodes += [gm.Node(name=f"{profile.name}-1", profile=profile, gpus=1) for profile in gpu_profiles]
        return gm.Cluster(
            in_app if in_app is not None else app,
            name or f"cluster-{next(counter)}",
            nodes=nodes,
            repo=gm.GitRepo(url=REPO_URL),
        )

    return make


@pytest.fixture
def component(cluster: Callable[..., gm.Cluster]) -> gm.Component:
    """A component ``ml`` (namespace ``ml``) in a cluster with every catalog profile."""
    return gm.Component(cluster("test-cluster"), "ml", namespace="ml")
