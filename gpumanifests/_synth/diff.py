"""``gpumanifests diff``: what a synth would change, object by object.

The fresh synthesis and the YAML on disk are both parsed and compared as objects, per cluster
and per Application (component directory): objects created, objects changed with each changed
field as a dotted path (``spec.template.spec.containers[0].image: a -> b``), objects deleted.
Only files a synth manages are compared: ``clusters/<cluster>/<dir>/<file>.yaml``, and on disk
only those the ownership record lists (a synth leaves any other file alone).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import groupby
from typing import TYPE_CHECKING, Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from gpumanifests._argocd.models import SYNC_OPTIONS_ANNOTATION
from gpumanifests._errors import OutputError
from gpumanifests._kube.labels import INSTANCE_LABEL
from gpumanifests._output.layout import manifest_location
from gpumanifests._output.tree import owned_files, reading_tree, scan_tree

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path


__all__ = ["ApplicationDiff", "field_changes", "review_diff", "tree_changes"]

_ABSENT = "(absent)"
_MISSING = object()


@dataclass
class ApplicationDiff:
    """The object changes of one Application (component directory) of one cluster.

    ``kept`` are objects removed from git that Argo CD does not prune (``Prune=false``);
    ``reruns`` pair a run-once Job new in git with the previous run it leaves running, by new
    name: (previous name, changed fields).
    """

    created: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    reruns: dict[str, tuple[str, list[str]]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The changes, one object per line, each changed field indented below its object."""
        lines = [f"created: {name}" for name in self.created]
        for name, (previous, fields) in self.reruns.items():
            lines.append(f"new run: {name} (the previous run, {previous}, is left to finish: Prune=false)")
            lines.extend(f"  {change}" for change in fields)
        for name, fields in self.changed.items():
            lines.append(f"changed: {name}")
            lines.extend(f"  {change}" for change in fields)
        lines.extend(f"deleted: {name}" for name in self.deleted)
        lines.extend(f"kept: {name} (no longer in git; Prune=false leaves it in the cluster)" for name in self.kept)
        return lines

    def counts(self) -> tuple[int, int, int]:
        """How many objects are created (new runs included), changed and deleted (kept ones are not)."""
        return len(self.created) + len(self.reruns), len(self.changed), len(self.deleted)


def _load(text: bytes | str, where: str) -> Any:
    try:
        return YAML(typ="safe", pure=True).load(text)
    except YAMLError as error:
        raise OutputError(
            f"{where} is not valid YAML ({error}); restore it from git or run `gpumanifests synth`"
        ) from None


def _object_name(manifest: Any, path: str) -> str:
    """``Kind namespace/name`` of a manifest (the file name when it is not a Kubernetes object)."""
    try:
        metadata = manifest["metadata"]
        namespace = f"{metadata['namespace']}/" if metadata.get("namespace") else ""
        return f"{manifest['kind']} {namespace}{metadata['name']}"
    except (KeyError, TypeError):
        return path.rsplit("/", 1)[-1]


def _show(value: Any) -> str:
    if value is _MISSING:
        return _ABSENT
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(", ", ": "))


def _walk(before: Any, after: Any, path: str) -> Iterator[str]:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in [*before, *(key for key in after if key not in before)]:
            yield from _walk(before.get(key, _MISSING), after.get(key, _MISSING), f"{path}.{key}" if path else key)
    elif isinstance(before, list) and isinstance(after, list):
        for index in range(max(len(before), len(after))):
            old = before[index] if index < len(before) else _MISSING
            new = after[index] if index < len(after) else _MISSING
            yield from _walk(old, new, f"{path}[{index}]")
    elif before != after or type(before) is not type(after):
        yield f"{path}: {_show(before)} -> {_show(after)}"


def field_changes(before: Any, after: Any) -> list[str]:
    """Every leaf that differs, as ``dotted.path[index]: before -> after``."""
    return list(_walk(before, after, ""))


