"""A shard of the search index made again from the shard it was, with some records' shares replaced: the merged
postings of a key (``searchpostings.merge``) are, record by record in id order, the gap from the record before
and the record's segment (nothing for a character; its count, first position and deltas for a pair), so one
record's unit can be cut out and another put in without the rest of the index. After a body edit, the shards
the edited record's pairs fall in are read back and spliced (~80 small files), not merged from every block.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping

from yunzhan.packedints import decode_ints, encode_one
from yunzhan.searchpostings import RecordGrams

_INT = re.compile(r"[w-zA-Z_\-]*[0-9a-v]")  # one packed int: "more follows" digits, then a last digit


@functools.lru_cache(maxsize=4096)
def _value(packed: str) -> int:
    return decode_ints(packed)[0]


def units(record: RecordGrams) -> dict[str, str]:
    """A record's segment for each of its keys (characters: empty; pairs: their packed postings here)."""
    return dict.fromkeys(record.chars, "") | dict(zip(record.grams, record.segments, strict=True))


def spliced(posting: str, single: bool, rid: int, unit: str | None) -> str:
    """``posting`` (a key's merged postings; ``single``: the key is one character) with record ``rid``'s unit
    replaced by ``unit`` (its segment; None: the record no longer holds the key). The record after it gets
    its gap made again; the units before and after are kept as they are."""
    ints = _INT.findall(posting)
    count, i, last, at = len(ints), 0, 0, -1
    while i < count:
        at = last + _value(ints[i])
        if at >= rid:
            break
        last = at
        i += 1 if single else _value(ints[i + 1]) + 2
    after, following = i, at  # the first unit past ``rid`` and its id
    if i < count and at == rid:
        after = i + (1 if single else _value(ints[i + 1]) + 2)
        following = at + _value(ints[after]) if after < count else -1
    parts = ["".join(ints[:i])]
    if unit is not None:
        parts.append(encode_one(rid - last) + unit)
        last = rid
    if after < count:
        parts.append(encode_one(following - last))
        parts.append("".join(ints[after + 1 :]))
    return "".join(parts)


def spliced_shard(
    previous: bytes, changes: Mapping[str, list[tuple[int, str | None]]]
) -> tuple[dict[str, str], set[str], set[str]]:
    """The postings of a shard (``previous``: its bytes as written) with each key's records' units replaced
    (``changes``: key → (record id, its unit or None), ids ascending), and the keys that came into it and
    those that left it."""
    out: dict[str, str] = json.loads(previous)
    added, removed = set(), set()
    for key, edits in changes.items():
        before = out.get(key, "")
        posting = before
        for rid, unit in edits:
            posting = spliced(posting, len(key) == 1, rid, unit)
        if posting:
            out[key] = posting
            if not before:
                added.add(key)
        elif before:
            del out[key]
            removed.add(key)
    return out, added, removed
