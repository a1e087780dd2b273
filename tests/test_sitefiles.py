"""Site-wide files after an edit (incremental/sitefiles.py, the redirect pages, compressed twins): each made
again only when what it is made of changed, and what the store notes of them is what the output holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MakeSite, edit_file, file_mtimes, incremental_build
from yunzhan import opendata, workers
from yunzhan.incremental.store import Store
from yunzhan.model import Record
from yunzhan.pipeline import BuildOptions, build


def test_a_body_edit_makes_one_row_of_open_data(make_site: MakeSite, monkeypatch: pytest.MonkeyPatch) -> None:
    site = make_site()
    incremental_build(site)
    made: list[str] = []
    real = opendata.record_data

    def counting(record: Record, *args: object) -> dict[str, object]:
        made.append(record.slug)
        return real(record, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(opendata, "record_data", counting)
    edit_file(site / "content/projects/rocket.md", "见 [李奇杰]", "另见 [李奇杰]")
    incremental_build(site)
    assert made == ["rocket"]


def test_site_wide_files_are_made_again_only_when_what_they_read_changed(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sitemap, feed and robots.txt are kept by the keys of their own inputs: a body edit makes none of them
    again (the feed only when the record is in it), a date edit the sitemap."""
    from yunzhan import publish

    site = make_site()
    output = incremental_build(site)
    sitemap = (output / "sitemap.xml").read_bytes()
    made: set[str] = set()
    for name, file in (("_urlset", "sitemap.xml"), ("_rfc3339", "feed.xml"), ("robots", "robots.txt")):
        real = getattr(publish, name)
        monkeypatch.setattr(publish, name, lambda *a, _f=file, _r=real: made.add(_f) or _r(*a))

    def made_again(path: str, old: str, new: str) -> set[str]:
        made.clear()
        edit_file(site / path, old, new)
        incremental_build(site)
        return set(made)

    assert made_again("content/craftsmen/li-qijie.md", "感应热处理。", "感应热处理，已更新。") == set()
    assert made_again("content/projects/rocket.md", "## 技术攻关", "## 技术攻关与试制") == {"feed.xml"}
    dated = made_again("content/projects/rocket.md", "date: 2024-05-01", "date: 2024-06-01")
    assert dated == {"sitemap.xml", "feed.xml"}
    assert (output / "sitemap.xml").read_bytes() == sitemap.replace(b"2024-05-01", b"2024-06-01")


