"""Pre-publishing content checks (`python build.py check`): each finding on the right line, in plain Chinese."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, SITE_TOML, MakeSite
from yunzhan import check
from yunzhan.config import load_config
from yunzhan.content import load_content
from yunzhan.errors import ERROR, WARNING, Problem


def _report(site: Path) -> check.CheckReport:
    config = load_config(site)
    loaded = load_content(site, config)
    assert [p for p in loaded.problems if p.is_error] == []
    return check.run_checks(loaded, config, site)


def _site_report(site: Path) -> check.CheckReport:
    """All that ``check`` reports, the Markdown conversion's findings (as ``build`` words them) included."""
    return check.check_site(site)


def _found(report: check.CheckReport, word: str) -> list[Problem]:
    return [p for p in report.problems if word in p.message]


def _project(body: str, extra: str = "", title: str = "测试项目") -> str:
    return f"---\ntitle: {title}\ncategory: 创新项目\nzone: gusu\n{extra}---\n{body}"


# ------------------------------------------------------------------------------------------ Traditional characters


def test_traditional_characters_flagged_with_line_and_simplified_form(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/projects/trad.md": _project("第一行是简体。\n\n這是當前的展覽，歡迎參觀。\n"),
        }
    )
    report = _report(site)
    found = _found(report, "繁体字")
    assert len(found) == 1
    problem = found[0]
    assert problem.path == "content/projects/trad.md"
    assert problem.line == 8  # front matter takes lines 1-5, the body starts on line 6
    assert problem.severity == WARNING
    assert problem.field is None
    assert problem.message == ("发现繁体字“這是當前”“展覽”“歡迎參觀”，简体应为“这是当前”“展览”“欢迎参观”")
    assert problem.format().startswith("content/projects/trad.md:8: 警告：发现繁体字")


def test_a_lone_traditional_character_is_quoted_with_its_neighbour(make_site: MakeSite) -> None:
    site = make_site({"content/projects/one.md": _project("这是當前最新的展品。\n")})
    (problem,) = _found(_report(site), "繁体字")
    assert "发现繁体字“當前”，简体应为“当前”" in problem.message


