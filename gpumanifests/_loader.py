"""Loading the apps: every ``*.py`` in the apps directory (not starting with ``_``) is one app.

An app module defines ``build(app: GitOpsApp) -> None`` and declares its cluster(s) into
``app``. Modules starting with ``_`` are shared code the apps import (for example workload
definitions used by two clusters); the apps directory is put on ``sys.path`` for that.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from pathlib import Path

from gpumanifests._cluster import GitOpsApp
from gpumanifests._errors import GpuManifestsError, InvalidInputError

__all__ = ["AppLoadError", "app_files", "load_apps"]


class AppLoadError(GpuManifestsError):
    """An app file could not be loaded or its ``build`` failed."""


def app_files(apps_dir: Path) -> list[Path]:
    """The app modules of ``apps_dir``, sorted by name."""
    if not apps_dir.is_dir():
        raise AppLoadError(
            f"apps directory {apps_dir} does not exist; create it with one <cluster>.py per cluster, or pass --apps DIR"
        )
    files = sorted(path for path in apps_dir.glob("*.py") if not path.name.startswith("_"))
    if not files:
        raise AppLoadError(f"{apps_dir} has no app files; add <cluster>.py defining build(app)")
    return files


def _location(error: BaseException, file: Path) -> str:
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if Path(frame.filename).parent == file.parent:
            return f"{Path(frame.filename).name}:{frame.lineno}"
    return file.name


def _run_app(file: Path, app: GitOpsApp, label: str) -> None:
    spec = importlib.util.spec_from_file_location(f"_gpumanifests_app_{file.stem}", file)
    if spec is None or spec.loader is None:
        raise AppLoadError(f"{label}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        raise AppLoadError(f"{label}:{error.lineno}: syntax error: {error.msg}") from None
    build = getattr(module, "build", None)
    if not callable(build):
        raise AppLoadError(f"{label} defines no build(app) function; add `def build(app: gm.GitOpsApp) -> None`")
    app.source = label
    build(app)


def load_apps(apps_dir: Path, *, strict: bool = False) -> GitOpsApp:
    """Run every app of ``apps_dir`` into one :class:`GitOpsApp`."""
    app = GitOpsApp(strict=strict)
    search_path = str(apps_dir.resolve())
    sys.path.insert(0, search_path)
    try:
        for file in app_files(apps_dir):
            label = f"{apps_dir.name}/{file.name}"
            try:
                _run_app(file, app, label)
            except AppLoadError:
                raise
            except InvalidInputError as error:
                raise AppLoadError(f"{label}: {error}") from None
            except Exception as error:  # an app's own bug: report it where it happened
                raise AppLoadError(
                    f"{label} raised {type(error).__name__} at {_location(error, file)}: {error}"
                ) from error
    finally:
        sys.path.remove(search_path)
    return app
