"""The CLI's drift check and synth on copies of the repo: drift is caught, synth repairs only what it owns.

Each test works on ``tmp_path`` copies of ``apps/`` and the committed ``gitops/`` and runs the
CLI in-process through ``gpumanifests._cli.main``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import gpumanifests as gm
from gpumanifests._cli.main import main
from gpumanifests._output.tree import OWNERSHIP_FILE

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parents[2]
LOCAL = "clusters/data-platform-local"
EDITED = f"{LOCAL}/cpu-workloads/platform_deployment_platform-api.yaml"
DELETED = f"{LOCAL}/test-workloads/gpu-tests_networkpolicy_default-deny-ingress.yaml"
STRAY = f"{LOCAL}/cpu-workloads/notes.yaml"


class Workspace:
    def __init__(self, root: Path) -> None:
        self.apps = root / "apps"
        self.out = root / "gitops"
        shutil.copytree(ROOT / "apps", self.apps, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(ROOT / "gitops", self.out)

    def tree(self, out: Path | None = None) -> dict[str, bytes]:
        base = out or self.out
        return {path.relative_to(base).as_posix(): path.read_bytes() for path in base.rglob("*") if path.is_file()}


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path)


@pytest.fixture
def run(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run ``gpumanifests <command> --apps <copy> --out <copy>``; returns (exit code, stdout, stderr)."""

    def invoke(command: str, *, out: Path | None = None) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main([command, "--apps", str(workspace.apps), "--out", str(out or workspace.out)])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke


def test_check_passes_on_an_unchanged_copy(run: Callable[..., tuple[int, str, str]]) -> None:
    code, out, _ = run("check")
    assert code == 0
    assert "up to date" in out


# -- check fails on each kind of drift ------------------------------------------------------------


def test_fails_check_after_a_generated_file_is_edited(
    workspace: Workspace, run: Callable[..., tuple[int, str, str]]
) -> None:
    target = workspace.out / EDITED
    target.write_text(target.read_text(encoding="utf-8").replace("replicas: 1", "replicas: 5"), encoding="utf-8")
    code, out, err = run("check")
    assert code == 1
    assert f"a/{EDITED}" in out
    assert "-  replicas: 5" in out
    assert "+  replicas: 1" in out
    assert "1 changed" in err


def test_fails_check_with_a_stray_file(workspace: Workspace, run: Callable[..., tuple[int, str, str]]) -> None:
    (workspace.out / STRAY).write_text("# my notes\n", encoding="utf-8")
    code, out, err = run("check")
    assert code == 1
    assert STRAY in out
    assert "1 extra" in err
    assert STRAY in err


def test_fails_check_after_a_generated_file_is_deleted(
    workspace: Workspace, run: Callable[..., tuple[int, str, str]]
) -> None:
    (workspace.out / DELETED).unlink()
    code, out, err = run("check")
    assert code == 1
    assert f"b/{DELETED}" in out
    assert "1 missing" in err


# -- synth repairs what it owns and nothing else ------------------------------------------------


def test_synth_restores_deleted_files_refuses_edited_ones_and_leaves_a_stray_file_alone(
    workspace: Workspace, run: Callable[..., tuple[int, str, str]]
) -> None:
    original = workspace.tree()
    (workspace.out / EDITED).write_text("tampered: true\n", encoding="utf-8")
    (workspace.out / DELETED).unlink()
    (workspace.out / STRAY).write_text("# my notes\n", encoding="utf-8")

    code, _, err = run("synth")

    assert code == 1
    assert f"{EDITED} changed since gpumanifests wrote them" in err
    assert (workspace.out / EDITED).read_text(encoding="utf-8") == "tampered: true\n"

    (workspace.out / EDITED).write_bytes(original[EDITED])  # restored from git, as the message says
    code, _, _ = run("synth")

    assert code == 0
    after = workspace.tree()
    assert after[DELETED] == original[DELETED]
    assert after[STRAY] == b"# my notes\n"
    assert {path: content for path, content in after.items() if path != STRAY} == original

    code, _, err = run("check")
    assert code == 1
    assert "0 changed, 0 missing, 0 stale, 1 extra" in err
    assert STRAY in err


