"""The search index around the reuse layer: the postings of each block of BLOCK records kept in the store by
their records' keys (made of ``searchtext.inputs``, the index's own declaration of what it reads), the pinyin
of titles by title, and the shards of the last build that are still right and still in the output as written
left there rather than made again (after one edit, tens of shards are made, not thousands).
"""

from __future__ import annotations

import functools
import marshal
import operator
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from yunzhan import search, searchpostings, searchtext
from yunzhan.config import SiteConfig
from yunzhan.incremental.bodytexts import BodyTexts
from yunzhan.incremental.fingerprints import digest, print_of
from yunzhan.incremental.recordstates import RecordKey, States, by_state, key_of
from yunzhan.incremental.searchedits import Spliced, spliced_index
from yunzhan.incremental.store import Store
from yunzhan.model import Record
from yunzhan.searchpostings import BLOCK, Block

BlockKey = tuple[bytes, ...]  # the keys of a block's records


def search_files(
    ordered: list[Record],
    config: SiteConfig,
    store: Store,
    settings: str,
    states: States | dict[RecordKey, str],
    left: Callable[[str], bool],
    slugs: Mapping[str, str],
    made: Mapping[str, str] | None = None,
    read: Callable[[str], bytes] | None = None,
    meanwhile: Iterable[object] = (),
    texts: BodyTexts | None = None,
    soon: BlocksSoon | None = None,
) -> Iterator[tuple[str, bytes | None]]:
    """``search.index_files`` of ``ordered`` (``search.in_order``), with the blocks, rows and keys the last
    build kept (``states``: see ``recordstates``); a shard comes with None when the file the last build wrote is
    right (``left``: as it wrote it). ``made``: the pinyin of the titles ``titles_wanted`` named, made by the
    caller. ``read``: a file of the output by its path, for meta.json kept but for its shards' names (while
    the rows and filters it was made of are as they were, and it is as written). The store learns of this
    build's blocks and shards once the last file is taken. ``meanwhile``: other work of the caller's, steps of
    which are taken while a process beside this one makes blocks (``search.fresh_blocks``); ``texts``: the
    bodies' texts, shared with that work (``bodytexts``). ``soon``: a cold build's first blocks, begun
    earlier (``blocks_soon``): taken when they are those of ``ordered`` the store lacks, else stopped."""
    known, names, order, size, rows_before = _head(store)
    made = made or {}
    missing = [t for r in ordered if (t := r.title) not in known and t not in made]
    pinyin = {**known, **made, **searchtext.titles_pinyin(missing)}  # read for records made again: by title

    def key_and_entry(record: Record) -> tuple[bytes, bytes]:
        key = bytes.fromhex(key_of(settings, record, functools.partial(searchtext.inputs, config=config)))
        return key, marshal.dumps(tuple(searchtext.entry(record, config, pinyin, with_text=False)), 2)

    pairs = by_state(store, "search_records", settings + ROWS, ordered, states, key_and_entry)
    keys = [key for key, _ in pairs]
    entries = _Entries([entry for _, entry in pairs])
    starts = list(range(0, len(ordered), BLOCK))
    block_keys = [tuple(keys[s : s + BLOCK]) for s in starts]
    rows = print_of((settings, entries.kept, dict(slugs)))  # 2 ms, not 30 ms of rows made
    meta_before = None
    if read is not None and rows == rows_before and left(search.META_PATH):
        meta_before = read(search.META_PATH)
    edit = spliced_index(ordered, config, store, block_keys, (names, order, size), left, read)
    if edit is None:
        shards, order, size = yield from _whole_index(
            ordered, config, store, block_keys, left, (names, order, size), meanwhile, texts, soon
        )
    else:
        if soon is not None:
            soon.started.close()
        shards = list(_spliced_shards(edit, names))
        yield from ((search.shard_path(k, name), edit.bodies.get(k)) for k, name in enumerate(shards))
        order = _keep_spliced(store, block_keys, edit, order)
        size = edit.size
    yield search.META_PATH, search.meta_file(entries, shards, config, slugs, meta_before)
    pinyin_now = (
        known if rows == rows_before else {e.title: e.pinyin for e in entries}
    )  # the same rows: titles
    store.put("meta", "search", (HEAD, pinyin_now, tuple(shards), order, size, rows), plain=True)


def _spliced_shards(edit: Spliced, names: tuple[str, ...]) -> Iterator[str]:
    """The name of each shard of the spliced index (those made again: a hash of their bytes)."""
    for k, name in enumerate(names):
        body = edit.bodies.get(k)
        yield name if body is None else search.shard_name(body)


def _keep_spliced(store: Store, block_keys: list[BlockKey], edit: Spliced, order: list[str]) -> list[str]:
    """Write the blocks an edit changed (made of their records' shares, one of which was made again), forget
    those they replace; the names of this build's blocks, in order."""
    order = list(order)
    for n, packed in edit.packed.items():
        order[n] = name = digest(block_keys[n])
        # its block is made when a later build merges them all (``_kept_blocks``)
        store.put("grams", name, (block_keys[n], packed))
    store.keep_only("blocks", order)
    store.keep_only("grams", order)
    return order


