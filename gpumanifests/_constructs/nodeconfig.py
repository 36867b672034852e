"""The node-configuration component of a GPU profile (the seed's ``metal-gpu-nodes``).

It holds a ConfigMap describing the profile (the seed's ``metal-gpu-config``) and a labelling
Job that converges the profile's labels and taints onto the cluster's nodes of that profile,
with RBAC limited to ``get`` and ``patch`` on exactly those nodes. The Job needs no shell: each
``kubectl label`` / ``kubectl taint --overwrite`` runs as its own init container, in order.
With ``node_labelling="nfd"`` a Node Feature Discovery ``NodeFeatureRule`` matching the
profile's PCI device replaces the Job, and follows nodes added later.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from gpumanifests._constructs.cluster import NodeLabelling
from gpumanifests._constructs.component import Component, RenderedObject, Resource
from gpumanifests._constructs.pod import container_security
from gpumanifests._constructs.workloads import CpuJob, RunPolicy

if TYPE_CHECKING:
    from gpumanifests._constructs.cluster import Cluster, Node
    from gpumanifests._constructs.profiles import NodeProfile

__all__ = ["NFD_API_VERSION", "NodeConfiguration", "label_command", "node_component_name", "taint_command"]

NFD_API_VERSION = "nfd.k8s-sigs.io/v1alpha1"


def node_component_name(profile: NodeProfile) -> str:
    """The component (and Application) name of a profile's node configuration: ``metal-gpu-nodes``."""
    return f"{profile.name}-gpu-nodes"


def label_command(node: Node) -> list[str] | None:
    """``kubectl label`` arguments that set the profile's managed labels on ``node`` (idempotent), or None without any.

    Discovered labels are the vendor's components' to set.
    """
    labels = [f"{key}={value}" for key, value in node.profile.managed_labels.items()]
    return ["label", "node", node.name, *labels, "--overwrite"] if labels else None


def taint_command(node: Node) -> list[str] | None:
    """``kubectl taint`` arguments that set every profile taint on ``node``, or None without taints."""
    taints = [str(taint) for taint in node.profile.taints]
    if not taints:
        return None
    return ["taint", "node", node.name, *taints, "--overwrite"]


class _ProfileConfigMap(Resource):
    """The ConfigMap ``<profile>-gpu-config``: the profile and its nodes, as data."""

    def __init__(
        self, scope: Component, id: str, *, profile: NodeProfile, nodes: list[Node], pools: dict[str, int]
    ) -> None:
        super().__init__(scope, id)
        self.profile = profile
        self.nodes = nodes
        self.pools = pools

    def _render(self) -> list[RenderedObject]:
        profile = self.profile
        data = {
            "description": profile.description,
            "gpu-resource": profile.gpu_resource or "",
            "node-labels": json.dumps(profile.node_labels, sort_keys=True),
            "node-taints": json.dumps([str(taint) for taint in profile.taints]),
            "nodes": json.dumps({node.name: node.gpus for node in self.nodes}, sort_keys=True),
            "profile": profile.name,
            "runtime-class-name": profile.runtime_class_name or "",
            "vendor": str(profile.vendor),
            "workload-env": json.dumps(profile.env, sort_keys=True),
        }
        if self.pools:
            data["node-pools"] = json.dumps(self.pools, sort_keys=True)
        manifest = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"{profile.name}-gpu-config", "namespace": self.component.namespace},
            "data": data,
        }
        return [RenderedObject(manifest, self.path)]


class _LabellerRbac(Resource):
    """ServiceAccount, ClusterRole (get and patch on the profile's nodes only) and its binding."""

    def __init__(self, scope: Component, id: str, *, name: str, nodes: list[Node]) -> None:
        super().__init__(scope, id)
        self.name = name
        self.nodes = nodes

    def _render(self) -> list[RenderedObject]:
        namespace = self.component.namespace
        account = {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": self.name, "namespace": namespace},
            "automountServiceAccountToken": False,
        }
        role = {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": self.name},
            "rules": [
                {
                    "apiGroups": [""],
                    "resources": ["nodes"],
                    "resourceNames": sorted(node.name for node in self.nodes),
                    "verbs": ["get", "patch"],
                }
            ],
        }
        binding = {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": self.name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": self.name},
            "subjects": [{"kind": "ServiceAccount", "name": self.name, "namespace": namespace}],
        }
        return [
            RenderedObject(account, f"{self.path}/ServiceAccount"),
            RenderedObject(role, f"{self.path}/ClusterRole"),
            RenderedObject(binding, f"{self.path}/ClusterRoleBinding"),
        ]


