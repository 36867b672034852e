"""The one copy of Kubernetes' name rules, as apimachinery's validators state them."""

from __future__ import annotations

import pytest

import gpumanifests as gm
from gpumanifests._kube.names import (
    dns_label_errors,
    dns_subdomain_errors,
    is_label_value,
    is_qualified_name,
    label_value_errors,
    qualified_name_errors,
)
from gpumanifests.scheduling import matches_node_selector_term


@pytest.mark.parametrize(
    ("validator", "value"),
    [
        (dns_label_errors, "job\n"),
        (dns_subdomain_errors, "ml.example.com\n"),
        (qualified_name_errors, "apple.com/gpu\n"),
        (label_value_errors, "true\n"),
    ],
)
def test_fails_on_a_trailing_newline_as_go_regexps_do(validator: object, value: str) -> None:
    """Go's ``^...$`` never matches before a final newline; Python's ``$`` does, so the rules use fullmatch."""
    assert validator(value)  # type: ignore[operator]


def test_fails_a_workload_name_with_a_trailing_newline() -> None:
    cluster = gm.Cluster(
        gm.GitOpsApp(),
        "lab",
        nodes=[gm.Node(name="cpu-1", profile=gm.NodeProfile.cpu_only())],
        repo=gm.GitRepo(url="https://git.example.com/platform/gitops.git"),
    )
    with pytest.raises(gm.InvalidInputError, match="is not a DNS-1123 label"):
        gm.CpuJob(gm.Component(cluster, "jobs"), "job\n", image="busybox:1.36.1")


@pytest.mark.parametrize(
    ("key", "errors"),
    [
        ("apple.com/gpu", []),
        ("gpu-type", []),
        ("/gpu", ["prefix part must be non-empty"]),
        ("a/b/c", ["must be a name with an optional DNS subdomain prefix and '/'"]),
        (
            "Apple.com/gpu",
            ["prefix part must be DNS labels of lower case alphanumeric characters or '-' joined by '.'"],
        ),
        ("x" * 64, ["name part must be no more than 63 characters"]),
        ("apple.com/", ["name part must be non-empty"]),
    ],
)
def test_qualified_names_follow_is_qualified_name(key: str, errors: list[str]) -> None:
    assert qualified_name_errors(key) == errors


def test_label_values_may_be_empty_but_not_longer_than_63() -> None:
    assert is_label_value("")
    assert not is_label_value("v" * 64)


def test_the_scheduler_model_and_the_input_models_share_the_label_key_rule() -> None:
    """A term with a key the input models refuse matches nothing in the filter model, for the same reason."""
    node = {"metadata": {"name": "n", "labels": {"ok": "true"}}}
    for key in ("ok", "/ok", "a/b/ok", "ok\n"):
        term = {"matchExpressions": [{"key": key, "operator": "Exists"}]}
        assert matches_node_selector_term(term, node) == (is_qualified_name(key) and key == "ok")
