"""The cluster model: the app root, clusters, their nodes, and the git repository Argo CD pulls.

A :class:`Cluster` is a construct under a :class:`GitOpsApp`; it owns the nodes (each with a
:class:`NodeProfile`) and the components (one Argo CD Application each) its workloads live in.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from pydantic import Field, field_validator, model_validator

from gpumanifests._argocd.models import (
    IN_CLUSTER_SERVER,
    ClusterName,
    Destination,
    GitRevision,
    RepoPath,
    RepoUrl,
    ServerUrl,
)
from gpumanifests._constructs.profiles import NodeProfile, NodeRequirement
from gpumanifests._constructs.tree import TreeConstruct, claim_construct_id
from gpumanifests._errors import InvalidInputError
from gpumanifests._kube.crds import CustomResourceDefinition, load_crd_file
from gpumanifests._kube.limits import CLUSTER_NODES_MAX, LARGE_CLUSTERS
from gpumanifests._kube.versions import DEFAULT_VERSION, KubernetesRelease, release
from gpumanifests._props import DnsLabel, DnsSubdomain, LabelKey, LabelValue, Props, Quantity, parse_props

if TYPE_CHECKING:
    from collections.abc import Sequence

    from gpumanifests._constructs.app import GitOpsApp
    from gpumanifests._constructs.component import Component
    from gpumanifests._constructs.fleet import Fleet
    from gpumanifests._constructs.kueue import ClusterQueue
    from gpumanifests._constructs.nodeconfig import NodeConfiguration
    from gpumanifests._constructs.workloads import Workload

__all__ = ["Cluster", "GitRepo", "Node", "NodeClassRef", "NodeLabelling", "NodePool", "NodeRole"]

POOL_LABEL = "karpenter.sh/nodepool"
"""The label Karpenter puts on every node it creates: the name of the node's NodePool."""


class NodeLabelling(StrEnum):
    """How the labels and taints of a GPU profile get onto its declared nodes.

    ``job``: a labelling Job patches the declared nodes by name (works on any cluster; a node
    added later needs a commit). ``nfd``: a Node Feature Discovery ``NodeFeatureRule`` labels and
    taints every node with the profile's PCI device (:attr:`NodeProfile.pci`), nodes added later
    included; NFD must run with taints enabled (``--enable-taints``, Helm
    ``master.enableTaints=true``). Profiles without a PCI identity keep the Job.
    """

    JOB = "job"
    NFD = "nfd"


class NodeRole(StrEnum):
    """The node's role in the cluster."""

    CONTROL_PLANE = "control-plane"
    WORKER = "worker"


class Node(Props):
    """A node of the cluster: its profile, GPU count and allocatable capacity.

    ``cpu``, ``memory``, ``ephemeral_storage`` and ``max_pods`` are what the node can give to the
    workloads declared here (its allocatable), used by the placement proof. ``discovered_labels``
    are labels the vendor's components publish on this node beyond its profile's fixed ones (GPU
    Feature Discovery's ``nvidia.com/gpu.memory``), which the profile's selectors read; the node
    must meet every selector of its profile.
    """

    name: DnsSubdomain
    role: NodeRole = NodeRole.WORKER
    profile: NodeProfile
    gpus: int = Field(default=0, ge=0, strict=True)
    cpu: Quantity = "4"
    memory: Quantity = "8Gi"
    ephemeral_storage: Quantity = "100Gi"
    max_pods: int = Field(default=110, ge=1, strict=True)
    discovered_labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _labels_meet_the_profile(self) -> Self:
        fixed = self.profile.node_labels
        overridden = sorted(key for key in self.discovered_labels if key in fixed)
        if overridden:
            raise ValueError(
                f"node {self.name!r}: discovered_labels {overridden} are fixed by profile {self.profile.name!r}; "
                "leave them out"
            )
        unmet = [str(selector) for selector in self.profile.selectors if not selector.matches(self.labels)]
        if unmet:
            raise ValueError(
                f"node {self.name!r} does not meet profile {self.profile.name!r}'s selector(s) {unmet} "
                f"with labels {self.labels}; give the labels its vendor's components publish in discovered_labels"
            )
        return self

    @model_validator(mode="after")
    def _gpus_match_profile(self) -> Self:
        if self.profile.is_gpu and self.gpus == 0:
            raise ValueError(
                f"node {self.name!r} has GPU profile {self.profile.name!r} but gpus=0; "
                "set gpus to the number of GPUs the node has (at least 1)"
            )
        device = self.profile.generic_device
        if device is not None and self.gpus != device.shares:
            raise ValueError(
                f"node {self.name!r}: profile {self.profile.name!r}'s device plugin advertises {device.shares} of "
                f"{device.resource} per node, so gpus must be {device.shares}, not {self.gpus}"
            )
        if not self.profile.is_gpu and self.gpus:
            raise ValueError(
                f"node {self.name!r} has CPU-only profile {self.profile.name!r} but gpus={self.gpus}; "
                "use a GPU profile or set gpus=0"
            )
        return self

    @property
    def labels(self) -> dict[str, str]:
        """The labels the node carries: its profile's labels and settings, and its own discovered ones, sorted."""
        return dict(
            sorted({**self.profile.node_labels, **self.profile.node_settings, **self.discovered_labels}.items())
        )

    @property
    def gpu_units(self) -> int:
        """How many of its profile's GPU resource the node advertises: its GPUs, times each one's shares."""
        sharing = self.profile.sharing
        return self.gpus * (sharing.replicas if sharing is not None else 1)

    def allocatable(self) -> dict[str, str]:
        """``status.allocatable`` of the node as the API would report it."""
        allocatable = {
            "cpu": self.cpu,
            "ephemeral-storage": self.ephemeral_storage,
            "memory": self.memory,
            "pods": str(self.max_pods),
        }
        if self.profile.gpu_resource is not None:
            allocatable[self.profile.gpu_resource] = str(self.gpu_units)
        return allocatable

    def to_node_object(self) -> dict[str, object]:
        """The node as a Kubernetes ``Node`` dict, for the scheduler model."""
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": self.name, "labels": dict(self.labels)},
            "spec": {"taints": [taint.to_dict() for taint in self.profile.taints]},
            "status": {"allocatable": self.allocatable()},
        }


