"""Loading the apps: every ``*.py`` in the apps directory (not starting with ``_``) is one app.

An app module defines ``build(app: GitOpsApp) -> None`` and declares its cluster(s) into
``app``. Modules starting with ``_`` are shared code the apps import (for example workload
definitions used by two clusters); the apps directory is put on ``sys.path`` for that.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import inspect
import os
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from gpumanifests._constructs.app import GitOpsApp
from gpumanifests._errors import InvalidInputError
from gpumanifests._runtime import paused_garbage_collection
from gpumanifests._synth.sources import AppLoadError, app_files, app_label, recording_reads

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import ModuleType

__all__ = ["AppLoadError", "LoadedApps", "app_files", "load_app_files", "load_apps"]


def _hint(error: Exception) -> str:
    """What to do instead, for a gpumanifests construct handed to a cdk8s or constructs class directly."""
    if isinstance(error, TypeError) and "must be constructs." in str(error) and "got gpumanifests." in str(error):
        return (
            "; gpumanifests' constructs are not jsii constructs: group with gm.Construct(scope, id), declare raw L1 "
            "objects with gm.k8s, and give any other cdk8s construct the component's cdk8s Chart, "
            "component.jsii_scope()"
        )
    return ""


def _location(error: BaseException, file: Path) -> str:
    """``file.py:line`` of the innermost frame in the apps directory (an app or its shared code)."""
    apps_dir = file.parent.resolve()
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if Path(frame.filename).resolve().parent == apps_dir:
            return f"{Path(frame.filename).name}:{frame.lineno}"
    return file.name


def _run_app(file: Path, app: GitOpsApp, label: str) -> None:
    spec = importlib.util.spec_from_file_location(f"_gpumanifests_app_{file.stem}", file)
    if spec is None or spec.loader is None:
        raise AppLoadError(f"{label}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    cwd = os.getcwd()  # an app that changes directory must not move the paths the command resolves after it
    # registered while it runs, as an import would: dataclasses and pickling look modules up there
    sys.modules[spec.name] = module
    try:
        with contextlib.redirect_stdout(sys.stderr):  # an app's prints never mix with a command's output
            _execute(spec.loader, module, file)
            build = getattr(module, "build", None)
            if not callable(build):
                raise AppLoadError(
                    f"{label} defines no build(app) function; add `def build(app: gm.GitOpsApp) -> None`"
                )
            app.source = label
            _check_ran(label, build(app))
    finally:
        sys.modules.pop(spec.name, None)
        os.chdir(cwd)


def _check_ran(label: str, result: object) -> None:
    """A ``build`` that yields or is ``async`` returns a generator or coroutine: its body never ran."""
    if inspect.isgenerator(result) or inspect.iscoroutine(result) or inspect.isasyncgen(result):
        if not inspect.isasyncgen(result):
            result.close()  # no "never awaited" warning
        raise AppLoadError(
            f"{label}: build(app) is a generator or a coroutine (it yields, or is async), so calling it declared "
            "nothing; make it a plain function (no yield, no async)"
        )


def _execute(loader: importlib.abc.Loader, module: ModuleType, file: Path) -> None:
    try:
        loader.exec_module(module)
    except SyntaxError as error:
        # the error may be in a shared module the app imports, so name the file it is in
        where = Path(error.filename).name if error.filename else file.name
        raise AppLoadError(f"{file.parent.name}/{where}:{error.lineno}: syntax error: {error.msg}") from None


def _shared_modules(search_path: str) -> list[str]:
    """Names of the loaded modules that live in the apps directory (the ``_``-prefixed shared code)."""
    names = []
    for name, module in list(sys.modules.items()):
        filename = getattr(module, "__file__", None)
        if filename and str(Path(filename).resolve().parent) == search_path:
            names.append(name)
    return names


def _stale_shared_modules(apps_dir: Path) -> list[str]:
    """Loaded modules named like this directory's shared modules but from elsewhere (they would shadow ours)."""
    names = {path.stem for path in apps_dir.glob("_*.py")} | {path.name for path in apps_dir.glob("_*/")}
    return sorted(name for name in names if name in sys.modules)


def _forget_shared_modules(search_path: str) -> None:
    """Drop cached shared modules, so a second load (or another apps dir) imports its own ``_seed``."""
    for name in _shared_modules(search_path):
        del sys.modules[name]


@dataclass
class LoadedApps:
    """Apps run into one :class:`GitOpsApp`, with what each app file declared and read.

    ``declared`` maps each app's label to the ids of the clusters and fleets it declared (the
    app's top-level constructs); ``reads`` to the data files it opened while building.
    """

    app: GitOpsApp
    declared: dict[str, list[str]] = field(default_factory=dict)
    reads: dict[str, list[str]] = field(default_factory=dict)


def load_apps(apps_dir: Path, *, strict: bool = False) -> GitOpsApp:
    """Run every app of ``apps_dir`` into one :class:`GitOpsApp`."""
    return load_app_files(apps_dir, app_files(apps_dir), strict=strict).app


def load_app_files(apps_dir: Path, files: Sequence[Path], *, strict: bool = False) -> LoadedApps:
    """Run the app ``files`` of ``apps_dir``, in order, into one :class:`GitOpsApp`."""
    loaded = LoadedApps(GitOpsApp(strict=strict))
    app = loaded.app
    search_path = str(apps_dir.resolve())
    shadowed = {name: sys.modules.pop(name) for name in _stale_shared_modules(apps_dir)}
    sys.path.insert(0, search_path)
    try:
        for file in files:
            label = app_label(file)
            before = ({cluster.name for cluster in app.clusters}, {fleet.name for fleet in app.fleets})
            try:
                with paused_garbage_collection(), recording_reads() as reads:  # constructing a fleet is batch work too
                    _run_app(file, app, label)
            except AppLoadError:
                raise
            except InvalidInputError as error:
                raise AppLoadError(f"{label} at {_location(error, file)}: {error}") from None
            except ValidationError as error:  # a props model (Node, GitRepo, NodeProfile...) built directly
                details = InvalidInputError.from_validation(error.title, error)
                raise AppLoadError(f"{label} at {_location(error, file)}: {details}") from None
            except SystemExit as error:
                raise AppLoadError(f"{label} called sys.exit({error.code!r}) at {_location(error, file)}") from None
            except Exception as error:  # an app's own bug: report it where it happened
                raise AppLoadError(
                    f"{label} raised {type(error).__name__} at {_location(error, file)}: {error}{_hint(error)}"
                ) from error
            loaded.declared[label] = [
                *(cluster.name for cluster in app.clusters if cluster.name not in before[0]),
                *(fleet.name for fleet in app.fleets if fleet.name not in before[1]),
            ]
            loaded.reads[label] = reads
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(search_path)
        _forget_shared_modules(search_path)
        sys.modules.update(shadowed)
    return loaded
