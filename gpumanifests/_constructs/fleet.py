"""Fleets: many clusters deployed by one management Argo CD.

A cluster on its own (the default) runs its own Argo CD: its ``bootstrap/`` holds a root
Application applied once by hand, and its Applications are named after their components. A
cluster in a :class:`Fleet` is deployed by the fleet's management Argo CD instead:

- every Argo CD object of every member lives in that one Argo CD namespace, so names are
  cluster-qualified (``<cluster>-<component>``; the AppProject is the cluster's name);
- each member's Applications deploy to the member (``Cluster(server=...)`` or
  ``Cluster(argocd_cluster=...)``, the name the cluster is registered under in Argo CD);
- ``fleets/<fleet>/bootstrap/`` holds the one thing applied by hand: an ApplicationSet whose git
  directory generator makes one root Application per member, syncing that member's ``apps/``
  into the management Argo CD, and the AppProject those roots use. The ApplicationSet uses
  ``goTemplate`` with ``missingkey=error``, a fixed project (a templated one would let a commit
  choose its own permissions), and ``preserveResourcesOnDeletion`` (deleting the ApplicationSet
  or dropping a member keeps its Applications and what they deployed, rather than cascading).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gpumanifests._constructs.tree import TreeConstruct, claim_construct_id
from gpumanifests._props import DnsLabel, Props, parse_props

if TYPE_CHECKING:
    from gpumanifests._constructs.app import GitOpsApp
    from gpumanifests._constructs.cluster import Cluster, GitRepo

__all__ = ["Fleet"]


class _FleetProps(Props):
    name: DnsLabel
    argocd_namespace: DnsLabel = "argocd"


class Fleet(TreeConstruct):
    """Clusters one management Argo CD deploys, through one ApplicationSet.

    **Usage**::

        fleet = gm.Fleet(app, "gpu-fleet", repo=REPO)
        gm.Cluster(app, "train-us", fleet=fleet, server="https://train-us.example.com:6443", ...)

    ``repo`` is where the management Argo CD reads the tree from (every member uses it);
    ``argocd_namespace`` (``argocd``) is the management Argo CD's namespace.
    """

    def __init__(self, scope: GitOpsApp, id: str, *, repo: GitRepo, argocd_namespace: str = "argocd") -> None:
        self.props = parse_props(_FleetProps, f"Fleet {id!r}", name=id, argocd_namespace=argocd_namespace)
        claim_construct_id(scope, id, "Fleet")
        self._attach(scope, id)
        self.repo = repo
        self.clusters: list[Cluster] = []
        """The member clusters, in declaration order."""
        scope.fleets.append(self)

    @property
    def path(self) -> str:
        """How messages name the fleet: ``fleet/<name>`` (its Argo CD objects are not a cluster's)."""
        return f"fleet/{self.name}"

    @property
    def name(self) -> str:
        """The fleet's name: its directory under ``fleets/`` and the prefix of its bootstrap objects."""
        return self.props.name

    @property
    def argocd_namespace(self) -> str:
        """The management Argo CD's namespace, where every member's Argo CD objects live."""
        return self.props.argocd_namespace

    @property
    def source(self) -> str:
        """The app files that declare the fleet's members (its bootstrap lists all of them)."""
        return ", ".join(sorted({cluster.source for cluster in self.clusters})) or "app"
