"""A rebuild does the work an edit calls for and no more: the pages, rows and drawings it changed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MakeSite, edit_file, file_mtimes, incremental_build
from yunzhan import processes
from yunzhan.incremental.store import Store
from yunzhan.pipeline import BuildOptions, build, gather


def test_no_change_rebuild_touches_nothing(make_site: MakeSite) -> None:
    site = make_site()
    incremental_build(site)
    before = file_mtimes(site / "output")
    cache_before = file_mtimes(site.parent / "cache")
    result = build(BuildOptions(site_dir=site, cache_dir=site.parent / "cache"))
    assert result.written == 0
    assert file_mtimes(site / "output") == before
    assert file_mtimes(site.parent / "cache") == cache_before  # nor the cache: nothing new to remember


def test_one_edit_rewrites_only_affected_pages(make_site: MakeSite) -> None:
    site = make_site({"content/pages/other.md": "---\ntitle: 其他\n---\n无关\n"})
    incremental_build(site)
    before = file_mtimes(site / "output")
    edit_file(site / "content/pages/about.md", "关于本展。", "关于本展，已更新。")
    build(BuildOptions(site_dir=site, cache_dir=site.parent / "cache"))
    after = file_mtimes(site / "output")
    changed = {rel for rel in after if before.get(rel) != after[rel]}
    site_wide = {rel for rel in changed if rel.startswith(("search/", "data/"))}  # search index, open data
    assert changed - site_wide == {"about/index.html"}


def test_a_warm_rebuild_does_not_load_pypinyin(make_site: MakeSite, tmp_path: Path) -> None:
    """Term slugs and title pinyin are remembered: a rebuild after an edit need not load pypinyin's dictionary
    (a third of a second), while a cold build must. Without fork, as on Windows, where the pinyin is made in the
    build's own process (elsewhere a forked child makes it, and the build process never loads the tables), even
    for a record whose slug comes from a file name in Chinese."""
    site = make_site()
    named = (site / "content/projects/rocket.md").read_text(encoding="utf-8").replace("火箭模型", "苏绣针法")
    (site / "content/projects/苏绣针法图谱.md").write_text(named, encoding="utf-8")
    code = (
        "import sys; from pathlib import Path; from yunzhan import processes; "
        "processes.can_fork = lambda: False; from yunzhan.pipeline import BuildOptions, build; "
        "build(BuildOptions(site_dir=Path(sys.argv[1]), cache_dir=Path(sys.argv[2]))); "
        "print('pypinyin' in sys.modules)"
    )

    def loads_pypinyin(cache: Path, fork: bool = False) -> bool:
        repo = Path(__file__).resolve().parent.parent
        script = code.replace("processes.can_fork = lambda: False; ", "") if fork else code
        run = subprocess.run(
            [sys.executable, "-c", script, str(site), str(cache)], capture_output=True, text=True, cwd=repo
        )
        assert run.returncode == 0, run.stderr
        return run.stdout.strip() == "True"

    assert loads_pypinyin(tmp_path / "cache")
    edit_file(site / "content/projects/rocket.md", "见 [李奇杰]", "另见 [李奇杰]")
    assert not loads_pypinyin(tmp_path / "cache")
    if processes.can_fork():  # a cold build that can fork leaves the tables to a child (55 MB it never holds)
        assert not loads_pypinyin(tmp_path / "cold", fork=True)
        assert (tmp_path / "cold").is_dir()


def test_a_body_edit_renders_only_the_pages_that_show_the_body(make_site: MakeSite) -> None:
    """Dependencies are per attribute: listings and neighbours read titles and summaries, not bodies."""
    site = make_site()
    options = BuildOptions(site_dir=site, cache_dir=site.parent / "cache")
    build(options)
    edit_file(site / "content/projects/rocket.md", "见 [李奇杰]", "另见 [李奇杰]")
    rendered = [page.output_file for page, _ in gather(options).pages]
    # the placard prints an excerpt of the body, as this project has no summary
    assert rendered == ["projects/rocket/index.html", "placards/gusu/index.html"]
    edit_file(site / "content/projects/rocket.md", "tags: [航天]", "tags: [航天]\nsummary: 一句话简介")
    build(options)
    edit_file(site / "content/projects/rocket.md", "另见 [李奇杰]", "又见 [李奇杰]")
    assert [page.output_file for page, _ in gather(options).pages] == ["projects/rocket/index.html"]
    edit_file(site / "content/projects/rocket.md", "title: 火箭模型", "title: 火箭模型二号")
    rendered = {page.output_file for page, _ in gather(options).pages}
    assert {"projects/rocket/index.html", "zones/gusu/index.html", "index.html"} <= rendered


def test_placard_qr_codes_are_drawn_once(make_site: MakeSite, monkeypatch: pytest.MonkeyPatch) -> None:
    """Re-rendered placards take their codes from the store: reading one costs less than drawing it."""
    from yunzhan import placards

    site = make_site()
    build(BuildOptions(site_dir=site))
    before = (site / "output/placards/gusu/index.html").read_text(encoding="utf-8")
    placards.placard_qr_svg.cache_clear()

    def no_drawing(*args: object, **kwargs: object) -> None:
        raise AssertionError("a QR code was drawn again")

    # the placards' drawing only: the zone's share cards and posters (their own QR codes) are drawn again
    monkeypatch.setattr(placards, "placard_qr_svg", no_drawing)
    edit_file(site / "content/zones/gusu.md", "name: 姑苏展区", "name: 姑苏新展区")
    build(BuildOptions(site_dir=site))
    after = (site / "output/placards/gusu/index.html").read_text(encoding="utf-8")
    assert "姑苏新展区" in after and after != before
    assert after.count("<svg") == before.count("<svg") > 0


def test_placard_qr_codes_are_drawn_again_by_other_code(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A QR code kept by a build of another version of yunzhan is not reused: the drawing may have changed."""
    from yunzhan import placards
    from yunzhan.incremental import reuse

    site = make_site()
    build(BuildOptions(site_dir=site))
    placards.placard_qr_svg.cache_clear()
    drawn: list[object] = []
    real = placards.qr_svg

    def drawing(*args: object, **kwargs: object) -> object:
        drawn.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(placards, "qr_svg", drawing)
    monkeypatch.setattr(reuse, "code_digest", lambda: "another version")
    edit_file(site / "content/projects/rocket.md", "见 [李奇杰]", "另见 [李奇杰]")  # past the stamp
    build(BuildOptions(site_dir=site))
    assert drawn  # every page is made again by the new code, and so is every QR code
    (path,) = (site / ".yunzhan-cache").glob("build-*.sqlite")
    store = Store(path)
    try:
        assert len(store.keys("qr")) == len(drawn)  # the other version's drawings are forgotten
    finally:
        store.close()


