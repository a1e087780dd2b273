"""The craftsman directory (技术处方), the hall map and the 请求技术服务 call to action, on the demo site.

The demo is built once from its copy in a temporary folder (conftest.demo_site, whose image cache the other
tests of the session share); the directory is then driven in headless Chromium at 390×844, with and
without JavaScript, and its results compared with the craftsmen's records.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import browser as browser_helpers
import pytest

from yunzhan.config import load_config
from yunzhan.content import load_content
from yunzhan.pipeline import BuildOptions, build

# pytest fixtures from tests/browser.py (assigned, not imported, so that linters see them used)
browser, open_page, served_dir = (
    browser_helpers.browser,
    browser_helpers.open_page,
    browser_helpers.served_dir,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo(demo_site, tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("directory") / "output"
    build(BuildOptions(site_dir=demo_site, output_dir=output))  # the copy's cache: shared with other tests
    return output


@pytest.fixture(scope="module")
def craftsmen() -> list[dict]:
    """The demo's craftsmen as the records say: name, url path, industry, district, specialties, card text."""
    config = load_config(ROOT)
    loaded = load_content(ROOT, config)
    out = []
    for r in loaded.records:
        if r.collection != "craftsmen" or r.draft:
            continue
        f = r.fields
        words = [r.title, f.get("employer") or "", f.get("industry") or "", f.get("district") or ""]
        words += list(f.get("honours") or []) + list(f.get("specialties") or [])
        out.append(
            {
                "name": r.title,
                "path": f"/craftsmen/{r.slug}/",
                "industry": f.get("industry") or "",
                "district": f.get("district") or "",
                "specialties": list(f.get("specialties") or []),
                "text": unicodedata.normalize("NFKC", " ".join(words)).lower(),
            }
        )
    assert len(out) >= 5
    return out


def _names(page) -> list[str]:
    """Names of the craftsmen the visitor can see, in page order."""
    return page.locator("[data-dir-item]:visible .dir-name").all_inner_texts()


def _expect(craftsmen: list[dict], **wanted: str) -> set[str]:
    def ok(c: dict) -> bool:
        for key, value in wanted.items():
            if key == "specialty" and value not in c["specialties"]:
                return False
            if key == "q" and not all(
                w in c["text"] for w in unicodedata.normalize("NFKC", value).lower().split()
            ):
                return False
            if key in ("industry", "district") and c[key] != value:
                return False
        return True

    return {c["name"] for c in craftsmen if ok(c)}


def _query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def _status(page) -> str:
    page.wait_for_function("() => !document.querySelector('#dir-status').textContent.includes('…')")
    return page.locator("#dir-status").inner_text()


# ------------------------------------------------------------------------------------------ without JS


@pytest.mark.browser
def test_without_javascript_the_directory_is_a_list_grouped_by_industry(
    demo, craftsmen, open_page, served_dir
):
    base = served_dir(demo)
    page = open_page(base + "craftsmen/", java_script_enabled=False)
    assert page.locator("[data-dir-item]:visible").count() == len(craftsmen)
    assert page.locator("button[aria-pressed]").count() == 0  # nothing that would not work
    groups = page.locator("[data-dir-group]")
    seen = set()
    for i in range(groups.count()):
        group = groups.nth(i)
        industry = group.locator(".dir-group-title").inner_text().split("\n")[0]
        industry = re.sub(r"\d+\s*位$", "", industry).strip()
        names = set(group.locator(".dir-name").all_inner_texts())
        assert names == {c["name"] for c in craftsmen if c["industry"] == industry}, industry
        seen |= names
    assert seen == {c["name"] for c in craftsmen}
    # chips are links to the term pages, the keyword box searches the whole site
    chip = page.locator("a.chip[data-facet='industry']").first
    assert "/industries/" in chip.get_attribute("href")
    assert page.locator("#dir-form").get_attribute("action").endswith("/search/")
    # a shared filtered link still opens the whole list
    page.goto(base + "craftsmen/?industry=装备制造")
    assert page.locator("[data-dir-item]:visible").count() == len(craftsmen)
    assert page.page_errors == [] and page.console_errors == []


# --------------------------------------------------------------------------------------------- with JS


