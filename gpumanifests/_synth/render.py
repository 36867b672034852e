"""From constructs to validated objects: render every component of every cluster.

Rendering is pure: nothing is written here. It collects each component's objects (ours and
raw cdk8s L1 objects), adds the Namespace objects, compiles dependencies into sync waves,
validates every object against its schema and gathers every problem with its construct path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import cdk8s

from gpumanifests._argocd.waves import SYNC_WAVE_ANNOTATION, WaveCycleError, sync_waves
from gpumanifests._constructs.component import Component, RenderedObject
from gpumanifests._constructs.pod import weakest_level
from gpumanifests._errors import Problem, Severity
from gpumanifests._kube.kinds import ObjectKey, group_of, is_cluster_scoped, pod_spec_of
from gpumanifests._kube.labels import stamp_managed
from gpumanifests._kube.schemas import schema_errors

if TYPE_CHECKING:
    from collections.abc import Iterable

    from gpumanifests._constructs.cluster import Cluster
    from gpumanifests._constructs.workloads import Workload

__all__ = ["ClusterRender", "ComponentRender", "render_cluster"]

_POD_SECURITY_LABELS = ("enforce", "audit", "warn")


@dataclass
class ComponentRender:
    """The validated objects of one component, in apply order."""

    component: Component
    objects: list[RenderedObject]


@dataclass
class ClusterRender:
    """Everything rendered for one cluster, and every problem found on the way."""

    cluster: Cluster
    components: list[ComponentRender]
    problems: list[Problem] = field(default_factory=list)

    def workloads(self) -> list[Workload[Any]]:
        """The cluster's workloads, in declaration order."""
        return self.cluster.workloads()


def _foreign_objects(component: Component) -> list[RenderedObject]:
    """Raw cdk8s ApiObjects added to the component (the L1 escape hatch).

    One ``find_all`` round trip lists the component's constructs; only the ApiObjects among them
    are serialized (``Chart.to_json`` would also sort every construct by dependency, in Node.js).
    """
    objects = []
    for construct in component.node.find_all():
        if not isinstance(construct, cdk8s.ApiObject):
            continue
        manifest = construct.to_json()
        if is_cluster_scoped(group_of(manifest), manifest["kind"]):
            manifest["metadata"].pop("namespace", None)
        path = f"{component.path}/{manifest['kind']}/{manifest['metadata']['name']}"
        objects.append(RenderedObject(manifest, path))
    return objects


def _component_objects(component: Component) -> list[RenderedObject]:
    objects: list[RenderedObject] = []
    for resource in component.resources:
        rendered = resource.render()
        keys = resource.dependency_keys()
        for obj in rendered:
            obj.depends_on = list(keys)
        objects.extend(rendered)
    objects.extend(_foreign_objects(component))
    return objects


def _namespace_object(component: Component, workloads: Iterable[Workload[Any]]) -> RenderedObject:
    """The component's namespace, enforcing the strictest Pod Security level all ``workloads`` meet."""
    level = weakest_level(workload.pod_security_level for workload in workloads)
    labels = {f"pod-security.kubernetes.io/{mode}": str(level) for mode in _POD_SECURITY_LABELS}
    version = component.cluster.kubernetes.pod_security_version
    labels |= {f"pod-security.kubernetes.io/{mode}-version": version for mode in _POD_SECURITY_LABELS}
    manifest = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": component.namespace, "labels": labels},
    }
    return RenderedObject(manifest, f"{component.path}/Namespace")


def _default_deny_ingress(component: Component) -> RenderedObject:
    """A NetworkPolicy admitting no ingress to the namespace's pods; workloads open their own ports."""
    manifest = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "default-deny-ingress", "namespace": component.namespace},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
    }
    return RenderedObject(manifest, f"{component.path}/NetworkPolicy")


_AccountBindings = dict[tuple[str, str], list[ObjectKey]]
"""(namespace, service account) -> the RoleBindings and ClusterRoleBindings that grant it something."""


def _bindings_by_account(objects: Iterable[RenderedObject]) -> _AccountBindings:
    bindings: _AccountBindings = {}
    for obj in objects:
        if obj.key[1] not in {"RoleBinding", "ClusterRoleBinding"}:
            continue
        for subject in obj.manifest.get("subjects", []):
            if subject.get("kind") == "ServiceAccount":
                account = (subject.get("namespace", obj.key[2]), subject["name"])
                bindings.setdefault(account, []).append(obj.key)
    return bindings


def _implicit_dependencies(
    obj: RenderedObject, by_key: dict[ObjectKey, RenderedObject], bindings: _AccountBindings
) -> list[ObjectKey]:
    """What Kubernetes needs to exist first: the namespace, and referenced accounts, bindings, config."""
    group, kind, namespace, _ = obj.key
    needed: list[ObjectKey] = []
    if namespace:
        needed.append(("", "Namespace", "", namespace))
    pod = pod_spec_of(obj.manifest) or {}
    account = pod.get("serviceAccountName")
    if account:
        needed.append(("", "ServiceAccount", namespace, account))
        needed.extend(bindings.get((namespace, account), []))
    for volume in pod.get("volumes", []):
        if "configMap" in volume:
            needed.append(("", "ConfigMap", namespace, volume["configMap"]["name"]))
    if kind.endswith("RoleBinding") and group == "rbac.authorization.k8s.io":
        role = obj.manifest["roleRef"]
        needed.append(
            (
                "rbac.authorization.k8s.io",
                role["kind"],
                namespace if role["kind"] == "Role" else "",
                role["name"],
            )
        )
    return [key for key in needed if key in by_key and key != obj.key]


