"""Writing the generated tree safely: the lock, the atomic swap, recovery after a killed synth.

``write_tree`` never leaves a half-written tree: it builds the complete new tree in a staging
directory beside the output (hard-linking files that did not change and entries it does not
own), then swaps the two directories in one atomic ``renameat2(RENAME_EXCHANGE)`` on Linux.
Files the generator wrote before are listed, with their hashes, in ``.gpumanifests.json`` at
the top of the tree: those no longer produced are dropped, and any other entry (file, symlink,
directory, empty or not, with its mode) is carried over. A new output that would overwrite an
entry we did not generate, or be written below a file or symlink we did not generate, is
refused, naming the entry.

Entries a person creates or replaces in the tree while a synth runs land in the old tree that
the swap moves out; before the old tree is deleted they are moved back into the new one. If
one cannot be (the new tree has another version of it), the old tree is kept beside the output
and the error names it. A marker file beside the tree says "a swap happened, the directory
beside the tree may hold such entries", so a synth killed at any point is finished by the next
one the same way: a staging directory without a marker holds only copies of the tree and
generated files, and is deleted.

A lock beside the tree keeps two synths from writing at once; ``check`` and ``diff`` take it
shared, so they never read a tree that is being swapped.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import filecmp
import hashlib
import json
import os
import re
import shutil
import stat
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

from filelock import FileLock, Timeout

from gpumanifests._errors import OutputError, listed

if sys.platform != "win32":
    import fcntl

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable, Iterator, Mapping

__all__ = [
    "OWNERSHIP_FILE",
    "Entry",
    "digest_record",
    "file_digest",
    "owned_files",
    "ownership_record",
    "reading_tree",
    "scan_tree",
    "write_tree",
]

OWNERSHIP_FILE = ".gpumanifests.json"
_STAGING = ".staging-"
_BACKUP = ".old"
_SWAPPED = ".swap"
_TRASH = ".trash"
"""An old tree being deleted: everything in it the user had is back in the tree, so a killed
deletion is finished by deleting the rest (its remnants are never mistaken for the user's)."""
_KEPT = ".kept-"
_RENAME_NOREPLACE, _RENAME_EXCHANGE = 1, 2
_AT_FDCWD = -100

_Item = TypeVar("_Item")
_Kind = Literal["file", "symlink", "directory", "fifo", "socket", "device"]


@dataclass(frozen=True)
class Entry:
    """One entry of a tree, as ``lstat`` sees it (symlinks are not followed)."""

    kind: _Kind
    ino: int
    mtime_ns: int


def _kind(mode: int) -> _Kind:
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "file"


def _entry(st: os.stat_result) -> Entry:
    return Entry(_kind(st.st_mode), st.st_ino, st.st_mtime_ns)


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return path.lstat()
    except FileNotFoundError:
        return None


def scan_tree(root: Path) -> dict[str, Entry]:
    """Every entry below ``root`` (directories included), by POSIX relative path; symlinks are not followed."""
    entries: dict[str, Entry] = {}
    if _lstat(root) is None:
        return entries

    def visit(directory: str, prefix: str) -> None:
        with os.scandir(directory) as children:
            found = sorted((child.name, child.path, _entry(child.stat(follow_symlinks=False))) for child in children)
        for name, path, entry in found:
            entries[prefix + name] = entry
            if entry.kind == "directory":
                visit(path, f"{prefix}{name}/")

    visit(os.fspath(root), "")
    return entries


def _ancestors(path: str) -> list[str]:
    """The directories a relative path lies in, outermost first: ``a/b/c`` -> ``a``, ``a/b``."""
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def file_digest(content: bytes) -> str:
    """A file's SHA-256, as the ownership record holds it."""
    return hashlib.sha256(content).hexdigest()


def _file_digest_at(path: str) -> str:
    with open(path, "rb") as file:
        return file_digest(file.read())


def ownership_record(files: Mapping[str, bytes]) -> bytes:
    """The ownership file's content: every generated path and its SHA-256, sorted."""
    return digest_record({path: file_digest(content) for path, content in files.items()})


def digest_record(digests: Mapping[str, str]) -> bytes:
    """The ownership file's content from each generated path's SHA-256."""
    record = {
        "comment": "Files generated by gpumanifests; synth replaces and removes only these.",
        "files": dict(sorted(digests.items())),
    }
    return (json.dumps(record, indent=2, sort_keys=True) + "\n").encode()


def owned_files(out: Path) -> dict[str, str]:
    record = out / OWNERSHIP_FILE
    if os.path.lexists(record) and (record.is_symlink() or not record.is_file()):
        raise OutputError(
            f"{record}, the record of the files gpumanifests generated, is not a regular file; restore it from git"
        )
    try:
        if not record.is_file():
            return {}
        files = json.loads(record.read_text(encoding="utf-8"))["files"]
        if not isinstance(files, dict):
            raise TypeError(f"'files' is a {type(files).__name__}, not a mapping")
    except (ValueError, KeyError, TypeError) as error:
        raise OutputError(f"{record} is not a gpumanifests ownership file ({error}); restore it from git") from None
    except OSError as error:
        raise OutputError(f"cannot read {record}: {error.strerror or error}") from None
    return {str(path): str(digest) for path, digest in files.items()}


def _absolute(out: Path) -> Path:
    """``out`` as an absolute path without ``.``/``..``; a symlinked output is the directory it points to."""
    try:
        return out.resolve()
    except (OSError, RuntimeError) as error:  # RuntimeError: a symlink loop before Python 3.13
        raise OutputError(f"cannot resolve {out}: {error}") from None


def _why(error: OSError) -> str:
    where = f" ({error.filename})" if error.filename else ""
    return f"{error.strerror or error}{where}"


def _check_output_dir(out: Path) -> None:
    if out.parent == out:
        raise OutputError(
            f"cannot write the tree into {out}: synth replaces the whole directory, which is impossible for "
            "a filesystem root; pass a directory inside it as --out"
        )
    if out.is_dir() and os.path.ismount(out):
        raise OutputError(
            f"cannot write the tree into {out}: it is a mount point (the root of a filesystem), and synth "
            "replaces the whole directory, which is impossible for a mount point; pass a directory inside it as --out"
        )
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} is a file, not a directory; move it away or pass another --out")
    if out.parent.exists() and not out.parent.is_dir():
        raise OutputError(f"{out.parent} is a file, not a directory, so {out} cannot be in it; pass another --out")
    if not out.parent.is_dir():
        raise OutputError(f"{out.parent} does not exist; create it or pass another --out")
    # The lock and the staging tree live beside the output; without this check a parent we may
    # not write would surface as a misleading lock timeout ("another synth is writing").
    if not os.access(out.parent, os.W_OK | os.X_OK):
        raise OutputError(
            f"{out.parent} is not writable, so {out} cannot be replaced; fix its permissions or pass another --out"
        )
    if out.is_dir() and not os.access(out, os.W_OK | os.X_OK):
        raise OutputError(f"{out} is read-only; make it writable (chmod u+w) or pass another --out")


