"""From constructs to validated objects: render every component of every cluster.

Rendering is pure: nothing is written here. It collects each component's objects (ours and
raw cdk8s L1 objects), learns the cluster's kinds (its Kubernetes minor's built-ins, the CRDs it
was given, the CRDs its tree installs, the vendored catalog), puts each object in or out of a
namespace by its kind's scope, adds the Namespace objects, compiles dependencies into sync waves
(a CRD the tree installs before its custom resources), validates every object against its
schema and gathers every problem with its construct path. A custom resource whose CRD something
else installs is marked ``SkipDryRunOnMissingResource`` and named among the cluster's
prerequisites.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gpumanifests._argocd.models import SYNC_OPTIONS_ANNOTATION, SyncOption
from gpumanifests._argocd.schema import ARGOCD_GROUP
from gpumanifests._argocd.waves import SYNC_WAVE_ANNOTATION, WaveCycleError, sync_waves
from gpumanifests._constructs.component import Component, RenderedObject
from gpumanifests._constructs.gpuoperator import (
    GPU_OPERATOR,
    OPERATOR_RUNTIME_CLASSES,
    device_plugin_helm_values,
    device_request_problems,
)
from gpumanifests._constructs.kueue import KUEUE_API_VERSION
from gpumanifests._constructs.pod import moving_tag
from gpumanifests._constructs.tree import l1_objects
from gpumanifests._errors import Problem, Severity
from gpumanifests._kube.crds import CRD_API_VERSION, CustomResourceDefinition
from gpumanifests._kube.kinds import ObjectKey, group_of, pod_spec_of, pod_spec_path, pod_template_of
from gpumanifests._kube.labels import OPT_OUT_ANNOTATION, stamp_managed
from gpumanifests._kube.pod_security import PodSecurityLevel, PodSecurityViolation, pod_security_violations
from gpumanifests._kube.references import Reference, ReferenceKind, always_present, pod_references
from gpumanifests._kube.schemas import KindRegistry, UnknownKind
from gpumanifests.scheduling import check_fit

if TYPE_CHECKING:
    from collections.abc import Iterable

    from gpumanifests._constructs.cluster import Cluster
    from gpumanifests._constructs.workloads import Workload

__all__ = ["ClusterRender", "ComponentRender", "render_cluster"]

_POD_SECURITY_LABELS = ("enforce", "audit", "warn")
_CRD_TYPE = (CRD_API_VERSION, "CustomResourceDefinition")


@dataclass
class ComponentRender:
    """The validated objects of one component, in apply order."""

    component: Component
    objects: list[RenderedObject]


@dataclass(frozen=True, order=True)
class Prerequisite:
    """What the cluster's objects need that the tree does not install: an operator, and what of it.

    ``what`` names the custom kinds whose CRD (and controller) it installs, the objects it
    creates (a RuntimeClass), or how it must be installed (Helm values).
    """

    installed_by: str
    what: str

    def __str__(self) -> str:
        return f"{self.installed_by}: {self.what}"


@dataclass
class ClusterRender:
    """Everything rendered for one cluster, and every problem found on the way.

    ``registry`` holds the kinds the cluster knows; ``prerequisites`` the operators its objects need.
    """

    cluster: Cluster
    components: list[ComponentRender]
    registry: KindRegistry
    problems: list[Problem] = field(default_factory=list)
    prerequisites: list[Prerequisite] = field(default_factory=list)
    namespace_owners: dict[str, str] = field(default_factory=dict)
    """Namespace -> the component that renders its Namespace object (the others in it sync after it)."""

    def workloads(self) -> list[Workload[Any]]:
        """The cluster's workloads, in declaration order."""
        return self.cluster.workloads()


def _foreign_objects(component: Component) -> list[RenderedObject]:
    """The raw cdk8s ApiObjects (the L1 escape hatch) declared in the component or a construct inside it.

    A component that never held one has no jsii counterpart and costs nothing; for one that has,
    one ``find_all`` round trip lists its constructs, and only the ApiObjects among them cost more
    (``Chart.to_json`` would also sort every construct by dependency, in Node.js).
    """
    chart = component.jsii_made
    found = []
    for construct in l1_objects(chart) if chart is not None else []:
        manifest = construct.to_json()
        found.append(RenderedObject(manifest, f"{component.path}/{manifest['kind']}/{manifest['metadata']['name']}"))
    return found


