"""Edges of writing the tree: what synth must never touch, and what it must keep.

- A generated path below a symlink or a file that gpumanifests did not generate is refused,
  naming it; nothing is ever written outside the tree.
- Entries a person creates or replaces in the tree while a synth runs are in the tree afterwards;
  when one cannot be put back, the old tree is kept beside the output and the error names it.
- A synth killed after the swap is finished by the next one without losing such entries.
- Empty directories and directory modes survive a synth; ``--out .``, a symlinked output, and
  output names with glob characters work; the filesystem root is refused.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from gpumanifests._errors import OutputError
from gpumanifests._output import tree as _output
from gpumanifests._output.tree import OWNERSHIP_FILE, write_tree

if TYPE_CHECKING:
    from collections.abc import Callable

OLD = {"clusters/c/a/one.yaml": b"one\n", "clusters/c/b/two.yaml": b"two\n", "clusters/c/gone/old.yaml": b"old\n"}
NEW = {"clusters/c/a/one.yaml": b"one v2\n", "clusters/c/b/two.yaml": b"two\n", "clusters/c/added/new.yaml": b"new\n"}


def _tree(root: Path) -> dict[str, str]:
    """Every entry below ``root``: file contents, ``-> target`` for symlinks, ``/`` for directories."""
    entries: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if path.is_symlink():
            entries[name] = f"-> {os.readlink(path)}"
        elif path.is_dir():
            entries[name] = "/"
        else:
            entries[name] = path.read_text()
    return entries


@pytest.fixture
def out(tmp_path: Path) -> Path:
    tree = tmp_path / "gitops"
    write_tree(tree, OLD)
    (tree / "README.md").write_text("mine\n")
    return tree


def _leftovers(out: Path) -> list[str]:
    return sorted(path.name for path in out.parent.iterdir() if path.name.startswith(f".{out.name}.staging-"))


# -- nothing is written through a symlink or over a file we did not generate ----------------------


def test_a_generated_path_below_a_user_symlink_is_refused_naming_the_symlink(out: Path, tmp_path: Path) -> None:
    external = tmp_path / "external"
    external.mkdir()
    (out / "b").symlink_to("../external")
    before = _tree(out)
    with pytest.raises(OutputError, match="refusing to overwrite") as raised:
        write_tree(out, {**NEW, "b/x.yaml": b"x\n"})
    assert f"{out / 'b'} (a symlink to ../external, in the way of b/x.yaml)" in str(raised.value)
    assert list(external.iterdir()) == []
    assert _tree(out) == before


def test_a_generated_path_below_a_user_file_is_refused_naming_the_file(out: Path) -> None:
    (out / "clusters" / "c" / "notes").write_text("mine\n")
    before = _tree(out)
    with pytest.raises(OutputError, match=r"clusters/c/notes \(a file, in the way of clusters/c/notes/x.yaml\)"):
        write_tree(out, {**NEW, "clusters/c/notes/x.yaml": b"x\n"})
    assert _tree(out) == before


def test_a_generated_file_no_longer_produced_can_become_a_directory(out: Path) -> None:
    write_tree(out, {**NEW, "clusters/c/flat.yaml": b"a file\n"})
    write_tree(out, {**NEW, "clusters/c/flat.yaml/inner.yaml": b"now a directory\n"})
    assert (out / "clusters/c/flat.yaml/inner.yaml").read_text() == "now a directory\n"


def test_nothing_is_written_outside_the_staging_dir_even_if_the_conflict_check_missed_it(
    out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    external = tmp_path / "external"
    external.mkdir()
    (out / "b").symlink_to("../external")
    before = _tree(out)
    monkeypatch.setattr(_output, "_conflicts", lambda *args: [])
    with pytest.raises(OutputError, match="outside the tree"):
        write_tree(out, {**NEW, "b/x.yaml": b"x\n"})
    assert list(external.iterdir()) == []
    assert _tree(out) == before
    assert _leftovers(out) == []


@pytest.mark.parametrize(
    "path", ["../escape.yaml", "/abs.yaml", "a/../../b.yaml", "a//b.yaml", "a/./b.yaml", "a/", "", OWNERSHIP_FILE]
)
def test_a_generated_path_that_is_not_plain_and_relative_is_refused(out: Path, path: str) -> None:
    with pytest.raises(OutputError, match="not a plain relative path"):
        write_tree(out, {**NEW, path: b"x\n"})


# -- entries changed in the tree while a synth runs are kept ------------------------------------


def _during_synth(
    monkeypatch: pytest.MonkeyPatch, before: Callable[[], None], after: Callable[[], None] = print
) -> None:
    """Run ``before`` once the new tree is staged (just before the swap), ``after`` right after the swap."""
    real = _output._exchange

    def exchange(staging: Path, out: Path) -> None:
        before()
        real(staging, out)
        after()

    monkeypatch.setattr(_output, "_exchange", exchange)


def _editor_save(path: Path, text: str) -> None:
    """Save like an editor does: write a temporary file, rename it over the original."""
    temporary = path.with_name(f".{path.name}.swp")
    temporary.write_text(text)
    temporary.rename(path)


def test_a_user_file_created_during_a_synth_is_kept(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _during_synth(monkeypatch, lambda: (out / "clusters/c/a/mine.txt").write_text("created meanwhile\n"))
    write_tree(out, NEW)
    assert (out / "clusters/c/a/mine.txt").read_text() == "created meanwhile\n"
    assert (out / "clusters/c/a/one.yaml").read_text() == "one v2\n"
    assert _leftovers(out) == []


def test_a_user_file_created_during_a_synth_in_a_directory_that_is_dropped_is_kept(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _during_synth(monkeypatch, lambda: (out / "clusters/c/gone/mine.txt").write_text("meanwhile\n"))
    write_tree(out, NEW)
    assert _tree(out / "clusters/c/gone") == {"mine.txt": "meanwhile\n"}


def test_a_user_directory_created_during_a_synth_is_kept(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def create() -> None:
        (out / "drafts" / "deep").mkdir(parents=True)
        (out / "drafts" / "deep" / "draft.md").write_text("draft\n")

    _during_synth(monkeypatch, create)
    write_tree(out, NEW)
    assert _tree(out / "drafts") == {"deep": "/", "deep/draft.md": "draft\n"}


def test_a_user_file_saved_editor_style_during_a_synth_keeps_the_new_version(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _during_synth(monkeypatch, lambda: _editor_save(out / "README.md", "saved meanwhile\n"))
    write_tree(out, NEW)
    assert (out / "README.md").read_text() == "saved meanwhile\n"
    assert not (out / ".README.md.swp").exists()


def test_a_user_file_edited_in_place_during_a_synth_keeps_the_edit_when_hard_links_fail(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(*args: Any, **kwargs: Any) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_links)  # so the new tree holds a copy, not the same file
    _during_synth(monkeypatch, lambda: (out / "README.md").write_text("edited in place\n"))
    write_tree(out, NEW)
    assert (out / "README.md").read_text() == "edited in place\n"


def test_a_generated_file_edited_during_a_synth_is_still_restored(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _during_synth(monkeypatch, lambda: _editor_save(out / "clusters/c/b/two.yaml", "tampered\n"))
    write_tree(out, NEW)
    assert (out / "clusters/c/b/two.yaml").read_text() == "two\n"


def test_a_change_that_cannot_be_put_back_keeps_the_old_tree_and_names_it(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the person saves README.md before the swap, and again (differently) in the new tree after it
    _during_synth(
        monkeypatch,
        lambda: _editor_save(out / "README.md", "saved before the swap\n"),
        lambda: _editor_save(out / "README.md", "saved after the swap\n"),
    )
    with pytest.raises(OutputError, match=r"wrote .*could not be put back \(README.md\)") as raised:
        write_tree(out, NEW)
    kept = out.parent / f"gitops.kept-{os.getpid()}"
    assert str(kept) in str(raised.value)
    assert (kept / "README.md").read_text() == "saved before the swap\n"
    assert (out / "README.md").read_text() == "saved after the swap\n"
    assert (out / "clusters/c/added/new.yaml").read_text() == "new\n"
    assert _leftovers(out) == []
    monkeypatch.undo()
    write_tree(out, NEW)  # the kept tree is the person's now: the next synth leaves it alone
    assert kept.is_dir()


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs, no ``except Exception`` catches it."""