def _disk_manifests(out: Path) -> dict[str, bytes]:
    # under the synth lock (shared), regular files only: a symlink at a managed path is replaced by synth
    with reading_tree(out) as tree:
        owned = owned_files(tree)
        return {
            path: (tree / path).read_bytes()
            for path, entry in scan_tree(tree).items()
            if entry.kind == "file" and manifest_location(path) is not None and (not owned or path in owned)
        }


def _fresh_manifests(files: Mapping[str, bytes]) -> dict[str, bytes]:
    return {path: content for path, content in files.items() if manifest_location(path) is not None}


def tree_changes(out: Path, files: Mapping[str, bytes]) -> dict[tuple[str, str], ApplicationDiff]:
    """What writing ``files`` into ``out`` would change, by (cluster, Application directory)."""
    disk, fresh = _disk_manifests(out), _fresh_manifests(files)
    diffs: dict[tuple[str, str], ApplicationDiff] = defaultdict(ApplicationDiff)
    created: dict[tuple[str, str], dict[str, Any]] = {}
    gone: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted({*disk, *fresh}):
        location = manifest_location(path)
        assert location is not None
        before = _load(disk[path], str(out / path)) if path in disk else None
        after = _load(fresh[path], path) if path in fresh else None
        name = _object_name(after if after is not None else before, path)
        if before is None:
            created.setdefault(location, {})[name] = after
        elif after is None:
            gone.setdefault(location, {})[name] = before
        elif before != after:
            diffs[location].changed[name] = field_changes(before, after)
    for location in {*created, *gone}:
        _pair_reruns(diffs[location], created.get(location, {}), gone.get(location, {}))
    return dict(diffs)


def _pair_reruns(diff: ApplicationDiff, created: dict[str, Any], gone: dict[str, Any]) -> None:
    """Sort the created and vanished objects of one Application into created, reruns, kept and deleted."""
    kept = {name: manifest for name, manifest in gone.items() if _not_pruned(manifest)}
    previous = {_run_key(manifest): name for name, manifest in kept.items()}
    for name, manifest in created.items():
        match = previous.pop(_run_key(manifest), None)
        if match is None:
            diff.created.append(name)
        else:
            diff.reruns[name] = (match.rpartition("/")[2], field_changes(kept.pop(match), manifest))
    diff.kept.extend(kept)
    diff.deleted.extend(name for name in gone if not _not_pruned(gone[name]))


def _not_pruned(manifest: Any) -> bool:
    """Whether Argo CD leaves the object in the cluster when it leaves git (``Prune=false``)."""
    annotations = (manifest.get("metadata") or {}).get("annotations") or {}
    return "Prune=false" in str(annotations.get(SYNC_OPTIONS_ANNOTATION, "")).split(",")


def _run_key(manifest: Any) -> tuple[str, str, str]:
    """What two runs of one run-once Job share: kind, namespace and the workload it belongs to."""
    metadata = manifest.get("metadata") or {}
    instance = (metadata.get("labels") or {}).get(INSTANCE_LABEL, metadata.get("name", ""))
    return (str(manifest.get("kind")), str(metadata.get("namespace", "")), str(instance))


def review_diff(out: Path, files: Mapping[str, bytes]) -> str:
    """What writing ``files`` into ``out`` would change, per cluster and Application; "no changes" if nothing."""
    diffs = tree_changes(out, files)
    if not diffs:
        return "no changes\n"
    lines: list[str] = []
    for cluster, entries in groupby(sorted(diffs.items()), key=lambda entry: entry[0][0]):
        lines.append(f"fleet {cluster.partition('/')[2]}:" if "/" in cluster else f"cluster {cluster}:")
        for (_, directory), diff in entries:
            lines.append(f"  application {directory}:")
            lines.extend(f"    {line}" for line in diff.lines())
    created, changed, deleted = (
        sum(counts) for counts in zip(*(diff.counts() for diff in diffs.values()), strict=True)
    )
    lines.append(f"{created} created, {changed} changed, {deleted} deleted")
    return "\n".join(lines) + "\n"
