"""Incremental builds must equal cold ones, byte for byte, after every kind of edit."""

from __future__ import annotations

import dataclasses
import gc
import os
import pickle
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import BASE_FILES, MakeSite, edit_file, incremental_build, jpeg_bytes
from yunzhan.errors import YunzhanError
from yunzhan.pipeline import BuildOptions, Session, build


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _cold(site: Path, tmp_path: Path, name: str) -> Path:
    out = tmp_path / f"cold-{name}"
    build(
        BuildOptions(
            site_dir=site, output_dir=out, cache_dir=tmp_path / f"cold-cache-{name}", use_cache=False
        )
    )
    return out


EDITS = [
    (
        "zone renamed: project pages, lists and home follow",
        "content/zones/gusu.md",
        "name: 姑苏展区",
        "name: 姑苏新展区",
    ),
    (
        "craftsman renamed: the project page lists the new name",
        "content/craftsmen/li-qijie.md",
        "name: 李奇杰",
        "name: 李奇杰（改）",
    ),
    ("project moved to a new tag", "content/projects/rocket.md", "tags: [航天]", "tags: [航空]"),
    ("body edited", "content/projects/rocket.md", "见 [李奇杰]", "另见 [李奇杰]"),
    ("template edited", "templates/page.html", "PAGE", "页面"),
    ("data file edited", "content/data/figures.yaml", "305", "306"),
]


def test_incremental_equals_cold_after_each_edit(make_site: MakeSite, tmp_path: Path) -> None:
    site = make_site(
        {
            "templates/page.html": "{% extends 'base.html' %}{% block content %}PAGE {{ page.title }}{% endblock %}",
            "content/data/figures.yaml": "- {label: 服务企业, value: 305, unit: 家}\n",
            "content/zones/gusu.md": "---\nname: 姑苏展区\norder: 1\ncover: c.jpg\n---\n正文\n",
            "content/zones/c.jpg": jpeg_bytes(),
        }
    )
    incremental_build(site)
    for number, (what, rel, old, new) in enumerate(EDITS):
        edit_file(site / rel, old, new)
        out = incremental_build(site)
        assert _tree(out) == _tree(_cold(site, tmp_path, str(number))), what


def test_adding_and_removing_records(make_site: MakeSite, tmp_path: Path) -> None:
    site = make_site()
    incremental_build(site)
    new = site / "content/projects/new.md"
    new.write_text(
        "---\ntitle: 新成果\ncategory: 创新项目\nzone: gusu\ndate: 2025-01-01\n---\n新\n", encoding="utf-8"
    )
    assert _tree(incremental_build(site)) == _tree(_cold(site, tmp_path, "add"))
    assert "/projects/new/" in (site / "output/zones/gusu/index.html").read_text()
    new.unlink()
    assert _tree(incremental_build(site)) == _tree(_cold(site, tmp_path, "remove"))
    assert "/projects/new/" not in (site / "output/zones/gusu/index.html").read_text()


def test_a_reference_by_title_follows_the_title(make_site: MakeSite, tmp_path: Path) -> None:
    """``zone: 甲展区`` names a zone by its title: when titles change, the reference follows (or fails) in an
    incremental build exactly as in a cold one."""
    site = make_site(
        {
            "content/zones/a.md": "---\nname: 甲展区\norder: 2\n---\n甲\n",
            "content/zones/b.md": "---\nname: 乙展区\norder: 3\n---\n乙\n",
            "content/projects/rocket.md": BASE_FILES["content/projects/rocket.md"].replace(
                "zone: gusu", "zone: 甲展区"
            ),
        }
    )
    incremental_build(site)
    assert "/projects/rocket/" in (site / "output/zones/a/index.html").read_text()
    edit_file(site / "content/zones/a.md", "name: 甲展区", "name: 丙展区")
    edit_file(site / "content/zones/b.md", "name: 乙展区", "name: 甲展区")
    assert _tree(incremental_build(site)) == _tree(_cold(site, tmp_path, "follow"))
    assert "/projects/rocket/" in (site / "output/zones/b/index.html").read_text()
    assert "/projects/rocket/" not in (site / "output/zones/a/index.html").read_text()
    before = _tree(site / "output")
    edit_file(site / "content/zones/b.md", "name: 甲展区", "name: 丁展区")
    with pytest.raises(YunzhanError) as info:
        incremental_build(site)
    assert [p.format() for p in info.value.problems] == [
        'content/projects/rocket.md:4: zone: 找不到展区 "甲展区" — 是不是 "丙展区"（content/zones/a.md）？'
    ]
    assert _tree(site / "output") == before
    edit_file(site / "content/zones/a.md", "name: 丙展区", "name: 甲展区")
    assert _tree(incremental_build(site)) == _tree(_cold(site, tmp_path, "back"))
    assert "/projects/rocket/" in (site / "output/zones/a/index.html").read_text()


