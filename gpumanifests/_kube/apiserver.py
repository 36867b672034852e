"""What the kube-apiserver refuses in a built-in object beyond its OpenAPI schema.

The strict schemas (``kubernetes-validate``) check fields and types; the API server's own
validation (``pkg/apis/core/validation``, ``apps``, ``batch``) also checks, and so does this:

- ObjectMeta (``ValidateObjectMeta``) with each kind's name rule: a Namespace's name is a DNS-1123
  label (``ValidateNamespaceName``), a Service's a DNS-1035 label (``ValidateServiceName``), RBAC
  objects' a path segment (``ValidateRBACName``), every other kind's a DNS-1123 subdomain;
- every pod template (``ValidatePodTemplateSpec``, ``ValidatePodSpec``): container names
  (DNS-1123 labels, unique), images (present, no surrounding whitespace), env names
  (``IsRelaxedEnvVarName``), resource names (``validateContainerResourceName``), resource
  quantities (``ValidateResourceRequirements``: not negative; an extended resource a whole
  number, its request equal to its limit; a request within its limit), port names
  (``IsValidPortName``), volume names and the volumes each mount names;
- a workload's selector matches its template's labels (``ValidateDeploymentSpec`` and the other
  controllers'), and a Job's template leaves the labels the Job controller sets alone
  (``ValidateGeneratedSelector``);
- a ConfigMap's or Secret's data is at most 1 MiB (``ValidateConfigMap``, ``ValidateSecret``), and any
  object at most etcd's default request size (``--max-request-bytes``, 1.5 MiB).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import TYPE_CHECKING, Any

from gpumanifests._kube.kinds import group_of, pod_spec_path, pod_template_of
from gpumanifests._kube.limits import PORT_MAX
from gpumanifests._kube.meta import FieldError, object_meta_errors
from gpumanifests._kube.names import (
    container_resource_name_errors,
    dns1035_label_errors,
    dns_label_errors,
    path_segment_errors,
    relaxed_env_var_name_errors,
)
from gpumanifests._kube.quantity import parse_quantity

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["CONFIG_MAX_BYTES", "JOB_CONTROLLER_LABELS", "OBJECT_MAX_BYTES", "builtin_object_errors"]

CONFIG_MAX_BYTES = 1024 * 1024
"""``core.MaxSecretSize``: the most data a ConfigMap or a Secret holds."""
OBJECT_MAX_BYTES = 3 * 512 * 1024
"""etcd's default ``--max-request-bytes`` (1.5 MiB): a larger object cannot be stored."""
JOB_CONTROLLER_LABELS = (
    "batch.kubernetes.io/controller-uid",
    "batch.kubernetes.io/job-name",
    "controller-uid",
    "job-name",
)
"""The labels the Job controller puts on a Job's pods (``generateSelector``): its uid and its name."""