def test_synth_removes_a_file_it_generated_earlier_that_is_no_longer_produced(
    workspace: Workspace, run: Callable[..., tuple[int, str, str]]
) -> None:
    seed = workspace.apps / "_seed.py"
    text = seed.read_text(encoding="utf-8")
    start = text.index("    gm.GpuDeployment(\n")
    end = text.index("    return workloads\n", start)
    seed.write_text(text[:start] + text[end:], encoding="utf-8")
    gone = [
        f"{LOCAL}/metal-gpu-workloads/ml-workloads_deployment_metal-model-server.yaml",
        f"{LOCAL}/metal-gpu-workloads/ml-workloads_service_metal-model-server.yaml",
    ]
    assert all((workspace.out / path).exists() for path in gone)

    code, _, _ = run("synth")

    assert code == 0
    assert not any((workspace.out / path).exists() for path in gone)
    assert not any(path in workspace.tree()[OWNERSHIP_FILE].decode() for path in gone)
    assert list((workspace.out / LOCAL / "metal-gpu-workloads").glob("ml-workloads_job_metal-ml-training-*.yaml"))
    assert run("check")[0] == 0


def test_fails_synth_over_a_stray_file_at_a_path_it_now_generates(
    workspace: Workspace, run: Callable[..., tuple[int, str, str]]
) -> None:
    app = workspace.apps / "local_metal.py"
    app.write_text(
        app.read_text(encoding="utf-8")
        + '\n    extra = gm.Component(cluster, "extra")\n'
        + '    gm.CpuDeployment(extra, "extra-job", image="busybox:1.36.1")\n',
        encoding="utf-8",
    )
    wanted = f"{LOCAL}/extra/extra_deployment_extra-job.yaml"
    (workspace.out / wanted).parent.mkdir()
    (workspace.out / wanted).write_text("# hand-written, not ours\n", encoding="utf-8")
    before = workspace.tree()

    code, _, err = run("synth")

    assert code == 1
    assert "refusing to overwrite" in err
    assert str(workspace.out / wanted) in err
    assert workspace.tree() == before


# -- determinism -----------------------------------------------------------------------------------


