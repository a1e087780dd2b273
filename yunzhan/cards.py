"""Share images drawn with Pillow at build time: a 1200×630 card per page (``og:image``) and a tall poster per
record with a QR code to its page, for WeChat Moments (朋友圈), where a link cannot be posted but a picture can.

``share_card``/``share_poster`` are pure (inputs → JPEG bytes, the same bytes every time, no metadata).
``make_share_images`` is the build stage: it draws what is missing into a cache keyed by every input and returns
the files to publish under ``media/share/`` (content-addressed, so hosting may cache them for a year).
"""

from __future__ import annotations

import concurrent.futures
import functools
import hashlib
import io
import json
import multiprocessing
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import PIL
import segno
from PIL import Image, ImageDraw, ImageFont, ImageOps

from yunzhan import portable
from yunzhan.config import SiteConfig
from yunzhan.errors import WARNING, Problem
from yunzhan.model import GalleryItem, Record
from yunzhan.model import Image as WebImage

CARD_SIZE = (1200, 630)
POSTER_SIZE = (1080, 1920)
SHARE_DIR = "media/share"
RED, GOLD, CREAM, INK, GREY = "#9b1b1f", "#f4c46b", "#fff7e6", "#2b2b2b", "#6b6b6b"
STYLE_VERSION = "2"  # bump when the drawing changes, so cached images are redrawn
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")
# (file name, face index of Simplified Chinese in a collection), best first. Debian: fonts-noto-cjk,
# fonts-wqy-zenhei, fonts-wqy-microhei, fonts-droid-fallback.
FONT_CANDIDATES = (
    ("NotoSansCJK-Bold.ttc", 2),
    ("NotoSansCJKsc-Bold.otf", 0),
    ("SourceHanSansSC-Bold.otf", 0),
    ("NotoSansCJK-Regular.ttc", 2),
    ("NotoSansCJKsc-Regular.otf", 0),
    ("wqy-zenhei.ttc", 0),
    ("wqy-microhei.ttc", 0),
    ("DroidSansFallbackFull.ttf", 0),
)
NO_LINE_START = set("，。、；：？！）》」』】〕…—·,.;:?!)%”’")
NO_LINE_END = set("（《「『【〔“‘(")


@dataclass(frozen=True)
class FontFace:
    path: Path
    index: int = 0

    def at(self, size: int) -> ImageFont.FreeTypeFont:
        return _truetype(str(self.path), self.index, size)


