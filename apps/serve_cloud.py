"""GPU inference in the cloud: model servers on NVIDIA GPU nodes, an API in front on CPU nodes.

A member of the GPU fleet, registered in the management Argo CD as ``gpu-inference``. The vLLM
server loads its weights from a shared model cache (a ReadWriteMany claim in the tree) with a
Hugging Face token from a Secret the platform's External Secrets creates; its startup probe
allows 30 minutes for the load. A sharded 32B model runs as a StatefulSet, each replica on two
GPUs with its own cache claim; a metrics exporter runs on every L4 node; a nightly evaluation
takes one GPU. The T4 node's GPU is time-sliced four ways for small embedding models (the device
plugin's configuration and the node's config label come with the profile); the H100 node's GPUs
are handed out through Dynamic Resource Allocation, four per replica on one PCIe root.
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
        product_name="NVIDIA H100 80GB HBM3", architecture="Hopper", compute_capability="9.0.0", memory="81559Mi"
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
EXPORTER = "nvcr.io/nvidia/k8s/dcgm-exporter:3.3.9-3.6.1-ubuntu22.04"
EVALS = "registry.example.com/ml/evals:2.4.0"
HF_TOKEN = {"HF_TOKEN": gm.KeyRef.secret("hf-token", "token")}


def build(app: gm.GitOpsApp) -> None:
    """Declare the gpu-inference cluster."""
    cluster = gm.Cluster(
        app,
        "gpu-inference",
        nodes=[
            gm.Node(name="serve-cpu-1", profile=CPU, cpu="8", memory="32Gi"),
            gm.Node(name="serve-cpu-2", profile=CPU, cpu="8", memory="32Gi"),
            gm.Node(name="serve-l4-1", profile=L4, gpus=4, cpu="48", memory="192Gi", ephemeral_storage="400Gi"),
            gm.Node(name="serve-l4-2", profile=L4, gpus=4, cpu="48", memory="192Gi", ephemeral_storage="400Gi"),
            gm.Node(name="serve-t4-1", profile=T4_SHARED, gpus=1, cpu="16", memory="64Gi"),  # 4 shares of 1 GPU
            gm.Node(name="serve-h100-1", profile=H100_DRA, gpus=8, cpu="192", memory="2Ti"),  # GPUs through DRA
        ],
        fleet=gpu_fleet(app),
        argocd_cluster="gpu-inference",
        node_labelling=gm.NodeLabelling.NFD,  # NFD taints every NVIDIA node, ones added later included
    )
    declare_model_servers(cluster)
    declare_gpu_monitoring(cluster)
    gateway = gm.Component(cluster, "gateway", namespace="gateway")
    gm.CpuDeployment(gateway, "inference-gateway", image=GATEWAY, args=["netexec", "--http-port=8080"], port=8080)


def declare_model_servers(cluster: gm.Cluster) -> gm.Component:
    """The vLLM servers, their cache, their priority class and the nightly evaluation."""
    models = gm.Component(cluster, "model-serving", namespace="inference")
    models.declare_external(
        gm.ReferenceKind.SECRET, "hf-token", reason="synced from the platform vault by External Secrets"
    )
    gm.PriorityClass(models, "inference-critical", value=100000, description="online model servers: placed first")
    gm.k8s.KubePersistentVolumeClaim(
        models,
        "model-cache",
        metadata={"name": "llama-model-cache"},
        spec=gm.k8s.PersistentVolumeClaimSpec(
            access_modes=["ReadWriteMany"],
            storage_class_name="filestore-rwx",
            resources=gm.k8s.VolumeResourceRequirements(requests={"storage": gm.k8s.Quantity.from_string("500Gi")}),
        ),
    )
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
        readiness_probe=gm.Probe.http("/health"),
        model_cache=gm.Volume.claim("model-cache", "/cache", claim_name="llama-model-cache"),
        home_size="1Gi",
        env_refs=HF_TOKEN,
        priority_class_name="inference-critical",
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
        volumes=[gm.Volume.empty_dir("data", "/data", size="2Gi")],  # the image's HUGGINGFACE_HUB_CACHE
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
        device_selectors=[gm.DeviceSelector.min_memory("80G")],  # an "80GB" H100 reports 81559Mi
        cpu="32",
        cpu_limit="32",
        memory="256Gi",
        memory_limit="256Gi",
        shared_memory="32Gi",
        readiness_probe=gm.Probe.http("/health"),
        model_cache=gm.Volume.claim("model-cache", "/cache", claim_name="llama-model-cache"),
        home_size="1Gi",
        env_refs=HF_TOKEN,  # a gated model
        priority_class_name="inference-critical",
    )
    gm.GpuStatefulSet(
        models,
        "qwen-32b-shards",
        profile=L4,
        image=VLLM,
        args=["--model", "Qwen/Qwen2.5-32B-Instruct-AWQ", "--tensor-parallel-size", "2", "--port", "8000"],
        port=8000,
        replicas=2,
        gpus=2,
        cpu="16",
        cpu_limit="16",
        memory="64Gi",
        memory_limit="64Gi",
        shared_memory="16Gi",
        readiness_probe=gm.Probe.http("/health"),
        model_cache=gm.Volume.claim_template("model-cache", "/cache", size="100Gi", storage_class="premium-rwo"),
        home_size="1Gi",
        env_refs=HF_TOKEN,
        priority_class_name="inference-critical",
    )
    gm.GpuCronJob(
        models,
        "nightly-eval",
        profile=L4,
        schedule="0 2 * * *",
        time_zone="Etc/UTC",
        image=EVALS,
        command=["python", "-m", "evals.run", "--suite", "nightly", "--model", "meta-llama/Llama-3.1-8B-Instruct"],
        gpus=1,
        cpu="4",
        cpu_limit="4",
        memory="24Gi",
        memory_limit="24Gi",
        active_deadline_seconds=4 * 3600,
        volumes=[gm.Volume.empty_dir("results", "/results", size="20Gi")],
        model_cache=gm.Volume.claim("model-cache", "/cache", claim_name="llama-model-cache"),
        ephemeral_storage="25Gi",
        env_refs=HF_TOKEN,
    )
    return models


def declare_gpu_monitoring(cluster: gm.Cluster) -> gm.Component:
    """A DCGM-exporter-like metrics agent on every L4 node, pulling from NGC with the platform's secret."""
    monitoring = gm.Component(cluster, "gpu-monitoring", namespace="gpu-monitoring")
    monitoring.declare_external(
        gm.ReferenceKind.SECRET, "ngc-registry", reason="the NGC pull secret, created by the registry credential sync"
    )
    gm.GpuDaemonSet(
        monitoring,
        "gpu-metrics-exporter",
        profile=L4,
        image=EXPORTER,
        port=9400,
        env={"NVIDIA_VISIBLE_DEVICES": "all"},
        cpu="100m",
        cpu_limit="500m",
        memory="128Mi",
        memory_limit="512Mi",
        readiness_probe=gm.Probe.http("/health"),
        image_pull_secrets=["ngc-registry"],
    )
    return monitoring