def _component_objects(
    component: Component, foreign: list[RenderedObject], problems: list[Problem]
) -> list[RenderedObject]:
    """The component's objects: its resources' (rendered, patched, with their dependencies), then ``foreign``."""
    objects: list[RenderedObject] = []
    for resource in component.resources:
        rendered = resource.render()
        problems.extend(Problem(resource.path, message) for message in resource.validate())
        if resource.patch_error is not None:
            problems.append(Problem(resource.path, resource.patch_error, "fix the patch's path or operation"))
        keys = resource.dependency_keys()
        for obj in rendered:
            obj.depends_on = list(keys)
        objects.extend(rendered)
    problems.extend(
        _unplaceable(obj, component.cluster) for obj in foreign if not _fits_some_node(obj, component.cluster)
    )
    return objects + foreign


_SHOWN_NODES = 3
"""How many nodes' reasons a raw pod that fits no node is shown with."""


def _fits_some_node(obj: RenderedObject, cluster: Cluster) -> bool:
    """Whether a raw object's pods (if it has a pod template) fit some declared node of the cluster, empty."""
    spec = pod_spec_of(obj.manifest)
    return spec is None or any(check_fit(spec, node.to_node_object()) for node in cluster.nodes)


def _unplaceable(obj: RenderedObject, cluster: Cluster) -> Problem:
    """A raw L1 object whose pods kube-scheduler's filters admit to no node of the cluster.

    Pods of the constructs are placed by the placement proof; raw objects are only checked to
    fit an empty node, so one that can never schedule (a GPU request without the toleration,
    a selector no node satisfies) is refused here.
    """
    _, kind, _, name = obj.key
    spec = pod_spec_of(obj.manifest) or {}
    reasons = [f"{node.name}: {check_fit(spec, node.to_node_object())}" for node in cluster.nodes[:_SHOWN_NODES]]
    more = len(cluster.nodes) - _SHOWN_NODES
    message = (
        f"{kind} {name!r}: its pods fit no node of cluster {cluster.name!r}, even an empty one ({'; '.join(reasons)}"
    )
    message += f"; and {more} more node(s))" if more > 0 else ")"
    fix = "give its pod template the selection, tolerations and requests of a node the cluster has"
    return Problem(obj.path, message, fix)


def _namespace_object(component: Component, level: PodSecurityLevel) -> RenderedObject:
    """The component's namespace, enforcing (and auditing and warning at) Pod Security ``level``."""
    labels = {f"pod-security.kubernetes.io/{mode}": str(level) for mode in _POD_SECURITY_LABELS}
    version = component.cluster.kubernetes.pod_security_version
    labels |= {f"pod-security.kubernetes.io/{mode}-version": version for mode in _POD_SECURITY_LABELS}
    manifest = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": component.namespace, "labels": labels},
    }
    return RenderedObject(manifest, f"{component.path}/Namespace")


def _pod_security_level(objects: Iterable[RenderedObject], minor: int, problems: list[Problem]) -> PodSecurityLevel:
    """The strictest Pod Security level every pod template among ``objects`` meets, whoever rendered it.

    A pod template must meet ``restricted``, or carry the opt-out annotation (a step down declared
    with its reason) and meet ``baseline``; any other pod is a problem naming its failed checks, as
    the namespace would refuse its pods at admission.
    """
    level = PodSecurityLevel.RESTRICTED
    for obj in objects:
        template = pod_template_of(obj.manifest)
        if template is None:
            continue
        metadata = template.get("metadata") or {}
        failed = pod_security_violations(metadata, template["spec"], level=PodSecurityLevel.RESTRICTED, minor=minor)
        if not failed:
            continue
        opted_out = OPT_OUT_ANNOTATION in (metadata.get("annotations") or {})
        if opted_out:
            failed = pod_security_violations(metadata, template["spec"], level=PodSecurityLevel.BASELINE, minor=minor)
            if not failed:
                level = PodSecurityLevel.BASELINE
                continue
        problems.append(_pod_security_problem(obj, failed, opted_out=opted_out, minor=minor))
    return level


