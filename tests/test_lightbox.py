"""The gallery lightbox of the default theme (themes/default/static/js/site.js), driven in headless Chromium.

A small site with one project whose gallery holds four photos of different colours is built once for the
module and served on loopback; the lightbox is then opened by click, keyboard, swipe, the URL fragment and
the Back button, at a phone viewport (390×844, touch) and on the desktop (1280×800), and the plain links
are checked with JavaScript off. Every page must end without console errors, uncaught exceptions or failed
requests.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterator
from pathlib import Path

import browser as browser_helpers
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.conftest import BASE_FILES, SITE_TOML, jpeg_bytes
from yunzhan.pipeline import BuildOptions, build

# pytest fixtures from tests/browser.py (assigned, not imported, so that linters see them used)
browser, open_page = browser_helpers.browser, browser_helpers.open_page

pytestmark = pytest.mark.browser

# file, alt, caption, credit, colour
PHOTOS = [
    ("a.jpg", "红色样张", "车间全景", "王工", (200, 30, 30)),
    ("b.jpg", "绿色样张", "精密加工", "李工", (30, 170, 60)),
    ("c.jpg", "蓝色样张", "检测现场", "赵工", (40, 60, 210)),
    ("d.jpg", "黄色样张", "成品展示", "钱工", (230, 200, 30)),
]
N = len(PHOTOS)
VIEWPORTS = ["phone", "desktop"]

THUMBS = "a[data-lb]"
DIALOG = "dialog.lb"
STAGE_IMG = ".lb-stage img"
PRE_IMG = ".lb-pre img"
IN_DIALOG = "() => !!document.activeElement && !!document.activeElement.closest('dialog.lb')"


def _caption(n: int) -> str:
    """The lightbox caption of picture n (1-based): the figcaption's text, whitespace collapsed."""
    _, _, caption, credit, _ = PHOTOS[n - 1]
    return f"{caption} 图片：{credit}"


@pytest.fixture(scope="module")
def gallery_url(tmp_path_factory) -> Iterator[str]:
    """Build the site once (as tests/conftest.py's make_site would, but module-scoped) and serve it.

    Yields the URL of the project page that holds the gallery.
    """
    tmp = tmp_path_factory.mktemp("lightbox")
    site = tmp / "site"
    items = "".join(
        f"  - src: {src}\n    alt: {alt}\n    caption: {caption}\n    credit: {credit}\n"
        for src, alt, caption, credit, _ in PHOTOS
    )
    files: dict[str, str | bytes] = {
        **{rel: textwrap.dedent(body) for rel, body in BASE_FILES.items()},
        "content/projects/g/index.md": (
            "---\ntitle: 图集\ncategory: 创新项目\nzone: gusu\ngallery:\n" + items + "---\n四张图。\n"
        ),
        **{f"content/projects/g/{src}": jpeg_bytes(color=colour) for src, *_, colour in PHOTOS},
    }
    site.mkdir()
    toml = SITE_TOML + "\n[publish]\nshare_cards = false\nshare_posters = false\n"
    (site / "site.toml").write_text(toml, encoding="utf-8")
    for rel, body in files.items():
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(body, bytes):
            path.write_bytes(body)
        else:
            path.write_text(body, encoding="utf-8")
    result = build(BuildOptions(site_dir=site, cache_dir=tmp / "cache"))
    assert (Path(result.output_dir) / "projects" / "g" / "index.html").is_file()
    with browser_helpers.served(result.output_dir) as base:
        yield base + "projects/g/"


# ------------------------------------------------------------------------------------------------ helpers


def _thumb(page: Page, n: int):
    return page.locator(THUMBS).nth(n - 1)


def _media_folder(page: Page, n: int) -> str:
    """The folder of picture n's derivatives ("/media/<hash>/"), from its thumbnail link."""
    href = _thumb(page, n).get_attribute("href")
    assert href
    return href.rsplit("/", 1)[0] + "/"


def _open(page: Page, n: int, viewport: str) -> None:
    """Open picture n the way a visitor would: a tap on the phone, a click on the desktop."""
    thumb = _thumb(page, n)
    if viewport == "phone":
        thumb.tap()
    else:
        thumb.click()
    expect(page.locator(DIALOG)).to_have_attribute("open", "")