def _whole_index(
    ordered: list[Record],
    config: SiteConfig,
    store: Store,
    block_keys: list[BlockKey],
    left: Callable[[str], bool],
    head: tuple[tuple[str, ...], list[str], int | None],
    meanwhile: Iterable[object],
    texts: BodyTexts | None,
    soon: BlocksSoon | None,
) -> Generator[tuple[str, bytes | None], None, tuple[list[str], list[str], int]]:
    """The shards made of every block (those the last build kept, the others made), the unchanged ones left
    (None); returns their names, the blocks' names and the index's estimated size."""
    names, order, size = head
    kept = _kept_blocks(store, order)
    previous = dict(kept)
    starts = list(range(0, len(ordered), BLOCK))
    missing = [s for s, key in zip(starts, block_keys, strict=True) if key not in previous]
    made = _made_blocks(ordered, config, store, missing, block_keys, kept, meanwhile, texts, soon)
    blocks = [made[s] if s in made else previous[key] for s, key in zip(starts, block_keys, strict=True)]
    same: dict[int, str] = {}
    if size is not None and len(kept) == len(blocks):
        dirty, change = searchpostings.changes([block for _, block in kept], blocks)
        size += change
        shards = search.shards_for(size)
        if len(names) == shards:
            gone = {searchpostings.shard_of(key, shards) for key in dirty}
            same = {
                k: names[k] for k in range(shards) if k not in gone and left(search.shard_path(k, names[k]))
            }
    else:
        size = search.index_size(blocks)
        shards = search.shards_for(size)
    rels = []
    for rel, data in search.shard_files(blocks, shards, same):
        yield rel, data
        rels.append(rel)
    return list(search.shard_names(rels)), _keep(store, block_keys, blocks, previous), size


ROWS = (
    "/rows-2"  # the shape of what ``search_records`` keeps of a record: its key and its marshalled ``Entry``
)


class _Entries(Sequence[searchtext.Entry]):
    """The records' rows as kept, each marshalled (10,000 values to read back, not 130,000), made into
    ``Entry``s only when asked for: when meta.json is made again."""

    def __init__(self, kept: list[bytes]) -> None:
        self.kept = kept
        self._made: list[searchtext.Entry] | None = None

    def _entries(self) -> list[searchtext.Entry]:
        if self._made is None:
            self._made = [searchtext.Entry._make(marshal.loads(data)) for data in self.kept]
        return self._made

    def __len__(self) -> int:
        return len(self.kept)

    def __getitem__(self, i: Any) -> Any:
        return self._entries()[i]

    def __iter__(self) -> Iterator[searchtext.Entry]:
        return iter(self._entries())


HEAD = "search/5"  # the shape of the row ``meta``, ``search`` and of the blocks it names: others are not read


def _head(store: Store) -> tuple[dict[str, str], tuple[str, ...], list[str], int | None, str]:
    """The last build's pinyin of titles, shard names, block names, estimated index size (``index_size``)
    and the print of what its meta.json's rows and filters were made of."""
    head = store.get("meta", "search")
    if head is None or len(head) != 6 or head[0] != HEAD:
        return {}, (), [], None, ""
    return head[1], head[2], head[3], head[4], head[5]


def _kept_blocks(store: Store, order: list[str]) -> list[tuple[BlockKey, Block]]:
    """The blocks of the last build in its order, with their records' keys; none when one is missing. A block
    an edit spliced into the index was kept as its records' shares alone (``_keep_spliced``): made of them."""
    found = []
    groups = searchpostings.new_groups()
    for name in order:
        row = store.get("blocks", name)
        if row is None:
            shares = store.get("grams", name)
            if shares is None:
                return []
            row = (shares[0], searchpostings.block_of(list(map(searchpostings.unpack, shares[1])), groups))
            store.put("blocks", name, row)
        found.append((row[0], row[1]))
    return found