def _lock_path(out: Path) -> Path:
    return out.parent / f".{out.name}.lock"


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    lock_path = _lock_path(out)
    lock = FileLock(lock_path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise OutputError(
            f"another gpumanifests synth is writing {out} (lock {lock_path}); wait for it to finish and retry"
        ) from None
    except OSError as error:
        raise OutputError(f"cannot lock {out}: {error.strerror or error}") from None
    try:
        yield
    finally:
        lock.release()


def _busy(out: Path, lock_path: Path) -> OutputError:
    return OutputError(f"a synth is writing {out} (lock {lock_path}); retry when it has finished")


def _open_lock(lock_path: Path) -> int | None:
    """The lock file opened for reading (created if we may); None when there is none and we may not create it."""
    try:
        return os.open(lock_path, os.O_RDONLY | os.O_CREAT, 0o644)
    except FileNotFoundError:
        return None  # no directory to hold a lock: no synth can be writing there
    except OSError:
        pass
    try:  # a parent we may not write: only a lock a synth already created matters
        return os.open(lock_path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise OutputError(f"cannot open the lock {lock_path}: {error.strerror or error}") from None


@contextlib.contextmanager
def _shared_lock(out: Path) -> Iterator[None]:
    """Hold the synth lock shared (readers do not exclude each other); fail at once while a synth holds it."""
    lock_path = _lock_path(out)
    if sys.platform == "win32":  # no flock: the synth's own lock, exclusively
        lock = FileLock(lock_path, timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise _busy(out, lock_path) from None
        try:
            yield
        finally:
            lock.release()
        return
    fd = _open_lock(lock_path)
    try:
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                raise _busy(out, lock_path) from None
            except OSError as error:
                if error.errno not in {errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOLCK}:
                    raise OutputError(f"cannot lock {lock_path}: {error.strerror or error}") from None
        yield
    finally:
        if fd is not None:
            os.close(fd)


@contextlib.contextmanager
def reading_tree(out: Path) -> Iterator[Path]:
    """Read the tree at ``out`` (yielded as an absolute path) while no synth writes it; errors become OutputError."""
    tree = _absolute(out)
    with _shared_lock(tree):
        try:
            yield tree
        except OSError as error:
            raise OutputError(f"cannot read {out}: {_why(error)}") from None


def _renameat2(source: Path, target: Path, flags: int) -> bool:
    """``renameat2``; False where it does not exist (not Linux, old kernel, or a filesystem without it)."""
    if sys.platform != "linux":
        return False
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), flags) == 0:
        return True
    error = ctypes.get_errno()
    if error in {errno.EINVAL, errno.ENOSYS, errno.ENOTSUP}:
        return False
    raise OSError(error, os.strerror(error), str(target))


def _exchange(staging: Path, out: Path) -> None:
    """Atomically swap two directories (Linux ``renameat2``); elsewhere, two renames.

    The fallback leaves a short window in which ``out`` is missing; the old tree is then in
    ``<staging>.old``, which :func:`_recover` puts back.
    """
    if _renameat2(staging, out, _RENAME_EXCHANGE):
        return
    backup = staging.with_name(staging.name + _BACKUP)
    out.rename(backup)
    try:
        staging.rename(out)
    except BaseException:
        backup.rename(out)
        raise
    backup.rename(staging)


def _move_noreplace(source: Path, target: Path) -> None:
    """Rename ``source`` to ``target`` unless ``target`` exists (FileExistsError then)."""
    if _renameat2(source, target, _RENAME_NOREPLACE):
        return
    if os.path.lexists(target):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target))
    os.rename(source, target)