class NodeClassRef(Props):
    """The cloud provider's node class a Karpenter NodePool launches from (``spec.template.spec.nodeClassRef``).

    For example ``NodeClassRef(group="karpenter.k8s.aws", kind="EC2NodeClass", name="gpu")``; the
    node class itself (AMIs, subnets, security groups) is the provider's and is not generated.
    """

    group: DnsSubdomain
    kind: str = Field(pattern=r"^[A-Z][A-Za-z0-9]*$")
    name: DnsSubdomain

    def to_dict(self) -> dict[str, str]:
        """The reference as ``nodeClassRef`` holds it."""
        return {"group": self.group, "kind": self.kind, "name": self.name}


class NodePool(Props):
    """GPU nodes an autoscaler creates on demand: a Karpenter ``NodePool`` of one profile, up to ``max_nodes``.

    Each node the pool makes has ``gpus``, ``cpu``, ``memory`` and ``max_pods`` to give (its
    allocatable), the profile's labels and taints from the pool's template (where the node is
    born, so no labelling Job has to find it), and ``discovered_labels``: what the vendor's
    components will publish on it, which the profile's selectors read (as for :class:`Node`).
    ``requirements`` pick the machines (cloud-specific, e.g. ``karpenter.k8s.aws/instance-family
    In [p4d]``); the profile's selectors are added to them so Karpenter knows their keys.
    ``spec.limits`` caps the pool's GPUs at ``max_nodes`` times ``gpus``. Karpenter has no
    minimum size (a pool scales to zero when idle), and it consolidates a GPU pool only when a
    node is empty, so it never evicts a running job to repack GPUs.
    """

    name: DnsLabel
    profile: NodeProfile
    max_nodes: int = Field(ge=1, le=1000, strict=True)
    gpus: int = Field(ge=1, strict=True)
    cpu: Quantity
    memory: Quantity
    max_pods: int = Field(default=110, ge=1, strict=True)
    node_class: NodeClassRef
    requirements: tuple[NodeRequirement, ...] = ()
    discovered_labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _a_gpu_pool(self) -> Self:
        if not self.profile.is_gpu or self.profile.gpu_resource is None:
            raise ValueError(
                f"node pool {self.name!r} has profile {self.profile.name!r}, which advertises no GPU resource; "
                "a pool's limit counts GPUs, so give it a GPU profile with a device plugin"
            )
        labels = {**self.profile.node_labels, **self.discovered_labels}
        unmet = [str(selector) for selector in self.profile.selectors if not selector.matches(labels)]
        if unmet:
            raise ValueError(
                f"node pool {self.name!r}: its nodes would not meet profile {self.profile.name!r}'s selector(s) "
                f"{unmet}; give the labels the vendor's components publish on them in discovered_labels"
            )
        return self

    def node(self, index: int) -> Node:
        """The pool's ``index``-th node (from 1) as the placement proof sees it, named ``<pool>-scale-up-<index>``."""
        return Node(
            name=f"{self.name}-scale-up-{index}",
            profile=self.profile,
            gpus=self.gpus,
            cpu=self.cpu,
            memory=self.memory,
            max_pods=self.max_pods,
            discovered_labels={**self.discovered_labels, POOL_LABEL: self.name},
        )

    def nodes(self) -> list[Node]:
        """Every node the pool may make: ``max_nodes`` of them."""
        return [self.node(index) for index in range(1, self.max_nodes + 1)]


