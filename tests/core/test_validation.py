"""Our compiled schema validation agrees with kubernetes_validate's strict verdict, object by object."""

from __future__ import annotations

import copy
from typing import Any

import kubernetes_validate
import pytest

import gpumanifests as gm
from gpumanifests._kube.schemas import schema_errors

JOB: dict[str, Any] = {
    "apiVersion": "batch/v1",
    "kind": "Job",
    "metadata": {"name": "train", "namespace": "ml"},
    "spec": {
        "backoffLimit": 2,
        "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox:1.36.1"}]}},
    },
}


def _edited(path: tuple[str | int, ...], value: object) -> dict[str, Any]:
    manifest = copy.deepcopy(JOB)
    target: Any = manifest
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return manifest


CASES = {
    "valid": JOB,
    "unknown-field": _edited(("spec", "bogus"), 1),
    "wrong-type": _edited(("spec", "backoffLimit"), "two"),
    "containers-missing": _edited(("spec", "template", "spec"), {"restartPolicy": "Never"}),
    "container-without-name": _edited(("spec", "template", "spec", "containers"), [{"image": "busybox:1.36.1"}]),
    "unknown-container-field": _edited(("spec", "template", "spec", "containers", 0, "gpu"), 1),
    "quantity-as-object": _edited(
        ("spec", "template", "spec", "containers", 0, "resources"), {"limits": {"cpu": {"n": 1}}}
    ),
}


def _kubernetes_validate_accepts(manifest: dict[str, Any]) -> bool:
    try:
        kubernetes_validate.validate(manifest, gm.DEFAULT_KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError:
        return False
    return True


@pytest.mark.parametrize("case", CASES)
def test_verdict_matches_kubernetes_validate(case: str) -> None:
    manifest = CASES[case]
    errors = schema_errors(manifest, version=gm.DEFAULT_KUBERNETES_VERSION)
    assert errors is not None
    assert (errors == []) == _kubernetes_validate_accepts(manifest)


def test_errors_name_the_field() -> None:
    errors = schema_errors(CASES["wrong-type"], version=gm.DEFAULT_KUBERNETES_VERSION)
    assert errors is not None
    assert any(error.startswith("spec.backoffLimit:") for error in errors)


def test_an_unknown_kind_has_no_schema() -> None:
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    assert schema_errors(widget, version=gm.DEFAULT_KUBERNETES_VERSION) is None