@pytest.mark.parametrize("damage", ["delete", "garble", "garble-inside", "version"])
def test_a_lost_or_damaged_store_only_costs_time(
    make_site: MakeSite, tmp_path: Path, damage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A store that is gone, garbled or from another yunzhan version: one line says so, the build is right."""
    site = make_site()
    incremental_build(site)
    (store,) = (site.parent / "cache").glob("build-*.sqlite")
    if damage == "delete":
        store.unlink()
    elif damage == "garble":
        store.write_bytes(b"not a database" * 100)
    elif damage == "garble-inside":  # the header and the version are fine: it opens, and fails mid-build
        db = sqlite3.connect(store)
        ((root,),) = db.execute("SELECT rootpage FROM sqlite_master WHERE name='pages'")
        ((size,),) = db.execute("PRAGMA page_size")
        db.close()
        data = bytearray(store.read_bytes())
        data[(root - 1) * size : root * size] = b"\x5a" * size
        store.write_bytes(bytes(data))
    else:
        db = sqlite3.connect(store)
        db.execute("UPDATE kv SET value=? WHERE tbl='meta' AND key='version'", (pickle.dumps("0/0.0.0"),))
        db.commit()
        db.close()
    capsys.readouterr()
    edit_file(site / "content/zones/gusu.md", "name: 姑苏展区", "name: 姑苏区")
    assert _tree(incremental_build(site)) == _tree(_cold(site, tmp_path, damage))
    said = capsys.readouterr().err.strip().splitlines()
    if damage == "delete":
        assert said == []
    else:
        assert len(said) == 1 and "构建缓存" in said[0] and "Traceback" not in said[0], said
        assert ("损坏" if damage.startswith("garble") else "另一版本") in said[0]


def test_output_edited_by_hand_is_repaired(make_site: MakeSite, tmp_path: Path) -> None:
    site = make_site()
    incremental_build(site)
    (site / "output/about/index.html").write_text("tampered", encoding="utf-8")
    assert _tree(incremental_build(site)) == _tree(_cold(site, tmp_path, "hand"))


@pytest.mark.parametrize("rel", ["search/meta.json", "sitemap.xml", "data/records.json", "data/projects.csv"])
def test_site_wide_file_edited_by_hand_is_repaired(make_site: MakeSite, tmp_path: Path, rel: str) -> None:
    """The cache keeps no copy of the site-wide files, only their size and time as written: a file changed
    since must be made again."""
    site = make_site()
    incremental_build(site)
    path = site / "output" / rel
    path.write_bytes(path.read_bytes()[:-2] + b"  ")  # same size, new time
    assert _tree(incremental_build(site)) == _tree(_cold(site, tmp_path, "hand"))


def test_open_data_lines_never_come_from_the_output_files(make_site: MakeSite, tmp_path: Path) -> None:
    """Each record's open data lines are kept in the store, never read back from the files the last build
    wrote: a file changed inside a row since (same size) lends nothing to the next build, and a build that
    failed leaves the published files and the store as they were."""
    site = make_site()
    session = Session()
    options = BuildOptions(site_dir=site, cache_dir=site.parent / "cache")
    build(options, session)
    path = site / "output/data/records.json"
    data = path.read_bytes()
    where = data.index("火箭模型".encode())
    path.write_bytes(data[:where] + "火箭模样".encode() + data[where + len("火箭模型".encode()) :])
    edit_file(site / "content/zones/gusu.md", "姑苏展区介绍。", "姑苏展区介绍，改。")
    edit_file(site / "content/projects/rocket.md", "见 [李奇杰]", "长" * 500 + "见 [李奇杰]")
    build(options, session)
    assert "火箭模样" not in path.read_text(encoding="utf-8")
    # An edit that moves rows, in a build that fails: the published files and the cache stay as they were.
    edit_file(site / "content/projects/rocket.md", "长" * 500, "短")
    bad = site / "content/projects/bad.md"
    bad.write_text("---\ntitle: 缺类别\nzone: gusu\n---\n正文\n", encoding="utf-8")
    before = _tree(site / "output")
    with pytest.raises(YunzhanError):
        build(options, session)
    assert _tree(site / "output") == before
    bad.unlink()
    session.forget({bad})
    build(options, session)
    assert _tree(site / "output") == _tree(_cold(site, tmp_path, "rows"))


def test_a_session_builds_what_a_cold_build_does(make_site: MakeSite, tmp_path: Path) -> None:
    """``serve`` keeps parsed records and the cache in memory, and brings site-wide files up to date after the
    pages (``finish``): after each edit and its finish, the preview equals a cold preview build."""
    site = make_site(
        {
            "templates/page.html": "{% extends 'base.html' %}{% block content %}PAGE {{ page.title }}{% endblock %}",
            "content/data/figures.yaml": "- {label: 服务企业, value: 305, unit: 家}\n",
        }
    )
    preview = tmp_path / "preview"
    session = Session()
    options = BuildOptions(site_dir=site, output_dir=preview, drafts=True, preview=True)
    assert build(options, session).finish is None  # nothing to defer on the first build
    for number, (what, rel, old, new) in enumerate(EDITS):
        if rel.startswith("content/zones/"):
            continue  # the site above has no zone cover: the first edit is the same as in the test before
        path = site / rel
        edit_file(path, old, new)
        session.forget({path})
        result = build(options, session)
        cold = tmp_path / f"cold-{number}"
        build(dataclasses.replace(options, output_dir=cold, use_cache=False, cache_dir=tmp_path / "c"))
        pages = {k: v for k, v in _tree(cold).items() if k.endswith(".html")}
        assert {k: v for k, v in _tree(preview).items() if k.endswith(".html")} == pages, what
        if result.finish is not None:
            result.finish()
        assert _tree(preview) == _tree(cold), what
    session.close()
    assert list((site / ".yunzhan-cache").glob("build-*.sqlite"))  # the next serve starts warm


def test_a_trusted_spare_tree_is_staged_by_what_changed(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From the third build on, the spare tree is the one the store describes: only the files that differ are
    looked at (no stat of the others: its folders are, each once, to prove nothing was put into them), and the
    output is still exactly the build, stray files removed."""
    from yunzhan import output

    site = make_site()
    for n in range(3):
        edit_file(
            site / "content/pages/about.md", "关于本展" if n == 0 else f"关于本展{n - 1}", f"关于本展{n}"
        )
        incremental_build(site)
    (site / "output/stray.txt").write_text("put here by hand", encoding="utf-8")
    looked: list[str] = []
    real_lstat = os.lstat

    def counting(path: object, *args: object, **kwargs: object) -> os.stat_result:
        looked.append(str(path))
        return real_lstat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(output.os, "lstat", counting)
    edit_file(site / "content/pages/about.md", "关于本展2", "关于本展3")
    incremental_build(site)
    in_stage = [p.split(".output.staging-")[1].partition("/")[2] for p in looked if ".output.staging-" in p]
    in_stage = [rel for rel in in_stage if not (site / "output" / rel).is_dir()]
    files = len([p for p in (site / "output").rglob("*") if p.is_file()])
    assert len(in_stage) < files / 4, in_stage  # not one per file
    assert _tree(site / "output") == _tree(_cold(site, tmp_path, "spare"))
    edit_file(site / "content/pages/about.md", "关于本展3", "关于本展4")
    incremental_build(site)  # the spare now holds the stray file: it must not come back
    assert not (site / "output/stray.txt").exists()
    assert _tree(site / "output") == _tree(_cold(site, tmp_path, "spare2"))


def test_a_store_held_by_another_build_is_a_plain_message(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two builds of one output at once: the second waits for the store a while, then says so in words (no
    traceback), and leaves the output as it was."""
    from yunzhan.incremental import store as store_module

    site = make_site()
    published = _tree(incremental_build(site))
    (path,) = (site.parent / "cache").glob("build-*.sqlite")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # what a running build holds
    monkeypatch.setattr(store_module, "LOCK_WAIT_S", 0.1)
    edit_file(site / "content/pages/about.md", "关于本展。", "关于本展，改。")
    try:
        with pytest.raises(YunzhanError) as raised:
            incremental_build(site)
    finally:
        other.execute("ROLLBACK")
        other.close()
    (problem,) = raised.value.problems
    assert "另一个生成过程" in problem.message and "等另一个窗口" in problem.hint
    assert _tree(site / "output") == published
    incremental_build(site)  # once the other build is done, the build goes through
    assert "关于本展，改" in (site / "output/about/index.html").read_text(encoding="utf-8")


def test_pages_put_again_keep_exactly_what_each_read(tmp_path: Path) -> None:
    """A re-rendered page's rows of ``reads`` are changed where what it read changed, over batch boundaries."""
    from yunzhan.incremental.pageentries import PageEntry
    from yunzhan.incremental.store import Store

    def entry(*owners: str) -> PageEntry:
        return PageEntry.of("fp", [(("record", "projects", slug, "title"), "x") for slug in owners])

    store = Store(tmp_path / "store.sqlite")
    store.put_pages([(f"p{i}.html", entry("a", "b").packed()) for i in range(5)], batch=2)
    store.put_pages([("p0.html", entry("a", "c").packed()), ("p1.html", entry("b").packed())], batch=1)
    store.put_pages([("p2.html", PageEntry.of("fp2", [(("collection", "projects"), "y")]).packed())])
    store.put_page("p3.html", None)
    store.commit()
    store.close()
    store = Store(tmp_path / "store.sqlite")
    assert store.readers(["record\0projects\0a"]) == {"p0.html", "p4.html"}
    assert store.readers(["record\0projects\0b"]) == {"p1.html", "p4.html"}
    assert store.readers(["record\0projects\0c"]) == {"p0.html"}
    assert store.readers(["collection\0projects"]) == {"p2.html"}
    assert sorted(store.page_heads()) == ["p0.html", "p1.html", "p2.html", "p4.html"]
    page = store.page("p2.html")
    assert (
        page is not None and page.fingerprint == "fp2" and page.deps == ((("collection", "projects"), "y"),)
    )
    store.close()


def test_a_page_entry_kept_compressed_by_an_older_build_is_read() -> None:
    """Entries are kept pickled; a store written when they were compressed too is read as it was."""
    import pickle
    import zlib

    from yunzhan.incremental.pageentries import PageEntry

    deps = ((("collection", "projects"), "y"), (("record", "projects", "a", "title"), "x"))
    entry = PageEntry.of("fp", deps)
    packed = entry.packed()
    assert PageEntry.from_row("fp", packed.deps, 1, 2).deps == deps
    older = zlib.compress(pickle.dumps(deps, protocol=pickle.HIGHEST_PROTOCOL), 1)
    assert PageEntry.from_row("fp", older, 1, 2).deps == deps


def test_a_preview_session_collects_a_builds_cycles_when_idle(make_site: MakeSite, tmp_path: Path) -> None:
    """``serve`` leaves the cycle collector off after a build until the browsers have reloaded (``collect``);
    a build that starts before that collects at its end, so at most one build's cycles wait."""
    site = make_site()
    session = Session(collect_later=True)
    options = BuildOptions(site_dir=site, output_dir=tmp_path / "preview", drafts=True, preview=True)
    assert gc.isenabled()
    try:
        build(options, session)
        assert not gc.isenabled() and session.held
        session.collect()
        assert gc.isenabled() and not session.held
        build(options, session)
        build(options, session)  # the first one's cycles were not collected: this one collects at its end
        assert gc.isenabled() and not session.held
        build(options, session)
    finally:
        session.close()
    assert gc.isenabled()
    plain = Session()
    build(options, plain)
    assert gc.isenabled()
    plain.close()


def test_a_store_made_by_other_code_is_not_taken(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Parsed files and Markdown conversions are kept by their inputs alone: after ``git pull`` (same version
    number, other code) the store is discarded with the one line, and nothing another code made is reused."""
    from yunzhan import bodies
    from yunzhan.incremental import store

    site = make_site()
    incremental_build(site)
    converted: list[str] = []
    real = bodies._convert
    monkeypatch.setattr(bodies, "_convert", lambda *a, **k: converted.append("x") or real(*a, **k))
    edit_file(site / "content/zones/gusu.md", "name: 姑苏展区", "name: 姑苏区")
    incremental_build(site)
    by_same_code, converted[:] = len(converted), []
    monkeypatch.setattr(store, "code_digest", lambda: "the code after git pull")
    capsys.readouterr()
    edit_file(site / "content/zones/gusu.md", "name: 姑苏区", "name: 姑苏展区")
    incremental_build(site)
    said = capsys.readouterr().err.strip().splitlines()
    assert len(said) == 1 and "另一版本" in said[0], said
    assert len(converted) > by_same_code  # every text converted again, not only the edited file's
