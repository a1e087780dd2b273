"""The one link checker (yunzhan/check/links.py): each kind of broken reference in a built site, and `check`
reporting the last build's."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import MakeSite
from yunzhan import check
from yunzhan.check.links import Output, check_links, check_output, grouped
from yunzhan.check.refs import css_urls, parse_srcset
from yunzhan.pipeline import BuildOptions, build

PAGE = '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>t</title>{head}</head><body>{body}</body></html>'


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _page(body: str, head: str = "") -> str:
    return PAGE.format(head=head, body=body)


def test_srcset_and_css_urls_are_read_as_browsers_read_them() -> None:
    assert parse_srcset("/a.avif 480w, /b,c.avif 960w,/d.avif 2x") == ["/a.avif", "/b,c.avif", "/d.avif"]
    assert css_urls("a{background:url('/x.png')} /* url(/no.png) */ @import \"/y.css\";") == [
        "/x.png",
        "/y.css",
    ]


def test_each_kind_of_broken_reference_is_named(tmp_path: Path) -> None:
    out = _write(
        tmp_path / "out",
        {
            "index.html": _page(
                '<a href="/expo/a/">a</a> <a href="a/#top-part">anchor</a> <a href="/expo/a/#nope">no id</a>'
                '<img src="/expo/img/x.png" srcset="/expo/img/x.png 1x, /expo/img/gone.png 2x" alt="">'
                '<a href="/elsewhere/">out</a> <a href="https://example.com/">external link: fine</a>'
                '<img src="https://cdn.example.com/x.png" alt=""><iframe src="https://player.bilibili.com/x"></iframe>'
                '<div style="background:url(/expo/img/none.png)"></div>',
                head='<link rel="stylesheet" href="/expo/site.css">',
            ),
            "a/index.html": _page('<h2 id="top-part">x</h2><a href="../">home</a>'),
            "img/x.png": "png",
            "site.css": "body{background:url(img/x.png)} p{background:url(/expo/img/lost.png)}",
            "404.html": _page('<a href="a/">relative</a>'),
        },
    )
    report = check_output(Output(out, "/expo/"), allowed_hosts=["player.bilibili.com"])
    found = {(b.page, b.url): b.reason for b in report.broken}
    assert found.keys() == {
        ("index.html", "/expo/a/#nope"),
        ("index.html", "/expo/img/gone.png"),
        ("index.html", "/elsewhere/"),
        ("index.html", "https://cdn.example.com/x.png"),
        ("index.html", "/expo/img/none.png"),
        ("site.css", "/expo/img/lost.png"),
        ("404.html", "a/"),
    }, found
    assert found["index.html", "/expo/a/#nope"] == 'a/index.html 里没有 id="nope" 的位置'
    assert "以外" in found["index.html", "/elsewhere/"]
    assert "从别的网站加载" in found["index.html", "https://cdn.example.com/x.png"]
    assert found["index.html", "/expo/img/gone.png"] == "指向的文件不存在（/expo/img/gone.png）"
    assert report.counts["pages"] == 3 and report.counts["stylesheets"] == 1
    assert report.counts["external links (not followed)"] == 1


def test_a_template_mistake_is_said_once_with_its_pages(tmp_path: Path) -> None:
    pages = {f"p{i}/index.html": _page('<a href="/missing/">x</a>') for i in range(5)}
    out = _write(tmp_path / "out", {"index.html": _page(""), **pages})
    [(first, others)] = grouped(check_links(out))
    assert first.page == "p0/index.html" and others == [
        "p1/index.html",
        "p2/index.html",
        "p3/index.html",
        "p4/index.html",
    ]


def test_a_real_build_has_no_broken_reference_and_check_reports_a_broken_one(make_site: MakeSite) -> None:
    site = make_site()
    build(BuildOptions(site_dir=site, cache_dir=site.parent / "cache"))
    assert check_links(site / "output") == []
    assert not [p for p in check.check_site(site).problems if p.path.startswith("output/")]
    page = next((site / "output" / "projects").glob("*/index.html"))
    page.write_text(page.read_text("utf-8").replace("</body>", '<a href="/nowhere/">x</a></body>'), "utf-8")
    broken = [p for p in check.check_site(site).problems if p.path.startswith("output/")]
    assert [(p.path, p.is_error) for p in broken] == [(page.relative_to(site).as_posix(), True)]
    assert "/nowhere/" in broken[0].message and "build" in broken[0].format()


def test_a_url_cannot_reach_out_of_the_output(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("x", "utf-8")
    out = _write(
        tmp_path / "out", {"index.html": _page('<a href="/%2e%2e/secret.txt">x</a><a href="/a/../">up</a>')}
    )
    assert [(b.url, b.reason) for b in check_links(out)] == [
        ("/%2e%2e/secret.txt", "指向的文件不存在（/../secret.txt）")
    ]
