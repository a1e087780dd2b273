"""Full-text search for a site with no server: a sharded, positional character-bigram index built here and read
by ``themes/default/static/js/search.js``.

Chinese has no spaces, so instead of guessing words the index keeps, for every record, where each pair of
adjacent characters (a bigram) occurs. A query term of n characters occurs at position p exactly when its
n-1 bigrams occur at p, p+1, …: the browser checks that chain, so a phrase matches the records that contain it,
and only those (plain substring semantics, no segmenter to disagree with). One-character terms use a
record list per character. Latin queries of two letters or more also match the pinyin and initials of titles
(``leiyutian``, ``lyt`` → 雷雨田).

Files (output-relative):

- ``search/meta.json`` — fetched with revalidation: version hash, shard count, filter values and one row per
  record (path, title, collection, zone, industry, district, thumbnail, pinyin).
- ``search/<hash>/<k>.json`` — shard k: ``{gram: postings}``, gram → shard by FNV-1a of its code points,
  postings as ints packed in a string (``encode_ints``). The folder name is a hash of the content, so a cached
  shard never mixes with a newer meta file.

Text is NFKC-normalised and lowercased; anything that is not a letter or a digit (spaces, punctuation)
separates terms, in the text and in the query alike.
"""

from __future__ import annotations

import functools
import hashlib
import html
import itertools
import json
import operator
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from yunzhan.config import SiteConfig
from yunzhan.model import GalleryItem, Image, Record
from yunzhan.slugs import pinyin_forms, slugify

META_PATH = "search/meta.json"
FORMAT_VERSION = 1
SHARD_TARGET_BYTES = 16_000  # estimated bytes per shard (real: about half of it raw, a quarter gzipped)
MAX_SHARDS = 4096
TEXT_TYPES = ("string", "text", "enum", "list")
BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "caption",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "img",
        "li",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>|<!--.*?-->", re.S)
_DROP = re.compile(r"<(script|style|template)\b.*?</\1\s*>", re.S | re.I)
_RUN = re.compile(r"[^\W_]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Entry:
    """One record as the index sees it. Paths are site-relative without the leading slash."""

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


@functools.lru_cache(maxsize=20_000)  # pure; a long-lived `serve` process converts each body once
def html_text(value: str) -> str:
    """Sanitised HTML → plain text. Block tags become line breaks, inline tags vanish (``感应<b>线圈</b>``
    stays one phrase), entities are decoded."""
    value = _DROP.sub(" ", value)

    def tag(match: re.Match[str]) -> str:
        name = (match.group(2) or "").lower()
        return "\n" if name in BLOCK_TAGS else ""

    return html.unescape(_TAG.sub(tag, value))


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def runs(text: str) -> list[str]:
    """Maximal runs of letters and digits of the normalised text (the same as ``/[\\p{L}\\p{N}]+/gu`` in JS:
    ``[^\\W_]`` is exactly ``str.isalnum``)."""
    return _RUN.findall(normalise(text))


def shard_of(gram: str, shards: int) -> int:
    """FNV-1a over code points, as search.js computes it."""
    h = 2166136261
    for ch in gram:
        h = ((h ^ ord(ch)) * 16777619) & 0xFFFFFFFF
    return h % shards


def _strip_base(url: str, base_path: str) -> str:
    """URLs under the base path become relative to it (search.js puts the base back); others stay as they are."""
    return url[len(base_path) :] if url.startswith(base_path) else url


def _value_text(value: Any) -> Iterator[str]:
    if isinstance(value, Record):
        yield value.title
    elif isinstance(value, GalleryItem):
        if value.caption:
            yield html_text(str(value.caption))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _value_text(item)
    elif isinstance(value, Markup):
        yield html_text(str(value))
    elif isinstance(value, str) and value:
        yield value


def record_text(record: Record, config: SiteConfig) -> str:
    """What a visitor reads on the record's page: title, text-like fields, titles of referenced records,
    gallery captions, body."""
    settings = config.collection(record.collection)
    if settings is not None:
        names = [f.name for f in settings.fields if f.type in (*TEXT_TYPES, "ref", "gallery")]
    else:
        names = list(record.fields)
    parts = [record.title]
    for name in names:
        parts.extend(_value_text(record.fields.get(name)))
    parts.append(html_text(str(record.body)))
    return "\n".join(p for p in parts if p)


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


def entry(record: Record, config: SiteConfig) -> Entry:
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
    pinyin = " ".join(pinyin_forms(record.title)) if _CJK.search(record.title) else ""
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
        pinyin=pinyin,
        text=record_text(record, config),
    )


DIGITS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_"


