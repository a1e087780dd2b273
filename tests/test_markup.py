"""Markdown → safe HTML: rendering, sanitising, record links, body images (hostile input: test_markup_hostile)."""

from __future__ import annotations

import pickle
import random
import re
from collections.abc import Callable

import pytest
from markupsafe import Markup

from yunzhan import addresses, markup
from yunzhan.errors import ERROR, WARNING
from yunzhan.markup import BodyImage, MarkupResult, render_markdown, swap_images

PATH = "content/projects/rocket.md"


def render(text: str, **kwargs: object) -> MarkupResult:
    return render_markdown(text, path=PATH, **kwargs)  # type: ignore[arg-type]


def errors(result: MarkupResult) -> list[str]:
    return [p.message for p in result.problems if p.severity == ERROR]


def warnings(result: MarkupResult) -> list[str]:
    return [p.message for p in result.problems if p.severity == WARNING]


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


# --- record links -----------------------------------------------------------------------------------------


def resolver(calls: list[str]) -> Callable[[str], str | None]:
    def resolve(href: str) -> str | None:
        calls.append(href)
        return {
            "../craftsmen/li-qijie.md": "/craftsmen/li-qijie/",
            "../zones/古城.yaml": "/zones/gucheng/",
        }.get(href)

    return resolve


def test_record_links_are_resolved_and_keep_anchor() -> None:
    calls: list[str] = []
    text = "见[李启杰](../craftsmen/li-qijie.md#生平)和[展区](../zones/%E5%8F%A4%E5%9F%8E.yaml)。\n"
    result = render(text, resolve_link=resolver(calls))
    html = str(result.html)
    assert '<a href="/craftsmen/li-qijie/#生平">李启杰</a>' in html
    assert '<a href="/zones/gucheng/">展区</a>' in html
    assert calls == ["../craftsmen/li-qijie.md", "../zones/古城.yaml"]
    assert result.problems == ()


def test_broken_record_link_is_an_error_with_line() -> None:
    text = "第一行\n\n第三行 [王](../craftsmen/wang.md) 和 [李](../craftsmen/li-qijie.md)\n"
    result = render(text, body_line=10, resolve_link=resolver([]))
    [problem] = result.problems
    assert problem.severity == ERROR
    assert problem.line == 12
    assert problem.field == "body"
    assert problem.message == "链接指向的条目不存在：../craftsmen/wang.md"
    assert problem.hint == "检查文件名是否写对"


def test_the_resolver_words_why_a_link_leads_nowhere() -> None:
    miss = markup.LinkMiss("链接指向的条目不会发布：../craftsmen/wang.md", "那个条目是草稿")
    result = render("[王](../craftsmen/wang.md)\n", resolve_link=lambda href: miss)
    [problem] = result.problems
    assert (problem.severity, problem.line, problem.message, problem.hint) == (
        ERROR,
        1,
        miss.message,
        miss.hint,
    )


@pytest.mark.parametrize(
    ("written", "resolved"),
    [
        ("..\\craftsmen\\li-qijie.md", "../craftsmen/li-qijie.md"),
        ("..\\..\\projects\\..\\craftsmen\\li-qijie.md#生平", "../../projects/../craftsmen/li-qijie.md"),
        ("..\\zones\\_a.yaml", "../zones/_a.yaml"),
    ],
)
def test_windows_backslashes_in_record_links_are_slashes(written: str, resolved: str) -> None:
    """``\\.`` and ``\\_`` are Markdown escapes: without care ``..\\..\\x.md`` would reach the resolver as ``....``."""
    calls: list[str] = []
    result = render(f"第一行\n见[李启杰]({written})。\n", resolve_link=resolver(calls))
    assert calls == [resolved]
    if resolved == "../craftsmen/li-qijie.md":
        assert '<a href="/craftsmen/li-qijie/">李启杰</a>' in str(result.html)


def test_backslashes_in_code_and_in_drive_paths_stay() -> None:
    text = "`[a](..\\b.md)`\n\n```\n[c](..\\d.md)\n```\n\n[e](D:\\f.md)\n"
    result = render(text)
    html = str(result.html)
    assert "<code>[a](..\\b.md)</code>" in html
    assert "[c](..\\d.md)" in html
    assert "f.md" not in html  # "d:" is no address a page may link to: removed, with the scan's warning


@pytest.mark.parametrize(
    ("target", "label"),
    [("www.wjsilk.com.cn", "吴江某丝绸"), ("wjsilk.com/about", "吴江某丝绸"), ("suzhou.gov.cn", "")],
)
def test_a_website_without_https_is_an_error_with_the_fix(target: str, label: str) -> None:
    text = f"第一行\n\n见[{label}]({target})。\n"
    result = render(text, body_line=5, resolve_link=resolver([]))
    [problem] = result.problems
    assert (problem.severity, problem.line, problem.field) == (ERROR, 7, "body")
    assert problem.message == f"链接 {target} 少了开头的 https://，现在会被当成本网站里的页面"
    assert problem.hint == f"写成 [{label}](https://{target})"


@pytest.mark.parametrize(
    "target",
    ["../craftsmen/li-qijie.md", "images/a.jpg", "photo.jpg", "files/说明.pdf", "report.cn.md", "#top"],
)
def test_relative_paths_are_not_taken_for_websites(target: str) -> None:
    result = render(f"[文字]({target})\n", resolve_link=lambda href: "/x/")
    assert not [p for p in result.problems if "https://" in p.message]


