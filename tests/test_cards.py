"""cards.py and placards.py: share cards, posters and print placards whose QR codes scan to the right page.

QR codes are decoded with zbarimg (Debian zbar-tools). Posters are decoded as published (JPEG). Placards are
decoded from what a browser draws: the print page is rendered by headless Chromium and the screenshot decoded,
so the inline SVG, the print CSS and the URL are all checked together; Chromium's PDF of the same page proves
one placard per A6 (or A5) sheet.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from markupsafe import Markup
from PIL import Image

from tests.conftest import MakeSite, jpeg_bytes
from yunzhan import cards, fonts, placards, render, sharedraw, titlewrap
from yunzhan.config import SiteConfig, load_config
from yunzhan.errors import Problem
from yunzhan.model import Image as WebImage
from yunzhan.model import Record
from yunzhan.pages import SitePlan, assign_urls, plan_site

pytestmark = pytest.mark.tools  # zbarimg, Chromium and a Chinese font

BASE_URL = "https://example.org/expo/2024/"
THEME_STATIC = Path(__file__).resolve().parent.parent / "themes" / "default" / "static"


def _font() -> fonts.FontFace:
    font = fonts.find_cjk_font()
    assert font is not None, "no CJK font found: install Debian's fonts-noto-cjk (bash scripts/setup.sh)"
    return font


def _zbar(image: Path) -> list[str]:
    exe = shutil.which("zbarimg")
    assert exe, "zbarimg not found: install Debian's zbar-tools (bash scripts/setup.sh)"
    run = subprocess.run([exe, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(image)],
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    return sorted(line for line in run.stdout.splitlines() if line)


def _chromium() -> str:
    for candidate in (os.environ.get("CHROME_PATH", ""), "chromium", "chromium-browser"):
        found = shutil.which(candidate) if candidate else None
        if found:
            return found
    raise AssertionError("Chromium not found: install Debian's chromium (bash scripts/setup.sh)")


def _browser(*args: str) -> None:
    command = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args]
    subprocess.run(command, capture_output=True, timeout=120, check=True)


# ---------------------------------------------------------------------------------------------- cards


def test_finds_a_font_that_really_draws_chinese() -> None:
    font = _font()
    assert fonts.covers_cjk(font)
    dejavu = next(Path("/usr/share/fonts").rglob("DejaVuSans.ttf"), None)
    if dejavu is not None:
        assert not fonts.covers_cjk(fonts.FontFace(dejavu))  # a Latin font draws boxes, not Chinese


def test_share_card_is_1200x630_jpeg_without_metadata_and_deterministic(tmp_path: Path) -> None:
    cover = tmp_path / "cover.jpg"
    cover.write_bytes(jpeg_bytes((1600, 1200), (30, 90, 160)))
    args = ("“天龙二号”运载火箭模型", "张家港展区", cover, "苏州市劳模工匠人才创新成果展", _font())
    data = sharedraw.share_card(*args)
    assert data == sharedraw.share_card(*args)
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "JPEG" and im.size == (1200, 630) and im.mode == "RGB"
        assert not im.getexif() and "icc_profile" not in im.info and "comment" not in im.info
        assert im.getpixel((1100, 300)) == pytest.approx((30, 90, 160), abs=12)  # the cover is on the card
        left = im.crop((64, 130, 600, 500)).convert("L")
        assert left.getextrema()[1] > 240  # white title text drawn on the red panel
    without = sharedraw.share_card("苏绣", "", None, "展", _font())
    assert Image.open(io.BytesIO(without)).size == (1200, 630)


def test_long_titles_wrap_without_punctuation_starting_a_line() -> None:
    face = _font().at(40)
    lines = titlewrap.wrap("劳模工匠助企行，千名劳模工匠联系服务千家企业。" * 3, face, 400, 3)
    assert len(lines) == 3 and lines[-1].endswith("…")
    assert all(face.getlength(line) <= 400 + 40 for line in lines)
    assert not any(line[0] in titlewrap.NO_LINE_START for line in lines)
    assert titlewrap.wrap("LF refining furnace", face, 250, 3)[0] == "LF refining"  # words are not split


def test_poster_qr_code_opens_the_page(tmp_path: Path) -> None:
    url = f"{BASE_URL}projects/gan-ying-re-chu-li/"
    cover = tmp_path / "cover.jpg"
    cover.write_bytes(jpeg_bytes((1200, 900), (180, 120, 60)))
    data = sharedraw.share_poster(
        "感应热处理工艺调整", "昆山展区", cover, url, "苏州市劳模工匠人才创新成果展", _font()
    )
    poster = tmp_path / "poster.jpg"
    poster.write_bytes(data)
    with Image.open(poster) as im:
        assert im.size == sharedraw.POSTER_SIZE and im.format == "JPEG" and not im.getexif()
    assert _zbar(poster) == [url]


def _site(make_site: MakeSite, tmp_path: Path) -> tuple[SiteConfig, dict[str, list[Record]], SitePlan, Path]:
    config = load_config(make_site(), BASE_URL)
    media = tmp_path / "media-cache" / "rocket-1600.jpg"
    media.parent.mkdir(parents=True)
    media.write_bytes(jpeg_bytes((1600, 1200)))
    zone = Record("zones", "gusu", "content/zones/gusu.md", title="姑苏展区", fields={"name": "姑苏展区"})
    li = Record(
        "craftsmen", "li-qijie", "content/craftsmen/li-qijie.md", title="李奇杰", fields={"name": "李奇杰"}
    )
    cover = WebImage(
        "/expo/2024/media/ab/rocket-960.jpg", 960, 720, "火箭", large="/expo/2024/media/ab/rocket-1600.jpg"
    )
    summary = Markup(
        "<p>示例：液氧煤油火箭的展示模型。展出箭体结构与发动机布局，介绍研制团队的技术攻关。</p>" * 3
    )
    projects = [
        Record("projects", "rocket", "content/projects/rocket.md", title="火箭模型",
               fields={"title": "火箭模型", "zone": zone, "craftsmen": [li], "cover": cover, "summary": summary,
                       "date": dt.date(2024, 5, 1)}),
        Record("projects", "loom", "content/projects/loom.md", title="智能织机",
               fields={"title": "智能织机", "zone": zone, "craftsmen": [], "summary": Markup("<p>织机</p>")}),
        Record("projects", "draft", "content/projects/draft.md", title="草稿", draft=True,
               fields={"title": "草稿", "zone": zone}),
    ]  # fmt: skip
    grouped = {"zones": [zone], "projects": projects, "craftsmen": [li], "activities": [], "pages": []}
    assign_urls([r for rs in grouped.values() for r in rs], config)
    return config, grouped, plan_site(grouped, config), media


def test_make_share_images_publishes_content_addressed_files_and_caches(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, grouped, _plan, media = _site(make_site, tmp_path)
    records = [r for rs in grouped.values() for r in rs]
    media_files = {"media/ab/rocket-1600.jpg": media}
    result = cards.make_share_images(records, config, media_files, tmp_path / "cards")
    assert result.problems == []
    assert all(re.fullmatch(r"media/share/[0-9a-f]{16}/[a-z0-9-]+\.jpg", rel) for rel in result.files)
    rocket = result.shares["/projects/rocket/"]
    assert rocket.image.startswith(f"{BASE_URL}media/share/") and (rocket.width, rocket.height) == (1200, 630)
    assert rocket.poster.startswith("/expo/2024/media/share/") and rocket.poster.endswith("-poster.jpg")
    assert "/projects/draft/" not in result.shares
    assert result.default is not None and result.default.image.endswith("/site.jpg")
    card_file = result.files[rocket.image.removeprefix(BASE_URL)]
    with Image.open(card_file) as im:
        assert im.getpixel((1000, 300)) == pytest.approx((200, 40, 40), abs=15)  # drawn from the cover's file
    # a second build draws nothing: every image comes from the cache
    monkeypatch.setattr(cards, "share_card", lambda *a: pytest.fail("redrawn"))
    monkeypatch.setattr(cards, "share_poster", lambda *a: pytest.fail("redrawn"))
    again = cards.make_share_images(records, config, media_files, tmp_path / "cards")
    assert again.files == result.files


def test_without_a_chinese_font_the_build_warns_and_goes_on(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, grouped, _plan, _media = _site(make_site, tmp_path)
    monkeypatch.setattr(cards, "find_cjk_font", lambda: None)
    result = cards.make_share_images(grouped["projects"], config, {}, tmp_path / "cards")
    assert result.files == {} and result.shares == {} and result.default is None
    [problem] = result.problems
    assert problem.severity == "warning" and "fonts-noto-cjk" in problem.hint


# ---------------------------------------------------------------------------------------------- placards


def test_placard_qr_svg_is_inline_accessible_and_sized_by_css() -> None:
    svg = str(placards.placard_qr_svg(f"{BASE_URL}projects/rocket/", "二维码：火箭 <模型>"))
    assert svg.startswith('<svg role="img" aria-label="二维码：火箭 &lt;模型&gt;"')
    assert "<title>二维码：火箭 &lt;模型&gt;</title>" in svg
    assert "viewBox" in svg and "width=" not in svg and "<?xml" not in svg


def _render_placards(make_site: MakeSite, tmp_path: Path) -> tuple[Path, list[str]]:
    config, _grouped, plan, _media = _site(make_site, tmp_path)
    pages = placards.placard_pages(plan.collections, config)
    assert [p.path for p in pages] == ["/placards/", "/placards/gusu/"]
    env = render.make_environment(tmp_path, config, {})
    env.globals.update(placards.template_globals(config))
    view = render.site_view(config, {}, plan.collections, plan.taxonomies, {})
    out = tmp_path / "out"
    for page in pages:
        html = env.get_template(page.template).render(site=view, page=page)
        # the test serves from a folder, not from the base path: make the asset links relative
        html = html.replace(config.base_path + "assets/", "../" * (page.path.count("/") - 1) + "assets/")
        (out / page.output_file).parent.mkdir(parents=True, exist_ok=True)
        (out / page.output_file).write_text(html)
    shutil.copytree(THEME_STATIC, out / "assets")
    return out / "placards/gusu/index.html", [f"{BASE_URL}projects/loom/", f"{BASE_URL}projects/rocket/"]


@pytest.mark.browser
def test_printed_placards_scan_to_their_exhibit_pages(make_site: MakeSite, tmp_path: Path) -> None:
    page, urls = _render_placards(make_site, tmp_path)
    html = page.read_text()
    assert html.count('class="placard"') == 2 and "草稿" not in html  # drafts get no placard
    assert "李奇杰" in html and "姑苏展区" in html and 'name="robots" content="noindex"' in html
    shot = tmp_path / "shot.png"
    _browser(f"--screenshot={shot}", "--window-size=1300,1000", page.as_uri())
    assert _zbar(shot) == urls


@pytest.mark.browser
@pytest.mark.parametrize(("paper", "points"), [("a6", (298, 420)), ("a5", (420, 595))])
def test_each_placard_prints_on_its_own_sheet(
    make_site: MakeSite, tmp_path: Path, paper: str, points: tuple[int, int]
) -> None:
    page, urls = _render_placards(make_site, tmp_path)
    pdf = tmp_path / f"{paper}.pdf"
    _browser("--no-pdf-header-footer", f"--print-to-pdf={pdf}", f"{page.as_uri()}#{paper}")
    data = pdf.read_bytes()
    assert len(re.findall(rb"/Type\s*/Page\b", data)) == len(urls)
    boxes = {
        tuple(round(float(v)) for v in box.split()[2:])
        for box in re.findall(rb"/MediaBox\s*\[([^\]]*)\]", data)
    }
    assert boxes == {points}


def test_card_font_setting_is_checked(tmp_path: Path) -> None:
    real = _font()
    (tmp_path / "fonts").mkdir()
    shutil.copy(real.path, tmp_path / "fonts" / real.path.name)
    font = fonts.font_from_setting(tmp_path, f"fonts/{real.path.name}#{real.index}")
    assert font == fonts.FontFace(tmp_path / "fonts" / real.path.name, real.index)
    missing = fonts.font_from_setting(tmp_path, "fonts/none.otf")
    assert isinstance(missing, Problem) and "找不到字体文件" in missing.message
    dejavu = next(Path("/usr/share/fonts").rglob("DejaVuSans.ttf"), None)
    if dejavu is not None:
        shutil.copy(dejavu, tmp_path / "fonts" / "latin.ttf")
        latin = fonts.font_from_setting(tmp_path, "fonts/latin.ttf")
        assert isinstance(latin, Problem) and "不能显示中文" in latin.message
