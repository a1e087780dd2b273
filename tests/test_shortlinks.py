"""shortlinks.py: codes for life in content/shortlinks.yaml, /s/<code>/ and old URLs as redirect pages, and the
placard's QR code still landing on a record after it was renamed and moved to another folder."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import browser as browser_helpers
import pytest
import yaml

from tests.conftest import SITE_TOML, MakeSite
from tests.test_cards import _browser, _zbar
from yunzhan import shortlinks
from yunzhan.cli import main
from yunzhan.incremental import keptrows, shortlinkfile
from yunzhan.incremental.shortlinkfile import ShortLinkFile
from yunzhan.incremental.store import opened
from yunzhan.model import Record

browser, open_page = browser_helpers.browser, browser_helpers.open_page
audit = browser_helpers._audit()


def _record(source: str, title: str, body: str = "", draft: bool = False) -> Record:
    slug = Path(source).stem
    return Record(
        "projects", slug, source, path=f"/projects/{slug}/", title=title, raw_body=body, draft=draft
    )


def test_codes_are_kept_through_renames_and_moves() -> None:
    rocket = _record("content/projects/rocket.md", "火箭模型", "箭体结构。")
    loom = _record("content/projects/loom.md", "智能织机", "织机。")
    draft = _record("content/projects/draft.md", "草稿", draft=True)
    table, changed = shortlinks.assign(shortlinks.Table(), [rocket, loom, draft])
    assert changed and len(table.entries) == 2 and not draft.short  # drafts get no code until published
    codes = {e.source: e.code for e in table.entries}
    assert rocket.short == f"/s/{codes['projects/rocket.md']}/"
    assert all(len(c) == 4 and set(c) <= set(shortlinks.ALPHABET) for c in codes.values())
    again = [
        _record("content/projects/rocket.md", "火箭模型", "箭体结构。"),
        _record("content/projects/loom.md", "智能织机", "织机。"),
    ]
    assert shortlinks.assign(table, again)[1] is False  # nothing new: the file is not written again

    moved = _record("content/exhibits/tianlong.md", "火箭模型", "箭体结构。")  # new file name and folder
    retitled = _record("content/projects/jacquard.md", "提花织机", "织机。")  # new name and title, same body
    table, changed = shortlinks.assign(table, [moved, retitled])
    assert changed
    assert (
        moved.short == f"/s/{codes['projects/rocket.md']}/"
        and retitled.short == f"/s/{codes['projects/loom.md']}/"
    )
    entry = next(e for e in table.entries if e.source == "exhibits/tianlong.md")
    assert entry.urls == ("/projects/rocket/", "/projects/tianlong/")

    fresh = _record("content/projects/new.md", "新成果", "新的。")
    table, _ = shortlinks.assign(table, [moved, retitled, fresh])
    assert len({e.code for e in table.entries}) == 3


def test_two_moved_files_of_one_title_take_the_orphans_in_order_and_new_codes_never_collide() -> None:
    first, second = (
        _record("content/projects/a.md", "织机", "一。"),
        _record("content/projects/b.md", "织机", "二。"),
    )
    table, _ = shortlinks.assign(shortlinks.Table(), [first, second])
    codes = [first.short, second.short]
    # both moved: the title matches two orphans; each takes one, in the file's order, none gets a new code
    again = [
        _record("content/exhibits/a.md", "织机", "一。"),
        _record("content/exhibits/b.md", "织机", "二。"),
    ]
    table, _ = shortlinks.assign(table, again)
    assert [r.short for r in again] == codes
    # many records at once (a site whose file is not written back gets every code made again): all distinct
    many = [_record(f"content/projects/p{i}.md", f"成果{i}") for i in range(3000)]
    table, _ = shortlinks.assign(shortlinks.Table(), many)
    assert len({r.short for r in many}) == len(many) == len(table.entries)


def test_the_file_round_trips_and_a_damaged_one_is_named(tmp_path: Path) -> None:
    table, _ = shortlinks.assign(shortlinks.Table(), [_record("content/projects/rocket.md", "火箭模型")])
    shortlinks.save(tmp_path, table)
    text = (tmp_path / shortlinks.FILE).read_text(encoding="utf-8")
    assert text.startswith("# 短链接") and "火箭模型" in text  # Chinese as it is, for editors
    assert shortlinks.load(tmp_path).entries == table.entries
    (tmp_path / shortlinks.FILE).write_text("- 不是: [表\n", encoding="utf-8")
    damaged = shortlinks.load(tmp_path)
    assert damaged.problems and damaged.problems[0].path == shortlinks.FILE
    assert shortlinks.assign(damaged, [_record("content/projects/x.md", "x")]) == (damaged, False)


def test_the_file_is_parsed_once_per_text_and_written_entry_by_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 10,000 records the file takes seconds to parse and to dump: the store keeps the table by the file's
    text and each entry's text by the entry. What is written is still exactly a dump of the whole table, and a
    hand edit of the file is read."""
    records = [_record(f"content/projects/p{i}.md", f"成果{i}", f"正文{i}") for i in range(50)]
    with opened(tmp_path / "store.sqlite") as store:
        file = ShortLinkFile(store, tmp_path, "code")
        table, changed = shortlinks.assign(file.load(), records)
        assert changed
        file.save(table)
        store.commit()
    text = (tmp_path / shortlinks.FILE).read_text(encoding="utf-8")
    assert text == shortlinks.dump(table) and yaml.safe_load(text)  # the same bytes as one whole dump
    dumped: list[shortlinks.Entry] = []
    entry_text = shortlinks.entry_text

    def counting(entry: shortlinks.Entry) -> str:
        dumped.append(entry)
        return entry_text(entry)

    def no_parse(text: str) -> shortlinks.Table:
        raise AssertionError("parsed again")

    monkeypatch.setattr(shortlinks, "entry_text", counting)
    with opened(tmp_path / "store.sqlite") as store:
        file = ShortLinkFile(store, tmp_path, "code")
        with monkeypatch.context() as m:
            m.setattr(shortlinks, "parse", no_parse)
            loaded = file.load()  # the text the last build wrote: the table it kept
        assert loaded.entries == table.entries
        records[7].raw_body = "改过的正文"
        again, changed = shortlinks.assign(loaded, records)
        assert changed
        file.save(again)
        store.commit()
    assert dumped == [e for e in again.entries if e not in table.entries]  # the one edited entry
    assert (tmp_path / shortlinks.FILE).read_text(encoding="utf-8") == shortlinks.dump(again)
    with opened(tmp_path / "store.sqlite") as store:
        assert len(store.get("meta", shortlinkfile.ROW + keptrows.OVERLAY)[2]) == 1  # one row written
        with monkeypatch.context() as m:
            m.setattr(shortlinks, "parse", no_parse)
            assert (
                ShortLinkFile(store, tmp_path, "code").load().entries == again.entries
            )  # the whole, changed
        for record in records[:20]:  # more than an eighth of the rows changed: the whole is written again
            record.raw_body += "又改"
        file = ShortLinkFile(store, tmp_path, "code")
        many, _ = shortlinks.assign(file.load(), records)
        file.save(many)
        store.commit()
        assert store.get("meta", shortlinkfile.ROW + keptrows.OVERLAY) is None
    with opened(tmp_path / "store.sqlite") as store, monkeypatch.context() as m:
        m.setattr(shortlinks, "parse", no_parse)
        assert ShortLinkFile(store, tmp_path, "code").load().entries == many.entries
    hand = (tmp_path / shortlinks.FILE).read_text(encoding="utf-8").replace("成果3\n", "成果三\n")
    (tmp_path / shortlinks.FILE).write_text(hand, encoding="utf-8")
    with opened(tmp_path / "store.sqlite") as store:
        titles = {e.source: e.title for e in ShortLinkFile(store, tmp_path, "code").load().entries}
    assert titles["projects/p3.md"] == "成果三"