def test_site_files_noted_after_an_edit_are_as_written(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an edit, the sizes and times noted of the site-wide files are those on disk: the ones written now
    are stat-ed, the others (the very files the last build noted) are taken from its note, not stat-ed."""
    from yunzhan.incremental import written

    site = make_site()
    build(BuildOptions(site_dir=site))
    stated: list[str] = []
    real = written.as_written
    monkeypatch.setattr(written, "as_written", lambda path: stated.append(str(path)) or real(path))
    edit_file(site / "content/projects/rocket.md", "见 [李奇杰]", "另见 [李奇杰]")
    build(BuildOptions(site_dir=site))
    monkeypatch.undo()
    noted = _noted_site_files(site)
    output = site / "output"
    assert noted == {rel: real(output / rel) for rel in noted}
    assert f"{output}/search/meta.json" in stated  # written again: stat-ed
    assert f"{output}/robots.txt" not in stated and f"{output}/sitemap.xml" not in stated  # kept as noted


@pytest.mark.parametrize("rel", ["robots.txt", "data/zones.csv"])
def test_a_site_file_touched_by_hand_is_noted_anew(make_site: MakeSite, rel: str) -> None:
    """A site-wide file whose time changed but not its bytes (opened and saved, ``touch``) is noted with its new
    time by the next build, so the build after that keeps it (noting the old time would remake the site-wide
    files at every build)."""
    import os

    from yunzhan.incremental.written import as_written

    site = make_site()
    build(BuildOptions(site_dir=site))
    path = site / "output" / rel
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    for n in range(2):
        edit_file(site / "content/projects/rocket.md", "技术攻关", f"技术攻关{n}")
        build(BuildOptions(site_dir=site))
        assert _noted_site_files(site)[rel] == as_written(path), n


def _noted_site_files(site: Path) -> dict[str, tuple[int, int]]:
    """What the last build noted of its site-wide files: their sizes and times."""
    (path,) = (site / ".yunzhan-cache").glob("build-*.sqlite")
    store = Store(path)
    try:
        return store.get("meta", "site_files")[1]  # type: ignore[no-any-return]
    finally:
        store.close()


def test_a_title_edit_writes_only_that_records_redirect_pages(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The redirect pages are made again when a title changes, but only the changed ones are written (the others
    are not even read back to compare); one changed by hand is written again too. The output is a cold
    build's."""
    from yunzhan import output as output_module

    projects = {
        f"content/projects/p{i}.md": f"---\ntitle: 项目{i}\ncategory: 创新产品\nzone: gusu\n---\n正文{i}。\n"
        for i in range(6)
    }
    site = make_site(projects)
    incremental_build(site)
    output = site / "output"
    redirects = lambda: {rel for rel in file_mtimes(output) if rel.startswith("s/")}  # noqa: E731
    assert len(redirects()) >= 6
    before = file_mtimes(output)
    by_hand = next(rel for rel in sorted(redirects()) if "项目1" not in (output / rel).read_text("utf-8"))
    (output / by_hand).write_text("改过", encoding="utf-8")
    touched = file_mtimes(output)[by_hand]
    edit_file(site / "content/projects/p1.md", "title: 项目1", "title: 项目一号")
    compared: list[str] = []
    real = output_module.same_bytes
    monkeypatch.setattr(output_module, "same_bytes", lambda p, d: compared.append(p.as_posix()) or real(p, d))
    incremental_build(site)
    monkeypatch.undo()
    after = file_mtimes(output)
    changed = {rel for rel in redirects() if after[rel] not in (before[rel], touched)}
    shows = {rel for rel in redirects() if "项目一号" in (output / rel).read_text("utf-8")}
    assert shows and changed == shows | {by_hand}
    rels = {c.split("/output/", 1)[1] for c in compared}
    assert {rel for rel in rels if rel.startswith("s/")} == shows | {by_hand}
    cold = site.parent / "cold"
    build(BuildOptions(site_dir=site, output_dir=cold, use_cache=False))
    same = lambda: all((output / r).read_bytes() == (cold / r).read_bytes() for r in redirects())  # noqa: E731
    assert same()
    moved = "https://example.org/expo/"  # every page names the site's address: all made again
    build(BuildOptions(site_dir=site, cache_dir=site.parent / "cache", base_url=moved))
    build(BuildOptions(site_dir=site, output_dir=cold, use_cache=False, base_url=moved))
    assert all(moved in (output / r).read_text("utf-8") for r in redirects()) and same()


def test_turning_compress_on_gives_kept_files_their_twins(make_site: MakeSite) -> None:
    """A build with --compress after one without keeps most pages as they are: they get their .gz and .br all
    the same, as a first build with --compress gives them."""
    site = make_site()
    incremental_build(site)
    options = BuildOptions(site_dir=site, cache_dir=site.parent / "cache", compress=True)
    build(options)
    cold = site.parent / "cold"
    build(BuildOptions(site_dir=site, output_dir=cold, use_cache=False, compress=True))

    def tree(folder: Path) -> dict[str, bytes]:
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}

    assert tree(site / "output") == tree(cold)


def test_a_body_edit_reads_no_record_for_the_sitemap_or_the_redirect_pages(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While only edited records' bodies changed since the last build, the sitemap's and the redirect pages' keys
    of what they read of the records and the plan are the last build's; the short-link file, edited by hand, is
    still read (an old address added there is a redirect page at once), and a date edit reads all again. The
    output is a cold build's."""
    import yaml

    from yunzhan import publish, shortlinks

    site = make_site()
    output = incremental_build(site)
    read: list[str] = []
    for module, name in ((publish, "sitemap_inputs"), (shortlinks, "redirect_inputs")):
        real = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, _n=name, _r=real: read.append(_n) or _r(*a))
    edit_file(site / "content/projects/rocket.md", "见 [李奇杰]", "另见 [李奇杰]")
    incremental_build(site)
    assert read == []
    table = yaml.safe_load((site / shortlinks.FILE).read_text(encoding="utf-8"))
    code = next(c for c, e in table.items() if e["source"] == "projects/rocket.md")
    table[code]["urls"] = ["/projects/old-rocket/", *table[code]["urls"]]
    (site / shortlinks.FILE).write_text(yaml.safe_dump(table, allow_unicode=True), encoding="utf-8")
    edit_file(site / "content/projects/rocket.md", "另见 [李奇杰]", "又见 [李奇杰]")
    incremental_build(site)
    assert read == [] and (output / "projects/old-rocket/index.html").is_file()
    edit_file(site / "content/projects/rocket.md", "date: 2024-05-01", "date: 2024-06-01")
    incremental_build(site)
    assert sorted(read) == ["redirect_inputs", "sitemap_inputs"]
    cold = site.parent / "cold"
    build(BuildOptions(site_dir=site, output_dir=cold, use_cache=False))
    made = {p.relative_to(cold).as_posix(): p.read_bytes() for p in cold.rglob("*") if p.is_file()}
    assert made == {rel: (output / rel).read_bytes() for rel in made}