def _pod_security_problem(
    obj: RenderedObject, failed: list[PodSecurityViolation], *, opted_out: bool, minor: int
) -> Problem:
    _, kind, namespace, name = obj.key
    level = PodSecurityLevel.BASELINE if opted_out else PodSecurityLevel.RESTRICTED
    message = (
        f"{kind} {name!r}: its pods do not meet Pod Security {str(level)!r} (policy v1.{minor}), so namespace "
        f"{namespace!r} would refuse them: {'; '.join(map(str, failed))}"
    )
    if opted_out:
        fix = "baseline is the least gpumanifests enforces: drop the privileged settings the checks name"
    else:
        fix = (
            "set the fields the checks name (the workload constructs do), or declare the step down: the "
            f"annotation {OPT_OUT_ANNOTATION}: '<what>: <why>' on its pod template "
            "(security=gm.SecurityOptOut(...) on a construct) lets it run at baseline"
        )
    return Problem(obj.path, message, fix)


def _local_queues(component: Component, workloads: Iterable[Workload[Any]]) -> list[RenderedObject]:
    """A Kueue LocalQueue in the namespace for each ClusterQueue its Jobs are queued to, named after it."""
    queues = sorted({workload.queue.name for workload in workloads if workload.queue is not None})
    return [
        RenderedObject(
            {
                "apiVersion": KUEUE_API_VERSION,
                "kind": "LocalQueue",
                "metadata": {"name": name, "namespace": component.namespace},
                "spec": {"clusterQueue": name},
            },
            f"{component.path}/LocalQueue/{name}",
        )
        for name in queues
    ]


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


def crd_key(crd: CustomResourceDefinition) -> ObjectKey:
    """The key of the CustomResourceDefinition object that defines ``crd``."""
    return ("apiextensions.k8s.io", "CustomResourceDefinition", "", crd.name)


def _implicit_dependencies(
    obj: RenderedObject, by_key: dict[ObjectKey, RenderedObject], bindings: _AccountBindings, registry: KindRegistry
) -> list[ObjectKey]:
    """What Kubernetes needs first: the namespace, the kind's CRD, and the objects its pods refer to
    (accounts and their bindings, Secrets, ConfigMaps, ResourceClaims, priority classes).

    Not a PersistentVolumeClaim: a pod waits for its claim by itself, and a claim of a
    ``WaitForFirstConsumer`` storage class binds only once a pod uses it, while Argo CD holds a
    later wave until the claim is healthy (Bound): an earlier wave would wait forever.
    """
    group, kind, namespace, _ = obj.key
    needed: list[ObjectKey] = []
    crd = None if registry.is_builtin(obj.manifest["apiVersion"], kind) else registry.crd(group, kind)
    if crd is not None:
        needed.append(crd_key(crd))
    if namespace:
        needed.append(("", "Namespace", "", namespace))
    for reference in pod_references(pod_spec_of(obj.manifest) or {}):
        if reference.kind is ReferenceKind.PERSISTENT_VOLUME_CLAIM:
            continue
        needed.append(reference.kind.key(reference.name, namespace))
        if reference.kind is ReferenceKind.SERVICE_ACCOUNT:
            needed.extend(bindings.get((namespace, reference.name), []))
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


def _assign_waves(
    component: Component, objects: list[RenderedObject], registry: KindRegistry, problems: list[Problem]
) -> list[RenderedObject]:
    """Annotate each object with its sync wave: one more than the deepest object it depends on."""
    by_key = {obj.key: obj for obj in objects}
    bindings = _bindings_by_account(objects)
    graph = {
        obj.key: {
            key for key in [*obj.depends_on, *_implicit_dependencies(obj, by_key, bindings, registry)] if key in by_key
        }
        for obj in objects
    }
    try:
        waves = sync_waves(graph)
    except WaveCycleError as error:
        cycle = " -> ".join("/".join(part for part in key if part) for key in error.cycle)
        problems.append(Problem(component.path, f"dependency cycle: {cycle}", "remove one of the add_dependency calls"))
        return objects
    _claims_join_their_consumers(objects, graph, waves)
    for obj in objects:
        annotations = obj.manifest["metadata"].setdefault("annotations", {})
        annotations[SYNC_WAVE_ANNOTATION] = str(waves[obj.key])
    return sorted(objects, key=lambda obj: (waves[obj.key], obj.key))


