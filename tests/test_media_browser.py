"""Videos in Chromium at 390×844 (tests/browser.py): the poster shows before anything of the video loads, the
clip plays, nothing shifts, captions load, and the lightbox shows and pauses clips like photos."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import browser as browser_helpers
import pytest
from playwright.sync_api import expect

from tests.conftest import BASE_FILES, SITE_TOML, jpeg_bytes
from tests.test_media import write_clip
from yunzhan.pipeline import BuildOptions, build

browser, open_page = browser_helpers.browser, browser_helpers.open_page
pytestmark = pytest.mark.browser

CAPTIONS = "WEBVTT\n\n00:00.000 --> 00:01.000\n开机\n\n00:01.000 --> 00:02.000\n巡检\n"
GALLERY = """\
---
title: 巡检机器人
category: 创新项目
zone: gusu
cover: intro.mp4
gallery:
  - src: a.jpg
    alt: 红色样张
  - src: walk.mp4
    alt: 机器人走过车间
  - src: b.jpg
    alt: 绿色样张
---
正文第一段。
"""
LAYOUT_SHIFT = """(v) => new Promise(done => {
  // Layout shifts of the page; the cue box moving inside the playing video's own box (shadow DOM) is not one.
  const r = v.getBoundingClientRect(), inside = s => !s.node && s.currentRect.top >= r.top - 1
    && s.currentRect.bottom <= r.bottom + 1 && s.previousRect.top >= r.top - 1 && s.previousRect.bottom <= r.bottom + 1;
  let total = 0;
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) if (!e.sources.every(inside)) total += e.value;
  }).observe({ type: "layout-shift", buffered: true });
  setTimeout(() => done(total), 300);
})"""


@pytest.fixture(scope="module")
def site_url(tmp_path_factory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("videos")
    site = tmp / "site"
    files: dict[str, str | bytes] = {
        **{rel: textwrap.dedent(body) for rel, body in BASE_FILES.items()},
        "content/projects/robot/index.md": GALLERY,
        "content/projects/robot/a.jpg": jpeg_bytes(color=(200, 30, 30)),
        "content/projects/robot/b.jpg": jpeg_bytes(color=(30, 170, 60)),
        "content/projects/robot/intro.vtt": CAPTIONS,
    }
    for rel, body in files.items():
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body) if isinstance(body, bytes) else path.write_text(body, encoding="utf-8")
    write_clip(site / "content/projects/robot/intro.mp4", seconds=2, size=(320, 180))
    write_clip(site / "content/projects/robot/walk.mp4", seconds=2, size=(320, 240))
    (site / "site.toml").write_text(
        SITE_TOML + "\n[publish]\nshare_cards = false\nshare_posters = false\n", "utf-8"
    )
    result = build(BuildOptions(site_dir=site, cache_dir=tmp / "cache"))
    assert (Path(result.output_dir) / "projects/robot/index.html").is_file()
    with browser_helpers.served(result.output_dir) as base:
        yield base + "projects/robot/"


def test_cover_video_shows_its_poster_plays_without_shift_and_loads_captions(open_page, site_url):
    page = open_page(site_url, "phone")
    video = page.locator("figure.cover video")
    box = video.bounding_box()
    assert (
        box and box["width"] > 300 and abs(box["height"] - box["width"] * 180 / 320) < 2
    )  # sized before load
    fetched = page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)")
    poster = video.get_attribute("poster")
    assert any(name.endswith(poster) for name in fetched)  # the poster is shown before play...
    assert not any(name.endswith(".mp4") for name in fetched)  # ...and nothing of the video is loaded
    shown = page.evaluate(
        """async (v) => { const img = new Image(); img.src = v.poster; await img.decode(); return img.naturalWidth; }""",
        video.element_handle(),
    )
    assert shown > 0
    state = video.evaluate(
        """async v => {
          v.muted = true;
          await v.play();
          while (v.readyState < 2) await new Promise(r => setTimeout(r, 50));
          const track = v.querySelector("track");
          while (track.readyState < 2) await new Promise(r => setTimeout(r, 50));
          return { ready: v.readyState, cues: v.textTracks[0].cues.length, mode: v.textTracks[0].mode,
                   trackState: track.readyState };
        }"""
    )
    assert (
        state["ready"] >= 2 and state["trackState"] == 2 and state["cues"] == 2 and state["mode"] == "showing"
    )
    after = video.bounding_box()
    assert after and abs(after["height"] - box["height"]) < 1
    assert page.evaluate(LAYOUT_SHIFT, video.element_handle()) == 0
    assert page.console_errors == [] and page.page_errors == [] and page.failed_requests == []
    assert page.other_origins == []


def test_lightbox_steps_onto_a_clip_and_pauses_it_on_the_next_step_and_on_back(open_page, site_url):
    page = open_page(site_url, "phone")
    page.locator("a[data-lb]").first.tap()
    dialog = page.locator("dialog.lb")
    expect(dialog).to_have_attribute("open", "")
    page.keyboard.press("ArrowRight")
    clip = page.locator(".lb-stage video")
    expect(clip).to_have_count(1)
    expect(page.locator(".lb-count")).to_have_text("2 / 3")
    assert clip.get_attribute("playsinline") is not None and clip.get_attribute("data-lb") is None
    clip.evaluate("async v => { v.muted = true; await v.play(); }")
    assert clip.evaluate("v => !v.paused")
    held = clip.element_handle()
    page.keyboard.press("ArrowRight")  # on to the next photo: the clip stops
    expect(page.locator(".lb-count")).to_have_text("3 / 3")
    assert held.evaluate("v => v.paused")
    page.keyboard.press("ArrowLeft")
    clip = page.locator(".lb-stage video")
    clip.evaluate("async v => { v.muted = true; await v.play(); }")
    held = clip.element_handle()
    page.go_back()  # Back closes the lightbox and the clip with it
    expect(dialog).not_to_have_attribute("open", "")
    # the dialog's "close" event, which pauses the clip, comes a task after its attribute goes
    page.wait_for_function("v => v.paused", arg=held, timeout=5000)
    assert page.evaluate("() => [...document.querySelectorAll('video')].every(v => v.paused)")
    assert page.console_errors == [] and page.page_errors == []


def test_without_javascript_the_clip_is_a_plain_playable_video(open_page, site_url):
    page = open_page(site_url, "phone", java_script_enabled=False)
    videos = page.locator("video")
    expect(videos).to_have_count(2)
    for i in range(2):
        assert videos.nth(i).get_attribute("controls") is not None
        assert videos.nth(i).locator("source").get_attribute("type") == "video/mp4"


def test_a_focused_video_shows_a_focus_ring(open_page, site_url):
    page = open_page(site_url, "desktop")
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.tagName") == "VIDEO":
            break
    style = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth]; }"
    )
    assert style == ["solid", "3px"]
