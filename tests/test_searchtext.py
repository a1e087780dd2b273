"""searchtext.py: what the search index reads of a record: its text, its row in meta.json, its pinyin."""

from __future__ import annotations

import itertools
import random
import unicodedata

from tests import searchcorpus
from yunzhan import htmltext, searchtext
from yunzhan.config import SiteConfig
from yunzhan.model import Image, Record
from yunzhan.slugs import pinyin_forms

# fixtures from tests/searchcorpus.py (assigned, not imported, so that linters see them used)
config, items, records = searchcorpus.config, searchcorpus.items, searchcorpus.records


def test_text_of_html_keeps_inline_phrases_and_splits_blocks() -> None:
    text = htmltext.plain_text(
        "<h2>案例</h2><p>感应<strong>线圈</strong>&amp;导电板</p><ul><li>甲</li><li>乙</li></ul>"
    )
    assert "感应线圈&导电板" in text
    assert searchtext.runs(text) == ["案例", "感应线圈", "导电板", "甲", "乙"]


def test_normalise_makes_width_and_case_agree() -> None:
    assert searchtext.runs("ＬＦ精炼炉，SMT首件！2024年") == ["lf精炼炉", "smt首件", "2024年"]


def test_runs_with_full_width_punctuation_spaced_are_those_of_the_normalised_text() -> None:
    # each mark set aside before normalising is one NFKC maps to a single ASCII mark (no letter, no digit)
    for mark in searchtext.SPACED:
        mapped = unicodedata.normalize("NFKC", mark)
        assert len(mapped) == 1 and mapped.isascii() and not mapped.isalnum()
    # beside combining marks, Hangul jamo, kana voicing marks, full-width letters and compatibility characters
    pool = [
        *searchtext.SPACED,
        *"aeＡｂ１①가\u1100\u1161\u11a8 ,.\u0301\u0327\u3099\u304b\uff8a\uff9f㍿ﬁÅ雷",
        "雨田",
    ]
    rng = random.Random(7)
    for _ in range(20_000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(1, 8)))
        assert searchtext.runs(text) == searchtext._RUN.findall(searchtext.normalise(text)), repr(text)


def test_thumbnail_is_smallest_fallback_with_scaled_height() -> None:
    image = Image("/a-960.jpg", 960, 720, "alt", fallback_srcset="/a-480.jpg 480w, /a-960.jpg 960w")
    assert searchtext.thumbnail(image) == ("/a-480.jpg", 480, 360)
    assert searchtext.thumbnail(Image("/b.png", 300, 200, "")) == ("/b.png", 300, 200)
    assert searchtext.thumbnail(None) == ("", 0, 0)


def test_entry_has_display_fields_without_base_path(config: SiteConfig, records: list[Record]) -> None:
    project = next(r for r in records if r.collection == "projects" and "district" not in r.fields)
    e = searchtext.entry(project, config)
    assert e.path == f"projects/{project.slug}/" and e.thumb.startswith("assets/img/")
    assert (e.thumb_width, e.thumb_height) == (480, 360)
    assert e.zone == project.fields["zone"].slug and e.zone_title.startswith("示例")
    assert e.district == project.fields["zone"].fields["district"]  # taken from the zone
    person = next(r for r in records if r.collection == "craftsmen")
    assert searchtext.entry(person, config).pinyin == " ".join(pinyin_forms(person.title))
    assert searchtext.entry(person, config).zone == ""


def test_an_edit_of_the_title_or_the_body_moves_no_position_of_the_other(
    config: SiteConfig, records: list[Record]
) -> None:
    """Only the pairs of the part edited change their postings in the record's share of the index: a title
    edit, or a sentence added to the body, rewrites a few search shards, not every shard holding one of the
    record's pairs (867 of 4,096 for a title edit at 10,000 records when the title came first)."""
    from markupsafe import Markup

    from yunzhan.searchpostings import record_grams

    project = next(r for r in records if r.collection == "projects" and len(r.body) > 200)

    def postings() -> dict[str, str]:
        made = record_grams(searchtext.record_text(project, config))
        return dict(zip(made.grams, made.segments, strict=True))

    def pairs(*texts: str) -> set[str]:
        return {a + b for t in texts for run in searchtext.runs(t) for a, b in itertools.pairwise(run)}

    def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
        return {g for g in before.keys() | after.keys() if before.get(g) != after.get(g)}

    first, old_title = postings(), project.title
    project.title = "改过的标题" + old_title
    second = postings()
    assert changed(first, second) and changed(first, second) <= pairs(old_title, project.title)
    assert len(first) > 5 * len(pairs(old_title, project.title))  # the other pairs: none of them moved
    project.body = Markup(str(project.body) + "<p>补充一句说明</p>")
    assert changed(second, postings()) <= pairs("补充一句说明")


def test_a_section_mark_pasted_into_a_text_does_not_move_the_split(
    config: SiteConfig, records: list[Record]
) -> None:
    """``record_text`` holds one SECTION, between the body and the rest, whatever the texts hold."""
    from markupsafe import Markup

    project = next(r for r in records if r.collection == "projects")
    project.body = Markup(f"<p>正文{searchtext.SECTION}粘贴</p>")
    project.title = f"标题{searchtext.SECTION}粘贴"
    text = searchtext.record_text(project, config)
    assert text.count(searchtext.SECTION) == 1 and text.index("粘贴") < text.index(searchtext.SECTION)
    assert searchtext.runs(text) == searchtext.runs(text.replace(searchtext.SECTION, " "))
