"""Synthesis: every cluster of an app, rendered, wired for Argo CD, checked, and turned into files.

Nothing is written here: :func:`synthesize` returns the complete file map, or raises
:class:`SynthError` listing every problem. Writing is :meth:`Synthesis.write`.
:func:`synthesize_apps` does the same for an apps directory, rendering only the groups of apps
whose inputs changed since the cache beside the tree was written (see ``cache.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gpumanifests._errors import GpuManifestsError, Problem, Severity, SynthError
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
from gpumanifests._output.tree import file_digest, write_tree
from gpumanifests._placement.diagnosis import diagnose
from gpumanifests._placement.picture import cluster_readme
from gpumanifests._placement.plan import Plan, plan_cluster
from gpumanifests._runtime import paused_garbage_collection
from gpumanifests._synth.cache import (
    CachedGroup,
    SynthCache,
    cache_options,
    cluster_order,
    declarations,
    warning_order,
)
from gpumanifests._synth.diff import ApplicationDiff, tree_changes
from gpumanifests._synth.loader import LoadedApps, load_app_files, load_apps
from gpumanifests._synth.render import ClusterRender, render_cluster
from gpumanifests._synth.sources import app_label
from gpumanifests._synth.wiring import argocd_name_collisions, fleet_readme, wire_argocd, wire_fleet

if TYPE_CHECKING:
    from pathlib import Path

    from gpumanifests._constructs.app import GitOpsApp
    from gpumanifests._constructs.component import RenderedObject
    from gpumanifests._constructs.fleet import Fleet

__all__ = ["Synthesis", "invalid", "synthesize", "synthesize_apps"]


@dataclass
class Synthesis:
    """The result of a synth: the files of the tree, the warnings, and the renders behind them.

    **Usage**::

        synthesis = gm.synthesize(app)
        synthesis.changes(Path("gitops"))   # what writing would change, per cluster and Application
        synthesis.write(Path("gitops"))     # atomic; raises OutputError, never half-writes

    ``files`` maps each path inside the tree to its bytes; ``renders`` holds each rendered
    cluster's validated objects, component by component, in apply order; ``clusters`` names
    every cluster in the tree, rendered or reused from the cache, in declaration order.
    """

    files: dict[str, bytes] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    renders: list[ClusterRender] = field(default_factory=list)
    clusters: list[str] = field(default_factory=list)

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


def invalid(render: ClusterRender) -> bool:
    """Whether rendering the cluster found an error (an object the API server would refuse, a bad patch)."""
    return any(problem.severity is Severity.ERROR for problem in render.problems)


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
        problems.extend(render.problems)
        synthesis.clusters.append(cluster.name)
        if invalid(render):
            continue  # wiring and the placement proof read the objects: they would read what no API server takes
        argocd = wire_argocd(render)
        plan = plan_cluster(cluster)
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


def synthesize_apps(apps_dir: Path, out: Path, *, strict: bool = False, cached: bool = True) -> Synthesis:
    """Synthesize the apps of ``apps_dir`` for the tree at ``out``; raise :class:`SynthError` on any error.

    With ``cached``, groups of apps whose inputs and files are unchanged since the cache was
    written are read from the tree instead of rendered; the result is the same file map as an
    uncached synth's. On any error, the apps are synthesized again without the cache, so the
    errors are those of a full synth.
    """
    if not cached:
        return synthesize(load_apps(apps_dir, strict=strict))
    cache = SynthCache(apps_dir, out, cache_options(strict=strict))
    reused, contents = cache.reusable()
    try:
        synthesis, groups = _synthesize_changed(cache, reused, contents, strict=strict)
    except GpuManifestsError:
        if not reused:
            raise
        synthesis, groups = _synthesize_changed(cache, [], {}, strict=strict)
    cache.save(groups)
    return synthesis


def _synthesize_changed(
    cache: SynthCache, reused: list[CachedGroup], contents: dict[str, bytes], *, strict: bool
) -> tuple[Synthesis, list[CachedGroup]]:
    """Render the apps no reused group covers, merged with the reused groups, and the groups to cache.

    A reused group that declares a cluster or fleet id the rendered apps also declare (they
    joined its fleet, or clash with it) is rendered with them instead.
    """
    while True:
        covered = {label for group in reused for label in group.apps}
        files = [file for file in cache.files if app_label(file) not in covered]
        loaded = load_app_files(cache.apps_dir, files, strict=strict)
        declared = {name for names in loaded.declared.values() for name in names}
        clashing = [group for group in reused if declared & set(group.names)]
        if not clashing:
            break
        reused = [group for group in reused if group not in clashing]
    synthesis = synthesize(loaded.app) if loaded.declared else Synthesis()
    kept = {path: contents[path] for group in reused for path in group.files}
    clusters = cluster_order(
        cache.files,
        {**declarations(reused), **loaded.declared},
        {*synthesis.clusters, *(cluster for group in reused for cluster in group.clusters)},
    )
    merged = Synthesis(
        files=dict(sorted((synthesis.files | kept).items())),
        warnings=warning_order([*synthesis.warnings, *(w for group in reused for w in group.warnings)], clusters),
        renders=synthesis.renders,
        clusters=clusters,
    )
    groups = [*reused, *_groups(cache, loaded, synthesis)]
    return merged, groups


class _Joined:
    """Which app files belong together (union-find over their labels)."""

    def __init__(self, labels: list[str]) -> None:
        self._parent = {label: label for label in labels}

    def root(self, label: str) -> str:
        while self._parent[label] != label:
            label = self._parent[label]
        return label

    def join(self, one: str, other: str) -> None:
        self._parent[self.root(one)] = self.root(other)


def _groups(cache: SynthCache, loaded: LoadedApps, synthesis: Synthesis) -> list[CachedGroup]:
    """The loaded apps as cache groups: an app alone, or with the apps it shares a fleet with.

    None when a file or a warning cannot be attributed to one group; then nothing of these apps
    is cached.
    """
    declared_by = {name: label for label, names in loaded.declared.items() for name in names}
    joined = _Joined(list(loaded.declared))
    for fleet in loaded.app.fleets:
        for cluster in fleet.clusters:
            joined.join(cluster.source, declared_by[fleet.name])
    owners = {cluster.name: joined.root(cluster.source) for cluster in loaded.app.clusters}
    owners |= {fleet.path: joined.root(declared_by[fleet.name]) for fleet in loaded.app.fleets}
    directories = {cluster_dir(cluster.name): owners[cluster.name] for cluster in loaded.app.clusters}
    directories |= {fleet_dir(fleet.name): owners[fleet.path] for fleet in loaded.app.fleets}
    members: dict[str, list[str]] = {}
    for label in loaded.declared:
        members.setdefault(joined.root(label), []).append(label)
    files: dict[str, dict[str, str]] = {group: {} for group in members}
    warnings: dict[str, list[Problem]] = {group: [] for group in members}
    try:
        for path, content in synthesis.files.items():
            files[directories["/".join(path.split("/")[:2])]][path] = file_digest(content)
        for warning in synthesis.warnings:
            parts = warning.path.split("/")
            warnings[owners.get(parts[0]) or owners["/".join(parts[:2])]].append(warning)
    except KeyError:
        return []
    return [
        CachedGroup(
            apps=tuple(labels),
            keys=tuple(cache.key(label, loaded.reads[label]) for label in labels),
            reads=tuple(tuple(loaded.reads[label]) for label in labels),
            declared=tuple(tuple(loaded.declared[label]) for label in labels),
            clusters=frozenset(cluster.name for cluster in loaded.app.clusters if owners[cluster.name] == group),
            files=files[group],
            warnings=tuple(warnings[group]),
        )
        for group, labels in members.items()
    ]
