"""Full-text search for a site with no server: a sharded, positional character-bigram index built here and read
by ``themes/default/static/js/search.js``.

Chinese has no spaces, so instead of guessing words the index keeps, for every record, where each pair of
adjacent characters (a bigram) occurs. A query term of n characters occurs at position p exactly when its
n-1 bigrams occur at p, p+1, …: the browser checks that chain, so a phrase matches the records that contain it,
and only those (plain substring semantics, no segmenter to disagree with). One-character terms use a
record list per character. Latin queries of two letters or more also match the pinyin and initials of titles
(``leiyutian``, ``lyt`` → 雷雨田).

Files (output-relative):

- ``search/meta.json`` — fetched with revalidation: format version, shard count, the name of each shard, filter
  values and one row per record (path, title, collection, zone, industry, district, thumbnail, pinyin).
- ``search/s/<k>.<hash>.json`` — shard k: ``{gram: postings}``, gram → shard by FNV-1a of its code points,
  postings as ints packed in a string (``encode_ints``). ``hash`` is the first 10 hex digits of the SHA-256 of
  the shard's own bytes, listed in meta.json (``"s"``): an edit renames only the shards whose bytes changed
  (a hosting sync uploads those and meta.json), and a cached shard never mixes with a newer meta file.
  Positions are absolute, so text inserted into a record shifts that record's positions after it: its pairs
  from there on change, and so do their shards. Appending, or replacing characters one for one, changes few.

Building is incremental: the postings of each block of BLOCK records are kept by their texts (the caller keeps
them between builds), so a rebuild after one edit redoes one block (from each record's pairs, ``record_grams``).
Blocks are merged, and their shards written, a group of shards at a time (``GROUPS``), so the postings of the
whole index are never alive at once, only their bytes.

Text is NFKC-normalised and lowercased; anything that is not a letter or a digit (spaces, punctuation)
separates terms, in the text and in the query alike.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import operator
import re
import sys
import unicodedata
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from markupsafe import Markup

from yunzhan.config import SiteConfig
from yunzhan.htmltext import plain_text
from yunzhan.model import GalleryItem, Image, Record
from yunzhan.slugs import pinyin_forms, slugify
from yunzhan.workers import fork_map

META_PATH = "search/meta.json"
FORMAT_VERSION = 2
SHARD_DIR = "search/s/"
SHARD_TARGET_BYTES = 16_000  # estimated bytes per shard (real: about half of it raw, a quarter gzipped)
MAX_SHARDS = 4096
TEXT_TYPES = ("string", "text", "enum", "list")
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
    settings = config.collection(record.collection)
    if settings is not None:
        names = [f.name for f in settings.fields if f.type in (*TEXT_TYPES, "ref", "gallery")]
    else:
        names = list(record.fields)
    return record.title, tuple(_readable(record.fields.get(name)) for name in names), record.body


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


def record_text(record: Record, config: SiteConfig) -> str:
    """What a visitor reads on the record's page: title, text-like fields, titles of referenced records,
    gallery captions, body (made of ``inputs`` alone)."""
    title, values, body = inputs(record, config)
    parts = [title]
    for value in values:
        parts.extend(_value_text(value))
    parts.append(plain_text(body))
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


def entry(
    record: Record,
    config: SiteConfig,
    pinyin: dict[str, str] | None = None,
    *,
    with_text: bool = True,
) -> Entry:
    """``with_text=False`` leaves ``text`` empty: ``build_index`` streams the texts into the postings a block at a
    time rather than holding all of them."""
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
    if known is None:
        known = title_pinyin(record.title)
        if pinyin is not None:
            pinyin[record.title] = known
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
        pinyin=known,
        text=record_text(record, config) if with_text else "",
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


_ONE = [_SMALL[1] + v for v in _SMALL]  # a pair seen once, at position p: count 1, first position p
_TWO = [_SMALL[2] + v for v in _SMALL]  # seen twice, first at p
BLOCK = 64  # records per memoised block of postings (below 256: ids within a block fit in bytes)


def _encode_one(value: int) -> str:
    return _SMALL[value] if value < 32768 else _encode_int(value)


class RecordGrams(NamedTuple):
    """Where each pair of adjacent characters occurs in one record (see ``record_grams``)."""

    chars: str  # its distinct characters, sorted
    grams: tuple[str, ...]  # its distinct bigrams, interned
    segments: tuple[str, ...]  # each bigram's postings here: count, first position, position deltas, packed
    ints: int  # how many ints the record adds to the postings (for the shard size estimate)


@functools.lru_cache(maxsize=4 * BLOCK)  # a `serve` process re-reads the block of the record being edited
def record_grams(text: str) -> RecordGrams:
    """One record's share of the index, without its record id. Positions count characters of the runs with a
    gap of one between runs, i.e. they are indexes into ``" ".join(runs(text))``."""
    parts = runs(text)
    line = " ".join(parts)
    chars = set(line)
    chars.discard(" ")
    here: defaultdict[str, list[int]] = defaultdict(list)
    # here[line[i] + line[i + 1]].append(i) for every i, looped in C rather than in Python bytecode
    pairs = map(operator.add, line, line[1:])
    deque(map(list.append, map(here.__getitem__, pairs), itertools.count()), maxlen=0)
    for left, right in itertools.pairwise(parts):  # pairs across the gap between two runs are not text
        here.pop(left[-1] + " ", None)
        here.pop(" " + right[0], None)
    segments: list[str] = []
    if len(line) <= len(_SMALL):  # every count, position and delta is a table look-up
        small, one, two, get, sub = _SMALL, _ONE, _TWO, _SMALL.__getitem__, operator.sub
        for positions in here.values():
            if len(positions) == 1:
                segments.append(one[positions[0]])
            elif len(positions) == 2:
                first, second = positions
                segments.append(two[first] + small[second - first])
            else:
                deltas = "".join(map(get, map(sub, positions[1:], positions)))
                segments.append(small[len(positions)] + small[positions[0]] + deltas)
    else:
        for positions in here.values():
            deltas = map(operator.sub, positions[1:], positions)
            segments.append(encode_ints([len(positions), positions[0], *deltas]))
    return RecordGrams(
        chars="".join(sorted(chars)),
        grams=tuple(map(sys.intern, here)),  # one string per pair, however many records and blocks hold it
        segments=tuple(segments),
        ints=sum(map(len, here.values())) + 2 * len(here) + len(chars),
    )


GROUPS = 64  # blocks order their keys by shard_of(key, GROUPS): the index is merged one such group at a time


class Block(NamedTuple):
    """The postings of up to BLOCK consecutive records, record ids counted from the block's first record. Keys
    come group by group (``shard_of(key, GROUPS)``), so a group's postings are one slice of each field and can be
    merged and written without the rest of the index alive."""

    keys: tuple[str, ...]  # grams (characters and bigrams) the block holds, interned
    firsts: bytes  # per key: the first record that holds it
    lasts: bytes  # per key: the last one
    rests: str  # per key, ","-separated: its packed postings in the block without the first record id
    ints: int  # how many ints the block adds to the postings
    cuts: tuple[int, ...] = ()  # where each group starts in keys (GROUPS + 1), then in rests (GROUPS + 1)
    # (the default lets blocks pickled by older builds load; their digests never match, see ``_text_key``)


Blocks = dict[tuple[bytes, ...], Block]  # by the digests of their texts, or their records' keys
"""The blocks of the last ``postings`` call by digests of their texts (so any change in a block is seen). A build keeps
them (``serve`` in memory, ``build`` in its cache) and hands them to the next, which then rebuilds only the
block holding an edited record. About the block's share of the index plus 10 bytes a key."""


