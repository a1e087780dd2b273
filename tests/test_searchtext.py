"""searchtext.py: what the search index reads of a record: its text, its row in meta.json, its pinyin."""

from __future__ import annotations

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
