"""The synth cache: what each group of app files produced last time, beside the tree and outside it.

``.<tree>.cache`` (``.gitops.cache`` for ``gitops/``) records, for each *group* of app files, the
key of each app (see ``sources.py``), the clusters and fleets the group declares, the SHA-256 of
every file it produced, and its warnings. A group is one app file, or the app files whose
clusters share a fleet together with the app that declares the fleet: a fleet's ``fleets/<fleet>/``
lists every member, so its members are always rendered together.

The cache never stands in for the tree, only for rendering. A group is reused only when the key
of every one of its apps matches *and* every file it produced is on disk with the recorded
digest; its files are then read from the tree. A cache file that is missing, truncated, corrupt
(its checksum does not match), of another format or written for other options reads as empty.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gpumanifests._errors import OutputError, Problem, Severity
from gpumanifests._output.tree import OWNERSHIP_FILE, digest_record, file_digest, reading_tree, scan_tree
from gpumanifests._synth.sources import AppInputs, app_files, app_label

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping, Sequence
    from pathlib import Path

__all__ = ["CachedGroup", "SynthCache", "cache_options", "cluster_order", "declarations", "warning_order"]

_MAGIC = b"gpumanifests synth cache 1\n"
_CHECKSUM_LENGTH = 64


@dataclass(frozen=True)
class CachedGroup:
    """App files rendered together, the keys their inputs had, and what they produced."""

    apps: tuple[str, ...]
    keys: tuple[str, ...]
    reads: tuple[tuple[str, ...], ...]
    """The data files each app read while building, part of its key."""
    declared: tuple[tuple[str, ...], ...]
    """The ids of the clusters and fleets each app declares, in declaration order."""
    clusters: frozenset[str]
    files: dict[str, str]
    """Each produced file's path in the tree and its SHA-256."""
    warnings: tuple[Problem, ...]

    def to_data(self) -> tuple[Any, ...]:
        warnings = tuple((problem.path, problem.message, problem.fix) for problem in self.warnings)
        return (self.apps, self.keys, self.reads, self.declared, tuple(sorted(self.clusters)), self.files, warnings)

    @classmethod
    def from_data(cls, data: tuple[Any, ...]) -> CachedGroup:
        apps, keys, reads, declared, clusters, files, warnings = data
        if not len(apps) == len(keys) == len(reads) == len(declared):
            raise ValueError("a group needs a key, reads and declarations per app")
        problems = tuple(Problem(path, message, fix, Severity.WARNING) for path, message, fix in warnings)
        return cls(apps, keys, reads, declared, frozenset(clusters), dict(files), problems)

    @property
    def names(self) -> set[str]:
        """The ids of every cluster and fleet the group declares."""
        return {name for names in self.declared for name in names}


def declarations(groups: Iterable[CachedGroup]) -> dict[str, tuple[str, ...]]:
    """The ids each app of ``groups`` declares, by app label."""
    return {label: names for group in groups for label, names in zip(group.apps, group.declared, strict=True)}


def cluster_order(files: Sequence[Path], declared: Mapping[str, Sequence[str]], clusters: Collection[str]) -> list[str]:
    """``clusters`` in declaration order: by app file, then in the order each app declared them."""
    return [name for file in files for name in declared.get(app_label(file), ()) if name in clusters]


def warning_order(warnings: Iterable[Problem], clusters: Sequence[str]) -> list[Problem]:
    """``warnings`` as a synth reports them: cluster by cluster, in ``clusters`` order, then the fleets'."""
    position = {cluster: index for index, cluster in enumerate(clusters)}
    return sorted(warnings, key=lambda warning: position.get(warning.path.split("/")[0], len(position)))


def _read(path: Path) -> list[CachedGroup]:
    """The groups of a cache file; none when it is missing, truncated, corrupt or of another format."""
    try:
        content = path.read_bytes()
    except OSError:
        return []
    header = len(_MAGIC) + _CHECKSUM_LENGTH
    payload = content[header:]
    checksum = hashlib.sha256(payload).hexdigest().encode()
    if content[: len(_MAGIC)] != _MAGIC or content[len(_MAGIC) : header] != checksum:
        return []
    try:  # marshal only ever sees bytes this module wrote: the checksum matched
        return [CachedGroup.from_data(entry) for entry in marshal.loads(payload)]
    except (ValueError, TypeError, EOFError):
        return []


