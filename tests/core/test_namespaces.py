"""Namespaces: rendered once per cluster, by the first component that uses them, with the right Pod Security level."""

from __future__ import annotations

from typing import TYPE_CHECKING

import gpumanifests as gm
from gpumanifests._synth.render import render_cluster

if TYPE_CHECKING:
    from collections.abc import Callable

IMAGE = "busybox:1.36.1"
ROOT = gm.SecurityOptOut(run_as_root=True, reason="legacy image runs its entrypoint as root")


def _namespaces(cluster: gm.Cluster) -> dict[str, tuple[str, dict[str, str]]]:
    render = render_cluster(cluster)
    return {
        obj.manifest["metadata"]["name"]: (part.component.name, obj.manifest["metadata"]["labels"])
        for part in render.components
        for obj in part.objects
        if obj.manifest["kind"] == "Namespace"
    }


def test_a_shared_namespace_is_owned_by_its_first_component(cluster: Callable[..., gm.Cluster]) -> None:
    lab = cluster()
    gm.CpuJob(gm.Component(lab, "first", namespace="shared"), "a", image=IMAGE)
    gm.CpuJob(gm.Component(lab, "second", namespace="shared"), "b", image=IMAGE)
    assert _namespaces(lab)["shared"][0] == "first"


def test_a_root_pod_in_any_component_lowers_the_shared_namespace_to_baseline(
    cluster: Callable[..., gm.Cluster],
) -> None:
    lab = cluster()
    gm.CpuJob(gm.Component(lab, "first", namespace="shared"), "a", image=IMAGE)
    gm.CpuJob(gm.Component(lab, "second", namespace="shared"), "b", image=IMAGE, security=ROOT)
    gm.CpuJob(gm.Component(lab, "other", namespace="other"), "c", image=IMAGE)
    namespaces = _namespaces(lab)
    assert namespaces["shared"][1]["pod-security.kubernetes.io/enforce"] == "baseline"
    assert namespaces["other"][1]["pod-security.kubernetes.io/enforce"] == "restricted"
