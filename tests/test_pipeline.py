"""Whole builds of small sites: pages, links, safety, determinism, atomicity, sub-paths."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import MakeSite, jpeg_bytes
from yunzhan.check.links import check_links
from yunzhan.errors import YunzhanError
from yunzhan.pipeline import BuildOptions, BuildResult, build


def _build(site: Path, out: Path | None = None, **kwargs: object) -> BuildResult:
    kwargs.setdefault("cache_dir", site.parent / "cache")
    return build(BuildOptions(site_dir=site, output_dir=out, **kwargs))  # type: ignore[arg-type]


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _errors(site: Path, **kwargs: object) -> list[str]:
    with pytest.raises(YunzhanError) as info:
        _build(site, **kwargs)
    return [p.format() for p in info.value.problems]


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Text()
    parser.feed(html)
    return parser.tags


def test_builds_every_page_type_with_working_links(make_site: MakeSite) -> None:
    site = make_site()
    result = _build(site)
    out = site / "output"
    for rel in [
        "index.html",
        "404.html",
        "zones/index.html",
        "zones/gusu/index.html",
        "projects/index.html",
        "projects/rocket/index.html",
        "craftsmen/li-qijie/index.html",
        "about/index.html",
        "tags/index.html",
        "tags/hang-tian/index.html",
    ]:
        assert (out / rel).is_file(), rel
    redirects = list((out / "s").rglob("*.html"))  # short links for QR codes (shortlinks.py), one a record
    assert len(redirects) == 4
    assert result.pages == len(list(out.rglob("*.html"))) - len(redirects)
    assert check_links(out, "/") == []
    project = (out / "projects/rocket/index.html").read_text()
    assert 'href="/craftsmen/li-qijie/"' in project  # the Markdown link to the .md file became a URL
    assert 'id="技术攻关"' in project  # Chinese heading anchor
    zone = (out / "zones/gusu/index.html").read_text()
    assert "/projects/rocket/" in zone  # back-reference: the zone lists its projects
    craftsman = (out / "craftsmen/li-qijie/index.html").read_text()
    assert "/projects/rocket/" in craftsman


def test_two_builds_are_byte_identical(make_site: MakeSite, tmp_path: Path) -> None:
    site = make_site({"content/zones/gusu.md": "---\nname: 姑苏展区\norder: 1\ncover: c.jpg\n---\n"})
    (site / "content/zones/c.jpg").write_bytes(jpeg_bytes())
    _build(site, tmp_path / "a")
    _build(site, tmp_path / "b", cache_dir=tmp_path / "other-cache")
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")


def test_failed_build_leaves_previous_output_untouched(make_site: MakeSite) -> None:
    site = make_site()
    _build(site)
    before = _tree(site / "output")
    (site / "content/projects/rocket.md").write_text(
        "---\ntitle: 火箭\ncategory: 创新产品\nzone: gusus\ndate: 2024-02-30\n---\n", encoding="utf-8"
    )
    errors = _errors(site)
    assert errors == [
        'content/projects/rocket.md:4: zone: 找不到展区 "gusus" — 是不是 "gusu"（content/zones/gusu.md）？',
        "content/projects/rocket.md:5: date: 不存在的日期：2024-02-30 — 检查月份（1–12）和日子是否写对",
    ]
    assert _tree(site / "output") == before
    assert [p.name for p in site.iterdir() if p.name.startswith(".output.staging")] == []


def test_removed_entries_disappear(make_site: MakeSite) -> None:
    site = make_site({"content/pages/old.md": "---\ntitle: 旧页面\n---\n"})
    _build(site)
    assert (site / "output/old/index.html").exists()
    (site / "content/pages/old.md").unlink()
    result = _build(site)
    assert not (site / "output/old").exists()
    assert result.removed >= 1


def test_unchanged_pages_are_not_rewritten(make_site: MakeSite) -> None:
    site = make_site()
    _build(site)
    result = _build(site)
    assert result.written == 0 and result.unchanged > 0


def test_hostile_markup_never_reaches_pages(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/projects/evil.md": """\
                ---
                title: <script>alert("t")</script>标题
                category: 创新项目
                zone: gusu
                summary: '[点我](javascript:alert(1)) <img src=x.jpg alt=图 onerror="alert(2)">'
                ---
                <script>alert(3)</script>
                <a href="javascript:alert(4)">链接</a>
                <img src="x.jpg" onerror="alert(5)" alt="x">
                <iframe src="https://evil.example/"></iframe>
                [md](javascript:alert(6))
                """
        }
    )
    with pytest.raises(YunzhanError):
        _build(site)  # the body image x.jpg does not exist
    (site / "content/projects/x.jpg").write_bytes(jpeg_bytes())
    result = _build(site)
    html = (site / "output/projects/evil/index.html").read_text()
    assert "<script>alert" not in html and "alert(" not in html.replace("&lt;script&gt;alert", "")
    assert "javascript:" not in html
    assert "onerror" not in html
    assert "<iframe" not in html
    assert "&lt;script&gt;" in html  # the title was escaped, not dropped
    assert any("script" in p.message for p in result.problems)  # the editor is told what was removed
    for tag, attrs in _tags(html):
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)


def test_broken_record_link_is_an_error(make_site: MakeSite) -> None:
    site = make_site(
        {"content/pages/about.md": "---\ntitle: 关于\n---\n\n见 [某人](../craftsmen/nobody.md)\n"}
    )
    (message,) = _errors(site)
    assert message == (
        "content/pages/about.md:5: 正文: 链接指向的条目不存在：../craftsmen/nobody.md"
        " — 链接里写另一个条目的文件路径（相对于本文件），例如 ../craftsmen/li-qijie.md"
    )


def test_broken_record_link_suggests_the_record_meant(make_site: MakeSite) -> None:
    site = make_site({"content/pages/about.md": "---\ntitle: 关于\n---\n\n见 [某人](../li-qijei.md)\n"})
    (message,) = _errors(site)
    assert message == (
        'content/pages/about.md:5: 正文: 链接指向的条目不存在：../li-qijei.md — 是不是 "../craftsmen/li-qijie.md"？'
    )


def test_sub_path_base_url(make_site: MakeSite) -> None:
    site = make_site({"content/zones/gusu.md": "---\nname: 姑苏展区\norder: 1\ncover: c.jpg\n---\n"})
    (site / "content/zones/c.jpg").write_bytes(jpeg_bytes())
    _build(site, base_url="https://example.org/expo/2024/")
    out = site / "output"
    assert check_links(out, "/expo/2024/") == []
    home = (out / "index.html").read_text()
    for tag, attrs in _tags(home):
        for name in ("href", "src"):
            value = attrs.get(name)
            if value and value.startswith("/"):
                assert value.startswith("/expo/2024/"), (tag, value)
    assert re.search(r'srcset="/expo/2024/media/', (out / "zones/gusu/index.html").read_text())


def test_pagination(make_site: MakeSite) -> None:
    files = {
        f"content/projects/p{i}.md": f"---\ntitle: 成果{i}\ncategory: 创新项目\nzone: gusu\ndate: 2024-05-0{i}\n---\n"
        for i in range(1, 6)
    }
    site = make_site(files)
    _build(site)
    out = site / "output/projects"
    assert (out / "page/2/index.html").is_file() and (out / "page/3/index.html").is_file()
    first = (out / "index.html").read_text()
    assert "/projects/p5/" in first and "/projects/p4/" in first and "/projects/p1/" not in first
    assert check_links(site / "output") == []


def test_url_collision_names_both_sources(make_site: MakeSite) -> None:
    site = make_site({"content/pages/zones.md": "---\ntitle: 冲突\n---\n"})
    errors = _errors(site)
    assert any("content/pages/zones.md" in e and "/zones/" in e and "重复" in e for e in errors)


def test_site_template_overrides_one_theme_template(make_site: MakeSite) -> None:
    site = make_site(
        {
            "templates/page.html": "{% extends 'base.html' %}{% block content %}自定义{{ page.title }}{% endblock %}"
        }
    )
    _build(site)
    assert "自定义关于" in (site / "output/about/index.html").read_text()
    assert "自定义" not in (site / "output/index.html").read_text()


def test_template_error_names_template_and_line(make_site: MakeSite) -> None:
    site = make_site({"templates/page.html": "第一行\n{% if %}\n"})
    (message,) = _errors(site)
    assert message.startswith("templates/page.html:2: 模板错误")


def test_error_found_while_rendering_discards_the_pages_already_staged(make_site: MakeSite) -> None:
    """Pages are staged as they render: a template that fails on one page (after others were staged) must still
    leave the previous output as it was and no staging folder behind."""
    site = make_site()
    _build(site)
    before = _tree(site / "output")
    (site / "templates").mkdir(exist_ok=True)
    (site / "templates/page.html").write_text("{{ page.title.nonexistent() }}", encoding="utf-8")
    (message,) = _errors(site)
    assert message.startswith("templates/page.html:1: 模板错误") and "/about/" in message
    assert _tree(site / "output") == before
    assert [p.name for p in site.iterdir() if p.name.startswith(".output.staging")] == []


def test_python_error_in_a_template_names_its_file_and_line(make_site: MakeSite) -> None:
    site = make_site({"templates/page.html": "第一行\n{{ (page.title | length) + 'x' }}\n"})
    (message,) = _errors(site)
    assert message.startswith("templates/page.html:2: ") and "TypeError" in message


def test_drafts_option(make_site: MakeSite) -> None:
    site = make_site({"content/pages/draft.md": "---\ntitle: 草稿\ndraft: true\n---\n"})
    _build(site)
    assert not (site / "output/draft").exists()
    _build(site, drafts=True)
    assert (site / "output/draft/index.html").exists()


def test_strict_turns_warnings_into_errors(make_site: MakeSite) -> None:
    site = make_site({"content/pages/x.md": "---\ntitle: x\ntitel: y\n---\n"})
    assert _build(site).problems
    assert _errors(site, strict=True)


def test_refuses_to_replace_a_folder_that_is_not_a_build(make_site: MakeSite, tmp_path: Path) -> None:
    site = make_site()
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.docx").write_text("work")
    with pytest.raises(YunzhanError):
        _build(site, precious)
    assert (precious / "thesis.docx").read_text() == "work"


def test_titles_pinyin_made_while_the_pages_are_planned_is_the_same(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first build's many titles get their pinyin (search) from the child forked once the records are loaded,
    after the terms' slugs, taken before the Markdown; the index is the one of an edit's few titles' pinyin."""
    from yunzhan import steps

    site = make_site()
    _build(site, tmp_path / "soon", use_cache=False)
    monkeypatch.setattr(steps, "TITLES_SOON", 0)  # every title list is "many"
    _build(site, tmp_path / "late", use_cache=False)
    soon, late = _tree(tmp_path / "soon"), _tree(tmp_path / "late")
    assert b'"guanyu gy"' in soon["search/meta.json"]  # 关于
    assert soon == late


def test_a_build_hands_the_interpreter_lock_over_quickly_and_then_as_before(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Worker pools are fed by threads of this process: while a build runs, one waiting for the lock waits
    ``HANDOFF_S``, not Python's 5 ms; after it (and after a failed one), the interval is the caller's."""
    import sys

    from yunzhan import pipeline, steps

    site = make_site()
    seen: list[float] = []
    convert = steps.convert_markdown

    def noting(b: steps.Build) -> None:
        seen.append(sys.getswitchinterval())
        convert(b)

    monkeypatch.setattr(steps, "convert_markdown", noting)
    before = sys.getswitchinterval()
    try:
        sys.setswitchinterval(0.004)
        _build(site)
        assert seen == [pipeline.HANDOFF_S] and sys.getswitchinterval() == pytest.approx(0.004)
        (site / "content" / "projects" / "broken.md").write_text("---\ntitle: [\n---\n", encoding="utf-8")
        with pytest.raises(YunzhanError):
            _build(site)
        assert sys.getswitchinterval() == pytest.approx(0.004)
    finally:
        sys.setswitchinterval(before)
