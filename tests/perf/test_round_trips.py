"""What declaring costs in Node.js: gpumanifests' constructs are not jsii objects.

Only raw L1 objects and the scopes they are declared in (made when the first one is) exist in
the jsii Node.js process; a workload, however many there are, adds no request to it, and an app
without L1 objects never starts Node.js (``test_imports.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import gpumanifests as gm

if TYPE_CHECKING:
    import pytest

REPO = gm.GitRepo(url="https://git.example.com/platform/gitops.git")
A100 = gm.NodeProfile.nvidia_cuda(product="NVIDIA-A100-SXM4-80GB", runtime_class_name="nvidia")


def _requests_to_node(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every request jsii sends to its Node.js process, recorded from now on (``_NodeProcess.send``)."""
    from jsii._kernel.providers import process

    sent: list[object] = []
    send = process._NodeProcess.send

    def recorded(self: Any, request: Any, response_type: Any) -> Any:
        sent.append(request)
        return send(self, request, response_type)

    monkeypatch.setattr(process._NodeProcess, "send", recorded)
    return sent


def test_declaring_and_rendering_workloads_sends_nothing_to_node(monkeypatch: pytest.MonkeyPatch) -> None:
    app = gm.GitOpsApp()
    cluster = gm.Cluster(app, "lab", nodes=[gm.Node(name="gpu-1", profile=A100, gpus=8)], repo=REPO)
    training = gm.Component(cluster, "training")
    sent = _requests_to_node(monkeypatch)
    for index in range(20):
        job = gm.GpuJob(training, f"train-{index}", profile=A100, gpus=1, image="registry.example.com/t:1")
        gm.CpuJob(training, f"prepare-{index}", image="busybox:1.36")
        job.render()
    assert sent == []


def test_a_raw_l1_object_is_created_in_node(monkeypatch: pytest.MonkeyPatch) -> None:
    app = gm.GitOpsApp()
    cluster = gm.Cluster(app, "lab", nodes=[gm.Node(name="cpu-1", profile=gm.NodeProfile.cpu_only())], repo=REPO)
    component = gm.Component(cluster, "settings")
    sent = _requests_to_node(monkeypatch)
    gm.k8s.KubeConfigMap(component, "flags", metadata={"name": "flags"}, data={"mode": "fast"})
    assert any(type(request).__name__ == "CreateRequest" for request in sent)


def _requests_rendering(components: int, holding_l1: int, monkeypatch: pytest.MonkeyPatch) -> int:
    from gpumanifests._synth.render import render_cluster

    app = gm.GitOpsApp()
    nodes = [gm.Node(name="gpu-1", profile=A100, gpus=8, cpu="64", memory="512Gi")]
    cluster = gm.Cluster(app, "lab", nodes=nodes, repo=REPO)
    for index in range(components):
        component = gm.Component(cluster, f"team-{index}")
        gm.CpuJob(component, "prepare", image="busybox:1.36")
        if index < holding_l1:
            gm.k8s.KubeConfigMap(component, "flags", data={"mode": "fast"})
    with monkeypatch.context() as patched:
        sent = _requests_to_node(patched)
        render_cluster(cluster)
    return len(sent)


def test_rendering_asks_node_only_about_components_holding_l1_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    """A component's raw L1 objects come from one ``find_all``; a component without any asks nothing."""
    assert _requests_rendering(12, 0, monkeypatch) == 0
    assert _requests_rendering(12, 1, monkeypatch) == _requests_rendering(1, 1, monkeypatch) > 0
