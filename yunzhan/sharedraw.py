"""The share card (1200×630, ``og:image``) and the WeChat poster (1080×1920, with a QR code to the page) drawn
with Pillow. Pure: the same inputs give the same JPEG bytes every time, with no metadata.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

from yunzhan.fonts import FontFace
from yunzhan.qrmatrix import QUIET_ZONE, qr_matrix
from yunzhan.titlewrap import fit_title

CARD_SIZE = (1200, 630)
POSTER_SIZE = (1080, 1920)
RED, GOLD, CREAM, INK, GREY = "#9b1b1f", "#f4c46b", "#fff7e6", "#2b2b2b", "#6b6b6b"


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
    face, lines = fit_title(title, font, text_width, (68, 60, 52, 46), 3)
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
    rows = qr_matrix(url)
    dark = Image.frombytes("L", (len(rows), len(rows)), b"".join(rows))  # 1 dark, 0 light
    small = ImageOps.expand(dark.point(lambda v: 0 if v else 255), border=QUIET_ZONE, fill=255)
    modules = small.width
    scale = max(1, size // modules)
    return small.resize((modules * scale, modules * scale), Image.Resampling.NEAREST).convert("RGB")


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
    face, lines = fit_title(title, font, width - 160, (76, 66, 58, 50), 3)
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
