"""The construct tree: ids unique among siblings, paths, children, and jsii's tree made on demand.

gpumanifests' constructs (the app, clusters, fleets, components, plain constructs and
resources) are plain Python objects: declaring a fleet costs no round trip to Node.js, and an app
that never uses the L1 escape hatch never starts it. Each construct, resources included, has a
CDK-style ``node`` (id, path, scope, children, ``try_find_child``, ``find_child``). A raw cdk8s
L1 object (``gm.k8s.KubeConfigMap``) needs a jsii scope: :meth:`TreeConstruct.jsii_scope` makes
the scope's counterpart in jsii's tree on first use (a cdk8s ``App`` for the app, a ``Chart`` for
a component, a ``Construct`` for the rest), with the same ids, so the object's path and its
chart's namespace are what they would be in a cdk8s app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gpumanifests._errors import InvalidInputError

if TYPE_CHECKING:
    import cdk8s
    import constructs

__all__ = [
    "ConstructNode",
    "TreeConstruct",
    "cdk8s_patch",
    "claim_construct_id",
    "construct_path",
    "is_jsii_construct",
    "is_l1_construct",
    "jsii_app",
    "jsii_chart",
    "l1_objects",
    "release_construct_id",
    "tree_construct_of",
]


def construct_path(scope: object) -> str:
    """A construct's path: its ``node.path`` ('' for the app), for gpumanifests' constructs and jsii's alike."""
    path = getattr(getattr(scope, "node", None), "path", "")
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


def release_construct_id(scope: object, id: str) -> None:
    """Free an id claimed for a construct that then failed to be made (a bad argument)."""
    scope.__dict__.get("_gm_child_ids", {}).pop(id, None)


class ConstructNode:
    """A construct's place in the tree, as the CDK's ``construct.node`` shows it.

    Made by the construct it belongs to, which it records among ``scope``'s children.
    """

    def __init__(self, scope: TreeConstruct | None, id: str, construct: object) -> None:
        self.scope = scope
        """The construct this one was declared in; None for the app."""
        self.id = id
        """The id, unique among the scope's children ('' for the app)."""
        self.path: str = f"{scope.node.path}/{id}" if scope is not None and scope.node.path else id
        """The ids from the app down, joined by ``/`` ('' for the app)."""
        self._children: dict[str, object] = {}
        if scope is not None:
            scope.node.add_child(id, construct)

    @property
    def children(self) -> list[object]:
        """The constructs declared directly in this one (``gm.k8s`` objects included), in declaration order."""
        return list(self._children.values())

    def try_find_child(self, id: str) -> object | None:
        """The child called ``id``, or None."""
        return self._children.get(id)

    def find_child(self, id: str) -> object:
        """The child called ``id``; an :class:`InvalidInputError` naming the children when there is none."""
        if id not in self._children:
            known = ", ".join(repr(child) for child in self._children) or "none"
            raise InvalidInputError(f"{self.path or 'the app'!r} has no child {id!r}; its children are: {known}")
        return self._children[id]

    def add_child(self, id: str, child: object) -> None:
        """Record ``child`` under ``id`` (claimed with :func:`claim_construct_id` before it was built)."""
        self._children[id] = child


class TreeConstruct:
    """The base of gpumanifests' constructs that can be a scope: a ``node``, and a jsii counterpart on demand."""

    node: ConstructNode
    _jsii: constructs.Construct | None = None

    def _attach(self, scope: TreeConstruct | None, id: str) -> None:
        """Take the place ``id`` in ``scope`` (the id was claimed before the construct checked its props)."""
        self.node = ConstructNode(scope, id, self)

    @property
    def path(self) -> str:
        """The ids from the app down, as messages name the construct (its ``node.path``)."""
        return self.node.path

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.node.path or 'app'}>"

    def jsii_scope(self) -> constructs.Construct:
        """This construct's counterpart in jsii's tree, made on first use (a cdk8s ``Chart`` for a component).

        ``gm.k8s`` objects are declared in it for you. Pass it yourself as the scope of a cdk8s
        construct ``gm.k8s`` does not cover (a cdk8s-plus L2 construct, ``cdk8s.ApiObject``,
        ``Include``, ``Helm``): the ApiObjects below it are rendered into the component, and
        validated, like any other object.
        """
        if self._jsii is None:
            parent = self.node.scope
            self._jsii = self._made_jsii(self._new_jsii(parent.jsii_scope() if parent is not None else None))
        return self._jsii

    @property
    def jsii_made(self) -> constructs.Construct | None:
        """The jsii counterpart when an L1 object needed it; None when the construct never held one."""
        return self._jsii

    def _new_jsii(self, parent: Any) -> constructs.Construct:
        """A plain jsii ``Construct`` with this id under ``parent``; the app and components make theirs."""
        import constructs

        return constructs.Construct(parent, self.node.id)

    def _made_jsii(self, made: constructs.Construct) -> constructs.Construct:
        made._gm_construct = self  # type: ignore[attr-defined] # jsii hands back this same proxy for the object
        return made


# Importing cdk8s or constructs loads their jsii assemblies into Node.js (starting it): only
# ``jsii_scope`` and the functions below do, when an L1 object is first declared or looked at.


def jsii_app() -> cdk8s.App:
    """A cdk8s ``App``: the root of jsii's tree (never synthesized: gpumanifests writes the tree)."""
    import cdk8s

    return cdk8s.App()


def jsii_chart(parent: constructs.Construct, id: str, namespace: str) -> cdk8s.Chart:
    """A cdk8s ``Chart``: cdk8s stamps its ``namespace`` on the L1 objects declared in it."""
    import cdk8s

    return cdk8s.Chart(parent, id, namespace=namespace, disable_resource_name_hashes=True)


def tree_construct_of(scope: constructs.Construct) -> TreeConstruct | None:
    """The gpumanifests construct whose jsii counterpart ``scope`` is, or lies in; None when it lies in none
    (a cdk8s App or Chart an app made itself, whose objects no synth would ever see)."""
    current: Any = scope
    while current is not None:
        found = getattr(current, "_gm_construct", None)
        if isinstance(found, TreeConstruct):
            return found
        current = current.node.scope
    return None


def cdk8s_patch(operation: dict[str, Any]) -> cdk8s.JsonPatch:
    """The cdk8s ``JsonPatch`` for an RFC 6902 operation (``op``, ``path``, and ``value`` or ``from``)."""
    import cdk8s

    op, path = operation["op"], operation["path"]
    if op in {"copy", "move"}:
        return getattr(cdk8s.JsonPatch, op)(operation["from"], path)  # type: ignore[no-any-return]
    if op == "remove":
        return cdk8s.JsonPatch.remove(path)
    return getattr(cdk8s.JsonPatch, op)(path, operation["value"])  # type: ignore[no-any-return]


def l1_objects(scope: constructs.Construct) -> list[cdk8s.ApiObject]:
    """The ApiObjects below the jsii construct ``scope``, in the order cdk8s lists them (one round trip)."""
    import cdk8s

    return [construct for construct in scope.node.find_all() if isinstance(construct, cdk8s.ApiObject)]


def is_jsii_construct(value: object) -> bool:
    """Whether ``value`` is a construct of jsii's tree (an L1 object, a cdk8s Chart...)."""
    import constructs

    return isinstance(value, constructs.Construct)


def is_l1_construct(value: object) -> bool:
    """Whether ``value`` is a jsii construct class that defines its own constructor (an L1 object's class)."""
    import constructs

    return isinstance(value, type) and issubclass(value, constructs.Construct) and "__init__" in vars(value)
