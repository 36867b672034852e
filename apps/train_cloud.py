"""GPU training in the cloud: batch work behind a Kueue queue on an autoscaled A100 pool.

A member of the GPU fleet. The A100 nodes come from a Karpenter NodePool (up to four 8-GPU
machines, none running while idle); every GPU Job is queued, and Kueue admits it when the queue's
quota (the pool's GPUs at its maximum size, derived from the pool) has room; the plan shows the
verdict and how many of the pool's nodes the admitted work needs. A hyperparameter sweep runs 16
trials, 4 at a time; a nightly CPU CronJob refreshes the datasets.
"""

from __future__ import annotations

from _fleet import gpu_fleet

import gpumanifests as gm

A100 = gm.NodeProfile.nvidia_cuda(name="a100", product="NVIDIA-A100-SXM4-80GB", runtime_class_name="nvidia")
CPU = gm.NodeProfile.cpu_only()
PYTORCH = "nvcr.io/nvidia/pytorch:24.10-py3"
REFRESH = "registry.example.com/data/dataset-refresh:1.8.0"
HIGH = gm.WorkloadPriority(name="research-high", value=1000)
A100_POOL = gm.NodePool(
    name="a100",
    profile=A100,
    max_nodes=4,
    gpus=8,
    cpu="95",
    memory="1100Gi",
    node_class=gm.NodeClassRef(group="karpenter.k8s.aws", kind="EC2NodeClass", name="gpu"),
    requirements=(
        gm.NodeRequirement(key="karpenter.k8s.aws/instance-family", operator=gm.NodeOperator.IN, values=("p4de",)),
        gm.NodeRequirement(key="karpenter.sh/capacity-type", operator=gm.NodeOperator.IN, values=("on-demand",)),
    ),
)


def build(app: gm.GitOpsApp) -> None:
    """Declare the gpu-training cluster."""
    cluster = gm.Cluster(
        app,
        "gpu-training",
        nodes=[gm.Node(name="train-cpu-1", profile=CPU, cpu="8", memory="32Gi")],
        pools=[A100_POOL],
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
        command=["torchrun", "--nproc-per-node=8", "/workspace/pretrain.py"],
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
    gm.GpuJob(
        training,
        "hparam-sweep",
        profile=A100,
        gpus=1,
        parallelism=4,
        completions=16,
        cpu="8",
        cpu_limit="8",
        memory="64Gi",
        memory_limit="64Gi",
        shared_memory="8Gi",
        image=PYTORCH,
        command=["python", "/workspace/sweep.py", "--study", "lr-sweep"],  # each pod takes the next trial of the study
    ).enqueue(batch)
    declare_dataset_refresh(cluster)


def declare_dataset_refresh(cluster: gm.Cluster) -> gm.CpuCronJob:
    """A nightly CPU CronJob that refreshes the training datasets, configured from a ConfigMap in the tree."""
    data = gm.Component(cluster, "datasets", namespace="datasets")
    gm.k8s.KubeConfigMap(
        data,
        "sources",
        metadata={"name": "dataset-sources"},
        data={"DATASET_BUCKET": "s3://datasets.example.com/train", "DATASET_SPLITS": "train,validation"},
    )
    return gm.CpuCronJob(
        data,
        "dataset-refresh",
        image=REFRESH,
        schedule="30 1 * * *",
        time_zone="Etc/UTC",
        command=["refresh", "--all"],
        env_from=[gm.EnvSource.config_map("dataset-sources")],
        cpu="1",
        cpu_limit="2",
        memory="1Gi",
        memory_limit="2Gi",
        volumes=[gm.Volume.empty_dir("staging", "/staging", size="10Gi")],
        ephemeral_storage="12Gi",
    )
