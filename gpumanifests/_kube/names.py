"""Kubernetes' rules for names, label keys and label values: the one copy every layer uses.

Each ``*_errors`` function is the Python twin of an apimachinery validator
(``k8s.io/apimachinery/pkg/util/validation/validation.go``) and, like it, returns the list of
what is wrong (empty when the value is valid). Patterns are matched in full with
``re.fullmatch``: Go's ``regexp.MatchString`` with ``^...$`` never accepts a trailing newline,
and neither do these. The ``check_*`` functions raise ``ValueError`` with the value and the rule
in the user's terms, for the input models.
"""

from __future__ import annotations

import re

__all__ = [
    "DNS_LABEL_HELP",
    "DNS_SUBDOMAIN_HELP",
    "EXTENDED_RESOURCE_HELP",
    "LABEL_KEY_HELP",
    "LABEL_VALUE_HELP",
    "check_device_attribute_name",
    "check_dns_label",
    "check_dns_subdomain",
    "check_extended_resource_name",
    "check_label_key",
    "check_label_value",
    "container_resource_name_errors",
    "dns1035_label_errors",
    "dns_label_errors",
    "dns_subdomain_errors",
    "is_dns_label",
    "is_dns_subdomain",
    "is_label_value",
    "is_qualified_name",
    "label_value_errors",
    "path_segment_errors",
    "qualified_name_errors",
    "relaxed_env_var_name_errors",
]

DNS_LABEL_MAX = 63
DNS_SUBDOMAIN_MAX = 253
QUALIFIED_NAME_MAX = 63
LABEL_VALUE_MAX = 63

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_STANDARD_CONTAINER_RESOURCES = frozenset({"cpu", "memory", "ephemeral-storage"})
_HUGE_PAGES = "hugepages-"
_REQUESTS_PREFIX = "requests."

DNS_LABEL_HELP = (
    f"a DNS-1123 label: at most {DNS_LABEL_MAX} characters, lowercase letters, digits and '-', "
    "starting and ending with a letter or digit (for example 'metal-ml-training')"
)
DNS_SUBDOMAIN_HELP = (
    f"a DNS-1123 subdomain: at most {DNS_SUBDOMAIN_MAX} characters, DNS labels joined by '.' "
    "(for example 'ml.example.com')"
)
LABEL_KEY_HELP = (
    "a label key: an optional DNS subdomain prefix and '/', then a name of at most "
    f"{QUALIFIED_NAME_MAX} characters of letters, digits, '-', '_' and '.', "
    "starting and ending with a letter or digit (for example 'apple.com/gpu')"
)
EXTENDED_RESOURCE_HELP = (
    "an extended resource name: a domain prefix outside kubernetes.io (a lowercase DNS subdomain), '/', "
    "and a name of letters, digits, '-', '_' and '.' (for example 'nvidia.com/gpu')"
)
LABEL_VALUE_HELP = (
    f"a label value: empty, or at most {LABEL_VALUE_MAX} characters of letters, digits, '-', '_' and '.', "
    "starting and ending with a letter or digit (for example 'true')"
)


def dns_label_errors(value: str) -> list[str]:
    """``IsDNS1123Label``: namespaces, container names and most object names."""
    errors = []
    if len(value) > DNS_LABEL_MAX:
        errors.append(f"must be no more than {DNS_LABEL_MAX} characters")
    if not _DNS_LABEL.fullmatch(value):
        errors.append("must consist of lower case alphanumeric characters or '-', and start and end with one")
    return errors


def dns1035_label_errors(value: str) -> list[str]:
    """``IsDNS1035Label``: Service names (``ValidateServiceName``); a DNS-1123 label starting with a letter."""
    errors = []
    if len(value) > DNS_LABEL_MAX:
        errors.append(f"must be no more than {DNS_LABEL_MAX} characters")
    if not _DNS1035_LABEL.fullmatch(value):
        errors.append(
            "must consist of lower case alphanumeric characters or '-', start with a letter and end with a "
            "letter or digit"
        )
    return errors


def dns_subdomain_errors(value: str) -> list[str]:
    """``IsDNS1123Subdomain``: ConfigMap and RBAC names, label-key prefixes, API groups."""
    errors = []
    if len(value) > DNS_SUBDOMAIN_MAX:
        errors.append(f"must be no more than {DNS_SUBDOMAIN_MAX} characters")
    if not _DNS_SUBDOMAIN.fullmatch(value):
        errors.append("must be DNS labels of lower case alphanumeric characters or '-' joined by '.'")
    return errors


def qualified_name_errors(value: str) -> list[str]:
    """``IsQualifiedName``: label keys, taint keys, annotation keys (``[prefix/]name``)."""
    parts = value.split("/")
    if len(parts) == 1:
        prefix, name = "", parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            return ["prefix part must be non-empty"]
    else:
        return ["must be a name with an optional DNS subdomain prefix and '/'"]
    errors = [f"prefix part {error}" for error in dns_subdomain_errors(prefix)] if prefix else []
    if not name:
        errors.append("name part must be non-empty")
    elif len(name) > QUALIFIED_NAME_MAX:
        errors.append(f"name part must be no more than {QUALIFIED_NAME_MAX} characters")
    if name and not _QUALIFIED_NAME.fullmatch(name):
        errors.append(
            "name part must consist of alphanumeric characters, '-', '_' or '.', starting and ending with one"
        )
    return errors


