"""Volumes a workload's main container mounts, and the model-cache pattern.

The root filesystem stays read-only; a workload writes where it mounts a volume: scratch space
(``emptyDir``, capped by its size), a PersistentVolumeClaim by name, a claim made from a template
(a generic ephemeral volume that lives and dies with the pod, or one claim per replica in a
StatefulSet), or files from ConfigMaps and Secrets (always read-only). A model cache is a volume
whose mount path becomes the cache root of the usual frameworks (``XDG_CACHE_HOME``, ``HF_HOME``,
``TORCH_HOME``), so downloads survive container restarts and, on a claim, pod restarts.
"""

from __future__ import annotations

import posixpath
import re
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, Field

from gpumanifests._constructs.env import ConfigKey
from gpumanifests._props import DnsLabel, DnsSubdomain, Props, Quantity, parse_props

__all__ = ["AccessMode", "MountPath", "Volume", "cache_env"]

_SEGMENT = re.compile(r"[^/\x00]+")


def _check_mount_path(value: str) -> str:
    parts = value.split("/")[1:]
    if not value.startswith("/") or not all(_SEGMENT.fullmatch(part) for part in parts) or ".." in parts:
        raise ValueError(f"{value!r} is not an absolute path without '..' or empty segments, such as '/data'")
    return value


def _check_relative_path(value: str) -> str:
    parts = value.split("/")
    if value.startswith("/") or not all(_SEGMENT.fullmatch(part) for part in parts) or ".." in parts:
        raise ValueError(f"{value!r} is not a relative file path without '..', such as 'config/app.yaml'")
    return value


MountPath = Annotated[str, AfterValidator(_check_mount_path)]
RelativePath = Annotated[str, AfterValidator(_check_relative_path)]


class AccessMode(StrEnum):
    """How the nodes may mount a PersistentVolumeClaim (the storage class must support it)."""

    READ_WRITE_ONCE = "ReadWriteOnce"
    """Read-write by the pods of one node at a time."""
    READ_ONLY_MANY = "ReadOnlyMany"
    """Read-only by pods on many nodes (a shared, pre-filled model store)."""
    READ_WRITE_MANY = "ReadWriteMany"
    """Read-write by pods on many nodes (a shared cache on NFS-like storage)."""
    READ_WRITE_ONCE_POD = "ReadWriteOncePod"
    """Read-write by a single pod."""


class _Source(Props):
    """What backs a volume; each subclass renders one kind of ``Volume`` source."""

    cacheable: ClassVar[bool] = False
    """Whether a model cache may live on it (a writable source)."""

    def pod_source(self) -> dict[str, Any]:
        """The source fields of the PodSpec ``volumes[]`` entry."""
        raise NotImplementedError

    def claim_spec(self) -> dict[str, Any] | None:
        """The PersistentVolumeClaim spec a claim template stands for; None for other sources."""
        return None


class _EmptyDir(_Source):
    cacheable: ClassVar[bool] = True
    size: Quantity | None
    memory: bool = False

    def pod_source(self) -> dict[str, Any]:
        empty: dict[str, Any] = {"medium": "Memory"} if self.memory else {}
        if self.size is not None:
            empty["sizeLimit"] = self.size
        return {"emptyDir": empty}


class _Claim(_Source):
    cacheable: ClassVar[bool] = True
    claim_name: DnsSubdomain

    def pod_source(self) -> dict[str, Any]:
        return {"persistentVolumeClaim": {"claimName": self.claim_name}}


class _ClaimTemplate(_Source):
    cacheable: ClassVar[bool] = True
    size: Quantity
    storage_class: DnsSubdomain | None = None
    access_modes: tuple[AccessMode, ...] = Field(default=(AccessMode.READ_WRITE_ONCE,), min_length=1)

    def claim_spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "accessModes": [str(mode) for mode in self.access_modes],
            "resources": {"requests": {"storage": self.size}},
        }
        if self.storage_class is not None:
            spec["storageClassName"] = self.storage_class
        return spec

    def pod_source(self) -> dict[str, Any]:
        return {"ephemeral": {"volumeClaimTemplate": {"spec": self.claim_spec()}}}


