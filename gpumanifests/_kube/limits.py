"""How large a Kubernetes cluster gets: the thresholds Kubernetes is tested and supported up to.

From "Considerations for large clusters" (kubernetes.io/docs/setup/best-practices/cluster-large/):
a cluster is designed for at most 5,000 nodes and 150,000 pods in total. The placement proof
models every node and every pod, so these bound what a synth may be asked to prove.
"""

from __future__ import annotations

__all__ = ["CLUSTER_NODES_MAX", "CLUSTER_PODS_MAX", "LARGE_CLUSTERS"]

CLUSTER_NODES_MAX = 5000
CLUSTER_PODS_MAX = 150_000
LARGE_CLUSTERS = "kubernetes.io/docs/setup/best-practices/cluster-large/"