def label_value_errors(value: str) -> list[str]:
    """``IsValidLabelValue``: label and taint values (empty is valid)."""
    errors = []
    if len(value) > LABEL_VALUE_MAX:
        errors.append(f"must be no more than {LABEL_VALUE_MAX} characters")
    if not _LABEL_VALUE.fullmatch(value):
        errors.append("must be empty or alphanumeric characters, '-', '_' or '.', starting and ending with one")
    return errors


def path_segment_errors(value: str) -> list[str]:
    """``path.IsValidPathSegmentName``: RBAC object names (``ValidateRBACName``): no '/' or '%', not '.' or '..'."""
    if value in {".", ".."}:
        return [f"may not be {value!r}"]
    return [f"may not contain {part!r}" for part in ("/", "%") if part in value]


def relaxed_env_var_name_errors(value: str) -> list[str]:
    """``IsRelaxedEnvVarName`` (RelaxedEnvironmentVariableValidation, GA in 1.34): a container's env name."""
    if not value:
        return ["must not be empty"]
    if any(not " " <= character <= "~" or character == "=" for character in value):
        return ["must consist only of printable ASCII characters other than '='"]
    return []


def container_resource_name_errors(value: str) -> list[str]:
    """``validateContainerResourceName``: a container resource is standard (``cpu``, ``memory``,
    ``ephemeral-storage``, ``hugepages-<size>``), native (``*kubernetes.io/*``) or extended
    (``IsExtendedResourceName``: ``requests.<name>`` is a qualified name)."""
    errors = qualified_name_errors(value)
    if "/" not in value:
        if value not in _STANDARD_CONTAINER_RESOURCES and not value.startswith(_HUGE_PAGES):
            errors.append("must be a standard resource for containers (cpu, memory, ephemeral-storage, hugepages-*)")
    elif "kubernetes.io/" not in value and (
        value.startswith(_REQUESTS_PREFIX) or qualified_name_errors(_REQUESTS_PREFIX + value)
    ):
        errors.append("doesn't follow extended resource name standard")
    return errors


def is_dns_label(value: str) -> bool:
    """Whether ``value`` passes ``IsDNS1123Label``."""
    return not dns_label_errors(value)


def is_dns_subdomain(value: str) -> bool:
    """Whether ``value`` passes ``IsDNS1123Subdomain``."""
    return not dns_subdomain_errors(value)


def is_qualified_name(value: str) -> bool:
    """Whether ``value`` passes ``IsQualifiedName`` (a valid label key)."""
    return not qualified_name_errors(value)


def is_label_value(value: str) -> bool:
    """Whether ``value`` passes ``IsValidLabelValue``."""
    return not label_value_errors(value)


def _checked(valid: bool, value: str, allowed: str) -> str:
    if not valid:
        raise ValueError(f"{value!r} is not {allowed}")
    return value


def check_dns_label(value: str) -> str:
    """Accept a DNS-1123 label; otherwise ``ValueError`` naming the value and the rule."""
    return _checked(is_dns_label(value), value, DNS_LABEL_HELP)


def check_dns_subdomain(value: str) -> str:
    """Accept a DNS-1123 subdomain; otherwise ``ValueError`` naming the value and the rule."""
    return _checked(is_dns_subdomain(value), value, DNS_SUBDOMAIN_HELP)


def check_extended_resource_name(value: str) -> str:
    """Accept an extended resource name (``IsExtendedResourceName``); otherwise ``ValueError`` naming the rule."""
    extended = "/" in value and "kubernetes.io/" not in value and not container_resource_name_errors(value)
    return _checked(extended, value, EXTENDED_RESOURCE_HELP)


def check_label_key(value: str) -> str:
    """Accept a label or taint key; otherwise ``ValueError`` naming the value and the rule."""
    return _checked(is_qualified_name(value), value, LABEL_KEY_HELP)


_C_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DEVICE_IDENTIFIER_MAX = 32


def check_device_attribute_name(value: str) -> str:
    """Accept a DRA device attribute or capacity name: a C identifier of at most 32 characters,
    optionally after a DNS subdomain and ``/`` (k8s.io/kubernetes pkg/apis/resource/validation,
    ``validateQualifiedName``); otherwise ``ValueError``."""
    domain, _, identifier = value.rpartition("/")
    valid = bool(_C_IDENTIFIER.fullmatch(identifier)) and len(identifier) <= _DEVICE_IDENTIFIER_MAX
    return _checked(
        valid and (not domain or is_dns_subdomain(domain)),
        value,
        "a device attribute name: a C identifier (letters, digits, '_', at most 32) with an optional "
        "DNS-subdomain prefix and '/', for example 'productName' or 'resource.kubernetes.io/pcieRoot'",
    )


def check_label_value(value: str) -> str:
    """Accept a label or taint value; otherwise ``ValueError`` naming the value and the rule."""
    return _checked(is_label_value(value), value, LABEL_VALUE_HELP)
