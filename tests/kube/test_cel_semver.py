"""CEL's Kubernetes semver library, against k8s.io/apiserver v0.36.2 ``pkg/cel/library/semver_test.go``."""

from __future__ import annotations

from fractions import Fraction

import pytest

from gpumanifests._kube.cel import CelError, evaluate, quantity_value, semver_value

UPSTREAM = [
    ("parse", 'semver("1.2.3") == semver("1.2.3")', True),
    ("isSemver", 'isSemver("1.2.3-beta.1+build.1")', True),
    ("isSemver_empty_false", 'isSemver("")', False),
    ("isSemver_v_prefix_false", 'isSemver("v1.0.0")', False),
    ("isSemver_v_leading_whitespace_false", 'isSemver(" 1.0.0")', False),
    ("isSemver_v_contains_whitespace_false", 'isSemver("1. 0.0")', False),
    ("isSemver_v_trailing_whitespace_false", 'isSemver("1.0.0 ")', False),
    ("isSemver_leading_zeros_false", 'isSemver("01.01.01")', False),
    ("isSemver_major_only_false", 'isSemver("1")', False),
    ("isSemver_major_minor_only_false", 'isSemver("1.1")', False),
    ("isSemver_empty_normalize_false", 'isSemver("", true)', False),
    ("isSemver_v_leading_whitespace_normalize_false", 'isSemver(" 1.0.0", true)', False),
    ("isSemver_v_contains_whitespace_normalize_false", 'isSemver("1. 0.0", true)', False),
    ("isSemver_v_trailing_whitespace_normalize_false", 'isSemver("1.0.0 ", true)', False),
    ("isSemver_v_prefix_normalize_true", 'isSemver("v1.0.0", true)', True),
    ("isSemver_leading_zeros_normalize_true", 'isSemver("01.01.01", true)', True),
    ("isSemver_major_only_normalize_true", 'isSemver("1", true)', True),
    ("isSemver_major_minor_only_normalize_true", 'isSemver("1.1", true)', True),
    ("equality_normalize", 'semver("v01.01", true) == semver("1.1.0")', True),
    ("equality_reflexivity", 'semver("1.2.3") == semver("1.2.3")', True),
    ("inequality", 'semver("1.2.3") == semver("1.0.0")', False),
    ("semver_less", 'semver("1.0.0").isLessThan(semver("1.2.3"))', True),
    ("semver_less_false", 'semver("1.0.0").isLessThan(semver("1.0.0"))', False),
    ("semver_greater", 'semver("1.2.3").isGreaterThan(semver("1.0.0"))', True),
    ("semver_greater_false", 'semver("1.0.0").isGreaterThan(semver("1.0.0"))', False),
    ("compare_equal", 'semver("1.2.3").compareTo(semver("1.2.3"))', 0),
    ("compare_less", 'semver("1.0.0").compareTo(semver("1.2.3"))', -1),
    ("compare_greater", 'semver("1.2.3").compareTo(semver("1.0.0"))', 1),
    ("major", 'semver("1.2.3").major()', 1),
    ("minor", 'semver("1.2.3").minor()', 2),
    ("patch", 'semver("1.2.3").patch()', 3),
]


@pytest.mark.parametrize(("expression", "expected"), [case[1:] for case in UPSTREAM], ids=[c[0] for c in UPSTREAM])
def test_upstream_semver_case(expression: str, expected: object) -> None:
    assert evaluate(expression, {}) == expected


def test_parse_invalid_version_is_a_runtime_error() -> None:
    """Upstream ``parseInvalidVersion``: ``semver("v1.0")`` fails at evaluation."""
    with pytest.raises(CelError, match="invalid semantic version"):
        evaluate('semver("v1.0")', {})


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        # the precedence chain of semver.org item 11
        ("1.0.0-alpha", "1.0.0-alpha.1"),
        ("1.0.0-alpha.1", "1.0.0-alpha.beta"),
        ("1.0.0-alpha.beta", "1.0.0-beta"),
        ("1.0.0-beta", "1.0.0-beta.2"),
        ("1.0.0-beta.2", "1.0.0-beta.11"),
        ("1.0.0-beta.11", "1.0.0-rc.1"),
        ("1.0.0-rc.1", "1.0.0"),
        ("1.9.0", "1.10.0"),
        ("1.10.0", "1.11.0"),
        ("2.0.0", "10.0.0"),
    ],
)
def test_precedence(lower: str, higher: str) -> None:
    variables = {"a": semver_value(lower), "b": semver_value(higher)}
    assert evaluate("a.isLessThan(b) && b.isGreaterThan(a) && a.compareTo(b) == -1", variables) is True


def test_build_metadata_is_ignored_by_equality() -> None:
    assert evaluate('semver("1.0.0+a") == semver("1.0.0+b")', {}) is True


def test_a_version_attribute_compares_with_a_literal() -> None:
    """The DRA form: version attributes arrive as semver values, not strings."""
    device = {"attributes": {"gpu.nvidia.com": {"driverVersion": semver_value("550.54.15")}}}
    expression = 'device.attributes["gpu.nvidia.com"].driverVersion.isGreaterThan(semver("550.0.0"))'
    assert evaluate(expression, {"device": device}) is True


def test_quantities_still_compare() -> None:
    variables = {"q": quantity_value(Fraction(2**30))}
    assert evaluate('q.compareTo(quantity("1Gi")) == 0 && q.isGreaterThan(quantity("1Mi"))', variables) is True


def test_mixing_a_version_and_a_quantity_fails() -> None:
    with pytest.raises(CelError, match="expected a semver"):
        evaluate('semver("1.0.0").isGreaterThan(quantity("1"))', {})


@pytest.mark.parametrize(
    "text", ["1.2", "01.2.3", "1.2.3-01", "1.2.3-", "1.2.3+", "v1.2.3", "18446744073709551616.0.0"]
)
def test_semver_value_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="semantic version"):
        semver_value(text)
