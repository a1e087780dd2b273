"""When a record's share of a site-wide file must be looked at again: its state is its fingerprint with those of
the records in its fields. A stage's ``inputs`` of a record read the record and the records it refers to, and
nothing else, so while a record's state and the settings are as they were, so are its inputs and their key:
the layer keeps each record's keys (and what else it made of it) by its state, and makes the ``inputs`` and
their key again only for the records whose state changed (after one edit, one record, not 10,000).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from yunzhan.config import SiteConfig
from yunzhan.incremental.fingerprints import Fingerprints
from yunzhan.incremental.store import Store
from yunzhan.model import Record

T = TypeVar("T")
RecordKey = tuple[str, str]


def record_states(
    records: list[Record], prints: Fingerprints, config: SiteConfig | None = None
) -> dict[RecordKey, str]:
    """Each record's whole fingerprint followed by those of the records in its fields. With ``config``, only
    its collection's ``ref`` fields are looked in: ``references.resolve_references`` puts records there and
    nowhere else (150,000 values at 10,000 records, against a few thousand)."""
    whole = prints.records()
    refs = (
        {c.name: [f.name for f in c.fields if f.type == "ref"] for c in config.collections} if config else {}
    )
    states = {}
    for record in records:
        key = (record.collection, record.slug)
        parts = [whole.get(key, "")]
        names = refs.get(record.collection)
        if names is None:
            _add_referenced(record.fields.values(), whole, parts)
        elif names:
            fields = record.fields
            _add_referenced([fields.get(name) for name in names], whole, parts)
        states[key] = "".join(parts)
    return states


def _add_referenced(values: Iterable[Any], whole: dict[RecordKey, str], parts: list[str]) -> None:
    for value in values:  # 150,000 values at 10,000 records, mostly text: a tuple for isinstance, not a union
        if value is None or type(value) is str:
            continue
        if isinstance(value, Record):
            parts.append(whole.get((value.collection, value.slug), ""))
        elif isinstance(value, (list, tuple)):
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
    ``settings``: made again only for records whose state changed. What one build made again is kept beside
    the whole (``name`` + ``OVERLAY``) until it grows past a share of it: after one edit, one entry is written,
    not 10,000."""
    base, overlay = _kept(store, name, settings)
    kept = base | overlay
    now: dict[RecordKey, tuple[str, T]] = {}
    fresh: dict[RecordKey, tuple[str, T]] = {}
    out = []
    for record in records:
        key = (record.collection, record.slug)
        state = states.get(key)
        hit = kept.get(key)
        if hit is None or state is None or hit[0] != state:
            hit = fresh[key] = (state or "", make(record))
        now[key] = hit
        out.append(hit[1])
    if len(now) != len(kept) or len(overlay) + len(fresh) > len(now) // OVERLAY_SHARE:
        store.put("meta", name, (settings, now))  # records gone, or many changed: the whole again
        store.put("meta", name + OVERLAY, None)
    elif fresh:
        store.put("meta", name + OVERLAY, (settings, overlay | fresh))
    return out


OVERLAY = "+"  # the row of what builds since the whole was written made again
OVERLAY_SHARE = 8  # the whole is written again when the overlay holds more than this share of the records


def _kept(store: Store, name: str, settings: str) -> tuple[dict[RecordKey, Any], dict[RecordKey, Any]]:
    """The whole and the overlay kept for ``settings`` (both empty for other settings)."""
    found = store.get("meta", name)
    if found is None or found[0] != settings:
        return {}, {}
    more = store.get("meta", name + OVERLAY)
    return found[1], more[1] if more is not None and more[0] == settings else {}