class _NodeLabeller(CpuJob):
    """A CPU Job whose init containers run one idempotent kubectl command each."""

    def __init__(self, scope: Component, id: str, *, nodes: list[Node], service_account: str) -> None:
        super().__init__(
            scope,
            id,
            image=scope.cluster.kubernetes.kubectl_image,
            command=["kubectl", "version", "--client"],
            service_account_name=service_account,
            api_access=True,
            cpu="50m",
            cpu_limit="200m",
            memory="64Mi",
            memory_limit="128Mi",
            run_policy=RunPolicy.EVERY_SYNC,
            ttl_seconds_after_finished=3600,
        )
        self.nodes = nodes

    def _commands(self) -> list[list[str]]:
        commands: list[list[str]] = []
        for node in self.nodes:
            commands.extend(command for command in (label_command(node), taint_command(node)) if command is not None)
        return commands

    def _pod_spec(self) -> dict[str, Any]:
        spec = super()._pod_spec()
        main = spec["containers"][0]
        spec["initContainers"] = [
            {
                "name": f"step-{index}",
                "image": main["image"],
                "imagePullPolicy": main["imagePullPolicy"],
                "command": ["kubectl", *command],
                "resources": main["resources"],
                "securityContext": container_security(None),
                "volumeMounts": main["volumeMounts"],
            }
            for index, command in enumerate(self._commands(), start=1)
        ]
        return spec


class _NodeFeatureRule(Resource):
    """An NFD ``NodeFeatureRule``: the profile's managed labels and taints on every node with its PCI device."""

    def __init__(self, scope: Component, id: str, *, profile: NodeProfile) -> None:
        super().__init__(scope, id)
        self.profile = profile

    def _render(self) -> list[RenderedObject]:
        profile = self.profile
        assert profile.pci is not None  # chosen only for profiles with a PCI identity
        rule: dict[str, Any] = {"name": f"{profile.name} GPU node", "matchFeatures": [profile.pci.to_feature_matcher()]}
        if profile.managed_labels:
            rule["labels"] = dict(profile.managed_labels)
        if profile.taints:
            rule["taints"] = [taint.to_dict() for taint in profile.taints]
        manifest = {
            "apiVersion": NFD_API_VERSION,
            "kind": "NodeFeatureRule",
            "metadata": {"name": self.id},
            "spec": {"rules": [rule]},
        }
        return [RenderedObject(manifest, self.path)]


class NodeConfiguration:
    """Declares a profile's node-configuration component in ``cluster`` (done by :meth:`GitOpsApp.adopt`)."""

    def __init__(self, cluster: Cluster, profile: NodeProfile) -> None:
        nodes = cluster.nodes_of(profile)
        pools = {pool.name: pool.max_nodes for pool in cluster.pools if pool.profile == profile}
        name = node_component_name(profile)
        self.component = Component(cluster, name)
        self.config = _ProfileConfigMap(self.component, "config", profile=profile, nodes=nodes, pools=pools)
        self.labeller: _NodeLabeller | None = None
        """The labelling Job of the profile's declared nodes; None with NFD rules, or only pools (born labelled)."""
        if cluster.props.node_labelling is NodeLabelling.NFD and profile.pci is not None:
            _NodeFeatureRule(self.component, f"{profile.name}-gpu-node", profile=profile)
        elif nodes:  # RBAC on no node names would grant every node
            rbac = _LabellerRbac(self.component, "labeller-rbac", name=f"{profile.name}-node-labeller", nodes=nodes)
            self.labeller = _NodeLabeller(
                self.component, f"{profile.name}-node-labeller", nodes=nodes, service_account=rbac.name
            )
            self.labeller.add_dependency(rbac)
