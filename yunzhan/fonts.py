"""The Chinese font share images are drawn with: the best installed one (bold first), or the file ``[publish]
card_font`` names, checked to draw Chinese rather than empty boxes.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import ImageFont

from yunzhan.errors import Problem

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
