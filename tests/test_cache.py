"""Incremental builds must equal cold ones, byte for byte, after every kind of edit."""

from __future__ import annotations

import dataclasses
import os
import pickle
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BASE_FILES, MakeSite, jpeg_bytes
from yunzhan import opendata
from yunzhan.errors import YunzhanError
from yunzhan.incremental.fingerprints import record_fingerprint
from yunzhan.model import Record
from yunzhan.pipeline import BuildOptions, Session, build, gather


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _mtimes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def _incremental(site: Path) -> Path:
    build(BuildOptions(site_dir=site, cache_dir=site.parent / "cache"))
    return site / "output"


def _cold(site: Path, tmp_path: Path, name: str) -> Path:
    out = tmp_path / f"cold-{name}"
    build(
        BuildOptions(
            site_dir=site, output_dir=out, cache_dir=tmp_path / f"cold-cache-{name}", use_cache=False
        )
    )
    return out


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


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
    _incremental(site)
    for number, (what, rel, old, new) in enumerate(EDITS):
        _edit(site / rel, old, new)
        out = _incremental(site)
        assert _tree(out) == _tree(_cold(site, tmp_path, str(number))), what


def test_adding_and_removing_records(make_site: MakeSite, tmp_path: Path) -> None:
    site = make_site()
    _incremental(site)
    new = site / "content/projects/new.md"
    new.write_text(
        "---\ntitle: 新成果\ncategory: 创新项目\nzone: gusu\ndate: 2025-01-01\n---\n新\n", encoding="utf-8"
    )
    assert _tree(_incremental(site)) == _tree(_cold(site, tmp_path, "add"))
    assert "/projects/new/" in (site / "output/zones/gusu/index.html").read_text()
    new.unlink()
    assert _tree(_incremental(site)) == _tree(_cold(site, tmp_path, "remove"))
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
    _incremental(site)
    assert "/projects/rocket/" in (site / "output/zones/a/index.html").read_text()
    _edit(site / "content/zones/a.md", "name: 甲展区", "name: 丙展区")
    _edit(site / "content/zones/b.md", "name: 乙展区", "name: 甲展区")
    assert _tree(_incremental(site)) == _tree(_cold(site, tmp_path, "follow"))
    assert "/projects/rocket/" in (site / "output/zones/b/index.html").read_text()
    assert "/projects/rocket/" not in (site / "output/zones/a/index.html").read_text()
    before = _tree(site / "output")
    _edit(site / "content/zones/b.md", "name: 甲展区", "name: 丁展区")
    with pytest.raises(YunzhanError) as info:
        _incremental(site)
    assert [p.format() for p in info.value.problems] == [
        'content/projects/rocket.md:4: zone: 找不到展区 "甲展区" — 是不是 "丙展区"（content/zones/a.md）？'
    ]
    assert _tree(site / "output") == before
    _edit(site / "content/zones/a.md", "name: 丙展区", "name: 甲展区")
    assert _tree(_incremental(site)) == _tree(_cold(site, tmp_path, "back"))
    assert "/projects/rocket/" in (site / "output/zones/a/index.html").read_text()


def test_no_change_rebuild_touches_nothing(make_site: MakeSite) -> None:
    site = make_site()
    _incremental(site)
    before = _mtimes(site / "output")
    cache_before = _mtimes(site.parent / "cache")
    result = build(BuildOptions(site_dir=site, cache_dir=site.parent / "cache"))
    assert result.written == 0
    assert _mtimes(site / "output") == before
    assert _mtimes(site.parent / "cache") == cache_before  # nor the cache: nothing new to remember


def test_one_edit_rewrites_only_affected_pages(make_site: MakeSite) -> None:
    site = make_site({"content/pages/other.md": "---\ntitle: 其他\n---\n无关\n"})
    _incremental(site)
    before = _mtimes(site / "output")
    _edit(site / "content/pages/about.md", "关于本展。", "关于本展，已更新。")
    build(BuildOptions(site_dir=site, cache_dir=site.parent / "cache"))
    after = _mtimes(site / "output")
    changed = {rel for rel in after if before.get(rel) != after[rel]}
    site_wide = {rel for rel in changed if rel.startswith(("search/", "data/"))}  # search index, open data
    assert changed - site_wide == {"about/index.html"}


