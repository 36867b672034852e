"""The one pinned Kubernetes minor: it selects the typed L1 bindings and the validation schemas.

Change ``KUBERNETES_MINOR`` (and the matching ``cdk8s-plus-NN`` dependency in
``pyproject.toml``; a test keeps the two equal) to move the whole project to another version.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from types import ModuleType

__all__ = ["KUBERNETES_MINOR", "KUBERNETES_VERSION", "l1_module"]

KUBERNETES_MINOR: Final = 33
KUBERNETES_VERSION: Final = f"1.{KUBERNETES_MINOR}"


def l1_module() -> ModuleType:
    """The cdk8s ``k8s`` L1 module generated for the pinned Kubernetes minor."""
    return importlib.import_module(f"cdk8s_plus_{KUBERNETES_MINOR}.k8s")
