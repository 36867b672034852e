"""The cluster picture: a Mermaid flowchart whose node subgraphs hold exactly the planned pods."""

from __future__ import annotations

import re

import pytest

import gpumanifests as gm
from gpumanifests._placement.picture import _code_cell, _markdown_text, cluster_readme, mermaid_text
from gpumanifests._placement.plan import plan_cluster
from gpumanifests._synth.loader import load_apps

from . import APPS, IMAGE, NVIDIA, cpu_node, gpu_node, make_cluster

_SUBGRAPH = re.compile(r'^\s*subgraph (\w+)\["(.*)"\]$')


def _subgraphs(readme: str) -> dict[str, list[str]]:
    """Each subgraph's (escaped) title and the lines inside it."""
    block = readme.split("```mermaid\n", 1)[1].split("```", 1)[0]
    groups: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in block.splitlines():
        match = _SUBGRAPH.match(line)
        if match:
            current = groups.setdefault(match.group(2), [])
        elif line.strip() == "end":
            current = None
        elif current is not None:
            current.append(line)
    return groups


@pytest.fixture(scope="module")
def shipped() -> gm.GitOpsApp:
    return load_apps(APPS)


def test_every_placement_is_drawn_in_its_nodes_subgraph(shipped: gm.GitOpsApp) -> None:
    for cluster in shipped.clusters:
        plan = plan_cluster(cluster)
        readme = cluster_readme(cluster, plan)
        assert readme.startswith(f"# Cluster {cluster.name}\n")
        assert "```mermaid\nflowchart LR\n" in readme
        groups = _subgraphs(readme)
        waiting = [p.pod for p in plan.placements if p.waiting_for is not None]
        drawn_nodes = [node for node in plan.nodes if not node.scale_up or plan.pods_on(node.name)]
        assert len(groups) == len(drawn_nodes) + bool(waiting)
        assert groups.get("waiting for Kueue quota", []) == [
            f'    waiting_p{i}["{pod}"]' for i, pod in enumerate(waiting)
        ]
        for node in drawn_nodes:
            [lines] = [body for title, body in groups.items() if title.startswith(mermaid_text(node.name) + " ")]
            drawn = [line for line in lines if '(["' in line]
            assert len(drawn) == len(plan.pods_on(node.name))
            for placement in plan.pods_on(node.name):
                assert any(f'(["{mermaid_text(placement.pod)}' in line for line in drawn)
                assert f"| `{placement.pod}` | `{placement.workload}` |" in readme
                assert f"| `{node.name}` |" in readme
            info = "\n".join(lines)
            assert f"profile{mermaid_text(':')} {node.profile}" in info
            for taint in node.taints:
                assert mermaid_text(taint) in info


def test_picture_is_deterministic(shipped: gm.GitOpsApp) -> None:
    for cluster in shipped.clusters:
        assert cluster_readme(cluster, plan_cluster(cluster)) == cluster_readme(cluster, plan_cluster(cluster))


def test_labels_are_mermaid_safe() -> None:
    escaped = mermaid_text('say "hi" a=b: c/d <br> [x] (y) {z} #1 | `e` &')
    for char in '"=:/<>[](){}|`':
        assert char not in escaped
    assert "#quot;" in escaped
    assert "#61;" in escaped


def test_unplaced_pods_and_violations_are_shown() -> None:
    cluster = make_cluster([cpu_node(), gpu_node("gpu-1", gpus=1)])
    component = gm.Component(cluster, "ml")
    gm.GpuJob(component, "first", profile=NVIDIA, image=IMAGE)
    gm.GpuJob(component, "second", profile=NVIDIA, image=IMAGE)
    readme = cluster_readme(cluster, plan_cluster(cluster))
    groups = _subgraphs(readme)
    assert any("second-0" in line for line in groups["no node"])
    assert "| `second-0` | `second` | `ml` | `(none)` |" in readme
    assert "1 violation(s):" in readme


def test_table_cells_are_code_spans_whose_backslashes_stay_literal() -> None:
    # Backslashes are literal inside a code span: doubling them would show two. A pipe is escaped
    # even there, as GFM splits the row into cells first; a backtick gets a longer fence.
    assert _code_cell("C:\\data") == "`C:\\data`"
    assert _code_cell("a|b") == "`a\\|b`"
    assert _code_cell("x`y") == "``x`y``"
    assert _code_cell("`y") == "`` `y ``"
    assert _code_cell("two\nlines") == "`two lines`"


def test_violations_outside_code_spans_keep_backslashes_escaped() -> None:
    assert _markdown_text("C:\\data | x\ny") == "C:\\\\data \\| x y"
