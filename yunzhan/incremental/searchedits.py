"""The search index after an edit of a few records, spliced: the shards the edited records' keys fall in are
read back from the output (as written) and those records' units replaced in them (``searchsplice``); the
other shards stay, and no other block is read. At 10,000 records a body edit reads one block of the store and
~80 small shards, not 157 blocks (38 MB) merged again. Anything else (records added or removed, many blocks
changed, the shard count changing, a shard not as written) is left to ``searchblocks``' whole path.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from yunzhan import search
from yunzhan.config import SiteConfig
from yunzhan.incremental.fingerprints import digest
from yunzhan.incremental.store import Store
from yunzhan.model import Record
from yunzhan.searchpostings import BLOCK, Packed, dumps, gram_bytes, pack, record_grams, shard_of, unpack
from yunzhan.searchsplice import spliced_shard, units

MOST_RECORDS = 16  # edited records past which the whole path (every block) is taken

Changes = dict[str, list[tuple[int, str | None]]]  # key → (record id, its unit now or None), ids ascending


@dataclass
class Spliced:
    """An index spliced: the bytes of the shards made again (by shard number), the index's estimated size,
    and each changed block's records' shares (``searchpostings.pack``) by its place."""

    bodies: dict[int, bytes]
    size: int
    packed: dict[int, list[Packed]]


def spliced_index(
    ordered: list[Record],
    config: SiteConfig,
    store: Store,
    block_keys: list[tuple[bytes, ...]],
    head: tuple[tuple[str, ...], list[str], int | None],
    left: Callable[[str], bool],
    read: Callable[[str], bytes] | None,
) -> Spliced | None:
    """The index of ``ordered`` spliced from the last build's (``head``: its shard names, block names and
    estimated size), or None when it is not the same index but for a few records' texts."""
    names, order, size = head
    if read is None or size is None or len(order) != len(block_keys) or search.shards_for(size) != len(names):
        return None
    changed = [n for n, keys in enumerate(block_keys) if digest(keys) != order[n]]
    found = _record_changes(ordered, config, store, block_keys, order, changed)
    if found is None:
        return None
    changes, packed, ints = found
    shards = len(names)
    by_shard: defaultdict[int, Changes] = defaultdict(dict)
    for key, edits in changes.items():
        by_shard[shard_of(key, shards)][key] = edits
    if not all(left(search.shard_path(k, names[k])) for k in range(shards)):
        return None  # a shard not as written: made again on the whole path
    bodies, size = {}, size + 2 * ints
    for k, shard_changes in sorted(by_shard.items()):
        out, added, removed = spliced_shard(read(search.shard_path(k, names[k])), shard_changes)
        size += gram_bytes(added) - gram_bytes(removed)
        bodies[k] = dumps(out)
    if search.shards_for(size) != shards:
        return None
    return Spliced(bodies, size, packed)


def _record_changes(
    ordered: list[Record],
    config: SiteConfig,
    store: Store,
    block_keys: list[tuple[bytes, ...]],
    order: list[str],
    changed: list[int],
) -> tuple[Changes, dict[int, list[Packed]], int] | None:
    """The units that changed, by key, of the records whose keys differ from those of the last build's block
    at their place; each changed block's records' shares now; the ints they add. None when too many records
    changed or the last build's blocks are not in the store."""
    changes: defaultdict[str, list[tuple[int, str | None]]] = defaultdict(list)
    packed: dict[int, list[Packed]] = {}
    ints = edited = 0
    for n in changed:
        row = store.get("grams", order[n])
        if row is None or len(row[0]) != len(block_keys[n]):
            return None
        packed[n] = shares = list(row[1])
        for i, (before, now) in enumerate(zip(row[0], block_keys[n], strict=True)):
            if before == now:
                continue
            edited += 1
            if edited > MOST_RECORDS:
                return None
            rid = n * BLOCK + i
            new = record_grams(search.record_text(ordered[rid], config))
            old = unpack(shares[i])
            shares[i] = pack(new)
            ints += new.ints - old.ints
            old_units, new_units = units(old), units(new)
            for key in old_units.keys() | new_units.keys():
                unit = new_units.get(key)
                if old_units.get(key) != unit:
                    changes[key].append((rid, unit))
    return changes, packed, ints