def test_traditional_characters_in_fields_point_at_the_field_line(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/projects/fields.md": """\
                ---
                title: 蘇州展品
                category: 创新项目
                zone: gusu
                tags: [航天, 傳統工藝]
                summary: |
                  第一行简体。
                  第二行有繁體字。
                ---
                正文。
                """,
            "content/craftsmen/wang.yaml": "name: 王某\nbody: |\n  简体。\n  這是繁體。\n",
        }
    )
    by_place = {(p.path, p.line, p.field) for p in _found(_report(site), "繁体字")}
    assert by_place == {
        ("content/projects/fields.md", 2, "title"),
        ("content/projects/fields.md", 5, "tags[1]"),
        ("content/projects/fields.md", 8, "summary"),
        ("content/craftsmen/wang.yaml", 4, "body"),
    }


def test_simplified_text_with_lookalike_characters_is_not_flagged(make_site: MakeSite) -> None:
    text = (
        "著名的乾隆年间，乾坤朗朗。於先生和李昇在馀姚看了著作，显著进步；人才辈出，面条、干部、"
        "头发、发展、皇后、后来、台湾、一里路、云彩、只有、系统、制度、松树、范围、冲锋、占领。"
        "慰藉、狼藉、瞭望、获益甚夥。哪吒、宫商角徵羽、蒜薹、麴先生。"
    )
    site = make_site({"content/projects/simplified.md": _project(text + "\n", title="著名乾隆")})
    assert _found(_report(site), "繁体字") == []


def test_the_demo_content_has_no_traditional_or_garbled_text() -> None:
    report = check.check_site(REPO)
    assert _found(report, "繁体字") == []
    assert _found(report, "拼音") == []
    assert len(load_content(REPO, load_config(REPO)).records) >= 10  # the demo really was checked


def test_traditional_check_is_skipped_for_a_traditional_chinese_site(make_site: MakeSite) -> None:
    toml = SITE_TOML.replace('language = "zh-CN"', 'language = "zh-TW"')
    site = make_site({"content/projects/trad.md": _project("這是當前的展覽。\n")}, toml=toml)
    assert _found(_report(site), "繁体字") == []


# ------------------------------------------------------------------------------------------ pinyin garbage


@pytest.mark.parametrize(
    "garbled",
    [
        "當(dāng)前展(zhǎn)覽",  # ASCII brackets, tone marks, Traditional
        "当（dāng）前展（zhǎn）览",  # full-width brackets, Simplified
        "当(dang1)前的(de5)展览",  # tone numbers
        "當(dāng)前",  # one occurrence of a common character is never deliberate
        "当（dang）前",  # toneless, but the character's own reading
        "欢迎(huān yíng)参观",  # two syllables in one bracket
        "绿（lǜ）色",  # ü with a tone mark
    ],
)
def test_pinyin_garbled_text_is_an_error(make_site: MakeSite, garbled: str) -> None:
    site = make_site({"content/projects/garbled.md": _project(f"简体的第一行。\n\n{garbled}的内容。\n")})
    (problem,) = _found(_report(site), "拼音")
    assert problem.severity == ERROR
    assert problem.line == 8
    assert "不能发布" in problem.message
    assert "重新复制" in problem.hint
    assert garbled.split(")")[0].split("）")[0] in problem.message


def test_pinyin_garbled_text_in_a_field_is_an_error(make_site: MakeSite) -> None:
    site = make_site({"content/projects/g.md": _project("正文。\n", title="當(dāng)前展(zhǎn)品")})
    (problem,) = _found(_report(site), "拼音")
    assert (problem.line, problem.field, problem.severity) == (2, "title", ERROR)
    assert "“當(dāng)前”“展(zhǎn)品”" in problem.message


@pytest.mark.parametrize(
    "fine",
    [
        "苏州工业园区(SIP)的项目",
        "示例插图（yunzhan 生成）",
        "人工智能（AI）检测",
        "张家港(zjg)展区",
        "第(1)条和第（2）条",
        "宝联重工(Baolian)公司",
    ],
)
def test_latin_text_in_brackets_is_not_pinyin(make_site: MakeSite, fine: str) -> None:
    site = make_site({"content/projects/fine.md": _project(fine + "\n")})
    assert _found(_report(site), "拼音") == []


def test_one_reading_for_a_rare_character_is_only_a_warning(make_site: MakeSite) -> None:
    site = make_site({"content/projects/kesi.md": _project("缂（kè）丝是一种传统织造工艺。\n")})
    (problem,) = _found(_report(site), "拼音")
    assert problem.severity == WARNING
    assert "生僻字" in problem.hint


# ------------------------------------------------------------------------------------------ raw HTML


def test_script_and_event_handlers_are_flagged_as_removed(make_site: MakeSite) -> None:
    body = (
        "正文。\n"
        "<script>alert(1)</script>\n"
        '<p onclick="steal()">点我</p>\n'
        "[点这里](javascript:alert(1))\n"
        '<iframe src="https://evil.example/x"></iframe>\n'
    )
    site = make_site({"content/projects/html.md": _project(body)})
    report = _site_report(site)
    removed = {p.line: p for p in _found(report, "已被移除")}
    assert set(removed) == {7, 8, 9, 10}
    assert "<script>" in removed[7].message
    assert "onclick" in removed[8].message
    assert "javascript:" in removed[9].message
    assert "evil.example" in removed[10].message and "iframe_hosts" in removed[10].hint
    assert all(p.severity == WARNING for p in removed.values())


def test_hidden_text_and_html_links_look_injected(make_site: MakeSite) -> None:
    body = (
        '<div style="display:none">便宜代购 <a href="https://spam.example/">点击</a></div>\n'
        '<span style="font-size: 0">隐藏</span>\n'
    )
    site = make_site({"content/projects/spam.md": _project(body)})
    report = _report(site)
    assert [p.line for p in _found(report, "隐藏")] == [6, 7]
    (anchor,) = _found(report, "外部链接")
    assert "https://spam.example/" in anchor.message and anchor.line == 6


def test_html_the_sanitiser_keeps_and_code_are_not_flagged(make_site: MakeSite) -> None:
    body = (
        '<div class="box">盒子</div>\n'
        '<font color="red">红字</font>\n'
        "第一行<br>第二行，H<sub>2</sub>O\n"
        "```\n<script>alert(1)</script>\n```\n"
        "写法是 `<div>` 或 `<script>`。\n"
        "邮件 <someone@example.org> 和 <https://example.org/>\n"
    )
    site = make_site({"content/projects/raw.md": _project(body)})
    report = _site_report(site)
    (note,) = [p for p in report.problems if "<" in p.message]
    assert note.line == 7  # the <font> tag goes (its text stays); <div>, <br>, <sub> and code are fine
    assert "<font>" in note.message and "已被移除" in note.message


def test_iframe_from_an_allowed_host_is_fine(make_site: MakeSite) -> None:
    toml = SITE_TOML + '\n[markdown]\niframe_hosts = ["player.bilibili.com"]\n'
    body = '<iframe src="https://player.bilibili.com/player.html?bvid=1"></iframe>\n'
    site = make_site({"content/projects/video.md": _project(body)}, toml=toml)
    assert [p for p in _site_report(site).problems if "iframe" in p.message] == []


def test_raw_html_in_a_text_field_is_flagged(make_site: MakeSite) -> None:
    extra = 'summary: "简介<script>x()</script>"\n'
    site = make_site({"content/projects/s.md": _project("正文。\n", extra)})
    (problem,) = _found(_site_report(site), "已被移除")
    assert (problem.line, problem.field) == (5, "summary")


# ------------------------------------------------------------------------------------------ links and images


def test_broken_record_link_is_an_error(make_site: MakeSite) -> None:
    body = "见 [李奇杰](../craftsmen/li-qijie.md) 和 [李师傅](../craftsmen/li-qj.md)。\n"
    site = make_site({"content/projects/links.md": _project(body)})
    (problem,) = _found(_site_report(site), "链接")
    assert problem.severity == ERROR
    assert problem.line == 6
    assert problem.message == "链接指向的条目不存在：../craftsmen/li-qj.md"
    assert problem.hint == '是不是 "../craftsmen/li-qijie.md"？'


def test_links_to_bundles_and_anchors_resolve_and_drafts_do_not(make_site: MakeSite) -> None:
    body = (
        "[雷雨田](../craftsmen/lei-yutian/index.md)、[雷](../craftsmen/lei-yutian.md#story)、"
        "[关于](../pages/about.md)\n"
        "[草稿](../craftsmen/draft-one.md)\n"
    )
    site = make_site(
        {
            "content/projects/links.md": _project(body),
            "content/craftsmen/lei-yutian/index.md": "---\nname: 雷雨田\n---\n故事\n",
            "content/craftsmen/draft-one.md": "---\nname: 草稿\ndraft: true\n---\n",
        }
    )
    (problem,) = _found(_site_report(site), "链接")
    assert problem.line == 7
    assert problem.message == "链接指向的条目不会发布：../craftsmen/draft-one.md"
    assert "草稿（draft: true）" in problem.hint


def test_image_without_alt_and_missing_image_files_are_errors(make_site: MakeSite) -> None:
    body = "![](photo.jpg)\n\n![有说明的图](missing.jpg)\n\n![大小写](PHOTO.JPG)\n"
    extra = "cover: nope.jpg\ngallery:\n  - src: photo.jpg\n    alt: 好图\n  - src: gone.png\n    alt: 没了\n"
    site = make_site(
        {"content/projects/img.md": _project(body, extra), "content/projects/photo.jpg": b"\xff\xd8"}
    )
    report = _site_report(site)
    (no_alt,) = _found(report, "替代文字")
    assert (no_alt.line, no_alt.severity) == (12, ERROR)
    missing = {(p.line, p.field): p for p in _found(report, "找不到图片")}
    assert set(missing) == {(14, "body"), (16, "body"), (5, "cover"), (9, "gallery[1]")}  # as build says it
    assert all(p.is_error for p in missing.values())
    assert "大小写" in missing[(16, "body")].hint and "photo.jpg" in missing[(16, "body")].hint
    assert "missing.jpg" in missing[(14, "body")].message


def test_external_body_image_is_one_error_in_the_conversions_words(make_site: MakeSite) -> None:
    site = make_site({"content/projects/ext.md": _project("![远程图片](https://example.org/a.jpg)\n")})
    [problem] = _site_report(site).problems
    assert (problem.line, problem.field, problem.severity) == (6, "body", ERROR)
    assert problem.message.startswith("这张图片（远程图片）在别的网站上（example.org）")


def test_body_image_with_windows_backslashes_is_found(make_site: MakeSite) -> None:
    body = "![车间](images\\photo.jpg)\n\n![细节](images\\gone.jpg)\n"
    site = make_site(
        {"content/projects/w.md": _project(body), "content/projects/images/photo.jpg": b"\xff\xd8"}
    )
    [problem] = _found(_site_report(site), "图片")
    assert (problem.line, problem.field, problem.message) == (8, "body", "找不到图片文件 gone.jpg")


def test_huge_original_is_a_warning_with_its_size(make_site: MakeSite) -> None:
    site = make_site({"content/projects/big.md": _project("正文。\n", "cover: huge.jpg\n")})
    with (site / "content/projects/huge.jpg").open("wb") as handle:
        handle.truncate(int(23.5 * 1024 * 1024))  # sparse: no real 23 MB written
    (problem,) = _found(_report(site), "太大")
    assert problem.severity == WARNING
    assert (problem.line, problem.field) == (5, "cover")
    assert "23.5 MB" in problem.message and "20 MB" in problem.message


# ------------------------------------------------------------------------------------------ titles, links, JSON


def test_duplicate_titles_in_a_collection_name_both_files(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/projects/a.md": _project("正文。\n", title="火箭模型"),
            "content/projects/b.md": _project("正文。\n", title="火箭模型 "),
            "content/pages/rocket.md": "---\ntitle: 火箭模型\n---\n",  # another collection: fine
        }
    )
    dupes = _found(_report(site), "重复")
    assert len(dupes) == 2  # rocket.md (the base site's) and a.md come first
    assert {(p.path, p.severity) for p in dupes} == {
        ("content/projects/b.md", WARNING),
        ("content/projects/rocket.md", WARNING),
    }
    assert all(p.line == 2 and p.field == "title" for p in dupes)
    assert all("content/projects/a.md" in p.message for p in dupes)


def test_external_links_are_listed_not_flagged(make_site: MakeSite) -> None:
    body = (
        "见 [官网](https://example.org/expo) 和 https://news.example.com/a?b=1。\n"
        "```\nhttps://in-code.example/\n```\n"
        "再次 <https://example.org/expo>\n"
    )
    extra = "website: https://company.example/\nsummary: |\n  第一行\n  见 [报道](http://report.example/1)\n"
    site = make_site({"content/projects/ext.md": _project(body, extra)})
    report = _report(site)
    assert report.problems == []
    ours = [link for link in report.external_links if link.path == "content/projects/ext.md"]
    assert ours == [
        check.ExternalLink("content/projects/ext.md", 5, "https://company.example/"),
        check.ExternalLink("content/projects/ext.md", 8, "http://report.example/1"),
        check.ExternalLink("content/projects/ext.md", 10, "https://example.org/expo"),
        check.ExternalLink("content/projects/ext.md", 10, "https://news.example.com/a?b=1"),
        check.ExternalLink("content/projects/ext.md", 14, "https://example.org/expo"),
    ]
    config = load_config(site)
    records = load_content(site, config).records
    listed = check.list_external_links(records, config, site)
    assert [x for x in listed if x.path.endswith("ext.md")] == ours
    no_config = check.list_external_links(records)
    assert {x.url for x in no_config} == {x.url for x in report.external_links}


def test_json_output_is_stable_and_complete(make_site: MakeSite) -> None:
    body = "這是當前。\n[坏链接](../craftsmen/nobody.md)\n见 https://example.org/\n"
    site = make_site({"content/projects/j.md": _project(body)})
    report = _site_report(site)
    extra = [Problem("content/zones/gusu.md", 3, "order", "应当是整数", "例如 order: 1")]
    text = check.format_json(report, extra)
    assert text == check.format_json(_site_report(site), list(reversed(extra)))
    data = json.loads(text)
    assert list(data) == ["version", "ok", "counts", "problems", "external_links"]
    assert data["ok"] is False
    assert data["counts"] == {"errors": 2, "warnings": 1, "external_links": 1}
    assert [list(p) for p in data["problems"]] == [
        ["path", "line", "field", "message", "hint", "severity"]
    ] * 3
    assert [p["severity"] for p in data["problems"]] == ["error", "error", "warning"]
    assert data["external_links"] == [
        {"path": "content/projects/j.md", "line": 8, "url": "https://example.org/"}
    ]
    assert "當前" in text  # UTF-8, not \\u escapes


def test_check_site_adds_loading_and_reference_problems(make_site: MakeSite) -> None:
    site = make_site(
        {"content/projects/bad.md": "---\ntitle: 坏条目\ncategory: 创新项目\nzone: nowhere\n---\n"}
    )
    report = check.check_site(site)
    messages = [p.format() for p in report.problems]
    assert any("content/projects/bad.md:4: zone: 找不到展区" in m for m in messages)
    assert report.failed() and report.failed(strict=True)
    assert "1 个错误" in check.summary_line(report)


def test_failed_only_with_errors_or_strict_warnings(make_site: MakeSite) -> None:
    site = make_site({"content/projects/w.md": _project("這是當前。\n")})
    report = check.check_site(site)
    assert (report.errors, report.warnings) == (0, 1)
    assert not report.failed()
    assert report.failed(strict=True)


def test_a_thousand_records_check_quickly(make_site: MakeSite) -> None:
    body = (
        "## 项目简介\n\n这是一段正常的简体中文正文，介绍项目的背景、做法和成效（示例）。\n\n"
        "- 技术亮点：感应热处理、功率分布调整\n- 见 [李奇杰](../craftsmen/li-qijie.md) 和 https://example.org/\n\n"
    ) * 5
    files = {f"content/projects/p{i:04d}.md": _project(body, title=f"项目{i}") for i in range(1000)}
    site = make_site(files)
    config = load_config(site)
    loaded = load_content(site, config)
    check.run_checks(loaded, config, site)  # warm up: converter tables are built once per process
    timings = []
    for _ in range(3):  # best of three: the machine may be busy with other work
        start = time.perf_counter()
        report = check.run_checks(loaded, config, site)
        timings.append(time.perf_counter() - start)
    assert report.problems == []
    assert len(report.external_links) == 5000
    assert min(timings) < 1.5, timings


# ------------------------------------------------------------------------------------------ one set of rules


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    from yunzhan.cli import main

    code = main(argv)
    captured = capsys.readouterr()
    return code, (captured.out + captured.err).splitlines()


def test_build_fails_on_garbled_pinyin(make_site: MakeSite, capsys: pytest.CaptureFixture[str]) -> None:
    site = make_site({"content/projects/g.md": _project("这是當(dāng)前的展品。\n")})
    code, printed = _run(["build", "--site", str(site)], capsys)
    assert code == 1
    assert "content/projects/g.md:6: 发现夹带拼音的乱码文字“當(dāng)前”，不能发布" in printed[0]
    assert not (site / "output").exists()


@pytest.mark.parametrize(
    "files",
    [
        {"content/projects/g.md": _project("这是當(dāng)前的展品。\n")},
        {"content/projects/w.md": _project("介绍：\n\uf0b7 第一条\n\uf0b7 第二条\n")},
        {"content/projects/dup.md": _project("正文\n", extra="slug: rocket\n")},
        {
            "content/projects/p.md": _project("正文\n", extra="cover: Photo.JPG\n"),
            "content/projects/photo.jpg": b"",
        },
        {"content/projects/e.md": _project("![远程](https://example.org/a.jpg)\n")},
    ],
    ids=["garbled", "word-bullet", "duplicate-slug", "photo-case", "external-image"],
)
def test_build_and_check_print_the_same_line(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str], files: dict[str, str | bytes]
) -> None:
    if "content/projects/photo.jpg" in files:
        from tests.conftest import jpeg_bytes

        files = {**files, "content/projects/photo.jpg": jpeg_bytes()}
    site = make_site(files)
    built, from_build = _run(["build", "--site", str(site)], capsys)
    checked, from_check = _run(["check", "--site", str(site)], capsys)
    assert (built, checked) == (1, 1)
    errors = [line for line in from_check if line.startswith("content/") and "警告" not in line]
    assert errors and all(line in from_build for line in errors), (from_check, from_build)
    assert f"发现 {len(errors)} 个错误" in from_build[-1] and f"{len(errors)} 个错误" in from_check[-1]


def test_an_edit_reruns_the_rules_for_that_file_only(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {f"content/projects/p{i}.md": _project(f"第 {i} 个。\n", title=f"项目{i}") for i in range(6)}
    files["content/projects/p0.md"] = _project("不\u00a0换行。\n", title="项目0")
    site = make_site(files)
    seen: list[str] = []
    real = check.RecordRules.file_problems

    def spy(self: check.RecordRules, rel: str, record: object) -> list[Problem]:
        seen.append(rel)
        return real(self, rel, record)  # type: ignore[arg-type]

    monkeypatch.setattr(check.RecordRules, "file_problems", spy)
    code, first = _run(["build", "--site", str(site)], capsys)
    assert code == 0 and len(seen) == 10  # 4 base records + 6
    (site / "content/projects/p3.md").write_text(
        _project("改过的第 3 个。\n", title="项目3"), encoding="utf-8"
    )
    seen.clear()
    code, second = _run(["build", "--site", str(site)], capsys)
    assert code == 0 and seen == ["content/projects/p3.md"]
    warning = "content/projects/p0.md:6: 警告：这一行第 2 个字符是从网页或 Word 带来的不换行空格（U+00A0）"
    assert any(line.startswith(warning) for line in first)
    assert any(line.startswith(warning) for line in second)  # remembered, not lost


def test_check_fix_repairs_the_file_and_checks_again(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    path = "content/projects/w.md"
    site = make_site({path: _project("介绍：\n\uf0b7 第一条\n\uf0b7 第二条\n零\u200b宽\n")})
    code, printed = _run(["check", "--fix", "--site", str(site)], capsys)
    assert code == 0, printed
    assert printed[:4] == [
        f"已修正 {path}:7: “<U+F0B7> 第一条” → “⏎- 第一条”",
        f"已修正 {path}:8: “<U+F0B7> 第二条” → “- 第二条”",
        f"已修正 {path}:9: “零<U+200B>宽” → “零宽”",
        "自动修正了 1 个文件的 3 行；下面是再检查一遍的结果。",
    ]
    assert printed[-1] == "检查完毕：没有发现问题。"
    assert (site / path).read_text(encoding="utf-8").endswith("介绍：\n\n- 第一条\n- 第二条\n零宽\n")


def test_check_takes_the_last_builds_conversions_while_their_links_hold(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    from yunzhan import texts
    from yunzhan.pipeline import BuildOptions, build

    site = make_site()
    build(BuildOptions(site_dir=site))
    converted: list[int] = []
    real = texts._problems
    monkeypatch.setattr(texts, "_problems", lambda state, i: converted.append(i) or real(state, i))
    assert check.check_site(site).problems == [] and converted == []
    (
        site / "content/craftsmen/li-qijie.md"
    ).unlink()  # rocket.md links to it: its old conversion no longer holds
    problems = [p.format() for p in check.check_site(site).problems]
    assert converted == [0]
    assert (
        "content/projects/rocket.md:11: 正文: 链接指向的条目不存在：../craftsmen/li-qijie.md"
        " — 链接里写另一个条目的文件路径（相对于本文件），例如 ../craftsmen/li-qijie.md" in problems
    )


def test_an_image_build_cannot_use_is_worded_as_build_words_it(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site(
        {
            "content/projects/h.md": _project("正文\n", extra="cover: scan.pdf\n"),
            "content/projects/scan.pdf": b"%PDF-1.4",
        }
    )
    built, from_build = _run(["build", "--site", str(site)], capsys)
    checked, from_check = _run(["check", "--site", str(site)], capsys)
    line = "content/projects/h.md:5: cover: 不支持的图片格式 .pdf"
    assert (built, checked) == (1, 1)
    assert (
        [x for x in from_build if x.startswith(line)] == [x for x in from_check if x.startswith(line)] != []
    )


def test_a_drafts_build_checks_the_drafts_it_skipped_before(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site({"content/projects/d.md": _project("这是當(dāng)前的展品。\n", extra="draft: true\n")})
    assert _run(["build", "--site", str(site)], capsys)[0] == 0  # a draft is not published: not checked
    code, printed = _run(["build", "--drafts", "--site", str(site)], capsys)
    assert code == 1 and printed[0].startswith("content/projects/d.md:7: 发现夹带拼音的乱码文字")
