"""The names whose slugs a first build's pinyin child makes before the rules have read the fields."""

from __future__ import annotations

from conftest import MakeSite

from yunzhan import content, pinyinsoon
from yunzhan.config import load_config

PROJECT = """---
title: 新项目
category: 创新项目
zone: {zone}
tags: [好物, {{a: 1}}, 3, [嵌套]]
---
正文
"""


def test_term_names_are_the_texts_named_whatever_else_a_field_holds(make_site: MakeSite) -> None:
    site = make_site()
    config = load_config(site)
    zone = content.load_content(site, config).records
    zone_slug = next(r.slug for r in zone if r.collection == "zones")
    (site / "content" / "projects" / "xin.md").write_text(PROJECT.format(zone=zone_slug), encoding="utf-8")
    records = content.load_content(site, config).records
    names = pinyinsoon.term_names(records, config)
    assert "好物" in names
    assert all(type(name) is str for name in names)


def test_slug_or_pinyin_gives_the_terms_slugs_then_the_titles_pinyin() -> None:
    wanted = (["非遗 绝技"], ["关于"])
    assert [pinyinsoon.slug_or_pinyin(wanted, i) for i in range(2)] == ["fei-yi-jue-ji", "guanyu gy"]
