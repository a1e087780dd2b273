"""What the search index reads of a record: its text as a visitor reads it (``record_text``, made of
``inputs`` alone), its row in ``search/meta.json`` (``entry``) and the pinyin of its title.

Text is NFKC-normalised and lowercased; anything that is not a letter or a digit (spaces, punctuation)
separates terms, in the text and in the query alike (``runs``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from markupsafe import Markup

from yunzhan.config import SiteConfig
from yunzhan.htmltext import plain_text
from yunzhan.model import GalleryItem, Image, Record
from yunzhan.slugs import pinyin_forms
from yunzhan.workers import apart

TEXT_TYPES = ("string", "text", "enum", "list")
_RUN = re.compile(r"[^\W_]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


class Entry(NamedTuple):
    """One record as the index sees it. Paths are site-relative without the leading slash. (A named tuple: a
    build keeps 10,000 of them, and tuples pickle fast.)"""

    path: str
    title: str
    collection: str
    zone: str  # slug of the zone record, "" for none
    zone_title: str
    industry: str
    district: str
    thumb: str
    thumb_width: int
    thumb_height: int
    pinyin: str  # "leiyutian lyt", "" when the title has no Chinese
    text: str  # plain text, not normalised


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


# Full-width punctuation Chinese text is full of, which NFKC maps to ASCII punctuation: each such text fails
# NFKC's quick check and is normalised character by character (~0.15 ms a record). A space in its place gives
# the same runs (neither is a letter or digit, and none of them composes with a neighbour), and the text then
# passes the quick check whole: a cold build's search index, ~1.5 s less at 10,000 records.
SPACED = "，：；（）！？"


def runs(text: str) -> list[str]:
    """Maximal runs of letters and digits of the normalised text (the same as ``/[\\p{L}\\p{N}]+/gu`` in JS:
    ``[^\\W_]`` is exactly ``str.isalnum``)."""
    for mark in SPACED:
        text = text.replace(mark, " ")
    return _RUN.findall(normalise(text))


def _strip_base(url: str, base_path: str) -> str:
    """URLs under the base path become relative to it (search.js puts the base back); others stay as they are."""
    return url[len(base_path) :] if url.startswith(base_path) else url


@dataclass(frozen=True)
class _Caption:
    text: Any  # str or Markup: its plain text is indexed


def _readable(value: Any) -> Any:
    """The part of a field value that ``record_text`` reads: a referenced record's title, a caption, text."""
    if isinstance(value, Record):
        return value.title
    if isinstance(value, GalleryItem):
        return _Caption(value.caption) if value.caption else None
    if isinstance(value, list | tuple):
        return tuple(_readable(item) for item in value)
    if isinstance(value, str) and value:
        return value  # Markup stays Markup: its plain text is taken
    return None


def inputs(record: Record, config: SiteConfig) -> tuple[str, tuple[Any, ...], str]:
    """Everything the index reads of a record (``record_text`` reads nothing else): a key made of these cannot
    miss a change. (title, the readable part of its text-like, ref and gallery fields, body HTML.)"""
    return (*inputs_but_body(record, config), record.body)


def inputs_but_body(record: Record, config: SiteConfig) -> tuple[str, tuple[Any, ...]]:
    """``inputs`` but the body (which is not read: it may be held elsewhere)."""
    settings = config.collection(record.collection)
    if settings is not None:
        names = [f.name for f in settings.fields if f.type in (*TEXT_TYPES, "ref", "gallery")]
    else:
        names = list(record.fields)
    return record.title, tuple(_readable(record.fields.get(name)) for name in names)


def _value_text(value: Any) -> Iterator[str]:
    if isinstance(value, _Caption):
        yield plain_text(value.text)
    elif isinstance(value, tuple):
        for item in value:
            yield from _value_text(item)
    elif isinstance(value, Markup):
        yield plain_text(value)
    elif isinstance(value, str) and value:
        yield value


SECTION = "\x1d"  # between the body and the rest in ``record_text`` (not a letter: no run holds it)


def record_text(record: Record, config: SiteConfig) -> str:
    """What a visitor reads on the record's page: its body, then (after ``SECTION``) text-like fields, titles
    of referenced records, gallery captions and its title (made of ``inputs`` alone). Each part is runs of
    its own, so the order changes no match; the index places the part after ``SECTION`` at a position of its
    own (``searchpostings.record_grams``), so that an edit of one part moves no position of the other."""
    return inputs_text(inputs(record, config))