def _claims_join_their_consumers(
    objects: list[RenderedObject], graph: dict[ObjectKey, set[ObjectKey]], waves: dict[ObjectKey, int]
) -> None:
    """Move each PersistentVolumeClaim nothing depends on into the wave of its first consumer.

    Argo CD holds a later wave until the claims of earlier ones are Bound, and a claim of a
    ``WaitForFirstConsumer`` storage class binds only once a pod uses it.
    """
    first_use: dict[ObjectKey, int] = {}
    for obj in objects:
        namespace = obj.key[2]
        for reference in pod_references(pod_spec_of(obj.manifest) or {}):
            if reference.kind is ReferenceKind.PERSISTENT_VOLUME_CLAIM:
                claim = reference.kind.key(reference.name, namespace)
                first_use[claim] = min(first_use.get(claim, waves[obj.key]), waves[obj.key])
    depended_on = {key for needed in graph.values() for key in needed}
    for claim, wave in first_use.items():
        if claim in waves and claim not in depended_on:
            waves[claim] = max(waves[claim], wave)


def _check_namespaces(
    component: Component, objects: list[RenderedObject], registry: KindRegistry, problems: list[Problem]
) -> None:
    for obj in objects:
        _, kind, namespace, name = obj.key
        if not registry.namespaced(obj.manifest["apiVersion"], kind):
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


def _check_schemas(objects: Iterable[RenderedObject], registry: KindRegistry, problems: list[Problem]) -> None:
    for obj in objects:
        verdict = registry.check(obj.manifest)
        if isinstance(verdict, UnknownKind):
            problems.append(Problem(obj.path, verdict.reason, verdict.fix))
            continue
        problems.extend(
            Problem(
                obj.path,
                f"{obj.manifest['kind']} {obj.key[3]!r} is invalid at {error}",
                f"give that field a value the {registry.schema_name(obj.manifest)} allows",
            )
            for error in verdict
        )


def _registry(cluster: Cluster, renders: Iterable[ComponentRender], problems: list[Problem]) -> KindRegistry:
    """The kinds the cluster knows: the given CRD files, then the CRDs its own tree installs."""
    crds = list(cluster.crds)
    for render in renders:
        for obj in render.objects:
            if (obj.manifest.get("apiVersion"), obj.manifest.get("kind")) != _CRD_TYPE:
                continue
            try:
                crds.append(CustomResourceDefinition.from_manifest(obj.manifest, source=obj.path, installed_by=None))
            except ValueError as error:
                problems.append(Problem(obj.path, str(error), "give the CRD its spec.versions with schemas"))
    return KindRegistry(cluster.kubernetes.version, crds)


def _scope_namespaces(render: ComponentRender, registry: KindRegistry) -> None:
    """Namespaced kinds get the component's namespace when they name none; cluster-scoped ones lose it.

    cdk8s stamps its chart's namespace on every L1 object, cluster-scoped ones too (cdk8s-core#731).
    """
    for obj in render.objects:
        metadata = obj.manifest.setdefault("metadata", {})
        namespaced = registry.namespaced(obj.manifest.get("apiVersion", ""), obj.manifest.get("kind", ""))
        if namespaced is False:
            metadata.pop("namespace", None)
        elif namespaced and not metadata.get("namespace"):
            metadata["namespace"] = render.component.namespace


def _custom_kinds(renders: Iterable[ComponentRender], registry: KindRegistry) -> list[Prerequisite]:
    """Mark custom resources whose CRD the tree does not install, and list those CRDs' installers.

    Their objects get ``SkipDryRunOnMissingResource=true``: Argo CD's dry run would otherwise fail on
    a first sync that happens before the operator has installed the CRD. Argo CD's own kinds are
    always there and are left alone.
    """
    needed: dict[tuple[str, str], tuple[set[str], set[str]]] = {}
    for render in renders:
        for obj in render.objects:
            api_version, kind = obj.manifest["apiVersion"], obj.manifest["kind"]
            crd = registry.crd(group_of(obj.manifest), kind)
            if registry.is_builtin(api_version, kind) or crd is None or crd.installed_by is None:
                continue
            if crd.group != ARGOCD_GROUP:
                _add_sync_option(obj.manifest, SyncOption.SKIP_DRY_RUN_ON_MISSING_RESOURCE)
            kinds, sources = needed.setdefault((crd.installed_by, crd.group), (set(), set()))
            kinds.add(kind)
            sources.add(crd.source.partition(" (")[0])
    return sorted(
        Prerequisite(installer, f"{', '.join(sorted(kinds))} ({group}; CRD schema from {', '.join(sorted(sources))})")
        for (installer, group), (kinds, sources) in needed.items()
    )


