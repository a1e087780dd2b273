"""The rows of ``memos.ParsedFiles`` (one per record file, 10,000 at 10,000 records) as the store keeps them:
the rows ``marshal`` can keep in one ``KeptRows`` table (one row read back whole, and an overlay of the rows
changed since: a body edit writes one small row), the others (a record with an attribute of its own, a file with
findings) pickled in a row each, which wins over the table. Unpickling 10,000 rows one by one cost a query and
a ``pickle.loads`` each; one marshalled row, its repeated texts written once (``_encoded``), reads back in about
half the time (the parse memo read whole: ~200 -> ~165 ms CPU on a loaded machine).

A row is (identity, the record's values, problems, parse print, body digest); the values hold each top-level
field dated (``datetime.date``, which ``marshal`` cannot keep) as None, with (name, ordinal) pairs beside them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

from yunzhan.incremental.keptrows import KeptRows
from yunzhan.incremental.store import Store
from yunzhan.model import Record

TABLE = "parsed"  # a row each: those ``marshal`` cannot keep (pickled), or () for one gone since the table
KEPT = "parsed-rows"  # the meta rows of the ``KeptRows`` table of the others
_GONE = ()
# where a record's fields sit among its values (``memos._ATTRIBUTES``)
_FIELDS = [f.name for f in dataclasses.fields(Record)].index("fields")


class ParsedRows:
    """Rows by file (its path as text), read once; what a build changes is kept in memory until ``settle``
    writes it, then rows are let go of (the caller keeps the records) and each change is written alone."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.kept: KeptRows | None = KeptRows(store, KEPT)
        self.rows: dict[str, Any] | None = self.kept.read()[1]  # plain rows (as ``marshal`` keeps them)
        store.prefetch(TABLE)
        # rows of their own (a pickled row, or a tombstone): few, read now
        self.apart: dict[str, Any] = {key: store.get(TABLE, key) for key in store.keys(TABLE)}
        gone = {key for key, row in self.apart.items() if row == _GONE}
        self.names = (set(self.rows) | set(self.apart)) - gone
        self.dirty = False
        self.shared: dict[str, str] = {}  # the texts of the rows put (``_encoded``)

    def get(self, key: str) -> Any:
        """The row of ``key`` as kept (None when there is none), its dates back as dates."""
        if key in self.apart:
            found = self.apart[key]
            return None if found == _GONE else found
        row = self.rows.get(key) if self.rows is not None else None
        return None if row is None else _decoded(row)

    def put(self, key: str, row: tuple[Any, ...]) -> None:
        """Keep ``row`` for ``key``: in the table while rows are held (``settle`` writes it) and it is plain,
        else in a row of its own."""
        self.names.add(key)
        plain = _encoded(row, self.shared) if self.rows is not None else None
        if plain is not None and self.rows is not None:
            self.rows[key] = plain
            self.dirty = True
            if self.apart.pop(key, None) is not None:
                self.store.put(TABLE, key, None)
            return
        if self.rows is not None and self.rows.pop(key, None) is not None:
            self.dirty = True
        self.apart[key] = row
        self.store.put(TABLE, key, row)

    def remove(self, key: str) -> None:
        self.names.discard(key)
        if self.rows is None:  # the table as written may hold it: a tombstone of its own
            self.apart[key] = _GONE
            self.store.put(TABLE, key, _GONE, plain=True)
            return
        if self.rows.pop(key, None) is not None:
            self.dirty = True
        if self.apart.pop(key, None) is not None:
            self.store.put(TABLE, key, None)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.names))

    def __len__(self) -> int:
        return len(self.names)

    def settle(self) -> None:
        """Write the table if it changed, then let go of its rows (megabytes a cold build would hold while it
        renders): later changes are written each in a row of its own."""
        if self.kept is not None and self.rows is not None and self.dirty:
            self.kept.write("", self.rows)
        self.kept, self.rows, self.dirty, self.shared = None, None, False, {}


def _encoded(row: tuple[Any, ...], shared: dict[str, str]) -> tuple[Any, ...] | None:
    """``row`` as ``marshal`` keeps it, or None when it cannot (dates deeper than a field, a Problem, a str
    subclass...). Equal texts are made one object (``shared``: by value): ``marshal`` writes each again as a
    reference, which it reads back without making another (10,000 rows: 8.0 -> 5.3 MB, read ~40% faster)."""
    values = row[1]
    if type(values) is not tuple or row[2] or type(values[_FIELDS]) is not dict:
        return None
    fields = values[_FIELDS]
    dates = tuple((name, value.toordinal()) for name, value in fields.items() if type(value) is dt.date)
    if dates:
        fields = dict(fields)
        for name, _ in dates:
            fields[name] = None
        values = (*values[:_FIELDS], fields, *values[_FIELDS + 1 :])
    try:
        return _plain((*row[:1], values, *row[2:], dates), shared)  # type: ignore[no-any-return]
    except _NotPlain:
        return None


class _NotPlain(Exception):
    """A value ``marshal`` does not keep as it is."""


_LEAVES = (int, float, bool, type(None))


def _plain(value: Any, shared: dict[str, str]) -> Any:
    """``value`` with its texts shared (``_encoded``); ``_NotPlain`` for anything but text, numbers, None, and
    lists, tuples and dicts of them (not their subclasses: ``Markup``, a named tuple)."""
    kind = type(value)
    if kind is str:
        return shared.setdefault(value, value)
    if kind in _LEAVES:
        return value
    if kind is tuple:
        return tuple([_plain(item, shared) for item in value])
    if kind is list:
        return [_plain(item, shared) for item in value]
    if kind is dict:
        return {_plain(k, shared): _plain(item, shared) for k, item in value.items()}
    raise _NotPlain


def _decoded(plain: tuple[Any, ...]) -> tuple[Any, ...]:
    """``_encoded`` read back (the fields' dict a new one when it held dates: the table's stays as stored)."""
    dates = plain[5]
    if not dates:
        return plain[:5]
    values = plain[1]
    fields = dict(values[_FIELDS])
    for name, ordinal in dates:
        fields[name] = dt.date.fromordinal(ordinal)
    return (plain[0], (*values[:_FIELDS], fields, *values[_FIELDS + 1 :]), *plain[2:5])