@pytest.mark.browser
def test_chips_narrow_the_list_and_the_url_carries_them(demo, craftsmen, open_page, served_dir):
    base = served_dir(demo)
    page = open_page(base + "craftsmen/")
    total = len(craftsmen)
    assert _status(page) == f"共 {total} 位劳模工匠"
    industry_chip = page.locator("button.chip[data-facet='industry'][data-value='装备制造']")
    assert industry_chip.get_attribute("aria-pressed") == "false"

    industry_chip.click()
    assert industry_chip.get_attribute("aria-pressed") == "true"
    wanted = _expect(craftsmen, industry="装备制造")
    assert set(_names(page)) == wanted and len(wanted) >= 2
    assert _status(page) == f"共 {len(wanted)} 位符合条件（全部 {total} 位）"
    assert _query(page) == {"industry": ["装备制造"]}
    # groups that lost every card are hidden, the others count what they show
    assert page.locator("[data-dir-group]:visible").count() == 1

    # a district narrows further (kinds combine with "and"); it sits in a collapsed group
    district = next(c["district"] for c in craftsmen if c["industry"] == "装备制造" and c["district"])
    page.locator("details.filter-more summary", has_text="按地区").click()
    page.locator(f"button.chip[data-facet='district'][data-value='{district}']").click()
    wanted = _expect(craftsmen, industry="装备制造", district=district)
    assert set(_names(page)) == wanted and len(wanted) >= 1
    assert _query(page) == {"industry": ["装备制造"], "district": [district]}

    # a second chip of the same kind widens the choice ("or")
    other = next(c for c in craftsmen if c["industry"] not in ("装备制造", ""))
    page.locator(f"button.chip[data-facet='industry'][data-value='{other['industry']}']").click()
    page.locator(f"button.chip[data-facet='district'][data-value='{district}']").click()  # off again
    wanted = {c["name"] for c in craftsmen if c["industry"] in ("装备制造", other["industry"])}
    assert set(_names(page)) == wanted
    assert _query(page) == {"industry": ["装备制造", other["industry"]]}

    # specialties
    page.locator(".dir-clear").click()
    assert _query(page) == {} and len(_names(page)) == total
    spec = craftsmen[0]["specialties"][0]
    page.locator("details.filter-more summary", has_text="按技术专长").click()
    page.locator(f"button.chip[data-facet='specialty'][data-value='{spec}']").click()
    assert set(_names(page)) == _expect(craftsmen, specialty=spec)
    assert page.page_errors == [] and page.console_errors == []


@pytest.mark.browser
@pytest.mark.parametrize("query", ["焊接", "装备 太仓", "示例 刺绣", "ｓｍｔ", "雷雨田"])
def test_text_filter_matches_chinese(demo, craftsmen, open_page, served_dir, query):
    base = served_dir(demo)
    page = open_page(base + "craftsmen/")
    page.locator("#dir-q").fill(query)
    wanted = _expect(craftsmen, q=query)
    assert wanted, query  # each query finds someone in the demo
    page.wait_for_function(
        "(n) => document.querySelectorAll('[data-dir-item]:not([hidden])').length === n", arg=len(wanted)
    )
    assert set(_names(page)) == wanted
    assert _query(page) == {"q": [query]}
    page.wait_for_function(
        "(n) => document.querySelector('#dir-status').textContent.startsWith('共 ' + n + ' 位符合')",
        arg=len(wanted),
    )


@pytest.mark.browser
def test_opening_a_filtered_url_restores_the_filters(demo, craftsmen, open_page, served_dir):
    base = served_dir(demo)
    spec = next(s for c in craftsmen for s in c["specialties"] if c["industry"] == "装备制造")
    page = open_page(base + f"craftsmen/?industry=装备制造&specialty={spec}&q=工&from=singlemessage")
    assert page.locator("button.chip[data-value='装备制造']").get_attribute("aria-pressed") == "true"
    assert page.locator(f"button.chip[data-value='{spec}']").get_attribute("aria-pressed") == "true"
    assert page.locator(f"button.chip[data-value='{spec}']").is_visible()  # its collapsed group was opened
    assert page.locator("#dir-q").input_value() == "工"
    wanted = _expect(craftsmen, industry="装备制造", specialty=spec, q="工")
    assert set(_names(page)) == wanted
    assert f"共 {len(wanted)} 位" in _status(page)
    assert (
        "from=singlemessage" in page.url
    )  # parameters that are not the directory's are kept (WeChat adds some)

    # nothing matches: say so, and one button clears everything
    page.locator("#dir-q").fill("没有这个词")
    page.locator(
        "#dir-form button[type=submit]"
    ).click()  # submitting filters in place, never leaves the page
    assert urlsplit(page.url).path.endswith("/craftsmen/")
    assert _names(page) == []
    assert page.locator(".dir-empty").is_visible()
    assert _status(page).startswith("共 0 位")
    page.locator(".dir-clear").click()
    assert len(_names(page)) == len(craftsmen)
    assert page.locator("button.chip[aria-pressed='true']").count() == 0
    assert _query(page) == {"from": ["singlemessage"]}
    assert page.evaluate("document.activeElement.id") == "dir-q"  # focus is not lost with the hidden button
    assert page.page_errors == [] and page.console_errors == []