def _assign_waves(component: Component, objects: list[RenderedObject], problems: list[Problem]) -> list[RenderedObject]:
    """Annotate each object with its sync wave: one more than the deepest object it depends on."""
    by_key = {obj.key: obj for obj in objects}
    bindings = _bindings_by_account(objects)
    graph = {
        obj.key: {key for key in [*obj.depends_on, *_implicit_dependencies(obj, by_key, bindings)] if key in by_key}
        for obj in objects
    }
    try:
        waves = sync_waves(graph)
    except WaveCycleError as error:
        cycle = " -> ".join("/".join(part for part in key if part) for key in error.cycle)
        problems.append(Problem(component.path, f"dependency cycle: {cycle}", "remove one of the add_dependency calls"))
        return objects
    for obj in objects:
        annotations = obj.manifest["metadata"].setdefault("annotations", {})
        annotations[SYNC_WAVE_ANNOTATION] = str(waves[obj.key])
    return sorted(objects, key=lambda obj: (waves[obj.key], obj.key))


def _check_namespaces(component: Component, objects: list[RenderedObject], problems: list[Problem]) -> None:
    for obj in objects:
        group, kind, namespace, name = obj.key
        if is_cluster_scoped(group, kind):
            continue
        if namespace != component.namespace:
            problems.append(
                Problem(
                    obj.path,
                    f"{kind} {name!r} is in namespace {namespace or '(none)'!r}, "
                    f"not its component's namespace {component.namespace!r}",
                    f"put it in a Component whose namespace is {namespace!r}",
                )
            )


def _check_duplicates(renders: list[ComponentRender], problems: list[Problem]) -> None:
    seen: dict[ObjectKey, RenderedObject] = {}
    for render in renders:
        for obj in render.objects:
            first = seen.setdefault(obj.key, obj)
            if first is not obj:
                _, kind, namespace, name = obj.key
                where = f" in namespace {namespace!r}" if namespace else ""
                problems.append(
                    Problem(
                        obj.path,
                        f"{kind} {name!r}{where} is also defined by {first.path}; an object must have one owner",
                        "rename one of them",
                    )
                )


def _check_schemas(objects: Iterable[RenderedObject], version: str, problems: list[Problem]) -> None:
    for obj in objects:
        errors = schema_errors(obj.manifest, version=version)
        if errors is None:
            problems.append(
                Problem(
                    obj.path,
                    f"no Kubernetes {version} schema for {obj.manifest['apiVersion']} {obj.manifest['kind']}",
                    f"use a built-in kind of Kubernetes {version}",
                )
            )
            continue
        problems.extend(
            Problem(obj.path, f"{obj.manifest['kind']} {obj.key[3]!r} is invalid at {error}", "fix the field")
            for error in errors
        )


def _check_images(workloads: Iterable[Workload[Any]], strict: bool, problems: list[Problem]) -> None:
    severity = Severity.ERROR if strict else Severity.WARNING
    for workload in workloads:
        image = workload.image
        if "@sha256:" in image:
            continue
        last = image.rsplit("/", 1)[-1]
        tag = last.partition(":")[2]
        if tag in {"", "latest"} or tag.startswith("latest-"):
            problems.append(
                Problem(
                    workload.path,
                    f"image {image!r} has {f'the moving tag :{tag}' if tag else 'no tag (it means :latest)'}, "
                    "so what runs can change without a commit",
                    "pin a version tag or an @sha256 digest",
                    severity,
                )
            )


def render_cluster(cluster: Cluster) -> ClusterRender:
    """Render and check every component of ``cluster``; problems are collected, not raised."""
    problems: list[Problem] = []
    renders = [ComponentRender(component, _component_objects(component)) for component in cluster.components]
    for render in renders:
        component = render.component
        _check_namespaces(component, render.objects, problems)
        sharing = cluster.components_in(component.namespace)
        if sharing[0] is component:
            workloads = [workload for other in sharing for workload in other.workloads()]
            render.objects[:0] = [_namespace_object(component, workloads), _default_deny_ingress(component)]
    for render in renders:
        for obj in render.objects:
            stamp_managed(obj.manifest, cluster.name)
    _check_duplicates(renders, problems)
    for render in renders:
        render.objects = _assign_waves(render.component, render.objects, problems)
        _check_schemas(render.objects, cluster.props.kubernetes_version, problems)
    result = ClusterRender(cluster, renders, problems)
    _check_images(result.workloads(), cluster.app.strict, problems)
    return result
