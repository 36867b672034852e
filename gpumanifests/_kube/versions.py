"""The supported Kubernetes minors, each with its end of life and the images that match it.

This is the one place the supported set lives. A cluster names its minor
(``Cluster(kubernetes_version="1.36")``, default :data:`DEFAULT_VERSION`); its built-in objects are
validated against that minor's strict schemas, and its kind nodes and kubectl Jobs use that
minor's images. The typed L1 escape hatch (``gm.k8s``) is generated for the newest minor.

Dates are those of https://kubernetes.io/releases/ (a minor is supported for about fourteen
months). A test fails once a supported minor's end of life has passed relative to a date fixed
in the test, so dropping a minor is a deliberate change.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from types import ModuleType

__all__ = [
    "DEFAULT_VERSION",
    "L1_MINOR",
    "L1_MODULE",
    "SUPPORTED_VERSIONS",
    "KubernetesRelease",
    "l1_module",
    "release",
]


@dataclass(frozen=True)
class KubernetesRelease:
    """A supported Kubernetes minor and what gpumanifests pins for it."""

    version: str
    """The minor, ``1.37``."""
    end_of_life: date
    patch: str
    """The patch release the images below are of, ``1.37.1``."""
    kind_node_image: str
    """The ``kindest/node`` image of the kind release that ships this minor, pinned by digest."""

    @property
    def kubectl_image(self) -> str:
        """``registry.k8s.io/kubectl`` of the same patch (distroless: ``kubectl`` and nothing else)."""
        return f"registry.k8s.io/kubectl:v{self.patch}"

    @property
    def pod_security_version(self) -> str:
        """The ``pod-security.kubernetes.io/<mode>-version`` value that pins this minor's policy."""
        return f"v{self.version}"

    @property
    def minor(self) -> int:
        """The minor number, ``37``."""
        return int(self.version.partition(".")[2])


# kind v0.33.0 release notes ("Images pre-built for this release"); the digests pin the builds made
# for that kind release. kubectl patches: the newest of each minor on kubernetes.io/releases.
_RELEASES: Final = (
    KubernetesRelease(
        "1.35",
        date(2027, 2, 28),
        "1.35.9",
        "kindest/node:v1.35.8@sha256:07b2536e30b803ed61d1677a79df6115f798ce64c80f9e22f6ed45afd09323c0",
    ),
    KubernetesRelease(
        "1.36",
        date(2027, 6, 28),
        "1.36.4",
        "kindest/node:v1.36.4@sha256:099e049362a1526b2db71494e1947aae99bd16290d7c895f2b7ea312e3cbfaed",
    ),
    KubernetesRelease(
        "1.37",
        date(2027, 10, 28),
        "1.37.1",
        "kindest/node:v1.37.0@sha256:a1ed56cfb0e7b93589bdf97c8cd566405a265939e3620fc4f5de89adff580ae5",
    ),
)
SUPPORTED_VERSIONS: Final = tuple(entry.version for entry in _RELEASES)
"""The supported minors, oldest first."""
DEFAULT_VERSION: Final = SUPPORTED_VERSIONS[-1]
"""The minor a cluster runs when it names none: the newest supported one."""
L1_MINOR: Final = int(DEFAULT_VERSION.split(".")[1])
"""The minor of the ``cdk8s-plus-NN`` L1 bindings (``pyproject.toml`` pins the same; a test keeps them equal)."""
L1_MODULE: Final = f"cdk8s_plus_{L1_MINOR}.k8s"
"""The module of those bindings (``gm.k8s``), imported on first use."""

_RETIRED: Final = {
    "1.30": date(2025, 6, 28),
    "1.31": date(2025, 10, 28),
    "1.32": date(2026, 2, 28),
    "1.33": date(2026, 6, 28),
    "1.34": date(2026, 10, 27),
}
"""End-of-life dates of recent minors, quoted when a cluster names one."""


def _supported_text() -> str:
    return ", ".join(f"{entry.version} (end of life {entry.end_of_life})" for entry in _RELEASES)


def release(version: str) -> KubernetesRelease:
    """The supported release of minor ``version``; ``ValueError`` with the supported list otherwise."""
    for entry in _RELEASES:
        if entry.version == version:
            return entry
    if version in _RETIRED:
        raise ValueError(
            f"Kubernetes {version} reached end of life on {_RETIRED[version]} and is not supported; "
            f"supported: {_supported_text()}"
        )
    raise ValueError(f"{version!r} is not a supported Kubernetes minor; supported: {_supported_text()}")


def l1_module() -> ModuleType:
    """The cdk8s ``k8s`` L1 module generated for the newest supported minor."""
    return importlib.import_module(L1_MODULE)
