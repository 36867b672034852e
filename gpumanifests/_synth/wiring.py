"""Argo CD wiring of a rendered cluster: a root app, one Application per component, least-privilege projects.

- ``bootstrap/``: applied once by an operator (``kubectl apply -f``): the ``<cluster>-bootstrap``
  AppProject, allowed only Applications and AppProjects in the Argo CD namespace, and the
  ``<cluster>-root`` Application that syncs ``apps/``.
- ``apps/``: the ``<cluster>`` AppProject and one Application per component directory.

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
    Application,
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
from gpumanifests._errors import Problem
from gpumanifests._kube.kinds import group_of
from gpumanifests._kube.labels import stamp_managed
from gpumanifests._output.layout import APPS_DIR, BOOTSTRAP_DIR, repo_path
from gpumanifests._synth.render import crd_key

if TYPE_CHECKING:
    from gpumanifests._constructs.cluster import Cluster
    from gpumanifests._kube.kinds import ObjectKey
    from gpumanifests._kube.schemas import KindRegistry
    from gpumanifests._synth.render import ClusterRender, ComponentRender

__all__ = ["application_waves", "wire_argocd"]

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
    render: ComponentRender, registry: KindRegistry, crd_owners: dict[ObjectKey, str]
) -> set[str]:
    """Node configuration of the profiles its GPU workloads use, the owner of its namespace, the
    components of the ClusterQueues its Jobs are queued to, and the components that install the
    CRDs of its custom resources (``crd_owners``: CRD key -> component).
    """
    component = render.component
    needed = {
        node_component_name(workload.profile) for workload in component.workloads() if workload.profile is not None
    }
    needed.update(workload.queue.component.name for workload in component.workloads() if workload.queue is not None)
    needed.add(component.cluster.components_in(component.namespace)[0].name)
    needed.update(crd_owners[key] for key in _crds_used(render, registry) if key in crd_owners)
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
            *(name for name in _implicit_component_dependencies(part, render.registry, crd_owners) if name in names),
        }
        for part in render.components
    }
    try:
        return sync_waves(graph)
    except WaveCycleError as error:
        render.problems.append(Problem(cluster.path, f"component dependency cycle: {' -> '.join(error.cycle)}"))
        return dict.fromkeys(names, 0)


def _source(cluster: Cluster, directory: str) -> GitSource:
    repo = cluster.props.repo
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
        name=component.name,
        namespace=cluster.props.argocd_namespace,
        project=cluster.name,
        source=_source(cluster, component.name),
        destination=Destination(server=cluster.props.server, namespace=component.namespace),
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
        namespace=cluster.props.argocd_namespace,
        description=f"Workloads and node configuration of cluster {cluster.name}, generated by gpumanifests",
        source_repos=[cluster.props.repo.url],
        destinations=[Destination(server=cluster.props.server, namespace=namespace) for namespace in namespaces],
        cluster_resource_whitelist=_kinds(render, namespaced=False),
        namespace_resource_whitelist=_kinds(render, namespaced=True),
        sync_wave=-1,
    )


def _bootstrap(cluster: Cluster) -> list[AppProject | Application]:
    argocd_namespace = cluster.props.argocd_namespace
    project = AppProject(
        name=f"{cluster.name}-bootstrap",
        namespace=argocd_namespace,
        description=f"Root app-of-apps of cluster {cluster.name}: may only manage Argo CD Applications and AppProjects",
        source_repos=[cluster.props.repo.url],
        destinations=[Destination(server=cluster.props.server, namespace=argocd_namespace)],
        cluster_resource_whitelist=[],
        namespace_resource_whitelist=[
            GroupKind(group="argoproj.io", kind="AppProject"),
            GroupKind(group="argoproj.io", kind="Application"),
        ],
    )
    root = Application(
        name=f"{cluster.name}-root",
        namespace=argocd_namespace,
        project=project.name,
        source=_source(cluster, APPS_DIR),
        destination=Destination(server=cluster.props.server, namespace=argocd_namespace),
        sync_policy=SyncPolicy(options=_BASE_OPTIONS),
    )
    return [project, root]


def _rendered(
    cluster: Cluster, models: list[AppProject | Application], problems: list[Problem]
) -> list[RenderedObject]:
    path = f"{cluster.path}/argocd"
    objects = []
    for model in models:
        manifest = model.to_manifest()
        stamp_managed(manifest, cluster.name)
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
    return {
        BOOTSTRAP_DIR: _rendered(cluster, _bootstrap(cluster), render.problems),
        APPS_DIR: _rendered(cluster, apps, render.problems),
    }
