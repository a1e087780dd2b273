"""The postings of the search index: where each character and each pair of adjacent characters (bigram)
occurs, record by record, packed into strings (``packedints.encode_ints``) that ``search.js`` unpacks.

A record's share is ``record_grams`` of its text; BLOCK consecutive records make a ``Block`` (their postings
with record ids counted from the block's first record); blocks are merged into shards a group of keys at a time
(``GROUPS``), so the postings of the whole index are never alive at once, only their bytes. A block is a plain
function of its records' texts: whoever keeps blocks between builds rebuilds only the block of an edited record.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import json
import operator
import sys
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

from yunzhan.packedints import encode_ints, encode_one, tables
from yunzhan.searchtext import SECTION, runs


def shard_of(gram: str, shards: int) -> int:
    """FNV-1a over code points, as search.js computes it."""
    h = 2166136261
    for ch in gram:
        h = ((h ^ ord(ch)) * 16777619) & 0xFFFFFFFF
    return h % shards


BLOCK = 64  # records per memoised block of postings (below 256: ids within a block fit in bytes)


class RecordGrams(NamedTuple):
    """Where each pair of adjacent characters occurs in one record (see ``record_grams``)."""

    chars: str  # its distinct characters, sorted
    grams: tuple[str, ...]  # its distinct bigrams, interned
    segments: tuple[str, ...]  # each bigram's postings here: count, first position, position deltas, packed
    ints: int  # how many ints the record adds to the postings (for the shard size estimate)


def grams_of(text: str) -> RecordGrams:
    """One record's share of the index, without its record id. Positions count characters of the runs with a
    gap of one between runs, i.e. they are indexes into ``" ".join(runs(text))``; the runs after ``SECTION``
    (a record's fields and title, after its body) start at the next multiple of ``ALIGN`` past the body's
    (``line``): a title edit moves no position of the body, and a body edit none of the title's unless the
    body crosses such a multiple, so either rewrites only the search shards of the pairs it changed."""
    lines = _lines(text)
    here: defaultdict[str, list[int]] = defaultdict(list)
    chars: set[str] = set()
    for start, line in lines:  # the body's line, then the rest's at its own start: the gap between is no pair
        # here[line[i] + line[i + 1]].append(start + i) for every i, looped in C rather than in Python bytecode
        pairs = map(operator.add, line, line[1:])
        deque(map(list.append, map(here.__getitem__, pairs), itertools.count(start)), maxlen=0)
        chars.add(line[-1:])
    # every character of a line but its last begins one of its pairs: ~500 of them a record, not ~1,500
    chars.update(map(operator.itemgetter(0), here))
    chars -= {" ", ""}
    # runs hold no space: the pairs with one are across the gap between two runs, not text
    for gap in [pair for pair in here if " " in pair]:
        del here[gap]
    segments: list[str] = []
    small, one, two = (
        tables()
    )  # one: a pair seen once at each position (count 1, first position p); two: twice
    if lines[-1][0] + len(lines[-1][1]) <= len(small):  # every count, position and delta is a table look-up
        get, sub = small.__getitem__, operator.sub
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


# a `serve` process re-reads the block of the record being edited; a cold build's blocks (``grams_of``) are made
# once, and are not remembered: 256 records' shares, ~8 MB, held to the end of the build in each process
record_grams = functools.lru_cache(maxsize=4 * BLOCK)(grams_of)


ALIGN = 1024  # where the runs after SECTION start: a multiple of this, past the body's


def _lines(text: str) -> list[tuple[int, str]]:
    """The lines the positions of ``text``'s runs index (see ``record_grams``): the body's at 0, the rest's
    (when there is one) at its own start. Together they are the one line the positions index, without the
    spaces between (half a record's pairs at 10,000 records were of the gap, each made to be dropped)."""
    body, _, rest = text.partition(SECTION)
    line = " ".join(runs(body))
    after = runs(rest)
    if not after:
        return [(0, line)]
    start = -(-(len(line) + 1) // ALIGN) * ALIGN if line else 0
    return [(0, line), (start, " ".join(after))]


GROUPS = 64  # blocks order their keys by shard_of(key, GROUPS): the index is merged one such group at a time


class Block(NamedTuple):
    """The postings of up to BLOCK consecutive records, record ids counted from the block's first record. Keys
    come group by group (``shard_of(key, GROUPS)``), so a group's postings are one slice of each field and can be
    merged and written without the rest of the index alive."""

    keys: str  # grams (characters and bigrams) the block holds, SEP-separated: one string unpickles fast
    firsts: bytes  # per key: the first record that holds it
    lasts: bytes  # per key: the last one
    rests: str  # per key, ","-separated: its packed postings in the block without the first record id
    ints: int  # how many ints the block adds to the postings
    cuts: tuple[int, ...]  # where each group starts: in the keys' count, in rests, in keys (GROUPS + 1 each)
    subs: bytes  # per key: its place within its group (``_place``), ascending in each group


SEP = "\0"  # between a block's keys (grams are letters and digits)


def group_keys(block: Block, group: int) -> list[str]:
    """The keys of ``group`` in ``block``, in order (a build that reuses blocks splits only the groups it
    merges: the keys of a whole block are 2,000 strings, of 157 blocks at 10,000 records 0.13 s to unpickle)."""
    low, high = block.cuts[2 * GROUPS + 2 + group], block.cuts[2 * GROUPS + 3 + group]
    return block.keys[low : high - 1].split(SEP) if high > low else []


def all_keys(block: Block) -> list[str]:
    return block.keys.split(SEP) if block.keys else []


FINEST = 4096  # the most shards an index has; GROUPS * SUBS
SUBS = FINEST // GROUPS  # places within a group


def _reversed_bits(value: int, bits: int) -> int:
    return int(format(value, f"0{bits}b")[::-1], 2) if bits else 0


_REVERSED = [_reversed_bits(v, SUBS.bit_length() - 1) for v in range(SUBS)]


class _Groups(dict[str, int]):
    """Each key's group and place in it (``_place``), computed once a build (a key is in many blocks)."""

    def __missing__(self, key: str) -> int:
        self[key] = place = _place(key)
        return place


def _place(key: str) -> int:
    """``group * SUBS + place``: a key's group, then the bits of its shard of FINEST above the group's, reversed.
    In that order, the keys of one shard of any power-of-two count from GROUPS up are one run of their group's
    (shard k: the place's top bits are those of k // GROUPS, reversed): a build that makes a few shards again
    merges those keys alone, not all of their groups'."""
    finest = shard_of(key, FINEST)
    return (finest % GROUPS) * SUBS + _REVERSED[finest // GROUPS]


def places(shard: int, shards: int) -> tuple[int, int]:
    """The places (``Block.subs``) of the keys of ``shard`` of ``shards`` (GROUPS to FINEST) in its group."""
    bits = (shards // GROUPS).bit_length() - 1
    top = _reversed_bits(shard // GROUPS, bits)
    width = SUBS >> bits
    return top * width, (top + 1) * width


def make_block(texts: tuple[str, ...], groups: _Groups | None = None) -> Block:
    return block_of(list(map(record_grams, texts)), groups)


def block_of(records: list[RecordGrams], groups: _Groups | None = None) -> Block:
    """The block of the records' shares of the index (``record_grams``), in order."""
    buckets: defaultdict[str, list[Any]] = defaultdict(list)  # key → [record id, its segment, id, …]
    append, repeat, ints = list.append, itertools.repeat, 0
    for rid, record in enumerate(records):
        ints += record.ints
        for keys, segments in ((record.chars, repeat("")), (record.grams, record.segments)):
            targets = list(map(buckets.__getitem__, keys))
            deque(map(append, targets, repeat(rid)), maxlen=0)
            deque(map(append, targets, segments), maxlen=0)
    where = list(map((groups if groups is not None else _Groups()).__getitem__, buckets))
    order = sorted(range(len(where)), key=where.__getitem__)  # by group, then place
    encode, sub, chain = tables()[0].__getitem__, operator.sub, itertools.chain
    firsts, lasts, rests = bytearray(), bytearray(), []
    for flat in map(list(buckets.values()).__getitem__, order):
        ids = flat[0::2]
        firsts.append(ids[0])
        lasts.append(ids[-1])
        flat[0::2] = map(encode, map(sub, ids, chain((0,), ids)))  # record ids → deltas, packed
        flat[0] = ""
        rests.append("".join(flat))
    sizes = Counter(place // SUBS for place in where)
    keys_at = [0, *itertools.accumulate(sizes[g] for g in range(GROUPS))]
    chars_at = [0, *itertools.accumulate(len(r) + 1 for r in rests)]  # where each key's rest starts
    keys = list(map(list(buckets).__getitem__, order))
    key_chars_at = [0, *itertools.accumulate(len(k) + 1 for k in keys)]
    cuts = (*keys_at, *map(chars_at.__getitem__, keys_at), *map(key_chars_at.__getitem__, keys_at))
    subs = bytes(where[n] % SUBS for n in order)
    return Block(SEP.join(keys), bytes(firsts), bytes(lasts), ",".join(rests), ints, cuts, subs)


Packed = tuple[str, str, str, int]  # a ``RecordGrams`` as strings that unpickle fast


def pack(record: RecordGrams) -> Packed:
    return record.chars, SEP.join(record.grams), SEP.join(record.segments), record.ints


def unpack(packed: Packed) -> RecordGrams:
    chars, grams, segments, ints = packed
    if not grams:
        return RecordGrams(chars, (), (), ints)
    return RecordGrams(chars, tuple(grams.split(SEP)), tuple(segments.split(SEP)), ints)


def new_groups() -> _Groups:
    """The places of keys (``_place``) found so far, for a build that makes several blocks."""
    return _Groups()


def make_blocks(text: Callable[[int], str], starts: list[int], count: int) -> list[Block]:
    """The blocks starting at each of ``starts`` of texts 0..count-1 (``text(i)``), made here one at a time. Not
    shared with a forked process: at 10,000 records such a child came to hold ~100 MB of its own (the records'
    objects it read, the blocks it made before sending them) beside a parent holding the whole build, and that
    was a cold build's peak; making them all here costs a cold build a few seconds."""
    groups = _Groups()
    return [make_block(tuple(map(text, range(s, min(s + BLOCK, count)))), groups) for s in starts]


def merge(
    blocks: list[Block], group: int, out: dict[str, str], within: tuple[int, int] | None = None
) -> None:
    """Adds the postings of the keys of ``group`` to ``out`` (``within``: of those whose places are in that
    range, see ``places``): for each key, its first record in a block follows its last record in the blocks
    before."""
    chained: defaultdict[str, list[Any]] = defaultdict(list)  # key → [first id, last id, rest, first id, …]
    append, repeat, add = list.append, itertools.repeat, operator.add
    for n, block in enumerate(blocks):
        cuts = block.cuts
        low, high = cuts[group], cuts[group + 1]
        if within is not None and low < high:
            first = bisect.bisect_left(block.subs, within[0], low, high)
            low, high = first, bisect.bisect_left(block.subs, within[1], first, high)
        if low == high:
            continue
        start, at = n * BLOCK, low - cuts[group]
        keys = group_keys(block, group)[at : at + high - low]
        targets = list(map(chained.__getitem__, keys))
        deque(map(append, targets, map(add, block.firsts[low:high], repeat(start))), maxlen=0)
        deque(map(append, targets, map(add, block.lasts[low:high], repeat(start))), maxlen=0)
        rests = block.rests[cuts[GROUPS + 1 + group] : cuts[GROUPS + 2 + group] - 1].split(",")
        deque(map(append, targets, rests[at : at + high - low]), maxlen=0)
    small = tables()[0]
    encode = small.__getitem__ if len(blocks) * BLOCK <= len(small) else encode_one
    sub, chain = operator.sub, itertools.chain
    for key, flat in chained.items():
        gaps = map(encode, map(sub, flat[0::3], chain((0,), flat[1::3])))
        out[key] = "".join(map(add, gaps, flat[2::3]))


def postings(texts: Iterable[str]) -> tuple[dict[str, str], int]:
    """(gram → flat postings packed by ``encode_ints``, how many ints they hold). Bigram: [record delta, count,
    first position, position deltas…]…; one character: [record delta…]. Record ids count ``texts`` from 0.

    Built from blocks of BLOCK records, joined group by group (``shard_bodies`` writes each group's shards
    before merging the next instead of holding the whole index)."""
    texts = list(texts)
    blocks = make_blocks(texts.__getitem__, list(range(0, len(texts), BLOCK)), len(texts))
    out: dict[str, str] = {}
    for group in range(GROUPS):
        merge(blocks, group, out)
    return out, sum(block.ints for block in blocks)


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def shard_bodies(blocks: list[Block], shards: int, wanted: set[int] | None = None) -> list[bytes | None]:
    """The bytes of each shard (of the ``wanted`` ones; None for the others), in shard order."""
    bodies: list[bytes | None] = [None] * shards
    for k, body in shard_pieces(blocks, shards, wanted):
        bodies[k] = body
    return bodies


FEW_SHARDS = (
    4  # wanted shards of a group merged one by one; past it, the group at once (a title edit: ~1,000)
)


def shard_pieces(
    blocks: list[Block], shards: int, wanted: set[int] | None = None
) -> Iterator[tuple[int, bytes | None]]:
    """(shard number, its bytes) for every shard (None for those not ``wanted``), as soon as each is made,
    group by group (a shard is one group or more, or a group several shards: both counts are powers of two):
    only one group's postings are alive at a time, and a caller that writes each shard as it comes never holds
    the whole index's bytes (~45 MB at 10,000 records)."""
    for unit in range(min(shards, GROUPS)):
        mine = range(unit, shards, GROUPS)  # the shards of group `unit` (it alone when shards <= GROUPS)
        if wanted is not None and wanted.isdisjoint(mine):
            yield from ((k, None) for k in mine)
            continue
        if wanted is not None and shards >= GROUPS and len(wanted.intersection(mine)) <= FEW_SHARDS:
            for k in mine:  # a few of the group's shards: their own keys merged, shard by shard
                if k in wanted:
                    out: dict[str, str] = {}
                    merge(blocks, unit, out, places(k, shards))
                    yield k, dumps(out)
                else:
                    yield k, None
            continue
        out = {}
        for group in range(unit, GROUPS, shards):  # the groups of shard `unit` (one when shards >= GROUPS)
            merge(blocks, group, out)
        if shards <= GROUPS:
            yield unit, dumps(out)
            continue
        split: dict[int, dict[str, str]] = {k: {} for k in mine}
        for gram, packed in out.items():
            split[shard_of(gram, shards)][gram] = packed
        del out
        for k in mine:
            yield k, dumps(split.pop(k)) if wanted is None or k in wanted else None


def _changed_keys(old: Block, new: Block) -> set[str]:
    """The keys whose postings differ between two blocks at one place (a key's merged postings are made of its
    postings in each block, and nothing else)."""

    def postings(block: Block) -> set[tuple[str, int, int, str]]:
        return set(zip(all_keys(block), block.firsts, block.lasts, block.rests.split(","), strict=True))

    return {key for key, *_ in postings(old) ^ postings(new)}


def gram_bytes(grams: Iterable[str]) -> int:
    """The estimated bytes of distinct ``grams`` in the index, besides their postings."""
    return sum(len(g.encode()) + 8 for g in grams)


def changes(previous: list[Block], blocks: list[Block]) -> tuple[set[str], int]:
    """The keys whose merged postings differ between the index of ``previous`` and that of ``blocks`` (as
    many, in the same places), and how much ``search.index_size`` changes: the ints, and the keys that come
    into the index or leave it, found in their own groups of each block (a key's group holds it, wherever it
    is). A block that is the very same object is not compared."""
    changed = [n for n, (old, new) in enumerate(zip(previous, blocks, strict=True)) if old is not new]
    dirty: set[str] = set()
    moved: defaultdict[int, set[str]] = defaultdict(set)  # by group: keys in one of a block's two versions
    for n in changed:
        dirty |= _changed_keys(previous[n], blocks[n])
        for key in set(all_keys(previous[n])).symmetric_difference(all_keys(blocks[n])):
            moved[shard_of(key, GROUPS)].add(key)
    size = 2 * sum(blocks[n].ints - previous[n].ints for n in changed)
    same = [blocks[n] for n in range(len(blocks)) if previous[n] is blocks[n]]
    for group, keys in moved.items():
        kept = set().union(*(group_keys(block, group) for block in same))
        before = kept.union(*(group_keys(previous[n], group) for n in changed))
        after = kept.union(*(group_keys(blocks[n], group) for n in changed))
        size += gram_bytes(keys & after - before) - gram_bytes(keys & before - after)
    return dirty, size
