"""Argo CD wiring: one Application per component, least-privilege projects, and the root that syncs them.

- ``apps/``: the ``<cluster>`` AppProject and one Application per component directory.
- ``bootstrap/`` of a cluster that runs its own Argo CD, applied once by an operator
  (``kubectl apply -f``): the ``<cluster>-bootstrap`` AppProject, allowed only Applications and
  AppProjects in the Argo CD namespace, and the ``<cluster>-root`` Application that syncs ``apps/``.
- ``fleets/<fleet>/bootstrap/`` for the members of a fleet, applied once to the management
  Argo CD: the ``<fleet>-bootstrap`` AppProject and the ``<fleet>-clusters`` ApplicationSet,
  which makes the same ``<cluster>-root`` Application for each member.

The ``<cluster>`` AppProject is derived from what was rendered: exactly the repository, exactly
the destination namespaces used, exactly the cluster-scoped and namespaced kinds rendered.
Application sync waves come from component dependencies (node configuration before the GPU
workloads that need it); Argo CD only waits for child Applications with the Application
health check enabled (see the README).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gpumanifests._argocd.models import (
    DEFAULT_SYNC_OPTIONS,
    IN_CLUSTER_SERVER,
    Application,
    ApplicationSet,
    AppProject,
    Destination,
    GitSource,
    GroupKind,
    IgnoreDifferences,
    SyncOption,
    SyncPolicy,
)
from gpumanifests._argocd.schema import validate_argocd_object
from gpumanifests._argocd.waves import WaveCycleError, sync_waves
from gpumanifests._constructs.component import RenderedObject
from gpumanifests._constructs.nodeconfig import node_component_name
from gpumanifests._constructs.nodepools import NODE_POOLS_COMPONENT
from gpumanifests._errors import Problem
from gpumanifests._kube.kinds import group_of
from gpumanifests._kube.labels import stamp_managed
from gpumanifests._output.layout import APPS_DIR, BOOTSTRAP_DIR, generated_notice, repo_path
from gpumanifests._synth.render import crd_key

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from gpumanifests._constructs.cluster import Cluster
    from gpumanifests._constructs.fleet import Fleet
    from gpumanifests._kube.kinds import ObjectKey
    from gpumanifests._kube.schemas import KindRegistry
    from gpumanifests._synth.render import ClusterRender, ComponentRender

__all__ = ["application_waves", "argocd_name_collisions", "wire_argocd", "wire_fleet"]

KUEUE_OWNED_JOB_FIELDS = IgnoreDifferences(
    group="batch", kind="Job", managed_fields_managers=("kueue",), jq_path_expressions=(".spec.suspend",)
)
"""What Kueue owns of a queued Job: ``spec.suspend`` (its admission switch, first set by its webhook
while Argo CD creates the Job) and the fields its controller writes (the flavor's ``nodeSelector``)."""
_BASE_OPTIONS: tuple[SyncOption, ...] = tuple(
    option for option in DEFAULT_SYNC_OPTIONS if option is not SyncOption.SERVER_SIDE_APPLY
)
"""The default options without server-side apply, which components choose (the root app never uses it)."""


def _implicit_component_dependencies(
    render: ComponentRender, cluster_render: ClusterRender, crd_owners: dict[ObjectKey, str]
) -> set[str]:
    """Node configuration of the profiles its GPU workloads use (and their node pools), the owner
    of its namespace, the components of the ClusterQueues its Jobs are queued to, and the
    components that install the CRDs of its custom resources (``crd_owners``: CRD key -> component).
    """
    component = render.component
    profiles = [workload.profile for workload in component.workloads() if workload.profile is not None]
    needed = {node_component_name(profile) for profile in profiles}
    if any(pool.profile in profiles for pool in component.cluster.pools):
        needed.add(NODE_POOLS_COMPONENT)
    needed.update(workload.queue.component.name for workload in component.workloads() if workload.queue is not None)
    owner = cluster_render.namespace_owners.get(component.namespace)
    if owner is not None:
        needed.add(owner)
    needed.update(crd_owners[key] for key in _crds_used(render, cluster_render.registry) if key in crd_owners)
    needed.discard(component.name)
    return needed


def _crds_used(render: ComponentRender, registry: KindRegistry) -> set[ObjectKey]:
    """The keys of the CRDs whose custom resources the component renders."""
    return {crd_key(crd) for crd in (registry.crd(*obj.key[:2]) for obj in render.objects) if crd is not None}


def application_waves(render: ClusterRender) -> dict[str, int]:
    """The sync wave of each component's Application: one more than its deepest dependency."""
    cluster = render.cluster
    names = {component.name for component in cluster.components}
    crd_owners = {obj.key: part.component.name for part in render.components for obj in part.objects}
    graph = {
        part.component.name: {
            *(other.name for other in part.component.dependencies),
            *(name for name in _implicit_component_dependencies(part, render, crd_owners) if name in names),
        }
        for part in render.components
    }
    try:
        return sync_waves(graph)
    except WaveCycleError as error:
        render.problems.append(Problem(cluster.path, f"component dependency cycle: {' -> '.join(error.cycle)}"))
        return dict.fromkeys(names, 0)


def _source(cluster: Cluster, directory: str) -> GitSource:
    repo = cluster.repo
    return GitSource(
        repo_url=repo.url,
        target_revision=repo.revision,
        path=repo_path(repo.path, cluster.name, directory),
    )


def _component_application(render: ComponentRender, wave: int) -> Application:
    component = render.component
    cluster = component.cluster
    options = DEFAULT_SYNC_OPTIONS if component.props.server_side_apply else _BASE_OPTIONS
    queued = any(workload.queue is not None for workload in component.workloads())
    if queued:
        options = (*options, SyncOption.RESPECT_IGNORE_DIFFERENCES)
    return Application(
        name=cluster.application_name(component.name),
        namespace=cluster.argocd_namespace,
        project=cluster.name,
        source=_source(cluster, component.name),
        destination=cluster.destination(component.namespace),
        sync_policy=SyncPolicy(options=options),
        sync_wave=wave,
        ignore_differences=(KUEUE_OWNED_JOB_FIELDS,) if queued else (),
    )


def _kinds(render: ClusterRender, *, namespaced: bool) -> list[GroupKind]:
    found = {
        (group_of(obj.manifest), obj.manifest["kind"])
        for part in render.components
        for obj in part.objects
        if render.registry.namespaced(obj.manifest["apiVersion"], obj.manifest["kind"]) == namespaced
    }
    return [GroupKind(group=group, kind=kind) for group, kind in sorted(found)]


def _cluster_project(render: ClusterRender) -> AppProject:
    cluster = render.cluster
    namespaces = sorted({component.namespace for component in cluster.components})
    return AppProject(
        name=cluster.name,
        namespace=cluster.argocd_namespace,
        description=f"Workloads and node configuration of cluster {cluster.name}, generated by gpumanifests",
        source_repos=[cluster.repo.url],
        destinations=[cluster.destination(namespace) for namespace in namespaces],
        cluster_resource_whitelist=_kinds(render, namespaced=False),
        namespace_resource_whitelist=_kinds(render, namespaced=True) or None,
        deny_namespaced=not _kinds(render, namespaced=True),
        sync_wave=-1,
    )


def _bootstrap_project(name: str, namespace: str, repo_url: str, roots: str) -> AppProject:
    """The project of root Applications: Argo CD Applications and AppProjects in its own namespace, nothing else."""
    return AppProject(
        name=f"{name}-bootstrap",
        namespace=namespace,
        description=f"Root app-of-apps of {roots}: may only manage Argo CD Applications and AppProjects",
        source_repos=[repo_url],
        destinations=[Destination(server=IN_CLUSTER_SERVER, namespace=namespace)],
        cluster_resource_whitelist=[],
        namespace_resource_whitelist=[
            GroupKind(group="argoproj.io", kind="AppProject"),
            GroupKind(group="argoproj.io", kind="Application"),
        ],
    )


def _bootstrap(cluster: Cluster) -> list[AppProject | Application]:
    namespace = cluster.argocd_namespace
    project = _bootstrap_project(cluster.name, namespace, cluster.repo.url, f"cluster {cluster.name}")
    root = Application(
        name=f"{cluster.name}-root",
        namespace=namespace,
        project=project.name,
        source=_source(cluster, APPS_DIR),
        destination=Destination(server=IN_CLUSTER_SERVER, namespace=namespace),
        sync_policy=SyncPolicy(options=_BASE_OPTIONS),
    )
    return [project, root]


def _fleet_bootstrap(fleet: Fleet) -> list[AppProject | ApplicationSet]:
    """The fleet's project and the ApplicationSet making each member's ``<cluster>-root`` Application."""
    namespace = fleet.argocd_namespace
    project = _bootstrap_project(fleet.name, namespace, fleet.repo.url, f"the clusters of fleet {fleet.name}")
    tree = fleet.repo.path
    roots = ApplicationSet(
        name=f"{fleet.name}-clusters",
        namespace=namespace,
        project=project.name,
        repo_url=fleet.repo.url,
        target_revision=fleet.repo.revision,
        directories=tuple(repo_path(tree, cluster.name, APPS_DIR) for cluster in fleet.clusters),
        name_segment=len(tree.split("/")) + 1,  # <tree>/clusters/<cluster>/apps
        destination=Destination(server=IN_CLUSTER_SERVER, namespace=namespace),
        sync_policy=SyncPolicy(options=_BASE_OPTIONS),
    )
    return [project, roots]


def _rendered(
    owner: Cluster | Fleet, models: Sequence[AppProject | Application | ApplicationSet], problems: list[Problem]
) -> list[RenderedObject]:
    path = f"{owner.path}/argocd"
    objects = []
    for model in models:
        manifest = model.to_manifest()
        stamp_managed(manifest, owner.name)
        problems.extend(
            Problem(path, f"{manifest['kind']} {model.name!r} fails the Argo CD CRD schema: {error}")
            for error in validate_argocd_object(manifest)
        )
        objects.append(RenderedObject(manifest, f"{path}/{manifest['kind']}/{model.name}"))
    return objects


def wire_argocd(render: ClusterRender) -> dict[str, list[RenderedObject]]:
    """The Argo CD objects of a cluster, by directory (``bootstrap`` and ``apps``)."""
    cluster = render.cluster
    waves = application_waves(render)
    apps: list[AppProject | Application] = [_cluster_project(render)]
    apps.extend(_component_application(component, waves[component.component.name]) for component in render.components)
    wired = {APPS_DIR: _rendered(cluster, apps, render.problems)}
    if cluster.fleet is None:
        wired[BOOTSTRAP_DIR] = _rendered(cluster, _bootstrap(cluster), render.problems)
    return wired


def wire_fleet(fleet: Fleet, problems: list[Problem]) -> list[RenderedObject]:
    """The fleet's ``bootstrap/`` objects for the management Argo CD; a problem when members share a destination."""
    seen: dict[str, str] = {}
    for cluster in fleet.clusters:
        where = cluster.deploys_to
        if where in seen:
            problems.append(
                Problem(
                    cluster.path,
                    f"deploys to {where}, as fleet {fleet.name!r}'s cluster {seen[where]!r} does",
                    "give each member its own server= or argocd_cluster=",
                )
            )
        seen.setdefault(where, cluster.name)
    if not fleet.clusters:
        problems.append(Problem(fleet.path, "the fleet has no member cluster", "pass fleet= to a Cluster, or drop it"))
        return []
    return _rendered(fleet, _fleet_bootstrap(fleet), problems)


def fleet_readme(fleet: Fleet) -> str:
    """The fleet's README: its members, and the one-time bootstrap of its management Argo CD."""
    members = "\n".join(
        f"| `{cluster.name}` | {cluster.deploys_to} | `{cluster.name}-root` |" for cluster in fleet.clusters
    )
    return (
        f"# Fleet {fleet.name}\n\n"
        f"{generated_notice(fleet.source)} One management Argo CD (namespace `{fleet.argocd_namespace}`) "
        "deploys these clusters:\n\n"
        f"| cluster | deployed to | root Application |\n| --- | --- | --- |\n{members}\n\n"
        "## Bootstrap, once\n\n"
        "1. Register each member that is not the management cluster itself with the management Argo CD "
        "(`argocd cluster add <context> --name <name>`), under the name or server in the table.\n"
        f"2. On the management cluster: `kubectl apply -f {BOOTSTRAP_DIR}/` (from this directory). The "
        f"`{fleet.name}-clusters` ApplicationSet then makes each member's root Application, which syncs "
        f"`clusters/<cluster>/{APPS_DIR}/`: that member's AppProject and Applications.\n\n"
        "Adding a cluster to the fleet is a commit; removing one deletes its root Application but keeps "
        "its Applications and everything they deployed (`preserveResourcesOnDeletion`).\n"
    )


def argocd_name_collisions(instances: Mapping[str, Sequence[RenderedObject]]) -> list[Problem]:
    """Two Argo CD objects of one Argo CD instance (``instances``: instance -> its objects) with one name."""
    problems = []
    for instance, objects in instances.items():
        first: dict[tuple[str, str, str], str] = {}
        for obj in objects:
            metadata = obj.manifest["metadata"]
            key = (metadata["namespace"], obj.manifest["kind"], metadata["name"])
            if key in first:
                problems.append(
                    Problem(
                        obj.path,
                        f"{key[1]} {key[2]!r} in namespace {key[0]!r} of {instance} is also made by {first[key]}",
                        "rename a cluster or component so every Argo CD object has its own name",
                    )
                )
            first.setdefault(key, obj.path)
    return problems
