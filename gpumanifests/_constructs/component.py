"""Components and resources: the unit of deployment and the things rendered into it.

A :class:`Component` is a cdk8s ``Chart`` whose objects become one directory under
``gitops/clusters/<cluster>/`` and one Argo CD Application. A :class:`Resource` is a
construct that renders one or more Kubernetes objects into its component; raw cdk8s L1
objects (``k8s.KubeConfigMap(component, ...)``) may be added to a component as well.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

import cdk8s
from pydantic import Field, field_validator, model_validator

from gpumanifests._constructs.patches import apply_patches
from gpumanifests._errors import InvalidInputError
from gpumanifests._kube.kinds import ObjectKey, object_key
from gpumanifests._kube.names import is_dns_label
from gpumanifests._kube.references import ReferenceKind
from gpumanifests._output.layout import RESERVED_DIRS
from gpumanifests._props import DnsLabel, DnsSubdomain, Props, parse_props

if TYPE_CHECKING:
    from constructs import Construct, IConstruct

    from gpumanifests._constructs.cluster import Cluster
    from gpumanifests._constructs.workloads import Workload

__all__ = ["Component", "ExternalObject", "RenderedObject", "Resource", "claim_construct_id", "construct_path"]


def construct_path(scope: object) -> str:
    """A construct's path: gpumanifests' own ``path``, else jsii's ``node.path`` ('' for the app)."""
    path = getattr(scope, "path", None) or getattr(getattr(scope, "node", None), "path", "")
    return path if isinstance(path, str) else ""


def claim_construct_id(scope: object, id: str, what: str) -> None:
    """Refuse a second child with the same id under ``scope``: gpumanifests' constructs and the
    ``gm.k8s`` objects share this check (before jsii would fail obscurely on two L1 objects).

    Under the app, whose children come from several app files, the error names the file that
    declared the id first.
    """
    taken: dict[str, str] = scope.__dict__.setdefault("_gm_child_ids", {})
    source = getattr(scope, "source", "")
    if id in taken:
        where = construct_path(scope) or "the app"
        first = f" (by {taken[id]})" if taken[id] and taken[id] != source else ""
        raise InvalidInputError(
            f"{what} {id!r}: id {id!r} is already used under {where!r}{first}; "
            "construct ids must be unique among siblings, rename one"
        )
    taken[id] = source if isinstance(source, str) else ""


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


class Component(cdk8s.Chart):
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
        super().__init__(scope, id, namespace=self.props.namespace, disable_resource_name_hashes=True)
        self.cluster = scope
        self.path = f"{scope.path}/{id}"
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

    def add_dependency(self, *dependencies: IConstruct) -> None:
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

    @staticmethod
    def containing(scope: IConstruct, what: str) -> Component:
        """The component that ``scope`` is in: itself, or the nearest Component above it.

        Any construct inside a component can be a scope, including a plain ``Construct`` used to
        group resources. ``what`` names the construct being declared, for the error.
        """
        current: IConstruct | None = scope
        while current is not None and not isinstance(current, Component):
            current = current.node.scope
        if current is None:
            where = construct_path(scope) or "the app"
            raise InvalidInputError(
                f"{what}: scope {where!r} ({type(scope).__name__}) is not inside a Component; "
                "declare resources in a Component (or a construct inside one)"
            )
        return current


class Resource:
    """Base of the constructs that render Kubernetes objects into a component.

    A resource is a construct of gpumanifests' own tree (scope, id, path) but not a jsii object:
    declaring one costs no round trip to Node.js. Its scope is a :class:`Component` or a plain
    ``Construct`` inside one; raw cdk8s L1 objects go into those scopes, not into a resource.

    Subclasses implement ``_render()``, returning a list of :class:`RenderedObject` (the main
    object first). Rendering happens at synth and is redone after any change, so calls made after
    construction, or between two synths (``add_dependency``, ``add_json_patch``), reach the output.
    """

    def __init__(self, scope: Construct, id: str) -> None:
        self.component = Component.containing(scope, f"{type(self).__name__} {id!r}")
        claim_construct_id(scope, id, type(self).__name__)
        self.id = id
        """The construct id, unique among the scope's children."""
        self.path = f"{construct_path(scope)}/{id}"
        self._dependencies: list[Resource] = []
        self._patches: list[cdk8s.JsonPatch] = []
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

    def add_json_patch(self, *patches: cdk8s.JsonPatch) -> None:
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
