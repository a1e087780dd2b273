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

The index is made of pieces that are plain functions of their inputs: each record's row (``searchtext.entry``)
and text (``searchtext.record_text``, made of ``searchtext.inputs`` alone), the postings of each block of BLOCK
records (``searchpostings``), and the files assembled from those (``index_files``). ``build_index`` is all of
it from scratch; a caller that keeps blocks between builds passes them to ``index_files`` itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from yunzhan.config import SiteConfig
from yunzhan.model import Record
from yunzhan.searchpostings import (
    BLOCK,
    FINEST,
    Block,
    Packed,
    all_keys,
    block_of,
    dumps,
    gram_bytes,
    grams_of,
    new_groups,
    pack,
    shard_pieces,
)
from yunzhan.searchtext import Entry, body_text, entry, inputs_but_body, texts_joined, titles_pinyin
from yunzhan.searchtext import record_text as record_text  # for the reuse layer's blocks made of some texts
from yunzhan.slugs import slugify
from yunzhan.workers import Started, beside, beside_soon

META_PATH = "search/meta.json"
FORMAT_VERSION = 2
SHARD_DIR = "search/s/"
SHARD_TARGET_BYTES = 16_000  # estimated bytes per shard (real: about half of it raw, a quarter gzipped)
MAX_SHARDS = FINEST


def in_order(records: list[Record], config: SiteConfig) -> list[Record]:
    """Records in the index's order (record ids): collection by collection, each as given."""
    order = {c.name: i for i, c in enumerate(config.collections)}
    return sorted(records, key=lambda r: order.get(r.collection, len(order)))


def build_index(records: list[Record], config: SiteConfig) -> dict[str, bytes]:
    """Index files for ``records`` (pass them in display order: collection by collection, each sorted):
    output-relative path → bytes. Deterministic: same records, same bytes."""
    ordered = in_order(records, config)
    pinyin = titles_pinyin([r.title for r in ordered])
    entries = [entry(r, config, pinyin, with_text=False) for r in ordered]
    blocks = record_blocks(ordered, config, list(range(0, len(ordered), BLOCK)))
    return {rel: data for rel, data in index_files(entries, blocks, config) if data is not None}


def record_blocks(ordered: list[Record], config: SiteConfig, starts: list[int]) -> list[Block]:
    """The blocks of ``ordered`` (``in_order``) that start at each of ``starts`` (multiples of BLOCK)."""
    return [block for _, block in fresh_blocks(ordered, config, starts)]


# fewer blocks than this (~1,000 records, ~1 s of work) are made here: a new process costs more
MIN_BLOCKS = 16


# a cold build's first blocks begun early (``blocks_soon``): each a block's ``_sent`` inputs, and its result
Soon = Started[tuple[tuple[str, tuple[Any, ...], str], ...], tuple[list[Packed], Block]]


def fresh_blocks(
    ordered: list[Record],
    config: SiteConfig,
    starts: list[int],
    meanwhile: Iterable[object] = (),
    text: Callable[[Record], str] = body_text,
    started: Soon | None = None,
) -> Iterator[tuple[list[Packed], Block]]:
    """For each of ``starts``, its records' shares of the index (``searchpostings.pack``) and their block, in
    order. A cold build's ~1 ms a record (mostly ``record_grams``) is shared with another process when there
    are many blocks (``workers.beside``): this one reads the records and sends it blocks' ``inputs``, each
    body as its plain text (``text``: ``searchtext.body_text``, which the caller may share with other
    readers of the text), whose texts are made where the block is. ``meanwhile``: other work of the
    caller's, whose steps this one takes while the other process is busy (``beside``); each block's
    ``text`` is asked for when it is sent or done here, in order. ``started``: blocks begun earlier
    (``blocks_soon``), whose come first."""
    made = (tuple(_sent(r, config, text) for r in ordered[s : s + BLOCK]) for s in starts)
    try:
        yield from beside(
            packed_block, made, len(starts), min_items=MIN_BLOCKS, meanwhile=meanwhile, started=started
        )
    finally:
        _places.clear()


def blocks_soon(
    ordered: list[Record],
    config: SiteConfig,
    starts: list[int],
    count: int,
    text: Callable[[Record], str] = body_text,
) -> Soon | None:
    """``fresh_blocks``' process started now (``workers.beside_soon``), the blocks at ``starts`` (the first
    of ``count``) sent to it, their bodies' texts made now (``text``, as in ``fresh_blocks``); None where
    ``fresh_blocks`` would make them all here. Passed to ``fresh_blocks`` (as ``started``, with the other
    blocks' starts), their results come first."""

    def items() -> Iterator[tuple[tuple[str, tuple[Any, ...], str], ...]]:
        return (tuple(_sent(r, config, text) for r in ordered[s : s + BLOCK]) for s in starts)

    return beside_soon(packed_block, items, count, min_items=MIN_BLOCKS)


_places = new_groups()  # keys' places, found once by each process making blocks (a key is in many blocks)


def _sent(record: Record, config: SiteConfig, text: Callable[[Record], str]) -> tuple[Any, ...]:
    """A record's ``searchtext.inputs`` as ``packed_block`` reads them: the body as its plain text (``text``)."""
    return (*inputs_but_body(record, config), text(record))


def packed_block(made: tuple[tuple[str, tuple[Any, ...], str], ...]) -> tuple[list[Packed], Block]:
    """The records' shares of the index, packed, and their block, of the records' ``searchtext.inputs``, each
    body as its plain text (``_sent``). The block is made of the shares as made, not unpacked again: their
    grams are interned, hashed once (a third of ``block_of``'s time at 10,000 records, ~0.9 s of CPU)."""
    shares = [grams_of(texts_joined(*one)) for one in made]  # made once: not remembered (``record_grams``)
    return list(map(pack, shares)), block_of(shares, _places)


