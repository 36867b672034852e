"""The input boundary: a frozen pydantic base and the typed Kubernetes strings and quantities.

Every prop a user types goes through one of these types, so a bad name, label or
quantity is refused at construction with the value and the rule it broke.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError

from gpumanifests._errors import InvalidInputError
from gpumanifests._kube.limits import INT_RANGES
from gpumanifests._kube.names import (
    check_dns_label,
    check_dns_subdomain,
    check_extended_resource_name,
    check_label_key,
    check_label_value,
)
from gpumanifests._kube.quantity import parse_quantity

__all__ = [
    "DnsLabel",
    "DnsSubdomain",
    "ExtendedResourceName",
    "Image",
    "Int32",
    "Int64",
    "LabelKey",
    "LabelValue",
    "Props",
    "Quantity",
    "QuotaQuantity",
    "matching",
    "parse_props",
]

PropsT = TypeVar("PropsT", bound="Props")


class Props(BaseModel):
    """Base of every input model: immutable, and unknown fields are errors, not silently dropped.

    A model's validator is built when it is first used (``defer_build``), so a run pays only for
    the models its apps use.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True, defer_build=True)

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


_IMAGE = re.compile(
    r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?"
)
"""An image reference (the distribution reference grammar): ``[registry/]repository[:tag][@sha256:digest]``."""

DnsLabel = Annotated[str, AfterValidator(check_dns_label)]
DnsSubdomain = Annotated[str, AfterValidator(check_dns_subdomain)]
LabelKey = Annotated[str, AfterValidator(check_label_key)]
LabelValue = Annotated[str, AfterValidator(check_label_value)]
ExtendedResourceName = Annotated[str, AfterValidator(check_extended_resource_name)]
Image = Annotated[
    str,
    matching(
        _IMAGE,
        "an image reference: [registry/]repository[:tag][@sha256:digest], for example 'tensorflow/tensorflow:2.17.0'",
    ),
]


def _check_not_negative(value: str) -> str:
    if parse_quantity(value) < Fraction(0):
        raise ValueError(f"{value!r} must not be negative")
    return value


def _quantity_text(value: object) -> object:
    """A number given for a quantity is refused with the string to write instead (``cpu=1``: ``'1'``)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f"a quantity is a string: write {str(value)!r}")
    return value


Quantity = Annotated[
    str, BeforeValidator(_quantity_text), AfterValidator(_check_quantity), AfterValidator(_check_positive_quantity)
]
"""A quantity greater than zero (requests, limits, capacities)."""
QuotaQuantity = Annotated[
    str, BeforeValidator(_quantity_text), AfterValidator(_check_quantity), AfterValidator(_check_not_negative)
]
"""A quantity of zero or more (a quota may be zero)."""


def _fits(form: str) -> AfterValidator:
    """A validator refusing integers the API field's Go type (``int32``/``int64``) cannot hold."""
    low, high = INT_RANGES[form]

    def check(value: int) -> int:
        if not low <= value <= high:
            raise ValueError(
                f"{value} does not fit the API field, a {form.removeprefix('int')}-bit integer (at most {high})"
            )
        return value

    return AfterValidator(check)


Int32 = Annotated[int, _fits("int32")]
"""An integer an ``int32`` API field holds (counts, seconds of probes and Jobs' TTLs)."""
Int64 = Annotated[int, _fits("int64")]
"""An integer an ``int64`` API field holds (``activeDeadlineSeconds``, ``tolerationSeconds``)."""