def body_text(record: Record) -> str:
    """The plain text of a record's body, as ``record_text`` reads it."""
    return plain_text(record.body)


def inputs_text(made: tuple[str, tuple[Any, ...], str]) -> str:
    """``record_text`` of a record's ``inputs`` (plain values: they can be sent to another process)."""
    title, values, body = made
    return texts_joined(title, values, plain_text(body))


def texts_joined(title: str, values: tuple[Any, ...], body: str) -> str:
    """``inputs_text`` of a record's ``inputs`` whose body is given as its plain text (``plain_text``, which
    open data reads too: a cold build makes it once for both)."""
    rest: list[str] = []
    for value in values:
        rest.extend(_value_text(value))
    rest.append(title)
    rest_text = "\n".join(p for p in rest if p)
    # a SECTION pasted into a text (a control character: in no run) would move the split
    return body.replace(SECTION, " ") + SECTION + rest_text.replace(SECTION, " ")


def thumbnail(image: Any) -> tuple[str, int, int]:
    """The smallest fallback (JPEG/PNG) width of an image with its scaled height, or ("", 0, 0)."""
    if not isinstance(image, Image):
        return "", 0, 0
    best = (image.width or 0, image.src)
    for candidate in image.fallback_srcset.split(","):
        bits = candidate.split()
        if len(bits) == 2 and bits[1].endswith("w") and bits[1][:-1].isdigit():
            width = int(bits[1][:-1])
            if width < best[0] or not best[0]:
                best = (width, bits[0])
    width = best[0]
    height = round(image.height * width / image.width) if image.width else 0
    return best[1], width, height


def _taxonomy_value(record: Record, config: SiteConfig, taxonomy: str, fallback: str) -> str:
    settings = config.collection(record.collection)
    names = [f.name for f in settings.fields if f.taxonomy == taxonomy] if settings else []
    for name in [*names, fallback]:
        value = record.fields.get(name)
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, str) and value:
            return value
    return ""


def entry(
    record: Record, config: SiteConfig, pinyin: Mapping[str, str] | None = None, *, with_text: bool = True
) -> Entry:
    """The record as the index sees it. ``pinyin``: the pinyin of titles already known (``titles_pinyin``); a
    title missing from it is converted here. ``with_text=False`` leaves ``text`` empty: the index is made of
    the texts a block at a time rather than holding all of them."""
    base = config.base_path
    zone = record if record.collection == "zones" else record.fields.get("zone")
    zone = zone if isinstance(zone, Record) else None
    district = _taxonomy_value(record, config, "districts", "district")
    if not district and zone is not None:
        district = _taxonomy_value(zone, config, "districts", "district")
    image = next(
        (record.fields.get(n) for n in ("cover", "portrait") if isinstance(record.fields.get(n), Image)),
        next((v for v in record.fields.values() if isinstance(v, Image)), None),
    )
    src, width, height = thumbnail(image)
    known = pinyin.get(record.title) if pinyin is not None else None
    return Entry(
        path=_strip_base(record.url or record.path, base),
        title=record.title,
        collection=record.collection,
        zone=zone.slug if zone else "",
        zone_title=zone.title if zone else "",
        industry=_taxonomy_value(record, config, "industries", "industry"),
        district=district,
        thumb=_strip_base(src, base) if src else "",
        thumb_width=width,
        thumb_height=height,
        pinyin=known if known is not None else title_pinyin(record.title),
        text=record_text(record, config) if with_text else "",
    )


def title_pinyin(title: str) -> str:
    """ "leiyutian lyt" for 雷雨田; "" for a title with no Chinese."""
    return " ".join(pinyin_forms(title)) if _CJK.search(title) else ""


def titles_pinyin(titles: list[str]) -> dict[str, str]:
    """``title_pinyin`` of each title with Chinese, made in forked processes (``workers.apart``): this one need
    not load pypinyin's 55 MB of tables for them."""
    chinese = sorted({t for t in titles if _CJK.search(t)})
    return dict(zip(chinese, apart(_pinyin, chinese, len(chinese), chunk=256), strict=True))


def _pinyin(titles: list[str], i: int) -> str:
    return title_pinyin(titles[i])