def _expect_showing(page: Page, url: str, n: int) -> None:
    """The lightbox is open on picture n: counter, caption, image, fragment."""
    expect(page.locator(DIALOG)).to_have_attribute("open", "")
    expect(page.locator(".lb-count")).to_have_text(f"{n} / {N}")
    expect(page.locator(".lb-cap")).to_have_text(_caption(n))
    expect(page.locator(STAGE_IMG)).to_have_attribute("alt", PHOTOS[n - 1][1])
    expect(page).to_have_url(f"{url}#photo-{n}")


def _expect_closed(page: Page, url: str) -> None:
    expect(page.locator(DIALOG)).not_to_have_attribute("open", "")
    expect(page).to_have_url(url)  # the fragment is gone (close() goes Back, which is asynchronous)
    expect(page.locator("html")).not_to_have_class("lb-open")


def _mark_document(page: Page) -> None:
    """Tag the current document, to tell later that no navigation replaced it."""
    page.evaluate("() => { window.__lightboxProbe = 'same document'; }")


def _same_document(page: Page) -> bool:
    return page.evaluate("() => window.__lightboxProbe") == "same document"


def _assert_clean(page: Page) -> None:
    assert page.console_errors == []
    assert page.page_errors == []
    assert page.failed_requests == []
    assert page.other_origins == []


