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

from graphlib import CycleError, TopologicalSorter
from typing import TYPE_CHECKING

from gpumanifests._argocd.models import (
    Application,
    AppProject,
    Destination,
    GitSource,
    GroupKind,
    SyncOption,
    SyncPolicy,
)
from gpumanifests._argocd.schema import validate_argocd_object
from gpumanifests._constructs.component import RenderedObject
from gpumanifests._constructs.nodeconfig import node_component_name
from gpumanifests._constructs.workloads import _GpuWorkload
from gpumanifests._errors import Problem
from gpumanifests._kube.kinds import group_of, is_cluster_scoped

if TYPE_CHECKING:
    from gpumanifests._constructs.cluster import Cluster
    from gpumanifests._constructs.component import Component
    from gpumanifests._synth.render import ClusterRender, ComponentRender

__all__ = ["APPS_DIR", "BOOTSTRAP_DIR", "application_waves", "wire_argocd"]

BOOTSTRAP_DIR = "bootstrap"
APPS_DIR = "apps"
_BASE_OPTIONS = (SyncOption.PRUNE_LAST, SyncOption.FAIL_ON_SHARED_RESOURCE)


def _implicit_component_dependencies(component: Component) -> set[str]:
    """Node configuration of the profiles its GPU workloads use, and the owner of its namespace."""
    needed = {
        node_component_name(resource.profile) for resource in component.resources if isinstance(resource, _GpuWorkload)
    }
    owner = next(other for other in component.cluster.components if other.namespace == component.namespace)
    if owner is not component:
        needed.add(owner.name)
    return needed


def application_waves(cluster: Cluster, problems: list[Problem]) -> dict[str, int]:
    """The sync wave of each component's Application: one more than its deepest dependency."""
    names = {component.name for component in cluster.components}
    graph = {
        component.name: {
            *(other.name for other in component.dependencies),
            *(name for name in _implicit_component_dependencies(component) if name in names),
        }
        for component in cluster.components
    }
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as error:
        problems.append(Problem(cluster.path, f"component dependency cycle: {' -> '.join(error.args[1])}"))
        return dict.fromkeys(names, 0)
    waves: dict[str, int] = {}
    for name in order:
        waves[name] = 1 + max((waves[dep] for dep in graph[name]), default=-1)
    return waves


def _source(cluster: Cluster, directory: str) -> GitSource:
    repo = cluster.props.repo
    return GitSource(
        repo_url=repo.url,
        target_revision=repo.revision,
        path=f"{repo.path}/clusters/{cluster.name}/{directory}",
    )


def _component_application(render: ComponentRender, wave: int) -> Application:
    component = render.component
    cluster = component.cluster
    options = list(_BASE_OPTIONS)
    if component.props.server_side_apply:
        options.insert(0, SyncOption.SERVER_SIDE_APPLY)
    return Application(
        name=component.name,
        namespace=cluster.props.argocd_namespace,
        project=cluster.name,
        source=_source(cluster, component.name),
        destination=Destination(server=cluster.props.server, namespace=component.namespace),
        sync_policy=SyncPolicy(options=tuple(options)),
        sync_wave=wave,
        labels={"app.kubernetes.io/part-of": cluster.name, "app.kubernetes.io/managed-by": "gpumanifests"},
    )


def _kinds(renders: list[ComponentRender], *, cluster_scoped: bool) -> list[GroupKind]:
    found = {
        (group_of(obj.manifest), obj.manifest["kind"])
        for render in renders
        for obj in render.objects
        if is_cluster_scoped(group_of(obj.manifest), obj.manifest["kind"]) == cluster_scoped
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
        cluster_resource_whitelist=_kinds(render.components, cluster_scoped=True),
        namespace_resource_whitelist=_kinds(render.components, cluster_scoped=False),
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
        labels={"app.kubernetes.io/part-of": cluster.name, "app.kubernetes.io/managed-by": "gpumanifests"},
    )
    return [project, root]


def _rendered(path: str, models: list[AppProject | Application], problems: list[Problem]) -> list[RenderedObject]:
    objects = []
    for model in models:
        manifest = model.to_manifest()
        problems.extend(
            Problem(path, f"{manifest['kind']} {model.name!r} fails the Argo CD CRD schema: {error}")
            for error in validate_argocd_object(manifest)
        )
        objects.append(RenderedObject(manifest, f"{path}/{manifest['kind']}/{model.name}"))
    return objects


def wire_argocd(render: ClusterRender) -> dict[str, list[RenderedObject]]:
    """The Argo CD objects of a cluster, by directory (``bootstrap`` and ``apps``)."""
    cluster = render.cluster
    waves = application_waves(cluster, render.problems)
    apps: list[AppProject | Application] = [_cluster_project(render)]
    apps.extend(_component_application(component, waves[component.component.name]) for component in render.components)
    path = f"{cluster.path}/argocd"
    return {
        BOOTSTRAP_DIR: _rendered(path, _bootstrap(cluster), render.problems),
        APPS_DIR: _rendered(path, apps, render.problems),
    }
