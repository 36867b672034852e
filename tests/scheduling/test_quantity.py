"""Quantities parse exactly, with every suffix and the quirks of apimachinery's ParseQuantity."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpumanifests._kube.quantity import QUANTITY_HELP, format_cpu, parse_quantity


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1Ki", 2**10),
        ("1Mi", 2**20),
        ("1Gi", 2**30),
        ("1Ti", 2**40),
        ("1Pi", 2**50),
        ("1Ei", 2**60),
        ("1n", Fraction(1, 10**9)),
        ("1u", Fraction(1, 10**6)),
        ("1m", Fraction(1, 10**3)),
        ("1", 1),
        ("1k", 10**3),
        ("1M", 10**6),
        ("1G", 10**9),
        ("1T", 10**12),
        ("1P", 10**15),
        ("1E", 10**18),
        ("1e3", 10**3),
        ("1E3", 10**3),
        ("1e+3", 10**3),
        ("1e-3", Fraction(1, 10**3)),
        ("1.5e3", 1500),
    ],
)
def test_every_suffix_scales_the_number(text: str, value: Fraction) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0.1", Fraction(1, 10)),
        ("100m", Fraction(1, 10)),
        ("1.5Gi", 3 * 2**29),
        ("2.5", Fraction(5, 2)),
        ("-2", -2),
        ("+2", 2),
        (".5", Fraction(1, 2)),
        ("5.", 5),
        ("007", 7),
        ("1.Gi", 2**30),
    ],
)
def test_numbers_are_exact_fractions(text: str, value: Fraction) -> None:
    parsed = parse_quantity(text)

    assert parsed == value
    assert isinstance(parsed, Fraction)


def test_decimal_values_add_up_without_float_error() -> None:
    assert parse_quantity("0.1") + parse_quantity("0.2") == parse_quantity("300m")


def test_integers_are_taken_as_they_are() -> None:
    assert parse_quantity(4) == 4


@pytest.mark.parametrize("text", ["+", "-", ".", "Mi", "-0", "000", "0.0e9"])
def test_an_empty_or_zero_number_is_zero_as_in_kubernetes(text: str) -> None:
    assert parse_quantity(text) == 0


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1e-12", Fraction(1, 10**9)),
        ("1.5n", Fraction(2, 10**9)),
        ("-1.5n", Fraction(-2, 10**9)),
        ("0.1m", Fraction(1, 10**4)),
        ("1e-2000", Fraction(1, 10**9)),
    ],
)
def test_values_round_away_from_zero_to_a_whole_nano(text: str, value: Fraction) -> None:
    assert parse_quantity(text) == value


def test_a_decimal_exponent_is_truncated_to_32_bits_as_in_kubernetes() -> None:
    assert parse_quantity(f"1e{2**32 + 3}") == 1000


@pytest.mark.parametrize(
    "text",
    [
        "",
        " 1",
        "1 ",
        "1K",
        "1mi",
        "1Ki3",
        "1e",
        "1e+",
        "1ee3",
        "1e3.5",
        "1.1.1",
        "1,5",
        "abc",
        "1Gb",
        "\u0661",  # a non-ASCII digit
        f"1e{2**63}",
    ],
)
def test_a_malformed_quantity_raises_naming_the_value(text: str) -> None:
    with pytest.raises(ValueError, match="is not a Kubernetes quantity") as raised:
        parse_quantity(text)

    assert repr(text) in str(raised.value)
    assert QUANTITY_HELP in str(raised.value)


@pytest.mark.parametrize("value", [True, 1.5, None])
def test_values_of_other_types_are_refused(value: object) -> None:
    with pytest.raises(ValueError, match=repr(value)):
        parse_quantity(value)  # type: ignore[arg-type]


def test_an_astronomical_exponent_is_refused_rather_than_expanded() -> None:
    with pytest.raises(ValueError, match="'1e2000000' is too large"):
        parse_quantity("1e2000000")


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_millis_are_thousandths(millis: int) -> None:
    assert parse_quantity(f"{millis}m") == Fraction(millis, 1000)


@given(st.decimals(allow_nan=False, allow_infinity=False, places=9, min_value=-(10**9), max_value=10**9))
def test_plain_decimals_parse_to_their_exact_value(number: object) -> None:
    text = f"{number:f}"

    assert parse_quantity(text) == Fraction(text)


@pytest.mark.parametrize(
    ("cores", "text"), [(Fraction(2), "2"), (Fraction(3, 2), "1500m"), (Fraction(1, 1000), "1m"), (Fraction(0), "0")]
)
def test_format_cpu_writes_whole_cores_or_millicores(cores: Fraction, text: str) -> None:
    assert format_cpu(cores) == text
