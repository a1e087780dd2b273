"""What an original's derivatives are: their widths, heights and cache names, and the words for a file that is
not an image. Pure and without Pillow, so that a build with nothing to decode never loads it (``imagecodec``
makes the bytes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from yunzhan.config import ImageSettings

PIPELINE_VERSION = 2  # bump when the same source and settings must give different bytes
MAX_SIDE = 16383  # WebP's limit on either side
SUPPORTED_HINT = "支持 JPEG、PNG、WebP、AVIF、HEIC、GIF、TIFF、BMP；可用看图软件另存为 JPEG"


class BadImage(Exception):
    """The file is not an image we can publish; args are the editor-facing (message, hint)."""


def plan_widths(width: int, height: int, widths: Sequence[int]) -> list[int]:
    """Target widths, ascending: never wider than the original, never taller than MAX_SIDE."""
    cap = max(1, min(width, width * MAX_SIDE // height, MAX_SIDE))
    return sorted({max(1, min(w, cap)) for w in widths} or {cap})


def scaled_height(target: int, width: int, height: int) -> int:
    return max(1, round(height * target / width))


def derivative_names(meta: dict[str, Any], settings: ImageSettings) -> list[tuple[int, str, str]]:
    """(width, extension, cache file name) of every file a source needs; cache names carry the quality and
    the pipeline version, so a cache made by an older encoder is never taken for a new one."""
    fallback = "png" if meta["alpha"] else "jpg"
    out = []
    for w in plan_widths(meta["width"], meta["height"], settings.widths):
        for ext in (*settings.formats, fallback):
            quality = "" if ext == "png" else f".q{settings.quality}"
            out.append((w, ext, f"{w}{quality}.v{PIPELINE_VERSION}.{ext}"))
    return out
