"""What an app's output depends on: its file, the shared modules it imports, the data it reads.

An apps directory holds app files (``*.py`` not starting with ``_``) and shared modules (``_*.py``
files and ``_*/`` packages) that the apps import. :class:`AppInputs` gives each app a key: one
digest over everything its output can depend on, so an unchanged key means an unchanged output:

- the app file, and every shared module it imports, directly or through another shared module
  (read from its ``import`` statements; a file that imports by name at run time, through
  ``importlib.import_module`` or ``__import__``, depends on every shared module);
- the data files the app read while building (CRD files, manifest files), recorded by
  :func:`recording_reads`;
- the library (every file of the package, vendored schemas included), the installed
  distributions and their versions, the Python version, and the options of the run.

The output of an app may depend on nothing else; in particular not on what another app file
declares, except through a fleet they share, which the cache handles (see ``cache.py``).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from gpumanifests._errors import GpuManifestsError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence
    from hashlib import _Hash

__all__ = ["AppInputs", "AppLoadError", "app_files", "app_label", "recording_reads"]

_FORMAT = "1"
"""Bumped whenever what a key covers changes, so older keys never match."""
_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import|import[ \t]+([\w., \t]+))", re.MULTILINE)
_DYNAMIC_IMPORT = re.compile(r"\b(?:import_module|__import__)\b")
_PACKAGE = Path(__file__).resolve().parent.parent
_WRITING = os.O_WRONLY | os.O_RDWR


class AppLoadError(GpuManifestsError):
    """An app file could not be loaded or its ``build`` failed."""


def app_files(apps_dir: Path) -> list[Path]:
    """The app modules of ``apps_dir``, sorted by name."""
    if apps_dir.exists() and not apps_dir.is_dir():
        raise AppLoadError(f"apps directory {apps_dir} is a file, not a directory; pass --apps DIR")
    if not apps_dir.is_dir():
        raise AppLoadError(
            f"apps directory {apps_dir} does not exist; create it with one <cluster>.py per cluster, or pass --apps DIR"
        )
    files = sorted(path for path in apps_dir.glob("*.py") if not path.name.startswith("_"))
    if not files:
        raise AppLoadError(f"{apps_dir} has no app files; add <cluster>.py defining build(app)")
    return files


def app_label(file: Path) -> str:
    """How an app file is named in messages and in its files' notice: ``<apps dir>/<file>``."""
    return f"{file.parent.name}/{file.name}"


def _digest_files(digest: _Hash, files: Iterable[Path], root: Path) -> None:
    for path in files:
        digest.update(f"\0{path.relative_to(root).as_posix()}\0".encode())
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"\0missing")


def _library_digest() -> str:
    """Every source and schema file of the package, and the name and version of every installed distribution."""
    digest = hashlib.sha256(f"{_FORMAT}\0{sys.version}\0{sys.implementation.cache_tag}".encode())
    files = (path for path in sorted(_PACKAGE.rglob("*")) if path.suffix in {".py", ".json"})
    _digest_files(digest, (path for path in files if "__pycache__" not in path.parts), _PACKAGE)
    for entry in sys.path:
        with contextlib.suppress(OSError):
            distributions = sorted(name for name in os.listdir(entry or ".") if name.endswith("-info"))
            digest.update("\0".join(distributions).encode())
    return digest.hexdigest()


def _imported_names(text: str) -> set[str]:
    """The top-level module names in the ``import`` and ``from ... import`` statements of ``text``."""
    names = set()
    for module, modules in _IMPORT.findall(text):
        for name in (module,) if module else modules.split(","):
            words = name.split()
            if words:
                names.add(words[0].split(".")[0])
    return names - {""}


class AppInputs:
    """The key of each app of one apps directory, for one set of run options (``options``)."""

    def __init__(self, apps_dir: Path, options: str) -> None:
        self._root = apps_dir
        self._context = hashlib.sha256(f"{_library_digest()}\0{options}".encode()).hexdigest()
        self._shared = {path.stem: [path] for path in apps_dir.glob("_*.py")}
        self._shared |= {path.name: sorted(path.rglob("*.py")) for path in apps_dir.glob("_*/") if path.is_dir()}

    def _imports(self, files: Sequence[Path]) -> set[str]:
        """The shared modules ``files`` import, directly or through other shared modules."""
        found: set[str] = set()
        pending = list(files)
        while pending:
            try:
                text = pending.pop().read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            names = set(self._shared) if _DYNAMIC_IMPORT.search(text) else _imported_names(text) & set(self._shared)
            for name in sorted(names - found):
                found.add(name)
                pending.extend(self._shared[name])
        return found

    def source(self, file: Path) -> str:
        """A digest of the app ``file``: its label and code, the shared modules it imports, library and options."""
        digest = hashlib.sha256(f"{self._context}\0{app_label(file)}".encode())
        shared = [path for name in sorted(self._imports([file])) for path in self._shared[name]]
        _digest_files(digest, [file, *shared], self._root)
        return digest.hexdigest()

    @staticmethod
    def key(source: str, data_files: Sequence[str]) -> str:
        """The key of an app: its :meth:`source` digest and the content of the data files it read."""
        digest = hashlib.sha256(source.encode())
        for data in data_files:
            digest.update(f"\0{data}\0".encode())
            try:
                digest.update(Path(data).read_bytes())
            except OSError:
                digest.update(b"\0missing")
        return digest.hexdigest()


_reads: list[list[str]] = []
"""The paths read so far by each :func:`recording_reads` block that is running, innermost last."""


def _is_data(path: str) -> bool:
    """Whether a file opened while an app builds is data it reads (not Python code, not the library)."""
    if path.endswith((".py", ".pyc")) or "__pycache__" in path:
        return False
    return not path.startswith((sys.prefix, sys.base_prefix, str(_PACKAGE)))


def _writes(mode: object, flags: object) -> bool:
    if isinstance(mode, str):
        return any(letter in mode for letter in "wax+")
    return isinstance(flags, int) and bool(flags & _WRITING)


def _record_read(event: str, arguments: tuple[object, ...]) -> None:
    if not _reads or event != "open":
        return
    path, mode, flags = arguments
    if _writes(mode, flags) or not isinstance(path, str | bytes | os.PathLike):
        return
    absolute = os.path.abspath(os.fsdecode(path))
    if _is_data(absolute) and absolute not in _reads[-1]:
        _reads[-1].append(absolute)


@functools.cache
def _install_read_hook() -> None:
    """Audit hooks cannot be removed: the one hook records only while a block is open."""
    sys.addaudithook(_record_read)


@contextlib.contextmanager
def recording_reads() -> Iterator[list[str]]:
    """Collect the data files opened for reading inside the block."""
    _install_read_hook()
    reads: list[str] = []
    _reads.append(reads)
    try:
        yield reads
    finally:
        _reads.pop()
