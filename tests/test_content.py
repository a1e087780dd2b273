"""Loading and validating records: each mistake an editor can make, with its file:line pinned."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from tests.conftest import MakeSite
from yunzhan.config import load_config
from yunzhan.content import LoadedContent, load_content
from yunzhan.model import ImageRequest


def _load(site: Path, drafts: bool = False) -> LoadedContent:
    return load_content(site, load_config(site), drafts=drafts)


def _messages(site: Path) -> list[str]:
    return [p.format() for p in _load(site).problems]


def test_three_layouts_load_the_same_way(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/craftsmen/lei-yutian/index.md": "---\nname: 雷雨田\nspecialties: [电缆]\n---\n故事\n",
            "content/craftsmen/wang.yaml": "name: 示例工匠\nspecialties: [焊接]\nbody: |\n  **正文**\n",
        }
    )
    loaded = _load(site)
    assert loaded.problems == []
    by_slug = {r.slug: r for r in loaded.records if r.collection == "craftsmen"}
    assert set(by_slug) == {"li-qijie", "lei-yutian", "wang"}
    assert by_slug["lei-yutian"].title == "雷雨田"
    assert by_slug["wang"].raw_body.strip() == "**正文**"
    assert by_slug["wang"].body_line == 4
    assert by_slug["li-qijie"].body_line == 5


def test_chinese_file_name_gets_pinyin_slug_and_slug_overrides(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/pages/专家问诊.md": "---\ntitle: 专家问诊\n---\n",
            "content/pages/x.md": "---\ntitle: X\nslug: custom-x\n---\n",
        }
    )
    slugs = {r.slug for r in _load(site).records if r.collection == "pages"}
    assert {"zhuan-jia-wen-zhen", "custom-x"} <= slugs


def test_types_are_coerced(make_site: MakeSite) -> None:
    record = next(r for r in _load(make_site()).records if r.slug == "rocket")
    assert record.fields["date"] == dt.date(2024, 5, 1)
    assert record.fields["tags"] == ["航天"]
    assert record.fields["craftsmen"] == ["li-qijie"]
    assert record.fields["featured"] is None and record.fields["gallery"] == []


def test_missing_required_field(make_site: MakeSite) -> None:
    site = make_site({"content/projects/bad.md": "---\ntitle: 缺字段\nzone: gusu\n---\n"})
    assert _messages(site) == [
        "content/projects/bad.md:1: category: 缺少必填字段 category — 加上 category: …"
    ]


def test_bad_date_with_line(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/projects/bad.md": "---\ntitle: 日期\ncategory: 创新项目\nzone: gusu\ndate: 2024-13-45\n---\n"
        }
    )
    assert _messages(site) == [
        "content/projects/bad.md:5: date: 不存在的日期：2024-13-45 — 检查月份（1–12）和日子是否写对"
    ]


def test_date_in_wrong_format(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/projects/bad.md": "---\ntitle: 日期\ncategory: 创新项目\nzone: gusu\ndate: 2024年5月\n---\n"
        }
    )
    assert "content/projects/bad.md:5: date: 日期格式不对" in _messages(site)[0]


def test_unknown_enum_value_lists_allowed_values(make_site: MakeSite) -> None:
    site = make_site({"content/projects/bad.md": "---\ntitle: 枚举\ncategory: 创新作品\nzone: gusu\n---\n"})
    (message,) = _messages(site)
    assert message.startswith('content/projects/bad.md:3: category: "创新作品" 不是可选的值 — ')
    assert "可选：创新项目、创新产品、非遗绝技" in message


def test_wrong_types(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/zones/bad.md": "---\nname: 区\norder: 第一\n---\n",
            "content/projects/bad.md": "---\ntitle: t\ncategory: 创新项目\nzone: gusu\nfeatured: 是\nwebsite: javascript:alert(1)\n---\n",
        }
    )
    messages = _messages(site)
    assert any(m.startswith("content/zones/bad.md:3: order: 应当是整数") for m in messages)
    assert any(m.startswith("content/projects/bad.md:5: featured: 只能是 true 或 false") for m in messages)
    assert any(m.startswith("content/projects/bad.md:6: website: 不是有效的网址") for m in messages)


def test_invalid_yaml_is_reported_at_the_line_of_the_slip(make_site: MakeSite) -> None:
    site = make_site({"content/projects/bad.md": "---\ntitle: t\ncategory: [创新项目\nzone: gusu\n---\n"})
    assert _messages(site) == [
        "content/projects/bad.md:3: category: 这一行的“[”没有配对 — 在列表的最后补上“]”：category: [创新项目]"
    ]


def test_missing_front_matter_end(make_site: MakeSite) -> None:
    site = make_site({"content/projects/bad.md": "---\ntitle: t\n正文\n"})
    assert _messages(site) == [
        "content/projects/bad.md:2: 字段写完后少了一行 --- — 在第 2 行后面加一行 ---，把字段和正文分开"
    ]


def test_unknown_field_is_a_warning_with_suggestion(make_site: MakeSite) -> None:
    site = make_site({"content/craftsmen/x.md": "---\nname: 某\nspecialtys: [a]\n---\n"})
    (problem,) = _load(site).problems
    assert problem.severity == "warning"
    assert (
        problem.format()
        == 'content/craftsmen/x.md:3: specialtys: 警告：未知字段 "specialtys"（会被忽略） — 是不是 "specialties"？'
    )


def test_duplicate_key_is_reported(make_site: MakeSite) -> None:
    site = make_site({"content/craftsmen/x.md": "---\nname: 甲\nname: 乙\n---\n"})
    assert _messages(site) == [
        'content/craftsmen/x.md:3: name: 字段 "name" 重复出现（第一次在第 2 行） — 删掉其中一个'
    ]


def test_python_tags_and_aliases_are_refused(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/craftsmen/x.md": "---\nname: !!python/object/apply:os.system ['echo hi']\n---\n",
            "content/craftsmen/y.md": "---\nname: &a 甲\nspecialties: [*a]\n---\n",
        }
    )
    messages = _messages(site)
    assert any(m.startswith("content/craftsmen/x.md:2: 不支持以 ! 开头的写法") for m in messages)
    assert any(
        m.startswith("content/craftsmen/y.md:3: specialties 第 1 项: 不支持锚点和别名") for m in messages
    )


def test_absurd_values_are_errors_not_crashes(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/zones/big.md": "---\nname: 区\norder: " + "9" * 5000 + "\n---\n",
            "content/zones/long.md": "---\nname: " + "长" * 30_000 + "\norder: 1\n---\n",
            "content/zones/huge.md": "---\nname: 大\norder: 1\n---\n" + "字" * 1_000_000,
        }
    )
    messages = "\n".join(_messages(site))
    assert "content/zones/big.md" in messages and "数字太长" in messages
    assert "content/zones/long.md:2: name: 文字太长" in messages
    assert "content/zones/huge.md: 文件太大" in messages


def test_drafts_left_out_unless_asked(make_site: MakeSite) -> None:
    site = make_site({"content/pages/draft.md": "---\ntitle: 草稿\ndraft: true\n---\n"})
    assert "draft" not in {r.slug for r in _load(site).records}
    assert "draft" in {r.slug for r in _load(site, drafts=True).records}


def test_image_paths_cannot_leave_content(make_site: MakeSite, tmp_path: Path) -> None:
    outside = tmp_path / "secret.jpg"
    outside.write_bytes(b"x")
    site = make_site(
        {
            "content/zones/a.md": "---\nname: 甲\norder: 1\ncover: ../../../../etc/passwd\n---\n",
            "content/zones/b.md": "---\nname: 乙\norder: 2\ncover: /etc/passwd\n---\n",
            "content/zones/c.md": "---\nname: 丙\norder: 3\ncover: link.jpg\n---\n",
            "content/zones/d.md": "---\nname: 丁\norder: 4\ncover: ..\\..\\..\\..\\etc\\passwd\n---\n",
        }
    )
    os.symlink(outside, site / "content/zones/link.jpg")
    messages = _messages(site)
    assert any(
        m.startswith("content/zones/a.md:4: cover: 图片路径超出了网站的 content 文件夹") for m in messages
    )
    assert any(
        m.startswith("content/zones/b.md:4: cover: 这是电脑上的完整路径，网站找不到它") for m in messages
    )
    assert any(  # Windows' backslashes are read as "/": the same rule, not a way round it
        m.startswith("content/zones/d.md:4: cover: 图片路径超出了网站的 content 文件夹") for m in messages
    )
    assert any(
        m.startswith("content/zones/c.md:4: cover: 图片路径超出了网站的 content 文件夹") for m in messages
    )


def test_gallery_needs_alt_but_accepts_explicit_empty(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/projects/g/index.md": """\
                ---
                title: 图集
                category: 创新项目
                zone: gusu
                gallery:
                  - src: a.jpg
                    alt: 第一张
                    caption: 说明
                  - src: b.jpg
                  - src: c.jpg
                    alt: ""
                ---
                """
        }
    )
    loaded = _load(site)
    assert [p.format() for p in loaded.problems] == [
        'content/projects/g/index.md:9: gallery 第 2 项的替代文字（alt）: 图片缺少替代文字 alt — 写一句描述图片内容的话；纯装饰图片写 alt: ""'
    ]
    record = next(r for r in loaded.records if r.slug == "g")
    gallery = record.fields["gallery"]
    assert [item[0].alt for item in gallery] == ["第一张", ""]
    assert all(isinstance(item[0], ImageRequest) for item in gallery)
    assert gallery[0][0].line == 6 and gallery[0][1] == "说明"


def test_editor_swap_files_are_ignored(make_site: MakeSite) -> None:
    site = make_site({"content/pages/.about.md.swp": "junk", "content/pages/about.md~": "junk"})
    assert _load(site).problems == []


def test_duplicate_slugs(make_site: MakeSite) -> None:
    site = make_site({"content/pages/x.md": "---\ntitle: 甲\nslug: about\n---\n"})
    messages = _messages(site)
    assert any("网址名 about 和 content/pages/about.md 的网址重复" in m for m in messages)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("new.md", b""),
        ("new.md", b"\xef\xbb\xbf\r\n\r\n"),
        ("new.md", b"---\n"),
        ("new.md", b"---\r\n---\r\n"),
        ("new.yaml", b"%YAML 1.2\n---\n"),
        ("new.yaml", b"---\n...\n"),
    ],
)
def test_an_empty_record_file_says_what_to_write(make_site: MakeSite, name: str, data: bytes) -> None:
    site = make_site({f"content/craftsmen/{name}": data})
    how = (
        "第一行写 ---，接着每行写一个字段（必填的有 name），再写一行 ---，下面写正文"
        if name.endswith(".md")
        else "每行写一个字段，例如 name: …（必填的有 name）"
    )
    assert _messages(site) == [
        f"content/craftsmen/{name}:1: 这个文件是空的 — {how}；用不上的话就删掉这个文件"
    ]


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [("a.yaml", "name：顾建华\n", 1), ("b.md", "---\nname：顾建华\n---\n", 2)],
)
def test_fields_read_as_one_text_name_the_slip(make_site: MakeSite, name: str, text: str, line: int) -> None:
    """One field with a full-width colon parses as a line of text, not as fields: the colon is still named."""
    site = make_site({f"content/craftsmen/{name}": text})
    assert _messages(site) == [
        f"content/craftsmen/{name}:{line}: name: 字段名后面用了全角冒号“：” — 改成半角冒号加一个空格：name: 顾建华"
    ]


def test_fields_that_are_empty_in_another_way_are_not_skipped(make_site: MakeSite) -> None:
    site = make_site({"content/craftsmen/x.md": "---\n~\n---\n正文\n"})
    assert _messages(site) == [
        "content/craftsmen/x.md:2: 字段应当写成“名称: 值”的形式 — 每行一个字段，例如 title: 天龙二号火箭模型"
    ]


def test_crlf_keeps_the_line_of_a_slip(make_site: MakeSite) -> None:
    text = "---\nname: 甲\nspecialties：[电缆]\n---\n正文\n"
    site = make_site(
        {
            "content/craftsmen/lf.md": text.encode(),
            "content/craftsmen/crlf.md": ("\ufeff" + text).replace("\n", "\r\n").encode(),
        }
    )
    hint = "改成半角冒号加一个空格：specialties: [电缆]"
    assert _messages(site) == [
        f"content/craftsmen/crlf.md:3: specialties: 字段名后面用了全角冒号“：” — {hint}",
        f"content/craftsmen/lf.md:3: specialties: 字段名后面用了全角冒号“：” — {hint}",
    ]


def test_files_parsed_ahead_in_forked_processes_load_as_parsed_here(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first build parses its files together, in forked processes when there are many: the records, their
    order and every problem (a YAML slip, a missing field, a bad date) are those of parsing one by one, and the
    memo is left holding each file, so the next load parses none."""
    from yunzhan import workers

    files = {
        f"content/craftsmen/c{i:02d}.md": f"---\nname: 工匠{i}\nspecialties: [焊接]\n---\n第{i}位工匠的故事\n"
        for i in range(40)
    }
    files["content/craftsmen/c07.md"] = (
        "---\nname: 工匠7\nspecialties：[焊接]\n---\n正文\n"  # full-width colon
    )
    files["content/craftsmen/c13.md"] = "---\nspecialties: [焊接]\n---\n没有名字\n"
    site = make_site(files)
    config = load_config(site)
    inline = load_content(site, config)
    monkeypatch.setattr(workers, "workers_for", lambda count, min_items=0: 2)  # fork even for 40 files
    memo: dict[Path, object] = {}
    ahead = load_content(site, config, memo=memo)  # type: ignore[arg-type]
    assert [repr(r) for r in ahead.records] == [repr(r) for r in inline.records]
    assert [r.fields for r in ahead.records] == [r.fields for r in inline.records]
    assert [p.format() for p in ahead.problems] == [p.format() for p in inline.problems]
    assert len(inline.problems) >= 2 and ahead.memo_changed
    assert {site / rel for rel in files} <= set(memo)
    again = load_content(site, config, memo=memo)  # type: ignore[arg-type]
    assert not again.memo_changed
    assert [p.format() for p in again.problems] == [p.format() for p in inline.problems]
