"""Components and resources: the unit of deployment and the things rendered into it.

A :class:`Component`'s objects become one directory under ``gitops/clusters/<cluster>/`` and
one Argo CD Application. A :class:`Resource` is a construct that renders one or more Kubernetes
objects into its component; a plain :class:`Construct` groups resources inside a component;
raw cdk8s L1 objects (``gm.k8s.KubeConfigMap(component, ...)``) may be added to either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

from pydantic import Field, field_validator, model_validator

from gpumanifests._constructs.patches import JsonPatch, apply_patches
from gpumanifests._constructs.tree import (
    ConstructNode,
    TreeConstruct,
    claim_construct_id,
    construct_path,
    jsii_chart,
)
from gpumanifests._errors import InvalidInputError
from gpumanifests._kube.kinds import ObjectKey, object_key
from gpumanifests._kube.names import is_dns_label
from gpumanifests._kube.references import ReferenceKind
from gpumanifests._output.layout import RESERVED_DIRS
from gpumanifests._props import DnsLabel, DnsSubdomain, Props, parse_props

if TYPE_CHECKING:
    import cdk8s
    import constructs

    from gpumanifests._constructs.cluster import Cluster
    from gpumanifests._constructs.workloads import Workload

__all__ = ["Component", "Construct", "ExternalObject", "RenderedObject", "Resource", "ResourceScope"]


@dataclass
class RenderedObject:
    """One Kubernetes object with the construct it came from and the objects it must follow."""

    manifest: dict[str, Any]
    path: str
    depends_on: list[ObjectKey] = field(default_factory=list)

    @property
    def key(self) -> ObjectKey:
        """The object's identity in the cluster."""
        return object_key(self.manifest)


SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
"""The namespaces every cluster has and Kubernetes itself uses (``metav1.NamespaceSystem`` and its kin)."""


class _ComponentProps(Props):
    name: DnsLabel
    namespace: DnsLabel
    server_side_apply: bool = True
    owns_namespace: bool = True

    @model_validator(mode="after")
    def _not_owning_a_system_namespace(self) -> Self:
        if self.namespace in SYSTEM_NAMESPACES and self.owns_namespace:
            raise ValueError(
                f"namespace={self.namespace!r}: a namespace Kubernetes itself uses: its Application would own (and "
                "prune) it and put a Pod Security level on the cluster's own pods; give the component a namespace "
                "of its own (a node agent that must run there: owns_namespace=False leaves the namespace alone)"
            )
        return self

    @field_validator("name")
    @classmethod
    def _not_a_reserved_directory(cls, value: str) -> str:
        if value in RESERVED_DIRS:
            raise ValueError(
                f"{value!r} is the name of a directory every cluster has ({', '.join(sorted(RESERVED_DIRS))}); "
                "a component's directory would mix with it, so choose another name"
            )
        return value


class ExternalObject(Props):
    """An object pods of the tree may name that something else creates (an operator, a person, a script)."""

    kind: ReferenceKind
    name: DnsSubdomain
    namespace: str
    """The namespace the object is in ('' for a cluster-scoped kind)."""
    reason: str = Field(min_length=8)

    @property
    def key(self) -> ObjectKey:
        """The object's identity in the cluster."""
        return self.kind.key(self.name, self.namespace)

    def __str__(self) -> str:
        where = f" in namespace {self.namespace}" if self.namespace else ""
        return f"{self.kind} {self.name}{where}: {self.reason}"


def _check_application_name(cluster: Cluster, id: str) -> None:
    """Refuse a component whose Application name (cluster-qualified in a fleet) is not a DNS label."""
    name = cluster.application_name(id)
    if name == id or is_dns_label(name):
        return
    assert cluster.fleet is not None  # only a fleet member's names are qualified
    raise InvalidInputError(
        f"Component {id!r}: its Application in fleet {cluster.fleet.name!r} is named {name!r} ({len(name)} "
        "characters), which is not a DNS label (at most 63); shorten the component or the cluster name"
    )


