"""What a visitor sees: the faults a designer catches at a glance, driven in headless Chromium on the demo site.

The demo is built once for the module (image derivatives linked from the repository's cache) and served on
loopback. Each test names the fault it guards against; the share-card tests draw with Pillow directly.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import browser as browser_helpers
import pytest
from lxml import html as lxml_html
from PIL import Image

from tests import test_directory
from yunzhan import fonts, sharedraw, titlewrap

# pytest fixtures from tests/browser.py (assigned, not imported, so that linters see them used)
browser, open_page, served_dir = (
    browser_helpers.browser,
    browser_helpers.open_page,
    browser_helpers.served_dir,
)

ROOT = Path(__file__).resolve().parents[1]

# WCAG relative luminance and contrast of two computed CSS colours, in the page.
CONTRAST_JS = """
([a, b]) => {
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = (c) => {
    const [r, g, b] = rgb(c).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}
"""

# The rectangle of the first character of `needle` inside `root` (text nodes walked in order), or null.
CHAR_RECT_JS = """
([root, needle]) => {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes = []; let text = "";
  for (let n = walker.nextNode(); n; n = walker.nextNode()) { nodes.push([n, text.length]); text += n.data; }
  const at = text.indexOf(needle);
  if (at < 0) return null;
  for (const [n, start] of nodes) {
    if (at < start + n.data.length) {
      const r = document.createRange(); r.setStart(n, at - start); r.setEnd(n, at - start + 1);
      const b = r.getBoundingClientRect(); return { top: b.top, bottom: b.bottom, left: b.left };
    }
  }
  return null;
}
"""

# How many lines the text of an element takes (distinct tops of its characters' boxes).
LINES_JS = """
(el) => {
  const tops = new Set();
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    for (let i = 0; i < n.data.length; i++) {
      if (!n.data[i].trim()) continue;
      const r = document.createRange(); r.setStart(n, i); r.setEnd(n, i + 1);
      const rects = r.getClientRects();
      if (rects.length) tops.add(Math.round(rects[0].top));
    }
  }
  return tops.size;
}
"""

# The number of items in each visual row of a list (grouped by their top edge).
ROWS_JS = """
(list) => {
  const rows = new Map();
  for (const li of list.children) {
    if (li.hidden || !li.offsetParent) continue;
    const top = Math.round(li.getBoundingClientRect().top);
    rows.set(top, (rows.get(top) || 0) + 1);
  }
  return [...rows.keys()].sort((a, b) => a - b).map((k) => rows.get(k));
}
"""


demo = test_directory.demo  # the demo site built once for the module (module-scoped fixture)


def _font() -> fonts.FontFace:
    font = fonts.find_cjk_font()
    if font is None:
        pytest.fail("no Chinese font: run `bash scripts/setup.sh` (fonts-noto-cjk)", pytrace=False)
    return font


# ------------------------------------------------------------------------------------------- directory chips


@pytest.mark.browser
def test_a_chosen_chip_stays_readable_under_the_finger(demo, open_page, served_dir):
    """`button.chip:hover { color: red }` outranked the pressed state: red text on red after a tap."""
    page = open_page(served_dir(demo) + "craftsmen/", "phone")
    chip = page.locator("button.chip[data-facet='industry']").first
    chip.click()
    chip.hover()  # on phones the hover state sticks after a tap
    assert chip.get_attribute("aria-pressed") == "true"
    colours = chip.evaluate("(el) => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]")
    assert page.evaluate(CONTRAST_JS, colours) >= 4.5, colours


# ------------------------------------------------------------------------------------------------- footer


@pytest.mark.browser
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_the_footer_keeps_its_padding_on_wide_screens(demo, open_page, served_dir, viewport):
    page = open_page(served_dir(demo) + "activities/", viewport)
    top, bottom = page.locator(".footer-in").evaluate(
        "(el) => [parseFloat(getComputedStyle(el).paddingTop), parseFloat(getComputedStyle(el).paddingBottom)]"
    )
    assert top >= 20 and bottom >= 20, (top, bottom)


# ------------------------------------------------------------------------------------ credits and captions


@pytest.mark.browser
def test_a_credit_line_is_not_emphasis(demo, open_page, served_dir):
    """`*封面图：…*` became <em> with emphasis dots (着重号): a credit gets its own quiet style."""
    page = open_page(served_dir(demo) + "projects/cfrp-repair/", "phone")
    credit = page.locator(".prose :is(p, em, span)", has_text=re.compile(r"^\s*封面图：")).last
    style = credit.evaluate(
        "(el) => { const s = getComputedStyle(el); const p = getComputedStyle(el.closest('.prose').querySelector('p'));"
        " return [s.textEmphasisStyle || s.webkitTextEmphasisStyle, parseFloat(s.fontSize), parseFloat(p.fontSize)]; }"
    )
    emphasis, size, body = style
    assert emphasis == "none", style
    assert size < body, style  # quieter than the text it credits


@pytest.mark.browser
def test_the_lightbox_puts_the_credit_on_its_own_line(demo, open_page, served_dir):
    page = open_page(served_dir(demo) + "projects/lf-furnace-cable/", "desktop")
    page.locator("a[data-lb]").first.click()
    bar = page.locator(".lb-bar")
    bar.wait_for()
    handle = bar.element_handle()
    caption = page.evaluate(CHAR_RECT_JS, [handle, "LF"])
    credit = page.evaluate(CHAR_RECT_JS, [handle, "图片："])
    assert caption and credit
    assert credit["top"] >= caption["bottom"] - 1, (caption, credit)


# ---------------------------------------------------------------------------------- key/value tables, phones


@pytest.mark.browser
@pytest.mark.parametrize("path", ["about/", "projects/tianlong-2/", "craftsmen/lei-yutian/"])
def test_table_labels_do_not_break_mid_word_on_phones(demo, open_page, served_dir, path):
    """'展览名/称', '张家港/市', '2024年8/月10日': the first column of a table wrapped inside its words."""
    page = open_page(served_dir(demo) + path, "phone")
    cells = page.locator(".prose table tr > :first-child")
    assert cells.count() > 1
    for i in range(cells.count()):
        cell = cells.nth(i)
        assert cell.evaluate(LINES_JS) == 1, f"{path}: {cell.inner_text()!r} wraps"


def test_key_value_tables_have_no_generic_header(demo):
    """A table of 展览名称/主题/展期… needs no '项目 | 内容' header row; its labels head their rows."""
    doc = lxml_html.fromstring((demo / "about" / "index.html").read_text(encoding="utf-8"))
    table = doc.xpath("//*[contains(@class, 'prose')]//table")[0]
    assert not table.xpath(".//thead"), lxml_html.tostring(table, encoding="unicode")[:200]
    labels = [th.text_content() for th in table.xpath(".//tbody/tr/th[@scope='row']")]
    assert labels[:3] == ["展览名称", "主题", "展期"]


# -------------------------------------------------------------------------------------------- card images


def test_a_card_falls_back_to_the_first_gallery_photo(demo):
    """The LF 精炼炉 project has three gallery photos and no cover: its card showed a letter tile."""
    for listing in ("projects/index.html", "zones/zhuqixing/index.html"):
        doc = lxml_html.fromstring((demo / listing).read_text(encoding="utf-8"))
        card = next(
            c for c in doc.xpath("//article[contains(@class, 'card')]") if "LF 精炼炉" in c.text_content()
        )
        assert card.xpath(".//*[contains(@class, 'card-media')]//img"), listing
        assert not card.xpath(".//*[contains(@class, 'card-letter')]"), listing


# -------------------------------------------------------------------------------------------- share images


WORDS = ("苏州市", "劳模", "工匠", "人才", "创新", "成果展", "精炼炉", "水冷", "电缆", "诊断", "职工")


@pytest.mark.parametrize("title", ["苏州市劳模工匠人才创新成果展", "LF 精炼炉水冷电缆扭绞问题现场诊断"])
def test_share_titles_break_between_words(title):
    """The site-wide card broke '人才创 / 新成果展'. At every width, lines end between words."""
    face = _font().at(68)
    for width in range(300, 1000, 20):
        lines = titlewrap.wrap(title, face, width, 4)
        if lines[-1].endswith("…"):
            continue
        joined = "|".join(lines)
        for word in WORDS:
            if word in title:
                assert word in joined.replace(" ", ""), f"{width}px: {lines}"
                broken = [word[:k] + "|" + word[k:] for k in range(1, len(word))]
                assert not any(b in joined for b in broken), f"{width}px: {lines}"


def test_the_site_card_title_breaks_between_words():
    _, lines = titlewrap.fit_title("苏州市劳模工匠人才创新成果展", _font(), 742, (68, 60, 52, 46), 3)
    assert "".join(lines) == "苏州市劳模工匠人才创新成果展"
    assert not any(line.endswith(("创", "人", "成")) for line in lines[:-1]), lines


def test_the_poster_shows_the_whole_cover(tmp_path):
    """The poster cropped a 4:3 cover at its sides, cutting off what sits at the edge (a watermark, a credit)."""
    cover = tmp_path / "cover.jpg"
    im = Image.new("RGB", (1600, 1200), (235, 235, 235))
    for x, y in ((0, 0), (1520, 0), (0, 1120), (1520, 1120)):
        im.paste((230, 0, 200), (x, y, x + 80, y + 80))  # a magenta mark in each corner
    im.save(cover, quality=95)
    poster = Image.open(
        io.BytesIO(sharedraw.share_poster("苏绣", "姑苏展区", cover, "https://e.org/x/", "展", _font()))
    )
    photo = poster.crop((0, 0, 1080, 1000)).convert("RGB")
    w, h = photo.size
    for name, box in {
        "top left": (0, 0, w // 2, h // 2),
        "top right": (w // 2, 0, w, h // 2),
        "bottom left": (0, h // 2, w // 2, h),
        "bottom right": (w // 2, h // 2, w, h),
    }.items():
        data = photo.crop(box).tobytes()
        pixels = zip(data[0::3], data[1::3], data[2::3], strict=True)
        magenta = sum(1 for r, g, b in pixels if r > 180 and g < 80 and b > 150)
        assert magenta > 1500, f"the {name} corner of the cover is cut off ({magenta} px)"


# ------------------------------------------------------------------------------------------------- grids


@pytest.mark.browser
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_home_grids_leave_no_orphans(demo, open_page, served_dir, viewport):
    """5 featured in 4 columns, 6 craftsmen in 5, 3 activities in 4: every row of a card grid is full."""
    page = open_page(served_dir(demo), viewport)
    lists = page.locator("main ul.cards")
    assert lists.count() >= 3
    for i in range(lists.count()):
        lst = lists.nth(i)
        lst.scroll_into_view_if_needed()
        rows = lst.evaluate(ROWS_JS)
        assert len(set(rows)) == 1, f"list {i + 1}: items per row {rows}"


@pytest.mark.browser
def test_directory_groups_of_one_card_share_a_row(demo, open_page, served_dir):
    page = open_page(served_dir(demo) + "craftsmen/", "desktop")
    width = page.locator(".directory").evaluate("(el) => el.getBoundingClientRect().width")
    rows = page.locator(".dir-group").evaluate_all(
        """(groups) => {
          const rows = new Map();
          for (const g of groups) {
            const cards = [...g.querySelectorAll('.dir-card')].map((c) => c.getBoundingClientRect());
            const top = Math.round(g.getBoundingClientRect().top);
            const used = cards.filter((c) => Math.round(c.top) === Math.round(cards[0].top))
              .reduce((sum, c) => sum + c.width, 0);
            rows.set(top, (rows.get(top) || 0) + used);
          }
          return [...rows.values()];
        }"""
    )
    assert all(used >= width * 0.9 for used in rows), (width, rows)


# ------------------------------------------------------------------------------ headings opening with “


def _ink_left(png: bytes) -> int:
    """The first column (from the left) with a pixel darker than the background."""
    im = Image.open(io.BytesIO(png)).convert("L")
    bg = im.getpixel((0, 0))
    w, h = im.size
    for x in range(w):
        if any(abs(im.getpixel((x, y)) - bg) > 80 for y in range(h)):
            return x
    return w


@pytest.mark.browser
@pytest.mark.parametrize("path", ["activities/", "activities/wanming-zhigong/", "zones/zhuqixing/"])
def test_headings_opening_with_a_quotation_mark_are_not_indented(demo, open_page, served_dir, path):
    """Hanging punctuation: the ink of “ starts where the ink of any other first character would."""
    page = open_page(served_dir(demo) + path, "desktop")
    page.add_style_tag(content="h1::before, h2::before, h3::before { visibility: hidden !important; }")
    heads = page.locator("main :is(h1, h2, h3)", has_text=re.compile(r"^\s*“"))
    assert heads.count() >= 1
    for i in range(heads.count()):
        head = heads.nth(i)
        head.scroll_into_view_if_needed()
        box = head.evaluate(
            """(el) => { const r = el.getBoundingClientRect(), s = getComputedStyle(el);
            return { x: r.left + parseFloat(s.paddingLeft) + parseFloat(s.borderLeftWidth), y: r.top,
                     h: r.height, em: parseFloat(s.fontSize) }; }"""
        )
        em = box["em"]
        clip = {"x": box["x"] - em, "y": box["y"], "width": 3 * em, "height": min(box["h"], 1.6 * em)}
        ink = _ink_left(page.screenshot(clip=clip)) - em
        assert -0.25 * em <= ink <= 0.2 * em, f"{path}: {head.inner_text()!r} ink starts {ink / em:.2f} em in"


# ------------------------------------------------------------------------------------- activities timeline


@pytest.mark.browser
def test_the_activities_timeline_uses_the_width_and_shows_pictures(demo, open_page, served_dir):
    page = open_page(served_dir(demo) + "activities/", "desktop")
    wrap = page.locator("main .wrap").first.evaluate(
        "(el) => el.getBoundingClientRect().width - parseFloat(getComputedStyle(el).paddingLeft) * 2"
    )
    width = page.locator(".timeline").evaluate("(el) => el.getBoundingClientRect().width")
    assert width >= 0.9 * wrap, (width, wrap)
    items = page.locator(".tl-item")
    for i in range(items.count()):
        item = items.nth(i)
        item.scroll_into_view_if_needed()
        img = item.locator("img")
        assert img.count() == 1, item.inner_text()
        assert img.evaluate(
            "(el) => el.complete && el.naturalWidth > 0 && el.getBoundingClientRect().width > 100"
        )


# ------------------------------------------------------------------------------ search that explains itself


def _search(open_page, url: str, query: str, viewport: str = "phone"):
    page = open_page(f"{url}search/?q={query}", viewport)
    page.locator("#search-results li").first.wait_for()
    return page


@pytest.mark.browser
def test_search_marks_the_match_in_the_title(demo, open_page, served_dir):
    page = _search(open_page, served_dir(demo), "热处理")
    marks = page.locator("#search-results li mark")
    assert marks.count() >= 1
    assert marks.first.inner_text() == "热处理"


@pytest.mark.browser
def test_search_says_when_a_title_matched_by_pinyin_initials(demo, open_page, served_dir):
    page = _search(open_page, served_dir(demo), "lyt")
    first = page.locator("#search-results li").first
    assert "雷雨田" in first.inner_text()
    why = first.locator(".sr-why")
    assert why.count() == 1 and "拼音" in why.inner_text() and "lyt" in why.inner_text()


@pytest.mark.browser
def test_zone_results_do_not_repeat_their_name(demo, open_page, served_dir):
    page = _search(open_page, served_dir(demo), "张家港展区")
    for li in page.locator("#search-results li").all():
        title = li.locator(".sr-title").inner_text()
        assert title not in li.locator(".sr-meta").inner_text(), li.inner_text()


@pytest.mark.browser
def test_on_phones_the_first_result_is_above_the_fold(demo, open_page, served_dir):
    page = _search(open_page, served_dir(demo), "热处理")
    box = page.locator("#search-results li").first.bounding_box()
    # 844 px less what WeChat's title bar, the status bar and the home indicator take (about 250 px)
    assert box["y"] + box["height"] <= 844 - 250, box
    page.locator("summary", has_text="筛选").click()  # the filters are one tap away
    assert page.locator("select[name='z']").is_visible()


# ------------------------------------------------------------------------------------ dark mode, care mode

PAGE_TYPES = [
    "",
    "zones/",
    "zones/zhuqixing/",
    "projects/",
    "projects/lf-furnace-cable/",
    "craftsmen/",
    "craftsmen/lei-yutian/",
    "activities/",
    "activities/wanming-zhigong/",
    "about/",
    "industries/",
    "industries/zhuang-bei-zhi-zao/",
    "search/?q=热处理",
    "guide/",
    "no-such-page/",
]


def _axe_contrast(page) -> list[str]:
    """axe-core's colour-contrast rule (WCAG 2 AA) on the page as shown, after scrolling everything into view."""
    page.evaluate(
        "async () => { for (let y = 0; y < document.body.scrollHeight; y += 600) { scrollTo(0, y);"
        " await new Promise((r) => requestAnimationFrame(r)); } scrollTo(0, 0); }"
    )
    page.add_script_tag(path=str(browser_helpers._a.AXE_JS))
    result = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['color-contrast'], resultTypes: ['violations']}))"
        ".violations.flatMap((v) => v.nodes.map((n) => n.target.join(' ') + ': ' + n.failureSummary))"
    )
    return result


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", PAGE_TYPES)
def test_every_page_type_passes_contrast_in_both_schemes(demo, open_page, served_dir, path, scheme):
    page = open_page(served_dir(demo) + path, "phone", color_scheme=scheme)
    if path.startswith("search/"):
        page.locator("#search-results li").first.wait_for()
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    dark = page.evaluate(CONTRAST_JS, [background, "rgb(0, 0, 0)"]) < 2
    assert dark == (scheme == "dark"), background
    assert _axe_contrast(page) == []


