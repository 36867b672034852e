"""Property: any valid input through the public API synthesizes, and every object written passes the API server's rules.

Hypothesis draws clusters of CPU and NVIDIA nodes with Jobs and Deployments of random names,
labels, env, resources, replicas, ports and tolerations, all within what Kubernetes accepts.
Each must synthesize without error (no library refusal of a valid input, no traceback), and
every object read back from the written YAML must pass the cluster's schema and the API
server's own validation (:mod:`gpumanifests._kube.apiserver`), the rules synth enforces.
"""

from __future__ import annotations

import string
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gpumanifests as gm
from gpumanifests._kube.schemas import KindRegistry

URL = "https://git.example.com/platform/gitops.git"
CPU = gm.NodeProfile.cpu_only()
NVIDIA = gm.NodeProfile.nvidia_cuda()
RESERVED_LABELS = ("app.kubernetes.io/", "gpumanifests.io/", "job-name", "controller-uid", "batch.kubernetes.io/")

_alnum = string.ascii_lowercase + string.digits
names = st.builds(
    lambda head, middle, tail: head + middle + tail,
    st.sampled_from(string.ascii_lowercase),
    st.text(_alnum + "-", max_size=12),
    st.sampled_from(_alnum),
)
label_keys = st.builds(
    lambda prefix, name: f"{prefix}/{name}" if prefix else name,
    st.sampled_from(["", "example.com", "team.example.org"]),
    st.from_regex(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,20}[A-Za-z0-9])?", fullmatch=True),
).filter(lambda key: not key.startswith(RESERVED_LABELS))
label_values = st.from_regex(r"(([A-Za-z0-9][-A-Za-z0-9_.]{0,20})?[A-Za-z0-9])?", fullmatch=True)
env_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,15}", fullmatch=True)
env_values = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
millicores = st.integers(min_value=10, max_value=900).map(lambda value: f"{value}m")
mebibytes = st.integers(min_value=16, max_value=900).map(lambda value: f"{value}Mi")
tolerations = st.builds(
    lambda key, seconds: gm.Toleration(
        key=key, operator=gm.TolerationOperator.EXISTS, effect=gm.TaintEffect.NO_EXECUTE, toleration_seconds=seconds
    ),
    st.sampled_from(["node.kubernetes.io/unreachable", "node.kubernetes.io/not-ready"]),
    st.integers(min_value=0, max_value=2**40),
)


@st.composite
def workloads(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "kind": draw(st.sampled_from(["CpuJob", "CpuDeployment", "GpuJob", "GpuDeployment"])),
        "labels": draw(st.dictionaries(label_keys, label_values, max_size=3)),
        "env": draw(st.dictionaries(env_names, env_values, max_size=3)),
        "cpu": draw(millicores),
        "memory": draw(mebibytes),
        "replicas": draw(st.integers(min_value=0, max_value=3)),
        "port": draw(st.none() | st.integers(min_value=1, max_value=65535)),
        "backoff_limit": draw(st.integers(min_value=0, max_value=2**31 - 1)),
        "tolerations": draw(st.lists(tolerations, max_size=2)),
    }


def _declare(app: gm.GitOpsApp, drawn: list[tuple[str, dict[str, Any]]]) -> None:
    nodes = [
        gm.Node(name="cpu-1", profile=CPU, cpu="64", memory="256Gi"),
        # room for every drawn pod at once: at most 4 GPU workloads of 3 replicas, a GPU each
        gm.Node(name="gpu-1", profile=NVIDIA, gpus=12, cpu="64", memory="512Gi"),
    ]
    component = gm.Component(gm.Cluster(app, "fuzz", nodes=nodes, repo=gm.GitRepo(url=URL)), "work")
    image = "registry.example.com/app:1.0.0"
    for name, spec in drawn:
        common: dict[str, Any] = {"labels": spec["labels"], "env": spec["env"], "cpu": spec["cpu"]}
        common |= {"memory": spec["memory"], "cpu_limit": "1", "memory_limit": "2Gi"}
        kind = spec["kind"]
        if kind.endswith("Job"):
            common["backoff_limit"] = spec["backoff_limit"]
        else:
            common |= {"replicas": spec["replicas"], "port": spec["port"]}
        if kind.startswith("Gpu"):
            workload: gm.Workload[Any] = getattr(gm, kind)(component, name, profile=NVIDIA, image=image, **common)
        else:
            workload = getattr(gm, kind)(component, name, image=image, **common)
        workload.tolerate(*spec["tolerations"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(names, workloads()), min_size=1, max_size=4, unique_by=lambda pair: pair[0]))
def test_valid_inputs_synthesize_into_objects_the_api_server_accepts(drawn: list[tuple[str, dict[str, Any]]]) -> None:
    app = gm.GitOpsApp()
    _declare(app, drawn)
    synthesis = gm.synthesize(app)
    registry = KindRegistry(gm.DEFAULT_KUBERNETES_VERSION)
    checked = 0
    for path, content in synthesis.files.items():
        if not path.endswith(".yaml") or "/node-setup/" in path:
            continue
        manifest = yaml.safe_load(content)
        if not registry.is_builtin(manifest["apiVersion"], manifest["kind"]):
            continue
        assert registry.check(manifest) == [], path
        checked += 1
    assert checked >= len(drawn)
