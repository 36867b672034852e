"""The supported Kubernetes minors: one table drives the L1 bindings, the schemas and the images."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import pytest

import gpumanifests as gm
from gpumanifests._kube.versions import L1_MINOR, l1_module

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_the_l1_dependency_is_the_pinned_minor() -> None:
    dependencies = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    plus = [dependency for dependency in dependencies if dependency.startswith("cdk8s-plus-")]
    assert plus
    assert all(dependency.startswith(f"cdk8s-plus-{L1_MINOR}") for dependency in plus)
    assert l1_module().__name__ == f"cdk8s_plus_{L1_MINOR}.k8s"
    assert gm.k8s.__name__ == l1_module().__name__
    assert gm.k8s.KubeConfigMap is l1_module().KubeConfigMap  # the same classes, their constructors guarded


@pytest.mark.parametrize("version", gm.SUPPORTED_KUBERNETES_VERSIONS)
def test_strict_schemas_of_every_supported_minor_ship_with_kubernetes_validate(version: str) -> None:
    schemas = resources.files("kubernetes_validate").joinpath("kubernetes-json-schema", f"v{version}.0-local-strict")
    assert schemas.joinpath("job-batch-v1.json").is_file()