def _vnu_errors(page: Path) -> list[str]:
    java = shutil.which("java")
    assert java and audit.VNU_JAR.is_file(), "java or vnu.jar missing: bash scripts/setup.sh"
    run = subprocess.run([java, "-jar", str(audit.VNU_JAR), "--errors-only", "--format", "json", str(page)],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    return [m["message"] for m in json.loads(run.stderr or '{"messages": []}')["messages"]]


@pytest.mark.browser
@pytest.mark.tools
def test_renamed_record_old_url_and_printed_qr_code_land_on_it(
    make_site: MakeSite, tmp_path: Path, browser: object, open_page: object
) -> None:
    site = make_site()
    (site / "output").mkdir()
    base, stop = audit.serve_directory(site / "output", "/expo/2024/")
    try:
        assert main(["build", "--site", str(site), "--base-url", base, "-q"]) == 0
        table = yaml.safe_load((site / shortlinks.FILE).read_text(encoding="utf-8"))
        code = next(c for c, e in table.items() if e["source"] == "projects/rocket.md")

        # The editor renames the file and moves the collection's folder: the URL changes, the code does not.
        (site / "site.toml").write_text(
            SITE_TOML.replace('url = "/projects/{slug}/"', 'folder = "exhibits"\nurl = "/projects/{slug}/"'),
            encoding="utf-8",
        )
        (site / "content/exhibits").mkdir()
        (site / "content/projects/rocket.md").rename(site / "content/exhibits/tianlong-2.md")
        shutil.rmtree(site / "content/projects")
        assert main(["build", "--site", str(site), "--base-url", base, "-q"]) == 0
        table = yaml.safe_load((site / shortlinks.FILE).read_text(encoding="utf-8"))
        assert table[code]["source"] == "exhibits/tianlong-2.md"
        assert table[code]["urls"] == ["/projects/rocket/", "/projects/tianlong-2/"]
        assert len(table) == 4  # a zone, a project, a craftsman, a page: one code each, none new

        shot = tmp_path / "placards.png"
        _browser(f"--screenshot={shot}", "--window-size=1300,1000", f"{base}placards/gusu/")
        assert _zbar(shot) == [f"{base}s/{code}/"]
        poster = next((site / "output/media/share").glob("*/projects-tianlong-2-poster.jpg"))
        assert _zbar(poster) == [f"{base}s/{code}/"]  # the WeChat poster carries the same short link
        record_url = f"{base}projects/tianlong-2/"
        for start in (f"{base}s/{code}/", f"{base}projects/rocket/"):
            page = open_page(start)  # type: ignore[operator]
            page.wait_for_url(record_url)
            assert page.locator("h1").first.inner_text() == "火箭模型"

        redirect = site / "output/projects/rocket/index.html"
        html = redirect.read_text(encoding="utf-8")
        assert f'<link rel="canonical" href="{record_url}">' in html
        assert f'content="0; url={record_url}"' in html and f'<a href="{record_url}">' in html
        assert _vnu_errors(redirect) == []
        page = open_page(f"{base}404.html")  # type: ignore[operator]
        page.set_content(
            html.replace('<meta http-equiv="refresh"', '<meta name="x-refresh"')
        )  # stay to be checked
        page.add_script_tag(path=str(audit.AXE_JS))
        assert page.evaluate(audit.AXE_RUN_JS, audit.AXE_TAGS)["violations"] == []
    finally:
        stop()


def test_a_build_into_a_folder_elsewhere_leaves_the_site_as_it_was(
    make_site: MakeSite, tmp_path: Path
) -> None:
    site = make_site()
    elsewhere = tmp_path / "copy"
    assert main(["build", "--site", str(site), "--output", str(elsewhere), "-q"]) == 0
    assert not (site / shortlinks.FILE).exists()  # tests and one-off copies never change the site's files
    codes = sorted(p.parent.name for p in (elsewhere / "s").glob("*/index.html"))
    assert main(["build", "--site", str(site), "-q"]) == 0
    assert (
        sorted(yaml.safe_load((site / shortlinks.FILE).read_text(encoding="utf-8"))) == codes
    )  # the same codes


def test_after_a_hand_edit_the_file_is_parsed_and_only_changed_entries_dumped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file changed outside the build (by hand, by a checkout) is parsed again; the entries it holds as
    they were keep their kept text, the others' is made as it is read (not at the next save), so writing it
    back dumps the changed ones only, and the bytes are still one whole dump of the table."""
    records = [_record(f"content/projects/p{i}.md", f"成果{i}", f"正文{i}") for i in range(20)]
    with opened(tmp_path / "store.sqlite") as store:
        file = ShortLinkFile(store, tmp_path, "code")
        table, _ = shortlinks.assign(file.load(), records)
        file.save(table)
        store.commit()
    path = tmp_path / shortlinks.FILE
    path.write_text(path.read_text(encoding="utf-8").replace("成果3\n", "成果三\n"), encoding="utf-8")
    dumped: list[str] = []
    entry_text = shortlinks.entry_text
    monkeypatch.setattr(shortlinks, "entry_text", lambda e: dumped.append(e.source) or entry_text(e))
    with opened(tmp_path / "store.sqlite") as store:
        file = ShortLinkFile(store, tmp_path, "code")
        loaded = file.load()
        assert {e.source: e.title for e in loaded.entries}["projects/p3.md"] == "成果三"
        assert dumped == ["projects/p3.md"]  # the hand-edited entry
        records[5].raw_body = "改过的正文"
        again, changed = shortlinks.assign(loaded, records)
        assert changed
        file.save(again)
        store.commit()
    assert dumped == ["projects/p3.md", "projects/p3.md", "projects/p5.md"]  # its title came back too
    assert path.read_text(encoding="utf-8") == shortlinks.dump(again, entry_text)


def test_a_file_the_store_does_not_know_is_written_back_dumping_the_changed_entries_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first build (no store) of a site whose file is there learns each entry's text as it reads the file,
    so the first edit after it dumps its one entry, as the next edits do; the file is then what a build
    without a store writes."""
    records = [_record(f"content/projects/p{i}.md", f"成果{i}", f"正文{i}") for i in range(30)]
    table, _ = shortlinks.assign(shortlinks.Table(), records)
    before = shortlinks.save(tmp_path, table)
    with opened(tmp_path / "store.sqlite") as store:
        file = ShortLinkFile(store, tmp_path, "code")
        assert shortlinks.assign(file.load(), records)[1] is False  # the first build: nothing to write
        store.commit()
    dumped: list[str] = []
    entry_text = shortlinks.entry_text
    monkeypatch.setattr(shortlinks, "entry_text", lambda e: dumped.append(e.source) or entry_text(e))
    records[9].raw_body = "改过的正文"
    with opened(tmp_path / "store.sqlite") as store:
        file = ShortLinkFile(store, tmp_path, "code")
        again, changed = shortlinks.assign(file.load(), records)
        file.save(again)
    assert changed and dumped == ["projects/p9.md"]
    cold = shortlinks.assign(shortlinks.parse(before), records)[0]  # a build without a store
    assert (tmp_path / shortlinks.FILE).read_text(encoding="utf-8") == shortlinks.dump(cold)


@pytest.mark.parametrize(
    "value",
    ["火箭模型", "劳模工匠圆桌会·第1场（示例）", "AI 与 工匠", "/projects/p1/", "projects/a b.md", "0123456789ab",
     "123", "1_000", "0x1f", "1.5", "1e5", ".inf", "2024-01-01", "yes", "No", "on", "null", "~", "", "a: b",
     "a #b", "#a", "-a", "- a", "---", "...", " a", "a ", "a\nb", "'q'", '"q"', "a,b", "[a]", "{a}", "*a", "&a",
     "!a", "|a", ">a", "%a", "@a", "`a", "?a", "a?", "a:", "a\u2028b", "\ufeffa", "a\x85", "😀", "中" * 600,
     "中 " * 400, "a\u3000b", "\u00a0a", "a.", "a-", "(a)", "<<", "="],
)  # fmt: skip
def test_an_entry_is_written_as_yaml_dumps_it(value: str) -> None:
    """Entries of plain values are written without ``yaml.dump`` (50 times faster): byte for byte its text."""
    for entry in (
        shortlinks.Entry("ab2c", "projects/p1.md", value, "0123456789ab", (value, "/p/")),
        shortlinks.Entry("ab2c", value, "标题", value, ()),
        shortlinks.Entry(value, "projects/p1.md", "标题", "", (value,)),
    ):
        item = {
            "source": entry.source,
            "title": entry.title,
            "digest": entry.digest,
            "urls": list(entry.urls),
        }
        dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
        dumped = yaml.dump({entry.code: item}, Dumper=dumper, allow_unicode=True, sort_keys=False, width=1000)
        assert shortlinks.entry_text(entry) == dumped
        assert yaml.safe_load(shortlinks.entry_text(entry)) == {entry.code: item}


def test_plain_scalar_pattern_is_the_safe_characters_it_names() -> None:
    """``_PLAIN`` is written as the characters it is not (it compiles at every start); it takes the very values
    the class it stands for takes, over every character of the BMP and some past it, first, inside and last,
    and up to its length."""
    import re

    safe = "A-Za-z0-9_/()\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
    named = re.compile(f"[{safe}](?:[{safe} .-]{{0,500}}[{safe}.-])?")
    for c in map(chr, [*range(0x10100), *range(0x10100, 0x110000, 997), 0x10FFFF]):
        for value in (c, "a" + c, c + "a", "a" + c + "a"):
            assert (shortlinks._PLAIN.fullmatch(value) is None) == (named.fullmatch(value) is None), hex(
                ord(c)
            )
    for n in (501, 502, 503):
        assert (shortlinks._PLAIN.fullmatch("a" * n) is None) == (named.fullmatch("a" * n) is None)


def test_kept_rows_write_the_changed_rows_beside_the_whole(tmp_path: Path) -> None:
    """``KeptRows``: a few rows changed or gone go into the overlay row, read back over the whole; many, the
    whole again; rows as read are not written at all."""
    rows = {f"f{i}": (i, "s") for i in range(80)}
    with opened(tmp_path / "store.sqlite") as store:
        keptrows.KeptRows(store, "t").write("k1", rows)
        store.commit()
    changed = {**rows, "f3": (-3, "s"), "new": (0, "")}
    del changed["f7"]
    with opened(tmp_path / "store.sqlite") as store:
        kept = keptrows.KeptRows(store, "t")
        assert kept.read() == ("k1", rows)
        kept.write("k1", rows)  # as read: nothing written
        assert store.get("meta", "t" + keptrows.OVERLAY) is None
        kept.write("k2", changed)
        store.commit()
        overlay = store.get("meta", "t" + keptrows.OVERLAY)
        assert overlay[2] == {"f3": (-3, "s"), "new": (0, "")} and overlay[3] == ["f7"]
    with opened(tmp_path / "store.sqlite") as store:
        kept = keptrows.KeptRows(store, "t")
        assert kept.read() == ("k2", changed)
        many = {k: (v[0] + 1, v[1]) for k, v in changed.items()}
        kept.write("k3", many)
        store.commit()
        assert store.get("meta", "t" + keptrows.OVERLAY) is None
    with opened(tmp_path / "store.sqlite") as store:
        assert keptrows.KeptRows(store, "t").read() == ("k3", many)
        assert keptrows.KeptRows(store, "none").read() == ("", {})
