"""GPU inference in the cloud: model servers on NVIDIA GPU nodes, an API in front on CPU nodes.

A member of the GPU fleet, registered in the management Argo CD as ``gpu-inference``. The L4
nodes serve whole GPUs; the T4 node's GPU is time-sliced four ways for small embedding models
(the device plugin's configuration and the node's config label come with the profile); the
H100 node's GPUs are handed out through Dynamic Resource Allocation, four per replica on one
PCIe root.
"""

from __future__ import annotations

from _fleet import gpu_fleet

import gpumanifests as gm

L4 = gm.NodeProfile.nvidia_cuda(name="l4", product="NVIDIA-L4", pci_devices=["27b8"], runtime_class_name="nvidia")
H100_DRA = gm.NodeProfile.nvidia_dra(
    name="h100",
    product="NVIDIA-H100-80GB-HBM3",
    pci_devices=["2330"],
    gpu=gm.DraDevice.nvidia_gpu(
        product_name="NVIDIA H100 80GB HBM3", architecture="Hopper", compute_capability="9.0.0", memory="80Gi"
    ),
    gpus_per_pcie_root=4,
    runtime_class_name="nvidia",
)
T4_SHARED = gm.NodeProfile.nvidia_cuda(
    name="t4-shared", product="Tesla-T4", pci_devices=["1eb8"], shared="time-slicing", replicas=4
)
CPU = gm.NodeProfile.cpu_only()
VLLM = "vllm/vllm-openai:v0.6.4"
GATEWAY = "registry.k8s.io/e2e-test-images/agnhost:2.52"


def build(app: gm.GitOpsApp) -> None:
    """Declare the gpu-inference cluster."""
    cluster = gm.Cluster(
        app,
        "gpu-inference",
        nodes=[
            gm.Node(name="serve-cpu-1", profile=CPU, cpu="8", memory="32Gi"),
            gm.Node(name="serve-cpu-2", profile=CPU, cpu="8", memory="32Gi"),
            gm.Node(name="serve-l4-1", profile=L4, gpus=4, cpu="48", memory="192Gi"),
            gm.Node(name="serve-l4-2", profile=L4, gpus=4, cpu="48", memory="192Gi"),
            gm.Node(name="serve-t4-1", profile=T4_SHARED, gpus=1, cpu="16", memory="64Gi"),  # 4 shares of 1 GPU
            gm.Node(name="serve-h100-1", profile=H100_DRA, gpus=8, cpu="192", memory="2Ti"),  # GPUs through DRA
        ],
        fleet=gpu_fleet(app),
        argocd_cluster="gpu-inference",
        node_labelling=gm.NodeLabelling.NFD,  # NFD taints every NVIDIA node, ones added later included
    )
    models = gm.Component(cluster, "model-serving", namespace="inference")
    gm.GpuDeployment(
        models,
        "llama-server",
        profile=L4,
        image=VLLM,
        args=["--model", "meta-llama/Llama-3.1-8B-Instruct", "--port", "8000"],
        port=8000,
        replicas=2,
        gpus=1,
        cpu="8",
        cpu_limit="8",
        memory="32Gi",
        memory_limit="32Gi",
        shared_memory="8Gi",
    )
    gm.GpuDeployment(
        models,
        "embeddings",
        profile=T4_SHARED,
        image="ghcr.io/huggingface/text-embeddings-inference:turing-1.5",
        args=["--model-id", "BAAI/bge-small-en-v1.5", "--port", "8080"],
        port=8080,
        replicas=3,
        gpus=1,  # one share of the T4
    )
    gm.GpuDeployment(
        models,
        "llama-70b",
        profile=H100_DRA,
        image=VLLM,
        args=["--model", "meta-llama/Llama-3.1-70B-Instruct", "--tensor-parallel-size", "4", "--port", "8000"],
        port=8000,
        replicas=2,
        gpus=4,
        same_pcie_root=True,  # tensor parallelism over one PCIe root
        device_selectors=[gm.DeviceSelector.min_memory("80Gi")],
        cpu="32",
        cpu_limit="32",
        memory="256Gi",
        memory_limit="256Gi",
        shared_memory="32Gi",
    )
    gateway = gm.Component(cluster, "gateway", namespace="gateway")
    gm.CpuDeployment(gateway, "inference-gateway", image=GATEWAY, args=["netexec", "--http-port=8080"], port=8080)