def _touch_swipe(page: Page, x0: float, x1: float, y: float) -> None:
    """A real one-finger horizontal swipe, through the DevTools protocol (Chromium makes the pointer events)."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x0, "y": y}]})
        for i in range(1, 9):
            x = x0 + (x1 - x0) * i / 8
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    finally:
        cdp.detach()


def _boxes(page: Page) -> tuple[dict, dict]:
    """Bounding boxes of the lightbox's picture and of its stage (the area around it), once the picture has
    loaded and its box has stopped changing (measuring mid-layout made a slow machine see a full-width box)."""
    page.wait_for_function(
        """(sel) => { const i = document.querySelector(sel);
            if (!i || !i.complete || !i.naturalWidth) return false;
            const w = i.getBoundingClientRect().width, last = window.__lbWidth;
            window.__lbWidth = w;
            return last === w; }""",
        arg=STAGE_IMG,
        polling=100,
    )
    img, stage = page.locator(STAGE_IMG).bounding_box(), page.locator(".lb-stage").bounding_box()
    assert img and stage and img["width"] > 100 and img["height"] > 100, (img, stage)
    return img, stage


def _hit(page: Page, x: float, y: float) -> str:
    """What a pointer at (x, y) lands on: "img", "stage" or something else."""
    return page.evaluate(
        """([x, y]) => { const e = document.elementFromPoint(x, y);
            return !e ? '' : e.matches('.lb-stage img') ? 'img' : e.matches('.lb-stage') ? 'stage' : e.outerHTML; }""",
        [x, y],
    )


# -------------------------------------------------------------------------------------------------- tests


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_thumbnail_opens_modal_dialog_on_that_picture(gallery_url, open_page, viewport):
    page = open_page(gallery_url, viewport)
    assert page.locator(THUMBS).count() == N
    expect(page.locator(DIALOG)).to_have_count(0)  # built on first use

    _open(page, 2, viewport)
    _expect_showing(page, gallery_url, 2)
    dialog = page.locator(DIALOG)
    assert dialog.evaluate("d => d.matches(':modal')")
    expect(page.locator("html")).to_have_class("lb-open")
    expect(page.locator(".lb-close")).to_be_focused()
    assert page.evaluate(IN_DIALOG)

    # the thumbnail's <picture> re-targeted at the whole screen, and actually loaded
    img = page.locator(STAGE_IMG)
    expect(img).to_have_attribute("sizes", "100vw")
    page.wait_for_function(
        "() => { const i = document.querySelector('.lb-stage img'); return i.complete && i.naturalWidth > 0; }"
    )
    assert _media_folder(page, 2) in img.evaluate("i => i.currentSrc")
    _assert_clean(page)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_arrow_keys_and_buttons_step_and_wrap(gallery_url, open_page, viewport):
    page = open_page(gallery_url, viewport)
    _open(page, 2, viewport)
    length = page.evaluate("history.length")

    page.keyboard.press("ArrowRight")
    _expect_showing(page, gallery_url, 3)
    page.keyboard.press("ArrowLeft")
    _expect_showing(page, gallery_url, 2)

    # site.js wraps around at both ends
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    _expect_showing(page, gallery_url, 4)
    page.keyboard.press("ArrowRight")
    _expect_showing(page, gallery_url, 1)
    page.keyboard.press("ArrowLeft")
    _expect_showing(page, gallery_url, 4)

    # the on-screen buttons do the same
    page.locator(".lb-next").click()
    _expect_showing(page, gallery_url, 1)
    page.locator(".lb-prev").click()
    _expect_showing(page, gallery_url, 4)

    # stepping replaces the history entry: Back will close the lightbox, not walk through the pictures
    assert page.evaluate("history.length") == length
    _assert_clean(page)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_tab_and_shift_tab_keep_focus_in_the_dialog(gallery_url, open_page, viewport):
    page = open_page(gallery_url, viewport)
    _open(page, 2, viewport)
    seen = set()
    for key in ["Tab"] * 5 + ["Shift+Tab"] * 5:
        page.keyboard.press(key)
        assert page.evaluate(IN_DIALOG), f"focus left the dialog after {key}"
        seen.add(page.evaluate("() => document.activeElement.getAttribute('aria-label')"))
    assert seen == {"关闭", "上一张", "下一张"}
    _expect_showing(page, gallery_url, 2)  # Tab does not step or close
    _assert_clean(page)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_escape_closes_and_returns_focus(gallery_url, open_page, viewport):
    page = open_page(gallery_url, viewport)
    _mark_document(page)
    _open(page, 2, viewport)
    page.keyboard.press("Escape")
    _expect_closed(page, gallery_url)
    expect(_thumb(page, 2)).to_be_focused()

    # after stepping, focus goes to the thumbnail of the picture that was on screen
    _open(page, 2, viewport)
    page.keyboard.press("ArrowRight")
    _expect_showing(page, gallery_url, 3)
    page.keyboard.press("Escape")
    _expect_closed(page, gallery_url)
    expect(_thumb(page, 3)).to_be_focused()

    # the close button does the same
    _open(page, 1, viewport)
    page.locator(".lb-close").click()
    _expect_closed(page, gallery_url)
    expect(_thumb(page, 1)).to_be_focused()
    assert _same_document(page)
    _assert_clean(page)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_back_button_closes_and_forward_reopens(gallery_url, open_page, viewport):
    page = open_page(gallery_url, viewport)
    _mark_document(page)
    _open(page, 2, viewport)
    page.keyboard.press("ArrowRight")
    _expect_showing(page, gallery_url, 3)

    page.go_back()
    _expect_closed(page, gallery_url)
    assert _same_document(page), "Back left the page instead of closing the lightbox"
    expect(_thumb(page, 3)).to_be_focused()

    page.go_forward()
    _expect_showing(page, gallery_url, 3)
    assert _same_document(page)
    _assert_clean(page)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_photo_fragment_opens_that_picture(gallery_url, open_page, viewport):
    page = open_page(gallery_url + "#photo-3", viewport)
    _mark_document(page)
    _expect_showing(page, gallery_url, 3)
    # Escape closes a picture opened by the link (no click beforehand) and removes the fragment, on the page
    page.keyboard.press("Escape")
    _expect_closed(page, gallery_url)
    assert _same_document(page)
    expect(_thumb(page, 3)).to_be_focused()
    _assert_clean(page)

    # and so does the close button
    page = open_page(gallery_url + "#photo-4", viewport)
    _expect_showing(page, gallery_url, 4)
    page.locator(".lb-close").click()
    _expect_closed(page, gallery_url)
    expect(_thumb(page, 4)).to_be_focused()
    _assert_clean(page)


def _home(gallery_url: str) -> str:
    """The site's home page, to have a page before the gallery's in the history."""
    return gallery_url.removesuffix("projects/g/")


def _assert_clean_after_leaving(page: Page) -> None:
    """_assert_clean for a test that leaves the page, which cancels what it was still fetching: the lightbox's
    pictures, the favicon (Chromium fetches it again after every change of URL, the fragment's too)."""
    page.failed_requests = [r for r in page.failed_requests if not r.endswith("(net::ERR_ABORTED)")]
    _assert_clean(page)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_photo_fragment_adds_no_history_entry(gallery_url, open_page, viewport):
    """A link to #photo-2 opens the picture in the entry the link made: one Back returns to where the link was."""
    page = open_page(_home(gallery_url), viewport)
    length = page.evaluate("history.length")
    page.goto(gallery_url + "#photo-2")
    _expect_showing(page, gallery_url, 2)
    assert page.evaluate("history.length") == length + 1, "opening the picture added a history entry"
    page.go_back()
    expect(page).to_have_url(_home(gallery_url))
    _assert_clean_after_leaving(page)


@pytest.mark.parametrize("close", ["Back", "Escape"])
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_reload_at_a_picture_adds_no_history_entry(gallery_url, open_page, viewport, close):
    """Opened by a click, then reloaded: the same picture in the same entry. Back (or Escape) closes it, going
    back to the entry below, and one more Back leaves the page."""
    page = open_page(_home(gallery_url), viewport)
    page.goto(gallery_url)
    _open(page, 2, viewport)
    length = page.evaluate("history.length")
    page.reload()
    _expect_showing(page, gallery_url, 2)
    assert page.evaluate("history.length") == length, "the reload added a history entry"

    if close == "Back":
        page.go_back()
    else:
        page.keyboard.press("Escape")
    expect(page).to_have_url(gallery_url)
    expect(page.locator(DIALOG + "[open]")).to_have_count(0)
    expect(page.locator("html")).not_to_have_class("lb-open")
    assert page.evaluate("history.length") == length
    page.go_back()
    expect(page).to_have_url(_home(gallery_url))
    _assert_clean_after_leaving(page)


def test_in_page_link_to_a_picture_closes_back_to_the_page(gallery_url, open_page):
    page = open_page(gallery_url, "desktop")
    _mark_document(page)
    length = page.evaluate("history.length")
    # a new entry above the page, as a link to #photo-2 on the page makes
    page.evaluate("() => { location.hash = '#photo-2'; }")
    _expect_showing(page, gallery_url, 2)
    assert page.evaluate("history.length") == length + 1
    page.keyboard.press("Escape")
    _expect_closed(page, gallery_url)
    page.go_forward()  # the picture's entry is above the page again, as after Back
    _expect_showing(page, gallery_url, 2)
    page.go_back()
    _expect_closed(page, gallery_url)
    assert _same_document(page)
    _assert_clean(page)


@pytest.mark.parametrize("how", ["page load", "in-page link"])
def test_photo_fragment_puts_focus_in_the_dialog(gallery_url, open_page, how):
    if how == "page load":
        page = open_page(gallery_url + "#photo-2", "desktop")
    else:
        page = open_page(gallery_url, "desktop")
        page.evaluate("() => { location.hash = '#photo-2'; }")
    _expect_showing(page, gallery_url, 2)
    _assert_clean(page)
    assert page.evaluate(IN_DIALOG), page.evaluate("() => document.activeElement.outerHTML.slice(0, 80)")
    page.keyboard.press("ArrowRight")
    _expect_showing(page, gallery_url, 3)


def test_unknown_photo_fragment_is_left_alone(gallery_url, open_page):
    for fragment in ("#photo-0", f"#photo-{N + 1}", "#photo-x"):
        page = open_page(gallery_url + fragment, "phone")
        expect(page.locator(DIALOG)).to_have_count(0)
        expect(page).to_have_url(gallery_url + fragment)
        _assert_clean(page)


def test_touch_swipe_steps_on_the_phone(gallery_url, open_page):
    page = open_page(gallery_url, "phone")
    _open(page, 2, "phone")
    img, stage = _boxes(page)
    # on the picture, below the prev/next buttons (they sit over it at mid-height on a phone)
    left, right, y = (
        img["x"] + img["width"] * 0.25,
        img["x"] + img["width"] * 0.75,
        img["y"] + img["height"] * 0.85,
    )
    assert _hit(page, left, y) == _hit(page, right, y) == "img"

    _touch_swipe(page, right, left, y)  # right to left: next
    _expect_showing(page, gallery_url, 3)
    _touch_swipe(page, left, right, y)  # left to right: previous
    _expect_showing(page, gallery_url, 2)
    _touch_swipe(page, left, right, y)
    _touch_swipe(page, left, right, y)  # and round the end
    _expect_showing(page, gallery_url, 4)

    _touch_swipe(page, right, right - 25, y)  # too short: nothing
    _expect_showing(page, gallery_url, 4)
    page.touchscreen.tap(left, y)  # a tap on the picture keeps it open
    _expect_showing(page, gallery_url, 4)

    # a tap on the empty stage above the picture closes it
    x, above = img["x"] + img["width"] / 2, (stage["y"] + img["y"]) / 2
    assert _hit(page, x, above) == "stage"
    page.touchscreen.tap(x, above)
    _expect_closed(page, gallery_url)
    expect(_thumb(page, 4)).to_be_focused()
    _assert_clean(page)


def test_mouse_drag_steps_on_the_desktop_and_does_not_close(gallery_url, open_page):
    page = open_page(gallery_url, "desktop")
    _open(page, 2, "desktop")
    img, stage = _boxes(page)
    x, y = img["x"] + img["width"] / 2, img["y"] + img["height"] * 0.85
    beside = (stage["x"] + img["x"]) / 2  # the empty stage left of the picture
    assert _hit(page, x, y) == "img" and _hit(page, beside, y) == "stage"

    # a drag that ends on the empty stage, where a plain click would close the lightbox
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(beside, y, steps=8)
    page.mouse.up()
    _expect_showing(page, gallery_url, 3)
    # and one that starts there
    page.mouse.down()
    page.mouse.move(x, y, steps=8)
    page.mouse.up()
    _expect_showing(page, gallery_url, 2)
    # a click on the picture keeps it open, a click beside it closes it
    page.mouse.click(x, y)
    _expect_showing(page, gallery_url, 2)
    page.mouse.click(beside, y)
    _expect_closed(page, gallery_url)
    _assert_clean(page)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_next_picture_is_preloaded(gallery_url, open_page, viewport):
    page = open_page(gallery_url, viewport)
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    loaded = (
        "() => { const i = document.querySelector('.lb-pre img'); return i.complete && i.naturalWidth > 0; }"
    )

    before = len(requested)
    _open(page, 2, viewport)
    pre = page.locator(PRE_IMG)
    expect(pre).to_have_count(1)  # site.js preloads with a hidden copy of the next <picture>, sizes="100vw"
    expect(pre).to_have_attribute("alt", PHOTOS[2][1])
    expect(pre).to_have_attribute("sizes", "100vw")
    page.wait_for_function(loaded)
    src = pre.evaluate("i => i.currentSrc")
    assert _media_folder(page, 3) in src
    if viewport == "desktop":
        # the thumbnails are drawn smaller than the lightbox: the preload is a request of its own
        assert src not in requested[:before] and src in requested[before:]

    page.keyboard.press("ArrowRight")
    _expect_showing(page, gallery_url, 3)
    expect(page.locator(STAGE_IMG)).to_have_js_property("currentSrc", src)  # the preloaded file

    # at the last picture the next one is the first
    page.keyboard.press("ArrowRight")
    _expect_showing(page, gallery_url, 4)
    expect(pre).to_have_attribute("alt", PHOTOS[0][1])
    page.wait_for_function(loaded)
    assert _media_folder(page, 1) in pre.evaluate("i => i.currentSrc")
    _assert_clean(page)


def test_without_javascript_thumbnails_link_to_large_images(gallery_url, open_page):
    page = open_page(gallery_url, "phone", java_script_enabled=False)
    links = page.locator(THUMBS)
    expect(links).to_have_count(N)
    for n in range(1, N + 1):
        link = _thumb(page, n)
        assert link.evaluate("a => a.tagName") == "A"
        href = link.evaluate("a => a.href")
        response = page.context.request.get(href)
        assert response.status == 200, href
        assert response.headers["content-type"].startswith("image/"), href
        widths = [
            int(part.strip().split()[1][:-1])
            for part in link.locator("img").get_attribute("srcset").split(",")
        ]
        with Image.open(io.BytesIO(response.body())) as im:
            assert im.width == max(widths) and im.width >= 640, (href, im.size)
            pixel = im.convert("RGB").getpixel((im.width // 2, im.height // 2))
        assert all(abs(a - b) < 30 for a, b in zip(pixel, PHOTOS[n - 1][4], strict=True)), (n, pixel)
    expect(page.locator("dialog")).to_have_count(0)

    href = _thumb(page, 2).evaluate("a => a.href")
    _thumb(page, 2).click()
    expect(page).to_have_url(href)
    _assert_clean(page)
