"""Environment from Secrets and ConfigMaps: one key as a variable, or every key of an object.

Both name objects of the workload's own namespace (a pod cannot read another namespace's); synth
checks that each one is in the tree or declared external (:meth:`Component.declare_external`).
"""

from __future__ import annotations

import re
from typing import Annotated, Self

from pydantic import model_validator

from gpumanifests._kube.references import ReferenceKind
from gpumanifests._props import DnsSubdomain, Props, matching

__all__ = ["ConfigKey", "EnvName", "EnvSource", "KeyRef"]

_ENV_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")
_CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]{1,253}")

EnvName = Annotated[
    str,
    matching(_ENV_NAME, "an environment variable name: letters, digits, '_', '-' and '.', not starting with a digit"),
]
ConfigKey = Annotated[
    str, matching(_CONFIG_KEY, "a Secret or ConfigMap key: 1 to 253 letters, digits, '-', '_' and '.'")
]
_SOURCES = frozenset({ReferenceKind.SECRET, ReferenceKind.CONFIG_MAP})


def _secret_or_config_map(kind: ReferenceKind, owner: str) -> None:
    if kind not in _SOURCES:
        raise ValueError(f"kind={str(kind)!r}: {owner} reads a Secret or a ConfigMap")


class KeyRef(Props):
    """One key of a Secret or ConfigMap, as the value of an environment variable (``valueFrom``).

    **Usage**: ``env_refs={"HF_TOKEN": gm.KeyRef.secret("hf-token", "token")}``. The kubelet reads the
    key when the container starts; a pod whose object or key is missing does not start.
    """

    kind: ReferenceKind
    name: DnsSubdomain
    key: ConfigKey

    @model_validator(mode="after")
    def _readable(self) -> Self:
        _secret_or_config_map(self.kind, "a KeyRef")
        return self

    @classmethod
    def secret(cls, name: str, key: str) -> KeyRef:
        """Key ``key`` of Secret ``name``."""
        return cls(kind=ReferenceKind.SECRET, name=name, key=key)

    @classmethod
    def config_map(cls, name: str, key: str) -> KeyRef:
        """Key ``key`` of ConfigMap ``name``."""
        return cls(kind=ReferenceKind.CONFIG_MAP, name=name, key=key)

    def value_from(self) -> dict[str, dict[str, str]]:
        """``EnvVar.valueFrom``: a ``secretKeyRef`` or ``configMapKeyRef``."""
        ref = "secretKeyRef" if self.kind is ReferenceKind.SECRET else "configMapKeyRef"
        return {ref: {"key": self.key, "name": self.name}}


class EnvSource(Props):
    """Every key of a Secret or ConfigMap as environment variables (``envFrom``), optionally prefixed.

    **Usage**: ``env_from=[gm.EnvSource.secret("db-credentials", prefix="DB_")]``. Keys that are not
    valid variable names are skipped by the kubelet; an explicit ``env`` entry wins over them.
    """

    kind: ReferenceKind
    name: DnsSubdomain
    prefix: EnvName | None = None

    @model_validator(mode="after")
    def _readable(self) -> Self:
        _secret_or_config_map(self.kind, "an EnvSource")
        return self

    @classmethod
    def secret(cls, name: str, *, prefix: str | None = None) -> EnvSource:
        """Every key of Secret ``name``, each variable named ``prefix`` + key."""
        return cls(kind=ReferenceKind.SECRET, name=name, prefix=prefix)

    @classmethod
    def config_map(cls, name: str, *, prefix: str | None = None) -> EnvSource:
        """Every key of ConfigMap ``name``, each variable named ``prefix`` + key."""
        return cls(kind=ReferenceKind.CONFIG_MAP, name=name, prefix=prefix)

    def env_from(self) -> dict[str, object]:
        """One ``Container.envFrom`` entry."""
        ref = "secretRef" if self.kind is ReferenceKind.SECRET else "configMapRef"
        entry: dict[str, object] = {ref: {"name": self.name}}
        if self.prefix is not None:
            entry["prefix"] = self.prefix
        return entry