_NAME_RULES: dict[tuple[str, str], Callable[[str], list[str]]] = {
    ("", "Namespace"): dns_label_errors,
    ("", "Service"): dns1035_label_errors,
    **{("rbac.authorization.k8s.io", kind): path_segment_errors for kind in ("Role", "ClusterRole")},
    **{("rbac.authorization.k8s.io", kind): path_segment_errors for kind in ("RoleBinding", "ClusterRoleBinding")},
}
_SELECTED_TEMPLATES = {("apps", kind) for kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet")}
_PORT_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")
_PORT_NAME_MAX = 15
_OVERCOMMITTABLE = ("cpu", "memory", "ephemeral-storage")


def builtin_object_errors(manifest: dict[str, Any], *, namespaced: bool) -> list[FieldError]:
    """Every reason beyond the schema that the API server would refuse ``manifest``, a built-in object."""
    key = (group_of(manifest), str(manifest.get("kind", "")))
    errors = object_meta_errors(manifest.get("metadata"), namespaced=namespaced, name_rule=_NAME_RULES.get(key))
    template = pod_template_of(manifest)
    if template is not None:
        claims = _claim_template_names(manifest) if key == ("apps", "StatefulSet") else set()
        errors += _template_errors(template, pod_spec_path(manifest).removesuffix("spec").rstrip("."), claims)
        errors += _selector_errors(manifest, key, template)
    if key in {("", "ConfigMap"), ("", "Secret")}:
        errors += _config_size_errors(manifest)
    if key == ("", "Service"):
        errors += _service_errors(manifest.get("spec") or {})
    size = len(json.dumps(manifest, separators=(",", ":")).encode())
    if size > OBJECT_MAX_BYTES:
        errors.append(FieldError("", f"is {size} bytes; etcd stores objects of at most {OBJECT_MAX_BYTES} bytes"))
    return errors


def _field(prefix: str, path: str) -> str:
    return f"{prefix}.{path}" if prefix else path


def _claim_template_names(statefulset: Mapping[str, Any]) -> set[str]:
    """A StatefulSet's ``volumeClaimTemplates``: its pods mount them as volumes of those names."""
    templates = (statefulset.get("spec") or {}).get("volumeClaimTemplates") or []
    return {str((entry.get("metadata") or {}).get("name")) for entry in templates if isinstance(entry, dict)}


def _template_errors(template: Mapping[str, Any], prefix: str, claims: set[str]) -> list[FieldError]:
    """``ValidatePodTemplateSpec``: the template's labels and annotations, then its PodSpec."""
    errors = [
        FieldError(_field(prefix, error.path), error.message)
        for error in object_meta_errors(template.get("metadata") or {}, namespaced=False, name_rule=None)
        if error.path not in {"metadata.name", "metadata.namespace"}
    ]
    return errors + _pod_spec_errors(template["spec"], _field(prefix, "spec"), claims)


def _pod_spec_errors(spec: Mapping[str, Any], where: str, claims: set[str]) -> list[FieldError]:
    errors: list[FieldError] = []
    volumes = [volume.get("name") for volume in spec.get("volumes") or [] if isinstance(volume, dict)]
    for index, name in enumerate(volumes):
        path = f"{where}.volumes[{index}].name"
        errors += [FieldError(path, f"{name!r} {error}") for error in dns_label_errors(str(name))]
        if volumes.index(name) != index:
            errors.append(FieldError(path, f"{name!r} is used by another volume"))
    seen: set[str] = set()
    for field in ("initContainers", "containers"):
        for index, container in enumerate(spec.get(field) or []):
            if isinstance(container, dict):
                path = f"{where}.{field}[{index}]"
                errors += _container_errors(container, path, seen, {*map(str, volumes), *claims})
    return errors


def _container_errors(container: Mapping[str, Any], where: str, seen: set[str], volumes: set[str]) -> list[FieldError]:
    name = str(container.get("name", ""))
    errors = [FieldError(f"{where}.name", f"{name!r} {error}") for error in dns_label_errors(name)]
    if name in seen:
        errors.append(FieldError(f"{where}.name", f"{name!r} is the name of another container of the pod"))
    seen.add(name)
    image = container.get("image")
    if not isinstance(image, str) or not image:
        errors.append(FieldError(f"{where}.image", "is required"))
    elif image != image.strip():
        errors.append(FieldError(f"{where}.image", f"{image!r} must not have leading or trailing whitespace"))
    for index, variable in enumerate(container.get("env") or []):
        variable_name = str(variable.get("name", "")) if isinstance(variable, dict) else ""
        for error in relaxed_env_var_name_errors(variable_name):
            errors.append(FieldError(f"{where}.env[{index}].name", f"{variable_name!r} {error}"))
    errors += _resource_errors(container.get("resources") or {}, f"{where}.resources")
    for index, port in enumerate(container.get("ports") or []):
        if isinstance(port, dict) and "name" in port:
            errors += _port_name_errors(str(port["name"]), f"{where}.ports[{index}].name")
    for index, mount in enumerate(container.get("volumeMounts") or []):
        if isinstance(mount, dict) and mount.get("name") not in volumes:
            errors.append(FieldError(f"{where}.volumeMounts[{index}].name", f"{mount.get('name')!r} is no volume"))
    return errors


def _resource_errors(resources: Mapping[str, Any], where: str) -> list[FieldError]:
    """``ValidateResourceRequirements`` of one container."""
    errors: list[FieldError] = []
    amounts: dict[str, dict[str, Any]] = {}
    for kind in ("limits", "requests"):
        for resource, value in (resources.get(kind) or {}).items():
            path = f"{where}.{kind}[{resource}]"
            errors += [FieldError(path, f"{resource!r} {error}") for error in container_resource_name_errors(resource)]
            try:
                amount = parse_quantity(value)
            except ValueError:
                errors.append(FieldError(path, f"{value!r} is not a quantity"))
                continue
            if amount < 0:
                errors.append(FieldError(path, f"{value!r} must be greater than or equal to 0"))
            elif "/" in resource and "kubernetes.io/" not in resource and amount.denominator != 1:
                errors.append(FieldError(path, f"{value!r} must be an integer (an extended resource is counted whole)"))
            amounts.setdefault(resource, {})[kind] = amount
    for resource, given in sorted(amounts.items()):
        request, limit = given.get("requests"), given.get("limits")
        path = f"{where}.requests[{resource}]"
        if resource not in _OVERCOMMITTABLE and not resource.startswith("hugepages-"):
            if request is not None and limit is None:
                errors.append(FieldError(path, "an extended resource needs a limit (the request alone is refused)"))
            elif request is not None and request != limit:
                errors.append(FieldError(path, f"must be equal to the {resource} limit"))
        elif request is not None and limit is not None and request > limit:
            errors.append(FieldError(path, f"must be less than or equal to the {resource} limit"))
    return errors


_SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")
_PROTOCOLS = ("TCP", "UDP", "SCTP")


def _service_errors(spec: Mapping[str, Any]) -> list[FieldError]:
    """``ValidateService``: a supported ``type``, and per port (``validateServicePort``) a number from 1 to
    65535 (``IsValidPortNum``), a supported ``protocol`` and a ``targetPort`` that is a port number or name."""
    errors: list[FieldError] = []
    if "type" in spec and spec["type"] not in _SERVICE_TYPES:
        errors.append(FieldError("spec.type", f"{spec['type']!r} is not one of {', '.join(_SERVICE_TYPES)}"))
    for index, port in enumerate(spec.get("ports") or []):
        where = f"spec.ports[{index}]"
        errors += _port_number_errors(port.get("port"), f"{where}.port")
        if "nodePort" in port:
            errors += _port_number_errors(port["nodePort"], f"{where}.nodePort")
        if "protocol" in port and port["protocol"] not in _PROTOCOLS:
            errors.append(
                FieldError(f"{where}.protocol", f"{port['protocol']!r} is not one of {', '.join(_PROTOCOLS)}")
            )
        target = port.get("targetPort")
        if isinstance(target, str):
            errors += _port_name_errors(target, f"{where}.targetPort")
        elif target is not None:
            errors += _port_number_errors(target, f"{where}.targetPort")
    return errors


def _port_number_errors(number: Any, where: str) -> list[FieldError]:
    if isinstance(number, int) and not isinstance(number, bool) and 1 <= number <= PORT_MAX:
        return []
    return [FieldError(where, f"{number!r} must be a port number from 1 to {PORT_MAX}")]


def _port_name_errors(name: str, where: str) -> list[FieldError]:
    """``IsValidPortName`` (an IANA service name): at most 15 lowercase letters, digits and '-', one letter at least."""
    if (
        len(name) > _PORT_NAME_MAX
        or not _PORT_NAME.fullmatch(name)
        or "--" in name
        or not any(character.isalpha() for character in name)
    ):
        return [
            FieldError(
                where,
                f"{name!r} must be at most {_PORT_NAME_MAX} lowercase letters, digits and '-' (no '--'), "
                "with a letter, starting and ending with a letter or digit",
            )
        ]
    return []


def _selector_errors(
    manifest: Mapping[str, Any], key: tuple[str, str], template: Mapping[str, Any]
) -> list[FieldError]:
    labels = (template.get("metadata") or {}).get("labels") or {}
    spec = manifest.get("spec") or {}
    if key == ("batch", "Job"):
        return [] if spec.get("manualSelector") else _job_label_errors(labels)
    if key not in _SELECTED_TEMPLATES:
        return []
    wanted = (spec.get("selector") or {}).get("matchLabels") or {}
    unmatched = sorted(name for name, value in wanted.items() if labels.get(name) != value)
    if not unmatched:
        return []
    selected = ", ".join(f"{name}={wanted[name]}" for name in unmatched)
    found = ", ".join(f"{name}={labels.get(name)}" for name in unmatched)
    message = f"`selector` does not match template `labels`: {selected} is selected, the template has {found}"
    return [FieldError("spec.template.metadata.labels", message)]


def _job_label_errors(labels: Mapping[str, Any]) -> list[FieldError]:
    """A Job's pods get the controller's labels (``generateSelector``); a template that sets them is refused."""
    taken = sorted(label for label in JOB_CONTROLLER_LABELS if label in labels)
    if not taken:
        return []
    message = f"sets {', '.join(taken)}, which the Job controller sets to the Job's own name and uid"
    return [FieldError("spec.template.metadata.labels", message)]


def _config_size_errors(manifest: Mapping[str, Any]) -> list[FieldError]:
    """``ValidateConfigMap`` and ``ValidateSecret``: the values of all keys add up to at most 1 MiB."""
    encoded = "binaryData" if manifest.get("kind") == "ConfigMap" else "data"
    plain = "data" if manifest.get("kind") == "ConfigMap" else "stringData"
    size = sum(len(str(value).encode()) for value in (manifest.get(plain) or {}).values())
    size += sum(_decoded_size(value) for value in (manifest.get(encoded) or {}).values())
    if size <= CONFIG_MAX_BYTES:
        return []
    return [FieldError("", f"holds {size} bytes of data; a {manifest.get('kind')} holds at most {CONFIG_MAX_BYTES}")]


def _decoded_size(value: Any) -> int:
    try:
        return len(base64.b64decode(str(value), validate=True))
    except binascii.Error:  # the schema refuses it; count what is there
        return len(str(value))
