"""Markdown → safe HTML: rendering, headings, sanitising, text fields (links and images: test_markup_links; hostile input: test_markup_hostile)."""

from __future__ import annotations

import pickle
import random
import re

import pytest
from markupsafe import Markup

from tests.markupcase import PATH, errors, render, warnings
from yunzhan import addresses, markup
from yunzhan.errors import WARNING
from yunzhan.markup import render_markdown

# --- Markdown features ------------------------------------------------------------------------------------


def test_table_renders_with_alignment() -> None:
    html = str(render("| 项目 | 年份 |\n|:--|--:|\n| 火箭 | 2024 |\n").html)
    assert "<table" in html  # (with a class when its first column holds labels: yunzhan.typeset)
    assert '<th align="left">项目</th>' in html
    assert '<td align="right">2024</td>' in html


def test_footnotes_render_with_ids_and_backlink() -> None:
    html = str(render("正文[^1]\n\n[^1]: 注释内容\n").html)
    assert '<sup id="fnref:1"><a class="footnote-ref" href="#fn:1">1</a></sup>' in html
    assert '<div class="footnote">' in html
    assert '<li id="fn:1">' in html
    assert 'class="footnote-backref" href="#fnref:1"' in html


def test_fenced_code_is_escaped_and_keeps_language_class() -> None:
    html = str(render('```python\nprint("<b>")\n```\n').html)
    assert '<pre><code class="language-python">' in html
    assert "&lt;b&gt;" in html
    assert "<b>" not in html


def test_attr_list_id_on_heading_is_kept_and_unknown_class_dropped() -> None:
    html = str(render("## 成果 {#results .fancy}\n").html)
    assert '<h2 id="results">成果</h2>' in html
    assert "fancy" not in html


def test_sane_lists_keep_start_number() -> None:
    assert '<ol start="3">' in str(render("3. 第三\n4. 第四\n").html)


def test_chinese_quotes_and_dashes_are_not_smartened() -> None:
    html = str(render('他说"劳模精神"和 “工匠精神” -- 不变\n').html)
    assert '"劳模精神"' in html or "&quot;劳模精神&quot;" in html
    assert "“工匠精神”" in html
    assert " -- " in html


def test_output_is_deterministic() -> None:
    text = "## 标题\n\n正文[^a] [链接](https://example.org)\n\n[^a]: 注\n"
    assert render(text).html == render(text).html


# --- headings ---------------------------------------------------------------------------------------------


def test_chinese_heading_ids_keep_cjk() -> None:
    result = render("## 技术攻关\n\n### 成果 A&B\n")
    assert '<h2 id="技术攻关">技术攻关</h2>' in str(result.html)
    assert result.headings == ((2, "技术攻关", "技术攻关"), (3, "成果 A&B", "成果-ab"))


def test_duplicate_heading_ids_are_deduplicated() -> None:
    result = render("## 概述\n\n## 概述\n\n## 概述\n")
    assert [h[2] for h in result.headings] == ["概述", "概述-1", "概述-2"]
    assert '<h2 id="概述-2">' in str(result.html)


def test_heading_without_word_characters_gets_an_id() -> None:
    result = render("## ——\n\n## ——\n")
    assert [h[2] for h in result.headings] == ["section", "section-1"]


def test_no_state_leaks_between_documents() -> None:
    first = render("## 概述\n\n正文[^1]\n\n[^1]: 第一篇的脚注\n")
    assert "第一篇的脚注" in str(first.html)
    second = render("## 概述\n\n另一篇正文\n")
    assert second.headings == ((2, "概述", "概述"),)
    assert "footnote" not in str(second.html)
    assert "第一篇的脚注" not in str(second.html)


# --- sanitising -------------------------------------------------------------------------------------------