def _text_key(text: str) -> bytes:
    """Salted with the block layout, so blocks of another layout kept by an older build never match."""
    return hashlib.blake2b(
        text.encode("utf-8", "surrogatepass"), digest_size=16, person=b"by-group-64"
    ).digest()


class _Groups(dict[str, int]):
    """``shard_of(key, GROUPS)`` by key, each computed once a build (a key is in many blocks)."""

    def __missing__(self, key: str) -> int:
        self[key] = group = shard_of(key, GROUPS)
        return group


def _block(texts: tuple[str, ...], groups: _Groups | None = None) -> Block:
    buckets: defaultdict[str, list[Any]] = defaultdict(list)  # key → [record id, its segment, id, …]
    append, repeat, ints = list.append, itertools.repeat, 0
    for rid, text in enumerate(texts):
        record = record_grams(text)
        ints += record.ints
        for keys, segments in ((record.chars, repeat("")), (record.grams, record.segments)):
            targets = list(map(buckets.__getitem__, keys))
            deque(map(append, targets, repeat(rid)), maxlen=0)
            deque(map(append, targets, segments), maxlen=0)
    where = list(map((groups if groups is not None else _Groups()).__getitem__, buckets))
    order = sorted(range(len(where)), key=where.__getitem__)
    encode, sub, chain = _SMALL.__getitem__, operator.sub, itertools.chain
    firsts, lasts, rests = bytearray(), bytearray(), []
    for flat in map(list(buckets.values()).__getitem__, order):
        ids = flat[0::2]
        firsts.append(ids[0])
        lasts.append(ids[-1])
        flat[0::2] = map(encode, map(sub, ids, chain((0,), ids)))  # record ids → deltas, packed
        flat[0] = ""
        rests.append("".join(flat))
    sizes = Counter(where)
    keys_at = [0, *itertools.accumulate(sizes[g] for g in range(GROUPS))]
    chars_at = [0, *itertools.accumulate(len(r) + 1 for r in rests)]  # where each key's rest starts
    keys = tuple(map(sys.intern, map(list(buckets).__getitem__, order)))
    cuts = (*keys_at, *map(chars_at.__getitem__, keys_at))
    return Block(keys, bytes(firsts), bytes(lasts), ",".join(rests), ints, cuts)


