"""ObjectMeta as the API server validates it (apimachinery ``ValidateObjectMeta``).

For any object: the name (a DNS-1123 subdomain, as ``NameIsDNSSubdomain`` requires for custom
resources and most built-ins), the namespace (a DNS-1123 label on namespaced kinds, absent on
cluster-scoped ones), label keys and values (``ValidateLabels``), annotation keys and their total
size (``ValidateAnnotations``: 256 KiB), and finalizer names (qualified names).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gpumanifests._kube.names import dns_label_errors, dns_subdomain_errors, label_value_errors, qualified_name_errors

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["ANNOTATIONS_MAX_BYTES", "FieldError", "object_meta_errors", "status_errors"]

ANNOTATIONS_MAX_BYTES = 256 * 1024
"""``TotalAnnotationSizeLimitB``: the summed length of every annotation key and value."""


@dataclass(frozen=True, order=True)
class FieldError:
    """What is wrong at one field path (``spec.resourceGroups[0].flavors``; empty for the object)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '(object)'}: {self.message}"


def object_meta_errors(
    metadata: Any, *, namespaced: bool, name_rule: Callable[[str], list[str]] | None = None
) -> list[FieldError]:
    """Every reason the API server would refuse ``metadata`` of an object of a namespaced or cluster kind.

    ``name_rule`` is the kind's rule for names, a DNS-1123 subdomain (``NameIsDNSSubdomain``) by default.
    """
    if not isinstance(metadata, dict):
        return [FieldError("metadata", "must be an object")]
    errors = _name_errors(metadata, name_rule or dns_subdomain_errors)
    errors += _namespace_errors(metadata, namespaced=namespaced)
    errors += _map_errors(metadata, "labels", qualified_name_errors, label_value_errors)
    errors += _map_errors(metadata, "annotations", lambda key: qualified_name_errors(key.lower()), lambda _: [])
    annotations = metadata.get("annotations")
    if isinstance(annotations, dict):
        size = sum(len(str(key)) + len(str(value)) for key, value in annotations.items())
        if size > ANNOTATIONS_MAX_BYTES:
            errors.append(FieldError("metadata.annotations", f"{size} bytes in total; at most {ANNOTATIONS_MAX_BYTES}"))
    for index, finalizer in enumerate(metadata.get("finalizers") or []):
        errors += [FieldError(f"metadata.finalizers[{index}]", e) for e in qualified_name_errors(str(finalizer))]
    return errors


def status_errors(manifest: Mapping[str, Any]) -> list[FieldError]:
    """A manifest in git carries no ``status``: the controller writes it, and a sync would fight it."""
    return (
        [FieldError("status", "is written by the controller; a manifest must not carry it")]
        if "status" in manifest
        else []
    )


def _name_errors(metadata: Mapping[str, Any], rule: Callable[[str], list[str]]) -> list[FieldError]:
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        return [FieldError("metadata.name", "is required")]
    return [FieldError("metadata.name", f"{name!r} {error}") for error in rule(name)]


def _namespace_errors(metadata: Mapping[str, Any], *, namespaced: bool) -> list[FieldError]:
    namespace = metadata.get("namespace")
    if not namespaced:
        return [FieldError("metadata.namespace", "must be absent: the kind is cluster-scoped")] if namespace else []
    if not isinstance(namespace, str) or not namespace:
        return [FieldError("metadata.namespace", "is required: the kind is namespaced")]
    return [FieldError("metadata.namespace", f"{namespace!r} {error}") for error in dns_label_errors(namespace)]


def _map_errors(metadata: Mapping[str, Any], field: str, key_errors: Any, value_errors: Any) -> list[FieldError]:
    entries = metadata.get(field)
    if entries is None:
        return []
    if not isinstance(entries, dict):
        return [FieldError(f"metadata.{field}", "must be a map of strings")]
    errors = []
    for key, value in entries.items():
        where = f"metadata.{field}[{key!r}]"
        if not isinstance(value, str):
            errors.append(FieldError(where, f"{value!r} is not a string"))
            continue
        errors += [FieldError(where, f"key {error}") for error in key_errors(str(key))]
        errors += [FieldError(where, f"value {value!r} {error}") for error in value_errors(value)]
    return errors
