"""GPU training in the cloud: batch work behind a Kueue queue, one multi-node training run.

A member of the GPU fleet. Every Job is queued: Kueue admits it when the queue's quota (the
sum of the A100 nodes' GPUs, derived from the nodes) has room, and the plan shows the verdict.
"""

from __future__ import annotations

from _fleet import gpu_fleet

import gpumanifests as gm

A100 = gm.NodeProfile.nvidia_cuda(name="a100", product="NVIDIA-A100-SXM4-80GB", runtime_class_name="nvidia")
CPU = gm.NodeProfile.cpu_only()
PYTORCH = "nvcr.io/nvidia/pytorch:24.10-py3"
HIGH = gm.WorkloadPriority(name="research-high", value=1000)


def build(app: gm.GitOpsApp) -> None:
    """Declare the gpu-training cluster."""
    cluster = gm.Cluster(
        app,
        "gpu-training",
        nodes=[
            gm.Node(name="train-cpu-1", profile=CPU, cpu="8", memory="32Gi"),
            gm.Node(name="train-a100-1", profile=A100, gpus=8, cpu="96", memory="1Ti"),
            gm.Node(name="train-a100-2", profile=A100, gpus=8, cpu="96", memory="1Ti"),
        ],
        fleet=gpu_fleet(app),
        server="https://gpu-training.k8s.example.com:6443",
    )
    batch = gm.ClusterQueue(gm.Component(cluster, "gpu-queues", namespace="kueue-system"), "gpu-batch")
    training = gm.Component(cluster, "training", namespace="training")
    gm.DistributedGpuJob(
        training,
        "llm-pretrain",
        profile=A100,
        workers=2,
        gpus=8,
        cpu="64",
        cpu_limit="64",
        memory="512Gi",
        memory_limit="512Gi",
        shared_memory="64Gi",
        image=PYTORCH,
        command=["torchrun", "--nnodes=2", "--nproc-per-node=8", "/workspace/pretrain.py"],
    ).enqueue(batch, priority=HIGH)
    gm.GpuJob(
        training,
        "finetune-eval",
        profile=A100,
        gpus=4,
        cpu="16",
        cpu_limit="16",
        memory="128Gi",
        memory_limit="128Gi",
        shared_memory="16Gi",
        image=PYTORCH,
        command=["python", "/workspace/evaluate.py"],
    ).enqueue(batch)