class GitRepo(Props):
    """Where Argo CD pulls the generated tree from.

    ``path`` is the directory of the generated tree inside the repository (``gitops``).
    """

    url: RepoUrl
    revision: GitRevision = "main"
    path: RepoPath = "gitops"


class _ClusterProps(Props):
    name: DnsLabel
    nodes: tuple[Node, ...] = Field(min_length=1)
    pools: tuple[NodePool, ...] = ()
    repo: GitRepo
    kubernetes_version: str = DEFAULT_VERSION
    crds: tuple[Path, ...] = ()
    argocd_namespace: DnsLabel = "argocd"
    server: ServerUrl | None = None
    argocd_cluster: ClusterName | None = None
    node_labelling: NodeLabelling = NodeLabelling.JOB

    @model_validator(mode="after")
    def _nfd_rules_tell_profiles_apart(self) -> Self:
        if self.node_labelling is not NodeLabelling.NFD:
            return self
        matched = [(p.name, p.pci) for p in _distinct_profiles(self.nodes, self.pools) if p.pci is not None]
        for index, (first, first_pci) in enumerate(matched):
            for second, second_pci in matched[index + 1 :]:
                if first_pci.overlaps(second_pci):
                    raise ValueError(
                        f"node_labelling='nfd': profiles {first!r} and {second!r} match the same PCI devices, so "
                        "one rule would label a node as both; give each profile's PciMatch its own devices"
                    )
        return self

    @model_validator(mode="after")
    def _within_a_cluster_s_size(self) -> Self:
        count = len(self.nodes) + sum(pool.max_nodes for pool in self.pools)
        if count > CLUSTER_NODES_MAX:
            raise ValueError(
                f"{len(self.nodes)} nodes and pools of up to {count - len(self.nodes)} more: a Kubernetes cluster "
                f"has at most {CLUSTER_NODES_MAX} nodes ({LARGE_CLUSTERS}); split it into clusters (a Fleet)"
            )
        return self

    @model_validator(mode="after")
    def _one_way_to_name_the_destination(self) -> Self:
        if self.server is not None and self.argocd_cluster is not None:
            raise ValueError(
                f"server={self.server!r} and argocd_cluster={self.argocd_cluster!r} both name the cluster "
                "Argo CD deploys to; give one of them"
            )
        return self

    @field_validator("nodes")
    @classmethod
    def _unique_node_names(cls, nodes: tuple[Node, ...]) -> tuple[Node, ...]:
        names = [node.name for node in nodes]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"node names must be unique in a cluster; repeated: {', '.join(duplicates)}")
        return nodes

    @model_validator(mode="after")
    def _one_profile_per_name(self) -> Self:
        by_name: dict[str, NodeProfile] = {}
        for owner, profile in [
            *((f"node {n.name!r} in nodes", n.profile) for n in self.nodes),
            *_pool_profiles(self.pools),
        ]:
            known = by_name.setdefault(profile.name, profile)
            if known != profile:
                raise ValueError(
                    f"two different profiles are both named {profile.name!r} ({owner}); give each profile its own name"
                )
        return self

    @model_validator(mode="after")
    def _pool_names_are_free(self) -> Self:
        names = [pool.name for pool in self.pools]
        taken = {node.name for node in self.nodes}
        clashes = sorted(
            {name for name in names if names.count(name) > 1}
            | {node.name for pool in self.pools for node in pool.nodes() if node.name in taken}
        )
        if clashes:
            raise ValueError(
                f"node pool names must be unique, and no declared node may be named like a pool's node "
                f"(<pool>-scale-up-<n>); clashing: {', '.join(clashes)}"
            )
        return self

    @field_validator("kubernetes_version")
    @classmethod
    def _supported_version(cls, value: str) -> str:
        release(value)
        return value


