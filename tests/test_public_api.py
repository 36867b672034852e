"""The public surface: ``__all__`` is exactly the sorted public names, and only ``scheduling`` is a public module."""

from __future__ import annotations

import importlib
import pkgutil
import types
from typing import TYPE_CHECKING

import pytest

import gpumanifests

if TYPE_CHECKING:
    from pathlib import Path

PUBLIC_MODULES = {"scheduling"}


def _public_names() -> set[str]:
    return {
        name
        for name, value in vars(gpumanifests).items()
        if not name.startswith("_") and not (isinstance(value, types.ModuleType) and name != "k8s")
    }


def _isort_style(name: str) -> tuple[int, str]:
    """The order ruff's RUF022 keeps ``__all__`` in: CONSTANTS, then Classes, then functions and modules."""
    if len(name) > 1 and name.isupper():
        return (0, name)
    return (1, name) if name[0].isupper() else (2, name)


def test_all_is_sorted_and_equals_the_public_names() -> None:
    """Every name without a leading underscore in the package namespace is exported, and nothing else."""
    assert gpumanifests.__all__ == sorted(_public_names(), key=_isort_style)


def test_all_has_no_repeats() -> None:
    assert len(gpumanifests.__all__) == len(set(gpumanifests.__all__))


def test_every_name_in_all_is_importable() -> None:
    namespace: dict[str, object] = {}
    exec(f"from gpumanifests import {', '.join(gpumanifests.__all__)}", namespace)
    for name in gpumanifests.__all__:
        assert namespace[name] is getattr(gpumanifests, name)


def test_every_module_is_private_except_scheduling() -> None:
    modules = {info.name for info in pkgutil.iter_modules(gpumanifests.__path__)}
    public = {name for name in modules if not name.startswith("_")}
    assert public == PUBLIC_MODULES


def test_the_public_scheduling_module_imports_and_declares_all() -> None:
    module = importlib.import_module("gpumanifests.scheduling")
    assert module.__all__
    for name in module.__all__:
        assert hasattr(module, name)


def test_public_classes_and_functions_show_gpumanifests_as_their_module() -> None:
    """``repr`` and tracebacks name ``gpumanifests.Cluster``, not the private room it lives in."""
    for name in gpumanifests.__all__:
        module = getattr(getattr(gpumanifests, name), "__module__", None)
        assert module is None or not module.startswith("gpumanifests._"), (name, module)
    assert gpumanifests.Cluster.__module__ == "gpumanifests"


def test_output_errors_come_from_the_public_write(tmp_path: Path) -> None:
    """``OutputError`` is what :meth:`Synthesis.write` raises; nothing there is a Python internal error."""
    (tmp_path / "gitops").write_text("a file where the tree should be", encoding="utf-8")
    synthesis = gpumanifests.Synthesis(files={"clusters/lab/README.md": b"x\n"})
    with pytest.raises(gpumanifests.OutputError, match="is a file, not a directory"):
        synthesis.write(tmp_path / "gitops")
