"""The vendor migration report, pinned to the seed's "For Future Cloud Migration" section.

The seed's numbered list (images, node labels, tolerations) is the specification: the report
for the two shipped apps must contain it line for line. The expected text is kept here as a
literal (CI may run without ``shared/``) and, when the seed file is present, also read from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import gpumanifests as gm
from gpumanifests import CpuJob, NodeProfile
from gpumanifests._cli.main import main
from gpumanifests._synth.loader import load_apps
from gpumanifests._synth.migration import (
    FieldChange,
    MigrationReport,
    migration_report,
    profile_migration,
    retarget_cluster,
)

if TYPE_CHECKING:
    from gpumanifests import Cluster, GitOpsApp

REPO = Path(__file__).resolve().parents[2]
SEED = REPO.parent / "shared" / "seed" / "metal-gpu-implementation-summary.md"
LOCAL, CLOUD = "data-platform-local", "data-platform-cloud"

SEED_SECTION = "\n".join(
    [
        "When moving to NVIDIA GPU infrastructure:",
        "",
        "1. **Change Docker Images**:",
        "   ```yaml",
        "   # Current (Metal)",
        "   image: tensorflow/tensorflow:latest",
        "   ",
        "   # Future (NVIDIA)",
        "   image: tensorflow/tensorflow:latest-gpu",
        "   ```",
        "",
        "2. **Update Node Labels**:",
        "   ```yaml",
        "   # Current",
        "   apple.com/gpu=true",
        "   gpu-type=metal",
        "   ",
        "   # Future",
        "   nvidia.com/gpu.present=true",
        "   gpu-type=cuda",
        "   ```",
        "",
        "3. **Update Tolerations**:",
        "   ```yaml",
        "   # Current",
        "   - key: apple.com/gpu",
        "     value: present",
        "     effect: NoSchedule",
        "   ",
        "   # Future",
        "   - key: nvidia.com/gpu",
        "     operator: Exists",
        "     effect: NoSchedule",
        "   ```",
    ]
)


@pytest.fixture(scope="module")
def app() -> GitOpsApp:
    return load_apps(REPO / "apps")


def _cluster(app: GitOpsApp, name: str) -> Cluster:
    return next(cluster for cluster in app.clusters if cluster.name == name)


@pytest.fixture(scope="module")
def report(app: GitOpsApp) -> MigrationReport:
    return migration_report(_cluster(app, LOCAL), _cluster(app, CLOUD))


def _changes_of(report: MigrationReport, source_name: str) -> dict[str, FieldChange]:
    workload = next(workload for workload in report.workloads if workload.source_name == source_name)
    return {change.field: change for change in workload.changes}


def _seed_section(text: str) -> str:
    lines = text.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith("When moving to "))
    end = next(index for index, line in enumerate(lines) if line.startswith("3. **Update Tolerations**"))
    close = next(index for index in range(end + 2, len(lines)) if lines[index].strip() == "```")
    return "\n".join(lines[start : close + 1])


def test_report_reproduces_the_seed_migration_section(report: MigrationReport) -> None:
    assert SEED_SECTION in report.format()


@pytest.mark.skipif(not SEED.is_file(), reason="the shared seed is not checked out next to the repository")
def test_literal_is_the_seed_text(report: MigrationReport) -> None:
    section = _seed_section(SEED.read_text(encoding="utf-8"))
    assert section == SEED_SECTION
    assert section in report.format()


def test_workloads_are_paired_across_profile_prefixes(report: MigrationReport) -> None:
    pairs = {(workload.source_name, workload.target_name) for workload in report.workloads}
    assert ("metal-ml-training", "nvidia-ml-training") in pairs
    assert ("metal-model-server", "nvidia-model-server") in pairs
    assert ("platform-api", "platform-api") in pairs
    assert report.only_in_source == ()
    assert report.only_in_target == ()


def test_gpu_workload_diff_metal_to_nvidia(report: MigrationReport) -> None:
    changes = _changes_of(report, "metal-ml-training")
    assert changes["image"] == FieldChange("image", "tensorflow/tensorflow:latest", "tensorflow/tensorflow:latest-gpu")
    assert changes["tolerations"].before == "apple.com/gpu=present:NoSchedule (Equal)"
    assert changes["tolerations"].after == "nvidia.com/gpu:NoSchedule (Exists)"
    assert changes["resources.limits.nvidia.com/gpu"] == FieldChange("resources.limits.nvidia.com/gpu", None, "1")
    assert changes["runtimeClassName"] == FieldChange("runtimeClassName", None, "nvidia")
    assert "apple.com/gpu In (true)" in str(changes["node selection"].before)
    assert "nvidia.com/gpu.present In (true)" in str(changes["node selection"].after)
    assert changes["env.TF_METAL_DEVICE_PLACEMENT"].after is None


def test_cpu_workload_diff_names_the_avoided_labels(report: MigrationReport) -> None:
    changes = _changes_of(report, "platform-api")
    assert set(changes) == {"node preference", "env.NVIDIA_VISIBLE_DEVICES"}
    assert changes["env.NVIDIA_VISIBLE_DEVICES"].after == "void"


def test_metal_env_does_not_carry_over(report: MigrationReport) -> None:
    notes = report.profiles.not_carried_over()
    assert any("TF_METAL_DEVICE_PLACEMENT" in note and "mean nothing" in note for note in notes)
    assert any(note.startswith("env PYTORCH_ENABLE_MPS_FALLBACK=1") for note in notes)
    text = report.format()
    assert "## Does not carry over" in text
    assert "## Pool labels" in text
    assert "- gpu-vendor: apple → (none)" in text  # the vendor catalog selects on NVIDIA's own labels


def test_mig_slice_does_not_carry_over_to_metal() -> None:
    notes = profile_migration(NodeProfile.nvidia_cuda(mig_slice="1g.5gb"), NodeProfile.apple_metal()).not_carried_over()
    assert any("MIG slice nvidia.com/mig-1g.5gb" in note for note in notes)
    assert any(note.startswith("extended resource nvidia.com/mig-1g.5gb has no equivalent on metal") for note in notes)


def test_mig_cluster_to_metal_drops_the_slice_limit(app: GitOpsApp) -> None:
    mig = retarget_cluster(_cluster(app, LOCAL), NodeProfile.nvidia_cuda(mig_slice="1g.5gb"))
    report = migration_report(mig, _cluster(app, LOCAL))
    changes = _changes_of(report, "nvidia-ml-training")
    assert changes["resources.limits.nvidia.com/mig-1g.5gb"] == FieldChange(
        "resources.limits.nvidia.com/mig-1g.5gb", "1", None
    )
    assert "MIG slice nvidia.com/mig-1g.5gb" in report.format()


def test_unpaired_workloads_are_listed(app: GitOpsApp) -> None:
    amd = retarget_cluster(_cluster(app, LOCAL), NodeProfile.amd_rocm(name="mi300"))
    CpuJob(amd.components[-1], "amd-only", image="busybox:1.36.1")
    report = migration_report(_cluster(app, CLOUD), amd)
    assert "mi300-ml-training" in {workload.target_name for workload in report.workloads}
    assert report.only_in_source == ()
    assert report.only_in_target == ("amd-only",)
    assert f"- only in {LOCAL}: amd-only" in report.format()


def _run(*argv: str) -> int:
    """``gpumanifests migrate ARGV`` on the shipped apps, through the command line's own error handling."""
    return main(["migrate", *argv, "--apps", str(REPO / "apps")])


