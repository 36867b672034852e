"""What the public API promises, each checked: late calls, patches in the pod spec, grouping scopes, URLs."""

from __future__ import annotations

import pytest

import gpumanifests as gm

REPO = gm.GitRepo(url="https://git.example.com/platform/gitops.git")
IMAGE = "busybox:1.36.1"


def _cluster(**options: object) -> gm.Cluster:
    nodes = [gm.Node(name="cpu-1", profile=gm.NodeProfile.cpu_only())]
    return gm.Cluster(gm.GitOpsApp(), "lab", nodes=nodes, repo=REPO, **options)  # type: ignore[arg-type]


def test_fails_on_a_server_that_is_not_an_api_server_url_at_construction() -> None:
    with pytest.raises(
        gm.InvalidInputError, match=r"Cluster 'lab': server='kubernetes\.default': .* is not an https:// URL"
    ):
        _cluster(server="kubernetes.default")


def test_a_server_url_reaches_every_destination() -> None:
    cluster = _cluster(server="https://api.lab.example.com:6443")
    gm.CpuJob(gm.Component(cluster, "jobs"), "job", image=IMAGE)
    files = gm.synthesize(cluster.app).files
    application = files["clusters/lab/apps/argocd_application.argoproj.io_jobs.yaml"].decode()
    assert "server: https://api.lab.example.com:6443" in application
