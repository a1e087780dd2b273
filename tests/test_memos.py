"""memos.py and texts.py: Markdown conversions and parsed record files as the build store keeps them, and the
keys they are kept by."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import MakeSite
from yunzhan.incremental.fingerprints import (
    parsed_print,
)
from yunzhan.incremental.store import Store


def test_parsed_markdown_keys_differ_whenever_an_option_does(make_site: MakeSite) -> None:
    """The keys of a file's texts as parsed leave out the options its print covers (``texts.FROM_FILE``): a
    record whose texts would be converted with any other option (source, body line, a field's line, iframe
    hosts) or text has other keys, and the same record the same keys."""
    import dataclasses

    from yunzhan import texts
    from yunzhan.config import load_config
    from yunzhan.content import load_content

    site = make_site()
    config = load_config(site)
    record = next(r for r in load_content(site, config).records if texts.markdown_texts(r, config)[1:])
    name = texts.markdown_texts(record, config)[1][0]
    hosts = dataclasses.replace(config.markdown, iframe_hosts=("player.bilibili.com",))
    variants = [
        (record, config),
        (dataclasses.replace(record, source="content/elsewhere/x.md"), config),
        (dataclasses.replace(record, body_line=record.body_line + 1), config),
        (dataclasses.replace(record, lines={**record.lines, name: record.lines[name] + 1}), config),
        (dataclasses.replace(record, raw_body=record.raw_body + "。"), config),
        (dataclasses.replace(record, fields={**record.fields, name: "另一段。"}), config),
        (record, dataclasses.replace(config, markdown=hosts)),
    ]
    seen: dict[str, list[object]] = {}
    for variant, settings in variants:
        found = texts.markdown_texts(variant, settings)
        for key, (_, text, options) in zip(
            texts.parsed_markdown_keys(parsed_print(variant), found), found, strict=True
        ):
            seen.setdefault(key, []).append((text, sorted(options.items())))
    assert all(
        len({repr(x) for x in inputs}) == 1 for inputs in seen.values()
    )  # a key: one text, one options
    assert len(seen) > len(variants)  # every variant has keys of its own
    again = texts.parsed_markdown_keys(parsed_print(record), texts.markdown_texts(record, config))
    assert again == list(seen)[:2]


def test_a_conversion_kept_plain_reads_back_as_it_was_made(tmp_path: Path) -> None:
    """A conversion is kept marshalled (``texts.kept_row``) only when it found no problem and no image and each
    of its links led to an address or nothing; kept either way, it reads back from the store as it was made."""
    from yunzhan import markup, texts
    from yunzhan.incremental import store

    urls: dict[str, str | markup.LinkMiss | None] = {
        "../craftsmen/li-qijie.md": "/craftsmen/li-qijie/",
        "../craftsmen/nobody.md": markup.LinkMiss("链接指向的条目不存在", "改一下"),
    }
    cases = {
        "plain": "## 背景\n\n正文，见 [李奇杰](../craftsmen/li-qijie.md) 和 [外链](https://example.org/)。",
        "image": "![一张图](photo.jpg)",
        "problem": "![](photo.jpg)",
        "missing link": "见 [某人](../craftsmen/nobody.md)。",
        "html": "<b>粗</b> 与 <script>x</script>",
    }
    made: dict[str, tuple[markup.MarkupResult, texts.Lookups]] = {}
    with store.opened(tmp_path / "store.sqlite") as kept:
        for name, text in cases.items():
            lookups: list[tuple[str, str | markup.LinkMiss | None]] = []

            def resolve(href: str, lookups: list[Any] = lookups) -> str | markup.LinkMiss | None:
                lookups.append((href, urls.get(href)))
                return urls.get(href)

            result = markup.render_markdown(text, path="content/projects/x.md", resolve_link=resolve)
            made[name] = (result, tuple(lookups))
            row = texts.kept_row(result, tuple(lookups), "its digest")
            kept.put("markdown", name, row, plain=len(row) == 4)
        kept.commit()
    plain = {
        name for name, (result, lookups) in made.items() if len(texts.kept_row(result, lookups, "")) == 4
    }
    assert plain == {"plain"} and made["plain"][1] and made["plain"][0].headings
    with store.opened(tmp_path / "store.sqlite") as again:
        for name, (result, lookups) in made.items():
            back, back_lookups, back_digest = texts.from_kept_row(again.get("markdown", name))
            assert (back, back_lookups, back_digest) == (result, lookups, "its digest")
            assert type(back.html) is type(result.html) and str(back.html) == str(result.html)


def test_a_parsed_record_reads_back_from_the_store_as_it_was_parsed(make_site: MakeSite) -> None:
    """The parse memo keeps a record as its attributes' values (``memos._record_values``): read back, each is
    the record parsed, attribute for attribute and in the same order (its Markdown read from its own row when
    asked for), its body Markup; a record with an attribute of its own is kept whole."""
    from markupsafe import Markup

    from yunzhan.config import load_config
    from yunzhan.content import load_content
    from yunzhan.incremental.memos import ParsedFiles

    site = make_site()
    config = load_config(site)
    kept = Store(None)
    parsed = ParsedFiles(kept, config.collections)
    load_content(site, config, memo=parsed)
    odd = next(path for path, (_, record, _) in parsed.loaded.items() if record is not None)
    identity, record, problems = parsed[odd]
    record.extra = "own"  # type: ignore[attr-defined]
    parsed.loaded.pop(odd)
    parsed[odd] = (identity, record, problems)
    parsed.settle()
    again = ParsedFiles(kept, config.collections)
    assert len(again) == len(parsed.loaded) > 3
    for path, (_, first, _) in parsed.loaded.items():
        back = again[path][1]
        if first is None:
            assert back is None
            continue
        held = [(k, v) for k, v in back.__dict__.items() if k != "_deferred"]  # its Markdown: read when asked
        assert held == [(k, v) for k, v in first.__dict__.items() if k in back.__dict__]
        assert set(first.__dict__) - set(back.__dict__) <= {"raw_body"}
        assert back.raw_body == first.raw_body and type(back.body) is Markup
    assert again[odd][1].extra == "own"


def test_a_body_made_by_a_build_from_the_command_line_is_read_from_its_row_when_shown() -> None:
    """A command-line build keeps a body's HTML in a row of its own and hands it out ``Deferred``: read each
    time it is asked for, the very HTML made, with its digest for the record's print; a text field's HTML, and
    every conversion of a process that keeps them between builds (``serve``), are handed out whole."""
    from markupsafe import Markup

    from yunzhan import markup
    from yunzhan.incremental.fingerprints import digest
    from yunzhan.incremental.memos import MarkdownMemo
    from yunzhan.model import Deferred, Record

    kept = Store(None)
    made = markup.render_markdown("## 背景\n\n正文一段。\n", path="content/projects/a.md")
    memo = MarkdownMemo(kept)
    handed = memo.remember("body", made, (), body=True)
    field = memo.remember(
        "field", markup.render_markdown("一句话。", path="content/projects/a.md"), (), body=False
    )
    assert type(handed.html) is Deferred and handed.html.made == digest(made.html)
    assert handed.html.load() == made.html and type(handed.html.load()) is Markup
    assert type(field.html) is Markup
    memo.finish()

    again = MarkdownMemo(kept).lookup("body", lambda href: None, body=True)
    assert again is not None and type(again.html) is Deferred and again.html.load() == made.html
    whole = MarkdownMemo(kept, memory={}).lookup("body", lambda href: None, body=True)
    assert whole is not None and whole.html == made.html and type(whole.html) is Markup

    record = Record("projects", "a", "content/projects/a.md")
    record.defer("body", again.html)
    assert "body" not in record.__dict__ and record.deferred("body") is again.html
    assert record.body == made.html
    record.body = Markup("<p>换了</p>")  # set again: read as set
    assert record.deferred("body") is None and record.body == "<p>换了</p>"


def test_a_record_lets_go_of_its_markdown_and_reads_it_again_when_asked(make_site: MakeSite) -> None:
    """``ParsedFiles.let_go_of_bodies``: the build's records and their parsed originals hold their Markdown no
    more as text; asked for, it is read from the pack, the very text parsed."""
    from yunzhan.config import load_config
    from yunzhan.content import load_content
    from yunzhan.incremental.memos import ParsedFiles

    site = make_site()
    config = load_config(site)
    parsed = ParsedFiles(Store(None), config.collections)
    loaded = load_content(site, config, memo=parsed)
    bodies = {r.source: r.raw_body for r in loaded.records}
    assert any(bodies.values())
    from yunzhan.incremental.textpack import TextPack

    pack = TextPack()
    parsed.let_go_of_bodies(loaded.records, pack)
    pack.close()
    for record in loaded.records:
        original = loaded.originals[record.source]
        assert "raw_body" not in record.__dict__ and "raw_body" not in original.__dict__
        assert record.raw_body == original.raw_body == bodies[record.source]


def test_gather_hands_out_records_whose_bodies_can_be_read(make_site: MakeSite) -> None:
    """``pipeline.gather`` closes its store: the records it returns hold their bodies, not a way to read them."""
    from yunzhan.pipeline import BuildOptions, build, gather

    site = make_site()
    build(BuildOptions(site_dir=site))  # a warm store: every body is kept apart
    gathered = gather(BuildOptions(site_dir=site))
    bodies = [record.body for record in gathered.records]
    assert any("<p>" in body for body in bodies)
    assert all(record.deferred("body") is None for record in gathered.records)