class Component(TreeConstruct):
    """A deployable part of a cluster: one directory of manifests, one Argo CD Application.

    ``namespace`` is where its namespaced objects go (a Namespace object is rendered for it,
    with its Pod Security level and a default-deny ingress policy, unless ``owns_namespace`` is
    False: a namespace an operator's install creates, such as ``gpu-operator``, is left to it);
    ``server_side_apply`` adds ``ServerSideApply=true`` to its Application (on by default: it
    avoids the 256 KiB last-applied annotation limit and field-ownership fights).
    """

    def __init__(
        self,
        scope: Cluster,
        id: str,
        *,
        namespace: str | None = None,
        server_side_apply: bool = True,
        owns_namespace: bool = True,
    ) -> None:
        self.props = parse_props(
            _ComponentProps,
            f"Component {id!r}",
            name=id,
            namespace=namespace if namespace is not None else id,
            server_side_apply=server_side_apply,
            owns_namespace=owns_namespace,
        )
        _check_application_name(scope, id)
        if self.props.namespace == scope.argocd_namespace:
            raise InvalidInputError(
                f"Component {id!r}: namespace={self.props.namespace!r} is the cluster's Argo CD namespace, where "
                "its Applications and AppProject live; its Application would own and prune it: choose another"
            )
        claim_construct_id(scope, id, "Component")
        self._attach(scope, id)
        self.cluster = scope
        self.resources: list[Resource] = []
        self.declared_workloads: list[Workload[Any]] = []
        """The workloads among :attr:`resources`, each added by its own constructor."""
        self.dependencies: list[Component] = []
        self.external: list[ExternalObject] = []
        """The objects declared with :meth:`declare_external`, in declaration order."""
        scope.components.append(self)

    @property
    def name(self) -> str:
        """The component (directory and Application) name."""
        return self.props.name

    def workloads(self) -> list[Workload[Any]]:
        """The component's workloads, in declaration order."""
        return list(self.declared_workloads)

    @property
    def namespace(self) -> str:
        """The namespace of the component's namespaced objects."""
        return self.props.namespace

    def add_dependency(self, *dependencies: Component) -> None:
        """Sync this component's Application after other components' (compiled into Application sync waves)."""
        for dependency in dependencies:
            if not isinstance(dependency, Component):
                raise InvalidInputError(
                    f"Component {self.name!r}: add_dependency got {type(dependency).__name__}; "
                    "a component can only depend on another Component"
                )
            if dependency.cluster is not self.cluster:
                raise InvalidInputError(
                    f"Component {self.path!r}.add_dependency: {dependency.path!r} is in another cluster; Argo CD "
                    "orders the Applications of one cluster only, so depend on a component of the same cluster"
                )
            self.dependencies.append(dependency)

    def declare_external(self, kind: ReferenceKind, name: str, *, reason: str) -> ExternalObject:
        """Declare that ``kind`` ``name`` exists without being in the tree, so pods may refer to it.

        **Usage**: ``serving.declare_external(gm.ReferenceKind.SECRET, "hf-token", reason="synced
        from Vault by External Secrets")``. A namespaced object is in this component's namespace.
        ``reason`` says who creates it; the cluster's README lists it, and synth stops asking for
        it. Returns the declaration.
        """
        external = parse_props(
            ExternalObject,
            f"Component {self.name!r}.declare_external",
            kind=kind,
            name=name,
            namespace="",
            reason=reason,
        )
        if external.kind.namespaced:
            external = external.model_copy(update={"namespace": self.namespace})
        self.external.append(external)
        return external

    def _new_jsii(self, parent: constructs.Construct) -> cdk8s.Chart:
        return jsii_chart(parent, self.node.id, self.namespace)

    @staticmethod
    def containing(scope: object, what: str) -> Component:
        """The component that ``scope`` is in: itself, or the nearest Component above it.

        A :class:`Construct` inside a component can be a scope too. ``what`` names the
        construct being declared, for the error.
        """
        current = scope
        while isinstance(current, TreeConstruct) and not isinstance(current, Component):
            if "node" not in vars(current):
                raise InvalidInputError(
                    f"{what}: its scope, a {type(current).__name__}, has no place in the tree yet: its __init__ "
                    "must call super().__init__(scope, id) before declaring anything in it"
                )
            current = current.node.scope
        if not isinstance(current, Component):
            where = construct_path(scope) or "the app"
            raise InvalidInputError(
                f"{what}: scope {where!r} ({type(scope).__name__}) is not inside a Component; "
                "declare it in a Component (or a gm.Construct inside one)"
            )
        return current