def _write(path: Path, groups: Iterable[CachedGroup]) -> None:
    """Replace the cache file atomically; a cache that cannot be written is only a slower next run."""
    payload = marshal.dumps([group.to_data() for group in groups])
    temporary = path.with_name(f"{path.name}.{os.getpid()}")
    with contextlib.suppress(OSError):
        temporary.write_bytes(_MAGIC + hashlib.sha256(payload).hexdigest().encode() + payload)
        temporary.replace(path)
    with contextlib.suppress(OSError):
        temporary.unlink(missing_ok=True)


def _verified(tree: Path, files: Mapping[str, str]) -> dict[str, bytes] | None:
    """The contents of ``files`` in ``tree`` when each has its recorded digest; None otherwise."""
    found = {}
    for path, digest in files.items():
        try:
            content = (tree / path).read_bytes()
        except OSError:
            return None
        if file_digest(content) != digest:
            return None
        found[path] = content
    return found


def cache_options(*, strict: bool) -> str:
    """The options of a run that its output depends on, part of every key."""
    return f"strict={strict}"


class SynthCache:
    """The cache of the tree at ``out`` for the apps in ``apps_dir``, synthesized with ``options``."""

    def __init__(self, apps_dir: Path, out: Path, options: str) -> None:
        self.apps_dir = apps_dir
        self.out = out
        self.path = out.parent / f".{out.name}.cache"
        self.inputs = AppInputs(apps_dir, options)
        self.files = app_files(apps_dir)
        # read before the apps run, so an app edited during the synth never gets the key of its new code
        self._sources = {app_label(file): self.inputs.source(file) for file in self.files}

    def key(self, label: str, reads: Sequence[str]) -> str:
        """The key of the app ``label`` now, given the data files it reads."""
        return self.inputs.key(self._sources[label], reads)

    def matching(self) -> list[CachedGroup]:
        """The cached groups whose apps all exist with the inputs they had."""
        return [group for group in _read(self.path) if self._matches(group)]

    def _matches(self, group: CachedGroup) -> bool:
        return all(
            label in self._sources and key == self.key(label, reads)
            for label, key, reads in zip(group.apps, group.keys, group.reads, strict=True)
        )

    def reusable(self) -> tuple[list[CachedGroup], dict[str, bytes]]:
        """The matching groups whose files are all on disk as recorded, and those files' contents.

        Nothing while a synth is writing the tree, so the caller renders everything (and a synth
        reports the lock as it does without a cache).
        """
        groups: list[CachedGroup] = []
        contents: dict[str, bytes] = {}
        try:
            with reading_tree(self.out) as tree:
                for group in self.matching():
                    found = _verified(tree, group.files)
                    if found is not None:
                        groups.append(group)
                        contents |= found
        except OutputError:
            return [], {}
        return groups, contents

    def unchanged_tree(self) -> list[CachedGroup] | None:
        """The cached groups, when they cover every app and the tree is exactly what they produced.

        Exactly: every file with its recorded digest, the ownership record listing them, and no
        other file, symlink or special entry (directories are compared through what they hold).
        None otherwise: then only a synth can tell how the tree differs.
        """
        groups = self.matching()
        if {label for group in groups for label in group.apps} != set(self._sources):
            return None
        expected = {path: digest for group in groups for path, digest in group.files.items()}
        expected[OWNERSHIP_FILE] = file_digest(digest_record(expected))
        with reading_tree(self.out) as tree:
            entries = scan_tree(tree)
            if {path for path, entry in entries.items() if entry.kind != "directory"} != set(expected):
                return None
            for path, digest in expected.items():
                if entries[path].kind != "file" or file_digest((tree / path).read_bytes()) != digest:
                    return None
        return groups

    def warnings(self, groups: Sequence[CachedGroup]) -> list[Problem]:
        """The warnings of ``groups``, in the order a synth reports them."""
        clusters = cluster_order(self.files, declarations(groups), {c for group in groups for c in group.clusters})
        return warning_order((warning for group in groups for warning in group.warnings), clusters)

    def save(self, groups: Sequence[CachedGroup]) -> None:
        """Record ``groups`` as the whole cache."""
        _write(self.path, groups)
