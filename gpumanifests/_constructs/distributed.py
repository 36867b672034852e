"""Multi-node GPU training: an Indexed Job whose pods find each other through a headless Service.

A :class:`DistributedGpuJob` runs ``workers`` pods at once (``completionMode: Indexed``,
``completions`` and ``parallelism`` equal to ``workers``), each with ``gpus`` GPUs. Pod *i* is
``<job>-<i>.<service>`` in DNS (the pod template's ``subdomain`` is the headless Service), its rank
is ``JOB_COMPLETION_INDEX`` (set by the Job controller), and every pod gets ``MASTER_ADDR``
(pod 0) and ``MASTER_PORT`` (what ``torch.distributed``'s ``env://`` initialisation reads), and
the ``PET_`` variables ``torchrun`` takes its ``--nnodes``, ``--node-rank``, ``--master-addr`` and
``--master-port`` defaults from, so a plain ``torchrun --nproc-per-node=8 train.py`` finds its
peers. A NetworkPolicy lets the
job's pods reach each other through the namespace's default deny. The placement proof places the
pods all or nothing, and Kueue admits them as one pod set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from pydantic import Field, model_validator

from gpumanifests._constructs.component import RenderedObject
from gpumanifests._constructs.workloads import GpuJobOptions, GpuJobProps, _GpuWorkload, _JobMixin
from gpumanifests._kube.limits import PORT_MAX
from gpumanifests._props import parse_props

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from gpumanifests._constructs.component import ResourceScope
    from gpumanifests._constructs.profiles import NodeProfile

__all__ = ["DistributedGpuJob", "DistributedGpuJobProps"]

_JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
"""Set by the Job controller on the Job's pods: the Job's name (digest included)."""
_COMPLETION_INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index"
"""Set by the Job controller on an Indexed Job's pods: the pod's index (``JOB_COMPLETION_INDEX`` reads it too)."""


class DistributedGpuJobProps(GpuJobProps):
    """Validated props of :class:`DistributedGpuJob`."""

    workers: int = Field(ge=2, le=10_000, strict=True)
    master_port: int = Field(default=29500, ge=1, le=PORT_MAX, strict=True)

    @model_validator(mode="after")
    def _workers_set_the_pod_counts(self) -> Self:
        if self.parallelism is not None or self.completions is not None:
            raise ValueError("parallelism and completions are both the workers on a DistributedGpuJob; set workers")
        return self


class DistributedGpuJob(_GpuWorkload[DistributedGpuJobProps], _JobMixin[DistributedGpuJobProps]):
    """A GPU Job of ``workers`` pods that run together (distributed training).

    **Usage**::

        gm.DistributedGpuJob(training, "pretrain", profile=H100, workers=4, gpus=8,
                             image="nvcr.io/nvidia/pytorch:24.10-py3",
                             command=["torchrun", "--nproc-per-node=8", "train.py"])

    Everything a :class:`GpuJob` takes, plus ``workers`` (pods, at least 2) and ``master_port``
    (29500, torchrun's default). The Service is named after the job.
    """

    def __init__(
        self,
        scope: ResourceScope,
        id: str,
        *,
        profile: NodeProfile,
        workers: int,
        master_port: int = 29500,
        **options: Unpack[GpuJobOptions],
    ) -> None:
        self.props = parse_props(
            DistributedGpuJobProps,
            f"DistributedGpuJob {id!r}",
            name=id,
            profile=profile,
            workers=workers,
            master_port=master_port,
            **options,
        )
        super().__init__(scope, id)

    @property
    def replicas(self) -> int:
        """The pods that run at once: the workers."""
        return self.props.workers

    @property
    def all_or_nothing(self) -> bool:
        """The workers rendezvous before training: a partial set only holds GPUs."""
        return True

    def _main_container(self) -> dict[str, Any]:
        container = super()._main_container()
        port = str(self.props.master_port)
        rendezvous = [
            {"name": "JOB_NAME", "valueFrom": _field(f"metadata.labels['{_JOB_NAME_LABEL}']")},
            {"name": "MASTER_ADDR", "value": f"$(JOB_NAME)-0.{self.name}"},
            {"name": "MASTER_PORT", "value": port},
            {"name": "PET_MASTER_ADDR", "value": "$(MASTER_ADDR)"},
            {"name": "PET_MASTER_PORT", "value": port},
            {"name": "PET_NNODES", "value": str(self.props.workers)},
            {"name": "PET_NODE_RANK", "valueFrom": _field(f"metadata.annotations['{_COMPLETION_INDEX_ANNOTATION}']")},
        ]
        container["env"] = sorted([*container.get("env", []), *rendezvous], key=lambda entry: entry["name"])
        return container

    def _pod_spec(self) -> dict[str, Any]:
        spec = super()._pod_spec()
        spec["subdomain"] = self.name
        return spec

    def _render(self) -> list[RenderedObject]:
        job, *claims = super()._render()
        spec = job.manifest["spec"]
        workers = self.props.workers
        job.manifest["spec"] = {"completionMode": "Indexed", "completions": workers, "parallelism": workers, **spec}
        return [
            job,
            RenderedObject(self._service(), f"{self.path}/Service"),
            RenderedObject(self._peers(), f"{self.path}/NetworkPolicy"),
            *claims,
        ]

    def _service(self) -> dict[str, Any]:
        """The headless Service whose DNS names the pods (``publishNotReadyAddresses``: before they are ready)."""
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": self.name, "namespace": self.component.namespace, "labels": self.object_labels()},
            "spec": {
                "clusterIP": "None",
                "ports": [{"name": "rendezvous", "port": self.props.master_port, "protocol": "TCP"}],
                "publishNotReadyAddresses": True,
                "selector": self.selector_labels(),
            },
        }

    def _peers(self) -> dict[str, Any]:
        """A NetworkPolicy letting the job's pods reach each other on any port (NCCL picks its own)."""
        pods = {"matchLabels": self.selector_labels()}
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {
                "name": f"{self.name}-peers",
                "namespace": self.component.namespace,
                "labels": self.object_labels(),
            },
            "spec": {"ingress": [{"from": [{"podSelector": pods}]}], "podSelector": pods, "policyTypes": ["Ingress"]},
        }


def _field(path: str) -> dict[str, Any]:
    """An env ``valueFrom`` reading the pod's own ``path`` (the downward API)."""
    return {"fieldRef": {"fieldPath": path}}
