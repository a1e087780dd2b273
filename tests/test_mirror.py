"""mirror.py: the spare tree a child process makes while the build works, when there is none."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import MakeSite, edit_file
from tests.test_cache import _tree
from yunzhan import YunzhanError, mirror, output, portable
from yunzhan.pipeline import BuildOptions, build
from yunzhan.recycle import walk_tree

PROJECTS = {
    f"content/projects/p{i:02d}.md": f"---\ntitle: 项目{i}\ncategory: 创新产品\nzone: gusu\n---\n第 {i} 个项目的正文。\n"
    for i in range(12)
}


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _build(site: Path, out: Path) -> None:
    build(BuildOptions(site_dir=site, output_dir=out, cache_dir=site.parent / "cache"))


def test_the_mirror_is_the_output_linked_with_its_records(tmp_path: Path) -> None:
    out = tmp_path / "output"
    for rel, data in {"index.html": b"home", "a/index.html": b"a", "a/b/c.css": b"c", "d/e.js": b"e"}.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
    mirroring = mirror.start(out)
    assert mirroring is not None
    spare = mirroring.wait()
    assert spare is not None and spare.differ == frozenset()
    folder = tmp_path / ".output.spare"
    assert (folder / output.TOKEN_NAME).read_text() == spare.token
    (folder / output.TOKEN_NAME).unlink()
    assert _tree(folder) == _tree(out)
    for rel in spare.files:  # hard links: the very files of the output
        assert os.stat(folder / rel).st_ino == os.stat(out / rel).st_ino
    assert spare.tree == walk_tree(os.fspath(folder))  # the records the next build trusts are true
    assert spare.output_tree == walk_tree(os.fspath(out))
    assert _listing(tmp_path) == [".output.spare", "output"]  # nothing of the child's left
    assert mirror.start(out) is None  # there is a spare tree now


def test_a_mirror_of_an_output_swapped_out_meanwhile_is_not_trusted(tmp_path: Path) -> None:
    """Another build may swap its output in while the child mirrors the one before: the mirror is then a
    spare tree like any other, checked file by file, never trusted as the output's twin."""
    out = tmp_path / "output"
    (out / "a").mkdir(parents=True)
    (out / "a/index.html").write_bytes(b"old")
    mirroring = mirror.start(out)
    assert mirroring is not None
    deadline = time.monotonic() + 20
    while not (tmp_path / ".output.spare").exists():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.rename(out, tmp_path / "older")  # the other build's swap
    (out / "a").mkdir(parents=True)
    (out / "a/index.html").write_bytes(b"new")
    assert mirroring.wait() is None


def test_the_first_edit_after_a_cold_build_stages_in_the_mirror(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build links no unchanged file itself: each is in the trusted mirror already (it links only new
    files made beside the stage, spliced open data). Its output is the cold build's, byte for byte."""
    site = make_site(PROJECTS)
    out = site / "output"
    _build(site, out)
    _build(site, out)  # after an edit-free rebuild there is still no spare: the cold build made none
    assert not (site / ".output.spare").exists()
    before = _tree(out)
    edit_file(site / "content/projects/p03.md", "的正文。", "的正文，补充一句。")
    linked: list[str] = []
    real = portable.link_or_copy
    monkeypatch.setattr(portable, "link_or_copy", lambda s, d: (linked.append(str(d)), real(s, d)))
    _build(site, out)
    rels = [d.split(f"{output.STAGING_MARK}{os.getpid()}/", 1)[1] for d in linked]
    assert rels and all(before.get(rel) != (out / rel).read_bytes() for rel in rels), rels
    assert "补充一句" in (out / "projects/p03/index.html").read_text(encoding="utf-8")
    cold = site.parent / "cold"
    build(BuildOptions(site_dir=site, output_dir=cold, use_cache=False))
    assert _tree(out) == _tree(cold)
    assert not [p for p in site.iterdir() if output.STAGING_MARK in p.name]


def test_without_a_child_process_the_build_links_the_stage_itself(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fallback where no Python process can be started: the stage is linked in this process, as before."""
    site = make_site(PROJECTS)
    out = site / "output"
    _build(site, out)
    without = replace(portable.capabilities(), spawn=False)
    monkeypatch.setattr(portable, "capabilities", lambda: without)
    assert portable.start_python("yunzhan.mirror", [], Path.cwd()) is None
    assert mirror.start(out) is None
    edit_file(site / "content/projects/p03.md", "的正文。", "的正文，补充一句。")
    linked: list[str] = []
    real = portable.link_or_copy
    monkeypatch.setattr(portable, "link_or_copy", lambda s, d: (linked.append(str(d)), real(s, d)))
    _build(site, out)
    assert len(linked) > 12  # every unchanged page linked here
    cold = site.parent / "cold"
    build(BuildOptions(site_dir=site, output_dir=cold, use_cache=False))
    assert _tree(out) == _tree(cold)


def test_a_failed_build_stops_the_mirror_and_leaves_the_output(make_site: MakeSite) -> None:
    site = make_site(PROJECTS)
    out = site / "output"
    _build(site, out)
    before = _tree(out)
    edit_file(site / "content/projects/p03.md", "title: 项目3", "title：项目3")  # a full-width colon
    with pytest.raises(YunzhanError):
        _build(site, out)
    assert _tree(out) == before
    deadline = time.monotonic() + 20  # a half-made mirror is deleted by a detached process
    while [p for p in site.iterdir() if output.STAGING_MARK in p.name]:
        assert time.monotonic() < deadline, _listing(site)
        time.sleep(0.02)
    edit_file(site / "content/projects/p03.md", "title：项目3", "title: 项目3")
    _build(site, out)
    assert _tree(out) == before


def test_a_killed_childs_leftover_is_removed_by_the_next_build(make_site: MakeSite) -> None:
    site = make_site(PROJECTS)
    out = site / "output"
    _build(site, out)
    leftover = site / f".output{output.STAGING_MARK}mirror-{2**22 + 12345}"  # no such process
    (leftover / "projects").mkdir(parents=True)
    edit_file(site / "content/projects/p03.md", "的正文。", "的正文，补充一句。")
    _build(site, out)
    assert not leftover.exists()
    assert _listing(site).count(".output.spare") == 1