CARE_JS = """() => {
  const body = getComputedStyle(document.body), size = parseFloat(body.fontSize);
  const small = [];
  for (const el of document.querySelectorAll('main *, header *, footer *')) {
    if (!el.offsetParent || ![...el.childNodes].some((n) => n.nodeType === 3 && n.data.trim())) continue;
    if (el.closest('.vh, svg, [aria-hidden=true]')) continue;
    const fs = parseFloat(getComputedStyle(el).fontSize);
    if (fs < 18) small.push(el.tagName + '.' + el.className + ' ' + fs + 'px');
  }
  return { size, line: parseFloat(body.lineHeight) / size, small: small.slice(0, 5),
           wide: document.scrollingElement.scrollWidth - document.documentElement.clientWidth };
}"""


@pytest.mark.browser
def test_care_mode_switch_persists_across_pages(demo, open_page, served_dir):
    url = served_dir(demo)
    page = open_page(url, "phone")
    switch = page.locator("#care")
    assert switch.is_visible() and "大字" in switch.inner_text()
    switch.click()
    page.goto(url + "projects/lf-furnace-cable/")
    facts = page.evaluate(CARE_JS)
    assert facts["size"] >= 18 and facts["line"] >= 1.5 and not facts["small"], facts
    assert page.locator("#care").get_attribute("aria-pressed") == "true"
    page.locator("#care").click()  # and off again
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") < 18


