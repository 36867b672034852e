"""The layer contract in pyproject.toml holds, and it is not a formality: an upward import breaks it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import gpumanifests

PACKAGE = Path(gpumanifests.__file__).resolve().parent
PYPROJECT = PACKAGE.parent / "pyproject.toml"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

pytestmark = pytest.mark.skipif(
    not PYPROJECT.is_file(), reason="the contract lives in the source tree's pyproject.toml"
)


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` with the project's contract, importing the package found under ``root``."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(PYPROJECT), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": str(LINT_IMPORTS.parent)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_package_keeps_its_layer_contract(tmp_path: Path) -> None:
    shutil.copytree(PACKAGE, tmp_path / "gpumanifests", ignore=shutil.ignore_patterns("__pycache__"))
    result = _lint_imports(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_fails_on_an_upward_import(tmp_path: Path) -> None:
    """Kubernetes facts importing the command line is exactly what the contract exists to refuse."""
    copy = tmp_path / "gpumanifests"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    names = copy / "_kube" / "names.py"
    names.write_text(names.read_text(encoding="utf-8") + "\nimport gpumanifests._cli.main\n", encoding="utf-8")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "0 kept, 1 broken" in result.stdout
    assert "gpumanifests._kube.names -> gpumanifests._cli.main" in result.stdout
