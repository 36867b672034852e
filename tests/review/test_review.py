"""``gpumanifests diff``: created, changed and deleted objects per cluster and Application."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

import pytest

import gpumanifests as gm
from gpumanifests._cli.commands import run_diff
from gpumanifests._output.tree import write_tree
from gpumanifests._synth.diff import field_changes, review_diff

if TYPE_CHECKING:
    from pathlib import Path

REPO = gm.GitRepo(url="https://git.example.com/platform/gpumanifests.git")
METAL = gm.NodeProfile.apple_metal()


def _synth(
    *,
    image: str = "tensorflow/tensorflow:2.16.1",
    server: bool = True,
    extra: bool = False,
    server_image: str = "registry.k8s.io/e2e-test-images/agnhost:2.52",
) -> gm.Synthesis:
    app = gm.GitOpsApp()
    cluster = gm.Cluster(
        app,
        "lab",
        nodes=[
            gm.Node(name="cp", role=gm.NodeRole.CONTROL_PLANE, profile=gm.NodeProfile.cpu_only()),
            gm.Node(name="gpu", profile=METAL, gpus=1, cpu="8", memory="16Gi"),
        ],
        repo=REPO,
    )
    ml = gm.Component(cluster, "ml", namespace="ml")
    gm.GpuJob(ml, "metal-train", profile=METAL, image=image, command=["python", "-c", "print(1)"])
    api = gm.Component(cluster, "api", namespace="api")
    if server:
        gm.CpuDeployment(api, "server", image=server_image, port=8080)
    if extra:
        gm.CpuJob(api, "migrate-db", image="busybox:1.36.1", command=["true"])
    return gm.synthesize(app)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    tree = tmp_path / "gitops"
    write_tree(tree, _synth().files)
    return tree


def _section(report: str, application: str) -> list[str]:
    """The lines of one Application's block in the report."""
    lines = report.splitlines()
    start = lines.index(f"  application {application}:")
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith("    ")), len(lines))
    return lines[start + 1 : end]


def test_identical_tree_has_no_changes(out: Path) -> None:
    assert review_diff(out, _synth().files) == "no changes\n"


def test_changed_image_is_reported_with_its_field_path(out: Path) -> None:
    """A run-once Job's new spec is a new run, beside the previous one, with the fields that changed."""
    report = review_diff(out, _synth(image="tensorflow/tensorflow:2.17.0").files)
    assert report.splitlines()[0] == "cluster lab:"
    [new_run, name_change, image_change] = _section(report, "ml")
    assert new_run.startswith("    new run: Job ml/metal-train-")
    assert "(the previous run, metal-train-" in new_run
    assert new_run.endswith(", is left to finish: Prune=false)")
    assert name_change.startswith("      metadata.name: metal-train-")
    assert image_change == (
        "      spec.template.spec.containers[0].image: tensorflow/tensorflow:2.16.1 -> tensorflow/tensorflow:2.17.0"
    )
    assert report.endswith("1 created, 0 changed, 0 deleted\n")


def test_changed_deployment_image_is_a_change_in_place(out: Path) -> None:
    report = review_diff(out, _synth(server_image="registry.k8s.io/e2e-test-images/agnhost:2.53").files)
    assert _section(report, "api") == [
        "    changed: Deployment api/server",
        "      spec.template.spec.containers[0].image: registry.k8s.io/e2e-test-images/agnhost:2.52 -> "
        "registry.k8s.io/e2e-test-images/agnhost:2.53",
    ]


def test_a_removed_run_once_job_is_kept_not_deleted(tmp_path: Path) -> None:
    tree = tmp_path / "gitops"
    write_tree(tree, _synth(extra=True).files)
    [kept] = _section(review_diff(tree, _synth().files), "api")
    assert kept.startswith("    kept: Job api/migrate-db-")
    assert kept.endswith("(no longer in git; Prune=false leaves it in the cluster)")


def test_removed_workload_is_deleted_in_its_application(out: Path) -> None:
    report = review_diff(out, _synth(server=False).files)
    section = _section(report, "api")
    assert "    deleted: Deployment api/server" in section
    assert "    deleted: Service api/server" in section
    # the AppProject no longer whitelists Deployments and Services: a change in the apps Application
    assert "    changed: AppProject argocd/lab" in _section(report, "apps")


def test_added_workload_is_created_in_its_application(out: Path) -> None:
    report = review_diff(out, _synth(extra=True).files)
    [created] = _section(report, "api")
    assert created.startswith("    created: Job api/migrate-db-")
    assert "application ml:" not in report


def test_files_not_generated_are_left_alone(out: Path) -> None:
    (out / "clusters" / "lab" / "api" / "hand-written.yaml").write_text("kind: ConfigMap\n")
    assert review_diff(out, _synth().files) == "no changes\n"


def test_empty_out_dir_creates_everything(tmp_path: Path) -> None:
    report = review_diff(tmp_path / "missing", _synth().files)
    assert any(line.startswith("    created: Job ml/metal-train-") for line in _section(report, "ml"))
    assert "changed:" not in report
    assert "deleted:" not in report


def test_field_changes_paths() -> None:
    before = {"spec": {"replicas": 1, "ports": [{"port": 80}], "gone": "x"}}
    after = {"spec": {"replicas": 2, "ports": [{"port": 80}, {"port": 443}], "new": {"a": 1}}}
    assert field_changes(before, after) == [
        "spec.replicas: 1 -> 2",
        'spec.ports[1]: (absent) -> {"port": 443}',
        "spec.gone: x -> (absent)",
        'spec.new: (absent) -> {"a": 1}',
    ]


def test_run_diff_prints_and_exits_zero(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    synthesis = _synth(image="tensorflow/tensorflow:2.17.0")
    assert run_diff(argparse.Namespace(out=out), synthesis) == 0
    assert "new run: Job ml/metal-train-" in capsys.readouterr().out
