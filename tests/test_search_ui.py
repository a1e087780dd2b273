"""The search page (search.js and the theme) in headless Chromium, on the synthetic corpus under the sub-path
/expo/2024/: recall and precision asserted per query, the page's behaviour, what it loads and how fast."""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from typing import Any

import pytest

from tests import searchcorpus, searchpage
from tests.conftest import REPO
from tests.searchcorpus import BASE, corpus, expected_paths
from tests.searchpage import Serve, run_queries, score, strip
from yunzhan import render
from yunzhan.config import SiteConfig
from yunzhan.model import Page

# fixtures of tests/searchcorpus.py and searchpage.py (assigned, not imported, so that linters see them used)
config, items, browser, serve = searchcorpus.config, searchcorpus.items, searchpage.browser, searchpage.serve


def test_search_box_partial_is_a_plain_form_under_the_base(config: SiteConfig) -> None:
    env = render.make_environment(REPO, config)
    html = env.get_template("_search_box.html").render(page=Page("home", "/", BASE, "t", "home.html"))
    assert f'action="{BASE}search/"' in html and 'method="get"' in html and 'name="q"' in html
    assert "<script" not in html
    assert (
        env.get_template("_search_box.html").render(page=Page("search", "/search/", "", "", "")).strip() == ""
    )


@pytest.fixture(scope="module")
def corpus_page(
    browser: Any, serve: Serve, config: SiteConfig, items: list[corpus.Item]
) -> Iterator[tuple[Any, str, str]]:
    """(page, search page URL, base path) for the synthetic corpus."""
    url, cfg = serve(lambda c: corpus.to_records(items, c.base_path), config)
    page = browser.new_page()
    page.goto(url)
    yield page, url, cfg.base_path
    page.close()


Page3 = tuple[Any, str, str]


@pytest.mark.browser
def test_recall_and_precision_per_query_in_chromium(corpus_page: Page3, items: list[corpus.Item]) -> None:
    page, _, base = corpus_page
    qs = corpus.queries(items)
    found = run_queries(page, qs)
    rows, bad = [], []
    for q in qs:
        want = expected_paths(items, q)
        recall, precision = score(strip(base, found[q]), want)
        rows.append((q, len(want), len(found[q]), recall, precision))
        if (recall, precision) != (1.0, 1.0):
            bad.append(rows[-1])
    print(
        f"\n{len(qs)} queries on {len(items)} records: mean recall {statistics.mean(r[3] for r in rows):.3f}, "
        f"mean precision {statistics.mean(r[4] for r in rows):.3f}; "
        f"two-character queries: {sum(len(q) == 2 for q in qs)}"
    )
    assert not bad, bad


@pytest.mark.browser
def test_phrase_precision_trap(corpus_page: Page3, items: list[corpus.Item]) -> None:
    """A record with 热 and 处理 (or 电 and 缆) apart, but never together, is not an answer."""
    page, _, base = corpus_page
    titles = corpus.ref_titles(items)
    found = run_queries(page, ["热处理", "电缆"])
    for q, parts in (("热处理", ("热", "处理")), ("电缆", ("电", "缆"))):
        text = {f"{i.collection}/{i.slug}/": corpus.source_text(i, titles) for i in items}
        traps = {p for p, t in text.items() if all(x in t for x in parts) and q not in t}
        assert traps, f"the corpus must hold traps for {q}"
        got = strip(base, found[q])
        assert got == {p for p, t in text.items() if q in t}
        assert not traps & got


@pytest.mark.browser
def test_search_page_works_under_a_sub_path(
    corpus_page: Page3, browser: Any, items: list[corpus.Item]
) -> None:
    _, url, base = corpus_page
    page = browser.new_page()
    try:
        page.goto(url + "?q=热处理")
        status = page.locator("#search-status")
        status.filter(has_text="找到").wait_for()
        total = len(expected_paths(items, "热处理"))
        assert f"找到 {total} 条" in status.inner_text()
        assert status.get_attribute("aria-live") == "polite"
        links = page.locator("#search-results a")
        assert links.count() == min(total, 30)
        assert all(
            h.startswith(base) for h in links.evaluate_all("as => as.map(a => a.getAttribute('href'))")
        )
        first = page.locator("#search-results li").first
        assert first.locator(".sr-title").inner_text()
        assert "示例" in first.locator(".sr-meta").inner_text()  # collection · zone
        img = page.locator("#search-results li img").first
        assert img.get_attribute("width") == "480" and img.get_attribute("height") == "360"
        assert img.get_attribute("alt") == "" and img.get_attribute("src").startswith(base + "assets/img/")
        if total > 30:
            page.click("#search-more")
            assert links.count() == min(total, 60)
        page.select_option("select[name=c]", "craftsmen")
        page.wait_for_function("() => location.search.includes('c=craftsmen')")
        page.wait_for_function(
            "() => { const as = [...document.querySelectorAll('#search-results a')];"
            " return as.length && as.every(a => a.getAttribute('href').includes('/craftsmen/')); }"
        )
        assert "c=craftsmen" in page.url and "q=" in page.url
        page.select_option("select[name=c]", "")
        page.fill("#search-q", "电缆")
        status.filter(has_text="“电缆”").wait_for()
        assert "q=%E7%94%B5%E7%BC%86" in page.url
    finally:
        page.close()


@pytest.mark.browser
def test_loads_nothing_until_the_visitor_searches(corpus_page: Page3, browser: Any) -> None:
    _, url, base = corpus_page
    context = browser.new_context()
    page = context.new_page()
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url))
    try:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        assert not [u for u in fetched if u.endswith(".json")]
        page.fill("#search-q", "焊接")
        page.locator("#search-status").filter(has_text="找到").wait_for()
        data = [u for u in fetched if u.endswith(".json")]
        assert data[0].endswith(f"{base}search/meta.json")
        assert len(data) == 2  # meta + the one shard that holds the pair 焊接
    finally:
        context.close()


@pytest.mark.browser
def test_without_javascript_the_page_explains_and_links(corpus_page: Page3, browser: Any) -> None:
    _, url, base = corpus_page
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(url + "?q=热处理")
        assert "需要浏览器开启 JavaScript" in page.locator("main").inner_text()
        hrefs = page.locator(".search-nojs a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
        assert f"{base}projects/" in hrefs and f"{base}craftsmen/" in hrefs
    finally:
        context.close()


@pytest.mark.browser
def test_time_to_first_result(corpus_page: Page3, browser: Any) -> None:
    """Fresh cache each time: page, search.js, meta.json and the shards, until the results are on screen."""
    _, url, _ = corpus_page
    total, searching = [], []
    for _ in range(5):
        context = browser.new_context()
        page = context.new_page()
        page.goto(url + "?q=水冷电缆")
        page.wait_for_function("() => performance.getEntriesByName('yz-search-done').length")
        done, start = page.evaluate(
            "() => ['yz-search-done', 'yz-search-start'].map(n => performance.getEntriesByName(n)[0].startTime)"
        )
        total.append(done)
        searching.append(done - start)
        context.close()
    print(
        f"\ntime to first result, median of 5: {statistics.median(total):.0f} ms from navigation, "
        f"{statistics.median(searching):.0f} ms from the start of the search (index fetched and read)"
    )
    assert statistics.median(total) < 3000