def _built_alone(make_site: MakeSite) -> Path:
    """150 records whose bodies hold markup and entities, built with every search block made here."""
    body = "## 技术攻关\n\n第{n}号 &amp; <b>模型</b>，见下文。\n\n- 一\n- 二 &lt;三&gt;\n"
    files: dict[str, str | bytes] = {
        f"content/projects/p{n:03d}.md": f"---\ntitle: 模型{n}\ncategory: 创新产品\nzone: gusu\n---\n{body.format(n=n)}"
        for n in range(150)
    }
    return Path(
        build(BuildOptions(site_dir=make_site(files), output_dir=make_site().parent / "alone")).output_dir
    )


def test_open_data_made_beside_the_search_index_is_that_made_alone(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold build's open data lines take the bodies' texts the search index made (``bodytexts``), waiting
    for them while a process beside makes blocks: the same files as a build that makes everything here, with
    few texts held at once."""
    from yunzhan import search
    from yunzhan.incremental import bodytexts, opendatafiles, searchblocks

    alone = _built_alone(make_site)
    monkeypatch.setattr(search, "MIN_BLOCKS", 1)  # blocks beside: the open data's steps wait for texts
    monkeypatch.setattr(searchblocks, "SOON", 0)  # none begun before publish (whose texts are not shared)
    monkeypatch.setattr(opendatafiles, "CHUNK", 16)
    monkeypatch.setattr(bodytexts, "HOLD", 40)
    held: list[int] = []
    real = bodytexts.BodyTexts.take

    def take(self: bodytexts.BodyTexts, record: Record) -> str:
        held.append(len(self._held))
        return real(self, record)

    monkeypatch.setattr(bodytexts.BodyTexts, "take", take)
    waited: list[bool] = []
    ready = bodytexts.BodyTexts.ready
    monkeypatch.setattr(
        bodytexts.BodyTexts, "ready", lambda *a: waited.append(not ready(*a)) or not waited[-1]
    )
    beside = Path(
        build(BuildOptions(site_dir=make_site(), output_dir=make_site().parent / "beside")).output_dir
    )
    for rel in ("data/records.json", "data/projects.csv", "search/meta.json"):
        assert (beside / rel).read_bytes() == (alone / rel).read_bytes()
    assert b"&lt;" not in (alone / "data/projects.csv").read_bytes()  # the body as text, once
    assert held and max(held) <= 40
    assert any(waited)  # some of the open data's steps waited for the index's texts


def test_search_blocks_begun_while_pages_are_noted_are_those_made_in_publish(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold build begins its first search blocks once the renderers are gone (``searchblocks.blocks_soon``)
    and the index takes them in publish: the same site-wide files as a build that makes them there. Records
    not those the blocks were begun with: they are stopped, not taken."""
    from yunzhan import search
    from yunzhan.incremental import searchblocks

    alone = _built_alone(make_site)
    monkeypatch.setattr(search, "MIN_BLOCKS", 1)
    monkeypatch.setattr(searchblocks, "SOON", 2)
    taken: list[bool] = []
    real = searchblocks.BlocksSoon.taken

    def take(self: searchblocks.BlocksSoon, ordered: list[Record], fresh: list[int], texts: Any) -> Any:
        found = real(self, ordered, fresh, texts)
        taken.append(found is not None and len(found.sent) == 2)
        return found

    monkeypatch.setattr(searchblocks.BlocksSoon, "taken", take)
    soon = Path(build(BuildOptions(site_dir=make_site(), output_dir=make_site().parent / "soon")).output_dir)
    assert taken == [True]
    made = sorted(p.relative_to(alone).as_posix() for p in alone.rglob("*") if p.is_file())
    assert made == sorted(p.relative_to(soon).as_posix() for p in soon.rglob("*") if p.is_file())
    for rel in made:
        assert (soon / rel).read_bytes() == (alone / rel).read_bytes()
    a, b = Record.__new__(Record), Record.__new__(Record)
    started = workers.beside_soon(str, lambda: iter([1]), 1, min_items=1)
    assert started is not None
    assert searchblocks.BlocksSoon([a], [0], started, []).taken([b], [0], None) is None  # type: ignore[arg-type]
    assert searchblocks.BlocksSoon([a], [0], started, []).taken([a], [64], None) is None  # type: ignore[arg-type]
    assert searchblocks.BlocksSoon([a], [0], started, []).taken([a, b], [0, 64], None) is started  # type: ignore[arg-type]
    started.close()
