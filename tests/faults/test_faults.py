"""Faults while writing the tree: it is always the complete old tree or the complete new one.

- An exception injected at the Nth call of each filesystem step of ``write_tree`` leaves the
  tree byte-identical (or, when the step has a fallback, complete and new), with no staging left;
  so does one in any of the threads that write a large tree.
- A ``gpumanifests synth`` subprocess killed with SIGKILL at random moments leaves the old or the
  new tree, never a mix; the next synth removes the staging directories the killed ones left.
- A second synth while another holds the lock fails at once, exit 1, naming the lock.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from gpumanifests._cli.main import main
from gpumanifests._output import tree as _output
from gpumanifests._output.tree import OWNERSHIP_FILE, write_tree

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parents[2]


def _hashes(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _files(version: str, count: int = 12) -> dict[str, bytes]:
    files = {f"clusters/c/part-{i % 3}/obj-{i}.yaml": f"object {i} version {version}\n".encode() for i in range(count)}
    files["clusters/c/stable.yaml"] = b"never changes\n"
    if version == "new":
        del files["clusters/c/part-0/obj-0.yaml"]
        files["clusters/c/added/new.yaml"] = b"added\n"
    return files


@pytest.fixture
def old_tree(tmp_path: Path) -> Path:
    out = tmp_path / "gitops"
    write_tree(out, _files("old"))
    (out / "README.md").write_text("a file we did not generate\n")
    (out / "clusters" / "notes.txt").write_text("also ours to keep\n")
    return out


def _expected_new(tmp_path: Path) -> dict[str, str]:
    reference = tmp_path / "reference" / "gitops"
    reference.parent.mkdir()
    write_tree(reference, _files("old"))
    (reference / "README.md").write_text("a file we did not generate\n")
    (reference / "clusters" / "notes.txt").write_text("also ours to keep\n")
    write_tree(reference, _files("new"))
    return _hashes(reference)


class InjectedError(OSError):
    """The injected failure."""


def _fail_on(n: int, real: Callable[..., Any]) -> Callable[..., Any]:
    calls = iter(range(1, 10_000))

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if next(calls) == n:
            raise InjectedError(5, "injected I/O error", str(args[0]) if args else "")
        return real(*args, **kwargs)

    return wrapper


def _write_fails(out: Path, files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch) -> bool:
    """Whether writing ``files`` fails with the injected failure in place (undone afterwards)."""
    try:
        write_tree(out, files)
    except (_output.OutputError, InjectedError):
        return True
    finally:
        monkeypatch.undo()
    return False


# (what to patch, has a fallback: a failure there may still produce the new tree)
TARGETS: dict[str, tuple[Any, str, bool]] = {
    "os.link": (os, "link", True),
    "Path.write_bytes": (Path, "write_bytes", False),
    "Path.mkdir": (Path, "mkdir", False),
    "Path.read_bytes": (Path, "read_bytes", False),
    "shutil.copy2": (shutil, "copy2", False),
    "shutil.copystat": (shutil, "copystat", False),
    "exchange": (_output, "_exchange", False),
}


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13])
@pytest.mark.parametrize("target", TARGETS, ids=TARGETS.keys())
def test_injected_failure_leaves_old_or_new_tree(
    target: str, n: int, old_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner, name, has_fallback = TARGETS[target]
    before = _hashes(old_tree)
    new = _expected_new(tmp_path)
    if target == "shutil.copy2":  # reached only when hard links fail, so make them fail
        monkeypatch.setattr(os, "link", _always_fail)
    monkeypatch.setattr(owner, name, _fail_on(n, getattr(owner, name)))
    failed = _write_fails(old_tree, _files("new"), monkeypatch)
    after = _hashes(old_tree)
    if failed:
        assert after == before, "a failed write changed the tree"
    else:
        assert after == new
        assert has_fallback or n > _calls_needed(target, tmp_path), f"{target} call {n} never failed the write"
    assert not list(old_tree.parent.glob(".gitops.staging-*")), "staging left behind"
    # and the next write goes through
    write_tree(old_tree, _files("new"))
    assert _hashes(old_tree) == new


def _large(version: str) -> dict[str, bytes]:
    """Hundreds of files, two thirds of them changed in the new version: written by several threads."""
    files = {
        f"clusters/c/part-{i % 7}/obj-{i}.yaml": f"object {i} {version if i % 3 else ''}\n".encode() for i in range(400)
    }
    assert len(files) // _output._ITEMS_PER_THREAD >= _output._THREADS
    return files


@pytest.mark.parametrize("n", [1, 90, 399])
@pytest.mark.parametrize("target", ["os.link", "open"])
def test_injected_failure_in_a_writer_thread_leaves_old_or_new_tree(
    target: str, n: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each writer thread's failure reaches the synth: the tree is the old one, or (a link falling back
    to a copy) the complete new one; unchanged files keep their inode (hard-linked from the old tree)."""
    import builtins

    out = tmp_path / "gitops"
    write_tree(out, _large("old"))
    before = _hashes(out)
    inodes = {path: (out / path).stat().st_ino for path in before}
    owner = os if target == "os.link" else builtins
    name = "link" if target == "os.link" else "open"
    monkeypatch.setattr(owner, name, _fail_on(n, getattr(owner, name)))
    failed = _write_fails(out, _large("new"), monkeypatch)
    assert not list(tmp_path.glob(".gitops.staging-*")), "staging left behind"
    if failed:
        assert target == "open"
        assert _hashes(out) == before, "a failed write changed the tree"
        write_tree(out, _large("new"))
    expected = {path: hashlib.sha256(content).hexdigest() for path, content in _large("new").items()}
    assert {path: digest for path, digest in _hashes(out).items() if path != OWNERSHIP_FILE} == expected
    if target == "open":
        unchanged = [path for path, content in _large("old").items() if _large("new")[path] == content]
        assert unchanged
        assert all((out / path).stat().st_ino == inodes[path] for path in unchanged)


