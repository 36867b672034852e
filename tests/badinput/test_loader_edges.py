"""App files are modules like any other: dataclasses work, and errors point at the app's own line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gpumanifests._synth.loader import AppLoadError, load_apps

APPS = Path(__file__).resolve().parents[2] / "apps"


def _apps_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "apps"
    shutil.copytree(APPS, target, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.chdir(tmp_path)  # the default --apps is the relative path "apps"
    return Path("apps")


def test_an_app_may_define_dataclasses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    apps = _apps_copy(tmp_path, monkeypatch)
    (apps / "zz_dataclass.py").write_text(
        "from __future__ import annotations\n"
        "from dataclasses import dataclass\n"
        "@dataclass\n"
        "class Size:\n"
        "    gpus: int\n"
        "def build(app):\n"
        "    assert Size(gpus=1).gpus == 1\n"
    )
    app = load_apps(apps)
    assert {cluster.name for cluster in app.clusters} == {
        "data-platform-local",
        "data-platform-cloud",
        "gpu-training",
        "gpu-inference",
    }


def test_an_app_error_names_its_file_and_line_with_a_relative_apps_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apps = _apps_copy(tmp_path, monkeypatch)
    (apps / "zz_broken.py").write_text("def build(app):\n    x = 1\n    raise KeyError('missing')\n")
    with pytest.raises(AppLoadError, match=r"apps/zz_broken.py raised KeyError at zz_broken.py:3"):
        load_apps(apps)


def test_a_component_given_to_jsii_directly_names_the_gpumanifests_way(tmp_path: Path) -> None:
    """cdk8s' own classes check their scope is a jsii construct; the error says what to write instead."""
    apps = tmp_path / "apps"
    apps.mkdir()
    (apps / "lab.py").write_text(
        "import gpumanifests as gm\n"
        "from constructs import Construct\n"
        "def build(app):\n"
        "    cpu = gm.Node(name='cpu-1', profile=gm.NodeProfile.cpu_only())\n"
        "    cluster = gm.Cluster(app, 'lab', nodes=[cpu], repo=gm.GitRepo(url='https://git.example.com/r.git'))\n"
        "    Construct(gm.Component(cluster, 'ml'), 'group')\n"
    )
    with pytest.raises(AppLoadError) as error:
        load_apps(apps)
    assert "apps/lab.py raised TypeError at lab.py:6" in str(error.value)
    assert "group with gm.Construct(scope, id), declare raw L1 objects with gm.k8s" in str(error.value)
    assert "component.jsii_scope()" in str(error.value)
