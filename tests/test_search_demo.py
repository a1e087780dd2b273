"""Search on the demo site in headless Chromium: the demo's own queries, and the built demo from the header's
search box to the results."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from markupsafe import Markup, escape

from tests import searchcorpus, searchpage
from tests.conftest import REPO
from tests.searchcorpus import BASE, BASE_URL
from tests.searchpage import QuietHandler, QuietServer, Serve, run_queries, score, strip
from yunzhan import content, pages, references, search, searchtext
from yunzhan.config import SiteConfig
from yunzhan.model import Record
from yunzhan.slugs import pinyin_forms

# fixtures of tests/searchcorpus.py and searchpage.py (assigned, not imported, so that linters see them used)
config, browser, serve = searchcorpus.config, searchpage.browser, searchpage.serve


def demo_records(config: SiteConfig) -> list[Record]:
    """The demo's records as the pipeline prepares them (bodies through markup.py when it is there)."""
    loaded = content.load_content(REPO, config)
    references.resolve_references(loaded.records, config)
    grouped = references.order_records(loaded.records, config)
    pages.assign_urls(loaded.records, config)
    ordered = [r for c in config.collections for r in grouped[c.name]]
    for record in ordered:
        try:
            from yunzhan import markup

            record.body = markup.render_markdown(record.raw_body, path=record.source).html
        except Exception:  # markup.py not there yet or its API differs: the raw text is enough to search
            record.body = Markup("<p>") + escape(record.raw_body) + Markup("</p>")
    return ordered


@pytest.mark.browser
def test_demo_queries(browser: Any, serve: Serve, config: SiteConfig) -> None:
    holder: list[list[Record]] = []
    url, cfg = serve(lambda c: holder.append(demo_records(c)) or holder[0], config)
    records, base = holder[0], cfg.base_path
    page = browser.new_page()
    try:
        page.goto(url)
        qs = [
            "热处理",
            "电缆",
            "leiyutian",
            "lyt",
            "李奇杰",
            "天龙二号",
            "羊绒",
            "缂丝",
            "非遗",
            "姑苏",
            "培训",
            "热",
            "lf",
        ]
        found = run_queries(page, qs)
        story = {
            "热处理": ("craftsmen/li-qijie/", "projects/induction-heat-treatment/"),
            "电缆": ("craftsmen/lei-yutian/", "projects/lf-furnace-cable/"),
        }
        for q, paths in story.items():
            for path in paths:
                assert base + path in found[q], (q, path, found[q])
        assert found["leiyutian"][0] == base + "craftsmen/lei-yutian/"
        assert found["lyt"][0] == base + "craftsmen/lei-yutian/"
        texts = {r.path.lstrip("/"): searchtext.normalise(searchtext.record_text(r, cfg)) for r in records}
        sources = {
            r.path.lstrip("/"): searchtext.normalise((REPO / r.source).read_text("utf-8")) for r in records
        }
        for q in qs:
            got = strip(base, found[q])
            want = {p for p, t in texts.items() if q in t}
            if q.isascii():
                want |= {r.path.lstrip("/") for r in records if any(q in f for f in pinyin_forms(r.title))}
            assert score(got, want) == (1.0, 1.0), (q, sorted(want ^ got))
            if not q.isascii():  # every record whose source file holds the term is found
                assert {p for p, s in sources.items() if q in s} <= got, q
    finally:
        page.close()


@pytest.fixture(scope="module")
def built_demo(demo_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo built by the real pipeline under /expo/2024/, served; its base URL."""
    from yunzhan.pipeline import BuildOptions, build

    root = tmp_path_factory.mktemp("built")
    build(BuildOptions(site_dir=demo_site, output_dir=root / BASE.strip("/"), base_url=BASE_URL))
    assert (root / BASE.strip("/") / search.META_PATH).is_file(), "the build wrote no search index"
    server = QuietServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}{BASE}"
    server.shutdown()
    server.server_close()


@pytest.mark.browser
@pytest.mark.slow
def test_built_demo_header_box_to_results(built_demo: str, browser: Any) -> None:
    """Header box on a record page → search page under the sub-path → 李奇杰's story; pinyin finds 雷雨田."""
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    try:  # on a phone the header shows only the button: it opens the search page, no JavaScript needed
        phone.goto(built_demo + "craftsmen/lei-yutian/")
        phone.click("header .site-search button")
        phone.wait_for_url(built_demo + "search/?q=")
        phone.fill("#search-q", "电缆")
        phone.locator("#search-status").filter(has_text="找到").wait_for()
    finally:
        phone.close()
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        page.goto(built_demo + "craftsmen/lei-yutian/")
        page.fill("header input[name=q]", "热处理")
        page.press("header input[name=q]", "Enter")
        page.locator("#search-status").filter(has_text="找到").wait_for()
        assert page.url.startswith(built_demo + "search/?q=")
        hrefs = page.locator("#search-results a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
        assert f"{BASE}craftsmen/li-qijie/" in hrefs and f"{BASE}projects/induction-heat-treatment/" in hrefs
        found = run_queries(page, ["电缆", "leiyutian", "lyt"])
        assert (
            f"{BASE}craftsmen/lei-yutian/" in found["电缆"]
            and f"{BASE}projects/lf-furnace-cable/" in found["电缆"]
        )
        assert found["leiyutian"][0] == found["lyt"][0] == f"{BASE}craftsmen/lei-yutian/"
        thumbs = page.locator("#search-results img").evaluate_all(
            "is => is.map(i => [i.getAttribute('src'), i.naturalWidth])"
        )
        assert thumbs and all(src.startswith(BASE) for src, _ in thumbs)
    finally:
        page.close()