def _encode_int(value: int) -> str:
    chunks = [value & 31]
    value >>= 5
    while value:
        chunks.append((value & 31) | 32)
        value >>= 5
    return "".join(DIGITS[c] for c in reversed(chunks))


_SMALL = [_encode_int(v) for v in range(1 << 15)]  # values below 32768: a table look-up


def encode_ints(values: Iterable[int]) -> str:
    """Non-negative ints → a JSON-safe string, 5 bits a character, most significant first; characters from
    the upper half of DIGITS mean "more follows". Half the size of a JSON array before gzip."""
    small = _SMALL
    return "".join(small[v] if v < 32768 else _encode_int(v) for v in values)


def decode_ints(text: str) -> list[int]:
    out, n = [], 0
    for ch in text:
        c = DIGITS.index(ch)
        n = n * 32 + (c & 31)
        if c < 32:
            out.append(n)
            n = 0
    return out


def postings(texts: Iterable[str]) -> dict[str, list[int]]:
    """gram → flat postings. Bigram: [record delta, count, first position, position deltas…]…;
    one character: [record delta…]. Positions count characters of the runs with a gap of one between runs."""
    bigrams: dict[str, list[tuple[int, list[int]]]] = defaultdict(list)
    unigrams: dict[str, list[int]] = defaultdict(list)
    for rid, text in enumerate(texts):
        here: dict[str, list[int]] = defaultdict(list)
        chars: set[str] = set()
        pos = 0
        for run in runs(text):
            chars.update(run)
            for i, gram in enumerate(map(operator.add, run, run[1:]), pos):
                here[gram].append(i)
            pos += len(run) + 1
        for ch in chars:
            unigrams[ch].append(rid)
        for gram, positions in here.items():
            bigrams[gram].append((rid, positions))
    out: dict[str, list[int]] = {}
    for gram, ids in unigrams.items():
        out[gram] = [b - a for a, b in itertools.pairwise([0, *ids])]
    for gram, per_record in bigrams.items():
        flat: list[int] = []
        last = 0
        for rid, positions in per_record:
            flat += [rid - last, len(positions), positions[0]]
            flat += [b - a for a, b in itertools.pairwise(positions)]
            last = rid
        out[gram] = flat
    return out


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def _keys(values: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Distinct (key, label) pairs in first-seen order."""
    seen: dict[str, str] = {}
    for key, label in values:
        if key and key not in seen:
            seen[key] = label
    return [[k, v] for k, v in seen.items()]


def build_index(records: list[Record], config: SiteConfig) -> dict[str, bytes]:
    """Index files for ``records`` (pass them in display order: collection by collection, each sorted):
    output-relative path → bytes. Deterministic: same records, same bytes."""
    order = {c.name: i for i, c in enumerate(config.collections)}
    ordered = sorted(records, key=lambda r: order.get(r.collection, len(order)))
    entries = [entry(r, config) for r in ordered]
    grams = postings(e.text for e in entries)
    size = sum(len(g.encode()) + 2 * len(p) + 8 for g, p in grams.items())
    shards = 1
    while shards < MAX_SHARDS and size / shards > SHARD_TARGET_BYTES:
        shards *= 2
    split: list[dict[str, str]] = [{} for _ in range(shards)]
    for gram, flat in grams.items():
        split[shard_of(gram, shards)][gram] = encode_ints(flat)
    bodies = [_dumps(s) for s in split]
    titles = {c.name: c.title for c in config.collections}
    filters = {
        "c": _keys((e.collection, titles.get(e.collection, e.collection)) for e in entries),
        "z": _keys((e.zone, e.zone_title) for e in entries),
        "i": _keys((slugify(e.industry) or "term", e.industry) for e in entries if e.industry),
        "d": _keys((slugify(e.district) or "term", e.district) for e in entries if e.district),
    }
    index = {name: {k: n for n, (k, _) in enumerate(pairs)} for name, pairs in filters.items()}

    def ref(name: str, key: str) -> int | None:
        return index[name].get(key) if key else None

    rows = [
        [
            e.path,
            e.title,
            ref("c", e.collection),
            ref("z", e.zone),
            ref("i", slugify(e.industry) or "term") if e.industry else None,
            ref("d", slugify(e.district) or "term") if e.district else None,
            e.thumb,
            e.thumb_width,
            e.thumb_height,
            e.pinyin,
        ]
        for e in entries
    ]
    digest = hashlib.sha256(_dumps([filters, rows])).hexdigest()
    digest = hashlib.sha256(digest.encode() + b"".join(bodies)).hexdigest()[:12]
    meta = {"v": FORMAT_VERSION, "h": digest, "n": shards, "f": filters, "r": rows}
    files = {META_PATH: _dumps(meta)}
    for k, body in enumerate(bodies):
        files[f"search/{digest}/{k}.json"] = body
    return files