def _blocks(
    count: int,
    text: Callable[[int], str],
    memo: Blocks | None = None,
    key: Callable[[int], bytes] | None = None,
) -> tuple[list[Block], int]:
    """The blocks of texts 0..count-1 in order (block n starts at record n * BLOCK) and how many ints they hold.
    With ``key`` (a key of everything a text is made of), only the texts of the blocks that ``memo`` lacks are
    made, by whichever process makes the block. ``memo`` holds the blocks of the last call; it is left holding
    this call's."""
    old = memo if memo is not None else {}
    found: list[tuple[tuple[bytes, ...], Block | None]] = []
    pending: dict[tuple[bytes, ...], int] = {}  # block key → its place among the missing
    missing: list[tuple[str, ...] | range] = []  # the texts of each missing block, or the ids to make them of
    for start in range(0, count, BLOCK):
        ids = range(start, min(start + BLOCK, count))
        if key is None:
            chunk = tuple(map(text, ids))
            block_key = tuple(map(_text_key, chunk))
        else:
            block_key = tuple(map(key, ids))
        block = old.get(block_key)
        if block is None and block_key not in pending:
            pending[block_key] = len(missing)
            missing.append(chunk if key is None else ids)
        found.append((block_key, block))
    # A cold build makes every block (seconds at 10,000 records): in forked processes, when there are many.
    made = list(fork_map(_make_block, (text, missing, _Groups()), len(missing), min_items=8, chunk=4))
    blocks = [block or made[pending[block_key]] for block_key, block in found]
    old.clear()
    old.update((block_key, block) for (block_key, _), block in zip(found, blocks, strict=True))
    return blocks, sum(block.ints for block in blocks)


def title_pinyin(title: str) -> str:
    """ "leiyutian lyt" for 雷雨田; "" for a title with no Chinese."""
    return " ".join(pinyin_forms(title)) if _CJK.search(title) else ""


def _pinyin(titles: list[str], i: int) -> str:
    return title_pinyin(titles[i])


def _make_block(state: tuple[Callable[[int], str], list[tuple[str, ...] | range], _Groups], i: int) -> Block:
    text, missing, groups = state
    texts = missing[i]
    return _block(texts if isinstance(texts, tuple) else tuple(map(text, texts)), groups)