def _operator_needs(
    cluster: Cluster, renders: Iterable[ComponentRender], problems: list[Problem]
) -> list[Prerequisite]:
    """The GPU Operator's part of the tree: RuntimeClasses pods use that it creates, and the Helm
    values its device plugin needs; a RuntimeClass nothing provides, or a GPU request no device
    plugin configuration serves, is a problem."""
    objects = [obj for render in renders for obj in render.objects]
    shipped = {obj.key[3] for obj in objects if obj.key[:2] == ("node.k8s.io", "RuntimeClass")}
    needs: list[Prerequisite] = []
    for obj in objects:
        runtime = (pod_spec_of(obj.manifest) or {}).get("runtimeClassName")
        if runtime is None or runtime in shipped:
            continue
        if runtime in OPERATOR_RUNTIME_CLASSES:
            needs.append(Prerequisite(GPU_OPERATOR, f"RuntimeClass {runtime} (it creates it)"))
        else:
            problems.append(
                Problem(
                    obj.path,
                    f"spec.template.spec.runtimeClassName: {runtime!r} is no RuntimeClass of the tree and none an "
                    "operator the tree relies on creates",
                    f"add the RuntimeClass (gm.k8s.KubeRuntimeClass) or use one of {sorted(OPERATOR_RUNTIME_CLASSES)}",
                )
            )
    problems.extend(device_request_problems(cluster))
    values = device_plugin_helm_values(cluster)
    if values:
        needs.append(Prerequisite(GPU_OPERATOR, f"installed with Helm values {values}"))
    return sorted({*needs, *_dra_drivers(cluster, objects, problems)})


def _dra_drivers(cluster: Cluster, objects: list[RenderedObject], problems: list[Problem]) -> list[Prerequisite]:
    """The DRA drivers the cluster's profiles rely on; a claim template naming a DeviceClass that
    nothing provides is a problem."""
    drivers = {profile.dra.device_class: profile.dra for profile in cluster.profiles() if profile.dra is not None}
    shipped = {obj.key[3] for obj in objects if obj.key[:2] == ("resource.k8s.io", "DeviceClass")}
    for obj in objects:
        if obj.key[:2] != ("resource.k8s.io", "ResourceClaimTemplate"):
            continue
        for index, request in enumerate(obj.manifest["spec"]["spec"].get("devices", {}).get("requests", [])):
            wanted = (request.get("exactly") or {}).get("deviceClassName")
            if wanted is not None and wanted not in shipped and wanted not in drivers:
                problems.append(
                    Problem(
                        obj.path,
                        f"spec.spec.devices.requests[{index}].exactly.deviceClassName: {wanted!r} is no DeviceClass "
                        "of the tree and none a DRA driver of the cluster's profiles installs",
                        "add the DeviceClass, or use one the DRA drivers install: "
                        + (", ".join(sorted(drivers)) or "none"),
                    )
                )
    return [
        Prerequisite(
            allocation.installed_by,
            f"DeviceClass {name} and each node's ResourceSlice (driver {allocation.driver})"
            + (f"; {allocation.device_plugin_off}" if allocation.device_plugin_off else ""),
        )
        for name, allocation in drivers.items()
    ]


def _check_references(cluster: Cluster, renders: Iterable[ComponentRender], problems: list[Problem]) -> None:
    """Every object a pod template refers to is in the tree, always present, or declared external."""
    objects = [obj for render in renders for obj in render.objects]
    present = {obj.key for obj in objects}
    present |= {external.key for component in cluster.components for external in component.external}
    for obj in objects:
        spec = pod_spec_of(obj.manifest)
        if spec is None:
            continue
        namespace = obj.key[2]
        for reference in pod_references(spec):
            key = reference.kind.key(reference.name, namespace)
            if key not in present and not always_present(reference.kind, reference.name):
                problems.append(_dangling(obj, reference, present))