def _load_crds(paths: Sequence[Path], owner: str) -> tuple[CustomResourceDefinition, ...]:
    """The CRDs in the files at ``paths``; :class:`InvalidInputError` naming the file and what is wrong."""
    try:
        return tuple(crd for path in paths for crd in load_crd_file(path))
    except ValueError as error:
        raise InvalidInputError(f"{owner}: crds: {error}") from None


def _pool_profiles(pools: tuple[NodePool, ...]) -> list[tuple[str, NodeProfile]]:
    return [(f"node pool {pool.name!r} in pools", pool.profile) for pool in pools]


def _distinct_profiles(nodes: tuple[Node, ...], pools: tuple[NodePool, ...]) -> tuple[NodeProfile, ...]:
    """The profiles of ``nodes`` and then ``pools``, each once, in the order of first use."""
    seen: dict[str, NodeProfile] = {}
    for profile in [*(node.profile for node in nodes), *(pool.profile for pool in pools)]:
        seen.setdefault(profile.name, profile)
    return tuple(seen.values())


def _fleet_repo(fleet: Fleet | None, repo: GitRepo | None, owner: str) -> GitRepo:
    """The repository the cluster's Argo CD pulls: ``repo``, or the fleet's (they must agree)."""
    if fleet is None:
        if repo is None:
            raise InvalidInputError(
                f"{owner}: repo: give the git repository Argo CD pulls the tree from (GitRepo(url=...))"
            )
        return repo
    if repo is not None and repo != fleet.repo:
        raise InvalidInputError(
            f"{owner}: repo: {repo.url}@{repo.revision}:{repo.path} differs from fleet {fleet.name!r}'s "
            f"{fleet.repo.url}@{fleet.repo.revision}:{fleet.repo.path}; a fleet's management Argo CD pulls one "
            "repository, so leave repo out"
        )
    return fleet.repo


def _check_fleet_namespace(fleet: Fleet | None, argocd_namespace: str, owner: str) -> None:
    if fleet is not None and argocd_namespace not in ("argocd", fleet.argocd_namespace):
        raise InvalidInputError(
            f"{owner}: argocd_namespace: {argocd_namespace!r}, but a fleet member's Argo CD objects live in "
            f"the management Argo CD's namespace, fleet {fleet.name!r}'s {fleet.argocd_namespace!r}; "
            "set it on the Fleet instead"
        )