@pytest.mark.parametrize("damage", ["delete", "garble", "garble-inside", "version"])
def test_a_lost_or_damaged_store_only_costs_time(
    make_site: MakeSite, tmp_path: Path, damage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A store that is gone, garbled or from another yunzhan version: one line says so, the build is right."""
    site = make_site()
    _incremental(site)
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
    _edit(site / "content/zones/gusu.md", "name: 姑苏展区", "name: 姑苏区")
    assert _tree(_incremental(site)) == _tree(_cold(site, tmp_path, damage))
    said = capsys.readouterr().err.strip().splitlines()
    if damage == "delete":
        assert said == []
    else:
        assert len(said) == 1 and "构建缓存" in said[0] and "Traceback" not in said[0], said
        assert ("损坏" if damage.startswith("garble") else "另一版本") in said[0]


def test_output_edited_by_hand_is_repaired(make_site: MakeSite, tmp_path: Path) -> None:
    site = make_site()
    _incremental(site)
    (site / "output/about/index.html").write_text("tampered", encoding="utf-8")
    assert _tree(_incremental(site)) == _tree(_cold(site, tmp_path, "hand"))


@pytest.mark.parametrize("rel", ["search/meta.json", "sitemap.xml", "data/records.json", "data/projects.csv"])
def test_site_wide_file_edited_by_hand_is_repaired(make_site: MakeSite, tmp_path: Path, rel: str) -> None:
    """The cache keeps no copy of the site-wide files, only their size and time as written: a file changed
    since must be made again."""
    site = make_site()
    _incremental(site)
    path = site / "output" / rel
    path.write_bytes(path.read_bytes()[:-2] + b"  ")  # same size, new time
    assert _tree(_incremental(site)) == _tree(_cold(site, tmp_path, "hand"))


def test_a_body_edit_makes_one_row_of_open_data(make_site: MakeSite, monkeypatch: pytest.MonkeyPatch) -> None:
    site = make_site()
    _incremental(site)
    made: list[str] = []
    real = opendata.record_data

    def counting(record: Record, *args: object) -> dict[str, object]:
        made.append(record.slug)
        return real(record, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(opendata, "record_data", counting)
    _edit(site / "content/projects/rocket.md", "见 [李奇杰]", "另见 [李奇杰]")
    _incremental(site)
    assert made == ["rocket"]


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
    _edit(site / "content/zones/gusu.md", "姑苏展区介绍。", "姑苏展区介绍，改。")
    _edit(site / "content/projects/rocket.md", "见 [李奇杰]", "长" * 500 + "见 [李奇杰]")
    build(options, session)
    assert "火箭模样" not in path.read_text(encoding="utf-8")
    # An edit that moves rows, in a build that fails: the published files and the cache stay as they were.
    _edit(site / "content/projects/rocket.md", "长" * 500, "短")
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


def test_a_warm_rebuild_does_not_load_pypinyin(make_site: MakeSite, tmp_path: Path) -> None:
    """Term slugs and title pinyin are remembered: a rebuild after an edit need not load pypinyin's dictionary
    (a third of a second), while a cold build must."""
    site = make_site()
    code = (
        "import sys; from pathlib import Path; from yunzhan.pipeline import BuildOptions, build; "
        "build(BuildOptions(site_dir=Path(sys.argv[1]), cache_dir=Path(sys.argv[2]))); "
        "print('pypinyin' in sys.modules)"
    )

    def loads_pypinyin(cache: Path) -> bool:
        repo = Path(__file__).resolve().parent.parent
        run = subprocess.run(
            [sys.executable, "-c", code, str(site), str(cache)], capture_output=True, text=True, cwd=repo
        )
        assert run.returncode == 0, run.stderr
        return run.stdout.strip() == "True"

    assert loads_pypinyin(tmp_path / "cache")
    _edit(site / "content/projects/rocket.md", "见 [李奇杰]", "另见 [李奇杰]")
    assert not loads_pypinyin(tmp_path / "cache")


def test_a_record_print_counts_the_records_it_refers_to_by_key() -> None:
    """Reading into a referenced record is a dependency of its own: its title is not part of the referrer's
    print, but which record is referred to (collection and slug) is."""
    zone = Record("zones", "gusu", "content/zones/gusu.md", title="姑苏")
    other = Record("zones", "wuzhong", "content/zones/wuzhong.md", title="姑苏")
    project = Record(
        "projects", "rocket", "content/projects/rocket.md", fields={"zone": zone, "crew": [zone]}
    )
    before = record_fingerprint(project)
    zone.title = "姑苏新展区"
    assert record_fingerprint(project) == before
    project.fields["crew"] = [other]
    assert record_fingerprint(project) != before
    project.fields["crew"] = [zone]
    project.next = Record(
        "craftsmen", "gusu", "content/craftsmen/gusu.md"
    )  # the same slug, another collection
    after = record_fingerprint(project)
    project.next = Record("zones", "gusu", "content/zones/gusu.md")
    assert len({before, after, record_fingerprint(project)}) == 3


def test_a_body_edit_renders_only_the_pages_that_show_the_body(make_site: MakeSite) -> None:
    """Dependencies are per attribute: listings and neighbours read titles and summaries, not bodies."""
    site = make_site()
    options = BuildOptions(site_dir=site, cache_dir=site.parent / "cache")
    build(options)
    _edit(site / "content/projects/rocket.md", "见 [李奇杰]", "另见 [李奇杰]")
    rendered = [page.output_file for page, _ in gather(options).pages]
    # the placard prints an excerpt of the body, as this project has no summary
    assert rendered == ["projects/rocket/index.html", "placards/gusu/index.html"]
    _edit(site / "content/projects/rocket.md", "tags: [航天]", "tags: [航天]\nsummary: 一句话简介")
    build(options)
    _edit(site / "content/projects/rocket.md", "另见 [李奇杰]", "又见 [李奇杰]")
    assert [page.output_file for page, _ in gather(options).pages] == ["projects/rocket/index.html"]
    _edit(site / "content/projects/rocket.md", "title: 火箭模型", "title: 火箭模型二号")
    rendered = {page.output_file for page, _ in gather(options).pages}
    assert {"projects/rocket/index.html", "zones/gusu/index.html", "index.html"} <= rendered


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
        _edit(path, old, new)
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


def test_placard_qr_codes_are_drawn_once(make_site: MakeSite, monkeypatch: pytest.MonkeyPatch) -> None:
    """Choosing a QR mask is most of a placard's cost: re-rendered placards take their codes from the cache."""
    from yunzhan import placards

    site = make_site()
    build(BuildOptions(site_dir=site))
    before = (site / "output/placards/gusu/index.html").read_text(encoding="utf-8")
    placards.placard_qr_svg.cache_clear()

    def no_drawing(*args: object, **kwargs: object) -> None:
        raise AssertionError("a QR code was drawn again")

    monkeypatch.setattr(placards.segno, "make", no_drawing)
    _edit(site / "content/zones/gusu.md", "name: 姑苏展区", "name: 姑苏新展区")
    build(BuildOptions(site_dir=site))
    after = (site / "output/placards/gusu/index.html").read_text(encoding="utf-8")
    assert "姑苏新展区" in after and after != before
    assert after.count("<svg") == before.count("<svg") > 0


def test_a_trusted_spare_tree_is_staged_by_what_changed(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From the third build on, the spare tree is the one the store describes: only the files that differ are
    looked at (no stat of the others), and the output is still exactly the build, stray files removed."""
    from yunzhan import output

    site = make_site()
    for n in range(3):
        _edit(site / "content/pages/about.md", "关于本展" if n == 0 else f"关于本展{n - 1}", f"关于本展{n}")
        _incremental(site)
    (site / "output/stray.txt").write_text("put here by hand", encoding="utf-8")
    looked: list[str] = []
    real_lstat = os.lstat

    def counting(path: object, *args: object, **kwargs: object) -> os.stat_result:
        looked.append(str(path))
        return real_lstat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(output.os, "lstat", counting)
    _edit(site / "content/pages/about.md", "关于本展2", "关于本展3")
    _incremental(site)
    in_stage = [p for p in looked if ".output.staging-" in p]
    files = len([p for p in (site / "output").rglob("*") if p.is_file()])
    assert len(in_stage) < files / 4, in_stage  # not one per file
    assert _tree(site / "output") == _tree(_cold(site, tmp_path, "spare"))
    _edit(site / "content/pages/about.md", "关于本展3", "关于本展4")
    _incremental(site)  # the spare now holds the stray file: it must not come back
    assert not (site / "output/stray.txt").exists()
    assert _tree(site / "output") == _tree(_cold(site, tmp_path, "spare2"))


def test_a_store_held_by_another_build_is_a_plain_message(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two builds of one output at once: the second waits for the store a while, then says so in words (no
    traceback), and leaves the output as it was."""
    from yunzhan.incremental import store as store_module

    site = make_site()
    published = _tree(_incremental(site))
    (path,) = (site.parent / "cache").glob("build-*.sqlite")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # what a running build holds
    monkeypatch.setattr(store_module, "LOCK_WAIT_S", 0.1)
    _edit(site / "content/pages/about.md", "关于本展。", "关于本展，改。")
    try:
        with pytest.raises(YunzhanError) as raised:
            _incremental(site)
    finally:
        other.execute("ROLLBACK")
        other.close()
    (problem,) = raised.value.problems
    assert "另一个生成过程" in problem.message and "等另一个窗口" in problem.hint
    assert _tree(site / "output") == published
    _incremental(site)  # once the other build is done, the build goes through
    assert "关于本展，改" in (site / "output/about/index.html").read_text(encoding="utf-8")