def test_a_synth_killed_after_the_swap_is_finished_by_the_next_one_without_losing_changes(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _during_synth(monkeypatch, lambda: (out / "mine.txt").write_text("created meanwhile\n"))

    def killed(*args: Any) -> None:
        raise Killed

    monkeypatch.setattr(_output, "_settle", killed)
    with pytest.raises(Killed):
        write_tree(out, NEW)
    monkeypatch.undo()
    # the new tree is in place; the old one, holding the only copy of mine.txt, is beside it
    assert (out / "clusters/c/added/new.yaml").exists()
    assert not (out / "mine.txt").exists()
    assert len(_leftovers(out)) == 2  # the old tree and the marker saying a swap happened
    write_tree(out, NEW)
    assert (out / "mine.txt").read_text() == "created meanwhile\n"
    assert (out / "README.md").read_text() == "mine\n"
    assert _leftovers(out) == []


def test_a_leftover_old_tree_whose_change_conflicts_with_the_tree_is_kept_and_named(out: Path) -> None:
    old = out.parent / ".gitops.staging-4242"
    old.mkdir()
    (old / "README.md").write_text("a version the tree does not have\n")
    (old / "clusters/c/a").mkdir(parents=True)
    (old / "clusters/c/a/one.yaml").write_text("generated, tampered: not worth keeping\n")
    (old / OWNERSHIP_FILE).write_bytes((out / OWNERSHIP_FILE).read_bytes())
    (out.parent / ".gitops.staging-4242.swap").touch()
    before = _tree(out)
    with pytest.raises(OutputError, match=r"killed left work behind.*could not be put back \(README.md\)") as raised:
        write_tree(out, NEW)
    kept = out.parent / f"gitops.kept-{os.getpid()}"
    assert str(kept) in str(raised.value)
    assert (kept / "README.md").read_text() == "a version the tree does not have\n"
    assert _tree(out) == before
    assert _leftovers(out) == []
    write_tree(out, NEW)
    assert (out / "README.md").read_text() == "mine\n"


def test_a_killed_build_without_a_swap_is_deleted(out: Path) -> None:
    build = out.parent / ".gitops.staging-4242"
    (build / "clusters").mkdir(parents=True)
    (build / "README.md").write_text("an older copy of the tree's file\n")
    write_tree(out, NEW)
    assert _leftovers(out) == []
    assert (out / "README.md").read_text() == "mine\n"


# -- directories --------------------------------------------------------------------------------


def test_empty_user_directories_and_directory_modes_survive_a_synth(out: Path) -> None:
    (out / "drafts").mkdir()
    (out / "clusters/c/a/empty").mkdir()
    (out / "private").mkdir(mode=0o700)
    (out / "private" / "key.txt").write_text("secret\n")
    (out / "private").chmod(0o700)
    (out / "clusters/c/a").chmod(0o750)
    write_tree(out, NEW)
    assert (out / "drafts").is_dir()
    assert (out / "clusters/c/a/empty").is_dir()
    assert stat.S_IMODE((out / "private").stat().st_mode) == 0o700
    assert stat.S_IMODE((out / "clusters/c/a").stat().st_mode) == 0o750
    assert (out / "private" / "key.txt").read_text() == "secret\n"
    # a generated directory left with nothing in it goes, with the stale files
    assert not (out / "clusters/c/gone").exists()


def test_a_read_only_user_directory_survives_two_synths(out: Path) -> None:
    (out / "frozen").mkdir()
    (out / "frozen" / "file.txt").write_text("kept\n")
    (out / "frozen").chmod(0o555)
    write_tree(out, NEW)
    write_tree(out, OLD)
    assert stat.S_IMODE((out / "frozen").stat().st_mode) == 0o555
    assert (out / "frozen" / "file.txt").read_text() == "kept\n"
    assert _leftovers(out) == []


# -- where the output is ------------------------------------------------------------------------


def test_leftover_cleanup_touches_only_this_outputs_staging_directories(tmp_path: Path) -> None:
    out = tmp_path / "gitops[1]"
    write_tree(out, OLD)
    others = [tmp_path / ".gitops1.staging-999", tmp_path / ".gitops[1].staging-notes"]
    for other in others:
        other.mkdir()
        (other / "keep.txt").write_text("not a leftover of gitops[1]\n")
    (tmp_path / ".gitops[1].staging-999").mkdir()
    write_tree(out, NEW)
    assert all((other / "keep.txt").exists() for other in others)
    assert not (tmp_path / ".gitops[1].staging-999").exists()


def test_out_dot_writes_the_current_directory_with_the_lock_beside_it(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(out)
    write_tree(Path(), NEW)
    assert (out / "clusters/c/added/new.yaml").read_text() == "new\n"
    assert (out / "README.md").read_text() == "mine\n"
    assert not [path.name for path in out.iterdir() if path.name.endswith(".lock")]
    assert (out.parent / ".gitops.lock").exists()


def test_a_symlinked_output_updates_the_directory_it_points_to(out: Path, tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(out.name)
    write_tree(link, NEW)
    assert link.is_symlink()
    assert (out / "clusters/c/added/new.yaml").read_text() == "new\n"
    assert (tmp_path / ".gitops.lock").exists()
    assert not (tmp_path / ".link.lock").exists()


def test_the_filesystem_root_is_refused() -> None:
    with pytest.raises(OutputError, match="filesystem root"):
        write_tree(Path("/"), NEW)


def test_a_mount_point_is_refused(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os.path, "ismount", lambda path: Path(path) == out)
    with pytest.raises(OutputError, match="mount point"):
        write_tree(out, NEW)
