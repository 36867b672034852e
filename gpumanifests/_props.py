"""The input boundary: a frozen pydantic base and the Kubernetes string and number types.

Every prop a user types goes through one of these types, so a bad name, label or
quantity is refused at construction with the value and the rule it broke.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from gpumanifests._errors import InvalidInputError
from gpumanifests._kube.quantity import parse_quantity

__all__ = [
    "DnsLabel",
    "DnsSubdomain",
    "LabelKey",
    "LabelValue",
    "Props",
    "Quantity",
    "check_dns_label",
    "check_label_key",
    "check_label_value",
    "matching",
    "parse_props",
]

PropsT = TypeVar("PropsT", bound="Props")


class Props(BaseModel):
    """Base of every input model: immutable, and unknown fields are errors, not silently dropped."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as error:
            raise InvalidInputError.from_validation(
                type(self).__name__, error, arguments=type(self).model_fields
            ) from None


def parse_props(model: type[PropsT], owner: str, **values: Any) -> PropsT:
    """Validate keyword arguments into ``model``; errors name ``owner``, each argument and its value."""
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise InvalidInputError.from_validation(owner, error, arguments=model.model_fields) from None


_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")

DNS_LABEL_HELP = (
    "a DNS-1123 label: at most 63 characters, lowercase letters, digits and '-', "
    "starting and ending with a letter or digit (for example 'metal-ml-training')"
)
DNS_SUBDOMAIN_HELP = (
    "a DNS-1123 subdomain: at most 253 characters, DNS labels joined by '.' (for example 'ml.example.com')"
)
LABEL_KEY_HELP = (
    "a label key: an optional DNS subdomain prefix and '/', then a name of at most 63 characters "
    "of letters, digits, '-', '_' and '.', starting and ending with a letter or digit "
    "(for example 'apple.com/gpu')"
)
LABEL_VALUE_HELP = (
    "a label value: empty, or at most 63 characters of letters, digits, '-', '_' and '.', "
    "starting and ending with a letter or digit (for example 'true')"
)


def check_dns_label(value: str) -> str:
    """Accept a DNS-1123 label (namespace, container and most object names)."""
    if len(value) > 63 or not _DNS_LABEL.match(value):
        raise ValueError(f"{value!r} is not {DNS_LABEL_HELP}")
    return value


def check_dns_subdomain(value: str) -> str:
    """Accept a DNS-1123 subdomain (ConfigMap, RBAC and label-prefix names)."""
    if len(value) > 253 or not all(_DNS_LABEL.match(part) for part in value.split(".")):
        raise ValueError(f"{value!r} is not {DNS_SUBDOMAIN_HELP}")
    return value


def check_label_key(value: str) -> str:
    """Accept a label or taint key: ``[prefix/]name`` as Kubernetes validates it."""
    prefix, _, name = value.rpartition("/")
    if value.count("/") > 1 or len(name) > 63 or not _LABEL_NAME.match(name):
        raise ValueError(f"{value!r} is not {LABEL_KEY_HELP}")
    if "/" in value:
        try:
            check_dns_subdomain(prefix)
        except ValueError:
            raise ValueError(f"{value!r} is not {LABEL_KEY_HELP}") from None
    return value


def check_label_value(value: str) -> str:
    """Accept a label or taint value."""
    if len(value) > 63 or not _LABEL_VALUE.match(value):
        raise ValueError(f"{value!r} is not {LABEL_VALUE_HELP}")
    return value


def matching(pattern: re.Pattern[str], allowed: str) -> AfterValidator:
    """A validator accepting strings that fully match ``pattern``; otherwise ``'<value>' is not <allowed>``."""

    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"{value!r} is not {allowed}")
        return value

    return AfterValidator(check)


def _check_quantity(value: str) -> str:
    parse_quantity(value)
    return value


def _check_positive_quantity(value: str) -> str:
    if parse_quantity(value) <= Fraction(0):
        raise ValueError(f"{value!r} must be greater than zero")
    return value


DnsLabel = Annotated[str, AfterValidator(check_dns_label)]
DnsSubdomain = Annotated[str, AfterValidator(check_dns_subdomain)]
LabelKey = Annotated[str, AfterValidator(check_label_key)]
LabelValue = Annotated[str, AfterValidator(check_label_value)]
Quantity = Annotated[str, AfterValidator(_check_quantity), AfterValidator(_check_positive_quantity)]