def _rmtree(path: Path) -> bool:
    """Delete ``path`` (a directory tree, or anything else); directories we may not write are made writable first."""
    if path.is_symlink() or not path.is_dir():
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        return not os.path.lexists(path)
    _in_parallel(_unlink_files, [os.path.join(root, name) for root, _, names in os.walk(path) for name in names])
    shutil.rmtree(path, ignore_errors=True)  # the directories, and what could not be unlinked above
    if not os.path.lexists(path):
        return True
    for root, directories, _ in os.walk(path):  # top-down, so a directory is writable before it is listed
        for name in [".", *directories]:
            target = os.path.join(root, name)
            if not os.path.islink(target):
                with contextlib.suppress(OSError):
                    os.chmod(target, stat.S_IMODE(os.lstat(target).st_mode) | stat.S_IRWXU)
    shutil.rmtree(path, ignore_errors=True)
    return not os.path.lexists(path)


# -- building the new tree ------------------------------------------------------------------------


def _edited(out: Path, owned: Mapping[str, str], disk: Mapping[str, Entry]) -> list[str]:
    """The files the ownership record lists that are there with other content: no longer provably ours."""
    edited, root = [], os.fspath(out)
    for path, digest in sorted(owned.items()):
        entry = disk.get(path)
        if entry is not None and (entry.kind != "file" or _file_digest_at(f"{root}/{path}") != digest):
            edited.append(str(out / path))
    return edited


