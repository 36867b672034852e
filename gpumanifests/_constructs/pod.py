"""Pod templates with safe defaults: the Pod Security Standards "restricted" profile, resources, scratch space.

Every generated pod runs as a non-root user with a read-only root filesystem, no privilege
escalation, all capabilities dropped and the RuntimeDefault seccomp profile; ``/tmp`` (and
``/dev/shm`` for GPU frameworks) are writable emptyDirs. A workload may opt down only with a
:class:`SecurityOptOut` that names its reason, which is written into the output.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import Field, model_validator

from gpumanifests._props import Props

__all__ = [
    "NON_ROOT_UID",
    "SecurityOptOut",
    "container_security",
    "moving_tag",
    "pod_security",
    "pull_policy",
]

NON_ROOT_UID = 10001
"""UID and GID generated pods run as: non-root and above the 10000 that policy scanners expect."""


class SecurityOptOut(Props):
    """An explicit, visible step down from the restricted defaults, with the reason why.

    **Usage**: ``SecurityOptOut(run_as_root=True, reason="vendor image writes to /root at start")``.
    The reason is written to the ``gpumanifests.io/security-opt-out`` annotation of the pod
    template. Root pods meet only ``baseline``, so their namespace enforces ``baseline``; a writable
    root filesystem still meets ``restricted``.
    """

    reason: str = Field(min_length=8)
    run_as_root: bool = False
    writable_root_filesystem: bool = False

    @model_validator(mode="after")
    def _opts_out_of_something(self) -> Self:
        if not (self.run_as_root or self.writable_root_filesystem):
            raise ValueError("a SecurityOptOut must opt out of something: set run_as_root or writable_root_filesystem")
        return self

    def describe(self) -> str:
        """The annotation text: what was given up, and why."""
        given_up = [
            name
            for name, on in (
                ("run-as-root", self.run_as_root),
                ("writable-root-filesystem", self.writable_root_filesystem),
            )
            if on
        ]
        return f"{','.join(given_up)}: {self.reason}"


def moving_tag(image: str) -> str | None:
    """The tag of an image whose name can point at new content without a commit; None when it is pinned.

    ``latest``, a ``latest-*`` tag and no tag at all (which means ``latest``, returned as '') move; a
    digest pins the image whatever its tag; any other tag counts as a pinned version.
    """
    if "@sha256:" in image:
        return None
    tag = image.rsplit("/", 1)[-1].partition(":")[2]
    return tag if tag in {"", "latest"} or tag.startswith("latest-") else None


def pull_policy(image: str) -> str:
    """``Always`` for a moving tag, so a restarted pod runs what the tag names now; else ``IfNotPresent``.

    That is Kubernetes' own default for a pinned tag or a digest: a node that already has the image
    starts the pod without asking the registry.
    """
    return "IfNotPresent" if moving_tag(image) is None else "Always"


def pod_security(opt_out: SecurityOptOut | None) -> dict[str, Any]:
    """``PodSpec.securityContext``: non-root user and group, RuntimeDefault seccomp."""
    if opt_out is not None and opt_out.run_as_root:
        return {"runAsNonRoot": False, "runAsUser": 0, "seccompProfile": {"type": "RuntimeDefault"}}
    return {
        "fsGroup": NON_ROOT_UID,
        "runAsGroup": NON_ROOT_UID,
        "runAsNonRoot": True,
        "runAsUser": NON_ROOT_UID,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security(opt_out: SecurityOptOut | None) -> dict[str, Any]:
    """``Container.securityContext``: no escalation, no capabilities, read-only root filesystem."""
    run_as_root = opt_out is not None and opt_out.run_as_root
    writable = opt_out is not None and opt_out.writable_root_filesystem
    context: dict[str, Any] = {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "privileged": False,
        "readOnlyRootFilesystem": not writable,
        "runAsNonRoot": not run_as_root,
    }
    if not run_as_root:
        context["runAsUser"] = NON_ROOT_UID
        context["runAsGroup"] = NON_ROOT_UID
    return context
