"""Property tests: the input validators agree with independent oracles, and placement holds for any profile.

The oracles are written from the Kubernetes rules (apimachinery's ``IsDNS1123Label``,
``IsQualifiedName`` and ``IsValidLabelValue``), not copied from the package's regexes.
"""

from __future__ import annotations

import string
from fractions import Fraction
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gpumanifests as gm
from gpumanifests._kube.names import check_dns_label, check_dns_subdomain, check_label_key, check_label_value
from gpumanifests._kube.quantity import parse_quantity

if TYPE_CHECKING:
    from collections.abc import Callable

FAST = settings(max_examples=150, deadline=None)
CONSTRUCTS = settings(max_examples=40, deadline=None)

# -- oracles ---------------------------------------------------------------------------------

_ALNUM_LOWER = set(string.ascii_lowercase + string.digits)
_ALNUM = set(string.ascii_letters + string.digits)


def is_dns_label(value: str) -> bool:
    """RFC 1123 label: 1-63 of [a-z0-9-], alphanumeric at both ends."""
    return (
        1 <= len(value) <= 63
        and set(value) <= _ALNUM_LOWER | {"-"}
        and value[0] in _ALNUM_LOWER
        and value[-1] in _ALNUM_LOWER
    )


def is_dns_subdomain(value: str) -> bool:
    return len(value) <= 253 and all(is_dns_label(part) for part in value.split("."))


def is_label_name(value: str) -> bool:
    """The name part of a qualified name: 1-63 of [A-Za-z0-9-_.], alphanumeric at both ends."""
    return 1 <= len(value) <= 63 and set(value) <= _ALNUM | set("-_.") and value[0] in _ALNUM and value[-1] in _ALNUM


def is_label_key(value: str) -> bool:
    if value.count("/") > 1:
        return False
    if "/" in value:
        prefix, name = value.split("/")
        return bool(prefix) and is_dns_subdomain(prefix) and is_label_name(name)
    return is_label_name(value)


def is_label_value(value: str) -> bool:
    return value == "" or is_label_name(value)


def accepts(check: Callable[[str], str], value: str) -> bool:
    try:
        check(value)
    except ValueError:
        return False
    return True


# -- strategies ------------------------------------------------------------------------------

# Mostly near-valid text, so both sides of each rule are exercised.
_label_chars = st.sampled_from(string.ascii_lowercase + string.digits + "-")
_key_chars = st.sampled_from(string.ascii_letters + string.digits + "-_.")
near_dns_label = st.one_of(
    st.text(_label_chars, min_size=0, max_size=70),
    st.text(st.sampled_from(string.ascii_lowercase + string.digits + "-_.A "), max_size=20),
)
valid_dns_label = st.from_regex(r"\A[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z")
valid_label_name = st.from_regex(r"\A[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?\Z")
near_label_name = st.one_of(st.text(_key_chars, max_size=70), st.text(st.sampled_from("aZ9-_./ é"), max_size=10))
near_label_key = st.one_of(
    near_label_name,
    st.builds(
        lambda prefix, name: f"{prefix}/{name}",
        st.lists(near_dns_label, min_size=1, max_size=4).map(".".join),
        near_label_name,
    ),
    st.builds(lambda a, b, c: f"{a}/{b}/{c}", valid_dns_label, valid_label_name, valid_label_name),
)


@FAST
@given(near_dns_label)
def test_dns_label_check_agrees_with_the_rfc_1123_oracle(value: str) -> None:
    assert accepts(check_dns_label, value) == is_dns_label(value)


@FAST
@given(valid_dns_label)
def test_every_valid_dns_label_is_accepted(value: str) -> None:
    assert accepts(check_dns_label, value)


@FAST
@given(st.lists(near_dns_label, min_size=1, max_size=6).map(".".join))
def test_dns_subdomain_check_agrees_with_the_oracle(value: str) -> None:
    assert accepts(check_dns_subdomain, value) == is_dns_subdomain(value)


@FAST
@given(near_label_key)
def test_label_key_check_agrees_with_the_qualified_name_oracle(value: str) -> None:
    assert accepts(check_label_key, value) == is_label_key(value)


@FAST
@given(near_label_name)
def test_label_value_check_agrees_with_the_oracle(value: str) -> None:
    assert accepts(check_label_value, value) == is_label_value(value)


@pytest.mark.parametrize("value", ["a" * 63, "a" * 64, "", "-a", "a-", "a.b", "A"])
def test_dns_label_length_and_edge_cases(value: str) -> None:
    assert accepts(check_dns_label, value) == is_dns_label(value)


# -- quantities --------------------------------------------------------------------------------

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}


