"""Reserved namespaces, bounded cost and bounded messages.

A component may not take over a namespace Kubernetes or Argo CD uses; a cluster larger than
Kubernetes supports is refused before the placement proof models it; and every message stays
short however large the input, saying how much it left out.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

import gpumanifests as gm
from gpumanifests._errors import MESSAGE_MAX, PROBLEMS_MAX, Problem, SynthError

URL = "https://git.example.com/platform/gitops.git"
CPU = gm.NodeProfile.cpu_only()
IMAGE = "busybox:1.36.1"


def _cluster(app: gm.GitOpsApp, **options: Any) -> gm.Cluster:
    options.setdefault("nodes", [gm.Node(name="cpu-1", profile=CPU)])
    return gm.Cluster(app, "c", repo=gm.GitRepo(url=URL), **options)


@pytest.mark.parametrize("namespace", ["kube-system", "kube-public", "kube-node-lease", "default"])
def test_a_component_cannot_take_a_system_namespace(namespace: str) -> None:
    with pytest.raises(gm.InvalidInputError) as error:
        gm.Component(_cluster(gm.GitOpsApp()), "tools", namespace=namespace)
    assert f"namespace={namespace!r}" in str(error.value)
    assert "a namespace Kubernetes itself uses" in str(error.value)


def test_a_component_cannot_take_the_argo_cd_namespace() -> None:
    cluster = _cluster(gm.GitOpsApp(), argocd_namespace="gitops-system")
    with pytest.raises(gm.InvalidInputError, match="namespace='gitops-system' is the cluster's Argo CD namespace"):
        gm.Component(cluster, "tools", namespace="gitops-system")


def test_more_nodes_than_a_cluster_has_are_refused_at_once() -> None:
    nodes = [gm.Node(name=f"n{index}", profile=CPU) for index in range(5001)]
    with pytest.raises(gm.InvalidInputError, match="a Kubernetes cluster has at most 5000 nodes"):
        _cluster(gm.GitOpsApp(), nodes=nodes)


def test_more_pods_than_a_cluster_runs_are_refused_before_placing_them() -> None:
    app = gm.GitOpsApp()
    gm.CpuDeployment(gm.Component(_cluster(app), "web"), "api", image=IMAGE, replicas=2**31 - 1)
    started = time.monotonic()
    with pytest.raises(gm.InvalidInputError) as error:
        gm.synthesize(app)
    assert time.monotonic() - started < 5
    assert "2147483647" in str(error.value)
    assert "a Kubernetes cluster runs at most 150000" in str(error.value)


def test_replicas_patched_past_int32_are_refused_as_the_api_server_would() -> None:
    app = gm.GitOpsApp()
    api = gm.CpuDeployment(gm.Component(_cluster(app), "web"), "api", image=IMAGE)
    api.add_json_patch(gm.JsonPatch.replace("/spec/replicas", 2**31))
    with pytest.raises(gm.SynthError, match=r"spec\.replicas: 2147483648 is greater than the maximum of 2147483647"):
        gm.synthesize(app)


INT_FIELDS = {
    "replicas": ("CpuDeployment", 32),
    "max_surge": ("CpuDeployment", 32),
    "backoff_limit": ("CpuJob", 32),
    "parallelism": ("CpuJob", 32),
    "completions": ("CpuJob", 32),
    "active_deadline_seconds": ("CpuJob", 64),
}


@pytest.mark.parametrize(("option", "construct", "bits"), [(k, *v) for k, v in INT_FIELDS.items()], ids=INT_FIELDS)
def test_integers_past_their_api_fields_go_type_are_refused_at_construction(
    option: str, construct: str, bits: int
) -> None:
    """Each option's API field is a Go int32 or int64 (apps/v1 DeploymentSpec, batch/v1 JobSpec)."""
    component = gm.Component(_cluster(gm.GitOpsApp()), "web")
    largest = 2 ** (bits - 1) - 1
    getattr(gm, construct)(component, "largest", image=IMAGE, **{option: largest})
    with pytest.raises(gm.InvalidInputError) as error:
        getattr(gm, construct)(component, "past", image=IMAGE, **{option: largest + 1})
    assert f"{option}={largest + 1}: {largest + 1} does not fit the API field, a {bits}-bit integer" in str(error.value)


@pytest.mark.parametrize("option", ["initial_delay_seconds", "period_seconds", "failure_threshold"])
def test_probe_integers_are_int32(option: str) -> None:
    with pytest.raises(gm.InvalidInputError, match=f"{option}=2147483648: .* a 32-bit integer"):
        gm.Probe.http(path="/healthz", port=8080, **{option: 2**31})


def test_toleration_seconds_is_int64() -> None:
    with pytest.raises(gm.InvalidInputError, match="a 64-bit integer"):
        gm.Toleration(key="k", effect=gm.TaintEffect.NO_EXECUTE, toleration_seconds=2**63)


def test_an_overflow_of_many_replicas_is_fast_and_its_message_short() -> None:
    app = gm.GitOpsApp()
    gm.CpuDeployment(gm.Component(_cluster(app), "web"), "api", image=IMAGE, replicas=100_000)
    started = time.monotonic()
    with pytest.raises(gm.SynthError) as error:
        gm.synthesize(app)
    assert time.monotonic() - started < 10
    message = str(error.value)
    assert re.search(r"no node has room left for api-\d+, api-\d+, .* and 99\d\d\d more", message)
    assert len(message) < 1000


def test_a_long_value_is_cut_in_the_message_with_a_count() -> None:
    with pytest.raises(gm.InvalidInputError) as error:
        gm.CpuJob(gm.Component(_cluster(gm.GitOpsApp()), "web"), "work", image=IMAGE, labels={"a": "b " * 50_000})
    assert len(str(error.value)) < MESSAGE_MAX + 1000
    assert "more characters)" in str(error.value)


def test_a_synth_error_prints_a_bounded_number_of_bounded_problems() -> None:
    problems = [Problem(f"c/ml/w{index}", "x" * (MESSAGE_MAX * 2)) for index in range(PROBLEMS_MAX + 5)]
    text = str(SynthError(problems))
    assert f"synth failed with {PROBLEMS_MAX + 5} problems" in text
    assert text.endswith("... and 5 more problems")
    assert f"({MESSAGE_MAX} more characters)" in text
    assert len(text.splitlines()) == PROBLEMS_MAX + 2
