"""How large a Kubernetes cluster gets: the thresholds Kubernetes is tested and supported up to.

From "Considerations for large clusters" (kubernetes.io/docs/setup/best-practices/cluster-large/):
a cluster is designed for at most 5,000 nodes and 150,000 pods in total. The placement proof
models every node and every pod, so these bound what a synth may be asked to prove. And how large
an API integer gets: the range of each OpenAPI integer format, the Go type of the field, and of
a port number.
"""

from __future__ import annotations

__all__ = ["CLUSTER_NODES_MAX", "CLUSTER_PODS_MAX", "INT_RANGES", "LARGE_CLUSTERS", "PORT_MAX"]

CLUSTER_NODES_MAX = 5000
CLUSTER_PODS_MAX = 150_000
LARGE_CLUSTERS = "kubernetes.io/docs/setup/best-practices/cluster-large/"
INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
"""The range of each integer format: the Go field's type (``replicas`` is an int32)."""
PORT_MAX = 65535
"""The largest port number (``IsValidPortNum`` takes 1 to 65535)."""
