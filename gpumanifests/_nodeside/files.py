"""Node-side files of a cluster: what puts the model's labels and taints on real nodes, and checks them.

Argo CD can converge workloads, but a node's labels and taints are set where the node is made.
:func:`node_side_files` writes, under ``node-setup/`` of the cluster directory (which no Argo CD
Application syncs), four artifacts generated from the cluster model only:

- ``setup-nodes.sh``: labels and taints every node with its profile's, idempotently (the seed's
  node setup script, for clusters whose nodes already exist);
- ``verify.sh``: the seed's verification commands as a script that exits non-zero on failure;
- ``kind-config.json``: a kind cluster with the same topology, labels and taints (JSON, which kind
  reads like YAML, so that every ``*.yaml`` under ``gitops/`` is a Kubernetes or Argo CD object);
- ``kind.tf.json``: the same kind cluster for Terraform's ``tehcyx/kind`` provider;
- ``README.md``: how to use them, and what each kind node stands for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gpumanifests._nodeside.kind import kind_config_json, kind_nodes, kind_notes, kind_terraform_json
from gpumanifests._nodeside.scripts import setup_script, verify_script
from gpumanifests._output.layout import NODE_SETUP_DIR, generated_notice

if TYPE_CHECKING:
    from gpumanifests._constructs.cluster import Cluster

__all__ = ["node_setup_readme", "node_side_files"]


def node_side_files(cluster: Cluster) -> dict[str, bytes]:
    """The node-side files of ``cluster``, by path relative to the cluster directory."""
    return {
        f"{NODE_SETUP_DIR}/setup-nodes.sh": setup_script(cluster).encode(),
        f"{NODE_SETUP_DIR}/verify.sh": verify_script(cluster).encode(),
        f"{NODE_SETUP_DIR}/kind-config.json": kind_config_json(cluster).encode(),
        f"{NODE_SETUP_DIR}/kind.tf.json": kind_terraform_json(cluster).encode(),
        f"{NODE_SETUP_DIR}/README.md": node_setup_readme(cluster).encode(),
    }


def node_setup_readme(cluster: Cluster) -> str:
    """``README.md`` of ``node-setup/``: the commands, and what each kind node stands for."""
    notes = "\n".join(f"- {line}" for line in kind_notes(cluster, kind_nodes(cluster)))
    return (
        f"# Node setup of cluster {cluster.name}\n\n"
        f"{generated_notice(cluster.source)} No Argo CD Application syncs this directory.\n\n"
        "```bash\n"
        "kind create cluster --config node-setup/kind-config.json   # or: terraform apply (kind.tf.json)\n"
        "bash node-setup/setup-nodes.sh                             # existing nodes: labels and taints, idempotent\n"
        "bash node-setup/verify.sh                                  # labels, taints, pod placement, log lines\n"
        "```\n\n"
        f"{notes}\n"
    )