def _check_paths(files: Collection[str]) -> None:
    """Refuse a path that is not plain and relative: empty, absolute, or with an empty, ``.`` or ``..`` part."""
    for path in files:
        if path == OWNERSHIP_FILE or any(part in _NOT_PLAIN for part in path.split("/")):
            raise OutputError(f"refusing to write {path!r}: not a plain relative path inside the tree")


_NOT_PLAIN = frozenset({"", ".", ".."})
"""Path parts a plain relative path never has (an empty part: a leading, doubled or trailing '/')."""


def _describe(root: Path, path: str, entry: Entry) -> str:
    if entry.kind == "symlink":
        try:
            return f"a symlink to {os.readlink(root / path)}"
        except OSError:
            return "a symlink"
    return f"a {entry.kind}"


def _conflicts(out: Path, files: Collection[str], disk: Mapping[str, Entry], owned: Mapping[str, str]) -> list[str]:
    """Entries that writing ``files`` would overwrite, or write below, and that we did not generate."""
    problems: dict[str, str] = {}
    for path in sorted(files):
        entry = disk.get(path)
        if entry is not None and (path not in owned or entry.kind == "directory"):
            problems[path] = str(out / path) + (" (a directory)" if entry.kind == "directory" else "")
        for ancestor in _ancestors(path):
            above = disk.get(ancestor)
            # a generated file no longer produced is dropped, so a directory can take its place
            if above is not None and above.kind != "directory" and not (ancestor in owned and ancestor not in files):
                problems.setdefault(
                    ancestor, f"{out / ancestor} ({_describe(out, ancestor, above)}, in the way of {path})"
                )
                break
    return [problems[path] for path in sorted(problems)]