def test_two_synths_give_byte_identical_trees(
    workspace: Workspace, run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    assert run("synth", out=first)[0] == 0
    assert run("synth", out=second)[0] == 0
    assert workspace.tree(first) == workspace.tree(second)
    assert workspace.tree(first) == workspace.tree()


def test_synth_over_an_up_to_date_tree_changes_nothing(
    workspace: Workspace, run: Callable[..., tuple[int, str, str]]
) -> None:
    before = workspace.tree()
    assert run("synth")[0] == 0
    assert workspace.tree() == before


# -- in-process reloading --------------------------------------------------------------------------


def test_a_changed_shared_app_module_is_picked_up_by_the_next_in_process_synth(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    """``load_apps`` must not reuse an ``apps/_seed.py`` imported by an earlier load from elsewhere."""
    from gpumanifests._synth.loader import load_apps
    from gpumanifests._synth.pipeline import synthesize

    load_apps(ROOT / "apps")  # the real apps: imports _seed from the repository
    seed = workspace.apps / "_seed.py"
    seed.write_text(seed.read_text(encoding="utf-8").replace('"platform-api"', '"renamed-api"'), encoding="utf-8")
    files = synthesize(load_apps(workspace.apps)).files
    assert f"{LOCAL}/cpu-workloads/platform_deployment_renamed-api.yaml" in files


# -- check and diff never print a traceback ----------------------------------------------------


def test_check_reports_a_symlink_to_a_directory_as_a_stray_entry(
    workspace: Workspace, run: Callable[..., tuple[int, str, str]]
) -> None:
    (workspace.out / "shortcut").symlink_to("clusters")
    code, out, err = run("check")
    assert code == 1
    assert "-symlink -> clusters" in out
    assert "shortcut" in err
    assert "Traceback" not in err
    assert run("diff")[0] == 0


def test_check_reports_a_dangling_symlink_as_a_stray_entry(
    workspace: Workspace, run: Callable[..., tuple[int, str, str]]
) -> None:
    (workspace.out / f"{LOCAL}/dangling.yaml").symlink_to("nowhere.yaml")
    code, out, err = run("check")
    assert code == 1
    assert "-symlink -> nowhere.yaml" in out
    assert f"{LOCAL}/dangling.yaml" in err
    assert run("diff")[0] == 0


def test_check_reports_a_symlink_in_place_of_a_generated_file_as_changed(
    workspace: Workspace, run: Callable[..., tuple[int, str, str]]
) -> None:
    (workspace.out / EDITED).unlink()
    (workspace.out / EDITED).symlink_to("elsewhere.yaml")
    code, out, err = run("check")
    assert code == 1
    assert "-symlink -> elsewhere.yaml" in out
    assert "1 changed" in err


@pytest.mark.parametrize("command", ["check", "diff"])
def test_check_and_diff_fail_cleanly_while_a_synth_holds_the_lock(
    workspace: Workspace, run: Callable[..., tuple[int, str, str]], command: str
) -> None:
    from filelock import FileLock

    lock = FileLock(workspace.out.parent / ".gitops.lock")
    with lock:
        code, _, err = run(command)
    assert code == 1
    assert "a synth is writing" in err
    assert "retry" in err
    assert "Traceback" not in err
    assert run(command)[0] == 0


def test_two_checks_can_run_at_once(workspace: Workspace) -> None:
    from gpumanifests._output.compare import diff_tree
    from gpumanifests._output.tree import reading_tree
    from gpumanifests._synth.loader import load_apps
    from gpumanifests._synth.pipeline import synthesize

    files = synthesize(load_apps(workspace.apps)).files
    with reading_tree(workspace.out):
        assert not diff_tree(workspace.out, files)


def test_check_turns_a_read_error_into_a_message(
    workspace: Workspace, run: Callable[..., tuple[int, str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreadable(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", unreadable)
    code, _, err = run("check")
    assert code == 1
    assert "error: cannot read" in err
    assert "Permission denied" in err
    assert "Traceback" not in err


# -- stale generated files are not mistaken for files a person must move -----------------------


def test_check_tells_stale_generated_files_from_stray_ones(workspace: Workspace) -> None:
    from gpumanifests._output.compare import diff_tree
    from gpumanifests._synth.loader import load_apps
    from gpumanifests._synth.pipeline import synthesize

    seed = workspace.apps / "_seed.py"
    text = seed.read_text(encoding="utf-8")
    start = text.index("    gm.GpuDeployment(\n")
    seed.write_text(text[:start] + text[text.index("    return workloads\n", start) :], encoding="utf-8")
    (workspace.out / STRAY).write_text("# my notes\n", encoding="utf-8")

    drift = diff_tree(workspace.out, synthesize(load_apps(workspace.apps)).files)

    owned = json.loads((workspace.out / OWNERSHIP_FILE).read_text(encoding="utf-8"))["files"]
    assert {
        f"{LOCAL}/metal-gpu-workloads/ml-workloads_deployment_metal-model-server.yaml",
        f"{LOCAL}/metal-gpu-workloads/ml-workloads_service_metal-model-server.yaml",
    } <= set(drift.stale)
    assert all(path in owned for path in drift.stale)
    assert drift.extra == (STRAY,)
    assert f"a/{drift.stale[0]}" in drift.patch
    assert OWNERSHIP_FILE in drift.changed


def test_check_does_not_call_a_stale_generated_file_not_generated(
    workspace: Workspace, run: Callable[..., tuple[int, str, str]]
) -> None:
    seed = workspace.apps / "_seed.py"
    text = seed.read_text(encoding="utf-8")
    start = text.index("    gm.GpuDeployment(\n")
    seed.write_text(text[:start] + text[text.index("    return workloads\n", start) :], encoding="utf-8")
    code, out, err = run("check")
    assert code == 1
    assert "ml-workloads_deployment_metal-model-server.yaml" in out
    assert "not generated by gpumanifests" not in err


@pytest.mark.parametrize("name", ["apps", "bootstrap", "node-setup"])
def test_fails_on_a_component_named_after_a_cluster_directory(name: str) -> None:
    cluster = gm.Cluster(
        gm.GitOpsApp(),
        "lab",
        nodes=[gm.Node(name="cpu-1", profile=gm.NodeProfile.cpu_only())],
        repo=gm.GitRepo(url="https://git.example.com/platform/gitops.git"),
    )
    with pytest.raises(gm.InvalidInputError, match=f"Component '{name}': name='{name}': '{name}' is the name of a"):
        gm.Component(cluster, name)
