"""The README's example is real code: it declares a cluster that synthesizes cleanly."""

from __future__ import annotations

import re
from pathlib import Path

import gpumanifests as gm

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_the_readme_examples_run_and_synthesize_a_gpu_job_with_its_patch() -> None:
    namespace: dict[str, object] = {}
    for block in _python_blocks():
        exec(compile(block, str(README), "exec"), namespace)  # the README's own examples, in order
    assert isinstance(namespace["H100_POOL"], gm.NodeProfile)
    app = gm.GitOpsApp()
    namespace["build"](app)  # type: ignore[operator]
    synthesis = gm.synthesize(app)
    job = synthesis.files["clusters/lab/nvidia-gpu-workloads/training_job_llama-finetune.yaml"].decode()
    assert "nvidia.com/gpu: '8'" in job
    assert "activeDeadlineSeconds: 86400" in job
