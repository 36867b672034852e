"""Kubernetes resource quantities, parsed exactly as the API server parses them.

A quantity is ``<signed number><suffix>`` where the suffix is a binary SI suffix
(``Ki Mi Gi Ti Pi Ei``), a decimal SI suffix (``n u m "" k M G T P E``) or a decimal
exponent (``e3``, ``E-2``). The value is returned as a :class:`fractions.Fraction`,
so ``"0.1"`` and ``"100m"`` compare equal and no float rounding ever happens.

The grammar follows apimachinery's ``ParseQuantity`` scanner, quirks included: the number
may be empty (``"."``, ``"+"`` and a bare ``"Mi"`` are all zero), a decimal exponent is
truncated to 32 bits, and a non-zero value is rounded away from zero to a whole nano
(``"1e-12"`` is ``1n``), the finest precision a Kubernetes quantity keeps. Only an exponent
far beyond any resource amount (such as ``1e2000000``) is refused instead of being expanded.

See https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/
"""

from __future__ import annotations

import functools
import math
import re
from fractions import Fraction

__all__ = ["QUANTITY_HELP", "format_cpu", "parse_quantity"]

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
# The scanner's shape: sign, digits, an optional fraction, then suffix letters, a sign and digits.
_SHAPE = re.compile(
    r"(?P<sign>[+-]?)(?P<whole>[0-9]*)(?:\.(?P<fraction>[0-9]*))?(?P<suffix>[eEinumkKMGTP]*[+-]?[0-9]*)"
)
_EXPONENT = re.compile(r"[eE](?P<power>[+-]?[0-9]+)")
_INT64 = 2**63
_NANO = Fraction(1, 10**9)
# A power of ten this far beyond the digits of the text cannot be balanced by them: the value is
# then below one nano (and rounds to it) or absurdly large for a resource amount.
_POWER_MARGIN = 1000

QUANTITY_HELP = (
    "a Kubernetes quantity: a number with an optional suffix "
    "Ki Mi Gi Ti Pi Ei, n u m k M G T P E, or an exponent like 1e3 (for example 500m, 2, 4Gi)"
)


def parse_quantity(value: str | int) -> Fraction:
    """Return the exact value of a Kubernetes quantity such as ``"1.5Gi"`` or ``"250m"``.

    Raises ``ValueError`` naming the bad value and the allowed forms.
    """
    if isinstance(value, str):
        return _parse_text(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{value!r} is not {QUANTITY_HELP}")
    return Fraction(value)


@functools.lru_cache(maxsize=4096)
def _parse_text(value: str) -> Fraction:
    """:func:`parse_quantity` of a string; cached, as a Fraction is immutable and the same few
    quantities recur across every pod and node.
    """
    shape = _SHAPE.fullmatch(value)
    if not value or shape is None:
        raise ValueError(f"{value!r} is not {QUANTITY_HELP}")
    digits = shape["whole"] + (shape["fraction"] or "")
    mantissa = Fraction(int(digits or "0"), 10 ** len(shape["fraction"] or ""))
    if shape["sign"] == "-":
        mantissa = -mantissa
    return _round_to_nano(_scaled(mantissa, shape["suffix"], value))


def _scaled(mantissa: Fraction, suffix: str, text: str) -> Fraction:
    """``mantissa`` times the suffix's multiplier, as ``ParseQuantity`` interprets the suffix."""
    if suffix in _DECIMAL:
        return mantissa * _power_of_ten(_DECIMAL[suffix])
    if suffix in _BINARY:
        return mantissa * _BINARY[suffix]
    exponent = _EXPONENT.fullmatch(suffix)
    if exponent is None or not -_INT64 <= int(exponent["power"]) < _INT64:
        raise ValueError(f"{text!r} is not {QUANTITY_HELP}")
    return _times_power_of_ten(mantissa, _as_int32(int(exponent["power"])), text)


def _times_power_of_ten(mantissa: Fraction, power: int, text: str) -> Fraction:
    """``mantissa * 10**power`` without expanding a power that no digit of ``text`` can balance."""
    reach = len(text) + _POWER_MARGIN
    if power > reach and mantissa:
        raise ValueError(f"{text!r} is too large to be a resource amount")
    if power < -reach:
        return _sign(mantissa) * _NANO
    return mantissa * _power_of_ten(power)


def _power_of_ten(power: int) -> Fraction:
    return Fraction(10**power) if power >= 0 else Fraction(1, 10**-power)


def _sign(amount: Fraction) -> int:
    return (amount > 0) - (amount < 0)


def _as_int32(number: int) -> int:
    """Go's ``int32(number)``: keep the low 32 bits, as two's complement."""
    return (number + 2**31) % 2**32 - 2**31


def _round_to_nano(amount: Fraction) -> Fraction:
    """Round away from zero to a whole number of nano units, as ``ParseQuantity`` does."""
    return _sign(amount) * math.ceil(abs(amount) / _NANO) * _NANO


def format_cpu(cores: Fraction) -> str:
    """Canonical CPU quantity: whole cores as ``"2"``, anything else in millicores (``"1500m"``)."""
    if cores.denominator == 1:
        return str(cores.numerator)
    return f"{round(cores * 1000)}m"
