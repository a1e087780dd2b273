"""Markdown → safe HTML under hostile input: bounded time and depth, timers restored, failures as problems."""

from __future__ import annotations

import random
import re
import signal
import threading
import time

import pytest

from tests.markupcase import errors, render
from yunzhan import htmltokens, markup, mdsource, sanitize
from yunzhan.errors import ERROR
from yunzhan.markup import MarkupLimits, MarkupResult

# --- hostile input ----------------------------------------------------------------------------------------

LIMIT = 1.0
MARGIN = 1.5
PATHOLOGICAL = {
    "nested brackets": "[" * 50_000,
    "nested images": "![" * 25_000,
    "footnote brackets": "[^" * 25_000,
    "backtick run": "`" * 10_000,
    "blockquotes": "> " * 50_000 + "x",
    "inline nested lists": "- " * 50_000 + "x",
    "links without end": "[a](" * 12_000,
    "open html tags": "<div " * 10_000,
    "autolink starts": "<http://" * 10_000,
    "nested divs": "<div>" * 39_000,
    "self-closed divs": "<div/>" * 30_000,
    "nested list items": "<ul><li>" * 20_000,
    "nested formatting": "<b><i><u><s>" * 10_000,
    "divs hidden from naive counting": "<div><!--</div>-->" * 10_000,
}


@pytest.mark.parametrize("source", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_input_returns_a_problem_in_bounded_time(source: str) -> None:
    started = time.perf_counter()
    result = render(source, limits=MarkupLimits(time_limit=LIMIT))
    assert time.perf_counter() - started < LIMIT + MARGIN
    assert errors(result), result.problems
    assert result.html == ""


# Raw HTML that html5ever (inside nh3, where no timer can interrupt it) would nest thousands deep, or rebuild
# thousands of times: the depth model must see through comments, quoting, raw text and re-opened formatting.
DEEP_HTML = {
    "reopened formatting": "".join(f'<p><b title="{i}"></p>' for i in range(200)) + "<p>x</p>" * 200,
    "formatting kept open by object": "".join(
        f'<p><b title="{i}"><object></b></object></p>' for i in range(200)
    ),
    "misnested formatting": "<b><div></b>" * 200,
    "end tags hidden in noscript": "<div><noscript></div></noscript>" * 200,
    "end tags hidden in svg cdata": "<div><svg><![CDATA[></div>]]></svg>" * 200,
    "end tags hidden in comments": "<div><!--</div>-->" * 200,
    "end tags hidden in attributes": "<div title='</div>'>" * 200,
    "tags hidden from a naive quote reader": '<div ="><div><div><div>">' * 60,
    "unclosed cells": "<table>" + "<tr><td><div>" * 200,
}


@pytest.mark.parametrize("source", DEEP_HTML.values(), ids=DEEP_HTML.keys())
def test_deep_raw_html_is_refused_before_sanitising(source: str) -> None:
    with pytest.raises(htmltokens.TooDeep):
        htmltokens.Depth(160).feed(source)
    result = render(source, limits=MarkupLimits(time_limit=5.0))
    assert errors(result) == ["正文中的 HTML 标签嵌套太深（超过 160 层），没有转换"]


def test_ordinary_html_is_not_counted_too_deep() -> None:
    source = "<table>" + "<tr><td>格</td><td>格" * 500 + "</table>" + "<p><b>粗</b>字<p><i>斜" * 500
    source += "<ul>" + "<li>项<li><b>项</b>" * 500 + "</ul>" + '<p><b class="x">字</p>' * 500
    htmltokens.Depth(160).feed(source)  # does not raise
    nested = "\n".join("    " * i + "- 项" for i in range(40)) + "\n\n" + "> " * 40 + "引用\n"
    result = render(nested)
    assert result.problems == ()


def test_long_runs_of_angle_brackets_are_escaped_quickly() -> None:
    started = time.perf_counter()
    result = render("<" * 50_000, limits=MarkupLimits(time_limit=5.0))  # ~0.3 s on an idle machine
    assert time.perf_counter() - started < 5.0 + MARGIN
    assert str(result.html) == "<p>" + "&lt;" * 50_000 + "</p>"


def test_deeply_indented_list_is_rejected_before_converting() -> None:
    text = "正文\n" + "\n".join("    " * i + "- 项" for i in range(2_000))
    started = time.perf_counter()
    result = render(text, body_line=20, limits=MarkupLimits(max_chars=10**8, time_limit=LIMIT))
    assert time.perf_counter() - started < LIMIT + MARGIN
    [problem] = result.problems
    assert problem.message == "正文的嵌套层次太深（列表超过 40 层），没有转换"
    assert problem.line == 21 + 40  # item i (from 0) on line 21 + i is nested i + 1 deep
    assert problem.hint == "简化这段文字的嵌套结构"


def test_too_long_input_is_an_error_without_conversion() -> None:
    result = render("字" * 101, limits=MarkupLimits(max_chars=100))
    assert result.html == "" and result.images == () and result.headings == ()
    assert "太长" in errors(result)[0]


def test_moderate_nesting_is_fine() -> None:
    text = (
        "\n".join("    " * i + "- 项" for i in range(10)) + "\n\n" + "> " * 10 + "引用\n\n[[[链接]]](a.md)\n"
    )
    result = render(text)
    assert result.problems == ()
    assert str(result.html).count("<ul>") == 10
    assert str(result.html).count("<blockquote>") == 10


def test_timeout_reports_a_problem_and_next_conversion_works() -> None:
    result = render("[a](" * 12_000, limits=MarkupLimits(time_limit=0.2))
    assert any("秒" in m for m in errors(result))
    after = render("## 概述\n\n正文\n")
    assert after.problems == ()
    assert after.headings == ((2, "概述", "概述"),)


def test_previous_alarm_handler_and_timer_are_restored() -> None:
    fired: list[int] = []

    def handler(signum: int, frame: object) -> None:
        fired.append(signum)

    previous = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 30.0)
        render("## 标题\n", limits=MarkupLimits(time_limit=LIMIT))
        render("[a](" * 12_000, limits=MarkupLimits(time_limit=0.2))
        assert signal.getsignal(signal.SIGALRM) is handler
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 25.0 < remaining <= 30.0
        assert fired == []
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_conversion_outside_the_main_thread_works() -> None:
    results: list[MarkupResult] = []
    thread = threading.Thread(target=lambda: results.append(render("## 线程\n\n正文[^1]\n\n[^1]: 注\n")))
    thread.start()
    thread.join(10)
    assert results and results[0].headings == ((2, "线程", "线程"),)
    assert "fn:1" in str(results[0].html)


