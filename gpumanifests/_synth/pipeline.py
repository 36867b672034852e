"""Synthesis: every cluster of an app, rendered, wired for Argo CD, checked, and turned into files.

Nothing is written here: :func:`synthesize` returns the complete file map, or raises
:class:`SynthError` listing every problem. Writing is :meth:`Synthesis.write`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gpumanifests._errors import Problem, Severity, SynthError
from gpumanifests._kube.yaml import dump_yaml
from gpumanifests._nodeside.files import node_side_files
from gpumanifests._output.compare import TreeDiff, diff_tree
from gpumanifests._output.layout import (
    BOOTSTRAP_DIR,
    CLUSTER_README,
    cluster_dir,
    fleet_dir,
    generated_notice,
    manifest_filename,
)
from gpumanifests._output.tree import write_tree
from gpumanifests._placement.diagnosis import diagnose
from gpumanifests._placement.picture import cluster_readme
from gpumanifests._placement.plan import Plan, plan_cluster
from gpumanifests._runtime import paused_garbage_collection
from gpumanifests._synth.diff import ApplicationDiff, tree_changes
from gpumanifests._synth.render import ClusterRender, render_cluster
from gpumanifests._synth.wiring import argocd_name_collisions, fleet_readme, wire_argocd, wire_fleet

if TYPE_CHECKING:
    from pathlib import Path

    from gpumanifests._constructs.app import GitOpsApp
    from gpumanifests._constructs.component import RenderedObject
    from gpumanifests._constructs.fleet import Fleet

__all__ = ["Synthesis", "synthesize"]


@dataclass
class Synthesis:
    """The result of a synth: the files of the tree, the warnings, and the renders behind them.

    **Usage**::

        synthesis = gm.synthesize(app)
        synthesis.changes(Path("gitops"))   # what writing would change, per cluster and Application
        synthesis.write(Path("gitops"))     # atomic; raises OutputError, never half-writes

    ``files`` maps each path inside the tree to its bytes; ``renders`` holds each cluster's
    validated objects, component by component, in apply order.
    """

    files: dict[str, bytes] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    renders: list[ClusterRender] = field(default_factory=list)

    @property
    def clusters(self) -> list[str]:
        """The names of the synthesized clusters, in declaration order."""
        return [render.cluster.name for render in self.renders]

    def write(self, out: Path) -> None:
        """Make the tree at ``out`` hold exactly these files (plus entries gpumanifests did not generate).

        All or nothing: the new tree is built beside ``out`` and swapped in atomically. Raises
        :class:`OutputError` when it cannot be done safely (see the README's "How synth writes").
        """
        write_tree(out, self.files)

    def drift(self, out: Path) -> TreeDiff:
        """How the tree at ``out`` differs from these files; falsy when it is up to date."""
        return diff_tree(out, self.files)

    def changes(self, out: Path) -> dict[tuple[str, str], ApplicationDiff]:
        """What :meth:`write` would change in ``out``, object by object, by (cluster, Application)."""
        return tree_changes(out, self.files)


def _manifest_files(directory: str, objects: list[RenderedObject], header: str) -> dict[str, bytes]:
    return {
        f"{directory}/{manifest_filename(obj.manifest)}": dump_yaml(obj.manifest, header=header).encode()
        for obj in objects
    }


def _cluster_files(render: ClusterRender, argocd: dict[str, list[RenderedObject]], plan: Plan) -> dict[str, bytes]:
    cluster = render.cluster
    base = cluster_dir(cluster.name)
    header = generated_notice(cluster.source)
    files: dict[str, bytes] = {}
    for component in render.components:
        files |= _manifest_files(f"{base}/{component.component.name}", component.objects, header)
    for directory, objects in argocd.items():
        files |= _manifest_files(f"{base}/{directory}", objects, header)
    files |= {f"{base}/{path}": content for path, content in node_side_files(cluster).items()}
    files[f"{base}/{CLUSTER_README}"] = cluster_readme(
        cluster,
        plan,
        [str(entry) for entry in render.prerequisites],
        [str(external) for component in cluster.components for external in component.external],
    ).encode()
    return files


def _fleet_files(fleet: Fleet, objects: list[RenderedObject]) -> dict[str, bytes]:
    base = fleet_dir(fleet.name)
    files = _manifest_files(f"{base}/{BOOTSTRAP_DIR}", objects, generated_notice(fleet.source))
    files[f"{base}/{CLUSTER_README}"] = fleet_readme(fleet).encode()
    return files


def synthesize(app: GitOpsApp) -> Synthesis:
    """Render, check and serialize every cluster of ``app``; raise :class:`SynthError` on any error."""
    with paused_garbage_collection():
        return _synthesize(app)


def _synthesize(app: GitOpsApp) -> Synthesis:
    synthesis = Synthesis()
    problems: list[Problem] = []
    argocd_instances: dict[str, list[RenderedObject]] = {}
    for cluster in app.clusters:
        render = render_cluster(cluster)
        argocd = wire_argocd(render)
        plan = plan_cluster(cluster)
        problems.extend(render.problems)
        problems.extend(diagnose(cluster, plan))
        synthesis.renders.append(render)
        synthesis.files |= _cluster_files(render, argocd, plan)
        instance = f"fleet {cluster.fleet.name!r}" if cluster.fleet else f"cluster {cluster.name!r}"
        argocd_instances.setdefault(instance, []).extend(obj for objects in argocd.values() for obj in objects)
    for fleet in app.fleets:
        bootstrap = wire_fleet(fleet, problems)
        argocd_instances.setdefault(f"fleet {fleet.name!r}", []).extend(bootstrap)
        synthesis.files |= _fleet_files(fleet, bootstrap)
    problems.extend(argocd_name_collisions(argocd_instances))
    if not app.clusters:
        problems.append(Problem("app", "the apps declare no cluster", "declare a Cluster in build(app)"))
    SynthError.raise_if_any(problems)
    synthesis.warnings = [problem for problem in problems if problem.severity is Severity.WARNING]
    synthesis.files = dict(sorted(synthesis.files.items()))
    return synthesis
