"""The seed's workloads, defined once for any GPU profile.

Both cluster apps import these definitions: the local Metal cluster and its NVIDIA cloud
twin declare the same workloads and differ only in the profile they pass.
"""

from __future__ import annotations

import gpumanifests as gm

TEST_IMAGE = "busybox:1.36.1"
API_IMAGE = "registry.k8s.io/e2e-test-images/agnhost:2.52"

_GREETING = {gm.Vendor.APPLE: "🍎 Running on Metal GPU node!"}


def gpu_greeting(profile: gm.NodeProfile) -> str:
    """The line the GPU test pod logs (the seed's Metal line on Apple nodes)."""
    return _GREETING.get(profile.vendor, f"Running on {profile.vendor.value.upper()} GPU node!")


def declare_gpu_workloads(cluster: gm.Cluster, profile: gm.NodeProfile) -> gm.Component:
    """ML training (the seed's usage example) and a model server on ``profile``."""
    workloads = gm.Component(cluster, f"{profile.name}-gpu-workloads", namespace="ml-workloads")
    gm.GpuJob(
        workloads,
        f"{profile.name}-ml-training",
        profile=profile,
        command=[
            "python",
            "-c",
            "import tensorflow as tf; print('GPUs:', tf.config.list_physical_devices('GPU'))",
        ],
    )
    gm.GpuDeployment(
        workloads,
        f"{profile.name}-model-server",
        profile=profile,
        framework=gm.Framework.PYTORCH,
        command=["python", "-m", "http.server", "8080", "--directory", "/tmp"],
        port=8080,
    )
    return workloads


def declare_cpu_workloads(cluster: gm.Cluster) -> gm.Component:
    """A CPU service (an HTTP API) that must stay off the GPU nodes."""
    services = gm.Component(cluster, "cpu-workloads", namespace="platform")
    gm.CpuDeployment(
        services,
        "platform-api",
        image=API_IMAGE,
        args=["netexec", "--http-port=8080"],
        port=8080,
        replicas=1,
    )
    return services


def declare_test_workloads(cluster: gm.Cluster, profile: gm.NodeProfile) -> gm.Component:
    """The seed's test workloads: a GPU test pod that logs its line, and a CPU test pod."""
    tests = gm.Component(cluster, "test-workloads", namespace="gpu-tests")
    gm.GpuJob(
        tests,
        f"{profile.name}-gpu-test",
        profile=profile,
        image=TEST_IMAGE,
        command=["sh", "-c", f"echo '{gpu_greeting(profile)}' && sleep 30"],
        labels={"app": f"{profile.name}-gpu-test"},
        verify_log=gpu_greeting(profile),
        cpu="100m",
        cpu_limit="500m",
        memory="64Mi",
        memory_limit="256Mi",
        shared_memory=None,
    )
    gm.CpuJob(
        tests,
        "cpu-test",
        image=TEST_IMAGE,
        command=["sh", "-c", "echo 'Running on a CPU node' && sleep 30"],
        labels={"app": "cpu-test"},
        verify_log="Running on a CPU node",
    )
    return tests


def declare_seed_workloads(cluster: gm.Cluster, profile: gm.NodeProfile) -> None:
    """Every workload of the seed, on ``profile``."""
    declare_gpu_workloads(cluster, profile)
    declare_cpu_workloads(cluster)
    declare_test_workloads(cluster, profile)
