"""mirror.py: the spare tree a child process makes while the build works, when there is none."""

from __future__ import annotations

import marshal
import os
import time
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import MakeSite, edit_file
from tests.test_cache import _tree
from yunzhan import YunzhanError, mirror, outputfolders, portable, processes, writing
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
    assert (folder / outputfolders.TOKEN_NAME).read_text() == spare.token
    (folder / outputfolders.TOKEN_NAME).unlink()
    assert _tree(folder) == _tree(out)
    for rel in spare.files:  # hard links: the very files of the output
        assert os.stat(folder / rel).st_ino == os.stat(out / rel).st_ino
    assert spare.tree == walk_tree(os.fspath(folder))  # the records the next build trusts are true
    assert spare.output_tree == walk_tree(os.fspath(out))
    assert _listing(tmp_path) == [".output.spare", "output"]  # nothing of the child's left
    assert mirror.start(out) is None  # there is a spare tree now


def test_a_mirror_given_the_output_s_record_walks_nothing_and_records_the_same(tmp_path: Path) -> None:
    """The first build hands the child the record its commit made of the output: the child mirrors by it,
    and the records it returns are those a walk would give."""
    out = tmp_path / "output"
    for rel, data in {"index.html": b"home", "a/index.html": b"a", "a/b/c.css": b"c", "d/e.js": b"e"}.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
    mirroring = mirror.start(out, walk_tree(os.fspath(out)))
    assert mirroring is not None
    spare = mirroring.wait()
    assert spare is not None
    folder = tmp_path / ".output.spare"
    (folder / outputfolders.TOKEN_NAME).unlink()
    assert spare.tree == walk_tree(os.fspath(folder))
    assert spare.output_tree == walk_tree(os.fspath(out))
    assert _listing(tmp_path) == [".output.spare", "output"]


def test_a_record_of_another_output_is_refused(tmp_path: Path) -> None:
    """A record handed for an output folder that is not the one there now (another build swapped its own in)
    mirrors nothing."""
    out = tmp_path / "output"
    (out / "a").mkdir(parents=True)
    (out / "a/index.html").write_bytes(b"a")
    record = walk_tree(os.fspath(out))
    given = marshal.dumps((record.folders, record.files, (0, 0)))
    with pytest.raises(OSError):
        mirror.mirror(
            os.fspath(out), os.fspath(tmp_path / "m"), os.fspath(tmp_path / ".output.spare"), "t", given
        )
    assert _listing(tmp_path) == ["output"]


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


_capable = portable.capabilities()