def index_size(blocks: list[Block]) -> int:
    """The estimated bytes of the index of ``blocks`` (2 bytes an int), which set its shard count."""
    grams = set().union(*map(all_keys, blocks))
    return gram_bytes(grams) + 2 * sum(block.ints for block in blocks)


def shard_count(blocks: list[Block]) -> int:
    """How many shards the index of ``blocks`` has."""
    return shards_for(index_size(blocks))


def shards_for(size: int) -> int:
    """How many shards an index of ``size`` estimated bytes has: a power of two, about SHARD_TARGET_BYTES each."""
    shards = 1
    while shards < MAX_SHARDS and size / shards > SHARD_TARGET_BYTES:  # estimated: 2 bytes an int
        shards *= 2
    return shards


def index_files(
    entries: Sequence[Entry],
    blocks: list[Block],
    config: SiteConfig,
    slugs: Mapping[str, str] | None = None,
    shards: int | None = None,
    made: Mapping[int, str] | None = None,
    meta_before: bytes | None = None,
) -> Iterator[tuple[str, bytes | None]]:
    """``search/meta.json`` and the shards, of the records' ``entries`` and ``blocks`` (in record order), one
    file at a time: each shard as soon as its bytes are made, meta.json (which names them) last, so that a caller
    writing each as it comes never holds all of them (~45 MB at 10,000 records).

    ``slugs``: term slugs already known (others are made here). ``shards``: ``shard_count(blocks)``, when the
    caller has it. ``made``: shards the caller has the bytes of already (shard number → the name of its
    bytes): they are not made again, and come with None. ``meta_before``: a meta.json made of the same
    ``entries`` and ``slugs``, whose rows and filters are kept (``meta_renamed``) rather than made again."""
    shards = shard_count(blocks) if shards is None else shards
    rels = []
    for rel, body in shard_files(blocks, shards, made):
        rels.append(rel)
        yield rel, body
    yield META_PATH, meta_file(entries, list(shard_names(rels)), config, slugs, meta_before)


def shard_files(
    blocks: list[Block], shards: int, made: Mapping[int, str] | None = None
) -> Iterator[tuple[str, bytes | None]]:
    """The shards of ``index_files``, in shard order, one at a time (``made``: see there)."""
    made = made or {}
    for k, body in shard_pieces(blocks, shards, set(range(shards)) - made.keys() if made else None):
        yield shard_path(k, made[k] if body is None else shard_name(body)), body


def shard_name(body: bytes) -> str:
    """The name of a shard of these bytes: the first 10 hex digits of their SHA-256."""
    return hashlib.sha256(body).hexdigest()[:10]


def meta_file(
    entries: Sequence[Entry],
    names: list[str],
    config: SiteConfig,
    slugs: Mapping[str, str] | None = None,
    meta_before: bytes | None = None,
) -> bytes:
    """``search/meta.json`` naming the shards ``names`` (see ``index_files``)."""
    meta = meta_renamed(meta_before, names) if meta_before is not None else None
    return meta if meta is not None else _meta(entries, names, config, slugs or {})


def meta_renamed(previous: bytes, names: list[str]) -> bytes | None:
    """``previous`` (a meta.json as ``_meta`` writes it) with its shards named ``names``: its rows and filters
    as they are (at 10,000 records, 1.4 MB not made again when an edit changed only postings). Its keys are
    sorted, so the names (``"s"``) and the version (``"v"``) come last, after ``"n"`` and the rows; None when
    ``previous`` is not such a file or lists another number of shards."""
    cut = previous.rfind(b',"s":[')
    count = previous.rfind(b',"n":', 0, cut)
    if cut < 0 or count < 0 or not previous.endswith(b',"v":%d}' % FORMAT_VERSION):
        return None
    if not previous.startswith(b',"n":%d,"r":[' % len(names), count):
        return None
    return previous[:cut] + b"," + dumps({"s": names, "v": FORMAT_VERSION})[1:]


def shard_names(files: Iterable[str]) -> tuple[str, ...]:
    """The name of each shard of ``index_files``' files (hashes of their bytes), in shard order."""
    shards = (rel[len(SHARD_DIR) :].split(".") for rel in files if rel.startswith(SHARD_DIR))
    return tuple(name for _, name in sorted((int(k), name) for k, name, _ in shards))


def _meta(entries: Sequence[Entry], names: list[str], config: SiteConfig, slugs: Mapping[str, str]) -> bytes:
    titles = {c.name: c.title for c in config.collections}
    known = dict(slugs)  # few distinct industries and districts, and slugify is slow

    def term(value: str) -> str:
        if value not in known:
            known[value] = slugify(value)
        return known[value] or "term"

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
    return dumps({"v": FORMAT_VERSION, "n": len(names), "s": names, "f": filters, "r": rows})


def _keys(values: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Distinct (key, label) pairs in first-seen order."""
    seen: dict[str, str] = {}
    for key, label in values:
        if key and key not in seen:
            seen[key] = label
    return [[k, v] for k, v in seen.items()]


def shard_path(k: int, name: str) -> str:
    """Output-relative path of shard ``k`` whose bytes hash to ``name`` (``meta["s"][k]``), as search.js builds it."""
    return f"{SHARD_DIR}{k}.{name}.json"