def _merge(blocks: list[Block], group: int, out: dict[str, str]) -> None:
    """Adds the postings of the keys of ``group`` to ``out``: for each key, its first record in a block follows
    its last record in the blocks before."""
    chained: defaultdict[str, list[Any]] = defaultdict(list)  # key → [first id, last id, rest, first id, …]
    append, repeat, add = list.append, itertools.repeat, operator.add
    for n, block in enumerate(blocks):
        cuts = block.cuts
        low, high = cuts[group], cuts[group + 1]
        if low == high:
            continue
        start = n * BLOCK
        targets = list(map(chained.__getitem__, block.keys[low:high]))
        deque(map(append, targets, map(add, block.firsts[low:high], repeat(start))), maxlen=0)
        deque(map(append, targets, map(add, block.lasts[low:high], repeat(start))), maxlen=0)
        rests = block.rests[cuts[GROUPS + 1 + group] : cuts[GROUPS + 2 + group] - 1]
        deque(map(append, targets, rests.split(",")), maxlen=0)
    encode = _SMALL.__getitem__ if len(blocks) * BLOCK <= len(_SMALL) else _encode_one
    sub, chain = operator.sub, itertools.chain
    for key, flat in chained.items():
        gaps = map(encode, map(sub, flat[0::3], chain((0,), flat[1::3])))
        out[key] = "".join(map(add, gaps, flat[2::3]))