@pytest.mark.browser
def test_care_mode_works_without_javascript(demo, open_page, served_dir):
    page = open_page(served_dir(demo) + "activities/", "phone", java_script_enabled=False)
    page.locator("#care").click()
    facts = page.evaluate(CARE_JS)
    assert facts["size"] >= 18 and not facts["small"], facts
    page.locator(".care-off").click()
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") < 18


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", PAGE_TYPES)
def test_care_mode_on_every_page_type(demo, open_page, served_dir, path, scheme):
    """18 px and up, line height 1.5 and up, contrast 7:1 (axe's enhanced rule), no sideways scroll at 320 px,
    nor at 200 % text size."""
    page = open_page(served_dir(demo) + path, "narrow", color_scheme=scheme)
    page.goto(page.url.split("#")[0] + "#care")  # the switch's plain link: care mode for this page
    facts = page.evaluate(CARE_JS)
    assert facts["size"] >= 18 and facts["line"] >= 1.5 and not facts["small"] and facts["wide"] <= 0, facts
    page.add_script_tag(path=str(browser_helpers._a.AXE_JS))
    bad = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['color-contrast-enhanced'], resultTypes: ['violations']}))"
        ".violations.flatMap((v) => v.nodes.map((n) => n.target.join(' ') + ': ' + n.failureSummary))"
    )
    assert bad == []
    page.goto(page.url.split("#")[0])
    page.add_style_tag(content="html { font-size: 200% !important; }")  # text zoom 200 %
    wide = page.evaluate("document.scrollingElement.scrollWidth - document.documentElement.clientWidth")
    assert wide <= 0, f"{path}: {wide}px sideways at 200 % text"