class _Staging:
    """The new tree being built; nothing is ever created outside its root.

    Paths are handled as strings here: the staging of a large tree joins thousands of them.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._root = os.fspath(root)
        self.real = root.resolve()
        self._checked: set[str] = set()
        self.placed: dict[str, int] = {}

    def target(self, path: str) -> str:
        """``root/path`` after making its parent directories, which must lie inside the staging root."""
        parent, _, _ = path.rpartition("/")
        if parent not in self._checked:
            (self.root / parent).mkdir(parents=True, exist_ok=True)
            self._check_inside(parent, path)
        return f"{self._root}/{path}"

    def _check_inside(self, directory: str, path: str) -> None:
        real = (self.root / directory).resolve()
        if real != self.real and self.real not in real.parents:
            raise OutputError(f"refusing to write {path}: its directory resolves to {real}, outside the tree")
        self._checked.add(directory)

    def carry(self, source: Path, path: str, entry: Entry) -> None:
        """Carry an entry we did not generate over from the old tree (a hard link where possible)."""
        try:
            if entry.kind == "directory":
                os.makedirs(self.target(path), exist_ok=True)
            elif entry.kind == "symlink":
                # a symlink the user keeps in the tree stays a symlink (os.link would follow it)
                os.symlink(os.readlink(source), self.target(path))
            else:
                target = self.target(path)
                try:
                    os.link(source, target, follow_symlinks=False)
                except OSError:
                    if entry.kind != "file":
                        raise
                    shutil.copy2(source, target, follow_symlinks=False)
        except FileNotFoundError:
            if os.path.lexists(source):
                raise
            return  # removed from the tree while we were building: not carried over
        self.placed[path] = os.lstat(f"{self._root}/{path}").st_ino

    def make_parents(self, paths: Iterable[str]) -> None:
        """Make the directories ``paths`` lie in, a level at a time (each level's in parallel), all inside the root."""
        missing = {ancestor for path in paths for ancestor in _ancestors(path)} - self._checked
        for depth in sorted({directory.count("/") for directory in missing}):
            level = sorted(directory for directory in missing if directory.count("/") == depth)
            _in_parallel(_make_directories, [f"{self._root}/{directory}" for directory in level])
            for directory in level:  # before anything is made inside them
                self._check_inside(directory, directory)

    def write_all(self, files: Iterable[tuple[str, bytes, str | None]]) -> None:
        """Write each ``(path, content, reuse)``: a hard link to ``reuse`` (an unchanged file) where possible."""
        listed = list(files)
        self.make_parents(path for path, _, _ in listed)
        _in_parallel(_write_files, [(self.target(path), content, reuse) for path, content, reuse in listed])


_THREADS = 8
_ITEMS_PER_THREAD = 16
"""Fewer items than this per thread are handled by fewer threads: starting one costs more than it saves."""


def _in_parallel(work: Callable[[list[_Item]], object], items: list[_Item]) -> None:
    """``work`` on ``items``, split among up to :data:`_THREADS` threads; re-raises the first thread's error.

    For file system calls: creating, linking or deleting a file mostly waits on the file system
    (its journal, the disk), which overlaps across threads, as git's parallel checkout finds.
    """
    threads = min(_THREADS, len(items) // _ITEMS_PER_THREAD)
    if threads <= 1:
        work(items)
        return
    with ThreadPoolExecutor(threads) as pool:
        for _ in pool.map(work, [items[index::threads] for index in range(threads)]):
            pass


def _make_directories(directories: list[str]) -> None:
    for directory in directories:
        os.makedirs(directory, exist_ok=True)


def _unlink_files(paths: list[str]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _write_files(jobs: list[tuple[str, bytes, str | None]]) -> None:
    for target, content, reuse in jobs:
        if reuse is not None:
            with contextlib.suppress(OSError):
                os.link(reuse, target, follow_symlinks=False)
                continue
        with open(target, "wb") as file:
            file.write(content)


def _stage(
    staging: Path, source: Path, files: Mapping[str, bytes], disk: Mapping[str, Entry], owned: Mapping[str, str]
) -> dict[str, int]:
    """Build the new tree in ``staging``; returns the inode of every entry carried over from ``source``."""
    staging.mkdir()
    tree = _Staging(staging)
    generated = {*files, *owned, OWNERSHIP_FILE}
    generated_dirs = {ancestor for path in (*files, *owned) for ancestor in _ancestors(path)}
    for path, entry in disk.items():
        if entry.kind == "directory":
            if path not in generated_dirs:  # a generated directory exists only while it holds something
                tree.carry(source / path, path, entry)
        elif path not in generated:
            tree.carry(source / path, path, entry)
    digests = {path: file_digest(content) for path, content in files.items()}
    source_root = os.fspath(source)

    def reusable(path: str) -> str | None:
        """The old tree's copy of ``path`` when it holds exactly the new content (then it is linked)."""
        previous, old = disk.get(path), f"{source_root}/{path}"
        unchanged = (
            previous is not None
            and previous.kind == "file"
            and owned.get(path) == digests[path]
            and _file_digest_at(old) == owned[path]
        )
        return old if unchanged else None

    tree.write_all((path, content, reusable(path)) for path, content in files.items())
    (staging / OWNERSHIP_FILE).write_bytes(digest_record(digests))
    # modes (and times) of the directories that were there before, innermost first, so a
    # read-only directory is made read-only only once everything is in it
    for path, entry in sorted(disk.items(), reverse=True):
        copy = staging / path
        if entry.kind == "directory" and copy.is_dir() and not copy.is_symlink():
            try:
                shutil.copystat(source / path, copy, follow_symlinks=False)
            except FileNotFoundError:
                if os.path.lexists(source / path):
                    raise
    if source.is_dir():
        shutil.copystat(source, staging)
    return tree.placed


# -- after the swap: what changed in the old tree while we were building ---------------------------


def _same(old: Path, old_entry: Entry, new: Path, new_st: os.stat_result) -> bool:
    """Whether the new tree's entry holds the same thing as the old tree's."""
    new_kind = _kind(new_st.st_mode)
    if new_kind != old_entry.kind:
        return False
    if new_st.st_ino == old_entry.ino and new_st.st_dev == old.lstat().st_dev:
        return True
    if new_kind == "symlink":
        return os.readlink(old) == os.readlink(new)
    if new_kind == "file":
        return filecmp.cmp(old, new, shallow=False)
    return False


def _make_parents(out: Path, old: Path, path: str) -> None:
    """Create the directories ``path`` lies in inside ``out`` (modes from ``old``); fails on a file in the way."""
    made: list[str] = []
    for ancestor in _ancestors(path):
        st = _lstat(out / ancestor)
        if st is None:
            (out / ancestor).mkdir()
            made.append(ancestor)
        elif not stat.S_ISDIR(st.st_mode):
            raise FileExistsError(errno.ENOTDIR, f"{out / ancestor} is not a directory", str(out / ancestor))
    for ancestor in reversed(made):
        with contextlib.suppress(OSError):
            shutil.copystat(old / ancestor, out / ancestor, follow_symlinks=False)


def _put_back(
    old: Path,
    out: Path,
    generated: Collection[str],
    snapshot: Mapping[str, Entry] | None,
    placed: Mapping[str, int],
) -> list[str]:
    """Move back into ``out`` every entry of the old tree ``old`` that is not generated and not in ``out``.

    With a ``snapshot`` (the synth that swapped), an entry unchanged since it was taken is in the new
    tree already; without one (a later synth finishing a killed one), every entry is compared with
    the tree. An entry of ``out`` is replaced only when it is the one the synth put there (``placed``).
    Returns the entries that could not be moved back.
    """
    generated_dirs = {ancestor for path in generated for ancestor in _ancestors(path)}
    stuck: list[str] = []

    def visit(directory: str) -> None:
        prefix = f"{directory}/" if directory else ""
        with os.scandir(old / directory if directory else old) as children:
            found = sorted((child.name, _entry(child.stat(follow_symlinks=False))) for child in children)
        for name, entry in found:
            path = prefix + name
            if entry.kind != "directory" and path in generated:
                continue
            if snapshot is not None and snapshot.get(path) == entry and entry.kind != "directory":
                continue
            source, target = old / path, out / path
            current = _lstat(target)
            if entry.kind == "directory":
                known = snapshot is not None and path in snapshot
                if (current is not None and stat.S_ISDIR(current.st_mode)) or known or path in generated_dirs:
                    visit(path)
                    continue
            elif current is not None and _same(source, entry, target, current):
                continue
            try:
                if current is None:
                    _make_parents(out, old, path)
                    _move_noreplace(source, target)
                elif entry.kind != "directory" and placed.get(path) == current.st_ino:
                    os.rename(source, target)  # the new tree holds our stale copy of it
                else:
                    stuck.append(path)
            except OSError:
                stuck.append(path)

    visit("")
    return stuck


def _kept_name(out: Path) -> Path:
    for attempt in range(1000):
        kept = out.parent / f"{out.name}{_KEPT}{os.getpid()}{f'-{attempt}' if attempt else ''}"
        if not os.path.lexists(kept):
            return kept
    raise OutputError(f"too many kept trees beside {out}; delete the {out.name}{_KEPT}* directories")


def _settle(
    out: Path,
    old: Path,
    generated: Collection[str],
    snapshot: Mapping[str, Entry] | None,
    placed: Mapping[str, int],
) -> str | None:
    """Move back what changed in ``old`` (an old tree), then delete it; else keep it and say why."""
    try:
        stuck = _put_back(old, out, generated, snapshot, placed)
        reason = ", ".join(stuck)
    except OSError as error:
        stuck, reason = ["?"], f"cannot compare it with {out}: {_why(error)}"
    if not stuck:
        trash = old.with_name(old.name + _TRASH)
        try:
            old.rename(trash)
        except OSError:
            trash = old
        _rmtree(trash)
        return None
    kept = old
    with contextlib.suppress(OSError, OutputError):
        kept = _kept_name(out)
        old.rename(kept)
    return (
        f"entries changed in {out} while a synth was writing it could not be put back ({reason}): "
        f"the tree they were in is kept as {kept}; copy what you need from it, then delete it"
    )


def _leftovers(out: Path) -> dict[str, dict[str, Path]]:
    """The staging directories, old trees and swap markers of killed synths of ``out``, by process id."""
    pattern = re.compile(
        rf"\.{re.escape(out.name)}{re.escape(_STAGING)}(\d+)({re.escape(_BACKUP)}|{re.escape(_SWAPPED)}|{re.escape(_TRASH)})?"
    )
    found: dict[str, dict[str, Path]] = {}
    with os.scandir(out.parent) as children:
        for child in children:
            match = pattern.fullmatch(child.name)
            if match:
                found.setdefault(match[1], {})[match[2] or ""] = Path(child.path)
    return found


def _recover(out: Path) -> None:
    """Finish what killed synths left beside ``out``: put an old tree back or reconcile it, delete staging trees."""
    problems: list[str] = []
    for _, parts in sorted(_leftovers(out).items()):
        staging, backup, marker = parts.get(""), parts.get(_BACKUP), parts.get(_SWAPPED)
        trash = parts.get(_TRASH)
        if trash is not None:
            _rmtree(trash)
        if backup is not None and _lstat(out) is None and backup.is_dir() and not backup.is_symlink():
            backup.rename(out)  # killed between the two renames of the fallback swap
            backup = None
        trees = [path for path in (staging, backup) if path is not None]
        if marker is None:  # never swapped: copies of the tree and generated files only
            for tree in trees:
                _rmtree(tree)
            continue
        for tree in trees:
            if tree.is_symlink() or not tree.is_dir():
                _rmtree(tree)
                continue
            try:
                generated = {*owned_files(tree), *owned_files(out), OWNERSHIP_FILE}
            except OutputError as error:
                problems.append(f"{tree} is kept beside {out}: {error}")
                continue
            problem = _settle(out, tree, generated, None, {})
            if problem is not None:
                problems.append(problem)
        marker.unlink(missing_ok=True)
    if problems:
        raise OutputError("a synth that was killed left work behind; " + "; ".join(problems))


def write_tree(out: Path, files: Mapping[str, bytes]) -> None:
    """Make ``out`` hold exactly ``files`` plus the entries we did not generate; all or nothing."""
    _check_paths(files)
    out = _absolute(out)  # a symlinked output: swap the directory the link points to, not the link
    _check_output_dir(out)
    with _locked(out):
        try:
            _recover(out)
            disk = scan_tree(out)
        except OSError as error:
            raise OutputError(f"cannot read {out}: {_why(error)}") from None
        owned = owned_files(out)
        edited = _edited(out, owned, disk)
        if edited:
            raise OutputError(
                f"{listed(edited)} changed since gpumanifests wrote them (their SHA-256 is not the one "
                f"{OWNERSHIP_FILE} records), so synth neither overwrites nor removes them: restore them from git "
                "(git checkout -- FILE) or delete them, then synth again"
            )
        conflicts = _conflicts(out, files, disk, owned)
        if conflicts:
            raise OutputError(
                "refusing to overwrite files that gpumanifests did not generate: "
                + listed(conflicts)
                + "; move them away (or delete them) and synth again"
            )
        staging = out.parent / f".{out.name}{_STAGING}{os.getpid()}"
        marker = staging.with_name(staging.name + _SWAPPED)
        old_root = _lstat(out)
        swapped = False
        try:
            placed = _stage(staging, out, files, disk, owned)
            if old_root is None:
                staging.rename(out)
                return
            os.close(os.open(marker, os.O_WRONLY | os.O_CREAT, 0o644))
            _exchange(staging, out)
            swapped = True
        except OSError as error:
            hint = " (is it a mount point?)" if error.errno == errno.EBUSY else ""
            raise OutputError(f"cannot write {out}: {_why(error)}{hint}") from None
        finally:
            if not swapped:
                now = _lstat(out)
                if old_root is None or (now is not None and now.st_ino == old_root.st_ino):
                    _rmtree(staging)  # never swapped in: only copies and generated files
                    marker.unlink(missing_ok=True)
                else:  # the fallback swap failed half-way: put the old tree back, or finish the swap
                    with contextlib.suppress(OSError, OutputError):
                        _recover(out)
        # the new tree is in place; ``staging`` now holds the old one
        problem = _settle(out, staging, {*files, *owned, OWNERSHIP_FILE}, disk, placed)
        marker.unlink(missing_ok=True)
        if problem is not None:
            raise OutputError(f"wrote {out}, but {problem}")