def test_cli_reports_two_clusters(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(LOCAL, CLOUD) == 0
    assert SEED_SECTION in capsys.readouterr().out


def test_cli_to_profile(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(LOCAL, "--to-profile", "intel") == 0
    out = capsys.readouterr().out
    assert "When moving to Intel GPU infrastructure:" in out
    assert "### Job metal-ml-training → intel-ml-training" in out


@pytest.mark.parametrize("argv", [("nope", CLOUD), (LOCAL, "nope"), ("nope", "--to-profile", "amd")])
def test_cli_unknown_cluster(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]) -> None:
    assert _run(*argv) == 2
    assert "unknown cluster 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [(LOCAL,), (LOCAL, CLOUD, "--to-profile", "amd")])
def test_cli_needs_exactly_one_target(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]) -> None:
    assert _run(*argv) == 2
    assert "either a target cluster or --to-profile" in capsys.readouterr().err


def test_cli_refuses_a_wrong_argument_combination_before_loading_apps(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", LOCAL, "--apps", "/nonexistent-apps-dir"]) == 2
    assert "either a target cluster or --to-profile" in capsys.readouterr().err


def test_cli_refuses_a_cluster_without_gpu_profile_as_invalid_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "cpu_only.py").write_text(
        "import gpumanifests as gm\n"
        "def build(app):\n"
        "    gm.Cluster(app, 'plain', nodes=[gm.Node(name='n', profile=gm.NodeProfile.cpu_only())],\n"
        "               repo=gm.GitRepo(url='https://git.example.com/p/g.git'))\n"
    )
    assert main(["migrate", "plain", "--to-profile", "amd", "--apps", str(tmp_path)]) == 1
    assert "error:" in capsys.readouterr().err


