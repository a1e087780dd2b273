"""Field values as editors type them: lists on one line, quotes for nothing, numbers with units, dates."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SITE_TOML, MakeSite, jpeg_bytes
from yunzhan.config import load_config
from yunzhan.content import LoadedContent, load_content

PROJECT = "---\ntitle: 断经自停装置\ncategory: 创新项目\nzone: gusu\n{extra}---\n正文。\n"


def _load(site: Path) -> LoadedContent:
    return load_content(site, load_config(site))


def _messages(site: Path) -> list[str]:
    return [p.format() for p in _load(site).problems]


def _fields(site: Path, source: str) -> dict:
    return next(r.fields for r in _load(site).records if r.source == source)


@pytest.mark.parametrize("typed", ["织机、断经自停", "织机，断经自停", "织机, 断经自停", "织机,断经自停"])
def test_a_list_on_one_line_warns_with_the_exact_fix(make_site: MakeSite, typed: str) -> None:
    site = make_site({"content/projects/loom.md": PROJECT.format(extra=f"tags: {typed}\n")})
    assert _messages(site) == [
        f"content/projects/loom.md:5: tags: 警告：“{typed}” 会被当作一项 — "
        "几项要写成列表，用英文逗号和空格隔开：tags: [织机, 断经自停]"
    ]
    assert _fields(site, "content/projects/loom.md")["tags"] == [typed]  # as written: the warning says so


def test_one_item_on_one_line_is_no_mistake(make_site: MakeSite) -> None:
    site = make_site({"content/projects/loom.md": PROJECT.format(extra="tags: 织机\n")})
    assert _messages(site) == []


@pytest.mark.parametrize("quotes", ["“”", "‘’", "”“", "「」", '""""'])
def test_only_quotes_mean_empty(make_site: MakeSite, quotes: str) -> None:
    extra = f"cover:\n  src: loom.jpg\n  alt: {quotes}\ngallery:\n  - src: loom.jpg\n    alt: {quotes}\n"
    extra += f"    credit: {quotes}\n"
    site = make_site(
        {
            "content/projects/loom.md": PROJECT.format(extra=extra).replace('""""', "'\"\"'"),
            "content/projects/loom.jpg": jpeg_bytes(),
        }
    )
    fields = _fields(site, "content/projects/loom.md")
    assert fields["cover"].alt == ""
    assert [(image.alt, caption, credit) for image, caption, credit in fields["gallery"]] == [("", "", "")]
    shown = quotes if quotes != '""""' else '""'
    assert _messages(site) == [
        f'content/projects/loom.md:7: cover 的替代文字（alt）: 警告：只有引号 {shown}，当作空的替代文字（纯装饰图片） — 写成英文引号 alt: ""',
        f'content/projects/loom.md:10: gallery 第 1 项的替代文字（alt）: 警告：只有引号 {shown}，当作空的替代文字（纯装饰图片） — 写成英文引号 alt: ""',
        f"content/projects/loom.md:11: gallery 第 1 项的来源（credit）: 警告：只有引号 {shown}，当作没有写 — "
        '不需要就删掉这一行，或写成英文引号 credit: ""',
    ]


def test_an_alt_with_words_in_quotes_is_kept(make_site: MakeSite) -> None:
    extra = "gallery:\n  - src: loom.jpg\n    alt: “断经自停”装置\n"
    site = make_site(
        {"content/projects/loom.md": PROJECT.format(extra=extra), "content/projects/loom.jpg": jpeg_bytes()}
    )
    assert _messages(site) == []
    assert _fields(site, "content/projects/loom.md")["gallery"][0][0].alt == "“断经自停”装置"


def test_a_backslash_path_finds_the_same_image(make_site: MakeSite) -> None:
    extra = "cover: images\\photo.jpg\ngallery:\n  - src: images\\photo.jpg\n    alt: 织机\n"
    site = make_site(
        {
            "content/projects/loom/index.md": PROJECT.format(extra=extra),
            "content/projects/loom/images/photo.jpg": jpeg_bytes(),
        }
    )
    fields = _fields(site, "content/projects/loom/index.md")
    assert _messages(site) == []
    want = str((site / "content/projects/loom/images/photo.jpg").resolve())
    assert fields["cover"].source == fields["gallery"][0][0].source == want


def test_end_before_start_is_named_at_the_end(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/activities/forum.md": "---\ntitle: 论坛\nstart: 2024-04-29\nend: 2024-03-30\n---\n",
            "content/activities/fair.md": "---\ntitle: 集市\nstart: 2024-04-29\nend: 2024-04-29\n---\n",
        }
    )
    assert _messages(site) == [
        "content/activities/forum.md:4: end: 结束日期 2024-03-30 早于开始日期 2024-04-29 — 检查年份和月份"
    ]


NUMBER_TOML = SITE_TOML.replace(
    'venue = { type = "string" }\n',
    'venue = { type = "string" }\nvisitors = { type = "number" }\nunit = { type = "string" }\n',
)


@pytest.mark.parametrize(
    ("typed", "value"),
    [("305", 305), ("1.05", 1.05), ("-3", -3), ('"1,050"', 1050), ("３０５", 305), ('"2.5"', 2.5)],
)
def test_a_number_field_takes_numbers(make_site: MakeSite, typed: str, value: float) -> None:
    site = make_site(
        {"content/activities/fair.md": f"---\ntitle: 集市\nstart: 2024-04-29\nvisitors: {typed}\n---\n"},
        toml=NUMBER_TOML,
    )
    assert _messages(site) == []
    assert _fields(site, "content/activities/fair.md")["visitors"] == value


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        ("305人", "例如 visitors: 305 和 unit: 人"),
        ("1.05万\nunit: 人次", "例如 visitors: 1.05 和 unit: 万人次，或 visitors: 10500 和 unit: 人次"),
        ("2亿元", "例如 visitors: 2 和 unit: 亿元，或 visitors: 200000000 和 unit: 元"),
        ("约300", "例如 visitors: 305"),
        ("true", "例如 visitors: 305"),
    ],
)
def test_a_number_with_its_unit_says_where_the_unit_goes(make_site: MakeSite, typed: str, hint: str) -> None:
    site = make_site(
        {"content/activities/fair.md": f"---\ntitle: 集市\nstart: 2024-04-29\nvisitors: {typed}\n---\n"},
        toml=NUMBER_TOML,
    )
    [message] = _messages(site)
    assert message.startswith("content/activities/fair.md:4: visitors: 只写数字（可以带小数点）")
    assert message.endswith(f" — {hint}")


def test_unknown_keys_of_an_image_and_a_gallery_item_are_named(make_site: MakeSite) -> None:
    extra = "cover:\n  src: loom.jpg\n  size: 3\ngallery:\n  - src: loom.jpg\n    alt: 织机\n    width: 3\n"
    site = make_site(
        {
            "content/projects/loom.md": PROJECT.format(extra=extra),
            "content/projects/loom.jpg": jpeg_bytes(),
        }
    )
    messages = [p for p in _load(site).problems if "未知的项" in p.message]
    assert [(p.field, p.message, p.hint) for p in messages] == [
        (
            "cover",
            "图片里有未知的项：size",
            "图片只能有 src、alt、caption、credit（视频还可以有 poster、captions）",
        ),
        (
            "gallery[0]",
            "未知的项：width",
            "只能有 src、alt、caption、credit（视频还可以有 poster、captions）",
        ),
    ]