@st.composite
def quantities(draw: st.DrawFn) -> tuple[str, Fraction]:
    """A valid quantity string and its exact value (chosen so no nano rounding applies)."""
    whole = draw(st.integers(min_value=0, max_value=10**6))
    decimals = draw(st.integers(min_value=0, max_value=3))
    fraction = draw(st.integers(min_value=0, max_value=10**decimals - 1)) if decimals else 0
    number = f"{whole}.{fraction:0{decimals}d}" if decimals else str(whole)
    mantissa = Fraction(whole) + Fraction(fraction, 10**decimals)
    form = draw(st.sampled_from(["binary", "decimal", "exponent"]))
    if form == "binary":
        suffix = draw(st.sampled_from(sorted(_BINARY)))
        return number + suffix, mantissa * _BINARY[suffix]
    if form == "decimal":
        suffix = draw(st.sampled_from([s for s in _DECIMAL if _DECIMAL[s] >= -6]))
        return number + suffix, mantissa * Fraction(10) ** _DECIMAL[suffix]
    power = draw(st.integers(min_value=-6, max_value=12))
    letter = draw(st.sampled_from("eE"))
    return f"{number}{letter}{power}", mantissa * Fraction(10) ** power


@FAST
@given(quantities())
def test_parse_quantity_is_exact_on_valid_quantities(case: tuple[str, Fraction]) -> None:
    text, value = case
    assert parse_quantity(text) == value


@FAST
@given(st.integers(min_value=0, max_value=2**62))
def test_parse_quantity_of_an_integer_string_is_that_integer(value: int) -> None:
    assert parse_quantity(str(value)) == value


@pytest.mark.parametrize(("text", "value"), [("100m", Fraction(1, 10)), ("0.1", Fraction(1, 10)), ("1Gi", 2**30)])
def test_equivalent_quantities_compare_equal(text: str, value: Fraction) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["1.5.2", "ten", "1Gib", "1 Gi", "--1", "1e", "Gi1"])
def test_fails_text_that_is_not_a_quantity(text: str) -> None:
    with pytest.raises(ValueError, match="not a Kubernetes quantity"):
        parse_quantity(text)


# -- placement over generated profiles -------------------------------------------------------

_label_maps = st.dictionaries(
    st.builds(lambda prefix, name: f"{prefix}/{name}", valid_dns_label, valid_dns_label) | valid_dns_label,
    st.from_regex(r"\A[a-z0-9]([-a-z0-9_.]{0,10}[a-z0-9])?\Z"),
    min_size=1,
    max_size=4,
)


@st.composite
def gpu_profiles(draw: st.DrawFn) -> gm.NodeProfile:
    labels = draw(_label_maps)
    keys = sorted(labels)
    split = draw(st.integers(min_value=1, max_value=len(keys)))
    taint_keys = draw(st.lists(st.sampled_from(keys) | valid_dns_label, min_size=1, max_size=3, unique=True))
    effects = draw(st.lists(st.sampled_from(list(gm.TaintEffect)), min_size=len(taint_keys), max_size=len(taint_keys)))
    values = draw(
        st.lists(st.sampled_from(["", "present", "true"]), min_size=len(taint_keys), max_size=len(taint_keys))
    )
    return gm.NodeProfile(
        name="custom",
        vendor=draw(st.sampled_from([vendor for vendor in gm.Vendor if vendor is not gm.Vendor.NONE])),
        accelerator_labels={key: labels[key] for key in keys[:split]},
        pool_labels={key: labels[key] for key in keys[split:]},
        taints=tuple(
            gm.Taint(key=key, value=value, effect=effect)
            for key, value, effect in zip(taint_keys, values, effects, strict=True)
        ),
        toleration_operator=draw(st.sampled_from(list(gm.TolerationOperator))),
        gpu_resource=draw(st.sampled_from([None, "example.com/gpu"])),
        images={gm.Framework.TENSORFLOW: "tensorflow/tensorflow:2.17.0"},
    )


@CONSTRUCTS
@given(profile=gpu_profiles(), deployment=st.booleans())
def test_any_gpu_workload_requires_exactly_its_profile_labels_and_tolerates_exactly_its_taints(
    profile: gm.NodeProfile, deployment: bool
) -> None:
    cluster = gm.Cluster(
        gm.GitOpsApp(),
        "c",
        nodes=[gm.Node(name="gpu-1", profile=profile, gpus=1)],
        repo=gm.GitRepo(url="https://git.example.com/x.git"),
    )
    component = gm.Component(cluster, "ml")
    construct = gm.GpuDeployment if deployment else gm.GpuJob
    pod = construct(component, "work", profile=profile).render()[0].manifest["spec"]["template"]["spec"]

    (term,) = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    required = {}
    for expression in term["matchExpressions"]:
        assert expression["operator"] == "In"
        assert len(expression["values"]) == 1
        assert expression["key"] not in required
        required[expression["key"]] = expression["values"][0]
    assert required == profile.node_labels

    tolerations = [gm.Toleration(**entry) for entry in pod["tolerations"]]
    assert len(tolerations) == len(profile.taints)
    for taint in profile.taints:
        assert sum(toleration.tolerates(taint) for toleration in tolerations) >= 1
    for toleration in tolerations:
        assert any(toleration.tolerates(taint) for taint in profile.taints)
        assert toleration.key in {taint.key for taint in profile.taints}