def postings(texts: Iterable[str], memo: Blocks | None = None) -> tuple[dict[str, str], int]:
    """(gram → flat postings packed by ``encode_ints``, how many ints they hold). Bigram: [record delta, count,
    first position, position deltas…]…; one character: [record delta…]. Record ids count ``texts`` from 0.

    Built from blocks of BLOCK records (``memo``: see ``_blocks``), joined group by group. ``build_index`` writes
    each group's shards before merging the next instead of holding the whole index."""
    texts = list(texts)
    blocks, total = _blocks(len(texts), texts.__getitem__, memo)
    out: dict[str, str] = {}
    for group in range(GROUPS):
        _merge(blocks, group, out)
    return out, total


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def _keys(values: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Distinct (key, label) pairs in first-seen order."""
    seen: dict[str, str] = {}
    for key, label in values:
        if key and key not in seen:
            seen[key] = label
    return [[k, v] for k, v in seen.items()]


@dataclass
class SearchMemo:
    """What one index build leaves for the next: postings block by block, and the pinyin of titles (half a
    millisecond each with pypinyin). Each build keeps only what it used."""

    blocks: Blocks = field(default_factory=dict)
    pinyin: dict[str, str] = field(default_factory=dict)
    names: tuple[str, ...] = ()  # the shard names (hashes of their bytes) of the last build, shard by shard


def _shard_bodies(blocks: list[Block], shards: int, wanted: set[int] | None = None) -> list[bytes | None]:
    """The bytes of each shard (of the ``wanted`` ones; None for the others), made group by group (a shard is
    one group or more, or a group several shards: both counts are powers of two), so only one group's postings
    are alive at a time."""
    bodies: list[bytes | None] = [None] * shards
    for unit in range(min(shards, GROUPS)):
        mine = range(unit, shards, GROUPS)  # the shards of group `unit` (it alone when shards <= GROUPS)
        if wanted is not None and wanted.isdisjoint(mine):
            continue
        out: dict[str, str] = {}
        for group in range(unit, GROUPS, shards):  # the groups of shard `unit` (one when shards >= GROUPS)
            _merge(blocks, group, out)
        if shards <= GROUPS:
            bodies[unit] = _dumps(out)
            continue
        split: dict[int, dict[str, str]] = {k: {} for k in mine}
        for gram, packed in out.items():
            split[shard_of(gram, shards)][gram] = packed
        del out
        for k, part in split.items():
            if wanted is None or k in wanted:
                bodies[k] = _dumps(part)
    return bodies


def _changed_keys(old: Block, new: Block) -> set[str]:
    """The keys whose postings differ between two blocks at one place (a key's merged postings are made of its
    postings in each block, and nothing else)."""

    def postings(block: Block) -> set[tuple[str, int, int, str]]:
        return set(zip(block.keys, block.firsts, block.lasts, block.rests.split(","), strict=True))

    return {key for key, *_ in postings(old) ^ postings(new)}


def _unchanged_shards(
    previous: list[Block], blocks: list[Block], shards: int, names: tuple[str, ...]
) -> set[int]:
    """Shards whose bytes are as the last build made them (its ``previous`` blocks, ``names`` of its shards):
    those that hold no key of a block made again. Blocks kept from the last build are the very same objects."""
    if len(names) != shards or len(previous) != len(blocks):
        return set()
    dirty: set[str] = set()
    for old, new in zip(previous, blocks, strict=True):
        if old is not new:
            dirty |= _changed_keys(old, new)
    return set(range(shards)) - {shard_of(key, shards) for key in dirty}


def build_index(
    records: list[Record],
    config: SiteConfig,
    memo: SearchMemo | None = None,
    key: Callable[[Record], bytes] | None = None,
    kept: Callable[[str], bool] | None = None,
    slug: Callable[[str], str] = slugify,
) -> dict[str, bytes | None]:
    """Index files for ``records`` (pass them in display order: collection by collection, each sorted):
    output-relative path → bytes. Deterministic: same records, same bytes.

    ``key``: a key that changes with everything ``record_text`` reads of a record (the caller's fingerprint of
    it and of the titles it refers to). The kept blocks are then found by their records' keys, and a rebuild
    makes the text of one block's records, not of every record.

    ``kept``: whether an index file the last build made (with this ``memo``) is still in the output as it left
    it. A shard whose bytes would be the same as then, and is kept, comes as None instead of its bytes: after
    one edit, the tens of shards that hold a key of the edited record are made, not thousands."""
    order = {c.name: i for i, c in enumerate(config.collections)}
    ordered = sorted(records, key=lambda r: order.get(r.collection, len(order)))
    memo = memo if memo is not None else SearchMemo()
    unknown = sorted({r.title for r in ordered if r.title not in memo.pinyin and _CJK.search(r.title)})
    for title, forms in zip(unknown, fork_map(_pinyin, unknown, len(unknown), chunk=256), strict=True):
        memo.pinyin[title] = forms  # a cold build: a quarter of a millisecond each, shared between processes
    entries = [entry(r, config, memo.pinyin, with_text=False) for r in ordered]
    memo.pinyin = {e.title: e.pinyin for e in entries}  # only what this build used
    previous = list(memo.blocks.values())  # in the order of the last build
    blocks, ints = _blocks(
        len(ordered),
        lambda i: record_text(ordered[i], config),
        memo.blocks,
        (lambda i: key(ordered[i])) if key is not None else None,
    )
    grams = set().union(*(block.keys for block in blocks))
    size = sum(len(g.encode()) + 8 for g in grams) + 2 * ints  # estimated, as in format 1: 2 bytes an int
    del grams
    shards = 1
    while shards < MAX_SHARDS and size / shards > SHARD_TARGET_BYTES:
        shards *= 2
    same: set[int] = set()
    if kept is not None:
        same = {
            k
            for k in _unchanged_shards(previous, blocks, shards, memo.names)
            if kept(shard_path(k, memo.names[k]))
        }
    bodies = _shard_bodies(blocks, shards, set(range(shards)) - same if same else None)
    names = [
        memo.names[k] if body is None else hashlib.sha256(body).hexdigest()[:10]
        for k, body in enumerate(bodies)
    ]
    memo.names = tuple(names)
    titles = {c.name: c.title for c in config.collections}
    slugs: dict[str, str] = {}  # few distinct industries and districts, and slugify is slow

    def term(value: str) -> str:
        if value not in slugs:
            slugs[value] = slug(value) or "term"
        return slugs[value]

    filters = {
        "c": _keys((e.collection, titles.get(e.collection, e.collection)) for e in entries),
        "z": _keys((e.zone, e.zone_title) for e in entries),
        "i": _keys((term(e.industry), e.industry) for e in entries if e.industry),
        "d": _keys((term(e.district), e.district) for e in entries if e.district),
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
            ref("i", term(e.industry)) if e.industry else None,
            ref("d", term(e.district)) if e.district else None,
            e.thumb,
            e.thumb_width,
            e.thumb_height,
            e.pinyin,
        ]
        for e in entries
    ]
    meta = {"v": FORMAT_VERSION, "n": shards, "s": names, "f": filters, "r": rows}
    files: dict[str, bytes | None] = {META_PATH: _dumps(meta)}
    for k, (name, body) in enumerate(zip(names, bodies, strict=True)):
        files[shard_path(k, name)] = body
    return files


def shard_path(k: int, name: str) -> str:
    """Output-relative path of shard ``k`` whose bytes hash to ``name`` (``meta["s"][k]``), as search.js builds it."""
    return f"{SHARD_DIR}{k}.{name}.json"