def _dangling(obj: RenderedObject, reference: Reference, present: set[ObjectKey]) -> Problem:
    _, kind, namespace, name = obj.key
    elsewhere = sorted(
        key[2] for key in present if key[:2] == (reference.kind.group, str(reference.kind)) and key[3] == reference.name
    )
    where = f" in namespace {namespace!r}" if reference.kind.namespaced else ""
    message = (
        f"{kind} {name!r} refers to {reference.kind} {reference.name!r} ({pod_spec_path(obj.manifest)}."
        f"{reference.field}), which is neither in the tree{where} nor declared external, so its pods cannot start"
    )
    if elsewhere:
        message += f"; one is in namespace {elsewhere[0]!r}, but a pod can use only its own namespace's"
    declaration = f"gm.ReferenceKind.{reference.kind.name}, {reference.name!r}, reason='who creates it'"
    fix = (
        f"add {reference.kind} {reference.name!r} to the tree, or declare it: component.declare_external({declaration})"
    )
    return Problem(obj.path, message, fix)


def _check_images(workloads: Iterable[Workload[Any]], strict: bool, problems: list[Problem]) -> None:
    severity = Severity.ERROR if strict else Severity.WARNING
    for workload in workloads:
        image = workload.image
        tag = moving_tag(image)
        if tag is not None:
            problems.append(
                Problem(
                    workload.path,
                    f"image {image!r} has {f'the moving tag :{tag}' if tag else 'no tag (it means :latest)'}, "
                    "so what runs can change without a commit",
                    "pin a version tag or an @sha256 digest",
                    severity,
                )
            )


def _add_sync_option(manifest: dict[str, Any], option: SyncOption) -> None:
    """Add ``option`` to the resource's own ``argocd.argoproj.io/sync-options`` (kept if already there)."""
    annotations = manifest["metadata"].setdefault("annotations", {})
    options = [entry for entry in annotations.get(SYNC_OPTIONS_ANNOTATION, "").split(",") if entry]
    if str(option) not in options:
        annotations[SYNC_OPTIONS_ANNOTATION] = ",".join([*options, str(option)])


def _namespace_owners(renders: Iterable[ComponentRender]) -> dict[str, Component]:
    """Each namespace's first component that puts a namespaced object in it (or a workload, or is empty).

    A component of cluster-scoped objects only (node pools, Kueue's queues) creates no Namespace,
    so it never claims one that an operator installs.
    """
    owners: dict[str, Component] = {}
    for render in renders:
        component = render.component
        if not component.props.owns_namespace:
            continue
        namespaced = any(obj.key[2] == component.namespace for obj in render.objects)
        if namespaced or component.workloads() or not render.objects:
            owners.setdefault(component.namespace, component)
    return owners


def render_cluster(cluster: Cluster) -> ClusterRender:
    """Render and check every component of ``cluster``; problems are collected, not raised."""
    problems: list[Problem] = []
    renders = [
        ComponentRender(component, _component_objects(component, _foreign_objects(component), problems))
        for component in cluster.components
    ]
    registry = _registry(cluster, renders, problems)
    for render in renders:
        _scope_namespaces(render, registry)
        _check_namespaces(render.component, render.objects, registry, problems)
    owners = _namespace_owners(renders)
    by_component = {id(render.component): render for render in renders}
    for render in renders:
        component = render.component
        if owners.get(component.namespace) is component:
            sharing = cluster.components_in(component.namespace)
            workloads = [workload for other in sharing for workload in other.workloads()]
            pods = [obj for other in sharing for obj in by_component[id(other)].objects]
            level = _pod_security_level(pods, cluster.kubernetes.minor, problems)
            render.objects[:0] = [_namespace_object(component, level), _default_deny_ingress(component)]
            render.objects += _local_queues(component, workloads)
    for render in renders:
        for obj in render.objects:
            stamp_managed(obj.manifest, cluster.name)
    _check_duplicates(renders, problems)
    _check_references(cluster, renders, problems)
    for render in renders:
        render.objects = _assign_waves(render.component, render.objects, registry, problems)
        _check_schemas(render.objects, registry, problems)
    prerequisites = sorted([*_custom_kinds(renders, registry), *_operator_needs(cluster, renders, problems)])
    named_owners = {namespace: component.name for namespace, component in owners.items()}
    result = ClusterRender(cluster, renders, registry, problems, prerequisites, named_owners)
    _check_images(result.workloads(), cluster.app.strict, problems)
    return result