# (source, must not appear in the output, must appear in a warning); each source sits on line 9 of the file.
HOSTILE = [
    ("<script>alert(1)</script>", ["<script", "alert(1)"], "<script>"),
    ('<img src="a.jpg" alt="图" onerror="alert(1)">', ["onerror", "alert"], "onerror"),
    ("[点我](javascript:alert(1))", ["javascript:", "alert"], "javascript:"),
    ('<a href="JaVa&#x09;ScRiPt:alert(1)">点我</a>', ["alert", "script:"], "javascript:"),  # line unknown
    ('<img src="data:image/png;base64,AAAA" alt="图">', ["data:", "<img"], "data:"),
    ('<a href="data:text/html,<script>x</script>">x</a>', ["data:", "<script"], "data:"),
    ("<style>body{display:none}</style>", ["<style", "display"], "<style>"),
    ('<p style="position:fixed">字</p>', ["style=", "position"], "style"),
    ('<object data="x.swf">内嵌</object>', ["<object", "x.swf", "内嵌"], "<object>"),
    ('<embed src="x.swf">', ["<embed", "x.swf"], "<embed>"),
    ("<svg><script>alert(1)</script><circle r=1 /></svg>", ["<svg", "<script", "alert", "circle"], "<svg>"),
    ('<svg onload="alert(1)"></svg>', ["<svg", "onload", "alert"], "<svg>"),
    ('<iframe src="https://evil.example/x"></iframe>', ["<iframe", "evil.example"], "evil.example"),
    ('<a href="https://example.org" target="_blank">外</a>', ["target", "_blank"], "target"),
    ('<form action="https://evil.example"><input name="x"></form>', ["<form", "<input", "evil"], "<form>"),
    ('图片 ![图](a.jpg){: onclick="alert(1)" }', ["onclick", "alert"], "onclick"),
]


@pytest.mark.parametrize(("source", "forbidden", "mentioned"), HOSTILE)
def test_dangerous_markup_is_removed_with_a_warning(
    source: str, forbidden: list[str], mentioned: str
) -> None:
    result = render(f"第一段\n\n{source}\n", body_line=7)
    html = str(result.html)
    for needle in forbidden:
        assert needle.lower() not in html.lower()
    found = [p for p in result.problems if p.severity == WARNING and mentioned in p.message]
    assert found, result.problems
    assert found[0].path == PATH
    assert found[0].field == "body"
    assert found[0].line == (None if "&#x09;" in source else 9)
    assert found[0].message.startswith("正文")


def test_script_warning_is_plain_chinese() -> None:
    result = render("<script>alert(1)</script>\n")
    assert "正文中的 <script> 已被移除：网站不会发布脚本" in warnings(result)
    assert not errors(result)


def test_clean_markdown_has_no_problems() -> None:
    result = render("## 标题\n\n普通**正文**，[外链](https://example.org)。\n\n<del>删去</del>\n")
    assert result.problems == ()


def test_iframe_from_allowed_host_is_kept_with_safe_attributes() -> None:
    source = (
        '<iframe src="https://player.bilibili.com/player.html?bvid=1" frameborder="0" '
        'sandbox="allow-top-navigation" allowfullscreen="true">替代<img src="x.jpg"></iframe>\n'
    )
    result = render(source, iframe_hosts=["player.bilibili.com"])
    html = str(result.html)
    assert '<iframe src="https://player.bilibili.com/player.html?bvid=1"' in html
    assert 'sandbox="allow-scripts allow-same-origin allow-presentation"' in html
    assert 'loading="lazy"' in html
    assert "allow-top-navigation" not in html
    assert "frameborder" not in html
    assert "x.jpg" not in html and result.images == ()
    assert not warnings(result)


NOT_LISTED = "正文中嵌入的 {host} 的视频或网页已被移除：这个网站不在允许嵌入的名单里"
ADD_HOST = "如需嵌入，请网站管理员把 {host} 加到 site.toml 的 [markdown] iframe_hosts 里"


@pytest.mark.parametrize(
    ("src", "message", "hint"),
    [
        ("https://evil.example/x", NOT_LISTED, ADD_HOST),
        ("//evil.example/x", NOT_LISTED, ADD_HOST),
        ("https://player.bilibili.com.evil.example/x", NOT_LISTED, ADD_HOST),
        (
            "http://player.bilibili.com/x",
            "正文中嵌入的 {host} 的视频或网页已被移除：地址要以 https:// 开头",
            "",
        ),
    ],
)
def test_iframe_from_other_host_or_plain_http_is_dropped_naming_the_host(
    src: str, message: str, hint: str
) -> None:
    result = render(f'前\n\n<iframe src="{src}">里面</iframe>\n\n后', iframe_hosts=["player.bilibili.com"])
    assert "<iframe" not in str(result.html)
    assert "里面" not in str(result.html)
    [problem] = result.problems
    host = addresses.split_url(src).hostname
    assert (problem.severity, problem.line) == (WARNING, 3)
    assert problem.message == message.format(host=host)
    assert problem.hint == (hint.format(host=host) or "把地址开头的 http:// 改成 https://")


