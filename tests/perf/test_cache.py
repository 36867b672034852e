"""The synth cache: only what changed is rendered, and the cache never vouches for a tree it did not see.

Every test works on copies of ``apps/`` and the committed ``gitops/`` and runs the command line
in-process; ``rendered`` records which clusters a command rendered. Whatever the cache did, the
tree must equal what an uncached synth writes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from gpumanifests._cli.main import main
from gpumanifests._synth import pipeline

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parents[2]
FLEET_MEMBERS = ["data-platform-cloud", "gpu-inference", "gpu-training"]
FLEET_README = "fleets/gpu-fleet/README.md"
LOCAL_FILE = "clusters/data-platform-local/cpu-workloads/platform_deployment_platform-api.yaml"


class Workspace:
    """Copies of the shipped apps and tree, the commands run on them, and what each one rendered."""

    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        self.apps = root / "apps"
        self.out = root / "gitops"
        self.cache = root / ".gitops.cache"
        shutil.copytree(ROOT / "apps", self.apps, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(ROOT / "gitops", self.out)
        self._capsys = capsys
        self.rendered: list[str] = []
        render = pipeline.render_cluster

        def recording(cluster: Any) -> Any:
            self.rendered.append(cluster.name)
            return render(cluster)

        monkeypatch.setattr(pipeline, "render_cluster", recording)

    def run(self, command: str, *options: str, out: Path | None = None) -> tuple[int, str, str]:
        """``gpumanifests <command>`` on the copies; (exit code, stdout, stderr). Resets :attr:`rendered`."""
        self.rendered.clear()
        self._capsys.readouterr()
        code = main([command, "--apps", str(self.apps), "--out", str(out or self.out), *options])
        captured = self._capsys.readouterr()
        return code, captured.out, captured.err

    @property
    def generated(self) -> int:
        """How many files the tree's ownership record lists."""
        return len(json.loads((self.out / ".gpumanifests.json").read_text())["files"])

    def tree(self, out: Path | None = None) -> dict[str, bytes]:
        base = out or self.out
        return {path.relative_to(base).as_posix(): path.read_bytes() for path in base.rglob("*") if path.is_file()}

    def fresh_tree(self) -> dict[str, bytes]:
        """The tree an uncached synth writes into an empty directory, from the apps as they are now."""
        fresh = self.root / "fresh" / "gitops"
        fresh.parent.mkdir(exist_ok=True)
        shutil.rmtree(fresh, ignore_errors=True)
        assert self.run("synth", "--no-cache", out=fresh)[0] == 0
        return self.tree(fresh)

    def edit(self, app: str, old: str, new: str) -> None:
        path = self.apps / app
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def workspace(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Workspace:
    space = Workspace(tmp_path, capsys, monkeypatch)
    assert space.run("synth")[0] == 0  # writes the cache
    return space


def test_check_with_nothing_changed_renders_nothing(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("check loaded the apps although nothing changed")

    monkeypatch.setattr(pipeline, "load_app_files", refuse)
    code, out, err = workspace.run("check")
    assert (code, out) == (0, f"{workspace.out} is up to date ({workspace.generated} generated files)\n")
    assert err == workspace.run("check", "--no-cache")[2]  # the same warnings, in the same order


def test_synth_after_one_app_changed_renders_that_app_only(workspace: Workspace) -> None:
    workspace.edit("local_metal.py", 'cpu="8", memory="16Gi"', 'cpu="8", memory="32Gi"')
    assert workspace.run("synth")[0] == 0
    assert workspace.rendered == ["data-platform-local"]
    assert workspace.tree() == workspace.fresh_tree()


def test_a_change_to_one_fleet_member_renders_the_fleet_with_all_its_members(workspace: Workspace) -> None:
    workspace.edit("train_cloud.py", 'gpus=4,\n        cpu="16"', 'gpus=2,\n        cpu="16"')
    assert workspace.run("synth")[0] == 0
    assert sorted(workspace.rendered) == FLEET_MEMBERS
    assert workspace.tree() == workspace.fresh_tree()


def test_a_new_member_joins_the_fleet_bootstrap(workspace: Workspace) -> None:
    text = (workspace.apps / "serve_cloud.py").read_text(encoding="utf-8")
    (workspace.apps / "serve_eu.py").write_text(
        text.replace('"gpu-inference"', '"gpu-inference-eu"').replace("gpu-inference.k8s", "gpu-inference-eu.k8s"),
        encoding="utf-8",
    )
    assert workspace.run("synth")[0] == 0
    assert sorted(workspace.rendered) == sorted([*FLEET_MEMBERS, "gpu-inference-eu"])
    assert b"`gpu-inference-eu`" in workspace.tree()[FLEET_README]
    assert workspace.tree() == workspace.fresh_tree()


def test_a_member_removed_leaves_the_fleet_bootstrap(workspace: Workspace) -> None:
    (workspace.apps / "serve_cloud.py").unlink()
    assert workspace.run("synth")[0] == 0
    assert sorted(workspace.rendered) == ["data-platform-cloud", "gpu-training"]
    tree = workspace.tree()
    assert b"gpu-inference" not in tree[FLEET_README]
    assert not any(path.startswith("clusters/gpu-inference/") for path in tree)
    assert tree == workspace.fresh_tree()


def test_a_shared_module_invalidates_exactly_the_apps_that_import_it(workspace: Workspace) -> None:
    workspace.edit("_seed.py", "busybox:1.36.1", "busybox:1.36.2")  # imported by local_metal and cloud_nvidia
    assert workspace.run("synth")[0] == 0
    assert sorted(workspace.rendered) == sorted(["data-platform-local", *FLEET_MEMBERS])
    workspace.edit("_fleet.py", 'revision="main"', 'revision="release"')  # imported by the fleet's apps only
    assert workspace.run("synth")[0] == 0
    assert sorted(workspace.rendered) == FLEET_MEMBERS
    assert workspace.tree() == workspace.fresh_tree()


def test_a_data_file_the_app_reads_is_part_of_its_key(workspace: Workspace) -> None:
    manifest = workspace.apps / "settings.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  level: info\n")
    seed = "    declare_seed_workloads(cluster, METAL)"
    settings = 'gm.Component(cluster, "settings"), "settings", path=f"{__file__[:-14]}settings.yaml"'
    workspace.edit("local_metal.py", seed, f"{seed}\n    gm.ManifestFile({settings})")
    assert workspace.run("synth")[0] == 0
    manifest.write_text(manifest.read_text().replace("level: info", "level: debug"))
    code, out, _ = workspace.run("check")
    assert code == 1
    assert "+  level: debug" in out
    assert workspace.rendered == ["data-platform-local"]


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: data[:-1] + bytes([data[-1] ^ 1]), id="one bit flipped"),
        pytest.param(lambda _: b"", id="empty"),
        pytest.param(lambda data: b"not a cache\n" + data, id="foreign"),
    ],
)
def test_a_damaged_cache_is_ignored(workspace: Workspace, damage: Callable[[bytes], bytes]) -> None:
    workspace.cache.write_bytes(damage(workspace.cache.read_bytes()))
    assert workspace.run("check")[0] == 0
    assert len(workspace.rendered) == 4  # nothing was trusted, everything was rendered
    assert workspace.run("check")[:2] == (0, f"{workspace.out} is up to date ({workspace.generated} generated files)\n")
    assert workspace.rendered == []  # and the cache is whole again