# ----------------------------------------------------------------------------- the demo reads as an exhibition


def _doc(demo: Path, rel: str):
    return lxml_html.fromstring((demo / rel).read_text(encoding="utf-8"))


def test_sample_content_is_marked_once_site_wide(demo):
    """One notice on every page instead of '示例' two dozen times on the home page; fictional people keep it."""
    for rel in ("index.html", "projects/index.html", "about/index.html", "404.html"):
        notices = _doc(demo, rel).xpath("//*[contains(@class, 'site-notice')]")
        assert len(notices) == 1 and "虚构" in notices[0].text_content(), rel
    main = _doc(demo, "index.html").xpath("//main")[0].text_content()
    marks = re.findall(r"(.{0,3})示例", main)
    assert all(before.endswith("某（") for before in marks), marks
    assert len(marks) <= 6, len(marks)


def test_the_about_page_speaks_to_visitors(demo):
    text = _doc(demo, "about/index.html").xpath("//main")[0].text_content()
    for phrase in ("yunzhan", "生成器", "演示站点", "程序生成"):
        assert phrase not in text, phrase


def test_hero_figures_say_what_they_count(demo):
    doc = _doc(demo, "index.html")
    projects = len(list((demo / "projects").glob("*/index.html")))
    note = doc.xpath("//*[contains(@class, 'hero-note')]")
    assert note, "the hero's figures (200+ 项) are not what the site shows, and nothing says so"
    assert f"{projects} 件" in note[0].text_content()