def test_iframe_dropped_when_no_hosts_configured() -> None:
    result = render('<iframe src="https://player.bilibili.com/x"></iframe>\n')
    assert "<iframe" not in str(result.html)
    assert warnings(result) == [NOT_LISTED.format(host="player.bilibili.com")]


def test_protocol_relative_iframe_of_an_allowed_host_is_published_as_https() -> None:
    """Bilibili's embed code: ``src="//player.bilibili.com/…"``; on an https site that is https."""
    source = (
        '<iframe src="//player.bilibili.com/player.html?isOutside=true&aid=1&bvid=BV1xx&cid=2&p=1" '
        'scrolling="no" border="0" frameborder="no" framespacing="0" allowfullscreen="true"></iframe>\n'
    )
    result = render(source, iframe_hosts=["player.bilibili.com"])
    html = str(result.html)
    assert (
        '<iframe src="https://player.bilibili.com/player.html?isOutside=true&amp;aid=1&amp;bvid=BV1xx' in html
    )
    assert 'sandbox="allow-scripts allow-same-origin allow-presentation"' in html
    assert result.problems == ()


def test_removed_iframe_is_found_at_its_line_with_escaped_ampersands() -> None:
    source = '前\n\n<iframe src="https://v.qq.com/txp/iframe/player.html?vid=x&amp;autoplay=0"></iframe>\n'
    [problem] = render(source, body_line=4, iframe_hosts=["player.bilibili.com"]).problems
    assert (problem.line, problem.message) == (6, NOT_LISTED.format(host="v.qq.com"))


def test_iframe_in_a_text_field_says_only_the_body_may_embed() -> None:
    result = render('<iframe src="https://player.bilibili.com/x"></iframe>\n', field="intro")
    [problem] = result.problems
    assert (
        problem.message == "这段文字中嵌入的 player.bilibili.com 的视频或网页已被移除：只有正文里可以嵌入视频"
    )
    assert problem.hint == "这里请改用链接，写成 [文字](网址)"


def test_external_links_get_rel_and_others_do_not() -> None:
    html = str(
        render("[a](https://example.org/x) [b](//example.org) [c](#fn) [d](/zones/) [e](mailto:a@b.cn)").html
    )
    assert '<a href="https://example.org/x" rel="noopener noreferrer">a</a>' in html
    assert '<a href="//example.org" rel="noopener noreferrer">b</a>' in html
    assert '<a href="#fn">c</a>' in html
    assert '<a href="/zones/">d</a>' in html
    assert '<a href="mailto:a@b.cn">e</a>' in html


# --- text fields -------------------------------------------------------------------------------


def test_text_field_problems_name_the_field() -> None:
    result = render("<script>x</script>", field="summary", body_line=4)
    [problem] = result.problems
    assert problem.field == "summary"
    assert problem.line == 4
    assert problem.message.startswith("这段文字")


def test_a_conversion_comes_back_from_the_store_as_it_was_made() -> None:
    """Conversions are kept pickled (a build reads 20,000 back): the HTML is still ``Markup``, so templates do
    not escape it, and every part is equal."""
    made = render_markdown(
        "# 标题\n\n正文 <b>粗</b> ![图](a.jpg)\n\n[坏](../nowhere.md)\n", path="content/projects/x.md"
    )
    back = pickle.loads(pickle.dumps(made, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == made and type(back.html) is Markup and back.images and back.headings


def test_plain_text_is_made_as_the_conversion_would_make_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plain text's shortcut (``markup._PLAIN``) gives what the conversion, sanitiser and typesetting give."""
    rng = random.Random(15)
    pieces = [chr(c) for c in [*range(0x3001, 0x3040), *range(0xFF01, 0xFF5F), 0xB7, 0x2014, 0x201C, 0x2026]]
    pieces += [*"AZaz09 ", "中", "展", "\u3400", "\u9fff"]
    samples = [
        "本展区为合成数据示例展区，收录虎丘区（苏州高新区）的虚构展品，仅用于性能测试。",
        "2024 年 5 月",
    ]
    samples += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 30))) for _ in range(3_000)]
    plain = [text for text in samples if markup._PLAIN.fullmatch(text)]
    short = [render(text, field="summary") for text in plain]
    monkeypatch.setattr(markup, "_PLAIN", re.compile("(?!)"))
    assert short == [render(text, field="summary") for text in plain]
    assert len(plain) > 2_000 and short[0].html == f"<p>{samples[0]}</p>"
