"""When a record's share of a site-wide file must be looked at again: its state is its fingerprint with those of
the records in its fields. A stage's ``inputs`` of a record read the record and the records it refers to, and
nothing else, so while a record's state and the settings are as they were, so are its inputs and their key:
the layer keeps each record's keys (and what else it made of it) by its state, and makes the ``inputs`` and
their key again only for the records whose state changed (after one edit, one record, not 10,000).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from yunzhan.incremental.fingerprints import Fingerprints
from yunzhan.incremental.store import Store
from yunzhan.model import Record

T = TypeVar("T")
RecordKey = tuple[str, str]


def record_states(records: list[Record], prints: Fingerprints) -> dict[RecordKey, str]:
    """Each record's whole fingerprint followed by those of the records in its fields."""
    whole = prints.records()
    states = {}
    for record in records:
        key = (record.collection, record.slug)
        parts = [whole.get(key, "")]
        _add_referenced(record.fields.values(), whole, parts)
        states[key] = "".join(parts)
    return states


def _add_referenced(values: Iterable[Any], whole: dict[RecordKey, str], parts: list[str]) -> None:
    for value in values:
        if isinstance(value, Record):
            parts.append(whole.get((value.collection, value.slug), ""))
        elif isinstance(value, list | tuple):
            _add_referenced(value, whole, parts)


def by_state(
    store: Store,
    name: str,
    settings: str,
    records: list[Record],
    states: dict[RecordKey, str],
    make: Callable[[Record], T],
) -> list[T]:
    """``make(record)`` of each record, kept in ``store`` (``meta``, ``name``) by the record's state and the
    ``settings``: made again only for records whose state changed."""
    found = store.get("meta", name)
    kept: dict[RecordKey, tuple[str, T]] = found[1] if found is not None and found[0] == settings else {}
    now: dict[RecordKey, tuple[str, T]] = {}
    out = []
    changed = len(kept) != len(records)
    for record in records:
        key = (record.collection, record.slug)
        state = states.get(key)
        hit = kept.get(key)
        if hit is None or state is None or hit[0] != state:
            hit = (state or "", make(record))
            changed = True
        now[key] = hit
        out.append(hit[1])
    if changed:
        store.put("meta", name, (settings, now))
    return out
