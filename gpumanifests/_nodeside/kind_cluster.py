"""A kind cluster with the model's topology, labels and taints, as a kind config and a Terraform file.

kind nodes are Linux containers without accelerators: each GPU node is a scheduling stand-in
with its profile's labels and taints. One list of kind nodes feeds both renderings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gpumanifests._constructs.cluster import NodeRole
from gpumanifests._constructs.profiles import Vendor
from gpumanifests._kube.yaml import dump_yaml
from gpumanifests._output.layout import SETUP_SCRIPT, VERIFY_SCRIPT, generated_notice

if TYPE_CHECKING:
    from gpumanifests._constructs.cluster import Cluster, Node

__all__ = [
    "KIND_PROVIDER_VERSION",
    "kind_config_json",
    "kind_nodes",
    "kind_notes",
    "kind_terraform_json",
]

KIND_API_VERSION = "kind.x-k8s.io/v1alpha4"

# registry.terraform.io/providers/tehcyx/kind: resource kind_cluster (name, node_image,
# wait_for_ready, kind_config{kind, api_version, node{role, labels, kubeadm_config_patches}}),
# per kind/resource_cluster.go and kind/schema_kind_config.go of tehcyx/terraform-provider-kind.
KIND_PROVIDER_SOURCE = "tehcyx/kind"
KIND_PROVIDER_VERSION = "~> 0.9"

# -- kind: one topology, two renderings ------------------------------------------------------


@dataclass(frozen=True)
class _KindNode:
    """One kind node: its role, labels, kubeadm patches, and what it stands for."""

    role: str
    labels: dict[str, str]
    patches: list[str]
    note: str
    model_name: str | None = None

    def entry(self, *, patches_key: str) -> dict[str, Any]:
        """The node as a kind config lists it; ``patches_key`` is how the format spells the patches."""
        entry: dict[str, Any] = {"role": self.role}
        if self.labels:
            entry["labels"] = self.labels
        if self.patches:
            entry[patches_key] = self.patches
        return entry


def _kubeadm_patch(kind: str, registration: dict[str, Any]) -> str:
    """A kind ``kubeadmConfigPatches`` entry: a merge patch of one kubeadm config document.

    No ``apiVersion``: kind then matches the patch by ``kind`` alone (kind
    pkg/internal/patch/kubeyaml.go) and, when it generates kubeadm v1beta4, converts the v1beta3
    map form of ``kubeletExtraArgs`` used here into v1beta4's name/value list
    (pkg/internal/patch/kubeadm_merge.go). Fields: kubeadm InitConfiguration/JoinConfiguration
    ``nodeRegistration.kubeletExtraArgs`` and ``nodeRegistration.taints``
    (https://kubernetes.io/docs/reference/config-api/kubeadm-config.v1beta3/; ``taints: []``
    registers a control plane without kubeadm's control-plane taint).
    """
    return dump_yaml({"kind": kind, "nodeRegistration": registration})


def _kind_patches(node: Node, *, initializes: bool) -> list[str]:
    """The kubeadm patches that register ``node`` with exactly its profile's taints.

    ``initializes`` is true for the first control plane, which ``kubeadm init`` creates; every
    other node (further control planes included) joins, so its patch is a JoinConfiguration.
    """
    taints = [str(taint) for taint in node.profile.taints]
    registration: dict[str, Any] = {}
    if taints:
        registration["kubeletExtraArgs"] = {"register-with-taints": ",".join(taints)}
    if node.role is NodeRole.CONTROL_PLANE:
        # kubeadm taints a control plane unless nodeRegistration.taints is set; set it to
        # exactly the profile's taints ([] for the seed's untainted control plane).
        registration["taints"] = [taint.to_dict() for taint in node.profile.taints]
    if not registration:
        return []
    return [_kubeadm_patch("InitConfiguration" if initializes else "JoinConfiguration", registration)]


def _kind_node_names(cluster: Cluster, roles: list[str]) -> list[str]:
    """The names kind gives its nodes: ``<cluster>-<role>``, then ``<cluster>-<role>2``, ..."""
    counts: dict[str, int] = {}
    names = []
    for role in roles:
        counts[role] = counts.get(role, 0) + 1
        suffix = "" if counts[role] == 1 else str(counts[role])
        names.append(f"{cluster.name}-{role}{suffix}")
    return names


def kind_nodes(cluster: Cluster) -> list[_KindNode]:
    """The kind nodes reproducing ``cluster``: one per model node, plus a control plane if it has none."""
    first_control_plane = next((node for node in cluster.nodes if node.role is NodeRole.CONTROL_PLANE), None)
    nodes = [
        _KindNode(
            role=str(node.role),
            labels=dict(node.labels),
            patches=_kind_patches(node, initializes=node is first_control_plane),
            note=f"model node {node.name}, profile {node.profile.name}",
            model_name=node.name,
        )
        for node in cluster.nodes
    ]
    if not any(node.role is NodeRole.CONTROL_PLANE for node in cluster.nodes):
        control_plane = _KindNode(
            role=str(NodeRole.CONTROL_PLANE),
            labels={},
            patches=[],
            note="not in the model (its control plane is managed); keeps kubeadm's control-plane taint",
        )
        nodes.insert(0, control_plane)
    return nodes


def kind_notes(cluster: Cluster, nodes: list[_KindNode]) -> list[str]:
    """Comment lines: what each kind node stands for, and that GPU nodes are stand-ins."""
    names = _kind_node_names(cluster, [node.role for node in nodes])
    lines = [f"kind node {name} ({node.role}): {node.note}" for name, node in zip(names, nodes, strict=True)]
    lines.append(
        "kind nodes are Linux containers without accelerators: each GPU node here is a scheduling stand-in "
        "with its profile's labels and taints, no GPU resource, no device plugin."
    )
    if any(node.profile.vendor is Vendor.APPLE for node in cluster.nodes):
        lines.append('The "Metal" worker is a scheduling stand-in only: Linux containers cannot reach Metal.')
    if any(node.model_name not in {None, name} for name, node in zip(names, nodes, strict=True)):
        scripts = " and ".join(path.rpartition("/")[2] for path in (SETUP_SCRIPT, VERIFY_SCRIPT))
        lines.append(f"kind names nodes itself: {scripts} use the model's node names.")
    return lines


def _json(document: Any) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def kind_config_json(cluster: Cluster) -> str:
    """``kind-config.json``: a kind cluster with the model's nodes, roles, labels and taints.

    kind v1alpha4 ``Cluster`` (https://kind.sigs.k8s.io/docs/user/configuration/): per node
    ``role``, ``image``, ``labels`` and ``kubeadmConfigPatches``. Create it with
    ``kind create cluster --config node-setup/kind-config.json``.
    """
    entries = [
        {**node.entry(patches_key="kubeadmConfigPatches"), "image": cluster.kubernetes.kind_node_image}
        for node in kind_nodes(cluster)
    ]
    return _json({"kind": "Cluster", "apiVersion": KIND_API_VERSION, "name": cluster.name, "nodes": entries})


def _terraform_name(name: str) -> str:
    """A Terraform resource name for a DNS label: underscores for dashes, never a leading digit."""
    identifier = name.replace("-", "_")
    return identifier if identifier[0].isalpha() else f"cluster_{identifier}"


def kind_terraform_json(cluster: Cluster) -> str:
    """``kind.tf.json``: the kind cluster of :func:`kind_config_json` as a ``tehcyx/kind`` ``kind_cluster``."""
    nodes = kind_nodes(cluster)
    tf_nodes = [node.entry(patches_key="kubeadm_config_patches") for node in nodes]
    resource = {
        "name": cluster.name,
        "node_image": cluster.kubernetes.kind_node_image,
        "wait_for_ready": True,
        "kind_config": {"kind": "Cluster", "api_version": KIND_API_VERSION, "node": tf_nodes},
    }
    document = {
        "//": "\n".join(
            [
                generated_notice(cluster.source),
                *kind_notes(cluster, nodes),
            ]
        ),
        "terraform": {
            "required_providers": {"kind": {"source": KIND_PROVIDER_SOURCE, "version": KIND_PROVIDER_VERSION}}
        },
        "resource": {"kind_cluster": {_terraform_name(cluster.name): resource}},
    }
    return _json(document)