def test_a_body_edit_keys_and_converts_only_the_edited_records_texts(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other records' conversions are found by their files' parse prints: their texts are not digested."""
    from yunzhan import bodies, texts

    site = make_site()
    incremental_build(site)
    digested: list[str] = []
    converted: list[str] = []
    real_key, real_convert = texts.markdown_key, bodies._convert
    monkeypatch.setattr(
        texts, "markdown_key", lambda text, options: digested.append(text) or real_key(text, options)
    )

    def converting(missing: list[Any], i: int) -> Any:
        converted.append(missing[i][3]["path"])
        return real_convert(missing, i)

    monkeypatch.setattr(bodies, "_convert", converting)
    edit_file(site / "content/projects/rocket.md", "见 [李奇杰]", "另见 [李奇杰]")
    incremental_build(site)
    assert digested == [] and converted == ["content/projects/rocket.md"]


def test_content_rules_made_in_forked_processes_are_those_made_here(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first build runs the content rules of every file, shared with forked processes when there are many:
    each file's findings (Traditional characters, pasted characters) come back in file order, are
    remembered, and a second run finds them all remembered."""
    from yunzhan import content, workers
    from yunzhan.config import load_config
    from yunzhan.incremental import reuse

    files = {
        f"content/craftsmen/c{i:02d}.md": f"---\nname: 工匠{i}\nspecialties: [焊接]\n---\n第{i}位工匠的故事\n"
        for i in range(40)
    }
    files["content/craftsmen/c05.md"] = "---\nname: 工匠5\nspecialties: [焊接]\n---\n這是繁體字的故事\n"
    files["content/craftsmen/c21.md"] = "---\nname: 工匠21\nspecialties: [焊接]\n---\n粘贴\u200b来的文字\n"
    site = make_site(files)
    config = load_config(site)

    def run(store: Store) -> list[str]:
        memo: dict[Path, Any] = {}
        loaded = content.load_content(site, config, memo=memo)  # type: ignore[arg-type]
        kept = reuse.findings(store, None)
        return [p.format() for p in reuse.record_rules(loaded, config, site, memo, kept, "k")]  # type: ignore[arg-type]

    here = run(Store(None))
    assert any("c05.md" in m for m in here) and any("c21.md" in m for m in here)
    monkeypatch.setattr(workers, "workers_for", lambda count, min_items=0: 2)
    store = Store(None)
    assert run(store) == here
    monkeypatch.setattr(reuse, "RecordRules", None)  # all remembered: no rules are made again
    assert run(store) == here


def test_a_body_edit_digests_only_the_edited_body_for_short_links(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Short links recognise a moved record by its body's digest: made once per parse of a file, kept with it,
    not once per build for every record."""
    from yunzhan import shortlinks

    site = make_site()
    incremental_build(site)
    digested: list[str] = []
    real = shortlinks._text_digest
    monkeypatch.setattr(shortlinks, "_text_digest", lambda text: digested.append(text) or real(text))
    edit_file(site / "content/projects/rocket.md", "见 [李奇杰]", "另见 [李奇杰]")
    incremental_build(site)
    assert len(digested) == 1 and "另见 [李奇杰]" in digested[0]
    assert shortlinks.load(site).entries  # the file the first build wrote, read back


def test_a_session_save_fingerprints_and_keys_only_the_edited_record(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``serve`` keeps record and page prints, Markdown keys, check findings and the redirect pages' key by
    their inputs: after a body edit only the edited record's print and keys are made again, no page print, and
    no finding is read back from the store."""
    from yunzhan import texts
    from yunzhan.incremental import fingerprints, keptprints, store
    from yunzhan.pipeline import Session

    site = make_site()
    session = Session()
    options = BuildOptions(site_dir=site, output_dir=tmp_path / "preview", drafts=True, preview=True)
    build(options, session)
    edit_file(site / "content/pages/about.md", "关于本展。", "关于本展，改。")
    session.forget({site / "content/pages/about.md"})
    build(options, session)  # the first save: prints made of the last build's inputs are kept from now on
    made: list[str] = []
    real_record, real_page, real_keys = (
        keptprints.record_fingerprint,
        keptprints.page_fingerprint,
        texts.parsed_markdown_keys,
    )
    monkeypatch.setattr(
        keptprints, "record_fingerprint", lambda r, o, h: made.append(r.slug) or real_record(r, o, h)
    )
    monkeypatch.setattr(keptprints, "page_fingerprint", lambda p, s: made.append(p.path) or real_page(p, s))
    real_parts = fingerprints._digest_parts  # collections, taxonomies, terms
    monkeypatch.setattr(fingerprints, "_digest_parts", lambda k, p: made.append(k) or real_parts(k, p))
    monkeypatch.setattr(
        texts, "parsed_markdown_keys", lambda m, f: made.append(f[0][2]["path"]) or real_keys(m, f)
    )
    read: list[str] = []
    real_get = store.Store.get
    monkeypatch.setattr(
        store.Store, "get", lambda s, t, k: read.append(k if t == "meta" else t) or real_get(s, t, k)
    )
    edit_file(site / "content/projects/rocket.md", "见 [李奇杰]", "另见 [李奇杰]")
    session.forget({site / "content/projects/rocket.md"})
    build(options, session)
    assert made == ["content/projects/rocket.md", "rocket"] and "findings" not in read
    assert session.prints.made == 1  # the redirect pages' key too is kept: it reads no body
    session.close()


def test_a_session_lists_a_settled_collection_folder_again_only_when_it_changed(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A save changes a file, not its folder: ``serve`` keeps the folder's listing while the folder's times are
    as they were, and lists it again once a record is added."""
    from yunzhan import folders
    from yunzhan.incremental import listings
    from yunzhan.pipeline import Session

    monkeypatch.setattr(listings, "SETTLED_NS", -(10**18))  # every folder's times count as settled
    site = make_site()
    session = Session()
    preview = tmp_path / "preview"
    options = BuildOptions(site_dir=site, output_dir=preview, drafts=True, preview=True)
    build(options, session)
    listed: list[str] = []
    real = folders.list_folder
    monkeypatch.setattr(folders, "list_folder", lambda f, s: listed.append(f.name) or real(f, s))
    edit_file(site / "content/projects/rocket.md", "见 [李奇杰]", "另见 [李奇杰]")
    session.forget({site / "content/projects/rocket.md"})
    build(options, session)
    assert "projects" not in listed  # (a folder that does not exist is "listed" each time: nothing to keep)
    new = site / "content/projects/kite.md"
    new.write_text("---\ntitle: 风筝\ncategory: 创新产品\nzone: gusu\n---\n正文\n", encoding="utf-8")
    session.forget({new})
    build(options, session)
    assert listed.count("projects") == 1 and (preview / "projects/kite/index.html").is_file()
    session.close()


def _page_deps(cache: Path) -> dict[str, tuple[object, ...]]:
    """What each page read, with the fingerprints, as the store in ``cache`` notes it."""
    (path,) = cache.glob("build-*.sqlite")
    store = Store(path)
    try:
        return {rel: store.page(rel).deps for rel in store.page_heads()}  # type: ignore[union-attr]
    finally:
        store.close()


@pytest.mark.parametrize("edit", ["title", "template"])
def test_pages_rendered_again_take_what_they_read_of_unchanged_records_from_their_last_entry(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch, edit: str
) -> None:
    """A list page rendered again fingerprints only what it read of the changed record; the rest comes from
    its last entry. Every entry is then what a first build notes."""
    from yunzhan.incremental import fingerprints

    projects = {
        f"content/projects/p{i}.md": f"---\ntitle: 项目{i}\ncategory: 创新产品\nzone: gusu\n---\n正文{i}。\n"
        for i in range(8)
    }
    site = make_site(projects)
    incremental_build(site)
    if edit == "title":
        edit_file(site / "content/projects/p1.md", "title: 项目1", "title: 项目一号")
    else:
        theme = site / "templates"
        theme.mkdir(exist_ok=True)
        base = Path(__file__).parents[1] / "themes/default/templates/base.html"
        (theme / "base.html").write_text(base.read_text("utf-8") + "\n<!-- 改 -->\n", encoding="utf-8")
    asked: list[str] = []
    real = fingerprints.attribute_fingerprint
    monkeypatch.setattr(
        fingerprints, "attribute_fingerprint", lambda r, a, h=None: asked.append(r.slug) or real(r, a, h)
    )
    incremental_build(site)
    monkeypatch.undo()
    assert set(asked) <= {"p1"} and (asked or edit == "template")
    cold = site.parent / "cold-cache"
    build(BuildOptions(site_dir=site, output_dir=site.parent / "cold", cache_dir=cold))
    assert _page_deps(site.parent / "cache") == _page_deps(cold)


def test_a_file_saved_unchanged_rebuilds_nothing_and_counts_every_file(make_site: MakeSite) -> None:
    """A record saved without a change gets past the stamp; the build then finds the output already right and
    says every file of it is unchanged (the message's count)."""
    import os

    site = make_site()
    incremental_build(site)
    path = site / "content/projects/rocket.md"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    result = build(BuildOptions(site_dir=site, cache_dir=site.parent / "cache"))
    files = [p for p in (site / "output").rglob("*") if p.is_file()]
    assert (result.written, result.removed, result.unchanged) == (0, 0, len(files))
