"""The search index around the reuse layer: the postings of each block of BLOCK records kept in the store by
their records' keys (made of ``searchtext.inputs``, the index's own declaration of what it reads), the pinyin
of titles by title, and the shards of the last build that are still right and still in the output as written
left there rather than made again (after one edit, tens of shards are made, not thousands).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

from yunzhan import search, searchpostings, searchtext
from yunzhan.config import SiteConfig
from yunzhan.incremental.fingerprints import digest, inputs_key
from yunzhan.incremental.recordstates import RecordKey, by_state
from yunzhan.incremental.store import Store
from yunzhan.model import Record
from yunzhan.searchpostings import BLOCK, Block

BlockKey = tuple[bytes, ...]  # the keys of a block's records


def search_files(
    ordered: list[Record],
    config: SiteConfig,
    store: Store,
    settings: str,
    states: dict[RecordKey, str],
    left: Callable[[str], bool],
    slugs: Mapping[str, str],
    made: Mapping[str, str] | None = None,
) -> Iterator[tuple[str, bytes | None]]:
    """``search.index_files`` of ``ordered`` (``search.in_order``), with the blocks, rows and keys the last
    build kept (``states``: see ``recordstates``); a shard comes with None when the file the last build wrote is
    right (``left``: as it wrote it). ``made``: the pinyin of the titles ``titles_wanted`` named, made by the
    caller. The store learns of this build's blocks and shards once the last file is taken."""
    head = store.get("meta", "search")
    known, names, order = head if head is not None else ({}, (), [])
    previous = _kept_blocks(store, order)
    titles = {r.title for r in ordered}
    pinyin = {t: known[t] for t in titles if t in known} | {
        t: v for t, v in (made or {}).items() if t in titles
    }
    pinyin |= searchtext.titles_pinyin([r.title for r in ordered if r.title not in pinyin])

    def key_and_entry(record: Record) -> tuple[bytes, searchtext.Entry]:
        key = bytes.fromhex(inputs_key(settings, searchtext.inputs(record, config)))
        return key, searchtext.entry(record, config, pinyin, with_text=False)

    pairs = by_state(store, "search_records", settings, ordered, states, key_and_entry)
    keys = [key for key, _ in pairs]
    entries = [entry for _, entry in pairs]
    starts = list(range(0, len(ordered), BLOCK))
    block_keys = [tuple(keys[s : s + BLOCK]) for s in starts]
    missing = [s for s, key in zip(starts, block_keys, strict=True) if key not in previous]
    made = dict(zip(missing, search.record_blocks(ordered, config, missing), strict=True))
    blocks = [made[s] if s in made else previous[key] for s, key in zip(starts, block_keys, strict=True)]
    shards = search.shard_count(blocks)
    same: dict[int, str] = {}
    if len(names) == shards:
        unchanged = searchpostings.unchanged_shards(list(previous.values()), blocks, shards)
        same = {k: names[k] for k in sorted(unchanged) if left(search.shard_path(k, names[k]))}
    rels = []
    for rel, data in search.index_files(entries, blocks, config, slugs, shards, same):
        yield rel, data
        rels.append(rel)
    kept = _keep(store, block_keys, blocks, previous)
    store.put("meta", "search", ({e.title: e.pinyin for e in entries}, search.shard_names(rels), kept))


def _kept_blocks(store: Store, order: list[str]) -> dict[BlockKey, Block]:
    """The blocks of the last build in its order, by their records' keys; none when one is missing."""
    found: dict[BlockKey, Block] = {}
    for name in order:
        row = store.get("blocks", name)
        if row is None:
            return {}
        found[row[0]] = row[1]
    return found


def _keep(
    store: Store, block_keys: list[BlockKey], blocks: list[Block], previous: Mapping[BlockKey, Block]
) -> list[str]:
    """Write the blocks made now, forget those not used; the names of this build's blocks, in order."""
    order = []
    for key, block in zip(block_keys, blocks, strict=True):
        name = digest(key)
        if key not in previous:
            store.put("blocks", name, (key, block))
        order.append(name)
    store.keep_only("blocks", order)
    return order


def titles_wanted(store: Store, records: Iterable[Record]) -> list[str]:
    """The titles whose pinyin the last build's index did not hold (all of them in a cold build): a build has
    them made early, while it is small (pypinyin's tables load in a forked child), and gives them to
    ``search_files``."""
    head = store.get("meta", "search")
    known = head[0] if head is not None else {}
    return sorted({r.title for r in records} - known.keys())