def _made_blocks(
    ordered: list[Record],
    config: SiteConfig,
    store: Store,
    starts: list[int],
    block_keys: list[BlockKey],
    kept: list[tuple[BlockKey, Block]],
    meanwhile: Iterable[object],
    texts: BodyTexts | None,
    soon: BlocksSoon | None = None,
) -> dict[int, Block]:
    """The blocks at ``starts``, of their records' shares of the index (``searchpostings.pack``): those of
    records whose key the last build's block at the same place held are read back from the store (``grams``),
    the others made of their texts; each block's are written back at once (a cold build holds none of them).
    A record's key is made of ``searchtext.inputs``, its text of them alone: after a body edit, one record's
    text is made again, not its block's 64."""
    groups = searchpostings.new_groups()
    made = {}
    fresh = []  # blocks none of whose records the last build's block at the same place held: made whole
    for start in starts:
        keys = block_keys[start // BLOCK]
        known = _kept_grams(store, kept, start // BLOCK)
        if not known:
            fresh.append(start)
            continue
        packed = [
            known[key]
            if key in known
            else searchpostings.pack(searchpostings.record_grams(search.record_text(ordered[n], config)))
            for n, key in enumerate(keys, start)
        ]
        made[start] = searchpostings.block_of(list(map(searchpostings.unpack, packed)), groups)
        store.put("grams", digest(keys), (keys, packed))  # ``_keep`` forgets those of blocks not used
    begun = soon.taken(ordered, fresh, texts) if soon is not None else None
    rest = fresh[len(soon.starts) :] if begun is not None and soon is not None else fresh
    text = searchtext.body_text
    if texts is not None:  # the open data's steps (``meanwhile``) wait for these records' texts
        texts.expect(r for start in rest for r in ordered[start : start + BLOCK])
        text = texts.made
    for start, (packed, block) in zip(
        fresh, search.fresh_blocks(ordered, config, rest, meanwhile, text, begun), strict=True
    ):
        made[start] = block
        keys = block_keys[start // BLOCK]
        store.put("grams", digest(keys), (keys, packed))
    return made


# blocks begun early (``blocks_soon``): ~1 s of work (the pages noted take ~1.5 s at 10,000 records), their
# 1,024 records' texts made first (~0.15 s) and held (~4 MB) until the open data takes them. More came back to
# this process too early: held while it notes the pages, they left its heap fragmented (24: +25 MiB in publish)
SOON = 16


@dataclass
class BlocksSoon:
    """A cold build's first blocks begun before the index is asked for (``search.blocks_soon``), of
    ``records`` (the first of the index's order then)."""

    records: list[Record]
    starts: list[int]
    started: search.Soon
    texts: list[tuple[Record, str]]  # their bodies' texts, made as they were sent: for the open data too

    def taken(self, ordered: list[Record], fresh: list[int], texts: BodyTexts | None) -> search.Soon | None:
        """The blocks begun, when they are the first of ``fresh`` (those the store lacks) and of the same
        records (the same objects: records are not changed once the pages are planned), their texts given
        to ``texts``; else stopped."""
        same = fresh[: len(self.starts)] == self.starts and len(ordered) >= len(self.records)
        if same and all(map(operator.is_, self.records, ordered)):
            if texts is not None:
                texts.give(self.texts)
            self.texts = []
            return self.started
        self.started.close()
        return None


def blocks_soon(config: SiteConfig, grouped: Mapping[str, list[Record]], store: Store) -> BlocksSoon | None:
    """A cold build's first SOON blocks of the index (``index_order``) begun now in the process that makes
    blocks beside this one (``search.blocks_soon``), for ``search_files`` to take: called while this process
    does work of its own on one core (noting the pages rendered), that process makes them meanwhile. None
    when the store keeps an index (an edit's blocks are few, and made where they are found), or the blocks
    are made here anyway."""
    if store.has("meta", "search"):
        return None
    ordered = index_order(config, grouped)
    starts = list(range(0, min(len(ordered), SOON * BLOCK), BLOCK))
    texts: list[tuple[Record, str]] = []

    def text(record: Record) -> str:
        texts.append((record, made := searchtext.body_text(record)))
        return made

    started = search.blocks_soon(ordered, config, starts, -(-len(ordered) // BLOCK), text) if starts else None
    return BlocksSoon(ordered[: SOON * BLOCK], starts, started, texts) if started is not None else None


def index_order(config: SiteConfig, grouped: Mapping[str, list[Record]]) -> list[Record]:
    """The records of ``grouped`` (by collection, each in display order) in the index's (``search.in_order``)."""
    return [r for c in config.collections for r in grouped[c.name]]


def _kept_grams(
    store: Store, kept: list[tuple[BlockKey, Block]], n: int
) -> dict[bytes, searchpostings.Packed]:
    """The records' shares of the last build's block ``n``, by their keys (none when there is no such block)."""
    row = store.get("grams", digest(kept[n][0])) if n < len(kept) else None
    return dict(zip(row[0], row[1], strict=True)) if row is not None else {}


def _keep(
    store: Store,
    block_keys: list[BlockKey],
    blocks: list[Block],
    previous: Mapping[BlockKey, Block],
) -> list[str]:
    """Write the blocks made now, forget those not used (and their records' shares); the names of this
    build's blocks, in order."""
    order = []
    for key, block in zip(block_keys, blocks, strict=True):
        name = digest(key)
        if key not in previous:
            store.put("blocks", name, (key, block))
        order.append(name)
    store.keep_only("blocks", order)
    store.keep_only("grams", order)
    return order


def titles_wanted(store: Store, records: Iterable[Record]) -> list[str]:
    """The titles whose pinyin the last build's index did not hold (all of them in a cold build): a build has
    them made early, while it is small (pypinyin's tables load in a forked child), and gives them to
    ``search_files``."""
    known = _head(store)[0]
    return sorted({r.title for r in records} - known.keys())
