"""serve: a page reloads after an edit, a stylesheet is swapped in place, and an error shows as an overlay over
the last good pages until it is fixed."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
from browser import launch_browser

from tests import livepreview
from tests.livepreview import BASE, ROCKET, Live, wait_until
from yunzhan.serve import EVENTS_PATH, LIVE_SCRIPT, OVERLAY_TITLE

# fixtures from tests/livepreview.py (assigned, not imported, so that linters see them used)
site, serve = livepreview.site, livepreview.serve


def test_serves_preview_under_base_path_and_reloads_after_an_edit(serve: Callable[..., Live]) -> None:
    live = serve()
    outcome, kind, _ = live.rebuilds[0]
    assert outcome.ok and kind == "initial"

    root = live.get("/")
    assert root.status == 302 and root.headers["Location"] == BASE
    assert live.get("/expo/2024").headers["Location"] == BASE
    assert live.get("/expo/2024/projects").headers["Location"] == "/expo/2024/projects/"

    page = live.get(BASE + "projects/rocket/")
    assert page.status == 200 and "火箭模型" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.text.index('id="yunzhan-live"') < page.text.rindex("</body>")
    assert "yunzhan-overlay" not in page.text.split('<script id="yunzhan-live"')[0]

    # drafts are previewed, but never written to output/, and the script is never written to disk
    assert "未发布草稿" in live.get(BASE + "projects/secret/").text
    preview = live.site / ".yunzhan-cache" / "preview"
    assert "yunzhan-live" not in (preview / "projects/rocket/index.html").read_text(encoding="utf-8")
    assert not (live.site / "output").exists()

    events = live.events()
    live.edit(ROCKET, "title: 火箭模型", "title: 火箭模型二号")
    build_id = events.next("reload")
    assert "火箭模型二号" in live.get(BASE + "projects/rocket/").text
    assert f'data-build="{build_id}"' in live.get(BASE).text
    assert live.rebuilds[-1][1] == "full"
    assert live.rebuilds[-1][2] == {live.site / ROCKET}

    # the search index and the other site-wide files follow just after the pages
    deadline = time.monotonic() + 20
    while "火箭模型二号" not in live.get(BASE + "search/meta.json").text:
        assert time.monotonic() < deadline, "the search index was not brought up to date"
        time.sleep(0.05)
    assert "火箭模型二号" in live.get(BASE + "feed.xml").text

    # a page loaded before a rebuild learns about it when its event stream connects
    assert live.events(since="stale-build").next("reload") == build_id


def test_content_error_shows_overlay_keeps_last_good_pages_and_clears_when_fixed(
    serve: Callable[..., Live],
) -> None:
    live = serve()
    events = live.events()
    live.edit(ROCKET, "zone: gusu", "zone: nowhere")
    payload = json.loads(events.next("errors"))
    texts = [p["text"] for p in payload["problems"]]
    assert any(t.startswith("content/projects/rocket.md:4: zone:") for t in texts), texts
    assert payload["title"] == OVERLAY_TITLE
    assert 'role="alertdialog"' in payload["html"] and ">关闭</button>" in payload["html"]

    page = live.get(BASE + "projects/rocket/")
    assert page.status == 200 and "火箭模型" in page.text  # the last good page is still served
    assert OVERLAY_TITLE in page.text and "<code>content/projects/rocket.md:4</code>: zone:" in page.text
    assert page.text.index('id="yunzhan-overlay"') < page.text.rindex("</body>")
    # a browser that connects while the error lasts is told at once
    assert "rocket.md:4" in live.events().next("errors")

    live.edit(ROCKET, "zone: nowhere", "zone: gusu")
    events.next("reload")
    assert OVERLAY_TITLE not in live.get(BASE + "projects/rocket/").text


def test_site_toml_error_is_an_overlay_too(serve: Callable[..., Live]) -> None:
    live = serve()
    events = live.events()
    good = (live.site / "site.toml").read_text(encoding="utf-8")
    live.write("site.toml", 'colour = "red"\n' + good)
    payload = json.loads(events.next("errors"))
    assert any(p["path"] == "site.toml" and p["field"] == "colour" for p in payload["problems"])
    assert "火箭模型" in live.get(BASE + "projects/rocket/").text
    live.write("site.toml", good)
    events.next("reload")
    assert OVERLAY_TITLE not in live.get(BASE).text


def test_css_only_change_is_announced_as_css(serve: Callable[..., Live]) -> None:
    live = serve()
    events = live.events()
    css = live.site / "themes/default/static/css/site.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n:root{--probe:1}\n", encoding="utf-8")
    events.next("css")
    assert live.rebuilds[-1][1] == "css"
    assert "--probe:1" in live.get(live.asset("css/site.css")).text


def test_live_script_is_small() -> None:
    assert len(LIVE_SCRIPT.format(build="0123abcd.123", events=EVENTS_PATH).encode()) < 1536


@pytest.mark.browser
def test_browser_reloads_on_edit_and_swaps_css_without_reload(serve: Callable[..., Live]) -> None:
    live = serve()
    with launch_browser() as browser:  # a missing Chromium fails, naming scripts/setup.sh
        page = browser.new_page()
        try:
            page.goto(f"http://127.0.0.1:{live.server.port}{BASE}projects/rocket/")
            page.wait_for_function("() => window.EventSource && document.getElementById('yunzhan-live')")
            wait_until(lambda: live.server.hub.count >= 1)
            page.evaluate("window.__probe = 42")

            css = live.site / "themes/default/static/css/site.css"
            css.write_text(css.read_text(encoding="utf-8") + "\n:root{--yz-probe:7}\n", encoding="utf-8")
            page.wait_for_function(
                "() => getComputedStyle(document.documentElement).getPropertyValue('--yz-probe').trim() === '7'",
                timeout=10000,
            )
            assert page.evaluate("window.__probe") == 42  # applied without a reload

            with page.expect_event("load", timeout=10000):
                live.edit(ROCKET, "title: 火箭模型", "title: 浏览器里的新标题")
            assert "浏览器里的新标题" in page.inner_text("body")
            assert page.evaluate("window.__probe") is None  # the page reloaded

            live.edit(ROCKET, "zone: gusu", "zone: nowhere")
            dialog = page.get_by_role("alertdialog")
            dialog.wait_for(timeout=10000)
            assert "rocket.md:4" in dialog.inner_text()
            assert page.evaluate("document.activeElement.textContent") == "关闭"
            page.get_by_role("button", name="关闭").click()
            assert page.get_by_role("alertdialog").count() == 0
            assert "浏览器里的新标题" in page.inner_text("body")

            with page.expect_event("load", timeout=10000):
                live.edit(ROCKET, "zone: nowhere", "zone: gusu")
            assert page.get_by_role("alertdialog").count() == 0
        finally:
            page.close()
