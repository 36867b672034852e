"""Every committed pod template can run, and only where its placement rules say, on its cluster's nodes.

Independent of the plan: the pod templates are read from ``gitops/`` (every workload kind, raw
objects included), the nodes are the apps' declared nodes (and each node pool at its maximum
size) as Node objects, and each template is
checked on each empty node with the public filter model (:func:`gpumanifests.scheduling.check_fit`,
itself tested against kube-scheduler's own cases). A template must fit some node; one of a GPU
profile (its ``gpumanifests.io/profile`` label) must fit only that profile's nodes; any other must
fit no node with a GPU taint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import POD_TEMPLATE_PATHS, pod_template

from gpumanifests._synth.loader import load_apps
from gpumanifests.scheduling import check_fit, has_blocking_taint

ROOT = Path(__file__).resolve().parents[2]
TREE = ROOT / "gitops"
PROFILE_LABEL = "gpumanifests.io/profile"
CLUSTERS = {cluster.name: cluster for cluster in load_apps(ROOT / "apps").clusters}


def _templates(cluster: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted((TREE / "clusters" / cluster).rglob("*.yaml")):
        if "node-setup" in path.parts:
            continue
        template = pod_template(yaml.safe_load(path.read_text(encoding="utf-8")))
        if template is not None:
            found.append((path.name, template))
    return found


CASES = [(name, file, template) for name in sorted(CLUSTERS) for file, template in _templates(name)]


@pytest.mark.parametrize(("cluster", "file", "template"), CASES, ids=[f"{c}/{f}" for c, f, _ in CASES])
def test_the_pod_template_fits_exactly_where_its_profile_says(
    cluster: str, file: str, template: dict[str, Any]
) -> None:
    declared = CLUSTERS[cluster]
    nodes = [*declared.nodes, *(node for pool in declared.pools for node in pool.nodes())]  # pools at their maximum
    fits = {node.name for node in nodes if check_fit(template["spec"], node.to_node_object())}
    assert fits, f"{file}: the pod fits no node of {cluster}"
    profile = (template.get("metadata") or {}).get("labels", {}).get(PROFILE_LABEL)
    if profile is not None:
        assert fits <= {node.name for node in nodes if node.profile.name == profile}, file
    else:
        gpu_tainted = {node.name for node in nodes if node.profile.is_gpu and has_blocking_taint(node.to_node_object())}
        assert not fits & gpu_tainted, file


def test_the_tree_has_every_kind() -> None:
    kinds = {
        doc["kind"]
        for cluster in CLUSTERS
        for path in (TREE / "clusters" / cluster).rglob("*.yaml")
        if "node-setup" not in path.parts
        for doc in [yaml.safe_load(path.read_text(encoding="utf-8"))]
    }
    assert set(POD_TEMPLATE_PATHS) <= kinds
