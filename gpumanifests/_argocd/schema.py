"""Validate Argo CD objects against Argo CD's own CRD schemas, offline.

The schemas are the vendored Argo CD CRDs of the catalog (:mod:`gpumanifests._kube.crds`,
argoproj/argo-cd at the ref recorded in ``_schemas/crds/sources.json``), applied strictly: a field
the API server would prune is an error, as for every custom resource.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gpumanifests._kube.crds import vendored
from gpumanifests._kube.meta import FieldError, object_meta_errors, status_errors

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["ARGOCD_API_VERSION", "ARGOCD_GROUP", "validate_argocd_object"]

ARGOCD_GROUP = "argoproj.io"
ARGOCD_API_VERSION = f"{ARGOCD_GROUP}/v1alpha1"
"""The only version Argo CD serves its Application, ApplicationSet and AppProject CRDs at."""
_KINDS = ("Application", "ApplicationSet", "AppProject")


def validate_argocd_object(obj: Mapping[str, Any]) -> list[str]:
    """Every reason the API server would refuse ``obj``, as ``<field path>: <message>``; empty when valid."""
    kind = obj.get("kind")
    if kind not in _KINDS:
        return [f"kind: {kind!r} is not an Argo CD kind this validator knows; expected one of {list(_KINDS)}"]
    if obj.get("apiVersion") != ARGOCD_API_VERSION:
        return [f"apiVersion: {obj.get('apiVersion')!r} is not {ARGOCD_API_VERSION!r}"]
    crd = vendored(ARGOCD_GROUP, str(kind))
    assert crd is not None  # the catalog vendors every kind of _KINDS
    served = crd.served(ARGOCD_API_VERSION.rpartition("/")[2])
    assert served is not None
    errors = [
        *object_meta_errors(obj.get("metadata"), namespaced=True),
        *status_errors(obj),
        *served.schema.errors(obj),
    ]
    if "operation" in obj:
        errors.append(FieldError("operation", "starts a sync when applied; a manifest in git must not carry it"))
    return sorted(str(error) for error in errors)
