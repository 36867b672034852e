"""How the command ends: with the command's exit code, everything it printed delivered.

``gpumanifests`` (and ``python -m gpumanifests``) skip the interpreter's teardown at exit; the
``atexit`` handlers still run, the output still reaches the reader in full, and the exit code is
the command's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

APP = """
import gpumanifests as gm


def build(app):
    cluster = gm.Cluster(
        app,
        "lab",
        nodes=[gm.Node(name="cpu-1", profile=gm.NodeProfile.cpu_only(), cpu="64", memory="256Gi")],
        repo=gm.GitRepo(url="https://git.example.com/platform/lab.git"),
    )
    jobs = gm.Component(cluster, "jobs")
    for index in range({jobs}):
        gm.CpuJob(jobs, f"job-{{index}}", image="busybox:{tag}", command=["true"])
"""


def _gpumanifests(*arguments: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "gpumanifests", *map(str, arguments)]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False, env=env)


def _apps(tmp_path: Path, tag: str) -> Path:
    apps = tmp_path / "apps"
    apps.mkdir(exist_ok=True)
    (apps / "lab.py").write_text(APP.format(jobs=40, tag=tag), encoding="utf-8")
    return apps


def test_a_successful_synth_exits_0_with_its_summary(tmp_path: Path) -> None:
    out = tmp_path / "gitops"
    result = _gpumanifests("synth", "--apps", _apps(tmp_path, "1.36.1"), "--out", out)
    generated = json.loads((out / ".gpumanifests.json").read_text(encoding="utf-8"))["files"]
    assert (result.returncode, result.stdout) == (0, f"synthesized {len(generated)} files for lab into {out}\n")


def test_the_exit_handlers_still_run_so_jsii_leaves_no_temporary_files(tmp_path: Path) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    environment = {**os.environ, "TMPDIR": str(temporary)}
    result = _gpumanifests("synth", "--apps", _apps(tmp_path, "1.36.1"), "--out", tmp_path / "gitops", env=environment)
    assert result.returncode == 0
    assert sorted(path.name for path in temporary.iterdir()) == []


def test_drift_exits_1_after_the_whole_patch(tmp_path: Path) -> None:
    out = tmp_path / "gitops"
    assert _gpumanifests("synth", "--apps", _apps(tmp_path, "1.36.1"), "--out", out).returncode == 0
    result = _gpumanifests("check", "--apps", _apps(tmp_path, "1.37.0"), "--out", out, "--no-cache")
    assert result.returncode == 1
    changed = [line for line in result.stdout.splitlines() if line.startswith("+") and "image: busybox:1.37.0" in line]
    assert len(changed) == 40  # the new image line of every job, down to the last one printed
    assert "differs from a fresh synth: 1 changed, 40 missing, 40 stale, 0 extra" in result.stderr


def test_an_error_exits_1_with_its_message(tmp_path: Path) -> None:
    apps = tmp_path / "apps"
    apps.mkdir()
    (apps / "broken.py").write_text("def build(app):\n    raise ValueError('no')\n", encoding="utf-8")
    result = _gpumanifests("synth", "--apps", apps, "--out", tmp_path / "gitops")
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert not (tmp_path / "gitops").exists()