def _links_of_an_edit(site: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Edit one body and build: the files the build linked into its stage itself."""
    edit_file(site / "content/projects/p03.md", "的正文。", "的正文，补充一句。")
    linked: list[str] = []
    real = portable.link_or_copy
    monkeypatch.setattr(portable, "link_or_copy", lambda s, d: (linked.append(str(d)), real(s, d)))
    _build(site, out)
    monkeypatch.setattr(portable, "link_or_copy", real)
    return linked


def _equals_cold(site: Path, out: Path) -> None:
    cold = site.parent / "cold"
    build(BuildOptions(site_dir=site, output_dir=cold, use_cache=False))
    assert _tree(out) == _tree(cold)
    assert not [p for p in site.iterdir() if outputfolders.STAGING_MARK in p.name]


@pytest.mark.parametrize("link_at", [True, False])
def test_the_first_build_into_a_new_folder_leaves_a_mirror_for_the_next(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch, link_at: bool
) -> None:
    """The first build swaps no previous build out, so it has the output mirrored as it finishes (from its stage
    held open while it is swapped in, or, where files cannot be linked from a folder held open, from the output
    once swapped in): an editor's first edit stages only what it changes, and starts no mirror of its own."""
    site = make_site(PROJECTS)
    out = site / "output"
    sources: list[Path | None] = []
    ahead: list[object] = []
    real_start, real_ahead = mirror.start, mirror.start_ahead
    with monkeypatch.context() as m:
        m.setattr(portable, "capabilities", lambda: replace(_capable, link_at=link_at))
        m.setattr(
            mirror, "start", lambda *a: (sources.append(a[2] if len(a) > 2 else None), real_start(*a))[1]
        )
        m.setattr(mirror, "start_ahead", lambda *a: (ahead.append(real_ahead(*a)), ahead[-1])[1])
        _build(site, out)
    # begun as it rendered; else started after the swap (the attempt before it refused: no ``link_at``)
    assert [s is not None for s in sources] == ([False] if link_at else [False, True, False])
    assert [a is not None for a in ahead] == [link_at]
    assert (site / ".output.spare").is_dir()
    assert not [p for p in site.iterdir() if outputfolders.STAGING_MARK in p.name]
    before = _tree(out)
    started: list[Path] = []
    monkeypatch.setattr(mirror, "start", lambda folder, record=None, source=None: started.append(folder))
    linked = _links_of_an_edit(site, out, monkeypatch)
    assert started == []
    rels = [d.split(f"{outputfolders.STAGING_MARK}{os.getpid()}/", 1)[1] for d in linked]
    assert all(before.get(rel) != (out / rel).read_bytes() for rel in rels), rels
    assert "补充一句" in (out / "projects/p03/index.html").read_text(encoding="utf-8")
    _equals_cold(site, out)


def test_the_first_edit_after_a_build_that_left_no_spare_stages_in_the_mirror(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the build before left no spare tree (its mirror could not start), the edit has one mirrored while
    it works and links no unchanged file itself: each is in the trusted mirror already (it links only new
    files made beside the stage, spliced open data). Its output is the cold build's, byte for byte."""
    site = make_site(PROJECTS)
    out = site / "output"
    with monkeypatch.context() as m:
        m.setattr(writing.Stage, "start_mirror_after", lambda self, stats: None)
        m.setattr(writing.Stage, "start_mirror_before", lambda self, source, record: None)
        _build(site, out)
        _build(site, out)  # after an edit-free rebuild there is still no spare: the cold build made none
    assert not (site / ".output.spare").exists()
    before = _tree(out)
    linked = _links_of_an_edit(site, out, monkeypatch)
    rels = [d.split(f"{outputfolders.STAGING_MARK}{os.getpid()}/", 1)[1] for d in linked]
    assert rels and all(before.get(rel) != (out / rel).read_bytes() for rel in rels), rels
    assert "补充一句" in (out / "projects/p03/index.html").read_text(encoding="utf-8")
    _equals_cold(site, out)


def test_without_a_child_process_the_build_links_the_stage_itself(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fallback where no Python process can be started: the stage is linked in this process, as before."""
    site = make_site(PROJECTS)
    out = site / "output"
    without = replace(portable.capabilities(), spawn=False)
    monkeypatch.setattr(portable, "capabilities", lambda: without)
    _build(site, out)
    assert processes.start_python("yunzhan.mirror", [], Path.cwd()) is None
    assert mirror.start(out) is None
    assert not (site / ".output.spare").exists()  # none mirrored after the first build either
    edit_file(site / "content/projects/p03.md", "的正文。", "的正文，补充一句。")
    linked: list[str] = []
    real = portable.link_or_copy
    monkeypatch.setattr(portable, "link_or_copy", lambda s, d: (linked.append(str(d)), real(s, d)))
    _build(site, out)
    assert len(linked) > 12  # every unchanged page linked here
    cold = site.parent / "cold"
    build(BuildOptions(site_dir=site, output_dir=cold, use_cache=False))
    assert _tree(out) == _tree(cold)


def test_a_failed_build_stops_the_mirror_and_leaves_the_output(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(PROJECTS)
    out = site / "output"
    with monkeypatch.context() as m:
        m.setattr(writing.Stage, "start_mirror_after", lambda self, stats: None)
        m.setattr(writing.Stage, "start_mirror_before", lambda self, source, record: None)
        _build(site, out)  # leaves no spare: the failing build mirrors
    before = _tree(out)
    edit_file(site / "content/projects/p03.md", "title: 项目3", "title：项目3")  # a full-width colon
    with pytest.raises(YunzhanError):
        _build(site, out)
    assert _tree(out) == before
    deadline = time.monotonic() + 20  # a half-made mirror is deleted by a detached process
    while [p for p in site.iterdir() if outputfolders.STAGING_MARK in p.name]:
        assert time.monotonic() < deadline, _listing(site)
        time.sleep(0.02)
    edit_file(site / "content/projects/p03.md", "title：项目3", "title: 项目3")
    _build(site, out)
    assert _tree(out) == before


def test_a_killed_childs_leftover_is_removed_by_the_next_build(make_site: MakeSite) -> None:
    site = make_site(PROJECTS)
    out = site / "output"
    _build(site, out)
    leftover = site / f".output{outputfolders.STAGING_MARK}mirror-{2**22 + 12345}"  # no such process
    (leftover / "projects").mkdir(parents=True)
    edit_file(site / "content/projects/p03.md", "的正文。", "的正文，补充一句。")
    _build(site, out)
    assert not leftover.exists()
    assert _listing(site).count(".output.spare") == 1