def test_other_relative_links_are_left_alone() -> None:
    calls: list[str] = []
    result = render("[下载](files/说明.pdf) [顶部](#top) [首页](/index.md)\n", resolve_link=resolver(calls))
    assert calls == []
    assert '<a href="files/说明.pdf">下载</a>' in str(result.html)


def test_without_resolver_record_links_are_untouched() -> None:
    result = render("[王](../craftsmen/wang.md)\n")
    assert '<a href="../craftsmen/wang.md">王</a>' in str(result.html)
    assert result.problems == ()


# --- body images ------------------------------------------------------------------------------------------


def test_body_images_are_collected_with_lines() -> None:
    text = "开头\n\n![车间全景](images/hall.jpg)\n\n文字\n\n![细节 一](images/detail.jpg)\n\n![车间全景](images/hall.jpg)\n"
    result = render(text, body_line=5)
    assert result.images == (
        BodyImage("images/hall.jpg", "车间全景", 7),
        BodyImage("images/detail.jpg", "细节 一", 11),
        BodyImage("images/hall.jpg", "车间全景", 13),
    )
    assert result.problems == ()


def test_image_without_alt_is_an_error() -> None:
    result = render("文字\n![](images/a.jpg)\n", body_line=3)
    [problem] = result.problems
    assert problem.severity == ERROR
    assert "缺少替代文字 alt" in problem.message
    assert "![描述](图片.jpg)" in problem.hint
    assert problem.line == 4


SAVE_IT = "请把图片保存到电脑上，放在条目文件旁边，再写成 ![{alt}](文件名.jpg)"
WECHAT = (
    "这张图片{alt}是从微信公众号文章复制来的，网页上显示不出来：图片存放在微信的服务器上，"
    "微信不让别的网站使用，本网站也不向其他网站请求内容"
)


@pytest.mark.parametrize(
    "src", ["https://cdn.example.org/a.jpg", "//cdn.example.org/a.jpg", "HTTP://cdn.example.org/a.png"]
)
def test_external_images_are_an_error_naming_the_site(src: str) -> None:
    result = render(f"文字\n![外部图片]({src})\n", body_line=4)
    assert "<img" not in str(result.html)
    assert result.images == ()
    [problem] = result.problems
    assert (problem.severity, problem.line) == (ERROR, 5)
    assert problem.message == (
        "这张图片（外部图片）在别的网站上（cdn.example.org），网页上显示不出来：本网站不向其他网站请求内容"
    )
    assert problem.hint == SAVE_IT.format(alt="外部图片")


def test_a_wechat_image_in_markdown_is_named_as_such() -> None:
    result = render("开头\n\n![](https://mmbiz.qpic.cn/mmbiz_jpg/AbC/640?wx_fmt=jpeg)\n", body_line=6)
    [problem] = result.problems
    assert (problem.severity, problem.line) == (ERROR, 8)
    assert problem.message == WECHAT.format(alt="")
    assert problem.hint == SAVE_IT.format(alt="描述")


def test_a_wechat_image_pasted_as_html_with_data_src_is_an_error_not_silence() -> None:
    """WeChat loads pictures late: the address is in ``data-src`` and there is no ``src`` at all."""
    source = (
        '<section style="text-align: center;"><img class="rich_pages wxw-img" '
        'data-src="https://mmbiz.qpic.cn/mmbiz_jpg/AbC/640?wx_fmt=jpeg&amp;from=appmsg" data-ratio="0.75" alt="车间照片" '
        'style="width: 100%;"></section>\n\n<p><img data-src="https://mmbiz.qpic.cn/mmbiz_png/Def/640"></p>\n'
    )
    result = render("第一段\n\n" + source, body_line=7)
    assert "<img" not in str(result.html)
    found = [(p.line, p.message, p.hint) for p in result.problems if p.severity == ERROR]
    assert found == [
        (9, WECHAT.format(alt="（车间照片）"), SAVE_IT.format(alt="车间照片")),
        (11, WECHAT.format(alt=""), SAVE_IT.format(alt="描述")),
    ]


def test_html_image_from_another_site_is_an_error() -> None:
    result = render('<p><img src="https://img.example.com/a.jpg" alt="展品"></p>\n')
    assert [(p.severity, p.message) for p in result.problems] == [
        (
            ERROR,
            "这张图片（展品）在别的网站上（img.example.com），网页上显示不出来：本网站不向其他网站请求内容",
        )
    ]


def test_image_paths_with_windows_backslashes_are_slashes() -> None:
    result = render('![车间](images\\photo.jpg)\n\n<img src="images\\b.jpg" alt="乙">\n', body_line=3)
    assert result.images == (BodyImage("images/photo.jpg", "车间", 3), BodyImage("images/b.jpg", "乙", 5))
    assert 'src="images/photo.jpg"' in str(result.html) and 'src="images/b.jpg"' in str(result.html)


def test_swap_images_replaces_only_matching_images() -> None:
    result = render('![甲](a.jpg)\n\n![乙 "引号"](b.jpg)\n\n<img src="c&amp;d.jpg" alt="丙">\n')
    seen: list[tuple[str, str]] = []

    def replace(src: str, alt: str) -> Markup | None:
        seen.append((src, alt))
        return Markup("<picture>B</picture>") if src == "b.jpg" else None

    html = str(swap_images(result.html, replace))
    assert seen == [("a.jpg", "甲"), ("b.jpg", '乙 "引号"'), ("c&d.jpg", "丙")]
    assert "<picture>B</picture>" in html
    assert 'src="a.jpg"' in html and 'src="c&amp;d.jpg"' in html
    assert 'src="b.jpg"' not in html
    assert isinstance(swap_images(result.html, replace), Markup)


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