@pytest.mark.parametrize("exc", [RecursionError("deep"), ValueError("boom")])
def test_exceptions_from_markdown_become_problems(monkeypatch: pytest.MonkeyPatch, exc: Exception) -> None:
    class Broken:
        def reset(self) -> Broken:
            return self

        def convert(self, text: str) -> str:
            raise exc

    monkeypatch.setattr(markup, "_markdown", Broken)
    result = render("**正文**")  # not plain text, which is made without converting
    [problem] = result.problems
    assert problem.severity == ERROR
    assert re.match(r"正文无法转换（.+）", problem.message)
    assert problem.hint == "简化这段文字的嵌套结构"
    assert result.html == ""


def test_depth_check_reads_only_what_could_be_too_deep() -> None:
    for source in DEEP_HTML.values():
        with pytest.raises(htmltokens.TooDeep):
            htmltokens.check_depth(source, 160)
    htmltokens.check_depth("<p><b>粗</b>" * 40, 160)  # 80 start tags: at most 160 deep, not read


_PIECES = [
    "<",
    ">",
    "p",
    "a",
    "img",
    "<p>",
    "</p>",
    "<a ",
    "href",
    "src",
    "=",
    '"',
    "'",
    " ",
    "\n",
    "/",
    "on",
]
_PIECES += [
    "ON",
    "style",
    "target",
    "javascript:",
    "java",
    "d:",
    "https:",
    "//x",
    "&#58;",
    "&colon;",
    "&",
    "\x00",
]
_PIECES += [
    "<!--",
    "-->",
    "<iframe",
    "\u3000",
    "<em>",
    '<td align="left">',
    '<h2 id="x">',
    "ſrc",
    "<sVg",
    "==",
]
_PIECES += [
    "x",
    "onclick",
    "data-src=",
    "<style>",
    "tel:",
    "vbscript:",
    "xlink:href",
    "formaction",
    "\x01",
    "<script",
    "<b",
]


def test_a_scan_skipped_as_quiet_would_have_found_nothing() -> None:
    rng = random.Random(15)
    quiet = 0
    for _ in range(20_000):
        html = "".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 12)))
        full = sanitize.Scan((), "正文")
        full.feed(html)
        full.close()
        found = sanitize.scan(html, (), "正文")
        assert (found.found, found.remote_images) == (full.found, full.remote_images), repr(html)
        quiet += sanitize._quiet(html)
    assert quiet > 2_000  # the shortcut is taken, and checked, often


def test_nesting_is_found_in_a_text_with_nothing_else() -> None:
    assert mdsource.nesting("[" * 41, 40) == ("方括号 [", 0)
    assert mdsource.nesting("[" * 40 + "\n\n" + "[" * 40, 40) is None  # a link's text ends with its paragraph
    assert mdsource.nesting("段\n\n" + "> " * 41 + "引", 40) == ("引用 >", 2)
    assert mdsource.nesting("\t" * 40 + "１. 项", 40) == ("列表", 0)  # a full-width digit is a digit to it
    assert mdsource.nesting("a\n" + "`" * 41, 40) == ("连续反引号 `", 1)
