"""Node-side files of a cluster: what puts the model's labels and taints on real nodes, and checks them.

Argo CD can converge workloads, but a node's labels and taints are set where the node is made.
:func:`node_side_files` writes, under ``node-setup/`` of the cluster directory (which no Argo CD
Application syncs), five files generated from the cluster model only:

- ``setup-nodes.sh``: labels and taints every node with its profile's, idempotently (the seed's
  node setup script, for clusters whose nodes already exist);
- ``verify.sh``: the seed's verification commands as a script that exits non-zero on failure;
- ``kind-config.json``: a kind cluster with the same topology, labels and taints (JSON, which kind
  reads like YAML, so that every ``*.yaml`` under ``gitops/`` is a Kubernetes or Argo CD object);
- ``kind.tf.json``: the same kind cluster for Terraform's ``tehcyx/kind`` provider;
- ``README.md``: how to use them, and what each kind node stands for.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from gpumanifests._nodeside.kind_cluster import kind_config_json, kind_nodes, kind_notes, kind_terraform_json
from gpumanifests._nodeside.scripts import setup_script, verify_script
from gpumanifests._output.layout import (
    KIND_CONFIG,
    KIND_TERRAFORM,
    NODE_SETUP_README,
    SETUP_SCRIPT,
    VERIFY_SCRIPT,
    generated_notice,
)

if TYPE_CHECKING:
    from gpumanifests._constructs.cluster import Cluster

__all__ = ["node_setup_readme", "node_side_files"]


def node_side_files(cluster: Cluster) -> dict[str, bytes]:
    """The node-side files of ``cluster``, by path relative to the cluster directory."""
    return {
        SETUP_SCRIPT: setup_script(cluster).encode(),
        VERIFY_SCRIPT: verify_script(cluster).encode(),
        KIND_CONFIG: kind_config_json(cluster).encode(),
        KIND_TERRAFORM: kind_terraform_json(cluster).encode(),
        NODE_SETUP_README: node_setup_readme(cluster).encode(),
    }


def node_setup_readme(cluster: Cluster) -> str:
    """``README.md`` of ``node-setup/``: the commands, and what each kind node stands for."""
    notes = "\n".join(f"- {line}" for line in kind_notes(cluster, kind_nodes(cluster)))
    commands = [
        (f"kind create cluster --config {KIND_CONFIG}", f"or: terraform apply ({PurePosixPath(KIND_TERRAFORM).name})"),
        (f"bash {SETUP_SCRIPT}", "existing nodes: labels and taints, idempotent"),
        (f"bash {VERIFY_SCRIPT}", "labels, taints, pod placement, log lines"),
    ]
    width = max(len(command) for command, _ in commands) + 3
    block = "".join(f"{command.ljust(width)}# {comment}\n" for command, comment in commands)
    return (
        f"# Node setup of cluster {cluster.name}\n\n"
        f"{generated_notice(cluster.source)} No Argo CD Application syncs this directory.\n\n"
        f"```bash\n{block}```\n\n"
        f"{notes}\n"
    )
