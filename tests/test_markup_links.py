"""Markdown → safe HTML: what a body points at — record links, websites and body images (the rest: test_markup)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from markupsafe import Markup

from tests.markupcase import render
from yunzhan import markup
from yunzhan.errors import ERROR
from yunzhan.markup import BodyImage, swap_images

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