def test_to_profile_migrates_every_gpu_profile_and_keeps_intent_method_calls() -> None:
    """Retargeting renders what a synth of the target would: add_env and patches carried, both pools moved."""
    app = gm.GitOpsApp()
    h100 = gm.NodeProfile.nvidia_cuda(name="h100", product="NVIDIA-H100-80GB-HBM3")
    a100 = gm.NodeProfile.nvidia_cuda(name="a100", product="NVIDIA-A100-SXM4-80GB")
    nodes = [gm.Node(name="g1", profile=h100, gpus=8), gm.Node(name="g2", profile=a100, gpus=8)]
    cluster = gm.Cluster(app, "lab", nodes=nodes, repo=gm.GitRepo(url="https://git.example.com/x.git"))
    training = gm.Component(cluster, "train")
    big = gm.GpuJob(training, "big", profile=h100, image="registry.example.com/trainer:1.0")
    big.add_env("WANDB_MODE", "offline")
    big.add_json_patch(gm.JsonPatch.add("/spec/activeDeadlineSeconds", 600))
    gm.GpuJob(training, "small", profile=a100, image="registry.example.com/trainer:1.0")

    target = gm.retarget_cluster(cluster, gm.NodeProfile.amd_rocm())
    report = gm.migration_report(cluster, target).format()

    assert "WANDB_MODE" not in report
    assert report.count("resources.limits.amd.com/gpu: (none) → 1") == 2
    [moved] = [workload for workload in target.workloads() if workload.name == "big"]
    manifest = moved.render()[0].manifest
    assert manifest["spec"]["activeDeadlineSeconds"] == 600
    env = {entry["name"]: entry.get("value") for entry in manifest["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["WANDB_MODE"] == "offline"
    assert {node.profile.name for node in target.nodes} == {"amd"}


def test_an_own_image_that_moves_unchanged_is_flagged() -> None:
    """A ROCm image named with image= stays on the NVIDIA nodes; the report says so and names NVIDIA's image."""
    app = gm.GitOpsApp()
    mi300 = gm.NodeProfile.amd_rocm(name="mi300")
    cluster = gm.Cluster(
        app,
        "lab",
        nodes=[gm.Node(name="g1", profile=mi300, gpus=8)],
        repo=gm.GitRepo(url="https://git.example.com/x.git"),
    )
    training = gm.Component(cluster, "train")
    gm.GpuJob(training, "mi300-own", profile=mi300, image="rocm/pytorch:rocm6.2_ubuntu22.04_py3.10_pytorch_2.3.0")
    gm.GpuJob(training, "mi300-default", profile=mi300)
    nvidia = gm.NodeProfile.nvidia_cuda()

    report = gm.migration_report(cluster, gm.retarget_cluster(cluster, nvidia))

    [note] = report.pinned_images
    assert note.startswith(
        "Job mi300-own names its own image rocm/pytorch:rocm6.2_ubuntu22.04_py3.10_pytorch_2.3.0 (image=), "
        "which nvidia-own keeps on profile nvidia: check that it is built for NVIDIA"
    )
    assert note.endswith(f"the profile's tensorflow image there is {nvidia.images[gm.Framework.TENSORFLOW]}")
    assert f"- {note}" in report.format().split("## Does not carry over")[1]


def test_a_profile_without_the_default_framework_image_says_so_in_the_header() -> None:
    """The header does not claim ``image: (none)``: the profile has no such image, its workloads name their own."""
    lines = profile_migration(NodeProfile.nvidia_cuda(), NodeProfile.apple_vulkan()).summary_lines()
    assert "   image: tensorflow/tensorflow:latest-gpu" in lines
    assert "   # profile vulkan has no tensorflow image: its workloads name their own" in lines
    assert not any("(none)" in line for line in lines)