def _always_fail(*args: Any, **kwargs: Any) -> None:
    raise OSError(18, "Invalid cross-device link")


def _calls_needed(target: str, tmp_path: Path) -> int:
    """How often a successful write calls ``target`` (a failure at a later N cannot happen)."""
    owner, name, _ = TARGETS[target]
    counter = {"n": 0}
    real = getattr(owner, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        counter["n"] += 1
        return real(*args, **kwargs)

    out = tmp_path / f"count-{target}" / "gitops"
    out.parent.mkdir()
    write_tree(out, _files("old"))
    (out / "README.md").write_text("x\n")
    with pytest.MonkeyPatch.context() as patch:
        if target == "shutil.copy2":
            patch.setattr(os, "link", _always_fail)
        patch.setattr(owner, name, counting)
        write_tree(out, _files("new"))
    return counter["n"]


def test_failure_while_exchanging_by_renames_restores_the_old_tree(
    old_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without renameat2 the swap is two renames; a failure of the second puts the old tree back."""
    before = _hashes(old_tree)
    monkeypatch.setattr(sys, "platform", "darwin")
    real_rename = Path.rename

    def rename(self: Path, target: Any) -> Any:
        if Path(target) == old_tree and self.name.startswith(".gitops.staging-") and not self.name.endswith(".old"):
            raise OSError(28, "No space left on device", str(target))
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(_output.OutputError, match="No space left on device"):
        write_tree(old_tree, _files("new"))
    monkeypatch.undo()
    assert _hashes(old_tree) == before
    assert not list(old_tree.parent.glob(".gitops.staging-*"))


def test_a_killed_fallback_swap_is_put_back_by_the_next_synth(old_tree: Path) -> None:
    """If a synth dies between the two renames, the old tree sits in ``<staging>.old``: recovered."""
    before = _hashes(old_tree)
    old_tree.rename(old_tree.parent / ".gitops.staging-4242.old")
    (old_tree.parent / ".gitops.staging-4242").mkdir()
    write_tree(old_tree, _files("old"))
    assert _hashes(old_tree) == before
    assert not list(old_tree.parent.glob(".gitops.staging-*"))


def test_a_killed_deletion_of_the_old_tree_leaves_nothing_the_next_synth_puts_back(tmp_path: Path) -> None:
    """A synth killed while deleting the swapped-out tree leaves part of it (its record maybe gone
    first): the next synth deletes the remnants, never moving old generated files back as the user's."""
    out = tmp_path / "gitops"
    write_tree(out, _files("old"))
    write_tree(out, _files("new"))
    expected = _hashes(out)
    remnant = tmp_path / ".gitops.staging-4242.trash"  # what the killed synth was deleting
    old = tmp_path / "old-copy"
    write_tree(old, _files("old"))
    (old / OWNERSHIP_FILE).unlink()  # deleted before the files it lists
    old.rename(remnant)
    (tmp_path / ".gitops.staging-4242.swap").touch()
    write_tree(out, _files("new"))
    assert _hashes(out) == expected
    assert not list(tmp_path.glob(".gitops.staging-*"))


# -- SIGKILL at random moments ---------------------------------------------------------------

BIG_APP = """
import gpumanifests as gm

TAG = "{tag}"


def build(app):
    cpu = gm.NodeProfile.cpu_only()
    cluster = gm.Cluster(
        app,
        "big",
        nodes=[gm.Node(name=f"cpu-{{i}}", profile=cpu, cpu="500", memory="2000Gi", max_pods=500) for i in range(4)],
        repo=gm.GitRepo(url="https://git.example.com/platform/big.git"),
    )
    for c in range({components}):
        component = gm.Component(cluster, f"team-{{c}}")
        for j in range({jobs}):
            gm.CpuJob(component, f"job-{{j}}", image=f"busybox:{{TAG}}", command=["true"])
"""


def _synth_cmd(apps: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "gpumanifests", "synth", "--apps", str(apps), "--out", str(out)]


def _write_app(apps: Path, tag: str) -> None:
    apps.mkdir(exist_ok=True)
    (apps / "big.py").write_text(BIG_APP.format(tag=tag, components=3, jobs=30))


def test_sigkill_leaves_the_old_or_the_new_tree(tmp_path: Path) -> None:
    old_apps, new_apps = tmp_path / "old-apps", tmp_path / "new-apps"
    _write_app(old_apps, "1.36.1")
    _write_app(new_apps, "1.37.0")
    work = tmp_path / "work"
    work.mkdir()
    old_out, new_out = tmp_path / "old" / "gitops", tmp_path / "new" / "gitops"
    old_out.parent.mkdir()
    new_out.parent.mkdir()
    subprocess.run(_synth_cmd(old_apps, old_out), check=True, capture_output=True, cwd=ROOT)
    (old_out / "README.md").write_text("kept across synths\n")
    shutil.copytree(old_out, new_out)
    started = time.monotonic()
    subprocess.run(_synth_cmd(new_apps, new_out), check=True, capture_output=True, cwd=ROOT)
    duration = time.monotonic() - started
    old, new = _hashes(old_out), _hashes(new_out)
    assert old != new
    assert len(new) > 90

    out = work / "gitops"
    shutil.copytree(old_out, out)
    rng = random.Random(20240601)
    outcomes = []
    for attempt in range(10):
        process = subprocess.Popen(
            _synth_cmd(new_apps, out), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        if attempt % 2:  # anywhere in the run
            time.sleep(rng.uniform(0.3 * duration, 1.1 * duration))
        else:  # while writing: once the staging directory exists, within the write's few milliseconds
            deadline = time.monotonic() + 2 * duration
            while not list(work.glob(".gitops.staging-*")) and time.monotonic() < deadline:
                time.sleep(0.001)
            time.sleep(rng.uniform(0, 0.03))
        process.send_signal(signal.SIGKILL)
        process.wait()
        state = _hashes(out)
        mixed = sorted(path for path in {*state, *old, *new} if state.get(path) not in (old.get(path), new.get(path)))
        assert state in (old, new), f"a killed synth (attempt {attempt}) left a mixed tree: {mixed[:10]}"
        outcomes.append("old" if state == old else "new")
        if state == new:  # start over from the old tree, through the tool (so ownership stays right)
            reset = subprocess.run(_synth_cmd(old_apps, out), capture_output=True, text=True, cwd=ROOT, check=False)
            assert reset.returncode == 0, reset.stderr
            assert _hashes(out) == old
    # the next synth clears whatever staging directories the killed ones left
    final = subprocess.run(_synth_cmd(new_apps, out), capture_output=True, text=True, cwd=ROOT, check=False)
    assert final.returncode == 0, final.stderr
    assert _hashes(out) == new
    assert not list(work.glob(".gitops.staging-*"))
    assert (out / "README.md").read_text() == "kept across synths\n"
    assert OWNERSHIP_FILE in new
    print("outcomes:", outcomes)


# -- concurrency ---------------------------------------------------------------------------


def test_second_synth_fails_while_another_holds_the_lock(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    apps = tmp_path / "apps"
    shutil.copytree(ROOT / "apps", apps, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "gitops"
    assert main(["synth", "--apps", str(apps), "--out", str(out)]) == 0
    before = _hashes(out)
    lock = tmp_path / ".gitops.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from filelock import FileLock; lock = FileLock(sys.argv[1]); lock.acquire(); "
            "print('held', flush=True); time.sleep(60)",
            str(lock),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        capsys.readouterr()
        assert main(["synth", "--apps", str(apps), "--out", str(out)]) == 1
        err = capsys.readouterr().err
        assert "another gpumanifests synth is writing" in err
        assert str(lock) in err
        assert "Traceback" not in err
        assert _hashes(out) == before
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    assert main(["synth", "--apps", str(apps), "--out", str(out)]) == 0