@pytest.mark.parametrize(
    "drift",
    [
        pytest.param(lambda out: (out / LOCAL_FILE).write_text("edited by hand\n"), id="edited"),
        pytest.param(lambda out: (out / LOCAL_FILE).unlink(), id="missing"),
        pytest.param(lambda out: (out / LOCAL_FILE).with_name("notes.yaml").write_text("x: 1\n"), id="extra"),
        pytest.param(lambda out: (out / ".gpumanifests.json").write_text("{}\n"), id="ownership record"),
    ],
)
def test_a_drifted_tree_fails_check_whatever_the_cache_says(workspace: Workspace, drift: Callable[[Path], Any]) -> None:
    drift(workspace.out)
    code, out, err = workspace.run("check")
    assert code == 1
    assert (out, err) == workspace.run("check", "--no-cache")[1:]


def test_a_stale_cache_never_vouches_for_changed_apps(workspace: Workspace) -> None:
    stale = workspace.cache.read_bytes()
    workspace.edit("local_metal.py", 'cpu="8", memory="16Gi"', 'cpu="8", memory="32Gi"')
    workspace.edit("_seed.py", "busybox:1.36.1", "busybox:1.36.2")
    assert workspace.run("synth", "--no-cache")[0] == 0
    workspace.cache.write_bytes(stale)
    assert workspace.run("check")[0] == 0
    workspace.edit("_seed.py", "busybox:1.36.2", "busybox:1.36.3")
    assert workspace.run("check")[0] == 1


def test_a_cache_written_for_other_options_is_not_used(workspace: Workspace) -> None:
    code, _, err = workspace.run("check", "--strict")
    assert code == 1
    assert "moving tag :latest" in err
    assert len(workspace.rendered) == 4


def test_no_cache_neither_reads_nor_writes_the_cache(workspace: Workspace) -> None:
    workspace.cache.unlink()
    assert workspace.run("synth", "--no-cache")[0] == 0
    assert workspace.run("diff", "--no-cache")[0] == 0
    assert workspace.run("check", "--no-cache")[0] == 0
    assert not workspace.cache.exists()


def test_a_broken_app_fails_as_without_the_cache_and_leaves_the_tree(workspace: Workspace) -> None:
    before = workspace.tree()
    workspace.edit("local_metal.py", "gpus=", "gpus=0, cpus=")
    cached = workspace.run("synth")
    assert cached[0] == 1
    assert cached[1:] == workspace.run("synth", "--no-cache")[1:]
    assert "local_metal.py" in cached[2]
    assert workspace.tree() == before