def _items(items: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": key, "path": path} for key, path in sorted(items.items())]


class _Files(_Source):
    items: dict[ConfigKey, RelativePath] = Field(default_factory=dict)

    def _source(self, field: str, name: str) -> dict[str, Any]:
        source: dict[str, Any] = {field: name}
        if self.items:
            source["items"] = _items(self.items)
        return source


class _ConfigMapFiles(_Files):
    config_map: DnsSubdomain

    def pod_source(self) -> dict[str, Any]:
        return {"configMap": self._source("name", self.config_map)}


class _SecretFiles(_Files):
    secret: DnsSubdomain

    def pod_source(self) -> dict[str, Any]:
        return {"secret": self._source("secretName", self.secret)}


class _Projected(_Source):
    config_maps: tuple[DnsSubdomain, ...] = ()
    secrets: tuple[DnsSubdomain, ...] = ()

    def pod_source(self) -> dict[str, Any]:
        sources = [{"configMap": {"name": name}} for name in self.config_maps]
        sources += [{"secret": {"name": name}} for name in self.secrets]
        return {"projected": {"sources": sources}}


class Volume(Props):
    """A volume the workload's main container mounts at ``mount_path``; made by the factories.

    **Usage**: ``volumes=[gm.Volume.empty_dir("scratch", "/scratch", size="50Gi")]`` or
    ``workload.add_volume(gm.Volume.config_map("settings", "/etc/app", config_map="app-settings"))``.
    ConfigMap, Secret and projected volumes are mounted read-only (the kubelet writes them); the
    others read-write unless ``read_only=True``.
    """

    name: DnsLabel
    mount_path: MountPath
    read_only: bool = False
    source: _Source

    @classmethod
    def empty_dir(cls, name: str, mount_path: str, *, size: str | None = None, memory: bool = False) -> Volume:
        """Scratch space that lives as long as the pod: on the node's disk (counted against its
        ephemeral storage; the kubelet evicts the pod when it outgrows ``size``) or, with
        ``memory=True``, tmpfs counted against the container's memory limit. No ``size``: no cap.
        """
        return cls(
            name=name,
            mount_path=mount_path,
            source=parse_props(_EmptyDir, "Volume.empty_dir", size=size, memory=memory),
        )

    @classmethod
    def claim(cls, name: str, mount_path: str, *, claim_name: str, read_only: bool = False) -> Volume:
        """An existing PersistentVolumeClaim of the namespace, by name (in the tree or declared external)."""
        return cls(
            name=name,
            mount_path=mount_path,
            read_only=read_only,
            source=parse_props(_Claim, "Volume.claim", claim_name=claim_name),
        )

    @classmethod
    def claim_template(
        cls,
        name: str,
        mount_path: str,
        *,
        size: str,
        storage_class: str | None = None,
        access_modes: tuple[AccessMode, ...] = (AccessMode.READ_WRITE_ONCE,),
    ) -> Volume:
        """A PersistentVolumeClaim made from this template: ``size`` of ``storage_class`` (the
        cluster's default class when omitted). In a StatefulSet each replica gets its own claim,
        kept across restarts and rescheduling (``volumeClaimTemplates``); elsewhere it is a generic
        ephemeral volume, created with the pod and deleted with it.
        """
        source = parse_props(
            _ClaimTemplate, "Volume.claim_template", size=size, storage_class=storage_class, access_modes=access_modes
        )
        return cls(name=name, mount_path=mount_path, source=source)

    @classmethod
    def config_map(cls, name: str, mount_path: str, *, config_map: str, items: dict[str, str] | None = None) -> Volume:
        """The keys of a ConfigMap as files (``items``: only these keys, each at its relative path)."""
        source = parse_props(_ConfigMapFiles, "Volume.config_map", config_map=config_map, items=items or {})
        return cls(name=name, mount_path=mount_path, read_only=True, source=source)

    @classmethod
    def secret(cls, name: str, mount_path: str, *, secret: str, items: dict[str, str] | None = None) -> Volume:
        """The keys of a Secret as files (``items``: only these keys, each at its relative path)."""
        source = parse_props(_SecretFiles, "Volume.secret", secret=secret, items=items or {})
        return cls(name=name, mount_path=mount_path, read_only=True, source=source)

    @classmethod
    def projected(
        cls, name: str, mount_path: str, *, config_maps: tuple[str, ...] = (), secrets: tuple[str, ...] = ()
    ) -> Volume:
        """The keys of several ConfigMaps and Secrets as files in one directory (a projected volume)."""
        source = parse_props(_Projected, "Volume.projected", config_maps=config_maps, secrets=secrets)
        return cls(name=name, mount_path=mount_path, read_only=True, source=source)

    @property
    def cacheable(self) -> bool:
        """Whether it can hold a model cache: writable scratch space or a claim, mounted read-write."""
        return self.source.cacheable and not self.read_only

    def pod_volume(self) -> dict[str, Any]:
        """The PodSpec ``volumes[]`` entry."""
        return {"name": self.name, **self.source.pod_source()}

    def claim_spec(self) -> dict[str, Any] | None:
        """The claim spec of a claim template; None for other volumes."""
        return self.source.claim_spec()


def cache_env(mount_path: str) -> dict[str, str]:
    """The variables that put the frameworks' caches on a model cache mounted at ``mount_path``.

    ``XDG_CACHE_HOME`` is the root many tools (pip, vLLM) cache under; ``HF_HOME`` (Hugging
    Face hub downloads, transformers, datasets) and ``TORCH_HOME`` (torch.hub) name theirs explicitly.
    """
    return {
        "HF_HOME": posixpath.join(mount_path, "huggingface"),
        "TORCH_HOME": posixpath.join(mount_path, "torch"),
        "XDG_CACHE_HOME": mount_path,
    }