@pytest.mark.browser
def test_chips_work_from_the_keyboard(demo, craftsmen, open_page, served_dir):
    base = served_dir(demo)
    page = open_page(base + "craftsmen/")
    chip = page.locator("button.chip[data-facet='industry']").first
    chip.focus()
    page.keyboard.press("Enter")
    assert chip.get_attribute("aria-pressed") == "true"
    value = chip.get_attribute("data-value")
    assert set(_names(page)) == _expect(craftsmen, industry=value)
    page.keyboard.press("Space")
    assert chip.get_attribute("aria-pressed") == "false"
    assert len(_names(page)) == len(craftsmen)
    assert page.locator("#dir-status").get_attribute("role") == "status"


# ---------------------------------------------------------------------------------- hall map and the CTA


def _zone_pages(demo: Path) -> set[str]:
    return {f"/zones/{p.parent.name}/" for p in (demo / "zones").glob("*/index.html")}


@pytest.mark.browser
@pytest.mark.parametrize("path", ["", "zones/"])
def test_hall_map_links_go_to_zone_pages(demo, open_page, served_dir, path):
    base = served_dir(demo)
    page = open_page(base + path)
    zones = _zone_pages(demo)
    map_links = page.locator(".hall svg a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
    list_links = page.locator(".hall-list a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
    assert map_links and set(map_links) <= zones
    assert set(list_links) == zones  # every zone is listed (the text alternative), drawn or not
    svg = page.locator(".hall svg")
    assert svg.get_attribute("aria-hidden") == "true"
    box = svg.bounding_box()
    assert box["width"] <= 390 and box["height"] > 100
    # a tap on a drawn zone opens its page
    first = page.locator(".hall svg a").first
    href = first.get_attribute("href")
    first.click()
    page.wait_for_url(re.compile(re.escape(href) + "$"))
    assert page.locator("h1").inner_text()


@pytest.mark.browser
def test_hall_map_labels_are_readable_at_320px(demo, open_page, served_dir):
    base = served_dir(demo)
    page = open_page(base + "zones/", "narrow")
    # on-screen size of each label: its font size in grid units × the drawing's pixels per unit (100 units wide)
    sizes = page.locator(".hall svg .hm-name").evaluate_all(
        "els => els.map(t => parseFloat(t.getAttribute('font-size')) *"
        " t.ownerSVGElement.getBoundingClientRect().width / 100)"
    )
    assert sizes and min(sizes) >= 11  # px on screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


def test_every_craftsman_page_ends_with_the_service_request(demo, craftsmen):
    config = load_config(ROOT)
    contact = config.contact
    assert contact.phone and contact.email and contact.wechat_url
    digits = "".join(ch for ch in contact.phone if ch in "+0123456789")
    for c in craftsmen:
        html = (demo / c["path"].strip("/") / "index.html").read_text(encoding="utf-8")
        cta = html[html.index('id="request"') :]
        assert "请求技术服务" in cta
        assert f'href="tel:{digits}"' in cta
        mailto = re.search(r'href="mailto:([^"?]+)\?subject=([^"]+)"', cta)
        assert mailto and mailto.group(1) == contact.email
        assert unquote(mailto.group(2)) == f"请求技术服务：{c['name']}"
        qr = re.search(r"<svg[^>]*>", cta).group(0)
        assert 'role="img"' in qr and "aria-label=" in qr and 'class="qr"' in qr
        assert contact.title in cta and "（示例）" in contact.title
        assert 'href="#request"' in html  # the facts box links down to it