def test_no_chart_puts_people_and_visits_on_one_axis(demo):
    for chart in _doc(demo, "index.html").xpath("//figure[contains(@class, 'chart')]"):
        cells = {c.text_content().strip() for c in chart.xpath(".//table//td | .//table//th")}
        assert not ({"人", "人次"} <= cells), cells


@pytest.mark.browser
def test_search_shows_a_snippet_around_the_match(demo, open_page, served_dir):
    """凉山 is in the text of a few records, in none of their titles: each result quotes the text around it."""
    page = _search(open_page, served_dir(demo), "凉山")
    first = page.locator("#search-results li").first
    snippet = first.locator(".sr-snip")
    snippet.wait_for(timeout=5000)
    assert snippet.locator("mark").first.inner_text() == "凉山"
    text = snippet.inner_text()
    assert 10 <= len(text) <= 90, text


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_hall_map_stays_legible_in_both_schemes(demo, open_page, served_dir, scheme):
    """axe does not look inside SVG: each zone's name against its own box, and the plan against the page."""
    page = open_page(served_dir(demo) + "zones/", "desktop", color_scheme=scheme)
    pairs = page.locator(".hm-zone").evaluate_all(
        """(zones) => {
          const rgb = (c) => { const n = c.match(/[\\d.]+/g).slice(0, 3).map(Number);
            return c.startsWith('color(') ? `rgb(${n.map((v) => Math.round(v * 255)).join(', ')})` : c; };
          return zones.map((z) => [rgb(getComputedStyle(z.querySelector('.hm-name')).fill),
                                   rgb(getComputedStyle(z.querySelector('rect')).fill)]);
        }"""
    )
    assert pairs
    for name, box in pairs:
        assert page.evaluate(CONTRAST_JS, [name, box]) >= 4.5, (scheme, name, box)
