"""lookahead.py: the output's files and the spare tree's folders stat-ed by a child while the build works."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import MakeSite, edit_file
from tests.test_cache import _tree
from yunzhan import lookahead, output, processes, treesign
from yunzhan.incremental import written
from yunzhan.pipeline import BuildOptions, build

PROJECTS = {
    f"content/projects/p{i:02d}.md": f"---\ntitle: 项目{i}\ncategory: 创新产品\nzone: gusu\n---\n第 {i} 个项目的正文。\n"
    for i in range(12)
}


def _edit_and_build(site: Path, n: int) -> None:
    edit_file(site / "content/projects/p03.md", "的正文", f"的正文{n}")
    build(BuildOptions(site_dir=site))


def _cold(site: Path) -> dict[str, bytes]:
    cold = site.parent / "cold"
    build(BuildOptions(site_dir=site, output_dir=cold, use_cache=False))
    return _tree(cold)


def test_a_rebuild_with_a_spare_tree_stats_neither_its_kept_files_nor_the_spare_folders(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a spare tree is there (from the third build), the child stats them: the build stats only what it
    places, and its output is the cold build's."""
    site = make_site(PROJECTS)
    for n in range(3):
        _edit_and_build(site, n)
    stated: list[str] = []
    real = written.as_written
    monkeypatch.setattr(written, "as_written", lambda path: stated.append(str(path)) or real(path))
    held: list[str] = []
    monkeypatch.setattr(output, "folders_hold", lambda root, record: held.append(root) or True)
    _edit_and_build(site, 3)
    monkeypatch.undo()
    pages = [p for p in stated if p.endswith("index.html")]
    assert not [p for p in pages if "/projects/p05/" in p], pages  # a kept page: stat-ed by the child
    assert not held
    assert _tree(site / "output") == _cold(site)


@pytest.mark.parametrize("child", [True, False])
def test_a_page_changed_by_hand_is_made_again_with_or_without_the_child(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch, child: bool
) -> None:
    """A kept page edited in place (same inode, a new time) is rendered again, whether the child or the build
    stat-ed it; so is a folder's file put into the spare tree by hand removed."""
    site = make_site(PROJECTS)
    for n in range(3):
        _edit_and_build(site, n)
    refused: list[str] = []
    if not child:
        monkeypatch.setattr(processes, "start_python", lambda module, *rest, **kw: refused.append(module))
    (site / "output/projects/p05/index.html").write_text("tampered", encoding="utf-8")
    (site / ".output.spare/projects/p06/stray.html").write_text("left by hand", encoding="utf-8")
    _edit_and_build(site, 3)
    assert ("yunzhan.lookahead" in refused) != child  # the build asked for the child and went without it
    assert _tree(site / "output") == _cold(site)
    _edit_and_build(site, 4)  # the tree with the stray file is the stage now
    assert _tree(site / "output") == _cold(site)


def test_the_child_finds_each_file_and_whether_the_folders_hold(tmp_path: Path) -> None:
    out, spare = tmp_path / "output", tmp_path / ".output.spare"
    for root in (out, spare):
        (root / "a/b").mkdir(parents=True)
        (root / "a/b/c.html").write_bytes(b"c")
        (root / "d.html").write_bytes(b"dd")
    folders = {rel: treesign.folder_stat(os.lstat(spare / rel)) for rel in ("a", "a/b")}
    record = treesign.TreeRecord({}, {"a/b/c.html": (1, 0, 0), "d.html": (2, 0, 0), "gone.html": (1, 0, 0)})
    looked = lookahead.look(os.fspath(out), os.fspath(spare), folders, record)
    assert looked.files == {rel: written.as_written(out / rel) for rel in ("a/b/c.html", "d.html")}
    st = spare.stat()
    assert looked.spare == (st.st_dev, st.st_ino)
    (spare / "a/stray.html").write_bytes(b"x")
    assert lookahead.look(os.fspath(out), os.fspath(spare), folders, record).spare is None


def test_no_child_is_started_where_folders_cannot_be_stat_ed_by_handle(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Windows has no ``dir_fd``: the child could never look, so none is started (and no list is written)."""
    import tempfile

    monkeypatch.setattr(os, "supports_dir_fd", set())
    monkeypatch.setattr(tempfile, "mkstemp", lambda **kw: pytest.fail("a list was written for the child"))
    assert lookahead.start(tmp_path / "output", None) is None  # type: ignore[arg-type]