class _ConstructProps(Props):
    id: DnsLabel
    """Part of the paths below it, and of the names cdk8s gives the L1 objects in it."""


class Construct(TreeConstruct):
    """A plain construct inside a component: one id that resources and L1 objects are declared under.

    **Usage**: ``nightly = gm.Construct(jobs, "nightly")`` then ``gm.CpuJob(nightly, "report",
    ...)`` (path ``<cluster>/jobs/nightly/report``), the CDK idiom for grouping; subclass it to
    write a construct of your own that declares several resources. It renders nothing itself:
    its resources render into the component it is in.
    """

    def __init__(self, scope: ResourceScope, id: str) -> None:
        owner = f"Construct {f'{construct_path(scope)}/{id}'!r}"
        self.component = Component.containing(scope, owner)
        """The component the construct is in."""
        parse_props(_ConstructProps, owner, id=id)
        claim_construct_id(scope, id, "Construct")
        self._attach(scope, id)


class Resource:
    """Base of the constructs that render Kubernetes objects into a component.

    A resource is a construct of gpumanifests' own tree (scope, id, path). Its scope is a
    :class:`Component` or a :class:`Construct` inside one; raw cdk8s L1 objects go into those
    scopes, not into a resource.

    Subclasses implement ``_render()``, returning a list of :class:`RenderedObject` (the main
    object first). Rendering happens at synth and is redone after any change, so calls made after
    construction, or between two synths (``add_dependency``, ``add_json_patch``), reach the output.
    """

    def __init__(self, scope: ResourceScope, id: str) -> None:
        self.component = Component.containing(scope, f"{type(self).__name__} {id!r}")
        claim_construct_id(scope, id, type(self).__name__)
        self.node = ConstructNode(scope, id, self)
        """The resource's place in the tree (it has no children: it renders objects instead)."""
        self.id = id
        """The construct id, unique among the scope's children."""
        self.path = self.node.path
        self._dependencies: list[Resource] = []
        self._patches: list[JsonPatch] = []
        self._rendered: list[RenderedObject] | None = None
        self.patch_error: str | None = None
        """Why the JSON patches could not be applied (then the object is rendered unpatched); synth reports it."""
        self.component.resources.append(self)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path}>"

    def add_dependency(self, *resources: Resource) -> None:
        """Apply this resource after ``resources`` (compiled into ``argocd.argoproj.io/sync-wave``)."""
        self._dependencies.extend(resources)
        self._changed()

    def add_json_patch(self, *patches: JsonPatch) -> None:
        """Escape hatch: apply RFC 6902 patches (``gm.JsonPatch``) to the main object after rendering.

        A patch whose path does not exist is an error at synth; the patched object is still
        validated like every other (schema, names, Pod Security).
        """
        self._patches.extend(patches)
        self._changed()

    def render(self) -> list[RenderedObject]:
        """The objects of this resource, patched; rendered once and kept until the resource changes."""
        if self._rendered is None:
            objects = self._render()
            self.patch_error = None
            if self._patches:
                patched, self.patch_error = apply_patches(objects[0].manifest, self._patches)
                if isinstance(patched, dict) and isinstance(patched.get("metadata"), dict):
                    objects[0].manifest = patched
                else:
                    self.patch_error = "the JSON patches leave no Kubernetes object (an object with metadata)"
            self._after_patches(objects)
            self._rendered = objects
        return self._rendered

    def dependency_keys(self) -> list[ObjectKey]:
        """The objects this resource's objects must be applied after."""
        return [obj.key for other in self._dependencies for obj in other.render()]

    def _changed(self) -> None:
        """Forget the rendered objects: the next :meth:`render` reflects every call made so far."""
        self._rendered = None

    def _render(self) -> list[RenderedObject]:
        raise NotImplementedError

    def validate(self) -> list[str]:
        """Problems only the finished resource shows (after every call and patch); synth reports them."""
        return []

    def _after_patches(self, objects: list[RenderedObject]) -> None:
        """What a subclass derives from its objects as patched (a name from the spec); nothing by default."""


ResourceScope = Component | Construct
"""Where a resource (or a plain construct) is declared: a component, or a construct inside one."""