class Cluster(TreeConstruct):
    r"""One Kubernetes cluster: its nodes, the repository Argo CD pulls, and its components.

    **Usage**::

        cluster = Cluster(app, "data-platform-local", nodes=[...], repo=GitRepo(url=...))
        workloads = Component(cluster, "metal-gpu-workloads", namespace="ml")

    ``node_labelling`` says how GPU profiles' labels and taints reach the declared nodes
    (:class:`NodeLabelling`: a labelling Job, or Node Feature Discovery rules).

    ``nodes`` are the named machines; ``pools`` are autoscaled GPU node pools (Karpenter
    ``NodePool``\ s, rendered into the ``node-pools`` component), whose nodes the placement proof
    counts up to each pool's maximum size.

    On its own, the cluster runs its own Argo CD (in ``argocd_namespace``) and its Applications
    are named after their components. With ``fleet=``, the fleet's management Argo CD deploys it:
    its Applications are named ``<cluster>-<component>`` and deploy to ``server`` (an API URL)
    or ``argocd_cluster`` (the name the cluster is registered under in that Argo CD); ``repo``
    defaults to the fleet's. Without either, Argo CD deploys to the cluster it runs in.
    """

    def __init__(
        self,
        scope: GitOpsApp,
        id: str,
        *,
        nodes: Sequence[Node],
        pools: Sequence[NodePool] = (),
        repo: GitRepo | None = None,
        kubernetes_version: str = DEFAULT_VERSION,
        crds: Sequence[Path | str] = (),
        argocd_namespace: str = "argocd",
        server: str | None = None,
        argocd_cluster: str | None = None,
        fleet: Fleet | None = None,
        node_labelling: NodeLabelling = NodeLabelling.JOB,
    ) -> None:
        owner = f"Cluster {id!r}"
        _check_fleet_namespace(fleet, argocd_namespace, owner)
        self.props = parse_props(
            _ClusterProps,
            owner,
            name=id,
            nodes=tuple(nodes),
            pools=tuple(pools),
            repo=_fleet_repo(fleet, repo, owner),
            kubernetes_version=kubernetes_version,
            crds=tuple(crds),
            argocd_namespace=argocd_namespace if fleet is None else fleet.argocd_namespace,
            server=server,
            argocd_cluster=argocd_cluster,
            node_labelling=node_labelling,
        )
        self.fleet = fleet
        """The fleet whose management Argo CD deploys this cluster; None when it runs its own."""
        self.crds = _load_crds(self.props.crds, f"Cluster {id!r}")
        """The CustomResourceDefinitions given by file: their kinds validate like built-ins."""
        claim_construct_id(scope, id, "Cluster")
        self._attach(scope, id)
        self.app = scope
        self.source = scope.source
        self.components: list[Component] = []
        self._profiles = _distinct_profiles(self.props.nodes, self.props.pools)  # nodes are frozen: computed once
        self._gpu_profiles = tuple(profile for profile in self._profiles if profile.is_gpu)
        self.cluster_queues: list[ClusterQueue] = []
        """The Kueue ClusterQueues declared in the cluster, in declaration order."""
        self.node_configurations: list[NodeConfiguration] = []
        """The components that put each GPU profile's labels and taints on its nodes."""
        scope.adopt(self)
        if fleet is not None:
            fleet.clusters.append(self)

    @property
    def kubernetes(self) -> KubernetesRelease:
        """The Kubernetes minor the cluster runs: its schemas, images and end of life."""
        return release(self.props.kubernetes_version)

    @property
    def name(self) -> str:
        """The cluster name, used as its directory and AppProject name."""
        return self.props.name

    @property
    def repo(self) -> GitRepo:
        """The git repository Argo CD pulls the cluster's tree from."""
        return self.props.repo

    @property
    def argocd_namespace(self) -> str:
        """The namespace of the Argo CD that deploys the cluster (its own, or the fleet's)."""
        return self.props.argocd_namespace

    def application_name(self, component: str) -> str:
        """The Argo CD Application name of ``component``: its name, qualified by the cluster's in a fleet."""
        return component if self.fleet is None else f"{self.name}-{component}"

    @property
    def deploys_to(self) -> str:
        """The cluster as its Argo CD addresses it: ``server <url>`` or ``Argo CD cluster '<name>'``."""
        if self.props.argocd_cluster is not None:
            return f"Argo CD cluster {self.props.argocd_cluster!r}"
        return f"server {self.props.server or IN_CLUSTER_SERVER}"

    def destination(self, namespace: str) -> Destination:
        """Where the cluster's Argo CD deploys ``namespace``'s objects: this cluster, by server URL or Argo CD name."""
        if self.props.argocd_cluster is not None:
            return Destination(name=self.props.argocd_cluster, namespace=namespace)
        return Destination(server=self.props.server or IN_CLUSTER_SERVER, namespace=namespace)

    @property
    def nodes(self) -> tuple[Node, ...]:
        """The cluster's declared (named) nodes, in declaration order; pools' nodes are :meth:`capacity_of`'s."""
        return self.props.nodes

    def profiles(self) -> tuple[NodeProfile, ...]:
        """The distinct node profiles of the cluster, in node order."""
        return self._profiles

    def gpu_profiles(self) -> tuple[NodeProfile, ...]:
        """The distinct GPU profiles of the cluster."""
        return self._gpu_profiles

    def workloads(self) -> list[Workload[Any]]:
        """The cluster's workloads in declaration order (components in order, resources in order)."""
        return [workload for component in self.components for workload in component.workloads()]

    def components_in(self, namespace: str) -> list[Component]:
        """The components whose objects go to ``namespace``, in declaration order.

        The first of them with namespaced objects owns the namespace: it renders the Namespace
        object (and its default policy), and the others' Applications sync after its Application.
        """
        return [component for component in self.components if component.namespace == namespace]

    @property
    def pools(self) -> tuple[NodePool, ...]:
        """The cluster's autoscaled node pools, in declaration order."""
        return self.props.pools

    def nodes_of(self, profile: NodeProfile) -> list[Node]:
        """The declared nodes whose profile is ``profile``."""
        return [node for node in self.nodes if node.profile == profile]

    def capacity_of(self, profile: NodeProfile) -> list[Node]:
        """Every node ``profile`` can have: the declared ones, then each pool's at its maximum size."""
        pooled = [node for pool in self.pools if pool.profile == profile for node in pool.nodes()]
        return [*self.nodes_of(profile), *pooled]