@functools.lru_cache(maxsize=64)
def _truetype(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    # BASIC layout: the same glyph positions whether or not libraqm is installed, so the same bytes everywhere.
    return ImageFont.truetype(path, size, index=index, layout_engine=ImageFont.Layout.BASIC)


@dataclass(frozen=True)
class Share:
    """What a page's ``<meta property="og:image">`` and the poster download link need."""

    image: str  # absolute URL of the 1200×630 card
    width: int
    height: int
    alt: str
    poster: str = ""  # prefixed URL of the poster, "" when there is none


@dataclass
class ShareImages:
    files: dict[str, Path] = field(default_factory=dict)  # output-relative path → cached JPEG
    shares: dict[str, Share] = field(default_factory=dict)  # record URL path ("/projects/rocket/") → Share
    default: Share | None = None  # the site's own card, for pages that are not a record
    problems: list[Problem] = field(default_factory=list)


def covers_cjk(font: FontFace) -> bool:
    """True when the font draws Chinese (not the empty box it draws for a missing glyph)."""
    try:
        face = font.at(40)
    except OSError:
        return False
    missing = face.getmask("\U0010fffd").getbbox()
    return all(face.getmask(ch).getbbox() not in (None, missing) for ch in "展匠")


def find_cjk_font(dirs: Sequence[Path] = FONT_DIRS) -> FontFace | None:
    """The best installed font that covers Simplified Chinese, bold first; None when there is none."""
    found: dict[str, Path] = {}
    for folder in dirs:
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                found.setdefault(path.name, path)
    for name, index in FONT_CANDIDATES:
        if name in found and covers_cjk(FontFace(found[name], index)):
            return FontFace(found[name], index)
    return None


def font_from_setting(site_dir: Path, value: str) -> FontFace | Problem:
    """``[publish] card_font``: a font file relative to the site folder, ``#N`` picking a face of a collection
    (``fonts/NotoSansCJK-Bold.ttc#2``). A Problem when it is missing or does not draw Chinese."""
    name, _, index = value.partition("#")
    font = FontFace(site_dir / name, int(index) if index.isdigit() else 0)
    if not font.path.is_file():
        return Problem(
            "site.toml", None, "publish.card_font", f"找不到字体文件 {name}", "路径相对于网站文件夹"
        )
    if not covers_cjk(font):
        return Problem(
            "site.toml",
            None,
            "publish.card_font",
            f"字体 {value} 不能显示中文",
            "换一个中文字体，如 Noto Sans CJK SC",
        )
    return font


# ---------------------------------------------------------------------------------------------- drawing


@functools.cache
def _segmenter() -> Callable[[str], list[str]]:
    """jieba's word segmentation, loaded on first use (its dictionary takes about a second to read)."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba.lcut


def _tokens(text: str) -> list[str]:
    """Break opportunities between words: Chinese is cut into words (a title breaks as "人才 / 创新成果展",
    never "人才创 / 新成果展"), Latin words and numbers stay whole. Opening punctuation joins the word after it,
    closing punctuation the word before it."""
    tokens: list[str] = []
    glue = False
    for word in _segmenter()(" ".join(text.split())):
        if tokens and (glue or word in NO_LINE_START or (word.isspace() and tokens[-1].isspace())):
            tokens[-1] += word
        else:
            tokens.append(word)
        glue = word in NO_LINE_END
    return tokens


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int, max_lines: int) -> list[str]:
    """Greedy line breaking for Chinese; closing punctuation never starts a line; overflow ends with …."""
    text = " ".join(text.split())
    if font.getlength(text) <= width:
        return [text]  # fits: no need for the segmenter (its dictionary takes a second to load)
    lines: list[str] = []
    line = ""
    for token in _tokens(text):
        if line and font.getlength(line + token.rstrip()) > width:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line += token
        while font.getlength(line) > width and len(line) > 1:  # a word longer than the line: cut it
            cut = max(1, len(line) - 1)
            while cut > 1 and font.getlength(line[:cut]) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and font.getlength(last + "…") > width:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last + "…"]
    return lines


def _fit_title(
    text: str, font: FontFace, width: int, sizes: Sequence[int], max_lines: int
) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest size at which the title fits in ``max_lines`` lines (the smallest, shortened, otherwise)."""
    for size in sizes:
        face = font.at(size)
        lines = wrap(text, face, width, max_lines + 1)
        if len(lines) <= max_lines:
            return face, lines
    face = font.at(sizes[-1])
    return face, wrap(text, face, width, max_lines)


def _draw_lines(
    draw: ImageDraw.ImageDraw, xy: tuple[int, int], lines: list[str], face: ImageFont.FreeTypeFont, fill: str
) -> int:
    """Draw lines from a top-left corner; return the y below the last one."""
    x, y = xy
    step = round(face.size * 1.3)
    for line in lines:
        draw.text((x, y), line, font=face, fill=fill)
        y += step
    return y


def _open_rgb(path: Path | None, size: tuple[int, int]) -> Image.Image | None:
    if path is None:
        return None
    try:
        with Image.open(path) as im:
            im.draft("RGB", (size[0] * 2, size[1] * 2))  # JPEG: decode at a reduced scale when much larger
            return im.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def _cover(path: Path | None, size: tuple[int, int]) -> Image.Image | None:
    rgb = _open_rgb(path, size)
    return ImageOps.fit(rgb, size, Image.Resampling.LANCZOS, centering=(0.5, 0.45)) if rgb else None


def _whole_cover(path: Path | None, size: tuple[int, int]) -> Image.Image | None:
    """The cover shown whole (nothing at its edges cut off: a credit, a watermark), centred on a band of its own
    average colour, darkened."""
    rgb = _open_rgb(path, size)
    if rgb is None:
        return None
    shown = ImageOps.contain(rgb, size, Image.Resampling.LANCZOS)
    average = rgb.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    band = Image.new("RGB", size, tuple(round(c * 0.55) for c in average))
    band.paste(shown, ((size[0] - shown.width) // 2, (size[1] - shown.height) // 2))
    return band


def _mark(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int]) -> None:
    """The theme's brand mark (a gold star on red), drawn large where there is no cover photo."""
    x0, y0, x1, _ = box
    s = (x1 - x0) / 40
    star = [(20, 6.5), (23.6, 14.1), (31.9, 15.1), (25.8, 20.9), (27.4, 29.1), (20, 25.1), (12.6, 29.1),
            (14.2, 20.9), (8.1, 15.1), (16.4, 14.1)]  # fmt: skip
    draw.rounded_rectangle(box, radius=round(9 * s), fill=RED, outline=GOLD, width=max(2, round(s / 2)))
    draw.polygon([(x0 + px * s, y0 + py * s) for px, py in star], fill=GOLD)


def _jpeg(im: Image.Image) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", quality=86, optimize=True, subsampling=0)  # no EXIF, ICC or comment
    return buffer.getvalue()


def share_card(title: str, subtitle: str, cover: Path | None, site_title: str, font: FontFace) -> bytes:
    """A 1200×630 JPEG: the title, its zone (or collection) and the exhibition's name beside the cover."""
    width, height = CARD_SIZE
    im = Image.new("RGB", CARD_SIZE, RED)
    draw = ImageDraw.Draw(im)
    photo = _cover(cover, (500, height))
    text_width = width - 128 - (500 if photo else 330)
    if photo:
        im.paste(photo, (width - 500, 0))
        draw.rectangle((width - 508, 0, width - 501, height), fill=GOLD)
    else:
        _mark(draw, (width - 330, 175, width - 50, 455))
    draw.text((64, 56), site_title, font=_single_line(site_title, font, 30, text_width), fill=GOLD)
    face, lines = _fit_title(title, font, text_width, (68, 60, 52, 46), 3)
    block = round(face.size * 1.3) * len(lines)
    y = _draw_lines(draw, (64, max(130, (height - block) // 2 - 10)), lines, face, "#ffffff")
    if subtitle:
        draw.rectangle((64, y + 14, 112, y + 18), fill=GOLD)
        draw.text((64, y + 34), subtitle, font=_single_line(subtitle, font, 34, text_width), fill=CREAM)
    return _jpeg(im)


def _single_line(text: str, font: FontFace, size: int, width: int) -> ImageFont.FreeTypeFont:
    face = font.at(size)
    while size > 18 and face.getlength(text) > width:
        size -= 2
        face = font.at(size)
    return face


def qr_image(url: str, size: int) -> Image.Image:
    """A QR code as a sharp black-on-white image of at most ``size`` pixels, with its 4-module quiet zone."""
    qr = segno.make(url, error="m", micro=False)
    modules = len(qr.matrix) + 8
    scale = max(1, size // modules)
    small = Image.new("L", (modules, modules), 255)
    small.putdata([0 if cell else 255 for row in _with_border(qr.matrix, 4) for cell in row])
    return small.resize((modules * scale, modules * scale), Image.Resampling.NEAREST).convert("RGB")


def _with_border(matrix: Iterable[Sequence[int]], border: int) -> list[list[int]]:
    rows = [[0] * border + list(row) + [0] * border for row in matrix]
    blank = [0] * len(rows[0])
    return [blank] * border + rows + [blank] * border


def share_poster(
    title: str, subtitle: str, cover: Path | None, url: str, site_title: str, font: FontFace
) -> bytes:
    """A 1080×1920 JPEG for WeChat Moments: the cover, the title and a QR code that opens ``url``."""
    width, height = POSTER_SIZE
    im = Image.new("RGB", POSTER_SIZE, CREAM)
    draw = ImageDraw.Draw(im)
    photo = _whole_cover(cover, (width, 1000))
    if photo:
        im.paste(photo, (0, 0))
    else:
        draw.rectangle((0, 0, width, 1000), fill=RED)
        _mark(draw, (340, 300, 740, 700))
    draw.rectangle((0, 1000, width, 1012), fill=GOLD)
    y = 1070
    if subtitle:
        draw.text((80, y), subtitle, font=_single_line(subtitle, font, 40, width - 160), fill=RED)
        y += 70
    face, lines = _fit_title(title, font, width - 160, (76, 66, 58, 50), 3)
    _draw_lines(draw, (80, y), lines, face, INK)
    code = qr_image(url, 330)
    top = height - 150 - code.height - 50
    im.paste(code, (80, top))
    hint = font.at(40)
    draw.text((80 + code.width + 50, top + 90), "长按识别二维码", font=hint, fill=INK)
    draw.text((80 + code.width + 50, top + 150), "打开网页看详情", font=font.at(34), fill=GREY)
    draw.rectangle((0, height - 150, width, height), fill=RED)
    draw.text(
        (80, height - 100), site_title, font=_single_line(site_title, font, 38, width - 160), fill=CREAM
    )
    return _jpeg(im)


# ---------------------------------------------------------------------------------------------- build stage


def record_cover(record: Record, media_files: Mapping[str, Path], base_path: str) -> tuple[str, Path] | None:
    """The record's first image (cover, portrait, or first gallery photo): its output path and file."""
    for value in record.fields.values():
        image = value if isinstance(value, WebImage) else None
        if isinstance(value, list) and value and isinstance(value[0], GalleryItem):
            image = value[0].image
        if image is not None:
            url = image.large or image.src
            rel = url[len(base_path) :] if url.startswith(base_path) else url.lstrip("/")
            if rel in media_files:
                return rel, media_files[rel]
    return None


def record_subtitle(record: Record, config: SiteConfig) -> str:
    """The zone a record stands in, else its collection's name."""
    zone = record.fields.get("zone")
    if isinstance(zone, Record):
        return zone.title
    settings = config.collection(record.collection)
    return settings.title if settings else ""


def _key(kind: str, font: FontFace, *parts: object) -> str:
    data = json.dumps([STYLE_VERSION, PIL.__version__, kind, font.path.name, font.index, *map(str, parts)])
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def _cached(
    cache_dir: Path, key: str, draw: Callable[[], bytes], pending: dict[Path, Callable[[], bytes]]
) -> Path:
    """The cache file for ``key``; when it is missing, the drawing is queued (done in parallel at the end)."""
    path = cache_dir / f"{key}.jpg"
    if not path.is_file():
        pending[path] = draw
    return path


def _draw_to(path: Path, draw: Callable[[], bytes]) -> None:
    portable.atomic_write(path, draw())  # an interrupted build never leaves half an image in the cache


def _draw_all(pending: dict[Path, Callable[[], bytes]]) -> None:
    """Drawing is CPU-bound Pillow work: spread it over the cores when there is enough of it."""
    if not pending:
        return
    next(iter(pending)).parent.mkdir(parents=True, exist_ok=True)
    workers = min(os.cpu_count() or 1, len(pending))
    if workers < 2 or len(pending) < 4:
        for path, draw in pending.items():
            _draw_to(path, draw)
        return
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
        for future in [pool.submit(_draw_to, path, draw) for path, draw in pending.items()]:
            future.result()


def make_share_images(
    records: Iterable[Record],
    config: SiteConfig,
    media_files: Mapping[str, Path],
    cache_dir: Path,
    *,
    posters: bool = True,
    font: FontFace | None = None,
) -> ShareImages:
    """Cards for the site and every record, posters for every record; cached, so a rebuild draws only changes."""
    result = ShareImages()
    found = font or find_cjk_font()
    if found is None:
        result.problems.append(
            Problem(
                "site.toml",
                None,
                "publish.share_cards",
                "找不到中文字体，没有生成分享图和海报",
                "安装中文字体（Debian/Ubuntu：apt-get install fonts-noto-cjk），或在 [publish] 里设 share_cards = false",
                WARNING,
            )
        )
        return result
    face = found
    pending: dict[Path, Callable[[], bytes]] = {}

    def card(name: str, title: str, subtitle: str, cover: tuple[str, Path] | None) -> Share:
        key = _key("card", face, title, subtitle, cover[0] if cover else "", config.title)
        rel = f"{SHARE_DIR}/{key}/{name}.jpg"
        draw = functools.partial(share_card, title, subtitle, cover[1] if cover else None, config.title, face)
        result.files[rel] = _cached(cache_dir, key, draw, pending)
        return Share(config.absolute_url(rel), *CARD_SIZE, alt=f"{title}（{config.title}）")

    result.default = card("site", config.title, config.subtitle, None)
    for record in records:
        if record.draft:
            continue
        name = f"{record.collection}-{record.slug}"
        subtitle = record_subtitle(record, config)
        cover = record_cover(record, media_files, config.base_path)
        share = card(name, record.title, subtitle, cover)
        if posters:
            url = config.absolute_url(record.short or record.path)  # the short link outlives renames
            key = _key("poster", face, record.title, subtitle, cover[0] if cover else "", url, config.title)
            rel = f"{SHARE_DIR}/{key}/{name}-poster.jpg"
            photo = cover[1] if cover else None
            draw = functools.partial(share_poster, record.title, subtitle, photo, url, config.title, face)
            result.files[rel] = _cached(cache_dir, key, draw, pending)
            share = Share(share.image, share.width, share.height, share.alt, config.base_path + rel)
        result.shares[record.path] = share
    _draw_all(pending)
    return result
