"""fingerprints.py: what a record's print counts (records by key, HTML by the digest kept beside its
conversion), and prints of plain values by marshal."""

from __future__ import annotations

from yunzhan.incremental.fingerprints import (
    HtmlPrints,
    digest,
    parsed_print,
    print_of,
    record_fingerprint,
)
from yunzhan.incremental.store import Store
from yunzhan.model import Record


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


def test_a_print_made_from_the_parse_sees_what_the_build_filled_in() -> None:
    """With its parsed original, a record's print takes what the file gave from the print made once per parse,
    and looks at the fields a step put in (references, HTML, images), removed, or kept as parsed."""
    parsed = Record(
        "projects",
        "rocket",
        "content/projects/rocket.md",
        title="火箭",
        fields={"zone": "gusu", "year": 2024},
    )
    origin = (parsed_print(parsed), parsed)
    zone = Record("zones", "gusu", "content/zones/gusu.md")

    def built(**fields: object) -> Record:
        copy = Record(parsed.collection, parsed.slug, parsed.source, title=parsed.title)
        copy.fields = {**parsed.fields, **fields}
        return copy

    first = record_fingerprint(built(zone=zone), origin)
    assert record_fingerprint(built(zone=zone), origin) == first
    assert record_fingerprint(built(zone=None), origin) != first  # the reference no longer resolves
    assert record_fingerprint(built(), origin) != first  # left as parsed (a string)
    gone = built(zone=zone)
    del gone.fields["year"]
    assert record_fingerprint(gone, origin) != first
    copy = built(zone=zone)
    copy.url = "/projects/rocket-2/"
    assert record_fingerprint(copy, origin) != first
    for year, same in ((2025, False), (2024, True)):  # the file edited; the same file parsed by another build
        again = Record(parsed.collection, parsed.slug, parsed.source, title=parsed.title)
        again.fields = {"zone": "gusu", "year": year}
        assert (parsed_print(again) == origin[0]) is same


def test_a_record_print_takes_the_digest_kept_beside_a_conversion_only_for_that_very_html() -> None:
    """A body's or Markdown field's digest, kept beside its conversion, stands for the HTML text it was made of:
    the print is the one hashing the text would give, and a digest told for one text object is never taken for
    another (an edited body, or an equal text made anew)."""
    from markupsafe import Markup

    def record(body: str, summary: str) -> Record:
        made = Record("projects", "rocket", "content/projects/rocket.md", body=Markup(body))
        made.fields["summary"] = Markup(summary)
        return made

    kept = record("<p>火箭</p>", "<p>一句</p>")
    html = HtmlPrints()
    html.add(kept.body, digest(kept.body))
    html.add(kept.fields["summary"], digest(kept.fields["summary"]))
    hashed = record_fingerprint(kept)
    assert record_fingerprint(kept, None, html) == hashed
    assert record_fingerprint(record("<p>火箭</p>", "<p>一句</p>"), None, html) == hashed  # equal texts
    html.add(Markup("<p>火箭</p>"), "a digest told for another object")
    assert record_fingerprint(kept, None, html) == hashed
    for edited in (record("<p>火箭。</p>", "<p>一句</p>"), record("<p>火箭</p>", "<p>一句。</p>")):
        assert record_fingerprint(edited, None, html) != hashed
    plain = record("<p>火箭</p>", "<p>一句</p>")
    plain.fields["summary"] = "<p>一句</p>"  # text, not HTML: a template escapes it
    assert record_fingerprint(plain, None, html) != hashed


def test_the_markdown_memo_keeps_each_conversions_digest_and_tells_it_for_the_html_it_hands_out() -> None:
    from yunzhan import markup
    from yunzhan.incremental.memos import MarkdownMemo

    store = Store(None)
    result = markup.render_markdown("一段 *正文*", path="content/projects/rocket.md")
    made = HtmlPrints()
    MarkdownMemo(store, html=made).remember("key", result, ())
    assert made.get(result.html) == digest(result.html)
    again = HtmlPrints()
    found = MarkdownMemo(store, links_as_before=True, html=again).lookup("key", lambda href: None)
    assert found is not None and found.html is not result.html  # read back from the store
    assert again._known[id(found.html)][1] == digest(result.html)  # told, not hashed again


def test_a_print_of_a_value_tells_its_types_apart() -> None:
    """``print_of`` (by marshal when it can) gives equal values equal prints and tells apart values whose reprs
    differ: numbers from text and from ``True``, lists from tuples, HTML from text."""
    import datetime as dt

    from markupsafe import Markup

    values = [1, True, 1.0, "1", Markup("1"), [1], (1,), {"1": 1}, None, "None", ("a", ("b",)), (("a", "b"),)]
    assert len({print_of(v) for v in values}) == len(values)
    assert print_of(["火箭", (1, None)]) == print_of(["火箭", (1, None)])
    assert print_of(dt.date(2024, 5, 1)) == digest(dt.date(2024, 5, 1))  # what marshal cannot take: its repr
    assert print_of("x") != digest("x") and print_of((1,)) != digest((1,))
