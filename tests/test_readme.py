"""The README's example is real code: it declares a cluster that synthesizes cleanly."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from helpers import run_once_job

import gpumanifests as gm

if TYPE_CHECKING:
    import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)


def _readme_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], gm.GitOpsApp]:
    """Every ```python block run in order in a copy of apps/ and gitops/; its names, and an app ``build`` filled."""
    shutil.copytree(ROOT / "apps", tmp_path / "apps")
    shutil.copytree(ROOT / "gitops", tmp_path / "gitops")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    for block in _python_blocks():
        exec(compile(block, str(README), "exec"), namespace)  # the README's own examples, in order
    app = gm.GitOpsApp()
    namespace["build"](app)
    return namespace, app


def test_the_readme_examples_run_and_synthesize_a_gpu_job_with_its_patch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every ```python block runs, in order, in a copy of the repository's apps/ and gitops/."""
    namespace, app = _readme_app(tmp_path, monkeypatch)
    assert isinstance(namespace["H100_POOL"], gm.NodeProfile)
    synthesis = gm.synthesize(app)
    job = synthesis.files[
        run_once_job(synthesis.files, "clusters/lab/nvidia-gpu-workloads/training_job_llama-finetune")
    ].decode()
    assert "nvidia.com/gpu: '8'" in job
    assert "activeDeadlineSeconds: 86400" in job
    # the library-calls block wrote the tree with synthesis.write: the copy still equals the committed tree
    for path in (ROOT / "gitops").rglob("*"):
        if path.is_file():
            assert (tmp_path / "gitops" / path.relative_to(ROOT / "gitops")).read_bytes() == path.read_bytes()


def test_the_readme_custom_resource_example_synthesizes_cluster_scoped_with_its_operator_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    namespace, app = _readme_app(tmp_path, monkeypatch)
    namespace["add_flavor"](app.cluster("lab"))
    files = gm.synthesize(app).files
    flavor = files["clusters/lab/queues/resourceflavor.kueue.x-k8s.io_a100.yaml"].decode()
    assert "namespace:" not in flavor
    assert "SkipDryRunOnMissingResource=true" in flavor
    assert "- Kueue: ResourceFlavor" in files["clusters/lab/README.md"].decode()


def test_the_readme_reference_example_synthesizes_with_its_external_secret_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    namespace, app = _readme_app(tmp_path, monkeypatch)
    namespace["add_batch_tool"](app.cluster("lab"))
    files = gm.synthesize(app).files
    job = files[run_once_job(files, "clusters/lab/tools/tools_job_export-weights")].decode()
    assert "secretKeyRef" in job
    assert "priorityClassName: batch-high" in job
    readme = files["clusters/lab/README.md"].decode()
    assert "- Secret hf-token in namespace tools: synced from Vault by External Secrets" in readme


def test_the_readme_model_server_example_mounts_its_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    namespace, app = _readme_app(tmp_path, monkeypatch)
    nodes = [
        gm.Node(name="cpu-1", profile=gm.NodeProfile.cpu_only()),
        gm.Node(name="gpu-1", profile=namespace["A100"], gpus=2, cpu="32", memory="128Gi"),
    ]
    serve = gm.Cluster(app, "serve", nodes=nodes, repo=gm.GitRepo(url="https://git.example.com/platform/gitops.git"))
    server = namespace["add_model_server"](serve)
    env = {entry["name"]: entry.get("value") for entry in server.pod_template_spec()["containers"][0]["env"]}
    assert env["HF_HOME"] == "/cache/huggingface"
    assert env["HOME"] == "/home/app"
    assert gm.synthesize(app).files
