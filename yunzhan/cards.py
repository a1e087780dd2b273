"""Share images drawn with Pillow at build time: a 1200×630 card per page (``og:image``) and a tall poster per
record with a QR code to its page, for WeChat Moments (朋友圈), where a link cannot be posted but a picture can.

``sharedraw.share_card``/``share_poster`` are pure (inputs → the same JPEG bytes every time, no metadata), in
the font ``fonts`` finds. ``make_share_images`` is the build stage: it draws what is missing into a cache keyed by every input and returns
the files to publish under ``media/share/`` (content-addressed, so hosting may cache them for a year).
"""

from __future__ import annotations

import concurrent.futures
import functools
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import PIL

from yunzhan import portable, processes
from yunzhan.config import SiteConfig
from yunzhan.errors import WARNING, Problem
from yunzhan.fonts import FontFace, find_cjk_font, font_from_setting
from yunzhan.model import GalleryItem, Record
from yunzhan.model import Image as WebImage
from yunzhan.sharedraw import CARD_SIZE, share_card, share_poster

# ``font_from_setting`` is named through here by the build step that reads ``[publish] card_font``.
__all__ = [
    "FontFace",
    "Share",
    "ShareImages",
    "font_from_setting",
    "make_share_images",
    "record_cover",
    "record_subtitle",
]

SHARE_DIR = "media/share"
STYLE_VERSION = "2"  # bump when the drawing changes, so cached images are redrawn


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
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=processes.pool_context()) as pool:
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
