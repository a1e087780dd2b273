"""When a record's share of a site-wide file must be looked at again: its state is its fingerprint with those of
the records in its fields. A stage's ``inputs`` of a record read the record and the records it refers to, and
nothing else, so while a record's state and the settings are as they were, so are its inputs and their key:
the layer keeps each record's keys (and what else it made of it) by its state, and makes the ``inputs`` and
their key again only for the records whose state changed (after one edit, one record, not 10,000).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from yunzhan.config import SiteConfig
from yunzhan.incremental.fingerprints import Fingerprints, digest, inputs_key, text_digest
from yunzhan.incremental.store import Store
from yunzhan.model import Record

T = TypeVar("T")
RecordKey = tuple[str, str]
_KEY = operator.attrgetter("collection", "slug")


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


@dataclass
class Changes:
    """What changed since the last build, as the check step found it: ``basis``, the digest of the prints the
    last build's pages were made with (``Fingerprints.everything``, None when unknown), ``now`` this build's,
    ``records`` the records whose print is not what it was then."""

    basis: str | None
    now: str
    records: set[RecordKey]


def changed_records(owners: Iterable[str]) -> set[RecordKey]:
    """The records among ``reuse.changed_owners``' (``pageentries.owner_of``: record, collection and slug)."""
    found = set()
    for owner in owners:
        kind, _, rest = owner.partition("\0")
        if kind == "record":
            collection, _, slug = rest.partition("\0")
            found.add((collection, slug))
    return found


class States:
    """The records' states, each made when asked for: all of them (``all``: ~50 ms at 10,000 records), or, when
    the last build's ``Changes`` are known, only those of the changed records and of the records that refer to
    one (``suspects``): the state of any other record is the one it had then."""

    def __init__(
        self,
        records: list[Record],
        prints: Fingerprints | None,
        config: SiteConfig | None = None,
        changes: Changes | None = None,
        given: dict[RecordKey, str] | None = None,
    ) -> None:
        self.records, self.prints, self.config, self.changes = records, prints, config, changes
        self._all = given
        self._suspects: set[RecordKey] | None = None

    def all(self) -> dict[RecordKey, str]:
        if self._all is None:
            assert self.prints is not None
            self._all = record_states(self.records, self.prints, self.config)
        return self._all

    def of(self, record: Record) -> str:
        if self._all is not None or self.prints is None:
            return self.all().get((record.collection, record.slug), "")
        return record_states([record], self.prints, self.config)[record.collection, record.slug]

    def since(self, token: str | None) -> bool:
        """Whether states kept when the prints' digest was ``token`` differ from these but for ``suspects``."""
        return self.changes is not None and self.changes.basis is not None and token == self.changes.basis

    def suspects(self) -> set[RecordKey]:
        """The changed records and those referring to one (``backrefs``: those of the ``ref`` fields)."""
        if self._suspects is None:
            assert self.changes is not None
            changed = self.changes.records
            found = set(changed)
            slugs = {slug for _, slug in changed}  # a text looked up, not a pair made, for each record
            for record in self.records:
                if record.slug in slugs and (record.collection, record.slug) in changed:
                    for referring in record.backrefs.values():
                        found.update((r.collection, r.slug) for r in referring)
            self._suspects = found
        return self._suspects

    def token(self) -> str | None:
        """What the states kept now are noted with (``since``)."""
        return self.changes.now if self.changes is not None else None


def by_state(
    store: Store,
    name: str,
    settings: str,
    records: list[Record],
    states: States | dict[RecordKey, str],
    make: Callable[[Record], T],
) -> list[T]:
    """``make(record)`` of each record, kept in ``store`` (``meta``, ``name``) by the record's state and the
    ``settings``: made again only for records whose state changed. What one build made again is kept beside
    the whole (``name`` + ``OVERLAY``) until it grows past a share of it: after one edit, one entry is written,
    not 10,000. ``make`` gives what ``marshal`` keeps (the rows are read back at every build). While the records
    are those of the last build that kept them and the prints they were kept with are the last build's, only
    the states of ``States.suspects`` are made and compared."""
    if not isinstance(states, States):
        states = States(records, None, given=states)
    keys = list(map(_KEY, records))
    kept_keys, kept_states, values, overlay = _kept(store, name, settings)
    token = store.get("meta", name + TOKEN)
    fresh: dict[RecordKey, tuple[str, T]] = {}
    if keys == kept_keys and states.since(token):
        now = kept_states
        at = dict(zip(keys, range(len(keys)), strict=True))
        for key, (state, value) in overlay.items():
            i = at[key]
            now[i], values[i] = state, value
        for i in sorted(at[key] for key in states.suspects() if key in at):
            state = states.of(records[i])
            if state != now[i]:
                now[i], values[i] = state, make(records[i])
                fresh[keys[i]] = (state, values[i])
    else:
        kept = dict(zip(kept_keys, zip(kept_states, values, strict=True), strict=True)) | overlay
        every = states.all()
        now, values = [], []
        for key, record in zip(keys, records, strict=True):
            state = every.get(key)  # none: made again every time
            hit = kept.get(key)
            if hit is None or state is None or hit[0] != state:
                hit = fresh[key] = (state or "", make(record))
            now.append(state or "")
            values.append(hit[1])
    if keys != kept_keys or len(overlay) + len(fresh) > len(keys) // OVERLAY_SHARE:
        store.put("meta", name, (settings, keys, now, values), plain=True)  # records gone, or many changed
        store.put("meta", name + OVERLAY, None)
    elif fresh:
        store.put("meta", name + OVERLAY, (settings, overlay | fresh), plain=True)
    if states.token() != token:
        store.put("meta", name + TOKEN, states.token())
    return values


def key_of(settings: str, record: Record, inputs: Callable[[Record], tuple[object, ...]]) -> str:
    """``inputs_key`` of a stage's ``inputs(record)``, the same key, without reading a body held elsewhere
    (``Deferred``, a cold build's): its ``made`` is the HTML's ``text_digest``, which the key takes of it. A
    cold 10k build read each body back from the store and hashed it for each of two keys (~40 µs each)."""
    held = record.deferred("body")
    if held is None or not held.made:
        return inputs_key(settings, inputs(record))
    stand_in = _Digested(held.made)  # what ``inputs`` sees as the body (its value: the digest, too)
    record.__dict__["body"] = stand_in
    try:
        made = inputs(record)
    finally:
        del record.__dict__["body"]  # held elsewhere again
    parts = (p.made if p is stand_in else text_digest(p) if isinstance(p, str) else repr(p) for p in made)
    return digest(settings, *parts)


class _Digested(str):
    """A body's stand-in in ``key_of``: its digest, as text and as ``made``."""

    made: str

    def __new__(cls, made: str) -> _Digested:
        self = super().__new__(cls, made)
        self.made = made
        return self


OVERLAY = "+"  # the row of what builds since the whole was written made again
TOKEN = "@"  # the row of the prints' digest the states kept were made of (``States.since``)
OVERLAY_SHARE = 8  # the whole is written again when the overlay holds more than this share of the records


def _kept(
    store: Store, name: str, settings: str
) -> tuple[list[RecordKey], list[str], list[Any], dict[RecordKey, Any]]:
    """The records' keys, states and values of the whole, and the overlay, kept for ``settings`` (all empty for
    other settings)."""
    found = store.get("meta", name)
    if found is None or len(found) != 4 or found[0] != settings:
        return [], [], [], {}
    more = store.get("meta", name + OVERLAY)
    return found[1], found[2], found[3], more[1] if more is not None and more[0] == settings else {}
